/*
 * Opening a directory made by `win2cloud unpack` as a medium.  File data is
 * read in place (W2C_SRC_LOCAL), so files the user changed, added or deleted
 * after the unpack are taken as they are now.  What a directory cannot hold
 * comes from DIR/.win2cloud/media.json: the volume ids, the boot entries
 * (images that were no file are under .win2cloud/boot/), hidden flags and
 * directory times (adding a file moves a directory's mtime; the original is
 * what the medium had).  No media.json means the unpack never finished.
 */
#include "media_int.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MANIFEST_FORMAT "win2cloud-media/1"
#define MANIFEST_MAX (256u << 20)

struct dirload {
	w2c_media *m;
	json_t *by_path; /* "/a/b" -> entry of media.json "files" */
	uint64_t bytes;
	w2c_error *err;
};

static w2c_code bad(w2c_error *err, const char *file, const char *field, const char *expected)
{
	return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: field '%s': expected %s", file, field,
			     expected);
}

static w2c_code get_uint(json_t *o, const char *key, uint64_t max, uint64_t *out, const char *file,
			 const char *field, w2c_error *err)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max) {
		char what[64];
		snprintf(what, sizeof what, "an integer from 0 to %llu", (unsigned long long)max);
		return bad(err, file, field, what);
	}
	*out = (uint64_t)json_integer_value(v);
	return W2C_OK;
}

static w2c_code parse_boot_entry(w2c_media *m, json_t *o, size_t i, const char *file, w2c_error *err)
{
	w2c_boot_entry *b = &m->boot[i];
	char field[64];
	uint64_t v[7];
	static const char *const keys[] = { "platform_id", "media_type", "load_segment", "system_type",
					    "sector_count", "lba", "image_size" };
	static const uint64_t max[] = { 255, 4, 65535, 255, 65535, UINT32_MAX, UINT64_MAX >> 1 };

	if (!json_is_object(o)) {
		snprintf(field, sizeof field, "boot[%zu]", i);
		return bad(err, file, field, "an object");
	}
	for (size_t k = 0; k < 7; k++) {
		snprintf(field, sizeof field, "boot[%zu].%s", i, keys[k]);
		w2c_code rc = get_uint(o, keys[k], max[k], &v[k], file, field, err);
		if (rc)
			return rc;
	}
	b->platform_id = (uint8_t)v[0];
	b->media_type = (uint8_t)v[1];
	b->load_segment = (uint16_t)v[2];
	b->system_type = (uint8_t)v[3];
	b->sector_count = (uint16_t)v[4];
	b->lba = (uint32_t)v[5];
	b->image_size = v[6];
	b->bootable = json_is_true(json_object_get(o, "bootable"));
	json_t *img = json_object_get(o, "image"), *ext = json_object_get(o, "extracted");
	if (json_is_string(img) && json_string_value(img)[0] == '/') {
		b->image_path = w2c_strdup(json_string_value(img));
	} else if (json_is_null(img) && json_is_string(ext) &&
		   !strncmp(json_string_value(ext), ".win2cloud/boot/", 16) &&
		   !strstr(json_string_value(ext), "..")) {
		b->image_local = w2c_asprintf("%s/%s", m->path, json_string_value(ext));
	} else {
		snprintf(field, sizeof field, "boot[%zu].image", i);
		return bad(err, file, field, "an absolute path, or null with 'extracted' under .win2cloud/boot/");
	}
	if (!b->image_path && !b->image_local)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	return W2C_OK;
}

static w2c_code copy_id(json_t *doc, const char *key, bool required, char **out, const char *file,
			w2c_error *err)
{
	json_t *v = json_object_get(doc, key);
	if (!v || json_is_null(v)) {
		*out = NULL;
		return required ? bad(err, file, key, "a string") : W2C_OK;
	}
	if (!json_is_string(v))
		return bad(err, file, key, "a string or null");
	*out = w2c_strdup(json_string_value(v));
	return *out ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
}

