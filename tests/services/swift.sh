#!/usr/bin/env bash
# swift.sh - OpenStack Swift all-in-one with s3api + tempauth on 127.0.0.1, from Debian packages,
# for the upload tests (recipe: shared/specs/test-services.md §1 and §5).
#
# Usage: tests/services/swift.sh start|stop|status|env|reset
#   start  install missing packages (scripts/setup.sh lists them too), write configs and rings under
#          $W2C_SWIFT_STATE, start memcached + object/container/account/proxy, wait until healthy,
#          create the test bucket, write $W2C_SWIFT_STATE/s3.env
#   stop   TERM the PIDs this script started (KILL after 10 s); stop-clean also deletes the objects
# Ports: W2C_S3_PORT (18080) proxy/S3, +1 object, +2 container, +3 account, +4 memcached.
# S3 credentials: access key "w2c:ci" (the ':' is tempauth's account:user), secret $SECRET below: a
# distinctive string so that tests can grep every output for it.
set -euo pipefail

CMD=${1:-start}
PORT=${W2C_S3_PORT:-18080}
STATE=${W2C_SWIFT_STATE:-/tmp/w2c-swift-$(id -u)-$PORT}
H=127.0.0.1
OBJ=$((PORT + 1)) CONT=$((PORT + 2)) ACCT=$((PORT + 3)) MEMC=$((PORT + 4))
RUN=$STATE/run LOG=$STATE/log S=$STATE/swift
ME=$(id -un)
BUCKET=${W2C_S3_BUCKET:-w2c-test}
SECRET=${W2C_S3_SECRET:-W2cS3cretKey-9f27e1}
PKGS=(swift swift-proxy swift-object swift-container swift-account memcached curl python3)
# Debian's python (swift lives there), not a pyenv shim earlier in PATH
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

