/* Lint an answer file against windows-media spec §5.5 and the cloud's
 * password rule.  Findings name a rule id, an XPath and a fix, and never
 * carry a password, credential or product key. */
#include "inject/unattend/unattend_int.h"
#include "common/util.h"
#include "win2cloud/password.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATH_CHARS 259 /* DriverPaths/Path and RunSynchronousCommand/Path */

const char *w2c_severity_name(enum w2c_severity s)
{
	return s == W2C_SEV_ERROR ? "error" : s == W2C_SEV_WARNING ? "warning" : "info";
}

void w2c_lint_report_free(w2c_lint_report *r)
{
	for (size_t i = 0; r && i < r->n; i++) {
		free(r->items[i].xpath);
		free(r->items[i].message);
		free(r->items[i].fix);
	}
	if (r)
		free(r->items);
	if (r)
		memset(r, 0, sizeof *r);
}

/* One step of a readable XPath: settings and components by their keys,
 * other elements by position among same-named siblings when ambiguous. */
static char *xpath_step(const xmlNode *n)
{
	const char *name = (const char *)n->name;
	int pos = 0, count = 0;

	if (w2c_ux_is(n, "settings") && w2c_ux_attr(n, "pass"))
		return w2c_asprintf("settings[@pass='%s']", w2c_ux_attr(n, "pass"));
	if (w2c_ux_is(n, "component") && w2c_ux_attr(n, "name"))
		return w2c_asprintf("component[@name='%s'][@processorArchitecture='%s']",
				    w2c_ux_attr(n, "name"),
				    w2c_ux_attr(n, "processorArchitecture") ? w2c_ux_attr(n, "processorArchitecture")
									: "");
	for (const xmlNode *s = n->parent ? n->parent->children : n; s; s = s->next)
		if (s->type == XML_ELEMENT_NODE && !strcmp((const char *)s->name, name)) {
			count++;
			if (s == n)
				pos = count;
		}
	return count > 1 ? w2c_asprintf("%s[%d]", name, pos) : w2c_strdup(name);
}

static char *xpath_of(const xmlNode *n)
{
	char *path = w2c_strdup("");
	while (n && n->type != XML_ELEMENT_NODE)
		n = n->parent;
	for (; n && n->type == XML_ELEMENT_NODE && path; n = n->parent) {
		char *step = xpath_step(n), *p = step ? w2c_asprintf("/%s%s", step, path) : NULL;
		free(step);
		free(path);
		path = p;
	}
	return path && *path ? path : (free(path), w2c_strdup("/"));
}

void w2c_ux_report(ux_lint *lc, const char *rule, enum w2c_severity sev, const xmlNode *at,
	       const char *fix, const char *fmt, ...)
{
	w2c_lint_report *r = lc->r;
	w2c_finding *f;
	char msg[1024];
	va_list ap;

	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		w2c_finding *items = realloc(r->items, cap * sizeof *items);
		if (!items) {
			lc->oom = true;
			return;
		}
		r->items = items;
		r->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	f = &r->items[r->n++];
	f->rule = rule;
	f->severity = sev;
	f->xpath = at ? xpath_of(at) : w2c_strdup("/");
	f->line = at ? xmlGetLineNo(at) : 0;
	f->message = w2c_strdup(msg);
	f->fix = w2c_strdup(fix ? fix : "");
	if (!f->xpath || !f->message || !f->fix)
		lc->oom = true;
	if (sev == W2C_SEV_ERROR)
		r->errors++;
	else if (sev == W2C_SEV_WARNING)
		r->warnings++;
}

/* ---- document and namespaces ---- */

