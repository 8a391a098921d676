/* `build --large-files split` replaces a WIM of 4 GiB or more by NAME.swm,
 * NAME2.swm, ... (Windows Setup reassembles them).  When the parts in the
 * output form one consistent set carrying the source WIM's images, that swap
 * is an intended edit; an inconsistent set is a finding. */
#include "verify_int.h"

#include <stdlib.h>
#include <string.h>

#define SPLIT_MIN (4ull << 30)   /* build splits only files ISO 9660 cannot hold in one extent */
#define MAX_PARTS 999
#define WHY_SPLIT "split WIM (build --large-files split)"

bool w2c_vr_read_wimhdr(w2c_media *m, const w2c_node *n, vr_wimhdr *h)
{
	uint8_t b[0x80];
	size_t got = 0;
	if (!n || n->is_dir || w2c_media_read(m, n, 0, b, sizeof b, &got, NULL) || got < 0x30 ||
	    memcmp(b, "MSWIM\0\0\0", 8))
		return false;
	memcpy(h->guid, b + 0x18, 16);
	h->part = w2c_le16(b + 0x28);
	h->total = w2c_le16(b + 0x2A);
	h->images = w2c_le32(b + 0x2C);
	h->has_boot_index = got >= sizeof b;
	h->boot_index = h->has_boot_index ? w2c_le32(b + 0x78) : 0;
	return true;
}

static char *part_path(const char *stem, unsigned k)
{
	return k == 1 ? w2c_asprintf("%s.swm", stem) : w2c_asprintf("%s%u.swm", stem, k);
}

/* Check parts 1..N of @stem against @src's header; a message on the first problem. */
static bool parts_ok(vctx *c, const char *stem, const vr_wimhdr *src, unsigned *n, char *why,
		     size_t whylen)
{
	w2c_node *root = w2c_media_root(c->out);
	vr_wimhdr first = { 0 }, h;
	unsigned total = 1; /* known once part 1 is read */
	for (unsigned k = 1; k <= total; k++) {
		char *p = part_path(stem, k);
		bool ok = p && w2c_vr_read_wimhdr(c->out, w2c_tree_lookup(root, p), &h);
		if (!ok)
			snprintf(why, whylen, "%s is missing or no WIM part", p ? p : stem);
		else if (k == 1 && (h.total < 1 || h.total > MAX_PARTS || h.images != src->images))
			snprintf(why, whylen, "%s: %u parts with %u images, expected 1..%d parts with the "
				 "%u images of the source WIM", p, h.total, h.images, MAX_PARTS, src->images);
		else if (k > 1 && (memcmp(h.guid, first.guid, 16) || h.total != first.total))
			snprintf(why, whylen, "%s: GUID or part count differs from part 1, expected one set", p);
		else if (h.part != k)
			snprintf(why, whylen, "%s: part number is %u, expected %u", p, h.part, k);
		else
			why[0] = 0;
		free(p);
		if (why[0])
			return false;
		if (k == 1) {
			first = h;
			total = h.total;
		}
	}
	char *extra = part_path(stem, first.total + 1);
	if (extra && w2c_tree_lookup(root, extra)) {
		snprintf(why, whylen, "%s exists, but part 1 says %u parts", extra, first.total);
		free(extra);
		return false;
	}
	free(extra);
	*n = first.total;
	return true;
}

static w2c_code allow_parts(vctx *c, const char *path, const char *stem, unsigned n)
{
	w2c_code rc = w2c_vr_allow_add(c, path, WHY_SPLIT);
	for (unsigned k = 1; !rc && k <= n; k++) {
		char *p = part_path(stem, k);
		rc = p ? w2c_vr_allow_add(c, p, WHY_SPLIT) : W2C_ERR_NOMEM;
		free(p);
	}
	return rc;
}

/* One SRC file: a big WIM/ESD gone from the output, with NAME.swm in its place. */
static w2c_code check_one(vctx *c, const w2c_node *s)
{
	char *path = w2c_node_path(s), *dot = path ? strrchr(path, '.') : NULL, *first = NULL;
	vr_wimhdr src;
	unsigned n = 0;
	char why[512];
	w2c_code rc = path ? W2C_OK : W2C_ERR_NOMEM;

	if (dot && !w2c_tree_lookup(w2c_media_root(c->out), path)) {
		*dot = 0;
		first = part_path(path, 1);
		if (first && w2c_tree_lookup(w2c_media_root(c->out), first)) {
			char *orig = w2c_node_path(s);
			if (!orig || !w2c_vr_read_wimhdr(c->src, s, &src))
				rc = orig ? W2C_OK : W2C_ERR_NOMEM;
			else if (parts_ok(c, path, &src, &n, why, sizeof why))
				rc = allow_parts(c, orig, path, n);
			else
				w2c_vr_finding(c, W2C_VERIFY_CONTENT, orig, "split", "%s: %s was split, but %s",
					   c->iso, orig, why);
			free(orig);
		}
	}
	free(first);
	free(path);
	return rc;
}

static w2c_code walk(vctx *c, const w2c_node *d)
{
	w2c_code rc = W2C_OK;
	for (size_t i = 0; !rc && i < d->n_children; i++) {
		const w2c_node *s = d->children[i];
		if (s->is_dir)
			rc = walk(c, s);
		else if (s->size >= SPLIT_MIN &&
			 (w2c_str_endswith_ci(s->name, ".wim") || w2c_str_endswith_ci(s->name, ".esd")))
			rc = check_one(c, s);
	}
	return rc;
}

w2c_code w2c_vr_allow_split(vctx *c, w2c_error *err)
{
	if (!c->src_root)
		return W2C_OK;
	return walk(c, c->src_root) ? w2c_set_error(err, W2C_ERR_NOMEM, "out of memory") : W2C_OK;
}
