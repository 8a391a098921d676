#!/usr/bin/env python3
"""ctest docs.help_man: `win2cloud VERB --help` and docs/man/win2cloud-VERB.md
document the same long options with the same value syntax.

The subcommands come from `win2cloud --help`, so a new one is covered (and
needs its page) as soon as it is listed there.  The tool's own options are
compared with docs/man/win2cloud.md, whose COMMANDS section must name every
subcommand.  Each difference is printed as `VERB: --option: ...`; the exit
status is 1 when there is any.

usage: check_help_man.py WIN2CLOUD DOCS_MAN_DIR
"""
import os
import re
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "cmake"))
import w2cdoc  # noqa: E402


def describe(v):
    if v is None:
        return "no value"
    if v == "unknown":
        return "value not shown"
    return "value " + str(v)


def compare(verb, help_opts, man_opts, page):
    name = "win2cloud" if verb is None else verb
    where_help = "`win2cloud %s--help`" % ("" if verb is None else verb + " ")
    probs = []
    for src, opts in ((where_help, help_opts), (page, man_opts)):
        for o in opts.conflicts():
            print(f"note: {name}: {o}: {src} shows it with a value and once without")
    h, m = help_opts.resolve(), man_opts.resolve()
    for o in sorted(set(h) | set(m)):
        if o not in m:
            probs.append(f"{name}: {o}: in {where_help} ({describe(h[o])}) but not in the "
                         f"SYNOPSIS or OPTIONS of {page}")
        elif o not in h:
            probs.append(f"{name}: {o}: in the SYNOPSIS/OPTIONS of {page} ({describe(m[o])}) "
                         f"but not in {where_help}")
        elif "unknown" not in (h[o], m[o]) and h[o] != m[o]:
            probs.append(f"{name}: {o}: {where_help} gives {describe(h[o])}, {page} gives "
                         f"{describe(m[o])}")
    return probs


def commands_listed(md):
    for head, lines in w2cdoc.man_sections(md):
        if head.upper() == "COMMANDS":
            return set(re.findall(r"^[-*] ([a-z][a-z0-9-]*)\b", "\n".join(lines), re.M))
    return set()


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    w2c, mandir = sys.argv[1], sys.argv[2]
    tree = w2cdoc.command_tree(w2c)
    probs, checked = [], 0
    top_page = os.path.join(mandir, "win2cloud.md")
    top_md = w2cdoc.read(top_page)
    listed = commands_listed(top_md)
    for verb, help_opts, _subs in tree:
        page = top_page if verb is None else os.path.join(mandir, "win2cloud-%s.md" % verb)
        if verb is not None and verb not in listed:
            probs.append(f"{verb}: listed by `win2cloud --help` but not in the COMMANDS section "
                         f"of {top_page}")
        if not os.path.exists(page):
            if help_opts.seen:
                probs.append(f"{verb}: `win2cloud {verb} --help` shows options but {page} "
                             "does not exist")
            continue
        probs += compare(verb, help_opts, w2cdoc.man_options(w2cdoc.read(page), verb), page)
        checked += 1
    for p in probs:
        print(p)
    print(f"{checked} commands compared, {len(probs)} differences")
    return 1 if probs else 0


if __name__ == "__main__":
    sys.exit(main())
