#!/usr/bin/env bash
# Drives the real bertbench workbench in tmux (100x30, TERM=xterm-256color): types commands with
# send-keys and checks capture-pane screens — token chips and table (live while typing), an
# attention heatmap after layer/head keys, layer solo/toggle in the model view, a fill-mask ranking, resize to 80x24 / below / back,
# export, history, quit; then again under LANG=C for the ASCII fallback.
# Usage: test_workbench.sh BERTBENCH FIXTURES_DIR. Exit 77 (skip) without tmux or fixtures.
set -u
bb=${1:?bertbench path}
fx=${BERTBENCH_FIXTURES:-${2:?fixtures dir}}
if ! command -v tmux >/dev/null; then
    echo "SKIP: tmux not installed"
    exit 77
fi
if [ ! -d "$fx/bert_tiny_a" ]; then
    [ "${CI:-}" = true ] && { echo "FAIL: fixtures missing at $fx (required under CI=true)"; exit 1; }
    echo "SKIP: fixtures not found at $fx"
    exit 77
fi
model=$fx/bert_tiny_a
vocab=$fx/vocab/bert-base-uncased-vocab.txt
tmp=$(mktemp -d)
sock=bbtest$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
checks=0

. "$(dirname "${BASH_SOURCE[0]}")/tmux_screen.sh" # screen, wait_for
check() { # check NAME PATTERN [SECONDS]
    checks=$((checks + 1))
    if ! wait_for "$2" "${3:-10}"; then
        fails=$((fails + 1))
        echo "FAIL: $1: no match for /$2/ on screen:"
        screen | sed 's/^/    | /'
    fi
}
check_not() { # check_not NAME PATTERN SIGN: once SIGN (the positive sign that the change was drawn) is
    # on screen, PATTERN must not be on that screen
    checks=$((checks + 1))
    wait_for "$3" || { fails=$((fails + 1)); echo "FAIL: $1: the sign /$3/ never came"; screen | sed 's/^/    | /'; return; }
    if screen | grep -qE -- "$2"; then
        fails=$((fails + 1))
        echo "FAIL: $1: unexpected /$2/ on screen:"
        screen | sed 's/^/    | /'
    fi
}
type_line() { T send-keys -t w -l -- "$1"; T send-keys -t w Enter; }
start() { # start LANG
    T new-session -d -s w -x 100 -y 30 \
        "env -u NO_COLOR LANG=$1 LC_ALL=$1 TERM=xterm-256color HOME=$tmp '$bb' --model '$model' --vocab '$vocab'; echo EXITED \$?; sleep 30"
    T set-option -t w window-size manual >/dev/null 2>&1
}

# A session that outlives the test's ones, so the server does not exit between the two runs.
T new-session -d -s keep "sleep 600"

# ---- UTF-8 run ----
start C.UTF-8
check "model loads on the worker" "loaded .*bert_tiny_a: 2 layers x 4 heads"
type_line "tokenize Tokenization is the process of splitting sequence to tokens"
check "token chips join ## pieces" "tokens +\[CLS\] token##ization is the process of splitting sequence to token##s \[SEP\]"
check "token count" "13 tokens \(2 special"
check "table row ##ization" "2  ##ization +3989  \[5,12\) +0 +0"
check "table row ##s" "11  ##s +2015  \[58,59\) +8 +0"
check "stage view" "normalized tokenization is the process"

# live update while typing, one key at a time, no Enter
for ch in t o k " " t h e " " c a t; do T send-keys -t w -l -- "$ch"; done
check "live: 'tok the cat'" "4 tokens \(2 special"
for ch in " " s a t; do T send-keys -t w -l -- "$ch"; done
check "live: one more word" "5 tokens \(2 special"
check "live: table follows" "3  sat +2938"
T send-keys -t w C-u

# a sentence pair shows type ids 1 for segment B
type_line "tok the cat ||| a dog"
check "pair: segment B type id" "a +1037  \[0,1\) +0 +1"

