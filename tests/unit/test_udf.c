/* Unit tests of the UDF writer's pieces: the tag CRC and checksum against the
 * values ECMA-167 gives, OSTA CS0 names, timestamps, and a file entry of a
 * file over 4 GiB (allocation descriptors each under 1 GiB). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "inject/build/udf_int.h"

#include <stdlib.h>
#include <string.h>

static void test_crc_standard_values(void **state)
{
	(void)state;
	/* ECMA-167 1/7.2.6: the CRC of #70 #6A #77 is #3299 */
	static const uint8_t ecma[3] = { 0x70, 0x6A, 0x77 };
	assert_int_equal(w2c_udf_crc(ecma, 3), 0x3299);
	/* CRC-ITU-T with initial value 0 (CRC-16/XMODEM check value) */
	assert_int_equal(w2c_udf_crc("123456789", 9), 0x31C3);
	assert_int_equal(w2c_udf_crc("", 0), 0);
}

static void test_tag_roundtrip_and_damage(void **state)
{
	uint8_t d[512] = { 0 };
	char why[128];
	(void)state;
	memcpy(d + 24, "payload", 7);
	w2c_udf_tag(d, 2, 2, 256, 512);
	assert_int_equal(w2c_le16(d), 2);
	assert_int_equal(w2c_le16(d + 10), 496);
	assert_int_equal(w2c_le32(d + 12), 256);
	assert_int_equal(w2c_le16(d + 8), w2c_udf_crc(d + 16, 496));
	unsigned sum = 0;
	for (int i = 0; i < 16; i++)
		sum += i == 4 ? 0 : d[i];
	assert_int_equal(d[4], sum & 0xFF);
	assert_int_equal(w2c_udf_tag_check(d, sizeof d, 256, why, sizeof why), 2);
	/* wrong place, damaged body, damaged tag: each named */
	assert_int_equal(w2c_udf_tag_check(d, sizeof d, 257, why, sizeof why), -1);
	assert_non_null(strstr(why, "location 256, expected 257"));
	d[100] ^= 1;
	assert_int_equal(w2c_udf_tag_check(d, sizeof d, 256, why, sizeof why), -1);
	assert_non_null(strstr(why, "CRC"));
	d[100] ^= 1;
	d[6] ^= 1;
	assert_int_equal(w2c_udf_tag_check(d, sizeof d, 256, why, sizeof why), -1);
	assert_non_null(strstr(why, "checksum"));
	d[6] ^= 1;
	/* a CRC length past what was read */
	assert_int_equal(w2c_udf_tag_check(d, 100, 256, why, sizeof why), -1);
	assert_non_null(strstr(why, "CRC length 496"));
}

static void test_cs0_names(void **state)
{
	uint8_t out[255];
	(void)state;
	/* ASCII: compression id 8, case kept */
	assert_int_equal(w2c_udf_cs0("Setup.EXE", out, sizeof out), 10);
	assert_int_equal(out[0], 8);
	assert_memory_equal(out + 1, "Setup.EXE", 9);
	/* anything else: 16-bit big endian */
	static const uint8_t gr[] = { 16, 0, 'G', 0, 'r', 0, 0xF6, 0, 0xDF, 0, 'e' };
	assert_int_equal(w2c_udf_cs0("Gr\xC3\xB6\xC3\x9F" "e", out, sizeof out), sizeof gr);
	assert_memory_equal(out, gr, sizeof gr);
	/* U+1F600 as a surrogate pair D83D DE00 */
	static const uint8_t smile[] = { 16, 0xD8, 0x3D, 0xDE, 0x00 };
	assert_int_equal(w2c_udf_cs0("\xF0\x9F\x98\x80", out, sizeof out), sizeof smile);
	assert_memory_equal(out, smile, sizeof smile);
	/* 254 ASCII characters fit an identifier (255 bytes), 255 do not */
	char longname[260];
	memset(longname, 'a', 255);
	longname[255] = 0;
	assert_int_equal(w2c_udf_cs0(longname, out, sizeof out), -2);
	longname[254] = 0;
	assert_int_equal(w2c_udf_cs0(longname, out, sizeof out), 255);
	/* malformed UTF-8: a lone continuation byte, an overlong form, a surrogate */
	assert_int_equal(w2c_udf_cs0("a\x80", out, sizeof out), -1);
	assert_int_equal(w2c_udf_cs0("\xC0\xAF", out, sizeof out), -1);
	assert_int_equal(w2c_udf_cs0("\xED\xA0\x80", out, sizeof out), -1);
}

