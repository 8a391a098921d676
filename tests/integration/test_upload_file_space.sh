#!/bin/bash
# upload to file:// on a full disk (issue 15, item 11).  Without mounts, two real ways in:
# free space is checked before any byte is read or written (a sparse 15 TiB source is far more
# than this disk holds: refused at once, exit 1, both numbers named, nothing in the target); and
# a write that fails midway (EFBIG from `ulimit -f` with SIGXFSZ ignored, what a full disk's
# ENOSPC is to the writer) removes the upload's own .part/.parts, says how to resume, and the
# next upload succeeds instead of tripping over a stale part.
set -euo pipefail
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir "$T/dest"
truncate -s 15T "$T/huge.bin" 2>/dev/null || { echo "SKIP: this file system cannot hold a sparse 15 TiB file"; exit 77; }
rc=0; t0=$(date +%s)
"$W2C" upload "$T/huge.bin" "file://$T/dest/huge.bin" >"$T/out" 2>&1 || rc=$?
[ $rc = 1 ] || fail "15 TiB upload: exit $rc, expected 1: $(cat "$T/out")"
grep -q "MiB free in $T/dest, the upload needs 15728640 MiB more; nothing was written" "$T/out" ||
	fail "no free-space message: $(cat "$T/out")"
[ $(( $(date +%s) - t0 )) -lt 10 ] || fail "the space check came after reading the source"
[ -z "$(ls -A "$T/dest")" ] || fail "target directory not empty: $(ls -A "$T/dest")"
rm -f "$T/huge.bin" "$T"/huge.bin.w2c-upload-*
echo "ok 1 - free space checked first"

head -c 30M /dev/urandom > "$T/a.bin"
for ps in 5M ""; do # multipart staging file, and the O_TMPFILE of a single PUT
	args=(); [ -n "$ps" ] && args=(--part-size "$ps")
	[ -z "$ps" ] && head -c 6M "$T/a.bin" > "$T/s.bin"
	src=$T/a.bin; [ -z "$ps" ] && src=$T/s.bin
	rc=0; (trap '' XFSZ; ulimit -f 4096; "$W2C" upload "$src" "file://$T/dest/x.bin" "${args[@]}") >"$T/out" 2>&1 || rc=$?
	[ $rc = 1 ] || fail "EFBIG (${ps:-single}): exit $rc, expected 1: $(cat "$T/out")"
	grep -q "File too large while writing the upload" "$T/out" || fail "EFBIG message: $(cat "$T/out")"
	grep -q "run the same command again" "$T/out" || fail "no resume advice: $(cat "$T/out")"
	grep -q "short write" "$T/out" && fail "'short write' instead of the reason: $(cat "$T/out")"
	[ -z "$(ls -A "$T/dest")" ] || fail "EFBIG (${ps:-single}) left $(ls -A "$T/dest")"
	"$W2C" upload "$src" "file://$T/dest/x.bin" "${args[@]}" --verify >"$T/out" 2>&1 ||
		fail "upload after the failed one (${ps:-single}): $(cat "$T/out")"
	cmp "$src" "$T/dest/x.bin" || fail "uploaded copy differs"
	[ "$(ls -A "$T/dest")" = x.bin ] || fail "left behind: $(ls -A "$T/dest")"
	rm -f "$T/dest/x.bin"
done
echo "ok 2 - a failed write cleans up its part; the next upload succeeds"
