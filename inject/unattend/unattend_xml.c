/* Answer-file basics: pass and component tables, safe parsing, serializing
 * as the input was, element helpers and indentation-aware edits. */
#include "inject/unattend/unattend_int.h"
#include "common/util.h"

#include <libxml/xmlsave.h>
#include <stdlib.h>
#include <string.h>

static const char *const pass_names[] = {
	"windowsPE", "offlineServicing", "generalize", "specialize",
	"auditSystem", "auditUser", "oobeSystem",
};

unsigned w2c_ux_pass_bit(const char *name)
{
	for (size_t i = 0; name && i < sizeof pass_names / sizeof pass_names[0]; i++)
		if (!strcmp(name, pass_names[i]))
			return 1u << i;
	return 0;
}

/* Where components are valid, from Microsoft's unattend reference; "strict"
 * rows are the ones spec §5.2/§5.5 names.  A component not listed is only
 * reported as unknown (info). */
static const struct {
	const char *name;
	unsigned passes;
	bool strict;
} components[] = {
	{ "Microsoft-Windows-Setup", UX_WINDOWSPE, true },
	{ "Microsoft-Windows-International-Core-WinPE", UX_WINDOWSPE, true },
	{ "Microsoft-Windows-PnpCustomizationsWinPE", UX_WINDOWSPE, true },
	{ "Microsoft-Windows-PnpCustomizationsNonWinPE", UX_OFFLINESERVICING | UX_AUDITSYSTEM, true },
	{ "Microsoft-Windows-International-Core", UX_SPECIALIZE | UX_OOBESYSTEM | UX_AUDITSYSTEM, false },
	{ "Microsoft-Windows-Shell-Setup",
	  UX_OFFLINESERVICING | UX_GENERALIZE | UX_SPECIALIZE | UX_AUDITSYSTEM | UX_AUDITUSER |
		  UX_OOBESYSTEM, false },
	{ "Microsoft-Windows-Deployment",
	  UX_GENERALIZE | UX_SPECIALIZE | UX_AUDITSYSTEM | UX_AUDITUSER | UX_OOBESYSTEM, false },
	{ "Microsoft-Windows-TerminalServices-LocalSessionManager",
	  UX_OFFLINESERVICING | UX_GENERALIZE | UX_SPECIALIZE, false },
	{ "Microsoft-Windows-TerminalServices-RDP-WinStationExtensions",
	  UX_GENERALIZE | UX_SPECIALIZE, false },
	{ "Networking-MPSSVC-Svc", UX_GENERALIZE | UX_SPECIALIZE, false },
	{ "Microsoft-Windows-UnattendedJoin", UX_SPECIALIZE, false },
	{ "Microsoft-Windows-IE-ESC", UX_SPECIALIZE, false },
	{ "Microsoft-Windows-ServerManager-SvrMgrNc", UX_SPECIALIZE, false },
	{ "Microsoft-Windows-OutOfBoxExperience", UX_SPECIALIZE, false },
	{ "Microsoft-Windows-PnpSysprep", UX_GENERALIZE, false },
	{ "Microsoft-Windows-Security-SPP", UX_GENERALIZE | UX_SPECIALIZE, false },
	{ "Microsoft-Windows-Security-SPP-UX", UX_SPECIALIZE, false },
	{ "Microsoft-Windows-SystemRestore-Main", UX_SPECIALIZE, false },
	{ "Microsoft-Windows-TCPIP", UX_SPECIALIZE, false },
	{ "Microsoft-Windows-DNS-Client", UX_SPECIALIZE, false },
};

unsigned w2c_ux_component_passes(const char *name, bool *strict)
{
	for (size_t i = 0; name && i < sizeof components / sizeof components[0]; i++)
		/* Setup matches component names case-insensitively (PnPSysprep
		 * and PnpSysprep both appear in the wild). */
		if (!w2c_strcasecmp(name, components[i].name)) {
			if (strict)
				*strict = components[i].strict;
			return components[i].passes;
		}
	return 0;
}

