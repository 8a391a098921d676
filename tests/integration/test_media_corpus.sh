#!/bin/bash
# inspect + unpack on every image of the third-party corpus, compared with
# independent readers: 7z x for UDF trees, xorriso -osirrox for ISO 9660 /
# Joliet / Rock Ridge, xorriso -report_el_torito for boot entries.  Images our
# reader refuses must get exit 4 with one error line, and no reference reader
# may extract files from them.
set -uo pipefail
corpus=$W2C_CORPUS/iso
[ -d "$corpus" ] || { echo "SKIP: corpus not present at $corpus"; exit 77; }
for t in xorriso 7z xz gzip python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/setup.sh installs it)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0 skip=0
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
	timeout 120 python3 "$W2C_SRC/tests/integration/media_compare.py" "$W2C" "$img" "$d" | sed "s|$img|${f#$corpus/}|"
	rc=${PIPESTATUS[0]}
	cmp -s "$img" "$img.orig" || { echo "FAIL ${f#$corpus/}: source image was modified"; rc=1; }
	case $rc in 0) pass=$((pass + 1)) ;; 77) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;; esac
	rm -rf "$d"
done < <(find "$corpus" -type f | sort)
echo "corpus: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
