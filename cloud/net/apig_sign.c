/* API Gateway "SDK-HMAC-SHA256" request signing (cloud-api spec §1.3). */
#include "win2cloud/auth.h"
#include "common/util.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

/* A growable string; every append failure is sticky so callers check once. */
typedef struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
} sbuf;

static void sb_addn(sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_add(sbuf *b, const char *s)
{
	sb_addn(b, s, strlen(s));
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

/* Decode %XX in [s, s+n) then re-encode with the APIG rule: the result is the
 * same whether the caller's URL was already encoded or not. */
static void sb_add_encoded(sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && w2c_hexval(s[i + 1]) >= 0 && w2c_hexval(s[i + 2]) >= 0) {
			c = (unsigned char)(w2c_hexval(s[i + 1]) * 16 + w2c_hexval(s[i + 2]));
			i += 2;
		}
		if (unreserved(c)) {
			char ch = (char)c;
			sb_addn(b, &ch, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			sb_addn(b, e, 3);
		}
	}
}

typedef struct qitem {
	char *name, *value;
} qitem;

static int qitem_cmp(const void *a, const void *b)
{
	const qitem *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s, size_t n)
{
	sbuf b = { 0 };
	sb_add_encoded(&b, s, n);
	if (!b.s && !b.oom)
		return strdup("");
	return b.oom ? (free(b.s), NULL) : b.s;
}

/* name=value pairs, encoded, sorted by name then value, joined with '&'. */
static bool add_query(sbuf *out, const char *q)
{
	size_t n = 0, cap = 0;
	qitem *items = NULL;
	bool ok = true;

	while (q && *q && ok) {
		const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));
		if (end > q) {
			if (n == cap) {
				qitem *p = realloc(items, (cap = cap ? cap * 2 : 8) * sizeof *p);
				if (!p) {
					ok = false;
					break;
				}
				items = p;
			}
			items[n].name = encode_dup(q, (size_t)((eq ? eq : end) - q));
			items[n].value = eq ? encode_dup(eq + 1, (size_t)(end - eq - 1)) : strdup("");
			if (!items[n].name || !items[n].value)
				ok = false;
			n++;
		}
		q = amp ? amp + 1 : end;
	}
	if (ok && n)
		qsort(items, n, sizeof *items, qitem_cmp);
	for (size_t i = 0; i < n; i++) {
		if (ok) {
			if (i)
				sb_add(out, "&");
			sb_add(out, items[i].name);
			sb_add(out, "=");
			sb_add(out, items[i].value);
		}
		free(items[i].name);
		free(items[i].value);
	}
	free(items);
	return ok;
}

/* Each path segment decoded and re-encoded; always ends with '/'. */
static void add_path(sbuf *out, const char *path)
{
	const char *p = path && *path ? path : "/";
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		sb_add_encoded(out, p, n);
		if (!slash)
			break;
		sb_add(out, "/");
		p = slash + 1;
	}
	if (out->len == 0 || out->s[out->len - 1] != '/')
		sb_add(out, "/");
}

typedef struct hitem {
	char *name;        /* lowercase */
	const char *value;
} hitem;

static int hitem_cmp(const void *a, const void *b)
{
	return strcmp(((const hitem *)a)->name, ((const hitem *)b)->name);
}

static void add_trimmed(sbuf *b, const char *v)
{
	size_t n;
	while (*v == ' ' || *v == '\t')
		v++;
	n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	sb_addn(b, v, n);
}

