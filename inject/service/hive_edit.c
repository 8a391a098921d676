/*
 * Registry edits for offline driver servicing, the virt-v2v recipe
 * (specs/windows-media.md §4c), through hivex.  Every value is compared
 * with what the hive holds first and written only when it differs, and the
 * hive is committed only when something was written: servicing an already
 * serviced image leaves its hives byte for byte.
 */
#include "inject/service/service_int.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <hivex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SCSI_ADAPTER_GUID "{4D36E97B-E325-11CE-BFC1-08002BE10318}"
#define VIRTIO_DIR "%SystemRoot%\\Drivers\\VirtIO"

typedef struct hctx {
	hive_h *h;
	const char *name; /* for messages: "sources/install.wim image 3: /Windows/..." */
	w2c_hive_report *r;
	w2c_error *err;
} hctx;

/* PCI ids the storage drivers bind to: legacy and modern virtio (§4c). */
static const char *const *pci_ids(const char *svc)
{
	static const char *const blk[] = { "VEN_1AF4&DEV_1001&REV_00", "VEN_1AF4&DEV_1042&REV_01", NULL };
	static const char *const scsi[] = { "VEN_1AF4&DEV_1004&REV_00", "VEN_1AF4&DEV_1048&REV_01", NULL };
	return !w2c_strcasecmp(svc, "vioscsi") ? scsi : blk;
}

static w2c_code hive_fail(hctx *c, const char *what, const char *key)
{
	return w2c_set_error(c->err, errno == ENOMEM ? W2C_ERR_NOMEM : W2C_ERR_INVALID_INPUT,
			     "%s: %s %s: %s", c->name, what, key, strerror(errno ? errno : EINVAL));
}

/* The key @path ('\' separated) below @from; created when @create. 0 = absent. */
static w2c_code key_at(hctx *c, hive_node_h from, const char *path, bool create, hive_node_h *out)
{
	char *dup = w2c_strdup(path), *save = NULL;
	hive_node_h n = from;
	w2c_code rc = dup ? W2C_OK : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");

	for (char *part = dup ? strtok_r(dup, "\\", &save) : NULL; !rc && n && part;
	     part = strtok_r(NULL, "\\", &save)) {
		hive_node_h child;
		errno = 0;
		if ((child = hivex_node_get_child(c->h, n, part)) == 0 && errno)
			rc = hive_fail(c, "cannot read key", path);
		else if (!child && create) {
			if ((child = hivex_node_add_child(c->h, n, part)) == 0)
				rc = hive_fail(c, "cannot create key", path);
			else
				c->r->changed++;
		}
		n = child;
	}
	free(dup);
	*out = rc ? 0 : n;
	return rc;
}

/* Set @vname of @node unless it holds exactly @t and @data already. */
static w2c_code set_raw(hctx *c, hive_node_h node, const char *key, const char *vname, hive_type t,
			const void *data, size_t len)
{
	hive_value_h v = hivex_node_get_value(c->h, node, vname);
	if (v) {
		hive_type ot;
		size_t ol = 0;
		char *old = hivex_value_value(c->h, v, &ot, &ol);
		bool same = old && ot == t && ol == len && !memcmp(old, data, len);
		free(old);
		if (same)
			return W2C_OK;
	}
	hive_set_value sv = { (char *)vname, t, len, (char *)data };
	if (hivex_node_set_value(c->h, node, &sv, 0)) {
		char *what = w2c_asprintf("%s value '%s'", key, vname);
		w2c_code rc = hive_fail(c, "cannot set", what ? what : key);
		free(what);
		return rc;
	}
	c->r->changed++;
	return W2C_OK;
}

/* REG_SZ / REG_EXPAND_SZ: UTF-16LE and one UTF-16 NUL; with @multi,
 * REG_MULTI_SZ: the strings of the NULL-terminated @list, then one more NUL. */
static uint8_t *utf16_list(const char *const *list, bool multi, size_t *len)
{
	uint8_t *u[8] = { 0 }, *out = NULL, *p;
	size_t ul[8], total = multi ? 2 : 0, cnt = 0;

	/* converted once, then sized: non-ASCII is not twice its UTF-8 length in UTF-16 */
	for (; list[cnt] && cnt < 8; cnt++) {
		if (!(u[cnt] = w2c_utf8_to_utf16le(list[cnt], &ul[cnt])))
			goto out;
		total += ul[cnt] + 2;
	}
	if (list[cnt] || !(out = calloc(1, total ? total : 2)))
		goto out;
	p = out;
	for (size_t i = 0; i < cnt; p += ul[i] + 2, i++)
		memcpy(p, u[i], ul[i]);
	*len = total;
out:
	for (size_t i = 0; i < cnt; i++)
		free(u[i]);
	return out;
}

