#!/bin/bash
# Every third-party image with El Torito entries is rebuilt by `win2cloud build`;
# its catalog, read back by xorriso -report_el_torito (the independent reader),
# must list the same entries as the source's: platform, bootable flag,
# emulation, load segment, system type and load size (UEFI entries get
# Microsoft's count of 1 by design), and each boot image's bytes (xorriso
# -extract_boot_images) must match.  Images our reader refuses are left out (counted).
# The images shipped in tests/data/iso always run; the wider corpus ($W2C_CORPUS/iso),
# when present, runs after them.
set -uo pipefail
data=${W2C_DATA:-$W2C_SRC/tests/data}/iso
[ -d "$data" ] || { echo "FAIL: no images at $data (tests/data of the repository)"; exit 1; }
for t in xorriso xz gzip; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
entries() { # platform boot emul seg systype count; UEFI count normalised to 1
	xorriso -indev "$1" -report_el_torito plain 2>/dev/null |
		awk '/boot img :/{c=$12; if ($7=="UEFI" && "'"$2"'"=="norm") c=1; print $7,$8,$9,$10,$11,c}'
}
# sweep ROOT LABEL MIN_PASS: every El Torito image under ROOT; fails on a mismatch or fewer than MIN_PASS
sweep() {
	local root=$1 pass=0 fail=0 skip=0 f name img src new count bad a b n
	while IFS= read -r f; do
		case "$f" in */expected/*|*/INDEX) continue ;; esac
		name=${f#$root/}
		img=$work/img
		case "$f" in *.xz) xz -dc "$f" > "$img" ;; *.Z) gzip -dc "$f" > "$img" ;; *) cp "$f" "$img" ;; esac
		src=$(entries "$img" norm)
		[ -n "$src" ] || continue
		rm -rf "$work/out.iso"* "$work/a" "$work/b"
		if ! "$W2C" inspect "$img" >/dev/null 2>"$work/err"; then
			echo "skip $name: our reader refuses it: $(head -c 200 "$work/err")"; skip=$((skip + 1)); continue
		fi
		if ! "$W2C" build "$img" -o "$work/out.iso" >"$work/out" 2>"$work/err"; then
			echo "FAIL $name: build failed: $(head -c 300 "$work/err")"; fail=$((fail + 1)); continue
		fi
		new=$(entries "$work/out.iso" raw)
		if [ "$src" != "$new" ]; then
			echo "FAIL $name: catalog differs"; diff <(echo "$src") <(echo "$new"); fail=$((fail + 1)); continue
		fi
		# an unusual BIOS count is reported, not silently rebuilt
		count=$(echo "$src" | awk '$1=="BIOS" && $3=="none"{print $6; exit}')
		if [ -n "$count" ] && [ "$count" != 8 ] && ! grep -q "loads $count sectors" "$work/out"; then
			echo "FAIL $name: BIOS count $count not reported: $(cat "$work/out")"; fail=$((fail + 1)); continue
		fi
		xorriso -osirrox on -indev "$img" -extract_boot_images "$work/a" >/dev/null 2>&1
		xorriso -osirrox on -indev "$work/out.iso" -extract_boot_images "$work/b" >/dev/null 2>&1
		bad=
		for a in "$work"/a/eltorito_img*; do
			[ -e "$a" ] || continue
			b=$work/b/$(basename "$a")
			n=$(stat -c %s "$a"); [ -e "$b" ] && [ "$(stat -c %s "$b")" -lt "$n" ] && n=$(stat -c %s "$b")
			[ -e "$b" ] && [ "$n" -gt 0 ] && cmp -s -n "$n" "$a" "$b" || bad="$bad $(basename "$a")"
		done
		if [ -n "$bad" ]; then
			echo "FAIL $name: boot image bytes differ:$bad"; fail=$((fail + 1)); continue
		fi
		echo "ok   $name: $(echo "$src" | wc -l) entries ($(echo "$src" | awk '{print $1}' | paste -sd,))"
		pass=$((pass + 1))
	done < <(find "$root" -type f | sort)
	echo "$2 rebuild: $pass passed, $fail failed, $skip refused by our reader"
	[ $fail -eq 0 ] && [ $pass -ge "$3" ]
}
rc=0
sweep "$data" shipped 6 || rc=1
if [ -d "$W2C_CORPUS/iso" ]; then sweep "$W2C_CORPUS/iso" corpus 1 || rc=1
else echo "# corpus sweep not run: no $W2C_CORPUS/iso (the shipped images did run)"; fi
exit $rc
