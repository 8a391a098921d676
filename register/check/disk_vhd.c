/* Microsoft's formats: VHD (footer at the end, copy at the start for
 * dynamic disks) and VHDX (MS-VHDX: headers, region table, metadata). */
#include "disk_int.h"

#include <stdio.h>
#include <stdlib.h>

/* One's complement of the byte sum, checksum field excluded. */
static uint32_t vhd_checksum(const uint8_t *f)
{
	uint32_t sum = 0;
	for (int i = 0; i < 512; i++)
		if (i < 64 || i >= 68)
			sum += f[i];
	return ~sum;
}

static bool probe_vhd(const w2c_disk_src *src, const uint8_t *h, size_t n)
{
	uint8_t f[8];
	if (n >= 8 && !memcmp(h, "conectix", 8))
		return true;
	if (src->size < 512 || src->read(src->user, f, 8, src->size - 512, NULL))
		return false;
	return !memcmp(f, "conectix", 8);
}

/* Parent name of a differencing disk: dynamic header at data_offset. */
static w2c_code vhd_parent(const w2c_disk_src *src, uint64_t dyn, w2c_disk_info *out, w2c_error *err)
{
	uint8_t d[1024];
	w2c_code rc = w2c_disk_read(src, d, sizeof d, dyn, "VHD dynamic disk header", err);
	if (rc)
		return rc;
	if (memcmp(d, "cxsparse", 8))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VHD dynamic header at offset %llu: cookie is not \"cxsparse\"",
				     src->name, (unsigned long long)dyn);
	/* Parent Unicode Name: 512 bytes UTF-16 big endian at 64. */
	uint8_t le[512];
	size_t len = 0;
	for (; len + 1 < 512 && (d[64 + len] || d[65 + len]); len += 2) {
		le[len] = d[65 + len];
		le[len + 1] = d[64 + len];
	}
	char *u = w2c_utf16le_to_utf8(le, len);
	w2c_disk_set_backing(out, (const uint8_t *)(u && *u ? u : "(unnamed parent)"),
			     u && *u ? strlen(u) : 16);
	free(u);
	return W2C_OK;
}

static w2c_code parse_vhd(const w2c_disk_src *src, const uint8_t *h, size_t n, w2c_disk_info *out,
			  w2c_error *err)
{
	uint8_t f[512];
	uint32_t type;
	w2c_code rc;

	if (src->size < 512)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated VHD: %llu bytes, shorter than the 512-byte footer",
				     src->name, (unsigned long long)src->size);
	if ((rc = w2c_disk_read(src, f, 512, src->size - 512, "VHD footer", err)))
		return rc;
	if (memcmp(f, "conectix", 8)) {
		/* Dynamic disks carry a footer copy at the start. */
		if (n < 512 || memcmp(h, "conectix", 8))
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: VHD footer at offset %llu: cookie is not \"conectix\"",
					     src->name, (unsigned long long)(src->size - 512));
		memcpy(f, h, 512);
	}
	if (vhd_checksum(f) != w2c_be32(f + 64))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VHD footer field 'checksum' is 0x%08x, expected 0x%08x (corrupt footer)",
				     src->name, w2c_be32(f + 64), vhd_checksum(f));
	type = w2c_be32(f + 60);
	if (type < 2 || type > 4)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VHD footer field 'disk type' is %u, expected 2 (fixed), 3 (dynamic) "
				     "or 4 (differencing)", src->name, type);
	out->format = "vhd";
	snprintf(out->subformat, sizeof out->subformat, "%s",
		 type == 2 ? "fixed" : type == 3 ? "dynamic" : "differencing");
	out->virtual_size = w2c_be64(f + 48);
	if (type == 4)
		return vhd_parent(src, w2c_be64(f + 16), out, err);
	return W2C_OK;
}

/* ---- VHDX ---- */

#define KIB 1024u

/* GUIDs as stored on disk (first three fields little endian). */
static const uint8_t guid_metadata_region[16] = { 0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B,
						  0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E };
