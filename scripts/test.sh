#!/bin/bash
# Set up a fresh Debian 12 machine and run every test, twice:
#   1. a normal build (-Werror) and ctest;
#   2. an ASan+UBSan build with clang, libFuzzer targets run for a bounded time.
# Usage: scripts/test.sh            (both)
#        W2C_TEST_CONFIGS=normal scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
jobs=${W2C_JOBS:-2}
configs=${W2C_TEST_CONFIGS:-"normal sanitize"}
rc=0
for cfg in $configs; do
	case $cfg in
	normal)
		dir=build
		cmake -S . -B $dir -DCMAKE_BUILD_TYPE=RelWithDebInfo -DW2C_WERROR=ON >/dev/null ;;
	sanitize)
		dir=build-asan
		CC=clang cmake -S . -B $dir -DCMAKE_BUILD_TYPE=Debug -DW2C_WERROR=ON \
			-DW2C_SANITIZE=ON -DW2C_FUZZ=ON >/dev/null ;;
	*) echo "unknown config $cfg" >&2; exit 2 ;;
	esac
	echo "=== $cfg: build ($dir)"
	cmake --build $dir -j"$jobs"
	echo "=== $cfg: ctest"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	(cd $dir && ctest --output-on-failure -j"$jobs" --timeout 1500) || rc=1
done
exit $rc
