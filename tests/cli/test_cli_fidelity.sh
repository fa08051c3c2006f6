#!/usr/bin/env bash
# Agreement with Hugging Face and messages that say what is wrong (issue 14), on the bundled model:
# heads a checkpoint lacks are created with HF's init and named; saved configs and tokenizer configs
# describe what was written; fill-mask's sequence as transformers decodes it; config.json read as
# json.loads reads it; a tokenizer that does not belong to the model refused; usage errors that say
# why; and each unclear message of the issue, now naming the file and the problem.
# Usage: test_cli_fidelity.sh BERTBENCH MODEL_DIR
set -u
bin=${1:?bertbench binary}
M=${2:?bundled model directory}
[ -f "$M/config.json" ] || { echo "FAIL: no model at $M"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME EXPECTED_RC CMD... ; stdout in $tmp/out, stderr in $tmp/err
    name=$1; want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, wanted $want; stderr: $(head -c 600 "$tmp/err")"; fail=1; return 1; fi
    return 0
}
err_has() { # err_has NAME REGEX: stderr matches (grep -E)
    grep -qE -- "$2" "$tmp/err" || { echo "FAIL $1: stderr lacks /$2/: $(head -c 600 "$tmp/err")"; fail=1; }
}
err_lacks() {
    ! grep -qE -- "$2" "$tmp/err" || { echo "FAIL $1: stderr has /$2/: $(head -c 600 "$tmp/err")"; fail=1; }
}
py() { # py NAME PYTHON: a check in Python (d = the JSON lines of stdout, tmp = the directory)
    python3 - "$tmp" <<PY || { echo "FAIL $1"; fail=1; }
import json, sys, struct
tmp = sys.argv[1]
d = [json.loads(l) for l in open(tmp + '/out') if l.strip()]
$2
PY
}
copy_model() { mkdir -p "$1"; cp "$M/config.json" "$M/model.safetensors" "$M/tokenizer.json" "$M/tokenizer_config.json" "$M/vocab.txt" "$1/"; }

# ---- fill-mask's sequence is decoded as transformers' pipeline decodes it (clean_up_tokenization) ----
check cleanup 0 "$bin" fill-mask --model "$M" --top-k 2 "i don't [MASK] it." &&
    py cleanup "assert all(\"don't\" in p['sequence'] and \" ' \" not in p['sequence'] and not p['sequence'].endswith(' .') for p in d[0]['masks'][0]['predictions']), d"

# ---- config.json as json.loads reads it: the last duplicate key wins, trailing text is an error ----
copy_model "$tmp/dup"
python3 -c "
import sys; p=sys.argv[1]; t=open(p).read().rstrip()
open(p,'w').write(t[:-1] + ', \"num_hidden_layers\": 99, \"num_hidden_layers\": 4}')" "$tmp/dup/config.json"
check dup-last-wins 0 "$bin" attention --model "$tmp/dup" "a b" && py dup-last-wins "assert d[0]['layers'] == 4, d[0]['layers']"
python3 -c "
import sys; p=sys.argv[1]; t=open(p).read().rstrip()
open(p,'w').write(t[:-1] + ', \"num_hidden_layers\": 4, \"num_hidden_layers\": 3}')" "$tmp/dup/config.json"
check dup-last-wins-3 0 "$bin" attention --model "$tmp/dup" "a b" && py dup-last-wins-3 "assert d[0]['layers'] == 3, d[0]['layers']"
copy_model "$tmp/trail"
printf '{"x": 1}' >>"$tmp/trail/config.json"
check trailing 1 "$bin" fill-mask --model "$tmp/trail" "a [MASK]" && err_has trailing "trail/config.json: text after the JSON value"

