/* Internal state shared by the verify modules (verify*.c). */
#ifndef W2C_INJECT_VERIFY_INT_H
#define W2C_INJECT_VERIFY_INT_H

#include "win2cloud/verify.h"
#include "win2cloud/media.h"
#include "common/util.h"
#include "common/endian.h"

/* A path prefix whose differences are intended, and who declared it. */
typedef struct vallow {
	char *prefix;      /* "/extra" or "/$WinPEDriver$/x.inf" */
	const char *why;   /* "--allow-edit", "driver manifest", ... */
} vallow;

typedef struct vctx {
	const char *iso;               /* the output being verified */
	const w2c_verify_options *o;
	w2c_verify_report *r;
	w2c_media *out;                /* default tree (UDF when present, else Joliet) */
	w2c_media *src;                /* --against an ISO, else NULL */
	w2c_node *src_root;            /* its tree, or the tree of an unpack directory */
	w2c_node *src_dir_root;        /* owned by us when SRC is a directory */
	vallow *allow;
	size_t n_allow;
	char **manifest_paths;         /* paths the output's driver manifest names */
	size_t n_manifest_paths;
	uint64_t progress_total;
	bool oom;                      /* a report entry could not be stored */
} vctx;

/* Report entries (verify.c); on allocation failure they set c->oom. */
void w2c_vr_finding(vctx *c, enum w2c_verify_check check, const char *file, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void w2c_vr_note(vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A difference against SRC; a finding unless allowed.  @detail: "size ..." or NULL. */
void w2c_vr_change(vctx *c, enum w2c_change_kind kind, const char *path, const char *detail);
/* The allow entry covering @path, or NULL. */
const vallow *w2c_vr_allowed(const vctx *c, const char *path);
w2c_code w2c_vr_allow_add(vctx *c, const char *prefix, const char *why);
/* Streamed SHA-256 of a node's data (@m may be NULL for local/memory nodes). */
w2c_code w2c_vr_hash_node(vctx *c, w2c_media *m, const w2c_node *n, char hex[65], w2c_error *err);

/* The checks. */
w2c_code w2c_vr_check_catalog(vctx *c, w2c_error *err);
/* Open --against SRC: an ISO through the media reader, or an unpack directory. */
w2c_code w2c_vr_open_source(vctx *c, w2c_error *err);
w2c_code w2c_vr_check_content(vctx *c, w2c_error *err);
w2c_code w2c_vr_check_names(vctx *c, w2c_error *err);
/* The UDF structures: anchors, descriptor sequences, every tag (verify_udf.c). */
w2c_code w2c_vr_check_udf(vctx *c, w2c_error *err);
/* Every UDF file and the same path in the ISO 9660/Joliet tree @other name one
 * copy of the data (verify_udf.c). */
void w2c_vr_check_udf_shared(vctx *c, w2c_media *udf, w2c_media *other, const char *name);
w2c_code w2c_vr_check_checksum(vctx *c, w2c_error *err);
/* A source WIM >= 4 GiB split into NAME.swm... by build: allowed when consistent. */
w2c_code w2c_vr_allow_split(vctx *c, w2c_error *err);
/* WIM header fields verify looks at (wimlib's wim_header_disk). */
typedef struct vr_wimhdr {
	uint8_t guid[16];    /* 0x18: one GUID for every part of a split set */
	unsigned part, total;/* 0x28, 0x2A */
	uint32_t images;     /* 0x2C */
	uint32_t boot_index; /* 0x78 */
	bool has_boot_index; /* the file holds the header up to 0x80 */
} vr_wimhdr;
/* False when @n is no file, unreadable or not a WIM up to 0x30 (verify_split.c). */
bool w2c_vr_read_wimhdr(w2c_media *m, const w2c_node *n, vr_wimhdr *h);
/* sources/boot.wim keeps a boot index (verify_catalog.c). */
void w2c_vr_check_bootwim(vctx *c);
/* The driver manifest of @m's tree: its paths as intended edits (verify_tree.c). */
w2c_code w2c_vr_read_manifest(vctx *c, w2c_media *m, bool is_output, w2c_error *err);

#endif
