#!/bin/bash
# needs-fixture: winiso
# drivers + inject on the fixture ISO (Server 2019, Server 2022, Windows 10, Windows 11,
# amd64) with a virtio-win-layout tree made from real corpus INFs: every coverage cell,
# the exact $WinPEDriver$ folders per edition, the manifest, .sha256, verify, BIOS and UEFI
# boots reaching the fixture markers, re-run replacing instead of stacking, the driver
# source read from an ISO, and bad inputs failing with file and line, writing nothing.
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
for t in qemu-system-x86_64 7z genisoimage python3; do command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }; done
[ -f /usr/share/ovmf/OVMF.fd ] || { echo "SKIP: OVMF missing (package ovmf)"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
vw=$work/virtio-win
bash "$W2C_SRC/tests/fixtures/mkvirtio.sh" "$vw"
sum0=$(sha256sum < "$iso")

# --- listing: every package parses and is complete; traps excluded
"$W2C" drivers "$vw" --json > "$work/list.json"
python3 - "$work/list.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["packages"]
assert d["broken"] == 0, [x["broken"] for x in p if x["broken"]]
infs = {x["inf"] for x in p}
assert not any("sriov/" in i or "vioprot" in i for i in infs), "excluded packages listed"
v = [x for x in p if x["inf"] == "viostor/2k19/amd64/viostor.inf"][0]
assert v["class"] == "SCSIAdapter" and v["decorations"] == ["NTamd64.10.0"], v
assert v["services"][0]["start"] == 0 and v["services"][0]["group"] == "SCSI miniport"
assert {f["name"] for f in v["files"]} == {"viostor.cat", "viostor.sys"}
s = [x for x in p if x["inf"] == "amd64/2k19/viostor.inf"][0]
assert s["shortcut"] and s["driver"] == "viostor" and s["os_folder"] == "2k19"
PY

# --- coverage for the four editions, every cell
"$W2C" drivers "$vw" --for "$iso" --json > "$work/cov.json"
python3 - "$work/cov.json" <<'PY'
import json, sys
cov = {e["index"]: {d["driver"]: d for d in e["drivers"]} for e in json.load(open(sys.argv[1]))["coverage"]}
osf = {1: "2k19", 2: "2k22", 3: "w10", 4: "w11"}
drivers = ["viostor", "vioscsi", "NetKVM", "Balloon", "vioserial", "viorng", "pvpanic", "vioinput", "qemupciserial"]
for i, os in osf.items():
    for d in drivers:
        c = cov[i][d]
        if (i, d) == (1, "viorng"):
            assert c["status"] == "arch-mismatch", c
        elif (i, d) == (1, "vioinput"):
            assert c["status"] == "decoration" and "newer build" in c["detail"], c
        else:
            assert c["status"] == "chosen" and c["folder"] == f"{d}/{os}/amd64", (i, c)
assert cov[4]["viostor"]["version"] == "100.100.104.26200"
assert cov[1]["viostor"]["version"] == "100.94.104.24800"
assert cov[1]["pvpanic"]["infs"] == ["pvpanic/2k19/amd64/pvpanic.inf", "pvpanic/2k19/amd64/pvpanic-pci.inf"]
PY

# --- inject: exact folders, manifest, checksum, boots
"$W2C" -q inject "$iso" --drivers "$vw" -o "$work/out.iso"
(cd "$work" && sha256sum -c out.iso.sha256 >/dev/null) || fail ".sha256 does not match"
7z x -y -o"$work/x" "$work/out.iso" '$WinPEDriver$' >/dev/null
(cd "$work/x/\$WinPEDriver\$" && find . -mindepth 2 -maxdepth 2 -type d | sort) > "$work/dirs"
for d in viostor vioscsi NetKVM Balloon vioserial viorng pvpanic vioinput qemupciserial; do
	for os in 2k19 2k22 w10 w11; do
		case $d/$os in viorng/2k19|vioinput/2k19) continue ;; esac
		echo "./$d/${os}_amd64"
	done
done | sort > "$work/want"
diff "$work/want" "$work/dirs" || fail "\$WinPEDriver\$ folders differ"
find "$work/x" -name '*.pdb' | grep -q . && fail ".pdb files injected"
cmp "$work/x/\$WinPEDriver\$/viostor/2k19_amd64/viostor.inf" "$vw/viostor/2k19/amd64/viostor.inf" || fail "INF content"
python3 - "$work/x/\$WinPEDriver\$/win2cloud-drivers.json" "$work/out.iso.drivers.json" "$vw" <<'PY'
import json, sys, hashlib
m = json.load(open(sys.argv[1]))
assert m == json.load(open(sys.argv[2])), "side manifest differs from the one on the medium"
pk = {p["inf"]: p for p in m["packages"]}
v = pk["/$WinPEDriver$/viostor/2k19_amd64/viostor.inf"]
assert v["editions"] == [1] and v["version"] == "100.94.104.24800"
assert v["inf_sha256"] == hashlib.sha256(open(sys.argv[3] + "/viostor/2k19/amd64/viostor.inf", "rb").read()).hexdigest()
assert pk["/$WinPEDriver$/qemupciserial/w11_amd64/qemupciserial.inf"]["editions"] == [4]
assert all(p.startswith("/$WinPEDriver$/") for p in m["paths"])
assert len(m["coverage"]) == 4
PY
"$W2C" -q verify "$work/out.iso" --against "$iso" || fail "inject output does not pass verify"
. "$W2C_SRC/tests/integration/lib/boot.sh"
rc=0; w2c_boot "$work/out.iso" bios "$work/b.log" || rc=$?
[ $rc = 33 ] && grep -q ETFSBOOT-TAIL-LOADED "$work/b.log" || fail "BIOS boot: rc $rc"
rc=0; w2c_boot "$work/out.iso" uefi "$work/u.log" || rc=$?
[ $rc = 35 ] && grep -q UEFI-BOOTX64-OK "$work/u.log" || fail "UEFI boot: rc $rc"

