/* Real third-party answer files: lint findings pinned for a dozen files
 * checked by hand, and merge on every file keeps the original tree (compared
 * node by node) and adds ours.  The files shipped in tests/data/unattend (see
 * tests/data/MANIFEST.md) always run; the wider corpus ($W2C_CORPUS/unattend),
 * when present, adds its files and the pins of files we may not ship. */
#include "win2cloud/unattend.h"
#include "common/util.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#define PW "Kx7!mQ2-vLp9"

static char shipped[4096], corpus[4096];
static bool have_corpus;

static int setup(void **state)
{
	const char *c = getenv("W2C_CORPUS"), *d = getenv("W2C_DATA");
	struct stat st;
	(void)state;
	snprintf(shipped, sizeof shipped, "%s/unattend", d ? d : W2C_TEST_DATA);
	snprintf(corpus, sizeof corpus, "%s/unattend", c ? c : "../shared/corpus");
	if (stat(shipped, &st) < 0) { /* part of the repository: a broken checkout, not a skip */
		printf("FAIL: answer files not found at %s (tests/data of the repository)\n", shipped);
		return -1;
	}
	have_corpus = stat(corpus, &st) == 0;
	if (!have_corpus)
		printf("corpus sweep not run: no %s (the shipped files in %s do run)\n", corpus, shipped);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;
	assert_int_equal(w2c_read_file(path, 16 << 20, &data, len, NULL), W2C_OK);
	return data;
}

/* ---- pinned lint findings (reviewed against the files) ---- */

struct pin {
	const char *file;
	size_t errors, warnings;
	const char *rule; /* one finding that must be there */
	enum w2c_severity sev;
	bool corpus_only; /* a license we may not ship (GPL-3.0, MS-PL): read from the corpus */
};

static const struct pin pins[] = {
	/* Administrator "vagrant": too short for the cloud; plain text passwords */
	{ "StefanScherer-packer-windows/2022/Autounattend.xml", 1, 5, "password.length", W2C_SEV_ERROR },
	{ "StefanScherer-packer-windows/server_insider_uefi/Autounattend.xml", 1, 5, "password.plaintext", W2C_SEV_WARNING },
	/* obfuscated passwords decode (5 characters, too short) */
	{ "dockur-windows/win2022.xml", 1, 2, "password.length", W2C_SEV_ERROR },
	/* both MBR partitions marked Active */
	{ "dockur-windows/win7x64.xml", 1, 3, "disk.mbr", W2C_SEV_WARNING },
	/* versionScope="NonSxS" (case), password without a special character */
	{ "cloudbase-windows-imaging-tools/UnattendTemplate.xml", 1, 5, "component.identity-case", W2C_SEV_WARNING },
	{ "cloudbase-windows-imaging-tools/UnattendTemplate.xml", 1, 5, "password.classes", W2C_SEV_ERROR },
	/* templates: %arch% placeholders, %administrator_password% not base64 */
	{ "bin456789-reinstall/windows.xml", 13, 0, "component.arch", W2C_SEV_ERROR, true },
	{ "bin456789-reinstall/windows.xml", 13, 0, "password.encoding", W2C_SEV_ERROR, true },
	{ "gusztavvargadr-packer/boot/autounattend.xml", 11, 2, "productkey.format", W2C_SEV_ERROR },
	{ "eaksel-packer-Win2022/uefi-gui/autounattend.xml", 1, 3, "password.length", W2C_SEV_ERROR },
	/* no Administrator password at all */
	{ "kubevirt-tekton-tasks/windows-efi-installer__windows2k22-autounattend__autounattend.xml", 0, 1, "password.missing", W2C_SEV_WARNING },
	{ "memstechtips-UnattendedWinstall/autounattend.xml", 0, 1, "password.missing", W2C_SEV_WARNING },
	{ "cschneegans-unattend-generator/autounattend.xml", 0, 1, "password.missing", W2C_SEV_WARNING },
	/* single Extend partition, no Active flag */
	{ "joefitzgerald-packer-windows/2012/Autounattend.xml", 1, 6, "disk.mbr", W2C_SEV_WARNING },
	{ "boxcutter-windows/win2012r2-standard/Autounattend.xml", 1, 5, "password.length", W2C_SEV_ERROR },
	{ "Windows-driver-samples/crashdetect/Unattend.xml", 0, 2, "password.plaintext", W2C_SEV_WARNING, true },
};

