/*
 * Unpack a medium into a directory.  Files are copied in the kernel
 * (copy_file_range) straight from their extents; each appears under its
 * final name only when complete (w2c_outfile), and .win2cloud/media.json,
 * written last, marks a finished unpack.
 */
#include "media_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct unpack {
	w2c_media *m;
	const char *dir;
	const w2c_unpack_options *o;
	uint64_t done, total;
	w2c_error *err;
	json_t *files;
};

static w2c_code check_dest(const char *dir, bool force, w2c_error *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d) {
		if (errno == ENOENT)
			return w2c_mkdirs(dir, err);
		return w2c_set_error(err, W2C_ERR_IO, "%s: cannot open destination: %s", dir,
				     strerror(errno));
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = false;
	closedir(d);
	if (!empty && !force)
		return w2c_set_error(err, W2C_ERR_EXISTS,
				     "%s: destination directory is not empty (use --force to write into it)",
				     dir);
	return W2C_OK;
}

w2c_code w2c_media_copy_out(w2c_media *m, uint64_t off, uint64_t len, int out, const char *path,
			    w2c_code (*step)(void *user, uint64_t n), void *user, w2c_error *err)
{
	return w2c_copy_range(m->fd, m->path, off, len, out, path, step, user, err);
}

static w2c_code unpack_step(void *user, uint64_t n)
{
	struct unpack *u = user;
	u->done += n;
	if (w2c_progress_report(u->o->progress, "unpack", NULL, u->done, u->total))
		return w2c_set_error(u->err, W2C_ERR_INTERRUPTED,
				     "unpack of %s interrupted; re-run with --force to redo it", u->m->path);
	return W2C_OK;
}

static w2c_code write_data(struct unpack *u, const w2c_node *n, int fd, const char *path)
{
	if (n->src != W2C_SRC_IMAGE) {
		uint8_t *buf = malloc(n->size ? n->size : 1);
		size_t got;
		w2c_code rc = buf ? w2c_media_read(u->m, n, 0, buf, n->size, &got, u->err)
				  : w2c_set_error(u->err, W2C_ERR_NOMEM, "out of memory");
		if (!rc)
			rc = w2c_write_full(fd, buf, got, path, u->err);
		free(buf);
		u->done += n->size;
		return rc;
	}
	return w2c_media_copy_node(u->m, n, fd, path, unpack_step, u, u->err);
}

w2c_code w2c_media_copy_node(w2c_media *m, const w2c_node *n, int fd, const char *path,
			     w2c_code (*step)(void *user, uint64_t n), void *user, w2c_error *err)
{
	/* a file placed from another image (a driver ISO) is copied from that one */
	w2c_media *img = n->image ? n->image : m;
	w2c_code rc = W2C_OK;
	for (size_t i = 0; !rc && i < n->n_extents; i++) {
		const w2c_extent *e = &n->extents[i];
		if (e->offset == UINT64_MAX) /* unrecorded: zeros, as a hole */
			rc = lseek(fd, (off_t)e->length, SEEK_CUR) < 0 || ftruncate(fd, lseek(fd, 0, SEEK_CUR))
				     ? w2c_set_error(err, W2C_ERR_IO, "%s: %s", path, strerror(errno)) : W2C_OK;
		else
			rc = w2c_media_copy_out(img, e->offset, e->length, fd, path, step, user, err);
	}
	return rc;
}

static w2c_code write_file(struct unpack *u, const w2c_node *n, const char *rel)
{
	char *path = w2c_asprintf("%s%s", u->dir, rel);
	w2c_outfile of;
	w2c_code rc;

	if (!path)
		return w2c_set_error(u->err, W2C_ERR_NOMEM, "out of memory");
	rc = w2c_outfile_open(&of, path, 0644, u->err);
	if (!rc) {
		of.nosync = true; /* one syncfs() before media.json instead of one fsync per file */
		rc = write_data(u, n, of.fd, path);
	}
	if (!rc) {
		struct timespec ts[2] = { n->atime, n->mtime };
		futimens(of.fd, ts);
		rc = w2c_outfile_commit(&of, u->err);
	} else {
		w2c_outfile_abort(&of);
	}
	free(path);
	return rc;
}

static w2c_code unpack_node(struct unpack *u, const w2c_node *n)
{
	char *rel = w2c_node_path(n);
	w2c_code rc = W2C_OK;

	if (!rel)
		return w2c_set_error(u->err, W2C_ERR_NOMEM, "out of memory");
	if (n->parent) {
		json_array_append_new(u->files, json_pack("{s:s,s:s,s:I,s:I,s:b}", "path", rel,
			"type", n->is_dir ? "dir" : "file", "size", (json_int_t)n->size,
			"mtime", (json_int_t)n->mtime.tv_sec, "hidden", n->hidden));
	}
	if (n->is_dir) {
		char *path = w2c_asprintf("%s%s", u->dir, rel);
		rc = path ? w2c_mkdirs(path, u->err) : w2c_set_error(u->err, W2C_ERR_NOMEM, "out of memory");
		for (size_t i = 0; !rc && i < n->n_children; i++)
			rc = unpack_node(u, n->children[i]);
		if (!rc && n->parent) { /* after the children, or writing them moves mtime */
			struct timespec ts[2] = { n->atime, n->mtime };
			utimensat(AT_FDCWD, path, ts, 0);
		}
		free(path);
	} else {
		rc = write_file(u, n, rel);
	}
	free(rel);
	return rc;
}

