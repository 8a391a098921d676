/* The small format verify reads itself: a FAT boot sector (the UEFI El Torito
 * image).  Fuzzed (fuzz_verify.c); the sha256sum line is common/sidecar.c. */
#include "verify_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static w2c_code bad(w2c_error *err, const char *what, const char *fmt, unsigned v, const char *want)
{
	char found[64];
	snprintf(found, sizeof found, fmt, v);
	return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: not a FAT image: %s, expected %s", what,
			     found, want);
}

static bool pow2(unsigned v)
{
	return v && !(v & (v - 1));
}

/* Field checks in the order of the boot sector, so the message names the
 * first field a non-FAT file gets wrong (FAT spec, "BPB" and cluster count). */
w2c_code w2c_fat_probe(const uint8_t *b, size_t len, const char *what, w2c_fat_info *out,
		       w2c_error *err)
{
	memset(out, 0, sizeof *out);
	if (len < 512)
		return bad(err, what, "%u bytes", (unsigned)len, "a 512-byte boot sector");
	if (b[510] != 0x55 || b[511] != 0xAA)
		return bad(err, what, "boot sector signature (offset 510) 0x%04x",
			   (unsigned)(b[510] << 8 | b[511]), "0x55AA");
	if (b[0] != 0xEB && b[0] != 0xE9)
		return bad(err, what, "jump instruction (offset 0) 0x%02x", b[0], "0xEB or 0xE9");
	unsigned bps = w2c_le16(b + 11), spc = b[13], reserved = w2c_le16(b + 14), nfats = b[16];
	unsigned root_entries = w2c_le16(b + 17), media = b[21];
	uint64_t total = w2c_le16(b + 19) ? w2c_le16(b + 19) : w2c_le32(b + 32);
	uint64_t fatsz = w2c_le16(b + 22) ? w2c_le16(b + 22) : w2c_le32(b + 36);
	if (bps != 512 && bps != 1024 && bps != 2048 && bps != 4096)
		return bad(err, what, "bytes per sector (offset 11) %u", bps, "512, 1024, 2048 or 4096");
	if (!pow2(spc) || spc > 128)
		return bad(err, what, "sectors per cluster (offset 13) %u", spc, "a power of two up to 128");
	if (!reserved)
		return bad(err, what, "reserved sectors (offset 14) %u", reserved, "at least 1");
	if (!nfats)
		return bad(err, what, "number of FATs (offset 16) %u", nfats, "at least 1");
	if (media != 0xF0 && media < 0xF8)
		return bad(err, what, "media descriptor (offset 21) 0x%02x", media, "0xF0 or 0xF8-0xFF");
	if (!total)
		return bad(err, what, "total sectors (offsets 19/32) %u", 0, "non-zero");
	if (!fatsz)
		return bad(err, what, "sectors per FAT (offsets 22/36) %u", 0, "non-zero");
	uint64_t root_sectors = ((uint64_t)root_entries * 32 + bps - 1) / bps;
	uint64_t meta = reserved + nfats * fatsz + root_sectors;
	if (meta >= total)
		return bad(err, what, "%u sectors of FATs and root directory", (unsigned)meta,
			   "fewer than the total sectors");
	out->clusters = (total - meta) / spc;
	out->fat_bits = out->clusters < 4085 ? 12 : out->clusters < 65525 ? 16 : 32;
	if ((out->fat_bits == 32) != (root_entries == 0))
		return bad(err, what, "root directory entries (offset 17) %u", root_entries,
			   out->fat_bits == 32 ? "0 on FAT32" : "non-zero on FAT12/16");
	out->bytes_per_sector = bps;
	out->sectors_per_cluster = spc;
	out->total_sectors = total;
	out->size = total * bps;
	return W2C_OK;
}
