/* win2cloud verify: runs the checks over a rebuilt image and collects findings. */
#include "verify_int.h"

#include <fnmatch.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define HASH_CHUNK (1u << 20)
#define MAX_SUMFILE (64u << 10)

static void *grow(void *arr, size_t n, size_t size)
{
	return realloc(arr, (n + 1) * size);
}

/* @fmt formatted into a new string (messages are cut at 1 KiB). */
static char *vformat(const char *fmt, va_list ap)
{
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	return w2c_strdup(msg);
}

void w2c_vr_finding(vctx *c, enum w2c_verify_check check, const char *file, const char *field,
		const char *fmt, ...)
{
	w2c_verify_finding *f = grow(c->r->findings, c->r->n_findings, sizeof *f);
	va_list ap;

	if (f)
		c->r->findings = f;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	char *fi = w2c_strdup(file ? file : ""), *fd = w2c_strdup(field ? field : "");
	if (!f || !msg || !fi || !fd) {
		free(msg);
		free(fi);
		free(fd);
		c->oom = true;
		return;
	}
	f[c->r->n_findings++] = (w2c_verify_finding){ .check = check, .file = fi, .field = fd,
						     .message = msg };
}

void w2c_vr_note(vctx *c, const char *fmt, ...)
{
	char **n = grow(c->r->notes, c->r->n_notes, sizeof *n);
	va_list ap;

	if (n)
		c->r->notes = n;
	va_start(ap, fmt);
	char *msg = vformat(fmt, ap);
	va_end(ap);
	if (!n || !msg) {
		free(msg);
		c->oom = true;
		return;
	}
	n[c->r->n_notes++] = msg;
}

void w2c_vr_change(vctx *c, enum w2c_change_kind kind, const char *path, const char *detail)
{
	static const char *names[] = { "added", "removed", "changed" };
	w2c_verify_change *ch = grow(c->r->changes, c->r->n_changes, sizeof *ch);
	const vallow *a = w2c_vr_allowed(c, path);

	if (!ch || !(ch[c->r->n_changes].path = w2c_strdup(path))) {
		if (ch)
			c->r->changes = ch;
		c->oom = true;
		return;
	}
	c->r->changes = ch;
	ch = &ch[c->r->n_changes++];
	ch->kind = kind;
	ch->allowed = a != NULL;
	ch->why = a ? a->why : NULL;
	const char *field = !detail ? names[kind] : !strncmp(detail, "size", 4) ? "size"
			  : !strncmp(detail, "sha256", 6) ? "sha256" : "type";
	if (!a)
		w2c_vr_finding(c, W2C_VERIFY_CONTENT, path, field,
			   "%s: %s: %s compared with %s%s%s%s, expected identical (or --allow-edit %s)",
			   c->iso, path, names[kind], c->o->against, detail ? " (" : "",
			   detail ? detail : "", detail ? ")" : "", path);
}

/* @prefix covers @path when equal or a parent folder of it, case-insensitively;
 * with wildcards it is a pattern ("/sources/install*" for a split WIM). */
static bool covers(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);
	if (strpbrk(prefix, "*?["))
		return fnmatch(prefix, path, FNM_CASEFOLD | FNM_LEADING_DIR) == 0;
	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 1 && prefix[0] == '/')
		return true;
	return !strncasecmp(prefix, path, n) && (path[n] == 0 || path[n] == '/');
}

const vallow *w2c_vr_allowed(const vctx *c, const char *path)
{
	for (size_t i = 0; i < c->n_allow; i++)
		if (covers(c->allow[i].prefix, path))
			return &c->allow[i];
	return NULL;
}

w2c_code w2c_vr_allow_add(vctx *c, const char *prefix, const char *why)
{
	vallow *a = grow(c->allow, c->n_allow, sizeof *a);
	if (!a)
		return W2C_ERR_NOMEM;
	c->allow = a;
	a[c->n_allow].prefix = prefix[0] == '/' ? w2c_strdup(prefix) : w2c_asprintf("/%s", prefix);
	a[c->n_allow].why = why;
	if (!a[c->n_allow].prefix)
		return W2C_ERR_NOMEM;
	c->n_allow++;
	return W2C_OK;
}

/* Hash @len bytes from @read (a node or the image) chunk by chunk. */
typedef w2c_code (*read_fn)(void *src, uint64_t off, uint8_t *buf, size_t len, w2c_error *err);

