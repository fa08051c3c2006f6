#!/usr/bin/env bash
# Session litter, in tmux: a `train` in a workbench started without --session records its run in a new
# session under $XDG_DATA_HOME/bertbench/sessions/ (made with its parents, mode 0700), or under
# $HOME/.local/share/bertbench/sessions/ when XDG_DATA_HOME is unset or relative; the current
# directory gets nothing. In the same workbench, `train --help` shows the usage generated from the
# option table and `train ... --export-hf DIR` writes the Hugging Face Trainer files without a session.
# Usage: test_session_home.sh BERTBENCH. Exit 77 (skip) without tmux.
sock=bbhome$$
. "$(dirname "$0")/train_lib.sh"

tiny_model 16 32
mkdir -p "$tmp/cwd" "$tmp/home"
TRAIN="train --task mlm --config $tmp/tok/config.json --data $tmp/corpus.txt --max-steps 5 --batch-size 4 --block-size 32"

start_env() { # start_env ENV...: the workbench without --session, cwd $tmp/cwd, HOME $tmp/home
    T kill-session -t w 2>/dev/null
    T new-session -d -s w -x 110 -y 34 -c "$tmp/cwd" \
        "env -u NO_COLOR -u XDG_DATA_HOME LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color HOME=$tmp/home BERTBENCH_HISTORY=$tmp/hist $* '$bb'; echo EXITED \$?; sleep 60"
    T set-option -t w window-size manual >/dev/null 2>&1
    # the bundled model loads on the worker at start: its message first, so later ones stay on the line
    check "${1:-no XDG_DATA_HOME}: the bundled model loaded" "loaded .*bert-brown-small" 30
}
metrics_in() { compgen -G "$1/bertbench-*.bbs/runs/run-1/metrics.jsonl" >/dev/null; }
cwd_empty() {
    checks=$((checks + 1))
    [ -z "$(ls -A "$tmp/cwd")" ] || fail "$1: the current directory got $(ls -A "$tmp/cwd" | tr '\n' ' ')"
}

# one run with the environment $1, expected under the sessions directory $2
run_in() {
    start_env "$1"
    type_line "$TRAIN"
    check "$1: the run finishes" "run run-1 finished at step 5/5" 60
    quit
    checks=$((checks + 1))
    metrics_in "$2" || fail "$1: no run under $2: $(find "$tmp" -name metrics.jsonl | tr '\n' ' ')"
    checks=$((checks + 1))
    [ "$(stat -c %a "$2")" = 700 ] || fail "$1: $2 has mode $(stat -c %a "$2"), not 700"
    cwd_empty "$1"
}

run_in "XDG_DATA_HOME=$tmp/xdg/data" "$tmp/xdg/data/bertbench/sessions"
run_in "" "$tmp/home/.local/share/bertbench/sessions"
rm -rf "$tmp/home/.local"
run_in "XDG_DATA_HOME=rel" "$tmp/home/.local/share/bertbench/sessions"
checks=$((checks + 1))
[ ! -e "$tmp/xdg/data/bertbench/sessions/rel" ] && [ ! -e "$tmp/cwd/rel" ] || fail "a relative XDG_DATA_HOME was used"

# the usage from the option table in the info pane; an export writes files and makes no session
rm -rf "$tmp/xdg"
start_env "XDG_DATA_HOME=$tmp/xdg"
type_line "train --help"
check "train --help: the generated usage" "usage: bertbench train --task"
check "train --help: a row with its default" "--epochs N +passes over the training data \(default 3\)"
type_line "$TRAIN --export-hf $tmp/exp"
check "export from the workbench" "wrote .*exp/train_hf.py, accelerate_config.yaml and README.md"
quit
checks=$((checks + 1))
[ -s "$tmp/exp/train_hf.py" ] && [ -s "$tmp/exp/accelerate_config.yaml" ] && [ -s "$tmp/exp/README.md" ] ||
    fail "the export's files are missing: $(ls "$tmp/exp" 2>&1)"
checks=$((checks + 1))
[ ! -e "$tmp/xdg" ] || fail "an export made a session: $(find "$tmp/xdg" | head -3)"
cwd_empty "export"

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
