/*
 * Registration bucket checks: storage class STANDARD and region = the target
 * region (cloud-api spec §2.3, IMS IMG.0058).  The bucket is asked through the
 * upload's S3 client with the upload's credential and endpoint rules, so what
 * passes here is what `upload` and `register` will see.
 */
#include "win2cloud/check.h"
#include "win2cloud/credentials.h"
#include "win2cloud/s3.h"
#include "win2cloud/s3.h"
#include "win2cloud/upload.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether the user gave credentials at all: without, the checks are skipped, not failed. */
static bool creds_given(const w2c_check_options *o)
{
	if (o->cred_profile)
		return true;
	if (w2c_credentials_in_env())
		return true;
	char *def = o->credentials_file ? NULL : w2c_credentials_default_path();
	bool file = access(o->credentials_file ? o->credentials_file : def ? def : "", F_OK) == 0;
	free(def);
	return file;
}

/* "B", "B/KEY", "s3://B[/KEY]" or "obs://B[/KEY]" as an upload URL (the key may be a stand-in). */
static char *target_url(const w2c_check_options *o, bool *has_key)
{
	const char *b = o->bucket, *scheme = o->endpoint ? "s3" : "obs";
	if (!strncmp(b, "s3://", 5) || !strncmp(b, "obs://", 6)) {
		scheme = b[0] == 's' ? "s3" : "obs";
		b = strstr(b, "://") + 3;
	}
	const char *slash = strchr(b, '/');
	int blen = (int)(slash ? (size_t)(slash - b) : strlen(b));
	*has_key = slash && slash[1];
	return *has_key ? w2c_asprintf("%s://%s", scheme, b) : w2c_asprintf("%s://%.*s/-", scheme, blen, b);
}

static void skip_both(const w2c_check_options *o, w2c_check_report *r, const char *why)
{
	w2c_check_add(r, "param.bucket.storage_class", W2C_STATUS_SKIP, o->bucket, NULL,
		      "bucket '%s': storage class not verified: %s", o->bucket, why);
	w2c_check_add(r, "param.bucket.region", W2C_STATUS_SKIP, o->bucket, NULL,
		      "bucket '%s': region not verified: %s", o->bucket, why);
}

static void check_region(const w2c_check_options *o, const w2c_s3_bucket *b, w2c_check_report *r)
{
	if (!o->region) {
		w2c_check_add(r, "param.bucket.region", W2C_STATUS_SKIP, o->bucket, NULL,
			      "bucket '%s' is in region %s; pass --region R (where the image is "
			      "registered) to check it", o->bucket, b->region);
		return;
	}
	bool ok = !w2c_strcasecmp(b->region, o->region);
	w2c_check_add(r, "param.bucket.region", ok ? W2C_STATUS_PASS : W2C_STATUS_FAIL, o->bucket, NULL,
		      "bucket '%s' is in region %s, %s target region %s", o->bucket, b->region,
		      ok ? "the" : "not the", o->region);
}

static void class_finding(const w2c_check_options *o, w2c_check_report *r, const char *cls,
			  const char *what)
{
	bool ok = !strcmp(cls, "STANDARD");
	w2c_check_add(r, "param.bucket.storage_class", ok ? W2C_STATUS_PASS : W2C_STATUS_FAIL, o->bucket,
		      NULL, "%s storage class %s%s", what, cls, ok ? "" : ", the image service needs STANDARD");
}

/* OBS names a non-standard bucket default; plain S3 has none, so the object decides. */
static w2c_code check_class(w2c_s3 *s3, const w2c_upload_target *st, bool has_key, const w2c_s3_bucket *b,
			    const w2c_check_options *o, w2c_check_report *r, w2c_error *err)
{
	char what[1200];
	bool obs = st->obs || b->obs_version[0];

	if (b->class_header || (obs && !has_key)) {
		snprintf(what, sizeof what, "bucket '%s' default", st->bucket);
		class_finding(o, r, b->class_header ? b->storage_class : "STANDARD", what);
		if (!has_key)
			return W2C_OK;
	}
	if (!has_key) {
		w2c_check_add(r, "param.bucket.storage_class", W2C_STATUS_SKIP, o->bucket, NULL,
			      "bucket '%s': this S3 service keeps no bucket-level storage class; pass "
			      "--bucket s3://%s/KEY to check the uploaded object's class",
			      st->bucket, st->bucket);
		return W2C_OK;
	}
	w2c_s3_object obj;
	w2c_code rc = w2c_s3_head(s3, st->bucket, st->key, &obj, err);
	if (rc == W2C_ERR_NOT_FOUND) {
		w2c_check_add(r, "param.bucket.storage_class", W2C_STATUS_FAIL, o->bucket,
			      "upload the image first: win2cloud upload FILE URL",
			      "object '%s' not found in bucket '%s'", st->key, st->bucket);
		return W2C_OK;
	}
	if (rc)
		return rc;
	snprintf(what, sizeof what, "object '%s'", st->key);
	class_finding(o, r, obj.storage_class, what);
	return W2C_OK;
}

static void missing_bucket(const w2c_check_options *o, const w2c_upload_target *st, w2c_check_report *r,
			   const w2c_error *e)
{
	char fix[512];
	snprintf(fix, sizeof fix, "create the bucket in region %s with storage class STANDARD (OBS: "
		 "x-obs-storage-class: STANDARD), or name an existing one",
		 o->region ? o->region : st->region);
	w2c_check_add(r, "param.bucket.storage_class", W2C_STATUS_FAIL, o->bucket, fix, "%s", e->message);
	w2c_check_add(r, "param.bucket.region", W2C_STATUS_FAIL, o->bucket, fix, "%s", e->message);
}

w2c_code w2c_check_bucket(const w2c_check_options *o, w2c_check_report *r, w2c_error *err)
{
	w2c_upload_target st;
	w2c_s3_bucket b;
	bool has_key;
	w2c_code rc;

	if (w2c_check_rule_severity(o->profile, "param.bucket.region") == W2C_CHECK_OFF &&
	    w2c_check_rule_severity(o->profile, "param.bucket.storage_class") == W2C_CHECK_OFF)
		return W2C_OK; /* not a rule of this cloud (Glance reads no bucket) */
	if (!creds_given(o)) {
		skip_both(o, r, "no credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
			  "OS_ACCESS_KEY/OS_SECRET_KEY, HW_ACCESS_KEY/HW_SECRET_KEY), or name a profile "
			  "of the credentials file with --credentials-profile");
		return W2C_OK;
	}
	char *url = target_url(o, &has_key);
	w2c_upload_options uo = { .url = url, .endpoint = o->endpoint, .region = o->region,
				  .profile = o->cred_profile, .credentials_file = o->credentials_file,
				  .ca_bundle = o->ca_bundle, .payload_signing = 0, .log = o->log };
	if (!url)
		return w2c_set_error(err, W2C_ERR_NOMEM, "out of memory");
	rc = w2c_upload_target_open(&uo, &st, err);
	if (!rc) {
		rc = w2c_s3_bucket_info(st.s3, st.bucket, &b, err);
		if (rc == W2C_ERR_NOT_FOUND) {
			missing_bucket(o, &st, r, err);
			rc = W2C_OK;
		} else if (!rc) {
			check_region(o, &b, r);
			rc = check_class(st.s3, &st, has_key, &b, o, r, err);
		}
	}
	w2c_upload_target_free(&st);
	free(url);
	return rc;
}
