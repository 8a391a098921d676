#!/bin/bash
# Build the Debian package from this tree: a Release build in build-deb/,
# then cpack -G DEB (runtime dependencies computed by dpkg-shlibdeps, the
# tools the stages run as Recommends, see cmake/W2CInstall.cmake).
# Prints the path of the .deb on the last line of stdout.
# usage: scripts/build-deb.sh [BUILD_DIR]      (default: build-deb in the tree)
# env:   W2C_DEB_JOBS=N  parallel build jobs (default 2)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-deb}
for t in cmake cpack dpkg-shlibdeps lowdown file; do
	command -v "$t" >/dev/null || { echo "build-deb: $t not found: run scripts/setup.sh (scripts/packages.txt)" >&2; exit 1; }
done
# The tests are not part of the package; /usr is Debian's prefix (and makes
# GNUInstallDirs pick the multiarch libdir).
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
	-DW2C_TESTS=OFF -DW2C_MAN=ON >&2
cmake --build "$build" -j"${W2C_DEB_JOBS:-2}" >&2
# A stale package of an earlier version must not be mistaken for this one.
rm -f "$build"/win2cloud_*.deb
(cd "$build" && cpack -G DEB) >&2
deb=$(ls "$build"/win2cloud_*.deb)
[ "$(wc -l <<<"$deb")" -eq 1 ] || { echo "build-deb: expected one .deb in $build, found: $deb" >&2; exit 1; }
echo "$deb"
