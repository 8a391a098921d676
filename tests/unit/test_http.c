/* Unit tests: HTTP client (against a scripted HTTP server on 127.0.0.1), redaction, credentials. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"
#include "win2cloud/credentials.h"
#include "win2cloud/http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- a scripted HTTP/1.1 server: one connection per step, then closes ---- */

struct step {
	int status;              /* 0 = close the connection without answering */
	const char *headers;     /* extra header lines, each ending in \r\n */
	const char *body;
	double delay;            /* seconds before answering */
};

struct server {
	int lfd, port;
	pthread_t th;
	const struct step *steps;
	int nsteps, served;
	volatile int stop;
	char request[16384];     /* head of the last request */
	unsigned char *body;     /* body of the last request */
	size_t body_len;
};

static void read_request(struct server *s, int fd)
{
	size_t n = 0, clen = 0;
	char *end = NULL;

	while (n + 1 < sizeof s->request && !end) {
		ssize_t r = read(fd, s->request + n, sizeof s->request - 1 - n);
		if (r <= 0)
			return;
		n += (size_t)r;
		s->request[n] = 0;
		end = strstr(s->request, "\r\n\r\n");
	}
	if (!end)
		return;
	const char *cl = strcasestr(s->request, "\r\nContent-Length:");
	if (cl && cl < end)
		clen = strtoull(cl + 17, NULL, 10);
	free(s->body);
	s->body = malloc(clen + 1);
	size_t have = n - (size_t)(end + 4 - s->request);
	memcpy(s->body, end + 4, have);
	while (have < clen) {
		ssize_t r = read(fd, s->body + have, clen - have);
		if (r <= 0)
			break;
		have += (size_t)r;
	}
	s->body_len = have;
	end[2] = 0; /* keep the head only */
}

static void *serve(void *arg)
{
	struct server *s = arg;

	while (!s->stop && s->served < s->nsteps) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept(s->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		const struct step *st = &s->steps[s->served++];
		read_request(s, fd);
		if (st->delay > 0)
			usleep((useconds_t)(st->delay * 1e6));
		if (st->status) {
			const char *b = st->body ? st->body : "";
			char head[1024];
			int hl = snprintf(head, sizeof head,
					  "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
					  st->status, strlen(b), st->headers ? st->headers : "");
			/* the client may have gone (timeout test): no SIGPIPE */
			if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) >= 0)
				send(fd, b, strlen(b), MSG_NOSIGNAL);
		}
		close(fd);
	}
	return NULL;
}

static void server_start(struct server *s, const struct step *steps, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof a;

	memset(s, 0, sizeof *s);
	s->steps = steps;
	s->nsteps = n;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	getsockname(s->lfd, (struct sockaddr *)&a, &al);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
	free(s->body);
}

static w2c_http *client(double total_timeout, int retries)
{
	w2c_http_options o = { 0 };
	w2c_http *h = NULL;
	w2c_error err;

	o.max_retries = retries;
	o.backoff_base = 0.01;
	o.backoff_max = 2;
	o.total_timeout = total_timeout;
	o.connect_timeout = 2;
	assert_int_equal(w2c_http_new(&o, &h, &err), W2C_OK);
	return h;
}

static w2c_code get(w2c_http *h, int port, const char *path, w2c_http_response *r, w2c_error *err)
{
	char url[256];
	w2c_http_request q = { .method = "GET", .url = url };

	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	return w2c_http_perform(h, &q, r, err);
}

/* ---- retries ---- */

static void test_retry_5xx_then_ok(void **state)
{
	static const struct step steps[] = { { 503, NULL, "busy", 0 }, { 500, NULL, NULL, 0 },
					     { 200, "ETag: \"x\"\r\n", "ok", 0 } };
	struct server s;
	w2c_http_response r;
	w2c_error err;
	(void)state;

	server_start(&s, steps, 3);
	w2c_http *h = client(0, 3);
	assert_int_equal(get(h, s.port, "/a", &r, &err), W2C_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 3);
	assert_string_equal(r.body, "ok");
	assert_string_equal(w2c_http_headers_get(&r.headers, "etag"), "\"x\"");
	w2c_http_response_free(&r);
	w2c_http_free(h);
	server_stop(&s);
}

