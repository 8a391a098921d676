/* win2cloud drivers: list driver packages of sources; with --for, the coverage per edition. */
#include "cli.h"
#include "win2cloud/drivers.h"

#include <stdlib.h>
#include <string.h>

static const char help[] =
	"usage: win2cloud drivers SRC... [--for ISO] [--edition INDEX|NAME]...\n"
	"                         [--driver NAME]... [--no-driver NAME]... [--json]\n"
	"\n"
	"SRC is a virtio-win ISO (read in place), a directory in the virtio-win layout\n"
	"(<Driver>/<os>/<arch>/, plus its amd64/<os> and i386/<os> shortcut trees) or any\n"
	"directory of INF packages (e.g. VMTools driver folders).  Every INF is parsed; a\n"
	"package whose INF names a file (or .cat) that is not there is reported broken.\n"
	"\n"
	"Without --for: one line per package (driver, folder, version, class, decorations).\n"
	"With --for ISO: the coverage table, edition x driver -> chosen folder and version,\n"
	"or why none: no-folder, arch-mismatch, decoration (the INF's models exclude the\n"
	"edition's build), broken, denied (known-bad version).\n"
	"\n"
	"  --for ISO           Windows ISO whose install.wim/esd editions to cover\n"
	"  --edition X         only this edition (index or name); repeatable\n"
	"  --driver NAME       also want NAME ('*' = every driver found); repeatable\n"
	"  --no-driver NAME    do not want NAME; repeatable\n"
	"  --json              result as JSON on stdout\n"
	"\n"
	"Default drivers: viostor vioscsi NetKVM Balloon vioserial viorng pvpanic vioinput\n"
	"qemupciserial.  viostor and vioscsi are boot-critical.\n"
	"\n"
	"Exit status: 0 ok, 2 usage, 3 an edition lacks a boot-critical driver,\n"
	"4 unreadable source, INF that does not parse, or (without --for) a broken package.\n";

typedef struct drv_args {
	const char **srcs, **wanted, **editions;
	size_t n_srcs, n_wanted, n_editions;
	const char *for_iso;
} drv_args;

static void list_add(const char ***list, size_t *n, const char *s)
{
	*list = realloc(*list, (*n + 2) * sizeof **list);
	if (!*list)
		abort();
	(*list)[(*n)++] = s;
	(*list)[*n] = NULL;
}

static void list_del(const char **list, size_t *n, const char *s)
{
	size_t w = 0;
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(list[i], s))
			list[w++] = list[i];
	*n = w;
	list[w] = NULL;
}

static w2c_code load_catalog(const drv_args *a, w2c_cli *cli, w2c_driver_catalog **out, w2c_error *err)
{
	w2c_driver_catalog *c = w2c_driver_catalog_new();
	if (!c)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < a->n_srcs; i++) {
		w2c_driver_source *s;
		w2c_code rc = w2c_driver_source_open(a->srcs[i], &cli->log, &s, err);
		if (!rc)
			rc = w2c_driver_catalog_add(c, s, err);
		if (rc) {
			w2c_driver_catalog_free(c);
			return rc;
		}
	}
	*out = c;
	return W2C_OK;
}

static char *decorations(const w2c_driver_package *p)
{
	size_t cap = 1;
	for (size_t i = 0; i < p->n_models; i++)
		cap += strlen(p->models[i].section) + 2;
	char *s = calloc(1, cap);
	for (size_t i = 0; s && i < p->n_models; i++) {
		const char *dot = strchr(p->models[i].section, '.');
		strcat(s, i ? " " : "");
		strcat(s, p->models[i].undecorated ? "(none)" : dot ? dot + 1 : "");
	}
	return s;
}

