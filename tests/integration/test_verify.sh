#!/bin/bash
# needs-fixture: winiso
# verify: the fixture rebuilt is clean against its source (ISO and unpack directory);
# --add/--remove/a same-size change are reported exactly, and pass once allowed; a
# BIOS sector count of 4 and a non-FAT efisys.bin are reported before any boot; a
# boot.wim without boot index, a corrupted .sha256 and a tree without Joliet are reported; SeaBIOS and OVMF boots
# (prompt and noprompt images) reach the fixture markers; unreadable inputs exit 4;
# no QEMU and no file is left behind.
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
for t in qemu-system-x86_64 genisoimage python3 mkfs.fat; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
[ -f /usr/share/ovmf/OVMF.fd ] || { echo "SKIP: OVMF missing (package ovmf)"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# v WANT_RC ARGS...: run verify --json into $work/v.json
v() {
	local want=$1; shift
	set +e; "$W2C" verify --json "$@" > "$work/v.json" 2>"$work/v.err"; local rc=$?; set -e
	[ $rc = "$want" ] || fail "verify $*: rc $rc, want $want: $(cat "$work/v.json" "$work/v.err")"
}
# j PYTHON-EXPR...: assertions on the JSON result d
j() {
	python3 - "$work/v.json" "$@" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
F = {(f["check"], f["field"], f["file"]) for f in d["findings"]}
C = {(c["kind"], c["path"], c["allowed"]) for c in d["changes"]}
for expr in sys.argv[2:]:
    assert eval(expr), f"{expr}\n{json.dumps(d, indent=1)[:3000]}"
PY
}

# --- clean round trips: against the ISO and against an unpack directory
"$W2C" -q build "$iso" -o "$work/out.iso"
v 0 "$work/out.iso" --against "$iso"
j 'd["ok"] and not d["findings"] and not d["changes"]' 'd["files_compared"] == 19' \
  'd["boot_entries"] == 2' 'd["namespaces"]["joliet"]' \
  "d['sha256'] == open('$work/out.iso.sha256').read().split()[0]"
"$W2C" -q unpack "$iso" "$work/up"
v 0 "$work/out.iso" --against "$work/up"
j 'not d["findings"] and d["files_compared"] == 19'
if "$W2C" build --help | grep -q 'or a directory'; then # build reads unpack directories (issue 3)
	"$W2C" -q build "$work/up" -o "$work/fromdir.iso"
	v 0 "$work/fromdir.iso" --against "$work/up"
	j 'not d["findings"] and d["files_compared"] == 19'
	v 0 "$work/fromdir.iso" --against "$iso"
	echo "round trip: ISO -> unpack -> build -> verify clean"
else
	echo "note: this build cannot read unpack directories yet; ISO -> unpack -> build not run"
fi
echo "round trips: clean against the ISO and the unpack directory"

# --- edits: reported exactly, allowed when declared
echo "added by build" > "$work/add.txt"
printf 'MZ fixture SETUP\r\n' > "$work/setup.exe" # same size as the original, other bytes
"$W2C" -q build "$iso" -o "$work/ar.iso" --add /extra/add.txt="$work/add.txt" --remove /support \
	--add /setup.exe="$work/setup.exe"
v 3 "$work/ar.iso" --against "$iso"
j 'F == {("content", "added", "/extra/add.txt"), ("content", "removed", "/support/logging/Setup Logging Manifest.man"), ("content", "sha256", "/setup.exe")}' \
  'C == {("added", "/extra/add.txt", False), ("removed", "/support/logging/Setup Logging Manifest.man", False), ("changed", "/setup.exe", False)}'
v 0 "$work/ar.iso" --against "$iso" --allow-edit /extra --allow-edit /support/ --allow-edit /SETUP.EXE
j 'all(c["allowed_by"] == "--allow-edit" for c in d["changes"])' 'len(d["changes"]) == 3'
v 3 "$work/ar.iso" --against "$iso" --allow-edit /extra
j 'len(F) == 2'
v 0 "$work/ar.iso" --against "$iso" --allow-edit '/EXT*' --allow-edit /support --allow-edit '/setup.[e]xe'
echo "edits: added, removed and changed reported; --allow-edit accepted"

# --- the catalog is judged before any boot: BIOS count 4, UEFI image that is no FAT image
cp "$work/out.iso" "$work/cnt4.iso"
python3 - "$work/cnt4.iso" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(17 * 2048 + 71); cat = struct.unpack("<I", f.read(4))[0]
    f.seek(cat * 2048 + 32 + 6); assert struct.unpack("<H", f.read(2))[0] == 8
    f.seek(cat * 2048 + 32 + 6); f.write(struct.pack("<H", 4))
PY
v 3 "$work/cnt4.iso" --boot bios
j 'F == {("catalog", "sector_count", "'"$work"'/cnt4.iso")}' 'not d["boots"]' \
  'any("sector_count is 4, expected 8" in f["message"] for f in d["findings"])' \
  'any("not booted" in n for n in d["notes"])'
echo "not a FAT image" > "$work/notfat.bin"
"$W2C" -q build "$iso" -o "$work/nf.iso" --add /efi/microsoft/boot/efisys.bin="$work/notfat.bin"
v 3 "$work/nf.iso" --boot uefi
j 'F == {("catalog", "fat", "efi/microsoft/boot/efisys.bin")}' 'not d["boots"]' \
  '"not a FAT image: boot sector signature (offset 510)" in d["findings"][0]["message"]'
echo "catalog: count 4 and non-FAT efisys.bin reported, nothing booted"

# --- boot.wim exported without --boot loses its boot index; a truncated image is unreadable
if command -v wimlib-imagex >/dev/null; then
	wimlib-imagex export "$W2C_FIXTURES/win/tree/sources/boot.wim" all "$work/noboot.wim" >/dev/null
	"$W2C" -q build "$iso" -o "$work/nb.iso" --add /sources/boot.wim="$work/noboot.wim"
	v 3 "$work/nb.iso" --against "$iso" --allow-edit /sources/boot.wim
	j 'F == {("bootwim", "boot_index", "sources/boot.wim")}' '"boot index is 0, expected 2" in d["findings"][0]["message"]'
	v 3 "$work/nb.iso"
	j 'F == {("bootwim", "boot_index", "sources/boot.wim")}' '"expected 1..2" in d["findings"][0]["message"]'
	echo "boot.wim: a lost boot index reported"
fi
# past the UDF tail (257 blocks of anchors) into the last files' data
head -c -1179648 "$work/out.iso" > "$work/trunc.iso"
v 4 "$work/trunc.iso"
grep -q "beyond the end of the image" "$work/v.err" || fail "truncated image: $(cat "$work/v.err")"

# --- .sha256: wrong digest, wrong name, garbage
cp "$work/out.iso" "$work/sum.iso"
sed 's/out.iso/sum.iso/; s/^0/x/; s/^[^x]/0/; s/^x/1/' "$work/out.iso.sha256" > "$work/sum.iso.sha256" # first digit changed
v 3 "$work/sum.iso"
j 'F == {("checksum", "sha256", "'"$work"'/sum.iso.sha256")}'
sed 's/out.iso/other.iso/' "$work/out.iso.sha256" > "$work/sum.iso.sha256"
v 3 "$work/sum.iso"
j 'F == {("checksum", "name", "'"$work"'/sum.iso.sha256")}'
echo "garbage" > "$work/sum.iso.sha256"
v 3 "$work/sum.iso"
j 'F == {("checksum", "line", "'"$work"'/sum.iso.sha256")}' '"1:1: expected 64 hex digits" in d["findings"][0]["message"]'
echo "checksum: wrong digest, wrong name and garbage reported"

# --- names: without Joliet, Windows would read _WINPEDRIVER_
mkdir -p "$work/nj/\$WinPEDriver\$/viostor"
echo x > "$work/nj/\$WinPEDriver\$/viostor/viostor.inf"
genisoimage -quiet -r -o "$work/nj.iso" "$work/nj"
v 3 "$work/nj.iso"
j '("names", "Joliet", "'"$work"'/nj.iso") in F' \
  'any("_WINPEDRIVER_" in f["message"] for f in d["findings"] if f["check"] == "names")'
n80=$(printf 'v%.0s' $(seq 1 76)).inf # Joliet without long names cuts it to 64
echo x > "$work/nj/\$WinPEDriver\$/viostor/$n80"
genisoimage -quiet -J -o "$work/cut.iso" "$work/nj" 2>/dev/null
v 3 "$work/cut.iso" --against "$work/nj"
j '("names", "name", "/$WinPEDriver$/viostor/'"$n80"'") in F' \
  'any("cut to 64 characters" in f["message"] for f in d["findings"])' \
  '("removed", "/$WinPEDriver$/viostor/'"$n80"'", False) in C'
cp -r "$work/nj" "$work/nc"; mv "$work/nc/\$WinPEDriver\$/viostor" "$work/nc/\$WinPEDriver\$/VioStor"
genisoimage -quiet -J -joliet-long -o "$work/case.iso" "$work/nc"
v 3 "$work/case.iso" --against "$work/nj"
j '{f for f in F if f[0] == "names"} == {("names", "name", "/$WinPEDriver$/viostor")}' \
  "any(\"reads as 'VioStor', expected 'viostor'\" in f['message'] for f in d['findings'])"
echo "names: a tree without Joliet, a name cut by Joliet and a case change reported"

# --- boots: markers reached, consoles captured; nothing left behind
before=$(ls -A "$work" | sort)
t0=$(date +%s.%N)
v 0 "$work/out.iso" --boot bios,uefi --boot-timeout 120 --expect bios:ETFSBOOT-TAIL-LOADED --expect uefi:UEFI-BOOTX64-OK
t1=$(date +%s.%N)
j 'len(d["boots"]) == 2' 'all(b["started"] and b["expect_seen"] and not b["timed_out"] for b in d["boots"])' \
  '"ETFSBOOT-TAIL-LOADED" in d["boots"][0]["debug"]' '"Booting from DVD/CD" in d["boots"][0]["console"]' \
  '"Booting from 0000:7c00" in d["boots"][0]["firmware_log"]' 'd["boots"][0]["exit_status"] == 33' \
  '"UEFI-BOOTX64-OK" in d["boots"][1]["console"]' '"BdsDxe: starting Boot" in d["boots"][1]["firmware_log"]' \
  'd["boots"][1]["exit_status"] == 35'
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("boot times: " + ", ".join("%s %.2f s" % (b["firmware"], b["seconds"]) for b in d["boots"]))' "$work/v.json"
echo "verify --boot bios,uefi wall time: $(echo "$t1 - $t0" | bc) s"
[ "$(ls -A "$work" | sort)" = "$before" ] || fail "verify left files: $(ls -A "$work")"
grep -qs "$work/out.iso" /proc/[0-9]*/cmdline && fail "QEMU still running after verify"
"$W2C" -q build "$iso" -o "$work/np.iso" --uefi-image noprompt
v 0 "$work/np.iso" --against "$iso" --boot uefi --boot-timeout 120 --expect uefi:UEFI-NOPROMPT-OK
j '"UEFI-NOPROMPT-OK" in d["boots"][0]["debug"]'
v 3 "$work/out.iso" --boot bios --boot-timeout 20 --expect bios:NEVER-PRINTED
j 'F == {("boot", "bios", "'"$work"'/out.iso")}' 'd["boots"][0]["started"] and not d["boots"][0]["expect_seen"]'
mkfs.fat -C -n EFISYS "$work/emptyfat.bin" 1440 >/dev/null # FAT, but no \EFI\BOOT\BOOTX64.EFI
"$W2C" -q build "$iso" -o "$work/ef.iso" --add /efi/microsoft/boot/efisys.bin="$work/emptyfat.bin"
v 3 "$work/ef.iso" --boot uefi --boot-timeout 120
j 'F == {("boot", "uefi", "'"$work"'/ef.iso")}' 'd["boots"][0]["gave_up"] and not d["boots"][0]["started"]' \
  '"failed to load Boot0001" in d["boots"][0]["firmware_log"]' '"gave up on the disc" in d["findings"][0]["message"]'
echo "boots: BIOS, UEFI and UEFI noprompt markers reached; a missing text and a loader-less FAT image are findings"

# --- unreadable inputs exit 4, usage errors 2
v 4 "$work/missing.iso"
v 4 "$work/notfat.bin"
v 4 "$work/out.iso" --against "$work/missing.iso"
v 2 "$work/out.iso" --boot floppy
echo "verify: all checks passed"
