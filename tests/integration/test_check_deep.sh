#!/bin/bash
# resource-lock: libguestfs
# The deep (libguestfs) checks: two disks made by tests/fixtures/mkwindisk.sh in
# one appliance launch (MBR+NTFS with a good registry; GPT+ESP with viostor on
# demand, no agent, no RDP), then ONE `check --deep` over both disks (one more
# launch).  Two launches in all.  Prints the deep check's time.
set -uo pipefail
for t in guestfish hivexsh qemu-img python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/setup.sh installs libguestfs-tools, libhivex-bin)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! bash "$W2C_SRC/tests/fixtures/mkwindisk.sh" "$work" > mk.log 2>&1; then
	if grep -qiE 'launch|appliance|qemu|supermin|kvm' mk.log; then
		echo "SKIP: the libguestfs appliance does not work here: $(grep -iE 'error' mk.log | head -2)"
		exit 77
	fi
	cat mk.log; echo "FAIL: fixture disks"; exit 1
fi
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL $n - $*"; }
t0=$(date +%s.%N)
"$W2C" --json check --deep good.qcow2 gpt.raw > out.json 2> err.txt
rc=$?
t1=$(date +%s.%N)
echo "deep check of 2 disks: $(python3 -c "print(round($t1 - $t0, 1))") s (one appliance launch)"
[ $rc -eq 3 ] && ok "exit 3 (gpt.raw has errors)" || { bad "exit $rc, expected 3"; cat err.txt; }
finding() { # FILE RULE STATUS SUBSTRING
	python3 - "$@" <<'PY'
import json, sys
fn, rule, status, sub = sys.argv[1:5]
d = json.load(open("out.json"))
hits = [f for f in d["findings"] if f["subject"] == fn and f["rule"] == rule and f["status"] == status and sub in f["message"]]
if not hits:
    print("  findings:", [(f["subject"], f["status"], f["message"]) for f in d["findings"] if f["rule"] == rule])
sys.exit(0 if hits else 1)
PY
}
check() { finding "$@" && ok "$1 $2 $3" || bad "$1 $2 $3 '$4'"; }
check good.qcow2 disk.partition_table pass "MBR partition table, 1 partition(s)"
check good.qcow2 disk.boot_partition pass "bootmgr, Boot\\BCD on the active partition"
check good.qcow2 disk.windows pass "Windows Server 2022 Datacenter (ServerDatacenter), version 10.0 build 20348, AMD64"
check good.qcow2 disk.drivers.storage pass "viostor Start=0 (boot)"
check good.qcow2 disk.drivers.ide pass "intelide Start=0"
check good.qcow2 disk.agent pass "cloudbase-init"
check good.qcow2 disk.rdp pass "fDenyTSConnections=0"
check gpt.raw disk.partition_table fail "GPT partition table with an EFI system partition"
check gpt.raw disk.boot_partition fail "not found on this disk"
check gpt.raw disk.windows pass "Windows Server 2022 Datacenter"
check gpt.raw disk.drivers.storage fail "viostor Start=3 (demand), expected 0 (boot)"
check gpt.raw disk.agent fail "no cloudbase-init"
check gpt.raw disk.rdp fail "absent"
echo "check-deep: $((n - fails)) of $n passed"
[ $fails -eq 0 ]
