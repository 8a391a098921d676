/*
 * The rule table and the profiles.  Limits are data (cloud-api spec §3.6,
 * §3.7, §4.7); a JSON override file changes them without a rebuild because
 * the cloud's lists (os_version in particular) disagree between documents.
 */
#include "win2cloud/check.h"
#include "common/util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define P_OTC 1u
#define P_HWC 2u
#define P_OS 4u
#define P_HUAWEI (P_OTC | P_HWC)
#define P_ALL (P_OTC | P_HWC | P_OS)
#define GIB (1024ull * 1024 * 1024)

static const w2c_rule rules[] = {
	{ "disk.format", W2C_CHECK_ERROR, P_ALL, "disk format accepted by the image service",
	  "convert it: qemu-img convert -O qcow2 IN OUT.qcow2" },
	{ "disk.encrypted", W2C_CHECK_ERROR, P_ALL, "image file not encrypted",
	  "decrypt it: qemu-img convert --object secret,id=s,file=KEYFILE --image-opts "
	  "driver=qcow2,file.filename=IN,encrypt.key-secret=s -O qcow2 OUT.qcow2" },
	{ "disk.backing_file", W2C_CHECK_ERROR, P_ALL, "no backing file",
	  "flatten it: qemu-img convert -O qcow2 IN OUT.qcow2 (copies the backing chain into one file)" },
	{ "disk.self_contained", W2C_CHECK_ERROR, P_ALL, "the image is one file (no separate extents)",
	  "register the flat extent itself (it is a raw disk: --disk EXTENT), or make one file: "
	  "qemu-img convert -O qcow2 DESCRIPTOR.vmdk OUT.qcow2" },
	{ "disk.file_size", W2C_CHECK_ERROR, P_ALL, "file size within the import limit",
	  "shrink the file (qemu-img convert -c, or free space inside the guest and re-sparsify), "
	  "or convert to RAW/ZVHD2 for the quick-import path" },
	{ "disk.size.min", W2C_CHECK_ERROR, P_HUAWEI, "virtual size at least the minimum system disk",
	  "grow the virtual disk: qemu-img resize IMG 40G" },
	{ "disk.size.max", W2C_CHECK_ERROR, P_HUAWEI, "virtual size at most the maximum system disk",
	  "shrink the system partition inside Windows, then the image (qemu-img resize --shrink)" },
	{ "disk.deep", W2C_CHECK_INFO, P_ALL, "in-guest inspection (libguestfs)",
	  "install libguestfs-tools and make sure 'libguestfs-test-tool' passes (use "
	  "LIBGUESTFS_BACKEND_SETTINGS=force_tcg without KVM)" },
	{ "disk.partition_table", W2C_CHECK_ERROR, P_ALL, "partition table matches the boot firmware",
	  "for BIOS boot use an MBR disk with an active NTFS system partition (MBR2GPT in reverse is "
	  "not possible: reinstall), or register with --firmware uefi if the OS is on the UEFI list" },
	{ "disk.boot_partition", W2C_CHECK_ERROR, P_ALL, "boot and system partition on this disk",
	  "run 'bcdboot C:\\Windows /s C: /f ALL' inside the guest so the boot files live on this disk" },
	{ "disk.windows", W2C_CHECK_ERROR, P_ALL, "a Windows installation is present",
	  "the image must hold an installed Windows (system partition with Windows\\System32\\config)" },
	{ "disk.drivers.storage", W2C_CHECK_ERROR, P_ALL, "VirtIO storage driver loads at boot",
	  "install the VirtIO drivers (virtio-win-gt-x64.msi) so viostor/vioscsi have Start=0 (boot)" },
	{ "disk.drivers.ide", W2C_CHECK_INFO, P_ALL, "IDE fallback driver loads at boot",
	  "set HKLM\\SYSTEM\\CurrentControlSet\\Services\\intelide Start=0 for an IDE fallback" },
	{ "disk.agent", W2C_CHECK_WARNING, P_ALL, "cloudbase-init or the cloud's agent installed",
	  "install Cloudbase-Init so the password, host name and keys are set at first boot" },
	{ "disk.rdp", W2C_CHECK_WARNING, P_ALL, "remote desktop enabled",
	  "enable Remote Desktop (SYSTEM\\CurrentControlSet\\Control\\Terminal Server "
	  "fDenyTSConnections=0) and allow it in the firewall" },
	{ "iso.eltorito.bios", W2C_CHECK_ERROR, P_ALL, "BIOS El Torito entry exists",
	  "rebuild the ISO with a BIOS entry: -b boot/etfsboot.com -no-emul-boot -boot-load-size 8" },
	{ "iso.eltorito.geometry", W2C_CHECK_ERROR, P_ALL, "BIOS entry geometry (no emulation, 8 sectors)",
	  "rebuild the ISO with -no-emul-boot -boot-load-seg 0 -boot-load-size 8 (4096-byte etfsboot.com)" },
	{ "iso.eltorito.uefi", W2C_CHECK_INFO, P_ALL, "UEFI El Torito entry (reported)",
	  "add -eltorito-alt-boot -e efi/microsoft/boot/efisys.bin -no-emul-boot for UEFI boot" },
	{ "iso.boot_image", W2C_CHECK_ERROR, P_ALL, "boot images readable",
	  "rebuild the ISO from intact media: the boot image extent lies outside the image" },
	{ "iso.bootwim", W2C_CHECK_ERROR, P_ALL, "boot.wim boot index valid",
	  "mark the setup image bootable: wimlib-imagex info sources/boot.wim 2 --boot" },
	{ "iso.editions", W2C_CHECK_ERROR, P_ALL, "editions found in install.wim/esd",
	  "use complete installation media (sources/install.wim or install.esd)" },
	{ "iso.drivers", W2C_CHECK_ERROR, P_ALL, "boot-critical drivers present for each edition",
	  "inject the VirtIO drivers for every edition: win2cloud inject SRC.iso --drivers "
	  "virtio-win.iso -o OUT.iso (win2cloud drivers virtio-win.iso --for SRC.iso shows the choice)" },
	{ "iso.autounattend", W2C_CHECK_WARNING, P_ALL, "autounattend.xml present and clean",
	  "add an answer file: win2cloud unattend new -o au.xml, then win2cloud build SRC.iso -o OUT.iso "
	  "--add /autounattend.xml=au.xml" },
	{ "iso.size", W2C_CHECK_ERROR, P_ALL, "ISO file size within the import limit",
	  "remove editions you do not need: wimlib-imagex delete/export, then rebuild" },
	{ "iso.filename", W2C_CHECK_ERROR, P_HUAWEI, "ISO file name charset (letters, digits, -, _)",
	  "rename the file, e.g. win2022_virtio.iso" },
	{ "param.min_disk.range", W2C_CHECK_ERROR, P_ALL, "min_disk within the allowed range",
	  "pass --min-disk within the range, e.g. --min-disk 40" },
	{ "param.min_disk.image", W2C_CHECK_ERROR, P_ALL, "min_disk at least the image's virtual size",
	  "pass --min-disk of at least the virtual size (rounded up to GiB)" },
	{ "param.os_version", W2C_CHECK_ERROR, P_HUAWEI, "os_version in the profile's list",
	  "pass --os-version with one string of the list, byte-exactly "
	  "(e.g. \"Windows Server 2022 Datacenter 64bit\"), or extend the list in an override file" },
	{ "param.bucket.storage_class", W2C_CHECK_ERROR, P_HUAWEI, "bucket storage class STANDARD",
	  "create the bucket with x-obs-storage-class: STANDARD (or copy the object to one)" },
	{ "param.bucket.region", W2C_CHECK_ERROR, P_HUAWEI, "bucket in the target region",
	  "use a bucket in the region where the image is registered" },
	{ "password.length", W2C_CHECK_ERROR, P_ALL, "password length 8-26",
	  "choose a password of 8 to 26 characters" },
	{ "password.charset", W2C_CHECK_ERROR, P_ALL, "password characters allowed",
	  "use only letters, digits and !@$%^-_=+[{}]:,./?" },
	{ "password.classes", W2C_CHECK_ERROR, P_ALL, "password has all four classes",
	  "add the missing class (upper case, lower case, digit, special from !@$%^-_=+[{}]:,./?)" },
	{ "password.username", W2C_CHECK_ERROR, P_ALL, "password does not contain the user name",
	  "remove the user name (and its reverse) from the password" },
	{ "password.username_run", W2C_CHECK_ERROR, P_ALL, "no 3-character run of the user name",
	  "remove runs of 3 or more consecutive characters of the user name" },
};