log() { echo "[swift.sh $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
running() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
alive() { [ -s "$RUN/$1.pid" ] && running "$(cat "$RUN/$1.pid")"; }

install_pkgs() {
	local missing=() p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	log "installing: ${missing[*]}"
	local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	# Debian's units would start the daemons on 0.0.0.0 with default configs: block that.
	local tmp_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod 755 /usr/sbin/policy-rc.d
		tmp_policy=1
	fi
	$sudo apt-get -o DPkg::Lock::Timeout=900 update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
		--no-install-recommends "${missing[@]}" >"$LOG/apt.log" 2>&1 || { tail -20 "$LOG/apt.log"; die "apt-get failed"; }
	[ $tmp_policy = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d
	return 0
}

spawn() { # name cmd...
	local name=$1; shift
	alive "$name" && return 0
	nohup "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
}

wait_http() { # url name
	local i
	for i in $(seq 300); do
		curl -s -o /dev/null --max-time 2 "$1" && return 0
		alive "$2" || die "$2 died (see $LOG/$2.log)"
		sleep 0.2
	done
	die "$2 did not answer at $1 (see $LOG/$2.log)"
}

write_configs() {
	mkdir -p "$S/etc" "$S/node/d1"
	local common="bind_ip = $H
devices = $S/node
mount_check = false
swift_dir = $S/etc
user = $ME
workers = 0
log_level = WARNING" t p
	for t in object:$OBJ container:$CONT account:$ACCT; do
		p=${t#*:}; t=${t%%:*}
		printf '[DEFAULT]\n%s\nbind_port = %s\n[pipeline:main]\npipeline = %s-server\n[app:%s-server]\nuse = egg:swift#%s\n' \
			"$common" "$p" "$t" "$t" "$t" >"$S/etc/$t-server.conf"
	done
	/usr/bin/python3 - "$S/etc" "$H" "$OBJ" "$CONT" "$ACCT" <<'PYEOF'
import os, sys
from swift.common.ring import RingBuilder
d, host = sys.argv[1], sys.argv[2]
for name, port in zip(('object', 'container', 'account'), map(int, sys.argv[3:6])):
    stamp = os.path.join(d, name + '.port')
    if os.path.exists(os.path.join(d, name + '.ring.gz')) and open(stamp).read().strip() == str(port):
        continue
    b = RingBuilder(6, 1, 1)
    b.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': host, 'port': port, 'device': 'd1', 'weight': 100})
    b.rebalance()
    b.save(os.path.join(d, name + '.builder'))
    b.get_ring().save(os.path.join(d, name + '.ring.gz'))
    open(stamp, 'w').write(str(port))
PYEOF
	cat >"$S/etc/proxy-server.conf" <<EOF
[DEFAULT]
$common
bind_port = $PORT
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk s3api tempauth copy slo dlo proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:cache]
use = egg:swift#memcache
memcache_servers = $H:$MEMC
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
max_upload_part_num = 10000
min_segment_size = 5242880
[filter:tempauth]
use = egg:swift#tempauth
user_admin_admin = admin .admin .reseller_admin
user_w2c_ci = $SECRET .admin
[filter:copy]
use = egg:swift#copy
[filter:slo]
use = egg:swift#slo
max_manifest_segments = 10000
max_manifest_size = 16777216
rate_limit_under_size = 0
[filter:dlo]
use = egg:swift#dlo
EOF
}

start_proxy() {
	spawn swift-proxy swift-proxy-server "$S/etc/proxy-server.conf" -v
	wait_http "http://$H:$PORT/healthcheck" swift-proxy
}

do_start() {
	mkdir -p "$RUN" "$LOG"
	install_pkgs
	write_configs
	spawn memcached memcached -u "$ME" -l $H -p "$MEMC" -U 0 -m 64
	local t
	for t in object container account; do spawn swift-$t swift-$t-server "$S/etc/$t-server.conf" -v; done
	start_proxy
	for t in object:$OBJ container:$CONT account:$ACCT; do wait_http "http://$H:${t#*:}/" "swift-${t%%:*}"; done
	# the test bucket, through Swift's own API (tempauth token), so no S3 code of ours is involved
	local tok i
	for i in $(seq 50); do
		tok=$(curl -s -D - -o /dev/null -H "X-Auth-User: w2c:ci" -H "X-Auth-Key: $SECRET" \
			"http://$H:$PORT/auth/v1.0" | tr -d '\r' | sed -n 's/^[Xx]-[Aa]uth-[Tt]oken: //p')
		[ -n "$tok" ] && curl -sf -X PUT -H "X-Auth-Token: $tok" "http://$H:$PORT/v1/AUTH_w2c/$BUCKET" -o /dev/null && break
		sleep 0.2
	done
	[ -n "$tok" ] || die "tempauth gave no token (see $LOG/swift-proxy.log)"
	cat >"$STATE/s3.env" <<EOF
export W2C_S3_ENDPOINT=http://$H:$PORT W2C_S3_BUCKET=$BUCKET
export W2C_S3_ACCESS_KEY='w2c:ci' W2C_S3_SECRET='$SECRET' W2C_S3_REGION=us-east-1
export W2C_SWIFT_URL=http://$H:$PORT/v1/AUTH_w2c
export W2C_SWIFT_STATE='$STATE'
EOF
	log "S3 (swift s3api) ready on http://$H:$PORT, bucket $BUCKET; env in $STATE/s3.env"
}

stop_one() { # name
	local f=$RUN/$1.pid pid i
	[ -e "$f" ] || return 0
	pid=$(cat "$f"); rm -f "$f"
	running "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 50); do running "$pid" || return 0; sleep 0.2; done
	kill -KILL "$pid" 2>/dev/null || true
}

do_stop() {
	local f
	for f in "$RUN"/*.pid; do [ -e "$f" ] && stop_one "$(basename "$f" .pid)"; done
	return 0
}

case "$CMD" in
start) do_start ;;
stop) do_stop ;;
stop-clean) do_stop; rm -rf "$S/node" ;;   # ctest cleanup: the uploaded test objects go too
stop-proxy) stop_one swift-proxy ;;      # for the "server gone mid-upload" test
start-proxy) mkdir -p "$RUN" "$LOG"; start_proxy ;;
status) for f in "$RUN"/*.pid; do [ -e "$f" ] || continue; n=$(basename "$f" .pid)
	alive "$n" && echo "$n running $(cat "$f")" || echo "$n dead"; done ;;
env) cat "$STATE/s3.env" ;;
reset) do_stop; rm -rf "$STATE" ;;
*) die "usage: $0 start|stop|stop-clean|stop-proxy|start-proxy|status|env|reset" ;;
esac
