/* IMS (OTC / Huawei Cloud) image registration: POST /v2/cloudimages/action + job polling (spec §3). */
#include "register/images/image_service.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

#define TAG_KEY "w2c-sha256"
#define TAG_LEN 40 /* IMS tag values are <= 43 characters: 160 bits of the SHA-256 */

static w2c_code ims_list(w2c_reg *r, json_t **images, w2c_error *err)
{
	char *base = w2c_asprintf("%s/v2/cloudimages", r->endpoint);
	w2c_code rc = base ? w2c_reg_list_by_name(r, "IMS", base, "&__imagetype=private", images, err)
			   : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	free(base);
	return rc;
}

static bool ims_has_tag(w2c_reg *r, json_t *img)
{
	char want[80];
	json_t *t;
	size_t i;
	snprintf(want, sizeof want, TAG_KEY ".%.*s", TAG_LEN, r->res->sha256);
	json_array_foreach(json_object_get(img, "tags"), i, t) {
		if (json_is_string(t) && !strcmp(json_string_value(t), want))
			return true;
	}
	return false;
}

static json_t *create_body(w2c_reg *r)
{
	const w2c_register_spec *s = r->spec;
	json_t *b = json_object(), *tags = json_array();

	json_object_set_new(b, "name", json_string(s->name));
	json_object_set_new(b, "image_url", json_string(r->image_url));
	if (s->iso)
		json_object_set_new(b, "type", json_string("IsoImage"));
	json_object_set_new(b, "os_type", json_string("Windows"));
	if (s->os_version)
		json_object_set_new(b, "os_version", json_string(s->os_version));
	json_object_set_new(b, "min_disk", json_integer(s->min_disk));
	json_object_set_new(b, "hw_firmware_type", json_string(s->firmware ? s->firmware : "bios"));
	if (s->quick_import) /* spec §3.2: RAW/ZVHD2 over 128 GB, up to 1 TB */
		json_object_set_new(b, "is_quick_import", json_true());
	for (size_t i = 0; s->tags && s->tags[i]; i++) {
		const char *eq = strchr(s->tags[i], '=');
		json_array_append_new(tags, json_pack("{s:s%,s:s}", "key", s->tags[i], (size_t)(eq - s->tags[i]),
						      "value", eq + 1));
	}
	if (r->res->sha256[0])
		json_array_append_new(tags, json_pack("{s:s,s:s%}", "key", TAG_KEY, "value", r->res->sha256,
						      (size_t)TAG_LEN));
	if (json_array_size(tags))
		json_object_set_new(b, "image_tags", tags);
	else
		json_decref(tags);
	return b;
}

static w2c_code ims_create(w2c_reg *r, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/cloudimages/action", r->endpoint);
	json_t *body = create_body(r);
	w2c_api_result res;
	w2c_code rc = w2c_reg_call(r, "POST", url, body, 0, &res, err);
	const char *job = json_string_value(json_object_get(res.json, "job_id"));

	if (!rc && !job)
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "IMS POST %s: answer has no job_id", url);
	if (!rc) {
		snprintf(r->res->job_id, sizeof r->res->job_id, "%s", job);
		snprintf(r->res->status, sizeof r->res->status, "registering");
		w2c_log(r->t->log, W2C_LOG_INFO, "IMS accepted the registration: job %s", job);
	}
	w2c_api_result_free(&res);
	json_decref(body);
	free(url);
	return rc;
}

static void copy_str(char *dst, size_t n, json_t *v)
{
	snprintf(dst, n, "%s", json_is_string(v) ? json_string_value(v) : "");
}

w2c_code w2c_ims_job_parse(const char *body, size_t len, w2c_ims_job *job, w2c_error *err)
{
	json_t *doc = json_loadb(body, len, 0, NULL), *ent, *sub, *s;
	size_t i;

	memset(job, 0, sizeof *job);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return w2c_set_error(err, W2C_ERR_REMOTE, "IMS job answer is not a JSON object");
	}
	copy_str(job->status, sizeof job->status, json_object_get(doc, "status"));
	copy_str(job->error_code, sizeof job->error_code, json_object_get(doc, "error_code"));
	copy_str(job->fail_reason, sizeof job->fail_reason, json_object_get(doc, "fail_reason"));
	ent = json_object_get(doc, "entities");
	copy_str(job->image_id, sizeof job->image_id, json_object_get(ent, "image_id"));
	/* spec §3.4: without entities.image_id, take the first sub-job's */
	sub = json_object_get(ent, "sub_jobs_result");
	json_array_foreach(sub, i, s) {
		if (job->image_id[0])
			break;
		copy_str(job->image_id, sizeof job->image_id,
			 json_object_get(json_object_get(s, "entities"), "image_id"));
		if (!job->error_code[0])
			copy_str(job->error_code, sizeof job->error_code, json_object_get(s, "error_code"));
	}
	json_decref(doc);
	if (strcmp(job->status, "INIT") && strcmp(job->status, "RUNNING") && strcmp(job->status, "SUCCESS") &&
	    strcmp(job->status, "FAIL"))
		return w2c_set_error(err, W2C_ERR_REMOTE, "IMS job status '%s' is not INIT, RUNNING, SUCCESS "
				     "or FAIL", job->status);
	return W2C_OK;
}

