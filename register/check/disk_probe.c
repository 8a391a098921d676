/* Disk image format detection from content: the table of format modules,
 * a file reader and the raw fallback. */
#include "disk_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Order matters: formats with a magic at offset 0 first, VHD (footer) and raw last. */
static const w2c_disk_format *const formats[] = {
	&w2c_disk_qcow2, &w2c_disk_qcow1, &w2c_disk_qed, &w2c_disk_vhdx,
	&w2c_disk_vmdk, &w2c_disk_vdi, &w2c_disk_vhd,
};

w2c_code w2c_disk_read(const w2c_disk_src *src, void *buf, size_t len, uint64_t off,
		       const char *what, w2c_error *err)
{
	if (off > src->size || len > src->size - off)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: truncated: %s at offset %llu (+%zu bytes) lies beyond the end "
				     "of the file (%llu bytes)", src->name, what, (unsigned long long)off,
				     len, (unsigned long long)src->size);
	return src->read(src->user, buf, len, off, err);
}

void w2c_disk_set_backing(w2c_disk_info *out, const uint8_t *name, size_t len)
{
	size_t i;
	if (len >= sizeof out->backing_file)
		len = sizeof out->backing_file - 1;
	for (i = 0; i < len; i++)
		out->backing_file[i] = name[i] >= 0x20 && name[i] != 0x7f ? (char)name[i] : '?';
	out->backing_file[i] = 0;
	if (!i)
		snprintf(out->backing_file, sizeof out->backing_file, "(empty name)");
}

static bool is_iso_head(const w2c_disk_src *src)
{
	static const char *const ids[] = { "CD001", "BEA01", "NSR02", "NSR03" };
	uint8_t id[5];
	for (uint64_t off = 32768 + 1; off + 5 <= src->size && off < 32768 + 16 * 2048; off += 2048) {
		if (src->read(src->user, id, 5, off, NULL))
			return false;
		for (size_t i = 0; i < 4; i++)
			if (!memcmp(id, ids[i], 5))
				return true;
	}
	return false;
}

/* Raw has no header: accept a disk with an MBR/protective MBR boot signature or a blank start. */
static w2c_code probe_raw(const w2c_disk_src *src, const uint8_t *h, size_t n, w2c_disk_info *out,
			  w2c_error *err)
{
	bool blank = true;
	if (n < 512 || src->size % 512)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: not a disk image: no qcow2/qcow/QED/VHD/VHDX/VMDK/VDI header, and "
				     "as raw its size %llu is not a multiple of 512", src->name,
				     (unsigned long long)src->size);
	for (size_t i = 0; i < 512 && blank; i++)
		blank = h[i] == 0;
	if (!blank && !(h[510] == 0x55 && h[511] == 0xAA))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: not a disk image: no qcow2/qcow/QED/VHD/VHDX/VMDK/VDI header, and "
				     "as raw sector 0 has no boot signature 55 AA at offset 510", src->name);
	out->format = "raw";
	bool gpt = false;
	for (int i = 0; i < 4 && !blank; i++)
		gpt = gpt || h[446 + 16 * i + 4] == 0xEE; /* protective MBR: the disk is GPT */
	snprintf(out->subformat, sizeof out->subformat, "%s", blank ? "blank" : gpt ? "gpt" : "mbr");
	out->virtual_size = src->size;
	return W2C_OK;
}

/* A raw LUKS1/LUKS2 container: an encrypted disk, not "no disk image". */
static bool is_luks(const uint8_t *h, size_t n, w2c_disk_info *out, const w2c_disk_src *src)
{
	static const uint8_t magic[6] = { 'L', 'U', 'K', 'S', 0xBA, 0xBE };
	if (n < 8 || memcmp(h, magic, sizeof magic))
		return false;
	out->format = "raw";
	snprintf(out->subformat, sizeof out->subformat, "luks");
	out->encrypted = true;
	snprintf(out->encryption, sizeof out->encryption, "luks%u", w2c_be16(h + 6));
	out->virtual_size = src->size;
	return true;
}

w2c_code w2c_disk_probe_src(const w2c_disk_src *src, w2c_disk_info *out, w2c_error *err)
{
	uint8_t head[W2C_DISK_HEAD];
	size_t n = src->size < sizeof head ? (size_t)src->size : sizeof head;
	w2c_code rc;

	memset(out, 0, sizeof *out);
	out->file_size = src->size;
	if (!src->size)
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: empty file, not a disk image",
				     src->name);
	if ((rc = src->read(src->user, head, n, 0, err)))
		return rc;
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
		if (formats[i]->probe(src, head, n))
			return formats[i]->parse(src, head, n, out, err);
	if (is_luks(head, n, out, src))
		return W2C_OK;
	if (is_iso_head(src))
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT,
				     "%s: an ISO 9660/UDF image, not a disk image", src->name);
	return probe_raw(src, head, n, out, err);
}

struct file_src {
	int fd;
	const char *path;
};

static w2c_code file_read(void *user, void *buf, size_t len, uint64_t off, w2c_error *err)
{
	struct file_src *f = user;
	return w2c_pread_full(f->fd, buf, len, off, f->path, err);
}

w2c_code w2c_disk_probe(const char *path, w2c_disk_info *out, w2c_error *err)
{
	struct file_src f = { open(path, O_RDONLY | O_CLOEXEC), path };
	struct stat st;
	w2c_code rc;

	if (f.fd < 0)
		return w2c_set_error(err, errno == ENOENT ? W2C_ERR_NOT_FOUND : W2C_ERR_IO,
				     "%s: cannot open: %s", path, strerror(errno));
	if (fstat(f.fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(f.fd);
		return w2c_set_error(err, W2C_ERR_INVALID_INPUT, "%s: not a regular file", path);
	}
	w2c_disk_src src = { file_read, &f, (uint64_t)st.st_size, path };
	rc = w2c_disk_probe_src(&src, out, err);
	close(f.fd);
	return rc;
}

bool w2c_file_is_iso(const char *path)
{
	struct file_src f = { open(path, O_RDONLY | O_CLOEXEC), path };
	struct stat st;
	bool r = false;
	if (f.fd < 0)
		return false;
	if (!fstat(f.fd, &st) && S_ISREG(st.st_mode)) {
		w2c_disk_src src = { file_read, &f, (uint64_t)st.st_size, path };
		r = is_iso_head(&src);
	}
	close(f.fd);
	return r;
}
