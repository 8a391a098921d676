/* HTTP client on libcurl: one easy handle per client, retries with backoff, redacted debug log. */
#include "win2cloud/http.h"
#include "common/util.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct w2c_http {
	CURL *curl;
	w2c_http_options opt;
	char *ca_bundle;
	char *user_agent;
};

/* State of one attempt, shared with curl's callbacks. */
struct attempt {
	w2c_http *h;
	const w2c_http_request *req;
	w2c_http_response *resp;
	uint64_t body_pos;
	bool read_error;
	bool aborted;
};

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_rc;

static void curl_init_once(void)
{
	g_curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

w2c_code w2c_http_new(const w2c_http_options *opt, w2c_http **out, w2c_error *err)
{
	w2c_http *h;

	pthread_once(&g_curl_once, curl_init_once);
	if (g_curl_init_rc != CURLE_OK)
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "libcurl initialisation failed: %s",
				     curl_easy_strerror(g_curl_init_rc));
	h = calloc(1, sizeof *h);
	if (!h)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (opt)
		h->opt = *opt;
	if (h->opt.connect_timeout <= 0)
		h->opt.connect_timeout = 20;
	if (h->opt.idle_timeout <= 0)
		h->opt.idle_timeout = 60;
	if (h->opt.max_retries == 0)
		h->opt.max_retries = 6;
	if (h->opt.max_retries < 0)
		h->opt.max_retries = 0;
	if (h->opt.backoff_base <= 0)
		h->opt.backoff_base = 0.5;
	if (h->opt.backoff_max <= 0)
		h->opt.backoff_max = 30;
	if (!h->opt.max_response)
		h->opt.max_response = 16u << 20;
	h->ca_bundle = h->opt.ca_bundle ? w2c_strdup(h->opt.ca_bundle) : NULL;
	h->user_agent = w2c_strdup(h->opt.user_agent ? h->opt.user_agent
						     : "win2cloud/" W2C_VERSION_STRING);
	h->opt.ca_bundle = h->ca_bundle;
	h->opt.user_agent = h->user_agent;
	h->curl = curl_easy_init();
	if (!h->curl || !h->user_agent) {
		w2c_http_free(h);
		return w2c_set_error(err, W2C_ERR_NOMEM, "cannot create a curl handle");
	}
	if (h->ca_bundle && access(h->ca_bundle, R_OK) != 0) {
		int e = errno;
		w2c_set_error(err, W2C_ERR_NOT_FOUND, "CA bundle %s: %s", h->ca_bundle, strerror(e));
		w2c_http_free(h);
		return err ? err->code : W2C_ERR_NOT_FOUND;
	}
	*out = h;
	return W2C_OK;
}

void w2c_http_free(w2c_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->ca_bundle);
	free(h->user_agent);
	free(h);
}

/* ---- curl callbacks ---- */

static size_t on_read(char *buf, size_t size, size_t nmemb, void *user)
{
	struct attempt *a = user;
	const w2c_http_body *b = &a->req->body;
	size_t want = size * nmemb;
	uint64_t left = b->len - a->body_pos;

	if (want > left)
		want = (size_t)left;
	if (!want)
		return 0;
	switch (b->kind) {
	case W2C_HTTP_BODY_MEMORY:
		memcpy(buf, (const char *)b->data + a->body_pos, want);
		break;
	case W2C_HTTP_BODY_FILE: {
		ssize_t r = pread(b->fd, buf, want, (off_t)(b->offset + a->body_pos));
		if (r <= 0) {
			a->read_error = true;
			return CURL_READFUNC_ABORT;
		}
		want = (size_t)r;
		break;
	}
	case W2C_HTTP_BODY_CALLBACK: {
		size_t r = b->read(b->user, buf, want);
		if (r == (size_t)-1 || (r == 0 && left > 0)) {
			a->read_error = true;
			return CURL_READFUNC_ABORT;
		}
		want = r;
		break;
	}
	default:
		return 0;
	}
	a->body_pos += want;
	return want;
}

