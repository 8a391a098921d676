/* Fuzz target: the El Torito boot catalog parser (inject/media/media_eltorito.c).
 * The input is the catalog sector (and what follows it): placed at LBA 20 of a
 * small image, read and mapped as w2c_media_open() does.  The image fuzzer
 * reaches the catalog only through a whole ISO; this one mutates it directly. */
#include "inject/media/media_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CAT_LBA 20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	w2c_media m = { .path = "fuzz.iso", .boot_catalog_lba = CAT_LBA };
	w2c_error err;
	size_t len = (size_t)CAT_LBA * W2C_SECTOR + size;
	uint8_t *img;

	if (size > 64 * W2C_SECTOR || !(img = calloc(1, len)))
		return 0;
	memcpy(img + (size_t)CAT_LBA * W2C_SECTOR, data, size);
	m.fd = memfd_create("w2c-fuzz-eltorito", 0);
	if (m.fd >= 0 && write(m.fd, img, len) == (ssize_t)len) {
		m.size = len;
		if (w2c_eltorito_read(&m, &err) == W2C_OK)
			w2c_eltorito_map(&m); /* no tree: sizes from the BPB or the media type */
	}
	for (size_t i = 0; i < m.n_boot; i++)
		free(m.boot[i].image_path);
	free(m.boot);
	if (m.fd >= 0)
		close(m.fd);
	free(img);
	return 0;
}
