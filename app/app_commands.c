/* The subcommand table: one line per subcommand, implemented in cli/cli_NAME.c and bench/. */
#include "app.h"
#include "bench.h"
#include "cli.h"

const app_cmd app_commands[] = {
    {"fill-mask", cli_fill_mask, "top-k predictions for every [MASK] (HF fill-mask)"},
    {"attention", cli_attention, "attention probabilities per layer/head with summaries"},
    {"embed", cli_embed, "sentence embeddings and cosine similarities"},
    {"perplexity", cli_perplexity, "pseudo-perplexity and per-token surprisal"},
    {"tokenize", cli_tokenize, "encode texts (ids, tokens, offsets) or --stats FILE"},
    {"train-tokenizer", cli_train_tokenizer, "learn a WordPiece, byte-level BPE or Unigram vocabulary"},
    {"compare", cli_compare, "two or three tokenizers on the same texts or corpus (tokens, fertility, [UNK], bytes)"},
    {"train", cli_train, "train or fine-tune: mlm, seqcls, tokcls (metrics.jsonl, checkpoints, resume)"},
    {"convert", cli_convert, "write a checkpoint (safetensors or pytorch_model.bin) as model.safetensors"},
    {"models", cli_models, "models in the local Hugging Face cache that --model ORG/NAME can open"},
    {"follow", cli_follow, "the series of a run written elsewhere: HF Trainer output_dir, TensorBoard logs (JSON)"},
    {"bench", bench_main, "benchmarks: sgemm, forward, infer, tokenize, train, redraw (JSON line)"},
    {0, 0, 0},
};