static json_t *package_json(const w2c_driver_entry *e)
{
	const w2c_driver_package *p = e->pkg;
	json_t *dec = json_array(), *hw = json_array(), *svc = json_array(), *files = json_array();
	for (size_t i = 0; i < p->n_models; i++) {
		const char *dot = strchr(p->models[i].section, '.');
		json_array_append_new(dec, json_string(p->models[i].undecorated ? "" : dot ? dot + 1 : ""));
		for (size_t j = 0; j < p->models[i].n_models; j++)
			if (p->models[i].models[j].n_hardware_ids)
				json_array_append_new(hw, json_string(p->models[i].models[j].hardware_ids[0]));
	}
	for (size_t i = 0; i < p->n_services; i++) {
		const w2c_inf_service *s = &p->services[i];
		json_array_append_new(svc, json_pack("{s:s,s:I,s:I,s:I,s:s?,s:s?}", "name", s->name,
			"type", (json_int_t)s->service_type, "start", (json_int_t)s->start_type,
			"error_control", (json_int_t)s->error_control, "group", s->load_order_group,
			"binary", s->service_binary));
	}
	for (size_t i = 0; i < p->n_files; i++)
		json_array_append_new(files, json_pack("{s:s,s:b,s:b}", "name", p->files[i].name,
						       "present", p->files[i].present, "catalog", p->files[i].catalog));
	return json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:b,s:s?,s:s?,s:s?,s:s?,s:s,s:o,s:o,s:o,s:o,s:s?}",
		"driver", e->driver, "source", w2c_driver_source_path(e->source), "inf", e->inf,
		"os_folder", e->os_folder, "arch_folder", e->arch_folder, "shortcut", e->shortcut,
		"class", p->class_name, "class_guid", p->class_guid, "provider", p->provider,
		"version", p->driver_version, "inf_sha256", e->inf_sha256, "decorations", dec,
		"hardware_ids", hw, "services", svc, "files", files, "broken", p->broken);
}

static int list_packages(w2c_cli *cli, const w2c_driver_catalog *c)
{
	size_t broken = 0;
	json_t *arr = cli->json ? json_array() : NULL;
	for (size_t i = 0; i < c->n_entries; i++) {
		const w2c_driver_entry *e = &c->entries[i];
		broken += e->pkg->broken != NULL;
		if (arr) {
			json_array_append_new(arr, package_json(e));
			continue;
		}
		char *dec = decorations(e->pkg);
		printf("%-14s %-28s %-16s %-12s %s%s\n", e->driver, e->dir[0] ? e->dir : ".",
		       e->pkg->driver_version ? e->pkg->driver_version : "-",
		       e->pkg->class_name ? e->pkg->class_name : "-", dec ? dec : "",
		       e->pkg->broken ? "  BROKEN" : "");
		free(dec);
	}
	if (arr)
		cli_print_json(json_pack("{s:o,s:i}", "packages", arr, "broken", (int)broken));
	for (size_t i = 0; i < c->n_entries; i++)
		if (c->entries[i].pkg->broken)
			fprintf(stderr, "win2cloud: error: broken package: %s\n", c->entries[i].pkg->broken);
	return broken ? w2c_exit_status(W2C_ERR_INVALID_INPUT) : 0;
}

/* Editions of @m chosen by --edition (all when none given); NULL-terminated. */
static const w2c_edition **pick_editions(w2c_media *m, const drv_args *a, w2c_error *err)
{
	size_t n = w2c_media_edition_count(m), k = 0;
	const w2c_edition **out = calloc(n + 1, sizeof *out);
	for (size_t i = 0; out && i < n; i++) {
		const w2c_edition *e = w2c_media_edition(m, i);
		bool want = !a->n_editions;
		for (size_t j = 0; j < a->n_editions; j++) {
			char *end;
			unsigned long idx = strtoul(a->editions[j], &end, 10);
			want |= (!*end && idx == e->index) || (e->name && !strcasecmp(e->name, a->editions[j])) ||
				(e->display_name && !strcasecmp(e->display_name, a->editions[j]));
		}
		if (want)
			out[k++] = e;
	}
	if (out && !k) {
		free(out);
		w2c_set_error(err, W2C_ERR_NOT_FOUND, "%s: %s", w2c_media_path(m),
			      n ? "no edition matches --edition" : "no install.wim/esd editions found");
		return NULL;
	}
	return out;
}

static void print_coverage(const w2c_edition_selection *s)
{
	printf("edition %u: %s (%s, build %u) -> %s/%s\n", s->edition->index,
	       s->edition->name ? s->edition->name : "?", s->edition->arch ? s->edition->arch : "?",
	       s->edition->build, s->supported ? s->folders.folders[0] : "-",
	       s->folders.arch_folder ? s->folders.arch_folder : "-");
	for (size_t i = 0; i < s->n_choices; i++) {
		const w2c_driver_choice *c = &s->choices[i];
		if (c->reason == W2C_SEL_CHOSEN)
			printf("  %-14s %-28s %-16s %s\n", c->driver, c->entries[0]->dir,
			       c->entries[0]->pkg->driver_version ? c->entries[0]->pkg->driver_version : "-",
			       c->detail);
		else
			printf("  %-14s none: %s (%s)\n", c->driver, w2c_select_reason_name(c->reason), c->detail);
	}
}

