/* onboard: reaching IMS and ECS (one HTTP client, one token), dry-run plans, events, waiting. */
#include "register/onboard/onboard_int.h"
#include "common/util.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *region_default(const w2c_onb *r, const char *svc)
{
	const w2c_cloud_config *cfg = r->o->cfg;
	const char *region = cfg && cfg->region_name ? cfg->region_name : NULL;
	if (!region)
		return NULL;
	if (r->o->kind == W2C_CLOUD_OTC)
		return w2c_asprintf("https://%s.%s.otc.t-systems.com", svc, region);
	return w2c_asprintf("https://%s.%s.myhuaweicloud.com", svc, region);
}

/* Catalog URLs may carry a version and project ("/v1/<project>"): we add our own paths. */
static void strip_version_path(char *url)
{
	char *scheme = strstr(url, "://"), *path = scheme ? strchr(scheme + 3, '/') : NULL;
	for (char *p = path; p && *p; p = strchr(p + 1, '/')) {
		if (p[1] == 'v' && p[2] >= '0' && p[2] <= '9') {
			*p = 0;
			break;
		}
	}
	for (size_t n = strlen(url); n && url[n - 1] == '/'; n--)
		url[n - 1] = 0;
}

static w2c_code endpoint(w2c_onb *r, const char *given, const char *cfg_url, const char *const *types,
			 const char *svc, char **out, w2c_error *err)
{
	w2c_code rc = W2C_ERR_NOT_FOUND;
	if (given)
		*out = w2c_strdup(given);
	else if (cfg_url)
		*out = w2c_strdup(cfg_url);
	else if (r->ims.token) {
		for (size_t i = 0; types[i] && rc; i++)
			rc = w2c_token_endpoint(r->ims.token, types[i], out, err);
		if (rc)
			return rc;
	} else if (!(*out = region_default(r, svc)))
		return w2c_set_error(err, W2C_ERR_USAGE, "no %s endpoint: give --%s-endpoint URL or a region "
				     "(OS_REGION_NAME)", svc, svc);
	if (!*out)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	strip_version_path(*out);
	return W2C_OK;
}

static w2c_code credentials(w2c_onb *r, w2c_error *err)
{
	const w2c_onboard_options *o = r->o;
	w2c_code rc;
	const char *tok;

	if (o->cfg && o->cfg->password && *o->cfg->password) {
		if ((rc = w2c_token_session_new(o->cfg, r->ims.http, o->log, &r->ims.token, err)) ||
		    (rc = w2c_token_get(r->ims.token, &tok, err)))
			return rc;
		r->project_id = w2c_strdup(w2c_token_project_id(r->ims.token));
		return r->project_id ? W2C_OK : w2c_set_error(err, W2C_ERR_REMOTE, "the token names no project");
	}
	if (o->access_key && o->secret_key) {
		r->ims.ak = r->ecs.ak = o->access_key;
		r->ims.sk = r->ecs.sk = o->secret_key;
		r->project_id = w2c_strdup(o->cfg ? o->cfg->project_id : NULL);
		r->ims.project_id = r->ecs.project_id = r->project_id;
		return r->project_id ? W2C_OK : w2c_set_error(err, W2C_ERR_USAGE, "AK/SK signing needs the "
							     "project id (OS_PROJECT_ID or project_id in clouds.yaml)");
	}
	return w2c_set_error(err, W2C_ERR_AUTH, "no credentials: set a password (OS_PASSWORD or clouds.yaml) "
			     "or an access key pair (OS_ACCESS_KEY/OS_SECRET_KEY)");
}

w2c_code w2c_onb_connect(w2c_onb *r, w2c_error *err)
{
	static const char *const ims_types[] = { "image", NULL };
	static const char *const ecs_types[] = { "ecs", "compute", NULL };
	const w2c_onboard_options *o = r->o;
	w2c_http_options ho = { 0 };
	w2c_code rc;

	ho.ca_bundle = o->cfg ? o->cfg->cacert : NULL;
	ho.log = o->log;
	if ((rc = w2c_http_new(&ho, &r->ims.http, err)))
		return rc;
	r->ecs.http = r->ims.http;
	r->ims.service = "IMS";
	r->ecs.service = "ECS";
	r->ims.log = r->ecs.log = o->log;
	if ((rc = credentials(r, err)))
		return rc;
	r->ecs.token = r->ims.token;
	if ((rc = endpoint(r, o->ims_endpoint, o->cfg ? o->cfg->image_endpoint : NULL, ims_types, "ims",
			   &r->ims_url, err)))
		return rc;
	return endpoint(r, o->ecs_endpoint, NULL, ecs_types, "ecs", &r->ecs_url, err);
}

