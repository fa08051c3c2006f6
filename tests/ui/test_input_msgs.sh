#!/usr/bin/env bash
# Messages, input and help in tmux (110x34, the bundled model):
# - a first word one or two edits from a command (`atn`, `tokenzie`) is not run as text: the message
#   line asks "did you mean", the line stays on the input line, and only Enter again runs it as text
#   (the attention pane computes nothing before); words the vocabulary knows (`have`) and plain text
#   (`the cat`) are text at once;
# - `messages` lists the messages said so far with their times, the near misses among them;
# - F1 lists `messages` and says what Ctrl-C does;
# - under LANG=C, typed "café naïve" reaches the tokenizer (ca##fe) and the message line says why it is
#   drawn as '?'.
# Usage: test_input_msgs.sh BERTBENCH. Exit 77 (skip) without tmux.
sock=bbinput$$
. "$(dirname "$0")/train_lib.sh"
check_not() { # check_not NAME PATTERN: after the screen showed something later
    checks=$((checks + 1))
    screen | grep -qE -- "$2" && fail "$1: unexpected /$2/"
}
start_lang() { # start_lang LANG: the bundled model under that locale
    T kill-session -t w 2>/dev/null
    T new-session -d -s w -x 110 -y 34 -c "$tmp" \
        "env -u NO_COLOR LANG=$1 LC_ALL=$1 TERM=xterm-256color HOME=$tmp BERTBENCH_HISTORY=$tmp/hist '$bb'; echo EXITED \$?; sleep 60"
    T set-option -t w window-size manual >/dev/null 2>&1
}

start_lang C.UTF-8
check "the bundled model loads" "loaded .*bert-brown-small"
type_line "pane attention"
type_line "atn the cat sat"
check "near miss: asks" "not a command; did you mean attn\? \(Enter again sends it as text to attention\)"
check "the line stays on the input line" "^> atn the cat sat"
check_not "nothing computed yet" "layer [0-9]+/[0-9]+ +head"
T send-keys -t w Enter
check "Enter again: attention of the text" "layer [0-9]+/[0-9]+ +head" 20
check "the text was the whole line" "^│1 at +.*"
check "its second token" "^│2 ##n +"
type_line "pane tokens"
type_line "tokenzie hello world"
check "two edits (a swap) from tokenize" "not a command; did you mean tokenize\?"
T send-keys -t w C-u
type_line "have a nice day"
check "a word the vocabulary knows is text" "tokens +\[CLS\] have a nice day \[SEP\]"
check_not "no question for it" "did you mean save"
type_line "the cat sat"
check "plain text is tokenized" "tokens +\[CLS\] the cat sat \[SEP\]"
type_line "messages"
check "messages: the log's head" "The last [0-9]+ messages, newest first"
check "messages: the near misses with times" "[0-9]{2}:[0-9]{2}:[0-9]{2} error not a command; did you mean tokenize\?"
check "messages: older ones too" "[0-9]{2}:[0-9]{2}:[0-9]{2} +loaded .*bert-brown-small"
T send-keys -t w F1
check "F1 shows the help" "Commands \(plain text runs"
type_line "export info $tmp/help.txt"
check "help exported" "exported info"
grep -qE "messages/msgs +the last 200 messages" "$tmp/help.txt"
expect "F1 lists messages" $?
grep -qF "Ctrl-C stops the focused pane's work: a training run after a second Ctrl-C" "$tmp/help.txt"
expect "F1 says what Ctrl-C does" $?
quit

start_lang C
check "LANG=C: the model loads" "loaded .*bert-brown-small"
T send-keys -t w -l "tok café naïve"
check "LANG=C: the accents reach the tokenizer" "tokens +\[CLS\] ca##fe na##ive \[SEP\]"
check "LANG=C: drawn as ?, and said why" "the locale C is not UTF-8: non-ASCII text is read as UTF-8 but drawn as '\?'"
check "LANG=C: the input line keeps every character" "^> tok caf\? na\?ve"
quit

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
