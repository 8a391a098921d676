/* Unit test: the 8-lane MD5 equals OpenSSL's MD5 for every length class. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cloud/upload/md5x8.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_against_openssl(void **state)
{
	static const uint64_t lens[] = { 0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 1 << 20 };
	uint8_t *data = malloc((8u << 20) + 64), out[8][16], ref[16];
	(void)state;

	for (size_t i = 0; i < (8u << 20); i++)
		data[i] = (uint8_t)((i * 2654435761u) >> 13);
	for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++) {
		const uint8_t *b[8];
		for (int l = 0; l < 8; l++)
			b[l] = data + (size_t)l * lens[t] + 3 * l; /* unaligned, distinct */
		if (!w2c_md5x8(b, lens[t], out)) {
			skip();
		}
		for (int l = 0; l < 8; l++) {
			EVP_Digest(b[l], lens[t], ref, NULL, EVP_md5(), NULL);
			assert_memory_equal(out[l], ref, 16);
		}
	}
	free(data);
}

/* Fed in pieces of odd block counts (as the hashing pass feeds 1 MiB per lane) = one shot,
 * on each instruction set the CPU has (both must agree with OpenSSL). */
static void incremental(enum w2c_md5x8_isa isa)
{
	const uint64_t len = (3u << 20) + 4096 + 37;
	uint8_t *data = malloc(8 * len), out[8][16], ref[16];
	const uint8_t *lane[8], *rest[8];
	w2c_md5x8_state st;
	uint64_t done = 0, step = 1;

	for (uint64_t i = 0; i < 8 * len; i++)
		data[i] = (uint8_t)((i * 2246822519u) >> 11);
	if (!w2c_md5x8_begin_isa(&st, isa)) {
		printf("md5x8: CPU lacks %s, not tested here\n", isa == W2C_MD5X8_AVX2 ? "AVX2" : "AVX-512VL");
		free(data);
		return;
	}
	while (done + 64 <= len) {
		uint64_t nb = (len - done) / 64 < step ? (len - done) / 64 : step;
		for (int l = 0; l < 8; l++)
			lane[l] = data + (uint64_t)l * len + done;
		w2c_md5x8_update(&st, lane, nb);
		done += nb * 64;
		step = step * 3 + 1;
	}
	for (int l = 0; l < 8; l++)
		rest[l] = data + (uint64_t)l * len + done;
	w2c_md5x8_end(&st, rest, len - done, len, out);
	for (int l = 0; l < 8; l++) {
		EVP_Digest(data + (uint64_t)l * len, len, ref, NULL, EVP_md5(), NULL);
		assert_memory_equal(out[l], ref, 16);
	}
	free(data);
}

static void test_incremental_avx2(void **state)
{
	(void)state;
	if (!__builtin_cpu_supports("avx2"))
		skip();
	incremental(W2C_MD5X8_AVX2);
}

static void test_incremental_avx512vl(void **state)
{
	(void)state;
	if (!__builtin_cpu_supports("avx512vl"))
		skip();
	incremental(W2C_MD5X8_AVX512VL);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_against_openssl),
					    cmocka_unit_test(test_incremental_avx2),
					    cmocka_unit_test(test_incremental_avx512vl) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
