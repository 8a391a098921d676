/*
 * INF parser, package facts, decorations and selection.  Facts are asserted
 * against values read by hand from real INFs shipped in tests/data/inf (see
 * tests/data/MANIFEST.md); selection runs on a virtio-win-layout tree built
 * from them (tests/fixtures/mkvirtio.sh) with editions filled by hand.  When
 * the wider corpus is present ($W2C_CORPUS), every INF of it must parse too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/util.h"
#include "win2cloud/drivers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *corpus(void)
{
	const char *c = getenv("W2C_CORPUS");
	return c ? c : "../shared/corpus";
}

/* tests/data of the source tree (ctest passes W2C_DATA; the build's path otherwise). */
static const char *data_dir(void)
{
	const char *c = getenv("W2C_DATA");
	return c ? c : W2C_TEST_DATA;
}

/* A shipped INF: part of the repository, so a missing one fails the test. */
static w2c_inf *load(const char *rel)
{
	char *path = w2c_asprintf("%s/inf/%s", data_dir(), rel), *data;
	size_t len;
	w2c_error err;
	w2c_inf *inf = NULL;
	if (w2c_read_file(path, 1 << 24, &data, &len, &err))
		fail_msg("%s", err.message);
	if (w2c_inf_parse(data, len, path, &inf, &err))
		fail_msg("%s", err.message);
	free(data);
	free(path);
	return inf;
}

static bool always(void *u, const char *rel)
{
	(void)u, (void)rel;
	return true;
}

static int count_parsed(const char *dir, int *bad)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char *p = w2c_asprintf("%s/%s", dir, e->d_name), *data;
		struct stat st;
		size_t len;
		w2c_error err;
		w2c_inf *inf;
		w2c_driver_package *pkg;
		if (!stat(p, &st) && S_ISDIR(st.st_mode)) {
			n += count_parsed(p, bad);
		} else if (!w2c_read_file(p, 1 << 24, &data, &len, &err)) {
			if (w2c_inf_parse(data, len, p, &inf, &err)) {
				print_error("%s\n", err.message);
				(*bad)++;
			} else {
				assert_int_equal(w2c_driver_package_from_inf(inf, NULL, NULL, &pkg, &err), W2C_OK);
				w2c_driver_package_free(pkg);
				w2c_inf_free(inf);
				n++;
			}
			free(data);
		}
		free(p);
	}
	if (d)
		closedir(d);
	return n;
}

/* Every shipped INF parses; with the corpus present, every one of its INFs too. */
static void test_corpus_all_parse(void **state)
{
	(void)state;
	char *dir = w2c_asprintf("%s/inf", data_dir());
	int bad = 0;
	int n = count_parsed(dir, &bad);
	free(dir);
	assert_int_equal(bad, 0);
	assert_int_equal(n, 31); /* tests/data/MANIFEST.md: 31 INF/INX files */
	dir = w2c_asprintf("%s/inf", corpus());
	struct stat st;
	if (stat(dir, &st)) {
		printf("corpus sweep not run: no %s (the 31 shipped INFs above did run)\n", dir);
		free(dir);
		return;
	}
	n = count_parsed(dir, &bad);
	free(dir);
	assert_int_equal(bad, 0);
	assert_int_equal(n, 238); /* corpus MANIFEST.md: 238 INF/INX files */
}

