/* Resume checkpoint <-> JSON (jansson).  Untrusted on read: a damaged file must not crash us. */
#include "cloud/upload/checkpoint.h"
#include "common/util.h"
#include "win2cloud/upload.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void w2c_checkpoint_free(w2c_checkpoint *cp)
{
	free(cp->url);
	free(cp->upload_id);
	free(cp->etags);
	memset(cp, 0, sizeof *cp);
}

static bool is_hex(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

static w2c_code bad(w2c_error *err, const char *field, const char *expected)
{
	return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "checkpoint field '%s': expected %s", field,
			     expected);
}

static w2c_code parse_parts(json_t *parts, w2c_checkpoint *cp, w2c_error *err)
{
	const char *k;
	json_t *v;

	cp->etags = calloc(cp->nparts, sizeof *cp->etags);
	if (!cp->etags)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	json_object_foreach(parts, k, v) {
		char *end;
		unsigned long n = strtoul(k, &end, 10);
		if (*end || !n || n > cp->nparts)
			return bad(err, "parts", "part numbers 1..nparts as keys");
		if (!json_is_string(v) || !is_hex(json_string_value(v), 32))
			return bad(err, "parts", "32 hex digit MD5 values");
		memcpy(cp->etags[n - 1], json_string_value(v), 33);
	}
	return W2C_OK;
}

w2c_code w2c_checkpoint_parse(const char *json, size_t len, w2c_checkpoint *cp, w2c_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je), *v;
	w2c_code rc = W2C_OK;

	memset(cp, 0, sizeof *cp);
	if (!root || !json_is_object(root)) {
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "checkpoint: not a JSON object (%s, line %d)",
				   root ? "wrong type" : je.text, je.line);
		goto out;
	}
	if (json_integer_value(json_object_get(root, "version")) != 1) {
		rc = bad(err, "version", "1");
		goto out;
	}
	v = json_object_get(root, "url");
	if (!json_is_string(v) || !(cp->url = w2c_strdup(json_string_value(v)))) {
		rc = bad(err, "url", "a string");
		goto out;
	}
	v = json_object_get(root, "upload_id");
	if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 255 ||
	    !(cp->upload_id = w2c_strdup(json_string_value(v)))) {
		rc = bad(err, "upload_id", "a string of 1-255 characters");
		goto out;
	}
	json_int_t size = json_integer_value(json_object_get(root, "size"));
	json_int_t psize = json_integer_value(json_object_get(root, "part_size"));
	if (size <= 0 || psize < (json_int_t)W2C_UPLOAD_MIN_PART ||
	    psize > (json_int_t)W2C_UPLOAD_MAX_PART) {
		rc = bad(err, "size/part_size", "positive sizes, part_size 5 MiB..5 GiB");
		goto out;
	}
	cp->size = (uint64_t)size;
	cp->part_size = (uint64_t)psize;
	uint64_t n = (cp->size + cp->part_size - 1) / cp->part_size;
	if (n > W2C_UPLOAD_MAX_PARTS) {
		rc = bad(err, "part_size", "at most 10000 parts");
		goto out;
	}
	cp->nparts = (unsigned)n;
	cp->mtime_ns = json_integer_value(json_object_get(root, "mtime_ns"));
	v = json_object_get(root, "sample_sha256");
	if (!json_is_string(v) || !is_hex(json_string_value(v), 64)) {
		rc = bad(err, "sample_sha256", "64 hex digits");
		goto out;
	}
	memcpy(cp->sample, json_string_value(v), 65);
	/* absent in checkpoints of older versions, which all set it at creation */
	v = json_object_get(root, "sha256_meta");
	if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "after") &&
					 strcmp(json_string_value(v), "create") &&
					 strcmp(json_string_value(v), "claimed")))) {
		rc = bad(err, "sha256_meta", "\"after\", \"create\" or \"claimed\"");
		goto out;
	}
	cp->meta_after = v && !strcmp(json_string_value(v), "after");
	if (v && !strcmp(json_string_value(v), "claimed")) {
		json_t *c = json_object_get(root, "sha256_claimed");
		if (!json_is_string(c) || !is_hex(json_string_value(c), 64)) {
			rc = bad(err, "sha256_claimed", "64 hex digits (sha256_meta is \"claimed\")");
			goto out;
		}
		memcpy(cp->claimed, json_string_value(c), 65);
	}
	v = json_object_get(root, "parts");
	if (!json_is_object(v)) {
		rc = bad(err, "parts", "an object");
		goto out;
	}
	rc = parse_parts(v, cp, err);
out:
	json_decref(root);
	if (rc)
		w2c_checkpoint_free(cp);
	return rc;
}

char *w2c_checkpoint_dump(const w2c_checkpoint *cp)
{
	json_t *parts = json_object(), *root;
	char num[16], *s;

	for (unsigned i = 0; parts && i < cp->nparts; i++) {
		if (!cp->etags[i][0])
			continue;
		snprintf(num, sizeof num, "%u", i + 1);
		json_object_set_new(parts, num, json_string(cp->etags[i]));
	}
	root = json_pack("{s:i,s:s,s:s,s:I,s:I,s:I,s:s,s:s,s:o}", "version", 1, "url", cp->url,
			 "upload_id", cp->upload_id, "size", (json_int_t)cp->size, "part_size",
			 (json_int_t)cp->part_size, "mtime_ns", (json_int_t)cp->mtime_ns,
			 "sample_sha256", cp->sample, "sha256_meta",
			 cp->meta_after ? "after" : cp->claimed[0] ? "claimed" : "create", "parts", parts);
	if (!root)
		return NULL;
	if (!cp->meta_after && cp->claimed[0] &&
	    json_object_set_new(root, "sha256_claimed", json_string(cp->claimed))) {
		json_decref(root);
		return NULL;
	}
	s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}
