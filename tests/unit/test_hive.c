/*
 * Hive edits of inject --level image (inject/service/hive_edit.c) on real hives shipped
 * in tests/data/hive (see tests/data/MANIFEST.md): regipy's SYSTEM (Windows 7 era, no
 * DriverDatabase: CriticalDeviceDatabase path) and SYSTEM_WIN_10_1709
 * (DriverDatabase path; its header is dirty).  Every key, value, type and
 * byte of specs/windows-media.md §4c is read back with hivex; a second run
 * must change nothing, byte for byte.  hivex's "minimal" hive (no Select key)
 * is the base of the error and SOFTWARE cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/util.h"
#include "inject/service/service_int.h"

#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/w2c-test-hive.XXXXXX";

/* tests/data of the source tree (ctest passes W2C_DATA; the build's path otherwise). */
static const char *data(void)
{
	const char *c = getenv("W2C_DATA");
	return c ? c : W2C_TEST_DATA;
}

/* A fresh writable copy of the shipped hive @name (.xz decompressed). */
static char *hive_copy(const char *name, const char *as)
{
	char *dst = w2c_asprintf("%s/%s", tmpdir, as);
	char *cmd = w2c_asprintf("xz -dc '%s/hive/regipy/%s.xz' > '%s'", data(), name, dst);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return dst;
}

static uint8_t *u16(const char *s, size_t *len, int extra_nuls)
{
	size_t n = strlen(s);
	uint8_t *out = calloc(1, 2 * n + 2 * (size_t)extra_nuls);
	for (size_t i = 0; i < n; i++)
		out[2 * i] = (uint8_t)s[i];
	*len = 2 * n + 2 * (size_t)extra_nuls;
	return out;
}

static hive_node_h node(hive_h *h, const char *path)
{
	char *dup = strdup(path), *save = NULL;
	hive_node_h n = hivex_root(h);
	for (char *p = strtok_r(dup, "\\", &save); n && p; p = strtok_r(NULL, "\\", &save))
		n = hivex_node_get_child(h, n, p);
	free(dup);
	return n;
}

/* Value @name of key @path holds exactly type @t and bytes @want. */
static void expect_raw(hive_h *h, const char *path, const char *name, hive_type t, const void *want,
		       size_t len)
{
	hive_node_h n = node(h, path);
	if (!n)
		fail_msg("key %s missing", path);
	hive_value_h v = hivex_node_get_value(h, n, name);
	if (!v)
		fail_msg("%s value '%s' missing", path, name);
	hive_type got_t;
	size_t got_len;
	char *got = hivex_value_value(h, v, &got_t, &got_len);
	if (got_t != t || got_len != len || memcmp(got, want, len))
		fail_msg("%s '%s': type %d len %zu, expected type %d len %zu", path, name, got_t, got_len, t, len);
	free(got);
}

static void expect_sz(hive_h *h, const char *path, const char *name, hive_type t, const char *s)
{
	size_t len;
	uint8_t *b = u16(s, &len, t == hive_t_REG_MULTI_SZ ? 2 : 1);
	expect_raw(h, path, name, t, b, len);
	free(b);
}

static void expect_dword(hive_h *h, const char *path, const char *name, uint32_t v)
{
	uint8_t le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
	expect_raw(h, path, name, hive_t_REG_DWORD, le, 4);
}

static void expect_service(hive_h *h, const char *svc)
{
	char *key = w2c_asprintf("ControlSet001\\Services\\%s", svc);
	char *img = w2c_asprintf("system32\\drivers\\%s.sys", svc);
	expect_dword(h, key, "Type", 1);
	expect_dword(h, key, "Start", 0);
	expect_sz(h, key, "Group", hive_t_REG_SZ, "SCSI miniport");
	expect_dword(h, key, "ErrorControl", 1);
	expect_sz(h, key, "ImagePath", hive_t_REG_EXPAND_SZ, img);
	expect_dword(h, "ControlSet001\\Control\\CrashControl", "AutoReboot", 0);
	free(key);
	free(img);
}

static void sha(const char *path, char out[65])
{
	char *data;
	size_t len;
	w2c_error err;
	assert_int_equal(w2c_read_file(path, 64u << 20, &data, &len, &err), W2C_OK);
	w2c_sha256_hex(data, len, out);
	free(data);
}

/* A second edit changes nothing: no value written, the file byte for byte. */
static void expect_idempotent(const char *path, const char *svc, const char *arch)
{
	char before[65], after[65];
	w2c_hive_report r;
	w2c_error err;
	sha(path, before);
	assert_int_equal(w2c_hive_edit_system(path, "again", svc, arch, &r, &err), W2C_OK);
	assert_int_equal(r.changed, 0);
	sha(path, after);
	assert_string_equal(before, after);
}

