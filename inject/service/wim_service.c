/*
 * inject --level image: offline servicing of install.wim/esd without DISM
 * (specs/windows-media.md §4c, §4d).  wimlib opens WIMs by path only, so
 * the WIM is staged (copy_file_range) into a private scratch directory
 * .w2c-service.PID.XXXXXX next to the output, as build_split.c does.  Each
 * selected image is serviced (wim_image.c), the changes are appended to the
 * staged copy (wimlib_overwrite), which is then opened and unlinked; the
 * tree reads it through /proc/self/fd/N.  Named scratch files exist only while the WIM is
 * staged, serviced and written; a SIGKILL then leaves the directory to the
 * next run's sweep (w2c_scratch_sweep), an error or interruption leaves nothing.
 */
#define _XOPEN_SOURCE 700
#include "inject/service/service_int.h"
#include "common/scratch.h"
#include "win2cloud/media.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>

#define MAX_WIMS 4

struct w2c_service {
	w2c_service_image *images;
	size_t n_images;
	int fds[MAX_WIMS];
	size_t n_fds;
};

struct wim_progress { w2c_svc_wim *w; bool stopped; };

w2c_code w2c_svc_wimerr(w2c_svc_wim *w, int r, const char *what)
{
	return w2c_set_error(w->err, r == WIMLIB_ERR_ABORTED_BY_PROGRESS ? W2C_ERR_INTERRUPTED :
				     r == WIMLIB_ERR_NOMEM ? W2C_ERR_NOMEM :
				     r == WIMLIB_ERR_WRITE ? W2C_ERR_IO : W2C_ERR_INVALID_INPUT,
			     "wimlib: %s %s: %s", what, w->item, wimlib_get_error_string(r));
}

static enum wimlib_progress_status on_progress(enum wimlib_progress_msg msg,
					       union wimlib_progress_info *info, void *user)
{
	w2c_svc_wim *w = user;
	if (msg != WIMLIB_PROGRESS_MSG_WRITE_STREAMS)
		return WIMLIB_PROGRESS_STATUS_CONTINUE;
	if (w2c_progress_report(w->o->progress, "service", w->item,
				info->write_streams.completed_bytes, info->write_streams.total_bytes))
		return WIMLIB_PROGRESS_STATUS_ABORT;
	return WIMLIB_PROGRESS_STATUS_CONTINUE;
}

/* Stage a copy of the WIM (the source is never written) and open it for
 * writing: the serviced WIM is that copy with the changes appended. */
static w2c_code open_wim(w2c_svc_wim *w, w2c_media *m, const w2c_node *n, const char *path)
{
	int fd = -1, r;
	w2c_code rc = w2c_media_stage_file(m, n, path, &fd, w->o->progress, w->item, "inject", w->err);
	if (fd >= 0)
		close(fd);
	if (!rc && (r = wimlib_open_wim_with_progress(path, WIMLIB_OPEN_FLAG_WRITE_ACCESS, &w->wim,
						      on_progress, w)))
		rc = w2c_svc_wimerr(w, r, "open");
	return rc;
}

/* wimlib_overwrite appends the new blobs, metadata and XML to the staged
 * copy (what `wimlib-imagex update` does): about a copy of the WIM, where
 * rewriting it whole (wimlib_write, as `export` does) took ten times that on
 * a 540 MB WIM.  Blobs already in the WIM are not stored again; a re-run
 * appends only the new metadata of the images (unreferenced afterwards,
 * as DISM /Commit leaves it).  Then open it and unlink it; *@fd holds it. */
