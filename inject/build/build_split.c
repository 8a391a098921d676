/*
 * --large-files split: a WIM/ESD too big for one ISO 9660 extent becomes
 * NAME.swm, NAME2.swm, ... (wimlib_split), which Windows Setup installs from.
 *
 * wimlib opens WIMs by path only, so a WIM inside the source image is staged
 * (copy_file_range) to a scratch file in a private directory, unlinked once
 * wimlib has it open.  The parts wimlib writes there are unlinked as soon as
 * we hold them open (the image writer reads them through /proc/self/fd/N).
 * A killed build therefore leaves files behind only while the WIM is staged
 * or wimlib is writing the parts (the next build sweeps them), and an
 * interrupted or failed one none at all.
 * The tree is edited for the build and put back afterwards.
 */
#include "build_int.h"
#include "common/scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>

#define PART_SIZE (4000ull << 20) /* below 4 GiB, like DISM /Split-Image /FileSize:4000 */
#define MAX_PARTS 64

struct w2c_split_job {
	w2c_node *orig, *parent;
	w2c_node *parts[MAX_PARTS];
	int fds[MAX_PARTS];
	size_t n_parts;
};

struct split_ctx {
	w2c_media *m;
	const w2c_build_options *o;
	w2c_build_result *res;
	w2c_error *err;
	const char *item;
	uint64_t split_done, split_total; /* wimlib's split totals, compressed bytes */
};

static bool splittable(const w2c_node *n)
{
	return !n->is_dir && n->size > W2C_ISO_EXTENT_MAX &&
	       (w2c_str_endswith_ci(n->name, ".wim") || w2c_str_endswith_ci(n->name, ".esd"));
}

static int count_big(w2c_node *n, void *user)
{
	if (splittable(n))
		*(uint64_t *)user += n->size * (n->src == W2C_SRC_LOCAL && strncmp(n->local_path, "/proc/self/fd/", 14) ? 1 : 2);
	return 0;
}

/* Bytes of scratch space the split needs besides the image: each WIM staged
 * (unless it is a local file) and its parts. */
static uint64_t scratch_need(w2c_media *m, const w2c_build_options *o)
{
	uint64_t need = 0;
	if (o->large_files == W2C_LARGE_SPLIT)
		w2c_tree_walk(w2c_media_root(m), count_big, &need);
	return need;
}

static enum wimlib_progress_status on_wim_progress(enum wimlib_progress_msg msg,
						   union wimlib_progress_info *info, void *user)
{
	struct split_ctx *c = user;
	uint64_t done;
	/* WRITE_STREAMS counts within the part being written (and its total is
	 * uncompressed): add it to the parts done, in the split's compressed bytes */
	if (msg == WIMLIB_PROGRESS_MSG_SPLIT_BEGIN_PART || msg == WIMLIB_PROGRESS_MSG_SPLIT_END_PART) {
		c->split_done = done = info->split.completed_bytes;
		c->split_total = info->split.total_bytes;
	} else if (msg == WIMLIB_PROGRESS_MSG_WRITE_STREAMS && c->split_total) {
		done = c->split_done + info->write_streams.completed_compressed_bytes;
		done = done < c->split_total ? done : c->split_total;
	} else {
		return WIMLIB_PROGRESS_STATUS_CONTINUE;
	}
	if (w2c_progress_report(c->o->progress, "split", c->item, done, c->split_total))
		return WIMLIB_PROGRESS_STATUS_ABORT;
	return WIMLIB_PROGRESS_STATUS_CONTINUE;
}

static w2c_code wimerr(struct split_ctx *c, int r, const char *what, const char *path)
{
	return w2c_set_error(c->err, r == WIMLIB_ERR_ABORTED_BY_PROGRESS ? W2C_ERR_INTERRUPTED :
				     r == WIMLIB_ERR_WRITE ? W2C_ERR_IO : W2C_ERR_EXTERNAL,
			     "wimlib: %s %s (%s): %s", what, c->item, path, wimlib_get_error_string(r));
}

