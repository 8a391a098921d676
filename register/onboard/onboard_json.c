/* Parsers of the ECS and IMS answers onboard reads: jobs, server details, console (fuzzed). */
#include "register/onboard/onboard_int.h"

#include <string.h>

static void copy_str(char *dst, size_t n, json_t *v)
{
	snprintf(dst, n, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* ECS jobs name the new server in entities.server_id or in a sub-job's entities (spec §4.3). */
static void ecs_job_entities(json_t *ent, w2c_onb_job *job)
{
	json_t *subs = json_object_get(ent, "sub_jobs"), *s;
	size_t i;

	copy_str(job->entity_id, sizeof job->entity_id, json_object_get(ent, "server_id"));
	json_array_foreach(subs, i, s) {
		json_t *se = json_object_get(s, "entities");
		if (!job->entity_id[0])
			copy_str(job->entity_id, sizeof job->entity_id, json_object_get(se, "server_id"));
		if (!job->error_code[0])
			copy_str(job->error_code, sizeof job->error_code, json_object_get(s, "error_code"));
		if (!job->fail_reason[0])
			copy_str(job->fail_reason, sizeof job->fail_reason, json_object_get(s, "fail_reason"));
		if (!job->fail_reason[0]) /* some sub-jobs carry only errorcode_message */
			copy_str(job->fail_reason, sizeof job->fail_reason,
				 json_object_get(se, "errorcode_message"));
		if (i >= 100) /* one server per run: a long list is not ours */
			break;
	}
}

/* IMS: entities.image_id, else the first sub-job's (spec §3.4). */
static void ims_job_entities(json_t *ent, w2c_onb_job *job)
{
	json_t *subs = json_object_get(ent, "sub_jobs_result"), *s;
	size_t i;

	copy_str(job->entity_id, sizeof job->entity_id, json_object_get(ent, "image_id"));
	json_array_foreach(subs, i, s) {
		if (job->entity_id[0] || i >= 100)
			break;
		copy_str(job->entity_id, sizeof job->entity_id,
			 json_object_get(json_object_get(s, "entities"), "image_id"));
		if (!job->error_code[0])
			copy_str(job->error_code, sizeof job->error_code, json_object_get(s, "error_code"));
	}
}

w2c_code w2c_onb_job_parse(const char *body, size_t len, bool ecs, w2c_onb_job *job, w2c_error *err)
{
	json_t *doc = json_loadb(body, len, 0, NULL), *ent;
	const char *svc = ecs ? "ECS" : "IMS";

	memset(job, 0, sizeof *job);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return w2c_set_error(err, W2C_ERR_REMOTE, "%s job answer is not a JSON object", svc);
	}
	copy_str(job->status, sizeof job->status, json_object_get(doc, "status"));
	copy_str(job->error_code, sizeof job->error_code, json_object_get(doc, "error_code"));
	copy_str(job->fail_reason, sizeof job->fail_reason, json_object_get(doc, "fail_reason"));
	ent = json_object_get(doc, "entities");
	if (ecs)
		ecs_job_entities(ent, job);
	else
		ims_job_entities(ent, job);
	json_decref(doc);
	if (strcmp(job->status, "INIT") && strcmp(job->status, "RUNNING") && strcmp(job->status, "SUCCESS") &&
	    strcmp(job->status, "FAIL"))
		return w2c_set_error(err, W2C_ERR_REMOTE, "%s job: field 'status' is '%s', expected INIT, "
				     "RUNNING, SUCCESS or FAIL", svc, job->status);
	return W2C_OK;
}

w2c_code w2c_onb_server_parse(json_t *server, w2c_onb_server *s, w2c_error *err)
{
	json_t *vols, *v;
	size_t i;

	memset(s, 0, sizeof *s);
	if (!json_is_object(server) || !json_is_string(json_object_get(server, "id")))
		return w2c_set_error(err, W2C_ERR_REMOTE, "ECS server: expected an object with a string "
				     "'id'");
	copy_str(s->id, sizeof s->id, json_object_get(server, "id"));
	copy_str(s->name, sizeof s->name, json_object_get(server, "name"));
	copy_str(s->status, sizeof s->status, json_object_get(server, "status"));
	copy_str(s->run_tag, sizeof s->run_tag,
		 json_object_get(json_object_get(server, "metadata"), "w2c_onboard"));
	vols = json_object_get(server, "os-extended-volumes:volumes_attached");
	json_array_foreach(vols, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const char *boot = json_string_value(json_object_get(v, "bootIndex"));
		if (!id)
			continue;
		if (s->n_volumes < sizeof s->volumes / sizeof s->volumes[0])
			snprintf(s->volumes[s->n_volumes++], sizeof s->volumes[0], "%s", id);
		/* the system disk has bootIndex "0"; Setup installs onto the data disk (spec §4.1) */
		if (!s->data_volume[0] && (!boot || strcmp(boot, "0")))
			snprintf(s->data_volume, sizeof s->data_volume, "%s", id);
		if (i >= 64)
			break;
	}
	if (!s->status[0])
		return w2c_set_error(err, W2C_ERR_REMOTE, "ECS server %s: no 'status' field", s->id);
	return W2C_OK;
}

void w2c_onb_console_url(json_t *doc, char *out, size_t n)
{
	copy_str(out, n, json_object_get(json_object_get(doc, "remote_console"), "url"));
}
