/* Internal pieces of the ISO writer shared by build.c, build_boot.c and build_split.c. */
#ifndef W2C_INJECT_BUILD_INT_H
#define W2C_INJECT_BUILD_INT_H

#include "win2cloud/build.h"
#include "win2cloud/media.h"
#include "common/util.h"
#include "common/endian.h"

#include <libisofs/libisofs.h>

/* Files above this are written as several ISO 9660 extents (libisofs's limit). */
#define W2C_ISO_EXTENT_MAX 0xFFFFF800ull

/* An IsoStream over @n's data.  With @n NULL the stream owns a node of its
 * own: an extent of the image (@local NULL) or the local file @local. */
IsoStream *w2c_node_stream(w2c_media *m, const w2c_node *n, uint64_t off, uint64_t size,
			   const char *local);

/* Append a line to the result's notes (what the build changed or could not keep). */
void w2c_build_note(w2c_build_result *res, const w2c_logger *log, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

w2c_code w2c_build_lerr(w2c_error *err, int r, const char *what, const char *path);

/* Hashing and writing the image on threads of their own, O_DIRECT where
 * possible (build_write.c).  Fill w2c_writeq_buffer() (NULL once a write
 * failed) with up to W2C_WRITE_CHUNK bytes, w2c_writeq_submit() them;
 * w2c_writeq_finish() drains the queue, gives the SHA-256 of all that was
 * submitted and returns the first write error. */
#define W2C_WRITE_CHUNK (1u << 20)
struct w2c_writeq;
w2c_code w2c_writeq_start(struct w2c_writeq **q, int fd, const char *path, w2c_error *err);
uint8_t *w2c_writeq_buffer(struct w2c_writeq *q);
void w2c_writeq_submit(struct w2c_writeq *q, size_t len);
w2c_code w2c_writeq_finish(struct w2c_writeq *q, char sha256[65], w2c_error *err);

/* El Torito entries from the source's catalog (build_boot.c).  The source's
 * catalog, when it is a visible file, is replaced by the new one. */
const w2c_node *w2c_build_old_catalog(w2c_media *m);
/* With UDF, @u names its layout: an image that is no file of the tree gets
 * sort weight @weight (before every UDF file) and its blocks are added to
 * *@extra_blocks; @flat (--udf-only): the boot images are the hidden files
 * named by w2c_udf_flat_name() in the layout's order. */
struct w2c_udf;
typedef struct w2c_boot_udf {
	const struct w2c_udf *u;
	bool flat;
	int weight;
	uint32_t extra_blocks;
} w2c_boot_udf;
w2c_code w2c_build_boot(w2c_media *m, IsoImage *img, w2c_boot_udf *bu,
			const w2c_build_options *o, w2c_build_result *res, w2c_error *err);

/* Large WIMs replaced by split parts for the time of one build (build_split.c). */
typedef struct w2c_split {
	struct w2c_split_job *jobs;
	size_t n_jobs;
} w2c_split;

w2c_code w2c_split_large(w2c_media *m, const char *out, const w2c_build_options *o,
			 w2c_split *s, w2c_build_result *res, w2c_error *err);
/* Put the tree back as it was and close the parts. */
void w2c_split_undo(w2c_split *s);

#endif
