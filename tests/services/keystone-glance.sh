#!/usr/bin/env bash
# keystone-glance.sh - real Keystone 22 + Glance 25 (Debian 12 packages) on 127.0.0.1 for the
# register tests.  Recipe: ../shared/specs/test-services.md §3 (sqlite in WAL mode, Keystone under
# uwsgi with 1 process x 1 thread, Glance single process with a file store).
#
# Usage: keystone-glance.sh start|stop|status|env|restart-glance|reset
#   start           install missing packages, bootstrap once (cached in the state dir), start
#                   what is not running, write $STATE/cloud.env (0600; sourced by the tests)
#   stop            TERM by PID file, KILL after 10 s
#   restart-glance  stop and start glance-api only (the "service restarted mid-wait" test)
#   reset           stop and delete the state dir
# Environment: W2C_KS_PORT (18100), W2C_GLANCE_PORT (18101), W2C_KG_STATE (state dir),
#              W2C_KG_WAIT (seconds to wait for a service, 180).
# Nothing listens on anything but 127.0.0.1; the admin password is random per state dir.
set -euo pipefail

CMD=${1:-start}
KS_PORT=${W2C_KS_PORT:-18100}
GL_PORT=${W2C_GLANCE_PORT:-18101}
STATE=${W2C_KG_STATE:-${TMPDIR:-/tmp}/w2c-keystone-glance-$(id -u)-$KS_PORT}
WAIT_S=${W2C_KG_WAIT:-180}
H=127.0.0.1
RUN=$STATE/run LOG=$STATE/log
PY=/usr/bin/python3
ME=$(id -un) MYGROUP=$(id -gn)
PKGS=(keystone glance-api python3-keystonemiddleware uwsgi-plugin-python3 curl)

log() { echo "[keystone-glance $(date +%T)] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
running() { kill -0 "$1" 2>/dev/null && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
alive() { [ -s "$RUN/$1.pid" ] && running "$(cat "$RUN/$1.pid")"; }

wait_http() { # url name
	local i=0
	until curl -s -o /dev/null --max-time 5 "$1"; do
		i=$((i + 1))
		[ $i -gt $((WAIT_S * 5)) ] && die "$2 did not answer at $1 within ${WAIT_S}s (see $LOG/$2.log)"
		alive "$2" || { tail -20 "$LOG/$2.log" >&2; die "$2 died (see $LOG/$2.log)"; }
		sleep 0.2
	done
}

spawn() { # name cmd...
	local name=$1; shift
	if alive "$name"; then log "$name already running (pid $(cat "$RUN/$name.pid"))"; return; fi
	nohup "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
	echo $! >"$RUN/$name.pid"
	log "started $name pid $!"
}

stop_one() { # name
	local f=$RUN/$1.pid pid i
	[ -e "$f" ] || return 0
	pid=$(cat "$f"); rm -f "$f"
	running "$pid" || return 0
	log "stopping $1 (pid $pid)"
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 50); do running "$pid" || return 0; sleep 0.2; done
	kill -KILL "$pid" 2>/dev/null || true
}

wal() { $PY -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA journal_mode=WAL')" "$1"; }

install_pkgs() {
	local missing=() p
	for p in "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} = 0 ] && return 0
	log "installing: ${missing[*]} (normally scripts/setup.sh has done this)"
	local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	# Keep the packages' own units from starting daemons on 0.0.0.0 with their default configs.
	local tmp_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
		$sudo chmod 755 /usr/sbin/policy-rc.d; tmp_policy=1
	fi
	$sudo apt-get -o DPkg::Lock::Timeout=900 update -qq >"$LOG/apt.log" 2>&1 || true
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
		--no-install-recommends "${missing[@]}" >>"$LOG/apt.log" 2>&1 ||
		{ [ $tmp_policy = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d; tail -20 "$LOG/apt.log" >&2; die "apt-get failed"; }
	[ $tmp_policy = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d
	return 0
}

secret() { # file: a random password kept in a 0600 file
	[ -s "$1" ] || (umask 077; $PY -c 'import secrets; print("W2c-" + secrets.token_urlsafe(18))' >"$1")
	cat "$1"
}

os_token() {
	local body
	body=$(printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"name":"Default"},"password":"%s"}}},"scope":{"project":{"name":"admin","domain":{"name":"Default"}}}}}' "$ADMIN_PW")
	curl -sf -D - -o /dev/null -H "Content-Type: application/json" --data-binary @- \
		"http://$H:$KS_PORT/v3/auth/tokens" <<<"$body" | tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p'
}

