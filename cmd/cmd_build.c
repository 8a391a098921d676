/* win2cloud build: write a bootable ISO from a source ISO, streamed. */
#include "cli.h"
#include "win2cloud/build.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud build SRC -o OUT.iso [--add ISO_PATH=LOCAL_FILE]... [--remove ISO_PATH]...\n"
	"                       [--volume-id ID] [--uefi-image prompt|noprompt]\n"
	"                       [--large-files split|multi-extent] [--filesystems LIST]\n"
	"                       [--udf-only] [--udf-revision 1.02|2.01] [--json]\n"
	"\n"
	"Write a new UDF + ISO 9660 level 3 + Joliet image from SRC, an ISO image or a directory\n"
	"made by `win2cloud unpack`; every tree shares one copy of each file's data.  From an ISO, unchanged files are streamed from their\n"
	"extents (nothing is extracted); from a directory, files are read in place and the\n"
	"volume id, boot entries and directory times come from DIR/.win2cloud/media.json (a\n"
	"directory without it is refused).  --add and --remove edit the tree first.  El\n"
	"Torito entries follow the source's catalog with Microsoft's geometry: BIOS entries\n"
	"as recorded (8 sectors for etfsboot.com), UEFI (0xEF) entries with sector count 1;\n"
	"the boot catalog is hidden; an entry whose image is no file keeps its bytes as a\n"
	"hidden boot image.  OUT.iso appears only when complete, with OUT.iso.sha256\n"
	"(sha256sum format) computed while writing; the two are committed together (on any\n"
	"failure the previous OUT.iso and OUT.iso.sha256 stay as they were).  What had to change (a Joliet volume id\n"
	"cut to 16 characters, a split WIM, an unusual boot entry) is reported.\n"
	"\n"
	"  -o, --output OUT.iso     the image to write (never the source or a file it reads)\n"
	"  --add PATH=FILE          add or replace PATH on the medium with local FILE\n"
	"  --remove PATH            remove PATH (a file or a whole directory)\n"
	"  --volume-id ID           volume id, at most 32 characters (default: the source's)\n"
	"  --uefi-image prompt|noprompt   boot efisys.bin or efisys_noprompt.bin on UEFI\n"
	"  --large-files split|multi-extent\n"
	"                           files over 4 GiB: split a WIM/ESD into NAME.swm,\n"
	"                           NAME2.swm, ... with wimlib (the default without UDF; needs\n"
	"                           scratch space of about twice the WIM in OUT's directory or\n"
	"                           $TMPDIR), or keep it whole (the default with UDF; the ISO\n"
	"                           9660 tree gets a level 3 multi-extent file)\n"
	"  --filesystems LIST       trees to write, from udf,iso9660,joliet (iso9660 always;\n"
	"                           default: udf plus the trees the source had)\n"
	"  --udf-only               Microsoft's layout: every file in UDF only, the ISO 9660\n"
	"                           tree holds README.TXT saying so, no Joliet\n"
	"  --udf-revision 1.02|2.01 UDF revision written (default 1.02, as oscdimg -udfver102)\n"
	"  --json                   result as JSON on stdout, JSON-lines progress on stderr\n"
	"\n"
	"Exit status: 0 ok, 1 write failure or no space, 2 usage, 4 unreadable source,\n"
	"6 interrupted (nothing was left behind; re-run).\n";

/* --add ISO_PATH=LOCAL_FILE or --remove ISO_PATH as a tree edit; @path_buf keeps the path. */
static w2c_code parse_edit(int kind, const char *arg, w2c_tree_edit *e, char **path_buf, w2c_error *err)
{
	e->remove = kind == 'r';
	if (e->remove) {
		e->path = arg;
		return W2C_OK;
	}
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg || !eq[1])
		return w2c_set_error(err, W2C_ERR_USAGE, "--add '%s': expected ISO_PATH=LOCAL_FILE", arg);
	if (!(*path_buf = strndup(arg, (size_t)(eq - arg))))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	e->path = *path_buf;
	e->local = eq + 1;
	return W2C_OK;
}

static void free_edits(w2c_tree_edit *edits, char **paths, int n)
{
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(edits);
}

