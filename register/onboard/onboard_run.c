/*
 * onboard: the steps of one run - create the temporary server (or find the one
 * an earlier run of ours made), wait for the install to power it off, make the
 * image from the install volume, delete the server - and the cleanup that
 * runs on every failure.  The state file is written before each step that
 * creates something, so a crash at any point leaves a trail to our server.
 */
#include "register/onboard/onboard_int.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void set_step(w2c_onb *r, const char *step)
{
	snprintf(r->st.step, sizeof r->st.step, "%s", step);
	w2c_onb_save(r);
}

static void take_server(w2c_onb *r, const w2c_onb_server *s)
{
	size_t len = 0;
	snprintf(r->st.server_id, sizeof r->st.server_id, "%s", s->id);
	snprintf(r->res->server_id, sizeof r->res->server_id, "%s", s->id);
	if (s->data_volume[0])
		snprintf(r->st.volume_id, sizeof r->st.volume_id, "%s", s->data_volume);
	snprintf(r->res->volume_id, sizeof r->res->volume_id, "%s", r->st.volume_id);
	r->volumes[0] = 0;
	for (unsigned i = 0; i < s->n_volumes && len < sizeof r->volumes; i++)
		len += (size_t)snprintf(r->volumes + len, sizeof r->volumes - len, "%s%s", i ? ", " : "",
					s->volumes[i]);
}

/* Our server by name and run tag, whatever the state file says (a crash may have cut it short). */
static w2c_code find_own_server(w2c_onb *r, bool *found, w2c_error *err)
{
	json_t *list, *v;
	size_t i;
	w2c_code rc = w2c_onb_list_servers(r, r->st.server_name, &list, err);

	*found = false;
	json_array_foreach(list, i, v) {
		w2c_onb_server s;
		if (rc || *found)
			break;
		if (w2c_onb_server_parse(v, &s, NULL) || strcmp(s.name, r->st.server_name) ||
		    strcmp(s.run_tag, r->st.run_id) || !strcmp(s.status, "DELETED"))
			continue;
		take_server(r, &s);
		*found = true;
	}
	json_decref(list);
	return rc;
}

static w2c_code create_server(w2c_onb *r, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v1/%s/cloudservers", r->ecs_url, r->project_id);
	json_t *body = w2c_onb_create_body(r);
	w2c_api_result res;
	w2c_code rc = w2c_onb_call(r, &r->ecs, "POST", url, body, 0, &res, err);
	const char *job = json_string_value(json_object_get(res.json, "job_id"));

	if (!rc && !job)
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "ECS POST %s: answer has no job_id", url);
	if (!rc) {
		snprintf(r->st.create_job, sizeof r->st.create_job, "%s", job);
		w2c_onb_save(r);
	}
	w2c_api_result_free(&res);
	json_decref(body);
	free(url);
	return rc;
}

/* Step "creating": one server per run, ever. */
static w2c_code step_create(w2c_onb *r, w2c_error *err)
{
	char id[128] = "";
	bool found = false;
	/* a known create job is followed (GET of the server may 404 until it ends, spec §4.3);
	 * without one, a crash may have come between the create call and saving its job id */
	w2c_code rc = r->res->resumed && !r->st.create_job[0] ? find_own_server(r, &found, err) : W2C_OK;

	if (!rc && !found && !r->st.create_job[0]) {
		w2c_onb_event(r, "status", NULL, "creating", "creating temporary server %s (flavor %s, "
			      "%d GB %s data disk) from ISO image %s", r->st.server_name, r->o->flavor,
			      r->o->size, r->o->disk_type, r->st.iso_image_id);
		rc = create_server(r, err);
	}
	if (!rc && !found) {
		rc = w2c_onb_follow_job(r, true, r->st.create_job, "create server", w2c_now() + 1800, id,
					sizeof id, err);
		if (id[0]) /* also after FAIL: a failed create may leave a server to delete */
			snprintf(r->st.server_id, sizeof r->st.server_id, "%s", id);
		if (!rc && !id[0])
			rc = w2c_set_error(err, W2C_ERR_REMOTE, "ECS job %s (create server) succeeded without a "
					   "server id", r->st.create_job);
	}
	if (rc)
		return rc;
	snprintf(r->res->server_id, sizeof r->res->server_id, "%s", r->st.server_id);
	w2c_onb_event(r, "server", r->st.server_id, r->st.server_name, "temporary server %s: %s",
		      r->st.server_name, r->st.server_id);
	set_step(r, "installing");
	return W2C_OK;
}