/* curl rewinds on redirects and auth negotiation; memory and files can seek. */
static int on_seek(void *user, curl_off_t off, int origin)
{
	struct attempt *a = user;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > a->req->body.len ||
	    a->req->body.kind == W2C_HTTP_BODY_CALLBACK)
		return CURL_SEEKFUNC_CANTSEEK;
	a->body_pos = (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *user)
{
	struct attempt *a = user;
	w2c_http_response *r = a->resp;
	size_t n = size * nmemb, keep = n;

	if (r->body_len + keep > a->h->opt.max_response) {
		keep = a->h->opt.max_response - r->body_len;
		r->body_truncated = true;
	}
	if (keep) {
		char *nb = realloc(r->body, r->body_len + keep + 1);
		if (!nb)
			return 0;
		memcpy(nb + r->body_len, data, keep);
		r->body = nb;
		r->body_len += keep;
		nb[r->body_len] = 0;
	}
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct attempt *a = user;
	size_t n = size * nmemb, len = n;
	char *colon;

	while (len && (data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len >= 5 && !memcmp(data, "HTTP/", 5)) {
		/* A new status line (after 100 Continue or a redirect): start over. */
		w2c_http_headers_free(&a->resp->headers);
		return n;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return n;
	char *name = w2c_strndup(data, (size_t)(colon - data));
	const char *v = colon + 1, *end = data + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	char *value = w2c_strndup(v, (size_t)(end - v));
	w2c_code rc = name && value ? w2c_http_headers_add(&a->resp->headers, name, value)
				    : W2C_ERR_NOMEM;
	free(name);
	free(value);
	return rc ? 0 : n;
}

static int on_xfer(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		   curl_off_t ulnow)
{
	struct attempt *a = user;
	(void)dltotal;
	if (a->req->progress &&
	    a->req->progress(a->req->progress_user, (uint64_t)ulnow, (uint64_t)ultotal,
			     (uint64_t)dlnow)) {
		a->aborted = true;
		return 1;
	}
	return 0;
}

/* Debug log: one line per header line, secrets replaced; body bytes never shown. */
static void log_header_lines(const w2c_logger *lg, const char *dir, const char *data, size_t n)
{
	const char *p = data, *end = data + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t l = len;
		while (l && (p[l - 1] == '\r' || p[l - 1] == '\n'))
			l--;
		if (l) {
			char line[2048], red[2048];
			snprintf(line, sizeof line, "%.*s", (int)l, p);
			char *colon = strchr(line, ':');
			if (colon) {
				*colon = 0;
				if (w2c_http_header_is_secret(line))
					w2c_log(lg, W2C_LOG_DEBUG, "%s %s: <redacted>", dir, line);
				else
					w2c_log(lg, W2C_LOG_DEBUG, "%s %s:%s", dir, line, colon + 1);
			} else {
				/* request line: its query string may carry presigned secrets */
				w2c_http_redact_url(line, red, sizeof red);
				w2c_log(lg, W2C_LOG_DEBUG, "%s %s", dir, red);
			}
		}
		p += len + (nl ? 1 : 0);
	}
}

static int on_debug(CURL *c, curl_infotype type, char *data, size_t n, void *user)
{
	const w2c_logger *lg = user;
	(void)c;
	switch (type) {
	case CURLINFO_TEXT: {
		char line[512], red[512];
		size_t l = n;
		while (l && (data[l - 1] == '\n' || data[l - 1] == '\r'))
			l--;
		snprintf(line, sizeof line, "%.*s", (int)l, data);
		w2c_http_redact_url(line, red, sizeof red);
		w2c_log(lg, W2C_LOG_DEBUG, "* %s", red);
		break;
	}
	case CURLINFO_HEADER_OUT:
		log_header_lines(lg, ">", data, n);
		break;
	case CURLINFO_HEADER_IN:
		log_header_lines(lg, "<", data, n);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- one attempt ---- */

static struct curl_slist *build_headers(const w2c_http_headers *hs, bool has_body)
{
	struct curl_slist *list = NULL, *t;
	bool have_expect = false, have_ctype = false;

	for (size_t i = 0; i < hs->count; i++) {
		char *line = w2c_asprintf("%s: %s", hs->names[i], hs->values[i]);
		if (!line)
			goto fail;
		/* "Name:" alone would delete the header in curl; "Name;" sends it empty. */
		if (!hs->values[i][0])
			line[strlen(line) - 2] = ';', line[strlen(line) - 1] = 0;
		t = curl_slist_append(list, line);
		free(line);
		if (!t)
			goto fail;
		list = t;
		have_expect |= !w2c_strcasecmp(hs->names[i], "expect");
		have_ctype |= !w2c_strcasecmp(hs->names[i], "content-type");
	}
	/* 100-continue costs a round trip per part; our bodies are re-sendable anyway. */
	if (!have_expect && !(t = curl_slist_append(list, "Expect:")))
		goto fail;
	list = have_expect ? list : t;
	/* curl would otherwise label POST bodies as form data. */
	if (has_body && !have_ctype) {
		if (!(t = curl_slist_append(list, "Content-Type:")))
			goto fail;
		list = t;
	}
	return list;
fail:
	curl_slist_free_all(list);
	return NULL;
}

static void setup_method(CURL *c, const char *method, bool has_body, uint64_t len)
{
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (has_body) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
		if (strcmp(method, "PUT"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	} else if (!strcmp(method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (!strcmp(method, "POST") || !strcmp(method, "PUT")) {
			/* an empty body still needs Content-Length: 0 */
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
		}
	}
}

static void setup_common(w2c_http *h, struct attempt *a)
{
	CURL *c = h->curl;
	const w2c_http_options *o = &h->opt;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_URL, a->req->url);
	curl_easy_setopt(c, CURLOPT_USERAGENT, o->user_agent);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout * 1000));
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)(o->idle_timeout + 0.5));
	if (o->total_timeout > 0)
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->total_timeout * 1000));
	if (o->ca_bundle)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_bundle);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, a);
	curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
	curl_easy_setopt(c, CURLOPT_SEEKDATA, a);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xfer);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, a);
	if (o->log && o->log->fn && o->log->max_level >= W2C_LOG_DEBUG) {
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
		curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, on_debug);
		curl_easy_setopt(c, CURLOPT_DEBUGDATA, o->log);
	}
}

