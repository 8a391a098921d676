/* S3 object client: single PUT, multipart upload, HEAD; errors name the key and endpoint. */
#include "win2cloud/s3.h"
#include "common/util.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

struct w2c_s3 {
	w2c_s3_config cfg;
	char *endpoint;  /* without trailing '/' */
	w2c_http *http;
	w2c_sigv4_key key;
	char found_region[64]; /* the bucket's region when the server named another than ours */
};

w2c_code w2c_s3_new(const w2c_s3_config *cfg, w2c_s3 **out, w2c_error *err)
{
	w2c_s3 *s = calloc(1, sizeof *s);
	w2c_code rc;

	if (!s)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	s->cfg = *cfg;
	if (!s->cfg.storage_header)
		s->cfg.storage_header = "x-amz-storage-class";
	s->endpoint = w2c_strdup(cfg->endpoint);
	if (!s->endpoint) {
		free(s);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	size_t l = strlen(s->endpoint);
	while (l && s->endpoint[l - 1] == '/')
		s->endpoint[--l] = 0;
	s->key.access_key = cfg->cred->access_key;
	s->key.secret_key = cfg->cred->secret_key;
	s->key.session_token = cfg->cred->session_token;
	s->key.region = cfg->region ? cfg->region : "us-east-1";
	s->key.service = "s3";
	if ((rc = w2c_http_new(&cfg->http, &s->http, err))) {
		w2c_s3_free(s);
		return rc;
	}
	*out = s;
	return W2C_OK;
}

void w2c_s3_free(w2c_s3 *s3)
{
	if (!s3)
		return;
	w2c_http_free(s3->http);
	free(s3->endpoint);
	free(s3);
}

/* http://endpoint/bucket/key?query or http://bucket.endpoint/key?query */
static char *object_url(const w2c_s3 *s, const char *bucket, const char *key, const char *query)
{
	char *ek = w2c_http_uri_encode(key ? key : "", true), *url;
	const char *sep = query && *query ? "?" : "", *q = query ? query : "";

	if (!ek)
		return NULL;
	if (s->cfg.path_style) {
		url = w2c_asprintf("%s/%s/%s%s%s", s->endpoint, bucket, ek, sep, q);
	} else {
		const char *host = strstr(s->endpoint, "://");
		host = host ? host + 3 : s->endpoint;
		url = w2c_asprintf("%.*s%s.%s/%s%s%s", (int)(host - s->endpoint), s->endpoint, bucket,
				   host, ek, sep, q);
	}
	free(ek);
	return url;
}

struct sign_ctx {
	w2c_s3 *s3;
	const char *payload;
};

static w2c_code sign_cb(void *user, const char *method, const char *url, w2c_http_headers *h,
			w2c_error *err)
{
	struct sign_ctx *c = user;
	return w2c_sigv4_sign(&c->s3->key, method, url, h, c->payload, 0, NULL, err);
}

/* Transient S3 400s: a body damaged in transit, a slow client. */
static int s3_retry(void *user, const w2c_http_response *r)
{
	char code[64], msg[256];
	(void)user;
	if (r->status != 400)
		return -1;
	w2c_s3_parse_error(r->body, r->body_len, code, msg);
	return !strcmp(code, "BadDigest") || !strcmp(code, "XAmzContentSHA256Mismatch") ||
	       !strcmp(code, "RequestTimeout") || !strcmp(code, "IncompleteBody") ? 1 : -1;
}

/* An error for a non-2xx answer, naming what failed, where, and with which key. */
static w2c_code status_error(const w2c_s3 *s, const char *what, const char *bucket, const char *key,
			     const w2c_http_response *r, w2c_error *err)
{
	char code[64], msg[256];
	const char *rid = w2c_http_headers_get(&r->headers, "x-amz-request-id");

	w2c_s3_parse_error(r->body, r->body_len, code, msg);
	if (!code[0])
		snprintf(code, sizeof code, "HTTP %ld", r->status);
	if (r->status == 401 || r->status == 403)
		return w2c_set_error(err, W2C_ERR_AUTH,
				     "%s s3://%s/%s: %s refused access key '%s' (from %s): %s%s%s "
				     "(check the secret key, region '%s' and clock; not retried)",
				     what, bucket, key ? key : "", s->endpoint, s->key.access_key,
				     s->cfg.cred->source, code, msg[0] ? ": " : "", msg, s->key.region);
	return w2c_set_error(err, r->status == 404 ? W2C_ERR_NOT_FOUND : W2C_ERR_REMOTE,
			     "%s s3://%s/%s at %s: HTTP %ld %s%s%s%s%s%s", what, bucket, key ? key : "",
			     s->endpoint, r->status, code, msg[0] ? ": " : "", msg,
			     rid ? " (request id " : "", rid ? rid : "", rid ? ")" : "");
}

static w2c_code perform(w2c_s3 *s, const char *method, const char *url, w2c_http_headers *h,
			const w2c_http_body *body, const char *payload, const char *what,
			w2c_http_progress_fn progress, void *progress_user, w2c_http_response *r,
			w2c_error *err)
{
	struct sign_ctx sc = { s, payload };
	w2c_http_request q = { .method = method, .url = url, .headers = h, .sign = sign_cb,
			       .sign_user = &sc, .retry = s3_retry, .what = what,
			       .progress = progress, .progress_user = progress_user };
	if (body)
		q.body = *body;
	return w2c_http_perform(s->http, &q, r, err);
}

static void b64_md5(const uint8_t md5[16], char out[25])
{
	EVP_EncodeBlock((unsigned char *)out, md5, 16);
}

static void copy_etag(const char *v, char *etag)
{
	size_t l;

	etag[0] = 0;
	if (!v)
		return;
	if (*v == '"')
		v++;
	l = strlen(v);
	if (l && v[l - 1] == '"')
		l--;
	if (l > 80)
		l = 80;
	memcpy(etag, v, l);
	etag[l] = 0;
}

w2c_code w2c_s3_head(w2c_s3 *s3, const char *bucket, const char *key, w2c_s3_object *obj,
		     w2c_error *err)
{
	char *url = object_url(s3, bucket, key, NULL);
	w2c_http_headers h = { 0 };
	w2c_http_response r;
	w2c_code rc;
	const char *v;

	memset(obj, 0, sizeof *obj);
	if (!url)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	rc = perform(s3, "HEAD", url, &h, NULL, W2C_SHA256_EMPTY, "head", NULL, NULL, &r, err);
	if (!rc && r.status / 100 != 2)
		rc = status_error(s3, "head", bucket, key, &r, err);
	if (!rc) {
		v = w2c_http_headers_get(&r.headers, "Content-Length");
		obj->size = v ? strtoull(v, NULL, 10) : 0;
		copy_etag(w2c_http_headers_get(&r.headers, "ETag"), obj->etag);
		v = w2c_http_headers_get(&r.headers, s3->cfg.storage_header);
		snprintf(obj->storage_class, sizeof obj->storage_class, "%s", v ? v : "STANDARD");
		v = w2c_http_headers_get(&r.headers, "x-amz-meta-sha256");
		snprintf(obj->sha256, sizeof obj->sha256, "%s", v ? v : "");
	}
	w2c_http_response_free(&r);
	free(url);
	return rc;
}

static w2c_code send_payload(w2c_s3 *s3, const char *what, const char *bucket, const char *key,
			     const char *url, w2c_http_headers *h, const w2c_s3_payload *p,
			     char *etag, w2c_error *err)
{
	w2c_http_body b = { .kind = W2C_HTTP_BODY_FILE, .fd = p->fd, .offset = p->offset, .len = p->len };
	const char *payload = s3->cfg.unsigned_payload ? W2C_UNSIGNED_PAYLOAD : p->sha256_hex;
	char md5[25];
	w2c_http_response r;
	w2c_code rc;

	if (!payload)
		return w2c_set_error(err, W2C_ERR_INTERNAL, "%s: no payload hash", what);
	if (p->data) {
		b.kind = W2C_HTTP_BODY_MEMORY;
		b.data = (const char *)p->data;
	}
	b64_md5(p->md5, md5);
	if (w2c_http_headers_set(h, "Content-MD5", md5))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	rc = perform(s3, "PUT", url, h, &b, payload, what, p->progress, p->progress_user, &r, err);
	if (!rc && r.status / 100 != 2)
		rc = status_error(s3, what, bucket, key, &r, err);
	if (!rc) {
		copy_etag(w2c_http_headers_get(&r.headers, "ETag"), etag);
		if (!etag[0])
			rc = w2c_set_error(err, W2C_ERR_REMOTE, "%s s3://%s/%s: answer has no ETag",
					   what, bucket, key);
	}
	w2c_http_response_free(&r);
	return rc;
}

/* Object headers of a new object: type, storage class, SHA-256 metadata. */
static bool object_headers(const w2c_s3 *s3, w2c_http_headers *h, const char *storage_class,
			   const char *sha256_meta)
{
	return !w2c_http_headers_add(h, "Content-Type", "application/octet-stream") &&
	       !(storage_class && w2c_http_headers_add(h, s3->cfg.storage_header, storage_class)) &&
	       !(sha256_meta && w2c_http_headers_add(h, "x-amz-meta-sha256", sha256_meta));
}

w2c_code w2c_s3_put(w2c_s3 *s3, const char *bucket, const char *key, const w2c_s3_payload *p,
		    const char *storage_class, const char *sha256_meta, char *etag, w2c_error *err)
{
	char *url = object_url(s3, bucket, key, NULL);
	w2c_http_headers h = { 0 };
	w2c_code rc;

	if (!url || !object_headers(s3, &h, storage_class, sha256_meta))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	else
		rc = send_payload(s3, "put", bucket, key, url, &h, p, etag, err);
	w2c_http_headers_free(&h);
	free(url);
	return rc;
}

/* The empty-bodied request that creates an object (copy, initiate): @h plus the object
 * headers; @r holds the 2xx answer. */
static w2c_code create_request(w2c_s3 *s3, const char *method, const char *bucket, const char *key,
			       const char *query, w2c_http_headers *h, const char *storage_class,
			       const char *sha256_meta, const char *what, w2c_http_response *r,
			       w2c_error *err)
{
	char *url = object_url(s3, bucket, key, query);
	w2c_http_body b = { .kind = W2C_HTTP_BODY_MEMORY, .data = "", .len = 0 };
	w2c_code rc;

	if (!url || !object_headers(s3, h, storage_class, sha256_meta)) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	} else {
		rc = perform(s3, method, url, h, &b, W2C_SHA256_EMPTY, what, NULL, NULL, r, err);
		if (!rc && r->status / 100 != 2)
			rc = status_error(s3, what, bucket, key, r, err);
	}
	free(url);
	return rc;
}

