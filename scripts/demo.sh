#!/bin/bash
# The main job on the bundled samples, from a fresh Debian 12 machine:
# set up, build, make the sample Windows-like ISO, inspect and unpack it,
# generate an answer file, rebuild the ISO with it (streamed, BIOS + UEFI),
# verify it against the source and boot it (QEMU), and run the cloud's constraint checks.  (Driver injection,
# upload and registration need a virtio-win source and a cloud; see README.)
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
echo "== win2cloud unattend new (password from a 0600 file) -> samples/out/autounattend.xml"
(umask 077; printf 'Demo!Pass2026\n' > samples/out/admin.pw)
$w2c unattend new --edition 1 --firmware bios --rdp --admin-password-file samples/out/admin.pw \
	-o samples/out/autounattend.xml
echo "== win2cloud build samples/out/win.iso -o samples/out/cloud.iso --add /autounattend.xml=..."
$w2c build samples/out/win.iso -o samples/out/cloud.iso --add /autounattend.xml=samples/out/autounattend.xml
echo "== win2cloud verify samples/out/cloud.iso --against samples/out/win.iso --allow-edit /autounattend.xml --boot bios,uefi"
$w2c verify samples/out/cloud.iso --against samples/out/win.iso --allow-edit /autounattend.xml --boot bios,uefi
echo "== win2cloud check samples/out/cloud.iso --profile otc"
rc=0; $w2c check samples/out/cloud.iso --profile otc || rc=$?
echo "== done: check exit status $rc (0 = no violations, 3 = violations listed above)"
