/* win2cloud check: the cloud's constraints, verified before upload. */
#include "cli.h"
#include "win2cloud/check.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud check [FILE...] [--profile otc|huaweicloud|openstack] [--limits FILE]\n"
	"                       [--deep|--no-deep] [--firmware bios|uefi] [--require-drivers]\n"
	"                       [--min-disk GIB] [--os-version STRING]\n"
	"                       [--bucket B[/KEY] --region R [--endpoint URL] [--credentials-profile P]]\n"
	"                       [--admin-password-file F [--admin-user U]] [--list-rules] [--json]\n"
	"\n"
	"Verify what the image service would reject later, in seconds, each violation with\n"
	"its fix.  Each FILE is recognised by content: an ISO 9660/UDF image gets the media\n"
	"checks, anything else the disk image checks (qcow2, qcow, qed, vhd, vhdx, vmdk, vdi,\n"
	"raw; the file name extension is ignored).\n"
	"\n"
	"  --profile P              rules and limits of the target cloud (default otc)\n"
	"  --limits FILE            JSON override of limits, lists and severities\n"
	"  --deep / --no-deep       in-guest inspection of disk images with libguestfs; by\n"
	"                           default on when the appliance works (skipped with a notice);\n"
	"                           its start is announced (KVM or TCG) and times out after\n"
	"                           $W2C_DEEP_LAUNCH_TIMEOUT s (120 KVM, 600 TCG; KVM retried as TCG)\n"
	"  --firmware bios|uefi     how the image will boot (default bios)\n"
	"  --require-drivers        ISO: viostor and vioscsi must be under $WinPEDriver$, accepted\n"
	"                           by each edition's arch and build (checked whenever it exists)\n"
	"  --min-disk GIB           registration min_disk: range and >= the image's virtual size\n"
	"  --os-version STRING      registration os_version: must be in the profile's list\n"
	"  --bucket B[/KEY]         registration bucket (also s3://B/KEY, obs://B/KEY): storage\n"
	"                           class STANDARD and region = --region R, asked with the upload's\n"
	"                           credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, OS_*, HW_*\n"
	"                           or the 0600 credentials file); skipped with a notice without\n"
	"                           them.  S3 keeps no bucket-level class: give KEY to check the object\n"
	"  --endpoint URL           S3/OBS endpoint (default https://obs.R.otc.t-systems.com)\n"
	"  --credentials-profile P  profile of the credentials file; --ca-bundle FILE for TLS\n"
	"  --admin-password-file F  check the Administrator password in F (mode 0600) against\n"
	"                           the cloud's rule; --admin-user names the user\n"
	"  --list-rules             print every rule with its severity in the profile\n"
	"  --json                   findings and summary as one JSON document\n"
	"\n"
	"Exit status: 0 no errors, 3 errors found, 4 unreadable or malformed input,\n"
	"5 the bucket's service refused the key or could not be reached, 2 usage error.\n";

struct check_args {
	const char *profile, *limits, *pwfile, *user;
	w2c_check_options o;
	bool list;
};

static const char *sev_name(enum w2c_check_severity s)
{
	static const char *n[] = { "info", "warning", "error", "off" };
	return n[s];
}

static const char *status_name(enum w2c_status s)
{
	return s == W2C_STATUS_PASS ? "pass" : s == W2C_STATUS_FAIL ? "fail" : "skip";
}

static int list_rules(w2c_cli *cli, const w2c_check_profile *p)
{
	size_t n;
	const w2c_rule *rs = w2c_rules(&n);
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		const char *sev = sev_name(w2c_check_rule_severity(p, rs[i].id));
		if (cli->json)
			json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s}", "id", rs[i].id, "severity",
							   sev, "title", rs[i].title, "fix", rs[i].fix));
		else
			printf("%-28s %-8s %s\n", rs[i].id, sev, rs[i].title);
	}
	if (cli->json)
		cli_print_json(a);
	else
		json_decref(a);
	return 0;
}

static json_t *image_json(const char *path, const w2c_disk_info *d)
{
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:s,s:s}", "path", path, "format", d->format,
			 "subformat", d->subformat, "virtual_size", (json_int_t)d->virtual_size,
			 "file_size", (json_int_t)d->file_size, "encrypted", d->encrypted,
			 "encryption", d->encryption, "backing_file", d->backing_file);
}

static void print_report(w2c_cli *cli, const w2c_check_report *r, const w2c_check_profile *p,
			 json_t *images)
{
	unsigned e, w, i, ok, sk;
	w2c_check_report_summary(r, &e, &w, &i, &ok, &sk);
	if (cli->json) {
		json_t *a = json_array();
		for (size_t k = 0; k < w2c_check_report_count(r); k++) {
			const w2c_check_finding *f = w2c_check_report_get(r, k);
			json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?}", "rule", f->rule,
				"status", status_name(f->status), "severity", sev_name(f->severity),
				"subject", f->subject, "message", f->message, "fix", f->fix));
		}
		cli_print_json(json_pack("{s:s,s:O,s:o,s:{s:i,s:i,s:i,s:i,s:i,s:b}}", "profile",
			w2c_check_profile_name(p), "images", images, "findings", a, "summary", "errors", e, "warnings", w,
			"infos", i, "passed", ok, "skipped", sk, "ok", e == 0));
		return;
	}
	printf("%-7s %-28s %-20s %s\n", "STATUS", "RULE", "SUBJECT", "MESSAGE");
	for (size_t k = 0; k < w2c_check_report_count(r); k++) {
		const w2c_check_finding *f = w2c_check_report_get(r, k);
		const char *st = f->status == W2C_STATUS_PASS ? "ok" : f->status == W2C_STATUS_SKIP ?
				 "skip" : f->severity == W2C_CHECK_ERROR ? "ERROR" :
				 f->severity == W2C_CHECK_WARNING ? "warning" : "info";
		const char *subj = strrchr(f->subject, '/') ? strrchr(f->subject, '/') + 1 : f->subject;
		printf("%-7s %-28s %-20s %s\n", st, f->rule, subj, f->message);
		if (f->fix)
			printf("%-7s %-28s %-20s fix: %s\n", "", "", "", f->fix);
	}
	printf("\n%s: %u error(s), %u warning(s), %u info, %u passed, %u skipped\n",
	       w2c_check_profile_name(p), e, w, i, ok, sk);
}

