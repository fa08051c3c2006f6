/* Models whose tokenizer is SentencePiece: an XLM-R-shaped RoBERTa directory built here (config.json with
 * model_type xlm-roberta sized to unigram_8k.model's 8,000 pieces + 2, random weights from bert_create)
 * with the fixture model linked in as sentencepiece.bpe.model, and a second one with that tokenizer
 * written as a Unigram tokenizer.json. Both load through infer_open: fairseq ids (<s> 0, <pad> 1, </s> 2,
 * <unk> 3, <mask> 8001), fill-mask with <mask>, attention rows that sum to one. */
#include <unistd.h>

#include "check.h"
#include "bert.h"
#include "config.h"
#include "infer.h"
#include "st.h"
#include "tok.h"

/* Built as a BERT (bert_save writes BERT only) and then relabelled: the shapes are XLM-R's (one token
 * type, 66 positions = 64 + RoBERTa's offset of 2), and the loader takes either tensor spelling. */
static const char *cfg_fmt =
    "{\"model_type\": \"%s\", \"vocab_size\": 8002, \"hidden_size\": 32, \"num_hidden_layers\": 2,"
    " \"num_attention_heads\": 4, \"intermediate_size\": 64, \"max_position_embeddings\": 66,"
    " \"type_vocab_size\": 1, \"pad_token_id\": 1, \"bos_token_id\": 0, \"eos_token_id\": 2,"
    " \"layer_norm_eps\": 1e-5, \"hidden_act\": \"gelu\", \"initializer_range\": 0.02}";

/* Renames the encoder's tensors from "bert." to "roberta." (the names XLM-R checkpoints use). */
static void to_roberta(const char *dir) {
    char err[512], path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    st_file *f = NULL;
    CHECK_OK(st_open(&f, path, err, sizeof err), err);
    if (!f) return;
    int n = st_count(f);
    st_entry *e = calloc((size_t)n, sizeof *e);
    char (*names)[256] = calloc((size_t)n, 256);
    float **data = calloc((size_t)n, sizeof *data);
    for (int i = 0; e && names && data && i < n; i++) {
        const st_tensor *t = st_at(f, i);
        snprintf(names[i], 256, "%s%s", strncmp(t->name, "bert.", 5) == 0 ? "roberta." : "",
                 strncmp(t->name, "bert.", 5) == 0 ? t->name + 5 : t->name);
        data[i] = malloc(sizeof(float) * (size_t)t->numel);
        CHECK_OK(st_read_f32(t, data[i], t->numel, err, sizeof err), err);
        e[i] = (st_entry){.name = names[i], .data = data[i], .ndim = t->ndim};
        memcpy(e[i].shape, t->shape, sizeof t->shape);
    }
    st_close(f);
    CHECK_OK(st_write(path, e, n, err, sizeof err), err);
    for (int i = 0; data && i < n; i++) free(data[i]);
    free(e), free(names), free(data);
}

static void check_model(const char *dir) {
    char err[512];
    infer_ctx *cx = NULL;
    CHECK_OK(infer_open(&cx, dir, NULL, TOK_CASE_AUTO, err, sizeof err), err);
    if (!cx) return;
    tok_special_ids sp = tok_specials(cx->tok);
    CHECK(sp.cls == 0 && sp.pad == 1 && sp.sep == 2 && sp.unk == 3 && sp.mask == 8001,
          "%s: fairseq ids cls %d pad %d sep %d unk %d mask %d", dir, sp.cls, sp.pad, sp.sep, sp.unk, sp.mask);
    infer_fill fm;
    int rc = infer_fill_mask(cx, "The capital of France is <mask>.", 5, NULL, 0, &fm, err, sizeof err);
    CHECK(rc == BB_OK, "%s: fill-mask: %s", dir, err);
    if (rc == BB_OK) {
        CHECK(fm.n_masks == 1 && fm.masks[0].k == 5, "%s: one mask, five predictions", dir);
        CHECK(fm.enc->n > 3 && fm.enc->ids[0] == 0 && fm.enc->ids[fm.enc->n - 1] == 2, "%s: <s> ... </s>", dir);
        if (fm.n_masks == 1) {
            CHECK(fm.enc->ids[fm.masks[0].position] == 8001, "%s: the mask position holds <mask>", dir);
            float sum = 0;
            for (int k = 0; k < fm.masks[0].k; k++) sum += fm.masks[0].preds[k].score;
            CHECK(sum > 0 && sum <= 1.0001f && fm.masks[0].preds[0].token_str, "%s: scores %g", dir, sum);
        }
        infer_fill_free(&fm);
    }
    infer_attn at;
    rc = infer_attention(cx, "Bonjour le monde", NULL, &at, NULL, err, sizeof err);
    CHECK(rc == BB_OK, "%s: attention: %s", dir, err);
    if (rc == BB_OK) {
        CHECK(at.L == 2 && at.NH == 4 && at.T == at.enc->n && at.T >= 4, "%s: attention shape", dir);
        const float *p = infer_attn_head(&at, 1, 3);
        for (int q = 0; q < at.T; q++) {
            float s = 0;
            for (int k = 0; k < at.T; k++) s += p[q * at.T + k];
            CHECK(fabsf(s - 1) < 1e-4f, "%s: row %d sums to %g", dir, q, s);
        }
        infer_attn_free(&at);
    }
    infer_close(cx);
}

int main(void) {
    const char *fx = check_fixtures();
    char err[512], src[4096], dir[256], dir2[256], path[512];
    snprintf(src, sizeof src, "%s/sentencepiece/unigram_8k.model", fx);
    if (access(src, R_OK) != 0) {
        CHECK(0, "%s missing", src);
        return check_done();
    }
    snprintf(dir, sizeof dir, "/tmp/bb_xlmr_%d", (int)getpid());
    snprintf(dir2, sizeof dir2, "/tmp/bb_xlmr_json_%d", (int)getpid());
    bert_config cfg;
    bert_model *m = NULL;
    char cfg_json[1024];
    snprintf(cfg_json, sizeof cfg_json, cfg_fmt, "bert");
    CHECK_OK(bert_config_parse(&cfg, cfg_json, strlen(cfg_json), "config", err, sizeof err), err);
    CHECK_OK(bert_create(&m, &cfg, 7, err, sizeof err), err);
    bert_config_free(&cfg);
    if (!m) return check_done();
    CHECK_OK(bert_save(m, dir, err, sizeof err), err);
    CHECK_OK(bert_save(m, dir2, err, sizeof err), err);
    bert_free(m);
    snprintf(cfg_json, sizeof cfg_json, cfg_fmt, "xlm-roberta");
    for (int k = 0; k < 2; k++) {
        to_roberta(k ? dir2 : dir);
        snprintf(path, sizeof path, "%s/config.json", k ? dir2 : dir);
        FILE *f = fopen(path, "w");
        CHECK(f && fputs(cfg_json, f) >= 0, "write %s", path);
        if (f) fclose(f);
    }
    snprintf(path, sizeof path, "%s/sentencepiece.bpe.model", dir);
    CHECK(symlink(src, path) == 0, "symlink %s", path);
    check_model(dir);
    /* The same tokenizer as a Unigram tokenizer.json (HF's converter form) in the second directory. */
    tok_tokenizer *tk = NULL;
    CHECK_OK(tok_load_dir(&tk, dir, TOK_CASE_AUTO, err, sizeof err), err);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir2);
    if (tk) CHECK_OK(tok_save_json(tk, path, err, sizeof err), err);
    tok_free(tk);
    check_model(dir2);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", dir, dir2);
    CHECK(system(cmd) == 0, "cleanup");
    return check_done();
}
