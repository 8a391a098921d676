#!/bin/bash
# The main job on the bundled samples, from a fresh Debian 12 machine:
# set up, build, make the sample Windows-like ISO, inspect it, unpack it.
# (Later stages - inject, build, check, upload, register - join as they land.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
export W2C_MKHIVE=$PWD/build/tests/w2c_mkhive
bash samples/make-sample-iso.sh samples/out
w2c=build/win2cloud
echo "== win2cloud inspect samples/out/win.iso"
$w2c inspect samples/out/win.iso
echo "== win2cloud unpack samples/out/win.iso samples/out/unpacked"
rm -rf samples/out/unpacked
$w2c unpack samples/out/win.iso samples/out/unpacked
echo "== done: $(find samples/out/unpacked -type f | wc -l) files in samples/out/unpacked"
