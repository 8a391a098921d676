/* QEMU and qemu-img as children that cannot outlive us, and the KVM probe. */
#include "inject/install/install_int.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KVM_PROBE_SECONDS 5.0

char *ins_fd_path(int fd)
{
	return w2c_asprintf("/proc/%ld/fd/%d", (long)getpid(), fd);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The probe child: 0 usable, 1 no /dev/kvm access, 2 wrong API, 3 no VM. */
static int kvm_probe_child(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 1;
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return 2;
	int vm = ioctl(fd, KVM_CREATE_VM, 0);
	return vm < 0 ? 3 : 0;
}

/* Nested setups (kvm-pvm) offer /dev/kvm without hardware virtualisation;
 * SeaBIOS runs there but Windows and Linux guests hang, so KVM needs vmx/svm. */
static bool cpu_has_virt(void)
{
	char *info = NULL;
	size_t len = 0;
	bool yes = false;
	if (w2c_read_file("/proc/cpuinfo", 16u << 20, &info, &len, NULL) == W2C_OK)
		yes = strstr(info, " vmx") || strstr(info, " svm");
	free(info);
	return yes;
}

bool ins_kvm_usable(char *why, size_t whylen)
{
	static const char *const reasons[] = {
		"", "/dev/kvm cannot be opened read-write (missing, or not in group kvm)",
		"/dev/kvm speaks another KVM API version", "/dev/kvm refuses to create a VM",
	};
	int status = 0;
	double t0 = w2c_now();
	pid_t pid;

	if (!cpu_has_virt()) {
		snprintf(why, whylen, "the CPU has no vmx/svm flag (nested or paravirtual KVM does not run Windows)");
		return false;
	}
	pid = fork();
	if (pid == 0)
		_exit(kvm_probe_child());
	if (pid < 0) {
		snprintf(why, whylen, "cannot fork the KVM probe: %s", strerror(errno));
		return false;
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (w2c_now() - t0 > KVM_PROBE_SECONDS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(why, whylen, "/dev/kvm did not answer within %.0f s", KVM_PROBE_SECONDS);
			return false;
		}
		sleep_ms(20);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) < 4) {
		snprintf(why, whylen, "%s", reasons[WEXITSTATUS(status)]);
		return WEXITSTATUS(status) == 0;
	}
	snprintf(why, whylen, "the KVM probe crashed");
	return false;
}

static void child_exec(char *const *argv, int keep_fd, int err_fd, pid_t parent)
{
	int null = open("/dev/null", O_RDWR);
	/* Its own group: a terminal's ^C reaches us, not QEMU, and we stop it cleanly.
	 * The death signal covers SIGKILL of win2cloud, where no cleanup code runs. */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	dup2(null, 0);
	dup2(null, 1);
	dup2(err_fd >= 0 ? err_fd : null, 2);
	if (keep_fd >= 0)
		dup2(keep_fd, 3);
	for (int fd = keep_fd >= 0 ? 4 : 3; fd < 1024; fd++)
		close(fd);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

w2c_code ins_spawn(char *const *argv, int keep_fd, int err_fd, pid_t *pid, w2c_error *err)
{
	pid_t parent = getpid();
	pid_t p = fork();
	if (p < 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: cannot fork: %s", argv[0], strerror(errno));
	if (p == 0)
		child_exec(argv, keep_fd, err_fd, parent);
	/* Also here, so a kill before the child ran setpgid still finds the group. */
	setpgid(p, p);
	*pid = p;
	return W2C_OK;
}

void ins_kill(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int ins_wait(const w2c_install_options *o, pid_t pid, double seconds, int *status)
{
	double t0 = w2c_now();
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno == ECHILD))
			return 1;
		if (w2c_progress_report(o->progress, "install", NULL, 0, 0))
			return -1;
		if (w2c_now() - t0 >= seconds)
			return 0;
		sleep_ms(50);
	}
}

void ins_qemu_stderr(ins_run *run, char *buf, size_t len)
{
	char tmp[4096];
	ssize_t n = run->qemu_err >= 0 ? pread(run->qemu_err, tmp, sizeof tmp - 1, 0) : -1;
	buf[0] = 0;
	if (n <= 0)
		return;
	tmp[n] = 0;
	while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\r'))
		tmp[--n] = 0;
	char *last = strrchr(tmp, '\n');
	snprintf(buf, len, "%s", last ? last + 1 : tmp);
}

/* The command line, one allocated string per argument. */
struct argv_list {
	char *v[64];
	size_t n;
	bool oom;
};

