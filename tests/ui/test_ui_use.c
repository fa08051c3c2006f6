/* The workbench on weights other than the loaded model's, without a terminal or a trainer: ui_app_use
 * puts a snapshot (here bert_tiny_a with a changed MLM bias, standing for a run's weights) under every
 * pane and `use model` puts the loaded model back; the fill-mask pane names the weights of its ranking,
 * a ranking stays drawable after the tokenizer that made it was freed, a load drops the snapshot, and
 * `use` / `watch` answer without a run. Run under ASan (scripts/dev test) the frees are checked too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ui_app.h"
#include "ui_cmd.h"
#include "ui_session.h"
#include "ui_screen.h"

static const char *text = "the cat sat on the [MASK] .";
static char vocab[1024], model_dir[1024];

/* bert_tiny_a whose MLM bias favours one token, and a tokenizer of its own. */
static void snapshot(bert_model **m, tok_tokenizer **tk, int32_t favour) {
    char err[512];
    CHECK_OK(bert_load(m, model_dir, err, sizeof err), err);
    CHECK_OK(tok_load_vocab(tk, vocab, 1, err, sizeof err), err);
    if (*m && (*m)->params.mlm_bias) (*m)->params.mlm_bias[favour] += 50.0f;
}

/* The text with the first mask's top prediction filled in, as the pane shows it, on cx. */
static const char *top_word(infer_ctx *cx, char *buf, size_t n) {
    char err[512];
    infer_fill fm;
    buf[0] = 0;
    if (infer_fill_mask(cx, text, 1, NULL, 0, &fm, err, sizeof err) != BB_OK) return buf;
    if (fm.n_masks > 0 && fm.masks[0].k > 0) snprintf(buf, n, "%s", fm.masks[0].preds[0].sequence);
    infer_fill_free(&fm);
    return buf;
}

/* 1 when s is on the screen (want 1) or absent (want 0); prints the screen otherwise. */
static int on_screen_is(ui_app *app, const char *s, int want) {
    char *t = screen(app);
    int ok = t && (strstr(t, s) != NULL) == want;
    if (!ok) fprintf(stderr, "'%s' %s on the screen:\n%s\n", s, want ? "not" : "", t ? t : "");
    free(t);
    return ok;
}

static int on_screen(ui_app *app, const char *s) { return on_screen_is(app, s, 1); }

