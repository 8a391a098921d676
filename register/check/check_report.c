/* Findings of a check run: the report every check appends to. */
#include "win2cloud/check.h"
#include "common/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct w2c_check_report {
	const w2c_check_profile *profile;
	w2c_check_finding *items;
	size_t n, cap;
};

w2c_check_report *w2c_check_report_new(const w2c_check_profile *p)
{
	w2c_check_report *r = calloc(1, sizeof *r);
	if (r)
		r->profile = p;
	return r;
}

void w2c_check_report_free(w2c_check_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].subject);
		free(r->items[i].message);
		free(r->items[i].fix);
	}
	free(r->items);
	free(r);
}

size_t w2c_check_report_count(const w2c_check_report *r)
{
	return r->n;
}

const w2c_check_finding *w2c_check_report_get(const w2c_check_report *r, size_t i)
{
	return i < r->n ? &r->items[i] : NULL;
}

void w2c_check_report_summary(const w2c_check_report *r, unsigned *errors, unsigned *warnings,
			      unsigned *infos, unsigned *passed, unsigned *skipped)
{
	unsigned c[3] = { 0 }, ok = 0, sk = 0;
	for (size_t i = 0; i < r->n; i++) {
		const w2c_check_finding *f = &r->items[i];
		if (f->status == W2C_STATUS_PASS)
			ok++;
		else if (f->status == W2C_STATUS_SKIP)
			sk++;
		else if (f->severity <= W2C_CHECK_ERROR)
			c[f->severity]++;
	}
	if (errors)
		*errors = c[W2C_CHECK_ERROR];
	if (warnings)
		*warnings = c[W2C_CHECK_WARNING];
	if (infos)
		*infos = c[W2C_CHECK_INFO];
	if (passed)
		*passed = ok;
	if (skipped)
		*skipped = sk;
}

static const w2c_rule *find_rule(const char *id)
{
	size_t n;
	const w2c_rule *rs = w2c_rules(&n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rs[i].id, id))
			return &rs[i];
	return NULL;
}

w2c_code w2c_check_add(w2c_check_report *r, const char *rule, enum w2c_status st,
		       const char *subject, const char *fix, const char *fmt, ...)
{
	const w2c_rule *ru = find_rule(rule);
	enum w2c_check_severity sev;
	char msg[1024];
	va_list ap;

	if (!ru)
		return W2C_ERR_INTERNAL;
	sev = w2c_check_rule_severity(r->profile, rule);
	if (sev == W2C_CHECK_OFF)
		return W2C_OK;
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 16;
		w2c_check_finding *ni = realloc(r->items, nc * sizeof *ni);
		if (!ni)
			return W2C_ERR_NOMEM;
		r->items = ni;
		r->cap = nc;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w2c_check_finding *f = &r->items[r->n++];
	f->rule = ru->id;
	f->status = st;
	f->severity = sev;
	f->subject = w2c_strdup(subject ? subject : "");
	f->message = w2c_strdup(msg);
	f->fix = st == W2C_STATUS_FAIL ? w2c_strdup(fix ? fix : ru->fix) : NULL;
	return W2C_OK;
}
