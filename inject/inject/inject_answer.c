/* inject's answer file: generated or merged with DriverPaths to $WinPEDriver$, placed at the
 * media root, and linted against the medium it goes onto before anything is written. */
#include "inject_int.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* The user's settings plus what inject owns: DriverPaths, the image a single edition names,
 * the arch of the edition the drivers are for. */
static void answer_options(const w2c_inject_options *o, const w2c_inject_result *res, bool gen,
			   w2c_unattend_options *ao)
{
	if (o->answer)
		*ao = *o->answer;
	else
		w2c_unattend_options_init(ao);
	ao->driver_paths = true;
	ao->merge_disk = ao->merge_disk || o->cloud_set;
	if (o->n_editions == 1 && !ao->image_index && !ao->image_name) {
		const char *e = o->editions[0];
		if (e[0] && strspn(e, "0123456789") == strlen(e))
			ao->image_index = e;
		else
			ao->image_name = e;
	}
	if (gen && !ao->arch && res->n_selections && res->selections[0].edition->arch)
		ao->arch = res->selections[0].edition->arch;
}

/* Our answer file must pass our lint on the medium it goes onto. */
static w2c_code lint_on_media(const char *out, const w2c_inject_options *o, const w2c_unattend_options *ao,
			      w2c_inject_result *res, const char *xml, size_t len, w2c_error *err)
{
	size_t n = w2c_media_edition_count(res->media_);
	const w2c_edition **eds = calloc(n + 1, sizeof *eds);
	w2c_code rc = W2C_OK;

	if (!eds)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		eds[i] = w2c_media_edition(res->media_, i);
	w2c_unattend_target t = { w2c_media_root(res->media_), eds, n };
	w2c_lint_options lo = { &t, o->firmware_set, ao->firmware, o->cloud_set, ao->cloud };
	rc = w2c_unattend_lint(xml, len, &lo, &res->lint, err);
	for (size_t i = 0; !rc && i < res->lint.n; i++)
		if (res->lint.items[i].severity == W2C_SEV_ERROR)
			rc = w2c_set_error(err, W2C_ERR_VIOLATIONS,
					   "%s: nothing written: the answer file has %zu lint error(s) on "
					   "the new medium (win2cloud unattend lint FILE --for ISO); first: "
					   "line %ld: [%s] %s", out, res->lint.errors, res->lint.items[i].line,
					   res->lint.items[i].rule, res->lint.items[i].message);
	free(eds);
	return rc;
}

w2c_code w2c_inject_answer_file(const char *out, const w2c_inject_options *o, w2c_inject_result *res,
				w2c_error *err)
{
	const bool gen = !strcmp(o->unattend, W2C_INJECT_UNATTEND_GENERATE);
	w2c_unattend_options ao;
	char *xml = NULL;
	size_t len = 0;
	bool replaced = false;
	w2c_code rc;

	answer_options(o, res, gen, &ao);
	if (gen)
		rc = w2c_unattend_generate(&ao, &xml, &len, err);
	else
		rc = w2c_unattend_merge_file(o->unattend, &ao, &xml, &len, err);
	if (!rc)
		rc = w2c_unattend_put(w2c_media_root(res->media_), xml, len, &replaced, err);
	if (!rc)
		res->answer_file = true;
	if (!rc) /* an ISO holding the password is written owner-only */
		res->private_image = w2c_unattend_has_password(xml, len);
	/* the MSI its first-logon step installs (--cloudbase-init) */
	if (!rc && ao.cloudbase_init)
		rc = w2c_unattend_put_cloudbase_init(w2c_media_root(res->media_), ao.cloudbase_init, err);
	if (!rc)
		rc = lint_on_media(out, o, &ao, res, xml, len, err);
	if (!rc)
		res->answer_replaced = replaced;
	if (xml)
		OPENSSL_cleanse(xml, len); /* it may hold the password */
	free(xml);
	return rc;
}
