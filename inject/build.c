/* Streamed ISO writer on libisofs: tree nodes become IsoFiles over our streams. */
#include "win2cloud/build.h"
#include "media_int.h"

#include <errno.h>
#include <libgen.h>
#include <libisofs/libisofs.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define W2C_FS_ID 0x57324343u /* user-defined file system ids are > 1000 */

struct node_stream {
	w2c_media *m;
	const w2c_node *n;
	uint64_t pos;
	int failed;
};

static int ns_open(IsoStream *s) { ((struct node_stream *)s->data)->pos = 0; return 1; }
static int ns_close(IsoStream *s) { (void)s; return 1; }
static off_t ns_size(IsoStream *s) { return (off_t)((struct node_stream *)s->data)->n->size; }
static int ns_repeatable(IsoStream *s) { (void)s; return 1; }
static int ns_update_size(IsoStream *s) { (void)s; return 1; }
static void ns_free(IsoStream *s) { free(s->data); }

static int ns_read(IsoStream *s, void *buf, size_t count)
{
	struct node_stream *d = s->data;
	size_t got = 0;
	w2c_error err;
	if (w2c_media_read(d->m, d->n, d->pos, buf, count, &got, &err)) {
		d->failed = 1;
		return ISO_FILE_READ_ERROR;
	}
	d->pos += got;
	return (int)got;
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

static w2c_code lerr(w2c_error *err, int r, const char *what, const char *path)
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

static w2c_code add_tree(w2c_media *m, IsoDir *dir, const w2c_node *n, w2c_error *err)
{
	for (size_t i = 0; i < n->n_children; i++) {
		const w2c_node *c = n->children[i];
		IsoNode *in;
		int r;
		if (c->is_dir) {
			IsoDir *sub;
			r = iso_tree_add_new_dir(dir, c->name, &sub);
			if (r < 0)
				return lerr(err, r, "add directory", c->name);
			in = (IsoNode *)sub;
			set_times(in, c);
			iso_node_set_permissions(in, 0555);
			w2c_code rc = add_tree(m, sub, c, err);
			if (rc)
				return rc;
		} else {
			IsoStream *s = calloc(1, sizeof *s);
			struct node_stream *d = calloc(1, sizeof *d);
			IsoFile *f;
			if (!s || !d) {
				free(s);
				free(d);
				return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			}
			d->m = m;
			d->n = c;
			s->class = &node_stream_class;
			s->refcount = 1;
			s->data = d;
			/* the new file takes our reference to the stream */
			r = iso_tree_add_new_file(dir, c->name, s, &f);
			if (r < 0)
				return lerr(err, r, "add file", c->name);
			in = (IsoNode *)f;
			set_times(in, c);
			iso_node_set_permissions(in, 0444);
		}
	}
	return W2C_OK;
}

/* Microsoft's geometry: BIOS as recorded (8 for etfsboot.com), UEFI count 1. */
static w2c_code add_boot(w2c_media *m, IsoImage *img, const w2c_build_options *o, unsigned *count,
			 w2c_error *err)
{
	*count = 0;
	for (size_t i = 0; i < m->n_boot; i++) {
		const w2c_boot_entry *b = &m->boot[i];
		const char *path = b->image_path;
		ElToritoBootImage *bi;
		int r;
		if (!path)
			return w2c_set_error(err, W2C_ERR_UNSUPPORTED,
					     "%s: boot entry %zu (platform 0x%02x, LBA %u) has no file in the "
					     "tree; rebuilding such media is not supported yet", m->path,
					     i + 1, b->platform_id, b->lba);
		if (b->platform_id == 0xEF && o->uefi_image == W2C_UEFI_NOPROMPT)
			path = "/efi/microsoft/boot/efisys_noprompt.bin";
		else if (b->platform_id == 0xEF && o->uefi_image == W2C_UEFI_PROMPT)
			path = "/efi/microsoft/boot/efisys.bin";
		w2c_node *n = w2c_tree_lookup(m->root, path);
		char *real = n ? w2c_node_path(n) : NULL;
		if (!real)
			return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: boot image %s not found on the medium",
					     m->path, path);
		enum eltorito_boot_media_type mt = b->media_type == 0 ? ELTORITO_NO_EMUL :
			b->media_type == 4 ? ELTORITO_HARD_DISC_EMUL : ELTORITO_FLOPPY_EMUL;
		if (*count == 0)
			r = iso_image_set_boot_image(img, real, mt, "/boot.catalog", &bi);
		else
			r = iso_image_add_boot_image(img, real, mt, 0, &bi);
		free(real);
		if (r < 0)
			return lerr(err, r, "El Torito entry for", path);
		el_torito_set_boot_platform_id(bi, b->platform_id);
		el_torito_set_load_seg(bi, (short)b->load_segment);
		if (b->platform_id == 0xEF) {
			el_torito_set_full_load(bi, 0);
			el_torito_set_load_size(bi, 1);
		} else {
			el_torito_set_load_size(bi, (short)b->sector_count);
		}
		if (!b->bootable)
			el_torito_set_no_bootable(bi);
		(*count)++;
	}
	if (*count)
		iso_image_set_boot_catalog_hidden(img, LIBISO_HIDE_ON_RR | LIBISO_HIDE_ON_JOLIET |
						  LIBISO_HIDE_ON_1999);
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
	/* Without this libisofs stamps every ISO 9660/Joliet record with the image
	 * creation time instead of the file's mtime. */
	iso_write_opts_set_dir_rec_mtime(wo, 1 | 2 | 4);
	return wo;
}

