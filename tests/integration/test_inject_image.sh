#!/bin/bash
# needs-fixture: winiso
# inject --level image (offline servicing of install.wim, specs/windows-media.md §4c/§4d) on
# the fixture ISO whose install.wim images get REAL SYSTEM hives (tests/data/hive): images 1-2
# regipy's Windows 7-era SYSTEM (no DriverDatabase: CriticalDeviceDatabase path), images 3-4
# SYSTEM_WIN_10_1709 (DriverDatabase path, dirty header).  Checks: wimlib-imagex verify, the
# files in the WIM, every hive value read back with hivexregedit/hivexget, SetupComplete.cmd
# created/appended, edition XML unchanged, verify --against SRC, idempotent re-inject,
# media,image, boot.wim, install.esd, errors naming the file, SIGKILL leaving no output (and the next
# run sweeping the scratch), the source ISO unchanged.  Windows itself cannot boot here.
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing"; exit 77; }
hives=${W2C_DATA:-$W2C_SRC/tests/data}/hive/regipy
[ -f "$hives/SYSTEM.xz" ] && [ -f "$hives/SYSTEM_WIN_10_1709.xz" ] ||
	{ echo "FAIL: hives missing under $hives (tests/data of the repository)"; exit 1; }
for t in wimlib-imagex hivexregedit hivexget 7z xz python3; do
	command -v $t >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$work"
bash "$W2C_SRC/tests/fixtures/mkvirtio.sh" vw >/dev/null
xz -dc "$hives/SYSTEM.xz" > win7.SYSTEM
xz -dc "$hives/SYSTEM_WIN_10_1709.xz" > win10.SYSTEM
printf '@echo off\r\nreg add HKLM\\SOFTWARE\\Mine /f\r\n' > user.cmd

# --- source: the fixture with real hives (and a user's SetupComplete.cmd in image 2)
7z x -y -ofx "$iso" sources/install.wim >/dev/null
cp fx/sources/install.wim src.wim
for i in 1 2; do wimlib-imagex update src.wim $i --command="add win7.SYSTEM /Windows/System32/config/SYSTEM" >/dev/null; done
for i in 3 4; do wimlib-imagex update src.wim $i --command="add win10.SYSTEM /Windows/System32/config/SYSTEM" >/dev/null; done
wimlib-imagex update src.wim 2 --command="add user.cmd /Windows/Setup/Scripts/SetupComplete.cmd" >/dev/null
wimlib-imagex optimize src.wim >/dev/null
"$W2C" -q build "$iso" --add /sources/install.wim=src.wim -o src.iso
sum0=$(sha256sum < src.iso)

# --- inject --level image
t0=$(date +%s.%N)
"$W2C" -q inject src.iso --drivers vw --level image -o out.iso --json > out.json
echo "# inject --level image on the fixture (4 images): $(echo "$(date +%s.%N) - $t0" | bc) s"
[ ! -e "out/\$WinPEDriver\$/viostor" ] || fail "media level ran"
python3 - out.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d["level"] == "image", d
im = {i["index"]: i for i in d["images"]}
assert sorted(im) == [1, 2, 3, 4], im
for i in (1, 2):
    assert im[i]["registry"] == "CriticalDeviceDatabase" and not im[i]["hive_was_dirty"], im[i]
for i in (3, 4):
    assert im[i]["registry"] == "DriverDatabase" and im[i]["hive_was_dirty"], im[i]
for i in im.values():
    assert i["storage"] == "viostor" and i["control_set"] == 1 and i["files"] > 10, i
    assert i["system_changes"] > 0 and i["software_hive"], i
assert im[2]["setupcomplete"] == "appended" and im[1]["setupcomplete"] == "created", im
PY
7z x -y -oo out.iso sources/install.wim '$WinPEDriver$' >/dev/null
w=o/sources/install.wim
wimlib-imagex verify "$w" >/dev/null 2>&1 || fail "wimlib-imagex verify $w"
ls "o/\$WinPEDriver\$" | grep -qv '^win2cloud-drivers.json$' && fail "--level image placed \$WinPEDriver\$ packages"
python3 - "o/\$WinPEDriver\$/win2cloud-drivers.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["serviced"] == ["/sources/install.wim"] and len(m["images"]) == 4 and m["packages"] == [], m
PY

