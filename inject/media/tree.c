/* The in-memory file tree of a medium and its edits. */
#include "win2cloud/media.h"
#include "common/util.h"
#include "media_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

w2c_node *w2c_node_new(const char *name, bool is_dir)
{
	w2c_node *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	n->name = w2c_strdup(name ? name : "");
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->is_dir = is_dir;
	return n;
}

static void clear_source(w2c_node *n)
{
	free(n->extents);
	free(n->local_path);
	free(n->data);
	n->extents = NULL;
	n->n_extents = 0;
	n->local_path = NULL;
	n->data = NULL;
	n->image = NULL;
	n->src = W2C_SRC_NONE;
}

void w2c_node_free(w2c_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n_children; i++)
		w2c_node_free(n->children[i]);
	free(n->children);
	clear_source(n);
	free(n->name);
	free(n);
}

w2c_code w2c_node_add(w2c_node *dir, w2c_node *child, w2c_error *err)
{
	if (dir->n_children == dir->cap_children) {
		size_t cap = dir->cap_children ? dir->cap_children * 2 : 8;
		w2c_node **c = realloc(dir->children, cap * sizeof *c);
		if (!c)
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		dir->children = c;
		dir->cap_children = cap;
	}
	dir->children[dir->n_children++] = child;
	child->parent = dir;
	return W2C_OK;
}

void w2c_node_detach(w2c_node *n)
{
	w2c_node *p = n->parent;
	if (!p)
		return;
	for (size_t i = 0; i < p->n_children; i++) {
		if (p->children[i] != n)
			continue;
		memmove(&p->children[i], &p->children[i + 1],
			(p->n_children - i - 1) * sizeof *p->children);
		p->n_children--;
		break;
	}
	n->parent = NULL;
}

w2c_node *w2c_node_child(const w2c_node *dir, const char *name)
{
	if (!dir || !dir->is_dir)
		return NULL;
	for (size_t i = 0; i < dir->n_children; i++)
		if (w2c_strcasecmp(dir->children[i]->name, name) == 0)
			return dir->children[i];
	return NULL;
}

/* Walk @path component by component; @create makes missing directories. */
static w2c_node *resolve(w2c_node *root, const char *path, bool create, w2c_error *err)
{
	char *copy = w2c_strdup(path), *save = NULL;
	w2c_node *cur = root;

	if (!copy) {
		w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		return NULL;
	}
	for (char *c = strtok_r(copy, "/", &save); c && cur; c = strtok_r(NULL, "/", &save)) {
		w2c_node *next = w2c_node_child(cur, c);
		if (!next && create && cur->is_dir) {
			next = w2c_node_new(c, true);
			if (!next || w2c_node_add(cur, next, err)) {
				w2c_node_free(next);
				next = NULL;
			}
		} else if (next && create && !next->is_dir) {
			w2c_set_error(err, W2C_ERR_EXISTS, "%s: '%s' is a file, expected a directory",
				      path, c);
			next = NULL;
		}
		cur = next;
	}
	free(copy);
	return cur;
}

w2c_node *w2c_tree_lookup(const w2c_node *root, const char *path)
{
	return resolve((w2c_node *)root, path, false, NULL);
}

w2c_node *w2c_tree_mkdirs(w2c_node *root, const char *path, w2c_error *err)
{
	w2c_node *n = resolve(root, path, true, err);
	if (n && !n->is_dir) {
		w2c_set_error(err, W2C_ERR_EXISTS, "%s: is a file, expected a directory", path);
		return NULL;
	}
	return n;
}

/* Find or create the file node for @path, its old data source dropped. */
static w2c_node *file_node(w2c_node *root, const char *path, w2c_error *err)
{
	const char *slash = strrchr(path, '/');
	char *dirpath = w2c_strndup(path, slash ? (size_t)(slash - path) : 0);
	const char *base = slash ? slash + 1 : path;
	w2c_node *dir, *n;

	if (!dirpath || !*base) {
		free(dirpath);
		w2c_set_error(err, W2C_ERR_USAGE, "%s: expected a file path", path);
		return NULL;
	}
	dir = *dirpath ? w2c_tree_mkdirs(root, dirpath, err) : root;
	free(dirpath);
	if (!dir)
		return NULL;
	n = w2c_node_child(dir, base);
	if (n && n->is_dir) {
		w2c_set_error(err, W2C_ERR_EXISTS, "%s: is a directory, expected a file", path);
		return NULL;
	}
	if (!n) {
		n = w2c_node_new(base, false);
		if (!n || w2c_node_add(dir, n, err)) {
			w2c_node_free(n);
			return NULL;
		}
	}
	clear_source(n);
	n->hidden = false;
	return n;
}

static void set_times_now(w2c_node *n)
{
	clock_gettime(CLOCK_REALTIME, &n->mtime);
	n->atime = n->ctime = n->mtime;
}

