#!/bin/bash
# Fuzz campaign for the answer-file and pipeline parsers (issue 15, "Done
# when"): each target runs for W2C_FUZZ_SECONDS (default 600) with one job
# and one worker (the machine is shared), over its seeds plus the
# third-party corpus; the corpus it grew is then minimised with -merge=1
# into tests/fuzz/seeds/<target>/, so the seeds only gain inputs that add
# coverage.  The last "#N ... cov: ... ft: ..." line of each log is the
# result.  Needs a W2C_FUZZ=ON (clang, libFuzzer) build dir.
#   usage: tests/fuzz/campaign_out.sh BUILD_DIR [TARGET...]
#   (default targets: fuzz_unattend fuzz_pipeline)
set -euo pipefail
build=$(cd "${1:?usage: campaign_out.sh BUILD_DIR [TARGET...]}" && pwd)
shift
src=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${W2C_CORPUS:-$src/../shared/corpus}
secs=${W2C_FUZZ_SECONDS:-600}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_unattend fuzz_pipeline)

for t in "${targets[@]}"; do
	bin=$build/tests/$t
	[ -x "$bin" ] || bin=$build/$t
	[ -x "$bin" ] || { echo "$t: no libFuzzer binary in $build (configure with -DW2C_FUZZ=ON, CC=clang)"; exit 1; }
	seeds=$src/tests/fuzz/seeds/${t#fuzz_}
	work=$(mktemp -d)
	logdir=$build/fuzz-campaign/$t
	rm -rf "$logdir"
	mkdir -p "$logdir" "$seeds"
	cp "$seeds"/* "$work"/ 2>/dev/null || true
	if [ "$t" = fuzz_unattend ] && [ -d "$corpus/unattend" ]; then
		# corpus names repeat in different folders: flatten to unique names
		find "$corpus/unattend" -type f -size -1024k | while read -r f; do
			cp "$f" "$work/corpus_$(echo "${f#"$corpus"/unattend/}" | tr / _)"
		done
	fi
	echo "== $t: ${secs}s over $(ls "$work" | wc -l) inputs; log $logdir/fuzz-0.log"
	# -jobs=1 -workers=1: one fuzzing process, its output in fuzz-0.log
	(cd "$logdir" && ASAN_OPTIONS=detect_leaks=1 "$bin" -jobs=1 -workers=1 \
		-max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -max_len=65536 \
		-artifact_prefix="$logdir/crash-" "$work") || true
	grep -E '^#[0-9]+.*(DONE|cov:)' "$logdir/fuzz-0.log" | tail -1
	if ls "$logdir"/crash-* >/dev/null 2>&1; then
		echo "$t: CRASH: $(ls "$logdir"/crash-*)"; exit 1
	fi
	# keep only what adds coverage: the named seeds stay, the grown corpus is
	# minimised with -merge=1 (at most 8 KiB per input considered) into
	# sha1-named files; the third-party files stay in the corpus (run_fuzz.sh
	# reads them from there)
	rm -f "$work"/corpus_*
	min=$(mktemp -d)
	before=$(ls "$seeds" | wc -l)
	ASAN_OPTIONS=detect_leaks=0 "$bin" -merge=1 -max_len=8192 "$min" "$seeds" "$work" >"$logdir/merge.log" 2>&1
	find "$seeds" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
	for f in "$min"/*; do
		[ -e "$f" ] || continue
		dup=no
		for g in "$seeds"/*; do cmp -s "$f" "$g" && dup=yes && break; done
		[ $dup = yes ] || cp "$f" "$seeds/"
	done
	echo "$t: seeds $before -> $(ls "$seeds" | wc -l) ($(du -sh "$seeds" | cut -f1))"
	rm -rf "$min"
	rm -rf "$work"
done
