/* Shared between the files of inject/inject/ only. */
#ifndef W2C_INJECT_INJECT_INT_H
#define W2C_INJECT_INJECT_INT_H

#include "win2cloud/inject.h"

/* Generate or merge the answer file (DriverPaths to what was placed), put it at the media
 * root of res->media_ and lint it there; lint errors are W2C_ERR_VIOLATIONS. */
w2c_code w2c_inject_answer_file(const char *out, const w2c_inject_options *o, w2c_inject_result *res,
				w2c_error *err);

#endif