static int parse_args(int argc, char **argv, w2c_cli *cli, struct check_args *a)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "limits", required_argument, NULL, 'L' },
		{ "deep", no_argument, NULL, 'D' },
		{ "no-deep", no_argument, NULL, 'N' },
		{ "firmware", required_argument, NULL, 'f' },
		{ "require-drivers", no_argument, NULL, 'r' },
		{ "min-disk", required_argument, NULL, 'm' },
		{ "os-version", required_argument, NULL, 'o' },
		{ "bucket", required_argument, NULL, 'b' },
		{ "region", required_argument, NULL, 'R' },
		{ "endpoint", required_argument, NULL, 'E' },
		{ "credentials-profile", required_argument, NULL, 'C' },
		{ "ca-bundle", required_argument, NULL, 'A' },
		{ "admin-password-file", required_argument, NULL, 'P' },
		{ "admin-user", required_argument, NULL, 'u' },
		{ "list-rules", no_argument, NULL, 'l' },
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	int c;
	char *end;
	while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		switch (c) {
		case 'h': return cli_help(help) - 1;
		case 'p': a->profile = optarg; break;
		case 'L': a->limits = optarg; break;
		case 'D': a->o.deep = W2C_DEEP_ON; break;
		case 'N': a->o.deep = W2C_DEEP_OFF; break;
		case 'r': a->o.require_drivers = true; break;
		case 'o': a->o.os_version = optarg; break;
		case 'b': a->o.bucket = optarg; break;
		case 'R': a->o.region = optarg; break;
		case 'E': a->o.endpoint = optarg; break;
		case 'C': a->o.cred_profile = optarg; break;
		case 'A': a->o.ca_bundle = optarg; break;
		case 'P': a->pwfile = optarg; break;
		case 'u': a->user = optarg; break;
		case 'l': a->list = true; break;
		case 'f':
			if (strcmp(optarg, "bios") && strcmp(optarg, "uefi"))
				return cli_usage_error(cli, "check", "--firmware: '%s' is not bios or uefi", optarg);
			a->o.firmware = optarg;
			break;
		case 'm': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *end || v == 0 || v > 1u << 20)
				return cli_usage_error(cli, "check", "--min-disk: '%s' is not a size in GiB", optarg);
			a->o.min_disk = (unsigned)v;
			break;
		}
		default: return cli_usage_error(cli, "check", "unknown option");
		}
	}
	return -2; /* go on */
}

/* Run every check; returns the exit status. */
static int run(w2c_cli *cli, struct check_args *a, char **files, int nfiles, w2c_check_report *r,
	       json_t *images)
{
	w2c_check_disks d;
	w2c_error err;
	int rc = 0;

	if (w2c_check_files((const char *const *)files, (size_t)nfiles, a->pwfile, a->user, &a->o, r, &d,
			    &err))
		rc = cli_fail(cli, &err);
	for (size_t i = 0; !rc && i < d.n; i++)
		json_array_append_new(images, image_json(d.paths[i], &d.infos[i]));
	w2c_check_disks_free(&d);
	return rc;
}

int cmd_check(int argc, char **argv, w2c_cli *cli)
{
	struct check_args a = { .profile = "otc" };
	w2c_check_profile *p;
	w2c_check_report *r;
	w2c_error err;
	unsigned errors;
	int rc;

	if ((rc = parse_args(argc, argv, cli, &a)) != -2)
		return rc < 0 ? 0 : rc;
	if (w2c_check_profile_load(a.profile, a.limits, &p, &err))
		return cli_fail(cli, &err);
	a.o.profile = p;
	a.o.log = &cli->log;
	a.o.progress = &cli->progress; /* a SIGINT stops the appliance (exit 6) */
	if (a.list) {
		rc = list_rules(cli, p);
	} else if (optind == argc && !a.o.min_disk && !a.o.os_version && !a.o.bucket && !a.pwfile) {
		rc = cli_usage_error(cli, "check", "needs a FILE or a registration parameter to check");
	} else if (!(r = w2c_check_report_new(p))) {
		rc = cli_fail(cli, &(w2c_error){ W2C_ERR_NOMEM, "out of memory" });
	} else {
		json_t *images = json_array();
		rc = run(cli, &a, argv + optind, argc - optind, r, images);
		if (!rc) {
			print_report(cli, r, p, images);
			w2c_check_report_summary(r, &errors, NULL, NULL, NULL, NULL);
			rc = errors ? w2c_exit_status(W2C_ERR_VIOLATIONS) : 0;
		}
		w2c_check_report_free(r);
		json_decref(images);
	}
	w2c_check_profile_free(p);
	return rc;
}
