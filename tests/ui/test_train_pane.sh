#!/usr/bin/env bash
# The training pane and sessions, driven in tmux (110x34): a tiny vocabulary (train-tokenizer) and a
# tiny BERT config made here, an MLM run started with `train` in a new session; the step counter
# increases and the plot is drawn; pause holds the step, resume moves it on, stop records the run;
# save, quit, reopen with --session: the run's plot is the same picture and the history is back.
# Crash: kill -9 during a run, reopen: the run is offered for resume at the last step in its
# metrics.jsonl, and `resume` continues it from its checkpoint (a tampered trainer_state.json there is
# refused with a message, the workbench living on). A run with --skip-invalid-utf8 and --out
# elsewhere warns on the message line, shows the count in the pane and in the mirrored metrics.jsonl,
# and again after reopening. Bad session files (truncated JSON,
# wrong types, newer schema_version, missing run directory) each give their message and are left
# byte-identical. A second instance on an open session is read-only and says so; a missing model's
# path and a layout number of 1e300 survive a save as the path and the default.
# Usage: test_train_pane.sh BERTBENCH. Exit 77 (skip) without tmux.
sock=bbtrain$$
. "$(dirname "$0")/train_lib.sh"
step_now() { screen | grep -oE 'step [0-9]+/[0-9]+' | head -1 | sed 's/step //; s|/.*||'; }
step_past() { local n; n=$(step_now); [ "${n:-0}" -gt "$1" ]; } # the shown step is past $1

# ---- a tiny model: vocabulary from a few lines, a 1-layer config ----
tiny_model 16 32
TRAIN="train --task mlm --config $tmp/tok/config.json --data $tmp/corpus.txt --max-steps 1000000 --batch-size 4 --block-size 32 --log-every 10 --save-every 200 --eval-split 0.25 --eval-every 5000 --lr 1e-3"

# ---- a run in a new session ----
start --session "$tmp/s.bbs"
check "new session" "new session .*s\.bbs"
type_line "tokenize the cat sat"
type_line "$TRAIN"
check "the run starts" "run-1 +running"
check "steps logged" "step [1-9][0-9]*/1000000"
a=$(step_now)
poll 30 step_past "${a:-0}"
expect "step counter increases (past $a: $(step_now))" $?
check "loss plot drawn: axis label and braille" "train loss"
checks=$((checks + 1))
screen | grep -qP '┤.*[\x{2801}-\x{28ff}]' || fail "no braille line beside a y tick"
type_line "pause"
check "paused" "run-1 +paused"
# the worker's own "paused at step N" comes after every step it logged: the shown step is final
check "the worker is paused" "paused at step [0-9]+ \(p or .resume. continues\)"
a=$(step_now)
# a full round trip through the UI's loop (a command and its answer) before looking again
type_line "watch"
check "the workbench answers while paused" "watch is off"
b=$(step_now)
[ "$a" = "$b" ]
expect "paused: the step stays ($a -> $b)" $?
type_line "resume"
check "running again" "run-1 +running"
poll 30 step_past "${b:-0}"
expect "resumed: the step moves on (past $b: $(step_now))" $?
type_line "stop"
check "stopped and recorded" "run run-1 stopped at step [0-9]+"
type_line "export train $tmp/before.txt"
check "exported" "exported train"
type_line "save"
check "saved" "saved .*s\.bbs"
quit
grep -q '"status":[[:space:]]*"stopped"' "$tmp/s.bbs/runs/run-1/run.json"
expect "run.json says stopped" $?

# ---- reopen: the same curve, the history ----
start --session "$tmp/s.bbs"
check "session restored" "session .*s\.bbs: 1 runs"
check "run shown" "run-1 +stopped"
type_line "export train $tmp/after.txt"
check "exported again" "exported train"
cmp -s "$tmp/before.txt" "$tmp/after.txt"
expect "the run's plot is the same after reopening" $?
grep -q "train loss" "$tmp/after.txt"
expect "the export holds the plot" $?
type_line "history"
check "history restored: tokenize" "tokenize the cat sat"
check "history restored: train" "train --task mlm"
type_line "csv run-1 $tmp/m.csv"
check "csv written" "metrics of run-1 written"
head -1 "$tmp/m.csv" | grep -q '^step,'
expect "csv header" $?
type_line "export train $tmp/plot.svg"
check "svg exported" "exported train"
grep -q '<svg' "$tmp/plot.svg"
expect "svg file" $?
quit

