#!/bin/bash
# unattend CLI on every third-party answer file: lint never crashes (exit 0 or 3,
# valid JSON), merge output lints and keeps the file, secrets stay out of every
# output; new refuses weak passwords and passwords on argv; exit codes.
# The answer files shipped in tests/data/unattend always run; the wider corpus
# ($W2C_CORPUS/unattend), when present, runs the same checks on its files too.
set -uo pipefail
: "${W2C:?}"
# Defaults for when ctest does not pass the whole environment.
top=$(cd "$(dirname "$0")/../.." && pwd)
W2C_CORPUS=${W2C_CORPUS:-$top/../shared/corpus}
data=${W2C_DATA:-$top/tests/data}/unattend
[ -d "$data" ] || { echo "FAIL: no answer files at $data (tests/data of the repository)"; exit 1; }
dirs=("$data")
if [ -d "$W2C_CORPUS/unattend" ]; then dirs+=("$W2C_CORPUS/unattend")
else echo "# corpus sweep not run: no $W2C_CORPUS/unattend (the shipped files do run)"; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
pw='Kx7!mQ2-vLp9'
printf '%s\n' "$pw" > "$work/pw"; chmod 600 "$work/pw"

# lint + merge on every file of DIR; sets $n to the number of files
lint_merge_all() {
	n=0
	while IFS= read -r -d '' f; do
		n=$((n + 1))
		"$W2C" unattend lint "$f" > "$work/lint.txt" 2>&1; rc=$?
		[ $rc = 0 ] || [ $rc = 3 ] || bad "lint $f exited $rc"
		"$W2C" --json unattend lint "$f" > "$work/lint.json" 2>/dev/null
		grep -q '"findings"' "$work/lint.json" || bad "lint --json $f: no findings array"
		"$W2C" -q unattend merge "$f" -o "$work/m.xml" --admin-password-file "$work/pw" --rdp --driver-paths \
			> "$work/merge.txt" 2>&1 || bad "merge $f exited $?"
		"$W2C" unattend lint "$work/m.xml" > "$work/lint2.txt" 2>&1; rc=$?
		[ $rc = 0 ] || [ $rc = 3 ] || bad "lint of merged $f exited $rc"
		grep -q 'password.length\|password.classes\|password.encoding' <(grep -A1 'AdministratorPassword' "$work/lint2.txt" | grep error) &&
			bad "merged $f: Administrator password still flagged"
		cat "$work"/*.txt "$work/lint.json" | grep -qF "$pw" && bad "password leaked in output for $f"
		grep -qF "$pw" "$work/m.xml" && bad "password in clear in merged $f"
		[ "$(stat -c %a "$work/m.xml")" = 600 ] || bad "merged file mode is not 600"
	done < <(find "$1" -type f -print0)
}
lint_merge_all "$data"
[ $n = 19 ] || bad "$n shipped answer files, tests/data/MANIFEST.md lists 19"
echo "ok: $n shipped files linted and merged"
if [ ${#dirs[@]} = 2 ]; then
	lint_merge_all "${dirs[1]}"
	[ $n -ge 50 ] || bad "only $n corpus files"
	echo "ok: $n corpus files linted and merged"
fi

# new: weak password refused with the rule, exit 3; argv password impossible.
printf 'vagrant\n' > "$work/weak"; chmod 600 "$work/weak"
"$W2C" unattend new --admin-password-file "$work/weak" -o "$work/x.xml" 2> "$work/err"; rc=$?
[ $rc = 3 ] || bad "weak password: exit $rc, want 3"
grep -q 'password.length' "$work/err" || bad "weak password: rule not named: $(cat "$work/err")"
grep -q vagrant "$work/err" && bad "weak password echoed"
[ -e "$work/x.xml" ] && bad "output written despite refusal"
"$W2C" unattend new --admin-password "$pw" >/dev/null 2>&1; rc=$?
[ $rc = 2 ] || bad "--admin-password on argv: exit $rc, want 2"
chmod 644 "$work/pw"
"$W2C" unattend new --admin-password-file "$work/pw" >/dev/null 2> "$work/err"; rc=$?
[ $rc = 4 ] || bad "world-readable password file: exit $rc, want 4"
chmod 600 "$work/pw"
W2C_TEST_PW=$pw "$W2C" unattend new --admin-password-env W2C_TEST_PW --edition 2 -o "$work/env.xml" 2>/dev/null ||
	bad "password from env refused"
printf '%s\n' "$pw" | "$W2C" unattend new --admin-password-stdin --edition 2 --firmware uefi --rdp -o "$work/stdin.xml" 2>/dev/null ||
	bad "password from stdin refused"
for f in env stdin; do
	"$W2C" unattend lint --firmware $( [ $f = stdin ] && echo uefi || echo bios ) --cloud huawei "$work/$f.xml" > "$work/l.txt" ||
		bad "generated $f.xml fails lint: $(cat "$work/l.txt")"
done
"$W2C" unattend lint --firmware bios "$work/stdin.xml" > /dev/null; rc=$?
[ $rc = 3 ] || bad "UEFI layout linted for BIOS: exit $rc, want 3"
"$W2C" unattend lint /nonexistent.xml 2>/dev/null; rc=$?
[ $rc = 4 ] || bad "missing file: exit $rc, want 4"
cp "$work/env.xml" "$work/in.xml"
"$W2C" unattend merge "$work/in.xml" -o "$work/in.xml" --rdp 2>/dev/null; rc=$?
[ $rc = 2 ] || bad "merge onto its input: exit $rc, want 2"
cmp -s "$work/env.xml" "$work/in.xml" || bad "merge modified its input"
"$W2C" unattend merge /etc/hostname -o "$work/h.xml" 2>/dev/null; rc=$?
[ $rc = 4 ] || bad "merge of non-XML: exit $rc, want 4"
# merge keeps the user's bytes: adding DriverPaths only inserts lines (no line of the file
# is removed or rewritten: quoting, attribute order, "<a />", line breaks inside tags, CRLF;
# only an empty element that gets content, e.g. <settings pass="offlineServicing"/>, opens),
# and a changed value rewrites exactly the lines that hold it
# merge on every .xml of DIR keeps its bytes; sets $nb to the number of files
preserve_all() {
	nb=0
	while IFS= read -r -d '' f; do
		"$W2C" unattend merge "$f" -o "$work/b.xml" --driver-paths 2>/dev/null || { bad "merge --driver-paths $f"; continue; }
		gone=$(diff "$f" "$work/b.xml" | grep '^<' | grep -cvE '^<[[:space:]]*<[^>]*(/>|></[^>]+>)[[:space:]]*$')
		[ "$gone" = 0 ] || bad "merge --driver-paths rewrote $gone line(s) of $f: $(diff "$f" "$work/b.xml" | grep '^<' | head -2)"
		"$W2C" unattend merge "$f" -o "$work/t.xml" --timezone 'Tokyo Standard Time' 2>/dev/null || { bad "merge --timezone $f"; continue; }
		diff "$f" "$work/t.xml" | grep '^<' | grep -v '<TimeZone>' | grep -q . && bad "merge --timezone rewrote more than TimeZone in $f"
		nb=$((nb + 1))
	done < <(find "$1" -type f -iname '*.xml' -print0)
}
preserve_all "$data"
[ $nb = 19 ] || bad "only $nb of the 19 shipped files checked for byte preservation"
[ $fail = 0 ] && echo "ok: $nb shipped files merged byte-preserving"
if [ ${#dirs[@]} = 2 ]; then
	preserve_all "${dirs[1]}"
	[ $nb -gt 40 ] || bad "only $nb corpus files checked for byte preservation"
	[ $fail = 0 ] && echo "ok: $nb corpus files merged byte-preserving"
fi
exit $fail