/* Boot images that are no file in the tree go to .win2cloud/boot/entryN.img. */
static w2c_code write_boot_images(struct unpack *u, json_t *boot)
{
	for (size_t i = 0; i < u->m->n_boot; i++) {
		w2c_boot_entry *b = &u->m->boot[i];
		json_t *o = json_pack("{s:i,s:b,s:i,s:i,s:i,s:i,s:i,s:I}", "platform_id", b->platform_id,
			"bootable", b->bootable, "media_type", b->media_type, "load_segment",
			b->load_segment, "system_type", b->system_type, "sector_count", b->sector_count,
			"lba", (int)b->lba, "image_size", (json_int_t)b->image_size);
		json_array_append_new(boot, o);
		if (b->image_path) {
			json_object_set_new(o, "image", json_string(b->image_path));
			continue;
		}
		char rel[64];
		snprintf(rel, sizeof rel, "/.win2cloud/boot/entry%zu.img", i + 1);
		w2c_node tmp = { .name = rel, .size = b->image_size, .src = W2C_SRC_IMAGE, .n_extents = 1 };
		w2c_extent e = { (uint64_t)b->lba * W2C_SECTOR, b->image_size };
		tmp.extents = &e;
		json_object_set_new(o, "image", json_null());
		json_object_set_new(o, "extracted", json_string(rel + 1));
		char *bdir = w2c_asprintf("%s/.win2cloud/boot", u->dir);
		w2c_code rc = bdir ? w2c_mkdirs(bdir, u->err) : w2c_set_error(u->err, W2C_ERR_NOMEM, "out of memory");
		free(bdir);
		if (!rc)
			rc = write_file(u, &tmp, rel);
		if (rc)
			return rc;
	}
	return W2C_OK;
}

static w2c_code write_manifest(struct unpack *u, json_t *boot)
{
	json_t *doc = json_pack("{s:s,s:s,s:s?,s:s?,s:i,s:i,s:I,s:o,s:s?,s:o}", "format",
		"win2cloud-media/1", "volume_id", u->m->volume_id, "joliet_volume_id",
		u->m->joliet_volume_id, "udf_volume_id", u->m->udf_volume_id, "filesystems",
		(int)u->m->fs, "tree", (int)u->m->tree_fs, "volume_time", (json_int_t)u->m->volume_time,
		"boot", boot, "boot_catalog", u->m->boot_catalog_path, "files", u->files);
	char *text = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	char *path = w2c_asprintf("%s/.win2cloud/media.json", u->dir);
	w2c_code rc = text && path ? w2c_write_file_atomic(path, text, strlen(text), 0644, u->err)
				   : w2c_set_error(u->err, W2C_ERR_NOMEM, "out of memory");
	u->files = NULL; /* owned by doc now */
	json_decref(doc);
	free(text);
	free(path);
	return rc;
}

w2c_code w2c_media_unpack(w2c_media *m, const char *dir, const w2c_unpack_options *opts,
			  w2c_error *err)
{
	static const w2c_unpack_options defaults = { 0 };
	struct unpack u = { m, dir, opts ? opts : &defaults, 0, 0, err, json_array() };
	uint64_t nf = 0, nd = 0, avail = 0;
	w2c_code rc;
	char *meta = w2c_asprintf("%s/.win2cloud", dir), *old = w2c_asprintf("%s/.win2cloud/media.json", dir);

	w2c_tree_count(m->root, &nf, &nd, &u.total);
	/* a medium opened from a directory has no image to copy extents from
	 * (its files would be read whole into memory, its boot images not at all) */
	rc = m->fd < 0 ? w2c_set_error(err, W2C_ERR_USAGE, "%s: is an unpacked directory already; "
				       "unpack reads an ISO image (copy the directory with cp -a)",
				       m->path)
		       : check_dest(dir, u.o->force, err);
	if (!rc)
		rc = w2c_free_space(dir, &avail, err);
	if (!rc && avail < u.total + (u.total >> 6) + (1 << 20))
		rc = w2c_set_error(err, W2C_ERR_NO_SPACE,
				   "%s: %llu bytes free, the unpack needs %llu", dir,
				   (unsigned long long)avail, (unsigned long long)u.total);
	if (!rc) {
		unlink(old); /* a forced re-run is incomplete until its own manifest exists */
		rc = w2c_mkdirs(meta, err);
	}
	if (!rc)
		rc = unpack_node(&u, m->root);
	json_t *boot = json_array();
	if (!rc)
		rc = write_boot_images(&u, boot);
	if (!rc) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			syncfs(dfd);
			close(dfd);
		}
		rc = write_manifest(&u, json_incref(boot));
	}
	json_decref(boot);
	json_decref(u.files);
	free(meta);
	free(old);
	return rc;
}
