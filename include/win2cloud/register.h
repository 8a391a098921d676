/*
 * win2cloud/register.h - register an uploaded ISO or disk image with a cloud's
 * image service: IMS (Open Telekom Cloud / Huawei Cloud) or OpenStack Glance.
 *
 * Registration is idempotent: an image with the same name and our content tag
 * (the SHA-256 of the file) that is already active is reported, not created
 * again; one left in an error state is reported and only deleted when the
 * caller asks (replace).  Asynchronous work (IMS jobs, Glance activation) is
 * polled with backoff until a deadline.  Throttling is retried; a 401 gets
 * one fresh token; AK/SK signature failures are never retried.
 */
#ifndef WIN2CLOUD_REGISTER_H
#define WIN2CLOUD_REGISTER_H

#include "win2cloud.h"
#include "win2cloud/auth.h"
#include "win2cloud/credentials.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constraints (cloud-api spec §3.1, §3.6, §3.7) ---- */

/** min_disk range (GB) the IMS console enforces for ISO and system-disk images. */
#define W2C_MIN_DISK_MIN 40
#define W2C_MIN_DISK_MAX 1024

/** NULL-terminated os_version list of the OTC API reference (values_of_related_parameters). */
W2C_API const char *const *w2c_os_versions_api_ref(void);
/** NULL-terminated extra spellings of the OTC user guide (2019/2022, two variants). */
W2C_API const char *const *w2c_os_versions_user_guide(void);

/** An allowed-os_version list: both built-in lists, or an override file. */
typedef struct w2c_os_version_list {
	char **items;
	size_t count;
	char *source;   /**< "built-in (API reference + user guide)" or the file path */
} w2c_os_version_list;

/**
 * Load the list: from @path when given (or $W2C_OS_VERSIONS_FILE), one string
 * per line, '#' comments and blank lines skipped, the rest byte-exact; else
 * the union of the two built-in lists.
 */
W2C_API w2c_code w2c_os_version_list_load(w2c_os_version_list *l, const char *path, w2c_error *err);
W2C_API void w2c_os_version_list_free(w2c_os_version_list *l);
/** W2C_OK when @v is in @l; else W2C_ERR_INVALID_INPUT naming the closest entry. */
W2C_API w2c_code w2c_os_version_check(const w2c_os_version_list *l, const char *v, w2c_error *err);
/** W2C_OK when @gb is in [W2C_MIN_DISK_MIN, W2C_MIN_DISK_MAX]. */
W2C_API w2c_code w2c_min_disk_check(long gb, w2c_error *err);
/** IMS image name rule: 1-128 letters, digits, '-', '.', '_' or spaces, no space at either
 * end; W2C_ERR_INVALID_INPUT names @what (e.g. "--name") and the first bad character. */
W2C_API w2c_code w2c_image_name_check(const char *what, const char *name, w2c_error *err);
/** IMS tags: at most 9 KEY=VALUE (key 1-36, value <= 43 characters; the tenth is the
 * content tag win2cloud adds); @tags is NULL-terminated or NULL. */
W2C_API w2c_code w2c_image_tags_check(const char *const *tags, w2c_error *err);

/**
 * Turn an IMS source ("BUCKET:KEY" or "obs://BUCKET/KEY") into IMS's
 * image_url "BUCKET:KEY" (new string in *@image_url); W2C_ERR_INVALID_INPUT
 * naming what is wrong.
 */
W2C_API w2c_code w2c_ims_image_url(const char *source, char **image_url, w2c_error *err);

/* ---- registration ---- */

/** Which image service. */
enum w2c_cloud_kind { W2C_CLOUD_OTC, W2C_CLOUD_HUAWEICLOUD, W2C_CLOUD_OPENSTACK };

/** What to register. */
typedef struct w2c_register_spec {
	const char *name;          /**< image name */
	bool iso;                  /**< ISO image (else a disk image) */
	const char *source;        /**< IMS: BUCKET:KEY or obs:// URL; Glance: a local file */
	const char *local_file;    /**< IMS: optional local copy, hashed for the content tag */
	const char *sha256;        /**< content hash hex when known (else computed from the file) */
	const char *os_version;    /**< NULL: none (IMS requires one for ISO images) */
	int min_disk;              /**< GB */
	const char *firmware;      /**< "bios" or "uefi" */
	const char *disk_format;   /**< Glance disk images: qcow2, vhd, ...; NULL: from the name */
	const char *const *tags;   /**< "key=value" strings, NULL-terminated, may be NULL */
	bool wait;                 /**< wait until active (IMS: job SUCCESS, then active) */
	double timeout;            /**< seconds for the whole run when waiting (default 3600) */
	double poll_interval;      /**< first poll interval, seconds (default 10; doubles up to 60) */
	bool replace;              /**< delete an image of that name in the way (error or other content) */
	/** IMS disk images: is_quick_import (cloud-api spec §3.2/§3.3), the path for
	 * RAW/ZVHD2 files over 128 GB up to 1 TB; refused for ISO images and Glance. */
	bool quick_import;
} w2c_register_spec;

