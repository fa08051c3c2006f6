#include "export_hf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "bb_err.h"

/* An absolute path (the script runs from anywhere); realpath when the file exists. */
static void abs_path(char *out, size_t n, const char *p) {
    char rp[PATH_MAX], cwd[PATH_MAX];
    if (realpath(p, rp))
        snprintf(out, n, "%s", rp);
    else if (p[0] != '/' && getcwd(cwd, sizeof cwd))
        snprintf(out, n, "%s/%s", cwd, p);
    else
        snprintf(out, n, "%s", p);
}

/* A Python string literal (or None for NULL). */
static void py_str(FILE *f, const char *s) {
    if (!s) {
        fputs("None", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            fprintf(f, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7F)
            fprintf(f, "\\x%02x", *c);
        else
            fputc(*c, f);
    }
    fputc('"', f);
}

static void py_path(FILE *f, const char *p) {
    char a[PATH_MAX + 256];
    if (!p) {
        py_str(f, NULL);
        return;
    }
    abs_path(a, sizeof a, p);
    py_str(f, a);
}

/* The shortest decimal that reads back as the same float: 5e-05, not 4.99999987e-05. */
static void fmt_float(char *b, size_t n, float v) {
    for (int p = 1; p <= 9; p++) {
        snprintf(b, n, "%.*g", p, (double)v);
        if (strtof(b, NULL) == v) return;
    }
}

static const char *py_bool(int v) { return v ? "True" : "False"; }

static void command_line(FILE *f, int argc, char *const *argv, const char *prefix) {
    fputs(prefix, f);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a && !strpbrk(a, " \t\n'\"\\$`*?[]#~;&|<>(){}");
        fprintf(f, plain ? " %s" : " '%s'", a);
    }
    fputc('\n', f);
}

static const char *hf_schedule(train_sched s) {
    return s == TRAIN_SCHED_COSINE ? "cosine" : s == TRAIN_SCHED_CONSTANT ? "constant_with_warmup" : "linear";
}

static const char *format_name(const train_options *o) {
    data_format f = o->format;
    if (f == DATA_FMT_AUTO) { /* data.c's choice by extension */
        const char *dot = strrchr(o->data_path, '.');
        if (dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".json"))) f = DATA_FMT_JSONL;
        else if (dot && !strcmp(dot, ".csv")) f = DATA_FMT_CSV;
        else if (dot && !strcmp(dot, ".tsv")) f = DATA_FMT_TSV;
        else if (dot && (!strcmp(dot, ".conll") || !strcmp(dot, ".bio") || !strcmp(dot, ".iob"))) f = DATA_FMT_CONLL;
        else f = DATA_FMT_TEXT;
    }
    return data_format_name(f);
}

static const char script_imports[] =
    "import csv\n"
    "import json\n"
    "import os\n"
    "import sys\n"
    "from itertools import chain\n"
    "\n"
    "from datasets import Dataset, DatasetDict\n"
    "from transformers import (AutoConfig, AutoModelForMaskedLM, AutoModelForSequenceClassification,\n"
    "                          AutoModelForTokenClassification, AutoTokenizer, DataCollatorForLanguageModeling,\n"
    "                          DataCollatorForTokenClassification, DataCollatorForWholeWordMask,\n"
    "                          DataCollatorWithPadding, Trainer, TrainingArguments, set_seed)\n"
    "\n";

