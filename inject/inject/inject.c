/* w2c_inject: the inject stage from driver sources to the written ISO, in one call, so that
 * the CLI only parses and prints and a C caller gets the same run. */
#include "inject_int.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>

static w2c_code bad_options(const char *iso, const char *out, const w2c_inject_options *o,
			    w2c_error *err)
{
	unsigned lv = o->levels ? o->levels : W2C_INJECT_MEDIA;

	if (!iso || !out)
		return w2c_set_error(err, W2C_ERR_USAGE, "inject: needs the source ISO and the output path");
	if (!o->n_drivers)
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: inject needs at least one driver source", iso);
	if (lv & ~(unsigned)(W2C_INJECT_MEDIA | W2C_INJECT_IMAGE | W2C_INJECT_BOOT))
		return w2c_set_error(err, W2C_ERR_USAGE, "inject: levels 0x%x: expected media, image "
				     "and boot bits only", lv);
	if (o->unattend && !(lv & W2C_INJECT_MEDIA))
		return w2c_set_error(err, W2C_ERR_USAGE, "%s: an answer file needs the media level (its "
				     "DriverPaths point at $WinPEDriver$)", iso);
	return W2C_OK;
}

/* Catalog, medium, editions, selection; refuses editions lacking a boot-critical driver. */
static w2c_code select_drivers(const char *iso, const char *out, const w2c_inject_options *o,
			       w2c_inject_result *res, w2c_error *err)
{
	w2c_media_options mo = { .log = o->log };
	w2c_select_options so = { .wanted = o->wanted };
	const w2c_edition **eds = NULL;
	w2c_code rc;

	if ((rc = w2c_driver_catalog_open(o->drivers, o->n_drivers, o->log, &res->catalog_, err)) ||
	    (rc = w2c_media_open(iso, &mo, &res->media_, err)))
		return rc;
	rc = w2c_editions_pick(res->media_, o->editions, o->n_editions, &eds, err);
	if (!rc)
		rc = w2c_driver_select_all(res->catalog_, eds, &so, &res->selections, &res->n_selections, err);
	free(eds);
	if (rc)
		return rc;
	res->missing = w2c_selections_missing(res->selections, res->n_selections);
	if (res->missing)
		return w2c_set_error(err, W2C_ERR_VIOLATIONS, "%s: nothing written: an edition lacks a "
				     "boot-critical driver", out);
	return W2C_OK;
}

/* Levels image and boot, then the placement (and manifest) of every level. */
static w2c_code service_and_place(const char *out, const w2c_inject_options *o, unsigned lv,
				  w2c_inject_result *res, w2c_error *err)
{
	char *images = NULL;
	w2c_code rc = W2C_OK;

	if (lv & (W2C_INJECT_IMAGE | W2C_INJECT_BOOT)) {
		w2c_service_options so = { .near = out, .boot_wim = (lv & W2C_INJECT_BOOT) != 0,
					   .progress = o->progress, .log = o->log };
		rc = w2c_wim_service(res->media_, res->selections, res->n_selections, &so, &res->service, err);
		if (!rc && !(images = w2c_service_json(res->service)))
			rc = w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	}
	if (!rc)
		rc = w2c_drivers_place_levels(res->media_, w2c_media_root(res->media_), res->selections,
					      res->n_selections, (lv & W2C_INJECT_MEDIA) != 0, images,
					      &res->manifest, err);
	free(images);
	return rc;
}

w2c_code w2c_inject(const char *iso, const char *out, const w2c_inject_options *o, w2c_inject_result *res,
		    w2c_error *err)
{
	/* The manifest also goes next to the output, for a reader without the ISO;
	 * it is a sidecar of the build, committed with the image and its .sha256. */
	w2c_build_sidecar side = { ".drivers.json", NULL, 0 };
	w2c_build_options bo = { .progress = o->progress, .log = o->log, .large_files = o->large_files,
				 .filesystems = o->filesystems, .udf_only = o->udf_only,
				 .udf_revision = o->udf_revision, .sidecars = &side, .n_sidecars = 1 };
	unsigned lv = o->levels ? o->levels : W2C_INJECT_MEDIA;
	w2c_code rc;

	memset(res, 0, sizeof *res);
	if ((rc = bad_options(iso, out, o, err)) || (rc = w2c_build_check_output(out, &bo, err)) ||
	    (rc = select_drivers(iso, out, o, res, err)) || (rc = service_and_place(out, o, lv, res, err)))
		return rc;
	if (o->unattend && (rc = w2c_inject_answer_file(out, o, res, err)))
		return rc;
	if (!(res->manifest_path = w2c_asprintf("%s.drivers.json", out)))
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	side.data = res->manifest;
	side.len = res->manifest ? strlen(res->manifest) : 0;
	bo.private_image = res->private_image;
	if (res->private_image)
		w2c_log(o->log, W2C_LOG_WARN, "%s holds the Administrator password in its answer file: "
			"written mode 0600 (owner only)", out);
	if ((rc = w2c_build_iso(res->media_, out, &bo, &res->build, err)))
		return rc;
	res->built = true;
	return W2C_OK;
}

void w2c_inject_result_free(w2c_inject_result *res)
{
	if (!res)
		return;
	w2c_selections_free(res->selections, res->n_selections);
	w2c_service_free(res->service);
	free(res->manifest);
	free(res->manifest_path);
	w2c_lint_report_free(&res->lint);
	w2c_media_free(res->media_);
	w2c_driver_catalog_free(res->catalog_);
	memset(res, 0, sizeof *res);
}
