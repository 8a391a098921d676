/*
 * w2c_inject() called directly, as a C program would, without the CLI: on the
 * fixture ISO (tests/fixtures/mkfixture.sh: Server 2019, Server 2022,
 * Windows 10, Windows 11, amd64) with a small virtio-win-layout tree of
 * storage INF packages written here (no corpus needed).  Asserts what was
 * placed per edition, the manifest on the medium and next to the output, the
 * answer file and its lint, the output ISO with its .sha256, and that a
 * missing boot-critical driver or contradictory options write nothing.
 * needs-fixture: winiso
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "common/util.h"
#include "win2cloud/inject.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A storage miniport INF as virtio-win ships them, cut to what selection and placement read. */
static const char inf_fmt[] =
	"[Version]\r\nSignature=\"$WINDOWS NT$\"\r\nClass=SCSIAdapter\r\n"
	"ClassGuid={4D36E97B-E325-11CE-BFC1-08002BE10318}\r\nProvider=%%VENDOR%%\r\n"
	"DriverVer=07/21/2024,100.1.0.%d\r\nCatalogFile=%s.cat\r\nPnpLockdown=1\r\n\r\n"
	"[DestinationDirs]\r\nDefaultDestDir = 12\r\n\r\n"
	"[SourceDisksNames]\r\n1 = %%DiskId1%%,,,\"\"\r\n\r\n"
	"[SourceDisksFiles]\r\n%s.sys = 1,,\r\n\r\n"
	"[Manufacturer]\r\n%%VENDOR%% = Models,NTamd64.10.0\r\n\r\n"
	"[Models.NTamd64.10.0]\r\n%%DevDesc%% = inst, PCI\\VEN_1AF4&DEV_%s&SUBSYS_00021AF4&REV_00\r\n\r\n"
	"[inst]\r\nCopyFiles = files\r\n\r\n[files]\r\n%s.sys\r\n\r\n"
	"[inst.Services]\r\nAddService = %s, 0x00000002, svc\r\n\r\n"
	"[svc]\r\nServiceType = 1\r\nStartType = 0\r\nErrorControl = 1\r\n"
	"ServiceBinary = %%12%%\\%s.sys\r\nLoadOrderGroup = SCSI miniport\r\n\r\n"
	"[Strings]\r\nVENDOR = \"Test Vendor\"\r\nDiskId1 = \"Test Disk\"\r\nDevDesc = \"Test storage\"\r\n";

static char work[] = "/tmp/w2c-inject-api-XXXXXX";
static char iso[4096];

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* DIR/<driver>/<os>/amd64/{driver.inf,.sys,.cat} for each OS folder in @oses. */
static void make_package(const char *dir, const char *driver, const char *dev, const char *const *oses)
{
	for (int i = 0; oses[i]; i++) {
		char *d = w2c_asprintf("%s/%s/%s/amd64", dir, driver, oses[i]);
		char *inf = w2c_asprintf(inf_fmt, i, driver, driver, dev, driver, driver, driver);
		char *p;
		w2c_error err;
		assert_int_equal(w2c_mkdirs(d, &err), W2C_OK);
		put(p = w2c_asprintf("%s/%s.inf", d, driver), inf), free(p);
		put(p = w2c_asprintf("%s/%s.sys", d, driver), "MZ placeholder driver\n"), free(p);
		put(p = w2c_asprintf("%s/%s.cat", d, driver), "placeholder catalog\n"), free(p);
		free(inf);
		free(d);
	}
}

