#!/usr/bin/env bash
# `follow DIR` in the workbench, driven in tmux: an HF Trainer output_dir (the hf_runs/simple_value
# fixture) copied into a directory record by record while the workbench follows it. Half the event
# records and half of the next one (a torn record: the writer is mid-write) give the curve up to step
# 300, status "following" and no error; the rest of the file moves it to step 600; the final
# trainer_state.json makes it "finished" at 600/600. Pause/stop keys are refused (read-only), the runs
# table lists it, and reopening the session follows it again.
# Usage: test_follow_tmux.sh BERTBENCH FIXTURES. Exit 77 (skip) without tmux or (outside CI) the fixtures.
sock=bbfollow$$
. "$(dirname "$0")/train_lib.sh"
fx=${2:?fixtures dir}/hf_runs/simple_value
if [ ! -d "$fx" ]; then
    [ -n "${CI:-}" ] && { echo "FAIL: $fx missing"; exit 1; }
    echo "SKIP: $fx missing"
    exit 77
fi
events=$(ls "$fx"/runs/*/events.out.tfevents.*)

# Record boundaries of the fixture's event file: offsets[i] is where record i starts.
offsets=(0)
size=$(stat -c %s "$events")
while [ "${offsets[-1]}" -lt "$size" ]; do
    len=$(od -An -tu8 -j "${offsets[-1]}" -N8 "$events" | tr -d ' ')
    offsets+=($((offsets[-1] + 12 + len + 4)))
done
nrec=$((${#offsets[@]} - 1))
expect "the fixture has 67 records ($nrec)" $([ "$nrec" = 67 ] && echo 0 || echo 1)

run=$tmp/hfrun
mkdir -p "$run/runs/Dec01_12-00-00_gpu-node-3"
out=$run/runs/Dec01_12-00-00_gpu-node-3/$(basename "$events")
half=33 # the version record, steps 10..300 and the evaluations at 100 and 200
head -c "${offsets[$half]}" "$events" >"$out"
# and half of the next record (the evaluation at step 300), as a writer leaves it mid-write
next_half=$(((offsets[half] + offsets[half + 1]) / 2))
tail -c +$((offsets[half] + 1)) "$events" | head -c $((next_half - offsets[half])) >>"$out"

start --session "$tmp/s.bbs"
check "new session" "new session .*s\.bbs"
type_line "follow $run"
check "followed: status and step" "hfrun +following +.* step 300/"
check "no error for the torn record" "following $run \(tensorboard"
check "loss plot drawn" "train loss"
checks=$((checks + 1))
screen | grep -qP '┤.*[\x{2801}-\x{28ff}]' || fail "no braille line beside a y tick"
checks=$((checks + 1))
screen | grep -qE "eval loss 0\.[0-9]{4}" || fail "the evaluation at step 200 is not shown"

# the rest of the file, as the writer finishes the record and goes on
tail -c +$((next_half + 1)) "$events" >>"$out"
check "the curve reaches step 600" "hfrun +following +.* step 600/"
checks=$((checks + 1))
screen | grep -qE "loss 0\.1[0-9]{3} " || fail "latest loss not near the fixture's 0.13"

# the trainer's final state: finished
mkdir -p "$run/checkpoint-600"
cp "$fx/checkpoint-600/trainer_state.json" "$run/checkpoint-600/"
check "finished at 600/600" "hfrun +finished +.* step 600/600 100%"

# read-only
T send-keys -t w Escape
sleep 0.1
T send-keys -t w X
check "stop refused" "followed read-only"
T send-keys -t w Escape
type_line "resume hfrun"
check "resume refused" "resume: hfrun is followed read-only"
type_line "runs"
check "runs table lists it" "hfrun +finished +ext +hf-trainer .* 600 "
type_line "save"
check "saved" "saved .*s\.bbs"
quit

# reopened: followed again
start --session "$tmp/s.bbs"
type_line "plot run hfrun"
check "followed again after reopening" "hfrun +finished +.* step 600/600"
quit
echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
