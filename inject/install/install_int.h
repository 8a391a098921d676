/* Internal parts of the install stage: preflight, QEMU, QMP, the watcher, the disk. */
#ifndef W2C_INJECT_INSTALL_INT_H
#define W2C_INJECT_INSTALL_INT_H

#include "win2cloud/install.h"
#include "common/util.h"

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/* One install in progress; every resource it holds is released by ins_run_free(). */
typedef struct ins_run {
	const w2c_install_options *o;
	w2c_install_result *res;
	bool kvm;
	enum w2c_install_bus bus;
	int disk_fd;            /* the work disk: an unnamed qcow2 in the output's directory */
	w2c_outfile console;    /* serial console log, named only when kept as evidence */
	bool console_open;
	int console_rd;         /* read side of the console log, for the progress line */
	char console_part[256]; /* console line still being written */
	pid_t qemu;             /* QEMU process (and process group), 0 when gone */
	int qmp;                /* our end of the QMP socket pair */
	char qmp_buf[65536];
	size_t qmp_len;
	int qemu_err;           /* QEMU's stderr (unnamed file), for error messages */
	bool powered_off;       /* the guest shut itself down */
	bool panicked;          /* pvpanic: the guest crashed (a Windows bug check) */
	bool console_esc;       /* inside an escape sequence of the console */
	double reset_times[3];  /* the last three guest resets, newest first */
	double t0;
} ins_run;

/* ---- preflight (install_preflight.c) ---- */
/* Add one problem to the result; returns false when the list is full. */
void ins_problem(w2c_install_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Every check that runs before QEMU: options, medium, answer file, drivers.  Fills
 * run->bus; problems go to the result; returns W2C_OK (problems are not errors)
 * unless the ISO cannot be read at all. */
w2c_code ins_preflight(ins_run *run, w2c_error *err);

/* ---- processes (install_qemu.c) ---- */
/* Is /dev/kvm usable?  Probed in a child with a time limit; *why explains a no. */
bool ins_kvm_usable(char *why, size_t whylen);
/* "/proc/<our pid>/fd/<fd>": how QEMU and qemu-img reach our unnamed files. */
char *ins_fd_path(int fd);
/* Fork and exec @argv in its own process group, killed when we die; @keep_fd
 * (or -1) becomes fd 3 of the child, stderr goes to @err_fd (or /dev/null). */
w2c_code ins_spawn(char *const *argv, int keep_fd, int err_fd, pid_t *pid, w2c_error *err);
/* SIGKILL the process group of @pid and reap it. */
void ins_kill(pid_t pid);
/* Wait for @pid up to @seconds polling @o's progress; 1 = exited (*status),
 * 0 = still running at the limit, -1 = the caller asked to stop. */
int ins_wait(const w2c_install_options *o, pid_t pid, double seconds, int *status);
/* Start QEMU for @run (the work disk, the ISO, QMP on a socket pair). */
w2c_code ins_qemu_start(ins_run *run, w2c_error *err);
/* Last line of QEMU's stderr, for error messages ("" when none). */
void ins_qemu_stderr(ins_run *run, char *buf, size_t len);

/* ---- QMP (install_qmp.c) ---- */
/* Read the greeting and enter command mode. */
w2c_code ins_qmp_handshake(ins_run *run, w2c_error *err);
/* Send @cmd (with @args, stolen, may be NULL) and wait up to @seconds for its
 * return; events read meanwhile are handled.  *@ret (may be NULL) receives
 * the "return" value (caller decrefs). */
w2c_code ins_qmp_call(ins_run *run, const char *cmd, json_t *args, double seconds, json_t **ret,
		      w2c_error *err);
/* Read whatever QMP has sent within @ms milliseconds and handle its events.
 * Returns false when the socket closed (QEMU is gone). */
bool ins_qmp_pump(ins_run *run, int ms);
/* Called for each event (install_watch.c). */
void ins_on_event(ins_run *run, const char *name, json_t *data);

/* ---- watching (install_watch.c) ---- */
/* Until the guest powers off (W2C_OK), or a timeout, reset loop, QEMU error or
 * interrupt; on failure the evidence is kept and QEMU stopped. */
w2c_code ins_watch(ins_run *run, w2c_error *err);
void ins_emit(ins_run *run, const char *kind, const char *message);

/* ---- the disk (install_disk.c) ---- */
/* Create the unnamed work disk of o->size next to the output. */
w2c_code ins_disk_create(ins_run *run, w2c_error *err);
/* Convert the work disk into o->output (atomic) and write its .sha256. */
w2c_code ins_disk_convert(ins_run *run, w2c_error *err);
/* An unnamed read-write file in @dir (O_TMPFILE, else created and unlinked), or -1. */
int ins_unnamed_file(const char *dir);
/* Evidence path "<dir>/<output base><suffix>"; caller frees. */
char *ins_evidence_path(const w2c_install_options *o, const char *suffix);

#endif
