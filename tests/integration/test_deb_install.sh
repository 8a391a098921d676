#!/bin/bash
# needs-fixture: winiso
# resource-lock: dpkg
# The .deb as a user meets it: build it (scripts/build-deb.sh, or take $W2C_DEB),
# dpkg -i, then the installed tool, man pages, bash completion and library
# (a C program built with `pkg-config --cflags --libs win2cloud` opens the
# fixture ISO with w2c_media_open), then dpkg -r removes every file it put
# there.  Needs root (it installs into /usr): skipped otherwise.  The machine
# is left as found, also on failure (the trap purges the package).
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root: it installs the package with dpkg -i (CI runs the tests as root)"
for t in dpkg dpkg-query man pkg-config cc flock; do
	command -v "$t" >/dev/null || skip "$t not installed (scripts/setup.sh installs it)"
done
iso=$W2C_FIXTURES/win/win.iso
[ -f "$iso" ] || skip "fixture $iso missing (fixtures.windows_like did not run)"
# Another tree's run of this test on the same machine installs the same package.
exec 9> /var/lock/win2cloud-deb-test.lock
flock -w 900 9 || fail "another test_deb_install held /var/lock/win2cloud-deb-test.lock for 15 min"
if grep -q 'installed\|unpacked\|config-files' <<<"$(dpkg-query -W -f='${Status}' win2cloud 2>/dev/null)"; then
	skip "a win2cloud package is already on this machine ($(dpkg-query -W -f='${Version} ${Status}' win2cloud)); the test would replace it"
fi
[ ! -e /usr/bin/win2cloud ] || skip "/usr/bin/win2cloud exists and belongs to no package; the test would overwrite it"

work=$(mktemp -d)
cleanup() {
	if dpkg-query -W win2cloud >/dev/null 2>&1; then
		dpkg --purge win2cloud > "$work/purge.log" 2>&1 || cat "$work/purge.log"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
# ctest kills a test that overruns with SIGTERM: purge then too.
trap 'exit 1' INT TERM HUP

deb=${W2C_DEB:-}
if [ -z "$deb" ]; then
	# The default build-deb/ of the tree: the normal, ASan and TSan trees share one
	# Release build of the package instead of making three.
	deb=$("$W2C_SRC/scripts/build-deb.sh" 2> "$work/build-deb.log" | tail -1) ||
		{ tail -30 "$work/build-deb.log"; fail "scripts/build-deb.sh failed"; }
fi
[ -f "$deb" ] || fail "$deb: no such .deb"
echo "package: $deb"
grep -q libwin2cloud <<<"$(dpkg-deb -f "$deb" Depends)" && fail "$deb depends on itself"
grep -q libguestfs0 <<<"$(dpkg-deb -f "$deb" Depends)" || fail "$deb: Depends lacks the linked libguestfs0 (shlibdeps did not run?)"
grep -q qemu-system-x86 <<<"$(dpkg-deb -f "$deb" Recommends)" || fail "$deb: Recommends lacks qemu-system-x86"

# Directories before, to tell ours (removed with the package) from shared ones.
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|; s|/$||' | grep . > "$work/content"
while read -r p; do [ -d "$p" ] && echo "$p"; done < "$work/content" > "$work/dirs_before" || true

dpkg -i "$deb" > "$work/dpkg-i.log" 2>&1 || { cat "$work/dpkg-i.log"; fail "dpkg -i $deb failed"; }
grep -q '^install ok installed$' <<<"$(dpkg-query -W -f='${Status}\n' win2cloud)" || fail "win2cloud not configured after dpkg -i"

# The tool.
want=$("$W2C" --version)
got=$(/usr/bin/win2cloud --version) || fail "/usr/bin/win2cloud --version failed"
[ "$got" = "$want" ] || fail "installed win2cloud --version: '$got', expected '$want'"
[ "$(command -v win2cloud)" = /usr/bin/win2cloud ] || echo "note: win2cloud in PATH is $(command -v win2cloud)"

# Man pages.
p=$(man -w win2cloud-inject) || fail "man -w win2cloud-inject finds nothing"
[ "$p" = /usr/share/man/man1/win2cloud-inject.1.gz ] || fail "man -w win2cloud-inject: $p"
grep -q -- --sha256 <<<"$(man win2cloud-upload 2>/dev/null)" || fail "man win2cloud-upload shows no --sha256"
warn=$(man --warnings win2cloud 2>&1 >/dev/null) && [ -z "$warn" ] || fail "man --warnings win2cloud: $warn"

# Bash completion, from the file where bash-completion looks.
cdir=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null || true)
cfile=${cdir:-/usr/share/bash-completion/completions}/win2cloud
[ -f "$cfile" ] || fail "$cfile not installed"
# shellcheck disable=SC2016
out=$(bash -c '
source "$1"
c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE};
      _win2cloud; echo "${COMPREPLY[*]}"; }
