/*
 * win2cloud/unattend.h - Windows answer files (autounattend.xml): generate,
 * merge into a user's file, lint, and place on the media.
 *
 * Facts: windows-media spec §5 (structure, identities, validator checklist)
 * and cloud-api spec §4.7 (password rule, via win2cloud/password.h).
 * Every call parses with libxml2 without network access or entity
 * expansion.  No call ever puts a password, a product key or a credential
 * into an error message, a log line or a lint finding.
 */
#ifndef WIN2CLOUD_UNATTEND_H
#define WIN2CLOUD_UNATTEND_H

#include "win2cloud.h"
#include "win2cloud/media.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The answer-file namespaces and component identity (spec §5.2). */
#define W2C_UNATTEND_NS "urn:schemas-microsoft-com:unattend"
#define W2C_UNATTEND_WCM_NS "http://schemas.microsoft.com/WMIConfig/2002/State"
#define W2C_UNATTEND_XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define W2C_UNATTEND_TOKEN "31bf3856ad364e35"
/** Folder at the media root that Setup scans for drivers (spec §4a). */
#define W2C_WINPE_DRIVER_DIR "$WinPEDriver$"

/** Firmware the install boots with; decides MBR (BIOS) or GPT+ESP (UEFI). */
typedef enum w2c_firmware { W2C_FIRMWARE_BIOS, W2C_FIRMWARE_UEFI } w2c_firmware;

/** Where `inject --cloudbase-init MSI` puts the MSI on the medium. */
#define W2C_CLOUDBASE_INIT_MEDIA_PATH "/win2cloud/CloudbaseInitSetup_x64.msi"

/** The last step of an unattended install. */
typedef enum w2c_unattend_final {
	W2C_FINAL_NONE,        /**< nothing: the machine stays at the desktop */
	W2C_FINAL_SHUTDOWN,    /**< shutdown /s: a disk that boots into the installed system */
	W2C_FINAL_GENERALIZE,  /**< sysprep /generalize /oobe /shutdown: a template for many servers */
} w2c_unattend_final;

/**
 * Cloud profile: where the installer's target disk is.  On Huawei Cloud / OTC
 * the temporary ISO server has exactly a system disk and one data disk and
 * Windows goes onto the data disk (cloud-api §4.1), taken here as DiskID 1
 * (second disk enumerated by WinPE; an inference, hence lint warns only).
 * OpenStack (Nova: ISO + one blank volume) and generic use DiskID 0.
 */
typedef enum w2c_cloud_profile {
	W2C_CLOUD_HUAWEI,
	W2C_CLOUD_OTC,
	W2C_CLOUD_OPENSTACK,
	W2C_CLOUD_GENERIC,
} w2c_cloud_profile;

/** Parse "huawei", "otc", "openstack", "generic"; W2C_ERR_USAGE otherwise. */
W2C_API w2c_code w2c_cloud_profile_parse(const char *s, w2c_cloud_profile *out, w2c_error *err);
/** DiskID Windows is installed onto for @p (1 for huawei/otc, else 0). */
W2C_API int w2c_cloud_profile_disk(w2c_cloud_profile p);

/**
 * What `unattend new` writes and what `unattend merge` sets.  For merge, a
 * NULL/unset field means "leave the user's file alone there".
 */
