#!/bin/bash
# needs-fixture: swift
# resource-lock: swift
# Resumable uploads against Swift s3api: kill -9 of a 1 GiB upload then a re-run completes with
# the right bytes; a file changed between runs restarts cleanly; --abort removes the upload.
. "$(dirname "$0")/upload_lib.sh"
E=(--endpoint "$W2C_S3_ENDPOINT")
B=s3://$W2C_S3_BUCKET/resume-$RUN_ID
MIB=${W2C_UPLOAD_TEST_MIB:-1024}

# start_and_kill FILE URL MIN_PARTS ARGS... : run in the background, kill -9 after MIN_PARTS parts
start_and_kill() {
	local file=$1 url=$2 min=$3 pid
	shift 3
	"$W2C" -vv upload "$file" "$url" "${E[@]}" "$@" >>"$ALL_OUT" 2>&1 &
	pid=$!
	wait_parts "$file" "$min" $pid
	kill -9 $pid
	wait $pid 2>/dev/null || true
	[ "$(parts_done "$file")" -ge "$min" ] || fail "no checkpoint with $min parts"
}

# --- kill -9 during a 1 GiB upload, re-run -> complete, object bytes equal the file
mkrand "$T/big.bin" "$MIB"
start_and_kill "$T/big.bin" "$B/big.bin" 12 --parallel 4
echo "killed after $(parts_done "$T/big.bin") parts"
w2c --json upload "$T/big.bin" "$B/big.bin" "${E[@]}" --parallel 4 --verify || { tail "$T/err"; fail "resume"; }
[ "$(json_field resumed)" = True ] || fail "not resumed"
sent=$(json_field parts_sent) total=$(json_field parts)
[ "$sent" -lt "$total" ] || fail "resume re-sent all $total parts"
[ "$(json_field verified)" = True ] || fail "not verified"
swift_get "resume-$RUN_ID/big.bin" "$T/big.back"
[ "$(sha256sum <"$T/big.back")" = "$(sha256sum <"$T/big.bin")" ] || fail "object SHA-256 differs"
[ "$(md5sum <"$T/big.back")" = "$(md5sum <"$T/big.bin")" ] || fail "object MD5 differs"
rm -f "$T/big.back"
ls "$T"/big.bin.w2c-upload-*.json 2>/dev/null && fail "checkpoint left"
echo "ok: kill -9 then resume: $sent of $total parts sent on re-run, object identical"

# --- a file changed after the kill: detected, old upload aborted, clean restart
mkrand "$T/chg.bin" 120
start_and_kill "$T/chg.bin" "$B/chg.bin" 3 --parallel 1 --part-size 5M
printf 'X' | dd of="$T/chg.bin" bs=1 seek=12345678 conv=notrunc status=none
w2c --json upload "$T/chg.bin" "$B/chg.bin" "${E[@]}" --part-size 5M --verify || { tail "$T/err"; fail "restart"; }
grep -q "changed since the interrupted upload" "$T/err" || fail "change not reported"
[ "$(json_field resumed)" = False ] || fail "resumed a changed file"
swift_get "resume-$RUN_ID/chg.bin" "$T/chg.back"
cmp "$T/chg.bin" "$T/chg.back" || fail "changed file: object differs"
echo "ok: changed file restarts"

# --- --abort: the upload and its checkpoint are gone
mkrand "$T/ab.bin" 120
start_and_kill "$T/ab.bin" "$B/ab.bin" 3 --parallel 1 --part-size 5M
id=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['upload_id'])" "$T"/ab.bin.w2c-upload-*.json)
w2c --json upload "$T/ab.bin" "$B/ab.bin" "${E[@]}" --abort || fail "abort: $(cat "$T/err")"
ls "$T"/ab.bin.w2c-upload-*.json 2>/dev/null && fail "checkpoint left after --abort"
if /usr/bin/aws --endpoint-url "$W2C_S3_ENDPOINT" --region us-east-1 s3api list-parts \
	--bucket "$W2C_S3_BUCKET" --key "resume-$RUN_ID/ab.bin" --upload-id "$id" >/dev/null 2>"$T/aws.err"; then
	fail "upload $id still exists after --abort"
fi
grep -q NoSuchUpload "$T/aws.err" || fail "list-parts: $(cat "$T/aws.err")"
rc=0; w2c upload "$T/ab.bin" "$B/ab.bin" "${E[@]}" --abort || rc=$?
[ $rc = 4 ] || fail "second --abort: exit $rc"
echo "ok: --abort"

check_no_secret
echo "PASS"
