/* The train option table: every row is in the generated usage, every kind parses and rejects as
 * bb_opts.h documents (driven by the table itself, so a new row is tested as it is added), the
 * per-option rules and the cross-option rules. */
#include <stdint.h>

#include "check.h"
#include "train_opts.h"

static char err[1024];

/* argv = train --task mlm --data d --resume r --eval e, then the given words */
static int parse(train_options *o, int need_out, int n, const char *const *words) {
    char *argv[32] = {"train", "--task", "mlm", "--data", "d", "--resume", "r", "--eval", "e"};
    int argc = 9;
    for (int i = 0; i < n; i++) argv[argc++] = (char *)words[i];
    err[0] = 0;
    return train_opts_parse(argc, argv, o, need_out, err, sizeof err);
}

static int parse1(train_options *o, const char *a, const char *b) {
    const char *w[2] = {a, b};
    return parse(o, 0, b ? 2 : 1, w);
}

static const void *member(const train_options *o, const bb_opt *r) { return (const char *)o + r->field; }

static double number_of(const train_options *o, const bb_opt *r) {
    if (r->kind == BB_OPT_NUMBER) {
        if (r->size == sizeof(float)) return *(const float *)member(o, r);
        return *(const double *)member(o, r);
    }
    if (r->size == sizeof(int)) return *(const int *)member(o, r);
    return (double)*(const int64_t *)member(o, r);
}

static void check_usage(const bb_opt *rows, int n) {
    char *u = train_opts_usage_dup();
    CHECK(u != NULL, "usage");
    if (!u) return;
    CHECK(!strncmp(u, "usage: bertbench train", 22), "usage starts with its synopsis: %.40s", u);
    for (int i = 0; i < n; i++) {
        const bb_opt *r = &rows[i];
        char line[600];
        int k = snprintf(line, sizeof line, "\n  %s", r->name);
        if (r->kind == BB_OPT_ENUM)
            for (const bb_opt_word *w = r->words; w->word; w++)
                k += snprintf(line + k, sizeof line - (size_t)k, "%c%s", w == r->words ? ' ' : '|', w->word);
        else if (r->arg)
            snprintf(line + k, sizeof line - (size_t)k, " %s", r->arg);
        const char *at = strstr(u, line);
        CHECK(at != NULL, "%s: no usage line '%s'", r->name, line + 1);
        if (!at) continue;
        const char *next = strstr(at + 1, "\n  --"), *end = next ? next : u + strlen(u);
        char first[64];
        sscanf(r->help, "%63s", first);
        const char *h = strstr(at, first);
        CHECK(h && h < end, "%s: its help ('%s') is on its line", r->name, first);
        if (r->alias) {
            const char *al = strstr(at, r->alias);
            CHECK(al && al < end, "%s: its alias %s is named", r->name, r->alias);
        }
        const char *d = strstr(at, "(default ");
        CHECK(r->show_default == (d && d < end), "%s: a default shown iff the row says so", r->name);
    }
    CHECK(strstr(u, "(default 5e-05)") && strstr(u, "(default 42)") && strstr(u, "(default linear)"),
          "defaults come from train_options_default()");
    for (const char *l = u; *l;) { /* no line wider than the wrap */
        size_t len = strcspn(l, "\n");
        CHECK(len <= 110, "usage line of %zu columns: %.60s", len, l);
        l += len + (l[len] == '\n');
    }
    free(u);
}

static void check_string(const bb_opt *r) {
    train_options o;
    const char *w[2] = {r->name, "VAL-x"};
    CHECK_OK(parse(&o, 0, 2, w), err);
    CHECK(*(const char *const *)member(&o, r) == w[1], "%s stores the argv pointer", r->name);
    if (r->alias) {
        w[0] = r->alias;
        CHECK_OK(parse(&o, 0, 2, w), err);
        CHECK(*(const char *const *)member(&o, r) == w[1], "%s (alias of %s) sets the same member", r->alias, r->name);
    }
}

static void check_flag(const bb_opt *r) {
    train_options o;
    CHECK_OK(parse(&o, 0, 0, NULL), err);
    CHECK(*(const int *)member(&o, r) == 0, "%s is off by default", r->name);
    CHECK_OK(parse1(&o, r->name, NULL), err);
    CHECK(*(const int *)member(&o, r) == 1, "%s sets its member", r->name);
}

