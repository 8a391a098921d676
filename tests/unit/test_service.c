/*
 * Pieces of inject --level image that the integration test cannot reach on
 * the small fixture: a serviced WIM is an unlinked file read through
 * /proc/self/fd/N, which wimlib cannot open by that name; a split build
 * (install.wim over 4 GiB) therefore stages it again with w2c_media_stage_file.
 * Here a real WIM (wimlib_capture) goes that way and wimlib opens the
 * staged copy; the scratch sweep removes the directory of a dead process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/util.h"
#include "common/scratch.h"
#include "win2cloud/media.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>

static char dir[] = "/tmp/w2c-test-service.XXXXXX";

static char *make_wim(void)
{
	char *src = w2c_asprintf("%s/tree", dir), *file = w2c_asprintf("%s/tree/a.txt", dir);
	char *wim = w2c_asprintf("%s/x.wim", dir);
	WIMStruct *w = NULL;
	assert_int_equal(mkdir(src, 0700), 0);
	FILE *f = fopen(file, "w");
	for (int i = 0; i < 10000; i++)
		fprintf(f, "line %d\n", i);
	fclose(f);
	assert_int_equal(wimlib_create_new_wim(WIMLIB_COMPRESSION_TYPE_LZX, &w), 0);
	assert_int_equal(wimlib_add_image(w, src, "one", NULL, 0), 0);
	assert_int_equal(wimlib_write(w, wim, WIMLIB_ALL_IMAGES, 0, 0), 0);
	wimlib_free(w);
	free(src);
	free(file);
	return wim;
}

static void test_stage_unlinked_wim(void **state)
{
	(void)state;
	char *wim = make_wim(), *staged = w2c_asprintf("%s/staged.wim", dir);
	char *a = NULL, *b = NULL;
	size_t la = 0, lb = 0;
	w2c_error err;
	assert_int_equal(w2c_read_file(wim, 1 << 24, &a, &la, &err), W2C_OK);
	int keep = open(wim, O_RDONLY);
	assert_true(keep >= 0);
	unlink(wim); /* as a serviced WIM: only the descriptor is left */

	WIMStruct *w = NULL;
	w2c_node n = { .name = "install.wim", .src = W2C_SRC_LOCAL, .size = la };
	n.local_path = w2c_asprintf("/proc/self/fd/%d", keep);
	assert_int_not_equal(wimlib_open_wim(n.local_path, 0, &w), 0); /* why we stage */

	int fd = -1;
	assert_int_equal(w2c_media_stage_file(NULL, &n, staged, &fd, NULL, "/sources/install.wim", "build", &err),
			 W2C_OK);
	close(fd);
	assert_int_equal(w2c_read_file(staged, 1 << 24, &b, &lb, &err), W2C_OK);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_int_equal(wimlib_open_wim(staged, WIMLIB_OPEN_FLAG_CHECK_INTEGRITY, &w), 0);
	assert_int_equal(wimlib_verify_wim(w, 0), 0);
	wimlib_free(w);
	/* a second stage onto the same name is refused (O_EXCL), never overwritten */
	assert_int_not_equal(w2c_media_stage_file(NULL, &n, staged, &fd, NULL, "x", "build", &err), W2C_OK);
	close(keep);
	free(n.local_path);
	free(a);
	free(b);
	free(wim);
	free(staged);
}

static void test_sweep_dead_scratch(void **state)
{
	(void)state;
	/* pid 2^22+1 is above PID_MAX_LIMIT (2^22): no process has it */
	char *dead = w2c_asprintf("%s/.w2c-service.4194305.abc", dir);
	char *deep = w2c_asprintf("%s/i3/Windows/System32", dead), *f = w2c_asprintf("%s/SYSTEM", deep);
	char *live = w2c_asprintf("%s/.w2c-service.%ld.def", dir, (long)getpid());
	w2c_error err;
	assert_int_equal(w2c_mkdirs(deep, &err), W2C_OK);
	assert_int_equal(w2c_write_file_atomic(f, "x", 1, 0600, &err), W2C_OK);
	assert_int_equal(mkdir(live, 0700), 0);
	w2c_scratch_sweep(dir);
	assert_int_not_equal(access(dead, F_OK), 0);
	assert_int_equal(access(live, F_OK), 0); /* ours, still running */
	rmdir(live);
	free(dead);
	free(deep);
	free(f);
	free(live);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stage_unlinked_wim),
		cmocka_unit_test(test_sweep_dead_scratch),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	w2c_rm_tree(dir);
	return rc;
}