/* Everything after the settings: data readers as data.c reads, the task's model and collator, Trainer. */
static const char *const script_body[] = {
    "\n",
    "\n",
    "def read_lines(path):\n",
    "    \"\"\"The file's lines as text; a line that is not UTF-8 is dropped (SKIP_INVALID_UTF8) or an error.\"\"\"\n",
    "    out = []\n",
    "    with open(path, \"rb\") as f:\n",
    "        for number, raw in enumerate(f, 1):\n",
    "            try:\n",
    "                out.append((number, raw.decode(\"utf-8\").rstrip(\"\\r\\n\")))\n",
    "            except UnicodeDecodeError:\n",
    "                if not SKIP_INVALID_UTF8:\n",
    "                    sys.exit(f\"{path}:{number}: not valid UTF-8 (bertbench: --skip-invalid-utf8)\")\n",
    "    return out\n",
    "\n",
    "\n",
    "def read_examples(path, fmt):\n",
    "    \"\"\"Examples as bertbench's data.c reads them: dicts with text, text_pair, label, or words + tags.\"\"\"\n",
    "    lines = read_lines(path)\n",
    "    rows = []\n",
    "    if fmt == \"text\":\n",
    "        if PARAGRAPHS:\n",
    "            para = []\n",
    "            for _, line in lines + [(0, \"\")]:\n",
    "                if line.strip():\n",
    "                    para.append(line.strip())\n",
    "                elif para:\n",
    "                    rows.append({\"text\": \" \".join(para)})\n",
    "                    para = []\n",
    "        else:\n",
    "            rows = [{\"text\": line} for _, line in lines if line.strip()]\n",
    "    elif fmt == \"jsonl\":\n",
    "        for number, line in lines:\n",
    "            if not line.strip():\n",
    "                continue\n",
    "            obj = json.loads(line)\n",
    "            if \"tokens\" in obj:\n",
    "                rows.append({\"words\": [str(w) for w in obj[\"tokens\"]], \"tags\": [str(t) for t in obj[\"tags\"]]})\n",
    "            else:\n",
    "                row = {\"text\": obj[\"text\"]}\n",
    "                if obj.get(\"text_pair\") is not None:\n",
    "                    row[\"text_pair\"] = obj[\"text_pair\"]\n",
    "                if obj.get(\"label\") is not None:\n",
    "                    row[\"label\"] = obj[\"label\"] if isinstance(obj[\"label\"], str) else json.dumps(obj[\"label\"])\n",
    "                rows.append(row)\n",
    "    elif fmt in (\"csv\", \"tsv\"):\n",
    "        reader = csv.DictReader([line for _, line in lines], delimiter=\",\" if fmt == \"csv\" else \"\\t\")\n",
    "        for rec in reader:\n",
    "            row = {\"text\": rec.get(\"text\", rec.get(\"sentence1\"))}\n",
    "            pair = rec.get(\"text_pair\", rec.get(\"sentence2\"))\n",
    "            if pair:\n",
    "                row[\"text_pair\"] = pair\n",
    "            if rec.get(\"label\") not in (None, \"\"):\n",
    "                row[\"label\"] = rec[\"label\"]\n",
    "            rows.append(row)\n",
    "    elif fmt == \"conll\":\n",
    "        words, tags = [], []\n",
    "        for _, line in lines + [(0, \"\")]:\n",
    "            cols = line.split()\n",
    "            if cols and cols[0] != \"-DOCSTART-\":\n",
    "                words.append(cols[0])\n",
    "                tags.append(cols[-1])\n",
    "            elif not cols and words:\n",
    "                rows.append({\"words\": words, \"tags\": tags})\n",
    "                words, tags = [], []\n",
    "    else:\n",
    "        sys.exit(f\"{path}: unknown format {fmt}\")\n",
    "    if not rows:\n",
    "        sys.exit(f\"{path}: no examples\")\n",
    "    return rows\n",
    "\n",
    "\n",
    "def label_names(values):\n",
    "    \"\"\"bertbench's label map: 0..K-1 when every label is a non-negative integer, else the sorted strings.\"\"\"\n",
    "    distinct = sorted(set(values))\n",
    "    if all(v.isdigit() for v in distinct):\n",
    "        return [str(i) for i in range(max(int(v) for v in distinct) + 1)]\n",
    "    return distinct\n",
    "\n",
    "\n",
    "def main():\n",
    "    set_seed(SEED)\n",
    "    world = int(os.environ.get(\"WORLD_SIZE\", \"1\"))\n",
    "    # The global batch stays BATCH_SIZE x GRAD_ACCUM (the same optimizer steps as bertbench) when it\n",
    "    # divides evenly over the processes; otherwise every process takes BATCH_SIZE.\n",
    "    per_device = BATCH_SIZE // world if BATCH_SIZE % world == 0 else BATCH_SIZE\n",
    "    tokenizer = AutoTokenizer.from_pretrained(TOKENIZER)\n",
    "    train_rows = read_examples(DATA, FORMAT)\n",
    "    eval_rows = read_examples(EVAL, FORMAT) if EVAL else None\n",
    "    data = Dataset.from_list(train_rows)\n",
    "    if eval_rows is not None:\n",
    "        splits = {\"train\": data, \"eval\": Dataset.from_list(eval_rows)}\n",
    "    elif EVAL_SPLIT > 0:\n",
    "        parts = data.train_test_split(test_size=EVAL_SPLIT, seed=SEED)\n",
    "        splits = {\"train\": parts[\"train\"], \"eval\": parts[\"test\"]}\n",
    "    else:\n",
    "        splits = {\"train\": data}\n",
    "    data = DatasetDict(splits)\n",
    "\n",
    "    labels = None\n",
    "    if TASK == \"mlm\":\n",
    "        def tokenize(batch):\n",
    "            return tokenizer(batch[\"text\"], return_special_tokens_mask=True)\n",
    "\n",
    "        def group(batch):\n",
    "            # one stream of tokens cut into BLOCK_SIZE blocks; the remainder is dropped once one block is full\n",
    "            ids = {k: list(chain.from_iterable(batch[k])) for k in batch.keys()}\n",
    "            total = len(ids[\"input_ids\"])\n",
    "            if total >= BLOCK_SIZE:\n",
    "                total = total // BLOCK_SIZE * BLOCK_SIZE\n",
    "            return {k: [v[i:i + BLOCK_SIZE] for i in range(0, total, BLOCK_SIZE)] for k, v in ids.items()}\n",
    "\n",
    "        data = data.map(tokenize, batched=True, remove_columns=data[\"train\"].column_names)\n",
    "        data = data.map(group, batched=True, batch_size=None)\n",
    "        try:\n",
    "            collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=MLM_PROBABILITY,\n",
    "                                                       whole_word_mask=WHOLE_WORD_MASK)\n",
    "        except TypeError:  # transformers < 4.56: a separate collator for whole words\n",
    "            cls = DataCollatorForWholeWordMask if WHOLE_WORD_MASK else DataCollatorForLanguageModeling\n",
    "            collator = cls(tokenizer, mlm_probability=MLM_PROBABILITY)\n",
    "        if MODEL:\n",
    "            model = AutoModelForMaskedLM.from_pretrained(MODEL)\n",
    "        else:\n",
    "            model = AutoModelForMaskedLM.from_config(AutoConfig.from_pretrained(CONFIG))\n",
    "    elif TASK == \"seqcls\":\n",
    "        if REGRESSION:\n",
    "            num_labels = 1\n",
    "        else:\n",
    "            labels = label_names([r[\"label\"] for r in train_rows + (eval_rows or [])])\n",
    "            num_labels = len(labels)\n",
    "\n",
    "        def encode(batch):\n",
    "            pair = batch[\"text_pair\"] if \"text_pair\" in batch else None\n",
    "            enc = tokenizer(batch[\"text\"], pair, truncation=True, max_length=BLOCK_SIZE)\n",
    "            if REGRESSION:\n",
    "                enc[\"labels\"] = [float(v) for v in batch[\"label\"]]\n",
    "            else:\n",
    "                enc[\"labels\"] = [labels.index(v) for v in batch[\"label\"]]\n",
    "            return enc\n",
    "\n",
    "        data = data.map(encode, batched=True, remove_columns=data[\"train\"].column_names)\n",
    "        collator = DataCollatorWithPadding(tokenizer)\n",
    "        extra = {\"problem_type\": \"regression\"} if REGRESSION else {\n",
    "            \"id2label\": dict(enumerate(labels)), \"label2id\": {n: i for i, n in enumerate(labels)}}\n",
    "        if MODEL:\n",
    "            model = AutoModelForSequenceClassification.from_pretrained(MODEL, num_labels=num_labels,\n",
    "                                                                       ignore_mismatched_sizes=True, **extra)\n",
    "        else:\n",
    "            config = AutoConfig.from_pretrained(CONFIG, num_labels=num_labels, **extra)\n",
    "            model = AutoModelForSequenceClassification.from_config(config)\n",
    "    else:\n",
    "        labels = label_names([t for r in train_rows + (eval_rows or []) for t in r[\"tags\"]])\n",
    "\n",
    "        def encode(batch):\n",
    "            enc = tokenizer(batch[\"words\"], is_split_into_words=True, truncation=True, max_length=BLOCK_SIZE)\n",
    "            enc[\"labels\"] = []\n",
    "            for i, tags in enumerate(batch[\"tags\"]):\n",
    "                # the tag on each word's first sub-token, -100 on the rest and on specials\n",
    "                row, previous = [], None\n",
    "                for w in enc.word_ids(i):\n",
    "                    row.append(-100 if w is None or w == previous else labels.index(tags[w]))\n",
    "                    previous = w\n",
    "                enc[\"labels\"].append(row)\n",
    "            return enc\n",
    "\n",
    "        data = data.map(encode, batched=True, remove_columns=data[\"train\"].column_names)\n",
    "        collator = DataCollatorForTokenClassification(tokenizer)\n",
    "        extra = {\"id2label\": dict(enumerate(labels)), \"label2id\": {n: i for i, n in enumerate(labels)}}\n",
    "        if MODEL:\n",
    "            model = AutoModelForTokenClassification.from_pretrained(MODEL, num_labels=len(labels),\n",
    "                                                                    ignore_mismatched_sizes=True, **extra)\n",
    "        else:\n",
    "            config = AutoConfig.from_pretrained(CONFIG, num_labels=len(labels), **extra)\n",
    "            model = AutoModelForTokenClassification.from_config(config)\n",
    "\n",
    "    base = model.base_model\n",
    "    if FREEZE_EMBEDDINGS:\n",
    "        for p in base.embeddings.parameters():\n",
    "            p.requires_grad = False\n",
    "    for layer in base.encoder.layer[:FREEZE_LAYERS]:\n",
    "        for p in layer.parameters():\n",
    "            p.requires_grad = False\n",
    "\n",
    "    def metrics(pred):\n",
    "        logits, gold = pred\n",
    "        if TASK == \"seqcls\" and REGRESSION:\n",
    "            return {\"mse\": float(((logits.reshape(-1) - gold) ** 2).mean())}\n",
    "        guess = logits.argmax(-1)\n",
    "        keep = gold != -100\n",
    "        guess, gold = guess[keep], gold[keep]\n",
    "        f1s = []\n",
    "        for k in range(len(labels)):\n",
    "            tp = int(((guess == k) & (gold == k)).sum())\n",
    "            fp = int(((guess == k) & (gold != k)).sum())\n",
    "            fn = int(((guess != k) & (gold == k)).sum())\n",
    "            if tp + fp + fn:\n",
    "                f1s.append(2 * tp / (2 * tp + fp + fn))\n",
    "        return {\"accuracy\": float((guess == gold).mean()), \"f1\": sum(f1s) / max(len(f1s), 1)}\n",
    "\n",
    "    has_eval = \"eval\" in data\n",
    "    args = TrainingArguments(**training_arguments(per_device, has_eval))\n",
    "    trainer = Trainer(model=model, args=args, train_dataset=data[\"train\"],\n",
    "                      eval_dataset=data[\"eval\"] if has_eval else None, data_collator=collator,\n",
    "                      compute_metrics=metrics if has_eval and TASK != \"mlm\" else None)\n",
    "    trainer.train()\n",
    "    if has_eval and not EVAL_EVERY:\n",
    "        trainer.evaluate()  # bertbench evaluates at the end also without --eval-every\n",
    "    trainer.save_model()  # HF layout: config.json, model.safetensors, tokenizer: loads in bertbench\n",
    "    trainer.save_state()  # OUTPUT_DIR/trainer_state.json: `bertbench follow` reads the run as finished\n",
    "\n",
    "\n",
    "if __name__ == \"__main__\":\n",
    "    main()\n",
    NULL,
};

