/* onboard: the ECS calls of the ISO route (spec §4.2-§4.6) and job following for ECS and IMS. */
#include "register/onboard/onboard_int.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

json_t *w2c_onb_create_body(w2c_onb *r)
{
	const w2c_onboard_options *o = r->o;
	const char *type = o->disk_type ? o->disk_type : "SSD";
	int root = r->iso_min_disk > 0 ? r->iso_min_disk : 40;
	json_t *s = json_object();

	json_object_set_new(s, "imageRef", json_string(r->st.iso_image_id[0] ? r->st.iso_image_id : "{iso image id}"));
	json_object_set_new(s, "flavorRef", json_string(o->flavor));
	json_object_set_new(s, "name", json_string(r->st.server_name));
	json_object_set_new(s, "vpcid", json_string(o->vpc));
	json_object_set_new(s, "nics", json_pack("[{s:s}]", "subnet_id", o->subnet));
	/* exactly a system disk and one data disk; Setup installs onto the data disk (§4.1) */
	json_object_set_new(s, "root_volume", json_pack("{s:s,s:i}", "volumetype", type, "size", root));
	json_object_set_new(s, "data_volumes", json_pack("[{s:s,s:i}]", "volumetype", type, "size",
							 o->size > 0 ? o->size : 60));
	if (o->az)
		json_object_set_new(s, "availability_zone", json_string(o->az));
	json_object_set_new(s, "metadata", json_pack("{s:s,s:s}", "virtual_env_type", "IsoImage",
						     "w2c_onboard", r->st.run_id));
	json_object_set_new(s, "extendparam", json_pack("{s:s}", "diskPrior", "true"));
	json_object_set_new(s, "server_tags", json_pack("[{s:s,s:s}]", "key", "w2c-onboard", "value",
							r->st.run_id));
	return json_pack("{s:o}", "server", s);
}

json_t *w2c_onb_delete_body(const char *server_id)
{
	/* delete_volume defaults to false: the disks would stay and keep costing (§4.6) */
	return json_pack("{s:[{s:s}],s:b,s:b}", "servers", "id", server_id, "delete_publicip", 1,
			 "delete_volume", 1);
}

static double next_interval(double cur)
{
	return cur * 2 > 60 ? 60 : cur * 2;
}

static w2c_code get_job(w2c_onb *r, bool ecs, const char *url, w2c_onb_job *job, w2c_error *err)
{
	w2c_api_result res;
	char *text;
	w2c_code rc = w2c_onb_call(r, ecs ? &r->ecs : &r->ims, "GET", url, NULL, W2C_API_IDEMPOTENT, &res, err);
	if (rc) {
		w2c_api_result_free(&res);
		return rc;
	}
	text = res.json ? json_dumps(res.json, JSON_COMPACT) : NULL;
	rc = w2c_onb_job_parse(text ? text : "", text ? strlen(text) : 0, ecs, job, err);
	free(text);
	w2c_api_result_free(&res);
	return rc;
}

w2c_code w2c_onb_follow_job(w2c_onb *r, bool ecs, const char *job_id, const char *what, double limit,
			    char *id, size_t idn, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v1/%s/jobs/%s", ecs ? r->ecs_url : r->ims_url, r->project_id, job_id);
	double iv = r->o->poll_interval > 0 ? r->o->poll_interval : 10;
	const char *svc = ecs ? "ECS" : "IMS";
	char last[16] = "";
	w2c_code rc;

	for (;;) {
		w2c_onb_job job;
		if ((rc = get_job(r, ecs, url, &job, err)))
			break;
		if (strcmp(last, job.status))
			w2c_log(r->o->log, W2C_LOG_INFO, "%s job %s (%s): %s", svc, job_id, what, job.status);
		snprintf(last, sizeof last, "%s", job.status);
		if (!strcmp(job.status, "SUCCESS")) {
			if (id)
				snprintf(id, idn, "%s", job.entity_id);
			break;
		}
		if (!strcmp(job.status, "FAIL")) {
			if (id) /* a failed create may still name the server it left behind */
				snprintf(id, idn, "%s", job.entity_id);
			rc = w2c_set_error(err, W2C_ERR_REMOTE, "%s job %s (%s) failed: %s: %s", svc, job_id, what,
					   job.error_code[0] ? job.error_code : "(no error code)",
					   job.fail_reason[0] ? job.fail_reason : "(no reason given)");
			break;
		}
		if (w2c_now() + iv > limit) {
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "%s job %s (%s) still %s after the time "
					   "allowed", svc, job_id, what, job.status);
			break;
		}
		if ((rc = w2c_onb_sleep(r, iv, what, err)))
			break;
		iv = next_interval(iv);
	}
	free(url);
	return rc;
}

