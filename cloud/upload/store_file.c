/*
 * The file:// store: a local or mounted directory with the same semantics as
 * object storage.  Single files go through an O_TMPFILE (w2c_outfile) and
 * appear complete or not at all; multipart uploads write parts into
 * ".NAME.w2c-ID.part" and log each finished part (after fdatasync) in
 * ".NAME.w2c-ID.parts"; completion renames the staging file over NAME.  HEAD
 * hashes the real content, so verification checks the bytes, not a label.
 */
#include "cloud/upload/store.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct fconn {
	char *path, *dir, *base;
};

w2c_code w2c_store_file_conn(const w2c_store *st, void **conn, w2c_error *err)
{
	struct fconn *c = calloc(1, sizeof *c);
	const char *p = st->target.key, *slash = strrchr(p, '/');

	if (!c)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	c->path = w2c_strdup(p);
	c->dir = slash == p ? w2c_strdup("/") : w2c_strndup(p, (size_t)(slash - p));
	c->base = w2c_strdup(slash + 1);
	*conn = c;
	if (!c->path || !c->dir || !c->base)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	struct stat sb;
	if (stat(c->dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return w2c_set_error(err, W2C_ERR_NOT_FOUND, "target directory %s does not exist", c->dir);
	return W2C_OK;
}

static void f_free(void *conn)
{
	struct fconn *c = conn;
	if (!c)
		return;
	free(c->path);
	free(c->dir);
	free(c->base);
	free(c);
}

/* Bytes already on disk in our staging files for this target (the largest: a
 * resumed upload continues in one of them). */
static uint64_t staged_bytes(const struct fconn *c)
{
	char *prefix = w2c_asprintf(".%s.w2c-", c->base);
	DIR *d = prefix ? opendir(c->dir) : NULL;
	uint64_t best = 0;
	struct dirent *e;

	while (d && (e = readdir(d))) {
		struct stat sb;
		if (strncmp(e->d_name, prefix, strlen(prefix)) || !w2c_str_endswith_ci(e->d_name, ".part"))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
		    (uint64_t)sb.st_blocks * 512 > best)
			best = (uint64_t)sb.st_blocks * 512;
	}
	if (d)
		closedir(d);
	free(prefix);
	return best;
}

w2c_code w2c_store_file_preflight(const w2c_store *st, uint64_t size, w2c_error *err)
{
	void *conn = NULL;
	uint64_t avail = 0;
	w2c_code rc = w2c_store_file_conn(st, &conn, err);
	struct fconn *c = conn;

	if (!rc)
		rc = w2c_free_space(c->dir, &avail, err);
	if (!rc) {
		uint64_t have = staged_bytes(c), need = size > have ? size - have : 0;
		if (avail < need)
			rc = w2c_set_error(err, W2C_ERR_NO_SPACE,
					   "%s: %llu MiB free in %s, the upload needs %llu MiB more; "
					   "nothing was written: free the space and run the same "
					   "command again", c->path, (unsigned long long)(avail >> 20),
					   c->dir, (unsigned long long)((need + (1 << 20) - 1) >> 20));
	}
	f_free(conn);
	return rc;
}

/* A write that hit a full disk or a file size limit: a partial upload there only
 * takes the space the next attempt needs, so it goes, and the message says what
 * to do. */
static w2c_code no_room(const struct fconn *c, const char *part, const char *log, int e,
			w2c_error *err)
{
	if (part)
		unlink(part);
	if (log)
		unlink(log);
	return w2c_set_error(err, W2C_ERR_NO_SPACE, "%s: %s while writing the upload; its partial "
			     "copy %s was removed: %s, then run the same command again (it "
			     "starts over)", c->path, strerror(e), part ? part : "(temporary file)",
			     e == EFBIG ? "the file system or the process's file size limit "
					  "(ulimit -f) cannot hold the file; raise the limit or "
					  "choose another target"
					: "free space in the target directory");
}

/* Upload ids come back from checkpoint files: only our own hex ids name files. */
static char *staging(const struct fconn *c, const char *id, const char *ext)
{
	if (strlen(id) != 16 || strspn(id, "0123456789abcdef") != 16)
		return NULL;
	return w2c_asprintf("%s/.%s.w2c-%s.%s", c->dir, c->base, id, ext);
}

/* Hash @len bytes of @fd from @off (MD5 into @md5 and/or SHA-256 into @sha, either may be NULL). */
static w2c_code hash_range(int fd, uint64_t off, uint64_t len, uint8_t *md5, uint8_t *sha,
			   const char *path, w2c_error *err)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new(), *s = EVP_MD_CTX_new();
	size_t bs = 1 << 20;
	char *buf = malloc(bs);
	w2c_code rc = W2C_OK;

	if (!m || !s || !buf) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	EVP_DigestInit_ex(m, EVP_md5(), NULL);
	EVP_DigestInit_ex(s, EVP_sha256(), NULL);
	while (len) {
		size_t n = len < bs ? (size_t)len : bs;
		if ((rc = w2c_pread_full(fd, buf, n, off, path, err)))
			goto out;
		if (md5)
			EVP_DigestUpdate(m, buf, n);
		if (sha)
			EVP_DigestUpdate(s, buf, n);
		off += n;
		len -= n;
	}
	if (md5)
		EVP_DigestFinal_ex(m, md5, NULL);
	if (sha)
		EVP_DigestFinal_ex(s, sha, NULL);
out:
	EVP_MD_CTX_free(m);
	EVP_MD_CTX_free(s);
	free(buf);
	return rc;
}

