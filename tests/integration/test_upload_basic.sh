#!/bin/bash
# needs-fixture: swift
# resource-lock: swift
# Upload against a real Swift s3api: single part, multipart, re-run does nothing, file:// target,
# wrong secret (exit 5, one line, one request), 0644 credentials file refused, no secret in output.
. "$(dirname "$0")/upload_lib.sh"
E=(--endpoint "$W2C_S3_ENDPOINT")
B=s3://$W2C_S3_BUCKET/basic-$RUN_ID

# --- single part, verified, JSON result
mkrand "$T/small.bin" 3
w2c --json upload "$T/small.bin" "$B/small.bin" "${E[@]}" --verify || { cat "$T/err"; fail "small upload"; }
[ "$(json_field parts)" = 1 ] || fail "small file should be one part"
[ "$(json_field etag)" = "$(md5sum <"$T/small.bin" | cut -c1-32)" ] || fail "single-part ETag is not the MD5"
[ "$(json_field sha256)" = "$(sha256sum <"$T/small.bin" | cut -c1-64)" ] || fail "sha256 wrong"
[ "$(json_field verified)" = True ] || fail "not verified"
for k in url size seconds mib_per_s; do json_field $k >/dev/null || fail "result lacks $k"; done
swift_get "basic-$RUN_ID/small.bin" "$T/small.back"
cmp "$T/small.bin" "$T/small.back" || fail "downloaded object differs"
echo "ok: single part"

# --- multipart (21 MiB in 5 MiB parts -> 5 parts), storage class, meta sha256 via HEAD
mkrand "$T/mp.bin" 21
w2c --json upload "$T/mp.bin" "$B/dir/mp file+1.bin" "${E[@]}" --part-size 5M --parallel 3 --verify ||
	{ cat "$T/err"; fail "multipart upload"; }
want=$(/usr/bin/python3 - "$T/mp.bin" <<'EOF'
import hashlib, sys
d = open(sys.argv[1], 'rb').read(); ps = 5 << 20
m = [hashlib.md5(d[i:i + ps]).digest() for i in range(0, len(d), ps)]
print(hashlib.md5(b''.join(m)).hexdigest() + '-%d' % len(m))
EOF
)
[ "$(json_field etag)" = "$want" ] || fail "multipart ETag $(json_field etag) != $want"
[ "$(json_field parts)" = 5 ] || fail "expected 5 parts"
[ "$(json_field storage_class)" = STANDARD ] || fail "storage class"
swift_get "basic-$RUN_ID/dir/mp%20file%2B1.bin" "$T/mp.back"
cmp "$T/mp.bin" "$T/mp.back" || fail "multipart object differs"
ls "$T"/mp.bin.w2c-upload-*.json 2>/dev/null && fail "checkpoint left after success"
echo "ok: multipart $want"

# --- the same upload again: nothing sent
w2c --json upload "$T/mp.bin" "$B/dir/mp file+1.bin" "${E[@]}" --part-size 5M || fail "re-run"
[ "$(json_field skipped)" = True ] || fail "re-run of a finished upload sent data"
[ "$(json_field parts_sent)" = 0 ] || fail "re-run sent parts"
[ "$(count '> PUT ' "$T/err")" = 0 ] || fail "re-run issued a PUT"
echo "ok: re-run does nothing"

# --- unsupported storage class is refused by the server, clearly
if w2c upload "$T/small.bin" "$B/cold.bin" "${E[@]}" --storage-class GLACIER; then fail "GLACIER accepted?"; fi
grep -q "InvalidStorageClass" "$T/err" || fail "no InvalidStorageClass in: $(cat "$T/err")"

# --- file:// target: single and multipart, atomic (no temp files left), verified by content
mkdir -p "$T/dest"
w2c --json upload "$T/small.bin" "file://$T/dest/small.bin" --verify || { cat "$T/err"; fail "file:// single"; }
cmp "$T/small.bin" "$T/dest/small.bin" || fail "file:// single differs"
w2c --json upload "$T/mp.bin" "file://$T/dest/mp.bin" --part-size 5M --verify || { cat "$T/err"; fail "file:// multipart"; }
cmp "$T/mp.bin" "$T/dest/mp.bin" || fail "file:// multipart differs"
[ "$(json_field etag)" = "$want" ] || fail "file:// ETag"
[ "$(ls -A "$T/dest" | wc -l)" = 2 ] || fail "file:// left extra files: $(ls -A "$T/dest")"
w2c --json upload "$T/mp.bin" "file://$T/dest/mp.bin" --part-size 5M || fail "file:// re-run"
[ "$(json_field skipped)" = True ] || fail "file:// re-run sent data"
echo "ok: file:// target"

# --- wrong secret: exit 5, one error line naming key and endpoint, exactly one request
rc=0
AWS_SECRET_ACCESS_KEY=wrong-$W2C_S3_SECRET w2c upload "$T/small.bin" "$B/x.bin" "${E[@]}" || rc=$?
[ $rc = 5 ] || fail "wrong secret: exit $rc, expected 5"
[ "$(count '^win2cloud: error:' "$T/err")" = 1 ] || fail "expected one error line"
grep '^win2cloud: error:' "$T/err" | grep -q "w2c:ci" || fail "error does not name the key"
grep '^win2cloud: error:' "$T/err" | grep -qF "$W2C_S3_ENDPOINT" || fail "error does not name the endpoint"
[ "$(count '^win2cloud: debug: > HEAD ' "$T/err")" = 1 ] || fail "wrong secret was retried"
grep -q retry "$T/err" && fail "wrong secret was retried"
echo "ok: wrong secret -> $(grep '^win2cloud: error:' "$T/err")"

# --- credentials file: 0644 refused with the chmod to run, 0600 accepted; ':' in the key works
printf '[ci]\naccess_key_id = %s\nsecret_access_key = %s\n' "$W2C_S3_ACCESS_KEY" "$W2C_S3_SECRET" >"$T/creds"
chmod 644 "$T/creds"
rc=0
W2C_CREDENTIALS_FILE=$T/creds w2c upload "$T/small.bin" "$B/c.bin" "${E[@]}" --profile ci || rc=$?
[ $rc = 5 ] || fail "0644 credentials file: exit $rc"
grep -q "chmod 600 $T/creds" "$T/err" || fail "no chmod hint: $(cat "$T/err")"
chmod 600 "$T/creds"
(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
 W2C_CREDENTIALS_FILE=$T/creds w2c upload "$T/small.bin" "$B/c.bin" "${E[@]}" --profile ci) ||
	fail "0600 credentials file: $(cat "$T/err")"
echo "ok: credentials file mode check"

# --- usage errors
rc=0; w2c upload "$T/small.bin" "s3://B/k" "${E[@]}" || rc=$?; [ $rc = 2 ] || fail "bad bucket: exit $rc"
rc=0; w2c upload "$T/small.bin" "$B/k" || rc=$?; [ $rc = 2 ] || fail "s3:// without endpoint: exit $rc"
rc=0; w2c upload "$T/nope" "$B/k" "${E[@]}" || rc=$?; [ $rc = 4 ] || fail "missing file: exit $rc"
rc=0; w2c upload "$T/mp.bin" "$B/k" "${E[@]}" --part-size 1M || rc=$?; [ $rc = 2 ] || fail "1M parts: exit $rc"

check_no_secret
echo "PASS"
