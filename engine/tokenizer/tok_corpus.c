/* tok_corpus.c — a corpus as texts, the one reading that `tokenize --stats`, `compare --corpus` and the
 * workbench's stats pane share (so they count the same texts: a blank line is an empty text). */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bb_lines.h"
#include "tok.h"

void tok_texts_free(char **texts, long n) {
    for (long i = 0; texts && i < n; i++) free(texts[i]);
    free(texts);
}

/* One line as a text: a JSON object's "text" string, else the line itself. NULL when out of memory. */
static char *line_text(const char *line, size_t len) {
    cJSON *j = line[0] == '{' ? cJSON_ParseWithLength(line, len) : NULL;
    const cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "text") : NULL;
    char *text = cJSON_IsString(t) ? strdup(t->valuestring) : strndup(line, len);
    cJSON_Delete(j);
    return text;
}

int tok_read_texts(const char *path, int skip_bad, char ***texts, long *n, long *skipped, char *err, size_t errlen) {
    *texts = NULL;
    *n = 0;
    if (skipped) *skipped = 0;
    bb_lines *r;
    int rc = bb_lines_open(&r, path, BB_MAX_LINE, err, errlen);
    if (rc != BB_OK) return rc;
    char **v = NULL;
    long cnt = 0, cap = 0;
    const char *line;
    size_t len;
    while ((rc = bb_lines_next(r, &line, &len, err, errlen)) > 0) {
        if (len > 0 && line[len - 1] == '\r') len--;
        if (strlen(line) < len || !bb_utf8_valid(line)) {
            if (skip_bad) {
                if (skipped) ++*skipped;
                continue;
            }
            rc = bb_err(err, errlen, BB_EFORMAT, "%s:%ld: not valid UTF-8 (--skip-invalid-utf8 skips such lines)", path,
                        bb_lines_number(r));
            break;
        }
        if (cnt == cap) {
            long nc = cap ? cap * 2 : 64;
            char **nv = realloc(v, sizeof *nv * (size_t)nc);
            if (!nv) {
                rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
                break;
            }
            v = nv, cap = nc;
        }
        if (!(v[cnt] = line_text(line, len))) {
            rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
            break;
        }
        cnt++;
    }
    bb_lines_close(r);
    if (rc < 0) {
        tok_texts_free(v, cnt);
        return rc;
    }
    *texts = v;
    *n = cnt;
    return BB_OK;
}