static w2c_code show_console(w2c_onb *r, w2c_error *err)
{
	char url[2048] = "";
	w2c_code rc = w2c_onb_console(r, r->st.server_id, url, sizeof url, err);
	if (!rc && url[0])
		w2c_onb_event(r, "console", r->st.server_id, url, "watch the install on the remote console "
			      "(valid 10 minutes; run again for a new one): %s", url);
	return rc;
}

/* Sleep @secs in steps of a second, reporting the install's progress each time. */
static w2c_code install_sleep(w2c_onb *r, double secs, double t0, double total, const char *status,
			      w2c_error *err)
{
	for (double end = w2c_now() + secs; w2c_now() < end;) {
		w2c_code rc;
		if (w2c_progress_report(r->o->progress, "install", status, (uint64_t)(w2c_now() - t0),
					(uint64_t)total))
			return w2c_set_error(err, W2C_ERR_INTERRUPTED, "interrupted while waiting for the install");
		if ((rc = w2c_onb_sleep(r, end - w2c_now() < 1 ? end - w2c_now() : 1, "the install", err)))
			return rc;
	}
	return W2C_OK;
}

/* Step "installing": BUILD -> ACTIVE (console) -> SHUTOFF, until the deadline. */
static w2c_code step_install(w2c_onb *r, w2c_error *err)
{
	double iv = r->o->poll_interval > 0 ? r->o->poll_interval : 10, t0 = w2c_now();
	double total = r->o->timeout > 0 ? r->o->timeout : 3 * 3600;
	bool console = false, found;
	char last[24] = "";
	w2c_code rc;

	for (;;) {
		w2c_onb_server s;
		if ((rc = w2c_onb_get_server(r, r->st.server_id, &s, &found, err)))
			return rc;
		if (!found && w2c_now() - t0 < 60) { /* a young server may 404 for a while (spec §4.3) */
			if ((rc = w2c_onb_sleep(r, iv, "the server to appear", err)))
				return rc;
			continue;
		}
		if (!found) {
			r->st.server_id[0] = 0;
			return w2c_set_error(err, W2C_ERR_REMOTE, "ECS server %s (%s) is gone (deleted outside this "
					     "run?); run again to start over", r->res->server_id, r->st.server_name);
		}
		take_server(r, &s);
		if (strcmp(last, s.status))
			w2c_onb_event(r, "status", s.id, s.status, "server %s: %s", s.id, s.status);
		snprintf(last, sizeof last, "%s", s.status);
		if (!r->st.volume_id[0] && strcmp(s.status, "BUILD"))
			return w2c_set_error(err, W2C_ERR_REMOTE, "ECS server %s: no data volume among "
					     "os-extended-volumes:volumes_attached (expected one with bootIndex "
					     "other than \"0\")", s.id);
		if (!strcmp(s.status, "SHUTOFF"))
			break;
		if (!strcmp(s.status, "ERROR"))
			return w2c_set_error(err, W2C_ERR_REMOTE, "ECS server %s went to ERROR during the install",
					     s.id);
		if (!strcmp(s.status, "ACTIVE") && !console) {
			console = true;
			if ((rc = show_console(r, err)))
				return rc;
			if (!r->o->wait) {
				r->res->server_kept = true;
				return W2C_OK;
			}
		}
		double left = total - (w2c_now() - t0);
		if (left <= 0)
			return w2c_set_error(err, W2C_ERR_INTERRUPTED, "the install did not power server %s off "
					     "within %.0f s (--timeout); last status %s", s.id, total, s.status);
		if ((rc = install_sleep(r, iv < left ? iv : left, t0, total, s.status, err)))
			return rc;
		iv = iv * 2 > 60 ? 60 : iv * 2;
	}
	set_step(r, "imaging");
	return W2C_OK;
}

static void forget_state(w2c_onb *r)
{
	if (r->state_path)
		unlink(r->state_path);
}

