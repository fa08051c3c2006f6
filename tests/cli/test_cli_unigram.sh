#!/bin/sh
# train-tokenizer --algo unigram from the command line: the JSON summary, the files it writes, usage
# errors (exit 2; the option table's messages and --help's rows) and a vocabulary too small for the
# corpus's characters (exit 1, saying why).
bin=${1:?bertbench binary}
fx=${BERTBENCH_FIXTURES:-$2}
held=$fx/sentencepiece/heldout_text.txt
if [ ! -f "$held" ]; then
    [ "$CI" = true ] && { echo "FAIL: fixture missing: $held"; exit 1; }
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
json() { # json NAME PYTHON-EXPR over d (the parsed stdout; one object per line -> list)
    python3 -c "import json,sys; d=[json.loads(l) for l in open('$tmp/out')]; sys.exit(0 if ($2) else 1)" \
        || { echo "FAIL $1: $(head -c 300 "$tmp/out")"; fail=1; }
}
awk 'NR%5!=0' "$held" > "$tmp/a.txt"
awk 'NR%5==0' "$held" > "$tmp/b.txt"
check train 0 "$bin" train-tokenizer --algo unigram --vocab-size 3000 --character-coverage 0.995 \
    --out "$tmp/ug" "$tmp/a.txt" "$tmp/b.txt" &&
    json train "d[0]['algo']=='unigram' and d[0]['vocab_size']==3000 and d[0]['lines']==2000 and d[0]['byte_fallback'] is False"
python3 - "$tmp/ug/tokenizer.json" <<'PY' || { echo "FAIL tokenizer.json layout"; fail=1; }
import json, sys
j = json.load(open(sys.argv[1], encoding='utf-8'))
m = j['model']
assert m['type'] == 'Unigram' and m['unk_id'] == 0 and len(m['vocab']) == 3000, m['type']
assert [v[0] for v in m['vocab'][:3]] == ['<unk>', '<s>', '</s>']
scores = [v[1] for v in m['vocab'][3:]]
assert scores == sorted(scores, reverse=True) and all(s < 0 for s in scores)
assert j['pre_tokenizer']['type'] == 'Metaspace' and j['decoder']['type'] == 'Metaspace'
assert [a['content'] for a in j['added_tokens']] == ['<unk>', '<s>', '</s>']
norm = [n['type'] for n in j['normalizer']['normalizers']]
assert norm == ['Precompiled', 'Replace', 'Strip'] and len(j['normalizer']['normalizers'][0]['precompiled_charsmap']) > 1000, norm
PY
[ -s "$tmp/ug/spiece.model" ] || { echo "FAIL no spiece.model"; fail=1; }
# what it wrote loads: tokenize (file and directory), and the three-way compare of texts and a corpus
check tokenize 0 "$bin" tokenize --tokenizer "$tmp/ug/tokenizer.json" "Hello world" &&
    json tokenize "d[0]['tokens'][0]=='<s>' and d[0]['tokens'][-1]=='</s>' and d[0]['tokens'][1].startswith('\u2581')"
check tokenize-dir 0 "$bin" tokenize --tokenizer "$tmp/ug" --no-special-tokens "Hello world" &&
    json tokenize-dir "d[0]['tokens'][0].startswith('\u2581') and '<s>' not in d[0]['tokens']"
wp=$fx/vocab/bert-base-uncased-vocab.txt
bpe=$fx/tokenizer/bpe_brown_tokenizer.json
check compare 0 "$bin" compare --tokenizer "$wp" --tokenizer "$bpe" --tokenizer "$tmp/ug/tokenizer.json" "Tokenization is naïve" "a b" &&
    json compare "len(d)==2 and [t['kind'] for t in d[0]['tokenizers']]==['WordPiece','byte-level BPE','Unigram'] and all(t['n_tokens']==len(t['tokens']) for t in d[0]['tokenizers']) and d[0]['tokenizers'][0]['tokens'][:2]==['token','##ization'] and d[0]['tokenizers'][2]['tokens'][0].startswith('\u2581') and d[1]['text']=='a b'"