static void check_enum(const bb_opt *r) {
    train_options o;
    for (const bb_opt_word *w = r->words; w->word; w++) {
        CHECK_OK(parse1(&o, r->name, w->word), err);
        CHECK(*(const int *)member(&o, r) == w->value, "%s %s -> %d", r->name, w->word, w->value);
    }
    char words[512], want[700];
    bb_opts_words_text(r, words, sizeof words);
    snprintf(want, sizeof want, "%s bogus: expected %s", r->name, words);
    CHECK(parse1(&o, r->name, "bogus") == BB_EINVAL && !strcmp(err, want), "%s bogus: '%s', want '%s'", r->name, err,
          want);
    CHECK(strstr(words, " or ") != NULL, "%s: words as a list: %s", r->name, words);
}

static void check_count(const bb_opt *r) {
    train_options o;
    CHECK_OK(parse1(&o, r->name, "7"), err);
    CHECK(number_of(&o, r) == 7, "%s 7 -> %g", r->name, number_of(&o, r));
    CHECK_OK(parse1(&o, r->name, "1000000000"), err);
    CHECK(number_of(&o, r) == 1e9, "%s 10^9", r->name);
    const char *bad[] = {"-1", "x", "1.5", "1000000001", "", "7x", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[200];
        snprintf(want, sizeof want, "%s %s: expected a non-negative integer", r->name, bad[i]);
        CHECK(parse1(&o, r->name, bad[i]) == BB_EINVAL && !strcmp(err, want), "%s '%s': %s", r->name, bad[i], err);
    }
}

static void check_number(const bb_opt *r) {
    train_options o;
    CHECK_OK(parse1(&o, r->name, "0.5"), err);
    CHECK(number_of(&o, r) == 0.5, "%s 0.5 -> %g", r->name, number_of(&o, r));
    CHECK_OK(parse1(&o, r->name, "2.5e-1"), err);
    CHECK(number_of(&o, r) == 0.25, "%s 2.5e-1", r->name);
    const char *bad[] = {"inf", "nan", "-1", "x", "", "1e400", "0.5x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char want[200];
        snprintf(want, sizeof want, "%s %s: expected a finite number >= 0", r->name, bad[i]);
        CHECK(parse1(&o, r->name, bad[i]) == BB_EINVAL && !strcmp(err, want), "%s '%s': %s", r->name, bad[i], err);
    }
    if (r->size == sizeof(float))
        CHECK(parse1(&o, r->name, "1e39") == BB_EINVAL && strstr(err, "expected a finite number"),
              "%s 1e39 overflows a float: %s", r->name, err);
}

static void check_kinds(const bb_opt *rows, int n) {
    int seen[5] = {0};
    train_options o;
    for (int i = 0; i < n; i++) {
        const bb_opt *r = &rows[i];
        seen[r->kind]++;
        switch (r->kind) {
        case BB_OPT_STRING: check_string(r); break;
        case BB_OPT_FLAG: check_flag(r); break;
        case BB_OPT_ENUM: check_enum(r); break;
        case BB_OPT_COUNT: check_count(r); break;
        case BB_OPT_NUMBER: check_number(r); break;
        }
        if (r->kind != BB_OPT_FLAG) {
            char want[200];
            snprintf(want, sizeof want, "%s needs a value", r->name);
            CHECK(parse1(&o, r->name, NULL) == BB_EINVAL && !strcmp(err, want), "%s alone: %s", r->name, err);
        }
    }
    for (int k = 0; k < 5; k++) CHECK(seen[k] > 0, "the table has a row of kind %d", k);
}

/* The words of --task, --format and --schedule are the engine's own names. */
static void check_names(const bb_opt *rows, int n) {
    int found = 0;
    for (int i = 0; i < n; i++) {
        const bb_opt_word *w = rows[i].words;
        for (; w && w->word; w++) {
            const char *name = !strcmp(rows[i].name, "--task")       ? train_task_name((train_task)w->value)
                               : !strcmp(rows[i].name, "--format")   ? data_format_name((data_format)w->value)
                               : !strcmp(rows[i].name, "--schedule") ? train_sched_name((train_sched)w->value)
                                                                     : NULL;
            if (!name) continue;
            found++;
            CHECK(!strcmp(name, w->word), "%s %s is the engine's %s", rows[i].name, w->word, name);
        }
    }
    CHECK(found == 3 + 6 + 3, "task, format and schedule words checked: %d", found);
}