w2c_code w2c_onb_get_server(w2c_onb *r, const char *id, w2c_onb_server *s, bool *found, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v1/%s/cloudservers/%s", r->ecs_url, r->project_id, id);
	w2c_api_result res;
	w2c_code rc = w2c_onb_call(r, &r->ecs, "GET", url, NULL, W2C_API_IDEMPOTENT | W2C_API_ALLOW_404, &res,
				   err);
	*found = !rc && res.status != 404;
	if (*found && (rc = w2c_onb_server_parse(json_object_get(res.json, "server"), s, err)))
		w2c_error_prefix(err, "ECS GET %s", url);
	w2c_api_result_free(&res);
	free(url);
	return rc;
}

w2c_code w2c_onb_list_servers(w2c_onb *r, const char *name, json_t **servers, w2c_error *err)
{
	char *q = w2c_http_uri_encode(name, false);
	char *url = w2c_asprintf("%s/v1/%s/cloudservers/detail?name=%s&limit=1000", r->ecs_url, r->project_id, q);
	w2c_api_result res;
	w2c_code rc = w2c_onb_call(r, &r->ecs, "GET", url, NULL, W2C_API_IDEMPOTENT, &res, err);

	*servers = NULL;
	if (!rc && !json_is_array(json_object_get(res.json, "servers")))
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "ECS GET %s: answer has no 'servers' array", url);
	if (!rc)
		*servers = json_incref(json_object_get(res.json, "servers"));
	w2c_api_result_free(&res);
	free(url);
	free(q);
	return rc;
}

/* POST a body that answers with an ECS job, then follow the job for up to @secs. */
static w2c_code ecs_job_call(w2c_onb *r, const char *path, json_t *body, const char *what, double secs,
			     w2c_error *err)
{
	char *url = w2c_asprintf("%s/v1/%s/%s", r->ecs_url, r->project_id, path);
	w2c_api_result res;
	w2c_code rc = w2c_onb_call(r, &r->ecs, "POST", url, body, 0, &res, err);
	const char *job = json_string_value(json_object_get(res.json, "job_id"));
	char *jobc = job ? w2c_strdup(job) : NULL;

	if (!rc && !jobc)
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "ECS POST %s: answer has no job_id", url);
	w2c_api_result_free(&res);
	if (!rc && !strcmp(what, "delete"))
		snprintf(r->st.delete_job, sizeof r->st.delete_job, "%s", jobc);
	if (!rc)
		rc = w2c_onb_follow_job(r, true, jobc, what, w2c_now() + secs, NULL, 0, err);
	free(jobc);
	free(url);
	json_decref(body);
	return rc;
}

w2c_code w2c_onb_delete_server(w2c_onb *r, const char *id, w2c_error *err)
{
	return ecs_job_call(r, "cloudservers/delete", w2c_onb_delete_body(id), "delete", 900, err);
}

w2c_code w2c_onb_stop_server(w2c_onb *r, const char *id, w2c_error *err)
{
	json_t *b = json_pack("{s:{s:s,s:[{s:s}]}}", "os-stop", "type", "HARD", "servers", "id", id);
	return ecs_job_call(r, "cloudservers/action", b, "stop", 600, err);
}

w2c_code w2c_onb_console(w2c_onb *r, const char *id, char *out, size_t n, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v1/%s/cloudservers/%s/remote_console", r->ecs_url, r->project_id, id);
	json_t *body = json_pack("{s:{s:s,s:s}}", "remote_console", "protocol", "vnc", "type", "novnc");
	w2c_api_result res;
	w2c_code rc = w2c_onb_call(r, &r->ecs, "POST", url, body, 0, &res, err);
	if (!rc)
		w2c_onb_console_url(res.json, out, n);
	w2c_api_result_free(&res);
	json_decref(body);
	free(url);
	return rc;
}
