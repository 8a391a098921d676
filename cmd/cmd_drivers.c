/* win2cloud drivers: list driver packages of sources; with --for, the coverage per edition. */
#include "drvcli.h"

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

/* The coverage table of --for ISO. */
static int coverage(w2c_cli *cli, const drv_args *a, const w2c_driver_catalog *c)
{
	w2c_driver_coverage cov;
	w2c_error err;

	if (w2c_driver_coverage_of(c, a->for_iso, a->editions, a->n_editions, a->wanted, &cli->log, &cov,
				   &err))
		return cli_fail(cli, &err);
	json_t *arr = json_array();
	for (size_t i = 0; i < cov.n; i++) {
		if (cli->json)
			json_array_append_new(arr, drv_coverage_json(&cov.sel[i]));
		else
			drv_print_coverage(&cov.sel[i]);
	}
	if (cli->json)
		cli_print_json(json_pack("{s:s,s:o}", "iso", a->for_iso, "coverage", arr));
	else
		json_decref(arr);
	drv_print_missing(cov.sel, cov.n);
	int status = cov.missing ? w2c_exit_status(W2C_ERR_VIOLATIONS) : 0;
	w2c_driver_coverage_free(&cov);
	return status;
}

int cmd_drivers(int argc, char **argv, w2c_cli *cli)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'F' },
		DRV_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ 0 },
	};
	drv_args a;
	w2c_driver_catalog *cat = NULL;
	w2c_error err;
	int c, status;

	drv_args_init(&a);
	while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		if (cli_common_option(cli, c) || drv_option(&a, c, optarg))
			continue;
		switch (c) {
		case 'h': drv_args_free(&a); return cli_help(help);
		case 'F': a.for_iso = optarg; break;
		default: drv_args_free(&a); return cli_usage_error(cli, "drivers", "unknown option");
		}
	}
	for (int i = optind; i < argc; i++)
		drv_option(&a, DRV_OPT_SOURCE, argv[i]);
	if (!a.n_srcs)
		status = cli_usage_error(cli, "drivers", "expects at least one driver source");
	else if (w2c_driver_catalog_open(a.srcs, a.n_srcs, &cli->log, &cat, &err))
		status = cli_fail(cli, &err);
	else
		status = a.for_iso ? coverage(cli, &a, cat) : list_packages(cli, cat);
	w2c_driver_catalog_free(cat);
	drv_args_free(&a);
	return status;
}
