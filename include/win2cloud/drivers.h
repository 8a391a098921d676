/*
 * win2cloud/drivers.h - driver packages: INF parsing, driver sources,
 * selection per Windows edition and placement under $WinPEDriver$.
 *
 * The pipeline is: open one or more sources (a virtio-win ISO, a directory in
 * the virtio-win layout, or any directory of INF packages), scan them into a
 * catalog of parsed packages, select per edition and wanted driver the
 * package folder whose INF really accepts that edition's arch and build, and
 * place the chosen files into a media tree with a JSON manifest.
 */
#ifndef WIN2CLOUD_DRIVERS_H
#define WIN2CLOUD_DRIVERS_H

#include "win2cloud.h"
#include "win2cloud/media.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- raw INF files ---- */

/** One line of an INF section: "key = v1, v2" or just "v1, v2" (key NULL). */
typedef struct w2c_inf_line {
	char *key;      /**< left of '=', unquoted and %string%-substituted, or NULL */
	char **values;  /**< comma-separated fields, unquoted and substituted ("" if empty) */
	size_t n_values;
	unsigned lineno;/**< 1-based line in the file where the logical line starts */
} w2c_inf_line;

typedef struct w2c_inf_section {
	char *name;     /**< as written; look up with w2c_inf_find() (case-insensitive) */
	unsigned lineno;
	w2c_inf_line *lines;
	size_t n_lines, cap_lines;
} w2c_inf_section;

/** Text encodings an INF may come in. */
enum w2c_inf_encoding { W2C_INF_ASCII, W2C_INF_UTF8, W2C_INF_UTF16LE };

typedef struct w2c_inf {
	char *name;                 /**< file name used in messages */
	enum w2c_inf_encoding encoding;
	w2c_inf_section *sections;  /**< in file order; a repeated name is merged */
	size_t n_sections, cap_sections;
	size_t *index_;             /**< private: hash of section names */
	size_t index_cap_;
} w2c_inf;

/**
 * Parse the INF text @data (@len bytes, UTF-16LE with BOM, UTF-8 with or
 * without BOM, or ASCII; CRLF or LF) named @name in messages.  Handles
 * comments, line continuations, quoted strings ("" is a quote), %key%
 * substitution from [Strings] (localized [Strings.xxxx] as fallback) and %%.
 * Unknown %tokens% (e.g. %12%) stay as written.  Errors
 * (W2C_ERR_INVALID_INPUT) say "NAME:LINE: what".
 */
W2C_API w2c_code w2c_inf_parse(const void *data, size_t len, const char *name, w2c_inf **out,
		       w2c_error *err);
W2C_API void w2c_inf_free(w2c_inf *inf);
/** Case-insensitive section lookup; NULL if absent. */
W2C_API const w2c_inf_section *w2c_inf_find(const w2c_inf *inf, const char *name);
/** First line of @sec whose key equals @key (case-insensitive); NULL if absent. */
W2C_API const w2c_inf_line *w2c_inf_key(const w2c_inf_section *sec, const char *key);
/** First value of [@section] @key, or NULL. */
W2C_API const char *w2c_inf_value(const w2c_inf *inf, const char *section, const char *key);

/* ---- target-OS decorations ---- */

/** "NTamd64.10.0...17763" split into fields; absent numbers are 0 with has_* false. */
typedef struct w2c_inf_decoration {
	char arch[16];          /**< "x86", "amd64", "arm64", "ia64", "arm" or "" (plain "NT"/none) */
	unsigned major, minor, product_type, suite_mask, build;
	bool has_major, has_minor, has_product_type, has_build;
} w2c_inf_decoration;

/** Parse @text; W2C_ERR_INVALID_INPUT if it is no NT[arch][.x...] decoration. */
W2C_API w2c_code w2c_inf_decoration_parse(const char *text, w2c_inf_decoration *out, w2c_error *err);

/** What a decoration is matched against. */
typedef struct w2c_target_os {
	const char *arch;       /**< "x86", "amd64", "arm64" */
	unsigned major, minor, build;
	unsigned product_type;  /**< 1 workstation, 2 domain controller, 3 server; 0 unknown */
} w2c_target_os;

