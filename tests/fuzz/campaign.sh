#!/bin/bash
# A fuzz campaign for one target: libFuzzer for SECONDS over its seeds (the
# same sources run_fuzz.sh uses), one job and one worker (the machine is
# shared), then the corpus it grew minimised with -merge=1 back into
# tests/fuzz/seeds/NAME, kept small (at most MAX_FILES files and MAX_KB KiB:
# the smallest inputs are kept first, as -merge=1 prefers them too).
# Prints the executions and libFuzzer's last cov/ft line.
# usage: campaign.sh BUILD_DIR TARGET [SECONDS]    (BUILD_DIR configured with
#        CC=clang -DW2C_FUZZ=ON -DW2C_SANITIZE=ON; TARGET e.g. fuzz_media)
# knobs: W2C_CAMPAIGN_MAX_LEN (default 262144), MAX_FILES (300), MAX_KB (2048)
set -euo pipefail
build=$(cd "${1:?usage: campaign.sh BUILD_DIR TARGET [SECONDS]}" && pwd)
target=${2:?usage: campaign.sh BUILD_DIR TARGET [SECONDS]}
secs=${3:-600}
src=$(cd "$(dirname "$0")/../.." && pwd)
bin=$build/tests/$target
name=${target#fuzz_}
seeds=$src/tests/fuzz/seeds/$name
max_len=${W2C_CAMPAIGN_MAX_LEN:-262144}
max_files=${MAX_FILES:-300} max_kb=${MAX_KB:-2048}
[ -x "$bin" ] || { echo "campaign: $bin not built (configure $build with -DW2C_FUZZ=ON)"; exit 2; }
export W2C_CORPUS=${W2C_CORPUS:-$src/../shared/corpus} W2C_SRC=$src W2C_BUILD=$build
work=$build/campaign/$target
merge_only=${W2C_CAMPAIGN_MERGE_ONLY:-0} # 1: only merge the corpus an earlier run grew
if [ "$merge_only" = 1 ]; then
	[ -d "$work/corpus" ] || { echo "campaign: no corpus in $work to merge"; exit 2; }
	rm -rf "$work/merged"; mkdir -p "$work/merged"
	[ -f "$work/start.sha1" ] || (cd "$work/corpus" && find . -type f -regextype posix-extended ! -regex '\./[0-9a-f]{40}' \
		-exec sha1sum {} + | cut -c1-40) > "$work/start.sha1"
else
rm -rf "$work"; mkdir -p "$work/corpus" "$work/merged"
# the starting inputs: what run_fuzz.sh would give this target
starts=$(W2C_FUZZ=ON bash -c "source <(sed -n '/^seeds_for()/,/^}/p' '$src/tests/fuzz/run_fuzz.sh'); name=$target; seeds_for")
for d in $starts; do
	[ -d "$d" ] && find "$d" -type f -size -16M -exec cp -t "$work/corpus" {} + 2>/dev/null || true
done
# the starting inputs by content: kept out of the seeds (run_fuzz.sh reads the third-party
# corpus in place; only what the campaign grew is ours to keep)
(cd "$work/corpus" && sha1sum -- * 2>/dev/null | cut -c1-40) > "$work/start.sha1"
fi
cd "$work"
# -detect_leaks=0: libisofs 1.5.4 leaks inside iso_image_import on malformed images
[ "$merge_only" = 1 ] || ASAN_OPTIONS=detect_leaks=0 "$bin" corpus -max_total_time="$secs" \
	-jobs=1 -workers=1 -rss_limit_mb=2048 -timeout=20 -max_len="$max_len" -detect_leaks=0 \
	-print_final_stats=1 -artifact_prefix="$work/crash-" >/dev/null 2>&1 || true
log=$work/fuzz-0.log
last=$(grep -E '#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
crashes=$(find "$work" -maxdepth 1 -name 'crash-*' | wc -l)
# minimise: merge what grew into an empty set, then keep it within the budget
ASAN_OPTIONS=detect_leaks=0 "$bin" -merge=1 -max_len="$max_len" -detect_leaks=0 merged corpus \
	>"$work/merge.log" 2>&1
rm -rf "$seeds.new"; mkdir -p "$seeds.new"
total=0 n=0
# hand-made seeds (named, not libFuzzer hashes) stay, and count against the budget
for f in "$seeds"/*; do
	[ -f "$f" ] && ! [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]] || continue
	cp "$f" "$seeds.new/"; total=$((total + $(stat -c %s "$f"))) n=$((n + 1))
done
while read -r size f; do
	grep -qx "$(basename "$f")" "$work/start.sha1" 2>/dev/null && continue
	[ $n -lt "$max_files" ] && [ $((total + size)) -le $((max_kb * 1024)) ] || continue
	cp "$f" "$seeds.new/"; total=$((total + size)) n=$((n + 1))
done < <(find merged -type f -printf '%s %p\n' | sort -n)
rm -rf "$seeds"; mv "$seeds.new" "$seeds"
echo "$target: $secs s, executions ${execs:-?}, crashes $crashes, last: $last"
echo "$target: seeds kept $(ls "$seeds" | wc -l) files, $(du -sk "$seeds" | cut -f1) KiB in $seeds"
[ "$crashes" = 0 ]
