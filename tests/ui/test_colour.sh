#!/usr/bin/env bash
# Colour as a person's terminal shows it: the workbench on the bundled model in tmux under
# TERM=xterm-256color with 256 colours, BERTBENCH_COLORS=8, BERTBENCH_COLORS=mono and NO_COLOR=1;
# `tmux capture-pane -e -p` of the tokens pane (chips), the attention heatmap and the neuron view,
# and the SGR sequences each mode must (and must not) emit: 256-colour indices only in 256 mode,
# the 8 basic colours in 8 mode, attributes only in mono and with NO_COLOR. Piece boundaries inside a
# word and the neuron view's signs must read without colour.
# Usage: test_colour.sh BERTBENCH MODEL_DIR FIXTURES_DIR. Exit 77 (skip) without tmux.
set -u
export LC_ALL=C.UTF-8 # UTF-8 patterns in grep -P
bb=${1:?bertbench path}
model=${2:?bundled model dir}
fx=${BERTBENCH_FIXTURES:-${3:?fixtures dir}}
here=$(dirname "${BASH_SOURCE[0]}")
if ! command -v tmux >/dev/null; then
    echo "SKIP: tmux not installed"
    exit 77
fi
bpe=$fx/tokenizer/bpe_brown_tokenizer.json
if [ ! -f "$bpe" ] && [ "${CI:-}" = true ]; then
    echo "FAIL: fixtures missing at $fx (required under CI=true)"
    exit 1
fi
tmp=$(mktemp -d)
sock=bbcolour$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fails=0
. "$here/tmux_screen.sh" # screen, wait_for
fail() {
    fails=$((fails + 1))
    echo "FAIL: $1"
    screen | sed 's/^/    | /'
}
check() { wait_for "$2" "${3:-20}" || fail "$1: no match for /$2/"; }
type_line() { T send-keys -t w -l -- "$1"; T send-keys -t w Enter; }
sgr() { # sgr NAME FILE ARGS...: sgr_codes.py FILE ARGS... must hold
    local out
    out=$(python3 "$here/sgr_codes.py" "$2" "${@:3}") || { fails=$((fails + 1)); echo "FAIL: $1: $out"; }
}
start() { # start ENV...: the workbench on the bundled model, 100x30
    T kill-session -t w 2>/dev/null
    T new-session -d -s w -x 100 -y 30 \
        "env -u NO_COLOR -u BERTBENCH_COLORS $* LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color HOME=$tmp BERTBENCH_HISTORY=$tmp/hist '$bb' --model '$model'; sleep 60"
    T set-option -t w window-size manual >/dev/null 2>&1
    check "model loads ($*)" "loaded .*bert-brown-small"
}
capture() { T capture-pane -t w -e -p >"$1"; }
T new-session -d -s keep "sleep 600"

for mode in 256 8 mono nocolor; do
    case $mode in
    256) start ;;
    8) start BERTBENCH_COLORS=8 ;;
    mono) start BERTBENCH_COLORS=mono ;;
    nocolor) start NO_COLOR=1 ;;
    esac
    type_line "tok unbelievably tokenization"
    check "$mode: chips" "tokens +\[CLS\] un##bel##ie##va##bl##y to##ken##ization \[SEP\]"
    capture "$tmp/tok-$mode"
    type_line "attn the cat sat on the mat by the door"
    check "$mode: heatmap with its scale" "scale 0 .* 0\.[0-9]"
    capture "$tmp/attn-$mode"
    # the neuron view: Esc gives the keys to the pane, v four times, then n computes it for the cursor's query
    T send-keys -t w Escape
    check "$mode: pane keys" "^ PANE "
    for k in v v v v; do T send-keys -t w "$k"; done
    check "$mode: view neuron" "view neuron"
    T send-keys -t w n
    check "$mode: neuron view" "query \(\+ ░▒▓█, - −=≡≣\)"
    check "$mode: negative values drawn as strokes" "^│ *[0-9]+ \S+ .*[−=≡≣]"
    capture "$tmp/neuron-$mode"
    T send-keys -t w Escape
    check "$mode: keys back to the input line" "^> *$"
    case $mode in
    256)
        # chips 24/31 (segment A pieces), 90 special, 214 the focused border; the heat ramp; neuron blue/red
        sgr "256: tokens" "$tmp/tok-$mode" --has c256:24 c256:31 c256:90 c256:214 --none fg8 bg8
        sgr "256: heatmap ramp" "$tmp/attn-$mode" --has c256:60 c256:61 --none fg8 bg8
        sgr "256: neuron signs" "$tmp/neuron-$mode" --has c256:39 c256:203
        ;;
    8)
        # the theme's fallbacks: chips blue/cyan, special magenta, focus yellow; no 256-colour index anywhere
        sgr "8: tokens" "$tmp/tok-$mode" --has bg8:4 bg8:6 bg8:5 fg8:3 --none c256 rgb
        sgr "8: heatmap" "$tmp/attn-$mode" --has fg8:4 --none c256 rgb
        sgr "8: neuron signs" "$tmp/neuron-$mode" --has fg8:4 fg8:1 --none c256
        ;;
    mono | nocolor)
        # attributes only: chips reversed / underlined by piece, specials bold
        sgr "$mode: tokens" "$tmp/tok-$mode" --has attr:7 attr:4 attr:1 --none c256 fg8 bg8 rgb
        sgr "$mode: heatmap" "$tmp/attn-$mode" --none c256 fg8 bg8 rgb
        sgr "$mode: neuron" "$tmp/neuron-$mode" --none c256 fg8 bg8 rgb
        # the pieces of "unbelievably" alternate attributes: an SGR sits between un and ##bel, ##bel and ##ie
        grep -qP 'un\x1b\[[0-9;]*m(\x1b\[[0-9;]*m)*##(\x1b\[[0-9;]*m)*bel\x1b\[[0-9;]*m' "$tmp/tok-$mode" ||
            { fails=$((fails + 1)); echo "FAIL: $mode: no attribute change between the pieces of 'unbelievably'"; }
        ;;
    esac
    # byte-level BPE: "naïve" is n|a|ï|ve inside one word, with no "##" to show it; in mono and 8 colours
    # every boundary must still change the attribute or colour
    if [ -f "$bpe" ] && [ "$mode" != 256 ]; then
        type_line "vocab $bpe"
        check "$mode: BPE loaded" "bpe_brown_tokenizer.json"
        type_line "tok A naïve café"
        check "$mode: BPE chips" "tokens +<s> A naïve café </s>"
        capture "$tmp/bpe-$mode"
        grep -qP 'n(\x1b\[[0-9;]*m)+a(\x1b\[[0-9;]*m)+ï(\x1b\[[0-9;]*m)+ve' "$tmp/bpe-$mode" ||
            { fails=$((fails + 1)); echo "FAIL: $mode: BPE piece boundaries of 'naïve' not visible:"; grep -a "<s>" "$tmp/bpe-$mode" | head -1 | cat -v | sed 's/^/    | /'; }
    fi
done
if [ "$fails" -gt 0 ]; then
    echo "$fails colour checks failed"
    exit 1
fi
echo "OK: colour in 256, 8, mono and NO_COLOR"
