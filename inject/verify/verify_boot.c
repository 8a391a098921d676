/* Boot an image under QEMU (TCG) and capture what the firmware and the boot
 * program print.  QEMU writes its three consoles into pipes we hold (through
 * /proc/self/fd), so nothing touches the disk; it is spawned without a shell
 * and killed at the end. */
#include "verify_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_QEMU "qemu-system-x86_64"
#define DEFAULT_OVMF "/usr/share/ovmf/OVMF.fd"
#define CAP (256u << 10)   /* per console; real firmware logs can be chatty */
#define GRACE 1.0          /* seconds QEMU gets after the expected texts appeared */
#define N_STREAMS 4        /* stderr, serial, debug port 0xE9, firmware port 0x402 */

extern char **environ;

typedef struct stream {
	int fd;                /* our read end, -1 once closed */
	char *buf;
	size_t len;
} stream;

/* "-drive file=" splits options at commas; a comma in the name is doubled. */
static char *drive_arg(const char *iso)
{
	size_t n = 0;
	for (const char *p = iso; *p; p++)
		n += *p == ',' ? 2 : 1;
	char *s = malloc(n + 64), *o;
	if (!s)
		return NULL;
	o = s + sprintf(s, "if=ide,index=2,media=cdrom,format=raw,readonly=on,file=");
	for (const char *p = iso; *p; p++) {
		*o++ = *p;
		if (*p == ',')
			*o++ = ',';
	}
	*o = 0;
	return s;
}

/* A pipe: we read *@s, QEMU gets *@wr as fd 2..5.  Both ends are moved above
 * 10 so that dup2 onto 2..5 never meets one of them (a dup2 onto itself would
 * keep close-on-exec). */
static int make_pipe(stream *s, int *wr)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	s->fd = fcntl(p[0], F_DUPFD_CLOEXEC, 10);
	*wr = fcntl(p[1], F_DUPFD_CLOEXEC, 10);
	close(p[0]);
	close(p[1]);
	if (s->fd >= 0)
		fcntl(s->fd, F_SETFL, O_NONBLOCK);
	return s->fd < 0 || *wr < 0 ? -1 : 0;
}

static w2c_code spawn_qemu(char **argv, stream *st, pid_t *pid, w2c_error *err)
{
	posix_spawn_file_actions_t fa;
	int wr[N_STREAMS] = { -1, -1, -1, -1 }, r = 0;

	for (int i = 0; i < N_STREAMS && !r; i++)
		r = make_pipe(&st[i], &wr[i]);
	if (r) {
		for (int i = 0; i < N_STREAMS; i++)
			if (wr[i] >= 0)
				close(wr[i]);
		return w2c_set_error(err, W2C_ERR_IO, "cannot create pipes for QEMU: %s", strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, wr[0], 2);
	for (int i = 1; i < N_STREAMS; i++)
		posix_spawn_file_actions_adddup2(&fa, wr[i], 2 + i);
	/* Its own process group (timeout and QEMU in it) so one kill ends both and
	 * a terminal's Ctrl-C reaches only us; signals as a fresh process has them. */
	posix_spawnattr_t at;
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGINT), sigaddset(&def, SIGTERM), sigaddset(&def, SIGHUP), sigaddset(&def, SIGPIPE);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	r = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < N_STREAMS; i++)
		close(wr[i]);
	if (r)
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "%s: cannot start: %s", argv[0], strerror(r));
	return W2C_OK;
}

static void drain(stream *s)
{
	char tmp[8192];
	ssize_t n;
	while ((n = read(s->fd, tmp, sizeof tmp)) > 0) {
		size_t take = s->len + (size_t)n > CAP ? CAP - s->len : (size_t)n;
		char *b = take ? realloc(s->buf, s->len + take + 1) : s->buf;
		if (b) { /* NUL bytes would hide what follows from the text searches */
			for (size_t i = 0; i < take; i++)
				if (tmp[i])
					b[s->len++] = tmp[i];
			s->buf = b;
			b[s->len] = 0;
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(s->fd);
		s->fd = -1;
	}
}

static bool has(const stream *s, const char *text)
{
	return s->buf && strstr(s->buf, text);
}

/* The firmware handed control to the El Torito image. */
static bool fw_started(enum w2c_firmware fw, const stream *st)
{
	if (fw == W2C_FW_BIOS)
		return has(&st[3], "Booting from 0") || has(&st[1], "Booting from 0");
	const char *p = st[1].buf;
	while (p && (p = strstr(p, "BdsDxe: starting Boot"))) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		/* the option's name, e.g. "UEFI QEMU DVD-ROM QM00003" (GUIDs hold hex, not these) */
		if (memmem(p, n, "DVD-ROM", 7) || memmem(p, n, "CD-ROM", 6) || memmem(p, n, "CDROM", 5))
			return true;
		p += n;
	}
	return false;
}

/* The firmware gave up on the disc: no point waiting for the timeout. */
static bool fw_gave_up(enum w2c_firmware fw, const stream *st)
{
	return fw == W2C_FW_BIOS ? has(&st[3], "No bootable device")
				 : has(&st[1], "UEFI Interactive Shell") || has(&st[1], "Shell> ");
}

