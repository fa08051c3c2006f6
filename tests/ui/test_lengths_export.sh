#!/usr/bin/env bash
# Lengths and exports as a person meets them, in tmux on the bundled model (128 positions; its
# tokenizer_config said 512 before): a ~300-token text is cut at 128 in the tokens pane (scissors,
# greyed "cut" rows) and the attention pane says so; `truncate 64 left` and the pane keys move the cut,
# and the setting survives `save` and reopening the session. `export attention F.txt|F.svg` of a
# 128-token text holds every one of the 128 x 128 cells and every label; the tokens export every row.
# Usage: test_lengths_export.sh BERTBENCH MODEL_DIR. Exit 77 (skip) without tmux.
set -u
export LC_ALL=C.UTF-8
bb=${1:?bertbench path}
model=${2:?bundled model dir}
here=$(dirname "${BASH_SOURCE[0]}")
if ! command -v tmux >/dev/null; then
    echo "SKIP: tmux not installed"
    exit 77
fi
tmp=$(mktemp -d)
sock=bblen$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
. "$here/tmux_screen.sh" # screen, wait_for
fail() {
    fails=$((fails + 1))
    echo "FAIL: $1"
    screen | sed 's/^/    | /'
}
check() { wait_for "$2" "${3:-20}" || fail "$1: no match for /$2/"; }
ok() { [ "$2" = 0 ] || { fails=$((fails + 1)); echo "FAIL: $1"; }; }
type_line() { T send-keys -t w -l -- "$1"; T send-keys -t w Enter; }
start() { # start READY ARGS...: the workbench, 100x30, until READY is on screen
    local ready=$1
    shift
    T kill-session -t w 2>/dev/null
    T new-session -d -s w -x 100 -y 30 -c "$tmp" \
        "env -u NO_COLOR LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color HOME=$tmp BERTBENCH_HISTORY=$tmp/hist '$bb' $*; echo EXITED \$?; sleep 60"
    T set-option -t w window-size manual >/dev/null 2>&1
    check "ready" "$ready"
}
T new-session -d -s keep "sleep 600"

grep -q '"model_max_length":[[:space:]]*128' "$model/tokenizer_config.json" ||
    { fails=$((fails + 1)); echo "FAIL: $model/tokenizer_config.json: model_max_length is not the model's 128 positions"; }
# 310 tokens: 22 sentences of 14 words (one token each) and [CLS] [SEP]
long=$(python3 -c "print(' '.join(['the old man walked to the river and sat down by the water .'] * 22))")
start "loaded .*bert-brown-small" --model "'$model'"
type_line "tok $long"
check "cut at 128 on the right" "max length 128 \(model\): 182 tokens cut on the right"
check "scissors after the kept tokens" "✂"
T send-keys -t w Escape
check "pane keys" "^ PANE "
T send-keys -t w G
check "the last text token is flagged cut, [SEP] kept" "308  \. +17  \[1318,1319\) +307 +0  cut"
T send-keys -t w g
check "the first is kept" "1  the +99  \[0,3\) +0 +0 *│"
T send-keys -t w Escape
type_line "truncate 64 left"
check "truncate sets the length and side" "max length 64 \(set; model 128\): 246 tokens cut on the left"
check "the message says so" "tokens: max length 64 \(set\), cut on the left, case auto"
T send-keys -t w Escape
check "pane keys again" "^ PANE "
T send-keys -t w -
check "- shortens by 16" "max length 48 \(set; model 128\): 262 tokens cut on the left"
T send-keys -t w s
check "s flips the side" "max length 48 \(set; model 128\): 262 tokens cut on the right"
T send-keys -t w c
check "c: case uncased" "case uncased"
T send-keys -t w c
check "c: case cased" "case cased"
T send-keys -t w Escape
type_line "attn $long"
check "attention says where the model cut" "cut at max length 128 \(182 tokens dropped\)"
type_line "save $tmp/s.bbs"
check "saved" "saved"
ok "session.json holds the tokens settings" "$(python3 -c "
import json, sys
l = json.load(open('$tmp/s.bbs/session.json'))['layout']['tokens']
sys.exit(0 if l == {'max_length': 48, 'truncation_side': 'right', 'case': 'cased'} else 1)" 2>&1 >/dev/null; echo $?)"
type_line "quit"
check "quit" "EXITED 0"
start "bertbench .*tokens" --session "'$tmp/s.bbs'"
type_line "tok The Old Man $long"
check "reopened: the setting is back" "max length 48 \(set; model 128\): 265 tokens cut on the right"
check "reopened: cased" "normalized The Old Man"

# a 128-token text (126 one-token words): the full matrix in the export, whatever the screen size
words=$(python3 -c "
import random
random.seed(7)
w = 'the old man walked to the river and sat down by water'.split()
print(' '.join(random.choice(w) for _ in range(126)))")
type_line "truncate model"
type_line "attn $words"
check "128 tokens" "q0 \[CLS\] → k0 \[CLS\] ="
type_line "export attention $tmp/attn.txt"
check "exported txt (128 rows, 8 of key labels under them, 4 more)" "exported attention \([0-9]+ x 140\) to"
type_line "export attention $tmp/attn.svg"
check "exported svg" "exported attention .* to .*attn.svg"
type_line "tok $words"
type_line "export tokens $tmp/tok.txt"
check "exported tokens" "exported tokens .* to .*tok.txt"
python3 - "$tmp" <<'PY' || fails=$((fails + 1))
import re, sys
d = sys.argv[1]
lines = open(f"{d}/attn.txt", encoding="utf-8").read().split("\n")
bad = []
rows = [l for l in lines if re.match(r"^ *\d+ \S+ +[ ░▒▓█]", l)]
if len(rows) != 128: bad.append(f"{len(rows)} matrix rows, want 128")
for l in rows:
    cells = re.sub(r"^ *\d+ \S+ +", "", l)
    if len(l) < 17 + 2 * 128 - 2 and len(cells.rstrip()) < 250: bad.append(f"row cut: {l[:40]}... ({len(l)} columns)"); break
if not any(re.match(r"^ *127 \[SEP\]", l) for l in rows): bad.append("no row 127 [SEP]")
ruler = [l for l in lines if re.match(r"^ +0 +2 +4 ", l)]
if not ruler or "126" not in ruler[0].split(): bad.append("the ruler does not reach column 126")
if "cut" in "\n".join(lines[-2:]) and "export cut" in "\n".join(lines): bad.append("the export says it was cut")
svg = open(f"{d}/attn.svg", encoding="utf-8").read()
m = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', svg)
if not m or int(m.group(1)) < (17 + 256) * 9 or int(m.group(2)) < 132 * 18: bad.append(f"svg size {m.groups() if m else None}")
tok = open(f"{d}/tok.txt", encoding="utf-8").read()
if not re.search(r"^ +127  \[SEP\] +3  \[0,0\)", tok, re.M): bad.append("tokens export lacks table row 127")
if bad: print("FAIL export: " + "; ".join(bad)); sys.exit(1)
PY
if [ "$fails" -gt 0 ]; then
    echo "$fails checks failed"
    exit 1
fi
echo "OK: lengths and exports"
