/*
 * Deep checks with libguestfs: every disk is added to one appliance and
 * inspected in one launch (a launch costs ~20-30 s under TCG).  Partition
 * table and file checks run in the guest; the registry hives are copied out
 * and read on the host with hivex (check_win.c).
 */
#include "check_win.h"
#include "check_appliance.h"
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

static w2c_code launch_failed(const char *why, const char *const *paths, size_t n,
			      const w2c_check_options *o, w2c_check_report *r, w2c_error *err)
{
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

/* Which disks go into the appliance (the others get a skip finding once). */
static size_t pick_disks(const char *const *paths, const w2c_disk_info *infos, size_t n,
			 w2c_check_report *r, size_t *idx)
{
	size_t added = 0;
	for (size_t i = 0; i < n; i++) {
		if (infos[i].encrypted || *infos[i].backing_file || infos[i].n_extents) {
			w2c_check_add(r, "disk.deep", W2C_STATUS_SKIP, paths[i], NULL,
				      "in-guest checks skipped: the image is %s", infos[i].encrypted ?
				      "encrypted" : *infos[i].backing_file ? "not self-contained "
				      "(backing file)" : "a VMDK descriptor with separate extents");
			continue;
		}
		idx[added++] = i;
	}
	return added;
}

/* A handle with the picked disks added; @tcg forces QEMU's emulator. */
static guestfs_h *new_handle(const char *const *paths, const w2c_disk_info *infos, size_t *idx,
			     size_t *added, bool tcg, w2c_check_report *r)
{
	guestfs_h *g = guestfs_create();
	size_t kept = 0;
	if (!g)
		return NULL;
	guestfs_set_error_handler(g, NULL, NULL);
	if (tcg) {
		char *settings[] = { (char *)"force_tcg", NULL };
		guestfs_set_backend_settings(g, settings);
	}
	for (size_t k = 0; k < *added; k++) {
		size_t i = idx[k];
		if (guestfs_add_drive_opts(g, paths[i], GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
					   GUESTFS_ADD_DRIVE_OPTS_FORMAT, qemu_format(infos[i].format), -1) < 0) {
			w2c_check_add(r, "disk.deep", W2C_STATUS_SKIP, paths[i], NULL,
				      "in-guest checks skipped: %s", guestfs_last_error(g));
			continue;
		}
		idx[kept++] = i;
	}
	*added = kept;
	return g;
}

static void inspect_all(struct disk_ctx *c, const char *const *paths, const size_t *idx, size_t added)
{
	char **devs = guestfs_list_devices(c->g);
	for (size_t k = 0; devs && k < added && devs[k]; k++) {
		c->subj = paths[idx[k]];
		c->dev = devs[k];
		check_one(c);
	}
	for (size_t k = 0; devs && devs[k]; k++)
		free(devs[k]);
	free(devs);
}

/* Launch under the watchdog: KVM first when usable, TCG once more when KVM
 * does not come up in time; the notice says which and how long it takes. */
static int launch(struct disk_ctx *c, const char *const *paths, const w2c_disk_info *infos,
		  size_t *idx, size_t *added, const w2c_check_options *o, w2c_appliance_watch *w,
		  char *why, size_t cap)
{
	char kvm_why[128];
	bool kvm = w2c_appliance_kvm_usable(kvm_why, sizeof kvm_why);
	for (int attempt = 0; attempt < 2; attempt++) {
		bool tcg = !kvm || attempt > 0;
		double limit = w2c_appliance_timeout(!tcg);
		if (!(c->g = new_handle(paths, infos, idx, added, tcg && kvm, c->r)) || !*added)
			return c->g ? 0 : (snprintf(why, cap, "guestfs_create failed"), -1);
		w2c_log(o->log, W2C_LOG_WARN, "deep check: starting the libguestfs appliance for %zu "
			"disk(s) (%s: %s; launch timeout %.0f s; --no-deep skips it)", *added,
			tcg ? "TCG emulation, usually 30-90 s" : "KVM, usually 5-20 s", kvm_why, limit);
		if (!w2c_appliance_watch_start(w, o->progress, limit)) {
			snprintf(why, cap, "cannot start the launch watchdog thread");
			return -1;
		}
		int r = guestfs_launch(c->g);
		bool timed_out, stopped;
		w2c_appliance_watch_state(w, &timed_out, &stopped);
		if (r == 0 && !stopped && !timed_out) {
			w2c_appliance_watch_launched(w);
			return 1; /* the watch keeps running through the inspection */
		}
		w2c_appliance_watch_stop(w);
		timed_out = w->timed_out; /* the thread has ended: plain reads */
		stopped = w->interrupted;
		snprintf(why, cap, "%s", timed_out ? "" : guestfs_last_error(c->g) ?
			 guestfs_last_error(c->g) : "launch failed");
		if (timed_out)
			snprintf(why, cap, "the appliance did not start within %.0f s (%s)", limit,
				 tcg ? "TCG" : "KVM");
		guestfs_close(c->g);
		c->g = NULL;
		if (stopped)
			return -2;
		if (!timed_out || tcg)
			return -1;
		w2c_log(o->log, W2C_LOG_WARN, "deep check: %s: QEMU under KVM can hang after \"Booting "
			"from ROM\"; retrying with TCG (as LIBGUESTFS_BACKEND_SETTINGS=force_tcg)", why);
	}
	return -1;
}

w2c_code w2c_check_disks_deep(const char *const *paths, const w2c_disk_info *infos, size_t n,
			      const w2c_check_options *o, w2c_check_report *r, w2c_error *err)
{
	const w2c_check_limits *l = w2c_check_profile_limits(o->profile);
	struct disk_ctx c = { .r = r, .agents = l->agents, .firmware = o->firmware ? o->firmware : l->firmware };
	size_t *idx = calloc(n ? n : 1, sizeof *idx), added;
	w2c_appliance_watch w;
	char why[512] = "";
	w2c_code rc = W2C_OK;

	if (!idx)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	added = pick_disks(paths, infos, n, r, idx);
	snprintf(c.tmpdir, sizeof c.tmpdir, "/tmp/w2c-check.XXXXXX");
	if (!added || !mkdtemp(c.tmpdir)) {
		rc = added ? w2c_set_error(err, W2C_ERR_IO, "cannot create a temporary directory in /tmp")
			   : W2C_OK;
		free(idx);
		return rc;
	}
	double t0 = w2c_now();
	int st = launch(&c, paths, infos, idx, &added, o, &w, why, sizeof why);
	if (st == -2) {
		rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "deep check interrupted: the libguestfs "
				   "appliance was stopped");
	} else if (st < 0) {
		rc = launch_failed(why, paths, n, o, r, err);
	} else if (st > 0) {
		inspect_all(&c, paths, idx, added);
		guestfs_shutdown(c.g);
		w2c_appliance_watch_stop(&w);
		bool stopped = w.interrupted; /* the thread has ended: no race */
		if (stopped)
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "deep check interrupted: the "
					   "libguestfs appliance was stopped");
		else
			w2c_log(o->log, W2C_LOG_INFO, "deep checks of %zu disk(s) took %.1f s", added,
				w2c_now() - t0);
	}
	if (c.g)
		guestfs_close(c.g);
	rmdir(c.tmpdir);
	free(idx);
	return rc;
}