static void write_script(FILE *f, const train_options *o, const char *out_dir, int argc, char *const *argv) {
    char x[64];
    fputs("#!/usr/bin/env python3\n\"\"\"train_hf.py: a bertbench run for Hugging Face Trainer + accelerate.\n\n", f);
    command_line(f, argc, argv, "Written by: bertbench");
    fputs("Run (README.md beside this file):\n"
          "    accelerate launch --config_file accelerate_config.yaml train_hf.py\n"
          "Follow it from a terminal: bertbench follow OUTPUT_DIR (TensorBoard event files under runs/).\n"
          "\"\"\"\n",
          f);
    fputs(script_imports, f);
    fputs("# ---- the run as bertbench was given it (paths are this machine's: edit them where it runs) ----\n", f);
    fprintf(f, "TASK = \"%s\"\n", train_task_name(o->task));
    fputs("MODEL = ", f), py_path(f, o->model_dir), fputs("  # start from this checkpoint; None: from CONFIG\n", f);
    fputs("CONFIG = ", f), py_path(f, o->config_path), fputc('\n', f);
    char tok[PATH_MAX + 256];
    train_tokenizer_path(o, tok, sizeof tok);
    fputs("TOKENIZER = ", f), py_path(f, tok[0] ? tok : NULL), fputc('\n', f);
    fputs("DATA = ", f), py_path(f, o->data_path), fputc('\n', f);
    fputs("EVAL = ", f), py_path(f, o->eval_path), fputc('\n', f);
    fprintf(f, "FORMAT = \"%s\"\n", format_name(o));
    fprintf(f, "PARAGRAPHS = %s\n", py_bool(o->paragraphs));
    fprintf(f, "SKIP_INVALID_UTF8 = %s\n", py_bool(o->skip_invalid_utf8));
    fmt_float(x, sizeof x, (float)o->eval_split);
    fprintf(f, "EVAL_SPLIT = %s\n", x);
    fprintf(f, "BLOCK_SIZE = %d\n", o->block_size);
    fmt_float(x, sizeof x, o->mlm_probability);
    fprintf(f, "MLM_PROBABILITY = %s\n", x);
    fprintf(f, "WHOLE_WORD_MASK = %s\n", py_bool(o->whole_word_mask));
    fprintf(f, "REGRESSION = %s\n", py_bool(o->regression));
    fprintf(f, "FREEZE_EMBEDDINGS = %s\n", py_bool(o->freeze_embeddings));
    fprintf(f, "FREEZE_LAYERS = %d\n", o->freeze_layers);
    fprintf(f, "BATCH_SIZE = %d\n", o->batch_size);
    fprintf(f, "SEED = %llu\n", (unsigned long long)o->seed);
    fprintf(f, "EVAL_EVERY = %ld\n", o->eval_every);
    fputs("OUTPUT_DIR = ", f), py_path(f, out_dir), fputs("\n\n\n", f);
    fputs("def training_arguments(per_device, has_eval):\n    return dict(\n        output_dir=OUTPUT_DIR,\n", f);
    fmt_float(x, sizeof x, o->adam.lr);
    fprintf(f, "        learning_rate=%s,\n", x);
    fputs("        per_device_train_batch_size=per_device,\n        per_device_eval_batch_size=per_device,\n", f);
    fprintf(f, "        gradient_accumulation_steps=%d,\n", o->grad_accum);
    if (o->max_steps > 0)
        fprintf(f, "        max_steps=%ld,\n", o->max_steps);
    else
        fprintf(f, "        num_train_epochs=%d,\n", o->epochs);
    if (o->warmup_steps >= 0) {
        fprintf(f, "        warmup_steps=%ld,\n", o->warmup_steps);
    } else {
        fmt_float(x, sizeof x, o->warmup_ratio);
        fprintf(f, "        warmup_ratio=%s,\n", x);
    }
    fprintf(f, "        lr_scheduler_type=\"%s\",\n", hf_schedule(o->sched));
    fmt_float(x, sizeof x, o->adam.weight_decay);
    fprintf(f, "        weight_decay=%s,\n", x);
    fmt_float(x, sizeof x, o->adam.beta1);
    fprintf(f, "        adam_beta1=%s,\n", x);
    fmt_float(x, sizeof x, o->adam.beta2);
    fprintf(f, "        adam_beta2=%s,\n", x);
    fmt_float(x, sizeof x, o->adam.eps);
    fprintf(f, "        adam_epsilon=%s,\n", x);
    fmt_float(x, sizeof x, o->max_grad_norm);
    fprintf(f, "        max_grad_norm=%s,  # 0: no clipping, in both\n", x);
    fputs("        seed=SEED,\n        data_seed=SEED,\n", f);
    if (o->log_every > 0)
        fprintf(f, "        logging_strategy=\"steps\",\n        logging_steps=%ld,\n", o->log_every);
    else
        fputs("        logging_strategy=\"no\",\n", f);
    fputs("        eval_strategy=\"steps\" if has_eval and EVAL_EVERY else \"no\",\n", f);
    fputs("        eval_steps=EVAL_EVERY or None,\n", f);
    if (o->save_every > 0)
        fprintf(f, "        save_strategy=\"steps\",\n        save_steps=%ld,\n", o->save_every);
    else
        fputs("        save_strategy=\"no\",\n", f);
    fputs("        report_to=[\"tensorboard\"],\n    )\n", f);
    for (int i = 0; script_body[i]; i++) fputs(script_body[i], f);
}

