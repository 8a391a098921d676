/*
 * Selection: for an edition and a wanted driver, the package folder whose
 * INF really accepts the edition's arch and build.  The OS-folder mapping,
 * the per-driver fallbacks and the deny-list are tables (data), from
 * windows-media.md 2.4 / 3.2 / 3.7; the code only walks them.
 */
#include "inject/drivers/inf_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Edition -> virtio-win OS folder.  First row that matches wins; server
 * builds between LTSC releases take the newest LTSC folder at or below. */
static const struct os_row {
	bool server;
	unsigned major, minor, min_build, max_build;
	const char *folder;
} os_table[] = {
	{ true, 6, 0, 0, ~0u, "2k8" },       { false, 6, 0, 0, ~0u, "2k8" },
	{ true, 6, 1, 0, ~0u, "2k8R2" },     { false, 6, 1, 0, ~0u, "w7" },
	{ true, 6, 2, 0, ~0u, "2k12" },      { false, 6, 2, 0, ~0u, "w8" },
	{ true, 6, 3, 0, ~0u, "2k12R2" },    { false, 6, 3, 0, ~0u, "w8.1" },
	{ true, 10, 0, 26100, ~0u, "2k25" }, { true, 10, 0, 20348, 26099, "2k22" },
	{ true, 10, 0, 17763, 20347, "2k19" }, { true, 10, 0, 0, 17762, "2k16" },
	{ false, 10, 0, 22000, ~0u, "w11" }, { false, 10, 0, 0, 21999, "w10" },
};

/* Per-driver fallbacks for folders a driver lacks (3.2: qxldod stops at w10/2k19). */
static const struct fallback_row {
	const char *driver, *folder, *fallback;
} fallback_table[] = {
	{ "qxldod", "2k22", "2k19" },
	{ "qxldod", "w11", "w10" },
	{ "qxldod", "2k25", "2k19" },
};

static const struct arch_row {
	const char *arch, *folder, *shortcut;
} arch_table[] = {
	{ "amd64", "amd64", "amd64" },
	{ "x86", "x86", "i386" },
	{ "arm64", "ARM64", "ARM64" },
};

/* Known-bad driver versions (fnmatch patterns; 0.1.NNN stamps .104.NNN00). */
static const w2c_driver_deny deny_table[] = {
	{ "*", "*.104.21700", "2k22",
	  "virtio-win 0.1.217: Server 2022 Setup reports 'No signed device drivers' (virtio-win #785)" },
	{ "smbus", "*", "2k25",
	  "smbus is rejected on Server 2025 (first-boot reboot loop, CloudStack docs PR #657)" },
	{ NULL, NULL, NULL, NULL },
};

static const char *const default_wanted[] = {
	"viostor", "vioscsi", "NetKVM", "Balloon", "vioserial", "viorng", "pvpanic", "vioinput",
	"qemupciserial", NULL,
};

const w2c_driver_deny *w2c_driver_default_denylist(void)
{
	return deny_table;
}

const char *const *w2c_driver_default_wanted(void)
{
	return default_wanted;
}

bool w2c_driver_is_boot_critical(const char *driver)
{
	return !w2c_strcasecmp(driver, "viostor") || !w2c_strcasecmp(driver, "vioscsi");
}

const char *w2c_select_reason_name(enum w2c_select_reason r)
{
	static const char *const names[] = { "chosen", "no-folder", "arch-mismatch", "decoration",
					     "broken", "denied" };
	return r <= W2C_SEL_DENIED ? names[r] : "?";
}

static bool is_server(const w2c_edition *e)
{
	const char *it = e->installation_type, *pt = e->product_type;
	if (it)
		return !strncasecmp(it, "Server", 6);
	return pt && (!w2c_strcasecmp(pt, "ServerNT") || !w2c_strcasecmp(pt, "LanmanNT"));
}

w2c_code w2c_os_folders_for(const w2c_edition *e, w2c_os_folders *out, w2c_error *err)
{
	bool server = is_server(e);
	memset(out, 0, sizeof *out);
	for (size_t i = 0; e->arch && i < sizeof arch_table / sizeof arch_table[0]; i++)
		if (!w2c_strcasecmp(arch_table[i].arch, e->arch)) {
			out->arch_folder = arch_table[i].folder;
			out->shortcut_arch = arch_table[i].shortcut;
			out->os.arch = arch_table[i].arch;
		}
	if (!out->arch_folder)
		return w2c_set_error(err, W2C_ERR_UNSUPPORTED, "edition %u (%s): architecture %s has no virtio-win folder",
				     e->index, e->name ? e->name : "?", e->arch ? e->arch : "(absent)");
	out->os.major = e->major;
	out->os.minor = e->minor;
	out->os.build = e->build;
	out->os.product_type = server ? 3 : 1;
	for (size_t i = 0; i < sizeof os_table / sizeof os_table[0]; i++) {
		const struct os_row *r = &os_table[i];
		if (r->server == server && r->major == e->major && r->minor == e->minor &&
		    e->build >= r->min_build && e->build <= r->max_build) {
			out->folders[out->n++] = r->folder;
			return W2C_OK;
		}
	}
	return w2c_set_error(err, W2C_ERR_UNSUPPORTED,
			     "edition %u (%s): Windows %u.%u build %u (%s) has no virtio-win folder",
			     e->index, e->name ? e->name : "?", e->major, e->minor, e->build,
			     server ? "server" : "client");
}

