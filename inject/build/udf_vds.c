/*
 * The volume structures (ECMA-167 part 2 and 3, UDF 2.2): recognition
 * sequence after the ISO 9660 descriptors, main and reserve volume
 * descriptor sequences (primary, implementation use, partition, logical
 * volume, unallocated space, terminator), the integrity descriptor, the
 * anchors and the file set descriptor.  The partition starts at block 257,
 * just after the anchor, and ends before the anchor at last-256.
 */
#include "udf_int.h"

#include <stdio.h>
#include <string.h>

enum { TAG_PVD = 1, TAG_AVDP = 2, TAG_IUVD = 4, TAG_PD = 5, TAG_LVD = 6, TAG_USD = 7,
       TAG_TD = 8, TAG_LVID = 9, TAG_FSD = 256 };

static uint16_t ver(const w2c_udf *u) { return u->revision >= 0x0200 ? 3 : 2; }

static uint32_t part_len(const w2c_udf *u)
{
	return (uint32_t)(u->total_blocks - W2C_UDF_TAIL - W2C_UDF_PART_START);
}

static void domain_id(const w2c_udf *u, uint8_t out[32])
{
	uint8_t sfx[8];
	w2c_udf_suffix_rev(sfx, u->revision);
	w2c_udf_regid(out, "*OSTA UDF Compliant", sfx);
}

static void pvd(const w2c_udf *u, uint8_t *b, uint32_t at)
{
	char set[129];
	w2c_put32(b + 16, 0); /* sequence number */
	w2c_udf_dstring(b + 24, 32, u->label);
	w2c_put16(b + 56, 1);
	w2c_put16(b + 58, 1);
	w2c_put16(b + 60, 2); /* interchange level 2: one volume */
	w2c_put16(b + 62, 2);
	w2c_put32(b + 64, 1); /* CS0 only */
	w2c_put32(b + 68, 1);
	/* UDF 2.2.2.5: the set id starts with 16 characters unique to the volume */
	snprintf(set, sizeof set, "%08llx%08llx %s", (unsigned long long)u->now.tv_sec,
		 (unsigned long long)(u->total_blocks & 0xFFFFFFFFu), u->label);
	w2c_udf_dstring(b + 72, 128, set);
	w2c_udf_charspec(b + 200);
	w2c_udf_charspec(b + 264);
	w2c_udf_regid(b + 344, "*win2cloud", NULL);
	w2c_udf_timestamp(b + 376, &u->now);
	w2c_udf_impl_id(b + 388);
	w2c_udf_tag(b, TAG_PVD, ver(u), at, 512);
}

static void iuvd(const w2c_udf *u, uint8_t *b, uint32_t at)
{
	uint8_t sfx[8];
	w2c_put32(b + 16, 1);
	w2c_udf_suffix_rev(sfx, u->revision);
	sfx[2] = 4; /* OS class UNIX, */
	sfx[3] = 5; /* Linux (UDF 6.3) */
	w2c_udf_regid(b + 20, "*UDF LV Info", sfx);
	w2c_udf_charspec(b + 52);
	w2c_udf_dstring(b + 116, 128, u->label);
	w2c_udf_impl_id(b + 352);
	w2c_udf_tag(b, TAG_IUVD, ver(u), at, 512);
}

static void pd(const w2c_udf *u, uint8_t *b, uint32_t at)
{
	w2c_put32(b + 16, 2);
	w2c_put16(b + 20, 1); /* allocated */
	w2c_put16(b + 22, 0); /* partition number */
	w2c_udf_regid(b + 24, u->revision >= 0x0200 ? "+NSR03" : "+NSR02", NULL);
	w2c_put32(b + 184, 1); /* read only: no space bitmap needed */
	w2c_put32(b + 188, W2C_UDF_PART_START);
	w2c_put32(b + 192, part_len(u));
	w2c_udf_impl_id(b + 196);
	w2c_udf_tag(b, TAG_PD, ver(u), at, 512);
}

static void lvd(const w2c_udf *u, uint8_t *b, uint32_t at)
{
	w2c_put32(b + 16, 3);
	w2c_udf_charspec(b + 20);
	w2c_udf_dstring(b + 84, 128, u->label);
	w2c_put32(b + 212, W2C_UDF_BLOCK);
	domain_id(u, b + 216);
	w2c_put32(b + 248, W2C_UDF_BLOCK); /* the file set descriptor: */
	w2c_put32(b + 252, 0);             /* partition block 0 */
	w2c_put32(b + 264, 6);             /* map table length */
	w2c_put32(b + 268, 1);             /* one type 1 map */
	w2c_udf_impl_id(b + 272);
	w2c_put32(b + 432, 2 * W2C_UDF_BLOCK); /* integrity sequence: LVID + terminator */
	w2c_put32(b + 436, W2C_UDF_LVID);
	b[440] = 1;
	b[441] = 6;
	w2c_put16(b + 442, 1); /* volume sequence number */
	w2c_put16(b + 444, 0); /* partition number */
	w2c_udf_tag(b, TAG_LVD, ver(u), at, 446);
}

static void usd(const w2c_udf *u, uint8_t *b, uint32_t at)
{
	w2c_put32(b + 16, 4);
	w2c_udf_tag(b, TAG_USD, ver(u), at, 24);
}