typedef struct w2c_unattend_options {
	const char *arch;            /**< processorArchitecture; NULL = amd64 (merge: the file's) */
	w2c_firmware firmware;       /**< disk layout for `new` */
	int disk;                    /**< target DiskID; -1 = the profile's default */
	w2c_cloud_profile cloud;     /**< default W2C_CLOUD_HUAWEI (0) */
	const char *image_index;     /**< "/IMAGE/INDEX" value, e.g. "4"; or NULL */
	const char *image_name;      /**< "/IMAGE/NAME" value; or NULL */
	const char *admin_password;  /**< checked against the image rule; never logged */
	bool password_plain;         /**< PlainText true instead of the obfuscated form */
	const char *locale;          /**< e.g. "en-US"; NULL = en-US (merge: untouched) */
	const char *timezone;        /**< Windows time zone id; NULL = UTC (merge: untouched) */
	const char *product_key;     /**< XXXXX-XXXXX-XXXXX-XXXXX-XXXXX or NULL */
	const char *computer_name;   /**< NULL = "*" (random; merge: untouched) */
	bool rdp;                    /**< RDP on, NLA on, "Remote Desktop" firewall group */
	bool driver_paths;           /**< DriverPaths to $WinPEDriver$ on every drive letter */
	bool merge_disk;             /**< merge only: rewrite DiskID of Disk and InstallTo */
	/* `new` only, for images installed unattended (`win2cloud install`); each needs
	 * admin_password: the steps run at the Administrator's automatic first logon. */
	bool dhcp;                   /**< every network adapter back on DHCP, DNS from DHCP */
	const char *cloudbase_init;  /**< local Cloudbase-Init MSI: installed silently from
					  W2C_CLOUDBASE_INIT_MEDIA_PATH (inject places it there) */
	w2c_unattend_final final_step; /**< what ends the install */
} w2c_unattend_options;

/** Defaults: amd64, BIOS, profile huawei, disk -1, nothing else set. */
W2C_API void w2c_unattend_options_init(w2c_unattend_options *o);

/**
 * The candidate DriverPaths: "D:\$WinPEDriver$" ... "Z:\$WinPEDriver$"
 * except X: (the WinPE RAM disk).  The install ISO's letter depends on the
 * disk count and device order (spec §4b), so every letter is listed rather
 * than guessed; Setup searches each path's subfolders.  Returns the count;
 * fills @out (static strings) when not NULL.
 */
W2C_API size_t w2c_unattend_driver_paths(const char **out, size_t max);

/**
 * Write a complete autounattend.xml (spec §5.3, §5.4) into a new UTF-8
 * buffer *@xml of *@len bytes (caller frees).  The password, if any, must
 * meet the cloud image rule: W2C_ERR_VIOLATIONS names the rule that failed.
 */
W2C_API w2c_code w2c_unattend_generate(const w2c_unattend_options *o, char **xml, size_t *len,
			       w2c_error *err);

/**
 * Add or update only what the options ask for (password, RDP, DriverPaths,
 * edition, product key, time zone, computer name, locale, disk) in the
 * answer file @in (@in_len bytes, named @name in messages) and leave every
 * other node as it was, byte for byte for UTF-8 input (untouched subtrees
 * are copied from @in; only new or changed elements are serialized): same
 * components, order, comments, namespaces, quoting, whitespace and line ends.  W2C_ERR_INVALID_INPUT when @in is
 * not a well-formed answer file.
 */
W2C_API w2c_code w2c_unattend_merge(const char *in, size_t in_len, const char *name,
			    const w2c_unattend_options *o, char **xml, size_t *len,
			    w2c_error *err);

/** Obfuscate @password as Setup does: base64(UTF-16LE(password + @suffix)). */
W2C_API char *w2c_unattend_password_encode(const char *password, const char *suffix);
/**
 * Reverse w2c_unattend_password_encode(): NULL when @value is not base64 of
 * UTF-16LE text ending in @suffix (e.g. "AdministratorPassword", "Password").
 */
W2C_API char *w2c_unattend_password_decode(const char *value, const char *suffix);

/* ---- lint ---- */

enum w2c_severity { W2C_SEV_INFO, W2C_SEV_WARNING, W2C_SEV_ERROR };

/** One lint finding; never contains a secret. */
typedef struct w2c_finding {
	const char *rule;          /**< stable id, e.g. "disk.extend" */
	enum w2c_severity severity;
	char *xpath;               /**< local names, e.g. /unattend/settings[@pass='windowsPE']/... */
	long line;                 /**< 1-based source line, 0 if unknown */
	char *message;
	char *fix;                 /**< how to fix it */
} w2c_finding;

typedef struct w2c_lint_report {
	w2c_finding *items;
	size_t n, cap;
	size_t errors, warnings;
} w2c_lint_report;

