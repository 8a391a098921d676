/*
 * win2cloud/build.h - writing a bootable ISO from a media tree.
 *
 * The tree (from w2c_media_open, possibly edited) is handed to libisofs; every
 * file's data is streamed from its source (extents in the source image, a
 * local file, memory) by a libisofs stream of our own, so nothing is
 * extracted.  The output is UDF (1.02 by default) beside ISO 9660 level 3 +
 * Joliet (long names), every tree sharing one copy of each file's data, El
 * Torito entries as Microsoft ships them, written to a temporary inode and
 * renamed into place, with its SHA-256 computed while writing.
 */
#ifndef WIN2CLOUD_BUILD_H
#define WIN2CLOUD_BUILD_H

#include "win2cloud.h"
#include "win2cloud/media.h"
#include "win2cloud/udf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum w2c_uefi_image { W2C_UEFI_AS_SOURCE, W2C_UEFI_PROMPT, W2C_UEFI_NOPROMPT };

/** Files too big for one ISO 9660 extent (about 4 GiB). */
enum w2c_large_files {
	W2C_LARGE_AUTO,         /**< kept whole when UDF is written, else split */
	W2C_LARGE_SPLIT,        /**< a WIM/ESD becomes NAME.swm, NAME2.swm, ... (wimlib_split) */
	W2C_LARGE_MULTI_EXTENT, /**< kept whole (UDF, and ISO level 3 multi-extent) */
};

/** A file written beside the image and committed with it ("@out" + @suffix). */
typedef struct w2c_build_sidecar {
	const char *suffix;               /**< e.g. ".drivers.json" */
	const char *data;
	size_t len;
} w2c_build_sidecar;

typedef struct w2c_build_options {
	const char *volume_id;            /**< NULL: keep the source's; at most 32 characters */
	enum w2c_uefi_image uefi_image;   /**< which efisys image the UEFI entry boots */
	enum w2c_large_files large_files;
	/** enum w2c_fs bits of the trees to write (W2C_FS_ISO9660 always is);
	 * 0: UDF plus the ISO 9660/Joliet trees the source had. */
	unsigned filesystems;
	/** Microsoft's layout: every file in UDF only, ISO 9660 holds a
	 * README.TXT saying so, no Joliet. */
	bool udf_only;
	/** UDF revision as BCD: 0x0102 (0: the default) or 0x0201. */
	unsigned udf_revision;
	/** Scratch directory for splitting a WIM held in the source image (it is
	 * staged to a file first); NULL: the output's directory, else $TMPDIR. */
	const char *tmpdir;
	const w2c_progress *progress;
	const w2c_logger *log;
	/** Committed with the image and "@out.sha256": all appear together or
	 * none does (w2c_outgroup_commit). */
	const w2c_build_sidecar *sidecars;
	size_t n_sidecars;
	/** Owner-only (0600) image, for one that holds a secret (an answer file
	 * with the Administrator password); default 0644. */
	bool private_image;
} w2c_build_options;

#define W2C_BUILD_MAX_NOTES 8

typedef struct w2c_build_result {
	uint64_t bytes;                   /**< size of the written image */
	char sha256[65];                  /**< hex digest of the image */
	unsigned boot_entries;
	char volume_id[33];               /**< as written to the ISO 9660 descriptor */
	char joliet_volume_id[49];        /**< as written to Joliet: 16 characters at most (UTF-8) */
	unsigned split_files;             /**< WIMs replaced by .swm parts */
	unsigned filesystems;             /**< enum w2c_fs bits written */
	unsigned udf_revision;            /**< BCD, 0 without UDF */
	/** What the build changed or could not keep (a truncated Joliet volume
	 * id, a split WIM, an unusual boot entry), one sentence each. */
	char notes[W2C_BUILD_MAX_NOTES][256];
	unsigned n_notes;
} w2c_build_result;

/**
 * Check @out and its sidecars ("@out.sha256" and those of @opts, may be
 * NULL) before any work (W2C_ERR_USAGE, naming what is wrong): not empty,
 * not a directory, its directory exists and is writable, and an existing
 * file is a writable regular file.  w2c_build_iso() calls it first; callers
 * that do other work before the build (inject) call it earlier too.
 */
W2C_API w2c_code w2c_build_check_output(const char *out, const w2c_build_options *opts,
					 w2c_error *err);

/**
 * Check one --add ISO_PATH=FILE edit before it is applied (W2C_ERR_USAGE):
 * ISO_PATH is absolute, has no "." or ".." component, is not a directory
 * of @root (a file cannot replace a directory), and FILE is a readable
 * regular file.
 */
W2C_API w2c_code w2c_build_check_add(const w2c_node *root, const char *iso_path,
				      const char *file, w2c_error *err);

/**
 * Write the tree of @m as a new ISO at @out.  Refused (W2C_ERR_USAGE) when
 * @out is the source image or one of the files the tree reads, and
 * (W2C_ERR_NO_SPACE) when its file system lacks room for the image.
 * Writes @out, "@out.sha256" (sha256sum format) and the sidecars of @opts
 * only on success, all together; on failure the previous files stay as
 * they were.
 */
W2C_API w2c_code w2c_build_iso(w2c_media *m, const char *out, const w2c_build_options *opts,
		       w2c_build_result *res, w2c_error *err);

/** One edit of the tree before the build, in the order given. */
typedef struct w2c_tree_edit {
	bool remove;            /**< remove @path (a file or a whole directory) */
	const char *path;       /**< path on the medium, "/sources/x.wim" */
	const char *local;      /**< add or replace @path with this local file (not for remove) */
} w2c_tree_edit;

/**
 * The `build` stage in one call: open @src (an ISO or a directory made by
 * w2c_media_unpack; WIM metadata is not read), apply @edits[0..n_edits) to its
 * tree (w2c_tree_remove, w2c_tree_put_local), and w2c_build_iso to @out.
 * Nothing is written when an edit fails (W2C_ERR_NOT_FOUND for a path to
 * remove that is not there, the error of the local file for an add).
 */
W2C_API w2c_code w2c_build(const char *src, const char *out, const w2c_tree_edit *edits, size_t n_edits,
		   const w2c_build_options *opts, w2c_build_result *res, w2c_error *err);

/**
 * Parse a --filesystems list ("udf,iso9660,joliet", any order, case
 * ignored) into enum w2c_fs bits.  ISO 9660 is always written (El Torito
 * lives in it), so a list without it is refused, as is an unknown name.
 */
W2C_API w2c_code w2c_build_parse_filesystems(const char *list, unsigned *fs, w2c_error *err);

/** Parse a --udf-revision value ("1.02" or "2.01") into BCD. */
W2C_API w2c_code w2c_build_parse_udf_revision(const char *s, unsigned *rev, w2c_error *err);


#ifdef __cplusplus
}
#endif
#endif
