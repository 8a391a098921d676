/* Target URLs, store setup, and the S3/OBS store (thin wrappers over the S3 client). */
#include "cloud/upload/store.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

w2c_code w2c_target_parse(const char *url, w2c_target *t, w2c_error *err)
{
	memset(t, 0, sizeof *t);
	if (!strncmp(url, "file://", 7)) {
		const char *p = url + 7;
		if (*p != '/' || p[strlen(p) - 1] == '/')
			return w2c_set_error(err, W2C_ERR_USAGE,
					     "target %s: expected file:///DIR/NAME (absolute path to a file)",
					     url);
		t->kind = W2C_TARGET_FILE;
		t->key = w2c_strdup(p);
		return t->key ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	if (!strncmp(url, "s3://", 5))
		t->kind = W2C_TARGET_S3;
	else if (!strncmp(url, "obs://", 6))
		t->kind = W2C_TARGET_OBS;
	else
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "target %s: expected obs://BUCKET/KEY, s3://BUCKET/KEY or "
				     "file:///DIR/NAME", url);
	const char *b = strstr(url, "://") + 3, *slash = strchr(b, '/');
	if (!slash || slash == b || !slash[1])
		return w2c_set_error(err, W2C_ERR_USAGE, "target %s: needs both a bucket and an object key",
				     url);
	size_t bl = (size_t)(slash - b);
	for (size_t i = 0; i < bl; i++) {
		char c = b[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return w2c_set_error(err, W2C_ERR_USAGE,
					     "target %s: bucket names use lowercase letters, digits, '-' "
					     "and '.' only", url);
	}
	if (bl < 3 || bl > 63)
		return w2c_set_error(err, W2C_ERR_USAGE, "target %s: bucket name must be 3-63 characters",
				     url);
	if (strlen(slash + 1) > 1024)
		return w2c_set_error(err, W2C_ERR_USAGE, "target %s: object key longer than 1024 bytes", url);
	t->bucket = w2c_strndup(b, bl);
	t->key = w2c_strdup(slash + 1);
	return t->bucket && t->key ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
}

void w2c_target_free(w2c_target *t)
{
	free(t->bucket);
	free(t->key);
	memset(t, 0, sizeof *t);
}

static const char *first_env(const char *a, const char *b)
{
	const char *v = getenv(a);
	return v && *v ? v : (v = getenv(b)) && *v ? v : NULL;
}

static w2c_code open_s3(w2c_store *st, const w2c_upload_options *o, w2c_error *err)
{
	w2c_code rc = w2c_credentials_load(o->credentials_file, o->profile, &st->cred, err);
	const char *region, *endpoint;
	bool obs = st->target.kind == W2C_TARGET_OBS;

	if (rc)
		return rc;
	region = o->region ? o->region : st->cred.region ? st->cred.region
			     : first_env("AWS_REGION", "AWS_DEFAULT_REGION");
	endpoint = o->endpoint ? o->endpoint : st->cred.endpoint ? st->cred.endpoint
			       : obs ? NULL : first_env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
	if (obs && !endpoint && !region)
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "%s: OBS needs --region (e.g. eu-de) or --endpoint", o->url);
	if (!obs && !endpoint)
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "%s: s3:// needs --endpoint URL (or 'endpoint' in the profile, or "
				     "AWS_ENDPOINT_URL)", o->url);
	st->region = w2c_strdup(region ? region : "us-east-1");
	st->endpoint = endpoint ? w2c_strdup(endpoint)
				: w2c_asprintf("https://obs.%s.otc.t-systems.com", region);
	if (!st->region || !st->endpoint)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (strncmp(st->endpoint, "http://", 7) && strncmp(st->endpoint, "https://", 8))
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "endpoint %s: expected http://HOST[:PORT] or https://HOST[:PORT]",
				     st->endpoint);
	st->s3cfg.endpoint = st->endpoint;
	st->s3cfg.region = st->region;
	/* OBS rejects path style (VirtualHostDomainRequired) */
	st->s3cfg.path_style = !obs && !o->virtual_hosted;
	st->s3cfg.unsigned_payload = o->payload_signing < 0 ? !obs : o->payload_signing == 0;
	st->s3cfg.cred = &st->cred;
	st->s3cfg.http.ca_bundle = o->ca_bundle;
	st->s3cfg.http.log = o->log;
	st->s3cfg.http.max_retries = o->max_retries;
	return W2C_OK;
}

w2c_code w2c_store_open(w2c_store *st, const w2c_upload_options *o, w2c_error *err)
{
	w2c_code rc;

	memset(st, 0, sizeof *st);
	if ((rc = w2c_target_parse(o->url, &st->target, err)))
		return rc;
	if (st->target.kind == W2C_TARGET_FILE) {
		st->ops = &w2c_store_file_ops;
		return W2C_OK;
	}
	st->ops = &w2c_store_s3_ops;
	return open_s3(st, o, err);
}

