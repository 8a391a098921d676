/* Opening a medium: descriptors, the richest tree, boot entries, WIM XML. */
#include "media_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static w2c_code open_file(w2c_media *m, const char *path, bool *is_dir, w2c_error *err)
{
	struct stat st;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		*is_dir = true; /* an unpacked medium: no image to hold open */
		return W2C_OK;
	}
	m->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (m->fd < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "%s: cannot open: %s", path, strerror(errno));
	if (fstat(m->fd, &st) < 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: stat: %s", path, strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(m->fd, 0, SEEK_END);
		m->size = end > 0 ? (uint64_t)end : 0;
	} else {
		m->size = (uint64_t)st.st_size;
	}
	return W2C_OK;
}

/* Richest first: UDF (Microsoft keeps everything there), Joliet, ISO 9660 + RR. */
static w2c_code load_tree(w2c_media *m, enum w2c_namespace ns, w2c_error *err)
{
	w2c_error udf_err = { 0 };
	w2c_code rc;

	if ((ns == W2C_NS_AUTO || ns == W2C_NS_UDF) && (m->fs & W2C_FS_UDF)) {
		rc = w2c_udf_load(m, &udf_err);
		if (!rc || ns == W2C_NS_UDF || !(m->fs & W2C_FS_ISO9660)) {
			if (rc && err)
				*err = udf_err;
			return rc;
		}
		w2c_log(m->log, W2C_LOG_WARN, "%s; using the ISO 9660 tree instead", udf_err.message);
		w2c_node_free(m->root);
		m->root = NULL;
	}
	if (ns == W2C_NS_UDF)
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: has no UDF file system", m->path);
	if (!(m->fs & W2C_FS_ISO9660))
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: has no ISO 9660 file system", m->path);
	if ((ns == W2C_NS_AUTO || ns == W2C_NS_JOLIET) && (m->fs & W2C_FS_JOLIET))
		return w2c_iso_load(m, W2C_FS_JOLIET, err);
	if (ns == W2C_NS_JOLIET)
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: has no Joliet file system", m->path);
	return w2c_iso_load(m, ns == W2C_NS_ISO9660 ? W2C_FS_ISO9660 : W2C_FS_ROCKRIDGE, err);
}

static w2c_code open_image(w2c_media *m, const w2c_media_options *opts, w2c_error *err);

