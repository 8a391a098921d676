/* Answer files: password obfuscation, generation (structure by XPath, own
 * lint clean), lint rules on small cases, media checks, placing on a tree. */
#include "win2cloud/unattend.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#define PW "Kx7!mQ2-vLp9"

/* ---- helpers ---- */

static xmlDocPtr parse(const char *xml, size_t len)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)len, "t.xml", NULL, XML_PARSE_NONET);
	assert_non_null(d);
	return d;
}

/* Text of the first node matching @xp (prefix u: = unattend ns), or NULL. */
static char *xp_text(xmlDocPtr d, const char *xp)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathRegisterNs(ctx, BAD_CAST "u", BAD_CAST W2C_UNATTEND_NS);
	xmlXPathRegisterNs(ctx, BAD_CAST "wcm", BAD_CAST W2C_UNATTEND_WCM_NS);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xp, ctx);
	char *s = NULL;
	if (o && o->nodesetval && o->nodesetval->nodeNr) {
		xmlChar *c = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
		s = strdup((const char *)c);
		xmlFree(c);
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return s;
}

static int xp_count(xmlDocPtr d, const char *xp)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathRegisterNs(ctx, BAD_CAST "u", BAD_CAST W2C_UNATTEND_NS);
	xmlXPathRegisterNs(ctx, BAD_CAST "wcm", BAD_CAST W2C_UNATTEND_WCM_NS);
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST xp, ctx);
	int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

static void assert_xp(xmlDocPtr d, const char *xp, const char *want)
{
	char *got = xp_text(d, xp);
	if (!got || strcmp(got, want))
		fail_msg("%s: got '%s', want '%s'", xp, got ? got : "(none)", want);
	free(got);
}

static size_t count_rule(const w2c_lint_report *r, const char *rule, enum w2c_severity sev)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += !strcmp(r->items[i].rule, rule) && r->items[i].severity == sev;
	return n;
}

static void lint_str(const char *xml, const w2c_lint_options *o, w2c_lint_report *r)
{
	assert_int_equal(w2c_unattend_lint(xml, strlen(xml), o, r, NULL), W2C_OK);
}

/* ---- passwords ---- */

static void test_password_vectors(void **state)
{
	(void)state;
	char *e = w2c_unattend_password_encode("a", "Password");
	assert_string_equal(e, "YQBQAGEAcwBzAHcAbwByAGQA");
	free(e);
	e = w2c_unattend_password_encode(PW, "AdministratorPassword");
	assert_string_equal(e, "SwB4ADcAIQBtAFEAMgAtAHYATABwADkAQQBkAG0AaQBuAGkAcwB0AHIAYQB0AG8AcgBQAGEAcwBzAHcAbwByAGQA");
	char *d = w2c_unattend_password_decode(e, "AdministratorPassword");
	assert_string_equal(d, PW);
	free(d);
	assert_null(w2c_unattend_password_decode(e, "Password!"));
	free(e);
	/* non-ASCII survives the UTF-16 round trip */
	e = w2c_unattend_password_encode("P\xc3\xa4ssw0rd!\xc3\x84", "AdministratorPassword");
	assert_string_equal(e, "UADkAHMAcwB3ADAAcgBkACEAxABBAGQAbQBpAG4AaQBzAHQAcgBhAHQAbwByAFAAYQBzAHMAdwBvAHIAZAA=");
	d = w2c_unattend_password_decode(e, "AdministratorPassword");
	assert_string_equal(d, "P\xc3\xa4ssw0rd!\xc3\x84");
	free(d);
	free(e);
	assert_null(w2c_unattend_password_decode("vagrant", "Password"));
	assert_null(w2c_unattend_password_decode("YQBQAGEAcwBzAHcAbwByAGQ", "Password"));
	assert_null(w2c_unattend_password_decode("YQ==", "Password")); /* odd UTF-16 */
	assert_null(w2c_unattend_password_decode("", "Password"));
	assert_null(w2c_unattend_password_decode("Y=QA", "Password"));
}

