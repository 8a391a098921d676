/* Lint rules of the install route (w2c_lint_options.install): `win2cloud
 * install` has nobody at the console, so every page that waits for a click is
 * an error, and so is an install whose last step does not power off (the
 * power-off is how it knows Setup has finished). */
#include "inject/unattend/unattend_int.h"
#include "common/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool has_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; hay && *hay; hay++)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

/* shutdown /s or /p, sysprep ... /shutdown, PowerShell Stop-Computer */
static bool powers_off(const char *cmd)
{
	if (has_ci(cmd, "sysprep"))
		return has_ci(cmd, "/shutdown");
	return (has_ci(cmd, "shutdown") && (has_ci(cmd, "/s") || has_ci(cmd, "-s") || has_ci(cmd, "/p"))) ||
	       has_ci(cmd, "stop-computer");
}

struct install_scan {
	bool poweroff, poweroff_in_pass; /* found; found outside a logon */
	xmlNodePtr logon_poweroff;
};

static void scan_command(ux_lint *lc, struct install_scan *sc, xmlNodePtr item, const char *el,
			 bool at_logon)
{
	char *cmd = w2c_ux_child_text(item, el);
	if (!cmd)
		return;
	if (powers_off(cmd)) {
		sc->poweroff = true;
		sc->poweroff_in_pass |= !at_logon;
		if (at_logon && !sc->logon_poweroff)
			sc->logon_poweroff = item;
	}
	if (has_ci(cmd, "sysprep") && has_ci(cmd, "/reboot"))
		w2c_ux_report(lc, "install.sysprep-reboot", W2C_SEV_ERROR, item,
			  "use sysprep /generalize /oobe /shutdown (win2cloud unattend new --generalize)",
			  "sysprep /reboot starts the machine again instead of powering it off");
	if (has_ci(cmd, "msiexec") && !has_ci(cmd, "/qn") && !has_ci(cmd, "/quiet") &&
	    !has_ci(cmd, "/passive"))
		w2c_ux_report(lc, "install.msiexec", W2C_SEV_ERROR, item, "add /qn /norestart",
			  "msiexec without /qn shows its wizard and waits for a click");
	free(cmd);
}

static void scan_commands(ux_lint *lc, struct install_scan *sc, xmlNodePtr root)
{
	for (xmlNodePtr s = w2c_ux_child(root, "settings"); s; s = w2c_ux_next(s->next, "settings"))
		for (xmlNodePtr c = w2c_ux_child(s, "component"); c; c = w2c_ux_next(c->next, "component")) {
			xmlNodePtr l;
			l = w2c_ux_child(c, "RunSynchronous");
			for (xmlNodePtr i = w2c_ux_child(l, "RunSynchronousCommand"); i;
			     i = w2c_ux_next(i->next, "RunSynchronousCommand"))
				scan_command(lc, sc, i, "Path", false);
			l = w2c_ux_child(c, "FirstLogonCommands");
			for (xmlNodePtr i = w2c_ux_child(l, "SynchronousCommand"); i;
			     i = w2c_ux_next(i->next, "SynchronousCommand"))
				scan_command(lc, sc, i, "CommandLine", true);
			l = w2c_ux_child(c, "LogonCommands");
			for (xmlNodePtr i = w2c_ux_child(l, "AsynchronousCommand"); i;
			     i = w2c_ux_next(i->next, "AsynchronousCommand"))
				scan_command(lc, sc, i, "CommandLine", true);
		}
}

static void scan_showui(ux_lint *lc, xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (w2c_ux_is(n, "WillShowUI")) {
			char *v = w2c_ux_text(n);
			if (v && !w2c_strcasecmp(v, "Always"))
				w2c_ux_report(lc, "install.showui", W2C_SEV_ERROR, n, "use OnError",
					  "WillShowUI Always stops Setup at this page");
			free(v);
		}
		scan_showui(lc, n->children);
	}
}

static bool text_is_true(xmlNodePtr parent, const char *el)
{
	char *v = w2c_ux_child_text(parent, el);
	bool yes = v && !w2c_strcasecmp(v, "true");
	free(v);
	return yes;
}

