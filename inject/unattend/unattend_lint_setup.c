/* Lint of Microsoft-Windows-Setup: disk layout against the firmware,
 * InstallTo, and the install image selector against the media. */
#include "inject/unattend/unattend_int.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 32

typedef struct part {
	xmlNodePtr node;
	long order;
	char type[16];
	bool extend, has_size;
	char format[16]; /* from the ModifyPartition for this id */
	bool active;
} part;

static long num(xmlNodePtr parent, const char *local, long dflt)
{
	char *t = w2c_ux_child_text(parent, local), *end = NULL;
	long v = dflt;
	if (t && *t) {
		v = strtol(t, &end, 10);
		if (*end)
			v = dflt;
	}
	free(t);
	return v;
}

static bool is_true(xmlNodePtr parent, const char *local)
{
	char *t = w2c_ux_child_text(parent, local);
	bool v = t && (!w2c_strcasecmp(t, "true") || !strcmp(t, "1"));
	free(t);
	return v;
}

static void copy_text(char *dst, size_t n, xmlNodePtr parent, const char *local)
{
	char *t = w2c_ux_child_text(parent, local);
	snprintf(dst, n, "%s", t ? t : "");
	free(t);
}

/* Orders must be unique and run 1..n (spec §5.5 item 5). */
static void check_orders(ux_lint *lc, xmlNodePtr list, const char *item)
{
	long n = 0, seen_mask[MAX_PARTS + 1] = { 0 };
	for (xmlNodePtr p = w2c_ux_child(list, item); p; p = w2c_ux_next(p->next, item)) {
		long o = num(p, "Order", -1);
		n++;
		if (o < 1 || o > MAX_PARTS) {
			w2c_ux_report(lc, "disk.order", W2C_SEV_ERROR, p, "number them 1, 2, 3 ...",
				  "%s has no valid <Order>", item);
			return;
		}
		if (seen_mask[o]++)
			w2c_ux_report(lc, "disk.order", W2C_SEV_ERROR, p, "number them 1, 2, 3 ...",
				  "Order %ld is used twice", o);
	}
	for (long i = 1; i <= n && i <= MAX_PARTS; i++)
		if (!seen_mask[i]) {
			w2c_ux_report(lc, "disk.order", W2C_SEV_WARNING, list, "number them 1, 2, 3 ...",
				  "%s orders are not contiguous (no %ld)", item, i);
			return;
		}
}

