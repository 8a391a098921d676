/*
 * Where each UDF structure goes.  Every directory and file gets a file entry
 * (one block) in a depth-first walk, root first; a directory's identifiers
 * follow its entry.  The file data are libisofs's: the build gives every file
 * a sort weight in this same order, so libisofs writes them one after the
 * other in it, and the writer checks each file's first bytes at the block
 * predicted here as the image passes (udf_write.c).
 */
#include "udf_int.h"

#include <stdlib.h>
#include <string.h>

/* Bounds on what a walk of the tree accepts (each costs a block or more). */
#define MAX_DEPTH 64
#define MAX_ENTRIES (4u << 20)

static w2c_code add(w2c_udf *u, const w2c_node *n, uint32_t parent, w2c_error *err)
{
	if (u->n == MAX_ENTRIES)
		return w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: more than %u files and directories "
				     "for the UDF tree", u->out, MAX_ENTRIES);
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 256;
		w2c_udf_entry *e = realloc(u->e, cap * sizeof *e);
		if (!e)
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		u->e = e;
		u->cap = cap;
	}
	w2c_udf_entry *e = &u->e[u->n];
	memset(e, 0, sizeof *e);
	e->n = n;
	e->parent = parent;
	if (n->parent) { /* the root has no name */
		int len = w2c_udf_cs0(n->name, e->cs0, sizeof e->cs0);
		char *p = len < 0 ? w2c_node_path(n) : NULL;
		if (len == -1)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: name of %s is no valid UTF-8",
					     u->out, p ? p : n->name);
		if (len == -2) {
			w2c_code rc = w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: name of %s is too long "
						    "for UDF: 254 ASCII or 127 other characters at most",
						    u->out, p ? p : n->name);
			free(p);
			return rc;
		}
		e->cs0_len = (uint8_t)len;
	}
	u->n++;
	return W2C_OK;
}

static w2c_code walk(w2c_udf *u, const w2c_node *dir, uint32_t self, const w2c_node *skip,
		     int depth, w2c_error *err)
{
	if (depth > MAX_DEPTH)
		return w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: directories nested deeper than %d "
				     "levels", u->out, MAX_DEPTH);
	for (size_t i = 0; i < dir->n_children; i++) {
		const w2c_node *c = dir->children[i];
		if (c == skip)
			continue;
		uint32_t at = (uint32_t)u->n;
		w2c_code rc = add(u, c, self, err);
		if (rc)
			return rc;
		u->e[self].fid_len += w2c_udf_fid_size(u->e[at].cs0_len);
		if (!c->is_dir) {
			u->n_files++;
			continue;
		}
		u->n_dirs++;
		u->e[self].n_subdirs++;
		if ((rc = walk(u, c, at, skip, depth + 1, err)))
			return rc;
	}
	return W2C_OK;
}

w2c_code w2c_udf_layout(w2c_udf *u, const w2c_node *root, const w2c_node *skip, w2c_error *err)
{
	w2c_code rc = add(u, root, 0, err);
	if (!rc) {
		u->e[0].fid_len = w2c_udf_fid_size(0); /* the parent entry */
		rc = walk(u, root, 0, skip, 0, err);
	}
	if (rc)
		return rc;
	/* every directory starts with its parent's identifier */
	for (size_t i = 1; i < u->n; i++)
		if (u->e[i].n->is_dir)
			u->e[i].fid_len += w2c_udf_fid_size(0);
	uint64_t b = 1; /* partition block 0: the file set descriptor */
	for (size_t i = 0; i < u->n; i++) {
		u->e[i].fe = (uint32_t)b++;
		if (u->e[i].n->is_dir) {
			u->e[i].fid_block = (uint32_t)b;
			b += (u->e[i].fid_len + W2C_UDF_BLOCK - 1) / W2C_UDF_BLOCK;
		}
	}
	u->meta_blocks = (uint32_t)b;
	u->head_blocks = W2C_UDF_PART_START + u->meta_blocks;
	return W2C_OK;
}

void w2c_udf_assign_lbas(w2c_udf *u, uint64_t first_lba)
{
	uint64_t lba = first_lba;
	for (size_t i = 0; i < u->n; i++) {
		w2c_udf_entry *e = &u->e[i];
		if (e->n->is_dir || !e->n->size)
			continue;
		e->lba = lba;
		lba += (e->n->size + W2C_UDF_BLOCK - 1) / W2C_UDF_BLOCK;
	}
}

void w2c_udf_free(w2c_udf *u)
{
	free(u->e);
	free(u->head);
	u->e = NULL;
	u->head = NULL;
	u->n = u->cap = 0;
}
