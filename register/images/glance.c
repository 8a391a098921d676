/* OpenStack Glance v2 registration: create, upload the file, wait for active, verify (spec §5.2). */
#include "register/images/image_service.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAG_PROP "w2c_sha256"

static w2c_code glance_list(w2c_reg *r, json_t **images, w2c_error *err)
{
	char *base = w2c_asprintf("%s/v2/images", r->endpoint);
	w2c_code rc = base ? w2c_reg_list_by_name(r, "Glance", base, NULL, images, err)
			   : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	free(base);
	return rc;
}

static bool glance_has_tag(w2c_reg *r, json_t *img)
{
	const char *v = json_string_value(json_object_get(img, TAG_PROP));
	return v && !strcmp(v, r->res->sha256);
}

static const char *disk_format(const w2c_register_spec *s)
{
	static const char *const ext[][2] = {
		{ ".qcow2", "qcow2" }, { ".vhd", "vhd" }, { ".vhdx", "vhdx" }, { ".vmdk", "vmdk" },
		{ ".raw", "raw" }, { ".img", "raw" }, { ".vdi", "vdi" }, { ".iso", "iso" },
	};
	if (s->iso)
		return "iso";
	if (s->disk_format)
		return s->disk_format;
	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
		if (w2c_str_endswith_ci(s->source, ext[i][0]))
			return ext[i][1];
	return NULL;
}

static json_t *create_body(w2c_reg *r)
{
	const w2c_register_spec *s = r->spec;
	json_t *b = json_object(), *tags = json_array();

	json_object_set_new(b, "name", json_string(s->name));
	json_object_set_new(b, "disk_format", json_string(disk_format(s)));
	json_object_set_new(b, "container_format", json_string("bare"));
	json_object_set_new(b, "visibility", json_string("private"));
	json_object_set_new(b, "min_disk", json_integer(s->min_disk));
	json_object_set_new(b, "os_type", json_string("windows"));
	json_object_set_new(b, "os_distro", json_string("windows"));
	json_object_set_new(b, "hw_firmware_type", json_string(s->firmware ? s->firmware : "bios"));
	if (s->os_version)
		json_object_set_new(b, "os_version", json_string(s->os_version));
	json_object_set_new(b, TAG_PROP, json_string(r->res->sha256));
	for (size_t i = 0; s->tags && s->tags[i]; i++)
		json_array_append_new(tags, json_string(s->tags[i]));
	json_object_set_new(b, "tags", tags);
	return b;
}

static w2c_code post_image(w2c_reg *r, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/images", r->endpoint);
	json_t *body = create_body(r);
	w2c_api_result res;
	w2c_code rc = w2c_reg_call(r, "POST", url, body, 0, &res, err);

	if (!rc && !json_is_string(json_object_get(res.json, "id")))
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "Glance POST %s: answer has no image id", url);
	if (!rc) {
		snprintf(r->res->image_id, sizeof r->res->image_id, "%s",
			 json_string_value(json_object_get(res.json, "id")));
		snprintf(r->res->status, sizeof r->res->status, "%s",
			 json_is_string(json_object_get(res.json, "status"))
				 ? json_string_value(json_object_get(res.json, "status")) : "queued");
		r->created = true;
		w2c_log(r->t->log, W2C_LOG_INFO, "Glance image %s created", r->res->image_id);
	}
	w2c_api_result_free(&res);
	json_decref(body);
	free(url);
	return rc;
}

static w2c_code put_file(w2c_reg *r, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/images/%s/file", r->endpoint, r->res->image_id);
	w2c_http_body body = { 0 };
	w2c_api_result res;
	struct stat st;
	w2c_code rc;
	int fd = open(r->spec->source, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: %s", r->spec->source, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(url);
		return rc;
	}
	body.kind = W2C_HTTP_BODY_FILE;
	body.fd = fd;
	body.len = (uint64_t)st.st_size;
	w2c_log(r->t->log, W2C_LOG_INFO, "uploading %s (%llu bytes) to image %s", r->spec->source,
		(unsigned long long)st.st_size, r->res->image_id);
	rc = w2c_api_call(&r->api, "PUT", url, NULL, &body, "application/octet-stream",
			  W2C_API_IDEMPOTENT, &res, err);
	w2c_api_result_free(&res);
	close(fd);
	free(url);
	return rc;
}

static w2c_code get_image(w2c_reg *r, json_t **img, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/images/%s", r->endpoint, r->res->image_id);
	w2c_api_result res;
	w2c_code rc = w2c_reg_call(r, "GET", url, NULL, W2C_API_IDEMPOTENT, &res, err);
	*img = rc ? NULL : json_incref(res.json);
	if (!rc && !json_is_object(*img))
		rc = w2c_set_error(err, W2C_ERR_REMOTE, "Glance GET %s: answer is not an image", url);
	if (!rc)
		snprintf(r->res->status, sizeof r->res->status, "%s",
			 json_is_string(json_object_get(*img, "status"))
				 ? json_string_value(json_object_get(*img, "status")) : "?");
	w2c_api_result_free(&res);
	free(url);
	return rc;
}

static w2c_code glance_remove(w2c_reg *r, const char *id, w2c_error *err)
{
	char *url = w2c_asprintf("%s/v2/images/%s", r->endpoint, id);
	w2c_api_result res;
	w2c_code rc = w2c_reg_call(r, "DELETE", url, NULL, W2C_API_IDEMPOTENT | W2C_API_ALLOW_404, &res, err);
	w2c_api_result_free(&res);
	free(url);
	return rc;
}

