#!/bin/bash
# The layering check must fail on planted violations (run by ctest as layering.selftest):
# a copy of the source tree gets, one at a time, a common/ file including a stage header, a
# stage including another stage's *_int.h, cmd/ including a library-internal header, a public
# header without an owner, and a W2C_API call the library does not export.
# Env: W2C_SRC (source root), W2C_LIB (the built libwin2cloud.so).
set -u
src=${W2C_SRC:?W2C_SRC unset}
lib=${W2C_LIB:?W2C_LIB unset}
check="$src/tests/layering/check_layers.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
fresh() {
	rm -rf "$work/t" && mkdir "$work/t"
	(cd "$src" && cp -r common cmd inject cloud register include "$work/t/")
}
expect() { # expect NAME PATTERN: the check fails and names the violation
	local name=$1 pat=$2 out rc
	out=$(python3 "$check" "$work/t" --lib "$lib" 2>&1); rc=$?
	if [ $rc -ne 0 ] && grep -q -- "$pat" <<<"$out"; then
		echo "ok: $name"
	else
		echo "FAIL: $name: rc $rc, no line matching '$pat' in:"; echo "$out"
		fails=$((fails + 1))
	fi
}
fresh
printf '#include "win2cloud/verify.h"\n' >"$work/t/common/planted.c"
expect "common includes a stage header" "common/planted.c: includes win2cloud/verify.h of inject/verify (stage layer) from the common layer"
fresh
printf '#include "inject/media/media_int.h"\n' >"$work/t/inject/build/planted.c"
expect "stage includes another's *_int.h" "inject/build/planted.c: includes inject/media/media_int.h, private to inject/media/"
fresh
printf '#include "win2cloud/pipeline.h"\n' >"$work/t/inject/build/planted.c"
expect "stage includes the pipeline" "inject/build/planted.c: includes win2cloud/pipeline.h of register/pipeline (pipeline layer) from the stage layer"
fresh
printf '#include "inject/drivers/inf_int.h"\n' >"$work/t/cmd/planted.c"
expect "cmd includes a private header" "cmd/planted.c: includes inject/drivers/inf_int.h, private to inject/drivers/: cmd/ builds against include/ alone"
fresh
printf '#include "win2cloud.h"\nW2C_API int w2c_planted(void);\n' >"$work/t/include/win2cloud/planted.h"
expect "public header without an owner" "include/win2cloud/planted.h: public header without an owner"
fresh
printf '\nW2C_API int w2c_planted_call(void);\n' >>"$work/t/include/win2cloud/media.h"
expect "declared but not exported" "declares W2C_API w2c_planted_call, which libwin2cloud.so.* does not export"
fresh
sed -i 's/^W2C_API \(.*w2c_media_path(\)/\1/' "$work/t/include/win2cloud/media.h"
expect "exported but not declared" "exports w2c_media_path, which no header under include/ declares W2C_API"
[ $fails -eq 0 ] && echo "layering selftest: all planted violations found" || exit 1
