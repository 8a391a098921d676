/* Unit tests: error codes, exit statuses, atomic output files, password rule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"
#include "win2cloud/password.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_exit_status(void **state)
{
	(void)state;
	assert_int_equal(w2c_exit_status(W2C_OK), 0);
	assert_int_equal(w2c_exit_status(W2C_ERR_IO), 1);
	assert_int_equal(w2c_exit_status(W2C_ERR_USAGE), 2);
	assert_int_equal(w2c_exit_status(W2C_ERR_VIOLATIONS), 3);
	assert_int_equal(w2c_exit_status(W2C_ERR_INVALID_INPUT), 4);
	assert_int_equal(w2c_exit_status(W2C_ERR_REMOTE), 5);
	assert_int_equal(w2c_exit_status(W2C_ERR_INTERRUPTED), 6);
	assert_string_equal(w2c_code_name(W2C_ERR_INVALID_INPUT), "invalid-input");
}

static void test_error_prefix(void **state)
{
	w2c_error err;
	(void)state;
	w2c_set_error(&err, W2C_ERR_IO, "read failed at %d", 7);
	w2c_error_prefix(&err, "%s", "x.iso");
	assert_string_equal(err.message, "x.iso: read failed at 7");
	assert_int_equal(err.code, W2C_ERR_IO);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void test_outfile_commit_and_abort(void **state)
{
	char dir[] = "/tmp/w2c-unit-XXXXXX", path[256];
	w2c_outfile of;
	w2c_error err;
	char *data;
	size_t len;
	(void)state;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/out.bin", dir);
	assert_int_equal(w2c_outfile_open(&of, path, 0644, &err), W2C_OK);
	assert_int_equal(w2c_write_full(of.fd, "hello", 5, path, &err), W2C_OK);
	/* Nothing visible before commit. */
	assert_int_equal(count_entries(dir), of.tmpname ? 1 : 0);
	assert_int_equal(w2c_outfile_commit(&of, &err), W2C_OK);
	assert_int_equal(w2c_read_file(path, 100, &data, &len, &err), W2C_OK);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "hello", 5);
	free(data);

	assert_int_equal(w2c_outfile_open(&of, path, 0644, &err), W2C_OK);
	assert_int_equal(w2c_write_full(of.fd, "other", 5, path, &err), W2C_OK);
	w2c_outfile_abort(&of);
	assert_int_equal(count_entries(dir), 1); /* only the committed file */
	assert_int_equal(w2c_read_file(path, 100, &data, &len, &err), W2C_OK);
	assert_memory_equal(data, "hello", 5);
	free(data);
	unlink(path);
	rmdir(dir);
}

static void test_outfile_missing_dir(void **state)
{
	w2c_outfile of;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_outfile_open(&of, "/nonexistent-w2c/x.iso", 0644, &err),
			 W2C_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "/nonexistent-w2c/x.iso"));
}

static void put(const char *path, const char *text)
{
	w2c_error err;
	assert_int_equal(w2c_write_file_atomic(path, text, strlen(text), 0644, &err), W2C_OK);
}

static void expect(const char *path, const char *text)
{
	char *data;
	size_t len;
	w2c_error err;
	assert_int_equal(w2c_read_file(path, 100, &data, &len, &err), W2C_OK);
	assert_string_equal(data, text);
	free(data);
}

/* Three outfiles (two sidecars, the image last) over existing files. */
static void open_group(const char *dir, w2c_outfile *of, char paths[3][256], const char *tag)
{
	static const char *const names[3] = { "out.iso.sha256", "out.iso.json", "out.iso" };
	w2c_error err;
	for (int i = 0; i < 3; i++) {
		snprintf(paths[i], 256, "%s/%s", dir, names[i]);
		assert_int_equal(w2c_outfile_open(&of[i], paths[i], 0644, &err), W2C_OK);
		assert_int_equal(w2c_write_full(of[i].fd, tag, strlen(tag), paths[i], &err), W2C_OK);
	}
}

