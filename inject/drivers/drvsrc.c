/*
 * Driver sources behind a small table of functions: a local directory, or
 * an ISO read in place through the media reader.  Opening lists every file
 * once, so lookups are case-insensitive (INFs name files in any case and
 * virtio-win mixes "NetKVM", "2k12R2", "ARM64") on either kind.
 */
#include "inject/drivers/inf_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_FILES 200000
#define MAX_DEPTH 32

typedef struct src_ops {
	const char *kind;
	w2c_code (*read)(w2c_driver_source *s, const char *rel, size_t max, uint8_t **data,
			 size_t *len, w2c_error *err);
	void (*close)(w2c_driver_source *s);
} src_ops;

struct w2c_driver_source {
	const src_ops *ops;
	char *path;
	w2c_media *media;   /* ISO sources */
	char *prefix;       /* ISO sources: folder of the image the source is ("" = root) */
	bool borrowed;      /* the media belongs to the caller */
	char **files;       /* every file and directory, relative; directories end in '/' */
	size_t n_files, cap_files;
	bool too_many;
};

static bool add_rel(w2c_driver_source *s, const char *rel, bool is_dir)
{
	if (s->n_files >= MAX_FILES) {
		s->too_many = true;
		return false;
	}
	if (!w2c_grow((void **)&s->files, &s->cap_files, s->n_files, sizeof *s->files))
		return false;
	s->files[s->n_files] = w2c_asprintf("%s%s", rel, is_dir ? "/" : "");
	return s->files[s->n_files++] != NULL;
}

static int by_name_ci(const void *a, const void *b)
{
	return w2c_strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* ---- directories ---- */

/* The walk of a directory source: symbolic links may point anywhere inside
 * the source root, never outside it (an untrusted driver archive with a link
 * to /etc/shadow must not put the file onto the ISO); each directory is
 * listed once (dev, ino), so a link loop lists nothing twice. */
typedef struct dir_walk {
	w2c_driver_source *s;
	char *root;          /* realpath of the source */
	dev_t *dev;
	ino_t *ino;
	size_t n_dirs, cap_dev, cap_ino;
	const w2c_logger *log;
	w2c_error *err;
} dir_walk;

static bool dir_seen(dir_walk *w, const struct stat *st)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		if (w->dev[i] == st->st_dev && w->ino[i] == st->st_ino)
			return true;
	if (!w2c_grow((void **)&w->dev, &w->cap_dev, w->n_dirs, sizeof *w->dev) ||
	    !w2c_grow((void **)&w->ino, &w->cap_ino, w->n_dirs, sizeof *w->ino))
		return true; /* out of memory: list no further */
	w->dev[w->n_dirs] = st->st_dev;
	w->ino[w->n_dirs++] = st->st_ino;
	return false;
}

/* A symbolic link must resolve inside the source root. */
static w2c_code check_link(dir_walk *w, const char *sub, const char *subfull, bool *dangling)
{
	char *target = realpath(subfull, NULL);
	size_t n = strlen(w->root);
	w2c_code rc = W2C_OK;

	*dangling = !target;
	if (target && strcmp(target, w->root) &&
	    (strncmp(target, w->root, n) || (target[n] != '/' && strcmp(w->root, "/"))))
		rc = w2c_set_error(w->err, W2C_ERR_INVALID_INPUT,
				   "driver source %s: '%s' is a symbolic link to %s, outside the "
				   "source: refused (expected every file of a driver package inside %s)",
				   w->s->path, sub, target, w->root);
	free(target);
	return rc;
}

static w2c_code list_dir(dir_walk *w, const char *rel, int depth);

static w2c_code list_entry(dir_walk *w, const char *sub, int depth)
{
	w2c_driver_source *s = w->s;
	char *subfull = w2c_asprintf("%s/%s", s->path, sub);
	struct stat st;
	bool dangling = false;
	w2c_code rc = subfull ? W2C_OK : w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");

	if (!rc && lstat(subfull, &st) == 0 && S_ISLNK(st.st_mode))
		rc = check_link(w, sub, subfull, &dangling);
	if (rc || dangling || stat(subfull, &st) < 0) {
		if (!rc && dangling)
			w2c_log(w->log, W2C_LOG_WARN, "driver source %s: '%s' is a dangling symbolic "
				"link; left out", s->path, sub);
	} else if (S_ISDIR(st.st_mode)) {
		if (dir_seen(w, &st))
			w2c_log(w->log, W2C_LOG_WARN, "driver source %s: '%s' is a directory listed "
				"already (a symbolic link to it or a loop); left out", s->path, sub);
		else if (!add_rel(s, sub, true))
			rc = W2C_ERR_NOMEM;
		else
			rc = list_dir(w, sub, depth + 1);
	} else if (S_ISREG(st.st_mode) && !add_rel(s, sub, false)) {
		rc = W2C_ERR_NOMEM;
	}
	if (rc == W2C_ERR_NOMEM)
		rc = s->too_many ? w2c_set_error(w->err, W2C_ERR_UNSUPPORTED, "driver source %s: more "
						 "than %d files", s->path, MAX_FILES)
				 : w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
	free(subfull);
	return rc;
}

