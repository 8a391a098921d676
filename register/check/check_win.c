/* Registry facts of an installed Windows (hivex on hive files copied out of
 * the guest) and the findings they give. */
#include "check_win.h"
#include "common/util.h"

#include <errno.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Node at backslash-separated @path below the root (children match case-insensitively). */
static hive_node_h node_at(hive_h *h, const char *path)
{
	hive_node_h n = hivex_root(h);
	char buf[256], *save = NULL;
	snprintf(buf, sizeof buf, "%s", path);
	for (char *t = strtok_r(buf, "\\", &save); t && n; t = strtok_r(NULL, "\\", &save))
		n = hivex_node_get_child(h, n, t);
	return n;
}

static void get_str(hive_h *h, hive_node_h n, const char *name, char *out, size_t cap)
{
	hive_value_h v = n ? hivex_node_get_value(h, n, name) : 0;
	char *s = v ? hivex_value_string(h, v) : NULL;
	if (s)
		snprintf(out, cap, "%s", s);
	free(s);
}

static int get_dword(hive_h *h, hive_node_h n, const char *name)
{
	hive_value_h v = n ? hivex_node_get_value(h, n, name) : 0;
	hive_type t;
	size_t len;
	if (!v || hivex_value_type(h, v, &t, &len) || t != hive_t_REG_DWORD)
		return -1;
	return (int)hivex_value_dword(h, v);
}

static void read_software(hive_h *h, w2c_win_facts *f)
{
	hive_node_h cv = node_at(h, "Microsoft\\Windows NT\\CurrentVersion");
	int major = get_dword(h, cv, "CurrentMajorVersionNumber"),
	    minor = get_dword(h, cv, "CurrentMinorVersionNumber");
	get_str(h, cv, "ProductName", f->product, sizeof f->product);
	get_str(h, cv, "EditionID", f->edition, sizeof f->edition);
	get_str(h, cv, "CurrentBuildNumber", f->build, sizeof f->build);
	if (!*f->build)
		get_str(h, cv, "CurrentBuild", f->build, sizeof f->build);
	if (major >= 0)
		snprintf(f->version, sizeof f->version, "%d.%d", major, minor < 0 ? 0 : minor);
	else
		get_str(h, cv, "CurrentVersion", f->version, sizeof f->version);
}

static int service_start(hive_h *h, hive_node_h services, const char *name)
{
	hive_node_h s = services ? hivex_node_get_child(h, services, name) : 0;
	if (!s)
		return -1;
	int v = get_dword(h, s, "Start");
	return v < 0 ? 4 : v; /* no Start value: the service cannot start */
}

static void read_system(hive_h *h, char **agents, w2c_win_facts *f)
{
	static const char *const ide[] = { "intelide", "pciide", "atapi" };
	int cur = get_dword(h, node_at(h, "Select"), "Current");
	char p[128];

	snprintf(f->control_set, sizeof f->control_set, "ControlSet%03d", cur > 0 ? cur : 1);
	snprintf(p, sizeof p, "%s\\Services", f->control_set);
	hive_node_h sv = node_at(h, p);
	f->viostor_start = service_start(h, sv, "viostor");
	f->vioscsi_start = service_start(h, sv, "vioscsi");
	for (size_t i = 0; i < 3 && !*f->ide; i++)
		if ((f->ide_start = service_start(h, sv, ide[i])) >= 0)
			snprintf(f->ide, sizeof f->ide, "%s", ide[i]);
	for (size_t i = 0; agents && agents[i] && !*f->agent; i++)
		if (sv && hivex_node_get_child(h, sv, agents[i]))
			snprintf(f->agent, sizeof f->agent, "%s", agents[i]);
	snprintf(p, sizeof p, "%s\\Control\\Terminal Server", f->control_set);
	f->rdp_deny = get_dword(h, node_at(h, p), "fDenyTSConnections");
	snprintf(p, sizeof p, "%s\\Control\\Session Manager\\Environment", f->control_set);
	get_str(h, node_at(h, p), "PROCESSOR_ARCHITECTURE", f->arch, sizeof f->arch);
}

