/* w2c_check_files: what `check FILE...` runs, in one call: each file by its content, the disk
 * images in one deep-check appliance, the registration parameters, the password file. */
#include "common/util.h"
#include "win2cloud/check.h"
#include "win2cloud/password.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A secret file like the credentials file: owner-only, its first line is the password. */
/* One reader of secret files for every command: a 0644 file is exit 4 everywhere. */
static w2c_code read_password(const char *path, char **pw, w2c_error *err)
{
	return w2c_secret_file_read(path, "password", pw, err);
}

static w2c_code check_password_file(const char *path, const char *user, w2c_check_report *r,
				    w2c_error *err)
{
	char *pw = NULL;
	w2c_code rc = read_password(path, &pw, err);
	if (!rc)
		rc = w2c_check_password(pw, user, r, err);
	if (pw)
		explicit_bzero(pw, strlen(pw));
	free(pw);
	return rc;
}

/* Each file by content; disk images are remembered for the deep check and the JSON. */
static w2c_code check_each(const char *const *files, size_t n, const w2c_check_options *o,
			   w2c_check_report *r, w2c_check_disks *d, uint64_t *vmax, w2c_error *err)
{
	for (size_t i = 0; i < n; i++) {
		w2c_code rc;
		if (w2c_file_is_iso(files[i])) {
			if ((rc = w2c_check_iso(files[i], o, r, err)))
				return rc;
			continue;
		}
		if ((rc = w2c_check_disk(files[i], o, r, &d->infos[d->n], err)))
			return rc;
		if (d->infos[d->n].virtual_size > *vmax)
			*vmax = d->infos[d->n].virtual_size;
		d->paths[d->n++] = files[i];
	}
	return W2C_OK;
}

w2c_code w2c_check_files(const char *const *files, size_t n, const char *password_file,
			 const char *admin_user, const w2c_check_options *o, w2c_check_report *r,
			 w2c_check_disks *d, w2c_error *err)
{
	uint64_t vmax = 0;
	w2c_code rc;

	memset(d, 0, sizeof *d);
	d->paths = calloc(n + 1, sizeof *d->paths);
	d->infos = calloc(n + 1, sizeof *d->infos);
	if (!d->paths || !d->infos)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if ((rc = check_each(files, n, o, r, d, &vmax, err)))
		return rc;
	if (d->n && o->deep != W2C_DEEP_OFF &&
	    (rc = w2c_check_disks_deep(d->paths, d->infos, d->n, o, r, err)))
		return rc;
	if ((rc = w2c_check_params(o, vmax, r, err)))
		return rc;
	return password_file ? check_password_file(password_file, admin_user, r, err) : W2C_OK;
}

void w2c_check_disks_free(w2c_check_disks *d)
{
	free(d->paths);
	free(d->infos);
	memset(d, 0, sizeof *d);
}
