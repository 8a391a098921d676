/* Fuzz target: volume descriptors, El Torito catalog, UDF and ISO 9660 trees,
 * WIM headers and XML: everything w2c_media_open() parses from an image. */
#include "win2cloud/media.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	w2c_media *m = NULL;
	w2c_error err;
	int fd = memfd_create("w2c-fuzz", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if (w2c_media_open(path, NULL, &m, &err) == W2C_OK) {
			uint8_t buf[4096];
			size_t got;
			w2c_node *root = w2c_media_root(m);
			for (size_t i = 0; root && i < root->n_children && i < 8; i++)
				if (!root->children[i]->is_dir)
					w2c_media_read(m, root->children[i], 0, buf, sizeof buf, &got, &err);
			w2c_media_free(m);
		}
	}
	close(fd);
	return 0;
}
