/* The workbench's commands: a table of {name, alias, args, help, fn}; fn(app, args, err, errlen)
 * returns a status and its message goes to the message line. Nothing here touches curses. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_hub.h"
#include "ui_cmd.h"
#include "ui_session.h"

static const char *skip_ws(const char *s) {
    while (*s && isspace((unsigned char)*s)) s++;
    return s;
}

/* Copies the first word of s into w (cap bytes) and returns the rest after its spaces. */
const char *ui_cmd_first_word(const char *s, char *w, size_t cap) {
    s = skip_ws(s);
    size_t n = 0;
    while (s[n] && !isspace((unsigned char)s[n])) n++;
    snprintf(w, cap, "%.*s", (int)n, s);
    return skip_ws(s + n);
}

int ui_cmd_need_text(const char *args, const char *cmd, char *err, size_t errlen) {
    if (!*args) return bb_err(err, errlen, BB_EINVAL, "%s: give a text, e.g. `%s The cat sat on the mat.`", cmd, cmd);
    return BB_OK;
}

char *ui_split_pair(char *s) {
    char *sep = strstr(s, "|||");
    if (!sep) return NULL;
    char *b = sep + 3;
    while (sep > s && sep[-1] == ' ') sep--;
    *sep = 0;
    while (*b == ' ') b++;
    return b;
}

static int cmd_load(ui_app *app, const char *args, char *err, size_t errlen) {
    if (!*args)
        return bb_err(err, errlen, BB_EINVAL,
                      "load: give a model directory (config.json + model.safetensors or pytorch_model.bin) or a "
                      "Hub id from the local cache (`bertbench models` lists them)");
    char what[1024]; /* without the space that Tab completion leaves after a name */
    size_t n = strlen(args);
    while (n && isspace((unsigned char)args[n - 1])) n--;
    snprintf(what, sizeof what, "%.*s", (int)n, args);
    return ui_app_load(app, what, err, errlen);
}

static int cmd_vocab(ui_app *app, const char *args, char *err, size_t errlen) {
    if (!*args) return bb_err(err, errlen, BB_EINVAL, "vocab: give a vocab.txt, tokenizer.json or model directory");
    return ui_app_load_vocab(app, args, err, errlen);
}

void ui_fmt_count(char *out, size_t n, long v) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%ld", v < 0 ? -v : v);
    size_t len = strlen(tmp), o = 0;
    if (v < 0 && n > 1) out[o++] = '-';
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0) out[o++] = ',';
        out[o++] = tmp[i];
    }
    out[o] = 0;
}

