/* `register`: the service-independent flow - validate, find by name + content tag, create, wait. */
#include "register/images/image_service.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers for the backends ---- */

char *w2c_reg_qs(const char *s)
{
	return w2c_http_uri_encode(s, false);
}

w2c_code w2c_reg_sleep(w2c_reg *r, double secs, const char *what, w2c_error *err)
{
	double end = w2c_now() + secs;
	if (end > r->deadline)
		end = r->deadline;
	for (;;) {
		double left = end - w2c_now();
		if (w2c_progress_report(r->t->progress, "wait", what, 0, 0))
			return w2c_set_error(err, W2C_ERR_INTERRUPTED, "interrupted while waiting for %s", what);
		if (left <= 0)
			break;
		struct timespec ts = { 0, (long)((left < 0.2 ? left : 0.2) * 1e9) };
		nanosleep(&ts, NULL);
	}
	if (w2c_now() >= r->deadline)
		return w2c_set_error(err, W2C_ERR_INTERRUPTED,
				     "timed out after %.0f s waiting for %s; run the same command again to "
				     "resume (the image is found by its name and content tag)",
				     r->spec->timeout > 0 ? r->spec->timeout : 3600, what);
	return W2C_OK;
}

w2c_code w2c_reg_call(w2c_reg *r, const char *method, const char *url, const json_t *body, int flags,
		      w2c_api_result *res, w2c_error *err)
{
	double backoff = 2;
	for (;;) {
		w2c_code rc = w2c_api_call(&r->api, method, url, body, NULL, NULL, flags, res, err);
		if (rc != W2C_ERR_NETWORK || !(flags & W2C_API_IDEMPOTENT) || w2c_now() + backoff > r->deadline)
			return rc;
		/* the service may be restarting: keep asking until the deadline */
		w2c_log(r->t->log, W2C_LOG_WARN, "%s; trying again in %.0f s", err->message, backoff);
		w2c_api_result_free(res);
		if ((rc = w2c_reg_sleep(r, backoff, r->api.service, err)))
			return rc;
		backoff = backoff * 2 > 30 ? 30 : backoff * 2;
	}
}

void w2c_reg_plan(w2c_reg *r, const char *method, const char *url, const json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char red[1024];
	w2c_http_redact_url(url, red, sizeof red);
	r->t->plan(r->t->plan_user, method, red, text);
	free(text);
}

void w2c_reg_plan_token(w2c_reg *r)
{
	char *tb = NULL, *url;
	json_t *j;
	if (!r->t->cfg || !r->t->cfg->auth_url || w2c_token_request_body(r->t->cfg, true, &tb, NULL))
		return;
	j = json_loads(tb, 0, NULL);
	url = w2c_asprintf("%s/auth/tokens", r->t->cfg->auth_url);
	w2c_reg_plan(r, "POST", url, j);
	json_decref(j);
	free(url);
	free(tb);
}

/* ---- validation ---- */

w2c_code w2c_image_name_check(const char *what, const char *name, w2c_error *err)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > 128 || name[0] == ' ' || name[n - 1] == ' ')
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: expected 1-128 characters without leading/trailing spaces", what);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_' || c == ' '))
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s '%s': character %zu '%c' is not "
					     "allowed (letters, digits, '-', '.', '_', space)", what, name, i + 1, c);
	}
	return W2C_OK;
}

w2c_code w2c_image_tags_check(const char *const *tags, w2c_error *err)
{
	size_t n = 0;
	for (; tags && tags[n]; n++) {
		const char *eq = strchr(tags[n], '=');
		size_t kl = eq ? (size_t)(eq - tags[n]) : 0;
		if (!eq || kl < 1 || kl > 36 || strlen(eq + 1) > 43 || strchr(eq + 1, '='))
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "--tag '%s': expected KEY=VALUE (key 1-36, value <= 43 characters)",
					     tags[n]);
	}
	if (n > 9) /* one of the 10 allowed tags is our content tag */
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "--tag: at most 9 tags (IMS allows 10 per "
				     "image and win2cloud uses one for the content hash)");
	return W2C_OK;
}

