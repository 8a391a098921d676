#!/bin/bash
# Benchmark: `win2cloud inject --level image` (offline servicing of install.wim) on an ISO
# whose one-image install.wim holds MB megabytes of incompressible data plus the corpus
# Windows 10 SYSTEM hive, against anchors measured in the same run:
#   cp of the ISO                                       (the floor of any rebuild)
#   inject --level media                                (the streamed build with drivers)
#   wimlib-imagex export of the WIM (rewrites it whole) (what servicing by rewriting costs)
#   wimlib-imagex update of one hive-sized file         (the append route we take, minus the
#                                                        staging copy and the ISO build)
# Warm page cache.  Needs W2C_CORPUS (hives, INFs) and ~6x MB free.
# usage: tests/bench/bench_inject_image.sh [BUILD_DIR] [MB]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
mb=${2:-512}
w2c=$build/win2cloud
export W2C_CORPUS=${W2C_CORPUS:-$top/../shared/corpus}
for t in wimlib-imagex bc xz; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
[ -f "$W2C_CORPUS/hive/regipy/SYSTEM_WIN_10_1709.xz" ] || { echo "SKIP: corpus missing"; exit 77; }
work=$(mktemp -d /var/tmp/w2c-bench-image.XXXXXX); trap 'rm -rf "$work"' EXIT
cd "$work"
bash "$top/tests/fixtures/mkfixture.sh" fx >/dev/null
bash "$top/tests/fixtures/mkvirtio.sh" vw >/dev/null
mkdir -p t/Windows/System32/config t/Program
xz -dc "$W2C_CORPUS/hive/regipy/SYSTEM_WIN_10_1709.xz" > t/Windows/System32/config/SYSTEM
head -c $((mb << 20)) /dev/urandom > t/Program/blob
wimlib-imagex capture t install.wim "Windows 10 Pro" >/dev/null
wimlib-imagex info install.wim 1 --image-property WINDOWS/ARCH=9 --image-property WINDOWS/VERSION/MAJOR=10 \
	--image-property WINDOWS/VERSION/MINOR=0 --image-property WINDOWS/VERSION/BUILD=19045 >/dev/null
"$w2c" -q build fx/win.iso --add /sources/install.wim=install.wim -o src.iso
cat src.iso > /dev/null
t() { local s; s=$(date +%s.%N); "$@" >/dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
cp_s=$(t cp src.iso cp.iso); rm -f cp.iso
media_s=$(t "$w2c" -q inject src.iso --drivers vw --level media -o m.iso); rm -f m.iso*
image_s=$(t "$w2c" -q inject src.iso --drivers vw --level image -o i.iso)
"$w2c" -q verify i.iso --against src.iso >/dev/null || { echo "FAIL: verify"; exit 1; }
rm -f i.iso*
export_s=$(t wimlib-imagex export install.wim all x.wim); rm -f x.wim
cp install.wim u.wim
head -c 15M /dev/urandom > hive-sized.bin # new data (an identical hive would be deduplicated)
update_s=$(t wimlib-imagex update u.wim 1 --command="add hive-sized.bin /Windows/System32/config/SYSTEM")
rm -f u.wim
r() { echo "scale=2; $1 / $2" | bc; }
echo "install.wim $(stat -c %s install.wim) bytes, ISO $(stat -c %s src.iso) bytes"
printf '%-44s %8.2f s\n' "cp ISO" "$cp_s" "inject --level media" "$media_s" "inject --level image" "$image_s" \
	"wimlib-imagex export (rewrite whole)" "$export_s" "wimlib-imagex update (append)" "$update_s"
echo "inject --level image / cp:            $(r "$image_s" "$cp_s")x"
echo "inject --level image / export:        $(r "$image_s" "$export_s")x"
echo "inject --level image / media:         $(r "$image_s" "$media_s")x"