/* Delete our server (found by id or by name) and say so. */
static w2c_code remove_server(w2c_onb *r, w2c_error *err)
{
	bool found = !!r->st.server_id[0];
	w2c_code rc = W2C_OK;

	if (!found && r->st.server_name[0])
		rc = find_own_server(r, &found, err);
	if (rc || !found)
		return rc;
	w2c_onb_server s;
	w2c_error e;
	bool there = true;
	if (w2c_onb_get_server(r, r->st.server_id, &s, &there, &e))
		there = true; /* could not look: delete anyway, the delete call is what matters */
	else if (there)
		take_server(r, &s); /* learn the volumes, to report them */
	if (!there) { /* a crash after the delete call: nothing left to delete */
		r->st.server_id[0] = 0;
		return W2C_OK;
	}
	if ((rc = w2c_onb_delete_server(r, r->st.server_id, err)))
		return rc;
	snprintf(r->res->deleted, sizeof r->res->deleted, "server %s (%s) with its volumes %s",
		 r->st.server_name, r->st.server_id, r->volumes[0] ? r->volumes : "(none attached)");
	w2c_onb_event(r, "deleted", r->st.server_id, r->st.server_name, "deleted %s", r->res->deleted);
	r->st.server_id[0] = 0;
	r->res->server_kept = false;
	return W2C_OK;
}

/* On every failure: delete the server (or stop and keep it), then report the first error. */
static void on_failure(w2c_onb *r, w2c_error *err)
{
	w2c_error e2;
	bool found = !!r->st.server_id[0];

	r->stopping = true; /* a stop request must not cut the cleanup short */
	if (r->st.step[0] && !strcmp(r->st.step, "imaging") && r->st.image_job[0]) {
		bool done;
		w2c_onb_find_image(r, &done, &e2); /* drops the image our failed job left 'killed' */
	}
	if (r->o->keep_server) {
		if (!found && r->st.server_name[0])
			find_own_server(r, &found, &e2);
		if (!found)
			return forget_state(r);
		r->res->server_kept = true;
		if (w2c_onb_stop_server(r, r->st.server_id, &e2))
			w2c_log(r->o->log, W2C_LOG_WARN, "could not stop the kept server: %s", e2.message);
		w2c_onb_event(r, "kept", r->st.server_id, r->st.server_name, "kept server %s (%s), stopped "
			      "(--keep-server); delete it with 'win2cloud onboard --cleanup'",
			      r->st.server_name, r->st.server_id);
		return;
	}
	if (remove_server(r, &e2)) {
		size_t n = strlen(err->message);
		snprintf(err->message + n, sizeof err->message - n, "; the temporary server %s could NOT be "
			 "deleted (%s): run 'win2cloud onboard --cleanup'", r->st.server_name, e2.message);
		return;
	}
	forget_state(r);
}

static w2c_code drive(w2c_onb *r, w2c_error *err)
{
	w2c_code rc = W2C_OK;
	if (!strcmp(r->st.step, "creating"))
		rc = step_create(r, err);
	if (!rc && !strcmp(r->st.step, "installing"))
		rc = step_install(r, err);
	if (!rc && r->res->server_kept) /* !wait: the install goes on; a later run continues */
		return W2C_OK;
	if (!rc && !strcmp(r->st.step, "imaging") && !(rc = w2c_onb_make_image(r, err)))
		set_step(r, "deleting");
	if (!rc && !strcmp(r->st.step, "deleting") && !r->o->keep_server)
		rc = remove_server(r, err);
	if (!rc && r->o->keep_server && r->st.server_id[0]) {
		r->res->server_kept = true;
		w2c_onb_event(r, "kept", r->st.server_id, r->st.server_name, "kept server %s (%s) "
			      "(--keep-server); delete it with 'win2cloud onboard --cleanup'",
			      r->st.server_name, r->st.server_id);
	}
	if (!rc)
		set_step(r, "done");
	return rc;
}

static w2c_code new_run(w2c_onb *r, w2c_error *err)
{
	unsigned char rnd[8];
	FILE *f = fopen("/dev/urandom", "rb");
	bool ok = f && fread(rnd, 1, sizeof rnd, f) == sizeof rnd;

	if (f)
		fclose(f);
	if (!ok)
		return w2c_set_error(err, W2C_ERR_IO, "/dev/urandom: cannot read a run id");
	memset(&r->st, 0, sizeof r->st);
	w2c_hex(rnd, sizeof rnd, r->st.run_id);
	snprintf(r->st.name, sizeof r->st.name, "%s", r->o->name);
	snprintf(r->st.iso_image_id, sizeof r->st.iso_image_id, "%s", r->res->iso_image_id);
	snprintf(r->st.server_name, sizeof r->st.server_name, W2C_ONBOARD_SERVER_PREFIX "%s", r->st.run_id);
	set_step(r, "creating"); /* before the create call: a crash after it still knows the name */
	return W2C_OK;
}

