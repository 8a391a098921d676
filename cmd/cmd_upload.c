/* win2cloud upload: a file to OBS / S3 / a directory, verified and resumable. */
#include "cli.h"
#include "win2cloud/upload.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud upload FILE URL [options]\n"
	"\n"
	"Upload FILE to object storage and prove it arrived intact.  URL is one of\n"
	"  obs://BUCKET/KEY     Huawei Cloud / Open Telekom Cloud OBS (virtual-hosted)\n"
	"  s3://BUCKET/KEY      any S3 endpoint given with --endpoint\n"
	"  file:///DIR/NAME     a local or mounted directory\n"
	"Files larger than one part go multipart, PARALLEL parts at a time, each with\n"
	"Content-MD5; the SHA-256 of the file is stored as x-amz-meta-sha256.  The file\n"
	"is read once unless that metadata must be set at creation without a claim\n"
	"(see --sha256-meta): FILE.sha256, as build and inject write it, or --sha256 is\n"
	"such a claim, set at creation and checked against the bytes as they are sent;\n"
	"a claim that does not match aborts the upload before anything is created.\n"
	"Every part's ETag and the final ETag are checked against local MD5s.  A killed\n"
	"run leaves FILE.w2c-upload-*.json: run the same command again to resume.\n"
	"\n"
	"Credentials come from the environment (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY\n"
	"[/AWS_SESSION_TOKEN], OS_ACCESS_KEY/OS_SECRET_KEY, HW_ACCESS_KEY/HW_SECRET_KEY,\n"
	"HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK) or a mode-0600 credentials file\n"
	"(~/.config/win2cloud/credentials or $W2C_CREDENTIALS_FILE), never from argv.\n"
	"\n"
	"  --endpoint URL        S3/OBS endpoint, e.g. http://127.0.0.1:18080\n"
	"  --region R            signing region; obs:// endpoint https://obs.R.otc.t-systems.com\n"
	"  --profile NAME        use this profile of the credentials file\n"
	"  --ca-bundle FILE      trust these CAs (PEM) for TLS\n"
	"  --virtual-hosted      s3:// only: bucket in the host name (default: path style)\n"
	"  --sign-payload        sign each part's SHA-256 (default for obs://)\n"
	"  --unsigned-payload    send UNSIGNED-PAYLOAD (default for s3://; Content-MD5 stays)\n"
	"  --part-size SIZE      bytes, or with K/M/G suffix (default max(8M, size/1000))\n"
	"  --parallel N          parts in flight (default 4; memory = part size x N)\n"
	"  --storage-class C     default STANDARD; checked after the upload\n"
	"  --retries N           retries per request on network errors, 5xx, 429 (default 6)\n"
	"  --sha256-meta auto|first|after\n"
	"                        first: hash the file before the upload, metadata at\n"
	"                        creation (two reads); after: one read, metadata by a\n"
	"                        server-side copy onto itself (<= 5 GiB); auto (default):\n"
	"                        first for multipart S3/OBS, one read otherwise\n"
	"  --sha256 HEX          the file's SHA-256 as you know it: a claim, checked (exit 3\n"
	"                        and nothing created if the bytes differ); default: FILE.sha256\n"
	"                        when it names FILE and is not older than FILE\n"
	"  --no-sidecar          ignore FILE.sha256\n"
	"  --verify              HEAD the object: size, SHA-256 metadata and ETag must match\n"
	"  --abort               abort the interrupted upload and delete its checkpoint\n"
	"  --json                final result as JSON on stdout, JSON-lines progress on stderr\n"
	"\n"
	"Exit status: 0 ok, 2 usage, 3 verification failed, 4 unreadable or changing file,\n"
	"5 remote/auth/network error, 6 interrupted (re-run to resume).\n";

