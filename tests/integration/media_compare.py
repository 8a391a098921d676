#!/usr/bin/env python3
"""Compare win2cloud's view of an image with independent readers.

usage: media_compare.py W2C IMAGE WORKDIR
Prints one line per finding; exit 0 when everything agrees, 1 on a mismatch,
77 when no reference reader could read the image (nothing to compare)."""
import json, os, re, subprocess, sys

w2c, image, work = sys.argv[1:4]

def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, timeout=timeout)

def tree(root):
    out = {}
    for d, _, files in os.walk(root):
        if os.path.relpath(d, root).startswith(".win2cloud"):
            continue
        for f in files:
            p = os.path.join(d, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out

def xorriso_boot(img):
    r = run(["xorriso", "-indev", img, "-report_el_torito", "plain"])
    entries = []
    for line in r.stdout.decode(errors="replace").splitlines():
        m = re.match(r"El Torito boot img :\s+(\d+)\s+(\S+)\s+(\S)\s+(\S+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(\d+)\s+(\d+)", line)
        if m:
            plat = {"BIOS": 0, "UEFI": 0xEF, "PPC": 1, "Mac": 2}.get(m.group(2))
            if plat is None:
                plat = int(m.group(2), 16)
            entries.append({"platform_id": plat, "bootable": m.group(3) == "y",
                            "emulation": m.group(4), "load_segment": int(m.group(5), 16),
                            "sector_count": int(m.group(7)), "lba": int(m.group(8))})
    return entries

r = run([w2c, "inspect", "--json", image])
if r.returncode not in (0, 4):
    print(f"FAIL {image}: inspect exited {r.returncode}: {r.stderr.decode(errors='replace')[:300]}")
    sys.exit(1)
if r.returncode == 4:
    msg = r.stderr.decode(errors="replace").strip()
    if msg.count("\n") or not msg.startswith("win2cloud: error: "):
        print(f"FAIL {image}: exit 4 must print exactly one error line, got: {msg[:300]}")
        sys.exit(1)
    # Our reader refused it: the references must fail too (or see nothing but the stub).
    ref = os.path.join(work, "ref")
    x = run(["xorriso", "-osirrox", "on", "-indev", image, "-extract", "/", ref])
    z = run(["7z", "x", "-y", "-o" + ref + "7z", image])
    if "not supported" in msg:
        print(f"ok   {image}: refused with a clear unsupported-feature error: {msg}")
        sys.exit(0)
    if x.returncode == 0 and tree(ref):
        print(f"FAIL {image}: we refused it ({msg}) but xorriso extracts {len(tree(ref))} files")
        sys.exit(1)
    print(f"ok   {image}: refused as expected by both sides: {msg}")
    sys.exit(0)

info = json.loads(r.stdout)
ours = os.path.join(work, "ours")
u = run([w2c, "-q", "unpack", image, ours])
if u.returncode != 0:
    print(f"FAIL {image}: unpack exited {u.returncode}: {u.stderr.decode(errors='replace')[:300]}")
    sys.exit(1)
ref = os.path.join(work, "ref")
kind = info["tree"]
if kind == "udf":
    cmd = ["7z", "x", "-y", "-tudf", "-o" + ref, image]
else:
    fs = {"joliet": "norock", "rockridge": "any", "iso9660": "ecma119"}[kind]
    cmd = ["xorriso", "-osirrox", "on", "-read_fs", fs, "-ecma119_map", "stripped",
           "-indev", image, "-extract", "/", ref]
rr = run(cmd)
if rr.returncode != 0:
    print(f"SKIP {image}: reference reader ({cmd[0]}) failed with {rr.returncode}; ours read {info['file_count']} files")
    sys.exit(77)
a, b = tree(ours), tree(ref)
bad = 0
for k in sorted(set(a) | set(b)):
    if k not in a:
        print(f"FAIL {image}: {k} extracted by {cmd[0]} but not by us"); bad += 1
    elif k not in b:
        print(f"FAIL {image}: {k} extracted by us but not by {cmd[0]}"); bad += 1
    elif a[k] != b[k]:
        print(f"FAIL {image}: {k} differs ({len(a[k])} vs {len(b[k])} bytes)"); bad += 1
ref_boot = xorriso_boot(image)
got = [{"platform_id": e["platform_id"], "bootable": e["bootable"],
        "emulation": e["emulation"], "load_segment": e["load_segment"],
        "sector_count": e["sector_count"], "lba": e["lba"]} for e in info["boot"]]
if ref_boot != got:
    print(f"FAIL {image}: boot entries {got} != xorriso {ref_boot}"); bad += 1
if bad:
    sys.exit(1)
print(f"ok   {image}: {kind} tree, {len(a)} files identical to {cmd[0]}, {len(got)} boot entries match xorriso")