/* Canonical headers and the SignedHeaders list; false if Host/X-Sdk-Date missing. */
static w2c_code add_headers(sbuf *out, sbuf *signed_h, const w2c_header *h, size_t n, w2c_error *err)
{
	hitem *items = calloc(n ? n : 1, sizeof *items);
	bool host = false, date = false;
	w2c_code rc = W2C_OK;

	if (!items)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory while signing");
	for (size_t i = 0; i < n; i++) {
		items[i].name = strdup(h[i].name);
		items[i].value = h[i].value ? h[i].value : "";
		if (!items[i].name) {
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory while signing");
			continue;
		}
		for (char *c = items[i].name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c += 32;
		host |= !strcmp(items[i].name, "host");
		date |= !strcmp(items[i].name, "x-sdk-date");
	}
	if (rc == W2C_OK && (!host || !date))
		rc = w2c_set_error(err, W2C_ERR_USAGE, "APIG signing: the request must carry %s",
				   !host ? "a Host header" : "an X-Sdk-Date header");
	if (rc == W2C_OK) {
		qsort(items, n, sizeof *items, hitem_cmp);
		for (size_t i = 0; i < n; i++) {
			sb_add(out, items[i].name);
			sb_add(out, ":");
			add_trimmed(out, items[i].value);
			sb_add(out, "\n");
			if (i)
				sb_add(signed_h, ";");
			sb_add(signed_h, items[i].name);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(items[i].name);
	free(items);
	return rc;
}

w2c_code w2c_apig_canonical_request(const char *method, const char *url, const w2c_header *headers,
				    size_t n_headers, const char *body_sha256_hex, char **canonical,
				    char **signed_headers, w2c_error *err)
{
	CURLU *u = curl_url();
	char *path = NULL, *query = NULL;
	sbuf out = { 0 }, sh = { 0 };
	w2c_code rc = W2C_OK;

	*canonical = *signed_headers = NULL;
	if (!u)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory while signing");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return w2c_set_error(err, W2C_ERR_USAGE, "APIG signing: cannot parse URL '%s'", url);
	}
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
		query = NULL;
	sb_add(&out, method);
	sb_add(&out, "\n");
	add_path(&out, path);
	sb_add(&out, "\n");
	if (!add_query(&out, query))
		out.oom = true;
	sb_add(&out, "\n");
	rc = add_headers(&out, &sh, headers, n_headers, err);
	sb_add(&out, "\n");
	sb_add(&out, sh.s ? sh.s : "");
	sb_add(&out, "\n");
	sb_add(&out, body_sha256_hex);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	if (rc == W2C_OK && (out.oom || sh.oom))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory while signing");
	if (rc != W2C_OK) {
		free(out.s);
		free(sh.s);
		return rc;
	}
	*canonical = out.s;
	*signed_headers = sh.s;
	return W2C_OK;
}

void w2c_apig_date(time_t t, char out[17])
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static const char *header_value(const w2c_header *h, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!w2c_strcasecmp(h[i].name, name))
			return h[i].value;
	return NULL;
}

w2c_code w2c_apig_sign(const char *method, const char *url, const w2c_header *headers,
		       size_t n_headers, const void *body, size_t body_len, const char *ak,
		       const char *sk, char **authorization, w2c_error *err)
{
	char body_hex[65], creq_hex[65], sig_hex[65];
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *creq = NULL, *signed_h = NULL, *sts = NULL;
	const char *date = header_value(headers, n_headers, "X-Sdk-Date");
	const char *payload = header_value(headers, n_headers, "X-Sdk-Content-Sha256");
	w2c_code rc;

	*authorization = NULL;
	if (!ak || !*ak || !sk || !*sk)
		return w2c_set_error(err, W2C_ERR_AUTH, "APIG signing: access key or secret key is empty");
	if (payload && !strcmp(payload, "UNSIGNED-PAYLOAD"))
		strcpy(body_hex, "UNSIGNED-PAYLOAD");
	else
		w2c_sha256_hex(body ? body : "", body ? body_len : 0, body_hex);
	rc = w2c_apig_canonical_request(method, url, headers, n_headers, body_hex, &creq, &signed_h, err);
	if (rc != W2C_OK)
		return rc;
	w2c_sha256_hex(creq, strlen(creq), creq_hex);
	if (!(sts = w2c_asprintf("SDK-HMAC-SHA256\n%s\n%s", date, creq_hex)))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory while signing");
	else if (!HMAC(EVP_sha256(), sk, (int)strlen(sk), (const unsigned char *)sts, strlen(sts), mac,
		       &maclen) || maclen != 32)
		rc = w2c_set_error(err, W2C_ERR_EXTERNAL, "APIG signing: HMAC-SHA256 failed (OpenSSL)");
	if (rc == W2C_OK) {
		w2c_hex(mac, 32, sig_hex);
		*authorization = w2c_asprintf("SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%s",
					      ak, signed_h, sig_hex);
		if (!*authorization)
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory while signing");
	}
	OPENSSL_cleanse(mac, sizeof mac);
	free(creq);
	free(signed_h);
	free(sts);
	return rc;
}
