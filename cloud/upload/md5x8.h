/* Multi-buffer MD5 (internal to cloud/). */
#ifndef W2C_CLOUD_MD5X8_H
#define W2C_CLOUD_MD5X8_H

#include <stdbool.h>
#include <stdint.h>

/* MD5 of the 8 buffers @bufs, each @len bytes, into @out.  Returns false (and computes
 * nothing) when the CPU lacks AVX2: the caller then hashes with OpenSSL. */
bool w2c_md5x8(const uint8_t *const bufs[8], uint64_t len, uint8_t out[8][16]);

/* The same in pieces, so that 8 streams can be fed through a bounded buffer:
 * begin (false without AVX2), update with whole 64-byte blocks of every lane,
 * end with the last @restlen (< 64) bytes of each lane and the lanes' total length. */
/* The instruction sets the lanes run on; begin picks the best the CPU has. */
enum w2c_md5x8_isa { W2C_MD5X8_AVX2 = 1, W2C_MD5X8_AVX512VL = 2 };

typedef struct w2c_md5x8_state {
	uint32_t w[4][8];    /* word r of lane l */
	enum w2c_md5x8_isa isa;
} w2c_md5x8_state;

bool w2c_md5x8_begin(w2c_md5x8_state *s);
/* begin with exactly @isa (tests compare both with OpenSSL); false if the CPU lacks it */
bool w2c_md5x8_begin_isa(w2c_md5x8_state *s, enum w2c_md5x8_isa isa);
void w2c_md5x8_update(w2c_md5x8_state *s, const uint8_t *const bufs[8], uint64_t nblocks);
void w2c_md5x8_end(w2c_md5x8_state *s, const uint8_t *const rest[8], uint64_t restlen,
		   uint64_t total, uint8_t out[8][16]);

#endif
