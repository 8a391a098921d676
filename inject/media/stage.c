/*
 * Staging a file of the medium as a scratch file of its own, for the split
 * build and WIM servicing (wimlib opens WIMs by name only).
 */
#include "media_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

struct stage_progress { const w2c_progress *pr; const char *item, *who; w2c_error *err; uint64_t done, total; };

static w2c_code stage_step(void *user, uint64_t n)
{
	struct stage_progress *p = user;
	p->done += n;
	if (w2c_progress_report(p->pr, "stage", p->item, p->done, p->total))
		return w2c_set_error(p->err, W2C_ERR_INTERRUPTED, "%s interrupted while staging %s", p->who,
				     p->item);
	return W2C_OK;
}

w2c_code w2c_media_stage_file(w2c_media *m, const w2c_node *n, const char *path, int *fd,
			      const w2c_progress *pr, const char *item, const char *who,
			      w2c_error *err)
{
	struct stage_progress p = { pr, item, who, err, 0, n->size };

	*fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (*fd < 0)
		return w2c_set_error(err, W2C_ERR_IO, "%s: cannot create scratch file: %s", path,
				     strerror(errno));
	if (n->src == W2C_SRC_MEMORY)
		return w2c_write_full(*fd, n->data, n->size, path, err);
	if (n->src == W2C_SRC_LOCAL) /* e.g. a serviced WIM, unlinked */
		return w2c_copy_local(n->local_path, n->size, *fd, path, stage_step, &p, err);
	/* a file on an ISO is image extents: copied in the kernel, as cp does */
	return w2c_media_copy_node(m, n, *fd, path, stage_step, &p, err);
}

