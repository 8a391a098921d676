#!/bin/bash
# Verdicts of `check` that were wrong (issue 15, item 16), on disks made here with qemu-img,
# sfdisk and cryptsetup's format as qemu writes it: a GPT disk (protective MBR 0xEE) fails a
# BIOS check and passes a UEFI one, an MBR disk the reverse; a monolithicFlat VMDK (descriptor
# + separate extent) is not passed blindly: its extent is named, a missing or short extent is
# said so; a raw LUKS container is an encryption finding (exit 3), not "not a disk image";
# a raw file over 128 GiB points at `register --quick-import`, which exists.
set -uo pipefail
for t in qemu-img sfdisk python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/setup.sh installs it)"; exit 77; }
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL $n - $*"; }
# expect RC RULE STATUS SUBSTRING -- check ARGS...
expect() {
	local want=$1 rule=$2 st=$3 sub=$4; shift 5
	"$W2C" --json check --no-deep "$@" > out.json 2> err.txt; local rc=$?
	[ $rc = "$want" ] || { bad "check $* -> exit $rc, expected $want: $(cat err.txt)"; return; }
	python3 - "$rule" "$st" "$sub" <<'PY' && ok "$rule $st: $*" || bad "$rule $st '$sub' missing: $*"
import json, sys
rule, st, sub = sys.argv[1:4]
d = json.load(open("out.json"))
hits = [f for f in d["findings"] if f["rule"] == rule and f["status"] == st and sub in f["message"]]
if not hits:
    print("  findings:", [(f["rule"], f["status"], f["message"]) for f in d["findings"]])
sys.exit(0 if hits else 1)
PY
}

truncate -s 60G gpt.raw && echo 'label: gpt' | sfdisk -q gpt.raw
truncate -s 60G mbr.raw && printf 'label: dos\n,,7,*\n' | sfdisk -q mbr.raw
expect 3 disk.partition_table fail "protective MBR, type 0xEE), firmware is bios" -- gpt.raw
expect 0 disk.partition_table pass "GPT partition table" -- gpt.raw --firmware uefi
expect 0 disk.partition_table pass "MBR partition table" -- mbr.raw
expect 3 disk.partition_table fail "firmware is uefi" -- mbr.raw --firmware uefi

qemu-img create -q -f vmdk -o subformat=monolithicFlat flat.vmdk 60G
expect 3 disk.self_contained fail "flat.vmdk (FLAT, 64424509440 bytes)" -- flat.vmdk
truncate -s 1G flat-flat.vmdk
expect 3 disk.self_contained fail "has 1073741824 bytes, the descriptor says 64424509440" -- flat.vmdk
rm flat-flat.vmdk
expect 3 disk.self_contained fail "is missing" -- flat.vmdk
qemu-img create -q -f vmdk d60.vmdk 60G # monolithicSparse: one file, no finding
"$W2C" --json check --no-deep d60.vmdk > out.json 2>&1 && ! grep -q disk.self_contained out.json &&
	ok "monolithicSparse VMDK has no extent finding" || bad "monolithicSparse VMDK: $(cat out.json)"

# qemu-img gives up ("Unable to get accurate CPU usage") on a busy box now and then: retry
for try in 1 2 3 4 5; do
	qemu-img create -q -f luks --object secret,id=s,data=w2c-test -o key-secret=s,iter-time=10 raw.luks 60G 2>/dev/null && break
	rm -f raw.luks
done
[ -s raw.luks ] || { echo "FAIL: qemu-img could not create raw.luks in 5 tries"; exit 1; }
expect 3 disk.encrypted fail "encrypted (luks1)" -- raw.luks

qemu-img create -q -f raw r200.raw 200G
expect 0 disk.file_size pass "register with --quick-import" -- r200.raw
"$W2C" register --help | grep -q -- --quick-import && ok "register offers --quick-import" ||
	bad "register has no --quick-import"

[ $fails = 0 ] || { echo "$fails of $n failed"; exit 1; }
echo "all $n passed"
