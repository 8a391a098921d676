/* onboard: the IMS side - the ISO image we boot, and the system-disk image we make (spec §3.5, §4.5a). */
#include "register/onboard/onboard_int.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

#define SHA_TAG "w2c-sha256"
#define ISO_TAG "w2c-iso"

bool w2c_onb_is_uuid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

/* GET /v2/cloudimages?{key}={value}&__imagetype=private -> the "images" array (new reference). */
static w2c_code list_images(w2c_onb *r, const char *key, const char *value, json_t **images, w2c_error *err)
{
	char *q = w2c_http_uri_encode(value, false);
	char *url = w2c_asprintf("%s/v2/cloudimages?%s=%s&__imagetype=private", r->ims_url, key, q);
	w2c_api_result res;
	w2c_code rc = w2c_onb_call(r, &r->ims, "GET", url, NULL, W2C_API_IDEMPOTENT, &res, err);

	*images = NULL;
	if (!rc && !json_is_array(json_object_get(res.json, "images")))
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "IMS GET %s: answer has no 'images' array", url);
	if (!rc)
		*images = json_incref(json_object_get(res.json, "images"));
	w2c_api_result_free(&res);
	free(url);
	free(q);
	return rc;
}

static const char *str(json_t *img, const char *key)
{
	const char *s = json_string_value(json_object_get(img, key));
	return s ? s : "";
}

static bool has_tag(json_t *img, const char *tag)
{
	json_t *t;
	size_t i;
	json_array_foreach(json_object_get(img, "tags"), i, t)
		if (json_is_string(t) && !strcmp(json_string_value(t), tag))
			return true;
	return false;
}

/* The ISO's content tag (what `register` put there) carries over; else the ISO image id. */
static void take_iso(w2c_onb *r, json_t *img)
{
	json_t *t, *md = json_object_get(img, "min_disk");
	size_t i;

	snprintf(r->st.iso_image_id, sizeof r->st.iso_image_id, "%s", str(img, "id"));
	snprintf(r->res->iso_image_id, sizeof r->res->iso_image_id, "%s", str(img, "id"));
	snprintf(r->iso_os_version, sizeof r->iso_os_version, "%s", str(img, "__os_version"));
	r->iso_min_disk = json_is_integer(md) ? (int)json_integer_value(md) : 40;
	snprintf(r->content_tag, sizeof r->content_tag, ISO_TAG ".%s", str(img, "id"));
	json_array_foreach(json_object_get(img, "tags"), i, t) {
		const char *s = json_string_value(t);
		if (s && !strncmp(s, SHA_TAG ".", sizeof SHA_TAG) && strlen(s) < sizeof r->content_tag)
			snprintf(r->content_tag, sizeof r->content_tag, "%s", s);
	}
}

w2c_code w2c_onb_find_iso(w2c_onb *r, w2c_error *err)
{
	const char *want = r->o->iso_image;
	bool by_id = w2c_onb_is_uuid(want);
	json_t *imgs, *img, *hit = NULL;
	size_t i, n = 0;
	w2c_code rc = list_images(r, by_id ? "id" : "name", want, &imgs, err);

	if (rc)
		return rc;
	json_array_foreach(imgs, i, img) {
		if (!strcmp(str(img, "virtual_env_type"), "IsoImage") && (!hit || !strcmp(str(img, "status"), "active"))) {
			hit = img;
			n++;
		}
	}
	if (!hit)
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND, "--iso-image '%s': no private ISO image (virtual_env_type "
				   "IsoImage) with that %s; register it first (win2cloud register --iso)", want,
				   by_id ? "id" : "name");
	else if (n > 1)
		rc = w2c_set_error(err, W2C_ERR_USAGE, "--iso-image '%s': %zu ISO images have that name; give "
				   "the image id", want, n);
	else if (strcmp(str(hit, "status"), "active"))
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "--iso-image '%s' (%s) is '%s', expected active (wait "
				   "for the registration: win2cloud register --wait)", want, str(hit, "id"),
				   str(hit, "status"));
	else
		take_iso(r, hit);
	json_decref(imgs);
	return rc;
}

static w2c_code delete_image(w2c_onb *r, const char *id, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/images/%s", r->ims_url, id);
	w2c_api_result res;
	w2c_code rc = w2c_onb_call(r, &r->ims, "DELETE", url, NULL, W2C_API_IDEMPOTENT | W2C_API_ALLOW_404,
				   &res, err);
	w2c_api_result_free(&res);
	free(url);
	return rc;
}

/* One image of our name: reuse it, resume it, clear a dead one of ours, or refuse. */
static w2c_code resolve(w2c_onb *r, json_t *img, bool *done, w2c_error *err)
{
	const char *id = str(img, "id"), *st = str(img, "status");
	bool ours = has_tag(img, r->content_tag);

	if (!ours)
		return w2c_set_error(err, W2C_ERR_EXISTS, "an image named '%s' (%s, state '%s') exists and was "
				     "not made from this ISO image (no tag %s); choose another --name", r->o->name,
				     id, st, r->content_tag);
	snprintf(r->res->image_id, sizeof r->res->image_id, "%s", id);
	snprintf(r->res->image_status, sizeof r->res->image_status, "%s", st);
	if (!strcmp(st, "active")) {
		*done = r->res->existed = true;
		return W2C_OK;
	}
	if (!strcmp(st, "killed") || !strcmp(st, "deleted")) { /* a failed or cut-off earlier run's */
		w2c_onb_event(r, "deleted", NULL, id, "deleted image %s ('%s': its creation failed)", id, st);
		r->res->image_id[0] = 0;
		return delete_image(r, id, err);
	}
	snprintf(r->st.image_id, sizeof r->st.image_id, "%s", id); /* still being made: wait for it */
	return W2C_OK;
}

