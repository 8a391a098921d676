#!/bin/bash
# needs-fixture: swift
# resource-lock: swift
# A claimed SHA-256 (FILE.sha256 as build/inject write it, or --sha256) against Swift s3api: a
# multipart upload gets x-amz-meta-sha256 at creation and still reads the file once (pread bytes
# counted with strace); a wrong claim aborts before completion (exit 3, no object, no upload
# left); a sidecar older than its file is not used; kill -9 then a re-run checks the claim kept
# in the checkpoint.
. "$(dirname "$0")/upload_lib.sh"
E=(--endpoint "$W2C_S3_ENDPOINT")
K=claim-$RUN_ID
B=s3://$W2C_S3_BUCKET/$K
s3api() { /usr/bin/aws --endpoint-url "$W2C_S3_ENDPOINT" --region us-east-1 s3api "$@"; }
absent() { # KEY : no object and no multipart upload under KEY
	s3api head-object --bucket "$W2C_S3_BUCKET" --key "$1" >/dev/null 2>&1 && fail "$1 exists"
	local ups
	ups=$(s3api list-multipart-uploads --bucket "$W2C_S3_BUCKET" --prefix "$1" \
		--query 'Uploads[].UploadId' --output text)
	[ "$ups" = None ] || [ -z "$ups" ] || fail "$1: multipart upload(s) left: $ups"
}
sidecar() { # FILE [HEX] : FILE.sha256 as build writes it (sha256sum format, the base name)
	local hex=${2:-$(sha256sum <"$1" | cut -c1-64)}
	printf '%s  %s\n' "$hex" "$(basename "$1")" >"$1.sha256"
}

# --- a right sidecar: one read, metadata at creation, no hashing pass, verified
mkrand "$T/a.bin" 41
SIZE=$((41 << 20))
sidecar "$T/a.bin"
if strace -f -qq -e trace=pread64 -o "$T/st.txt" true 2>/dev/null; then
	traced "$W2C" --json upload "$T/a.bin" "$B/a.bin" "${E[@]}" --part-size 5M --parallel 3 \
		--verify >"$T/out" 2>"$T/err" || { cat "$T/err"; fail "upload with a right sidecar"; }
	read_b=$(pread_bytes "$T/st.txt")
	# the sending workers once, the MD5 thread once just ahead of them, the 3 MiB identity
	# sample; a hashing pass before the upload would add a third read
	[ "$read_b" -ge $((2 * SIZE)) ] && [ "$read_b" -lt $((2 * SIZE + (4 << 20))) ] ||
		fail "read $read_b bytes of a $SIZE-byte file"
	echo "ok: claimed: $read_b bytes read for $SIZE"
else
	echo "note: strace cannot trace here; read count not checked"
	w2c --json upload "$T/a.bin" "$B/a.bin" "${E[@]}" --part-size 5M --parallel 3 --verify ||
		{ cat "$T/err"; fail "upload with a right sidecar"; }
fi
cat "$T/out" "$T/err" >>"$ALL_OUT"
grep -q '"stage":"hash"' "$T/err" && fail "hashed first despite the claim"
[ "$(json_field sha256_claim)" = "$T/a.bin.sha256" ] || fail "claim source $(json_field sha256_claim)"
[ "$(json_field verified)" = True ] || fail "not verified"
[ "$(json_field etag)" = "$(md5_of_parts "$T/a.bin" 5)" ] || fail "ETag $(json_field etag)"
check_object "$T/a.bin" "$K/a.bin"
echo "ok: right sidecar: metadata at creation, one read"

# --- the disk sees one read: with the file out of the page cache, the blocks the upload fetches
# from storage (getrusage inblock) add up to the file once, the MD5 thread's read being the one
# that fetches and the workers' read of the same bytes hitting the cache
sync "$T/a.bin" # dirty pages cannot be dropped
dd if="$T/a.bin" iflag=nocache count=0 status=none
/usr/bin/time -f %I -o "$T/inblock" "$W2C" -q upload "$T/a.bin" "$B/a2.bin" "${E[@]}" --part-size 5M \
	--parallel 3 >/dev/null 2>"$T/err" || { cat "$T/err"; fail "upload from a cold cache"; }
in_b=$(($(tail -1 "$T/inblock") * 512))
if [ "$in_b" -lt $((SIZE / 2)) ]; then
	echo "note: $in_b bytes fetched from storage: the cache could not be dropped here; not checked"
else
	[ "$in_b" -lt $((SIZE + (8 << 20))) ] || fail "cold cache: $in_b bytes fetched for a $SIZE-byte file"
	echo "ok: cold cache: $in_b bytes fetched from storage for $SIZE"
fi