bool w2c_ux_arch_valid(const char *arch)
{
	static const char *const ok[] = { "amd64", "x86", "arm64", "wow64" };
	for (size_t i = 0; arch && i < sizeof ok / sizeof ok[0]; i++)
		if (!strcmp(arch, ok[i]))
			return true;
	return false;
}

xmlDocPtr w2c_ux_parse(const char *data, size_t len, const char *name, char *msg, size_t msgsz,
		   bool *ns_ok)
{
	xmlParserCtxtPtr ctx = xmlNewParserCtxt();
	xmlDocPtr doc;

	if (ns_ok)
		*ns_ok = true;
	if (!ctx) {
		snprintf(msg, msgsz, "out of memory");
		return NULL;
	}
	if (len > (size_t)1 << 30)
		len = (size_t)1 << 30; /* libxml2 takes an int */
	/* No network, no DTD loading, no entity substitution: an answer file
	 * needs none of them and they are how XML attacks work. */
	doc = xmlCtxtReadMemory(ctx, data, (int)len, name, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc && !ctx->wellFormed) {
		xmlFreeDoc(doc);
		doc = NULL;
	}
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctx);
		char m[256] = "not well-formed XML";
		if (e && e->message) {
			snprintf(m, sizeof m, "%s", e->message);
			m[strcspn(m, "\n")] = 0;
		}
		snprintf(msg, msgsz, "line %d: %s", e ? e->line : 0, m);
	} else if (ns_ok) {
		*ns_ok = ctx->nsWellFormed != 0;
	}
	xmlFreeParserCtxt(ctx);
	return doc;
}

w2c_code w2c_ux_dump(xmlDocPtr doc, bool crlf, char **out, size_t *len, w2c_error *err)
{
	xmlChar *buf = NULL;
	int n = 0;
	size_t extra = 0;
	char *res;

	if (doc->encoding && w2c_strcasecmp((const char *)doc->encoding, "utf-8")) {
		xmlFree((xmlChar *)doc->encoding);
		doc->encoding = xmlStrdup(BAD_CAST "utf-8");
	}
	xmlDocDumpMemoryEnc(doc, &buf, &n, doc->encoding ? (const char *)doc->encoding : "utf-8");
	if (!buf)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory serializing the answer file");
	for (int i = 0; crlf && i < n; i++)
		extra += buf[i] == '\n';
	res = malloc((size_t)n + extra + 1);
	if (!res) {
		xmlFree(buf);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	size_t k = 0;
	for (int i = 0; i < n; i++) {
		if (crlf && buf[i] == '\n')
			res[k++] = '\r';
		res[k++] = (char)buf[i];
	}
	res[k] = 0;
	xmlFree(buf);
	*out = res;
	*len = k;
	return W2C_OK;
}

bool w2c_ux_is(const xmlNode *n, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, local);
}

xmlNodePtr w2c_ux_next(xmlNodePtr from, const char *local)
{
	for (xmlNodePtr c = from; c; c = c->next)
		if (w2c_ux_is(c, local))
			return c;
	return NULL;
}

xmlNodePtr w2c_ux_child(const xmlNode *parent, const char *local)
{
	return parent ? w2c_ux_next(parent->children, local) : NULL;
}

char *w2c_ux_text(const xmlNode *n)
{
	xmlChar *t;
	char *s, *b, *e;

	if (!n)
		return NULL;
	t = xmlNodeGetContent(n);
	if (!t)
		return w2c_strdup("");
	for (b = (char *)t; *b == ' ' || *b == '\t' || *b == '\r' || *b == '\n'; b++)
		;
	e = b + strlen(b);
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	s = w2c_strndup(b, (size_t)(e - b));
	xmlFree(t);
	return s;
}

char *w2c_ux_child_text(const xmlNode *parent, const char *local)
{
	return w2c_ux_text(w2c_ux_child(parent, local));
}

const char *w2c_ux_attr(const xmlNode *n, const char *name)
{
	for (xmlAttrPtr a = n ? n->properties : NULL; a; a = a->next)
		if (!a->ns && !strcmp((const char *)a->name, name) && a->children &&
		    a->children->type == XML_TEXT_NODE)
			return (const char *)a->children->content;
	return NULL;
}

