#!/bin/bash
# win2cloud check on disk images made with qemu-img (every format, sizes,
# LUKS and legacy AES encryption, backing file), compared with qemu-img info as
# the independent reader; malformed headers -> exit 4; registration parameters,
# password, profiles and the override file.  Fast checks only (--no-deep).
set -uo pipefail
for t in qemu-img python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/setup.sh installs it)"; exit 77; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "FAIL $n - $*"; }
# run EXPECTED_RC ARGS...: output in out.json, rc checked
run() {
	local want=$1; shift
	"$W2C" --json check --no-deep "$@" > out.json 2> err.txt
	local rc=$?
	if [ $rc -ne $want ]; then bad "check $* -> exit $rc, expected $want"; cat err.txt out.json | head -20; return 1; fi
	return 0
}
# finding RULE STATUS [MESSAGE-SUBSTRING]
finding() {
	python3 - "$@" <<'PY'
import json, sys
rule, status = sys.argv[1], sys.argv[2]
sub = sys.argv[3] if len(sys.argv) > 3 else ""
d = json.load(open("out.json"))
hits = [f for f in d["findings"] if f["rule"] == rule and f["status"] == status and sub in f["message"]]
if not hits:
    print("  findings:", [(f["rule"], f["status"], f["message"]) for f in d["findings"]])
sys.exit(0 if hits else 1)
PY
}
expect() { # RC RULE STATUS SUBSTRING -- ARGS...
	local rc=$1 rule=$2 st=$3 sub=$4; shift 5
	if run "$rc" "$@"; then
		if finding "$rule" "$st" "$sub"; then ok "$rule $st: $*"; else bad "$rule $st '$sub' missing: $*"; fi
	fi
}

# --- every format, 60G: format and virtual size agree with qemu-img info
for f in qcow2 qcow vpc vhdx vmdk vdi qed raw; do
	qemu-img create -q -f $f d60.$f 60G || { bad "qemu-img create $f"; continue; }
done
for f in qcow2 qcow vpc vhdx vmdk vdi qed raw; do
	img=d60.$f
	before=$(stat -c '%s %Y' $img; [ $(stat -c %s $img) -lt 1073741824 ] && sha256sum < $img)
	t0=$(date +%s%N)
	run 0 $img || continue
	t1=$(date +%s%N)
	after=$(stat -c '%s %Y' $img; [ $(stat -c %s $img) -lt 1073741824 ] && sha256sum < $img)
	[ "$before" = "$after" ] || bad "$img was modified"
	python3 - $img <<'PY' && ok "$img: format/virtual size match qemu-img info ($(( (t1 - t0) / 1000000 )) ms)" || bad "$img differs from qemu-img info"
import json, subprocess, sys
img = sys.argv[1]
q = json.loads(subprocess.check_output(["qemu-img", "info", "--output=json", img]))
d = json.load(open("out.json"))["images"][0]
names = {"vpc": "vhd"}
fmt = names.get(q["format"], q["format"])
ok = d["format"] == fmt and d["virtual_size"] == q["virtual-size"] and d["file_size"] > 0
if not ok:
    print("  ours:", d, "\n  qemu-img:", fmt, q["virtual-size"])
sys.exit(0 if ok else 1)
PY
done
# The extension is never used: a qcow2 named .vhd is still qcow2.
cp d60.qcow2 named.vhd
run 0 named.vhd && finding disk.format pass "qcow2" && ok "format from content, not extension" || bad "extension used"

# --- sizes
qemu-img create -q -f qcow2 d30.qcow2 30G
qemu-img create -q -f qcow2 d2000.qcow2 2000G
expect 3 disk.size.min fail "30.00 GiB < minimum system disk 40 GiB" -- d30.qcow2
expect 0 disk.size.min pass "60.00 GiB >= minimum" -- d60.qcow2
expect 3 disk.size.max fail "2000.00 GiB > maximum system disk 1024 GiB" -- d2000.qcow2
expect 0 disk.size.max pass "<= maximum" -- d60.qcow2
# file size: a qcow2 file over 128 GiB (sparse tail) fails; RAW uses the quick-import path up to 1 TiB
cp d60.qcow2 fat.qcow2 && truncate -s 130G fat.qcow2
expect 3 disk.file_size fail "quick import path" -- fat.qcow2
qemu-img create -q -f raw r200.raw 200G
expect 0 disk.file_size pass "quick import" -- r200.raw
qemu-img create -q -f raw r1100.raw 1100G
expect 3 disk.file_size fail "exceeds that too" -- r1100.raw
expect 0 disk.file_size pass "(direct import)" -- d60.qcow2

# --- encryption and backing file
# qemu-img times a PBKDF run first and gives up ("Unable to get accurate CPU usage") when the
# thread's CPU clock reads 0 ms for it, which happens on a busy 2-core box: try a few times.
for try in 1 2 3 4 5; do
	qemu-img create -q -f qcow2 --object secret,id=s,data=w2c-test \
		-o encrypt.format=luks,encrypt.key-secret=s,encrypt.iter-time=10 luks.qcow2 60G && break
	rm -f luks.qcow2
done
[ -s luks.qcow2 ] || { echo "FAIL: qemu-img could not create luks.qcow2 in 5 tries"; exit 1; }
qemu-img create -q -f qcow2 --object secret,id=s,data=w2c-test -o encrypt.format=aes,encrypt.key-secret=s aes.qcow2 60G
expect 3 disk.encrypted fail "(luks)" -- luks.qcow2
expect 3 disk.encrypted fail "(aes)" -- aes.qcow2
expect 0 disk.encrypted pass "not encrypted" -- d60.qcow2
qemu-img create -q -f qcow2 -b d60.qcow2 -F qcow2 overlay.qcow2
expect 3 disk.backing_file fail "d60.qcow2" -- overlay.qcow2
expect 0 disk.backing_file pass "no backing file" -- d60.qcow2
python3 -c 'import json; d=json.load(open("out.json")); exit(0 if d["summary"]["errors"] == 0 else 1)' && ok "summary ok" || bad "summary"

