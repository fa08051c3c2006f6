/* session.json: every field round-trips; the previous copy becomes session.json.bak; damaged, wrongly
 * typed, incomplete, unknown- and newer-schema files each give their message and stay byte-identical;
 * a save that hits a file-size limit fails cleanly and leaves session.json intact. */
#include "sess_test.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bb_err.h"
#include "check.h"
#include "session.h"

static char root[512];

static void path_in(char *buf, size_t n, const char *dir, const char *file) { snprintf(buf, n, "%s/%s", dir, file); }

static int strv_eq(char **a, int na, const char *const *b, int nb) {
    if (na != nb) return 0;
    for (int i = 0; i < na; i++)
        if (strcmp(a[i], b[i])) return 0;
    return 1;
}

static void test_round_trip(void) {
    char err[512] = "", dir[600];
    path_in(dir, sizeof dir, root, "demo");
    sess_session *s;
    CHECK_OK(sess_new(&s, dir, err, sizeof err), err);
    if (!s) return;
    CHECK(strstr(s->dir, "demo.bbs") != NULL, ".bbs appended: %s", s->dir);
    CHECK(s->schema_version == SESS_SCHEMA_VERSION && s->created > 0 && s->n_runs == 0, "new session");
    sess_session *again;
    CHECK(sess_new(&again, dir, err, sizeof err) == BB_EINVAL && strstr(err, "already holds"),
          "sess_new refuses an existing session: %s", err);

    CHECK_OK(sess_set_model(s, "models/bert-brown-small"), "");
    CHECK_OK(sess_set_tokenizer(s, "/data/tok/tokenizer.json"), "");
    cJSON *lay = cJSON_Parse("{\"layout\":\"split-v\",\"zoom\":1.5,\"focus\":\"attention\",\"panes\":["
                             "{\"kind\":\"tokens\",\"wrap\":true},{\"kind\":\"attention\",\"layer\":3,\"head\":[1,2]}]}");
    cJSON *arr = cJSON_CreateArray();
    CHECK(sess_set_layout(s, arr) == BB_EINVAL, "layout must be an object");
    cJSON_Delete(arr);
    CHECK_OK(sess_set_layout(s, lay), "");
    const char *hist[] = {"tok The cat sat.", "mask \"quoted\" [MASK] — ünïcødé", "line\nwith newline\ttab"};
    for (int i = 0; i < 3; i++) CHECK_OK(sess_history_add(s, hist[i]), "");
    CHECK_OK(sess_pin_add(s, "pin one"), "");
    CHECK_OK(sess_pin_add(s, "pin two"), "");
    CHECK_OK(sess_pin_add(s, "pin three"), "");
    CHECK_OK(sess_pin_remove(s, 1), "");
    CHECK(sess_pin_remove(s, 5) == BB_EINVAL, "pin index range");
    CHECK_OK(sess_setting_set(s, "ema", "0.9"), "");
    CHECK_OK(sess_setting_set(s, "theme", "dark"), "");
    CHECK_OK(sess_setting_set(s, "gone", "x"), "");
    CHECK_OK(sess_setting_set(s, "gone", NULL), "");
    CHECK(sess_setting_get(s, "gone") == NULL && !strcmp(sess_setting_get(s, "ema"), "0.9"), "settings get/set");
    cJSON *cfg = cJSON_Parse("{\"task\":\"mlm\",\"model\":\"models/x\",\"data\":\"c.txt\",\"hparams\":{\"lr\":5e-4}}");
    sess_run *r;
    CHECK_OK(sess_run_create(s, "mlm-1", cfg, NULL, &r, err, sizeof err), err);
    CHECK_OK(sess_run_finish(s, r, SESS_RUN_FINISHED, NULL, NULL, err, sizeof err), err);
    CHECK_OK(sess_save(s, err, sizeof err), err);

    /* a second instance while s holds the session: read-only, and it says why */
    sess_session *t;
    CHECK_OK(sess_open(&t, dir, 0, err, sizeof err), err);
    CHECK(t && t->read_only && t->locked_by == (long)getpid() && strstr(t->warnings, "open in another bertbench") &&
              strstr(t->warnings, "read-only"),
          "second opener: %s", t ? t->warnings : "");
    CHECK(t && sess_save(t, err, sizeof err) == BB_EINVAL && strstr(err, "another bertbench"), "its save: %s", err);
    sess_free(t);
    time_t created = s->created, modified = s->modified;
    cJSON *settings = cJSON_Duplicate(s->settings, 1);
    char sdir[600];
    snprintf(sdir, sizeof sdir, "%s", s->dir);
    sess_free(s); /* releases the lock */
    s = NULL;
    CHECK_OK(sess_open(&t, dir, 0, err, sizeof err), err); /* "demo" finds demo.bbs */
    if (t) {
        CHECK(t->schema_version == 1 && t->created == created && t->modified == modified, "times");
        CHECK(t->model && !strcmp(t->model, "models/bert-brown-small"), "model");
        CHECK(t->tokenizer && !strcmp(t->tokenizer, "/data/tok/tokenizer.json"), "tokenizer");
        CHECK(cJSON_Compare(t->layout, lay, 1), "layout object round-trips");
        CHECK(strv_eq(t->history, t->n_history, hist, 3), "history");
        const char *pins[] = {"pin one", "pin three"};
        CHECK(strv_eq(t->pinned, t->n_pinned, pins, 2), "pinned");
        CHECK(cJSON_Compare(t->settings, settings, 1) && !strcmp(sess_setting_get(t, "theme"), "dark"),
              "settings");
        CHECK(t->n_runs == 1 && !strcmp(t->runs[0]->name, "mlm-1") && !t->runs[0]->loaded, "runs listed, not read");
        sess_run *r0 = sess_run_find(t, "mlm-1");
        CHECK(r0 && r0->loaded && r0->status == SESS_RUN_FINISHED && cJSON_Compare(r0->config, cfg, 1), "runs");
        CHECK(t->warnings[0] == 0, "no warnings: %s", t->warnings);
        CHECK(!t->read_only, "writable");
        /* Nulls round-trip too, and the opener accepts DIR/session.json. */
        CHECK_OK(sess_set_tokenizer(t, NULL), "");
        CHECK_OK(sess_set_layout(t, NULL), "");
        CHECK_OK(sess_save(t, err, sizeof err), err);
        sess_free(t);
        char sj[700];
        path_in(sj, sizeof sj, sdir, "session.json");
        CHECK_OK(sess_open(&t, sj, 0, err, sizeof err), err);
        CHECK(t && t->tokenizer == NULL && t->layout == NULL && t->model != NULL, "nulls round-trip");
        sess_free(t);
    }
    cJSON_Delete(lay);
    cJSON_Delete(cfg);
    cJSON_Delete(settings);
}

