/*
 * win2cloud/password.h - the cloud's Administrator password rule, one place
 * for the answer-file generator, the linter and `check`.
 */
#ifndef WIN2CLOUD_PASSWORD_H
#define WIN2CLOUD_PASSWORD_H

#include "win2cloud.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Limits of a password rule; see w2c_password_policy_image(). */
typedef struct w2c_password_policy {
	unsigned min_len, max_len;  /**< inclusive, in characters */
	unsigned min_classes;       /**< of upper, lower, digit, special (4 = all) */
	const char *specials;       /**< the special characters allowed */
	unsigned max_user_run;      /**< longest run of the user name allowed (2) */
} w2c_password_policy;

/**
 * The rule for a password baked into an imported Windows image (IMS): 8-26
 * characters, all four classes, specials only from "!@$%^-_=+[{}]:,./?", not
 * containing the user name or its reverse, no run of 3 characters of it.
 */
W2C_API const w2c_password_policy *w2c_password_policy_image(void);
/** The ECS adminPass rule: 3 of 4 classes, specials also "~#*". */
W2C_API const w2c_password_policy *w2c_password_policy_ecs(void);

/**
 * Check @password for @user against @policy (NULL = image rule).
 * Returns W2C_OK or W2C_ERR_VIOLATIONS; @err then names the first rule that
 * failed ("password.classes", "password.length", ...) and the missing class,
 * but never the password itself.  @rule_id (may be NULL) receives the id.
 */
W2C_API w2c_code w2c_password_check(const char *password, const char *user,
			    const w2c_password_policy *policy, const char **rule_id,
			    w2c_error *err);

/**
 * Read a secret (a password, a product key) from the first line of @path,
 * newline excluded, into *@out (free it after OPENSSL_cleanse/explicit_bzero).
 * The file must be a regular file no one but its owner can read or write
 * (mode 0600 or stricter): else W2C_ERR_INVALID_INPUT (exit 4, the same
 * for every command), naming the file, its mode and the chmod that fixes it.
 * @what names the secret in messages ("password", "product key").
 */
W2C_API w2c_code w2c_secret_file_read(const char *path, const char *what, char **out,
				       w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
