#!/usr/bin/env bash
# bertbench train ... --export-hf DIR on an MLM, a seqcls and a tokcls run: nothing is trained (no
# output directory, no metrics), train_hf.py compiles (python3 -m py_compile), and every setting of the
# command line appears in it with its value (a golden list per run); accelerate_config.yaml is multi-GPU
# and the README names the launch command and the follow command.
# Usage: test_export_hf.sh BERTBENCH
bin=${1:?bertbench binary}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
ok() { "$@" || { echo "FAIL: $*"; fail=1; }; }
has() { # has FILE LINE...: each LINE is a whole line of FILE
    local f=$1 l
    shift
    for l in "$@"; do grep -qxF -- "$l" "$f" || { echo "FAIL: $f lacks the line: $l"; fail=1; }; done
}

mkdir -p model
echo '{"model_type": "bert", "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 30}' >model/config.json
printf 'the cat sat\nthe dog ran\n\nrain fell\n' >corpus.txt
printf '{"text": "good film", "label": "pos"}\n{"text": "bad film", "label": "neg"}\n' >reviews.jsonl
printf '{"text": "fine", "label": "pos"}\n' >reviews_eval.jsonl
printf 'The DT\ncat NN\n\nIt PRP\nran VBD\n' >pos.conll

# MLM from scratch: every MLM setting
ok "$bin" train --task mlm --config model/config.json --data corpus.txt --paragraphs --out mlm_out --max-steps 1234 \
    --batch-size 16 --grad-accum 2 --lr 3e-4 --weight-decay 0.01 --warmup 100 --schedule cosine --max-grad-norm 0.5 \
    --block-size 64 --mlm-probability 0.2 --whole-word-mask --seed 7 --eval-split 0.05 --eval-every 200 \
    --save-every 500 --log-every 20 --export-hf mlm >mlm.json
ok [ ! -e mlm_out ] # nothing trained, nothing written there
has mlm/train_hf.py 'TASK = "mlm"' 'MODEL = None  # start from this checkpoint; None: from CONFIG' \
    "CONFIG = \"$tmp/model/config.json\"" "TOKENIZER = \"$tmp/model\"" "DATA = \"$tmp/corpus.txt\"" 'EVAL = None' \
    'FORMAT = "text"' 'PARAGRAPHS = True' 'EVAL_SPLIT = 0.05' 'BLOCK_SIZE = 64' 'MLM_PROBABILITY = 0.2' \
    'WHOLE_WORD_MASK = True' 'BATCH_SIZE = 16' 'SEED = 7' 'EVAL_EVERY = 200' "OUTPUT_DIR = \"$tmp/mlm_out\"" \
    '        learning_rate=0.0003,' '        gradient_accumulation_steps=2,' '        max_steps=1234,' \
    '        warmup_steps=100,' '        lr_scheduler_type="cosine",' '        weight_decay=0.01,' \
    '        max_grad_norm=0.5,  # 0: no clipping, in both' '        logging_strategy="steps",' \
    '        logging_steps=20,' '        save_strategy="steps",' '        save_steps=500,' \
    '        report_to=["tensorboard"],' '        seed=SEED,' '        per_device_train_batch_size=per_device,'
python3 -c "import json; d=json.load(open('mlm.json')); assert d['output_dir']=='mlm_out' and d['task']=='mlm'" || { echo "FAIL: mlm.json"; fail=1; }

# seqcls from a checkpoint, epochs, warmup ratio, an eval file, freezing, the default cadence
ok "$bin" train --task seqcls --model model --data reviews.jsonl --eval reviews_eval.jsonl --epochs 4 --batch-size 8 \
    --lr 2e-5 --warmup-ratio 0.1 --schedule linear --block-size 128 --freeze-embeddings --freeze-layers 1 \
    --pool cls --export-hf seqcls >/dev/null
has seqcls/train_hf.py 'TASK = "seqcls"' "MODEL = \"$tmp/model\"  # start from this checkpoint; None: from CONFIG" \
    'CONFIG = None' "TOKENIZER = \"$tmp/model\"" "DATA = \"$tmp/reviews.jsonl\"" "EVAL = \"$tmp/reviews_eval.jsonl\"" \
    'FORMAT = "jsonl"' 'REGRESSION = False' 'FREEZE_EMBEDDINGS = True' 'FREEZE_LAYERS = 1' 'BLOCK_SIZE = 128' \
    'BATCH_SIZE = 8' 'SEED = 42' "OUTPUT_DIR = \"$tmp/seqcls/output\"" '        learning_rate=2e-05,' \
    '        num_train_epochs=4,' '        warmup_ratio=0.1,' '        lr_scheduler_type="linear",' \
    '        weight_decay=0,' '        max_grad_norm=1,  # 0: no clipping, in both' '        logging_steps=1,' \
    '        save_strategy="no",' '        report_to=["tensorboard"],'
ok grep -q -- '--pool cls' seqcls/README.md # a difference it names

# tokcls, CoNLL, constant schedule, no clipping, regression-free
ok "$bin" train --task tokcls --model model --data pos.conll --max-steps 50 --schedule constant --max-grad-norm 0 \
    --eval-split 0.5 --eval-every 10 --export-hf tokcls >/dev/null
has tokcls/train_hf.py 'TASK = "tokcls"' 'FORMAT = "conll"' 'EVAL_SPLIT = 0.5' '        max_steps=50,' \
    '        lr_scheduler_type="constant_with_warmup",' '        max_grad_norm=0,  # 0: no clipping, in both' \
    '        learning_rate=5e-05,' '        warmup_steps=0,' 'EVAL_EVERY = 10'

for d in mlm seqcls tokcls; do
    ok python3 -m py_compile "$d/train_hf.py"
    has "$d/accelerate_config.yaml" 'distributed_type: MULTI_GPU' 'num_machines: 1'
    ok grep -q 'accelerate launch --config_file accelerate_config.yaml train_hf.py' "$d/README.md"
    ok grep -q 'bertbench follow ' "$d/README.md"
done
ok [ ! -e seqcls/output ] && ok [ ! -e tokcls/output ]

# errors: a missing data file is named; --export-hf without a value is a usage error
"$bin" train --task mlm --config model/config.json --data nope.txt --export-hf x >/dev/null 2>err; ok [ $? = 1 ]
ok grep -q nope.txt err
"$bin" train --task mlm --config model/config.json --data corpus.txt --export-hf >/dev/null 2>&1; ok [ $? = 2 ]
[ $fail = 0 ] && echo "export-hf: all checks passed"
exit $fail
