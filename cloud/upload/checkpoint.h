/* The resume checkpoint of an upload: JSON beside the file (internal to cloud/). */
#ifndef W2C_CLOUD_CHECKPOINT_H
#define W2C_CLOUD_CHECKPOINT_H

#include "win2cloud.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct w2c_checkpoint {
	char *url;
	char *upload_id;
	uint64_t size, part_size;
	int64_t mtime_ns;
	char sample[65];     /* SHA-256 of the file's first, middle and last MiB */
	bool meta_after;     /* the SHA-256 metadata is set after completion (single read) */
	char claimed[65];    /* else if set: the metadata set at creation from a claim (a sidecar
			      * or --sha256) that the single read must confirm before completion */
	unsigned nparts;
	char (*etags)[33];   /* [n-1]: MD5 hex of done part n, "" when not done */
} w2c_checkpoint;

/* Parse and validate (types, ranges, hex); W2C_ERR_INVALID_INPUT names the field. */
w2c_code w2c_checkpoint_parse(const char *json, size_t len, w2c_checkpoint *cp, w2c_error *err);
/* Serialise (allocated, NUL-terminated) or NULL on out of memory. */
char *w2c_checkpoint_dump(const w2c_checkpoint *cp);
void w2c_checkpoint_free(w2c_checkpoint *cp);

#endif