static w2c_code check_spec(const w2c_register_target *t, const w2c_register_spec *s, w2c_error *err)
{
	w2c_os_version_list l;
	w2c_code rc = w2c_image_name_check("--name", s->name, err);

	if (!rc)
		rc = w2c_min_disk_check(s->min_disk, err);
	if (!rc && s->firmware && strcmp(s->firmware, "bios") && strcmp(s->firmware, "uefi"))
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "--firmware '%s': expected bios or uefi",
				   s->firmware);
	if (!rc)
		rc = w2c_image_tags_check(s->tags, err);
	if (!rc && t->kind != W2C_CLOUD_OPENSTACK && s->iso && !s->os_version)
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				   "--os-version is required for an ISO image on IMS (e.g. \"Windows Server "
				   "2019 Datacenter 64bit\")");
	if (!rc && s->os_version) {
		if (!(rc = w2c_os_version_list_load(&l, NULL, err))) {
			rc = w2c_os_version_check(&l, s->os_version, err);
			w2c_os_version_list_free(&l);
		}
	}
	if (!rc && s->quick_import && (s->iso || t->kind == W2C_CLOUD_OPENSTACK))
		rc = w2c_set_error(err, W2C_ERR_USAGE, "--quick-import: %s", s->iso
				   ? "not applicable to an ISO image (IMS quick import takes RAW or "
				     "ZVHD2 disk images)"
				   : "IMS only (otc, huaweicloud); Glance has no quick import");
	if (!rc && s->sha256 && (strlen(s->sha256) != 64 || strspn(s->sha256, "0123456789abcdef") != 64))
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "--sha256: expected 64 lowercase hex digits");
	return rc;
}

/* ---- local file digests: sha256 (our tag), md5 + sha512 (what Glance reports) ---- */

static w2c_code hash_file(w2c_reg *r, const char *path, w2c_error *err)
{
	const EVP_MD *mds[3] = { EVP_sha256(), EVP_md5(), EVP_sha512() };
	EVP_MD_CTX *ctx[3] = { 0 };
	unsigned char buf[1 << 16], md[EVP_MAX_MD_SIZE];
	char *outs[3] = { r->res->sha256, r->md5, r->sha512 };
	struct stat st;
	uint64_t done = 0;
	w2c_code rc = W2C_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: cannot open the image file (%s)", path,
				     fd < 0 ? strerror(errno) : "not a regular file");
	}
	for (int i = 0; i < 3; i++)
		if (!(ctx[i] = EVP_MD_CTX_new()) || !EVP_DigestInit_ex(ctx[i], mds[i], NULL))
			rc = w2c_set_error(err, W2C_ERR_EXTERNAL, "OpenSSL digest setup failed");
	while (!rc) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0) {
			rc = w2c_set_error(err, W2C_ERR_IO, "%s: read failed: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		for (int i = 0; i < 3; i++)
			EVP_DigestUpdate(ctx[i], buf, (size_t)n);
		done += (uint64_t)n;
		if (w2c_progress_report(r->t->progress, "hash", path, done, (uint64_t)st.st_size))
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "%s: hashing interrupted", path);
	}
	for (int i = 0; i < 3; i++) {
		unsigned int len = 0;
		if (!rc && EVP_DigestFinal_ex(ctx[i], md, &len))
			w2c_hex(md, len, outs[i]);
		EVP_MD_CTX_free(ctx[i]);
	}
	close(fd);
	return rc;
}

/* ---- connection ---- */

static char *default_endpoint(const w2c_register_target *t)
{
	const char *region = t->cfg && t->cfg->region_name ? t->cfg->region_name : NULL;
	if (t->kind == W2C_CLOUD_OTC && region)
		return w2c_asprintf("https://ims.%s.otc.t-systems.com", region);
	if (t->kind == W2C_CLOUD_HUAWEICLOUD && region)
		return w2c_asprintf("https://ims.%s.myhuaweicloud.com", region);
	return NULL;
}