/** Why a decoration (or a whole package) does not accept a target. */
enum w2c_os_match {
	W2C_MATCH_OK,
	W2C_MATCH_ARCH,         /**< models only for other architectures */
	W2C_MATCH_VERSION,      /**< needs a newer major.minor */
	W2C_MATCH_BUILD,        /**< needs a newer build */
	W2C_MATCH_PRODUCT,      /**< needs another product type */
};
W2C_API enum w2c_os_match w2c_inf_decoration_accepts(const w2c_inf_decoration *d, const w2c_target_os *os);

/* ---- driver packages ---- */

typedef struct w2c_inf_service {
	char *name;             /**< AddService name */
	unsigned flags;         /**< AddService flags (0x2 = function driver) */
	char *install_section;
	long service_type, start_type, error_control; /**< -1 when absent */
	char *load_order_group; /**< may be NULL */
	char *service_binary;   /**< may be NULL */
	unsigned lineno;
} w2c_inf_service;

typedef struct w2c_inf_model {
	char *description;
	char *install_section;  /**< DDInstall name as written in the models line */
	char *resolved_section; /**< the section it resolves to for this decoration, or NULL */
	char **hardware_ids;    /**< [0] hardware id, then compatible ids */
	size_t n_hardware_ids;
	unsigned lineno;
} w2c_inf_model;

/** One [Manufacturer] entry expanded per decoration: "Models.NTamd64.10.0". */
typedef struct w2c_inf_models {
	char *manufacturer;
	char *section;          /**< models section name */
	w2c_inf_decoration decoration; /**< arch "" (undecorated or plain "NT") = x86 only */
	bool undecorated;
	w2c_inf_model *models;
	size_t n_models;
	unsigned lineno;        /**< line of the [Manufacturer] entry */
} w2c_inf_models;

/** A file the package names and whether it exists in the package. */
typedef struct w2c_inf_file {
	char *name;             /**< path relative to the INF's folder, '/' separated */
	bool present;
	bool catalog;
	unsigned lineno;
} w2c_inf_file;

/** Facts of one INF, independent of where it lives. */
typedef struct w2c_driver_package {
	char *inf_name;
	char *signature, *class_name, *class_guid, *provider;
	char *driver_date;      /**< DriverVer date "mm/dd/yyyy" */
	char *driver_version;   /**< DriverVer version "a.b.c.d" */
	w2c_inf_models *models;
	size_t n_models;
	char **ddinstall;       /**< resolved DDInstall sections, unique */
	size_t n_ddinstall;
	w2c_inf_service *services;
	size_t n_services;
	w2c_inf_file *files;    /**< .cat files first, then CopyFiles/SourceDisksFiles */
	size_t n_files;
	char *broken;           /**< why the package is unusable ("NAME:LINE: ...") or NULL */
} w2c_driver_package;

/** Tells w2c_driver_package_from_inf whether a file exists next to the INF. */
typedef bool (*w2c_file_exists_fn)(void *user, const char *relpath);

/**
 * Extract the package facts from a parsed INF.  @exists (may be NULL: no
 * check) is asked for every file named; missing files, a missing .cat, a
 * [Manufacturer] pointing to an absent section and undefined %strings% in
 * the key fields make the package broken (->broken set), which is not an
 * error of this call.  Fails only when out of memory.
 */
W2C_API w2c_code w2c_driver_package_from_inf(const w2c_inf *inf, w2c_file_exists_fn exists, void *user,
				     w2c_driver_package **out, w2c_error *err);
W2C_API void w2c_driver_package_free(w2c_driver_package *p);
/** Does the package have models for @os?  Best matching decoration in *@best (may be NULL). */
W2C_API enum w2c_os_match w2c_driver_package_accepts(const w2c_driver_package *p, const w2c_target_os *os,
					     const w2c_inf_models **best);

/* ---- driver sources ---- */

/**
 * A place driver files come from, behind a small table of functions (a
 * local directory, an ISO read in place).  Paths are relative, '/'
 * separated, without a leading slash.
 */
