/* Unit tests: SigV4 against AWS's published S3 examples, S3 response parsers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "win2cloud/s3.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

#define AK "AKIAIOSFODNN7EXAMPLE"
#define SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T20130524 ((time_t)1369353600) /* 2013-05-24T00:00:00Z */

static const w2c_sigv4_key key = { AK, SK, NULL, "us-east-1", "s3" };

static const char *sig_of(const w2c_http_headers *h)
{
	const char *a = w2c_http_headers_get(h, "Authorization");
	assert_non_null(a);
	const char *s = strstr(a, "Signature=");
	assert_non_null(s);
	return s + 10;
}

/* AWS S3 "GET Object" example (also in shared/specs/cloud-api.md §2.2). */
static void test_get_object(void **state)
{
	w2c_http_headers h = { 0 };
	char *creq = NULL, hash[65];
	w2c_error err;
	(void)state;

	w2c_http_headers_add(&h, "Range", "bytes=0-9");
	assert_int_equal(w2c_sigv4_sign(&key, "GET", "https://examplebucket.s3.amazonaws.com/test.txt",
					&h, W2C_SHA256_EMPTY, T20130524, &creq, &err),
			 W2C_OK);
	w2c_sha256_hex(creq, strlen(creq), hash);
	assert_string_equal(hash, "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	assert_string_equal(sig_of(&h), "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
	assert_non_null(strstr(w2c_http_headers_get(&h, "Authorization"),
			       "Credential=" AK "/20130524/us-east-1/s3/aws4_request, "
			       "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "));
	free(creq);
	w2c_http_headers_free(&h);
}

/* AWS S3 "PUT Object" example: '$' in the key, Date and storage class signed. */
static void test_put_object(void **state)
{
	w2c_http_headers h = { 0 };
	char body_hash[65];
	w2c_error err;
	(void)state;

	w2c_sha256_hex("Welcome to Amazon S3.", 21, body_hash);
	assert_string_equal(body_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	w2c_http_headers_add(&h, "Date", "Fri, 24 May 2013 00:00:00 GMT");
	w2c_http_headers_add(&h, "x-amz-storage-class", "REDUCED_REDUNDANCY");
	assert_int_equal(w2c_sigv4_sign(&key, "PUT",
					"https://examplebucket.s3.amazonaws.com/test%24file.text", &h,
					body_hash, T20130524, NULL, &err),
			 W2C_OK);
	assert_string_equal(sig_of(&h), "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	w2c_http_headers_free(&h);
}

/* AWS S3 "GET Bucket Lifecycle": a value-less sub-resource signs as "lifecycle=". */
static void test_subresource(void **state)
{
	w2c_http_headers h = { 0 };
	char *creq = NULL;
	w2c_error err;
	(void)state;

	assert_int_equal(w2c_sigv4_sign(&key, "GET", "https://examplebucket.s3.amazonaws.com/?lifecycle",
					&h, W2C_SHA256_EMPTY, T20130524, &creq, &err),
			 W2C_OK);
	assert_non_null(strstr(creq, "\n/\nlifecycle=\n"));
	assert_string_equal(sig_of(&h), "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
	free(creq);
	w2c_http_headers_free(&h);
}

/* AWS S3 "GET Bucket (List Objects)": parameters sorted. */
static void test_query_sorted(void **state)
{
	w2c_http_headers h = { 0 };
	char *creq = NULL;
	w2c_error err;
	(void)state;

	assert_int_equal(w2c_sigv4_sign(&key, "GET",
					"https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2", &h,
					W2C_SHA256_EMPTY, T20130524, &creq, &err),
			 W2C_OK);
	assert_non_null(strstr(creq, "\nmax-keys=2&prefix=J\n"));
	assert_string_equal(sig_of(&h), "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	free(creq);
	w2c_http_headers_free(&h);
}

/* Our own cases: encoding, default ports, session token, duplicate headers. */
static void test_canonical_details(void **state)
{
	w2c_http_headers h = { 0 };
	w2c_sigv4_key k = { "test:tester", "testing", "TOKEN", "us-east-1", "s3" };
	char *creq = NULL;
	w2c_error err;
	(void)state;

	w2c_http_headers_add(&h, "X-Amz-Meta-A", "  two   spaces ");
	w2c_http_headers_add(&h, "x-amz-meta-a", "b");
	assert_int_equal(w2c_sigv4_sign(&k, "PUT",
					"http://127.0.0.1:80/b/a%20b%2Bc.iso?uploadId=x%2By&partNumber=10&uploads",
					&h, NULL, T20130524, &creq, &err),
			 W2C_OK);
	assert_string_equal(w2c_http_headers_get(&h, "Host"), "127.0.0.1");
	assert_string_equal(w2c_http_headers_get(&h, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
	assert_string_equal(w2c_http_headers_get(&h, "x-amz-security-token"), "TOKEN");
	assert_non_null(strstr(creq, "PUT\n/b/a%20b%2Bc.iso\npartNumber=10&uploadId=x%2By&uploads=\n"));
	assert_non_null(strstr(creq, "\nx-amz-meta-a:two spaces,b\n") ||
			strstr(creq, "\nx-amz-meta-a:b,two spaces\n"));
	assert_non_null(strstr(creq, "x-amz-security-token:TOKEN\n"));
	assert_non_null(strstr(w2c_http_headers_get(&h, "Authorization"), "Credential=test:tester/"));
	free(creq);
	w2c_http_headers_free(&h);
	w2c_http_headers_add(&h, "x", "y");
	assert_int_equal(w2c_sigv4_sign(&k, "GET", "https://h.example:8443", &h, NULL, 0, &creq, &err),
			 W2C_OK);
	assert_string_equal(w2c_http_headers_get(&h, "Host"), "h.example:8443");
	assert_non_null(strstr(creq, "GET\n/\n\n"));
	free(creq);
	w2c_http_headers_free(&h);
}

static void test_parsers(void **state)
{
	char *id = NULL, etag[81], code[64], msg[256];
	w2c_s3_part *parts = NULL;
	size_t n = 0;
	bool more = false;
	unsigned next = 0;
	w2c_error err;
	(void)state;

	const char *init = "<?xml version='1.0' encoding='UTF-8'?>\n<InitiateMultipartUploadResult "
			   "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>k"
			   "</Key><UploadId>ZmI4-x_y</UploadId></InitiateMultipartUploadResult>";
	assert_int_equal(w2c_s3_parse_initiate(init, strlen(init), &id, &err), W2C_OK);
	assert_string_equal(id, "ZmI4-x_y");
	free(id);
	assert_int_equal(w2c_s3_parse_initiate("<a/>", 4, &id, &err), W2C_ERR_INVALID_INPUT);
	assert_int_equal(w2c_s3_parse_initiate("<<", 2, &id, &err), W2C_ERR_INVALID_INPUT);

	const char *lp = "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2"
			 "</NextPartNumberMarker><Part><PartNumber>1</PartNumber><ETag>&quot;aa&quot;"
			 "</ETag><Size>8388608</Size></Part><Part><PartNumber>2</PartNumber><ETag>\"bb\""
			 "</ETag><Size>5</Size></Part></ListPartsResult>";
	assert_int_equal(w2c_s3_parse_list_parts(lp, strlen(lp), &parts, &n, &more, &next, &err), W2C_OK);
	assert_int_equal(n, 2);
	assert_true(more);
	assert_int_equal(next, 2);
	assert_int_equal(parts[0].number, 1);
	assert_string_equal(parts[0].etag, "aa");
	assert_int_equal(parts[0].size, 8388608);
	assert_string_equal(parts[1].etag, "bb");
	free(parts);

	const char *cp = "<CompleteMultipartUploadResult><Location>/b/k</Location><ETag>\"abc-3\""
			 "</ETag></CompleteMultipartUploadResult>";
	assert_int_equal(w2c_s3_parse_complete(cp, strlen(cp), etag, &err), W2C_OK);
	assert_string_equal(etag, "abc-3");
	const char *eb = "<Error><Code>InvalidPart</Code><Message>One or more</Message></Error>";
	assert_int_equal(w2c_s3_parse_complete(eb, strlen(eb), etag, &err), W2C_ERR_REMOTE);
	assert_non_null(strstr(err.message, "InvalidPart"));
	w2c_s3_parse_error(eb, strlen(eb), code, msg);
	assert_string_equal(code, "InvalidPart");
	assert_string_equal(msg, "One or more");
	w2c_s3_parse_error("", 0, code, msg);
	assert_string_equal(code, "");

	/* CopyObject answers 200 with either a result or an error */
	const char *co = "<CopyObjectResult><LastModified>2026-11-29T11:07:48.000Z</LastModified>"
			 "<ETag>&quot;6bd3-25&quot;</ETag></CopyObjectResult>";
	assert_int_equal(w2c_s3_parse_copy(co, strlen(co), etag, &err), W2C_OK);
	assert_string_equal(etag, "6bd3-25");
	assert_int_equal(w2c_s3_parse_copy(eb, strlen(eb), etag, &err), W2C_ERR_REMOTE);
	assert_int_equal(w2c_s3_parse_copy(cp, strlen(cp), etag, &err), W2C_ERR_INVALID_INPUT);
}

/* GetBucketLocation answers (S3 and OBS native) and the region an error names. */
static void test_location_parsers(void **state)
{
	char region[64], field[64];
	w2c_error err;
	(void)state;
	const char *s3 = "<?xml version=\"1.0\"?><LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/"
			 "2006-03-01/\">eu-de</LocationConstraint>";
	assert_int_equal(w2c_s3_parse_location(s3, strlen(s3), region, &err), W2C_OK);
	assert_string_equal(region, "eu-de");
	const char *empty = "<LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
	assert_int_equal(w2c_s3_parse_location(empty, strlen(empty), region, &err), W2C_OK);
	assert_string_equal(region, ""); /* the caller reads it as us-east-1 */
	const char *obs = "<Location xmlns=\"http://obs.otc.t-systems.com/doc/2016-01-01/\">eu-nl</Location>";
	assert_int_equal(w2c_s3_parse_location(obs, strlen(obs), region, &err), W2C_OK);
	assert_string_equal(region, "eu-nl");
	const char *bad = "<LocationConstraint>eu de/../x</LocationConstraint>";
	assert_int_equal(w2c_s3_parse_location(bad, strlen(bad), region, &err), W2C_ERR_INVALID_INPUT);
	assert_int_equal(w2c_s3_parse_location("<Error/>", 8, region, &err), W2C_ERR_INVALID_INPUT);
	assert_int_equal(w2c_s3_parse_location("", 0, region, &err), W2C_ERR_INVALID_INPUT);
	const char *eb = "<Error><Code>AuthorizationHeaderMalformed</Code><Region>us-east-1</Region></Error>";
	w2c_s3_parse_error_field(eb, strlen(eb), "Region", field, sizeof field);
	assert_string_equal(field, "us-east-1");
	w2c_s3_parse_error_field(s3, strlen(s3), "Region", field, sizeof field);
	assert_string_equal(field, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_object),    cmocka_unit_test(test_put_object),
		cmocka_unit_test(test_subresource),   cmocka_unit_test(test_query_sorted),
		cmocka_unit_test(test_canonical_details), cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_location_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