# ---- a tokenizer that does not belong to the model is refused for model work ----
mkdir -p "$tmp/small"
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\n' >"$tmp/small/vocab.txt"
check other-vocab 1 "$bin" fill-mask --model "$M" --vocab "$tmp/small/vocab.txt" "the [MASK]" &&
    err_has other-vocab "tokenizer does not match the model.*7 tokens, the model's own tokenizer 8000"
{ cat "$M/vocab.txt"; for i in $(seq 1 50); do echo "extra$i"; done; } >"$tmp/big.txt"
copy_model "$tmp/bigm"; rm "$tmp/bigm/tokenizer.json"; cp "$tmp/big.txt" "$tmp/bigm/vocab.txt"
check larger-vocab 1 "$bin" attention --model "$tmp/bigm" "a b" && err_has larger-vocab "8050 tokens but the model's embedding only 8000"
grep -v '^\[MASK\]$' "$M/vocab.txt" >"$tmp/nomask.txt"
copy_model "$tmp/nomaskm"; rm "$tmp/nomaskm/tokenizer.json"; cp "$tmp/nomask.txt" "$tmp/nomaskm/vocab.txt"
check no-mask-token 1 "$bin" attention --model "$tmp/nomaskm" "a b" && err_has no-mask-token "no \[MASK\]"
{ sed -n 2p "$M/vocab.txt"; sed -n 1p "$M/vocab.txt"; sed -n '3,$p' "$M/vocab.txt"; } >"$tmp/swapped.txt"
check pad-elsewhere 1 "$bin" fill-mask --model "$M" --vocab "$tmp/swapped.txt" "the [MASK]" &&
    err_has pad-elsewhere "pads with id 1 but the model's pad_token_id is 0"
check own-vocab 0 "$bin" fill-mask --model "$M" --tokenizer "$M/vocab.txt" "the [MASK]"
check own-dir 0 "$bin" embed --model "$M" --vocab "$M" "the cat"

# ---- a vocab.txt without [UNK] does not drop unknown text ----
printf '[PAD]\n[CLS]\n[SEP]\nthe\n' >"$tmp/nounk.txt"
check no-unk 1 "$bin" tokenize --vocab "$tmp/nounk.txt" "the zebra the" && err_has no-unk "'zebra' is not in the vocabulary, which has no \[UNK\]"
check no-unk-known 0 "$bin" tokenize --vocab "$tmp/nounk.txt" "the the"

# ---- tokenize: the bundled model by default; --vocab and --tokenizer take any tokenizer path ----
check tokenize-default 0 env BERTBENCH_MODEL="$M" "$bin" tokenize "the cat" && py tokenize-default "assert d[0]['tokens'][0] == '[CLS]' and 'cat' in d[0]['tokens']"
check tokenize-dir 0 "$bin" tokenize --tokenizer "$M" "the cat"
check tokenize-json-as-vocab 0 "$bin" tokenize --vocab "$M/tokenizer.json" "the cat"
check perplexity-tokenizer 0 "$bin" perplexity --model "$M" --tokenizer "$M/tokenizer.json" "the cat sat"

# ---- fine-tuning from a BertForMaskedLM save: HF's fresh pooler and classifier, named ----
mkdir -p "$tmp/mlm"
python3 - "$M" "$tmp/mlm" <<'PY'
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
raw = open(src + '/model.safetensors', 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n]); data = raw[8 + n:]
out, nh = b'', {}
for k, v in h.items():
    if k == '__metadata__' or k.startswith('bert.pooler') or k.startswith('cls.seq_relationship'): continue
    s, e = v['data_offsets']; nh[k] = dict(v, data_offsets=[len(out), len(out) + e - s]); out += data[s:e]
hb = json.dumps(nh).encode(); hb += b' ' * ((8 - len(hb) % 8) % 8)
open(dst + '/model.safetensors', 'wb').write(struct.pack('<Q', len(hb)) + hb + out)
c = json.load(open(src + '/config.json')); c['architectures'] = ['BertForMaskedLM']; c['torch_dtype'] = 'float16'
json.dump(c, open(dst + '/config.json', 'w'))
PY
cp "$M/tokenizer.json" "$M/tokenizer_config.json" "$M/vocab.txt" "$tmp/mlm/"
for i in $(seq 12); do echo "{\"text\":\"a good film $i\",\"label\":\"pos\"}"; echo "{\"text\":\"a bad film $i\",\"label\":\"neg\"}"; done >"$tmp/cls.jsonl"
check seqcls-from-mlm 0 "$bin" train --task seqcls --model "$tmp/mlm" --data "$tmp/cls.jsonl" --out "$tmp/run" --max-steps 2 --batch-size 4 --seed 7 &&
    err_has seqcls-warning "Some weights of BertForSequenceClassification were not initialized from the model checkpoint at .*mlm and are newly initialized: \['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight'\]" &&
    py seqcls-from-mlm "
