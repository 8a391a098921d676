/*
 * The onboard state file: one JSON object per image name with the run id and
 * the ids of what the run created.  The cloud stays the truth (a re-run
 * re-reads the server); the file only tells a re-run which server is its own,
 * so that it continues instead of creating a second one.
 */
#include "win2cloud/onboard.h"
#include "common/util.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *w2c_onboard_state_path(const char *dir, const char *name)
{
	char *safe = w2c_strdup(name ? name : ""), *path;
	if (!safe)
		return NULL;
	for (char *p = safe; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '.' || *p == '_'))
			*p = '_';
	path = w2c_asprintf("%s/.win2cloud-onboard-%s.json", dir && *dir ? dir : ".", safe);
	free(safe);
	return path;
}

/* The fields, in file order: name in JSON, place in the struct, its size. */
#define FIELD(f) { #f, offsetof(w2c_onboard_state, f), sizeof(((w2c_onboard_state *)0)->f) }
static const struct field {
	const char *key;
	size_t off, size;
} fields[] = {
	FIELD(run_id), FIELD(name), FIELD(iso_image_id), FIELD(step), FIELD(server_name),
	FIELD(create_job), FIELD(server_id), FIELD(volume_id), FIELD(image_job), FIELD(image_id),
	FIELD(delete_job),
};

static const char *const steps[] = { "", "creating", "installing", "imaging", "deleting", "done", NULL };

static bool known_step(const char *s)
{
	for (size_t i = 0; steps[i]; i++)
		if (!strcmp(steps[i], s))
			return true;
	return false;
}

w2c_code w2c_onboard_state_load(const char *path, w2c_onboard_state *st, w2c_error *err)
{
	json_error_t je;
	json_t *doc;
	struct stat sb;

	memset(st, 0, sizeof *st);
	if (stat(path, &sb))
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: no onboard state", path);
	if (sb.st_size > 65536 || !(doc = json_load_file(path, 0, &je)) || !json_is_object(doc)) {
		json_decref(sb.st_size > 65536 ? NULL : doc);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: expected the JSON state written by "
				     "win2cloud onboard (%s); check the servers with 'onboard --cleanup' and "
				     "delete the file", path, sb.st_size > 65536 ? "larger than 64 KiB" : je.text);
	}
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		json_t *v = json_object_get(doc, fields[i].key);
		char *dst = (char *)st + fields[i].off;
		if (v && (!json_is_string(v) || strlen(json_string_value(v)) >= fields[i].size)) {
			json_decref(doc);
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: field '%s': expected a string of "
					     "at most %zu characters", path, fields[i].key, fields[i].size - 1);
		}
		snprintf(dst, fields[i].size, "%s", v ? json_string_value(v) : "");
	}
	json_decref(doc);
	if (!known_step(st->step))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: field 'step': '%s' is not creating, "
				     "installing, imaging, deleting or done", path, st->step);
	if (st->step[0] && strcmp(st->step, "done") && strspn(st->run_id, "0123456789abcdef") != 16)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: field 'run_id': expected 16 hex digits",
				     path);
	return W2C_OK;
}

w2c_code w2c_onboard_state_save(const char *path, const w2c_onboard_state *st, w2c_error *err)
{
	json_t *doc = json_pack("{s:i}", "version", 1);
	char *text;
	w2c_code rc;

	for (size_t i = 0; doc && i < sizeof fields / sizeof fields[0]; i++)
		json_object_set_new(doc, fields[i].key, json_string((const char *)st + fields[i].off));
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (!text)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	rc = w2c_write_file_atomic(path, text, strlen(text), 0600, err);
	free(text);
	return rc;
}