static void test_pinned_findings(void **state)
{
	size_t run = 0;
	(void)state;
	for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
		char path[8192];
		size_t len, hits = 0;
		w2c_lint_report r;
		if (pins[i].corpus_only && !have_corpus)
			continue;
		snprintf(path, sizeof path, "%s/%s", pins[i].corpus_only ? corpus : shipped, pins[i].file);
		run++;
		char *data = slurp(path, &len);
		assert_int_equal(w2c_unattend_lint(data, len, NULL, &r, NULL), W2C_OK);
		for (size_t k = 0; k < r.n; k++)
			hits += !strcmp(r.items[k].rule, pins[i].rule) && r.items[k].severity == pins[i].sev;
		if (r.errors != pins[i].errors || r.warnings != pins[i].warnings || !hits)
			fail_msg("%s: %zu errors %zu warnings (want %zu/%zu), %s hits %zu", pins[i].file,
				 r.errors, r.warnings, pins[i].errors, pins[i].warnings, pins[i].rule, hits);
		w2c_lint_report_free(&r);
		free(data);
	}
	printf("pinned findings checked on %zu files\n", run);
}

/* ---- merge keeps the tree ---- */

/* Text under these elements is ours to change (password, RDP). */
static bool owned_text(const xmlNode *parent)
{
	static const char *const names[] = { "Value", "PlainText", "fDenyTSConnections", "Active",
					      "Group", "Profile" };
	for (size_t i = 0; parent && i < sizeof names / sizeof names[0]; i++)
		if (!strcmp((const char *)parent->name, names[i]))
			return true;
	return false;
}

static bool same_ns(const xmlNs *a, const xmlNs *b)
{
	return (!a && !b) || (a && b && xmlStrEqual(a->href, b->href));
}

/* Does @m contain @o: same node, every attribute, and all children in order? */
static bool contains(const xmlNode *o, const xmlNode *m)
{
	if (o->type != m->type)
		return false;
	if (o->type == XML_TEXT_NODE || o->type == XML_COMMENT_NODE || o->type == XML_CDATA_SECTION_NODE)
		return owned_text(o->parent) || xmlStrEqual(o->content, m->content);
	if (o->type != XML_ELEMENT_NODE)
		return true;
	if (!xmlStrEqual(o->name, m->name) || !same_ns(o->ns, m->ns))
		return false;
	for (xmlAttrPtr a = o->properties; a; a = a->next) {
		xmlChar *vo = xmlNodeListGetString(o->doc, a->children, 1);
		xmlChar *vm = xmlGetNsProp(m, a->name, a->ns ? a->ns->href : NULL);
		bool eq = vm && xmlStrEqual(vo, vm);
		xmlFree(vo);
		xmlFree(vm);
		if (!eq)
			return false;
	}
	const xmlNode *mc = m->children;
	for (const xmlNode *oc = o->children; oc; oc = oc->next) {
		while (mc && !contains(oc, mc))
			mc = mc->next;
		if (!mc)
			return false;
		mc = mc->next;
	}
	return true;
}

static char *xp_text(xmlDocPtr d, const char *xp)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathRegisterNs(ctx, BAD_CAST "u", BAD_CAST W2C_UNATTEND_NS);
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

static xmlChar *canonical(const char *xml, size_t len)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)len, "c.xml", NULL, XML_PARSE_NONET);
	xmlChar *out = NULL;
	assert_non_null(d);
	assert_true(xmlC14NDocDumpMemory(d, NULL, XML_C14N_1_0, NULL, 1, &out) >= 0);
	xmlFreeDoc(d);
	return out;
}

static int merged_files;

