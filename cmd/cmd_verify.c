/* win2cloud verify: check a rebuilt ISO (catalog, files, checksum, names, boot). */
#include "cli.h"
#include "win2cloud/verify.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud verify OUT.iso [--against SRC] [--allow-edit PATH]... [--boot bios,uefi]\n"
	"                        [--boot-timeout SEC] [--expect [bios:|uefi:]TEXT]... [--ovmf FILE] [--json]\n"
	"\n"
	"Re-open OUT.iso and check it the way firmware and Windows Setup use it:\n"
	"  - El Torito: BIOS entry platform 0, no emulation, load segment 0, 8 sectors,\n"
	"    boot/etfsboot.com; UEFI entry platform 0xEF, no emulation, 1 sector,\n"
	"    efi/microsoft/boot/efisys.bin or efisys_noprompt.bin, which must be a FAT image;\n"
	"  - with --against SRC (an ISO or a 'win2cloud unpack' directory): every file of SRC is\n"
	"    in OUT with the same bytes (SHA-256, streamed), nothing else added or removed,\n"
	"    except intended edits: --allow-edit prefixes, and on an injected ISO the paths its\n"
	"    $WinPEDriver$/win2cloud-drivers.json names, the manifest and /autounattend.xml,\n"
	"    and a WIM over 4 GiB that build split into a consistent NAME.swm set;\n"
	"  - OUT.iso.sha256 (sha256sum format) matches the image;\n"
	"  - names agree in every name space (Joliet, UDF); no _WINPEDRIVER_ in Joliet;\n"
	"  - UDF: two anchors, every descriptor tag (checksum, CRC, location), and UDF and\n"
	"    Joliet/ISO 9660 naming the same copy of each file's data;\n"
	"  - the file holds every block its PVD counts; sources/boot.wim keeps its boot index;\n"
	"  - --boot: boot under QEMU (TCG; SeaBIOS for bios, OVMF for uefi) for at most\n"
	"    --boot-timeout seconds and show what the firmware and the boot program printed.\n"
	"    Only an image whose catalog passed is booted.\n"
	"\n"
	"  --against SRC          the ISO or unpack directory OUT was built from\n"
	"  --allow-edit PATH      differences at PATH or below are intended (a pattern with\n"
	"                         * ? [...]); repeatable\n"
	"  --boot LIST            bios, uefi or bios,uefi\n"
	"  --boot-timeout SEC     seconds per boot (default 60)\n"
	"  --expect TEXT          a boot passes only when TEXT is printed (bios:TEXT or uefi:TEXT\n"
	"                         for one firmware); QEMU stops as soon as all were seen\n"
	"  --ovmf FILE            UEFI firmware (default /usr/share/ovmf/OVMF.fd)\n"
	"\n"
	"Exit status: 0 no findings, 1 QEMU could not run, 2 usage, 3 findings,\n"
	"4 OUT or SRC unreadable, 6 interrupted.\n";

static const char *check_name(enum w2c_verify_check c)
{
	static const char *n[] = { "catalog", "content", "checksum", "names", "boot", "image", "bootwim", "udf" };
	return n[c];
}

static const char *change_name(enum w2c_change_kind k)
{
	static const char *n[] = { "added", "removed", "changed" };
	return n[k];
}

static json_t *boot_json(const w2c_boot_run *b)
{
	return json_pack("{s:s,s:b,s:b,s:b,s:b,s:i,s:f,s:s,s:s,s:s}", "firmware",
			 b->firmware == W2C_FW_BIOS ? "bios" : "uefi", "started", b->started,
			 "expect_seen", b->expect_seen, "timed_out", b->timed_out, "gave_up", b->gave_up, "exit_status",
			 b->exit_status, "seconds", b->seconds, "console", b->console, "debug",
			 b->debug, "firmware_log", b->firmware_log);
}

static void print_json(const char *iso, const w2c_verify_report *r)
{
	json_t *f = json_array(), *ch = json_array(), *notes = json_array(), *boots = json_array();
	for (size_t i = 0; i < r->n_findings; i++)
		json_array_append_new(f, json_pack("{s:s,s:s,s:s,s:s}", "check",
						   check_name(r->findings[i].check), "file",
						   r->findings[i].file, "field", r->findings[i].field,
						   "message", r->findings[i].message));
	for (size_t i = 0; i < r->n_changes; i++)
		json_array_append_new(ch, json_pack("{s:s,s:s,s:b,s:s?}", "kind",
						    change_name(r->changes[i].kind), "path",
						    r->changes[i].path, "allowed", r->changes[i].allowed,
						    "allowed_by", r->changes[i].why));
	for (size_t i = 0; i < r->n_notes; i++)
		json_array_append_new(notes, json_string(r->notes[i]));
	for (size_t i = 0; i < r->n_boots; i++)
		json_array_append_new(boots, boot_json(&r->boots[i]));
	cli_print_json(json_pack("{s:b,s:s,s:i,s:I,s:I,s:s?,s:{s:b,s:b,s:b},s:o,s:o,s:o,s:o}", "ok",
				 r->n_findings == 0, "image", iso, "boot_entries", (int)r->boot_entries,
				 "files_compared", (json_int_t)r->files_compared, "bytes_hashed",
				 (json_int_t)r->bytes_hashed, "sha256", r->sha256[0] ? r->sha256 : NULL,
				 "namespaces", "joliet", (r->namespaces & W2C_FS_JOLIET) != 0, "udf",
				 (r->namespaces & W2C_FS_UDF) != 0, "iso9660",
				 (r->namespaces & W2C_FS_ISO9660) != 0, "findings", f, "changes", ch,
				 "boots", boots, "notes", notes));
}

