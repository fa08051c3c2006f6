#!/usr/bin/env bash
# The tokens pane with SentencePiece tokenizers, in the real workbench under tmux: a Unigram .model shows
# its text ("ＦＵＬＬ") and charsmap stage ("FULL"), the escaped text with '▁', chips with the '▁'
# marker and the pieces' scores; a BPE model with byte fallback shows the four <0xF0>.. pieces of one
# character as that character in one chip while the table lists each byte piece.
# Usage: test_spm_tmux.sh BERTBENCH FIXTURES_DIR. Exit 77 (skip) without tmux or fixtures.
set -u
bb=${1:?bertbench path}
fx=${BERTBENCH_FIXTURES:-${2:?fixtures dir}}
if ! command -v tmux >/dev/null; then
    echo "SKIP: tmux not installed"
    exit 77
fi
if [ ! -f "$fx/sentencepiece/unigram_8k.model" ]; then
    [ "${CI:-}" = true ] && { echo "FAIL: fixtures missing at $fx (required under CI=true)"; exit 1; }
    echo "SKIP: fixtures not found at $fx"
    exit 77
fi
tmp=$(mktemp -d)
sock=bbspm$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
. "$(dirname "${BASH_SOURCE[0]}")/tmux_screen.sh" # screen, wait_for
check() { # check NAME PATTERN [SECONDS]
    if ! wait_for "$2" "${3:-20}"; then
        fails=$((fails + 1))
        echo "FAIL: $1: no match for /$2/ on screen:"
        screen | sed 's/^/    | /'
    fi
}
type_line() { T send-keys -t w -l -- "$1"; T send-keys -t w Enter; }
start() { # start MODEL
    T new-session -d -s w -x 110 -y 32 \
        "env -u NO_COLOR LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color HOME=$tmp '$bb' --vocab '$1'; echo EXITED \$?; sleep 30"
    T set-option -t w window-size manual >/dev/null 2>&1
}
T new-session -d -s keep "sleep 600"

start "$fx/sentencepiece/unigram_8k.model"
check "tokenizer loaded" "Unigram, vocab 8000"
type_line "tokenize ＦＵＬＬ  width text"
check "text before the charsmap" "text +ＦＵＬＬ  width text"
check "charsmap stage" "nmt_nfkc +FULL  width text"
check "escaped stage, after" "escaped +▁FULL▁width▁text"
check "chips with the ▁ marker" "tokens +▁FULL ▁width ▁text"
check "pieces with scores" "scores +▁F -[0-9]+\.[0-9]{2}"
check "table row" "▁wi +[0-9]+ +\[4,8\)"
T send-keys -t w C-q 2>/dev/null; T kill-session -t w 2>/dev/null

start "$fx/sentencepiece/bpe_bytefallback_4k.model"
check "bpe loaded" "SentencePiece BPE"
type_line "tokenize rare 𠮷 here"
check "byte pieces as one character" "tokens +▁r ?are ▁𠮷 ▁here"
check "byte pieces in the table" "<0xF0> +[0-9]+ +\[5,5\)"
check "last byte carries the span" "<0xB7> +[0-9]+ +\[5,6\)"
[ $fails = 0 ] && echo "spm tmux ok"
exit $fails
