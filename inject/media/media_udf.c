/*
 * UDF tree through libudf.  libudf lists directories and file entries; the
 * allocation descriptors of each file entry give its extents, so file data
 * is later read with pread() at any offset instead of libudf's single
 * sequential cursor.
 */
#include "media_int.h"

#include <cdio/udf.h>
#include <endian.h>
#include <stdlib.h>
#include <string.h>

enum { AD_SHORT = 0, AD_LONG = 1, AD_EXTENDED = 2, AD_IN_ICB = 3 };

static w2c_code add_extent(w2c_node *n, uint64_t off, uint64_t len, w2c_error *err)
{
	w2c_extent *e;
	if (n->n_extents && off != UINT64_MAX &&
	    n->extents[n->n_extents - 1].offset + n->extents[n->n_extents - 1].length == off) {
		n->extents[n->n_extents - 1].length += len; /* contiguous: merge */
		return W2C_OK;
	}
	e = realloc(n->extents, (n->n_extents + 1) * sizeof *e);
	if (!e)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	n->extents = e;
	e[n->n_extents].offset = off;
	e[n->n_extents].length = len;
	n->n_extents++;
	return W2C_OK;
}

/* Translate the file entry's allocation descriptors into image extents. */
static w2c_code udf_extents(w2c_media *m, const udf_dirent_t *d, w2c_node *n, const char *path,
			    w2c_error *err)
{
	const udf_file_entry_t *fe = &d->fe;
	uint32_t ea = le32toh(fe->i_extended_attr), ad_len = le32toh(fe->i_alloc_descs);
	const uint8_t *ad = fe->u.ext_attr + ea;
	unsigned type = le16toh(fe->icb_tag.flags) & 7;
	uint64_t left = n->size;
	size_t step = type == AD_SHORT ? 8 : type == AD_LONG ? 16 : 0;

	if ((uint64_t)ea + ad_len > sizeof fe->u)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF file entry of %s: %u bytes of extended attributes and %u of "
				     "allocation descriptors exceed the 1872-byte entry",
				     m->path, path, ea, ad_len);
	if (type == AD_IN_ICB) {
		if (ad_len < n->size)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: UDF file %s: embedded data holds %u bytes, expected %llu",
					     m->path, path, ad_len, (unsigned long long)n->size);
		n->src = W2C_SRC_MEMORY;
		n->data = malloc(n->size ? n->size : 1);
		if (!n->data)
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		memcpy(n->data, ad, n->size);
		return W2C_OK;
	}
	if (!step)
		return w2c_set_error(err, W2C_ERR_UNSUPPORTED,
				     "%s: UDF file %s uses extended allocation descriptors (type %u), "
				     "which are not supported", m->path, path, type);
	n->src = W2C_SRC_IMAGE;
	for (uint32_t i = 0; i + step <= ad_len && left; i += (uint32_t)step) {
		uint32_t raw = w2c_le32(ad + i), len = raw & 0x3FFFFFFF, kind = raw >> 30;
		uint32_t pos = w2c_le32(ad + i + 4);
		uint64_t take = len < left ? len : left, off;
		if (!len)
			break;
		if (kind == 3)
			return w2c_set_error(err, W2C_ERR_UNSUPPORTED,
					     "%s: UDF file %s continues its allocation descriptors in "
					     "another extent, which is not supported", m->path, path);
		/* Unrecorded extents read as zeros (offset UINT64_MAX). */
		off = kind ? UINT64_MAX : ((uint64_t)d->i_part_start + pos) * W2C_SECTOR;
		if (off != UINT64_MAX && off + take > m->size)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: UDF file %s: extent at block %u (%u bytes) lies beyond "
					     "the end of the image", m->path, path, pos, len);
		w2c_code rc = add_extent(n, off, take, err);
		if (rc)
			return rc;
		left -= take;
	}
	if (left)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF file %s: allocation descriptors cover %llu of %llu bytes",
				     m->path, path, (unsigned long long)(n->size - left),
				     (unsigned long long)n->size);
	return W2C_OK;
}

