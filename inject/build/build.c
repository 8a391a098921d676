/* Streamed ISO writer on libisofs: tree nodes become IsoFiles over our streams. */
#include "build_int.h"
#include "win2cloud/sidecar.h"
#include "udf_write.h"

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
	w2c_udf_entry *watch; /* UDF: where the file's first bytes go for the writer's check */
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
	if (d->watch && d->pos == 0) {
		memcpy(d->watch->first, d->buf, got < sizeof d->watch->first ? got : sizeof d->watch->first);
		d->watch->first_seen = true;
	}
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

/* What add_tree() carries down the tree: the UDF entries walk in the same
 * depth-first order, and each file's sort weight fixes libisofs's data order
 * to that order (highest first), which the UDF file entries rely on.  The
 * weights start high above the small ones libisofs gives files of its own
 * (a boot image that is no file of the tree got one, and ties are ordered
 * at random by its qsort). */
#define W2C_UDF_WEIGHT_BASE (1 << 24)
struct tree_ctx {
	w2c_media *m;
	const w2c_node *skip;
	w2c_udf *udf;        /* NULL: no UDF tree */
	bool flat;           /* --udf-only: files hidden at the ISO root under w2c_udf_flat_name() */
	size_t next;         /* next entry of udf->e */
	int weight;
};

static void set_times(IsoNode *in, const w2c_node *n)
{
	iso_node_set_mtime(in, n->mtime.tv_sec);
	iso_node_set_atime(in, n->atime.tv_sec ? n->atime.tv_sec : n->mtime.tv_sec);
	iso_node_set_ctime(in, n->ctime.tv_sec ? n->ctime.tv_sec : n->mtime.tv_sec);
}

/* The UDF entry of @c, which must be the next in the layout's order. */
static w2c_code udf_next(struct tree_ctx *t, const w2c_node *c, w2c_udf_entry **e, w2c_error *err)
{
	*e = NULL;
	if (!t->udf)
		return W2C_OK;
	if (++t->next >= t->udf->n || t->udf->e[t->next].n != c)
		return w2c_set_error(err, W2C_ERR_INTERNAL, "UDF layout and ISO tree disagree at %s",
				     c->name);
	*e = &t->udf->e[t->next];
	return W2C_OK;
}

static w2c_code add_tree(struct tree_ctx *t, IsoDir *dir, const w2c_node *n, w2c_error *err)
{
	for (size_t i = 0; i < n->n_children; i++) {
		const w2c_node *c = n->children[i];
		w2c_udf_entry *ue;
		IsoNode *in;
		int r;
		if (c == t->skip)
			continue;
		w2c_code urc = udf_next(t, c, &ue, err);
		if (urc)
			return urc;
		if (c->is_dir && t->flat) { /* --udf-only: no directories outside UDF */
			w2c_code rc = add_tree(t, dir, c, err);
			if (rc)
				return rc;
		} else if (c->is_dir) {
			IsoDir *sub;
			r = iso_tree_add_new_dir(dir, c->name, &sub);
			if (r < 0)
				return w2c_build_lerr(err, r, "add directory", c->name);
			in = (IsoNode *)sub;
			set_times(in, c);
			iso_node_set_permissions(in, 0555);
			w2c_code rc = add_tree(t, sub, c, err);
			if (rc)
				return rc;
		} else {
			IsoStream *s = w2c_node_stream(t->m, c, 0, 0, NULL);
			IsoFile *f;
			if (!s)
				return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			((struct node_stream *)s->data)->watch = ue;
			/* the new file takes our reference to the stream */
			char flat[32];
			if (t->flat)
				w2c_udf_flat_name(flat, sizeof flat, t->next);
			r = iso_tree_add_new_file(dir, t->flat ? flat : c->name, s, &f);
			if (r < 0)
				return w2c_build_lerr(err, r, "add file", c->name);
			in = (IsoNode *)f;
			if (t->flat) /* data written, named in no ISO 9660 directory */
				iso_node_set_hidden(in, LIBISO_HIDE_ON_RR | LIBISO_HIDE_ON_JOLIET |
						    LIBISO_HIDE_ON_1999 | LIBISO_HIDE_BUT_WRITE);
			set_times(in, c);
			iso_node_set_permissions(in, 0444);
			if (t->udf)
				iso_node_set_sort_weight(in, t->weight--);
		}
	}
	return W2C_OK;
}