static int cmd_model(ui_app *app, const char *args, char *err, size_t errlen) {
    char text[4096];
    size_t o = 0;
#define ADD(...) o += (size_t)snprintf(text + o, o < sizeof text ? sizeof text - o : 0, __VA_ARGS__)
    if (app->model) {
        const bert_model *m = app->model;
        const bert_config *c = &m->cfg;
        ADD("directory      %s\n", app->model_dir);
        if (app->mismatch[0]) ADD("tokenizer      does not match the model: %s\n", app->mismatch);
        if (app->using_run[0])
            ADD("weights        %s (a snapshot of the training run; `use model` goes back to the loaded ones)\n",
                app->using_run);
        ADD("layers %d, heads %d (head size %d), hidden %d, intermediate %d, activation %s\n", c->num_layers,
            c->num_heads, c->hidden_size / c->num_heads, c->hidden_size, c->intermediate_size, bert_act_name(c->act));
        ADD("max positions %d, type vocabulary %d, vocabulary %d\n\n", c->max_position, c->type_vocab_size,
            c->vocab_size);
        size_t cC = (size_t)c->hidden_size, I = (size_t)c->intermediate_size, L = (size_t)c->num_layers;
        size_t emb = ((size_t)c->vocab_size + (size_t)c->max_position + (size_t)c->type_vocab_size) * cC + 2 * cC;
        char a[32], b[32], d[32], e[32];
        ui_fmt_count(a, sizeof a, (long)emb);
        /* q, k, v, attention output (C x C + C each), two LayerNorms (2C each), FFN in and out */
        size_t per_layer = 4 * cC * cC + 4 * cC + 2 * I * cC + I + cC + 4 * cC;
        ui_fmt_count(b, sizeof b, (long)(per_layer * L));
        ui_fmt_count(d, sizeof d, m->has_pooler ? (long)(cC * cC + cC) : 0);
        ui_fmt_count(e, sizeof e, (long)bert_encoder_param_count(c, m->has_pooler));
        ADD("parameters     embeddings %s\n", a);
        ADD("               encoder    %s (%d layers)\n", b, c->num_layers);
        ADD("               pooler     %s\n", d);
        ADD("               total      %s (encoder%s)\n", e, m->has_pooler ? " with pooler" : "");
        ui_fmt_count(a, sizeof a, (long)m->num_params);
        ADD("               with heads %s (MLM %s, NSP %s)\n\n", a, m->has_mlm ? "yes" : "no", m->has_nsp ? "yes" : "no");
    } else {
        ADD("No model loaded. `load DIR` loads a Hugging Face model directory.\n\n");
    }
    if (app->tk) {
        tok_special_ids s = tok_specials(app->tk);
        ADD("tokenizer      %s, vocabulary %d, %s, max length %d (model_max_length %d)\n",
            tok_kind_name(tok_kind(app->tk)), tok_vocab_size(app->tk), tok_lowercase(app->tk) ? "lowercase" : "cased",
            infer_max_length(app->model ? &app->model->cfg : NULL, app->tk), tok_model_max_length(app->tk));
        const char *names[5] = {"cls", "sep", "pad", "mask", "unk"};
        int32_t ids[5] = {s.cls, s.sep, s.pad, s.mask, s.unk};
        ADD("special tokens");
        for (int i = 0; i < 5; i++) {
            const char *t = ids[i] >= 0 ? tok_id_to_token(app->tk, ids[i]) : NULL;
            ADD(" %s=%s(%d)", names[i], t ? t : "-", ids[i]);
        }
        ADD("\n");
    } else {
        ADD("No tokenizer loaded.\n");
    }
#undef ADD
    ui_app_show_text(app, "model", text);
    return BB_OK;
}

static int cmd_layout(ui_app *app, const char *args, char *err, size_t errlen) {
    char w[32];
    ui_cmd_first_word(args, w, sizeof w);
    if (!*w) {
        app->layout = (app->layout + 1) % UI_LAYOUT_COUNT;
    } else {
        int k = -1;
        for (int i = 0; i < UI_LAYOUT_COUNT; i++)
            if (strcmp(w, ui_layout_name(i)) == 0) k = i;
        if (k < 0) return bb_err(err, errlen, BB_EINVAL, "layout: unknown layout '%s' (single, vsplit, hsplit, grid)", w);
        app->layout = k;
    }
    app->zoom = 0;
    app->focus = 0;
    ui_app_message(app, 0, "layout %s (F3 cycles, F4 zooms, F2 moves the focus)", ui_layout_name(app->layout));
    return BB_OK;
}

static int cmd_pane(ui_app *app, const char *args, char *err, size_t errlen) {
    char w[64];
    ui_cmd_first_word(args, w, sizeof w);
    ui_pane *p = ui_app_pane(app, w);
    if (!p) return bb_err(err, errlen, BB_EINVAL, "pane: unknown pane '%s'", w);
    ui_app_show(app, p);
    return BB_OK;
}

/* Export limits: a 512-token heatmap with 2-column cells fits; beyond them the file says what is cut. */
enum { EXPORT_MIN_W = 100, EXPORT_MIN_H = 38, EXPORT_MAX_W = 1100, EXPORT_MAX_H = 4000 };

static int row_blank(const viz_canvas *c, int y) {
    for (int x = 0; x < c->w; x++)
        if (viz_cell_at(c, x, y)->cp != ' ') return 0;
    return 1;
}