static void lint_windows_pe(ux_lint *lc, xmlNodePtr root)
{
	xmlNodePtr pe = w2c_ux_settings(root, "windowsPE");
	xmlNodePtr setup = w2c_ux_component(pe, "Microsoft-Windows-Setup", NULL);
	xmlNodePtr intl = w2c_ux_component(pe, "Microsoft-Windows-International-Core-WinPE", NULL);
	xmlNodePtr os = w2c_ux_child(w2c_ux_child(setup, "ImageInstall"), "OSImage");

	if (!setup) {
		w2c_ux_report(lc, "install.windowspe", W2C_SEV_ERROR, root,
			  "win2cloud unattend new --shutdown (or add windowsPE/Microsoft-Windows-Setup)",
			  "no windowsPE Microsoft-Windows-Setup: Setup asks for disk, edition and license");
		return;
	}
	if (!text_is_true(w2c_ux_child(setup, "UserData"), "AcceptEula"))
		w2c_ux_report(lc, "install.eula", W2C_SEV_ERROR, setup, "add UserData/AcceptEula true",
			  "the license is not accepted: Setup shows the license page");
	if (!intl || (!w2c_ux_child(intl, "UILanguage") && !w2c_ux_child(w2c_ux_child(intl, "SetupUILanguage"), "UILanguage")))
		w2c_ux_report(lc, "install.language", W2C_SEV_ERROR, intl ? intl : pe,
			  "add Microsoft-Windows-International-Core-WinPE with UILanguage",
			  "no Setup language: Setup shows the language page");
	if (lc->t && lc->t->n_editions > 1 && !w2c_ux_child(w2c_ux_child(os, "InstallFrom"), "MetaData"))
		w2c_ux_report(lc, "install.edition", W2C_SEV_ERROR, os ? os : setup,
			  "select one with --edition (InstallFrom/MetaData /IMAGE/INDEX)",
			  "no edition selected and the medium has %zu: Setup asks which one",
			  lc->t->n_editions);
}

static void lint_oobe(ux_lint *lc, xmlNodePtr root, const struct install_scan *sc)
{
	xmlNodePtr shell = w2c_ux_component(w2c_ux_settings(root, "oobeSystem"), "Microsoft-Windows-Shell-Setup", NULL);
	xmlNodePtr al = w2c_ux_child(shell, "AutoLogon");

	if (!w2c_ux_child(w2c_ux_child(shell, "UserAccounts"), "AdministratorPassword"))
		w2c_ux_report(lc, "install.password", W2C_SEV_ERROR, shell ? shell : root,
			  "win2cloud unattend new --admin-password-file F (8-26 characters, the cloud's rule)",
			  "no Administrator password: Setup waits on the password page, and the image "
			  "would have no usable login");
	if (!text_is_true(w2c_ux_child(shell, "OOBE"), "HideEULAPage"))
		w2c_ux_report(lc, "install.oobe", W2C_SEV_ERROR, shell ? shell : root,
			  "add OOBE/HideEULAPage true", "OOBE shows the license page and waits");
	if (sc->logon_poweroff && !sc->poweroff_in_pass && !text_is_true(al, "Enabled"))
		w2c_ux_report(lc, "install.autologon", W2C_SEV_ERROR, sc->logon_poweroff,
			  "add AutoLogon (Administrator, Enabled true, LogonCount 1): win2cloud unattend "
			  "new --shutdown does",
			  "the power-off is a logon command, but nobody logs on: the install never ends");
}

void w2c_ux_lint_install(ux_lint *lc, xmlNodePtr root)
{
	struct install_scan sc = { false, false, NULL };

	scan_commands(lc, &sc, root);
	if (!sc.poweroff)
		w2c_ux_report(lc, "install.poweroff", W2C_SEV_ERROR, root,
			  "win2cloud unattend new --shutdown or --generalize (a last FirstLogonCommand "
			  "'shutdown /s /t 0' or 'sysprep /generalize /oobe /shutdown')",
			  "nothing powers the machine off at the end: win2cloud install cannot tell "
			  "that Setup has finished and waits until --timeout");
	scan_showui(lc, root);
	lint_windows_pe(lc, root);
	lint_oobe(lc, root, &sc);
}
