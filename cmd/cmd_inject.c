/* win2cloud inject: place the right drivers per edition under $WinPEDriver$ and rebuild the ISO. */
#include "drvcli.h"
#include "uxcli.h"
#include "win2cloud/inject.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud inject ISO --drivers SRC... -o OUT.iso [--edition INDEX|NAME]...\n"
	"                        [--driver NAME]... [--no-driver NAME]... [--json]\n"
	"                        [--level media|image|boot[,...]]\n"
	"                        [--unattend FILE|generate [answer-file options]]\n"
	"                        [--large-files split|multi-extent] [--filesystems LIST]\n"
	"                        [--udf-only] [--udf-revision 1.02|2.01]\n"
	"\n"
	"Select, for every edition of install.wim/esd (or those given with --edition), the\n"
	"driver folder whose INF accepts the edition's arch and build (see 'win2cloud drivers'),\n"
	"place the packages under $WinPEDriver$/<driver>/<os>_<arch>/ on the medium (Windows\n"
	"Setup loads them into WinPE and stages them into the installed system) with the manifest\n"
	"$WinPEDriver$/win2cloud-drivers.json (package, version, INF sha256, editions, paths,\n"
	"coverage), and write OUT.iso through the streamed build.  The manifest is also written\n"
	"next to the output as OUT.iso.drivers.json.  Re-running on an injected ISO replaces\n"
	"the earlier additions instead of stacking them.\n"
	"\n"
	"  --drivers SRC      virtio-win ISO, virtio-win-layout directory or directory of INF\n"
	"                     packages; repeatable\n"
	"  -o, --output OUT   the ISO to write (never the source)\n"
	"  --edition X        only these editions (index or name); repeatable\n"
	"  --driver NAME      also inject NAME ('*' = every driver found); repeatable\n"
	"  --no-driver NAME   do not inject NAME; repeatable\n"
	"  --level L          where drivers go (default media; a comma-separated set):\n"
	"                     media: the medium's $WinPEDriver$ (Setup loads them)\n"
	"                     image: offline servicing of every selected edition of\n"
	"                     install.wim/esd without DISM (virt-v2v's recipe): all package files\n"
	"                     into \\Windows\\Drivers\\VirtIO, the storage driver's .sys into\n"
	"                     System32\\drivers, SYSTEM hive service + CriticalDeviceDatabase\n"
	"                     (before Windows 8) or DriverDatabase entries, CrashControl\n"
	"                     AutoReboot 0, SOFTWARE DevicePath, and a SetupComplete.cmd running\n"
	"                     pnputil /add-driver (untested on a booting Windows here)\n"
	"                     boot: the same storage-driver recipe (.sys + SYSTEM hive only) in\n"
	"                     boot.wim's boot image, with the drivers of the first edition of its\n"
	"                     arch (UNCONFIRMED that WinPE binds it; not needed with media)\n"
	"  --large-files split|multi-extent\n"
	"                     a WIM/ESD of 4 GiB or more: split into NAME.swm parts (the default\n"
	"                     without UDF) or keep it whole (the default with UDF, which carries\n"
	"                     it; ISO 9660 gets a level 3 multi-extent file; see win2cloud-build(1))\n"
	"  --filesystems LIST trees to write, from udf,iso9660,joliet (default: udf plus the\n"
	"                     trees the source had)\n"
	"  --udf-only         Microsoft's layout: files in UDF only, README.TXT in ISO 9660\n"
	"  --udf-revision 1.02|2.01  UDF revision written (default 1.02)\n"
	"  --unattend generate  write a new autounattend.xml at the media root whose DriverPaths\n"
	"                     point at the $WinPEDriver$ folders placed here\n"
	"  --unattend FILE    merge FILE (as 'unattend merge' does: only what we own changes) with\n"
	"                     those DriverPaths and put it at the media root as autounattend.xml\n"
	"                     (an answer file already on the medium is replaced, with a notice)\n"
	"  answer-file options, as for 'win2cloud unattend new|merge': --arch, --firmware,\n"
	"                     --cloud, --disk, --admin-password-file|-env|-stdin, --plain-password,\n"
	"                     --locale, --timezone, --computer-name, --product-key-file, --rdp,\n"
	"                     --dhcp, --shutdown|--generalize, --cloudbase-init MSI (placed at\n"
	"                     /win2cloud/CloudbaseInitSetup_x64.msi; see win2cloud-install(1));\n"
	"                     a single --edition also selects the image the answer file installs\n"
	"\n"
	"Nothing is written when a source does not parse, an edition lacks a boot-critical\n"
	"driver (viostor, vioscsi) or the answer file has lint errors on the new medium.\n"
	"OUT.iso, OUT.iso.sha256 and OUT.iso.drivers.json appear together or not at all; an\n"
	"OUT.iso whose answer file holds a password is written mode 0600.\n"
	"\n"
	"Exit status: 0 ok, 1 write failure, 2 usage, 3 an edition lacks a boot-critical\n"
	"driver or the answer file has lint errors, 4 unreadable ISO, driver source or answer\n"
	"file, or a WIM/hive that cannot be serviced, 6 interrupted.\n";

