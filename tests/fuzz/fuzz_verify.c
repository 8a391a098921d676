/* Fuzz target: the two formats verify parses itself, the FAT boot sector of
 * the UEFI El Torito image and a sha256sum line; every input goes to both. */
#include "win2cloud/verify.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	w2c_fat_info fi;
	w2c_error err;
	char hex[65], *name = NULL;

	w2c_fat_probe(data, size, "fuzz", &fi, &err);
	if (w2c_sha256sum_parse((const char *)data, size, "fuzz", hex, &name, &err) == W2C_OK)
		free(name);
	return 0;
}
