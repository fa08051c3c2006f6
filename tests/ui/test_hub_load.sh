#!/usr/bin/env bash
# The workbench loads a model by its Hub id from a Hugging Face cache built here (HF_HUB_CACHE): Tab
# completes `load fi` to the cached id, the pytorch_model.bin snapshot loads on the worker, and a
# missing id shows the not-in-cache message. Usage: test_hub_load.sh BERTBENCH FIXTURES_DIR.
set -u
bb=${1:?bertbench path}
fx=${BERTBENCH_FIXTURES:-${2:?fixtures dir}}
if ! command -v tmux >/dev/null; then
    echo "SKIP: tmux not installed"
    exit 77
fi
if [ ! -d "$fx/torch_bin" ]; then
    [ "${CI:-}" = true ] && { echo "FAIL: fixtures missing at $fx (required under CI=true)"; exit 1; }
    echo "SKIP: fixtures not found at $fx"
    exit 77
fi
tmp=$(mktemp -d)
sock=bbhub$$
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

repo=$tmp/cache/models--fixt--tiny-a
commit=5555555555555555555555555555555555555555
mkdir -p "$repo/blobs" "$repo/snapshots/$commit" "$repo/refs"
for f in config.json pytorch_model.bin; do
    cp "$fx/torch_bin/bert_tiny_a_bin/$f" "$repo/blobs/$f.blob"
    ln -s "../../blobs/$f.blob" "$repo/snapshots/$commit/$f"
done
cp "$fx/vocab/bert-base-uncased-vocab.txt" "$repo/blobs/vocab.blob"
ln -s ../../blobs/vocab.blob "$repo/snapshots/$commit/vocab.txt"
printf '%s' $commit > "$repo/refs/main"

T new-session -d -s w -x 100 -y 30 \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=xterm-256color HOME=$tmp HF_HUB_CACHE=$tmp/cache '$bb'; echo EXITED \$?; sleep 30"
check "workbench up" "F1 help"
T send-keys -t w -l "load fi"
T send-keys -t w Tab
check "Tab completes the cached id" "load fixt/tiny-a"
T send-keys -t w Enter
check "loaded from the cache's .bin snapshot" "loaded fixt/tiny-a: 2 layers x 4 heads" 60
type_line "load fixt/nope"
check "missing id message" "fixt/nope is not in the Hugging Face cache"
T send-keys -t w F10
check "quits" "EXITED 0"
[ $fails = 0 ] && echo "hub_load: all checks passed"
exit $((fails > 0))
