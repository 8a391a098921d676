#!/bin/bash
# needs-fixture: winiso swift keystone-glance
# resource-lock: swift keystone-glance
# inject -> install -> check -> upload -> register --disk as one `win2cloud run` pipeline against
# real peers on 127.0.0.1: the stand-in installer (tests/fixtures/mkinstaller.sh) gets drivers
# and an answer file that powers off, is installed under QEMU (TCG, 512 MiB) into a qcow2 system
# disk, which is checked deep, uploaded to Swift s3api and registered in Glance (real Keystone)
# as a disk image, waiting until active; checksums equal; a re-run skips every stage.
set -uo pipefail
: "${W2C:?}" "${W2C_SRC:?}"
. "$(dirname "$0")/lib/installer.sh"
w2c_installer_fixture
. "$(dirname "$0")/upload_lib.sh"
KG=${W2C_KG_STATE:-${TMPDIR:-/tmp}/w2c-keystone-glance-$(id -u)-${W2C_KS_PORT:-18100}}
[ -r "$KG/cloud.env" ] || { echo "SKIP: Keystone+Glance not started ($KG/cloud.env missing)"; exit 77; }
# shellcheck disable=SC1091
. "$KG/cloud.env"
curl -s -o /dev/null --max-time 5 "$W2C_GLANCE_URL/healthcheck" || { echo "SKIP: Glance not answering"; exit 77; }

cd "$T"
bash "$W2C_SRC/samples/make-sample-drivers.sh" drv >/dev/null
(umask 077; printf 'Ci!Install2026\n' > admin.pw)
NAME=w2c-ci-install-$RUN_ID
cat > p.yaml <<EOF
source: $FX/installer.iso
workdir: work
stages:
  - inject:
      drivers: [drv]
      edition: ["1"]
      unattend: generate
      admin-password-file: admin.pw
      disk: "0"
      shutdown: true
      dhcp: true
  - install: { accel: tcg, memory: 512M, cpus: "1", size: 60G, timeout: 5m }
  - check: { profile: openstack, deep: true }
  - upload:
      to: "s3://$W2C_S3_BUCKET/run-$RUN_ID/sys.qcow2"
      endpoint: $W2C_S3_ENDPOINT
      verify: true
  - register: { cloud: openstack, name: $NAME, wait: true, timeout: 10m }
EOF
t0=$(date +%s)
w2c --json run p.yaml || { cat "$T/out"; tail -30 "$T/err"; fail "pipeline run"; }
echo "pipeline (inject, TCG install, deep check, upload, register): $(( $(date +%s) - t0 )) s"
cp "$T/out" run1.json
disk=work/installer-install.qcow2
sum=$(sha256sum < "$disk" | cut -c1-64)
python3 - run1.json "$sum" <<'PY' || fail "pipeline result"
import json, sys
d = json.load(open(sys.argv[1])); want = sys.argv[2]
assert d["ok"], d
st = {s["verb"]: s for s in d["stages"]}
assert [s["status"] for s in d["stages"]] == ["done"] * 5, d["stages"]
assert st["install"]["result"]["sha256"] == want and st["install"]["result"]["accel"] == "tcg"
assert st["check"]["result"]["summary"]["errors"] == 0, st["check"]["result"]
assert st["upload"]["result"]["sha256"] == want
r = st["register"]["result"]
assert r["status"] == "active" and r["verified"], r
PY
echo "ok 1 - inject, install, check, upload to Swift, register the disk in Glance"
qemu-img compare -q -f qcow2 -F qcow2 "$FX/windisk/good.qcow2" "$disk" || fail "installed disk differs from the carried image"
swift_get "run-$RUN_ID/sys.qcow2" back.qcow2 && cmp -s "$disk" back.qcow2 || fail "object in Swift differs from the disk"
TOK=$(printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"%s","domain":{"name":"%s"},"password":"%s"}}},"scope":{"project":{"name":"%s","domain":{"name":"%s"}}}}}' \
	"$OS_USERNAME" "$OS_USER_DOMAIN_NAME" "$OS_PASSWORD" "$OS_PROJECT_NAME" "$OS_PROJECT_DOMAIN_NAME" |
	curl -sf -D - -o /dev/null -H 'Content-Type: application/json' --data-binary @- "$OS_AUTH_URL/auth/tokens" |
	tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')
[ -n "$TOK" ] || fail "no Keystone token for the check"
images() { curl -sf -H "X-Auth-Token: $TOK" "$W2C_GLANCE_URL/v2/images?name=$NAME"; }
images | python3 -c "
import json, sys; imgs = json.load(sys.stdin)['images']; assert len(imgs) == 1, imgs; i = imgs[0]
assert i['status'] == 'active' and i['disk_format'] == 'qcow2', i
assert i['checksum'] == '$(md5sum < "$disk" | cut -c1-32)', 'md5'
assert i['w2c_sha256'] == '$sum', i" || fail "Glance's image"
echo "ok 2 - the disk is in Swift and active in Glance, checksums equal"

w2c run p.yaml || { tail -20 "$T/err"; fail "re-run"; }
[ "$(count 'done earlier, skipped' "$T/err")" = 5 ] || { cat "$T/err"; fail "re-run did not skip every stage"; }
[ "$(images | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))')" = 1 ] || fail "second image"
echo "ok 3 - re-run skips every stage (no second install), one image"

curl -sf -X DELETE -H "X-Auth-Token: $TOK" "$W2C_GLANCE_URL/v2/images/$(images | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])')" || true
for s in "$W2C_S3_SECRET" "$OS_PASSWORD" 'Ci!Install2026'; do
	grep -qF -- "$s" "$ALL_OUT" && fail "a secret appears in the output"
done
echo "ok 4 - no secret in any output"