# --- files: flattened, lower-cased, in the WIM; the storage .sys also in System32/drivers
for i in 1 3; do
	wimlib-imagex dir "$w" $i > dir$i
	for f in viostor.inf viostor.sys viostor.cat vioscsi.inf netkvm.inf balloon.sys; do
		grep -qx "/Windows/Drivers/VirtIO/$f" dir$i || fail "image $i lacks /Windows/Drivers/VirtIO/$f"
	done
	grep -qx /Windows/System32/drivers/viostor.sys dir$i || fail "image $i lacks System32/drivers/viostor.sys"
	sed -n 's|^/Windows/Drivers/VirtIO/||p' dir$i | grep -q '[A-Z]' && fail "upper-case names in image $i"
	grep -c '^/Windows/[Ss]ystem32$' dir$i | grep -qx 1 || fail "a second System32 folder in image $i"
	wimlib-imagex extract "$w" $i /Windows/System32/config/SYSTEM /Windows/System32/config/SOFTWARE \
		/Windows/Setup/Scripts/SetupComplete.cmd /Windows/System32/drivers/viostor.sys \
		--dest-dir=x$i --no-acls >/dev/null
done
cmp x1/viostor.sys vw/viostor/2k19/amd64/viostor.sys || fail "image 1 viostor.sys is not 2k19's"
cmp x3/viostor.sys vw/viostor/w10/amd64/viostor.sys || fail "image 3 viostor.sys is not w10's"

# --- hives, as hivex reads them back
u16() { printf '%s' "$1" | iconv -t UTF-16LE | od -An -v -tx1 | tr -s ' \n' ',,' | sed 's/^,//;s/,$//'; }
sz() { echo "\"$1\"=hex(${3:-1}):$(u16 "$2"),00,00"; }
hivexregedit --export x1/SYSTEM '\ControlSet001\Services\viostor' > svc1.reg
for want in '"Type"=dword:00000001' '"Start"=dword:00000000' '"ErrorControl"=dword:00000001' \
	"$(sz Group 'SCSI miniport')" "$(sz ImagePath 'system32\drivers\viostor.sys' 2)"; do
	grep -qxF "$want" svc1.reg || fail "image 1 Services\\viostor lacks $want"
done
for id in 'VEN_1AF4&DEV_1001&REV_00' 'VEN_1AF4&DEV_1042&REV_01'; do
	hivexregedit --export x1/SYSTEM "\\ControlSet001\\Control\\CriticalDeviceDatabase\\PCI#$id" > cdd.reg
	grep -qxF "$(sz Service viostor)" cdd.reg || fail "CDD $id Service"
	grep -qxF "$(sz ClassGUID '{4D36E97B-E325-11CE-BFC1-08002BE10318}')" cdd.reg || fail "CDD $id ClassGUID"
done
[ "$(hivexget x1/SYSTEM '\ControlSet001\Control\CrashControl' AutoReboot)" = 0 ] || fail "AutoReboot"
hivexget x1/SYSTEM '\DriverDatabase' >/dev/null 2>&1 && fail "DriverDatabase invented on the Windows 7 hive"
label=guestor.inf_amd64_0000000000000000
hivexregedit --export x3/SYSTEM '\DriverDatabase' > dd3.reg
grep -qxF "@=hex(7):$(u16 $label),00,00,00,00" dd3.reg || fail "guestor.inf default value"
grep -qxF "$(sz Active $label)" dd3.reg || fail "guestor.inf Active"
grep -qxF "\"Configurations\"=hex(7):$(u16 guestor_conf),00,00,00,00" dd3.reg || fail "Configurations"
grep -qxF '"Version"=hex(3):00,ff,09,00,00,00,00,00,7b,e9,36,4d,25,e3,ce,11,bf,c1,08,00,2b,e1,03,18,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00,00' dd3.reg || fail "package Version"
[ "$(grep -cxF '"guestor.inf"=hex(3):01,ff,00,00' dd3.reg)" = 2 ] || fail "DeviceIds ranks"
[ "$(grep -cxF "$(sz Configuration guestor_conf)" dd3.reg)" = 2 ] || fail "Descriptors"
[ "$(hivexget x3/SYSTEM "\\DriverDatabase\\DriverPackages\\$label\\Configurations\\guestor_conf" Service)" = viostor ] || fail "conf Service"
[ "$(hivexget x3/SYSTEM '\ControlSet001\Services\viostor' Start)" = 0 ] || fail "image 3 Start"
for i in 1 3; do
	[ "$(hivexget x$i/SOFTWARE '\Microsoft\Windows\CurrentVersion' DevicePath)" = '%SystemRoot%\inf;%SystemRoot%\Drivers\VirtIO' ] ||
		fail "image $i DevicePath"
	printf '@echo off\r\npnputil /add-driver %%SystemRoot%%\\Drivers\\VirtIO\\*.inf /subdirs /install\r\n' | cmp - x$i/SetupComplete.cmd ||
		fail "image $i SetupComplete.cmd"
