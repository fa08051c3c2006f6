#!/usr/bin/env bash
# scripts/bench-vs-torch and scripts/bench-table on canned measurements: a fake bertbench and a fake
# Python (standing in for bench/torch_peer.py) print fixed JSON lines and log each call, so the test
# checks what the scripts compute, never a timing: the AB/BA order of the rounds, the paired speedups
# and their verdicts against issue #19's targets, the fraction-of-sgemm lines, the tables written
# between the markers (and a file without markers left byte-identical).
# Usage: test_bench_scripts.sh SOURCE_ROOT
root=${1:?source root}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { grep -qF -- "$2" "$1" || { echo "FAIL: $1 lacks: $2"; fail=1; }; }

# One script plays both sides: `fake bench forward|train ...` is bertbench, `fake PEER forward|train ...`
# the PyTorch peer, `fake -c ...` the torch version check. Times: bertbench forward 0.10 s (ratio 0.80 at
# T=128, 0.50 at T=32), PyTorch forward 0.15 s; training L4-H256 0.50 / 0.90 s, bert-base 4.0 / 7.2 s.
cat >"$tmp/fake" <<'FAKE'
#!/usr/bin/env bash
log=${FAKE_LOG:?}
if [ "$1" = -c ]; then echo 1.13.1; exit 0; fi
side=bertbench
[ "$1" = bench ] || side=torch
shift
what=$1
args=" $* "
echo "$side $what $args" >>"$log"
seqs=$(sed -n 's/.* --seq \([0-9,]*\) .*/\1/p' <<<"$args" | tr , ' ')
shape=L4-H256; [[ $args == *" --shape base "* ]] && shape=bert-base
if [ "$what" = forward ]; then
    for seq in ${seqs:-128}; do
        t=0.10; r=0.80
        [ "$seq" = 32 ] && r=0.50
        [ $side = torch ] && t=0.15
        echo "{\"layers\":12,\"hidden\":768,\"seq\":$seq,\"batch\":1,\"median_s\":$t,\"gflops\":100,\"tokens_per_s\":1280,\"sgemm_gflops\":150,\"ratio\":$r}"
    done
else
    case $side/$shape in
    bertbench/L4-H256) t=0.50 L=4 C=256 B=16 ;; torch/L4-H256) t=0.90 L=4 C=256 B=16 ;;
    bertbench/bert-base) t=4.0 L=12 C=768 B=8 ;; torch/bert-base) t=7.2 L=12 C=768 B=8 ;;
    esac
    echo "{\"shape\":\"$shape\",\"layers\":$L,\"hidden\":$C,\"batch\":$B,\"seq\":128,\"step_s\":$t,\"tokens_per_s\":1000,\"gflops\":90,\"sgemm_gflops\":150,\"ratio\":0.6}"
fi
FAKE
chmod +x "$tmp/fake"
export FAKE_LOG=$tmp/calls.log
python3 "$root/scripts/bench-vs-torch" --quick --rounds 3 --bertbench "$tmp/fake" --python "$tmp/fake" \
    --out "$tmp/run.jsonl" >"$tmp/report.txt" 2>"$tmp/err.txt" || { echo "FAIL: bench-vs-torch exit $?"; cat "$tmp/err.txt"; fail=1; }

# Rounds alternate who goes first: round 0 bertbench then PyTorch, round 1 the other way round.
# Round 0 of the forward group: bertbench at T=32 and T=128, then PyTorch (both lengths in one
# process); round 1 the other way round.
head -3 "$tmp/calls.log" | cut -d' ' -f1-2 | tr '\n' ' ' >"$tmp/order.txt"
check "$tmp/order.txt" "bertbench forward bertbench forward torch forward"
sed -n 3p "$tmp/calls.log" | grep -q -- "--seq 32,128 " || { echo "FAIL: PyTorch's forward not asked for 32,128"; fail=1; }
sed -n 4,6p "$tmp/calls.log" | cut -d' ' -f1 | tr '\n' ' ' >"$tmp/order1.txt"
check "$tmp/order1.txt" "torch bertbench bertbench"
[ "$(wc -l <"$tmp/calls.log")" -eq 21 ] || { echo "FAIL: expected 21 runs (3 rounds x (3 forward + 4 training))"; fail=1; }
grep -q -- "--blas-threads" "$tmp/calls.log" || { echo "FAIL: the peer is not given --blas-threads"; fail=1; }

