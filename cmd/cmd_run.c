/* win2cloud run: the stages of a pipeline file, each as a child win2cloud, resumable. */
#include "cli.h"
#include "win2cloud/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char help[] =
	"usage: win2cloud run PIPELINE.yaml [--dry-run] [--force] [--json]\n"
	"\n"
	"Run the stages of a pipeline file in order: inspect, build, inject, verify, install,\n"
	"check, upload, register and onboard, each as 'win2cloud VERB' with the stage's keys as\n"
	"its long options (each as one KEY=VALUE word, then the positional arguments after a\n"
	"lone '--').  build/inject write ${workdir}/<source>-<verb>.iso (or 'output:') and\n"
	"the stages after them work on it; install writes the system disk\n"
	"<source>-install.qcow2, which register then registers as a disk image; upload's 'to:'\n"
	"URL is what register registers, and onboard boots the ISO image register named (its\n"
	"state: WORKDIR/onboard).\n"
	"A state file in the work directory records each finished stage with the size and\n"
	"time of every file it read or wrote: a re-run skips the stages that are unchanged\n"
	"and resumes at the first one that is not (an interrupted upload resumes too); a\n"
	"changed secret input (password variable or file) counts, through a keyed hash.\n"
	"Relative paths are relative to the pipeline file.  Secrets are never in the file:\n"
	"the stages read them from the environment or 0600 files, as on the command line.\n"
	"\n"
	"  --dry-run   print each stage's command line and whether it would run; run nothing\n"
	"              (each stage's options are checked by its own parser first)\n"
	"  --force     run every stage, even those recorded as done\n"
	"  --json      one JSON document on stdout: every stage with its status, exit\n"
	"              status and the stage's own JSON result; events on stderr\n"
	"\n"
	"Exit status: 0 every stage succeeded, otherwise the exit status of the stage\n"
	"that failed (3 violations, 4 invalid input, 5 remote error, 6 interrupted: run\n"
	"again to resume); 2 usage, 4 an invalid pipeline file.\n";

struct run {
	w2c_cli *cli;
	bool dry_run, force;
	bool dirty; /* a stage (would have) run: every later one runs too */
	char exe[PATH_MAX];
	json_t *report; /* --json: array of stage results */
	bool failed_alone; /* an error of run itself was reported (with --json: its own document) */
};

/* An error of run itself (not of a stage): reported once, as every command reports errors. */
static int run_fail(struct run *r, const w2c_error *err)
{
	r->failed_alone = true;
	return cli_fail(r->cli, err);
}

static char *quoted_line(char **argv)
{
	size_t cap = 64, len = 0;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	s[0] = 0;
	for (size_t i = 0; argv[i]; i++) {
		bool q = strpbrk(argv[i], " \t'\"$\\") != NULL || !*argv[i];
		size_t need = len + strlen(argv[i]) * 4 + 16;
		if (need > cap) {
			char *ns = realloc(s, cap = need * 2);
			if (!ns) {
				free(s);
				return NULL;
			}
			s = ns;
		}
		len += (size_t)sprintf(s + len, "%s%s", i ? " " : "", q ? "'" : "");
		for (const char *c = argv[i]; *c; c++)
			len += (size_t)(*c == '\'' && q ? sprintf(s + len, "'\\''") : sprintf(s + len, "%c", *c));
		len += (size_t)sprintf(s + len, "%s", q ? "'" : "");
	}
	return s;
}

static void announce(struct run *r, size_t i, size_t n, const w2c_pipeline_step *step, const char *what)
{
	char *line = quoted_line(step->argv);
	if (r->cli->json) {
		cli_event(json_pack("{s:s,s:I,s:s,s:s,s:s}", "event", "stage", "index", (json_int_t)i + 1,
				    "verb", step->argv[0], "status", what, "command", line ? line : ""));
	} else if (!r->cli->quiet) {
		fprintf(stderr, "[%zu/%zu] %s: win2cloud %s\n", i + 1, n, what, line ? line : step->argv[0]);
	}
	free(line);
}

/* argv of the child: this binary, the global options we were given, the stage. */
static char **child_argv(struct run *r, const w2c_pipeline_step *step)
{
	char **v = calloc(step->argc + 8, sizeof *v);
	size_t n = 0;
	if (!v)
		return NULL;
	v[n++] = r->exe;
	if (r->cli->json)
		v[n++] = "--json";
	if (r->cli->quiet)
		v[n++] = "--quiet";
	for (int k = 0; k < r->cli->verbose && k < 2; k++)
		v[n++] = "--verbose";
	for (size_t i = 0; i < step->argc; i++)
		v[n++] = step->argv[i];
	return v;
}