/* Pull the image 2048 bytes per read_xt call (libburn's contract; larger reads
 * drop the tail), write it in 1 MiB chunks and hash it on the way. */
static w2c_code pump(struct burn_source *bs, w2c_outfile *of, const w2c_build_options *o,
		     uint64_t total, w2c_build_result *res, w2c_error *err)
{
	enum { CHUNK = 1 << 20 };
	uint8_t *buf = malloc(CHUNK), md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t fill = 0;
	w2c_code rc = buf && ctx ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	int n = 1;

	if (!rc)
		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while (!rc && n > 0) {
		n = bs->read_xt(bs, buf + fill, 2048);
		if (n > 0)
			fill += (size_t)n;
		if (n < 0)
			rc = w2c_set_error(err, W2C_ERR_IO, "%s: image writer failed after %llu bytes "
					   "(a source file could not be read)", of->path,
					   (unsigned long long)res->bytes);
		if (!rc && (fill == CHUNK || (n <= 0 && fill))) {
			EVP_DigestUpdate(ctx, buf, fill);
			rc = w2c_write_full(of->fd, buf, fill, of->path, err);
			res->bytes += fill;
			fill = 0;
			if (!rc && w2c_progress_report(o->progress, "build", NULL, res->bytes, total))
				rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "build of %s interrupted",
						   of->path);
		}
	}
	if (!rc) {
		EVP_DigestFinal_ex(ctx, md, NULL);
		w2c_hex(md, 32, res->sha256);
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

static w2c_code preflight(w2c_media *m, const char *out, uint64_t need, w2c_error *err)
{
	struct stat a, b;
	char *tmp = w2c_strdup(out);
	uint64_t avail = 0;
	w2c_code rc = W2C_OK;

	if (!tmp)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (stat(out, &b) == 0 && fstat(m->fd, &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		rc = w2c_set_error(err, W2C_ERR_USAGE, "%s: is the source image; refusing to overwrite it",
				   out);
	if (!rc)
		rc = w2c_free_space(dirname(tmp), &avail, err);
	if (!rc && avail < need)
		rc = w2c_set_error(err, W2C_ERR_NO_SPACE, "%s: %llu bytes free, the image needs about %llu",
				   out, (unsigned long long)avail, (unsigned long long)need);
	free(tmp);
	return rc;
}

w2c_code w2c_build_iso(w2c_media *m, const char *out, const w2c_build_options *opts,
		       w2c_build_result *res, w2c_error *err)
{
	static const w2c_build_options defaults = { 0 };
	const w2c_build_options *o = opts ? opts : &defaults;
	uint64_t nf = 0, nd = 0, bytes = 0;
	IsoImage *img = NULL;
	IsoWriteOpts *wo = NULL;
	struct burn_source *bs = NULL;
	w2c_outfile of = { .fd = -1 };
	w2c_code rc;
	int r;

	memset(res, 0, sizeof *res);
	w2c_tree_count(m->root, &nf, &nd, &bytes);
	rc = preflight(m, out, bytes + (nf + nd) * 4096 + (4u << 20), err);
	if (rc)
		return rc;
	if ((r = iso_init()) < 0 || (r = iso_image_new(o->volume_id ? o->volume_id : m->volume_id, &img)) < 0)
		return lerr(err, r, "create image", out);
	iso_image_set_volume_id(img, o->volume_id ? o->volume_id : m->volume_id);
	iso_image_set_application_id(img, "WIN2CLOUD " W2C_VERSION_STRING);
	rc = add_tree(m, iso_image_get_root(img), m->root, err);
	if (!rc)
		rc = add_boot(m, img, o, &res->boot_entries, err);
	if (!rc && !(wo = write_opts()))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc && (r = iso_image_create_burn_source(img, wo, &bs)) < 0)
		rc = lerr(err, r, "prepare image", out);
	if (!rc)
		rc = w2c_outfile_open(&of, out, 0644, err);
	if (!rc)
		rc = pump(bs, &of, o, bytes, res, err);
	if (bs) {
		if (rc)
			bs->cancel(bs);
		bs->free_data(bs);
		free(bs);
	}
	if (!rc) {
		rc = w2c_outfile_commit(&of, err);
	} else if (of.path) {
		w2c_outfile_abort(&of);
	}
	if (!rc) {
		const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
		char *line = w2c_asprintf("%s  %s\n", res->sha256, base), *sp = w2c_asprintf("%s.sha256", out);
		rc = line && sp ? w2c_write_file_atomic(sp, line, strlen(line), 0644, err)
				: w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		free(line);
		free(sp);
	}
	if (wo)
		iso_write_opts_free(wo);
	if (img)
		iso_image_unref(img);
	return rc;
}