static w2c_code connect_service(w2c_reg *r, w2c_error *err)
{
	const w2c_register_target *t = r->t;
	const w2c_cloud_config *cfg = t->cfg;
	w2c_http_options ho = { 0 };
	w2c_code rc;

	ho.ca_bundle = cfg ? cfg->cacert : NULL;
	ho.log = t->log;
	if ((rc = w2c_http_new(&ho, &r->api.http, err)))
		return rc;
	r->api.service = t->kind == W2C_CLOUD_OPENSTACK ? "Glance" : "IMS";
	r->api.log = t->log;
	if (cfg && cfg->password && *cfg->password) {
		if ((rc = w2c_token_session_new(cfg, r->api.http, t->log, &r->api.token, err)))
			return rc;
		const char *tok;
		if ((rc = w2c_token_get(r->api.token, &tok, err)))
			return rc;
		r->project_id = w2c_strdup(w2c_token_project_id(r->api.token));
	} else if (t->kind != W2C_CLOUD_OPENSTACK && t->access_key && t->secret_key) {
		r->api.ak = t->access_key;
		r->api.sk = t->secret_key;
		r->project_id = w2c_strdup(cfg ? cfg->project_id : NULL);
		r->api.project_id = r->project_id;
		if (!r->project_id)
			return w2c_set_error(err, W2C_ERR_USAGE, "AK/SK signing needs the project id "
					     "(OS_PROJECT_ID or project_id in clouds.yaml)");
	} else {
		return w2c_set_error(err, W2C_ERR_AUTH, "no credentials: set a password (OS_PASSWORD or "
				     "clouds.yaml)%s", t->kind == W2C_CLOUD_OPENSTACK ? ""
				     : " or an access key pair (OS_ACCESS_KEY/OS_SECRET_KEY)");
	}
	if (t->endpoint)
		r->endpoint = w2c_strdup(t->endpoint);
	else if (cfg && cfg->image_endpoint)
		r->endpoint = w2c_strdup(cfg->image_endpoint);
	else if (r->api.token) {
		if ((rc = w2c_token_endpoint(r->api.token, "image", &r->endpoint, err)))
			return rc;
	} else if (!(r->endpoint = default_endpoint(t)))
		return w2c_set_error(err, W2C_ERR_USAGE, "no image service endpoint: give --endpoint URL or "
				     "a region (OS_REGION_NAME)");
	for (size_t n = strlen(r->endpoint); n && r->endpoint[n - 1] == '/'; n--)
		r->endpoint[n - 1] = 0;
	return W2C_OK;
}

/* ---- the flow ---- */