static w2c_code set_str(hctx *c, hive_node_h node, const char *key, const char *vname, hive_type t,
			const char *s)
{
	const char *list[] = { s, NULL };
	size_t len = 0;
	uint8_t *data = utf16_list(list, t == hive_t_REG_MULTI_SZ, &len);
	w2c_code rc = data ? set_raw(c, node, key, vname, t, data, len)
			   : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
	free(data);
	return rc;
}

static w2c_code set_dword(hctx *c, hive_node_h node, const char *key, const char *vname, uint32_t v)
{
	uint8_t le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };
	return set_raw(c, node, key, vname, hive_t_REG_DWORD, le, sizeof le);
}

/* Key @path below @from, created as needed; the caller sets values on *@n. */
static w2c_code mkkey(hctx *c, hive_node_h from, const char *path, hive_node_h *n)
{
	w2c_code rc = key_at(c, from, path, true, n);
	if (!rc && !*n)
		rc = hive_fail(c, "cannot create key", path);
	return rc;
}

static w2c_code service_key(hctx *c, hive_node_h cs, const char *cs_name, const char *svc)
{
	char *key = w2c_asprintf("%s\\Services\\%s", cs_name, svc);
	char *image = w2c_asprintf("system32\\drivers\\%s.sys", svc);
	hive_node_h n = 0;
	w2c_code rc = key && image ? mkkey(c, cs, key + strlen(cs_name) + 1, &n)
				   : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
	if (!rc)
		rc = set_dword(c, n, key, "Type", 1); /* SERVICE_KERNEL_DRIVER */
	if (!rc)
		rc = set_dword(c, n, key, "Start", 0); /* SERVICE_BOOT_START */
	if (!rc)
		rc = set_str(c, n, key, "Group", hive_t_REG_SZ, "SCSI miniport");
	if (!rc)
		rc = set_dword(c, n, key, "ErrorControl", 1);
	if (!rc)
		rc = set_str(c, n, key, "ImagePath", hive_t_REG_EXPAND_SZ, image);
	free(key);
	free(image);
	return rc;
}

/* Pre-Windows 8: CriticalDeviceDatabase\PCI#<id> -> the service. */
static w2c_code critical_device_db(hctx *c, hive_node_h cs, const char *svc)
{
	w2c_code rc = W2C_OK;
	for (const char *const *id = pci_ids(svc); !rc && *id; id++) {
		char *key = w2c_asprintf("Control\\CriticalDeviceDatabase\\PCI#%s", *id);
		hive_node_h n = 0;
		rc = key ? mkkey(c, cs, key, &n) : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
		if (!rc)
			rc = set_str(c, n, key, "Service", hive_t_REG_SZ, svc);
		if (!rc)
			rc = set_str(c, n, key, "ClassGUID", hive_t_REG_SZ, SCSI_ADAPTER_GUID);
		free(key);
	}
	return rc;
}

/* DriverPackages\<label> Version: 00 ff 09 00 00 00 00 00, the SCSIAdapter
 * class GUID in binary form, 24 zero bytes (virt-v2v: needed by
 * Windows-Kernel-Pnp on Windows 10 / Server 2016). */
static const uint8_t package_version[48] = {
	0x00, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0xe9, 0x36, 0x4d, 0x25, 0xe3,
	0xce, 0x11, 0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18,
};

static w2c_code package_keys(hctx *c, hive_node_h root, const char *label, const char *svc)
{
	static const uint8_t rank[4] = { 0x01, 0xff, 0x00, 0x00 };
	char *pkg = w2c_asprintf("DriverDatabase\\DriverPackages\\%s", label);
	char *conf = pkg ? w2c_asprintf("%s\\Configurations\\guestor_conf", pkg) : NULL;
	hive_node_h n = 0;
	w2c_code rc = conf ? mkkey(c, root, pkg, &n) : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");

	if (!rc)
		rc = set_raw(c, n, pkg, "Version", hive_t_REG_BINARY, package_version, sizeof package_version);
	if (!rc && !(rc = mkkey(c, root, conf, &n)))
		rc = set_dword(c, n, conf, "ConfigFlags", 0);
	if (!rc)
		rc = set_str(c, n, conf, "Service", hive_t_REG_SZ, svc);
	for (const char *const *id = pci_ids(svc); !rc && *id; id++) {
		char *dev = w2c_asprintf("DriverDatabase\\DeviceIds\\PCI\\%s", *id);
		char *desc = w2c_asprintf("%s\\Descriptors\\PCI\\%s", pkg, *id);
		rc = dev && desc ? mkkey(c, root, dev, &n) : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
		if (!rc)
			rc = set_raw(c, n, dev, "guestor.inf", hive_t_REG_BINARY, rank, sizeof rank);
		if (!rc && !(rc = mkkey(c, root, desc, &n)))
			rc = set_str(c, n, desc, "Configuration", hive_t_REG_SZ, "guestor_conf");
		free(dev);
		free(desc);
	}
	free(pkg);
	free(conf);
	return rc;
}

