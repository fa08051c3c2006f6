#!/bin/sh
# pytorch_model.bin and Hub ids through the CLI: the fixtures' .bin models give exactly the outputs of
# their safetensors twins; the hostile pickle is refused by name and creates nothing; a Hugging Face
# cache built here (blobs, symlinked snapshots, refs/main, a second revision) resolves ids through
# HF_HUB_CACHE, HF_HOME and HOME, by revision and by commit; missing ids fail with the download hint;
# `models` lists what is there; `convert` writes safetensors that load to the same outputs.
bin=${1:?bertbench binary}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
fx=${BERTBENCH_FIXTURES:-$2}
if [ ! -d "$fx/torch_bin" ]; then
    [ "$CI" = true ] && { echo "FAIL: fixtures missing at $fx"; exit 1; }
    echo "SKIP: fixtures not found at $fx"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
vocab=$fx/vocab/bert-base-uncased-vocab.txt
fail=0
check() { # check NAME EXPECTED_RC CMD... ; stdout in $tmp/out, stderr in $tmp/err
    name=$1; want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, wanted $want; stderr: $(cat "$tmp/err")"; fail=1; return 1; fi
    return 0
}
json() { # json NAME PYTHON-EXPR over d (stdout parsed as one JSON object)
    python3 -c "import json,sys; d=json.load(open('$tmp/out')); sys.exit(0 if ($2) else 1)" \
        || { echo "FAIL $1: $(head -c 400 "$tmp/out")"; fail=1; }
}
err_has() { grep -qF -- "$2" "$tmp/err" || { echo "FAIL $1: stderr lacks '$2': $(cat "$tmp/err")"; fail=1; }; }
same_out() { cmp -s "$tmp/$2" "$tmp/$3" || { echo "FAIL $1: $2 and $3 differ"; fail=1; }; }
dims() { # dims NAME N: the embedding has N dimensions
    json "$1" "len(d['embeddings'][0]['vector'])==$2"
}
embed() { "$bin" embed --pooling mean "$@" "the cat sat on the mat."; }

# The .bin fixtures against their safetensors twins, end to end.
check embed-st-a 0 embed --model "$fx/bert_tiny_a" --vocab "$vocab" && cp "$tmp/out" "$tmp/st_a"
check embed-bin-a 0 embed --model "$fx/torch_bin/bert_tiny_a_bin" --vocab "$vocab" && cp "$tmp/out" "$tmp/bin_a"
same_out "zip .bin gives the safetensors model's embedding" st_a bin_a
check embed-bin-b 0 embed --model "$fx/torch_bin/bert_tiny_b_bin_sharded" --vocab "$vocab" && cp "$tmp/out" "$tmp/bin_b" &&
    dims embed-bin-b 48

# Hostile: refused by name, exit 1, nothing run, nothing written.
marker=/tmp/bertbench-pwned
[ -e "$marker" ] && rm -f "$marker"
check hostile 1 "$bin" fill-mask --model "$fx/torch_bin/hostile" --vocab "$vocab" "a [MASK]." &&
    err_has hostile "global posix.system is not allowed" && err_has hostile "hostile/pytorch_model.bin"
check hostile-convert 1 "$bin" convert --to safetensors "$fx/torch_bin/hostile" "$tmp/hostile_out" &&
    err_has hostile-convert "posix.system"
[ -e "$marker" ] && { echo "FAIL hostile: $marker was created"; fail=1; }
[ -e "$tmp/hostile_out" ] && { echo "FAIL hostile-convert: $tmp/hostile_out was created"; fail=1; }

# convert: the safetensors written from each .bin load to the same outputs.
check convert-a 0 "$bin" convert --to safetensors "$fx/torch_bin/bert_tiny_a_bin" "$tmp/conv_a" &&
    json convert-a "d['tensors']==46 and sorted(d['dropped_shared'])==['cls.predictions.decoder.bias','cls.predictions.decoder.weight'] and d['copied']==['config.json']"
check embed-conv-a 0 embed --model "$tmp/conv_a" --vocab "$vocab" && cp "$tmp/out" "$tmp/conv_a.out"
same_out "converted zip .bin" st_a conv_a.out
[ -e "$tmp/conv_a/pytorch_model.bin" ] && { echo "FAIL convert-a: copied the .bin"; fail=1; }

