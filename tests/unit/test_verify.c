/* Unit tests: El Torito geometry rules, FAT detection (against mkfs.fat's own
 * images), the sha256sum line parser, and split-WIM detection used by verify. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "inject/verify/verify_int.h"
#include "inject/media/media_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static w2c_boot_entry bios_entry(void)
{
	w2c_boot_entry e = { .platform_id = 0, .bootable = true, .media_type = 0, .load_segment = 0,
			     .sector_count = 8, .lba = 30, .image_path = "/boot/etfsboot.com" };
	return e;
}

static w2c_boot_entry uefi_entry(void)
{
	w2c_boot_entry e = { .platform_id = 0xEF, .bootable = true, .media_type = 0, .sector_count = 1,
			     .lba = 40, .image_path = "/efi/microsoft/boot/efisys.bin" };
	return e;
}

/* The report's findings, each expected to name @field. */
static void expect_findings(w2c_verify_report *r, size_t n, const char *field, const char *text)
{
	assert_int_equal(r->n_findings, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(r->findings[i].check, W2C_VERIFY_CATALOG);
		if (field)
			assert_string_equal(r->findings[i].field, field);
		if (text)
			assert_non_null(strstr(r->findings[i].message, text));
	}
	w2c_verify_report_clear(r);
}

static void test_geometry_microsoft(void **state)
{
	w2c_boot_entry e[2] = { bios_entry(), uefi_entry() };
	w2c_verify_report r = { 0 };
	(void)state;

	w2c_verify_catalog_geometry("out.iso", e, 2, 3, &r);
	expect_findings(&r, 0, NULL, NULL);
	/* the noprompt image is Microsoft's too; names compare case-insensitively */
	e[1].image_path = "/EFI/Microsoft/Boot/efisys_noprompt.bin";
	w2c_verify_catalog_geometry("out.iso", e, 2, 3, &r);
	expect_findings(&r, 0, NULL, NULL);
}

static void test_geometry_wrong_fields(void **state)
{
	w2c_boot_entry e[2] = { bios_entry(), uefi_entry() };
	w2c_verify_report r = { 0 };
	(void)state;

	e[0].sector_count = 4; /* loads half of etfsboot.com: fails only at boot */
	w2c_verify_catalog_geometry("out.iso", e, 2, 3, &r);
	expect_findings(&r, 1, "sector_count", "entry 1 (BIOS): sector_count is 4, expected 8");

	e[0] = bios_entry();
	e[1].sector_count = 4; /* OVMF does not boot this */
	w2c_verify_catalog_geometry("out.iso", e, 2, 3, &r);
	expect_findings(&r, 1, "sector_count", "entry 2 (UEFI): sector_count is 4, expected 1");

	e[1] = uefi_entry();
	e[0].load_segment = 0x7C0;
	e[0].media_type = 2;
	e[1].bootable = false;
	w2c_verify_catalog_geometry("out.iso", e, 2, 3, &r);
	assert_int_equal(r.n_findings, 3);
	assert_string_equal(r.findings[0].field, "media_type");
	assert_string_equal(r.findings[1].field, "load_segment");
	assert_string_equal(r.findings[2].field, "boot_indicator");
	w2c_verify_report_clear(&r);

	e[0] = bios_entry();
	e[1] = uefi_entry();
	e[0].image_path = "/boot/other.com";
	e[1].image_path = NULL;
	w2c_verify_catalog_geometry("out.iso", e, 2, 3, &r);
	assert_int_equal(r.n_findings, 2);
	assert_non_null(strstr(r.findings[0].message, "image is /boot/other.com, expected boot/etfsboot.com"));
	assert_non_null(strstr(r.findings[1].message, "image is no file of the tree"));
	w2c_verify_report_clear(&r);
}