typedef struct w2c_driver_source w2c_driver_source;

/**
 * Open @path: a directory (virtio-win layout or any folder of INF packages)
 * or an ISO image (read through w2c_media_open).  Anything else is
 * W2C_ERR_INVALID_INPUT naming @path.
 */
W2C_API w2c_code w2c_driver_source_open(const char *path, const w2c_logger *log, w2c_driver_source **out,
				w2c_error *err);
/**
 * A source over the folder @dir of the open medium @m (borrowed: it must
 * outlive the source), e.g. "/$WinPEDriver$" of an injected ISO, to find what
 * was placed there.  W2C_ERR_NOT_FOUND when @dir is no folder of @m.
 */
W2C_API w2c_code w2c_driver_source_from_media(w2c_media *m, const char *dir, w2c_driver_source **out,
				      w2c_error *err);
W2C_API void w2c_driver_source_free(w2c_driver_source *s);
W2C_API const char *w2c_driver_source_path(const w2c_driver_source *s);
/** "directory", "iso" or "iso-folder" (w2c_driver_source_from_media). */
W2C_API const char *w2c_driver_source_kind(const w2c_driver_source *s);
/** Read the whole file @rel (at most @max bytes) into a new NUL-terminated buffer. */
W2C_API w2c_code w2c_driver_source_read(w2c_driver_source *s, const char *rel, size_t max, uint8_t **data,
				size_t *len, w2c_error *err);
/** Local file path of @rel for in-place use, or NULL (ISO sources). Caller frees. */
W2C_API char *w2c_driver_source_local_path(const w2c_driver_source *s, const char *rel);

/* ---- catalog ---- */

/** A package found in a source, with where it sits. */
typedef struct w2c_driver_entry {
	w2c_driver_source *source;
	char *dir;              /**< folder of the INF in the source ("" = root) */
	char *inf;              /**< INF path in the source */
	char *driver;           /**< driver name: virtio-win folder, else INF base name */
	char *os_folder;        /**< virtio-win OS folder ("2k19") or NULL */
	char *arch_folder;      /**< "amd64", "x86", "ARM64"... or NULL */
	bool shortcut;          /**< from the amd64/<os>/ or i386/<os>/ convenience tree */
	char inf_sha256[65];
	w2c_driver_package *pkg;
} w2c_driver_entry;

typedef struct w2c_driver_catalog {
	w2c_driver_source **sources;
	size_t n_sources;
	w2c_driver_entry *entries;
	size_t n_entries, cap_entries;
} w2c_driver_catalog;

W2C_API w2c_driver_catalog *w2c_driver_catalog_new(void);
/**
 * Scan every INF of @src (the catalog takes ownership of @src).  An INF that
 * does not parse is an error naming file and line.  Excluded by design:
 * sriov/, vioprot.*, and files that are no INF.
 */
W2C_API w2c_code w2c_driver_catalog_add(w2c_driver_catalog *c, w2c_driver_source *src, w2c_error *err);
W2C_API void w2c_driver_catalog_free(w2c_driver_catalog *c);

/* ---- selection ---- */

/** Why a driver has no package for an edition. */
enum w2c_select_reason {
	W2C_SEL_CHOSEN,
	W2C_SEL_NO_FOLDER,      /**< no package of that driver for this OS folder (or its fallbacks) */
	W2C_SEL_ARCH_MISMATCH,  /**< only packages for other architectures */
	W2C_SEL_DECORATION,     /**< INF decorations exclude this version/build */
	W2C_SEL_BROKEN,         /**< package names files that are missing */
	W2C_SEL_DENIED,         /**< on the deny-list */
};
W2C_API const char *w2c_select_reason_name(enum w2c_select_reason r);

/** A deny-list entry: driver name, optional exact version and OS folder ("*"/NULL = any). */
typedef struct w2c_driver_deny {
	const char *driver, *version, *os_folder, *why;
} w2c_driver_deny;

