#!/bin/bash
# needs-fixture: winiso
# win2cloud run: a pipeline file (inspect, inject with the sample drivers, check, upload to a
# file:// store) on the fixture ISO.  Every stage runs and its outputs are right; a re-run skips
# every stage and touches nothing; an edit inside the driver directory re-runs inject and what
# follows; a failing stage stops the pipeline with its exit status and is not recorded; --json is
# one document; bad pipeline files fail with file:line; the source is never modified.
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$work"
cp "$iso" win.iso
sum0=$(sha256sum < win.iso)
bash "$W2C_SRC/samples/make-sample-drivers.sh" drv >/dev/null
cat > p.yaml <<'EOF'
# relative paths are relative to this file
source: win.iso
workdir: out
stages:
  - inspect:
  - inject:
      drivers: [drv]
  - check:
      profile: otc
      require-drivers: true
  - upload:
      to: "file://${workdir}/uploaded.iso"
EOF

# --- first run from another directory: every stage runs
(cd / && "$W2C" run "$work/p.yaml") > run1.out 2> run1.err || { cat run1.out run1.err; fail "first run"; }
[ "$(grep -c '\] running: ' run1.err)" = 4 ] || { cat run1.err; fail "expected 4 stages running"; }
[ -f out/win-inject.iso ] && [ -f out/win-inject.iso.sha256 ] || fail "inject output missing"
(cd out && sha256sum -c --quiet win-inject.iso.sha256) || fail ".sha256 of the inject output"
cmp -s out/win-inject.iso out/uploaded.iso || fail "uploaded object differs from the inject output"
"$W2C" inspect --json --files out/win-inject.iso | python3 -c '
import json, sys
d = json.load(sys.stdin)
paths = {f["path"].lower() for f in d["files"]}
assert "/$winpedriver$/viostor/2k19_amd64/viostor.inf" in paths, sorted(paths)[:20]
' || fail "drivers not on the inject output"
grep -q 'iso.drivers' run1.out || fail "check stage output missing"
echo "ok 1 - four stages ran, outputs verified"

# --- re-run: all skipped, nothing rewritten
m1=$(stat -c %Y.%y out/win-inject.iso)
"$W2C" run p.yaml > run2.out 2> run2.err || fail "second run"
[ "$(grep -c 'done earlier, skipped' run2.err)" = 4 ] || { cat run2.err; fail "expected 4 skipped stages"; }
[ "$(stat -c %Y.%y out/win-inject.iso)" = "$m1" ] || fail "inject output rewritten on a re-run"
echo "ok 2 - re-run skips every stage"

# --- an edit inside the driver directory re-runs inject and everything after it
sleep 0.01; printf '; edited\r\n' >> drv/viostor/w10/amd64/viostor.inf
"$W2C" run p.yaml --dry-run > dry.out 2> dry.err
grep -q '\[1/4\] done earlier' dry.err && grep -q '\[2/4\] would run' dry.err && grep -q '\[4/4\] would run' dry.err \
	|| { cat dry.err; fail "dry run after a driver edit"; }
[ "$(stat -c %Y.%y out/win-inject.iso)" = "$m1" ] || fail "--dry-run wrote the output"
"$W2C" run p.yaml > run3.out 2> run3.err || fail "third run"
[ "$(grep -c '\] running: ' run3.err)" = 3 ] || { cat run3.err; fail "expected inject, check, upload to re-run"; }
echo "ok 3 - a driver edit re-runs inject, check and upload"

# --- --json: one document with every stage and its own result
"$W2C" --json run p.yaml --force > run4.json 2> run4.err || fail "json run"
python3 - run4.json <<'PY' || fail "--json document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["exit"] == 0, d
assert [s["verb"] for s in d["stages"]] == ["inspect", "inject", "check", "upload"], d["stages"]
assert all(s["status"] == "done" for s in d["stages"])
assert d["stages"][1]["result"]["sha256"], d["stages"][1]
assert d["stages"][3]["result"]["sha256"], d["stages"][3]
PY
grep -q '"event":"stage"' run4.err || fail "no stage events on stderr"
echo "ok 4 - --json"

# --- a failing stage: its exit status, later stages not run, not recorded as done
cat > fail.yaml <<'EOF'
source: win.iso
workdir: out-fail
stages:
  - check: { min-disk: 20 }
  - upload: { to: "file://${workdir}/never.iso" }
EOF
rc=0; "$W2C" run fail.yaml > f.out 2> f.err || rc=$?
[ $rc = 3 ] || { cat f.out f.err; fail "failing check stage: exit $rc, expected 3"; }
grep -q 'stage 1 (check, fail.yaml:4) failed with exit status 3' f.err || { cat f.err; fail "failure message"; }
[ ! -e out-fail/never.iso ] || fail "stage after a failure ran"
rc=0; "$W2C" run fail.yaml --dry-run 2> f2.err >/dev/null || rc=$?
grep -q '\[1/2\] would run' f2.err || fail "failed stage recorded as done"
echo "ok 5 - failing stage stops the pipeline"

# --- bad pipeline files: exit 4, file:line and the field
printf 'source: win.iso\nstages:\n  - upload:\n      secret-key: abc\n' > s.yaml
rc=0; "$W2C" run s.yaml 2> s.err || rc=$?
[ $rc = 4 ] && grep -q 's.yaml:4: stages\[0\].upload.secret-key: secrets do not belong' s.err || { cat s.err; fail "inline secret"; }
grep -q abc s.err && fail "secret value echoed"
printf 'source: win.iso\nstages:\n  - burn: {}\n' > v.yaml
rc=0; "$W2C" run v.yaml 2> v.err || rc=$?
[ $rc = 4 ] && grep -q 'v.yaml:3: stages\[0\]: expected a verb' v.err || { cat v.err; fail "unknown verb"; }
rc=0; "$W2C" run nope.yaml 2> n.err || rc=$?
[ $rc = 4 ] || { cat n.err; fail "missing pipeline file: exit $rc"; }
echo "ok 6 - bad pipeline files"

[ "$(sha256sum < win.iso)" = "$sum0" ] || fail "source modified"
echo "ok 7 - source untouched"

# --- the shipped sample pipelines parse and plan (nothing runs in a dry run)
for f in "$W2C_SRC"/samples/pipelines/*.yaml; do
	cp "$f" "$work/$(basename "$f")"
	"$W2C" run --dry-run "$work/$(basename "$f")" > /dev/null 2> sp.err || { cat sp.err; fail "sample $f"; }
	grep -q 'would run: win2cloud inject' sp.err || fail "sample $f: no inject stage planned"
done
echo "ok 8 - sample pipelines plan"
