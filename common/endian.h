/* Little- and big-endian field readers for on-disk structures (ISO 9660, UDF,
 * El Torito, WIM, FAT, disk image headers).  One copy for every stage. */
#ifndef W2C_COMMON_ENDIAN_H
#define W2C_COMMON_ENDIAN_H

#include <stdint.h>

static inline uint16_t w2c_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t w2c_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t w2c_le64(const uint8_t *p)
{
	return (uint64_t)w2c_le32(p) | (uint64_t)w2c_le32(p + 4) << 32;
}
static inline uint16_t w2c_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t w2c_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t w2c_be64(const uint8_t *p)
{
	return (uint64_t)w2c_be32(p) << 32 | w2c_be32(p + 4);
}

#endif