enum {
	OPT_ENDPOINT = 0x2000, OPT_REGION, OPT_PROFILE, OPT_CA, OPT_VHOST, OPT_SIGN, OPT_UNSIGNED,
	OPT_PART, OPT_PARALLEL, OPT_CLASS, OPT_VERIFY, OPT_ABORT, OPT_RETRIES, OPT_META, OPT_SHA,
	OPT_NOSIDE,
};

static const struct option longopts[] = {
	{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
	{ "region", required_argument, NULL, OPT_REGION },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "ca-bundle", required_argument, NULL, OPT_CA },
	{ "virtual-hosted", no_argument, NULL, OPT_VHOST },
	{ "sign-payload", no_argument, NULL, OPT_SIGN },
	{ "unsigned-payload", no_argument, NULL, OPT_UNSIGNED },
	{ "part-size", required_argument, NULL, OPT_PART },
	{ "parallel", required_argument, NULL, OPT_PARALLEL },
	{ "storage-class", required_argument, NULL, OPT_CLASS },
	{ "sha256-meta", required_argument, NULL, OPT_META },
	{ "sha256", required_argument, NULL, OPT_SHA },
	{ "no-sidecar", no_argument, NULL, OPT_NOSIDE },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "abort", no_argument, NULL, OPT_ABORT },
	CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/* "64M", "8388608", "1G" */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return false;
	switch (*end) {
	case 0: break;
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: return false;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	*out = v;
	return *end == 0;
}

/* Progress: a bar with parts on a TTY; JSON lines and quiet handled by the common callback. */
struct upbar {
	w2c_cli *cli;
	double t0, last;
	char stage[16];
};

static int on_progress(void *user, const w2c_progress_event *ev)
{
	struct upbar *b = user;
	w2c_cli *cli = b->cli;
	double now = cli_now();
	char d[32], t[32], r[32];

	if (cli_interrupted())
		return 1;
	if (cli->json || !cli->tty || cli->quiet)
		return cli->progress.fn(cli->progress.user, ev);
	if (strcmp(b->stage, ev->stage)) { /* rate and ETA per stage */
		snprintf(b->stage, sizeof b->stage, "%s", ev->stage);
		b->t0 = now;
	}
	if (now - b->last < 0.2 && ev->done < ev->total)
		return 0;
	b->last = now;
	double el = now - b->t0, rate = el > 0.2 ? (double)ev->done / el : 0;
	double eta = rate > 0 ? (double)(ev->total - ev->done) / rate : 0;
	fprintf(stderr, "\r\033[K%-6s %5.1f%% %s/%s %s/s ETA %02d:%02d %s", ev->stage,
		ev->total ? 100.0 * (double)ev->done / (double)ev->total : 100.0,
		cli_human_bytes(ev->done, d), cli_human_bytes(ev->total, t),
		cli_human_bytes((unsigned long long)rate, r), (int)eta / 60, (int)eta % 60,
		ev->item ? ev->item : "");
	fflush(stderr);
	cli->progress_last = now; /* lets cli_progress_end() clear the line */
	return 0;
}

static void print_result(w2c_cli *cli, const w2c_upload_result *r)
{
	if (cli->json) {
		json_t *o = json_pack("{s:b,s:s,s:I,s:s,s:s,s:s,s:I,s:i,s:i,s:f,s:f,s:b,s:b,s:b}",
				      "ok", 1, "url", r->url, "size", (json_int_t)r->size, "etag",
				      r->etag, "sha256", r->sha256, "storage_class", r->storage_class,
				      "part_size", (json_int_t)r->part_size, "parts", r->parts,
				      "parts_sent", r->parts_sent, "seconds", r->seconds, "mib_per_s",
				      r->mib_per_s, "skipped", r->skipped, "resumed", r->resumed,
				      "verified", r->verified);
		if (r->upload_id[0])
			json_object_set_new(o, "upload_id", json_string(r->upload_id));
		if (r->sha256_claim[0])
			json_object_set_new(o, "sha256_claim", json_string(r->sha256_claim));
		cli_print_json(o);
		return;
	}
	if (r->skipped)
		printf("%s already holds this file (same size and SHA-256); nothing sent\n", r->url);
	else
		printf("uploaded %s: %llu byte%s in %u part%s%s, %.1f s, %.1f MiB/s\n", r->url,
		       (unsigned long long)r->size, r->size == 1 ? "" : "s", r->parts,
		       r->parts == 1 ? "" : "s", r->resumed ? " (resumed)" : "",
		       r->seconds, r->mib_per_s);
	printf("etag %s\nsha256 %s%s%s%s\nstorage class %s%s\n", r->etag, r->sha256,
	       r->sha256_claim[0] ? " (equals the claim of " : "", r->sha256_claim,
	       r->sha256_claim[0] ? ")" : "", r->storage_class, r->verified ? ", verified" : "");
}

