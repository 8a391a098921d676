/* Fuzz the clouds.yaml / secure.yaml parser (libyaml underneath, our tree walk on top). */
#include "win2cloud/auth.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	w2c_cloud_config c = { 0 };
	w2c_error err;
	w2c_cloud_config_parse(&c, (const char *)data, size, "fuzz.yaml", "otc", &err);
	w2c_cloud_config_free(&c);
	return 0;
}
