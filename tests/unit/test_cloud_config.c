/* Unit tests: clouds.yaml (+ secure.yaml) and OS_* parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "win2cloud/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char yaml[] =
	"# comment\n"
	"clouds:\n"
	"  otc:\n"
	"    region_name: eu-de\n"
	"    auth:\n"
	"      auth_url: https://iam.eu-de.otc.t-systems.com/v3\n"
	"      username: ci-user\n"
	"      password: \"s3cr:et\"\n"
	"      project_name: eu-de\n"
	"      domain_name: OTC-EU-DE-0001\n"
	"      ak: AKAKAK\n"
	"      sk: SKSKSK\n"
	"  devstack:\n"
	"    auth:\n"
	"      auth_url: http://127.0.0.1:5000/v3\n"
	"      username: admin\n"
	"      project_id: 0123\n"
	"      user_domain_id: default\n"
	"    interface: internal\n"
	"    image_endpoint_override: http://127.0.0.1:9292\n";

static void clear_env(void)
{
	const char *vars[] = { "OS_CLOUD", "OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE", "OS_AUTH_URL",
			       "OS_USERNAME", "OS_PASSWORD", "OS_PROJECT_NAME", "OS_PROJECT_ID",
			       "OS_USER_DOMAIN_NAME", "OS_PROJECT_DOMAIN_NAME", "OS_DOMAIN_NAME",
			       "OS_REGION_NAME", "OS_TENANT_NAME", "OS_INTERFACE",
			       "OS_IMAGE_ENDPOINT_OVERRIDE" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("HOME", "/nonexistent-w2c-home", 1);
	unsetenv("XDG_CONFIG_HOME");
}

static void test_parse_otc(void **state)
{
	w2c_cloud_config c = { 0 };
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_cloud_config_parse(&c, yaml, strlen(yaml), "t.yaml", "otc", &err), W2C_OK);
	assert_string_equal(c.auth_url, "https://iam.eu-de.otc.t-systems.com/v3");
	assert_string_equal(c.username, "ci-user");
	assert_string_equal(c.password, "s3cr:et");
	assert_string_equal(c.project_name, "eu-de");
	assert_string_equal(c.user_domain_name, "OTC-EU-DE-0001");
	assert_string_equal(c.project_domain_name, "OTC-EU-DE-0001");
	assert_string_equal(c.region_name, "eu-de");
	assert_string_equal(c.access_key, "AKAKAK");
	assert_string_equal(c.secret_key, "SKSKSK");
	assert_string_equal(c.name, "otc");
	w2c_cloud_config_free(&c);
	assert_null(c.password);
}

static void test_parse_devstack(void **state)
{
	w2c_cloud_config c = { 0 };
	w2c_error err;
	(void)state;
	assert_int_equal(w2c_cloud_config_parse(&c, yaml, strlen(yaml), "t.yaml", "devstack", &err), W2C_OK);
	assert_string_equal(c.project_id, "0123");
	assert_string_equal(c.user_domain_id, "default");
	assert_string_equal(c.interface, "internal");
	assert_string_equal(c.image_endpoint, "http://127.0.0.1:9292");
	assert_null(c.password);
	w2c_cloud_config_free(&c);
}

static void test_parse_errors(void **state)
{
	w2c_cloud_config c = { 0 };
	w2c_error err;
	const char bad[] = "clouds:\n  x:\n    auth: [1, 2\n";
	const char notstr[] = "clouds:\n  x:\n    auth:\n      username: [a]\n";
	(void)state;
	assert_int_equal(w2c_cloud_config_parse(&c, yaml, strlen(yaml), "t.yaml", "nope", &err),
			 W2C_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "no cloud named 'nope'"));
	assert_int_equal(w2c_cloud_config_parse(&c, bad, strlen(bad), "b.yaml", "x", &err),
			 W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "b.yaml:"));
	assert_int_equal(w2c_cloud_config_parse(&c, notstr, strlen(notstr), "n.yaml", "x", &err),
			 W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "n.yaml:4: 'auth.username' must be a string"));
	assert_int_equal(w2c_cloud_config_parse(&c, "- a\n", 4, "l.yaml", "x", &err), W2C_ERR_INVALID_INPUT);
	w2c_cloud_config_free(&c);
}

static void test_env(void **state)
{
	w2c_cloud_config c;
	w2c_error err;
	(void)state;
	clear_env();
	assert_int_equal(w2c_cloud_config_load(&c, NULL, &err), W2C_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "OS_AUTH_URL"));
	setenv("OS_AUTH_URL", "http://127.0.0.1:18100/v3", 1);
	setenv("OS_USERNAME", "admin", 1);
	setenv("OS_PASSWORD", "pw", 1);
	setenv("OS_TENANT_NAME", "admin", 1);
	setenv("OS_DOMAIN_NAME", "Default", 1);
	assert_int_equal(w2c_cloud_config_load(&c, NULL, &err), W2C_OK);
	assert_string_equal(c.project_name, "admin");
	assert_string_equal(c.user_domain_name, "Default");
	assert_string_equal(c.project_domain_name, "Default");
	assert_string_equal(c.interface, "public");
	assert_string_equal(c.source, "environment (OS_*)");
	w2c_cloud_config_free(&c);
	clear_env();
}

static void test_file_secure_and_os_cloud(void **state)
{
	char dir[] = "/tmp/w2c-cc-XXXXXX", p[256], s[256];
	w2c_cloud_config c;
	w2c_error err;
	FILE *f;
	(void)state;
	clear_env();
	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof p, "%s/clouds.yaml", dir);
	snprintf(s, sizeof s, "%s/secure.yaml", dir);
	f = fopen(p, "w");
	fputs(yaml, f);
	fclose(f);
	f = fopen(s, "w");
	fputs("clouds:\n  devstack:\n    auth:\n      password: from-secure\n", f);
	fclose(f);
	setenv("OS_CLIENT_CONFIG_FILE", p, 1);
	setenv("OS_CLIENT_SECURE_FILE", s, 1);
	setenv("OS_CLOUD", "devstack", 1);
	assert_int_equal(w2c_cloud_config_load(&c, NULL, &err), W2C_OK);
	assert_string_equal(c.password, "from-secure");
	assert_string_equal(c.source, p);
	w2c_cloud_config_free(&c);
	/* secure.yaml without the cloud is fine; OS_PASSWORD fills the gap */
	setenv("OS_PASSWORD", "from-env", 1);
	assert_int_equal(w2c_cloud_config_load(&c, "otc", &err), W2C_OK);
	assert_string_equal(c.password, "s3cr:et");
	w2c_cloud_config_free(&c);
	unsetenv("OS_CLIENT_SECURE_FILE");
	unlink(s);
	assert_int_equal(w2c_cloud_config_load(&c, "devstack", &err), W2C_OK);
	assert_string_equal(c.password, "from-env");
	w2c_cloud_config_free(&c);
	assert_int_equal(w2c_cloud_config_load(&c, "missing", &err), W2C_ERR_NOT_FOUND);
	unsetenv("OS_CLIENT_CONFIG_FILE");
	unlink(p);
	assert_int_equal(w2c_cloud_config_load(&c, "devstack", &err), W2C_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "no clouds.yaml found"));
	rmdir(dir);
	clear_env();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_otc),
		cmocka_unit_test(test_parse_devstack),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_file_secure_and_os_cloud),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
