/*
 * Our own bounded walk of a UDF volume: anchor -> volume descriptors ->
 * file set -> every file entry and file identifier descriptor, each tag
 * checked (id, checksum, CRC, location), every length field checked against
 * the block it lives in and every extent against the partition.
 *
 * Why: libudf follows L_EA/L_AD and allocation descriptors unchecked (an
 * L_EA of 0xFFFFFF in the root entry crashes it inside udf_get_root), drops
 * a directory whose FID fails its tag without saying so, and assumes
 * 2048-byte blocks.  So the walk runs before libudf sees the image; on
 * volumes with other block sizes (512 on hard-disk images Windows 7 writes)
 * it also builds the tree, which libudf cannot read at all.
 */
#include "media_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UDF_MAX_DEPTH 255
#define UDF_MAX_PATH 4096
#define UDF_MAX_ENTRIES (1u << 20)
#define UDF_MAX_DIR_BYTES (16u << 20)
#define UDF_MAX_EXTENTS 4096

enum { TAG_PD = 5, TAG_LVD = 6, TAG_TERM = 8, TAG_FSD = 256, TAG_FID = 257, TAG_FE = 261,
       TAG_EFE = 266 };
enum { FID_HIDDEN = 1, FID_DIR = 2, FID_DELETED = 4, FID_PARENT = 8 };

struct udfw {
	w2c_media *m;
	unsigned bs;
	uint64_t part_start, part_len; /* blocks */
	bool build;
	uint32_t *dirs;                /* ICB blocks of directories met so far */
	size_t n_dirs, n_entries;
	w2c_error *err;
};

/* One file entry, its lengths checked. */
struct fe {
	uint32_t lbn;
	bool is_dir;
	uint64_t size;
	unsigned ad_type;
	const uint8_t *ad;  /* into blk */
	uint32_t l_ad;
	struct timespec mtime, atime, ctime;
	uint8_t blk[4096];
};

/* "FILE: UDF WHAT at block B (offset O): field FIELD is GOT, expected EXPECTED" */
static w2c_code bad(struct udfw *w, uint64_t block, const char *what, const char *field,
		    unsigned long long got, const char *expected)
{
	return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
			     "%s: UDF %s at block %llu (offset %llu): field %s is %llu, expected %s",
			     w->m->path, what, (unsigned long long)block,
			     (unsigned long long)block * w->bs, field, got, expected);
}

/* ECMA-167 3/7.2: a descriptor tag.  @avail bytes of @d are readable; @abs
 * is the image block (for messages), @loc the location the tag must hold. */
static w2c_code tag_check(struct udfw *w, const uint8_t *d, size_t avail, uint16_t id,
			  uint32_t loc, uint64_t abs, const char *what)
{
	uint8_t sum = 0;
	char msg[160];
	for (int i = 0; i < 16; i++)
		sum = (uint8_t)(sum + (i == 4 ? 0 : d[i]));
	uint16_t crc_len = w2c_le16(d + 10);
	const char *field = NULL;
	if (w2c_le16(d) != id)
		snprintf(msg, sizeof msg, "tag identifier is %u, expected %u", w2c_le16(d), id), field = msg;
	else if (d[4] != sum)
		snprintf(msg, sizeof msg, "tag checksum is 0x%02x, expected 0x%02x", d[4], sum), field = msg;
	else if (16u + crc_len > avail)
		snprintf(msg, sizeof msg, "descriptor CRC length %u exceeds the %zu-byte descriptor",
			 crc_len, avail), field = msg;
	else if (w2c_udf_crc(d + 16, crc_len) != w2c_le16(d + 8))
		snprintf(msg, sizeof msg, "descriptor CRC is 0x%04x, expected 0x%04x", w2c_le16(d + 8),
			 w2c_udf_crc(d + 16, crc_len)), field = msg;
	else if (w2c_le32(d + 12) != loc)
		snprintf(msg, sizeof msg, "tag location is %u, expected %u", w2c_le32(d + 12), loc),
			field = msg;
	if (!field)
		return W2C_OK;
	return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT, "%s: UDF %s at block %llu (offset %llu): %s",
			     w->m->path, what, (unsigned long long)abs,
			     (unsigned long long)abs * w->bs, field);
}

