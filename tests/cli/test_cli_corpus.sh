#!/usr/bin/env bash
# Corpora are read as streams of lines with a 16 MB line limit: `tokenize --stats` and `train --data`
# on /dev/zero, on a 20 MB file without a newline and on a file whose line 3 is too long stop with
# FILE:LINE instead of reading gigabytes (under a 1 GB address-space limit that the old whole-file
# reads of /dev/zero would have exhausted); a directory is refused by name. Short lines still work.
# Usage: test_cli_corpus.sh BERTBENCH MODEL_DIR (the bundled model).
set -u
bb=${1:?bertbench path}
model=${2:?model dir}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
checks=0
expect() { # expect NAME COND-EXIT-STATUS DETAIL
    checks=$((checks + 1))
    [ "$2" -eq 0 ] || { fails=$((fails + 1)); echo "FAIL: $1: $3"; }
}
# a runaway read fails instead of swapping (not under ASan, which reserves terabytes of address space)
vlimit=1048576
ldd "$bb" 2>/dev/null | grep -q libasan && vlimit=unlimited
limited() { (ulimit -v $vlimit; timeout 120 "$@"); }

printf 'the cat sat on the mat\n' >"$tmp/ok.txt"
head -c $((20 << 20)) /dev/zero | tr '\0' a >"$tmp/one-line.txt"
{ printf 'short line\nanother\n'; cat "$tmp/one-line.txt"; printf '\nlast\n'; } >"$tmp/line3.txt"
train=(train --task mlm --config "$model/config.json" --tokenizer "$model" --max-steps 1 --block-size 16 --batch-size 2)

for input in /dev/zero "$tmp/one-line.txt" "$tmp/line3.txt"; do
    line=1
    [ "$input" = "$tmp/line3.txt" ] && line=3
    err=$(limited "$bb" tokenize --model "$model" --stats "$input" 2>&1 >/dev/null)
    rc=$?
    [ $rc -eq 1 ] && grep -qF "$input:$line: line longer than 16 MB" <<<"$err"
    expect "tokenize --stats $input" $? "rc $rc: $err"
    err=$(limited "$bb" "${train[@]}" --data "$input" --out "$tmp/run" 2>&1 >/dev/null)
    rc=$?
    [ $rc -eq 1 ] && grep -qF "$input:$line: line longer than 16 MB" <<<"$err"
    expect "train --data $input" $? "rc $rc: $err"
done

err=$("$bb" tokenize --model "$model" --stats "$tmp" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && grep -qF "$tmp: a directory, not a text file" <<<"$err"
expect "tokenize --stats DIR" $? "rc $rc: $err"
err=$("$bb" "${train[@]}" --data "$tmp" --out "$tmp/run" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && grep -qF "$tmp: a directory, not a text file" <<<"$err"
expect "train --data DIR" $? "rc $rc: $err"

out=$("$bb" tokenize --model "$model" --stats "$tmp/ok.txt" 2>&1)
grep -q '"texts":1' <<<"$out"
expect "a short corpus still has stats" $? "$out"
out=$(printf 'the cat sat\r\n' | "$bb" tokenize --model "$model" --stats /dev/stdin 2>&1)
grep -q '"texts":1' <<<"$out"
expect "a pipe is read as a stream" $? "$out"

# a blank line is an empty text, as the workbench's stats pane counts it (tests/ui/test_ui_logic)
printf 'hello\n\nworld\n' >"$tmp/blank.txt"
out=$("$bb" tokenize --model "$model" --stats "$tmp/blank.txt" 2>&1)
grep -q '"texts":3' <<<"$out"
expect "hello, blank, world: 3 texts" $? "$out"

echo "$checks checks, $fails failed"
[ $fails -eq 0 ]
