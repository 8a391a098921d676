#!/bin/bash
# CLI consistency (issue 15, "Also"): every usage error under --json is one JSON document on
# stdout (also when --json comes after the bad option, or the error is a global one); `unattend
# new|merge --json` print JSON; a password file readable by others is exit 4 (the documented
# code) for unattend (and inject, which reads it the same way) and check alike; one byte is "1 byte".
set -uo pipefail
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
# json_err EXIT ARGS...: stdout is {"ok": false, "error": {"exit_status": EXIT}}
json_err() {
	local want=$1 rc=0; shift
	"$W2C" "$@" >out.json 2>err.txt || rc=$?
	[ $rc = "$want" ] || fail "$*: exit $rc, expected $want: $(cat err.txt)"
	python3 - "$want" <<'PY' || fail "$*: stdout is not the JSON error: $(cat out.json)"
import json, sys
d = json.load(open("out.json"))
assert d["ok"] is False and d["error"]["exit_status"] == int(sys.argv[1]), d
PY
}
json_err 2 --json build
json_err 2 build --bogus --json
json_err 2 --json --bogus
json_err 2 --json nosuch
json_err 2 --json
json_err 2 unattend new --json --arch nosucharch
echo "ok 1 - usage errors under --json are JSON on stdout"

"$W2C" --json unattend new --arch amd64 -o new.xml >out.json 2>err.txt || fail "unattend new -o: $(cat err.txt)"
python3 -c "import json; d=json.load(open('out.json')); assert d['ok'] and d['output']=='new.xml' and d['mode']=='0600' and d['bytes']>100, d" ||
	fail "unattend new -o --json: $(cat out.json)"
[ "$(stat -c %a new.xml)" = 600 ] || fail "new.xml mode"
"$W2C" --json unattend new --arch amd64 >out.json 2>/dev/null || fail "unattend new to stdout"
python3 -c "import json; d=json.load(open('out.json')); assert d['ok'] and d['xml'].startswith('<?xml') and d['bytes']==len(d['xml'].encode()), d" ||
	fail "unattend new --json to stdout: $(head -c 300 out.json)"
"$W2C" --json unattend merge new.xml --rdp -o merged.xml >out.json 2>err.txt || fail "merge: $(cat err.txt)"
python3 -c "import json; d=json.load(open('out.json')); assert d['ok'] and d['output']=='merged.xml', d" ||
	fail "unattend merge --json: $(cat out.json)"
echo "ok 2 - unattend new|merge --json"

printf 'Cl0ud-Mode!42\n' > pw; chmod 644 pw
json_err 4 --json unattend new --arch amd64 --admin-password-file pw
grep -q "mode 0644" err.txt || fail "unattend: the mode is not named: $(cat err.txt)"
truncate -s 60G d.raw
json_err 4 --json check --no-deep d.raw --admin-password-file pw
grep -q "mode 0644" err.txt || fail "check: the mode is not named: $(cat err.txt)"
echo "ok 3 - a 0644 password file is exit 4 everywhere"

printf x > one.bin; mkdir dest
"$W2C" upload one.bin "file://$work/dest/one.bin" >out.txt 2>&1 || fail "1-byte upload: $(cat out.txt)"
grep -q ": 1 byte in 1 part," out.txt || fail "1-byte upload: $(cat out.txt)"
echo "ok 4 - 1 byte"
