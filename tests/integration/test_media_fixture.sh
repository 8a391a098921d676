#!/bin/bash
# needs-fixture: winiso
# inspect and unpack on the Windows-like fixture: editions and boot entries as
# built, the boot catalog equal to xorriso's report, the extracted tree
# byte-identical to 7z x with timestamps kept, malformed images rejected with
# exit 4 and one line, a non-empty destination refused, a killed unpack
# leaving no manifest, and the source never modified.
set -euo pipefail
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || { echo "SKIP: fixture $iso missing (fixtures.windows_like did not run)"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
sum0=$(sha256sum < "$iso")

"$W2C" inspect --json "$iso" > "$work/i.json"
python3 - "$work/i.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["volume_id"] == "CCCOMA_X64FRE_EN-US_DV9", d["volume_id"]
assert [f["type"] for f in d["filesystems"]] == ["udf", "iso9660", "joliet"], d["filesystems"]
assert d["filesystems"][0]["revision"] == "1.02"
assert d["tree"] == "udf"
b = d["boot"]
assert len(b) == 2
assert (b[0]["platform"], b[0]["sector_count"], b[0]["emulation"], b[0]["image"]) == ("bios", 8, "none", "/boot/etfsboot.com"), b[0]
assert (b[1]["platform"], b[1]["platform_id"], b[1]["image"]) == ("uefi", 239, "/efi/microsoft/boot/efisys.bin"), b[1]
assert b[1]["image_size"] == 1474560
eds = d["editions"]
want = [(1, "Windows Server 2019 SERVERDATACENTER", "ServerDatacenter", 17763, "Server", "ServerNT"),
        (2, "Windows Server 2022 SERVERSTANDARD", "ServerStandard", 20348, "Server", "ServerNT"),
        (3, "Windows 10 Pro", "Professional", 19045, "Client", "WinNT"),
        (4, "Windows 11 Pro", "Professional", 22631, "Client", "WinNT")]
got = [(e["index"], e["name"], e["edition_id"], e["build"], e["installation_type"], e["product_type"]) for e in eds]
assert got == want, got
assert all(e["arch"] == "amd64" and e["major"] == 10 and e["minor"] == 0 and e["languages"] == ["en-US"] and e["file"] == "/sources/install.wim" for e in eds)
wims = {w["file"]: w for w in d["wims"]}
assert wims["/sources/boot.wim"]["boot_index"] == 2 and wims["/sources/boot.wim"]["image_count"] == 2
assert d["file_count"] == 19, d["file_count"]
print("inspect json ok")
PY

# boot entries against xorriso
xorriso -indev "$iso" -report_el_torito plain 2>/dev/null | grep 'boot img :' | awk '{print $7,$8,$9,$10,$12,$13}' > "$work/x.txt"
"$W2C" inspect --json "$iso" | python3 -c '
import json,sys
for b in json.load(sys.stdin)["boot"]:
    print({0:"BIOS",239:"UEFI"}[b["platform_id"]], "y" if b["bootable"] else "n", b["emulation"], "0x%04x" % b["load_segment"], b["sector_count"], b["lba"])' > "$work/o.txt"
diff "$work/x.txt" "$work/o.txt" || fail "boot entries differ from xorriso -report_el_torito"

# unpack == 7z x, with timestamps
"$W2C" -q unpack "$iso" "$work/u"
7z x -y -o"$work/z" "$iso" >/dev/null
diff -r --exclude=.win2cloud "$work/u" "$work/z" || fail "unpacked tree differs from 7z x"
diff -r "$work/u/sources" "$W2C_FIXTURES/win/tree/sources" || fail "unpacked tree differs from the source tree"
a=$(stat -c %Y "$work/u/sources/install.wim"); b=$(stat -c %Y "$work/z/sources/install.wim")
[ "$a" = "$b" ] || fail "mtime of install.wim $a, 7z says $b"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["volume_id"]=="CCCOMA_X64FRE_EN-US_DV9" and len(d["boot"])==2 and any(f["path"]=="/sources/install.wim" for f in d["files"])' "$work/u/.win2cloud/media.json" || fail "media.json"

# a non-empty destination is refused (exit 1), --force works
set +e
"$W2C" unpack "$iso" "$work/u" 2>"$work/err"; rc=$?
set -e
[ $rc = 1 ] && grep -q 'not empty' "$work/err" || fail "non-empty destination: rc $rc, $(cat "$work/err")"
"$W2C" -q unpack --force "$iso" "$work/u"

# malformed images: exit 4 with one line naming the file
head -c 40000 "$iso" > "$work/trunc.iso"
head -c 1048576 /dev/urandom > "$work/garbage.iso"
cp "$iso" "$work/badcat.iso"
cat_lba=$(xorriso -indev "$iso" -report_el_torito plain 2>/dev/null | awk '/catalog/{print $5}')
printf '\x07' | dd of="$work/badcat.iso" bs=1 seek=$((cat_lba * 2048)) conv=notrunc status=none
: > "$work/empty.iso"
for f in trunc garbage badcat empty; do
	set +e
	"$W2C" inspect "$work/$f.iso" 2>"$work/err" >/dev/null; rc=$?
	set -e
	[ $rc = 4 ] || fail "$f.iso: exit $rc, expected 4 ($(cat "$work/err"))"
	[ "$(wc -l < "$work/err")" = 1 ] || fail "$f.iso: expected one error line"
	grep -q "$work/$f.iso" "$work/err" || fail "$f.iso: error does not name the file"
	echo "ok: $f.iso -> $(cat "$work/err")"
done
grep -q 'validation entry header id is 0x07, expected 0x01' <("$W2C" inspect "$work/badcat.iso" 2>&1) || fail "catalog error text"
set +e; "$W2C" inspect /nonexistent.iso 2>/dev/null; rc=$?; "$W2C" inspect 2>/dev/null; rc2=$?; set -e
[ $rc = 4 ] && [ $rc2 = 2 ] || fail "missing file rc $rc (want 4), no args rc $rc2 (want 2)"

# a Joliet tree whose root "." record covers a subdirectory's "." record (found by
# the fuzzer: libisofs recursed forever on it) is rejected quickly with exit 4; the
# fuzzer cut the file short of its volume space size (itself exit 4), so pad it first
cp "$W2C_SRC/tests/fuzz/seeds/media/joliet-dir-loop.iso" "$work/jloop.iso"
truncate -s 378880 "$work/jloop.iso"
set +e
timeout -s KILL 30 "$W2C" inspect "$work/jloop.iso" 2>"$work/err"; rc=$?
set -e
[ $rc = 4 ] && grep -q 'has a loop' "$work/err" || fail "directory loop: rc $rc $(cat "$work/err")"

# kill -9 during unpack: no manifest, so it does not look complete
rm -rf "$work/z"
W2C_FIXTURE_BIG_MB=384 W2C_FIXTURE_NAME=big.iso bash "$W2C_SRC/tests/fixtures/mkfixture.sh" "$work/bigfx" >/dev/null
big=$work/bigfx/big.iso
7z x -y -o"$work/z" "$big" >/dev/null
for delay in 0.1 0.3; do
	rm -rf "$work/k"
	"$W2C" -q unpack "$big" "$work/k" & pid=$!
	sleep $delay; kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
	if [ -f "$work/k/.win2cloud/media.json" ]; then
		diff -r --exclude=.win2cloud "$work/k" "$work/z" >/dev/null || fail "killed unpack left a manifest over an incomplete tree"
	fi
	! find "$work/k" -name '*.part' 2>/dev/null | grep -q . || fail "killed unpack left temp files"
done
[ "$(sha256sum < "$iso")" = "$sum0" ] || fail "source ISO modified"
echo "media fixture: all checks passed"