void w2c_onb_plan_endpoints(w2c_onb *r)
{
	const w2c_onboard_options *o = r->o;
	r->ims_url = o->ims_endpoint ? w2c_strdup(o->ims_endpoint)
		   : o->cfg && o->cfg->image_endpoint ? w2c_strdup(o->cfg->image_endpoint) : region_default(r, "ims");
	r->ecs_url = o->ecs_endpoint ? w2c_strdup(o->ecs_endpoint) : region_default(r, "ecs");
	if (!r->ims_url)
		r->ims_url = w2c_strdup("{image endpoint from the catalog}");
	if (!r->ecs_url)
		r->ecs_url = w2c_strdup("{ecs endpoint from the catalog}");
	r->project_id = w2c_strdup(o->cfg && o->cfg->project_id ? o->cfg->project_id : "{project_id}");
}

void w2c_onb_disconnect(w2c_onb *r)
{
	if (r->ims.token)
		r->res->tokens = w2c_token_count(r->ims.token);
	w2c_token_session_free(r->ims.token);
	w2c_http_free(r->ims.http);
	free(r->ims_url);
	free(r->ecs_url);
	free(r->project_id);
	free(r->state_path);
}

void w2c_onb_plan(w2c_onb *r, const char *method, const char *url, const json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char red[1024];
	w2c_http_redact_url(url, red, sizeof red);
	r->o->plan(r->o->plan_user, method, red, text);
	free(text);
}

void w2c_onb_plan_token(w2c_onb *r)
{
	const w2c_cloud_config *cfg = r->o->cfg;
	char *tb = NULL, *url;
	json_t *j;
	if (r->o->access_key || !cfg || !cfg->auth_url || w2c_token_request_body(cfg, true, &tb, NULL))
		return;
	j = json_loads(tb, 0, NULL);
	url = w2c_asprintf("%s/auth/tokens", cfg->auth_url);
	w2c_onb_plan(r, "POST", url, j);
	json_decref(j);
	free(url);
	free(tb);
}

void w2c_onb_event(w2c_onb *r, const char *kind, const char *server_id, const char *value,
		   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* the console URL carries a one-time token: it goes to the caller, never to the log */
	w2c_log(r->o->log, W2C_LOG_INFO, "onboard: %s", strcmp(kind, "console") ? msg : "console URL obtained");
	if (r->o->event) {
		w2c_onboard_event ev = { kind, msg, server_id, value };
		r->o->event(r->o->event_user, &ev);
	}
}

void w2c_onb_save(w2c_onb *r)
{
	w2c_error err;
	if (r->dry_run || !r->state_path)
		return;
	snprintf(r->res->step, sizeof r->res->step, "%s", r->st.step);
	if (w2c_onboard_state_save(r->state_path, &r->st, &err))
		w2c_log(r->o->log, W2C_LOG_WARN, "%s (the run goes on; a re-run finds the server by its name)",
			err.message);
}

w2c_code w2c_onb_sleep(w2c_onb *r, double secs, const char *what, w2c_error *err)
{
	double end = w2c_now() + secs;
	for (;;) {
		double left = end - w2c_now();
		if (!r->stopping && w2c_progress_report(r->o->progress, "wait", what, 0, 0))
			return w2c_set_error(err, W2C_ERR_INTERRUPTED, "interrupted while waiting for %s", what);
		if (left <= 0)
			return W2C_OK;
		struct timespec ts = { 0, (long)((left < 0.2 ? left : 0.2) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

w2c_code w2c_onb_call(w2c_onb *r, w2c_api *a, const char *method, const char *url, const json_t *body,
		      int flags, w2c_api_result *res, w2c_error *err)
{
	double backoff = 2, until = w2c_now() + 300;
	for (;;) {
		w2c_code rc = w2c_api_call(a, method, url, body, NULL, NULL, flags, res, err);
		if (rc != W2C_ERR_NETWORK || !(flags & W2C_API_IDEMPOTENT) || w2c_now() + backoff > until)
			return rc;
		/* the service may be restarting: keep asking for a while */
		w2c_log(r->o->log, W2C_LOG_WARN, "%s; trying again in %.0f s", err->message, backoff);
		w2c_api_result_free(res);
		if ((rc = w2c_onb_sleep(r, backoff, a->service, err)))
			return rc;
		backoff = backoff * 2 > 30 ? 30 : backoff * 2;
	}
}
