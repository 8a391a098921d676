/*
 * Package facts from a parsed INF: [Version], [Manufacturer] models per
 * decoration, DDInstall sections, services, and every file the package
 * names (CopyFiles, SourceDisksFiles, CatalogFile) with a presence check.
 * Problems make the package "broken" (first problem kept, with its line):
 * selection then explains why the package was not taken.
 */
#include "inject/drivers/inf_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
	const w2c_inf *inf;
	w2c_driver_package *p;
	w2c_file_exists_fn exists;
	void *user;
	bool nomem;
	size_t cap_models, cap_dd, cap_svc, cap_files;
} ctx;

static void broken(ctx *c, unsigned line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void broken(ctx *c, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	if (c->p->broken)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->p->broken = w2c_asprintf("%s:%u: %s", c->inf->name, line, msg);
	c->nomem |= !c->p->broken;
}

static char *dup(ctx *c, const char *s)
{
	char *d = s ? w2c_strdup(s) : NULL;
	c->nomem |= s && !d;
	return d;
}

/* A %token% left after substitution that is no DIRID number: an undefined string. */
static const char *undefined_token(const char *s, char tok[64])
{
	for (const char *p = s ? strchr(s, '%') : NULL; p; p = strchr(p + 1, '%')) {
		const char *e = strchr(p + 1, '%');
		if (!e)
			return NULL;
		size_t n = (size_t)(e - p - 1);
		if (n && n < 63 && strspn(p + 1, "0123456789") != n) {
			memcpy(tok, p + 1, n);
			tok[n] = 0;
			return tok;
		}
		p = e;
	}
	return NULL;
}

static void check_defined(ctx *c, const char *what, const char *value, unsigned line)
{
	char tok[64];
	if (undefined_token(value, tok))
		broken(c, line, "%s uses %%%s%%, which [Strings] does not define (truncated file?)", what, tok);
}

static void read_version(ctx *c)
{
	const w2c_inf_section *v = w2c_inf_find(c->inf, "Version");
	w2c_driver_package *p = c->p;
	if (!v) {
		broken(c, 1, "no [Version] section");
		return;
	}
	p->signature = dup(c, w2c_inf_value(c->inf, "Version", "Signature"));
	p->class_name = dup(c, w2c_inf_value(c->inf, "Version", "Class"));
	p->class_guid = dup(c, w2c_inf_value(c->inf, "Version", "ClassGUID"));
	p->provider = dup(c, w2c_inf_value(c->inf, "Version", "Provider"));
	const w2c_inf_line *dv = w2c_inf_key(v, "DriverVer");
	if (dv && dv->n_values >= 1)
		p->driver_date = dup(c, dv->values[0]);
	if (dv && dv->n_values >= 2)
		p->driver_version = dup(c, dv->values[1]);
	for (size_t i = 0; i < v->n_lines; i++) {
		const w2c_inf_line *l = &v->lines[i];
		if (l->key && !strncasecmp(l->key, "Provider", 9))
			check_defined(c, "Provider", l->n_values ? l->values[0] : "", l->lineno);
		if (l->key && !strncasecmp(l->key, "Class", 5))
			check_defined(c, l->key, l->n_values ? l->values[0] : "", l->lineno);
	}
}

static void add_file(ctx *c, const char *rel, bool catalog, unsigned line)
{
	w2c_driver_package *p = c->p;
	for (size_t i = 0; i < p->n_files; i++)
		if (!w2c_strcasecmp(p->files[i].name, rel))
			return;
	if (!w2c_grow((void **)&p->files, &c->cap_files, p->n_files, sizeof *p->files)) {
		c->nomem = true;
		return;
	}
	w2c_inf_file *f = &p->files[p->n_files++];
	*f = (w2c_inf_file){ dup(c, rel), true, catalog, line };
	if (c->exists && f->name) {
		f->present = c->exists(c->user, f->name);
		if (!f->present)
			broken(c, line, "%s '%s' is missing from the package", catalog ? "catalog" : "file",
			       f->name);
	}
}

/* Normalise a path from the INF: '\' -> '/', no leading or doubled slashes. */
static char *join_rel(const char *a, const char *b, const char *file)
{
	char *s = w2c_asprintf("%s/%s/%s", a ? a : "", b ? b : "", file);
	if (!s)
		return NULL;
	char *w = s;
	for (char *r = s; *r; r++) {
		char ch = *r == '\\' ? '/' : *r;
		if (ch == '/' && (w == s || w[-1] == '/'))
			continue;
		if (ch == '.' && (w == s || w[-1] == '/') && (r[1] == '/' || r[1] == '\\'))
			{ r++; continue; } /* ".\" prefix */
		*w++ = ch;
	}
	*w = 0;
	return s;
}

/* Where SourceDisksFiles(.arch) says @file lives, relative to the INF. */
static char *locate(ctx *c, const char *file, const char *arch, unsigned *line)
{
	const w2c_inf_section *sdf = arch ? w2c_inf_find2(c->inf, "SourceDisksFiles", arch) : NULL;
	const w2c_inf_line *l = w2c_inf_key(sdf, file);
	const char *disk_path = NULL;
	if (!l)
		l = w2c_inf_key(w2c_inf_find(c->inf, "SourceDisksFiles"), file);
	if (l && l->n_values >= 1) {
		const w2c_inf_section *sdn = arch ? w2c_inf_find2(c->inf, "SourceDisksNames", arch) : NULL;
		const w2c_inf_line *d = w2c_inf_key(sdn, l->values[0]);
		if (!d)
			d = w2c_inf_key(w2c_inf_find(c->inf, "SourceDisksNames"), l->values[0]);
		if (d && d->n_values >= 4)
			disk_path = d->values[3];
		*line = l->lineno;
	}
	return join_rel(disk_path, l && l->n_values >= 2 ? l->values[1] : NULL, file);
}

static void copyfiles(ctx *c, const w2c_inf_section *dd, const char *arch)
{
	for (size_t i = 0; dd && i < dd->n_lines; i++) {
		const w2c_inf_line *l = &dd->lines[i];
		if (!l->key || w2c_strcasecmp(l->key, "CopyFiles"))
			continue;
		for (size_t v = 0; v < l->n_values; v++) {
			const char *item = l->values[v];
			unsigned line = l->lineno;
			if (!*item)
				continue;
			if (item[0] == '@') {
				char *rel = locate(c, item + 1, arch, &line);
				if (rel)
					add_file(c, rel, false, line);
				free(rel);
				continue;
			}
			const w2c_inf_section *cf = w2c_inf_find(c->inf, item);
			if (!cf) {
				broken(c, l->lineno, "CopyFiles names section [%s], which is absent", item);
				continue;
			}
			for (size_t j = 0; j < cf->n_lines; j++) {
				const w2c_inf_line *f = &cf->lines[j];
				if (f->key || !f->n_values)
					continue;
				const char *src = f->n_values >= 2 && f->values[1][0] ? f->values[1] : f->values[0];
				unsigned fl = f->lineno;
				char *rel = *src ? locate(c, src, arch, &fl) : NULL;
				if (rel)
					add_file(c, rel, false, f->lineno);
				free(rel);
			}
		}
	}
}

static void service(ctx *c, const w2c_inf_line *l)
{
	w2c_driver_package *p = c->p;
	for (size_t i = 0; i < p->n_services; i++)
		if (!w2c_strcasecmp(p->services[i].name, l->values[0]))
			return;
	if (!w2c_grow((void **)&p->services, &c->cap_svc, p->n_services, sizeof *p->services)) {
		c->nomem = true;
		return;
	}
	w2c_inf_service *s = &p->services[p->n_services++];
	*s = (w2c_inf_service){ .name = dup(c, l->values[0]), .service_type = -1, .start_type = -1,
				.error_control = -1, .lineno = l->lineno };
	s->flags = l->n_values >= 2 ? (unsigned)strtoul(l->values[1], NULL, 0) : 0;
	if (l->n_values < 3 || !l->values[2][0])
		return;
	s->install_section = dup(c, l->values[2]);
	const w2c_inf_section *si = w2c_inf_find(c->inf, l->values[2]);
	if (!si) {
		broken(c, l->lineno, "AddService names section [%s], which is absent", l->values[2]);
		return;
	}
	const char *v;
	if ((v = w2c_inf_value(c->inf, si->name, "ServiceType")))
		s->service_type = strtol(v, NULL, 0);
	if ((v = w2c_inf_value(c->inf, si->name, "StartType")))
		s->start_type = strtol(v, NULL, 0);
	if ((v = w2c_inf_value(c->inf, si->name, "ErrorControl")))
		s->error_control = strtol(v, NULL, 0);
	s->load_order_group = dup(c, w2c_inf_value(c->inf, si->name, "LoadOrderGroup"));
	s->service_binary = dup(c, w2c_inf_value(c->inf, si->name, "ServiceBinary"));
}

/* DDInstall name as Windows resolves it for @arch: X.NT<arch>, X.NT, then X. */
static const w2c_inf_section *resolve_dd(ctx *c, const char *name, const char *arch)
{
	char suffix[32];
	snprintf(suffix, sizeof suffix, "NT%s", arch);
	const w2c_inf_section *s = arch[0] ? w2c_inf_find2(c->inf, name, suffix) : NULL;
	if (!s)
		s = w2c_inf_find2(c->inf, name, "NT");
	return s ? s : w2c_inf_find(c->inf, name);
}

static void ddinstall(ctx *c, w2c_inf_model *m, const char *arch)
{
	w2c_driver_package *p = c->p;
	const w2c_inf_section *dd = resolve_dd(c, m->install_section, arch);
	if (!dd) {
		broken(c, m->lineno, "install section [%s] is absent", m->install_section);
		return;
	}
	m->resolved_section = dup(c, dd->name);
	for (size_t i = 0; i < p->n_ddinstall; i++)
		if (!w2c_strcasecmp(p->ddinstall[i], dd->name))
			return;
	if (!w2c_grow((void **)&p->ddinstall, &c->cap_dd, p->n_ddinstall, sizeof *p->ddinstall)) {
		c->nomem = true;
		return;
	}
	p->ddinstall[p->n_ddinstall++] = dup(c, dd->name);
	copyfiles(c, dd, arch[0] ? arch : NULL);
	copyfiles(c, w2c_inf_find2(c->inf, dd->name, "CoInstallers"), arch[0] ? arch : NULL);
	const w2c_inf_section *sv = w2c_inf_find2(c->inf, dd->name, "Services");
	for (size_t i = 0; sv && i < sv->n_lines; i++)
		if (sv->lines[i].key && !w2c_strcasecmp(sv->lines[i].key, "AddService") &&
		    sv->lines[i].n_values)
			service(c, &sv->lines[i]);
}

static void read_models(ctx *c, w2c_inf_models *ms)
{
	const w2c_inf_section *s = w2c_inf_find(c->inf, ms->section);
	if (!s) {
		broken(c, ms->lineno, "[Manufacturer] names models section [%s], which is absent",
		       ms->section);
		return;
	}
	ms->models = calloc(s->n_lines + 1, sizeof *ms->models);
	c->nomem |= !ms->models;
	for (size_t i = 0; ms->models && i < s->n_lines; i++) {
		const w2c_inf_line *l = &s->lines[i];
		if (!l->n_values || !l->values[0][0])
			continue;
		w2c_inf_model *m = &ms->models[ms->n_models++];
		m->description = dup(c, l->key ? l->key : "");
		m->install_section = dup(c, l->values[0]);
		m->lineno = l->lineno;
		m->hardware_ids = calloc(l->n_values, sizeof *m->hardware_ids);
		c->nomem |= !m->hardware_ids;
		for (size_t v = 1; m->hardware_ids && v < l->n_values; v++)
			if (l->values[v][0])
				m->hardware_ids[m->n_hardware_ids++] = dup(c, l->values[v]);
		if (m->install_section)
			ddinstall(c, m, ms->decoration.arch);
	}
}

static void add_models(ctx *c, const w2c_inf_line *l, const char *decoration)
{
	w2c_driver_package *p = c->p;
	w2c_inf_decoration d = { 0 };
	w2c_error e;
	if (decoration && w2c_inf_decoration_parse(decoration, &d, &e)) {
		broken(c, l->lineno, "[Manufacturer]: %s", e.message);
		return;
	}
	if (!w2c_grow((void **)&p->models, &c->cap_models, p->n_models, sizeof *p->models)) {
		c->nomem = true;
		return;
	}
	w2c_inf_models *ms = &p->models[p->n_models++];
	memset(ms, 0, sizeof *ms);
	ms->manufacturer = dup(c, l->key ? l->key : "");
	ms->section = decoration ? w2c_asprintf("%s.%s", l->values[0], decoration) : dup(c, l->values[0]);
	c->nomem |= !ms->section;
	ms->decoration = d;
	ms->undecorated = !decoration;
	ms->lineno = l->lineno;
	if (ms->section)
		read_models(c, ms);
}

static void read_manufacturer(ctx *c)
{
	const w2c_inf_section *m = w2c_inf_find(c->inf, "Manufacturer");
	for (size_t i = 0; m && i < m->n_lines; i++) {
		const w2c_inf_line *l = &m->lines[i];
		if (!l->n_values || !l->values[0][0])
			continue;
		check_defined(c, "[Manufacturer] entry", l->key, l->lineno);
		if (l->n_values == 1)
			add_models(c, l, NULL);
		for (size_t v = 1; v < l->n_values; v++)
			if (l->values[v][0])
				add_models(c, l, l->values[v]);
	}
}

/* CatalogFile, CatalogFile.NT, CatalogFile.NTamd64 ...; all must be shipped. */
static void read_catalogs(ctx *c)
{
	const w2c_inf_section *v = w2c_inf_find(c->inf, "Version");
	bool any = false;
	for (size_t i = 0; v && i < v->n_lines; i++) {
		const w2c_inf_line *l = &v->lines[i];
		if (!l->key || strncasecmp(l->key, "CatalogFile", 11) || !l->n_values || !l->values[0][0])
			continue;
		if (l->key[11] && l->key[11] != '.')
			continue;
		char *rel = join_rel(NULL, NULL, l->values[0]);
		if (rel)
			add_file(c, rel, true, l->lineno);
		free(rel);
		any = true;
	}
	if (!any && v && c->p->n_models)
		broken(c, v->lineno, "[Version] has no CatalogFile: the package cannot be signed");
}

/* Every SourceDisksFiles entry must be shipped too (for the arches the package serves). */
static void read_source_files(ctx *c, const char *suffix)
{
	const w2c_inf_section *s = suffix ? w2c_inf_find2(c->inf, "SourceDisksFiles", suffix)
					  : w2c_inf_find(c->inf, "SourceDisksFiles");
	for (size_t i = 0; s && i < s->n_lines; i++) {
		const w2c_inf_line *l = &s->lines[i];
		unsigned line = l->lineno;
		if (!l->key || !l->key[0])
			continue;
		char *rel = locate(c, l->key, suffix, &line);
		if (rel)
			add_file(c, rel, false, l->lineno);
		free(rel);
	}
}

w2c_code w2c_driver_package_from_inf(const w2c_inf *inf, w2c_file_exists_fn exists, void *user,
				     w2c_driver_package **out, w2c_error *err)
{
	ctx c = { .inf = inf, .exists = exists, .user = user };
	*out = NULL;
	c.p = calloc(1, sizeof *c.p);
	if (!c.p)
		return w2c_set_error(err, W2C_ERR_NOMEM, "%s: out of memory", inf->name);
	c.p->inf_name = dup(&c, inf->name);
	read_version(&c);
	read_catalogs(&c);
	read_manufacturer(&c);
	read_source_files(&c, NULL);
	for (size_t i = 0; i < c.p->n_models; i++) {
		const char *a = c.p->models[i].decoration.arch;
		if (a[0] && !w2c_inf_find2(inf, "SourceDisksFiles", a))
			continue;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= !w2c_strcasecmp(c.p->models[j].decoration.arch, a);
		if (a[0] && !seen)
			read_source_files(&c, a);
	}
	if (c.nomem) {
		w2c_driver_package_free(c.p);
		return w2c_set_error(err, W2C_ERR_NOMEM, "%s: out of memory", inf->name);
	}
	*out = c.p;
	return W2C_OK;
}

void w2c_driver_package_free(w2c_driver_package *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_models; i++) {
		w2c_inf_models *ms = &p->models[i];
		for (size_t j = 0; j < ms->n_models; j++) {
			w2c_inf_model *m = &ms->models[j];
			for (size_t k = 0; k < m->n_hardware_ids; k++)
				free(m->hardware_ids[k]);
			free(m->hardware_ids);
			free(m->description);
			free(m->install_section);
			free(m->resolved_section);
		}
		free(ms->models);
		free(ms->manufacturer);
		free(ms->section);
	}
	for (size_t i = 0; i < p->n_ddinstall; i++)
		free(p->ddinstall[i]);
	for (size_t i = 0; i < p->n_services; i++) {
		w2c_inf_service *s = &p->services[i];
		free(s->name), free(s->install_section), free(s->load_order_group), free(s->service_binary);
	}
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i].name);
	free(p->models), free(p->ddinstall), free(p->services), free(p->files);
	free(p->inf_name), free(p->signature), free(p->class_name), free(p->class_guid);
	free(p->provider), free(p->driver_date), free(p->driver_version), free(p->broken);
	free(p);
}
