/* win2cloud register: make an uploaded ISO / disk image a cloud image (IMS or Glance). */
#include "cli.h"
#include "win2cloud/register.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud register --cloud otc|huaweicloud|openstack --name NAME (--iso|--disk) SOURCE\n"
	"         [--os-version STRING] [--min-disk GB] [--firmware bios|uefi] [--tag KEY=VALUE]...\n"
	"         [--quick-import] [--wait [--timeout 60m]] [--replace] [--dry-run] [--json]\n"
	"\n"
	"Register an uploaded Windows ISO (an ISO image a temporary server can boot from) or a disk\n"
	"image (a system-disk private image).  Idempotent: an active image with the same name and\n"
	"the same content (SHA-256 tag) is reported and nothing is created.\n"
	"\n"
	"Source:\n"
	"  --iso SOURCE            an ISO; --disk SOURCE: qcow2/vhd/vhdx/vmdk/raw/vdi\n"
	"                          IMS (otc, huaweicloud): BUCKET:KEY or obs://BUCKET/KEY of the upload\n"
	"                          Glance (openstack): a local file, uploaded to the image\n"
	"  --sha256 HEX            content hash for the tag (IMS; else --file or name only)\n"
	"  --file PATH             local copy of the uploaded object, hashed for the tag (IMS)\n"
	"  --disk-format FMT       Glance disk format when the file name does not tell\n"
	"Image:\n"
	"  --name NAME             1-128 of letters, digits, '-', '.', '_', space\n"
	"  --os-version STRING     exact IMS string, e.g. \"Windows Server 2019 Datacenter 64bit\"\n"
	"                          (required for ISO on IMS; list: W2C_OS_VERSIONS_FILE overrides)\n"
	"  --min-disk GB           system disk size, 40-1024 (default 40)\n"
	"  --firmware bios|uefi    boot firmware, hw_firmware_type (default bios)\n"
	"  --tag KEY=VALUE         image tag, repeatable (up to 9)\n"
	"  --quick-import          IMS disk images: is_quick_import, for RAW/ZVHD2 files over\n"
	"                          128 GB (up to 1 TB); not for ISO images or Glance\n"
	"Behaviour:\n"
	"  --wait                  wait until the image is active (IMS job SUCCESS; Glance checksums)\n"
	"  --timeout DURATION      limit for --wait: 90s, 60m, 2h (default 60m)\n"
	"  --poll-interval SECS    first poll interval, doubling up to 60 s (default 10)\n"
	"  --replace               delete an image of this name that is in an error state or has\n"
	"                          other content, then register\n"
	"  --dry-run               print each request (method, URL, JSON body) instead of sending;\n"
	"                          secrets are redacted\n"
	"Cloud:\n"
	"  --os-cloud NAME         entry of clouds.yaml (default $OS_CLOUD, else the OS_* variables)\n"
	"  --auth password|aksk    IMS: token from the password (default when one is set) or\n"
	"                          AK/SK request signing (OS_ACCESS_KEY/OS_SECRET_KEY, credentials file)\n"
	"  --endpoint URL          image service URL instead of the catalog's\n"
	"\n"
	"Exit status: 0 registered or already there, 1 an image is in the way (see --replace),\n"
	"2 usage, 4 invalid option value, 5 the cloud refused (its code and message are shown),\n"
	"6 --timeout passed or interrupted (run again to resume).\n";

enum {
	O_CLOUD = 0x2000, O_NAME, O_ISO, O_DISK, O_OSV, O_MIN_DISK, O_FW, O_TAG, O_WAIT, O_TIMEOUT,
	O_DRY, O_REPLACE, O_OS_CLOUD, O_ENDPOINT, O_SHA, O_FILE, O_DFMT, O_POLL, O_AUTH, O_QUICK,
};

