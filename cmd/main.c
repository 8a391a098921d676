/* win2cloud: dispatch to one subcommand per file, git-style. */
#include "cli.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_on_signal(int sig);
void cli_progress_init(w2c_cli *cli);

static int cmd_version(int argc, char **argv, w2c_cli *cli)
{
	(void)argc;
	(void)argv;
	if (cli->json)
		cli_print_json(json_pack("{s:s}", "version", W2C_VERSION_STRING));
	else
		printf("win2cloud %s\n", W2C_VERSION_STRING);
	return 0;
}

struct command {
	const char *name;
	w2c_cmd_fn fn;
	const char *summary;
};

/* Keep sorted by pipeline order; each verb lives in cmd/cmd_<verb>.c. */
static const struct command commands[] = {
	{ "inspect", cmd_inspect, "show what a Windows ISO holds: file systems, boot entries, editions" },
	{ "unpack", cmd_unpack, "extract an ISO into a directory that 'build' can read back" },
	{ "build", cmd_build, "write a bootable ISO from an ISO, streamed, with edits" },
	{ "verify", cmd_verify, "check a rebuilt ISO: boot catalog, files against the source, .sha256, names, QEMU boot" },
	{ "unattend", cmd_unattend, "generate, merge and lint autounattend.xml answer files" },
	{ "drivers", cmd_drivers, "list driver packages of virtio-win/INF sources; coverage per edition with --for" },
	{ "inject", cmd_inject, "place the right virtio-win/VMTools drivers per edition under $WinPEDriver$ and rebuild" },
	{ "install", cmd_install, "run the unattended Setup of an injected ISO in QEMU; write the system disk" },
	{ "check", cmd_check, "verify the cloud's constraints on an ISO, a disk image and registration parameters" },
	{ "upload", cmd_upload, "upload a file to OBS / S3 / a directory: multipart, resumable, verified" },
	{ "register", cmd_register, "register an uploaded ISO or disk image with IMS or Glance" },
	{ "onboard", cmd_onboard, "ISO image -> temporary server -> system-disk image on OTC/Huawei Cloud, server deleted" },
	{ "run", cmd_run, "run a pipeline file: the stages above in order, skipping what is done" },
	{ "version", cmd_version, "print the version (same as --version)" },
};

static const char usage_text[] =
	"usage: win2cloud [-v] [-q] [--json] <command> [<args>]\n"
	"       win2cloud --version | --help | <command> --help\n"
	"\n"
	"Turn a stock Windows installation ISO into a cloud-ready image.\n"
	"\n"
	"Global options:\n"
	"  -v, --verbose   debug log on stderr (secrets are redacted); repeat for more\n"
	"  -q, --quiet     no progress and no notices\n"
	"      --json      structured output on stdout, JSON-lines events on stderr\n"
	"      --version   print the version and exit\n"
	"\n"
	"Exit status:\n"
	"  0 ok, 1 runtime failure, 2 usage error, 3 checks found violations,\n"
	"  4 invalid or unreadable input, 5 remote service error,\n"
	"  6 interrupted but resumable.\n"
	"\n"
	"Commands:\n";

static void usage(FILE *out)
{
	fputs(usage_text, out);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nSee 'win2cloud <command> --help' and 'man win2cloud-<command>' for each command.\n", out);
}

static void log_to_stderr(void *user, enum w2c_log_level level, const char *msg)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	(void)user;
	fprintf(stderr, "win2cloud: %s: %s\n", names[level], msg);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cli_on_signal;
	/* The first signal asks the running stage to stop cleanly (exit 6); a second
	 * one gets the default action, so code that never polls can still be killed. */
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* --json anywhere before "--" asks for JSON, also for a usage error that stops
 * the parse before getopt reaches it (`build --bogus --json`). */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	w2c_cli cli = { 0 };
	w2c_error err;
	int i;

	cli.tty = isatty(STDERR_FILENO);
	cli.log.fn = log_to_stderr;
	cli.log.max_level = W2C_LOG_WARN;
	cli.json = wants_json(argc, argv);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--version")) {
			printf("win2cloud %s\n", W2C_VERSION_STRING);
			return 0;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--json")) {
			cli.json = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli.verbose++;
		} else if (!strcmp(a, "-vv")) {
			cli.verbose += 2;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli.quiet = true;
		} else {
			w2c_set_error(&err, W2C_ERR_USAGE, "unknown global option '%s' (see 'win2cloud "
				      "--help')", a);
			return cli_fail(&cli, &err);
		}
	}
	if (i >= argc) {
		usage(stderr);
		w2c_set_error(&err, W2C_ERR_USAGE, "no command given (see 'win2cloud --help')");
		return cli.json ? cli_fail(&cli, &err) : 2;
	}
	if (cli.verbose)
		cli.log.max_level = cli.verbose > 1 ? W2C_LOG_DEBUG : W2C_LOG_INFO;
	if (cli.quiet)
		cli.log.max_level = W2C_LOG_ERROR;
	cli_progress_init(&cli);
	install_signals();
	for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++) {
		if (!strcmp(argv[i], commands[c].name)) {
			optind = 0; /* reset getopt for the subcommand */
			return commands[c].fn(argc - i, argv + i, &cli);
		}
	}
	w2c_set_error(&err, W2C_ERR_USAGE, "'%s' is not a win2cloud command (see 'win2cloud --help')",
		      argv[i]);
	return cli_fail(&cli, &err);
}
