/* Hashes of an upload (internal to cloud/). */
#ifndef W2C_CLOUD_UPLOAD_HASH_H
#define W2C_CLOUD_UPLOAD_HASH_H

#include "win2cloud.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct w2c_hashes {
	unsigned nparts;
	uint8_t (*md5)[16];     /* per part */
	char (*part_sha)[65];   /* per part, hex; NULL unless asked for */
	char sha256[65];        /* whole file, hex */
} w2c_hashes;

/* Arrays for the parts of @size bytes in @part_size parts (part_sha when asked for). */
w2c_code w2c_hashes_alloc(w2c_hashes *h, uint64_t size, uint64_t part_size, bool part_sha,
			  w2c_error *err);
void w2c_hashes_free(w2c_hashes *h);

/*
 * The separate hashing pass, for uploads whose SHA-256 must be known before
 * the object is created: read @path (@fd, @size bytes) with @workers threads
 * holding bounded buffers: the whole-file SHA-256 fed in order, part MD5s (and
 * SHA-256s when @part_sha) in parallel, into @out (from w2c_hashes_alloc).
 * Progress "hash" goes to @prog, called with @lock held.
 */
w2c_code w2c_upload_hash(int fd, const char *path, uint64_t size, uint64_t part_size,
			 unsigned workers, bool part_sha, const w2c_progress *prog,
			 pthread_mutex_t *lock, w2c_hashes *out, w2c_error *err);

/*
 * Part MD5s for a single read, on a thread of their own ahead of the upload workers (eight
 * parts at a time): start, then wait for part @k before sending it (false: the thread failed,
 * its error in @err, or was ended), end to stop and free (NULL is fine).
 */
typedef struct w2c_md5_ahead w2c_md5_ahead;
w2c_code w2c_md5_ahead_start(w2c_md5_ahead **out, int fd, const char *path, uint64_t size,
			     uint64_t part_size, w2c_hashes *hs, w2c_error *err);
bool w2c_md5_ahead_wait(w2c_md5_ahead *a, unsigned k, w2c_error *err);
void w2c_md5_ahead_end(w2c_md5_ahead *a);

/* pread @n bytes at @off of the @size-byte file @path; a file that ends early is an error
 * naming the file with the expected and the found size. */
w2c_code w2c_upload_read(int fd, void *buf, size_t n, uint64_t off, const char *path,
			 uint64_t size, w2c_error *err);

/* The error for a file found shorter than @size bytes. */
w2c_code w2c_upload_shrank(int fd, const char *path, uint64_t size, w2c_error *err);

#endif
