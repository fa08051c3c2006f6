/* bertbench follow: the scalar series of a run directory written by another program (Hugging Face
 * Trainer, any TensorBoard writer, bertbench itself), once as one JSON object or live as JSON lines. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "bb_err.h"
#include "follow.h"

static const char usage[] =
    "usage: bertbench follow DIR [--once] [--format F] [--stale-after MIN]\n"
    "  DIR                 a Hugging Face Trainer output_dir, a TensorBoard log directory, or a bertbench\n"
    "                      run directory or session (recognised by what the files hold)\n"
    "  --once              print one JSON object and exit:\n"
    "                      {\"dir\",\"format\",\"status\",\"series\":{TAG:[[step,value],...]},\"meta\":{...}}\n"
    "                      without it: each new point as a JSON line {\"tag\",\"step\",\"value\"}, polling once a\n"
    "                      second, until the run finishes or Ctrl-C; a status change is a line {\"status\":...}\n"
    "  --format F          auto (default), hf-trainer, tensorboard or bertbench: read only that\n"
    "  --stale-after MIN   status \"stale\" after MIN minutes without growth (10)\n"
    "Tags are kept as written (train/loss, eval/accuracy from event files; loss, eval_loss from\n"
    "trainer_state.json and metrics.jsonl). A record still being written is waited for; a record whose\n"
    "CRC does not match is skipped and counted (meta.corrupt_records).\n";

static volatile sig_atomic_t stop;
static void on_signal(int sig) { stop = sig; }

/* The shortest decimal that reads back as v; a value that is exactly a float32 (event files store
 * float32) as the shortest that reads back as that float, so 0.4f prints as 0.4, not 0.4000000059604645. */
static void put_num(double v) {
    if (!isfinite(v)) {
        fputs("null", stdout);
        return;
    }
    char b[40];
    int is_float = (double)(float)v == v;
    for (int p = 1; p <= 17; p++) {
        snprintf(b, sizeof b, "%.*g", p, v);
        double r = strtod(b, NULL);
        if (is_float ? (float)r == (float)v : r == v) break;
    }
    fputs(b, stdout);
}

static void put_str(const char *s) {
    cJSON *j = cJSON_CreateString(s);
    char *t = j ? cJSON_PrintUnformatted(j) : NULL;
    fputs(t ? t : "\"\"", stdout);
    free(t);
    cJSON_Delete(j);
}

static int print_point(void *user, const char *tag, long step, double wall, double value) {
    fputs("{\"tag\":", stdout);
    put_str(tag);
    printf(",\"step\":%ld,\"value\":", step);
    put_num(value);
    fputs("}\n", stdout);
    return ferror(stdout) ? BB_EIO : BB_OK;
}

static void print_once(sess_follow *f, int stale_s) {
    time_t now = time(NULL);
    fputs("{\"dir\":", stdout);
    put_str(sess_follow_dir(f));
    fputs(",\"format\":", stdout);
    put_str(sess_follow_format(f));
    fputs(",\"status\":", stdout);
    put_str(sess_follow_status_name(sess_follow_status_at(f, now, stale_s)));
    fputs(",\"series\":{", stdout);
    const run_series *s = sess_follow_series(f);
    for (int i = 0; i < s->ntags; i++) {
        const run_tag *t = &s->tags[i];
        if (i) fputc(',', stdout);
        put_str(t->name);
        fputs(":[", stdout);
        for (long k = 0; k < t->n; k++) {
            printf("%s[%ld,", k ? "," : "", t->step[k]);
            put_num(t->value[k]);
            fputc(']', stdout);
        }
        fputc(']', stdout);
    }
    fputs("},\"meta\":", stdout);
    cJSON *m = sess_follow_meta_dup(f, now);
    char *t = m ? cJSON_PrintUnformatted(m) : NULL;
    fputs(t ? t : "{}", stdout);
    free(t);
    cJSON_Delete(m);
    fputs("}\n", stdout);
}

int cli_follow(int argc, char **argv) {
    const char *cmd = "follow", *dir = NULL, *format = NULL;
    int once = 0;
    double stale_min = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--once")) {
            once = 1;
        } else if (!strcmp(a, "--format") || !strcmp(a, "--stale-after")) {
            if (i + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", a);
            const char *v = argv[++i];
            if (a[2] == 'f') {
                format = v;
            } else {
                char *end;
                stale_min = strtod(v, &end);
                if (!*v || *end || !(stale_min > 0) || stale_min > 1e6)
                    return cli_usage_error(cmd, "--stale-after %s: expected a number of minutes > 0", v);
            }
        } else if (a[0] == '-') {
            return cli_usage_error(cmd, "unknown option '%s'", a);
        } else if (dir) {
            return cli_usage_error(cmd, "one directory only ('%s' and '%s')", dir, a);
        } else {
            dir = a;
        }
    }
    if (!dir) return cli_usage_error(cmd, "give the run directory to follow");
    int stale_s = (int)(stale_min * 60);
    char err[1024];
    sess_follow *f;
    if (sess_follow_open(&f, dir, format, err, sizeof err) != BB_OK) return cli_fail(cmd, "%s", err);
    if (once) {
        int n = sess_follow_poll(f, NULL, NULL, err, sizeof err);
        if (n < 0) {
            sess_follow_free(f);
            return cli_fail(cmd, "%s", err);
        }
        if (sess_follow_status_at(f, time(NULL), stale_s) == SESS_FOLLOW_WAITING) {
            sess_follow_free(f);
            return cli_fail(cmd, "%s: no run found (metrics.jsonl, TensorBoard event files or "
                            "checkpoint-*/trainer_state.json)%s", dir, format ? " in that format" : "");
        }
        print_once(f, stale_s);
        sess_follow_free(f);
        return 0;
    }
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    int rc = 0;
    sess_follow_status last = (sess_follow_status)-1;
    while (!stop) {
        if (sess_follow_poll(f, print_point, NULL, err, sizeof err) < 0) {
            rc = cli_fail(cmd, "%s", err);
            break;
        }
        sess_follow_status st = sess_follow_status_at(f, time(NULL), stale_s);
        if (st != last) {
            printf("{\"status\":\"%s\",\"format\":\"%s\",\"last_step\":%ld}\n", sess_follow_status_name(st),
                   sess_follow_format(f), run_series_last_step(sess_follow_series(f)));
            last = st;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) break; /* the reader went away */
        if (st == SESS_FOLLOW_FINISHED) break;
        struct timespec ts = {1, 0};
        nanosleep(&ts, NULL); /* a signal cuts it short */
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sess_follow_free(f);
    return rc;
}