static w2c_code list_dir(dir_walk *w, const char *rel, int depth)
{
	w2c_driver_source *s = w->s;
	char *full = rel[0] ? w2c_asprintf("%s/%s", s->path, rel) : w2c_strdup(s->path);
	DIR *d = full ? opendir(full) : NULL;
	struct dirent *e;
	w2c_code rc = W2C_OK;

	if (depth > MAX_DEPTH)
		rc = w2c_set_error(w->err, W2C_ERR_INVALID_INPUT, "driver source %s: '%s' is %d "
				   "levels deep, expected at most %d", s->path, rel, depth, MAX_DEPTH);
	else if (!d)
		rc = w2c_set_error(w->err, full ? W2C_ERR_IO : W2C_ERR_NOMEM,
				   "driver source %s: cannot list '%s': %s", s->path, rel[0] ? rel : ".",
				   full ? strerror(errno) : "out of memory");
	while (!rc && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *sub = rel[0] ? w2c_asprintf("%s/%s", rel, e->d_name) : w2c_strdup(e->d_name);
		rc = sub ? list_entry(w, sub, depth) : w2c_set_error(w->err, W2C_ERR_NOMEM, "out of memory");
		free(sub);
	}
	if (d)
		closedir(d);
	free(full);
	return rc;
}

static w2c_code list_source_dir(w2c_driver_source *s, const struct stat *st,
				const w2c_logger *log, w2c_error *err)
{
	dir_walk w = { .s = s, .root = realpath(s->path, NULL), .log = log, .err = err };
	w2c_code rc = w.root ? W2C_OK : w2c_set_error(err, W2C_ERR_IO, "driver source %s: %s",
						       s->path, strerror(errno));
	if (!rc)
		dir_seen(&w, st);
	if (!rc)
		rc = list_dir(&w, "", 0);
	free(w.root);
	free(w.dev);
	free(w.ino);
	return rc;
}

static w2c_code dir_read(w2c_driver_source *s, const char *rel, size_t max, uint8_t **data,
			 size_t *len, w2c_error *err)
{
	char *full = w2c_asprintf("%s/%s", s->path, rel);
	if (!full)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	w2c_code rc = w2c_read_file(full, max, (char **)data, len, err);
	free(full);
	return rc;
}

static void dir_close(w2c_driver_source *s)
{
	(void)s;
}

static const src_ops dir_ops = { "directory", dir_read, dir_close };

/* ---- ISO images ---- */

typedef struct iso_walk {
	w2c_driver_source *s;
	bool ok;
} iso_walk;

static int iso_list_node(w2c_node *n, void *user)
{
	iso_walk *w = user;
	char *p = w2c_node_path(n);
	size_t skip = strlen(w->s->prefix) + 1; /* "/prefix/" of the folder walked ("/" for the root) */
	w->ok = p && (strlen(p) <= skip || add_rel(w->s, p + skip, n->is_dir));
	free(p);
	return !w->ok;
}

/* The node of @rel in the image (relative to the source's folder). */
static const w2c_node *iso_node(const w2c_driver_source *s, const char *rel)
{
	char *full = w2c_asprintf("%s/%s", s->prefix, rel);
	const w2c_node *n = full ? w2c_tree_lookup(w2c_media_root(s->media), full) : NULL;
	free(full);
	return n;
}

static w2c_code iso_read(w2c_driver_source *s, const char *rel, size_t max, uint8_t **data,
			 size_t *len, w2c_error *err)
{
	const w2c_node *n = iso_node(s, rel);
	size_t got = 0;
	if (!n || n->is_dir)
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: no file '%s' in the image", s->path, rel);
	if (n->size > max)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:/%s: %llu bytes, more than %zu expected",
				     s->path, rel, (unsigned long long)n->size, max);
	*data = malloc((size_t)n->size + 1);
	if (!*data)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	w2c_code rc = w2c_media_read(s->media, n, 0, *data, (size_t)n->size, &got, err);
	if (!rc && got != n->size)
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s:/%s: short read (%zu of %llu bytes)",
				   s->path, rel, got, (unsigned long long)n->size);
	if (rc) {
		free(*data);
		*data = NULL;
		return rc;
	}
	(*data)[got] = 0;
	*len = got;
	return W2C_OK;
}

static void iso_close(w2c_driver_source *s)
{
	if (!s->borrowed)
		w2c_media_free(s->media);
}

static const src_ops iso_ops = { "iso", iso_read, iso_close };
static const src_ops iso_folder_ops = { "iso-folder", iso_read, iso_close };

/* List the files below the folder s->prefix of s->media. */
static w2c_code iso_list(w2c_driver_source *s, w2c_error *err)
{
	w2c_node *top = s->prefix[0] ? w2c_tree_lookup(w2c_media_root(s->media), s->prefix)
				     : w2c_media_root(s->media);
	iso_walk w = { s, true };
	if (!top || !top->is_dir)
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: no folder %s in the image",
				     w2c_media_path(s->media), s->prefix);
	w2c_tree_walk(top, iso_list_node, &w);
	if (!w.ok)
		return w2c_set_error(err, W2C_ERR_NOMEM, "driver source %s: out of memory", s->path);
	return W2C_OK;
}

