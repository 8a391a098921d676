/* Watching the guest: power-off is success; a timeout, a reset loop, a crash or
 * QEMU's end without a power-off is failure, and then the evidence is kept. */
#include "inject/install/install_int.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Resets closer together than this, three in a row, are a loop (a boot that
 * crashes at once), not Setup's reboots, which are minutes apart. */
#define RESET_LOOP_SECONDS 30.0
#define POLL_MS 250

void ins_emit(ins_run *run, const char *kind, const char *message)
{
	w2c_install_event ev = {
		.kind = kind,
		.elapsed = run->t0 > 0 ? w2c_now() - run->t0 : 0,
		.disk_bytes = run->res->disk_bytes,
		.console = run->res->last_console[0] ? run->res->last_console : NULL,
		.message = message,
		.qemu_pid = (long)run->qemu,
	};
	if (run->o->event)
		run->o->event(run->o->event_user, &ev);
}

void ins_on_event(ins_run *run, const char *name, json_t *data)
{
	bool guest = json_is_true(json_object_get(data, "guest"));
	if (!strcmp(name, "SHUTDOWN") && guest) {
		run->powered_off = true;
	} else if (!strcmp(name, "RESET") && guest) {
		char msg[64];
		run->res->resets++;
		memmove(run->reset_times + 1, run->reset_times, 2 * sizeof run->reset_times[0]);
		run->reset_times[0] = w2c_now();
		snprintf(msg, sizeof msg, "guest reset %u", run->res->resets);
		ins_emit(run, "reset", msg);
	} else if (!strcmp(name, "GUEST_PANICKED")) {
		run->panicked = true;
	}
}

/* Follow the console log: the last complete, printable line. */
static void read_console(ins_run *run)
{
	char buf[4096], *line = run->console_part, *last = run->res->last_console;
	ssize_t n;
	while (run->console_rd >= 0 && (n = read(run->console_rd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)buf[i];
			size_t l = strlen(line);
			if (run->console_esc) {
				run->console_esc = !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
			} else if (c == 0x1b) {
				run->console_esc = true;
			} else if (c == '\n' || c == '\r') {
				if (l)
					snprintf(last, sizeof run->res->last_console, "%s", line);
				line[0] = 0;
			} else if (c >= 0x20 && c != 0x7f && l + 1 < sizeof run->console_part) {
				line[l] = (char)c;
				line[l + 1] = 0;
			}
		}
	}
}

static void update_disk_bytes(ins_run *run)
{
	json_t *ret = NULL;
	if (ins_qmp_call(run, "query-blockstats", NULL, 10, &ret, NULL))
		return;
	size_t i;
	json_t *dev;
	json_array_foreach(ret, i, dev) {
		const char *id = json_string_value(json_object_get(dev, "device"));
		const char *node = json_string_value(json_object_get(dev, "qdev"));
		if ((id && !strcmp(id, "sys")) || (node && strstr(node, "sys")))
			run->res->disk_bytes = (uint64_t)json_integer_value(
				json_object_get(json_object_get(dev, "stats"), "wr_bytes"));
	}
	json_decref(ret);
}

/* Screenshot through QMP into an atomic output QEMU writes via /proc. */
static void keep_screenshot(ins_run *run)
{
	static const char *const fmts[][2] = { { "png", ".screen.png" }, { "ppm", ".screen.ppm" } };
	for (size_t i = 0; i < 2 && !run->res->screenshot[0]; i++) {
		char *path = ins_evidence_path(run->o, fmts[i][1]), *via = NULL;
		w2c_outfile of;
		w2c_error e;
		struct stat st;
		if (path && !w2c_outfile_open(&of, path, 0644, &e)) {
			via = ins_fd_path(of.fd);
			if (via && !ins_qmp_call(run, "screendump", json_pack("{s:s,s:s}", "filename", via,
					"format", fmts[i][0]), 30, NULL, &e) &&
			    !fstat(of.fd, &st) && st.st_size > 0 && !w2c_outfile_commit(&of, &e))
				snprintf(run->res->screenshot, sizeof run->res->screenshot, "%s", path);
			else
				w2c_outfile_abort(&of);
		}
		free(via);
		free(path);
	}
}

