#!/bin/bash
# needs-fixture: winiso
# Outputs are all-or-nothing (issue 15, items 10, 12, 13): build and inject commit the image
# with its sidecars (OUT.iso.sha256, OUT.iso.drivers.json) together; a failure at any point
# (a sidecar that cannot be replaced, EFBIG from `ulimit -f` standing in for a full disk: no
# mounts here) leaves the previous outputs byte for byte; bad -o/--add/--volume-id are usage
# errors (exit 2) found before any work; an ISO holding the Administrator password is 0600.
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
work=$(mktemp -d); trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sums() { (cd "$work" && sha256sum out.iso* 2>/dev/null | sort); }
no_temps() { ! ls -a "$work" | grep -E '\.part$|w2c-old' || fail "temporary files left: $(ls -a "$work")"; }
echo one > "$work/one.txt"; echo two > "$work/two.txt"

"$W2C" -q build "$iso" -o "$work/out.iso" --add /extra.txt="$work/one.txt"
before=$(sums)

# --- item 10: a sidecar that cannot be replaced: nothing is replaced, not even the image
mv "$work/out.iso.sha256" "$work/keep.sha256"; mkdir "$work/out.iso.sha256"
rc=0; "$W2C" build "$iso" -o "$work/out.iso" --add /extra.txt="$work/two.txt" >"$work/log" 2>&1 || rc=$?
[ $rc = 2 ] || fail "sidecar is a directory: exit $rc, expected 2: $(cat "$work/log")"
grep -q "out.iso.sha256.*is a directory" "$work/log" || fail "message does not name the sidecar: $(cat "$work/log")"
rmdir "$work/out.iso.sha256"; mv "$work/keep.sha256" "$work/out.iso.sha256"
[ "$(sums)" = "$before" ] || fail "the image was replaced although its sidecar was not"

# --- item 10: EFBIG while writing (a full disk as far as the writer can tell)
rc=0; (trap '' XFSZ; ulimit -f 2048; "$W2C" build "$iso" -o "$work/out.iso" --add /extra.txt="$work/two.txt") \
	>"$work/log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "EFBIG: exit $rc, expected 1: $(cat "$work/log")"
grep -qi "too large\|write" "$work/log" || fail "EFBIG: no write error named: $(cat "$work/log")"
[ "$(sums)" = "$before" ] || fail "EFBIG left changed outputs"
no_temps

# a good re-run replaces both together
"$W2C" -q build "$iso" -o "$work/out.iso" --add /extra.txt="$work/two.txt"
(cd "$work" && sha256sum -c out.iso.sha256 >/dev/null) || fail "new sidecar does not match new image"
[ "$(sums)" != "$before" ] || fail "re-run did not replace the outputs"
no_temps

# --- item 12: usage errors before any work (exit 2, and quickly: nothing is read)
usage() { # usage WHAT PATTERN ARGS...
	local what=$1 pat=$2 rc=0 t0 t1; shift 2
	t0=$(date +%s%N); "$W2C" "$@" >"$work/log" 2>&1 || rc=$?; t1=$(date +%s%N)
	[ $rc = 2 ] || fail "$what: exit $rc, expected 2: $(cat "$work/log")"
	grep -q -- "$pat" "$work/log" || fail "$what: message lacks '$pat': $(cat "$work/log")"
	[ $(( (t1 - t0) / 1000000 )) -lt 3000 ] || fail "$what: took $(( (t1 - t0) / 1000000 )) ms, not refused up front"
}
before=$(sums)
usage "-o ''" "empty file name" build "$iso" -o ''
usage "-o DIR" "is a directory" build "$iso" -o "$work"
usage "-o DIR/" "ends in '/'" build "$iso" -o "$work/new/"
usage "-o in a missing directory" "does not exist" build "$iso" -o "$work/nodir/x.iso"
chmod 444 "$work/out.iso"
usage "read-only -o" "read-only (mode 0444)" build "$iso" -o "$work/out.iso"
chmod 644 "$work/out.iso"
usage "--add /sources=F" "is a directory on the medium" build "$iso" -o "$work/n.iso" --add /sources="$work/one.txt"
usage "--add /../x=F" "'..'" build "$iso" -o "$work/n.iso" --add /../x="$work/one.txt"
usage "--add /x=MISSING" "No such file" build "$iso" -o "$work/n.iso" --add /x="$work/missing"
usage "--volume-id ''" "empty" build "$iso" -o "$work/n.iso" --volume-id ''
[ "$(sums)" = "$before" ] || fail "a refused run changed the outputs"
[ ! -e "$work/n.iso" ] || fail "a refused run wrote n.iso"

# --- inject: the manifest sidecar is committed with the image; 0600 with a password
command -v 7z >/dev/null || { echo "SKIP: 7z missing for the inject part"; exit 77; }
bash "$W2C_SRC/tests/fixtures/mkvirtio.sh" "$work/vw" >/dev/null
"$W2C" -q inject "$iso" --drivers "$work/vw" -o "$work/inj.iso" --edition 2
[ "$(stat -c %a "$work/inj.iso")" = 644 ] || fail "inject without a password: mode $(stat -c %a "$work/inj.iso")"
isum=$(cd "$work" && sha256sum inj.iso*)
mv "$work/inj.iso.drivers.json" "$work/keep.json"; mkdir "$work/inj.iso.drivers.json"
rc=0; "$W2C" inject "$iso" --drivers "$work/vw" -o "$work/inj.iso" --edition 3 >"$work/log" 2>&1 || rc=$?
[ $rc = 2 ] || fail "inject with the manifest path a directory: exit $rc: $(cat "$work/log")"
rmdir "$work/inj.iso.drivers.json"; mv "$work/keep.json" "$work/inj.iso.drivers.json"
[ "$(cd "$work" && sha256sum inj.iso*)" = "$isum" ] || fail "inject replaced the image beside the old manifest"
usage "inject -o DIR" "is a directory" inject "$iso" --drivers "$work/vw" -o "$work"

pw='Cl0ud-Sidecar!42'
printf '%s\n' "$pw" > "$work/pw"; chmod 600 "$work/pw"
"$W2C" inject "$iso" --drivers "$work/vw" -o "$work/pw.iso" --unattend generate --edition 2 \
	--admin-password-file "$work/pw" >"$work/log" 2>&1 || fail "inject --unattend: $(cat "$work/log")"
[ "$(stat -c %a "$work/pw.iso")" = 600 ] || fail "ISO with the password: mode $(stat -c %a "$work/pw.iso"), expected 600"
grep -q "mode 0600" "$work/log" || fail "inject did not say the ISO is written 0600: $(cat "$work/log")"
! grep -q "$pw" "$work/log" || fail "password in the output"
(cd "$work" && sha256sum -c pw.iso.sha256 >/dev/null) || fail "pw.iso.sha256"
no_temps
echo "ok: outputs all-or-nothing, usage errors up front, password ISO 0600"