/* ---- common ---- */

w2c_code w2c_driver_source_open(const char *path, const w2c_logger *log, w2c_driver_source **out,
				w2c_error *err)
{
	struct stat st;
	w2c_driver_source *s;
	w2c_code rc = W2C_OK;

	*out = NULL;
	if (stat(path, &st) < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "driver source %s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "driver source %s: not a directory or an ISO image", path);
	s = calloc(1, sizeof *s);
	if (!s || !(s->path = w2c_strdup(path))) {
		free(s);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	if (S_ISDIR(st.st_mode)) {
		s->ops = &dir_ops;
		rc = list_source_dir(s, &st, log, err);
	} else {
		w2c_media_options mo = { .log = log };
		rc = w2c_media_open(path, &mo, &s->media, err);
		if (rc) {
			w2c_error_prefix(err, "driver source %s is not a directory or a readable ISO image",
					 path);
			if (rc != W2C_ERR_NOMEM && rc != W2C_ERR_IO)
				err->code = rc = W2C_ERR_INVALID_INPUT;
		} else {
			s->ops = &iso_ops;
			rc = (s->prefix = w2c_strdup("")) ? iso_list(s, err)
							  : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		}
	}
	if (rc) {
		w2c_driver_source_free(s);
		return rc;
	}
	if (s->n_files) /* an empty source has no array at all */
		qsort(s->files, s->n_files, sizeof *s->files, by_name_ci);
	*out = s;
	return W2C_OK;
}

w2c_code w2c_driver_source_from_media(w2c_media *m, const char *dir, w2c_driver_source **out,
				      w2c_error *err)
{
	w2c_driver_source *s = calloc(1, sizeof *s);
	w2c_code rc;

	*out = NULL;
	while (dir[0] == '/')
		dir++;
	if (!s || !(s->prefix = w2c_asprintf("/%s", dir)) ||
	    !(s->path = w2c_asprintf("%s:%s", w2c_media_path(m), s->prefix))) {
		w2c_driver_source_free(s);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	s->media = m;
	s->borrowed = true;
	s->ops = &iso_folder_ops;
	if ((rc = iso_list(s, err))) {
		w2c_driver_source_free(s);
		return rc;
	}
	if (s->n_files) /* an empty source has no array at all */
		qsort(s->files, s->n_files, sizeof *s->files, by_name_ci);
	*out = s;
	return W2C_OK;
}

const w2c_node *w2c_driver_source_node(w2c_driver_source *s, const char *rel, w2c_media **m)
{
	char *real = NULL;
	const w2c_node *n = NULL;
	if (s->media && w2c_driver_source_exists(s, rel, &real))
		n = iso_node(s, real);
	free(real);
	*m = s->media;
	return n && !n->is_dir ? n : NULL;
}

void w2c_driver_source_free(w2c_driver_source *s)
{
	if (!s)
		return;
	if (s->ops)
		s->ops->close(s);
	for (size_t i = 0; i < s->n_files; i++)
		free(s->files[i]);
	free(s->files);
	free(s->prefix);
	free(s->path);
	free(s);
}

const char *w2c_driver_source_path(const w2c_driver_source *s)
{
	return s->path;
}

const char *w2c_driver_source_kind(const w2c_driver_source *s)
{
	return s->ops->kind;
}

w2c_code w2c_driver_source_read(w2c_driver_source *s, const char *rel, size_t max, uint8_t **data,
				size_t *len, w2c_error *err)
{
	char *real = NULL;
	if (!w2c_driver_source_exists(s, rel, &real))
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: no file '%s'", s->path, rel);
	w2c_code rc = s->ops->read(s, real, max, data, len, err);
	free(real);
	return rc;
}

char *w2c_driver_source_local_path(const w2c_driver_source *s, const char *rel)
{
	char *real = NULL;
	if (s->ops != &dir_ops || !w2c_driver_source_exists((w2c_driver_source *)s, rel, &real))
		return NULL;
	char *full = w2c_asprintf("%s/%s", s->path, real);
	free(real);
	return full;
}

bool w2c_driver_source_exists(w2c_driver_source *s, const char *rel, char **real)
{
	char *const *hit = bsearch(&rel, s->files, s->n_files, sizeof *s->files, by_name_ci);
	if (real)
		*real = hit ? w2c_strdup(*hit) : NULL;
	return hit != NULL;
}

int w2c_driver_source_walk(w2c_driver_source *s, w2c_src_list_fn fn, void *user)
{
	for (size_t i = 0; i < s->n_files; i++) {
		size_t n = strlen(s->files[i]);
		bool dir = n && s->files[i][n - 1] == '/';
		if (dir)
			s->files[i][n - 1] = 0;
		int r = fn(user, s->files[i], dir);
		if (dir)
			s->files[i][n - 1] = '/';
		if (r)
			return r;
	}
	return 0;
}