int main(void) {
    char err[512], want[64], got[64], line[160];
    const char *fx = check_fixtures();
    snprintf(vocab, sizeof vocab, "%s/vocab/bert-base-uncased-vocab.txt", fx);
    snprintf(model_dir, sizeof model_dir, "%s/bert_tiny_a", fx);
    ui_app app;
    CHECK_OK(ui_app_init(&app, NULL, vocab, err, sizeof err), err);
    CHECK_OK(ui_app_load(&app, model_dir, err, sizeof err), err);
    ui_app_wait_jobs(&app);
    CHECK(app.model && app.tk, "model loaded: %s", app.msg);
    bert_model *loaded = app.model;
    tok_tokenizer *loaded_tk = app.tk;
    char loaded_top[64];
    top_word(app.cx, loaded_top, sizeof loaded_top);

    CHECK(ui_cmd_run(&app, "use model") == BB_OK && strstr(app.msg, "already on the loaded model"), "use model: %s",
          app.msg);
    CHECK(ui_cmd_run(&app, "mask the cat sat on the [MASK] .") == BB_OK, "mask runs");
    ui_app_wait_jobs(&app);
    snprintf(line, sizeof line, "[MASK] #0 (token 6): %s", loaded_top);
    CHECK(on_screen(&app, line), "loaded model's ranking");
    CHECK(on_screen_is(&app, "weights:", 0), "no weights label for the loaded model");

    /* a snapshot under every pane: the fill-mask pane recomputes and names it, so does the tab bar */
    bert_model *m;
    tok_tokenizer *tk;
    int32_t dog = tok_token_to_id(loaded_tk, "dog");
    snapshot(&m, &tk, dog);
    ui_app_use(&app, m, tk, "run-x at step 7");
    ui_app_wait_jobs(&app);
    CHECK(app.model == m && app.tk == tk && app.loaded_model == loaded && app.loaded_tk == loaded_tk,
          "snapshot in use, loaded model kept aside");
    top_word(app.cx, want, sizeof want);
    CHECK(strcmp(want, "the cat sat on the dog.") == 0, "the snapshot's bias wins: %s", want);
    CHECK(on_screen(&app, "weights: run-x at step 7") && on_screen(&app, "the cat sat on the dog"),
          "fill-mask recomputed on the snapshot and labelled");
    CHECK(ui_cmd_run(&app, "model") == BB_OK && on_screen(&app, "weights        run-x at step 7"), "model names it");
    CHECK(ui_cmd_run(&app, "pane fill-mask") == BB_OK, "back to fill-mask");

    /* a newer snapshot replaces the older one; the loaded model stays aside */
    int32_t house = tok_token_to_id(loaded_tk, "house");
    snapshot(&m, &tk, house);
    ui_app_use(&app, m, tk, "run-x at step 9");
    CHECK(app.loaded_model == loaded && app.model == m, "second snapshot");
    /* before the recomputation finishes the pane still draws step 7's ranking, whose tokenizer is gone */
    CHECK(on_screen(&app, "weights: run-x at step 7") && on_screen(&app, " dog "), "older ranking drawn meanwhile");
    ui_app_wait_jobs(&app);
    CHECK(on_screen(&app, "weights: run-x at step 9") && on_screen(&app, "the cat sat on the house"), "newer ranking");

    /* `use model`: a job, so work queued before it finishes on the snapshot */
    CHECK(ui_cmd_run(&app, "use model") == BB_OK, "use model runs");
    ui_app_wait_jobs(&app);
    CHECK(app.model == loaded && app.tk == loaded_tk && !app.loaded_model && !app.using_run[0], "loaded model back");
    top_word(app.cx, got, sizeof got);
    CHECK(strcmp(got, loaded_top) == 0, "same ranking as before: %s / %s", got, loaded_top);
    CHECK(on_screen(&app, line) && strstr(app.msg, "loaded model again"), "pane back on the loaded model: %s", app.msg);
    CHECK(on_screen_is(&app, "weights:", 0), "no snapshot named");

    /* a load while a snapshot is in use: the snapshot goes, the new load is the loaded model */
    snapshot(&m, &tk, dog);
    ui_app_use(&app, m, tk, "run-x at step 11");
    ui_app_wait_jobs(&app);
    CHECK_OK(ui_app_load(&app, model_dir, err, sizeof err), err);
    ui_app_wait_jobs(&app);
    CHECK(app.model && app.model != m && !app.loaded_model && !app.using_run[0], "load drops the snapshot");
    top_word(app.cx, got, sizeof got);
    CHECK(strcmp(got, loaded_top) == 0, "loaded ranking after the load: %s", got);

    /* without a run */
    CHECK(ui_cmd_run(&app, "use run") != BB_OK && strstr(app.msg, "no run is training"), "use run: %s", app.msg);
    CHECK(ui_cmd_run(&app, "use it") != BB_OK && strstr(app.msg, "`use run`"), "use: usage: %s", app.msg);
    CHECK(ui_cmd_run(&app, "watch 0") != BB_OK && strstr(app.msg, "number of steps"), "watch 0: %s", app.msg);
    CHECK(ui_cmd_run(&app, "watch 5") == BB_OK && strstr(app.msg, "every 5 steps, from the next run's start"),
          "watch 5: %s", app.msg);
    CHECK(ui_sess_of(&app)->watch_every == 5, "watch set");
    CHECK(ui_cmd_run(&app, "watch") == BB_OK && strstr(app.msg, "every 5 steps"), "watch: %s", app.msg);
    CHECK(ui_cmd_run(&app, "watch off") == BB_OK && ui_sess_of(&app)->watch_every == 0, "watch off");
    char **mt = ui_cmd_complete("use ", 4, 4, "", &app);
    CHECK(mt && mt[1] && mt[2] && !strcmp(mt[1], "run") && !strcmp(mt[2], "model"), "use completes run, model");
    for (int i = 0; mt && mt[i]; i++) free(mt[i]);
    free(mt);
    ui_app_free(&app);
    return check_done();
}
