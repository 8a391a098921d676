/*
 * win2cloud/media.h - reading Windows installation media.
 *
 * w2c_media_open() reads the volume descriptors, the El Torito catalog and
 * the richest directory tree of an ISO (UDF when present, else Joliet, else
 * ISO 9660 with Rock Ridge) without reading any file data.  Every file node
 * knows where its bytes are (extents in the image, a local file or memory),
 * so later stages edit the tree and stream the data straight from the source.
 */
#ifndef WIN2CLOUD_MEDIA_H
#define WIN2CLOUD_MEDIA_H

#include "win2cloud.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/** File systems (name spaces) found on a medium; a bit mask. */
enum w2c_fs {
	W2C_FS_ISO9660 = 1 << 0,
	W2C_FS_JOLIET = 1 << 1,
	W2C_FS_ROCKRIDGE = 1 << 2,
	W2C_FS_UDF = 1 << 3,
};

/** A run of bytes in the source image. */
typedef struct w2c_extent {
	uint64_t offset; /**< byte offset in the image */
	uint64_t length; /**< bytes */
} w2c_extent;

/** Where a file's bytes come from. */
enum w2c_source_kind {
	W2C_SRC_NONE,   /**< directories, empty files */
	W2C_SRC_IMAGE,  /**< extents in the source image */
	W2C_SRC_LOCAL,  /**< a file on the local file system */
	W2C_SRC_MEMORY, /**< a buffer owned by the node */
};

/** Logical block size of ISO 9660 and UDF on optical media (bytes). */
#define W2C_SECTOR 2048u

/**
 * A file or directory.  The tree is plain data: stages read and edit it with
 * the w2c_tree_* calls below.  Names are UTF-8 as recorded on the medium;
 * lookups compare them case-insensitively, as Windows does.
 */
typedef struct w2c_node {
	char *name;
	bool is_dir;
	bool hidden;
	uint64_t size;
	struct timespec mtime, atime, ctime;
	enum w2c_source_kind src;
	w2c_extent *extents;  /**< W2C_SRC_IMAGE */
	size_t n_extents;
	/** W2C_SRC_IMAGE: the image the extents are in (borrowed; it must stay open until
	 * the tree is written), NULL = the medium the tree was read from. */
	struct w2c_media *image;
	char *local_path;     /**< W2C_SRC_LOCAL */
	uint8_t *data;        /**< W2C_SRC_MEMORY */
	struct w2c_node *parent;
	struct w2c_node **children;
	size_t n_children, cap_children;
	void *user;           /**< free for the stage that walks the tree */
} w2c_node;

/** One El Torito catalog entry, as recorded. */
typedef struct w2c_boot_entry {
	uint8_t platform_id;  /**< 0 BIOS (x86), 0xEF UEFI, 1 PPC, 2 Mac */
	bool bootable;        /**< indicator 0x88 */
	uint8_t media_type;   /**< 0 no emulation, 1-3 floppy, 4 hard disk */
	uint16_t load_segment;/**< 0 means the default 0x07C0 */
	uint8_t system_type;
	uint16_t sector_count;/**< 512-byte virtual sectors */
	uint32_t lba;         /**< 2048-byte block of the image */
	char *image_path;     /**< file in the tree whose data starts at lba, or NULL */
	char *image_local;    /**< unpacked media: local file holding an image that is no file in the tree */
	uint64_t image_size;  /**< file size, else FAT size, else sector_count*512 */
} w2c_boot_entry;

/** One image of a WIM, from its XML. */
typedef struct w2c_edition {
	char *file;               /**< path in the tree, e.g. "/sources/install.wim" */
	unsigned index;           /**< 1-based */
	char *name, *description, *display_name, *flags;
	char *edition_id, *installation_type, *product_type, *product_name;
	int arch_id;              /**< WINDOWS/ARCH: 0 x86, 5 ARM, 6 IA64, 9 amd64, 12 arm64; -1 absent */
	const char *arch;         /**< "x86", "amd64", "arm64", "arm", "ia64" or NULL */
	unsigned major, minor, build, spbuild;
	char **languages;
	size_t n_languages;
	char *default_language;
} w2c_edition;

/** A WIM/ESD/SWM file found on the medium. */
typedef struct w2c_wim_info {
	char *file;               /**< path in the tree */
	uint32_t image_count;
	uint32_t boot_index;      /**< 0 = none */
	uint16_t part_number, total_parts;
	uint32_t flags;           /**< WIM header flags */
	w2c_edition *images;      /**< image_count entries, index order */
} w2c_wim_info;

