#!/bin/bash
# needs-fixture: swift
# resource-lock: swift
# The single-read upload against Swift s3api: with --sha256-meta after the file is read once
# (pread bytes counted with strace) and x-amz-meta-sha256 is set after completion; auto hashes
# first for a multipart upload (no server-side copy); kill -9 mid-upload then a re-run ends with the right bytes and metadata; a file
# that shrinks or changes while it is uploaded gives a clean error naming it, in both modes.
. "$(dirname "$0")/upload_lib.sh"
E=(--endpoint "$W2C_S3_ENDPOINT")
K=single-$RUN_ID
B=s3://$W2C_S3_BUCKET/$K
# --- single read, metadata after completion: one read, right metadata, right ETag
mkrand "$T/a.bin" 41
SIZE=$((41 << 20))
if strace -f -qq -e trace=pread64 -o "$T/st.txt" true 2>/dev/null; then
	traced "$W2C" --json upload "$T/a.bin" "$B/a.bin" "${E[@]}" \
		--part-size 5M --parallel 3 --sha256-meta after --verify >"$T/out" 2>"$T/err" ||
		{ cat "$T/err"; fail "single-read upload"; }
	read_b=$(pread_bytes "$T/st.txt")
	# the workers once, the MD5 thread once just ahead of them (from the page cache, see
	# test_upload_claim.sh), the 3 MiB identity sample; a hashing pass would add a third read
	[ "$read_b" -ge $((2 * SIZE)) ] && [ "$read_b" -lt $((2 * SIZE + (4 << 20))) ] ||
		fail "read $read_b bytes of a $SIZE-byte file"
	echo "ok: single read: $read_b bytes read for $SIZE"
else
	echo "note: strace cannot trace here; read count not checked"
	w2c --json upload "$T/a.bin" "$B/a.bin" "${E[@]}" --part-size 5M --parallel 3 --sha256-meta after \
		--verify || { cat "$T/err"; fail "single-read upload"; }
fi
[ "$(json_field verified)" = True ] || fail "not verified"
[ "$(json_field etag)" = "$(md5_of_parts "$T/a.bin" 5)" ] || fail "ETag $(json_field etag)"
[ "$(json_field sha256)" = "$(sha256sum <"$T/a.bin" | cut -c1-64)" ] || fail "sha256 in result"
check_object "$T/a.bin" "$K/a.bin"
echo "ok: metadata set after completion"

# --- signed payloads (each part's SHA-256 in the signature; Swift checks it) in both modes: the
# single read hashes each part from its buffer, the hashing pass eight parts at a time
for m in after first; do
	w2c --json upload "$T/a.bin" "$B/signed-$m.bin" "${E[@]}" --part-size 5M --sign-payload \
		--sha256-meta $m --verify || { cat "$T/err"; fail "signed payload, $m"; }
	[ "$(json_field verified)" = True ] || fail "signed payload, $m: not verified"
	check_object "$T/a.bin" "$K/signed-$m.bin"
done
echo "ok: signed payloads"

# --- the re-run finds the identical object and sends nothing
w2c --json upload "$T/a.bin" "$B/a.bin" "${E[@]}" --part-size 5M --sha256-meta after || fail "re-run"
[ "$(json_field skipped)" = True ] || fail "re-run sent data"
[ "$(count '> PUT ' "$T/err")" = 0 ] || fail "re-run issued a PUT"
echo "ok: re-run does nothing"

# --- auto hashes first for multipart S3 (setting metadata afterwards copies the object)
if strace -f -qq -e trace=pread64 -o "$T/st.txt" true 2>/dev/null; then
	traced "$W2C" -v --json upload "$T/a.bin" "$B/auto.bin" \
		"${E[@]}" --part-size 5M --verify >"$T/out" 2>"$T/err" || { cat "$T/err"; fail "auto upload"; }
	read_b=$(pread_bytes "$T/st.txt")
	[ "$read_b" -ge $((3 * SIZE)) ] || fail "auto read only $read_b bytes" # the pass: 2, the parts: 1
	grep -q "hashing first, so that the SHA-256 metadata is set at creation" "$T/err" ||
		fail "auto did not say why it hashes first"
	check_object "$T/a.bin" "$K/auto.bin"
	echo "ok: auto hashes first ($read_b bytes read)"
fi