/* Windows 8 and later: the fake driver package "guestor.inf" (§4c table). */
static w2c_code driver_database(hctx *c, hive_node_h root, const char *svc, const char *arch)
{
	const char *key = "DriverDatabase\\DriverInfFiles\\guestor.inf";
	char *label = w2c_asprintf("guestor.inf_%s_0000000000000000", arch);
	const char *labels[] = { label, NULL }, *confs[] = { "guestor_conf", NULL };
	size_t l1 = 0, l2 = 0;
	uint8_t *ml = label ? utf16_list(labels, true, &l1) : NULL, *mc = utf16_list(confs, true, &l2);
	hive_node_h n = 0;
	w2c_code rc = ml && mc ? mkkey(c, root, key, &n) : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");

	if (!rc)
		rc = set_raw(c, n, key, "", hive_t_REG_MULTI_SZ, ml, l1);
	if (!rc)
		rc = set_str(c, n, key, "Active", hive_t_REG_SZ, label);
	if (!rc)
		rc = set_raw(c, n, key, "Configurations", hive_t_REG_MULTI_SZ, mc, l2);
	if (!rc)
		rc = package_keys(c, root, label, svc);
	free(label);
	free(ml);
	free(mc);
	return rc;
}

/* Select\Current names the control set; CurrentControlSet is a runtime link. */
static w2c_code control_set(hctx *c, hive_node_h root, hive_node_h *cs, char name[16])
{
	hive_node_h sel = 0;
	w2c_code rc = key_at(c, root, "Select", false, &sel);
	hive_value_h v = sel ? hivex_node_get_value(c->h, sel, "Current") : 0;
	hive_type t = hive_t_REG_NONE;
	size_t len = 0;

	if (rc)
		return rc;
	if (!v || hivex_value_type(c->h, v, &t, &len) || t != hive_t_REG_DWORD || len != 4)
		return w2c_set_error(c->err, W2C_ERR_INVALID_INPUT, "%s: no Select\\Current REG_DWORD: "
				     "expected a SYSTEM hive naming its control set", c->name);
	c->r->control_set = (uint32_t)hivex_value_dword(c->h, v);
	snprintf(name, 16, "ControlSet%03u", c->r->control_set % 1000);
	if ((rc = key_at(c, root, name, false, cs)) || *cs)
		return rc;
	return w2c_set_error(c->err, W2C_ERR_INVALID_INPUT, "%s: Select\\Current is %u but the hive has "
			     "no %s: expected the control set it names", c->name, c->r->control_set, name);
}

static w2c_code system_recipe(hctx *c, const char *svc, const char *arch)
{
	hive_node_h root = hivex_root(c->h), cs = 0, dd = 0, n = 0;
	char cs_name[16];
	w2c_code rc = control_set(c, root, &cs, cs_name);

	if (!rc)
		rc = key_at(c, root, "DriverDatabase", false, &dd);
	c->r->driver_database = dd != 0;
	if (!rc)
		rc = service_key(c, cs, cs_name, svc);
	if (!rc)
		rc = dd ? driver_database(c, root, svc, arch) : critical_device_db(c, cs, svc);
	if (!rc)
		rc = mkkey(c, cs, "Control\\CrashControl", &n);
	if (!rc)
		rc = set_dword(c, n, "Control\\CrashControl", "AutoReboot", 0);
	return rc;
}

w2c_code w2c_hive_sequence(const char *path, uint32_t *seq1, uint32_t *seq2, w2c_error *err)
{
	uint8_t hdr[12];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	w2c_code rc = fd < 0 ? w2c_set_error(err, W2C_ERR_IO, "%s: %s", path, strerror(errno))
			     : w2c_pread_full(fd, hdr, sizeof hdr, 0, path, err);
	if (fd >= 0)
		close(fd);
	if (!rc && memcmp(hdr, "regf", 4))
		rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: no 'regf' signature: expected a registry hive",
				   path);
	if (!rc) {
		*seq1 = (uint32_t)hdr[4] | (uint32_t)hdr[5] << 8 | (uint32_t)hdr[6] << 16 | (uint32_t)hdr[7] << 24;
		*seq2 = (uint32_t)hdr[8] | (uint32_t)hdr[9] << 8 | (uint32_t)hdr[10] << 16 | (uint32_t)hdr[11] << 24;
	}
	return rc;
}

typedef w2c_code (*recipe_fn)(hctx *c, const char *svc, const char *arch);

