/* JSON calls to IMS / Glance with token refresh, AK/SK signing and throttling backoff. */
#include "win2cloud/api.h"
#include "common/util.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void w2c_api_result_free(w2c_api_result *r)
{
	json_decref(r->json);
	w2c_http_headers_free(&r->headers);
	memset(r, 0, sizeof *r);
}

/* The error object's code/message in the shapes documented for each service. */
static void json_error_fields(json_t *doc, const char **code, char *codebuf, size_t cn, const char **msg)
{
	json_t *e = json_object_get(doc, "error");
	*code = *msg = NULL;
	if (json_is_object(e)) {                      /* IMS, IAM, Keystone, ECS */
		json_t *c = json_object_get(e, "code");
		*msg = json_string_value(json_object_get(e, "message"));
		if (json_is_string(c))
			*code = json_string_value(c);
		else if (json_is_integer(c)) {
			snprintf(codebuf, cn, "%lld", (long long)json_integer_value(c));
			*code = codebuf;
		}
		if (!*msg)
			*msg = json_string_value(json_object_get(e, "title"));
	} else if (json_is_string(json_object_get(doc, "error_code"))) { /* API Gateway */
		*code = json_string_value(json_object_get(doc, "error_code"));
		*msg = json_string_value(json_object_get(doc, "error_msg"));
	} else if (json_is_string(json_object_get(doc, "message"))) {
		*msg = json_string_value(json_object_get(doc, "message"));
	}
}

/* Text body (Glance answers HTML/plain text): tags dropped, whitespace folded. */
static void plain_text(const char *body, size_t len, char *out, size_t n)
{
	size_t o = 0;
	bool tag = false, space = true;
	for (size_t i = 0; i < len && o + 1 < n; i++) {
		char c = body[i];
		if (c == '<') {
			tag = true;
			continue;
		}
		if (tag) {
			tag = c != '>';
			if (!tag && !space) {
				out[o++] = ' ';
				space = true;
			}
			continue;
		}
		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			if (!space)
				out[o++] = ' ';
			space = true;
		} else if ((unsigned char)c >= 0x20) {
			out[o++] = c;
			space = false;
		}
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = 0;
}

void w2c_api_error_text(const char *body, size_t len, char *out, size_t n)
{
	json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *code = NULL, *msg = NULL;
	char codebuf[32];

	if (!n)
		return;
	out[0] = 0;
	if (doc)
		json_error_fields(doc, &code, codebuf, sizeof codebuf, &msg);
	if (code || msg)
		snprintf(out, n, "%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
	else if (body && len)
		plain_text(body, len > 2048 ? 2048 : len, out, n > 400 ? 400 : n);
	if (!out[0])
		snprintf(out, n, "(no error message)");
	json_decref(doc);
}

void w2c_api_error_code(const char *body, size_t len, char *out, size_t n)
{
	json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *code = NULL, *msg = NULL;
	char codebuf[32];

	if (doc)
		json_error_fields(doc, &code, codebuf, sizeof codebuf, &msg);
	snprintf(out, n, "%s", code ? code : "");
	json_decref(doc);
}

bool w2c_api_is_throttled(long status, const char *body, size_t len)
{
	char code[64];
	if (status == 429)
		return true;
	if (status != 400 && (status < 200 || status > 299))
		return false;
	w2c_api_error_code(body, len, code, sizeof code);
	if (status == 400)
		return !strcmp(code, "IMG.0060") || !strcmp(code, "IMG.0194");
	/* ECS may hide "flow limit exceeded" in a 2xx answer (spec §6.1) */
	return !strcmp(code, "Common.0024") || !strcmp(code, "Common.1503");
}

struct call_ctx {
	w2c_api *a;
	int flags;
	const void *body;       /* for the AK/SK body hash */
	size_t body_len;
	bool unsigned_payload;  /* file uploads: the hash would need a second read */
};

static int retry_rule(void *user, const w2c_http_response *r)
{
	struct call_ctx *c = user;
	if (w2c_api_is_throttled(r->status, r->body, r->body_len)) {
		w2c_log(c->a->log, W2C_LOG_WARN, "%s is throttling requests (HTTP %ld); backing off",
			c->a->service, r->status);
		return 1;
	}
	if (r->status >= 500 || r->status == 408)
		return (c->flags & W2C_API_IDEMPOTENT) ? 1 : 0;
	return 0;
}

/* Per attempt: fresh X-Sdk-Date, then sign everything that will be sent. */
static w2c_code sign_attempt(void *user, const char *method, const char *url, w2c_http_headers *h,
			     w2c_error *err)
{
	struct call_ctx *c = user;
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *scheme = NULL, date[17], *auth = NULL, hostport[300];
	w2c_header *list;
	w2c_code rc;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) || curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		curl_url_cleanup(u);
		return w2c_set_error(err, W2C_ERR_USAGE, "cannot parse URL %s", url);
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0); /* absent when it is the scheme's default */
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	snprintf(hostport, sizeof hostport, "%s%s%s", host, port ? ":" : "", port ? port : "");
	curl_free(host);
	curl_free(port);
	curl_free(scheme);
	curl_url_cleanup(u);
	w2c_apig_date(time(NULL), date);
	w2c_http_headers_set(h, "Host", hostport);
	w2c_http_headers_set(h, "X-Sdk-Date", date);
	if (c->a->project_id)
		w2c_http_headers_set(h, "X-Project-Id", c->a->project_id);
	if (c->unsigned_payload)
		w2c_http_headers_set(h, "X-Sdk-Content-Sha256", "UNSIGNED-PAYLOAD");
	if (!(list = calloc(h->count ? h->count : 1, sizeof *list)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < h->count; i++)
		list[i] = (w2c_header){ h->names[i], h->values[i] };
	rc = w2c_apig_sign(method, url, list, h->count, c->body, c->body_len, c->a->ak, c->a->sk, &auth, err);
	free(list);
	if (!rc)
		rc = w2c_http_headers_set(h, "Authorization", auth);
	if (auth)
		explicit_bzero(auth, strlen(auth));
	free(auth);
	return rc;
}

