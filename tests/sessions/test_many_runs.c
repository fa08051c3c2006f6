/* A session listing 300k runs opens in bounded work: the duplicate check sorts once and the scan for
 * unlisted run directories binary-searches the listed names (both were a scan per name: 4.5e10
 * comparisons for the list, 6e8 per sess_run_list here, called 50 times). Sized so that the old code
 * would run for minutes past the meson timeout; nothing is timed. A duplicate name is still refused.
 * Opening reads no run.json (runs are loaded when used): a session of TORN listed runs whose run.json
 * are all damaged opens without a warning, and only the runs asked for are read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_err.h"
#include "check.h"
#include "session.h"

enum { LISTED = 300000, DIRS = 2000, TORN = 3000 };

static void write_session(const char *dir, int dup) {
    char path[700];
    snprintf(path, sizeof path, "%s/session.json", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"schema_version\":1,\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\","
               "\"model\":null,\"tokenizer\":null,\"history\":[],\"pinned\":[],\"settings\":{},\"runs\":[");
    for (int i = 0; i < LISTED; i++) fprintf(f, "%s\"gone-%d\"", i ? "," : "", i);
    if (dup) fprintf(f, ",\"gone-%d\"", LISTED / 2);
    fprintf(f, "]}");
    fclose(f);
}

int main(void) {
    char root[512], dir[600], err[512];
    snprintf(root, sizeof root, "/tmp/bb_many_XXXXXX");
    if (!mkdtemp(root)) return 1;
    snprintf(dir, sizeof dir, "%s/many.bbs", root);
    mkdir(dir, 0755);
    char p[800];
    snprintf(p, sizeof p, "%s/runs", dir);
    mkdir(p, 0755);
    for (int i = 0; i < DIRS; i++) { /* on disk, not listed: found by the scan */
        snprintf(p, sizeof p, "%s/runs/found-%d", dir, i);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/runs/found-%d/run.json", dir, i);
        FILE *f = fopen(p, "w");
        fprintf(f, "{\"schema_version\":1,\"name\":\"found-%d\",\"status\":\"finished\",\"started\":\"2026-01-01T00:00:00Z\","
                   "\"ended\":\"2026-01-01T00:01:00Z\",\"pid\":1,\"config\":{}}", i);
        fclose(f);
    }
    write_session(dir, 1);
    sess_session *s = NULL;
    CHECK(sess_open(&s, dir, 0, err, sizeof err) == BB_EFORMAT && strstr(err, "\"gone-150000\" is listed twice"),
          "duplicate refused: %s", err);
    sess_free(s);
    write_session(dir, 0);
    CHECK_OK(sess_open(&s, dir, 0, err, sizeof err), err);
    if (s) {
        CHECK(s->n_runs == LISTED + DIRS, "%d runs", s->n_runs);
        CHECK(s->runs[0]->problem && strstr(s->runs[0]->problem, "directory missing"), "a listed run without a directory");
        int read = 0;
        for (int i = LISTED; i < s->n_runs; i++) read += s->runs[i]->loaded;
        CHECK(read == 0, "%d of the found runs' run.json read at open", read);
        sess_run *f = sess_run_find(s, "found-1999");
        CHECK(f && !f->problem && f->status == SESS_RUN_FINISHED, "an unlisted run directory is found");
        for (int k = 0; k < 50; k++) {
            sess_run **runs;
            int n;
            CHECK_OK(sess_run_list(s, &runs, &n, err, sizeof err), err);
            if (n != LISTED + DIRS) CHECK(0, "list %d: %d runs", k, n);
        }
        sess_free(s);
    }
    /* TORN listed runs with a damaged run.json each: reading one names it in the warnings */
    snprintf(dir, sizeof dir, "%s/torn.bbs", root);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/runs", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/session.json", dir);
    FILE *sj = fopen(p, "w");
    fprintf(sj, "{\"schema_version\":1,\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\","
                "\"runs\":[");
    for (int i = 1; i <= TORN; i++) {
        fprintf(sj, "%s\"run-%d\"", i > 1 ? "," : "", i);
        snprintf(p, sizeof p, "%s/runs/run-%d", dir, i);
        mkdir(p, 0755);
        snprintf(p, sizeof p, "%s/runs/run-%d/run.json", dir, i);
        FILE *f = fopen(p, "w");
        fputs("{", f);
        fclose(f);
    }
    fprintf(sj, "]}");
    fclose(sj);
    CHECK_OK(sess_open(&s, dir, 0, err, sizeof err), err);
    if (s) {
        CHECK(s->n_runs == TORN && s->warnings[0] == 0, "%d runs, no run.json read at open: %.200s", s->n_runs,
              s->warnings);
        sess_run *r = sess_run_find(s, "run-77");
        CHECK(r && r->loaded && r->problem && strstr(s->warnings, "run-77/run.json"), "a run asked for is read: %.200s",
              s->warnings);
        CHECK(!strstr(s->warnings, "run-78/"), "its neighbour is not");
        sess_run *nr = NULL;
        CHECK_OK(sess_run_create(s, NULL, NULL, NULL, &nr, err, sizeof err), err);
        CHECK(nr && !strcmp(nr->name, "run-3001") && !strstr(s->warnings, "run-78/"),
              "the next free name without reading the runs: %s", nr ? nr->name : "-");
        if (nr) sess_run_finish(s, nr, SESS_RUN_FINISHED, NULL, NULL, err, sizeof err);
        sess_run **runs;
        int n;
        sess_run_list(s, &runs, &n, err, sizeof err);
        int bad = 0;
        for (int i = 0; i < n; i++) bad += runs[i]->loaded && runs[i]->problem != NULL;
        CHECK(n == TORN + 1 && bad == TORN, "sess_run_list reads every run: %d damaged of %d", bad, n);
        sess_free(s);
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return check_done();
}
