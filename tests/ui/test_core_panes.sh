#!/usr/bin/env bash
# The workbench core (ui_app, ui_loop, ui_cmd, ui_keys and their headers) knows panes only through
# ui_pane.h: it includes no pane's header and names no pane (a class's name as a string literal, or a
# class object such as ui_tokens_pane); the registry in ui_panes.c is the one place that lists them.
# The check runs on the tree, then on a copy with a planted include and a planted name, which it must
# catch. Usage: test_core_panes.sh SOURCE_DIR
set -u
src=${1:?source dir}
core="ui_app.c ui_loop.c ui_cmd.c ui_keys.c ui_app.h ui_cmd.h ui_pane.h"
check() { # check DIR: 0 when the core in DIR is clean, else prints what it found
    python3 - "$1" $core <<'PY'
import re, sys, glob, os
d, files = sys.argv[1], sys.argv[2:]
names, objs = set(), set()
for f in glob.glob(os.path.join(d, 'ui_pane_*.c')):
    t = open(f).read()
    for m in re.finditer(r'const ui_pane_class (\w+) = \{(.*?)\n\};', t, re.S):
        objs.add(m.group(1))
        n = re.search(r'\.name = "([^"]+)"', m.group(2))
        if n: names.add(n.group(1))
bad = 0
if len(names) < 7: print('FAIL: found only the pane classes', sorted(names)); bad = 1
for f in files:
    t = open(os.path.join(d, f)).read()
    t = re.sub(r'/\*.*?\*/', '', t, flags=re.S)  # comments may speak of panes
    for m in re.finditer(r'#include "(ui_pane_\w+\.h|ui_panes\.h)"', t):
        print(f'FAIL: {f} includes {m.group(1)}'); bad = 1
    for n in names:
        if f'"{n}"' in t: print(f'FAIL: {f} names the pane "{n}"'); bad = 1
    for o in objs:
        if re.search(r'\b' + o + r'\b', t): print(f'FAIL: {f} uses the class {o}'); bad = 1
sys.exit(bad)
PY
}
fails=0
check "$src/workbench" || fails=$((fails + 1))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$src"/workbench/ui_*.[ch] "$tmp"/
echo '#include "ui_pane_tokens.h"' >>"$tmp/ui_cmd.c"
if check "$tmp" >/dev/null; then echo "FAIL: a planted pane include in ui_cmd.c was not caught"; fails=$((fails + 1)); fi
cp "$src/workbench/ui_cmd.c" "$tmp/ui_cmd.c"
echo 'static const char *planted = "train";' >>"$tmp/ui_app.c"
if check "$tmp" >/dev/null; then echo "FAIL: a planted pane name in ui_app.c was not caught"; fails=$((fails + 1)); fi
[ "$fails" = 0 ] && echo "ok: the core names no pane"
[ "$fails" = 0 ]
