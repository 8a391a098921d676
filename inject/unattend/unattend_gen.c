/* Generate a complete autounattend.xml (windows-media spec §5.3/§5.4) and
 * the pieces merge reuses: DriverPaths, Administrator password, RDP. */
#include "inject/unattend/unattend_int.h"
#include "common/util.h"
#include "win2cloud/password.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define FIREWALL_RDP_GROUP "@FirewallAPI.dll,-28752"

void w2c_unattend_options_init(w2c_unattend_options *o)
{
	memset(o, 0, sizeof *o);
	o->firmware = W2C_FIRMWARE_BIOS;
	o->disk = -1;
	o->cloud = W2C_CLOUD_HUAWEI;
}

w2c_code w2c_cloud_profile_parse(const char *s, w2c_cloud_profile *out, w2c_error *err)
{
	static const char *const names[] = { "huawei", "otc", "openstack", "generic" };
	for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(s, names[i])) {
			*out = (w2c_cloud_profile)i;
			return W2C_OK;
		}
	return w2c_set_error(err, W2C_ERR_USAGE,
			     "cloud profile '%s': expected huawei, otc, openstack or generic",
			     s ? s : "");
}

int w2c_cloud_profile_disk(w2c_cloud_profile p)
{
	return p == W2C_CLOUD_HUAWEI || p == W2C_CLOUD_OTC ? 1 : 0;
}

size_t w2c_unattend_driver_paths(const char **out, size_t max)
{
	static const char *const paths[] = {
		"D:\\$WinPEDriver$", "E:\\$WinPEDriver$", "F:\\$WinPEDriver$", "G:\\$WinPEDriver$",
		"H:\\$WinPEDriver$", "I:\\$WinPEDriver$", "J:\\$WinPEDriver$", "K:\\$WinPEDriver$",
		"L:\\$WinPEDriver$", "M:\\$WinPEDriver$", "N:\\$WinPEDriver$", "O:\\$WinPEDriver$",
		"P:\\$WinPEDriver$", "Q:\\$WinPEDriver$", "R:\\$WinPEDriver$", "S:\\$WinPEDriver$",
		"T:\\$WinPEDriver$", "U:\\$WinPEDriver$", "V:\\$WinPEDriver$", "W:\\$WinPEDriver$",
		"Y:\\$WinPEDriver$", "Z:\\$WinPEDriver$",
	};
	size_t n = sizeof paths / sizeof paths[0];
	for (size_t i = 0; out && i < n && i < max; i++)
		out[i] = paths[i];
	return n;
}

char *w2c_unattend_password_encode(const char *password, const char *suffix)
{
	char *joined = w2c_asprintf("%s%s", password ? password : "", suffix ? suffix : "");
	size_t ulen = 0;
	uint8_t *u16 = joined ? w2c_utf8_to_utf16le(joined, &ulen) : NULL;
	char *b64 = NULL;

	if (u16 && ulen < (1u << 20)) {
		b64 = malloc(4 * ((ulen + 2) / 3) + 1);
		if (b64)
			EVP_EncodeBlock((unsigned char *)b64, u16, (int)ulen);
	}
	if (joined)
		OPENSSL_cleanse(joined, strlen(joined));
	if (u16)
		OPENSSL_cleanse(u16, ulen);
	free(joined);
	free(u16);
	return b64;
}

char *w2c_unattend_password_decode(const char *value, const char *suffix)
{
	size_t n = value ? strlen(value) : 0, pad = 0, slen = suffix ? strlen(suffix) : 0;
	unsigned char *raw;
	char *text = NULL;
	int got;

	if (!n || n % 4 || n > (1u << 20))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)value[i]) && value[i] != '+' && value[i] != '/' &&
		    !(value[i] == '=' && i >= n - 2))
			return NULL;
	pad = (value[n - 1] == '=') + (value[n - 2] == '=');
	if (pad == 1 && value[n - 1] != '=')
		return NULL;
	raw = malloc(n);
	if (!raw)
		return NULL;
	got = EVP_DecodeBlock(raw, (const unsigned char *)value, (int)n);
	if (got >= 0 && (size_t)got >= pad && (((size_t)got - pad) % 2) == 0)
		text = w2c_utf16le_to_utf8(raw, (size_t)got - pad);
	OPENSSL_cleanse(raw, n);
	free(raw);
	if (text && (strlen(text) < slen || strcmp(text + strlen(text) - slen, suffix))) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
		return NULL;
	}
	if (text)
		text[strlen(text) - slen] = 0;
	return text;
}

