/* State of one upload run, shared by upload.c and upload_parts.c. */
#ifndef W2C_CLOUD_UPLOAD_INT_H
#define W2C_CLOUD_UPLOAD_INT_H

#include "cloud/upload/checkpoint.h"
#include "cloud/upload/store.h"
#include "cloud/upload/upload_hash.h"

#include <openssl/evp.h>
#include <pthread.h>

typedef struct w2c_upjob {
	const w2c_upload_options *o;
	w2c_store st;
	int fd;
	uint64_t size, part_size;
	int64_t mtime_ns;
	unsigned nparts;
	w2c_hashes hs;
	bool md5_known;          /* the hashing pass ran: parts go from the file with hs.md5 */
	char claimed[65];        /* a claimed SHA-256 to check ("" = none), see upload_claim.c */
	char *claim_src;         /* where the claim came from, for messages */
	EVP_MD_CTX *sha;         /* single read: the whole-file SHA-256, fed in part order */
	w2c_md5_ahead *ahead;    /* single read: part MD5s on a thread of their own */
	pthread_mutex_t sha_lock;
	pthread_cond_t sha_turn;
	unsigned sha_next;       /* the part whose bytes the SHA-256 takes next */
	bool sha_stop;           /* a worker failed: nobody waits for a turn any more */
	w2c_checkpoint cp;       /* valid when cp.upload_id is set */
	char *cp_path;
	pthread_mutex_t cp_lock; /* one checkpoint write at a time, outside @lock */
	uint64_t cp_gen, cp_written; /* dumps taken / newest dump written */
	pthread_mutex_t lock;    /* guards everything below and progress reports */
	unsigned next;           /* next part index to consider */
	bool stop;
	w2c_code rc;
	w2c_error err;
	uint64_t done_bytes;
	uint64_t inflight[64];
	unsigned sent;
	unsigned parts_done;     /* already there + sent */
} w2c_upjob;

/* Send every part whose checkpoint ETag is empty, o->parallel at a time. */
w2c_code w2c_upload_parts(w2c_upjob *j, w2c_error *err);
/* Rewrite the checkpoint file atomically and durably (single-threaded callers). */
w2c_code w2c_upload_save_checkpoint(w2c_upjob *j, w2c_error *err);
/* An error naming the file when its size or mtime differ from when the upload began. */
w2c_code w2c_upload_unchanged(const w2c_upjob *j, w2c_error *err);
/* Abort the checkpointed multipart upload (a failure is only logged), remove the checkpoint. */
void w2c_upload_discard(w2c_upjob *j, void *conn);
/* Take the claimed SHA-256: the checkpoint's, --sha256, or FILE.sha256 (upload_claim.c). */
w2c_code w2c_upload_find_claim(w2c_upjob *j, w2c_error *err);
/* After the SHA-256 is computed: a claim that differs is an error, aborting the upload. */
w2c_code w2c_upload_check_claim(w2c_upjob *j, void *conn, w2c_error *err);
/* Length of part index @k. */
uint64_t w2c_upload_part_len(const w2c_upjob *j, unsigned k);

#endif
