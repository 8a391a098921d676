/* Shared between the pipeline's files; not public. */
#ifndef W2C_REGISTER_PIPELINE_INT_H
#define W2C_REGISTER_PIPELINE_INT_H
#include "win2cloud/pipeline.h"

/*
 * The keyed hash (HMAC-SHA256, hex in @hex) of every secret input of @step:
 * the value of --admin-password-env's variable, the contents of
 * --admin-password-file and --product-key-file, and for the cloud verbs
 * (upload, register, check) the credentials file.  The key is 32 random
 * bytes in @key_path (mode 0600), made when @create and missing.  *@has is
 * false when the step has no secret input (@hex is then empty).  The secret
 * itself is never stored: the state file holds only this hash, which says
 * nothing about the secret without the key.
 */
w2c_code w2c_pipeline_secrets_hmac(const char *key_path, const w2c_pipeline_step *step, bool create,
				   char hex[65], bool *has, w2c_error *err);

#endif
