/* Without libFuzzer: feed every file named on the command line (directories
 * recursively) to LLVMFuzzerTestOneInput once, so ctest still exercises the
 * parser on the seed corpus under the sanitizers. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 0;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		if (!d)
			return 0;
		while ((e = readdir(d))) {
			char sub[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
			replay(sub, count);
		}
		closedir(d);
		return 0;
	}
	if (st.st_size > 64 << 20)
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (buf) {
		LLVMFuzzerTestOneInput(buf, n);
		(*count)++;
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int count = 0;
	for (int i = 1; i < argc; i++)
		if (argv[i][0] != '-')
			replay(argv[i], &count);
	printf("replayed %d inputs\n", count);
	return 0;
}
