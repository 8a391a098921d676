/*
 * Placement: chosen packages go to "$WinPEDriver$/<driver>/<os>_<arch>/" in
 * the media tree (Setup loads every INF below $WinPEDriver$ into WinPE and
 * stages it into the installed system), with a JSON manifest that names
 * every path we added, so a re-run removes exactly our additions.
 */
#include "inject/drivers/inf_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define ROOT "/$WinPEDriver$"
#define MAX_MANIFEST (4u << 20)

/* Subfolder for an entry: "2k19_amd64" for virtio-win folders, else its path. */
static char *subfolder(const w2c_driver_entry *e)
{
	char *s = e->os_folder ? w2c_asprintf("%s_%s", e->os_folder, e->arch_folder)
			       : w2c_strdup(e->dir[0] ? e->dir : "root");
	for (char *p = s; p && *p; p++)
		if (*p == '/' || *p == '\\' || *p == ':')
			*p = '_';
	return s;
}

static w2c_code read_node(w2c_media *m, const w2c_node *n, char **out, size_t *len, w2c_error *err)
{
	size_t got = 0;
	*out = NULL;
	*len = 0;
	if (n->size > MAX_MANIFEST)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: %llu bytes, expected at most %u",
				     W2C_DRIVERS_MANIFEST, (unsigned long long)n->size, MAX_MANIFEST);
	if (n->src == W2C_SRC_LOCAL)
		return w2c_read_file(n->local_path, MAX_MANIFEST, out, len, err);
	*out = calloc(1, (size_t)n->size + 1);
	if (!*out)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (n->src == W2C_SRC_MEMORY) {
		memcpy(*out, n->data, (size_t)n->size);
		*len = (size_t)n->size;
		return W2C_OK;
	}
	w2c_code rc = m ? w2c_media_read(m, n, 0, *out, (size_t)n->size, &got, err)
			: w2c_set_error(err, W2C_ERR_USAGE, "%s: the medium is needed to read it",
					W2C_DRIVERS_MANIFEST);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	*len = got;
	return rc;
}

w2c_code w2c_drivers_manifest_read(w2c_media *m, const w2c_node *root, char **text, size_t *len,
				   w2c_error *err)
{
	w2c_node *n = root ? w2c_tree_lookup((w2c_node *)root, W2C_DRIVERS_MANIFEST) : NULL;

	*text = NULL;
	*len = 0;
	if (!n || n->is_dir)
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: none", W2C_DRIVERS_MANIFEST);
	return read_node(m, n, text, len, err);
}

static bool ours(const char *path)
{
	return !strncasecmp(path, ROOT "/", sizeof ROOT) && !strstr(path, "/../");
}

static void prune_empty(w2c_node *root, const char *dir)
{
	w2c_node *d = w2c_tree_lookup(root, dir);
	while (d && d != root && d->is_dir && !d->n_children) {
		w2c_node *p = d->parent;
		w2c_node_detach(d);
		w2c_node_free(d);
		d = p;
	}
}

w2c_code w2c_drivers_remove_previous(w2c_media *m, w2c_node *root, size_t *removed, w2c_error *err)
{
	char *text = NULL;
	json_error_t je;
	size_t count = 0, len;

	if (removed)
		*removed = 0;
	w2c_code rc = w2c_drivers_manifest_read(m, root, &text, &len, err);
	if (rc)
		return rc == W2C_ERR_NOT_FOUND ? W2C_OK : rc;
	json_t *doc = json_loadb(text, len, 0, &je);
	free(text);
	json_t *paths = json_object_get(doc, "paths");
	if (!json_is_array(paths)) {
		json_decref(doc);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s:%d: not a win2cloud driver manifest (expected an object with \"paths\")",
				     W2C_DRIVERS_MANIFEST, je.line);
	}
	size_t i;
	json_t *v;
	json_array_foreach(paths, i, v) {
		const char *p = json_string_value(v);
		w2c_node *n = p && ours(p) ? w2c_tree_lookup(root, p) : NULL;
		if (!n || n->is_dir)
			continue;
		char *parent = w2c_node_path(n->parent);
		w2c_node_detach(n);
		w2c_node_free(n);
		count++;
		if (parent)
			prune_empty(root, parent);
		free(parent);
	}
	json_decref(doc);
	w2c_tree_remove(root, W2C_DRIVERS_MANIFEST, NULL);
	prune_empty(root, ROOT);
	if (removed)
		*removed = count;
	return W2C_OK;
}

