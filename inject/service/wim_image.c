/*
 * One image of a WIM being serviced: the files the recipe needs are taken
 * out with wimlib_extract_paths into a staging tree in the scratch
 * directory, edited there (hive_edit.c), the driver files are linked in
 * beside them, and the staging tree is overlaid on the image with one
 * wimlib_update_image ADD.  Paths are matched case-insensitively against
 * the image first (Windows does, wimlib on Linux does not) and staged with
 * the image's spelling, so the overlay merges instead of adding a
 * "system32" next to "System32".  Files left unchanged are not added
 * again: they keep their security descriptors and the image stays as it was.
 */
#include "inject/service/service_int.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>

typedef struct img_ctx {
	w2c_svc_wim *w;
	w2c_service_image *img;
	char *stage;      /* scratch/i<index> */
	char **placed;    /* lower-cased names under Drivers/VirtIO */
	size_t n_placed;
} img_ctx;

struct child_find { const char *want; char *got; uint64_t size; bool is_dir; };

static int find_child(const struct wimlib_dir_entry *d, void *user)
{
	struct child_find *f = user;
	if (f->got || w2c_strcasecmp(d->filename, f->want))
		return 0;
	f->got = w2c_strdup(d->filename);
	f->size = d->streams[0].resource.uncompressed_size;
	f->is_dir = (d->attributes & WIMLIB_FILE_ATTRIBUTE_DIRECTORY) != 0;
	return 0;
}

/* @path ("/Windows/System32/config/SYSTEM") as the image spells it; the
 * components that do not exist keep ours.  *@exists, *@size of the last.
 * Why not wimlib's own case-insensitive lookup: it is a process-wide default
 * (wimlib_global_init flag), which a library must not flip for its callers. */
static w2c_code resolve(img_ctx *c, const char *path, char **out, bool *exists, uint64_t *size)
{
	char *dup = w2c_strdup(path), *save = NULL, *acc = w2c_strdup("");
	bool found = true;
	w2c_code rc = dup && acc ? W2C_OK : w2c_set_error(c->w->err, W2C_ERR_NOMEM, "out of memory");

	*size = 0;
	for (char *p = dup ? strtok_r(dup, "/", &save) : NULL; !rc && p; p = strtok_r(NULL, "/", &save)) {
		struct child_find f = { p, NULL, 0, false };
		if (found) {
			int r = wimlib_iterate_dir_tree(c->w->wim, (int)c->img->index, acc[0] ? acc : "/",
							WIMLIB_ITERATE_DIR_TREE_FLAG_CHILDREN, find_child, &f);
			if (r && r != WIMLIB_ERR_PATH_DOES_NOT_EXIST && r != WIMLIB_ERR_NOTDIR)
				rc = w2c_svc_wimerr(c->w, r, "read");
		}
		found = found && f.got;
		*size = f.size;
		char *next = w2c_asprintf("%s/%s", acc, f.got ? f.got : p);
		free(f.got);
		free(acc);
		if (!(acc = next))
			rc = w2c_set_error(c->w->err, W2C_ERR_NOMEM, "out of memory");
	}
	free(dup);
	*exists = found;
	*out = rc ? NULL : acc;
	if (rc)
		free(acc);
	return rc;
}

/* "<item> image N: <path>" for messages. */
static char *where(img_ctx *c, const char *path)
{
	return w2c_asprintf("%s image %u: %s", c->w->item + (c->w->item[0] == '/'), c->img->index, path);
}

/* Make the parent folders of @rel in the staging tree. */
static char *staged(img_ctx *c, const char *rel)
{
	char *p = w2c_asprintf("%s%s", c->stage, rel), *slash = p ? strrchr(p, '/') : NULL;
	if (slash) {
		*slash = 0;
		if (w2c_mkdirs(p, c->w->err)) {
			free(p);
			return NULL;
		}
		*slash = '/';
	}
	return p;
}

