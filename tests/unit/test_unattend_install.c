/* The install route's answer files: first-logon steps (AutoLogon, DHCP, Cloudbase-Init,
 * shutdown or sysprep /generalize) by XPath, lint's install.* rules on small cases, the
 * Cloudbase-Init MSI placed on a tree, and install's size and duration parsers. */
#include "win2cloud/install.h"
#include "win2cloud/unattend.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#define PW "Kx7!mQ2-vLp9"
#define SHELL "/u:unattend/u:settings[@pass='oobeSystem']/u:component[@name='Microsoft-Windows-Shell-Setup']"

static char *xp_text(xmlDocPtr d, const char *xp, int *count)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathRegisterNs(ctx, BAD_CAST "u", BAD_CAST W2C_UNATTEND_NS);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xp, ctx);
	char *s = NULL;
	*count = o && o->nodesetval ? o->nodesetval->nodeNr : 0;
	if (*count) {
		xmlChar *c = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
		s = strdup((const char *)c);
		xmlFree(c);
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return s;
}

static char *generate(w2c_unattend_options *o, size_t *len)
{
	char *xml = NULL;
	w2c_error err = { 0 };
	if (w2c_unattend_generate(o, &xml, len, &err))
		fail_msg("generate: %s", err.message);
	return xml;
}

static size_t count_rule(const w2c_lint_report *r, const char *rule)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += !strcmp(r->items[i].rule, rule) && r->items[i].severity == W2C_SEV_ERROR;
	return n;
}

static void lint_install(const char *xml, size_t len, w2c_lint_report *r)
{
	w2c_lint_options lo = { .firmware_set = true, .cloud_set = true, .cloud = W2C_CLOUD_GENERIC,
				.install = true };
	w2c_error err;
	assert_int_equal(w2c_unattend_lint(xml, len, &lo, r, &err), W2C_OK);
}

static void test_first_logon_steps(void **s)
{
	(void)s;
	w2c_unattend_options o;
	w2c_unattend_options_init(&o);
	o.admin_password = PW;
	o.disk = 0;
	o.image_index = "1";
	o.dhcp = true;
	o.cloudbase_init = "/x/CloudbaseInitSetup_x64.msi";
	o.final_step = W2C_FINAL_GENERALIZE;
	size_t len;
	char *xml = generate(&o, &len), *t;
	xmlDocPtr d = xmlReadMemory(xml, (int)len, "t.xml", NULL, XML_PARSE_NONET);
	int n;
	assert_non_null(d);
	t = xp_text(d, SHELL "/u:AutoLogon/u:Username", &n);
	assert_string_equal(t, "Administrator");
	free(t);
	t = xp_text(d, SHELL "/u:AutoLogon/u:LogonCount", &n);
	assert_string_equal(t, "1");
	free(t);
	t = xp_text(d, SHELL "/u:AutoLogon/u:Password/u:Value", &n);
	char *clear = w2c_unattend_password_decode(t, "Password");
	assert_non_null(clear);
	assert_string_equal(clear, PW);
	assert_null(strstr(xml, PW)); /* obfuscated, never in clear */
	free(clear);
	free(t);
	free(xp_text(d, SHELL "/u:FirstLogonCommands/u:SynchronousCommand", &n));
	assert_int_equal(n, 3);
	t = xp_text(d, SHELL "/u:FirstLogonCommands/u:SynchronousCommand[u:Order='1']/u:CommandLine", &n);
	assert_non_null(strstr(t, "Set-NetIPInterface -Dhcp Enabled"));
	free(t);
	t = xp_text(d, SHELL "/u:FirstLogonCommands/u:SynchronousCommand[u:Order='2']/u:CommandLine", &n);
	assert_non_null(strstr(t, ":\\win2cloud\\CloudbaseInitSetup_x64.msi /qn /norestart"));
	free(t);
	t = xp_text(d, SHELL "/u:FirstLogonCommands/u:SynchronousCommand[u:Order='3']/u:CommandLine", &n);
	assert_non_null(strstr(t, "sysprep.exe /generalize /oobe /shutdown /quiet"));
	assert_non_null(strstr(t, "Cloudbase-Init\\conf\\Unattend.xml"));
	free(t);
	/* BIOS/MBR on disk 0 and DriverPaths stay as before */
	t = xp_text(d, "//u:InstallTo/u:DiskID", &n);
	assert_string_equal(t, "0");
	free(t);
	xmlFreeDoc(d);
	w2c_lint_report r;
	lint_install(xml, len, &r);
	assert_int_equal(r.errors, 0);
	w2c_lint_report_free(&r);
	free(xml);
}

static void test_first_logon_needs_password(void **s)
{
	(void)s;
	w2c_unattend_options o;
	char *xml = NULL;
	size_t len;
	w2c_error err = { 0 };
	w2c_unattend_options_init(&o);
	o.final_step = W2C_FINAL_SHUTDOWN;
	assert_int_equal(w2c_unattend_generate(&o, &xml, &len, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "--admin-password-file"));
	assert_null(xml);
}