typedef struct placed {
	const w2c_driver_entry *entry;
	json_t *pkg;     /* manifest object of this entry */
} placed;

static w2c_code put_file(w2c_node *root, const w2c_driver_entry *e, const char *rel,
			 const char *dst, w2c_error *err)
{
	char *src = e->dir[0] ? w2c_asprintf("%s/%s", e->dir, rel) : w2c_strdup(rel);
	char *local = src ? w2c_driver_source_local_path(e->source, src) : NULL;
	w2c_media *image = NULL;
	const w2c_node *node = src && !local ? w2c_driver_source_node(e->source, src, &image) : NULL;
	w2c_code rc;
	if (!src)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (local) {
		rc = w2c_tree_put_local(root, dst, local, err);
	} else if (node) { /* streamed from the driver ISO at build time, not held in memory */
		rc = w2c_tree_put_image(root, dst, node, image, err);
	} else {
		uint8_t *data = NULL;
		size_t len = 0;
		rc = w2c_driver_source_read(e->source, src, SIZE_MAX / 2, &data, &len, err);
		if (!rc)
			rc = w2c_tree_put_memory(root, dst, data, len, err);
		free(data);
	}
	free(local);
	free(src);
	return rc;
}

/* Place one entry's INF and files; the paths go to @paths and @files. */
static w2c_code place_entry(w2c_node *root, const w2c_driver_entry *e, json_t *paths, json_t *files,
			    json_t **inf_path, w2c_error *err)
{
	char *sub = subfolder(e);
	const char *base = strrchr(e->inf, '/') ? strrchr(e->inf, '/') + 1 : e->inf;
	w2c_code rc = sub ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	for (size_t i = 0; !rc && i <= e->pkg->n_files; i++) {
		const char *rel = i ? e->pkg->files[i - 1].name : base;
		char *dst = w2c_asprintf(ROOT "/%s/%s/%s", e->driver, sub, rel);
		if (!dst)
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		else if (!w2c_tree_lookup(root, dst) || !i)
			rc = put_file(root, e, rel, dst, err);
		if (!rc && !i)
			*inf_path = json_string(dst);
		if (!rc) {
			bool seen = false;
			size_t k;
			json_t *v;
			json_array_foreach(paths, k, v)
				seen |= !w2c_strcasecmp(json_string_value(v), dst);
			if (!seen)
				json_array_append_new(paths, json_string(dst));
			json_array_append_new(files, json_string(dst));
		}
		free(dst);
	}
	free(sub);
	return rc;
}

static json_t *coverage_json(const w2c_edition_selection *s)
{
	json_t *drivers = json_array();
	for (size_t i = 0; i < s->n_choices; i++) {
		const w2c_driver_choice *c = &s->choices[i];
		const w2c_driver_entry *e = c->n_entries ? c->entries[0] : NULL;
		json_array_append_new(drivers, json_pack("{s:s,s:s,s:s?,s:s?,s:s,s:b}", "driver", c->driver,
			"status", w2c_select_reason_name(c->reason), "folder", e ? e->dir : NULL,
			"version", e ? e->pkg->driver_version : NULL, "detail", c->detail,
			"boot_critical", w2c_driver_is_boot_critical(c->driver)));
	}
	return json_pack("{s:i,s:s?,s:s?,s:i,s:s?,s:o,s:b}", "index", (int)s->edition->index,
			 "name", s->edition->name, "arch", s->edition->arch, "build", (int)s->edition->build,
			 "os_folder", s->supported ? s->folders.folders[0] : NULL, "drivers", drivers,
			 "missing_boot_critical", s->missing_boot_critical);
}