/* virtio-win Win8/amd64/viostor.inf, read by hand. */
static void test_viostor_facts(void **state)
{
	(void)state;
	w2c_inf *inf = load("virtio-win-old-drivers/Win8/amd64/viostor.inf");
	w2c_driver_package *p;
	w2c_error err;
	assert_int_equal(inf->encoding, W2C_INF_ASCII);
	assert_int_equal(w2c_driver_package_from_inf(inf, always, NULL, &p, &err), W2C_OK);
	assert_null(p->broken);
	assert_string_equal(p->signature, "$Windows NT$");
	assert_string_equal(p->class_name, "SCSIAdapter");
	assert_string_equal(p->class_guid, "{4D36E97B-E325-11CE-BFC1-08002BE10318}");
	assert_string_equal(p->provider, "Red Hat, Inc.");
	assert_string_equal(p->driver_date, "07/21/2023");
	assert_string_equal(p->driver_version, "62.93.104.24000");
	assert_int_equal(p->n_models, 1);
	assert_string_equal(p->models[0].manufacturer, "Red Hat, Inc.");
	assert_string_equal(p->models[0].section, "VioStor.NTamd64.6.2");
	assert_string_equal(p->models[0].decoration.arch, "amd64");
	assert_int_equal(p->models[0].decoration.major, 6);
	assert_int_equal(p->models[0].decoration.minor, 2);
	assert_false(p->models[0].decoration.has_build);
	assert_int_equal(p->models[0].n_models, 2);
	assert_string_equal(p->models[0].models[0].description, "Red Hat VirtIO SCSI controller");
	assert_string_equal(p->models[0].models[0].hardware_ids[0], "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00");
	assert_string_equal(p->models[0].models[0].hardware_ids[1], "PCI\\VEN_1AF4&DEV_1001");
	assert_string_equal(p->models[0].models[1].hardware_ids[0], "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01");
	assert_int_equal(p->n_ddinstall, 1);
	assert_string_equal(p->ddinstall[0], "scsi_inst");
	assert_int_equal(p->n_services, 1);
	assert_string_equal(p->services[0].name, "viostor");
	assert_int_equal(p->services[0].flags, 2);
	assert_string_equal(p->services[0].install_section, "scsi_Service_Inst");
	assert_int_equal(p->services[0].service_type, 1);
	assert_int_equal(p->services[0].start_type, 0);
	assert_int_equal(p->services[0].error_control, 1);
	assert_string_equal(p->services[0].load_order_group, "SCSI miniport");
	assert_string_equal(p->services[0].service_binary, "%12%\\viostor.sys");
	assert_int_equal(p->n_files, 2);
	assert_string_equal(p->files[0].name, "viostor.cat");
	assert_true(p->files[0].catalog);
	assert_string_equal(p->files[1].name, "viostor.sys");
	/* %% escape inside a quoted AddReg value */
	const w2c_inf_section *s = w2c_inf_find(inf, "scsi_eventlog_addreg");
	assert_non_null(s);
	assert_string_equal(s->lines[0].values[4], "%SystemRoot%\\System32\\IoLogMsg.dll");
	w2c_target_os s2019 = { "amd64", 10, 0, 17763, 3 }, x86 = { "x86", 10, 0, 17763, 3 };
	w2c_target_os w7 = { "amd64", 6, 1, 7601, 1 };
	assert_int_equal(w2c_driver_package_accepts(p, &s2019, NULL), W2C_MATCH_OK);
	assert_int_equal(w2c_driver_package_accepts(p, &x86, NULL), W2C_MATCH_ARCH);
	assert_int_equal(w2c_driver_package_accepts(p, &w7, NULL), W2C_MATCH_VERSION);
	w2c_driver_package_free(p);
	w2c_inf_free(inf);
}

/* Win7 viorng.inf: two CopyFiles in one section, a continued AddReg line, Wdf coinstallers. */
static void test_viorng_facts(void **state)
{
	(void)state;
	w2c_inf *inf = load("virtio-win-old-drivers/Win7/amd64/viorng.inf");
	w2c_driver_package *p;
	w2c_error err;
	assert_int_equal(w2c_driver_package_from_inf(inf, always, NULL, &p, &err), W2C_OK);
	assert_string_equal(p->class_name, "System");
	assert_string_equal(p->ddinstall[0], "VirtRng_Device.NT");
	assert_int_equal(p->services[0].start_type, 3);
	assert_string_equal(p->services[0].name, "VirtRng");
	assert_string_equal(p->services[0].load_order_group, "Extended Base");
	bool um = false, sys = false;
	for (size_t i = 0; i < p->n_files; i++) {
		um |= !strcmp(p->files[i].name, "viorngum.dll");
		sys |= !strcmp(p->files[i].name, "viorng.sys");
	}
	assert_true(um && sys);
	const w2c_inf_section *s = w2c_inf_find(inf, "VirtRng_Wdf_CoInstaller_AddReg");
	assert_non_null(s);
	assert_int_equal(s->n_lines, 1);
	assert_int_equal(s->lines[0].n_values, 6);
	assert_string_equal(s->lines[0].values[4], "viorngci.dll,VirtRngCoInstaller");
	assert_string_equal(s->lines[0].values[5], "WdfCoInstaller01009.dll,WdfCoInstaller");
	w2c_driver_package_free(p);
	w2c_inf_free(inf);
}