static w2c_code read_abs(struct udfw *w, uint64_t block, uint8_t *buf)
{
	if ((block + 1) * w->bs > w->m->size)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF block %llu lies beyond the end of the image (%llu bytes)",
				     w->m->path, (unsigned long long)block,
				     (unsigned long long)w->m->size);
	return w2c_pread_full(w->m->fd, buf, w->bs, block * w->bs, w->m->path, w->err);
}

/* Anchor at block 256 for the first block size whose anchor tag verifies. */
static bool find_anchor(struct udfw *w, uint8_t *b)
{
	static const unsigned sizes[] = { 2048, 512, 1024, 4096 };
	w2c_error quiet = { 0 };
	w2c_error *keep = w->err;
	bool ok = false;

	w->err = &quiet;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && !ok; i++) {
		w->bs = sizes[i];
		ok = !read_abs(w, 256, b) && !tag_check(w, b, w->bs, 2, 256, 256, "anchor");
	}
	w->err = keep;
	return ok;
}

/* One type 1 partition map: sparable, virtual and metadata partitions (type 2
 * maps: CD-RW, UDF 2.50+) would remap every block address the walk follows. */
static w2c_code partition_maps(struct udfw *w, const uint8_t *lvd, uint64_t block)
{
	uint32_t table = w2c_le32(lvd + 264), n = w2c_le32(lvd + 268);
	for (uint32_t i = 0, p = 440; i < n; i++) {
		if (table > w->bs - 440 || p + 2 > 440 + table || lvd[p + 1] < 2)
			return bad(w, block, "logical volume descriptor", "partition map length",
				   table, "maps within the descriptor");
		if (lvd[p] != 1)
			return w2c_set_error(w->err, W2C_ERR_UNSUPPORTED,
					     "%s: UDF logical volume descriptor at block %llu: partition "
					     "map %u is of type %u (sparable, virtual or metadata "
					     "partition, UDF 2.50+): not supported, expected type 1",
					     w->m->path, (unsigned long long)block, i, lvd[p]);
		p += lvd[p + 1];
	}
	return W2C_OK;
}

static w2c_code volume(struct udfw *w, uint32_t *fsd)
{
	uint8_t b[4096];
	bool pd = false, lvd = false;

	if (!find_anchor(w, b))
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF anchor volume descriptor pointer at block 256: no valid tag "
				     "(id 2) for block size 2048, 512, 1024 or 4096", w->m->path);
	uint32_t len = w2c_le32(b + 16), loc = w2c_le32(b + 20);
	for (uint32_t k = 0; k < len / w->bs && k < 64 && !(pd && lvd); k++) {
		w2c_code rc = read_abs(w, (uint64_t)loc + k, b);
		if (rc || (rc = tag_check(w, b, w->bs, w2c_le16(b), loc + k, (uint64_t)loc + k,
					   "volume descriptor")))
			return rc;
		if (w2c_le16(b) == TAG_TERM)
			break;
		if (w2c_le16(b) == TAG_PD && !pd) {
			w->part_start = w2c_le32(b + 188);
			w->part_len = w2c_le32(b + 192);
			pd = true;
		} else if (w2c_le16(b) == TAG_LVD && !lvd) {
			if (w2c_le32(b + 212) != w->bs)
				return bad(w, (uint64_t)loc + k, "logical volume descriptor",
					   "logical block size", w2c_le32(b + 212),
					   "the block size of the anchor");
			*fsd = w2c_le32(b + 252);
			lvd = true;
			if ((rc = partition_maps(w, b, (uint64_t)loc + k)))
				return rc;
		}
	}
	if (!pd || !lvd)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF main volume descriptor sequence at block %u: expected a "
				     "partition descriptor and a logical volume descriptor", w->m->path, loc);
	if ((w->part_start + w->part_len) * w->bs > w->m->size)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF partition (blocks %llu..%llu) lies beyond the end of the "
				     "image (%llu bytes)", w->m->path, (unsigned long long)w->part_start,
				     (unsigned long long)(w->part_start + w->part_len),
				     (unsigned long long)w->m->size);
	return W2C_OK;
}

static w2c_code read_lbn(struct udfw *w, uint32_t lbn, uint8_t *buf, const char *what)
{
	if (lbn >= w->part_len)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF %s at partition block %u: outside the %llu-block partition",
				     w->m->path, what, lbn, (unsigned long long)w->part_len);
	return read_abs(w, w->part_start + lbn, buf);
}