static void test_win7_critical_device_db(void **state)
{
	(void)state;
	char *p = hive_copy("SYSTEM", "win7-SYSTEM");
	w2c_hive_report r;
	w2c_error err;
	assert_int_equal(w2c_hive_edit_system(p, "win7", "viostor", "amd64", &r, &err), W2C_OK);
	assert_false(r.driver_database);
	assert_int_equal(r.control_set, 1);
	assert_false(r.dirty);
	assert_true(r.changed > 0);
	hive_h *h = hivex_open(p, 0);
	assert_non_null(h);
	expect_service(h, "viostor");
	static const char *const ids[] = { "VEN_1AF4&DEV_1001&REV_00", "VEN_1AF4&DEV_1042&REV_01" };
	for (int i = 0; i < 2; i++) {
		char *k = w2c_asprintf("ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#%s", ids[i]);
		expect_sz(h, k, "Service", hive_t_REG_SZ, "viostor");
		expect_sz(h, k, "ClassGUID", hive_t_REG_SZ, "{4D36E97B-E325-11CE-BFC1-08002BE10318}");
		free(k);
	}
	assert_int_equal(node(h, "DriverDatabase"), 0); /* not invented on a pre-Windows 8 hive */
	hivex_close(h);
	expect_idempotent(p, "viostor", "amd64");
	free(p);
}

static void test_win10_driver_database(void **state)
{
	(void)state;
	char *p = hive_copy("SYSTEM_WIN_10_1709", "win10-SYSTEM");
	w2c_hive_report r;
	w2c_error err;
	assert_int_equal(w2c_hive_edit_system(p, "win10", "vioscsi", "amd64", &r, &err), W2C_OK);
	assert_true(r.driver_database);
	assert_true(r.dirty); /* regipy's hive: sequence 4317 != 4316 */
	assert_int_equal(r.seq1, 4317);
	assert_int_equal(r.seq2, 4316);
	hive_h *h = hivex_open(p, 0);
	assert_non_null(h);
	expect_service(h, "vioscsi");
	const char *inf = "DriverDatabase\\DriverInfFiles\\guestor.inf";
	const char *label = "guestor.inf_amd64_0000000000000000";
	expect_sz(h, inf, "", hive_t_REG_MULTI_SZ, label);
	expect_sz(h, inf, "Active", hive_t_REG_SZ, label);
	expect_sz(h, inf, "Configurations", hive_t_REG_MULTI_SZ, "guestor_conf");
	static const uint8_t version[48] = { 0x00, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0xe9,
		0x36, 0x4d, 0x25, 0xe3, 0xce, 0x11, 0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18 };
	static const uint8_t rank[4] = { 0x01, 0xff, 0x00, 0x00 };
	char *pkg = w2c_asprintf("DriverDatabase\\DriverPackages\\%s", label);
	char *conf = w2c_asprintf("%s\\Configurations\\guestor_conf", pkg);
	expect_raw(h, pkg, "Version", hive_t_REG_BINARY, version, sizeof version);
	expect_dword(h, conf, "ConfigFlags", 0);
	expect_sz(h, conf, "Service", hive_t_REG_SZ, "vioscsi");
	static const char *const ids[] = { "VEN_1AF4&DEV_1004&REV_00", "VEN_1AF4&DEV_1048&REV_01" };
	for (int i = 0; i < 2; i++) {
		char *dev = w2c_asprintf("DriverDatabase\\DeviceIds\\PCI\\%s", ids[i]);
		char *desc = w2c_asprintf("%s\\Descriptors\\PCI\\%s", pkg, ids[i]);
		expect_raw(h, dev, "guestor.inf", hive_t_REG_BINARY, rank, sizeof rank);
		expect_sz(h, desc, "Configuration", hive_t_REG_SZ, "guestor_conf");
		free(dev);
		free(desc);
	}
	/* no CriticalDeviceDatabase entries of ours on the Windows 8+ path */
	assert_int_equal(node(h, "ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#VEN_1AF4&DEV_1004&REV_00"), 0);
	hivex_close(h);
	free(pkg);
	free(conf);
	expect_idempotent(p, "vioscsi", "amd64");
	uint32_t s1, s2;
	assert_int_equal(w2c_hive_sequence(p, &s1, &s2, &err), W2C_OK);
	assert_int_equal(s1, s2); /* written back clean */
	free(p);
}

static void test_no_select(void **state)
{
	(void)state;
	char *src = w2c_asprintf("%s/hive/hivex/minimal", data());
	char *p = w2c_asprintf("%s/minimal", tmpdir), *cmd = w2c_asprintf("cp '%s' '%s'", src, p);
	char before[65], after[65];
	w2c_hive_report r;
	w2c_error err;
	assert_int_equal(system(cmd), 0);
	sha(p, before);
	assert_int_equal(w2c_hive_edit_system(p, "sources/install.wim image 3: /Windows/System32/config/SYSTEM",
					      "viostor", "amd64", &r, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "sources/install.wim image 3: /Windows/System32/config/SYSTEM"));
	assert_non_null(strstr(err.message, "Select\\Current"));
	sha(p, after);
	assert_string_equal(before, after); /* nothing written on error */
	free(src);
	free(p);
	free(cmd);
}