/* "install.wim" -> "install.swm", "install2.swm", ... (extension case kept). */
static char *part_name(const char *name, size_t k)
{
	const char *dot = strrchr(name, '.');
	bool upper = dot && dot[1] >= 'A' && dot[1] <= 'Z';
	char num[24] = "";
	if (k > 1)
		snprintf(num, sizeof num, "%zu", k);
	return w2c_asprintf("%.*s%s.%s", (int)(dot - name), name, num, upper ? "SWM" : "swm");
}

/* Open and unlink each part wimlib wrote; hang them into the tree. */
static w2c_code take_parts(struct split_ctx *c, const char *dir, struct w2c_split_job *j)
{
	w2c_code rc = W2C_OK;
	for (size_t k = 1; !rc && k <= MAX_PARTS; k++) {
		char *name = part_name(j->orig->name, k), *path = name ? w2c_asprintf("%s/%s", dir, name) : NULL;
		struct stat st;
		int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
		w2c_node *n = NULL;
		if (fd < 0 || fstat(fd, &st) < 0) {
			if (fd >= 0)
				close(fd);
			free(name);
			free(path);
			break;
		}
		unlink(path);
		j->fds[j->n_parts] = fd;
		if (!(n = w2c_node_new(name, false)) || !(n->local_path = w2c_asprintf("/proc/self/fd/%d", fd)) ||
		    w2c_node_add(j->parent, n, c->err)) {
			w2c_node_free(n);
			rc = w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
		} else {
			n->src = W2C_SRC_LOCAL;
			n->size = (uint64_t)st.st_size;
			n->mtime = j->orig->mtime;
			n->atime = j->orig->atime;
			n->ctime = j->orig->ctime;
			n->hidden = j->orig->hidden;
			j->parts[j->n_parts] = n;
		}
		j->n_parts++;
		free(name);
		free(path);
	}
	if (!rc && !j->n_parts)
		rc = w2c_set_error(c->err, W2C_ERR_EXTERNAL, "wimlib: split of %s wrote no parts", c->item);
	return rc;
}

static void unlink_parts(const char *dir, const char *name)
{
	for (size_t k = 1; k <= MAX_PARTS; k++) {
		char *p = part_name(name, k), *q = p ? w2c_asprintf("%s/%s", dir, p) : NULL;
		if (q)
			unlink(q);
		free(p);
		free(q);
	}
	rmdir(dir);
}

/* wimlib opens a local WIM by its name; an unlinked one (/proc/self/fd/N) is staged. */
static bool in_place(const w2c_node *n)
{
	return n->src == W2C_SRC_LOCAL && strncmp(n->local_path, "/proc/self/fd/", 14);
}

/* The scratch directory holds named files only while the WIM is staged and
 * wimlib writes the parts; a build killed then leaves it to the next sweep. */
static w2c_code split_one(struct split_ctx *c, const char *base, struct w2c_split_job *j)
{
	const w2c_node *n = j->orig;
	char *first = part_name(n->name, 1), *dir = w2c_scratch_name(base, "split");
	char *src = NULL, *dest = NULL;
	WIMStruct *wim = NULL;
	int fd = -1, r;
	w2c_code rc = first && dir ? W2C_OK : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");

	if (!rc && !mkdtemp(dir))
		rc = w2c_set_error(c->err, W2C_ERR_IO, "%s: cannot create scratch directory: %s", dir,
				   strerror(errno));
	if (!rc && !(dest = w2c_asprintf("%s/%s", dir, first)))
		rc = w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
	if (!rc)
		src = in_place(n) ? w2c_strdup(n->local_path) : w2c_asprintf("%s/source.wim", dir);
	if (!rc && !src)
		rc = w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
	if (!rc && !in_place(n))
		rc = w2c_media_stage_file(c->m, n, src, &fd, c->o->progress, c->item, "build", c->err);
	if (!rc && (r = wimlib_open_wim_with_progress(src, 0, &wim, on_wim_progress, c)))
		rc = wimerr(c, r, "open", src);
	if (fd >= 0) { /* wimlib holds its own descriptor from here */
		close(fd);
		unlink(src);
	}
	if (!rc && (r = wimlib_split(wim, dest, PART_SIZE, 0)))
		rc = wimerr(c, r, "split", dest);
	wimlib_free(wim);
	if (!rc)
		rc = take_parts(c, dir, j);
	if (dest) /* the parts are unlinked once open; a failed split may leave some */
		unlink_parts(dir, n->name);
	free(src);
	free(first);
	free(dest);
	free(dir);
	return rc;
}

