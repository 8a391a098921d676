/*
 * win2cloud/inject.h - the inject stage in one call: drivers for every
 * edition of a Windows ISO placed under $WinPEDriver$ (and, by level, serviced
 * into install.wim and boot.wim), an optional answer file, and a new ISO.
 *
 * w2c_inject() runs what `win2cloud inject` does, in this order: open the
 * driver sources into a catalog, open the ISO, pick the editions, select per
 * edition the package folder whose INF accepts its arch and build, refuse an
 * edition lacking a boot-critical driver, service the WIMs (levels image and
 * boot), place the packages and the manifest, put the answer file at the
 * media root and lint it there, build the ISO (with its .sha256) and write
 * the manifest next to it.  Nothing is written unless every step before the
 * build succeeded.  The library never prints: progress and log lines go to
 * the callbacks of the options.
 */
#ifndef WIN2CLOUD_INJECT_H
#define WIN2CLOUD_INJECT_H

#include "win2cloud.h"
#include "win2cloud/build.h"
#include "win2cloud/drivers.h"
#include "win2cloud/media.h"
#include "win2cloud/service.h"
#include "win2cloud/unattend.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Where the drivers go; a set (OR them).  None set means W2C_INJECT_MEDIA. */
enum w2c_inject_level {
	W2C_INJECT_MEDIA = 1u << 0,  /**< the medium's $WinPEDriver$ (Setup loads them) */
	W2C_INJECT_IMAGE = 1u << 1,  /**< offline servicing of every selected edition's WIM */
	W2C_INJECT_BOOT = 1u << 2,   /**< the storage driver into boot.wim's boot image */
};

/** The answer file value of w2c_inject_options.unattend that generates a new one. */
#define W2C_INJECT_UNATTEND_GENERATE "generate"

typedef struct w2c_inject_options {
	const char *const *drivers;   /**< driver sources: virtio-win ISO or directories */
	size_t n_drivers;             /**< at least one */
	const char *const *wanted;    /**< NULL-terminated driver names; NULL = default set,
				       *   a lone "*" = every driver found */
	const char *const *editions;  /**< editions to cover, index or name; none = all */
	size_t n_editions;
	unsigned levels;              /**< enum w2c_inject_level bits; 0 = media */
	enum w2c_large_files large_files; /**< a WIM/ESD of 4 GiB or more: split or multi-extent */
	unsigned filesystems;    /**< enum w2c_fs bits to write; 0 = UDF plus the source's trees */
	bool udf_only;           /**< Microsoft's layout: README stub on ISO 9660, all in UDF */
	unsigned udf_revision;   /**< BCD, 0x0102 (default) or 0x0201 */
	/** NULL: no answer file; W2C_INJECT_UNATTEND_GENERATE: a new one; else the path
	 * of the user's answer file to merge.  Needs the media level (its
	 * DriverPaths point at $WinPEDriver$). */
	const char *unattend;
	/** Answer-file settings (copied; the password and product key are never
	 * logged).  NULL = w2c_unattend_options_init() defaults.  DriverPaths are
	 * always set; a single edition also selects the image the file installs
	 * unless image_index/image_name is set; a generated file's arch is the
	 * first edition's unless arch is set. */
	const w2c_unattend_options *answer;
	bool firmware_set;            /**< answer->firmware was chosen: lint checks the layout */
	bool cloud_set;               /**< answer->cloud was chosen: lint checks InstallTo and a
				       *   merge rewrites the DiskID */
	const w2c_progress *progress; /**< servicing and build progress; may stop the run */
	const w2c_logger *log;
} w2c_inject_options;

/** What w2c_inject did; fields are filled as far as the run got. */
typedef struct w2c_inject_result {
	/** Per edition: the drivers chosen (placed at the media level) or why none. */
	w2c_edition_selection *selections;
	size_t n_selections;
	size_t missing;               /**< editions lacking a boot-critical driver */
	/** The serviced WIMs (levels image and boot), else NULL; see service.h. */
	w2c_service *service;
	char *manifest;               /**< the manifest text at W2C_DRIVERS_MANIFEST */
	char *manifest_path;          /**< the copy written next to the output: OUT.drivers.json */
	bool answer_file;             /**< an answer file was put at the media root */
	bool answer_replaced;         /**< ... replacing one the source medium had (set once it
				       *   passed lint there) */
	bool private_image;           /**< the answer file holds a password: OUT is mode 0600 */
	w2c_lint_report lint;         /**< the answer file's lint on the new medium */
	bool built;                   /**< the ISO and its .sha256 were written */
	w2c_build_result build;       /**< valid when built */
	/* private: the selections point into these; freed by w2c_inject_result_free */
	w2c_media *media_;
	w2c_driver_catalog *catalog_;
} w2c_inject_result;

/**
 * Inject drivers (and an answer file) into the Windows ISO @iso and write
 * the new image @out (never @iso), with "@out.sha256" and the manifest copy
 * "@out.drivers.json", all three committed together (on any failure the
 * previous ones stay as they were); a bad @out is W2C_ERR_USAGE before any
 * work (w2c_build_check_output); an @out whose answer file holds a password
 * is written mode 0600 (@res->private_image).  Re-running on an injected ISO replaces the earlier
 * additions instead of stacking them.  Errors: W2C_ERR_VIOLATIONS when an
 * edition lacks a boot-critical driver (viostor, vioscsi; @res->selections
 * say which) or the answer file has lint errors on the new medium
 * (@res->lint); W2C_ERR_INVALID_INPUT for a driver source, INF, answer file,
 * WIM or hive that cannot be read or serviced; W2C_ERR_USAGE for options
 * that contradict each other or editions that match nothing;
 * W2C_ERR_INTERRUPTED when the progress callback asked to stop.  In every
 * case @res holds what was done so far: free it with w2c_inject_result_free.
 */
W2C_API w2c_code w2c_inject(const char *iso, const char *out, const w2c_inject_options *o,
		    w2c_inject_result *res, w2c_error *err);
W2C_API void w2c_inject_result_free(w2c_inject_result *res);

#ifdef __cplusplus
}
#endif
#endif
