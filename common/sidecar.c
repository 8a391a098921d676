/*
 * The FILE.sha256 sidecar (sha256sum format) that build and inject write beside
 * an image and that verify, upload and the pipeline read: one writer, one
 * parser, shared by every stage.  The parser is fuzzed (fuzz_verify.c).
 */
#include "win2cloud/sidecar.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static w2c_code sum_bad(w2c_error *err, const char *what, size_t col, const char *want)
{
	return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:1:%zu: expected %s (sha256sum format "
			     "\"HEX  NAME\")", what, col, want);
}

/* sha256sum escapes names holding '\\' or a newline and marks the line with a leading '\\'. */
static char *unescape(const char *s, size_t n, bool escaped)
{
	char *o = malloc(n + 1), *p = o;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (escaped && s[i] == '\\' && i + 1 < n) {
			i++;
			*p++ = s[i] == 'n' ? '\n' : s[i];
		} else {
			*p++ = s[i];
		}
	}
	*p = 0;
	return o;
}

w2c_code w2c_sha256sum_parse(const char *text, size_t len, const char *what, char hex[65],
			     char **name, w2c_error *err)
{
	size_t i = 0, end;
	bool escaped = len > 0 && text[0] == '\\';

	*name = NULL;
	if (escaped)
		i++;
	for (int k = 0; k < 64; k++, i++) {
		int v = i < len ? w2c_hexval((unsigned char)text[i]) : -1;
		if (v < 0)
			return sum_bad(err, what, i + 1, "64 hex digits");
		hex[k] = "0123456789abcdef"[v];
	}
	hex[64] = 0;
	if (i + 1 >= len || text[i] != ' ' || (text[i + 1] != ' ' && text[i + 1] != '*'))
		return sum_bad(err, what, i + 1, "two spaces or \" *\" after the digest");
	i += 2;
	for (end = i; end < len && text[end] != '\n' && text[end] != 0; end++)
		;
	if (end > i && text[end - 1] == '\r')
		end--;
	if (end == i)
		return sum_bad(err, what, i + 1, "a file name");
	*name = unescape(text + i, end - i, escaped);
	return *name ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
}

bool w2c_sha256sum_sidecar(const char *file, char hex[65], w2c_error *why)
{
	char *path = w2c_asprintf("%s.sha256", file), *data = NULL, *name = NULL;
	const char *base = strrchr(file, '/');
	struct stat fs, ss;
	bool ok = false;
	size_t len;
	w2c_error e;

	base = base ? base + 1 : file;
	if (!why)
		why = &e;
	if (!path || stat(path, &ss) != 0) {
		w2c_set_error(why, W2C_ERR_NOT_FOUND, "%s: none", path ? path : file);
	} else if (stat(file, &fs) == 0 &&
		   (ss.st_mtim.tv_sec < fs.st_mtim.tv_sec ||
		    (ss.st_mtim.tv_sec == fs.st_mtim.tv_sec && ss.st_mtim.tv_nsec < fs.st_mtim.tv_nsec))) {
		/* the file was written after its sum: the sum describes older bytes */
		w2c_set_error(why, W2C_ERR_INVALID_INPUT, "%s: older than %s, not used", path, file);
	} else if (!w2c_read_file(path, 4096, &data, &len, why) &&
		   !w2c_sha256sum_parse(data, len, path, hex, &name, why)) {
		ok = !strcmp(name, base) || !strcmp(name, file);
		if (!ok)
			w2c_set_error(why, W2C_ERR_INVALID_INPUT, "%s: names '%s', not %s", path, name,
				      base);
	}
	free(name);
	free(data);
	free(path);
	return ok;
}

w2c_code w2c_sha256sum_write(const char *file, const char hex[65], w2c_error *err)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	char *line = w2c_asprintf("%s  %s\n", hex, base), *sp = w2c_asprintf("%s.sha256", file);
	w2c_code rc = line && sp ? w2c_write_file_atomic(sp, line, strlen(line), 0644, err)
				 : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	free(line);
	free(sp);
	return rc;
}
