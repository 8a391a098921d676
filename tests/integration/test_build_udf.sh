#!/bin/bash
# needs-fixture: winiso
# The UDF writer, checked by independent readers: for the default bridge (UDF 1.02 +
# ISO 9660 + Joliet), UDF 2.01, --udf-only (Microsoft's layout: README.TXT in ISO 9660)
# and a tree of awkward names (600 files in one directory, 200-character and non-ASCII
# names, a hidden file): 7z x equals the source byte for byte without warnings, the
# project's reader (libudf, via unpack) equals it, udfinfo reports revision and label,
# blkid says udf, xorriso reads the ISO 9660/Joliet trees, SeaBIOS and OVMF boot;
# the --udf-only image is inspected, unpacked, injected and verified.
set -euo pipefail
. "$W2C_SRC/tests/integration/lib/boot.sh"
w2c_boot_test_setup xorriso 7z udfinfo blkid python3
fail() { echo "FAIL: $*"; exit 1; }

7z x -y -o"$work/src" "$iso" >/dev/null
# 7z: same tree and bytes, and no "Headers Error" / "data after the end" complaint
same_7z() {
	rm -rf "$work/x"
	7z x -y -o"$work/x" "$1" > "$work/7z.log" 2>&1 || fail "7z x $1: $(cat "$work/7z.log")"
	grep -qi 'error\|warning' "$work/7z.log" && fail "7z complains about $1: $(cat "$work/7z.log")"
	7z l "$1" > "$work/7zl.log"  # (no pipe into grep -q: SIGPIPE under pipefail)
	grep -q '^Type = Udf' "$work/7zl.log" || fail "7z did not read $1 as UDF"
	diff -r "$2" "$work/x" || fail "7z tree of $1 differs from $2"
}
# the project's reader (UDF first, libudf) through unpack
same_unpack() {
	rm -rf "$work/u"
	"$W2C" -q unpack "$1" "$work/u"
	diff -r --exclude=.win2cloud "$2" "$work/u" || fail "unpack of $1 differs from $2"
	"$W2C" inspect --json "$1" > "$work/i.json"
	python3 - "$work/i.json" "$3" <<'PY' || fail "inspect of $1: $(cat "$work/i.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tree"] == "udf", d["tree"]
assert {"type": "udf", "revision": sys.argv[2]} in d["filesystems"], d["filesystems"]
PY
}
udf_ok() {
	udfinfo "$1" > "$work/udfinfo" 2> "$work/udfinfo.err" || fail "udfinfo $1: $(cat "$work/udfinfo.err")"
	[ -s "$work/udfinfo.err" ] && fail "udfinfo $1 warns: $(cat "$work/udfinfo.err")"
	grep -qx "udfrev=$2" "$work/udfinfo" || fail "udfinfo: revision $(grep udfrev "$work/udfinfo"), want $2"
	grep -qx "lvid=$3" "$work/udfinfo" || fail "udfinfo: label $(grep lvid "$work/udfinfo"), want $3"
	grep -qx "integrity=closed" "$work/udfinfo" || fail "udfinfo: integrity not closed"
	[ "$(blkid -p -o value -s TYPE "$1")" = udf ] || fail "blkid: $(blkid -p "$1")"
}
boots() {
	rc=0; w2c_boot "$1" bios "$work/b.log" || rc=$?
	[ $rc = 33 ] && grep -q ETFSBOOT-TAIL-LOADED "$work/b.log" || fail "BIOS boot of $1: rc $rc"
	rc=0; w2c_boot "$1" uefi "$work/e.log" || rc=$?
	[ $rc = 35 ] && grep -q UEFI-BOOTX64-OK "$work/e.log" || fail "UEFI boot of $1: rc $rc"
}

# --- default: UDF 1.02 beside ISO 9660 + Joliet, one copy of the data
"$W2C" -q build "$iso" -o "$work/d.iso"
udf_ok "$work/d.iso" 1.02 CCCOMA_X64FRE_EN-US_DV9
same_7z "$work/d.iso" "$work/src"
same_unpack "$work/d.iso" "$work/src" 1.02
xorriso -osirrox on -indev "$work/d.iso" -extract / "$work/j" >/dev/null 2>&1
diff -r "$work/src" "$work/j" || fail "xorriso (Joliet) tree differs"
[ "$(xorriso -indev "$work/d.iso" -find / -type f 2>/dev/null | wc -l)" = 19 ] || fail "ISO 9660 tree incomplete"
# the bridge costs the UDF structures (~1.1 MiB: head to the anchor at 256, the
# 257-block tail, an entry per file), not a second copy of the 6 MiB of data
"$W2C" -q build "$iso" -o "$work/iso.iso" --filesystems iso9660,joliet
[ "$(blkid -p -o value -s TYPE "$work/iso.iso")" = iso9660 ] || fail "--filesystems iso9660,joliet wrote UDF"
a=$(stat -c %s "$work/d.iso"); b=$(stat -c %s "$work/iso.iso")
[ $((a - b)) -lt 2097152 ] || fail "UDF image $a bytes vs ISO-only $b: data written twice?"
"$W2C" -q verify "$work/d.iso" --against "$iso" || fail "verify of the bridge"
boots "$work/d.iso"
echo "bridge: udfinfo, blkid, 7z, libudf, xorriso, verify, BIOS + UEFI boots agree"

# --- verify reads the UDF structures itself: a damaged file entry and two lost anchors
cp "$work/d.iso" "$work/bad.iso"
python3 - "$work/bad.iso" <<'PY'
import sys
f = open(sys.argv[1], "r+b"); size = f.seek(0, 2); n = size // 2048
f.seek(258 * 2048 + 100); b = f.read(1); f.seek(258 * 2048 + 100); f.write(bytes([b[0] ^ 0xFF]))  # root entry
for blk in (n - 257, n - 1):  # the anchors at last-256 and last
    f.seek(blk * 2048); f.write(bytes(2048))
