#!/usr/bin/env python3
"""Print the tests ctest skipped, with the reason each printed.

usage: scripts/skipped.py LABEL JUNIT.xml
Reads the JUnit file `ctest --output-junit` writes; a skipped test (exit 77, or not run because a
fixture it needs failed) is listed with its "SKIP: ..." line, else the last line it printed."""
import sys
import xml.etree.ElementTree as ET


def reason(case):
    out = case.findtext("system-out") or ""
    lines = [l.strip() for l in out.splitlines() if l.strip()]
    for l in lines:
        if l.startswith("SKIP"):
            return l
    sk = case.find("skipped")
    msg = sk.get("message", "") if sk is not None else ""
    return lines[-1] if lines else (msg or "no reason printed")


def main():
    label, path = sys.argv[1:3]
    try:
        cases = ET.parse(path).getroot().iter("testcase")
    except (OSError, ET.ParseError) as e:
        print(f"{label}: no test results ({path}: {e})")
        return 1
    skipped = [c for c in cases if c.get("status") in ("notrun", "disabled") or c.find("skipped") is not None]
    print(f"{label}: {len(skipped)} skipped")
    for c in skipped:
        print(f"  {c.get('name')}: {reason(c)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
