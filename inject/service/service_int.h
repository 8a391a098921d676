/* Internal pieces of offline WIM servicing (wim_service.c, wim_files.c, hive_edit.c). */
#ifndef W2C_INJECT_SERVICE_INT_H
#define W2C_INJECT_SERVICE_INT_H

#include "win2cloud/service.h"

#include <stdbool.h>
#include <stdint.h>

/* What a hive edit did (specs/windows-media.md §4c). */
typedef struct w2c_hive_report {
	unsigned control_set;     /* ControlSet%03u from Select\Current */
	bool driver_database;     /* Windows 8+: fake DriverDatabase package, else CriticalDeviceDatabase */
	bool dirty;               /* primary sequence numbers differed when opened */
	uint32_t seq1, seq2;
	unsigned changed;         /* values (and keys) written; 0 = the file was left as it was */
} w2c_hive_report;

/*
 * The SYSTEM recipe for the boot-critical storage driver @svc ("viostor" or
 * "vioscsi") of architecture @arch ("amd64", "x86", "arm64") in the hive
 * file @path (named @name in messages): service key, CriticalDeviceDatabase
 * (no DriverDatabase at the root) or the fake driver package (DriverDatabase
 * present), CrashControl AutoReboot 0.  Values already holding the wanted
 * type and bytes are left alone; the file is committed only if something
 * changed, so a second run leaves it byte for byte.
 */
w2c_code w2c_hive_edit_system(const char *path, const char *name, const char *svc,
			      const char *arch, w2c_hive_report *r, w2c_error *err);

/* SOFTWARE: append ";%SystemRoot%\Drivers\VirtIO" to
 * Microsoft\Windows\CurrentVersion DevicePath unless present (type kept). */
w2c_code w2c_hive_edit_software(const char *path, const char *name, w2c_hive_report *r,
				w2c_error *err);

/* Primary sequence numbers of the hive file @path (header offsets 4 and 8). */
w2c_code w2c_hive_sequence(const char *path, uint32_t *seq1, uint32_t *seq2, w2c_error *err);

/* Our SetupComplete.cmd line; @old (may be NULL) is the script found in the
 * image.  *@out is the new script, or NULL when @old runs our line already. */
#define W2C_SETUPCOMPLETE_LINE \
	"pnputil /add-driver %SystemRoot%\\Drivers\\VirtIO\\*.inf /subdirs /install"
w2c_code w2c_setupcomplete_merge(const char *old, size_t old_len, char **out, size_t *out_len,
				 w2c_error *err);

/* One WIM being serviced (wim_service.c), shared with the per-image work (wim_image.c). */
struct WIMStruct;
typedef struct w2c_svc_wim {
	struct WIMStruct *wim;
	const char *item;         /* "/sources/install.wim" */
	const char *dir;          /* private scratch directory */
	const w2c_service_options *o;
	w2c_error *err;
	bool boot;                /* boot.wim: storage .sys and SYSTEM only */
} w2c_svc_wim;

/* Apply the recipe to image @ed->index for the drivers of @sel; fills @img. */
w2c_code w2c_svc_image(w2c_svc_wim *w, const w2c_edition *ed, const w2c_edition_selection *sel,
		       w2c_service_image *img);
w2c_code w2c_svc_wimerr(w2c_svc_wim *w, int r, const char *what);
#endif
