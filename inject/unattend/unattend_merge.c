/* Merge what we own into a user's answer file, leaving everything else as
 * it was: the document is edited in place (whitespace, comments, namespace
 * declarations, component order kept) and only asked-for nodes change. */
#include "inject/unattend/unattend_int.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

/* The file's architecture: the first component that is not wow64 (kept
 * even when it is a template placeholder such as "%arch%", so our settings
 * land in the components the template fills in). */
static const char *file_arch(xmlNodePtr root)
{
	for (xmlNodePtr s = w2c_ux_child(root, "settings"); s; s = w2c_ux_next(s->next, "settings"))
		for (xmlNodePtr c = w2c_ux_child(s, "component"); c; c = w2c_ux_next(c->next, "component")) {
			const char *a = w2c_ux_attr(c, "processorArchitecture");
			if (a && *a && strcmp(a, "wow64"))
				return a;
		}
	return "amd64";
}

static void merge_image(ux_editor *ed, xmlNodePtr setup, const w2c_unattend_options *o)
{
	xmlNodePtr os = w2c_ux_ensure(ed, w2c_ux_ensure(ed, setup, "ImageInstall"), "OSImage");
	xmlNodePtr from = w2c_ux_ensure(ed, os, "InstallFrom");
	xmlNodePtr md = w2c_ux_child(from, "MetaData");

	if (!md) {
		md = w2c_ux_append(ed, from, "MetaData", NULL);
		w2c_ux_set_wcm(md, "action", "add");
	}
	w2c_ux_set(ed, md, "Key", o->image_index ? "/IMAGE/INDEX" : "/IMAGE/NAME");
	w2c_ux_set(ed, md, "Value", o->image_index ? o->image_index : o->image_name);
}

/* Point the (single) configured disk and InstallTo at @disk. */
static void merge_disk(ux_editor *ed, xmlNodePtr setup, int disk)
{
	xmlNodePtr dc = w2c_ux_child(setup, "DiskConfiguration");
	xmlNodePtr d = w2c_ux_child(dc, "Disk");
	xmlNodePtr to = w2c_ux_child(w2c_ux_child(w2c_ux_child(setup, "ImageInstall"), "OSImage"), "InstallTo");
	char id[8];

	snprintf(id, sizeof id, "%d", disk);
	if (d && !w2c_ux_next(d->next, "Disk"))
		w2c_ux_set(ed, d, "DiskID", id);
	if (to)
		w2c_ux_set(ed, to, "DiskID", id);
}

static void merge_windows_pe(ux_editor *ed, const w2c_unattend_options *o, const char *arch)
{
	bool want_setup = o->image_index || o->image_name || o->product_key || o->merge_disk;
	xmlNodePtr pe, setup;

	if (!want_setup && !o->driver_paths && !o->locale)
		return;
	pe = w2c_ux_ensure_settings(ed, "windowsPE");
	if (want_setup) {
		setup = w2c_ux_ensure_component(ed, pe, "Microsoft-Windows-Setup", arch);
		if (o->image_index || o->image_name)
			merge_image(ed, setup, o);
		if (o->product_key) {
			xmlNodePtr pk = w2c_ux_ensure(ed, w2c_ux_ensure(ed, setup, "UserData"), "ProductKey");
			w2c_ux_set(ed, pk, "Key", o->product_key);
		}
		if (o->merge_disk)
			merge_disk(ed, setup, o->disk >= 0 ? o->disk : w2c_cloud_profile_disk(o->cloud));
	}
	if (o->locale) {
		xmlNodePtr c = w2c_ux_ensure_component(ed, pe, "Microsoft-Windows-International-Core-WinPE", arch);
		w2c_ux_set(ed, w2c_ux_ensure(ed, c, "SetupUILanguage"), "UILanguage", o->locale);
		w2c_ux_set(ed, c, "SystemLocale", o->locale);
		w2c_ux_set(ed, c, "UILanguage", o->locale);
		w2c_ux_set(ed, c, "UserLocale", o->locale);
	}
	if (o->driver_paths)
		w2c_ux_build_driver_paths(ed, w2c_ux_ensure_component(ed, pe,
			"Microsoft-Windows-PnpCustomizationsWinPE", arch));
}

/* An AutoLogon as Administrator must carry the new password too, or the
 * first logon fails; AutoLogon for other accounts is the user's. */
