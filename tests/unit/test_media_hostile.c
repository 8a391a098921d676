/* Unit tests for the hostile-media checks (issue 15): the UDF descriptor CRC,
 * the El Torito catalog's section count and entries, driver source links. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "inject/media/media_int.h"
#include "inject/drivers/inf_int.h"
#include "win2cloud/drivers.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_udf_crc(void **state)
{
	(void)state;
	/* CRC-ITU-T, initial value 0 (ECMA-167 3/7.2.6; the XMODEM check value) */
	assert_int_equal(w2c_udf_crc((const uint8_t *)"123456789", 9), 0x31C3);
	assert_int_equal(w2c_udf_crc((const uint8_t *)"", 0), 0);
}

/* A 24-sector image whose boot catalog at LBA 20 has a valid validation
 * entry, a default entry and one section header with @count entries. */
static int catalog_image(uint16_t count, uint8_t indicator)
{
	static uint8_t img[24 * W2C_SECTOR];
	uint8_t *c = img + 20 * W2C_SECTOR;
	uint16_t sum = 0;
	char path[] = "/tmp/w2c-eltorito-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	memset(img, 0, sizeof img);
	c[0] = 1, c[30] = 0x55, c[31] = 0xAA;
	for (int i = 0; i < 32; i += 2)
		sum = (uint16_t)(sum + w2c_le16(c + i));
	c[28] = (uint8_t)(-sum & 0xFF), c[29] = (uint8_t)((-sum >> 8) & 0xFF);
	c[32] = 0x88, c[32 + 6] = 4, c[32 + 8] = 22;       /* default: 4 sectors at LBA 22 */
	c[64] = 0x91, c[65] = 0xEF, c[66] = (uint8_t)count, c[67] = (uint8_t)(count >> 8);
	c[96] = indicator, c[96 + 6] = 1, c[96 + 8] = 23;  /* UEFI: LBA 23 */
	assert_int_equal(write(fd, img, sizeof img), (ssize_t)sizeof img);
	return fd;
}

static w2c_code read_catalog(uint16_t count, uint8_t indicator, size_t *n, w2c_error *err)
{
	w2c_media m = { .path = "cat.iso", .size = 24 * W2C_SECTOR, .boot_catalog_lba = 20 };
	m.fd = catalog_image(count, indicator);
	w2c_code rc = w2c_eltorito_read(&m, err);
	*n = m.n_boot;
	free(m.boot);
	close(m.fd);
	return rc;
}

static void test_eltorito_counts(void **state)
{
	w2c_error err;
	size_t n;
	(void)state;
	assert_int_equal(read_catalog(1, 0x88, &n, &err), W2C_OK);
	assert_int_equal(n, 2);
	assert_int_equal(read_catalog(0xFFFF, 0x88, &n, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "cat.iso: boot catalog at LBA 20, section header at "
				"offset 64: number of section entries (offset 66) is 65535, expected at "
				"most 61"));
	assert_int_equal(read_catalog(61, 0x88, &n, &err), W2C_OK); /* 61 fit; the zero ones are */
	assert_int_equal(n, 62);                                   /* valid non-bootable entries */
	assert_int_equal(read_catalog(1, 0x33, &n, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "entry at offset 96: boot indicator is 0x33"));
}

static char *mkdtemp_dir(void)
{
	char *d = strdup("/tmp/w2c-drvsrc-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void put(const char *dir, const char *rel, const char *text)
{
	char p[512];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int count_files(void *user, const char *rel, bool is_dir)
{
	(void)rel;
	if (!is_dir)
		(*(int *)user)++;
	return 0;
}

static void test_driver_links(void **state)
{
	char *d = mkdtemp_dir(), p[512], cmd[600];
	w2c_driver_source *s;
	w2c_error err;
	int files = 0;
	(void)state;
	snprintf(p, sizeof p, "%s/pkg", d);
	assert_int_equal(mkdir(p, 0755), 0);
	put(d, "pkg/a.inf", "[Version]\n");
	snprintf(p, sizeof p, "%s/pkg/up", d);
	assert_int_equal(symlink("..", p), 0); /* a loop: listed once */
	assert_int_equal(w2c_driver_source_open(d, NULL, &s, &err), W2C_OK);
	w2c_driver_source_walk(s, count_files, &files);
	assert_int_equal(files, 1);
	w2c_driver_source_free(s);
	snprintf(p, sizeof p, "%s/pkg/a.sys", d);
	assert_int_equal(symlink("/etc/passwd", p), 0); /* leaves the root: refused */
	assert_int_equal(w2c_driver_source_open(d, NULL, &s, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "'pkg/a.sys' is a symbolic link to /etc/passwd, outside"));
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udf_crc),
		cmocka_unit_test(test_eltorito_counts),
		cmocka_unit_test(test_driver_links),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