check compare-corpus 0 "$bin" compare --tokenizer "$wp" --tokenizer "$bpe" --tokenizer "$tmp/ug/tokenizer.json" --corpus "$tmp/b.txt" &&
    json compare-corpus "[t['kind'] for t in d[0]['tokenizers']]==['WordPiece','byte-level BPE','Unigram'] and d[0]['tokenizers'][0]['tokens_vs_first']==1 and all(t['stats']['texts']==400 and t['stats']['fertility']>1 and t['content_tokens']>0 for t in d[0]['tokenizers']) and d[0]['tokenizers'][0]['stats']['unk']>0"
check compare-one 2 "$bin" compare --tokenizer "$wp" "text"
check compare-both 2 "$bin" compare --tokenizer "$wp" --tokenizer "$bpe" --corpus "$tmp/b.txt" "text"
check bytes 0 "$bin" train-tokenizer --algo unigram --vocab-size 3000 --byte-fallback --out "$tmp/ugb" "$tmp/a.txt" &&
    json bytes "d[0]['byte_fallback'] is True and d[0]['vocab_size']==3000"
python3 -c "
import json, sys
m = json.load(open('$tmp/ugb/tokenizer.json', encoding='utf-8'))['model']
sys.exit(0 if m['byte_fallback'] is True and m['vocab'][3][0] == '<0x00>' and m['vocab'][258][0] == '<0xFF>' else 1)" ||
    { echo "FAIL byte pieces"; fail=1; }
check compare-bytes 0 "$bin" compare --tokenizer "$tmp/ug/tokenizer.json" --tokenizer "$tmp/ugb/tokenizer.json" "中文 𠮷" &&
    json compare-bytes "d[0]['tokenizers'][1]['byte_fallback']==4 and '<0xF0>' in d[0]['tokenizers'][1]['tokens'] and d[0]['tokenizers'][0]['byte_fallback']==0"
check small-vocab 1 "$bin" train-tokenizer --algo unigram --vocab-size 300 --out "$tmp/small" "$tmp/a.txt" &&
    { grep -q "character coverage" "$tmp/err" || { echo "FAIL small-vocab message: $(cat "$tmp/err")"; fail=1; }; }
check cased 2 "$bin" train-tokenizer --algo unigram --vocab-size 3000 --cased --out "$tmp/x" "$tmp/a.txt"
check coverage 2 "$bin" train-tokenizer --algo unigram --vocab-size 3000 --character-coverage 1.5 --out "$tmp/x" "$tmp/a.txt" &&
    { grep -q "1.5" "$tmp/err" || { echo "FAIL coverage message"; fail=1; }; }
check bf-bpe 2 "$bin" train-tokenizer --algo bpe --vocab-size 300 --byte-fallback --out "$tmp/x" "$tmp/a.txt"
err_has() { grep -qF -- "$2" "$tmp/err" || { echo "FAIL $1 message: $(cat "$tmp/err")"; fail=1; }; }
check algo 2 "$bin" train-tokenizer --algo spm --vocab-size 3000 --out "$tmp/x" "$tmp/a.txt" &&
    err_has algo "--algo spm: expected wordpiece, bpe or unigram"
check size0 2 "$bin" train-tokenizer --algo bpe --vocab-size 0 --out "$tmp/x" "$tmp/a.txt" &&
    err_has size0 "--vocab-size 0: expected a size from 1 to 16777216"
check size-word 2 "$bin" train-tokenizer --algo bpe --vocab-size lots --out "$tmp/x" "$tmp/a.txt" &&
    err_has size-word "--vocab-size lots: expected a non-negative integer"
check no-value 2 "$bin" train-tokenizer --algo bpe --out "$tmp/x" "$tmp/a.txt" --vocab-size && err_has no-value "needs a value"
check no-file 2 "$bin" train-tokenizer --algo bpe --vocab-size 300 --out "$tmp/x" && err_has no-file "FILE..."
check unknown 2 "$bin" train-tokenizer --algo bpe --vocab-size 300 --out "$tmp/x" -q "$tmp/a.txt" &&
    err_has unknown "unknown option '-q'"
check help 0 "$bin" train-tokenizer --help &&
    for o in --algo --vocab-size --out --min-frequency --limit-alphabet --cased --character-coverage --byte-fallback; do
        grep -q "^  $o" "$tmp/out" || { echo "FAIL help: no line for $o"; fail=1; }
    done
check missing 1 "$bin" train-tokenizer --algo unigram --vocab-size 3000 --out "$tmp/x" "$tmp/none.txt" &&
    { grep -q "none.txt" "$tmp/err" || { echo "FAIL missing-file message"; fail=1; }; }
exit $fail
