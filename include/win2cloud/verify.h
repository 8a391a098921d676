/*
 * win2cloud/verify.h - checking a rebuilt Windows ISO.
 *
 * w2c_verify() re-opens an output image with the media reader and checks it
 * the way firmware and Windows Setup will use it: the El Torito catalog
 * against Microsoft's geometry (and the UEFI image really being FAT), the
 * files against the source (streamed SHA-256, intended edits allowed), the
 * OUT.iso.sha256 file, the names in every name space, and optionally a boot
 * under QEMU.  Problems are findings in the report, not errors: the call
 * fails only when an input cannot be read.
 */
#ifndef WIN2CLOUD_VERIFY_H
#define WIN2CLOUD_VERIFY_H

#include "win2cloud.h"
#include "win2cloud/sidecar.h"
#include "win2cloud/media.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Which check produced a finding. */
enum w2c_verify_check {
	W2C_VERIFY_CATALOG,  /**< El Torito entries, boot images */
	W2C_VERIFY_CONTENT,  /**< files against --against SRC */
	W2C_VERIFY_CHECKSUM, /**< OUT.iso.sha256 */
	W2C_VERIFY_NAMES,    /**< names in Joliet / UDF / ISO 9660 */
	W2C_VERIFY_BOOT,     /**< QEMU boot */
	W2C_VERIFY_IMAGE,    /**< the image file against its volume descriptor */
	W2C_VERIFY_BOOTWIM,  /**< sources/boot.wim's boot index */
	W2C_VERIFY_UDF,      /**< UDF anchors, descriptor tags (checksum, CRC, location), shared data */
};

/** One problem: the file, the field and what was expected. */
typedef struct w2c_verify_finding {
	enum w2c_verify_check check;
	char *file;    /**< path on the medium, or a local file */
	char *field;   /**< e.g. "sector_count", "sha256", "name" */
	char *message; /**< one line naming file, field, found and expected */
} w2c_verify_finding;

enum w2c_change_kind { W2C_CHANGE_ADDED, W2C_CHANGE_REMOVED, W2C_CHANGE_CHANGED };

/** A file that differs between SRC and the output. */
typedef struct w2c_verify_change {
	enum w2c_change_kind kind;
	char *path;       /**< path on the medium (the output's spelling when present) */
	bool allowed;     /**< an intended edit */
	const char *why;  /**< what allowed it ("--allow-edit", "driver manifest", ...) or NULL */
} w2c_verify_change;

/** Firmware for a boot run. */
enum w2c_firmware { W2C_FW_BIOS = 1 << 0, W2C_FW_UEFI = 1 << 1 };

/** What one QEMU boot showed. */
typedef struct w2c_boot_run {
	enum w2c_firmware firmware;
	bool started;      /**< the firmware handed control to the El Torito image */
	bool expect_seen;  /**< every expected text appeared (true when none was asked) */
	bool timed_out;    /**< QEMU was killed at the timeout */
	bool gave_up;      /**< the firmware gave up on the disc (no bootable device, UEFI shell) */
	int exit_status;   /**< QEMU's exit status, -1 when killed */
	double seconds;    /**< wall time of the run */
	char *console;     /**< serial console (COM1), terminal escapes removed */
	char *debug;       /**< QEMU debug console, port 0xE9 (test boot programs) */
	char *firmware_log;/**< the firmware's own boot lines (SeaBIOS port 0x402, OVMF "BdsDxe:") */
} w2c_boot_run;

typedef struct w2c_boot_options {
	double timeout;             /**< seconds; 0 = 60 */
	const char *qemu;           /**< NULL: qemu-system-x86_64 from PATH */
	const char *ovmf;           /**< NULL: /usr/share/ovmf/OVMF.fd */
	const char *const *expect;  /**< texts the boot must print; "bios:T"/"uefi:T" limit to one */
	size_t n_expect;
	const w2c_progress *progress;  /**< stage "boot", done/total in ms; nonzero stops */
	const w2c_logger *log;
} w2c_boot_options;

