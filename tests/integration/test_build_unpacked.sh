#!/bin/bash
# needs-fixture: winiso
# build from a directory made by `unpack`: fixture ISO -> unpack -> build gives
# the same tree (names, sizes, bytes, mtimes: 7z as the independent reader) and
# the same El Torito entries (xorriso -report_el_torito) as a build straight
# from the ISO, and boots (SeaBIOS, OVMF).  Edits made in the directory are
# taken; a directory without media.json is refused; a boot image that is no
# file (xorriso -hide) is kept as a hidden boot image from both sources.
set -euo pipefail
. "$W2C_SRC/tests/integration/lib/boot.sh"
w2c_boot_test_setup xorriso 7z
fail() { echo "FAIL: $*"; exit 1; }
eltorito() { xorriso -indev "$1" -report_el_torito plain 2>/dev/null | awk '/boot img :/{print $7,$8,$9,$10,$11,$12}'; }
listing() { (cd "$1" && find . -mindepth 1 -path './[[]BOOT[]]*' -prune -o -printf '%P %y %s %T@\n' | sort); }

"$W2C" -q unpack "$iso" "$work/u"
"$W2C" -q build "$iso" -o "$work/direct.iso"
"$W2C" --json build "$work/u" -o "$work/fromdir.iso" > "$work/res.json"
python3 - "$work/res.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["volume_id"] == "CCCOMA_X64FRE_EN-US_DV9", d
assert d["joliet_volume_id"] == "CCCOMA_X64FRE_EN", d
assert any("Joliet holds 16" in n for n in d["notes"]), d["notes"]
PY
(cd "$work" && sha256sum -c fromdir.iso.sha256 >/dev/null) || fail ".sha256 of the directory build"
7z x -y -o"$work/src" "$iso" >/dev/null
7z x -y -o"$work/a" "$work/direct.iso" >/dev/null
7z x -y -o"$work/b" "$work/fromdir.iso" >/dev/null
diff -r --exclude="[[]BOOT[]]" "$work/src" "$work/b" || fail "tree of the directory build differs from the source"
listing "$work/a" > "$work/a.lst"; listing "$work/b" > "$work/b.lst"
diff "$work/a.lst" "$work/b.lst" || fail "names/types/sizes/mtimes differ between ISO and directory builds"
[ "$(eltorito "$work/direct.iso")" = "$(eltorito "$work/fromdir.iso")" ] || fail "El Torito differs: $(eltorito "$work/fromdir.iso")"
# against the source: same entries; UEFI count 1 (Microsoft's) where genisoimage wrote 2880
[ "$(eltorito "$iso" | awk '{print $1,$2,$3,$4,$5}')" = "$(eltorito "$work/fromdir.iso" | awk '{print $1,$2,$3,$4,$5}')" ] ||
	fail "El Torito platforms/flags differ from the source"
printf 'BIOS y none 0x0000 0x00 8\nUEFI y none 0x0000 0x00 1\n' | diff - <(eltorito "$work/fromdir.iso") || fail "geometry"
rc=0; w2c_boot "$work/fromdir.iso" bios "$work/b.log" || rc=$?
[ $rc = 33 ] && grep -q ETFSBOOT-TAIL-LOADED "$work/b.log" || fail "BIOS boot: rc $rc, log: $(cat "$work/b.log")"
rc=0; w2c_boot "$work/fromdir.iso" uefi "$work/u.log" || rc=$?
[ $rc = 35 ] && grep -q UEFI-BOOTX64-OK "$work/u.log" || fail "UEFI boot: rc $rc, log: $(cat "$work/u.log")"
echo "round trip: tree, mtimes, El Torito and boots match"

# edits in the directory are taken; directory mtimes come from media.json
echo "added after unpack" > "$work/u/sources/new.txt"
printf 'changed' > "$work/u/setup.exe"
rm -rf "$work/u/support"
"$W2C" -q build "$work/u" -o "$work/edit.iso" --volume-id MY_VOLUME
7z x -y -o"$work/e" "$work/edit.iso" >/dev/null
cmp "$work/e/sources/new.txt" "$work/u/sources/new.txt" && cmp "$work/e/setup.exe" "$work/u/setup.exe" ||
	fail "edited files not taken"
