#!/bin/bash
# Run one fuzz target: with libFuzzer (W2C_FUZZ=ON) for a bounded time over a
# copy of its seeds, else replay the seeds once.  Seeds per target come from
# the real third-party files shipped in tests/data, the wider corpus when present, and the
# generated fixtures (see seeds_for).
set -euo pipefail
bin=$1 name=$2
secs=${W2C_FUZZ_SECONDS:-30}
seeds_for() {
	case "$name" in
	fuzz_media) echo "$W2C_CORPUS/iso $W2C_SRC/tests/fuzz/seeds/media" ;;
	fuzz_wimxml) echo "$W2C_CORPUS/wimxml $W2C_SRC/tests/fuzz/seeds/wimxml" ;;
	fuzz_unattend) s=$W2C_BUILD/seeds-unattend; rm -rf "$s"; mkdir -p "$s"; for r in "$W2C_SRC/tests/data/unattend" "$W2C_CORPUS/unattend"; do find "$r" -type f 2>/dev/null | while read -r f; do cp "$f" "$s/$(echo "${f#"$r"/}" | tr / _)"; done; done; echo "$s $W2C_SRC/tests/fuzz/seeds/unattend" ;; # corpus names repeat: flatten to unique names (a corpus copy of a shipped file overwrites it)
	fuzz_inf) echo "$W2C_SRC/tests/data/inf $W2C_CORPUS/inf/virtio-win-old-drivers/Win8/amd64 $W2C_CORPUS/inf/reactos/media/inf $W2C_CORPUS/inf/imx-iotcore $W2C_CORPUS/inf/DMF $W2C_SRC/tests/fuzz/seeds/inf" ;;
	*) echo "$W2C_SRC/tests/fuzz/seeds/${name#fuzz_}" ;;
	esac
}
dirs=()
for d in $(seeds_for); do [ -e "$d" ] && dirs+=("$d"); done
if [ ${#dirs[@]} -eq 0 ]; then
	echo "SKIP: no seed inputs for $name (looked in: $(seeds_for))"
	exit 77
fi
if [ "${W2C_FUZZ:-OFF}" = ON ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	for d in "${dirs[@]}"; do
		# seeds of several folders share names (Win7/ and Win8/ INFs): each gets a name from its path
		find "$d" -type f -size -16M | while IFS= read -r f; do
			cp "$f" "$work/$(printf '%s' "$f" | sha1sum | cut -c1-16)"
		done
	done
	# -error_exitcode: libFuzzer reports crashes as 77, which ctest would count as a skip.
	# -detect_leaks=0: libisofs 1.5.4 leaks inside iso_image_import on some malformed
	# images (third-party, not ours); ASan still catches every memory error.
	ASAN_OPTIONS=detect_leaks=0 "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -max_len=1048576 \
		-error_exitcode=1 -detect_leaks=0 -artifact_prefix="${W2C_BUILD:-.}/fuzz-artifacts-" "$work"
else
	"$bin" "${dirs[@]}"
fi
