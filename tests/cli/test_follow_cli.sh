#!/usr/bin/env bash
# bertbench follow: --once on both hf_runs fixtures returns every log_history point (train and eval)
# with the same steps and float32 values; a trainer_state-only copy gives the newest checkpoint's series;
# a bad CRC is skipped and counted, a torn record is waited for (no error); live mode prints the points
# of a directory as it grows and ends when the trainer wrote its final state. bertbench's own runs: the
# event file it writes has good CRCs (checked bit by bit here) and holds what metrics.jsonl holds.
# Usage: test_follow_cli.sh BERTBENCH FIXTURES
bin=${1:?bertbench binary}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
fx=${BERTBENCH_FIXTURES:-$2}/hf_runs
if [ ! -d "$fx/simple_value" ]; then
    [ "${CI:-}" = true ] && { echo "FAIL: fixtures missing at $fx"; exit 1; }
    echo "SKIP: fixtures not found at $fx"; exit 77
fi
py="python3 $(cd "$(dirname "$0")" && pwd)/follow_check.py"
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
ok() { "$@" || { echo "FAIL: $*"; fail=1; }; }
jq_py() { # jq_py FILE EXPR: EXPR over d, the parsed JSON object
    python3 -c "import json,sys; d=json.load(open('$1')); sys.exit(0 if ($2) else 1)" || { echo "FAIL: $2: $(head -c 400 "$1")"; fail=1; }
}

for form in simple_value tensor_form; do
    ok "$bin" follow "$fx/$form" --once >"$tmp/$form.json"
    jq_py "$tmp/$form.json" "d['format']=='hf-trainer' and d['status']=='finished' and d['meta']['max_steps']==600 and d['meta']['checkpoint']=='checkpoint-600' and d['meta']['corrupt_records']==0"
    ok $py history "$tmp/$form.json" "$fx/$form/checkpoint-600/trainer_state.json"
    # the event file alone: every train and eval scalar, the same steps as log_history
    ok "$bin" follow "$fx/$form" --once --format tensorboard >"$tmp/$form.tb.json"
    jq_py "$tmp/$form.tb.json" "d['format']=='tensorboard' and [len(d['series'][t]) for t in ('train/loss','train/grad_norm','train/learning_rate','train/epoch','eval/loss','eval/accuracy','eval/runtime')]==[60]*4+[6]*3 and [s for s,v in d['series']['eval/accuracy']]==list(range(100,601,100))"
done

# trainer_state.json only (no runs/): the newest checkpoint's log_history
mkdir -p "$tmp/only"
cp -r "$fx/simple_value/checkpoint-200" "$fx/simple_value/checkpoint-400" "$tmp/only/"
ok "$bin" follow "$tmp/only" --once >"$tmp/only.json"
jq_py "$tmp/only.json" "d['meta']['source']=='trainer_state' and d['meta']['checkpoint']=='checkpoint-400' and d['meta']['last_step']==400 and d['status']!='finished'"
ok $py history "$tmp/only.json" "$fx/simple_value/checkpoint-400/trainer_state.json"
cp -r "$fx/simple_value/checkpoint-600" "$tmp/only/"
ok "$bin" follow "$tmp/only" --once >"$tmp/only.json"
ok $py history "$tmp/only.json" "$fx/simple_value/checkpoint-600/trainer_state.json"
jq_py "$tmp/only.json" "d['status']=='finished' and d['meta']['last_step']==600"