static void set_device_path(const char *path, hive_type t, const char *s)
{
	hive_h *h = hivex_open(path, HIVEX_OPEN_WRITE);
	hive_node_h n = hivex_root(h);
	const char *parts[] = { "Microsoft", "Windows", "CurrentVersion" };
	for (int i = 0; i < 3; i++) {
		hive_node_h c = hivex_node_get_child(h, n, parts[i]);
		n = c ? c : hivex_node_add_child(h, n, parts[i]);
	}
	size_t len;
	uint8_t *b = u16(s, &len, 1);
	hive_set_value v = { "DevicePath", t, len, (char *)b };
	assert_int_equal(hivex_node_set_value(h, n, &v, 0), 0);
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	hivex_close(h);
	free(b);
}

static void test_software_device_path(void **state)
{
	(void)state;
	static const struct { hive_type t; const char *before, *after; } cases[] = {
		{ hive_t_REG_EXPAND_SZ, "%SystemRoot%\\inf", "%SystemRoot%\\inf;%SystemRoot%\\Drivers\\VirtIO" },
		{ hive_t_REG_SZ, "C:\\drv", "C:\\drv;%SystemRoot%\\Drivers\\VirtIO" },
		{ hive_t_REG_EXPAND_SZ, "%SystemRoot%\\inf;%systemroot%\\drivers\\virtio",
		  "%SystemRoot%\\inf;%systemroot%\\drivers\\virtio" }, /* present already, any case */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *src = w2c_asprintf("%s/hive/hivex/minimal", data());
		char *p = w2c_asprintf("%s/software%zu", tmpdir, i), *cmd = w2c_asprintf("cp '%s' '%s'", src, p);
		char before[65], after[65];
		w2c_hive_report r;
		w2c_error err;
		assert_int_equal(system(cmd), 0);
		set_device_path(p, cases[i].t, cases[i].before);
		assert_int_equal(w2c_hive_edit_software(p, "sw", &r, &err), W2C_OK);
		assert_int_equal(r.changed, strcmp(cases[i].before, cases[i].after) ? 1 : 0);
		hive_h *h = hivex_open(p, 0);
		expect_sz(h, "Microsoft\\Windows\\CurrentVersion", "DevicePath", cases[i].t, cases[i].after);
		hivex_close(h);
		sha(p, before);
		assert_int_equal(w2c_hive_edit_software(p, "sw", &r, &err), W2C_OK);
		assert_int_equal(r.changed, 0);
		sha(p, after);
		assert_string_equal(before, after);
		free(src);
		free(p);
		free(cmd);
	}
}

static void test_setupcomplete(void **state)
{
	(void)state;
	char *out;
	size_t len;
	w2c_error err;
	assert_int_equal(w2c_setupcomplete_merge(NULL, 0, &out, &len, &err), W2C_OK);
	assert_string_equal(out, "@echo off\r\n" W2C_SETUPCOMPLETE_LINE "\r\n");
	char *again;
	assert_int_equal(w2c_setupcomplete_merge(out, len, &again, &len, &err), W2C_OK);
	assert_null(again); /* ours already: kept */
	free(out);
	const char *user = "@echo off\r\nreg add HKLM\\X /f";
	assert_int_equal(w2c_setupcomplete_merge(user, strlen(user), &out, &len, &err), W2C_OK);
	assert_string_equal(out, "@echo off\r\nreg add HKLM\\X /f\r\n" W2C_SETUPCOMPLETE_LINE "\r\n");
	free(out);
}

int main(void)
{
	char *probe = w2c_asprintf("%s/hive/regipy/SYSTEM.xz", data());
	if (access(probe, R_OK)) { /* part of the repository: a broken checkout, not a skip */
		printf("FAIL: %s missing (tests/data of the repository)\n", probe);
		free(probe);
		return 1;
	}
	free(probe);
	if (system("command -v xz >/dev/null")) {
		printf("SKIP: xz not installed (package xz-utils; scripts/setup.sh installs it)\n");
		return 77;
	}
	if (!mkdtemp(tmpdir))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_win7_critical_device_db),
		cmocka_unit_test(test_win10_driver_database),
		cmocka_unit_test(test_no_select),
		cmocka_unit_test(test_software_device_path),
		cmocka_unit_test(test_setupcomplete),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char *cmd = w2c_asprintf("rm -rf '%s'", tmpdir);
	if (system(cmd))
		rc = rc ? rc : 1;
	free(cmd);
	return rc;
}
