#!/usr/bin/env bash
# The training pane's views, driven in tmux (110x34) on a tiny model made here:
# - a classification run: the eval loss, accuracy and macro-F1 curves under the loss plot, each eval
#   a mark; the loss's dense raw series drawn as a mean over a min/max band (░);
# - the value cursor: Esc, Left: a readout line (step, time, every train series) in the cursor colour,
#   a cursor mark on the x axis and each lower plot's value at the cursor in its title;
# - C: the last evaluation's confusion matrix with the labels by name, its counts summing to the eval
#   set (40 of 200 examples);
# - Ctrl-C on a running run: the first press asks and the run goes on, another key forgets the
#   question, two presses in a row stop it with a checkpoint;
# - a run whose data is still being read says "loading" in its header (its data comes through a FIFO);
# - kill -9 during a run, reopen: the header shows the run's real total (step N/100000, not N/0), its
#   status on a badge readable in 256 colours, 8 colours and mono, and at 80 columns whole fields (and whole key hints) only.
# Usage: test_train_views.sh BERTBENCH. Exit 77 (skip) without tmux.
sock=bbviews$$
. "$(dirname "$0")/train_lib.sh"
step_now() { screen | grep -oE 'step [0-9]+/[0-9]+' | head -1 | sed 's/step //; s|/.*||'; }
colour_line() { T capture-pane -t w -e -p | grep -F -- "$1" | head -1; } # the first line with $1, with SGRs

tiny_model 16 32
for i in $(seq 0 199); do
    case $((i % 3)) in
    0) echo "{\"text\": \"the cat number $i sat on the mat\", \"label\": \"animal\"}" ;;
    1) echo "{\"text\": \"we went to the park at dawn $i\", \"label\": \"place\"}" ;;
    *) echo "{\"text\": \"rain fell on the roof all day $i\", \"label\": \"weather\"}" ;;
    esac
done >"$tmp/cls.jsonl"

# ---- a classification run: eval curves, band, cursor, confusion matrix ----
start --session "$tmp/v.bbs"
check "new session" "new session .*v\.bbs"
type_line "train --task seqcls --config $tmp/tok/config.json --data cls.jsonl --max-steps 300 --batch-size 8 \
--block-size 24 --log-every 1 --eval-split 0.2 --eval-every 20 --lr 3e-3"
check "the run finishes" "run run-1 finished at step 300/300" 90
check "eval curves: eval loss, accuracy and macro F1 plots" "eval loss .*accuracy .*macro F1"
checks=$((checks + 1))
[ "$(screen | grep -o '◆' | wc -l)" -ge 20 ] || fail "fewer than 20 eval marks in the plots"
checks=$((checks + 1))
screen | grep -q '░' || fail "no min/max band (░) under the dense raw loss"
checks=$((checks + 1))
colour_line "eval loss" >/dev/null && T capture-pane -t w -e -p | grep -qP '\e\[[0-9;]*38;5;214m[^\e]*◆' ||
    fail "the eval marks are not drawn in the eval colour (38;5;214)"
T send-keys -t w Escape
check "pane keys" "pane keys for train"
T send-keys -t w Left
check "cursor readout: step, time and the train series" "│ step (29[0-9]|300) +[0-9]+s +loss [0-9.]+ +smoothed [0-9.]+ +lr [0-9.e-]+ +grad norm"
check "the lower plots' titles carry the value at the cursor" "eval loss [0-9.]+ .*accuracy [0-9.]+ .*macro F1 [0-9.]+"
checks=$((checks + 1))
T capture-pane -t w -e -p | grep -qP '\e\[[0-9;]*38;5;226m│ step [23]' || fail "the readout is not in the cursor colour (38;5;226)"
checks=$((checks + 1))
screen | grep -q '▲' || fail "no cursor mark on the x axis"
for _ in 1 2 3 4 5 6 7 8 9 10; do T send-keys -t w Left; done
check "ten columns to the left the cursor is earlier" "│ step (2[0-7][0-9]|1[0-9][0-9]) "
T send-keys -t w C
check "confusion matrix title" "confusion matrix of the evaluation at step 300: rows gold, columns predicted"
check "labels by name across the top" "gold.pred +animal +place +weather +recall"
check "a row per gold label" "^│animal +[0-9]+ +[0-9]+ +[0-9]+ +[01]\.[0-9]{3}"
check "precision row" "^│precision +[01-]"
total=$(screen | grep -E '^│(animal|place|weather) ' | awk '{s += $2 + $3 + $4} END {print s}')
expect "the matrix counts the 40 eval examples (got $total)" "$([ "$total" = 40 ] && echo 0 || echo 1)"
T send-keys -t w C
check "C: back to the plots" "train loss"
T send-keys -t w c
T send-keys -t w i
check "back on the input line" "train loss"