void w2c_store_close(w2c_store *st)
{
	w2c_target_free(&st->target);
	w2c_credentials_free(&st->cred);
	free(st->endpoint);
	free(st->region);
	memset(st, 0, sizeof *st);
}

w2c_code w2c_store_conn(const w2c_store *st, void **conn, w2c_error *err)
{
	return st->target.kind == W2C_TARGET_FILE ? w2c_store_file_conn(st, conn, err)
						  : w2c_store_s3_conn(st, conn, err);
}

/* ---- S3/OBS store ---- */

struct s3conn {
	w2c_s3 *s3;
	const char *bucket, *key;
};

w2c_code w2c_store_s3_conn(const w2c_store *st, void **conn, w2c_error *err)
{
	struct s3conn *c = calloc(1, sizeof *c);
	w2c_code rc;

	if (!c)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if ((rc = w2c_s3_new(&st->s3cfg, &c->s3, err))) {
		free(c);
		return rc;
	}
	c->bucket = st->target.bucket;
	c->key = st->target.key;
	*conn = c;
	return W2C_OK;
}

static void s3_free(void *conn)
{
	struct s3conn *c = conn;
	if (c)
		w2c_s3_free(c->s3);
	free(c);
}

static w2c_code s3_head(void *conn, w2c_s3_object *obj, w2c_error *err)
{
	struct s3conn *c = conn;
	return w2c_s3_head(c->s3, c->bucket, c->key, obj, err);
}

static w2c_code s3_put(void *conn, const w2c_s3_payload *p, const char *sc, const char *sha,
		       char *etag, w2c_error *err)
{
	struct s3conn *c = conn;
	return w2c_s3_put(c->s3, c->bucket, c->key, p, sc, sha, etag, err);
}

static w2c_code s3_init(void *conn, const char *sc, const char *sha, char **id, w2c_error *err)
{
	struct s3conn *c = conn;
	return w2c_s3_mp_init(c->s3, c->bucket, c->key, sc, sha, id, err);
}

static w2c_code s3_part(void *conn, const char *id, unsigned n, const w2c_s3_payload *p, char *etag,
			w2c_error *err)
{
	struct s3conn *c = conn;
	return w2c_s3_mp_part(c->s3, c->bucket, c->key, id, n, p, etag, err);
}

static w2c_code s3_list(void *conn, const char *id, w2c_s3_part **parts, size_t *count,
			w2c_error *err)
{
	struct s3conn *c = conn;
	return w2c_s3_mp_list(c->s3, c->bucket, c->key, id, parts, count, err);
}

static w2c_code s3_complete(void *conn, const char *id, const w2c_s3_part *parts, size_t count,
			    char *etag, w2c_error *err)
{
	struct s3conn *c = conn;
	return w2c_s3_mp_complete(c->s3, c->bucket, c->key, id, parts, count, etag, err);
}

static w2c_code s3_abort(void *conn, const char *id, w2c_error *err)
{
	struct s3conn *c = conn;
	return w2c_s3_mp_abort(c->s3, c->bucket, c->key, id, err);
}

static w2c_code s3_set_meta(void *conn, const char *sc, const char *sha, w2c_error *err)
{
	struct s3conn *c = conn;
	char etag[81];
	return w2c_s3_copy_meta(c->s3, c->bucket, c->key, sc, sha, etag, err);
}

const w2c_store_ops w2c_store_s3_ops = {
	"s3", s3_free, s3_head, s3_put, s3_init, s3_part, s3_list, s3_complete, s3_abort,
	s3_set_meta, 5ull << 30, /* S3's limit for CopyObject */
};

w2c_code w2c_upload_target_open(const w2c_upload_options *o, w2c_upload_target *t, w2c_error *err)
{
	w2c_code rc;

	memset(t, 0, sizeof *t);
	/* the client borrows the store's credentials and endpoint: the store lives as long */
	if (!(t->store = calloc(1, sizeof *t->store)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	w2c_store *st = t->store;
	rc = w2c_store_open(st, o, err);
	if (!rc && st->target.kind == W2C_TARGET_FILE)
		rc = w2c_set_error(err, W2C_ERR_USAGE, "%s: a file:// target has no bucket", o->url);
	if (!rc) {
		t->obs = st->target.kind == W2C_TARGET_OBS;
		t->bucket = st->target.bucket;
		t->key = st->target.key && *st->target.key ? st->target.key : NULL;
		t->region = st->region;
		rc = w2c_s3_new(&st->s3cfg, &t->s3, err);
	}
	if (rc)
		w2c_upload_target_free(t);
	return rc;
}

void w2c_upload_target_free(w2c_upload_target *t)
{
	w2c_s3_free(t->s3);
	if (t->store) {
		w2c_store_close(t->store);
		free(t->store);
	}
	memset(t, 0, sizeof *t);
}