static void test_geometry_platforms(void **state)
{
	w2c_boot_entry e[2] = { uefi_entry(), bios_entry() };
	w2c_verify_report r = { 0 };
	(void)state;

	/* a UEFI-only source (ARM64, Red Hat's rebuilds) rebuilt as it was */
	w2c_verify_catalog_geometry("out.iso", e, 1, 2, &r);
	expect_findings(&r, 0, NULL, NULL);
	/* Microsoft's x64 media have both: a missing BIOS entry is a finding */
	w2c_verify_catalog_geometry("out.iso", e, 1, 3, &r);
	expect_findings(&r, 1, "platform", "no BIOS entry (platform 0x00)");
	/* other platforms are noted, not judged */
	e[1].platform_id = 2;
	w2c_verify_catalog_geometry("out.iso", e, 2, 2, &r);
	assert_int_equal(r.n_findings, 0);
	assert_int_equal(r.n_notes, 1);
	assert_non_null(strstr(r.notes[0], "platform 0x02 (Mac)"));
	w2c_verify_report_clear(&r);
}

/* A FAT12 floppy BPB as mkfs.fat -C 1440 writes it. */
static void fat12_floppy(uint8_t *b)
{
	memset(b, 0, 512);
	b[0] = 0xEB, b[1] = 0x3C, b[2] = 0x90;
	memcpy(b + 3, "mkfs.fat", 8);
	b[11] = 0x00, b[12] = 0x02;      /* 512 bytes per sector */
	b[13] = 1;                       /* sectors per cluster */
	b[14] = 1;                       /* reserved */
	b[16] = 2;                       /* FATs */
	b[17] = 224;                     /* root entries */
	b[19] = 0x40, b[20] = 0x0B;      /* 2880 sectors */
	b[21] = 0xF0;
	b[22] = 9;                       /* sectors per FAT */
	b[510] = 0x55, b[511] = 0xAA;
}

static void test_fat_probe_fields(void **state)
{
	uint8_t b[512];
	w2c_fat_info fi;
	w2c_error err;
	(void)state;

	fat12_floppy(b);
	assert_int_equal(w2c_fat_probe(b, sizeof b, "efisys.bin", &fi, &err), W2C_OK);
	assert_int_equal(fi.fat_bits, 12);
	assert_int_equal(fi.size, 1474560);
	assert_int_equal(fi.clusters, 2847);

	struct { size_t off; uint8_t v; const char *want; } bad[] = {
		{ 510, 0x00, "boot sector signature (offset 510) 0x00aa, expected 0x55AA" },
		{ 0, 0x4D, "jump instruction (offset 0) 0x4d" },
		{ 12, 0x03, "bytes per sector (offset 11) 768" },
		{ 13, 3, "sectors per cluster (offset 13) 3" },
		{ 14, 0, "reserved sectors (offset 14) 0" },
		{ 16, 0, "number of FATs (offset 16) 0" },
		{ 21, 0x12, "media descriptor (offset 21) 0x12" },
		{ 22, 0, "sectors per FAT (offsets 22/36) 0" },
		{ 17, 0, "root directory entries (offset 17) 0, expected non-zero on FAT12/16" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fat12_floppy(b);
		b[bad[i].off] = bad[i].v;
		assert_int_equal(w2c_fat_probe(b, sizeof b, "efisys.bin", &fi, &err), W2C_ERR_INVALID_INPUT);
		assert_non_null(strstr(err.message, "efisys.bin: not a FAT image"));
		if (!strstr(err.message, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message, bad[i].want);
	}
	fat12_floppy(b);
	b[19] = 20, b[20] = 0; /* fewer sectors than the FATs need */
	assert_int_equal(w2c_fat_probe(b, sizeof b, "x", &fi, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "fewer than the total sectors"));
	assert_int_equal(w2c_fat_probe(b, 100, "x", &fi, &err), W2C_ERR_INVALID_INPUT);
	/* text is no FAT image */
	memset(b, 'A', sizeof b);
	assert_int_equal(w2c_fat_probe(b, sizeof b, "x", &fi, &err), W2C_ERR_INVALID_INPUT);
}

/* mkfs.fat is the reference: its FAT12/16/32 images must all be recognised. */
static void test_fat_probe_mkfs(void **state)
{
	static const struct { const char *opt; unsigned kib, bits; } cases[] = {
		{ "-F 12", 1440, 12 }, { "-F 16", 32768, 16 }, { "-F 32", 66000, 32 },
	};
	char path[] = "/tmp/w2c-fat-XXXXXX";
	(void)state;

	if (system("command -v mkfs.fat >/dev/null 2>&1") != 0)
		skip();
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < 3; i++) {
		char cmd[256];
		uint8_t b[512];
		w2c_fat_info fi;
		w2c_error err;
		unlink(path);
		snprintf(cmd, sizeof cmd, "mkfs.fat -C %s %s %u >/dev/null 2>&1", cases[i].opt, path,
			 cases[i].kib);
		assert_int_equal(system(cmd), 0);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fread(b, 1, sizeof b, f), sizeof b);
		fclose(f);
		assert_int_equal(w2c_fat_probe(b, sizeof b, path, &fi, &err), W2C_OK);
		assert_int_equal(fi.fat_bits, cases[i].bits);
		assert_int_equal(fi.size, (uint64_t)cases[i].kib * 1024);
	}
	unlink(path);
}