[ ! -e "$work/e/support" ] || fail "a directory removed after unpack is still there"
[ "$(stat -c %Y "$work/e/sources")" = "$(stat -c %Y "$work/a/sources")" ] || fail "directory mtime not from media.json"
"$W2C" inspect --json "$work/edit.iso" | python3 -c 'import json,sys; assert json.load(sys.stdin)["volume_id"]=="MY_VOLUME"'

# refusals: no media.json, over-long volume id, output = a file the build reads
set +e
mv "$work/u/.win2cloud/media.json" "$work/media.json"
"$W2C" build "$work/u" -o "$work/x.iso" 2>"$work/err"; rc=$?
mv "$work/media.json" "$work/u/.win2cloud/media.json"
"$W2C" build "$work/u" -o "$work/y.iso" --volume-id 0123456789012345678901234567890123 2>"$work/err2"; rc2=$?
"$W2C" build "$work/u" -o "$work/u/setup.exe" 2>"$work/err3"; rc3=$?
set -e
[ $rc = 4 ] && grep -q 'no .win2cloud/media.json' "$work/err" && [ ! -e "$work/x.iso" ] || fail "no media.json: rc $rc $(cat "$work/err")"
[ $rc2 = 2 ] && grep -q 'ISO 9660 allows 32' "$work/err2" && [ ! -e "$work/y.iso" ] || fail "long volume id: rc $rc2 $(cat "$work/err2")"
[ $rc3 = 2 ] && grep -q 'source file of the medium' "$work/err3" && cmp -s "$work/u/setup.exe" "$work/e/setup.exe" ||
	fail "overwrite a source file: rc $rc3 $(cat "$work/err3")"

# a BIOS image that is no file in the tree: kept from the ISO and from the unpacked directory
xorriso -as mkisofs -quiet -o "$work/hb.iso" -V HIDDENBOOT -J -joliet-long -iso-level 3 \
	-b boot/etfsboot.com -no-emul-boot -boot-load-size 8 -hide etfsboot.com -hide-joliet etfsboot.com \
	-c boot.catalog -hide boot.catalog -hide-joliet boot.catalog \
	-eltorito-alt-boot -e efi/microsoft/boot/efisys.bin -no-emul-boot "$W2C_FIXTURES/win/tree" 2>/dev/null
"$W2C" inspect "$work/hb.iso" | grep -q 'lba [0-9]*  (no file)' || fail "fixture: BIOS image should be no file"
"$W2C" -q unpack "$work/hb.iso" "$work/hu"
[ -f "$work/hu/.win2cloud/boot/entry1.img" ] || fail "unpack did not keep the BIOS image"
"$W2C" build "$work/hu" -o "$work/hb2.iso" > "$work/hb.out"
grep -q 'no file in the tree' "$work/hb.out" || fail "hidden boot image not reported: $(cat "$work/hb.out")"
printf 'BIOS y none 0x0000 0x00 8\nUEFI y none 0x0000 0x00 1\n' | diff - <(eltorito "$work/hb2.iso") || fail "hidden boot geometry"
7z l "$work/hb2.iso" | grep -qi etfsboot && fail "hidden boot image visible in the tree"
rc=0; w2c_boot "$work/hb2.iso" bios "$work/hb.log" || rc=$?
[ $rc = 33 ] && grep -q ETFSBOOT-TAIL-LOADED "$work/hb.log" || fail "hidden-image BIOS boot: rc $rc, log: $(cat "$work/hb.log")"
# UEFI only: reproduced as it is, and the missing BIOS entry is reported
xorriso -as mkisofs -quiet -o "$work/uefi.iso" -V UEFIONLY -J -joliet-long -iso-level 3 \
	-e efi/microsoft/boot/efisys.bin -no-emul-boot "$W2C_FIXTURES/win/tree" 2>/dev/null
"$W2C" build "$work/uefi.iso" -o "$work/uefi2.iso" > "$work/uefi.out"
grep -q 'no BIOS boot entry' "$work/uefi.out" || fail "missing BIOS entry not reported: $(cat "$work/uefi.out")"
printf 'UEFI y none 0x0000 0x00 1\n' | diff - <(eltorito "$work/uefi2.iso") || fail "UEFI-only geometry"
rc=0; w2c_boot "$work/uefi2.iso" uefi "$work/uo.log" || rc=$?
[ $rc = 35 ] && grep -q UEFI-BOOTX64-OK "$work/uo.log" || fail "UEFI-only boot: rc $rc, log: $(cat "$work/uo.log")"
echo "build from unpacked directory: all checks passed"
