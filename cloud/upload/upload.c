/* w2c_upload(): single PUT or resumable multipart reading the file once, then verify. */
#include "cloud/upload/upload_int.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t w2c_upload_part_size(uint64_t size)
{
	uint64_t p = (size + W2C_UPLOAD_MAX_PARTS / 10 - 1) / (W2C_UPLOAD_MAX_PARTS / 10);
	const uint64_t mib = 1u << 20;

	if (p < W2C_UPLOAD_DEFAULT_PART)
		p = W2C_UPLOAD_DEFAULT_PART;
	return (p + mib - 1) / mib * mib;
}

/* FILE.w2c-upload-<12 hex of sha256(url)>.json, or in $W2C_STATE_DIR. */
static char *checkpoint_path(const char *file, const char *url)
{
	const char *dir = getenv("W2C_STATE_DIR");
	char h[65], *copy, *p;

	w2c_sha256_hex(url, strlen(url), h);
	h[12] = 0;
	if (!dir || !*dir)
		return w2c_asprintf("%s.w2c-upload-%s.json", file, h);
	copy = w2c_strdup(file);
	p = copy ? w2c_asprintf("%s/%s.w2c-upload-%s.json", dir, basename(copy), h) : NULL;
	free(copy);
	return p;
}

/* SHA-256 over the first, middle and last MiB: cheap evidence of an unchanged file. */
static w2c_code sample_hash(int fd, uint64_t size, const char *path, char out[65], w2c_error *err)
{
	const uint64_t mib = 1u << 20;
	uint64_t offs[3] = { 0, size / 2, size > mib ? size - mib : 0 };
	char *buf = malloc(mib);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	uint8_t md[32];
	w2c_code rc = W2C_OK;

	if (!buf || !c) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	for (int i = 0; i < 3; i++) {
		size_t n = (size_t)(size - offs[i] < mib ? size - offs[i] : mib);
		if ((rc = w2c_pread_full(fd, buf, n, offs[i], path, err)))
			goto out;
		EVP_DigestUpdate(c, buf, n);
	}
	EVP_DigestFinal_ex(c, md, NULL);
	w2c_hex(md, 32, out);
out:
	EVP_MD_CTX_free(c);
	free(buf);
	return rc;
}

/* md5(md5_1 || ... || md5_N) "-N" */
static void multipart_etag(const w2c_hashes *hs, char out[81])
{
	uint8_t md[16];
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	for (unsigned i = 0; i < hs->nparts; i++)
		EVP_DigestUpdate(c, hs->md5[i], 16);
	EVP_DigestFinal_ex(c, md, NULL);
	EVP_MD_CTX_free(c);
	w2c_hex(md, 16, out);
	snprintf(out + 32, 48, "-%u", hs->nparts);
}

static void expected_etag(const w2c_upjob *j, char out[81])
{
	if (j->nparts == 1)
		w2c_hex(j->hs.md5[0], 16, out);
	else
		multipart_etag(&j->hs, out);
}

