#!/usr/bin/env bash
# Every subcommand that `bertbench --help` lists, and every benchmark that `bertbench bench --help`
# lists, answers --help with its usage on stdout, nothing on stderr and exit status 0, at once (a
# benchmark must not run: no JSON line). Usage: test_help_all.sh BERTBENCH
set -u
bb=${1:?bertbench path}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0
one() { # one NAME ARGS...: NAME for messages
    local name=$1 rc
    shift
    checks=$((checks + 1))
    timeout 20 "$bb" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" != 0 ]; then
        echo "FAIL: $name: exit status $rc"; sed 's/^/    | /' "$tmp/err"; fails=$((fails + 1)); return
    fi
    if [ -s "$tmp/err" ]; then
        echo "FAIL: $name: wrote to stderr"; sed 's/^/    | /' "$tmp/err"; fails=$((fails + 1)); return
    fi
    if ! head -1 "$tmp/out" | grep -qi '^usage: bertbench'; then
        echo "FAIL: $name: stdout does not start with its usage"; head -3 "$tmp/out" | sed 's/^/    | /'
        fails=$((fails + 1)); return
    fi
    if grep -qE '^\{.*":[[:space:]]*[-0-9]' "$tmp/out"; then
        echo "FAIL: $name: printed a JSON line (it ran instead of describing itself)"; fails=$((fails + 1))
    fi
}
one "bertbench --help" --help
cmds=$("$bb" --help | awk '/^Subcommands|print JSON/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ && n++ {on = 0}')
[ -n "$cmds" ] || { echo "FAIL: no subcommands listed by --help"; exit 1; }
for c in $cmds; do one "$c --help" "$c" --help; done
benches=$("$bb" bench --help | awk '/^  [a-z]/ {print $1}')
[ -n "$benches" ] || { echo "FAIL: no benchmarks listed by bench --help"; exit 1; }
for b in $benches; do one "bench $b --help" bench "$b" --help; done
echo "$checks checks ($(echo $cmds | wc -w) subcommands, $(echo $benches | wc -w) benchmarks), $fails failed"
[ "$fails" = 0 ]