static double next_interval(double cur)
{
	return cur * 2 > 60 ? 60 : cur * 2;
}

static w2c_code poll_job(w2c_reg *r, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v1/%s/jobs/%s", r->endpoint, r->project_id, r->res->job_id);
	double iv = r->spec->poll_interval > 0 ? r->spec->poll_interval : 10;
	char last[16] = "";
	w2c_code rc = W2C_OK;

	for (;;) {
		w2c_api_result res;
		w2c_ims_job job;
		char *text = NULL;
		if ((rc = w2c_reg_call(r, "GET", url, NULL, W2C_API_IDEMPOTENT, &res, err)))
			break;
		text = res.json ? json_dumps(res.json, JSON_COMPACT) : NULL;
		rc = w2c_ims_job_parse(text ? text : "", text ? strlen(text) : 0, &job, err);
		free(text);
		w2c_api_result_free(&res);
		if (rc)
			break;
		if (strcmp(last, job.status))
			w2c_log(r->t->log, W2C_LOG_INFO, "IMS job %s: %s", r->res->job_id, job.status);
		snprintf(last, sizeof last, "%s", job.status);
		if (!strcmp(job.status, "SUCCESS")) {
			if (!job.image_id[0])
				rc = w2c_set_error(err, W2C_ERR_REMOTE, "IMS job %s succeeded without an image id",
						   r->res->job_id);
			else
				snprintf(r->res->image_id, sizeof r->res->image_id, "%s", job.image_id);
			break;
		}
		if (!strcmp(job.status, "FAIL")) {
			rc = w2c_set_error(err, W2C_ERR_REMOTE, "IMS job %s failed: %s: %s", r->res->job_id,
					   job.error_code[0] ? job.error_code : "(no error code)",
					   job.fail_reason[0] ? job.fail_reason : "(no reason given)");
			snprintf(r->res->status, sizeof r->res->status, "failed");
			break;
		}
		if ((rc = w2c_reg_sleep(r, iv, "the IMS job", err)))
			break;
		iv = next_interval(iv);
	}
	free(url);
	return rc;
}

/* After the job: the image itself must say active (spec §3.5). */
static w2c_code confirm_active(w2c_reg *r, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/images/%s", r->endpoint, r->res->image_id);
	double iv = r->spec->poll_interval > 0 ? r->spec->poll_interval : 10;
	w2c_code rc;

	for (;;) {
		w2c_api_result res;
		if ((rc = w2c_reg_call(r, "GET", url, NULL, W2C_API_IDEMPOTENT, &res, err)))
			break;
		copy_str(r->res->status, sizeof r->res->status, json_object_get(res.json, "status"));
		w2c_api_result_free(&res);
		if (!strcmp(r->res->status, "active"))
			break;
		if (!strcmp(r->res->status, "killed") || !strcmp(r->res->status, "deleted")) {
			rc = w2c_set_error(err, W2C_ERR_REMOTE, "IMS image %s is '%s' (registration failed)",
					   r->res->image_id, r->res->status);
			break;
		}
		if ((rc = w2c_reg_sleep(r, iv, "the image to become active", err)))
			break;
		iv = next_interval(iv);
	}
	free(url);
	return rc;
}

static w2c_code ims_wait(w2c_reg *r, w2c_error *err)
{
	w2c_code rc = W2C_OK;
	if (r->res->job_id[0])
		rc = poll_job(r, err);
	if (!rc && r->res->image_id[0] && strcmp(r->res->status, "active"))
		rc = confirm_active(r, err);
	return rc;
}

static w2c_code ims_remove(w2c_reg *r, const char *id, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/images/%s", r->endpoint, id);
	w2c_api_result res;
	w2c_code rc = w2c_reg_call(r, "DELETE", url, NULL, W2C_API_IDEMPOTENT | W2C_API_ALLOW_404, &res, err);
	w2c_api_result_free(&res);
	free(url);
	return rc;
}

static void ims_plan(w2c_reg *r)
{
	char *q = w2c_reg_qs(r->spec->name), *url;
	json_t *body;

	if (!r->t->access_key) /* AK/SK-signed calls need no token */
		w2c_reg_plan_token(r);
	url = w2c_asprintf("%s/v2/cloudimages?name=%s&__imagetype=private", r->endpoint, q);
	w2c_reg_plan(r, "GET", url, NULL);
	free(url);
	body = create_body(r);
	url = w2c_asprintf("%s/v2/cloudimages/action", r->endpoint);
	w2c_reg_plan(r, "POST", url, body);
	free(url);
	json_decref(body);
	if (r->spec->wait) {
		url = w2c_asprintf("%s/v1/%s/jobs/{job_id}", r->endpoint, r->project_id);
		w2c_reg_plan(r, "GET", url, NULL);
		free(url);
		url = w2c_asprintf("%s/v2/images/{image_id}", r->endpoint);
		w2c_reg_plan(r, "GET", url, NULL);
		free(url);
	}
	free(q);
}

const w2c_image_backend w2c_backend_ims = {
	"ims", ims_list, ims_has_tag, ims_create, ims_wait, ims_remove, ims_plan,
};
