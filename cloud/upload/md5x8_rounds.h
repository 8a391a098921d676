/*
 * The MD5 rounds of cloud/md5x8.c, included once per instruction set: the caller defines
 * BLOCKS (the function name), ROTL, FF, GG, HH, II and the target attribute TGT_BLOCKS,
 * which this file undefines again at its end.
 */
#define STEP(F, a, b, c, d, g, i, s)                                                          \
	a = _mm256_add_epi32(_mm256_add_epi32(a, F(b, c, d)),                                    \
			     _mm256_add_epi32(m[g], _mm256_set1_epi32((int)K[i])));               \
	a = _mm256_add_epi32(b, ROTL(a, s))
#define STEP4(F, i, g0, g1, g2, g3, s0, s1, s2, s3)                                           \
	STEP(F, a, b, c, d, g0, i, s0);                                                          \
	STEP(F, d, a, b, c, g1, i + 1, s1);                                                      \
	STEP(F, c, d, a, b, g2, i + 2, s2);                                                      \
	STEP(F, b, c, d, a, g3, i + 3, s3)

TGT_BLOCKS static void BLOCKS(__m256i st[4], const uint8_t *const base[8], uint64_t nblocks)
{
	const __m256i ones = _mm256_set1_epi32(-1);
	const uint8_t *p[8];

	(void)ones; /* only the AVX2 II uses it */
	memcpy(p, base, sizeof p);
	for (uint64_t blk = 0; blk < nblocks; blk++) {
		__m256i m[16], a = st[0], b = st[1], c = st[2], d = st[3];
		for (int l = 0; l < 8; l++) {
			m[l] = _mm256_loadu_si256((const __m256i *)p[l]);
			m[8 + l] = _mm256_loadu_si256((const __m256i *)(p[l] + 32));
			p[l] += 64;
		}
		transpose8(m);
		transpose8(m + 8);
		STEP4(FF, 0, 0, 1, 2, 3, 7, 12, 17, 22);
		STEP4(FF, 4, 4, 5, 6, 7, 7, 12, 17, 22);
		STEP4(FF, 8, 8, 9, 10, 11, 7, 12, 17, 22);
		STEP4(FF, 12, 12, 13, 14, 15, 7, 12, 17, 22);
		STEP4(GG, 16, 1, 6, 11, 0, 5, 9, 14, 20);
		STEP4(GG, 20, 5, 10, 15, 4, 5, 9, 14, 20);
		STEP4(GG, 24, 9, 14, 3, 8, 5, 9, 14, 20);
		STEP4(GG, 28, 13, 2, 7, 12, 5, 9, 14, 20);
		STEP4(HH, 32, 5, 8, 11, 14, 4, 11, 16, 23);
		STEP4(HH, 36, 1, 4, 7, 10, 4, 11, 16, 23);
		STEP4(HH, 40, 13, 0, 3, 6, 4, 11, 16, 23);
		STEP4(HH, 44, 9, 12, 15, 2, 4, 11, 16, 23);
		STEP4(II, 48, 0, 7, 14, 5, 6, 10, 15, 21);
		STEP4(II, 52, 12, 3, 10, 1, 6, 10, 15, 21);
		STEP4(II, 56, 8, 15, 6, 13, 6, 10, 15, 21);
		STEP4(II, 60, 4, 11, 2, 9, 6, 10, 15, 21);
		st[0] = _mm256_add_epi32(st[0], a);
		st[1] = _mm256_add_epi32(st[1], b);
		st[2] = _mm256_add_epi32(st[2], c);
		st[3] = _mm256_add_epi32(st[3], d);
	}
}

#undef STEP
#undef STEP4
#undef TGT_BLOCKS
#undef BLOCKS
#undef ROTL
#undef FF
#undef GG
#undef HH
#undef II