# --- malformed headers -> exit 4 with one clear line
head -c 100 d60.qcow2 > trunc.qcow2
run 4 trunc.qcow2 && grep -q "truncated qcow2 header" err.txt && ok "truncated qcow2 -> 4" || bad "truncated qcow2: $(cat err.txt)"
head -c 70000 d60.qcow2 > cut.qcow2
run 4 cut.qcow2 && grep -q "truncated" err.txt && ok "qcow2 cut inside cluster -> 4" || bad "cut qcow2: $(cat err.txt)"
qemu-img create -q -f vpc -o subformat=fixed fixed.vhd 1G
sz=$(stat -c %s fixed.vhd)
printf 'X' | dd of=fixed.vhd bs=1 seek=$((sz - 512 + 40)) conv=notrunc status=none
run 4 fixed.vhd && grep -q "VHD footer field 'checksum'" err.txt && ok "VHD bad checksum -> 4" || bad "vhd checksum: $(cat err.txt)"
head -c 1048576 /dev/urandom > garbage.img
run 4 garbage.img && grep -q "not a disk image" err.txt && ok "garbage -> 4" || bad "garbage: $(cat err.txt)"
: > empty.img
run 4 empty.img && ok "empty -> 4" || true
"$W2C" check --no-deep missing.qcow2 2>err.txt; [ $? -eq 4 ] && ok "missing file -> 4" || bad "missing file"

# --- profiles and override file
expect 3 disk.format fail "not accepted" -- --profile openstack d60.qed
expect 0 disk.format pass "accepted" -- --profile otc d60.qed
run 0 --profile openstack d30.qcow2 && ! finding disk.size.min fail && ok "openstack has no 40 GiB minimum" || bad "openstack min"
echo '{"severity": {"disk.size.min": "warning"}, "limits": {"min_disk_min": 20}}' > ovr.json
expect 0 disk.size.min pass ">= minimum system disk 20 GiB" -- --limits ovr.json d30.qcow2
echo '{"severity": {"disk.size.min": "warning"}}' > ovr2.json
expect 0 disk.size.min fail "< minimum" -- --limits ovr2.json d30.qcow2
python3 -c 'import json; d=json.load(open("out.json")); exit(0 if d["summary"]["warnings"] == 1 else 1)' && ok "override turns error into warning" || bad "override severity"
echo '{"limitz": {}}' > ovr3.json
"$W2C" check --no-deep --limits ovr3.json d60.qcow2 2>err.txt; rc=$?
[ $rc -eq 4 ] && grep -q 'unknown key "limitz"' err.txt && ok "bad override -> 4" || bad "bad override rc=$rc $(cat err.txt)"
"$W2C" check --profile azure d60.qcow2 2>/dev/null; [ $? -eq 2 ] && ok "unknown profile -> 2" || bad "unknown profile"
"$W2C" --json check --list-rules > rules.json && python3 -c 'import json; r=json.load(open("rules.json")); exit(0 if len(r) > 25 and all(x["fix"] for x in r) else 1)' && ok "--list-rules" || bad "--list-rules"

# --- registration parameters
expect 3 param.min_disk.range fail "outside 40-1024" -- --min-disk 30
expect 3 param.min_disk.range fail "outside" -- --min-disk 2000
expect 0 param.min_disk.range pass "within" -- --min-disk 40
expect 3 param.min_disk.image fail "40 GiB < the image's virtual size (60 GiB" -- --min-disk 40 d60.qcow2
expect 0 param.min_disk.image pass ">=" -- --min-disk 60 d60.qcow2
expect 0 param.os_version pass "is in the otc list" -- --os-version "Windows Server 2022 Datacenter 64bit"
expect 3 param.os_version fail "not in the otc list" -- --os-version "Windows Server 2022 datacenter 64bit"
echo '{"os_versions": ["Windows 11 64bit"]}' > osv.json
expect 0 param.os_version pass "" -- --limits osv.json --os-version "Windows 11 64bit"
expect 0 param.bucket.storage_class skip "not verified" -- --bucket images
# --- password (the rule of common/password.c)
umask 077
printf 'Passw0rd!x\n' > pw-good
printf 'password1!\n' > pw-noupper
printf 'Admin1!xyzAB\n' > pw-user
expect 0 password.classes pass "" -- --admin-password-file pw-good
expect 3 password.classes fail "missing: upper case" -- --admin-password-file pw-noupper
expect 3 password.username_run fail "consecutive characters" -- --admin-password-file pw-user
grep -q 'Passw0rd' out.json err.txt && bad "password leaked" || ok "password never printed"
chmod 644 pw-good
"$W2C" check --admin-password-file pw-good 2>err.txt; [ $? -eq 4 ] && grep -q "expected 0600" err.txt && ok "0644 password file refused with exit 4, as in unattend and inject" || bad "0644 password file"

# --- human output names the fix; exit code without --json
"$W2C" check --no-deep d30.qcow2 > human.txt; rc=$?
[ $rc -eq 3 ] && grep -q "fix: grow the virtual disk" human.txt && ok "human table with fix, exit 3" || bad "human output rc=$rc"

echo "check-disk: $((n - fails)) of $n passed"
[ $fails -eq 0 ]
