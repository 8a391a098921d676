/* Image services behind one small table (internal to libwin2cloud): IMS and Glance. */
#ifndef W2C_REGISTER_IMAGE_SERVICE_H
#define W2C_REGISTER_IMAGE_SERVICE_H

#include "win2cloud/register.h"
#include "win2cloud/api.h"

#include <jansson.h>

/* One registration run. */
typedef struct w2c_reg {
	const w2c_register_target *t;
	const w2c_register_spec *spec;
	w2c_register_result *res;
	w2c_api api;
	char *endpoint;            /* image service base URL, no trailing '/' */
	char *project_id;          /* IMS job path */
	char *image_url;           /* IMS: BUCKET:KEY */
	char md5[33], sha512[129]; /* local file digests (Glance) */
	double deadline;           /* w2c_now() limit for waiting */
	bool dry_run;
	bool created;              /* we created res->image_id in this run */
} w2c_reg;

typedef struct w2c_image_backend {
	const char *name;
	/* Images named spec->name (JSON array, new reference). */
	w2c_code (*list)(w2c_reg *r, json_t **images, w2c_error *err);
	/* Does @img carry our content tag? */
	bool (*has_tag)(w2c_reg *r, json_t *img);
	/* Register: create (and upload for Glance); fills res->image_id / res->job_id. */
	w2c_code (*create)(w2c_reg *r, w2c_error *err);
	/* Wait for active (and verify). */
	w2c_code (*wait)(w2c_reg *r, w2c_error *err);
	w2c_code (*remove)(w2c_reg *r, const char *id, w2c_error *err);
	/* Dry run: describe every request through t->plan. */
	void (*plan)(w2c_reg *r);
} w2c_image_backend;

extern const w2c_image_backend w2c_backend_ims;
extern const w2c_image_backend w2c_backend_glance;

/* ---- helpers shared by the backends (register/register.c) ---- */

/* Send a JSON call; idempotent calls keep retrying network failures until the deadline. */
w2c_code w2c_reg_call(w2c_reg *r, const char *method, const char *url, const json_t *body, int flags,
		      w2c_api_result *res, w2c_error *err);
/* Emit one planned request (dry run). */
void w2c_reg_plan(w2c_reg *r, const char *method, const char *url, const json_t *body);
/* Emit the planned token request (redacted body) when the target authenticates with a token. */
void w2c_reg_plan_token(w2c_reg *r);
/* Sleep @secs unless the deadline or a stop request comes first (W2C_ERR_INTERRUPTED). */
w2c_code w2c_reg_sleep(w2c_reg *r, double secs, const char *what, w2c_error *err);
/* Percent-encode a query value (new string). */
char *w2c_reg_qs(const char *s);
/* GET "@base?name=<spec name>@extra_query" and return the answer's "images"
 * array (a new reference); @service names the API in errors. */
w2c_code w2c_reg_list_by_name(w2c_reg *r, const char *service, const char *base,
			      const char *extra_query, json_t **images, w2c_error *err);

/* IMS async job (spec §3.4), parsed from a GET /v1/{project}/jobs/{id} body (fuzzed). */
typedef struct w2c_ims_job {
	char status[16];           /* INIT RUNNING SUCCESS FAIL */
	char image_id[128];
	char error_code[64];
	char fail_reason[512];
} w2c_ims_job;
w2c_code w2c_ims_job_parse(const char *body, size_t len, w2c_ims_job *job, w2c_error *err);

#endif