static w2c_code hash_stream(vctx *c, read_fn rd, void *src, uint64_t len, const char *item,
			    char hex[65], w2c_error *err)
{
	uint8_t *buf = malloc(HASH_CHUNK), md[32];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	w2c_code rc = buf && ctx ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");

	if (!rc)
		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	for (uint64_t off = 0; !rc && off < len;) {
		size_t n = len - off < HASH_CHUNK ? (size_t)(len - off) : HASH_CHUNK;
		rc = rd(src, off, buf, n, err);
		if (rc)
			break;
		EVP_DigestUpdate(ctx, buf, n);
		off += n;
		c->r->bytes_hashed += n;
		if (w2c_progress_report(c->o->progress, "verify", item, c->r->bytes_hashed,
					c->progress_total))
			rc = w2c_set_error(err, W2C_ERR_INTERRUPTED, "verify of %s interrupted", c->iso);
	}
	if (!rc) {
		EVP_DigestFinal_ex(ctx, md, NULL);
		w2c_hex(md, 32, hex);
	}
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

struct node_src {
	w2c_media *m;
	const w2c_node *n;
};

static w2c_code read_node(void *p, uint64_t off, uint8_t *buf, size_t len, w2c_error *err)
{
	struct node_src *s = p;
	size_t got = 0;
	w2c_code rc = w2c_media_read(s->m, s->n, off, buf, len, &got, err);
	if (!rc && got != len)
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: short read at offset %llu", s->n->name,
				   (unsigned long long)off);
	return rc;
}

w2c_code w2c_vr_hash_node(vctx *c, w2c_media *m, const w2c_node *n, char hex[65], w2c_error *err)
{
	struct node_src s = { m, n };
	return hash_stream(c, read_node, &s, n->size, n->name, hex, err);
}

static w2c_code read_image(void *p, uint64_t off, uint8_t *buf, size_t len, w2c_error *err)
{
	return w2c_media_pread(p, buf, len, off, err);
}

/* OUT.iso.sha256 (written by build) must name the image and hold its digest. */
w2c_code w2c_vr_check_checksum(vctx *c, w2c_error *err)
{
	char *sumpath = w2c_asprintf("%s.sha256", c->iso), *text = NULL, *name = NULL, want[65];
	const char *base = strrchr(c->iso, '/') ? strrchr(c->iso, '/') + 1 : c->iso;
	size_t len = 0;
	w2c_error e2;
	w2c_code rc;

	if (!sumpath)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	rc = w2c_read_file(sumpath, MAX_SUMFILE, &text, &len, &e2);
	if (rc == W2C_ERR_NOT_FOUND) {
		w2c_vr_note(c, "%s: no checksum file (build writes one); image not hashed", sumpath);
		free(sumpath);
		return W2C_OK;
	}
	if (!rc)
		rc = w2c_sha256sum_parse(text, len, sumpath, want, &name, &e2);
	free(text);
	if (rc) {
		w2c_vr_finding(c, W2C_VERIFY_CHECKSUM, sumpath, "line", "%s", e2.message);
		free(sumpath);
		return W2C_OK;
	}
	if (strcmp(name, base))
		w2c_vr_finding(c, W2C_VERIFY_CHECKSUM, sumpath, "name",
			   "%s: names '%s', expected '%s' (the image next to it)", sumpath, name, base);
	rc = hash_stream(c, read_image, c->out, w2c_media_size(c->out), base, c->r->sha256, err);
	if (!rc && strcmp(want, c->r->sha256))
		w2c_vr_finding(c, W2C_VERIFY_CHECKSUM, sumpath, "sha256",
			   "%s: sha256 is %s, but %s hashes to %s", sumpath, want, c->iso, c->r->sha256);
	free(name);
	free(sumpath);
	return rc;
}

