/* The work disk (an unnamed qcow2 QEMU reaches through /proc) and its
 * conversion into the output: complete or absent, with a .sha256. */
#include "inject/install/install_int.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *dir_of(const char *path)
{
	char *tmp = w2c_strdup(path), *d = tmp ? w2c_strdup(dirname(tmp)) : NULL;
	free(tmp);
	return d;
}

char *ins_evidence_path(const w2c_install_options *o, const char *suffix)
{
	const char *base = strrchr(o->output, '/') ? strrchr(o->output, '/') + 1 : o->output;
	char *dir = o->evidence_dir ? w2c_strdup(o->evidence_dir) : dir_of(o->output);
	char *p = dir ? w2c_asprintf("%s/%s%s", dir, base, suffix) : NULL;
	free(dir);
	return p;
}

/* An unnamed file in @dir: nothing to clean up after a SIGKILL. */
int ins_unnamed_file(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		char *t = w2c_asprintf("%s/.w2c-install.XXXXXX", dir);
		fd = t ? mkostemp(t, O_CLOEXEC) : -1;
		if (fd >= 0)
			unlink(t);
		free(t);
	}
	return fd;
}

/* Run qemu-img with @argv to its end (interruptible); W2C_OK on exit status 0. */
static w2c_code run_tool(ins_run *run, char *const *argv, const char *what, w2c_error *err)
{
	int efd = ins_unnamed_file("/tmp"), status = 0, w;
	pid_t pid;
	w2c_code rc = ins_spawn(argv, -1, efd, &pid, err);

	if (!rc) {
		w = ins_wait(run->o, pid, 1e9, &status);
		if (w != 1) {
			ins_kill(pid);
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "%s: interrupted; nothing written",
					   what);
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			char msg[512] = "";
			ssize_t n = efd >= 0 ? pread(efd, msg, sizeof msg - 1, 0) : 0;
			msg[n > 0 ? n : 0] = 0;
			msg[strcspn(msg, "\n")] = 0;
			rc = w2c_set_error(err, W2C_ERR_EXTERNAL, "%s: %s failed (%s)", what, argv[0],
					   *msg ? msg : "no message");
		}
	}
	if (efd >= 0)
		close(efd);
	return rc;
}

w2c_code ins_disk_create(ins_run *run, w2c_error *err)
{
	const w2c_install_options *o = run->o;
	char *dir = dir_of(o->output), *path = NULL, *size = NULL;
	w2c_code rc;

	run->disk_fd = dir ? ins_unnamed_file(dir) : -1;
	if (run->disk_fd < 0) {
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: cannot create the work disk in %s: %s",
				   o->output, dir ? dir : "?", strerror(errno));
		free(dir);
		return rc;
	}
	path = ins_fd_path(run->disk_fd);
	size = w2c_asprintf("%llu", (unsigned long long)o->size);
	char *argv[] = { (char *)(o->qemu_img ? o->qemu_img : "qemu-img"), "create", "-q", "-f", "qcow2",
			 path, size, NULL };
	rc = path && size ? run_tool(run, argv, "work disk", err)
			  : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	free(path);
	free(size);
	free(dir);
	return rc;
}

static w2c_code hash_fd(int fd, const char *name, char out[65], uint64_t *bytes, w2c_error *err)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *buf = malloc(1 << 20), dig[32];
	uint64_t off = 0;
	ssize_t n;
	w2c_code rc = W2C_OK;

	if (!md || !buf || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	while ((n = pread(fd, buf, 1 << 20, (off_t)off)) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += (uint64_t)n;
	}
	if (n < 0) {
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: read back for SHA-256: %s", name, strerror(errno));
		goto out;
	}
	EVP_DigestFinal_ex(md, dig, NULL);
	w2c_hex(dig, 32, out);
	*bytes = off;
out:
	EVP_MD_CTX_free(md);
	free(buf);
	return rc;
}

static w2c_code write_sidecar(const char *out, const char *sha, w2c_error *err)
{
	const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
	char *line = w2c_asprintf("%s  %s\n", sha, base), *sp = w2c_asprintf("%s.sha256", out);
	w2c_code rc = line && sp ? w2c_write_file_atomic(sp, line, strlen(line), 0644, err)
				 : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	free(line);
	free(sp);
	return rc;
}

/* qemu-img convert's options for the output format. */
static size_t convert_argv(const ins_run *run, char **v, char *src, char *dst)
{
	const w2c_install_options *o = run->o;
	size_t n = 0;
	v[n++] = (char *)(o->qemu_img ? o->qemu_img : "qemu-img");
	v[n++] = "convert";
	v[n++] = "-q";
	v[n++] = "-f";
	v[n++] = "qcow2";
	v[n++] = "-O";
	v[n++] = (char *)o->format;
	if (!strcmp(o->format, "qcow2") && !o->no_compress)
		v[n++] = "-c";
	if (!strcmp(o->format, "vpc")) {
		/* the exact virtual size, not one rounded to a CHS geometry */
		v[n++] = "-o";
		v[n++] = "subformat=dynamic,force_size=on";
	}
	v[n++] = src;
	v[n++] = dst;
	v[n] = NULL;
	return n;
}

w2c_code ins_disk_convert(ins_run *run, w2c_error *err)
{
	const w2c_install_options *o = run->o;
	w2c_outfile of;
	char *src = ins_fd_path(run->disk_fd), *dst = NULL, *argv[16];
	w2c_code rc = w2c_outfile_open(&of, o->output, 0644, err);

	if (rc) {
		free(src);
		return rc;
	}
	dst = ins_fd_path(of.fd);
	if (!src || !dst) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto fail;
	}
	convert_argv(run, argv, src, dst);
	ins_emit(run, "convert", o->format);
	if ((rc = run_tool(run, argv, o->output, err)))
		goto fail;
	/* the write side is O_WRONLY: read the result back through /proc */
	int rd = open(dst, O_RDONLY | O_CLOEXEC);
	if (rd < 0) {
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: reopen to hash: %s", o->output, strerror(errno));
		goto fail;
	}
	rc = hash_fd(rd, o->output, run->res->sha256, &run->res->bytes, err);
	close(rd);
	if (rc)
		goto fail;
	if ((rc = w2c_outfile_commit(&of, err)))
		goto out;
	rc = write_sidecar(o->output, run->res->sha256, err);
	goto out;
fail:
	w2c_outfile_abort(&of);
out:
	free(src);
	free(dst);
	return rc;
}