static void expect_refused(const char *pw, const char *rule)
{
	w2c_unattend_options o;
	w2c_error err;
	char *xml = NULL;
	size_t len;

	w2c_unattend_options_init(&o);
	o.admin_password = pw;
	assert_int_equal(w2c_unattend_generate(&o, &xml, &len, &err), W2C_ERR_VIOLATIONS);
	assert_null(xml);
	if (!strstr(err.message, rule))
		fail_msg("'%s' refused with '%s', expected rule %s", pw, err.message, rule);
	assert_null(strstr(err.message, pw)); /* never echoed */
}

static void test_weak_passwords_refused(void **state)
{
	(void)state;
	expect_refused("Sh0rt!", "password.length");
	expect_refused("Waytoolongpassword1!xxxxxxxxxxxxx", "password.length");
	expect_refused("nouppercase1!", "password.classes");
	expect_refused("NoDigitsHere!", "password.classes");
	expect_refused("NoSpecial123", "password.classes");
	expect_refused("Tilde~Bad123", "password.charset");
	expect_refused("xAdministrator1!", "password.username");
	expect_refused("rotartsinimdA1!", "password.username");
	expect_refused("Q9!minxxLp", "password.username_run");
}

/* ---- generation ---- */

struct gen_case {
	const char *edition;
	w2c_firmware fw;
};

static const w2c_edition fixture_editions[] = {
	{ .index = 1, .name = "Windows Server 2019 SERVERDATACENTER", .arch = "amd64", .arch_id = 9 },
	{ .index = 2, .name = "Windows Server 2022 SERVERSTANDARD", .arch = "amd64", .arch_id = 9 },
	{ .index = 3, .name = "Windows 10 Pro", .arch = "amd64", .arch_id = 9 },
	{ .index = 4, .name = "Windows 11 Pro", .arch = "amd64", .arch_id = 9 },
};
static const w2c_edition *const fixture_eds[] = {
	&fixture_editions[0], &fixture_editions[1], &fixture_editions[2], &fixture_editions[3],
};