# ---- crash: kill -9 during a run, reopen, resume ----
start --session "$tmp/c.bbs"
check "crash session" "new session"
type_line "$TRAIN"
check "crash run steps" "step [0-9]{3,}/1000000" 15
check "a checkpoint was saved" "checkpoint saved" 15
pane_pid=$(T display-message -p -t w '#{pane_pid}')
bbpid=$(pgrep -P "$pane_pid" -f bertbench | head -1)
kill -9 "$bbpid"
check "killed" "EXITED 137"
last=$(grep -oE '^\{"step":[0-9]+,"epoch"' "$tmp/c.bbs/runs/run-1/metrics.jsonl" | tail -1 | grep -oE '[0-9]+' | head -1)
start --session "$tmp/c.bbs"
check "interrupted run offered for resume at its last flushed step" "run run-1 was interrupted at step $last: .resume run-1"
check "its curve is there" "run-1 +interrupted +[^ ]+ step $last/"
# a tampered trainer_state.json is refused with its field named, and the workbench lives on
ck=$(ls -d "$tmp"/c.bbs/runs/run-1/checkpoint-* | sort -t- -k2 -n | tail -1)
cp "$ck/trainer_state.json" "$tmp/state.good"
sed -i 's/"batch_in_epoch":[[:space:]]*[0-9]*/"batch_in_epoch": -100000/' "$ck/trainer_state.json"
type_line "resume run-1"
check "tampered state refused, naming the field" "batch_in_epoch"
type_line "tokenize the cat sat"
check "the workbench is alive after the refusal: it answers the next command" "tokenize: no tokenizer loaded"
cp "$tmp/state.good" "$ck/trainer_state.json"
type_line "resume run-1"
check "resumed from the checkpoint" "run-1 +running"
poll 30 step_past "$last"
expect "steps past the crash ($last -> $(step_now))" $?
r=$(step_now)
type_line "stop"
check "resumed run stopped" "run run-1 stopped at step [0-9]+"
s=$(grep -oE '"steps":[[:space:]]*[0-9]+' "$tmp/c.bbs/runs/run-1/run.json" | grep -oE '[0-9]+$')
[ "${s:-0}" -gt "$last" ]
expect "the resumed run went past step $last (now $s, seen $r)" $?
quit

# ---- --skip-invalid-utf8: a warning, the count in the pane, also after reopening ----
sed '3s/.*/caf\xe9 au lait/' "$tmp/corpus.txt" >"$tmp/bad.txt"
start --session "$tmp/u.bbs"
check "utf8 session" "new session"
type_line "train --task mlm --config $tmp/tok/config.json --data bad.txt --skip-invalid-utf8 --max-steps 1000000 \
--batch-size 4 --block-size 32 --log-every 10 --lr 1e-3 --out $tmp/u-out"
check "warning on the message line" "warning: bad\.txt: skipped 1 line that is not UTF-8 \(first at line 3\)"
check "the pane shows the count" "1 line skipped \(not UTF-8\)"
type_line "stop"
check "utf8 run stopped" "run run-1 stopped at step [0-9]+"
quit
head -1 "$tmp/u.bbs/runs/run-1/metrics.jsonl" | grep -qF '{"skipped_invalid_utf8_train":1,"first_skipped_line_train":3}'
expect "the mirrored metrics.jsonl starts with the count" $?
start --session "$tmp/u.bbs"
check "reopened: the pane shows the count" "1 line skipped \(not UTF-8\)"
quit

