/* El Torito catalog against Microsoft's geometry (windows-media spec §1.4, §1.7),
 * the boot images behind it, and the system area. */
#include "verify_int.h"

#include <stdlib.h>
#include <string.h>

#define BIOS_IMAGE "/boot/etfsboot.com"
#define UEFI_IMAGE "/efi/microsoft/boot/efisys.bin"
#define UEFI_IMAGE_NP "/efi/microsoft/boot/efisys_noprompt.bin"
#define BOOT_WIM "/sources/boot.wim"

static const char *platform_name(uint8_t id)
{
	return id == 0 ? "BIOS" : id == 0xEF ? "UEFI" : id == 1 ? "PowerPC" : id == 2 ? "Mac" : "unknown";
}

/* One field against its expected value; @field doubles as the report's field name. */
static void expect_u(vctx *c, size_t i, const w2c_boot_entry *e, const char *field, unsigned got,
		     unsigned want, const char *why)
{
	if (got != want)
		w2c_vr_finding(c, W2C_VERIFY_CATALOG, c->iso, field,
			   "%s: El Torito entry %zu (%s): %s is %u, expected %u%s", c->iso, i + 1,
			   platform_name(e->platform_id), field, got, want, why);
}

static bool path_is(const char *p, const char *want)
{
	return p && !w2c_strcasecmp(p, want);
}

static void check_entry(vctx *c, size_t i, const w2c_boot_entry *e)
{
	bool uefi = e->platform_id == 0xEF;
	expect_u(c, i, e, "boot_indicator", e->bootable ? 0x88 : 0, 0x88, " (bootable)");
	expect_u(c, i, e, "media_type", e->media_type, 0, " (no emulation)");
	expect_u(c, i, e, "load_segment", e->load_segment, 0, " (the default 0x07C0)");
	if (uefi) {
		expect_u(c, i, e, "sector_count", e->sector_count, 1,
			 " (Microsoft's UEFI entry; OVMF boots no count between 2 and the image size)");
		if (!path_is(e->image_path, UEFI_IMAGE) && !path_is(e->image_path, UEFI_IMAGE_NP))
			w2c_vr_finding(c, W2C_VERIFY_CATALOG, c->iso, "image",
				   "%s: El Torito entry %zu (UEFI): image is %s, expected %s or %s", c->iso,
				   i + 1, e->image_path ? e->image_path : "no file of the tree",
				   &UEFI_IMAGE[1], &UEFI_IMAGE_NP[1]);
	} else {
		expect_u(c, i, e, "sector_count", e->sector_count, 8,
			 " (etfsboot.com is 4096 bytes; BIOS loads only count x 512 bytes)");
		if (!path_is(e->image_path, BIOS_IMAGE))
			w2c_vr_finding(c, W2C_VERIFY_CATALOG, c->iso, "image",
				   "%s: El Torito entry %zu (BIOS): image is %s, expected %s", c->iso, i + 1,
				   e->image_path ? e->image_path : "no file of the tree", &BIOS_IMAGE[1]);
	}
}

w2c_code w2c_verify_catalog_geometry(const char *iso, const w2c_boot_entry *entries, size_t n,
				 unsigned want_platforms, w2c_verify_report *report)
{
	w2c_verify_options o = { 0 };
	vctx c = { .iso = iso, .o = &o, .r = report };
	unsigned seen = 0;

	for (size_t i = 0; i < n; i++) {
		const w2c_boot_entry *e = &entries[i];
		if (e->platform_id != 0 && e->platform_id != 0xEF) {
			w2c_vr_note(&c, "%s: El Torito entry %zu has platform 0x%02x (%s), not checked", iso,
				i + 1, e->platform_id, platform_name(e->platform_id));
			continue;
		}
		seen |= e->platform_id == 0 ? 1u : 2u;
		check_entry(&c, i, e);
	}
	for (unsigned bit = 1; bit <= 2; bit <<= 1)
		if ((want_platforms & bit) && !(seen & bit))
			w2c_vr_finding(&c, W2C_VERIFY_CATALOG, iso, "platform",
				   "%s: El Torito catalog has no %s entry (platform %s), expected one", iso,
				   bit == 1 ? "BIOS" : "UEFI", bit == 1 ? "0x00" : "0xEF");
	return c.oom ? W2C_ERR_NOMEM : W2C_OK;
}

/* Catalog images that are no file (Microsoft's hidden copies): name them by
 * comparing their first block with the files they should be copies of. */
static char *identify_image(vctx *c, const w2c_boot_entry *e)
{
	static const char *cands[] = { BIOS_IMAGE, UEFI_IMAGE, UEFI_IMAGE_NP };
	uint8_t img[W2C_SECTOR], file[W2C_SECTOR];
	w2c_node *root = w2c_media_root(c->out);

	if (w2c_media_pread(c->out, img, sizeof img, (uint64_t)e->lba * W2C_SECTOR, NULL))
		return NULL;
	for (size_t k = 0; k < 3; k++) {
		w2c_node *n = w2c_tree_lookup(root, cands[k]);
		size_t got = 0;
		if (!n || n->is_dir || w2c_media_read(c->out, n, 0, file, sizeof file, &got, NULL) || !got)
			continue;
		if (!memcmp(img, file, got))
			return w2c_node_path(n);
	}
	return NULL;
}

