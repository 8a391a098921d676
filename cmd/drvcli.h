/* Option lists and coverage output shared by the driver subcommands (drivers, inject); cmd/ only. */
#ifndef W2C_CMD_DRVCLI_H
#define W2C_CMD_DRVCLI_H

#include "cli.h"
#include "win2cloud/drivers.h"

typedef struct drv_args {
	const char **srcs, **wanted, **editions; /* NULL-terminated lists */
	size_t n_srcs, n_wanted, n_editions;
	const char *for_iso;
} drv_args;

/* Start with the default wanted set. */
void drv_args_init(drv_args *a);
void drv_args_free(drv_args *a);
/* Handle --driver/--no-driver/--edition (and --drivers when @src_opt); 1 if handled. */
int drv_option(drv_args *a, int c, const char *arg);
#define DRV_OPT_DRIVER 'd'
#define DRV_OPT_NO_DRIVER 'D'
#define DRV_OPT_EDITION 'e'
#define DRV_OPT_SOURCE 'S'
#define DRV_LONGOPTS                                                   \
	{ "edition", required_argument, NULL, DRV_OPT_EDITION },       \
	{ "driver", required_argument, NULL, DRV_OPT_DRIVER },         \
	{ "no-driver", required_argument, NULL, DRV_OPT_NO_DRIVER }

/* Print one edition's coverage as text, or return it as JSON. */
void drv_print_coverage(const w2c_edition_selection *s);
json_t *drv_coverage_json(const w2c_edition_selection *s);
/* Name on stderr each boot-critical driver an edition lacks. */
void drv_print_missing(const w2c_edition_selection *s, size_t n);

#endif