/* Copy a payload to @out at @dst_off, checking it still has the MD5 computed earlier. */
static w2c_code copy_payload(const w2c_s3_payload *p, int out, uint64_t dst_off, const char *dst,
			     char *etag, int *werrno, w2c_error *err)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t bs = 1 << 20;
	char *buf = malloc(bs);
	uint8_t md5[16];
	w2c_code rc = W2C_OK;

	if (!m || !buf) {
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		goto out;
	}
	EVP_DigestInit_ex(m, EVP_md5(), NULL);
	for (uint64_t done = 0; done < p->len;) {
		size_t n = p->len - done < bs ? (size_t)(p->len - done) : bs;
		const char *src = p->data ? (const char *)p->data + done : buf;
		if (!p->data && (rc = w2c_pread_full(p->fd, buf, n, p->offset + done, "source file", err)))
			goto out;
		EVP_DigestUpdate(m, src, n);
		for (size_t w = 0; w < n;) {
			ssize_t r = pwrite(out, src + w, n - w, (off_t)(dst_off + done + w));
			if (r <= 0) { /* a short write is followed by the error it stopped at */
				int e = r < 0 ? errno : ENOSPC;
				if (r < 0 && e == EINTR)
					continue;
				rc = w2c_set_error(err, e == ENOSPC || e == EFBIG || e == EDQUOT
							? W2C_ERR_NO_SPACE : W2C_ERR_IO,
						   "%s: write failed: %s", dst, strerror(e));
				if (werrno)
					*werrno = e;
				goto out;
			}
			w += (size_t)r;
		}
		done += n;
		if (p->progress && p->progress(p->progress_user, done, p->len, 0)) {
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "%s: interrupted", dst);
			goto out;
		}
	}
	EVP_DigestFinal_ex(m, md5, NULL);
	if (memcmp(md5, p->md5, 16))
		rc = w2c_set_error(err, W2C_ERR_VIOLATIONS,
				   "%s: the source bytes at offset %llu changed since they were hashed "
				   "(is the file being modified?)", dst, (unsigned long long)p->offset);
	w2c_hex(md5, 16, etag);
out:
	EVP_MD_CTX_free(m);
	free(buf);
	return rc;
}

static w2c_code f_head(void *conn, w2c_s3_object *obj, w2c_error *err)
{
	struct fconn *c = conn;
	struct stat sb;
	uint8_t sha[32];
	w2c_code rc;

	memset(obj, 0, sizeof *obj);
	int fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO, "%s: %s",
				     c->path, strerror(errno));
	fstat(fd, &sb);
	obj->size = (uint64_t)sb.st_size;
	strcpy(obj->storage_class, "STANDARD");
	rc = hash_range(fd, 0, obj->size, NULL, sha, c->path, err);
	if (!rc)
		w2c_hex(sha, 32, obj->sha256);
	close(fd);
	return rc;
}

static w2c_code f_put(void *conn, const w2c_s3_payload *p, const char *sc, const char *sha,
		      char *etag, w2c_error *err)
{
	struct fconn *c = conn;
	w2c_outfile of;
	w2c_code rc;
	(void)sc, (void)sha;

	if ((rc = w2c_outfile_open(&of, c->path, 0644, err)))
		return rc;
	int we = 0;
	if ((rc = copy_payload(p, of.fd, 0, c->path, etag, &we, err))) {
		w2c_outfile_abort(&of); /* an unnamed inode: nothing is left */
		return we == ENOSPC || we == EFBIG || we == EDQUOT ? no_room(c, NULL, NULL, we, err) : rc;
	}
	return w2c_outfile_commit(&of, err);
}

