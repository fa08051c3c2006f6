#include "bb_hub.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_err.h"

#define HUB_MAX_ID 96 /* huggingface_hub's limit on a repo id */

static int is_dir(const char *p) {
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static const char *env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int bb_hub_cache_dir(char *out, size_t outlen, char *err, size_t errlen) {
    const char *v;
    int n;
    if ((v = env("HF_HUB_CACHE")) || (v = env("HUGGINGFACE_HUB_CACHE")))
        n = snprintf(out, outlen, "%s", v);
    else if ((v = env("HF_HOME")))
        n = snprintf(out, outlen, "%s/hub", v);
    else if ((v = env("XDG_CACHE_HOME")))
        n = snprintf(out, outlen, "%s/huggingface/hub", v);
    else if ((v = env("HOME")))
        n = snprintf(out, outlen, "%s/.cache/huggingface/hub", v);
    else
        return bb_err(err, errlen, BB_EINVAL, "no Hugging Face cache: none of HF_HUB_CACHE, HF_HOME, HOME is set");
    if (n < 0 || (size_t)n >= outlen) return bb_err(err, errlen, BB_EINVAL, "Hugging Face cache path too long");
    return BB_OK;
}

static int name_char(char c) { return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.'; }

/* The repo part (up to '@' or the end) as huggingface_hub's validate_repo_id accepts it. */
static int repo_ok(const char *s, size_t n) {
    if (n == 0 || n > HUB_MAX_ID) return 0;
    int slashes = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/') {
            if (++slashes > 1 || i == 0 || i == n - 1) return 0;
        } else if (!name_char(s[i])) {
            return 0;
        }
        if (i && ((s[i] == '-' && s[i - 1] == '-') || (s[i] == '.' && s[i - 1] == '.'))) return 0;
    }
    return !strchr("-.", s[0]) && !strchr("-.", s[n - 1]);
}

static int revision_ok(const char *r) {
    if (!*r || *r == '/' || strstr(r, "..") || strlen(r) > 255) return 0;
    for (; *r; r++)
        if (!name_char(*r) && *r != '/') return 0;
    return 1;
}

int bb_hub_is_id(const char *s) {
    const char *at = strchr(s, '@');
    size_t n = at ? (size_t)(at - s) : strlen(s);
    return repo_ok(s, n) && (!at || revision_ok(at + 1));
}

/* cache/models--ORG--NAME for the n-byte repo id at id. */
static void repo_dir(char *out, size_t outlen, const char *cache, const char *id, size_t n) {
    size_t k = (size_t)snprintf(out, outlen, "%s/models--", cache);
    for (size_t i = 0; i < n && k + 3 < outlen; i++) {
        if (id[i] == '/') {
            out[k++] = '-';
            out[k++] = '-';
        } else {
            out[k++] = id[i];
        }
    }
    out[k < outlen ? k : outlen - 1] = 0;
}

/* The commit hash in repo/refs/rev, or "" when there is no such ref (or it is not a hash). */
static void read_ref(const char *repo, const char *rev, char *commit, size_t len) {
    char path[4400];
    commit[0] = 0;
    snprintf(path, sizeof path, "%s/refs/%s", repo, rev);
    FILE *fp = fopen(path, "r");
    if (!fp) return;
    size_t n = fread(commit, 1, len - 1, fp);
    fclose(fp);
    commit[n] = 0;
    while (n && isspace((unsigned char)commit[n - 1])) commit[--n] = 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)commit[i])) commit[0] = 0;
}

static int is_hash(const char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return 0;
    return n == 40;
}

