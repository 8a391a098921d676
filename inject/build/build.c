/* Streamed ISO writer on libisofs: tree nodes become IsoFiles over our streams. */
#include "build_int.h"
#include "win2cloud/sidecar.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define W2C_FS_ID 0x57324343u /* user-defined file system ids are > 1000 */
/* libisofs asks for 2 KiB per read; one pread per call would be ~2.5 M
 * syscalls for a 5 GiB image, so read ahead in larger pieces. */
#define READ_AHEAD (512u << 10)

struct node_stream {
	w2c_media *m;
	const w2c_node *n;
	w2c_node own;        /* a boot image that is no file in the tree */
	w2c_extent own_ext;
	uint64_t pos;        /* next byte handed to libisofs */
	int fd;              /* W2C_SRC_LOCAL: held open between open and close */
	uint8_t *buf;
	size_t have, used;
};

static int ns_open(IsoStream *s)
{
	struct node_stream *d = s->data;
	d->pos = d->have = d->used = 0;
	d->buf = malloc(READ_AHEAD);
	if (!d->buf)
		return ISO_OUT_OF_MEM;
	if (d->n->src == W2C_SRC_LOCAL) {
		d->fd = open(d->n->local_path, O_RDONLY | O_CLOEXEC);
		if (d->fd < 0)
			return ISO_FILE_CANT_ADD;
	}
	return 1;
}

static int ns_close(IsoStream *s)
{
	struct node_stream *d = s->data;
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	free(d->buf);
	d->buf = NULL;
	return 1;
}

static off_t ns_size(IsoStream *s) { return (off_t)((struct node_stream *)s->data)->n->size; }
static int ns_repeatable(IsoStream *s) { (void)s; return 1; }
static int ns_update_size(IsoStream *s) { (void)s; return 1; }

static void ns_free(IsoStream *s)
{
	struct node_stream *d = s->data;
	ns_close(s);
	free(d->own.local_path);
	free(d);
}

static int refill(struct node_stream *d)
{
	uint64_t left = d->n->size - d->pos;
	size_t want = left < READ_AHEAD ? (size_t)left : READ_AHEAD, got = 0;
	w2c_error err;

	d->have = d->used = 0;
	if (d->fd >= 0) {
		if (w2c_pread_full(d->fd, d->buf, want, d->pos, d->n->local_path, &err))
			return ISO_FILE_READ_ERROR;
		got = want;
	} else if (w2c_media_read(d->m, d->n, d->pos, d->buf, want, &got, &err)) {
		return ISO_FILE_READ_ERROR;
	}
	d->have = got;
	return 0;
}

static int ns_read(IsoStream *s, void *buf, size_t count)
{
	struct node_stream *d = s->data;
	size_t out = 0;

	while (out < count && d->pos < d->n->size) {
		if (d->used == d->have) {
			int r = refill(d);
			if (r < 0)
				return r;
			if (!d->have)
				break;
		}
		size_t take = d->have - d->used < count - out ? d->have - d->used : count - out;
		memcpy((uint8_t *)buf + out, d->buf + d->used, take);
		d->used += take;
		d->pos += take;
		out += take;
	}
	return (int)out;
}

static void ns_get_id(IsoStream *s, unsigned int *fs_id, dev_t *dev_id, ino_t *ino_id)
{
	*fs_id = W2C_FS_ID;
	*dev_id = 0;
	*ino_id = (ino_t)(uintptr_t)((struct node_stream *)s->data)->n;
}

static IsoStreamIface node_stream_class = {
	1, { 'w', '2', 'c', 'n' }, ns_open, ns_close, ns_size, ns_read, ns_repeatable,
	ns_get_id, ns_free, ns_update_size, NULL, NULL, NULL,
};

IsoStream *w2c_node_stream(w2c_media *m, const w2c_node *n, uint64_t off, uint64_t size,
			   const char *local)
{
	IsoStream *s = calloc(1, sizeof *s);
	struct node_stream *d = calloc(1, sizeof *d);

	if (!s || !d)
		goto fail;
	d->m = m;
	d->fd = -1;
	d->n = n;
	if (!n) {
		d->own.size = size;
		if (local) {
			d->own.src = W2C_SRC_LOCAL;
			if (!(d->own.local_path = w2c_strdup(local)))
				goto fail;
		} else {
			d->own.src = W2C_SRC_IMAGE;
			d->own_ext = (w2c_extent){ off, size };
			d->own.extents = &d->own_ext;
			d->own.n_extents = 1;
		}
		d->n = &d->own;
	}
	s->class = &node_stream_class;
	s->refcount = 1;
	s->data = d;
	return s;
fail:
	free(d);
	free(s);
	return NULL;
}

