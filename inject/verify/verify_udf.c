/*
 * The UDF structures of the output, read directly (libudf checks no tag):
 * the anchors at 256, last-256 and last (two of the three, agreeing), every
 * descriptor of the main and reserve sequences, the integrity descriptor,
 * the file set descriptor, and every file entry and identifier reachable
 * from the root, each tag's checksum, CRC and location.  Bounded in depth,
 * entries and directory size: the image is untrusted input.
 */
#include "verify_int.h"
#include "win2cloud/build.h"

#include <stdlib.h>
#include <string.h>

#define BLK 2048u
#define MAX_DEPTH 64
#define MAX_ENTRIES (1u << 20)
#define MAX_DIR_BYTES (64u << 20)
#define MAX_LISTED 20

typedef struct udfscan {
	vctx *c;
	uint64_t blocks;
	uint32_t part_start, part_len, fsd, lvid, lvid_len, vds[2], vds_len[2];
	bool have_pd, have_lvd;
	unsigned entries, bad;
	uint64_t live;       /* directory bytes held by the walk */
} udfscan;

static void bad(udfscan *s, const char *field, const char *fmt, const char *a, const char *b)
{
	if (++s->bad <= MAX_LISTED)
		w2c_vr_finding(s->c, W2C_VERIFY_UDF, s->c->iso, field, fmt, s->c->iso, a, b);
}

/* Read block @abs and check its tag: the id, or -1 (a finding unless @quiet). */
static int tagged(udfscan *s, uint64_t abs, uint32_t loc, uint8_t *b, const char *what, bool quiet)
{
	char why[160], where[64];
	w2c_error err;
	if (abs == UINT64_MAX || abs >= s->blocks || w2c_media_pread(s->c->out, b, BLK, abs * BLK, &err)) {
		snprintf(where, sizeof where, "block %llu", (unsigned long long)abs);
		if (!quiet)
			bad(s, what, "%s: UDF %s at %s: beyond the end of the image or unreadable", what, where);
		return -1;
	}
	int id = w2c_udf_tag_check(b, BLK, loc, why, sizeof why);
	if (id < 0 && !quiet) {
		snprintf(where, sizeof where, "block %llu: %s", (unsigned long long)abs, why);
		bad(s, what, "%s: UDF %s at %s", what, where);
	}
	return id;
}

static void anchors(udfscan *s)
{
	uint8_t b[BLK];
	uint64_t at[3] = { 256, s->blocks - 257, s->blocks - 1 };
	unsigned good = 0;
	for (int k = 0; k < 3; k++) {
		if (at[k] < 257 && k)
			continue;
		bool must = k == 0;
		int id = tagged(s, at[k], (uint32_t)at[k], b, "anchor", !must);
		if (id == 2) {
			uint32_t m = w2c_le32(b + 20), ml = w2c_le32(b + 16);
			uint32_t r = w2c_le32(b + 28), rl = w2c_le32(b + 24);
			if (good && (m != s->vds[0] || r != s->vds[1] || ml != s->vds_len[0]))
				bad(s, "anchor", "%s: UDF %s points at other sequences than %s", k == 1 ?
				    "the anchor at last-256" : "the anchor at the last block", "the one at 256");
			s->vds[0] = m, s->vds_len[0] = ml, s->vds[1] = r, s->vds_len[1] = rl;
			good++;
		} else if (must && id >= 0) {
			bad(s, "anchor", "%s: UDF %s%s", "block 256 holds tag ", "other than 2 (anchor)");
		}
	}
	if (good < 2)
		bad(s, "anchor", "%s: UDF anchors: %s%s", good ? "one" : "none",
		    " valid of 256, last-256 and last, expected at least two (ECMA-167 3/8.4.2.1)");
}

/* One volume descriptor sequence; the main one also sets the partition and
 * file set (the reserve one must only be sound). */
static void sequence(udfscan *s, int which)
{
	uint8_t b[BLK];
	const char *what = which ? "reserve volume descriptor sequence" : "main volume descriptor sequence";
	for (uint32_t k = 0; k < s->vds_len[which] / BLK && k < 64; k++) {
		uint32_t at = s->vds[which] + k;
		int id = tagged(s, at, at, b, what, false);
		if (id < 0 || id == 8)
			return;
		if (which)
			continue;
		if (id == 5) {
			s->part_start = w2c_le32(b + 188);
			s->part_len = w2c_le32(b + 192);
			s->have_pd = true;
		} else if (id == 6) {
			s->fsd = w2c_le32(b + 252);
			s->lvid_len = w2c_le32(b + 432);
			s->lvid = w2c_le32(b + 436);
			s->have_lvd = true;
		}
	}
}

