#!/bin/bash
# needs-fixture: winiso
# inject --unattend generate|FILE on the fixture ISO: the answer file lands at the media root with
# DriverPaths to the $WinPEDriver$ folders inject placed, `unattend lint --for OUT.iso` has no
# error and no missing driver path or image, `check OUT.iso` passes, a merged corpus file equals
# what `unattend merge` writes, an existing answer file is replaced with a notice, the password
# never shows, and bad answer files write nothing.
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
for t in 7z python3; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
# a real third-party answer file (MIT, shipped in tests/data: see its MANIFEST.md)
corpus=${W2C_DATA:-$W2C_SRC/tests/data}/unattend/StefanScherer-packer-windows/2022/Autounattend.xml
[ -f "$corpus" ] || { echo "FAIL: answer file $corpus missing (tests/data of the repository)"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
bash "$W2C_SRC/tests/fixtures/mkvirtio.sh" "$work/vw" >/dev/null
pw='Cl0ud-Inject!42'
printf '%s\n' "$pw" > "$work/pw"; chmod 600 "$work/pw"
all=$work/all-output
extract() { rm -rf "$work/x"; 7z x -y -o"$work/x" "$1" autounattend.xml >/dev/null; echo "$work/x/autounattend.xml"; }
# lint_clean OUT.iso: no error, no missing $WinPEDriver$ path, no image finding
lint_clean() {
	local xml; xml=$(extract "$1")
	"$W2C" --json unattend lint "$xml" --for "$1" > "$work/lint.json" || fail "lint --for $1: $(cat "$work/lint.json")"
	python3 - "$work/lint.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["errors"] == 0, d
bad = [f for f in d["findings"] if f["rule"].startswith("image") or
       (f["rule"] == "driverpath.missing" and "$WinPEDriver$" in f["message"])]
assert not bad, bad
PY
	cat "$work/lint.json" >> "$all"
}

# --- generate: DriverPaths to what was placed, image 2, password obfuscated
"$W2C" inject "$iso" --drivers "$work/vw" -o "$work/gen.iso" --unattend generate --edition 2 \
	--admin-password-file "$work/pw" --rdp >"$work/out" 2>&1 || { cat "$work/out"; fail "inject --unattend generate"; }
cat "$work/out" >> "$all"
xml=$(extract "$work/gen.iso")
python3 - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"u": "urn:schemas-microsoft-com:unattend"}
r = ET.parse(sys.argv[1]).getroot()
def comp(p, name):
    return r.find(f"u:settings[@pass='{p}']/u:component[@name='{name}']", ns)
pe = comp("windowsPE", "Microsoft-Windows-PnpCustomizationsWinPE")
paths = [e.text for e in pe.findall(".//u:Path", ns)]
assert paths and all(p.endswith(r":\$WinPEDriver$") for p in paths), paths
assert not any(p.startswith("X:") for p in paths), "X: is the WinPE RAM disk"
assert comp("offlineServicing", "Microsoft-Windows-PnpCustomizationsNonWinPE") is not None
md = comp("windowsPE", "Microsoft-Windows-Setup").find(".//u:MetaData", ns)
assert md.find("u:Key", ns).text == "/IMAGE/INDEX" and md.find("u:Value", ns).text == "2"
pw = comp("oobeSystem", "Microsoft-Windows-Shell-Setup").find(".//u:AdministratorPassword", ns)
assert pw.find("u:PlainText", ns).text == "false"
PY
# grep -q quits at the first match; under pipefail 7z's SIGPIPE would then fail the test
7z l "$work/gen.iso" >"$work/gen.list"
grep -q 'WinPEDriver\$/viostor/2k22_amd64/viostor.inf' "$work/gen.list" || fail "drivers not placed"
lint_clean "$work/gen.iso"
"$W2C" --json check --no-deep "$work/gen.iso" > "$work/check.json" || fail "check gen.iso: $(cat "$work/check.json")"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert any(f['rule']=='iso.autounattend' and f['status']=='pass' for f in d['findings']), d" "$work/check.json"
echo "ok: --unattend generate: lint --for clean, check passes"

# --- a user's file: merged exactly as `unattend merge` does, with our DriverPaths
"$W2C" inject "$iso" --drivers "$work/vw" -o "$work/merge.iso" --unattend "$corpus" --edition 3 \
	--admin-password-file "$work/pw" >"$work/out" 2>&1 || { cat "$work/out"; fail "inject --unattend FILE"; }
cat "$work/out" >> "$all"
"$W2C" unattend merge "$corpus" -o "$work/want.xml" --driver-paths --edition 3 --admin-password-file "$work/pw" 2>>"$all"
cmp "$(extract "$work/merge.iso")" "$work/want.xml" || fail "merged answer file differs from unattend merge"
grep -q 'WinPEDriver' "$work/want.xml" || fail "no DriverPaths merged"
lint_clean "$work/merge.iso"
"$W2C" check --no-deep "$work/merge.iso" >> "$all" || fail "check merge.iso"
echo "ok: --unattend FILE merged, lint --for clean, check passes"

# --- an answer file already on the medium is replaced, with a notice
"$W2C" inject "$work/gen.iso" --drivers "$work/vw" -o "$work/again.iso" --unattend "$corpus" --edition 2 \
	--admin-password-file "$work/pw" >"$work/out" 2>&1 || { cat "$work/out"; fail "re-inject"; }
cat "$work/out" >> "$all"
grep -q "autounattend.xml is replaced by the merged answer file" "$work/out" || fail "no replace notice: $(cat "$work/out")"
[ "$(7z l "$work/again.iso" | grep -ci 'autounattend.xml')" = 1 ] || fail "two answer files"
echo "ok: existing answer file replaced with a notice"

# --- bad inputs write nothing: weak password in the user's file (lint error), not XML, options alone
rc=0; "$W2C" inject "$iso" --drivers "$work/vw" -o "$work/bad.iso" --unattend "$corpus" --edition 2 >"$work/out" 2>&1 || rc=$?
[ $rc = 3 ] || fail "weak password in FILE: exit $rc, expected 3"
grep -q "password.length" "$work/out" || fail "no rule named: $(cat "$work/out")"
echo 'not xml' > "$work/bad.xml"
rc=0; "$W2C" inject "$iso" --drivers "$work/vw" -o "$work/bad.iso" --unattend "$work/bad.xml" >"$work/out" 2>&1 || rc=$?
[ $rc = 4 ] || fail "not XML: exit $rc, expected 4"
rc=0; "$W2C" inject "$iso" --drivers "$work/vw" -o "$work/bad.iso" --rdp >"$work/out" 2>&1 || rc=$?
[ $rc = 2 ] || fail "--rdp without --unattend: exit $rc, expected 2"
[ ! -e "$work/bad.iso" ] || fail "a failed inject wrote its output"
echo "ok: bad answer files write nothing"

if grep -qF "$pw" "$all"; then fail "the password appears in the output"; fi
echo "ok: password absent from the output"
