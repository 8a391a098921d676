#!/bin/bash
# The main job on the bundled samples, from a fresh Debian 12 machine:
# set up, build, make the sample Windows-like ISO and the sample driver source,
# then run samples/pipelines/demo.yaml: inspect, inject the VirtIO drivers (into
# $WinPEDriver$ and, offline, into install.wim's files and registry) with a
# generated answer file, verify (files, boot catalog, BIOS and UEFI boots in QEMU),
# check the cloud's constraints, and upload (to a local directory standing in for
# OBS; uploading to OBS/S3 and registering with IMS/Glance need a cloud: see the
# other pipelines in samples/pipelines/ and the README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 >/dev/null
export W2C_MKHIVE=$PWD/build/tests/w2c_mkhive
bash samples/make-sample-iso.sh samples/out
bash samples/make-sample-drivers.sh samples/out/drivers
(umask 077; printf 'Demo!Pass2026\n' > samples/out/admin.pw)
rm -rf samples/out/pipeline
w2c=build/win2cloud
echo "== win2cloud drivers samples/out/drivers --for samples/out/win.iso (which folder per edition)"
$w2c drivers samples/out/drivers --for samples/out/win.iso --driver viostor --driver vioscsi --driver NetKVM \
	| grep -v 'none: no-folder'
echo "== win2cloud run samples/pipelines/demo.yaml"
$w2c run samples/pipelines/demo.yaml
echo "== win2cloud run samples/pipelines/demo.yaml (again: every stage is skipped)"
$w2c run samples/pipelines/demo.yaml
echo "== done: samples/out/pipeline/win-inject.iso (+ .sha256, .drivers.json) is the cloud-ready ISO"
