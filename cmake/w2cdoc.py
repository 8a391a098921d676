#!/usr/bin/env python3
"""One reader of the CLI's options, shared by the build and the tests.

The options of every subcommand are read from the built binary's --help (the
text in cmd/cmd_<verb>.c) and from its man page (docs/man/win2cloud-VERB.md).
The same parser feeds three uses, so they cannot drift apart:

  man         Markdown page -> roff with lowdown (installed as share/man/man1)
  completion  bash completion generated from the --help of the built binary
  check       every option and its value syntax must agree between --help
              and the man page (tests/docs/check_help_man.py, ctest docs.help_man)

An option's value syntax is reduced to what a user (and the completion) can
act on: no value, a free value (a metavar such as FILE), or a closed set of
words (otc|huaweicloud|openstack), possibly a comma-separated list of them
(media|image|boot[,...]).  Metavar names are not compared: help and man
page legitimately call one value OUT and OUT.iso.
"""
import gzip
import os
import re
import subprocess
import sys
import time

# Run from the build and from ctest: no __pycache__ in the source tree.
sys.dont_write_bytecode = True

LONG = r"--[a-z0-9][a-z0-9-]*"
# An option, its "|-suffix" shorthands (--admin-password-file|-env|-stdin)
# and what follows it up to the next blank.
OPT_RE = re.compile(r"(?<![\w-])(" + LONG + r")((?:\|-(?!-)[a-z0-9-]+)*)(?:([ =])(\S+))?")
LITERAL_RE = re.compile(r"^[a-z][a-z0-9_.-]*:?$")
LIST_SUFFIX = "[,...]"


class Value:
    """The value an option takes: literal words, and/or a free value (a
    metavar), possibly a comma-separated list.  A flag has no Value (None)."""

    def __init__(self, literals=(), free=False, is_list=False):
        self.literals = set(literals)
        self.free = free
        self.is_list = is_list

    def __eq__(self, other):
        if not isinstance(other, Value):
            return False
        return (self.literals, self.free, self.is_list) == \
            (other.literals, other.free, other.is_list)

    def __str__(self):
        alts = sorted(self.literals) + (["VALUE"] if self.free else [])
        return "|".join(alts) + (LIST_SUFFIX if self.is_list else "")


def parse_value(tok, strict):
    """The value an option token is followed by, or None when tok is none.

    strict: tok stands in a syntax context (usage, option table, code span),
    where a single lower-case word is a literal value; in prose only a
    metavar (FILE) or an explicit set (a|b) counts."""
    # Trailing punctuation and the brackets closing an optional group:
    # "ISO_PATH=LOCAL_FILE]..." -> "ISO_PATH=LOCAL_FILE"; "boot[,...]" stays.
    tok = tok.rstrip(".,;:)")
    while tok.endswith("]") and tok.count("]") > tok.count("["):
        tok = tok[:-1].rstrip(".")
    if not tok or tok.startswith("-") or tok.startswith("[-") or tok.startswith("("):
        return None
    if not re.search(r"[A-Za-z0-9]", tok) or tok.startswith("'"):
        return None
    is_list = tok.endswith(LIST_SUFFIX)
    if is_list:
        tok = tok[: -len(LIST_SUFFIX)]
    sep = "|" if "|" in tok else ("," if re.fullmatch(r"[a-z0-9,]+", tok) and "," in tok else None)
    if sep == ",":
        is_list = True
    alts = tok.split(sep) if sep else [tok]
    if re.match(r"^\[[^\]]*\]", tok):  # [bios:|uefi:]TEXT: a prefixed metavar
        alts = [tok]
    literals = [a for a in alts if LITERAL_RE.match(a) and not a.endswith(":")]
    free = len(literals) < len(alts)
    if not literals and not any(re.search(r"[A-Z0-9]", a) for a in alts):
        return None  # lower-case prose word after the option
    if not strict and sep is None and literals:
        return None
    return Value(literals, free, is_list)


def expand_suffixes(name, suffixes):
    """--admin-password-file|-env|-stdin -> the three option names."""
    names = [name]
    stem = name[: name.rfind("-")] if name.count("-") > 2 else name
    for s in filter(None, suffixes.split("|")):
        names.append(stem + s)
    return names


