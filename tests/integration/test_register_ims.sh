#!/bin/bash
# resource-lock: ims-contract-18110
# win2cloud register against the IMS/IAM contract server (tests/services/ims_contract_server.py):
# token and AK/SK auth, ISO and disk registration, job FAIL, throttling, token expiry mid-wait,
# signature mismatch (never retried), idempotent re-run, --replace, client-side validation,
# dry run; every request we send must pass the server's validation; no secret in any output.
set -uo pipefail
: "${W2C:?}" "${W2C_SRC:?}"
PORT=${W2C_IMS_PORT:-18110}
T=$(mktemp -d)
SRV_PID=
cleanup() { [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

PW="Pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SK="Sk$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
AK=QTWAOYTTINDUT2QVKYUC
PROJ=0123456789abcdef0123456789abcdef
OSV="Windows Server 2019 Datacenter 64bit"
SHA=$(printf 'fixture' | sha256sum | cut -c1-64)
# the server accepts exactly the client's built-in list (both spec lists)
python3 - "$T/cfg.json" "$PW" "$AK" "$SK" "$PROJ" <<'EOF'
import json, sys
osv = ["Windows 10 64bit", "Windows Server 2016 Datacenter 64bit", "Windows Server 2019 Datacenter 64bit",
       "Windows Server 2022 Datacenter 64bit", "Windows Server 2012 R2 Essentials 64bit"]
json.dump({"password": sys.argv[2], "ak": sys.argv[3], "sk": sys.argv[4], "project_id": sys.argv[5],
           "os_versions": osv, "job_init_s": 0.3, "job_run_s": 1.0}, open(sys.argv[1], "w"))
EOF
chmod 600 "$T/cfg.json"
python3 "$W2C_SRC/tests/services/ims_contract_server.py" --port $PORT --config "$T/cfg.json" \
	--ready-file "$T/ready" >"$T/server.log" 2>&1 &
SRV_PID=$!
for i in $(seq 100); do [ -s "$T/ready" ] && break; sleep 0.1; done
[ -s "$T/ready" ] || { cat "$T/server.log"; fail "contract server did not start"; }
BASE=http://127.0.0.1:$PORT
ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$BASE/_test/config" >/dev/null; }

# password (token) auth through OS_* variables, as on OTC
export OS_AUTH_URL=$BASE/v3 OS_USERNAME=ci-user OS_PASSWORD=$PW OS_USER_DOMAIN_NAME=OTC-EU-DE-00000000001000000001
export OS_PROJECT_NAME=eu-de OS_REGION_NAME=eu-de
unset OS_CLOUD OS_PROJECT_ID OS_ACCESS_KEY OS_SECRET_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
ALL=$T/all-output
run() { # expected-status out-file args...
	local want=$1 out=$2; shift 2
	"$W2C" "$@" >"$out" 2>"$out.err"; local rc=$?
	cat "$out" "$out.err" >>"$ALL"
	[ "$rc" = "$want" ] || { cat "$out" "$out.err"; fail "exit $rc, expected $want: $*"; }
}
REG=(register --cloud otc --poll-interval 0.3)

echo "--- 1. ISO with token auth, --wait: job SUCCESS, image active"
run 0 "$T/o1" --json "${REG[@]}" --name win-iso-1 --iso obs://ci-bucket/win2019_virtio.iso \
	--os-version "$OSV" --min-disk 40 --firmware bios --tag pipeline=ci --sha256 "$SHA" --wait
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['status']=='active' and not d['existed'] and d['image_id'] and d['job_id'], d" "$T/o1" || fail "result"
curl -sf "$BASE/_test/images" | python3 -c "
import json,sys; imgs=[i for i in json.load(sys.stdin)['images'] if i['name']=='win-iso-1']
assert len(imgs)==1, imgs; i=imgs[0]
assert i['virtual_env_type']=='IsoImage' and i['hw_firmware_type']=='bios' and i['__os_version']=='$OSV', i
assert 'pipeline.ci' in i['tags'] and 'w2c-sha256.${SHA:0:40}' in i['tags'], i['tags']" || fail "image fields"

echo "--- 2. re-run: found by name + content tag, nothing created"
run 0 "$T/o2" "${REG[@]}" --name win-iso-1 --iso ci-bucket:win2019_virtio.iso --os-version "$OSV" --sha256 "$SHA" --wait
grep -q "already registered" "$T/o2" || fail "re-run did not report the existing image"
n=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin)['log'] if e['path']=='/v2/cloudimages/action'))")
[ "$n" = 1 ] || fail "expected 1 create call, saw $n"