static bool status_is(json_t *img, const char *const *set)
{
	const char *s = json_string_value(json_object_get(img, "status"));
	for (; s && *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static void take_image(w2c_reg *r, json_t *img)
{
	snprintf(r->res->image_id, sizeof r->res->image_id, "%s", json_string_value(json_object_get(img, "id")));
	snprintf(r->res->status, sizeof r->res->status, "%s", json_string_value(json_object_get(img, "status")));
}

/* Look at images of the same name: reuse, report, clear the way or refuse. */
static w2c_code resolve_existing(w2c_reg *r, const w2c_image_backend *b, bool *done, w2c_error *err)
{
	static const char *const active[] = { "active", NULL };
	static const char *const failed[] = { "killed", "deleted", "pending_delete", "deactivated", NULL };
	json_t *imgs = NULL, *img;
	size_t i;
	w2c_code rc = b->list(r, &imgs, err);

	*done = false;
	json_array_foreach(imgs, i, img) {
		const char *id = json_string_value(json_object_get(img, "id"));
		const char *st = json_string_value(json_object_get(img, "status"));
		bool ours = r->res->sha256[0] && b->has_tag(r, img);
		if (rc || !id)
			break;
		if (ours && status_is(img, active)) {
			take_image(r, img);
			r->res->existed = true;
			*done = true;
		} else if (ours && !status_is(img, failed)) {
			take_image(r, img); /* an earlier run's image still on its way: resume it */
			r->res->existed = true;
		} else if (!r->spec->replace) {
			rc = w2c_set_error(err, W2C_ERR_EXISTS,
					   ours ? "image '%s' (%s) from an earlier run is in state '%s'; "
						  "rerun with --replace to delete it and register again"
						: "an image named '%s' (%s, state '%s') exists with other content; "
						  "choose another --name or use --replace to delete it",
					   r->spec->name, id, st ? st : "?");
		} else {
			w2c_log(r->t->log, W2C_LOG_WARN, "--replace: deleting image %s (%s, state %s)", id,
				r->spec->name, st ? st : "?");
			if (!(rc = b->remove(r, id, err)))
				r->res->replaced = true;
		}
		if (*done)
			break;
	}
	json_decref(imgs);
	return rc;
}

static void cleanup(w2c_reg *r)
{
	w2c_token_session_free(r->api.token);
	w2c_http_free(r->api.http);
	free(r->endpoint);
	free(r->project_id);
	free(r->image_url);
}

static w2c_code prepare_source(w2c_reg *r, w2c_error *err)
{
	const w2c_register_spec *s = r->spec;
	w2c_code rc = W2C_OK;

	if (r->t->kind == W2C_CLOUD_OPENSTACK) {
		if (!s->sha256 || !r->dry_run)
			rc = hash_file(r, s->source, err);
		else
			snprintf(r->res->sha256, sizeof r->res->sha256, "%s", s->sha256);
		return rc;
	}
	if ((rc = w2c_ims_image_url(s->source, &r->image_url, err)))
		return rc;
	if (s->sha256)
		snprintf(r->res->sha256, sizeof r->res->sha256, "%s", s->sha256);
	else if (s->local_file)
		rc = hash_file(r, s->local_file, err);
	else
		w2c_log(r->t->log, W2C_LOG_WARN, "no --sha256/--file given: an existing image is recognised "
			"by its name only");
	return rc;
}

w2c_code w2c_register_image(const w2c_register_target *t, const w2c_register_spec *spec,
			    w2c_register_result *res, w2c_error *err)
{
	const w2c_image_backend *b = t->kind == W2C_CLOUD_OPENSTACK ? &w2c_backend_glance : &w2c_backend_ims;
	w2c_reg r = { t, spec, res };
	bool done = false;
	w2c_code rc;

	memset(res, 0, sizeof *res);
	r.dry_run = t->plan != NULL;
	r.deadline = w2c_now() + (spec->wait ? (spec->timeout > 0 ? spec->timeout : 3600) : 300);
	if ((rc = check_spec(t, spec, err)) || (rc = prepare_source(&r, err)))
		return rc;
	if (r.dry_run) {
		r.endpoint = t->endpoint ? w2c_strdup(t->endpoint)
			   : t->cfg && t->cfg->image_endpoint ? w2c_strdup(t->cfg->image_endpoint)
							      : default_endpoint(t);
		if (!r.endpoint)
			r.endpoint = w2c_strdup("{image endpoint from the catalog}");
		r.project_id = w2c_strdup(t->cfg && t->cfg->project_id ? t->cfg->project_id : "{project_id}");
		b->plan(&r);
		cleanup(&r);
		return W2C_OK;
	}
	if (!(rc = connect_service(&r, err)))
		rc = resolve_existing(&r, b, &done, err);
	if (!rc && !done && !res->existed)
		rc = b->create(&r, err);
	else if (!rc && !done && res->existed && t->kind == W2C_CLOUD_OPENSTACK && !strcmp(res->status, "queued"))
		rc = b->create(&r, err); /* upload into the image an interrupted run left queued */
	if (!rc && (spec->wait || (done && t->kind == W2C_CLOUD_OPENSTACK)))
		rc = b->wait(&r, err);
	if (r.api.token)
		res->tokens = w2c_token_count(r.api.token);
	cleanup(&r);
	return rc;
}

w2c_code w2c_reg_list_by_name(w2c_reg *r, const char *service, const char *base,
			      const char *extra_query, json_t **images, w2c_error *err)
{
	char *q = w2c_reg_qs(r->spec->name);
	char *url = w2c_asprintf("%s?name=%s%s", base, q, extra_query ? extra_query : "");
	w2c_api_result res;
	w2c_code rc = w2c_reg_call(r, "GET", url, NULL, W2C_API_IDEMPOTENT, &res, err);

	*images = NULL;
	if (!rc) {
		*images = json_incref(json_object_get(res.json, "images"));
		if (!json_is_array(*images))
			rc = w2c_set_error(err, W2C_ERR_REMOTE, "%s GET %s: answer has no 'images' array",
					   service, url);
	}
	w2c_api_result_free(&res);
	free(q);
	free(url);
	return rc;
}
