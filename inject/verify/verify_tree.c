/* --against SRC: every file of SRC in the output with the same bytes, except
 * the intended edits (--allow-edit, and what win2cloud's manifest says it added). */
#include "verify_int.h"
#include "win2cloud/drivers.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DRIVERS_ROOT "/$WinPEDriver$/"
#define UNPACK_META "/.win2cloud"

/* An `unpack` directory: its files are read in place; our metadata folder is no file of the medium. */
static w2c_code open_dir_source(vctx *c, const char *dir, w2c_error *err)
{
	c->src_dir_root = w2c_node_new("", true);
	if (!c->src_dir_root)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	w2c_code rc = w2c_tree_put_local_dir(c->src_dir_root, "", dir, err);
	if (rc)
		return rc;
	if (!w2c_tree_lookup(c->src_dir_root, UNPACK_META "/media.json"))
		w2c_vr_note(c, "%s: no .win2cloud/media.json: not a complete 'win2cloud unpack' directory", dir);
	w2c_tree_remove(c->src_dir_root, UNPACK_META, NULL);
	c->src_root = c->src_dir_root;
	return W2C_OK;
}

/* SRC goes through the media reader first, which reads ISOs and (since build
 * learnt to) unpack directories; an unpack directory it refuses (older
 * reader, no media.json) is still compared file by file. */
w2c_code w2c_vr_open_source(vctx *c, w2c_error *err)
{
	w2c_media_options mo = { .log = c->o->log, .skip_wims = true };
	struct stat st;
	w2c_code rc;

	if (stat(c->o->against, &st) < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "--against %s: %s", c->o->against, strerror(errno));
	rc = w2c_media_open(c->o->against, &mo, &c->src, err);
	if (!rc) {
		c->src_root = w2c_media_root(c->src);
		w2c_tree_remove(c->src_root, UNPACK_META, NULL);
	} else if (S_ISDIR(st.st_mode)) {
		rc = open_dir_source(c, c->o->against, err);
	}
	if (!rc) {
		uint64_t f = 0, d = 0, bytes = 0;
		w2c_tree_count(c->src_root, &f, &d, &bytes);
		c->progress_total += 2 * bytes;
	}
	return rc;
}

static w2c_code load_json(w2c_media *m, const w2c_node *root, json_t **doc, w2c_error *err)
{
	char *text;
	size_t len;
	json_error_t je;
	w2c_code rc = w2c_drivers_manifest_read(m, root, &text, &len, err);

	*doc = rc ? NULL : json_loadb(text, len, 0, &je);
	free(text);
	if (!rc && !json_is_array(json_object_get(*doc, "paths")))
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:%d: not a win2cloud driver manifest "
				   "(expected an object with \"paths\")", W2C_DRIVERS_MANIFEST, je.line);
	if (rc) {
		json_decref(*doc);
		*doc = NULL;
	}
	return rc;
}

static w2c_code keep_path(vctx *c, const char *p)
{
	char **v = realloc(c->manifest_paths, (c->n_manifest_paths + 1) * sizeof *v);
	if (!v)
		return W2C_ERR_NOMEM;
	c->manifest_paths = v;
	if (!(v[c->n_manifest_paths] = w2c_strdup(p)))
		return W2C_ERR_NOMEM;
	c->n_manifest_paths++;
	return W2C_OK;
}

/* A WIM inject --level image rewrote (and its .swm parts, should the build
 * have split it): only WIM/ESD files, never a folder or anything else. */
static w2c_code allow_serviced(vctx *c, const char *p)
{
	const char *dot = p ? strrchr(p, '.') : NULL;
	if (!dot || p[0] != '/' || strstr(p, "/../") || strpbrk(p, "*?[") ||
	    (w2c_strcasecmp(dot, ".wim") && w2c_strcasecmp(dot, ".esd")))
		return W2C_OK;
	char *parts = w2c_asprintf("%.*s*.swm", (int)(dot - p), p);
	w2c_code rc = parts ? w2c_vr_allow_add(c, p, "serviced WIM (inject --level image)") : W2C_ERR_NOMEM;
	if (!rc)
		rc = w2c_vr_allow_add(c, parts, "serviced WIM, split by the build");
	free(parts);
	return rc;
}

/* inject's manifest names every path it added under $WinPEDriver$ (in the
 * output) or will replace (in a re-injected source): those are intended. */
w2c_code w2c_vr_read_manifest(vctx *c, w2c_media *m, bool is_output, w2c_error *err)
{
	w2c_node *root = m ? w2c_media_root(m) : c->src_root;
	json_t *doc = NULL, *v;
	w2c_error e2;
	size_t i;

	if (load_json(m, root, &doc, &e2)) {
		if (e2.code == W2C_ERR_NOT_FOUND)
			return W2C_OK;
		if (e2.code == W2C_ERR_NOMEM)
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		if (is_output)
			w2c_vr_finding(c, W2C_VERIFY_CONTENT, W2C_DRIVERS_MANIFEST, "manifest", "%s: %s", c->iso,
				   e2.message);
		return W2C_OK;
	}
	w2c_code rc = w2c_vr_allow_add(c, W2C_DRIVERS_MANIFEST, "driver manifest");
	if (!rc && is_output)
		rc = w2c_vr_allow_add(c, "/autounattend.xml", "win2cloud-owned (injected ISO)");
	json_array_foreach(json_object_get(doc, "paths"), i, v) {
		const char *p = json_string_value(v);
		if (rc || !p || strncasecmp(p, DRIVERS_ROOT, strlen(DRIVERS_ROOT)) || strstr(p, "/../"))
			continue;
		rc = w2c_vr_allow_add(c, p, "driver manifest");
		if (!rc && is_output)
			rc = keep_path(c, p);
	}
	json_array_foreach(json_object_get(doc, "serviced"), i, v)
		if (!rc)
			rc = allow_serviced(c, json_string_value(v));
	json_decref(doc);
	return rc ? w2c_set_error(err, W2C_ERR_NOMEM, "out of memory") : W2C_OK;
}

