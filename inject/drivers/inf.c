/*
 * INF parser: sections of lines of comma-separated fields, as SetupAPI reads
 * them.  Our own, because no Linux library parses INFs.  Substitution of
 * %strings% happens after the whole file is read, since [Strings] usually
 * comes last.
 */
#include "inject/drivers/inf_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

bool w2c_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return true;
	size_t nc = *cap ? *cap * 2 : 8;
	void *p = realloc(*arr, nc * size);
	if (!p)
		return false;
	*arr = p;
	*cap = nc;
	return true;
}

/* Parser state: sections are found through a hash of lower-cased names so
 * merging repeated sections stays linear on hostile input. */
typedef struct parser {
	w2c_inf *inf;
	const char *name;
	w2c_inf_section *cur;
	w2c_error *err;
} parser;

static uint64_t hash_ci(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)tolower((unsigned char)*s)) * 1099511628211ULL;
	return h;
}

/* Slot of @name in the section index: section index + 1, or 0 = free slot. */
static size_t *hash_slot(const w2c_inf *inf, const char *name)
{
	size_t i = hash_ci(name) & (inf->index_cap_ - 1);
	while (inf->index_[i] && w2c_strcasecmp(inf->sections[inf->index_[i] - 1].name, name))
		i = (i + 1) & (inf->index_cap_ - 1);
	return &inf->index_[i];
}

static bool hash_rebuild(w2c_inf *inf)
{
	size_t cap = inf->index_cap_ ? inf->index_cap_ * 2 : 64;
	size_t *h = calloc(cap, sizeof *h);
	if (!h)
		return false;
	free(inf->index_);
	inf->index_ = h;
	inf->index_cap_ = cap;
	for (size_t i = 0; i < inf->n_sections; i++)
		*hash_slot(inf, inf->sections[i].name) = i + 1;
	return true;
}

static w2c_code open_section(parser *ps, const char *name, unsigned lineno)
{
	w2c_inf *inf = ps->inf;
	if ((inf->n_sections + 1) * 2 > inf->index_cap_ && !hash_rebuild(inf))
		return w2c_set_error(ps->err, W2C_ERR_NOMEM, "%s: out of memory", ps->name);
	size_t *slot = hash_slot(inf, name);
	if (*slot) {
		ps->cur = &inf->sections[*slot - 1];
		return W2C_OK;
	}
	if (!w2c_grow((void **)&inf->sections, &inf->cap_sections, inf->n_sections, sizeof *inf->sections))
		return w2c_set_error(ps->err, W2C_ERR_NOMEM, "%s: out of memory", ps->name);
	w2c_inf_section *s = &inf->sections[inf->n_sections];
	memset(s, 0, sizeof *s);
	s->name = w2c_strdup(name);
	s->lineno = lineno;
	if (!s->name)
		return w2c_set_error(ps->err, W2C_ERR_NOMEM, "%s: out of memory", ps->name);
	*slot = ++inf->n_sections;
	ps->cur = s;
	return W2C_OK;
}

const w2c_inf_section *w2c_inf_find(const w2c_inf *inf, const char *name)
{
	if (!inf || !name || !inf->index_cap_)
		return NULL;
	size_t k = *hash_slot(inf, name);
	return k ? &inf->sections[k - 1] : NULL;
}

const w2c_inf_section *w2c_inf_find2(const w2c_inf *inf, const char *base, const char *suffix)
{
	char *n = w2c_asprintf("%s.%s", base, suffix);
	const w2c_inf_section *s = n ? w2c_inf_find(inf, n) : NULL;
	free(n);
	return s;
}

const w2c_inf_line *w2c_inf_key(const w2c_inf_section *sec, const char *key)
{
	for (size_t i = 0; sec && i < sec->n_lines; i++)
		if (sec->lines[i].key && !w2c_strcasecmp(sec->lines[i].key, key))
			return &sec->lines[i];
	return NULL;
}