/** Built-in deny-list (data; terminated by a NULL driver). */
W2C_API const w2c_driver_deny *w2c_driver_default_denylist(void);
/** Default wanted set, NULL-terminated: viostor vioscsi NetKVM Balloon ... */
W2C_API const char *const *w2c_driver_default_wanted(void);
/** True for viostor and vioscsi. */
W2C_API bool w2c_driver_is_boot_critical(const char *driver);

/** virtio-win OS folder for an edition (from a data table); per-driver fallbacks are added at selection. */
typedef struct w2c_os_folders {
	const char *folders[8];
	size_t n;
	const char *arch_folder;    /**< "amd64", "x86", "ARM64" */
	const char *shortcut_arch;  /**< "amd64", "i386", NULL */
	w2c_target_os os;
} w2c_os_folders;

/** Map an edition to folders; W2C_ERR_UNSUPPORTED when arch or version is unknown. */
W2C_API w2c_code w2c_os_folders_for(const w2c_edition *e, w2c_os_folders *out, w2c_error *err);

/** One coverage cell: edition x driver. */
typedef struct w2c_driver_choice {
	const char *driver;             /**< wanted name as given */
	enum w2c_select_reason reason;
	char detail[256];               /**< why none, or the decoration matched */
	const w2c_driver_entry **entries; /**< chosen packages (same folder), when CHOSEN */
	size_t n_entries;
	const char *folder;             /**< chosen OS folder (or NULL for non-layout) */
} w2c_driver_choice;

typedef struct w2c_edition_selection {
	const w2c_edition *edition;
	w2c_os_folders folders;
	bool supported;                 /**< false: no folder mapping (detail in choices) */
	w2c_driver_choice *choices;
	size_t n_choices;
	bool missing_boot_critical;
} w2c_edition_selection;

typedef struct w2c_select_options {
	const char *const *wanted;      /**< NULL = default set; "*" = every driver found */
	const w2c_driver_deny *deny;    /**< NULL = default deny-list */
} w2c_select_options;

/** Select for one edition; fills @out (free with w2c_edition_selection_clear). */
W2C_API w2c_code w2c_driver_select(const w2c_driver_catalog *c, const w2c_edition *e,
			   const w2c_select_options *opts, w2c_edition_selection *out,
			   w2c_error *err);
W2C_API void w2c_edition_selection_clear(w2c_edition_selection *s);

/* ---- catalog, editions and selection in one go (drivers --for, inject) ---- */

/**
 * A new catalog over every source path in @paths[0..n) (w2c_driver_source_open
 * then w2c_driver_catalog_add each); on error nothing is kept.
 */
W2C_API w2c_code w2c_driver_catalog_open(const char *const *paths, size_t n, const w2c_logger *log,
				 w2c_driver_catalog **out, w2c_error *err);

/**
 * The editions of @m that @want[0..n) names (each an index like "3" or an
 * edition's name or display name, case-insensitive); all of them when @n is 0.
 * *@out is a new NULL-terminated array (caller frees; the editions belong to
 * @m).  W2C_ERR_USAGE when none matches, W2C_ERR_INVALID_INPUT when @m has no
 * install.wim/esd editions at all.
 */
W2C_API w2c_code w2c_editions_pick(w2c_media *m, const char *const *want, size_t n,
			   const w2c_edition ***out, w2c_error *err);

/**
 * w2c_driver_select for every edition of the NULL-terminated @eds: *@out gets
 * a new array of *@n selections (free with w2c_selections_free).
 */
W2C_API w2c_code w2c_driver_select_all(const w2c_driver_catalog *c, const w2c_edition *const *eds,
			       const w2c_select_options *opts, w2c_edition_selection **out,
			       size_t *n, w2c_error *err);
/** Clear each of @sel[0..n) and free the array. */
W2C_API void w2c_selections_free(w2c_edition_selection *sel, size_t n);
/** How many of @sel[0..n) lack a boot-critical driver (missing_boot_critical). */
W2C_API size_t w2c_selections_missing(const w2c_edition_selection *sel, size_t n);
/**
 * The report of what @s lacks: one line per boot-critical driver not chosen,
 * "edition 2 (NAME): boot-critical driver vioscsi: no-folder (DETAIL)", the
 * lines separated by '\n' in @buf (NUL-terminated, cut to @len).  Returns the
 * number of lines (0 when nothing is missing).
 */