done
wimlib-imagex extract "$w" 2 /Windows/Setup/Scripts/SetupComplete.cmd --dest-dir=x2 --no-acls >/dev/null
{ cat user.cmd; printf 'pnputil /add-driver %%SystemRoot%%\\Drivers\\VirtIO\\*.inf /subdirs /install\r\n'; } | cmp - x2/SetupComplete.cmd ||
	fail "image 2: the user's SetupComplete.cmd was not kept with our line appended"

# --- edition XML: every property but the counts and times wimlib updates
props() { wimlib-imagex info "$1" | grep -vE '^(Directory Count|File Count|Total Bytes|Hard Link Bytes|Creation Time|Last Modification Time|Size|Path|Integrity Info|Attributes|Part Number|Boot Metadata Resource):'; }
props src.wim > p0; props "$w" > p1
diff p0 p1 || fail "WIM/edition XML changed"

# --- verify, source unchanged
"$W2C" -q verify out.iso --against src.iso || fail "verify out.iso --against src.iso"
[ "$(sha256sum < src.iso)" = "$sum0" ] || fail "source ISO modified"

# --- idempotent: inject on its own output changes nothing in the images
"$W2C" -q inject out.iso --drivers vw --level image -o again.iso --json > again.json
python3 -c "import json,sys; d=json.load(open('again.json')); assert all(i['system_changes']==0 and i['software_changes']==0 and i['setupcomplete']=='kept' for i in d['images']), d['images']"
7z x -y -oa again.iso sources/install.wim >/dev/null
for i in 1 2 3 4; do
	wimlib-imagex dir "$w" $i > d1; wimlib-imagex dir a/sources/install.wim $i > d2
	cmp d1 d2 || fail "image $i: re-inject changed the file list"
	wimlib-imagex extract a/sources/install.wim $i /Windows/System32/config/SYSTEM /Windows/System32/config/SOFTWARE \
		/Windows/Setup/Scripts/SetupComplete.cmd --dest-dir=y$i --no-acls >/dev/null
	wimlib-imagex extract "$w" $i /Windows/System32/config/SYSTEM /Windows/System32/config/SOFTWARE \
		/Windows/Setup/Scripts/SetupComplete.cmd --dest-dir=z$i --no-acls >/dev/null
	for f in SYSTEM SOFTWARE SetupComplete.cmd; do cmp z$i/$f y$i/$f || fail "image $i: re-inject changed $f"; done
done
"$W2C" -q verify again.iso --against out.iso || fail "verify again.iso --against out.iso"

# --- drivers from an ISO (read from its extents): the same files as from the directory
if command -v genisoimage >/dev/null; then
	genisoimage -quiet -J -R -o vw.iso vw 2>/dev/null
	"$W2C" -q inject src.iso --drivers vw.iso --level image --edition 3 -o fromiso.iso
	7z x -y -ofi fromiso.iso sources/install.wim >/dev/null
	wimlib-imagex extract fi/sources/install.wim 3 /Windows/Drivers/VirtIO --dest-dir=vi --no-acls >/dev/null
	wimlib-imagex extract "$w" 3 /Windows/Drivers/VirtIO --dest-dir=vd --no-acls >/dev/null
	diff -r vi vd || fail "drivers from an ISO differ from those of the directory"
