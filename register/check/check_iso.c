/* Checks of a Windows installation ISO: El Torito (windows-media spec
 * §1.4), boot images, boot.wim, editions, drivers, answer file, size, name. */
#include "win2cloud/check.h"
#include "win2cloud/drivers.h"
#include "win2cloud/media.h"
#include "win2cloud/unattend.h"
#include "common/util.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GIB (1024.0 * 1024 * 1024)

static void check_name_size(const char *path, w2c_media *m, const w2c_check_limits *l,
			    w2c_check_report *r)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t stem = strlen(base), bad = (size_t)-1;
	if (stem > 4 && w2c_str_endswith_ci(base, ".iso"))
		stem -= 4;
	for (size_t i = 0; i < stem && bad == (size_t)-1; i++)
		if (!isalnum((unsigned char)base[i]) && base[i] != '-' && base[i] != '_')
			bad = i;
	if (bad == (size_t)-1)
		w2c_check_add(r, "iso.filename", W2C_STATUS_PASS, path, NULL,
			      "file name '%s' uses only letters, digits, '-' and '_'", base);
	else
		w2c_check_add(r, "iso.filename", W2C_STATUS_FAIL, path, NULL,
			      "file name '%s' has '%c' at position %zu; the console accepts only letters, "
			      "digits, '-' and '_' before .iso", base, base[bad], bad + 1);
	uint64_t sz = w2c_media_size(m);
	w2c_check_add(r, "iso.size", sz <= l->iso_max ? W2C_STATUS_PASS : W2C_STATUS_FAIL, path, NULL,
		      "ISO size %.2f GiB %s import limit %.0f GiB", sz / GIB, sz <= l->iso_max ? "<=" : ">",
		      l->iso_max / GIB);
}

static void check_bios_entry(const char *path, const w2c_boot_entry *b, w2c_check_report *r)
{
	char why[256] = "";
	unsigned want = (unsigned)((b->image_size + 511) / 512);
	if (b->media_type != 0)
		snprintf(why, sizeof why, "media type %u (emulation), expected 0 (no emulation)", b->media_type);
	else if (b->load_segment != 0 && b->load_segment != 0x07C0)
		snprintf(why, sizeof why, "load segment 0x%04x, expected 0x0000 or 0x07C0", b->load_segment);
	else if (!b->bootable)
		snprintf(why, sizeof why, "boot indicator is not 0x88 (not bootable)");
	else if (b->image_path && b->sector_count != want)
		snprintf(why, sizeof why, "sector count %u, expected %u = %llu-byte %s / 512 (BIOS loads "
			 "exactly count x 512 bytes)", b->sector_count, want,
			 (unsigned long long)b->image_size, b->image_path);
	if (*why)
		w2c_check_add(r, "iso.eltorito.geometry", W2C_STATUS_FAIL, path, NULL, "BIOS entry: %s", why);
	else
		w2c_check_add(r, "iso.eltorito.geometry", W2C_STATUS_PASS, path, NULL,
			      "BIOS entry: no emulation, load segment 0x%04x, %u sectors%s%s", b->load_segment,
			      b->sector_count, b->image_path ? " for " : " (image is no file)",
			      b->image_path ? b->image_path : "");
}