/* The first lines of a console, indented, so a user sees how far the firmware got. */
static void print_lines(const char *label, const char *text, int max)
{
	int n = 0;
	if (!text || !*text)
		return;
	printf("  %s:\n", label);
	for (const char *p = text; *p && n < max; n++) {
		size_t len = strcspn(p, "\n");
		if (len)
			printf("    | %.*s\n", (int)len, p);
		else
			n--;
		p += len + (p[len] == '\n');
	}
}

static void print_text(const char *iso, const w2c_verify_report *r)
{
	char hb[32];
	printf("%s: %u boot entries, %llu files compared, %s hashed, names:%s%s%s\n", iso,
	       r->boot_entries, (unsigned long long)r->files_compared,
	       cli_human_bytes(r->bytes_hashed, hb), r->namespaces & W2C_FS_JOLIET ? " Joliet" : "",
	       r->namespaces & W2C_FS_UDF ? " UDF" : "", r->namespaces & W2C_FS_ISO9660 ? " ISO9660" : "");
	if (r->sha256[0])
		printf("sha256 %s\n", r->sha256);
	for (size_t i = 0; i < r->n_changes; i++)
		printf("  %-8s %s%s%s%s\n", change_name(r->changes[i].kind), r->changes[i].path,
		       r->changes[i].allowed ? " (allowed: " : "", r->changes[i].allowed ? r->changes[i].why : "",
		       r->changes[i].allowed ? ")" : "");
	for (size_t i = 0; i < r->n_boots; i++) {
		const w2c_boot_run *b = &r->boots[i];
		char how[64];
		snprintf(how, sizeof how, b->timed_out ? "stopped at the timeout" : b->gave_up ?
			 "the firmware gave up" : b->exit_status < 0 ? "QEMU stopped" :
			 "QEMU exited with status %d", b->exit_status);
		printf("boot %s: %s, %.1f s, %s\n", b->firmware == W2C_FW_BIOS ? "bios" : "uefi",
		       b->started ? "the firmware started the El Torito image" : "El Torito image NOT started",
		       b->seconds, how);
		print_lines("serial console", b->console, 12);
		print_lines("debug port 0xE9", b->debug, 12);
		print_lines("firmware", b->firmware_log, 6);
	}
	for (size_t i = 0; i < r->n_notes; i++)
		printf("note: %s\n", r->notes[i]);
	for (size_t i = 0; i < r->n_findings; i++)
		printf("finding [%s]: %s\n", check_name(r->findings[i].check), r->findings[i].message);
	printf("%s\n", r->n_findings ? "verify: FINDINGS" : "verify: ok");
}

static int parse_boot(const char *arg, unsigned *out)
{
	char *copy = strdup(arg), *save = NULL;
	int ok = copy != NULL;
	*out = 0;
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "bios"))
			*out |= W2C_FW_BIOS;
		else if (!strcmp(t, "uefi"))
			*out |= W2C_FW_UEFI;
		else
			ok = 0;
	}
	free(copy);
	return ok && *out;
}

int cmd_verify(int argc, char **argv, w2c_cli *cli)
{
	static const struct option opts[] = {
		{ "against", required_argument, NULL, 'a' },
		{ "allow-edit", required_argument, NULL, 'A' },
		{ "boot", required_argument, NULL, 'b' },
		{ "boot-timeout", required_argument, NULL, 't' },
		{ "expect", required_argument, NULL, 'e' },
		{ "ovmf", required_argument, NULL, 'O' },
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	const char **allow = calloc((size_t)argc, sizeof *allow), **expect = calloc((size_t)argc, sizeof *expect);
	w2c_verify_options vo = { .progress = &cli->progress, .log = &cli->log };
	w2c_verify_report rep;
	w2c_error err;
	char *end;
	int c, status = -1;

	while (status < 0 && allow && expect && (c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		switch (c) {
		case 'h': status = cli_help(help); break;
		case 'a': vo.against = optarg; break;
		case 'A': allow[vo.n_allow_edits++] = optarg; break;
		case 'e': expect[vo.boot_opts.n_expect++] = optarg; break;
		case 'O': vo.boot_opts.ovmf = optarg; break;
		case 'b':
			if (!parse_boot(optarg, &vo.boot))
				status = cli_usage_error(cli, "verify", "--boot: '%s' is not bios, uefi or bios,uefi", optarg);
			break;
		case 't':
			vo.boot_opts.timeout = strtod(optarg, &end);
			if (*end || vo.boot_opts.timeout <= 0)
				status = cli_usage_error(cli, "verify", "--boot-timeout: '%s' is not a positive number", optarg);
			break;
		default: status = cli_usage_error(cli, "verify", "unknown option"); break;
		}
	}
	if (status < 0 && optind + 1 != argc)
		status = cli_usage_error(cli, "verify", "expects one image OUT.iso");
	if (status < 0 && allow && expect) {
		vo.allow_edits = allow;
		vo.boot_opts.expect = expect;
		vo.boot_opts.progress = &cli->progress;
		vo.boot_opts.log = &cli->log;
		w2c_code rc = w2c_verify(argv[optind], &vo, &rep, &err);
		cli_progress_end(cli);
		if (rc)
			status = cli_fail(cli, &err);
		else if (cli->json)
			print_json(argv[optind], &rep);
		else if (!cli->quiet || rep.n_findings)
			print_text(argv[optind], &rep);
		if (!rc)
			status = rep.n_findings ? w2c_exit_status(W2C_ERR_VIOLATIONS) : 0;
		w2c_verify_report_clear(&rep);
	}
	free(allow);
	free(expect);
	return status < 0 ? 1 : status;
}
