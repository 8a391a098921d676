/*
 * The UDF writer's side of the build (see udf_int.h): the layout before
 * libisofs lays its session out, the head once it has (its data start is
 * known then), and the checks and anchors as the image passes to the disk.
 */
#include "build_int.h"
#include "udf_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

w2c_code w2c_build_parse_filesystems(const char *list, unsigned *fs, w2c_error *err)
{
	static const struct { const char *name; unsigned bit; } names[] = {
		{ "udf", W2C_FS_UDF }, { "iso9660", W2C_FS_ISO9660 }, { "joliet", W2C_FS_JOLIET },
	};
	const char *p = list;
	*fs = 0;
	while (p && *p) {
		size_t len = strcspn(p, ","), k;
		for (k = 0; k < sizeof names / sizeof names[0]; k++)
			if (strlen(names[k].name) == len && !strncasecmp(p, names[k].name, len))
				break;
		if (k == sizeof names / sizeof names[0])
			return w2c_set_error(err, W2C_ERR_USAGE, "--filesystems '%s': '%.*s' is not udf, "
					     "iso9660 or joliet", list, (int)len, p);
		*fs |= names[k].bit;
		p += len + (p[len] == ',');
	}
	if (!(*fs & W2C_FS_ISO9660))
		return w2c_set_error(err, W2C_ERR_USAGE, "--filesystems '%s': iso9660 is always "
				     "written (the El Torito boot record lives in it); add it", list);
	return W2C_OK;
}

w2c_code w2c_build_parse_udf_revision(const char *s, unsigned *rev, w2c_error *err)
{
	if (!strcmp(s, "1.02"))
		*rev = 0x0102;
	else if (!strcmp(s, "2.01"))
		*rev = 0x0201;
	else
		return w2c_set_error(err, W2C_ERR_USAGE, "--udf-revision '%s': expected 1.02 or 2.01", s);
	return W2C_OK;
}

w2c_code w2c_udf_prepare(w2c_udf *u, const w2c_node *root, const w2c_node *skip,
			 const w2c_build_options *o, const char *label, const char *out,
			 w2c_error *err)
{
	memset(u, 0, sizeof *u);
	u->revision = o->udf_revision ? o->udf_revision : 0x0102;
	if (u->revision != 0x0102 && u->revision != 0x0201)
		return w2c_set_error(err, W2C_ERR_USAGE, "UDF revision %x.%02x: 1.02 or 2.01 are written",
				     u->revision >> 8, u->revision & 0xFF);
	u->out = out;
	snprintf(u->label, sizeof u->label, "%s", label);
	clock_gettime(CLOCK_REALTIME, &u->now);
	return w2c_udf_layout(u, root, skip, err);
}

/* The El Torito catalog's block from the boot record among libisofs's
 * descriptors, 0 without one. */
static uint32_t catalog_block(const uint8_t *vds)
{
	for (unsigned b = 16; b < 32; b++) {
		const uint8_t *d = vds + b * W2C_UDF_BLOCK;
		if (d[0] == 0 && !memcmp(d + 1, "CD001", 5) && !memcmp(d + 7, "EL TORITO SPECIFICATION", 23))
			return w2c_le32(d + 71);
		if (d[0] == 0xFF)
			break;
	}
	return 0;
}

w2c_code w2c_udf_place(w2c_udf *u, IsoWriteOpts *wo, const uint8_t *overwrite, uint32_t before,
		       uint64_t session_bytes, w2c_error *err)
{
	uint32_t data_start = 0, cat = catalog_block(overwrite);
	if (!cat && iso_write_opts_get_data_start(wo, &data_start, 0) < 0)
		return w2c_set_error(err, W2C_ERR_INTERNAL, "%s: libisofs reports no data start",
				     u->out);
	u->total_blocks = u->head_blocks + session_bytes / W2C_UDF_BLOCK;
	/* libisofs 1.5.4 writes the boot catalog first (the build gives it the
	 * highest weight), then our files in weight order; without a catalog the
	 * files follow the zero block for empty files at the data start (which it
	 * reports off the mark when hidden files are written, hence the catalog
	 * as the anchor).  w2c_udf_passing() checks every file where expected. */
	w2c_udf_assign_lbas(u, (cat ? (uint64_t)cat + 1 : (uint64_t)data_start + 1) + before);
	if (u->total_blocks > 0xFFFFFFFFu)
		return w2c_set_error(err, W2C_ERR_UNSUPPORTED, "%s: %llu blocks exceed the 32-bit block "
				     "numbers of UDF", u->out, (unsigned long long)u->total_blocks);
	u->head = calloc(u->head_blocks, W2C_UDF_BLOCK);
	if (!u->head)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory for %u UDF blocks",
				     u->head_blocks);
	w2c_code rc = w2c_udf_volume(u, overwrite, err);
	for (size_t i = 0; !rc && i < u->n; i++) {
		uint8_t *fe = u->head + ((size_t)W2C_UDF_PART_START + u->e[i].fe) * W2C_UDF_BLOCK;
		rc = w2c_udf_file_entry(u, i, fe, err);
		if (!rc && u->e[i].n->is_dir)
			w2c_udf_dir_fids(u, i, u->head + ((size_t)W2C_UDF_PART_START +
							 u->e[i].fid_block) * W2C_UDF_BLOCK);
	}
	return rc;
}

