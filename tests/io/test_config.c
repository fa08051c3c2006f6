/* config.json: the fixture configs load; bad values are errors that name the key; save round-trips. */
#include <unistd.h>

#include "bb_err.h"
#include "check.h"
#include "config.h"

static int parse(const char *json, bert_config *c, char *err, size_t n) {
    return bert_config_parse(c, json, strlen(json), "cfg.json", err, n);
}

static void expect_error(const char *json, const char *key) {
    bert_config c;
    char err[256] = "";
    int rc = parse(json, &c, err, sizeof err);
    CHECK(rc != BB_OK, "should fail: %s", json);
    CHECK(strstr(err, key) && strstr(err, "cfg.json"), "message names '%s' and the file: %s", key, err);
    if (rc == BB_OK) bert_config_free(&c);
}

int main(void) {
    /* fixtures first: a SKIP must not hide failures of the checks that do not need them */
    const char *dir = check_fixtures();
    char err[256] = "";
    bert_config c;
    CHECK_OK(parse("{\"model_type\":\"bert\",\"hidden_size\":32,\"num_hidden_layers\":2,\"num_attention_heads\":4,"
                   "\"intermediate_size\":64,\"hidden_act\":\"gelu_new\",\"vocab_size\":100,\"id2label\":{\"0\":\"neg\",\"1\":\"pos\",\"2\":\"neu\"}}",
                   &c, err, sizeof err),
             err);
    CHECK(c.hidden_size == 32 && c.num_layers == 2 && c.num_heads == 4 && c.intermediate_size == 64, "sizes");
    CHECK(c.act == BB_ACT_GELU_TANH && c.vocab_size == 100 && c.max_position == 512, "act and defaults");
    CHECK(c.num_labels == 3 && strcmp(c.id2label[2], "neu") == 0, "labels");
    char path[256];
    snprintf(path, sizeof path, "/tmp/bb_test_config_%ld.json", (long)getpid());
    CHECK_OK(bert_config_save(&c, path, err, sizeof err), err);
    bert_config d;
    CHECK_OK(bert_config_load(&d, path, err, sizeof err), err);
    CHECK(d.hidden_size == 32 && d.act == BB_ACT_GELU_TANH && d.num_labels == 3 && strcmp(d.id2label[1], "pos") == 0,
          "saved config reloads");
    bert_config_free(&d);
    bert_config_free(&c);
    unlink(path);

    expect_error("{\"hidden_size\":30,\"num_attention_heads\":4}", "num_attention_heads");
    expect_error("{\"hidden_act\":\"swish\"}", "hidden_act");
    expect_error("{\"hidden_size\":\"big\"}", "hidden_size");
    expect_error("{\"num_hidden_layers\":1.5}", "num_hidden_layers");
    expect_error("{\"model_type\":\"gpt2\"}", "model_type");
    expect_error("{\"vocab_size\":10,\"pad_token_id\":10}", "pad_token_id");
    expect_error("{\"id2label\":{\"0\":\"a\",\"5\":\"b\"}}", "id2label");
    expect_error("{\"layer_norm_eps\":-1}", "layer_norm_eps");
    expect_error("[1]", "not a JSON object");
    expect_error("{", "not valid JSON");
    /* as json.loads: text after the object is an error; the last of repeated keys wins (nested too) */
    expect_error("{\"hidden_size\":32} {\"x\":1}", "text after the JSON value");
    expect_error("{\"position_embedding_type\":\"relative_key\"}", "relative_key is not supported");
    const char *dup = "{\"hidden_size\":30,\"num_attention_heads\":2,\"hidden_size\":32,"
                      "\"id2label\":{\"0\":\"a\",\"1\":\"b\",\"0\":\"c\"}}  \n";
    CHECK_OK(bert_config_parse(&c, dup, strlen(dup), "dup", err, sizeof err), err);
    CHECK(c.hidden_size == 32 && c.num_labels == 2 && strcmp(c.id2label[0], "c") == 0, "last duplicate key wins");
    bert_config_free(&c);
    CHECK(bert_config_load(&c, "/nonexistent/config.json", err, sizeof err) == BB_EIO, "missing file");

    const char *models[] = {"bert_tiny_a", "bert_tiny_b"};
    const bb_act want_act[] = {BB_ACT_GELU, BB_ACT_GELU_TANH};
    const int want_c[] = {32, 48}, want_l[] = {2, 3};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s/config.json", dir, models[i]);
        CHECK_OK(bert_config_load(&c, path, err, sizeof err), err);
        CHECK(c.hidden_size == want_c[i] && c.num_layers == want_l[i] && c.act == want_act[i] &&
                  c.vocab_size == 30522 && c.layer_norm_eps == 1e-12f,
              "%s fields", models[i]);
        bert_config_free(&c);
    }
    return check_done();
}
