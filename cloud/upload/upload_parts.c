/* Parallel part upload: each worker has its own connection; the checkpoint follows every part. */
#include "cloud/upload/upload_int.h"
#include "common/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct worker {
	w2c_upjob *j;
	unsigned id;
	char item[48];
};

uint64_t w2c_upload_part_len(const w2c_upjob *j, unsigned k)
{
	uint64_t off = (uint64_t)k * j->part_size;
	return j->size - off < j->part_size ? j->size - off : j->part_size;
}

w2c_code w2c_upload_save_checkpoint(w2c_upjob *j, w2c_error *err)
{
	char *s = w2c_checkpoint_dump(&j->cp);
	w2c_code rc;

	if (!s)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	rc = w2c_write_file_atomic(j->cp_path, s, strlen(s), 0600, err);
	free(s);
	if (rc)
		w2c_error_prefix(err, "cannot write the resume checkpoint (set W2C_STATE_DIR to a "
				      "writable directory)");
	return rc;
}

static void fail(w2c_upjob *j, w2c_code rc, const w2c_error *e)
{
	pthread_mutex_lock(&j->lock);
	/* the first error wins, except that a full disk beats what it caused in
	 * the other workers (their staging file vanished): it says what to do */
	if (!j->rc || (rc == W2C_ERR_NO_SPACE && j->rc != W2C_ERR_NO_SPACE)) {
		j->rc = rc;
		j->err = *e;
	}
	j->stop = true;
	pthread_mutex_unlock(&j->lock);
	pthread_mutex_lock(&j->sha_lock);
	j->sha_stop = true; /* workers waiting for their SHA-256 turn must give up */
	pthread_cond_broadcast(&j->sha_turn);
	pthread_mutex_unlock(&j->sha_lock);
}

/* Called by curl while a part is sent: aggregate progress, honour stop requests. */
static int part_progress(void *user, uint64_t sent, uint64_t total, uint64_t recv)
{
	struct worker *w = user;
	w2c_upjob *j = w->j;
	uint64_t all;
	int stop;
	(void)total, (void)recv;

	pthread_mutex_lock(&j->lock);
	j->inflight[w->id] = sent;
	all = j->done_bytes;
	for (unsigned i = 0; i < 64; i++)
		all += j->inflight[i];
	stop = j->stop || w2c_progress_report(j->o->progress, "upload", w->item, all, j->size);
	pthread_mutex_unlock(&j->lock);
	return stop;
}

/* The next part to handle: in single-read mode every part, since the ones the server already
 * has are still read for the SHA-256; after a hashing pass only the missing ones. */