static void check_rules(void) {
    train_options o;
    CHECK(parse1(&o, "--lr", "0") == BB_EINVAL && !strcmp(err, "--lr 0: the learning rate must be above 0"), "%s", err);
    CHECK(parse1(&o, "--lr", "1e-50") == BB_EINVAL && strstr(err, "must be above 0"), "a float underflow: %s", err);
    CHECK(parse1(&o, "--lr", "inf") == BB_EINVAL && !strcmp(err, "--lr inf: expected a finite number >= 0"), "%s", err);
    CHECK(parse1(&o, "--eval-split", "1") == BB_EINVAL && strstr(err, "--eval-split 1: the fraction held out must be "
                                                                "below 1"), "%s", err);
    CHECK(parse1(&o, "--bogus", NULL) == BB_EINVAL && !strcmp(err, "unknown option '--bogus'"), "%s", err);
    CHECK(parse1(&o, "stray", NULL) == BB_EINVAL && !strcmp(err, "unknown option 'stray'"), "an operand: %s", err);
    CHECK(parse1(&o, "--help", NULL) == 1 && parse1(&o, "-h", NULL) == 1, "--help");
    CHECK(parse1(&o, "--data", "--help") == BB_OK && !strcmp(o.data_path, "--help"), "a value is taken as it is");
    /* defaults and warmup resolution */
    CHECK_OK(parse(&o, 0, 0, NULL), err);
    train_options d = train_options_default();
    CHECK(o.epochs == d.epochs && o.batch_size == d.batch_size && o.adam.lr == d.adam.lr && o.seed == d.seed &&
          o.warmup_steps == 0, "defaults");
    CHECK_OK(parse1(&o, "--warmup-ratio", "0.1"), err);
    CHECK(o.warmup_steps == -1 && o.warmup_ratio > 0.09f, "--warmup-ratio alone leaves warmup_steps unset");
    const char *both[] = {"--warmup-ratio", "0.1", "--warmup", "5"};
    CHECK_OK(parse(&o, 0, 4, both), err);
    CHECK(o.warmup_steps == 5, "--warmup wins");
    /* cross-option rules */
    struct {
        const char *argv[12];
        int need_out;
        const char *want; /* NULL: accepted */
    } cases[] = {
        {{"train", "--data", "d", "--model", "m"}, 0, "--task is required"},
        {{"train", "--data", "d", "--resume", "r"}, 0, NULL},
        {{"train", "--task", "mlm", "--model", "m"}, 0, "--data is required"},
        {{"train", "--task", "mlm", "--data", "d", "--model", "m"}, 1, "--out is required"},
        {{"train", "--task", "mlm", "--data", "d", "--model", "m", "--export-hf", "x"}, 1, NULL},
        {{"train", "--task", "mlm", "--data", "d", "--out", "o"}, 1, "give --model DIR or --config FILE"},
        {{"train", "--task", "mlm", "--data", "d", "--model", "m", "--config", "c"}, 0, "not both"},
        {{"train", "--task", "mlm", "--data", "d", "--model", "m", "--out", "//./"}, 0, "not the filesystem root"},
        {{"train", "--task", "mlm", "--data", "d", "--model", "m", "--out", ""}, 0, "not an empty path"},
        {{"train", "--task", "mlm", "--data", "d", "--model", "m", "--eval-every", "5"}, 0,
         "--eval-every needs --eval FILE or --eval-split X"},
        {{"train", "--task", "mlm", "--data", "d", "--model", "m", "--eval-every", "5", "--eval-split", "0.1"}, 0, NULL},
        {{"train", "--task", "mlm", "--data", "d", "--model", "m", "--out", "/tmp/x"}, 1, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int argc = 0;
        while (cases[i].argv[argc]) argc++;
        err[0] = 0;
        int rc = train_opts_parse(argc, (char **)cases[i].argv, &o, cases[i].need_out, err, sizeof err);
        if (cases[i].want)
            CHECK(rc == BB_EINVAL && strstr(err, cases[i].want), "case %zu: rc %d '%s', want '%s'", i, rc, err,
                  cases[i].want);
        else
            CHECK(rc == BB_OK, "case %zu: %s", i, err);
    }
}

int main(void) {
    int n;
    const bb_opt *rows = train_opts_table(&n);
    CHECK(n > 30, "the table has the train options: %d", n);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            CHECK(strcmp(rows[i].name, rows[j].name) && (!rows[i].alias || strcmp(rows[i].alias, rows[j].name)),
                  "%s named twice", rows[i].name);
    check_usage(rows, n);
    check_kinds(rows, n);
    check_names(rows, n);
    check_rules();
    return check_done();
}