const w2c_rule *w2c_rules(size_t *n)
{
	*n = sizeof rules / sizeof rules[0];
	return rules;
}

static const char *const huawei_formats[] = { "vmdk", "vhd", "qcow2", "raw", "vhdx", "qed", "vdi",
					      "qcow", "zvhd2", "zvhd", NULL };
static const char *const glance_formats[] = { "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi",
					      "ploop", NULL };
/* API reference list plus the user guide's 2019/2022 entries and spellings (§3.7). */
static const char *const otc_os_versions[] = {
	"Windows 10 64bit", "Windows 7 Enterprise 64bit", "Windows 7 Professional 64bit",
	"Windows 7 Professional 32bit", "Windows Server 2016 Standard 64bit",
	"Windows Server 2016 Datacenter 64bit", "Windows Server 2012 R2 Standard 64bit",
	"Windows Server 2012 Essentials R2 64bit", "Windows Server 2012 R2 Datacenter 64bit",
	"Windows Server 2012 Datacenter 64bit", "Windows Server 2012 Standard 64bit",
	"Windows Server 2008 R2 WEB 64bit", "Windows Server 2008 R2 Standard 64bit",
	"Windows Server 2008 R2 Enterprise 64bit", "Windows Server 2008 R2 Datacenter 64bit",
	"Windows Server 2022 Standard 64bit", "Windows Server 2022 Datacenter 64bit",
	"Windows Server 2019 Standard 64bit", "Windows Server 2019 Datacenter 64bit",
	"Windows Server 2012 R2 Essentials 64bit", "Windows Server 2008 WEB R2 64bit", NULL,
};
static const char *const none[] = { NULL };
static const char *const agents[] = { "cloudbase-init", NULL };

