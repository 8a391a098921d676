/* Answer-file options shared by `unattend new|merge` and `inject --unattend`. */
#include "uxcli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

w2c_code ux_load_secrets(ux_args *a, w2c_error *err)
{
	int sources = !!a->pw_file + !!a->pw_env + a->pw_stdin;
	w2c_code rc;

	if (sources > 1)
		return w2c_set_error(err, W2C_ERR_USAGE, "give the Administrator password one way only "
				     "(--admin-password-file, --admin-password-env or --admin-password-stdin)");
	if (a->pw_file && (rc = w2c_unattend_read_secret(a->pw_file, "password", &a->password, err)))
		return rc;
	if (a->pw_env) {
		const char *v = getenv(a->pw_env);
		if (!v || !*v)
			return w2c_set_error(err, W2C_ERR_USAGE,
					     "--admin-password-env: variable %s is not set", a->pw_env);
		a->password = strdup(v);
	}
	if (a->pw_stdin) {
		char buf[512];
		if (!fgets(buf, sizeof buf, stdin))
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "--admin-password-stdin: nothing on standard input");
		buf[strcspn(buf, "\r\n")] = 0;
		a->password = strdup(buf);
		explicit_bzero(buf, sizeof buf);
	}
	if ((a->pw_env || a->pw_stdin) && !a->password)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (a->key_file && (rc = w2c_unattend_read_secret(a->key_file, "product key", &a->product_key, err)))
		return rc;
	a->o.admin_password = a->password;
	a->o.product_key = a->product_key;
	return W2C_OK;
}

void ux_free_secrets(ux_args *a)
{
	if (a->password)
		explicit_bzero(a->password, strlen(a->password));
	if (a->product_key)
		explicit_bzero(a->product_key, strlen(a->product_key));
	free(a->password);
	free(a->product_key);
}

int ux_option(ux_args *a, int c, const char *arg, char *why, size_t why_len)
{
	w2c_error err;
	char *end;

	switch (c) {
	case OPT_EDITION:
		if (arg[0] && strspn(arg, "0123456789") == strlen(arg))
			a->o.image_index = arg;
		else
			a->o.image_name = arg;
		return 1;
	case OPT_ARCH: a->o.arch = arg; return 1;
	case OPT_FIRMWARE:
		if (strcmp(arg, "bios") && strcmp(arg, "uefi")) {
			snprintf(why, why_len, "--firmware '%s': expected bios or uefi", arg);
			return -1;
		}
		a->o.firmware = strcmp(arg, "uefi") ? W2C_FIRMWARE_BIOS : W2C_FIRMWARE_UEFI;
		a->firmware_set = true;
		return 1;
	case OPT_CLOUD:
		if (w2c_cloud_profile_parse(arg, &a->o.cloud, &err)) {
			snprintf(why, why_len, "--cloud: %s", err.message);
			return -1;
		}
		a->cloud_set = true;
		return 1;
	case OPT_DISK:
		a->o.disk = (int)strtol(arg, &end, 10);
		if (!*arg || *end || a->o.disk < 0) {
			snprintf(why, why_len, "--disk '%s': expected a disk number", arg);
			return -1;
		}
		a->o.merge_disk = true;
		return 1;
	case OPT_PW_FILE: a->pw_file = arg; return 1;
	case OPT_PW_ENV: a->pw_env = arg; return 1;
	case OPT_PW_STDIN: a->pw_stdin = true; return 1;
	case OPT_PLAIN: a->o.password_plain = true; return 1;
	case OPT_LOCALE: a->o.locale = arg; return 1;
	case OPT_TZ: a->o.timezone = arg; return 1;
	case OPT_NAME: a->o.computer_name = arg; return 1;
	case OPT_KEY_FILE: a->key_file = arg; return 1;
	case OPT_RDP: a->o.rdp = true; return 1;
	case OPT_DRIVERS: a->o.driver_paths = true; return 1;
	case OPT_DHCP: a->o.dhcp = true; return 1;
	case OPT_CLOUDBASE: a->o.cloudbase_init = arg; return 1;
	case OPT_SHUTDOWN: a->o.final_step = W2C_FINAL_SHUTDOWN; return 1;
	case OPT_GENERALIZE: a->o.final_step = W2C_FINAL_GENERALIZE; return 1;
	default: return 0;
	}
}
