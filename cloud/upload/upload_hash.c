/*
 * The hashing pass run before an upload whose SHA-256 metadata must be known
 * when the object is created (see w2c_upload_hash).  Reads with pread into
 * bounded buffers, never through a mapping: a file that shrinks meanwhile
 * gives an error naming it, not SIGBUS.  One thread feeds the whole-file
 * SHA-256 in order while the others compute part MD5s, eight parts at a time
 * with AVX2 (cloud/md5x8.c) where the CPU has it, else one by one.
 */
#include "cloud/upload/upload_hash.h"
#include "cloud/upload/md5x8.h"
#include "common/util.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (1u << 20)   /* per lane and read */

struct hashjob {
	int fd;
	const char *path;
	uint64_t size, part_size;
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
	bool *ready;             /* lookahead only: part k's MD5 is in out->md5[k] */
	pthread_cond_t *ready_cv;
	unsigned wanted;         /* lookahead only: the highest part a worker waited for */
};

/* How far the lookahead may run ahead of the workers, in parts: close enough that the
 * workers' reads of the same bytes come from the page cache, so the disk sees one read. */
#define AHEAD_PARTS 16

w2c_code w2c_upload_shrank(int fd, const char *path, uint64_t size, w2c_error *err)
{
	struct stat sb;
	long long now = fstat(fd, &sb) == 0 ? (long long)sb.st_size : -1;

	return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
			     "%s: the file shrank while it was uploaded: expected %llu bytes, found "
			     "%lld (nothing was completed; re-run when it no longer changes)", path,
			     (unsigned long long)size, now);
}

w2c_code w2c_upload_read(int fd, void *buf, size_t n, uint64_t off, const char *path,
			 uint64_t size, w2c_error *err)
{
	w2c_code rc = w2c_pread_full(fd, buf, n, off, path, err);

	/* w2c_pread_full's "truncated" becomes the error that says what happened */
	return rc == W2C_ERR_INVALID_INPUT ? w2c_upload_shrank(fd, path, size, err) : rc;
}

static void fail(struct hashjob *j, const w2c_error *e)
{
	pthread_mutex_lock(&j->lock);
	if (!j->rc) {
		j->rc = e->code;
		j->err = *e;
	}
	j->stop = true;
	if (j->ready_cv)
		pthread_cond_broadcast(j->ready_cv);
	pthread_mutex_unlock(&j->lock);
}

static bool stopped(struct hashjob *j)
{
	pthread_mutex_lock(&j->lock);
	bool s = j->stop;
	pthread_mutex_unlock(&j->lock);
	return s;
}

/*
 * The whole-file SHA-256 is the critical path of the pass (one stream, about 1.8 GB/s with
 * SHA-NI): a reader thread keeps a small ring of chunks filled so that the hashing thread
 * never waits in pread, and the page-cache copy runs on the core the MD5 lanes share.
 */
#define RING 4
#define SHA_CHUNK (4 * CHUNK)

struct ring {
	struct hashjob *j;
	pthread_mutex_t m;
	pthread_cond_t filled, freed;
	uint8_t *buf[RING];
	size_t len[RING];
	uint64_t head, tail;     /* chunks read / chunks hashed */
	bool eof, quit;          /* reader done or failed / consumer gave up */
};

static void *ring_reader(void *arg)
{
	struct ring *r = arg;
	struct hashjob *j = r->j;
	w2c_error e;

	for (uint64_t off = 0; off < j->size; off += SHA_CHUNK) {
		size_t n = j->size - off < SHA_CHUNK ? (size_t)(j->size - off) : SHA_CHUNK;
		pthread_mutex_lock(&r->m);
		while (r->head - r->tail == RING && !r->quit)
			pthread_cond_wait(&r->freed, &r->m);
		bool quit = r->quit;
		pthread_mutex_unlock(&r->m);
		if (quit)
			break;
		/* the slot is ours: the consumer is at most RING-1 chunks behind and never touches it */
		if (w2c_upload_read(j->fd, r->buf[r->head % RING], n, off, j->path, j->size, &e)) {
			fail(j, &e);
			break;
		}
		pthread_mutex_lock(&r->m);
		r->len[r->head % RING] = n;
		r->head++;
		pthread_cond_signal(&r->filled);
		pthread_mutex_unlock(&r->m);
	}
	pthread_mutex_lock(&r->m);
	r->eof = true;
	pthread_cond_signal(&r->filled);
	pthread_mutex_unlock(&r->m);
	return NULL;
}