/* Partition block @rel as an absolute block, or UINT64_MAX outside the partition. */
static uint64_t abs_block(const udfscan *s, uint64_t rel)
{
	return rel < s->part_len ? s->part_start + rel : UINT64_MAX;
}

static void walk_dir(udfscan *s, uint32_t fe_rel, int depth, const char *path);

/* Copy the directory's data into @d (@len bytes) and note the partition
 * block each 2 KiB of it starts in; short (0), long (1) or embedded (3)
 * allocation.  Returns the bytes found. */
static uint64_t dir_read(udfscan *s, const uint8_t *fe, uint32_t fe_rel, uint8_t *d, uint64_t len,
			 uint32_t *starts)
{
	uint32_t l_ea = w2c_le32(fe + 168), l_ad = w2c_le32(fe + 172);
	unsigned type = w2c_le16(fe + 34) & 7, step = type == 0 ? 8 : 16;
	const uint8_t *ad = fe + 176 + l_ea;
	uint8_t blk[BLK];
	uint64_t got = 0;
	if (type == 3) { /* the identifiers are in the entry itself */
		uint64_t take = len < l_ad ? len : l_ad;
		memcpy(d, ad, take);
		starts[0] = fe_rel;
		return take;
	}
	for (uint32_t i = 0; i + step <= l_ad && got < len; i += step) {
		uint32_t elen = w2c_le32(ad + i) & 0x3FFFFFFF, pos = w2c_le32(ad + i + 4);
		for (uint32_t k = 0; k * BLK < elen && got < len; k++) {
			uint64_t a = abs_block(s, (uint64_t)pos + k);
			w2c_error err;
			if (a == UINT64_MAX || w2c_media_pread(s->c->out, blk, BLK, a * BLK, &err))
				return got;
			size_t take = len - got < BLK ? (size_t)(len - got) : BLK;
			memcpy(d + got, blk, take);
			starts[got / BLK] = pos + k;
			got += take;
		}
	}
	return got;
}

/* The identifiers of the directory whose entry (at partition block @fe_rel)
 * is @fe, each tag checked where it starts; subdirectories and file entries
 * followed.  Directory data held at once are bounded (a deep tree of large
 * directories in a crafted image must not exhaust memory). */
static void dir_data(udfscan *s, const uint8_t *fe, uint32_t fe_rel, int depth, const char *path)
{
	uint32_t l_ea = w2c_le32(fe + 168), l_ad = w2c_le32(fe + 172);
	unsigned type = w2c_le16(fe + 34) & 7;
	uint64_t len = w2c_le64(fe + 56);
	if ((type != 0 && type != 1 && type != 3) || 176ull + l_ea + l_ad > BLK) {
		w2c_vr_note(s->c, "UDF directory %s: allocation type %u, not checked further", path, type);
		return;
	}
	if (len > MAX_DIR_BYTES || s->live + len > MAX_DIR_BYTES) {
		bad(s, "file_entry", "%s: UDF directory %s: %s", path, "more identifier bytes than "
		    "verify reads at once (64 MiB)");
		return;
	}
	uint8_t *d = malloc(len ? len : 1), blk[BLK];
	uint32_t *starts = malloc((len / BLK + 1) * sizeof *starts);
	if (!d || !starts) {
		s->c->oom = true;
		free(d);
		free(starts);
		return;
	}
	s->live += len;
	uint64_t got = dir_read(s, fe, fe_rel, d, len, starts);
	if (got < len)
		bad(s, "file_entry", "%s: UDF directory %s: %s", path, "its identifiers lie outside the "
		    "partition or the image");
	for (uint64_t off = 0; off + 38 <= got && s->entries < MAX_ENTRIES; s->entries++) {
		char why[160], name[512];
		uint32_t size = (38u + d[off + 19] + w2c_le16(d + off + 36) + 3) & ~3u;
		if (w2c_udf_tag_check(d + off, (size_t)(got - off), starts[off / BLK], why, sizeof why) != 257) {
			snprintf(name, sizeof name, "%s (identifier at byte %llu): %s", path,
				 (unsigned long long)off, why);
			bad(s, "identifier", "%s: UDF directory %s%s", name, "");
			break;
		}
		uint8_t chars = d[off + 18];
		uint32_t child = w2c_le32(d + off + 24);
		if (!(chars & 0x0C)) { /* neither parent nor deleted */
			snprintf(name, sizeof name, "%s/#%llu", path, (unsigned long long)off);
			if (chars & 0x02 && depth < MAX_DEPTH)
				walk_dir(s, child, depth + 1, name);
			else if (!(chars & 0x02) &&
				 tagged(s, abs_block(s, child), child, blk, "file entry", false) == 261)
				s->entries++;
		}
		off += size;
	}
	s->live -= len;
	free(d);
	free(starts);
}