static IsoWriteOpts *write_opts(bool joliet)
{
	IsoWriteOpts *wo;
	if (iso_write_opts_new(&wo, 0) < 0)
		return NULL;
	iso_write_opts_set_iso_level(wo, 3);
	iso_write_opts_set_joliet(wo, joliet);
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
		     w2c_udf *udf, uint64_t total, w2c_build_result *res, w2c_error *err)
{
	struct w2c_writeq *q = NULL;
	uint8_t *buf, tail[2048];
	uint64_t head = udf ? (uint64_t)udf->head_blocks * W2C_UDF_BLOCK : 0;
	w2c_code rc = w2c_writeq_start(&q, of->fd, of->path, err);

	while (!rc && res->bytes < total && (buf = w2c_writeq_buffer(q))) {
		size_t want = total - res->bytes < W2C_WRITE_CHUNK ? (size_t)(total - res->bytes)
								    : W2C_WRITE_CHUNK;
		size_t got = 0;
		if (res->bytes < head) { /* the UDF head (blocks 0..N-1) goes first */
			got = head - res->bytes < want ? (size_t)(head - res->bytes) : want;
			memcpy(buf, udf->head + res->bytes, got);
		}
		/* libisofs's session fills the rest of the buffer: every chunk but the
		 * last stays a whole W2C_WRITE_CHUNK, so the writer keeps O_DIRECT (a
		 * head of an odd number of 2 KiB blocks ending a chunk turned it off) */
		if (got < want && bs->read_xt(bs, buf + got, (int)(want - got)) != (int)(want - got)) {
			rc = w2c_set_error(err, W2C_ERR_IO, "%s: image writer stopped after %llu of %llu "
					   "bytes (a source file could not be read)", of->path,
					   (unsigned long long)(res->bytes + got), (unsigned long long)total);
			break;
		}
		if (got < want && udf &&
		    (rc = w2c_udf_passing(udf, (res->bytes + got) / W2C_UDF_BLOCK, buf + got, want - got, err)))
			break;
		w2c_writeq_submit(q, want);
		res->bytes += want;
		if (w2c_progress_report(o->progress, "build", NULL, res->bytes, total))
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "build of %s interrupted", of->path);
	}
	if (!rc && udf)
		rc = w2c_udf_all_checked(udf, err);
	if (!rc && res->bytes == total && bs->read_xt(bs, tail, sizeof tail) != 0)
		rc = w2c_set_error(err, W2C_ERR_INTERNAL, "%s: image longer than the %llu bytes announced",
				   of->path, (unsigned long long)total);
	w2c_error werr = { 0 };
	w2c_code wrc = w2c_writeq_finish(q, rc ? NULL : res->sha256, &werr);
	/* a write failed: that is the error to report, also over what it caused
	 * (the loop stopped early, so the UDF layout check saw a short image) */
	if (wrc && rc != W2C_ERR_INTERRUPTED) {
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
	w2c_udf udf = { 0 };
	struct tree_ctx t = { .m = m, .skip = w2c_build_old_catalog(m) };
	uint8_t *overwrite = NULL;
	uint64_t total = 0;
	w2c_code rc = W2C_OK;
	int r;

	if ((r = iso_image_new(res->volume_id, &img)) < 0)
		return w2c_build_lerr(err, r, "create image", out);
	iso_image_set_volume_id(img, res->volume_id);
	iso_image_set_application_id(img, "WIN2CLOUD " W2C_VERSION_STRING);
	if (res->filesystems & W2C_FS_UDF) {
		rc = w2c_udf_prepare(&udf, w2c_media_root(m), t.skip, o, res->volume_id, out, err);
		t.udf = &udf;
		t.weight = W2C_UDF_WEIGHT_BASE + (int)udf.n_files;
		res->udf_revision = udf.revision;
	}
	t.flat = o->udf_only;
	if (!rc)
		rc = add_tree(&t, iso_image_get_root(img), w2c_media_root(m), err);
	if (!rc && t.flat)
		rc = w2c_udf_readme(img, W2C_UDF_WEIGHT_BASE + (int)udf.n_files + 1, err);
	w2c_boot_udf bu = { t.udf, t.flat, W2C_UDF_WEIGHT_BASE + (int)udf.n_files + 1, t.flat ? 1 : 0 };
	if (!rc)
		rc = w2c_build_boot(m, img, &bu, o, res, err);
	if (!rc && t.udf && res->boot_entries) /* the catalog before every file */
		iso_image_set_boot_catalog_weight(img, W2C_UDF_WEIGHT_BASE + (int)udf.n_files + 2);
	if (!rc && !(wo = write_opts(res->filesystems & W2C_FS_JOLIET)))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc && t.udf) { /* libisofs's session starts after the UDF head */
		if (!(overwrite = calloc(32, W2C_UDF_BLOCK)))
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		iso_write_opts_set_ms_block(wo, udf.head_blocks);
		iso_write_opts_set_overwrite_buf(wo, overwrite);
		iso_write_opts_set_tail_blocks(wo, W2C_UDF_TAIL);
	}
	if (!rc && (r = iso_image_create_burn_source(img, wo, &bs)) < 0)
		rc = w2c_build_lerr(err, r, "prepare image", out);
	if (!rc && t.udf)
		rc = w2c_udf_place(&udf, wo, overwrite, bu.extra_blocks, (uint64_t)bs->get_size(bs), err);
	/* the exact size is known once libisofs has laid the image out */
	if (!rc) {
		total = (uint64_t)bs->get_size(bs) + (uint64_t)udf.head_blocks * W2C_UDF_BLOCK;
		rc = check_space(out, total, err);
	}
	if (!rc)
		rc = pump(bs, of, o, t.udf, total, res, err);
	free_burn_source(bs, rc != W2C_OK);
	free(overwrite);
	w2c_udf_free(&udf);
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

