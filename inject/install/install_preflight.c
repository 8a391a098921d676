/* Before QEMU starts: everything that would make the disk unusable or the
 * install wait for a click, each problem naming the setting and the fix. */
#include "inject/install/install_int.h"
#include "win2cloud/drivers.h"
#include "win2cloud/media.h"
#include "win2cloud/unattend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GIB (1024ull * 1024 * 1024)
#define MAX_ANSWER_FILE (8u << 20)

void ins_problem(w2c_install_result *res, const char *fmt, ...)
{
	va_list ap;
	if (res->n_problems >= W2C_INSTALL_MAX_PROBLEMS)
		return;
	va_start(ap, fmt);
	vsnprintf(res->problems[res->n_problems++], sizeof res->problems[0], fmt, ap);
	va_end(ap);
}

/* The directory of @path (@parent) or @path itself must take new files. */
static void check_dir(w2c_install_result *res, const char *opt, const char *path, bool parent)
{
	char *d = w2c_strdup(path), *slash = d && parent ? strrchr(d, '/') : NULL;
	const char *dir = d;
	if (parent && !slash)
		dir = ".";
	else if (slash == d && d)
		dir = "/";
	else if (slash)
		*slash = 0;
	if (d && access(dir, W_OK))
		ins_problem(res, "%s %s: directory '%s' is missing or not writable; fix: create it or "
			    "choose another", opt, path, dir);
	free(d);
}

static void check_options(ins_run *run)
{
	const w2c_install_options *o = run->o;
	w2c_install_result *res = run->res;
	static const char *const formats[] = { "qcow2", "raw", "vpc", "vmdk", NULL };
	bool fmt_ok = false;

	if (o->size < W2C_INSTALL_MIN_GIB * GIB || o->size > W2C_INSTALL_MAX_GIB * GIB)
		ins_problem(res, "--size %.1f GiB: the cloud's system disk must be %d-%d GB; fix: "
			    "give --size between %dG and %dG (60G is a common choice)",
			    (double)o->size / GIB, W2C_INSTALL_MIN_GIB, W2C_INSTALL_MAX_GIB,
			    W2C_INSTALL_MIN_GIB, W2C_INSTALL_MAX_GIB);
	for (size_t i = 0; formats[i]; i++)
		fmt_ok |= o->format && !strcmp(o->format, formats[i]);
	if (!fmt_ok)
		ins_problem(res, "--format '%s': not a disk format the cloud imports; fix: use qcow2, "
			    "raw, vpc or vmdk", o->format ? o->format : "");
	if (o->memory < (256ull << 20) || o->cpus < 1 || o->cpus > 64 || !o->timeout)
		ins_problem(res, "--memory %lluM / --cpus %u / --timeout %us: fix: at least 256M of "
			    "memory (Windows wants 2G or more), 1-64 CPUs and a timeout over 0",
			    (unsigned long long)(o->memory >> 20), o->cpus, o->timeout);
	const char *q = o->qemu ? o->qemu : "qemu-system-x86_64";
	const char *qi = o->qemu_img ? o->qemu_img : "qemu-img";
	if (!w2c_on_path(q) || !w2c_on_path(qi))
		ins_problem(res, "%s: not found on PATH; fix: apt-get install qemu-system-x86 qemu-utils "
			    "seabios", w2c_on_path(q) ? qi : q);
	check_dir(res, "-o", o->output, true);
	if (o->evidence_dir)
		check_dir(res, "--evidence-dir", o->evidence_dir, false);
}

static void choose_accel(ins_run *run)
{
	char why[256] = "", msg[512];
	enum w2c_install_accel a = run->o->accel;
	bool usable = a != W2C_ACCEL_TCG && ins_kvm_usable(why, sizeof why);

	run->kvm = usable;
	snprintf(run->res->accel, sizeof run->res->accel, "%s", usable ? "kvm" : "tcg");
	if (a == W2C_ACCEL_KVM && !usable)
		ins_problem(run->res, "--accel kvm: KVM is not usable: %s; fix: --accel auto (falls back "
			    "to TCG) or run on a host with KVM", why);
	else if (a == W2C_ACCEL_AUTO && !usable) {
		snprintf(msg, sizeof msg, "KVM is not usable (%s): using TCG software emulation, "
			 "typically 10-50 times slower; a Windows Setup of 20-40 minutes under KVM takes "
			 "hours: raise --timeout", why);
		w2c_log(run->o->log, W2C_LOG_WARN, "install: %s", msg);
		ins_emit(run, "accel", msg);
	}
}

static void check_boot(ins_run *run, w2c_media *m)
{
	bool bios = false, uefi = false;
	for (size_t i = 0; i < w2c_media_boot_count(m); i++) {
		const w2c_boot_entry *b = w2c_media_boot_entry(m, i);
		bios |= b->platform_id == 0 && b->bootable;
		uefi |= b->platform_id == 0xEF;
	}
	if (!bios)
		ins_problem(run->res, "%s: El Torito boot catalog has %s; the install boots SeaBIOS "
			    "(BIOS, as the cloud's images); fix: build the ISO from media with "
			    "boot/etfsboot.com (win2cloud inject keeps the source's BIOS entry)",
			    run->o->iso, uefi ? "only a UEFI (0xEF) entry, no bootable BIOS entry"
					      : "no bootable BIOS entry");
}

