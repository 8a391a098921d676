/*
 * win2cloud/check.h - the cloud's constraints, verified before upload.
 *
 * One rule engine: every rule has a stable id ("disk.size.min"), a default
 * severity and a fix.  A profile ("otc", "huaweicloud", "openstack") selects
 * the rules and carries the limits as data; a JSON override file can change
 * limits, lists and severities.  Checks append findings to a report; a
 * finding names the value found and the limit.  Checks return
 * W2C_ERR_INVALID_INPUT only when the input cannot be read at all (a
 * violation is a finding, not an error).
 *
 * Disk image headers are parsed here (one module per format behind a small
 * table of functions); the optional deep check uses libguestfs.
 */
#ifndef WIN2CLOUD_CHECK_H
#define WIN2CLOUD_CHECK_H

#include "win2cloud.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum w2c_check_severity { W2C_CHECK_INFO, W2C_CHECK_WARNING, W2C_CHECK_ERROR, W2C_CHECK_OFF };
enum w2c_status { W2C_STATUS_PASS, W2C_STATUS_FAIL, W2C_STATUS_SKIP };

/** Limits and lists of a profile (sizes in bytes; "GB" in the cloud's docs is GiB). */
typedef struct w2c_check_limits {
	uint64_t import_max;      /**< direct import file size (OTC 128 GiB) */
	uint64_t fast_import_max; /**< RAW/ZVHD2 quick import (OTC 1 TiB); 0 = no fast path */
	uint64_t iso_max;         /**< ISO file size */
	unsigned min_disk_min;    /**< GiB (OTC console 40) */
	unsigned min_disk_max;    /**< GiB (OTC 1024); 0 = no upper limit */
	char **formats;           /**< allowed disk formats, NULL-terminated */
	char **os_versions;       /**< allowed os_version strings, NULL-terminated (may be empty) */
	char **agents;            /**< service names that count as the cloud's agent */
	const char *firmware;     /**< "bios" (default) or "uefi" */
} w2c_check_limits;

typedef struct w2c_check_profile w2c_check_profile;

/**
 * Load profile @name ("otc", "huaweicloud", "openstack") and apply the JSON
 * override file @override_path (may be NULL):
 * {"limits": {"import_max_gib": N, "fast_import_max_gib": N, "iso_max_gib": N,
 *  "min_disk_min": N, "min_disk_max": N}, "formats": [...], "os_versions": [...],
 *  "agents": [...], "severity": {"rule.id": "error"|"warning"|"info"|"off"}}.
 * Unknown keys or rule ids are W2C_ERR_INVALID_INPUT naming the key.
 */
W2C_API w2c_code w2c_check_profile_load(const char *name, const char *override_path,
				w2c_check_profile **out, w2c_error *err);
W2C_API void w2c_check_profile_free(w2c_check_profile *p);
W2C_API const char *w2c_check_profile_name(const w2c_check_profile *p);
W2C_API const w2c_check_limits *w2c_check_profile_limits(const w2c_check_profile *p);
/** Effective severity of @rule_id in @p; W2C_CHECK_OFF when not selected. */
W2C_API enum w2c_check_severity w2c_check_rule_severity(const w2c_check_profile *p, const char *rule_id);

/** One rule of the engine (static data). */
typedef struct w2c_rule {
	const char *id;
	enum w2c_check_severity severity; /**< default */
	unsigned profiles;          /**< bit mask: 1 otc, 2 huaweicloud, 4 openstack */
	const char *title;
	const char *fix;            /**< default fix text */
} w2c_rule;
/** The rule table, @n receives its length. */
W2C_API const w2c_rule *w2c_rules(size_t *n);

/** One result of one rule on one subject. */
typedef struct w2c_check_finding {
	const char *rule;           /**< stable id from w2c_rules() */
	enum w2c_status status;
	enum w2c_check_severity severity; /**< effective, from the profile */
	char *subject;              /**< file or parameter checked */
	char *message;              /**< value found and limit */
	char *fix;                  /**< NULL unless failed */
} w2c_check_finding;

typedef struct w2c_check_report w2c_check_report;

W2C_API w2c_check_report *w2c_check_report_new(const w2c_check_profile *p);
W2C_API void w2c_check_report_free(w2c_check_report *r);
W2C_API size_t w2c_check_report_count(const w2c_check_report *r);
W2C_API const w2c_check_finding *w2c_check_report_get(const w2c_check_report *r, size_t i);
/** Count failed findings per severity, passes and skips. */
W2C_API void w2c_check_report_summary(const w2c_check_report *r, unsigned *errors, unsigned *warnings,
			      unsigned *infos, unsigned *passed, unsigned *skipped);
/**
 * Record a finding.  Rules the profile switched off are dropped; @fix NULL
 * uses the rule's default fix.  Unknown rule ids are a bug (W2C_ERR_INTERNAL).
 */