/* "bios:T" and "uefi:T" apply to one firmware, plain "T" to both. */
static bool expectations_met(const w2c_boot_options *o, enum w2c_firmware fw, const stream *st)
{
	for (size_t i = 0; i < o->n_expect; i++) {
		const char *t = o->expect[i];
		if (!strncmp(t, "bios:", 5) || !strncmp(t, "uefi:", 5)) {
			if ((t[0] == 'b') != (fw == W2C_FW_BIOS))
				continue;
			t += 5;
		}
		if (!has(&st[1], t) && !has(&st[2], t))
			return false;
	}
	return true;
}

/* Terminal output minus escape sequences and carriage returns. */
static char *plain_text(const char *s)
{
	char *o = malloc(s ? strlen(s) + 1 : 1), *p = o;
	if (!o)
		return NULL;
	for (; s && *s; s++) {
		if (*s == 0x1b) {
			if (s[1] == '[') {
				for (s += 2; *s && !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')); s++)
					;
			} else if (s[1]) {
				s++;
			}
			if (!*s)
				break;
			continue;
		}
		if (*s == '\n' || *s == '\t' || (unsigned char)*s >= 0x20)
			*p++ = *s;
	}
	*p = 0;
	return o;
}

/* The lines of the firmware's own log that say what it booted. */
static char *boot_lines(const stream *fwlog, const char *console)
{
	size_t cap = 1 + (fwlog->buf ? fwlog->len : 0) + (console ? strlen(console) : 0);
	char *o = calloc(1, cap);
	const char *srcs[2] = { fwlog->buf, console }, *keys[2] = { "Boot", "BdsDxe:" };
	if (!o)
		return NULL;
	for (int k = 0; k < 2; k++) {
		for (const char *p = srcs[k]; p && *p;) {
			const char *eol = strchr(p, '\n');
			size_t n = eol ? (size_t)(eol - p) : strlen(p);
			if (memmem(p, n, keys[k], strlen(keys[k]))) {
				strncat(o, p, n);
				strcat(o, "\n");
			}
			p += n + (eol != NULL);
		}
	}
	return o;
}

/* @qemu runs under coreutils' timeout, so even a verify that is killed itself
 * leaves no QEMU running past @deadline (a string of seconds). */
static char **build_argv(const char *qemu, const char *iso, enum w2c_firmware fw, const char *ovmf,
			 const char *deadline, char **drive)
{
	static const char *const base[] = {
		"-accel", "tcg", "-display", "none", "-monitor", "none", "-no-reboot", "-m", "2048",
		"-net", "none",
		"-chardev", "file,id=w2cser,path=/proc/self/fd/3", "-serial", "chardev:w2cser",
		"-chardev", "file,id=w2cdbg,path=/proc/self/fd/4",
		"-device", "isa-debugcon,iobase=0xe9,chardev=w2cdbg",
		"-chardev", "file,id=w2cfw,path=/proc/self/fd/5",
		"-device", "isa-debugcon,iobase=0x402,chardev=w2cfw",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=4",
	};
	size_t nb = sizeof base / sizeof base[0], k = 0;
	char **argv = calloc(nb + 14, sizeof *argv);

	*drive = drive_arg(iso);
	if (!argv || !*drive) {
		free(argv);
		return NULL;
	}
	argv[k++] = "timeout";
	argv[k++] = "-s";
	argv[k++] = "KILL";
	argv[k++] = (char *)deadline;
	argv[k++] = (char *)qemu;
	for (size_t i = 0; i < nb; i++)
		argv[k++] = (char *)base[i];
	argv[k++] = "-drive";
	argv[k++] = *drive;
	if (fw == W2C_FW_BIOS) {
		/* SeaBIOS mirrors INT 10h text to COM1 when etc/sercon-port holds the
		 * port (little-endian bytes 0xF8 0x03 = 0x3F8). */
		argv[k++] = "-boot";
		argv[k++] = "order=d";
		argv[k++] = "-fw_cfg";
		argv[k++] = "name=etc/sercon-port,string=\xf8\x03";
	} else {
		argv[k++] = "-bios";
		argv[k++] = (char *)ovmf;
	}
	return argv;
}

/* Read the consoles until QEMU ends, the expected texts appear, the firmware
 * gives up, or the timeout; returns nonzero when the caller asked to stop. */
static int watch(const w2c_boot_options *o, enum w2c_firmware fw, stream *st, double timeout,
		 double t0, w2c_boot_run *out)
{
	for (;;) {
		struct pollfd pf[N_STREAMS];
		int open_n = 0;
		for (int i = 0; i < N_STREAMS; i++) {
			pf[i].fd = st[i].fd;
			pf[i].events = POLLIN;
			open_n += st[i].fd >= 0;
		}
		double left = timeout - (w2c_now() - t0);
		if (!open_n)
			return 0;
		if (left <= 0) {
			out->timed_out = !(o->n_expect && expectations_met(o, fw, st));
			return 0;
		}
		if (poll(pf, N_STREAMS, left > 0.25 ? 250 : (int)(left * 1000) + 1) < 0 && errno != EINTR)
			return 0;
		for (int i = 0; i < N_STREAMS; i++)
			if (st[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				drain(&st[i]);
		if (fw_gave_up(fw, st)) {
			out->gave_up = true;
			return 0;
		}
		/* Seen everything: a moment more for the consoles and a clean exit. */
		if (o->n_expect && expectations_met(o, fw, st) && timeout - (w2c_now() - t0) > GRACE)
			timeout = w2c_now() - t0 + GRACE;
		if (w2c_progress_report(o->progress, "boot", fw == W2C_FW_BIOS ? "bios" : "uefi",
					(uint64_t)((w2c_now() - t0) * 1000), (uint64_t)(timeout * 1000)))
			return 1;
	}
}

/* Reap QEMU: give one that closed its consoles a moment to exit, kill the rest. */
static void finish(pid_t pid, bool exiting, w2c_boot_run *out)
{
	int status = 0;
	pid_t r = 0;
	for (double t0 = w2c_now(); exiting && !r && w2c_now() - t0 < 2;) {
		r = waitpid(pid, &status, WNOHANG);
		if (!r)
			usleep(10000);
	}
	if (r == 0) {
		kill(-pid, SIGKILL); /* timeout and QEMU */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	out->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* QEMU refused its command line (bad image path, missing device, ...). */
static const char *qemu_error(const stream *err)
{
	for (const char *p = err->buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		if (!strncmp(p, "qemu-system", 11) && !memmem(p, strcspn(p, "\n"), "warning", 7))
			return p;
	}
	return NULL;
}

w2c_code w2c_boot_iso(const char *iso, enum w2c_firmware fw, const w2c_boot_options *opts,
		      w2c_boot_run *out, w2c_error *err)
{
	static const w2c_boot_options defaults = { 0 };
	const w2c_boot_options *o = opts ? opts : &defaults;
	const char *qemu = o->qemu ? o->qemu : DEFAULT_QEMU, *ovmf = o->ovmf ? o->ovmf : DEFAULT_OVMF;
	double timeout = o->timeout > 0 ? o->timeout : 60, t0 = w2c_now();
	stream st[N_STREAMS] = { { -1, NULL, 0 }, { -1, NULL, 0 }, { -1, NULL, 0 }, { -1, NULL, 0 } };
	char *drive = NULL, **argv;
	pid_t pid;
	w2c_code rc;

	memset(out, 0, sizeof *out);
	out->firmware = fw;
	if (fw == W2C_FW_UEFI && access(ovmf, R_OK) < 0)
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "%s: cannot read the UEFI firmware: %s "
				     "(Debian package ovmf)", ovmf, strerror(errno));
	if (access(iso, R_OK) < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO, "%s: %s", iso,
				     strerror(errno));
	if (!w2c_on_path(qemu))
		return w2c_set_error(err, W2C_ERR_EXTERNAL, "%s: not found (Debian package "
				     "qemu-system-x86)", qemu);
	char deadline[32];
	snprintf(deadline, sizeof deadline, "%.0f", timeout + 30);
	if (!(argv = build_argv(qemu, iso, fw, ovmf, deadline, &drive))) {
		free(drive);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	rc = spawn_qemu(argv, st, &pid, err);
	free(argv);
	free(drive);
	if (rc) {
		for (int i = 0; i < N_STREAMS; i++)
			if (st[i].fd >= 0)
				close(st[i].fd);
		return rc;
	}
	w2c_log(o->log, W2C_LOG_INFO, "booting %s with %s under QEMU (timeout %.0f s)", iso,
		fw == W2C_FW_BIOS ? "SeaBIOS" : ovmf, timeout);
	int stop = watch(o, fw, st, timeout, t0, out);
	bool exiting = true;
	for (int i = 0; i < N_STREAMS; i++)
		exiting &= st[i].fd < 0;
	finish(pid, exiting, out);
	for (int i = 0; i < N_STREAMS; i++)
		if (st[i].fd >= 0)
			drain(&st[i]); /* what QEMU wrote before it ended */
	out->seconds = w2c_now() - t0;
	out->started = fw_started(fw, st);
	out->expect_seen = expectations_met(o, fw, st);
	out->console = plain_text(st[1].buf);
	out->debug = plain_text(st[2].buf);
	out->firmware_log = boot_lines(&st[3], out->console);
	const char *qerr = out->started ? NULL : qemu_error(&st[0]);
	if (stop)
		rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "boot of %s interrupted", iso);
	else if (qerr)
		rc = w2c_set_error(err, W2C_ERR_EXTERNAL, "%.*s", (int)strcspn(qerr, "\n"), qerr);
	else if (!out->console || !out->debug || !out->firmware_log)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (int i = 0; i < N_STREAMS; i++) {
		if (st[i].fd >= 0)
			close(st[i].fd);
		free(st[i].buf);
	}
	if (rc)
		w2c_boot_run_clear(out);
	return rc;
}

void w2c_boot_run_clear(w2c_boot_run *r)
{
	free(r->console);
	free(r->debug);
	free(r->firmware_log);
	r->console = r->debug = r->firmware_log = NULL;
}
