#!/bin/bash
# Benchmark: `win2cloud unpack` of a >= 4 GiB Windows-like fixture against
# `7z x` and `cp` of the same image, in one run; prints the ratios.
# usage: tests/bench/bench_unpack.sh [BUILD_DIR] [SIZE_MB]   (needs ~3x SIZE of free disk)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
size=${2:-4400}
work=${W2C_BENCH_DIR:-$(mktemp -d /var/tmp/w2c-bench.XXXXXX)}
trap 'rm -rf "$work"' EXIT
W2C_MKHIVE=$build/tests/w2c_mkhive W2C_FIXTURE_BIG_MB=$size W2C_FIXTURE_SMALL=${W2C_BENCH_SMALL:-0} \
	W2C_FIXTURE_NAME=big.iso bash "$top/tests/fixtures/mkfixture.sh" "$work/fx" >/dev/null
iso=$work/fx/big.iso
rm -rf "$work/fx/tree"
echo "image: $(stat -c %s "$iso") bytes"
t() { local s e; sync; s=$(date +%s.%N); "$@" >/dev/null; sync; e=$(date +%s.%N); echo "$e - $s" | bc; }
cat "$iso" > /dev/null # same (warm) cache state for all three
tcp=$(t cp "$iso" "$work/copy.iso"); rm -f "$work/copy.iso"
t7z=$(t 7z x -y -o"$work/7z" "$iso"); rm -rf "$work/7z"
tw=$(t "$build/win2cloud" -q unpack "$iso" "$work/w2c"); rm -rf "$work/w2c"
printf 'cp      %6.2f s\n7z x    %6.2f s\nunpack  %6.2f s\n' "$tcp" "$t7z" "$tw"
printf 'unpack/cp = %.2f   unpack/7z = %.2f\n' "$(echo "$tw / $tcp" | bc -l)" "$(echo "$tw / $t7z" | bc -l)"
