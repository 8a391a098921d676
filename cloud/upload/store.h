/* Upload targets behind one small table of functions (internal to cloud/). */
#ifndef W2C_CLOUD_STORE_H
#define W2C_CLOUD_STORE_H

#include "win2cloud/s3.h"
#include "win2cloud/upload.h"

/* A parsed target URL. */
typedef struct w2c_target {
	enum { W2C_TARGET_S3, W2C_TARGET_OBS, W2C_TARGET_FILE } kind;
	char *bucket;  /* S3/OBS */
	char *key;     /* S3/OBS object key; FILE: the full destination path */
} w2c_target;

w2c_code w2c_target_parse(const char *url, w2c_target *t, w2c_error *err);
void w2c_target_free(w2c_target *t);

/* One connection per worker thread; every call acts on the target object. */
typedef struct w2c_store_ops {
	const char *name;
	void (*conn_free)(void *conn);
	w2c_code (*head)(void *conn, w2c_s3_object *obj, w2c_error *err);
	w2c_code (*put)(void *conn, const w2c_s3_payload *p, const char *storage_class,
			const char *sha256_meta, char *etag, w2c_error *err);
	w2c_code (*mp_init)(void *conn, const char *storage_class, const char *sha256_meta,
			    char **upload_id, w2c_error *err);
	w2c_code (*mp_part)(void *conn, const char *upload_id, unsigned n, const w2c_s3_payload *p,
			    char *etag, w2c_error *err);
	w2c_code (*mp_list)(void *conn, const char *upload_id, w2c_s3_part **parts, size_t *count,
			    w2c_error *err);
	w2c_code (*mp_complete)(void *conn, const char *upload_id, const w2c_s3_part *parts,
				size_t count, char *etag, w2c_error *err);
	w2c_code (*mp_abort)(void *conn, const char *upload_id, w2c_error *err);
	/* Give the finished object its SHA-256 metadata (see w2c_s3_copy_meta); NULL when the
	 * store needs none (file:// hashes the content itself). */
	w2c_code (*set_meta)(void *conn, const char *storage_class, const char *sha256_meta,
			     w2c_error *err);
	uint64_t set_meta_max;  /* largest object set_meta can handle */
} w2c_store_ops;

/* Shared, read-only during the upload: what a worker needs to open a connection. */
typedef struct w2c_store {
	const w2c_store_ops *ops;
	w2c_target target;
	w2c_s3_config s3cfg;      /* S3/OBS */
	w2c_credentials cred;     /* S3/OBS */
	char *endpoint;
	char *region;
} w2c_store;

/* Set up @st for @o (credentials, endpoint); w2c_store_close() frees it. */
w2c_code w2c_store_open(w2c_store *st, const w2c_upload_options *o, w2c_error *err);
void w2c_store_close(w2c_store *st);
/* A new per-thread connection. */
w2c_code w2c_store_conn(const w2c_store *st, void **conn, w2c_error *err);

extern const w2c_store_ops w2c_store_s3_ops;
extern const w2c_store_ops w2c_store_file_ops;
w2c_code w2c_store_s3_conn(const w2c_store *st, void **conn, w2c_error *err);
w2c_code w2c_store_file_conn(const w2c_store *st, void **conn, w2c_error *err);
/* Before any byte is read or written: room for @size bytes in the target's
 * directory (less what a resumable staging file there already holds), else
 * W2C_ERR_NO_SPACE naming both numbers. */
w2c_code w2c_store_file_preflight(const w2c_store *st, uint64_t size, w2c_error *err);

#endif
