/*
 * El Torito entries of the rebuilt image, taken from the source's catalog:
 * Microsoft's geometry (BIOS 8 sectors as recorded, UEFI sector count 1,
 * hidden catalog, no boot info table).  An entry whose image is no file in
 * the tree keeps its bytes as a hidden file (written, named in no directory),
 * the way such media carry it.
 */
#include "build_int.h"
#include "udf_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HIDE_ALL (LIBISO_HIDE_ON_RR | LIBISO_HIDE_ON_JOLIET | LIBISO_HIDE_ON_1999)

static const char *platform_name(unsigned id)
{
	return id == 0 ? "BIOS" : id == 0xEF ? "UEFI" : id == 1 ? "PowerPC" : id == 2 ? "Mac" : "other";
}

/* The image of entry @i as an IsoFile path in @img; *@path is freed by the caller. */
static w2c_code image_path(w2c_media *m, IsoImage *img, size_t i, w2c_boot_udf *bu,
			   const w2c_build_options *o, w2c_build_result *res, char **path,
			   w2c_error *err)
{
	const w2c_boot_entry *b = w2c_media_boot_entry(m, i);
	const char *want = b->image_path;

	*path = NULL;
	if (b->platform_id == 0xEF && o->uefi_image == W2C_UEFI_NOPROMPT)
		want = "/efi/microsoft/boot/efisys_noprompt.bin";
	else if (b->platform_id == 0xEF && o->uefi_image == W2C_UEFI_PROMPT)
		want = "/efi/microsoft/boot/efisys.bin";
	if (want) {
		w2c_node *n = w2c_tree_lookup(w2c_media_root(m), want);
		if (!n || n->is_dir)
			return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: boot image %s (entry %zu, %s) "
					     "not found on the medium", w2c_media_path(m), want, i + 1,
					     platform_name(b->platform_id));
		*path = bu->flat ? w2c_udf_flat_path(bu->u, n) : w2c_node_path(n);
		return *path ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	/* No file: a hidden one over the recorded bytes (image extent or unpacked copy). */
	char name[48];
	IsoFile *f;
	snprintf(name, sizeof name, "boot-entry%zu.img", i + 1);
	IsoStream *s = w2c_node_stream(m, NULL, (uint64_t)b->lba * W2C_SECTOR, b->image_size,
				       b->image_local);
	if (!s)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	int r = iso_tree_add_new_file(iso_image_get_root(img), name, s, &f);
	if (r < 0)
		return w2c_build_lerr(err, r, "add boot image", name);
	iso_node_set_hidden((IsoNode *)f, HIDE_ALL | LIBISO_HIDE_BUT_WRITE);
	if (bu->u) { /* ahead of the UDF files, whose blocks follow it */
		iso_node_set_sort_weight((IsoNode *)f, bu->weight);
		bu->extra_blocks += (uint32_t)((b->image_size + W2C_SECTOR - 1) / W2C_SECTOR);
	}
	iso_node_set_permissions((IsoNode *)f, 0444);
	w2c_build_note(res, o->log, "boot entry %zu (%s) has no file in the tree: its %llu bytes are "
		       "kept as a hidden boot image", i + 1, platform_name(b->platform_id),
		       (unsigned long long)b->image_size);
	*path = w2c_asprintf("/%s", name);
	return *path ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
}

static w2c_code add_entry(w2c_media *m, IsoImage *img, size_t i, const char *cat,
			  w2c_boot_udf *bu, const w2c_build_options *o, w2c_build_result *res,
			  w2c_error *err)
{
	const w2c_boot_entry *b = w2c_media_boot_entry(m, i);
	ElToritoBootImage *bi;
	char *path;
	int r;
	w2c_code rc = image_path(m, img, i, bu, o, res, &path, err);

	if (rc)
		return rc;
	enum eltorito_boot_media_type mt = b->media_type == 0 ? ELTORITO_NO_EMUL :
		b->media_type == 4 ? ELTORITO_HARD_DISC_EMUL : ELTORITO_FLOPPY_EMUL;
	if (res->boot_entries == 0)
		r = iso_image_set_boot_image(img, path, mt, cat, &bi);
	else
		r = iso_image_add_boot_image(img, path, mt, 0, &bi);
	if (r < 0) {
		rc = w2c_build_lerr(err, r, "El Torito entry for", path);
		free(path);
		return rc;
	}
	free(path);
	el_torito_set_boot_platform_id(bi, b->platform_id);
	el_torito_set_load_seg(bi, (short)b->load_segment);
	if (b->platform_id == 0xEF) {
		el_torito_set_full_load(bi, 0);
		el_torito_set_load_size(bi, 1);
	} else {
		el_torito_set_load_size(bi, (short)b->sector_count);
	}
	if (!b->bootable)
		el_torito_set_no_bootable(bi);
	res->boot_entries++;
	return W2C_OK;
}

/* What differs from Microsoft's two entries is said, not silently rebuilt. */
static void report_geometry(w2c_media *m, const w2c_build_options *o, w2c_build_result *res)
{
	size_t bios = 0;
	for (size_t i = 0; i < w2c_media_boot_count(m); i++) {
		const w2c_boot_entry *b = w2c_media_boot_entry(m, i);
		if (b->platform_id != 0)
			continue;
		bios++;
		if (b->media_type == 0 && b->sector_count != 8)
			w2c_build_note(res, o->log, "BIOS boot entry %zu loads %u sectors, not the 8 of "
				       "Microsoft's etfsboot.com: kept as the source has it", i + 1,
				       b->sector_count);
	}
	if (!w2c_media_boot_count(m))
		w2c_build_note(res, o->log, "the source has no El Torito boot catalog: the image will "
			       "not boot from CD/DVD");
	else if (!bios)
		w2c_build_note(res, o->log, "the source has no BIOS boot entry: the image boots on "
			       "UEFI firmware only");
}

const w2c_node *w2c_build_old_catalog(w2c_media *m)
{
	const w2c_node *n = w2c_media_boot_catalog_path(m) ? w2c_tree_lookup(w2c_media_root(m), w2c_media_boot_catalog_path(m)) : NULL;
	return n && !n->is_dir && n->size == W2C_SECTOR ? n : NULL;
}

/* Microsoft hides the catalog; a source that showed it keeps it where it was. */
static const char *catalog_path(w2c_media *m, char *buf, size_t len)
{
	const w2c_node *old = w2c_build_old_catalog(m);
	char *p = old ? w2c_node_path(old) : NULL;
	snprintf(buf, len, "%s", p ? p : w2c_tree_lookup(w2c_media_root(m), "/boot.catalog") ? "/boot.catalog.w2c"
							      : "/boot.catalog");
	free(p);
	return buf;
}

w2c_code w2c_build_boot(w2c_media *m, IsoImage *img, w2c_boot_udf *bu,
			const w2c_build_options *o, w2c_build_result *res, w2c_error *err)
{
	char cat[1024];
	catalog_path(m, cat, sizeof cat);
	report_geometry(m, o, res);
	for (size_t i = 0; i < w2c_media_boot_count(m); i++) {
		w2c_code rc = add_entry(m, img, i, cat, bu, o, res, err);
		if (rc)
			return rc;
	}
	if (res->boot_entries && !w2c_build_old_catalog(m))
		iso_image_set_boot_catalog_hidden(img, HIDE_ALL);
	return W2C_OK;
}
