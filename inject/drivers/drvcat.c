/*
 * Driver catalog: every INF of every source, parsed, with where it sits.
 * A path "<Driver>/<os>/<arch>/x.inf" is the virtio-win layout,
 * "<amd64|i386|ARM64>/<os>/x.inf" its convenience tree, anything else a
 * plain folder of INF packages (driver name = INF base name).
 */
#include "inject/drivers/inf_int.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INF_BYTES (16u << 20)

static const char *const os_folders[] = {
	"xp", "2k3", "2k8", "2k8R2", "w7", "w8", "w8.1", "2k12", "2k12R2", "w10",
	"2k16", "2k19", "w11", "2k22", "2k25", NULL,
};
static const char *const arch_folders[] = { "x86", "amd64", "ARM64", NULL };
/* INF base names whose virtio-win driver folder is named differently. */
static const struct { const char *inf, *driver; } inf_aliases[] = {
	{ "vioser", "vioserial" }, { "pvpanic-pci", "pvpanic" }, { "balloon", "Balloon" },
	{ "netkvm", "NetKVM" }, { NULL, NULL },
};

static const char *in_list(const char *const *list, const char *s, size_t n)
{
	for (; *list; list++)
		if (strlen(*list) == n && !strncasecmp(*list, s, n))
			return *list;
	return NULL;
}

/* Excluded on purpose: sriov/ (conflicts with NetKVM), vioprot (its protocol
 * driver) - as virt-v2v does. */
static bool excluded(const char *rel)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	if (!strncasecmp(base, "vioprot.", 8))
		return true;
	for (const char *p = rel; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (!strncasecmp(p, "sriov/", 6))
			return true;
	}
	return false;
}

/* Split "a/b/c/x.inf" into components (at most 64). */
static size_t split(const char *rel, const char *comp[], size_t len[], size_t max)
{
	size_t n = 0;
	for (const char *p = rel; *p && n < max;) {
		const char *e = strchr(p, '/');
		comp[n] = p;
		len[n++] = e ? (size_t)(e - p) : strlen(p);
		if (!e)
			break;
		p = e + 1;
	}
	return n;
}

static const char *driver_for_inf(const char *base, size_t n)
{
	for (size_t i = 0; inf_aliases[i].inf; i++)
		if (strlen(inf_aliases[i].inf) == n && !strncasecmp(inf_aliases[i].inf, base, n))
			return inf_aliases[i].driver;
	return NULL;
}

static bool classify(w2c_driver_entry *e, const char *rel)
{
	const char *c[64];
	size_t l[64], n = split(rel, c, l, 64);
	const char *os, *arch;
	size_t base_len = l[n - 1] - 4; /* without ".inf" */
	const char *alias = driver_for_inf(c[n - 1], base_len);

	e->dir = n > 1 ? w2c_strndup(rel, (size_t)(c[n - 1] - rel - 1)) : w2c_strdup("");
	if (n >= 4 && (os = in_list(os_folders, c[n - 3], l[n - 3])) &&
	    (arch = in_list(arch_folders, c[n - 2], l[n - 2]))) {
		e->driver = w2c_strndup(c[n - 4], l[n - 4]);
		e->os_folder = w2c_strdup(os);
		e->arch_folder = w2c_strdup(arch);
	} else if (n >= 3 && (os = in_list(os_folders, c[n - 2], l[n - 2])) &&
		   (arch = l[n - 3] == 4 && !strncasecmp(c[n - 3], "i386", 4) ? "x86"
			   : in_list(arch_folders, c[n - 3], l[n - 3]))) {
		e->driver = alias ? w2c_strdup(alias) : w2c_strndup(c[n - 1], base_len);
		e->os_folder = w2c_strdup(os);
		e->arch_folder = w2c_strdup(arch);
		e->shortcut = true;
	} else {
		e->driver = alias ? w2c_strdup(alias) : w2c_strndup(c[n - 1], base_len);
	}
	return e->dir && e->driver && (!e->os_folder || (e->os_folder && e->arch_folder));
}

w2c_driver_catalog *w2c_driver_catalog_new(void)
{
	return calloc(1, sizeof(w2c_driver_catalog));
}

typedef struct scan {
	w2c_driver_catalog *c;
	w2c_driver_source *src;
	w2c_error *err;
	w2c_code rc;
	const char *dir; /* folder of the INF being checked */
} scan;