w2c_code w2c_s3_copy_meta(w2c_s3 *s3, const char *bucket, const char *key,
			  const char *storage_class, const char *sha256_meta, char *etag,
			  w2c_error *err)
{
	char *ek = w2c_http_uri_encode(key, true);
	char *src = ek ? w2c_asprintf("/%s/%s", bucket, ek) : NULL;
	w2c_http_headers h = { 0 };
	w2c_http_response r = { 0 };
	w2c_code rc;

	if (!src || w2c_http_headers_add(&h, "x-amz-copy-source", src) ||
	    w2c_http_headers_add(&h, "x-amz-metadata-directive", "REPLACE"))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	else if (!(rc = create_request(s3, "PUT", bucket, key, NULL, &h, storage_class, sha256_meta,
				       "copy object (set metadata)", &r, err)))
		rc = w2c_s3_parse_copy(r.body, r.body_len, etag, err);
	w2c_http_response_free(&r);
	w2c_http_headers_free(&h);
	free(src);
	free(ek);
	return rc;
}

w2c_code w2c_s3_mp_init(w2c_s3 *s3, const char *bucket, const char *key, const char *storage_class,
			const char *sha256_meta, char **upload_id, w2c_error *err)
{
	w2c_http_headers h = { 0 };
	w2c_http_response r = { 0 };
	w2c_code rc;

	*upload_id = NULL;
	rc = create_request(s3, "POST", bucket, key, "uploads=", &h, storage_class, sha256_meta,
			    "initiate multipart upload", &r, err);
	if (!rc)
		rc = w2c_s3_parse_initiate(r.body, r.body_len, upload_id, err);
	w2c_http_response_free(&r);
	w2c_http_headers_free(&h);
	return rc;
}

