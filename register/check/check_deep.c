/*
 * Deep checks with libguestfs: every disk is added to one appliance and
 * inspected in one launch (a launch costs ~20-30 s under TCG).  Partition
 * table and file checks run in the guest; the registry hives are copied out
 * and read on the host with hivex (check_win.c).
 */
#include "check_win.h"
#include "common/util.h"

#include <guestfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ESP_GUID "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

struct disk_ctx {
	guestfs_h *g;
	const char *subj, *dev, *firmware;
	char **agents;
	w2c_check_report *r;
	char tmpdir[64];
};

/* Case-insensitive path in the mounted file system, or NULL. */
static char *ci_path(guestfs_h *g, const char *p)
{
	char *real = guestfs_case_sensitive_path(g, p);
	if (real && guestfs_exists(g, real) != 1) {
		free(real);
		real = NULL;
	}
	return real;
}

static bool ci_exists(guestfs_h *g, const char *p)
{
	char *real = ci_path(g, p);
	free(real);
	return real != NULL;
}

/* Mount @part read-only, gather what it holds, unmount. */
static void scan_partition(struct disk_ctx *c, const char *part, bool *bootfiles, bool *efifiles,
			   bool *windows, char *agent_dir, size_t agent_cap)
{
	char *sys, *sw, *agent;
	if (guestfs_mount_ro(c->g, part, "/") < 0)
		return;
	if (ci_exists(c->g, "/bootmgr") && ci_exists(c->g, "/Boot/BCD"))
		*bootfiles = true;
	if (ci_exists(c->g, "/EFI/Microsoft/Boot/bootmgfw.efi"))
		*efifiles = true;
	sys = ci_path(c->g, "/Windows/System32/config/SYSTEM");
	sw = ci_path(c->g, "/Windows/System32/config/SOFTWARE");
	if (sys && sw && !*windows) {
		char ls[96], lw[96];
		w2c_win_facts f;
		w2c_error e;
		*windows = true;
		snprintf(ls, sizeof ls, "%s/SYSTEM", c->tmpdir);
		snprintf(lw, sizeof lw, "%s/SOFTWARE", c->tmpdir);
		agent = ci_path(c->g, "/Program Files/Cloudbase Solutions/Cloudbase-Init");
		if (agent)
			snprintf(agent_dir, agent_cap, "%s", agent);
		if (guestfs_download(c->g, sys, ls) < 0 || guestfs_download(c->g, sw, lw) < 0)
			w2c_check_add(c->r, "disk.windows", W2C_STATUS_FAIL, c->subj, NULL,
				      "%s: cannot copy the registry hives out: %s", part, guestfs_last_error(c->g));
		else if (w2c_win_read_hives(ls, lw, c->agents, &f, &e))
			w2c_check_add(c->r, "disk.windows", W2C_STATUS_FAIL, c->subj, NULL, "%s: %s", part,
				      e.message);
		else
			w2c_win_report(c->subj, &f, *agent_dir ? agent_dir : NULL, c->r);
		unlink(ls);
		unlink(lw);
		free(agent);
	}
	free(sys);
	free(sw);
	guestfs_umount_all(c->g);
}

static void check_table(struct disk_ctx *c, const char *type, bool esp, int nparts)
{
	bool gpt = !strcmp(type, "gpt"), uefi = !strcmp(c->firmware, "uefi");
	if (!uefi && !gpt)
		w2c_check_add(c->r, "disk.partition_table", W2C_STATUS_PASS, c->subj, NULL,
			      "MBR partition table, %d partition(s): boots with BIOS", nparts);
	else if (!uefi)
		w2c_check_add(c->r, "disk.partition_table", W2C_STATUS_FAIL, c->subj, NULL,
			      "GPT partition table%s: Windows on GPT boots only with UEFI, firmware is bios",
			      esp ? " with an EFI system partition" : " without an EFI system partition");
	else if (gpt && esp)
		w2c_check_add(c->r, "disk.partition_table", W2C_STATUS_PASS, c->subj, NULL,
			      "GPT partition table with an EFI system partition: boots with UEFI");
	else
		w2c_check_add(c->r, "disk.partition_table", W2C_STATUS_FAIL, c->subj,
			      "register with --firmware bios, or convert the disk with MBR2GPT inside Windows",
			      "%s partition table %s an EFI system partition: UEFI boot needs GPT + ESP",
			      gpt ? "GPT" : "MBR", esp ? "with" : "without");
}

