/* Multi-buffer MD5 (internal to cloud/). */
#ifndef W2C_CLOUD_MD5X8_H
#define W2C_CLOUD_MD5X8_H

#include <stdbool.h>
#include <stdint.h>

/* MD5 of the 8 buffers @bufs, each @len bytes, into @out.  Returns false (and computes
 * nothing) when the CPU lacks AVX2: the caller then hashes with OpenSSL. */
bool w2c_md5x8(const uint8_t *const bufs[8], uint64_t len, uint8_t out[8][16]);

#endif
