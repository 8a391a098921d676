/* Unit tests: register constraints (os_version lists, min_disk, IMS image_url), IMS job and
 * service error parsing, throttling detection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "win2cloud/register.h"
#include "win2cloud/api.h"
#include "register/images/image_service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_os_versions(void **state)
{
	w2c_os_version_list l;
	w2c_error err;
	(void)state;
	unsetenv("W2C_OS_VERSIONS_FILE");
	assert_int_equal(w2c_os_version_list_load(&l, NULL, &err), W2C_OK);
	assert_int_equal(l.count, 21); /* 15 API reference + 6 user guide */
	assert_int_equal(w2c_os_version_check(&l, "Windows Server 2019 Datacenter 64bit", &err), W2C_OK);
	assert_int_equal(w2c_os_version_check(&l, "Windows Server 2012 Essentials R2 64bit", &err), W2C_OK);
	assert_int_equal(w2c_os_version_check(&l, "Windows Server 2012 R2 Essentials 64bit", &err), W2C_OK);
	assert_int_equal(w2c_os_version_check(&l, "Windows Server 2022 datacenter 64bit", &err),
			 W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "did you mean 'Windows Server 2022 Datacenter 64bit'"));
	assert_int_equal(w2c_os_version_check(&l, "Windows 11 64bit", &err), W2C_ERR_INVALID_INPUT);
	w2c_os_version_list_free(&l);
}

static void test_os_version_override(void **state)
{
	char path[] = "/tmp/w2c-osv-XXXXXX";
	w2c_os_version_list l;
	w2c_error err;
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "# mine\n\nWindows 11 Pro 64bit\r\nOther_Windows (64_bit)\n", 53), 53);
	close(fd);
	assert_int_equal(w2c_os_version_list_load(&l, path, &err), W2C_OK);
	assert_int_equal(l.count, 2);
	assert_int_equal(w2c_os_version_check(&l, "Windows 11 Pro 64bit", &err), W2C_OK);
	assert_int_equal(w2c_os_version_check(&l, "Windows 10 64bit", &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, path));
	w2c_os_version_list_free(&l);
	truncate(path, 0);
	assert_int_equal(w2c_os_version_list_load(&l, path, &err), W2C_ERR_INVALID_INPUT);
	unlink(path);
}

static void test_min_disk_and_url(void **state)
{
	char *u;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_min_disk_check(40, &err), W2C_OK);
	assert_int_equal(w2c_min_disk_check(1024, &err), W2C_OK);
	assert_int_equal(w2c_min_disk_check(39, &err), W2C_ERR_INVALID_INPUT);
	assert_int_equal(w2c_min_disk_check(1025, &err), W2C_ERR_INVALID_INPUT);
	assert_int_equal(w2c_ims_image_url("obs://ci-bucket/dir/win.iso", &u, &err), W2C_OK);
	assert_string_equal(u, "ci-bucket:dir/win.iso");
	free(u);
	assert_int_equal(w2c_ims_image_url("ci-bucket:win.iso", &u, &err), W2C_OK);
	assert_string_equal(u, "ci-bucket:win.iso");
	free(u);
	assert_int_equal(w2c_ims_image_url("Bad_Bucket:x", &u, &err), W2C_ERR_INVALID_INPUT);
	assert_int_equal(w2c_ims_image_url("ci-bucket:", &u, &err), W2C_ERR_INVALID_INPUT);
	assert_int_equal(w2c_ims_image_url("just-a-name", &u, &err), W2C_ERR_INVALID_INPUT);
}

