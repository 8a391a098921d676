/* Shared option handling and coverage output of the driver subcommands. */
#include "drvcli.h"

#include <stdlib.h>
#include <string.h>

static void list_add(const char ***list, size_t *n, const char *s)
{
	const char **l = realloc(*list, (*n + 2) * sizeof *l);
	if (!l)
		abort(); /* argv-sized: cannot happen in practice */
	*list = l;
	l[(*n)++] = s;
	l[*n] = NULL;
}

static void list_del(const char **list, size_t *n, const char *s)
{
	size_t w = 0;
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(list[i], s))
			list[w++] = list[i];
	*n = w;
	if (list)
		list[w] = NULL;
}

void drv_args_init(drv_args *a)
{
	memset(a, 0, sizeof *a);
	for (const char *const *w = w2c_driver_default_wanted(); *w; w++)
		list_add(&a->wanted, &a->n_wanted, *w);
}

void drv_args_free(drv_args *a)
{
	free(a->srcs), free(a->wanted), free(a->editions);
}

int drv_option(drv_args *a, int c, const char *arg)
{
	switch (c) {
	case DRV_OPT_EDITION: list_add(&a->editions, &a->n_editions, arg); return 1;
	case DRV_OPT_SOURCE: list_add(&a->srcs, &a->n_srcs, arg); return 1;
	case DRV_OPT_DRIVER:
		if (!strcmp(arg, "*"))
			a->n_wanted = 0;
		list_add(&a->wanted, &a->n_wanted, arg);
		return 1;
	case DRV_OPT_NO_DRIVER: list_del(a->wanted, &a->n_wanted, arg); return 1;
	default: return 0;
	}
}

void drv_print_coverage(const w2c_edition_selection *s)
{
	printf("edition %u: %s (%s, build %u) -> %s/%s\n", s->edition->index,
	       s->edition->name ? s->edition->name : "?", s->edition->arch ? s->edition->arch : "?",
	       s->edition->build, s->supported ? s->folders.folders[0] : "-",
	       s->folders.arch_folder ? s->folders.arch_folder : "-");
	for (size_t i = 0; i < s->n_choices; i++) {
		const w2c_driver_choice *c = &s->choices[i];
		if (c->reason == W2C_SEL_CHOSEN)
			printf("  %-14s %-28s %-18s %s\n", c->driver, c->entries[0]->dir,
			       c->entries[0]->pkg->driver_version ? c->entries[0]->pkg->driver_version : "-",
			       c->detail);
		else
			printf("  %-14s none: %s (%s)\n", c->driver, w2c_select_reason_name(c->reason), c->detail);
	}
}

json_t *drv_coverage_json(const w2c_edition_selection *s)
{
	json_t *d = json_array();
	for (size_t j = 0; j < s->n_choices; j++) {
		const w2c_driver_choice *ch = &s->choices[j];
		const w2c_driver_entry *e = ch->n_entries ? ch->entries[0] : NULL;
		json_t *infs = json_array();
		for (size_t k = 0; k < ch->n_entries; k++)
			json_array_append_new(infs, json_string(ch->entries[k]->inf));
		json_array_append_new(d, json_pack("{s:s,s:s,s:s?,s:s?,s:s?,s:s,s:b,s:o}", "driver",
			ch->driver, "status", w2c_select_reason_name(ch->reason), "os_folder", ch->folder,
			"folder", e ? e->dir : NULL, "version", e ? e->pkg->driver_version : NULL,
			"detail", ch->detail, "boot_critical", w2c_driver_is_boot_critical(ch->driver),
			"infs", infs));
	}
	return json_pack("{s:i,s:s?,s:s?,s:i,s:s?,s:o,s:b}", "index", (int)s->edition->index, "name",
			 s->edition->name, "arch", s->edition->arch, "build", (int)s->edition->build,
			 "os_folder", s->supported ? s->folders.folders[0] : NULL, "drivers", d,
			 "missing_boot_critical", s->missing_boot_critical);
}

void drv_print_missing(const w2c_edition_selection *s, size_t n)
{
	char buf[4096];
	for (size_t i = 0; i < n; i++) {
		if (!w2c_selection_missing_text(&s[i], buf, sizeof buf))
			continue;
		for (char *line = buf, *nl; line; line = nl ? nl + 1 : NULL) {
			if ((nl = strchr(line, '\n')))
				*nl = 0;
			fprintf(stderr, "win2cloud: error: %s\n", line);
		}
	}
}