# ---- bad session files: a message each, nothing changed on disk ----
bad() { # bad NAME PATTERN: session $tmp/NAME.bbs
    local f=$tmp/$1.bbs/session.json sum
    sum=$(md5sum "$f")
    start --session "$tmp/$1.bbs"
    check "$1: message" "$2"
    quit
    [ "$(md5sum "$f")" = "$sum" ]
    expect "$1: session.json unchanged" $?
}
for n in trunc types newer missing; do cp -r "$tmp/s.bbs" "$tmp/$n.bbs"; done
head -c 100 "$tmp/s.bbs/session.json" >"$tmp/trunc.bbs/session.json"
sed -i 's/"history":[[:space:]]*\[/"history": 3, "x": [/' "$tmp/types.bbs/session.json"
sed -i 's/"schema_version":[[:space:]]*1/"schema_version": 99/' "$tmp/newer.bbs/session.json"
bad trunc "session not opened: .*session.json"
bad types "session not opened: .*history"
bad newer "session not opened: .*(newer|schema)"
rm -rf "$tmp/missing.bbs/runs/run-1"
sum=$(grep -c run-1 "$tmp/missing.bbs/session.json")
start --session "$tmp/missing.bbs"
check "missing run directory: named" "run-1"
quit
[ "$(grep -c run-1 "$tmp/missing.bbs/session.json")" = "$sum" ]
expect "missing run: still listed after the session was saved" $?

# ---- one writer per session: a second instance opens it read-only and says so ----
start --session "$tmp/s.bbs"
check "first instance holds the session" "session .*s\.bbs"
sum=$(md5sum "$tmp/s.bbs/session.json")
screen2() { T capture-pane -t w2 -p; }
T new-session -d -s w2 -x 110 -y 34 -c "$tmp" \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color HOME=$tmp BERTBENCH_HISTORY=$tmp/hist2 '$bb' --session '$tmp/s.bbs'; echo EXITED \$?; sleep 60"
checks=$((checks + 1))
screen2_has() { screen2 | grep -qE -- "$1"; }
poll 10 screen2_has "s\.bbs is open in another bertbench \(pid [0-9]+\); opened read-only" ||
    { fails=$((fails + 1)); echo "FAIL: second instance: no read-only message"; screen2 | sed 's/^/    | /'; }
T send-keys -t w2 -l -- "pin text of the second instance"
T send-keys -t w2 Enter
T send-keys -t w2 F10
checks=$((checks + 1))
poll 15 screen2_has "EXITED" ||
    { fails=$((fails + 1)); echo "FAIL: the second instance did not quit"; screen2 | sed 's/^/    | /'; }
[ "$(md5sum "$tmp/s.bbs/session.json")" = "$sum" ]
expect "the read-only instance did not write session.json" $?
T kill-session -t w2
quit

# ---- a session whose model is missing keeps its path; a layout number of 1e300 is range-checked ----
cp -r "$tmp/s.bbs" "$tmp/gone.bbs"
rm -f "$tmp/gone.bbs/session.lock"
sed -i -e 's|"model":[[:space:]]*null|"model": "/nonexistent/model-dir"|' \
    -e 's/"skip":[[:space:]]*[0-9.e+-]*/"skip": 1e300/' -e 's/"focus":[[:space:]]*[0-9]*/"focus": 1e300/' \
    "$tmp/gone.bbs/session.json"
grep -q '"skip": 1e300' "$tmp/gone.bbs/session.json" && grep -q '/nonexistent/model-dir' "$tmp/gone.bbs/session.json"
expect "the edited session holds the missing model and 1e300" $?
start --session "$tmp/gone.bbs"
check "missing model: said, path kept" "model /nonexistent/model-dir is missing .*path stays recorded"
type_line "save"
check "saved with the missing model" "saved .*gone\.bbs"
quit
grep -q '"model":[[:space:]]*"/nonexistent/model-dir"' "$tmp/gone.bbs/session.json"
expect "the missing model's path is saved back, not null" $?
grep -qE '"skip":[[:space:]]*0,' "$tmp/gone.bbs/session.json" && grep -qE '"focus":[[:space:]]*0,' "$tmp/gone.bbs/session.json"
expect "skip and focus of 1e300 came back as their defaults, not -9.2e18" $?

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