void w2c_build_note(w2c_build_result *res, const w2c_logger *log, const char *fmt, ...)
{
	va_list ap;
	char line[256];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	w2c_log(log, W2C_LOG_INFO, "%s", line);
	if (res->n_notes < W2C_BUILD_MAX_NOTES)
		memcpy(res->notes[res->n_notes++], line, sizeof line);
}

w2c_code w2c_build_lerr(w2c_error *err, int r, const char *what, const char *path)
{
	return w2c_set_error(err, W2C_ERR_EXTERNAL, "libisofs: %s %s: %s", what, path ? path : "",
			     iso_error_to_msg(r));
}

static void set_times(IsoNode *in, const w2c_node *n)
{
	iso_node_set_mtime(in, n->mtime.tv_sec);
	iso_node_set_atime(in, n->atime.tv_sec ? n->atime.tv_sec : n->mtime.tv_sec);
	iso_node_set_ctime(in, n->ctime.tv_sec ? n->ctime.tv_sec : n->mtime.tv_sec);
}

static w2c_code add_tree(w2c_media *m, IsoDir *dir, const w2c_node *n, const w2c_node *skip,
			w2c_error *err)
{
	for (size_t i = 0; i < n->n_children; i++) {
		const w2c_node *c = n->children[i];
		IsoNode *in;
		int r;
		if (c == skip)
			continue;
		if (c->is_dir) {
			IsoDir *sub;
			r = iso_tree_add_new_dir(dir, c->name, &sub);
			if (r < 0)
				return w2c_build_lerr(err, r, "add directory", c->name);
			in = (IsoNode *)sub;
			set_times(in, c);
			iso_node_set_permissions(in, 0555);
			w2c_code rc = add_tree(m, sub, c, skip, err);
			if (rc)
				return rc;
		} else {
			IsoStream *s = w2c_node_stream(m, c, 0, 0, NULL);
			IsoFile *f;
			if (!s)
				return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			/* the new file takes our reference to the stream */
			r = iso_tree_add_new_file(dir, c->name, s, &f);
			if (r < 0)
				return w2c_build_lerr(err, r, "add file", c->name);
			in = (IsoNode *)f;
			set_times(in, c);
			iso_node_set_permissions(in, 0444);
		}
	}
	return W2C_OK;
}

static IsoWriteOpts *write_opts(void)
{
	IsoWriteOpts *wo;
	if (iso_write_opts_new(&wo, 0) < 0)
		return NULL;
	iso_write_opts_set_iso_level(wo, 3);
	iso_write_opts_set_joliet(wo, 1);
	iso_write_opts_set_joliet_long_names(wo, 1);
	iso_write_opts_set_joliet_longer_paths(wo, 1);
	iso_write_opts_set_rockridge(wo, 0);
	iso_write_opts_set_relaxed_vol_atts(wo, 1);
	iso_write_opts_set_omit_version_numbers(wo, 0);
	iso_write_opts_set_appendable(wo, 0);
	iso_write_opts_set_fifo_size(wo, (8 << 20) / 2048); /* 8 MiB between the threads */
	/* Without this libisofs stamps every ISO 9660/Joliet record with the image
	 * creation time instead of the file's mtime. */
	iso_write_opts_set_dir_rec_mtime(wo, 1 | 2 | 4);
	return wo;
}

/* Pull the image in 1 MiB reads for the hashing and writing threads.
 * libisofs's ring buffer returns 0 and drops the data when a read runs past
 * the end of the image, so every read asks for exactly what is left at most
 * (the size is known up front); 2 KiB reads, the safe alternative, cost a
 * lock hand-off between the threads per 2 KiB and made the build 6x slower
 * than cp. */
static w2c_code pump(struct burn_source *bs, w2c_outfile *of, const w2c_build_options *o,
		     uint64_t total, w2c_build_result *res, w2c_error *err)
{
	struct w2c_writeq *q = NULL;
	uint8_t *buf, tail[2048];
	w2c_code rc = w2c_writeq_start(&q, of->fd, of->path, err);

	while (!rc && res->bytes < total && (buf = w2c_writeq_buffer(q))) {
		size_t want = total - res->bytes < W2C_WRITE_CHUNK ? (size_t)(total - res->bytes)
								    : W2C_WRITE_CHUNK;
		if (bs->read_xt(bs, buf, (int)want) != (int)want) {
			rc = w2c_set_error(err, W2C_ERR_IO, "%s: image writer stopped after %llu of %llu "
					   "bytes (a source file could not be read)", of->path,
					   (unsigned long long)res->bytes, (unsigned long long)total);
			break;
		}
		w2c_writeq_submit(q, want);
		res->bytes += want;
		if (w2c_progress_report(o->progress, "build", NULL, res->bytes, total))
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "build of %s interrupted", of->path);
	}
	if (!rc && res->bytes == total && bs->read_xt(bs, tail, sizeof tail) != 0)
		rc = w2c_set_error(err, W2C_ERR_INTERNAL, "%s: image longer than the %llu bytes announced",
				   of->path, (unsigned long long)total);
	w2c_error werr = { 0 };
	w2c_code wrc = w2c_writeq_finish(q, rc ? NULL : res->sha256, &werr);
	if (!rc && wrc) { /* a write failed: that is the error to report */
		rc = wrc;
		if (err)
			*err = werr;
	}
	return rc;
}

