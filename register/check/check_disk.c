/* Fast checks of a disk image (headers only), registration parameters and
 * the password rule. */
#include "win2cloud/check.h"
#include "win2cloud/password.h"
#include "common/util.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GIB (1024.0 * 1024 * 1024)

static bool in_list(char **list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static char *join(char **list)
{
	size_t len = 1;
	for (size_t i = 0; list && list[i]; i++)
		len += strlen(list[i]) + 2;
	char *s = calloc(1, len);
	for (size_t i = 0; s && list && list[i]; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, list[i]);
	}
	return s;
}

static void check_size(const char *path, const w2c_disk_info *in, const w2c_check_limits *l,
		       w2c_check_report *r)
{
	double fs = in->file_size / GIB, max = l->import_max / GIB, fast = l->fast_import_max / GIB;
	bool fast_ok = !strcmp(in->format, "raw") || !strcmp(in->format, "zvhd2");

	if (in->file_size <= l->import_max)
		w2c_check_add(r, "disk.file_size", W2C_STATUS_PASS, path, NULL,
			      "file size %.2f GiB <= %.0f GiB (direct import)", fs, max);
	else if (fast_ok && l->fast_import_max && in->file_size <= l->fast_import_max)
		w2c_check_add(r, "disk.file_size", W2C_STATUS_PASS, path, NULL,
			      "file size %.2f GiB > %.0f GiB direct import limit, but %s may use the quick "
			      "import path (<= %.0f GiB): register with --quick-import", fs, max,
			      in->format, fast);
	else if (l->fast_import_max)
		w2c_check_add(r, "disk.file_size", W2C_STATUS_FAIL, path, NULL,
			      "file size %.2f GiB > %.0f GiB direct import limit; the quick import path "
			      "(<= %.0f GiB) takes only RAW/ZVHD2, this is %s%s", fs, max, fast, in->format,
			      fast_ok ? " but it exceeds that too" : "");
	else
		w2c_check_add(r, "disk.file_size", W2C_STATUS_FAIL, path, NULL,
			      "file size %.2f GiB > %.0f GiB limit", fs, max);
}

static void check_vsize(const char *path, const w2c_disk_info *in, const w2c_check_limits *l,
			w2c_check_report *r)
{
	double vs = in->virtual_size / GIB;
	w2c_check_add(r, "disk.size.min", vs >= l->min_disk_min ? W2C_STATUS_PASS : W2C_STATUS_FAIL,
		      path, NULL, "virtual size %.2f GiB %s minimum system disk %u GiB", vs,
		      vs >= l->min_disk_min ? ">=" : "<", l->min_disk_min);
	if (l->min_disk_max)
		w2c_check_add(r, "disk.size.max", vs <= l->min_disk_max ? W2C_STATUS_PASS : W2C_STATUS_FAIL,
			      path, NULL, "virtual size %.2f GiB %s maximum system disk %u GiB", vs,
			      vs <= l->min_disk_max ? "<=" : ">", l->min_disk_max);
}

/* A raw disk's partition scheme (sector 0) against the boot firmware: Windows
 * boots GPT only with UEFI and UEFI only from GPT. */
static void check_scheme(const char *path, const w2c_disk_info *in, const char *fw,
			 w2c_check_report *r)
{
	bool gpt = !strcmp(in->subformat, "gpt"), uefi = fw && !strcmp(fw, "uefi");
	if (strcmp(in->format, "raw") || (!gpt && strcmp(in->subformat, "mbr")))
		return;
	if (gpt == uefi)
		w2c_check_add(r, "disk.partition_table", W2C_STATUS_PASS, path, NULL,
			      "%s partition table (from sector 0%s): boots with %s", gpt ? "GPT" : "MBR",
			      gpt ? ": protective MBR, type 0xEE" : "", uefi ? "UEFI" : "BIOS");
	else
		w2c_check_add(r, "disk.partition_table", W2C_STATUS_FAIL, path, NULL,
			      "%s partition table (from sector 0%s), firmware is %s: Windows boots %s",
			      gpt ? "GPT" : "MBR", gpt ? ": protective MBR, type 0xEE" : "",
			      uefi ? "uefi" : "bios", gpt ? "a GPT disk only with UEFI" :
			      "with UEFI only from a GPT disk");
}

/* A VMDK descriptor file holds no data: say where it is and what it is. */
static void check_extents(const char *path, const w2c_disk_info *in, w2c_check_report *r)
{
	if (!in->n_extents)
		return;
	char *tmp = w2c_strdup(path), *ext = NULL;
	struct stat st;
	if (tmp && in->extent_file[0])
		ext = in->extent_file[0] == '/' ? w2c_strdup(in->extent_file)
						: w2c_asprintf("%s/%s", dirname(tmp), in->extent_file);
	if (!ext)
		w2c_check_add(r, "disk.self_contained", W2C_STATUS_FAIL, path, NULL,
			      "VMDK descriptor (%s) without a readable extent line: the data is elsewhere",
			      in->subformat);
	else if (stat(ext, &st) < 0)
		w2c_check_add(r, "disk.self_contained", W2C_STATUS_FAIL, path, NULL,
			      "VMDK descriptor (%s): its extent %s is missing; the image service gets "
			      "only this %llu-byte text file", in->subformat, ext,
			      (unsigned long long)in->file_size);
	else if ((uint64_t)st.st_size < in->extent_bytes && !strcmp(in->extent_type, "FLAT"))
		w2c_check_add(r, "disk.self_contained", W2C_STATUS_FAIL, path, NULL,
			      "VMDK descriptor (%s): extent %s has %llu bytes, the descriptor says %llu "
			      "(truncated extent)", in->subformat, ext, (unsigned long long)st.st_size,
			      (unsigned long long)in->extent_bytes);
	else
		w2c_check_add(r, "disk.self_contained", W2C_STATUS_FAIL, path, NULL,
			      "VMDK descriptor (%s) with %u extent file(s), the first %s (%s, %llu bytes): "
			      "the image service reads one file; this one is only the %llu-byte "
			      "descriptor", in->subformat, in->n_extents, ext, in->extent_type,
			      (unsigned long long)in->extent_bytes, (unsigned long long)in->file_size);
	free(ext);
	free(tmp);
}

