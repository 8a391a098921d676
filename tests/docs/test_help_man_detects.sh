#!/bin/bash
# ctest docs.help_man_detects: check_help_man.py fails, naming the command and
# the option, when a man page lacks an option, documents one --help does not
# have, or gives another closed set of values; and passes on the real pages.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
check() { python3 "$W2C_SRC/tests/docs/check_help_man.py" "$W2C" "$1" > "$work/out" 2>&1; }
cp -r "$W2C_SRC/docs/man" "$work/ok"
check "$work/ok" || { cat "$work/out"; fail "the real pages do not pass"; }

cp -r "$W2C_SRC/docs/man" "$work/bad"
# upload: --abort gone; inject: --level loses 'boot'; run: an option --help lacks.
sed -i '/^`--abort`$/,/^: abort/d; s/\[--abort\] //' "$work/bad/win2cloud-upload.md"
sed -i 's/--level media|image|boot\[,...\]/--level media|image[,...]/g' "$work/bad/win2cloud-inject.md"
sed -i 's/^`--force`$/`--force`, `--no-state`/' "$work/bad/win2cloud-run.md"
if check "$work/bad"; then cat "$work/out"; fail "changed pages passed"; fi
grep -q '^upload: --abort: in `win2cloud upload --help`' "$work/out" || { cat "$work/out"; fail "missing --abort not named"; }
grep -q '^inject: --level: .*boot|image|media\[,...\].*image|media\[,...\]' "$work/out" || { cat "$work/out"; fail "changed --level set not named"; }
grep -q '^run: --no-state: in the SYNOPSIS/OPTIONS of' "$work/out" || { cat "$work/out"; fail "extra --no-state not named"; }

# A subcommand without its page, or missing from win2cloud(1)'s COMMANDS.
cp -r "$W2C_SRC/docs/man" "$work/nopage"
rm "$work/nopage/win2cloud-unpack.md"
sed -i '/^- drivers:/d' "$work/nopage/win2cloud.md"
if check "$work/nopage"; then fail "a missing page passed"; fi
grep -q '^unpack: .*win2cloud-unpack.md does not exist' "$work/out" || { cat "$work/out"; fail "missing page not named"; }
grep -q '^drivers: listed by `win2cloud --help` but not in the COMMANDS' "$work/out" || { cat "$work/out"; fail "missing COMMANDS entry not named"; }
echo "ok: differences are named by command and option"
