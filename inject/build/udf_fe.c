/*
 * File entries (ECMA-167 4/14.9) and file identifier descriptors (4/14.4).
 * Plain file entries, not extended ones: libudf reads no extended file entry
 * (specs/test-media.md §1), and UDF 2.01 allows either.  Data are never
 * embedded in the entry (libudf cannot read that either): short allocation
 * descriptors, as many as the size needs, each extent under 1 GiB.
 */
#include "udf_int.h"

#include <stdlib.h>
#include <string.h>

#define TAG_FID 257
#define TAG_FE 261
#define FE_FIXED 176
#define FID_FIXED 38
/* ICB file characteristics */
#define FID_HIDDEN 0x01
#define FID_DIRECTORY 0x02
#define FID_PARENT 0x08
/* Permissions (4/14.9.5): read (+ execute for directories) for everyone, as
 * read-only media carry them. */
#define PERM_R 0x04u
#define PERM_X 0x01u
#define PERM(x) ((x) | (x) << 5 | (x) << 10)

static uint16_t tag_version(const w2c_udf *u) { return u->revision >= 0x0200 ? 3 : 2; }

/* UDF 2.3.4.3: unique ids 1..15 are reserved; the root has 0. */
static uint64_t unique_id(size_t i) { return i ? 15 + i : 0; }

uint32_t w2c_udf_fid_size(unsigned cs0_len)
{
	return (FID_FIXED + cs0_len + 3) & ~3u;
}

static void icb_tag(uint8_t *p, bool dir)
{
	w2c_put16(p + 4, 4);  /* strategy 4: one direct entry */
	w2c_put16(p + 8, 1);  /* maximum number of entries */
	p[11] = dir ? 4 : 5;  /* file type */
	w2c_put16(p + 18, 0); /* flags: short allocation descriptors */
}

/* Short allocation descriptors over @len bytes from partition block @pos. */
static size_t put_ads(uint8_t *p, size_t room, uint64_t len, uint32_t pos, bool *fits)
{
	size_t n = 0;
	*fits = true;
	while (len) {
		uint32_t take = len > W2C_UDF_EXTENT_MAX ? W2C_UDF_EXTENT_MAX : (uint32_t)len;
		if ((n + 1) * 8 > room) {
			*fits = false;
			return n * 8;
		}
		w2c_put32(p + n * 8, take);
		w2c_put32(p + n * 8 + 4, pos);
		pos += take / W2C_UDF_BLOCK;
		len -= take;
		n++;
	}
	return n * 8;
}

w2c_code w2c_udf_file_entry(const w2c_udf *u, size_t i, uint8_t *blk, w2c_error *err)
{
	const w2c_udf_entry *e = &u->e[i];
	const w2c_node *n = e->n;
	uint64_t len = n->is_dir ? e->fid_len : n->size;
	uint32_t pos = n->is_dir ? e->fid_block : (uint32_t)(e->lba - W2C_UDF_PART_START);
	struct timespec a = n->atime.tv_sec ? n->atime : n->mtime;
	struct timespec c = n->ctime.tv_sec ? n->ctime : n->mtime;
	bool fits;

	memset(blk, 0, W2C_UDF_BLOCK);
	icb_tag(blk + 16, n->is_dir);
	w2c_put32(blk + 36, 0xFFFFFFFFu); /* uid: none */
	w2c_put32(blk + 40, 0xFFFFFFFFu); /* gid: none */
	w2c_put32(blk + 44, n->is_dir ? PERM(PERM_R | PERM_X) : PERM(PERM_R));
	w2c_put16(blk + 48, (uint16_t)(n->is_dir ? 1 + e->n_subdirs : 1));
	w2c_put64(blk + 56, len);
	w2c_put64(blk + 64, (len + W2C_UDF_BLOCK - 1) / W2C_UDF_BLOCK);
	w2c_udf_timestamp(blk + 72, &a);
	w2c_udf_timestamp(blk + 84, &n->mtime);
	w2c_udf_timestamp(blk + 96, &c);
	w2c_put32(blk + 108, 1); /* checkpoint */
	w2c_udf_impl_id(blk + 128);
	w2c_put64(blk + 160, unique_id(i));
	size_t ad = put_ads(blk + FE_FIXED, W2C_UDF_BLOCK - FE_FIXED, len, pos, &fits);
	if (!fits) {
		char *p = w2c_node_path(n);
		w2c_code rc = w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: %s (%llu bytes) needs more "
					    "allocation descriptors than one UDF file entry holds",
					    u->out, p ? p : n->name, (unsigned long long)len);
		free(p);
		return rc;
	}
	w2c_put32(blk + 172, (uint32_t)ad);
	w2c_udf_tag(blk, TAG_FE, tag_version(u), e->fe, FE_FIXED + ad);
	return W2C_OK;
}

/* One identifier at @p (@at bytes into the directory starting at @dir_block). */
static uint32_t put_fid(const w2c_udf *u, uint8_t *p, uint32_t dir_block, uint32_t at,
			const w2c_udf_entry *target, size_t target_i, uint8_t chars,
			const uint8_t *name, uint8_t name_len)
{
	uint32_t size = w2c_udf_fid_size(name_len);
	w2c_put16(p + 16, 1); /* file version number */
	p[18] = chars;
	p[19] = name_len;
	w2c_put32(p + 20, W2C_UDF_BLOCK);   /* ICB: one block, */
	w2c_put32(p + 24, target->fe);      /* the entry, partition 0 */
	w2c_put32(p + 32, (uint32_t)unique_id(target_i)); /* UDF 2.3.4.3: in the ICB's use */
	if (name_len)
		memcpy(p + FID_FIXED, name, name_len);
	w2c_udf_tag(p, TAG_FID, tag_version(u), dir_block + at / W2C_UDF_BLOCK, size);
	return size;
}

void w2c_udf_dir_fids(const w2c_udf *u, size_t i, uint8_t *buf)
{
	const w2c_udf_entry *d = &u->e[i];
	uint32_t at = put_fid(u, buf, d->fid_block, 0, &u->e[d->parent], d->parent,
			      FID_DIRECTORY | FID_PARENT, NULL, 0);
	/* the children are the entries whose parent is @i, in order after it */
	for (size_t k = i + 1; k < u->n && at < d->fid_len; k++) {
		const w2c_udf_entry *c = &u->e[k];
		if (c->parent != i || k == 0)
			continue;
		uint8_t chars = (uint8_t)((c->n->is_dir ? FID_DIRECTORY : 0) |
					  (c->n->hidden ? FID_HIDDEN : 0));
		at += put_fid(u, buf + at, d->fid_block, at, c, k, chars, c->cs0, c->cs0_len);
	}
}
