/* Output, progress and signal helpers for the subcommands. */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Set by the signal handler, read by worker threads (progress callbacks): a lock-free atomic
 * is safe in a handler and, unlike volatile sig_atomic_t, race-free across threads. */
static atomic_int g_interrupted;

bool cli_interrupted(void)
{
	return atomic_load_explicit(&g_interrupted, memory_order_relaxed) != 0;
}

void cli_on_signal(int sig)
{
	(void)sig;
	atomic_store_explicit(&g_interrupted, 1, memory_order_relaxed);
}

int cli_fail(w2c_cli *cli, const w2c_error *err)
{
	cli_progress_end(cli);
	fprintf(stderr, "win2cloud: error: %s\n", err->message);
	if (cli->json) {
		json_t *o = json_pack("{s:b,s:{s:s,s:s,s:i}}", "ok", 0, "error", "code",
				      w2c_code_name(err->code), "message", err->message,
				      "exit_status", w2c_exit_status(err->code));
		cli_print_json(o);
	}
	return w2c_exit_status(err->code);
}

int cli_usage_error(w2c_cli *cli, const char *verb, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	w2c_error err;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	w2c_set_error(&err, W2C_ERR_USAGE, "%s %s (see 'win2cloud %s --help')", verb, msg, verb);
	return cli_fail(cli, &err);
}

void cli_print_json(json_t *doc)
{
	if (!doc)
		return;
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(doc);
}

void cli_event(json_t *ev)
{
	if (!ev)
		return;
	json_dumpf(ev, stderr, JSON_COMPACT);
	fputc('\n', stderr);
	json_decref(ev);
}

void cli_notice(w2c_cli *cli, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (cli->quiet)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cli_progress_end(cli);
	if (cli->json) {
		cli_event(json_pack("{s:s,s:s}", "event", "notice", "message", msg));
	} else {
		fprintf(stderr, "win2cloud: %s\n", msg);
	}
}

double cli_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

const char *cli_human_bytes(unsigned long long n, char buf[32])
{
	static const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, 32, i ? "%.1f %s" : "%.0f %s", v, u[i]);
	return buf;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return 0;
}

int cli_common_option(w2c_cli *cli, int c)
{
	switch (c) {
	case CLI_OPT_JSON:
		cli->json = true;
		return 1;
	case 'v':
		cli->verbose++;
		cli->log.max_level = cli->verbose > 1 ? W2C_LOG_DEBUG : W2C_LOG_INFO;
		return 1;
	case 'q':
		cli->quiet = true;
		cli->log.max_level = W2C_LOG_ERROR;
		return 1;
	default:
		return 0;
	}
}

void cli_plan_request(w2c_cli *cli, json_t *list, const char *method, const char *url, const char *body)
{
	if (cli->json) {
		json_t *b = body ? json_loads(body, 0, NULL) : NULL;
		json_array_append_new(list, json_pack("{s:s,s:s,s:o*}", "method", method, "url", url, "body", b));
		return;
	}
	printf("%s %s\n", method, url);
	if (body)
		printf("  %s\n", body);
}

double cli_parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || v <= 0)
		return -1;
	if (!*end || !strcmp(end, "s"))
		return v;
	return !strcmp(end, "m") ? v * 60 : !strcmp(end, "h") ? v * 3600 : -1;
}