/* The next filled slot, or NULL at the end or when the reader failed. */
static const uint8_t *ring_next(struct ring *r, size_t *n)
{
	const uint8_t *p = NULL;

	pthread_mutex_lock(&r->m);
	while (r->tail == r->head && !r->eof)
		pthread_cond_wait(&r->filled, &r->m);
	if (r->tail != r->head) {
		p = r->buf[r->tail % RING];
		*n = r->len[r->tail % RING];
	}
	pthread_mutex_unlock(&r->m);
	return p;
}

static void ring_release(struct ring *r, bool quit)
{
	pthread_mutex_lock(&r->m);
	if (quit)
		r->quit = true;
	else
		r->tail++;
	pthread_cond_signal(&r->freed);
	pthread_mutex_unlock(&r->m);
}

static bool sha_feed(struct hashjob *j, struct ring *r, EVP_MD_CTX *c)
{
	uint64_t done = 0;
	const uint8_t *p;
	size_t n;
	w2c_error e;

	while ((p = ring_next(r, &n))) {
		EVP_DigestUpdate(c, p, n);
		done += n;
		pthread_mutex_lock(j->plock);
		int stop = w2c_progress_report(j->prog, "hash", NULL, done, j->size);
		pthread_mutex_unlock(j->plock);
		if (stop) {
			w2c_set_error(&e, W2C_ERR_INTERRUPTED, "%s: interrupted while hashing", j->path);
			fail(j, &e);
		}
		if (stopped(j)) {
			ring_release(r, true);
			return false;
		}
		ring_release(r, false);
	}
	return done == j->size;
}

static void *sha_thread(void *arg)
{
	struct hashjob *j = arg;
	struct ring r = { .j = j };
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t *mem = malloc((size_t)RING * SHA_CHUNK), md[32];
	pthread_t rd;
	w2c_error e;

	pthread_mutex_init(&r.m, NULL);
	pthread_cond_init(&r.filled, NULL);
	pthread_cond_init(&r.freed, NULL);
	if (!c || !mem || !EVP_DigestInit_ex(c, EVP_sha256(), NULL)) {
		w2c_set_error(&e, W2C_ERR_NOMEM, "out of memory");
		fail(j, &e);
		goto out;
	}
	for (int i = 0; i < RING; i++)
		r.buf[i] = mem + (size_t)i * SHA_CHUNK;
	if (pthread_create(&rd, NULL, ring_reader, &r) != 0) {
		w2c_set_error(&e, W2C_ERR_INTERNAL, "cannot start the hashing reader thread");
		fail(j, &e);
		goto out;
	}
	bool whole = sha_feed(j, &r, c);
	pthread_join(rd, NULL);
	if (whole) {
		EVP_DigestFinal_ex(c, md, NULL);
		w2c_hex(md, 32, j->out->sha256);
	}
out:
	pthread_cond_destroy(&r.filled);
	pthread_cond_destroy(&r.freed);
	pthread_mutex_destroy(&r.m);
	EVP_MD_CTX_free(c);
	free(mem);
	return NULL;
}

