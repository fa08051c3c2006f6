#!/bin/sh
# The rooms (issue #15), checked from the sources:
#   engine/ <- sessions/, viz/ <- cli/, workbench/ <- bench/ <- app/
# - engine/, viz/, sessions/ and cli/ never include curses or readline;
# - a room never includes a header of a room above it (engine: nothing outside engine/; viz and sessions:
#   not cli/, workbench/, bench/ or app/; cli: not workbench/, bench/ or app/; workbench: not cli/, bench/
#   or app/; bench: not cli/ or app/);
# - no `#include "../..."` anywhere: meson include directories only;
# - BLAS is called only in engine/ and bench/.
# Before checking the tree it checks itself on a small tree with one planted fault per rule.
src=${1:?source dir}

headers() { # the header names a room defines
    for d in "$@"; do [ -d "$d" ] && find "$d" -name '*.h' -exec basename {} \; ; done
}

# includes_any ROOT_DIRS -- HEADER_NAMES: files in ROOT_DIRS that include one of HEADER_NAMES
includes_any() {
    dirs=$1 names=$2
    [ -z "$names" ] && return 0
    pat=$(printf '%s\n' $names | sed 's/[.]/\\./g' | paste -sd'|')
    for d in $dirs; do
        [ -d "$d" ] && grep -rlE "#include *\"($pat)\"" "$d" --include='*.c' --include='*.h'
    done
    return 0
}

check() {
    root=$1 fail=0
    for room in engine viz sessions cli; do
        bad=$(grep -rlE '#include *[<"](n?curses(w)?\.h|ncursesw/|readline/)' "$root/$room" 2>/dev/null)
        [ -n "$bad" ] && { echo "FAIL: $room/ includes a terminal header: $bad"; fail=1; }
    done
    above_engine=$(headers "$root/viz" "$root/sessions" "$root/cli" "$root/workbench" "$root/bench" "$root/app")
    above_libs=$(headers "$root/cli" "$root/workbench" "$root/bench" "$root/app")
    above_cli=$(headers "$root/workbench" "$root/bench" "$root/app")
    beside_wb=$(headers "$root/cli" "$root/bench" "$root/app")
    above_bench=$(headers "$root/cli" "$root/app")
    for spec in "engine:$above_engine" "viz:$above_libs" "sessions:$above_libs" "cli:$above_cli" \
                "workbench:$beside_wb" "bench:$above_bench"; do
        room=${spec%%:*} names=${spec#*:}
        bad=$(includes_any "$root/$room" "$names")
        [ -n "$bad" ] && { echo "FAIL: $room/ includes a header of a room above it: $bad"; fail=1; }
    done
    bad=$(grep -rlE '#include *"\.\./' "$root" --include='*.c' --include='*.h' 2>/dev/null | grep -vE "^$root/build")
    [ -n "$bad" ] && { echo "FAIL: relative includes (use meson include directories): $bad"; fail=1; }
    bad=$(grep -rlE '#include *<cblas\.h>|cblas_[a-z]+ *\(|openblas_set_num_threads' "$root" --include='*.c' --include='*.h' 2>/dev/null |
          grep -vE "^$root/(engine|bench|build[^/]*|tests|fuzz)/")
    [ -n "$bad" ] && { echo "FAIL: BLAS outside engine/ and bench/: $bad"; fail=1; }
    return $fail
}

# Self-check: every rule must catch its planted fault.
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
plant() { # plant DIR/FILE LINE: a fresh tree with one fault; check must fail
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t/engine" "$tmp/t/viz" "$tmp/t/sessions" "$tmp/t/cli" "$tmp/t/workbench" "$tmp/t/bench" "$tmp/t/app"
    echo '#include "bert.h"' > "$tmp/t/engine/bert.h"
    echo '#include "cli.h"' > "$tmp/t/app/main.c"
    touch "$tmp/t/cli/cli.h" "$tmp/t/workbench/ui_app.h" "$tmp/t/bench/bench.h" "$tmp/t/viz/viz.h"
    [ -n "$1" ] && printf '%s\n' "$2" >> "$tmp/t/$1"
    check "$tmp/t" >/dev/null
}
plant "" "" || { echo "FAIL: the clean planted tree does not pass"; exit 1; }
for fault in "engine/x.c|#include <curses.h>" "cli/x.c|#include <readline/readline.h>" \
             "engine/x.c|#include \"viz.h\"" "viz/x.c|#include \"cli.h\"" "sessions/x.c|#include \"ui_app.h\"" \
             "cli/x.c|#include \"ui_app.h\"" "cli/x.c|#include \"bench.h\"" "workbench/x.c|#include \"cli.h\"" \
             "bench/x.c|#include \"cli.h\"" "app/x.c|#include \"../cli/cli.h\"" "workbench/x.c|#include <cblas.h>" \
             "cli/x.c|    cblas_sgemm (0);"; do
    if plant "${fault%%|*}" "${fault#*|}"; then
        echo "FAIL: the check missed a planted fault: ${fault%%|*}: ${fault#*|}"
        exit 1
    fi
done

check "$src" || exit 1
echo "layering ok"