struct profile_def {
	const char *name;
	unsigned bit;
	w2c_check_limits lim;
	const char *const *formats, *const *os_versions;
};

static const struct profile_def profiles[] = {
	{ "otc", P_OTC, { 128 * GIB, 1024 * GIB, 128 * GIB, 40, 1024, NULL, NULL, NULL, "bios" },
	  huawei_formats, otc_os_versions },
	{ "huaweicloud", P_HWC, { 128 * GIB, 1024 * GIB, 128 * GIB, 40, 1024, NULL, NULL, NULL, "bios" },
	  huawei_formats, otc_os_versions },
	/* Glance: image_size_cap 1 TiB, min_disk free, no os_version. */
	{ "openstack", P_OS, { 1024 * GIB, 0, 1024 * GIB, 1, 0, NULL, NULL, NULL, "bios" },
	  glance_formats, none },
};

struct w2c_check_profile {
	const struct profile_def *def;
	w2c_check_limits lim;
	enum w2c_check_severity *sev; /* per rule, OFF when not selected */
};

static char **strv_dup(const char *const *v)
{
	size_t n = 0;
	while (v[n])
		n++;
	char **out = calloc(n + 1, sizeof *out);
	for (size_t i = 0; out && i < n; i++)
		out[i] = w2c_strdup(v[i]);
	return out;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void w2c_check_profile_free(w2c_check_profile *p)
{
	if (!p)
		return;
	strv_free(p->lim.formats);
	strv_free(p->lim.os_versions);
	strv_free(p->lim.agents);
	free(p->sev);
	free(p);
}

static int rule_index(const char *id)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (!strcmp(rules[i].id, id))
			return (int)i;
	return -1;
}

static w2c_code json_strv(json_t *v, const char *path, const char *key, char ***out, w2c_error *err)
{
	size_t i;
	json_t *e;
	if (!json_is_array(v))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: \"%s\" must be an array of strings",
				     path, key);
	char **nv = calloc(json_array_size(v) + 1, sizeof *nv);
	if (!nv)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	json_array_foreach(v, i, e) {
		if (!json_is_string(e)) {
			strv_free(nv);
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: \"%s\"[%zu] must be a string", path, key, i);
		}
		nv[i] = w2c_strdup(json_string_value(e));
	}
	strv_free(*out);
	*out = nv;
	return W2C_OK;
}