static w2c_code f_init(void *conn, const char *sc, const char *sha, char **id, w2c_error *err)
{
	struct fconn *c = conn;
	uint8_t rnd[8];
	char hex[17];
	(void)sc, (void)sha;

	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return w2c_set_error(err, W2C_ERR_IO, "getrandom failed");
	w2c_hex(rnd, sizeof rnd, hex);
	char *part = staging(c, hex, "part"), *log = staging(c, hex, "parts");
	int fd = part ? open(part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644) : -1;
	int lfd = log ? open(log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
	w2c_code rc = W2C_OK;
	if (fd < 0 || lfd < 0)
		rc = w2c_set_error(err, W2C_ERR_IO, "cannot create %s: %s", part ? part : c->dir,
				   strerror(errno));
	else if (!(*id = w2c_strdup(hex)))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
	free(part);
	free(log);
	return rc;
}

static w2c_code f_part(void *conn, const char *id, unsigned n, const w2c_s3_payload *p, char *etag,
		       w2c_error *err)
{
	struct fconn *c = conn;
	char *part = staging(c, id, "part"), *log = staging(c, id, "parts");
	int fd = part ? open(part, O_WRONLY | O_CLOEXEC) : -1, lfd = -1;
	w2c_code rc;

	if (fd < 0) {
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND, "upload %s: staging file %s is gone", id,
				   part ? part : "");
		goto out;
	}
	int we = 0;
	if ((rc = copy_payload(p, fd, p->offset, part, etag, &we, err))) {
		if (we == ENOSPC || we == EFBIG || we == EDQUOT)
			rc = no_room(c, part, log, we, err);
		goto out;
	}
	if (fdatasync(fd) != 0) {
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: fdatasync: %s", part, strerror(errno));
		goto out;
	}
	/* one short O_APPEND write per part: lines never interleave */
	char line[128];
	int l = snprintf(line, sizeof line, "%u %llu %llu %s\n", n, (unsigned long long)p->offset,
			 (unsigned long long)p->len, etag);
	lfd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (lfd < 0 || write(lfd, line, (size_t)l) != l || fdatasync(lfd) != 0)
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: cannot record part %u: %s", log, n,
				   strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
	free(part);
	free(log);
	return rc;
}

/* Parts from the log whose bytes in the staging file still have the logged MD5. */
static w2c_code f_list(void *conn, const char *id, w2c_s3_part **parts, size_t *count,
		       w2c_error *err)
{
	struct fconn *c = conn;
	char *part = staging(c, id, "part"), *log = staging(c, id, "parts"), *data = NULL;
	size_t len = 0;
	int fd = part ? open(part, O_RDONLY | O_CLOEXEC) : -1;
	w2c_code rc = W2C_OK;

	*parts = NULL;
	*count = 0;
	if (fd < 0 || w2c_read_file(log, 16u << 20, &data, &len, NULL)) {
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND, "upload %s in %s: no such upload", id, c->dir);
		goto out;
	}
	for (char *line = data, *next; line && *line; line = next) {
		unsigned n;
		unsigned long long off, plen;
		char et[40];
		uint8_t md5[16];
		char hex[33];
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%u %llu %llu %32s", &n, &off, &plen, et) != 4 || !n || n > 10000)
			continue; /* a torn last line after a crash */
		if (hash_range(fd, off, plen, md5, NULL, part, NULL))
			continue;
		w2c_hex(md5, 16, hex);
		if (strcmp(hex, et))
			continue;
		w2c_s3_part *np = realloc(*parts, (*count + 1) * sizeof *np);
		if (!np) {
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
			break;
		}
		*parts = np;
		np[*count].number = n;
		np[*count].size = plen;
		snprintf(np[*count].etag, sizeof np[*count].etag, "%s", et);
		(*count)++;
	}
out:
	if (fd >= 0)
		close(fd);
	free(data);
	free(part);
	free(log);
	return rc;
}

static w2c_code f_complete(void *conn, const char *id, const w2c_s3_part *parts, size_t count,
			   char *etag, w2c_error *err)
{
	struct fconn *c = conn;
	char *part = staging(c, id, "part"), *log = staging(c, id, "parts");
	int fd = part ? open(part, O_WRONLY | O_CLOEXEC) : -1, dfd = -1;
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	uint8_t md5[16], all[16];
	w2c_code rc = W2C_OK;

	if (fd < 0 || !m) {
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND, "upload %s in %s: no such upload", id, c->dir);
		goto out;
	}
	EVP_DigestInit_ex(m, EVP_md5(), NULL);
	for (size_t i = 0; i < count; i++) {
		for (int k = 0; k < 16; k++)
			sscanf(parts[i].etag + 2 * k, "%2hhx", &md5[k]);
		EVP_DigestUpdate(m, md5, 16);
	}
	EVP_DigestFinal_ex(m, all, NULL);
	w2c_hex(all, 16, etag);
	snprintf(etag + 32, 48, "-%zu", count);
	dfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fsync(fd) != 0 || rename(part, c->path) != 0 || (dfd >= 0 && fsync(dfd) != 0)) {
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: cannot put the upload in place: %s", c->path,
				   strerror(errno));
		goto out;
	}
	unlink(log);
out:
	EVP_MD_CTX_free(m);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(part);
	free(log);
	return rc;
}

static w2c_code f_abort(void *conn, const char *id, w2c_error *err)
{
	struct fconn *c = conn;
	char *part = staging(c, id, "part"), *log = staging(c, id, "parts");
	(void)err;

	if (part)
		unlink(part);
	if (log)
		unlink(log);
	free(part);
	free(log);
	return W2C_OK;
}

const w2c_store_ops w2c_store_file_ops = {
	"file", f_free, f_head, f_put, f_init, f_part, f_list, f_complete, f_abort, NULL, UINT64_MAX,
};
