/*
 * UDF descriptor tags (ECMA-167 3/7.2): CRC, checksum and the whole check,
 * one copy for the media reader's walk, the UDF writer and verify.
 */
#include "win2cloud/udf.h"
#include "common/endian.h"

#include <stdio.h>

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