static w2c_code open_file(w2c_upjob *j, w2c_error *err)
{
	struct stat sb;
	const char *f = j->o->file;

	j->fd = open(f, O_RDONLY | O_CLOEXEC);
	if (j->fd < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO, "%s: %s", f,
				     strerror(errno));
	if (fstat(j->fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: not a regular file", f);
	j->size = (uint64_t)sb.st_size;
	j->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	return W2C_OK;
}

static w2c_code choose_part_size(w2c_upjob *j, w2c_error *err)
{
	uint64_t ps = j->o->part_size;

	if (!ps)
		ps = j->cp.upload_id ? j->cp.part_size : w2c_upload_part_size(j->size);
	if (ps < W2C_UPLOAD_MIN_PART || ps > W2C_UPLOAD_MAX_PART)
		return w2c_set_error(err, W2C_ERR_USAGE, "part size %llu: expected 5 MiB .. 5 GiB",
				     (unsigned long long)ps);
	uint64_t n = j->size ? (j->size + ps - 1) / ps : 1;
	if (n > W2C_UPLOAD_MAX_PARTS)
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "part size %llu gives %llu parts for %s; at most 10000 are allowed "
				     "(use at least %llu)", (unsigned long long)ps, (unsigned long long)n,
				     j->o->file, (unsigned long long)w2c_upload_part_size(j->size));
	j->part_size = ps;
	j->nparts = (unsigned)n;
	return W2C_OK;
}

static void load_checkpoint(w2c_upjob *j)
{
	char *data = NULL;
	size_t len;
	w2c_error e;

	if (w2c_read_file(j->cp_path, 4u << 20, &data, &len, NULL))
		return;
	if (w2c_checkpoint_parse(data, len, &j->cp, &e) || strcmp(j->cp.url, j->o->url)) {
		w2c_log(j->o->log, W2C_LOG_WARN, "%s: ignoring unusable resume checkpoint: %s",
			j->cp_path, j->cp.url ? "made for another target" : e.message);
		w2c_checkpoint_free(&j->cp);
	}
	free(data);
}

void w2c_upload_discard(w2c_upjob *j, void *conn)
{
	w2c_error e;

	if (j->st.ops->mp_abort(conn, j->cp.upload_id, &e))
		w2c_log(j->o->log, W2C_LOG_WARN, "abort of upload %s failed: %s", j->cp.upload_id,
			e.message);
	unlink(j->cp_path);
	w2c_checkpoint_free(&j->cp);
}

static void drop_checkpoint(w2c_upjob *j, void *conn, const char *why)
{
	w2c_log(j->o->log, W2C_LOG_WARN, "%s: %s; aborting upload %s and starting over", j->o->file,
		why, j->cp.upload_id);
	w2c_upload_discard(j, conn);
}

/* The checkpoint must describe this very file, else its parts are worthless. */
static w2c_code check_identity(w2c_upjob *j, void *conn, w2c_error *err)
{
	char sample[65];
	w2c_code rc = sample_hash(j->fd, j->size, j->o->file, sample, err);

	if (rc)
		return rc;
	if (j->cp.upload_id && (j->cp.size != j->size || j->cp.mtime_ns != j->mtime_ns || strcmp(j->cp.sample, sample)))
		drop_checkpoint(j, conn, "the file changed since the interrupted upload");
	else if (j->cp.upload_id && j->cp.part_size != j->part_size)
		drop_checkpoint(j, conn, "a different part size was asked for");
	memcpy(j->cp.sample, sample, 65); /* kept for a new checkpoint too */
	return W2C_OK;
}

/* Keep only checkpointed parts the server still has with the same MD5 and size. */
static w2c_code reconcile(w2c_upjob *j, void *conn, w2c_error *err)
{
	w2c_s3_part *parts = NULL;
	size_t n = 0;
	w2c_code rc = j->st.ops->mp_list(conn, j->cp.upload_id, &parts, &n, err);
	unsigned kept = 0;

	if (rc == W2C_ERR_NOT_FOUND) {
		w2c_log(j->o->log, W2C_LOG_WARN, "upload %s is gone on the server; starting over",
			j->cp.upload_id);
		unlink(j->cp_path);
		w2c_checkpoint_free(&j->cp);
		return W2C_OK;
	}
	if (rc)
		return rc;
	for (unsigned k = 0; k < j->nparts; k++) {
		char want[33];
		const char *have = "";
		w2c_hex(j->hs.md5[k], 16, want);
		for (size_t i = 0; i < n && !*have; i++)
			if (parts[i].number == k + 1 && parts[i].size == w2c_upload_part_len(j, k) &&
			    strlen(parts[i].etag) == 32)
				have = parts[i].etag;
		/* without a hashing pass the MD5 is compared when the part is read again */
		if (j->md5_known && strcmp(have, want))
			have = "";
		/* a part sent just before a kill may be there without a checkpoint entry */
		memcpy(j->cp.etags[k], have, strlen(have) + 1);
		kept += *have != 0;
	}
	free(parts);
	w2c_log(j->o->log, W2C_LOG_INFO, "resuming upload %s: %u of %u parts already there",
		j->cp.upload_id, kept, j->nparts);
	return w2c_upload_save_checkpoint(j, err);
}

static w2c_code start_multipart(w2c_upjob *j, void *conn, w2c_error *err)
{
	char *id = NULL;
	/* the SHA-256 is known here after a hashing pass, or claimed (checked before completion) */
	w2c_code rc = j->st.ops->mp_init(conn, j->o->storage_class,
					 j->md5_known ? j->hs.sha256 : j->claimed[0] ? j->claimed : NULL,
					 &id, err);
	char sample[65];

	if (rc)
		return rc;
	memcpy(sample, j->cp.sample, 65);
	w2c_checkpoint_free(&j->cp);
	j->cp.url = w2c_strdup(j->o->url);
	j->cp.upload_id = id;
	j->cp.size = j->size;
	j->cp.part_size = j->part_size;
	j->cp.mtime_ns = j->mtime_ns;
	j->cp.nparts = j->nparts;
	memcpy(j->cp.sample, sample, 65);
	j->cp.meta_after = !j->md5_known && !j->claimed[0];
	if (!j->md5_known)
		memcpy(j->cp.claimed, j->claimed, 65);
	j->cp.etags = calloc(j->nparts, sizeof *j->cp.etags);
	if (!j->cp.url || !j->cp.etags)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	return w2c_upload_save_checkpoint(j, err);
}

static w2c_code multipart(w2c_upjob *j, void *conn, w2c_upload_result *res, w2c_error *err)
{
	w2c_s3_part *parts;
	char want[81];
	w2c_code rc = W2C_OK;

	if (j->cp.upload_id && (rc = reconcile(j, conn, err)))
		return rc;
	res->resumed = j->cp.upload_id != NULL;
	if (!j->cp.upload_id && (rc = start_multipart(j, conn, err)))
		return rc;
	snprintf(res->upload_id, sizeof res->upload_id, "%s", j->cp.upload_id);
	if ((rc = w2c_upload_parts(j, err)) || (rc = w2c_upload_unchanged(j, err)) ||
	    (rc = w2c_upload_check_claim(j, conn, err)))
		return rc;
	parts = calloc(j->nparts, sizeof *parts);
	if (!parts)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (unsigned k = 0; k < j->nparts; k++) {
		parts[k].number = k + 1;
		parts[k].size = w2c_upload_part_len(j, k);
		memcpy(parts[k].etag, j->cp.etags[k], 33);
	}
	rc = j->st.ops->mp_complete(conn, j->cp.upload_id, parts, j->nparts, res->etag, err);
	free(parts);
	if (rc)
		return rc;
	expected_etag(j, want);
	if (strcmp(res->etag, want))
		return w2c_set_error(err, W2C_ERR_VIOLATIONS,
				     "%s: the final ETag %s is not md5-of-part-md5s %s", j->o->url,
				     res->etag, want);
	if (j->cp.meta_after && j->st.ops->set_meta &&
	    (rc = j->st.ops->set_meta(conn, j->o->storage_class, j->hs.sha256, err))) {
		w2c_error_prefix(err, "%s is complete but its SHA-256 metadata is not set", j->o->url);
		return rc;
	}
	unlink(j->cp_path);
	return W2C_OK;
}

/* One PUT: from the file after a hashing pass, else from one buffer hashed here. */
static w2c_code single_put(w2c_upjob *j, void *conn, w2c_upload_result *res, w2c_error *err)
{
	w2c_s3_payload p = { j->fd, 0, j->size, NULL, j->hs.md5[0],
			     j->hs.part_sha ? j->hs.part_sha[0] : NULL, NULL, NULL };
	uint8_t *buf = NULL, md[32];
	char want[81];
	w2c_code rc = W2C_OK;

	if (!j->md5_known) {
		if (!(buf = malloc(j->size ? j->size : 1)))
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		if ((rc = w2c_upload_read(j->fd, buf, j->size, 0, j->o->file, j->size, err)))
			goto out;
		EVP_Digest(buf, j->size, j->hs.md5[0], NULL, EVP_md5(), NULL);
		EVP_Digest(buf, j->size, md, NULL, EVP_sha256(), NULL);
		w2c_hex(md, 32, j->hs.sha256);
		if (j->hs.part_sha)
			memcpy(j->hs.part_sha[0], j->hs.sha256, 65);
		p.data = buf;
		if ((rc = w2c_upload_unchanged(j, err)) || (rc = w2c_upload_check_claim(j, NULL, err)))
			goto out;
	}
	rc = j->st.ops->put(conn, &p, j->o->storage_class, j->hs.sha256, res->etag, err);
	if (rc)
		goto out;
	expected_etag(j, want);
	if (strcmp(res->etag, want))
		rc = w2c_set_error(err, W2C_ERR_VIOLATIONS, "%s: the server's ETag %s is not the MD5 %s",
				   j->o->url, res->etag, want);
	j->sent = 1;
out:
	free(buf);
	return rc;
}

/* After the upload: storage class always, size/SHA-256/ETag with verify. */
static w2c_code check_object(w2c_upjob *j, void *conn, w2c_upload_result *res, w2c_error *err)
{
	w2c_s3_object obj;
	char want[81];
	w2c_code rc = j->st.ops->head(conn, &obj, err);

	if (rc) {
		w2c_error_prefix(err, "checking the uploaded object");
		return rc;
	}
	snprintf(res->storage_class, sizeof res->storage_class, "%s", obj.storage_class);
	if (strcmp(obj.storage_class, j->o->storage_class))
		return w2c_set_error(err, W2C_ERR_VIOLATIONS, "%s: storage class is %s, expected %s",
				     j->o->url, obj.storage_class, j->o->storage_class);
	if (obj.size != j->size)
		return w2c_set_error(err, W2C_ERR_VIOLATIONS, "%s: object has %llu bytes, the file %llu",
				     j->o->url, (unsigned long long)obj.size,
				     (unsigned long long)j->size);
	if (!j->o->verify)
		return W2C_OK;
	expected_etag(j, want);
	if (strcmp(obj.sha256, j->hs.sha256))
		return w2c_set_error(err, W2C_ERR_VIOLATIONS,
				     "%s: object SHA-256 metadata '%s' differs from the file's %s",
				     j->o->url, obj.sha256, j->hs.sha256);
	if (obj.etag[0] && strcmp(obj.etag, want))
		return w2c_set_error(err, W2C_ERR_VIOLATIONS, "%s: object ETag %s, expected %s",
				     j->o->url, obj.etag, want);
	res->verified = true;
	return W2C_OK;
}

static w2c_code do_abort(w2c_upjob *j, void *conn, w2c_upload_result *res, w2c_error *err)
{
	w2c_code rc;

	if (!j->cp.upload_id)
		return w2c_set_error(err, W2C_ERR_NOT_FOUND,
				     "no interrupted upload of %s to %s (no checkpoint %s)", j->o->file,
				     j->o->url, j->cp_path);
	if ((rc = j->st.ops->mp_abort(conn, j->cp.upload_id, err)))
		return rc;
	snprintf(res->upload_id, sizeof res->upload_id, "%s", j->cp.upload_id);
	unlink(j->cp_path);
	res->aborted = true;
	return W2C_OK;
}

/*
 * Whether a hashing pass must run before the upload: an interrupted upload that set the
 * metadata at creation; an object already there with this size (to compare SHA-256s); or a
 * multipart S3 upload, unless asked otherwise: setting metadata afterwards means a copy of the
 * object on the server, dearer than reading the file twice (see win2cloud/upload.h).
 */
static w2c_code hash_first(w2c_upjob *j, const w2c_s3_object *obj, bool found, bool *first,
			   w2c_error *err)
{
	const w2c_store_ops *ops = j->st.ops;
	w2c_sha256_meta m = j->o->sha256_meta;

	if (j->cp.upload_id)
		*first = !j->cp.meta_after && !j->cp.claimed[0];
	else if (found && obj->size == j->size && obj->sha256[0])
		*first = true;
	else if (j->claimed[0] && m != W2C_SHA256_META_FIRST)
		*first = false; /* metadata at creation from the claim, one read that checks it */
	else if (j->nparts == 1 || !ops->set_meta || m == W2C_SHA256_META_FIRST)
		*first = m == W2C_SHA256_META_FIRST;
	else if (m == W2C_SHA256_META_AFTER && j->size > ops->set_meta_max)
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "%s: --sha256-meta after: %s sets metadata by copying the object, "
				     "which is limited to %llu bytes; this file has %llu", j->o->url,
				     ops->name, (unsigned long long)ops->set_meta_max,
				     (unsigned long long)j->size);
	else
		*first = m == W2C_SHA256_META_AUTO;
	if (*first && !j->cp.upload_id && m == W2C_SHA256_META_AUTO)
		w2c_log(j->o->log, W2C_LOG_INFO, "%s: hashing first, so that the SHA-256 metadata is "
			"set at creation (setting it afterwards copies the object on the server)",
			j->o->url);
	return W2C_OK;
}

