#!/bin/bash
# build with a > 4 GiB install.wim (4.4 GiB, uncompressed WIM of 1 GiB files):
#   default (UDF written): install.wim kept whole, 7z extracts it from the UDF tree
#     byte-identical and `wimlib-imagex verify` passes, in the bridge and --udf-only;
#   --large-files split: sources/install.swm + install2.swm, each < 4 GiB, reported;
#     `wimlib-imagex info` sees a 2-part set, `verify` checks every blob's SHA-1,
#     and `dir --detailed` of all 4 images (paths, attributes, times, hashes,
#     sizes) equals the original WIM's;
#   multi-extent: sources/install.wim kept whole, byte-identical.
# inject --level image services that WIM and splits it (the serviced set verifies, has the
# drivers and hive entries in every image, and passes verify --against the source).
# Also: SIGKILL during the split leaves no OUT.iso, and the scratch files of a
# killed build are swept by the next one.  Needs ~25 GB free (W2C_BIG_DIR,
# default /var/tmp); skipped otherwise.
set -euo pipefail
for t in wimlib-imagex 7z genisoimage openssl hivexget; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
base=${W2C_BIG_DIR:-/var/tmp}
free=$(df -P -k "$base" | awk 'NR==2{print int($4/1048576)}')
[ "$free" -ge 25 ] || { echo "SKIP: $base has $free GiB free, this test needs 25 GiB: free space there or set W2C_BIG_DIR to a directory on a larger filesystem"; exit 77; }
work=$(mktemp -d "$base/w2c-large.XXXXXX"); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
W2C_FIXTURE_BIG_MB=4400 W2C_FIXTURE_NAME=big.iso bash "$W2C_SRC/tests/fixtures/mkfixture.sh" "$work/fx" >/dev/null
rm -rf "$work/fx/tree"
iso=$work/fx/big.iso
7z x -y -o"$work/orig" "$iso" sources/install.wim >/dev/null
wimsize=$(stat -c %s "$work/orig/sources/install.wim")
[ "$wimsize" -gt 4294967296 ] || fail "fixture install.wim is only $wimsize bytes"
listing() { for i in 1 2 3 4; do wimlib-imagex dir "$@" $i --detailed | grep -E '^(Full Path|Hash|Uncompressed size|Last Write Time|Attributes) '; done; }
listing "$work/orig/sources/install.wim" > "$work/orig.lst"

# --- default with UDF: kept whole, read back from the UDF tree by 7z and by the project's reader
for layout in bridge udf-only; do
	opt=(); [ $layout = udf-only ] && opt=(--udf-only)
	"$W2C" -q build "$iso" -o "$work/udf.iso" "${opt[@]}"
	7z l "$work/udf.iso" > "$work/udf.l"
	grep -q '^Type = Udf' "$work/udf.l" || fail "$layout: 7z does not read UDF"
	7z x -y -o"$work/u" "$work/udf.iso" sources/install.wim > "$work/7z.log" 2>&1 || fail "$layout: 7z x: $(cat "$work/7z.log")"
	grep -qi 'error\|warning' "$work/7z.log" && fail "$layout: 7z complains: $(cat "$work/7z.log")"
	cmp "$work/orig/sources/install.wim" "$work/u/sources/install.wim" || fail "$layout: install.wim differs in UDF"
	ver=$(wimlib-imagex verify "$work/u/sources/install.wim" 2>&1 | tail -c 300)
	grep -q 'successfully verified' <<<"$ver" || fail "$layout: wimlib-imagex verify: $ver"
	"$W2C" -q verify "$work/udf.iso" --against "$iso" || fail "$layout: verify --against the source"
	rm -rf "$work/u" "$work/udf.iso"*
	echo "UDF $layout: 4.4 GiB install.wim kept whole, 7z byte-identical, wimlib verify, verify --against"
done

# --- split
TMPDIR=$work "$W2C" --json build "$iso" -o "$work/split.iso" --large-files split > "$work/split.json" 2>"$work/split.events"
for st in stage split build; do # JSON-lines progress of every phase
	grep -q "\"stage\":\"$st\"" "$work/split.events" || fail "no $st progress events: $(head -c 300 "$work/split.events")"
done
python3 - "$work/split.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["split_files"] == 1, d
assert any("split into install.swm" in n and "2 parts" in n for n in d["notes"]), d["notes"]
PY
ls -A "$work" | grep -q '^\.w2c-split' && fail "scratch directory left in $work"
7z x -y -o"$work/s" "$work/split.iso" sources >/dev/null
[ ! -e "$work/s/sources/install.wim" ] || fail "install.wim still present next to the split set"
for p in install.swm install2.swm; do
	sz=$(stat -c %s "$work/s/sources/$p") || fail "$p missing"
	[ "$sz" -lt 4294967296 ] || fail "$p is $sz bytes"