/* Selection per edition of --for ISO; shared shape with inject. */
static int coverage(w2c_cli *cli, const drv_args *a, const w2c_driver_catalog *c)
{
	w2c_media_options mo = { .log = &cli->log };
	w2c_select_options so = { .wanted = a->wanted };
	w2c_media *m;
	w2c_error err;
	int status = 0;

	if (w2c_media_open(a->for_iso, &mo, &m, &err))
		return cli_fail(cli, &err);
	const w2c_edition **eds = pick_editions(m, a, &err);
	if (!eds) {
		w2c_media_free(m);
		return cli_fail(cli, &err);
	}
	json_t *arr = json_array();
	for (size_t i = 0; eds[i]; i++) {
		w2c_edition_selection sel;
		if (w2c_driver_select(c, eds[i], &so, &sel, &err)) {
			status = cli_fail(cli, &err);
			break;
		}
		if (sel.missing_boot_critical) {
			fprintf(stderr, "win2cloud: error: edition %u (%s): no usable boot-critical driver (viostor/vioscsi)\n",
				eds[i]->index, eds[i]->name ? eds[i]->name : "?");
			status = w2c_exit_status(W2C_ERR_VIOLATIONS);
		}
		if (cli->json) {
			w2c_driver_choice *ch = sel.choices;
			json_t *d = json_array();
			for (size_t j = 0; j < sel.n_choices; j++, ch++)
				json_array_append_new(d, json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s,s:b}", "driver",
					ch->driver, "status", w2c_select_reason_name(ch->reason), "os_folder", ch->folder,
					"folder", ch->n_entries ? ch->entries[0]->dir : NULL, "version",
					ch->n_entries ? ch->entries[0]->pkg->driver_version : NULL, "detail", ch->detail,
					"boot_critical", w2c_driver_is_boot_critical(ch->driver)));
			json_array_append_new(arr, json_pack("{s:i,s:s?,s:s?,s:i,s:s?,s:o,s:b}", "index",
				(int)eds[i]->index, "name", eds[i]->name, "arch", eds[i]->arch, "build",
				(int)eds[i]->build, "os_folder", sel.supported ? sel.folders.folders[0] : NULL,
				"drivers", d, "missing_boot_critical", sel.missing_boot_critical));
		} else {
			print_coverage(&sel);
		}
		w2c_edition_selection_clear(&sel);
	}
	if (cli->json)
		cli_print_json(json_pack("{s:s,s:o}", "iso", a->for_iso, "coverage", arr));
	else
		json_decref(arr);
	free(eds);
	w2c_media_free(m);
	return status;
}

int cmd_drivers(int argc, char **argv, w2c_cli *cli)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'F' },
		{ "edition", required_argument, NULL, 'e' },
		{ "driver", required_argument, NULL, 'd' },
		{ "no-driver", required_argument, NULL, 'D' },
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	drv_args a = { 0 };
	w2c_driver_catalog *cat = NULL;
	w2c_error err;
	int c, status;

	for (const char *const *w = w2c_driver_default_wanted(); *w; w++)
		list_add(&a.wanted, &a.n_wanted, *w);
	while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		if (cli_common_option(cli, c))
			continue;
		switch (c) {
		case 'h': free(a.wanted); return cli_help(help);
		case 'F': a.for_iso = optarg; break;
		case 'e': list_add(&a.editions, &a.n_editions, optarg); break;
		case 'd':
			if (!strcmp(optarg, "*"))
				a.n_wanted = 0;
			list_add(&a.wanted, &a.n_wanted, optarg);
			break;
		case 'D': list_del(a.wanted, &a.n_wanted, optarg); break;
		default: free(a.wanted); return cli_usage_error(cli, "drivers", "unknown option");
		}
	}
	for (int i = optind; i < argc; i++)
		list_add(&a.srcs, &a.n_srcs, argv[i]);
	if (!a.n_srcs)
		status = cli_usage_error(cli, "drivers", "expects at least one driver source");
	else if (load_catalog(&a, cli, &cat, &err))
		status = cli_fail(cli, &err);
	else
		status = a.for_iso ? coverage(cli, &a, cat) : list_packages(cli, cat);
	w2c_driver_catalog_free(cat);
	free(a.srcs), free(a.wanted), free(a.editions);
	return status;
}