static w2c_code place_all(w2c_node *root, const w2c_edition_selection *sel, size_t n, json_t *doc,
			  w2c_error *err)
{
	json_t *paths = json_object_get(doc, "paths"), *pkgs = json_object_get(doc, "packages");
	placed *done = NULL;
	size_t nd = 0, cap = 0;
	w2c_code rc = W2C_OK;

	for (size_t s = 0; !rc && s < n; s++)
		for (size_t c = 0; !rc && c < sel[s].n_choices; c++)
			for (size_t k = 0; !rc && k < sel[s].choices[c].n_entries; k++) {
				const w2c_driver_entry *e = sel[s].choices[c].entries[k];
				placed *p = NULL;
				for (size_t j = 0; j < nd; j++)
					if (done[j].entry == e)
						p = &done[j];
				if (!p) {
					json_t *files = json_array(), *inf = NULL;
					if (!w2c_grow((void **)&done, &cap, nd, sizeof *done)) {
						json_decref(files);
						rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
						break;
					}
					rc = place_entry(root, e, paths, files, &inf, err);
					p = &done[nd++];
					p->entry = e;
					p->pkg = json_pack("{s:s,s:o*,s:s,s:s,s:s?,s:s?,s:s,s:s?,s:o,s:[]}",
						"driver", e->driver, "inf", inf, "source", w2c_driver_source_path(e->source),
						"source_inf", e->inf, "version", e->pkg->driver_version,
						"date", e->pkg->driver_date, "inf_sha256", e->inf_sha256,
						"class", e->pkg->class_name, "files", files, "editions");
					json_array_append(pkgs, p->pkg);
				}
				json_array_append_new(json_object_get(p->pkg, "editions"),
						      json_integer(sel[s].edition->index));
			}
	for (size_t j = 0; j < nd; j++)
		json_decref(done[j].pkg);
	free(done);
	return rc;
}

/* "images" (what inject --level image did, as w2c_service_json gives it) and
 * "serviced": the WIMs it replaced, which verify takes as intended edits. */
static w2c_code add_images(json_t *doc, const char *images_json, w2c_error *err)
{
	json_error_t je;
	json_t *imgs = json_loads(images_json, 0, &je), *wims = json_array(), *v;
	size_t i;
	if (!json_is_array(imgs) || !wims) {
		json_decref(imgs);
		json_decref(wims);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "service report: expected a JSON array");
	}
	json_array_foreach(imgs, i, v) {
		json_t *w = json_object_get(v, "wim");
		bool seen = false;
		size_t k;
		json_t *x;
		json_array_foreach(wims, k, x)
			seen |= json_equal(x, w);
		if (!seen && json_is_string(w))
			json_array_append(wims, w);
	}
	json_object_set_new(doc, "images", imgs);
	json_object_set_new(doc, "serviced", wims);
	return W2C_OK;
}

w2c_code w2c_drivers_place_levels(w2c_media *m, w2c_node *root, const w2c_edition_selection *sel,
				  size_t n, bool media, const char *images_json, char **manifest_json,
				  w2c_error *err)
{
	w2c_code rc = w2c_drivers_remove_previous(m, root, NULL, err);
	if (rc)
		return rc;
	json_t *doc = json_pack("{s:s,s:s,s:s,s:[],s:[],s:[]}", "tool", "win2cloud", "version",
				W2C_VERSION_STRING, "root", ROOT, "packages", "paths", "coverage");
	if (!doc)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (media)
		rc = place_all(root, sel, n, doc, err);
	if (!rc && images_json)
		rc = add_images(doc, images_json, err);
	for (size_t s = 0; s < n; s++)
		json_array_append_new(json_object_get(doc, "coverage"), coverage_json(&sel[s]));
	char *text = rc ? NULL : json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(doc);
	if (!rc && !text)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = w2c_tree_put_memory(root, W2C_DRIVERS_MANIFEST, text, strlen(text), err);
	if (!rc && manifest_json)
		*manifest_json = text;
	else
		free(text);
	return rc;
}

w2c_code w2c_drivers_place(w2c_media *m, w2c_node *root, const w2c_edition_selection *sel,
			   size_t n, char **manifest_json, w2c_error *err)
{
	return w2c_drivers_place_levels(m, root, sel, n, true, NULL, manifest_json, err);
}
