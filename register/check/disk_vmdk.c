/* VMware VMDK (hosted sparse extent header + embedded descriptor, or a
 * descriptor file) and VirtualBox VDI. */
#include "disk_int.h"

#include <stdio.h>
#include <stdlib.h>

static bool probe_vmdk(const w2c_disk_src *src, const uint8_t *h, size_t n)
{
	(void)src;
	return (n >= 4 && !memcmp(h, "KDMV", 4)) ||
	       (n >= 21 && !memcmp(h, "# Disk DescriptorFile", 21));
}

/* Value of KEY="..." or KEY=... in descriptor text @d, into @out. */
static bool desc_value(const char *d, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	for (const char *p = d; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, kl) || p[kl] != '=')
			continue;
		const char *v = p + kl + 1, *e;
		if (*v == '"')
			v++;
		e = v + strcspn(v, "\"\r\n");
		snprintf(out, cap, "%.*s", (int)(e - v), v);
		return true;
	}
	return false;
}

/* Sum of the extent lines "RW|RDONLY|NOACCESS <sectors> <type> "FILE" [offset]";
 * the first extent's file, type and size into @out (a descriptor file holds no data). */
static uint64_t desc_extents(const char *d, w2c_disk_info *out)
{
	uint64_t total = 0;
	for (const char *p = d; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned long long s;
		char acc[16], type[16] = "", file[256] = "";
		int got = sscanf(p, "%15s %llu %15s \"%255[^\"\n]\"", acc, &s, type, file);
		if (got < 2 || (strcmp(acc, "RW") && strcmp(acc, "RDONLY") && strcmp(acc, "NOACCESS")))
			continue;
		if (s > (UINT64_MAX - total) / 512) /* a sector count no disk has: keep the sum finite */
			s = (UINT64_MAX - total) / 512;
		total += s * 512;
		if (!out->n_extents++ && got == 4) {
			snprintf(out->extent_file, sizeof out->extent_file, "%s", file);
			snprintf(out->extent_type, sizeof out->extent_type, "%s", type);
			out->extent_bytes = s * 512;
		}
	}
	return total;
}

static w2c_code vmdk_descriptor(const w2c_disk_src *src, uint64_t off, uint64_t len,
				w2c_disk_info *out, bool sizes_from_text, w2c_error *err)
{
	char v[512];
	w2c_code rc;
	if (len > 1u << 20)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VMDK descriptor of %llu bytes exceeds 1 MiB", src->name,
				     (unsigned long long)len);
	char *d = calloc(1, len + 1);
	if (!d)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	if ((rc = w2c_disk_read(src, d, len, off, "VMDK descriptor", err))) {
		free(d);
		return rc;
	}
	if (desc_value(d, "createType", v, sizeof v))
		snprintf(out->subformat, sizeof out->subformat, "%s", v);
	if (desc_value(d, "parentFileNameHint", v, sizeof v) && *v)
		w2c_disk_set_backing(out, (const uint8_t *)v, strlen(v));
	if (sizes_from_text)
		out->virtual_size = desc_extents(d, out);
	free(d);
	return W2C_OK;
}

static w2c_code parse_vmdk(const w2c_disk_src *src, const uint8_t *h, size_t n, w2c_disk_info *out,
			   w2c_error *err)
{
	out->format = "vmdk";
	if (memcmp(h, "KDMV", 4)) /* a descriptor file: extents live in other files */
		return vmdk_descriptor(src, 0, src->size < 65536 ? src->size : 65536, out, true, err);
	if (n < 512 || src->size < 512)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated VMDK sparse header: %llu bytes, expected at least 512",
				     src->name, (unsigned long long)src->size);
	uint32_t version = w2c_le32(h + 4);
	if (version < 1 || version > 3)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VMDK header field 'version' is %u, expected 1 to 3", src->name, version);
	uint64_t grain = w2c_le64(h + 20);
	if (grain < 1 || grain > 128 || (grain & (grain - 1)))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VMDK header field 'grainSize' is %llu, expected a power of two "
				     "up to 128 sectors", src->name, (unsigned long long)grain);
	out->virtual_size = w2c_le64(h + 12) * 512;
	snprintf(out->subformat, sizeof out->subformat, "%s",
		 w2c_le16(h + 77) ? "streamOptimized" : "monolithicSparse");
	uint64_t doff = w2c_le64(h + 28), dlen = w2c_le64(h + 36);
	if (doff && dlen)
		return vmdk_descriptor(src, doff * 512, dlen * 512, out, false, err);
	return W2C_OK;
}

static bool probe_vdi(const w2c_disk_src *src, const uint8_t *h, size_t n)
{
	(void)src;
	return n >= 0x48 && w2c_le32(h + 0x40) == 0xbeda107f;
}

static w2c_code parse_vdi(const w2c_disk_src *src, const uint8_t *h, size_t n, w2c_disk_info *out,
			  w2c_error *err)
{
	if (n < 0x180 || src->size < 0x180)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated VDI header: %llu bytes, expected at least 384",
				     src->name, (unsigned long long)src->size);
	uint32_t version = w2c_le32(h + 0x44), type = w2c_le32(h + 0x4C);
	if (version >> 16 != 1)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VDI header field 'version' is 0x%08x, expected major version 1",
				     src->name, version);
	if (type < 1 || type > 4)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VDI header field 'image type' is %u, expected 1 to 4", src->name, type);
	out->format = "vdi";
	snprintf(out->subformat, sizeof out->subformat, "%s",
		 type == 1 ? "dynamic" : type == 2 ? "fixed" : type == 3 ? "undo" : "differencing");
	out->virtual_size = w2c_le64(h + 0x170);
	if (type == 4)
		w2c_disk_set_backing(out, (const uint8_t *)"(parent by UUID)", 16);
	return W2C_OK;
}

const w2c_disk_format w2c_disk_vmdk = { "vmdk", probe_vmdk, parse_vmdk };
const w2c_disk_format w2c_disk_vdi = { "vdi", probe_vdi, parse_vdi };
