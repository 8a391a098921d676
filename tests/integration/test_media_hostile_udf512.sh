#!/bin/bash
# UDF with 512-byte blocks (issue 15, item 6), as Windows 7 and mkudffs write it on
# hard-disk images: libudf reads 2048-byte blocks only, so our own checked walk
# (inject/media/media_udf_walk.c) builds the tree; the same for a 2048-byte UDF 2.01
# with extended file entries (mkudffs' default), which libudf cannot read either.  The image is made here: mkudffs
# -b 512 on a file, filled through libguestfs (the appliance kernel mounts UDF;
# no loop mount needed).  inspect and unpack read it equal to its source and to 7z.
set -euo pipefail
for t in mkudffs guestfish 7z; do
	command -v $t >/dev/null || { echo "SKIP: $t not installed (scripts/setup.sh installs it)"; exit 77; }
done
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
src=$work/src
mkdir -p "$src/sources/sub/deep" "$src/boot"
printf 'hello\r\n' > "$src/setup.exe"
head -c 70000 /dev/urandom > "$src/sources/sub/deep/big.bin" # several extents' worth of 512-byte blocks
printf 'x' > "$src/boot/one.txt"
truncate -s 16M "$work/u512.img" "$work/efe2048.img"
mkudffs -b 512 --media-type=hd --label=W2C512 "$work/u512.img" >/dev/null
mkudffs -b 2048 --media-type=hd --label=W2CEFE "$work/efe2048.img" >/dev/null
timeout 600 guestfish -a "$work/u512.img" -a "$work/efe2048.img" >/dev/null <<GF || { echo "SKIP: libguestfs cannot mount UDF here (appliance kernel without udf)"; exit 77; }
run
mount-vfs "" udf /dev/sda /
copy-in $src/setup.exe $src/sources $src/boot /
umount-all
mount-vfs "" udf /dev/sdb /
copy-in $src/setup.exe $src/sources $src/boot /
umount-all
GF
"$W2C" -q unpack "$work/efe2048.img" "$work/efe"
diff -r --exclude=.win2cloud "$src" "$work/efe" || fail "unpacked 2048-byte UDF 2.01 (EFE) differs from its source"
"$W2C" inspect --json "$work/u512.img" > "$work/i.json"
python3 - "$work/i.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tree"] == "udf", d["tree"]
assert d["file_count"] == 3, d["file_count"]
PY
"$W2C" -q unpack "$work/u512.img" "$work/u"
diff -r --exclude=.win2cloud "$src" "$work/u" || fail "unpacked 512-byte UDF differs from its source"
7z x -y -o"$work/z" "$work/u512.img" >/dev/null
diff -r --exclude=.win2cloud "$work/z" "$work/u" || fail "unpacked 512-byte UDF differs from 7z x"
a=$(stat -c %Y "$work/u/sources/sub/deep/big.bin"); b=$(stat -c %Y "$work/z/sources/sub/deep/big.bin")
[ "$a" = "$b" ] || fail "mtime $a, 7z says $b"
# damaged: a file entry's L_EA past its 512-byte block is exit 4 naming block and field
python3 - "$work/u512.img" <<'PY'
import struct, sys
sys.path.insert(0, __import__("os").environ["W2C_SRC"] + "/tests/fixtures")
import mkcorrupt as mc
b = bytearray(open(sys.argv[1], "rb").read())
u = mc.Udf(b, 512)
_, fe = u.child(u.root_fe, "sources")
tag = mc.le16(b, fe)
base = 216 if tag == 266 else 176
mc.put32(b, fe + base - 8, 400)
mc.udf_retag(b, fe)
open(sys.argv[1] + ".bad", "wb").write(b)
PY
rc=0; "$W2C" inspect "$work/u512.img.bad" 2>"$work/err" >/dev/null || rc=$?
[ $rc = 4 ] || { cat "$work/err"; fail "damaged 512-byte UDF: exit $rc, expected 4"; }
grep -Eq "UDF file entry at block [0-9]+ \(offset [0-9]+\): L_EA \(400\)" "$work/err" || { cat "$work/err"; fail "message"; }
echo PASS
