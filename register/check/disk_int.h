/* Disk image header modules (register/disk_*.c), one per format family. */
#ifndef W2C_REGISTER_DISK_INT_H
#define W2C_REGISTER_DISK_INT_H

#include "win2cloud/check.h"
#include "common/util.h"
#include "common/endian.h"

#include <string.h>

/* Bytes of the file start handed to every probe. */
#define W2C_DISK_HEAD 4096u

/*
 * One format: probe() says whether @head (the first bytes, @n of them, and
 * the source for formats with a footer) is this format; parse() fills @out
 * from the header or fails with W2C_ERR_INVALID_INPUT naming the field.
 */
typedef struct w2c_disk_format {
	const char *name;
	bool (*probe)(const w2c_disk_src *src, const uint8_t *head, size_t n);
	w2c_code (*parse)(const w2c_disk_src *src, const uint8_t *head, size_t n,
			  w2c_disk_info *out, w2c_error *err);
} w2c_disk_format;

extern const w2c_disk_format w2c_disk_qcow2, w2c_disk_qcow1, w2c_disk_qed, w2c_disk_vhd,
	w2c_disk_vhdx, w2c_disk_vmdk, w2c_disk_vdi;

/* Read @len bytes at @off, failing with a message naming @what when the file is too short. */
w2c_code w2c_disk_read(const w2c_disk_src *src, void *buf, size_t len, uint64_t off,
		       const char *what, w2c_error *err);
/* Copy a length-counted name into out->backing_file (made printable). */
void w2c_disk_set_backing(w2c_disk_info *out, const uint8_t *name, size_t len);

#endif