static char *upload_query(const char *upload_id, const char *extra)
{
	char *id = w2c_http_uri_encode(upload_id, false);
	char *q = id ? w2c_asprintf("%s%suploadId=%s", extra ? extra : "", extra ? "&" : "", id) : NULL;
	free(id);
	return q;
}

w2c_code w2c_s3_mp_part(w2c_s3 *s3, const char *bucket, const char *key, const char *upload_id,
			unsigned n, const w2c_s3_payload *p, char *etag, w2c_error *err)
{
	char pn[32], what[48];
	w2c_http_headers h = { 0 };
	w2c_code rc;

	snprintf(pn, sizeof pn, "partNumber=%u", n);
	snprintf(what, sizeof what, "upload part %u", n);
	char *q = upload_query(upload_id, pn), *url = q ? object_url(s3, bucket, key, q) : NULL;
	if (!url)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	else
		rc = send_payload(s3, what, bucket, key, url, &h, p, etag, err);
	w2c_http_headers_free(&h);
	free(q);
	free(url);
	return rc;
}

w2c_code w2c_s3_mp_list(w2c_s3 *s3, const char *bucket, const char *key, const char *upload_id,
			w2c_s3_part **parts, size_t *count, w2c_error *err)
{
	unsigned marker = 0;
	bool more = true;
	w2c_code rc = W2C_OK;

	*parts = NULL;
	*count = 0;
	while (!rc && more) {
		char extra[64];
		snprintf(extra, sizeof extra, "max-parts=1000&part-number-marker=%u", marker);
		char *q = upload_query(upload_id, extra), *url = q ? object_url(s3, bucket, key, q) : NULL;
		w2c_http_headers h = { 0 };
		w2c_http_response r = { 0 };
		unsigned next = 0;
		if (!url) {
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		} else {
			rc = perform(s3, "GET", url, &h, NULL, W2C_SHA256_EMPTY, "list parts", NULL, NULL,
				     &r, err);
			if (!rc && r.status / 100 != 2)
				rc = status_error(s3, "list parts", bucket, key, &r, err);
			if (!rc)
				rc = w2c_s3_parse_list_parts(r.body, r.body_len, parts, count, &more,
							     &next, err);
			if (!rc && more && next <= marker)
				rc = w2c_set_error(err, W2C_ERR_REMOTE,
						   "list parts s3://%s/%s: truncated listing without "
						   "a next marker", bucket, key);
			marker = next;
		}
		w2c_http_response_free(&r);
		free(q);
		free(url);
	}
	if (rc) {
		free(*parts);
		*parts = NULL;
		*count = 0;
	}
	return rc;
}