static int next_part(w2c_upjob *j)
{
	int k = -1;

	pthread_mutex_lock(&j->lock);
	while (!j->stop && j->next < j->nparts) {
		unsigned i = j->next++;
		if (!j->md5_known || !j->cp.etags[i][0]) {
			k = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&j->lock);
	return k;
}

/* A file written to while it was read may have given a mix of old and new bytes. */
w2c_code w2c_upload_unchanged(const w2c_upjob *j, w2c_error *err)
{
	struct stat sb;

	if (fstat(j->fd, &sb) != 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: %s", j->o->file, strerror(errno));
	if ((uint64_t)sb.st_size < j->size)
		return w2c_upload_shrank(j->fd, j->o->file, j->size, err);
	if ((uint64_t)sb.st_size > j->size ||
	    (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec != j->mtime_ns)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: the file changed while it was uploaded (expected %llu bytes, "
				     "found %llu%s); nothing was completed, re-run when it no longer "
				     "changes", j->o->file, (unsigned long long)j->size,
				     (unsigned long long)sb.st_size,
				     (uint64_t)sb.st_size == j->size ? ", modified" : "");
	return W2C_OK;
}

/*
 * A sent part's checkpoint entry: written outside @lock, so that the other workers' progress
 * callbacks never wait for the disk, and not synced, since a resume takes the parts from
 * ListParts anyway; only the checkpoint naming the upload is synced.  Dumps are numbered so
 * that a slower writer never puts an older one over a newer one.
 */
static w2c_code save_part_checkpoint(w2c_upjob *j, char *dump, uint64_t gen, w2c_error *e)
{
	w2c_code rc = W2C_OK;

	if (!dump)
		return w2c_set_error(e, W2C_ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&j->cp_lock);
	if (gen > j->cp_written) {
		rc = w2c_write_file_replace(j->cp_path, dump, strlen(dump), 0600, false, e);
		if (!rc)
			j->cp_written = gen;
	}
	pthread_mutex_unlock(&j->cp_lock);
	free(dump);
	if (rc)
		w2c_error_prefix(e, "cannot write the resume checkpoint (set W2C_STATE_DIR to a "
				    "writable directory)");
	return rc;
}

/* Part @k is done: record it, count it, checkpoint. */
static w2c_code part_done(struct worker *w, unsigned k, const char *md5hex, bool sent,
			  w2c_error *e)
{
	w2c_upjob *j = w->j;
	w2c_code rc = W2C_OK;
	char *dump = NULL;
	uint64_t gen = 0;

	pthread_mutex_lock(&j->lock);
	memcpy(j->cp.etags[k], md5hex, 33);
	j->inflight[w->id] = 0;
	j->done_bytes += w2c_upload_part_len(j, k);
	j->parts_done++;
	snprintf(w->item, sizeof w->item, "parts %u/%u", j->parts_done, j->nparts);
	if (sent) {
		j->sent++;
		dump = w2c_checkpoint_dump(&j->cp);
		gen = ++j->cp_gen;
		w2c_log(j->o->log, W2C_LOG_DEBUG, "part %u/%u done, ETag %s", k + 1, j->nparts, md5hex);
	} else if (w2c_progress_report(j->o->progress, "upload", w->item, j->done_bytes, j->size)) {
		/* a resume re-reads the parts the server has: progress and Ctrl-C apply there too */
		rc = w2c_set_error(e, W2C_ERR_INTERRUPTED, "%s: interrupted", j->o->url);
	}
	pthread_mutex_unlock(&j->lock);
	return sent ? save_part_checkpoint(j, dump, gen, e) : rc;
}

static w2c_code send_part(struct worker *w, void *conn, unsigned k, const uint8_t *data,
			  const char *part_sha, w2c_error *e)
{
	w2c_upjob *j = w->j;
	char etag[81], want[33];
	struct stat sb;
	w2c_s3_payload p = { j->fd, (uint64_t)k * j->part_size, w2c_upload_part_len(j, k), data,
			     j->hs.md5[k], part_sha, part_progress, w };
	w2c_code rc;

	/* after a hashing pass, a file changed since would only meet BadDigest after the retries */
	if (!data && (rc = w2c_upload_unchanged(j, e)))
		return rc;
	pthread_mutex_lock(&j->lock);
	snprintf(w->item, sizeof w->item, "parts %u/%u", j->parts_done, j->nparts);
	pthread_mutex_unlock(&j->lock);
	rc = j->st.ops->mp_part(conn, j->cp.upload_id, k + 1, &p, etag, e);
	if (rc == W2C_ERR_IO && !data && fstat(j->fd, &sb) == 0 && (uint64_t)sb.st_size < j->size)
		return w2c_upload_shrank(j->fd, j->o->file, j->size, e);
	/* a refused Content-MD5 because the file changed since its MD5 was taken says so */
	if (rc && rc != W2C_ERR_INTERRUPTED && w2c_upload_unchanged(j, e))
		return e->code;
	if (rc)
		return rc;
	w2c_hex(j->hs.md5[k], 16, want);
	if (strcmp(etag, want))
		return w2c_set_error(e, W2C_ERR_VIOLATIONS,
				     "part %u of %s: the server's ETag %s is not the part's MD5 %s", k + 1,
				     j->o->url, etag, want);
	return part_done(w, k, want, true, e);
}

/* Feed part @k's bytes to the whole-file SHA-256 once every earlier part is in. */
static bool feed_sha(w2c_upjob *j, unsigned k, const uint8_t *buf, size_t len)
{
	bool ok;

	pthread_mutex_lock(&j->sha_lock);
	while (j->sha_next != k && !j->sha_stop)
		pthread_cond_wait(&j->sha_turn, &j->sha_lock);
	ok = j->sha_next == k;
	if (ok) {
		EVP_DigestUpdate(j->sha, buf, len);
		j->sha_next++;
		pthread_cond_broadcast(&j->sha_turn);
	}
	pthread_mutex_unlock(&j->sha_lock);
	return ok;
}

/* Single read: part @k into @buf, its MD5 (and SHA-256) from those very bytes, the file's
 * SHA-256 in order; then send it unless the server already has exactly these bytes. */
static w2c_code read_and_send(struct worker *w, void *conn, unsigned k, uint8_t *buf,
			      w2c_error *e)
{
	w2c_upjob *j = w->j;
	size_t len = (size_t)w2c_upload_part_len(j, k);
	char want[33], psha[65];
	uint8_t md[32];
	w2c_code rc = w2c_upload_read(j->fd, buf, len, (uint64_t)k * j->part_size, j->o->file,
				      j->size, e);

	if (rc)
		return rc;
	if (!j->ahead)
		EVP_Digest(buf, len, j->hs.md5[k], NULL, EVP_md5(), NULL);
	else if (!w2c_md5_ahead_wait(j->ahead, k, e))
		return e->code;
	if (j->hs.part_sha) {
		EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL);
		w2c_hex(md, 32, psha);
	}
	if (!feed_sha(j, k, buf, len)) /* another worker failed first; fail() keeps its error */
		return w2c_set_error(e, W2C_ERR_INTERRUPTED, "%s: stopped", j->o->file);
	w2c_hex(j->hs.md5[k], 16, want);
	if (j->cp.etags[k][0] && !strcmp(j->cp.etags[k], want))
		return part_done(w, k, want, false, e);
	if (j->cp.etags[k][0])
		w2c_log(j->o->log, W2C_LOG_WARN, "part %u: the server's copy differs from the file; "
			"sending it again", k + 1);
	return send_part(w, conn, k, buf, j->hs.part_sha ? psha : NULL, e);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w2c_upjob *j = w->j;
	void *conn = NULL;
	uint8_t *buf = NULL;
	w2c_error e;
	w2c_code rc = w2c_store_conn(&j->st, &conn, &e);
	int k;

	if (!rc && !j->md5_known && !(buf = malloc(j->part_size ? j->part_size : 1)))
		rc = w2c_set_error(&e, W2C_ERR_NOMEM, "out of memory for a %llu-byte part buffer "
				   "(use a smaller --part-size or --parallel)",
				   (unsigned long long)j->part_size);
	if (rc)
		fail(j, rc, &e);
	while (!rc && (k = next_part(j)) >= 0) {
		rc = j->md5_known ? send_part(w, conn, (unsigned)k, NULL,
					      j->hs.part_sha ? j->hs.part_sha[k] : NULL, &e)
				  : read_and_send(w, conn, (unsigned)k, buf, &e);
		if (rc)
			fail(j, rc, &e);
	}
	free(buf);
	if (conn)
		j->st.ops->conn_free(conn);
	return NULL;
}

w2c_code w2c_upload_parts(w2c_upjob *j, w2c_error *err)
{
	unsigned todo = 0, n = j->o->parallel ? j->o->parallel : 4;
	struct worker w[64];
	pthread_t th[64];
	unsigned started = 0;

	for (unsigned i = 0; i < j->nparts; i++) {
		if (j->md5_known && j->cp.etags[i][0]) {
			j->done_bytes += w2c_upload_part_len(j, i);
			j->parts_done++;
		} else {
			todo++;
		}
	}
	if (n > 64)
		n = 64;
	if (n > todo)
		n = todo;
	j->next = 0;
	if (!j->md5_known && (!(j->sha = EVP_MD_CTX_new()) ||
			      !EVP_DigestInit_ex(j->sha, EVP_sha256(), NULL)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	/* without a thread for the MD5s the workers hash their parts one stream each */
	if (!j->md5_known && todo &&
	    w2c_md5_ahead_start(&j->ahead, j->fd, j->o->file, j->size, j->part_size, &j->hs, err))
		j->ahead = NULL;
	for (; started < n; started++) {
		w[started] = (struct worker){ j, started, "" };
		if (pthread_create(&th[started], NULL, worker_main, &w[started]) != 0)
			break;
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	w2c_md5_ahead_end(j->ahead);
	j->ahead = NULL;
	if (todo && !started)
		return w2c_set_error(err, W2C_ERR_INTERNAL, "cannot start upload threads");
	if (j->rc && err)
		*err = j->err;
	if (!j->rc && j->sha) {
		uint8_t md[32];
		EVP_DigestFinal_ex(j->sha, md, NULL);
		w2c_hex(md, 32, j->hs.sha256);
	}
	return j->rc;
}