static char *slurp_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	ssize_t got;
	while (s && (got = read(fd, s + len, cap - len - 1)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)got;
		if (len + 1 == cap) {
			char *ns = realloc(s, cap *= 2);
			if (!ns)
				break;
			s = ns;
		}
	}
	if (s)
		s[len] = 0;
	return s;
}

static int wait_child(pid_t pid)
{
	int status;
	bool forwarded = false;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return 1;
		/* A SIGTERM to us alone (CI, systemd) must stop the stage too; a terminal's
		 * SIGINT reaches the whole process group anyway. */
		if (cli_interrupted() && !forwarded) {
			kill(pid, SIGTERM);
			forwarded = true;
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 6; /* killed by a signal: the stage itself is resumable */
}

/* Run one stage; with --json its stdout (one JSON document) goes into the report. */
static int spawn_stage(struct run *r, const w2c_pipeline_step *step, json_t **result)
{
	char **argv = child_argv(r, step);
	posix_spawn_file_actions_t fa;
	int pfd[2] = { -1, -1 }, rc;
	pid_t pid;

	*result = NULL;
	if (!argv || (r->cli->json && pipe(pfd))) {
		free(argv);
		return 1;
	}
	posix_spawn_file_actions_init(&fa);
	if (r->cli->json) {
		posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
		posix_spawn_file_actions_addclose(&fa, pfd[0]);
		posix_spawn_file_actions_addclose(&fa, pfd[1]);
	}
	fflush(NULL);
	rc = posix_spawn(&pid, r->exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (rc) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		fprintf(stderr, "win2cloud: error: run: cannot start %s: %s\n", r->exe, strerror(rc));
		return 1;
	}
	if (pfd[0] >= 0) {
		char *out = slurp_fd(pfd[0]);
		close(pfd[0]);
		*result = out ? json_loads(out, JSON_DECODE_ANY, NULL) : NULL;
		if (!*result && out && *out)
			*result = json_string(out);
		free(out);
	}
	return wait_child(pid);
}

/* --dry-run: the stage's own option parser judges its options (exit 2 and its
 * message when it refuses one), as in the real run; its help goes nowhere. */
static int check_stage(struct run *r, const w2c_pipeline_step *step, char **msg)
{
	char **cv = w2c_pipeline_step_check_argv(step), **argv = NULL;
	w2c_pipeline_step tmp = { 0 };
	posix_spawn_file_actions_t fa;
	int pfd[2] = { -1, -1 }, rc = 1;
	pid_t pid;
	bool json = r->cli->json;

	*msg = NULL;
	tmp.argv = cv;
	for (tmp.argc = 0; cv && cv[tmp.argc]; tmp.argc++)
		;
	r->cli->json = false; /* its refusal as text, for our own message */
	argv = cv ? child_argv(r, &tmp) : NULL;
	r->cli->json = json;
	if (!argv || pipe(pfd)) {
		free(cv);
		free(argv);
		return 1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDERR_FILENO);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	posix_spawn_file_actions_addclose(&fa, pfd[1]);
	fflush(NULL);
	int e = posix_spawn(&pid, r->exe, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (!e) {
		*msg = slurp_fd(pfd[0]);
		rc = wait_child(pid);
	}
	close(pfd[0]);
	free(argv);
	free(cv);
	return rc;
}

static void report(struct run *r, size_t i, const w2c_pipeline_step *step, const char *status,
		   int exit_status, json_t *result)
{
	if (!r->report) {
		json_decref(result);
		return;
	}
	json_t *argv = json_array();
	for (size_t k = 0; k < step->argc; k++)
		json_array_append_new(argv, json_string(step->argv[k]));
	json_array_append_new(r->report, json_pack("{s:I,s:s,s:s,s:o,s:i,s:o*}", "index", (json_int_t)i + 1,
						   "verb", step->argv[0], "status", status, "argv", argv,
						   "exit", exit_status, "result", result));
}

static int run_stage(struct run *r, const w2c_pipeline *p, w2c_pipeline_state *st, size_t i,
		     const w2c_pipeline_step *step)
{
	w2c_error err;
	json_t *result;
	int rc;

	if (!r->force && !r->dirty && st && w2c_pipeline_state_done(st, i, step)) {
		announce(r, i, p->n_stages, step, "done earlier, skipped");
		report(r, i, step, "skipped", 0, NULL);
		return 0;
	}
	r->dirty = true;
	if (r->dry_run) {
		char *msg;
		if ((rc = check_stage(r, step, &msg)) != 0) {
			w2c_set_error(&err, rc == 2 ? W2C_ERR_USAGE : W2C_ERR_INTERNAL,
				      "stage %zu (%s, %s:%u): its options are refused, as the real run "
				      "would refuse them: %s", i + 1, step->argv[0], p->name,
				      p->stages[i].line, msg && *msg ? msg : "(no message)");
			free(msg);
			report(r, i, step, "refused", rc, NULL);
			run_fail(r, &err);
			return rc;
		}
		free(msg);
		announce(r, i, p->n_stages, step, "would run");
		report(r, i, step, "planned", 0, NULL);
		return 0;
	}
	if (w2c_pipeline_state_forget_from(st, i, &err))
		return run_fail(r, &err);
	announce(r, i, p->n_stages, step, "running");
	rc = spawn_stage(r, step, &result);
	report(r, i, step, rc ? "failed" : "done", rc, result);
	if (rc) {
		if (!r->cli->json)
			fprintf(stderr, "win2cloud: error: run: stage %zu (%s, %s:%u) failed with exit status %d%s\n",
				i + 1, step->argv[0], p->name, p->stages[i].line, rc,
				rc == 6 ? "; run the pipeline again to resume" : "");
		return rc;
	}
	if (w2c_pipeline_state_record(st, i, step, &err))
		return run_fail(r, &err);
	return 0;
}

/* Stages run in the pipeline file's directory, so its relative paths mean what they say. */
static int enter_pipeline_dir(struct run *r, const char *file)
{
	char *copy = strdup(file);
	ssize_t n = readlink("/proc/self/exe", r->exe, sizeof r->exe - 1);
	int rc = 0;
	if (n <= 0) {
		fprintf(stderr, "win2cloud: error: run: /proc/self/exe: %s\n", strerror(errno));
		free(copy);
		return 1;
	}
	r->exe[n] = 0;
	if (!copy || chdir(dirname(copy))) {
		fprintf(stderr, "win2cloud: error: run: %s: cannot enter its directory: %s\n", file,
			strerror(errno));
		rc = 4;
	}
	free(copy);
	return rc;
}

/* Outputs and ${workdir} as absolute paths, the directory made unless in a dry run. */
static int absolute_workdir(struct run *r, w2c_pipeline *p)
{
	w2c_error err;
	if (w2c_pipeline_workdir_resolve(p, !r->dry_run, &err))
		return run_fail(r, &err);
	return 0;
}

static int run_all(struct run *r, const w2c_pipeline *p)
{
	w2c_pipeline_state *st = NULL;
	w2c_pipeline_cursor cur = { 0 };
	w2c_error err;
	int rc = 0;

	if (access(p->workdir, F_OK) == 0 && w2c_pipeline_state_load(p->workdir, &st, &err))
		return run_fail(r, &err);
	for (size_t i = 0; i < p->n_stages && !rc; i++) {
		w2c_pipeline_step step;
		if (w2c_pipeline_step_make(p, i, &cur, &step, &err)) {
			rc = run_fail(r, &err);
			break;
		}
		rc = run_stage(r, p, st, i, &step);
		w2c_pipeline_step_clear(&step);
		if (!rc && cli_interrupted())
			rc = 6;
	}
	w2c_pipeline_cursor_clear(&cur);
	w2c_pipeline_state_free(st);
	return rc;
}

int cmd_run(int argc, char **argv, w2c_cli *cli)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	struct run r = { .cli = cli };
	w2c_pipeline *p;
	w2c_error err;
	int c, rc;

	while ((c = getopt_long(argc, argv, "hvqnf", opts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		switch (c) {
		case 'h': return cli_help(help);
		case 'n': r.dry_run = true; break;
		case 'f': r.force = true; break;
		default: return cli_usage_error(cli, "run", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli, "run", "expects one pipeline file");
	if (w2c_pipeline_load(argv[optind], &p, &err))
		return cli_fail(cli, &err);
	if ((rc = enter_pipeline_dir(&r, argv[optind])) || (rc = absolute_workdir(&r, p))) {
		w2c_pipeline_free(p);
		return rc;
	}
	if (cli->json)
		r.report = json_array();
	rc = run_all(&r, p);
	if (cli->json && r.failed_alone)
		json_decref(r.report);
	else if (cli->json)
		cli_print_json(json_pack("{s:b,s:s,s:s,s:i,s:o}", "ok", rc == 0, "pipeline", argv[optind],
					 "workdir", p->workdir, "exit", rc, "stages", r.report));
	else if (!rc && !cli->quiet)
		fprintf(stderr, "win2cloud: run: %s: %zu stage(s) %s\n", argv[optind], p->n_stages,
			r.dry_run ? "planned" : "done");
	w2c_pipeline_free(p);
	return rc;
}