static void test_no_retry_on_auth_failure(void **state)
{
	static const struct step steps[] = {
		{ 403, NULL, "<Error><Code>SignatureDoesNotMatch</Code></Error>", 0 },
		{ 200, NULL, "must not be reached", 0 }
	};
	struct server s;
	w2c_http_response r;
	w2c_error err;
	(void)state;

	server_start(&s, steps, 2);
	w2c_http *h = client(0, 5);
	assert_int_equal(get(h, s.port, "/", &r, &err), W2C_OK);
	assert_int_equal(r.status, 403);
	assert_int_equal(r.attempts, 1);
	assert_non_null(strstr(r.body, "SignatureDoesNotMatch"));
	w2c_http_response_free(&r);
	w2c_http_free(h);
	assert_int_equal(s.served, 1);
	server_stop(&s);
}

static void test_retry_after_honoured(void **state)
{
	static const struct step steps[] = { { 429, "Retry-After: 1\r\n", NULL, 0 },
					     { 503, NULL, "<Error><Code>SlowDown</Code></Error>", 0 },
					     { 200, NULL, NULL, 0 } };
	struct server s;
	w2c_http_response r;
	w2c_error err;
	(void)state;

	server_start(&s, steps, 3);
	w2c_http *h = client(0, 4);
	double t0 = w2c_now();
	assert_int_equal(get(h, s.port, "/", &r, &err), W2C_OK);
	assert_true(w2c_now() - t0 >= 0.95);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 3);
	w2c_http_response_free(&r);
	w2c_http_free(h);
	server_stop(&s);
}

static void test_connection_errors(void **state)
{
	static const struct step steps[] = { { 0, NULL, NULL, 0 }, { 200, NULL, "fine", 0 } };
	struct server s;
	w2c_http_response r;
	w2c_error err;
	(void)state;

	/* a dropped connection is retried */
	server_start(&s, steps, 2);
	w2c_http *h = client(0, 2);
	assert_int_equal(get(h, s.port, "/", &r, &err), W2C_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 2);
	w2c_http_response_free(&r);
	int port = s.port;
	server_stop(&s);
	/* nobody listening: a network error after the retries, naming the host */
	assert_int_equal(get(h, port, "/x?X-Amz-Signature=abc", &r, &err), W2C_ERR_NETWORK);
	assert_int_equal(r.attempts, 3);
	assert_non_null(strstr(err.message, "127.0.0.1"));
	assert_non_null(strstr(err.message, "gave up after 3 attempts"));
	assert_null(strstr(err.message, "abc"));
	w2c_http_response_free(&r);
	w2c_http_free(h);
}

static void test_timeout_retried(void **state)
{
	static const struct step steps[] = { { 200, NULL, "late", 1.5 }, { 200, NULL, "quick", 0 } };
	struct server s;
	w2c_http_response r;
	w2c_error err;
	(void)state;

	server_start(&s, steps, 2);
	/* one-threaded server: the retry is accepted once the slow answer is given up */
	w2c_http *h = client(1, 4);
	assert_int_equal(get(h, s.port, "/", &r, &err), W2C_OK);
	assert_true(r.attempts >= 2);
	assert_string_equal(r.body, "quick");
	w2c_http_response_free(&r);
	w2c_http_free(h);
	server_stop(&s);
}

static int digest_retry(void *user, const w2c_http_response *r)
{
	(*(int *)user)++;
	return r->status == 400 && strstr(r->body, "BadDigest") ? 1 : -1;
}

struct cb_src {
	const char *data;
	size_t len, pos;
	int rewinds;
};

static size_t cb_read(void *user, void *buf, size_t n)
{
	struct cb_src *c = user;
	if (n > c->len - c->pos)
		n = c->len - c->pos;
	memcpy(buf, c->data + c->pos, n);
	c->pos += n;
	return n;
}

static int cb_rewind(void *user)
{
	struct cb_src *c = user;
	c->pos = 0;
	c->rewinds++;
	return 0;
}

