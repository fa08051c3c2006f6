#!/usr/bin/env bash
# Inference on the weights of a run while it trains, driven in tmux (110x34). A tiny vocabulary and
# config are made here, and a one-step CLI run gives the model the workbench loads. In the workbench:
# `mask` + `rank` on the loaded model, `watch`, then an MLM run from scratch: the fill-mask pane
# shows the run's name and a step that increases with each ranking, and the corpus's word at the mask
# goes from unlikely to the best guess; tokenize still answers meanwhile. `watch off` freezes the
# pane; `use run` puts every pane on a snapshot (tab bar, `model` and the pane's label say so);
# `use model` gives back the loaded model's ranking byte for byte. A watched run that stops gets a
# last ranking at its final step; `use run` without a live run names the directory to load instead.
# Usage: test_train_watch.sh BERTBENCH. Exit 77 (skip) without tmux.
sock=bbwatch$$
. "$(dirname "$0")/train_lib.sh"
# the step of the fill-mask pane's watch label, and the probability of 'mat' beside it
watch_step() { screen | grep -oE 'weights: run-1 at step [0-9]+ \(watch' | head -1 | sed 's/.*step //; s/ .*//'; }
mat_p() { screen | grep -oE "'mat': rank [0-9]+, p = [0-9.]+" | head -1 | sed 's/.*p = //'; }
watch_past() { local n; n=$(watch_step); [ "${n:-0}" -gt "$1" ]; } # a ranking after step $1
# the run's last logged step, from its metrics.jsonl in the session the run made (the pane shown may not
# say it); a session nobody named goes to $HOME/.local/share/bertbench/sessions (HOME is $tmp)
sessions=$tmp/.local/share/bertbench/sessions
step_now() { cat "$sessions"/*.bbs/runs/run-1/metrics.jsonl 2>/dev/null | grep -oE '^\{"step":[0-9]+' | tail -1 | grep -oE '[0-9]+'; }
run_past() { local n; n=$(step_now); [ "${n:-0}" -gt "$1" ]; }
mat_likely() { pb=$(mat_p); s=$(watch_step); awk -v b="${pb:-0}" 'BEGIN { exit !(b > 0.5) }'; }

tiny_model 32 64
"$bb" train --task mlm --config "$tmp/tok/config.json" --data "$tmp/corpus.txt" --max-steps 1 --batch-size 4 \
    --block-size 32 --out "$tmp/m0" >/dev/null 2>&1 || {
    echo "FAIL: the one-step model"
    exit 1
}

start --model "$tmp/m0"
check "model loaded" "loaded .*m0"
type_line "use model"
check "use model when already on it" "already on the loaded model"
type_line "mask the cat sat on the [MASK]"
type_line "rank mat"
check "ranking on the loaded model" "'mat': rank [0-9]+, p = "
type_line "export fill-mask $tmp/loaded.txt"
check "exported" "exported fill-mask"

# ---- a run with the watch on ----
# the first ranking is of the starting weights; a long interval keeps it on screen to be read
type_line "watch 100000"
check "watch before a run" "every 100000 steps, from the next run's start"
type_line "train --task mlm --config $tmp/tok/config.json --data $tmp/corpus.txt --max-steps 1000000 --batch-size 8 --block-size 32 --log-every 50 --lr 5e-3"
check "the run starts" "run-1 +running"
type_line "pane fill-mask"
check "watch label with the run's step" "weights: run-1 at step [0-9]+ \(watch every 100000 steps\)" 20
check "predictions drawn" "\[MASK\] #0 \(token [0-9]+\): "
check "rank of the word on the run's weights" "'mat': rank [0-9]+, p = "
a=$(watch_step)
pa=$(mat_p)
type_line "watch 100"
check "a later ranking" "weights: run-1 at step ([1-9][0-9]{2,}) \(watch every 100 steps" 20
b=$(watch_step)
# each ranking needs 100 more steps, a snapshot and a fill-mask: wait for the next one, however long
poll 60 watch_past "${b:-0}"
c=$(watch_step)
[ "${b:-0}" -gt "${a:-0}" ] && [ "${c:-0}" -gt "${b:-0}" ]
expect "the watched step increases ($a -> $b -> $c)" $?
type_line "tokenize the cat sat"
check "tokenize answers while the run trains" "\[CLS\] .*\[SEP\]"
type_line "pane fill-mask"
# predictions improve: the starting weights give 'mat' little probability; a later ranking makes it
# the best guess with p > 0.5 (memorised from the corpus)
poll 60 mat_likely
echo "p('mat') at step $a: $pa, at step $s: $pb"
awk -v a="${pa:-1}" 'BEGIN { exit !(a < 0.1) }'
expect "the starting weights give 'mat' little probability (step $a: $pa)" $?
awk -v b="${pb:-0}" 'BEGIN { exit !(b > 0.5) }'
expect "p('mat') rises past 0.5 as the run trains (step $s: $pb)" $?
check "'mat' is the best guess then" "\[MASK\] #0 \(token [0-9]+\): the cat sat on the mat"

type_line "watch off"
check "watch off" "watch off"
# a ranking that started before `watch off` is dropped when it ends, so the label shown now is the
# last; the positive sign that more would have come: the run moves on by 300 steps (3 intervals)
c=$(watch_step)
w0=$(step_now)
poll 60 run_past $((${w0:-0} + 300))
expect "the run moves on after watch off ($w0 -> $(step_now))" $?
type_line "watch" # and the UI has been through its loop since (a command answered)
check "the workbench answers: the watch is off" "watch is off"
d=$(watch_step)
[ "$c" = "$d" ]
expect "no rankings after watch off ($c -> $d)" $?

# ---- use run / use model ----
type_line "use run"
check "use run: message" "every pane now uses run-1's weights at step [0-9]+"
check "use run: tab bar" "weights: run-1 at step [0-9]+ +F1 help"
check "use run: the fill-mask pane recomputed on the snapshot" "weights: run-1 at step [0-9]+ *│"
type_line "model"
check "model: the snapshot named" "weights +run-1 at step [0-9]+ \(a snapshot"
type_line "use model"
check "use model: message" "every pane uses the loaded model again"
type_line "pane fill-mask"
type_line "export fill-mask $tmp/back.txt"
check "exported again" "exported fill-mask"
cmp -s "$tmp/loaded.txt" "$tmp/back.txt"
expect "use model: the loaded model's ranking is back, unchanged" $?
screen | grep -q "weights: run-1"
expect "use model: no snapshot named on screen" $((!$?))

# ---- a last ranking when the watched run ends ----
type_line "watch 100000"
check "watch on again" "weights: run-1 at step [0-9]+ \(watch every 100000 steps\)" 20
type_line "stop"
check "stopped" "run run-1 stopped at step [0-9]+"
# the step the run ended at: its stop checkpoint's (the status line shows the last logged step)
last=$(ls -d "$sessions"/*.bbs/runs/run-1/checkpoint-* | sed 's/.*checkpoint-//' | sort -n | tail -1)
type_line "pane fill-mask"
check "the final step ranked" "weights: run-1 at step $last \(watch" 20
type_line "use run"
# (the path, in the data directory's session, runs past the 110 columns: its start is what shows)
check "use run without a live run" "no run is training; .load $sessions/bertbench-[0-9]"
quit

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
