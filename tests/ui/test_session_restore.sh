#!/usr/bin/env bash
# Reopening a session puts back what each pane showed, in tmux (110x34, the bundled model): the tokens
# pane's text, the fill-mask pane's text, the attention pane's text with its layer, head, mode, view
# and cursor; and the logit-lens grid setting. `save`, quit, reopen with --session only.
# Usage: test_session_restore.sh BERTBENCH MODEL_DIR. Exit 77 (skip) without tmux.
sock=bbrestore$$
. "$(dirname "$0")/train_lib.sh"
model=$(cd "${2:?model dir}" && pwd)

start --model "$model" --session "$tmp/r.bbs"
check "model loaded" "loaded .*bert-brown-small"
type_line "messages" # the load's message may have replaced the session's: the log has both
check "new session (in the messages log)" "new session .*r\.bbs"
type_line "tok the cat sat on the mat"
check "tokens" "tokens +\[CLS\] the cat sat on the mat \[SEP\]"
type_line "mask the dog sat on the [MASK] ."
check "fill-mask ranked" "the dog sat on the"
type_line "attn a bird sang in the tree"
check "attention computed" "layer 0/3 +head 0/3 +head"
T send-keys -t w Escape
check "pane keys" "pane keys for attention"
T send-keys -t w ] ] . m j j
check "layer 2, head 1, mean of heads" "layer 2/3 +head 1/3 +mean of heads"
check "cursor on row 2" "q2 bird"
T send-keys -t w i
type_line "save"
check "saved" "saved .*r\.bbs"
quit
grep -q '"panes"' "$tmp/r.bbs/session.json"
expect "session.json holds the panes" $?

start --session "$tmp/r.bbs"
check "attention restored: layer, head, mode" "layer 2/3 +head 1/3 +mean of heads" 20
check "attention restored: its text" "^│ *1 a +"
check "attention restored: the cursor" "q2 bird"
type_line "pane tokens"
check "tokens restored" "tokens +\[CLS\] the cat sat on the mat \[SEP\]"
type_line "pane fill-mask"
check "fill-mask restored" "the dog sat on the" 20
quit

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
