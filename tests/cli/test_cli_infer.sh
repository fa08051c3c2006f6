#!/bin/sh
# The inference subcommands on a fixture model: JSON on stdout, exit 1 with one line naming the file
# on bad input, exit 2 on usage errors, never a signal.
bin=${1:?bertbench binary}
fx=${BERTBENCH_FIXTURES:-$2}
if [ ! -d "$fx/bert_tiny_a" ]; then
    [ "$CI" = true ] && { echo "FAIL: fixtures missing at $fx"; exit 1; }
    echo "SKIP: fixtures not found at $fx"; exit 77
fi
m="--model $fx/bert_tiny_a --vocab $fx/vocab/bert-base-uncased-vocab.txt"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME EXPECTED_RC CMD... ; stdout in $tmp/out, stderr in $tmp/err
    name=$1; want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, wanted $want; stderr: $(cat "$tmp/err")"; fail=1; return 1; fi
    return 0
}
json() { # json NAME PYTHON-EXPR over d (the parsed stdout; one object per line -> list)
    python3 -c "import json,sys; d=[json.loads(l) for l in open('$tmp/out')]; sys.exit(0 if ($2) else 1)" \
        || { echo "FAIL $1: $(head -c 300 "$tmp/out")"; fail=1; }
}
check fill-mask 0 "$bin" fill-mask $m --top-k 3 "the [MASK] sat on the [MASK]." "a [MASK]." &&
    json fill-mask "len(d)==2 and len(d[0]['masks'])==2 and len(d[0]['masks'][0]['predictions'])==3 and d[0]['masks'][0]['position']==2 and abs(sum(p['score'] for p in d[1]['masks'][0]['predictions']))<=1"
check targets 0 "$bin" fill-mask $m --targets cat,dog,cat "the [MASK] sat." &&
    json targets "sorted(p['token_str'] for p in d[0]['masks'][0]['predictions'])==['cat','dog']"
check rank 0 "$bin" fill-mask $m --rank cat "the [MASK] sat." &&
    json rank "d[0]['masks'][0]['rank']['rank']>=1"
check attention 0 "$bin" attention $m --pair "second one" "first" &&
    json attention "d[0]['layers']==2 and d[0]['heads']==4 and len(d[0]['attentions'])==2 and len(d[0]['attentions'][0])==4 and all(abs(sum(r)-1)<1e-5 for r in d[0]['attentions'][1][3])"
check attention-sel 0 "$bin" attention $m --layer 1 --head 2 "first" &&
    json attention-sel "len(d[0]['attentions'])==1 and len(d[0]['attentions'][0])==1 and d[0]['tokens'][0]=='[CLS]'"
check embed 0 "$bin" embed $m --pooling cls "a cat" "a dog" &&
    json embed "len(d[0]['embeddings'])==2 and len(d[0]['embeddings'][0]['vector'])==32 and abs(d[0]['cosine'][0][0]-1)<1e-5"
check perplexity 0 "$bin" perplexity $m "the cat sat" &&
    json perplexity "len(d[0]['tokens'])==3 and d[0]['pseudo_perplexity']>1"
check no-mask 1 "$bin" fill-mask $m "no mask" && grep -q "no \[MASK\]" "$tmp/err" || { echo "FAIL no-mask message: $(cat "$tmp/err")"; fail=1; }
check bad-model 1 "$bin" fill-mask --model "$tmp/none" "a [MASK]" && grep -q "$tmp/none" "$tmp/err" || { echo "FAIL bad-model message"; fail=1; }
printf '{"hidden_size": 7, "num_attention_heads": 2}' > "$tmp/config.json"
check bad-config 1 "$bin" fill-mask --model "$tmp" "a [MASK]" && grep -q "num_attention_heads" "$tmp/err" || { echo "FAIL bad-config message: $(cat "$tmp/err")"; fail=1; }
check usage 2 "$bin" fill-mask $m --top-k zero "a [MASK]"
check usage-layer 2 "$bin" attention $m --layer 9 "a"
check unknown 2 "$bin" attention $m --bogus "a"
check help 0 "$bin" fill-mask --help && grep -q -- "--top-k" "$tmp/out" || { echo "FAIL help"; fail=1; }
[ $fail = 0 ] && echo "cli inference ok"
exit $fail