w2c_code w2c_onb_find_image(w2c_onb *r, bool *done, w2c_error *err)
{
	json_t *imgs, *img;
	size_t i;
	w2c_code rc = list_images(r, "name", r->o->name, &imgs, err);

	*done = false;
	json_array_foreach(imgs, i, img) {
		if (rc || *done)
			break;
		if (!strcmp(str(img, "name"), r->o->name))
			rc = resolve(r, img, done, err);
	}
	json_decref(imgs);
	return rc;
}

json_t *w2c_onb_image_body(w2c_onb *r, const char *volume_id)
{
	const w2c_onboard_options *o = r->o;
	const char *osv = o->os_version ? o->os_version : r->iso_os_version[0] ? r->iso_os_version : "{ISO __os_version}";
	const char *dot = strchr(r->content_tag, '.');
	json_t *tags = json_array();

	for (size_t i = 0; o->tags && o->tags[i]; i++) {
		const char *eq = strchr(o->tags[i], '=');
		if (eq)
			json_array_append_new(tags, json_pack("{s:s%,s:s}", "key", o->tags[i],
							      (size_t)(eq - o->tags[i]), "value", eq + 1));
	}
	if (dot) /* the same content tag as `register`, so a re-run finds this image */
		json_array_append_new(tags, json_pack("{s:s%,s:s}", "key", r->content_tag,
						      (size_t)(dot - r->content_tag), "value", dot + 1));
	return json_pack("{s:s,s:s,s:s,s:s,s:o}", "name", o->name, "volume_id", volume_id, "type", "ECS",
			 "os_version", osv, "image_tags", tags);
}

static w2c_code start_image_job(w2c_onb *r, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/cloudimages/action", r->ims_url);
	json_t *body = w2c_onb_image_body(r, r->st.volume_id);
	w2c_api_result res;
	w2c_code rc = w2c_onb_call(r, &r->ims, "POST", url, body, 0, &res, err);
	const char *job = json_string_value(json_object_get(res.json, "job_id"));

	if (!rc && !job)
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "IMS POST %s: answer has no job_id", url);
	if (!rc) {
		snprintf(r->st.image_job, sizeof r->st.image_job, "%s", job);
		w2c_onb_save(r);
		w2c_onb_event(r, "image-job", r->st.server_id, job, "IMS is making image '%s' from volume %s "
			      "(job %s)", r->o->name, r->st.volume_id, job);
	}
	w2c_api_result_free(&res);
	json_decref(body);
	free(url);
	return rc;
}

/* The job said SUCCESS; the image itself must say active (spec §3.5). */
static w2c_code confirm_active(w2c_onb *r, const char *id, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/images/%s", r->ims_url, id);
	double iv = r->o->poll_interval > 0 ? r->o->poll_interval : 10, limit = w2c_now() + 3600;
	w2c_code rc;

	for (;;) {
		w2c_api_result res;
		if ((rc = w2c_onb_call(r, &r->ims, "GET", url, NULL, W2C_API_IDEMPOTENT, &res, err)))
			break;
		snprintf(r->res->image_status, sizeof r->res->image_status, "%s", str(res.json, "status"));
		w2c_api_result_free(&res);
		if (!strcmp(r->res->image_status, "active"))
			break;
		if (!strcmp(r->res->image_status, "killed") || w2c_now() + iv > limit) {
			rc = w2c_set_error(err, W2C_ERR_REMOTE, "IMS image %s is '%s', expected active", id,
					   r->res->image_status);
			break;
		}
		if ((rc = w2c_onb_sleep(r, iv, "the image to become active", err)))
			break;
		iv = iv * 2 > 60 ? 60 : iv * 2;
	}
	free(url);
	return rc;
}

w2c_code w2c_onb_make_image(w2c_onb *r, w2c_error *err)
{
	char id[128] = "";
	w2c_code rc = W2C_OK;

	if (!r->st.image_job[0] && !r->st.image_id[0])
		rc = start_image_job(r, err);
	if (!rc && r->st.image_job[0])
		rc = w2c_onb_follow_job(r, false, r->st.image_job, "image from volume", w2c_now() + 4 * 3600, id,
					sizeof id, err);
	if (!rc && id[0])
		snprintf(r->st.image_id, sizeof r->st.image_id, "%s", id);
	if (!rc && !r->st.image_id[0])
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "IMS job %s succeeded without an image id", r->st.image_job);
	if (!rc)
		rc = confirm_active(r, r->st.image_id, err);
	if (!rc) {
		snprintf(r->res->image_id, sizeof r->res->image_id, "%s", r->st.image_id);
		w2c_onb_event(r, "image", NULL, r->st.image_id, "image '%s' is active: %s", r->o->name,
			      r->st.image_id);
	}
	return rc;
}