static void test_bodies_and_retry_hook(void **state)
{
	static const struct step steps[] = {
		{ 400, NULL, "<Error><Code>BadDigest</Code></Error>", 0 }, { 200, NULL, NULL, 0 },
		{ 500, NULL, NULL, 0 }, { 201, NULL, NULL, 0 }
	};
	char path[] = "/tmp/w2c_http_body_XXXXXX", url[128];
	unsigned char data[20000];
	struct server s;
	w2c_http_response r;
	w2c_error err;
	int hook_calls = 0;
	(void)state;

	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof data), (ssize_t)sizeof data);
	server_start(&s, steps, 4);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/bucket/key?partNumber=1", s.port);
	w2c_http *h = client(0, 3);
	/* a file range, resent after a BadDigest the hook asks to retry */
	w2c_http_request q = { .method = "PUT", .url = url, .retry = digest_retry,
			       .retry_user = &hook_calls };
	q.body.kind = W2C_HTTP_BODY_FILE;
	q.body.fd = fd;
	q.body.offset = 100;
	q.body.len = 15000;
	assert_int_equal(w2c_http_perform(h, &q, &r, &err), W2C_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(hook_calls, 2);
	assert_int_equal(s.body_len, 15000);
	assert_memory_equal(s.body, data + 100, 15000);
	assert_non_null(strstr(s.request, "PUT /bucket/key?partNumber=1 HTTP/1.1"));
	w2c_http_response_free(&r);
	/* a callback body on POST, rewound for the retry */
	struct cb_src c = { "<CompleteMultipartUpload/>", 26, 0, 0 };
	w2c_http_request p = { .method = "POST", .url = url };
	p.body.kind = W2C_HTTP_BODY_CALLBACK;
	p.body.len = c.len;
	p.body.read = cb_read;
	p.body.rewind = cb_rewind;
	p.body.user = &c;
	assert_int_equal(w2c_http_perform(h, &p, &r, &err), W2C_OK);
	assert_int_equal(r.status, 201);
	assert_int_equal(c.rewinds, 1);
	assert_int_equal(s.body_len, 26);
	assert_memory_equal(s.body, "<CompleteMultipartUpload/>", 26);
	assert_non_null(strstr(s.request, "POST /bucket"));
	w2c_http_response_free(&r);
	w2c_http_free(h);
	server_stop(&s);
	close(fd);
	unlink(path);
}

static int stop_now(void *user, uint64_t a, uint64_t b, uint64_t c)
{
	(void)a, (void)b, (void)c;
	return ++*(int *)user > 0;
}

static void test_interrupt(void **state)
{
	static const struct step steps[] = { { 503, NULL, NULL, 0 } };
	struct server s;
	w2c_http_response r;
	w2c_error err;
	int calls = 0;
	char url[128];
	(void)state;

	server_start(&s, steps, 1);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", s.port);
	w2c_http *h = client(0, 3);
	w2c_http_request q = { .method = "GET", .url = url, .progress = stop_now,
			       .progress_user = &calls };
	assert_int_equal(w2c_http_perform(h, &q, &r, &err), W2C_ERR_INTERRUPTED);
	w2c_http_response_free(&r);
	w2c_http_free(h);
	server_stop(&s);
}

/* ---- redaction ---- */

struct logbuf {
	char text[65536];
	size_t len;
};

static void capture(void *user, enum w2c_log_level level, const char *msg)
{
	struct logbuf *b = user;
	(void)level;
	b->len += (size_t)snprintf(b->text + b->len, sizeof b->text - b->len, "%s\n", msg);
}

static w2c_code add_sig(void *user, const char *method, const char *url, w2c_http_headers *h,
			w2c_error *err)
{
	(void)user, (void)method, (void)url, (void)err;
	return w2c_http_headers_add(h, "Authorization",
				    "AWS4-HMAC-SHA256 Credential=AK/x, Signature=S3CRETsig");
}

