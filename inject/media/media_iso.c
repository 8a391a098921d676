/* ISO 9660 / Joliet / Rock Ridge trees through libisofs' importer. */
#include "media_int.h"

#include <sys/types.h>
#include <libisofs/libisofs.h>
#include <stdlib.h>
#include <string.h>

struct iso_ctx {
	IsoImage *img;
	IsoDataSource *src;
	IsoReadOpts *ro;
	IsoReadImageFeatures *feat;
};

static void iso_ctx_free(struct iso_ctx *c)
{
	if (c->feat)
		iso_read_image_features_destroy(c->feat);
	if (c->ro)
		iso_read_opts_free(c->ro);
	if (c->src)
		iso_data_source_unref(c->src);
	if (c->img)
		iso_image_unref(c->img);
}

static w2c_code import(w2c_media *m, enum w2c_fs which, struct iso_ctx *c, w2c_error *err)
{
	int r;

	memset(c, 0, sizeof *c);
	/* iso_init() only sets up libisofs' message queue once per process. */
	if ((r = iso_init()) < 0)
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "libisofs: init failed: %s",
				     iso_error_to_msg(r));
	iso_set_msgs_severities("NEVER", "NEVER", "win2cloud");
	if ((r = iso_image_new("w2c", &c->img)) < 0 ||
	    (r = iso_data_source_new_from_file(m->path, &c->src)) < 0 ||
	    (r = iso_read_opts_new(&c->ro, 0)) < 0)
		goto fail;
	iso_read_opts_set_no_iso1999(c->ro, 1);
	iso_read_opts_set_no_md5(c->ro, 1);
	if (which == W2C_FS_JOLIET) {
		iso_read_opts_set_no_rockridge(c->ro, 1);
		iso_read_opts_set_preferjoliet(c->ro, 1);
	} else if (which == W2C_FS_ISO9660) {
		iso_read_opts_set_no_rockridge(c->ro, 1);
		iso_read_opts_set_no_joliet(c->ro, 1);
	} else { /* Rock Ridge when present, plain names otherwise */
		iso_read_opts_set_no_joliet(c->ro, 1);
	}
	if ((r = iso_image_import(c->img, c->src, c->ro, &c->feat)) < 0)
		goto fail;
	return W2C_OK;
fail:
	iso_ctx_free(c);
	memset(c, 0, sizeof *c);
	return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: ISO 9660 directory tree unreadable: %s",
			     m->path, iso_error_to_msg(r));
}

static w2c_code file_extents(w2c_media *m, IsoFile *f, w2c_node *n, w2c_error *err)
{
	struct iso_file_section *sec = NULL;
	int nsec = 0;

	n->size = iso_file_get_size(f);
	if (!n->size)
		return W2C_OK;
	if (iso_file_get_old_image_sections(f, &nsec, &sec, 0) != 1 || nsec <= 0) {
		free(sec);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: ISO 9660 file '%s' has no extent",
				     m->path, n->name);
	}
	n->extents = calloc((size_t)nsec, sizeof *n->extents);
	if (!n->extents) {
		free(sec);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	uint64_t total = 0;
	for (int i = 0; i < nsec; i++) {
		n->extents[i].offset = (uint64_t)sec[i].block * W2C_SECTOR;
		n->extents[i].length = sec[i].size;
		total += sec[i].size;
		if (n->extents[i].offset + sec[i].size > m->size) {
			w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				      "%s: ISO 9660 file '%s': extent at LBA %u (%u bytes) lies beyond the "
				      "end of the image", m->path, n->name, sec[i].block, sec[i].size);
			free(sec);
			return W2C_ERR_INVALID_INPUT;
		}
	}
	n->n_extents = (size_t)nsec;
	n->src = W2C_SRC_IMAGE;
	free(sec);
	if (total != n->size)
		/* Rock Ridge ZF: the extents hold zisofs data, not the file's bytes. */
		return w2c_set_error(err, W2C_ERR_UNSUPPORTED,
				     "%s: file '%s' is stored zisofs-compressed (Rock Ridge ZF, %llu "
				     "bytes on disc for %llu): not supported; read it with --namespace "
				     "joliet or iso9660", m->path, n->name, (unsigned long long)total,
				     (unsigned long long)n->size);
	return W2C_OK;
}

/* A visible boot catalog is a file holding the catalog's sector. */
static w2c_code catalog_extent(w2c_media *m, w2c_node *n, w2c_error *err)
{
	n->extents = calloc(1, sizeof *n->extents);
	if (!n->extents)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	n->extents[0].offset = (uint64_t)m->boot_catalog_lba * W2C_SECTOR;
	n->extents[0].length = n->size = W2C_SECTOR;
	n->n_extents = 1;
	n->src = W2C_SRC_IMAGE;
	return W2C_OK;
}

static w2c_code walk(w2c_media *m, IsoDir *dir, w2c_node *out, w2c_error *err)
{
	IsoDirIter *it;
	IsoNode *in;
	w2c_code rc = W2C_OK;

	if (iso_dir_get_children(dir, &it) < 0)
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "libisofs: cannot list a directory");
	while (!rc && iso_dir_iter_next(it, &in) == 1) {
		enum IsoNodeType t = iso_node_get_type(in);
		w2c_node *n;
		if (t != LIBISO_DIR && t != LIBISO_FILE && t != LIBISO_BOOT)
			continue; /* symlinks and devices: Windows media have none */
		n = w2c_node_new(iso_node_get_name(in), t == LIBISO_DIR);
		if (!n || (rc = w2c_node_add(out, n, err))) {
			w2c_node_free(n);
			rc = rc ? rc : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			break;
		}
		n->mtime.tv_sec = iso_node_get_mtime(in);
		n->atime.tv_sec = iso_node_get_atime(in);
		n->ctime.tv_sec = iso_node_get_ctime(in);
		if (t == LIBISO_BOOT)
			rc = catalog_extent(m, n, err);
		else
			rc = t == LIBISO_DIR ? walk(m, (IsoDir *)in, n, err)
					     : file_extents(m, (IsoFile *)in, n, err);
	}
	iso_dir_iter_free(it);
	return rc;
}

w2c_code w2c_iso_load(w2c_media *m, enum w2c_fs which, w2c_error *err)
{
	struct iso_ctx c;
	w2c_code rc = import(m, which, &c, err);

	if (rc)
		return rc;
	if (which == W2C_FS_ROCKRIDGE && !iso_read_image_features_has_rockridge(c.feat))
		which = W2C_FS_ISO9660;
	m->root = w2c_node_new("", true);
	if (!m->root)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	else
		rc = walk(m, iso_image_get_root(c.img), m->root, err);
	iso_ctx_free(&c);
	if (!rc)
		m->tree_fs = which;
	return rc;
}

int w2c_iso_has_rockridge(w2c_media *m)
{
	struct iso_ctx c;
	int has;

	if (import(m, W2C_FS_ROCKRIDGE, &c, NULL))
		return -1;
	has = iso_read_image_features_has_rockridge(c.feat) ? 1 : 0;
	iso_ctx_free(&c);
	return has;
}