static w2c_code run_checks(vctx *c, w2c_error *err)
{
	w2c_media_options mo = { .log = c->o->log, .skip_wims = true };
	w2c_code rc = w2c_media_open(c->iso, &mo, &c->out, err);

	if (!rc)
		c->progress_total = w2c_media_size(c->out);
	for (size_t i = 0; !rc && i < c->o->n_allow_edits; i++)
		if (w2c_vr_allow_add(c, c->o->allow_edits[i], "--allow-edit"))
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if (!rc && c->o->against)
		rc = w2c_vr_open_source(c, err);
	if (!rc)
		rc = w2c_vr_read_manifest(c, c->out, true, err);
	if (!rc && c->src_root)
		rc = w2c_vr_read_manifest(c, c->src, false, err);
	if (!rc)
		rc = w2c_vr_allow_split(c, err);
	if (!rc)
		rc = w2c_vr_check_catalog(c, err);
	if (!rc)
		w2c_vr_check_bootwim(c);
	if (!rc)
		rc = w2c_vr_check_names(c, err);
	if (!rc)
		rc = w2c_vr_check_udf(c, err);
	if (!rc && c->o->against)
		rc = w2c_vr_check_content(c, err);
	if (!rc)
		rc = w2c_vr_check_checksum(c, err);
	return rc;
}

static w2c_code run_boots(vctx *c, w2c_error *err)
{
	static const char *fwname[] = { "", "bios", "uefi" };
	for (unsigned fw = W2C_FW_BIOS; fw <= W2C_FW_UEFI; fw <<= 1) {
		if (!(c->o->boot & fw))
			continue;
		w2c_boot_run *b = &c->r->boots[c->r->n_boots];
		w2c_code rc = w2c_boot_iso(c->iso, fw, &c->o->boot_opts, b, err);
		if (rc)
			return rc;
		c->r->n_boots++;
		double t = c->o->boot_opts.timeout > 0 ? c->o->boot_opts.timeout : 60;
		char when[64];
		snprintf(when, sizeof when, b->gave_up ? "gave up on the disc after %.1f s" :
			 "did not start the El Torito image within %.0f s", b->gave_up ? b->seconds : t);
		if (!b->started)
			w2c_vr_finding(c, W2C_VERIFY_BOOT, c->iso, fwname[fw],
				   "%s: %s boot: the firmware %s, expected it to start the El Torito "
				   "image (%s)", c->iso, fwname[fw], when,
				   fw == W2C_FW_BIOS ? "SeaBIOS 'Booting from 0000:7c00'"
						     : "OVMF 'BdsDxe: starting Boot... DVD-ROM'");
		else if (!b->expect_seen)
			w2c_vr_finding(c, W2C_VERIFY_BOOT, c->iso, fwname[fw],
				   "%s: %s boot: the expected text did not appear within %.0f s",
				   c->iso, fwname[fw], t);
	}
	return W2C_OK;
}

w2c_code w2c_verify(const char *iso, const w2c_verify_options *opts, w2c_verify_report *report,
		    w2c_error *err)
{
	static const w2c_verify_options defaults = { 0 };
	vctx c = { .iso = iso, .o = opts ? opts : &defaults, .r = report };
	w2c_code rc;

	memset(report, 0, sizeof *report);
	rc = run_checks(&c, err);
	/* Boot only an image whose catalog passed: a count of 4 or a non-FAT UEFI
	 * image is reported before any firmware sees it. */
	if (!rc && c.o->boot) {
		bool catalog_ok = true;
		for (size_t i = 0; i < report->n_findings; i++)
			catalog_ok &= report->findings[i].check != W2C_VERIFY_CATALOG;
		if (catalog_ok)
			rc = run_boots(&c, err);
		else
			w2c_vr_note(&c, "%s: not booted: the El Torito catalog has findings", iso);
	}
	if (!rc && c.oom)
		rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	w2c_media_free(c.out);
	w2c_media_free(c.src);
	w2c_node_free(c.src_dir_root);
	for (size_t i = 0; i < c.n_allow; i++)
		free(c.allow[i].prefix);
	free(c.allow);
	for (size_t i = 0; i < c.n_manifest_paths; i++)
		free(c.manifest_paths[i]);
	free(c.manifest_paths);
	return rc;
}

void w2c_verify_report_clear(w2c_verify_report *r)
{
	for (size_t i = 0; i < r->n_findings; i++) {
		free(r->findings[i].file);
		free(r->findings[i].field);
		free(r->findings[i].message);
	}
	free(r->findings);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->notes);
	for (size_t i = 0; i < r->n_changes; i++)
		free(r->changes[i].path);
	free(r->changes);
	for (size_t i = 0; i < r->n_boots; i++)
		w2c_boot_run_clear(&r->boots[i]);
	memset(r, 0, sizeof *r);
}