static void test_sha256sum_parse(void **state)
{
	const char *d = "05fc4c3135ae58bed2d89c9eea6867b3988b886fb473dd3a51af633e7d413f68";
	char hex[65], *name, line[256];
	w2c_error err;
	(void)state;

	snprintf(line, sizeof line, "%s  out.iso\n", d);
	assert_int_equal(w2c_sha256sum_parse(line, strlen(line), "s", hex, &name, &err), W2C_OK);
	assert_string_equal(hex, d);
	assert_string_equal(name, "out.iso");
	free(name);
	/* binary-mode marker, CRLF, upper-case digits */
	snprintf(line, sizeof line, "05FC4C3135AE58BED2D89C9EEA6867B3988B886FB473DD3A51AF633E7D413F68 *my image.iso\r\n");
	assert_int_equal(w2c_sha256sum_parse(line, strlen(line), "s", hex, &name, &err), W2C_OK);
	assert_string_equal(hex, d);
	assert_string_equal(name, "my image.iso");
	free(name);
	/* sha256sum escapes names with a backslash or newline */
	snprintf(line, sizeof line, "\\%s  a\\\\b\\nc.iso\n", d);
	assert_int_equal(w2c_sha256sum_parse(line, strlen(line), "s", hex, &name, &err), W2C_OK);
	assert_string_equal(name, "a\\b\nc.iso");
	free(name);

	snprintf(line, sizeof line, "%.63sg  out.iso\n", d);
	assert_int_equal(w2c_sha256sum_parse(line, strlen(line), "out.iso.sha256", hex, &name, &err),
			 W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "out.iso.sha256:1:64: expected 64 hex digits"));
	assert_null(name);
	snprintf(line, sizeof line, "%s out.iso\n", d);
	assert_int_equal(w2c_sha256sum_parse(line, strlen(line), "s", hex, &name, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, ":1:65: expected two spaces"));
	snprintf(line, sizeof line, "%s  \n", d);
	assert_int_equal(w2c_sha256sum_parse(line, strlen(line), "s", hex, &name, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "expected a file name"));
	assert_int_equal(w2c_sha256sum_parse("", 0, "s", hex, &name, &err), W2C_ERR_INVALID_INPUT);
}

/* A WIM header: GUID byte @g, part @part of @total, @images images. */
static void wim_header(uint8_t *b, uint8_t g, unsigned part, unsigned total, unsigned images)
{
	memset(b, 0, 0x30);
	memcpy(b, "MSWIM\0\0\0", 8);
	b[8] = 208;
	memset(b + 0x18, g, 16);
	b[0x28] = (uint8_t)part, b[0x2A] = (uint8_t)total, b[0x2C] = (uint8_t)images;
}

struct split_fx {
	char big[64];        /* sparse 5 GiB "install.wim": a header, then holes */
	w2c_media *out;
	w2c_node *src;
};

