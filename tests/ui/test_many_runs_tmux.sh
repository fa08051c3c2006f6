#!/usr/bin/env bash
# A session listing 20000 runs opens without reading them (issue 14: 100k runs froze the workbench
# for 25 s at start). The runs' run.json are torn ("{") except the newest 20 and run-77: reading any
# of the others at open would name it in the message line, so the checks below fail on an eager
# loader without measuring time. The workbench shows the session's message, answers a command, the
# runs table shows the newest runs (the current one in view), and `resume run-77` reads that one run.
# Usage: test_many_runs_tmux.sh BERTBENCH. Exit 77 (skip) without tmux.
sock=bbmany$$
. "$(dirname "$0")/train_lib.sh"

# on tmpfs when there is one: 40k files on this disk take minutes of I/O wait on a loaded machine
shm=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d -p "$tmp")
cleanup() { T kill-server 2>/dev/null; rm -rf "$tmp" "$shm"; }
N=20000
d=$shm/many.bbs
mkdir -p "$d/runs"
(cd "$d/runs" && eval "mkdir run-{1..$N}") # one process, not one per run
ok='{"schema_version":1,"status":"finished","started":"2026-01-01T00:00:00Z","ended":"2026-01-01T00:01:00Z","pid":1,"config":{"task":"mlm","data":"corpus-%d.txt"}}\n'
for ((i = 1; i <= N; i++)); do
    if ((i > N - 20)); then
        printf "$ok" "$i" >"$d/runs/run-$i/run.json"
        printf '{"step":%d,"loss":2.5}\n' "$i" >"$d/runs/run-$i/metrics.jsonl"
    else
        printf '{' >"$d/runs/run-$i/run.json"
    fi
done
printf '{"schema_version":1,"status":"stopped","started":"2026-01-01T00:00:00Z","ended":"2026-01-01T00:01:00Z","pid":1,"checkpoint_dir":"%s","config":{"task":"mlm"}}\n' \
    "$d/runs/run-77" >"$d/runs/run-77/run.json"
{
    printf '{"schema_version":1,"created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","model":null,'
    printf '"tokenizer":null,"history":[],"pinned":[],"settings":{},"layout":{"train":{"table":true}},"runs":['
    for ((i = 1; i <= N; i++)); do printf '%s"run-%d"' "$([ $i = 1 ] || echo ,)" "$i"; done
    printf ']}\n'
} >"$d/session.json"

start --session "$d"
check "opened: the session's message, no run read" "session .*many\.bbs: $N runs"
type_line "pin hello"
check "answers a command" "1 pinned texts"
type_line "runs"
check "runs table: the newest run, its task, data and step" "run-$N +finished +mlm +- +corpus-$N +$N "
! screen | grep -qE "(^|[^-0-9a-z])run-1 "
expect "the oldest runs are not in view" $?
type_line "messages"
check "the messages log" "1 pinned texts"
! screen | grep -q "run\.json"
expect "no torn run.json was read" $?
type_line "resume run-77"
check "resume reads the run it names" "resume: run run-77 saved no checkpoint"
type_line "resume run-5"
check "a torn run named by resume is reported" "runs/run-5/run\.json.*(not valid JSON|ends early)"
quit

echo "$checks checks, $fails failed"
[ "$fails" = 0 ]
