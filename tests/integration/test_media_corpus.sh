#!/bin/bash
# inspect + unpack on every third-party image, compared with independent
# readers: 7z x for UDF trees, xorriso -osirrox for ISO 9660 / Joliet / Rock
# Ridge, xorriso -report_el_torito for boot entries.  Images our reader refuses
# must get exit 4 with one error line, and no reference reader may extract
# files from them.  The images shipped in tests/data/iso always run; the wider
# corpus ($W2C_CORPUS/iso), when present, runs after them.
set -uo pipefail
data=${W2C_DATA:-$W2C_SRC/tests/data}/iso
[ -d "$data" ] || { echo "FAIL: no images at $data (tests/data of the repository)"; exit 1; }
for t in xorriso 7z xz gzip python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/setup.sh installs it)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# sweep ROOT LABEL MIN_PASS: every image under ROOT; fails on a mismatch or fewer than MIN_PASS agreeing
sweep() {
	local root=$1 pass=0 fail=0 skip=0 f img d rc
	while IFS= read -r f; do
		case "$f" in
		*/expected/*|*/INDEX) continue ;;
		esac
		img=$work/img
		case "$f" in
		*.xz) xz -dc "$f" > "$img" ;;
		*.Z) gzip -dc "$f" > "$img" ;;
		*) cp "$f" "$img" ;;
		esac
		cp "$img" "$img.orig"
		d=$(mktemp -d "$work/c.XXXXXX")
		timeout 120 python3 "$W2C_SRC/tests/integration/media_compare.py" "$W2C" "$img" "$d" | sed "s|$img|${f#$root/}|"
		rc=${PIPESTATUS[0]}
		cmp -s "$img" "$img.orig" || { echo "FAIL ${f#$root/}: source image was modified"; rc=1; }
		case $rc in 0) pass=$((pass + 1)) ;; 77) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;; esac
		rm -rf "$d"
	done < <(find "$root" -type f | sort)
	echo "$2: $pass passed, $fail failed, $skip unreadable by every reference reader"
	[ $fail -eq 0 ] && [ $pass -ge "$3" ]
}
rc=0
# 25: three empty util-linux UDF images (mkudffs 1.3, udfclient, mkudfiso) are read as the
# empty file systems udfinfo reports since the checked UDF walk reads 512-byte blocks and 2.01;
# 7z refuses them, so they count as unreadable by the reference reader, not as passes
sweep "$data" shipped 25 || rc=1
if [ -d "$W2C_CORPUS/iso" ]; then sweep "$W2C_CORPUS/iso" corpus 1 || rc=1
else echo "# corpus sweep not run: no $W2C_CORPUS/iso (the shipped images did run)"; fi
exit $rc