done
[ ! -e "$work/s/sources/install3.swm" ] || fail "unexpected third part"
# (output captured first: grep -q on a pipe would SIGPIPE the writer under pipefail)
info1=$(wimlib-imagex info "$work/s/sources/install.swm"); info2=$(wimlib-imagex info "$work/s/sources/install2.swm")
grep -q 'Part Number: *1/2' <<<"$info1" || fail "wimlib does not see part 1/2: $info1"
grep -q 'Part Number: *2/2' <<<"$info2" || fail "wimlib does not see part 2/2: $info2"
ver=$(wimlib-imagex verify "$work/s/sources/install.swm" --ref="$work/s/sources/install*.swm" 2>&1 | tail -c 300)
grep -q 'successfully verified' <<<"$ver" || fail "wimlib-imagex verify of the split set: $ver"
listing "$work/s/sources/install.swm" --ref="$work/s/sources/install*.swm" > "$work/split.lst"
cmp -s "$work/orig.lst" "$work/split.lst" || fail "split set lists other files/hashes than the original"
rm -rf "$work/s" "$work/split.iso"*
echo "split: 2 parts < 4 GiB, verified, same files and hashes as the original"

# --- multi-extent
"$W2C" -q build "$iso" -o "$work/multi.iso" --large-files multi-extent
7z x -y -o"$work/m" "$work/multi.iso" sources/install.wim >/dev/null
cmp "$work/orig/sources/install.wim" "$work/m/sources/install.wim" || fail "multi-extent install.wim differs"
rm -rf "$work/m" "$work/multi.iso"*
echo "multi-extent: install.wim kept whole and identical"

# --- inject --level image on the > 4 GiB install.wim (split): the serviced WIM is
# staged, serviced, split into parts < 4 GiB; the set verifies, every image has the drivers
# and the SYSTEM hive entries, and verify --against the source passes
(cd "$work" && bash "$W2C_SRC/tests/fixtures/mkvirtio.sh" vw >/dev/null)
TMPDIR=$work "$W2C" -q inject "$iso" --drivers "$work/vw" --level image -o "$work/svc.iso" --large-files split ||
	fail "inject --level image of the large WIM"
ls -A "$work" | grep -q '^\.w2c-' && fail "servicing scratch left in $work"
7z x -y -o"$work/v" "$work/svc.iso" sources >/dev/null
for p in install.swm install2.swm; do
	sz=$(stat -c %s "$work/v/sources/$p") || fail "serviced: $p missing"
	[ "$sz" -lt 4294967296 ] || fail "serviced: $p is $sz bytes"
done
ver=$(wimlib-imagex verify "$work/v/sources/install.swm" --ref="$work/v/sources/install*.swm" 2>&1 | tail -c 300)
grep -q 'successfully verified' <<<"$ver" || fail "serviced split set does not verify: $ver"
for i in 1 2 3 4; do
	wimlib-imagex dir "$work/v/sources/install.swm" $i --ref="$work/v/sources/install*.swm" > "$work/v/dir$i"
	grep -qx /Windows/Drivers/VirtIO/viostor.inf "$work/v/dir$i" || fail "serviced image $i lacks the drivers"
done
wimlib-imagex extract "$work/v/sources/install.swm" 1 /Windows/System32/config/SYSTEM \
	--ref="$work/v/sources/install*.swm" --dest-dir="$work/v/x1" --no-acls >/dev/null
[ "$(hivexget "$work/v/x1/SYSTEM" '\ControlSet001\Services\viostor' Start)" = 0 ] ||
	fail "serviced image 1: viostor is not a boot-start service"
"$W2C" -q verify "$work/svc.iso" --against "$iso" || fail "verify of the serviced large ISO"
rm -rf "$work/v" "$work/svc.iso"* "$work/vw"
echo "inject --level image: serviced 4.4 GiB install.wim split in 2 parts, verified, drivers in all 4 images"

# --- SIGINT while staging / splitting / writing: exit 6, nothing left at all
mkdir "$work/i"
for delay in 1 6 15; do
	TMPDIR=$work/i "$W2C" -q build "$iso" -o "$work/i/out.iso" --large-files split & pid=$!
	sleep $delay; kill -INT $pid 2>/dev/null || true
	rc=0; wait $pid || rc=$?
	left=$(ls -A "$work/i")
	if [ $rc = 0 ]; then rm -f "$work/i"/out.iso*; continue; fi # finished before the signal
	[ $rc = 6 ] && [ -z "$left" ] || fail "SIGINT after ${delay}s: rc $rc, left: $left"
	echo "SIGINT after ${delay}s: exit 6, nothing left"
done

# --- kill -9 while staging / splitting / writing: no OUT.iso; stale scratch swept by the next build
mkdir "$work/k"
for delay in 1 5 12; do
	TMPDIR=$work/k "$W2C" -q build "$iso" -o "$work/k/out.iso" --large-files split & pid=$!
	sleep $delay; kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
	[ ! -e "$work/k/out.iso" ] || fail "killed build (after ${delay}s) left out.iso"
	ls -A "$work/k" | grep -v '^\.w2c-split\.' | grep -q . && fail "killed build left: $(ls -A "$work/k")"
	echo "killed after ${delay}s: left $(ls -A "$work/k" | wc -l) scratch entries"
done
"$W2C" -q build "$iso" -o "$work/k/out.iso" --large-files multi-extent --remove /sources/install.wim
[ "$(ls -A "$work/k" | grep -c '^\.w2c-split')" = 0 ] || fail "stale scratch not swept: $(ls -A "$work/k")"
echo "build large: all checks passed"
