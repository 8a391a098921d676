/* Scratch space for large temporary files (common/scratch.c). */
#ifndef W2C_COMMON_SCRATCH_H
#define W2C_COMMON_SCRATCH_H

#include "win2cloud.h"

/* The mkdtemp() template BASE/.w2c-KIND.PID.XXXXXX of a scratch directory
 * (KIND: lower-case letters naming its user); malloc'd. */
char *w2c_scratch_name(const char *base, const char *kind);
/* Where scratch files may go: @tmpdir or the directory of @out, then $TMPDIR
 * (or /var/tmp); returns what to free once done with cand[0]. */
char *w2c_scratch_candidates(const char *out, const char *tmpdir, const char *cand[2]);
/* The first candidate with room for @need (+ @image on the first, where the
 * output goes too), else W2C_ERR_NO_SPACE naming both. */
w2c_code w2c_scratch_dir(const char *const cand[2], uint64_t need, uint64_t image, char **dir,
			 w2c_error *err);
/* Remove the scratch directories under @base whose process is gone. */
void w2c_scratch_sweep(const char *base);

#endif