W2C_API size_t w2c_selection_missing_text(const w2c_edition_selection *s, char *buf, size_t len);

/** The coverage of one medium's editions by a catalog (drivers --for ISO). */
typedef struct w2c_driver_coverage {
	w2c_media *media;               /**< the opened medium; the editions point into it */
	w2c_edition_selection *sel;     /**< one per chosen edition, in media order */
	size_t n;
	size_t missing;                 /**< editions lacking a boot-critical driver */
} w2c_driver_coverage;

/**
 * Open the medium @iso (logging to @log), pick the editions @editions[0..n_editions)
 * names (w2c_editions_pick) and select the @wanted drivers (NULL = default
 * set) of @c for each.  Editions lacking a boot-critical driver are counted in
 * @out->missing, which is no error of this call.  Free with
 * w2c_driver_coverage_free (before @c).
 */
W2C_API w2c_code w2c_driver_coverage_of(const w2c_driver_catalog *c, const char *iso,
				const char *const *editions, size_t n_editions,
				const char *const *wanted, const w2c_logger *log,
				w2c_driver_coverage *out, w2c_error *err);
W2C_API void w2c_driver_coverage_free(w2c_driver_coverage *cov);

/* ---- placement ---- */

/** Name of our manifest in the media tree. */
#define W2C_DRIVERS_MANIFEST "/$WinPEDriver$/win2cloud-drivers.json"

/**
 * The text of the manifest in the tree @root, whose files are on medium @m
 * (NULL when every node is local or in memory): *@text (NUL-terminated,
 * caller frees) and *@len.  W2C_ERR_NOT_FOUND when there is none;
 * W2C_ERR_INVALID_INPUT when it is over 4 MiB.
 */
W2C_API w2c_code w2c_drivers_manifest_read(w2c_media *m, const w2c_node *root, char **text, size_t *len,
				   w2c_error *err);

/**
 * Remove what an earlier run placed (w2c_drivers_remove_previous), then place
 * the chosen packages of @sel[0..n) under "$WinPEDriver$/<driver>/<folder>/"
 * (one subfolder per source folder, e.g. "viostor/2k19_amd64", so editions
 * needing different folders each get theirs and Setup picks by decoration),
 * and write W2C_DRIVERS_MANIFEST (package, version, INF sha256, editions,
 * every path added, the coverage).  Files of directory sources are
 * referenced in place, files of ISO sources by their extents in that ISO
 * (w2c_tree_put_image): the catalog, which keeps those ISOs open, must
 * outlive the build of @root, and memory does not grow with the driver
 * set.  @m (may be
 * NULL) is the medium @root came from, to read an earlier manifest.
 * *@manifest_json (may be NULL) receives the manifest text (caller frees).
 */
W2C_API w2c_code w2c_drivers_place(w2c_media *m, w2c_node *root, const w2c_edition_selection *sel,
			   size_t n, char **manifest_json, w2c_error *err);

/**
 * As w2c_drivers_place, with the levels of inject: @media false places no
 * packages (the manifest still records the coverage); @images_json (may be
 * NULL) is w2c_service_json()'s report, kept as "images", and the WIMs it
 * names as "serviced" (verify's intended edits).
 */
W2C_API w2c_code w2c_drivers_place_levels(w2c_media *m, w2c_node *root, const w2c_edition_selection *sel,
				  size_t n, bool media, const char *images_json, char **manifest_json,
				  w2c_error *err);

/**
 * Remove our earlier additions from @root: every path the manifest found at
 * W2C_DRIVERS_MANIFEST names under $WinPEDriver$, directories left empty,
 * and the manifest.  No manifest: nothing is done.  *@removed (may be NULL)
 * gets the number of files removed.
 */
W2C_API w2c_code w2c_drivers_remove_previous(w2c_media *m, w2c_node *root, size_t *removed,
				     w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