/* Partitions of one <Disk> in creation order; returns the count. */
static size_t read_parts(ux_lint *lc, xmlNodePtr disk, part *ps, bool report)
{
	xmlNodePtr cps = w2c_ux_child(disk, "CreatePartitions"), mps = w2c_ux_child(disk, "ModifyPartitions");
	size_t n = 0;

	for (xmlNodePtr p = w2c_ux_child(cps, "CreatePartition"); p && n < MAX_PARTS;
	     p = w2c_ux_next(p->next, "CreatePartition"), n++) {
		memset(&ps[n], 0, sizeof ps[n]);
		ps[n].node = p;
		ps[n].order = num(p, "Order", (long)n + 1);
		copy_text(ps[n].type, sizeof ps[n].type, p, "Type");
		ps[n].extend = is_true(p, "Extend");
		ps[n].has_size = w2c_ux_child(p, "Size") != NULL;
	}
	/* PartitionID counts partitions in Order, not document order. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && ps[j - 1].order > ps[j].order; j--) {
			part t = ps[j];
			ps[j] = ps[j - 1];
			ps[j - 1] = t;
		}
	for (xmlNodePtr m = w2c_ux_child(mps, "ModifyPartition"); m; m = w2c_ux_next(m->next, "ModifyPartition")) {
		long id = num(m, "PartitionID", -1);
		if (n && (id < 1 || (size_t)id > n)) {
			if (report)
				w2c_ux_report(lc, "disk.partition-ref", W2C_SEV_ERROR, m,
				  "refer to a partition created above (1..n in Order)",
				  "ModifyPartition refers to PartitionID %ld but %zu partitions are created",
				  id, n);
			continue;
		}
		if (id >= 1 && (size_t)id <= n) {
			copy_text(ps[id - 1].format, sizeof ps[id - 1].format, m, "Format");
			ps[id - 1].active |= is_true(m, "Active");
		}
	}
	return n;
}

static void check_extend(ux_lint *lc, const part *ps, size_t n)
{
	size_t extends = 0;
	for (size_t i = 0; i < n; i++) {
		if (ps[i].extend && ++extends > 1)
			w2c_ux_report(lc, "disk.extend", W2C_SEV_ERROR, ps[i].node,
				  "only the last partition may extend", "more than one Extend=true");
		else if (ps[i].extend && i + 1 < n)
			w2c_ux_report(lc, "disk.extend", W2C_SEV_ERROR, ps[i].node,
				  "make the extending partition the last one",
				  "Extend=true on a partition that is not the last");
		if (!ps[i].extend && !ps[i].has_size)
			w2c_ux_report(lc, "disk.size", W2C_SEV_ERROR, ps[i].node, "add <Size> (MB) or <Extend>",
				  "partition has neither Size nor Extend");
	}
}

/* MBR for BIOS, GPT with ESP (FAT32) + MSR for UEFI (spec §5.4, §5.5). */
static void check_style(ux_lint *lc, xmlNodePtr disk, const part *ps, size_t n)
{
	size_t efi = 0, msr = 0, mbrish = 0, primary = 0, active = 0;
	for (size_t i = 0; i < n; i++) {
		efi += !w2c_strcasecmp(ps[i].type, "EFI");
		msr += !w2c_strcasecmp(ps[i].type, "MSR");
		primary += !w2c_strcasecmp(ps[i].type, "Primary");
		mbrish += !w2c_strcasecmp(ps[i].type, "Extended") || !w2c_strcasecmp(ps[i].type, "Logical");
		active += ps[i].active;
		if (!w2c_strcasecmp(ps[i].type, "EFI") && ps[i].format[0] &&
		    w2c_strcasecmp(ps[i].format, "FAT32"))
			w2c_ux_report(lc, "disk.esp", W2C_SEV_ERROR, ps[i].node, "format the EFI partition FAT32",
				  "EFI system partition formatted %s", ps[i].format);
	}
	bool gpt = efi || msr, mbr = mbrish || active;
	if (gpt && mbr) {
		w2c_ux_report(lc, "disk.style", W2C_SEV_ERROR, disk,
			  "use either MBR (BIOS: Active, no EFI/MSR) or GPT (UEFI: EFI+MSR, no Active)",
			  "layout mixes GPT partitions (EFI/MSR) with MBR features (Active/Extended/Logical)");
		return;
	}
	if (gpt && !efi)
		w2c_ux_report(lc, "disk.esp", W2C_SEV_ERROR, disk, "add an EFI partition of 100 MB (FAT32)",
			  "GPT layout without an EFI system partition");
	if (gpt && !msr)
		w2c_ux_report(lc, "disk.msr", W2C_SEV_WARNING, disk, "add an MSR partition of 16 MB",
			  "GPT layout without an MSR partition");
	if (!gpt && primary > 4)
		w2c_ux_report(lc, "disk.mbr", W2C_SEV_ERROR, disk, "use at most 4 primary partitions",
			  "MBR layout with %zu primary partitions", primary);
	if (!gpt && active > 1) /* MBR has one; Setup's result is then order-dependent */
		w2c_ux_report(lc, "disk.mbr", W2C_SEV_WARNING, disk, "mark exactly one partition Active",
			  "%zu partitions are marked Active", active);
	if (!gpt && !active)
		w2c_ux_report(lc, "disk.mbr", W2C_SEV_WARNING, disk,
			  "mark the system partition <Active>true</Active>",
			  "MBR layout without an Active partition: BIOS cannot boot it");
	if (!lc->o->firmware_set)
		return;
	if (lc->o->firmware == W2C_FIRMWARE_BIOS && gpt)
		w2c_ux_report(lc, "disk.firmware", W2C_SEV_ERROR, disk,
			  "use an MBR layout (win2cloud unattend new --firmware bios)",
			  "GPT layout but the image boots with BIOS: Setup fails to apply it");
	if (lc->o->firmware == W2C_FIRMWARE_UEFI && !gpt)
		w2c_ux_report(lc, "disk.firmware", W2C_SEV_ERROR, disk,
			  "use a GPT layout with EFI and MSR (win2cloud unattend new --firmware uefi)",
			  "MBR layout but the image boots with UEFI: Setup fails to apply it");
}

static void check_install_to(ux_lint *lc, xmlNodePtr setup, xmlNodePtr os)
{
	xmlNodePtr to = w2c_ux_child(os, "InstallTo"), dc = w2c_ux_child(setup, "DiskConfiguration");
	long disk_id, part_id;
	part ps[MAX_PARTS];

	if (!to) {
		if (!is_true(os, "InstallToAvailablePartition"))
			w2c_ux_report(lc, "disk.installto", W2C_SEV_WARNING, os,
				  "add <InstallTo><DiskID>N</DiskID><PartitionID>M</PartitionID></InstallTo>",
				  "no InstallTo: Setup asks where to install");
		return;
	}
	disk_id = num(to, "DiskID", -1);
	part_id = num(to, "PartitionID", -1);
	if (lc->o->cloud_set && disk_id != w2c_cloud_profile_disk(lc->o->cloud))
		w2c_ux_report(lc, "disk.target", W2C_SEV_WARNING, to,
			  "use --disk to target the cloud's install disk",
			  "InstallTo DiskID %ld, but this cloud profile installs onto disk %d "
			  "(the data disk of the temporary ISO server)",
			  disk_id, w2c_cloud_profile_disk(lc->o->cloud));
	if (!dc)
		return;
	for (xmlNodePtr d = w2c_ux_child(dc, "Disk"); d; d = w2c_ux_next(d->next, "Disk")) {
		if (num(d, "DiskID", -2) != disk_id)
			continue;
		size_t n = read_parts(lc, d, ps, false);
		if (!n)
			return; /* existing partitions: nothing to check against */
		if (part_id < 1 || (size_t)part_id > n) {
			w2c_ux_report(lc, "disk.installto", W2C_SEV_ERROR, to,
				  "point InstallTo at the Windows partition",
				  "InstallTo PartitionID %ld is not one of the %zu partitions created",
				  part_id, n);
		} else {
			const part *p = &ps[part_id - 1];
			if (!w2c_strcasecmp(p->type, "EFI") || !w2c_strcasecmp(p->type, "MSR") ||
			    (p->format[0] && w2c_strcasecmp(p->format, "NTFS")))
				w2c_ux_report(lc, "disk.installto", W2C_SEV_ERROR, to,
					  "point InstallTo at the NTFS Windows partition",
					  "InstallTo PartitionID %ld is a %s partition%s%s", part_id,
					  p->type[0] ? p->type : "?", p->format[0] ? " formatted " : "",
					  p->format);
		}
		return;
	}
	if (w2c_ux_child(dc, "Disk"))
		w2c_ux_report(lc, "disk.installto", W2C_SEV_ERROR, to,
			  "make InstallTo/DiskID the disk configured above",
			  "InstallTo DiskID %ld is not configured in DiskConfiguration", disk_id);
}

/* ---- image selection ---- */

static bool edition_matches(const w2c_edition *e, const char *key, const char *value)
{
	if (!w2c_strcasecmp(key, "/IMAGE/INDEX"))
		return strspn(value, "0123456789") == strlen(value) && *value &&
		       strtoul(value, NULL, 10) == e->index;
	if (!w2c_strcasecmp(key, "/IMAGE/NAME"))
		return e->name && !strcmp(e->name, value);
	return e->description && !strcmp(e->description, value);
}

static void check_image(ux_lint *lc, xmlNodePtr os)
{
	xmlNodePtr md = w2c_ux_child(w2c_ux_child(os, "InstallFrom"), "MetaData");
	char *key = w2c_ux_child_text(md, "Key"), *value = w2c_ux_child_text(md, "Value");
	static const char *const keys[] = { "/IMAGE/INDEX", "/IMAGE/NAME", "/IMAGE/DESCRIPTION" };
	bool known = false;

	if (!md && lc->t && lc->t->n_editions > 1)
		w2c_ux_report(lc, "image.selector", W2C_SEV_WARNING, os,
			  "add InstallFrom/MetaData with /IMAGE/INDEX or /IMAGE/NAME",
			  "no edition selected and the media has %zu: Setup asks which one",
			  lc->t->n_editions);
	for (size_t i = 0; md && i < 3; i++) {
		if (key && !strcmp(key, keys[i]))
			known = true;
		else if (key && !w2c_strcasecmp(key, keys[i])) {
			w2c_ux_report(lc, "image.key", W2C_SEV_WARNING, md, "write the key in upper case",
				  "MetaData key '%s' differs in case from %s", key, keys[i]);
			known = true;
		}
	}
	if (md && !known)
		w2c_ux_report(lc, "image.key", W2C_SEV_ERROR, md,
			  "use /IMAGE/INDEX, /IMAGE/NAME or /IMAGE/DESCRIPTION",
			  "MetaData key '%s' is not one Setup understands", key ? key : "(missing)");
	if (md && known && lc->t && lc->t->n_editions && value) {
		bool found = false;
		for (size_t i = 0; i < lc->t->n_editions && !found; i++)
			found = edition_matches(lc->t->editions[i], key, value);
		if (!found) {
			char names[512] = "";
			for (size_t i = 0; i < lc->t->n_editions; i++) {
				size_t l = strlen(names);
				snprintf(names + l, sizeof names - l, "%s%u '%s'", i ? ", " : "",
					 lc->t->editions[i]->index,
					 lc->t->editions[i]->name ? lc->t->editions[i]->name : "");
			}
			w2c_ux_report(lc, "image.not-found", W2C_SEV_ERROR, md,
				  "select one of the media's editions (win2cloud inspect ISO)",
				  "%s '%s' is not on the media; editions: %s", key, value, names);
		}
	}
	free(key);
	free(value);
}

void w2c_ux_lint_resolve_arch(ux_lint *lc, xmlNodePtr root)
{
	const w2c_unattend_target *t = lc->t;
	xmlNodePtr pe = w2c_ux_settings(root, "windowsPE");
	xmlNodePtr setup = w2c_ux_component(pe, "Microsoft-Windows-Setup", NULL);
	xmlNodePtr md = w2c_ux_child(w2c_ux_child(w2c_ux_child(w2c_ux_child(setup, "ImageInstall"), "OSImage"),
					  "InstallFrom"), "MetaData");
	char *key = w2c_ux_child_text(md, "Key"), *value = w2c_ux_child_text(md, "Value");
	const char *arch = NULL;
	bool mixed = false;

	for (size_t i = 0; t && i < t->n_editions; i++) {
		const w2c_edition *e = t->editions[i];
		if (key && value && edition_matches(e, key, value)) {
			arch = e->arch;
			mixed = false;
			break;
		}
		if (arch && e->arch && strcmp(arch, e->arch))
			mixed = true;
		if (!arch)
			arch = e->arch;
	}
	lc->image_arch = mixed ? NULL : arch;
	free(key);
	free(value);
}

void w2c_ux_lint_setup(ux_lint *lc, xmlNodePtr setup)
{
	xmlNodePtr dc = w2c_ux_child(setup, "DiskConfiguration");
	xmlNodePtr os = w2c_ux_child(w2c_ux_child(setup, "ImageInstall"), "OSImage");
	part ps[MAX_PARTS];

	for (xmlNodePtr d = w2c_ux_child(dc, "Disk"); d; d = w2c_ux_next(d->next, "Disk")) {
		check_orders(lc, w2c_ux_child(d, "CreatePartitions"), "CreatePartition");
		check_orders(lc, w2c_ux_child(d, "ModifyPartitions"), "ModifyPartition");
		size_t n = read_parts(lc, d, ps, true);
		check_extend(lc, ps, n);
		if (n)
			check_style(lc, d, ps, n);
	}
	if (os) {
		check_install_to(lc, setup, os);
		check_image(lc, os);
	}
}