static int cmd_export(ui_app *app, const char *args, char *err, size_t errlen) {
    char name[64], path[1024];
    const char *rest = ui_cmd_first_word(args, name, sizeof name);
    ui_cmd_first_word(rest, path, sizeof path);
    ui_pane *p = ui_app_pane(app, name);
    if (!p || !*path)
        return bb_err(err, errlen, BB_EINVAL, "export: usage `export PANE FILE.svg|FILE.txt|FILE.ansi`%s%s",
                      p || !*name ? "" : "; unknown pane ", p ? "" : name);
    /* The pane's whole content (its extent, at least a zoomed 100x38 pane), without the frame, from the top. */
    int need_w = EXPORT_MIN_W, need_h = EXPORT_MIN_H;
    if (p->cls->extent) p->cls->extent(app, p, &need_w, &need_h);
    int w = need_w < EXPORT_MIN_W ? EXPORT_MIN_W : need_w > EXPORT_MAX_W ? EXPORT_MAX_W : need_w;
    int h = need_h < EXPORT_MIN_H ? EXPORT_MIN_H : need_h > EXPORT_MAX_H ? EXPORT_MAX_H : need_h;
    viz_canvas c;
    int st = viz_canvas_init(&c, w, h, err, errlen);
    if (st != BB_OK) return st;
    int scroll = p->scroll;
    p->scroll = 0;
    p->cls->draw(app, p, &c, (viz_rect){0, 0, c.w, c.h});
    p->scroll = scroll;
    /* Still cut: the extent was over the limits, or (a pane that cannot say its extent) the last row is used. */
    char note[160] = "";
    if (w < need_w || h < need_h)
        snprintf(note, sizeof note, "(export cut to %d x %d of the pane's %d x %d columns x rows)", w, h, need_w, need_h);
    else if (!p->cls->extent && !row_blank(&c, h - 1))
        snprintf(note, sizeof note, "(export shows %d rows; the pane may continue below: scroll it and export again)", h);
    int rows = c.h;
    while (rows > 1 && row_blank(&c, rows - 1)) rows--;
    viz_canvas out;
    st = viz_canvas_init(&out, c.w, rows + (note[0] ? 1 : 0), err, errlen);
    if (st == BB_OK) {
        memcpy(out.cells, c.cells, sizeof *c.cells * (size_t)c.w * (size_t)rows);
        if (note[0]) viz_put(&out, 0, rows, out.w, note, (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD});
        st = viz_canvas_save(&out, path, err, errlen);
        viz_canvas_free(&out);
    }
    viz_canvas_free(&c);
    if (st == BB_OK) ui_app_message(app, 0, "exported %s (%d x %d) to %s%s", p->cls->name, w, rows, path, note[0] ? " (cut: the file says where)" : "");
    return st;
}

static int cmd_ws(ui_app *app, const char *args, char *err, size_t errlen) {
    app->show_ws = !app->show_ws;
    ui_app_message(app, 0, "whitespace %s", app->show_ws ? "shown (\xe2\x8b\x85 \xe2\x86\x92 \\n)" : "hidden");
    return BB_OK;
}

static int cmd_quit(ui_app *app, const char *args, char *err, size_t errlen) {
    app->quit = 1;
    return BB_OK;
}

static int cmd_help(ui_app *app, const char *args, char *err, size_t errlen);

/* `messages`: the logged messages, newest first, with the time each was said. */
static int cmd_messages(ui_app *app, const char *args, char *err, size_t errlen) {
    size_t cap = 128 + (size_t)UI_MSG_LOG * (sizeof app->log->text + 48), o = 0;
    char *text = malloc(cap);
    if (!text) return bb_err(err, errlen, BB_ENOMEM, "messages: out of memory");
    o += (size_t)snprintf(text, cap, "The last %d messages, newest first (the log keeps %d):\n\n", app->log_n,
                          UI_MSG_LOG);
    const ui_logged_msg *m;
    for (int i = 0; (m = ui_app_logged(app, i)) != NULL; i++) {
        struct tm tm;
        char when[16] = "--:--:--", times[24] = "";
        if (localtime_r(&m->when, &tm)) strftime(when, sizeof when, "%H:%M:%S", &tm);
        if (m->repeats > 1) snprintf(times, sizeof times, " (x%d)", m->repeats);
        o += (size_t)snprintf(text + o, cap - o, "%s %s %s%s\n", when, m->error ? "error" : "     ", m->text, times);
    }
    if (!app->log_n) snprintf(text + o, cap - o, "No messages yet.\n");
    ui_app_show_text(app, "messages", text);
    free(text);
    return BB_OK;
}

