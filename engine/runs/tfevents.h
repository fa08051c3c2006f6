/* tfevents.h — TensorBoard event files: read the scalars of one while it grows, and write one.
 *
 * An event file (events.out.tfevents.TIME.HOST.PID...) is a TFRecord stream (tfrecord.h) of `Event`
 * protobufs (tensorboard/compat/proto/event.proto): wall_time = 1 (double), step = 2 (int64),
 * file_version = 3 ("brain.Event:2" in the first event), summary = 5. A Summary holds repeated
 * Value = 1 {tag = 1, simple_value = 2 (float), tensor = 8 (TensorProto), metadata = 9}. Scalars come
 * in two forms: simple_value (torch's SummaryWriter, which Hugging Face's TensorBoardCallback uses)
 * and a one-element DT_FLOAT/DT_DOUBLE tensor whose metadata names the "scalars" plugin (TensorFlow 2
 * writers; they put the metadata on a tag's first value only, so the reader remembers the tag).
 *
 *     tfev_file *f;
 *     tfev_file_open(&f, path, err, sizeof err);
 *     tfev_file_poll(f, on_point, user, err, sizeof err);     // every complete record not read yet
 *     ... later, after the writer appended more: tfev_file_poll again ...
 *     f->corrupt, f->torn_bytes                                // skipped records, bytes waiting
 *     tfev_file_free(f);
 *
 *     tfev_writer *w;                                          // what bertbench's trainer writes
 *     tfev_writer_open(&w, run_dir, err, sizeof err);          // events.out.tfevents.* + file_version
 *     tfev_writer_scalars(w, step, wall, tags, values, n, err, sizeof err);
 *     tfev_writer_close(w, err, sizeof err);
 */
#ifndef BB_TFEVENTS_H
#define BB_TFEVENTS_H

#include <stddef.h>
#include <stdint.h>

enum { TFEV_MAX_TAG = 512, TFEV_MAX_SCALAR_TAGS = 4096 };

/* One scalar: returns 0, or a negative bb_err code that stops the reading. */
typedef int (*tfev_point_fn)(void *user, const char *tag, int64_t step, double wall_time, double value);

typedef struct {
    char *path;
    uint64_t off;       /* bytes consumed: complete records and skipped damage */
    long records;       /* records read with good CRCs */
    long corrupt;       /* records skipped: bad CRC, or not an Event protobuf */
    long points;        /* scalars delivered */
    size_t torn_bytes;  /* bytes after off at the last poll: a record still being written */
    char version[32];   /* file_version of the first event ("brain.Event:2"), "" before it */
    double first_wall;  /* wall_time of the first event; NaN before it */
    char **scalar_tags; /* (n_scalar_tags) tags seen with the "scalars" plugin */
    int n_scalar_tags;
} tfev_file;

int tfev_file_open(tfev_file **out, const char *path, char *err, size_t errlen);
/* Reads what the file gained since the last poll. A file that shrank was replaced: read again from
 * the start. Returns BB_OK (points delivered through fn) or an error (I/O, or fn's). */
int tfev_file_poll(tfev_file *f, tfev_point_fn fn, void *user, char *err, size_t errlen);
/* The same over a buffer holding the file from f->off on; *used is how much of it was consumed
 * (complete records and damage; a torn tail stays). For tests and the fuzz target. */
int tfev_parse(tfev_file *f, const uint8_t *buf, size_t len, size_t *used, tfev_point_fn fn, void *user);
void tfev_file_free(tfev_file *f);

/* 1 when path's first record is an Event with a "brain.Event:" file_version (recognised by content,
 * not by name); 0 otherwise, also when it cannot be read. */
int tfev_sniff(const char *path);

typedef struct tfev_writer tfev_writer;
/* Creates DIR/events.out.tfevents.SECONDS.HOST.PID.N (N: the first free) and writes the version event. */
int tfev_writer_open(tfev_writer **out, const char *dir, char *err, size_t errlen);
/* One Event at step holding n simple_value scalars (NaN values are left out); flushed at once. */
int tfev_writer_scalars(tfev_writer *w, int64_t step, double wall_time, const char *const *tags, const float *values,
                        int n, char *err, size_t errlen);
const char *tfev_writer_path(const tfev_writer *w);
int tfev_writer_close(tfev_writer *w, char *err, size_t errlen); /* frees w also on error */

#endif
