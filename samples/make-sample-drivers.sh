#!/bin/bash
# Make the sample driver source used by the demo: a virtio-win-layout tree
# (<Driver>/<os>/<arch>/) of viostor, vioscsi and NetKVM packages stamped from
# the INF templates in samples/drivers/ (written for this project), with
# placeholder .sys/.cat payloads.  Windows 10 / Server 2016-2022 folders carry
# the NTamd64.10.0 decoration; Windows 11 / Server 2025 NTamd64.10.0...22000.
# usage: make-sample-drivers.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: make-sample-drivers.sh OUTDIR}
rm -rf "$out"
# stamp TEMPLATE DRIVER OS DECORATION VERSION: write the INF with CRLF line ends, as shipped
stamp() {
	local name dir
	name=$(basename "$1" .inf.in)
	dir=$out/$2/$3/amd64
	mkdir -p "$dir"
	sed -e "s/@ARCH@/amd64/g" -e "s/@DECOR@/$4/g" -e "s|@DRIVERVER@|07/21/2024,$5|" \
		-e 's/$/\r/' "$1" > "$dir/$name.inf"
	printf 'placeholder %s.sys\r\n' "$name" > "$dir/$name.sys"
	printf 'placeholder %s.cat\r\n' "$name" > "$dir/$name.cat"
}
for os in 2k16 2k19 2k22 w10; do
	stamp "$here/drivers/viostor.inf.in" viostor $os .10.0 100.94.104.24800
	stamp "$here/drivers/vioscsi.inf.in" vioscsi $os .10.0 100.94.104.24800
	stamp "$here/drivers/netkvm.inf.in" NetKVM $os .10.0 100.94.104.24800
done
for os in w11 2k25; do
	stamp "$here/drivers/viostor.inf.in" viostor $os .10.0...22000 100.100.104.26200
	stamp "$here/drivers/vioscsi.inf.in" vioscsi $os .10.0...22000 100.100.104.26200
	stamp "$here/drivers/netkvm.inf.in" NetKVM $os .10.0...22000 100.100.104.26200
done
echo "sample drivers: $out"