# attention: heatmap, then layer/head keys and the cursor
type_line "attn The cat sat on the mat."
check "attention heatmap" "layer 0/1  head 0/3"
check "heatmap rows" "2 cat +[░▒▓█]+"
T send-keys -t w Escape
check "pane mode" "PANE"
T send-keys -t w -l "].."
T send-keys -t w Down Down Right
check "layer/head keys" "layer 1/1  head 2/3"
check "cursor value" "q2 cat → k1 the = 0\.[0-9]{4}"
T send-keys -t w -l "v"
check "model view thumbnails" "L1 +[░▒▓█ ]+"
check "pane keys help line" "t/o head T/O layer off/solo"
check "model view: both layers" "^│L0 +[░▒▓█ ]+"
# O solos the selected layer: only its thumbnails stay; [ T ] turns layer 0 back on
T send-keys -t w -l "O"
check "O solos layer 1" "layer 1/1 \(1 of 2 on\)  head 2/3"
check "solo: layer 1's thumbnails" "^│L1 +[░▒▓█ ]+"
check_not "solo: no layer 0 thumbnails" "^│L0 " "^│L1 +[░▒▓█ ]+"
T send-keys -t w -l "["
check "[ visits the layer that is off" "layer 0/1 \(off; 1 of 2 on\)"
T send-keys -t w -l "T]"
check "T turns layer 0 back on" "layer 1/1  head 2/3"
check "toggle restores layer 0's thumbnails" "^│L0 +[░▒▓█ ]+"
T send-keys -t w -l "vv"
check "summary view" "layer head  entropy"
T send-keys -t w -l "i"
check_not "back to the input line" "^ PANE " "^pane keys for attention"

# zoom to the overview, the neuron view (n) and the logit lens (v, l) for the cursor's token
T send-keys -t w Escape
check "pane mode again" "PANE"
T send-keys -t w -l "vvv"
check "heatmap again" "view heatmap"
T send-keys -t w -l "zz"
check "overview zoom" "view heatmap  \(overview\)"
T send-keys -t w -l "z"
T send-keys -t w -l "n"
check "neuron view" "query 2 cat \(layer 1 head 2\): q\.k/sqrt\(d\), softmax, key k, q\*k"
check "neuron rows" "^│ *1 the +-?[0-9]+\.[0-9]{3} +0\.[0-9]{3} "
T send-keys -t w -l "vl"
check "logit lens" "token 2 cat: the MLM head's top 5"
check "lens rows" "^│L1 +[^ ]+ 0\.[0-9]{2}"
# x masks the cursor's token: attention and fill-mask recompute
T send-keys -t w -l "x"
check "x masks the token" "masked token 2: The \[MASK\] sat on the mat\."
T send-keys -t w -l "v"
check "heatmap of the masked text" "2 \[MASK\] +[░▒▓█]+"
T send-keys -t w -l "i"
type_line "pane fill-mask"
check "fill-mask of the masked text" "\[MASK\] #0 \(token 2\): the"

# compare: a byte-level BPE tokenizer beside the WordPiece one
type_line "compare --vocab $fx/tokenizer/bpe_brown_tokenizer.json Tokenization is naïve 😀"
check "compare A" "A current \(WordPiece, vocab 30522\): 7 tokens, 1 \[UNK\]"
check "compare B chips (graphemes)" "<s> Tokenization is naïve +😀 </s>"
check "compare segments" "naïve +naive +Ġn a Ã ¯ ve"
# stats of a small corpus, two tokenizers side by side
printf 'The cat sat on the mat.\nTokenization is the process of splitting sequence to tokens\n' >"$tmp/corpus.txt"
type_line "stats --max 12 --vocab $fx/tokenizer/bpe_brown_tokenizer.json $tmp/corpus.txt"
check "stats" "over max length 12: 1 texts \(50\.0%\) +over max length 12: 1 texts"
check "stats histogram" "[0-9]+-[0-9]+ [▏▎▍▌▋▊▉█]+ +1"
# three-way: WordPiece, byte-level BPE and a Unigram trained here from the SentencePiece held-out text
if "$bb" train-tokenizer --algo unigram --vocab-size 2000 --character-coverage 0.995 --out "$tmp/ug" \
    "$fx/sentencepiece/heldout_text.txt" >/dev/null; then
    type_line "compare --vocab $fx/tokenizer/bpe_brown_tokenizer.json --vocab $tmp/ug/tokenizer.json Tokenization is naïve"
    check "compare C is the Unigram" "C ug/tokenizer.json \(Unigram, vocab 2000\): [0-9]+ tokens"
    check "compare A beside it" "A current \(WordPiece, vocab 30522\): 6 tokens"
    check "three piece columns" "A pieces +B pieces +C pieces"
    check "Unigram pieces with ▁ in the segments" "^│ is +is +Ġis +▁is "
    check "a word all three split differently" "^│Token +token +T ok en +▁To k en"
    check "three-way message" "compare: A 6 tokens, B 12 tokens, C [0-9]+ tokens"
    type_line "stats --max 12 --vocab $fx/tokenizer/bpe_brown_tokenizer.json --vocab $tmp/ug/tokenizer.json $tmp/corpus.txt"
    check "stats of three" "tokenizer.json \(Unigram"
    check "stats relative counts" "tokens vs current: x[0-9.]+ +tokens vs current: x[0-9.]+"
