/* win2cloud onboard: the registered ISO image -> temporary server -> system-disk image (IMS + ECS). */
#include "cli.h"
#include "win2cloud/onboard.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char help[] =
	"usage: win2cloud onboard --cloud otc|huaweicloud --iso-image ID|NAME --name IMAGE --flavor F\n"
	"         --vpc ID --subnet ID [--az AZ] [--disk-type SSD] [--size 60] [--timeout 3h]\n"
	"         [--keep-server] [--wait] [--dry-run] [--json]\n"
	"       win2cloud onboard --cloud otc|huaweicloud --cleanup [--dry-run] [--json]\n"
	"\n"
	"Make a system-disk image from an ISO image that 'win2cloud register' made: create a temporary\n"
	"server that boots the ISO with a system disk and one data disk, print its remote console,\n"
	"wait until the unattended install powers it off (SHUTOFF), create the image from the data\n"
	"volume Windows was installed on (IMS), and delete the server with its volumes - on success,\n"
	"on failure and on Ctrl-C, unless --keep-server.  Idempotent and resumable: the run's state\n"
	"is kept in a file, a re-run finds its own server and continues; an active image with this\n"
	"name and the ISO's content tag is reported and nothing is created.\n"
	"\n"
	"Image and server:\n"
	"  --iso-image ID|NAME     the ISO image (IMS id or exact name)\n"
	"  --name NAME             the image to make: 1-128 of letters, digits, '-', '.', '_', space\n"
	"  --os-version STRING     IMS os_version of the image (default: the ISO image's)\n"
	"  --tag KEY=VALUE         image tag, repeatable (up to 9)\n"
	"  --flavor F              general-purpose KVM flavor with 2 vCPUs and >= 4 GB RAM\n"
	"  --vpc ID, --subnet ID   network of the server's one NIC\n"
	"  --az AZ                 availability zone (default: the cloud picks)\n"
	"  --disk-type TYPE        ESSD, GPSSD2, GPSSD, SSD, SAS or SATA for both disks (default SSD)\n"
	"  --size GB               data disk Windows is installed on, 40-1024 (default 60)\n"
	"Behaviour:\n"
	"  --wait                  wait for the install, make the image and delete the server;\n"
	"                          without it: return once the server runs (a re-run continues)\n"
	"  --timeout DURATION      how long the install may take: 90s, 50m, 3h (default 3h)\n"
	"  --poll-interval SECS    first poll interval, doubling up to 60 s (default 10)\n"
	"  --keep-server           never delete the server (on failure it is stopped and kept)\n"
	"  --state-dir DIR         where the run's state file lives (default .)\n"
	"  --cleanup               list and delete the temporary servers win2cloud left\n"
	"  --dry-run               print each request (method, URL, JSON body); secrets redacted\n"
	"Cloud:\n"
	"  --os-cloud NAME         entry of clouds.yaml (default $OS_CLOUD, else the OS_* variables)\n"
	"  --auth password|aksk    token from the password (default when one is set) or AK/SK signing\n"
	"  --ims-endpoint URL, --ecs-endpoint URL   service URLs instead of the catalog's\n"
	"\n"
	"--cloud openstack exits 2: on OpenStack the route is 'install', then 'register' of the disk.\n"
	"Exit status: 0 done (or already there), 1 an image of that name with other content is in\n"
	"the way, 2 usage, 4 invalid option value or no such ISO image, 5 the cloud refused or a job\n"
	"failed (the call, its code and message are shown), 6 --timeout passed or interrupted.\n";

enum {
	O_CLOUD = 0x2000, O_ISO, O_NAME, O_OSV, O_TAG, O_FLAVOR, O_VPC, O_SUBNET, O_AZ, O_DTYPE, O_SIZE,
	O_WAIT, O_TIMEOUT, O_POLL, O_KEEP, O_STATE, O_CLEANUP, O_DRY, O_OS_CLOUD, O_AUTH, O_IMS_EP, O_ECS_EP,
};