const char *w2c_inf_value(const w2c_inf *inf, const char *section, const char *key)
{
	const w2c_inf_line *l = w2c_inf_key(w2c_inf_find(inf, section), key);
	return l && l->n_values ? l->values[0] : NULL;
}

/* ---- one logical line -> key and fields ---- */

typedef struct field {
	char *buf;
	size_t len, keep; /* keep: length up to the last quoted or non-blank char */
	bool started;
} field;

static bool field_put(field *f, char c, bool quoted)
{
	if (!f->started && !quoted && (c == ' ' || c == '\t'))
		return true;
	f->started = true;
	f->buf[f->len++] = c;
	if (quoted || (c != ' ' && c != '\t'))
		f->keep = f->len;
	return true;
}

static char *field_take(field *f)
{
	char *s = w2c_strndup(f->buf, f->keep);
	f->len = f->keep = 0;
	f->started = false;
	return s;
}

static w2c_code add_line(parser *ps, const char *text, size_t len, unsigned lineno)
{
	w2c_inf_section *s = ps->cur;
	field f = { .buf = malloc(len + 1) };
	char **vals = NULL, *key = NULL;
	size_t n = 0, cap = 0;
	bool q = false, ok = f.buf != NULL;

	for (size_t i = 0; ok && i <= len; i++) {
		char c = i < len ? text[i] : ',';
		if (q) {
			if (c == '"' && i + 1 < len && text[i + 1] == '"')
				field_put(&f, '"', true), i++;
			else if (c == '"')
				q = false;
			else if (i == len) /* SetupAPI ends an open quote at the line end */
				q = false, i--;
			else
				field_put(&f, c, true);
		} else if (c == '"') {
			q = true;
			f.started = true;
			f.keep = f.len;
		} else if (c == '=' && !key && n == 0) {
			ok = (key = field_take(&f)) != NULL;
		} else if (c == ',') {
			ok = w2c_grow((void **)&vals, &cap, n, sizeof *vals) && (vals[n] = field_take(&f));
			n += ok;
		} else {
			field_put(&f, c, false);
		}
	}
	free(f.buf);
	if (ok && !key && n == 1 && !vals[0][0]) { /* blank after comment removal */
		free(vals[0]);
		free(vals);
		return W2C_OK;
	}
	if (ok)
		ok = w2c_grow((void **)&s->lines, &s->cap_lines, s->n_lines, sizeof *s->lines);
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			free(vals[i]);
		free(vals);
		free(key);
		return w2c_set_error(ps->err, W2C_ERR_NOMEM, "%s: out of memory", ps->name);
	}
	s->lines[s->n_lines++] = (w2c_inf_line){ key, vals, n, lineno };
	return W2C_OK;
}

/* Strip the comment of a physical line, honouring quotes; returns the new length. */
static size_t strip_comment(const char *s, size_t len)
{
	bool q = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '"')
			q = !q;
		else if (s[i] == ';' && !q)
			return i;
	}
	return len;
}

static size_t rtrim(const char *s, size_t len)
{
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == 0x1A))
		len--;
	return len;
}

static w2c_code section_header(parser *ps, const char *s, size_t len, unsigned lineno)
{
	const char *end = memchr(s, ']', len);
	if (!end)
		return w2c_set_error(ps->err, W2C_ERR_INVALID_INPUT,
				     "%s:%u: section name without closing ']' (truncated file?)",
				     ps->name, lineno);
	const char *b = s + 1;
	size_t n = (size_t)(end - b);
	while (n && (*b == ' ' || *b == '\t'))
		b++, n--;
	n = rtrim(b, n);
	char *name = w2c_strndup(b, n);
	if (!name)
		return w2c_set_error(ps->err, W2C_ERR_NOMEM, "%s: out of memory", ps->name);
	w2c_code rc = open_section(ps, name, lineno);
	free(name);
	return rc;
}

