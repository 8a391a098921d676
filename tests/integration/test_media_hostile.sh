#!/bin/bash
# needs-fixture: winiso
# Hostile media (issue 15, items 1-9): images damaged by tests/fixtures/mkcorrupt.py
# from the fixture ISO and from images genisoimage/xorriso make here.  Every one
# either reads whole (a damaged UDF tree falls back to Joliet with a warning that
# says so) or fails with exit 4 naming the image, the block/LBA/offset and the
# field; nothing crashes, hangs or gives a partial tree with exit 0.
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing (fixtures.windows_like did not run)"; exit 77; }
for t in python3 genisoimage xorriso; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/setup.sh installs it)"; exit 77; }
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mk() { python3 "$W2C_SRC/tests/fixtures/mkcorrupt.py" "$@" >/dev/null; }
# run EXPECTED_RC PATTERN CMD...: exit code and an output line matching PATTERN;
# SIGKILL after 60 s so a hang fails instead of stalling the suite
run() {
	local want=$1 pat=$2 rc=0; shift 2
	timeout -s KILL 60 "$@" >"$work/out" 2>"$work/err" || rc=$?
	[ "$rc" = "$want" ] || { cat "$work/err"; fail "$* exited $rc, expected $want"; }
	[ -z "$pat" ] || cat "$work/out" "$work/err" | grep -Eq -- "$pat" ||
		{ cat "$work/out" "$work/err"; fail "$*: output lacks /$pat/"; }
}
count() { "$W2C" inspect --json "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["file_count"])'; }
sum0=$(sha256sum < "$iso")
c=$work/c

# 1, 2. UDF file entries and FIDs: every tag, length and extent checked before libudf
# follows it.  The default reader warns and reads the Joliet tree (all 19 files);
# --namespace udf is exit 4 naming the block and the field.
udf=(udf_root_lea_huge:"L_EA \(16777215\) \+ L_AD" udf_sources_lea_4000:"L_EA \(4000\)"
     udf_sources_ad_outside:"allocation descriptor 0 .* outside the .*-block partition"
     udf_fid_sources_tag:"file identifier descriptor at block [0-9]+ .*tag checksum"
     udf_fid_root_tag:"file identifier descriptor at block [0-9]+ .*descriptor CRC"
     udf_fe_sources_crc:"file entry at block [0-9]+ .*descriptor CRC"
     udf_fe_location:"file entry at block [0-9]+ .*tag location is [0-9]+, expected")
for v in "${udf[@]}"; do
	name=${v%%:*} pat=${v#*:}
	mk "$iso" "$c" "$name"
	run 0 "warning: .*$name.iso: UDF .*$pat.*the UDF tree is damaged: using the Joliet tree" \
		"$W2C" inspect "$c/$name.iso"
	[ "$(count "$c/$name.iso" 2>/dev/null)" = 19 ] || fail "$name: the Joliet fallback lacks files"
	run 4 "error: .*$name.iso: UDF .*$pat" "$W2C" inspect --namespace udf "$c/$name.iso"
	run 4 "$pat" "$W2C" unpack --namespace udf "$c/$name.iso" "$work/u-$name"
done
# the image whose /sources FID is damaged: build reads the whole Joliet tree, so
# /sources is in the output and verify --against the damaged source passes
"$W2C" -q build "$c/udf_fid_sources_tag.iso" -o "$work/fid.iso" 2>/dev/null
[ "$(count "$work/fid.iso")" = 19 ] || fail "build of the damaged-FID image lost files"
"$W2C" -q verify "$work/fid.iso" --against "$iso" >/dev/null || fail "verify: fid.iso differs from the fixture"
echo "udf ok"

# 2. verify --against sees a folder missing from the output, even an empty one
"$W2C" -q unpack "$iso" "$work/src"
mkdir "$work/src/emptydir"
"$W2C" -q build "$iso" -o "$work/plain.iso"
run 3 "/emptydir: removed" "$W2C" verify "$work/plain.iso" --against "$work/src"
echo "verify missing folder ok"

# 3. Rock Ridge CE loop (libisofs follows it for ever): refused within the timeout
genisoimage -quiet -R -J -o "$work/rr.iso" "$W2C_FIXTURES/win/tree"
mk "$work/rr.iso" "$c" rr_ce_loop
run 4 "rr_ce_loop.iso: ISO 9660 directory at LBA [0-9]+, record at offset [0-9]+: Rock Ridge CE .* reached twice" \
	"$W2C" inspect "$c/rr_ce_loop.iso"
run 4 "CE continuation area" "$W2C" unpack "$c/rr_ce_loop.iso" "$work/u-ce"
[ ! -e "$work/u-ce/.win2cloud/media.json" ] || fail "unpack of the CE loop left a finished-looking directory"
echo "rr ce loop ok"

# 4. deep trees: 40 levels with Rock Ridge (xorriso), 12 with relocation (genisoimage -R:
# RE/CL/PL, rr_moved), each unpacked equal to its source
deep=$work/deep; d=$deep
for i in $(seq 1 40); do d=$d/level$i; done
mkdir -p "$d" "$deep/a/b/c/d/e/f/g/h/i/j/k/l"
echo bottom > "$d/file.txt"; echo reloc > "$deep/a/b/c/d/e/f/g/h/i/j/k/l/file.txt"; echo top > "$deep/top.txt"
xorriso -outdev "$work/deep_x.iso" -map "$deep" / >/dev/null 2>&1
genisoimage -quiet -R -o "$work/deep_rr.iso" "$deep" 2>/dev/null
for img in deep_x deep_rr; do
	run 0 "" "$W2C" inspect "$work/$img.iso"
	"$W2C" -q unpack "$work/$img.iso" "$work/u-$img"
	rmdir "$work/u-$img/rr_moved" 2>/dev/null || true # genisoimage's relocation folder, empty as xorriso shows it
	diff -r --exclude=.win2cloud "$deep" "$work/u-$img" || fail "$img: unpacked tree differs from its source"
done
echo "deep trees ok"

# 5. what ECMA-119 makes checkable (xorriso only warns on the first, accepts the rest)
iso5=(iso_volume_size:"volume space size \(offset 80\) is [0-9]+ blocks"
      iso_record_len:"directory at LBA [0-9]+, record at offset [0-9]+: record length is 20, expected at least 34"
      iso_extent_outside:"record at offset [0-9]+: file extent end .* expected an extent inside the [0-9]+-block volume"
      iso_dir_size:"directory at LBA [0-9]+ \([0-9]+ bytes\) does not fit the volume")
for v in "${iso5[@]}"; do
	name=${v%%:*} pat=${v#*:}
	mk "$iso" "$c" "$name"
	run 4 "$name.iso: .*$pat" "$W2C" inspect "$c/$name.iso"
	run 4 "$pat" "$W2C" unpack "$c/$name.iso" "$work/u-$name"
done
echo "iso 9660 checks ok"

# 7. El Torito catalog: the section count must fit, each entry valid
mk "$iso" "$c" eltorito_ffff eltorito_bad_entry
run 4 "boot catalog at LBA [0-9]+, section header at offset 64: number of section entries \(offset 66\) is 65535, expected at most 61" \
	"$W2C" inspect "$c/eltorito_ffff.iso"
run 4 "number of section entries" "$W2C" build "$c/eltorito_ffff.iso" -o "$work/et.iso"
[ ! -e "$work/et.iso" ] || fail "build wrote an image from a bad boot catalog"
run 4 "entry at offset 96: boot indicator is 0x33, expected 0x88" "$W2C" inspect "$c/eltorito_bad_entry.iso"
echo "el torito ok"

# 8. twelve damaged WIM headers/XML: the same exit 4 from inspect, build, inject and
# verify (either side), naming the image and /sources/install.wim
drv=$work/drv
for d in viostor:1001 vioscsi:1004; do
	n=${d%:*} dev=${d#*:}
	mkdir -p "$drv/$n"
	sed -e "s/viostor/$n/g" -e "s/DEV_1001/DEV_$dev/" "$W2C_SRC/tests/data/drivers/viostor.inf" > "$drv/$n/$n.inf"
	printf 'MZ %s' "$n" > "$drv/$n/$n.sys"; printf 'cat' > "$drv/$n/$n.cat"
done
"$W2C" -q inject "$iso" --drivers "$drv" -o "$work/inj.iso" || fail "inject of the good fixture failed"
wims=(wim_magic wim_header_size wim_xml_offset wim_xml_len0 wim_xml_len_big wim_xml_stored
      wim_xml_compressed wim_image_count wim_boot_index wim_xml_bom wim_xml_root wim_xml_garbage)
mk "$iso" "$c" "${wims[@]}"
mk "$work/plain.iso" "$work/cout" "${wims[@]}"
for name in "${wims[@]}"; do
	pat="$name.iso: /sources/install.wim: "
	run 4 "$pat" "$W2C" inspect "$c/$name.iso"
	run 4 "$pat" "$W2C" build "$c/$name.iso" -o "$work/w.iso"
	run 4 "$pat" "$W2C" inject "$c/$name.iso" --drivers "$drv" -o "$work/w.iso"
	[ ! -e "$work/w.iso" ] || fail "$name: an output was written"
	run 4 "$pat" "$W2C" verify "$work/plain.iso" --against "$c/$name.iso"
	run 4 "$name.iso: /sources/install.wim: " "$W2C" verify "$work/cout/$name.iso" --against "$iso"
done
echo "wim ok"

# 9. drivers: links leaving the source are refused (no secret onto the ISO), a link
# loop lists every package once, an empty folder is "no INF found"
cp -r "$drv" "$work/drv-link"
ln -sf /etc/shadow "$work/drv-link/viostor/viostor.cat"
run 4 "'viostor/viostor.cat' is a symbolic link to /etc/shadow, outside the source: refused" \
	"$W2C" drivers "$work/drv-link"
run 4 "symbolic link to /etc/shadow" "$W2C" inject "$iso" --drivers "$work/drv-link" -o "$work/shadow.iso"
[ ! -e "$work/shadow.iso" ] || fail "inject wrote an image from a source linking /etc/shadow"
cp -r "$drv" "$work/drv-loop"
ln -s .. "$work/drv-loop/viostor/up"; ln -s ../viostor "$work/drv-loop/vioscsi/again"
"$W2C" drivers --json "$work/drv-loop" 2>"$work/err" > "$work/loop.json"
python3 - "$work/loop.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
infs = [p["inf"] for p in d["packages"]]
assert sorted(infs) == ["vioscsi/vioscsi.inf", "viostor/viostor.inf"], infs
PY
grep -q "listed already" "$work/err" || fail "the link loop was not reported"
mkdir "$work/empty"
run 4 "driver source .*empty: no INF found" "$W2C" drivers "$work/empty"
run 4 "no INF found" "$W2C" inject "$iso" --drivers "$work/empty" -o "$work/empty.iso"
echo "drivers ok"

[ "$(sha256sum < "$iso")" = "$sum0" ] || fail "the source image was modified"
echo "PASS"