const ui_cmd ui_app_commands[] = {
    {.name = "load", .args = "DIR|ORG/NAME",
     .help = "load a Hugging Face model directory or a cached Hub id (on the worker thread)", .fn = cmd_load,
     .complete = UI_COMPLETE_HUB},
    {.name = "vocab", .args = "FILE",
     .help = "use vocab.txt / tokenizer.json / a model directory as the tokenizer", .fn = cmd_vocab},
    {.name = "model", .args = "", .help = "config, parameter counts, vocabulary and special tokens",
     .fn = cmd_model},
    {.name = "layout", .args = "[single|vsplit|hsplit|grid]",
     .help = "arrange the panes (F3 cycles, F4 zooms)", .fn = cmd_layout, .complete = UI_COMPLETE_LAYOUTS},
    {.name = "pane", .args = "NAME", .help = "show and focus a pane (F2 / Ctrl-O cycles)",
     .fn = cmd_pane, .complete = UI_COMPLETE_PANES},
    {.name = "export", .args = "PANE FILE", .help = "write a pane as .svg, .ansi or plain .txt",
     .fn = cmd_export, .complete = UI_COMPLETE_PANES},
    {.name = "ws", .args = "", .help = "show whitespace in token views (F5)", .fn = cmd_ws},
    {.name = "save", .args = "[PATH]",
     .help = "save the session (to PATH: a new NAME.bbs directory); autosaved every minute", .fn = ui_cmd_save},
    {.name = "open", .args = "PATH", .help = "open a saved session (NAME.bbs)", .fn = ui_cmd_open},
    {.name = "pin", .args = "[TEXT | -d N]",
     .help = "keep TEXT in the session; alone: list the pinned texts", .fn = ui_cmd_pin},
    {.name = "history", .args = "", .help = "the session's command history", .fn = ui_cmd_history},
    {.name = "messages", .alias = "msgs", .args = "", .help = "the last 200 messages with their times, newest first",
     .fn = cmd_messages},
    {.name = "help", .alias = "?", .args = "[COMMAND]", .help = "this help, or one command's", .fn = cmd_help,
     .complete = UI_COMPLETE_COMMANDS},
    {.name = "quit", .alias = "q", .args = "", .help = "leave (F10, Ctrl-D)", .fn = cmd_quit},
    {0},
};

const ui_cmd *ui_cmd_next(int *it, const ui_pane_class **owner) {
    /* *it = table * 1000 + row: the tables of the registry's classes, then the app's */
    int n = 0;
    while (ui_pane_registry[n]) n++;
    for (;;) {
        int table = *it / 1000, row = *it % 1000;
        if (table > n) return NULL;
        const ui_pane_class *cls = table < n ? ui_pane_registry[table] : NULL;
        const ui_cmd *t = cls ? cls->cmds : ui_app_commands;
        if (t && t[row].name) {
            (*it)++;
            if (owner) *owner = cls;
            return &t[row];
        }
        *it = (table + 1) * 1000;
    }
}

const ui_cmd *ui_cmd_lookup(const char *word, const ui_pane_class **owner) {
    int it = 0;
    for (const ui_cmd *c; (c = ui_cmd_next(&it, owner)) != NULL;)
        if (strcmp(word, c->name) == 0 || (c->alias && strcmp(word, c->alias) == 0)) return c;
    if (strcmp(word, "exit") == 0) return ui_cmd_lookup("quit", owner);
    return NULL;
}

const ui_cmd *ui_cmd_find(const char *word) { return ui_cmd_lookup(word, NULL); }

enum { HELP_CAP = 32768, HELP_WIDTH = 100 };