assert d[0]['newly_initialized'] == ['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight'], d
first = json.loads(open(tmp + '/run/metrics.jsonl').readline())
assert first == {'newly_initialized': d[0]['newly_initialized']}, first
c = json.load(open(tmp + '/run/config.json'))
assert c['architectures'] == ['BertForSequenceClassification'] and c['dtype'] == 'float32' and c['torch_dtype'] == 'float32', c
assert c['id2label'] == {'0': 'neg', '1': 'pos'} and c['label2id'] == {'neg': 0, 'pos': 1} and c['num_labels'] == 2, c
t = json.load(open(tmp + '/run/tokenizer_config.json'))
assert t['model_max_length'] == 128 and t['clean_up_tokenization_spaces'] is True, t
raw = open(tmp + '/run/model.safetensors', 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]; h = json.loads(raw[8:8 + n])
assert all(h[k]['dtype'] == 'F32' for k in h if k != '__metadata__')
assert 'bert.pooler.dense.weight' in h and 'classifier.weight' in h
"
# the same seed gives the same fresh head; another seed another one
check seqcls-seed 0 "$bin" train --task seqcls --model "$tmp/mlm" --data "$tmp/cls.jsonl" --out "$tmp/run2" --max-steps 1 --batch-size 4 --seed 7 --lr 1e-12
check seqcls-seed-b 0 "$bin" train --task seqcls --model "$tmp/mlm" --data "$tmp/cls.jsonl" --out "$tmp/run3" --max-steps 1 --batch-size 4 --seed 7 --lr 1e-12
check seqcls-seed-c 0 "$bin" train --task seqcls --model "$tmp/mlm" --data "$tmp/cls.jsonl" --out "$tmp/run4" --max-steps 1 --batch-size 4 --seed 8 --lr 1e-12
python3 - "$tmp" <<'PY' || { echo "FAIL seeded head init"; fail=1; }
import json, struct, sys
tmp = sys.argv[1]
def w(run, name):
    raw = open(f'{tmp}/{run}/model.safetensors', 'rb').read(); n = struct.unpack('<Q', raw[:8])[0]
    h = json.loads(raw[8:8 + n]); s, e = h[name]['data_offsets']; b = raw[8 + n + s:8 + n + e]
    return struct.unpack(f'<{len(b)//4}f', b)
a, b, c = (w(r, 'bert.pooler.dense.weight') for r in ('run2', 'run3', 'run4'))
assert a == b and a != c
std = (sum(x * x for x in a) / len(a)) ** 0.5
assert 0.015 < std < 0.025, std  # normal(0, initializer_range 0.02)
bias = w('run2', 'classifier.bias'); assert max(abs(x) for x in bias) < 1e-6, bias
PY
check tokcls-from-mlm 0 "$bin" train --task tokcls --model "$tmp/mlm" --data <(printf '{"tokens":["a","cat"],"tags":["D","N"]}\n{"tokens":["the","dog"],"tags":["D","N"]}\n') --format jsonl --out "$tmp/tok" --max-steps 1 --batch-size 2 &&
    err_has tokcls-warning "BertForTokenClassification .*newly initialized: \['classifier.bias', 'classifier.weight'\]"

