/* win2cloud install: run the unattended Setup of an ISO in QEMU, hand back a system disk. */
#include "cli.h"
#include "win2cloud/install.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud install ISO -o DISK [--size 60G] [--format qcow2|raw|vpc|vmdk]\n"
	"         [--timeout 3h] [--memory 4G] [--cpus N] [--accel auto|kvm|tcg]\n"
	"         [--bus auto|virtio-blk|virtio-scsi] [--evidence-dir DIR] [--json]\n"
	"\n"
	"Boot ISO (injected: drivers and an answer file, see win2cloud-inject(1)) in QEMU under\n"
	"SeaBIOS with a new sparse disk, let Windows Setup install onto it unattended, and\n"
	"write the disk as DISK (with DISK.sha256) once the guest has powered itself off; then\n"
	"the deep check of win2cloud-check(1) runs on DISK and its report is shown.\n"
	"Before QEMU starts, everything that would make the disk unusable is refused (exit 3):\n"
	"no BIOS boot entry, no answer file, one that does not install to disk 0 with an MBR\n"
	"layout, waits for a click, lacks a password of the cloud's rule or never powers off;\n"
	"no viostor/vioscsi driver under $WinPEDriver$; --size outside 40-1024 GB.\n"
	"\n"
	"  -o, --output DISK    the disk image to write (appears only when complete)\n"
	"  --size SIZE          virtual disk size, 40G-1024G (default 60G)\n"
	"  --format FMT         qcow2 (default, compressed), raw, vpc (VHD) or vmdk\n"
	"  --no-compress        qcow2 without compression (faster, larger)\n"
	"  --timeout DURATION   give up when the guest has not powered off: 90s, 45m, 3h (default 3h)\n"
	"  --memory SIZE        guest RAM (default 4G)\n"
	"  --cpus N             guest CPUs (default 2)\n"
	"  --accel MODE         auto (default: KVM when /dev/kvm is usable, else TCG with a\n"
	"                       warning: 10-50 times slower), kvm or tcg\n"
	"  --bus BUS            the system disk's bus; auto follows the injected drivers\n"
	"                       (viostor: virtio-blk, else vioscsi: virtio-scsi)\n"
	"  --max-resets N       guest reboots allowed (default 8; Setup reboots 2-4 times)\n"
	"  --evidence-dir DIR   where a failure keeps DISK.screen.png and DISK.console.log\n"
	"                       (default: DISK's directory)\n"
	"  --profile NAME       rules of the deep check: openstack (default), otc, huaweicloud\n"
	"  --no-deep            check the disk's header only (no libguestfs)\n"
	"  --json               result as JSON on stdout, JSON-lines events on stderr\n"
	"\n"
	"On a terminal a progress line shows the elapsed time, the bytes written to the disk and\n"
	"the last serial console line.  SIGINT or SIGKILL never leave QEMU running or a half\n"
	"disk under DISK; Setup cannot resume, a re-run starts over.\n"
	"\n"
	"Exit status: 0 installed and checked, 1 QEMU failed or the guest hung past --timeout\n"
	"or reset in a loop (screenshot and console log named), 2 usage, 3 preflight problems\n"
	"(QEMU not started) or deep-check errors (DISK kept), 4 unreadable ISO, 6 interrupted.\n";

enum { O_SIZE = 0x3000, O_FORMAT, O_NOCOMP, O_TIMEOUT, O_MEMORY, O_CPUS, O_ACCEL, O_BUS,
       O_RESETS, O_EVID, O_PROFILE, O_NODEEP };

static const struct option opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "size", required_argument, NULL, O_SIZE },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "no-compress", no_argument, NULL, O_NOCOMP },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "memory", required_argument, NULL, O_MEMORY },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "accel", required_argument, NULL, O_ACCEL },
	{ "bus", required_argument, NULL, O_BUS },
	{ "max-resets", required_argument, NULL, O_RESETS },
	{ "evidence-dir", required_argument, NULL, O_EVID },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "no-deep", no_argument, NULL, O_NODEEP },
	CLI_COMMON_LONGOPTS,
	{ 0 },
};

