/* win2cloud unattend new|merge|lint: answer files for unattended Setup. */
#include "uxcli.h"
#include "win2cloud/unattend.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help_text[] =
	"usage: win2cloud unattend new [options] [-o FILE]\n"
	"       win2cloud unattend merge IN.xml -o OUT.xml [options]\n"
	"       win2cloud unattend lint FILE [--for ISO] [--firmware bios|uefi] [--cloud C] [--install]\n"
	"                               [--json]\n"
	"\n"
	"new writes a complete autounattend.xml; merge adds or updates only what the options\n"
	"name in a user's answer file and keeps everything else; lint checks a file.\n"
	"\n"
	"Options for new and merge:\n"
	"  --edition INDEX|NAME        install image: /IMAGE/INDEX (digits) or /IMAGE/NAME\n"
	"  --arch amd64|x86|arm64      processorArchitecture (new: amd64; merge: the file's)\n"
	"  --firmware bios|uefi        disk layout: MBR (default) or GPT with EFI+MSR (new)\n"
	"  --cloud huawei|otc|openstack|generic\n"
	"                              cloud profile (default huawei): sets the default --disk\n"
	"  --disk N                    target DiskID (huawei/otc: 1, the data disk; else 0);\n"
	"                              with merge, rewrites DiskID of Disk and InstallTo\n"
	"  --admin-password-file F     Administrator password from F (mode 0600, first line)\n"
	"  --admin-password-env VAR    ... from environment variable VAR\n"
	"  --admin-password-stdin      ... from the first line of standard input\n"
	"  --plain-password            write it as PlainText true (default: obfuscated form)\n"
	"  --locale L                  UI, system, user and input locale (new: en-US)\n"
	"  --timezone TZ               Windows time zone id (new: UTC)\n"
	"  --computer-name NAME        computer name (new: * = random)\n"
	"  --product-key-file F        product key from F (none for evaluation media)\n"
	"  --rdp                       enable Remote Desktop (NLA) and its firewall group\n"
	"  --driver-paths              DriverPaths to \\$WinPEDriver$ on drives D:-Z: (not X:)\n"
	"  --dhcp                      new: every network adapter on DHCP at first logon\n"
	"  --cloudbase-init MSI        new: install Cloudbase-Init silently from the medium's\n"
	"                              \\win2cloud\\CloudbaseInitSetup_x64.msi (inject places MSI)\n"
	"  --shutdown | --generalize   new: end by powering off, or by sysprep /generalize /oobe\n"
	"                              /shutdown (both log on once as Administrator to run them;\n"
	"                              needed by win2cloud install)\n"
	"  -o, --output FILE           output file (new: standard output when absent or '-')\n"
	"\n"
	"Options for lint:\n"
	"  --for ISO                   check edition, architecture and driver paths on ISO\n"
	"  --firmware bios|uefi        check the disk layout against the boot firmware\n"
	"  --cloud PROFILE             check InstallTo against the profile's install disk\n"
	"  --install                   the rules of win2cloud install: no page that waits for a\n"
	"                              click (EULA, language, edition, password, msiexec UI) and\n"
	"                              a last step that powers off (install.* rules)\n"
	"\n"
	"Passwords are checked against the cloud's rule before writing (8-26 characters,\n"
	"upper, lower, digit, special from !@$%^-_=+[{}]:,./? and no user name) and never\n"
	"printed. lint exits 3 when it finds errors.\n";

