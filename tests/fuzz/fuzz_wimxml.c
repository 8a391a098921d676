/* Fuzz target: the WIM XML parser (UTF-16LE with BOM or UTF-8) that every
 * stage runs on install.wim/boot.wim (inject/media/wimxml.c).  The image
 * fuzzer reaches it only through a whole ISO; this one mutates the XML. */
#include "inject/media/media_int.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	w2c_wim_info *w = calloc(1, sizeof *w);
	w2c_error err;
	w2c_media m = { .wims = w, .n_wims = 1 };

	if (!w)
		return 0;
	(void)w2c_wimxml_parse(data, size, "/sources/install.wim", w, &err);
	w2c_wims_free(&m); /* frees w, the editions parsed so far and their strings */
	return 0;
}