static w2c_code write_wim(w2c_svc_wim *w, const char *path, int *fd)
{
	struct wimlib_wim_info info;
	int flags = 0, r;
	w2c_code rc = W2C_OK;

	*fd = -1;
	wimlib_get_wim_info(w->wim, &info);
	if (info.has_integrity_table)
		flags |= WIMLIB_WRITE_FLAG_CHECK_INTEGRITY;
	if (w2c_str_endswith_ci(w->item, ".esd")) /* new blobs into a solid resource too */
		flags |= WIMLIB_WRITE_FLAG_SOLID;
	if ((r = wimlib_overwrite(w->wim, flags, 0)))
		rc = w2c_svc_wimerr(w, r, "write");
	else if ((*fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		rc = w2c_set_error(w->err, W2C_ERR_IO, "%s: %s", path, strerror(errno));
	unlink(path);
	return rc;
}

/* Split WIMs cannot be updated in place by wimlib; say so up front. */
static w2c_code check_whole(w2c_media *m, const char *file, w2c_error *err)
{
	for (size_t i = 0; i < w2c_media_wim_count(m); i++) {
		const w2c_wim_info *wi = w2c_media_wim(m, i);
		if (!w2c_strcasecmp(wi->file, file) && (wi->total_parts > 1 || w2c_str_endswith_ci(file, ".swm")))
			return w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: a split WIM (part %u of %u) cannot be "
					     "serviced: expected a whole install.wim or install.esd", file,
					     wi->part_number, wi->total_parts);
	}
	return W2C_OK;
}

/* One image to service: which, and with which drivers. */
typedef struct svc_job {
	const w2c_edition *ed;
	const w2c_edition_selection *sel;
} svc_job;

static w2c_code service_file(w2c_media *m, const char *file, const svc_job *jobs, size_t n,
			     const char *base, const w2c_service_options *o, w2c_service *s,
			     w2c_error *err)
{
	w2c_node *node = w2c_tree_lookup(w2c_media_root(m), file);
	char *dir = w2c_scratch_name(base, "service");
	w2c_svc_wim w = { NULL, file, dir, o, err, w2c_str_endswith_ci(file, "/boot.wim") };
	int fd = -1;
	w2c_code rc = dir ? check_whole(m, file, err) : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	if (!rc && (!node || node->is_dir))
		rc = w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: not in the medium's tree", file);
	if (!rc && !mkdtemp(dir))
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: cannot create scratch directory: %s", dir,
				   strerror(errno));
	char *path = dir ? w2c_asprintf("%s/staged.wim", dir) : NULL;
	if (!rc && !path)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = open_wim(&w, m, node, path);
	for (size_t i = 0; !rc && i < n; i++) {
		if (w2c_strcasecmp(jobs[i].ed->file, file))
			continue;
		if (w2c_progress_report(o->progress, "service", file, i, n)) {
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "inject interrupted while servicing %s", file);
			break;
		}
		rc = w2c_svc_image(&w, jobs[i].ed, jobs[i].sel, &s->images[s->n_images++]);
	}
	if (!rc)
		rc = write_wim(&w, path, &fd);
	wimlib_free(w.wim);
	if (dir && !rc)
		rc = w2c_tree_put_fd(w2c_media_root(m), file, fd, err);
	if (fd >= 0 && !rc && s->n_fds < MAX_WIMS)
		s->fds[s->n_fds++] = fd;
	else if (fd >= 0)
		close(fd);
	if (dir)
		w2c_rm_tree(dir);
	free(path);
	free(dir);
	return rc;
}

/* boot.wim's boot image (Windows Setup), with the drivers of the first
 * selected edition of its architecture: the same release as the medium. */
static w2c_code boot_job(w2c_media *m, const w2c_edition_selection *sel, size_t n, svc_job *job,
			 w2c_error *err)
{
	for (size_t i = 0; i < w2c_media_wim_count(m); i++) {
		const w2c_wim_info *wi = w2c_media_wim(m, i);
		uint32_t bi = wi->boot_index ? wi->boot_index : wi->image_count >= 2 ? 2 : 0;
		if (!w2c_str_endswith_ci(wi->file, "/boot.wim") || !bi || bi > wi->image_count)
			continue;
		job->ed = &wi->images[bi - 1];
		for (size_t k = 0; k < n && !job->sel; k++)
			if (job->ed->arch && sel[k].edition->arch && !strcmp(job->ed->arch, sel[k].edition->arch))
				job->sel = &sel[k];
		if (!job->sel)
			break;
		return W2C_OK;
	}
	return w2c_set_error(err, W2C_ERR_NOT_FOUND, "/sources/boot.wim: no boot image (boot index or "
			     "image 2), or no selected edition of its architecture: expected a Windows "
			     "Setup boot.wim of the same release");
}