/* Extract the image's @rel (resolved spelling) into the staging tree. */
static w2c_code extract(img_ctx *c, const char *rel, char **local)
{
	char *dst = staged(c, rel);
	if (!dst)
		return c->w->err->code ? c->w->err->code : W2C_ERR_NOMEM;
	char *dir = w2c_strndup(dst, (size_t)(strrchr(dst, '/') - dst));
	const char *paths[] = { rel };
	int r = dir ? wimlib_extract_paths(c->w->wim, (int)c->img->index, dir, paths, 1,
					   WIMLIB_EXTRACT_FLAG_NO_PRESERVE_DIR_STRUCTURE) : WIMLIB_ERR_NOMEM;
	free(dir);
	if (r) {
		free(dst);
		char *wh = where(c, rel);
		w2c_code rc = w2c_set_error(c->w->err, r == WIMLIB_ERR_NOMEM ? W2C_ERR_NOMEM :
					    r == WIMLIB_ERR_WRITE ? W2C_ERR_IO : W2C_ERR_INVALID_INPUT,
					    "%s: wimlib cannot extract it: %s", wh ? wh : rel,
					    wimlib_get_error_string(r));
		free(wh);
		return rc;
	}
	*local = dst;
	return W2C_OK;
}

/* One driver file into the staging tree under @dir_rel, name lower-cased;
 * directory sources are linked in place, others copied out. */
static w2c_code stage_driver_file(img_ctx *c, const w2c_driver_entry *e, const char *rel,
				  const char *dir_rel, bool always)
{
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	char *lc = w2c_strdup(base), *src = e->dir[0] ? w2c_asprintf("%s/%s", e->dir, rel) : w2c_strdup(rel);
	char *dst = NULL, *local = NULL;
	w2c_code rc = lc && src ? W2C_OK : w2c_set_error(c->w->err, W2C_ERR_NOMEM, "out of memory");

	for (char *p = lc; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; !rc && !always && i < c->n_placed; i++)
		if (!strcmp(c->placed[i], lc)) /* flattened: the first package naming it wins */
			goto out;
	char *r2 = rc ? NULL : w2c_asprintf("%s/%s", dir_rel, lc);
	if (!rc && !(dst = r2 ? staged(c, r2) : NULL))
		rc = c->w->err->code ? c->w->err->code : W2C_ERR_NOMEM;
	free(r2);
	if (!rc && (local = w2c_driver_source_local_path(e->source, src))) {
		char *abs = realpath(local, NULL); /* the link lives elsewhere */
		if (!abs || (symlink(abs, dst) && errno != EEXIST))
			rc = w2c_set_error(c->w->err, W2C_ERR_IO, "%s: %s", abs ? dst : local, strerror(errno));
		free(abs);
	} else if (!rc) {
		uint8_t *data = NULL;
		size_t len = 0;
		rc = w2c_driver_source_read(e->source, src, SIZE_MAX / 2, &data, &len, c->w->err);
		if (!rc)
			rc = w2c_write_file_atomic(dst, data, len, 0644, c->w->err);
		free(data);
	}
	if (!rc && !always) {
		char **v = realloc(c->placed, (c->n_placed + 1) * sizeof *v);
		if (!v)
			rc = w2c_set_error(c->w->err, W2C_ERR_NOMEM, "out of memory");
		else {
			c->placed = v;
			c->placed[c->n_placed++] = lc;
			lc = NULL;
			c->img->files++;
		}
	}
out:
	free(lc);
	free(src);
	free(dst);
	free(local);
	return rc;
}

/* The storage driver the registry recipe names: viostor, else vioscsi. */
static const w2c_driver_entry *storage_entry(const w2c_edition_selection *sel, const char **svc)
{
	static const char *const order[] = { "viostor", "vioscsi" };
	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < sel->n_choices; i++) {
			const w2c_driver_choice *ch = &sel->choices[i];
			if (ch->reason == W2C_SEL_CHOSEN && ch->n_entries && !w2c_strcasecmp(ch->driver, order[k])) {
				*svc = order[k];
				return ch->entries[0];
			}
		}
	return NULL;
}

static w2c_code stage_drivers(img_ctx *c, const w2c_edition_selection *sel, const char *virtio,
			      const char *sysdrv, const w2c_driver_entry *st, const char *svc)
{
	w2c_code rc = W2C_OK;
	char *sys = w2c_asprintf("%s.sys", svc);
	for (size_t i = 0; !rc && !c->w->boot && i < sel->n_choices; i++) {
		const w2c_driver_choice *ch = &sel->choices[i];
		for (size_t k = 0; !rc && ch->reason == W2C_SEL_CHOSEN && k < ch->n_entries; k++) {
			const w2c_driver_entry *e = ch->entries[k];
			const char *inf = strrchr(e->inf, '/') ? strrchr(e->inf, '/') + 1 : e->inf;
			rc = stage_driver_file(c, e, inf, virtio, false);
			for (size_t f = 0; !rc && f < e->pkg->n_files; f++)
				rc = stage_driver_file(c, e, e->pkg->files[f].name, virtio, false);
		}
	}
	bool found = false;
	for (size_t f = 0; !rc && sys && f < st->pkg->n_files; f++) {
		const char *n = st->pkg->files[f].name, *b = strrchr(n, '/') ? strrchr(n, '/') + 1 : n;
		if (!w2c_strcasecmp(b, sys) && !found) {
			found = true;
			rc = stage_driver_file(c, st, n, sysdrv, true);
		}
	}
	if (!rc && !found)
		rc = w2c_set_error(c->w->err, W2C_ERR_INVALID_INPUT, "%s: names no %s: expected the storage "
				   "driver binary", st->inf, sys ? sys : "SYS");
	free(sys);
	return rc;
}