echo "inj=$(c win2cloud inj)"
echo "le=$(c win2cloud inject --le)"
echo "level=$(c win2cloud inject --level "")"
echo "gen=$(compgen -W "$(_win2cloud_opts inject)" -- --le)"
' _ "$cfile")
grep -qx 'inj=inject' <<<"$out" || fail "completion of 'win2cloud inj': $out"
grep -qx 'le=--level' <<<"$out" || fail "completion of 'win2cloud inject --le': $out"
grep -qx 'level=boot image media' <<<"$out" || fail "completion of 'win2cloud inject --level ': $out"
grep -qx 'gen=--level' <<<"$out" || fail "compgen over inject's options: $out"

# The library, found through pkg-config alone.
cat > "$work/vol.c" <<'C'
#include <stdio.h>
#include <win2cloud/media.h>
int main(int argc, char **argv)
{
	w2c_error err = { 0 };
	w2c_media *m = NULL;
	if (argc != 2)
		return 2;
	if (w2c_media_open(argv[1], NULL, &m, &err) != W2C_OK) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	printf("%s\n", w2c_media_volume_id(m));
	w2c_media_free(m);
	return 0;
}
C
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror "$work/vol.c" -o "$work/vol" $(pkg-config --cflags --libs win2cloud) 2> "$work/cc.log" ||
	{ cat "$work/cc.log"; fail "cc with pkg-config --cflags --libs win2cloud failed"; }
# /lib is /usr/lib on a merged-/usr Debian 12; ld.so.cache may name either.
lib=$(ldd "$work/vol" | awk '$1 == "libwin2cloud.so.0" {print $3}')
[ "$(readlink -f "$lib")" = "$(readlink -f /usr/lib/"$(gcc -print-multiarch)"/libwin2cloud.so.0)" ] ||
	fail "vol loads '$lib', expected the installed /usr/lib/$(gcc -print-multiarch)/libwin2cloud.so.0"
vol=$("$work/vol" "$iso") || fail "vol $iso failed"
want=$("$W2C" inspect --json "$iso" | python3 -c 'import json,sys; print(json.load(sys.stdin)["volume_id"])')
[ "$vol" = "$want" ] || fail "volume id through the installed library: '$vol', expected '$want'"
echo "installed library reads $iso: volume id $vol"

# Removal takes every file away, and our own directories.
dpkg -L win2cloud > "$work/listed"
dpkg -r win2cloud > "$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log"; fail "dpkg -r win2cloud failed"; }
left=0
while read -r p; do
	[ -e "$p" ] || [ -L "$p" ] || continue
	[ -d "$p" ] && grep -qxF "$p" "$work/dirs_before" && continue
	echo "left after dpkg -r: $p"; left=$((left + 1))
done < "$work/listed"
[ "$left" -eq 0 ] || fail "$left paths of the package remain after dpkg -r"
! grep -q libwin2cloud <<<"$(ldconfig -p)" || fail "ldconfig still lists libwin2cloud after dpkg -r"
! man -w win2cloud-inject >/dev/null 2>&1 || fail "man -w win2cloud-inject still finds a page"
echo "ok: $(grep -c . "$work/listed") paths installed, all gone after dpkg -r"
