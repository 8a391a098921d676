/* The UDF writer as build.c drives it (udf_write.c). */
#ifndef W2C_INJECT_BUILD_UDF_WRITE_H
#define W2C_INJECT_BUILD_UDF_WRITE_H

#include "udf_int.h"

#include <libisofs/libisofs.h>

/* Lay out the UDF tree of @root (without @skip) before libisofs lays out
 * its session; u->head_blocks is then where the session must start. */
w2c_code w2c_udf_prepare(w2c_udf *u, const w2c_node *root, const w2c_node *skip,
			 const w2c_build_options *o, const char *label, const char *out,
			 w2c_error *err);
/* Once iso_image_create_burn_source() has laid out @session_bytes: predict
 * every file's data block and build the head (blocks 0..N-1) from
 * libisofs's @overwrite buffer (64 KiB).  @before: blocks of files the
 * build placed between the catalog and ours (the README of --udf-only). */
w2c_code w2c_udf_place(w2c_udf *u, IsoWriteOpts *wo, const uint8_t *overwrite, uint32_t before,
		       uint64_t session_bytes, w2c_error *err);
/* @len bytes of the image from block @lba pass to the disk: check that the
 * files predicted there are there, put the anchors of the tail in. */
w2c_code w2c_udf_passing(w2c_udf *u, uint64_t lba, uint8_t *buf, size_t len, w2c_error *err);
/* After the last block: every file was where it was expected. */
w2c_code w2c_udf_all_checked(const w2c_udf *u, w2c_error *err);

/* --udf-only: the hidden ISO root name of entry @i's data ("W2C0000012"),
 * and its path for El Torito (NULL when @n is no entry or out of memory). */
void w2c_udf_flat_name(char *buf, size_t len, size_t i);
char *w2c_udf_flat_path(const w2c_udf *u, const w2c_node *n);
/* --udf-only: README.TXT, the ISO 9660 tree's only file, as on Microsoft's
 * media; one block, sort weight @weight (before the files, after the
 * catalog: a file of no UDF tree at the end made 7-Zip report a header error). */
w2c_code w2c_udf_readme(IsoImage *img, int weight, w2c_error *err);

#endif