PY
rc=0; "$W2C" --json verify "$work/bad.iso" > "$work/bad.json" 2>/dev/null || rc=$?
[ $rc = 3 ] || fail "verify of a damaged UDF image: rc $rc"
python3 - "$work/bad.json" <<'PY' || fail "damaged UDF findings: $(cat "$work/bad.json")"
import json, sys
d = json.load(open(sys.argv[1]))
u = [f for f in d["findings"] if f["check"] == "udf"]
assert any("CRC" in f["message"] and "block 258" in f["message"] for f in u), u
assert any(f["field"] == "anchor" and "expected at least two" in f["message"] for f in u), u
PY
echo "verify: a damaged file entry CRC and missing anchors reported"

# --- UDF 2.01 on request
"$W2C" --json build "$iso" -o "$work/r.iso" --udf-revision 2.01 > "$work/r.json" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["filesystems"] == [{"type": "udf", "revision": "2.01"}, {"type": "iso9660"}, {"type": "joliet"}], d["filesystems"]' "$work/r.json" ||
	fail "build --json filesystems: $(cat "$work/r.json")"
udf_ok "$work/r.iso" 2.01 CCCOMA_X64FRE_EN-US_DV9
same_7z "$work/r.iso" "$work/src"
same_unpack "$work/r.iso" "$work/src" 2.01
echo "UDF 2.01: udfinfo, 7z, libudf agree"

# --- --udf-only: Microsoft's layout, and the reader's UDF-only path on it
"$W2C" -q build "$iso" -o "$work/ms.iso" --udf-only
udf_ok "$work/ms.iso" 1.02 CCCOMA_X64FRE_EN-US_DV9
[ "$(xorriso -indev "$work/ms.iso" -find / -type f 2>/dev/null)" = "'/README.TXT'" ] ||
	fail "ISO 9660 tree of --udf-only: $(xorriso -indev "$work/ms.iso" -find / 2>/dev/null)"
xorriso -indev "$work/ms.iso" -pvd_info 2>/dev/null | grep -qi joliet && fail "--udf-only wrote Joliet"
same_7z "$work/ms.iso" "$work/src"
same_unpack "$work/ms.iso" "$work/src" 1.02
"$W2C" -q verify "$work/ms.iso" --against "$iso" || fail "verify of --udf-only"
boots "$work/ms.iso"
# unpack + rebuild and inject run on it like on any medium
"$W2C" -q build "$work/u" -o "$work/ms2.iso" --udf-only
same_7z "$work/ms2.iso" "$work/src"
bash "$W2C_SRC/tests/fixtures/mkvirtio.sh" "$work/vw" >/dev/null
"$W2C" -q inject "$work/ms.iso" --drivers "$work/vw" -o "$work/msi.iso" --udf-only
"$W2C" -q verify "$work/msi.iso" --against "$work/ms.iso" || fail "verify of the injected --udf-only image"
[ "$(xorriso -indev "$work/msi.iso" -find / -type f 2>/dev/null)" = "'/README.TXT'" ] || fail "inject --udf-only layout"
7z l "$work/msi.iso" > "$work/msi.l"
grep -q 'WinPEDriver' "$work/msi.l" || fail "injected drivers not in the UDF tree"
echo "--udf-only: README.TXT in ISO 9660, all in UDF; inspect, unpack, build, inject, verify, boots"

# --- awkward names: 600 files in one directory (identifiers cross blocks), long and
# non-ASCII names, a hidden file, times kept
t=$work/t; mkdir -p "$t/many" "$t/n"
for i in $(seq 1 600); do echo "file $i" > "$t/many/File-Number-$i.TXT"; done
long=$(printf 'L%.0s' $(seq 1 200)).txt
echo long > "$work/long.txt"; echo umlaut > "$t/n/Größe und Übung.txt"; echo cjk > "$t/n/日本語のファイル.txt"
touch -d "2021-06-07 08:09:10 UTC" "$t/n/Größe und Übung.txt"
xorriso -as mkisofs -quiet -o "$work/names.iso" -V NAMES -J -joliet-long -iso-level 3 "$t" 2>/dev/null
"$W2C" -q unpack "$work/names.iso" "$work/nu"
python3 - "$work/nu/.win2cloud/media.json" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
for f in d["files"]:
    if f["path"] == "/many/File-Number-7.TXT":
        f["hidden"] = True
json.dump(d, open(p, "w"))
PY
"$W2C" -q build "$work/nu" -o "$work/names2.iso" --add "/n/$long=$work/long.txt"
cp "$work/long.txt" "$t/n/$long"
same_7z "$work/names2.iso" "$t"
rm -rf "$work/nu2"; "$W2C" -q unpack "$work/names2.iso" "$work/nu2"
diff -r --exclude=.win2cloud "$t" "$work/nu2" || fail "libudf tree of the names image differs"
[ "$(stat -c %Y "$work/nu2/n/Größe und Übung.txt")" = 1623053350 ] || fail "mtime not kept"
python3 - "$work/nu2/.win2cloud/media.json" <<'PY' || fail "hidden flag not kept"
import json, sys
d = json.load(open(sys.argv[1]))
h = {f["path"] for f in d["files"] if f.get("hidden")}
assert h == {"/many/File-Number-7.TXT"}, h
PY
udfinfo "$work/names2.iso" >/dev/null 2>"$work/ue" && [ ! -s "$work/ue" ] || fail "udfinfo on names: $(cat "$work/ue")"
echo "names: 600-entry directory, 200-character and non-ASCII names, hidden flag, mtime kept"
