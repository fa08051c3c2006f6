#!/usr/bin/env bash
# The CLI under hard conditions: a text longer than the model's positions (truncated and reported),
# an eval label missing from the label map and a dataset line that is not UTF-8 (FILE:LINE, or skipped
# with --skip-invalid-utf8, which warns per file with the count and first line and puts the counts in
# the JSON and first in metrics.jsonl), a checkpoint save under `ulimit -f` (an error message and exit
# 1, not death by SIGXFSZ; the earlier checkpoint is untouched), JSON output to /dev/full (exit 1, not
# 0), and an unreadable model directory (skipped as root).
# Usage: test_cli_hardening.sh BERTBENCH FIXTURES_DIR. Exit 77 (skip) without fixtures.
set -u
bb=${1:?bertbench path}
fx=${BERTBENCH_FIXTURES:-${2:?fixtures dir}}
if [ ! -d "$fx/bert_tiny_a" ]; then
    [ "${CI:-}" = true ] && { echo "FAIL: fixtures missing at $fx (required under CI=true)"; exit 1; }
    echo "SKIP: fixtures not found at $fx"
    exit 77
fi
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp"; rm -rf "$tmp"' EXIT
fails=0
checks=0
expect() { # expect NAME COND-EXIT-STATUS DETAIL
    checks=$((checks + 1))
    [ "$2" -eq 0 ] || { fails=$((fails + 1)); echo "FAIL: $1: $3"; }
}
model=$fx/bert_tiny_a # 64 positions
mkdir "$tmp/tok" && cp "$fx/vocab/bert-base-uncased-vocab.txt" "$tmp/tok/vocab.txt"
train=(train --model "$model" --tokenizer "$tmp/tok" --max-steps 2 --block-size 32 --batch-size 4)

# More tokens than positions: truncated, and the JSON says by how much (204 tokens - 64 = 140).
long="The [MASK] $(printf 'word %.0s' $(seq 200))"
out=$("$bb" fill-mask --model "$model" --vocab "$tmp/tok/vocab.txt" "$long" 2>&1)
grep -q '"truncated_tokens":140' <<<"$out"
expect "fill-mask truncation reported" $? "$(head -c 300 <<<"$out")"