static void arg(struct argv_list *a, char *s)
{
	if (!s || a->n + 1 >= sizeof a->v / sizeof a->v[0]) {
		a->oom = true;
		free(s);
		return;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

static void args2(struct argv_list *a, const char *opt, char *val)
{
	arg(a, w2c_strdup(opt));
	arg(a, val);
}

/* Disk first in the boot order: empty, SeaBIOS skips it and boots the CD; once Setup
 * has written its boot code, every reboot boots the disk (no second install). */
static void disk_args(ins_run *run, struct argv_list *a, const char *disk, const char *iso)
{
	const char *drive = "file=%s,if=none,id=sys,format=qcow2,cache=unsafe,discard=unmap";
	args2(a, "-drive", w2c_asprintf(drive, disk));
	if (run->bus == W2C_BUS_VIRTIO_SCSI) {
		args2(a, "-device", w2c_strdup("virtio-scsi-pci,id=scsi0"));
		args2(a, "-device", w2c_strdup("scsi-hd,drive=sys,bus=scsi0.0,bootindex=1"));
	} else {
		args2(a, "-device", w2c_strdup("virtio-blk-pci,drive=sys,bootindex=1"));
	}
	args2(a, "-drive", w2c_asprintf("file=%s,if=none,id=cd,media=cdrom,readonly=on,format=raw", iso));
	args2(a, "-device", w2c_strdup("ide-cd,drive=cd,bus=ide.1,bootindex=2"));
}

static void build_argv(ins_run *run, struct argv_list *a, const char *disk, const char *console)
{
	const w2c_install_options *o = run->o;
	arg(a, w2c_strdup(o->qemu ? o->qemu : "qemu-system-x86_64"));
	/* pc (i440fx) boots SeaBIOS, the firmware of the cloud's BIOS images. */
	args2(a, "-machine", w2c_strdup("pc"));
	args2(a, "-accel", w2c_strdup(run->kvm ? "kvm" : "tcg"));
	/* TCG's default qemu64 lacks what Windows 10+ requires (POPCNT, SSE4.2...). */
	args2(a, "-cpu", w2c_strdup(run->kvm ? "host" : "max"));
	args2(a, "-m", w2c_asprintf("%lluM", (unsigned long long)(o->memory >> 20)));
	args2(a, "-smp", w2c_asprintf("%u", o->cpus));
	arg(a, w2c_strdup("-nodefaults"));
	args2(a, "-display", w2c_strdup("none"));
	args2(a, "-vga", w2c_strdup("std"));
	args2(a, "-rtc", w2c_strdup("base=utc"));
	args2(a, "-boot", w2c_strdup("menu=off,strict=off"));
	disk_args(run, a, disk, o->iso);
	/* User-mode network: the guest gets DHCP and reaches out; nothing listens on the host. */
	args2(a, "-netdev", w2c_strdup("user,id=net0"));
	args2(a, "-device", w2c_strdup("virtio-net-pci,netdev=net0"));
	args2(a, "-chardev", w2c_asprintf("file,id=con,path=%s", console));
	args2(a, "-serial", w2c_strdup("chardev:con"));
	args2(a, "-chardev", w2c_strdup("socket,id=qmp,fd=3"));
	args2(a, "-mon", w2c_strdup("chardev=qmp,mode=control"));
	args2(a, "-device", w2c_strdup("pvpanic"));
}

w2c_code ins_qemu_start(ins_run *run, w2c_error *err)
{
	struct argv_list a = { .n = 0 };
	int sp[2];
	char *disk = ins_fd_path(run->disk_fd), *con = ins_fd_path(run->console.fd);
	w2c_code rc = W2C_OK;

	const char *tmp = getenv("TMPDIR");
	run->qemu_err = ins_unnamed_file(tmp && *tmp ? tmp : "/tmp");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		free(disk);
		free(con);
		return w2c_set_error(err, W2C_ERR_IO, "QMP socket pair: %s", strerror(errno));
	}
	if (disk && con)
		build_argv(run, &a, disk, con);
	if (!disk || !con || a.oom)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	else
		rc = ins_spawn(a.v, sp[1], run->qemu_err, &run->qemu, err);
	if (!rc) {
		w2c_log(run->o->log, W2C_LOG_INFO, "install: started %s (pid %ld, %s, %s)", a.v[0],
			(long)run->qemu, run->kvm ? "kvm" : "tcg", run->res->bus);
		run->qmp = sp[0];
		run->t0 = w2c_now();
	} else {
		close(sp[0]);
	}
	close(sp[1]);
	for (size_t i = 0; i < a.n; i++)
		free(a.v[i]);
	free(disk);
	free(con);
	return rc;
}