/* libudf returns 8-bit (CS0 compression id 8) names as raw Latin-1. */
static char *udf_name(const udf_dirent_t *d)
{
	const char *raw = udf_get_filename(d);
	const udf_fileid_desc_t *fid = d->fid;
	bool latin1 = false, high = false;

	if (!raw)
		return NULL;
	if (fid && fid->i_file_id)
		latin1 = fid->u.file_id.data[le16toh(fid->u.i_imp_use)] == 8;
	for (const char *p = raw; *p; p++)
		high |= (unsigned char)*p >= 0x80;
	if (!latin1 || !high)
		return w2c_strdup(raw);
	char *out = malloc(strlen(raw) * 2 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
		if (*p < 0x80) {
			*o++ = (char)*p;
		} else {
			*o++ = (char)(0xC0 | *p >> 6);
			*o++ = (char)(0x80 | (*p & 0x3F));
		}
	}
	*o = 0;
	return out;
}

static void set_times(w2c_node *n, const udf_dirent_t *d)
{
	n->mtime.tv_sec = udf_get_modification_time(d);
	n->atime.tv_sec = udf_get_access_time(d);
	n->ctime.tv_sec = udf_get_attribute_time(d);
}

static w2c_code walk(w2c_media *m, udf_dirent_t *d, w2c_node *dir, int depth, w2c_error *err)
{
	w2c_code rc = W2C_OK;

	if (depth > 64)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: UDF directory tree deeper than 64 levels (a loop?)", m->path);
	while (udf_readdir(d)) {
		char *name;
		w2c_node *n;
		if (rc)
			continue; /* drain so libudf frees the iterator */
		if (d->fid && (d->fid->file_characteristics & (UDF_FILE_PARENT | UDF_FILE_DELETED)))
			continue;
		name = udf_name(d);
		if (!name || !*name || !strcmp(name, "..")) {
			free(name);
			continue;
		}
		n = w2c_node_new(name, udf_is_dir(d));
		free(name);
		if (!n || (rc = w2c_node_add(dir, n, err))) {
			w2c_node_free(n);
			rc = rc ? rc : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			continue;
		}
		n->hidden = d->fid && (d->fid->file_characteristics & UDF_FILE_HIDDEN);
		set_times(n, d);
		if (n->is_dir) {
			udf_dirent_t *sub = udf_opendir(d);
			if (sub)
				rc = walk(m, sub, n, depth + 1, err);
			else if (udf_get_file_length(d))
				rc = w2c_set_error(err, W2C_ERR_UNSUPPORTED,
						   "%s: UDF directory '%s' cannot be read by libudf "
						   "(embedded or extended entries)", m->path, n->name);
		} else {
			n->size = udf_get_file_length(d);
			if (n->size) {
				char *p = w2c_node_path(n);
				rc = udf_extents(m, d, n, p ? p : n->name, err);
				free(p);
			}
		}
	}
	return rc;
}

/* The tree through libudf (2048-byte blocks, file entries it can read). */
static w2c_code libudf_load(w2c_media *m, w2c_error *err)
{
	udf_t *u = udf_open(m->path);
	udf_dirent_t *root;
	w2c_code rc;

	if (!u)
		return w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: libudf cannot open the UDF volume",
				     m->path);
	root = udf_get_root(u, true, 0);
	if (!root) {
		udf_close(u);
		return w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: libudf cannot read the UDF root "
				     "directory", m->path);
	}
	m->root = w2c_node_new("", true);
	if (!m->root) {
		udf_dirent_free(root);
		udf_close(u);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	set_times(m->root, root);
	rc = walk(m, root, m->root, 0, err);
	udf_close(u);
	return rc;
}

w2c_code w2c_udf_load(w2c_media *m, w2c_error *err)
{
	unsigned bs = 0;
	/* Checked before libudf follows any of it: libudf trusts every length. */
	w2c_code rc = w2c_udf_walk(m, false, &bs, err);

	if (rc)
		return rc;
	/* libudf reads 2048-byte blocks only and no extended file entries (UDF 2.x,
	 * mkudffs): what it cannot read, the checked walk builds itself. */
	rc = bs == W2C_SECTOR ? libudf_load(m, err) : W2C_ERR_UNSUPPORTED;
	if (rc == W2C_ERR_UNSUPPORTED) {
		w2c_node_free(m->root);
		m->root = NULL;
		rc = w2c_udf_walk(m, true, NULL, err);
	}
	if (!rc)
		m->tree_fs = W2C_FS_UDF;
	return rc;
}
