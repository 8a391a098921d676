#!/bin/bash
# Set up a fresh Debian 12 machine and run every test:
#   1. a normal build (-Werror) and ctest;
#   2. an ASan+UBSan build with clang, libFuzzer targets run for a bounded time;
#   3. a ThreadSanitizer build with clang, running the tests whose code runs threads (upload
#      workers, hashing passes and lookahead, the build's hash thread, verify, servicing).
# It ends with the number of skipped tests of each configuration and the reason each printed
# (scripts/skipped.py); the exit status is non-zero when any test failed.
# Usage: scripts/test.sh            (all three)
#        W2C_TEST_CONFIGS="normal thread" scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
jobs=${W2C_JOBS:-2}
configs=${W2C_TEST_CONFIGS:-"normal sanitize thread"}
rc=0
summaries=()
for cfg in $configs; do
	case $cfg in
	normal)
		dir=build
		cmake -S . -B $dir -DCMAKE_BUILD_TYPE=RelWithDebInfo -DW2C_WERROR=ON >/dev/null ;;
	sanitize)
		dir=build-asan
		CC=clang cmake -S . -B $dir -DCMAKE_BUILD_TYPE=Debug -DW2C_WERROR=ON \
			-DW2C_SANITIZE=ON -DW2C_FUZZ=ON >/dev/null ;;
	thread)
		dir=build-tsan
		CC=clang cmake -S . -B $dir -DCMAKE_BUILD_TYPE=Debug -DW2C_WERROR=ON -DW2C_TSAN=ON \
			-DW2C_S3_PORT=18280 >/dev/null ;;
	*) echo "unknown config $cfg" >&2; exit 2 ;;
	esac
	echo "=== $cfg: build ($dir)"
	cmake --build $dir -j"$jobs"
	echo "=== $cfg: ctest"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
	sel=()
	[ $cfg = thread ] && sel=(-R 'upload|build_(boot|unpacked)|inject|verify|run|unit\.test_(md5x8|build)')
	rm -f $dir/ctest-junit.xml
	(cd $dir && ctest --output-on-failure -j"$jobs" --timeout 1500 --output-junit "$PWD/ctest-junit.xml" \
		"${sel[@]}") || rc=1
	summaries+=("$cfg:$dir/ctest-junit.xml")
done
echo "=== skipped tests"
for s in "${summaries[@]}"; do
	python3 scripts/skipped.py "${s%%:*}" "${s#*:}" || rc=1
done
exit $rc