static void check_generated(const char *edition, bool by_index, w2c_firmware fw)
{
	w2c_unattend_options o;
	w2c_lint_options lo = { 0 };
	w2c_unattend_target t = { NULL, fixture_eds, 4 };
	w2c_lint_report r;
	w2c_error err;
	char *xml, *v;
	size_t len;
	const char *pe = "/u:unattend/u:settings[@pass='windowsPE']";
	const char *setup = "/u:unattend/u:settings[@pass='windowsPE']/u:component[@name='Microsoft-Windows-Setup']";
	char xp[512];

	w2c_unattend_options_init(&o);
	o.firmware = fw;
	o.admin_password = PW;
	o.rdp = true;
	o.driver_paths = true;
	o.product_key = "WX4NM-KYWYW-QJJR4-XV3QB-6VM33";
	if (by_index)
		o.image_index = edition;
	else
		o.image_name = edition;
	assert_int_equal(w2c_unattend_generate(&o, &xml, &len, &err), W2C_OK);

	/* our own lint, with the media's editions and the firmware */
	lo.target = &t;
	lo.firmware_set = true;
	lo.firmware = fw;
	lo.cloud_set = true;
	lo.cloud = W2C_CLOUD_HUAWEI;
	lint_str(xml, &lo, &r);
	for (size_t i = 0; i < r.n; i++)
		if (r.items[i].severity != W2C_SEV_INFO)
			fail_msg("%s/%d: %s %s", edition, fw, r.items[i].rule, r.items[i].message);
	w2c_lint_report_free(&r);

	/* structure of spec §5.3 / §5.4 */
	xmlDocPtr d = parse(xml, len);
	assert_int_equal(xp_count(d, "/u:unattend/u:settings"), 4);
	assert_int_equal(xp_count(d, "//u:component[@processorArchitecture='amd64' and "
				     "@publicKeyToken='31bf3856ad364e35' and @language='neutral' and "
				     "@versionScope='nonSxS']"), xp_count(d, "//u:component"));
	snprintf(xp, sizeof xp, "%s/u:component[@name='Microsoft-Windows-International-Core-WinPE']/u:SetupUILanguage/u:UILanguage", pe);
	assert_xp(d, xp, "en-US");
	snprintf(xp, sizeof xp, "%s/u:DiskConfiguration/u:Disk/u:DiskID", setup);
	assert_xp(d, xp, "1"); /* huawei: the data disk */
	snprintf(xp, sizeof xp, "%s/u:DiskConfiguration/u:Disk/u:CreatePartitions/u:CreatePartition", setup);
	assert_int_equal(xp_count(d, xp), fw == W2C_FIRMWARE_UEFI ? 3 : 2);
	snprintf(xp, sizeof xp, "%s/u:DiskConfiguration/u:Disk/u:CreatePartitions/u:CreatePartition[u:Order='1']/u:Type", setup);
	assert_xp(d, xp, fw == W2C_FIRMWARE_UEFI ? "EFI" : "Primary");
	snprintf(xp, sizeof xp, "%s/u:DiskConfiguration/u:Disk/u:ModifyPartitions/u:ModifyPartition[u:Active='true']", setup);
	assert_int_equal(xp_count(d, xp), fw == W2C_FIRMWARE_UEFI ? 0 : 1);
	snprintf(xp, sizeof xp, "%s/u:ImageInstall/u:OSImage/u:InstallFrom/u:MetaData[@wcm:action='add']/u:Key", setup);
	assert_xp(d, xp, by_index ? "/IMAGE/INDEX" : "/IMAGE/NAME");
	snprintf(xp, sizeof xp, "%s/u:ImageInstall/u:OSImage/u:InstallFrom/u:MetaData/u:Value", setup);
	assert_xp(d, xp, edition);
	snprintf(xp, sizeof xp, "%s/u:ImageInstall/u:OSImage/u:InstallTo/u:PartitionID", setup);
	assert_xp(d, xp, fw == W2C_FIRMWARE_UEFI ? "3" : "2");
	snprintf(xp, sizeof xp, "%s/u:UserData/u:ProductKey/u:Key", setup);
	assert_xp(d, xp, "WX4NM-KYWYW-QJJR4-XV3QB-6VM33");
	snprintf(xp, sizeof xp, "%s/u:component[@name='Microsoft-Windows-PnpCustomizationsWinPE']/u:DriverPaths/u:PathAndCredentials[@wcm:keyValue='1']/u:Path", pe);
	assert_xp(d, xp, "D:\\$WinPEDriver$");
	assert_int_equal(xp_count(d, "//u:settings[@pass='offlineServicing']/u:component[@name='Microsoft-Windows-PnpCustomizationsNonWinPE']/u:DriverPaths/u:PathAndCredentials"), 22);
	assert_int_equal(xp_count(d, "//u:Path[starts-with(., 'X:')]"), 0);
	assert_xp(d, "//u:settings[@pass='specialize']/u:component[@name='Microsoft-Windows-TerminalServices-LocalSessionManager']/u:fDenyTSConnections", "false");
	assert_xp(d, "//u:settings[@pass='specialize']/u:component[@name='Networking-MPSSVC-Svc']/u:FirewallGroups/u:FirewallGroup[@wcm:keyValue='RemoteDesktop']/u:Group", "@FirewallAPI.dll,-28752");
	assert_xp(d, "//u:settings[@pass='specialize']/u:component[@name='Microsoft-Windows-Shell-Setup']/u:ComputerName", "*");
	assert_xp(d, "//u:settings[@pass='oobeSystem']/u:component[@name='Microsoft-Windows-Shell-Setup']/u:UserAccounts/u:AdministratorPassword/u:PlainText", "false");
	assert_xp(d, "//u:settings[@pass='oobeSystem']/u:component[@name='Microsoft-Windows-Shell-Setup']/u:OOBE/u:HideEULAPage", "true");
	assert_int_equal(xp_count(d, "//u:AutoLogon"), 0); /* no auto-logon by default */
	v = xp_text(d, "//u:AdministratorPassword/u:Value");
	char *clear = w2c_unattend_password_decode(v, "AdministratorPassword");
	assert_string_equal(clear, PW);
	assert_null(strstr(xml, PW)); /* only the obfuscated form is written */
	free(clear);
	free(v);
	xmlFreeDoc(d);
	free(xml);
}