w2c_code w2c_tree_put_local(w2c_node *root, const char *path, const char *local, w2c_error *err)
{
	struct stat st;
	char *abs;
	w2c_node *n;

	if (stat(local, &st) < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "%s: %s", local, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: not a regular file", local);
	abs = realpath(local, NULL);
	if (!abs)
		return w2c_set_error(err, W2C_ERR_IO, "%s: %s", local, strerror(errno));
	n = file_node(root, path, err);
	if (!n) {
		free(abs);
		return err ? err->code : W2C_ERR_IO;
	}
	n->src = W2C_SRC_LOCAL;
	n->local_path = abs;
	n->size = (uint64_t)st.st_size;
	n->mtime = st.st_mtim;
	n->atime = st.st_atim;
	n->ctime = st.st_ctim;
	return W2C_OK;
}

w2c_code w2c_tree_put_fd(w2c_node *root, const char *path, int fd, w2c_error *err)
{
	struct stat st;
	w2c_node *n;

	if (fstat(fd, &st) < 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: %s", path, strerror(errno));
	if (!(n = file_node(root, path, err)))
		return err ? err->code : W2C_ERR_IO;
	if (!(n->local_path = w2c_asprintf("/proc/self/fd/%d", fd)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	n->src = W2C_SRC_LOCAL;
	n->size = (uint64_t)st.st_size;
	set_times_now(n);
	return W2C_OK;
}

w2c_code w2c_tree_put_memory(w2c_node *root, const char *path, const void *data, size_t len,
			     w2c_error *err)
{
	uint8_t *copy = malloc(len ? len : 1);
	w2c_node *n;

	if (!copy)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	memcpy(copy, data, len);
	n = file_node(root, path, err);
	if (!n) {
		free(copy);
		return err ? err->code : W2C_ERR_IO;
	}
	n->src = W2C_SRC_MEMORY;
	n->data = copy;
	n->size = len;
	set_times_now(n);
	return W2C_OK;
}

w2c_code w2c_tree_put_image(w2c_node *root, const char *path, const w2c_node *src,
			    struct w2c_media *image, w2c_error *err)
{
	if (src->is_dir)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: the source is a directory", path);
	if (src->src == W2C_SRC_MEMORY)
		return w2c_tree_put_memory(root, path, src->data, (size_t)src->size, err);
	if (src->src == W2C_SRC_LOCAL)
		return w2c_tree_put_local(root, path, src->local_path, err);
	w2c_extent *ext = src->n_extents ? malloc(src->n_extents * sizeof *ext) : NULL;
	if (src->n_extents && !ext)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	w2c_node *n = file_node(root, path, err);
	if (!n) {
		free(ext);
		return err ? err->code : W2C_ERR_IO;
	}
	if (ext)
		memcpy(ext, src->extents, src->n_extents * sizeof *ext);
	n->src = src->src;
	n->extents = ext;
	n->n_extents = src->n_extents;
	n->image = src->src == W2C_SRC_IMAGE ? (src->image ? src->image : image) : NULL;
	n->size = src->size;
	n->mtime = src->mtime;
	n->atime = src->atime;
	n->ctime = src->ctime;
	return W2C_OK;
}

w2c_code w2c_tree_put_local_dir(w2c_node *root, const char *path, const char *local,
				w2c_error *err)
{
	DIR *d = opendir(local);
	struct dirent *e;
	w2c_code rc = W2C_OK;

	if (!d)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "%s: cannot read directory: %s", local, strerror(errno));
	if (!w2c_tree_mkdirs(root, path, err)) {
		closedir(d);
		return err ? err->code : W2C_ERR_IO;
	}
	while (!rc && (e = readdir(d))) {
		struct stat st;
		char *sub, *dst;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = w2c_asprintf("%s/%s", local, e->d_name);
		dst = w2c_asprintf("%s/%s", path, e->d_name);
		if (!sub || !dst)
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		else if (stat(sub, &st) < 0)
			rc = w2c_set_error(err, W2C_ERR_IO, "%s: %s", sub, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = w2c_tree_put_local_dir(root, dst, sub, err);
		else if (S_ISREG(st.st_mode))
			rc = w2c_tree_put_local(root, dst, sub, err);
		free(sub);
		free(dst);
	}
	closedir(d);
	return rc;
}

w2c_code w2c_tree_remove(w2c_node *root, const char *path, w2c_error *err)
{
	w2c_node *n = w2c_tree_lookup(root, path);
	if (!n || n == root)
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: no such file or directory on the medium",
				     path);
	w2c_node_detach(n);
	w2c_node_free(n);
	return W2C_OK;
}

char *w2c_node_path(const w2c_node *n)
{
	size_t len = 0;
	char *out;

	for (const w2c_node *p = n; p && p->parent; p = p->parent)
		len += strlen(p->name) + 1;
	out = malloc(len + 2);
	if (!out)
		return NULL;
	if (!len) {
		strcpy(out, "/");
		return out;
	}
	out[len] = 0;
	for (const w2c_node *p = n; p && p->parent; p = p->parent) {
		size_t l = strlen(p->name);
		len -= l;
		memcpy(out + len, p->name, l);
		out[--len] = '/';
	}
	return out;
}

int w2c_tree_walk(w2c_node *root, int (*fn)(w2c_node *n, void *user), void *user)
{
	int rc = fn(root, user);
	for (size_t i = 0; !rc && i < root->n_children; i++)
		rc = w2c_tree_walk(root->children[i], fn, user);
	return rc;
}

void w2c_tree_count(const w2c_node *root, uint64_t *files, uint64_t *dirs, uint64_t *bytes)
{
	for (size_t i = 0; i < root->n_children; i++) {
		const w2c_node *c = root->children[i];
		if (c->is_dir) {
			(*dirs)++;
			w2c_tree_count(c, files, dirs, bytes);
		} else {
			(*files)++;
			*bytes += c->size;
		}
	}
}