/* Drop the staged copy of a file we did not change: the image keeps its own. */
static void keep_original(char *local, unsigned changed)
{
	if (local && !changed)
		unlink(local);
}

static w2c_code system_hive(img_ctx *c, const char *svc, const char *arch)
{
	char *rel = NULL, *local = NULL, *wh = NULL;
	bool exists;
	uint64_t size, logs = 0;
	w2c_hive_report r;
	w2c_code rc = resolve(c, "/Windows/System32/config/SYSTEM", &rel, &exists, &size);

	if (!rc && !(wh = where(c, rel)))
		rc = w2c_set_error(c->w->err, W2C_ERR_NOMEM, "out of memory");
	if (!rc && !exists)
		rc = w2c_set_error(c->w->err, W2C_ERR_INVALID_INPUT, "%s: missing: expected the SYSTEM "
				   "registry hive of a Windows image", wh);
	for (int i = 1; !rc && i <= 2; i++) { /* transaction logs hivex cannot replay */
		char *lp = w2c_asprintf("/Windows/System32/config/SYSTEM.LOG%d", i), *lr = NULL;
		bool le = false;
		uint64_t ls = 0;
		rc = lp ? resolve(c, lp, &lr, &le, &ls) : W2C_ERR_NOMEM;
		logs += le ? ls : 0;
		free(lp);
		free(lr);
	}
	if (!rc)
		rc = extract(c, rel, &local);
	if (!rc)
		rc = w2c_hive_edit_system(local, wh, svc, arch, &r, c->w->err);
	if (!rc && r.dirty && logs)
		rc = w2c_set_error(c->w->err, W2C_ERR_INVALID_INPUT, "%s: dirty hive (sequence %u != %u) "
				   "with %llu bytes of transaction logs (SYSTEM.LOG1/LOG2), which hivex cannot "
				   "replay: expected a clean hive", wh, r.seq1, r.seq2, (unsigned long long)logs);
	if (!rc && r.dirty)
		w2c_log(c->w->o->log, W2C_LOG_WARN, "%s: the hive was marked dirty (sequence %u != %u) with "
			"no transaction log data in the image; written back clean", wh, r.seq1, r.seq2);
	if (!rc) {
		c->img->driver_database = r.driver_database;
		c->img->control_set = r.control_set;
		c->img->system_changes = r.changed;
		c->img->hive_was_dirty = r.dirty;
		keep_original(local, r.changed);
	}
	free(rel);
	free(local);
	free(wh);
	return rc;
}

static w2c_code software_hive(img_ctx *c)
{
	char *rel = NULL, *local = NULL, *wh = NULL;
	bool exists;
	uint64_t size;
	w2c_hive_report r = { 0 };
	w2c_code rc = resolve(c, "/Windows/System32/config/SOFTWARE", &rel, &exists, &size);

	c->img->software = !rc && exists;
	if (!rc && !exists) {
		w2c_log(c->w->o->log, W2C_LOG_WARN, "%s image %u: no %s: DevicePath not extended",
			c->w->item, c->img->index, rel);
	} else if (!rc && !(wh = where(c, rel))) {
		rc = w2c_set_error(c->w->err, W2C_ERR_NOMEM, "out of memory");
	} else if (!rc && !(rc = extract(c, rel, &local))) {
		rc = w2c_hive_edit_software(local, wh, &r, c->w->err);
		c->img->software_changes = r.changed;
		keep_original(local, r.changed);
	}
	free(rel);
	free(local);
	free(wh);
	return rc;
}