events=$(ls "$fx"/simple_value/runs/*/events.out.tfevents.*)
mapfile -t offs < <($py offsets "$events")
# a bad data CRC in the record at step 50: skipped and counted, the rest read
mkdir -p "$tmp/bad/runs/x"
cp "$events" "$tmp/bad/runs/x/events.out.tfevents.1"
chmod u+w "$tmp/bad/runs/x/events.out.tfevents.1"
printf '\xff' | dd of="$tmp/bad/runs/x/events.out.tfevents.1" bs=1 seek=$((offs[5] + 20)) conv=notrunc status=none
ok "$bin" follow "$tmp/bad" --once >"$tmp/bad.json"
jq_py "$tmp/bad.json" "d['meta']['corrupt_records']==1 and d['meta']['records']==66 and len(d['series']['train/loss'])==59 and 50 not in [s for s,v in d['series']['train/loss']] and d['series']['train/loss'][-1][0]==600"
# a torn record (the file ends inside one): no error, waited for
mkdir -p "$tmp/torn/runs/x"
head -c $((offs[20] + 30)) "$events" >"$tmp/torn/runs/x/events.out.tfevents.1"
ok "$bin" follow "$tmp/torn" --once >"$tmp/torn.json"
jq_py "$tmp/torn.json" "d['meta']['corrupt_records']==0 and d['meta']['torn_bytes']==30 and d['meta']['last_step']==180 and d['status']=='running'"

# live: points as the directory grows, the end when the final trainer_state.json appears
mkdir -p "$tmp/live/runs/x"
head -c "${offs[33]}" "$events" >"$tmp/live/runs/x/events.out.tfevents.1"
"$bin" follow "$tmp/live" >"$tmp/live.out" 2>"$tmp/live.err" &
pid=$!
wait_line() { # wait_line PATTERN: polls the output for up to 60 s
    for ((i = 0; i < 1200; i++)); do
        grep -qE -- "$1" "$tmp/live.out" && return 0
        sleep 0.05
    done
    echo "FAIL: no line /$1/ in: $(tail -3 "$tmp/live.out")"
    fail=1
}
wait_line '"tag":"train/loss","step":300,'
wait_line '"status":"running"'
tail -c +$((offs[33] + 1)) "$events" >>"$tmp/live/runs/x/events.out.tfevents.1"
wait_line '"tag":"train/loss","step":600,'
mkdir -p "$tmp/live/checkpoint-600"
cp "$fx/simple_value/checkpoint-600/trainer_state.json" "$tmp/live/checkpoint-600/"
wait_line '"status":"finished"'
for ((i = 0; i < 1200; i++)); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
if kill -0 $pid 2>/dev/null; then echo "FAIL: follow did not end after the run finished"; fail=1; else
    wait $pid; ok [ $? = 0 ]; fi
pid=
ok [ "$(grep -c '"tag":"train/loss"' "$tmp/live.out")" = 60 ]

# usage and errors
"$bin" follow >/dev/null 2>&1; ok [ $? = 2 ]
"$bin" follow "$tmp/nope" --once >/dev/null 2>"$tmp/err"; ok [ $? = 1 ]
ok grep -q "nope" "$tmp/err"
mkdir -p "$tmp/empty"
"$bin" follow "$tmp/empty" --once >/dev/null 2>"$tmp/err"; ok [ $? = 1 ]
ok grep -q "no run found" "$tmp/err"

# bertbench's own run: its event file, framed right and the same numbers as metrics.jsonl
cd "$tmp" || exit 1
cat >corpus.txt <<'CORPUS'
the cat sat on the mat and the dog sat on the log
a bird sang in the tree while the cat slept on the mat
the dog ran to the park and the cat ran to the house
children read books in the library on a rainy day
the sun rose over the hills and the birds began to sing
a small boat sailed across the calm blue lake at dawn
CORPUS
ok "$bin" train-tokenizer --algo wordpiece --vocab-size 100 --out tok corpus.txt >/dev/null
V=$(wc -l <tok/vocab.txt)
cat >tok/config.json <<CONFIG
{"model_type": "bert", "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
 "intermediate_size": 32, "max_position_embeddings": 64, "type_vocab_size": 2, "vocab_size": $V,
 "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "pad_token_id": 0}
CONFIG
ok "$bin" train --task mlm --config tok/config.json --data corpus.txt --out own --max-steps 12 --batch-size 2 \
    --block-size 16 --eval-split 0.3 --eval-every 4 --log-every 2 --threads 1 >/dev/null 2>&1
own_events=$(ls own/events.out.tfevents.* 2>/dev/null | head -1)
ok [ -n "$own_events" ]
ok $py framing "$own_events"
ok "$bin" follow own --once >own.json
jq_py own.json "d['format']=='bertbench' and d['status']=='finished' and d['meta']['last_step']==12"
ok "$bin" follow own --once --format tensorboard >own.tb.json
jq_py own.tb.json "d['meta']['corrupt_records']==0 and d['meta']['torn_bytes']==0 and sorted(d['series'])==sorted(['train/loss','train/learning_rate','train/grad_norm','train/epoch','train/tokens_per_s','eval/loss','eval/perplexity'])"
ok $py metrics own.tb.json own/metrics.jsonl
[ $fail = 0 ] && echo "follow CLI: all checks passed"
exit $fail