static const uint8_t guid_virtual_size[16] = { 0x24, 0x42, 0xA5, 0x2F, 0x1B, 0xCD, 0x76, 0x48,
					       0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8 };
static const uint8_t guid_file_params[16] = { 0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D,
					      0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B };

static bool probe_vhdx(const w2c_disk_src *src, const uint8_t *h, size_t n)
{
	(void)src;
	return n >= 8 && !memcmp(h, "vhdxfile", 8);
}

/* Find the metadata region in the region table at 192 KiB (copy at 256 KiB). */
static w2c_code vhdx_metadata_region(const w2c_disk_src *src, uint64_t *off, uint32_t *len,
				     w2c_error *err)
{
	uint8_t rt[64 * KIB];
	w2c_code rc = W2C_OK;
	for (int copy = 0; copy < 2; copy++) {
		rc = w2c_disk_read(src, rt, sizeof rt, (192 + 64 * copy) * KIB, "VHDX region table", err);
		if (rc)
			return rc;
		if (memcmp(rt, "regi", 4))
			continue;
		uint32_t count = w2c_le32(rt + 8);
		if (count > 2047)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: VHDX region table entry count %u exceeds 2047", src->name, count);
		for (uint32_t i = 0; i < count; i++) {
			const uint8_t *e = rt + 16 + 32 * i;
			if (!memcmp(e, guid_metadata_region, 16)) {
				*off = w2c_le64(e + 16);
				*len = w2c_le32(e + 24);
				return W2C_OK;
			}
		}
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VHDX region table has no metadata region", src->name);
	}
	return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
			     "%s: VHDX region table at 192 KiB and 256 KiB: signature is not \"regi\"",
			     src->name);
}

static w2c_code parse_vhdx(const w2c_disk_src *src, const uint8_t *h, size_t n, w2c_disk_info *out,
			   w2c_error *err)
{
	uint8_t mt[64 * KIB], v[8];
	uint64_t moff = 0;
	uint32_t mlen = 0, count;
	bool have_size = false;
	w2c_code rc;

	(void)h;
	(void)n;
	if ((rc = vhdx_metadata_region(src, &moff, &mlen, err)))
		return rc;
	if ((rc = w2c_disk_read(src, mt, sizeof mt, moff, "VHDX metadata table", err)))
		return rc;
	if (memcmp(mt, "metadata", 8))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VHDX metadata table at offset %llu: signature is not \"metadata\"",
				     src->name, (unsigned long long)moff);
	count = w2c_le16(mt + 10);
	if (count > 2047)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VHDX metadata entry count %u exceeds 2047", src->name, count);
	out->format = "vhdx";
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = mt + 32 + 32 * i;
		uint32_t eoff = w2c_le32(e + 16), elen = w2c_le32(e + 20);
		if (elen < 8 || (uint64_t)eoff + 8 > mlen)
			continue;
		if (!memcmp(e, guid_virtual_size, 16)) {
			if ((rc = w2c_disk_read(src, v, 8, moff + eoff, "VHDX virtual disk size", err)))
				return rc;
			out->virtual_size = w2c_le64(v);
			have_size = true;
		} else if (!memcmp(e, guid_file_params, 16)) {
			if ((rc = w2c_disk_read(src, v, 8, moff + eoff, "VHDX file parameters", err)))
				return rc;
			if (w2c_le32(v + 4) & 2) /* HasParent */
				w2c_disk_set_backing(out, (const uint8_t *)"(parent locator)", 16);
			snprintf(out->subformat, sizeof out->subformat, "%s",
				 w2c_le32(v + 4) & 1 ? "fixed" : "dynamic");
		}
	}
	if (!have_size)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: VHDX metadata has no virtual disk size item", src->name);
	return W2C_OK;
}

const w2c_disk_format w2c_disk_vhd = { "vhd", probe_vhd, parse_vhd };
const w2c_disk_format w2c_disk_vhdx = { "vhdx", probe_vhdx, parse_vhdx };
