#!/bin/bash
# Benchmark: `win2cloud build` and `win2cloud inject` on a >= 5 GiB Windows-like
# fixture (install.wim >= 4 GiB, ~5,000 small files), against anchors measured
# in the same run:
#   build SRC.iso -o OUT.iso --add ... (default: UDF 1.02 + ISO 9660 + Joliet, the big WIM
#     kept whole, one pass)                                                       vs  cp   target <= 1.25x
#   inject --drivers (default, mkvirtio.sh tree)                                  vs  cp   target <= 1.25x
#   7z x + xorriso -as mkisofs of the same tree (classic route)  vs  inject      target >= 2.4x faster
#   peak RSS (wait4 ru_maxrss, the number /usr/bin/time -v prints)                target <= 128 MiB
#   bytes read from the source (/proc/PID/io rchar, read at exit before reaping) target <= 1.05x its size
#   also timed and printed: build --filesystems iso9660,joliet (no UDF, multi-extent),
#   build and inject --large-files split (stage + wimlib_split + stream)
# Page cache: every command runs warm (the image is read once before each run),
# which is what repeated runs see.  As root, `echo 3 > /proc/sys/vm/drop_caches`
# works on this machine; W2C_BENCH_COLD=1 drops the cache before every run
# instead (it slows the other jobs on a shared box).
# usage: tests/bench/bench_build.sh [BUILD_DIR] [BIG_MB] [SMALL_FILES]   (needs ~4x the image free)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
big=${2:-5300}
small=${3:-5000}
w2c=$build/win2cloud
for t in 7z xorriso python3 bc; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
work=${W2C_BENCH_DIR:-$(mktemp -d /var/tmp/w2c-bench.XXXXXX)}
trap 'rm -rf "$work"' EXIT
W2C_MKHIVE=$build/tests/w2c_mkhive W2C_FIXTURE_BIG_MB=$big W2C_FIXTURE_SMALL=$small \
	W2C_FIXTURE_NAME=big.iso bash "$top/tests/fixtures/mkfixture.sh" "$work/fx" >/dev/null
rm -rf "$work/fx/tree"
iso=$work/fx/big.iso
size=$(stat -c %s "$iso")
W2C_CORPUS=${W2C_CORPUS:-$top/../shared/corpus} bash "$top/tests/fixtures/mkvirtio.sh" "$work/virtio" >/dev/null
echo "added by the benchmark" > "$work/add.txt"
echo "image: $size bytes, $(find "$work/virtio" -type f | wc -l) driver files"

# run LABEL CMD...: wall seconds, peak RSS KiB, rchar; the child is waited for
# with WNOWAIT so its /proc/PID/io can be read after it exits, before reaping.
measure() {
	python3 - "$@" <<'PY'
import os, subprocess, sys, time
label, cmd = sys.argv[1], sys.argv[2:]
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
t1 = time.monotonic()
io = dict(l.split(": ") for l in open(f"/proc/{p.pid}/io").read().split("\n") if l)
_, status, ru = os.wait4(p.pid, 0)
if status:
    sys.exit(f"{label}: exit status {status >> 8}")
print(f"{t1 - t0:.3f} {ru.ru_maxrss} {io['rchar']} {io['read_bytes']}")
PY
}
prep() { # warm (or cold) cache, a clean output, data on disk before timing
	rm -rf "$work"/out* "$work/x.iso" "$work/tree"
	sync
	if [ "${W2C_BENCH_COLD:-0}" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; else cat "$iso" > /dev/null; fi
}
timed() { # LABEL CMD...: prints "secs rss rchar read_bytes", syncs the output inside the timing
	local r s e
	s=$(date +%s.%N); r=$(measure "$@"); sync; e=$(date +%s.%N)
	set -- $r
	echo "$(echo "$e - $s" | bc) $2 $3 $4"
}
prep; read -r tcp _ <<<"$(timed cp cp "$iso" "$work/x.iso")"
prep; read -r tb rssb rcb _ <<<"$(timed build "$w2c" -q build "$iso" -o "$work/out.iso" --add /sources/extra/add.txt="$work/add.txt")"
prep; read -r tio rssio rcio _ <<<"$(timed build-iso "$w2c" -q build "$iso" -o "$work/out.iso" --add /sources/extra/add.txt="$work/add.txt" --filesystems iso9660,joliet --large-files multi-extent)"
prep; read -r ts rsss rcs _ <<<"$(timed split "$w2c" -q build "$iso" -o "$work/out.iso" --add /sources/extra/add.txt="$work/add.txt" --large-files split)"
prep; read -r ti rssi rci _ <<<"$(timed inject "$w2c" -q inject "$iso" --drivers "$work/virtio" -o "$work/out.iso")"
prep; read -r tis _ <<<"$(timed inject-split "$w2c" -q inject "$iso" --drivers "$work/virtio" -o "$work/out.iso" --large-files split)"
prep
s=$(date +%s.%N)
7z x -y -o"$work/tree" "$iso" >/dev/null
xorriso -as mkisofs -quiet -o "$work/out.iso" -V CCCOMA_X64FRE_EN-US_DV9 -iso-level 3 -J -joliet-long \
	-b boot/etfsboot.com -no-emul-boot -boot-load-size 8 -eltorito-alt-boot \
	-e efi/microsoft/boot/efisys.bin -no-emul-boot "$work/tree" 2>/dev/null
sync; e=$(date +%s.%N); tcl=$(echo "$e - $s" | bc)
rm -rf "$work/tree" "$work"/out*
mib() { echo $(($1 / 1024)); }
printf 'cp                          %7.2f s\n' "$tcp"
printf 'build (default, UDF)        %7.2f s   peak RSS %4d MiB   read %.3fx the image\n' "$tb" "$(mib "$rssb")" "$(echo "$rcb / $size" | bc -l)"
printf 'build (no UDF, multi-ext.)  %7.2f s   peak RSS %4d MiB   read %.3fx the image\n' "$tio" "$(mib "$rssio")" "$(echo "$rcio / $size" | bc -l)"
printf 'build (--large-files split) %7.2f s   peak RSS %4d MiB   read %.3fx the image\n' "$ts" "$(mib "$rsss")" "$(echo "$rcs / $size" | bc -l)"
printf 'inject (default, UDF)       %7.2f s   peak RSS %4d MiB   read %.3fx the image\n' "$ti" "$(mib "$rssi")" "$(echo "$rci / $size" | bc -l)"
printf 'inject (--large-files split)%7.2f s\n' "$tis"
printf '7z x + xorriso -as mkisofs  %7.2f s\n' "$tcl"
printf 'build/cp = %.2f (target <= 1.25)   no-UDF build/cp = %.2f   split build/cp = %.2f\n' \
	"$(echo "$tb / $tcp" | bc -l)" "$(echo "$tio / $tcp" | bc -l)" "$(echo "$ts / $tcp" | bc -l)"
printf 'inject/cp = %.2f (target <= 1.25)   classic/inject = %.2f (target >= 2.4)   split inject/cp = %.2f\n' \
	"$(echo "$ti / $tcp" | bc -l)" "$(echo "$tcl / $ti" | bc -l)" "$(echo "$tis / $tcp" | bc -l)"
rss=$rssb; [ "$rssi" -gt "$rss" ] && rss=$rssi
rd=$rcb; [ "$rci" -gt "$rd" ] && rd=$rci
printf 'peak RSS %d MiB (target <= 128)   source read %.3fx (target <= 1.05)\n' "$(mib "$rss")" "$(echo "$rd / $size" | bc -l)"