static void lint_wcm_bindings(ux_lint *lc, xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (xmlNsPtr ns = n->nsDef; ns; ns = ns->next)
			if (ns->prefix && !strcmp((const char *)ns->prefix, "wcm") &&
			    strcmp((const char *)ns->href, W2C_UNATTEND_WCM_NS))
				w2c_ux_report(lc, "xml.wcm-ns", W2C_SEV_ERROR, n,
					  "xmlns:wcm=\"" W2C_UNATTEND_WCM_NS "\"",
					  "prefix wcm is bound to '%s', expected '%s'",
					  (const char *)ns->href, W2C_UNATTEND_WCM_NS);
		lint_wcm_bindings(lc, n->children);
	}
}

/* ---- passwords ---- */

static void lint_password(ux_lint *lc, xmlNodePtr pw, const char *suffix, const char *user,
			  bool enforce_rule)
{
	char *plain = w2c_ux_child_text(pw, "PlainText"), *value = w2c_ux_child_text(pw, "Value");
	char *clear = NULL;
	const char *rule = NULL;
	w2c_error e;

	if (plain && strcmp(plain, "true") && strcmp(plain, "false"))
		w2c_ux_report(lc, "password.plaintext-value", W2C_SEV_ERROR, w2c_ux_child(pw, "PlainText"),
			  "use true or false", "PlainText must be 'true' or 'false'");
	if (!value) {
		w2c_ux_report(lc, "password.value", W2C_SEV_ERROR, pw, "add a <Value> element",
			  "%s has no <Value>", (const char *)pw->name);
	} else if (plain && !strcmp(plain, "false")) {
		clear = w2c_unattend_password_decode(value, suffix);
		if (!clear)
			w2c_ux_report(lc, "password.encoding", W2C_SEV_ERROR, w2c_ux_child(pw, "Value"),
				  "write the value with 'win2cloud unattend merge --admin-password-file'",
				  "PlainText is false but Value is not base64 of UTF-16LE text ending in "
				  "\"%s\" (value not shown)", suffix);
	} else {
		clear = w2c_strdup(value);
		w2c_ux_report(lc, "password.plaintext", W2C_SEV_WARNING, w2c_ux_child(pw, "Value"),
			  "store it obfuscated (PlainText false); anyone with the ISO can read it",
			  "password stored in plain text (value not shown)");
	}
	if (clear && w2c_password_check(clear, user, w2c_password_policy_image(), &rule, &e))
		w2c_ux_report(lc, rule ? rule : "password.rule",
			  enforce_rule ? W2C_SEV_ERROR : W2C_SEV_WARNING, pw,
			  "choose a password that meets the cloud's rule (8-26 characters, upper, "
			  "lower, digit and one of !@$%^-_=+[{}]:,./?, no user name)",
			  "password of '%s' breaks the cloud's rule: %s", user, e.message);
	if (clear)
		memset(clear, 0, strlen(clear));
	free(clear);
	if (value)
		memset(value, 0, strlen(value));
	free(value);
	free(plain);
}

static void lint_accounts(ux_lint *lc, xmlNodePtr comp)
{
	xmlNodePtr ua = w2c_ux_child(comp, "UserAccounts"), al = w2c_ux_child(comp, "AutoLogon");
	xmlNodePtr ap = w2c_ux_child(ua, "AdministratorPassword");

	if (ap)
		lint_password(lc, ap, "AdministratorPassword", "Administrator", true);
	for (xmlNodePtr la = w2c_ux_child(w2c_ux_child(ua, "LocalAccounts"), "LocalAccount"); la;
	     la = w2c_ux_next(la->next, "LocalAccount")) {
		char *user = w2c_ux_child_text(la, "Name");
		if (w2c_ux_child(la, "Password"))
			lint_password(lc, w2c_ux_child(la, "Password"), "Password", user ? user : "", false);
		free(user);
	}
	if (w2c_ux_child(al, "Password")) {
		char *user = w2c_ux_child_text(al, "Username");
		lint_password(lc, w2c_ux_child(al, "Password"), "Password", user ? user : "", false);
		free(user);
	}
}

/* ---- lists ---- */

