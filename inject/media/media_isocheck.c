/*
 * Bounded walk of the ISO 9660 and Joliet directory graphs before libisofs
 * imports them.  libisofs recurses without a depth limit, follows Rock Ridge
 * continuation areas (CE) without noticing a loop (an image whose CE points
 * at itself hangs it for ever), and takes directory records and extents as
 * they come.  What ECMA-119 and SUSP make checkable is checked here, each
 * chain bounded by a count and by "seen before":
 *   - the volume space size against the image size;
 *   - every directory record's length, name length and sector boundary;
 *   - every directory and file extent inside the volume;
 *   - directory depth (255) and path length (4096), directory loops;
 *   - CE chains (64 per record, no area twice, each inside the volume).
 * Rock Ridge relocated directories (RE, reached through their CL) are
 * walked once, where libisofs puts them.
 */
#include "media_int.h"

#include <stdlib.h>
#include <string.h>

#define DIR_MAX_DEPTH 255
#define DIR_MAX_PATH 4096
#define DIR_MAX_BYTES (16u << 20)
#define DIR_MAX_DIRS 50000
#define DIR_SET_SLOTS (1u << 17) /* power of two > 2 * DIR_MAX_DIRS */
#define CE_MAX 64

struct dirwalk {
	w2c_media *m;
	const char *tree;
	uint64_t vol_bytes;
	uint32_t *set; /* open addressing, LBA + 1 (0 = free) */
	size_t n_seen;
	w2c_error *err;
};

static bool seen_before(struct dirwalk *w, uint32_t lba)
{
	uint32_t key = lba + 1, i = (key * 2654435761u) & (DIR_SET_SLOTS - 1);
	while (w->set[i]) {
		if (w->set[i] == key)
			return true;
		i = (i + 1) & (DIR_SET_SLOTS - 1);
	}
	w->set[i] = key;
	w->n_seen++;
	return false;
}

struct susp {
	uint32_t cl;     /* Rock Ridge CL: the relocated directory this record stands for */
	bool re;         /* Rock Ridge RE: this record is a relocated directory */
	uint32_t ce_blk, ce_off, ce_len;
	bool ce;
};

/* One System Use area: the entries we act on; stops at ST or a bad length. */
static void susp_area(const uint8_t *a, size_t len, struct susp *s)
{
	s->ce = false;
	for (size_t p = 0; p + 4 <= len;) {
		unsigned el = a[p + 2];
		if (el < 4 || p + el > len || (a[p] == 'S' && a[p + 1] == 'T'))
			break;
		if (a[p] == 'C' && a[p + 1] == 'L' && el >= 12)
			s->cl = w2c_le32(a + p + 4);
		else if (a[p] == 'R' && a[p + 1] == 'E')
			s->re = true;
		else if (a[p] == 'C' && a[p + 1] == 'E' && el >= 28) {
			s->ce = true;
			s->ce_blk = w2c_le32(a + p + 4);
			s->ce_off = w2c_le32(a + p + 12);
			s->ce_len = w2c_le32(a + p + 20);
		}
		p += el;
	}
}