static void merge_one(const char *path)
{
	size_t len, olen;
	char *data = slurp(path, &len), *out = NULL;
	w2c_unattend_options o;
	w2c_error err;

	/* no options: the same document */
	w2c_unattend_options_init(&o);
	assert_int_equal(w2c_unattend_merge(data, len, path, &o, &out, &olen, &err), W2C_OK);
	xmlChar *c1 = canonical(data, len), *c2 = canonical(out, olen);
	if (!xmlStrEqual(c1, c2))
		fail_msg("%s: merge without options changed the document", path);
	assert_int_equal(memmem(data, len, "\r\n", 2) != NULL, memmem(out, olen, "\r\n", 2) != NULL);
	xmlFree(c1);
	xmlFree(c2);
	free(out);

	/* ours added, theirs kept */
	o.admin_password = PW;
	o.rdp = true;
	o.driver_paths = true;
	assert_int_equal(w2c_unattend_merge(data, len, path, &o, &out, &olen, &err), W2C_OK);
	xmlDocPtr a = xmlReadMemory(data, (int)len, "a.xml", NULL, XML_PARSE_NONET);
	xmlDocPtr b = xmlReadMemory(out, (int)olen, "b.xml", NULL, XML_PARSE_NONET);
	assert_non_null(a);
	if (!b)
		fail_msg("%s: merged output does not parse", path);
	if (!contains(xmlDocGetRootElement(a), xmlDocGetRootElement(b)))
		fail_msg("%s: merged output lost or changed an original node", path);
	char *v = xp_text(b, "//u:settings[@pass='oobeSystem']/u:component[@name='Microsoft-Windows-Shell-Setup']"
			     "/u:UserAccounts/u:AdministratorPassword[u:PlainText='false']/u:Value");
	char *clear = v ? w2c_unattend_password_decode(v, "AdministratorPassword") : NULL;
	if (!clear || strcmp(clear, PW))
		fail_msg("%s: merged Administrator password missing or wrong", path);
	char *dp = xp_text(b, "//u:settings[@pass='windowsPE']/u:component[@name='Microsoft-Windows-PnpCustomizationsWinPE']"
			      "/u:DriverPaths/u:PathAndCredentials[u:Path='Z:\\$WinPEDriver$']/u:Path");
	char *rdp = xp_text(b, "//u:settings[@pass='specialize']/u:component[@name="
			       "'Microsoft-Windows-TerminalServices-LocalSessionManager']/u:fDenyTSConnections");
	if (!dp || !rdp || strcmp(rdp, "false"))
		fail_msg("%s: merged DriverPaths or RDP missing", path);
	assert_null(memmem(out, olen, PW, strlen(PW)));
	/* lint: what we added is clean (no duplicate keys, valid password) */
	w2c_lint_report r;
	assert_int_equal(w2c_unattend_lint(out, olen, NULL, &r, NULL), W2C_OK);
	for (size_t i = 0; i < r.n; i++)
		if (!strcmp(r.items[i].rule, "driverpath.key-duplicate") ||
		    !strcmp(r.items[i].rule, "pass.duplicate") ||
		    !strcmp(r.items[i].rule, "component.duplicate") ||
		    (!strncmp(r.items[i].rule, "password.", 9) && r.items[i].severity == W2C_SEV_ERROR &&
		     strstr(r.items[i].xpath, "AdministratorPassword")))
			fail_msg("%s: merged file: %s %s", path, r.items[i].rule, r.items[i].message);
	w2c_lint_report_free(&r);
	free(v);
	free(clear);
	free(dp);
	free(rdp);
	xmlFreeDoc(a);
	xmlFreeDoc(b);
	free(out);
	free(data);
	merged_files++;
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F)
		merge_one(path);
	return 0;
}

static void test_merge_corpus(void **state)
{
	(void)state;
	assert_int_equal(nftw(shipped, visit, 16, FTW_PHYS), 0);
	assert_int_equal(merged_files, 19); /* tests/data/MANIFEST.md: 19 answer files */
	printf("merged %d shipped files\n", merged_files);
	if (!have_corpus)
		return;
	merged_files = 0;
	assert_int_equal(nftw(corpus, visit, 16, FTW_PHYS), 0);
	assert_true(merged_files >= 50);
	printf("merged %d corpus files\n", merged_files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinned_findings),
		cmocka_unit_test(test_merge_corpus),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
