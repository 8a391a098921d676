/*
 * win2cloud/sidecar.h - the FILE.sha256 sidecar: the SHA-256 of an image that
 * build and inject write beside it (sha256sum format), read again by verify,
 * upload (as a claim checked against the bytes) and the pipeline.
 */
#ifndef WIN2CLOUD_SIDECAR_H
#define WIN2CLOUD_SIDECAR_H

#include "win2cloud.h"

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parse the first line of a sha256sum file ("HEX  NAME" or "HEX *NAME"):
 * @hex receives the lower-case digest, *@name (caller frees) the file name.
 * W2C_ERR_INVALID_INPUT names @what and the column that is wrong.
 */
W2C_API w2c_code w2c_sha256sum_parse(const char *text, size_t len, const char *what, char hex[65],
			     char **name, w2c_error *err);

/**
 * The SHA-256 that build/inject wrote beside @file (@file.sha256, sha256sum
 * format, naming @file, not older than @file if that exists yet) into @hex.  False when there is
 * none that fits; @why (may be NULL) then says which and why.  A claim only:
 * callers check it against the bytes before relying on it.
 */
W2C_API bool w2c_sha256sum_sidecar(const char *file, char hex[65], w2c_error *why);

/**
 * Write @file.sha256 ("HEX  BASENAME", sha256sum format) atomically, 0644.
 */
W2C_API w2c_code w2c_sha256sum_write(const char *file, const char hex[65], w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
