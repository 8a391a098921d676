# Shared by tests/integration/test_onboard*.sh: the IMS/IAM/ECS contract server on 127.0.0.1, an ISO
# image registered through `win2cloud register`, and the checks every onboard test makes.
# Port: W2C_ONBOARD_PORT (default 18120; test_register_ims.sh uses 18110).
set -uo pipefail
: "${W2C:?}" "${W2C_SRC:?}"
PORT=${W2C_ONBOARD_PORT:-18120}
T=$(mktemp -d)
SRV_PID=
BG_PID=
cleanup() {
	[ -n "$BG_PID" ] && kill -KILL "$BG_PID" 2>/dev/null
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -s "$T/server.log" ] && tail -20 "$T/server.log"; exit 1; }

PW="Pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
SK="Sk$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
AK=QTWAOYTTINDUT2QVKYUC
PROJ=0123456789abcdef0123456789abcdef
OSV="Windows Server 2019 Datacenter 64bit"
SHA=$(printf 'onboard-fixture' | sha256sum | cut -c1-64)
VPC=3b9b5f1e-5c2a-4b8e-9a77-0c6f2d7f1a01
SUBNET=7d1c6a52-0e4b-4f0a-bd3c-5b8e9e2a4c02
python3 - "$T/cfg.json" "$PW" "$OSV" "$AK" "$SK" "$PROJ" <<'EOF'
import json, sys
json.dump({"password": sys.argv[2], "os_versions": [sys.argv[3], "Windows Server 2022 Datacenter 64bit"],
           "ak": sys.argv[4], "sk": sys.argv[5], "project_id": sys.argv[6],
           "job_init_s": 0.2, "job_run_s": 0.6, "ecs_job_init_s": 0.2, "ecs_job_run_s": 0.5,
           "install_s": 1.5}, open(sys.argv[1], "w"))
EOF
chmod 600 "$T/cfg.json"
python3 "$W2C_SRC/tests/services/ims_contract_server.py" --port "$PORT" --config "$T/cfg.json" \
	--ready-file "$T/ready" >"$T/server.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 100); do [ -s "$T/ready" ] && break; sleep 0.1; done
[ -s "$T/ready" ] || fail "contract server did not start on port $PORT"
BASE=http://127.0.0.1:$PORT
ctl() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$BASE/_test/config" >/dev/null || fail "ctl $1"; }
# py EXPR: evaluate against the server's log (variable L) and ECS state (E)
py() {
	curl -sf "$BASE/_test/log" >"$T/log.json" && curl -sf "$BASE/_test/ecs" >"$T/ecs.json" &&
		curl -sf "$BASE/_test/images" >"$T/images.json" || fail "contract server unreachable"
	python3 - "$T" "$1" <<'EOF'
import json, sys
t = sys.argv[1]
L = json.load(open(t + "/log.json"))["log"]
E = json.load(open(t + "/ecs.json"))
I = json.load(open(t + "/images.json"))["images"]
print(eval(sys.argv[2]))
EOF
}

export OS_AUTH_URL=$BASE/v3 OS_USERNAME=ci-user OS_PASSWORD=$PW OS_USER_DOMAIN_NAME=OTC-EU-DE-00000000001000000001
export OS_PROJECT_NAME=eu-de OS_REGION_NAME=eu-de
unset OS_CLOUD OS_PROJECT_ID OS_ACCESS_KEY OS_SECRET_KEY AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
ALL=$T/all-output
mkdir -p "$T/state"
run() { # expected-status out-file args...
	local want=$1 out=$2; shift 2
	"$W2C" "$@" >"$out" 2>"$out.err"; local rc=$?
	cat "$out" "$out.err" >>"$ALL"
	[ "$rc" = "$want" ] || { cat "$out" "$out.err"; fail "exit $rc, expected $want: $*"; }
}
ONB=(onboard --cloud otc --iso-image win-iso --flavor s3.large.2 --vpc "$VPC" --subnet "$SUBNET"
	--poll-interval 0.3 --state-dir "$T/state")

# After every test: no server and no volume of ours is left on the cloud.
assert_clean() {
	local n
	n=$(py "len(E['servers']) + len(E['volumes'])")
	[ "$n" = 0 ] || { py "E"; fail "$1: the contract server still holds $n servers/volumes"; }
}
creates() { py "sum(1 for e in L if e['method']=='POST' and e['path'].endswith('/cloudservers'))"; }
log_len() { py "len(L)"; }
# No request since log index $1 was refused, except the codes listed in $2 (comma-separated).
assert_no_refusal_since() {
	local bad
	bad=$(py "[ (e['status'], e['path'], e['code'], e.get('message')) for e in L[$1:] if e['status'] >= 400 and (e['code'] or '') not in '${2:-}'.split(',')]")
	[ "$bad" = "[]" ] || fail "refused requests of ours: $bad"
}
no_secret_anywhere() {
	cat "$T"/state/.win2cloud-onboard-* >>"$ALL" 2>/dev/null
	grep -qF -- "$PW" "$ALL" && fail "the password appeared in an output or state file"
	grep -qF -- "$SK" "$ALL" && fail "the secret key appeared in an output or state file"
	grep -q "MIID" "$ALL" && fail "a token appeared in an output or state file"
	return 0
}

# The ISO image every test boots, registered the real way.
run 0 "$T/reg" register --cloud otc --poll-interval 0.3 --name win-iso --iso obs://ci-bucket/win2019_virtio.iso \
	--os-version "$OSV" --min-disk 40 --sha256 "$SHA" --wait