static int interrupted(void *user, const w2c_progress_event *ev)
{
	(void)user;
	(void)ev;
	return cli_interrupted();
}

static void on_event(void *user, const w2c_install_event *ev)
{
	w2c_cli *cli = user;
	char b[32];
	int el = (int)ev->elapsed;

	if (cli->quiet)
		return;
	if (cli->json) {
		cli_event(json_pack("{s:s,s:s,s:f,s:I,s:s?,s:s?,s:I}", "event", "install", "kind",
				    ev->kind, "elapsed", ev->elapsed, "disk_bytes", (json_int_t)ev->disk_bytes,
				    "console", ev->console, "message", ev->message, "qemu_pid",
				    (json_int_t)ev->qemu_pid));
		return;
	}
	if (!strcmp(ev->kind, "progress")) {
		if (cli->tty) {
			fprintf(stderr, "\r\033[Kinstall %02d:%02d:%02d wrote %s | %.60s", el / 3600,
				el / 60 % 60, el % 60, cli_human_bytes(ev->disk_bytes, b),
				ev->console ? ev->console : "");
			fflush(stderr);
			cli->progress_last = 1;
		}
		return;
	}
	cli_progress_end(cli);
	if (!strcmp(ev->kind, "start") || !strcmp(ev->kind, "reset") || !strcmp(ev->kind, "poweroff") ||
	    !strcmp(ev->kind, "convert"))
		fprintf(stderr, "win2cloud: install: %s%s%s (%02d:%02d:%02d)\n", ev->kind,
			ev->message ? ": " : "", ev->message ? ev->message : "", el / 3600, el / 60 % 60,
			el % 60);
}

static json_t *report_json(const w2c_check_report *r)
{
	json_t *a = json_array();
	static const char *const st[] = { "pass", "fail", "skip" };
	static const char *const sev[] = { "info", "warning", "error", "off" };
	for (size_t k = 0; r && k < w2c_check_report_count(r); k++) {
		const w2c_check_finding *f = w2c_check_report_get(r, k);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s?}", "rule", f->rule, "status",
						   st[f->status], "severity", sev[f->severity], "message",
						   f->message, "fix", f->fix));
	}
	return a;
}

static void print_text(const w2c_install_options *o, const w2c_install_result *res)
{
	const w2c_check_report *r = res->report;
	printf("installed %s: %s, %llu bytes, sha256 %s (%s, %s, %.0f s, %u reset(s))\n", o->output,
	       o->format, (unsigned long long)res->bytes, res->sha256, res->accel, res->bus,
	       res->install_seconds, res->resets);
	for (size_t k = 0; r && k < w2c_check_report_count(r); k++) {
		const w2c_check_finding *f = w2c_check_report_get(r, k);
		const char *s = f->status == W2C_STATUS_PASS ? "ok" : f->status == W2C_STATUS_SKIP ? "skip"
				: f->severity == W2C_CHECK_ERROR ? "ERROR" : "warning";
		printf("  %-7s %-26s %s\n", s, f->rule, f->message);
		if (f->fix && f->status == W2C_STATUS_FAIL)
			printf("  %-7s %-26s fix: %s\n", "", "", f->fix);
	}
}

static int finish(w2c_cli *cli, const w2c_install_options *o, w2c_install_result *res,
		  w2c_code rc, const w2c_error *err)
{
	cli_progress_end(cli);
	for (unsigned i = 0; !cli->json && i < res->n_problems; i++)
		fprintf(stderr, "win2cloud: install: preflight: %s\n", res->problems[i]);
	if (cli->json) {
		json_t *p = json_array();
		for (unsigned i = 0; i < res->n_problems; i++)
			json_array_append_new(p, json_string(res->problems[i]));
		cli_print_json(json_pack("{s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:f,s:i,s:I,s:o,s:o,s:s?,s:s?,s:s?}",
			"ok", rc == W2C_OK, "iso", o->iso, "output", o->output, "format", o->format,
			"accel", res->accel, "bus", res->bus, "sha256", res->sha256,
			"bytes", (json_int_t)res->bytes, "error", rc ? err->message : "",
			"install_seconds", res->install_seconds, "resets", (int)res->resets,
			"disk_bytes", (json_int_t)res->disk_bytes, "problems", p,
			"check", report_json(res->report),
			"screenshot", res->screenshot[0] ? res->screenshot : NULL,
			"console_log", res->console_log[0] ? res->console_log : NULL,
			"last_console", res->last_console[0] ? res->last_console : NULL));
		if (rc)
			fprintf(stderr, "win2cloud: error: %s\n", err->message);
	} else {
		if (res->report)
			print_text(o, res);
		if (rc)
			fprintf(stderr, "win2cloud: error: %s\n", err->message);
	}
	w2c_install_result_clear(res);
	return w2c_exit_status(rc);
}

