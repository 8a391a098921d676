/* HTTP helpers without I/O: header lists, redaction, backoff, Retry-After, URI encoding. */
#include "win2cloud/http.h"
#include "common/util.h"

#include <curl/curl.h>
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REDACTED "<redacted>"

w2c_code w2c_http_headers_add(w2c_http_headers *h, const char *name, const char *value)
{
	if (h->count == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		char **n = realloc(h->names, cap * sizeof *n);
		if (!n)
			return W2C_ERR_NOMEM;
		h->names = n;
		char **v = realloc(h->values, cap * sizeof *v);
		if (!v)
			return W2C_ERR_NOMEM;
		h->values = v;
		h->cap = cap;
	}
	char *nc = w2c_strdup(name), *vc = w2c_strdup(value ? value : "");
	if (!nc || !vc) {
		free(nc);
		free(vc);
		return W2C_ERR_NOMEM;
	}
	h->names[h->count] = nc;
	h->values[h->count] = vc;
	h->count++;
	return W2C_OK;
}

w2c_code w2c_http_headers_set(w2c_http_headers *h, const char *name, const char *value)
{
	for (size_t i = 0; i < h->count; i++) {
		if (!w2c_strcasecmp(h->names[i], name)) {
			char *v = w2c_strdup(value ? value : "");
			if (!v)
				return W2C_ERR_NOMEM;
			free(h->values[i]);
			h->values[i] = v;
			return W2C_OK;
		}
	}
	return w2c_http_headers_add(h, name, value);
}

const char *w2c_http_headers_get(const w2c_http_headers *h, const char *name)
{
	for (size_t i = 0; h && i < h->count; i++)
		if (!w2c_strcasecmp(h->names[i], name))
			return h->values[i];
	return NULL;
}

w2c_code w2c_http_headers_copy(w2c_http_headers *dst, const w2c_http_headers *src)
{
	for (size_t i = 0; src && i < src->count; i++)
		if (w2c_http_headers_add(dst, src->names[i], src->values[i]))
			return W2C_ERR_NOMEM;
	return W2C_OK;
}

void w2c_http_headers_free(w2c_http_headers *h)
{
	for (size_t i = 0; i < h->count; i++) {
		free(h->names[i]);
		free(h->values[i]);
	}
	free(h->names);
	free(h->values);
	memset(h, 0, sizeof *h);
}

void w2c_http_response_free(w2c_http_response *r)
{
	w2c_http_headers_free(&r->headers);
	free(r->body);
	memset(r, 0, sizeof *r);
}

bool w2c_http_header_is_secret(const char *name)
{
	static const char *const secret[] = {
		"authorization", "proxy-authorization", "x-auth-token", "x-subject-token",
		"x-amz-security-token", "x-obs-security-token", "x-security-token",
		"x-storage-token", "x-auth-key", "cookie", "set-cookie", "x-service-token",
	};
	for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
		if (!w2c_strcasecmp(name, secret[i]))
			return true;
	return false;
}

/* Query/body field names whose values are secret: matched as substrings, lowercase. */
static bool name_is_secret(const char *name, size_t len)
{
	static const char *const parts[] = { "signature", "token", "secret", "password", "credential",
					     "passwd", "sig", "accesskey", "access_key", "key" };
	char low[64];

	if (len >= sizeof low)
		len = sizeof low - 1;
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)name[i]);
	low[len] = 0;
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (strstr(low, parts[i]))
			return true;
	return false;
}

/* Bounded appender used by the redactors. */
struct sbuf {
	char *p;
	size_t n, len;
};

static void sb_put(struct sbuf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len && b->len + 1 < b->n; i++)
		b->p[b->len++] = s[i];
	b->p[b->len] = 0;
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

void w2c_http_redact_url(const char *url, char *out, size_t n)
{
	struct sbuf b = { out, n, 0 };
	const char *scheme = strstr(url, "://"), *p = url;

	if (!n)
		return;
	out[0] = 0;
	if (scheme) {
		const char *host = scheme + 3, *end = host + strcspn(host, "/?#"), *at = NULL;
		for (const char *q = host; q < end; q++)
			if (*q == '@')
				at = q;
		sb_put(&b, url, (size_t)(host - url));
		if (at) {
			sb_puts(&b, REDACTED "@");
			p = at + 1;
		} else {
			p = host;
		}
	}
	const char *qm = strchr(p, '?');
	if (!qm) {
		sb_puts(&b, p);
		return;
	}
	sb_put(&b, p, (size_t)(qm + 1 - p));
	for (const char *q = qm + 1; *q;) {
		size_t plen = strcspn(q, "&#");
		const char *eq = memchr(q, '=', plen);
		if (eq && name_is_secret(q, (size_t)(eq - q))) {
			sb_put(&b, q, (size_t)(eq + 1 - q));
			sb_puts(&b, REDACTED);
		} else {
			sb_put(&b, q, plen);
		}
		q += plen;
		if (*q)
			sb_put(&b, q++, 1);
	}
}

/* A JSON string key ("name": "value") or an XML element (<Name>value</Name>) whose
 * name looks secret gets its value replaced. */
void w2c_http_redact_body(const char *text, size_t len, char *out, size_t n)
{
	struct sbuf b = { out, n, 0 };
	size_t i = 0;

	if (!n)
		return;
	out[0] = 0;
	while (i < len) {
		char c = text[i];
		if (c == '"' || c == '<') {
			char close = c == '"' ? '"' : '>';
			size_t j = i + 1;
			while (j < len && text[j] != close && text[j] != '\n' && j - i < 64)
				j++;
			if (j < len && text[j] == close && j > i + 1 && text[i + 1] != '/' &&
			    name_is_secret(text + i + 1, j - i - 1)) {
				size_t k = j + 1;
				if (c == '"') { /* skip to the value's opening quote */
					while (k < len && (text[k] == ' ' || text[k] == ':'))
						k++;
					if (k < len && text[k] == '"') {
						size_t e = k + 1;
						while (e < len && text[e] != '"')
							e += text[e] == '\\' ? 2 : 1;
						sb_put(&b, text + i, k + 1 - i);
						sb_puts(&b, REDACTED "\"");
						i = e < len ? e + 1 : len;
						continue;
					}
				} else {
					size_t e = k;
					while (e < len && text[e] != '<')
						e++;
					sb_put(&b, text + i, k - i);
					sb_puts(&b, REDACTED);
					i = e;
					continue;
				}
			}
			sb_put(&b, text + i, 1);
			i++;
			continue;
		}
		sb_put(&b, &c, 1);
		i++;
	}
}

double w2c_http_parse_retry_after(const char *value)
{
	char *end;
	double s;
	time_t t;

	if (!value)
		return -1;
	while (*value == ' ')
		value++;
	if (!*value)
		return -1;
	s = strtod(value, &end);
	if (end != value && (*end == 0 || *end == ' ' || *end == '\r'))
		return s < 0 ? -1 : s;
	t = curl_getdate(value, NULL);
	if (t == (time_t)-1)
		return -1;
	s = difftime(t, time(NULL));
	return s < 0 ? 0 : s;
}

double w2c_http_backoff(double base, double cap, unsigned attempt)
{
	double hi = base * pow(2.0, attempt ? attempt - 1 : 0);
	unsigned r;

	if (hi > cap)
		hi = cap;
	/* Jitter needs no quality: decorrelation between workers is the point. */
	r = (unsigned)rand();
	double w = hi * ((double)r / (double)RAND_MAX);
	return w < 0.01 ? 0.01 : w;
}

char *w2c_http_uri_encode(const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/')) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = 0;
	return out;
}
