/* Rule engine, profiles, override file, parameters and password findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "win2cloud/check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const w2c_check_finding *find(w2c_check_report *r, const char *rule)
{
	for (size_t i = 0; i < w2c_check_report_count(r); i++)
		if (!strcmp(w2c_check_report_get(r, i)->rule, rule))
			return w2c_check_report_get(r, i);
	return NULL;
}

/* An in-memory disk: @len bytes of @head, zeros up to @size. */
struct mem { const uint8_t *head; size_t len; };

static w2c_code mem_read(void *user, void *buf, size_t len, uint64_t off, w2c_error *err)
{
	const struct mem *m = user;
	(void)err;
	memset(buf, 0, len);
	if (off < m->len)
		memcpy(buf, m->head + off, m->len - off < len ? m->len - off : len);
	return W2C_OK;
}

static void probe(const uint8_t *head, size_t len, uint64_t size, w2c_disk_info *d, w2c_code want)
{
	struct mem m = { head, len };
	w2c_disk_src src = { mem_read, &m, size, "mem" };
	w2c_error err;
	assert_int_equal(w2c_disk_probe_src(&src, d, &err), want);
}

/* The verdicts issue 15 found wrong: a protective MBR is GPT, a raw LUKS
 * container is encrypted, a VMDK descriptor names its extent. */
static void test_probe_gpt_luks_flat_vmdk(void **s)
{
	(void)s;
	uint8_t sec[1024] = { 0 };
	w2c_disk_info d;
	sec[446 + 4] = 0xEE;
	sec[510] = 0x55;
	sec[511] = 0xAA;
	memcpy(sec + 512, "EFI PART", 8);
	probe(sec, sizeof sec, 64 << 20, &d, W2C_OK);
	assert_string_equal(d.format, "raw");
	assert_string_equal(d.subformat, "gpt");
	sec[446 + 4] = 0x07;
	probe(sec, sizeof sec, 64 << 20, &d, W2C_OK);
	assert_string_equal(d.subformat, "mbr");

	uint8_t luks[512] = { 'L', 'U', 'K', 'S', 0xBA, 0xBE, 0, 2 };
	probe(luks, sizeof luks, 64 << 20, &d, W2C_OK);
	assert_true(d.encrypted);
	assert_string_equal(d.encryption, "luks2");

	const char *desc = "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n"
			   "RW 125829120 FLAT \"win-flat.vmdk\" 0\n";
	probe((const uint8_t *)desc, strlen(desc), strlen(desc), &d, W2C_OK);
	assert_string_equal(d.format, "vmdk");
	assert_string_equal(d.subformat, "monolithicFlat");
	assert_int_equal(d.n_extents, 1);
	assert_string_equal(d.extent_file, "win-flat.vmdk");
	assert_string_equal(d.extent_type, "FLAT");
	assert_true(d.extent_bytes == 125829120ull * 512);
	/* a sector count no disk has keeps the sum finite instead of wrapping */
	const char *huge = "# Disk DescriptorFile\nRW 99999999999999999999 FLAT \"a\" 0\n"
			   "RW 99999999999999999 FLAT \"b\" 0\n";
	probe((const uint8_t *)huge, strlen(huge), strlen(huge), &d, W2C_OK);
	assert_int_equal(d.n_extents, 2);
}

static void test_rules_unique_and_documented(void **s)
{
	size_t n;
	const w2c_rule *rs = w2c_rules(&n);
	(void)s;
	assert_true(n > 25);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(rs[i].fix);
		assert_true(strlen(rs[i].title) > 5);
		for (size_t k = i + 1; k < n; k++)
			assert_string_not_equal(rs[i].id, rs[k].id);
	}
}