static bool product_key_ok(const char *k)
{
	if (strlen(k) != 29)
		return false;
	for (int i = 0; i < 29; i++)
		if (i % 6 == 5 ? k[i] != '-' : !isalnum((unsigned char)k[i]))
			return false;
	return true;
}

w2c_code w2c_ux_check_options(const w2c_unattend_options *o, w2c_error *err)
{
	const char *rule;

	if (o->arch && (!w2c_ux_arch_valid(o->arch) || !strcmp(o->arch, "wow64")))
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "--arch '%s': expected amd64, x86 or arm64", o->arch);
	if (o->image_index && o->image_name)
		return w2c_set_error(err, W2C_ERR_USAGE, "--edition: give an index or a name, not both");
	if (o->image_index && (!*o->image_index || strspn(o->image_index, "0123456789") !=
						strlen(o->image_index) || atoi(o->image_index) < 1))
		return w2c_set_error(err, W2C_ERR_USAGE, "--edition '%s': an index must be 1 or more",
				     o->image_index);
	if (o->product_key && !product_key_ok(o->product_key))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "product key: expected the form XXXXX-XXXXX-XXXXX-XXXXX-XXXXX "
				     "(letters and digits)");
	if (o->disk > 99)
		return w2c_set_error(err, W2C_ERR_USAGE, "--disk %d: expected 0 to 99", o->disk);
	if (o->admin_password &&
	    w2c_password_check(o->admin_password, "Administrator", w2c_password_policy_image(),
			       &rule, err) != W2C_OK) {
		w2c_error_prefix(err, "Administrator password refused (cloud-api §4.7)");
		return err ? err->code : W2C_ERR_VIOLATIONS;
	}
	return w2c_ux_check_first_logon(o, err);
}

/* ---- pieces shared with merge ---- */

void w2c_ux_build_driver_paths(ux_editor *ed, xmlNodePtr component)
{
	xmlNodePtr dp = w2c_ux_ensure(ed, component, "DriverPaths");
	const char *paths[32];
	size_t n = w2c_unattend_driver_paths(paths, 32);
	long next = 1;

	for (xmlNodePtr p = w2c_ux_child(dp, "PathAndCredentials"); p;
	     p = w2c_ux_next(p->next, "PathAndCredentials")) {
		char *kv = w2c_ux_wcm_attr(p, "keyValue");
		if (kv && atol(kv) >= next)
			next = atol(kv) + 1;
		free(kv);
	}
	for (size_t i = 0; i < n; i++) {
		bool have = false;
		for (xmlNodePtr p = w2c_ux_child(dp, "PathAndCredentials"); p && !have;
		     p = w2c_ux_next(p->next, "PathAndCredentials")) {
			char *t = w2c_ux_child_text(p, "Path");
			have = t && !w2c_strcasecmp(t, paths[i]);
			free(t);
		}
		if (have)
			continue;
		xmlNodePtr pc = w2c_ux_append(ed, dp, "PathAndCredentials", NULL);
		char kv[24];
		snprintf(kv, sizeof kv, "%ld", next++);
		w2c_ux_set_wcm(pc, "action", "add");
		w2c_ux_set_wcm(pc, "keyValue", kv);
		w2c_ux_append(ed, pc, "Path", paths[i]);
	}
}

