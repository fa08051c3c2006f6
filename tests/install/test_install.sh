#!/bin/sh
# `meson install` as a user meets it: a copy of the source is built (release, no tests) and installed
# to a temporary prefix and, with DESTDIR, to a staging tree; the build and the copy are deleted. Then
#   - the installed bertbench runs fill-mask and tokenize on its bundled model (share/bertbench/models),
#     from the prefix and from the staging tree moved elsewhere, and says how to give a model when it has
#     none (the subcommands on stderr, the workbench on its message line when tmux is there);
#   - every installed header compiles on its own, and a small C program (use_engine.c) builds against
#     the installed libbertengine with nothing but `pkg-config --cflags --libs bertengine`, then
#     tokenizes, fills a mask and trains two steps on the installed model.
# Usage: test_install.sh SOURCE_ROOT USE_ENGINE_C
src=${1:?source root}
prog=${2:?use_engine.c}
tmp=$(mktemp -d)
sock=bbinstall$$
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
CC=${CC:-cc}

# A copy of the source without build trees, VCS data or local data, so nothing can come from here.
mkdir "$tmp/src" "$tmp/work"
for e in "$src"/* "$src"/.[!.]*; do
    case ${e##*/} in build* | .git | data | runs | '.[!.]*' | '*') ;; *) cp -R "$e" "$tmp/src/" ;; esac
done
cp "$prog" "$tmp/work/use_engine.c"

prefix=$tmp/prefix
echo "building a copy of the source in $tmp (release, -Dtests=false)"
meson setup "$tmp/build" "$tmp/src" --prefix "$prefix" -Dbuildtype=release -Dtests=false \
    > "$tmp/setup.log" 2>&1 || { cat "$tmp/setup.log"; fail "meson setup of the copy"; }
ninja -C "$tmp/build" > "$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log"; fail "building the copy"; }
meson install -C "$tmp/build" --no-rebuild > "$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "meson install"; }
DESTDIR=$tmp/stage meson install -C "$tmp/build" --no-rebuild > "$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; fail "meson install with DESTDIR"; }
rm -rf "$tmp/build" "$tmp/src"
[ ! -e "$tmp/src" ] || fail "the source copy is still there"

model_rel=share/bertbench/models/bert-brown-small
for f in bin/bertbench "$model_rel/config.json" "$model_rel/model.safetensors" "$model_rel/vocab.txt" \
    include/bertbench/infer.h; do
    [ -s "$prefix/$f" ] || fail "not installed: $prefix/$f"
done
lib=$(find "$prefix" -name libbertengine.a)
pc=$(find "$prefix" -name bertengine.pc)
[ -n "$lib" ] && [ -n "$pc" ] || fail "libbertengine.a or bertengine.pc not installed: $(find "$prefix" -type f | head -20)"

# check_binary BIN: fill-mask and tokenize on the bundled model, with no BERTBENCH_MODEL.
check_binary() {
    env -u BERTBENCH_MODEL "$1" fill-mask --top-k 10 "she opened the [MASK]." > "$tmp/out" 2> "$tmp/err" ||
        fail "$1 fill-mask: $(cat "$tmp/err")"
    python3 - "$tmp/out" <<'PY' || fail "$1 fill-mask output: $(cat "$tmp/out")"
import json, sys
d = json.load(open(sys.argv[1]))
preds = d["masks"][0]["predictions"]
assert len(preds) == 10, preds
assert "door" in [p["token_str"] for p in preds], preds
assert all(a["score"] >= b["score"] for a, b in zip(preds, preds[1:])), preds
PY
    env -u BERTBENCH_MODEL "$1" tokenize "The cat sat." > "$tmp/out" 2> "$tmp/err" || fail "$1 tokenize: $(cat "$tmp/err")"
    python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['tokens']; assert t==['[CLS]','the','cat','sat','.','[SEP]'], t" \
        "$tmp/out" || fail "$1 tokenize output: $(cat "$tmp/out")"
    echo "ok   $1: fill-mask and tokenize on the bundled model"
}
check_binary "$prefix/bin/bertbench"

