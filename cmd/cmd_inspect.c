/* win2cloud inspect: what a Windows ISO holds. */
#include "cli.h"
#include "win2cloud/media.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud inspect ISO [--json] [--files] [--namespace auto|udf|joliet|iso9660]\n"
	"\n"
	"Show the volume id, the file systems present (udf with its revision, iso9660,\n"
	"joliet, rockridge), the El Torito boot entries, the editions of\n"
	"sources/install.wim|esd|swm and boot.wim (from the WIM XML, read in place),\n"
	"and file and byte counts.  No file data is extracted.\n"
	"\n"
	"  --files             list every file with its size\n"
	"  --namespace NS      read this tree instead of the richest one\n"
	"  --json              one JSON document on stdout\n"
	"\n"
	"Exit status: 0 ok, 4 unreadable or malformed image.\n";

const char *cli_platform_name(unsigned id)
{
	return id == 0 ? "bios" : id == 0xEF ? "uefi" : NULL;
}

json_t *cli_fs_json(const w2c_media *m)
{
	json_t *a = json_array();
	unsigned fs = w2c_media_filesystems(m), rev = w2c_media_udf_revision(m);
	if (fs & W2C_FS_UDF) {
		char r[16];
		snprintf(r, sizeof r, "%x.%02x", rev >> 8, rev & 0xFF);
		json_array_append_new(a, json_pack("{s:s,s:s}", "type", "udf", "revision", r));
	}
	if (fs & W2C_FS_ISO9660)
		json_array_append_new(a, json_pack("{s:s}", "type", "iso9660"));
	if (fs & W2C_FS_JOLIET)
		json_array_append_new(a, json_pack("{s:s}", "type", "joliet"));
	if (fs & W2C_FS_ROCKRIDGE)
		json_array_append_new(a, json_pack("{s:s}", "type", "rockridge"));
	return a;
}

