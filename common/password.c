/* The Administrator password rule (cloud-api spec §4.7). */
#include "win2cloud/password.h"
#include "common/util.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

static const w2c_password_policy image_policy = {
	8, 26, 4, "!@$%^-_=+[{}]:,./?", 2,
};
static const w2c_password_policy ecs_policy = {
	8, 26, 3, "!@$%^-_=+[{}]:,./?~#*", 2,
};

const w2c_password_policy *w2c_password_policy_image(void)
{
	return &image_policy;
}

const w2c_password_policy *w2c_password_policy_ecs(void)
{
	return &ecs_policy;
}

static bool contains_ci(const char *hay, const char *needle, size_t n)
{
	size_t h = strlen(hay);
	for (size_t i = 0; n && i + n <= h; i++) {
		size_t k = 0;
		while (k < n && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* Longest run of consecutive characters of @user that appears in @pw. */
static size_t longest_user_run(const char *pw, const char *user)
{
	size_t best = 0, ulen = strlen(user);
	for (size_t i = 0; i < ulen; i++)
		for (size_t n = best + 1; i + n <= ulen; n++) {
			if (!contains_ci(pw, user + i, n))
				break;
			best = n;
		}
	return best;
}

static w2c_code fail(const char **rule_id, const char *id, w2c_error *err, const char *msg)
{
	if (rule_id)
		*rule_id = id;
	return w2c_set_error(err, W2C_ERR_VIOLATIONS, "%s: %s", id, msg);
}

w2c_code w2c_password_check(const char *pw, const char *user, const w2c_password_policy *pol,
			    const char **rule_id, w2c_error *err)
{
	size_t len = pw ? strlen(pw) : 0;
	bool up = false, lo = false, dig = false, sp = false;
	char msg[512];

	if (!pol)
		pol = &image_policy;
	if (len < pol->min_len || len > pol->max_len) {
		snprintf(msg, sizeof msg, "password has %zu characters, expected %u to %u", len,
			 pol->min_len, pol->max_len);
		return fail(rule_id, "password.length", err, msg);
	}
	for (const char *p = pw; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (isupper(c))
			up = true;
		else if (islower(c))
			lo = true;
		else if (isdigit(c))
			dig = true;
		else if (strchr(pol->specials, c))
			sp = true;
		else {
			snprintf(msg, sizeof msg,
				 "password contains a character outside letters, digits and the "
				 "allowed specials \"%s\" (at position %zu)",
				 pol->specials, (size_t)(p - pw) + 1);
			return fail(rule_id, "password.charset", err, msg);
		}
	}
	if ((unsigned)(up + lo + dig + sp) < pol->min_classes) {
		snprintf(msg, sizeof msg, "password needs %s of upper case, lower case, digit and special (%s); missing:%s%s%s%s",
			 pol->min_classes == 4 ? "all" : "3", pol->specials, up ? "" : " upper case",
			 lo ? "" : " lower case", dig ? "" : " digit", sp ? "" : " special");
		return fail(rule_id, "password.classes", err, msg);
	}
	if (user && *user) {
		char rev[128];
		size_t ul = strlen(user);
		if (ul >= sizeof rev)
			ul = sizeof rev - 1;
		for (size_t i = 0; i < ul; i++)
			rev[i] = user[ul - 1 - i];
		rev[ul] = 0;
		if (contains_ci(pw, user, strlen(user)) || contains_ci(pw, rev, ul)) {
			snprintf(msg, sizeof msg, "password contains the user name '%s' or its reverse", user);
			return fail(rule_id, "password.username", err, msg);
		}
		if (pol->max_user_run && longest_user_run(pw, user) > pol->max_user_run) {
			snprintf(msg, sizeof msg,
				 "password contains more than %u consecutive characters of the user name '%s'",
				 pol->max_user_run, user);
			return fail(rule_id, "password.username_run", err, msg);
		}
	}
	if (rule_id)
		*rule_id = NULL;
	return W2C_OK;
}

w2c_code w2c_secret_file_read(const char *path, const char *what, char **out, w2c_error *err)
{
	struct stat st;
	size_t len;
	w2c_code rc;

	*out = NULL;
	if (stat(path, &st) < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "%s: cannot read the %s file: %s", path, what, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: %s file is not a regular file",
				     path, what);
	if (st.st_mode & 077)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: %s file is readable by others (mode %04o); expected 0600 "
				     "(chmod 600 '%s')", path, what, (unsigned)(st.st_mode & 07777), path);
	if ((rc = w2c_read_file(path, 4096, out, &len, err)))
		return rc;
	(*out)[strcspn(*out, "\r\n")] = 0; /* one line; the newline is not part of it */
	return W2C_OK;
}