static void test_debug_log_redacted(void **state)
{
	static const struct step steps[] = {
		{ 400, "X-Subject-Token: S3CRETsubject\r\n",
		  "{\"credential\": {\"access\": \"AK\", \"secret\": \"S3CRETbody\", "
		  "\"securitytoken\": \"S3CRETtok\"}}", 0 }
	};
	static struct logbuf lb;
	w2c_logger lg = { capture, &lb, W2C_LOG_DEBUG };
	w2c_http_options o = { .log = &lg, .max_retries = -1 };
	w2c_http_headers hs = { 0 };
	struct server s;
	w2c_http_response r;
	w2c_http *h;
	w2c_error err;
	char url[256];
	(void)state;

	server_start(&s, steps, 1);
	assert_int_equal(w2c_http_new(&o, &h, &err), W2C_OK);
	w2c_http_headers_add(&hs, "X-Auth-Token", "S3CRETauth");
	w2c_http_headers_add(&hs, "x-amz-security-token", "S3CRETsts");
	w2c_http_headers_add(&hs, "X-Security-Token", "S3CRETsec");
	w2c_http_headers_add(&hs, "x-amz-date", "20130524T000000Z");
	snprintf(url, sizeof url,
		 "http://127.0.0.1:%d/k?X-Amz-Signature=S3CRETq&X-Amz-Security-Token=S3CRETq2&a=b",
		 s.port);
	w2c_http_request q = { .method = "GET", .url = url, .headers = &hs, .sign = add_sig };
	assert_int_equal(w2c_http_perform(h, &q, &r, &err), W2C_OK);
	assert_int_equal(r.status, 400);
	assert_int_equal(r.attempts, 1);
	assert_null(strstr(lb.text, "S3CRET"));
	assert_non_null(strstr(lb.text, "Authorization: <redacted>"));
	assert_non_null(strstr(lb.text, "X-Subject-Token: <redacted>"));
	assert_non_null(strstr(lb.text, "x-amz-date: 20130524T000000Z"));
	assert_non_null(strstr(lb.text, "a=b"));
	assert_non_null(strstr(lb.text, "\"access\": \"AK\""));
	/* the server did get the real values */
	assert_non_null(strstr(s.request, "S3CRETsig"));
	w2c_http_response_free(&r);
	w2c_http_headers_free(&hs);
	w2c_http_free(h);
	server_stop(&s);
}

static void test_redact_helpers(void **state)
{
	char out[512];
	(void)state;

	w2c_http_redact_url("https://u:pw@h.example/p?uploadId=1&Signature=zz&token=t#f", out,
			    sizeof out);
	assert_string_equal(out, "https://<redacted>@h.example/p?uploadId=1&Signature=<redacted>"
				 "&token=<redacted>#f");
	w2c_http_redact_url("http://h/p", out, sizeof out);
	assert_string_equal(out, "http://h/p");
	const char *xml = "<A><SecretAccessKey>zz</SecretAccessKey><Code>X</Code></A>";
	w2c_http_redact_body(xml, strlen(xml), out, sizeof out);
	assert_string_equal(out, "<A><SecretAccessKey><redacted></SecretAccessKey><Code>X</Code></A>");
	const char *js = "{\"password\":\"p\\\"w\", \"name\": \"n\"}";
	w2c_http_redact_body(js, strlen(js), out, sizeof out);
	assert_string_equal(out, "{\"password\":\"<redacted>\", \"name\": \"n\"}");
	assert_true(w2c_http_header_is_secret("x-amz-security-token"));
	assert_true(w2c_http_header_is_secret("AUTHORIZATION"));
	assert_false(w2c_http_header_is_secret("x-amz-date"));
	/* tiny buffers stay terminated */
	w2c_http_redact_url("http://h/p?a=b", out, 4);
	assert_string_equal(out, "htt");
}

static void test_backoff_and_retry_after(void **state)
{
	(void)state;
	for (unsigned a = 1; a < 12; a++) {
		double w = w2c_http_backoff(0.5, 8, a);
		assert_true(w >= 0.01);
		assert_true(w <= 8.0 && w <= 0.5 * (1u << (a - 1)) + 1e-9);
	}
	assert_true(w2c_http_parse_retry_after("7") == 7);
	assert_true(w2c_http_parse_retry_after(" 0") == 0);
	assert_true(w2c_http_parse_retry_after(NULL) < 0);
	assert_true(w2c_http_parse_retry_after("soon") < 0);
	assert_true(w2c_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0);
	assert_true(w2c_http_parse_retry_after("Wed, 21 Oct 2099 07:28:00 GMT") > 1e8);
	char *e = w2c_http_uri_encode("dir/a b+c~.iso", true);
	assert_string_equal(e, "dir/a%20b%2Bc~.iso");
	free(e);
	e = w2c_http_uri_encode("test:tester/x", false);
	assert_string_equal(e, "test%3Atester%2Fx");
	free(e);
}

