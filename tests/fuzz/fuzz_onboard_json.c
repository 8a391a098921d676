/* Fuzz the ECS/IMS answers `onboard` parses: ECS and IMS job bodies, server details (volumes,
 * metadata), the remote-console answer, and the onboard state file. */
#include "register/onboard/onboard_int.h"
#include "common/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	w2c_onb_job job;
	w2c_onb_server s;
	w2c_onboard_state st;
	w2c_error err;
	char url[256], path[] = "/tmp/w2c-fuzz-onboard-XXXXXX";
	json_t *doc = json_loadb(body, size, 0, NULL);
	int fd;

	w2c_onb_job_parse(body, size, true, &job, &err);
	w2c_onb_job_parse(body, size, false, &job, &err);
	w2c_onb_server_parse(json_object_get(doc, "server"), &s, &err);
	w2c_onb_server_parse(doc, &s, &err);
	w2c_onb_console_url(doc, url, sizeof url);
	json_decref(doc);
	/* the state file reader over the same bytes */
	if ((fd = mkstemp(path)) >= 0) {
		if (w2c_write_full(fd, data, size, path, &err) == W2C_OK)
			w2c_onboard_state_load(path, &st, &err);
		close(fd);
		unlink(path);
	}
	return 0;
}