static const struct option longopts[] = {
	{ "cloud", required_argument, NULL, O_CLOUD },
	{ "name", required_argument, NULL, O_NAME },
	{ "iso", required_argument, NULL, O_ISO },
	{ "disk", required_argument, NULL, O_DISK },
	{ "os-version", required_argument, NULL, O_OSV },
	{ "min-disk", required_argument, NULL, O_MIN_DISK },
	{ "firmware", required_argument, NULL, O_FW },
	{ "tag", required_argument, NULL, O_TAG },
	{ "wait", no_argument, NULL, O_WAIT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "replace", no_argument, NULL, O_REPLACE },
	{ "quick-import", no_argument, NULL, O_QUICK },
	{ "os-cloud", required_argument, NULL, O_OS_CLOUD },
	{ "endpoint", required_argument, NULL, O_ENDPOINT },
	{ "sha256", required_argument, NULL, O_SHA },
	{ "file", required_argument, NULL, O_FILE },
	{ "disk-format", required_argument, NULL, O_DFMT },
	{ "poll-interval", required_argument, NULL, O_POLL },
	{ "auth", required_argument, NULL, O_AUTH },
	CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct plan_out {
	w2c_cli *cli;
	json_t *list;
};

static void print_plan(void *user, const char *method, const char *url, const char *body)
{
	struct plan_out *p = user;
	cli_plan_request(p->cli, p->list, method, url, body);
}

static void print_result(w2c_cli *cli, const w2c_register_spec *s, const char *cloud,
			 const w2c_register_result *r)
{
	if (cli->json) {
		cli_print_json(json_pack("{s:b,s:s,s:s,s:s,s:s,s:b,s:b,s:s*,s:s*,s:s*,s:b}", "ok", 1, "cloud", cloud,
					 "name", s->name, "image_id", r->image_id, "status", r->status,
					 "existed", r->existed, "replaced", r->replaced,
					 "job_id", r->job_id[0] ? r->job_id : NULL,
					 "sha256", r->sha256[0] ? r->sha256 : NULL,
					 "checksum", r->checksum[0] ? r->checksum : NULL, "verified", r->verified));
		return;
	}
	if (r->existed && !strcmp(r->status, "active"))
		printf("image '%s' is already registered: %s (active), nothing to do\n", s->name, r->image_id);
	else if (r->image_id[0])
		printf("image '%s': %s (%s)%s\n", s->name, r->image_id, r->status,
		       r->verified ? ", checksums match" : "");
	else
		printf("image '%s': IMS job %s started (use --wait to wait for it)\n", s->name, r->job_id);
}

int cmd_register(int argc, char **argv, w2c_cli *cli)
{
	w2c_register_spec s = { 0 };
	w2c_register_target t = { 0 };
	w2c_register_result res;
	const char *cloud = NULL, *os_cloud = NULL, *auth = NULL, *tags[16] = { 0 };
	struct plan_out plan = { cli, NULL };
	bool dry = false;
	size_t ntags = 0;
	w2c_error err;
	int c, st;

	s.min_disk = 40;
	s.firmware = "bios";
	s.timeout = 3600;
	while ((c = getopt_long(argc, argv, "hvq", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case O_CLOUD: cloud = optarg; break;
		case O_NAME: s.name = optarg; break;
		case O_ISO:
		case O_DISK:
			if (s.source)
				return cli_usage_error(cli, "register", "takes one of --iso and --disk, once");
			s.source = optarg;
			s.iso = c == O_ISO;
			break;
		case O_OSV: s.os_version = optarg; break;
		case O_MIN_DISK:
			s.min_disk = (int)strtol(optarg, &end, 10);
			if (*end || end == optarg)
				return cli_usage_error(cli, "register", "--min-disk '%s': expected a number of GB",
						       optarg);
			break;
		case O_FW: s.firmware = optarg; break;
		case O_TAG:
			if (ntags >= sizeof tags / sizeof tags[0] - 1)
				return cli_usage_error(cli, "register", "too many --tag options");
			tags[ntags++] = optarg;
			break;
		case O_WAIT: s.wait = true; break;
		case O_QUICK: s.quick_import = true; break;
		case O_TIMEOUT:
			if ((s.timeout = cli_parse_duration(optarg)) < 0)
				return cli_usage_error(cli, "register", "--timeout '%s': expected e.g. 90s, 60m, 2h",
						       optarg);
			break;
		case O_POLL:
			if ((s.poll_interval = cli_parse_duration(optarg)) < 0)
				return cli_usage_error(cli, "register", "--poll-interval '%s': expected seconds",
						       optarg);
			break;
		case O_DRY: dry = true; break;
		case O_REPLACE: s.replace = true; break;
		case O_OS_CLOUD: os_cloud = optarg; break;
		case O_ENDPOINT: t.endpoint = optarg; break;
		case O_SHA: s.sha256 = optarg; break;
		case O_FILE: s.local_file = optarg; break;
		case O_DFMT: s.disk_format = optarg; break;
		case O_AUTH: auth = optarg; break;
		case 'h': return cli_help(help);
		default:
			if (cli_common_option(cli, c))
				break;
			return cli_usage_error(cli, "register", "got an unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "register", "takes no positional arguments ('%s')", argv[optind]);
	if (!cloud)
		return cli_usage_error(cli, "register", "needs --cloud otc|huaweicloud|openstack");
	if (!strcmp(cloud, "otc"))
		t.kind = W2C_CLOUD_OTC;
	else if (!strcmp(cloud, "huaweicloud"))
		t.kind = W2C_CLOUD_HUAWEICLOUD;
	else if (!strcmp(cloud, "openstack"))
		t.kind = W2C_CLOUD_OPENSTACK;
	else
		return cli_usage_error(cli, "register", "--cloud '%s': expected otc, huaweicloud or openstack", cloud);
	if (!s.name || !s.source)
		return cli_usage_error(cli, "register", "needs --name and one of --iso/--disk");
	if (auth && strcmp(auth, "password") && strcmp(auth, "aksk"))
		return cli_usage_error(cli, "register", "--auth '%s': expected password or aksk", auth);
	if (auth && !strcmp(auth, "aksk") && t.kind == W2C_CLOUD_OPENSTACK)
		return cli_usage_error(cli, "register", "--auth aksk is for IMS (otc, huaweicloud)");
	s.tags = tags;
	t.log = &cli->log;
	t.progress = &cli->progress;
	if (dry) {
		t.plan = print_plan;
		t.plan_user = &plan;
		plan.list = json_array();
	}
	enum w2c_register_auth how = !auth ? W2C_REGISTER_AUTH_AUTO : !strcmp(auth, "aksk") ?
				     W2C_REGISTER_AUTH_AKSK : W2C_REGISTER_AUTH_PASSWORD;
	w2c_code rc = w2c_register(&t, os_cloud, how, &s, &res, &err);
	cli_progress_end(cli);
	if (rc) {
		json_decref(plan.list);
		st = cli_fail(cli, &err);
	} else if (dry) {
		if (cli->json)
			cli_print_json(json_pack("{s:b,s:b,s:o}", "ok", 1, "dry_run", 1, "requests", plan.list));
		else
			json_decref(plan.list);
		st = 0;
	} else {
		print_result(cli, &s, cloud, &res);
		st = 0;
	}
	return st;
}