/* Each install rule fires on the file that breaks it, and only the install mode has them. */
static void test_lint_install_rules(void **s)
{
	(void)s;
	w2c_unattend_options o;
	w2c_unattend_options_init(&o);
	o.admin_password = PW;
	o.disk = 0;
	size_t len;
	char *plain = generate(&o, &len); /* no final step */
	w2c_lint_report r;
	lint_install(plain, len, &r);
	assert_int_equal(count_rule(&r, "install.poweroff"), 1);
	w2c_lint_report_free(&r);
	w2c_lint_options none = { 0 };
	w2c_error err;
	w2c_unattend_lint(plain, len, &none, &r, &err);
	assert_int_equal(count_rule(&r, "install.poweroff"), 0);
	w2c_lint_report_free(&r);
	free(plain);

	o.final_step = W2C_FINAL_SHUTDOWN;
	char *good = generate(&o, &len);
	lint_install(good, len, &r);
	assert_int_equal(r.errors, 0);
	w2c_lint_report_free(&r);
	struct { const char *from, *to, *rule; } cases[] = {
		{ "<AcceptEula>true</AcceptEula>", "<AcceptEula>false</AcceptEula>", "install.eula" },
		{ "<Enabled>true</Enabled>", "<Enabled>false</Enabled>", "install.autologon" },
		{ "shutdown /s /t 0 /f", "shutdown /r /t 0", "install.poweroff" },
		{ "shutdown /s /t 0 /f", "sysprep /generalize /oobe /reboot", "install.sysprep-reboot" },
		{ "shutdown /s /t 0 /f", "msiexec /i x.msi &amp; shutdown /s", "install.msiexec" },
		{ "<WillShowUI>OnError</WillShowUI>", "<WillShowUI>Always</WillShowUI>", "install.showui" },
		{ "<HideEULAPage>true</HideEULAPage>", "<HideEULAPage>false</HideEULAPage>", "install.oobe" },
		{ "International-Core-WinPE", "International-Core-WinPX", "install.language" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *p = strstr(good, cases[i].from), *bad;
		assert_non_null(p);
		bad = calloc(1, len + 64);
		memcpy(bad, good, (size_t)(p - good));
		strcat(bad, cases[i].to);
		strcat(bad, p + strlen(cases[i].from));
		lint_install(bad, strlen(bad), &r);
		if (!count_rule(&r, cases[i].rule))
			fail_msg("case %zu: no %s", i, cases[i].rule);
		w2c_lint_report_free(&r);
		free(bad);
	}
	free(good);
}

static void test_cloudbase_msi_on_tree(void **s)
{
	(void)s;
	char msi[] = "/tmp/w2c-cbi-XXXXXX", txt[] = "/tmp/w2c-cbt-XXXXXX";
	int fd = mkstemp(msi), ft = mkstemp(txt);
	static const unsigned char ole[] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0 };
	assert_true(fd >= 0 && ft >= 0);
	assert_int_equal(write(fd, ole, sizeof ole), (ssize_t)sizeof ole);
	assert_int_equal(write(ft, "not an msi", 10), 10);
	close(fd);
	close(ft);
	w2c_node *root = w2c_node_new("", true);
	w2c_error err = { 0 };
	assert_int_equal(w2c_unattend_put_cloudbase_init(root, txt, &err), W2C_ERR_INVALID_INPUT);
	assert_non_null(strstr(err.message, "OLE signature"));
	assert_int_equal(w2c_unattend_put_cloudbase_init(root, msi, &err), W2C_OK);
	w2c_node *n = w2c_tree_lookup(root, W2C_CLOUDBASE_INIT_MEDIA_PATH);
	assert_non_null(n);
	assert_int_equal(n->size, sizeof ole);
	w2c_node_free(root);
	unlink(msi);
	unlink(txt);
}

static void test_parse_size_duration(void **s)
{
	(void)s;
	uint64_t b;
	unsigned t;
	w2c_error err;
	assert_int_equal(w2c_install_parse_size("60G", "--size", &b, &err), W2C_OK);
	assert_true(b == 60ull << 30);
	assert_int_equal(w2c_install_parse_size("512MiB", "--memory", &b, &err), W2C_OK);
	assert_true(b == 512ull << 20);
	assert_int_equal(w2c_install_parse_size("1T", "--size", &b, &err), W2C_OK);
	assert_true(b == 1ull << 40);
	assert_int_equal(w2c_install_parse_size("12", "--size", &b, &err), W2C_OK);
	assert_true(b == 12);
	assert_int_equal(w2c_install_parse_size("60X", "--size", &b, &err), W2C_ERR_USAGE);
	assert_non_null(strstr(err.message, "--size '60X'"));
	assert_int_equal(w2c_install_parse_size("-1G", "--size", &b, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_install_parse_size("99999999999T", "--size", &b, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_install_parse_duration("3h", "--timeout", &t, &err), W2C_OK);
	assert_int_equal(t, 10800);
	assert_int_equal(w2c_install_parse_duration("90s", "--timeout", &t, &err), W2C_OK);
	assert_int_equal(t, 90);
	assert_int_equal(w2c_install_parse_duration("45m", "--timeout", &t, &err), W2C_OK);
	assert_int_equal(t, 2700);
	assert_int_equal(w2c_install_parse_duration("0", "--timeout", &t, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_install_parse_duration("3d", "--timeout", &t, &err), W2C_ERR_USAGE);
	assert_int_equal(w2c_install_parse_duration("1000h", "--timeout", &t, &err), W2C_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_logon_steps),
		cmocka_unit_test(test_first_logon_needs_password),
		cmocka_unit_test(test_lint_install_rules),
		cmocka_unit_test(test_cloudbase_msi_on_tree),
		cmocka_unit_test(test_parse_size_duration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