/*
 * Create (unless resuming a queued image) and upload.  When the upload fails
 * (Glance restarted, connection lost), look at the image: queued -> upload
 * again; active -> done (the answer was lost); saving/killed and ours from
 * this run -> Glance cannot resume it, so delete it and start over.
 */
static w2c_code glance_create(w2c_reg *r, w2c_error *err)
{
	w2c_code rc = W2C_OK;
	double backoff = 2;

	if (!disk_format(r->spec))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: cannot tell the disk format from the "
				     "name; give --disk-format (qcow2, vhd, vhdx, vmdk, raw, vdi)", r->spec->source);
	for (int round = 0;; round++) {
		json_t *img = NULL;
		w2c_error uerr;
		if (!r->res->image_id[0] && (rc = post_image(r, err)))
			return rc;
		if (!(rc = put_file(r, &uerr))) {
			snprintf(r->res->status, sizeof r->res->status, "active");
			return W2C_OK;
		}
		if (rc == W2C_ERR_INTERRUPTED || rc == W2C_ERR_AUTH || rc == W2C_ERR_IO) {
			*err = uerr;
			return rc;
		}
		w2c_log(r->t->log, W2C_LOG_WARN, "upload failed: %s; checking the image", uerr.message);
		if ((rc = w2c_reg_sleep(r, backoff, "Glance", err)) || (rc = get_image(r, &img, err)))
			return rc;
		json_decref(img);
		backoff = backoff * 2 > 30 ? 30 : backoff * 2;
		if (!strcmp(r->res->status, "active"))
			return W2C_OK;
		if (!strcmp(r->res->status, "queued") && round < 5)
			continue;
		if (r->created && round < 5) {
			w2c_log(r->t->log, W2C_LOG_WARN, "image %s is stuck in '%s'; deleting it and starting over",
				r->res->image_id, r->res->status);
			if ((rc = glance_remove(r, r->res->image_id, err)))
				return rc;
			r->res->image_id[0] = 0;
			continue;
		}
		*err = uerr;
		return W2C_ERR_REMOTE;
	}
}

static w2c_code verify(w2c_reg *r, json_t *img, w2c_error *err)
{
	const char *md5 = json_string_value(json_object_get(img, "checksum"));
	const char *algo = json_string_value(json_object_get(img, "os_hash_algo"));
	const char *hv = json_string_value(json_object_get(img, "os_hash_value"));

	snprintf(r->res->checksum, sizeof r->res->checksum, "%s", md5 ? md5 : "");
	if (!r->md5[0])
		return W2C_OK; /* dry run with a given --sha256: nothing local to compare */
	if (md5 && strcmp(md5, r->md5))
		return w2c_set_error(err, W2C_ERR_REMOTE, "Glance image %s: checksum %s differs from the "
				     "file's md5 %s", r->res->image_id, md5, r->md5);
	if (algo && !strcmp(algo, "sha512") && hv && strcmp(hv, r->sha512))
		return w2c_set_error(err, W2C_ERR_REMOTE, "Glance image %s: os_hash_value (sha512) differs "
				     "from the file's", r->res->image_id);
	r->res->verified = md5 != NULL;
	return W2C_OK;
}

static w2c_code glance_wait(w2c_reg *r, w2c_error *err)
{
	double iv = r->spec->poll_interval > 0 ? r->spec->poll_interval : 2;
	w2c_code rc;

	for (;;) {
		json_t *img;
		if ((rc = get_image(r, &img, err)))
			return rc;
		if (!strcmp(r->res->status, "active")) {
			rc = verify(r, img, err);
			json_decref(img);
			return rc;
		}
		json_decref(img);
		if (!strcmp(r->res->status, "killed") || !strcmp(r->res->status, "deleted") ||
		    !strcmp(r->res->status, "deactivated"))
			return w2c_set_error(err, W2C_ERR_REMOTE, "Glance image %s is '%s'", r->res->image_id,
					     r->res->status);
		if ((rc = w2c_reg_sleep(r, iv, "the image to become active", err)))
			return rc;
		iv = iv * 2 > 60 ? 60 : iv * 2;
	}
}

static void glance_plan(w2c_reg *r)
{
	char *q = w2c_reg_qs(r->spec->name), *url;
	json_t *body;

	w2c_reg_plan_token(r);
	url = w2c_asprintf("%s/v2/images?name=%s", r->endpoint, q);
	w2c_reg_plan(r, "GET", url, NULL);
	free(url);
	body = create_body(r);
	url = w2c_asprintf("%s/v2/images", r->endpoint);
	w2c_reg_plan(r, "POST", url, body);
	free(url);
	json_decref(body);
	url = w2c_asprintf("%s/v2/images/{image_id}/file", r->endpoint);
	w2c_reg_plan(r, "PUT", url, NULL);
	free(url);
	if (r->spec->wait) {
		url = w2c_asprintf("%s/v2/images/{image_id}", r->endpoint);
		w2c_reg_plan(r, "GET", url, NULL);
		free(url);
	}
	free(q);
}

const w2c_image_backend w2c_backend_glance = {
	"glance", glance_list, glance_has_tag, glance_create, glance_wait, glance_remove, glance_plan,
};