/* ECMA-167 1/7.3 timestamp: type/zone, year, month, day, h, m, s. */
static struct timespec udf_time(const uint8_t *t)
{
	struct tm tm = { .tm_year = w2c_le16(t + 2) - 1900, .tm_mon = t[4] - 1, .tm_mday = t[5],
			 .tm_hour = t[6], .tm_min = t[7], .tm_sec = t[8] };
	int16_t tz = (int16_t)(w2c_le16(t) << 4) >> 4; /* 12-bit signed minutes */
	time_t s = timegm(&tm);
	if ((w2c_le16(t) >> 12) == 1 && tz != -2047)
		s -= (time_t)tz * 60;
	return (struct timespec){ s, 0 };
}

static w2c_code read_fe(struct udfw *w, uint32_t lbn, struct fe *f)
{
	w2c_code rc = read_lbn(w, lbn, f->blk, "file entry");
	uint64_t abs = w->part_start + lbn;
	if (rc)
		return rc;
	bool ext = w2c_le16(f->blk) == TAG_EFE;
	if ((rc = tag_check(w, f->blk, w->bs, ext ? TAG_EFE : TAG_FE, lbn, abs, "file entry")))
		return rc;
	unsigned base = ext ? 216 : 176;
	uint32_t l_ea = w2c_le32(f->blk + base - 8), l_ad = w2c_le32(f->blk + base - 4);
	if ((uint64_t)base + l_ea + l_ad > w->bs) {
		char field[96];
		snprintf(field, sizeof field, "L_EA (%u) + L_AD (%u) at offset %u", l_ea, l_ad, base - 8);
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF file entry at block %llu (offset %llu): %s exceed the "
				     "%u-byte block after its %u-byte header", w->m->path,
				     (unsigned long long)abs, (unsigned long long)abs * w->bs, field,
				     w->bs, base);
	}
	f->lbn = lbn;
	f->is_dir = f->blk[16 + 11] == 4;
	f->ad_type = w2c_le16(f->blk + 16 + 18) & 7;
	f->size = w2c_le64(f->blk + 56);
	f->ad = f->blk + base + l_ea;
	f->l_ad = l_ad;
	f->atime = udf_time(f->blk + (ext ? 80 : 72));
	f->mtime = udf_time(f->blk + (ext ? 92 : 84));
	f->ctime = udf_time(f->blk + (ext ? 116 : 96));
	return W2C_OK;
}

/* Each allocation descriptor of @f, in order: (kind, partition block, bytes). */
typedef w2c_code (*ad_fn)(struct udfw *w, void *user, unsigned kind, uint32_t pos, uint32_t len);

static w2c_code each_ad(struct udfw *w, const struct fe *f, ad_fn fn, void *user)
{
	uint64_t abs = w->part_start + f->lbn, left = f->size;
	unsigned step = f->ad_type == 0 ? 8 : f->ad_type == 1 ? 16 : 0;
	if (f->ad_type == 3) {
		if (f->l_ad < f->size)
			return bad(w, abs, "file entry", "L_AD (embedded data)", f->l_ad,
				   "at least the information length");
		return W2C_OK;
	}
	if (!step)
		return w2c_set_error(w->err, W2C_ERR_UNSUPPORTED,
				     "%s: UDF file entry at block %llu uses allocation descriptor type "
				     "%u (extended): not supported", w->m->path, (unsigned long long)abs,
				     f->ad_type);
	unsigned n = 0;
	for (uint32_t i = 0; i + step <= f->l_ad && left; i += step, n++) {
		uint32_t raw = w2c_le32(f->ad + i), len = raw & 0x3FFFFFFF, kind = raw >> 30;
		uint32_t pos = w2c_le32(f->ad + i + 4);
		if (!len)
			break;
		if (kind == 3 || n >= UDF_MAX_EXTENTS)
			return w2c_set_error(w->err, W2C_ERR_UNSUPPORTED,
					     "%s: UDF file entry at block %llu: allocation descriptor %u "
					     "continues in another extent (or more than %u): not supported",
					     w->m->path, (unsigned long long)abs, n, UDF_MAX_EXTENTS);
		if (step == 16 && w2c_le16(f->ad + i + 8) != 0)
			return bad(w, abs, "file entry", "allocation descriptor partition reference",
				   w2c_le16(f->ad + i + 8), "0 (the only partition)");
		if (kind == 0 && (uint64_t)pos + (len + w->bs - 1) / w->bs > w->part_len) {
			char field[128];
			snprintf(field, sizeof field, "allocation descriptor %u (block %u, %u bytes) "
				 "outside the %llu-block partition", n, pos, len,
				 (unsigned long long)w->part_len);
			return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
					     "%s: UDF file entry at block %llu (offset %llu): %s",
					     w->m->path, (unsigned long long)abs,
					     (unsigned long long)abs * w->bs, field);
		}
		uint32_t take = len < left ? len : (uint32_t)left;
		w2c_code rc = fn(w, user, kind, pos, take);
		if (rc)
			return rc;
		left -= take;
	}
	if (left)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF file entry at block %llu: allocation descriptors cover %llu "
				     "of the %llu bytes of its information length", w->m->path,
				     (unsigned long long)abs, (unsigned long long)(f->size - left),
				     (unsigned long long)f->size);
	return W2C_OK;
}