/* The record's System Use area and every continuation area it chains to. */
static w2c_code susp_walk(struct dirwalk *w, const uint8_t *r, unsigned rl, uint32_t lba,
			  uint32_t off, struct susp *s)
{
	unsigned nl = r[32], su = 33 + nl + !(nl & 1);
	uint64_t seen[CE_MAX];
	uint8_t *buf = NULL;
	w2c_code rc = W2C_OK;

	memset(s, 0, sizeof *s);
	susp_area(r + su, rl > su ? rl - su : 0, s);
	for (unsigned n = 0; s->ce && !rc; n++) {
		uint64_t at = (uint64_t)s->ce_blk * W2C_SECTOR + s->ce_off;
		const char *why = NULL;
		for (unsigned i = 0; i < n && !why; i++)
			if (seen[i] == at)
				why = "is reached twice: the continuation chain has a loop";
		if (n == CE_MAX)
			why = "is one more than the 64 continuation areas a record may chain";
		else if (s->ce_off >= W2C_SECTOR || s->ce_len > W2C_SECTOR - s->ce_off)
			why = "does not fit its 2048-byte block (offset + length)";
		else if (at + s->ce_len > w->vol_bytes)
			why = "lies beyond the end of the volume";
		if (why) {
			rc = w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
					   "%s: %s directory at LBA %u, record at offset %u: Rock Ridge CE "
					   "continuation area (block %u, offset %u, %u bytes) %s", w->m->path,
					   w->tree, lba, off, s->ce_blk, s->ce_off, s->ce_len, why);
			break;
		}
		seen[n] = at;
		uint8_t *nb = realloc(buf, s->ce_len ? s->ce_len : 1);
		if (!nb) {
			rc = w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
			break;
		}
		buf = nb;
		rc = w2c_pread_full(w->m->fd, buf, s->ce_len, at, w->m->path, w->err);
		if (!rc)
			susp_area(buf, s->ce_len, s);
	}
	free(buf);
	return rc;
}

static w2c_code rec_error(struct dirwalk *w, uint32_t lba, uint32_t off, const char *field,
			  unsigned long long got, const char *expected)
{
	return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
			     "%s: %s directory at LBA %u, record at offset %u: %s is %llu, expected %s",
			     w->m->path, w->tree, lba, off, field, got, expected);
}

/* Length, name length and sector boundary of the record at @off. */
static w2c_code check_record(struct dirwalk *w, const uint8_t *r, uint32_t lba, uint32_t off,
			     uint32_t len)
{
	uint8_t rl = r[0];
	if (rl < 34)
		return rec_error(w, lba, off, "record length", rl, "at least 34");
	if (off % W2C_SECTOR + rl > W2C_SECTOR || off + rl > len)
		return rec_error(w, lba, off, "record length", rl,
				 "a record that ends within its sector and its directory");
	if (33u + r[32] > rl)
		return rec_error(w, lba, off, "file identifier length", r[32],
				 "at most the record length - 33");
	return W2C_OK;
}

static w2c_code walk_dir(struct dirwalk *w, uint32_t lba, uint32_t len, int depth, size_t plen);

/* A file's extent inside the volume; a directory (or a CL link) walked. */
static w2c_code take_record(struct dirwalk *w, const uint8_t *r, uint32_t lba, uint32_t off,
			    int depth, size_t plen)
{
	struct susp s;
	w2c_code rc = susp_walk(w, r, r[0], lba, off, &s);
	uint32_t ext = w2c_le32(r + 2), size = w2c_le32(r + 10);

	if (rc || s.re)
		return rc; /* relocated: walked where its CL record points */
	plen += 1u + r[32];
	if (plen > DIR_MAX_PATH)
		return rec_error(w, lba, off, "path length", plen, "at most 4096 bytes");
	if (s.cl)
		return walk_dir(w, s.cl, 0, depth + 1, plen);
	if (r[25] & 2)
		return walk_dir(w, ext, size, depth + 1, plen);
	if (size && (uint64_t)ext * W2C_SECTOR + size > w->vol_bytes) {
		char exp[96];
		snprintf(exp, sizeof exp, "an extent inside the %llu-block volume (it starts at LBA %u)",
			 (unsigned long long)(w->vol_bytes / W2C_SECTOR), ext);
		return rec_error(w, lba, off, "file extent end (bytes)",
				 (unsigned long long)ext * W2C_SECTOR + size, exp);
	}
	return W2C_OK;
}

/* A directory's size: its record's, or (a CL target) its own "." record's,
 * and libisofs sizes it by its "." record: walk what it will read. */