/** How to reach the cloud. */
typedef struct w2c_register_target {
	enum w2c_cloud_kind kind;
	const w2c_cloud_config *cfg;   /**< auth_url, user, password, project, region... */
	const char *access_key;        /**< AK/SK signing instead of a token (IMS only) */
	const char *secret_key;
	const char *endpoint;          /**< image service URL (overrides catalog and defaults) */
	const w2c_logger *log;
	const w2c_progress *progress;
	/** Dry run: called for every request that would be sent; nothing is sent. */
	void (*plan)(void *user, const char *method, const char *url, const char *json_body);
	void *plan_user;
} w2c_register_target;

/** What happened. */
typedef struct w2c_register_result {
	char image_id[128];
	char status[32];           /**< the image's last seen status */
	char job_id[128];          /**< IMS job, if one was started */
	char sha256[65];           /**< content tag */
	char checksum[33];         /**< Glance: md5 the service computed, "" elsewhere */
	bool existed;              /**< an active image with our tag was already there */
	bool replaced;             /**< an image in the way was deleted */
	bool verified;             /**< the service's checksums equal ours (Glance) */
	unsigned tokens;           /**< tokens obtained (refreshes included) */
} w2c_register_result;

/**
 * Register @spec with the service of @t.  Returns W2C_OK with @res filled;
 * W2C_ERR_EXISTS when an image of that name is in the way (error state or
 * other content) and !replace; W2C_ERR_REMOTE with the service's code and
 * message (IMS job FAIL: "IMG.xxxx: fail_reason"); W2C_ERR_AUTH for refused
 * credentials; W2C_ERR_INVALID_INPUT for bad options (os_version, min_disk,
 * source); W2C_ERR_INTERRUPTED when the deadline passed or @t->progress said
 * stop while waiting (re-running resumes: the image is found by its tag).
 */
W2C_API w2c_code w2c_register_image(const w2c_register_target *t, const w2c_register_spec *spec,
			    w2c_register_result *res, w2c_error *err);

/** How register authenticates: chosen by the cloud, or asked for. */
enum w2c_register_auth {
	W2C_REGISTER_AUTH_AUTO,     /**< IMS without a password in the cloud config: AK/SK; else a token */
	W2C_REGISTER_AUTH_PASSWORD, /**< a Keystone/IAM token from the cloud config's password */
	W2C_REGISTER_AUTH_AKSK,     /**< AK/SK request signing (IMS only) */
};

/**
 * Gather the credentials for registering with @kind: the cloud config
 * @os_cloud (clouds.yaml entry, or NULL for OS_* from the environment) into
 * @cfg, and for AK/SK the keys of that config or else the environment or the
 * credentials file (profile from W2C_PROFILE) into @cred.  Without any
 * OS_AUTH_URL, AK/SK and a @dry_run still work, taking the project and region
 * from OS_PROJECT_ID and OS_REGION_NAME; a dry run needs no keys.  *@aksk
 * tells which way was chosen; with AK/SK a password in the config is wiped,
 * so it is never sent.  Free @cfg and @cred in every case (w2c_cloud_config_free,
 * w2c_credentials_free).
 */
W2C_API w2c_code w2c_register_credentials(enum w2c_cloud_kind kind, const char *os_cloud,
				  enum w2c_register_auth auth, bool dry_run, w2c_cloud_config *cfg,
				  w2c_credentials *cred, bool *aksk, w2c_error *err);

/**
 * The register stage in one call: w2c_register_credentials for @t->kind
 * (@os_cloud, @auth; a dry run when @t->plan is set), then w2c_register_image
 * with them.  @t->cfg, access_key and secret_key are not read; the secrets
 * are wiped before this returns.
 */
W2C_API w2c_code w2c_register(const w2c_register_target *t, const char *os_cloud,
		      enum w2c_register_auth auth, const w2c_register_spec *spec,
		      w2c_register_result *res, w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