/* Unknown top-level keys (a same-version writer's extras) are written back unchanged. */
static void test_extra_keys(void) {
    char err[512] = "", dir[600], sj[700];
    path_in(dir, sizeof dir, root, "extra.bbs");
    mkdir(dir, 0755);
    path_in(sj, sizeof sj, dir, "session.json");
    const char *text = "{\"schema_version\":1,\"created\":\"2024-05-01T12:00:00Z\",\"modified\":\"2024-05-02T08:30:00Z\","
                       "\"future_panel\":{\"a\":[1,2,3]}}";
    put_file(sj, text, strlen(text));
    sess_session *s;
    CHECK_OK(sess_open(&s, dir, 0, err, sizeof err), err);
    if (!s) return;
    CHECK(s->created == 1714564800 && s->model == NULL && s->n_history == 0 && cJSON_IsObject(s->settings),
          "minimal file: defaults");
    CHECK_OK(sess_save(s, err, sizeof err), err);
    sess_free(s);
    char *b = slurp(sj, NULL);
    cJSON *j = cJSON_Parse(b);
    cJSON *want = cJSON_Parse("{\"a\":[1,2,3]}");
    CHECK(cJSON_Compare(cJSON_GetObjectItem(j, "future_panel"), want, 1), "unknown key kept: %s", b);
    cJSON_Delete(j);
    cJSON_Delete(want);
    free(b);
}

