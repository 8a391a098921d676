/* Pipeline stages into command lines, and the state file that lets a re-run skip them. */
#include "win2cloud/pipeline.h"
#include "common/util.h"
#include "win2cloud/sidecar.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- command lines ---- */

struct argv_buf {
	char **v;
	size_t n, cap;
};

static w2c_code push(struct argv_buf *a, char *s, w2c_error *err)
{
	if (!s)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 16;
		char **nv = realloc(a->v, cap * sizeof *nv);
		if (!nv) {
			free(s);
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		}
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return W2C_OK;
}

static const w2c_pipeline_opt *find_opt(const w2c_pipeline_stage *st, const char *key)
{
	for (size_t i = 0; i < st->n_opts; i++)
		if (!strcmp(st->opts[i].key, key))
			return &st->opts[i];
	return NULL;
}

static const char *var_value(const w2c_pipeline *p, const w2c_pipeline_cursor *cur, const char *name,
			     size_t n)
{
	if (n == 6 && !strncmp(name, "source", n))
		return p->source;
	if (n == 7 && !strncmp(name, "current", n))
		return cur->current;
	if (n == 7 && !strncmp(name, "workdir", n))
		return p->workdir;
	if (n == 3 && !strncmp(name, "url", n))
		return cur->url;
	return NULL;
}

/* Expand ${source} ${current} ${workdir} ${url}; @where names the value in errors. */
static w2c_code expand(const w2c_pipeline *p, const w2c_pipeline_cursor *cur, const char *in,
		       const char *where, char **out, w2c_error *err)
{
	size_t cap = strlen(in) + 1, len = 0;
	char *s = malloc(cap);
	if (!s)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (const char *q = in; *q;) {
		const char *val = NULL, *end;
		size_t vl = 1;
		if (q[0] == '$' && q[1] == '{' && (end = strchr(q + 2, '}'))) {
			if (!(val = var_value(p, cur, q + 2, (size_t)(end - q - 2)))) {
				free(s);
				return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
						     "%s: %s: '%.*s' is not set here (expected ${source}, ${current}, "
						     "${workdir}, or ${url} after an upload stage)", p->name, where,
						     (int)(end - q + 1), q);
			}
			vl = strlen(val);
		}
		if (len + vl + 1 > cap) {
			char *ns = realloc(s, cap = (len + vl + 1) * 2);
			if (!ns) {
				free(s);
				return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			}
			s = ns;
		}
		if (val) {
			memcpy(s + len, val, vl);
			q = end + 1;
		} else {
			s[len] = *q++;
		}
		len += vl;
	}
	s[len] = 0;
	*out = s;
	return W2C_OK;
}

/* The options of @st as "--key=value" words (a value that starts with '-' stays
 * a value) and "--key" flags, except those the wiring consumed. */
static w2c_code push_opts(const w2c_pipeline *p, const w2c_pipeline_cursor *cur, const w2c_pipeline_stage *st,
			  struct argv_buf *a, w2c_error *err)
{
	static const char *const wiring[] = { "input", "output", "to", NULL };
	for (size_t i = 0; i < st->n_opts; i++) {
		const w2c_pipeline_opt *o = &st->opts[i];
		bool skip = false;
		for (size_t w = 0; wiring[w]; w++)
			skip |= !strcmp(o->key, wiring[w]);
		if (skip || (!o->flag && !o->n_values))
			continue;
		if (o->flag && push(a, w2c_asprintf("--%s", o->key), err))
			return err->code;
		for (size_t v = 0; v < o->n_values; v++) {
			char where[128], *val;
			snprintf(where, sizeof where, "line %u: %s.%s", o->line, st->verb, o->key);
			if (expand(p, cur, o->values[v], where, &val, err))
				return err->code;
			char *word = w2c_asprintf("--%s=%s", o->key, val);
			free(val);
			if (push(a, word, err))
				return err->code;
		}
	}
	return W2C_OK;
}