/* ---- credentials ---- */

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

static void clear_env(void)
{
	static const char *vars[] = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
				      "AWS_SESSION_TOKEN", "OS_ACCESS_KEY", "OS_SECRET_KEY",
				      "HW_ACCESS_KEY", "HW_SECRET_KEY", "HUAWEICLOUD_SDK_AK",
				      "HUAWEICLOUD_SDK_SK", "W2C_PROFILE", "W2C_CREDENTIALS_FILE" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
}

static void test_credentials(void **state)
{
	char dir[] = "/tmp/w2c_cred_XXXXXX", path[256];
	w2c_credentials c;
	w2c_profile p;
	w2c_error err;
	(void)state;

	clear_env();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/credentials", dir);
	write_file(path,
		   "# test\n[default]\naccess_key_id = test:tester\nsecret_access_key = te#st\n"
		   "region = us-east-1 # comment\n[profile prod]\naws_access_key_id=AK2\n"
		   "aws_secret_access_key = SK2\naws_session_token = TOK\nusername = bob\n",
		   0644);
	/* mode 0644 refused, with the fix in the message */
	assert_int_equal(w2c_credentials_load(path, NULL, &c, &err), W2C_ERR_AUTH);
	assert_non_null(strstr(err.message, "chmod 600"));
	assert_non_null(strstr(err.message, "0644"));
	chmod(path, 0600);
	assert_int_equal(w2c_credentials_load(path, NULL, &c, &err), W2C_OK);
	assert_string_equal(c.access_key, "test:tester");
	assert_string_equal(c.secret_key, "te#st");
	assert_string_equal(c.region, "us-east-1");
	assert_null(c.session_token);
	assert_non_null(strstr(c.source, "[default]"));
	w2c_credentials_free(&c);
	assert_int_equal(w2c_credentials_load(path, "prod", &c, &err), W2C_OK);
	assert_string_equal(c.access_key, "AK2");
	assert_string_equal(c.session_token, "TOK");
	w2c_credentials_free(&c);
	assert_int_equal(w2c_profile_load(path, "prod", &p, &err), W2C_OK);
	assert_string_equal(w2c_profile_get(&p, "USERNAME"), "bob");
	w2c_profile_free(&p);
	assert_int_equal(w2c_credentials_load(path, "nope", &c, &err), W2C_ERR_NOT_FOUND);
	/* the environment wins when no profile is named */
	setenv("OS_ACCESS_KEY", "OTCAK", 1);
	setenv("OS_SECRET_KEY", "OTCSK", 1);
	assert_int_equal(w2c_credentials_load(path, NULL, &c, &err), W2C_OK);
	assert_string_equal(c.access_key, "OTCAK");
	assert_string_equal(c.source, "environment OS_ACCESS_KEY");
	w2c_credentials_free(&c);
	setenv("AWS_ACCESS_KEY_ID", "AWSAK", 1);
	assert_int_equal(w2c_credentials_load(path, NULL, &c, &err), W2C_ERR_AUTH);
	assert_non_null(strstr(err.message, "AWS_SECRET_ACCESS_KEY"));
	clear_env();
	/* nothing anywhere */
	unlink(path);
	assert_int_equal(w2c_credentials_load(path, NULL, &c, &err), W2C_ERR_AUTH);
	assert_non_null(strstr(err.message, "AWS_ACCESS_KEY_ID"));
	write_file(path, "[default]\nbroken line\n", 0600);
	assert_int_equal(w2c_profile_load(path, NULL, &p, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, ":2:"));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_helpers),
		cmocka_unit_test(test_backoff_and_retry_after),
		cmocka_unit_test(test_retry_5xx_then_ok),
		cmocka_unit_test(test_no_retry_on_auth_failure),
		cmocka_unit_test(test_retry_after_honoured),
		cmocka_unit_test(test_connection_errors),
		cmocka_unit_test(test_timeout_retried),
		cmocka_unit_test(test_bodies_and_retry_hook),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_debug_log_redacted),
		cmocka_unit_test(test_credentials),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
