#!/bin/bash
# ctest docs.completion: the bash completion generated from the built binary's
# --help completes subcommands, options and closed-set values.
# usage: test_completion.sh [COMPLETION_FILE]   (default: the build tree's)
set -euo pipefail
comp=${1:-$W2C_BUILD/completion/win2cloud}
[ -f "$comp" ] || { echo "FAIL: $comp missing"; exit 1; }
bash -n "$comp" || { echo "FAIL: $comp: bash syntax error"; exit 1; }
verbs=$("$W2C" --help | awk '/^Commands:/{on=1;next} on&&/^  [a-z]/{print $1} on&&/^[^ ]/{on=0}')
# shellcheck disable=SC2016
bash -c '
set -u
source "$1"; shift
grep -q -- "-F _win2cloud" <<<"$(complete -p win2cloud)" || { echo "FAIL: no complete -F for win2cloud"; exit 1; }
c() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE};
      _win2cloud; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"; }
want() { local exp=$1; shift; got=$(c "$@")
         [ "$got" = "$exp" ] || { echo "FAIL: [$*]: got \"$got\", expected \"$exp\""; exit 1; }; }
want inject win2cloud inj
want --level win2cloud inject --le
want "boot image media" win2cloud inject --level ""
want "media,image" win2cloud inject --level media,i
want "huaweicloud openstack otc" win2cloud register --cloud ""
want "openstack otc" win2cloud check --profile o
want "generic huawei openstack otc" win2cloud unattend new --cloud ""
want "lint merge new" win2cloud unattend ""
want "multi-extent split" win2cloud build SRC --large-files ""
want "auto iso9660 joliet udf" win2cloud inspect x.iso --namespace ""
want "--json --quiet --verbose --version" win2cloud --
want "--sha256 --sha256-meta" win2cloud upload f u --sha
for v in "$@"; do
	got=$(c win2cloud "${v:0:3}")
	case " $got " in *" $v "*) ;; *) echo "FAIL: [win2cloud ${v:0:3}] -> $got: lacks $v"; exit 1 ;; esac
	case " $(c win2cloud "$v" --) " in *" --help "*) ;; *) echo "FAIL: $v --: no --help"; exit 1 ;; esac
done
' _ "$comp" $verbs
echo "ok: $comp completes $(wc -w <<<"$verbs") subcommands, their options and closed sets"
