/* Keystone v3 / OTC IAM password tokens (spec §1.1, §5.1), cached and refreshed. */
#include "win2cloud/auth.h"
#include "win2cloud/http.h"
#include "win2cloud/api.h"
#include "common/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct w2c_token_session {
	w2c_cloud_config cfg;   /* own copies */
	w2c_http *http;
	const w2c_logger *log;
	char *token;            /* secret */
	double obtained;        /* w2c_now() when it was issued */
	double lifetime;
	char project_id[128];
	char *catalog;
	unsigned count;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void copy_config(w2c_cloud_config *d, const w2c_cloud_config *s)
{
	d->name = dup_or_null(s->name);
	d->auth_url = dup_or_null(s->auth_url);
	d->username = dup_or_null(s->username);
	d->user_id = dup_or_null(s->user_id);
	d->password = dup_or_null(s->password);
	d->user_domain_name = dup_or_null(s->user_domain_name);
	d->user_domain_id = dup_or_null(s->user_domain_id);
	d->project_name = dup_or_null(s->project_name);
	d->project_id = dup_or_null(s->project_id);
	d->project_domain_name = dup_or_null(s->project_domain_name);
	d->project_domain_id = dup_or_null(s->project_domain_id);
	d->region_name = dup_or_null(s->region_name);
	d->interface = dup_or_null(s->interface ? s->interface : "public");
}

static w2c_code check_config(const w2c_cloud_config *c, w2c_error *err)
{
	const char *src = c->source ? c->source : "the cloud configuration";
	if (!c->auth_url)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: auth_url (OS_AUTH_URL) is not set", src);
	if (!c->user_id && !c->username)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: username (OS_USERNAME) is not set", src);
	if (!c->user_id && !c->user_domain_name && !c->user_domain_id)
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "%s: user_domain_name (OS_USER_DOMAIN_NAME; the account name on OTC) "
				     "is not set", src);
	if (!c->password || !*c->password)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: password (OS_PASSWORD) is not set", src);
	if (!c->project_id && !c->project_name)
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "%s: a project is needed (OS_PROJECT_ID or OS_PROJECT_NAME, e.g. eu-de)", src);
	return W2C_OK;
}