static void td(const w2c_udf *u, uint8_t *b, uint32_t at)
{
	w2c_udf_tag(b, TAG_TD, ver(u), at, 512);
}

static void sequence(const w2c_udf *u, uint8_t *head, uint32_t first)
{
	void (*const make[])(const w2c_udf *, uint8_t *, uint32_t) = { pvd, iuvd, pd, lvd, usd, td };
	for (uint32_t k = 0; k < sizeof make / sizeof make[0]; k++)
		make[k](u, head + (size_t)(first + k) * W2C_UDF_BLOCK, first + k);
}

static void lvid(const w2c_udf *u, uint8_t *b)
{
	unsigned minrev = u->revision >= 0x0200 ? 0x0201 : 0x0102;
	w2c_udf_timestamp(b + 16, &u->now);
	w2c_put32(b + 28, 1);                     /* closed */
	w2c_put64(b + 40, 16 + (uint64_t)u->n);  /* next unique id */
	w2c_put32(b + 72, 1);                     /* partitions */
	w2c_put32(b + 76, 46);                    /* implementation use bytes */
	w2c_put32(b + 80, 0);                     /* free space */
	w2c_put32(b + 84, part_len(u));           /* size */
	w2c_udf_impl_id(b + 88);
	w2c_put32(b + 120, (uint32_t)u->n_files);
	w2c_put32(b + 124, (uint32_t)u->n_dirs);
	w2c_put16(b + 128, (uint16_t)minrev);     /* minimum read revision */
	w2c_put16(b + 130, (uint16_t)minrev);     /* minimum write revision */
	w2c_put16(b + 132, (uint16_t)u->revision); /* maximum write revision */
	w2c_udf_tag(b, TAG_LVID, ver(u), W2C_UDF_LVID, 134);
	td(u, b + W2C_UDF_BLOCK, W2C_UDF_LVID + 1);
}

static void fsd(const w2c_udf *u, uint8_t *b)
{
	w2c_udf_timestamp(b + 16, &u->now);
	w2c_put16(b + 28, 3);
	w2c_put16(b + 30, 3);
	w2c_put32(b + 32, 1);
	w2c_put32(b + 36, 1);
	w2c_udf_charspec(b + 48);
	w2c_udf_dstring(b + 112, 128, u->label);
	w2c_udf_charspec(b + 240);
	w2c_udf_dstring(b + 304, 32, u->label);
	w2c_put32(b + 400, W2C_UDF_BLOCK); /* root directory ICB */
	w2c_put32(b + 404, u->e[0].fe);
	domain_id(u, b + 416);
	w2c_udf_tag(b, TAG_FSD, ver(u), 0, 512);
}

void w2c_udf_anchor(const w2c_udf *u, uint8_t blk[2048], uint32_t block)
{
	memset(blk, 0, W2C_UDF_BLOCK);
	w2c_put32(blk + 16, W2C_UDF_VDS_LEN * W2C_UDF_BLOCK);
	w2c_put32(blk + 20, W2C_UDF_MAIN_VDS);
	w2c_put32(blk + 24, W2C_UDF_VDS_LEN * W2C_UDF_BLOCK);
	w2c_put32(blk + 28, W2C_UDF_RESERVE_VDS);
	w2c_udf_tag(blk, TAG_AVDP, ver(u), block, 512);
}

/* BEA01, NSR02/NSR03, TEA01 right after the ISO 9660 set terminator. */
static w2c_code recognition(const w2c_udf *u, uint8_t *head, w2c_error *err)
{
	const char *ids[3] = { "BEA01", u->revision >= 0x0200 ? "NSR03" : "NSR02", "TEA01" };
	uint32_t term = 16;
	while (term < 32 && !(head[term * W2C_UDF_BLOCK] == 0xFF &&
			      !memcmp(head + term * W2C_UDF_BLOCK + 1, "CD001", 5)))
		term++;
	if (term + 3 >= W2C_UDF_MAIN_VDS)
		return w2c_set_error(err, W2C_ERR_INTERNAL, "%s: no room for the UDF recognition "
				     "sequence after the ISO 9660 descriptors (terminator at block %u)",
				     u->out, term);
	for (uint32_t k = 0; k < 3; k++) {
		uint8_t *b = head + (term + 1 + k) * W2C_UDF_BLOCK;
		memset(b, 0, W2C_UDF_BLOCK);
		memcpy(b + 1, ids[k], 5);
		b[6] = 1;
	}
	return W2C_OK;
}

w2c_code w2c_udf_volume(w2c_udf *u, const uint8_t *iso_head, w2c_error *err)
{
	uint8_t *h = u->head;
	memcpy(h, iso_head, 32 * W2C_UDF_BLOCK);
	w2c_code rc = recognition(u, h, err);
	if (rc)
		return rc;
	sequence(u, h, W2C_UDF_MAIN_VDS);
	sequence(u, h, W2C_UDF_RESERVE_VDS);
	lvid(u, h + (size_t)W2C_UDF_LVID * W2C_UDF_BLOCK);
	w2c_udf_anchor(u, h + (size_t)W2C_UDF_ANCHOR * W2C_UDF_BLOCK, W2C_UDF_ANCHOR);
	fsd(u, h + (size_t)W2C_UDF_PART_START * W2C_UDF_BLOCK);
	return W2C_OK;
}
