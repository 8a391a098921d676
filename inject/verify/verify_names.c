/* Names as Windows will read them: the output is opened once per name space
 * (Joliet, UDF, ISO 9660) and the trees compared with each other and with the
 * paths the driver manifest promises. */
#include "verify_int.h"

#include <stdlib.h>
#include <string.h>

/* What Joliet turns into when a writer falls back to ISO 9660 d-characters. */
#define MANGLED_DRIVERS "_WINPEDRIVER_"

/* Microsoft's own media keep files only in UDF (Joliet holds a README): say
 * so in a few lines, not one per file. */
#define MAX_LISTED 20

typedef struct ns_tree {
	const char *name;  /* "Joliet", "UDF", "ISO 9660" */
	w2c_media *m;
	size_t missing;    /* names of the other tree this one lacks */
} ns_tree;

/* The output is already open in one name space (c->out): only the others are read again. */
static void open_ns(vctx *c, enum w2c_namespace ns, enum w2c_fs fs, const char *name, ns_tree *t)
{
	w2c_media_options mo = { .ns = ns, .skip_wims = true, .log = c->o->log };
	w2c_error e2;
	t->name = name;
	if (w2c_media_tree_fs(c->out) == fs)
		t->m = c->out;
	else if (w2c_media_open(c->iso, &mo, &t->m, &e2))
		w2c_vr_finding(c, W2C_VERIFY_NAMES, c->iso, name, "%s: the %s tree cannot be read: %s", c->iso,
			   name, e2.message);
}

/* Every node of @a must be in @b with the same spelling (case included). */
static void compare_trees(vctx *c, const w2c_node *a, const w2c_node *b, const ns_tree *an,
			  ns_tree *bn, bool spelling)
{
	for (size_t i = 0; i < a->n_children; i++) {
		const w2c_node *x = a->children[i], *y = w2c_node_child(b, x->name);
		bn->missing += !y;
		char *p = (!y || (spelling && strcmp(x->name, y->name))) ? w2c_node_path(x) : NULL;
		if (!y && p && bn->missing <= MAX_LISTED)
			w2c_vr_finding(c, W2C_VERIFY_NAMES, p, bn->name, "%s: %s is in the %s tree but not in "
				   "the %s tree, expected the same names in both", c->iso, p, an->name,
				   bn->name);
		else if (y && p)
			w2c_vr_finding(c, W2C_VERIFY_NAMES, p, bn->name, "%s: %s reads as '%s' in the %s tree, "
				   "expected '%s' as in the %s tree", c->iso, p, y->name, bn->name, x->name,
				   an->name);
		free(p);
		if (y && x->is_dir && y->is_dir)
			compare_trees(c, x, y, an, bn, spelling);
	}
}

static void find_mangled(vctx *c, const w2c_node *n, const char *ns)
{
	for (size_t i = 0; i < n->n_children; i++) {
		const w2c_node *x = n->children[i];
		if (!w2c_strcasecmp(x->name, MANGLED_DRIVERS)) {
			char *p = w2c_node_path(x);
			w2c_vr_finding(c, W2C_VERIFY_NAMES, p ? p : x->name, ns, "%s: %s in the %s tree, expected "
				   "$WinPEDriver$ (Setup never looks in %s)", c->iso, p ? p : x->name, ns,
				   MANGLED_DRIVERS);
			free(p);
		}
		if (x->is_dir)
			find_mangled(c, x, ns);
	}
}

/* Paths inject wrote into its manifest must read back exactly. */
static void check_manifest_paths(vctx *c, w2c_node *root, const char *ns)
{
	for (size_t i = 0; i < c->n_manifest_paths; i++) {
		const char *want = c->manifest_paths[i];
		w2c_node *n = w2c_tree_lookup(root, want);
		char *got = n ? w2c_node_path(n) : NULL;
		if (!n)
			w2c_vr_finding(c, W2C_VERIFY_NAMES, want, ns, "%s: %s is named in %s but missing from the "
				   "%s tree", c->iso, want, "the driver manifest", ns);
		else if (got && strcmp(got, want))
			w2c_vr_finding(c, W2C_VERIFY_NAMES, want, ns, "%s: %s reads as %s in the %s tree, expected "
				   "the manifest's spelling", c->iso, want, got, ns);
		free(got);
	}
}