/* UTF-16LE with BOM (imx-iotcore) and localized strings (ReactOS machine.inf). */
static void test_utf16_and_localized(void **state)
{
	(void)state;
	w2c_inf *inf = load("imx-iotcore/driver/i2c/imxi2c/imxi2c.inf");
	assert_int_equal(inf->encoding, W2C_INF_UTF16LE);
	assert_string_equal(w2c_inf_value(inf, "version", "CLASS"), "System");
	assert_string_equal(w2c_inf_value(inf, "Version", "Provider"), "IoT");
	assert_string_equal(w2c_inf_value(inf, "Version", "CatalogFile"), "imxi2c.cat");
	assert_string_equal(w2c_inf_value(inf, "imxi2c_Service_Inst", "StartType"), "3");
	assert_string_equal(w2c_inf_value(inf, "imxi2c_Service_Inst", "ServiceBinary"), "%13%\\imxi2c.sys");
	const w2c_inf_line *l = w2c_inf_key(w2c_inf_find(inf, "imx_i2c_Device.NT.Services"), "AddService");
	assert_non_null(l);
	assert_string_equal(l->values[1], "0x00000002");
	w2c_inf_free(inf);

	inf = load("reactos/media/inf/machine.inf");
	assert_non_null(inf);
	assert_int_equal(inf->encoding, W2C_INF_UTF8);
	assert_string_equal(w2c_inf_value(inf, "Version", "Provider"), "ReactOS Project");
	/* [Strings] wins over [Strings.0407] */
	const w2c_inf_section *m = w2c_inf_find(inf, "Manufacturer");
	assert_string_equal(m->lines[0].key, "(Generic system devices)");
	w2c_inf_free(inf);
}

static void expect_parse_error(const void *data, size_t len, const char *want)
{
	w2c_inf *inf = NULL;
	w2c_error err;
	assert_int_equal(w2c_inf_parse(data, len, "bad.inf", &inf, &err), W2C_ERR_INVALID_INPUT);
	assert_null(inf);
	if (!strstr(err.message, want))
		fail_msg("'%s' does not contain '%s'", err.message, want);
}

static void test_bad_inputs(void **state)
{
	(void)state;
	static const char u16[] = "[\0V\0e\0r\0s\0i\0o\0n\0]\0\n\0";
	expect_parse_error(u16, sizeof u16 - 1, "bad.inf:1: NUL byte");
	expect_parse_error("\xff\xfe[\0V\0", 7, "bad.inf:1: truncated UTF-16");
	expect_parse_error("[Version]\nClass=System\n\n[Manufac", 32, "bad.inf:4: section name without closing");
	expect_parse_error("; only a comment\n", 17, "no [section]");
	expect_parse_error("\xfe\xff\0[", 4, "big-endian");
	/* a file cut before [Strings]: the package is broken, naming the line */
	const char *cut = "[Version]\r\nSignature=\"$Windows NT$\"\r\nClass=System\r\nProvider=%VENDOR%\r\n"
			  "CatalogFile=x.cat\r\n[Manufacturer]\r\n%VENDOR%=M,NTamd64\r\n";
	w2c_inf *inf;
	w2c_driver_package *p;
	w2c_error err;
	assert_int_equal(w2c_inf_parse(cut, strlen(cut), "cut.inf", &inf, &err), W2C_OK);
	assert_int_equal(w2c_driver_package_from_inf(inf, always, NULL, &p, &err), W2C_OK);
	assert_non_null(p->broken);
	assert_string_equal(p->broken, "cut.inf:4: Provider uses %VENDOR%, which [Strings] does not define (truncated file?)");
	w2c_driver_package_free(p);
	w2c_inf_free(inf);
}

static bool no_sys(void *u, const char *rel)
{
	(void)u;
	return !w2c_str_endswith_ci(rel, ".sys");
}

static void test_missing_file(void **state)
{
	(void)state;
	w2c_inf *inf = load("virtio-win-old-drivers/Win8/amd64/viostor.inf");
	w2c_driver_package *p;
	w2c_error err;
	assert_int_equal(w2c_driver_package_from_inf(inf, no_sys, NULL, &p, &err), W2C_OK);
	assert_non_null(p->broken);
	assert_non_null(strstr(p->broken, "viostor.inf:61: file 'viostor.sys' is missing from the package"));
	w2c_driver_package_free(p);
	w2c_inf_free(inf);
}

