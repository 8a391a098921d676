/* One read of the file: whole-file SHA-256 in part order, part MD5s in parallel. */
#include "cloud/upload_hash.h"
#include "common/util.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct hashjob {
	int fd;
	const char *path;
	uint64_t size, part_size, done;
	bool part_sha;
	const w2c_progress *prog;
	pthread_mutex_t *plock;
	pthread_mutex_t lock;
	pthread_cond_t turn_cv;
	unsigned next, turn;
	bool stop;
	w2c_code rc;
	w2c_error err;
	EVP_MD_CTX *sha;
	w2c_hashes *out;
};

static void fail(struct hashjob *j, w2c_code rc, const w2c_error *e)
{
	pthread_mutex_lock(&j->lock);
	if (!j->rc) {
		j->rc = rc;
		j->err = *e;
	}
	j->stop = true;
	pthread_cond_broadcast(&j->turn_cv);
	pthread_mutex_unlock(&j->lock);
}

/* Feed part @k to the whole-file hash once all earlier parts are in. */
static bool feed_in_order(struct hashjob *j, unsigned k, const void *buf, size_t len)
{
	pthread_mutex_lock(&j->lock);
	while (j->turn != k && !j->stop)
		pthread_cond_wait(&j->turn_cv, &j->lock);
	bool stop = j->stop;
	pthread_mutex_unlock(&j->lock);
	if (stop)
		return false;
	EVP_DigestUpdate(j->sha, buf, len); /* only the turn holder touches it */
	pthread_mutex_lock(&j->lock);
	j->turn++;
	j->done += len;
	uint64_t done = j->done;
	pthread_cond_broadcast(&j->turn_cv);
	pthread_mutex_unlock(&j->lock);
	pthread_mutex_lock(j->plock);
	int stop_req = w2c_progress_report(j->prog, "hash", NULL, done, j->size);
	pthread_mutex_unlock(j->plock);
	if (stop_req) {
		w2c_error e;
		w2c_set_error(&e, W2C_ERR_INTERRUPTED, "%s: interrupted while hashing", j->path);
		fail(j, e.code, &e);
		return false;
	}
	return true;
}

static void *hash_worker(void *arg)
{
	struct hashjob *j = arg;
	char *buf = malloc(j->part_size ? j->part_size : 1);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	w2c_error e;

	if (!buf || !m) {
		w2c_set_error(&e, W2C_ERR_NOMEM, "out of memory for a %llu-byte part buffer",
			      (unsigned long long)j->part_size);
		fail(j, e.code, &e);
		goto out;
	}
	for (;;) {
		pthread_mutex_lock(&j->lock);
		unsigned k = j->next;
		bool stop = j->stop || k >= j->out->nparts;
		if (!stop)
			j->next++;
		pthread_mutex_unlock(&j->lock);
		if (stop)
			break;
		uint64_t off = (uint64_t)k * j->part_size;
		size_t len = (size_t)(j->size - off < j->part_size ? j->size - off : j->part_size);
		w2c_code rc = w2c_pread_full(j->fd, buf, len, off, j->path, &e);
		if (rc) {
			fail(j, rc, &e);
			break;
		}
		if (!feed_in_order(j, k, buf, len))
			break;
		EVP_DigestInit_ex(m, EVP_md5(), NULL);
		EVP_DigestUpdate(m, buf, len);
		EVP_DigestFinal_ex(m, j->out->md5[k], NULL);
		if (j->part_sha) {
			uint8_t s[32];
			EVP_Digest(buf, len, s, NULL, EVP_sha256(), NULL);
			w2c_hex(s, 32, j->out->part_sha[k]);
		}
	}
out:
	EVP_MD_CTX_free(m);
	free(buf);
	return NULL;
}

void w2c_hashes_free(w2c_hashes *h)
{
	free(h->md5);
	free(h->part_sha);
	memset(h, 0, sizeof *h);
}

w2c_code w2c_upload_hash(int fd, const char *path, uint64_t size, uint64_t part_size,
			 unsigned workers, bool part_sha, const w2c_progress *prog,
			 pthread_mutex_t *lock, w2c_hashes *out, w2c_error *err)
{
	struct hashjob j = { fd, path, size, part_size, 0, part_sha, prog, lock };
	pthread_t th[64];
	unsigned n = 0;
	uint8_t sha[32];

	memset(out, 0, sizeof *out);
	out->nparts = size ? (unsigned)((size + part_size - 1) / part_size) : 1;
	out->md5 = calloc(out->nparts, sizeof *out->md5);
	out->part_sha = part_sha ? calloc(out->nparts, sizeof *out->part_sha) : NULL;
	j.sha = EVP_MD_CTX_new();
	j.out = out;
	if (!out->md5 || (part_sha && !out->part_sha) || !j.sha) {
		EVP_MD_CTX_free(j.sha);
		w2c_hashes_free(out);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	EVP_DigestInit_ex(j.sha, EVP_sha256(), NULL);
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.turn_cv, NULL);
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	if (workers > out->nparts)
		workers = out->nparts;
	if (workers > 64)
		workers = 64;
	if (workers < 1)
		workers = 1;
	for (; n < workers; n++)
		if (pthread_create(&th[n], NULL, hash_worker, &j) != 0)
			break;
	if (!n)
		hash_worker(&j);
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	EVP_DigestFinal_ex(j.sha, sha, NULL);
	w2c_hex(sha, 32, out->sha256);
	EVP_MD_CTX_free(j.sha);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.turn_cv);
	if (j.rc) {
		if (err)
			*err = j.err;
		w2c_hashes_free(out);
	}
	return j.rc;
}