static void check_eltorito(const char *path, w2c_media *m, w2c_check_report *r)
{
	const w2c_boot_entry *bios = NULL, *uefi = NULL;
	for (size_t i = 0; i < w2c_media_boot_count(m); i++) {
		const w2c_boot_entry *b = w2c_media_boot_entry(m, i);
		if (b->platform_id == 0 && !bios)
			bios = b;
		if (b->platform_id == 0xEF && !uefi)
			uefi = b;
		/* Boot images must lie inside the image and be readable. */
		uint8_t buf[2048];
		uint64_t end = (uint64_t)b->lba * 2048 + (uint64_t)b->sector_count * 512;
		w2c_error e;
		if (!b->lba || end > w2c_media_size(m) || w2c_media_pread(m, buf, sizeof buf, (uint64_t)b->lba * 2048, &e))
			w2c_check_add(r, "iso.boot_image", W2C_STATUS_FAIL, path, NULL,
				      "boot entry %zu: image at LBA %u (%u sectors) ends at byte %llu, beyond "
				      "the %llu-byte image or unreadable", i + 1, b->lba, b->sector_count,
				      (unsigned long long)end, (unsigned long long)w2c_media_size(m));
		else
			w2c_check_add(r, "iso.boot_image", W2C_STATUS_PASS, path, NULL,
				      "boot entry %zu: image at LBA %u readable", i + 1, b->lba);
	}
	if (!bios) {
		w2c_check_add(r, "iso.eltorito.bios", W2C_STATUS_FAIL, path, NULL,
			      "no BIOS (platform 0x00) El Torito entry among %zu; the cloud boots ISOs "
			      "with BIOS", w2c_media_boot_count(m));
	} else {
		w2c_check_add(r, "iso.eltorito.bios", W2C_STATUS_PASS, path, NULL,
			      "BIOS El Torito entry present");
		check_bios_entry(path, bios, r);
	}
	if (uefi) {
		unsigned min = (unsigned)((uefi->image_size + 2047) / 2048);
		bool ok = uefi->sector_count <= 1 || uefi->sector_count >= min;
		w2c_check_add(r, "iso.eltorito.uefi", ok ? W2C_STATUS_PASS : W2C_STATUS_FAIL, path, NULL,
			      "UEFI El Torito entry: %u sectors for %llu-byte %s%s", uefi->sector_count,
			      (unsigned long long)uefi->image_size,
			      uefi->image_path ? uefi->image_path : "image",
			      ok ? "" : " (expected 0/1 or at least size/2048)");
	} else {
		w2c_check_add(r, "iso.eltorito.uefi", W2C_STATUS_FAIL, path, NULL,
			      "no UEFI (platform 0xEF) El Torito entry: the ISO boots with BIOS only");
	}
}

static void check_wims(const char *path, w2c_media *m, w2c_check_report *r)
{
	const w2c_wim_info *boot = NULL;
	for (size_t i = 0; i < w2c_media_wim_count(m); i++)
		if (!w2c_strcasecmp(w2c_media_wim(m, i)->file, "/sources/boot.wim"))
			boot = w2c_media_wim(m, i);
	if (!boot)
		w2c_check_add(r, "iso.bootwim", W2C_STATUS_FAIL, path, NULL,
			      "/sources/boot.wim not found: Setup cannot start");
	else if (boot->boot_index < 1 || boot->boot_index > boot->image_count)
		w2c_check_add(r, "iso.bootwim", W2C_STATUS_FAIL, path, NULL,
			      "%s boot index %u, expected 1 to %u (its image count)", boot->file,
			      boot->boot_index, boot->image_count);
	else
		w2c_check_add(r, "iso.bootwim", W2C_STATUS_PASS, path, NULL,
			      "%s boot index %u of %u images", boot->file, boot->boot_index, boot->image_count);
	size_t n = w2c_media_edition_count(m);
	if (!n) {
		w2c_check_add(r, "iso.editions", W2C_STATUS_FAIL, path, NULL,
			      "no edition found in sources/install.wim, install.esd or install.swm");
		return;
	}
	char list[768] = "";
	for (size_t i = 0; i < n; i++) {
		const w2c_edition *e = w2c_media_edition(m, i);
		size_t l = strlen(list);
		snprintf(list + l, sizeof list - l, "%s%u %s", i ? "; " : "", e->index,
			 e->name ? e->name : "(unnamed)");
	}
	w2c_check_add(r, "iso.editions", W2C_STATUS_PASS, path, NULL, "%zu edition(s): %s", n, list);
}

/* One edition's boot-critical cells as text: "viostor viostor/2k22_amd64 (VioStor.NTamd64.10.0)". */
static void describe(const w2c_edition_selection *sel, char *out, size_t n)
{
	out[0] = 0;
	for (size_t i = 0; i < sel->n_choices; i++) {
		const w2c_driver_choice *c = &sel->choices[i];
		size_t l = strlen(out);
		if (c->reason == W2C_SEL_CHOSEN)
			snprintf(out + l, n - l, "%s%s %s (%s, %s)", i ? "; " : "", c->driver,
				 c->entries[0]->dir, c->detail,
				 c->entries[0]->pkg->driver_version ? c->entries[0]->pkg->driver_version : "?");
		else
			snprintf(out + l, n - l, "%s%s: %s: %s", i ? "; " : "", c->driver,
				 w2c_select_reason_name(c->reason), c->detail);
	}
}

/* The storage driver inject serviced into install.wim/esd image @index (--level image), per
 * its manifest @doc, or NULL. */