ks_json() { $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_keystone() {
	local K=$STATE/keystone url=http://$H:$KS_PORT/v3
	mkdir -p "$K/fernet-keys" "$K/fernet-receipts" "$K/credential-keys"
	chmod 700 "$K/fernet-keys" "$K/fernet-receipts" "$K/credential-keys"
	cat >"$K/keystone.conf" <<EOF
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///$K/keystone.db
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $K/fernet-keys
[fernet_receipts]
key_repository = $K/fernet-receipts
[credential]
key_repository = $K/credential-keys
[cache]
enabled = false
[oslo_policy]
policy_dirs = /etc/keystone/policy.d
EOF
	local KM="keystone-manage --config-file $K/keystone.conf"
	if [ ! -f "$K/.bootstrapped" ]; then
		log "keystone: db_sync + fernet + bootstrap (first start only, ~30 s)"
		{ $KM db_sync && wal "$K/keystone.db" &&
			$KM fernet_setup --keystone-user "$ME" --keystone-group "$MYGROUP" &&
			$KM credential_setup --keystone-user "$ME" --keystone-group "$MYGROUP" &&
			$KM bootstrap --bootstrap-password "$ADMIN_PW" --bootstrap-username admin \
				--bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-region-id RegionOne \
				--bootstrap-admin-url "$url" --bootstrap-public-url "$url" --bootstrap-internal-url "$url"
		} >>"$LOG/keystone-manage.log" 2>&1 || die "keystone-manage failed (see $LOG/keystone-manage.log)"
		touch "$K/.bootstrapped"
	fi
	OS_KEYSTONE_CONFIG_FILES=$K/keystone.conf spawn keystone uwsgi_python3 \
		--http-socket "$H:$KS_PORT" --wsgi-file /usr/bin/keystone-wsgi-public \
		--master --lazy-apps --processes 1 --threads 1 --die-on-term --need-app
	wait_http "$url" keystone
	if [ ! -f "$K/.glance-registered" ]; then
		log "keystone: service project, glance user, image endpoint"
		local tok pid uid rid sid i
		tok=$(os_token) && [ -n "$tok" ] || die "cannot get an admin token from $url"
		local hdr=(-H "Content-Type: application/json" -H "X-Auth-Token: $tok")
		pid=$(curl -sf "${hdr[@]}" "$url/projects?name=service" | ks_json "d['projects'][0]['id'] if d['projects'] else ''")
		[ -n "$pid" ] || pid=$(curl -sf "${hdr[@]}" -d '{"project":{"name":"service","domain_id":"default"}}' "$url/projects" | ks_json "d['project']['id']")
		uid=$(curl -sf "${hdr[@]}" "$url/users?name=glance" | ks_json "d['users'][0]['id'] if d['users'] else ''")
		[ -n "$uid" ] || uid=$(curl -sf "${hdr[@]}" --data-binary @- "$url/users" <<<"{\"user\":{\"name\":\"glance\",\"domain_id\":\"default\",\"password\":\"$GLANCE_PW\"}}" | ks_json "d['user']['id']")
		rid=$(curl -sf "${hdr[@]}" "$url/roles?name=admin" | ks_json "d['roles'][0]['id']")
		curl -sf -X PUT "${hdr[@]}" "$url/projects/$pid/users/$uid/roles/$rid" >/dev/null
		sid=$(curl -sf "${hdr[@]}" "$url/services?type=image" | ks_json "d['services'][0]['id'] if d['services'] else ''")
		[ -n "$sid" ] || sid=$(curl -sf "${hdr[@]}" -d '{"service":{"name":"glance","type":"image"}}' "$url/services" | ks_json "d['service']['id']")
		for i in public internal admin; do
			curl -sf "${hdr[@]}" -d "{\"endpoint\":{\"service_id\":\"$sid\",\"interface\":\"$i\",\"region_id\":\"RegionOne\",\"url\":\"http://$H:$GL_PORT\"}}" "$url/endpoints" >/dev/null
		done
		touch "$K/.glance-registered"
	fi
	log "Keystone ready on $url"
}

write_glance_conf() {
	local G=$STATE/glance
	mkdir -p "$G/images" "$G/staging" "$G/tasks" "$G/lock"
	(umask 077; cat >"$G/glance-api.conf" <<EOF
[DEFAULT]
bind_host = $H
bind_port = $GL_PORT
workers = 0
use_stderr = true
enabled_backends = fs:file
[database]
connection = sqlite:///$G/glance.db
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $G/images/
[os_glance_staging_store]
filesystem_store_datadir = $G/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $G/tasks/
[oslo_concurrency]
lock_path = $G/lock
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = http://$H:$KS_PORT
auth_url = http://$H:$KS_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = glance
password = $GLANCE_PW
region_name = RegionOne
EOF
	)
	if [ ! -f "$G/.synced" ]; then
		glance-manage --config-file "$G/glance-api.conf" db_sync >>"$LOG/glance-manage.log" 2>&1 ||
			die "glance-manage db_sync failed (see $LOG/glance-manage.log)"
		wal "$G/glance.db"; touch "$G/.synced"
	fi
}

start_glance() {
	write_glance_conf
	spawn glance-api glance-api --config-file "$STATE/glance/glance-api.conf"
	wait_http "http://$H:$GL_PORT/healthcheck" glance-api
	log "Glance ready on http://$H:$GL_PORT"
}

write_env() {
	(umask 077; cat >"$STATE/cloud.env" <<EOF
export OS_AUTH_URL=http://$H:$KS_PORT/v3 OS_IDENTITY_API_VERSION=3
export OS_USERNAME=admin OS_PASSWORD='$ADMIN_PW' OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=RegionOne
export W2C_GLANCE_URL=http://$H:$GL_PORT W2C_KG_STATE='$STATE'
EOF
	)
}

mkdir -p "$STATE" "$RUN" "$LOG"
chmod 700 "$STATE"
ADMIN_PW=$(secret "$STATE/admin.pw")
GLANCE_PW=$(secret "$STATE/glance.pw")

case "$CMD" in
start)
	t0=$(date +%s)
	install_pkgs
	command -v uwsgi_python3 >/dev/null || die "uwsgi_python3 missing (package uwsgi-plugin-python3)"
	start_keystone
	start_glance
	write_env
	log "all up in $(( $(date +%s) - t0 )) s; source $STATE/cloud.env" ;;
stop) stop_one glance-api; stop_one keystone ;;
restart-glance) stop_one glance-api; start_glance ;;
stop-glance) stop_one glance-api ;;
status)
	for n in keystone glance-api; do alive "$n" && echo "$n running $(cat "$RUN/$n.pid")" || echo "$n stopped"; done ;;
env) cat "$STATE/cloud.env" ;;
reset) stop_one glance-api; stop_one keystone; rm -rf "$STATE" ;;
*) die "usage: $0 start|stop|status|env|restart-glance|stop-glance|reset" ;;
esac
