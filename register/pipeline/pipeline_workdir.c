/* The pipeline's work directory as an absolute, existing, canonical path. */
#include "common/util.h"
#include "win2cloud/pipeline.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

w2c_code w2c_pipeline_workdir_resolve(w2c_pipeline *p, bool create, w2c_error *err)
{
	char cwd[PATH_MAX], real[PATH_MAX], *abs;
	w2c_code rc;

	if (p->workdir[0] == '/')
		abs = w2c_strdup(p->workdir);
	else if (getcwd(cwd, sizeof cwd))
		abs = w2c_asprintf("%s/%s", cwd, p->workdir);
	else
		abs = NULL;
	if (!abs)
		return w2c_set_error(err, W2C_ERR_IO, "run: cannot resolve workdir '%s': %s", p->workdir,
				     strerror(errno));
	free(p->workdir);
	p->workdir = abs;
	if (create && (rc = w2c_mkdirs(p->workdir, err)))
		return rc;
	if (realpath(p->workdir, real)) {
		char *canon = w2c_strdup(real);
		if (canon) {
			free(p->workdir);
			p->workdir = canon;
		}
	}
	return W2C_OK;
}