# ---- usage errors that say why ----
printf 'the cat sat on the mat\nthe dog sat on the log\n' >"$tmp/d.txt"
T="train --task mlm --model $M --data $tmp/d.txt --max-steps 1"
check out-empty 2 "$bin" $T --out '' && err_has out-empty "--out '': .*not an empty path"
check out-root 2 "$bin" $T --out / && err_has out-root "not the filesystem root"
check out-root2 2 "$bin" $T --out //./ && err_has out-root2 "not the filesystem root"
check lr-inf 2 "$bin" $T --out "$tmp/r" --lr inf && err_has lr-inf "--lr inf: expected a finite number"
check lr-nan 2 "$bin" $T --out "$tmp/r" --lr nan
check model-and-config 2 "$bin" $T --out "$tmp/r" --config "$M/config.json" && err_has model-and-config "not both"
check freeze 2 "$bin" $T --out "$tmp/r" --freeze-layers 5 && err_has freeze "--freeze-layers 5: the model has only 4 layers"
check freeze-ok 0 "$bin" $T --out "$tmp/r" --freeze-layers 4
check eval-split 2 "$bin" $T --out "$tmp/r" --eval-split 1 && err_has eval-split "must be below 1"
check bench-no-name 2 "$bin" bench && err_has bench-no-name "usage: bertbench bench NAME" &&
    { [ ! -s "$tmp/out" ] || { echo "FAIL bench-no-name: usage on stdout"; fail=1; }; }

# ---- messages ----
mkdir -p "$tmp/vdir" "$tmp/vdm"; cp "$M/config.json" "$M/model.safetensors" "$tmp/vdm/"; mkdir "$tmp/vdm/vocab.txt"
check vocab-dir 1 "$bin" fill-mask --model "$tmp/vdm" "a [MASK]" && err_has vocab-dir "vdm/vocab.txt: (is )?a directory"
mkdir -p "$tmp/vzm"; cp "$M/config.json" "$M/model.safetensors" "$tmp/vzm/"; ln -s /dev/zero "$tmp/vzm/vocab.txt"
check vocab-devzero 1 timeout 20 "$bin" fill-mask --model "$tmp/vzm" "a [MASK]" && err_has vocab-devzero "vzm/vocab.txt: (is )?a character device, not a regular file"
ln -s /dev/zero "$tmp/z.txt"
check vocab-devzero-cli 1 timeout 20 "$bin" tokenize --vocab "$tmp/z.txt" "a" && err_has vocab-devzero-cli "(is )?a character device, not a regular file"
mkdir -p "$tmp/loop"; cp "$M/config.json" "$M/vocab.txt" "$tmp/loop/"; ln -s model.safetensors "$tmp/loop/model.safetensors"
check symlink-loop 1 "$bin" fill-mask --model "$tmp/loop" "a [MASK]" && err_has symlink-loop "loop/model.safetensors: a loop of symbolic links"
mkdir -p "$tmp/dcfg/config.json"
check config-dir 1 "$bin" fill-mask --model "$tmp/dcfg" "a [MASK]" && err_has config-dir "dcfg/config.json: (is )?a directory" && err_lacks config-dir "read error"
for id in 2147483648 1e300 5.5; do
    printf '{"model":{"type":"WordPiece","vocab":{"[UNK]":0,"a":1,"b":%s}}}' "$id" >"$tmp/ids.json"
    check "id-$id" 1 "$bin" tokenize --tokenizer "$tmp/ids.json" "a" && err_lacks "id-$id" "id -1|given to both" &&
        err_has "id-$id" "'b' has id ($id|1e\+300)"
done
copy_model "$tmp/nan"
python3 - "$tmp/nan/model.safetensors" <<'PY'
import json, struct, sys
p = sys.argv[1]; raw = bytearray(open(p, 'rb').read()); n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8 + n]); s = h['bert.encoder.layer.1.output.dense.weight']['data_offsets'][0] + 8 + n
raw[s + 40:s + 44] = struct.pack('<f', float('inf')); open(p, 'wb').write(raw)
PY
check nan-weights 1 "$bin" fill-mask --model "$tmp/nan" "a [MASK]" && err_has nan-weights "bert.encoder.layer.1.output.dense.weight' holds Inf at element 10: the weights are not finite"
copy_model "$tmp/rel"; sed -i 's/"absolute"/"relative_key"/' "$tmp/rel/config.json"
check relative-key 1 "$bin" attention --model "$tmp/rel" "a b" && err_has relative-key "position_embedding_type\" relative_key is not supported"
for cmd in "fill-mask --model $M a [MASK]" "tokenize --model $M hello" "attention --model $M a"; do
    # shellcheck disable=SC2086
    "$bin" $cmd >/dev/full 2>"$tmp/err"; rc=$?
    [ "$rc" = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] || { echo "FAIL /dev/full ($cmd): rc $rc, stderr: $(cat "$tmp/err")"; fail=1; }
