/* AWS Signature Version 4 (header form) with OpenSSL HMAC/SHA-256. */
#include "win2cloud/s3.h"
#include "common/util.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

static void hmac(const void *key, size_t klen, const char *msg, uint8_t out[32])
{
	unsigned olen = 32;
	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &olen);
}

/* Decode %XX (a '+' stays a '+': S3 query values are RFC 3986, not forms). */
static char *pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && w2c_hexval(s[i + 1]) >= 0 && w2c_hexval(s[i + 2]) >= 0) {
			*o++ = (char)(w2c_hexval(s[i + 1]) * 16 + w2c_hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = 0;
	return out;
}

struct qparam {
	char *name, *value;
};

static int qcmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

/* "b=2&a&c=%7e" -> "a=&b=2&c=~" */
static char *canonical_query(const char *q)
{
	size_t n = 0, cap = 0, len = 0;
	struct qparam *v = NULL;
	char *out = NULL;

	for (const char *p = q; p && *p;) {
		size_t plen = strcspn(p, "&");
		if (plen) {
			const char *eq = memchr(p, '=', plen);
			size_t nl = eq ? (size_t)(eq - p) : plen;
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				struct qparam *nv = realloc(v, cap * sizeof *nv);
				if (!nv)
					goto out;
				v = nv;
			}
			char *dn = pct_decode(p, nl), *dv = pct_decode(eq ? eq + 1 : "", eq ? plen - nl - 1 : 0);
			v[n].name = dn ? w2c_http_uri_encode(dn, false) : NULL;
			v[n].value = dv ? w2c_http_uri_encode(dv, false) : NULL;
			free(dn);
			free(dv);
			n++;
			if (!v[n - 1].name || !v[n - 1].value)
				goto out;
			len += strlen(v[n - 1].name) + strlen(v[n - 1].value) + 2;
		}
		p += plen;
		if (*p)
			p++;
	}
	if (n)
		qsort(v, n, sizeof *v, qcmp);
	out = calloc(1, len + 1);
	for (size_t i = 0; out && i < n; i++) {
		if (i)
			strcat(out, "&");
		strcat(out, v[i].name);
		strcat(out, "=");
		strcat(out, v[i].value);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	return out;
}

struct hline {
	char *name;
	const char *value;
};

static int hcmp(const void *a, const void *b)
{
	return strcmp(((const struct hline *)a)->name, ((const struct hline *)b)->name);
}

/* Trim and collapse runs of spaces, as SigV4 requires. */
static void append_value(char **buf, size_t *len, const char *v)
{
	bool space = false;
	size_t vl = strlen(v);
	char *nb = realloc(*buf, *len + vl + 2);

	if (!nb)
		return;
	*buf = nb;
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v; v++) {
		if (*v == ' ' || *v == '\t') {
			space = true;
			continue;
		}
		if (space)
			nb[(*len)++] = ' ';
		space = false;
		nb[(*len)++] = *v;
	}
	nb[*len] = 0;
}