void w2c_ux_build_admin_password(ux_editor *ed, xmlNodePtr shell, const char *password, bool plain)
{
	xmlNodePtr ua = w2c_ux_ensure(ed, shell, "UserAccounts");
	xmlNodePtr ap = w2c_ux_ensure(ed, ua, "AdministratorPassword");
	char *v = plain ? w2c_strdup(password)
			: w2c_unattend_password_encode(password, "AdministratorPassword");
	w2c_ux_set(ed, ap, "Value", v ? v : "");
	w2c_ux_set(ed, ap, "PlainText", plain ? "true" : "false");
	if (v)
		OPENSSL_cleanse(v, strlen(v));
	free(v);
}

void w2c_ux_build_rdp(ux_editor *ed, xmlNodePtr spec, const char *arch)
{
	xmlNodePtr c, fg, g = NULL;

	c = w2c_ux_ensure_component(ed, spec, "Microsoft-Windows-TerminalServices-LocalSessionManager", arch);
	w2c_ux_set(ed, c, "fDenyTSConnections", "false");
	c = w2c_ux_ensure_component(ed, spec, "Microsoft-Windows-TerminalServices-RDP-WinStationExtensions",
				arch);
	if (!w2c_ux_child(c, "UserAuthentication")) /* NLA on unless the user chose */
		w2c_ux_append(ed, c, "UserAuthentication", "1");
	c = w2c_ux_ensure_component(ed, spec, "Networking-MPSSVC-Svc", arch);
	fg = w2c_ux_ensure(ed, c, "FirewallGroups");
	for (xmlNodePtr f = w2c_ux_child(fg, "FirewallGroup"); f && !g; f = w2c_ux_next(f->next, "FirewallGroup")) {
		char *kv = w2c_ux_wcm_attr(f, "keyValue"), *grp = w2c_ux_child_text(f, "Group");
		if ((kv && !w2c_strcasecmp(kv, "RemoteDesktop")) ||
		    (grp && !w2c_strcasecmp(grp, FIREWALL_RDP_GROUP)))
			g = f;
		free(kv);
		free(grp);
	}
	if (!g) {
		g = w2c_ux_append(ed, fg, "FirewallGroup", NULL);
		w2c_ux_set_wcm(g, "action", "add");
		w2c_ux_set_wcm(g, "keyValue", "RemoteDesktop");
	}
	w2c_ux_set(ed, g, "Active", "true");
	w2c_ux_set(ed, g, "Group", FIREWALL_RDP_GROUP);
	w2c_ux_set(ed, g, "Profile", "all");
}

/* ---- the whole file ---- */

static void add_partition(ux_editor *ed, xmlNodePtr cps, int order, const char *type,
			  const char *size)
{
	xmlNodePtr p = w2c_ux_append(ed, cps, "CreatePartition", NULL);
	char o[8];
	snprintf(o, sizeof o, "%d", order);
	w2c_ux_set_wcm(p, "action", "add");
	w2c_ux_append(ed, p, "Order", o);
	w2c_ux_append(ed, p, "Type", type);
	if (size)
		w2c_ux_append(ed, p, "Size", size);
	else
		w2c_ux_append(ed, p, "Extend", "true");
}

static void modify_partition(ux_editor *ed, xmlNodePtr mps, int order, int id, const char *fmt,
			     const char *label, const char *letter, bool active)
{
	xmlNodePtr p = w2c_ux_append(ed, mps, "ModifyPartition", NULL);
	char o[8], i[8];
	snprintf(o, sizeof o, "%d", order);
	snprintf(i, sizeof i, "%d", id);
	w2c_ux_set_wcm(p, "action", "add");
	w2c_ux_append(ed, p, "Order", o);
	w2c_ux_append(ed, p, "PartitionID", i);
	if (active)
		w2c_ux_append(ed, p, "Active", "true");
	w2c_ux_append(ed, p, "Format", fmt);
	w2c_ux_append(ed, p, "Label", label);
	if (letter)
		w2c_ux_append(ed, p, "Letter", letter);
}