static void split_setup(struct split_fx *f, unsigned parts, uint8_t guid2, unsigned images2)
{
	uint8_t h[0x30];
	w2c_error err;
	strcpy(f->big, "/tmp/w2c-bigwim-XXXXXX");
	int fd = mkstemp(f->big);
	assert_true(fd >= 0);
	wim_header(h, 0xAA, 1, 1, 4);
	assert_int_equal(write(fd, h, sizeof h), (ssize_t)sizeof h);
	assert_int_equal(ftruncate(fd, 5ll << 30), 0);
	close(fd);
	f->src = w2c_node_new("", true);
	assert_int_equal(w2c_tree_put_local(f->src, "/sources/install.wim", f->big, &err), W2C_OK);
	f->out = calloc(1, sizeof *f->out);
	f->out->fd = -1;
	f->out->path = strdup("out.iso");
	f->out->root = w2c_node_new("", true);
	for (unsigned k = 1; k <= parts; k++) {
		char p[64];
		snprintf(p, sizeof p, k == 1 ? "/sources/install.swm" : "/sources/install%u.swm", k);
		wim_header(h, k == 2 ? guid2 : 0x55, k, 2, k == 1 ? images2 : 4);
		assert_int_equal(w2c_tree_put_memory(f->out->root, p, h, sizeof h, &err), W2C_OK);
	}
}

static void split_run(struct split_fx *f, w2c_verify_report *r, vctx *c)
{
	static w2c_verify_options o = { .against = "src.iso" };
	w2c_error err;
	memset(c, 0, sizeof *c);
	memset(r, 0, sizeof *r);
	c->iso = "out.iso", c->o = &o, c->r = r, c->out = f->out, c->src_root = f->src;
	assert_int_equal(w2c_vr_allow_split(c, &err), W2C_OK);
}

static void split_teardown(struct split_fx *f, w2c_verify_report *r, vctx *c)
{
	for (size_t i = 0; i < c->n_allow; i++)
		free(c->allow[i].prefix);
	free(c->allow);
	w2c_verify_report_clear(r);
	w2c_media_free(f->out);
	w2c_node_free(f->src);
	unlink(f->big);
}

static void test_split_wim(void **state)
{
	struct split_fx f;
	w2c_verify_report r;
	vctx c;
	(void)state;

	/* a consistent set: the WIM and both parts are intended edits */
	split_setup(&f, 2, 0x55, 4);
	split_run(&f, &r, &c);
	assert_int_equal(r.n_findings, 0);
	assert_non_null(w2c_vr_allowed(&c, "/sources/install.wim"));
	assert_non_null(w2c_vr_allowed(&c, "/sources/install.swm"));
	assert_non_null(w2c_vr_allowed(&c, "/SOURCES/INSTALL2.SWM"));
	assert_null(w2c_vr_allowed(&c, "/sources/install3.swm"));
	assert_string_equal(w2c_vr_allowed(&c, "/sources/install.swm")->why, "split WIM (build --large-files split)");
	split_teardown(&f, &r, &c);

	struct { unsigned parts; uint8_t guid2; unsigned images; const char *want; } bad[] = {
		{ 1, 0x55, 4, "install2.swm is missing" },
		{ 2, 0x66, 4, "install2.swm: GUID or part count differs" },
		{ 2, 0x55, 3, "with 3 images, expected 1..999 parts with the 4 images" },
		{ 3, 0x55, 4, "install3.swm exists, but part 1 says 2 parts" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		split_setup(&f, bad[i].parts, bad[i].guid2, bad[i].images);
		split_run(&f, &r, &c);
		assert_int_equal(r.n_findings, 1);
		assert_string_equal(r.findings[0].field, "split");
		if (!strstr(r.findings[0].message, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, r.findings[0].message, bad[i].want);
		assert_null(w2c_vr_allowed(&c, "/sources/install.wim"));
		split_teardown(&f, &r, &c);
	}

	/* kept whole (multi-extent): nothing to allow */
	split_setup(&f, 2, 0x55, 4);
	w2c_error err;
	assert_int_equal(w2c_tree_put_memory(f.out->root, "/sources/install.wim", "x", 1, &err), W2C_OK);
	split_run(&f, &r, &c);
	assert_int_equal(r.n_findings, 0);
	assert_null(w2c_vr_allowed(&c, "/sources/install.wim"));
	split_teardown(&f, &r, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_geometry_microsoft),
		cmocka_unit_test(test_geometry_wrong_fields),
		cmocka_unit_test(test_geometry_platforms),
		cmocka_unit_test(test_fat_probe_fields),
		cmocka_unit_test(test_fat_probe_mkfs),
		cmocka_unit_test(test_sha256sum_parse),
		cmocka_unit_test(test_split_wim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