static int cmd_help(ui_app *app, const char *args, char *err, size_t errlen) {
    char w[64];
    ui_cmd_first_word(args, w, sizeof w);
    if (*w) {
        const ui_cmd *c = ui_cmd_find(w);
        if (!c) return bb_err(err, errlen, BB_EINVAL, "help: no command '%s'", w);
        ui_app_message(app, 0, "%s%s%s %s — %s", c->name, c->alias ? "/" : "", c->alias ? c->alias : "", c->args,
                       c->help);
        return BB_OK;
    }
    char *text = malloc(HELP_CAP);
    if (!text) return bb_err(err, errlen, BB_ENOMEM, "help: out of memory");
    size_t o = 0;
#define ADD(...) o += (size_t)snprintf(text + o, o < HELP_CAP ? HELP_CAP - o : 0, __VA_ARGS__)
    ADD("Commands (plain text runs the focused pane's own command:");
    for (int i = 0; i < app->n_panes; i++) {
        const ui_pane_class *k = app->panes[i].cls;
        if (k->text && k->cmds) ADD(" %s in %s%s", k->cmds[0].name, k->name, i + 1 < app->n_panes ? "," : "");
    }
    if (o && text[o - 1] == ',') o--;
    ADD("):\n");
    int it = 0;
    for (const ui_cmd *c; (c = ui_cmd_next(&it, NULL)) != NULL;) {
        char head[64];
        snprintf(head, sizeof head, "%s%s%s %s", c->name, c->alias ? "/" : "", c->alias ? c->alias : "", c->args);
        ADD("  %-34s %s\n", head, c->help);
    }
    ADD("\nKeys: ");
    ui_keys_help(ui_app_keys, text, HELP_CAP, &o, 6, HELP_WIDTH - 6);
    ADD("\n      Esc: pane keys (PgUp/PgDn scroll in any mode; Esc, i or : back to the input line)\n"
        "      Tab completes commands, pane names and paths\n"
        "\nPanes (their keys after Esc):\n");
    for (int i = 0; i < app->n_panes; i++) {
        const ui_pane_class *k = app->panes[i].cls;
        ADD("  %-10s %s\n", k->name, k->help);
        if (!k->keys) continue;
        ADD("             keys: ");
        ui_keys_help(k->keys, text, HELP_CAP, &o, 19, HELP_WIDTH - 19);
        ADD("\n");
    }
#undef ADD
    ui_app_show_text(app, "help", text);
    free(text);
    return BB_OK;
}

/* Edit distance with adjacent transpositions (optimal string alignment), capped at 3. */
static int edits(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 30 || m > 30) return 3;
    int d[32][32];
    for (size_t i = 0; i <= n; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            int v = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < v) v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m] > 3 ? 3 : d[n][m];
}

const char *ui_cmd_near_miss(const char *word) {
    if (strlen(word) < 3) return NULL;
    const char *best = NULL;
    int best_d = 3;
    int it = 0;
    for (const ui_cmd *c; (c = ui_cmd_next(&it, NULL)) != NULL;) {
        const char *names[2] = {c->name, c->alias};
        for (int k = 0; k < 2; k++) {
            if (!names[k] || strlen(names[k]) < 3) continue;
            int d = edits(word, names[k]), limit = strlen(names[k]) <= 4 ? 1 : 2;
            if (d <= limit && d < best_d) best = names[k], best_d = d;
        }
    }
    return best;
}

/* A word the tokenizer knows whole ("have", "pen") is text, however close to a command it is. */
static int known_word(const ui_app *app, const char *w) {
    if (!app->tk) return 0;
    char low[64];
    size_t i = 0;
    for (; w[i] && i + 1 < sizeof low; i++) low[i] = (char)tolower((unsigned char)w[i]);
    low[i] = 0;
    int32_t id = tok_token_to_id(app->tk, low);
    return id >= 0 && id != tok_specials(app->tk).unk;
}

int ui_cmd_run(ui_app *app, const char *line) {
    char w[64], err[512] = "";
    const char *args = ui_cmd_first_word(line, w, sizeof w);
    if (!*w) return BB_OK;
    const ui_cmd *c = ui_cmd_find(w);
    int st;
    int again = strcmp(app->near_miss, line) == 0; /* Enter on the same line again: it is text */
    app->near_miss[0] = 0;
    if (c) {
        st = c->fn(app, args, err, sizeof err);
    } else {
        ui_pane *p = ui_app_focused(app);
        const char *near = again || known_word(app, w) ? NULL : ui_cmd_near_miss(w);
        if (near && p->cls->text) {
            snprintf(app->near_miss, sizeof app->near_miss, "%s", line);
            snprintf(app->refill, sizeof app->refill, "%s", line);
            ui_app_message(app, 1, "not a command; did you mean %s? (Enter again sends it as text to %s)", near,
                           p->cls->name);
            return BB_OK;
        }
        if (p->cls->text)
            st = p->cls->text(app, p, skip_ws(line), err, sizeof err);
        else if (near)
            st = bb_err(err, sizeof err, BB_EINVAL, "unknown command '%s'; did you mean %s? (F1 lists them)", w, near);
        else
            st = bb_err(err, sizeof err, BB_EINVAL, "unknown command '%s' (F1 lists them)", w);
    }
    if (st != BB_OK) ui_app_message(app, 1, "%s", err[0] ? err : bb_strerror(st));
    return st;
}