static void test_generate_editions(void **state)
{
	(void)state;
	for (int fw = 0; fw < 2; fw++) {
		check_generated("Windows Server 2019 SERVERDATACENTER", false, (w2c_firmware)fw);
		check_generated("Windows Server 2022 SERVERSTANDARD", false, (w2c_firmware)fw);
		check_generated("Windows 10 Pro", false, (w2c_firmware)fw);
		check_generated("Windows 11 Pro", false, (w2c_firmware)fw);
		check_generated("4", true, (w2c_firmware)fw);
	}
}

static void test_generate_options(void **state)
{
	w2c_unattend_options o;
	char *xml;
	size_t len;
	(void)state;

	w2c_unattend_options_init(&o);
	o.cloud = W2C_CLOUD_OPENSTACK;
	o.password_plain = true;
	o.admin_password = PW;
	o.locale = "de-DE";
	o.timezone = "W. Europe Standard Time";
	assert_int_equal(w2c_unattend_generate(&o, &xml, &len, NULL), W2C_OK);
	xmlDocPtr d = parse(xml, len);
	assert_xp(d, "//u:DiskConfiguration/u:Disk/u:DiskID", "0");
	assert_xp(d, "//u:InstallTo/u:DiskID", "0");
	assert_xp(d, "//u:AdministratorPassword/u:Value", PW);
	assert_xp(d, "//u:AdministratorPassword/u:PlainText", "true");
	assert_xp(d, "//u:InputLocale", "de-DE");
	assert_xp(d, "//u:TimeZone", "W. Europe Standard Time");
	assert_int_equal(xp_count(d, "//u:InstallFrom"), 0);
	assert_int_equal(xp_count(d, "//u:component[@name='Networking-MPSSVC-Svc']"), 0);
	assert_int_equal(xp_count(d, "//u:DriverPaths"), 0);
	xmlFreeDoc(d);
	free(xml);
	o.disk = 3;
	o.arch = "arm64";
	assert_int_equal(w2c_unattend_generate(&o, &xml, &len, NULL), W2C_OK);
	d = parse(xml, len);
	assert_xp(d, "//u:InstallTo/u:DiskID", "3");
	assert_int_equal(xp_count(d, "//u:component[@processorArchitecture!='arm64']"), 0);
	xmlFreeDoc(d);
	free(xml);
	o.arch = "wow64";
	assert_int_equal(w2c_unattend_generate(&o, &xml, &len, NULL), W2C_ERR_USAGE);
	o.arch = NULL;
	o.product_key = "ABCDE-12345";
	assert_int_equal(w2c_unattend_generate(&o, &xml, &len, NULL), W2C_ERR_INVALID_INPUT);
}

/* ---- lint rules on small files ---- */

#define HEAD "<?xml version=\"1.0\"?><unattend xmlns=\"urn:schemas-microsoft-com:unattend\" " \
	     "xmlns:wcm=\"http://schemas.microsoft.com/WMIConfig/2002/State\">"
#define COMP(name, arch) "<component name=\"" name "\" processorArchitecture=\"" arch "\" " \
	"publicKeyToken=\"31bf3856ad364e35\" language=\"neutral\" versionScope=\"nonSxS\">"
#define GPT_DISK "<DiskConfiguration><Disk wcm:action=\"add\"><DiskID>0</DiskID><WillWipeDisk>true</WillWipeDisk>" \
	"<CreatePartitions><CreatePartition><Order>1</Order><Type>EFI</Type><Size>100</Size></CreatePartition>" \
	"<CreatePartition><Order>2</Order><Type>MSR</Type><Size>16</Size></CreatePartition>" \
	"<CreatePartition><Order>3</Order><Type>Primary</Type><Extend>true</Extend></CreatePartition></CreatePartitions>" \
	"<ModifyPartitions><ModifyPartition><Order>1</Order><PartitionID>1</PartitionID><Format>FAT32</Format></ModifyPartition>" \
	"<ModifyPartition><Order>2</Order><PartitionID>3</PartitionID><Format>NTFS</Format></ModifyPartition></ModifyPartitions>" \
	"</Disk></DiskConfiguration>"

