/* Internal helpers of the INF parser and the driver modules (not installed). */
#ifndef W2C_INJECT_INF_INT_H
#define W2C_INJECT_INF_INT_H

#include "common/util.h"
#include "win2cloud/drivers.h"

/* Decode INF bytes to UTF-8 text with '\n' line ends (inf_text.c). */
w2c_code w2c_inf_decode(const void *data, size_t len, const char *name, char **text,
			enum w2c_inf_encoding *enc, w2c_error *err);

/* Growable array helper: make room for one more element of @size bytes. */
bool w2c_grow(void **arr, size_t *cap, size_t n, size_t size);

/* Section of @inf named "@base.@suffix" (case-insensitive), NULL if absent. */
const w2c_inf_section *w2c_inf_find2(const w2c_inf *inf, const char *base, const char *suffix);

/* Source-file access behind the driver source table (drvsrc.c). */
typedef int (*w2c_src_list_fn)(void *user, const char *rel, bool is_dir);
int w2c_driver_source_walk(w2c_driver_source *s, w2c_src_list_fn fn, void *user);
/* Case-insensitive existence check of @rel, giving its real spelling (caller frees). */
bool w2c_driver_source_exists(w2c_driver_source *s, const char *rel, char **real);
/* The file node of @rel and its medium (*@m) for image sources, else NULL. */
const w2c_node *w2c_driver_source_node(w2c_driver_source *s, const char *rel, w2c_media **m);

#endif