/* Canonical header block and signed-header list from every header in @h. */
static w2c_code canonical_headers(const w2c_http_headers *h, char **block, char **signed_list)
{
	struct hline *v = calloc(h->count + 1, sizeof *v);
	size_t n = 0, blen = 0, slen = 0;
	char *b = calloc(1, 1), *s = calloc(1, 1);
	w2c_code rc = W2C_ERR_NOMEM;

	if (!v || !b || !s)
		goto out;
	for (size_t i = 0; i < h->count; i++) {
		if (!w2c_strcasecmp(h->names[i], "authorization"))
			continue;
		v[n].name = w2c_strdup(h->names[i]);
		if (!v[n].name)
			goto out;
		for (char *p = v[n].name; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		v[n++].value = h->values[i];
	}
	qsort(v, n, sizeof *v, hcmp);
	for (size_t i = 0; i < n; i++) {
		bool dup = i && !strcmp(v[i].name, v[i - 1].name);
		size_t nl = strlen(v[i].name);
		char *nb = realloc(b, blen + nl + 3);
		if (!nb)
			goto out;
		b = nb;
		if (dup) {
			b[blen - 1] = ','; /* merge: "a:1\n" becomes "a:1," */
		} else {
			memcpy(b + blen, v[i].name, nl);
			blen += nl;
			b[blen++] = ':';
			b[blen] = 0;
			char *ns = realloc(s, slen + nl + 2);
			if (!ns)
				goto out;
			s = ns;
			if (slen)
				s[slen++] = ';';
			memcpy(s + slen, v[i].name, nl + 1);
			slen += nl;
		}
		append_value(&b, &blen, v[i].value);
		nb = realloc(b, blen + 2);
		if (!nb)
			goto out;
		b = nb;
		b[blen++] = '\n';
		b[blen] = 0;
	}
	*block = b;
	*signed_list = s;
	b = s = NULL;
	rc = W2C_OK;
out:
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
	free(b);
	free(s);
	return rc;
}

/* Split an absolute URL into host header value, path and query. */
static w2c_code split_url(const char *url, char **host, char **path, char **query)
{
	const char *s = strstr(url, "://");
	bool https = !strncmp(url, "https", 5);

	if (!s)
		return W2C_ERR_INVALID_INPUT;
	s += 3;
	size_t hl = strcspn(s, "/?#");
	*host = w2c_strndup(s, hl);
	const char *p = s + hl, *q = strchr(p, '?');
	size_t pl = q ? (size_t)(q - p) : strcspn(p, "#");
	*path = pl ? w2c_strndup(p, pl) : w2c_strdup("/");
	*query = w2c_strndup(q ? q + 1 : "", q ? strcspn(q + 1, "#") : 0);
	if (!*host || !*path || !*query)
		return W2C_ERR_NOMEM;
	/* the default port is not part of Host */
	char *colon = strrchr(*host, ':');
	if (colon && strchr(*host, ']') < colon &&
	    ((https && !strcmp(colon, ":443")) || (!https && !strcmp(colon, ":80"))))
		*colon = 0;
	return W2C_OK;
}

w2c_code w2c_sigv4_sign(const w2c_sigv4_key *key, const char *method, const char *url,
			w2c_http_headers *h, const char *payload_sha256, time_t now,
			char **canonical, w2c_error *err)
{
	char *host = NULL, *path = NULL, *query = NULL, *cq = NULL, *block = NULL, *sl = NULL;
	char *creq = NULL, *sts = NULL, *auth = NULL, *ksecret = NULL;
	char amzdate[17], day[9], creq_hash[65], sig[65];
	uint8_t k[32];
	struct tm tm;
	w2c_code rc;

	if (!now)
		now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(amzdate, sizeof amzdate, "%Y%m%dT%H%M%SZ", &tm);
	strftime(day, sizeof day, "%Y%m%d", &tm);
	if (!payload_sha256)
		payload_sha256 = W2C_UNSIGNED_PAYLOAD;
	rc = split_url(url, &host, &path, &query);
	if (rc) {
		w2c_set_error(err, rc, "cannot sign: bad URL");
		goto out;
	}
	rc = W2C_ERR_NOMEM;
	if (!w2c_http_headers_get(h, "host") && w2c_http_headers_add(h, "Host", host))
		goto nomem;
	if (w2c_http_headers_set(h, "x-amz-date", amzdate) ||
	    w2c_http_headers_set(h, "x-amz-content-sha256", payload_sha256))
		goto nomem;
	if (key->session_token && *key->session_token &&
	    w2c_http_headers_set(h, "x-amz-security-token", key->session_token))
		goto nomem;
	if (!(cq = canonical_query(query)) || canonical_headers(h, &block, &sl))
		goto nomem;
	creq = w2c_asprintf("%s\n%s\n%s\n%s\n%s\n%s", method, path, cq, block, sl, payload_sha256);
	if (!creq)
		goto nomem;
	w2c_sha256_hex(creq, strlen(creq), creq_hash);
	sts = w2c_asprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amzdate, day,
			   key->region, key->service, creq_hash);
	ksecret = w2c_asprintf("AWS4%s", key->secret_key);
	if (!sts || !ksecret)
		goto nomem;
	hmac(ksecret, strlen(ksecret), day, k);
	hmac(k, 32, key->region, k);
	hmac(k, 32, key->service, k);
	hmac(k, 32, "aws4_request", k);
	uint8_t s[32];
	hmac(k, 32, sts, s);
	w2c_hex(s, 32, sig);
	auth = w2c_asprintf("AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
			    "SignedHeaders=%s, Signature=%s",
			    key->access_key, day, key->region, key->service, sl, sig);
	if (!auth || w2c_http_headers_set(h, "Authorization", auth))
		goto nomem;
	if (canonical) {
		*canonical = creq;
		creq = NULL;
	}
	rc = W2C_OK;
	goto out;
nomem:
	w2c_set_error(err, W2C_ERR_NOMEM, "out of memory while signing");
out:
	OPENSSL_cleanse(k, sizeof k);
	if (ksecret) {
		OPENSSL_cleanse(ksecret, strlen(ksecret));
		free(ksecret);
	}
	free(host);
	free(path);
	free(query);
	free(cq);
	free(block);
	free(sl);
	free(creq);
	free(sts);
	free(auth);
	return rc;
}