w2c_code w2c_media_open(const char *path, const w2c_media_options *opts, w2c_media **out,
			w2c_error *err)
{
	static const w2c_media_options defaults = { 0 };
	w2c_media *m = calloc(1, sizeof *m);
	bool is_dir = false;
	w2c_code rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (!m || !(m->path = w2c_strdup(path))) {
		free(m);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	m->fd = -1;
	m->log = opts->log;
	rc = open_file(m, path, &is_dir, err);
	if (!rc && is_dir)
		rc = w2c_dir_load(m, err);
	else if (!rc)
		rc = open_image(m, opts, err);
	if (!rc && !opts->skip_wims)
		rc = w2c_wims_read(m, err);
	if (rc) {
		w2c_media_free(m);
		return rc;
	}
	*out = m;
	return W2C_OK;
}

static w2c_code open_image(w2c_media *m, const w2c_media_options *opts, w2c_error *err)
{
	w2c_code rc = w2c_vd_scan(m, err);
	if (!rc && (m->fs & W2C_FS_ISO9660))
		rc = w2c_iso_dirs_check(m, err);
	if (!rc && (m->fs & W2C_FS_ISO9660) && w2c_iso_has_rockridge(m) == 1)
		m->fs |= W2C_FS_ROCKRIDGE;
	if (!rc)
		rc = w2c_eltorito_read(m, err);
	if (!rc)
		rc = load_tree(m, opts->ns, err);
	if (!rc)
		w2c_eltorito_map(m);
	return rc;
}

void w2c_media_free(w2c_media *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	w2c_node_free(m->root);
	for (size_t i = 0; i < m->n_boot; i++) {
		free(m->boot[i].image_path);
		free(m->boot[i].image_local);
	}
	free(m->boot);
	free(m->boot_catalog_path);
	w2c_wims_free(m);
	free(m->joliet_volume_id);
	free(m->udf_volume_id);
	free(m->path);
	free(m);
}

const char *w2c_media_path(const w2c_media *m) { return m->path; }
uint64_t w2c_media_size(const w2c_media *m) { return m->size; }
const char *w2c_media_volume_id(const w2c_media *m) { return m->volume_id; }
const char *w2c_media_joliet_volume_id(const w2c_media *m) { return m->joliet_volume_id; }
const char *w2c_media_udf_volume_id(const w2c_media *m) { return m->udf_volume_id; }
unsigned w2c_media_filesystems(const w2c_media *m) { return m->fs; }
unsigned w2c_media_udf_revision(const w2c_media *m) { return m->udf_revision; }
enum w2c_fs w2c_media_tree_fs(const w2c_media *m) { return m->tree_fs; }
time_t w2c_media_volume_time(const w2c_media *m) { return m->volume_time; }
w2c_node *w2c_media_root(w2c_media *m) { return m->root; }
size_t w2c_media_boot_count(const w2c_media *m) { return m->n_boot; }
uint32_t w2c_media_boot_catalog_lba(const w2c_media *m) { return m->boot_catalog_lba; }
const char *w2c_media_boot_catalog_path(const w2c_media *m) { return m->boot_catalog_path; }
size_t w2c_media_wim_count(const w2c_media *m) { return m->n_wims; }
size_t w2c_media_edition_count(const w2c_media *m) { return m->n_editions; }

const w2c_boot_entry *w2c_media_boot_entry(const w2c_media *m, size_t i)
{
	return i < m->n_boot ? &m->boot[i] : NULL;
}

const w2c_wim_info *w2c_media_wim(const w2c_media *m, size_t i)
{
	return i < m->n_wims ? &m->wims[i] : NULL;
}

const w2c_edition *w2c_media_edition(const w2c_media *m, size_t i)
{
	return i < m->n_editions ? m->editions[i] : NULL;
}

w2c_code w2c_media_pread(w2c_media *m, void *buf, size_t len, uint64_t off, w2c_error *err)
{
	return w2c_pread_full(m->fd, buf, len, off, m->path, err);
}

static w2c_code read_local(const w2c_node *n, uint64_t off, void *buf, size_t len, w2c_error *err)
{
	int fd = open(n->local_path, O_RDONLY | O_CLOEXEC);
	w2c_code rc;
	if (fd < 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: cannot open: %s", n->local_path,
				     strerror(errno));
	rc = w2c_pread_full(fd, buf, len, off, n->local_path, err);
	close(fd);
	return rc;
}

/* Copy [off, off+len) of a file made of extents; unrecorded extents are zeros. */
static w2c_code read_extents(w2c_media *m, const w2c_node *n, uint64_t off, uint8_t *buf,
			     size_t len, w2c_error *err)
{
	uint64_t pos = 0;
	for (size_t i = 0; i < n->n_extents && len; i++) {
		const w2c_extent *e = &n->extents[i];
		if (off >= pos + e->length) {
			pos += e->length;
			continue;
		}
		uint64_t in = off - pos, take = e->length - in;
		if (take > len)
			take = len;
		if (e->offset == UINT64_MAX) {
			memset(buf, 0, take);
		} else {
			w2c_code rc = w2c_pread_full(m->fd, buf, take, e->offset + in, m->path, err);
			if (rc)
				return rc;
		}
		buf += take;
		off += take;
		len -= take;
		pos += e->length;
	}
	return W2C_OK;
}

w2c_code w2c_media_read(w2c_media *m, const w2c_node *n, uint64_t off, void *buf, size_t len,
			size_t *got, w2c_error *err)
{
	w2c_code rc = W2C_OK;

	*got = 0;
	if (n->is_dir)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: is a directory", n->name);
	if (off >= n->size)
		return W2C_OK;
	if (len > n->size - off)
		len = (size_t)(n->size - off);
	switch (n->src) {
	case W2C_SRC_IMAGE: /* a file placed from another image reads from that one */
		rc = read_extents(n->image ? n->image : m, n, off, buf, len, err);
		break;
	case W2C_SRC_LOCAL:
		rc = read_local(n, off, buf, len, err);
		break;
	case W2C_SRC_MEMORY:
		memcpy(buf, n->data + off, len);
		break;
	case W2C_SRC_NONE:
		memset(buf, 0, len);
		break;
	}
	if (!rc)
		*got = len;
	return rc;
}