static void report(struct split_ctx *c, const struct w2c_split_job *j)
{
	uint64_t biggest = 0;
	for (size_t k = 0; k < j->n_parts; k++)
		if (j->parts[k] && j->parts[k]->size > biggest)
			biggest = j->parts[k]->size;
	w2c_build_note(c->res, c->o->log, "%s (%llu bytes) is over the 4 GiB ISO 9660 file limit: "
		       "split into %s .. %zu parts (Windows Setup installs from split WIMs)%s", c->item,
		       (unsigned long long)j->orig->size, j->parts[0]->name, j->n_parts,
		       biggest > W2C_ISO_EXTENT_MAX ? "; one part still holds a single resource over "
						      "4 GiB and is written multi-extent" : "");
}

struct collect { w2c_node *big[16]; size_t n; uint64_t other; const w2c_build_options *o; };

static int collect(w2c_node *n, void *user)
{
	struct collect *k = user;
	if (splittable(n) && k->n < 16 && k->o->large_files == W2C_LARGE_SPLIT)
		k->big[k->n++] = n;
	else if (!n->is_dir && n->size > W2C_ISO_EXTENT_MAX)
		k->other++;
	return 0;
}

w2c_code w2c_split_large(w2c_media *m, const char *out, const w2c_build_options *o,
			 w2c_split *s, w2c_build_result *res, w2c_error *err)
{
	struct collect k = { .o = o };
	struct split_ctx c = { m, o, res, err, NULL };
	uint64_t nf = 0, nd = 0, bytes = 0;
	const char *cand[2];
	char *dir = NULL, *tmp = w2c_scratch_candidates(out, o->tmpdir, cand);
	w2c_code rc = W2C_OK;

	memset(s, 0, sizeof *s);
	for (int i = 0; i < 2; i++)
		if (cand[i])
			w2c_scratch_sweep(cand[i]);
	w2c_tree_walk(w2c_media_root(m), collect, &k);
	if (k.other)
		w2c_build_note(res, o->log, "%llu file(s) over 4 GiB written as ISO 9660 level 3 multi-extent "
			       "files (readable by Windows and Linux; not by every tool)",
			       (unsigned long long)k.other);
	if (!k.n) {
		free(tmp);
		return W2C_OK;
	}
	w2c_tree_count(w2c_media_root(m), &nf, &nd, &bytes);
	rc = w2c_scratch_dir(cand, scratch_need(m, o), bytes, &dir, err);
	free(tmp);
	if (!rc && !(s->jobs = calloc(k.n, sizeof *s->jobs)))
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; !rc && i < k.n; i++) {
		struct w2c_split_job *j = &s->jobs[i];
		char *item = w2c_node_path(k.big[i]);
		j->orig = k.big[i];
		j->parent = k.big[i]->parent;
		s->n_jobs = i + 1;
		c.item = item ? item : k.big[i]->name;
		c.split_done = c.split_total = 0;
		rc = split_one(&c, dir, j);
		if (!rc) {
			w2c_node_detach(j->orig);
			report(&c, j);
			res->split_files++;
		}
		free(item);
	}
	free(dir);
	return rc;
}

void w2c_split_undo(w2c_split *s)
{
	for (size_t i = 0; i < s->n_jobs; i++) {
		struct w2c_split_job *j = &s->jobs[i];
		for (size_t k = 0; k < j->n_parts; k++) {
			if (j->parts[k]) {
				w2c_node_detach(j->parts[k]);
				w2c_node_free(j->parts[k]);
			}
			close(j->fds[k]);
		}
		if (!j->orig->parent && j->n_parts)
			w2c_node_add(j->parent, j->orig, NULL);
	}
	free(s->jobs);
	memset(s, 0, sizeof *s);
}