w2c_code w2c_s3_mp_complete(w2c_s3 *s3, const char *bucket, const char *key,
			    const char *upload_id, const w2c_s3_part *parts, size_t count,
			    char *etag, w2c_error *err)
{
	size_t cap = 64 + count * 128, len = 0;
	char *xml = malloc(cap), *q = upload_query(upload_id, NULL);
	char *url = q ? object_url(s3, bucket, key, q) : NULL, sha[65];
	w2c_http_headers h = { 0 };
	w2c_http_response r = { 0 };
	w2c_code rc;

	if (!xml || !url) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	len += (size_t)snprintf(xml + len, cap - len, "<CompleteMultipartUpload>");
	for (size_t i = 0; i < count; i++)
		len += (size_t)snprintf(xml + len, cap - len,
					"<Part><PartNumber>%u</PartNumber><ETag>\"%s\"</ETag></Part>",
					parts[i].number, parts[i].etag);
	len += (size_t)snprintf(xml + len, cap - len, "</CompleteMultipartUpload>");
	w2c_sha256_hex(xml, len, sha);
	w2c_http_body b = { .kind = W2C_HTTP_BODY_MEMORY, .data = xml, .len = len };
	if (w2c_http_headers_add(&h, "Content-Type", "application/xml")) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = perform(s3, "POST", url, &h, &b, sha, "complete multipart upload", NULL, NULL, &r, err);
	if (!rc && r.status / 100 != 2)
		rc = status_error(s3, "complete multipart upload", bucket, key, &r, err);
	if (!rc)
		rc = w2c_s3_parse_complete(r.body, r.body_len, etag, err);
out:
	w2c_http_response_free(&r);
	w2c_http_headers_free(&h);
	free(xml);
	free(q);
	free(url);
	return rc;
}

w2c_code w2c_s3_mp_abort(w2c_s3 *s3, const char *bucket, const char *key, const char *upload_id,
			 w2c_error *err)
{
	char *q = upload_query(upload_id, NULL), *url = q ? object_url(s3, bucket, key, q) : NULL;
	w2c_http_headers h = { 0 };
	w2c_http_response r = { 0 };
	w2c_code rc;

	if (!url) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	} else {
		rc = perform(s3, "DELETE", url, &h, NULL, W2C_SHA256_EMPTY, "abort multipart upload",
			     NULL, NULL, &r, err);
		if (!rc && r.status / 100 != 2 && r.status != 404)
			rc = status_error(s3, "abort multipart upload", bucket, key, &r, err);
	}
	w2c_http_response_free(&r);
	free(q);
	free(url);
	return rc;
}

