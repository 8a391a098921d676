/*
 * A group of outputs committed together: an image and its sidecars
 * (OUT.iso.sha256, OUT.iso.drivers.json).  Committing them one by one let a
 * failure on the second leave a new image beside the old sidecar; here
 * nothing is renamed until every file is written, and a failed rename puts
 * back what was there.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct prev {
	char *keep; /* hard link to the file the commit replaces; NULL: there was none */
};

/* ".NAME.w2c-old-PID" beside @path: the previous file while the group commits. */
static char *keep_name(const char *path)
{
	const char *base = strrchr(path, '/');
	int dirlen = base ? (int)(base - path + 1) : 0;
	return w2c_asprintf("%.*s.%s.w2c-old-%d", dirlen, path, base ? base + 1 : path,
			    (int)getpid());
}

/* Keep the file at @path (if any) under a second name so a rollback can restore it. */
static w2c_code keep_previous(const char *path, struct prev *pv, w2c_error *err)
{
	struct stat st;

	pv->keep = NULL;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? W2C_OK
				       : w2c_set_error(err, W2C_ERR_IO, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: is a directory, expected a file name "
				     "(nothing was replaced)", path);
	if (!(pv->keep = keep_name(path)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	unlink(pv->keep);
	if (link(path, pv->keep) == 0)
		return W2C_OK;
	/* no hard links here (vfat, some FUSE): commit in order without a way back */
	free(pv->keep);
	pv->keep = NULL;
	return W2C_OK;
}

static void roll_back(w2c_outfile **files, struct prev *pv, size_t done)
{
	for (size_t j = done; j-- > 0;) {
		if (pv[j].keep)
			rename(pv[j].keep, files[j]->path);
		else
			unlink(files[j]->path);
	}
}

static void forget_previous(struct prev *pv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (pv[i].keep)
			unlink(pv[i].keep);
		free(pv[i].keep);
	}
}

w2c_code w2c_outgroup_commit(w2c_outfile **files, size_t n, w2c_error *err)
{
	struct prev *pv = calloc(n ? n : 1, sizeof *pv);
	w2c_code rc = pv ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	size_t kept = 0, done = 0;

	/* the slow part first, while nothing has a name: a SIGKILL here leaves nothing */
	for (size_t i = 0; !rc && i < n; i++)
		rc = w2c_outfile_sync(files[i], err);
	for (; !rc && kept < n; kept++)
		rc = keep_previous(files[kept]->path, &pv[kept], err);
	/* then each is named and renamed at once, so temp names exist for microseconds */
	while (!rc && done < n) {
		w2c_error e;
		w2c_code sr = w2c_outfile_stage(files[done], &e);
		if (!sr && rename(files[done]->tmpname, files[done]->path) == 0) {
			done++;
			continue;
		}
		if (sr)
			rc = err ? (*err = e).code : sr;
		else
			rc = w2c_set_error(err, W2C_ERR_IO, "%s: cannot rename %s into place: %s; the "
					   "previous outputs were put back", files[done]->path,
					   files[done]->tmpname, strerror(errno));
		roll_back(files, pv, done);
	}
	if (pv)
		forget_previous(pv, kept);
	free(pv);
	for (size_t i = 0; i < n; i++) {
		if (!rc)
			w2c_outfile_done(files[i]);
		else {
			if (i < done) { /* renamed, then rolled back: its temp name is gone */
				free(files[i]->tmpname);
				files[i]->tmpname = NULL;
			}
			w2c_outfile_abort(files[i]);
		}
	}
	return rc;
}