static int parse_args(int argc, char **argv, w2c_cli *cli, const char *verb, ux_args *a)
{
	static const struct option longopts[] = {
		{ "edition", required_argument, NULL, OPT_EDITION },
		UX_LONGOPTS,
		{ "for", required_argument, NULL, OPT_FOR },
		{ "install", no_argument, NULL, OPT_INSTALL },
		{ "output", required_argument, NULL, 'o' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	char why[512];
	int c, h;

	w2c_unattend_options_init(&a->o);
	while ((c = getopt_long(argc, argv, "o:hvq", longopts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		if ((h = ux_option(a, c, optarg, why, sizeof why)) != 0) {
			if (h < 0)
				return cli_usage_error(cli, verb, "%s", why);
			continue;
		}
		switch (c) {
		case 'h':
			cli_help(help_text);
			return 0;
		case OPT_FOR: a->for_iso = optarg; break;
		case OPT_INSTALL: a->lint_install = true; break;
		case 'o': a->output = optarg; break;
		default:
			return cli_usage_error(cli, verb, "unknown option");
		}
	}
	return -1; /* continue */
}

static int write_result(w2c_cli *cli, const char *out, const char *xml, size_t len)
{
	w2c_error err;

	bool to_stdout = !out || !strcmp(out, "-");
	if (to_stdout && !cli->json) {
		fwrite(xml, 1, len, stdout);
		return fflush(stdout) ? 1 : 0;
	}
	/* It may hold a password: owner-only. */
	if (!to_stdout && w2c_unattend_write(out, xml, len, &err))
		return cli_fail(cli, &err);
	if (cli->json) { /* one document on stdout; the answer file in it when not written */
		json_t *doc = json_pack("{s:b,s:s,s:I}", "ok", 1, "output", to_stdout ? "-" : out,
					"bytes", (json_int_t)len);
		if (doc && to_stdout)
			json_object_set_new(doc, "xml", json_stringn(xml, len));
		else if (doc)
			json_object_set_new(doc, "mode", json_string("0600"));
		cli_print_json(doc);
		return 0;
	}
	cli_notice(cli, "wrote %s (%zu byte%s)", out, len, len == 1 ? "" : "s");
	return 0;
}

static int run_new(int argc, char **argv, w2c_cli *cli)
{
	ux_args a = { 0 };
	w2c_error err;
	char *xml = NULL;
	size_t len = 0;
	int st = parse_args(argc, argv, cli, "unattend new", &a);

	if (st >= 0)
		return st;
	if (optind < argc)
		return cli_usage_error(cli, "unattend new", "takes no file argument (use -o FILE)");
	if (ux_load_secrets(&a, &err) || w2c_unattend_new(&a.o, &xml, &len, &err)) {
		ux_free_secrets(&a);
		free(xml);
		return cli_fail(cli, &err);
	}
	if (!a.o.image_index && !a.o.image_name)
		cli_notice(cli, "no --edition: Setup asks which edition to install when the media has several");
	if (!a.o.admin_password)
		cli_notice(cli, "no Administrator password given: Setup asks for one");
	st = write_result(cli, a.output, xml, len);
	explicit_bzero(xml, len);
	free(xml);
	ux_free_secrets(&a);
	return st;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int run_merge(int argc, char **argv, w2c_cli *cli)
{
	ux_args a = { 0 };
	w2c_error err;
	char *xml = NULL;
	size_t len = 0;
	int st = parse_args(argc, argv, cli, "unattend merge", &a);

	if (st >= 0)
		return st;
	if (optind + 1 != argc)
		return cli_usage_error(cli, "unattend merge", "needs exactly one input file");
	if (!a.output)
		return cli_usage_error(cli, "unattend merge", "needs -o OUT.xml");
	if (same_file(argv[optind], a.output))
		return cli_usage_error(cli, "unattend merge", "would overwrite its input %s; write "
				       "to another file", argv[optind]);
	a.o.merge_disk = a.o.merge_disk || a.cloud_set;
	if (ux_load_secrets(&a, &err) || w2c_unattend_merge_file(argv[optind], &a.o, &xml, &len, &err)) {
		ux_free_secrets(&a);
		return cli_fail(cli, &err);
	}
	st = write_result(cli, a.output, xml, len);
	explicit_bzero(xml, len);
	free(xml);
	ux_free_secrets(&a);
	return st;
}

static void print_report(w2c_cli *cli, const char *file, const w2c_lint_report *r)
{
	if (cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < r->n; i++) {
			const w2c_finding *f = &r->items[i];
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:I,s:s,s:s}", "rule", f->rule,
				"severity", w2c_severity_name(f->severity), "xpath", f->xpath,
				"line", (json_int_t)f->line, "message", f->message, "fix", f->fix));
		}
		cli_print_json(json_pack("{s:s,s:b,s:I,s:I,s:o}", "file", file, "ok", r->errors == 0,
					 "errors", (json_int_t)r->errors, "warnings",
					 (json_int_t)r->warnings, "findings", arr));
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		const w2c_finding *f = &r->items[i];
		if (f->severity == W2C_SEV_INFO && !cli->verbose)
			continue;
		printf("%s:%ld: %s: [%s] %s\n    at %s\n    fix: %s\n", file, f->line,
		       w2c_severity_name(f->severity), f->rule, f->message, f->xpath, f->fix);
	}
	printf("%s: %zu error(s), %zu warning(s)\n", file, r->errors, r->warnings);
}

static int run_lint(int argc, char **argv, w2c_cli *cli)
{
	ux_args a = { 0 };
	w2c_lint_options lo = { 0 };
	w2c_lint_report r;
	w2c_error err;
	int st = parse_args(argc, argv, cli, "unattend lint", &a);

	if (st >= 0)
		return st;
	if (optind + 1 != argc)
		return cli_usage_error(cli, "unattend lint", "needs exactly one answer file");
	lo.firmware_set = a.firmware_set;
	lo.firmware = a.o.firmware;
	lo.cloud_set = a.cloud_set;
	lo.cloud = a.o.cloud;
	lo.install = a.lint_install;
	if (w2c_unattend_lint_file(argv[optind], a.for_iso, &lo, &r, &err))
		return cli_fail(cli, &err);
	print_report(cli, argv[optind], &r);
	st = r.errors ? w2c_exit_status(W2C_ERR_VIOLATIONS) : 0;
	w2c_lint_report_free(&r);
	return st;
}

int cmd_unattend(int argc, char **argv, w2c_cli *cli)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		if (argc < 2)
			return cli_usage_error(cli, "unattend", "needs a subcommand: new, merge or lint");
		return cli_help(help_text);
	}
	if (!strcmp(argv[1], "new"))
		return run_new(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "merge"))
		return run_merge(argc - 1, argv + 1, cli);
	if (!strcmp(argv[1], "lint"))
		return run_lint(argc - 1, argv + 1, cli);
	return cli_usage_error(cli, "unattend", "'%s' is not new, merge or lint", argv[1]);
}