int bb_hub_resolve(const char *arg, char *out, size_t outlen, char *err, size_t errlen) {
    struct stat sb;
    if (stat(arg, &sb) == 0 || !bb_hub_is_id(arg)) {
        if ((size_t)snprintf(out, outlen, "%s", arg) >= outlen) return bb_err(err, errlen, BB_EINVAL, "%s: path too long", arg);
        return BB_OK;
    }
    const char *at = strchr(arg, '@'), *rev = at ? at + 1 : "main";
    int n = at ? (int)(at - arg) : (int)strlen(arg);
    char cache[4096], repo[4300], commit[64], snap[4400];
    int rc = bb_hub_cache_dir(cache, sizeof cache, err, errlen);
    if (rc != BB_OK) return rc;
    repo_dir(repo, sizeof repo, cache, arg, (size_t)n);
    if (!is_dir(repo) && memchr(arg, '/', (size_t)n))
        return bb_err(err, errlen, BB_EIO,
                      "%.*s is not in the Hugging Face cache (looked in %s); download it with "
                      "`huggingface-cli download %.*s` or give --model DIR",
                      n, arg, repo, n, arg);
    if (!is_dir(repo)) /* a bare name may as well have been meant as a file */
        return bb_err(err, errlen, BB_EIO,
                      "%s: no such file or directory, and %.*s is not in the Hugging Face cache (looked in %s); "
                      "download it with `huggingface-cli download %.*s` or give --model DIR",
                      arg, n, arg, repo, n, arg);
    read_ref(repo, rev, commit, sizeof commit);
    snprintf(snap, sizeof snap, "%s/snapshots/%s", repo, rev);
    if (!commit[0] && is_hash(rev) && is_dir(snap)) snprintf(commit, sizeof commit, "%s", rev);
    if (!commit[0])
        return bb_err(err, errlen, BB_EIO,
                      "%.*s has no revision '%s' in the Hugging Face cache (looked in %s/refs/%s and %s); download it "
                      "with `huggingface-cli download %.*s --revision %s` or give --model DIR",
                      n, arg, rev, repo, rev, snap, n, arg, rev);
    snprintf(snap, sizeof snap, "%s/snapshots/%s", repo, commit);
    if (!is_dir(snap))
        return bb_err(err, errlen, BB_EIO,
                      "%.*s: revision '%s' points to commit %s, whose snapshot %s is missing; download it again with "
                      "`huggingface-cli download %.*s`",
                      n, arg, rev, commit, snap, n, arg);
    if ((size_t)snprintf(out, outlen, "%s", snap) >= outlen) return bb_err(err, errlen, BB_EINVAL, "%s: path too long", snap);
    return BB_OK;
}

static int model_cmp(const void *a, const void *b) {
    return strcmp(((const bb_hub_model *)a)->id, ((const bb_hub_model *)b)->id);
}

/* Without a main ref: the most recently written snapshot. */
static int newest_snapshot(const char *repo, char *hash, size_t len) {
    char dir[4500], p[4800];
    snprintf(dir, sizeof dir, "%s/snapshots", repo);
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    long long best = -1;
    while ((e = readdir(d))) {
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || strlen(e->d_name) >= len || stat(p, &sb) != 0 || !S_ISDIR(sb.st_mode)) continue;
        if ((long long)sb.st_mtime > best) {
            best = (long long)sb.st_mtime;
            snprintf(hash, len, "%s", e->d_name);
        }
    }
    closedir(d);
    return best >= 0;
}

int bb_hub_list(bb_hub_model **out, int *n, char *err, size_t errlen) {
    *out = NULL;
    *n = 0;
    char cache[4096];
    int rc = bb_hub_cache_dir(cache, sizeof cache, err, errlen);
    if (rc != BB_OK) return rc;
    DIR *d = opendir(cache);
    if (!d) return BB_OK; /* no cache: no models */
    bb_hub_model *list = NULL;
    int cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "models--", 8) != 0) continue;
        bb_hub_model m = {0};
        const char *s = e->d_name + 8;
        size_t k = 0;
        for (; *s && k + 1 < sizeof m.id; s++) {
            if (s[0] == '-' && s[1] == '-') {
                m.id[k++] = '/';
                s++;
            } else {
                m.id[k++] = *s;
            }
        }
        char repo[4400];
        snprintf(repo, sizeof repo, "%s/%s", cache, e->d_name);
        read_ref(repo, "main", m.commit, sizeof m.commit);
        snprintf(m.revision, sizeof m.revision, "main");
        if (!m.commit[0]) {
            if (!newest_snapshot(repo, m.commit, sizeof m.commit)) continue;
            snprintf(m.revision, sizeof m.revision, "%s", m.commit);
        }
        if ((size_t)snprintf(m.path, sizeof m.path, "%s/snapshots/%s", repo, m.commit) >= sizeof m.path ||
            !is_dir(m.path))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            bb_hub_model *g = realloc(list, sizeof *g * (size_t)cap);
            if (!g) {
                closedir(d);
                free(list);
                return bb_err(err, errlen, BB_ENOMEM, "out of memory listing %s", cache);
            }
            list = g;
        }
        list[(*n)++] = m;
    }
    closedir(d);
    if (*n) qsort(list, (size_t)*n, sizeof *list, model_cmp);
    *out = list;
    return BB_OK;
}