fi

# --- an unpacked directory as the source: its install.wim is copied, never written
"$W2C" -q unpack src.iso ud
sha256sum ud/sources/install.wim > ud.sum
"$W2C" -q inject ud --drivers vw --level image --edition 1 -o fromdir.iso 2>/dev/null
sha256sum -c --quiet ud.sum || fail "inject --level image modified the unpacked source's install.wim"
"$W2C" -q verify fromdir.iso --against src.iso || fail "verify fromdir.iso"

# --- both levels
"$W2C" -q inject src.iso --drivers vw --level media,image -o both.iso
7z l both.iso > l.txt
grep -q 'WinPEDriver\$/viostor/2k19_amd64/viostor.inf' l.txt || fail "media,image: no \$WinPEDriver\$"
"$W2C" -q verify both.iso --against src.iso || fail "verify both.iso"
# check: media,image has Setup's drivers; image alone does not, and check says why
"$W2C" check both.iso --profile otc --require-drivers --json > chk.json || true
python3 -c "import json,sys; d=json.load(open('chk.json')); dr=[x for x in d['findings'] if x['rule']=='iso.drivers']; assert dr and all(x['status']=='pass' for x in dr), dr" ||
	fail "check: media,image drivers not accepted"
rc=0; "$W2C" check out.iso --profile otc --require-drivers > chk.txt 2>&1 || rc=$?
[ $rc != 0 ] && grep -q "install image 1 was serviced offline with viostor (--level image), which serves the installed Windows, but Setup's WinPE loads drivers from \$WinPEDriver\$ (--level media)" chk.txt ||
	fail "check of an image-only inject: exit $rc: $(grep iso.drivers chk.txt | head -2)"

# --- boot.wim's boot image (image 2): storage .sys + SYSTEM recipe only
7z x -y -ofb "$iso" sources/boot.wim >/dev/null
cp fb/sources/boot.wim boot.wim
wimlib-imagex update boot.wim 2 --command="add win10.SYSTEM /Windows/System32/config/SYSTEM" >/dev/null
"$W2C" -q build src.iso --add /sources/boot.wim=boot.wim -o srcb.iso
"$W2C" -q inject srcb.iso --drivers vw --level image,boot -o outb.iso --json > outb.json
python3 -c "
import json; d = json.load(open('outb.json')); b = [i for i in d['images'] if i['wim'] == '/sources/boot.wim']
assert d['level'] == 'image,boot' and len(d['images']) == 5 and len(b) == 1, d
assert b[0]['index'] == 2 and b[0]['registry'] == 'DriverDatabase' and b[0]['setupcomplete'] == 'none' and b[0]['files'] == 0, b"
7z x -y -ob outb.iso sources/boot.wim >/dev/null
wimlib-imagex verify b/sources/boot.wim >/dev/null 2>&1 || fail "serviced boot.wim does not verify"
wimlib-imagex dir b/sources/boot.wim 2 > boot2; wimlib-imagex dir b/sources/boot.wim 1 > boot1
grep -qx /Windows/System32/drivers/viostor.sys boot2 || fail "boot.wim image 2 lacks viostor.sys"
grep -q -e VirtIO -e SetupComplete boot2 && fail "boot.wim got install-only files"
grep -q viostor boot1 && fail "boot.wim image 1 (WinPE) serviced"
wimlib-imagex extract b/sources/boot.wim 2 /Windows/System32/config/SYSTEM --dest-dir=bx --no-acls >/dev/null
[ "$(hivexget bx/SYSTEM '\ControlSet001\Services\viostor' Start)" = 0 ] || fail "boot.wim service key"
props fb/sources/boot.wim > pb0; props b/sources/boot.wim > pb1
diff pb0 pb1 || fail "boot.wim XML or boot index changed"
"$W2C" -q verify outb.iso --against srcb.iso || fail "verify outb.iso"