static w2c_code misplaced(const w2c_udf *u, const w2c_udf_entry *e, const char *what,
			  w2c_error *err)
{
	char *p = w2c_node_path(e->n);
	w2c_code rc = w2c_set_error(err, W2C_ERR_INTERNAL, "%s: UDF layout: %s was expected at block "
				    "%llu but %s (libisofs placed the file data differently)",
				    u->out, p ? p : e->n->name, (unsigned long long)e->lba, what);
	free(p);
	return rc;
}

w2c_code w2c_udf_passing(w2c_udf *u, uint64_t lba, uint8_t *buf, size_t len, w2c_error *err)
{
	uint64_t end = lba + len / W2C_UDF_BLOCK;
	uint64_t anchors[2] = { u->total_blocks - W2C_UDF_TAIL, u->total_blocks - 1 };

	for (; u->next_check < u->n; u->next_check++) {
		w2c_udf_entry *e = &u->e[u->next_check];
		if (e->n->is_dir || !e->n->size)
			continue;
		if (e->lba >= end)
			break;
		size_t cmp = e->n->size < sizeof e->first ? (size_t)e->n->size : sizeof e->first;
		if (e->lba < lba || !e->first_seen)
			return misplaced(u, e, "libisofs had not read it by then", err);
		if (memcmp(buf + (e->lba - lba) * W2C_UDF_BLOCK, e->first, cmp))
			return misplaced(u, e, "other bytes are there", err);
	}
	for (int k = 0; k < 2; k++)
		if (anchors[k] >= lba && anchors[k] < end)
			w2c_udf_anchor(u, buf + (anchors[k] - lba) * W2C_UDF_BLOCK, (uint32_t)anchors[k]);
	return W2C_OK;
}

w2c_code w2c_udf_all_checked(const w2c_udf *u, w2c_error *err)
{
	for (size_t i = u->next_check; i < u->n; i++)
		if (!u->e[i].n->is_dir && u->e[i].n->size)
			return misplaced(u, &u->e[i], "the image ended first", err);
	return W2C_OK;
}

void w2c_udf_flat_name(char *buf, size_t len, size_t i)
{
	snprintf(buf, len, "W2C%07zu", i);
}

char *w2c_udf_flat_path(const w2c_udf *u, const w2c_node *n)
{
	char name[32];
	for (size_t i = 0; i < u->n; i++) {
		if (u->e[i].n == n) {
			w2c_udf_flat_name(name, sizeof name, i);
			return w2c_asprintf("/%s", name);
		}
	}
	return NULL;
}

/* What systems without UDF see, in the words of Microsoft's stub. */
static const char readme[] =
	"This disc contains a \"UDF\" file system and requires an operating system\r\n"
	"that supports the ISO-13346 \"UDF\" file system specification.\r\n";

w2c_code w2c_udf_readme(IsoImage *img, int weight, w2c_error *err)
{
	IsoStream *s;
	IsoFile *f;
	unsigned char *copy = malloc(sizeof readme - 1); /* the stream frees it */
	int r;
	if (!copy)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	memcpy(copy, readme, sizeof readme - 1);
	if ((r = iso_memory_stream_new(copy, sizeof readme - 1, &s)) < 0) {
		free(copy);
		return w2c_build_lerr(err, r, "README.TXT stream", "");
	}
	if ((r = iso_tree_add_new_file(iso_image_get_root(img), "README.TXT", s, &f)) < 0)
		return w2c_build_lerr(err, r, "add", "README.TXT");
	iso_node_set_permissions((IsoNode *)f, 0444);
	iso_node_set_sort_weight((IsoNode *)f, weight);
	return W2C_OK;
}
