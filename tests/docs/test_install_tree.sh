#!/bin/bash
# ctest install.tree: `cmake --install` into a scratch prefix gives what a user
# of the library and the tool needs: every installed header compiles on its own
# (-std=c11 -Wall -Werror, one .c per header including only it), win2cloud.pc
# builds and links a program against the shared and against the static
# library, and the man pages and the bash completion are where man and
# bash-completion look.
set -euo pipefail
fail() { echo "FAIL: $*"; exit 1; }
cc=${CC:-cc} # ctest passes the compiler the tree was built with
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
prefix=$work/usr
cmake --install "$W2C_BUILD" --prefix "$prefix" > "$work/install.log" || { cat "$work/install.log"; fail "cmake --install failed"; }

pcdir=$(dirname "$(find "$prefix" -name win2cloud.pc -path '*/pkgconfig/*' | head -1)")
[ -f "$pcdir/win2cloud.pc" ] || fail "no win2cloud.pc under $prefix"
export PKG_CONFIG_PATH=$pcdir
grep -q "^prefix=$prefix\$" "$pcdir/win2cloud.pc" || fail "win2cloud.pc: prefix is not $prefix"
cflags=$(pkg-config --cflags win2cloud)

# Each installed header alone.
n=0
while IFS= read -r h; do
	rel=${h#"$prefix"/include/}
	printf '#include <%s>\nint w2c_header_test_%d;\n' "$rel" "$n" > "$work/h$n.c"
	$cc -std=c11 -Wall -Wextra -Werror $cflags -c "$work/h$n.c" -o "$work/h$n.o" 2> "$work/h.err" ||
		{ cat "$work/h.err"; fail "$rel does not compile on its own"; }
	n=$((n + 1))
done < <(find "$prefix/include" -name '*.h' | sort)
[ "$n" -eq "$(find "$W2C_SRC/include" -name '*.h' | wc -l)" ] || fail "$n headers installed, $(find "$W2C_SRC/include" -name '*.h' | wc -l) in include/"

# A program using the library, linked both ways through win2cloud.pc.
cat > "$work/use.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <win2cloud.h>
#include <win2cloud/media.h>
int main(int argc, char **argv)
{
	w2c_error err;
	w2c_media *m = NULL;
	memset(&err, 0, sizeof(err));
	/* A file that is not an image: the library must say so, with the path. */
	if (w2c_media_open(argv[argc - 1], NULL, &m, &err) == W2C_OK) {
		printf("volume id: %s\n", w2c_media_volume_id(m));
		w2c_media_free(m);
		return 0;
	}
	printf("%s: %s\n", w2c_code_name(err.code), err.message);
	return 2;
}
C
libdir=$(pkg-config --variable=libdir win2cloud)
# A sanitizer build's library calls its runtime: the program must link it too.
san=
nm -D --undefined-only "$libdir/libwin2cloud.so" > "$work/undef"
grep -q ' __asan_' "$work/undef" && san="-fsanitize=address,undefined"
grep -q ' __tsan_' "$work/undef" && san="-fsanitize=thread"
cc="$cc $san"
$cc -std=c11 -Wall -Werror "$work/use.c" -o "$work/use_shared" $cflags $(pkg-config --libs win2cloud) ||
	fail "linking with pkg-config --libs win2cloud failed"
# Static: the archive and the modules of Requires.private (shared: a fully
# static `pkg-config --static` link would need every -dev package behind
# libcurl's own Libs.private, e.g. libnghttp2-dev, librtmp-dev).  This proves
# Requires.private names every library libwin2cloud.a calls.
deps=$(pkg-config --print-requires-private win2cloud | awk '{print $1}')
[ -n "$deps" ] || fail "win2cloud.pc has no Requires.private"
$cc -std=c11 -Wall -Werror "$work/use.c" -o "$work/use_static" $cflags "$libdir/libwin2cloud.a" \
	$(pkg-config --libs $deps) $(pkg-config --static --libs-only-other win2cloud) ||
	fail "linking libwin2cloud.a with the libraries of Requires.private ($deps) failed"
grep -q "$libdir/libwin2cloud.so.0" <<<"$(LD_LIBRARY_PATH=$libdir ldd "$work/use_shared")" || fail "use_shared does not load $libdir/libwin2cloud.so.0"
! grep -q libwin2cloud <<<"$(ldd "$work/use_static")" || fail "use_static still needs libwin2cloud.so"
echo "not an ISO" > "$work/not.iso"
for exe in use_shared use_static; do
	set +e; out=$(LD_LIBRARY_PATH=$libdir "$work/$exe" "$work/not.iso"); rc=$?; set -e
	[ "$rc" -eq 2 ] || fail "$exe: exit $rc, expected 2 (an error) on a text file: $out"
	grep -q "not.iso" <<<"$out" || fail "$exe: the error does not name the file: $out"
done

# Man pages (unless configured with -DW2C_MAN=OFF) and completion in the install tree.
if [ -d "$W2C_BUILD/man" ]; then
	for md in "$W2C_SRC"/docs/man/*.md; do
		p=$prefix/share/man/man1/$(basename "$md" .md).1.gz
		[ -f "$p" ] || fail "$p not installed"
	done
	grep -q "^$prefix/share/man/man1/win2cloud-inject.1.gz$" <<<"$(MANPATH=$prefix/share/man man -w win2cloud-inject)" ||
		fail "man -w win2cloud-inject does not find the installed page"
else
	echo "note: no man pages in $W2C_BUILD/man (configured with W2C_MAN=OFF): not checked"
fi
[ -f "$prefix/share/bash-completion/completions/win2cloud" ] || fail "completion not installed"
[ -x "$prefix/bin/win2cloud" ] || fail "bin/win2cloud not installed"
echo "ok: $n headers compile alone; win2cloud.pc links shared and static; man pages and completion installed"