static const struct option longopts[] = {
	{ "cloud", required_argument, NULL, O_CLOUD },
	{ "iso-image", required_argument, NULL, O_ISO },
	{ "name", required_argument, NULL, O_NAME },
	{ "os-version", required_argument, NULL, O_OSV },
	{ "tag", required_argument, NULL, O_TAG },
	{ "flavor", required_argument, NULL, O_FLAVOR },
	{ "vpc", required_argument, NULL, O_VPC },
	{ "subnet", required_argument, NULL, O_SUBNET },
	{ "az", required_argument, NULL, O_AZ },
	{ "disk-type", required_argument, NULL, O_DTYPE },
	{ "size", required_argument, NULL, O_SIZE },
	{ "wait", no_argument, NULL, O_WAIT },
	{ "timeout", required_argument, NULL, O_TIMEOUT },
	{ "poll-interval", required_argument, NULL, O_POLL },
	{ "keep-server", no_argument, NULL, O_KEEP },
	{ "state-dir", required_argument, NULL, O_STATE },
	{ "cleanup", no_argument, NULL, O_CLEANUP },
	{ "dry-run", no_argument, NULL, O_DRY },
	{ "os-cloud", required_argument, NULL, O_OS_CLOUD },
	{ "auth", required_argument, NULL, O_AUTH },
	{ "ims-endpoint", required_argument, NULL, O_IMS_EP },
	{ "ecs-endpoint", required_argument, NULL, O_ECS_EP },
	CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct onb_cli {
	w2c_cli *cli;
	json_t *plan;
	const char *tags[16];
	size_t ntags;
	const char *cloud, *auth;
	bool dry, cleanup;
	double last_json;     /* install progress events: one per 10 s */
};

static void print_plan(void *user, const char *method, const char *url, const char *body)
{
	struct onb_cli *c = user;
	cli_plan_request(c->cli, c->plan, method, url, body);
}

static void on_event(void *user, const w2c_onboard_event *ev)
{
	struct onb_cli *c = user;
	if (c->cli->json) {
		cli_progress_end(c->cli);
		cli_event(json_pack("{s:s,s:s,s:s,s:s*,s:s*}", "event", "onboard", "kind", ev->kind, "message",
				    ev->message, "server_id", ev->server_id, "value", ev->value));
	} else if (!strcmp(ev->kind, "console") && !c->cli->quiet) {
		cli_progress_end(c->cli); /* the one line a person must see, even without -v */
		fprintf(stderr, "win2cloud: %s\n", ev->message);
	} else {
		cli_notice(c->cli, "%s", ev->message);
	}
}

/* The install wait: "install: ACTIVE 12:03 of 3:00:00" on a TTY, a JSON event with --json. */
static int on_progress(void *user, const w2c_progress_event *ev)
{
	struct onb_cli *c = user;
	w2c_cli *cli = c->cli;
	if (cli_interrupted())
		return 1; /* Ctrl-C / SIGTERM: the library deletes the server, then exit 6 */
	if (strcmp(ev->stage, "install") || cli->quiet)
		return 0;
	if (cli->json) {
		if (cli_now() - c->last_json < 10)
			return 0;
		c->last_json = cli_now();
		cli_event(json_pack("{s:s,s:s,s:s?,s:I,s:I}", "event", "progress", "stage", "install", "status",
				    ev->item, "elapsed", (json_int_t)ev->done, "timeout", (json_int_t)ev->total));
	} else if (cli->tty) {
		unsigned long d = (unsigned long)ev->done, t = (unsigned long)ev->total;
		fprintf(stderr, "\r\033[Kinstall: %s %lu:%02lu:%02lu of %lu:%02lu:%02lu", ev->item ? ev->item : "",
			d / 3600, d / 60 % 60, d % 60, t / 3600, t / 60 % 60, t % 60);
		fflush(stderr);
		cli->progress_last = cli_now();
	}
	return 0;
}

static int parse_opt(struct onb_cli *c, w2c_onboard_options *o, int opt, const char *arg)
{
	char *end;
	switch (opt) {
	case O_CLOUD: c->cloud = arg; break;
	case O_ISO: o->iso_image = arg; break;
	case O_NAME: o->name = arg; break;
	case O_OSV: o->os_version = arg; break;
	case O_TAG:
		if (c->ntags >= sizeof c->tags / sizeof c->tags[0] - 1)
			return cli_usage_error(c->cli, "onboard", "too many --tag options");
		c->tags[c->ntags++] = arg;
		break;
	case O_FLAVOR: o->flavor = arg; break;
	case O_VPC: o->vpc = arg; break;
	case O_SUBNET: o->subnet = arg; break;
	case O_AZ: o->az = arg; break;
	case O_DTYPE: o->disk_type = arg; break;
	case O_SIZE:
		o->size = (int)strtol(arg, &end, 10);
		if (*end || end == arg || o->size <= 0)
			return cli_usage_error(c->cli, "onboard", "--size '%s': expected a number of GB", arg);
		break;
	case O_WAIT: o->wait = true; break;
	case O_TIMEOUT:
	case O_POLL:
		if (cli_parse_duration(arg) < 0)
			return cli_usage_error(c->cli, "onboard", "--%s '%s': expected e.g. 90s, 50m, 3h",
					       opt == O_TIMEOUT ? "timeout" : "poll-interval", arg);
		*(opt == O_TIMEOUT ? &o->timeout : &o->poll_interval) = cli_parse_duration(arg);
		break;
	case O_KEEP: o->keep_server = true; break;
	case O_STATE: o->state_dir = arg; break;
	case O_CLEANUP: c->cleanup = true; break;
	case O_DRY: c->dry = true; break;
	case O_OS_CLOUD: o->os_cloud = arg; break;
	case O_AUTH: c->auth = arg; break;
	case O_IMS_EP: o->ims_endpoint = arg; break;
	case O_ECS_EP: o->ecs_endpoint = arg; break;
	default:
		if (cli_common_option(c->cli, opt))
			break;
		return cli_usage_error(c->cli, "onboard", "got an unknown option");
	}
	return 0;
}

static int check_args(struct onb_cli *c, w2c_onboard_options *o)
{
	if (!c->cloud)
		return cli_usage_error(c->cli, "onboard", "needs --cloud otc|huaweicloud");
	if (!strcmp(c->cloud, "otc"))
		o->kind = W2C_CLOUD_OTC;
	else if (!strcmp(c->cloud, "huaweicloud"))
		o->kind = W2C_CLOUD_HUAWEICLOUD;
	else if (!strcmp(c->cloud, "openstack"))
		o->kind = W2C_CLOUD_OPENSTACK; /* the library says why this route is not there */
	else
		return cli_usage_error(c->cli, "onboard", "--cloud '%s': expected otc or huaweicloud", c->cloud);
	if (c->auth && strcmp(c->auth, "password") && strcmp(c->auth, "aksk"))
		return cli_usage_error(c->cli, "onboard", "--auth '%s': expected password or aksk", c->auth);
	o->auth = !c->auth ? W2C_REGISTER_AUTH_AUTO : !strcmp(c->auth, "aksk") ? W2C_REGISTER_AUTH_AKSK
							       : W2C_REGISTER_AUTH_PASSWORD;
	if (!c->cleanup && o->kind != W2C_CLOUD_OPENSTACK && !o->name)
		return cli_usage_error(c->cli, "onboard", "needs --name (or --cleanup)");
	return 0;
}

static void print_result(struct onb_cli *c, const w2c_onboard_options *o, const w2c_onboard_result *r)
{
	if (c->cli->json) {
		cli_print_json(json_pack("{s:b,s:s,s:s,s:s,s:s*,s:s*,s:s,s:s,s:s*,s:s*,s:s*,s:s*,s:b,s:b,s:b}",
					 "ok", 1, "cloud", c->cloud, "name", o->name, "step", r->step,
					 "image_id", r->image_id[0] ? r->image_id : NULL,
					 "image_status", r->image_status[0] ? r->image_status : NULL,
					 "iso_image_id", r->iso_image_id, "run_id", r->run_id,
					 "server_id", r->server_id[0] ? r->server_id : NULL,
					 "server_name", r->server_name[0] ? r->server_name : NULL,
					 "volume_id", r->volume_id[0] ? r->volume_id : NULL,
					 "deleted", r->deleted[0] ? r->deleted : NULL, "existed", r->existed,
					 "resumed", r->resumed, "server_kept", r->server_kept));
		return;
	}
	if (r->existed)
		printf("image '%s' already exists: %s (active), nothing to do\n", o->name, r->image_id);
	else if (!strcmp(r->step, "installing"))
		printf("server %s (%s) is installing; run the same command with --wait to make the image and "
		       "delete the server\n", r->server_name, r->server_id);
	else
		printf("image '%s': %s (%s)\n", o->name, r->image_id, r->image_status);
	if (r->server_kept && strcmp(r->step, "installing"))
		printf("server %s (%s) kept (--keep-server)\n", r->server_name, r->server_id);
}

static int run(struct onb_cli *c, w2c_onboard_options *o)
{
	w2c_error err;
	w2c_code rc;
	if (c->cleanup) {
		w2c_onboard_cleanup_result cr;
		rc = w2c_onboard_cleanup(o, &cr, &err);
		cli_progress_end(c->cli);
		if (rc)
			return cli_fail(c->cli, &err);
		if (c->cli->json && !c->dry)
			cli_print_json(json_pack("{s:b,s:i,s:i,s:i}", "ok", 1, "found", cr.found, "deleted", cr.deleted,
						 "state_files", cr.state_files));
		else if (!c->dry)
			printf("%u temporary server(s) found, %u deleted\n", cr.found, cr.deleted);
	} else {
		w2c_onboard_result res;
		rc = w2c_onboard(o, &res, &err);
		cli_progress_end(c->cli);
		if (rc)
			return cli_fail(c->cli, &err);
		if (!c->dry)
			print_result(c, o, &res);
	}
	if (c->dry && c->cli->json)
		cli_print_json(json_pack("{s:b,s:b,s:O}", "ok", 1, "dry_run", 1, "requests", c->plan));
	return 0;
}

int cmd_onboard(int argc, char **argv, w2c_cli *cli)
{
	struct onb_cli c = { .cli = cli };
	w2c_onboard_options o = { 0 };
	w2c_progress prog = { on_progress, &c };
	int opt, st;

	o.timeout = 3 * 3600;
	while ((opt = getopt_long(argc, argv, "hvq", longopts, NULL)) != -1) {
		if (opt == 'h')
			return cli_help(help);
		if ((st = parse_opt(&c, &o, opt, optarg)))
			return st;
	}
	if (optind < argc)
		return cli_usage_error(cli, "onboard", "takes no positional arguments ('%s')", argv[optind]);
	if ((st = check_args(&c, &o)))
		return st;
	c.tags[c.ntags] = NULL;
	o.tags = c.tags;
	o.log = &cli->log;
	o.progress = &prog;
	o.event = on_event;
	o.event_user = &c;
	if (c.dry) {
		o.plan = print_plan;
		o.plan_user = &c;
		c.plan = json_array();
	}
	st = run(&c, &o);
	json_decref(c.plan);
	return st;
}