static void test_outgroup_commit_and_roll_back(void **state)
{
	char dir[] = "/tmp/w2c-unit-XXXXXX", paths[3][256];
	w2c_outfile of[3], *all[3] = { &of[0], &of[1], &of[2] };
	w2c_error err;
	(void)state;

	assert_non_null(mkdtemp(dir));
	open_group(dir, of, paths, "old");
	assert_int_equal(w2c_outgroup_commit(all, 3, &err), W2C_OK);
	for (int i = 0; i < 3; i++)
		expect(paths[i], "old");
	assert_int_equal(count_entries(dir), 3);

	/* The image's rename fails (its temp name vanished after staging): the
	 * two sidecars already renamed are put back, nothing else is left. */
	open_group(dir, of, paths, "new");
	assert_int_equal(w2c_outfile_stage(&of[2], &err), W2C_OK);
	unlink(of[2].tmpname);
	assert_int_equal(w2c_outgroup_commit(all, 3, &err), W2C_ERR_IO);
	assert_non_null(strstr(err.message, "put back"));
	for (int i = 0; i < 3; i++)
		expect(paths[i], "old");
	assert_int_equal(count_entries(dir), 3);

	/* A sidecar's target that is a directory: refused before any rename. */
	unlink(paths[1]);
	assert_int_equal(mkdir(paths[1], 0755), 0);
	open_group(dir, of, paths, "new");
	assert_int_equal(w2c_outgroup_commit(all, 3, &err), W2C_ERR_USAGE);
	expect(paths[0], "old");
	expect(paths[2], "old");
	assert_int_equal(count_entries(dir), 3);
	rmdir(paths[1]);

	/* Without a previous file the rollback removes the new one. */
	unlink(paths[0]);
	put(paths[1], "old");
	open_group(dir, of, paths, "new");
	assert_int_equal(w2c_outfile_stage(&of[2], &err), W2C_OK);
	unlink(of[2].tmpname);
	assert_int_equal(w2c_outgroup_commit(all, 3, &err), W2C_ERR_IO);
	assert_int_equal(access(paths[0], F_OK), -1);
	expect(paths[1], "old");
	for (int i = 0; i < 3; i++)
		unlink(paths[i]);
	assert_int_equal(count_entries(dir), 0);
	rmdir(dir);
}

static void test_password_rule(void **state)
{
	const char *rule;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_password_check("Cl0ud!Pass", "Administrator", NULL, &rule, &err), W2C_OK);
	assert_null(rule);
	assert_int_equal(w2c_password_check("Sh0rt!", "Administrator", NULL, &rule, &err),
			 W2C_ERR_VIOLATIONS);
	assert_string_equal(rule, "password.length");
	assert_int_equal(w2c_password_check("nouppercase1!", "Administrator", NULL, &rule, &err),
			 W2C_ERR_VIOLATIONS);
	assert_string_equal(rule, "password.classes");
	assert_non_null(strstr(err.message, "upper case"));
	assert_null(strstr(err.message, "nouppercase1!")); /* never echo the secret */
	assert_int_equal(w2c_password_check("Abcdefg1~x", "Administrator", NULL, &rule, &err),
			 W2C_ERR_VIOLATIONS);
	assert_string_equal(rule, "password.charset");
	/* ECS rule allows ~ and needs only 3 classes */
	assert_int_equal(w2c_password_check("abcdefg1~x", "Administrator", w2c_password_policy_ecs(),
					    &rule, &err), W2C_OK);
	assert_int_equal(w2c_password_check("xAdministrator1!", "Administrator", NULL, &rule, &err),
			 W2C_ERR_VIOLATIONS);
	assert_string_equal(rule, "password.username");
	assert_int_equal(w2c_password_check("Xrotartsinimda1!", "Administrator", NULL, &rule, &err),
			 W2C_ERR_VIOLATIONS);
	assert_string_equal(rule, "password.username");
	assert_int_equal(w2c_password_check("Qmin!2345x", "Administrator", NULL, &rule, &err),
			 W2C_ERR_VIOLATIONS);
	assert_string_equal(rule, "password.username_run");
}

static void test_utf16(void **state)
{
	size_t n;
	uint8_t *u = w2c_utf8_to_utf16le("Grüße", &n);
	char *back;
	(void)state;
	assert_non_null(u);
	assert_int_equal(n, 10);
	back = w2c_utf16le_to_utf8(u, n);
	assert_string_equal(back, "Grüße");
	free(u);
	free(back);
	assert_int_equal(w2c_strcasecmp("SOURCES", "sources"), 0);
	assert_true(w2c_str_endswith_ci("install.WIM", ".wim"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_error_prefix),
		cmocka_unit_test(test_outfile_commit_and_abort),
		cmocka_unit_test(test_outfile_missing_dir),
		cmocka_unit_test(test_outgroup_commit_and_roll_back),
		cmocka_unit_test(test_password_rule),
		cmocka_unit_test(test_utf16),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
