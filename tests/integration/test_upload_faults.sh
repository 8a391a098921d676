#!/bin/bash
# needs-fixture: swift
# resource-lock: swift
# Faults on a real Swift s3api: the proxy server stopped mid-upload and restarted (retries, then
# success), and a part corrupted in transit by a fault-injecting proxy (BadDigest, resent).
# Both with the single read (--sha256-meta after): parts are resent from the worker's buffer; the
# hashing-first path (auto on Swift) sends from the file and is covered by the other upload tests.
. "$(dirname "$0")/upload_lib.sh"
B=s3://$W2C_S3_BUCKET/faults-$RUN_ID
SWIFT_SH=$W2C_SRC/tests/services/swift.sh
FPORT=$(( ${W2C_S3_PORT:-18080} + 10 ))

# --- server gone mid-upload, back 3 s later
mkrand "$T/a.bin" 200
"$W2C" -v --json upload "$T/a.bin" "$B/a.bin" --endpoint "$W2C_S3_ENDPOINT" --part-size 5M \
	--parallel 2 --retries 12 --sha256-meta after --verify >"$T/a.out" 2>"$T/a.err" &
pid=$!
for i in $(seq 300); do
	f=$(ls "$T"/a.bin.w2c-upload-*.json 2>/dev/null | head -1 || true)
	[ -n "$f" ] && grep -q '"3"' "$f" && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
kill -0 $pid 2>/dev/null || fail "upload finished before the server could be stopped"
"$SWIFT_SH" stop-proxy
sleep 3
"$SWIFT_SH" start-proxy
rc=0; wait $pid || rc=$?
cat "$T/a.out" "$T/a.err" >>"$ALL_OUT"
[ $rc = 0 ] || { tail -5 "$T/a.err"; fail "upload across a server restart: exit $rc"; }
grep -q "retry" "$T/a.err" || fail "no retry was logged while the server was down"
echo "ok: server restart survived ($(grep -c retry "$T/a.err") retries logged)"
swift_get "faults-$RUN_ID/a.bin" "$T/a.back"
cmp "$T/a.bin" "$T/a.back" || fail "object differs after the restart"

# --- part 3 corrupted in transit
/usr/bin/python3 "$W2C_SRC/tests/services/fault_proxy.py" "$FPORT" "${W2C_S3_PORT:-18080}" 3 "$T/proxy.pid" >"$T/proxy.log" 2>&1 &
ppid=$!
trap 'kill $ppid 2>/dev/null || true; rm -rf "$T"' EXIT
for i in $(seq 50); do [ -s "$T/proxy.pid" ] && break; sleep 0.1; done
mkrand "$T/c.bin" 30
w2c --json upload "$T/c.bin" "$B/c.bin" --endpoint "http://127.0.0.1:$FPORT" --part-size 5M \
	--sha256-meta after --verify ||
	{ tail -5 "$T/err"; fail "upload through the corrupting proxy"; }
grep -q "partNumber=3.* corrupted" "$T/proxy.log" || fail "the proxy corrupted nothing: $(cat "$T/proxy.log")"
grep -q "upload part 3 .*HTTP 400; retry" "$T/err" || fail "no BadDigest retry of part 3 logged"
[ "$(grep -c 'partNumber=3' "$T/proxy.log")" = 2 ] || fail "part 3 not sent exactly twice"
swift_get "faults-$RUN_ID/c.bin" "$T/c.back"
cmp "$T/c.bin" "$T/c.back" || fail "object differs after the corrupted part"
echo "ok: corrupted part rejected (BadDigest) and resent"
kill $ppid 2>/dev/null || true

check_no_secret
echo "PASS"
