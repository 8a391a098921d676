#!/bin/bash
# needs-fixture: winiso
# win2cloud run and secrets (issue 15, item 14): a stage whose secret input changed (the value of
# the variable admin-password-env names, the content of admin-password-file) runs again and the
# new ISO holds the new password; the state keeps only a keyed hash (key 0600 in the workdir),
# never the secret; `source: "--help"` is a file name, not an option; --dry-run refuses an
# unknown option (`bogus: 1`) exactly as the real run does (exit 2, the subcommand's message).
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
for t in python3 7z; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$work"
cp "$iso" win.iso
bash "$W2C_SRC/samples/make-sample-drivers.sh" drv >/dev/null
cat > p.yaml <<'EOF'
source: win.iso
workdir: out
stages:
  - inject:
      drivers: [drv]
      edition: 2
      unattend: generate
      admin-password-env: W2C_PIPE_PW
EOF
# pw_in ISO: the Administrator password in the ISO's answer file (Setup's obfuscation decoded)
pw_in() {
	rm -rf x; 7z x -y -ox "$1" autounattend.xml >/dev/null
	python3 - x/autounattend.xml <<'PY'
import base64, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"<AdministratorPassword>\s*<Value>([^<]*)</Value>", t)
v = base64.b64decode(m.group(1)).decode("utf-16-le")
print(v[:-len("AdministratorPassword")] if v.endswith("AdministratorPassword") else v)
PY
}
export W2C_PIPE_PW='First-Pass!42'
"$W2C" run p.yaml > r1.out 2> r1.err || { cat r1.err; fail "first run"; }
[ "$(pw_in out/win-inject.iso)" = "$W2C_PIPE_PW" ] || fail "first ISO lacks the first password"
[ "$(stat -c %a out/.win2cloud-run.key)" = 600 ] || fail "key file mode $(stat -c %a out/.win2cloud-run.key)"
grep -q secrets_hmac out/.win2cloud-run.json || fail "no keyed hash recorded"
"$W2C" run p.yaml 2> r2.err >/dev/null || fail "re-run"
grep -q 'done earlier, skipped' r2.err || { cat r2.err; fail "unchanged secret: stage not skipped"; }

export W2C_PIPE_PW='Second-Pass!42'
"$W2C" run p.yaml 2> r3.err >/dev/null || { cat r3.err; fail "run with a new password"; }
grep -q '\] running: ' r3.err || { cat r3.err; fail "changed password: stage skipped as done"; }
[ "$(pw_in out/win-inject.iso)" = "$W2C_PIPE_PW" ] || fail "the ISO kept the old password"
for f in out/.win2cloud-run.json r1.err r2.err r3.err; do
	! grep -q 'First-Pass\|Second-Pass' "$f" || fail "a password in $f"
done
echo "ok 1 - a changed password re-runs the stage"

# the same through a password file: same size and time, other content
printf 'File-Pass!42\n' > pw; chmod 600 pw
sed 's/admin-password-env: W2C_PIPE_PW/admin-password-file: pw/' p.yaml > pf.yaml
"$W2C" run pf.yaml 2>/dev/null >/dev/null || fail "run with a password file"
t=$(stat -c %y pw); printf 'File-Ssap!42\n' > pw; touch -d "$t" pw
"$W2C" run pf.yaml 2> r4.err >/dev/null || { cat r4.err; fail "run with a changed password file"; }
grep -q '\] running: ' r4.err || { cat r4.err; fail "changed password file: skipped as done"; }
[ "$(pw_in out/win-inject.iso)" = 'File-Ssap!42' ] || fail "the ISO kept the old file password"
echo "ok 2 - a changed password file re-runs the stage"

# --- values that start with '-' are not options
printf 'source: "--help"\nworkdir: o2\nstages:\n  - inspect:\n' > h.yaml
rc=0; "$W2C" run h.yaml > h.out 2> h.err || rc=$?
[ $rc = 4 ] || { cat h.out h.err; fail "source --help: exit $rc, expected 4 (no such file)"; }
! grep -q '^usage: win2cloud inspect' h.out h.err || fail "source --help printed inspect's help"
grep -q -- '--help' h.err || { cat h.err; fail "the missing file is not named"; }
echo "ok 3 - source \"--help\" is a file name"

# --- --dry-run validates as the real run does
printf 'source: win.iso\nworkdir: o3\nstages:\n  - inspect:\n      bogus: 1\n' > b.yaml
rc=0; "$W2C" run b.yaml --dry-run > b1.out 2> b1.err || rc=$?
[ $rc = 2 ] || { cat b1.err; fail "dry run with --bogus: exit $rc, expected 2"; }
grep -q "stage 1 (inspect, b.yaml:4).*bogus" b1.err || { cat b1.err; fail "dry-run message"; }
rc=0; "$W2C" run b.yaml > b2.out 2> b2.err || rc=$?
[ $rc = 2 ] || { cat b2.err; fail "real run with --bogus: exit $rc, expected 2"; }
printf 'source: win.iso\nworkdir: o4\nstages:\n  - inject: { drivers: [drv], level: sideways }\n' > l.yaml
rc=0; "$W2C" run l.yaml --dry-run 2> l.err >/dev/null || rc=$?
[ $rc = 2 ] && grep -q "level.*sideways" l.err || { cat l.err; fail "dry run with a bad --level value: exit $rc"; }
"$W2C" run p.yaml --dry-run 2> d.err >/dev/null || { cat d.err; fail "valid pipeline refused by --dry-run"; }
echo "ok 4 - --dry-run refuses what the real run refuses"
