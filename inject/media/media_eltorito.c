/* El Torito boot catalog, parsed from the Boot Record Volume Descriptor. */
#include "media_int.h"

#include <stdlib.h>
#include <string.h>

static w2c_code check_validation(w2c_media *m, const uint8_t *c, w2c_error *err)
{
	uint16_t sum = 0;

	if (c[0] != 1)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: boot catalog at LBA %u: validation entry header id is 0x%02x, "
				     "expected 0x01", m->path, m->boot_catalog_lba, c[0]);
	if (c[30] != 0x55 || c[31] != 0xAA)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: boot catalog at LBA %u: validation entry key bytes are "
				     "0x%02x 0x%02x, expected 0x55 0xAA",
				     m->path, m->boot_catalog_lba, c[30], c[31]);
	for (int i = 0; i < 32; i += 2)
		sum = (uint16_t)(sum + w2c_le16(c + i));
	if (sum)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: boot catalog at LBA %u: validation entry checksum does not "
				     "sum to zero (0x%04x)", m->path, m->boot_catalog_lba, sum);
	return W2C_OK;
}

/* An initial/default or section entry: boot indicator and media type checked. */
static w2c_code add_entry(w2c_media *m, const uint8_t *e, size_t off, uint8_t platform,
			  w2c_error *err)
{
	if (e[0] != 0x88 && e[0] != 0x00)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: boot catalog at LBA %u, entry at offset %zu: boot indicator is "
				     "0x%02x, expected 0x88 (bootable) or 0x00", m->path,
				     m->boot_catalog_lba, off, e[0]);
	if ((e[1] & 0x0F) > 4)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: boot catalog at LBA %u, entry at offset %zu: boot media type is "
				     "%u, expected 0 (no emulation) to 4 (hard disk)", m->path,
				     m->boot_catalog_lba, off, e[1] & 0x0F);
	w2c_boot_entry *b = realloc(m->boot, (m->n_boot + 1) * sizeof *b);
	if (!b)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	m->boot = b;
	b = &m->boot[m->n_boot++];
	memset(b, 0, sizeof *b);
	b->platform_id = platform;
	b->bootable = e[0] == 0x88;
	b->media_type = e[1] & 0x0F;
	b->load_segment = w2c_le16(e + 2);
	b->system_type = e[4];
	b->sector_count = w2c_le16(e + 6);
	b->lba = w2c_le32(e + 8);
	b->image_size = (uint64_t)b->sector_count * 512;
	if ((uint64_t)b->lba * W2C_SECTOR >= m->size)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: boot catalog entry %zu: image LBA %u is beyond the end of "
				     "the image (%llu blocks)", m->path, m->n_boot, b->lba,
				     (unsigned long long)(m->size / W2C_SECTOR));
	return W2C_OK;
}

/* One section: its header at @off, then its entries (each maybe followed by
 * extension records 0x44).  The count must fit the catalog's sector. */
static w2c_code read_section(w2c_media *m, const uint8_t *c, size_t *off, w2c_error *err)
{
	uint8_t platform = c[*off + 1];
	uint16_t n = w2c_le16(c + *off + 2);
	size_t room = (W2C_SECTOR - *off - 32) / 32;
	w2c_code rc = W2C_OK;

	if (n > room)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: boot catalog at LBA %u, section header at offset %zu: number "
				     "of section entries (offset %zu) is %u, expected at most %zu (what "
				     "fits the 2048-byte catalog)", m->path, m->boot_catalog_lba, *off,
				     *off + 2, n, room);
	*off += 32;
	for (uint16_t k = 0; !rc && k < n; k++) {
		if (*off + 32 > W2C_SECTOR)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: boot catalog at LBA %u: section entry %u of %u (after "
					     "extension records) does not fit the 2048-byte catalog",
					     m->path, m->boot_catalog_lba, k + 1u, n);
		rc = add_entry(m, c + *off, *off, platform, err);
		*off += 32;
		while (*off + 32 <= W2C_SECTOR && c[*off] == 0x44) /* extension records */
			*off += 32;
	}
	return rc;
}

w2c_code w2c_eltorito_read(w2c_media *m, w2c_error *err)
{
	uint8_t c[W2C_SECTOR];
	w2c_code rc;

	if (!m->boot_catalog_lba)
		return W2C_OK;
	if ((uint64_t)(m->boot_catalog_lba + 1) * W2C_SECTOR > m->size)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: Boot Record (sector 17) points at boot catalog LBA %u, beyond "
				     "the end of the image", m->path, m->boot_catalog_lba);
	rc = w2c_pread_full(m->fd, c, sizeof c, (uint64_t)m->boot_catalog_lba * W2C_SECTOR,
			    m->path, err);
	if (rc || (rc = check_validation(m, c, err)))
		return rc;
	rc = add_entry(m, c + 32, 32, c[1], err);
	/* Section headers 0x90 (more follow) / 0x91 (last); anything else ends the catalog. */
	for (size_t off = 64; !rc && off + 32 <= sizeof c;) {
		uint8_t hdr = c[off];
		if (hdr != 0x90 && hdr != 0x91)
			break;
		rc = read_section(m, c, &off, err);
		if (hdr == 0x91)
			break;
	}
	return rc;
}

/* FAT size from the BPB, for UEFI images whose catalog count is 1. */
static uint64_t fat_image_size(w2c_media *m, uint32_t lba)
{
	uint8_t b[64];
	if (w2c_pread_full(m->fd, b, sizeof b, (uint64_t)lba * W2C_SECTOR, m->path, NULL))
		return 0;
	uint16_t bps = w2c_le16(b + 11);
	uint32_t total = w2c_le16(b + 19) ? w2c_le16(b + 19) : w2c_le32(b + 32);
	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
		return 0;
	if ((uint64_t)lba * W2C_SECTOR + (uint64_t)bps * total > m->size)
		return 0;
	return (uint64_t)bps * total;
}

struct find_ctx {
	uint64_t offset;
	w2c_node *found;
};

static int find_at(w2c_node *n, void *user)
{
	struct find_ctx *f = user;
	if (!n->is_dir && n->src == W2C_SRC_IMAGE && n->n_extents && n->extents[0].offset == f->offset &&
	    (!f->found || n->size > f->found->size)) {
		f->found = n;
	}
	return 0;
}

void w2c_eltorito_map(w2c_media *m)
{
	if (m->boot_catalog_lba && m->root) { /* xorriso and others leave it visible */
		struct find_ctx f = { (uint64_t)m->boot_catalog_lba * W2C_SECTOR, NULL };
		w2c_tree_walk(m->root, find_at, &f);
		if (f.found)
			m->boot_catalog_path = w2c_node_path(f.found);
	}
	for (size_t i = 0; i < m->n_boot; i++) {
		w2c_boot_entry *b = &m->boot[i];
		struct find_ctx f = { (uint64_t)b->lba * W2C_SECTOR, NULL };
		if (m->root)
			w2c_tree_walk(m->root, find_at, &f);
		if (f.found) {
			b->image_path = w2c_node_path(f.found);
			b->image_size = f.found->size;
		} else if (b->media_type == 0) {
			uint64_t fat = fat_image_size(m, b->lba);
			if (fat)
				b->image_size = fat;
		} else if (b->media_type >= 1 && b->media_type <= 3) {
			static const uint64_t floppy[] = { 0, 1228800, 1474560, 2949120 };
			b->image_size = floppy[b->media_type];
		}
		if ((uint64_t)b->lba * W2C_SECTOR + b->image_size > m->size)
			b->image_size = m->size - (uint64_t)b->lba * W2C_SECTOR;
	}
}
