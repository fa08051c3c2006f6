#!/bin/sh
# tokenize and bench tokenize with SentencePiece models: a .model file, the same bytes under another name
# (recognised by content), a directory holding one; --no-special-tokens for every kind; a damaged model
# fails with one line naming the file.
bin=${1:?bertbench binary}
fx=${BERTBENCH_FIXTURES:-$2}
sp="$fx/sentencepiece"
if [ ! -f "$sp/unigram_8k.model" ]; then
    [ "$CI" = true ] && { echo "FAIL: fixtures missing at $fx"; exit 1; }
    echo "SKIP: fixtures not found at $fx"; exit 77
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME EXPECTED_RC CMD... ; stdout in $tmp/out, stderr in $tmp/err
    name=$1; want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, wanted $want; stderr: $(cat "$tmp/err")"; fail=1; return 1; fi
    return 0
}
json() { # json NAME PYTHON-EXPR over d (the parsed stdout lines)
    python3 -c "import json,sys; d=[json.loads(l) for l in open('$tmp/out')]; sys.exit(0 if ($2) else 1)" \
        || { echo "FAIL $1: $(head -c 400 "$tmp/out")"; fail=1; }
}
# The fixture's own row for this text: SentencePiece 0.1.97's pieces and ids.
text='two  spaces	and a tab
and a newline'
ref=$(python3 -c "
import json,sys
for l in open('$sp/spm_encodings.jsonl'):
    r=json.loads(l)
    if r['model']=='unigram_8k.model' and r['text']==sys.argv[1]: print(json.dumps([r['ids'],r['pieces'],r['byte_offsets']])); break
" "$text")
[ -n "$ref" ] || { echo "FAIL: fixture row not found"; exit 1; }
check model 0 "$bin" tokenize --tokenizer "$sp/unigram_8k.model" "$text" &&
    json model "[d[0]['ids'],d[0]['tokens'],d[0]['offsets']]==$ref"
cp "$sp/unigram_8k.model" "$tmp/no_extension"
check by-content 0 "$bin" tokenize --tokenizer "$tmp/no_extension" "$text" && json by-content "[d[0]['ids'],d[0]['tokens'],d[0]['offsets']]==$ref"
mkdir "$tmp/dir" && cp "$sp/bpe_bytefallback_4k.model" "$tmp/dir/spiece.model"
check dir 0 "$bin" tokenize --tokenizer "$tmp/dir" "caf$(printf '\303\251') 𠮷" &&
    json dir "d[0]['tokens'][-4:]==['<0xF0>','<0xA0>','<0xAE>','<0xB7>'] and d[0]['offsets'][-1]==[5,6] and d[0]['offsets'][-2]==[5,5]"
# --no-special-tokens: WordPiece (vocab.txt), byte-level BPE and Unigram tokenizer.json.
check wp-specials 0 "$bin" tokenize --vocab "$fx/vocab/bert-base-uncased-vocab.txt" "hello world" &&
    json wp-specials "d[0]['tokens']==['[CLS]','hello','world','[SEP]']"
check wp-none 0 "$bin" tokenize --vocab "$fx/vocab/bert-base-uncased-vocab.txt" --no-special-tokens "hello world" &&
    json wp-none "d[0]['tokens']==['hello','world']"
check bpe-none 0 "$bin" tokenize --tokenizer "$fx/tokenizer/bpe_brown_tokenizer.json" --no-special-tokens "hello world" &&
    json bpe-none "d[0]['tokens'][0]!='<s>' and d[0]['tokens'][-1]!='</s>'"
python3 - "$tmp/uni.json" <<'PY'
import json, sys
t = {"version": "1.0", "added_tokens": [{"id": 1, "content": "<s>", "special": True}, {"id": 2, "content": "</s>", "special": True}],
     "normalizer": None, "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
     "post_processor": {"type": "TemplateProcessing", "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                        "special_tokens": {"</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
     "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
     "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": False,
               "vocab": [["<unk>", 0], ["<s>", 0], ["</s>", 0], ["\u2581hello", -1], ["\u2581world", -1]]}}
json.dump(t, open(sys.argv[1], "w"))
PY
check t5-specials 0 "$bin" tokenize --tokenizer "$tmp/uni.json" "hello world" && json t5-specials "d[0]['tokens']==['\u2581hello','\u2581world','</s>']"
check t5-none 0 "$bin" tokenize --tokenizer "$tmp/uni.json" --no-special-tokens "hello world" && json t5-none "d[0]['tokens']==['\u2581hello','\u2581world']"
# A damaged model: one line naming the file and the problem.
head -c 5001 "$sp/unigram_8k.model" > "$tmp/cut.model"
check damaged 1 "$bin" tokenize --tokenizer "$tmp/cut.model" "hello" &&
    { grep -q "cut.model: not a SentencePiece model: .* truncated or malformed" "$tmp/err" || { echo "FAIL damaged message: $(cat "$tmp/err")"; fail=1; }; }
# bench tokenize measures it (one thread); the count is checked, not the speed.
head -n 50 "$sp/heldout_text.txt" > "$tmp/held.txt"
check bench 0 "$bin" bench tokenize --tokenizer "$sp/unigram_8k.model" "$tmp/held.txt" &&
    json bench "d[0]['lines']==50 and d[0]['tokens']>500 and d[0]['tokens_per_s']>0"
[ $fail = 0 ] && echo "cli sentencepiece ok"
exit $fail