/* Open @path for writing, apply @fn, commit only if a value changed. */
static w2c_code edit(const char *path, const char *name, recipe_fn fn, const char *svc,
		     const char *arch, w2c_hive_report *r, w2c_error *err)
{
	hctx c = { NULL, name, r, err };
	w2c_code rc;

	memset(r, 0, sizeof *r);
	if ((rc = w2c_hive_sequence(path, &r->seq1, &r->seq2, err))) {
		char why[sizeof err->message];
		snprintf(why, sizeof why, "%s", err->message);
		return w2c_set_error(err, rc, "%s: %s", name, why);
	}
	r->dirty = r->seq1 != r->seq2;
	errno = 0;
	if (!(c.h = hivex_open(path, HIVEX_OPEN_WRITE)))
		return w2c_set_error(err, errno == ENOMEM ? W2C_ERR_NOMEM : W2C_ERR_INVALID_INPUT,
				     "%s: hivex cannot open it: %s (expected a registry hive)", name,
				     strerror(errno ? errno : EINVAL));
	rc = fn(&c, svc, arch);
	if (!rc && r->changed && hivex_commit(c.h, NULL, 0))
		rc = w2c_set_error(err, W2C_ERR_IO, "%s: hivex cannot write it: %s", name, strerror(errno));
	hivex_close(c.h);
	return rc;
}

w2c_code w2c_hive_edit_system(const char *path, const char *name, const char *svc,
			      const char *arch, w2c_hive_report *r, w2c_error *err)
{
	return edit(path, name, system_recipe, svc, arch, r, err);
}

/* Is VIRTIO_DIR one of the ';'-separated entries of @list? */
static bool has_entry(const char *list)
{
	size_t want = strlen(VIRTIO_DIR);
	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ';');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == want && !strncasecmp(p, VIRTIO_DIR, n))
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static w2c_code device_path(hctx *c, const char *svc, const char *arch)
{
	const char *key = "Microsoft\\Windows\\CurrentVersion";
	hive_node_h n = 0;
	hive_type t = hive_t_REG_EXPAND_SZ;
	size_t len = 0;
	char *old = NULL, *u8 = NULL, *next = NULL;
	w2c_code rc = mkkey(c, hivex_root(c->h), key, &n);
	hive_value_h v = rc ? 0 : hivex_node_get_value(c->h, n, "DevicePath");

	(void)svc;
	(void)arch;
	if (v && !(old = hivex_value_value(c->h, v, &t, &len)))
		rc = hive_fail(c, "cannot read", "DevicePath");
	if (!rc && t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ)
		rc = w2c_set_error(c->err, W2C_ERR_INVALID_INPUT, "%s: %s DevicePath has type %d: "
				   "expected REG_SZ or REG_EXPAND_SZ", c->name, key, (int)t);
	while (!rc && old && len >= 2 && !old[len - 1] && !old[len - 2])
		len -= 2; /* strip the UTF-16 NUL, re-added below */
	if (!rc && old && !(u8 = w2c_utf16le_to_utf8((const uint8_t *)old, len & ~(size_t)1)))
		rc = w2c_set_error(c->err, W2C_ERR_INVALID_INPUT, "%s: %s DevicePath: not UTF-16LE text",
				   c->name, key);
	if (!rc && !has_entry(u8)) {
		/* absent (a minimal hive): Windows' default first, then ours */
		next = w2c_asprintf("%s;%s", u8 ? u8 : "%SystemRoot%\\inf", VIRTIO_DIR);
		rc = next ? set_str(c, n, key, "DevicePath", t, next)
			  : w2c_set_error(c->err, W2C_ERR_NOMEM, "out of memory");
	}
	free(old);
	free(u8);
	free(next);
	return rc;
}

w2c_code w2c_hive_edit_software(const char *path, const char *name, w2c_hive_report *r,
				w2c_error *err)
{
	return edit(path, name, device_path, NULL, NULL, r, err);
}

w2c_code w2c_setupcomplete_merge(const char *old, size_t old_len, char **out, size_t *out_len,
				 w2c_error *err)
{
	char *s = NULL;
	*out = NULL;
	*out_len = 0;
	if (old && memmem(old, old_len, W2C_SETUPCOMPLETE_LINE, strlen(W2C_SETUPCOMPLETE_LINE)))
		return W2C_OK;
	if (!old || !old_len)
		s = w2c_asprintf("@echo off\r\n%s\r\n", W2C_SETUPCOMPLETE_LINE);
	else /* the user's script first: ours runs after it, unless it exits early */
		s = w2c_asprintf("%.*s%s%s\r\n", (int)old_len, old,
				 old[old_len - 1] == '\n' ? "" : "\r\n", W2C_SETUPCOMPLETE_LINE);
	if (!s)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	*out = s;
	*out_len = strlen(s);
	return W2C_OK;
}