static void test_backup(void) {
    char err[512] = "", dir[600], sj[700], bak[700];
    path_in(dir, sizeof dir, root, "bak.bbs");
    sess_session *s;
    CHECK_OK(sess_new(&s, dir, err, sizeof err), err);
    if (!s) return;
    path_in(sj, sizeof sj, dir, "session.json");
    path_in(bak, sizeof bak, dir, "session.json.bak");
    size_t n0;
    char *v0 = slurp(sj, &n0);
    CHECK(access(bak, F_OK) != 0, "a new session has no backup yet");
    CHECK_OK(sess_history_add(s, "first"), "");
    CHECK_OK(sess_save(s, err, sizeof err), err);
    CHECK(v0 && same_bytes(bak, v0, n0), "the backup is the previous session.json byte for byte");
    size_t n1;
    char *v1 = slurp(sj, &n1);
    CHECK_OK(sess_history_add(s, "second"), "");
    CHECK_OK(sess_save(s, err, sizeof err), err);
    CHECK(v1 && same_bytes(bak, v1, n1) && strstr(v1, "first") && !strstr(v1, "second"), "backup follows saves");
    /* Damage session.json: open reports it, the backup opens read-only, save_as rescues it. */
    put_file(sj, v1, n1 / 2);
    sess_session *t = NULL;
    CHECK(sess_open(&t, dir, 0, err, sizeof err) == BB_EFORMAT && t == NULL && strstr(err, "session.json.bak"),
          "damaged file refused, backup mentioned: %s", err);
    CHECK_OK(sess_open(&t, dir, SESS_OPEN_BACKUP, err, sizeof err), err);
    if (t) {
        CHECK(t->read_only && t->n_history == 1 && !strcmp(t->history[0], "first"), "backup opens read-only");
        CHECK(sess_save(t, err, sizeof err) == BB_EINVAL && strstr(err, "read-only"), "read-only save refused: %s",
              err);
        CHECK(same_bytes(sj, v1, n1 / 2), "damaged file untouched");
        char nd[600];
        path_in(nd, sizeof nd, root, "rescued");
        CHECK_OK(sess_save_as(t, nd, err, sizeof err), err);
        CHECK(!t->read_only && strstr(t->dir, "rescued.bbs"), "save_as switches directory");
        sess_free(t);
        CHECK_OK(sess_open(&t, nd, 0, err, sizeof err), err);
        CHECK(t && t->n_history == 1, "rescued session opens");
        sess_free(t);
    }
    /* A session open in memory must not overwrite a file damaged on disk since. */
    CHECK(sess_save(s, err, sizeof err) == BB_EFORMAT && strstr(err, "not overwritten") && strstr(err, "session.json"),
          "save over a damaged file refused: %s", err);
    CHECK(same_bytes(sj, v1, n1 / 2) && same_bytes(bak, v1, n1), "damaged file and backup untouched");
    sess_free(s);
    free(v0);
    free(v1);
}

/* session.json holding text: open fails naming the file and `want`; nothing changes on disk, and
 * neither sess_new nor a save from another session writes over it. */
static void expect_bad(const char *tag, const char *text, size_t n, const char *want) {
    char err[512] = "", dir[600], sj[700], bak[700];
    snprintf(dir, sizeof dir, "%s/%s.bbs", root, tag);
    mkdir(dir, 0755);
    path_in(sj, sizeof sj, dir, "session.json");
    path_in(bak, sizeof bak, dir, "session.json.bak");
    const char *bak_text = "{\"previous\":true}\n";
    put_file(sj, text, n);
    put_file(bak, bak_text, strlen(bak_text));
    sess_session *s = NULL;
    int rc = sess_open(&s, dir, 0, err, sizeof err);
    CHECK(rc == BB_EFORMAT && s == NULL, "%s: refused (rc %d)", tag, rc);
    CHECK(strstr(err, "session.json") && strstr(err, want), "%s: message names the file and '%s': %s", tag, want, err);
    CHECK(sess_new(&s, dir, err, sizeof err) == BB_EINVAL, "%s: sess_new refuses", tag);
    CHECK(same_bytes(sj, text, n) && same_bytes(bak, bak_text, strlen(bak_text)), "%s: files byte-identical", tag);
    sess_free(s);
}