static int parse_enum(const char *v, const char *const *names, int *out)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(v, names[i]))
			return *out = i, 0;
	return -1;
}

/* One option into @o; 0 ok, else the exit status of a usage error. */
static int option(w2c_cli *cli, int c, w2c_install_options *o, const char **profile)
{
	static const char *const accels[] = { "auto", "kvm", "tcg", NULL };
	static const char *const buses[] = { "auto", "virtio-blk", "virtio-scsi", NULL };
	w2c_error err;
	int v = 0;
	char *end;

	switch (c) {
	case 'o': o->output = optarg; return 0;
	case O_SIZE: return w2c_install_parse_size(optarg, "--size", &o->size, &err) ? cli_fail(cli, &err) : 0;
	case O_MEMORY: return w2c_install_parse_size(optarg, "--memory", &o->memory, &err) ? cli_fail(cli, &err) : 0;
	case O_TIMEOUT: return w2c_install_parse_duration(optarg, "--timeout", &o->timeout, &err) ? cli_fail(cli, &err) : 0;
	case O_FORMAT: o->format = optarg; return 0;
	case O_NOCOMP: o->no_compress = true; return 0;
	case O_CPUS: case O_RESETS:
		v = (int)strtol(optarg, &end, 10);
		if (!*optarg || *end || v < 0 || v > 1000)
			return cli_usage_error(cli, "install", "'%s': expected a number", optarg);
		*(c == O_CPUS ? &o->cpus : &o->max_resets) = (unsigned)v;
		return 0;
	case O_ACCEL:
		if (parse_enum(optarg, accels, &v))
			return cli_usage_error(cli, "install", "--accel '%s': expected auto, kvm or tcg", optarg);
		o->accel = (enum w2c_install_accel)v;
		return 0;
	case O_BUS:
		if (parse_enum(optarg, buses, &v))
			return cli_usage_error(cli, "install", "--bus '%s': expected auto, virtio-blk or virtio-scsi", optarg);
		o->bus = (enum w2c_install_bus)v;
		return 0;
	case O_EVID: o->evidence_dir = optarg; return 0;
	case O_PROFILE: *profile = optarg; return 0;
	case O_NODEEP: o->deep = W2C_DEEP_OFF; return 0;
	default: return cli_usage_error(cli, "install", "unknown option");
	}
}

int cmd_install(int argc, char **argv, w2c_cli *cli)
{
	w2c_install_options o;
	w2c_install_result res;
	w2c_progress stop = { interrupted, NULL };
	w2c_check_profile *prof = NULL;
	const char *profile = "openstack";
	w2c_error err;
	int c, rc;

	w2c_install_options_init(&o);
	while ((c = getopt_long(argc, argv, "hvqo:", opts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		if (c == 'h')
			return cli_help(help);
		if ((rc = option(cli, c, &o, &profile)))
			return rc;
	}
	if (optind + 1 != argc || !o.output)
		return cli_usage_error(cli, "install", "expects one ISO and -o DISK");
	o.iso = argv[optind];
	if (w2c_check_profile_load(profile, NULL, &prof, &err))
		return cli_fail(cli, &err);
	o.profile = prof;
	o.progress = &stop;
	o.event = on_event;
	o.event_user = cli;
	o.log = &cli->log;
	w2c_code code = w2c_install(&o, &res, &err);
	rc = finish(cli, &o, &res, code, &err);
	w2c_check_profile_free(prof);
	return rc;
}
