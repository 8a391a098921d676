/* Access keys from the environment or a private INI file; secrets wiped on free. */
#include "win2cloud/credentials.h"
#include "common/util.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void wipe_free(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

char *w2c_credentials_default_path(void)
{
	const char *p = getenv("W2C_CREDENTIALS_FILE"), *x = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (p && *p)
		return w2c_strdup(p);
	if (x && *x)
		return w2c_asprintf("%s/win2cloud/credentials", x);
	return w2c_asprintf("%s/.config/win2cloud/credentials", home && *home ? home : ".");
}

void w2c_profile_free(w2c_profile *p)
{
	for (size_t i = 0; i < p->count; i++) {
		free(p->keys[i]);
		wipe_free(p->values[i]);
	}
	free(p->keys);
	free(p->values);
	free(p->path);
	free(p->name);
	memset(p, 0, sizeof *p);
}

const char *w2c_profile_get(const w2c_profile *p, const char *key)
{
	for (size_t i = 0; i < p->count; i++)
		if (!w2c_strcasecmp(p->keys[i], key))
			return p->values[i];
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = 0;
	return s;
}

static w2c_code profile_add(w2c_profile *p, const char *k, const char *v)
{
	char **nk = realloc(p->keys, (p->count + 1) * sizeof *nk);
	if (!nk)
		return W2C_ERR_NOMEM;
	p->keys = nk;
	char **nv = realloc(p->values, (p->count + 1) * sizeof *nv);
	if (!nv)
		return W2C_ERR_NOMEM;
	p->values = nv;
	p->keys[p->count] = w2c_strdup(k);
	p->values[p->count] = w2c_strdup(v);
	p->count++;
	return p->keys[p->count - 1] && p->values[p->count - 1] ? W2C_OK : W2C_ERR_NOMEM;
}

static w2c_code check_mode(const char *path, w2c_error *err)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		int e = errno;
		return w2c_set_error(err, e == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "credentials file %s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "credentials file %s: not a regular file", path);
	if (st.st_mode & 077)
		return w2c_set_error(err, W2C_ERR_AUTH,
				     "credentials file %s has mode %04o; it holds secrets and must be "
				     "private to its owner: run 'chmod 600 %s'",
				     path, (unsigned)(st.st_mode & 07777), path);
	return W2C_OK;
}

/* Parse @data; keep the keys of section @name. */
static w2c_code parse_ini(char *data, const char *path, const char *name, w2c_profile *out,
			  bool *found, w2c_error *err)
{
	bool in = false;
	unsigned lineno = 0;

	for (char *line = data, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (!e)
				return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
						     "%s:%u: section header without ']'", path, lineno);
			*e = 0;
			char *sec = trim(s + 1);
			/* the AWS config spelling "[profile NAME]" names the same profile */
			if (!strncmp(sec, "profile ", 8))
				sec = trim(sec + 8);
			in = !strcmp(sec, name);
			*found |= in;
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s:%u: expected 'key = value' or '[profile]'", path, lineno);
		if (!in)
			continue;
		*eq = 0;
		char *v = trim(eq + 1);
		/* a trailing " # comment" is a comment; '#' inside a secret is kept */
		char *hash = strstr(v, " #");
		if (hash)
			*hash = 0;
		if (profile_add(out, trim(s), trim(v)))
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	return W2C_OK;
}

w2c_code w2c_profile_load(const char *path, const char *name, w2c_profile *out, w2c_error *err)
{
	char *def = NULL, *data = NULL;
	size_t len;
	bool found = false;
	w2c_code rc;

	memset(out, 0, sizeof *out);
	if (!name || !*name)
		name = "default";
	if (!path)
		path = def = w2c_credentials_default_path();
	out->path = w2c_strdup(path);
	out->name = w2c_strdup(name);
	if ((rc = check_mode(path, err)))
		goto out;
	if ((rc = w2c_read_file(path, 1 << 20, &data, &len, err)))
		goto out;
	if ((rc = parse_ini(data, path, name, out, &found, err)))
		goto out;
	if (!found)
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND, "credentials file %s: no profile [%s]",
				   path, name);
out:
	if (data) {
		OPENSSL_cleanse(data, len);
		free(data);
	}
	free(def);
	if (rc)
		w2c_profile_free(out);
	return rc;
}

void w2c_credentials_free(w2c_credentials *c)
{
	free(c->access_key);
	wipe_free(c->secret_key);
	wipe_free(c->session_token);
	free(c->region);
	free(c->endpoint);
	memset(c, 0, sizeof *c);
}

