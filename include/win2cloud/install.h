/*
 * win2cloud/install.h - run the unattended Windows Setup of an injected ISO
 * in QEMU and hand back a system-disk image (`win2cloud install`).
 *
 * The route the cloud documents for an external image file (cloud-api spec:
 * BIOS boot, system disk 40-1024 GB, virtio drivers that load at boot, a
 * usable Administrator password) and OpenStack recommends for Windows:
 * install locally, upload the disk, register it.  One call does it:
 * preflight (what would make the result unusable is refused before QEMU
 * starts), boot under SeaBIOS with the ISO as a CD and a new sparse disk on
 * the bus whose driver the medium carries, watch until the guest powers off,
 * convert the disk to the output format through an atomic output with its
 * .sha256, and run the deep check on it.
 *
 * QEMU runs in its own process group with a parent-death signal, so neither
 * an interrupt nor a SIGKILL of the caller leaves it running, and the work
 * disk is an unnamed file, so nothing is left behind on any path.
 */
#ifndef WIN2CLOUD_INSTALL_H
#define WIN2CLOUD_INSTALL_H

#include "win2cloud.h"
#include "win2cloud/check.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The system disk limits of the cloud (GiB, as "GB" in its docs). */
#define W2C_INSTALL_MIN_GIB 40
#define W2C_INSTALL_MAX_GIB 1024

enum w2c_install_accel { W2C_ACCEL_AUTO, W2C_ACCEL_KVM, W2C_ACCEL_TCG };
enum w2c_install_bus { W2C_BUS_AUTO, W2C_BUS_VIRTIO_BLK, W2C_BUS_VIRTIO_SCSI };

/** What the watcher saw; handed to @w2c_install_options.event as it happens. */
typedef struct w2c_install_event {
	const char *kind;      /**< "preflight", "accel", "start", "progress", "reset", "poweroff",
				    "convert", "check", "done" */
	double elapsed;        /**< seconds since QEMU started (0 before) */
	uint64_t disk_bytes;   /**< bytes the guest has written to the disk so far */
	const char *console;   /**< last line of the serial console, or NULL */
	const char *message;   /**< one sentence for "accel", "reset", ...; or NULL */
	long qemu_pid;         /**< QEMU's process id while it runs, else 0 */
} w2c_install_event;

typedef struct w2c_install_options {
	const char *iso;            /**< the injected installation ISO (read only) */
	const char *output;         /**< the disk image to write */
	uint64_t size;              /**< virtual disk size in bytes (default 60 GiB) */
	const char *format;         /**< "qcow2" (default), "raw", "vpc", "vmdk" */
	bool no_compress;           /**< qcow2: write uncompressed clusters */
	unsigned timeout;           /**< seconds until the install counts as hung (default 3 h) */
	uint64_t memory;            /**< guest RAM in bytes (default 4 GiB) */
	unsigned cpus;              /**< guest CPUs (default 2) */
	enum w2c_install_accel accel;
	enum w2c_install_bus bus;   /**< AUTO: the bus whose driver the medium carries */
	unsigned max_resets;        /**< guest resets allowed (Setup reboots 2-4 times; default 8) */
	const char *evidence_dir;   /**< where a failure keeps screenshot and console log;
					 NULL = the output's directory */
	const char *qemu;           /**< NULL = "qemu-system-x86_64" on PATH */
	const char *qemu_img;       /**< NULL = "qemu-img" on PATH */
	const w2c_check_profile *profile; /**< deep check rules; NULL = "openstack" */
	enum w2c_deep_mode deep;    /**< W2C_DEEP_AUTO: skip findings when libguestfs is missing */
	void (*event)(void *user, const w2c_install_event *ev);
	void *event_user;
	const w2c_progress *progress; /**< a nonzero return stops the install (interrupted) */
	const w2c_logger *log;
} w2c_install_options;

/** Defaults as documented above. */
W2C_API void w2c_install_options_init(w2c_install_options *o);

#define W2C_INSTALL_MAX_PROBLEMS 16

typedef struct w2c_install_result {
	/** Preflight problems, one sentence each naming the setting and the fix. */
	char problems[W2C_INSTALL_MAX_PROBLEMS][512];
	unsigned n_problems;
	char accel[8];              /**< "kvm" or "tcg" */
	char bus[16];               /**< "virtio-blk" or "virtio-scsi" */
	double install_seconds;     /**< QEMU start to guest power-off */
	unsigned resets;            /**< guest resets seen */
	uint64_t disk_bytes;        /**< bytes the guest wrote */
	uint64_t bytes;             /**< size of the output file */
	char sha256[65];            /**< of the output file */
	char screenshot[4096];      /**< failure evidence kept, or "" */
	char console_log[4096];
	char last_console[256];     /**< last console line */
	w2c_check_report *report;   /**< deep check of the output (caller frees), or NULL */
} w2c_install_result;

/**
 * Parse "60G", "4096M", "1T", "500000000" (bytes) into *@bytes; @what names
 * the option in the error (W2C_ERR_USAGE).
 */
W2C_API w2c_code w2c_install_parse_size(const char *s, const char *what, uint64_t *bytes,
					w2c_error *err);

/** Parse "90s", "45m", "3h", "3600" (seconds) into *@seconds (W2C_ERR_USAGE naming @what). */
W2C_API w2c_code w2c_install_parse_duration(const char *s, const char *what, unsigned *seconds,
					    w2c_error *err);

/**
 * Install @o->iso onto a new disk and write @o->output (and @o->output.sha256)
 * only when the guest powered off; then the deep check fills @res->report.
 * W2C_ERR_VIOLATIONS: preflight problems (@res->problems; QEMU never
 * started) or deep-check errors (the disk is kept).  W2C_ERR_EXTERNAL: QEMU
 * failed, the guest hung past the timeout or reset in a loop; the error
 * names the screenshot and console log kept.  W2C_ERR_INTERRUPTED: the
 * progress callback asked to stop; QEMU is gone and nothing is written.
 */
W2C_API w2c_code w2c_install(const w2c_install_options *o, w2c_install_result *res, w2c_error *err);

/** Free what @res holds (the report). */
W2C_API void w2c_install_result_clear(w2c_install_result *res);

#ifdef __cplusplus
}
#endif
#endif
