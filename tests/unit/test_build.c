/* Unit tests: opening an unpacked directory (media.json checks name the
 * field), and what w2c_build_iso reports: volume ids, Joliet's 16 characters
 * counted in characters not bytes, a source without El Torito, refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "inject/media/media_int.h"
#include "win2cloud/build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *dir, const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void rm_tree(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* DIR/sources/setup.exe and DIR/.win2cloud/media.json with @boot and @vid. */
static void make_unpacked(char *dir, const char *vid, const char *boot)
{
	char p[256], json[1024];
	strcpy(dir, "/tmp/w2c-unit-build.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/sources", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/.win2cloud", dir);
	mkdir(p, 0755);
	put(dir, "sources/setup.exe", "MZ setup");
	snprintf(json, sizeof json,
		 "{\"format\":\"win2cloud-media/1\",\"volume_id\":\"%s\",\"boot\":%s,\"files\":["
		 "{\"path\":\"/sources\",\"type\":\"dir\",\"size\":0,\"mtime\":1000000000,\"hidden\":false},"
		 "{\"path\":\"/sources/setup.exe\",\"type\":\"file\",\"size\":8,\"mtime\":1,\"hidden\":true}]}",
		 vid, boot);
	put(dir, ".win2cloud/media.json", json);
}

static void test_unpacked_dir_opens(void **state)
{
	char dir[64];
	w2c_media *m;
	w2c_error err;
	(void)state;
	make_unpacked(dir, "MY_VOL", "[]");
	assert_int_equal(w2c_media_open(dir, NULL, &m, &err), W2C_OK);
	assert_string_equal(w2c_media_volume_id(m), "MY_VOL");
	w2c_node *n = w2c_tree_lookup(w2c_media_root(m), "/sources/setup.exe");
	assert_non_null(n);
	assert_int_equal(n->src, W2C_SRC_LOCAL);
	assert_int_equal(n->size, 8);
	assert_true(n->hidden);
	/* a directory's time is the medium's, not the one the unpack left */
	assert_int_equal(w2c_tree_lookup(w2c_media_root(m), "/sources")->mtime.tv_sec, 1000000000);
	assert_null(w2c_tree_lookup(w2c_media_root(m), "/.win2cloud"));
	w2c_media_free(m);
	rm_tree(dir);
}

static void expect_refusal(const char *boot, const char *vid, const char *needle)
{
	char dir[64];
	w2c_media *m = NULL;
	w2c_error err;
	make_unpacked(dir, vid, boot);
	assert_int_equal(w2c_media_open(dir, NULL, &m, &err), W2C_ERR_INVALID_INPUT);
	assert_null(m);
	if (!strstr(err.message, needle))
		fail_msg("error '%s' does not name '%s'", err.message, needle);
	rm_tree(dir);
}

static void test_manifest_errors_name_the_field(void **state)
{
	(void)state;
	expect_refusal("[{\"platform_id\":0}]", "V", "boot[0].media_type");
	expect_refusal("[{\"platform_id\":300,\"media_type\":0,\"load_segment\":0,\"system_type\":0,"
		       "\"sector_count\":8,\"lba\":20,\"image_size\":4096,\"image\":\"/x\"}]", "V",
		       "boot[0].platform_id");
	expect_refusal("[{\"platform_id\":0,\"media_type\":0,\"load_segment\":0,\"system_type\":0,"
		       "\"sector_count\":8,\"lba\":20,\"image_size\":4096,\"image\":null,"
		       "\"extracted\":\"../../etc/passwd\"}]", "V", "boot[0].image");
	expect_refusal("{}", "V", "'boot'");
	expect_refusal("[]", "0123456789012345678901234567890123", "volume_id");
}

static void test_missing_manifest_is_refused(void **state)
{
	char dir[64], p[128];
	w2c_media *m = NULL;
	w2c_error err;
	(void)state;
	make_unpacked(dir, "V", "[]");
	snprintf(p, sizeof p, "%s/.win2cloud/media.json", dir);
	unlink(p);
	assert_int_equal(w2c_media_open(dir, NULL, &m, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "no .win2cloud/media.json"));
	rm_tree(dir);
}

static void test_build_reports(void **state)
{
	char dir[64], out[128], sha[160];
	w2c_media *m;
	w2c_error err;
	w2c_build_result res;
	/* 17 characters, 20 bytes: Joliet keeps the first 16 characters */
	w2c_build_options o = { .volume_id = "ÄÖÜ_VOLUME_NAME_X" };
	(void)state;
	make_unpacked(dir, "V", "[]");
	assert_int_equal(w2c_media_open(dir, NULL, &m, &err), W2C_OK);
	snprintf(out, sizeof out, "%s/out.iso", dir);
	assert_int_equal(w2c_build_iso(m, out, &o, &res, &err), W2C_OK);
	assert_string_equal(res.volume_id, "ÄÖÜ_VOLUME_NAME_X");
	assert_string_equal(res.joliet_volume_id, "ÄÖÜ_VOLUME_NAME_");
	assert_int_equal(res.boot_entries, 0);
	bool joliet = false, noboot = false;
	for (unsigned i = 0; i < res.n_notes; i++) {
		joliet |= strstr(res.notes[i], "Joliet holds 16") != NULL;
		noboot |= strstr(res.notes[i], "no El Torito boot catalog") != NULL;
	}
	assert_true(joliet);
	assert_true(noboot);
	snprintf(sha, sizeof sha, "%s.sha256", out);
	assert_int_equal(access(sha, F_OK), 0);
	/* the output may not be a file the build reads */
	snprintf(out, sizeof out, "%s/sources/setup.exe", dir);
	assert_int_equal(w2c_build_iso(m, out, NULL, &res, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "source file of the medium"));
	o.volume_id = "0123456789012345678901234567890123";
	snprintf(out, sizeof out, "%s/long.iso", dir);
	assert_int_equal(w2c_build_iso(m, out, &o, &res, &err), W2C_ERR_USAGE);
	assert_int_equal(access(out, F_OK), -1);
	w2c_media_free(m);
	rm_tree(dir);
}

/* The preflight: what would fail at the end is a usage error up front. */
static void test_preflight(void **state)
{
	char dir[] = "/tmp/w2c-pre-XXXXXX", path[256], side[256];
	w2c_error err;
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(w2c_build_check_output("", NULL, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_build_check_output(dir, NULL, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "is a directory"));
	snprintf(path, sizeof path, "%s/", dir);
	assert_int_equal(w2c_build_check_output(path, NULL, &err), W2C_ERR_USAGE);
	snprintf(path, sizeof path, "%s/none/x.iso", dir);
	assert_int_equal(w2c_build_check_output(path, NULL, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "does not exist"));
	snprintf(path, sizeof path, "%s/x.iso", dir);
	assert_int_equal(w2c_build_check_output(path, NULL, &err), W2C_OK);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	chmod(path, 0444);
	assert_int_equal(w2c_build_check_output(path, NULL, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "read-only (mode 0444)"));
	chmod(path, 0644);
	/* a sidecar name taken by a directory is refused before any work too */
	const w2c_build_sidecar sc = { ".drivers.json", "{}", 2 };
	w2c_build_options o = { .sidecars = &sc, .n_sidecars = 1 };
	snprintf(side, sizeof side, "%s.drivers.json", path);
	assert_int_equal(mkdir(side, 0755), 0);
	assert_int_equal(w2c_build_check_output(path, &o, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, ".drivers.json"));
	rmdir(side);

	w2c_node *root = w2c_node_new("", true);
	assert_non_null(w2c_tree_mkdirs(root, "/sources", &err));
	assert_int_equal(w2c_build_check_add(root, "/sources", path, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_build_check_add(root, "/../x", path, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_build_check_add(root, "/a/./x", path, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_build_check_add(root, "/", path, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_build_check_add(root, "/sources/ei.cfg", dir, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_build_check_add(root, "/sources/ei.cfg", path, &err), W2C_OK);
	assert_int_equal(w2c_build_check_add(root, "/..x/y", path, &err), W2C_OK); /* a name */
	w2c_node_free(root);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unpacked_dir_opens),
		cmocka_unit_test(test_manifest_errors_name_the_field),
		cmocka_unit_test(test_missing_manifest_is_refused),
		cmocka_unit_test(test_build_reports),
		cmocka_unit_test(test_preflight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