static void bad_text(const char *tag, const char *text, const char *want) {
    expect_bad(tag, text, strlen(text), want);
}

static const char good_head[] =
    "{\"schema_version\":1,\"created\":\"2024-05-01T12:00:00Z\",\"modified\":\"2024-05-01T12:00:00Z\"";

static void bad_with(const char *tag, const char *tail, const char *want) {
    char text[1024];
    snprintf(text, sizeof text, "%s,%s}", good_head, tail);
    expect_bad(tag, text, strlen(text), want);
}

static void test_bad_files(void) {
    char full[1024];
    snprintf(full, sizeof full, "%s,\"model\":\"m\",\"history\":[\"a\",\"b\"],\"runs\":[]}\n", good_head);
    expect_bad("truncated", full, strlen(full) - 12, "truncated");
    expect_bad("truncated_mid", full, 40, "truncated");
    bad_text("empty", "", "empty");
    bad_text("garbage", "{\"schema_version\":1,,}", "line 1");
    bad_text("array", "[1,2]", "not a JSON object");
    bad_text("no_version", "{\"created\":\"2024-05-01T12:00:00Z\"}", "\"schema_version\" is missing");
    bad_text("newer", "{\"schema_version\":7,\"created\":\"2024-05-01T12:00:00Z\"}", "newer");
    bad_text("unknown_version", "{\"schema_version\":0}", "unknown schema_version 0");
    bad_text("version_type", "{\"schema_version\":\"1\"}", "\"schema_version\" must be an integer");
    bad_text("no_created", "{\"schema_version\":1,\"modified\":\"2024-05-01T12:00:00Z\"}", "\"created\" is missing");
    bad_with("history_type", "\"history\":\"tok x\"", "\"history\" must be an array");
    bad_with("history_item", "\"history\":[\"a\",3]", "\"history\"[1] must be a string, not a number");
    bad_with("pinned_type", "\"pinned\":{}", "\"pinned\"");
    bad_with("model_type", "\"model\":5", "\"model\" must be a string or null");
    bad_with("layout_type", "\"layout\":[1]", "\"layout\" must be an object");
    bad_with("settings_type", "\"settings\":\"dark\"", "\"settings\" must be an object");
    bad_with("runs_name", "\"runs\":[\"../etc\"]", "not a run directory name");
    bad_with("runs_twice", "\"runs\":[\"a\",\"a\"]", "listed twice");
    bad_text("time_type", "{\"schema_version\":1,\"created\":12}", "\"created\" must be a UTC time");
    bad_text("time_text", "{\"schema_version\":1,\"created\":\"yesterday\"}", "\"created\" must be a UTC time");
}

/* A newer schema opens read-only on request; it is never saved in place; save_as writes it elsewhere. */
static void test_newer_read_only(void) {
    char err[512] = "", dir[600], sj[700];
    path_in(dir, sizeof dir, root, "future.bbs");
    mkdir(dir, 0755);
    path_in(sj, sizeof sj, dir, "session.json");
    const char *text = "{\"schema_version\":2,\"created\":\"2024-05-01T12:00:00Z\",\"modified\":\"2024-05-01T12:00:00Z\","
                       "\"history\":[\"tok hi\"],\"hologram\":{}}";
    put_file(sj, text, strlen(text));
    sess_session *s;
    CHECK_OK(sess_open(&s, dir, SESS_OPEN_READ_ONLY, err, sizeof err), err);
    if (!s) return;
    CHECK(s->read_only && s->schema_version == 2 && s->n_history == 1, "newer file read-only");
    CHECK(sess_save(s, err, sizeof err) == BB_EINVAL, "save in place refused");
    sess_run *r;
    CHECK(sess_run_create(s, "x", NULL, NULL, &r, err, sizeof err) == BB_EINVAL, "no runs in a read-only session");
    CHECK(same_bytes(sj, text, strlen(text)), "newer file untouched");
    char nd[600];
    path_in(nd, sizeof nd, root, "future-copy");
    CHECK_OK(sess_save_as(s, nd, err, sizeof err), err);
    sess_free(s);
    CHECK_OK(sess_open(&s, nd, 0, err, sizeof err), err);
    CHECK(s && s->schema_version == 1 && s->n_history == 1, "copy written in this schema");
    sess_free(s);
    CHECK(same_bytes(sj, text, strlen(text)), "newer file still untouched");
}