static w2c_code node_extent(struct udfw *w, void *user, unsigned kind, uint32_t pos, uint32_t len)
{
	w2c_node *n = user;
	uint64_t off = kind ? UINT64_MAX : (w->part_start + pos) * w->bs;
	if (n->n_extents && off != UINT64_MAX &&
	    n->extents[n->n_extents - 1].offset + n->extents[n->n_extents - 1].length == off) {
		n->extents[n->n_extents - 1].length += len;
		return W2C_OK;
	}
	w2c_extent *e = realloc(n->extents, (n->n_extents + 1) * sizeof *e);
	if (!e)
		return w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
	n->extents = e;
	e[n->n_extents++] = (w2c_extent){ off, len };
	return W2C_OK;
}

static w2c_code ad_none(struct udfw *w, void *user, unsigned kind, uint32_t pos, uint32_t len)
{
	(void)w, (void)user, (void)kind, (void)pos, (void)len;
	return W2C_OK; /* validation only: each_ad checked the descriptor */
}

/* Directory data: its bytes, and per block the partition block it came from
 * (a FID's tag location is the block its tag starts in). */
struct dirbuf {
	uint8_t *data;
	uint32_t *lbn;
	size_t len;
};

static w2c_code dir_extent(struct udfw *w, void *user, unsigned kind, uint32_t pos, uint32_t len)
{
	struct dirbuf *d = user;
	if (kind || d->len + len > UDF_MAX_DIR_BYTES)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF directory at partition block %u: %s", w->m->path, pos,
				     kind ? "unrecorded extent, expected recorded directory data"
					  : "larger than 16 MiB");
	size_t blocks = (d->len + len + w->bs - 1) / w->bs + 1;
	uint8_t *nd = realloc(d->data, blocks * w->bs);
	uint32_t *nl = nd ? realloc(d->lbn, blocks * sizeof *nl) : NULL;
	if (nd)
		d->data = nd;
	if (!nl)
		return w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
	d->lbn = nl;
	for (size_t i = (d->len + w->bs - 1) / w->bs; i < blocks; i++)
		nl[i] = pos; /* overwritten below; never left unset */
	for (uint32_t k = 0; k * w->bs < len; k++) {
		w2c_code rc = read_lbn(w, pos + k, d->data + d->len + (size_t)k * w->bs, "directory");
		if (rc)
			return rc;
		/* a FID may start mid-block when an extent is not block-aligned: rare, and
		 * then the location check names the block we computed */
		d->lbn[(d->len + (size_t)k * w->bs) / w->bs] = pos + k;
	}
	d->len += len;
	return W2C_OK;
}

static w2c_code walk_dir(struct udfw *w, const struct fe *f, w2c_node *dir, int depth, size_t plen);

static char *fid_name(const uint8_t *id, unsigned lfi)
{
	if (lfi < 2 || (id[0] != 8 && id[0] != 16))
		return NULL;
	if (id[0] == 16)
		return (lfi - 1) % 2 ? NULL : w2c_ucs2be_to_utf8(id + 1, lfi - 1u);
	char *out = malloc((size_t)lfi * 2), *o = out;
	for (unsigned i = 1; out && i < lfi; i++) {
		if (id[i] < 0x80) {
			*o++ = (char)id[i];
		} else {
			*o++ = (char)(0xC0 | id[i] >> 6);
			*o++ = (char)(0x80 | (id[i] & 0x3F));
		}
	}
	if (o)
		*o = 0;
	return out;
}