static void test_profiles(void **s)
{
	w2c_check_profile *p;
	w2c_error err;
	(void)s;
	assert_int_equal(w2c_check_profile_load("otc", NULL, &p, &err), W2C_OK);
	assert_int_equal(w2c_check_profile_limits(p)->min_disk_min, 40);
	assert_int_equal(w2c_check_rule_severity(p, "param.os_version"), W2C_CHECK_ERROR);
	w2c_check_profile_free(p);
	assert_int_equal(w2c_check_profile_load("openstack", NULL, &p, &err), W2C_OK);
	assert_int_equal(w2c_check_rule_severity(p, "param.os_version"), W2C_CHECK_OFF);
	assert_int_equal(w2c_check_rule_severity(p, "disk.size.min"), W2C_CHECK_OFF);
	w2c_check_profile_free(p);
	assert_int_equal(w2c_check_profile_load("azure", NULL, &p, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "azure"));
}

static char *write_tmp(const char *text)
{
	static char path[64];
	strcpy(path, "/tmp/w2c-ovr.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_override(void **s)
{
	w2c_check_profile *p;
	w2c_error err;
	char *f;
	(void)s;
	f = write_tmp("{\"limits\": {\"min_disk_max\": 2048}, \"severity\": {\"disk.rdp\": \"off\"},"
		      " \"os_versions\": [\"Windows 11 64bit\"]}");
	assert_int_equal(w2c_check_profile_load("otc", f, &p, &err), W2C_OK);
	assert_int_equal(w2c_check_profile_limits(p)->min_disk_max, 2048);
	assert_int_equal(w2c_check_rule_severity(p, "disk.rdp"), W2C_CHECK_OFF);
	assert_string_equal(w2c_check_profile_limits(p)->os_versions[0], "Windows 11 64bit");
	assert_null(w2c_check_profile_limits(p)->os_versions[1]);
	w2c_check_report *r = w2c_check_report_new(p);
	assert_int_equal(w2c_check_add(r, "disk.rdp", W2C_STATUS_FAIL, "x", NULL, "dropped"), W2C_OK);
	assert_int_equal(w2c_check_report_count(r), 0); /* switched off */
	assert_int_equal(w2c_check_add(r, "no.such.rule", W2C_STATUS_FAIL, "x", NULL, "bug"),
			 W2C_ERR_INTERNAL);
	w2c_check_report_free(r);
	w2c_check_profile_free(p);
	unlink(f);
	f = write_tmp("{\"severity\": {\"disk.nope\": \"error\"}}");
	assert_int_equal(w2c_check_profile_load("otc", f, &p, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "disk.nope"));
	unlink(f);
	f = write_tmp("{\"limits\": {\"min_disk_min\": -1}}");
	assert_int_equal(w2c_check_profile_load("otc", f, &p, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "limits.min_disk_min"));
	unlink(f);
}

static void test_params_and_password(void **s)
{
	w2c_check_profile *p;
	w2c_error err;
	unsigned e, w, i, ok, sk;
	(void)s;
	assert_int_equal(w2c_check_profile_load("otc", NULL, &p, &err), W2C_OK);
	w2c_check_report *r = w2c_check_report_new(p);
	w2c_check_options o = { .profile = p, .min_disk = 40, .os_version = "Windows 11 64bit" };
	assert_int_equal(w2c_check_params(&o, 60ull << 30, r, &err), W2C_OK);
	assert_int_equal(find(r, "param.min_disk.range")->status, W2C_STATUS_PASS);
	assert_int_equal(find(r, "param.min_disk.image")->status, W2C_STATUS_FAIL);
	assert_non_null(strstr(find(r, "param.min_disk.image")->message, "60 GiB"));
	assert_non_null(find(r, "param.min_disk.image")->fix);
	assert_int_equal(find(r, "param.os_version")->status, W2C_STATUS_FAIL);
	assert_int_equal(w2c_check_password("lowercase1!", NULL, r, &err), W2C_OK);
	const w2c_check_finding *f = find(r, "password.classes");
	assert_int_equal(f->status, W2C_STATUS_FAIL);
	assert_non_null(strstr(f->message, "missing: upper case"));
	assert_null(strstr(f->message, "lowercase1!"));
	w2c_check_report_summary(r, &e, &w, &i, &ok, &sk);
	assert_int_equal(e, 3);
	assert_int_equal(sk, 0);
	w2c_check_report_free(r);
	w2c_check_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_unique_and_documented),
		cmocka_unit_test(test_probe_gpt_luks_flat_vmdk),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_params_and_password),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
