/*
 * The UDF writer (udf_*.c), internal to the build stage.  build.c hands
 * libisofs the ISO 9660 + Joliet session at block N (iso_write_opts_set_ms_block)
 * and writes blocks 0..N-1 itself: the system area and ISO volume descriptors
 * libisofs leaves in its overwrite buffer, the UDF volume recognition
 * sequence, both volume descriptor sequences, the integrity descriptor, the
 * anchor at 256 and every UDF file entry and directory.  The UDF file entries
 * point at the data blocks libisofs writes, so every tree shares one copy.
 * See docs/architecture.md, "UDF writer".
 */
#ifndef W2C_INJECT_BUILD_UDF_INT_H
#define W2C_INJECT_BUILD_UDF_INT_H

#include "win2cloud/build.h"
#include "win2cloud/media.h"
#include "common/util.h"
#include "common/endian.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define W2C_UDF_BLOCK 2048u
#define W2C_UDF_ANCHOR 256u
/* An allocation descriptor's extent holds less than 1 GiB (30-bit length);
 * the largest multiple of the block size below that. */
#define W2C_UDF_EXTENT_MAX 0x3FFFF800u
/* Where the fixed descriptors go (absolute blocks). */
#define W2C_UDF_MAIN_VDS 32u
#define W2C_UDF_RESERVE_VDS 48u
#define W2C_UDF_VDS_LEN 16u
#define W2C_UDF_LVID 64u
#define W2C_UDF_PART_START 257u
/* The session's tail: an anchor at last-256 and at the last block. */
#define W2C_UDF_TAIL 257u

/* ---- tags, checksums, common fields (udf_tag.c) ---- */
/* Fill the 16-byte tag at @d: the CRC covers d[16..@len). */
void w2c_udf_tag(uint8_t *d, uint16_t id, uint16_t version, uint32_t location, size_t len);
/* ECMA-167 1/7.3 timestamp, UTC. */
void w2c_udf_timestamp(uint8_t out[12], const struct timespec *t);
/* An EntityID ("*OSTA UDF Compliant", "+NSR02", ...) with an 8-byte suffix. */
void w2c_udf_regid(uint8_t out[32], const char *id, const uint8_t suffix[8]);
/* The UDF domain/identifier suffix for @revision (BCD, 0x0102). */
void w2c_udf_suffix_rev(uint8_t out[8], unsigned revision);
/* Our implementation identifier ("*win2cloud", OS class UNIX, Linux). */
void w2c_udf_impl_id(uint8_t out[32]);
/* The CS0 character set: type 0, "OSTA Compressed Unicode". */
void w2c_udf_charspec(uint8_t out[64]);
static inline void w2c_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void w2c_put32(uint8_t *p, uint32_t v)
{
	w2c_put16(p, (uint16_t)v);
	w2c_put16(p + 2, (uint16_t)(v >> 16));
}
static inline void w2c_put64(uint8_t *p, uint64_t v)
{
	w2c_put32(p, (uint32_t)v);
	w2c_put32(p + 4, (uint32_t)(v >> 32));
}

/* ---- OSTA CS0 names (udf_name.c) ---- */
/* Encode UTF-8 @s as CS0 into @out (compression id 8 when every character is
 * ASCII, else 16 = UCS-2 big endian, surrogate pairs above the BMP).  Returns
 * the bytes written (compression id included), -1 for invalid UTF-8, -2 when
 * more than @cap bytes would be needed. */
int w2c_udf_cs0(const char *s, uint8_t *out, size_t cap);
/* A dstring field of @len bytes (last byte = bytes used); cut at a character
 * boundary when too long.  Returns true when @s fitted whole. */
bool w2c_udf_dstring(uint8_t *field, size_t len, const char *s);

/* ---- the layout (udf_layout.c) ---- */
typedef struct w2c_udf_entry {
	const w2c_node *n;
	uint32_t parent;     /* index of the parent directory's entry */
	uint32_t fe;         /* partition block of the file entry */
	uint32_t fid_block;  /* directories: first block of the identifiers */
	uint32_t fid_len;    /* directories: bytes of identifiers */
	uint32_t n_subdirs;
	uint64_t lba;        /* files: first data block (absolute), from libisofs's order */
	uint8_t cs0[255];    /* the name as written */
	uint8_t cs0_len;
	/* set by the stream libisofs reads: the file's first bytes, to check the
	 * predicted block when it passes through the writer */
	uint8_t first[64];
	bool first_seen;
} w2c_udf_entry;

typedef struct w2c_udf {
	unsigned revision;           /* BCD: 0x0102 or 0x0201 */
	uint32_t head_blocks;        /* N: blocks 0..N-1 are ours, libisofs starts at N */
	uint32_t meta_blocks;        /* partition blocks before N (FSD, entries, identifiers) */
	uint64_t total_blocks;       /* the whole image, tail included */
	w2c_udf_entry *e;            /* directories and files, depth first, root first */
	size_t n, cap;
	uint64_t n_files, n_dirs;
	char label[128];             /* logical volume id (UTF-8) */
	struct timespec now;
	uint8_t *head;               /* head_blocks * 2048 */
	size_t next_check;           /* the pump's position in e[] */
	const char *out;
} w2c_udf;

/* Lay the tree of @root out (skipping @skip); N follows. */
w2c_code w2c_udf_layout(w2c_udf *u, const w2c_node *root, const w2c_node *skip, w2c_error *err);
/* Data blocks of the files, in the order the build gives libisofs its sort
 * weights: the first at @first_lba, each after the one before. */
void w2c_udf_assign_lbas(w2c_udf *u, uint64_t first_lba);
void w2c_udf_free(w2c_udf *u);

/* ---- file entries and identifiers (udf_fe.c) ---- */
/* The file entry of e[@i] into @blk (one block). */
w2c_code w2c_udf_file_entry(const w2c_udf *u, size_t i, uint8_t *blk, w2c_error *err);
/* Bytes of the identifier of a child named @cs0_len bytes. */
uint32_t w2c_udf_fid_size(unsigned cs0_len);
/* The identifiers of directory e[@i] into @buf (fid_len bytes, zeroed). */
void w2c_udf_dir_fids(const w2c_udf *u, size_t i, uint8_t *buf);

/* ---- volume structures (udf_vds.c) ---- */
/* Recognition sequence, both descriptor sequences, integrity descriptor,
 * anchor at 256 and the file set descriptor into u->head; @iso_head holds
 * libisofs's 32 overwrite blocks (system area, ISO descriptors). */
w2c_code w2c_udf_volume(w2c_udf *u, const uint8_t *iso_head, w2c_error *err);
/* The anchor as it goes at @block (256, last-256, last). */
void w2c_udf_anchor(const w2c_udf *u, uint8_t blk[2048], uint32_t block);

#endif