static w2c_code dir_size(struct dirwalk *w, uint32_t lba, uint32_t *len)
{
	uint8_t dot[34];
	w2c_code rc = W2C_OK;
	if ((uint64_t)lba * W2C_SECTOR + sizeof dot > w->vol_bytes ||
	    (rc = w2c_pread_full(w->m->fd, dot, sizeof dot, (uint64_t)lba * W2C_SECTOR, w->m->path,
				 w->err)))
		return rc ? rc : w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
					       "%s: %s directory at LBA %u lies beyond the end of the "
					       "%llu-block volume", w->m->path, w->tree, lba,
					       (unsigned long long)(w->vol_bytes / W2C_SECTOR));
	if (dot[0] < 34)
		return rec_error(w, lba, 0, "\".\" record length", dot[0], "at least 34");
	if (!*len || w2c_le32(dot + 10) > *len)
		*len = w2c_le32(dot + 10);
	if (!*len || *len > DIR_MAX_BYTES || (uint64_t)lba * W2C_SECTOR + *len > w->vol_bytes)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: %s directory at LBA %u (%u bytes) does not fit the volume "
				     "(%llu blocks; at most 16 MiB per directory)", w->m->path, w->tree,
				     lba, *len, (unsigned long long)(w->vol_bytes / W2C_SECTOR));
	return W2C_OK;
}

static w2c_code walk_dir(struct dirwalk *w, uint32_t lba, uint32_t len, int depth, size_t plen)
{
	w2c_media *m = w->m;
	w2c_code rc = W2C_OK;

	if (depth > DIR_MAX_DEPTH)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: %s directory at LBA %u is %d levels deep: expected at most %d",
				     m->path, w->tree, lba, depth, DIR_MAX_DEPTH);
	if (w->n_seen >= DIR_MAX_DIRS)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT, "%s: %s tree has more than %d "
				     "directories", m->path, w->tree, DIR_MAX_DIRS);
	if (seen_before(w, lba))
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: %s directory at LBA %u is reached twice: the directory tree "
				     "has a loop", m->path, w->tree, lba);
	if ((rc = dir_size(w, lba, &len)))
		return rc;
	uint8_t *buf = malloc(len);
	if (!buf)
		return w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
	rc = w2c_pread_full(m->fd, buf, len, (uint64_t)lba * W2C_SECTOR, m->path, w->err);
	unsigned index = 0;
	for (uint32_t off = 0; !rc && off + 1 <= len; index++) {
		const uint8_t *r = buf + off;
		if (r[0] == 0) { /* records do not cross sectors: the rest is padding */
			off = (off / W2C_SECTOR + 1) * W2C_SECTOR;
			continue;
		}
		if ((rc = check_record(w, r, lba, off, len)))
			break;
		/* only the first two records are "." and "..": libisofs takes any later
		 * directory record, whatever its name, as a child */
		if (index >= 2)
			rc = take_record(w, r, lba, off, depth, plen);
		off += r[0];
	}
	free(buf);
	return rc;
}

static w2c_code volume_size(w2c_media *m, w2c_error *err)
{
	uint64_t want = (uint64_t)m->volume_blocks * W2C_SECTOR;
	if (!m->volume_blocks || want > m->size)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: primary volume descriptor: volume space size (offset 80) is %u "
				     "blocks (%llu bytes), expected 1 to %llu blocks, the size of the "
				     "image (a truncated image?)", m->path, m->volume_blocks,
				     (unsigned long long)want,
				     (unsigned long long)(m->size / W2C_SECTOR));
	return W2C_OK;
}

w2c_code w2c_iso_dirs_check(w2c_media *m, w2c_error *err)
{
	struct dirwalk w = { m, "ISO 9660", (uint64_t)m->volume_blocks * W2C_SECTOR,
			     calloc(DIR_SET_SLOTS, sizeof(uint32_t)), 0, err };
	w2c_code rc = w.set ? volume_size(m, err) : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	if (!rc)
		rc = walk_dir(&w, m->pvd_root_lba, m->pvd_root_len, 0, 0);
	if (!rc && (m->fs & W2C_FS_JOLIET)) {
		memset(w.set, 0, DIR_SET_SLOTS * sizeof *w.set);
		w.n_seen = 0;
		w.tree = "Joliet";
		rc = walk_dir(&w, m->joliet_root_lba, m->joliet_root_len, 0, 0);
	}
	free(w.set);
	return rc;
}
