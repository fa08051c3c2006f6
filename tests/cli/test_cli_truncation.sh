#!/bin/sh
# Lengths on the bundled model (128 positions, tokenizer_config model_max_length 128): `tokenize` cuts only
# when asked (--max-length, or a tokenizer.json truncation section, as HF tokenizers) and otherwise
# reports the length past the model's limit; the model subcommands cut at the effective limit and say so.
bin=${1:?bertbench binary}
model=${2:?bundled model dir}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME CMD... ; stdout in $tmp/out
    name=$1; shift
    "$@" >"$tmp/out" 2>"$tmp/err" || { echo "FAIL $name: exit $?: $(cat "$tmp/err")"; fail=1; return 1; }
}
json() { # json NAME PYTHON-EXPR over d (the parsed first line of stdout)
    python3 -c "import json,sys; d=json.loads(open('$tmp/out').readline()); sys.exit(0 if ($2) else 1)" \
        || { echo "FAIL $1: $(head -c 400 "$tmp/out")"; fail=1; }
}
# about 300 tokens: 22 copies of a 14-token sentence (+ [CLS] [SEP])
text=$(python3 -c "print(' '.join(['the old man walked to the river and sat down by the water .'] * 22))")

check tokenize-uncut "$bin" tokenize --model "$model" "$text" &&
    json tokenize-uncut "len(d['ids']) > 290 and d['overflow'] == 0 and d['exceeds_model_max_length'] == {'length': len(d['ids']), 'model_max_length': 128}"
check tokenize-short "$bin" tokenize --model "$model" "the old man" &&
    json tokenize-short "len(d['ids']) == 5 and 'exceeds_model_max_length' not in d"
check tokenize-max-length "$bin" tokenize --model "$model" --max-length 128 "$text" &&
    json tokenize-max-length "len(d['ids']) == 128 and d['ids'][-1] == 3 and d['overflow'] > 160 and 'exceeds_model_max_length' not in d"
check tokenize-left "$bin" tokenize --model "$model" --max-length 10 --truncation-side left "$text" &&
    json tokenize-left "d['tokens'] == ['[CLS]', 'river', 'and', 'sat', 'down', 'by', 'the', 'water', '.', '[SEP]']"
# a tokenizer.json whose truncation section asks for 64 from the left
python3 - "$model/tokenizer.json" "$tmp/trunc.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
j["truncation"] = {"direction": "Left", "max_length": 64, "strategy": "LongestFirst", "stride": 0}
json.dump(j, open(sys.argv[2], "w"))
PY
check tokenize-file-truncation "$bin" tokenize --tokenizer "$tmp/trunc.json" "$text" &&
    json tokenize-file-truncation "len(d['ids']) == 64 and d['tokens'][-3:] == ['water', '.', '[SEP]'] and d['tokens'][1] != 'the'"
python3 -c "
import json; j = json.load(open('$tmp/trunc.json')); j['truncation']['direction'] = 'Up'; json.dump(j, open('$tmp/bad.json', 'w'))"
"$bin" tokenize --tokenizer "$tmp/bad.json" "a" >/dev/null 2>"$tmp/err"
[ $? = 1 ] && grep -q "bad.json: truncation.direction 'Up'" "$tmp/err" || { echo "FAIL bad truncation section: $(cat "$tmp/err")"; fail=1; }

# model subcommands cut at 128 and report it
check attention "$bin" attention --model "$model" --layer 0 --head 0 "$text" &&
    json attention "len(d['tokens']) == 128 and d['max_length'] == 128 and d['truncated_tokens'] > 160"
check embed-short "$bin" embed --model "$model" "the old man" &&
    json embed-short "'max_length' not in d['embeddings'][0]"
check embed "$bin" embed --model "$model" "$text" &&
    json embed "d['embeddings'][0]['max_length'] == 128 and d['embeddings'][0]['truncated_tokens'] > 160"
[ $fail = 0 ] && echo "OK: cli truncation"
exit $fail