static int setup(void **state)
{
	(void)state;
	const char *fx = getenv("W2C_FIXTURES");
	static const char *const all[] = { "2k19", "2k22", "w10", "w11", NULL };
	static const char *const only2k19[] = { "2k19", NULL };
	snprintf(iso, sizeof iso, "%s/win/win.iso", fx ? fx : "build/fixtures");
	if (access(iso, R_OK) || !mkdtemp(work)) {
		print_message("fixture %s missing: run ctest -R fixtures.windows_like first\n", iso);
		return 0;
	}
	char *full = w2c_asprintf("%s/full", work), *part = w2c_asprintf("%s/part", work);
	make_package(full, "viostor", "1001", all);
	make_package(full, "vioscsi", "1004", all);
	make_package(part, "viostor", "1001", only2k19);
	free(full);
	free(part);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (strcmp(work, "/tmp/w2c-inject-api-XXXXXX")) {
		char *cmd = w2c_asprintf("rm -rf '%s'", work);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	return 0;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;
	w2c_error err;
	if (w2c_read_file(path, 1 << 24, &data, &len, &err))
		fail_msg("%s", err.message);
	return data;
}

static const char *const wanted[] = { "viostor", "vioscsi", NULL };

/* The run a user gets from `inject ISO --drivers DIR -o OUT --unattend generate`. */
static void test_inject_media(void **state)
{
	(void)state;
	if (!strcmp(work, "/tmp/w2c-inject-api-XXXXXX"))
		skip();
	char *src = w2c_asprintf("%s/full", work), *out = w2c_asprintf("%s/out.iso", work);
	const char *srcs[] = { src };
	w2c_inject_options o = { .drivers = srcs, .n_drivers = 1, .wanted = wanted,
				 .unattend = W2C_INJECT_UNATTEND_GENERATE };
	w2c_inject_result res;
	w2c_error err;

	if (w2c_inject(iso, out, &o, &res, &err))
		fail_msg("w2c_inject: %s", err.message);
	assert_int_equal(res.n_selections, 4);
	assert_int_equal(res.missing, 0);
	assert_null(res.service);
	static const char *const folders[] = { "2k19", "2k22", "w10", "w11" };
	for (size_t i = 0; i < 4; i++) {
		const w2c_edition_selection *s = &res.selections[i];
		assert_int_equal(s->edition->index, i + 1);
		assert_int_equal(s->n_choices, 2);
		for (size_t k = 0; k < 2; k++) {
			assert_int_equal(s->choices[k].reason, W2C_SEL_CHOSEN);
			assert_string_equal(s->choices[k].folder, folders[i]);
			assert_string_equal(s->choices[k].driver, wanted[k]);
		}
	}
	/* manifest: on the medium and next to the output, the same text */
	assert_non_null(res.manifest);
	assert_non_null(strstr(res.manifest, "/$WinPEDriver$/viostor/2k19_amd64/viostor.inf"));
	assert_non_null(strstr(res.manifest, "/$WinPEDriver$/vioscsi/w11_amd64/vioscsi.sys"));
	char *side = w2c_asprintf("%s.drivers.json", out);
	assert_string_equal(res.manifest_path, side);
	char *text = slurp(side);
	assert_string_equal(text, res.manifest);
	free(text);
	/* answer file generated, clean on the new medium */
	assert_true(res.answer_file);
	assert_false(res.answer_replaced);
	assert_int_equal(res.lint.errors, 0);
	/* the ISO and its sidecar */
	assert_true(res.built);
	char *sum = w2c_asprintf("%s.sha256", out);
	text = slurp(sum);
	assert_memory_equal(text, res.build.sha256, 64);
	free(text);
	struct stat st;
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal((uint64_t)st.st_size, res.build.bytes);
	w2c_inject_result_free(&res);

	/* read back: the files placed and the answer file are on the written medium */
	w2c_media *m;
	if (w2c_media_open(out, NULL, &m, &err))
		fail_msg("%s", err.message);
	const w2c_node *inf = w2c_tree_lookup(w2c_media_root(m), "/$WinPEDriver$/vioscsi/2k22_amd64/vioscsi.inf");
	assert_non_null(inf);
	assert_non_null(w2c_tree_lookup(w2c_media_root(m), W2C_DRIVERS_MANIFEST));
	assert_non_null(w2c_tree_lookup(w2c_media_root(m), "/autounattend.xml"));
	w2c_media_free(m);
	free(sum);
	free(side);
	free(out);
	free(src);
}

/* One edition asked for by name, a driver folder for 2k19 only: the others are not needed. */
static void test_inject_edition_by_name(void **state)
{
	(void)state;
	if (!strcmp(work, "/tmp/w2c-inject-api-XXXXXX"))
		skip();
	char *src = w2c_asprintf("%s/part", work), *out = w2c_asprintf("%s/one.iso", work);
	const char *srcs[] = { src }, *eds[] = { "1" };
	const char *const only[] = { "viostor", NULL };
	w2c_inject_options o = { .drivers = srcs, .n_drivers = 1, .wanted = only, .editions = eds,
				 .n_editions = 1, .levels = W2C_INJECT_MEDIA };
	w2c_inject_result res;
	w2c_error err;

	if (w2c_inject(iso, out, &o, &res, &err))
		fail_msg("w2c_inject: %s", err.message);
	assert_int_equal(res.n_selections, 1);
	assert_int_equal(res.selections[0].edition->index, 1);
	assert_false(res.answer_file);
	assert_true(exists(out));
	w2c_inject_result_free(&res);
	free(out);
	free(src);
}

/* Editions lacking a boot-critical driver: W2C_ERR_VIOLATIONS, the selections say which,
 * and neither the ISO, its sidecar nor the manifest copy is written. */
static void test_inject_missing_writes_nothing(void **state)
{
	(void)state;
	if (!strcmp(work, "/tmp/w2c-inject-api-XXXXXX"))
		skip();
	char *src = w2c_asprintf("%s/part", work), *out = w2c_asprintf("%s/bad.iso", work);
	char *sum = w2c_asprintf("%s.sha256", out), *side = w2c_asprintf("%s.drivers.json", out);
	const char *srcs[] = { src };
	w2c_inject_options o = { .drivers = srcs, .n_drivers = 1, .wanted = wanted };
	w2c_inject_result res;
	w2c_error err;

	assert_int_equal(w2c_inject(iso, out, &o, &res, &err), W2C_ERR_VIOLATIONS);
	assert_non_null(strstr(err.message, "lacks a boot-critical driver"));
	assert_int_equal(res.n_selections, 4);
	assert_int_equal(res.missing, 4); /* vioscsi nowhere, viostor for 2k19 only */
	assert_int_equal(res.selections[0].choices[0].reason, W2C_SEL_CHOSEN);
	assert_int_equal(res.selections[0].choices[1].reason, W2C_SEL_NO_FOLDER);
	char text[1024];
	assert_int_equal(w2c_selection_missing_text(&res.selections[0], text, sizeof text), 1);
	assert_non_null(strstr(text, "edition 1 ("));
	assert_non_null(strstr(text, "boot-critical driver vioscsi: no-folder"));
	assert_int_equal(w2c_selection_missing_text(&res.selections[1], text, sizeof text), 2);
	assert_non_null(strchr(text, '\n'));
	assert_false(res.built);
	assert_false(exists(out) || exists(sum) || exists(side));
	w2c_inject_result_free(&res);

	/* an edition that matches nothing, and an answer file without the media level */
	const char *eds[] = { "Windows 95" };
	o.wanted = NULL, o.editions = eds, o.n_editions = 1;
	assert_int_equal(w2c_inject(iso, out, &o, &res, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "'Windows 95'"));
	w2c_inject_result_free(&res);
	o.editions = NULL, o.n_editions = 0, o.levels = W2C_INJECT_IMAGE, o.unattend = "generate";
	assert_int_equal(w2c_inject(iso, out, &o, &res, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "media level"));
	w2c_inject_result_free(&res);
	assert_false(exists(out) || exists(sum) || exists(side));
	free(side);
	free(sum);
	free(out);
	free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inject_media),
		cmocka_unit_test(test_inject_edition_by_name),
		cmocka_unit_test(test_inject_missing_writes_nothing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