static w2c_code compare_file(vctx *c, const w2c_node *s, w2c_node *o, const char *path,
			     w2c_error *err)
{
	char hs[65], ho[65], detail[200];
	w2c_code rc;

	if (o->is_dir) {
		w2c_vr_change(c, W2C_CHANGE_CHANGED, path, "a folder in the output, a file in SRC");
		return W2C_OK;
	}
	if (s->size != o->size) {
		snprintf(detail, sizeof detail, "size %llu bytes, SRC has %llu",
			 (unsigned long long)o->size, (unsigned long long)s->size);
		w2c_vr_change(c, W2C_CHANGE_CHANGED, path, detail);
		return W2C_OK;
	}
	if ((rc = w2c_vr_hash_node(c, c->src, s, hs, err)) || (rc = w2c_vr_hash_node(c, c->out, o, ho, err)))
		return rc;
	c->r->files_compared++;
	if (strcmp(hs, ho)) {
		snprintf(detail, sizeof detail, "sha256 %s, SRC has %s", ho, hs);
		w2c_vr_change(c, W2C_CHANGE_CHANGED, path, detail);
	}
	return W2C_OK;
}

/* Walk SRC; mark every output node that has a source counterpart.  Below a
 * folder missing from the output every lookup fails: all its files are removed. */
static w2c_code walk_source(vctx *c, const w2c_node *s, w2c_error *err)
{
	w2c_code rc = W2C_OK;

	for (size_t i = 0; !rc && i < s->n_children; i++) {
		const w2c_node *sc = s->children[i];
		char *path = w2c_node_path(sc);
		w2c_node *o = path ? w2c_tree_lookup(w2c_media_root(c->out), path) : NULL;
		if (!path)
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		if (o) {
			o->user = c; /* matched */
			if (strcmp(o->name, sc->name))
				w2c_vr_finding(c, W2C_VERIFY_NAMES, path, "name", "%s: %s reads as '%s', expected "
					   "'%s' as in %s", c->iso, path, o->name, sc->name, c->o->against);
		}
		if (sc->is_dir && (!o || o->is_dir))
			rc = walk_source(c, sc, err);
		else if (sc->is_dir)
			w2c_vr_change(c, W2C_CHANGE_CHANGED, path, "a file in the output, a folder in SRC");
		else if (!o)
			w2c_vr_change(c, W2C_CHANGE_REMOVED, path, NULL);
		else
			rc = compare_file(c, sc, o, path, err);
		free(path);
	}
	return rc;
}

static void walk_added(vctx *c, const w2c_node *o)
{
	for (size_t i = 0; i < o->n_children; i++) {
		const w2c_node *oc = o->children[i];
		if (oc->is_dir) {
			walk_added(c, oc);
			continue;
		}
		if (oc->user) /* matched a file of SRC */
			continue;
		char *path = w2c_node_path(oc);
		if (path)
			w2c_vr_change(c, W2C_CHANGE_ADDED, path, NULL);
		else
			c->oom = true;
		free(path);
	}
}

/* A removed name whose start comes back as an added sibling was cut by the
 * writer (Joliet: 64 characters, 103 with long names). */
static void find_cut_names(vctx *c)
{
	for (size_t i = 0; i < c->r->n_changes; i++) {
		const w2c_verify_change *r = &c->r->changes[i];
		const char *rs = strrchr(r->path, '/');
		if (r->kind != W2C_CHANGE_REMOVED || !rs)
			continue;
		for (size_t k = 0; k < c->r->n_changes; k++) {
			const w2c_verify_change *a = &c->r->changes[k];
			const char *as = strrchr(a->path, '/');
			size_t dir = (size_t)(rs - r->path), alen = as ? strlen(as + 1) : 0;
			if (a->kind != W2C_CHANGE_ADDED || !as || (size_t)(as - a->path) != dir ||
			    strncmp(a->path, r->path, dir) || !alen || strncmp(as + 1, rs + 1, alen))
				continue;
			w2c_vr_finding(c, W2C_VERIFY_NAMES, r->path, "name", "%s: %s reads as %s: the name is "
				   "cut to %zu characters, expected it whole as in %s", c->iso, r->path,
				   a->path, alen, c->o->against);
		}
	}
}

w2c_code w2c_vr_check_content(vctx *c, w2c_error *err)
{
	w2c_code rc = walk_source(c, c->src_root, err);
	if (!rc) {
		walk_added(c, w2c_media_root(c->out));
		find_cut_names(c);
	}
	return rc;
}
