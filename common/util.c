/* String, encoding and file helpers. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

char *w2c_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *w2c_strndup(const char *s, size_t n)
{
	return s ? strndup(s, n) : NULL;
}

char *w2c_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

int w2c_strcasecmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (unsigned char)*a, cb = (unsigned char)*b;
		if (ca >= 'A' && ca <= 'Z')
			ca += 32;
		if (cb >= 'A' && cb <= 'Z')
			cb += 32;
		if (ca != cb || !ca)
			return ca - cb;
	}
}

bool w2c_str_endswith_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && w2c_strcasecmp(s + n - m, suffix) == 0;
}

static char *iconv_to_utf8(const char *from, const uint8_t *in, size_t len)
{
	iconv_t cd = iconv_open("UTF-8", from);
	size_t cap = len * 2 + 4, left_in = len, left_out = cap - 1;
	char *out, *ip = (char *)in, *op;

	if (cd == (iconv_t)-1)
		return NULL;
	out = malloc(cap);
	if (!out) {
		iconv_close(cd);
		return NULL;
	}
	op = out;
	if (iconv(cd, &ip, &left_in, &op, &left_out) == (size_t)-1) {
		free(out);
		iconv_close(cd);
		return NULL;
	}
	*op = 0;
	iconv_close(cd);
	return out;
}

char *w2c_utf16le_to_utf8(const uint8_t *in, size_t len)
{
	return iconv_to_utf8("UTF-16LE", in, len & ~(size_t)1);
}

char *w2c_ucs2be_to_utf8(const uint8_t *in, size_t len)
{
	return iconv_to_utf8("UTF-16BE", in, len & ~(size_t)1);
}

uint8_t *w2c_utf8_to_utf16le(const char *in, size_t *out_len)
{
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
	size_t len = strlen(in), cap = len * 4 + 4, left_in = len, left_out = cap;
	char *ip = (char *)in, *out, *op;

	if (cd == (iconv_t)-1)
		return NULL;
	out = malloc(cap);
	op = out;
	if (!out || iconv(cd, &ip, &left_in, &op, &left_out) == (size_t)-1) {
		free(out);
		iconv_close(cd);
		return NULL;
	}
	iconv_close(cd);
	*out_len = (size_t)(op - out);
	return (uint8_t *)out;
}

void w2c_hex(const uint8_t *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = 0;
}

int w2c_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void w2c_sha256_hex(const void *data, size_t len, char out[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	w2c_hex(md, 32, out);
}

w2c_code w2c_pread_full(int fd, void *buf, size_t len, uint64_t off, const char *path,
			w2c_error *err)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return w2c_set_error(err, W2C_ERR_IO, "%s: read at offset %llu: %s", path,
					     (unsigned long long)off, strerror(errno));
		if (n == 0)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: truncated: expected %zu more bytes at offset %llu",
					     path, len, (unsigned long long)off);
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return W2C_OK;
}

w2c_code w2c_write_full(int fd, const void *buf, size_t len, const char *path, w2c_error *err)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return w2c_set_error(err, errno == ENOSPC ? W2C_ERR_NO_SPACE : W2C_ERR_IO,
					     "%s: write: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return W2C_OK;
}

w2c_code w2c_mkdirs(const char *path, w2c_error *err)
{
	char *p = w2c_strdup(path);
	w2c_code rc = W2C_OK;

	if (!p)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			rc = w2c_set_error(err, W2C_ERR_IO, "%s: cannot create directory: %s", p,
					   strerror(errno));
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

w2c_code w2c_free_space(const char *path, uint64_t *bytes, w2c_error *err)
{
	struct statvfs sv;
	if (statvfs(path, &sv) < 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: statvfs: %s", path, strerror(errno));
	*bytes = (uint64_t)sv.f_bavail * sv.f_frsize;
	return W2C_OK;
}

w2c_code w2c_read_file(const char *path, size_t max, char **data, size_t *len, w2c_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	w2c_code rc;

	if (fd < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size > max) {
		close(fd);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: file size %lld exceeds the limit of %zu bytes", path,
				     (long long)st.st_size, max);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	rc = w2c_pread_full(fd, buf, (size_t)st.st_size, 0, path, err);
	close(fd);
	if (rc) {
		free(buf);
		return rc;
	}
	buf[st.st_size] = 0;
	*data = buf;
	if (len)
		*len = (size_t)st.st_size;
	return W2C_OK;
}

double w2c_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

bool w2c_on_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t n = strcspn(p, ":");
		char *full = w2c_asprintf("%.*s/%s", (int)n, p, prog);
		bool ok = full && access(full, X_OK) == 0;
		free(full);
		if (ok)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}