static const char *serviced_storage(json_t *doc, unsigned index)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(doc, "images"), i, v) {
		const char *wim = json_string_value(json_object_get(v, "wim"));
		if (wim && !strncasecmp(wim, "/sources/install.", 17) &&
		    json_integer_value(json_object_get(v, "index")) == (json_int_t)index)
			return json_string_value(json_object_get(v, "storage"));
	}
	return NULL;
}

static bool boot_serviced(json_t *doc)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(doc, "serviced"), i, v)
		if (json_string_value(v) && !w2c_strcasecmp(json_string_value(v), "/sources/boot.wim"))
			return true;
	return false;
}

/* Why a serviced install image does not make up for a missing $WinPEDriver$ storage driver. */
static void serviced_hint(json_t *doc, const w2c_edition *e, char *out, size_t n)
{
	const char *svc = serviced_storage(doc, e->index);

	out[0] = 0;
	if (svc)
		snprintf(out, n, "; install image %u was serviced offline with %s (--level image), which "
			 "serves the installed Windows, but Setup's WinPE loads drivers from "
			 "$WinPEDriver$ (--level media)%s", e->index, svc,
			 boot_serviced(doc) ? "; boot.wim was serviced too (--level boot), which WinPE "
					      "is not confirmed to bind" : "");
}

static void edition_drivers(const char *path, const w2c_driver_catalog *cat, const w2c_edition *e,
			    json_t *manifest, w2c_check_report *r)
{
	char hint[400];
	static const char *const boot[] = { "viostor", "vioscsi", NULL };
	w2c_select_options so = { boot, NULL };
	w2c_edition_selection sel;
	w2c_error err;
	char what[900];

	if (w2c_driver_select(cat, e, &so, &sel, &err)) {
		w2c_check_add(r, "iso.drivers", W2C_STATUS_FAIL, path, NULL, "edition %u: %s", e->index,
			      err.message);
		return;
	}
	describe(&sel, what, sizeof what);
	serviced_hint(manifest, e, hint, sizeof hint);
	w2c_check_add(r, "iso.drivers", sel.missing_boot_critical ? W2C_STATUS_FAIL : W2C_STATUS_PASS,
		      path, NULL, "edition %u '%s' (%s, build %u): %s%s%s", e->index,
		      e->name ? e->name : "", e->arch ? e->arch : "?", e->build, what,
		      sel.missing_boot_critical ? "; Setup will not see a VirtIO disk" : "",
		      sel.missing_boot_critical ? hint : "");
	w2c_edition_selection_clear(&sel);
}

/*
 * What is under $WinPEDriver$ is read as a driver source and selected per
 * edition exactly as inject selects (drivers.h): viostor and vioscsi must be
 * there with an INF whose decorations accept the edition's arch and build.
 */
static void check_drivers(const char *path, w2c_media *m, const w2c_check_options *o,
			  w2c_check_report *r)
{
	w2c_node *d = w2c_tree_lookup(w2c_media_root(m), "/" W2C_WINPE_DRIVER_DIR);
	w2c_driver_catalog *cat;
	w2c_driver_source *src = NULL;
	w2c_error err;

	if ((!d || !d->is_dir) && !o->require_drivers) {
		w2c_check_add(r, "iso.drivers", W2C_STATUS_SKIP, path, NULL,
			      "no drivers injected ($WinPEDriver$ absent); pass --require-drivers to require them");
		return;
	}
	if (!d || !d->is_dir) {
		w2c_check_add(r, "iso.drivers", W2C_STATUS_FAIL, path, NULL,
			      "no /$WinPEDriver$ folder: no edition gets viostor or vioscsi; Setup will "
			      "not see a VirtIO disk");
		return;
	}
	if (!(cat = w2c_driver_catalog_new())) {
		w2c_check_add(r, "iso.drivers", W2C_STATUS_FAIL, path, NULL, "out of memory");
		return;
	}
	if (w2c_driver_source_from_media(m, "/" W2C_WINPE_DRIVER_DIR, &src, &err) ||
	    w2c_driver_catalog_add(cat, src, &err))
		w2c_check_add(r, "iso.drivers", W2C_STATUS_FAIL, path,
			      "fix or remove the INF: win2cloud drivers OUT.iso lists what Setup will see",
			      "the drivers under /$WinPEDriver$ cannot be read: %s", err.message);
	else {
		char *text = NULL;
		size_t len = 0;
		/* a missing or broken manifest only loses the hint: the drivers were read above */
		json_t *manifest = w2c_drivers_manifest_read(m, w2c_media_root(m), &text, &len, &err)
					   ? NULL : json_loadb(text, len, 0, NULL);
		free(text);
		for (size_t i = 0; i < w2c_media_edition_count(m); i++)
			edition_drivers(path, cat, w2c_media_edition(m, i), manifest, r);
		json_decref(manifest);
	}
	w2c_driver_catalog_free(cat);
}