echo "--- 3. disk image (no type), without --wait: job started"
run 0 "$T/o3" --json "${REG[@]}" --name win-disk-1 --disk ci-bucket:disk.qcow2 --os-version "$OSV" --min-disk 60
grep -q '"job_id"' "$T/o3" || fail "no job id"
curl -sf "$BASE/_test/images" | grep -q '"virtual_env_type": "FusionCompute"' || fail "disk image type"

echo "--- 3b. quick import (spec 3.2 is_quick_import): in the body, accepted; refused for ISO"
run 0 "$T/o3b" --json "${REG[@]}" --name win-disk-q --disk ci-bucket:big.raw --os-version "$OSV" --min-disk 200 --quick-import --dry-run
grep -q '"is_quick_import": true' "$T/o3b" || fail "dry run body lacks is_quick_import: $(cat "$T/o3b")"
run 0 "$T/o3c" --json "${REG[@]}" --name win-disk-q --disk ci-bucket:big.raw --os-version "$OSV" --min-disk 200 --quick-import
grep -q '"job_id"' "$T/o3c" || fail "quick import: no job id"
run 2 "$T/o3d" "${REG[@]}" --name win-iso-q --iso ci-bucket:a.iso --os-version "$OSV" --quick-import
grep -q "not applicable to an ISO" "$T/o3d.err" || fail "quick import of an ISO: $(cat "$T/o3d.err")"

echo "--- 4. job FAIL: exit 5 with the IMG code and the reason"
ctl '{"job_fail": {"error_code": "IMG.0057", "fail_reason": "The image file is empty or has wrong format."}}'
run 5 "$T/o4" "${REG[@]}" --name win-fail --iso ci-bucket:bad.iso --os-version "$OSV" --wait
grep -q "IMG.0057" "$T/o4.err" && grep -q "wrong format" "$T/o4.err" || { cat "$T/o4.err"; fail "fail reason not shown"; }
ctl '{"job_fail": null}'

echo "--- 5. state 'killed' left by the failed run: refused, then --replace"
run 1 "$T/o5" "${REG[@]}" --name win-fail --iso ci-bucket:bad.iso --os-version "$OSV" --wait
grep -q "replace" "$T/o5.err" || fail "no --replace hint"
run 0 "$T/o5b" --json "${REG[@]}" --name win-fail --iso ci-bucket:good.iso --os-version "$OSV" --wait --replace
grep -q '"replaced": true' "$T/o5b" || fail "not replaced"

echo "--- 6. throttling (IMG.0060 on create and on job polls) is retried"
ctl '{"throttle_create": 2, "throttle_jobs": 2}'
run 0 "$T/o6" "${REG[@]}" --name win-throttled --iso ci-bucket:t.iso --os-version "$OSV" --wait
n=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin)['log'] if e['code']=='IMG.0060'))")
[ "$n" = 4 ] || fail "expected 4 throttled answers, saw $n"

echo "--- 7. token expiry mid-wait: tokens of 3 s, a 7 s job"
ntok0=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin)['log'] if e['path']=='/v3/auth/tokens' and e['status']==201))")
ctl '{"token_ttl": 3, "job_run_s": 7}'
run 0 "$T/o7" --json "${REG[@]}" --name win-token --iso ci-bucket:tok.iso --os-version "$OSV" --wait -v
ntok=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin)['log'] if e['path']=='/v3/auth/tokens' and e['status']==201))")
grep -q '"status": "active"' "$T/o7" || fail "not active"
ctl '{"token_ttl": 86400, "job_run_s": 1.0}'
echo "tokens issued during the wait: $((ntok - ntok0))"
[ $((ntok - ntok0)) -ge 2 ] || fail "the token was not refreshed during the wait ($((ntok - ntok0)) tokens)"

