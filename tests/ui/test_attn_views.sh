#!/usr/bin/env bash
# The attention pane's views in tmux (110x34, the bundled model):
# - the key tokens written downwards under the heatmap's columns;
# - the logit lens follows the cursor: j moves to "cat" and the lens shows token 2 without a key press;
# - g in the lens view: every token's top prediction and probability at every layer (a row per layer,
#   the input tokens across), the cursor's column highlighted;
# - the neuron view follows the cursor and the head.
# Usage: test_attn_views.sh BERTBENCH MODEL_DIR. Exit 77 (skip) without tmux.
sock=bbattn$$
. "$(dirname "$0")/train_lib.sh"
model=$(cd "${2:?model dir}" && pwd)

start --model "$model"
check "model loaded" "loaded .*bert-brown-small"
type_line "attn the cat sat on the mat"
check "attention computed" "layer 0/3 +head 0/3 +head"
# columns: [CLS] the cat sat on the mat [SEP], 2 cells each: the first letters of each key, downwards
check "key labels, first letters" "^│ +\[ t c s o t m \[ +│"
check "key labels, second letters" "^│ +C h a a n h a S +│"
check "key labels, third letters (none for 'on')" "^│ +L e t t   e t E +│"
T send-keys -t w Escape
check "pane keys" "pane keys for attention"
T send-keys -t w v v v v v
check "the lens view computes for the cursor's token at once" "token 0 \[CLS\]: the MLM head's top 5 read from each layer"
T send-keys -t w j j
check "the lens follows the cursor" "token 2 cat: the MLM head's top 5 read from each layer"
check "its rows" "^│L3 +[^ ]+ [01]\.[0-9]{2}"
T send-keys -t w g
check "the grid over every token" "logit lens, every token: the MLM head's top token and its probability at each layer"
check "the grid's input row" "^│in +\[CLS\] +the +cat +sat +on +the +mat +\[SEP\]"
check "a layer row of tokens" "^│L3 +[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ "
check "a row of probabilities" "^│ +[01]\.[0-9]{2} +[01]\.[0-9]{2} +[01]\.[0-9]{2} +[01]\.[0-9]{2} "
checks=$((checks + 1))
n=$(screen | grep -n '^│in ' | head -1 | cut -d: -f1)
T capture-pane -t w -e -p | sed -n "${n:-1}p" | grep -qP '\e\[([0-9;]*;)?7(;[0-9;]*)?m(\e\[[0-9;]*m)*cat' ||
    fail "the cursor's column (cat) is not highlighted (reverse video)"
T send-keys -t w v n
check "the neuron view at the cursor" "query 2 cat \(layer 0 head 0\)"
T send-keys -t w j .
check "the neuron view follows the cursor and the head" "query 3 sat \(layer 0 head 1\)"
quit

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