int cmd_upload(int argc, char **argv, w2c_cli *cli)
{
	w2c_upload_options o = { .payload_signing = -1 };
	w2c_upload_result res;
	w2c_error err;
	struct upbar bar = { cli, 0, 0, "" };
	w2c_progress prog = { on_progress, &bar };
	int c;

	while ((c = getopt_long(argc, argv, "hvq", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ENDPOINT: o.endpoint = optarg; break;
		case OPT_REGION: o.region = optarg; break;
		case OPT_PROFILE: o.profile = optarg; break;
		case OPT_CA: o.ca_bundle = optarg; break;
		case OPT_VHOST: o.virtual_hosted = true; break;
		case OPT_SIGN: o.payload_signing = 1; break;
		case OPT_UNSIGNED: o.payload_signing = 0; break;
		case OPT_CLASS: o.storage_class = optarg; break;
		case OPT_VERIFY: o.verify = true; break;
		case OPT_ABORT: o.abort = true; break;
		case OPT_SHA: o.sha256 = optarg; break;
		case OPT_NOSIDE: o.no_sidecar = true; break;
		case OPT_META:
			if (!strcmp(optarg, "auto"))
				o.sha256_meta = W2C_SHA256_META_AUTO;
			else if (!strcmp(optarg, "first"))
				o.sha256_meta = W2C_SHA256_META_FIRST;
			else if (!strcmp(optarg, "after"))
				o.sha256_meta = W2C_SHA256_META_AFTER;
			else
				return cli_usage_error(cli, "upload", "--sha256-meta '%s': expected auto, "
							 "first or after", optarg);
			break;
		case OPT_PART:
			if (!parse_size(optarg, &o.part_size))
				return cli_usage_error(cli, "upload", "--part-size '%s': expected bytes "
							 "or a K/M/G size", optarg);
			break;
		case OPT_PARALLEL:
		case OPT_RETRIES: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > 64 || (c == OPT_PARALLEL && v < 1))
				return cli_usage_error(cli, "upload", "%s '%s': expected a number %s",
						       c == OPT_PARALLEL ? "--parallel" : "--retries",
						       optarg, c == OPT_PARALLEL ? "1..64" : "0..64");
			if (c == OPT_PARALLEL)
				o.parallel = (unsigned)v;
			else
				o.max_retries = v ? (int)v : -1;
			break;
		}
		case 'h':
			return cli_help(help);
		default:
			if (cli_common_option(cli, c))
				break;
			return cli_usage_error(cli, "upload", "unknown option");
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(cli, "upload", "needs FILE and URL");
	o.file = argv[optind];
	o.url = argv[optind + 1];
	o.log = &cli->log;
	o.progress = &prog;
	w2c_code rc = w2c_upload(&o, &res, &err);
	cli_progress_end(cli);
	if (rc)
		return cli_fail(cli, &err);
	if (res.aborted) {
		if (cli->json)
			cli_print_json(json_pack("{s:b,s:s,s:b,s:s}", "ok", 1, "url", res.url, "aborted",
						 1, "upload_id", res.upload_id));
		else
			printf("aborted upload %s of %s\n", res.upload_id, res.url);
		return 0;
	}
	print_result(cli, &res);
	return 0;
}