static bool name_ok(const char *s)
{
	return *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/');
}

/* Seen-before for directory ICBs: a directory reached twice is a loop. */
static w2c_code enter_dir(struct udfw *w, uint32_t lbn)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		if (w->dirs[i] == lbn)
			return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
					     "%s: UDF directory file entry at block %llu is reached "
					     "twice: the directory tree has a loop", w->m->path,
					     (unsigned long long)(w->part_start + lbn));
	if (!(w->n_dirs & (w->n_dirs + 1)) || !w->dirs) {
		uint32_t *d = realloc(w->dirs, (w->n_dirs + 1) * 2 * sizeof *d);
		if (!d)
			return w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
		w->dirs = d;
	}
	w->dirs[w->n_dirs++] = lbn;
	return W2C_OK;
}

static w2c_code file_data(struct udfw *w, const struct fe *f, w2c_node *n)
{
	w2c_code rc = each_ad(w, f, n && f->ad_type != 3 ? node_extent : ad_none, n);
	if (rc || !n)
		return rc;
	n->size = f->size;
	if (f->ad_type != 3) {
		n->src = W2C_SRC_IMAGE;
		return W2C_OK;
	}
	n->src = W2C_SRC_MEMORY; /* embedded data: each_ad checked L_AD >= size */
	if (!(n->data = malloc(f->size ? f->size : 1)))
		return w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
	memcpy(n->data, f->ad, f->size);
	return W2C_OK;
}

static w2c_code child(struct udfw *w, const uint8_t *fid, const char *name, w2c_node *dir,
		      int depth, size_t plen)
{
	struct fe *f = malloc(sizeof *f);
	w2c_node *n = NULL;
	w2c_code rc = f ? W2C_OK : w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");

	if (!rc && ++w->n_entries > UDF_MAX_ENTRIES)
		rc = w2c_set_error(w->err, W2C_ERR_INVALID_INPUT, "%s: UDF volume has more than %u "
				   "entries", w->m->path, UDF_MAX_ENTRIES);
	if (!rc && w2c_le16(fid + 28) != 0)
		rc = w2c_set_error(w->err, W2C_ERR_INVALID_INPUT, "%s: UDF entry '%s': ICB partition "
				   "reference %u, expected 0 (the only partition)", w->m->path, name,
				   w2c_le16(fid + 28));
	if (!rc)
		rc = read_fe(w, w2c_le32(fid + 24), f);
	if (!rc && f->is_dir != !!(fid[18] & FID_DIR))
		rc = w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				   "%s: UDF entry '%s': its identifier says %s, its file entry at block "
				   "%llu says %s", w->m->path, name, fid[18] & FID_DIR ? "directory" : "file",
				   (unsigned long long)(w->part_start + f->lbn),
				   f->is_dir ? "directory" : "file");
	if (!rc && w->build) {
		if (!(n = w2c_node_new(name, f->is_dir)) || (rc = w2c_node_add(dir, n, w->err))) {
			w2c_node_free(n);
			n = NULL;
			rc = rc ? rc : w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
		} else {
			n->hidden = fid[18] & FID_HIDDEN;
			n->mtime = f->mtime, n->atime = f->atime, n->ctime = f->ctime;
		}
	}
	if (!rc && f->is_dir)
		rc = walk_dir(w, f, n, depth + 1, plen);
	else if (!rc)
		rc = file_data(w, f, n);
	free(f);
	return rc;
}

static w2c_code dir_data(struct udfw *w, const struct fe *f, struct dirbuf *d)
{
	if (f->ad_type != 3)
		return each_ad(w, f, dir_extent, d);
	w2c_code rc = each_ad(w, f, ad_none, NULL); /* embedded: L_AD >= size */
	if (!rc && (!(d->data = malloc(f->size ? f->size : 1)) || !(d->lbn = malloc(sizeof *d->lbn))))
		rc = w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
	if (!rc) {
		memcpy(d->data, f->ad, f->size);
		d->len = f->size;
		d->lbn[0] = f->lbn; /* every FID of an embedded directory is in the entry's block */
	}
	return rc;
}

