#!/bin/bash
# Benchmark: `win2cloud verify OUT --against SRC` (hashes every file on both sides
# plus the whole image for .sha256) against hashing the same bytes with
# `sha256sum` and `openssl dgst` in the same run; prints ratios and peak RSS.
# usage: tests/bench/bench_verify.sh [BUILD_DIR] [SIZE_MB]   (needs ~3x SIZE of free disk)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
size=${2:-2048}
work=${W2C_BENCH_DIR:-$(mktemp -d /var/tmp/w2c-bench.XXXXXX)}
trap 'rm -rf "$work"' EXIT
W2C_MKHIVE=$build/tests/w2c_mkhive W2C_FIXTURE_BIG_MB=$size W2C_FIXTURE_SMALL=${W2C_BENCH_SMALL:-2000} \
	W2C_FIXTURE_NAME=big.iso bash "$top/tests/fixtures/mkfixture.sh" "$work/fx" >/dev/null
src=$work/fx/big.iso
rm -rf "$work/fx/tree"
"$build/win2cloud" -q build "$src" -o "$work/out.iso"
echo "images: $(stat -c %s "$src") + $(stat -c %s "$work/out.iso") bytes"
t() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
cat "$src" "$work/out.iso" > /dev/null # same (warm) cache state for all
# verify reads SRC once and OUT twice (files, then the image for .sha256): the anchor
# hashes the same bytes with the stock tools.
tsum=$(t sha256sum "$src" "$work/out.iso" "$work/out.iso")
tossl=$(t openssl dgst -sha256 "$src" "$work/out.iso" "$work/out.iso")
/usr/bin/time -f '%M' -o "$work/rss" "$build/win2cloud" -q verify "$work/out.iso" --against "$src" >/dev/null
tv=$(t "$build/win2cloud" -q verify "$work/out.iso" --against "$src")
printf 'sha256sum (SRC, OUT, OUT)       %6.2f s\nopenssl dgst (SRC, OUT, OUT)    %6.2f s\nverify --against               %6.2f s (peak RSS %s KiB)\n' \
	"$tsum" "$tossl" "$tv" "$(cat "$work/rss")"
printf 'verify/sha256sum = %.2f   verify/openssl = %.2f\n' "$(echo "$tv / $tsum" | bc -l)" "$(echo "$tv / $tossl" | bc -l)"
