#!/bin/bash
# needs-fixture: winiso
# win2cloud install on a stand-in installer (tests/fixtures/mkinstaller.sh: ISOLINUX + Debian's
# kernel + busybox that copies a fake installed Windows onto the first disk and powers off),
# injected with drivers and a generated answer file.  Real QEMU under TCG, guests of 512 MiB.
#   1. install -> disk exists, equals the carried image, .sha256 right, check --deep finds the
#      Windows, the MBR layout and the storage driver; the time is printed (TCG, < 2 min)
#   2. an installer that never powers off -> exit 1 after --timeout, screenshot PNG and console
#      log kept and named, no disk under the output name, no QEMU left (by PID); one that
#      restarts again and again -> exit 1, a reset loop
#   3. no answer file, UEFI-only boot entry, weak password, --size 30G, --size 2000G -> exit 3
#      before QEMU starts, each naming the fix
#   4. SIGINT and SIGKILL mid-install -> no QEMU left (by PID), no output, nothing left over
set -uo pipefail
. "$(dirname "$0")/lib/installer.sh"
w2c_installer_setup
n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
gone() { # PID: true once the process is gone (or a zombie nobody waits for), within 5 s
	for _ in $(seq 1 50); do
		[ -e "/proc/$1" ] || return 0
		grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
qemu_pid() { python3 -c '
import json, sys
for l in open(sys.argv[1]):
    try: e = json.loads(l)
    except ValueError: continue
    if e.get("event") == "install" and e.get("kind") == "start": print(e["qemu_pid"]); break' "$1"; }
INSTALL=(install --accel tcg --memory 512M --cpus 1 --size 60G)

echo "--- 1. install the stand-in: the disk is the carried image, checked deep"
mkdir -p "$T/out"
t0=$(date +%s.%N)
"$W2C" --json "${INSTALL[@]}" "$INJ" -o "$T/out/sys.qcow2" --timeout 5m >"$T/o1.json" 2>"$T/e1.txt"
rc=$?
t1=$(date +%s.%N)
secs=$(python3 -c "print(round($t1 - $t0, 1))")
echo "TCG stand-in install, conversion and deep check: $secs s"
[ $rc = 0 ] && ok "install exit 0" || { bad "install exit $rc"; tail -20 "$T/e1.txt"; cat "$T/o1.json"; }
[ -f "$T/out/sys.qcow2" ] && ok "disk written" || bad "no disk"
qemu-img compare -q -f qcow2 -F qcow2 "$FX/windisk/good.qcow2" "$T/out/sys.qcow2" &&
	ok "disk equals the carried image (qemu-img compare)" || bad "disk differs from the carried image"
(cd "$T/out" && sha256sum -c --quiet sys.qcow2.sha256) && ok ".sha256 sidecar matches" || bad ".sha256"
python3 - "$T/o1.json" "$secs" <<'PY' && ok "JSON result: qcow2, tcg, virtio-blk, check found Windows, MBR, viostor; under 120 s" || bad "JSON result"
import json, sys
d = json.load(open(sys.argv[1])); secs = float(sys.argv[2])
assert d["ok"] and d["format"] == "qcow2" and d["accel"] == "tcg" and d["bus"] == "virtio-blk", d
assert d["install_seconds"] > 0 and d["disk_bytes"] > 1 << 20, d
f = {c["rule"]: c for c in d["check"]}
def has(rule, sub):
    assert rule in f and f[rule]["status"] == "pass" and sub in f[rule]["message"], (rule, f.get(rule))
has("disk.windows", "Windows Server 2022 Datacenter")
has("disk.partition_table", "MBR partition table")
has("disk.boot_partition", "bootmgr")
has("disk.drivers.storage", "viostor Start=0")
assert secs < 120, "TCG install took %s s" % secs
PY
echo "TCG stand-in install alone (QEMU start to guest power-off): $(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["install_seconds"], 1))' "$T/o1.json") s"
grep -q 'install' "$T/e1.txt" && ! grep -qF 'Ci!Install2026' "$T/o1.json" "$T/e1.txt" && ok "events on stderr, no password in any output" || bad "events/secret"

echo "--- 2. an installer that never powers off: exit 1 after --timeout, evidence kept"
mkdir -p "$T/hang"
"$W2C" --json "${INSTALL[@]}" "$INJ_HANG" -o "$T/hang/sys.qcow2" --timeout 45s >"$T/o2.json" 2>"$T/e2.txt"
rc=$?
[ $rc = 1 ] && ok "exit 1" || { bad "exit $rc, expected 1"; tail -5 "$T/e2.txt"; }
pid=$(qemu_pid "$T/e2.txt")
[ -n "$pid" ] && gone "$pid" && ok "QEMU (pid $pid) is gone" || bad "QEMU pid '$pid' still there"
[ ! -e "$T/hang/sys.qcow2" ] && ok "no disk under the output name" || bad "a disk was left"
png=$T/hang/sys.qcow2.screen.png log=$T/hang/sys.qcow2.console.log
[ "$(head -c 8 "$png" 2>/dev/null | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] && ok "screenshot is a PNG" || bad "no PNG screenshot"
grep -q "installing forever" "$log" 2>/dev/null && ok "console log kept" || bad "console log"
grep -qF "$png" "$T/e2.txt" && grep -qF "$log" "$T/e2.txt" && grep -q "did not power off within --timeout 45s" "$T/e2.txt" &&
	ok "the error names the timeout, the screenshot and the console log" || { bad "error text"; grep error "$T/e2.txt"; }

echo "--- 2b. an installer that restarts at once, again and again: exit 1, a reset loop"
w2c_installer_inject "$FX/installer-reboot.iso" "$T/inj-reboot.iso"
mkdir -p "$T/loop"
"$W2C" --json "${INSTALL[@]}" "$T/inj-reboot.iso" -o "$T/loop/sys.qcow2" --timeout 5m >"$T/o3.json" 2>"$T/e3.txt"
rc=$?
[ $rc = 1 ] && grep -q "a reset loop" "$T/e3.txt" && [ ! -e "$T/loop/sys.qcow2" ] &&
	[ -s "$T/loop/sys.qcow2.screen.png" ] && ok "reset loop: exit 1, named, evidence kept, no disk" ||
	{ bad "reset loop: exit $rc"; grep error "$T/e3.txt"; }
pid=$(qemu_pid "$T/e3.txt")
[ -n "$pid" ] && gone "$pid" && ok "reset loop: QEMU (pid $pid) is gone" || bad "reset loop: QEMU pid '$pid'"

echo "--- 3. preflight: exit 3 before QEMU starts, naming the fix"
pre() { # NAME ISO EXPECTED-SUBSTRING [options]
	local name=$1 iso=$2 want=$3; shift 3
	mkdir -p "$T/pre-$name"
	"$W2C" --json "${INSTALL[@]}" "$iso" -o "$T/pre-$name/sys.qcow2" "$@" >"$T/p.json" 2>"$T/p.err"
	local rc=$?
	if [ $rc = 3 ] && grep -qF -- "$want" "$T/p.json" && grep -q "fix:" "$T/p.json" &&
		! grep -q '"kind": *"start"' "$T/p.err" && [ -z "$(ls -A "$T/pre-$name")" ]; then
		ok "$name: exit 3, '$want', no QEMU, nothing written"
	else
		bad "$name: exit $rc"; cat "$T/p.json"
	fi
}
pre no-answer-file "$FX/installer.iso" "no /autounattend.xml"
w2c_installer_inject "$FX/installer-uefi.iso" "$T/inj-uefi.iso"
pre uefi-only "$T/inj-uefi.iso" "only a UEFI (0xEF) entry"
"$W2C" unattend new --admin-password-file "$T/admin.pw" --plain-password --driver-paths --shutdown \
	--disk 0 --edition 1 -o "$T/weak.xml" >/dev/null 2>&1 || bad "unattend new"
sed -i 's/Ci!Install2026/password/g' "$T/weak.xml"
"$W2C" -q build "$INJ" -o "$T/weak.iso" --add "/autounattend.xml=$T/weak.xml" >/dev/null 2>&1 || bad "build weak.iso"
pre weak-password "$T/weak.iso" "password of 'Administrator' breaks the cloud's rule"
pre size-30G "$INJ" "--size 30.0 GiB" --size 30G
pre size-2000G "$INJ" "--size 2000.0 GiB" --size 2000G

echo "--- 4. SIGINT and SIGKILL mid-install: no QEMU left, no output"
interrupt() { # SIGNAL EXPECTED-EXIT
	local d=$T/sig-$1
	mkdir -p "$d"
	"$W2C" --json "${INSTALL[@]}" "$INJ_HANG" -o "$d/sys.qcow2" --timeout 5m >"$d/o.json" 2>"$d/e.txt" &
	local w=$! pid=
	for _ in $(seq 1 300); do pid=$(qemu_pid "$d/e.txt"); [ -n "$pid" ] && break; sleep 0.1; done
	sleep 3
	kill -"$1" "$w"
	wait "$w"
	local rc=$?
	[ -n "$pid" ] && gone "$pid" && ok "$1: QEMU (pid $pid) gone" || bad "$1: QEMU pid '$pid' still running"
	[ "$rc" = "$2" ] && ok "$1: exit $rc" || bad "$1: exit $rc, expected $2"
	[ -z "$(ls -A "$d" | grep -v -e '^o.json$' -e '^e.txt$')" ] && ok "$1: nothing written" ||
		{ bad "$1: files left"; ls -la "$d"; }
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
}
interrupt INT 6
interrupt KILL 137
echo "install: $((n - fails)) of $n passed"
[ $fails = 0 ]
