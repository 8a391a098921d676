/*
 * win2cloud/upload.h - upload one file to object storage, verified and
 * resumable: OBS (obs://BUCKET/KEY), any S3 endpoint (s3://BUCKET/KEY), or
 * a directory (file:///DIR/KEY).
 *
 * How it works:
 *  1. The file is read once from storage: each worker preads a part into its
 *     buffer (memory = part size x parallel), feeds the whole-file SHA-256 in
 *     part order (and hashes the part's SHA-256 when the payload is signed),
 *     and sends the buffer with Content-MD5; the part MD5s come from a thread
 *     hashing eight parts at a time just ahead of the workers, whose reads of
 *     the same bytes then come from the page cache.  Files of
 *     one part are PUT once with x-amz-meta-sha256 and the storage class.
 *  2. A multipart object gets its storage class at creation; its
 *     x-amz-meta-sha256 is known only after the last part.  S3 can change
 *     metadata afterwards only by copying the object onto itself
 *     (x-amz-metadata-directive REPLACE), which copies every byte on the
 *     server (AWS; Swift s3api even orphans the old segments) and is limited
 *     to 5 GiB.  So by default (sha256_meta AUTO) a multipart S3/OBS upload
 *     runs a hashing pass first and sets the metadata at creation: the file
 *     is read twice, nothing is copied.  sha256_meta AFTER forces the single
 *     read and the copy; file:// needs no metadata and always reads once.
 *     A claimed SHA-256 (FILE.sha256 as build/inject write it, not older
 *     than FILE, or the sha256 option) avoids both: the metadata is set at
 *     creation from the claim and the single read computes the SHA-256 from
 *     the bytes sent; if they differ the upload is aborted before completion
 *     (W2C_ERR_VIOLATIONS) and nothing is created.
 *  3. Every part's ETag must equal its MD5 and the final ETag must equal
 *     md5(md5_1 .. md5_N)-N; then HEAD checks size, storage class and, with
 *     verify, the SHA-256 metadata and ETag.
 *  4. A checkpoint FILE.w2c-upload-<id>.json (beside the file, or in
 *     $W2C_STATE_DIR when set) holds the upload id, part size, done parts,
 *     when the metadata is set, and the file's identity (size, mtime, a
 *     sample hash); it is rewritten atomically after every part.  A re-run
 *     lists the parts on the server, reads every part again (the SHA-256
 *     needs them in order) and sends only those the server lacks or has
 *     with another MD5; a changed file aborts the old upload and starts
 *     over.  A finished upload whose object has the same size and SHA-256
 *     is not sent again (the file is hashed to compare).
 *  A file that shrinks or changes while it is read is an error naming it.
 */
#ifndef WIN2CLOUD_UPLOAD_H
#define WIN2CLOUD_UPLOAD_H

#include "win2cloud.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define W2C_UPLOAD_MIN_PART (5ull << 20)      /**< S3's minimum for non-last parts */
#define W2C_UPLOAD_MAX_PART (5ull << 30)      /**< 5 GiB */
#define W2C_UPLOAD_MAX_PARTS 10000u
#define W2C_UPLOAD_DEFAULT_PART (8ull << 20)

/** When the object gets its x-amz-meta-sha256 (see above). */
typedef enum w2c_sha256_meta {
	W2C_SHA256_META_AUTO = 0,  /**< the cheapest for the store: FIRST for multipart S3/OBS */
	W2C_SHA256_META_FIRST,     /**< hashing pass first, metadata at creation (two reads) */
	W2C_SHA256_META_AFTER,     /**< single read, metadata by a copy after completion */
} w2c_sha256_meta;

