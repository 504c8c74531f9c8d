/* A small reader for trace files written by sim/trace: summary figures, attributes, table
 * columns, matrices and texts. Used by oastwin-report and the tests; never prints (HDF5's own
 * error printing is off during each call) and leaves one message in diag_t on failure.
 * Ownership: h5r_open() allocates, h5r_close() frees. Every array returned through an OUT
 * pointer is one malloc'd block that the caller frees with a single free(). */
#ifndef OAS_H5READ_H
#define OAS_H5READ_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

typedef struct h5r_file h5r_file;

/* One summary figure; over-long strings are cut (always NUL-terminated). */
typedef struct {
    char name[96];
    char unit[32];
    char doc[256];
    int is_text; /* 1: TEXT holds the value; 0: VALUE does */
    double value;
    char text[256];
} h5r_figure;

typedef enum h5r_kind { H5R_TEXT, H5R_INT, H5R_FLOAT } h5r_kind;

/* One attribute: TEXT always holds a printable form (array elements joined by ", "). */
typedef struct {
    char name[96];
    h5r_kind kind;
    size_t count; /* elements: 1 for a scalar */
    int64_t i64;  /* H5R_INT (the first element) */
    double value; /* H5R_INT and H5R_FLOAT (the first element) */
    char text[512];
} h5r_attr;

/* Opens PATH read-only; NULL with "cannot open 'PATH': REASON" in ERR. */
h5r_file *h5r_open(const char *path, diag_t *err);
void h5r_close(h5r_file *f);
const char *h5r_path(const h5r_file *f);

/* The figures under /summary in creation order (name order if not tracked). */
int h5r_summary(h5r_file *f, h5r_figure **out, size_t *n, diag_t *err);

/* The attributes of the object at OBJ_PATH ("/" for the root) in creation order. */
int h5r_attrs(h5r_file *f, const char *obj_path, h5r_attr **out, size_t *n, diag_t *err);

/* Attribute NAME of OBJ_PATH as text into BUF (cut to LEN - 1 bytes): strings as they are,
 * arrays joined by ", ", numbers formatted (integers exactly, floats with %.17g). */
int h5r_attr_str(h5r_file *f, const char *obj_path, const char *name, char *buf, size_t len,
                 diag_t *err);

/* The strings of attribute NAME of OBJ_PATH (scalar: one): *OUT is an array of *N pointers. */
int h5r_attr_strv(h5r_file *f, const char *obj_path, const char *name, char ***out, size_t *n,
                  diag_t *err);

/* Rows of the table (or any dataset: its first dimension) at PATH. */
int h5r_table_rows(h5r_file *f, const char *path, size_t *n, diag_t *err);

/* The member names of the compound table at PATH, in the file's order. */
int h5r_table_columns(h5r_file *f, const char *path, char ***out, size_t *n, diag_t *err);

/* One numeric column (float or integer) of the compound table at PATH, as doubles.
 * *OUT is NULL when the table has no rows. */
int h5r_table_f64(h5r_file *f, const char *path, const char *column, double **out, size_t *n,
                  diag_t *err);

/* A numeric 1-D or 2-D dataset at PATH as row-major doubles ([ROWS][COLS]; 1-D: COLS = 1).
 * *OUT is NULL when it is empty. */
int h5r_matrix(h5r_file *f, const char *path, double **out, size_t *rows, size_t *cols,
               diag_t *err);

/* The scalar string dataset at PATH, as a malloc'd NUL-terminated copy. */
int h5r_text(h5r_file *f, const char *path, char **out, diag_t *err);

#endif