static void test_dstring(void **state)
{
	uint8_t f[32];
	(void)state;
	assert_true(w2c_udf_dstring(f, sizeof f, "CCCOMA_X64FRE_EN-US_DV9"));
	assert_int_equal(f[0], 8);
	assert_int_equal(f[31], 24);
	assert_memory_equal(f + 1, "CCCOMA_X64FRE_EN-US_DV9", 23);
	/* 40 characters: cut to the 30 that fit (31 bytes with the id) */
	assert_false(w2c_udf_dstring(f, sizeof f, "0123456789012345678901234567890123456789"));
	assert_int_equal(f[31], 31);
	assert_true(w2c_udf_dstring(f, sizeof f, ""));
	assert_int_equal(f[31], 0);
}

static void test_timestamp(void **state)
{
	uint8_t t[12];
	struct timespec ts = { 1577934245, 123456000 }; /* 2020-01-02 03:04:05.123456 UTC */
	(void)state;
	w2c_udf_timestamp(t, &ts);
	static const uint8_t want[12] = { 0x00, 0x10, 0xE4, 0x07, 1, 2, 3, 4, 5, 12, 34, 56 };
	assert_memory_equal(t, want, 12);
}

/* A tree of one 5 GiB file: six extents, the first five of 0x3FFFF800 bytes. */
static void test_large_file_entry(void **state)
{
	w2c_udf u = { .revision = 0x0102, .out = "t.iso" };
	w2c_node *root = w2c_node_new("", true), *f = w2c_node_new("install.wim", false);
	w2c_error err;
	uint8_t blk[2048];
	char why[128];
	(void)state;
	f->size = 5ull << 30;
	assert_int_equal(w2c_node_add(root, f, &err), W2C_OK);
	assert_int_equal(w2c_udf_layout(&u, root, NULL, &err), W2C_OK);
	assert_int_equal(u.n, 2);
	assert_int_equal(u.n_files, 1);
	w2c_udf_assign_lbas(&u, 1000);
	assert_int_equal(u.e[1].lba, 1000);
	assert_int_equal(w2c_udf_file_entry(&u, 1, blk, &err), W2C_OK);
	assert_int_equal(w2c_udf_tag_check(blk, sizeof blk, u.e[1].fe, why, sizeof why), 261);
	assert_int_equal(w2c_le64(blk + 56), 5ull << 30);
	uint32_t l_ad = w2c_le32(blk + 172);
	assert_int_equal(l_ad, 6 * 8);
	uint64_t sum = 0;
	uint32_t pos = 1000 - W2C_UDF_PART_START;
	for (uint32_t i = 0; i < l_ad; i += 8) {
		uint32_t len = w2c_le32(blk + 176 + i);
		assert_true(len < (1u << 30));
		assert_int_equal(w2c_le32(blk + 180 + i), pos);
		pos += len / 2048;
		sum += len;
	}
	assert_int_equal(sum, 5ull << 30);
	/* the root's identifiers: parent, then install.wim */
	uint8_t fids[256] = { 0 };
	assert_true(u.e[0].fid_len <= sizeof fids);
	w2c_udf_dir_fids(&u, 0, fids);
	assert_int_equal(w2c_udf_tag_check(fids, u.e[0].fid_len, u.e[0].fid_block, why, sizeof why), 257);
	assert_int_equal(fids[18], 0x0A);
	uint32_t second = w2c_udf_fid_size(0);
	assert_int_equal(w2c_udf_tag_check(fids + second, u.e[0].fid_len - second, u.e[0].fid_block,
					   why, sizeof why), 257);
	assert_int_equal(fids[second + 19], 12);
	assert_memory_equal(fids + second + 38, "\x08install.wim", 12);
	w2c_udf_free(&u);
	w2c_node_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc_standard_values),
		cmocka_unit_test(test_tag_roundtrip_and_damage),
		cmocka_unit_test(test_cs0_names),
		cmocka_unit_test(test_dstring),
		cmocka_unit_test(test_timestamp),
		cmocka_unit_test(test_large_file_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