w2c_code w2c_check_disk(const char *path, const w2c_check_options *o, w2c_check_report *r,
			w2c_disk_info *info, w2c_error *err)
{
	const w2c_check_limits *l = w2c_check_profile_limits(o->profile);
	w2c_disk_info in;
	w2c_code rc = w2c_disk_probe(path, &in, err);

	if (rc)
		return rc;
	if (info)
		*info = in;
	if (in_list(l->formats, in.format)) {
		w2c_check_add(r, "disk.format", W2C_STATUS_PASS, path, NULL,
			      "format %s%s%s (from the header) is accepted", in.format,
			      *in.subformat ? " " : "", in.subformat);
	} else {
		char *all = join(l->formats);
		w2c_check_add(r, "disk.format", W2C_STATUS_FAIL, path, NULL,
			      "format %s (from the header) is not accepted; allowed: %s", in.format,
			      all ? all : "?");
		free(all);
	}
	w2c_check_add(r, "disk.encrypted", in.encrypted ? W2C_STATUS_FAIL : W2C_STATUS_PASS, path, NULL,
		      in.encrypted ? "%s image is encrypted (%s); the image service cannot read it"
				   : "%s image is not encrypted%s", in.format, in.encryption);
	w2c_check_add(r, "disk.backing_file", *in.backing_file ? W2C_STATUS_FAIL : W2C_STATUS_PASS, path,
		      NULL, *in.backing_file ? "image has a backing file '%s'; only its own clusters "
					       "would be uploaded" : "no backing file%s", in.backing_file);
	check_extents(path, &in, r);
	check_scheme(path, &in, o->firmware ? o->firmware : l->firmware, r);
	check_size(path, &in, l, r);
	check_vsize(path, &in, l, r);
	return W2C_OK;
}

w2c_code w2c_check_params(const w2c_check_options *o, uint64_t vsize, w2c_check_report *r,
			  w2c_error *err)
{
	const w2c_check_limits *l = w2c_check_profile_limits(o->profile);
	(void)err;
	if (o->min_disk) {
		bool ok = o->min_disk >= l->min_disk_min && (!l->min_disk_max || o->min_disk <= l->min_disk_max);
		char max[32] = "unlimited";
		if (l->min_disk_max)
			snprintf(max, sizeof max, "%u", l->min_disk_max);
		w2c_check_add(r, "param.min_disk.range", ok ? W2C_STATUS_PASS : W2C_STATUS_FAIL, "--min-disk",
			      NULL, "min_disk %u GiB %s %u-%s GiB", o->min_disk, ok ? "within" : "outside",
			      l->min_disk_min, max);
		if (vsize) {
			uint64_t need = (vsize + (uint64_t)GIB - 1) / (uint64_t)GIB;
			w2c_check_add(r, "param.min_disk.image", o->min_disk >= need ? W2C_STATUS_PASS :
				      W2C_STATUS_FAIL, "--min-disk", NULL,
				      "min_disk %u GiB %s the image's virtual size (%llu GiB rounded up)",
				      o->min_disk, o->min_disk >= need ? ">=" : "<", (unsigned long long)need);
		}
	}
	if (o->os_version) {
		bool ok = in_list(l->os_versions, o->os_version);
		w2c_check_add(r, "param.os_version", ok ? W2C_STATUS_PASS : W2C_STATUS_FAIL, "--os-version",
			      NULL, ok ? "os_version \"%s\" is in the %s list" :
			      "os_version \"%s\" is not in the %s list (case and spacing must match exactly)",
			      o->os_version, w2c_check_profile_name(o->profile));
	}
	if (o->bucket)
		return w2c_check_bucket(o, r, err);
	return W2C_OK;
}

w2c_code w2c_check_password(const char *pw, const char *user, w2c_check_report *r, w2c_error *err)
{
	static const char *const ids[] = { "password.length", "password.charset", "password.classes",
					   "password.username", "password.username_run" };
	const char *failed = NULL;
	w2c_error e;

	(void)err;
	if (!user)
		user = "Administrator";
	if (w2c_password_check(pw, user, w2c_password_policy_image(), &failed, &e) == W2C_OK)
		failed = NULL;
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		if (failed && !strcmp(failed, ids[i])) {
			const char *msg = e.message;
			size_t il = strlen(ids[i]);
			if (!strncmp(msg, ids[i], il) && !strncmp(msg + il, ": ", 2))
				msg += il + 2;
			w2c_check_add(r, ids[i], W2C_STATUS_FAIL, "password", NULL, "%s", msg);
			return W2C_OK; /* later rules were not evaluated */
		}
		w2c_check_add(r, ids[i], W2C_STATUS_PASS, "password", NULL, "%s ok (user %s)",
			      ids[i] + 9, user);
	}
	return W2C_OK;
}
