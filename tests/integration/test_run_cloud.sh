#!/bin/bash
# needs-fixture: winiso swift keystone-glance
# resource-lock: swift keystone-glance
# The whole mission as one pipeline against real peers on 127.0.0.1: the fixture ISO gets the
# sample VirtIO drivers and a generated answer file (inject), is verified and checked, uploaded to
# Swift s3api (multipart, verified) and registered in Glance (real Keystone), waiting until it is
# active.  The uploaded object and the Glance image hold exactly the inject output; a re-run
# skips every stage and creates no second image; no secret appears in any output.
set -uo pipefail
: "${W2C:?}" "${W2C_SRC:?}"
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
. "$(dirname "$0")/upload_lib.sh"
KG=${W2C_KG_STATE:-${TMPDIR:-/tmp}/w2c-keystone-glance-$(id -u)-${W2C_KS_PORT:-18100}}
[ -r "$KG/cloud.env" ] || { echo "SKIP: Keystone+Glance not started ($KG/cloud.env missing)"; exit 77; }
# shellcheck disable=SC1091
. "$KG/cloud.env"
curl -s -o /dev/null --max-time 5 "$W2C_GLANCE_URL/healthcheck" || { echo "SKIP: Glance not answering"; exit 77; }

cd "$T"
bash "$W2C_SRC/samples/make-sample-drivers.sh" drv >/dev/null
(umask 077; printf 'Ci!Pipeline2026\n' > admin.pw)
NAME=w2c-ci-run-$RUN_ID
cat > p.yaml <<EOF
source: $iso
workdir: work
stages:
  - inject:
      drivers: [drv]
      edition: ["1"]
      unattend: generate
      admin-password-file: admin.pw
  - verify: { against: "\${source}" }
  - check: { profile: openstack, require-drivers: true }
  - upload:
      to: "s3://$W2C_S3_BUCKET/run-$RUN_ID/win.iso"
      endpoint: $W2C_S3_ENDPOINT
      part-size: 5M
      verify: true
  - register: { cloud: openstack, name: $NAME, wait: true, timeout: 10m }
EOF
w2c --json run p.yaml || { cat "$T/out" "$T/err"; fail "pipeline run"; }
cp "$T/out" run1.json
out=work/win-inject.iso
python3 - run1.json "$(sha256sum < "$out" | cut -c1-64)" <<'PY' || fail "pipeline result"
import json, sys
d = json.load(open(sys.argv[1])); want = sys.argv[2]
assert d["ok"], d
st = {s["verb"]: s for s in d["stages"]}
assert [s["status"] for s in d["stages"]] == ["done"] * 5, d["stages"]
assert st["inject"]["result"]["sha256"] == want
assert st["upload"]["result"]["sha256"] == want and st["upload"]["result"]["parts"] > 1
assert st["register"]["result"]["status"] == "active" and st["register"]["result"]["verified"]
PY
swift_get "run-$RUN_ID/win.iso" back.iso && cmp -s "$out" back.iso || fail "object in Swift differs from the inject output"
TOK=$(printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"%s","domain":{"name":"%s"},"password":"%s"}}},"scope":{"project":{"name":"%s","domain":{"name":"%s"}}}}}' \
	"$OS_USERNAME" "$OS_USER_DOMAIN_NAME" "$OS_PASSWORD" "$OS_PROJECT_NAME" "$OS_PROJECT_DOMAIN_NAME" |
	curl -sf -D - -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$OS_AUTH_URL/auth/tokens" |
	tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
[ -n "$TOK" ] || fail "no Keystone token for the check"
images() { curl -sf -H "X-Auth-Token: $TOK" "$W2C_GLANCE_URL/v2/images?name=$NAME"; }
images | python3 -c "
import json, sys; imgs = json.load(sys.stdin)['images']; assert len(imgs) == 1, imgs; i = imgs[0]
assert i['status'] == 'active' and i['disk_format'] == 'iso', i
assert i['w2c_sha256'] == '$(sha256sum < "$out" | cut -c1-64)', i" || fail "Glance's image"
echo "ok 1 - inject, verify, check, upload to Swift, register in Glance"

w2c run p.yaml || { cat "$T/err"; fail "re-run"; }
[ "$(count 'done earlier, skipped' "$T/err")" = 5 ] || { cat "$T/err"; fail "re-run did not skip every stage"; }
[ "$(images | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))')" = 1 ] || fail "second image"
echo "ok 2 - re-run skips every stage, one image"

curl -sf -X DELETE -H "X-Auth-Token: $TOK" "$W2C_GLANCE_URL/v2/images/$(images | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])')" || true
for s in "$W2C_S3_SECRET" "$OS_PASSWORD" 'Ci!Pipeline2026'; do
	grep -qF -- "$s" "$ALL_OUT" && fail "a secret appears in the output"
done
echo "ok 3 - no secret in any output"
