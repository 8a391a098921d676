/* Internal state of an opened medium, shared by the media modules. */
#ifndef W2C_INJECT_MEDIA_INT_H
#define W2C_INJECT_MEDIA_INT_H

#include "win2cloud/media.h"
#include "common/util.h"
#include "common/endian.h"


struct w2c_media {
	char *path;
	int fd;
	uint64_t size;
	const w2c_logger *log;

	/* volume descriptors */
	char volume_id[33];
	char *joliet_volume_id;
	char *udf_volume_id;
	unsigned fs;            /* enum w2c_fs bits */
	unsigned udf_revision;
	enum w2c_fs tree_fs;
	time_t volume_time;
	uint32_t boot_catalog_lba;
	char *boot_catalog_path; /* the catalog as a visible file of the tree, else NULL */
	uint32_t pvd_root_lba, pvd_root_len;       /* root directory extents, for */
	uint32_t joliet_root_lba, joliet_root_len; /* the sanity walk below */

	w2c_node *root;
	w2c_boot_entry *boot;
	size_t n_boot;
	w2c_wim_info *wims;
	size_t n_wims;
	const w2c_edition **editions;
	size_t n_editions;
};

/* Volume descriptors and the UDF volume recognition sequence (media_vd.c). */
w2c_code w2c_vd_scan(w2c_media *m, w2c_error *err);
/* Bounded walk of the ISO 9660 and Joliet directory graphs (depth, loops,
 * sizes) before libisofs imports them: libisofs recurses without limit. */
w2c_code w2c_iso_dirs_check(w2c_media *m, w2c_error *err);
/* El Torito catalog (media_eltorito.c). */
w2c_code w2c_eltorito_read(w2c_media *m, w2c_error *err);
/* Map boot entries to tree files once the tree exists. */
void w2c_eltorito_map(w2c_media *m);
/* A directory made by `win2cloud unpack` (media_dir.c): tree read in place,
 * the rest from DIR/.win2cloud/media.json. */
w2c_code w2c_dir_load(w2c_media *m, w2c_error *err);
/* Parse media.json text into @m (volume ids, boot entries); *@files_by_path
 * maps "/a/b" to its "files" record.  Split out for the fuzzer. */
struct json_t;
w2c_code w2c_dir_manifest_parse(w2c_media *m, const char *text, size_t len, const char *file,
				struct json_t **files_by_path, w2c_error *err);
/* Copy [off, off+len) of the image to the current position of @out in the
 * kernel (w2c_copy_range); @step hears of every chunk and stops the copy by
 * returning an error (unpack.c). */
w2c_code w2c_media_copy_out(w2c_media *m, uint64_t off, uint64_t len, int out, const char *path,
			    w2c_code (*step)(void *user, uint64_t n), void *user, w2c_error *err);
/* Copy the image-extent file @n (from n->image when it was placed from another
 * image) to @fd the same way; unrecorded extents become holes (unpack.c). */
w2c_code w2c_media_copy_node(w2c_media *m, const w2c_node *n, int fd, const char *path,
			     w2c_code (*step)(void *user, uint64_t n), void *user, w2c_error *err);
/* Trees: UDF through libudf, ISO 9660/Joliet/RR through libisofs. */
w2c_code w2c_udf_load(w2c_media *m, w2c_error *err);
w2c_code w2c_iso_load(w2c_media *m, enum w2c_fs which, w2c_error *err);
/* Rock Ridge presence needs a libisofs import; 1 yes, 0 no, <0 unreadable. */
int w2c_iso_has_rockridge(w2c_media *m);
/* WIM headers and XML (wimxml.c). */
w2c_code w2c_wims_read(w2c_media *m, w2c_error *err);
void w2c_wims_free(w2c_media *m);
/* Parse a WIM XML document (UTF-16LE with BOM or UTF-8) into @out. */
w2c_code w2c_wimxml_parse(const uint8_t *xml, size_t len, const char *file,
			  w2c_wim_info *out, w2c_error *err);

#endif
