#!/usr/bin/env bash
# A tokenizer that does not belong to the model, in the workbench (tmux 110x34, the bundled model):
# `vocab FILE` with another vocabulary warns on the message line, marks the fill-mask and attention
# panes "tokenizer does not match the model" and refuses `mask`/`attn` with the reason, while the
# tokens pane keeps working; `vocab` with the model's own vocab.txt brings fill-mask back. Then
# `train` with neither --model nor --config fine-tunes the loaded model with the tokenizer in use,
# and the run records them for `resume`.
# Usage: test_pair_tmux.sh BERTBENCH MODEL_DIR. Exit 77 (skip) without tmux.
sock=bbpair$$
. "$(dirname "$0")/train_lib.sh"
model=${2:?bundled model directory}
[ -f "$model/config.json" ] || { echo "FAIL: no model at $model"; exit 1; }

tiny_model 16 32 # $tmp/tok/vocab.txt: 120 tokens trained here, another vocabulary than the model's

start --model "$model" --session "$tmp/s.bbs"
check "model loads" "loaded .*bert-brown-small"
type_line "mask the cat sat on the [MASK]."
check "fill-mask ranks with the model's own tokenizer" "\[MASK\] #0"

type_line "vocab $tmp/tok/vocab.txt"
check "warning on the message line" "tokenizer .*vocab.txt does not match the model"
check "fill-mask pane marked" "^│?tokenizer does not match the model"
check "the reason in the pane" "tokens, the model's own tokenizer 8000|other tokens than in the model's own"
checks=$((checks + 1))
screen | grep -q "\[MASK\] #0" && fail "the old ranking is still shown beside the mismatch"
type_line "mask the dog sat on the [MASK]."
check "mask refused with the reason" "mask: the tokenizer does not match the model"
type_line "attn the dog sat"
check "attention refused" "attention: the tokenizer does not match the model"
check "attention pane marked" "tokenizer does not match the model"
type_line "tok the cat sat on the mat"
check "tokens pane still works" "\[CLS\] the cat sat on the mat \[SEP\]"
type_line "compare --vocab $model/vocab.txt the cat sat"
check "compare pane still works, tokenizers only" "the tokenizer does not match the model: tokenizers only"

type_line "vocab $model/vocab.txt"
check "matching tokenizer accepted" "tokenizer .*bert-brown-small/vocab.txt: WordPiece, vocab 8000"
type_line "mask the cat sat on the [MASK]."
check "fill-mask back" "\[MASK\] #0"

# train on the loaded model with the tokenizer in use: no --model, no --config
type_line "train --task mlm --data $tmp/corpus.txt --max-steps 2 --batch-size 2 --block-size 16"
check "the run trains the loaded model" "run run-1 finished at step 2/2" 60
checks=$((checks + 1))
grep -q -- "--model '$model' --tokenizer '$model/vocab.txt'" "$tmp/s.bbs/runs/run-1/run.json" ||
    fail "run.json does not record the model and tokenizer: $(cat "$tmp/s.bbs/runs/run-1/run.json")"
quit
echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