static const char *single(const w2c_pipeline_stage *st, const char *key)
{
	const w2c_pipeline_opt *o = find_opt(st, key);
	return o && o->n_values == 1 ? o->values[0] : NULL;
}

/* "out/win-inject.iso" from the source "dir/win.iso" (@ext "iso") */
static char *default_output(const w2c_pipeline *p, const char *verb, const char *ext)
{
	const char *base = strrchr(p->source, '/');
	base = base ? base + 1 : p->source;
	size_t n = strlen(base);
	if (w2c_str_endswith_ci(base, ".iso"))
		n -= 4;
	return w2c_asprintf("%s/%.*s-%s.%s", p->workdir, (int)n, base, verb, ext);
}

/* File extension of install's --format, so register and the cloud tell the format. */
static const char *disk_ext(const char *format)
{
	static const char *const map[][2] = { { "qcow2", "qcow2" }, { "raw", "raw" }, { "vpc", "vhd" },
					      { "vmdk", "vmdk" } };
	for (size_t i = 0; format && i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(format, map[i][0]))
			return map[i][1];
	return "qcow2";
}

static w2c_code wire_register(const w2c_pipeline *p, const w2c_pipeline_cursor *cur,
			      const w2c_pipeline_stage *st, struct argv_buf *a, w2c_error *err)
{
	if (find_opt(st, "iso") || find_opt(st, "disk"))
		return W2C_OK;
	const char *cloud = single(st, "cloud");
	bool glance = cloud && !strcmp(cloud, "openstack");
	if (!glance && !cur->url)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s:%u: register: no upload stage before it: add one, or set iso: BUCKET:KEY",
				     p->name, st->line);
	if (push(a, w2c_asprintf("%s=%s", cur->disk ? "--disk" : "--iso", glance ? cur->current : cur->url), err))
		return err->code;
	if (!glance && !find_opt(st, "sha256") && !find_opt(st, "file")) {
		char sum[65];
		if (w2c_sha256sum_sidecar(cur->current, sum, NULL) &&
		    push(a, w2c_asprintf("--sha256=%s", sum), err))
			return err->code;
	}
	return W2C_OK;
}

/* onboard boots the ISO image the register stage before it made (its name), and keeps its run
 * state in the work directory, so that a re-run of the pipeline finds the temporary server. */
static w2c_code wire_onboard(const w2c_pipeline *p, size_t i, const w2c_pipeline_stage *st,
			     struct argv_buf *a, w2c_error *err)
{
	const char *name = NULL;
	if (!find_opt(st, "iso-image") && !find_opt(st, "cleanup")) {
		for (size_t k = i; k-- > 0 && !name;)
			if (!strcmp(p->stages[k].verb, "register"))
				name = single(&p->stages[k], "name");
		if (!name)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s:%u: onboard: no register stage with a 'name' before it: add one, "
					     "or set iso-image: ID|NAME", p->name, st->line);
		if (push(a, w2c_asprintf("--iso-image=%s", name), err))
			return err->code;
	}
	/* a folder of its own: the work directory itself changes with every stage recorded */
	if (!find_opt(st, "state-dir") &&
	    push(a, w2c_asprintf("--state-dir=%s/onboard", p->workdir), err))
		return err->code;
	return W2C_OK;
}

static w2c_code set_str(char **dst, char *s, w2c_error *err)
{
	if (!s)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	free(*dst);
	*dst = s;
	return W2C_OK;
}

