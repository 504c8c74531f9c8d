/* The trace: append-only in-memory tables, summary figures and texts that models fill during a
 * run, written at the end to one HDF5 file (chunked, deflate-compressed) under a temporary name
 * and renamed when complete. Models never call HDF5; only trace.c does.
 * Ownership: trace_new() allocates, trace_free() frees everything; strings passed in are copied;
 * pointers returned (tables) live until trace_free(). */
#ifndef OAS_TRACE_H
#define OAS_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

typedef enum trace_col_type { TCOL_F64, TCOL_I64, TCOL_I32, TCOL_STR } trace_col_type;

/* One column of a table: rows are C structs; a column is a field at OFFSET.
 * TCOL_STR is a fixed-size, NUL-padded char array of SIZE bytes. */
typedef struct trace_col {
    const char *name;
    trace_col_type type;
    size_t offset;
    size_t size; /* only for TCOL_STR */
    const char *unit; /* "s", "B", "B/s", "1" (dimensionless), "" for text */
    const char *doc;
} trace_col;

typedef struct trace trace_t;
typedef struct trace_table trace_table_t;

trace_t *trace_new(void);
void trace_free(trace_t *t);

/* Creates a table at PATH ("/training/iterations"; parent groups are created on write).
 * COLS is copied. Returns NULL on a bad definition: a path not starting with '/', with an empty
 * component, under /summary, or equal to / a group of / inside another object's path; columns
 * with empty or duplicate names, overlapping fields or fields outside ROW_SIZE. */
trace_table_t *trace_table_create(trace_t *t, const char *path, const char *doc,
                                  const trace_col *cols, size_t ncols, size_t row_size);
trace_table_t *trace_table_find(trace_t *t, const char *path);
/* Appends a copy of ROW (row_size bytes). Returns 0 or -1 (out of memory). */
int trace_table_append(trace_table_t *tab, const void *row);
size_t trace_table_rows(const trace_table_t *tab);
/* Bytes of every table's and matrix's rows and every text held so far: what the file will
 * store before compression. O(objects); the engine compares it with the run's trace limit. */
size_t trace_bytes(const trace_t *t);
const void *trace_table_row(const trace_table_t *tab, size_t i);

/* A 2-D float64 time series or matrix at PATH with NCOLS columns (e.g. one per accelerator):
 * rows are appended one at a time. Column names, if set with trace_matrix_set_columns(), are
 * stored as a "columns" attribute. Returns NULL on a bad definition (bad or duplicate path). */
trace_table_t *trace_matrix_create(trace_t *t, const char *path, const char *doc, size_t ncols,
                                   const char *unit);
int trace_matrix_append(trace_table_t *m, const double *row);
/* Copies NAMES (NCOLS strings) as the matrix's column names. Returns 0 or -1. */
int trace_matrix_set_columns(trace_table_t *m, const char *const *names);

/* Headline figures, stored as scalar datasets under /summary in insertion order
 * (each with "units" and "doc" attributes). Setting a name twice overwrites it in place.
 * These setters (and the attr/text ones below) return nothing: an invalid name or an out of
 * memory is remembered and makes trace_write() fail with the reason. */
void trace_summary_f64(trace_t *t, const char *name, double v, const char *unit, const char *doc);
void trace_summary_i64(trace_t *t, const char *name, int64_t v, const char *unit, const char *doc);
void trace_summary_str(trace_t *t, const char *name, const char *v, const char *doc);

/* Root attributes (schema_version, software_version, seed, scenario_sha256, created). */
void trace_attr_str(trace_t *t, const char *name, const char *v);
void trace_attr_i64(trace_t *t, const char *name, int64_t v);

/* A text dataset (scalar fixed-length UTF-8 string, sized to TEXT) at PATH, e.g.
 * "/scenario/source". Setting the same path twice replaces the text. */
void trace_text(trace_t *t, const char *path, const char *text, const char *doc);

/* Writes everything to OUT_PATH: the file is built in memory (HDF5 core driver), written to
 * "OUT_PATH.tmp.<pid>", fsync'ed, then rename(2)d; layout in docs/hdf5-conventions.md. On failure
 * the temporary file is removed, nothing exists at OUT_PATH that was not there before, and
 * -1 is returned with the reason in ERR. Every dataset gets a "units" attribute (tables: one
 * string per column, in column order) and a "doc" attribute. */
int trace_write(const trace_t *t, const char *out_path, diag_t *err);

/* For a signal handler: removes the temporary file being written, if any.
 * Async-signal-safe (only unlink(2) on a static buffer). */
void trace_abort_pending(void);

#endif
