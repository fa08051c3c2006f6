/* zip_read.h — the central directory of a zip archive held in memory, as torch.save writes it.
 *
 * torch.save (>= 1.6) writes an uncompressed ("stored") zip: ARCHIVE/data.pkl, ARCHIVE/data/KEY for each
 * storage, ARCHIVE/version, with zip64 records when the archive is large. This reader walks the central
 * directory, checks every entry's local header and data range against the buffer, and hands out
 * pointers into it; compressed entries are listed but their data is refused with a message naming them.
 *
 *     zip_archive *z;
 *     if (zip_open_mem(&z, map, size, path, err, sizeof err) != BB_OK) ...;
 *     const zip_entry *e = zip_find(z, "archive/data.pkl");
 *     const unsigned char *p;
 *     if (e && zip_entry_data(z, e, &p, err, sizeof err) == BB_OK) ... e->size bytes at p ...;
 *     zip_close(z);
 */
#ifndef BB_ZIP_READ_H
#define BB_ZIP_READ_H

#include <stddef.h>
#include <stdint.h>

/* Entry counts beyond this are refused (a checkpoint has two files per tensor at most). */
#define ZIP_MAX_ENTRIES 1000000

typedef struct {
    char *name;      /* owned by the archive */
    uint64_t offset; /* of the entry's data in the buffer (after its local header) */
    uint64_t size;   /* stored size in bytes */
    uint64_t usize;  /* uncompressed size */
    int method;      /* 0 stored, 8 deflate, ... */
} zip_entry;

typedef struct zip_archive zip_archive;

/* Reads the central directory of the len bytes at data (borrowed: they must outlive the archive);
 * path names the file in messages. */
int zip_open_mem(zip_archive **out, const unsigned char *data, size_t len, const char *path, char *err,
                 size_t errlen);
void zip_close(zip_archive *z);

int zip_count(const zip_archive *z);
const zip_entry *zip_at(const zip_archive *z, int i);
const zip_entry *zip_find(const zip_archive *z, const char *name); /* NULL if absent */
/* Points *data at a stored entry's bytes; a compressed entry is an error naming it and its method. */
int zip_entry_data(const zip_archive *z, const zip_entry *e, const unsigned char **data, char *err, size_t errlen);

#endif
