#include "zip_read.h"

#include <stdlib.h>
#include <string.h>

#include "bb_err.h"

struct zip_archive {
    zip_entry *entries; /* sorted by name */
    int n;
    const unsigned char *data;
    size_t len;
    const char *path;
};

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

void zip_close(zip_archive *z) {
    if (!z) return;
    for (int i = 0; i < z->n; i++) free(z->entries[i].name);
    free(z->entries);
    free(z);
}

int zip_count(const zip_archive *z) { return z->n; }
const zip_entry *zip_at(const zip_archive *z, int i) { return i >= 0 && i < z->n ? &z->entries[i] : NULL; }

static int entry_cmp(const void *a, const void *b) {
    return strcmp(((const zip_entry *)a)->name, ((const zip_entry *)b)->name);
}

const zip_entry *zip_find(const zip_archive *z, const char *name) {
    zip_entry key = {.name = (char *)name};
    return bsearch(&key, z->entries, (size_t)z->n, sizeof key, entry_cmp);
}

/* Finds the end-of-central-directory record (the last one; a comment may follow it). */
static int find_eocd(const unsigned char *d, size_t len, size_t *at) {
    if (len < 22) return 0;
    size_t lo = len > 22 + 65535 ? len - 22 - 65535 : 0;
    for (size_t i = len - 22 + 1; i-- > lo;)
        if (rd32(d + i) == 0x06054b50 && i + 22 + rd16(d + i + 20) == len) {
            *at = i;
            return 1;
        }
    return 0;
}

/* Replaces 0xFFFFFFFF sizes/offset with their values from the zip64 extra field (id 1). */
static int zip64_extra(const unsigned char *x, size_t xlen, uint64_t *usize, uint64_t *csize, uint64_t *off) {
    while (xlen >= 4) {
        uint32_t id = rd16(x), n = rd16(x + 2);
        if (n > xlen - 4) return 0;
        if (id == 1) {
            const unsigned char *p = x + 4, *end = x + 4 + n;
            uint64_t *fields[3] = {usize, csize, off};
            for (int i = 0; i < 3; i++) {
                if (*fields[i] != 0xFFFFFFFFu) continue;
                if (end - p < 8) return 0;
                *fields[i] = rd64(p);
                p += 8;
            }
            return 1;
        }
        x += 4 + n;
        xlen -= 4 + n;
    }
    return 1;
}

/* The central directory's place and entry count from the end record (zip64 when the classic fields are
 * saturated), checked against the file. */
static int directory_end(const unsigned char *d, size_t len, const char *path, uint64_t *count, uint64_t *cd_size,
                         uint64_t *cd_off, char *err, size_t errlen) {
    size_t eocd;
    if (!find_eocd(d, len, &eocd))
        return bb_err(err, errlen, BB_EFORMAT, "%s: no zip end-of-central-directory record (truncated or not a zip)",
                      path);
    *count = rd16(d + eocd + 10);
    *cd_size = rd32(d + eocd + 12);
    *cd_off = rd32(d + eocd + 16);
    if ((*count == 0xFFFF || *cd_size == 0xFFFFFFFFu || *cd_off == 0xFFFFFFFFu) && eocd >= 20 &&
        rd32(d + eocd - 20) == 0x07064b50) {
        uint64_t z64 = rd64(d + eocd - 12);
        if (z64 > len || len - z64 < 56 || rd32(d + z64) != 0x06064b50)
            return bb_err(err, errlen, BB_EFORMAT, "%s: zip64 end-of-central-directory record is outside the file",
                          path);
        *count = rd64(d + z64 + 32);
        *cd_size = rd64(d + z64 + 40);
        *cd_off = rd64(d + z64 + 48);
    }
    if (*cd_off > len || *cd_size > len - *cd_off)
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: zip central directory (%llu bytes at %llu) is past the end of the file (%zu bytes): truncated?",
                      path, (unsigned long long)*cd_size, (unsigned long long)*cd_off, len);
    if (*count > ZIP_MAX_ENTRIES || *count > *cd_size / 46)
        return bb_err(err, errlen, BB_EFORMAT, "%s: zip claims %llu entries in a %llu-byte central directory", path,
                      (unsigned long long)*count, (unsigned long long)*cd_size);
    return BB_OK;
}

/* Central directory entry i at *p (advanced past it) -> z->entries[z->n++], its data located through the
 * local header. */
