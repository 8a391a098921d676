/*
 * Preflight of the build's options: what makes a build fail at its end (an
 * output that cannot be renamed into place, an --add that cannot be
 * applied) is a usage error found before any byte is read or written.
 */
#include "build_int.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* @path must be creatable or replaceable as a regular file; @what names the option. */
static w2c_code check_target(const char *path, const char *what, w2c_error *err)
{
	struct stat st;
	size_t len = strlen(path);

	if (!len)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: empty file name, expected OUT.iso", what);
	if (path[len - 1] == '/')
		return w2c_set_error(err, W2C_ERR_USAGE, "%s '%s': ends in '/', expected a file name "
				     "(e.g. %sout.iso)", what, path, path);
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return w2c_set_error(err, W2C_ERR_USAGE, "%s '%s': is a directory, expected "
					     "the file to write (e.g. %s/out.iso)", what, path, path);
		if (!S_ISREG(st.st_mode))
			return w2c_set_error(err, W2C_ERR_USAGE, "%s '%s': exists and is not a regular "
					     "file; refusing to replace it", what, path);
		if (!(st.st_mode & 0222) || access(path, W_OK) < 0)
			return w2c_set_error(err, W2C_ERR_USAGE, "%s '%s': is read-only (mode %04o); "
					     "refusing to replace it (chmod u+w or remove it first)",
					     what, path, (unsigned)(st.st_mode & 07777));
	}
	char *tmp = w2c_strdup(path);
	if (!tmp)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	const char *dir = dirname(tmp);
	w2c_code rc = W2C_OK;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		rc = w2c_set_error(err, W2C_ERR_USAGE, "%s '%s': directory %s does not exist", what,
				   path, dir);
	else if (access(dir, W_OK | X_OK) < 0)
		rc = w2c_set_error(err, W2C_ERR_USAGE, "%s '%s': cannot create files in directory "
				   "%s: %s", what, path, dir, strerror(errno));
	free(tmp);
	return rc;
}

w2c_code w2c_build_check_output(const char *out, const w2c_build_options *opts, w2c_error *err)
{
	w2c_code rc = check_target(out ? out : "", "-o", err);
	size_t n = opts ? opts->n_sidecars : 0;

	for (size_t i = 0; !rc && i <= n; i++) {
		char *side = w2c_asprintf("%s%s", out, i < n ? opts->sidecars[i].suffix : ".sha256");
		rc = side ? check_target(side, "sidecar", err)
			  : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		free(side);
	}
	return rc;
}

/* One path component that would climb or stay: never a name on the medium. */
static bool bad_component(const char *c, size_t n)
{
	return (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.');
}

w2c_code w2c_build_check_add(const w2c_node *root, const char *iso_path, const char *file,
			     w2c_error *err)
{
	struct stat st;
	const char *p = iso_path;

	if (!*p || !strcmp(p, "/"))
		return w2c_set_error(err, W2C_ERR_USAGE, "--add '%s': expected an ISO path of a file, "
				     "e.g. /sources/ei.cfg", iso_path);
	while (*p) {
		size_t n = strcspn(p, "/");
		if (bad_component(p, n))
			return w2c_set_error(err, W2C_ERR_USAGE, "--add '%s': '.' and '..' are not "
					     "names on the medium; give the path from its root",
					     iso_path);
		p += n;
		p += strspn(p, "/");
	}
	const w2c_node *n = w2c_tree_lookup(root, iso_path);
	if (n && n->is_dir)
		return w2c_set_error(err, W2C_ERR_USAGE, "--add '%s': is a directory on the medium; "
				     "--add replaces or adds files only (--remove it first to "
				     "replace the whole directory)", iso_path);
	if (stat(file, &st) < 0)
		return w2c_set_error(err, W2C_ERR_USAGE, "--add %s=%s: %s", iso_path, file,
				     strerror(errno));
	if (!S_ISREG(st.st_mode))
		return w2c_set_error(err, W2C_ERR_USAGE, "--add %s=%s: not a regular file", iso_path,
				     file);
	if (access(file, R_OK) < 0)
		return w2c_set_error(err, W2C_ERR_USAGE, "--add %s=%s: %s", iso_path, file,
				     strerror(errno));
	return W2C_OK;
}