class Options:
    """Options of one command as one source (help or man page) shows them."""

    def __init__(self):
        self.seen = {}  # name -> list of occurrences: "flag", "mention" or Value

    def scan(self, text, strict):
        text = re.sub(r"\((" + LONG + r"(?:\|" + LONG + r")+)\)\s+(\S+)",
                      lambda m: " ".join(o + " " + m.group(2) for o in m.group(1).split("|")), text)
        for m in OPT_RE.finditer(text):
            name, suffixes, sep, tok = m.group(1), m.group(2), m.group(3), m.group(4)
            if name == "--help":
                continue
            val = parse_value(tok, strict) if tok else None
            end = text[m.end(2):m.end(2) + 1]
            if val is not None:
                occ = val
            elif strict and (end in ("", " ", "\n", "]", "|", "`", ")") or sep):
                occ = "flag"
            else:
                occ = "mention"
            for n in expand_suffixes(name, suffixes):
                self.seen.setdefault(n, []).append(occ if not suffixes or n == name else "mention")

    def resolve(self):
        """name -> None (flag), Value, or "unknown" (only mentioned in prose)."""
        out = {}
        for name, occs in self.seen.items():
            vals = [o for o in occs if isinstance(o, Value)]
            if vals:
                lits = set().union(*(v.literals for v in vals))
                if lits:
                    free = any(v.free and v.literals for v in vals)
                else:
                    free = True
                out[name] = Value(lits, free, any(v.is_list for v in vals))
            elif "flag" in occs:
                out[name] = None
            else:
                out[name] = "unknown"
        return out

    def conflicts(self):
        """Options shown once with a value and once bare (in an option row):
        the value wins, but the bare row is a gap in the text worth naming."""
        return sorted(n for n, o in self.seen.items()
                      if "flag" in o and any(isinstance(x, Value) for x in o))


# ---- --help ------------------------------------------------------------------

def help_text(w2c, verb=None):
    argv = [w2c] + ([verb] if verb else []) + ["--help"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        sys.exit(f"{' '.join(argv)}: exit {r.returncode}, expected 0: {r.stderr.strip()}")
    return r.stdout


def help_commands(text):
    """The subcommands listed under "Commands:" in win2cloud --help."""
    verbs, on = [], False
    for line in text.splitlines():
        if re.match(r"^Commands:\s*$", line):
            on = True
        elif on and re.match(r"^  ([a-z][a-z0-9-]*)\s{2,}\S", line):
            verbs.append(line.split()[0])
        elif on and line.strip() and not line.startswith(" "):
            on = False
    if not verbs:
        sys.exit("win2cloud --help: no 'Commands:' list found: expected '  VERB  description' lines")
    return verbs


USAGE_RE = re.compile(r"^\s*(?:usage:\s*)?win2cloud(?:\s+([a-z][a-z0-9-]*))?(?:\s+([a-z][a-z0-9-]*)\b)?")


def help_options(text, verb=None, opts=None):
    """Options and sub-verbs of a text laid out as --help is (also a copy of
    it in a man page): usage lines, option rows, and prose."""
    opts, subverbs = opts or Options(), []
    lines, i = text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        u = USAGE_RE.match(line)
        if u and (line.lstrip().startswith("usage:") or not line.startswith(" ")):
            # The usage block runs to the next blank line; one of another
            # subcommand (an example in a page) says nothing about this one.
            mine = verb is None or u.group(1) == verb
            while i < len(lines) and lines[i].strip():
                u = USAGE_RE.match(lines[i])
                if mine:
                    opts.scan(re.sub(r"^\s*usage:", "", lines[i]), True)
                    if u and u.group(1) == verb and u.group(2) and u.group(2) not in subverbs:
                        subverbs.append(u.group(2))
                i += 1
            continue
        if re.match(r"^Commands:\s*$", line):
            break  # the subcommands' summaries mention their options
        m = re.match(r"^ {1,6}(-\S.*?)(?:\s{2,}(.*))?$", line)
        if m and not m.group(2) and len(m.group(1).split()) > 3:
            m = None  # a sentence that starts with an option, not a row
        if m:  # an option table row: syntax, then the description
            opts.scan(m.group(1), True)
            opts.scan(m.group(2) or "", False)
        else:
            opts.scan(other_verbs(line, verb, r"'"), False)
        i += 1
    return opts, subverbs


def other_verbs(text, verb, quote):
    """text without the quoted commands of other subcommands ('register --disk',
    `win2cloud verify OUT.iso --against ISO`): their options are not ours."""
    def keep(m):
        return m.group(0) if m.group(1) in (verb, "win2cloud") else " "
    q = re.escape(quote)
    return re.sub(q + r"(?:win2cloud\s+)?([a-z][a-z0-9-]*)\s[^" + q + r"\n]*" + q, keep, text)


# ---- man page ----------------------------------------------------------------

OPTION_SECTIONS = re.compile(r"^(SYNOPSIS|OPTIONS|GLOBAL OPTIONS)\b", re.I)


def man_sections(md):
    """(heading, lines) for every '## ' section of a page."""
    out, cur = [], None
    for line in md.splitlines():
        m = re.match(r"^## (.*)$", line)
        if m:
            cur = (m.group(1).strip(), [])
            out.append(cur)
        elif cur:
            cur[1].append(line)
    return out


def man_options(md, verb):
    """Options a page documents: its SYNOPSIS and OPTIONS sections.

    Code spans are syntax, the prose around them only mentions; a code
    block is read as --help is (usage lines and option rows are syntax).
    A code span running another subcommand (`win2cloud verify ...`) is not
    about this one and is skipped."""
    opts = Options()
    for head, lines in man_sections(md):
        if not OPTION_SECTIONS.match(head):
            continue
        text, code = "\n".join(lines), []
        for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S):
            help_options(block, verb, opts)  # laid out as --help
        text = re.sub(r"^```[^\n]*\n.*?^```", " ", text, flags=re.M | re.S)
        text = other_verbs(text, verb, "`")
        for span in re.findall(r"`([^`]+)`", text):
            code.append(span)
        prose = re.sub(r"`[^`]+`", " ", text)
        for c in code:
            opts.scan(c, True)
        opts.scan(prose, False)
    return opts


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---- man: Markdown -> roff ----------------------------------------------------