static w2c_code attempt(w2c_api *a, struct call_ctx *c, const char *method, const char *url,
			const char *text, const w2c_http_body *raw, const char *ctype,
			w2c_http_response *r, w2c_error *err)
{
	w2c_http_headers h = { 0 };
	w2c_http_request req = { 0 };
	const char *tok = NULL;
	w2c_code rc = W2C_OK;

	if (a->token && (rc = w2c_token_get(a->token, &tok, err)))
		return rc;
	w2c_http_headers_add(&h, "Accept", "application/json");
	if (text || raw)
		w2c_http_headers_add(&h, "Content-Type", ctype);
	if (tok)
		w2c_http_headers_add(&h, "X-Auth-Token", tok);
	req.method = method;
	req.url = url;
	req.headers = &h;
	if (raw) {
		req.body = *raw;
	} else if (text) {
		req.body.kind = W2C_HTTP_BODY_MEMORY;
		req.body.data = text;
		req.body.len = strlen(text);
	}
	if (!a->token) {
		req.sign = sign_attempt;
		req.sign_user = c;
	}
	req.retry = retry_rule;
	req.retry_user = c;
	req.what = a->service;
	rc = w2c_http_perform(a->http, &req, r, err);
	w2c_http_headers_free(&h);
	return rc;
}

w2c_code w2c_api_call(w2c_api *a, const char *method, const char *url, const json_t *json_body,
		      const w2c_http_body *raw, const char *content_type, int flags,
		      w2c_api_result *res, w2c_error *err)
{
	char *text = json_body ? json_dumps(json_body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	struct call_ctx c = { a, flags, text, text ? strlen(text) : 0, raw != NULL };
	w2c_http_response r = { 0 };
	char msg[700], redurl[1024];
	w2c_code rc;

	memset(res, 0, sizeof *res);
	if (json_body && !text)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	w2c_http_redact_url(url, redurl, sizeof redurl);
	rc = attempt(a, &c, method, url, text, raw, raw ? content_type : "application/json", &r, err);
	if (!rc && r.status == 401 && a->token) {
		/* expired or revoked token: one fresh token, one more try */
		w2c_log(a->log, W2C_LOG_INFO, "%s answered 401; getting a new token", a->service);
		w2c_token_invalidate(a->token);
		w2c_http_response_free(&r);
		rc = attempt(a, &c, method, url, text, raw, raw ? content_type : "application/json", &r, err);
	}
	free(text);
	if (rc) {
		w2c_http_response_free(&r);
		return rc;
	}
	res->status = r.status;
	res->headers = r.headers;
	memset(&r.headers, 0, sizeof r.headers);
	if (r.body_len)
		res->json = json_loadb(r.body, r.body_len, 0, NULL);
	if (r.status >= 400 && !(r.status == 404 && (flags & W2C_API_ALLOW_404))) {
		w2c_api_error_text(r.body, r.body_len, msg, sizeof msg);
		rc = w2c_set_error(err, r.status == 401 || r.status == 403 ? W2C_ERR_AUTH : W2C_ERR_REMOTE,
				   "%s %s %s: HTTP %ld %s%s", a->service, method, redurl, r.status, msg,
				   r.status == 401 && !a->token
					   ? " (AK/SK refused; not retried: 5 failures lock the key)" : "");
	} else if (w2c_api_is_throttled(r.status, r.body, r.body_len)) {
		w2c_api_error_text(r.body, r.body_len, msg, sizeof msg);
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "%s %s %s: still throttled after %u attempts: %s",
				   a->service, method, redurl, r.attempts, msg);
	}
	w2c_http_response_free(&r);
	return rc;
}