w2c_code w2c_onb_run(w2c_onb *r, w2c_error *err)
{
	bool done = false;
	w2c_code rc = w2c_onb_find_iso(r, err);

	if (!rc)
		rc = w2c_onb_find_image(r, &done, err);
	if (!rc && done) { /* made by an earlier run; a server that run left is ours to delete */
		if (r->st.step[0] && strcmp(r->st.step, "done") && !r->o->keep_server)
			rc = remove_server(r, err);
		if (!rc)
			set_step(r, "done");
		return rc;
	}
	bool fresh = !r->st.step[0] || !strcmp(r->st.step, "done");
	if (!rc && fresh && r->st.image_id[0]) { /* ours, still being made by a run whose state is gone */
		w2c_onb_event(r, "resumed", NULL, r->st.image_id, "image %s of an earlier run is still being "
			      "made; waiting for it", r->st.image_id);
		r->st.image_job[0] = 0;
		if (!(rc = w2c_onb_make_image(r, err)))
			snprintf(r->res->step, sizeof r->res->step, "done");
		return rc;
	}
	if (!rc && fresh)
		rc = new_run(r, err);
	else if (!rc) {
		r->res->resumed = true;
		w2c_onb_event(r, "resumed", r->st.server_id[0] ? r->st.server_id : NULL, r->st.step,
			      "resuming run %s at step '%s' (server %s)", r->st.run_id, r->st.step,
			      r->st.server_name);
	}
	snprintf(r->res->run_id, sizeof r->res->run_id, "%s", r->st.run_id);
	snprintf(r->res->server_name, sizeof r->res->server_name, "%s", r->st.server_name);
	if (rc)
		return rc;
	if ((rc = drive(r, err)))
		on_failure(r, err);
	snprintf(r->res->step, sizeof r->res->step, "%s", r->st.step);
	return rc;
}

void w2c_onb_plan_run(w2c_onb *r)
{
	char *u, *qi = w2c_http_uri_encode(r->o->iso_image, false), *qn = w2c_http_uri_encode(r->o->name, false);
	const char *p = r->project_id, *e = r->ecs_url, *i = r->ims_url;

	w2c_onb_plan_token(r);
	u = w2c_asprintf("%s/v2/cloudimages?%s=%s&__imagetype=private", i,
			 w2c_onb_is_uuid(r->o->iso_image) ? "id" : "name", qi);
	w2c_onb_plan(r, "GET", u, NULL);
	free(u);
	u = w2c_asprintf("%s/v2/cloudimages?name=%s&__imagetype=private", i, qn);
	w2c_onb_plan(r, "GET", u, NULL);
	free(u);
	free(qi);
	free(qn);
	snprintf(r->st.run_id, sizeof r->st.run_id, "{run_id}");
	snprintf(r->st.server_name, sizeof r->st.server_name, W2C_ONBOARD_SERVER_PREFIX "{run_id}");
	struct { const char *m, *fmt; json_t *body; } steps[] = {
		{ "POST", "%s/v1/%s/cloudservers", w2c_onb_create_body(r) },
		{ "GET", "%s/v1/%s/jobs/{job_id}", NULL },
		{ "GET", "%s/v1/%s/cloudservers/{server_id}", NULL },
		{ "POST", "%s/v1/%s/cloudservers/{server_id}/remote_console",
		  json_pack("{s:{s:s,s:s}}", "remote_console", "protocol", "vnc", "type", "novnc") },
		{ "POST", "%s/v2/cloudimages/action", w2c_onb_image_body(r, "{data volume id}") },
		{ "GET", "%s/v1/%s/jobs/{image_job_id}", NULL },
		{ "POST", "%s/v1/%s/cloudservers/delete", w2c_onb_delete_body("{server_id}") },
		{ "GET", "%s/v1/%s/jobs/{delete_job_id}", NULL },
	};
	for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		bool ims = k == 4 || k == 5;
		u = k == 4 ? w2c_asprintf(steps[k].fmt, i) : w2c_asprintf(steps[k].fmt, ims ? i : e, p);
		if (!(k == 6 && r->o->keep_server) && (r->o->wait || k < 4))
			w2c_onb_plan(r, steps[k].m, u, steps[k].body);
		free(u);
		json_decref(steps[k].body);
	}
}