static int directory_entry(zip_archive *z, const unsigned char **pp, const unsigned char *end, uint64_t i, char *err,
                           size_t errlen) {
    const unsigned char *p = *pp, *d = z->data;
    size_t len = z->len;
    const char *path = z->path;
    if (end - p < 46 || rd32(p) != 0x02014b50)
        return bb_err(err, errlen, BB_EFORMAT, "%s: zip central directory entry %llu is damaged", path,
                      (unsigned long long)i);
    size_t nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
    if ((size_t)(end - p) - 46 < nlen + xlen + clen)
        return bb_err(err, errlen, BB_EFORMAT, "%s: zip central directory entry %llu runs past its end", path,
                      (unsigned long long)i);
    zip_entry *e = &z->entries[z->n];
    uint64_t csize = rd32(p + 20), usize = rd32(p + 24), loc = rd32(p + 42);
    e->method = (int)rd16(p + 10);
    if (rd16(p + 8) & 1) e->method = -1; /* encrypted */
    if (memchr(p + 46, 0, nlen))
        return bb_err(err, errlen, BB_EFORMAT, "%s: zip entry %llu has a NUL in its name", path, (unsigned long long)i);
    if (!(e->name = malloc(nlen + 1))) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    memcpy(e->name, p + 46, nlen);
    e->name[nlen] = 0;
    z->n++;
    if (!zip64_extra(p + 46 + nlen, xlen, &usize, &csize, &loc))
        return bb_err(err, errlen, BB_EFORMAT, "%s: zip entry '%s' has a damaged zip64 extra field", path, e->name);
    if (loc > len || len - loc < 30 || rd32(d + loc) != 0x04034b50)
        return bb_err(err, errlen, BB_EFORMAT, "%s: zip entry '%s': local header at %llu is missing (truncated?)",
                      path, e->name, (unsigned long long)loc);
    uint64_t start = loc + 30 + rd16(d + loc + 26) + rd16(d + loc + 28);
    if (start > len || csize > len - start)
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: zip entry '%s' (%llu bytes at %llu) ends past the end of the file (%zu bytes): truncated?",
                      path, e->name, (unsigned long long)csize, (unsigned long long)start, len);
    e->offset = start;
    e->size = csize;
    e->usize = usize;
    *pp = p + 46 + nlen + xlen + clen;
    return BB_OK;
}

int zip_open_mem(zip_archive **out, const unsigned char *d, size_t len, const char *path, char *err, size_t errlen) {
    *out = NULL;
    uint64_t count = 0, cd_size = 0, cd_off = 0;
    int rc = directory_end(d, len, path, &count, &cd_size, &cd_off, err, errlen);
    if (rc != BB_OK) return rc;
    zip_archive *z = calloc(1, sizeof *z);
    if (!z || !(z->entries = calloc(count ? count : 1, sizeof *z->entries))) {
        free(z);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    z->data = d;
    z->len = len;
    z->path = path;
    const unsigned char *p = d + cd_off, *end = d + cd_off + cd_size;
    for (uint64_t i = 0; i < count; i++)
        if ((rc = directory_entry(z, &p, end, i, err, errlen)) != BB_OK) goto fail;
    qsort(z->entries, (size_t)z->n, sizeof *z->entries, entry_cmp);
    for (int i = 1; i < z->n; i++)
        if (strcmp(z->entries[i].name, z->entries[i - 1].name) == 0) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: zip entry '%s' appears twice", path, z->entries[i].name);
            goto fail;
        }
    *out = z;
    return BB_OK;
fail:
    zip_close(z);
    return rc;
}

int zip_entry_data(const zip_archive *z, const zip_entry *e, const unsigned char **data, char *err, size_t errlen) {
    *data = NULL;
    if (e->method == -1)
        return bb_err(err, errlen, BB_EFORMAT, "%s: zip entry '%s' is encrypted", z->path, e->name);
    if (e->method != 0)
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: zip entry '%s' is compressed (method %d); torch.save stores entries uncompressed, so "
                      "re-save it with torch.save or unzip and re-zip it with `zip -0`",
                      z->path, e->name, e->method);
    if (e->usize != e->size)
        return bb_err(err, errlen, BB_EFORMAT, "%s: zip entry '%s' is stored but its sizes differ (%llu, %llu)",
                      z->path, e->name, (unsigned long long)e->size, (unsigned long long)e->usize);
    *data = z->data + e->offset;
    return BB_OK;
}