echo "--- 8. AK/SK signing: accepted by the server's independent verifier"
export OS_ACCESS_KEY=$AK OS_SECRET_KEY=$SK OS_PROJECT_ID=$PROJ
run 0 "$T/o8" "${REG[@]}" --auth aksk --endpoint "$BASE" --name win-aksk --iso ci-bucket:a.iso --os-version "$OSV" --wait

echo "--- 9. signature mismatch: exit 5, one attempt only (the AK locks after 5)"
export OS_SECRET_KEY=wrong-$SK
before=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin)['log'] if e['code']=='APIG.0301'))")
run 5 "$T/o9" "${REG[@]}" --auth aksk --endpoint "$BASE" --name win-aksk2 --iso ci-bucket:a.iso --os-version "$OSV" --wait
after=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin)['log'] if e['code']=='APIG.0301'))")
[ $((after - before)) = 1 ] || fail "signature failure was retried ($before -> $after)"
grep -q "APIG.0301" "$T/o9.err" && grep -q "not retried" "$T/o9.err" || fail "unclear signature error"
export OS_SECRET_KEY=$SK

echo "--- 10. bad password: exit 5, clear message"
OS_PASSWORD=not-the-password run 5 "$T/o10" "${REG[@]}" --auth password --name x1 --iso ci-bucket:a.iso --os-version "$OSV"
grep -q "authentication refused for user 'ci-user'" "$T/o10.err" || fail "unclear auth error"

echo "--- 11. client-side validation: nothing sent"
nlog=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['log']))")
run 4 "$T/o11a" "${REG[@]}" --name x --iso ci-bucket:a.iso --os-version "Windows Server 2019 DataCenter 64bit"
grep -q "did you mean 'Windows Server 2019 Datacenter 64bit'" "$T/o11a.err" || fail "no suggestion"
run 4 "$T/o11b" "${REG[@]}" --name x --iso ci-bucket:a.iso --os-version "$OSV" --min-disk 30
run 4 "$T/o11c" "${REG[@]}" --name x --iso ci-bucket:a.iso
run 4 "$T/o11d" "${REG[@]}" --name x --iso nobucket --os-version "$OSV"
run 4 "$T/o11e" "${REG[@]}" --name x --iso ci-bucket:a.iso --os-version "$OSV" --firmware efi
run 2 "$T/o11f" "${REG[@]}" --name x --iso a --disk b
printf 'Windows 11 Pro 64bit\n' >"$T/osv.txt"
W2C_OS_VERSIONS_FILE=$T/osv.txt run 4 "$T/o11g" "${REG[@]}" --name x --iso ci-bucket:a.iso --os-version "$OSV"
nlog2=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['log']))")
[ "$nlog" = "$nlog2" ] || fail "invalid options still reached the server"

echo "--- 12. dry run: requests printed, secrets redacted, nothing sent"
run 0 "$T/o12" --json "${REG[@]}" --auth password --name win-dry --iso ci-bucket:d.iso --os-version "$OSV" --wait --dry-run
grep -q '"<redacted>"' "$T/o12" && grep -q 'cloudimages/action' "$T/o12" && grep -q '"IsoImage"' "$T/o12" || fail "dry run output"
nlog3=$(curl -sf "$BASE/_test/log" | python3 -c "import json,sys; print(len(json.load(sys.stdin)['log']))")
[ "$nlog2" = "$nlog3" ] || fail "dry run sent requests"

echo "--- every request we sent passed the contract's validation"
curl -sf "$BASE/_test/log" | python3 -c "
import json,sys
bad=[e for e in json.load(sys.stdin)['log'] if e['status']>=400 and e['code'] not in ('IMG.0060','APIG.0301') and not (e['path']=='/v3/auth/tokens' and e['status']==401)]
assert not bad, bad" || fail "a request failed validation"

echo "--- no secret in any output"
for s in "$PW" "$SK" "not-the-password"; do
	grep -qF -- "$s" "$ALL" && fail "a secret appeared in the output"
done
grep -q "MIID" "$ALL" && fail "a token appeared in the output"
echo "PASS"
