/* w2c_unpack: the unpack stage from a path, so the CLI makes one call. */
#include "win2cloud/media.h"

w2c_code w2c_unpack(const char *iso, const char *dir, const w2c_media_options *mo,
		    const w2c_unpack_options *opts, uint64_t *files, uint64_t *bytes, w2c_error *err)
{
	uint64_t nf = 0, nd = 0, nb = 0;
	w2c_media *m;
	w2c_code rc = w2c_media_open(iso, mo, &m, err);

	if (rc)
		return rc;
	rc = w2c_media_unpack(m, dir, opts, err);
	if (!rc)
		w2c_tree_count(w2c_media_root(m), &nf, &nd, &nb);
	w2c_media_free(m);
	if (files)
		*files = nf;
	if (bytes)
		*bytes = nb;
	return rc;
}