/**
 * Boot @iso from its El Torito catalog under QEMU (TCG; SeaBIOS with its
 * serial console on for @fw W2C_FW_BIOS, OVMF for W2C_FW_UEFI), capture the
 * serial console, the 0xE9 debug port and the firmware log in memory, and
 * stop at the timeout, when QEMU exits, or once every expected text was seen.
 * QEMU is started with posix_spawn (no shell) and killed at the end; no file
 * is written.  Fails only when QEMU cannot be started (W2C_ERR_NOT_FOUND
 * when it or the firmware is missing); a boot that gets nowhere is a result.
 * Free @out with w2c_boot_run_clear().
 */
W2C_API w2c_code w2c_boot_iso(const char *iso, enum w2c_firmware fw, const w2c_boot_options *opts,
		      w2c_boot_run *out, w2c_error *err);
W2C_API void w2c_boot_run_clear(w2c_boot_run *r);

/** Layout of a FAT file system from its boot sector. */
typedef struct w2c_fat_info {
	unsigned fat_bits;          /**< 12, 16 or 32 */
	unsigned bytes_per_sector;
	unsigned sectors_per_cluster;
	uint64_t total_sectors;
	uint64_t clusters;
	uint64_t size;              /**< bytes_per_sector * total_sectors */
} w2c_fat_info;

/**
 * Decide whether @len bytes (the first sector of an image, >= 512) are a FAT
 * boot sector with a sane BPB.  W2C_ERR_INVALID_INPUT names the first field
 * that is wrong (signature, bytes per sector, ...) and what was expected;
 * @what (e.g. "efi/microsoft/boot/efisys.bin") starts the message.
 */
W2C_API w2c_code w2c_fat_probe(const uint8_t *buf, size_t len, const char *what, w2c_fat_info *out,
		       w2c_error *err);

typedef struct w2c_verify_options {
	const char *against;              /**< source ISO or `unpack` directory, or NULL */
	const char *const *allow_edits;   /**< medium paths (file or folder prefix) allowed to differ */
	size_t n_allow_edits;
	unsigned boot;                    /**< enum w2c_firmware bits; 0 = no boot */
	w2c_boot_options boot_opts;
	const w2c_progress *progress;
	const w2c_logger *log;
} w2c_verify_options;

typedef struct w2c_verify_report {
	w2c_verify_finding *findings;
	size_t n_findings;
	char **notes;                     /**< things worth saying that are no problem */
	size_t n_notes;
	w2c_verify_change *changes;       /**< with --against: every difference, allowed or not */
	size_t n_changes;
	uint64_t files_compared;          /**< files hashed on both sides */
	uint64_t bytes_hashed;            /**< bytes read to hash (both sides + the image) */
	unsigned boot_entries;
	unsigned namespaces;              /**< enum w2c_fs bits whose names were compared */
	char sha256[65];                  /**< digest of the image, "" when not computed */
	w2c_boot_run boots[2];
	size_t n_boots;
} w2c_verify_report;

/**
 * Verify @iso.  Returns W2C_OK when every check ran (look at
 * report->n_findings), or the media reader's error when @iso or the source
 * cannot be read (W2C_ERR_INVALID_INPUT, W2C_ERR_NOT_FOUND, W2C_ERR_IO), or
 * W2C_ERR_INTERRUPTED when @opts->progress asked to stop.  Free the report
 * with w2c_verify_report_clear() either way.
 */
W2C_API w2c_code w2c_verify(const char *iso, const w2c_verify_options *opts, w2c_verify_report *report,
		    w2c_error *err);
W2C_API void w2c_verify_report_clear(w2c_verify_report *report);

/**
 * The geometry check alone, for entries already read (unit-testable): BIOS
 * entries must be bootable, no emulation, load segment 0, 8 sectors,
 * boot/etfsboot.com; UEFI (0xEF) entries bootable, no emulation, count 1,
 * efi/microsoft/boot/efisys.bin or efisys_noprompt.bin.  @want_platforms
 * lists the platform ids that must have an entry (bit 0 BIOS, bit 1 UEFI).
 * Findings go to @report with @iso as the file prefix; W2C_ERR_NOMEM when
 * one could not be stored.
 */
W2C_API w2c_code w2c_verify_catalog_geometry(const char *iso, const w2c_boot_entry *entries, size_t n,
				 unsigned want_platforms, w2c_verify_report *report);

#ifdef __cplusplus
}
#endif
#endif