done
mkdir -p "$tmp/mdir/metrics.jsonl"
check metrics-not-created 1 "$bin" $T --out "$tmp/mdir" && err_lacks metrics-not-created "metrics so far"
check tokenize-stats-dir 1 "$bin" tokenize --model "$M" --stats "$tmp/vdir" && err_has tokenize-stats-dir "vdir: (is )?a directory"
"$bin" tokenize --model "$M" --jsonl <&- >"$tmp/out" 2>"$tmp/err"; rc=$?
[ "$rc" = 1 ] && grep -q "reading stdin" "$tmp/err" || { echo "FAIL closed stdin: rc $rc: $(cat "$tmp/err")"; fail=1; }
printf 'fine line\ncaf\351 au lait\n' >"$tmp/bad.txt"
check stats-utf8 1 "$bin" tokenize --model "$M" --stats "$tmp/bad.txt" && err_has stats-utf8 "bad.txt:2: not valid UTF-8"
check stats-utf8-skip 0 "$bin" tokenize --model "$M" --stats "$tmp/bad.txt" --skip-invalid-utf8 &&
    err_has stats-utf8-skip "skipped 1 line that is not UTF-8" && py stats-utf8-skip "assert d[0]['texts'] == 1"
printf '{"text":"ok"}\n{"text":"caf\351"}\n' >"$tmp/bad.jsonl"
check jsonl-utf8 1 "$bin" tokenize --model "$M" --jsonl <"$tmp/bad.jsonl" && err_has jsonl-utf8 "stdin line 2: not valid UTF-8"
# a trainer_state.json with a 300-digit number: the message shows it short
check ck 0 "$bin" train --task mlm --model "$M" --data "$tmp/d.txt" --out "$tmp/ck" --max-steps 2 --save-every 1 --batch-size 1
python3 -c "
import json,sys; p=sys.argv[1]; s=json.load(open(p)); s['num_params']=float('1'+'0'*299); open(p,'w').write(json.dumps(s))" "$tmp/ck/checkpoint-1/trainer_state.json"
check state-300-digits 1 "$bin" train --task mlm --model "$M" --data "$tmp/d.txt" --out "$tmp/ck2" --resume "$tmp/ck/checkpoint-1" --max-steps 2
python3 -c "import sys; l=open(sys.argv[1]).read(); sys.exit(1 if any(len(w) > 40 and w.strip('.,:;()').isdigit() for w in l.split()) else 0)" "$tmp/err" ||
    { echo "FAIL 300-digit number in: $(cat "$tmp/err")"; fail=1; }
# a tampered optimizer state is not blamed on the learning rate
python3 - "$tmp/ck/checkpoint-2/optimizer.safetensors" <<'PY'
import json, struct, sys
p = sys.argv[1]; raw = bytearray(open(p, 'rb').read()); n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8 + n]); s, e = h['exp_avg']['data_offsets']
raw[8 + n + s:8 + n + e] = struct.pack('<f', float('nan')) * ((e - s) // 4); open(p, 'wb').write(raw)
PY
check tampered-optimizer 1 "$bin" train --task mlm --model "$M" --data "$tmp/d.txt" --out "$tmp/ck3" --resume "$tmp/ck/checkpoint-2" --max-steps 4 --batch-size 1 &&
    err_has tampered-optimizer "optimizer" && err_lacks tampered-optimizer "learning rate"

[ $fail = 0 ] && echo "cli fidelity ok"
exit $fail