static void sync_auto_logon(ux_editor *ed, xmlNodePtr oobe, const w2c_unattend_options *o)
{
	for (xmlNodePtr c = w2c_ux_child(oobe, "component"); c; c = w2c_ux_next(c->next, "component")) {
		xmlNodePtr al = w2c_ux_child(c, "AutoLogon"), pw;
		char *user = w2c_ux_child_text(al, "Username"), *v;
		if (user && !w2c_strcasecmp(user, "Administrator") && (pw = w2c_ux_child(al, "Password"))) {
			v = o->password_plain ? w2c_strdup(o->admin_password)
					      : w2c_unattend_password_encode(o->admin_password, "Password");
			w2c_ux_set(ed, pw, "Value", v ? v : "");
			w2c_ux_set(ed, pw, "PlainText", o->password_plain ? "true" : "false");
			if (v)
				memset(v, 0, strlen(v));
			free(v);
		}
		free(user);
	}
}

static void merge_later_passes(ux_editor *ed, const w2c_unattend_options *o, const char *arch)
{
	xmlNodePtr s, c;

	if (o->driver_paths) {
		s = w2c_ux_ensure_settings(ed, "offlineServicing");
		w2c_ux_build_driver_paths(ed, w2c_ux_ensure_component(ed, s,
			"Microsoft-Windows-PnpCustomizationsNonWinPE", arch));
	}
	if (o->timezone || o->computer_name || o->rdp) {
		s = w2c_ux_ensure_settings(ed, "specialize");
		if (o->timezone || o->computer_name) {
			c = w2c_ux_ensure_component(ed, s, "Microsoft-Windows-Shell-Setup", arch);
			if (o->computer_name)
				w2c_ux_set(ed, c, "ComputerName", o->computer_name);
			if (o->timezone)
				w2c_ux_set(ed, c, "TimeZone", o->timezone);
		}
		if (o->rdp)
			w2c_ux_build_rdp(ed, s, arch);
	}
	if (o->admin_password) {
		s = w2c_ux_ensure_settings(ed, "oobeSystem");
		c = w2c_ux_ensure_component(ed, s, "Microsoft-Windows-Shell-Setup", arch);
		w2c_ux_build_admin_password(ed, c, o->admin_password, o->password_plain);
		sync_auto_logon(ed, s, o);
	}
}

w2c_code w2c_unattend_merge(const char *in, size_t in_len, const char *name,
			    const w2c_unattend_options *o, char **xml, size_t *len, w2c_error *err)
{
	char msg[512];
	xmlDocPtr doc;
	xmlNodePtr root;
	ux_spans *spans = NULL;
	ux_editor ed;
	w2c_code rc;
	bool crlf = in_len && memmem(in, in_len, "\r\n", 2) != NULL;

	if ((rc = w2c_ux_check_options(o, err)))
		return rc;
	doc = w2c_ux_parse_spans(in, in_len, name, msg, sizeof msg, &spans);
	if (!doc)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: %s", name, msg);
	root = xmlDocGetRootElement(doc);
	if (!w2c_ux_is(root, "unattend") || !root->ns ||
	    strcmp((const char *)root->ns->href, W2C_UNATTEND_NS)) {
		xmlFreeDoc(doc);
		w2c_ux_spans_free(spans);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: root element: expected <unattend xmlns=\"%s\">", name,
				     W2C_UNATTEND_NS);
	}
	w2c_ux_editor_init(&ed, doc);
	const char *arch = o->arch ? o->arch : file_arch(root);
	merge_windows_pe(&ed, o, arch);
	merge_later_passes(&ed, o, arch);
	rc = w2c_ux_dump_spliced(doc, spans, in, in_len, crlf, xml, len, err);
	xmlFreeDoc(doc);
	w2c_ux_spans_free(spans);
	return rc;
}

w2c_code w2c_unattend_put(w2c_node *root, const char *xml, size_t len, bool *replaced,
			  w2c_error *err)
{
	bool had = false;

	if (!root || !root->is_dir)
		return w2c_set_error(err, W2C_ERR_USAGE, "answer file: the media tree has no root");
	/* Setup looks for the name case-insensitively: drop any spelling. */
	for (w2c_node *old; (old = w2c_node_child(root, "autounattend.xml"));) {
		w2c_node_detach(old);
		w2c_node_free(old);
		had = true;
	}
	if (replaced)
		*replaced = had;
	return w2c_tree_put_memory(root, "/autounattend.xml", xml, len, err);
}