static bool denied(const w2c_select_options *o, const w2c_driver_entry *en, const char *folder,
		   const char **why)
{
	const w2c_driver_deny *d = o && o->deny ? o->deny : deny_table;
	const char *ver = en->pkg->driver_version ? en->pkg->driver_version : "";
	for (; d->driver; d++) {
		if (fnmatch(d->driver, en->driver, FNM_CASEFOLD))
			continue;
		if (d->version && fnmatch(d->version, ver, 0))
			continue;
		if (d->os_folder && strcmp(d->os_folder, "*") && (!folder || w2c_strcasecmp(d->os_folder, folder)))
			continue;
		*why = d->why;
		return true;
	}
	return false;
}

/* Folders to try for @driver, best first: the edition's, then its fallbacks. */
static size_t driver_folders(const w2c_os_folders *f, const char *driver, const char *out[8])
{
	size_t n = 0;
	for (size_t i = 0; i < f->n && n < 8; i++) {
		out[n++] = f->folders[i];
		for (size_t j = 0; j < sizeof fallback_table / sizeof fallback_table[0] && n < 8; j++)
			if (!w2c_strcasecmp(fallback_table[j].driver, driver) &&
			    !w2c_strcasecmp(fallback_table[j].folder, f->folders[i]))
				out[n++] = fallback_table[j].fallback;
	}
	return n;
}

/* Rank of an entry for this edition: folder position (lower is better), the
 * by-driver tree before the convenience tree, plain folders last. */
static int folder_rank(const w2c_driver_entry *en, const char *folders[], size_t nf)
{
	if (!en->os_folder)
		return 100;
	for (size_t i = 0; i < nf; i++)
		if (!w2c_strcasecmp(en->os_folder, folders[i]))
			return (int)i * 2 + en->shortcut;
	return -1;
}

/* Worse outcomes first, so the most telling reason is kept for the report. */
static int reason_weight(enum w2c_select_reason r)
{
	static const int w[] = { 9, 0, 1, 2, 3, 4 }; /* how far the package got */
	return w[r];
}

static void note(w2c_driver_choice *ch, enum w2c_select_reason r, const char *fmt, const char *a,
		 const char *b)
{
	if (ch->reason != W2C_SEL_CHOSEN && reason_weight(r) >= reason_weight(ch->reason)) {
		ch->reason = r;
		snprintf(ch->detail, sizeof ch->detail, fmt, a, b ? b : "");
	}
}

static const char *match_text(enum w2c_os_match m)
{
	return m == W2C_MATCH_ARCH ? "no models section for this architecture"
	     : m == W2C_MATCH_VERSION ? "models need a newer Windows version"
	     : m == W2C_MATCH_BUILD ? "models need a newer build"
	     : "models need another product type";
}

/* Does @en serve the edition?  If not, record why in @ch. */
static bool usable(const w2c_driver_entry *en, const w2c_os_folders *f, const w2c_select_options *o,
		   w2c_driver_choice *ch)
{
	const w2c_inf_models *best = NULL;
	const char *why;
	if (en->arch_folder && w2c_strcasecmp(en->arch_folder, f->arch_folder)) {
		note(ch, W2C_SEL_ARCH_MISMATCH, "%s is for %s", en->inf, en->arch_folder);
		return false;
	}
	enum w2c_os_match m = w2c_driver_package_accepts(en->pkg, &f->os, &best);
	if (m == W2C_MATCH_ARCH && !en->arch_folder) {
		note(ch, W2C_SEL_ARCH_MISMATCH, "%s: %s", en->inf, match_text(m));
		return false;
	}
	if (m != W2C_MATCH_OK) {
		note(ch, W2C_SEL_DECORATION, "%s: %s", en->inf, match_text(m));
		return false;
	}
	if (en->pkg->broken) {
		note(ch, W2C_SEL_BROKEN, "%s%s", en->pkg->broken, NULL);
		return false;
	}
	if (denied(o, en, en->os_folder, &why)) {
		note(ch, W2C_SEL_DENIED, "%s: %s", en->inf, why);
		return false;
	}
	return true;
}