static w2c_cloud_profile lint_cloud(const char *profile)
{
	return !strcmp(profile, "openstack") ? W2C_CLOUD_OPENSTACK :
	       !strcmp(profile, "huaweicloud") ? W2C_CLOUD_HUAWEI : W2C_CLOUD_OTC;
}

/* The answer-file lint of inject/ (one rule set, one place): its errors fail this rule. */
static void check_unattend(const char *path, w2c_media *m, const w2c_check_options *o,
			   w2c_check_report *r)
{
	w2c_node *u = w2c_tree_lookup(w2c_media_root(m), "/autounattend.xml");
	const char *fw = o->firmware ? o->firmware : w2c_check_profile_limits(o->profile)->firmware;
	w2c_lint_report lr = { 0 };
	w2c_error e;
	size_t got = 0;

	if (!u || u->is_dir) {
		w2c_check_add(r, "iso.autounattend", W2C_STATUS_FAIL, path, NULL,
			      "/autounattend.xml not found: Setup will stop and wait for input");
		return;
	}
	char *xml = u->size <= (8u << 20) ? malloc((size_t)u->size + 1) : NULL;
	if (!xml || w2c_media_read(m, u, 0, xml, (size_t)u->size, &got, &e)) {
		w2c_check_add(r, "iso.autounattend", W2C_STATUS_FAIL, path, NULL,
			      "/autounattend.xml (%llu bytes) unreadable or larger than 8 MiB",
			      (unsigned long long)u->size);
		free(xml);
		return;
	}
	const w2c_edition **eds = calloc(w2c_media_edition_count(m) + 1, sizeof *eds);
	for (size_t i = 0; eds && i < w2c_media_edition_count(m); i++)
		eds[i] = w2c_media_edition(m, i);
	w2c_unattend_target t = { w2c_media_root(m), eds, eds ? w2c_media_edition_count(m) : 0 };
	w2c_lint_options lo = { &t, true, strcmp(fw, "uefi") ? W2C_FIRMWARE_BIOS : W2C_FIRMWARE_UEFI,
				true, lint_cloud(w2c_check_profile_name(o->profile)) };
	if (w2c_unattend_lint(xml, got, &lo, &lr, &e)) {
		w2c_check_add(r, "iso.autounattend", W2C_STATUS_FAIL, path, NULL, "answer-file lint: %s",
			      e.message);
	} else if (lr.errors) {
		for (size_t i = 0; i < lr.n; i++)
			if (lr.items[i].severity == W2C_SEV_ERROR)
				w2c_check_add(r, "iso.autounattend", W2C_STATUS_FAIL, path, lr.items[i].fix,
					      "/autounattend.xml line %ld: %s [%s]", lr.items[i].line,
					      lr.items[i].message, lr.items[i].rule);
	} else {
		w2c_check_add(r, "iso.autounattend", W2C_STATUS_PASS, path, NULL,
			      "/autounattend.xml present and clean under the answer-file lint "
			      "(%zu warning(s): win2cloud unattend lint for details)", lr.warnings);
	}
	w2c_lint_report_free(&lr);
	free(eds);
	free(xml);
}

w2c_code w2c_check_iso(const char *path, const w2c_check_options *o, w2c_check_report *r,
		       w2c_error *err)
{
	w2c_media_options mo = { .log = o->log };
	w2c_media *m;
	w2c_code rc = w2c_media_open(path, &mo, &m, err);
	if (rc)
		return rc;
	check_name_size(path, m, w2c_check_profile_limits(o->profile), r);
	check_eltorito(path, m, r);
	check_wims(path, m, r);
	check_drivers(path, m, o, r);
	check_unattend(path, m, o, r);
	w2c_media_free(m);
	return W2C_OK;
}
