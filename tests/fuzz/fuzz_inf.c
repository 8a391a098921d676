/* Fuzz the INF parser and the package extraction on top of it. */
#include "win2cloud/drivers.h"

#include <stdint.h>
#include <string.h>

static bool exists_if_short(void *user, const char *rel)
{
	(void)user;
	return strlen(rel) % 2 == 0; /* exercise both the present and the missing paths */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	w2c_inf *inf;
	w2c_driver_package *p;
	w2c_error err;
	if (w2c_inf_parse(data, size, "fuzz.inf", &inf, &err))
		return 0;
	if (!w2c_driver_package_from_inf(inf, exists_if_short, NULL, &p, &err)) {
		w2c_target_os os = { "amd64", 10, 0, 17763, 3 };
		const w2c_inf_models *best;
		(void)w2c_driver_package_accepts(p, &os, &best);
		w2c_driver_package_free(p);
	}
	w2c_inf_free(inf);
	return 0;
}
