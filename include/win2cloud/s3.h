/*
 * win2cloud/s3.h - AWS Signature V4 and an S3 object client (OBS's
 * S3-compatible API, Swift s3api, MinIO, AWS).
 *
 * Signing is done here with OpenSSL, not with CURLOPT_AWS_SIGV4: curl 7.88
 * neither sorts the query string nor signs "?uploads" as "uploads=" and it
 * omits x-amz-content-sha256 (see shared/specs/test-services.md §4).
 * Object keys are percent-encoded once, per RFC 3986, both on the wire and in
 * the canonical request, so keys with spaces, '+', '=' or UTF-8 work.
 */
#ifndef WIN2CLOUD_S3_H
#define WIN2CLOUD_S3_H

#include "win2cloud.h"
#include "win2cloud/credentials.h"
#include "win2cloud/http.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** SHA-256 of an empty payload, hex. */
#define W2C_SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/** Payload hash value that tells the server the body is not hashed. */
#define W2C_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/** Key material and scope of a SigV4 signature. */
typedef struct w2c_sigv4_key {
	const char *access_key;
	const char *secret_key;
	const char *session_token; /**< sent and signed as x-amz-security-token; may be NULL */
	const char *region;        /**< e.g. "us-east-1", "eu-de" */
	const char *service;       /**< "s3" */
} w2c_sigv4_key;

/**
 * Sign a request in place: adds Host (if absent), x-amz-date,
 * x-amz-content-sha256 (= @payload_sha256, or UNSIGNED-PAYLOAD when NULL),
 * x-amz-security-token when the key has one, then Authorization.  Every
 * header present in @h at that point is signed.  @url must be absolute and
 * percent-encoded; its query is canonicalised (decoded, re-encoded, sorted,
 * "name=" for empty values).  @now is the signing time (0 = time(NULL)).
 * When @canonical is not NULL it receives the canonical request (for tests
 * and debugging; it contains no secret).
 */
W2C_API w2c_code w2c_sigv4_sign(const w2c_sigv4_key *key, const char *method, const char *url,
			w2c_http_headers *h, const char *payload_sha256, time_t now,
			char **canonical, w2c_error *err);

/** Hex SHA-256 of @len bytes (@out: 65 bytes). */

/** How to reach a bucket. */
typedef struct w2c_s3_config {
	const char *endpoint;        /**< "https://obs.eu-de.otc.t-systems.com", "http://127.0.0.1:18080" */
	const char *region;          /**< signing region */
	bool path_style;             /**< http://endpoint/bucket/key instead of http://bucket.endpoint/key */
	bool unsigned_payload;       /**< send UNSIGNED-PAYLOAD instead of the body's SHA-256 */
	const char *storage_header;  /**< "x-amz-storage-class" (default) */
	const w2c_credentials *cred;
	w2c_http_options http;       /**< CA bundle, timeouts, retries, logger */
} w2c_s3_config;

typedef struct w2c_s3 w2c_s3;

/** Create a client (one per thread; it owns an HTTP connection). */
W2C_API w2c_code w2c_s3_new(const w2c_s3_config *cfg, w2c_s3 **out, w2c_error *err);
W2C_API void w2c_s3_free(w2c_s3 *s3);

/** What HEAD says about an object. */
typedef struct w2c_s3_object {
	uint64_t size;
	char etag[80];           /**< without quotes */
	char storage_class[32];  /**< "STANDARD" when the header is absent */
	char sha256[65];         /**< x-amz-meta-sha256, "" when absent */
} w2c_s3_object;

/** HEAD the object: W2C_ERR_NOT_FOUND when absent. */
W2C_API w2c_code w2c_s3_head(w2c_s3 *s3, const char *bucket, const char *key, w2c_s3_object *obj,
		     w2c_error *err);

/** A body to send: @len bytes of @data, or (when @data is NULL) of @fd from @offset, with its
 *  MD5 (and SHA-256 or NULL). */
typedef struct w2c_s3_payload {
	int fd;
	uint64_t offset, len;
	const uint8_t *data;       /**< the bytes in memory, or NULL to read them from @fd */
	const uint8_t *md5;        /**< 16 bytes, sent as Content-MD5 */
	const char *sha256_hex;    /**< required unless the config says unsigned_payload */
	w2c_http_progress_fn progress;
	void *progress_user;
} w2c_s3_payload;

/** PUT a whole object (<= 5 GiB) with x-amz-meta-sha256 = @sha256_meta. ETag into @etag (81 bytes). */
W2C_API w2c_code w2c_s3_put(w2c_s3 *s3, const char *bucket, const char *key, const w2c_s3_payload *p,
		    const char *storage_class, const char *sha256_meta, char *etag, w2c_error *err);