# An eval label the training data never had.
printf '{"text":"the cat","label":"pos"}\n{"text":"a dog","label":"neg"}\n' >"$tmp/tr.jsonl"
printf '{"text":"the cat","label":"pos"}\n{"text":"a dog","label":"maybe"}\n' >"$tmp/ev.jsonl"
err=$("$bb" "${train[@]}" --task seqcls --data "$tmp/tr.jsonl" --eval "$tmp/ev.jsonl" --out "$tmp/o1" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && grep -q "ev.jsonl:2: label 'maybe' is not in the label map" <<<"$err"
expect "unseen eval label" $? "rc $rc: $err"

# Lines 3 and 8 are not UTF-8: fatal with FILE:LINE by default, skipped on request, and then said:
# a warning per file that lost lines, the counts in the JSON and first in metrics.jsonl.
for i in $(seq 10); do printf 'the cat sat on the mat\n'; done >"$tmp/bad.txt"
sed -i -e '3s/.*/caf\xe9 latin-1/' -e '8s/.*/na\xefve \xc0\xaf overlong/' "$tmp/bad.txt"
err=$("$bb" "${train[@]}" --task mlm --data "$tmp/bad.txt" --out "$tmp/o2" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && grep -q "bad.txt:3: not valid UTF-8" <<<"$err"
expect "non-UTF-8 line is fatal" $? "rc $rc: $err"
for i in $(seq 6); do printf 'a dog ran in the park\n'; done >"$tmp/ev_bad.txt"
sed -i '2s/.*/\xff\xfe binary/' "$tmp/ev_bad.txt"
out=$("$bb" "${train[@]}" --task mlm --data "$tmp/bad.txt" --eval "$tmp/ev_bad.txt" --skip-invalid-utf8 \
    --out "$tmp/o3" 2>"$tmp/o3.err")
rc=$?
err=$(cat "$tmp/o3.err")
expect "--skip-invalid-utf8 trains" $rc "rc $rc: $err"
grep -qxF "warning: $tmp/bad.txt: skipped 2 lines that are not UTF-8 (first at line 3)" <<<"$err"
expect "skip warning: training file, count, first line" $? "$err"
grep -qxF "warning: $tmp/ev_bad.txt: skipped 1 line that is not UTF-8 (first at line 2)" <<<"$err"
expect "skip warning: eval file" $? "$err"
grep -qF '"skipped_invalid_utf8":{"train":2,"eval":1}' <<<"$out"
expect "skip counts in the JSON" $? "$out"
first=$(head -1 "$tmp/o3/metrics.jsonl")
[ "$first" = '{"skipped_invalid_utf8_train":2,"first_skipped_line_train":3,"skipped_invalid_utf8_eval":1,"first_skipped_line_eval":2}' ]
expect "skip counts first in metrics.jsonl" $? "$first"
# A clean eval file: no warning for it, and 0 in the JSON; without --eval there is no "eval" count.
grep -v binary "$tmp/ev_bad.txt" >"$tmp/ev_ok.txt"
out=$("$bb" "${train[@]}" --task mlm --data "$tmp/bad.txt" --eval "$tmp/ev_ok.txt" --skip-invalid-utf8 \
    --out "$tmp/o4" 2>"$tmp/o4.err")
rc=$?
err=$(cat "$tmp/o4.err")
[ $rc -eq 0 ] && [ "$(grep -c '^warning:' <<<"$err")" -eq 1 ] && grep -qF '"skipped_invalid_utf8":{"train":2,"eval":0}' <<<"$out"
expect "clean eval file: one warning, eval 0" $? "rc $rc: $err $out"
out=$("$bb" "${train[@]}" --task mlm --data "$tmp/bad.txt" --skip-invalid-utf8 --out "$tmp/o5" 2>/dev/null)
grep -qF '"skipped_invalid_utf8":{"train":2}}' <<<"$out"
expect "no eval file: train count only" $? "$out"

# Disk full while saving: first a good run, then the same --out under a 1 MB file-size limit (the run logs,
# metrics.jsonl and the event files, grow; the checkpoint must not change).
head -5 "$tmp/bad.txt" | grep -v caf >"$tmp/good.txt"
"$bb" "${train[@]}" --task mlm --data "$tmp/good.txt" --out "$tmp/ck" >/dev/null 2>&1
expect "first checkpoint" $? "training into $tmp/ck failed"
cp -r "$tmp/ck" "$tmp/ck.before"
err=$(ulimit -f 1024; "$bb" "${train[@]}" --task mlm --data "$tmp/good.txt" --out "$tmp/ck" 2>&1 >/dev/null)
rc=$?
[ $rc -eq 1 ] && grep -q "File too large" <<<"$err"
expect "ulimit -f: an error, not SIGXFSZ" $? "rc $rc: $err"
diff -r -x metrics.jsonl -x "events.out.tfevents.*" "$tmp/ck" "$tmp/ck.before" >/dev/null
expect "ulimit -f: the earlier checkpoint is intact" $? "$(diff -rq -x metrics.jsonl -x "events.out.tfevents.*" "$tmp/ck" "$tmp/ck.before")"

# stdout on a full disk: exit 1 with a message, not 0 with the JSON lost.
if [ -w /dev/full ]; then
    err=$("$bb" tokenize --vocab "$tmp/tok/vocab.txt" hello 2>&1 >/dev/full)
    rc=$?
    [ $rc -eq 1 ] && grep -q "writing the output: No space left on device" <<<"$err"
    expect "stdout on a full disk" $? "rc $rc: $err"
fi

# An unreadable model directory (root reads through mode 000: then there is nothing to check).
cp -r "$model" "$tmp/locked" && chmod 000 "$tmp/locked"
if [ -r "$tmp/locked/config.json" ]; then
    echo "SKIP part: chmod 000 does not deny this user (uid $(id -u))"
else
    err=$("$bb" fill-mask --model "$tmp/locked" "a [MASK]" 2>&1 >/dev/null)
    rc=$?
    [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -q "$tmp/locked" <<<"$err"
    expect "unreadable model dir" $? "rc $rc: $err"
fi

echo "$checks checks, $fails failed"
[ $fails -eq 0 ]
