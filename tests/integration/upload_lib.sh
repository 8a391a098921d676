# Shared by tests/integration/test_upload_*.sh (sourced; not a test itself).
# Needs the Swift fixture (tests/services/swift.sh, started by ctest) and $W2C.
set -euo pipefail
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH   # Debian's python3/aws, not shims
SWIFT_ENV=${W2C_SWIFT_STATE:-/tmp/w2c-swift-$(id -u)-${W2C_S3_PORT:-18080}}/s3.env
if [ ! -f "$SWIFT_ENV" ]; then
	echo "SKIP: Swift s3api is not running ($SWIFT_ENV missing; tests/services/swift.sh start)"
	exit 77
fi
# shellcheck disable=SC1090
. "$SWIFT_ENV"
curl -sf -o /dev/null "$W2C_S3_ENDPOINT/healthcheck" || { echo "SKIP: Swift at $W2C_S3_ENDPOINT does not answer"; exit 77; }
export AWS_ACCESS_KEY_ID=$W2C_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$W2C_S3_SECRET
unset AWS_SESSION_TOKEN W2C_PROFILE
T=$(mktemp -d /tmp/w2c-upload-test.XXXXXX)
export W2C_CREDENTIALS_FILE=$T/no-credentials-file
ALL_OUT=$T/all-output.txt   # every output of every run, grepped for the secret at the end
trap 'rm -rf "$T"' EXIT
RUN_ID=$$-$RANDOM

count() { grep -c -- "$1" "$2" || true; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# w2c ARGS... : run the binary with -vv (debug log, where a leak would show), keep all output
w2c() {
	local rc=0
	"$W2C" -vv "$@" >"$T/out" 2>"$T/err" || rc=$?
	cat "$T/out" "$T/err" >>"$ALL_OUT"
	return $rc
}
json_field() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$T/out" "$1"; }
# swift_get KEY FILE : download through Swift's native API (tempauth), independent of our S3 code
swift_get() {
	local tok
	tok=$(curl -s -D - -o /dev/null -H "X-Auth-User: $W2C_S3_ACCESS_KEY" -H "X-Auth-Key: $W2C_S3_SECRET" \
		"${W2C_S3_ENDPOINT}/auth/v1.0" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
	curl -sf -H "X-Auth-Token: $tok" -o "$2" "$W2C_SWIFT_URL/$W2C_S3_BUCKET/$1"
}
# random file of SIZE MiB, made fast: random blocks from openssl, not /dev/urandom
mkrand() { # path MiB
	openssl enc -aes-128-ctr -nosalt -pass pass:"$RANDOM$1" -in <(head -c $(($2 * 1048576)) /dev/zero) -out "$1" 2>/dev/null
}
check_no_secret() {
	if grep -qF "$W2C_S3_SECRET" "$ALL_OUT"; then
		grep -nF "$W2C_S3_SECRET" "$ALL_OUT" | head -3
		fail "the secret key appears in the output"
	fi
	echo "ok: secret absent from $(wc -l <"$ALL_OUT") lines of output"
}
parts_done() { # FILE -> number of parts its checkpoint records
	local f
	f=$(ls "$1".w2c-upload-*.json 2>/dev/null | head -1)
	[ -n "$f" ] || { echo 0; return; }
	/usr/bin/python3 -c "import json,sys
try: print(len(json.load(open(sys.argv[1]))['parts']))
except Exception: print(0)" "$f"
}
wait_parts() { # FILE MIN_PARTS PID : wait until the checkpoint of FILE records MIN_PARTS parts
	local i
	for i in $(seq 1500); do
		[ "$(parts_done "$1")" -ge "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || fail "upload of $1 ended before $2 parts"
		sleep 0.1
	done
	fail "no checkpoint of $1 with $2 parts after 150 s"
}
# The helpers below use E=(--endpoint ...) from the test.
head_sha() { # KEY -> x-amz-meta-sha256 as awscli sees it
	/usr/bin/aws --endpoint-url "$W2C_S3_ENDPOINT" --region us-east-1 s3api head-object \
		--bucket "$W2C_S3_BUCKET" --key "$1" --query Metadata.sha256 --output text
}
md5_of_parts() { # FILE PART_MIB -> md5-of-md5s-N
	/usr/bin/python3 - "$1" "$2" <<'PY'
import hashlib, sys
d = open(sys.argv[1], 'rb').read(); ps = int(sys.argv[2]) << 20
m = [hashlib.md5(d[i:i + ps]).digest() for i in range(0, len(d), ps)]
print(hashlib.md5(b''.join(m)).hexdigest() + '-%d' % len(m))
PY
}
# traced RUN...: strace the pread64 calls into $T/st.txt (LeakSanitizer cannot run under ptrace)
traced() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=pread64 -o "$T/st.txt" "$@"
}
pread_bytes() { # strace log -> bytes returned by pread64
	awk '/pread64/ && $NF ~ /^[0-9]+$/ { s += $NF } END { print s + 0 }' "$1" # with "resumed>" lines
}
# bg_upload FILE URL MIN_PARTS ARGS... : start an upload in the background (pid in $BG) and return
# once its checkpoint records MIN_PARTS parts; bg_wait: its exit status, output kept in $T/bg.err
bg_upload() {
	local file=$1 url=$2 min=$3
	shift 3
	"$W2C" upload "$file" "$url" "${E[@]}" "$@" >"$T/bg.out" 2>"$T/bg.err" &
	BG=$!
	wait_parts "$file" "$min" $BG
}
bg_wait() {
	local rc=0
	wait "$BG" || rc=$?
	cat "$T/bg.out" "$T/bg.err" >>"$ALL_OUT"
	return $rc
}
check_object() { # FILE KEY PART_MIB : bytes, ETag and SHA-256 metadata of the object
	local sha
	sha=$(sha256sum <"$1" | cut -c1-64)
	[ "$(head_sha "$2")" = "$sha" ] || fail "$2: x-amz-meta-sha256 '$(head_sha "$2")' != $sha"
	swift_get "$2" "$T/back"
	cmp "$1" "$T/back" || fail "$2: object bytes differ"
	rm -f "$T/back"
}