# --- re-run on the injected ISO with fewer drivers: replaced, not stacked
"$W2C" -q inject "$work/out.iso" --drivers "$vw" -o "$work/again.iso" --edition 2 --no-driver NetKVM
7z l -slt "$work/again.iso" | sed -n 's/^Path = //p' | grep '^\$WinPEDriver\$/[^/]*/[^/]*$' | sort > "$work/again"
grep -c . "$work/again" | grep -qx 8 || fail "re-run: $(cat "$work/again")"
grep -v '2k22_amd64\|win2cloud-drivers.json' "$work/again" && fail "re-run kept earlier additions"
grep -q NetKVM "$work/again" && fail "re-run kept NetKVM"
"$W2C" -q verify "$work/again.iso" --against "$work/out.iso" || fail "re-injected output does not pass verify"

# --- the driver source as an ISO, read in place (Rock Ridge, like virtio-win's own)
genisoimage -quiet -r -iso-level 4 -o "$work/virtio-win.iso" "$vw"
"$W2C" drivers "$work/virtio-win.iso" --for "$iso" --json > "$work/cov2.json"
python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["coverage"]; b=json.load(open(sys.argv[2]))["coverage"]; assert a==b' \
	"$work/cov.json" "$work/cov2.json" || fail "coverage from the ISO source differs"
"$W2C" -q inject "$iso" --drivers "$work/virtio-win.iso" -o "$work/fromiso.iso"
7z x -y -o"$work/y" "$work/fromiso.iso" '$WinPEDriver$' >/dev/null
diff -r --exclude=win2cloud-drivers.json "$work/x" "$work/y" || fail "inject from ISO source differs"

# --- bad inputs: clear errors naming file and line, nothing written
expect_fail() { # WANT_RC PATTERN ARGS...
	local want=$1 pat=$2; shift 2
	set +e; "$W2C" "$@" -o "$work/bad.iso" 2>"$work/err" >/dev/null; local rc=$?; set -e
	[ $rc = "$want" ] || fail "$*: rc $rc, want $want: $(cat "$work/err")"
	grep -q -- "$pat" "$work/err" || fail "$*: message '$(cat "$work/err")' lacks '$pat'"
	[ ! -e "$work/bad.iso" ] && [ ! -e "$work/bad.iso.drivers.json" ] || fail "$*: output written"
}
echo "not an image" > "$work/notiso.bin"
expect_fail 4 "notiso.bin is not a directory or a readable ISO" inject "$iso" --drivers "$work/notiso.bin"
expect_fail 4 "No such file" inject "$iso" --drivers "$work/nonexistent"
cp -r "$vw" "$work/b1"; rm "$work/b1/viostor/2k19/amd64/viostor.sys" "$work/b1/amd64/2k19/viostor.sys"
expect_fail 3 "viostor.inf:.*: file 'viostor.sys' is missing" inject "$iso" --drivers "$work/b1"
set +e; "$W2C" drivers "$work/b1" >/dev/null 2>"$work/err"; rc=$?; set -e
[ $rc = 4 ] && grep -q "broken package: .*viostor/2k19/amd64/viostor.inf:[0-9]*: file 'viostor.sys' is missing" "$work/err" || fail "drivers on a broken package: $rc"
cp -r "$vw" "$work/b2"; iconv -f UTF-8 -t UTF-16LE "$vw/vioscsi/2k22/amd64/vioscsi.inf" > "$work/b2/vioscsi/2k22/amd64/vioscsi.inf"
expect_fail 4 "vioscsi/2k22/amd64/vioscsi.inf:1: NUL byte.*without a byte-order mark" inject "$iso" --drivers "$work/b2"
cp -r "$vw" "$work/b3"; head -c 1500 "$vw/viostor/2k22/amd64/viostor.inf" > "$work/b3/viostor/2k22/amd64/viostor.inf"
printf '\r\n[Strin' >> "$work/b3/viostor/2k22/amd64/viostor.inf"
expect_fail 4 "viostor/2k22/amd64/viostor.inf:[0-9]*: section name without closing" inject "$iso" --drivers "$work/b3"
cp -r "$vw" "$work/b4"; sed -i '/^\[Strings\]/,$d' "$work/b4/vioscsi/w11/amd64/vioscsi.inf" "$work/b4/amd64/w11/vioscsi.inf"
expect_fail 3 "vioscsi.inf:[0-9]*: Provider uses %VENDOR%" inject "$iso" --drivers "$work/b4"
[ "$(sha256sum < "$iso")" = "$sum0" ] || fail "source ISO modified"
echo "inject: all checks passed"