struct same_file { dev_t dev; ino_t ino; const char *hit; };

static int is_same(w2c_node *n, void *user)
{
	struct same_file *sf = user;
	struct stat st;
	if (n->src == W2C_SRC_LOCAL && stat(n->local_path, &st) == 0 && st.st_dev == sf->dev &&
	    st.st_ino == sf->ino) {
		sf->hit = n->local_path;
		return 1;
	}
	return 0;
}

/* @out must not be anything the build reads: the source image, an unpacked
 * medium's file or an --add file (the temp + rename would replace it while
 * it is being read). */
static w2c_code check_not_source(w2c_media *m, const char *out, w2c_error *err)
{
	struct stat a, b;
	struct same_file sf = { 0 };

	if (stat(out, &b) < 0)
		return W2C_OK;
	/* an image file (an unpacked medium is a directory: its files are checked below) */
	if (stat(w2c_media_path(m), &a) == 0 && S_ISREG(a.st_mode) && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: is the source image; refusing to overwrite it",
				     out);
	sf.dev = b.st_dev;
	sf.ino = b.st_ino;
	if (w2c_tree_walk(w2c_media_root(m), is_same, &sf))
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: is %s, a source file of the medium; "
				     "refusing to overwrite it", out, sf.hit);
	return W2C_OK;
}

static w2c_code check_space(const char *out, uint64_t need, w2c_error *err)
{
	char *tmp = w2c_strdup(out);
	uint64_t avail = 0;
	w2c_code rc = tmp ? w2c_free_space(dirname(tmp), &avail, err)
			  : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc && avail < need)
		rc = w2c_set_error(err, W2C_ERR_NO_SPACE, "%s: %llu MiB free on its file system, the image "
				   "needs %llu MiB", out, (unsigned long long)(avail >> 20),
				   (unsigned long long)((need + (1 << 20) - 1) >> 20));
	free(tmp);
	return rc;
}

/* ISO 9660 allows 32 characters, Joliet 16 (UCS-2): say what each gets. */
static w2c_code volume_ids(w2c_media *m, const w2c_build_options *o, w2c_build_result *res,
			   w2c_error *err)
{
	const char *vid = o->volume_id ? o->volume_id : w2c_media_volume_id(m);
	size_t chars = 0, cut = 0;

	if (o->volume_id && !*o->volume_id)
		return w2c_set_error(err, W2C_ERR_USAGE, "--volume-id '': empty; expected 1 to 32 "
				     "characters (or leave it out to keep the source's '%s')",
				     w2c_media_volume_id(m));
	if (strlen(vid) > 32)
		return w2c_set_error(err, W2C_ERR_USAGE, "volume id '%s': %zu bytes, ISO 9660 allows 32",
				     vid, strlen(vid));
	snprintf(res->volume_id, sizeof res->volume_id, "%s", vid);
	for (const char *p = vid; *p; p++) {
		if (((unsigned char)*p & 0xC0) != 0x80 && ++chars == 17)
			cut = (size_t)(p - vid);
	}
	snprintf(res->joliet_volume_id, sizeof res->joliet_volume_id, "%.*s",
		 (int)(cut ? cut : strlen(vid)), vid);
	if (cut)
		w2c_build_note(res, o->log, "volume id '%s' has %zu characters; Joliet holds 16, so "
			       "Windows shows '%s' (as on Microsoft's media)", vid, chars,
			       res->joliet_volume_id);
	return W2C_OK;
}

static void free_burn_source(struct burn_source *bs, bool cancel)
{
	if (!bs)
		return;
	if (cancel)
		bs->cancel(bs);
	bs->free_data(bs);
	free(bs);
}