/* The same folder listed under several drive letters is reported once. */
static bool tail_seen_before(xmlNodePtr dp, xmlNodePtr upto, const char *tail)
{
	bool seen = false;
	for (xmlNodePtr q = w2c_ux_child(dp, "PathAndCredentials"); q && q != upto && !seen;
	     q = w2c_ux_next(q->next, "PathAndCredentials")) {
		char *t = w2c_ux_child_text(q, "Path");
		const char *r = t;
		if (r && ((r[0] | 32) >= 'a' && (r[0] | 32) <= 'z') && r[1] == ':')
			r += 2;
		seen = r && !w2c_strcasecmp(r, tail);
		free(t);
	}
	return seen;
}

static void lint_driver_paths(ux_lint *lc, xmlNodePtr comp)
{
	xmlNodePtr dp = w2c_ux_child(comp, "DriverPaths");
	for (xmlNodePtr p = w2c_ux_child(dp, "PathAndCredentials"); p;
	     p = w2c_ux_next(p->next, "PathAndCredentials")) {
		char *kv = w2c_ux_wcm_attr(p, "keyValue"), *path = w2c_ux_child_text(p, "Path");
		for (xmlNodePtr q = w2c_ux_child(dp, "PathAndCredentials"); kv && q != p;
		     q = w2c_ux_next(q->next, "PathAndCredentials")) {
			char *k2 = w2c_ux_wcm_attr(q, "keyValue");
			if (k2 && !strcmp(k2, kv))
				w2c_ux_report(lc, "driverpath.key-duplicate", W2C_SEV_ERROR, p,
					  "give every PathAndCredentials its own wcm:keyValue",
					  "wcm:keyValue '%s' is used twice", kv);
			free(k2);
		}
		if (!kv)
			w2c_ux_report(lc, "driverpath.key-missing", W2C_SEV_ERROR, p,
				  "add wcm:action=\"add\" wcm:keyValue=\"N\"",
				  "PathAndCredentials without wcm:keyValue");
		if (!path || !*path)
			w2c_ux_report(lc, "driverpath.empty", W2C_SEV_ERROR, p, "give a directory",
				  "driver path is empty");
		else if (strlen(path) > MAX_PATH_CHARS)
			w2c_ux_report(lc, "path.length", W2C_SEV_ERROR, w2c_ux_child(p, "Path"),
				  "shorten the path", "driver path has %zu characters, at most %d allowed",
				  strlen(path), MAX_PATH_CHARS);
		else if (lc->t && lc->t->root) {
			/* Drive letters are unknown in WinPE: look the rest up on the media. */
			const char *rest = path;
			if (((rest[0] | 32) >= 'a' && (rest[0] | 32) <= 'z') && rest[1] == ':')
				rest += 2;
			char *unix_path = w2c_strdup(rest);
			for (char *c = unix_path; c && *c; c++)
				if (*c == '\\')
					*c = '/';
			if (unix_path && !w2c_tree_lookup(lc->t->root, unix_path) &&
			    !tail_seen_before(dp, p, rest))
				w2c_ux_report(lc, "driverpath.missing", W2C_SEV_WARNING, w2c_ux_child(p, "Path"),
					  "add the drivers to the media (win2cloud inject) or fix the path",
					  "driver path '%s' is not on the media (on any drive letter); it "
					  "must come from another drive", path);
			free(unix_path);
		}
		free(kv);
		free(path);
	}
}

/* Duplicate <Order> among @item children of @list (spec §5.5 item 9), and
 * command paths over the limit. */
