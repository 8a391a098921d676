/* `onboard` internals (register/onboard/ only; tests/unit may include it). */
#ifndef W2C_REGISTER_ONBOARD_INT_H
#define W2C_REGISTER_ONBOARD_INT_H

#include "win2cloud/onboard.h"
#include "win2cloud/api.h"

#include <jansson.h>

/* One onboard run. */
typedef struct w2c_onb {
	const w2c_onboard_options *o;
	w2c_onboard_result *res;
	w2c_onboard_state st;
	char *state_path;
	w2c_api ims, ecs;          /* one HTTP client and token, two services */
	char *ims_url, *ecs_url;   /* base URLs, no trailing '/' */
	char *project_id;
	/* the ISO image */
	int iso_min_disk;
	char iso_os_version[128];
	char content_tag[96];      /* "w2c-sha256.<40 hex>" or "w2c-iso.<iso id>" */
	char volumes[400];         /* "A, B": the server's volumes, for the deletion report */
	double deadline;           /* w2c_now() limit of the install wait */
	bool dry_run;
	bool stopping;             /* cleanup after a stop request: sleeps ignore progress */
} w2c_onb;

/* An async job of ECS or IMS (spec §3.4, §4.3), parsed from its GET body (fuzzed). */
typedef struct w2c_onb_job {
	char status[16];           /* INIT RUNNING SUCCESS FAIL */
	char entity_id[128];       /* ECS: entities[.sub_jobs[]].server_id; IMS: entities.image_id */
	char error_code[64];
	char fail_reason[512];
} w2c_onb_job;
w2c_code w2c_onb_job_parse(const char *body, size_t len, bool ecs, w2c_onb_job *job, w2c_error *err);

/* The parts of GET cloudservers/{id} we use (fuzzed). */
typedef struct w2c_onb_server {
	char id[128];
	char name[129];
	char status[24];
	char data_volume[128];     /* first attached volume whose bootIndex is not "0" */
	char volumes[4][128];      /* every attached volume, in order */
	unsigned n_volumes;
	char run_tag[32];          /* metadata w2c_onboard (our run id), "" if none */
} w2c_onb_server;
w2c_code w2c_onb_server_parse(json_t *server, w2c_onb_server *s, w2c_error *err);
/* The remote_console.url of a remote-console answer, "" if none. */
void w2c_onb_console_url(json_t *doc, char *out, size_t n);

/* ---- requests (onboard_ecs.c) ---- */
json_t *w2c_onb_create_body(w2c_onb *r);
json_t *w2c_onb_image_body(w2c_onb *r, const char *volume_id);
json_t *w2c_onb_delete_body(const char *server_id);

/* Send a call to @a; idempotent calls retry network failures for a while. */
w2c_code w2c_onb_call(w2c_onb *r, w2c_api *a, const char *method, const char *url, const json_t *body,
		      int flags, w2c_api_result *res, w2c_error *err);
/* Sleep @secs; W2C_ERR_INTERRUPTED when the progress callback says stop (not while stopping). */
w2c_code w2c_onb_sleep(w2c_onb *r, double secs, const char *what, w2c_error *err);
/* Follow an ECS or IMS job to SUCCESS (entity id into @id) or FAIL (W2C_ERR_REMOTE); @limit: w2c_now() bound. */
w2c_code w2c_onb_follow_job(w2c_onb *r, bool ecs, const char *job_id, const char *what, double limit,
			    char *id, size_t idn, w2c_error *err);
/* GET the server; *@found false on 404. */
w2c_code w2c_onb_get_server(w2c_onb *r, const char *id, w2c_onb_server *s, bool *found, w2c_error *err);
/* Servers whose name contains @name (ECS fuzzy match), as a JSON array (new reference). */
w2c_code w2c_onb_list_servers(w2c_onb *r, const char *name, json_t **servers, w2c_error *err);
/* POST cloudservers/delete with delete_volume true and follow the job. */
w2c_code w2c_onb_delete_server(w2c_onb *r, const char *id, w2c_error *err);
/* Stop (HARD) and follow the job: a kept server should not run on. */
w2c_code w2c_onb_stop_server(w2c_onb *r, const char *id, w2c_error *err);
/* The noVNC URL of the server ("" when the cloud has none to give). */
w2c_code w2c_onb_console(w2c_onb *r, const char *id, char *url, size_t n, w2c_error *err);

/* ---- connection (onboard_conn.c) ---- */
w2c_code w2c_onb_connect(w2c_onb *r, w2c_error *err);
void w2c_onb_plan_endpoints(w2c_onb *r);
void w2c_onb_disconnect(w2c_onb *r);
/* Emit one planned request (dry run), URL redacted. */
void w2c_onb_plan(w2c_onb *r, const char *method, const char *url, const json_t *body);
void w2c_onb_plan_token(w2c_onb *r);
/* Report an event to the caller (and the log). */
void w2c_onb_event(w2c_onb *r, const char *kind, const char *server_id, const char *value,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Save the run's state (a failure is logged, never fatal: the cloud is the truth). */
void w2c_onb_save(w2c_onb *r);

/* ---- the steps (onboard_run.c) ---- */
w2c_code w2c_onb_run(w2c_onb *r, w2c_error *err);
void w2c_onb_plan_run(w2c_onb *r);

/* ---- images (onboard_image.c) ---- */
/* An IMS image id (UUID form): --iso-image is looked up by id, else by name. */
bool w2c_onb_is_uuid(const char *s);
/* Find the ISO image (id or name): active, virtual_env_type IsoImage; fills iso_* and content_tag. */
w2c_code w2c_onb_find_iso(w2c_onb *r, w2c_error *err);
/* Look for the target image: *@done when an active one with our tag exists. */
w2c_code w2c_onb_find_image(w2c_onb *r, bool *done, w2c_error *err);
/* Create the image from the install volume and follow the IMS job. */
w2c_code w2c_onb_make_image(w2c_onb *r, w2c_error *err);

#endif