/* Part @k alone, streamed through @buf (CHUNK bytes). */
static w2c_code hash_one(struct hashjob *j, unsigned k, uint8_t *buf, w2c_error *e)
{
	uint64_t off = (uint64_t)k * j->part_size;
	uint64_t len = j->size - off < j->part_size ? j->size - off : j->part_size;
	/* the part's SHA-256 only when the requests sign their payload */
	EVP_MD_CTX *m = EVP_MD_CTX_new(), *s = j->part_sha ? EVP_MD_CTX_new() : NULL;
	uint8_t sha[32];
	w2c_code rc = W2C_OK;

	if (!m || (j->part_sha && !s)) {
		rc = w2c_set_error(e, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	EVP_DigestInit_ex(m, EVP_md5(), NULL);
	if (s)
		EVP_DigestInit_ex(s, EVP_sha256(), NULL);
	for (uint64_t done = 0; done < len && !rc; done += CHUNK) {
		size_t n = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
		if (!(rc = w2c_upload_read(j->fd, buf, n, off + done, j->path, j->size, e))) {
			EVP_DigestUpdate(m, buf, n);
			if (s)
				EVP_DigestUpdate(s, buf, n);
		}
	}
	EVP_DigestFinal_ex(m, j->out->md5[k], NULL);
	if (s) {
		EVP_DigestFinal_ex(s, sha, NULL);
		w2c_hex(sha, 32, j->out->part_sha[k]);
	}
out:
	EVP_MD_CTX_free(m);
	EVP_MD_CTX_free(s);
	return rc;
}

/* Eight full parts from @k0 in lockstep, one CHUNK of each per round. */
static w2c_code hash_group(struct hashjob *j, unsigned k0, uint8_t *buf, w2c_error *e)
{
	w2c_md5x8_state st;
	EVP_MD_CTX *s[8] = { 0 };
	const uint8_t *lane[8];
	w2c_code rc = W2C_OK;
	uint8_t md[32];

	if (!w2c_md5x8_begin(&st)) {
		for (int l = 0; l < 8 && !rc; l++)
			rc = hash_one(j, k0 + (unsigned)l, buf, e);
		return rc;
	}
	for (int l = 0; l < 8; l++) {
		lane[l] = buf + (size_t)l * CHUNK;
		if (j->part_sha && (!(s[l] = EVP_MD_CTX_new()) ||
				    !EVP_DigestInit_ex(s[l], EVP_sha256(), NULL)))
			rc = w2c_set_error(e, W2C_ERR_NOMEM, "out of memory");
	}
	for (uint64_t done = 0; done < j->part_size && !rc; done += CHUNK) {
		size_t n = j->part_size - done < CHUNK ? (size_t)(j->part_size - done) : CHUNK;
		for (int l = 0; l < 8 && !rc; l++) {
			uint64_t off = (uint64_t)(k0 + (unsigned)l) * j->part_size + done;
			rc = w2c_upload_read(j->fd, (uint8_t *)lane[l], n, off, j->path, j->size, e);
			if (!rc && s[l])
				EVP_DigestUpdate(s[l], lane[l], n);
		}
		if (rc)
			break;
		w2c_md5x8_update(&st, lane, n / 64);
		if (done + n == j->part_size) {
			const uint8_t *rest[8];
			uint8_t out[8][16];
			for (int l = 0; l < 8; l++)
				rest[l] = lane[l] + n / 64 * 64;
			w2c_md5x8_end(&st, rest, n % 64, j->part_size, out);
			for (int l = 0; l < 8; l++)
				memcpy(j->out->md5[k0 + (unsigned)l], out[l], 16);
		}
	}
	for (int l = 0; l < 8; l++) {
		if (s[l] && !rc) {
			EVP_DigestFinal_ex(s[l], md, NULL);
			w2c_hex(md, 32, j->out->part_sha[k0 + (unsigned)l]);
		}
		EVP_MD_CTX_free(s[l]);
	}
	return rc;
}

/* Work item @it: group @it of 8 parts, then the remaining parts one by one. */
static unsigned item_part(const struct hashjob *j, unsigned it)
{
	return it < j->full_groups ? it * 8 : j->full_groups * 8 + (it - j->full_groups);
}

static void *md5_thread(void *arg)
{
	struct hashjob *j = arg;
	unsigned items = j->full_groups + (j->out->nparts - j->full_groups * 8);
	uint8_t *buf = malloc(8 * (size_t)CHUNK);
	w2c_error e;

	if (!buf) {
		w2c_set_error(&e, W2C_ERR_NOMEM, "out of memory");
		fail(j, &e);
		return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&j->lock);
		unsigned it = j->next;
		while (j->ready && !j->stop && it < items &&
		       item_part(j, it) >= j->wanted + AHEAD_PARTS)
			pthread_cond_wait(j->ready_cv, &j->lock);
		bool stop = j->stop || it >= items;
		if (!stop)
			j->next++;
		pthread_mutex_unlock(&j->lock);
		if (stop)
			break;
		unsigned k0 = item_part(j, it);
		w2c_code rc = it < j->full_groups ? hash_group(j, k0, buf, &e) : hash_one(j, k0, buf, &e);
		if (rc) {
			fail(j, &e);
		} else if (j->ready) {
			pthread_mutex_lock(&j->lock);
			for (unsigned k = k0; k < k0 + (it < j->full_groups ? 8 : 1); k++)
				j->ready[k] = true;
			pthread_cond_broadcast(j->ready_cv);
			pthread_mutex_unlock(&j->lock);
		}
	}
	free(buf);
	return NULL;
}

void w2c_hashes_free(w2c_hashes *h)
{
	free(h->md5);
	free(h->part_sha);
	memset(h, 0, sizeof *h);
}

w2c_code w2c_hashes_alloc(w2c_hashes *out, uint64_t size, uint64_t part_size, bool part_sha,
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
	struct hashjob j = { .fd = fd, .path = path, .size = size, .part_size = part_size,
			     .part_sha = part_sha, .prog = prog, .plock = lock, .out = out };
	pthread_t sha, md[16];
	unsigned n = 0;

	j.full_groups = (unsigned)(size / part_size) / 8;
	pthread_mutex_init(&j.lock, NULL);
	if (pthread_create(&sha, NULL, sha_thread, &j) != 0) {
		sha_thread(&j);
		sha = pthread_self();
	}
	/* the SHA-256 thread is the critical path: leave it a core of its own */
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	workers = workers > 1 ? workers - 1 : 1;
	if (cpus > 1 && workers > (unsigned)cpus - 1)
		workers = (unsigned)cpus - 1;
	for (; n < workers && n < 16; n++)
		if (pthread_create(&md[n], NULL, md5_thread, &j) != 0)
			break;
	if (!n)
		md5_thread(&j);
	for (unsigned i = 0; i < n; i++)
		pthread_join(md[i], NULL);
	if (!pthread_equal(sha, pthread_self()))
		pthread_join(sha, NULL);
	pthread_mutex_destroy(&j.lock);
	if (j.rc && err)
		*err = j.err;
	return j.rc;
}

/*
 * The single read's part MD5s.  A worker holds one part, so its MD5 would be one OpenSSL
 * stream (0.8 GB/s a core) on the cores the server needs during the upload; this thread
 * instead hashes eight parts at a time (md5x8, several GB/s) from its own 8 MiB of reads,
 * ahead of the workers, which wait for their part's MD5 only at the very start.  The
 * bytes sent are still what the SHA-256 is computed from; Content-MD5 makes the server
 * refuse a part whose bytes changed between the two reads.
 */
struct w2c_md5_ahead {
	struct hashjob j;
	pthread_cond_t cv;
	pthread_t th;
};

w2c_code w2c_md5_ahead_start(w2c_md5_ahead **out, int fd, const char *path, uint64_t size,
			     uint64_t part_size, w2c_hashes *hs, w2c_error *err)
{
	w2c_md5_ahead *a = calloc(1, sizeof *a);

	*out = NULL;
	if (!a || !(a->j.ready = calloc(hs->nparts, sizeof *a->j.ready))) {
		free(a);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	a->j = (struct hashjob){ .fd = fd, .path = path, .size = size, .part_size = part_size,
				 .out = hs, .ready = a->j.ready, .ready_cv = &a->cv };
	a->j.full_groups = (unsigned)(size / part_size) / 8;
	pthread_mutex_init(&a->j.lock, NULL);
	pthread_cond_init(&a->cv, NULL);
	if (pthread_create(&a->th, NULL, md5_thread, &a->j) != 0) {
		pthread_cond_destroy(&a->cv);
		pthread_mutex_destroy(&a->j.lock);
		free(a->j.ready);
		free(a);
		return w2c_set_error(err, W2C_ERR_INTERNAL, "cannot start the MD5 thread");
	}
	*out = a;
	return W2C_OK;
}

bool w2c_md5_ahead_wait(w2c_md5_ahead *a, unsigned k, w2c_error *err)
{
	bool ok;

	pthread_mutex_lock(&a->j.lock);
	if (k > a->j.wanted) {
		a->j.wanted = k;
		pthread_cond_broadcast(&a->cv); /* the lookahead may go on */
	}
	while (!a->j.ready[k] && !a->j.stop)
		pthread_cond_wait(&a->cv, &a->j.lock);
	ok = a->j.ready[k];
	if (!ok && err && a->j.rc)
		*err = a->j.err;
	else if (!ok && err)
		w2c_set_error(err, W2C_ERR_INTERRUPTED, "%s: stopped", a->j.path);
	pthread_mutex_unlock(&a->j.lock);
	return ok;
}

void w2c_md5_ahead_end(w2c_md5_ahead *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->j.lock);
	a->j.stop = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->j.lock);
	pthread_join(a->th, NULL);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->j.lock);
	free(a->j.ready);
	free(a);
}