static void lint_ordered(ux_lint *lc, xmlNodePtr list, const char *item, const char *path_el)
{
	for (xmlNodePtr a = w2c_ux_child(list, item); a; a = w2c_ux_next(a->next, item)) {
		char *oa = w2c_ux_child_text(a, "Order"), *cmd = path_el ? w2c_ux_child_text(a, path_el) : NULL;
		for (xmlNodePtr b = w2c_ux_child(list, item); oa && b != a; b = w2c_ux_next(b->next, item)) {
			char *ob = w2c_ux_child_text(b, "Order");
			if (ob && !strcmp(oa, ob))
				w2c_ux_report(lc, "order.duplicate", W2C_SEV_ERROR, a,
					  "number the commands 1, 2, 3 ... without repeats",
					  "Order %s is used twice in %s", oa, (const char *)list->name);
			free(ob);
		}
		if (!oa)
			w2c_ux_report(lc, "order.missing", W2C_SEV_ERROR, a, "add <Order>N</Order>",
				  "%s without <Order>", item);
		if (cmd && strlen(cmd) > MAX_PATH_CHARS)
			w2c_ux_report(lc, "path.length", W2C_SEV_ERROR, w2c_ux_child(a, path_el),
				  "move the command into a script and run that",
				  "command has %zu characters, at most %d allowed", strlen(cmd),
				  MAX_PATH_CHARS);
		free(oa);
		free(cmd);
	}
}

static bool product_key_form(const char *k)
{
	if (strlen(k) != 29)
		return false;
	for (int i = 0; i < 29; i++)
		if (i % 6 == 5 ? k[i] != '-' : !((k[i] >= '0' && k[i] <= '9') ||
						  ((k[i] | 32) >= 'a' && (k[i] | 32) <= 'z')))
			return false;
	return true;
}

static void lint_product_key(ux_lint *lc, xmlNodePtr el)
{
	/* <ProductKey><Key>..</Key></ProductKey> in windowsPE, plain text in
	 * Shell-Setup; a ProductKey with other children but no Key has none. */
	xmlNodePtr k = w2c_ux_child(el, "Key");
	bool has_el = false;
	for (xmlNodePtr c = el->children; c; c = c->next)
		has_el |= c->type == XML_ELEMENT_NODE;
	if (!k && has_el)
		return;
	if (!k)
		k = el;
	char *key = w2c_ux_text(k);
	if (key && *key && !product_key_form(key))
		w2c_ux_report(lc, "productkey.format", W2C_SEV_ERROR, k,
			  "use the form XXXXX-XXXXX-XXXXX-XXXXX-XXXXX, or remove it for evaluation media",
			  "product key is not of the form XXXXX-XXXXX-XXXXX-XXXXX-XXXXX (value not shown)");
	free(key);
}

/* ---- components ---- */

/* Exact values per spec §5.5 item 3; a case-only difference is common in
 * working files (e.g. "NonSxS"), so it is a warning. */
static void identity_attr(ux_lint *lc, xmlNodePtr c, const char *attr, const char *have,
			  const char *want)
{
	char fix[128];
	snprintf(fix, sizeof fix, "%s=\"%s\"", attr, want);
	if (!have || w2c_strcasecmp(have, want))
		w2c_ux_report(lc, "component.identity", W2C_SEV_ERROR, c, fix, "%s is '%s', expected '%s'",
			  attr, have ? have : "(missing)", want);
	else if (strcmp(have, want))
		w2c_ux_report(lc, "component.identity-case", W2C_SEV_WARNING, c, fix,
			  "%s is '%s', expected exactly '%s'", attr, have, want);
}

