/*
 * win2cloud/credentials.h - secrets from the environment or a private file,
 * never from the command line.
 *
 * Credentials file (default $W2C_CREDENTIALS_FILE, else
 * $XDG_CONFIG_HOME/win2cloud/credentials, else ~/.config/win2cloud/credentials):
 * INI profiles, "key = value" lines, '#' or ';' comments:
 *
 *     [default]
 *     access_key_id = test:tester        # a ':' (Swift tempauth) is fine
 *     secret_access_key = testing
 *     session_token = ...                # optional (temporary AK/SK)
 *     region = eu-de                     # optional
 *     endpoint = https://obs.eu-de.otc.t-systems.com   # optional
 *
 * Other keys are kept verbatim for other modules (e.g. username, password,
 * domain, project for IAM/Keystone) and read with w2c_profile_get().  The
 * AWS spellings aws_access_key_id / aws_secret_access_key /
 * aws_session_token are accepted too.  The file must not be readable or
 * writable by group or others (mode 0600 or stricter): it is refused
 * otherwise, and the error gives the chmod to run.
 */
#ifndef WIN2CLOUD_CREDENTIALS_H
#define WIN2CLOUD_CREDENTIALS_H

#include "win2cloud.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One parsed profile: ordered key/value pairs (secrets wiped on free). */
typedef struct w2c_profile {
	char *path;     /**< file it came from */
	char *name;     /**< profile name */
	size_t count;
	char **keys;
	char **values;
} w2c_profile;

/** Default credentials file path (newly allocated), see above. */
W2C_API char *w2c_credentials_default_path(void);
/** Whether any credential variable we read (an access or secret key of any of the
 *  ecosystems' sets, or W2C_PROFILE) is set: the environment offers credentials. */
W2C_API bool w2c_credentials_in_env(void);

/**
 * Load profile @name (NULL = "default") from @path (NULL = default path).
 * W2C_ERR_NOT_FOUND when the file or the profile is missing, W2C_ERR_AUTH
 * when the file's mode lets others read it (message includes "chmod 600
 * PATH"), W2C_ERR_INVALID_INPUT naming the line for a malformed line.
 */
W2C_API w2c_code w2c_profile_load(const char *path, const char *name, w2c_profile *out, w2c_error *err);
/** Value of @key in @p (case-insensitive key), or NULL. */
W2C_API const char *w2c_profile_get(const w2c_profile *p, const char *key);
/** Wipe and free; @p is zeroed. */
W2C_API void w2c_profile_free(w2c_profile *p);

/** An access key pair for S3/OBS signing (and APIG AK/SK signing). */
typedef struct w2c_credentials {
	char *access_key;     /**< AK, may contain ':' */
	char *secret_key;     /**< SK */
	char *session_token;  /**< temporary credentials' token, or NULL */
	char *region;         /**< from the profile, or NULL */
	char *endpoint;       /**< from the profile, or NULL */
	/** Where they came from, for error messages (never a secret), e.g.
	 * "environment AWS_ACCESS_KEY_ID" or "/root/.config/win2cloud/credentials [prod]". */
	char source[512];
} w2c_credentials;

/**
 * Find an access key pair.  With @profile set (from --profile or
 * $W2C_PROFILE), only that profile of the credentials file (@path, NULL =
 * default) is used.  Otherwise the environment first, in this order:
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN;
 * OS_ACCESS_KEY / OS_SECRET_KEY / OS_SECURITY_TOKEN (Open Telekom Cloud
 * tools); HW_ACCESS_KEY / HW_SECRET_KEY / HW_SECURITY_TOKEN and
 * HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK / HUAWEICLOUD_SDK_SECURITY_TOKEN
 * (Huawei Cloud tools); then the file's "default" profile.  An AK without
 * its SK is an error naming the missing variable.  W2C_ERR_AUTH when
 * nothing was found (the message lists where it looked).
 */
W2C_API w2c_code w2c_credentials_load(const char *path, const char *profile, w2c_credentials *out,
			      w2c_error *err);
/** Wipe the secrets and free; @c is zeroed. */
W2C_API void w2c_credentials_free(w2c_credentials *c);

#ifdef __cplusplus
}
#endif
#endif
