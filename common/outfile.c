/* Atomic output files: complete or absent, never half written. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir_of(const char *path)
{
	char *tmp = w2c_strdup(path), *d;
	if (!tmp)
		return NULL;
	d = w2c_strdup(dirname(tmp));
	free(tmp);
	return d;
}

static char *temp_name(const char *path)
{
	char *tmp = w2c_strdup(path), *dir, *base, *out;
	if (!tmp)
		return NULL;
	base = strrchr(tmp, '/');
	if (base) {
		*base++ = 0;
		dir = tmp;
	} else {
		base = tmp;
		dir = ".";
	}
	out = w2c_asprintf("%s/.%s.XXXXXX.part", *dir ? dir : "/", base);
	free(tmp);
	return out;
}

w2c_code w2c_outfile_open(w2c_outfile *of, const char *path, mode_t mode, w2c_error *err)
{
	char *dir = dir_of(path);

	memset(of, 0, sizeof *of);
	of->fd = -1;
	of->path = w2c_strdup(path);
	if (!dir || !of->path) {
		free(dir);
		free(of->path);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	/* Unnamed first: a killed process leaves no trace at all. */
	of->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	if (of->fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		of->tmpname = temp_name(path);
		if (of->tmpname) {
			int fd = mkostemps(of->tmpname, 5, O_CLOEXEC);
			if (fd >= 0)
				fchmod(fd, mode);
			of->fd = fd;
		}
	}
	if (of->fd < 0) {
		int e = errno;
		w2c_set_error(err, e == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
			      "%s: cannot create output in directory %s: %s", path, dir, strerror(e));
		free(dir);
		w2c_outfile_abort(of);
		return err ? err->code : W2C_ERR_IO;
	}
	free(dir);
	return W2C_OK;
}

/* Fsync the data and give an O_TMPFILE inode a hidden name beside the target,
 * so that what is left is one rename (which a group commit orders). */
w2c_code w2c_outfile_sync(w2c_outfile *of, w2c_error *err)
{
	if (!of->nosync && !of->synced && fsync(of->fd) < 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: fsync: %s", of->path, strerror(errno));
	of->synced = true;
	return W2C_OK;
}

w2c_code w2c_outfile_stage(w2c_outfile *of, w2c_error *err)
{
	w2c_code rc = w2c_outfile_sync(of, err);
	if (rc)
		return rc;
	if (of->tmpname)
		return W2C_OK;
	char proc[64];
	of->tmpname = temp_name(of->path);
	if (!of->tmpname)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	/* Turn XXXXXX into something unique enough: our pid and the fd. */
	char *x = strstr(of->tmpname, "XXXXXX");
	if (x) {
		char pid[16];
		snprintf(pid, sizeof pid, "%04d%02d", (int)(getpid() % 10000), of->fd % 100);
		memcpy(x, pid, 6);
	}
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", of->fd);
	unlink(of->tmpname);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, of->tmpname, AT_SYMLINK_FOLLOW) < 0) {
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: cannot link output: %s",
					    of->tmpname, strerror(errno));
		free(of->tmpname);
		of->tmpname = NULL;
		return rc;
	}
	return W2C_OK;
}

void w2c_outfile_sync_dir(const char *path)
{
	char *dir = dir_of(path);
	int dfd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
}

/* After the rename: the name is the target's now; release the rest. */
void w2c_outfile_done(w2c_outfile *of)
{
	free(of->tmpname);
	of->tmpname = NULL;
	close(of->fd);
	of->fd = -1;
	if (!of->nosync)
		w2c_outfile_sync_dir(of->path); /* make the rename itself durable */
	free(of->path);
	of->path = NULL;
}

w2c_code w2c_outfile_commit(w2c_outfile *of, w2c_error *err)
{
	w2c_code rc = w2c_outfile_stage(of, err);

	if (!rc && rename(of->tmpname, of->path) < 0)
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: cannot rename %s into place: %s", of->path,
				   of->tmpname, strerror(errno));
	if (rc) {
		w2c_outfile_abort(of);
		return rc;
	}
	w2c_outfile_done(of);
	return W2C_OK;
}

void w2c_outfile_abort(w2c_outfile *of)
{
	if (of->fd >= 0)
		close(of->fd);
	of->fd = -1;
	if (of->tmpname)
		unlink(of->tmpname);
	free(of->tmpname);
	free(of->path);
	of->tmpname = NULL;
	of->path = NULL;
}

w2c_code w2c_write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
				bool sync, w2c_error *err)
{
	w2c_outfile of;
	w2c_code rc = w2c_outfile_open(&of, path, mode, err);
	if (rc)
		return rc;
	of.nosync = !sync;
	rc = w2c_write_full(of.fd, data, len, path, err);
	if (rc) {
		w2c_outfile_abort(&of);
		return rc;
	}
	return w2c_outfile_commit(&of, err);
}

w2c_code w2c_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			       w2c_error *err)
{
	return w2c_write_file_replace(path, data, len, mode, true, err);
}
