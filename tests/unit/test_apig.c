/* Unit tests: APIG "SDK-HMAC-SHA256" signing against the published worked example
 * (cloud-api spec §1.3) and the canonicalisation rules. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "win2cloud/auth.h"

#include <stdlib.h>
#include <string.h>

#define EX_URL "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs" \
	       "?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"
#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const w2c_header ex_headers[] = {
	{ "Content-Type", "application/json" },
	{ "Host", "service.region.example.com" },
	{ "X-Sdk-Date", "20191115T033655Z" },
};

static void test_worked_example_canonical(void **state)
{
	char *creq, *sh;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_apig_canonical_request("GET", EX_URL, ex_headers, 3, EMPTY_SHA, &creq, &sh,
						    &err), W2C_OK);
	assert_string_equal(creq, "GET\n"
				  "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
				  "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
				  "content-type:application/json\n"
				  "host:service.region.example.com\n"
				  "x-sdk-date:20191115T033655Z\n"
				  "\n"
				  "content-type;host;x-sdk-date\n" EMPTY_SHA);
	assert_string_equal(sh, "content-type;host;x-sdk-date");
	free(creq);
	free(sh);
}

static void test_worked_example_signature(void **state)
{
	char *auth;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_apig_sign("GET", EX_URL, ex_headers, 3, NULL, 0, "QTWAOYTTINDUT2QVKYUC",
				       "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", &auth, &err), W2C_OK);
	assert_string_equal(auth, "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, "
				  "SignedHeaders=content-type;host;x-sdk-date, "
				  "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
	free(auth);
}

static void test_header_order_and_case_do_not_matter(void **state)
{
	const w2c_header shuffled[] = {
		{ "x-sdk-date", "20191115T033655Z" },
		{ "HOST", "  service.region.example.com " },
		{ "content-TYPE", "application/json" },
	};
	char *auth;
	w2c_error err;
	(void)state;
	/* query in the other order: the canonical form sorts it */
	assert_int_equal(w2c_apig_sign("GET", "https://service.region.example.com/v1/"
				       "77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/?marker=13551d6b-755d-4757-"
				       "b956-536f674975c0&limit=2", shuffled, 3, "", 0, "QTWAOYTTINDUT2QVKYUC",
				       "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", &auth, &err), W2C_OK);
	assert_non_null(strstr(auth, "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"));
	free(auth);
}

static void test_query_and_path_encoding(void **state)
{
	const w2c_header h[] = { { "Host", "h" }, { "X-Sdk-Date", "20200101T000000Z" } };
	char *creq, *sh;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_apig_canonical_request("POST", "http://h:8080/a%20b/c+d?z=1&B=x%20y&p2&a=2&a=1",
						    h, 2, EMPTY_SHA, &creq, &sh, &err), W2C_OK);
	assert_string_equal(creq, "POST\n/a%20b/c%2Bd/\nB=x%20y&a=1&a=2&p2=&z=1\nhost:h\n"
				  "x-sdk-date:20200101T000000Z\n\nhost;x-sdk-date\n" EMPTY_SHA);
	free(creq);
	free(sh);
}

static void test_body_hash_and_unsigned(void **state)
{
	const w2c_header h[] = { { "Host", "h" }, { "X-Sdk-Date", "20200101T000000Z" } };
	const w2c_header hu[] = { { "Host", "h" }, { "X-Sdk-Date", "20200101T000000Z" },
				  { "X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD" } };
	char *a1, *a2, *a3;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_apig_sign("PUT", "http://h/x", h, 2, "{}", 2, "AK", "SK", &a1, &err), W2C_OK);
	assert_int_equal(w2c_apig_sign("PUT", "http://h/x", h, 2, "{ }", 3, "AK", "SK", &a2, &err), W2C_OK);
	assert_string_not_equal(a1, a2);
	assert_int_equal(w2c_apig_sign("PUT", "http://h/x", hu, 3, "{}", 2, "AK", "SK", &a3, &err), W2C_OK);
	assert_non_null(strstr(a3, "SignedHeaders=host;x-sdk-content-sha256;x-sdk-date,"));
	free(a1);
	free(a2);
	free(a3);
}

static void test_missing_headers_and_keys(void **state)
{
	const w2c_header h[] = { { "Host", "h" } };
	char *a = (char *)1;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_apig_sign("GET", "http://h/", h, 1, NULL, 0, "AK", "SK", &a, &err), W2C_ERR_USAGE);
	assert_null(a);
	assert_non_null(strstr(err.message, "X-Sdk-Date"));
	assert_int_equal(w2c_apig_sign("GET", "http://h/", ex_headers, 3, NULL, 0, "AK", "", &a, &err),
			 W2C_ERR_AUTH);
	assert_int_equal(w2c_apig_sign("GET", "not a url", ex_headers, 3, NULL, 0, "AK", "SK", &a, &err),
			 W2C_ERR_USAGE);
}

static void test_date_format(void **state)
{
	char d[17];
	(void)state;
	w2c_apig_date((time_t)1573789015, d); /* 2019-11-15T03:36:55Z */
	assert_string_equal(d, "20191115T033655Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_worked_example_canonical),
		cmocka_unit_test(test_worked_example_signature),
		cmocka_unit_test(test_header_order_and_case_do_not_matter),
		cmocka_unit_test(test_query_and_path_encoding),
		cmocka_unit_test(test_body_hash_and_unsigned),
		cmocka_unit_test(test_missing_headers_and_keys),
		cmocka_unit_test(test_date_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