static w2c_code run(w2c_upjob *j, w2c_upload_result *res, w2c_error *err)
{
	void *conn = NULL;
	w2c_s3_object obj;
	bool found = false, first = false;
	w2c_code rc;

	memset(&obj, 0, sizeof obj);
	if ((rc = w2c_store_open(&j->st, j->o, err)) || (rc = open_file(j, err)))
		return rc;
	if (!(j->cp_path = checkpoint_path(j->o->file, j->o->url)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	load_checkpoint(j);
	if (j->st.target.kind == W2C_TARGET_FILE && !j->o->abort &&
	    (rc = w2c_store_file_preflight(&j->st, j->size, err)))
		goto out;
	if ((rc = w2c_store_conn(&j->st, &conn, err)))
		goto out;
	if (j->o->abort) {
		rc = do_abort(j, conn, res, err);
		goto out;
	}
	if ((rc = choose_part_size(j, err)) || (rc = check_identity(j, conn, err)) ||
	    (rc = w2c_hashes_alloc(&j->hs, j->size, j->part_size,
				   !j->st.s3cfg.unsigned_payload && j->st.target.kind != W2C_TARGET_FILE,
				   err)))
		goto out;
	if (!j->cp.upload_id) {
		rc = j->st.ops->head(conn, &obj, err);
		found = !rc;
		if (rc && rc != W2C_ERR_NOT_FOUND)
			goto out;
	}
	if ((rc = w2c_upload_find_claim(j, err)) || (rc = hash_first(j, &obj, found, &first, err)))
		goto out;
	if (first && ((rc = w2c_upload_hash(j->fd, j->o->file, j->size, j->part_size,
					    j->o->parallel ? j->o->parallel : 4, j->hs.part_sha != NULL,
					    j->o->progress, &j->lock, &j->hs, err)) ||
		      (rc = w2c_upload_check_claim(j, NULL, err))))
		goto out;
	j->md5_known = first;
	if (found && first && obj.size == j->size && !strcmp(obj.sha256, j->hs.sha256)) {
		res->skipped = true;
		memcpy(res->sha256, j->hs.sha256, 65);
		expected_etag(j, res->etag);
		rc = check_object(j, conn, res, err);
		goto out;
	}
	rc = j->nparts == 1 && !j->cp.upload_id ? single_put(j, conn, res, err)
						: multipart(j, conn, res, err);
	memcpy(res->sha256, j->hs.sha256, 65);
	if (!rc && j->claim_src)
		snprintf(res->sha256_claim, sizeof res->sha256_claim, "%s", j->claim_src);
	if (!rc)
		rc = check_object(j, conn, res, err);
out:
	if (conn)
		j->st.ops->conn_free(conn);
	return rc;
}

w2c_code w2c_upload(const w2c_upload_options *o, w2c_upload_result *res, w2c_error *err)
{
	w2c_upload_options opt = *o;
	w2c_upjob j;
	double t0 = w2c_now();
	w2c_code rc;

	memset(res, 0, sizeof *res);
	memset(&j, 0, sizeof j);
	if (!opt.storage_class)
		opt.storage_class = "STANDARD";
	if (opt.parallel > 64)
		opt.parallel = 64;
	j.o = &opt;
	j.fd = -1;
	pthread_mutex_init(&j.lock, NULL);
	pthread_mutex_init(&j.sha_lock, NULL);
	pthread_mutex_init(&j.cp_lock, NULL);
	pthread_cond_init(&j.sha_turn, NULL);
	snprintf(res->url, sizeof res->url, "%s", o->url);
	rc = run(&j, res, err);
	res->size = j.size;
	res->part_size = j.part_size;
	res->parts = j.nparts;
	res->parts_sent = j.sent;
	res->seconds = w2c_now() - t0;
	res->mib_per_s = res->seconds > 0 ? (double)j.size / 1048576.0 / res->seconds : 0;
	if (rc == W2C_ERR_INTERRUPTED || rc == W2C_ERR_NETWORK)
		w2c_error_prefix(err, "%s", j.cp.upload_id ? "upload stopped; run the same command "
							     "again to resume"
							   : "upload stopped");
	w2c_hashes_free(&j.hs);
	w2c_checkpoint_free(&j.cp);
	free(j.cp_path);
	free(j.claim_src);
	w2c_store_close(&j.st);
	if (j.fd >= 0)
		close(j.fd);
	EVP_MD_CTX_free(j.sha);
	pthread_mutex_destroy(&j.lock);
	pthread_mutex_destroy(&j.sha_lock);
	pthread_mutex_destroy(&j.cp_lock);
	pthread_cond_destroy(&j.sha_turn);
	return rc;
}
