/* The libguestfs appliance's start: KVM probe, launch timeout, interrupt. */
#ifndef W2C_REGISTER_CHECK_APPLIANCE_H
#define W2C_REGISTER_CHECK_APPLIANCE_H

#include "win2cloud.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether QEMU can use KVM here (/dev/kvm opens read-write and TCG is not
 * forced); @why says which, for the notice. */
bool w2c_appliance_kvm_usable(char *why, size_t cap);
/* Launch timeout in seconds: $W2C_DEEP_LAUNCH_TIMEOUT, else 120 (KVM) or 600 (TCG). */
double w2c_appliance_timeout(bool kvm);

/* A thread that, every 200 ms, asks @progress whether to stop (the caller's
 * interrupt) and checks the launch deadline; either kills our QEMU
 * children, which makes the blocked libguestfs call return. */
typedef struct w2c_appliance_watch {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const w2c_progress *progress;
	double t0, timeout, deadline; /* deadline 0: launched, none */
	bool running, stop, timed_out, interrupted;
} w2c_appliance_watch;

bool w2c_appliance_watch_start(w2c_appliance_watch *w, const w2c_progress *progress, double timeout);
void w2c_appliance_watch_launched(w2c_appliance_watch *w);
void w2c_appliance_watch_stop(w2c_appliance_watch *w);
/* The watch's findings so far, read under its lock (it runs in another thread). */
void w2c_appliance_watch_state(w2c_appliance_watch *w, bool *timed_out, bool *interrupted);

#endif