static void lint_identity(ux_lint *lc, xmlNodePtr c, xmlNodePtr settings)
{
	const char *name = w2c_ux_attr(c, "name"), *arch = w2c_ux_attr(c, "processorArchitecture");
	const char *tok = w2c_ux_attr(c, "publicKeyToken"), *lang = w2c_ux_attr(c, "language");
	const char *vs = w2c_ux_attr(c, "versionScope");

	if (!name)
		w2c_ux_report(lc, "component.identity", W2C_SEV_ERROR, c, "add name=\"...\"",
			  "component without a name");
	if (!w2c_ux_arch_valid(arch))
		w2c_ux_report(lc, "component.arch", W2C_SEV_ERROR, c,
			  "set processorArchitecture to amd64, x86, arm64 or wow64",
			  "processorArchitecture '%s' is not an architecture", arch ? arch : "(missing)");
	identity_attr(lc, c, "publicKeyToken", tok, W2C_UNATTEND_TOKEN);
	identity_attr(lc, c, "language", lang, "neutral");
	identity_attr(lc, c, "versionScope", vs, "nonSxS");
	for (xmlNodePtr p = w2c_ux_child(settings, "component"); name && p != c;
	     p = w2c_ux_next(p->next, "component")) {
		const char *pn = w2c_ux_attr(p, "name"), *pa = w2c_ux_attr(p, "processorArchitecture");
		if (pn && !w2c_strcasecmp(pn, name) && ((!pa && !arch) || (pa && arch && !strcmp(pa, arch))))
			w2c_ux_report(lc, "component.duplicate", W2C_SEV_ERROR, c,
				  "merge the two blocks into one",
				  "component %s (%s) appears twice in this pass", name, arch ? arch : "?");
	}
}

/* A component whose arch differs from the image's is skipped silently by
 * Setup (spec §5.2) unless a twin for the right arch exists. */
static void lint_arch_match(ux_lint *lc, xmlNodePtr c, xmlNodePtr settings)
{
	const char *name = w2c_ux_attr(c, "name"), *arch = w2c_ux_attr(c, "processorArchitecture");
	const char *want = lc->image_arch;

	if (!want || !name || !arch || !strcmp(arch, want))
		return;
	if (!strcmp(arch, "wow64") && (!strcmp(want, "amd64") || !strcmp(want, "arm64")))
		return;
	if (w2c_ux_component(settings, name, want))
		return;
	w2c_ux_report(lc, "component.arch-mismatch", W2C_SEV_ERROR, c,
		  "set processorArchitecture to the image's architecture",
		  "processorArchitecture '%s' does not match the install image (%s): Setup skips "
		  "this component", arch, want);
}

static void lint_component(ux_lint *lc, xmlNodePtr c, xmlNodePtr settings, unsigned pass)
{
	const char *name = w2c_ux_attr(c, "name");
	bool strict = false;
	unsigned ok = w2c_ux_component_passes(name, &strict);

	lint_identity(lc, c, settings);
	lint_arch_match(lc, c, settings);
	if (name && !ok)
		w2c_ux_report(lc, "component.unknown", W2C_SEV_INFO, c, "check the name against the "
			  "unattend reference", "component %s is not in win2cloud's table", name);
	else if (name && pass && !(ok & pass))
		w2c_ux_report(lc, "component.pass", strict ? W2C_SEV_ERROR : W2C_SEV_WARNING, c,
			  "move it to a pass where it is valid",
			  "component %s is not valid in pass %s; Setup ignores it there", name,
			  w2c_ux_attr(settings, "pass"));
	if (w2c_ux_child(c, "UserAccounts") && pass && !(pass & (UX_OOBESYSTEM | UX_AUDITSYSTEM)))
		w2c_ux_report(lc, "component.pass", W2C_SEV_ERROR, w2c_ux_child(c, "UserAccounts"),
			  "move UserAccounts to the oobeSystem pass",
			  "UserAccounts is only valid in oobeSystem or auditSystem");
	lint_accounts(lc, c);
	lint_driver_paths(lc, c);
	lint_ordered(lc, w2c_ux_child(c, "RunSynchronous"), "RunSynchronousCommand", "Path");
	lint_ordered(lc, w2c_ux_child(c, "FirstLogonCommands"), "SynchronousCommand", NULL);
	lint_ordered(lc, w2c_ux_child(c, "LogonCommands"), "AsynchronousCommand", NULL);
	if (w2c_ux_child(c, "ProductKey"))
		lint_product_key(lc, w2c_ux_child(c, "ProductKey"));
	if (w2c_ux_child(w2c_ux_child(c, "UserData"), "ProductKey"))
		lint_product_key(lc, w2c_ux_child(w2c_ux_child(c, "UserData"), "ProductKey"));
	if (name && !w2c_strcasecmp(name, "Microsoft-Windows-Setup"))
		w2c_ux_lint_setup(lc, c);
}