w2c_code w2c_win_read_hives(const char *system, const char *software, char **agents,
			    w2c_win_facts *f, w2c_error *err)
{
	hive_h *h;
	memset(f, 0, sizeof *f);
	f->viostor_start = f->vioscsi_start = f->ide_start = f->rdp_deny = -1;
	if (!(h = hivex_open(software, 0)))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: not a registry hive (SOFTWARE): %s",
				     software, strerror(errno));
	read_software(h, f);
	hivex_close(h);
	if (!(h = hivex_open(system, 0)))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: not a registry hive (SYSTEM): %s",
				     system, strerror(errno));
	read_system(h, agents, f);
	hivex_close(h);
	return W2C_OK;
}

static const char *start_name(int s)
{
	static const char *n[] = { "boot", "system", "automatic", "demand", "disabled" };
	return s >= 0 && s <= 4 ? n[s] : "invalid";
}

static void report_storage(const char *subj, const w2c_win_facts *f, w2c_check_report *r)
{
	const char *cs = f->control_set;
	if (f->viostor_start == 0 || f->vioscsi_start == 0)
		w2c_check_add(r, "disk.drivers.storage", W2C_STATUS_PASS, subj, NULL,
			      "%s\\Services: %s Start=0 (boot)", cs, f->viostor_start == 0 ? "viostor" : "vioscsi");
	else if (f->viostor_start > 0 || f->vioscsi_start > 0) {
		bool st = f->viostor_start > 0;
		int v = st ? f->viostor_start : f->vioscsi_start;
		w2c_check_add(r, "disk.drivers.storage", W2C_STATUS_FAIL, subj, NULL,
			      "%s\\Services\\%s Start=%d (%s), expected 0 (boot): Windows will not find "
			      "its disk on a VirtIO controller (INACCESSIBLE_BOOT_DEVICE)", cs,
			      st ? "viostor" : "vioscsi", v, start_name(v));
	} else
		w2c_check_add(r, "disk.drivers.storage", W2C_STATUS_FAIL, subj, NULL,
			      "%s\\Services has neither viostor nor vioscsi: no VirtIO storage driver "
			      "installed", cs);
	if (*f->ide)
		w2c_check_add(r, "disk.drivers.ide", f->ide_start == 0 ? W2C_STATUS_PASS : W2C_STATUS_FAIL,
			      subj, NULL, "%s\\Services\\%s Start=%d (%s)%s", cs, f->ide, f->ide_start,
			      start_name(f->ide_start), f->ide_start == 0 ? "" : ", expected 0 (boot)");
	else
		w2c_check_add(r, "disk.drivers.ide", W2C_STATUS_FAIL, subj, NULL,
			      "%s\\Services has no intelide, pciide or atapi service", cs);
}

void w2c_win_report(const char *subj, const w2c_win_facts *f, const char *agent_dir,
		    w2c_check_report *r)
{
	if (*f->product)
		w2c_check_add(r, "disk.windows", W2C_STATUS_PASS, subj, NULL,
			      "%s (%s), version %s build %s, %s", f->product, *f->edition ? f->edition : "?",
			      *f->version ? f->version : "?", *f->build ? f->build : "?",
			      *f->arch ? f->arch : "arch unknown");
	else
		w2c_check_add(r, "disk.windows", W2C_STATUS_FAIL, subj, NULL,
			      "SOFTWARE hive has no Microsoft\\Windows NT\\CurrentVersion ProductName");
	report_storage(subj, f, r);
	if (*f->agent || agent_dir)
		w2c_check_add(r, "disk.agent", W2C_STATUS_PASS, subj, NULL, "agent found: %s",
			      *f->agent ? f->agent : agent_dir);
	else
		w2c_check_add(r, "disk.agent", W2C_STATUS_FAIL, subj, NULL,
			      "no cloudbase-init service in %s\\Services and no Cloudbase-Init folder under "
			      "Program Files", f->control_set);
	if (f->rdp_deny == 0)
		w2c_check_add(r, "disk.rdp", W2C_STATUS_PASS, subj, NULL,
			      "remote desktop enabled (fDenyTSConnections=0)");
	else
		w2c_check_add(r, "disk.rdp", W2C_STATUS_FAIL, subj, NULL,
			      "remote desktop disabled (%s\\Control\\Terminal Server fDenyTSConnections=%d%s)",
			      f->control_set, f->rdp_deny, f->rdp_deny < 0 ? ": absent, Windows default 1" : "");
}