/* The region a refused request names (S3 tells where the bucket lives), or "". */
static void region_hint(const w2c_http_response *r, char out[64])
{
	const char *h = w2c_http_headers_get(&r->headers, "x-amz-bucket-region");
	char code[64], msg[256];

	snprintf(out, 64, "%s", h ? h : "");
	if (out[0] || r->status / 100 == 2)
		return;
	w2c_s3_parse_error(r->body, r->body_len, code, msg);
	if (strcmp(code, "AuthorizationHeaderMalformed") && strcmp(code, "PermanentRedirect"))
		return;
	w2c_s3_parse_error_field(r->body, r->body_len, "Region", out, 64);
	const char *q = strstr(msg, "expecting '");
	if (!out[0] && q) /* Swift s3api: "... region 'x' is wrong; expecting 'us-east-1'" */
		snprintf(out, 64, "%.*s", (int)strcspn(q + 11, "'"), q + 11);
	if (strspn(out, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(out))
		out[0] = 0;
}

/* A bucket request; signed once more for the bucket's region when the server names it. */
static w2c_code bucket_request(w2c_s3 *s3, const char *method, const char *bucket,
			       const char *query, const char *what, w2c_http_response *r,
			       w2c_error *err)
{
	char *url = object_url(s3, bucket, "", query), hint[64];
	w2c_http_headers h = { 0 };
	w2c_code rc;

	if (!url)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	rc = perform(s3, method, url, &h, NULL, W2C_SHA256_EMPTY, what, NULL, NULL, r, err);
	if (!rc && r->status / 100 != 2) {
		region_hint(r, hint);
		if (hint[0] && strcmp(hint, s3->key.region)) {
			w2c_log(s3->cfg.http.log, W2C_LOG_INFO, "bucket %s answers for region %s, not %s",
				bucket, hint, s3->key.region);
			memcpy(s3->found_region, hint, sizeof hint);
			s3->key.region = s3->found_region;
			w2c_http_response_free(r);
			w2c_http_headers_free(&h);
			rc = perform(s3, method, url, &h, NULL, W2C_SHA256_EMPTY, what, NULL, NULL, r, err);
		}
	}
	if (!rc && r->status / 100 != 2)
		rc = status_error(s3, what, bucket, NULL, r, err);
	w2c_http_headers_free(&h);
	free(url);
	return rc;
}

static void header_copy(const w2c_http_response *r, const char *name, char *out, size_t n)
{
	const char *v = w2c_http_headers_get(&r->headers, name);
	snprintf(out, n, "%s", v ? v : "");
}

w2c_code w2c_s3_bucket_info(w2c_s3 *s3, const char *bucket, w2c_s3_bucket *out, w2c_error *err)
{
	w2c_http_response r = { 0 };
	w2c_code rc;

	memset(out, 0, sizeof *out);
	/* GET ?location first: its error body names the right region, HEAD has no body */
	rc = bucket_request(s3, "GET", bucket, "location", "bucket location", &r, err);
	if (!rc && (rc = w2c_s3_parse_location(r.body, r.body_len, out->region, err)))
		w2c_error_prefix(err, "bucket %s at %s", bucket, s3->endpoint);
	w2c_http_response_free(&r);
	if (rc)
		return rc;
	if (!out->region[0]) /* S3: an empty LocationConstraint means us-east-1 */
		snprintf(out->region, sizeof out->region, "us-east-1");
	if ((rc = bucket_request(s3, "HEAD", bucket, NULL, "head bucket", &r, err)) == W2C_OK) {
		header_copy(&r, "x-obs-storage-class", out->storage_class, sizeof out->storage_class);
		if (!out->storage_class[0])
			header_copy(&r, "x-default-storage-class", out->storage_class,
				    sizeof out->storage_class);
		out->class_header = out->storage_class[0] != 0;
		header_copy(&r, "x-obs-version", out->obs_version, sizeof out->obs_version);
	}
	w2c_http_response_free(&r);
	return rc;
}