check "$tmp/report.txt" "bertbench vs PyTorch 1.13.1 eager"
check "$tmp/report.txt" "load average at start"
grep -E "forward: forward bert-base B1 T128 .* 1\.50x/1\.50x +>=1\.25x +MET$" "$tmp/report.txt" >/dev/null ||
    { echo "FAIL: forward T128 speedup 1.50x MET"; fail=1; }
grep -E "train: train L4-H256 B16 T128 .* 1\.80x/1\.80x +>=2\.00x +NOT MET$" "$tmp/report.txt" >/dev/null ||
    { echo "FAIL: L4-H256 training 1.80x NOT MET"; fail=1; }
grep -E "train: train bert-base B8 T128 .* 1\.80x/1\.80x +>=1\.60x +MET$" "$tmp/report.txt" >/dev/null ||
    { echo "FAIL: bert-base training 1.80x MET"; fail=1; }
check "$tmp/report.txt" "forward T=128  fraction of the run's sgemm: median 0.800 (max 0.800)   target >= 0.75  MET"
check "$tmp/report.txt" "forward T=32   fraction of the run's sgemm: median 0.500 (max 0.500)   target >= 0.60  NOT MET"
[ "$(grep -c '"side":"torch"' "$tmp/run.jsonl")" -eq 12 ] || { echo "FAIL: 12 PyTorch lines kept"; fail=1; }

# The tables, between the markers, the text around them kept.
printf '# Performance\n\nbefore\n<!-- bench-table:begin -->\nold\n<!-- bench-table:end -->\nafter\n' >"$tmp/perf.md"
python3 "$root/scripts/bench-table" "$tmp/run.jsonl" --doc "$tmp/perf.md" 2>/dev/null || { echo "FAIL: bench-table exit"; fail=1; }
check "$tmp/perf.md" "| bert-base | 1 | 32 | 100.0 | 1,280 | 100.0 | 0.50 | 150.0 | 1.50x |"
check "$tmp/perf.md" "| bert-base | 1 | 128 | 100.0 | 1,280 | 100.0 | 0.80 | 150.0 | 1.50x |"
check "$tmp/perf.md" "| L4-H256 | 16 | 128 | 0.500 | 1,000 | 90.0 | 0.60 | 0.900 | 1,000 | 1.80x |"
check "$tmp/perf.md" "| bert-base | 8 | 128 | 4.000 | 1,000 | 90.0 | 0.60 | 7.200 | 1,000 | 1.80x |"
check "$tmp/perf.md" "medians over 3 rounds"
grep -q '^old$' "$tmp/perf.md" && { echo "FAIL: the old table is still there"; fail=1; }
head -3 "$tmp/perf.md" | tail -1 | grep -qx before || { echo "FAIL: text before the markers lost"; fail=1; }
tail -1 "$tmp/perf.md" | grep -qx after || { echo "FAIL: text after the markers lost"; fail=1; }

# Without markers: the file stays byte-identical and the exit status says so.
printf '# no markers\n' >"$tmp/plain.md"
cp "$tmp/plain.md" "$tmp/plain.orig"
python3 "$root/scripts/bench-table" "$tmp/run.jsonl" --doc "$tmp/plain.md" >/dev/null 2>"$tmp/err2.txt" &&
    { echo "FAIL: bench-table succeeded on a file without markers"; fail=1; }
check "$tmp/err2.txt" "no <!-- bench-table:begin --> ... <!-- bench-table:end --> markers"
cmp -s "$tmp/plain.md" "$tmp/plain.orig" || { echo "FAIL: a file without markers was changed"; fail=1; }

[ $fail -eq 0 ] && echo "bench scripts: interleaving, speedups, verdicts and tables as expected"
exit $fail