/* BIOS: System Reserved (active) + Windows; UEFI: ESP, MSR, Windows. */
static int build_disk(ux_editor *ed, xmlNodePtr setup, const w2c_unattend_options *o, int disk)
{
	xmlNodePtr dc = w2c_ux_append(ed, setup, "DiskConfiguration", NULL), d, cps, mps;
	char id[8];

	snprintf(id, sizeof id, "%d", disk);
	w2c_ux_append(ed, dc, "WillShowUI", "OnError");
	d = w2c_ux_append(ed, dc, "Disk", NULL);
	w2c_ux_set_wcm(d, "action", "add");
	w2c_ux_append(ed, d, "DiskID", id);
	w2c_ux_append(ed, d, "WillWipeDisk", "true");
	cps = w2c_ux_append(ed, d, "CreatePartitions", NULL);
	mps = w2c_ux_append(ed, d, "ModifyPartitions", NULL);
	if (o->firmware == W2C_FIRMWARE_UEFI) {
		add_partition(ed, cps, 1, "EFI", "100");
		add_partition(ed, cps, 2, "MSR", "16");
		add_partition(ed, cps, 3, "Primary", NULL);
		modify_partition(ed, mps, 1, 1, "FAT32", "System", NULL, false);
		modify_partition(ed, mps, 2, 3, "NTFS", "Windows", "C", false);
		return 3;
	}
	add_partition(ed, cps, 1, "Primary", "500");
	add_partition(ed, cps, 2, "Primary", NULL);
	modify_partition(ed, mps, 1, 1, "NTFS", "System Reserved", NULL, true);
	modify_partition(ed, mps, 2, 2, "NTFS", "Windows", "C", false);
	return 2;
}

static void build_image(ux_editor *ed, xmlNodePtr setup, const w2c_unattend_options *o, int disk,
			int part)
{
	xmlNodePtr os = w2c_ux_append(ed, w2c_ux_append(ed, setup, "ImageInstall", NULL), "OSImage", NULL);
	char id[8], p[8];

	if (o->image_index || o->image_name) {
		xmlNodePtr md = w2c_ux_append(ed, w2c_ux_append(ed, os, "InstallFrom", NULL), "MetaData", NULL);
		w2c_ux_set_wcm(md, "action", "add");
		w2c_ux_append(ed, md, "Key", o->image_index ? "/IMAGE/INDEX" : "/IMAGE/NAME");
		w2c_ux_append(ed, md, "Value", o->image_index ? o->image_index : o->image_name);
	}
	snprintf(id, sizeof id, "%d", disk);
	snprintf(p, sizeof p, "%d", part);
	xmlNodePtr to = w2c_ux_append(ed, os, "InstallTo", NULL);
	w2c_ux_append(ed, to, "DiskID", id);
	w2c_ux_append(ed, to, "PartitionID", p);
	w2c_ux_append(ed, os, "WillShowUI", "OnError");
}

static void build_windows_pe(ux_editor *ed, const w2c_unattend_options *o, const char *arch,
			     const char *locale)
{
	xmlNodePtr pe = w2c_ux_ensure_settings(ed, "windowsPE"), c, ud;
	int disk = o->disk >= 0 ? o->disk : w2c_cloud_profile_disk(o->cloud);

	c = w2c_ux_ensure_component(ed, pe, "Microsoft-Windows-International-Core-WinPE", arch);
	w2c_ux_append(ed, w2c_ux_append(ed, c, "SetupUILanguage", NULL), "UILanguage", locale);
	w2c_ux_append(ed, c, "InputLocale", !strcmp(locale, "en-US") ? "0409:00000409" : locale);
	w2c_ux_append(ed, c, "SystemLocale", locale);
	w2c_ux_append(ed, c, "UILanguage", locale);
	w2c_ux_append(ed, c, "UserLocale", locale);
	c = w2c_ux_ensure_component(ed, pe, "Microsoft-Windows-Setup", arch);
	build_image(ed, c, o, disk, build_disk(ed, c, o, disk));
	ud = w2c_ux_append(ed, c, "UserData", NULL);
	w2c_ux_append(ed, ud, "AcceptEula", "true");
	if (o->product_key) {
		xmlNodePtr pk = w2c_ux_append(ed, ud, "ProductKey", NULL);
		w2c_ux_append(ed, pk, "Key", o->product_key);
		w2c_ux_append(ed, pk, "WillShowUI", "OnError");
	}
	if (o->driver_paths) {
		c = w2c_ux_ensure_component(ed, pe, "Microsoft-Windows-PnpCustomizationsWinPE", arch);
		w2c_ux_build_driver_paths(ed, c);
	}
}