w2c_code w2c_wim_service(w2c_media *m, const w2c_edition_selection *sel, size_t n,
			 const w2c_service_options *o, w2c_service **out, w2c_error *err)
{
	w2c_service *s = calloc(1, sizeof *s);
	svc_job *jobs = calloc(n + 1, sizeof *jobs);
	const char *files[MAX_WIMS], *cand[2];
	size_t nf = 0, nj = n;
	uint64_t need = 0;
	char *base = NULL, *tmp = w2c_scratch_candidates(o->near, o->tmpdir, cand);
	w2c_code rc = s && jobs && (s->images = calloc(n + 1, sizeof *s->images))
			      ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	*out = NULL;
	for (int i = 0; i < 2; i++)
		if (cand[i])
			w2c_scratch_sweep(cand[i]);
	for (size_t i = 0; !rc && i < n; i++)
		jobs[i] = (svc_job){ sel[i].edition, &sel[i] };
	if (!rc && o->boot_wim && !(rc = boot_job(m, sel, n, &jobs[n], err)))
		nj++;
	for (size_t i = 0; !rc && i < nj; i++) {
		bool seen = false;
		for (size_t k = 0; k < nf; k++)
			seen |= !w2c_strcasecmp(files[k], jobs[i].ed->file);
		if (!seen && nf == MAX_WIMS)
			rc = w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: more than %d WIMs to service",
					   jobs[i].ed->file, MAX_WIMS);
		else if (!seen) {
			w2c_node *wn = w2c_tree_lookup(w2c_media_root(m), jobs[i].ed->file);
			files[nf++] = jobs[i].ed->file;
			need += wn ? wn->size + (64u << 20) : 0; /* the staged copy and what is appended */
		}
	}
	if (!rc)
		rc = w2c_scratch_dir(cand, need, 0, &base, err);
	for (size_t k = 0; !rc && k < nf; k++)
		rc = service_file(m, files[k], jobs, nj, base, o, s, err);
	free(base);
	free(tmp);
	free(jobs);
	if (rc)
		w2c_service_free(s);
	else
		*out = s;
	return rc;
}

size_t w2c_service_image_count(const w2c_service *s)
{
	return s ? s->n_images : 0;
}

const w2c_service_image *w2c_service_image_at(const w2c_service *s, size_t i)
{
	return s && i < s->n_images ? &s->images[i] : NULL;
}

char *w2c_service_json(const w2c_service *s)
{
	json_t *a = json_array();
	for (size_t i = 0; s && i < s->n_images; i++) {
		const w2c_service_image *im = &s->images[i];
		json_array_append_new(a, json_pack("{s:s,s:i,s:s?,s:s,s:s,s:i,s:i,s:i,s:i,s:b,s:s,s:b}",
			"wim", im->wim, "index", (int)im->index, "name", im->name, "storage", im->storage,
			"registry", im->driver_database ? "DriverDatabase" : "CriticalDeviceDatabase",
			"control_set", (int)im->control_set, "files", (int)im->files,
			"system_changes", (int)im->system_changes, "software_changes", (int)im->software_changes,
			"software_hive", im->software, "setupcomplete", im->setupcomplete,
			"hive_was_dirty", im->hive_was_dirty));
	}
	char *text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

void w2c_service_free(w2c_service *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_images; i++) {
		free(s->images[i].wim);
		free(s->images[i].name);
		free(s->images[i].storage);
	}
	for (size_t i = 0; i < s->n_fds; i++)
		close(s->fds[i]);
	free(s->images);
	free(s);
}
