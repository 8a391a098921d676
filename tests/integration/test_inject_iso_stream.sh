#!/bin/bash
# needs-fixture: winiso
# inject with a virtio-win ISO as driver source streams the driver files from that ISO's extents
# at build time: peak memory stays flat while 96 MiB of drivers are placed, and every placed file
# is byte-identical to its source (and to an inject from the same tree as a directory).  The ISO
# source is made with xorriso (Rock Ridge + Joliet) and with genisoimage (UDF bridge).
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
for t in 7z xorriso genisoimage openssl /usr/bin/time python3; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
vw=$work/vw
bash "$W2C_SRC/tests/fixtures/mkvirtio.sh" "$vw" >/dev/null
# Two boot-critical drivers of 48 MiB each (random, so nothing can shrink them)
for d in viostor vioscsi; do
	openssl enc -aes-128-ctr -nosalt -pass pass:"w2c-$d" -in <(head -c $((48 << 20)) /dev/zero) \
		-out "$vw/$d/2k22/amd64/$d.sys" 2>/dev/null
done
xorriso -as mkisofs -quiet -r -J -iso-level 4 -o "$work/vw-rr.iso" "$vw" 2>/dev/null
genisoimage -quiet -udf -J -r -iso-level 4 -o "$work/vw-udf.iso" "$vw" 2>/dev/null

# the directory source is read in place: its peak memory is the baseline (ASan raises it)
/usr/bin/time -f '%M' -o "$work/rss" "$W2C" -q inject "$iso" --drivers "$vw" -o "$work/dir.iso" --edition 2
base=$(tail -1 "$work/rss")
7z x -y -o"$work/dir" "$work/dir.iso" '$WinPEDriver$' >/dev/null
for src in vw-rr vw-udf; do
	/usr/bin/time -f '%M' -o "$work/rss" "$W2C" -q inject "$iso" --drivers "$work/$src.iso" \
		-o "$work/$src-out.iso" --edition 2
	rss=$(tail -1 "$work/rss")
	# 96 MiB of drivers placed; a run that held them in memory peaks ~140 MiB above the baseline
	[ "$rss" -lt $((base + 32768)) ] || fail "$src: peak RSS ${rss} KiB (directory source ${base} KiB): driver files are held in memory"
	7z x -y -o"$work/$src" "$work/$src-out.iso" '$WinPEDriver$' >/dev/null
	diff -r --exclude=win2cloud-drivers.json "$work/dir" "$work/$src" || fail "$src: placed files differ"
	for d in viostor vioscsi; do
		cmp "$work/$src/\$WinPEDriver\$/$d/2k22_amd64/$d.sys" "$vw/$d/2k22/amd64/$d.sys" ||
			fail "$src: $d.sys differs from the source"
	done
	python3 - "$work/$src/\$WinPEDriver\$/win2cloud-drivers.json" "$work/$src.iso" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["packages"] and all(p["source"] == sys.argv[2] for p in m["packages"]), m["packages"][0]
PY
	echo "ok: $src: placed files byte-identical, peak RSS ${rss} KiB (directory source ${base} KiB) for 96 MiB of drivers"
done
