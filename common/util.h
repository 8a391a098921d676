/* Internal helpers shared by every area of libwin2cloud (not installed). */
#ifndef W2C_COMMON_UTIL_H
#define W2C_COMMON_UTIL_H

#include "win2cloud.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- memory and strings ---- */
char *w2c_strdup(const char *s);
char *w2c_strndup(const char *s, size_t n);
char *w2c_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* ASCII case-insensitive compare, as Windows names compare. */
int w2c_strcasecmp(const char *a, const char *b);
bool w2c_str_endswith_ci(const char *s, const char *suffix);
/* Convert UTF-16LE (no BOM handling) to a new UTF-8 string; NULL on bad input. */
char *w2c_utf16le_to_utf8(const uint8_t *in, size_t len);
/* Convert UTF-8 to new UTF-16LE bytes (no terminator added unless in it). */
uint8_t *w2c_utf8_to_utf16le(const char *in, size_t *out_len);
/* Convert big-endian UCS-2 (Joliet) to UTF-8. */
char *w2c_ucs2be_to_utf8(const uint8_t *in, size_t len);
void w2c_hex(const uint8_t *in, size_t n, char *out /* 2n+1 */);
/* Value of one hex digit, or -1. */
int w2c_hexval(int c);
/* Lower-case hex SHA-256 of @len bytes (OpenSSL). */
void w2c_sha256_hex(const void *data, size_t len, char out[65]);

/* ---- files ---- */
/* pread() the full @len bytes or fail (short read at EOF is W2C_ERR_INVALID_INPUT). */
w2c_code w2c_pread_full(int fd, void *buf, size_t len, uint64_t off, const char *path,
			w2c_error *err);
w2c_code w2c_write_full(int fd, const void *buf, size_t len, const char *path, w2c_error *err);
/* mkdir -p; mode 0755. */
w2c_code w2c_mkdirs(const char *path, w2c_error *err);
/* Free bytes available to an unprivileged writer in the filesystem holding @path. */
w2c_code w2c_free_space(const char *path, uint64_t *bytes, w2c_error *err);
/* Read a whole (small) file into memory, NUL-terminated. */
w2c_code w2c_read_file(const char *path, size_t max, char **data, size_t *len, w2c_error *err);
/* Copy [off, off+len) of @in_fd (named @in_path) to the current position of
 * @out in the kernel (copy_file_range; read/write where refused); @step hears
 * of every chunk and stops the copy by returning an error (common/copy.c). */
w2c_code w2c_copy_range(int in_fd, const char *in_path, uint64_t off, uint64_t len, int out,
			const char *path, w2c_code (*step)(void *user, uint64_t n), void *user,
			w2c_error *err);
/* The same for [0, len) of the local file @local (a /proc/self/fd/N path works). */
w2c_code w2c_copy_local(const char *local, uint64_t len, int out, const char *path,
			w2c_code (*step)(void *user, uint64_t n), void *user, w2c_error *err);
/* Remove the directory @dir and everything below it (scratch directories). */
void w2c_rm_tree(const char *dir);

/*
 * Output files that appear only when complete.  The data goes to an unnamed
 * O_TMPFILE inode in the target directory (so a SIGKILL leaves nothing
 * behind); commit() fsyncs, links it under a temp name and renames it over
 * the target.  Where O_TMPFILE is unsupported a ".NAME.XXXXXX.part" file is
 * used and abort() unlinks it.
 */
typedef struct w2c_outfile {
	int fd;
	char *path;     /* final name */
	char *tmpname;  /* named temp (fallback only) */
	bool nosync;    /* skip fsync at commit (caller syncs the file system) */
	bool synced;    /* fsynced already (w2c_outfile_sync): stage() only names it */
} w2c_outfile;

w2c_code w2c_outfile_open(w2c_outfile *of, const char *path, mode_t mode, w2c_error *err);
w2c_code w2c_outfile_commit(w2c_outfile *of, w2c_error *err);
void w2c_outfile_abort(w2c_outfile *of);
/* The two halves of commit, for w2c_outgroup_commit: stage() fsyncs and names
 * the temp file; after rename(of->tmpname, of->path), done() releases it. */
w2c_code w2c_outfile_stage(w2c_outfile *of, w2c_error *err);
/* The fsync of stage() alone, for a group: the slow part, done before any name exists. */
w2c_code w2c_outfile_sync(w2c_outfile *of, w2c_error *err);
void w2c_outfile_done(w2c_outfile *of);
void w2c_outfile_sync_dir(const char *path);
/*
 * Commit @n outfiles as one output: files[n-1] is the main file (an image),
 * the others its sidecars (checksum, manifest).  All are written and staged
 * before any rename; the sidecars are renamed first and the main file last,
 * so no reader sees a new image beside an old sidecar; when a rename fails
 * the ones done are rolled back to the previous files (kept as hard links
 * until the end).  On failure every outfile is aborted and the previous
 * outputs are as they were.
 */
w2c_code w2c_outgroup_commit(w2c_outfile **files, size_t n, w2c_error *err);
/* Write @len bytes from @data to @path atomically and durably. */
w2c_code w2c_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			       w2c_error *err);
/* The same; without @sync the file is whole after a crash of the process, not of the machine. */
w2c_code w2c_write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
				bool sync, w2c_error *err);

/* @prog is executable, as given (with a '/') or found on $PATH: checked before a
 * tool is spawned, so the error names it (an exec failure in a child could not). */
bool w2c_on_path(const char *prog);

/* ---- time ---- */
double w2c_now(void); /* monotonic seconds */

#endif