static w2c_code parse_lines(parser *ps, char *text)
{
	char *logical = NULL;
	size_t llen = 0;
	unsigned lineno = 0, start = 0;
	w2c_code rc = W2C_OK;
	char *p = text;

	logical = malloc(strlen(text) + 1);
	if (!logical)
		return w2c_set_error(ps->err, W2C_ERR_NOMEM, "%s: out of memory", ps->name);
	while (!rc && *p) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (!llen)
			start = lineno;
		size_t body = rtrim(p, strip_comment(p, len));
		bool cont = body && p[body - 1] == '\\';
		if (cont)
			body--;
		memcpy(logical + llen, p, body);
		llen += body;
		p += len + (nl != NULL);
		if (cont && *p)
			continue;
		size_t off = 0;
		while (off < llen && (logical[off] == ' ' || logical[off] == '\t'))
			off++;
		if (rc || off == llen) {
			llen = 0;
			continue;
		}
		if (logical[off] == '[')
			rc = section_header(ps, logical + off, llen - off, start);
		else if (ps->cur) /* SetupAPI skips text before the first section */
			rc = add_line(ps, logical + off, llen - off, start);
		llen = 0;
	}
	free(logical);
	return rc;
}

/* ---- %string% substitution ---- */

typedef struct strtab {
	const char **keys, **vals;
	size_t n;
} strtab;

static int by_key(const void *a, const void *b, void *keys)
{
	size_t ia = *(const size_t *)a, ib = *(const size_t *)b;
	const char **k = keys;
	int c = w2c_strcasecmp(k[ia], k[ib]);
	return c ? c : (ia > ib) - (ia < ib); /* keep file order among equal keys */
}

/* [Strings] wins, then [Strings.0409] (US English), then other localized tables. */
static int strings_rank(const char *name)
{
	if (!w2c_strcasecmp(name, "Strings"))
		return 0;
	if (!w2c_strcasecmp(name, "Strings.0409"))
		return 1;
	return strncasecmp(name, "Strings.", 8) ? -1 : 2;
}

static bool build_strtab(const w2c_inf *inf, strtab *t)
{
	size_t total = 0, n = 0;
	for (size_t i = 0; i < inf->n_sections; i++)
		if (strings_rank(inf->sections[i].name) >= 0)
			total += inf->sections[i].n_lines;
	const char **k = calloc(total + 1, sizeof *k), **v = calloc(total + 1, sizeof *v);
	size_t *idx = calloc(total + 1, sizeof *idx);
	if (!k || !v || !idx) {
		free(k), free(v), free(idx);
		return false;
	}
	for (int rank = 0; rank <= 2; rank++)
		for (size_t i = 0; i < inf->n_sections; i++) {
			const w2c_inf_section *s = &inf->sections[i];
			if (strings_rank(s->name) != rank)
				continue;
			for (size_t j = 0; j < s->n_lines; j++)
				if (s->lines[j].key) {
					k[n] = s->lines[j].key;
					v[n] = s->lines[j].n_values ? s->lines[j].values[0] : "";
					idx[n] = n;
					n++;
				}
		}
	qsort_r(idx, n, sizeof *idx, by_key, k);
	t->keys = calloc(n + 1, sizeof *t->keys);
	t->vals = calloc(n + 1, sizeof *t->vals);
	t->n = 0;
	for (size_t i = 0; t->keys && t->vals && i < n; i++) {
		if (t->n && !w2c_strcasecmp(t->keys[t->n - 1], k[idx[i]]))
			continue; /* a lower-ranked duplicate */
		t->keys[t->n] = k[idx[i]];
		t->vals[t->n++] = v[idx[i]];
	}
	free(k), free(v), free(idx);
	return t->keys && t->vals;
}

