# Shared by the training tests in tmux (test_train_pane.sh, test_train_watch.sh), sourced after the
# script sets sock (its tmux server's name): takes BERTBENCH from $1, exits 77 (skip) without tmux,
# makes $tmp (removed on exit, with the tmux server; KEEP=1 keeps both), and defines the screen
# helpers, the check counters and tiny_model, a vocabulary and config trained from a few lines.
set -u
export LC_ALL=C.UTF-8 # braille code points in grep -P
bb=${1:?bertbench path}
case $bb in /*) ;; *) bb=$PWD/$bb ;; esac
if ! command -v tmux >/dev/null; then
    echo "SKIP: tmux not installed"
    exit 77
fi
tmp=$(mktemp -d)
T() { tmux -L "${sock:?set sock before sourcing train_lib.sh}" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap "T kill-server" EXIT
fails=0
checks=0

. "$(dirname "${BASH_SOURCE[0]}")/tmux_screen.sh" # screen, wait_for
fail() {
    fails=$((fails + 1))
    echo "FAIL: $1"
    screen | sed 's/^/    | /'
}
check() { # check NAME PATTERN [SECONDS]
    checks=$((checks + 1))
    wait_for "$2" "${3:-10}" || fail "$1: no match for /$2/ on screen:"
}
expect() { # expect NAME CONDITION-STATUS
    checks=$((checks + 1))
    [ "$2" = 0 ] || fail "$1"
}
type_line() { T send-keys -t w -l -- "$1"; T send-keys -t w Enter; }
start() { # start ARGS...: the workbench in session w (cwd $tmp; unnamed sessions in $tmp/.local/share);
    # START_ENV: more VAR=VALUE words for its environment
    T kill-session -t w 2>/dev/null
    T new-session -d -s w -x 110 -y 34 -c "$tmp" \
        "env -u NO_COLOR -u XDG_DATA_HOME ${START_ENV:-} LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color HOME=$tmp BERTBENCH_HISTORY=$tmp/hist '$bb' $*; echo EXITED \$?; sleep 60"
    T set-option -t w window-size manual >/dev/null 2>&1
}
quit() { T send-keys -t w F10; check "quits cleanly" "EXITED 0" 15; }

# tiny_model HIDDEN INTERMEDIATE: $tmp/corpus.txt, a WordPiece vocabulary from it in $tmp/tok and a
# 1-layer, 2-head config of those sizes in $tmp/tok/config.json; exits 1 if the vocabulary fails.
tiny_model() {
    cat >"$tmp/corpus.txt" <<'CORPUS'
the cat sat on the mat and the dog sat on the log
a bird sang in the tree while the cat slept on the mat
the dog ran to the park and the cat ran to the house
children read books in the library on a rainy day
the sun rose over the hills and the birds began to sing
a small boat sailed across the calm blue lake at dawn
the baker made fresh bread and the town smelled of it
rain fell on the roof and the cat watched from the window
CORPUS
    "$bb" train-tokenizer --algo wordpiece --vocab-size 120 --out "$tmp/tok" "$tmp/corpus.txt" >/dev/null || {
        echo "FAIL: train-tokenizer"
        exit 1
    }
    local V
    V=$(wc -l <"$tmp/tok/vocab.txt")
    cat >"$tmp/tok/config.json" <<CONFIG
{"model_type": "bert", "hidden_size": $1, "num_hidden_layers": 1, "num_attention_heads": 2,
 "intermediate_size": $2, "max_position_embeddings": 64, "type_vocab_size": 2, "vocab_size": $V,
 "hidden_act": "gelu", "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "pad_token_id": 0}
CONFIG
}

T new-session -d -s keep "sleep 600"