# --- install.esd: serviced and written solid again
wimlib-imagex export src.wim all install.esd --solid >/dev/null
"$W2C" -q build src.iso --remove /sources/install.wim --add /sources/install.esd=install.esd -o esd.iso
"$W2C" -q inject esd.iso --drivers vw --level image --edition 3 -o esdout.iso
7z x -y -oe esdout.iso sources/install.esd >/dev/null
wimlib-imagex verify e/sources/install.esd >/dev/null 2>&1 || fail "serviced install.esd does not verify"
wimlib-imagex info e/sources/install.esd > esd.info
grep -q 'Compression: *LZMS' esd.info || fail "install.esd not LZMS"
wimlib-imagex dir e/sources/install.esd 3 > esd3; wimlib-imagex dir e/sources/install.esd 1 > esd1
grep -qx /Windows/Drivers/VirtIO/viostor.inf esd3 || fail "esd image 3"
grep -q VirtIO esd1 && fail "esd image 1 serviced without --edition 1"
"$W2C" -q verify esdout.iso --against esd.iso || fail "verify esdout.iso"

# --- errors name the file and what was expected; nothing written
# bad_inject NAME IMAGE FILE WIMPATH: src.wim with FILE at WIMPATH in IMAGE, built into NAME.iso,
# injected --level image; the exit status in $rc, stderr in err
bad_inject() {
	cp src.wim "$1.wim"
	wimlib-imagex update "$1.wim" "$2" --command="add $3 $4" >/dev/null
	"$W2C" -q build src.iso --add /sources/install.wim="$1.wim" -o "$1.iso"
	rc=0
	"$W2C" -q inject "$1.iso" --drivers vw --level image -o bad.iso 2> err || rc=$?
}
# a SYSTEM hive without Select (an empty hive from mkhive) in image 1
"${W2C_MKHIVE:?set by ctest: the fixture hive generator}" empty.SYSTEM SYSTEM
bad_inject empty 1 empty.SYSTEM /Windows/System32/config/SYSTEM
[ $rc = 4 ] || fail "minimal hive: exit $rc"
grep -qF 'sources/install.wim image 1: /Windows/System32/config/SYSTEM: no Select\Current' err || fail "message: $(cat err)"
head -c 4096 /dev/urandom > log1
bad_inject dirty 3 log1 /Windows/System32/config/SYSTEM.LOG1
[ $rc = 4 ] && grep -qF 'sources/install.wim image 3: /Windows/System32/config/SYSTEM: dirty hive' err ||
	fail "dirty hive with logs: exit $rc: $(cat err)"
ls bad.iso* 2>/dev/null && fail "a failed inject left output"
ls -a | grep -q '^\.w2c-' && fail "a failed inject left scratch"

# --- SIGINT while servicing: exit 6, no output, no scratch (the error path removes it)
"$W2C" -q inject src.iso --drivers vw --level image -o int.iso & pid=$!
for _ in $(seq 200); do ls -a | grep -q '^\.w2c-service\.' && break; sleep 0.02; done
kill -INT $pid; rc=0; wait $pid || rc=$?
if [ $rc != 0 ]; then
	[ $rc = 6 ] || fail "SIGINT: exit $rc, expected 6"
	ls int.iso* 2>/dev/null && fail "SIGINT left output"
	ls -a | grep -q '^\.w2c-' && fail "SIGINT left scratch"
fi

# --- SIGKILL while servicing: no output; the next run sweeps the scratch
"$W2C" -q inject src.iso --drivers vw --level image -o killed.iso & pid=$!
for _ in $(seq 200); do ls -a | grep -q '^\.w2c-service\.' && break; sleep 0.02; done
kill -9 $pid; wait $pid 2>/dev/null || true
ls killed.iso* 2>/dev/null && fail "SIGKILL left output"
left=$(ls -a | grep -c '^\.w2c-service\.' || true)
echo "# scratch directories left by SIGKILL: $left (swept by the next run)"
"$W2C" -q inject src.iso --drivers vw --level image -o killed.iso
ls -a | grep -q '^\.w2c-' && fail "scratch not swept: $(ls -a | grep '^\.w2c-')"
[ "$(sha256sum < src.iso)" = "$sum0" ] || fail "source ISO modified"
echo "ok"
