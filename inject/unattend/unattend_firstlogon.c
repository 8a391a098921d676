/* What an image template needs after Setup (for `win2cloud install`): the
 * Administrator's one automatic logon, whose FirstLogonCommands put every NIC
 * on DHCP, install Cloudbase-Init silently and end the install (shutdown, or
 * sysprep /generalize /oobe /shutdown). */
#include "inject/unattend/unattend_int.h"
#include "common/util.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The TCPIP component needs each interface's name or MAC, unknown when the
 * image is made; this resets whatever adapters the server will have. */
#define CMD_DHCP "powershell -NoProfile -ExecutionPolicy Bypass -Command \"Get-NetAdapter | " \
	"Set-NetIPInterface -Dhcp Enabled; Get-NetAdapter | Set-DnsClientServerAddress " \
	"-ResetServerAddresses\""
/* The medium's drive letter depends on the disks present, so every letter is
 * tried, as for DriverPaths. */
#define CMD_CLOUDBASE "cmd /c for %%d in (D E F G H I J K L M N O P Q R S T U V W Y Z) do @if " \
	"exist %%d:%s msiexec /i %%d:%s /qn /norestart /l*v C:\\Windows\\Temp\\cloudbase-init.log " \
	"RUN_SERVICE_AS_LOCAL_SYSTEM=1"
#define CMD_SHUTDOWN "shutdown /s /t 0 /f"
#define CMD_SYSPREP "C:\\Windows\\System32\\Sysprep\\sysprep.exe /generalize /oobe /shutdown /quiet"
/* Cloudbase-Init's own answer file for the generalized image's first boot. */
#define CLOUDBASE_UNATTEND " /unattend:\"C:\\Program Files\\Cloudbase Solutions\\Cloudbase-Init" \
	"\\conf\\Unattend.xml\""

bool w2c_ux_wants_first_logon(const w2c_unattend_options *o)
{
	return o->dhcp || o->cloudbase_init || o->final_step != W2C_FINAL_NONE;
}

w2c_code w2c_ux_check_first_logon(const w2c_unattend_options *o, w2c_error *err)
{
	if (w2c_ux_wants_first_logon(o) && !o->admin_password)
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "--dhcp, --cloudbase-init, --shutdown and --generalize run at the "
				     "Administrator's automatic first logon: give --admin-password-file");
	if (o->final_step > W2C_FINAL_GENERALIZE)
		return w2c_set_error(err, W2C_ERR_USAGE, "final step %d: expected none, shutdown or "
				     "generalize", (int)o->final_step);
	return W2C_OK;
}

/* The medium path in Windows form: "\win2cloud\CloudbaseInitSetup_x64.msi". */
static void windows_path(char *out, size_t n, const char *p)
{
	snprintf(out, n, "%s", p);
	for (char *c = out; *c; c++)
		if (*c == '/')
			*c = '\\';
}

static void add_command(ux_editor *ed, xmlNodePtr list, int order, const char *cmd,
			const char *what)
{
	xmlNodePtr c = w2c_ux_append(ed, list, "SynchronousCommand", NULL);
	char o[8];
	snprintf(o, sizeof o, "%d", order);
	w2c_ux_set_wcm(c, "action", "add");
	w2c_ux_append(ed, c, "Order", o);
	w2c_ux_append(ed, c, "CommandLine", cmd);
	w2c_ux_append(ed, c, "Description", what);
	w2c_ux_append(ed, c, "RequiresUserInput", "false");
}

static void add_autologon(ux_editor *ed, xmlNodePtr shell, const w2c_unattend_options *o)
{
	xmlNodePtr al = w2c_ux_append(ed, shell, "AutoLogon", NULL), pw;
	char *v = o->password_plain ? w2c_strdup(o->admin_password)
				    : w2c_unattend_password_encode(o->admin_password, "Password");
	pw = w2c_ux_append(ed, al, "Password", NULL);
	w2c_ux_append(ed, pw, "Value", v ? v : "");
	w2c_ux_append(ed, pw, "PlainText", o->password_plain ? "true" : "false");
	if (v)
		OPENSSL_cleanse(v, strlen(v));
	free(v);
	w2c_ux_append(ed, al, "Enabled", "true");
	/* once: the commands run, and a generalized image must not log on again */
	w2c_ux_append(ed, al, "LogonCount", "1");
	w2c_ux_append(ed, al, "Username", "Administrator");
}

void w2c_ux_build_first_logon(ux_editor *ed, xmlNodePtr shell, const w2c_unattend_options *o)
{
	xmlNodePtr list;
	char msi[128], cmd[1024];
	int n = 1;

	if (!w2c_ux_wants_first_logon(o))
		return;
	add_autologon(ed, shell, o);
	list = w2c_ux_append(ed, shell, "FirstLogonCommands", NULL);
	if (o->dhcp)
		add_command(ed, list, n++, CMD_DHCP, "every network adapter on DHCP");
	if (o->cloudbase_init) {
		windows_path(msi, sizeof msi, W2C_CLOUDBASE_INIT_MEDIA_PATH);
		snprintf(cmd, sizeof cmd, CMD_CLOUDBASE, msi, msi);
		add_command(ed, list, n++, cmd, "install Cloudbase-Init silently");
	}
	if (o->final_step == W2C_FINAL_SHUTDOWN)
		add_command(ed, list, n++, CMD_SHUTDOWN, "power off: the install is complete");
	if (o->final_step == W2C_FINAL_GENERALIZE) {
		snprintf(cmd, sizeof cmd, "%s%s", CMD_SYSPREP, o->cloudbase_init ? CLOUDBASE_UNATTEND : "");
		add_command(ed, list, n++, cmd, "generalize and power off");
	}
}

w2c_code w2c_unattend_put_cloudbase_init(w2c_node *root, const char *msi, w2c_error *err)
{
	/* An MSI is an OLE compound file. */
	static const unsigned char ole[8] = { 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1 };
	unsigned char head[8] = { 0 };
	FILE *f = fopen(msi, "rb");
	size_t got = f ? fread(head, 1, sizeof head, f) : 0;

	if (f)
		fclose(f);
	if (!f)
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "--cloudbase-init %s: cannot open the MSI", msi);
	if (got != sizeof head || memcmp(head, ole, sizeof ole))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "--cloudbase-init %s: bytes 0-7 are not the OLE signature D0 CF 11 E0 "
				     "A1 B1 1A E1 of a Windows Installer file (expected "
				     "CloudbaseInitSetup_x64.msi)", msi);
	return w2c_tree_put_local(root, W2C_CLOUDBASE_INIT_MEDIA_PATH, msi, err);
}