/**
 * Replace the object's metadata by copying it onto itself (x-amz-metadata-directive: REPLACE)
 * with x-amz-meta-sha256 = @sha256_meta and @storage_class; the ETag of the copy into @etag.
 * S3 refuses copies of objects over 5 GiB in one request.
 */
W2C_API w2c_code w2c_s3_copy_meta(w2c_s3 *s3, const char *bucket, const char *key,
			  const char *storage_class, const char *sha256_meta, char *etag,
			  w2c_error *err);

/** Start a multipart upload; *@upload_id is allocated. */
W2C_API w2c_code w2c_s3_mp_init(w2c_s3 *s3, const char *bucket, const char *key, const char *storage_class,
			const char *sha256_meta, char **upload_id, w2c_error *err);
/** Upload part @n (1..10000); its ETag (no quotes) into @etag (81 bytes). */
W2C_API w2c_code w2c_s3_mp_part(w2c_s3 *s3, const char *bucket, const char *key, const char *upload_id,
			unsigned n, const w2c_s3_payload *p, char *etag, w2c_error *err);

/** A part as ListParts reports it. */
typedef struct w2c_s3_part {
	unsigned number;
	uint64_t size;
	char etag[80];
} w2c_s3_part;

/** All parts of an upload (pages followed); W2C_ERR_NOT_FOUND for NoSuchUpload. */
W2C_API w2c_code w2c_s3_mp_list(w2c_s3 *s3, const char *bucket, const char *key, const char *upload_id,
			w2c_s3_part **parts, size_t *count, w2c_error *err);
/** Complete with @count parts in ascending order; the final ETag into @etag (81 bytes). */
W2C_API w2c_code w2c_s3_mp_complete(w2c_s3 *s3, const char *bucket, const char *key,
			    const char *upload_id, const w2c_s3_part *parts, size_t count,
			    char *etag, w2c_error *err);
/** Abort; a missing upload is not an error. */
W2C_API w2c_code w2c_s3_mp_abort(w2c_s3 *s3, const char *bucket, const char *key, const char *upload_id,
			 w2c_error *err);

/** What a bucket says about itself. */
typedef struct w2c_s3_bucket {
	char region[64];         /**< GetBucketLocation ("us-east-1" for an empty LocationConstraint) */
	char storage_class[32];  /**< default class from HEAD bucket (x-obs-storage-class or
				  *   x-default-storage-class); "" when the answer has neither header */
	bool class_header;       /**< the service sent one of those headers (OBS does unless STANDARD) */
	char obs_version[32];    /**< x-obs-version of HEAD bucket, "" on other S3 services */
} w2c_s3_bucket;

/**
 * HEAD the bucket, then GET ?location.  W2C_ERR_NOT_FOUND when the bucket
 * does not exist, W2C_ERR_AUTH when the key is refused.  A request signed for
 * the wrong region is answered by S3 with the bucket's region
 * (x-amz-bucket-region, or AuthorizationHeaderMalformed naming the expected
 * region); the request is then signed again once for that region, so the
 * answer says where the bucket is rather than failing.
 */
W2C_API w2c_code w2c_s3_bucket_info(w2c_s3 *s3, const char *bucket, w2c_s3_bucket *out, w2c_error *err);

/* ---- response parsers (libxml2; exposed for the fuzz target) ---- */

/** UploadId of an InitiateMultipartUploadResult (allocated). */
W2C_API w2c_code w2c_s3_parse_initiate(const char *xml, size_t len, char **upload_id, w2c_error *err);
/** One ListPartsResult page: parts appended to *@parts (realloc'ed). */
W2C_API w2c_code w2c_s3_parse_list_parts(const char *xml, size_t len, w2c_s3_part **parts, size_t *count,
				 bool *truncated, unsigned *next_marker, w2c_error *err);
/** ETag of a CompleteMultipartUploadResult; an <Error> body in a 200 answer is an error. */
W2C_API w2c_code w2c_s3_parse_complete(const char *xml, size_t len, char *etag, w2c_error *err);
/** Region of a GetBucketLocation answer ("" = the service's default region). */
W2C_API w2c_code w2c_s3_parse_location(const char *xml, size_t len, char region[64], w2c_error *err);
/** Text of child @name of an <Error> body into @out (size @n), "" when absent. */
W2C_API void w2c_s3_parse_error_field(const char *xml, size_t len, const char *name, char *out, size_t n);
/** ETag of a CopyObjectResult; an <Error> body in a 200 answer is an error. */
W2C_API w2c_code w2c_s3_parse_copy(const char *xml, size_t len, char *etag, w2c_error *err);
/** Code and Message of an <Error> body ("" when absent). */
W2C_API void w2c_s3_parse_error(const char *xml, size_t len, char code[64], char message[256]);

#ifdef __cplusplus
}
#endif
#endif
