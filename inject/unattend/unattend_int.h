/* Internal helpers shared by the answer-file generator, merger and linter. */
#ifndef W2C_INJECT_UNATTEND_INT_H
#define W2C_INJECT_UNATTEND_INT_H

#include "win2cloud/unattend.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>

/* The seven configuration passes, as bits. */
enum ux_pass {
	UX_WINDOWSPE = 1 << 0,
	UX_OFFLINESERVICING = 1 << 1,
	UX_GENERALIZE = 1 << 2,
	UX_SPECIALIZE = 1 << 3,
	UX_AUDITSYSTEM = 1 << 4,
	UX_AUDITUSER = 1 << 5,
	UX_OOBESYSTEM = 1 << 6,
};

/* Bit of a pass name (exact case, as Setup requires), 0 if unknown. */
unsigned w2c_ux_pass_bit(const char *name);
/* Passes a known component is valid in; 0 if not in our table.  *strict
 * says the spec names it (error when misplaced), else a warning. */
unsigned w2c_ux_component_passes(const char *name, bool *strict);
bool w2c_ux_arch_valid(const char *arch);

/* Parse @data without network or entity expansion; NULL with @msg filled
 * ("line N: ...") when not well-formed.  *ns_ok is false when a prefix was
 * undeclared. */
xmlDocPtr w2c_ux_parse(const char *data, size_t len, const char *name, char *msg, size_t msgsz,
		   bool *ns_ok);
/* Serialize as the input was: its encoding when UTF-8, CRLF when @crlf. */
w2c_code w2c_ux_dump(xmlDocPtr doc, bool crlf, char **out, size_t *len, w2c_error *err);

/* Where each parsed element sits in the input, for byte-preserving output. */
typedef struct ux_spans ux_spans;
/* Parse like w2c_ux_parse; *spans (free with w2c_ux_spans_free) is NULL when the input
 * cannot be written back byte-preserving (not UTF-8, ...). */
xmlDocPtr w2c_ux_parse_spans(const char *data, size_t len, const char *name, char *msg, size_t msgsz,
			 ux_spans **spans);
void w2c_ux_spans_free(ux_spans *s);
/* Write @doc (parsed from @in with @s, then edited): untouched subtrees as
 * their input bytes, new nodes by libxml2.  Falls back to w2c_ux_dump. */
w2c_code w2c_ux_dump_spliced(xmlDocPtr doc, ux_spans *s, const char *in, size_t in_len, bool crlf,
			 char **out, size_t *len, w2c_error *err);

/* Element helpers; names are local names, compared exactly. */
bool w2c_ux_is(const xmlNode *n, const char *local);
xmlNodePtr w2c_ux_child(const xmlNode *parent, const char *local);
xmlNodePtr w2c_ux_next(xmlNodePtr from, const char *local); /* next sibling named @local */
/* Trimmed text of an element (new string) or NULL when absent. */
char *w2c_ux_text(const xmlNode *n);
char *w2c_ux_child_text(const xmlNode *parent, const char *local);
const char *w2c_ux_attr(const xmlNode *n, const char *name); /* no namespace; borrowed */
/* wcm:@local of @n; new string or NULL. */
char *w2c_ux_wcm_attr(const xmlNode *n, const char *local);

/* The settings block for @pass, or NULL. */
xmlNodePtr w2c_ux_settings(xmlNodePtr root, const char *pass);
/* The component @name for @arch in @settings (arch NULL: any), or NULL. */
xmlNodePtr w2c_ux_component(xmlNodePtr settings, const char *name, const char *arch);

/* Appending with indentation that follows the surrounding document. */
typedef struct ux_editor {
	xmlDocPtr doc;
	xmlNsPtr ns;      /* unattend namespace of the root */
	const char *unit; /* one level of indentation */
	bool pretty;      /* false when the file has no whitespace layout */
} ux_editor;

void w2c_ux_editor_init(ux_editor *ed, xmlDocPtr doc);
/* Append a new element @local (with @text if not NULL) as last child of @parent. */
xmlNodePtr w2c_ux_append(ux_editor *ed, xmlNodePtr parent, const char *local, const char *text);
/* The child @local of @parent, appended when missing. */
xmlNodePtr w2c_ux_ensure(ux_editor *ed, xmlNodePtr parent, const char *local);
/* Set the text content of the child @local (created when missing). */
xmlNodePtr w2c_ux_set(ux_editor *ed, xmlNodePtr parent, const char *local, const char *text);
/* Set wcm:@local="@value" on @n, declaring wcm where needed. */
void w2c_ux_set_wcm(xmlNodePtr n, const char *local, const char *value);
/* Settings block / component, created at the right place when missing. */
xmlNodePtr w2c_ux_ensure_settings(ux_editor *ed, const char *pass);
xmlNodePtr w2c_ux_ensure_component(ux_editor *ed, xmlNodePtr settings, const char *name,
			       const char *arch);

/* Shared generation parts, also used by merge. */
void w2c_ux_build_driver_paths(ux_editor *ed, xmlNodePtr component);
void w2c_ux_build_admin_password(ux_editor *ed, xmlNodePtr shell_setup, const char *password,
			     bool plain);
void w2c_ux_build_rdp(ux_editor *ed, xmlNodePtr specialize, const char *arch);
w2c_code w2c_ux_check_options(const w2c_unattend_options *o, w2c_error *err);
/* The first-logon steps of an install route (unattend_firstlogon.c). */
bool w2c_ux_wants_first_logon(const w2c_unattend_options *o);
w2c_code w2c_ux_check_first_logon(const w2c_unattend_options *o, w2c_error *err);
/* AutoLogon once as Administrator and FirstLogonCommands: DHCP, Cloudbase-Init, final step. */
void w2c_ux_build_first_logon(ux_editor *ed, xmlNodePtr shell_setup, const w2c_unattend_options *o);

/* Lint state shared by unattend_lint.c and unattend_lint_setup.c. */
typedef struct ux_lint {
	w2c_lint_report *r;
	const w2c_lint_options *o;
	const w2c_unattend_target *t; /* NULL without --for */
	const char *image_arch;       /* arch of the selected edition(s), or NULL */
	bool oom;
} ux_lint;

void w2c_ux_report(ux_lint *lc, const char *rule, enum w2c_severity sev, const xmlNode *at,
	       const char *fix, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Disk layout, InstallTo and image selection of one Microsoft-Windows-Setup. */
void w2c_ux_lint_setup(ux_lint *lc, xmlNodePtr setup);
/* Install-route rules (lint option install): clicks and the final power-off. */
void w2c_ux_lint_install(ux_lint *lc, xmlNodePtr root);
/* The editions the selector of @setup picks (all when none); sets lc->image_arch. */
void w2c_ux_lint_resolve_arch(ux_lint *lc, xmlNodePtr root);

#endif
