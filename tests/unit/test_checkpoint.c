/* Unit tests: the upload resume checkpoint survives a round trip and rejects bad fields. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "cloud/upload/checkpoint.h"

#include <stdlib.h>
#include <string.h>

#define BASE                                                                                  \
	"{\"version\":1,\"url\":\"s3://b/k\",\"upload_id\":\"abc\",\"size\":20971520,"         \
	"\"part_size\":8388608,\"mtime_ns\":5,\"sample_sha256\":"                               \
	"\"732671d1a792df80cec3e7f411d9ef528543a42087fe522a4bcf16121de4386e\""

static void test_round_trip(void **state)
{
	const char *in = BASE ",\"sha256_meta\":\"after\",\"parts\":{\"3\":"
			      "\"5d41402abc4b2a76b9719d911017c592\"}}";
	w2c_checkpoint cp, back;
	w2c_error err;
	(void)state;

	assert_int_equal(w2c_checkpoint_parse(in, strlen(in), &cp, &err), W2C_OK);
	assert_int_equal(cp.nparts, 3);
	assert_true(cp.meta_after);
	assert_string_equal(cp.etags[2], "5d41402abc4b2a76b9719d911017c592");
	assert_string_equal(cp.etags[0], "");
	char *out = w2c_checkpoint_dump(&cp);
	assert_non_null(out);
	assert_int_equal(w2c_checkpoint_parse(out, strlen(out), &back, &err), W2C_OK);
	assert_true(back.meta_after);
	assert_string_equal(back.upload_id, "abc");
	assert_string_equal(back.etags[2], cp.etags[2]);
	free(out);
	w2c_checkpoint_free(&back);
	w2c_checkpoint_free(&cp);
}

/* Checkpoints written before single-read uploads set the metadata at creation. */
static void test_old_and_bad(void **state)
{
	const char *old = BASE ",\"parts\":{}}";
	const char *bad = BASE ",\"sha256_meta\":\"later\",\"parts\":{}}";
	w2c_checkpoint cp;
	w2c_error err;
	(void)state;

	assert_int_equal(w2c_checkpoint_parse(old, strlen(old), &cp, &err), W2C_OK);
	assert_false(cp.meta_after);
	w2c_checkpoint_free(&cp);
	assert_int_equal(w2c_checkpoint_parse(bad, strlen(bad), &cp, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "sha256_meta"));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_round_trip),
					    cmocka_unit_test(test_old_and_bad) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
