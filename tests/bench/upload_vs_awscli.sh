#!/bin/bash
# Benchmark: `win2cloud upload` vs `aws s3 cp` (Debian awscli) on the same file, same Swift s3api
# server, same part size and parallelism, in the same run.  Not part of ctest.
#
# Usage: tests/bench/upload_vs_awscli.sh [BUILD_DIR]   (env: BENCH_MIB=2048, BENCH_PART_MIB=8,
#        BENCH_PARALLEL=4, BENCH_ROUNDS=3, BENCH_W2C_ARGS="--sha256-meta after" for extra options)
# Prints per-run wall time, MiB/s and client CPU seconds (user+sys of the client process only,
# from /usr/bin/time), then the ratios: throughput win2cloud/awscli and CPU-per-GiB win2cloud/awscli,
# for two win2cloud runs per round:
#   plain:   a file without a sum: the SHA-256 metadata must be known at creation, so it hashes first;
#   sidecar: the file with FILE.sha256 beside it, as `win2cloud build`/`inject` write it (computed
#            on their write path at no extra read): one read, the claim checked before completion.
# The sidecar is made here with sha256sum before the timed runs (what build would have left).
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$here/build}
W2C=$build/win2cloud
MIB=${BENCH_MIB:-2048} PART=${BENCH_PART_MIB:-8} PAR=${BENCH_PARALLEL:-4} ROUNDS=${BENCH_ROUNDS:-3}
read -r -a XARGS <<<"${BENCH_W2C_ARGS:-}"
export W2C_S3_PORT=${W2C_S3_PORT:-18080}
export W2C_SWIFT_STATE=${W2C_SWIFT_STATE:-/tmp/w2c-bench-swift-$(id -u)}
[ -x "$W2C" ] || { echo "build first: $W2C missing" >&2; exit 1; }
[ -x /usr/bin/aws ] || { echo "awscli (Debian) missing: apt-get install awscli" >&2; exit 1; }

"$here/tests/services/swift.sh" start
trap '"$here/tests/services/swift.sh" stop-clean; rm -rf "$T"' EXIT
. "$W2C_SWIFT_STATE/s3.env"
export AWS_ACCESS_KEY_ID=$W2C_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$W2C_S3_SECRET AWS_DEFAULT_REGION=us-east-1
T=$(mktemp -d /tmp/w2c-bench.XXXXXX)
P=bench/$(date +%s)-$$ # fresh keys: an object left by an earlier run would make win2cloud skip the upload
F=$T/bench.bin
echo "bench: making a ${MIB} MiB random file"
openssl enc -aes-128-ctr -nosalt -pass pass:bench -in <(head -c $((MIB * 1048576)) /dev/zero) -out "$F" 2>/dev/null
(cd "$T" && sha256sum bench.bin >bench.bin.sha256) # what build/inject leave beside their output
cat "$F" >/dev/null # both tools read from the page cache

# awscli with the same part size and concurrency (its config file, not argv)
mkdir -p "$T/aws"
cat >"$T/aws/config" <<EOF
[default]
region = us-east-1
s3 =
  multipart_threshold = ${PART}MB
  multipart_chunksize = ${PART}MB
  max_concurrent_requests = $PAR
EOF
export AWS_CONFIG_FILE=$T/aws/config

run() { # name cmd... -> "wall cpu"
	local name=$1; shift
	/usr/bin/time -f "%e %U %S" -o "$T/time" "$@" >"$T/$name.out" 2>"$T/$name.err" ||
		{ cat "$T/$name.err" >&2; echo "bench: $name failed" >&2; exit 1; }
	awk '{printf "%s %.2f\n", $1, $2 + $3}' "$T/time"
}

declare -a W_WALL W_CPU S_WALL S_CPU A_WALL A_CPU
for r in $(seq "$ROUNDS"); do
	read -r wall cpu < <(run w2c "$W2C" -q upload "$F" "s3://$W2C_S3_BUCKET/$P/w2c-$r.bin" \
		--endpoint "$W2C_S3_ENDPOINT" --part-size ${PART}M --parallel "$PAR" --no-sidecar \
		${XARGS[@]+"${XARGS[@]}"})
	W_WALL+=("$wall"); W_CPU+=("$cpu")
	echo "round $r win2cloud (plain):   ${wall} s wall, ${cpu} s CPU"
	read -r wall cpu < <(run w2c "$W2C" -q upload "$F" "s3://$W2C_S3_BUCKET/$P/side-$r.bin" \
		--endpoint "$W2C_S3_ENDPOINT" --part-size ${PART}M --parallel "$PAR" ${XARGS[@]+"${XARGS[@]}"})
	S_WALL+=("$wall"); S_CPU+=("$cpu")
	echo "round $r win2cloud (sidecar): ${wall} s wall, ${cpu} s CPU"
	read -r wall cpu < <(run aws /usr/bin/aws --endpoint-url "$W2C_S3_ENDPOINT" s3 cp --only-show-errors \
		"$F" "s3://$W2C_S3_BUCKET/$P/aws-$r.bin")
	A_WALL+=("$wall"); A_CPU+=("$cpu")
	echo "round $r awscli:              ${wall} s wall, ${cpu} s CPU"
done

/usr/bin/python3 - "$MIB" "${W_WALL[*]}" "${W_CPU[*]}" "${S_WALL[*]}" "${S_CPU[*]}" "${A_WALL[*]}" "${A_CPU[*]}" <<'EOF'
import sys, statistics as st
mib = float(sys.argv[1]); gib = mib / 1024
ww, wc, sw, sc, aw, ac = ([float(x) for x in a.split()] for a in sys.argv[2:8])
a_wall, a_cpu = st.median(aw), st.median(ac) / gib
print(f"awscli:              {mib / a_wall:7.1f} MiB/s, {a_cpu:.2f} CPU s/GiB (median of {len(aw)})")
for name, w, c in (("plain", ww, wc), ("sidecar", sw, sc)):
    wall, cpu = st.median(w), st.median(c) / gib
    print(f"win2cloud ({name + '):':9} {mib / wall:7.1f} MiB/s, {cpu:.2f} CPU s/GiB; "
          f"throughput ratio {a_wall / wall:.2f} (goal >= 1.3), CPU ratio {cpu / a_cpu:.2f} (goal <= 0.5)")
EOF