static bool exists_near_inf(void *user, const char *rel)
{
	scan *sc = user;
	char *p = sc->dir[0] ? w2c_asprintf("%s/%s", sc->dir, rel) : w2c_strdup(rel);
	bool ok = p && w2c_driver_source_exists(sc->src, p, NULL);
	free(p);
	return ok;
}

static void sha256_hex(const uint8_t *d, size_t n, char out[65])
{
	uint8_t md[32];
	unsigned mdlen = 0;
	EVP_Digest(d, n, md, &mdlen, EVP_sha256(), NULL);
	w2c_hex(md, 32, out);
}

static w2c_code add_inf(scan *sc, const char *rel)
{
	w2c_driver_catalog *c = sc->c;
	uint8_t *data = NULL;
	size_t len = 0;
	w2c_inf *inf = NULL;
	w2c_code rc;
	char *name = w2c_asprintf("%s%s%s", w2c_driver_source_path(sc->src),
				  strcmp(w2c_driver_source_kind(sc->src), "iso") ? "/" : ":/", rel);

	if (!name)
		return w2c_set_error(sc->err, W2C_ERR_NOMEM, "out of memory");
	rc = w2c_driver_source_read(sc->src, rel, MAX_INF_BYTES, &data, &len, sc->err);
	if (!rc)
		rc = w2c_inf_parse(data, len, name, &inf, sc->err);
	if (!rc && !w2c_grow((void **)&c->entries, &c->cap_entries, c->n_entries, sizeof *c->entries))
		rc = w2c_set_error(sc->err, W2C_ERR_NOMEM, "out of memory");
	if (!rc) {
		w2c_driver_entry *e = &c->entries[c->n_entries];
		memset(e, 0, sizeof *e);
		e->source = sc->src;
		e->inf = w2c_strdup(rel);
		sha256_hex(data, len, e->inf_sha256);
		if (!e->inf || !classify(e, rel))
			rc = w2c_set_error(sc->err, W2C_ERR_NOMEM, "out of memory");
		sc->dir = e->dir ? e->dir : "";
		if (!rc)
			rc = w2c_driver_package_from_inf(inf, exists_near_inf, sc, &e->pkg, sc->err);
		c->n_entries++; /* counted even on failure so catalog_free releases it */
	}
	w2c_inf_free(inf);
	free(data);
	free(name);
	return rc;
}

static int scan_file(void *user, const char *rel, bool is_dir)
{
	scan *sc = user;
	if (is_dir || !w2c_str_endswith_ci(rel, ".inf") || excluded(rel))
		return 0;
	sc->rc = add_inf(sc, rel);
	return sc->rc != W2C_OK;
}

w2c_code w2c_driver_catalog_add(w2c_driver_catalog *c, w2c_driver_source *src, w2c_error *err)
{
	scan sc = { .c = c, .src = src, .err = err };
	w2c_driver_source **ns = realloc(c->sources, (c->n_sources + 1) * sizeof *ns);
	if (!ns) {
		w2c_driver_source_free(src);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	c->sources = ns;
	c->sources[c->n_sources++] = src;
	size_t before = c->n_entries;
	w2c_driver_source_walk(src, scan_file, &sc);
	/* a source the user named (a folder or an ISO) that holds no INF would
	 * otherwise inject nothing with exit 0; a folder of a medium being checked
	 * ($WinPEDriver$ after an image-only inject) may hold none */
	if (!sc.rc && c->n_entries == before && strcmp(w2c_driver_source_kind(src), "iso-folder"))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "driver source %s: no INF found (expected a virtio-win ISO or "
				     "layout, or a folder of driver packages with .inf files)",
				     w2c_driver_source_path(src));
	return sc.rc;
}

void w2c_driver_catalog_free(w2c_driver_catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_entries; i++) {
		w2c_driver_entry *e = &c->entries[i];
		free(e->dir), free(e->inf), free(e->driver), free(e->os_folder), free(e->arch_folder);
		w2c_driver_package_free(e->pkg);
	}
	for (size_t i = 0; i < c->n_sources; i++)
		w2c_driver_source_free(c->sources[i]);
	free(c->entries);
	free(c->sources);
	free(c);
}