def md_for_lowdown(md):
    """Title line -> metadata, '##' -> '#', links to sibling pages -> NAME(1)."""
    lines = md.splitlines()
    m = re.match(r"^# ([a-z0-9-]+)\((\d)\)\s*$", lines[0] if lines else "")
    if not m:
        raise SystemExit("first line: expected '# NAME(SECTION)', found %r" % (lines[:1],))
    body, fence = [], False
    for line in lines[1:]:
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("##"):
            line = line[1:]
        body.append(line)
    text = "\n".join(body) + "\n"
    text = re.sub(r"\[[^\]]*\]\((win2cloud[a-z0-9-]*)\.md\)", r"**\1**(1)", text)
    return m.group(1), m.group(2), text


def cmd_man(args):
    lowdown, src, out, version = args
    name, section, text = md_for_lowdown(read(src))
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", os.stat(src).st_mtime))
    date = time.strftime("%Y-%m-%d", time.gmtime(epoch))
    r = subprocess.run([lowdown, "-s", "-Tman", "-M", "title=" + name, "-M", "section=" + section,
                        "-M", "date=" + date, "-M", "source=win2cloud " + version],
                       input=text, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{src}: lowdown failed: {r.stderr.strip()}")
    # Table cells are filled, not justified: long words (URLs, header names)
    # in a narrow column cannot be adjusted and troff would warn.
    roff = r.stdout.replace("\n.TS\n", "\n.na\n.TS\n").replace("\n.TE\n", "\n.TE\n.ad\n")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(roff)
    os.replace(tmp, out)
    with open(out + ".gz.tmp", "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as z:
            z.write(roff.encode())
    os.replace(out + ".gz.tmp", out + ".gz")


# ---- the command tree --------------------------------------------------------

def command_tree(w2c):
    """[(verb or None for the tool itself, help Options, sub-verbs)]."""
    top = help_text(w2c)
    tree = [(None, help_options(top)[0], help_commands(top))]
    for verb in help_commands(top):
        text = help_text(w2c, verb)
        if not text.startswith("usage:"):
            tree.append((verb, Options(), []))  # e.g. 'version': no options
            continue
        opts, subs = help_options(text, verb)
        tree.append((verb, opts, subs))
    return tree


def main(argv):
    if len(argv) >= 1 and argv[0] == "man" and len(argv) == 5:
        return cmd_man(argv[1:])
    if len(argv) == 3 and argv[0] == "completion":
        from w2ccomp import write_completion
        return write_completion(command_tree(argv[1]), argv[2])
    sys.exit("usage: w2cdoc.py man LOWDOWN IN.md OUT.1 VERSION | completion WIN2CLOUD OUT")


if __name__ == "__main__":
    main(sys.argv[1:])