static int cmp_version(const char *a, const char *b)
{
	for (int i = 0; i < 4; i++) {
		unsigned long x = a ? strtoul(a, (char **)&a, 10) : 0;
		unsigned long y = b ? strtoul(b, (char **)&b, 10) : 0;
		if (x != y)
			return x < y ? -1 : 1;
		a = a && *a == '.' ? a + 1 : NULL;
		b = b && *b == '.' ? b + 1 : NULL;
	}
	return 0;
}

static bool same_folder(const w2c_driver_entry *a, const w2c_driver_entry *b)
{
	return a->source == b->source && !strcmp(a->dir, b->dir) && !w2c_strcasecmp(a->driver, b->driver);
}

static w2c_code choose(const w2c_driver_catalog *c, const w2c_os_folders *f, const char *driver,
		       const w2c_select_options *o, w2c_driver_choice *ch)
{
	const char *folders[8];
	size_t nf = driver_folders(f, driver, folders);
	const w2c_driver_entry *best = NULL;
	int best_rank = 0;

	ch->driver = driver;
	ch->reason = W2C_SEL_NO_FOLDER;
	snprintf(ch->detail, sizeof ch->detail, "no %s package for %s/%s", driver, folders[0], f->arch_folder);
	for (size_t i = 0; i < c->n_entries; i++) {
		const w2c_driver_entry *en = &c->entries[i];
		int rank = folder_rank(en, folders, nf);
		if (w2c_strcasecmp(en->driver, driver) || rank < 0 || !en->pkg)
			continue;
		if (!usable(en, f, o, ch))
			continue;
		if (!best || rank < best_rank ||
		    (rank == best_rank && cmp_version(en->pkg->driver_version, best->pkg->driver_version) > 0))
			best = en, best_rank = rank;
	}
	if (!best)
		return W2C_OK;
	ch->reason = W2C_SEL_CHOSEN;
	ch->folder = best->os_folder;
	ch->entries = calloc(c->n_entries, sizeof *ch->entries);
	if (!ch->entries)
		return W2C_ERR_NOMEM;
	w2c_driver_choice tmp = { .reason = W2C_SEL_CHOSEN };
	ch->entries[ch->n_entries++] = best; /* first: the one the report shows */
	for (size_t i = 0; i < c->n_entries; i++) /* every other accepting INF of that folder */
		if (&c->entries[i] != best && same_folder(&c->entries[i], best) && c->entries[i].pkg &&
		    usable(&c->entries[i], f, o, &tmp))
			ch->entries[ch->n_entries++] = &c->entries[i];
	const w2c_inf_models *m = NULL;
	w2c_driver_package_accepts(best->pkg, &f->os, &m);
	snprintf(ch->detail, sizeof ch->detail, "%s", m ? m->section : "");
	return W2C_OK;
}

w2c_code w2c_driver_select(const w2c_driver_catalog *c, const w2c_edition *e,
			   const w2c_select_options *opts, w2c_edition_selection *out,
			   w2c_error *err)
{
	const char *const *wanted = opts && opts->wanted ? opts->wanted : default_wanted;
	const char **names = NULL;
	size_t n = 0;
	w2c_error ferr;

	memset(out, 0, sizeof *out);
	out->edition = e;
	out->supported = !w2c_os_folders_for(e, &out->folders, &ferr);
	/* "*" = every driver in the catalog, once */
	bool all = wanted[0] && !strcmp(wanted[0], "*");
	size_t cap = all ? c->n_entries : 0;
	for (size_t i = 0; !all && wanted[i]; i++)
		cap++;
	names = calloc(cap + 1, sizeof *names);
	out->choices = calloc(cap + 1, sizeof *out->choices);
	if (!names || !out->choices) {
		free(names);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < cap; i++) {
		const char *d = all ? c->entries[i].driver : wanted[i];
		bool dup = false;
		for (size_t j = 0; j < n; j++)
			dup |= !w2c_strcasecmp(names[j], d);
		if (!dup)
			names[n++] = d;
	}
	for (size_t i = 0; i < n; i++) {
		w2c_driver_choice *ch = &out->choices[out->n_choices++];
		if (!out->supported) {
			ch->driver = names[i];
			ch->reason = W2C_SEL_NO_FOLDER;
			snprintf(ch->detail, sizeof ch->detail, "%s", ferr.message);
		} else if (choose(c, &out->folders, names[i], opts, ch)) {
			free(names);
			return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
		}
		if (ch->reason != W2C_SEL_CHOSEN && w2c_driver_is_boot_critical(names[i]))
			out->missing_boot_critical = true;
	}
	free(names);
	return W2C_OK;
}

void w2c_edition_selection_clear(w2c_edition_selection *s)
{
	for (size_t i = 0; i < s->n_choices; i++)
		free(s->choices[i].entries);
	free(s->choices);
	memset(s, 0, sizeof *s);
}
