/* w2c_register_credentials: which way register authenticates and the secrets for it, decided
 * in the library so every caller (the CLI, the pipeline's stage, a C program) picks the same. */
#include "win2cloud/register.h"

#include <stdlib.h>
#include <string.h>

/* No OS_AUTH_URL anywhere: AK/SK signing needs only the project and the region. */
static void config_from_env(w2c_cloud_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->project_id = getenv("OS_PROJECT_ID") ? strdup(getenv("OS_PROJECT_ID")) : NULL;
	cfg->region_name = getenv("OS_REGION_NAME") ? strdup(getenv("OS_REGION_NAME")) : NULL;
}

w2c_code w2c_register_credentials(enum w2c_cloud_kind kind, const char *os_cloud,
				  enum w2c_register_auth auth, bool dry_run, w2c_cloud_config *cfg,
				  w2c_credentials *cred, bool *aksk, w2c_error *err)
{
	w2c_code rc = w2c_cloud_config_load(cfg, os_cloud, err);

	*aksk = auth == W2C_REGISTER_AUTH_AKSK;
	if (rc && !(rc == W2C_ERR_NOT_FOUND && (*aksk || dry_run) && !os_cloud))
		return rc;
	if (rc)
		config_from_env(cfg);
	if (auth == W2C_REGISTER_AUTH_AUTO && kind != W2C_CLOUD_OPENSTACK && !cfg->password)
		*aksk = true;
	if (*aksk && cfg->access_key && cfg->secret_key) {
		cred->access_key = strdup(cfg->access_key);
		cred->secret_key = strdup(cfg->secret_key);
	} else if (*aksk && !dry_run && (rc = w2c_credentials_load(NULL, getenv("W2C_PROFILE"), cred, err))) {
		return rc;
	}
	if (*aksk && cfg->password) { /* never send a password we were told not to use */
		explicit_bzero(cfg->password, strlen(cfg->password));
		free(cfg->password);
		cfg->password = NULL;
	}
	return W2C_OK;
}

w2c_code w2c_register(const w2c_register_target *t, const char *os_cloud, enum w2c_register_auth auth,
		      const w2c_register_spec *spec, w2c_register_result *res, w2c_error *err)
{
	w2c_register_target with = *t;
	w2c_cloud_config cfg = { 0 };
	w2c_credentials cred = { 0 };
	bool aksk = false;
	w2c_code rc = w2c_register_credentials(t->kind, os_cloud, auth, t->plan != NULL, &cfg, &cred, &aksk,
					       err);

	if (!rc) {
		with.cfg = &cfg;
		with.access_key = aksk ? cred.access_key : NULL;
		with.secret_key = aksk ? cred.secret_key : NULL;
		rc = w2c_register_image(&with, spec, res, err);
	}
	w2c_cloud_config_free(&cfg);
	w2c_credentials_free(&cred);
	return rc;
}
