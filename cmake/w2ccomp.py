"""Bash completion for win2cloud, written from the parsed --help (w2cdoc).

The generated script needs nothing but bash: it does not use the
bash-completion helpers, so sourcing the file alone is enough (the install
test does exactly that)."""
import os

HEADER = """# bash completion for win2cloud -*- shell-script -*-
# Generated at build time from `win2cloud --help` and `win2cloud VERB --help`
# by cmake/w2cdoc.py; do not edit.

"""

BODY = r"""
# Completes the word under the cursor from the tables above.
_win2cloud() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev= verb= sub= i w
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in -*) continue ;; esac
		if [ -z "$verb" ]; then verb=$w; elif [ -z "$sub" ]; then sub=$w; break; fi
	done
	COMPREPLY=()
	if [ -z "$verb" ]; then
		case $cur in
		-*) COMPREPLY=($(compgen -W "$(_win2cloud_opts '')" -- "$cur")) ;;
		*) COMPREPLY=($(compgen -W "$_win2cloud_verbs" -- "$cur")) ;;
		esac
		return 0
	fi
	local kind vals
	kind=$(_win2cloud_value "$verb" "$prev")
	if [ -n "$kind" ]; then
		vals=${kind#* }
		case $kind in
		list\ *)
			# A comma-separated set: complete the word after the last comma.
			local pre=
			case $cur in *,*) pre=${cur%,*}, ;; esac
			COMPREPLY=($(compgen -P "$pre" -W "$vals" -- "${cur##*,}"))
			[ ${#COMPREPLY[@]} -eq 1 ] && compopt -o nospace 2>/dev/null
			;;
		set\ *) COMPREPLY=($(compgen -W "$vals" -- "$cur")) ;;
		free*)
			COMPREPLY=($(compgen -W "${vals#free}" -- "$cur") $(compgen -f -- "$cur"))
			compopt -o filenames 2>/dev/null
			;;
		esac
		return 0
	fi
	case $cur in
	-*) COMPREPLY=($(compgen -W "$(_win2cloud_opts "$verb") --help" -- "$cur")) ;;
	*)
		local subs
		subs=$(_win2cloud_subverbs "$verb")
		if [ -n "$subs" ] && [ -z "$sub" ]; then
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
		else
			COMPREPLY=($(compgen -f -- "$cur"))
			compopt -o filenames 2>/dev/null
		fi
		;;
	esac
	return 0
}
complete -F _win2cloud win2cloud
"""


def _value_kind(v):
    """'' for a flag, else 'set a b', 'list a b' or 'free a b' (a metavar)."""
    if v is None or v == "unknown":
        return None
    words = " ".join(sorted(v.literals))
    if v.free:
        return ("free " + words).strip()
    return ("list " if v.is_list else "set ") + words


def _case(fn, args, rows):
    out = [f"{fn}() {{", f"\tcase {args} in"]
    for pat, val in rows:
        out.append(f"\t{pat}) echo '{val}' ;;")
    out += ["\tesac", "}", ""]
    return "\n".join(out)


def render(tree):
    top = tree[0]
    verbs = top[2]
    opts_rows, val_rows, sub_rows = [], [], []
    for verb, opts, subs in tree:
        key = verb or ""
        res = opts.resolve()
        opts_rows.append((f'"{key}"', " ".join(sorted(res))))
        for name, v in sorted(res.items()):
            kind = _value_kind(v)
            if kind:
                val_rows.append((f'"{key} {name}"', kind))
        if verb and subs:
            sub_rows.append((f'"{verb}"', " ".join(subs)))
    text = HEADER + f"_win2cloud_verbs='{' '.join(verbs)}'\n\n"
    text += "# Long options of the tool ('') and of each subcommand.\n"
    text += _case("_win2cloud_opts", '"$1"', opts_rows)
    text += "# What an option takes: a closed set, a comma-separated list of one, or a free\n"
    text += "# value (files, plus the literal words it also accepts).  Flags are absent.\n"
    text += _case("_win2cloud_value", '"$1 $2"', val_rows)
    text += _case("_win2cloud_subverbs", '"$1"', sub_rows)
    return text + BODY


def write_completion(tree, out):
    text = render(tree)
    tmp = out + ".tmp"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, out)