static void build_later_passes(ux_editor *ed, const w2c_unattend_options *o, const char *arch)
{
	xmlNodePtr s, c, oobe;

	if (o->driver_paths) {
		s = w2c_ux_ensure_settings(ed, "offlineServicing");
		c = w2c_ux_ensure_component(ed, s, "Microsoft-Windows-PnpCustomizationsNonWinPE", arch);
		w2c_ux_build_driver_paths(ed, c);
	}
	s = w2c_ux_ensure_settings(ed, "specialize");
	c = w2c_ux_ensure_component(ed, s, "Microsoft-Windows-Shell-Setup", arch);
	w2c_ux_append(ed, c, "ComputerName", o->computer_name ? o->computer_name : "*");
	w2c_ux_append(ed, c, "TimeZone", o->timezone ? o->timezone : "UTC");
	if (o->rdp)
		w2c_ux_build_rdp(ed, s, arch);
	s = w2c_ux_ensure_settings(ed, "oobeSystem");
	c = w2c_ux_ensure_component(ed, s, "Microsoft-Windows-Shell-Setup", arch);
	if (o->admin_password)
		w2c_ux_build_admin_password(ed, c, o->admin_password, o->password_plain);
	w2c_ux_build_first_logon(ed, c, o);
	oobe = w2c_ux_append(ed, c, "OOBE", NULL);
	w2c_ux_append(ed, oobe, "HideEULAPage", "true");
	w2c_ux_append(ed, oobe, "HideLocalAccountScreen", "true");
	w2c_ux_append(ed, oobe, "HideOEMRegistrationScreen", "true");
	w2c_ux_append(ed, oobe, "HideOnlineAccountScreens", "true");
	w2c_ux_append(ed, oobe, "HideWirelessSetupInOOBE", "true");
	w2c_ux_append(ed, oobe, "ProtectYourPC", "3");
}

w2c_code w2c_unattend_generate(const w2c_unattend_options *o, char **xml, size_t *len,
			       w2c_error *err)
{
	const char *arch = o->arch ? o->arch : "amd64";
	const char *locale = o->locale ? o->locale : "en-US";
	xmlDocPtr doc;
	xmlNodePtr root;
	ux_editor ed;
	xmlChar *buf = NULL;
	int n = 0;
	w2c_code rc;

	if ((rc = w2c_ux_check_options(o, err)))
		return rc;
	doc = xmlNewDoc(BAD_CAST "1.0");
	root = xmlNewDocNode(doc, NULL, BAD_CAST "unattend", NULL);
	xmlDocSetRootElement(doc, root);
	xmlSetNs(root, xmlNewNs(root, BAD_CAST W2C_UNATTEND_NS, NULL));
	xmlNewNs(root, BAD_CAST W2C_UNATTEND_WCM_NS, BAD_CAST "wcm");
	w2c_ux_editor_init(&ed, doc);
	ed.pretty = false; /* the serializer indents */
	build_windows_pe(&ed, o, arch, locale);
	build_later_passes(&ed, o, arch);
	xmlDocDumpFormatMemoryEnc(doc, &buf, &n, "utf-8", 1);
	xmlFreeDoc(doc);
	if (!buf)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory writing the answer file");
	*xml = w2c_strndup((const char *)buf, (size_t)n);
	*len = (size_t)n;
	OPENSSL_cleanse(buf, (size_t)n);
	xmlFree(buf);
	return *xml ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
}