static const char accelerate_yaml[] =
    "# accelerate launch --config_file accelerate_config.yaml train_hf.py\n"
    "# Data parallel over the GPUs of one machine: num_processes = how many (every process takes a share\n"
    "# of the batch, see README.md). Several machines: num_machines, machine_rank, main_process_ip/port.\n"
    "compute_environment: LOCAL_MACHINE\n"
    "distributed_type: MULTI_GPU\n"
    "num_machines: 1\n"
    "machine_rank: 0\n"
    "num_processes: 2\n"
    "gpu_ids: all\n"
    "main_process_port: 29500\n"
    "mixed_precision: 'no'\n"
    "downcast_bf16: 'no'\n"
    "rdzv_backend: static\n"
    "same_network: true\n"
    "use_cpu: false\n"
    "tpu_env: []\n";

static void write_readme(FILE *f, const train_options *o, const char *out_dir, int argc, char *const *argv) {
    char od[PATH_MAX + 256];
    abs_path(od, sizeof od, out_dir);
    fprintf(f, "# A bertbench %s run for Hugging Face Trainer + accelerate\n\n", train_task_name(o->task));
    fputs("Written, without training anything, by\n\n", f);
    command_line(f, argc, argv, "    bertbench");
    fputs("\n## Run it\n\n"
          "    pip install torch 'transformers>=4.41' datasets accelerate tensorboard\n"
          "    accelerate launch --config_file accelerate_config.yaml train_hf.py\n\n"
          "Set `num_processes` in accelerate_config.yaml to the number of GPUs. On several machines add\n"
          "`--num_machines N --machine_rank R --main_process_ip HOST` on each. The data, model and tokenizer\n"
          "paths at the top of train_hf.py are this machine's: copy the files along and edit them there.\n\n"
          "## Follow it\n\n",
          f);
    fprintf(f, "The run writes TensorBoard event files under `%s/runs/`, checkpoint-N/ directories with\n"
               "trainer_state.json, and at the end the model and trainer_state.json in the directory itself.\n\n"
               "    bertbench follow %s          # JSON lines as points arrive; --once for one object\n"
               "    bertbench                    # then, in the workbench: follow %s\n\n"
               "On another machine, follow a copy that grows (`rsync -a` in a loop, or sshfs). The final model\n"
               "and every checkpoint load back into bertbench: `bertbench --model %s`.\n\n",
            od, od, od, od);
    fputs("## What differs from bertbench's own trainer\n\n"
          "- Same settings, not the same numbers: shuffling, masking and dropout draw from torch's RNG, and the\n"
          "  eval split is datasets' `train_test_split(seed=SEED)`, so the curves agree in distribution, not\n"
          "  step for step.\n"
          "- Batch: the global batch stays BATCH_SIZE x gradient_accumulation_steps (the same optimizer steps)\n"
          "  when BATCH_SIZE divides by the number of processes; otherwise each process takes BATCH_SIZE and the\n"
          "  global batch grows with the GPUs (scale the learning rate or the steps to match).\n"
          "- HF logs `eval/loss`; bertbench's MLM perplexity is exp(eval/loss). Tokens per second are not logged.\n"
          "- float32 like bertbench; on GPUs with bf16, `bf16=True` in training_arguments is the usual speed-up.\n",
          f);
    if (o->task == TRAIN_TASK_SEQCLS && o->pool != BERT_POOL_POOLER)
        fprintf(f, "- `--pool %s`: HF's sequence classifier always reads the pooler output; this run uses the "
                   "pooler.\n", o->pool == BERT_POOL_CLS ? "cls" : "mean");
    if (o->config_path && o->position_init)
        fputs("- `--position-init sinusoidal`: HF initialises position embeddings N(0, initializer_range).\n", f);
    if (o->resume_dir)
        fputs("- `--resume`: bertbench's optimizer state does not carry over; the run starts at step 0 (start from "
              "the checkpoint's weights with --model CHECKPOINT).\n", f);
    if (o->threads)
        fputs("- `--threads`: not used; accelerate places one process per GPU.\n", f);
}

