/* The hashing pass of an upload (internal to cloud/). */
#ifndef W2C_CLOUD_UPLOAD_HASH_H
#define W2C_CLOUD_UPLOAD_HASH_H

#include "win2cloud.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct w2c_hashes {
	unsigned nparts;
	uint8_t (*md5)[16];     /* per part */
	char (*part_sha)[65];   /* per part, hex; NULL unless asked for */
	char sha256[65];        /* whole file, hex */
} w2c_hashes;

/*
 * Read @path (@fd, @size bytes) once with @workers threads holding one part
 * buffer each: the whole-file SHA-256 is fed in part order, part MD5s (and
 * SHA-256s when @part_sha) are computed in parallel.  Progress "hash" goes to
 * @prog, called with @lock held.
 */
w2c_code w2c_upload_hash(int fd, const char *path, uint64_t size, uint64_t part_size,
			 unsigned workers, bool part_sha, const w2c_progress *prog,
			 pthread_mutex_t *lock, w2c_hashes *out, w2c_error *err);
void w2c_hashes_free(w2c_hashes *h);

#endif
