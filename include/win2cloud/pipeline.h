/*
 * win2cloud/pipeline.h - the stages as one pipeline (`win2cloud run`).
 *
 * A pipeline file (YAML) names a source ISO, a work directory and an ordered
 * list of stages; each stage is a win2cloud subcommand with its long options
 * as keys.  The library parses the file, turns each stage into the argument
 * vector of its subcommand (wiring one stage's output into the next one's
 * input), and keeps a state file so that a re-run skips every stage whose
 * arguments and input/output files are unchanged.  Running the subcommands is
 * the caller's part (the CLI spawns itself once per stage).
 *
 *     source: win.iso
 *     workdir: out
 *     stages:
 *       - inject: { drivers: [virtio-win.iso], unattend: generate }
 *       - install: { size: 60G }        # the system disk becomes the current file
 *       - check: { profile: otc }
 *       - upload: { to: "obs://bucket/win.iso", region: eu-de }
 *       - register: { cloud: otc, name: win2019, os-version: "...", wait: true }
 *       - onboard: { cloud: otc, name: win2019-base, flavor: s3.large.2, vpc: ..., subnet: ..., wait: true }
 *
 * onboard boots the ISO image of the register stage before it (its name, unless
 * iso-image is given) and keeps its run state in WORKDIR/onboard.
 *
 * Relative paths in the file are relative to the file's directory.
 */
#ifndef WIN2CLOUD_PIPELINE_H
#define WIN2CLOUD_PIPELINE_H

#include "win2cloud.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One option of a stage: `--key` alone (flag) or `--key value` once per value. */
typedef struct w2c_pipeline_opt {
	char *key;
	char **values;      /**< n_values strings; none for a flag */
	size_t n_values;
	bool flag;          /**< `true` in the file */
	unsigned line;      /**< 1-based line in the file */
} w2c_pipeline_opt;

/** One stage: a subcommand and its options, in file order. */
typedef struct w2c_pipeline_stage {
	char *verb;
	unsigned line;
	w2c_pipeline_opt *opts;
	size_t n_opts;
} w2c_pipeline_stage;

typedef struct w2c_pipeline {
	char *name;         /**< file name, for messages */
	char *source;       /**< the stock ISO */
	char *workdir;      /**< outputs and the state file (default "win2cloud-out") */
	w2c_pipeline_stage *stages;
	size_t n_stages;
} w2c_pipeline;

/**
 * Parse pipeline YAML (@len bytes); @name is used in messages ("FILE:LINE:
 * stages[2].upload.to: expected ...").  Refuses unknown top-level keys,
 * unknown verbs, option names that are not long-option words, nested values,
 * and inline secrets (keys such as `secret` or `password`: those come from the
 * environment or a 0600 file, as everywhere in win2cloud).
 */
W2C_API w2c_code w2c_pipeline_parse(const char *yaml, size_t len, const char *name, w2c_pipeline **out,
			    w2c_error *err);
/** Read and parse the file at @path. */
W2C_API w2c_code w2c_pipeline_load(const char *path, w2c_pipeline **out, w2c_error *err);
W2C_API void w2c_pipeline_free(w2c_pipeline *p);
/**
 * Make @p->workdir absolute against the current directory (stages and file://
 * URLs need absolute paths, and logs are unambiguous), create it when @create
 * (not in a dry run), and then canonicalize it (resolving "../" needs it to
 * exist).  W2C_ERR_IO when the current directory or the folder cannot be had.
 */
W2C_API w2c_code w2c_pipeline_workdir_resolve(w2c_pipeline *p, bool create, w2c_error *err);
/** The stage verbs a pipeline accepts, NULL-terminated. */
W2C_API const char *const *w2c_pipeline_verbs(void);

/** What flows from stage to stage while planning. */
typedef struct w2c_pipeline_cursor {
	char *current;      /**< the image the next stage works on (starts as the source) */
	char *url;          /**< where the last upload put it, or NULL */
	bool disk;          /**< the current file is a disk image (after install), not an ISO */
} w2c_pipeline_cursor;

/** A stage turned into a command line. */
typedef struct w2c_pipeline_step {
	/** verb first, then options ("--key=value", "--flag"), then "--" and the
	 * positional arguments; NULL-terminated; paths relative to the file's dir */
	char **argv;
	size_t argc;
	size_t n_options;   /**< argv[0..n_options) are the verb and its options */
	char *output;       /**< file this stage writes, or NULL */
} w2c_pipeline_step;

/**
 * Build the command line of stage @i from the cursor and advance the cursor
 * (build/inject/install make their output the current image, install's a
 * disk that register then registers with --disk; upload records its URL).
 * `${source}`, `${current}`, `${workdir}` and `${url}` in option values are
 * expanded.  Start with a zeroed cursor; free it with w2c_pipeline_cursor_clear().
 */
W2C_API w2c_code w2c_pipeline_step_make(const w2c_pipeline *p, size_t i, w2c_pipeline_cursor *cur,
				w2c_pipeline_step *step, w2c_error *err);
W2C_API void w2c_pipeline_step_clear(w2c_pipeline_step *step);
/**
 * The command line that validates @step's options without running it: its
 * argv with "--help" after the last option, so the subcommand's own parser
 * (the one the real run uses) refuses an unknown option or a bad value
 * (exit 2) before it reaches --help, and prints its help (exit 0) when all
 * are accepted.  `run --dry-run` runs this for every stage.  The strings are
 * @step's; free only the array.
 */
W2C_API char **w2c_pipeline_step_check_argv(const w2c_pipeline_step *step);
W2C_API void w2c_pipeline_cursor_clear(w2c_pipeline_cursor *cur);

/* ---- state: what ran, so a re-run skips it ---- */

typedef struct w2c_pipeline_state w2c_pipeline_state;

/** Load "<workdir>/.win2cloud-run.json" (an empty state when absent). */
W2C_API w2c_code w2c_pipeline_state_load(const char *workdir, w2c_pipeline_state **out, w2c_error *err);
W2C_API void w2c_pipeline_state_free(w2c_pipeline_state *st);
/**
 * True when stage @i ran to success with the same command line, and every
 * file it read or wrote (each argument naming an existing file, and its
 * output) still has the recorded size and modification time.
 */
W2C_API bool w2c_pipeline_state_done(const w2c_pipeline_state *st, size_t i, const w2c_pipeline_step *step);
/** Record stage @i as done now (fingerprints taken now) and save atomically. */
W2C_API w2c_code w2c_pipeline_state_record(w2c_pipeline_state *st, size_t i, const w2c_pipeline_step *step,
				   w2c_error *err);
/** Forget stage @i and every later one (they ran on inputs that may change) and save. */
W2C_API w2c_code w2c_pipeline_state_forget_from(w2c_pipeline_state *st, size_t i, w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
