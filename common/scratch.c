/*
 * Scratch space shared by the stages that need large temporary files (a split
 * build's WIM parts, a serviced WIM): where it may go, whether it has room,
 * and the sweep of what killed runs left.  Scratch directories are named
 * .w2c-KIND.PID.XXXXXX by w2c_scratch_name().
 */
#include "common/scratch.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *w2c_scratch_name(const char *base, const char *kind)
{
	return w2c_asprintf("%s/.w2c-%s.%ld.XXXXXX", base, kind, (long)getpid());
}

/* ".w2c-KIND.PID." with KIND of lower-case letters: the PID, else false. */
static bool scratch_pid(const char *name, long *pid)
{
	const char *p = name;
	if (strncmp(p, ".w2c-", 5))
		return false;
	p += 5;
	const char *k = p;
	while (*p >= 'a' && *p <= 'z')
		p++;
	if (p == k || *p != '.')
		return false;
	char *end;
	errno = 0;
	*pid = strtol(p + 1, &end, 10);
	return !errno && end != p + 1 && *end == '.' && *pid > 0;
}

/* A run killed while it used scratch space leaves .w2c-KIND.PID.* (KIND is
 * the user: "split" for a split build, "service" for WIM servicing); the next
 * run in the same place removes those whose process is gone. */
void w2c_scratch_sweep(const char *base)
{
	DIR *d = opendir(base);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		long pid = 0;
		if (!scratch_pid(e->d_name, &pid) ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char *dir = w2c_asprintf("%s/%s", base, e->d_name);
		if (dir)
			w2c_rm_tree(dir);
		free(dir);
	}
	if (d)
		closedir(d);
}

/* Where scratch files may go: --tmpdir or the output's directory, then
 * $TMPDIR.  Returns what the caller frees once done with cand[0]. */
char *w2c_scratch_candidates(const char *out, const char *tmpdir, const char *cand[2])
{
	char *tmp = tmpdir || !out ? NULL : w2c_strdup(out);
	cand[0] = tmpdir ? tmpdir : tmp ? dirname(tmp) : NULL;
	cand[1] = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	return tmp;
}

/* The first candidate when it has room for the image and the scratch files, else the second. */
w2c_code w2c_scratch_dir(const char *const cand[2], uint64_t need, uint64_t image, char **dir,
			 w2c_error *err)
{
	uint64_t avail[2] = { 0, 0 };

	*dir = NULL;
	for (int i = 0; i < 2 && cand[i] && !*dir; i++) {
		if (w2c_free_space(cand[i], &avail[i], NULL))
			continue;
		if (avail[i] >= need + (i == 0 ? image : 0))
			*dir = w2c_strdup(cand[i]);
	}
	w2c_code rc = W2C_OK;
	if (!*dir)
		rc = w2c_set_error(err, W2C_ERR_NO_SPACE, "splitting or servicing WIMs needs %llu MiB of scratch "
				   "space: %s has %llu MiB free (and the image needs %llu MiB there), "
				   "%s has %llu MiB (set TMPDIR or use --large-files multi-extent)",
				   (unsigned long long)(need >> 20), cand[0] ? cand[0] : "?",
				   (unsigned long long)(avail[0] >> 20), (unsigned long long)(image >> 20),
				   cand[1], (unsigned long long)(avail[1] >> 20));
	return rc;
}

