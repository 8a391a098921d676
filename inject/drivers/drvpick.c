/* Catalog from paths, edition matching and selection for a set of editions: the steps
 * `drivers --for` and inject share, so a C caller gets them without the CLI. */
#include "win2cloud/drivers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

w2c_code w2c_driver_catalog_open(const char *const *paths, size_t n, const w2c_logger *log,
				 w2c_driver_catalog **out, w2c_error *err)
{
	w2c_driver_catalog *c = w2c_driver_catalog_new();
	if (!c)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		w2c_driver_source *s;
		w2c_code rc = w2c_driver_source_open(paths[i], log, &s, err);
		if (!rc)
			rc = w2c_driver_catalog_add(c, s, err);
		if (rc) {
			w2c_driver_catalog_free(c);
			return rc;
		}
	}
	*out = c;
	return W2C_OK;
}

/* An index ("3") or a name, as Setup's /IMAGE/INDEX and /IMAGE/NAME name images. */
static bool edition_is(const w2c_edition *e, const char *want)
{
	char *end;
	unsigned long idx = strtoul(want, &end, 10);
	return (!*end && idx == e->index) || (e->name && !strcasecmp(e->name, want)) ||
	       (e->display_name && !strcasecmp(e->display_name, want));
}

/* "'3', 'Windows 10 Pro'" for the message when nothing matches. */
static void list_wanted(const char *const *want, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s'%s'", i ? ", " : "", want[i]);
}

w2c_code w2c_editions_pick(w2c_media *m, const char *const *want, size_t n, const w2c_edition ***out,
			   w2c_error *err)
{
	size_t total = w2c_media_edition_count(m), k = 0;
	const w2c_edition **eds = calloc(total + 1, sizeof *eds);
	char names[256];

	if (!eds)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < total; i++) {
		const w2c_edition *e = w2c_media_edition(m, i);
		bool take = !n;
		for (size_t j = 0; j < n && !take; j++)
			take = edition_is(e, want[j]);
		if (take)
			eds[k++] = e;
	}
	if (!k) {
		free(eds);
		if (!total)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: no install.wim/esd editions found",
					     w2c_media_path(m));
		list_wanted(want, n, names, sizeof names);
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: no edition matches %s (expected an index or "
				     "an edition name of its install.wim/esd)", w2c_media_path(m), names);
	}
	*out = eds;
	return W2C_OK;
}

w2c_code w2c_driver_select_all(const w2c_driver_catalog *c, const w2c_edition *const *eds,
			       const w2c_select_options *opts, w2c_edition_selection **out, size_t *n,
			       w2c_error *err)
{
	size_t k = 0;
	while (eds[k])
		k++;
	w2c_edition_selection *sel = calloc(k + 1, sizeof *sel);
	*out = NULL;
	*n = 0;
	if (!sel)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < k; i++) {
		w2c_code rc = w2c_driver_select(c, eds[i], opts, &sel[i], err);
		if (rc) {
			w2c_selections_free(sel, i);
			return rc;
		}
	}
	*out = sel;
	*n = k;
	return W2C_OK;
}

void w2c_selections_free(w2c_edition_selection *sel, size_t n)
{
	for (size_t i = 0; sel && i < n; i++)
		w2c_edition_selection_clear(&sel[i]);
	free(sel);
}

size_t w2c_selections_missing(const w2c_edition_selection *sel, size_t n)
{
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += sel[i].missing_boot_critical;
	return bad;
}

size_t w2c_selection_missing_text(const w2c_edition_selection *s, char *buf, size_t len)
{
	size_t lines = 0, used = 0;
	if (len)
		buf[0] = 0;
	for (size_t j = 0; s->missing_boot_critical && j < s->n_choices; j++) {
		const w2c_driver_choice *c = &s->choices[j];
		if (c->reason == W2C_SEL_CHOSEN || !w2c_driver_is_boot_critical(c->driver))
			continue;
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%sedition %u (%s): boot-critical driver "
						 "%s: %s (%s)", lines ? "\n" : "", s->edition->index,
						 s->edition->name ? s->edition->name : "?", c->driver,
						 w2c_select_reason_name(c->reason), c->detail);
		lines++;
	}
	return lines;
}

w2c_code w2c_driver_coverage_of(const w2c_driver_catalog *c, const char *iso, const char *const *editions,
				size_t n_editions, const char *const *wanted, const w2c_logger *log,
				w2c_driver_coverage *out, w2c_error *err)
{
	w2c_media_options mo = { .log = log };
	w2c_select_options so = { .wanted = wanted };
	const w2c_edition **eds = NULL;
	w2c_code rc;

	memset(out, 0, sizeof *out);
	if ((rc = w2c_media_open(iso, &mo, &out->media, err)))
		return rc;
	rc = w2c_editions_pick(out->media, editions, n_editions, &eds, err);
	if (!rc)
		rc = w2c_driver_select_all(c, eds, &so, &out->sel, &out->n, err);
	free(eds);
	if (rc) {
		w2c_driver_coverage_free(out);
		return rc;
	}
	out->missing = w2c_selections_missing(out->sel, out->n);
	return W2C_OK;
}

void w2c_driver_coverage_free(w2c_driver_coverage *cov)
{
	w2c_selections_free(cov->sel, cov->n);
	w2c_media_free(cov->media);
	memset(cov, 0, sizeof *cov);
}
