/*
 * Secret inputs as part of a stage's identity.  A stage whose password
 * changed (a new value in the variable --admin-password-env names) has the
 * same command line and the same files, so without this a re-run skipped it
 * and the ISO kept the old password.  What is recorded is an HMAC under a
 * per-workdir key, never the secret nor a plain hash of it (a short password
 * would fall to a dictionary).
 */
#include "pipeline_int.h"
#include "common/util.h"
#include "win2cloud/credentials.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_LEN 32
#define MAX_SECRET_FILE (1u << 20)

/* Read the key; make it when @create and it is missing or not ours (wrong size or mode). */
static w2c_code load_key(const char *path, bool create, unsigned char key[KEY_LEN], bool *have,
			 w2c_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	*have = false;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && !(st.st_mode & 077) &&
	    st.st_size == KEY_LEN && read(fd, key, KEY_LEN) == KEY_LEN)
		*have = true;
	if (fd >= 0)
		close(fd);
	if (*have || !create)
		return W2C_OK;
	if (getrandom(key, KEY_LEN, 0) != KEY_LEN)
		return w2c_set_error(err, W2C_ERR_IO, "%s: getrandom: %s", path, strerror(errno));
	w2c_code rc = w2c_write_file_atomic(path, key, KEY_LEN, 0600, err);
	*have = rc == W2C_OK;
	return rc;
}

/* Feed "name\0value\0" (or "name\0\1absent\0") into the HMAC. */
static void feed(EVP_MAC_CTX *m, const char *name, const char *val, size_t len)
{
	static const unsigned char absent[] = { 1, 'a', 'b', 's', 'e', 'n', 't' };
	EVP_MAC_update(m, (const unsigned char *)name, strlen(name) + 1);
	if (val)
		EVP_MAC_update(m, (const unsigned char *)val, len);
	else
		EVP_MAC_update(m, absent, sizeof absent);
	EVP_MAC_update(m, (const unsigned char *)"", 1);
}

static void feed_file(EVP_MAC_CTX *m, const char *what, const char *path)
{
	char *data = NULL;
	size_t len = 0;
	bool ok = w2c_read_file(path, MAX_SECRET_FILE, &data, &len, NULL) == W2C_OK;
	feed(m, what, ok ? data : NULL, len);
	if (data)
		OPENSSL_cleanse(data, len);
	free(data);
}

/* The value of option @key in @step ("--key=value"), or NULL. */
static const char *opt_value(const w2c_pipeline_step *step, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = 1; i < step->n_options && i < step->argc; i++) {
		const char *a = step->argv[i];
		if (!strncmp(a, "--", 2) && !strncmp(a + 2, key, kl) && a[2 + kl] == '=')
			return a + 3 + kl;
	}
	return NULL;
}

static bool cloud_verb(const char *v)
{
	return !strcmp(v, "upload") || !strcmp(v, "register") || !strcmp(v, "check");
}

/* Every secret input of @step into @m; false when it has none. */
static bool feed_secrets(EVP_MAC_CTX *m, const w2c_pipeline_step *step)
{
	const char *env = opt_value(step, "admin-password-env");
	const char *pw = opt_value(step, "admin-password-file");
	const char *key = opt_value(step, "product-key-file");
	bool any = false;

	if (env) {
		const char *v = getenv(env);
		feed(m, "admin-password-env", v, v ? strlen(v) : 0);
		any = true;
	}
	if (pw)
		feed_file(m, "admin-password-file", pw), any = true;
	if (key)
		feed_file(m, "product-key-file", key), any = true;
	if (step->argc && cloud_verb(step->argv[0])) {
		char *cred = w2c_credentials_default_path();
		if (cred && access(cred, F_OK) == 0)
			feed_file(m, "credentials", cred), any = true;
		free(cred);
	}
	return any;
}

w2c_code w2c_pipeline_secrets_hmac(const char *key_path, const w2c_pipeline_step *step, bool create,
				   char hex[65], bool *has, w2c_error *err)
{
	unsigned char key[KEY_LEN], mac[32];
	size_t maclen = 0;
	bool have = false;
	EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *m = alg ? EVP_MAC_CTX_new(alg) : NULL;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
				OSSL_PARAM_construct_end() };
	w2c_code rc = W2C_OK;

	hex[0] = 0;
	*has = false;
	if (!m) {
		rc = w2c_set_error(err, W2C_ERR_EXTERNAL, "OpenSSL: HMAC unavailable");
		goto out;
	}
	/* a throwaway key first, only to learn whether the step has secrets at all */
	memset(key, 0, sizeof key);
	if (!EVP_MAC_init(m, key, KEY_LEN, params)) {
		rc = w2c_set_error(err, W2C_ERR_EXTERNAL, "OpenSSL: HMAC init failed");
		goto out;
	}
	if (!(*has = feed_secrets(m, step)))
		goto out;
	if ((rc = load_key(key_path, create, key, &have, err)) || !have)
		goto out; /* no key yet: nothing recorded can match */
	EVP_MAC_init(m, key, KEY_LEN, params);
	feed_secrets(m, step);
	EVP_MAC_final(m, mac, &maclen, sizeof mac);
	w2c_hex(mac, 32, hex);
out:
	OPENSSL_cleanse(key, sizeof key);
	EVP_MAC_CTX_free(m);
	EVP_MAC_free(alg);
	return rc;
}