static void walk_dir(udfscan *s, uint32_t fe_rel, int depth, const char *path)
{
	uint8_t fe[BLK];
	uint64_t a = abs_block(s, fe_rel);
	if (a == UINT64_MAX) {
		bad(s, "file_entry", "%s: UDF directory %s: %s", path, "entry outside the partition");
		return;
	}
	int id = tagged(s, a, fe_rel, fe, "directory entry", false);
	if (id == 261)
		dir_data(s, fe, fe_rel, depth, path);
	else if (id >= 0)
		bad(s, "file_entry", "%s: UDF directory %s: %s", path, "tag is no file entry (261)");
}

w2c_code w2c_vr_check_udf(vctx *c, w2c_error *err)
{
	udfscan s = { .c = c, .blocks = w2c_media_size(c->out) / BLK };
	uint8_t b[BLK];
	(void)err;
	if (!(w2c_media_filesystems(c->out) & W2C_FS_UDF) || s.blocks < 258)
		return W2C_OK;
	anchors(&s);
	if (!s.vds_len[0])
		return W2C_OK;
	sequence(&s, 0);
	sequence(&s, 1);
	if (!s.have_pd || !s.have_lvd) {
		bad(&s, "volume_descriptors", "%s: UDF %s%s", "main volume descriptor sequence lacks ",
		    "a partition or logical volume descriptor");
		return W2C_OK;
	}
	if (s.lvid_len && tagged(&s, s.lvid, s.lvid, b, "integrity descriptor", false) != 9)
		bad(&s, "integrity", "%s: UDF %s%s", "no logical volume integrity descriptor (tag 9) ",
		    "where the logical volume descriptor points");
	uint64_t fsd = abs_block(&s, s.fsd);
	if (tagged(&s, fsd, s.fsd, b, "file set descriptor", false) != 256)
		return W2C_OK;
	walk_dir(&s, w2c_le32(b + 404), 0, "/");
	if (s.bad > MAX_LISTED)
		w2c_vr_finding(c, W2C_VERIFY_UDF, c->iso, "tags", "%s: %u UDF descriptors fail their checks "
			   "(%d listed above)", c->iso, s.bad, MAX_LISTED);
	w2c_vr_note(c, "UDF: anchors, both descriptor sequences, integrity and file set descriptors, "
		"%u file entries and identifiers checked", s.entries);
	return W2C_OK;
}

struct shared {
	vctx *c;
	w2c_media *other;
	const char *name;
	unsigned differ;
};

static int same_data(w2c_node *n, void *user)
{
	struct shared *sh = user;
	if (n->is_dir || !n->size || n->src != W2C_SRC_IMAGE || !n->n_extents)
		return 0;
	char *p = w2c_node_path(n);
	const w2c_node *o = p ? w2c_tree_lookup(w2c_media_root(sh->other), p) : NULL;
	/* a file only in UDF (--udf-only, a README-only ISO tree) shares nothing */
	if (o && !o->is_dir && o->src == W2C_SRC_IMAGE && o->n_extents &&
	    (o->extents[0].offset != n->extents[0].offset || o->size != n->size) &&
	    ++sh->differ <= MAX_LISTED)
		w2c_vr_finding(sh->c, W2C_VERIFY_UDF, p, "extent", "%s: %s: the UDF tree reads it at byte %llu "
			   "(%llu bytes), the %s tree at byte %llu (%llu bytes), expected one copy "
			   "named by both", sh->c->iso, p, (unsigned long long)n->extents[0].offset,
			   (unsigned long long)n->size, sh->name, (unsigned long long)o->extents[0].offset,
			   (unsigned long long)o->size);
	free(p);
	return 0;
}

void w2c_vr_check_udf_shared(vctx *c, w2c_media *udf, w2c_media *other, const char *name)
{
	struct shared sh = { c, other, name, 0 };
	w2c_tree_walk(w2c_media_root(udf), same_data, &sh);
	if (sh.differ > MAX_LISTED)
		w2c_vr_finding(c, W2C_VERIFY_UDF, c->iso, "extent", "%s: %u files of the UDF tree are "
			   "other data than in the %s tree (%d listed above)", c->iso, sh.differ, name,
			   MAX_LISTED);
}
