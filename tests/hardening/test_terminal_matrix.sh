#!/usr/bin/env bash
# Terminal conditions for the workbench: stdin piped or /dev/null, stdout redirected, TERM=dumb / unset
# (each refused with exit 2 and a message pointing to the subcommands, before any model is loaded);
# in tmux: TERM=dumb refused on a real terminal, started in a tiny 20x6 window (the "too small"
# notice, then usable after growing to 80x24), and LANG=C (ASCII only on screen).
# Usage: test_terminal_matrix.sh BERTBENCH FIXTURES_DIR. The tmux part skips (77) without tmux/fixtures.
set -u
bb=${1:?bertbench path}
fx=${BERTBENCH_FIXTURES:-${2:?fixtures dir}}
fails=0
checks=0
fail() { fails=$((fails + 1)); echo "FAIL: $*"; }

# refused NAME CMD...: exit 2, nothing on stdout, a stderr line naming the subcommands.
refused() {
    local name=$1 out err rc
    shift
    checks=$((checks + 1))
    out=$(mktemp) err=$(mktemp)
    "$@" >"$out" 2>"$err"
    rc=$?
    [ $rc -eq 2 ] || fail "$name: exit $rc, expected 2"
    grep -q "bertbench --help" "$err" || fail "$name: no pointer to the subcommands: $(cat "$err")"
    [ -s "$out" ] && fail "$name: wrote to stdout: $(head -c 200 "$out")"
    rm -f "$out" "$err"
}

# The model does not exist: a refusal that loaded the model first would say so instead.
m=/nonexistent-model
refused "stdin piped" bash -c "echo 'mask a [MASK]' | TERM=xterm '$bb' --model $m"
refused "stdin /dev/null" env TERM=xterm "$bb" --model $m </dev/null
grep_msg() { "$@" 2>&1 >/dev/null </dev/null; }
grep_msg env TERM=xterm "$bb" --model $m | grep -q "standard input is not a terminal" || fail "stdin message"
checks=$((checks + 1))

if ! command -v tmux >/dev/null; then
    echo "$checks checks, $fails failed; SKIP: tmux not installed for the terminal part"
    [ $fails -eq 0 ] && exit 77 || exit 1
fi
if [ ! -d "$fx/bert_tiny_a" ]; then
    echo "$checks checks, $fails failed; SKIP: fixtures not found at $fx"
    [ $fails -eq 0 ] && exit 77 || exit 1
fi
model=$fx/bert_tiny_a
vocab=$fx/vocab/bert-base-uncased-vocab.txt
tmp=$(mktemp -d)
sock=bbmatrix$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
screen() { T capture-pane -t "$1" -p; }
wait_for() { # wait_for WINDOW PATTERN [SECONDS]: a wall-clock deadline, scaled by BB_WAIT_SCALE (3)
    local end=$((SECONDS + ${3:-10} * ${BB_WAIT_SCALE:-3} + 1))
    while :; do
        screen "$1" | grep -qE -- "$2" && return 0
        [ "$SECONDS" -lt "$end" ] || return 1
        sleep 0.05
    done
}
check() { # check NAME WINDOW PATTERN [SECONDS]
    checks=$((checks + 1))
    if ! wait_for "$2" "$3" "${4:-10}"; then
        fail "$1: no /$3/ on screen:"
        screen "$2" | sed 's/^/    | /'
    fi
}
run_in() { # run_in NAME W H ENV...: the workbench in a tmux session of that size
    local name=$1 w=$2 h=$3
    shift 3
    T new-session -d -s "$name" -x "$w" -y "$h" \
        "env -u NO_COLOR $* HOME=$tmp '$bb' --model '$model' --vocab '$vocab' 2>&1; echo EXITED \$?; sleep 30"
    T set-option -t "$name" window-size manual >/dev/null 2>&1
}

# A real terminal that cannot draw: refused, pointing to the subcommands.
run_in dumb 100 30 TERM=dumb LANG=C.UTF-8
check "TERM=dumb refused" dumb "TERM=dumb cannot draw the workbench"
check "TERM=dumb exit 2" dumb "EXITED 2"
run_in unset 100 30 -u TERM LANG=C.UTF-8
check "TERM unset refused" unset "TERM=\(unset\) cannot draw"

# Tiny: the notice, no crash; growing the window brings the workbench; F10 quits cleanly.
run_in tiny 20 6 TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8
check "tiny: too small notice" tiny "too small|needs at"
T resize-window -t tiny -x 80 -y 24
check "tiny: grows into the workbench" tiny "F1 help"
T send-keys -t tiny F10
check "tiny: quits" tiny "EXITED 0"
run_in one 2 2 TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8
# the program is up (it drew something into its 2x2 window) before the window grows
check "2x2: draws something" one "[^[:space:]]"
T resize-window -t one -x 80 -y 24
check "2x2: survives and grows" one "F1 help"
T send-keys -t one F10
check "2x2: quits" one "EXITED 0"

# No UTF-8 locale: ASCII only on the screen.
run_in ascii 100 30 TERM=xterm-256color LANG=C LC_ALL=C
check "LANG=C: starts" ascii "F1 help"
T send-keys -t ascii -l "The cat sat on the [MASK]."
# first the sign that the text was drawn (the live tokens), then the check on that same screen
check "LANG=C: live tokens drawn" ascii "\[CLS\] the cat sat on the \[MASK\] \. \[SEP\]"
checks=$((checks + 1))
if screen ascii | LC_ALL=C grep -q '[^ -~]'; then
    fail "LANG=C: non-ASCII bytes on screen:"
    screen ascii | LC_ALL=C grep -n '[^ -~]' | head -5 | sed 's/^/    | /'
fi
T send-keys -t ascii F10
check "LANG=C: quits" ascii "EXITED 0"

echo "$checks checks, $fails failed"
[ $fails -eq 0 ]