static void test_lint_rules(void **state)
{
	w2c_lint_report r;
	w2c_lint_options lo = { 0 };
	(void)state;

	lint_str("<unattend><settings", NULL, &r);
	assert_int_equal(count_rule(&r, "xml.parse", W2C_SEV_ERROR), 1);
	w2c_lint_report_free(&r);

	lint_str("<unattend/>", NULL, &r);
	assert_int_equal(count_rule(&r, "xml.root", W2C_SEV_ERROR), 1);
	w2c_lint_report_free(&r);

	lint_str("<unattend xmlns=\"urn:schemas-microsoft-com:unattend\"><settings pass=\"windowsPE\">"
		 "<component name=\"Microsoft-Windows-Setup\"><X wcm:action=\"add\"/></component></settings></unattend>", NULL, &r);
	assert_int_equal(count_rule(&r, "xml.namespace", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "component.identity", W2C_SEV_ERROR), 3);
	assert_int_equal(count_rule(&r, "component.arch", W2C_SEV_ERROR), 1);
	w2c_lint_report_free(&r);

	lint_str(HEAD "<settings pass=\"windowsPE\"></settings><settings pass=\"windowsPE\"></settings>"
		 "<settings pass=\"WindowsPE\"></settings><settings pass=\"oobeSystem\">"
		 COMP("Microsoft-Windows-Setup", "amd64") "</component>"
		 COMP("Microsoft-Windows-Shell-Setup", "amd64") "</component>"
		 COMP("Microsoft-Windows-Shell-Setup", "amd64") "</component></settings>"
		 "<settings pass=\"specialize\">" COMP("Microsoft-Windows-Shell-Setup", "amd64")
		 "<UserAccounts/></component></settings></unattend>", NULL, &r);
	assert_int_equal(count_rule(&r, "pass.duplicate", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "pass.unknown", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "component.pass", W2C_SEV_ERROR), 2); /* Setup in oobe, UserAccounts */
	assert_int_equal(count_rule(&r, "component.duplicate", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "password.missing", W2C_SEV_WARNING), 1);
	w2c_lint_report_free(&r);

	/* a GPT layout linted for BIOS; InstallTo at the MSR */
	const char *gpt = HEAD "<settings pass=\"windowsPE\">" COMP("Microsoft-Windows-Setup", "amd64")
		GPT_DISK "<ImageInstall><OSImage><InstallTo><DiskID>0</DiskID><PartitionID>2</PartitionID>"
		"</InstallTo></OSImage></ImageInstall></component></settings></unattend>";
	lo.firmware_set = true;
	lo.firmware = W2C_FIRMWARE_BIOS;
	lo.cloud_set = true;
	lo.cloud = W2C_CLOUD_OTC;
	lint_str(gpt, &lo, &r);
	assert_int_equal(count_rule(&r, "disk.firmware", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "disk.installto", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "disk.target", W2C_SEV_WARNING), 1);
	w2c_lint_report_free(&r);
	lo.firmware = W2C_FIRMWARE_UEFI;
	lo.cloud = W2C_CLOUD_GENERIC;
	lint_str(gpt, &lo, &r);
	assert_int_equal(count_rule(&r, "disk.firmware", W2C_SEV_ERROR), 0);
	assert_int_equal(count_rule(&r, "disk.target", W2C_SEV_WARNING), 0);
	w2c_lint_report_free(&r);

	/* Extend not last, duplicate order, ModifyPartition to nowhere, two Active, EFI+Active */
	lint_str(HEAD "<settings pass=\"windowsPE\">" COMP("Microsoft-Windows-Setup", "amd64")
		 "<DiskConfiguration><Disk><DiskID>0</DiskID><CreatePartitions>"
		 "<CreatePartition><Order>1</Order><Type>Primary</Type><Extend>true</Extend></CreatePartition>"
		 "<CreatePartition><Order>1</Order><Type>EFI</Type><Size>100</Size></CreatePartition>"
		 "</CreatePartitions><ModifyPartitions><ModifyPartition><Order>1</Order><PartitionID>7</PartitionID>"
		 "</ModifyPartition><ModifyPartition><Order>2</Order><PartitionID>1</PartitionID><Active>true</Active>"
		 "</ModifyPartition></ModifyPartitions></Disk></DiskConfiguration>"
		 "<ImageInstall><OSImage><InstallTo><DiskID>5</DiskID><PartitionID>1</PartitionID></InstallTo>"
		 "<InstallFrom><MetaData><Key>/IMAGE/FOO</Key><Value>x</Value></MetaData></InstallFrom>"
		 "</OSImage></ImageInstall></component></settings></unattend>", NULL, &r);
	assert_int_equal(count_rule(&r, "disk.extend", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "disk.order", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "disk.partition-ref", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "disk.style", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "disk.installto", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "image.key", W2C_SEV_ERROR), 1);
	w2c_lint_report_free(&r);
}

