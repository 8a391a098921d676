#!/bin/bash
# needs-fixture: swift
# resource-lock: swift
# check --bucket against a real Swift s3api: region right / wrong (the server's own answer to a
# request signed for the wrong region), bucket missing, object class, wrong secret (exit 5), no
# credentials (skipped with what to set), and the secret never in any output.
. "$(dirname "$0")/upload_lib.sh"
E=(--endpoint "$W2C_S3_ENDPOINT")
finding() { # RULE -> "status message" of that rule in $T/out (JSON)
	/usr/bin/python3 -c "import json,sys
for f in json.load(open(sys.argv[1]))['findings']:
    if f['rule'] == sys.argv[2]: print(f['status'], f['message'])" "$T/out" "$1"
}

# --- region right: pass; S3 keeps no bucket class, so without a key the class is skipped
w2c --json check --bucket "$W2C_S3_BUCKET" --region "$W2C_S3_REGION" "${E[@]}" || { cat "$T/err"; fail "region right"; }
finding param.bucket.region | grep -q "^pass .*region $W2C_S3_REGION" || fail "region: $(finding param.bucket.region)"
finding param.bucket.storage_class | grep -q "^skip .*KEY" || fail "class: $(finding param.bucket.storage_class)"
echo "ok: region right"

# --- region wrong: signed for eu-de, the server names us-east-1, the check fails with exit 3
rc=0; w2c --json check --bucket "$W2C_S3_BUCKET" --region eu-de "${E[@]}" || rc=$?
[ $rc = 3 ] || { cat "$T/err"; fail "wrong region: exit $rc, expected 3"; }
finding param.bucket.region | grep -q "^fail .*in region us-east-1, not the target region eu-de" ||
	fail "wrong region: $(finding param.bucket.region)"
echo "ok: region wrong -> exit 3"

# --- object class: an uploaded object is STANDARD; a missing object fails
mkrand "$T/o.bin" 1
w2c upload "$T/o.bin" "s3://$W2C_S3_BUCKET/check-$RUN_ID.bin" "${E[@]}" || { cat "$T/err"; fail "upload"; }
w2c --json check --bucket "s3://$W2C_S3_BUCKET/check-$RUN_ID.bin" --region us-east-1 "${E[@]}" ||
	{ cat "$T/err"; fail "object check"; }
finding param.bucket.storage_class | grep -q "^pass object 'check-$RUN_ID.bin' storage class STANDARD" ||
	fail "object class: $(finding param.bucket.storage_class)"
rc=0; w2c --json check --bucket "s3://$W2C_S3_BUCKET/absent-$RUN_ID.bin" --region us-east-1 "${E[@]}" || rc=$?
[ $rc = 3 ] || fail "missing object: exit $rc, expected 3"
finding param.bucket.storage_class | grep -q "^fail object 'absent-$RUN_ID.bin' not found" ||
	fail "missing object: $(finding param.bucket.storage_class)"
echo "ok: object storage class"

# --- bucket missing: both rules fail naming NoSuchBucket, exit 3
rc=0; w2c check --bucket "nosuch-$RUN_ID" --region us-east-1 "${E[@]}" || rc=$?
[ $rc = 3 ] || fail "missing bucket: exit $rc, expected 3"
[ "$(grep -c 'ERROR .*NoSuchBucket' "$T/out")" = 2 ] || fail "missing bucket: $(cat "$T/out")"
grep -q "fix: create the bucket in region us-east-1" "$T/out" || fail "missing bucket has no fix"
echo "ok: bucket missing -> exit 3"

# --- wrong secret: exit 5, one error line naming the key (not the secret), no retries
rc=0; AWS_SECRET_ACCESS_KEY=not-the-secret w2c check --bucket "$W2C_S3_BUCKET" --region us-east-1 "${E[@]}" || rc=$?
[ $rc = 5 ] || fail "wrong secret: exit $rc, expected 5"
grep -q "^win2cloud: error: .*refused access key '$W2C_S3_ACCESS_KEY'.*SignatureDoesNotMatch" "$T/err" ||
	fail "wrong secret message: $(grep error: "$T/err")"
[ "$(count '> GET ' "$T/err")" = 1 ] || fail "wrong secret: request retried"
grep -q not-the-secret "$T/out" "$T/err" && fail "the wrong secret is printed"
echo "ok: wrong secret -> exit 5"

# --- no credentials: both skipped, the notice says what to set, nothing sent
rc=0; env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$W2C" check --bucket "$W2C_S3_BUCKET" \
	--region us-east-1 "${E[@]}" >"$T/out" 2>"$T/err" || rc=$?
[ $rc = 0 ] || fail "no credentials: exit $rc"
[ "$(grep -c '^skip .*set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' "$T/out")" = 2 ] || fail "no credentials: $(cat "$T/out")"
echo "ok: no credentials -> skipped with a notice"

# --- openstack: Glance reads no bucket, the rules are not in the profile and nothing is asked
w2c --json check --profile openstack --bucket "$W2C_S3_BUCKET" --region eu-de "${E[@]}" || fail "openstack"
[ -z "$(finding param.bucket.region)" ] || fail "openstack ran the bucket rules"
[ "$(count '> GET ' "$T/err")" = 0 ] || fail "openstack sent a request"
echo "ok: openstack profile has no bucket rules"

# --- s3:// without an endpoint is a usage error
rc=0; env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "$W2C" check --bucket "s3://$W2C_S3_BUCKET" --region us-east-1 \
	>"$T/out" 2>"$T/err" || rc=$?
[ $rc = 2 ] || fail "s3:// without endpoint: exit $rc"
echo "ok: s3:// without --endpoint -> exit 2"
check_no_secret