static void test_decorations(void **state)
{
	(void)state;
	w2c_inf_decoration d;
	w2c_error err;
	assert_int_equal(w2c_inf_decoration_parse("NTamd64.10.0...22000", &d, &err), W2C_OK);
	assert_string_equal(d.arch, "amd64");
	assert_int_equal(d.major, 10);
	assert_false(d.has_product_type);
	assert_int_equal(d.build, 22000);
	w2c_target_os s2019 = { "amd64", 10, 0, 17763, 3 }, w11 = { "amd64", 10, 0, 22631, 1 };
	assert_int_equal(w2c_inf_decoration_accepts(&d, &s2019), W2C_MATCH_BUILD);
	assert_int_equal(w2c_inf_decoration_accepts(&d, &w11), W2C_MATCH_OK);
	assert_int_equal(w2c_inf_decoration_parse("NTx86.6.3", &d, &err), W2C_OK);
	assert_int_equal(w2c_inf_decoration_accepts(&d, &s2019), W2C_MATCH_ARCH);
	assert_int_equal(w2c_inf_decoration_parse("NTAMD64.10.0.3", &d, &err), W2C_OK);
	assert_int_equal(w2c_inf_decoration_accepts(&d, &s2019), W2C_MATCH_OK);
	assert_int_equal(w2c_inf_decoration_accepts(&d, &w11), W2C_MATCH_PRODUCT);
	assert_int_equal(w2c_inf_decoration_parse("NTarm64", &d, &err), W2C_OK);
	assert_string_equal(d.arch, "arm64");
	assert_int_equal(w2c_inf_decoration_parse("NT$ARCH$", &d, &err), W2C_ERR_INVALID_INPUT);
	assert_int_equal(w2c_inf_decoration_parse("Win10", &d, &err), W2C_ERR_INVALID_INPUT);
}

/* ---- selection on a virtio-win tree made from the shipped virtio-win INFs ---- */

static w2c_driver_catalog *vw_catalog(char *dir)
{
	char *cmd = w2c_asprintf("bash %s/../fixtures/mkvirtio.sh %s >/dev/null", data_dir(), dir);
	int rc = system(cmd);
	if (rc)
		fail_msg("%s: exit %d", cmd, rc);
	free(cmd);
	w2c_driver_source *s;
	w2c_error err;
	w2c_driver_catalog *c = w2c_driver_catalog_new();
	assert_int_equal(w2c_driver_source_open(dir, NULL, &s, &err), W2C_OK);
	assert_int_equal(w2c_driver_catalog_add(c, s, &err), W2C_OK);
	return c;
}

static const w2c_driver_choice *cell(const w2c_edition_selection *s, const char *driver)
{
	for (size_t i = 0; i < s->n_choices; i++)
		if (!strcmp(s->choices[i].driver, driver))
			return &s->choices[i];
	fail_msg("no cell for %s", driver);
	return NULL;
}