static w2c_code write_image(w2c_media *m, w2c_outfile *of, const w2c_build_options *o,
			    w2c_build_result *res, w2c_error *err)
{
	const char *out = of->path;
	IsoImage *img = NULL;
	IsoWriteOpts *wo = NULL;
	struct burn_source *bs = NULL;
	w2c_code rc = W2C_OK;
	int r;

	if ((r = iso_image_new(res->volume_id, &img)) < 0)
		return w2c_build_lerr(err, r, "create image", out);
	iso_image_set_volume_id(img, res->volume_id);
	iso_image_set_application_id(img, "WIN2CLOUD " W2C_VERSION_STRING);
	rc = add_tree(m, iso_image_get_root(img), w2c_media_root(m), w2c_build_old_catalog(m), err);
	if (!rc)
		rc = w2c_build_boot(m, img, o, res, err);
	if (!rc && !(wo = write_opts()))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc && (r = iso_image_create_burn_source(img, wo, &bs)) < 0)
		rc = w2c_build_lerr(err, r, "prepare image", out);
	/* the exact size is known once libisofs has laid the image out */
	if (!rc)
		rc = check_space(out, (uint64_t)bs->get_size(bs), err);
	if (!rc)
		rc = pump(bs, of, o, (uint64_t)bs->get_size(bs), res, err);
	free_burn_source(bs, rc != W2C_OK);
	if (wo)
		iso_write_opts_free(wo);
	iso_image_unref(img);
	return rc;
}

/* The sidecars (the checksum, the caller's) into outfiles of their own, before any rename. */
static w2c_code write_sidecars(const char *out, const w2c_build_options *o,
			       const w2c_build_result *res, w2c_outfile *side, size_t *n_open,
			       w2c_error *err)
{
	const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
	char *line = w2c_asprintf("%s  %s\n", res->sha256, base);
	w2c_code rc = line ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	for (size_t i = 0; !rc && i <= o->n_sidecars; i++) {
		const bool sum = i == o->n_sidecars;
		const char *data = sum ? line : o->sidecars[i].data;
		size_t len = sum ? strlen(line) : o->sidecars[i].len;
		char *path = w2c_asprintf("%s%s", out, sum ? ".sha256" : o->sidecars[i].suffix);
		rc = path ? w2c_outfile_open(&side[i], path, 0644, err)
			  : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		free(path);
		if (!rc)
			(*n_open)++, rc = w2c_write_full(side[i].fd, data, len, side[i].path, err);
	}
	free(line);
	return rc;
}

/* Image and sidecars appear together, image last, or not at all. */
static w2c_code commit_all(w2c_outfile *img, const char *out, const w2c_build_options *o,
			   const w2c_build_result *res, w2c_error *err)
{
	size_t n = o->n_sidecars + 1, n_open = 0;
	w2c_outfile *side = calloc(n, sizeof *side);
	w2c_outfile **all = calloc(n + 1, sizeof *all);
	w2c_code rc = side && all ? write_sidecars(out, o, res, side, &n_open, err)
				  : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	if (!rc) {
		for (size_t i = 0; i < n; i++)
			all[i] = &side[i];
		all[n] = img;
		rc = w2c_outgroup_commit(all, n + 1, err);
	} else {
		for (size_t i = 0; i < n_open; i++)
			w2c_outfile_abort(&side[i]);
		w2c_outfile_abort(img);
	}
	free(all);
	free(side);
	return rc;
}

w2c_code w2c_build_iso(w2c_media *m, const char *out, const w2c_build_options *opts,
		       w2c_build_result *res, w2c_error *err)
{
	static const w2c_build_options defaults = { 0 };
	const w2c_build_options *o = opts ? opts : &defaults;
	uint64_t nf = 0, nd = 0, bytes = 0;
	w2c_split split = { 0 };
	w2c_outfile of = { .fd = -1 };
	w2c_code rc;
	int r;

	memset(res, 0, sizeof *res);
	w2c_tree_count(w2c_media_root(m), &nf, &nd, &bytes);
	rc = w2c_build_check_output(out, o, err);
	if (!rc)
		rc = check_not_source(m, out, err);
	if (!rc)
		rc = volume_ids(m, o, res, err);
	/* rough first check so a full disk fails before any WIM is split; the
	 * split's scratch space is checked where it goes (OUT's directory or $TMPDIR) */
	if (!rc)
		rc = check_space(out, bytes + (nf + nd) * 2048, err);
	if (!rc && (r = iso_init()) < 0)
		rc = w2c_build_lerr(err, r, "initialise", out);
	if (!rc)
		rc = w2c_split_large(m, out, o, &split, res, err);
	if (!rc)
		rc = w2c_outfile_open(&of, out, o->private_image ? 0600 : 0644, err);
	if (!rc && (rc = write_image(m, &of, o, res, err)))
		w2c_outfile_abort(&of);
	w2c_split_undo(&split);
	if (!rc)
		rc = commit_all(&of, out, o, res, err);
	return rc;
}