static void test_job_parse(void **state)
{
	const char ok[] = "{\"status\":\"SUCCESS\",\"entities\":{\"sub_jobs_result\":[{\"entities\":"
			  "{\"image_id\":\"img-1\"}}]},\"error_code\":null}";
	const char fail[] = "{\"status\":\"FAIL\",\"error_code\":\"IMG.0057\",\"fail_reason\":\"empty\"}";
	w2c_ims_job j;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_ims_job_parse(ok, strlen(ok), &j, &err), W2C_OK);
	assert_string_equal(j.image_id, "img-1");
	assert_int_equal(w2c_ims_job_parse(fail, strlen(fail), &j, &err), W2C_OK);
	assert_string_equal(j.error_code, "IMG.0057");
	assert_string_equal(j.fail_reason, "empty");
	assert_int_equal(w2c_ims_job_parse("{\"status\":\"DONE\"}", 17, &j, &err), W2C_ERR_REMOTE);
	assert_int_equal(w2c_ims_job_parse("[", 1, &j, &err), W2C_ERR_REMOTE);
}

static void test_error_bodies(void **state)
{
	char t[300];
	const char ims[] = "{\"error\":{\"message\":\"Invalid OS version.\",\"code\":\"IMG.0056\"}}";
	const char apig[] = "{\"error_msg\":\"bad sig\",\"error_code\":\"APIG.0301\",\"request_id\":\"r\"}";
	const char ks[] = "{\"error\":{\"code\":401,\"message\":\"Auth needed.\",\"title\":\"Unauthorized\"}}";
	const char html[] = "<html><body><h1>404 Not Found</h1>\n  No image found</body></html>";
	const char flow[] = "{\"error\":{\"code\":\"Common.0024\",\"message\":\"Flow limit\"}}";
	const char thr[] = "{\"error\":{\"code\":\"IMG.0060\",\"message\":\"flow control\"}}";
	(void)state;
	w2c_api_error_text(ims, strlen(ims), t, sizeof t);
	assert_string_equal(t, "IMG.0056: Invalid OS version.");
	w2c_api_error_text(apig, strlen(apig), t, sizeof t);
	assert_string_equal(t, "APIG.0301: bad sig");
	w2c_api_error_text(ks, strlen(ks), t, sizeof t);
	assert_string_equal(t, "401: Auth needed.");
	w2c_api_error_text(html, strlen(html), t, sizeof t);
	assert_string_equal(t, "404 Not Found No image found");
	w2c_api_error_text(NULL, 0, t, sizeof t);
	assert_string_equal(t, "(no error message)");
	assert_true(w2c_api_is_throttled(400, thr, strlen(thr)));
	assert_false(w2c_api_is_throttled(400, ims, strlen(ims)));
	assert_true(w2c_api_is_throttled(202, flow, strlen(flow)));
	assert_true(w2c_api_is_throttled(429, NULL, 0));
	assert_false(w2c_api_is_throttled(401, apig, strlen(apig)));
}

static void test_catalog(void **state)
{
	const char cat[] = "[{\"type\":\"identity\",\"endpoints\":[{\"interface\":\"public\",\"url\":\"http://k/v3\"}]},"
			   "{\"type\":\"image\",\"endpoints\":[{\"interface\":\"internal\",\"region_id\":\"r1\",\"url\":\"http://i\"},"
			   "{\"interface\":\"public\",\"region_id\":\"r2\",\"url\":\"http://p2/\"},"
			   "{\"interface\":\"public\",\"region\":\"r1\",\"url\":\"http://p1\"}]}]";
	char *u;
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_catalog_find(cat, "image", "public", "r1", &u, &err), W2C_OK);
	assert_string_equal(u, "http://p1");
	free(u);
	assert_int_equal(w2c_catalog_find(cat, "image", "public", NULL, &u, &err), W2C_OK);
	assert_string_equal(u, "http://p2");
	free(u);
	assert_int_equal(w2c_catalog_find(cat, "compute", "public", NULL, &u, &err), W2C_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "types present: identity, image"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_os_versions),
		cmocka_unit_test(test_os_version_override),
		cmocka_unit_test(test_min_disk_and_url),
		cmocka_unit_test(test_job_parse),
		cmocka_unit_test(test_error_bodies),
		cmocka_unit_test(test_catalog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
