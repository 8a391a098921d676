/* win2cloud unpack: extract a medium into a directory that build can read back. */
#include "cli.h"
#include "win2cloud/media.h"

#include <string.h>

static const char help[] =
	"usage: win2cloud unpack ISO DIR [--force] [--namespace auto|udf|joliet|iso9660] [--json]\n"
	"\n"
	"Write every file of ISO under DIR with its timestamps, plus DIR/.win2cloud/media.json\n"
	"(volume id, boot entries, hidden flags, original names) so that 'win2cloud build DIR'\n"
	"can restore them.  Boot images that are no file go to DIR/.win2cloud/boot/.\n"
	"media.json is written last: a directory without it is an incomplete unpack.\n"
	"\n"
	"  --force        write into a non-empty DIR (files are replaced)\n"
	"  --namespace NS read the tree NS (auto|udf|joliet|iso9660) instead of the richest one\n"
	"  --json         result as JSON on stdout, progress as JSON lines on stderr\n"
	"\n"
	"Exit status: 0 ok, 1 write failure or not enough space, 4 unreadable image,\n"
	"6 interrupted (re-run with --force).\n";

int cmd_unpack(int argc, char **argv, w2c_cli *cli)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "namespace", required_argument, NULL, 'n' },
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	w2c_media_options mo = { .log = &cli->log };
	w2c_unpack_options uo = { .progress = &cli->progress, .log = &cli->log };
	w2c_error err;
	int c;

	while ((c = getopt_long(argc, argv, "hvqf", opts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		switch (c) {
		case 'h': return cli_help(help);
		case 'f': uo.force = true; break;
		case 'n':
			if (!strcmp(optarg, "udf")) mo.ns = W2C_NS_UDF;
			else if (!strcmp(optarg, "joliet")) mo.ns = W2C_NS_JOLIET;
			else if (!strcmp(optarg, "iso9660")) mo.ns = W2C_NS_ISO9660;
			else if (strcmp(optarg, "auto"))
				return cli_usage_error(cli, "unpack", "--namespace: '%s' is not auto, udf, joliet or iso9660", optarg);
			break;
		default: return cli_usage_error(cli, "unpack", "unknown option");
		}
	}
	if (optind + 2 != argc)
		return cli_usage_error(cli, "unpack", "expects ISO and DIR");
	uint64_t nf = 0, bytes = 0;
	w2c_code rc = w2c_unpack(argv[optind], argv[optind + 1], &mo, &uo, &nf, &bytes, &err);
	cli_progress_end(cli);
	if (rc)
		return cli_fail(cli, &err);
	if (cli->json)
		cli_print_json(json_pack("{s:b,s:s,s:s,s:I,s:I}", "ok", 1, "iso", argv[optind], "dir",
					 argv[optind + 1], "files", (json_int_t)nf, "bytes", (json_int_t)bytes));
	else if (!cli->quiet)
		printf("unpacked %llu file%s (%llu byte%s) into %s\n", (unsigned long long)nf,
		       nf == 1 ? "" : "s", (unsigned long long)bytes, bytes == 1 ? "" : "s",
		       argv[optind + 1]);
	return 0;
}
