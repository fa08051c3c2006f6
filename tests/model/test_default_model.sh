#!/bin/sh
# The bundled default model (models/bert-brown-small): a Hugging Face BertForMaskedLM layout whose
# tensors match its config, loaded by the engine's own loader, and fill-mask answers that show it
# learned some English (lenient: an acceptable word somewhere in the top 10 of most sentences).
bin=${1:?bertbench binary}
dir=${2:?model directory}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
for f in config.json model.safetensors vocab.txt tokenizer.json README.md; do
    [ -s "$dir/$f" ] || { echo "FAIL: $dir/$f missing"; exit 1; }
done
size=$(wc -c < "$dir/model.safetensors")
[ "$size" -lt 26214400 ] || { echo "FAIL: $dir/model.safetensors is $size bytes (keep it under 25 MB)"; fail=1; }

# Layout: every tensor a BertForMaskedLM has, named as HF names it, with the config's shapes.
python3 - "$dir" <<'PY' || fail=1
import json, struct, sys
d = sys.argv[1]
c = json.load(open(f"{d}/config.json"))
raw = open(f"{d}/model.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr = json.loads(raw[8:8 + n])
H, I, V, P, L = c["hidden_size"], c["intermediate_size"], c["vocab_size"], c["max_position_embeddings"], c["num_hidden_layers"]
want = {"bert.embeddings.word_embeddings.weight": [V, H], "bert.embeddings.position_embeddings.weight": [P, H],
        "bert.embeddings.token_type_embeddings.weight": [c["type_vocab_size"], H],
        "bert.embeddings.LayerNorm.weight": [H], "cls.predictions.bias": [V],
        "cls.predictions.transform.dense.weight": [H, H], "cls.predictions.transform.LayerNorm.weight": [H]}
for l in range(L):
    p = f"bert.encoder.layer.{l}."
    for s in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
        want[p + s + ".weight"] = [H, H]
    want[p + "intermediate.dense.weight"] = [I, H]
    want[p + "output.dense.weight"] = [H, I]
    want[p + "output.LayerNorm.bias"] = [H]
bad = [f"{k}: {hdr.get(k, {}).get('shape')} (want {v})" for k, v in want.items() if hdr.get(k, {}).get("shape") != v]
vocab = sum(1 for _ in open(f"{d}/vocab.txt", encoding="utf-8"))
if vocab != V: bad.append(f"vocab.txt has {vocab} lines, config vocab_size {V}")
if bad: print("FAIL layout:\n  " + "\n  ".join(bad)); sys.exit(1)
PY

# Fill-mask through the engine (the loader and forward pass the conformance tests check against HF).
# Each line: sentence | words of which at least one should be in the top 10.
cat > "$tmp/cases" <<'EOF'
she opened the [MASK].|door window box letter book eyes car gate envelope package bag drawer
i don't [MASK] what to do.|know think care understand remember see want
he was born in [MASK].|1900 1901 1902 1903 1904 1905 1906 1907 1908 1909 1910 1911 1912 1913 1914 1915 1916 1917 1918 1919 1920 1921 1922 1923 1924 1925 1926 1927 1928 1929 1930 1931 1932 1933 1934 1935 1936 1937 1938 1939 1940 1941 1942 1943 1944 1945 1946 1947 1948 1949 1950 1951 1952 1953 1954 1955 1956 1957 1958 1959 1960 1961 1962 boston texas london paris france england york chicago germany america washington virginia ohio
the [MASK] of the united states.|president state states people government constitution congress army history part rest capital secretary
it was a very [MASK] day.|good long hot cold warm nice fine beautiful bad hard busy important different bright special pleasant great long
there were two [MASK] in the room.|men women people children boys girls others chairs beds windows doors persons tables
he [MASK] his head.|shook turned nodded raised shaking lowered bowed lifted scratched put held lost
EOF
n=0; ok=0
while IFS='|' read -r text words; do
    n=$((n + 1))
    if ! "$bin" fill-mask --model "$dir" --top-k 10 "$text" > "$tmp/out" 2> "$tmp/err"; then
        echo "FAIL: fill-mask on $dir: $(cat "$tmp/err")"; exit 1
    fi
    top=$(python3 -c "import json,sys; print(' '.join(p['token_str'] for p in json.load(open(sys.argv[1]))['masks'][0]['predictions']))" "$tmp/out")
    hit=""
    for w in $words; do
        case " $top " in *" $w "*) hit=$w; break ;; esac
    done
    if [ -n "$hit" ]; then ok=$((ok + 1)); echo "ok   $text -> $top"; else echo "miss $text -> $top"; fi
done < "$tmp/cases"
# The workbench with no option opens this model (the compiled-in default); skipped without tmux.
if command -v tmux >/dev/null 2>&1; then
    sock=bbdefault$$
    tmux -L "$sock" new-session -d -x 100 -y 30 \
        "env -u BERTBENCH_MODEL -u NO_COLOR LANG=C.UTF-8 TERM=xterm-256color HOME=$tmp '$bin'; sleep 600"
    # poll with wall-clock deadlines (scaled by BB_WAIT_SCALE, default 3): first the sign that the
    # workbench is up and has loaded the model, then the tokens of the typed sentence
    shown_within() { # shown_within SECONDS TEXT: sets $shown and $end
        end=$(($(date +%s) + $1 * ${BB_WAIT_SCALE:-3} + 1))
        while :; do
            shown=$(tmux -L "$sock" capture-pane -p)
            case "$shown" in *"$2"*) return 0 ;; esac
            [ "$(date +%s)" -lt "$end" ] || return 1
            sleep 0.05
        done
    }
    shown=""
    shown_within 20 "F1 help" && shown_within 30 "loaded "
    tmux -L "$sock" send-keys "she opened the [MASK]." Enter
    shown_within 30 "[CLS] she opened the [MASK] . [SEP]"
    tmux -L "$sock" kill-server 2>/dev/null
    case "$shown" in
    *"[CLS] she opened the [MASK] . [SEP]"*) echo "ok   the workbench opens the bundled model" ;;
    *) echo "FAIL: the workbench with no option did not tokenize with the bundled model:"; echo "$shown" | head -8; fail=1 ;;
    esac
fi
need=$((n - 1))
[ "$ok" -ge "$need" ] || { echo "FAIL: plausible words in the top 10 for $ok of $n sentences (need $need)"; fail=1; }
exit $fail
