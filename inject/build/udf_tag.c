/*
 * UDF descriptor tags (ECMA-167 3/7.2): checksum, CRC, location; and the small
 * fields every descriptor shares (timestamps, entity ids, character set).
 */
#include "udf_int.h"

#include <stdio.h>
#include <string.h>

/* CRC-ITU-T (x^16 + x^12 + x^5 + 1, initial 0, no reflection) as ECMA-167
 * 1/7.2.6 defines it; a 256-entry table built once would save little for
 * the few kilobytes of descriptors per directory. */
uint16_t w2c_udf_crc(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint16_t crc = 0;
	while (n--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int b = 0; b < 8; b++)
			crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

uint8_t w2c_udf_tag_checksum(const uint8_t tag[16])
{
	unsigned sum = 0;
	for (int i = 0; i < 16; i++)
		if (i != 4)
			sum += tag[i];
	return (uint8_t)sum;
}

void w2c_udf_tag(uint8_t *d, uint16_t id, uint16_t version, uint32_t location, size_t len)
{
	w2c_put16(d, id);
	w2c_put16(d + 2, version);
	d[5] = 0;
	w2c_put16(d + 6, 1); /* tag serial number */
	w2c_put16(d + 8, w2c_udf_crc(d + 16, len - 16));
	w2c_put16(d + 10, (uint16_t)(len - 16));
	w2c_put32(d + 12, location);
	d[4] = w2c_udf_tag_checksum(d);
}

int w2c_udf_tag_check(const uint8_t *d, size_t avail, uint32_t location, char *why, size_t len)
{
	if (avail < 16) {
		snprintf(why, len, "%zu bytes, a tag needs 16", avail);
		return -1;
	}
	unsigned id = w2c_le16(d), crc_len = w2c_le16(d + 10);
	if (d[4] != w2c_udf_tag_checksum(d)) {
		snprintf(why, len, "tag %u: checksum 0x%02x, expected 0x%02x", id, d[4],
			 w2c_udf_tag_checksum(d));
		return -1;
	}
	if (w2c_le32(d + 12) != location) {
		snprintf(why, len, "tag %u: location %u, expected %u", id, w2c_le32(d + 12), location);
		return -1;
	}
	if (16u + crc_len > avail) {
		snprintf(why, len, "tag %u: CRC length %u runs past the %zu bytes of the descriptor", id,
			 crc_len, avail);
		return -1;
	}
	if (w2c_udf_crc(d + 16, crc_len) != w2c_le16(d + 8)) {
		snprintf(why, len, "tag %u: CRC 0x%04x, expected 0x%04x over %u bytes", id,
			 w2c_le16(d + 8), w2c_udf_crc(d + 16, crc_len), crc_len);
		return -1;
	}
	return (int)id;
}

void w2c_udf_timestamp(uint8_t out[12], const struct timespec *t)
{
	struct tm tm;
	time_t s = t->tv_sec;
	long us = t->tv_nsec / 1000;

	gmtime_r(&s, &tm);
	w2c_put16(out, 0x1000); /* type 1 (local time), offset 0: UTC */
	w2c_put16(out + 2, (uint16_t)(tm.tm_year + 1900));
	out[4] = (uint8_t)(tm.tm_mon + 1);
	out[5] = (uint8_t)tm.tm_mday;
	out[6] = (uint8_t)tm.tm_hour;
	out[7] = (uint8_t)tm.tm_min;
	out[8] = (uint8_t)tm.tm_sec;
	out[9] = (uint8_t)(us / 10000);
	out[10] = (uint8_t)(us / 100 % 100);
	out[11] = (uint8_t)(us % 100);
}

void w2c_udf_regid(uint8_t out[32], const char *id, const uint8_t suffix[8])
{
	memset(out, 0, 32);
	memcpy(out + 1, id, strlen(id) < 23 ? strlen(id) : 23);
	if (suffix)
		memcpy(out + 24, suffix, 8);
}

void w2c_udf_suffix_rev(uint8_t out[8], unsigned revision)
{
	memset(out, 0, 8);
	w2c_put16(out, (uint16_t)revision);
}

void w2c_udf_impl_id(uint8_t out[32])
{
	/* UDF 2.1.5.3: implementation suffix = OS class (4 UNIX), OS id (5 Linux) */
	static const uint8_t suffix[8] = { 4, 5 };
	w2c_udf_regid(out, "*win2cloud", suffix);
}

void w2c_udf_charspec(uint8_t out[64])
{
	memset(out, 0, 64);
	memcpy(out + 1, "OSTA Compressed Unicode", 23);
}