w2c_code w2c_token_session_new(const w2c_cloud_config *cfg, struct w2c_http *http,
			       const w2c_logger *log, w2c_token_session **out, w2c_error *err)
{
	w2c_token_session *s;
	w2c_code rc = check_config(cfg, err);

	*out = NULL;
	if (rc)
		return rc;
	if (!(s = calloc(1, sizeof *s)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	copy_config(&s->cfg, cfg);
	s->http = http;
	s->log = log;
	*out = s;
	return W2C_OK;
}

static void drop_token(w2c_token_session *s)
{
	if (s->token) {
		explicit_bzero(s->token, strlen(s->token));
		free(s->token);
	}
	s->token = NULL;
}

void w2c_token_session_free(w2c_token_session *s)
{
	if (!s)
		return;
	drop_token(s);
	free(s->catalog);
	w2c_cloud_config_free(&s->cfg);
	free(s);
}

static json_t *domain_obj(const char *id, const char *name)
{
	return id ? json_pack("{s:s}", "id", id) : json_pack("{s:s}", "name", name ? name : "Default");
}

w2c_code w2c_token_request_body(const w2c_cloud_config *c, bool redact, char **out, w2c_error *err)
{
	json_t *user, *project, *doc;

	user = c->user_id ? json_pack("{s:s}", "id", c->user_id)
			  : json_pack("{s:s,s:o}", "name", c->username ? c->username : "",
				      "domain", domain_obj(c->user_domain_id, c->user_domain_name));
	if (user)
		json_object_set_new(user, "password",
				    json_string(redact ? "<redacted>" : (c->password ? c->password : "")));
	project = c->project_id ? json_pack("{s:s}", "id", c->project_id)
				: json_pack("{s:s?,s:o}", "name", c->project_name, "domain",
					    domain_obj(c->project_domain_id,
						       c->project_domain_name ? c->project_domain_name
									      : c->user_domain_name));
	doc = json_pack("{s:{s:{s:[s],s:{s:o}},s:{s:o}}}", "auth", "identity", "methods", "password",
			"password", "user", user, "scope", "project", project);
	*out = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	return *out ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory building the token request");
}

/* "2026-11-21T14:15:44.000000Z" -> seconds since the epoch (UTC); -1 when unparsable. */
static double parse_iso8601(const char *s)
{
	struct tm tm = { 0 };
	double frac = 0;
	const char *dot;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
			 &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((dot = strchr(s, '.')))
		frac = strtod(dot, NULL);
	return (double)timegm(&tm) + frac;
}

w2c_code w2c_token_parse_response(const char *body, size_t len, w2c_token_info *info, w2c_error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, 0, &jerr), *tok, *proj, *cat;
	double exp, iss;

	memset(info, 0, sizeof *info);
	if (!doc)
		return w2c_set_error(err, W2C_ERR_REMOTE, "token response is not JSON (%s at byte %d)",
				     jerr.text, jerr.position);
	tok = json_object_get(doc, "token");
	if (!json_is_object(tok)) {
		json_decref(doc);
		return w2c_set_error(err, W2C_ERR_REMOTE, "token response has no 'token' object");
	}
	exp = parse_iso8601(json_string_value(json_object_get(tok, "expires_at")));
	iss = parse_iso8601(json_string_value(json_object_get(tok, "issued_at")));
	if (exp > 0 && iss > 0 && exp > iss)
		info->lifetime = exp - iss;
	else if (exp > 0 && exp > (double)time(NULL))
		info->lifetime = exp - (double)time(NULL);
	proj = json_object_get(tok, "project");
	if (json_is_string(json_object_get(proj, "id")))
		snprintf(info->project_id, sizeof info->project_id, "%s",
			 json_string_value(json_object_get(proj, "id")));
	cat = json_object_get(tok, "catalog");
	if (json_is_array(cat))
		info->catalog_json = json_dumps(cat, JSON_COMPACT);
	json_decref(doc);
	return W2C_OK;
}

static bool endpoint_matches(json_t *ep, const char *iface, const char *region)
{
	const char *i = json_string_value(json_object_get(ep, "interface"));
	const char *r = json_string_value(json_object_get(ep, "region_id"));
	const char *r2 = json_string_value(json_object_get(ep, "region"));
	if (!json_is_string(json_object_get(ep, "url")) || (iface && (!i || strcmp(i, iface))))
		return false;
	return !region || (r && !strcmp(r, region)) || (r2 && !strcmp(r2, region));
}

w2c_code w2c_catalog_find(const char *catalog_json, const char *type, const char *iface,
			  const char *region, char **url, w2c_error *err)
{
	json_t *cat = catalog_json ? json_loads(catalog_json, 0, NULL) : NULL, *svc, *ep;
	size_t i, j;
	char types[256] = "";

	*url = NULL;
	json_array_foreach(cat, i, svc) {
		const char *t = json_string_value(json_object_get(svc, "type"));
		if (t && strlen(types) + strlen(t) + 3 < sizeof types)
			snprintf(types + strlen(types), sizeof types - strlen(types), "%s%s", *types ? ", " : "", t);
		if (!t || strcmp(t, type))
			continue;
		json_array_foreach(json_object_get(svc, "endpoints"), j, ep) {
			if (!*url && endpoint_matches(ep, iface, region)) {
				const char *u = json_string_value(json_object_get(ep, "url"));
				size_t n = strlen(u);
				while (n && u[n - 1] == '/')
					n--;
				*url = strndup(u, n);
			}
		}
	}
	json_decref(cat);
	if (*url)
		return W2C_OK;
	return w2c_set_error(err, W2C_ERR_NOT_FOUND,
			     "the service catalog has no '%s' endpoint for interface %s%s%s (types present: %s)",
			     type, iface ? iface : "any", region ? " in region " : "", region ? region : "",
			     *types ? types : "none");
}

static const char *who(const w2c_token_session *s, char *buf, size_t n)
{
	const w2c_cloud_config *c = &s->cfg;
	snprintf(buf, n, "user '%s' (domain %s), project '%s' at %s",
		 c->username ? c->username : c->user_id,
		 c->user_domain_name ? c->user_domain_name : c->user_domain_id ? c->user_domain_id : "-",
		 c->project_name ? c->project_name : c->project_id, c->auth_url);
	return buf;
}

static w2c_code authenticate(w2c_token_session *s, w2c_error *err)
{
	char *body = NULL, *url, id[512], msg[600];
	w2c_http_headers h = { 0 };
	w2c_http_response r;
	w2c_http_request req = { 0 };
	w2c_token_info info;
	w2c_code rc;
	size_t n = strlen(s->cfg.auth_url);

	while (n && s->cfg.auth_url[n - 1] == '/')
		n--;
	if ((rc = w2c_token_request_body(&s->cfg, false, &body, err)))
		return rc;
	url = w2c_asprintf("%.*s/auth/tokens", (int)n, s->cfg.auth_url);
	w2c_http_headers_add(&h, "Content-Type", "application/json;charset=utf8");
	w2c_http_headers_add(&h, "Accept", "application/json");
	req.method = "POST";
	req.url = url;
	req.headers = &h;
	req.body.kind = W2C_HTTP_BODY_MEMORY;
	req.body.data = body;
	req.body.len = strlen(body);
	req.what = "token request";
	w2c_log(s->log, W2C_LOG_INFO, "authenticating %s", who(s, id, sizeof id));
	rc = w2c_http_perform(s->http, &req, &r, err);
	if (!rc && (r.status == 401 || r.status == 403)) {
		w2c_api_error_text(r.body, r.body_len, msg, sizeof msg);
		rc = w2c_set_error(err, W2C_ERR_AUTH, "authentication refused for %s: HTTP %ld %s",
				   who(s, id, sizeof id), r.status, msg);
	} else if (!rc && r.status != 201 && r.status != 200) {
		w2c_api_error_text(r.body, r.body_len, msg, sizeof msg);
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "token request for %s: HTTP %ld %s",
				   who(s, id, sizeof id), r.status, msg);
	} else if (!rc && !w2c_http_headers_get(&r.headers, "X-Subject-Token")) {
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "token request to %s: no X-Subject-Token header in "
				   "the answer", url);
	} else if (!rc && !(rc = w2c_token_parse_response(r.body, r.body_len, &info, err))) {
		drop_token(s);
		s->token = strdup(w2c_http_headers_get(&r.headers, "X-Subject-Token"));
		s->obtained = w2c_now() - r.seconds;
		s->lifetime = info.lifetime > 0 ? info.lifetime : 3600;
		snprintf(s->project_id, sizeof s->project_id, "%s", info.project_id);
		if (info.catalog_json) {
			free(s->catalog);
			s->catalog = info.catalog_json;
		}
		s->count++;
		w2c_log(s->log, W2C_LOG_INFO, "token obtained, valid %.0f s, project %s", s->lifetime,
			s->project_id);
	}
	w2c_http_response_free(&r);
	w2c_http_headers_free(&h);
	explicit_bzero(body, strlen(body));
	free(body);
	free(url);
	return rc;
}

w2c_code w2c_token_get(w2c_token_session *s, const char **token, w2c_error *err)
{
	double margin = s->lifetime / 10 < 300 ? s->lifetime / 10 : 300;
	w2c_code rc = W2C_OK;

	if (!s->token || w2c_now() > s->obtained + s->lifetime - margin)
		rc = authenticate(s, err);
	*token = rc ? NULL : s->token;
	return rc;
}

void w2c_token_invalidate(w2c_token_session *s)
{
	drop_token(s);
}

unsigned w2c_token_count(const w2c_token_session *s)
{
	return s->count;
}

const char *w2c_token_project_id(const w2c_token_session *s)
{
	return s->project_id[0] ? s->project_id : NULL;
}

w2c_code w2c_token_endpoint(w2c_token_session *s, const char *type, char **url, w2c_error *err)
{
	const char *tok;
	w2c_code rc = w2c_token_get(s, &tok, err);
	if (rc)
		return rc;
	rc = w2c_catalog_find(s->catalog, type, s->cfg.interface, s->cfg.region_name, url, err);
	if (rc)
		w2c_error_prefix(err, "%s", s->cfg.auth_url);
	return rc;
}
