/*
 * win2cloud/build.h - writing a bootable ISO from a media tree.
 *
 * The tree (from w2c_media_open, possibly edited) is handed to libisofs; every
 * file's data is streamed from its source (extents in the source image, a
 * local file, memory) by a libisofs stream of our own, so nothing is
 * extracted.  The output is ISO 9660 level 3 + Joliet (long names), El Torito
 * entries as Microsoft ships them, written to a temporary inode and renamed
 * into place, with its SHA-256 computed while writing.
 */
#ifndef WIN2CLOUD_BUILD_H
#define WIN2CLOUD_BUILD_H

#include "win2cloud.h"
#include "win2cloud/media.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

enum w2c_uefi_image { W2C_UEFI_AS_SOURCE, W2C_UEFI_PROMPT, W2C_UEFI_NOPROMPT };

typedef struct w2c_build_options {
	const char *volume_id;            /**< NULL: keep the source's */
	enum w2c_uefi_image uefi_image;   /**< which efisys image the UEFI entry boots */
	const w2c_progress *progress;
	const w2c_logger *log;
} w2c_build_options;

typedef struct w2c_build_result {
	uint64_t bytes;                   /**< size of the written image */
	char sha256[65];                  /**< hex digest of the image */
	unsigned boot_entries;
} w2c_build_result;

/**
 * Write the tree of @m as a new ISO at @out (refused when it is the source).
 * Writes @out and "@out.sha256" (sha256sum format) only on success.
 */
w2c_code w2c_build_iso(w2c_media *m, const char *out, const w2c_build_options *opts,
		       w2c_build_result *res, w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