/** Which tree to load. */
enum w2c_namespace { W2C_NS_AUTO, W2C_NS_UDF, W2C_NS_JOLIET, W2C_NS_ISO9660 };

typedef struct w2c_media_options {
	enum w2c_namespace ns;      /**< W2C_NS_AUTO picks the richest */
	bool skip_wims;             /**< do not read WIM XML */
	const w2c_logger *log;
} w2c_media_options;

typedef struct w2c_media w2c_media;

/**
 * Open @path read-only and load its metadata.  @path is an ISO image (or
 * block device), or a directory made by w2c_media_unpack(): its files are
 * then read in place and the rest comes from DIR/.win2cloud/media.json
 * (refused with W2C_ERR_INVALID_INPUT when that is missing).  Fails with
 * W2C_ERR_INVALID_INPUT (naming the descriptor, field or offset) when the
 * image is malformed, W2C_ERR_NOT_FOUND/W2C_ERR_IO when unreadable.
 */
W2C_API w2c_code w2c_media_open(const char *path, const w2c_media_options *opts, w2c_media **out,
			w2c_error *err);
W2C_API void w2c_media_free(w2c_media *m);

W2C_API const char *w2c_media_path(const w2c_media *m);
/** Size of the image file in bytes. */
W2C_API uint64_t w2c_media_size(const w2c_media *m);
/** Volume id from the PVD (trailing blanks removed). */
W2C_API const char *w2c_media_volume_id(const w2c_media *m);
/** Joliet volume id (<= 16 characters) or NULL. */
W2C_API const char *w2c_media_joliet_volume_id(const w2c_media *m);
/** UDF logical volume id or NULL. */
W2C_API const char *w2c_media_udf_volume_id(const w2c_media *m);
/** Bit mask of enum w2c_fs. */
W2C_API unsigned w2c_media_filesystems(const w2c_media *m);
/** UDF revision as BCD, e.g. 0x0102, or 0 without UDF. */
W2C_API unsigned w2c_media_udf_revision(const w2c_media *m);
/** The name space the tree was loaded from (one enum w2c_fs bit). */
W2C_API enum w2c_fs w2c_media_tree_fs(const w2c_media *m);
/** Creation and modification time of the volume (PVD), 0 if unset. */
W2C_API time_t w2c_media_volume_time(const w2c_media *m);

/** The root of the file tree; the media owns it but callers may edit it. */
W2C_API w2c_node *w2c_media_root(w2c_media *m);

W2C_API size_t w2c_media_boot_count(const w2c_media *m);
W2C_API const w2c_boot_entry *w2c_media_boot_entry(const w2c_media *m, size_t i);
/** LBA of the boot catalog, 0 without El Torito. */
W2C_API uint32_t w2c_media_boot_catalog_lba(const w2c_media *m);
/** Path of the boot catalog when it is a visible file of the tree (e.g.
 * "/boot.catalog"), else NULL (Microsoft media hide it). */
W2C_API const char *w2c_media_boot_catalog_path(const w2c_media *m);

W2C_API size_t w2c_media_wim_count(const w2c_media *m);
W2C_API const w2c_wim_info *w2c_media_wim(const w2c_media *m, size_t i);
/** Every edition of install.wim/esd/swm (not boot.wim) in file, index order. */
W2C_API size_t w2c_media_edition_count(const w2c_media *m);
W2C_API const w2c_edition *w2c_media_edition(const w2c_media *m, size_t i);

/**
 * Read up to @len bytes of @node's data at @off (any source kind) into @buf;
 * *@got receives the count (short only at end of file).
 */
W2C_API w2c_code w2c_media_read(w2c_media *m, const w2c_node *node, uint64_t off, void *buf,
			size_t len, size_t *got, w2c_error *err);
/** Read @len bytes of the image at byte @off. */
W2C_API w2c_code w2c_media_pread(w2c_media *m, void *buf, size_t len, uint64_t off, w2c_error *err);

/* ---- the tree ---- */