json_t *cli_boot_json(const w2c_media *m)
{
	json_t *a = json_array();
	for (size_t i = 0; i < w2c_media_boot_count(m); i++) {
		const w2c_boot_entry *b = w2c_media_boot_entry(m, i);
		const char *pn = cli_platform_name(b->platform_id);
		json_t *o = json_object();
		json_object_set_new(o, "platform", pn ? json_string(pn) : json_integer(b->platform_id));
		json_object_set_new(o, "platform_id", json_integer(b->platform_id));
		json_object_set_new(o, "bootable", json_boolean(b->bootable));
		json_object_set_new(o, "emulation", json_string(b->media_type == 0 ? "none" :
			b->media_type == 4 ? "hard_disk" : "floppy"));
		json_object_set_new(o, "load_segment", json_integer(b->load_segment));
		json_object_set_new(o, "system_type", json_integer(b->system_type));
		json_object_set_new(o, "sector_count", json_integer(b->sector_count));
		json_object_set_new(o, "lba", json_integer(b->lba));
		json_object_set_new(o, "image", b->image_path ? json_string(b->image_path) : json_null());
		json_object_set_new(o, "image_size", json_integer((json_int_t)b->image_size));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *edition_json(const w2c_edition *e)
{
	json_t *langs = json_array();
	for (size_t k = 0; k < e->n_languages; k++)
		json_array_append_new(langs, json_string(e->languages[k]));
	json_t *o = json_object();
	json_object_set_new(o, "file", json_string(e->file));
	json_object_set_new(o, "index", json_integer(e->index));
	json_object_set_new(o, "name", str_or_null(e->name));
	json_object_set_new(o, "edition_id", str_or_null(e->edition_id));
	json_object_set_new(o, "arch", str_or_null(e->arch));
	json_object_set_new(o, "major", json_integer(e->major));
	json_object_set_new(o, "minor", json_integer(e->minor));
	json_object_set_new(o, "build", json_integer(e->build));
	json_object_set_new(o, "installation_type", str_or_null(e->installation_type));
	json_object_set_new(o, "product_type", str_or_null(e->product_type));
	json_object_set_new(o, "display_name", str_or_null(e->display_name));
	json_object_set_new(o, "languages", langs);
	return o;
}

static json_t *wims_json(const w2c_media *m)
{
	json_t *a = json_array();
	for (size_t i = 0; i < w2c_media_wim_count(m); i++) {
		const w2c_wim_info *w = w2c_media_wim(m, i);
		json_t *imgs = json_array();
		for (uint32_t k = 0; k < w->image_count; k++)
			json_array_append_new(imgs, edition_json(&w->images[k]));
		json_array_append_new(a, json_pack("{s:s,s:i,s:i,s:i,s:i,s:o}", "file", w->file,
			"image_count", (int)w->image_count, "boot_index", (int)w->boot_index,
			"part_number", (int)w->part_number, "total_parts", (int)w->total_parts,
			"images", imgs));
	}
	return a;
}

struct list_ctx {
	json_t *files;
	bool json;
};

static int list_file(w2c_node *n, void *user)
{
	struct list_ctx *c = user;
	char *p;
	if (n->is_dir)
		return 0;
	p = w2c_node_path(n);
	if (c->json)
		json_array_append_new(c->files, json_pack("{s:s,s:I,s:b}", "path", p, "size",
			(json_int_t)n->size, "hidden", n->hidden));
	else
		printf("  %14llu  %s\n", (unsigned long long)n->size, p);
	free(p);
	return 0;
}

static const char *tree_name(enum w2c_fs fs)
{
	switch (fs) {
	case W2C_FS_UDF: return "udf";
	case W2C_FS_JOLIET: return "joliet";
	case W2C_FS_ROCKRIDGE: return "rockridge";
	case W2C_FS_ISO9660: return "iso9660";
	default: return "unpacked directory";
	}
}

static json_t *inspect_json(w2c_media *m, bool files)
{
	uint64_t nf = 0, nd = 0, bytes = 0;
	json_t *eds = json_array();

	w2c_tree_count(w2c_media_root(m), &nf, &nd, &bytes);
	for (size_t i = 0; i < w2c_media_edition_count(m); i++)
		json_array_append_new(eds, edition_json(w2c_media_edition(m, i)));
	json_t *o = json_object();
	json_object_set_new(o, "path", json_string(w2c_media_path(m)));
	json_object_set_new(o, "size", json_integer((json_int_t)w2c_media_size(m)));
	json_object_set_new(o, "volume_id", json_string(w2c_media_volume_id(m)));
	json_object_set_new(o, "joliet_volume_id", str_or_null(w2c_media_joliet_volume_id(m)));
	json_object_set_new(o, "udf_volume_id", str_or_null(w2c_media_udf_volume_id(m)));
	json_object_set_new(o, "filesystems", cli_fs_json(m));
	json_object_set_new(o, "tree", json_string(tree_name(w2c_media_tree_fs(m))));
	json_object_set_new(o, "boot", cli_boot_json(m));
	json_object_set_new(o, "editions", eds);
	json_object_set_new(o, "wims", wims_json(m));
	if (files) {
		struct list_ctx c = { json_array(), true };
		w2c_tree_walk(w2c_media_root(m), list_file, &c);
		json_object_set_new(o, "files", c.files);
	} else {
		json_object_set_new(o, "files", json_integer((json_int_t)nf));
	}
	json_object_set_new(o, "file_count", json_integer((json_int_t)nf));
	json_object_set_new(o, "directories", json_integer((json_int_t)nd));
	json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
	return o;
}

static void print_human(w2c_media *m, bool files)
{
	uint64_t nf = 0, nd = 0, bytes = 0;
	char hb[32];
	unsigned fs = w2c_media_filesystems(m), rev = w2c_media_udf_revision(m);

	w2c_tree_count(w2c_media_root(m), &nf, &nd, &bytes);
	printf("%s\n  volume id     %s\n", w2c_media_path(m), w2c_media_volume_id(m));
	printf("  file systems ");
	if (fs & W2C_FS_UDF)
		printf(" udf %x.%02x", rev >> 8, rev & 0xFF);
	if (fs & W2C_FS_ISO9660)
		printf(" iso9660");
	if (fs & W2C_FS_JOLIET)
		printf(" joliet");
	if (fs & W2C_FS_ROCKRIDGE)
		printf(" rockridge");
	printf(" (tree read from %s)\n", tree_name(w2c_media_tree_fs(m)));
	printf("  files         %llu in %llu directories, %s\n", (unsigned long long)nf,
	       (unsigned long long)nd, cli_human_bytes(bytes, hb));
	printf("  boot entries  %zu\n", w2c_media_boot_count(m));
	for (size_t i = 0; i < w2c_media_boot_count(m); i++) {
		const w2c_boot_entry *b = w2c_media_boot_entry(m, i);
		const char *pn = cli_platform_name(b->platform_id);
		printf("    %zu  %-4s (0x%02x) %s %s load_segment 0x%04x sectors %u lba %u  %s\n", i + 1,
		       pn ? pn : "?", b->platform_id, b->bootable ? "bootable" : "not-bootable",
		       b->media_type == 0 ? "no-emulation" : "emulation", b->load_segment,
		       b->sector_count, b->lba, b->image_path ? b->image_path : "(no file)");
	}
	for (size_t i = 0; i < w2c_media_wim_count(m); i++) {
		const w2c_wim_info *w = w2c_media_wim(m, i);
		printf("  %s: %u image(s), boot index %u\n", w->file, w->image_count, w->boot_index);
		for (uint32_t k = 0; k < w->image_count; k++) {
			const w2c_edition *e = &w->images[k];
			printf("    %u  %-40s %-18s %-6s %u.%u.%u %s\n", e->index, e->name ? e->name : "",
			       e->edition_id ? e->edition_id : "", e->arch ? e->arch : "?", e->major,
			       e->minor, e->build, e->installation_type ? e->installation_type : "");
		}
	}
	if (files) {
		struct list_ctx c = { NULL, false };
		w2c_tree_walk(w2c_media_root(m), list_file, &c);
	}
}

int cmd_inspect(int argc, char **argv, w2c_cli *cli)
{
	static const struct option opts[] = {
		{ "files", no_argument, NULL, 'f' },
		{ "namespace", required_argument, NULL, 'n' },
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	w2c_media_options mo = { .log = &cli->log };
	bool files = false;
	w2c_media *m;
	w2c_error err;
	int c;

	while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		switch (c) {
		case 'h': return cli_help(help);
		case 'f': files = true; break;
		case 'n':
			if (!strcmp(optarg, "udf")) mo.ns = W2C_NS_UDF;
			else if (!strcmp(optarg, "joliet")) mo.ns = W2C_NS_JOLIET;
			else if (!strcmp(optarg, "iso9660")) mo.ns = W2C_NS_ISO9660;
			else if (strcmp(optarg, "auto"))
				return cli_usage_error(cli, "inspect", "--namespace: '%s' is not auto, udf, joliet or iso9660", optarg);
			break;
		default: return cli_usage_error(cli, "inspect", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(cli, "inspect", "expects exactly one ISO");
	if (w2c_media_open(argv[optind], &mo, &m, &err))
		return cli_fail(cli, &err);
	if (cli->json)
		cli_print_json(inspect_json(m, files));
	else
		print_human(m, files);
	w2c_media_free(m);
	return 0;
}
