#!/bin/bash
# resource-lock: libguestfs
# The deep check's appliance start (issue 15, item 15): a notice before the launch says KVM or
# TCG and how long that takes; a launch timeout (W2C_DEEP_LAUNCH_TIMEOUT, here 3 s) stops a
# start that hangs, and under KVM it is retried once with TCG (force_tcg) with a notice, then
# the deep check is skipped with the reason (exit 0 in auto mode); the first SIGINT stops the
# appliance at once: exit 6, no QEMU left behind.
set -uo pipefail
for t in guestfish sfdisk; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/setup.sh installs libguestfs-tools)"; exit 77; }
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
fail() { echo "FAIL: $*"; exit 1; }
truncate -s 60G mbr.raw && printf 'label: dos\n,,7,*\n' | sfdisk -q mbr.raw

# --- timeout, and the KVM -> TCG retry when KVM is usable here
kvm=no; [ -r /dev/kvm ] && [ -w /dev/kvm ] && kvm=yes
t0=$(date +%s)
rc=0; env -u LIBGUESTFS_BACKEND_SETTINGS W2C_DEEP_LAUNCH_TIMEOUT=3 timeout 300 "$W2C" check mbr.raw >out.txt 2>err.txt || rc=$?
el=$(( $(date +%s) - t0 ))
[ $rc = 0 ] || { cat out.txt err.txt; fail "launch timeout in auto mode: exit $rc, expected 0 (deep check skipped)"; }
grep -q "starting the libguestfs appliance for 1 disk(s)" err.txt || { cat err.txt; fail "no notice before the launch"; }
grep -q "launch timeout 3 s" err.txt || fail "the notice does not give the timeout"
if [ $kvm = yes ]; then
	grep -q "KVM, usually" err.txt || { cat err.txt; fail "KVM usable but not said"; }
	grep -q 'retrying with TCG' err.txt || { cat err.txt; fail "no TCG retry after the KVM timeout"; }
fi
grep -q "TCG emulation, usually" err.txt || { cat err.txt; fail "TCG start not announced"; }
grep -q "disk.deep.*did not start within 3 s" out.txt || { cat out.txt; fail "skip finding lacks the reason"; }
[ $el -lt 120 ] || fail "a 3 s launch timeout took $el s"
echo "ok 1 - launch timeout ($el s, KVM usable: $kvm)"

# --- --deep (required) with a timeout: an error, exit 1
rc=0; W2C_DEEP_LAUNCH_TIMEOUT=2 LIBGUESTFS_BACKEND_SETTINGS=force_tcg timeout 300 "$W2C" check --deep mbr.raw >out.txt 2>err.txt || rc=$?
[ $rc = 1 ] && grep -q "did not start within 2 s" err.txt || { cat err.txt; fail "--deep with a timeout: exit $rc"; }
echo "ok 2 - --deep: a launch timeout is an error"

# --- the first SIGINT: exit 6 at once, the appliance gone
LIBGUESTFS_BACKEND_SETTINGS=force_tcg "$W2C" check --deep mbr.raw >out.txt 2>err.txt &
pid=$!
for i in $(seq 100); do grep -q "starting the libguestfs appliance" err.txt && break; sleep 0.1; done
for i in $(seq 100); do q=$(pgrep -P $pid qemu); [ -n "$q" ] && break; sleep 0.1; done
[ -n "$q" ] || { cat err.txt; fail "no QEMU child appeared"; }
sleep 1
t0=$(date +%s%N)
kill -INT $pid
rc=0; wait $pid || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc = 6 ] || { cat err.txt; fail "SIGINT: exit $rc, expected 6"; }
[ $ms -lt 5000 ] || fail "SIGINT took $ms ms to stop the check"
grep -q "interrupted" err.txt || { cat err.txt; fail "no 'interrupted' message"; }
sleep 0.5
for p in $q; do ! kill -0 "$p" 2>/dev/null || fail "QEMU $p left running"; done
echo "ok 3 - SIGINT: exit 6 after $ms ms"