static const char *strtab_get(const strtab *t, const char *key, size_t klen)
{
	size_t lo = 0, hi = t->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncasecmp(t->keys[mid], key, klen);
		if (!c && t->keys[mid][klen])
			c = 1;
		if (!c)
			return t->vals[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Replace %key% from the table and %% by %, in a new string; unknown tokens stay. */
static char *substitute(const strtab *t, const char *s)
{
	size_t cap = strlen(s) + 1, o = 0;
	char *out;
	if (!strchr(s, '%'))
		return w2c_strdup(s);
	out = malloc(cap);
	for (const char *p = s; out && *p;) {
		const char *rep = NULL, *end = NULL;
		size_t rlen = 1;
		if (*p == '%' && (end = strchr(p + 1, '%'))) {
			rep = end == p + 1 ? "%" : strtab_get(t, p + 1, (size_t)(end - p - 1));
			if (!rep)
				rep = p, rlen = (size_t)(end - p + 1);
			else
				rlen = strlen(rep);
		} else {
			rep = p;
		}
		if (o + rlen + 1 > cap) {
			cap = (o + rlen + 1) * 2;
			char *n = realloc(out, cap);
			if (!n) {
				free(out);
				return NULL;
			}
			out = n;
		}
		memcpy(out + o, rep, rlen);
		o += rlen;
		p = end ? end + 1 : p + 1;
	}
	if (out)
		out[o] = 0;
	return out;
}

static bool subst_in_place(const strtab *t, char **s)
{
	if (!*s || !strchr(*s, '%'))
		return true;
	char *n = substitute(t, *s);
	if (!n)
		return false;
	free(*s);
	*s = n;
	return true;
}

static bool substitute_all(w2c_inf *inf)
{
	strtab t = { 0 };
	bool ok = build_strtab(inf, &t);
	/* Strings values keep their text: they are what gets substituted. Keys
	 * are substituted last so table lookups above see the original keys. */
	for (size_t i = 0; ok && i < inf->n_sections; i++) {
		w2c_inf_section *s = &inf->sections[i];
		if (strings_rank(s->name) >= 0)
			continue;
		for (size_t j = 0; ok && j < s->n_lines; j++)
			for (size_t v = 0; ok && v < s->lines[j].n_values; v++)
				ok = subst_in_place(&t, &s->lines[j].values[v]);
	}
	for (size_t i = 0; ok && i < inf->n_sections; i++) {
		w2c_inf_section *s = &inf->sections[i];
		if (strings_rank(s->name) >= 0)
			continue;
		for (size_t j = 0; ok && j < s->n_lines; j++)
			ok = subst_in_place(&t, &s->lines[j].key);
	}
	free(t.keys);
	free(t.vals);
	return ok;
}

w2c_code w2c_inf_parse(const void *data, size_t len, const char *name, w2c_inf **out,
		       w2c_error *err)
{
	parser ps = { .name = name ? name : "INF", .err = err };
	char *text = NULL;
	w2c_code rc;

	*out = NULL;
	ps.inf = calloc(1, sizeof *ps.inf);
	if (!ps.inf || !(ps.inf->name = w2c_strdup(ps.name))) {
		free(ps.inf);
		return w2c_set_error(err, W2C_ERR_NOMEM, "%s: out of memory", ps.name);
	}
	rc = w2c_inf_decode(data, len, ps.name, &text, &ps.inf->encoding, err);
	if (!rc)
		rc = parse_lines(&ps, text);
	if (!rc && !ps.inf->n_sections)
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:1: no [section] in the file (not an INF?)",
				   ps.name);
	if (!rc && !substitute_all(ps.inf))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "%s: out of memory", ps.name);
	free(text);
	if (rc) {
		w2c_inf_free(ps.inf);
		return rc;
	}
	*out = ps.inf;
	return W2C_OK;
}

void w2c_inf_free(w2c_inf *inf)
{
	if (!inf)
		return;
	for (size_t i = 0; i < inf->n_sections; i++) {
		w2c_inf_section *s = &inf->sections[i];
		for (size_t j = 0; j < s->n_lines; j++) {
			free(s->lines[j].key);
			for (size_t v = 0; v < s->lines[j].n_values; v++)
				free(s->lines[j].values[v]);
			free(s->lines[j].values);
		}
		free(s->lines);
		free(s->name);
	}
	free(inf->sections);
	free(inf->index_);
	free(inf->name);
	free(inf);
}
