/* Fuzz the JSON answers of the cloud services: IAM/Keystone token bodies and their
 * catalog, IMS job status, and the error bodies of IMS, APIG, IAM and Glance. */
#include "win2cloud/auth.h"
#include "win2cloud/api.h"
#include "register/images/image_service.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	w2c_token_info info;
	w2c_ims_job job;
	w2c_error err;
	char text[700], code[64], *url = NULL;

	if (w2c_token_parse_response(body, size, &info, &err) == W2C_OK) {
		if (w2c_catalog_find(info.catalog_json, "image", "public", NULL, &url, &err) == W2C_OK)
			free(url);
		if (w2c_catalog_find(info.catalog_json, "image", NULL, "eu-de", &url, &err) == W2C_OK)
			free(url);
		free(info.catalog_json);
	}
	w2c_ims_job_parse(body, size, &job, &err);
	w2c_api_error_text(body, size, text, sizeof text);
	w2c_api_error_code(body, size, code, sizeof code);
	w2c_api_is_throttled(400, body, size);
	w2c_api_is_throttled(202, body, size);
	return 0;
}
