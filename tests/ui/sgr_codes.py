"""Reads a `tmux capture-pane -e -p` capture and prints the SGR classes it uses, one per line:
c256 (38;5;N / 48;5;N), fg8:N / bg8:N (30-37 / 40-47, 90-97 / 100-107), rgb (38;2 / 48;2), attr:N
(1 bold, 2 dim, 4 underline, 7 reverse). Defaults (0, 39, 49) are not listed.
Usage: sgr_codes.py CAPTURE [--has CLASS ...] [--none PREFIX ...]: with --has / --none it prints
the missing / unwanted ones and exits 1 instead."""
import re
import sys

def classes(text):
    out = set()
    for m in re.finditer(r"\x1b\[([0-9;]*)m", text):
        p = [int(x) if x else 0 for x in m.group(1).split(";")]
        i = 0
        while i < len(p):
            c = p[i]
            if c in (38, 48) and i + 1 < len(p) and p[i + 1] == 5:
                out.add("c256:%d" % p[i + 2] if i + 2 < len(p) else "c256")
                out.add("c256")
                i += 3
                continue
            if c in (38, 48) and i + 1 < len(p) and p[i + 1] == 2:
                out.add("rgb")
                i += 5
                continue
            if 30 <= c <= 37 or 90 <= c <= 97:
                out.add("fg8:%d" % (c % 10))
            elif 40 <= c <= 47 or 100 <= c <= 107:
                out.add("bg8:%d" % (c % 10))
            elif c not in (0, 39, 49):
                out.add("attr:%d" % c)
            i += 1
    return out

args = sys.argv[1:]
got = classes(open(args[0], encoding="utf-8", errors="replace").read())
has = [a for a in args[1:] if not a.startswith("--")]
mode = None
bad = []
for a in args[1:]:
    if a in ("--has", "--none"):
        mode = a
    elif mode == "--has" and a not in got:
        bad.append("missing " + a)
    elif mode == "--none":
        bad += ["unwanted " + g for g in sorted(got) if g.startswith(a)]
if mode is None:
    print("\n".join(sorted(got)))
    sys.exit(0)
if bad:
    print("; ".join(bad) + " (capture has: " + " ".join(sorted(got)) + ")")
    sys.exit(1)
