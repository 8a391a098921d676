#!/usr/bin/env python3
"""The layering check of win2cloud (run by ctest as layering.check).

Layers, lowest first: common (0) < stages (1: inject/*, cloud/*, register/*)
< pipeline (2: register/pipeline) < cmd (3).  It fails when
  - a file includes a header of a higher layer (public headers belong to the
    layer of the folder named in OWNERS below);
  - a private header (anything outside include/) is included from another
    folder, except common/*.h from library code: so a folder's *_int.h stays
    in its folder, and cmd/ builds against include/ alone;
  - a public header in include/ has no owner here (say where it belongs);
  - with --lib: the shared library's exported symbols differ from the
    W2C_API calls declared under include/, or one lacks the w2c_ prefix.
tests/ is outside the layers: white-box unit tests may include *_int.h.

Usage: check_layers.py SOURCE_ROOT [--lib libwin2cloud.so]
"""
import os
import re
import subprocess
import sys

# Public header -> the folder that implements it (its layer).
OWNERS = {
    "win2cloud.h": "common", "win2cloud/sidecar.h": "common",
    "win2cloud/password.h": "common",
    "win2cloud/media.h": "inject/media", "win2cloud/build.h": "inject/build",
    "win2cloud/verify.h": "inject/verify", "win2cloud/drivers.h": "inject/drivers",
    "win2cloud/unattend.h": "inject/unattend", "win2cloud/service.h": "inject/service",
    "win2cloud/inject.h": "inject/inject", "win2cloud/install.h": "inject/install",
    "win2cloud/http.h": "cloud/net", "win2cloud/auth.h": "cloud/net",
    "win2cloud/credentials.h": "cloud/net", "win2cloud/s3.h": "cloud/net",
    "win2cloud/api.h": "cloud/net", "win2cloud/upload.h": "cloud/upload",
    "win2cloud/check.h": "register/check", "win2cloud/register.h": "register/images",
    "win2cloud/onboard.h": "register/onboard", "win2cloud/pipeline.h": "register/pipeline",
}
LAYER_NAMES = ["common", "stage", "pipeline", "cmd"]
AREAS = ("inject", "cloud", "register")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
API_RE = re.compile(r'\bW2C_API\b[^;{]*?\b(w2c_\w+)\s*\(', re.S)


def folder_of(rel):
    return os.path.dirname(rel)


def layer_of(folder):
    """Layer number of a folder, or None when it is outside the layers."""
    if folder == "common":
        return 0
    if folder == "cmd":
        return 3
    if folder == "register/pipeline":
        return 2
    parts = folder.split("/")
    if len(parts) == 2 and parts[0] in AREAS:
        return 1
    return None


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def sources(root):
    for top in ("common", "cmd") + AREAS + ("include",):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def resolve(root, rel, inc):
    """Where #include "inc" in @rel lands: its own folder first, then include/, then the root."""
    for cand in (os.path.join(folder_of(rel), inc), os.path.join("include", inc), inc):
        if os.path.isfile(os.path.join(root, cand)):
            return os.path.normpath(cand)
    return None


def check_include(rel, inc, target, problems):
    src_folder = folder_of(rel)
    if src_folder.startswith("include"):
        src_layer = layer_of(OWNERS.get(os.path.relpath(rel, "include"), "?"))
    else:
        src_layer = layer_of(src_folder)
    if src_layer is None:
        problems.append(f"{rel}: not in any layer (put library code in common/ or AREA/STAGE/)")
        return
    if target.startswith("include/"):
        pub = os.path.relpath(target, "include")
        owner = OWNERS.get(pub)
        if owner is None:
            problems.append(f"{target}: public header without an owner in "
                            f"tests/layering/check_layers.py OWNERS")
        elif layer_of(owner) > src_layer:
            problems.append(f"{rel}: includes {pub} of {owner} "
                            f"({LAYER_NAMES[layer_of(owner)]} layer) from the "
                            f"{LAYER_NAMES[src_layer]} layer: a lower layer may not use a higher one")
        return
    dst_folder = folder_of(target)
    if dst_folder == src_folder:
        return
    if dst_folder == "common" and src_layer < 3:
        return
    why = ("cmd/ builds against include/ alone" if src_layer == 3
           else "a stage reaches another only through its public header in include/")
    problems.append(f"{rel}: includes {target}, private to {dst_folder}/: {why}")


def check_tree(root):
    problems = []
    for rel in sources(root):
        text = strip_comments(open(os.path.join(root, rel), errors="replace").read())
        if rel.startswith("include/") and os.path.relpath(rel, "include") not in OWNERS:
            problems.append(f"{rel}: public header without an owner in "
                            f"tests/layering/check_layers.py OWNERS")
            continue
        for inc in INCLUDE_RE.findall(text):
            target = resolve(root, rel, inc)
            if target is None:
                problems.append(f"{rel}: #include \"{inc}\" not found in its folder, include/ or the root")
            else:
                check_include(rel, inc, target, problems)
    return problems


def declared_api(root):
    names = set()
    for rel in sources(root):
        if rel.startswith("include/"):
            names.update(API_RE.findall(strip_comments(open(os.path.join(root, rel)).read())))
    return names


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TtDdBbRrVWi" and not f[2].startswith("_"):
            syms.add(f[2].split("@")[0])
    return syms


def check_exports(root, lib, problems):
    api, syms = declared_api(root), exported(lib)
    for s in sorted(syms - api):
        problems.append(f"{os.path.basename(lib)}: exports {s}, which no header under include/ "
                        f"declares W2C_API" + ("" if s.startswith("w2c_") else " (and lacks the w2c_ prefix)"))
    for s in sorted(api - syms):
        problems.append(f"include/: declares W2C_API {s}, which {os.path.basename(lib)} does not export")
    return len(api), len(syms)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = argv[1]
    lib = argv[argv.index("--lib") + 1] if "--lib" in argv else None
    problems = check_tree(root)
    counts = check_exports(root, lib, problems) if lib else None
    for p in problems:
        print("layering: " + p)
    if problems:
        print(f"layering: {len(problems)} problem(s)")
        return 1
    n = sum(1 for _ in sources(root))
    extra = f", {counts[1]} exported symbols = {counts[0]} W2C_API calls" if counts else ""
    print(f"layering: ok ({n} files{extra})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