static void keep_evidence(ins_run *run)
{
	w2c_error e;
	if (run->qmp >= 0)
		keep_screenshot(run);
	if (run->console_open) {
		char *path = w2c_strdup(run->console.path);
		run->console_open = false;
		if (path && !w2c_outfile_commit(&run->console, &e))
			snprintf(run->res->console_log, sizeof run->res->console_log, "%s", path);
		free(path);
	}
}

/* Ask QEMU to quit, then make sure it is gone. */
static void stop_qemu(ins_run *run)
{
	int status;
	if (!run->qemu)
		return;
	if (run->qmp >= 0)
		ins_qmp_call(run, "quit", NULL, 5, NULL, NULL);
	if (ins_wait(run->o, run->qemu, 5, &status) != 1)
		ins_kill(run->qemu);
	run->qemu = 0;
}

static w2c_code fail(ins_run *run, w2c_error *err, const char *why)
{
	char evid[1024] = "";
	keep_evidence(run);
	stop_qemu(run);
	if (run->res->screenshot[0] || run->res->console_log[0])
		snprintf(evid, sizeof evid, "; evidence kept: screenshot %s, console log %s",
			 run->res->screenshot[0] ? run->res->screenshot : "(none)",
			 run->res->console_log[0] ? run->res->console_log : "(none)");
	return w2c_set_error(err, W2C_ERR_EXTERNAL, "%s: install failed: %s%s", run->o->iso, why, evid);
}

/* QEMU is gone: success only when the guest powered off first. */
static w2c_code qemu_ended(ins_run *run, int status, w2c_error *err)
{
	char msg[600], why[512];
	run->qemu = 0;
	if (run->powered_off && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return W2C_OK;
	ins_qemu_stderr(run, why, sizeof why);
	snprintf(msg, sizeof msg, "QEMU ended (%s %d) without a guest power-off%s%s",
		 WIFEXITED(status) ? "exit status" : "signal",
		 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), *why ? ": " : "", why);
	return fail(run, err, msg);
}

static bool reset_loop(const ins_run *run)
{
	return run->reset_times[2] > 0 && run->reset_times[0] - run->reset_times[2] < RESET_LOOP_SECONDS;
}

w2c_code ins_watch(ins_run *run, w2c_error *err)
{
	const w2c_install_options *o = run->o;
	double last_tick = 0;
	char msg[256];
	int status;

	for (;;) {
		bool open = ins_qmp_pump(run, POLL_MS);
		read_console(run);
		if (run->powered_off || !open) {
			int w = ins_wait(o, run->qemu, run->powered_off ? 60 : 10, &status);
			if (w == 1)
				return qemu_ended(run, status, err);
			if (w < 0)
				break;
			return fail(run, err, "QEMU closed its monitor but did not exit");
		}
		if (waitpid(run->qemu, &status, WNOHANG) == run->qemu)
			return qemu_ended(run, status, err);
		if (run->panicked)
			return fail(run, err, "the guest crashed (pvpanic: a bug check / blue screen)");
		if (run->res->resets > o->max_resets || reset_loop(run)) {
			snprintf(msg, sizeof msg, "the guest reset %u times%s (a reset loop: Setup "
				 "restarts or the installed system cannot boot)", run->res->resets,
				 reset_loop(run) ? ", three within 30 s" : "");
			return fail(run, err, msg);
		}
		double now = w2c_now();
		if (now - run->t0 > o->timeout) {
			snprintf(msg, sizeof msg, "the guest did not power off within --timeout %us "
				 "(the answer file's last step must shut the machine down)", o->timeout);
			return fail(run, err, msg);
		}
		if (now - last_tick >= 1.0) {
			last_tick = now;
			update_disk_bytes(run);
			if (w2c_progress_report(o->progress, "install", run->res->last_console,
						run->res->disk_bytes, 0))
				break;
			ins_emit(run, "progress", NULL);
		}
	}
	/* interrupted: no evidence is asked for, nothing is kept */
	ins_kill(run->qemu);
	run->qemu = 0;
	return w2c_set_error(err, W2C_ERR_INTERRUPTED, "%s: install interrupted; QEMU stopped, "
			     "nothing written (Setup cannot resume: run again)", o->iso);
}
