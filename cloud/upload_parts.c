/* Parallel part upload: each worker has its own connection; the checkpoint follows every part. */
#include "cloud/upload_int.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

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
	if (!j->rc) {
		j->rc = rc;
		j->err = *e;
	}
	j->stop = true;
	pthread_mutex_unlock(&j->lock);
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

static int next_part(w2c_upjob *j)
{
	int k = -1;

	pthread_mutex_lock(&j->lock);
	while (!j->stop && j->next < j->nparts) {
		unsigned i = j->next++;
		if (!j->cp.etags[i][0]) {
			k = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&j->lock);
	return k;
}

static w2c_code send_part(struct worker *w, void *conn, unsigned k, w2c_error *e)
{
	w2c_upjob *j = w->j;
	char etag[81], want[33];
	w2c_s3_payload p = { j->fd, (uint64_t)k * j->part_size, w2c_upload_part_len(j, k),
			     j->hs.md5[k], j->hs.part_sha ? j->hs.part_sha[k] : NULL,
			     part_progress, w };
	w2c_code rc;

	pthread_mutex_lock(&j->lock);
	snprintf(w->item, sizeof w->item, "parts %u/%u", j->parts_done, j->nparts);
	pthread_mutex_unlock(&j->lock);
	rc = j->st.ops->mp_part(conn, j->cp.upload_id, k + 1, &p, etag, e);
	if (rc)
		return rc;
	w2c_hex(j->hs.md5[k], 16, want);
	if (strcmp(etag, want))
		return w2c_set_error(e, W2C_ERR_VIOLATIONS,
				     "part %u of %s: the server's ETag %s is not the part's MD5 %s", k + 1,
				     j->o->url, etag, want);
	pthread_mutex_lock(&j->lock);
	memcpy(j->cp.etags[k], want, 33);
	j->inflight[w->id] = 0;
	j->done_bytes += p.len;
	j->sent++;
	j->parts_done++;
	snprintf(w->item, sizeof w->item, "parts %u/%u", j->parts_done, j->nparts);
	rc = w2c_upload_save_checkpoint(j, e);
	w2c_log(j->o->log, W2C_LOG_DEBUG, "part %u/%u done, ETag %s", k + 1, j->nparts, want);
	pthread_mutex_unlock(&j->lock);
	return rc;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	w2c_upjob *j = w->j;
	void *conn = NULL;
	w2c_error e;
	w2c_code rc = w2c_store_conn(&j->st, &conn, &e);
	int k;

	if (rc)
		fail(j, rc, &e);
	while (!rc && (k = next_part(j)) >= 0) {
		if ((rc = send_part(w, conn, (unsigned)k, &e)))
			fail(j, rc, &e);
	}
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
		if (j->cp.etags[i][0]) {
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
	for (; started < n; started++) {
		w[started] = (struct worker){ j, started, "" };
		if (pthread_create(&th[started], NULL, worker_main, &w[started]) != 0)
			break;
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (todo && !started)
		return w2c_set_error(err, W2C_ERR_INTERNAL, "cannot start upload threads");
	if (j->rc && err)
		*err = j->err;
	return j->rc;
}
