/* Fuzz target: DIR/.win2cloud/media.json of an unpacked medium, read by
 * w2c_media_open() on a directory (volume ids, boot entries, file records). */
#include "win2cloud/media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], meta[96];

static void cleanup(void)
{
	char p[128];
	unlink(meta);
	snprintf(p, sizeof p, "%s/.win2cloud", dir);
	rmdir(p);
	snprintf(p, sizeof p, "%s/sources/setup.exe", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/sources", dir);
	rmdir(p);
	rmdir(dir);
}

/* One small medium per process: a file, a directory, the metadata folder. */
static int setup(void)
{
	char p[128];
	FILE *f;
	strcpy(dir, "/tmp/w2c-fuzz-manifest.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(p, sizeof p, "%s/sources", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/sources/setup.exe", dir);
	if ((f = fopen(p, "w"))) {
		fputs("MZ", f);
		fclose(f);
	}
	snprintf(p, sizeof p, "%s/.win2cloud", dir);
	mkdir(p, 0755);
	snprintf(meta, sizeof meta, "%s/.win2cloud/media.json", dir);
	atexit(cleanup);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	w2c_media *m = NULL;
	w2c_media_options mo = { .skip_wims = true };
	w2c_error err;
	FILE *f;

	if (!*dir && setup() < 0)
		return 0;
	if (!(f = fopen(meta, "wb")))
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	if (w2c_media_open(dir, &mo, &m, &err) == W2C_OK) {
		for (size_t i = 0; i < w2c_media_boot_count(m); i++)
			(void)w2c_media_boot_entry(m, i)->image_path;
		w2c_media_free(m);
	}
	return 0;
}
