#!/bin/bash
# needs-fixture: winiso
# lint --for ISO against the Windows-like fixture (4 amd64 editions) and a copy
# of it with $WinPEDriver$: edition, architecture and driver paths on the media.
set -uo pipefail
: "${W2C:?}"
# Defaults for when ctest does not pass the whole environment.
W2C_FIXTURES=${W2C_FIXTURES:-$(dirname "$W2C")/fixtures}
iso=$W2C_FIXTURES/win/win.iso tree=$W2C_FIXTURES/win/tree
[ -f "$iso" ] || { echo "SKIP: fixture ISO $iso missing"; exit 77; }
command -v genisoimage >/dev/null || { echo "SKIP: genisoimage not installed"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
pw='Kx7!mQ2-vLp9'
printf '%s\n' "$pw" > "$work/pw"; chmod 600 "$work/pw"

for ed in 1 2 3 4 "Windows Server 2019 SERVERDATACENTER" "Windows 11 Pro"; do
	for fw in bios uefi; do
		"$W2C" -q unattend new --edition "$ed" --firmware $fw --admin-password-file "$work/pw" --rdp -o "$work/g.xml" ||
			bad "new --edition $ed --firmware $fw"
		"$W2C" unattend lint --for "$iso" --firmware $fw --cloud huawei "$work/g.xml" > "$work/out" ||
			bad "edition $ed/$fw fails lint --for: $(cat "$work/out")"
	done
done
"$W2C" -q unattend new --edition 9 -o "$work/g.xml"
"$W2C" unattend lint --for "$iso" "$work/g.xml" > "$work/out"; rc=$?
[ $rc = 3 ] && grep -q 'image.not-found' "$work/out" || bad "index 9 not flagged (exit $rc)"
"$W2C" -q unattend new --edition "Windows 12 Pro" -o "$work/g.xml"
"$W2C" unattend lint --for "$iso" "$work/g.xml" > "$work/out"; rc=$?
[ $rc = 3 ] && grep -q "image.not-found" "$work/out" || bad "unknown name not flagged"
"$W2C" -q unattend new --edition 2 --arch x86 -o "$work/g.xml"
"$W2C" unattend lint --for "$iso" "$work/g.xml" > "$work/out"; rc=$?
[ $rc = 3 ] && grep -q 'component.arch-mismatch' "$work/out" || bad "x86 answer file for amd64 media not flagged"
"$W2C" unattend lint "$work/g.xml" > /dev/null || bad "x86 file without --for should pass"

# DriverPaths: absent on the fixture, present on a copy with $WinPEDriver$.
"$W2C" -q unattend new --edition 2 --driver-paths -o "$work/d.xml"
"$W2C" --json unattend lint --for "$iso" "$work/d.xml" > "$work/out"
grep -q 'driverpath.missing' "$work/out" || bad "missing \$WinPEDriver\$ not reported"
cp -r "$tree" "$work/tree"
mkdir -p "$work/tree/\$WinPEDriver\$/viostor"
printf '[Version]\r\nSignature="$WINDOWS NT$"\r\n' > "$work/tree/\$WinPEDriver\$/viostor/viostor.inf"
genisoimage -quiet -o "$work/drv.iso" -iso-level 3 -J -joliet-long -l -D -N -relaxed-filenames \
	-allow-lowercase -udf "$work/tree" 2>/dev/null || bad "genisoimage failed"
"$W2C" --json unattend lint --for "$work/drv.iso" "$work/d.xml" > "$work/out"
grep -q 'driverpath.missing' "$work/out" && bad "\$WinPEDriver\$ on the media still reported missing"
"$W2C" unattend lint --for "$work/nope.iso" "$work/d.xml" 2>/dev/null; rc=$?
[ $rc = 4 ] || bad "missing ISO: exit $rc, want 4"
[ $fail = 0 ] && echo "ok: lint --for on the fixture media"
exit $fail