static void test_selection(void **state)
{
	(void)state;
	char dir[] = "/tmp/w2c-vw-XXXXXX";
	assert_non_null(mkdtemp(dir));
	w2c_driver_catalog *c = vw_catalog(dir);
	w2c_edition eds[] = {
		{ .index = 1, .name = "Server 2019", .arch = "amd64", .installation_type = "Server", .major = 10, .build = 17763 },
		{ .index = 2, .name = "Server 2022", .arch = "amd64", .installation_type = "Server", .major = 10, .build = 20348 },
		{ .index = 3, .name = "Windows 10", .arch = "amd64", .installation_type = "Client", .major = 10, .build = 19045 },
		{ .index = 4, .name = "Windows 11", .arch = "amd64", .installation_type = "Client", .major = 10, .build = 22631 },
		{ .index = 5, .name = "Windows 10 x86", .arch = "x86", .installation_type = "Client", .major = 10, .build = 19045 },
		{ .index = 6, .name = "Server 2012 R2", .arch = "amd64", .product_type = "ServerNT", .major = 6, .minor = 3, .build = 9600 },
		{ .index = 7, .name = "Server 1809 SAC", .arch = "amd64", .installation_type = "Server Core", .major = 10, .build = 18362 },
	};
	const char *want[] = { "viostor", "vioscsi", "NetKVM", "viorng", "vioinput", "pvpanic", "sriov", NULL };
	w2c_select_options o = { .wanted = want };
	w2c_edition_selection s[7];
	w2c_error err;
	for (int i = 0; i < 7; i++)
		assert_int_equal(w2c_driver_select(c, &eds[i], &o, &s[i], &err), W2C_OK);

	assert_string_equal(cell(&s[0], "viostor")->entries[0]->dir, "viostor/2k19/amd64");
	assert_int_equal(cell(&s[0], "viorng")->reason, W2C_SEL_ARCH_MISMATCH);
	assert_int_equal(cell(&s[0], "vioinput")->reason, W2C_SEL_DECORATION); /* ...22000 vs 17763 */
	assert_int_equal(cell(&s[0], "pvpanic")->n_entries, 2); /* pvpanic.inf + pvpanic-pci.inf */
	assert_string_equal(cell(&s[0], "pvpanic")->entries[0]->inf, "pvpanic/2k19/amd64/pvpanic.inf");
	assert_int_equal(cell(&s[0], "sriov")->reason, W2C_SEL_NO_FOLDER); /* excluded at scan */
	assert_false(s[0].missing_boot_critical);
	assert_string_equal(cell(&s[1], "vioscsi")->entries[0]->dir, "vioscsi/2k22/amd64");
	assert_string_equal(cell(&s[1], "vioinput")->entries[0]->dir, "vioinput/2k22/amd64");
	assert_string_equal(cell(&s[2], "NetKVM")->entries[0]->dir, "NetKVM/w10/amd64");
	assert_string_equal(cell(&s[3], "viostor")->entries[0]->dir, "viostor/w11/amd64");
	assert_string_equal(cell(&s[3], "viostor")->detail, "VioStor.NTamd64.10.0...22000");
	assert_string_equal(cell(&s[3], "viostor")->entries[0]->pkg->driver_version, "100.100.104.26200");
	/* x86 Windows 10: the by-driver x86 folder; NetKVM exists only as amd64 */
	assert_string_equal(cell(&s[4], "viostor")->entries[0]->dir, "viostor/w10/x86");
	assert_int_equal(cell(&s[4], "NetKVM")->reason, W2C_SEL_ARCH_MISMATCH);
	assert_false(s[4].missing_boot_critical);
	/* 2k12R2 has no folder in the tree: boot-critical missing */
	assert_string_equal(s[5].folders.folders[0], "2k12R2");
	assert_int_equal(cell(&s[5], "viostor")->reason, W2C_SEL_NO_FOLDER);
	assert_true(s[5].missing_boot_critical);
	/* SAC server build between LTSC releases -> newest LTSC folder at or below */
	assert_string_equal(s[6].folders.folders[0], "2k19");
	for (int i = 0; i < 7; i++)
		w2c_edition_selection_clear(&s[i]);

	/* the deny-list is data: deny viostor 100.94.* on 2k19 */
	const w2c_driver_deny deny[] = { { "viostor", "100.94.*", "2k19", "test" }, { NULL, NULL, NULL, NULL } };
	o.deny = deny;
	assert_int_equal(w2c_driver_select(c, &eds[0], &o, &s[0], &err), W2C_OK);
	const w2c_driver_choice *v = cell(&s[0], "viostor");
	assert_int_equal(v->reason, W2C_SEL_DENIED); /* the amd64/2k19 shortcut copy too */
	assert_non_null(strstr(v->detail, ": test"));
	w2c_edition_selection_clear(&s[0]);
	w2c_driver_catalog_free(c);
	char *rm = w2c_asprintf("rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

static void test_os_table(void **state)
{
	(void)state;
	struct { const char *it; unsigned major, minor, build; const char *want; } rows[] = {
		{ "Server", 10, 0, 14393, "2k16" }, { "Server", 10, 0, 17763, "2k19" },
		{ "Server", 10, 0, 20348, "2k22" }, { "Server", 10, 0, 26100, "2k25" },
		{ "Client", 10, 0, 19045, "w10" }, { "Client", 10, 0, 22000, "w11" },
		{ "Client", 10, 0, 26100, "w11" }, { "Client", 6, 3, 9600, "w8.1" },
		{ "Server", 6, 1, 7601, "2k8R2" }, { "Server", 6, 2, 9200, "2k12" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		w2c_edition e = { .arch = "amd64", .installation_type = (char *)rows[i].it,
				  .major = rows[i].major, .minor = rows[i].minor, .build = rows[i].build };
		w2c_os_folders f;
		w2c_error err;
		assert_int_equal(w2c_os_folders_for(&e, &f, &err), W2C_OK);
		assert_string_equal(f.folders[0], rows[i].want);
	}
	w2c_edition bad = { .arch = "ia64", .major = 10 };
	w2c_os_folders f;
	w2c_error err;
	assert_int_equal(w2c_os_folders_for(&bad, &f, &err), W2C_ERR_UNSUPPORTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_all_parse),
		cmocka_unit_test(test_viostor_facts),
		cmocka_unit_test(test_viorng_facts),
		cmocka_unit_test(test_utf16_and_localized),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_decorations),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_os_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