/* Wired options into @a, positional arguments into @pos, and cursor moves per verb. */
static w2c_code wire(const w2c_pipeline *p, size_t i, w2c_pipeline_cursor *cur, const w2c_pipeline_stage *st,
		     struct argv_buf *a, struct argv_buf *pos, w2c_pipeline_step *step, w2c_error *err)
{
	const char *v = st->verb, *to;
	if (!strcmp(v, "register"))
		return wire_register(p, cur, st, a, err);
	if (!strcmp(v, "onboard"))
		return wire_onboard(p, i, st, a, err);
	if (push(pos, w2c_strdup(cur->current), err))
		return err->code;
	if (!strcmp(v, "build") || !strcmp(v, "inject") || !strcmp(v, "install")) {
		const char *o = single(st, "output");
		bool disk = !strcmp(v, "install");
		char *out = NULL;
		if (o ? expand(p, cur, o, "output", &out, err)
		      : set_str(&out, default_output(p, v, disk ? disk_ext(single(st, "format")) : "iso"), err))
			return err->code;
		step->output = out;
		cur->disk = disk;
		return push(a, w2c_asprintf("--output=%s", out), err) ||
		       set_str(&cur->current, w2c_strdup(out), err) ? err->code : W2C_OK;
	}
	if (!strcmp(v, "upload")) {
		char *url;
		if (!(to = single(st, "to")))
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s:%u: upload: missing 'to': the object URL (obs://B/K, s3://B/K or file:///D/N)",
					     p->name, st->line);
		if (expand(p, cur, to, "upload.to", &url, err) || push(pos, url, err))
			return err->code;
		return set_str(&cur->url, w2c_strdup(url), err);
	}
	return W2C_OK;
}

/* Options first, then "--" and the positional arguments: a source or URL that
 * starts with '-' ("--help") is a file name, never an option. */
static w2c_code join(struct argv_buf *a, struct argv_buf *pos, w2c_pipeline_step *step, w2c_error *err)
{
	w2c_code rc = pos->n ? push(a, w2c_strdup("--"), err) : W2C_OK;
	for (size_t i = 0; i < pos->n; i++) {
		if (!rc)
			rc = push(a, pos->v[i], err);
		else
			free(pos->v[i]);
	}
	free(pos->v);
	step->argv = a->v;
	step->argc = a->n;
	step->n_options = pos->n ? a->n - pos->n - 1 : a->n;
	return rc;
}

w2c_code w2c_pipeline_step_make(const w2c_pipeline *p, size_t i, w2c_pipeline_cursor *cur,
				w2c_pipeline_step *step, w2c_error *err)
{
	const w2c_pipeline_stage *st = &p->stages[i];
	struct argv_buf a = { 0 };
	const char *in = single(st, "input");

	memset(step, 0, sizeof *step);
	if (!cur->current && set_str(&cur->current, w2c_strdup(p->source), err))
		return err->code;
	if (in) {
		char *x;
		if (expand(p, cur, in, "input", &x, err) || set_str(&cur->current, x, err))
			return err->code;
	}
	struct argv_buf pos = { 0 };
	w2c_code rc = push(&a, w2c_strdup(st->verb), err);
	if (!rc)
		rc = wire(p, i, cur, st, &a, &pos, step, err);
	if (!rc)
		rc = push_opts(p, cur, st, &a, err);
	if (join(&a, &pos, step, err) || rc) {
		w2c_pipeline_step_clear(step);
		return err->code;
	}
	return W2C_OK;
}

char **w2c_pipeline_step_check_argv(const w2c_pipeline_step *step)
{
	char **v = calloc(step->argc + 2, sizeof *v);
	size_t n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < step->argc; i++) {
		if (i == step->n_options)
			v[n++] = (char *)"--help";
		v[n++] = step->argv[i];
	}
	if (step->n_options >= step->argc)
		v[n++] = (char *)"--help";
	return v;
}

void w2c_pipeline_step_clear(w2c_pipeline_step *step)
{
	for (size_t i = 0; i < step->argc; i++)
		free(step->argv[i]);
	free(step->argv);
	free(step->output);
	memset(step, 0, sizeof *step);
}

void w2c_pipeline_cursor_clear(w2c_pipeline_cursor *cur)
{
	free(cur->current);
	free(cur->url);
	memset(cur, 0, sizeof *cur);
}
