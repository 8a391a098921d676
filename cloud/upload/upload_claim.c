/*
 * A claimed SHA-256: the one build/inject wrote beside the file (FILE.sha256) or
 * --sha256.  With a claim a multipart upload gets its metadata at creation and still
 * reads the file once: the SHA-256 computed from the bytes as they are sent must equal
 * the claim before the upload is completed, else it is aborted and nothing is created.
 */
#include "cloud/upload/upload_int.h"
#include "common/util.h"
#include "win2cloud/sidecar.h"

#include <stdlib.h>
#include <string.h>

static bool hex64(const char *s, char out[65])
{
	for (int i = 0; i < 64; i++) {
		int v = w2c_hexval((unsigned char)s[i]);
		if (v < 0)
			return false;
		out[i] = "0123456789abcdef"[v];
	}
	out[64] = 0;
	return s[64] == 0;
}

w2c_code w2c_upload_find_claim(w2c_upjob *j, w2c_error *err)
{
	w2c_error why;

	free(j->claim_src);
	j->claim_src = NULL;
	j->claimed[0] = 0;
	if (j->cp.upload_id && j->cp.claimed[0]) {
		/* the object-to-be already carries this claim: only it can be checked now */
		memcpy(j->claimed, j->cp.claimed, 65);
		j->claim_src = w2c_asprintf("the SHA-256 claimed when upload %s began (%s)",
					    j->cp.upload_id, j->cp_path);
	} else if (j->o->sha256) {
		if (!hex64(j->o->sha256, j->claimed))
			return w2c_set_error(err, W2C_ERR_USAGE,
					     "--sha256 '%s': expected 64 hex digits", j->o->sha256);
		j->claim_src = w2c_strdup("--sha256");
	} else if (!j->o->no_sidecar && w2c_sha256sum_sidecar(j->o->file, j->claimed, &why)) {
		j->claim_src = w2c_asprintf("%s.sha256", j->o->file);
		w2c_log(j->o->log, W2C_LOG_INFO, "%s: SHA-256 %s from %s, checked as the file is read",
			j->o->file, j->claimed, j->claim_src);
	} else {
		if (why.code == W2C_ERR_INVALID_INPUT)
			w2c_log(j->o->log, W2C_LOG_INFO, "%s", why.message);
		return W2C_OK;
	}
	return j->claim_src ? W2C_OK : w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
}

w2c_code w2c_upload_check_claim(w2c_upjob *j, void *conn, w2c_error *err)
{
	bool abort = conn && j->cp.upload_id;

	if (!j->claimed[0] || !strcmp(j->claimed, j->hs.sha256))
		return W2C_OK;
	w2c_set_error(err, W2C_ERR_VIOLATIONS,
		      "%s: its bytes have SHA-256 %s, but %s says %s; %s (remove or refresh the "
		      "claim if the file was changed on purpose)", j->o->file, j->hs.sha256,
		      j->claim_src, j->claimed,
		      abort ? "the upload was aborted, nothing was created" : "nothing was sent");
	/* an object completed now would carry a SHA-256 its bytes do not have */
	if (abort)
		w2c_upload_discard(j, conn);
	return err ? err->code : W2C_ERR_VIOLATIONS;
}
