/*
 * OSTA CS0 (UDF 2.1.1): a compression id, 8 (one byte per character) or 16
 * (UCS-2 big endian), then the characters.  Names keep their case and length;
 * 8-bit is used only for pure ASCII because libudf hands 8-bit names back as
 * raw Latin-1 bytes (specs/test-media.md §1), so anything else goes 16-bit.
 */
#include "udf_int.h"

#include <string.h>

/* Next code point of UTF-8 @s at *@i, -1 when malformed. */
static long next_cp(const unsigned char *s, size_t *i)
{
	unsigned c = s[*i];
	int more = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 :
		   (c & 0xF8) == 0xF0 ? 3 : -1;
	long cp = more == 0 ? c : more == 1 ? c & 0x1F : more == 2 ? c & 0x0F : c & 0x07;
	static const long min[4] = { 0, 0x80, 0x800, 0x10000 };

	if (more < 0)
		return -1;
	(*i)++;
	for (int k = 0; k < more; k++, (*i)++) {
		if ((s[*i] & 0xC0) != 0x80)
			return -1;
		cp = cp << 6 | (s[*i] & 0x3F);
	}
	if (cp < min[more] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	return cp;
}

int w2c_udf_cs0(const char *str, uint8_t *out, size_t cap)
{
	const unsigned char *s = (const unsigned char *)str;
	bool ascii = true;
	size_t n = 1, i = 0;

	for (const unsigned char *p = s; *p; p++)
		ascii &= *p < 0x80;
	if (!cap)
		return -2;
	out[0] = ascii ? 8 : 16;
	while (s[i]) {
		long cp = next_cp(s, &i);
		if (cp < 0)
			return -1;
		if (ascii) {
			if (n + 1 > cap)
				return -2;
			out[n++] = (uint8_t)cp;
			continue;
		}
		if (cp > 0xFFFF) { /* a surrogate pair */
			if (n + 4 > cap)
				return -2;
			cp -= 0x10000;
			unsigned hi = 0xD800 | (unsigned)(cp >> 10), lo = 0xDC00 | (unsigned)(cp & 0x3FF);
			out[n++] = (uint8_t)(hi >> 8);
			out[n++] = (uint8_t)hi;
			out[n++] = (uint8_t)(lo >> 8);
			out[n++] = (uint8_t)lo;
			continue;
		}
		if (n + 2 > cap)
			return -2;
		out[n++] = (uint8_t)(cp >> 8);
		out[n++] = (uint8_t)cp;
	}
	return (int)n;
}

bool w2c_udf_dstring(uint8_t *field, size_t len, const char *s)
{
	char cut[256];
	size_t keep = strlen(s) < sizeof cut - 1 ? strlen(s) : sizeof cut - 1;
	int n;

	memset(field, 0, len);
	if (!*s)
		return true;
	/* drop whole characters from the end until the encoding fits */
	for (;;) {
		memcpy(cut, s, keep);
		cut[keep] = 0;
		n = w2c_udf_cs0(cut, field, len - 1);
		if (n > 0 || n == -1 || !keep)
			break;
		do
			keep--;
		while (keep && ((unsigned char)s[keep] & 0xC0) == 0x80);
	}
	if (n <= 1) {
		memset(field, 0, len);
		return false;
	}
	field[len - 1] = (uint8_t)n;
	return keep == strlen(s);
}
