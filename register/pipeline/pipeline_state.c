/*
 * The pipeline state file: per finished stage, its command line and the size
 * and modification time of every file it read or wrote.  A stage is skipped
 * on a re-run only when all of these are unchanged, so editing an input, a
 * stage's options or deleting an output re-runs that stage and those after it.
 * Secret inputs (a password in the environment or a file) count through a
 * keyed hash (pipeline_secret.c).
 */
#include "pipeline_int.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define STATE_NAME ".win2cloud-run.json"
#define KEY_NAME ".win2cloud-run.key" /* the HMAC key of the secret inputs, 0600 */

struct w2c_pipeline_state {
	char *path;
	char *key_path;
	json_t *doc; /* {"version":1,"stages":{"<index>":{verb,argv,files,finished}}} */
};

w2c_code w2c_pipeline_state_load(const char *workdir, w2c_pipeline_state **out, w2c_error *err)
{
	w2c_pipeline_state *st = calloc(1, sizeof *st);
	json_error_t je;
	struct stat sb;

	*out = NULL;
	if (!st || !(st->path = w2c_asprintf("%s/%s", workdir, STATE_NAME)) ||
	    !(st->key_path = w2c_asprintf("%s/%s", workdir, KEY_NAME))) {
		if (st)
			free(st->path);
		free(st);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	if (stat(st->path, &sb) == 0) {
		st->doc = json_load_file(st->path, 0, &je);
		if (!st->doc || !json_is_object(json_object_get(st->doc, "stages"))) {
			w2c_code rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
						    "%s:%d: expected the pipeline state written by win2cloud run "
						    "(%s); delete it to run every stage again",
						    st->path, je.line, st->doc ? "no stages object" : je.text);
			w2c_pipeline_state_free(st);
			return rc;
		}
	} else if (errno != ENOENT) {
		w2c_code rc = w2c_set_error(err, W2C_ERR_IO, "%s: %s", st->path, strerror(errno));
		w2c_pipeline_state_free(st);
		return rc;
	} else {
		st->doc = json_pack("{s:i,s:{}}", "version", 1, "stages");
	}
	*out = st;
	return W2C_OK;
}

void w2c_pipeline_state_free(w2c_pipeline_state *st)
{
	if (!st)
		return;
	json_decref(st->doc);
	free(st->path);
	free(st->key_path);
	free(st);
}

