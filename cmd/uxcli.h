/* Answer-file options shared by `unattend new|merge` and `inject --unattend`; cmd/ only. */
#ifndef W2C_CMD_UXCLI_H
#define W2C_CMD_UXCLI_H

#include "cli.h"
#include "win2cloud/unattend.h"

enum {
	OPT_EDITION = 0x2000, OPT_ARCH, OPT_FIRMWARE, OPT_CLOUD, OPT_DISK, OPT_PW_FILE, OPT_PW_ENV,
	OPT_PW_STDIN, OPT_PLAIN, OPT_LOCALE, OPT_TZ, OPT_NAME, OPT_KEY_FILE, OPT_RDP, OPT_DRIVERS,
	OPT_FOR, OPT_DHCP, OPT_CLOUDBASE, OPT_SHUTDOWN, OPT_GENERALIZE, OPT_INSTALL,
};

typedef struct ux_args {
	w2c_unattend_options o;
	const char *output, *for_iso, *pw_file, *pw_env, *key_file;
	bool pw_stdin, firmware_set, cloud_set;
	bool lint_install; /* lint --install: the rules of `win2cloud install` */
	char *password, *product_key;
} ux_args;

/* The answer-file options both verbs take (not --edition, --for, --output). */
#define UX_LONGOPTS                                                          \
	{ "arch", required_argument, NULL, OPT_ARCH },                       \
	{ "firmware", required_argument, NULL, OPT_FIRMWARE },               \
	{ "cloud", required_argument, NULL, OPT_CLOUD },                     \
	{ "disk", required_argument, NULL, OPT_DISK },                       \
	{ "admin-password-file", required_argument, NULL, OPT_PW_FILE },     \
	{ "admin-password-env", required_argument, NULL, OPT_PW_ENV },       \
	{ "admin-password-stdin", no_argument, NULL, OPT_PW_STDIN },         \
	{ "plain-password", no_argument, NULL, OPT_PLAIN },                  \
	{ "locale", required_argument, NULL, OPT_LOCALE },                   \
	{ "timezone", required_argument, NULL, OPT_TZ },                     \
	{ "computer-name", required_argument, NULL, OPT_NAME },              \
	{ "product-key-file", required_argument, NULL, OPT_KEY_FILE },       \
	{ "rdp", no_argument, NULL, OPT_RDP },                               \
	{ "driver-paths", no_argument, NULL, OPT_DRIVERS },                  \
	{ "dhcp", no_argument, NULL, OPT_DHCP },                             \
	{ "cloudbase-init", required_argument, NULL, OPT_CLOUDBASE },        \
	{ "shutdown", no_argument, NULL, OPT_SHUTDOWN },                     \
	{ "generalize", no_argument, NULL, OPT_GENERALIZE }

/* Handle one of UX_LONGOPTS (and OPT_EDITION): 1 handled, 0 not ours, -1 bad value (@why set). */
int ux_option(ux_args *a, int c, const char *arg, char *why, size_t why_len);
/* Read the password and product key the options name into a->o. */
w2c_code ux_load_secrets(ux_args *a, w2c_error *err);
/* Wipe and free them. */
void ux_free_secrets(ux_args *a);

#endif
