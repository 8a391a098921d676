/* QEMU's own formats: qcow2, qcow (v1) and QED (docs/interop/qcow2.txt, qed_spec.txt). */
#include "disk_int.h"

#include <stdio.h>

static bool qcow_magic(const uint8_t *h, size_t n)
{
	return n >= 8 && !memcmp(h, "QFI\xfb", 4);
}

static bool probe_qcow2(const w2c_disk_src *src, const uint8_t *h, size_t n)
{
	(void)src;
	return qcow_magic(h, n) && w2c_be32(h + 4) >= 2;
}

static bool probe_qcow1(const w2c_disk_src *src, const uint8_t *h, size_t n)
{
	(void)src;
	return qcow_magic(h, n) && w2c_be32(h + 4) == 1;
}

static w2c_code read_backing(const w2c_disk_src *src, uint64_t off, uint32_t len,
			     w2c_disk_info *out, w2c_error *err)
{
	uint8_t name[1024];
	w2c_code rc;
	if (!off || !len)
		return W2C_OK;
	if (len > sizeof name)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: backing file name length %u exceeds 1023 bytes", src->name, len);
	if ((rc = w2c_disk_read(src, name, len, off, "backing file name", err)))
		return rc;
	w2c_disk_set_backing(out, name, len);
	return W2C_OK;
}

static w2c_code parse_qcow2(const w2c_disk_src *src, const uint8_t *h, size_t n, w2c_disk_info *out,
			    w2c_error *err)
{
	uint32_t version = w2c_be32(h + 4), cluster_bits, crypt, hlen = 72;
	uint64_t incompat = 0;

	if (version > 3)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: qcow2 header field 'version' is %u, expected 2 or 3", src->name, version);
	if (version == 3)
		hlen = 104;
	if (n < hlen || src->size < hlen)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated qcow2 header: file has %llu bytes, version %u header needs %u",
				     src->name, (unsigned long long)src->size, version, hlen);
	cluster_bits = w2c_be32(h + 20);
	if (cluster_bits < 9 || cluster_bits > 21)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: qcow2 header field 'cluster_bits' is %u, expected 9 to 21",
				     src->name, cluster_bits);
	if (version == 3) {
		incompat = w2c_be64(h + 72);
		if (w2c_be32(h + 100) < 104)
			return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
					     "%s: qcow2 header field 'header_length' is %u, expected >= 104",
					     src->name, w2c_be32(h + 100));
	}
	/* An image is at least the header cluster; less means a cut copy. */
	if (src->size < (1ull << cluster_bits))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated qcow2 image: %llu bytes, shorter than one %u-byte cluster",
				     src->name, (unsigned long long)src->size, 1u << cluster_bits);
	/* The L1 and refcount tables must lie inside the file: a cut copy fails here. */
	uint64_t l1 = w2c_be64(h + 40), l1n = w2c_be32(h + 36), rt = w2c_be64(h + 48), rtn = w2c_be32(h + 56);
	if (l1n && (l1 > src->size || l1n * 8 > src->size - l1))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated qcow2 image: L1 table at offset %llu (%llu entries) lies "
				     "beyond the end of the file (%llu bytes)", src->name,
				     (unsigned long long)l1, (unsigned long long)l1n,
				     (unsigned long long)src->size);
	if (rt > src->size || (rtn << cluster_bits) > src->size - rt)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated qcow2 image: refcount table at offset %llu (%llu clusters) "
				     "lies beyond the end of the file (%llu bytes)", src->name,
				     (unsigned long long)rt, (unsigned long long)rtn,
				     (unsigned long long)src->size);
	out->format = "qcow2";
	snprintf(out->subformat, sizeof out->subformat, "v%u%s", version,
		 incompat & 4 ? " external-data" : "");
	out->virtual_size = w2c_be64(h + 24);
	crypt = w2c_be32(h + 32);
	if (crypt > 2)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: qcow2 header field 'crypt_method' is %u, expected 0, 1 or 2",
				     src->name, crypt);
	out->encrypted = crypt != 0;
	snprintf(out->encryption, sizeof out->encryption, "%s", crypt == 1 ? "aes" : crypt == 2 ? "luks" : "");
	return read_backing(src, w2c_be64(h + 8), w2c_be32(h + 16), out, err);
}

static w2c_code parse_qcow1(const w2c_disk_src *src, const uint8_t *h, size_t n, w2c_disk_info *out,
			    w2c_error *err)
{
	uint32_t crypt;
	if (n < 48 || src->size < 48)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated qcow header: %llu bytes, expected at least 48",
				     src->name, (unsigned long long)src->size);
	out->format = "qcow";
	snprintf(out->subformat, sizeof out->subformat, "v1");
	out->virtual_size = w2c_be64(h + 24);
	crypt = w2c_be32(h + 36);
	out->encrypted = crypt != 0;
	snprintf(out->encryption, sizeof out->encryption, "%s", crypt ? "aes" : "");
	return read_backing(src, w2c_be64(h + 8), w2c_be32(h + 16), out, err);
}

static bool probe_qed(const w2c_disk_src *src, const uint8_t *h, size_t n)
{
	(void)src;
	return n >= 4 && !memcmp(h, "QED\0", 4);
}

static w2c_code parse_qed(const w2c_disk_src *src, const uint8_t *h, size_t n, w2c_disk_info *out,
			  w2c_error *err)
{
	uint32_t cluster;
	if (n < 64 || src->size < 64)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated QED header: %llu bytes, expected at least 64",
				     src->name, (unsigned long long)src->size);
	cluster = w2c_le32(h + 4);
	if (cluster < 4096 || cluster > (64u << 20) || (cluster & (cluster - 1)))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: QED header field 'cluster_size' is %u, expected a power of two "
				     "from 4 KiB to 64 MiB", src->name, cluster);
	out->format = "qed";
	out->virtual_size = w2c_le64(h + 48);
	if (w2c_le64(h + 16) & 1) /* QED_F_BACKING_FILE */
		return read_backing(src, w2c_le32(h + 56), w2c_le32(h + 60), out, err);
	return W2C_OK;
}

const w2c_disk_format w2c_disk_qcow2 = { "qcow2", probe_qcow2, parse_qcow2 };
const w2c_disk_format w2c_disk_qcow1 = { "qcow", probe_qcow1, parse_qcow1 };
const w2c_disk_format w2c_disk_qed = { "qed", probe_qed, parse_qed };