/* The UEFI image must be a FAT file system that lies inside the image. */
static void check_uefi_fat(vctx *c, size_t i, const w2c_boot_entry *e, const char *name)
{
	uint8_t bs[512];
	w2c_fat_info fi;
	w2c_error e2 = { 0 };
	uint64_t off = (uint64_t)e->lba * W2C_SECTOR;
	char *what = w2c_asprintf("%s: El Torito entry %zu (UEFI) image %s", c->iso, i + 1, name);

	if (!what) {
		c->oom = true;
		return;
	}
	w2c_code rc = w2c_media_pread(c->out, bs, sizeof bs, off, &e2);
	if (!rc)
		rc = w2c_fat_probe(bs, sizeof bs, what, &fi, &e2);
	if (rc)
		w2c_vr_finding(c, W2C_VERIFY_CATALOG, name, "fat", "%s", e2.message);
	else if (off + fi.size > w2c_media_size(c->out))
		w2c_vr_finding(c, W2C_VERIFY_CATALOG, name, "fat_size",
			   "%s: FAT size %llu bytes runs past the end of the image, expected it inside",
			   what, (unsigned long long)fi.size);
	free(what);
}

/* Microsoft media have no hybrid MBR (sector 0 is zeros), and the file holds
 * every block the PVD counts (a writer that drops the tail still boots). */
static void check_image(vctx *c)
{
	uint8_t s[W2C_SECTOR];
	if (w2c_media_pread(c->out, s, 512, 0, NULL))
		return;
	if (s[510] == 0x55 && s[511] == 0xAA)
		w2c_vr_finding(c, W2C_VERIFY_CATALOG, c->iso, "system_area",
			   "%s: sector 0 holds an MBR signature (isohybrid), expected zeros as on "
			   "Microsoft's media", c->iso);
	if (w2c_media_pread(c->out, s, sizeof s, 16 * W2C_SECTOR, NULL) || s[0] != 1 ||
	    memcmp(s + 1, "CD001", 5))
		return;
	uint64_t blocks = w2c_le32(s + 80);
	if (blocks * W2C_SECTOR > w2c_media_size(c->out))
		w2c_vr_finding(c, W2C_VERIFY_IMAGE, c->iso, "volume_space_size",
			   "%s: the file is %llu bytes, the PVD's volume space size is %llu blocks "
			   "(%llu bytes), expected the file to hold them all (truncated write?)", c->iso,
			   (unsigned long long)w2c_media_size(c->out), (unsigned long long)blocks,
			   (unsigned long long)blocks * W2C_SECTOR);
}

/* 0 when there is no boot.wim, -1 when it is no WIM, else 1 with its header. */
static int boot_index(w2c_media *m, w2c_node *root, uint32_t *idx, uint32_t *count)
{
	w2c_node *n = root ? w2c_tree_lookup(root, BOOT_WIM) : NULL;
	vr_wimhdr h;
	if (!n || n->is_dir)
		return 0;
	if (!w2c_vr_read_wimhdr(m, n, &h) || !h.has_boot_index)
		return -1;
	*count = h.images;
	*idx = h.boot_index;
	return 1;
}

/* Windows Boot Manager boots the image of boot.wim its header names; wimlib
 * drops that index on export without --boot (windows-media spec §1.5). */
void w2c_vr_check_bootwim(vctx *c)
{
	uint32_t idx = 0, count = 0, sidx = 0, scount = 0;
	int have = boot_index(c->out, w2c_media_root(c->out), &idx, &count);
	int src = boot_index(c->src, c->src_root, &sidx, &scount);

	if (have < 0)
		w2c_vr_finding(c, W2C_VERIFY_BOOTWIM, &BOOT_WIM[1], "magic", "%s: %s: not a WIM, expected "
			   "the magic MSWIM", c->iso, &BOOT_WIM[1]);
	else if (have && src > 0 && idx != sidx)
		w2c_vr_finding(c, W2C_VERIFY_BOOTWIM, &BOOT_WIM[1], "boot_index", "%s: %s: boot index is %u, "
			   "expected %u as in %s", c->iso, &BOOT_WIM[1], idx, sidx, c->o->against);
	else if (have && src <= 0 && (!idx || idx > count))
		w2c_vr_finding(c, W2C_VERIFY_BOOTWIM, &BOOT_WIM[1], "boot_index", "%s: %s: boot index is %u, "
			   "expected 1..%u (Setup's image, normally 2)", c->iso, &BOOT_WIM[1], idx, count);
}

w2c_code w2c_vr_check_catalog(vctx *c, w2c_error *err)
{
	size_t n = w2c_media_boot_count(c->out);
	w2c_boot_entry *es = n ? calloc(n, sizeof *es) : NULL;
	char **named = n ? calloc(n, sizeof *named) : NULL;
	unsigned want = 3;

	if (n && (!es || !named)) {
		free(es);
		free(named);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	if (c->src) { /* media with one entry are rebuilt with one: expect what SRC has */
		want = 0;
		for (size_t i = 0; i < w2c_media_boot_count(c->src); i++) {
			uint8_t p = w2c_media_boot_entry(c->src, i)->platform_id;
			want |= p == 0 ? 1u : p == 0xEF ? 2u : 0u;
		}
	}
	for (size_t i = 0; i < n; i++) {
		es[i] = *w2c_media_boot_entry(c->out, i);
		if (!es[i].image_path)
			es[i].image_path = named[i] = identify_image(c, &es[i]);
	}
	c->r->boot_entries = (unsigned)n;
	c->oom |= w2c_verify_catalog_geometry(c->iso, es, n, want, c->r) != W2C_OK;
	for (size_t i = 0; i < n; i++) {
		if (es[i].platform_id == 0xEF)
			check_uefi_fat(c, i, &es[i], es[i].image_path ? es[i].image_path + 1 : "(no file)");
		free(named[i]);
	}
	check_image(c);
	free(es);
	free(named);
	return W2C_OK;
}
