#!/usr/bin/env bash
# Ctrl-C in the workbench cancels long engine work through its bb_work (tmux, the bundled model): corpus
# stats over 400,000 texts show their progress beside the spinner, Ctrl-C while they run (the percentage
# on screen is the sign they are mid-way) ends them with "stats: cancelled" in the pane, and the next stats run
# on hello / blank / world counts 3 texts, as `tokenize --stats` does.
# Usage: test_cancel_tmux.sh BERTBENCH MODEL_DIR. Exit 77 (skip) without tmux.
sock=bbcancel$$
. "$(dirname "$0")/train_lib.sh"
model=${2:?bundled model directory}
[ -f "$model/config.json" ] || { echo "FAIL: no model at $model"; exit 1; }

awk 'BEGIN { for (i = 0; i < 400000; i++) print "the cat sat on the mat and the dog ran after it, line " i }' >"$tmp/big.txt"
printf 'hello\n\nworld\n' >"$tmp/blank.txt"

start --model "$model"
check "model loads" "loaded .*bert-brown-small"
type_line "stats $tmp/big.txt"
check "the stats job shows its progress" "corpus stats\.\.\. [0-9]+%"
T send-keys -t w C-c
check "Ctrl-C cancels it" "stats: cancelled" 60
checks=$((checks + 1))
screen | grep -q "corpus stats\.\.\." && fail "the spinner is still there after the cancel"
type_line "stats $tmp/blank.txt"
check "the next job runs: 3 texts" "3 texts, " 30
quit
echo "$checks checks, $fails failed"
[ $fails -eq 0 ]