static const char *first_of(const w2c_profile *p, const char *a, const char *b)
{
	const char *v = w2c_profile_get(p, a);
	return v && *v ? v : w2c_profile_get(p, b);
}

static w2c_code from_profile(const char *path, const char *profile, w2c_credentials *out,
			     w2c_error *err)
{
	w2c_profile p;
	w2c_code rc = w2c_profile_load(path, profile, &p, err);
	const char *ak, *sk, *tok, *v;

	if (rc)
		return rc;
	ak = first_of(&p, "access_key_id", "aws_access_key_id");
	sk = first_of(&p, "secret_access_key", "aws_secret_access_key");
	tok = first_of(&p, "session_token", "aws_session_token");
	if (!ak || !*ak || !sk || !*sk) {
		rc = w2c_set_error(err, W2C_ERR_AUTH,
				   "credentials file %s [%s]: needs both access_key_id and "
				   "secret_access_key", p.path, p.name);
		goto out;
	}
	out->access_key = w2c_strdup(ak);
	out->secret_key = w2c_strdup(sk);
	out->session_token = tok && *tok ? w2c_strdup(tok) : NULL;
	out->region = (v = w2c_profile_get(&p, "region")) && *v ? w2c_strdup(v) : NULL;
	out->endpoint = (v = w2c_profile_get(&p, "endpoint")) && *v ? w2c_strdup(v) : NULL;
	snprintf(out->source, sizeof out->source, "%s [%s]", p.path, p.name);
	if (!out->access_key || !out->secret_key)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
out:
	w2c_profile_free(&p);
	return rc;
}

struct env_set {
	const char *ak, *sk, *token;
};

static const struct env_set env_sets[] = {
	{ "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN" },
	{ "OS_ACCESS_KEY", "OS_SECRET_KEY", "OS_SECURITY_TOKEN" },
	{ "HW_ACCESS_KEY", "HW_SECRET_KEY", "HW_SECURITY_TOKEN" },
	{ "HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN" },
};

bool w2c_credentials_in_env(void)
{
	for (size_t i = 0; i < sizeof env_sets / sizeof env_sets[0]; i++) {
		const char *ak = getenv(env_sets[i].ak), *sk = getenv(env_sets[i].sk);
		if ((ak && *ak) || (sk && *sk))
			return true;
	}
	return getenv("W2C_PROFILE") && *getenv("W2C_PROFILE");
}

/* 1 = found, 0 = none set, error code otherwise. */
static int from_env(w2c_credentials *out, w2c_error *err)
{
	for (size_t i = 0; i < sizeof env_sets / sizeof env_sets[0]; i++) {
		const struct env_set *e = &env_sets[i];
		const char *ak = getenv(e->ak), *sk = getenv(e->sk), *tok = getenv(e->token);
		if ((!ak || !*ak) && (!sk || !*sk))
			continue;
		if (!ak || !*ak || !sk || !*sk) {
			w2c_set_error(err, W2C_ERR_AUTH, "environment has %s but not %s",
				      ak && *ak ? e->ak : e->sk, ak && *ak ? e->sk : e->ak);
			return -1;
		}
		out->access_key = w2c_strdup(ak);
		out->secret_key = w2c_strdup(sk);
		out->session_token = tok && *tok ? w2c_strdup(tok) : NULL;
		snprintf(out->source, sizeof out->source, "environment %s", e->ak);
		if (!out->access_key || !out->secret_key) {
			w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			return -1;
		}
		return 1;
	}
	return 0;
}

w2c_code w2c_credentials_load(const char *path, const char *profile, w2c_credentials *out,
			      w2c_error *err)
{
	char *def = NULL;
	w2c_code rc;
	int r;

	memset(out, 0, sizeof *out);
	if (!profile || !*profile)
		profile = getenv("W2C_PROFILE");
	if (profile && *profile) {
		rc = from_profile(path, profile, out, err);
		goto done;
	}
	r = from_env(out, err);
	if (r != 0) {
		rc = r > 0 ? W2C_OK : err ? err->code : W2C_ERR_AUTH;
		goto done;
	}
	if (!path)
		path = def = w2c_credentials_default_path();
	rc = from_profile(path, "default", out, err);
	if (rc == W2C_ERR_NOT_FOUND)
		rc = w2c_set_error(err, W2C_ERR_AUTH,
				   "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
				   "(or OS_ACCESS_KEY/OS_SECRET_KEY, HW_ACCESS_KEY/HW_SECRET_KEY, "
				   "HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK), or write a [default] "
				   "profile to %s (mode 0600)", path);
done:
	free(def);
	if (rc)
		w2c_credentials_free(out);
	return rc;
}