static void test_lint_lists_and_secrets(void **state)
{
	w2c_lint_report r;
	char longp[300];
	(void)state;

	memset(longp, 'a', sizeof longp - 1);
	longp[sizeof longp - 1] = 0;
	char *xml = NULL;
	if (asprintf(&xml, HEAD "<settings pass=\"windowsPE\">" COMP("Microsoft-Windows-PnpCustomizationsWinPE", "amd64")
		     "<DriverPaths><PathAndCredentials wcm:action=\"add\" wcm:keyValue=\"1\"><Path>E:\\a</Path></PathAndCredentials>"
		     "<PathAndCredentials wcm:action=\"add\" wcm:keyValue=\"1\"><Path>E:\\%s</Path></PathAndCredentials>"
		     "<PathAndCredentials wcm:action=\"add\" wcm:keyValue=\"3\"><Path></Path></PathAndCredentials>"
		     "</DriverPaths></component></settings><settings pass=\"specialize\">"
		     COMP("Microsoft-Windows-Deployment", "amd64") "<RunSynchronous>"
		     "<RunSynchronousCommand><Order>1</Order><Path>a</Path></RunSynchronousCommand>"
		     "<RunSynchronousCommand><Order>1</Order><Path>b</Path></RunSynchronousCommand>"
		     "</RunSynchronous></component>" COMP("Microsoft-Windows-Shell-Setup", "amd64")
		     "<ProductKey>NOT-A-KEY-Secr3tKey</ProductKey></component></settings>"
		     "<settings pass=\"oobeSystem\">" COMP("Microsoft-Windows-Shell-Setup", "amd64")
		     "<UserAccounts><AdministratorPassword><Value>Secr3t!Value9</Value><PlainText>true</PlainText>"
		     "</AdministratorPassword><LocalAccounts><LocalAccount><Name>bob</Name><Password>"
		     "<Value>bm90IHRoZSBzdWZmaXg=</Value><PlainText>false</PlainText></Password></LocalAccount>"
		     "</LocalAccounts></UserAccounts><AutoLogon><Username>Administrator</Username><Password>"
		     "<Value>weakling</Value><PlainText>yes</PlainText></Password></AutoLogon>"
		     "</component></settings></unattend>", longp) < 0)
		fail();
	lint_str(xml, NULL, &r);
	assert_int_equal(count_rule(&r, "driverpath.key-duplicate", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "path.length", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "driverpath.empty", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "order.duplicate", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "productkey.format", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "password.plaintext", W2C_SEV_WARNING), 2);
	assert_int_equal(count_rule(&r, "password.encoding", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "password.plaintext-value", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "password.classes", W2C_SEV_WARNING), 1); /* auto-logon: warning */
	assert_int_equal(r.errors, 7);
	/* no secret in any finding */
	for (size_t i = 0; i < r.n; i++) {
		const char *parts[] = { r.items[i].message, r.items[i].xpath, r.items[i].fix };
		for (int k = 0; k < 3; k++) {
			assert_null(strstr(parts[k], "Secr3t"));
			assert_null(strstr(parts[k], "weakling"));
			assert_null(strstr(parts[k], "bm90IHRo"));
		}
	}
	w2c_lint_report_free(&r);
	free(xml);

	/* an obfuscated Administrator password that breaks the rule is an error */
	char *enc = w2c_unattend_password_encode("vagrant", "AdministratorPassword");
	if (asprintf(&xml, HEAD "<settings pass=\"oobeSystem\">" COMP("Microsoft-Windows-Shell-Setup", "amd64")
		     "<UserAccounts><AdministratorPassword><Value>%s</Value><PlainText>false</PlainText>"
		     "</AdministratorPassword></UserAccounts></component></settings></unattend>", enc) < 0)
		fail();
	lint_str(xml, NULL, &r);
	assert_int_equal(count_rule(&r, "password.length", W2C_SEV_ERROR), 1);
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.warnings, 0);
	w2c_lint_report_free(&r);
	free(xml);
	free(enc);
}