else
    fails=$((fails + 1))
    echo "FAIL: train-tokenizer --algo unigram"
fi

# fill-mask ranking and a word's rank
type_line "mask The capital of France is [MASK]."
check "fill-mask" "\[MASK\] #0 \(token 6\): the capital of france is"
check "ranking bars" "[▏▎▍▌▋▊▉█]+ +[0-9]+\.[0-9]{2}%"
type_line "rank paris"
check "word rank" "'paris': rank [0-9]+, p = "

# layout and focus keys
T send-keys -t w F3
check "vsplit layout" "vsplit  F1 help"
T send-keys -t w F4
check "zoom" "\(zoom\)"
T send-keys -t w F4

# resize: 80x24 works, smaller is refused politely, back to 100x30
T resize-window -t w -x 80 -y 24
check "80x24 redraw" "^ bertbench .* F1 help *$"
checks=$((checks + 1))
w=$(screen | head -1 | awk '{ print length($0) }')
[ "$(screen | wc -l)" -eq 24 ] || { fails=$((fails + 1)); echo "FAIL: 80x24 has $(screen | wc -l) rows"; }
T resize-window -t w -x 70 -y 20
check "too small message" "needs at least 80x24; this one is 70x20"
T resize-window -t w -x 100 -y 30
check "back to 100x30" "layout|vsplit  F1 help"

# errors go to the message line and nothing dies
type_line "load /nonexistent/model"
check "load error shown" "load: .*nonexistent"
type_line "frobnicate"
check "unknown input handled" "unknown command|tokens|attention"

# tab completion of a command
T send-keys -t w -l "lay"
T send-keys -t w Tab
check "completion" "^> layout"
T send-keys -t w C-u

# export a pane to SVG and text
type_line "export tokens $tmp/tokens.svg"
check "export message" "exported tokens \([0-9]+ x [0-9]+\) to"
type_line "export attention $tmp/attn.txt"
checks=$((checks + 2))
grep -q "<svg" "$tmp/tokens.svg" 2>/dev/null || { fails=$((fails + 1)); echo "FAIL: no SVG written"; }
grep -q "layer 1/1" "$tmp/attn.txt" 2>/dev/null || { fails=$((fails + 1)); echo "FAIL: attention text export"; }

type_line "quit"
check "quit exits 0" "EXITED 0"
checks=$((checks + 1))
grep -q "mask The capital of France" "$tmp/.bertbench_history" 2>/dev/null ||
    { fails=$((fails + 1)); echo "FAIL: history not saved"; }
T kill-session -t w

# ---- LANG=C: ASCII glyphs ----
start C
check "ascii: loaded" "loaded .*bert_tiny_a"
check "ascii: box" "^\+ tokens -+\+$"
type_line "tokenize Tokenization is the process"
check "ascii: chips" "\[CLS\] token##ization is the process \[SEP\]"
type_line "attn the cat sat"
check "ascii: heatmap glyphs" "^\| *2 cat +[ .:=+*#%@-]+"
check_not "ascii: no box drawing" "[─│┌┐└┘░▒▓█]" "^\| *2 cat +[ .:=+*#%@-]+"
type_line "quit"
check "ascii: quit" "EXITED 0"

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
