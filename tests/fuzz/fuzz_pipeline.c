/* Fuzz the pipeline file parser (libyaml underneath, our walk on top) and the stage wiring. */
#include "win2cloud/pipeline.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	w2c_pipeline *p;
	w2c_pipeline_cursor cur = { 0 };
	w2c_error err;
	if (w2c_pipeline_parse((const char *)data, size, "fuzz.yaml", &p, &err))
		return 0;
	for (size_t i = 0; i < p->n_stages; i++) {
		w2c_pipeline_step step;
		if (w2c_pipeline_step_make(p, i, &cur, &step, &err))
			break;
		free(w2c_pipeline_step_check_argv(&step)); /* the --dry-run command line */
		w2c_pipeline_step_clear(&step);
	}
	w2c_pipeline_cursor_clear(&cur);
	w2c_pipeline_free(p);
	return 0;
}