/* The trees to write and what happens to files over 4 GiB: by default UDF
 * plus the trees the source had (all three from an unpacked directory); with
 * UDF a large file stays whole. */
static w2c_code resolve(w2c_media *m, const w2c_build_options *in, w2c_build_options *o,
			w2c_build_result *res, w2c_error *err)
{
	unsigned fs = in->filesystems, had = w2c_media_filesystems(m);
	*o = *in;
	if (!fs)
		fs = W2C_FS_UDF | W2C_FS_ISO9660 | (!had || (had & W2C_FS_JOLIET) ? W2C_FS_JOLIET : 0);
	if (in->udf_only)
		fs = W2C_FS_UDF | W2C_FS_ISO9660;
	if (!(fs & W2C_FS_ISO9660))
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: the ISO 9660 tree is always written "
				     "(the El Torito boot record lives in it)", w2c_media_path(m));
	res->filesystems = fs & (W2C_FS_UDF | W2C_FS_ISO9660 | W2C_FS_JOLIET);
	if (o->large_files == W2C_LARGE_AUTO)
		o->large_files = fs & W2C_FS_UDF ? W2C_LARGE_MULTI_EXTENT : W2C_LARGE_SPLIT;
	return W2C_OK;
}

w2c_code w2c_build_iso(w2c_media *m, const char *out, const w2c_build_options *opts,
		       w2c_build_result *res, w2c_error *err)
{
	static const w2c_build_options defaults = { 0 };
	w2c_build_options eff;
	const w2c_build_options *o = &eff;
	uint64_t nf = 0, nd = 0, bytes = 0;
	w2c_split split = { 0 };
	w2c_outfile of = { .fd = -1 };
	w2c_code rc;
	int r;

	memset(res, 0, sizeof *res);
	w2c_tree_count(w2c_media_root(m), &nf, &nd, &bytes);
	rc = resolve(m, opts ? opts : &defaults, &eff, res, err);
	if (!rc)
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
