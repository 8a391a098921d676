/*
 * Volume descriptors: ISO 9660 PVD/SVD (Joliet), the Boot Record, and the
 * UDF volume recognition sequence plus the logical volume descriptor (for
 * the UDF revision, which libudf does not report).
 */
#include "media_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VD_FIRST 16
#define VD_MAX 64

static void trim_copy(char *dst, size_t cap, const uint8_t *src, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
	while (n && (dst[n - 1] == ' ' || dst[n - 1] == 0))
		dst[--n] = 0;
}

/* ISO 9660 8.4.26.1 dec-datetime "YYYYMMDDHHMMSScc" + offset. */
static time_t dec_datetime(const uint8_t *p)
{
	struct tm tm = { 0 };
	char b[17];
	memcpy(b, p, 16);
	b[16] = 0;
	if (b[0] < '1' || b[0] > '9')
		return 0;
	if (sscanf(b, "%4d%2d%2d%2d%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm) - (time_t)((int8_t)p[16]) * 15 * 60;
}

static void take_pvd(w2c_media *m, const uint8_t *s)
{
	trim_copy(m->volume_id, sizeof m->volume_id, s + 40, 32);
	m->pvd_root_lba = w2c_le32(s + 156 + 2);
	m->pvd_root_len = w2c_le32(s + 156 + 10);
	m->volume_blocks = w2c_le32(s + 80);
	m->volume_time = dec_datetime(s + 813);
	m->fs |= W2C_FS_ISO9660;
}

static void take_svd(w2c_media *m, const uint8_t *s)
{
	/* Joliet: escape sequences %/@, %/C or %/E (UCS-2 levels 1-3). */
	if (s[88] != '%' || s[89] != '/' || (s[90] != '@' && s[90] != 'C' && s[90] != 'E'))
		return;
	m->fs |= W2C_FS_JOLIET;
	m->joliet_root_lba = w2c_le32(s + 156 + 2);
	m->joliet_root_len = w2c_le32(s + 156 + 10);
	free(m->joliet_volume_id);
	m->joliet_volume_id = w2c_ucs2be_to_utf8(s + 40, 32);
	if (m->joliet_volume_id) {
		size_t n = strlen(m->joliet_volume_id);
		while (n && m->joliet_volume_id[n - 1] == ' ')
			m->joliet_volume_id[--n] = 0;
	}
}

/* UDF: anchor at block 256 -> main VDS -> logical volume descriptor (tag 6). */
static void udf_lvd(w2c_media *m)
{
	static const unsigned sizes[] = { 2048, 512, 1024, 4096 };
	uint8_t b[4096];

	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		unsigned bs = sizes[i];
		if (w2c_pread_full(m->fd, b, bs, 256ull * bs, m->path, NULL) || w2c_le16(b) != 2)
			continue;
		uint32_t len = w2c_le32(b + 16), loc = w2c_le32(b + 20);
		for (uint32_t k = 0; k < len / bs && k < 64; k++) {
			if (w2c_pread_full(m->fd, b, bs, (uint64_t)(loc + k) * bs, m->path, NULL))
				break;
			uint16_t tag = w2c_le16(b);
			if (tag == 8) /* terminating descriptor */
				break;
			if (tag != 6)
				continue;
			/* domain id regid at 216: flags, 23-byte id, suffix (revision LE16) */
			m->udf_revision = w2c_le16(b + 216 + 24);
			/* logical volume id: dstring[128] at 84, byte 0 = compression id */
			uint8_t len8 = b[84 + 127];
			if (len8 > 1 && len8 <= 127) {
				if (b[84] == 16)
					m->udf_volume_id = w2c_ucs2be_to_utf8(b + 85, len8 - 1u);
				else if (b[84] == 8)
					m->udf_volume_id = w2c_strndup((char *)b + 85, len8 - 1u);
			}
			return;
		}
	}
}

w2c_code w2c_vd_scan(w2c_media *m, w2c_error *err)
{
	uint8_t s[W2C_SECTOR];
	bool iso = false, bea = false, nsr = false, term = false;

	if (m->size < (VD_FIRST + 1) * (uint64_t)W2C_SECTOR)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: %llu bytes is too small for an ISO 9660 or UDF image "
				     "(volume descriptors start at offset 32768)",
				     m->path, (unsigned long long)m->size);
	for (unsigned i = VD_FIRST; i < VD_FIRST + VD_MAX; i++) {
		if ((uint64_t)(i + 1) * W2C_SECTOR > m->size)
			break;
		w2c_code rc = w2c_pread_full(m->fd, s, sizeof s, (uint64_t)i * W2C_SECTOR, m->path, err);
		if (rc)
			return rc;
		if (!memcmp(s + 1, "CD001", 5) && !term) {
			iso = true;
			if (s[0] == 0 && !memcmp(s + 7, "EL TORITO SPECIFICATION", 23))
				m->boot_catalog_lba = w2c_le32(s + 71);
			else if (s[0] == 1)
				take_pvd(m, s);
			else if (s[0] == 2)
				take_svd(m, s);
			else if (s[0] == 255)
				term = true;
			continue;
		}
		if (!memcmp(s + 1, "BEA01", 5))
			bea = true;
		else if (!memcmp(s + 1, "NSR02", 5) || !memcmp(s + 1, "NSR03", 5))
			nsr = true;
		else if (!memcmp(s + 1, "TEA01", 5) || (!iso && !bea))
			break;
	}
	if (nsr && bea) {
		m->fs |= W2C_FS_UDF;
		udf_lvd(m);
	}
	if (iso && !(m->fs & W2C_FS_ISO9660) && !(m->fs & W2C_FS_UDF))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: volume descriptor set at sector 16 has no primary volume "
				     "descriptor (type 1)", m->path);
	if (!m->fs)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: not an ISO 9660 or UDF image: expected 'CD001' or a UDF "
				     "recognition sequence (BEA01/NSR02/NSR03) at offset 32768",
				     m->path);
	return W2C_OK;
}