static w2c_code apply_limits(w2c_check_profile *p, json_t *lim, const char *path, w2c_error *err)
{
	const char *k;
	json_t *v;
	if (!json_is_object(lim))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: \"limits\" must be an object", path);
	json_object_foreach(lim, k, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: limits.%s must be a non-negative integer", path, k);
		uint64_t n = (uint64_t)json_integer_value(v);
		if (!strcmp(k, "import_max_gib"))
			p->lim.import_max = n * GIB;
		else if (!strcmp(k, "fast_import_max_gib"))
			p->lim.fast_import_max = n * GIB;
		else if (!strcmp(k, "iso_max_gib"))
			p->lim.iso_max = n * GIB;
		else if (!strcmp(k, "min_disk_min"))
			p->lim.min_disk_min = (unsigned)n;
		else if (!strcmp(k, "min_disk_max"))
			p->lim.min_disk_max = (unsigned)n;
		else
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: unknown limit \"%s\" (expected import_max_gib, "
					     "fast_import_max_gib, iso_max_gib, min_disk_min, min_disk_max)",
					     path, k);
	}
	return W2C_OK;
}

static w2c_code apply_severity(w2c_check_profile *p, json_t *sev, const char *path, w2c_error *err)
{
	static const char *names[] = { "info", "warning", "error", "off" };
	const char *k;
	json_t *v;
	if (!json_is_object(sev))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: \"severity\" must be an object", path);
	json_object_foreach(sev, k, v) {
		int ri = rule_index(k), s = -1;
		if (ri < 0)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: severity: unknown rule id \"%s\" (see win2cloud check --list-rules)",
					     path, k);
		for (int i = 0; i < 4 && json_is_string(v); i++)
			if (!strcmp(json_string_value(v), names[i]))
				s = i;
		if (s < 0)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: severity.%s must be \"error\", \"warning\", \"info\" or \"off\"",
					     path, k);
		p->sev[ri] = (enum w2c_check_severity)s;
	}
	return W2C_OK;
}

static w2c_code apply_override(w2c_check_profile *p, const char *path, w2c_error *err)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je), *v;
	const char *k;
	w2c_code rc = W2C_OK;

	if (!doc)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: line %d: %s", path, je.line, je.text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: expected a JSON object", path);
	}
	json_object_foreach(doc, k, v) {
		if (rc)
			break;
		if (!strcmp(k, "limits"))
			rc = apply_limits(p, v, path, err);
		else if (!strcmp(k, "severity"))
			rc = apply_severity(p, v, path, err);
		else if (!strcmp(k, "formats"))
			rc = json_strv(v, path, k, &p->lim.formats, err);
		else if (!strcmp(k, "os_versions"))
			rc = json_strv(v, path, k, &p->lim.os_versions, err);
		else if (!strcmp(k, "agents"))
			rc = json_strv(v, path, k, &p->lim.agents, err);
		else
			rc = w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					   "%s: unknown key \"%s\" (expected limits, severity, formats, "
					   "os_versions, agents)", path, k);
	}
	json_decref(doc);
	return rc;
}

w2c_code w2c_check_profile_load(const char *name, const char *override_path,
				w2c_check_profile **out, w2c_error *err)
{
	const struct profile_def *d = NULL;
	size_t nr = sizeof rules / sizeof rules[0];
	w2c_code rc;

	*out = NULL;
	for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
		if (!strcmp(profiles[i].name, name ? name : "otc"))
			d = &profiles[i];
	if (!d)
		return w2c_set_error(err, W2C_ERR_USAGE,
				     "profile '%s' unknown (expected otc, huaweicloud or openstack)", name);
	w2c_check_profile *p = calloc(1, sizeof *p);
	if (!p || !(p->sev = calloc(nr, sizeof *p->sev))) {
		free(p);
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	p->def = d;
	p->lim = d->lim;
	p->lim.formats = strv_dup(d->formats);
	p->lim.os_versions = strv_dup(d->os_versions);
	p->lim.agents = strv_dup(agents);
	for (size_t i = 0; i < nr; i++)
		p->sev[i] = (rules[i].profiles & d->bit) ? rules[i].severity : W2C_CHECK_OFF;
	if (override_path && (rc = apply_override(p, override_path, err))) {
		w2c_check_profile_free(p);
		return rc;
	}
	*out = p;
	return W2C_OK;
}

const char *w2c_check_profile_name(const w2c_check_profile *p)
{
	return p->def->name;
}

const w2c_check_limits *w2c_check_profile_limits(const w2c_check_profile *p)
{
	return &p->lim;
}

enum w2c_check_severity w2c_check_rule_severity(const w2c_check_profile *p, const char *rule_id)
{
	int i = rule_index(rule_id);
	return i < 0 ? W2C_CHECK_OFF : p->sev[i];
}