w2c_code w2c_dir_manifest_parse(w2c_media *m, const char *text, size_t len, const char *file,
				json_t **files_by_path, w2c_error *err)
{
	json_error_t je;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *boot, *files;
	char *vid = NULL;
	w2c_code rc;

	*files_by_path = NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: line %d: %s", file, je.line,
				     doc ? "expected an object" : je.text);
	}
	rc = json_is_string(json_object_get(doc, "format")) &&
	     !strcmp(json_string_value(json_object_get(doc, "format")), MANIFEST_FORMAT)
		     ? W2C_OK : bad(err, file, "format", "\"" MANIFEST_FORMAT "\"");
	if (!rc)
		rc = copy_id(doc, "volume_id", true, &vid, file, err);
	if (!rc && strlen(vid) > 32)
		rc = bad(err, file, "volume_id", "at most 32 characters");
	if (!rc) {
		snprintf(m->volume_id, sizeof m->volume_id, "%s", vid);
		rc = copy_id(doc, "joliet_volume_id", false, &m->joliet_volume_id, file, err);
	}
	if (!rc)
		rc = copy_id(doc, "udf_volume_id", false, &m->udf_volume_id, file, err);
	if (!rc)
		rc = copy_id(doc, "boot_catalog", false, &m->boot_catalog_path, file, err);
	if (!rc && json_is_integer(json_object_get(doc, "volume_time")))
		m->volume_time = (time_t)json_integer_value(json_object_get(doc, "volume_time"));
	boot = json_object_get(doc, "boot");
	files = json_object_get(doc, "files");
	if (!rc && !json_is_array(boot))
		rc = bad(err, file, "boot", "an array");
	if (!rc && !json_is_array(files))
		rc = bad(err, file, "files", "an array");
	if (!rc && json_array_size(boot) &&
	    !(m->boot = calloc(json_array_size(boot), sizeof *m->boot)))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; !rc && i < json_array_size(boot); i++) {
		m->n_boot = i + 1;
		rc = parse_boot_entry(m, json_array_get(boot, i), i, file, err);
	}
	if (!rc) {
		json_t *map = json_object();
		for (size_t i = 0; map && i < json_array_size(files); i++) {
			json_t *e = json_array_get(files, i), *p = json_object_get(e, "path");
			if (json_is_string(p))
				json_object_set(map, json_string_value(p), e);
		}
		*files_by_path = map;
		if (!map)
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	free(vid);
	json_decref(doc);
	return rc;
}

static w2c_code load_entry(struct dirload *L, w2c_node *dir, const char *local, const char *rel,
			   const char *name);

static w2c_code walk(struct dirload *L, w2c_node *dir, const char *local, const char *rel)
{
	DIR *d = opendir(local);
	struct dirent *e;
	w2c_code rc = W2C_OK;

	if (!d)
		return w2c_set_error(L->err, W2C_ERR_IO, "%s: cannot read directory: %s", local,
				     strerror(errno));
	while (!rc && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (!*rel && !strcmp(e->d_name, ".win2cloud"))
			continue; /* our metadata, not part of the medium */
		rc = load_entry(L, dir, local, rel, e->d_name);
	}
	closedir(d);
	return rc;
}

static w2c_code load_entry(struct dirload *L, w2c_node *dir, const char *local, const char *rel,
			   const char *name)
{
	char *sub = w2c_asprintf("%s/%s", local, name), *path = w2c_asprintf("%s/%s", rel, name);
	struct stat st;
	w2c_node *n = NULL;
	w2c_code rc = W2C_OK;

	if (!sub || !path)
		rc = w2c_set_error(L->err, W2C_ERR_NOMEM, "out of memory");
	else if (stat(sub, &st) < 0)
		rc = w2c_set_error(L->err, W2C_ERR_IO, "%s: %s", sub, strerror(errno));
	else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		w2c_log(L->m->log, W2C_LOG_WARN, "%s: not a regular file or directory; left out", sub);
	else if (!(n = w2c_node_new(name, S_ISDIR(st.st_mode))) || w2c_node_add(dir, n, L->err)) {
		w2c_node_free(n);
		rc = w2c_set_error(L->err, W2C_ERR_NOMEM, "out of memory");
	} else {
		json_t *rec = json_object_get(L->by_path, path);
		n->mtime = st.st_mtim; /* unpack set it to the original's; an edited file has its own */
		n->hidden = json_is_true(json_object_get(rec, "hidden"));
		if (n->is_dir && json_is_integer(json_object_get(rec, "mtime")))
			n->mtime = (struct timespec){ (time_t)json_integer_value(json_object_get(rec, "mtime")), 0 };
		n->atime = n->ctime = n->mtime;
		if (n->is_dir) {
			rc = walk(L, n, sub, path);
		} else {
			n->src = W2C_SRC_LOCAL;
			n->size = (uint64_t)st.st_size;
			n->local_path = sub;
			sub = NULL;
			L->bytes += n->size;
		}
	}
	free(sub);
	free(path);
	return rc;
}

w2c_code w2c_dir_load(w2c_media *m, w2c_error *err)
{
	char *abs = realpath(m->path, NULL);
	char *file = abs ? w2c_asprintf("%s/.win2cloud/media.json", abs) : NULL, *text = NULL;
	size_t len = 0;
	struct dirload L = { m, NULL, 0, err };
	w2c_code rc;

	if (!abs || !file) {
		free(abs);
		return w2c_set_error(err, W2C_ERR_IO, "%s: %s", m->path, abs ? "out of memory" : strerror(errno));
	}
	free(m->path);
	m->path = abs; /* local paths of the nodes are absolute too */
	rc = w2c_read_file(file, MANIFEST_MAX, &text, &len, err);
	if (rc == W2C_ERR_NOT_FOUND)
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				   "%s: no .win2cloud/media.json: not a directory made by `win2cloud unpack`, "
				   "or its unpack did not finish (re-run unpack)", m->path);
	if (!rc)
		rc = w2c_dir_manifest_parse(m, text, len, file, &L.by_path, err);
	if (!rc && !(m->root = w2c_node_new("", true)))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = walk(&L, m->root, m->path, "");
	m->size = L.bytes;
	json_decref(L.by_path);
	free(text);
	free(file);
	return rc;
}