# --- kill -9 of a single-read upload, re-run: resumed, only missing parts sent, metadata right
mkrand "$T/r.bin" 120
bg_upload "$T/r.bin" "$B/r.bin" 5 --part-size 5M --parallel 2 --sha256-meta after
kill -9 $BG
bg_wait || true
grep -q '"sha256_meta": "after"' "$T"/r.bin.w2c-upload-*.json || fail "checkpoint lacks sha256_meta"
w2c --json upload "$T/r.bin" "$B/r.bin" "${E[@]}" --verify || { tail "$T/err"; fail "resume"; }
[ "$(json_field resumed)" = True ] || fail "not resumed"
[ "$(json_field parts_sent)" -lt "$(json_field parts)" ] || fail "resume re-sent every part"
[ "$(json_field verified)" = True ] || fail "resume not verified"
[ "$(json_field etag)" = "$(md5_of_parts "$T/r.bin" 5)" ] || fail "resumed ETag"
check_object "$T/r.bin" "$K/r.bin"
ls "$T"/r.bin.w2c-upload-*.json 2>/dev/null && fail "checkpoint left"
echo "ok: kill -9 then resume: $(json_field parts_sent) of $(json_field parts) parts sent"

# --- Ctrl-C (SIGINT) of a single-read upload: exit 6, checkpoint kept, the re-run resumes
mkrand "$T/i.bin" 60
rc=0
bg_upload "$T/i.bin" "$B/i.bin" 3 --part-size 5M --parallel 2 --sha256-meta after
kill -INT $BG
bg_wait || rc=$?
[ $rc = 6 ] || { cat "$T/bg.err"; fail "SIGINT: exit $rc, expected 6"; }
grep -q "run the same command again to resume" "$T/bg.err" || fail "SIGINT: $(cat "$T/bg.err")"
w2c --json upload "$T/i.bin" "$B/i.bin" "${E[@]}" --verify || { tail "$T/err"; fail "resume after SIGINT"; }
[ "$(json_field resumed)" = True ] || fail "not resumed after SIGINT"
check_object "$T/i.bin" "$K/i.bin"
echo "ok: SIGINT then resume"

# shrink_during MODE : the file loses its tail while parts are being sent -> exit 4, clear error
shrink_during() {
	local rc=0
	mkrand "$T/s.bin" 200
	bg_upload "$T/s.bin" "$B/s-$1.bin" 3 --part-size 5M --parallel 1 --sha256-meta "$1"
	truncate -s 50M "$T/s.bin"
	bg_wait || rc=$?
	[ $rc = 4 ] || { cat "$T/bg.err"; fail "$1: shrinking file gave exit $rc, expected 4"; }
	grep -q "$T/s.bin: the file shrank while it was uploaded: expected 209715200 bytes, found 52428800" \
		"$T/bg.err" || fail "$1: unclear error: $(cat "$T/bg.err")"
	echo "ok: $1: $(grep error "$T/bg.err")"
	w2c upload "$T/s.bin" "$B/s-$1.bin" "${E[@]}" --abort || fail "abort after shrink"
}
shrink_during after
shrink_during first

# --- a byte changed (same size) while uploading: refused (single read: before completion; after a
# hashing pass: before the next part), re-run restarts
for m in after first; do
	mkrand "$T/c.bin" 100
	rc=0
	bg_upload "$T/c.bin" "$B/c-$m.bin" 3 --part-size 5M --parallel 1 --sha256-meta $m
	printf 'X' | dd of="$T/c.bin" bs=1 seek=1000 conv=notrunc status=none
	bg_wait || rc=$?
	[ $rc = 4 ] || { cat "$T/bg.err"; fail "$m: changed file: exit $rc, expected 4"; }
	grep -q "$T/c.bin: the file changed while it was uploaded" "$T/bg.err" ||
		fail "$m: unclear: $(cat "$T/bg.err")"
	w2c --json upload "$T/c.bin" "$B/c-$m.bin" "${E[@]}" --verify || { tail "$T/err"; fail "$m: re-run"; }
	grep -q "changed since the interrupted upload" "$T/err" || fail "$m: change not detected on re-run"
	check_object "$T/c.bin" "$K/c-$m.bin"
	echo "ok: $m: changed file refused, re-run restarts"
done

check_no_secret
echo "PASS"