W2C_API w2c_code w2c_check_add(w2c_check_report *r, const char *rule, enum w2c_status st,
		       const char *subject, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* ---- disk image headers ---- */

/** What the header of a disk image says (never the file name). */
typedef struct w2c_disk_info {
	const char *format;       /**< "qcow2", "qcow", "qed", "vhd", "vhdx", "vmdk", "vdi", "raw" */
	/** "fixed", "dynamic", "monolithicSparse", "v3", ...; raw: "mbr", "gpt"
	 * (protective MBR, type 0xEE), "blank" or "luks" */
	char subformat[32];
	uint64_t file_size;
	uint64_t virtual_size;    /**< bytes */
	bool encrypted;
	char encryption[16];      /**< "aes", "luks" or "" */
	char backing_file[512];   /**< "" when none */
	/** A VMDK descriptor file (monolithicFlat, ...): its data lives in extent
	 * files; the first one as named (relative to the descriptor), its type
	 * (FLAT, SPARSE, ...) and size in bytes, and how many there are. */
	char extent_file[256];
	char extent_type[16];
	uint64_t extent_bytes;
	unsigned n_extents;
} w2c_disk_info;

/** Random-access reader the header parsers work on (file or memory). */
typedef struct w2c_disk_src {
	w2c_code (*read)(void *user, void *buf, size_t len, uint64_t off, w2c_error *err);
	void *user;
	uint64_t size;
	const char *name;         /**< for messages */
} w2c_disk_src;

/**
 * Detect the format of @src from its content and parse its header.
 * W2C_ERR_INVALID_INPUT (naming the file, field and expected value) for a
 * truncated or corrupt header or content that is no disk image.
 */
W2C_API w2c_code w2c_disk_probe_src(const w2c_disk_src *src, w2c_disk_info *out, w2c_error *err);
/** Same on a local file (read-only, headers only). */
W2C_API w2c_code w2c_disk_probe(const char *path, w2c_disk_info *out, w2c_error *err);
/** True when the first 64 KiB of @path hold an ISO 9660 or UDF descriptor. */
W2C_API bool w2c_file_is_iso(const char *path);

/* ---- checks ---- */

enum w2c_deep_mode { W2C_DEEP_AUTO, W2C_DEEP_ON, W2C_DEEP_OFF };

typedef struct w2c_check_options {
	const w2c_check_profile *profile;
	enum w2c_deep_mode deep;     /**< libguestfs inspection of disk images */
	const char *firmware;        /**< "bios"/"uefi"; NULL = profile default */
	bool require_drivers;        /**< ISO: boot-critical drivers must be present */
	unsigned min_disk;           /**< GiB, 0 = not given */
	const char *os_version;      /**< NULL = not given */
	const char *bucket;          /**< "B", "B/KEY", "s3://B[/KEY]", "obs://B[/KEY]"; NULL = not given */
	const char *region;          /**< target region, NULL = not given */
	const char *endpoint;        /**< S3/OBS endpoint (as for upload); NULL = profile/env/OBS default */
	const char *cred_profile;    /**< credentials file profile; NULL = environment, then "default" */
	const char *credentials_file; /**< NULL = default path */
	const char *ca_bundle;       /**< PEM CA file for TLS; NULL = system store */
	const w2c_logger *log;
	/** Asked every 200 ms while the libguestfs appliance runs (stage
	 * "appliance", seconds since its start against the launch timeout);
	 * nonzero stops it at once: W2C_ERR_INTERRUPTED. */
	const w2c_progress *progress;
} w2c_check_options;

/** Fast checks of one disk image (headers only); fills @info when not NULL. */
W2C_API w2c_code w2c_check_disk(const char *path, const w2c_check_options *o, w2c_check_report *r,
			w2c_disk_info *info, w2c_error *err);
/**
 * Deep checks of @n disk images in one libguestfs appliance launch.  When the
 * appliance does not work, records skip findings (W2C_DEEP_AUTO) or fails
 * with W2C_ERR_EXTERNAL (W2C_DEEP_ON).
 */
W2C_API w2c_code w2c_check_disks_deep(const char *const *paths, const w2c_disk_info *infos, size_t n,
			      const w2c_check_options *o, w2c_check_report *r, w2c_error *err);
/** Checks of a Windows installation ISO. */
W2C_API w2c_code w2c_check_iso(const char *path, const w2c_check_options *o, w2c_check_report *r,
		       w2c_error *err);
/**
 * Registration parameters (min_disk, os_version, bucket); @virtual_size is the
 * largest virtual size of the checked images (0 = none checked).
 */
W2C_API w2c_code w2c_check_params(const w2c_check_options *o, uint64_t virtual_size,
			  w2c_check_report *r, w2c_error *err);
/**
 * The registration bucket (o->bucket): storage class STANDARD and region =
 * o->region, asked with the upload's S3 client.  Without credentials both are
 * skip findings naming what to set; a missing bucket or object is a failed
 * finding.  W2C_ERR_AUTH (key refused), W2C_ERR_NETWORK, W2C_ERR_REMOTE and
 * usage errors (no endpoint for s3://) are returned.
 */
W2C_API w2c_code w2c_check_bucket(const w2c_check_options *o, w2c_check_report *r, w2c_error *err);
/** The Administrator password rule (w2c_password_check) as findings. */
W2C_API w2c_code w2c_check_password(const char *password, const char *user, w2c_check_report *r,
			    w2c_error *err);

/* ---- everything `check` runs, in one call ---- */

/** The disk images w2c_check_files probed, in the order given. */
typedef struct w2c_check_disks {
	const char **paths;          /**< borrowed from the caller's file list */
	w2c_disk_info *infos;
	size_t n;
} w2c_check_disks;

/**
 * Check each of @files[0..n) by its content (w2c_file_is_iso: w2c_check_iso,
 * else w2c_check_disk), then the disk images together in one deep check
 * (unless @o->deep is W2C_DEEP_OFF), the registration parameters against the
 * largest virtual size, and with @password_file (may be NULL; mode 0600, its
 * first line) the Administrator password of @admin_user (NULL =
 * Administrator).  Findings go to @r; @disks (free with
 * w2c_check_disks_free) lists the disk images probed.  Errors are those of
 * the single checks: the first one ends the run.
 */
W2C_API w2c_code w2c_check_files(const char *const *files, size_t n, const char *password_file,
			 const char *admin_user, const w2c_check_options *o, w2c_check_report *r,
			 w2c_check_disks *disks, w2c_error *err);
W2C_API void w2c_check_disks_free(w2c_check_disks *d);

#ifdef __cplusplus
}
#endif
#endif
