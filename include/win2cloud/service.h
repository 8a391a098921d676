/*
 * win2cloud/service.h - offline driver servicing of install.wim without DISM
 * (inject --level image), the virt-v2v recipe of specs/windows-media.md §4c/§4d:
 * driver files into /Windows/Drivers/VirtIO, the storage driver's .sys into
 * System32/drivers, SYSTEM and SOFTWARE hive edits through hivex, and a
 * SetupComplete.cmd that runs pnputil at the end of Setup.
 */
#ifndef WIN2CLOUD_SERVICE_H
#define WIN2CLOUD_SERVICE_H

#include "win2cloud.h"
#include "win2cloud/drivers.h"
#include "win2cloud/media.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct w2c_service_options {
	const char *near;             /**< scratch goes next to this path (the output), else $TMPDIR */
	const char *tmpdir;           /**< or here, when set */
	bool boot_wim;                /**< also boot.wim's boot image: storage driver .sys + SYSTEM
				       *   recipe only (UNCONFIRMED that it binds in WinPE) */
	const w2c_progress *progress;
	const w2c_logger *log;
} w2c_service_options;

/** What was done to one image of a serviced WIM. */
typedef struct w2c_service_image {
	char *wim;                    /**< "/sources/install.wim" */
	unsigned index;
	char *name;
	char *storage;                /**< "viostor" or "vioscsi" (the registry recipe's driver) */
	bool driver_database;         /**< Windows 8+ fake package, else CriticalDeviceDatabase */
	unsigned control_set;
	unsigned files;               /**< files under /Windows/Drivers/VirtIO */
	unsigned system_changes, software_changes; /**< values/keys written (0 on a re-run) */
	bool software;                /**< a SOFTWARE hive was found */
	const char *setupcomplete;    /**< "created", "appended", "kept" or "none" (boot.wim) */
	bool hive_was_dirty;          /**< SYSTEM sequence numbers differed (no log data) */
} w2c_service_image;

/** Serviced WIMs, held open (unlinked scratch files) until the build is written. */
typedef struct w2c_service w2c_service;

/**
 * Service every edition in @sel[0..n) (its WIM is staged to scratch, edited
 * with wimlib and hivex, and written whole to an unlinked scratch file that
 * replaces the WIM in the tree of @m).  The source is never modified.  Split
 * WIMs (.swm) are refused; install.esd is written solid again.  With
 * @o->boot_wim, boot.wim's boot image gets the storage driver with the
 * drivers selected for the first edition of its architecture.  Errors
 * name the WIM, the image, the file in it and what was expected.  Free the
 * result with w2c_service_free() only after the tree has been written.
 */
W2C_API w2c_code w2c_wim_service(w2c_media *m, const w2c_edition_selection *sel, size_t n,
			 const w2c_service_options *o, w2c_service **out, w2c_error *err);
W2C_API size_t w2c_service_image_count(const w2c_service *s);
W2C_API const w2c_service_image *w2c_service_image_at(const w2c_service *s, size_t i);
/** JSON array text of the images (for the manifest and --json); caller frees. */
W2C_API char *w2c_service_json(const w2c_service *s);
W2C_API void w2c_service_free(w2c_service *s);

#ifdef __cplusplus
}
#endif
#endif