static w2c_code fid_at(struct udfw *w, const struct fe *f, const struct dirbuf *d, size_t p,
		       size_t *flen)
{
	uint32_t loc = f->ad_type == 3 ? f->lbn : d->lbn[p / w->bs];
	uint64_t abs = w->part_start + loc;
	if (d->len - p < 38)
		return bad(w, abs, "file identifier descriptor", "length", d->len - p,
			   "at least 38 bytes left in the directory");
	w2c_code rc = tag_check(w, d->data + p, d->len - p, TAG_FID, loc, abs,
				"file identifier descriptor");
	if (rc)
		return rc;
	*flen = (38u + w2c_le16(d->data + p + 36) + d->data[p + 19] + 3u) & ~3u;
	if (*flen > d->len - p)
		return bad(w, abs, "file identifier descriptor", "L_IU + L_FI", *flen - 38,
			   "within the directory's information length");
	return W2C_OK;
}

static w2c_code walk_dir(struct udfw *w, const struct fe *f, w2c_node *dir, int depth, size_t plen)
{
	struct dirbuf d = { 0 };
	w2c_code rc = W2C_OK;

	if (depth > UDF_MAX_DEPTH)
		return w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF directory at block %llu is %d levels deep: expected at most "
				     "%d", w->m->path, (unsigned long long)(w->part_start + f->lbn), depth,
				     UDF_MAX_DEPTH);
	if ((rc = enter_dir(w, f->lbn)) || (rc = dir_data(w, f, &d)))
		goto out;
	for (size_t p = 0, flen = 0; !rc && p < d.len; p += flen) {
		const uint8_t *fid = d.data + p;
		if ((rc = fid_at(w, f, &d, p, &flen)) || (fid[18] & (FID_DELETED | FID_PARENT)))
			continue;
		char *name = fid_name(fid + 38 + w2c_le16(fid + 36), fid[19]);
		uint64_t abs = w->part_start + (f->ad_type == 3 ? f->lbn : d.lbn[p / w->bs]);
		if (!name || !name_ok(name))
			rc = w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
					   "%s: UDF file identifier at block %llu: name '%s' is not a "
					   "valid file name (expected CS0 with compression id 8 or 16, "
					   "not empty, '.', '..' or containing '/')", w->m->path,
					   (unsigned long long)abs, name ? name : "(undecodable)");
		else if (plen + 1 + strlen(name) > UDF_MAX_PATH)
			rc = w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
					   "%s: UDF path to '%s' (block %llu) is longer than %d bytes",
					   w->m->path, name, (unsigned long long)abs, UDF_MAX_PATH);
		else
			rc = child(w, fid, name, dir, depth, plen + 1 + strlen(name));
		free(name);
	}
out:
	free(d.data);
	free(d.lbn);
	return rc;
}

w2c_code w2c_udf_walk(w2c_media *m, bool build, unsigned *block_size, w2c_error *err)
{
	struct udfw w = { .m = m, .build = build, .err = err };
	uint8_t b[4096];
	uint32_t fsd = 0;
	struct fe *root = malloc(sizeof *root);
	w2c_code rc = root ? volume(&w, &fsd) : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	if (!rc)
		rc = read_lbn(&w, fsd, b, "file set descriptor");
	if (!rc)
		rc = tag_check(&w, b, w.bs, TAG_FSD, fsd, w.part_start + fsd, "file set descriptor");
	if (!rc && w2c_le16(b + 408) != 0)
		rc = bad(&w, w.part_start + fsd, "file set descriptor",
			 "root directory ICB partition reference", w2c_le16(b + 408), "0");
	if (!rc)
		rc = read_fe(&w, w2c_le32(b + 404), root);
	if (!rc && !root->is_dir)
		rc = bad(&w, w.part_start + root->lbn, "root file entry", "file type",
			 root->blk[16 + 11], "4 (a directory)");
	if (!rc && build) {
		if (!(m->root = w2c_node_new("", true)))
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		else
			m->root->mtime = root->mtime, m->root->atime = root->atime,
			m->root->ctime = root->ctime;
	}
	if (!rc)
		rc = walk_dir(&w, root, build ? m->root : NULL, 0, 0);
	if (block_size)
		*block_size = w.bs;
	free(root);
	free(w.dirs);
	return rc;
}
