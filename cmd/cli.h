/* Shared state and helpers of the win2cloud command-line tool (cmd/ only). */
#ifndef W2C_CMD_CLI_H
#define W2C_CMD_CLI_H

#include "win2cloud.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct w2c_cli {
	bool json;        /* structured output on stdout, JSON-lines events on stderr */
	int verbose;      /* -v: debug log on stderr (secrets redacted by the library) */
	bool quiet;       /* -q: no progress, no notices */
	bool tty;         /* stderr is a terminal: progress bar allowed */
	w2c_logger log;
	w2c_progress progress;
	double progress_t0;
	char progress_stage[32]; /* rate and ETA restart when the stage changes */
	double progress_last;
} w2c_cli;

/* A subcommand: parse argv (argv[0] is the verb), run, return an exit status. */
typedef int (*w2c_cmd_fn)(int argc, char **argv, w2c_cli *cli);

/* Report @err on stderr (one line; JSON object too with --json) and return its exit status. */
int cli_fail(w2c_cli *cli, const w2c_error *err);
/* Usage error: message + hint to run --help; returns 2. */
int cli_usage_error(w2c_cli *cli, const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print a JSON value on stdout (indented, one document) and free it. */
void cli_print_json(json_t *doc);
/* One JSON-lines event on stderr (--json); takes the reference. */
void cli_event(json_t *ev);
/* Notice on stderr unless quiet (or a JSON event with --json). */
void cli_notice(w2c_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One request of a --dry-run plan (secrets already redacted by the library): "METHOD URL"
 * and the body on stdout, or appended to @list for the JSON document with --json. */
void cli_plan_request(w2c_cli *cli, json_t *list, const char *method, const char *url, const char *body);
/* Finish a progress bar line if one is showing. */
void cli_progress_end(w2c_cli *cli);
/* True once SIGINT/SIGTERM arrived; the progress callback turns it into a stop request. */
bool cli_interrupted(void);
/* Monotonic seconds, for progress rates. */
double cli_now(void);
/* "90", "90s", "50m", "3h" -> seconds; -1 when malformed (--timeout, --poll-interval). */
double cli_parse_duration(const char *s);
/* Human size, e.g. "4.2 GiB". */
const char *cli_human_bytes(unsigned long long n, char buf[32]);
/* Standard "--help" handling: print @text to stdout. */
int cli_help(const char *text);

/* Options every subcommand accepts; put CLI_COMMON_LONGOPTS in its option table
 * and hand unknown option values to cli_common_option() first. */
#define CLI_OPT_JSON 0x1001
#define CLI_COMMON_LONGOPTS                                   \
	{ "json", no_argument, NULL, CLI_OPT_JSON },          \
	{ "help", no_argument, NULL, 'h' },                   \
	{ "verbose", no_argument, NULL, 'v' },                \
	{ "quiet", no_argument, NULL, 'q' }
/* Returns 1 when @c was a common option (handled), 0 otherwise. */
int cli_common_option(w2c_cli *cli, int c);

/* One entry per subcommand, defined in cmd_<verb>.c */
int cmd_inspect(int argc, char **argv, w2c_cli *cli);
int cmd_unpack(int argc, char **argv, w2c_cli *cli);
int cmd_register(int argc, char **argv, w2c_cli *cli);
int cmd_build(int argc, char **argv, w2c_cli *cli);
int cmd_verify(int argc, char **argv, w2c_cli *cli);
int cmd_upload(int argc, char **argv, w2c_cli *cli);
int cmd_unattend(int argc, char **argv, w2c_cli *cli);
int cmd_drivers(int argc, char **argv, w2c_cli *cli);
int cmd_inject(int argc, char **argv, w2c_cli *cli);
int cmd_install(int argc, char **argv, w2c_cli *cli);
int cmd_check(int argc, char **argv, w2c_cli *cli);
int cmd_onboard(int argc, char **argv, w2c_cli *cli);
int cmd_run(int argc, char **argv, w2c_cli *cli);

/* Shared JSON renderings of a medium (cmd_inspect.c). */
struct w2c_media;
json_t *cli_fs_json(const struct w2c_media *m);
json_t *cli_boot_json(const struct w2c_media *m);
const char *cli_platform_name(unsigned id);

#endif
