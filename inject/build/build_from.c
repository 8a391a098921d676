/* w2c_build: the build stage from a path and a list of edits, so the CLI makes one call. */
#include "win2cloud/build.h"

w2c_code w2c_build(const char *src, const char *out, const w2c_tree_edit *edits, size_t n_edits,
		   const w2c_build_options *opts, w2c_build_result *res, w2c_error *err)
{
	/* The build copies WIMs as they are (or splits them): their XML is not needed. */
	w2c_media_options mo = { .log = opts ? opts->log : NULL, .skip_wims = true };
	w2c_media *m = NULL;
	/* a bad -o is a usage error before the source is even opened */
	w2c_code rc = w2c_build_check_output(out, opts, err);

	if (!rc)
		rc = w2c_media_open(src, &mo, &m, err);
	for (size_t i = 0; !rc && i < n_edits; i++) {
		w2c_node *root = w2c_media_root(m);
		rc = edits[i].remove ? w2c_tree_remove(root, edits[i].path, err)
				     : w2c_build_check_add(root, edits[i].path, edits[i].local, err);
		if (!rc && !edits[i].remove)
			rc = w2c_tree_put_local(root, edits[i].path, edits[i].local, err);
	}
	if (!rc)
		rc = w2c_build_iso(m, out, opts, res, err);
	w2c_media_free(m);
	return rc;
}