/* The answer file through the lint, in its install mode: disk 0, BIOS/MBR,
 * no page that waits for a click, the password rule, a final power-off. */
static void check_answer_file(ins_run *run, w2c_media *m)
{
	w2c_node *root = w2c_media_root(m), *u = w2c_tree_lookup(root, "/autounattend.xml");
	const w2c_edition *eds[64];
	size_t ne = w2c_media_edition_count(m), got = 0;
	char *xml;
	w2c_error e;

	if (!u || u->is_dir) {
		ins_problem(run->res, "%s: no /autounattend.xml: Setup stops at its first page; fix: "
			    "win2cloud inject --unattend generate --admin-password-file FILE",
			    run->o->iso);
		return;
	}
	xml = u->size <= MAX_ANSWER_FILE ? malloc(u->size + 1) : NULL;
	if (!xml || w2c_media_read(m, u, 0, xml, u->size, &got, &e)) {
		free(xml);
		ins_problem(run->res, "%s: /autounattend.xml (%llu bytes) cannot be read; fix: inject "
			    "it again", run->o->iso, (unsigned long long)u->size);
		return;
	}
	for (size_t i = 0; i < ne && i < 64; i++)
		eds[i] = w2c_media_edition(m, i);
	w2c_unattend_target t = { root, eds, ne < 64 ? ne : 64 };
	w2c_lint_options lo = { .target = &t, .firmware_set = true, .firmware = W2C_FIRMWARE_BIOS,
				.cloud_set = true, .cloud = W2C_CLOUD_GENERIC, .install = true };
	w2c_lint_report lr;
	if (!w2c_unattend_lint(xml, got, &lo, &lr, &e))
		for (size_t i = 0; i < lr.n; i++)
			if (lr.items[i].severity == W2C_SEV_ERROR)
				ins_problem(run->res, "/autounattend.xml line %ld: %s [%s]; fix: %s",
					    lr.items[i].line, lr.items[i].message, lr.items[i].rule,
					    lr.items[i].fix ? lr.items[i].fix : "see win2cloud unattend lint");
	w2c_lint_report_free(&lr);
	free(xml);
}

static bool has_driver(const w2c_driver_catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->n_entries; i++) {
		const w2c_driver_entry *d = &cat->entries[i];
		if (!w2c_strcasecmp(d->driver, name) &&
		    (!d->arch_folder || !w2c_strcasecmp(d->arch_folder, "amd64")))
			return true;
	}
	return false;
}

/* The disk's driver must be where Setup's WinPE loads drivers from. */
static void check_drivers(ins_run *run, w2c_media *m)
{
	w2c_driver_catalog *cat = w2c_driver_catalog_new();
	w2c_driver_source *src = NULL;
	w2c_error e;
	bool blk = false, scsi = false;
	static const char fix[] = "win2cloud inject --drivers virtio-win.iso (places viostor and "
				  "vioscsi under $WinPEDriver$)";

	if (cat && !w2c_driver_source_from_media(m, "/" W2C_WINPE_DRIVER_DIR, &src, &e) &&
	    !w2c_driver_catalog_add(cat, src, &e)) {
		blk = has_driver(cat, "viostor");
		scsi = has_driver(cat, "vioscsi");
	}
	w2c_driver_catalog_free(cat);
	enum w2c_install_bus want = run->o->bus;
	if (want == W2C_BUS_AUTO)
		want = blk || !scsi ? W2C_BUS_VIRTIO_BLK : W2C_BUS_VIRTIO_SCSI;
	run->bus = want;
	snprintf(run->res->bus, sizeof run->res->bus, "%s",
		 want == W2C_BUS_VIRTIO_SCSI ? "virtio-scsi" : "virtio-blk");
	if (want == W2C_BUS_VIRTIO_BLK && !blk)
		ins_problem(run->res, "%s: no amd64 viostor driver under /$WinPEDriver$: Setup sees no "
			    "disk on --bus virtio-blk; fix: %s%s", run->o->iso, fix,
			    scsi ? ", or --bus virtio-scsi (vioscsi is there)" : "");
	if (want == W2C_BUS_VIRTIO_SCSI && !scsi)
		ins_problem(run->res, "%s: no amd64 vioscsi driver under /$WinPEDriver$: Setup sees no "
			    "disk on --bus virtio-scsi; fix: %s%s", run->o->iso, fix,
			    blk ? ", or --bus virtio-blk (viostor is there)" : "");
}

w2c_code ins_preflight(ins_run *run, w2c_error *err)
{
	w2c_media_options mo = { .log = run->o->log };
	w2c_media *m = NULL;
	w2c_code rc;

	check_options(run);
	if ((rc = w2c_media_open(run->o->iso, &mo, &m, err)))
		return rc;
	check_boot(run, m);
	check_answer_file(run, m);
	check_drivers(run, m);
	w2c_media_free(m);
	if (!run->res->n_problems)
		choose_accel(run);
	return W2C_OK;
}