# ---- Ctrl-C on a running run ----
type_line "train --task mlm --config $tmp/tok/config.json --data corpus.txt --max-steps 100000 --batch-size 4 \
--block-size 32 --log-every 10 --save-every 1000000 --lr 1e-3"
check "run-2 running" "run-2 +running"
check "run-2 steps" "step [1-9][0-9]*/100000"
T send-keys -t w C-c
check "the first Ctrl-C asks" "Ctrl-C again stops run-2 \(after its current step, with a checkpoint\)"
a=$(step_now)
check "still running after one Ctrl-C" "run-2 +running"
for ((i = 0; i < 200; i++)); do [ "$(step_now)" -gt "${a:-0}" ] && break; sleep 0.05; done
b=$(step_now)
[ "${b:-0}" -gt "${a:-0}" ]
expect "the run goes on after one Ctrl-C ($a -> $b)" $?
T send-keys -t w x # any other key forgets the question
T send-keys -t w C-c
check "asked again after another key" "Ctrl-C again stops run-2"
check "still running" "run-2 +running"
T send-keys -t w C-c
check "the second Ctrl-C stops it" "run run-2 stopped at step [0-9]+/100000"
grep -q '"status":[[:space:]]*"stopped"' "$tmp/v.bbs/runs/run-2/run.json"
expect "run.json says stopped" $?
ls -d "$tmp/v.bbs/runs/run-2/checkpoint-"* >/dev/null 2>&1
expect "stopped with a checkpoint" $?
quit

# ---- kill -9, reopen: the real total ----
start --session "$tmp/v.bbs"
check "reopened" "session .*v\.bbs: 2 runs"
# the data comes through a FIFO, so the run stays in preparation until the text is written: its header
# says loading (not running) and has no total yet
mkfifo "$tmp/slow.txt"
type_line "train --task mlm --config $tmp/tok/config.json --data slow.txt --max-steps 100000 --batch-size 4 \
--block-size 32 --log-every 10 --save-every 1000000 --lr 1e-3"
check "a run being prepared says so" "run-3 +loading +[^ ]+ step 0/0 "
timeout 120 cp "$tmp/corpus.txt" "$tmp/slow.txt" &
# run-2 (stopped at step N/100000) was on screen just before, and a capture can catch a frame half
# redrawn over it: wait for run-3's own header, then for the sign on disk that it recorded a step
check "run-3 steps" "run-3 +running .*step [0-9]{2,}/100000" 60
checks=$((checks + 1))
poll 60 grep -q '"step":' "$tmp/v.bbs/runs/run-3/metrics.jsonl" || fail "run-3 recorded no step in its metrics.jsonl"
pane_pid=$(T display-message -p -t w '#{pane_pid}')
kill -9 "$(pgrep -P "$pane_pid" -f bertbench | head -1)"
check "killed" "EXITED 137"
start --session "$tmp/v.bbs"
check "the crashed run is offered for resume" "run run-3 was interrupted"
type_line "plot run run-3"
check "its real total after the crash" "run-3 +interrupted +[^ ]+ step [1-9][0-9]*/100000"
# the status word that is not busy sits on the badge colour, readable in every medium: grey (244)
# under black in 256 colours, white under black in 8 (not black on the default background), reversed
# without colour
badge() { T capture-pane -t w -e -p | grep -F "interrupted" | head -1 | grep -oP '(?:\e\[[0-9;]*m)+(?= interrupted )' | head -1; }
badge_has() { # badge_has NAME SGR-CODE...: each code among the SGRs just before " interrupted "
    local b code
    b=$(badge)
    checks=$((checks + 1))
    for code in "${@:2}"; do
        printf '%s' "$b" | grep -qP "\e\[(?:[0-9;]*;)?$code(?:;[0-9;]*)?m" ||
            { fail "$1: the badge's SGRs ($(printf '%s' "$b" | cat -v)) lack $code"; return; }
    done
}
badge_has "256 colours" "38;5;16" "48;5;244"
quit
for mode in 8 mono; do
    START_ENV="BERTBENCH_COLORS=$mode" start --session "$tmp/v.bbs"
    check "$mode: reopened on the interrupted run" "run-3 +interrupted +[^ ]+ step [1-9][0-9]*/100000"
    case $mode in
    8)
        badge_has "8 colours" 30 47
        # at 80 columns the header keeps whole fields and drops the ones that do not fit
        T resize-window -t w -x 80 -y 24
        check "80 columns: the header's fields whole" \
            "^│run-3 +interrupted +[^ ]+ step [0-9]+/100000 +[0-9]+%(  epoch [0-9.]+)?(  elapsed [^ ]+)?(  ETA [^ ]+)?(  [0-9]+ tok/s)? *│$"
        check "80 columns: the keys row's entries whole" "^│<-/-> cursor  c hide  g eval/optimizer plots  C confusion  p pause/resume +│$"
        ;;
    mono) badge_has "mono" 7 ;;
    esac
    quit
done

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