# --- a wrong sidecar (newer than the file): exit 3 naming it, upload aborted, nothing created
mkrand "$T/b.bin" 23
sidecar "$T/b.bin" "$(sha256sum <"$T/a.bin" | cut -c1-64)"
rc=0
w2c upload "$T/b.bin" "$B/b.bin" "${E[@]}" --part-size 5M || rc=$?
[ $rc = 3 ] || { cat "$T/err"; fail "wrong sidecar: exit $rc, expected 3"; }
grep -q "$T/b.bin: its bytes have SHA-256 $(sha256sum <"$T/b.bin" | cut -c1-64), but $T/b.bin.sha256 says" \
	"$T/err" || fail "wrong sidecar: unclear error: $(cat "$T/err")"
grep -q "the upload was aborted, nothing was created" "$T/err" || fail "wrong sidecar: $(cat "$T/err")"
absent "$K/b.bin"
ls "$T"/b.bin.w2c-upload-*.json 2>/dev/null && fail "checkpoint left after a wrong claim"
echo "ok: wrong sidecar: $(grep -o 'error.*' "$T/err" | cut -c1-100)..."

# --- --sha256: wrong on a one-part file refused before the PUT; bad syntax is a usage error;
# right with --no-sidecar (the wrong sidecar beside it is ignored) uploads
mkrand "$T/s.bin" 1
sidecar "$T/s.bin" "$(sha256sum <"$T/a.bin" | cut -c1-64)"
rc=0
w2c upload "$T/s.bin" "$B/s.bin" "${E[@]}" --no-sidecar --sha256 "$(printf '0%.0s' {1..64})" || rc=$?
[ $rc = 3 ] && grep -q "but --sha256 says 0000" "$T/err" && grep -q "nothing was sent" "$T/err" ||
	{ cat "$T/err"; fail "wrong --sha256: exit $rc"; }
[ "$(count '> PUT ' "$T/err")" = 0 ] || fail "wrong --sha256: a PUT was sent"
absent "$K/s.bin"
rc=0
w2c upload "$T/s.bin" "$B/s.bin" "${E[@]}" --sha256 xyz || rc=$?
[ $rc = 2 ] && grep -q -- "--sha256 'xyz': expected 64 hex digits" "$T/err" || fail "bad --sha256: exit $rc"
w2c --json upload "$T/s.bin" "$B/s.bin" "${E[@]}" --no-sidecar --verify \
	--sha256 "$(sha256sum <"$T/s.bin" | cut -c1-64 | tr a-f A-F)" || { cat "$T/err"; fail "right --sha256"; }
[ "$(json_field sha256_claim)" = --sha256 ] || fail "--sha256 not used"
check_object "$T/s.bin" "$K/s.bin"
echo "ok: --sha256 checked; --no-sidecar"

# --- a sidecar older than its file is not used: hashing pass first, upload right
mkrand "$T/o.bin" 12
sidecar "$T/o.bin" "$(sha256sum <"$T/a.bin" | cut -c1-64)"
touch -d '1 hour ago' "$T/o.bin.sha256"
w2c --json upload "$T/o.bin" "$B/o.bin" "${E[@]}" --part-size 5M --verify || { cat "$T/err"; fail "stale sidecar"; }
grep -q "$T/o.bin.sha256: older than $T/o.bin, not used" "$T/err" || fail "stale sidecar not reported"
grep -q '"stage":"hash"' "$T/err" || fail "stale sidecar: no hashing pass"
check_object "$T/o.bin" "$K/o.bin"
echo "ok: stale sidecar ignored"

# --- kill -9 of a claimed upload; the re-run checks the checkpoint's claim (not a new sidecar)
mkrand "$T/r.bin" 120
sidecar "$T/r.bin"
bg_upload "$T/r.bin" "$B/r.bin" 5 --part-size 5M --parallel 2
kill -9 $BG
bg_wait || true
grep -q '"sha256_meta": "claimed"' "$T"/r.bin.w2c-upload-*.json || fail "checkpoint lacks the claim"
sidecar "$T/r.bin" "$(printf 'f%.0s' {1..64})" # a later sidecar cannot change the upload's metadata
w2c --json upload "$T/r.bin" "$B/r.bin" "${E[@]}" --verify || { tail "$T/err"; fail "resume"; }
[ "$(json_field resumed)" = True ] || fail "not resumed"
[ "$(json_field parts_sent)" -lt "$(json_field parts)" ] || fail "resume re-sent every part"
case "$(json_field sha256_claim)" in *"claimed when upload"*) ;; *) fail "resume claim: $(json_field sha256_claim)" ;; esac
check_object "$T/r.bin" "$K/r.bin"
echo "ok: kill -9 then resume: $(json_field parts_sent) of $(json_field parts) parts sent, claim checked"

check_no_secret
echo "PASS"
