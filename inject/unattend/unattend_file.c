/* The answer-file calls that take file names: what `unattend new|merge|lint` and
 * `inject --unattend` do around the in-memory generate/merge/lint. */
#include "common/util.h"
#include "win2cloud/unattend.h"
#include "win2cloud/password.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* An answer file is a few KiB; 16 MiB bounds a wrong file given by mistake. */
#define ANSWER_MAX (16u << 20)

/* The one reader of secret files (common/password.c): a 0644 file is exit 4 in every command. */
w2c_code w2c_unattend_read_secret(const char *path, const char *what, char **out, w2c_error *err)
{
	return w2c_secret_file_read(path, what, out, err);
}

w2c_code w2c_unattend_new(const w2c_unattend_options *o, char **xml, size_t *len, w2c_error *err)
{
	/* a file that ends Setup with a power-off is for `install`: its rules apply too */
	w2c_lint_options lo = { .firmware_set = true, .firmware = o->firmware,
				.install = o->final_step != W2C_FINAL_NONE };
	w2c_lint_report r;
	w2c_code rc;

	*xml = NULL;
	rc = w2c_unattend_generate(o, xml, len, err);

	if (!rc)
		rc = w2c_unattend_lint(*xml, *len, &lo, &r, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < r.n && !rc; i++)
		if (r.items[i].severity == W2C_SEV_ERROR)
			rc = w2c_set_error(err, W2C_ERR_INTERNAL, "generated answer file fails lint: %s: %s",
					   r.items[i].rule, r.items[i].message);
	w2c_lint_report_free(&r);
out:
	if (rc && *xml) {
		OPENSSL_cleanse(*xml, *len);
		free(*xml);
		*xml = NULL;
	}
	return rc;
}

w2c_code w2c_unattend_merge_file(const char *path, const w2c_unattend_options *o, char **xml,
				 size_t *len, w2c_error *err)
{
	char *in = NULL;
	size_t in_len = 0;
	w2c_code rc = w2c_read_file(path, ANSWER_MAX, &in, &in_len, err);

	*xml = NULL;
	if (!rc)
		rc = w2c_unattend_merge(in, in_len, path, o, xml, len, err);
	if (in)
		OPENSSL_cleanse(in, in_len); /* the user's file may hold a password */
	free(in);
	return rc;
}

/* The medium's tree and every install edition, as lint's target. */
static w2c_code open_target(const char *iso, w2c_media **m, w2c_unattend_target *t,
			    const w2c_edition ***eds, w2c_error *err)
{
	w2c_code rc = w2c_media_open(iso, NULL, m, err);
	size_t n;

	if (rc)
		return rc;
	n = w2c_media_edition_count(*m);
	*eds = calloc(n ? n : 1, sizeof **eds);
	if (!*eds)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		(*eds)[i] = w2c_media_edition(*m, i);
	t->root = w2c_media_root(*m);
	t->editions = *eds;
	t->n_editions = n;
	return W2C_OK;
}

w2c_code w2c_unattend_lint_file(const char *path, const char *for_iso, const w2c_lint_options *o,
				w2c_lint_report *report, w2c_error *err)
{
	w2c_lint_options lo = *o;
	w2c_unattend_target t = { 0 };
	const w2c_edition **eds = NULL;
	w2c_media *m = NULL;
	char *data = NULL;
	size_t len = 0;
	w2c_code rc = W2C_OK;

	if (for_iso) {
		rc = open_target(for_iso, &m, &t, &eds, err);
		lo.target = &t;
	}
	if (!rc)
		rc = w2c_read_file(path, ANSWER_MAX, &data, &len, err);
	if (!rc)
		rc = w2c_unattend_lint(data, len, &lo, report, err);
	free(data);
	free(eds);
	w2c_media_free(m);
	return rc;
}

w2c_code w2c_unattend_write(const char *path, const char *xml, size_t len, w2c_error *err)
{
	return w2c_write_file_atomic(path, xml, len, 0600, err);
}