static void test_history_cap(void) {
    char err[512] = "", dir[600];
    path_in(dir, sizeof dir, root, "cap");
    sess_session *s;
    CHECK_OK(sess_new(&s, dir, err, sizeof err), err);
    if (!s) return;
    char line[32];
    for (int i = 0; i < SESS_HISTORY_MAX + 5; i++) {
        snprintf(line, sizeof line, "cmd %d", i);
        sess_history_add(s, line);
    }
    CHECK(s->n_history == SESS_HISTORY_MAX && !strcmp(s->history[0], "cmd 5"), "oldest dropped: %s", s->history[0]);
    CHECK_OK(sess_save(s, err, sizeof err), err);
    sess_free(s);
    CHECK_OK(sess_open(&s, dir, 0, err, sizeof err), err);
    CHECK(s && s->n_history == SESS_HISTORY_MAX && !strcmp(s->history[SESS_HISTORY_MAX - 1], "cmd 1004"),
          "capped history reloads");
    sess_free(s);
}

/* The save runs in a child whose file-size limit is below the new session.json: it must fail with
 * BB_ENOSPC and a message naming the file, and leave the old file and no temporary behind. */
static void test_disk_full(void) {
    char err[512] = "", dir[600], sj[700];
    path_in(dir, sizeof dir, root, "full");
    sess_session *s;
    CHECK_OK(sess_new(&s, dir, err, sizeof err), err);
    if (!s) return;
    path_in(sj, sizeof sj, s->dir, "session.json");
    size_t n0;
    char *v0 = slurp(sj, &n0);
    CHECK(v0 && n0 < 4096, "small session file (%zu bytes)", n0);
    char line[128];
    for (int i = 0; i < 200; i++) {
        snprintf(line, sizeof line, "fill-mask a rather long command line number %d to grow the file [MASK]", i);
        sess_history_add(s, line);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = {4096, 4096};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(3);
        int rc = sess_save(s, err, sizeof err);
        int ok = rc == BB_ENOSPC && strstr(err, "session.json") && strstr(err, "left intact");
        if (!ok) fprintf(stderr, "child: rc %d: %s\n", rc, err);
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "save under a 4 KiB file-size limit fails with a clear message");
    CHECK(v0 && same_bytes(sj, v0, n0), "previous session.json intact");
    char tmp[800];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", sj, (long)pid);
    CHECK(access(tmp, F_OK) != 0, "no temporary file left");
    CHECK_OK(sess_save(s, err, sizeof err), err);
    sess_session *t;
    CHECK_OK(sess_open(&t, dir, 0, err, sizeof err), err);
    CHECK(t && t->n_history == 200, "the save works once there is room");
    sess_free(t);
    sess_free(s);
    free(v0);
}

int main(void) {
    make_tmpdir(root, sizeof root, "sess");
    test_round_trip();
    test_extra_keys();
    test_backup();
    test_bad_files();
    test_newer_read_only();
    test_history_cap();
    test_disk_full();
    char err[256];
    sess_session *s;
    CHECK(sess_open(&s, "/nonexistent/nowhere", 0, err, sizeof err) == BB_EIO && strstr(err, "no such session"),
          "missing session: %s", err);
    rm_rf(root);
    return check_done();
}
