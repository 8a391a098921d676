#!/bin/bash
# ctest docs.man_render: every docs/man/*.md became a section-1 page in the
# build tree that man renders without a single troff/tbl warning (at the 80
# columns man uses off a terminal), with its NAME line for whatis/apropos.
set -euo pipefail
command -v man >/dev/null || { echo "SKIP: man not installed (apt-get install man-db)"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
n=0
for md in "$W2C_SRC"/docs/man/*.md; do
	name=$(basename "$md" .md)
	page=$W2C_BUILD/man/$name.1
	[ -f "$page" ] || fail "$page missing: expected a page built from $md"
	[ -f "$page.gz" ] || fail "$page.gz missing (the installed form)"
	grep -q "^\.TH \"$name\" \"1\"" <<<"$(head -c 2000 "$page")" || fail "$page: no .TH \"$name\" \"1\" header"
	warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) || fail "$page: man failed: $warn"
	[ -z "$warn" ] || fail "$page: man --warnings printed: $warn"
	out=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
	grep -q "^NAME" <<<"$out" || fail "$page: no NAME section"
	# mandb's parser must find "NAME - summary" (whatis, apropos).
	grep -q ": \"$name - ." <<<"$(lexgrog "$page" 2>/dev/null)" || fail "$page: lexgrog finds no whatis entry '$name - ...': $(lexgrog "$page" 2>&1)"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n pages in $W2C_SRC/docs/man"
# The pages link each other as NAME(1), not as .md files.
grep -q 'win2cloud-inject(1)' <<<"$(man -l "$W2C_BUILD/man/win2cloud.1" 2>/dev/null)" || fail "win2cloud.1 does not name win2cloud-inject(1)"
! grep -q 'win2cloud[a-z-]*\.md' "$W2C_BUILD"/man/*.1 || fail "a page still links a page's .md file: $(grep -l 'win2cloud[a-z-]*\.md' "$W2C_BUILD"/man/*.1)"
echo "ok: $n man pages render without warnings"