static void lint_settings(ux_lint *lc, xmlNodePtr root)
{
	unsigned seen = 0;
	bool has_admin_pw = false, has_pe = false;

	for (xmlNodePtr s = w2c_ux_child(root, "settings"); s; s = w2c_ux_next(s->next, "settings")) {
		const char *pass = w2c_ux_attr(s, "pass");
		unsigned bit = w2c_ux_pass_bit(pass);
		if (!bit)
			w2c_ux_report(lc, "pass.unknown", W2C_SEV_ERROR, s,
				  "use windowsPE, offlineServicing, generalize, specialize, "
				  "auditSystem, auditUser or oobeSystem (exact case)",
				  "unknown pass '%s'", pass ? pass : "(missing)");
		else if (seen & bit)
			w2c_ux_report(lc, "pass.duplicate", W2C_SEV_ERROR, s,
				  "merge both blocks into one", "pass %s appears twice", pass);
		seen |= bit;
		has_pe |= bit == UX_WINDOWSPE;
		for (xmlNodePtr c = w2c_ux_child(s, "component"); c; c = w2c_ux_next(c->next, "component")) {
			lint_component(lc, c, s, bit);
			has_admin_pw |= w2c_ux_child(w2c_ux_child(c, "UserAccounts"), "AdministratorPassword") != NULL;
		}
	}
	if (has_pe && !has_admin_pw)
		w2c_ux_report(lc, "password.missing", W2C_SEV_WARNING, root,
			  "add oobeSystem/Microsoft-Windows-Shell-Setup/UserAccounts/AdministratorPassword "
			  "(win2cloud unattend merge --admin-password-file F)",
			  "no Administrator password: Setup stops and asks for one on Server editions");
}

w2c_code w2c_unattend_lint(const char *data, size_t len, const w2c_lint_options *o,
			   w2c_lint_report *report, w2c_error *err)
{
	static const w2c_lint_options none = { 0 };
	ux_lint lc = { report, o ? o : &none, NULL, NULL, false };
	char msg[512];
	bool ns_ok;
	xmlDocPtr doc;
	xmlNodePtr root;

	memset(report, 0, sizeof *report);
	lc.t = lc.o->target;
	doc = w2c_ux_parse(data, len, "answer file", msg, sizeof msg, &ns_ok);
	if (!doc) {
		w2c_ux_report(&lc, "xml.parse", W2C_SEV_ERROR, NULL, "fix the XML syntax",
			  "not well-formed XML: %s", msg);
		return lc.oom ? w2c_set_error(err, W2C_ERR_NOMEM, "out of memory") : W2C_OK;
	}
	root = xmlDocGetRootElement(doc);
	if (!w2c_ux_is(root, "unattend") || !root->ns ||
	    strcmp((const char *)root->ns->href, W2C_UNATTEND_NS))
		w2c_ux_report(&lc, "xml.root", W2C_SEV_ERROR, root,
			  "<unattend xmlns=\"" W2C_UNATTEND_NS "\">",
			  "root element must be <unattend> in namespace %s", W2C_UNATTEND_NS);
	if (!ns_ok)
		w2c_ux_report(&lc, "xml.namespace", W2C_SEV_ERROR, root,
			  "declare xmlns:wcm=\"" W2C_UNATTEND_WCM_NS "\" on the root",
			  "a namespace prefix is used without being declared");
	lint_wcm_bindings(&lc, root);
	if (w2c_ux_is(root, "unattend")) {
		w2c_ux_lint_resolve_arch(&lc, root);
		lint_settings(&lc, root);
		if (lc.o->install)
			w2c_ux_lint_install(&lc, root);
	}
	xmlFreeDoc(doc);
	return lc.oom ? w2c_set_error(err, W2C_ERR_NOMEM, "out of memory while linting") : W2C_OK;
}