char *w2c_ux_wcm_attr(const xmlNode *n, const char *local)
{
	xmlChar *v = xmlGetNsProp(n, BAD_CAST local, BAD_CAST W2C_UNATTEND_WCM_NS);
	char *s = v ? w2c_strdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

xmlNodePtr w2c_ux_settings(xmlNodePtr root, const char *pass)
{
	for (xmlNodePtr s = w2c_ux_child(root, "settings"); s; s = w2c_ux_next(s->next, "settings")) {
		const char *p = w2c_ux_attr(s, "pass");
		if (p && !strcmp(p, pass))
			return s;
	}
	return NULL;
}

xmlNodePtr w2c_ux_component(xmlNodePtr settings, const char *name, const char *arch)
{
	for (xmlNodePtr c = w2c_ux_child(settings, "component"); c; c = w2c_ux_next(c->next, "component")) {
		const char *n = w2c_ux_attr(c, "name"), *a = w2c_ux_attr(c, "processorArchitecture");
		if (n && !w2c_strcasecmp(n, name) && (!arch || (a && !strcmp(a, arch))))
			return c;
	}
	return NULL;
}

/* ---- editing ---- */

/* The whitespace text right before @n, if it holds a line break. */
static const char *indent_before(const xmlNode *n)
{
	const xmlNode *p = n ? n->prev : NULL;
	const char *s, *nl;
	if (!p || p->type != XML_TEXT_NODE || !p->content)
		return NULL;
	s = (const char *)p->content;
	if (s[strspn(s, " \t\r\n")] || !(nl = strrchr(s, '\n')))
		return NULL;
	return nl + 1;
}

void w2c_ux_editor_init(ux_editor *ed, xmlDocPtr doc)
{
	xmlNodePtr root = xmlDocGetRootElement(doc);
	xmlNodePtr first = NULL;
	const char *ind;

	memset(ed, 0, sizeof *ed);
	ed->doc = doc;
	ed->ns = root ? root->ns : NULL;
	ed->unit = "  ";
	for (xmlNodePtr c = root ? root->children : NULL; c && !first; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			first = c;
	ind = indent_before(first);
	ed->pretty = ind != NULL;
	if (ind && *ind == '\t')
		ed->unit = "\t";
	else if (ind && strlen(ind) >= 4)
		ed->unit = "    ";
}

/* True when @parent holds only whitespace text (or nothing). */
static bool only_blank(const xmlNode *parent)
{
	for (const xmlNode *c = parent->children; c; c = c->next) {
		if (c->type != XML_TEXT_NODE || !c->content)
			return false;
		if (((const char *)c->content)[strspn((const char *)c->content, " \t\r\n")])
			return false;
	}
	return true;
}

xmlNodePtr w2c_ux_append(ux_editor *ed, xmlNodePtr parent, const char *local, const char *text)
{
	xmlNodePtr n = xmlNewDocNode(ed->doc, ed->ns, BAD_CAST local, NULL);
	xmlNodePtr last_el = NULL;
	const char *pind;

	if (text)
		xmlNodeAddContent(n, BAD_CAST text);
	for (xmlNodePtr c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			last_el = c;
	pind = indent_before(parent);
	if (ed->pretty && last_el && indent_before(last_el)) {
		/* After the last element, with its indentation; any closing
		 * whitespace stays after us. */
		char *ws = w2c_asprintf("\n%s", indent_before(last_el));
		xmlAddNextSibling(last_el, n);
		xmlAddPrevSibling(n, xmlNewText(BAD_CAST ws));
		free(ws);
	} else if (ed->pretty && !last_el && only_blank(parent)) {
		char *ws = w2c_asprintf("\n%s%s", pind ? pind : "", ed->unit);
		char *end = w2c_asprintf("\n%s", pind ? pind : "");
		while (parent->children) {
			xmlNodePtr t = parent->children;
			xmlUnlinkNode(t);
			xmlFreeNode(t);
		}
		xmlAddChild(parent, xmlNewText(BAD_CAST ws));
		xmlAddChild(parent, n);
		xmlAddChild(parent, xmlNewText(BAD_CAST end));
		free(ws);
		free(end);
	} else if (last_el) {
		xmlAddNextSibling(last_el, n);
	} else {
		xmlAddChild(parent, n);
	}
	return n;
}

xmlNodePtr w2c_ux_ensure(ux_editor *ed, xmlNodePtr parent, const char *local)
{
	xmlNodePtr c = w2c_ux_child(parent, local);
	return c ? c : w2c_ux_append(ed, parent, local, NULL);
}

xmlNodePtr w2c_ux_set(ux_editor *ed, xmlNodePtr parent, const char *local, const char *text)
{
	xmlNodePtr c = w2c_ux_child(parent, local);
	if (!c)
		return w2c_ux_append(ed, parent, local, text);
	xmlNodeSetContent(c, NULL);
	xmlNodeAddContent(c, BAD_CAST text);
	return c;
}

void w2c_ux_set_wcm(xmlNodePtr n, const char *local, const char *value)
{
	xmlNsPtr ns = xmlSearchNsByHref(n->doc, n, BAD_CAST W2C_UNATTEND_WCM_NS);
	if (!ns) {
		/* Declare it where the user's file would: on the component. */
		xmlNodePtr at = n;
		while (at->parent && at->parent->type == XML_ELEMENT_NODE && !w2c_ux_is(at, "component"))
			at = at->parent;
		ns = xmlNewNs(at, BAD_CAST W2C_UNATTEND_WCM_NS, BAD_CAST "wcm");
		if (!ns) /* prefix "wcm" taken by another URI */
			ns = xmlNewNs(at, BAD_CAST W2C_UNATTEND_WCM_NS, BAD_CAST "w2cwcm");
	}
	xmlSetNsProp(n, ns, BAD_CAST local, BAD_CAST value);
}

xmlNodePtr w2c_ux_ensure_settings(ux_editor *ed, const char *pass)
{
	xmlNodePtr root = xmlDocGetRootElement(ed->doc), s = w2c_ux_settings(root, pass);
	if (s)
		return s;
	s = w2c_ux_append(ed, root, "settings", NULL);
	xmlSetProp(s, BAD_CAST "pass", BAD_CAST pass);
	return s;
}

xmlNodePtr w2c_ux_ensure_component(ux_editor *ed, xmlNodePtr settings, const char *name,
			       const char *arch)
{
	xmlNodePtr c = w2c_ux_component(settings, name, arch);
	if (c)
		return c;
	c = w2c_ux_append(ed, settings, "component", NULL);
	xmlSetProp(c, BAD_CAST "name", BAD_CAST name);
	xmlSetProp(c, BAD_CAST "processorArchitecture", BAD_CAST arch);
	xmlSetProp(c, BAD_CAST "publicKeyToken", BAD_CAST W2C_UNATTEND_TOKEN);
	xmlSetProp(c, BAD_CAST "language", BAD_CAST "neutral");
	xmlSetProp(c, BAD_CAST "versionScope", BAD_CAST "nonSxS");
	return c;
}

/* Any Password/AdministratorPassword with a non-empty Value, at any depth
 * (bounded: answer files nest a handful of levels). */
static bool holds_password(const xmlNode *n, unsigned depth)
{
	for (const xmlNode *c = n ? n->children : NULL; c && depth < 64; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (w2c_ux_is(c, "Password") || w2c_ux_is(c, "AdministratorPassword")) {
			char *v = w2c_ux_child_text(c, "Value");
			bool set = v && *v;
			free(v);
			if (set)
				return true;
		}
		if (holds_password(c, depth + 1))
			return true;
	}
	return false;
}

bool w2c_unattend_has_password(const char *xml, size_t len)
{
	char msg[128];
	bool ns_ok;
	xmlDocPtr doc = w2c_ux_parse(xml, len, "answer file", msg, sizeof msg, &ns_ok);
	/* unparsable: assume it may hold one, the safe side for file modes */
	bool pw = !doc || holds_password((const xmlNode *)doc, 0);
	xmlFreeDoc(doc);
	return pw;
}
