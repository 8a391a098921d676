/*
 * win2cloud/onboard.h - from a registered ISO image to a system-disk image on
 * the cloud (cloud-api spec §4): a temporary ECS server boots the ISO with a
 * system disk and one data disk, the unattended Setup installs Windows onto
 * the data disk and powers the server off, IMS makes a system-disk image from
 * that data volume, and the server is deleted with its volumes.
 *
 * A temporary server costs money, so it is deleted on every path - success,
 * failure, timeout, interrupt - unless the caller keeps it.  Each run has an
 * id; the server is named "w2c-onboard-<run id>" and tagged with it, and the
 * run's progress is kept in a state file (written atomically) so that a run
 * after a crash finds its own server and continues from the step it reached;
 * it never creates a second one.  w2c_onboard_cleanup() finds and deletes the
 * temporary servers earlier runs left.
 */
#ifndef WIN2CLOUD_ONBOARD_H
#define WIN2CLOUD_ONBOARD_H

#include "win2cloud.h"
#include "win2cloud/auth.h"
#include "win2cloud/register.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Prefix of every temporary server name (what the cleanup looks for). */
#define W2C_ONBOARD_SERVER_PREFIX "w2c-onboard-"

/** One thing that happened, for the caller to show (TTY line or JSON event). */
typedef struct w2c_onboard_event {
	const char *kind;      /**< "resumed", "server", "console", "status", "image-job", "image",
				    "deleted", "kept", "found" */
	const char *message;   /**< one line for people */
	const char *server_id; /**< may be NULL */
	const char *value;     /**< kind-specific: the console URL, a status, an image id; may be NULL */
} w2c_onboard_event;

/** What to onboard and how to reach the cloud. */
typedef struct w2c_onboard_options {
	enum w2c_cloud_kind kind;
	/** NULL: gathered as w2c_register_credentials() does from @os_cloud and @auth (then
	 *  access_key/secret_key are ignored and the secrets wiped before returning). */
	const w2c_cloud_config *cfg;
	const char *os_cloud;         /**< clouds.yaml entry when cfg is NULL (NULL: $OS_CLOUD / OS_*) */
	enum w2c_register_auth auth;  /**< how to authenticate when cfg is NULL */
	const char *access_key;       /**< with cfg: AK/SK signing instead of a token */
	const char *secret_key;
	const char *ims_endpoint;     /**< IMS URL (overrides catalog and defaults) */
	const char *ecs_endpoint;     /**< ECS URL (overrides catalog and defaults) */
	const char *iso_image;        /**< the ISO image: id or exact name */
	const char *name;             /**< the system-disk image to make (IMS name rules) */
	const char *os_version;       /**< NULL: the ISO image's __os_version */
	const char *flavor;           /**< general-purpose KVM flavor, 2 vCPUs, >= 4 GB */
	const char *vpc, *subnet;     /**< VPC and subnet ids for the one NIC */
	const char *az;               /**< availability zone, NULL: the cloud picks */
	const char *disk_type;        /**< volume type of both disks (default "SSD") */
	int size;                     /**< GB of the data disk Windows goes to (default 60; 40-1024) */
	const char *const *tags;      /**< "key=value" image tags, NULL-terminated, may be NULL */
	bool wait;                    /**< wait for the install, make the image, delete the server;
					   else return once the server runs (a later run continues) */
	double timeout;               /**< seconds for the install to power the server off (default 3 h) */
	double poll_interval;         /**< first poll interval, seconds (default 10; doubles up to 60) */
	bool keep_server;             /**< never delete the temporary server (stop it on failure) */
	const char *state_dir;        /**< where the run's state file lives (default ".") */
	const w2c_logger *log;
	const w2c_progress *progress; /**< stage "install": done/total = seconds waited/timeout */
	void (*event)(void *user, const w2c_onboard_event *ev);
	void *event_user;
	/** Dry run: called for every request that would be sent; nothing is sent. */
	void (*plan)(void *user, const char *method, const char *url, const char *json_body);
	void *plan_user;
} w2c_onboard_options;

/** What happened. */
typedef struct w2c_onboard_result {
	char run_id[17];
	char step[16];            /**< where the run stands: installing, done, ... */
	char iso_image_id[128];
	char image_id[128];
	char image_status[32];
	char server_id[128];
	char server_name[64];
	char volume_id[128];      /**< the install target (data) volume */
	char deleted[512];        /**< what was deleted, for people; "" when nothing */
	bool existed;             /**< the image was already there: nothing was created */
	bool resumed;             /**< continued a run that a crash or --no-wait left */
	bool server_kept;         /**< the server is still there (keep_server, or !wait) */
	unsigned tokens;          /**< tokens obtained (refreshes included) */
} w2c_onboard_result;

/**
 * Run the route of the file comment.  W2C_OK with @res filled (step "done",
 * or "installing" without @o->wait).  W2C_ERR_USAGE for --cloud openstack
 * (no blank volume on the test cloud: the OpenStack route is install +
 * register --disk) and contradictory options; W2C_ERR_INVALID_INPUT for a bad
 * name, size, disk type; W2C_ERR_NOT_FOUND when the ISO image is missing;
 * W2C_ERR_EXISTS when an image of that name with other content is in the way;
 * W2C_ERR_REMOTE naming the call, the cloud's code and message (job FAIL,
 * quota, server ERROR); W2C_ERR_INTERRUPTED when the install timed out or the
 * progress callback said stop.  Whatever the code, the temporary server has
 * been deleted (res->deleted says what) unless keep_server, or the error
 * message says why it could not be.
 */
W2C_API w2c_code w2c_onboard(const w2c_onboard_options *o, w2c_onboard_result *res, w2c_error *err);

/** What w2c_onboard_cleanup() found. */
typedef struct w2c_onboard_cleanup_result {
	unsigned found;           /**< temporary servers of win2cloud in the project */
	unsigned deleted;         /**< of those, deleted with their volumes */
	unsigned state_files;     /**< state files in o->state_dir removed with them */
} w2c_onboard_cleanup_result;

/**
 * List the temporary servers win2cloud left (name prefix
 * W2C_ONBOARD_SERVER_PREFIX and our run tag) and delete each with its
 * volumes, reporting each through o->event ("found", "deleted").  Only the
 * connection fields, state_dir, log, progress and event of @o are used; with
 * o->plan set nothing is sent.
 */
W2C_API w2c_code w2c_onboard_cleanup(const w2c_onboard_options *o, w2c_onboard_cleanup_result *res,
				     w2c_error *err);

/* ---- the run's state file (exposed for tests and tools) ---- */

/** One run's state as kept in "<state_dir>/.win2cloud-onboard-<name>.json". */
typedef struct w2c_onboard_state {
	char run_id[17];
	char name[129];
	char iso_image_id[128];
	char step[16];            /**< "" new, creating, installing, imaging, deleting, done */
	char server_name[64];
	char create_job[128], server_id[128], volume_id[128];
	char image_job[128], image_id[128], delete_job[128];
} w2c_onboard_state;

/** The state file path for image @name in @dir (new string; unsafe characters become '_'). */
W2C_API char *w2c_onboard_state_path(const char *dir, const char *name);
/** Read @path into @st; W2C_ERR_NOT_FOUND when absent, W2C_ERR_INVALID_INPUT (path, field) when malformed. */
W2C_API w2c_code w2c_onboard_state_load(const char *path, w2c_onboard_state *st, w2c_error *err);
/** Write @st to @path atomically (mode 0600): a crash leaves the old or the new file, never half. */
W2C_API w2c_code w2c_onboard_state_save(const char *path, const w2c_onboard_state *st, w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