# A Hugging Face cache: content-named blobs, snapshots of symlinks, refs.
blob() { # blob REPO FILE -> prints the blob name after copying FILE in
    h=$(sha256sum "$2" | cut -c1-64); [ -e "$1/blobs/$h" ] || cp "$2" "$1/blobs/$h"; echo "$h"
}
snapshot() { # snapshot REPO COMMIT NAME=FILE...
    repo=$1; commit=$2; shift 2
    mkdir -p "$repo/blobs" "$repo/snapshots/$commit" "$repo/refs"
    for nf in "$@"; do
        ln -s "../../blobs/$(blob "$repo" "${nf#*=}")" "$repo/snapshots/$commit/${nf%%=*}"
    done
}
cache=$tmp/cache
a=$cache/models--fixt--tiny-a
ca=1111111111111111111111111111111111111111
cb=2222222222222222222222222222222222222222
printf '{"do_lower_case": false, "model_max_length": 9}' > "$tmp/tokcfg.json"
snapshot "$a" $ca config.json="$fx/torch_bin/bert_tiny_a_bin/config.json" \
    pytorch_model.bin="$fx/torch_bin/bert_tiny_a_bin/pytorch_model.bin" vocab.txt="$vocab" \
    tokenizer_config.json="$tmp/tokcfg.json"
snapshot "$a" $cb config.json="$fx/torch_bin/bert_tiny_b_bin_sharded/config.json" \
    pytorch_model-00001-of-00002.bin="$fx/torch_bin/bert_tiny_b_bin_sharded/pytorch_model-00001-of-00002.bin" \
    pytorch_model-00002-of-00002.bin="$fx/torch_bin/bert_tiny_b_bin_sharded/pytorch_model-00002-of-00002.bin" \
    pytorch_model.bin.index.json="$fx/torch_bin/bert_tiny_b_bin_sharded/pytorch_model.bin.index.json" \
    vocab.txt="$vocab"
printf '%s' $ca > "$a/refs/main"
printf '%s\n' $cb > "$a/refs/v2"
s=$cache/models--solo
snapshot "$s" 3333333333333333333333333333333333333333 config.json="$fx/bert_tiny_b/config.json" \
    model.safetensors="$fx/bert_tiny_b/model.safetensors" vocab.txt="$vocab"
printf '3333333333333333333333333333333333333333' > "$s/refs/main"
snapshot "$cache/models--fixt--broken" 4444444444444444444444444444444444444444 config.json="$fx/bert_tiny_a/config.json"
printf '4444444444444444444444444444444444444444' > "$cache/models--fixt--broken/refs/main"

hub() { env -u HF_HOME -u XDG_CACHE_HOME HF_HUB_CACHE="$cache" "$@"; }
check hub-main 0 hub "$bin" embed --pooling mean --model fixt/tiny-a "the cat sat on the mat." && cp "$tmp/out" "$tmp/hub_a"
same_out "fixt/tiny-a (refs/main) is bert_tiny_a_bin with its vocab" bin_a hub_a
check hub-rev 0 hub "$bin" embed --pooling mean --model fixt/tiny-a@v2 "the cat sat on the mat." && cp "$tmp/out" "$tmp/hub_b"
same_out "fixt/tiny-a@v2 is the sharded legacy .bin" bin_b hub_b
check hub-commit 0 hub "$bin" embed --model fixt/tiny-a@$cb "x" && dims hub-commit 48
check hub-noorg 0 hub "$bin" embed --model solo "x" && dims hub-noorg 48
check hf-home 0 env -u HF_HUB_CACHE -u XDG_CACHE_HOME HF_HOME="$tmp/home" sh -c \
    "mkdir -p '$tmp/home' && ln -sfn '$cache' '$tmp/home/hub' && '$bin' embed --model fixt/tiny-a x" && dims hf-home 32
mkdir -p "$tmp/user/.cache/huggingface" && ln -s "$cache" "$tmp/user/.cache/huggingface/hub"
check home 0 env -u HF_HUB_CACHE -u HF_HOME -u XDG_CACHE_HOME HOME="$tmp/user" "$bin" embed --model fixt/tiny-a@v2 x &&
    dims home 48
# tokenizer_config.json is honoured: do_lower_case false and model_max_length 9 in fixt/tiny-a's snapshot.
check tokcfg 0 hub "$bin" tokenize --model fixt/tiny-a "Hello there, General Kenobi and friends" &&
    json tokcfg "d['tokens'][1]=='[UNK]' and len(d['ids'])==9"
check tokcfg-none 0 hub "$bin" tokenize --model solo "Hello there" && json tokcfg-none "d['tokens'][1]=='hello'"
# ... and its special tokens, for a vocab.txt whose specials are not BERT's.
mkdir -p "$tmp/spdir" && printf '<pad>\n<unk>\n<s>\n</s>\n<mask>\nhello\nworld\n' > "$tmp/spdir/vocab.txt"
printf '{"cls_token": "<s>", "sep_token": "</s>", "unk_token": {"content": "<unk>"}, "pad_token": "<pad>", "mask_token": "<mask>"}' \
    > "$tmp/spdir/tokenizer_config.json"
check tokcfg-specials 0 "$bin" tokenize --model "$tmp/spdir" "hello there <mask> world" &&
    json tokcfg-specials "d['tokens']==['<s>','hello','<unk>','<mask>','world','</s>'] and d['ids']==[2,5,1,4,6,3]"
# Missing ids and revisions: exit 1 with where it looked and how to get it.
check hub-missing 1 hub "$bin" embed --model fixt/nope x &&
    err_has hub-missing "fixt/nope is not in the Hugging Face cache (looked in $cache/models--fixt--nope); download it with \`huggingface-cli download fixt/nope\` or give --model DIR"
check hub-bare-missing 1 hub "$bin" embed --model nosuchmodel x &&
    err_has hub-bare-missing "nosuchmodel: no such file or directory, and nosuchmodel is not in the Hugging Face cache (looked in $cache/models--nosuchmodel)"
check hub-norev 1 hub "$bin" embed --model fixt/tiny-a@v9 x && err_has hub-norev "fixt/tiny-a has no revision 'v9'"
check hub-convert 0 hub "$bin" convert --to safetensors fixt/tiny-a@v2 "$tmp/conv_b" &&
    json hub-convert "d['tensors']==62 and d['copied']==['config.json','vocab.txt']"
check embed-conv-b 0 "$bin" embed --pooling mean --model "$tmp/conv_b" "the cat sat on the mat." && cp "$tmp/out" "$tmp/conv_b.out"
same_out "converted sharded F16 .bin (F16 kept)" bin_b conv_b.out
# An existing path wins over an id.
mkdir -p "$tmp/cwd/fixt" && ln -s "$tmp/conv_b" "$tmp/cwd/fixt/tiny-a"
check path-wins 0 sh -c "cd '$tmp/cwd' && HF_HUB_CACHE='$cache' '$bin' embed --model fixt/tiny-a --vocab '$vocab' x" && dims path-wins 48
# models: what the cache holds.
check models 0 hub "$bin" models &&
    json models "[m['id'] for m in d['models']]==['fixt/tiny-a','solo'] and d['cache']=='$cache' and \
d['models'][0]['layers']==2 and d['models'][0]['hidden']==32 and d['models'][0]['formats']==['pytorch'] and \
d['models'][0]['tokenizer']=='WordPiece' and d['models'][0]['commit']=='$ca' and d['models'][0]['architecture']=='BertForPreTraining' and \
d['models'][0]['size_bytes']==$(stat -L -c %s "$fx/torch_bin/bert_tiny_a_bin/pytorch_model.bin") and \
d['models'][1]['formats']==['safetensors'] and d['models'][1]['hidden']==48 and [x['id'] for x in d['skipped']]==['fixt/broken']"
check models-empty 0 env -u HF_HOME HF_HUB_CACHE="$tmp/none" "$bin" models && json models-empty "d['models']==[]"
[ $fail = 0 ] && echo "torch_hub: all checks passed"
exit $fail