typedef void (*writer_fn)(FILE *f, const train_options *o, const char *out_dir, int argc, char *const *argv);

static void write_yaml(FILE *f, const train_options *o, const char *out_dir, int argc, char *const *argv) {
    fputs(accelerate_yaml, f);
}

int train_export_hf(const train_options *o, const char *dir, int argc, char *const *argv, char *err, size_t errlen) {
    const char *need[3] = {o->data_path, o->eval_path, o->model_dir ? o->model_dir : o->config_path};
    for (int i = 0; i < 3; i++)
        if (need[i] && access(need[i], R_OK) != 0)
            return bb_err(err, errlen, BB_EIO, "%s: %s", need[i], strerror(errno));
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return bb_err(err, errlen, BB_EIO, "%s: cannot create: %s", dir, strerror(errno));
    char out_dir[PATH_MAX + 64];
    if (o->out_dir)
        snprintf(out_dir, sizeof out_dir, "%s", o->out_dir);
    else
        snprintf(out_dir, sizeof out_dir, "%s/output", dir);
    static const char *names[3] = {"train_hf.py", "accelerate_config.yaml", "README.md"};
    writer_fn fns[3] = {write_script, write_yaml, write_readme};
    for (int i = 0; i < 3; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        bb_atomic_file af;
        int rc = bb_atomic_open(&af, path, err, errlen);
        if (rc != BB_OK) return rc;
        fns[i](af.fp, o, out_dir, argc, argv);
        if ((rc = bb_atomic_commit(&af, ferror(af.fp), err, errlen)) != BB_OK) return rc;
    }
    return BB_OK;
}