typedef struct w2c_upload_options {
	const char *file;
	const char *url;              /**< obs://B/K, s3://B/K or file:///DIR/KEY */
	const char *endpoint;         /**< required for s3://; obs:// defaults to https://obs.REGION.otc.t-systems.com */
	const char *region;           /**< signing region; obs:// default from the profile */
	const char *profile;          /**< credentials file profile (NULL: environment, then "default") */
	const char *credentials_file; /**< NULL = default path (see credentials.h) */
	const char *ca_bundle;        /**< PEM CA file for TLS; NULL = system store */
	bool virtual_hosted;          /**< s3:// only: bucket in the host name (obs:// always is) */
	int payload_signing;          /**< 1 sign SHA-256 of each part, 0 UNSIGNED-PAYLOAD, -1 default
				       *   (signed for obs://, unsigned for s3://; Content-MD5 always) */
	uint64_t part_size;           /**< 0 = max(8 MiB, ceil(size/1000)) rounded up to 1 MiB */
	unsigned parallel;            /**< parts in flight, default 4 */
	const char *storage_class;    /**< default "STANDARD" */
	w2c_sha256_meta sha256_meta;  /**< default AUTO */
	const char *sha256;           /**< the file's SHA-256 if the caller knows it (64 hex): a claim,
				       *   checked against the bytes read before anything completes */
	bool no_sidecar;              /**< do not take FILE.sha256 (written by build/inject) as a claim */
	bool verify;                  /**< HEAD the object and compare size, SHA-256 metadata, ETag */
	bool abort;                   /**< abort the checkpointed upload and delete the checkpoint */
	int max_retries;              /**< per request; 0 = default (6) */
	const w2c_logger *log;
	const w2c_progress *progress; /**< stages "hash" and "upload"; item "part N/M" */
} w2c_upload_options;

typedef struct w2c_upload_result {
	char url[1200];       /**< the target as given */
	uint64_t size;
	uint64_t part_size;
	unsigned parts;       /**< 1 for a single PUT */
	unsigned parts_sent;  /**< this run (resume sends fewer) */
	char etag[81];
	char sha256[65];
	char storage_class[32];
	char upload_id[256];  /**< multipart only */
	char sha256_claim[1100]; /**< where a claim that sha256 matched came from, or "" */
	double seconds;       /**< wall time of this run */
	double mib_per_s;     /**< size / seconds */
	bool skipped;         /**< identical object already there: nothing sent */
	bool resumed;         /**< continued an interrupted upload */
	bool verified;        /**< the verify HEAD matched */
	bool aborted;         /**< --abort did abort an upload */
} w2c_upload_result;

/** Default part size for @size bytes. */
W2C_API uint64_t w2c_upload_part_size(uint64_t size);

/**
 * Upload (or abort) as described above.  Errors: W2C_ERR_USAGE (bad URL,
 * part size), W2C_ERR_NOT_FOUND / W2C_ERR_IO (the file), W2C_ERR_AUTH
 * (credentials missing, refused: names the key, its source and the
 * endpoint), W2C_ERR_NETWORK (no answer after retries; resumable),
 * W2C_ERR_REMOTE (the server refused), W2C_ERR_VIOLATIONS (a verification
 * failed: ETag, size, storage class, SHA-256), W2C_ERR_INTERRUPTED (stopped
 * by the progress callback; the checkpoint stays, re-run to resume).
 */
W2C_API w2c_code w2c_upload(const w2c_upload_options *o, w2c_upload_result *res, w2c_error *err);

/** Where an upload URL leads, resolved as w2c_upload() resolves it. */
typedef struct w2c_upload_target {
	bool obs;             /**< obs:// (else s3://) */
	const char *bucket, *key; /**< key is NULL for a bucket URL (s3://B or s3://B/) */
	const char *region;   /**< the region in use (option, profile or default) */
	struct w2c_s3 *s3;    /**< a client for the store, with the same credentials and endpoint */
	struct w2c_store *store; /**< private: what the client borrows (credentials, endpoint) */
} w2c_upload_target;

/**
 * Open a client for the bucket of @o->url (s3:// or obs://) with the
 * credentials, endpoint and region w2c_upload() would use, for callers that
 * query the bucket itself (`check --bucket`).  W2C_ERR_USAGE for file:// or
 * a bad URL, W2C_ERR_AUTH without credentials.  Free with
 * w2c_upload_target_free().
 */
W2C_API w2c_code w2c_upload_target_open(const w2c_upload_options *o, w2c_upload_target *t,
				w2c_error *err);
W2C_API void w2c_upload_target_free(w2c_upload_target *t);

#ifdef __cplusplus
}
#endif
#endif