# The DESTDIR tree moved elsewhere, and the prefix moved too: the model is found beside the binary.
mv "$tmp/stage" "$tmp/moved"
check_binary "$tmp/moved$prefix/bin/bertbench"
mv "$prefix" "$tmp/prefix-moved"
prefix=$tmp/prefix-moved
check_binary "$prefix/bin/bertbench"

# A binary with no model beside it: the error says how to give one; BERTBENCH_MODEL gives one.
mkdir "$tmp/lone"
cp "$prefix/bin/bertbench" "$tmp/lone/bertbench"
if env -u BERTBENCH_MODEL "$tmp/lone/bertbench" fill-mask "a [MASK]." > "$tmp/out" 2> "$tmp/err"; then
    fail "fill-mask without a model succeeded: $(cat "$tmp/out")"
fi
grep -q -- "--model DIR" "$tmp/err" && grep -q "BERTBENCH_MODEL" "$tmp/err" ||
    fail "the no-model error does not say how to give one: $(cat "$tmp/err")"
echo "ok   no model: $(cat "$tmp/err")"
BERTBENCH_MODEL=$prefix/$model_rel "$tmp/lone/bertbench" tokenize "The cat sat." > "$tmp/out" 2> "$tmp/err" ||
    fail "BERTBENCH_MODEL: $(cat "$tmp/err")"
grep -q '"tokens":\["\[CLS\]","the","cat","sat",".","\[SEP\]"\]' "$tmp/out" || fail "BERTBENCH_MODEL tokenize: $(cat "$tmp/out")"
echo "ok   BERTBENCH_MODEL names the model"
if command -v tmux > /dev/null 2>&1; then
    tmux -L "$sock" new-session -d -x 160 -y 30 \
        "env -u BERTBENCH_MODEL -u NO_COLOR LANG=C.UTF-8 TERM=xterm-256color HOME=$tmp '$tmp/lone/bertbench'; sleep 600"
    end=$(($(date +%s) + 20 * ${BB_WAIT_SCALE:-3}))
    until tmux -L "$sock" capture-pane -p | grep -q "no model found: give one with --model DIR or BERTBENCH_MODEL"; do
        [ "$(date +%s)" -lt "$end" ] || { tmux -L "$sock" capture-pane -p; fail "the workbench does not say how to give a model"; }
        sleep 0.1
    done
    tmux -L "$sock" capture-pane -p | grep -q "F1 help" || fail "the workbench without a model did not open"
    tmux -L "$sock" kill-server 2>/dev/null
    echo "ok   the workbench opens without a model and its message line says how to give one"
fi

# The library: every header on its own, then a program built with pkg-config alone.
pcdir=$prefix/${pc#"$tmp/prefix/"}
pcdir=${pcdir%/*}
pkg() { PKG_CONFIG_PATH=$pcdir pkg-config --define-variable=prefix="$prefix" "$@"; }
cflags=$(pkg --cflags bertengine) && libs=$(pkg --libs bertengine) || fail "pkg-config bertengine"
case " $cflags " in *" -I$prefix/include "*) ;; *) fail "Cflags do not name the installed headers: $cflags" ;; esac
for h in "$prefix"/include/bertbench/*.h; do
    printf '#include <bertbench/%s>\n' "${h##*/}" > "$tmp/work/h.c"
    # shellcheck disable=SC2086
    $CC -std=c11 -Wall -Wextra -Werror -fsyntax-only $cflags "$tmp/work/h.c" 2> "$tmp/err" ||
        fail "installed header ${h##*/} does not compile on its own: $(cat "$tmp/err")"
done
echo "ok   $(ls "$prefix"/include/bertbench | wc -l) installed headers compile on their own"
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror $cflags "$tmp/work/use_engine.c" -o "$tmp/work/use_engine" $libs 2> "$tmp/err" ||
    fail "use_engine.c against the installed library ($cflags $libs): $(cat "$tmp/err")"
cd "$tmp/work" && ./use_engine "$prefix/$model_rel" "$tmp/work" || fail "use_engine"
exit 0
