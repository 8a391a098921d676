/*
 * The hashing pass: one read of the file through a read-only mapping (no
 * copies, no buffers).  One thread feeds the whole-file SHA-256 in order
 * while the others compute part MD5s, eight parts at a time with AVX2
 * (cloud/md5x8.c) where the CPU has it, else one by one with OpenSSL.
 */
#include "cloud/upload_hash.h"
#include "cloud/md5x8.h"
#include "common/util.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

struct hashjob {
	const uint8_t *map;
	const char *path;
	uint64_t size, part_size, sha_done;
	unsigned full_groups;    /* groups of 8 equal, full-size parts */
	bool part_sha;
	const w2c_progress *prog;
	pthread_mutex_t *plock;
	pthread_mutex_t lock;
	unsigned next;           /* next work item: group g < full_groups, then single parts */
	bool stop;
	w2c_code rc;
	w2c_error err;
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
	pthread_mutex_unlock(&j->lock);
}

static bool stopped(struct hashjob *j)
{
	pthread_mutex_lock(&j->lock);
	bool s = j->stop;
	pthread_mutex_unlock(&j->lock);
	return s;
}

static void *sha_thread(void *arg)
{
	struct hashjob *j = arg;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	const uint64_t chunk = 4u << 20;
	uint8_t md[32];
	w2c_error e;

	if (!c) {
		w2c_set_error(&e, W2C_ERR_NOMEM, "out of memory");
		fail(j, e.code, &e);
		return NULL;
	}
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (uint64_t off = 0; off < j->size && !stopped(j); off += chunk) {
		uint64_t n = j->size - off < chunk ? j->size - off : chunk;
		EVP_DigestUpdate(c, j->map + off, n);
		pthread_mutex_lock(j->plock);
		int stop = w2c_progress_report(j->prog, "hash", NULL, off + n, j->size);
		pthread_mutex_unlock(j->plock);
		if (stop) {
			w2c_set_error(&e, W2C_ERR_INTERRUPTED, "%s: interrupted while hashing", j->path);
			fail(j, e.code, &e);
		}
	}
	EVP_DigestFinal_ex(c, md, NULL);
	w2c_hex(md, 32, j->out->sha256);
	EVP_MD_CTX_free(c);
	return NULL;
}

static void hash_one(struct hashjob *j, unsigned k, bool md5_done)
{
	uint64_t off = (uint64_t)k * j->part_size;
	uint64_t len = j->size - off < j->part_size ? j->size - off : j->part_size;
	uint8_t s[32];

	if (!md5_done)
		EVP_Digest(j->map + off, len, j->out->md5[k], NULL, EVP_md5(), NULL);
	if (j->part_sha) {
		EVP_Digest(j->map + off, len, s, NULL, EVP_sha256(), NULL);
		w2c_hex(s, 32, j->out->part_sha[k]);
	}
}

static void *md5_thread(void *arg)
{
	struct hashjob *j = arg;
	unsigned items = j->full_groups + (j->out->nparts - j->full_groups * 8);

	for (;;) {
		pthread_mutex_lock(&j->lock);
		unsigned it = j->next;
		bool stop = j->stop || it >= items;
		if (!stop)
			j->next++;
		pthread_mutex_unlock(&j->lock);
		if (stop)
			break;
		if (it < j->full_groups) {
			const uint8_t *b[8];
			uint8_t out[8][16];
			unsigned k0 = it * 8;
			for (int l = 0; l < 8; l++)
				b[l] = j->map + (uint64_t)(k0 + l) * j->part_size;
			bool ok = w2c_md5x8(b, j->part_size, out);
			for (int l = 0; l < 8; l++) {
				if (ok)
					memcpy(j->out->md5[k0 + l], out[l], 16);
				hash_one(j, k0 + l, ok);
			}
		} else {
			hash_one(j, j->full_groups * 8 + (it - j->full_groups), false);
		}
	}
	return NULL;
}

void w2c_hashes_free(w2c_hashes *h)
{
	free(h->md5);
	free(h->part_sha);
	memset(h, 0, sizeof *h);
}

static w2c_code alloc_out(w2c_hashes *out, uint64_t size, uint64_t part_size, bool part_sha,
			  w2c_error *err)
{
	memset(out, 0, sizeof *out);
	out->nparts = size ? (unsigned)((size + part_size - 1) / part_size) : 1;
	out->md5 = calloc(out->nparts, sizeof *out->md5);
	out->part_sha = part_sha ? calloc(out->nparts, sizeof *out->part_sha) : NULL;
	if (!out->md5 || (part_sha && !out->part_sha)) {
		w2c_hashes_free(out);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	return W2C_OK;
}

w2c_code w2c_upload_hash(int fd, const char *path, uint64_t size, uint64_t part_size,
			 unsigned workers, bool part_sha, const w2c_progress *prog,
			 pthread_mutex_t *lock, w2c_hashes *out, w2c_error *err)
{
	static const uint8_t empty[1];
	struct hashjob j = { .path = path, .size = size, .part_size = part_size,
			     .part_sha = part_sha, .prog = prog, .plock = lock, .out = out };
	pthread_t sha, md[16];
	unsigned n = 0;
	w2c_code rc = alloc_out(out, size, part_size, part_sha, err);

	if (rc)
		return rc;
	j.map = empty;
	if (size) {
		void *m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			w2c_hashes_free(out);
			return w2c_set_error(err, W2C_ERR_IO, "%s: cannot map for reading: %s", path,
					     strerror(errno));
		}
		madvise(m, size, MADV_SEQUENTIAL);
		j.map = m;
	}
	j.full_groups = (unsigned)(size / part_size) / 8;
	pthread_mutex_init(&j.lock, NULL);
	if (pthread_create(&sha, NULL, sha_thread, &j) != 0) {
		sha_thread(&j);
		sha = pthread_self();
	}
	workers = workers > 1 ? workers - 1 : 1;
	for (; n < workers && n < 16; n++)
		if (pthread_create(&md[n], NULL, md5_thread, &j) != 0)
			break;
	if (!n)
		md5_thread(&j);
	for (unsigned i = 0; i < n; i++)
		pthread_join(md[i], NULL);
	if (!pthread_equal(sha, pthread_self()))
		pthread_join(sha, NULL);
	if (size)
		munmap((void *)j.map, size);
	pthread_mutex_destroy(&j.lock);
	if (j.rc) {
		if (err)
			*err = j.err;
		w2c_hashes_free(out);
	}
	return j.rc;
}