/* Returns a curl code; a CURLE_OK attempt has resp->status set. */
static CURLcode run_attempt(w2c_http *h, struct attempt *a, w2c_code *rc, w2c_error *err)
{
	const w2c_http_request *req = a->req;
	bool has_body = req->body.kind != W2C_HTTP_BODY_NONE;
	w2c_http_headers hs = { 0 };
	struct curl_slist *list = NULL;
	CURLcode cc = CURLE_OK;

	*rc = W2C_OK;
	w2c_http_headers_free(&a->resp->headers);
	free(a->resp->body);
	a->resp->body = NULL;
	a->resp->body_len = 0;
	a->resp->body_truncated = false;
	a->resp->status = 0;
	a->body_pos = 0;
	a->read_error = a->aborted = false;
	if (w2c_http_headers_copy(&hs, req->headers)) {
		*rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (req->sign && (*rc = req->sign(req->sign_user, req->method, req->url, &hs, err)))
		goto out;
	if (!(list = build_headers(&hs, has_body))) {
		*rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	setup_common(h, a);
	setup_method(h->curl, req->method, has_body, req->body.len);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, list);
	cc = curl_easy_perform(h->curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &a->resp->status);
out:
	curl_slist_free_all(list);
	w2c_http_headers_free(&hs);
	return cc;
}

static int default_retry(const w2c_http_response *r)
{
	if (r->status == 408 || r->status == 429 || r->status >= 500)
		return 1;
	/* S3 answers some transient conditions with 400. */
	if (r->status == 400 && r->body &&
	    (strstr(r->body, "<Code>RequestTimeout</Code>") || strstr(r->body, "<Code>SlowDown</Code>")))
		return 1;
	return 0;
}

static bool wants_retry(const w2c_http_request *req, const w2c_http_response *r)
{
	int v;

	if (r->status == 401 || r->status == 403)
		return false; /* never: retried bad keys get locked */
	v = req->retry ? req->retry(req->retry_user, r) : -1;
	return v < 0 ? default_retry(r) == 1 : v == 1;
}

/* Sleep in slices so a stop request is noticed while waiting. */
static bool sleep_interruptible(const w2c_http_request *req, double secs)
{
	double end = w2c_now() + secs;

	for (;;) {
		double left = end - w2c_now();
		if (left <= 0)
			return true;
		if (req->progress && req->progress(req->progress_user, 0, 0, 0))
			return false;
		struct timespec ts = { 0, (long)((left < 0.1 ? left : 0.1) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

static void log_error_body(const w2c_http *h, const w2c_http_response *r)
{
	char red[1100];
	size_t n = r->body_len < 1024 ? r->body_len : 1024;

	if (!r->body || !h->opt.log || h->opt.log->max_level < W2C_LOG_DEBUG)
		return;
	w2c_http_redact_body(r->body, n, red, sizeof red);
	w2c_log(h->opt.log, W2C_LOG_DEBUG, "< body (%zu bytes): %s", r->body_len, red);
}

static bool can_rewind(const w2c_http_request *req)
{
	if (req->body.kind != W2C_HTTP_BODY_CALLBACK)
		return true;
	return req->body.rewind && req->body.rewind(req->body.user) == 0;
}

w2c_code w2c_http_perform(w2c_http *h, const w2c_http_request *req, w2c_http_response *resp,
			  w2c_error *err)
{
	struct attempt a = { h, req, resp, 0, false, false };
	const char *what = req->what ? req->what : req->method;
	char url[1024];
	double t0 = w2c_now();
	w2c_code rc = W2C_OK;

	memset(resp, 0, sizeof *resp);
	w2c_http_redact_url(req->url, url, sizeof url);
	for (unsigned attempt = 1;; attempt++) {
		CURLcode cc = run_attempt(h, &a, &rc, err);
		char reason[256];
		double wait;

		resp->attempts = attempt;
		if (rc)
			break;
		if (a.aborted) {
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "%s %s: interrupted", what, url);
			break;
		}
		if (a.read_error) {
			rc = w2c_set_error(err, W2C_ERR_IO, "%s %s: cannot read the request body", what,
					   url);
			break;
		}
		if (cc == CURLE_OK) {
			if (resp->status >= 400)
				log_error_body(h, resp);
			if (!wants_retry(req, resp))
				break;
			snprintf(reason, sizeof reason, "HTTP %ld", resp->status);
			wait = w2c_http_parse_retry_after(w2c_http_headers_get(&resp->headers,
									       "Retry-After"));
		} else {
			snprintf(reason, sizeof reason, "%s", curl_easy_strerror(cc));
			wait = -1;
		}
		if ((int)attempt > h->opt.max_retries || !can_rewind(req)) {
			if (cc != CURLE_OK)
				rc = w2c_set_error(err, W2C_ERR_NETWORK,
						   "%s %s: %s (gave up after %u attempts)", what, url,
						   reason, attempt);
			break;
		}
		if (wait < 0)
			wait = w2c_http_backoff(h->opt.backoff_base, h->opt.backoff_max, attempt);
		else if (wait > h->opt.backoff_max)
			wait = h->opt.backoff_max;
		w2c_log(h->opt.log, W2C_LOG_INFO, "%s %s: %s; retry %u/%d in %.1f s", what, url,
			reason, attempt, h->opt.max_retries, wait);
		if (!sleep_interruptible(req, wait)) {
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "%s %s: interrupted", what, url);
			break;
		}
	}
	resp->seconds = w2c_now() - t0;
	return rc;
}
