/* Fuzz target: the UDF writer.  The input describes a small tree (directories,
 * files of up to 6 KiB, names with ASCII, Latin-1 and CJK characters, hidden
 * flags, times) and the options (bridge or --udf-only, revision 1.02 or 2.01);
 * the tree is built with w2c_build_iso() and read back through the project's
 * reader from the UDF tree: every name, size, hidden flag and byte must
 * match, or the target aborts. */
#include "win2cloud/build.h"
#include "win2cloud/media.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NODES 48

struct input { const uint8_t *p; size_t n; };

static unsigned take(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* Name pieces: no '/', case differences avoided by the tree's own rules. */
static void make_name(struct input *in, char *out, size_t cap, unsigned k)
{
	static const char *const piece[] = { "a", "B", "z9", "-", "_", ".", " x", "\xC3\xA9",
					     "\xC3\x9F", "\xE6\x97\xA5", "\xE8\xAA\x9E", "Setup" };
	size_t len = (size_t)snprintf(out, cap, "%u", k);
	unsigned parts = take(in) % 12;
	for (unsigned i = 0; i < parts; i++) {
		const char *s = piece[take(in) % (sizeof piece / sizeof piece[0])];
		if (len + strlen(s) + 1 >= cap)
			break;
		memcpy(out + len, s, strlen(s) + 1);
		len += strlen(s);
	}
}

static char tmp[64];

/* The scratch directory goes when the process ends (every run makes one). */
static void cleanup(void)
{
	char p[160];
	static const char *const parts[] = { "src/.win2cloud/media.json", "src/.win2cloud", "src",
					     "out.iso", "out.iso.sha256", "" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", tmp, parts[i]);
		if (unlink(p) < 0)
			rmdir(p);
	}
}

static int setup(void)
{
	char p[128];
	if (tmp[0])
		return 0;
	strcpy(tmp, "/tmp/w2c-fuzz-udf.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	atexit(cleanup);
	snprintf(p, sizeof p, "%s/src/.win2cloud", tmp);
	char d[128];
	snprintf(d, sizeof d, "%s/src", tmp);
	mkdir(d, 0755);
	mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/src/.win2cloud/media.json", tmp);
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	fputs("{\"format\":\"win2cloud-media/1\",\"volume_id\":\"FUZZ_UDF\",\"boot\":[],\"files\":[]}", f);
	fclose(f);
	return 0;
}

static void check_same(w2c_media *out, const w2c_node *want, const w2c_node *got_dir)
{
	for (size_t i = 0; i < want->n_children; i++) {
		const w2c_node *w = want->children[i], *g = w2c_node_child(got_dir, w->name);
		uint8_t buf[8192];
		size_t got = 0;
		w2c_error err;
		if (!g || strcmp(g->name, w->name) || g->is_dir != w->is_dir || g->hidden != w->hidden)
			abort();
		if (w->is_dir) {
			check_same(out, w, g);
			continue;
		}
		if (g->size != w->size || g->mtime.tv_sec != w->mtime.tv_sec)
			abort();
		if (w->size && (w2c_media_read(out, g, 0, buf, sizeof buf, &got, &err) || got != w->size ||
				memcmp(buf, w->data, w->size)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	w2c_media *m = NULL, *back = NULL;
	w2c_error err;
	w2c_build_result res;
	w2c_node *dirs[MAX_NODES];
	size_t n_dirs = 1;
	char src[128], out[128], name[128];
	uint8_t body[6144];

	if (setup() || size < 2)
		return 0;
	snprintf(src, sizeof src, "%s/src", tmp);
	snprintf(out, sizeof out, "%s/out.iso", tmp);
	if (w2c_media_open(src, NULL, &m, &err))
		abort(); /* the empty unpacked medium always opens */
	unsigned flags = take(&in);
	w2c_build_options o = { .udf_only = flags & 1, .udf_revision = flags & 2 ? 0x0201 : 0 };
	dirs[0] = w2c_media_root(m);
	for (unsigned k = 0; k < MAX_NODES && in.n; k++) {
		unsigned op = take(&in);
		w2c_node *parent = dirs[take(&in) % n_dirs], *n;
		make_name(&in, name, sizeof name, k);
		if (op & 1) {
			n = w2c_node_new(name, true);
			if (!n || w2c_node_add(parent, n, &err))
				abort();
			if (n_dirs < MAX_NODES)
				dirs[n_dirs++] = n;
		} else {
			size_t len = ((op >> 1) * 24 + take(&in)) % sizeof body;
			for (size_t i = 0; i < len; i++)
				body[i] = (uint8_t)(k * 31 + i * 7 + (i >> 8));
			char *p = w2c_node_path(parent), path[512];
			snprintf(path, sizeof path, "%s/%s", strcmp(p, "/") ? p : "", name);
			free(p);
			if (w2c_tree_put_memory(w2c_media_root(m), path, body, len, &err))
				abort();
			n = w2c_tree_lookup(w2c_media_root(m), path);
		}
		n->hidden = op & 0x80;
		n->mtime.tv_sec = 946684800 + (time_t)take(&in) * 86400;
	}
	if (w2c_build_iso(m, out, &o, &res, &err))
		abort(); /* every tree the input can describe is writable */
	w2c_media_options mo = { .ns = W2C_NS_UDF, .skip_wims = true };
	if (w2c_media_open(out, &mo, &back, &err) || w2c_media_tree_fs(back) != W2C_FS_UDF ||
	    w2c_media_udf_revision(back) != (o.udf_revision ? 0x0201u : 0x0102u))
		abort();
	check_same(back, w2c_media_root(m), w2c_media_root(back));
	w2c_media_free(back);
	w2c_media_free(m);
	unlink(out);
	snprintf(name, sizeof name, "%s.sha256", out);
	unlink(name);
	return 0;
}
