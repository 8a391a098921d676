/* Fuzz target: verify's own UDF reader (verify_udf.c) on damaged images.  A
 * small image is written once with the UDF writer; each input is a list of
 * (block, offset, byte) changes applied to a copy of its UDF head and tail
 * (anchors, descriptor sequences, integrity, file set, entries and
 * identifiers), and the copy is verified: findings are expected, crashes,
 * hangs and leaks are not. */
#include "win2cloud/build.h"
#include "win2cloud/media.h"
#include "win2cloud/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t *base;
static size_t base_len;

/* An unpacked medium of a few files in nested directories, built once. */
static int make_base(void)
{
	char dir[64] = "/tmp/w2c-fuzz-vudf.XXXXXX", p[160], out[160];
	w2c_media *m = NULL;
	w2c_build_result res;
	w2c_error err;
	if (!mkdtemp(dir))
		return -1;
	snprintf(p, sizeof p, "%s/src", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/src/.win2cloud", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/src/.win2cloud/media.json", dir);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fputs("{\"format\":\"win2cloud-media/1\",\"volume_id\":\"FUZZ\",\"boot\":[],\"files\":[]}", f);
	fclose(f);
	snprintf(p, sizeof p, "%s/src", dir);
	if (w2c_media_open(p, NULL, &m, &err))
		return -1;
	static const char *const paths[] = { "/a.txt", "/Dir/b.bin", "/Dir/Sub/c", "/Dir/Sub/d d",
					     "/E/\xC3\xA9t\xC3\xA9.txt" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		if (w2c_tree_put_memory(w2c_media_root(m), paths[i], paths[i], strlen(paths[i]), &err))
			return -1;
	snprintf(out, sizeof out, "%s/base.iso", dir);
	if (w2c_build_iso(m, out, NULL, &res, &err))
		return -1;
	w2c_media_free(m);
	FILE *b = fopen(out, "rb");
	if (!b || !(base = malloc(res.bytes)) || fread(base, 1, res.bytes, b) != res.bytes)
		return -1;
	fclose(b);
	base_len = res.bytes;
	unlink(out);
	snprintf(p, sizeof p, "%s.sha256", out);
	unlink(p);
	snprintf(p, sizeof p, "%s/src/.win2cloud/media.json", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/src/.win2cloud", dir);
	rmdir(p);
	snprintf(p, sizeof p, "%s/src", dir);
	rmdir(p);
	rmdir(dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	w2c_verify_report r;
	w2c_error err;
	if (!base && make_base())
		abort(); /* the writer must write the base image */
	int fd = memfd_create("w2c-fuzz-vudf", 0);
	if (fd < 0)
		return 0;
	uint8_t *img = malloc(base_len);
	if (!img) {
		close(fd);
		return 0;
	}
	memcpy(img, base, base_len);
	size_t blocks = base_len / 2048;
	/* 4 bytes per change: block (of the first 320 or, above 32767, the last 257), offset, byte */
	for (size_t i = 0; i + 4 <= size; i += 4) {
		unsigned blk = (unsigned)data[i] | (unsigned)data[i + 1] << 8;
		size_t b = blk & 0x8000 ? blocks - 1 - (blk & 0x7FFF) % 257 : blk % 320;
		size_t off = b * 2048 + (size_t)data[i + 2] * 8 % 2048;
		if (off < base_len)
			img[off] = data[i + 3];
	}
	if (write(fd, img, base_len) == (ssize_t)base_len) {
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		memset(&r, 0, sizeof r);
		w2c_verify(path, NULL, &r, &err);
		w2c_verify_report_clear(&r);
	}
	free(img);
	close(fd);
	return 0;
}
