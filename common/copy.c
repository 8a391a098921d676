/*
 * Copying file data in the kernel (copy_file_range, read/write where the file
 * systems refuse) and removing scratch trees: used by unpack, the split build
 * and WIM servicing.
 */
#include "common/util.h"

#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Kernel-side copy of [off, off+len) of @in (named @in_path) to @out's
 * position; falls back to read/write.  @step is told every chunk done;
 * nonzero stops. */
w2c_code w2c_copy_range(int in_fd, const char *in_path, uint64_t off, uint64_t len, int out,
			const char *path, w2c_code (*step)(void *user, uint64_t n), void *user,
			w2c_error *err)
{
	static const size_t chunk = 8u << 20;
	while (len) {
		size_t n = len < chunk ? (size_t)len : chunk;
		loff_t in = (loff_t)off;
		ssize_t r = copy_file_range(in_fd, &in, out, NULL, n, 0);
		if (r < 0 && errno == EINTR) {
			/* a signal (the CLI's SIGINT handler has no SA_RESTART): @step decides
			 * whether that was a request to stop, else the copy goes on */
			w2c_code rc = step ? step(user, 0) : W2C_OK;
			if (rc)
				return rc;
			continue;
		}
		if (r < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			uint8_t *buf = malloc(n);
			w2c_code rc = buf ? w2c_pread_full(in_fd, buf, n, off, in_path, err)
					  : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			if (!rc)
				rc = w2c_write_full(out, buf, n, path, err);
			free(buf);
			if (rc)
				return rc;
			r = (ssize_t)n;
		} else if (r < 0) {
			return w2c_set_error(err, errno == ENOSPC ? W2C_ERR_NO_SPACE : W2C_ERR_IO,
					     "%s: copy from %s at offset %llu: %s", path, in_path,
					     (unsigned long long)off, strerror(errno));
		} else if (r == 0) {
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: ends before offset %llu",
					     in_path, (unsigned long long)off);
		}
		off += (uint64_t)r;
		len -= (uint64_t)r;
		w2c_code rc = step ? step(user, (uint64_t)r) : W2C_OK;
		if (rc)
			return rc;
	}
	return W2C_OK;
}

w2c_code w2c_copy_local(const char *local, uint64_t len, int out, const char *path,
			w2c_code (*step)(void *user, uint64_t n), void *user, w2c_error *err)
{
	int fd = open(local, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: %s", local, strerror(errno));
	w2c_code rc = w2c_copy_range(fd, local, 0, len, out, path, step, user, err);
	close(fd);
	return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Scratch trees hold only regular files and directories of ours: no links are followed. */
void w2c_rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