static w2c_code setup_complete(img_ctx *c)
{
	char *rel = NULL, *local = NULL, *old = NULL, *next = NULL;
	size_t old_len = 0, len = 0;
	bool exists;
	uint64_t size;
	w2c_code rc = resolve(c, "/Windows/Setup/Scripts/SetupComplete.cmd", &rel, &exists, &size);

	if (!rc && exists && !(rc = extract(c, rel, &local)))
		rc = w2c_read_file(local, 1 << 20, &old, &old_len, c->w->err);
	if (!rc)
		rc = w2c_setupcomplete_merge(old, old_len, &next, &len, c->w->err);
	c->img->setupcomplete = !next ? "kept" : exists ? "appended" : "created";
	if (!rc && next && !local && !(local = staged(c, rel)))
		rc = c->w->err->code ? c->w->err->code : W2C_ERR_NOMEM;
	if (!rc && next)
		rc = w2c_write_file_atomic(local, next, len, 0644, c->w->err);
	keep_original(local, next != NULL);
	free(rel);
	free(local);
	free(old);
	free(next);
	return rc;
}

static w2c_code overlay(img_ctx *c, const char *win)
{
	char *src = w2c_asprintf("%s%s", c->stage, win);
	struct wimlib_update_command cmd = { .op = WIMLIB_UPDATE_OP_ADD };
	int r;
	if (!src)
		return w2c_set_error(c->w->err, W2C_ERR_NOMEM, "out of memory");
	cmd.add.fs_source_path = src;
	cmd.add.wim_target_path = (char *)win;
	cmd.add.add_flags = WIMLIB_ADD_FLAG_DEREFERENCE;
	r = wimlib_update_image(c->w->wim, (int)c->img->index, &cmd, 1, 0);
	free(src);
	return r ? w2c_svc_wimerr(c->w, r, "update") : W2C_OK;
}

static w2c_code run_recipe(img_ctx *c, const w2c_edition *e, const w2c_edition_selection *sel)
{
	const char *svc = NULL, *arch = e->arch ? e->arch : "amd64";
	const w2c_driver_entry *st = storage_entry(sel, &svc);
	char *win = NULL, *virtio = NULL, *sysdrv = NULL;
	bool exists;
	uint64_t size;
	w2c_code rc = st ? resolve(c, "/Windows", &win, &exists, &size)
			 : w2c_set_error(c->w->err, W2C_ERR_VIOLATIONS, "%s image %u: no viostor or vioscsi "
					 "chosen: expected a boot-critical storage driver", c->w->item, e->index);
	if (!rc && !exists)
		rc = w2c_set_error(c->w->err, W2C_ERR_INVALID_INPUT, "%s image %u: no /Windows folder: "
				   "expected a Windows image", c->w->item, e->index);
	if (!rc && !(c->img->storage = w2c_strdup(svc)))
		rc = w2c_set_error(c->w->err, W2C_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = resolve(c, "/Windows/Drivers/VirtIO", &virtio, &exists, &size);
	if (!rc)
		rc = resolve(c, "/Windows/System32/drivers", &sysdrv, &exists, &size);
	if (!rc)
		rc = system_hive(c, svc, arch);
	c->img->setupcomplete = "none";
	if (!rc && !c->w->boot) /* WinPE runs neither SetupComplete.cmd nor DevicePath scans */
		rc = software_hive(c);
	if (!rc && !c->w->boot)
		rc = setup_complete(c);
	if (!rc)
		rc = stage_drivers(c, sel, virtio, sysdrv, st, svc);
	if (!rc)
		rc = overlay(c, win);
	free(win);
	free(virtio);
	free(sysdrv);
	return rc;
}

w2c_code w2c_svc_image(w2c_svc_wim *w, const w2c_edition *ed, const w2c_edition_selection *sel,
		       w2c_service_image *img)
{
	img_ctx c = { w, img, NULL, NULL, 0 };
	w2c_code rc;

	img->index = ed->index;
	img->wim = w2c_strdup(w->item);
	img->name = ed->name ? w2c_strdup(ed->name) : NULL;
	c.stage = w2c_asprintf("%s/i%u", w->dir, img->index);
	if (!img->wim || !c.stage)
		return w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
	rc = mkdir(c.stage, 0700) ? w2c_set_error(w->err, W2C_ERR_IO, "%s: %s", c.stage, strerror(errno))
				  : run_recipe(&c, ed, sel);
	for (size_t i = 0; i < c.n_placed; i++)
		free(c.placed[i]);
	free(c.placed);
	free(c.stage);
	return rc;
}
