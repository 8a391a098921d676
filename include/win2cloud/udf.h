/*
 * win2cloud/udf.h - UDF descriptor tags (ECMA-167 3/7.2), shared by the media
 * reader, the UDF writer and verify.
 */
#ifndef WIN2CLOUD_UDF_H
#define WIN2CLOUD_UDF_H

#include "win2cloud.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** CRC-ITU-T of UDF descriptor tags (ECMA-167 1/7.2.6). */
W2C_API uint16_t w2c_udf_crc(const void *data, size_t n);
/** Checksum of a 16-byte UDF descriptor tag (byte 4 excluded). */
W2C_API uint8_t w2c_udf_tag_checksum(const uint8_t tag[16]);
/**
 * Check the UDF descriptor at @d (@avail bytes readable): tag checksum, CRC
 * over its CRC length, and that its location field is @location.  Returns
 * the tag identifier, or -1 with the reason in @why.
 */
W2C_API int w2c_udf_tag_check(const uint8_t *d, size_t avail, uint32_t location, char *why,
			      size_t why_len);

#ifdef __cplusplus
}
#endif
#endif