struct offsets {
	uint64_t *v;
	size_t n, cap;
	bool oom;
};

static int collect(w2c_node *n, void *user)
{
	struct offsets *o = user;
	if (n->is_dir || !n->size || n->src != W2C_SRC_IMAGE || !n->n_extents)
		return 0;
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 256;
		uint64_t *v = realloc(o->v, cap * sizeof *v);
		if (!v) {
			o->oom = true;
			return 1;
		}
		o->v = v;
		o->cap = cap;
	}
	o->v[o->n++] = n->extents[0].offset;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* ISO 9660 names are mangled by design; compare by data instead: every file
 * of the primary tree must also be reachable through Joliet. */
static void check_iso_in_joliet(vctx *c, w2c_media *iso, w2c_media *joliet)
{
	struct offsets j = { 0 }, p = { 0 };
	size_t missing = 0;

	w2c_tree_walk(w2c_media_root(joliet), collect, &j);
	w2c_tree_walk(w2c_media_root(iso), collect, &p);
	c->oom |= j.oom || p.oom;
	if (j.n)
		qsort(j.v, j.n, sizeof *j.v, cmp_u64);
	for (size_t i = 0; i < p.n; i++)
		missing += !j.n || !bsearch(&p.v[i], j.v, j.n, sizeof *j.v, cmp_u64);
	if (missing)
		w2c_vr_finding(c, W2C_VERIFY_NAMES, c->iso, "Joliet", "%s: %zu files of the ISO 9660 tree have "
			   "no Joliet entry, expected every file in Joliet (Windows reads Joliet)", c->iso,
			   missing);
	free(j.v);
	free(p.v);
}

w2c_code w2c_vr_check_names(vctx *c, w2c_error *err)
{
	unsigned fs = w2c_media_filesystems(c->out);
	ns_tree j = { 0 }, u = { 0 }, i9 = { 0 };

	(void)err;
	if (!(fs & (W2C_FS_JOLIET | W2C_FS_UDF))) {
		w2c_vr_finding(c, W2C_VERIFY_NAMES, c->iso, "Joliet", "%s: no Joliet or UDF tree, expected "
			   "Joliet: Windows would read ISO 9660 names ($WinPEDriver$ as %s)", c->iso,
			   MANGLED_DRIVERS);
		return W2C_OK;
	}
	if (fs & W2C_FS_JOLIET)
		open_ns(c, W2C_NS_JOLIET, W2C_FS_JOLIET, "Joliet", &j);
	if (fs & W2C_FS_UDF)
		open_ns(c, W2C_NS_UDF, W2C_FS_UDF, "UDF", &u);
	if (fs & W2C_FS_ISO9660)
		open_ns(c, W2C_NS_ISO9660, W2C_FS_ISO9660, "ISO 9660", &i9);
	c->r->namespaces = (j.m ? W2C_FS_JOLIET : 0) | (u.m ? W2C_FS_UDF : 0) | (i9.m ? W2C_FS_ISO9660 : 0);
	for (ns_tree *t = &j; t; t = t == &j ? &u : NULL) {
		if (!t->m)
			continue;
		find_mangled(c, w2c_media_root(t->m), t->name);
		check_manifest_paths(c, w2c_media_root(t->m), t->name);
	}
	if (j.m && u.m) {
		compare_trees(c, w2c_media_root(u.m), w2c_media_root(j.m), &u, &j, true);
		compare_trees(c, w2c_media_root(j.m), w2c_media_root(u.m), &j, &u, false);
		for (ns_tree *t = &j; t; t = t == &j ? &u : NULL)
			if (t->missing > MAX_LISTED)
				w2c_vr_finding(c, W2C_VERIFY_NAMES, c->iso, t->name, "%s: the %s tree lacks %zu "
					   "names of the other tree (%d listed above), expected the same names",
					   c->iso, t->name, t->missing, MAX_LISTED);
	}
	if (j.m && i9.m)
		check_iso_in_joliet(c, i9.m, j.m);
	if (u.m && (j.m || i9.m))
		w2c_vr_check_udf_shared(c, u.m, j.m ? j.m : i9.m, j.m ? "Joliet" : "ISO 9660");
	for (ns_tree *t[] = { &j, &u, &i9 }, **p = t; p < t + 3; p++)
		if ((*p)->m != c->out)
			w2c_media_free((*p)->m);
	return W2C_OK;
}