static long long mtime_ns(const struct stat *sb)
{
	return (long long)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* Names, sizes and times of everything below @dir, in name order, into @md (stat only). */
static void hash_tree(EVP_MD_CTX *md, const char *dir, int depth, long long *count)
{
	struct dirent **ents;
	int n = depth < 64 ? scandir(dir, &ents, NULL, alphasort) : -1;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *sub = strcmp(name, ".") && strcmp(name, "..") ? w2c_asprintf("%s/%s", dir, name) : NULL;
		struct stat sb;
		if (sub && !lstat(sub, &sb)) {
			char line[64];
			int len = snprintf(line, sizeof line, "\t%lld\t%lld\t%o\n", (long long)sb.st_size,
					   mtime_ns(&sb), (unsigned)sb.st_mode);
			EVP_DigestUpdate(md, sub, strlen(sub));
			EVP_DigestUpdate(md, line, (size_t)len);
			(*count)++;
			if (S_ISDIR(sb.st_mode))
				hash_tree(md, sub, depth + 1, count);
		}
		free(sub);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

/* A file: size and time.  A directory (a driver source, an unpacked tree): a hash
 * of the names, sizes and times below it, so an edit anywhere inside is seen. */
static json_t *fingerprint(const char *path)
{
	struct stat sb;
	if (stat(path, &sb))
		return NULL;
	if (S_ISREG(sb.st_mode))
		return json_pack("{s:s,s:I,s:I}", "path", path, "size", (json_int_t)sb.st_size, "mtime_ns",
				 (json_int_t)mtime_ns(&sb));
	if (!S_ISDIR(sb.st_mode))
		return NULL;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char sum[32];
	char hex[65];
	long long count = 0;
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return NULL;
	}
	hash_tree(md, path, 0, &count);
	EVP_DigestFinal_ex(md, sum, NULL);
	EVP_MD_CTX_free(md);
	w2c_hex(sum, sizeof sum, hex);
	return json_pack("{s:s,s:I,s:s}", "path", path, "entries", (json_int_t)count, "tree_sha256", hex);
}

static bool fingerprint_same(json_t *rec)
{
	const char *path = json_string_value(json_object_get(rec, "path"));
	json_t *now = path ? fingerprint(path) : NULL;
	bool same = now && json_equal(now, rec);
	json_decref(now);
	return same;
}

static json_t *files_of(const w2c_pipeline_step *step)
{
	json_t *files = json_array();
	for (size_t i = 1; i < step->argc; i++) {
		const char *a = step->argv[i], *eq = strchr(a, '=');
		/* "--drivers=DIR": the value is what may name a file */
		if (i < step->n_options && !strncmp(a, "--", 2) && eq)
			a = eq + 1;
		json_t *f = fingerprint(a);
		if (f)
			json_array_append_new(files, f);
	}
	if (step->output) {
		char *sum = w2c_asprintf("%s.sha256", step->output);
		json_t *f = sum ? fingerprint(sum) : NULL;
		if (f)
			json_array_append_new(files, f);
		free(sum);
	}
	return files;
}

static json_t *argv_json(const w2c_pipeline_step *step)
{
	json_t *a = json_array();
	for (size_t i = 0; i < step->argc; i++)
		json_array_append_new(a, json_string(step->argv[i]));
	return a;
}

/* The secret inputs hash as recorded (both absent when the stage has none). */
static bool secrets_same(const w2c_pipeline_state *st, json_t *rec, const w2c_pipeline_step *step)
{
	char hex[65];
	bool has;
	const char *was = json_string_value(json_object_get(rec, "secrets_hmac"));
	if (w2c_pipeline_secrets_hmac(st->key_path, step, false, hex, &has, NULL))
		return false;
	if (!has)
		return !was;
	return was && hex[0] && !strcmp(was, hex);
}

bool w2c_pipeline_state_done(const w2c_pipeline_state *st, size_t i, const w2c_pipeline_step *step)
{
	char key[32];
	snprintf(key, sizeof key, "%zu", i);
	json_t *rec = json_object_get(json_object_get(st->doc, "stages"), key), *argv, *f;
	size_t k;
	if (!rec)
		return false;
	argv = argv_json(step);
	bool same = json_equal(argv, json_object_get(rec, "argv"));
	json_decref(argv);
	if (!same)
		return false;
	/* The output must still be there, whatever else was recorded. */
	if (step->output) {
		json_t *out = fingerprint(step->output);
		json_decref(out);
		if (!out)
			return false;
	}
	json_array_foreach(json_object_get(rec, "files"), k, f)
		if (!fingerprint_same(f))
			return false;
	return secrets_same(st, rec, step);
}

static w2c_code save(w2c_pipeline_state *st, w2c_error *err)
{
	char *text = json_dumps(st->doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	size_t n = strlen(text);
	text[n] = '\n';
	w2c_code rc = w2c_write_file_atomic(st->path, text, n + 1, 0644, err);
	free(text);
	return rc;
}

w2c_code w2c_pipeline_state_record(w2c_pipeline_state *st, size_t i, const w2c_pipeline_step *step,
				   w2c_error *err)
{
	char key[32], when[32];
	time_t now = time(NULL);
	struct tm tm;
	snprintf(key, sizeof key, "%zu", i);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	char hex[65];
	bool has;
	w2c_code rc = w2c_pipeline_secrets_hmac(st->key_path, step, true, hex, &has, err);
	if (rc)
		return rc;
	json_t *rec = json_pack("{s:s,s:o,s:o,s:s}", "verb", step->argv[0], "argv", argv_json(step),
				"files", files_of(step), "finished", when);
	if (rec && has && json_object_set_new(rec, "secrets_hmac", json_string(hex)))
		rec = (json_decref(rec), NULL);
	if (!rec || json_object_set_new(json_object_get(st->doc, "stages"), key, rec))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	return save(st, err);
}

w2c_code w2c_pipeline_state_forget_from(w2c_pipeline_state *st, size_t i, w2c_error *err)
{
	json_t *stages = json_object_get(st->doc, "stages"), *v;
	const char *key;
	void *tmp;
	bool changed = false;
	json_object_foreach_safe(stages, tmp, key, v) {
		char *end;
		unsigned long idx = strtoul(key, &end, 10);
		if (*end || idx >= i) {
			json_object_del(stages, key);
			changed = true;
		}
	}
	return changed ? save(st, err) : W2C_OK;
}