/** Media the answer file is meant for (`lint --for ISO`). */
typedef struct w2c_unattend_target {
	const w2c_node *root;              /**< media tree, or NULL */
	const w2c_edition *const *editions; /**< install images, or NULL */
	size_t n_editions;
} w2c_unattend_target;

typedef struct w2c_lint_options {
	const w2c_unattend_target *target; /**< NULL: no media checks */
	bool firmware_set;                 /**< check the layout against @firmware */
	w2c_firmware firmware;
	bool cloud_set;                    /**< check InstallTo against @cloud's disk */
	w2c_cloud_profile cloud;
	/** The file drives `win2cloud install`: errors for every page that would wait for a
	 * click (EULA, language, edition, Administrator password, a visible msiexec) and
	 * for a last step that does not power the machine off. */
	bool install;
} w2c_lint_options;

/**
 * Lint the answer file @data (@len bytes).  Problems with the file are
 * findings (a file that is not XML is one "xml.parse" error), so this
 * returns W2C_OK unless memory runs out; the caller decides the exit status
 * from @report->errors.  Free with w2c_lint_report_free().
 */
W2C_API w2c_code w2c_unattend_lint(const char *data, size_t len, const w2c_lint_options *o,
			   w2c_lint_report *report, w2c_error *err);
W2C_API void w2c_lint_report_free(w2c_lint_report *r);
/** "info", "warning", "error". */
W2C_API const char *w2c_severity_name(enum w2c_severity s);

/* ---- files (the unattend subcommands and inject) ---- */

/**
 * Read the first line of the secret file @path (a password or a product key,
 * named @what in messages) into a new string *@out (caller wipes and frees).
 * A file others can read (mode & 077) is refused with W2C_ERR_INVALID_INPUT
 * and the chmod that fixes it; the secret itself never appears in a message.
 */
W2C_API w2c_code w2c_unattend_read_secret(const char *path, const char *what, char **out,
				  w2c_error *err);

/**
 * w2c_unattend_generate, then our own lint on the result (the layout checked
 * against @o->firmware): an error finding is W2C_ERR_INTERNAL, since what we
 * write must pass what we check.
 */
W2C_API w2c_code w2c_unattend_new(const w2c_unattend_options *o, char **xml, size_t *len,
			  w2c_error *err);

/** w2c_unattend_merge of the file @path (at most 16 MiB). */
W2C_API w2c_code w2c_unattend_merge_file(const char *path, const w2c_unattend_options *o, char **xml,
				 size_t *len, w2c_error *err);

/**
 * w2c_unattend_lint of the file @path (at most 16 MiB).  With @for_iso (may
 * be NULL), the medium it is meant for is opened and its tree and editions
 * become @o's target (any target in @o is then ignored).
 */
W2C_API w2c_code w2c_unattend_lint_file(const char *path, const char *for_iso, const w2c_lint_options *o,
				w2c_lint_report *report, w2c_error *err);

/**
 * Write @xml (@len bytes) to @path atomically and durably, mode 0600 (it may
 * hold a password); an older @path is replaced only once the new one is whole.
 */
W2C_API w2c_code w2c_unattend_write(const char *path, const char *xml, size_t len, w2c_error *err);

/* ---- media ---- */

/**
 * Whether the answer file @xml holds a password (a Password or
 * AdministratorPassword with a Value, obfuscated or not), so whatever
 * carries it is written owner-only.  An input that does not parse counts
 * as holding one.
 */
W2C_API bool w2c_unattend_has_password(const char *xml, size_t len);

/**
 * Put @xml (@len bytes) at the media root as "autounattend.xml", replacing
 * any existing root answer file whatever its case; *@replaced (may be NULL)
 * tells whether one was there.
 */
W2C_API w2c_code w2c_unattend_put(w2c_node *root, const char *xml, size_t len, bool *replaced,
			  w2c_error *err);

/**
 * Put the Cloudbase-Init MSI at local path @msi on the medium at
 * W2C_CLOUDBASE_INIT_MEDIA_PATH (read in place when the tree is written).
 * W2C_ERR_INVALID_INPUT when @msi is no Windows Installer file.
 */
W2C_API w2c_code w2c_unattend_put_cloudbase_init(w2c_node *root, const char *msi, w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