typedef struct inject_job {
	drv_args a;
	const char *iso, *out, *unattend;
	enum w2c_large_files large_files;
	unsigned filesystems, udf_revision;
	bool udf_only;
	ux_args ux;
	bool media, image, boot;
} inject_job;

static void job_free(inject_job *j)
{
	ux_free_secrets(&j->ux);
	drv_args_free(&j->a);
}

static void print_result(w2c_cli *cli, inject_job *j, const w2c_inject_result *res)
{
	if (cli->json) {
		json_t *cov = json_array();
		for (size_t i = 0; i < res->n_selections; i++)
			json_array_append_new(cov, drv_coverage_json(&res->selections[i]));
		char level[32];
		snprintf(level, sizeof level, "%s%s%s%s%s", j->media ? "media" : "",
			 j->media && j->image ? "," : "", j->image ? "image" : "",
			 (j->media || j->image) && j->boot ? "," : "", j->boot ? "boot" : "");
		char *imgs = w2c_service_json(res->service);
		json_t *ji = imgs ? json_loads(imgs, 0, NULL) : json_array();
		free(imgs);
		cli_print_json(json_pack("{s:b,s:s,s:I,s:s,s:s,s:s,s:o,s:o}", "ok", 1, "output", j->out, "bytes",
					 (json_int_t)res->build.bytes, "sha256", res->build.sha256, "manifest",
					 W2C_DRIVERS_MANIFEST, "level", level, "coverage", cov, "images",
					 ji ? ji : json_array()));
		return;
	}
	for (size_t i = 0; !cli->quiet && i < res->n_selections; i++)
		drv_print_coverage(&res->selections[i]);
	for (size_t i = 0; !cli->quiet && i < w2c_service_image_count(res->service); i++) {
		const w2c_service_image *im = w2c_service_image_at(res->service, i);
		printf("%s image %u%s%s%s: %s via %s, %u files in \\Windows\\Drivers\\VirtIO, %u SYSTEM and "
		       "%u SOFTWARE values set, SetupComplete.cmd %s\n", im->wim, im->index,
		       im->name ? " (" : "", im->name ? im->name : "", im->name ? ")" : "", im->storage,
		       im->driver_database ? "DriverDatabase" : "CriticalDeviceDatabase", im->files,
		       im->system_changes, im->software_changes, im->setupcomplete);
	}
	if (!cli->quiet)
		printf("wrote %s (%llu bytes)\nsha256 %s\n", j->out, (unsigned long long)res->build.bytes,
		       res->build.sha256);
}

static int run(w2c_cli *cli, inject_job *j)
{
	w2c_inject_options o = {
		.drivers = j->a.srcs, .n_drivers = j->a.n_srcs, .wanted = j->a.wanted,
		.editions = j->a.editions, .n_editions = j->a.n_editions,
		.levels = (j->media ? W2C_INJECT_MEDIA : 0) | (j->image ? W2C_INJECT_IMAGE : 0) |
			  (j->boot ? W2C_INJECT_BOOT : 0),
		.large_files = j->large_files, .filesystems = j->filesystems,
		.udf_only = j->udf_only, .udf_revision = j->udf_revision, .unattend = j->unattend, .answer = &j->ux.o,
		.firmware_set = j->ux.firmware_set, .cloud_set = j->ux.cloud_set,
		.progress = &cli->progress, .log = &cli->log,
	};
	w2c_inject_result res;
	w2c_error err;
	int status = 0;

	if (j->unattend && ux_load_secrets(&j->ux, &err))
		return cli_fail(cli, &err);
	w2c_code rc = w2c_inject(j->iso, j->out, &o, &res, &err);
	cli_progress_end(cli);
	if (res.answer_replaced)
		cli_notice(cli, "%s: its autounattend.xml is replaced by the %s answer file", j->iso,
			   strcmp(j->unattend, W2C_INJECT_UNATTEND_GENERATE) ? "merged" : "generated");
	if (res.missing)
		drv_print_missing(res.selections, res.n_selections);
	if (rc)
		status = cli_fail(cli, &err);
	else
		print_result(cli, j, &res);
	w2c_inject_result_free(&res);
	return status;
}

