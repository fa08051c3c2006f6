#!/bin/sh
# engine/ must not include curses or readline; viz/ and sessions/ must not include curses.
src=${1:?source dir}
bad=$(grep -rlE '#include *[<"](n?curses|ncursesw/|readline/)' "$src/engine" "$src/viz" "$src/sessions" 2>/dev/null)
if [ -n "$bad" ]; then
    echo "FAIL: terminal headers included below ui/: $bad"
    exit 1
fi
echo "layering ok"