/** A new empty directory node (root when @name is ""). */
W2C_API w2c_node *w2c_node_new(const char *name, bool is_dir);
/** Free @n and everything below it (detach it first if it has a parent). */
W2C_API void w2c_node_free(w2c_node *n);
/** Append @child to @dir. */
W2C_API w2c_code w2c_node_add(w2c_node *dir, w2c_node *child, w2c_error *err);
/** Detach @n from its parent (does not free it). */
W2C_API void w2c_node_detach(w2c_node *n);
/** Case-insensitive child lookup. */
W2C_API w2c_node *w2c_node_child(const w2c_node *dir, const char *name);
/** Case-insensitive lookup of "/a/b/c" (leading slash optional); NULL if absent. */
W2C_API w2c_node *w2c_tree_lookup(const w2c_node *root, const char *path);
/** Create missing directories of "/a/b" and return the last. */
W2C_API w2c_node *w2c_tree_mkdirs(w2c_node *root, const char *path, w2c_error *err);
/** Add or replace the file @path with the contents of local file @local. */
W2C_API w2c_code w2c_tree_put_local(w2c_node *root, const char *path, const char *local, w2c_error *err);
/** Add or replace the file @path with a copy of @len bytes at @data. */
W2C_API w2c_code w2c_tree_put_memory(w2c_node *root, const char *path, const void *data, size_t len,
			     w2c_error *err);
/**
 * Add or replace the file @path with the data of @src, a file node of another
 * medium @image (read in place from its extents; @image must stay open until
 * the tree is written).  Memory and local sources are copied as such.
 */
W2C_API w2c_code w2c_tree_put_image(w2c_node *root, const char *path, const w2c_node *src,
			    struct w2c_media *image, w2c_error *err);
/** Add a whole local directory tree under @path (files read in place). */
W2C_API w2c_code w2c_tree_put_local_dir(w2c_node *root, const char *path, const char *local,
				w2c_error *err);
/** Make @path a file read from the open descriptor @fd (as /proc/self/fd/N),
 * e.g. an unlinked scratch file; its times become now. */
W2C_API w2c_code w2c_tree_put_fd(w2c_node *root, const char *path, int fd, w2c_error *err);
/** Remove @path (file or whole directory); W2C_ERR_NOT_FOUND if absent. */
W2C_API w2c_code w2c_tree_remove(w2c_node *root, const char *path, w2c_error *err);
/** "/a/b/c" of @n; caller frees. */
W2C_API char *w2c_node_path(const w2c_node *n);
/** Pre-order walk; stop and return the callback's nonzero value. */
W2C_API int w2c_tree_walk(w2c_node *root, int (*fn)(w2c_node *n, void *user), void *user);
/** Files (not directories) and their total bytes below @root. */
W2C_API void w2c_tree_count(const w2c_node *root, uint64_t *files, uint64_t *dirs, uint64_t *bytes);

/* ---- unpack ---- */

typedef struct w2c_unpack_options {
	bool force;                 /**< allow a non-empty destination */
	const w2c_progress *progress;
	const w2c_logger *log;
} w2c_unpack_options;

/**
 * Write the tree of @m to directory @dir with timestamps kept, boot images
 * that are no file to DIR/.win2cloud/boot/, and DIR/.win2cloud/media.json
 * (volume id, boot entries, hidden flags, original names) written last, so a
 * directory without it is an incomplete unpack.
 */
/**
 * Copy the file @n of @m (image extents, memory or a local file) into a new
 * file @path (created 0600, O_EXCL), reporting "stage" progress for @item;
 * *@fd receives the open file (close it, also on error).  @who names the
 * command in the interruption message.  For stages that hand a file of the
 * medium to a library that opens files by name (wimlib): a named file, not
 * O_TMPFILE, because wimlib takes realpath() of what it opens.
 */
W2C_API w2c_code w2c_media_stage_file(w2c_media *m, const w2c_node *n, const char *path, int *fd,
			      const w2c_progress *pr, const char *item, const char *who,
			      w2c_error *err);

W2C_API w2c_code w2c_media_unpack(w2c_media *m, const char *dir, const w2c_unpack_options *opts,
			  w2c_error *err);

/**
 * The `unpack` stage in one call: open @iso with @mo (may be NULL), write its
 * tree to @dir as w2c_media_unpack does, and report the files and bytes
 * written in *@files and *@bytes (either may be NULL).
 */
W2C_API w2c_code w2c_unpack(const char *iso, const char *dir, const w2c_media_options *mo,
		    const w2c_unpack_options *opts, uint64_t *files, uint64_t *bytes,
		    w2c_error *err);

#ifdef __cplusplus
}
#endif
#endif
