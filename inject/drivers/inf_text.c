/*
 * INF text decoding: turn the bytes of an INF (UTF-16LE with BOM, UTF-8, or
 * ASCII/ANSI) into UTF-8 with one '\n' per line, so the parser sees one
 * encoding.  Errors name the line, because a truncated or mis-encoded INF
 * is a user mistake that must be findable in an editor.
 */
#include "inject/drivers/inf_int.h"

#include <stdlib.h>
#include <string.h>

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static w2c_code from_utf16(const uint8_t *p, size_t len, const char *name, char **out,
			   w2c_error *err)
{
	unsigned line = 1;
	size_t n = len / 2, o = 0;
	char *buf;

	if (len % 2) {
		for (size_t i = 0; i + 1 < len; i += 2)
			line += p[i] == '\n' && p[i + 1] == 0;
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s:%u: truncated UTF-16 text (odd number of bytes)", name, line);
	}
	buf = malloc(n * 3 + 1);
	if (!buf)
		return w2c_set_error(err, W2C_ERR_NOMEM, "%s: out of memory", name);
	for (size_t i = 0; i < n; i++) {
		uint32_t cu = p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
		if (cu >= 0xD800 && cu < 0xDC00 && i + 1 < n) {
			uint32_t lo = p[2 * i + 2] | (uint32_t)p[2 * i + 3] << 8;
			if (lo >= 0xDC00 && lo < 0xE000) {
				cu = 0x10000 + ((cu - 0xD800) << 10) + (lo - 0xDC00);
				i++;
			}
		}
		if ((cu >= 0xD800 && cu < 0xE000) || cu == 0) {
			free(buf);
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:%u: %s in UTF-16 text",
					     name, line, cu ? "unpaired surrogate" : "NUL character");
		}
		line += cu == '\n';
		o += put_utf8(buf + o, cu);
	}
	buf[o] = 0;
	*out = buf;
	return W2C_OK;
}

/* Length of the valid UTF-8 sequence at @p, 0 if invalid. */
static size_t utf8_seq(const uint8_t *p, size_t left)
{
	size_t n = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3
		 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (!n || n > left || (n == 2 && p[0] < 0xC2))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

static bool valid_utf8(const uint8_t *p, size_t len, bool *ascii)
{
	*ascii = true;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(p + i, len - i);
		if (!n)
			return false;
		*ascii &= n == 1;
		i += n;
	}
	return true;
}

/* ANSI INFs are Windows-1252 in practice; map bytes >= 0x80 as Latin-1. */
static char *from_latin1(const uint8_t *p, size_t len)
{
	char *buf = malloc(len * 2 + 1);
	size_t o = 0;
	if (!buf)
		return NULL;
	for (size_t i = 0; i < len; i++)
		o += put_utf8(buf + o, p[i]);
	buf[o] = 0;
	return buf;
}

/* Drop '\r' before '\n' (and lone '\r' become '\n') so lines split on '\n' only. */
static void normalize_newlines(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = 0;
}

w2c_code w2c_inf_decode(const void *data, size_t len, const char *name, char **text,
			enum w2c_inf_encoding *enc, w2c_error *err)
{
	const uint8_t *p = data;
	w2c_code rc;
	bool ascii;

	*text = NULL;
	if (len >= 2 && p[0] == 0xFF && p[1] == 0xFE) {
		*enc = W2C_INF_UTF16LE;
		rc = from_utf16(p + 2, len - 2, name, text, err);
		if (rc)
			return rc;
		normalize_newlines(*text);
		return W2C_OK;
	}
	if (len >= 2 && p[0] == 0xFE && p[1] == 0xFF)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s:1: UTF-16 big-endian text; Windows INFs are UTF-16LE (BOM FF FE), UTF-8 or ASCII",
				     name);
	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
		p += 3;
		len -= 3;
	}
	const uint8_t *nul = memchr(p, 0, len);
	if (nul) {
		unsigned line = 1;
		for (const uint8_t *q = p; q < nul; q++)
			line += *q == '\n';
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s:%u: NUL byte at offset %zu: UTF-16 text without a byte-order mark? "
				     "(expected FF FE at the start of a UTF-16LE INF)",
				     name, line, (size_t)(nul - p));
	}
	if (valid_utf8(p, len, &ascii)) {
		*enc = ascii ? W2C_INF_ASCII : W2C_INF_UTF8;
		*text = w2c_strndup((const char *)p, len);
	} else {
		*enc = W2C_INF_ASCII;
		*text = from_latin1(p, len);
	}
	if (!*text)
		return w2c_set_error(err, W2C_ERR_NOMEM, "%s: out of memory", name);
	normalize_newlines(*text);
	return W2C_OK;
}
