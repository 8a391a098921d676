/*
 * Target-OS decorations of INF models sections:
 * NT<arch>[.<major>[.<minor>[.<producttype>[.<suitemask>[.<build>]]]]].
 * Empty fields are written as consecutive dots ("NTamd64.10.0...17763").
 */
#include "inject/drivers/inf_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const arches[] = { "amd64", "arm64", "x86", "ia64", "arm" };

static bool parse_num(const char *s, size_t n, unsigned *out)
{
	unsigned long v = 0;
	if (!n || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = (unsigned)v;
	return true;
}

w2c_code w2c_inf_decoration_parse(const char *text, w2c_inf_decoration *d, w2c_error *err)
{
	const char *p = text;
	memset(d, 0, sizeof *d);
	if (strncasecmp(p, "NT", 2))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "decoration '%s' does not start with NT", text);
	p += 2;
	for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++) {
		size_t n = strlen(arches[i]);
		if (!strncasecmp(p, arches[i], n) && (p[n] == 0 || p[n] == '.')) {
			memcpy(d->arch, arches[i], n + 1);
			p += n;
			break;
		}
	}
	if (*p && *p != '.')
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "decoration '%s': unknown architecture '%s'", text, p);
	/* up to five dot-separated numeric fields, empty allowed */
	unsigned *fields[] = { &d->major, &d->minor, &d->product_type, &d->suite_mask, &d->build };
	bool *has[] = { &d->has_major, &d->has_minor, &d->has_product_type, NULL, &d->has_build };
	for (int f = 0; *p == '.'; f++) {
		p++;
		size_t n = strcspn(p, ".");
		if (f >= 5)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "decoration '%s': more than five version fields", text);
		if (n) {
			bool ok = f == 3 ? (strncasecmp(p, "0x", 2) ? parse_num(p, n, fields[f])
						       : (*fields[f] = (unsigned)strtoul(p, NULL, 16), true))
					 : parse_num(p, n, fields[f]);
			if (!ok)
				return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
						     "decoration '%s': field %d '%.*s' is not a number",
						     text, f + 1, (int)n, p);
			if (has[f])
				*has[f] = true;
		}
		p += n;
	}
	return W2C_OK;
}

enum w2c_os_match w2c_inf_decoration_accepts(const w2c_inf_decoration *d, const w2c_target_os *os)
{
	/* "NT" without an architecture, and undecorated sections, are x86 only:
	 * 64-bit Windows requires NTamd64/NTarm64 models sections. */
	const char *arch = d->arch[0] ? d->arch : "x86";
	if (!os->arch || w2c_strcasecmp(arch, os->arch))
		return W2C_MATCH_ARCH;
	if (d->has_major) {
		unsigned minor = d->has_minor ? d->minor : 0;
		if (os->major < d->major || (os->major == d->major && os->minor < minor))
			return W2C_MATCH_VERSION;
		bool same = os->major == d->major && os->minor == minor;
		if (same && d->has_build && os->build < d->build)
			return W2C_MATCH_BUILD;
	} else if (d->has_build && os->build < d->build) {
		return W2C_MATCH_BUILD;
	}
	if (d->has_product_type && os->product_type && d->product_type != os->product_type &&
	    !(d->product_type == 3 && os->product_type == 2))
		return W2C_MATCH_PRODUCT;
	return W2C_MATCH_OK;
}

/* Rank of a matching decoration: the most specific (highest version) wins,
 * as Windows picks the closest models section. */
static uint64_t specificity(const w2c_inf_decoration *d)
{
	return ((uint64_t)d->major << 48) | ((uint64_t)d->minor << 40) | ((uint64_t)d->build << 8) |
	       (d->has_product_type ? 2u : 0u) | (d->arch[0] ? 1u : 0u);
}

enum w2c_os_match w2c_driver_package_accepts(const w2c_driver_package *p, const w2c_target_os *os,
					     const w2c_inf_models **best)
{
	enum w2c_os_match why = W2C_MATCH_ARCH;
	const w2c_inf_models *b = NULL;

	for (size_t i = 0; i < p->n_models; i++) {
		const w2c_inf_models *m = &p->models[i];
		enum w2c_os_match r = w2c_inf_decoration_accepts(&m->decoration, os);
		if (r == W2C_MATCH_OK) {
			if (!b || specificity(&m->decoration) > specificity(&b->decoration))
				b = m;
		} else if (why == W2C_MATCH_ARCH || r == W2C_MATCH_BUILD) {
			why = r; /* report the closest miss: build beats version beats arch */
		}
	}
	if (best)
		*best = b;
	return b ? W2C_MATCH_OK : why;
}
