/* Fuzz the disk image header parsers (register/disk_*.c) on in-memory images. */
#include "win2cloud/check.h"

#include <stdint.h>
#include <string.h>

struct mem {
	const uint8_t *p;
	size_t n;
};

static w2c_code mem_read(void *user, void *buf, size_t len, uint64_t off, w2c_error *err)
{
	struct mem *m = user;
	if (off > m->n || len > m->n - off)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "short read");
	memcpy(buf, m->p + off, len);
	return W2C_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { data, size };
	w2c_disk_src src = { mem_read, &m, size, "fuzz" };
	w2c_disk_info info;
	w2c_error err;
	if (w2c_disk_probe_src(&src, &info, &err) == W2C_OK) {
		/* Results must be well-formed strings. */
		if (strlen(info.backing_file) >= sizeof info.backing_file || !info.format)
			__builtin_trap();
	}
	return 0;
}
