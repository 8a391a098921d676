/*
 * Starting the libguestfs appliance without hanging: a KVM probe (so the
 * notice can say how long the start takes), a watchdog thread that kills
 * the appliance's QEMU on a launch timeout or when the caller asks to stop
 * (guestfs_launch() blocks and never polls), and one retry under TCG when
 * KVM does not come up (QEMU under KVM can hang after "Booting from ROM").
 */
#include "check_appliance.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool w2c_appliance_kvm_usable(char *why, size_t cap)
{
	const char *s = getenv("LIBGUESTFS_BACKEND_SETTINGS");
	if (s && strstr(s, "force_tcg")) {
		snprintf(why, cap, "LIBGUESTFS_BACKEND_SETTINGS=force_tcg");
		return false;
	}
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, cap, "/dev/kvm: %s", strerror(errno));
		return false;
	}
	close(fd);
	snprintf(why, cap, "/dev/kvm usable");
	return true;
}

double w2c_appliance_timeout(bool kvm)
{
	const char *e = getenv("W2C_DEEP_LAUNCH_TIMEOUT");
	char *end;
	double t = e ? strtod(e, &end) : 0;
	if (e && *e && !*end && t > 0)
		return t;
	return kvm ? 120 : 600; /* TCG on 2 shared cores takes 30-90 s; leave room */
}

/* Our children named qemu*: the appliance (direct backend), killed outright. */
static unsigned kill_qemu_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned n = 0;
	pid_t me = getpid();

	while (d && (e = readdir(d))) {
		char path[64], buf[512];
		long pid = strtol(e->d_name, NULL, 10);
		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%ld/stat", pid);
		FILE *f = fopen(path, "r");
		size_t len = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		if (f)
			fclose(f);
		buf[len] = 0;
		/* "PID (COMM) STATE PPID ...": COMM may hold spaces, so parse from the last ')' */
		char *open = strchr(buf, '('), *close = strrchr(buf, ')');
		long ppid = 0;
		if (!open || !close || sscanf(close + 1, " %*c %ld", &ppid) != 1 || ppid != me)
			continue;
		if (!strncmp(open + 1, "qemu", 4) && kill((pid_t)pid, SIGKILL) == 0)
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void *watch_main(void *arg)
{
	w2c_appliance_watch *w = arg;
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L)
			ts.tv_sec++, ts.tv_nsec -= 1000000000L;
		pthread_cond_timedwait(&w->cv, &w->mu, &ts);
		if (w->stop)
			break;
		double now = w2c_now(), el = now - w->t0;
		bool stop_now = w2c_progress_report(w->progress, "appliance", "seconds",
						    (uint64_t)el, (uint64_t)w->timeout) != 0;
		if (stop_now)
			w->interrupted = true;
		else if (w->deadline && now > w->deadline)
			w->timed_out = true;
		/* on every tick: QEMU may start only after supermin has built the
		 * appliance, later than the deadline or the interrupt */
		if (w->interrupted || w->timed_out)
			kill_qemu_children();
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

bool w2c_appliance_watch_start(w2c_appliance_watch *w, const w2c_progress *progress, double timeout)
{
	memset(w, 0, sizeof *w);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->progress = progress;
	w->timeout = timeout;
	w->t0 = w2c_now();
	w->deadline = w->t0 + timeout;
	w->running = pthread_create(&w->th, NULL, watch_main, w) == 0;
	return w->running;
}

void w2c_appliance_watch_launched(w2c_appliance_watch *w)
{
	pthread_mutex_lock(&w->mu);
	if (!w->timed_out)
		w->deadline = 0; /* inspection has no deadline; an interrupt still stops it */
	pthread_mutex_unlock(&w->mu);
}

void w2c_appliance_watch_stop(w2c_appliance_watch *w)
{
	if (w->running) {
		pthread_mutex_lock(&w->mu);
		w->stop = true;
		pthread_cond_signal(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->th, NULL);
	}
	w->running = false;
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
}

void w2c_appliance_watch_state(w2c_appliance_watch *w, bool *timed_out, bool *interrupted)
{
	pthread_mutex_lock(&w->mu);
	*timed_out = w->timed_out;
	*interrupted = w->interrupted;
	pthread_mutex_unlock(&w->mu);
}