/* A comma-separated set of "media", "image", "boot". */
static bool parse_level(inject_job *j, const char *arg)
{
	char *dup = strdup(arg), *save = NULL;
	bool ok = dup != NULL;
	j->media = j->image = j->boot = false;
	for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "media"))
			j->media = true;
		else if (!strcmp(t, "image"))
			j->image = true;
		else if (!strcmp(t, "boot"))
			j->boot = true;
		else
			ok = false;
	}
	free(dup);
	return ok && (j->media || j->image || j->boot);
}

int cmd_inject(int argc, char **argv, w2c_cli *cli)
{
	static const struct option opts[] = {
		{ "drivers", required_argument, NULL, DRV_OPT_SOURCE },
		{ "output", required_argument, NULL, 'o' },
		{ "level", required_argument, NULL, 'L' },
		{ "unattend", required_argument, NULL, 'U' },
		{ "large-files", required_argument, NULL, 'F' },
		{ "filesystems", required_argument, NULL, 0x3001 },
		{ "udf-only", no_argument, NULL, 0x3002 },
		{ "udf-revision", required_argument, NULL, 0x3003 },
		DRV_LONGOPTS,
		UX_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	inject_job j = { 0 };
	char why[512];
	bool ux_used = false;
	int c, h, status;

	drv_args_init(&j.a);
	w2c_unattend_options_init(&j.ux.o);
	while ((c = getopt_long(argc, argv, "hvqo:", opts, NULL)) != -1) {
		if (cli_common_option(cli, c) || drv_option(&j.a, c, optarg))
			continue;
		if ((h = ux_option(&j.ux, c, optarg, why, sizeof why)) != 0) {
			ux_used = ux_used || h > 0;
			if (h > 0)
				continue;
			job_free(&j);
			return cli_usage_error(cli, "inject", "%s", why);
		}
		switch (c) {
		case 'U': j.unattend = optarg; break;
		case 'h': job_free(&j); return cli_help(help);
		case 'o': j.out = optarg; break;
		case 'F':
			if (!strcmp(optarg, "split")) j.large_files = W2C_LARGE_SPLIT;
			else if (!strcmp(optarg, "multi-extent")) j.large_files = W2C_LARGE_MULTI_EXTENT;
			else {
				job_free(&j);
				return cli_usage_error(cli, "inject", "--large-files: '%s' is not split or multi-extent", optarg);
			}
			break;
		case 0x3001: case 0x3003: {
			w2c_error perr;
			if (c == 0x3001 ? w2c_build_parse_filesystems(optarg, &j.filesystems, &perr)
					: w2c_build_parse_udf_revision(optarg, &j.udf_revision, &perr)) {
				job_free(&j);
				return cli_usage_error(cli, "inject", "%s", perr.message);
			}
			break;
		}
		case 0x3002: j.udf_only = true; break;
		case 'L':
			if (!parse_level(&j, optarg)) {
				job_free(&j);
				return cli_usage_error(cli, "inject", "--level: '%s' is not a comma-separated set of media, image, boot",
						       optarg);
			}
			break;
		default: job_free(&j); return cli_usage_error(cli, "inject", "unknown option");
		}
	}
	if (optind + 1 != argc || !j.out || !j.a.n_srcs) {
		job_free(&j);
		return cli_usage_error(cli, "inject", "expects ISO, --drivers SRC and -o OUT.iso");
	}
	if (!j.media && !j.image && !j.boot)
		j.media = true;
	if (j.unattend && !j.media) {
		job_free(&j);
		return cli_usage_error(cli, "inject", "--unattend needs --level media (its DriverPaths point "
				       "at $WinPEDriver$)");
	}
	if (ux_used && !j.unattend) {
		job_free(&j);
		return cli_usage_error(cli, "inject", "answer-file options need --unattend FILE|generate");
	}
	j.iso = argv[optind];
	status = run(cli, &j);
	job_free(&j);
	return status;
}