const char *ui_cmd_live_text(ui_app *app, const char *line, ui_pane **pane) {
    char w[64];
    const char *args = ui_cmd_first_word(line, w, sizeof w), *text = NULL;
    ui_pane *p = NULL;
    if (pane) *pane = NULL;
    if (!*w) return NULL;
    const ui_pane_class *owner = NULL;
    const ui_cmd *c = ui_cmd_lookup(w, &owner);
    if (c && c->live && *args && owner) p = ui_app_pane_of(app, owner), text = args;
    else if (!c && ui_app_focused(app)->cls->live) p = ui_app_focused(app), text = skip_ws(line);
    if (pane) *pane = p;
    return p ? text : NULL;
}

/* ---- completion ------------------------------------------------------------------------------- */

static char **matches_new(void) { return calloc(UI_MAX_PANES + 64, sizeof(char *)); }

static void add_match(char **m, int *n, const char *s, const char *prefix) {
    if (*n >= UI_MAX_PANES + 62 || strncmp(s, prefix, strlen(prefix)) != 0) return;
    m[(*n)++] = strdup(s);
}

/* readline wants m[0] to be the common prefix of the matches (the substitution), then the matches. */
static char **finish_matches(char **m, int n) {
    if (n == 0) {
        free(m);
        return NULL;
    }
    memmove(m + 1, m, sizeof *m * (size_t)n);
    if (n == 1) {
        m[0] = strdup(m[1]);
        free(m[1]);
        m[1] = NULL;
        return m;
    }
    size_t k = strlen(m[1]);
    for (int i = 2; i <= n; i++) {
        size_t j = 0;
        while (j < k && m[i][j] == m[1][j]) j++;
        k = j;
    }
    m[0] = strndup(m[1], k);
    return m;
}

char **ui_cmd_complete(const char *line, int start, int end, const char *text, void *user) {
    ui_app *app = user;
    char w[64];
    ui_cmd_first_word(line, w, sizeof w);
    /* which word is being completed: 0 the command, 1 its first argument, ... */
    int argi = 0;
    for (int i = 0; i < start; i++)
        if (!isspace((unsigned char)line[i]) && (i + 1 == start || isspace((unsigned char)line[i + 1]))) argi++;
    (void)end;
    char **m = matches_new();
    if (!m) return NULL;
    int n = 0;
    if (argi == 0) {
        int it = 0;
        for (const ui_cmd *c; (c = ui_cmd_next(&it, NULL)) != NULL;) add_match(m, &n, c->name, text);
        return finish_matches(m, n);
    }
    const ui_cmd *c = ui_cmd_find(w);
    if (!c) {
        free(m);
        return NULL;
    }
    if (argi == 1 && c->complete == UI_COMPLETE_PANES) {
        for (int i = 0; i < app->n_panes; i++) add_match(m, &n, app->panes[i].cls->name, text);
        return finish_matches(m, n);
    }
    if (argi == 1 && c->complete == UI_COMPLETE_LAYOUTS) {
        for (int i = 0; i < UI_LAYOUT_COUNT; i++) add_match(m, &n, ui_layout_name(i), text);
        return finish_matches(m, n);
    }
    if (c->words && text[0] == '-') { /* options, anywhere */
        for (const char *const *o = c->words; *o; o++)
            if ((*o)[0] == '-') add_match(m, &n, *o, text);
        return finish_matches(m, n);
    }
    if (c->words && argi == 1 && c->words[0][0] != '-') {
        for (const char *const *o = c->words; *o; o++) add_match(m, &n, *o, text);
        return finish_matches(m, n);
    }
    if (argi == 1 && c->complete == UI_COMPLETE_COMMANDS) {
        int it = 0;
        for (const ui_cmd *k; (k = ui_cmd_next(&it, NULL)) != NULL;) add_match(m, &n, k->name, text);
        return finish_matches(m, n);
    }
    if (argi == 1 && c->complete == UI_COMPLETE_HUB && !strchr("/.~", text[0] ? text[0] : '/')) {
        bb_hub_model *cached; /* Hub ids of the cached models first; file names when none fits */
        int nc;
        char e[256];
        if (bb_hub_list(&cached, &nc, e, sizeof e) == BB_OK) {
            for (int i = 0; i < nc; i++) add_match(m, &n, cached[i].id, text);
            free(cached);
        }
        if (n) return finish_matches(m, n);
    }
    free(m);
    return NULL; /* file names (load, vocab, export's file, stats) */
}