static void check_one(struct disk_ctx *c)
{
	struct guestfs_partition_list *pl;
	char *type = guestfs_part_get_parttype(c->g, c->dev);
	bool esp = false, bootfiles = false, efifiles = false, windows = false, active = false;
	char agent_dir[256] = "";

	if (!type || !(pl = guestfs_part_list(c->g, c->dev))) {
		w2c_check_add(c->r, "disk.partition_table", W2C_STATUS_FAIL, c->subj, NULL,
			      "no partition table: the disk is blank or holds a bare file system");
		free(type);
		return;
	}
	bool gpt = !strcmp(type, "gpt");
	for (uint32_t i = 0; i < pl->len; i++) {
		int num = pl->val[i].part_num;
		char part[64];
		snprintf(part, sizeof part, "%s%d", c->dev, num);
		if (gpt) {
			char *t = guestfs_part_get_gpt_type(c->g, c->dev, num);
			esp = esp || (t && !strcasecmp(t, ESP_GUID));
			free(t);
		} else {
			esp = esp || guestfs_part_get_mbr_id(c->g, c->dev, num) == 0xEF;
			bool b = guestfs_part_get_bootable(c->g, c->dev, num) == 1;
			bool had = bootfiles;
			scan_partition(c, part, &bootfiles, &efifiles, &windows, agent_dir, sizeof agent_dir);
			active = active || (b && bootfiles && !had);
			continue;
		}
		scan_partition(c, part, &bootfiles, &efifiles, &windows, agent_dir, sizeof agent_dir);
	}
	check_table(c, type, esp, (int)pl->len);
	if (!windows)
		w2c_check_add(c->r, "disk.windows", W2C_STATUS_FAIL, c->subj, NULL,
			      "no partition holds Windows\\System32\\config\\SYSTEM and SOFTWARE");
	if (!strcmp(c->firmware, "uefi") ? efifiles : (bootfiles && active))
		w2c_check_add(c->r, "disk.boot_partition", W2C_STATUS_PASS, c->subj, NULL,
			      "boot files (%s) and the system partition are on this disk",
			      !strcmp(c->firmware, "uefi") ? "EFI\\Microsoft\\Boot\\bootmgfw.efi" :
			      "bootmgr, Boot\\BCD on the active partition");
	else
		w2c_check_add(c->r, "disk.boot_partition", W2C_STATUS_FAIL, c->subj, NULL,
			      "%s not found on this disk%s: the boot partition must be on the system disk",
			      !strcmp(c->firmware, "uefi") ? "EFI\\Microsoft\\Boot\\bootmgfw.efi" :
			      "bootmgr and Boot\\BCD on an active partition",
			      bootfiles && !active ? " (present, but the partition is not active)" : "");
	guestfs_free_partition_list(pl);
	free(type);
}

/* qemu's driver names for our format names. */
static const char *qemu_format(const char *f)
{
	return !strcmp(f, "vhd") ? "vpc" : f;
}

static w2c_code launch_failed(guestfs_h *g, const char *const *paths, size_t n,
			      const w2c_check_options *o, w2c_check_report *r, w2c_error *err)
{
	const char *why = g ? guestfs_last_error(g) : "guestfs_create failed";
	char msg[512];
	snprintf(msg, sizeof msg, "%s", why ? why : "unknown error");
	msg[strcspn(msg, "\n")] = 0;
	if (o->deep == W2C_DEEP_ON)
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "libguestfs appliance failed: %s", msg);
	for (size_t i = 0; i < n; i++)
		w2c_check_add(r, "disk.deep", W2C_STATUS_SKIP, paths[i], NULL,
			      "in-guest checks skipped: the libguestfs appliance does not work here (%s)", msg);
	w2c_log(o->log, W2C_LOG_WARN, "deep checks skipped: libguestfs: %s", msg);
	return W2C_OK;
}

w2c_code w2c_check_disks_deep(const char *const *paths, const w2c_disk_info *infos, size_t n,
			      const w2c_check_options *o, w2c_check_report *r, w2c_error *err)
{
	const w2c_check_limits *l = w2c_check_profile_limits(o->profile);
	struct disk_ctx c = { .r = r, .agents = l->agents, .firmware = o->firmware ? o->firmware : l->firmware };
	size_t *idx = calloc(n ? n : 1, sizeof *idx), added = 0;
	w2c_code rc = W2C_OK;

	if (!idx)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!(c.g = guestfs_create())) {
		free(idx);
		return launch_failed(NULL, paths, n, o, r, err);
	}
	guestfs_set_error_handler(c.g, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		if (infos[i].encrypted || *infos[i].backing_file) {
			w2c_check_add(r, "disk.deep", W2C_STATUS_SKIP, paths[i], NULL,
				      "in-guest checks skipped: the image is %s", infos[i].encrypted ?
				      "encrypted" : "not self-contained (backing file)");
			continue;
		}
		if (guestfs_add_drive_opts(c.g, paths[i], GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
					   GUESTFS_ADD_DRIVE_OPTS_FORMAT, qemu_format(infos[i].format), -1) < 0) {
			w2c_check_add(r, "disk.deep", W2C_STATUS_SKIP, paths[i], NULL,
				      "in-guest checks skipped: %s", guestfs_last_error(c.g));
			continue;
		}
		idx[added++] = i;
	}
	snprintf(c.tmpdir, sizeof c.tmpdir, "/tmp/w2c-check.XXXXXX");
	if (!added) {
		rc = W2C_OK;
	} else if (!mkdtemp(c.tmpdir)) {
		rc = w2c_set_error(err, W2C_ERR_IO, "cannot create a temporary directory in /tmp");
	} else {
		double t0 = w2c_now();
		if (guestfs_launch(c.g) < 0) {
			rc = launch_failed(c.g, paths, n, o, r, err);
		} else {
			char **devs = guestfs_list_devices(c.g);
			for (size_t k = 0; devs && k < added && devs[k]; k++) {
				c.subj = paths[idx[k]];
				c.dev = devs[k];
				check_one(&c);
			}
			for (size_t k = 0; devs && devs[k]; k++)
				free(devs[k]);
			free(devs);
			guestfs_shutdown(c.g);
			w2c_log(o->log, W2C_LOG_INFO, "deep checks of %zu disk(s) took %.1f s", added,
				w2c_now() - t0);
		}
		rmdir(c.tmpdir);
	}
	guestfs_close(c.g);
	free(idx);
	return rc;
}