/* ---- media: editions, arch, driver paths, placing the file ---- */

static void test_lint_for_media(void **state)
{
	w2c_node *root = w2c_node_new("", true);
	w2c_edition x86 = { .index = 1, .name = "Windows 10 Pro", .arch = "x86", .arch_id = 0 };
	const w2c_edition *eds[] = { &x86 };
	w2c_unattend_target t = { root, eds, 1 };
	w2c_lint_options lo = { .target = &t };
	w2c_lint_report r;
	(void)state;

	assert_non_null(w2c_tree_mkdirs(root, "/$WinPEDriver$/viostor", NULL));
	const char *xml = HEAD "<settings pass=\"windowsPE\">" COMP("Microsoft-Windows-PnpCustomizationsWinPE", "amd64")
		"<DriverPaths><PathAndCredentials wcm:action=\"add\" wcm:keyValue=\"1\"><Path>E:\\$WINPEDRIVER$\\viostor</Path></PathAndCredentials>"
		"<PathAndCredentials wcm:action=\"add\" wcm:keyValue=\"2\"><Path>E:\\virtio\\NetKVM</Path></PathAndCredentials>"
		"</DriverPaths></component>" COMP("Microsoft-Windows-Setup", "amd64")
		"<ImageInstall><OSImage><InstallFrom><MetaData><Key>/IMAGE/NAME</Key><Value>Windows 11 Pro</Value>"
		"</MetaData></InstallFrom><InstallToAvailablePartition>true</InstallToAvailablePartition></OSImage></ImageInstall>"
		"</component></settings></unattend>";
	lint_str(xml, &lo, &r);
	assert_int_equal(count_rule(&r, "driverpath.missing", W2C_SEV_WARNING), 1);
	assert_int_equal(count_rule(&r, "image.not-found", W2C_SEV_ERROR), 1);
	assert_int_equal(count_rule(&r, "component.arch-mismatch", W2C_SEV_ERROR), 2);
	w2c_lint_report_free(&r);
	/* without --for none of these can be known */
	lint_str(xml, NULL, &r);
	assert_int_equal(count_rule(&r, "driverpath.missing", W2C_SEV_WARNING), 0);
	assert_int_equal(count_rule(&r, "image.not-found", W2C_SEV_ERROR), 0);
	assert_int_equal(count_rule(&r, "component.arch-mismatch", W2C_SEV_ERROR), 0);
	w2c_lint_report_free(&r);

	/* put: replaces any spelling of the root answer file */
	bool replaced = true;
	assert_int_equal(w2c_unattend_put(root, "<a/>", 4, &replaced, NULL), W2C_OK);
	assert_false(replaced);
	assert_int_equal(w2c_tree_put_memory(root, "/AutoUnattend.XML", "old", 3, NULL), W2C_OK);
	assert_int_equal(w2c_unattend_put(root, "<new/>", 6, &replaced, NULL), W2C_OK);
	assert_true(replaced);
	w2c_node *n = w2c_tree_lookup(root, "/autounattend.xml");
	assert_non_null(n);
	assert_string_equal(n->name, "autounattend.xml");
	assert_int_equal(n->size, 6);
	assert_memory_equal(n->data, "<new/>", 6);
	size_t files = 0;
	for (size_t i = 0; i < root->n_children; i++)
		files += !root->children[i]->is_dir;
	assert_int_equal(files, 1);
	w2c_node_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_vectors),
		cmocka_unit_test(test_weak_passwords_refused),
		cmocka_unit_test(test_generate_editions),
		cmocka_unit_test(test_generate_options),
		cmocka_unit_test(test_lint_rules),
		cmocka_unit_test(test_lint_lists_and_secrets),
		cmocka_unit_test(test_lint_for_media),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
