/* Private to the trace modules: the in-memory objects (trace.c builds them, trace_h5.c writes
 * them to HDF5). Nothing outside sim/trace*.c includes this. */
#ifndef OAS_TRACE_IMPL_H
#define OAS_TRACE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "trace.h"

/* Rows per chunk aim at this many bytes: big enough for deflate, small enough to read a slice. */
enum { CHUNK_TARGET_BYTES = 65536, DEFLATE_LEVEL = 4, FIRST_ROW_CAPACITY = 64 };
/* The in-memory file grows by this much at a time. */
#define CORE_INCREMENT_BYTES ((size_t)4 << 20)
/* Groups remember and index the order in which their links were created. */

typedef enum obj_kind { OBJ_TABLE, OBJ_MATRIX, OBJ_TEXT } obj_kind;

struct trace_table {
    obj_kind kind;
    char *path;
    char *doc;
    trace_col *cols; /* OBJ_TABLE: ncols copies (strings owned); otherwise NULL */
    size_t ncols;    /* OBJ_MATRIX: the width */
    size_t row_size;
    unsigned char *rows;
    size_t nrows, cap_rows;
    char *unit;       /* OBJ_MATRIX */
    char **col_names; /* OBJ_MATRIX, optional: ncols names */
    char *text;       /* OBJ_TEXT */
};

typedef enum value_kind { VAL_F64, VAL_I64, VAL_STR } value_kind;

/* A summary figure or a root attribute. */
typedef struct named_value {
    char *name;
    value_kind kind;
    double f64;
    int64_t i64;
    char *str;
    char *unit;
    char *doc;
} named_value;

struct trace {
    trace_table_t **objs;
    size_t nobjs, cap_objs;
    named_value *figures;
    size_t nfigures, cap_figures;
    named_value *attrs;
    size_t nattrs, cap_attrs;
    char error[512]; /* first failure of a void setter, reported by trace_write() */
};

/* strdup that accepts NULL (returns NULL) */
char *trace_dup_str(const char *s);
/* Bytes one column occupies in a row. */
size_t trace_col_width(const trace_col *c);

#endif