static void print_result(w2c_cli *cli, const char *out, const w2c_build_result *res)
{
	if (cli->json) {
		json_t *notes = json_array();
		for (unsigned i = 0; i < res->n_notes; i++)
			json_array_append_new(notes, json_string(res->notes[i]));
		json_t *fs = json_array();
		if (res->filesystems & W2C_FS_UDF)
			json_array_append_new(fs, json_pack("{s:s,s:s}", "type", "udf", "revision",
							    res->udf_revision == 0x0201 ? "2.01" : "1.02"));
		if (res->filesystems & W2C_FS_ISO9660)
			json_array_append_new(fs, json_pack("{s:s}", "type", "iso9660"));
		if (res->filesystems & W2C_FS_JOLIET)
			json_array_append_new(fs, json_pack("{s:s}", "type", "joliet"));
		cli_print_json(json_pack("{s:b,s:s,s:I,s:s,s:i,s:s,s:s,s:i,s:o,s:o}", "ok", 1, "output", out,
					 "bytes", (json_int_t)res->bytes, "sha256", res->sha256,
					 "boot_entries", (int)res->boot_entries, "volume_id",
					 res->volume_id, "joliet_volume_id", res->joliet_volume_id,
					 "split_files", (int)res->split_files, "filesystems", fs,
					 "notes", notes));
		return;
	}
	if (cli->quiet)
		return;
	for (unsigned i = 0; i < res->n_notes; i++)
		printf("note: %s\n", res->notes[i]);
	printf("wrote %s (%llu bytes, %u boot entries, volume id %s)\nsha256 %s\n", out,
	       (unsigned long long)res->bytes, res->boot_entries, res->volume_id, res->sha256);
}

int cmd_build(int argc, char **argv, w2c_cli *cli)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "add", required_argument, NULL, 'a' },
		{ "remove", required_argument, NULL, 'r' },
		{ "volume-id", required_argument, NULL, 'V' },
		{ "uefi-image", required_argument, NULL, 'u' },
		{ "large-files", required_argument, NULL, 'L' },
		{ "filesystems", required_argument, NULL, 'F' },
		{ "udf-only", no_argument, NULL, 'U' },
		{ "udf-revision", required_argument, NULL, 'R' },
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	w2c_build_options bo = { .progress = &cli->progress, .log = &cli->log };
	const char *out = NULL;
	w2c_tree_edit *edits = calloc((size_t)argc, sizeof *edits);
	char **paths = calloc((size_t)argc, sizeof *paths);
	int n_edits = 0, c;
	w2c_build_result res;
	w2c_error err;

	while ((c = getopt_long(argc, argv, "hvqo:", opts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		switch (c) {
		case 'h': free_edits(edits, paths, n_edits); return cli_help(help);
		case 'o': out = optarg; break;
		case 'a': case 'r':
			if (parse_edit(c, optarg, &edits[n_edits], &paths[n_edits], &err)) {
				free_edits(edits, paths, n_edits + 1);
				return cli_fail(cli, &err);
			}
			n_edits++;
			break;
		case 'V': bo.volume_id = optarg; break;
		case 'u':
			if (!strcmp(optarg, "prompt")) bo.uefi_image = W2C_UEFI_PROMPT;
			else if (!strcmp(optarg, "noprompt")) bo.uefi_image = W2C_UEFI_NOPROMPT;
			else { free_edits(edits, paths, n_edits); return cli_usage_error(cli, "build", "--uefi-image: '%s' is not prompt or noprompt", optarg); }
			break;
		case 'L':
			if (!strcmp(optarg, "split")) bo.large_files = W2C_LARGE_SPLIT;
			else if (!strcmp(optarg, "multi-extent")) bo.large_files = W2C_LARGE_MULTI_EXTENT;
			else { free_edits(edits, paths, n_edits); return cli_usage_error(cli, "build", "--large-files: '%s' is not split or multi-extent", optarg); }
			break;
		case 'F': case 'R':
			if (c == 'F' ? w2c_build_parse_filesystems(optarg, &bo.filesystems, &err)
				     : w2c_build_parse_udf_revision(optarg, &bo.udf_revision, &err)) {
				free_edits(edits, paths, n_edits);
				return cli_usage_error(cli, "build", "%s", err.message);
			}
			break;
		case 'U': bo.udf_only = true; break;
		default: free_edits(edits, paths, n_edits); return cli_usage_error(cli, "build", "unknown option");
		}
	}
	if (optind + 1 != argc || !out) {
		free_edits(edits, paths, n_edits);
		return cli_usage_error(cli, "build", "expects SRC (an ISO or an unpacked directory) and -o OUT.iso");
	}
	w2c_code rc = w2c_build(argv[optind], out, edits, (size_t)n_edits, &bo, &res, &err);
	cli_progress_end(cli);
	free_edits(edits, paths, n_edits);
	if (rc)
		return cli_fail(cli, &err);
	print_result(cli, out, &res);
	return 0;
}
