/* The trace writer: tables, matrices and texts held in memory in creation order, summary figures
 * and root attributes keyed by name, all written by trace_write() to one HDF5 file.
 * Invariants: no two objects' paths conflict (equal, or one a group prefix of the other) and none
 * lies under /summary; the first error of a void setter is remembered and fails trace_write();
 * the same sequence of calls gives a byte-identical file (no timestamps, fixed-length strings). */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

/* Rows per chunk aim at this many bytes: big enough for deflate, small enough to read a slice. */
enum { CHUNK_TARGET_BYTES = 65536, DEFLATE_LEVEL = 4, FIRST_ROW_CAPACITY = 64 };
/* The in-memory file grows by this much at a time. */
#define CORE_INCREMENT_BYTES ((size_t)4 << 20)
/* Groups remember and index the order in which their links were created. */
#define CRT_ORDER (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)

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

/* The temporary file being written, for trace_abort_pending() in a signal handler. */
static char pending_tmp[4096];
static volatile sig_atomic_t pending_armed;

/* ---- small helpers ---- */

static char *dup_str(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Grows *P (of element size ELEM) so that it holds at least NEED elements; doubling. */
static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : first;
    while (n < need) {
        if (n > SIZE_MAX / 2)
            return -1;
        n *= 2;
    }
    if (n > SIZE_MAX / elem)
        return -1;
    void *q = realloc(*p, n * elem);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static void trace_remember(trace_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace_remember(trace_t *t, const char *fmt, ...)
{
    if (!t || t->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->error, sizeof t->error, fmt, ap);
    va_end(ap);
}

/* A path is "/a/b": starts with '/', no empty, "." or ".." component, no trailing '/'. */
static bool path_valid(const char *path)
{
    if (!path || path[0] != '/' || path[1] == '\0')
        return false;
    const char *c = path + 1;
    for (;;) {
        const char *slash = strchr(c, '/');
        size_t len = slash ? (size_t)(slash - c) : strlen(c);
        if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        if (!slash)
            return true;
        c = slash + 1;
    }
}

/* True when A is B, or one names a group that contains the other. */
static bool paths_conflict(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t n = la < lb ? la : lb;
    if (strncmp(a, b, n) != 0)
        return false;
    if (la == lb)
        return true;
    return (la > lb ? a[lb] : b[la]) == '/';
}

/* Checks PATH for a new object; returns NULL if fine, else the reason. */
static const char *path_problem(const trace_t *t, const char *path, const trace_table_t *except)
{
    if (!path_valid(path))
        return "must start with '/' and have no empty, '.' or '..' component";
    if (paths_conflict(path, "/summary"))
        return "/summary is reserved for summary figures";
    for (size_t i = 0; i < t->nobjs; i++)
        if (t->objs[i] != except && paths_conflict(path, t->objs[i]->path))
            return "conflicts with an existing table, matrix or text";
    return NULL;
}

static void table_free(trace_table_t *tab)
{
    if (!tab)
        return;
    for (size_t i = 0; tab->cols && i < tab->ncols; i++) {
        free((char *)tab->cols[i].name);
        free((char *)tab->cols[i].unit);
        free((char *)tab->cols[i].doc);
    }
    free(tab->cols);
    for (size_t i = 0; tab->col_names && i < tab->ncols; i++)
        free(tab->col_names[i]);
    free(tab->col_names);
    free(tab->path);
    free(tab->doc);
    free(tab->rows);
    free(tab->unit);
    free(tab->text);
    free(tab);
}

static void value_clear(named_value *v)
{
    free(v->name);
    free(v->str);
    free(v->unit);
    free(v->doc);
    memset(v, 0, sizeof *v);
}

/* ---- building the trace ---- */

trace_t *trace_new(void)
{
    return calloc(1, sizeof(trace_t));
}

void trace_free(trace_t *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nobjs; i++)
        table_free(t->objs[i]);
    free(t->objs);
    for (size_t i = 0; i < t->nfigures; i++)
        value_clear(&t->figures[i]);
    free(t->figures);
    for (size_t i = 0; i < t->nattrs; i++)
        value_clear(&t->attrs[i]);
    free(t->attrs);
    free(t);
}

/* Adds TAB (already filled) to T; frees it and returns NULL on failure. */
static trace_table_t *trace_adopt(trace_t *t, trace_table_t *tab)
{
    if (grow((void **)&t->objs, &t->cap_objs, t->nobjs + 1, sizeof *t->objs, 8) < 0) {
        table_free(tab);
        return NULL;
    }
    t->objs[t->nobjs++] = tab;
    return tab;
}

static size_t col_width(const trace_col *c)
{
    switch (c->type) {
    case TCOL_F64:
    case TCOL_I64:
        return 8;
    case TCOL_I32:
        return 4;
    case TCOL_STR:
        return c->size;
    }
    return 0;
}

/* Checks column definitions: names unique and non-empty, fields inside the row, no overlap. */
static bool cols_valid(const trace_col *cols, size_t ncols, size_t row_size)
{
    if (!cols || ncols == 0 || row_size == 0)
        return false;
    for (size_t i = 0; i < ncols; i++) {
        const trace_col *c = &cols[i];
        if (!c->name || !c->name[0] || strchr(c->name, '/'))
            return false;
        if ((unsigned)c->type > TCOL_STR)
            return false;
        size_t w = col_width(c);
        if (w == 0 || c->offset > row_size || w > row_size - c->offset)
            return false;
        for (size_t j = 0; j < i; j++) {
            const trace_col *d = &cols[j];
            if (strcmp(c->name, d->name) == 0)
                return false;
            if (c->offset < d->offset + col_width(d) && d->offset < c->offset + w)
                return false;
        }
    }
    return true;
}

trace_table_t *trace_table_create(trace_t *t, const char *path, const char *doc,
                                  const trace_col *cols, size_t ncols, size_t row_size)
{
    if (!t || path_problem(t, path, NULL) || !cols_valid(cols, ncols, row_size))
        return NULL;
    trace_table_t *tab = calloc(1, sizeof *tab);
    if (!tab)
        return NULL;
    tab->kind = OBJ_TABLE;
    tab->row_size = row_size;
    tab->ncols = ncols;
    tab->path = dup_str(path);
    tab->doc = dup_str(doc);
    tab->cols = calloc(ncols, sizeof *tab->cols);
    if (!tab->path || !tab->doc || !tab->cols)
        goto free_table;
    for (size_t i = 0; i < ncols; i++) {
        tab->cols[i] = cols[i];
        tab->cols[i].name = dup_str(cols[i].name);
        tab->cols[i].unit = dup_str(cols[i].unit);
        tab->cols[i].doc = dup_str(cols[i].doc);
        if (!tab->cols[i].name || !tab->cols[i].unit || !tab->cols[i].doc)
            goto free_table;
    }
    return trace_adopt(t, tab);

free_table:
    table_free(tab);
    return NULL;
}

trace_table_t *trace_table_find(trace_t *t, const char *path)
{
    for (size_t i = 0; t && path && i < t->nobjs; i++)
        if (t->objs[i]->kind != OBJ_TEXT && strcmp(t->objs[i]->path, path) == 0)
            return t->objs[i];
    return NULL;
}

int trace_table_append(trace_table_t *tab, const void *row)
{
    if (!tab || !row || tab->kind == OBJ_TEXT)
        return -1;
    if (grow((void **)&tab->rows, &tab->cap_rows, tab->nrows + 1, tab->row_size,
             FIRST_ROW_CAPACITY) < 0)
        return -1;
    memcpy(tab->rows + tab->nrows * tab->row_size, row, tab->row_size);
    tab->nrows++;
    return 0;
}

size_t trace_table_rows(const trace_table_t *tab)
{
    return tab ? tab->nrows : 0;
}

const void *trace_table_row(const trace_table_t *tab, size_t i)
{
    if (!tab || i >= tab->nrows)
        return NULL;
    return tab->rows + i * tab->row_size;
}

trace_table_t *trace_matrix_create(trace_t *t, const char *path, const char *doc, size_t ncols,
                                   const char *unit)
{
    if (!t || path_problem(t, path, NULL) || ncols == 0 || ncols > SIZE_MAX / sizeof(double))
        return NULL;
    trace_table_t *tab = calloc(1, sizeof *tab);
    if (!tab)
        return NULL;
    tab->kind = OBJ_MATRIX;
    tab->ncols = ncols;
    tab->row_size = ncols * sizeof(double);
    tab->path = dup_str(path);
    tab->doc = dup_str(doc);
    tab->unit = dup_str(unit);
    if (!tab->path || !tab->doc || !tab->unit) {
        table_free(tab);
        return NULL;
    }
    return trace_adopt(t, tab);
}

int trace_matrix_append(trace_table_t *m, const double *row)
{
    if (!m || m->kind != OBJ_MATRIX)
        return -1;
    return trace_table_append(m, row);
}

int trace_matrix_set_columns(trace_table_t *m, const char *const *names)
{
    if (!m || m->kind != OBJ_MATRIX || !names)
        return -1;
    char **copy = calloc(m->ncols, sizeof *copy);
    if (!copy)
        return -1;
    for (size_t i = 0; i < m->ncols; i++) {
        copy[i] = dup_str(names[i]);
        if (!copy[i]) {
            for (size_t j = 0; j < i; j++)
                free(copy[j]);
            free(copy);
            return -1;
        }
    }
    for (size_t i = 0; m->col_names && i < m->ncols; i++)
        free(m->col_names[i]);
    free(m->col_names);
    m->col_names = copy;
    return 0;
}

/* Finds NAME in a keyed list or appends an empty slot for it; NULL on OOM. */
static named_value *value_slot(named_value **list, size_t *n, size_t *cap, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i].name, name) == 0) {
            char *keep = (*list)[i].name;
            (*list)[i].name = NULL;
            value_clear(&(*list)[i]);
            (*list)[i].name = keep;
            return &(*list)[i];
        }
    if (grow((void **)list, cap, *n + 1, sizeof **list, 16) < 0)
        return NULL;
    named_value *v = &(*list)[*n];
    memset(v, 0, sizeof *v);
    v->name = dup_str(name);
    if (!v->name)
        return NULL;
    (*n)++;
    return v;
}

/* A summary figure or attribute name: non-empty, no '/', not "." or "..". */
static bool name_valid(const char *name)
{
    return name && name[0] && !strchr(name, '/') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

static named_value *figure_slot(trace_t *t, const char *name, const char *unit, const char *doc)
{
    if (!t)
        return NULL;
    if (!name_valid(name)) {
        trace_remember(t, "invalid summary figure name '%s'", name ? name : "(null)");
        return NULL;
    }
    named_value *v = value_slot(&t->figures, &t->nfigures, &t->cap_figures, name);
    if (v) {
        v->unit = dup_str(unit);
        v->doc = dup_str(doc);
    }
    if (!v || !v->unit || !v->doc) {
        trace_remember(t, "out of memory storing summary figure '%s'", name);
        return NULL;
    }
    return v;
}

void trace_summary_f64(trace_t *t, const char *name, double v, const char *unit, const char *doc)
{
    named_value *s = figure_slot(t, name, unit, doc);
    if (s) {
        s->kind = VAL_F64;
        s->f64 = v;
    }
}

void trace_summary_i64(trace_t *t, const char *name, int64_t v, const char *unit, const char *doc)
{
    named_value *s = figure_slot(t, name, unit, doc);
    if (s) {
        s->kind = VAL_I64;
        s->i64 = v;
    }
}

void trace_summary_str(trace_t *t, const char *name, const char *v, const char *doc)
{
    named_value *s = figure_slot(t, name, "", doc);
    if (!s)
        return;
    s->kind = VAL_STR;
    s->str = dup_str(v);
    if (!s->str)
        trace_remember(t, "out of memory storing summary figure '%s'", name);
}

static named_value *attr_slot(trace_t *t, const char *name)
{
    if (!t)
        return NULL;
    if (!name_valid(name)) {
        trace_remember(t, "invalid root attribute name '%s'", name ? name : "(null)");
        return NULL;
    }
    named_value *v = value_slot(&t->attrs, &t->nattrs, &t->cap_attrs, name);
    if (!v)
        trace_remember(t, "out of memory storing root attribute '%s'", name);
    return v;
}

void trace_attr_str(trace_t *t, const char *name, const char *v)
{
    named_value *a = attr_slot(t, name);
    if (!a)
        return;
    a->kind = VAL_STR;
    a->str = dup_str(v);
    if (!a->str)
        trace_remember(t, "out of memory storing root attribute '%s'", name);
}

void trace_attr_i64(trace_t *t, const char *name, int64_t v)
{
    named_value *a = attr_slot(t, name);
    if (a) {
        a->kind = VAL_I64;
        a->i64 = v;
    }
}

void trace_text(trace_t *t, const char *path, const char *text, const char *doc)
{
    if (!t)
        return;
    trace_table_t *tab = NULL;
    for (size_t i = 0; i < t->nobjs; i++)
        if (t->objs[i]->kind == OBJ_TEXT && path && strcmp(t->objs[i]->path, path) == 0)
            tab = t->objs[i];
    const char *problem = path_problem(t, path, tab);
    if (problem) {
        trace_remember(t, "invalid text path '%s': %s", path ? path : "(null)", problem);
        return;
    }
    char *text_copy = dup_str(text), *doc_copy = dup_str(doc);
    if (!text_copy || !doc_copy)
        goto out_of_memory;
    if (tab) { /* same path again: replace */
        free(tab->text);
        free(tab->doc);
        tab->text = text_copy;
        tab->doc = doc_copy;
        return;
    }
    tab = calloc(1, sizeof *tab);
    if (!tab)
        goto out_of_memory;
    tab->kind = OBJ_TEXT;
    tab->path = dup_str(path);
    tab->text = text_copy;
    tab->doc = doc_copy;
    if (!tab->path) {
        table_free(tab); /* frees text_copy and doc_copy */
        trace_remember(t, "out of memory storing text '%s'", path);
        return;
    }
    if (!trace_adopt(t, tab))
        trace_remember(t, "out of memory storing text '%s'", path);
    return;

out_of_memory:
    free(text_copy);
    free(doc_copy);
    trace_remember(t, "out of memory storing text '%s'", path);
}

/* ---- HDF5 writing ---- */

/* One write: property lists shared by every object, and why the first HDF5 call failed
 * (captured at once: the next successful call clears HDF5's error stack). */
typedef struct h5_ctx {
    hid_t gcpl; /* groups: creation order tracked and indexed, no times */
    hid_t lcpl; /* links: UTF-8 names */
    hid_t acpl; /* attributes: UTF-8 names */
    char why[512];
} h5_ctx;

typedef struct h5_reason {
    int err_no;          /* first "errno = N" on the stack, innermost first */
    hid_t min_num;       /* innermost minor error */
    char innermost[256]; /* innermost description */
} h5_reason;

static herr_t reason_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    h5_reason *r = data;
    if (n == 0) {
        snprintf(r->innermost, sizeof r->innermost, "%s", e->desc ? e->desc : "");
        r->min_num = e->min_num;
    }
    const char *p = e->desc ? strstr(e->desc, "errno = ") : NULL;
    if (p && r->err_no == 0)
        r->err_no = atoi(p + 8);
    return 0;
}

/* The reason for the last HDF5 failure as a short phrase ("No such file or directory"). */
static void reason_capture(char *buf, size_t len)
{
    h5_reason r = {0, H5I_INVALID_HID, ""};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, reason_walk, &r);
    if (r.err_no > 0)
        snprintf(buf, len, "%s", strerror(r.err_no));
    else if (r.min_num == H5E_NOTHDF5)
        snprintf(buf, len, "not an HDF5 file");
    else if (r.innermost[0])
        snprintf(buf, len, "%s", r.innermost);
    else
        snprintf(buf, len, "HDF5 library error");
}

/* True when an HDF5 call returned a negative STATUS; remembers why the first time. */
static bool h5_bad(h5_ctx *c, int64_t status)
{
    if (status >= 0)
        return false;
    if (!c->why[0])
        reason_capture(c->why, sizeof c->why);
    return true;
}

static bool no_memory(h5_ctx *c, const void *p)
{
    if (p)
        return false;
    if (!c->why[0])
        snprintf(c->why, sizeof c->why, "out of memory");
    return true;
}

/* Fills ERR with "WHAT: WHY"; returns -1. */
static int ctx_fail(const h5_ctx *c, diag_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ctx_fail(const h5_ctx *c, diag_t *err, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return diag_fail(err, "%s: %s", what, c->why[0] ? c->why : "HDF5 library error");
}

/* Fixed-length, NUL-padded UTF-8 string type of LEN bytes (at least 1). */
static hid_t str_type(h5_ctx *c, size_t len)
{
    hid_t ty = H5Tcopy(H5T_C_S1);
    if (h5_bad(c, ty))
        return H5I_INVALID_HID;
    if (h5_bad(c, H5Tset_size(ty, len ? len : 1)) ||
        h5_bad(c, H5Tset_strpad(ty, H5T_STR_NULLPAD)) ||
        h5_bad(c, H5Tset_cset(ty, H5T_CSET_UTF8))) {
        H5Tclose(ty);
        return H5I_INVALID_HID;
    }
    return ty;
}

/* Writes attribute NAME (file type FTYPE, space SPACE) from BUF in memory type MTYPE. */
static int attr_put(h5_ctx *c, hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                    hid_t space, const void *buf)
{
    hid_t a = H5Acreate2(obj, name, ftype, space, c->acpl, H5P_DEFAULT);
    if (h5_bad(c, a))
        return -1;
    int rc = h5_bad(c, H5Awrite(a, mtype, buf)) ? -1 : 0;
    if (h5_bad(c, H5Aclose(a)))
        rc = -1;
    return rc;
}

/* A copy of the N strings at VALUES, NUL-padded to WIDTH bytes each (WIDTH >= 1). */
static char *pad_strings(const char *const *values, size_t n, size_t width)
{
    char *buf = calloc(n ? n : 1, width);
    for (size_t i = 0; buf && i < n; i++)
        memcpy(buf + i * width, values[i], strlen(values[i]));
    return buf;
}

/* A scalar fixed-length string attribute. */
static int attr_str(h5_ctx *c, hid_t obj, const char *name, const char *value)
{
    int rc = -1;
    size_t len = strlen(value);
    hid_t ty = str_type(c, len);
    if (ty < 0)
        return -1;
    hid_t space = H5Screate(H5S_SCALAR);
    if (h5_bad(c, space))
        goto close_type;
    char *buf = pad_strings(&value, 1, len ? len : 1);
    if (no_memory(c, buf))
        goto close_space;
    rc = attr_put(c, obj, name, ty, ty, space, buf);
    free(buf);
close_space:
    H5Sclose(space);
close_type:
    H5Tclose(ty);
    return rc;
}

/* A 1-D attribute of N fixed-length strings, as wide as the longest. */
static int attr_str_array(h5_ctx *c, hid_t obj, const char *name, const char *const *values,
                          size_t n)
{
    int rc = -1;
    size_t width = 1;
    for (size_t i = 0; i < n; i++)
        if (strlen(values[i]) > width)
            width = strlen(values[i]);
    hid_t ty = str_type(c, width);
    if (ty < 0)
        return -1;
    hsize_t dims[1] = {n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    if (h5_bad(c, space))
        goto close_type;
    char *buf = pad_strings(values, n, width);
    if (no_memory(c, buf))
        goto close_space;
    rc = attr_put(c, obj, name, ty, ty, space, buf);
    free(buf);
close_space:
    H5Sclose(space);
close_type:
    H5Tclose(ty);
    return rc;
}

static int attr_i64(h5_ctx *c, hid_t obj, const char *name, int64_t value)
{
    hid_t space = H5Screate(H5S_SCALAR);
    if (h5_bad(c, space))
        return -1;
    int rc = attr_put(c, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, space, &value);
    H5Sclose(space);
    return rc;
}

/* Opens or creates every group above the last component of PATH; returns the parent group
 * (to close) and points *LEAF at the last component. */
static hid_t parent_group(h5_ctx *c, hid_t file, const char *path, const char **leaf)
{
    char *buf = dup_str(path);
    if (no_memory(c, buf))
        return H5I_INVALID_HID;
    hid_t cur = H5Gopen2(file, "/", H5P_DEFAULT);
    h5_bad(c, cur);
    char *comp = buf + 1;
    char *slash;
    while (cur >= 0 && (slash = strchr(comp, '/')) != NULL) {
        *slash = '\0';
        htri_t exists = H5Lexists(cur, comp, H5P_DEFAULT);
        hid_t next = H5I_INVALID_HID;
        if (!h5_bad(c, exists))
            next = exists > 0 ? H5Gopen2(cur, comp, H5P_DEFAULT)
                              : H5Gcreate2(cur, comp, c->lcpl, c->gcpl, H5P_DEFAULT);
        h5_bad(c, next);
        H5Gclose(cur);
        cur = next;
        comp = slash + 1;
    }
    *leaf = path + (comp - buf);
    free(buf);
    return cur;
}

/* Creation properties for a chunked, shuffled, deflated dataset of rank RANK. */
static hid_t chunked_dcpl(h5_ctx *c, int rank, const hsize_t *chunk)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (h5_bad(c, dcpl))
        return H5I_INVALID_HID;
    if (h5_bad(c, H5Pset_obj_track_times(dcpl, 0)) ||
        h5_bad(c, H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED)) ||
        h5_bad(c, H5Pset_chunk(dcpl, rank, chunk)) || h5_bad(c, H5Pset_shuffle(dcpl)) ||
        h5_bad(c, H5Pset_deflate(dcpl, DEFLATE_LEVEL))) {
        H5Pclose(dcpl);
        return H5I_INVALID_HID;
    }
    return dcpl;
}

/* Creation properties for a scalar dataset: compact (data in the object header) if COMPACT. */
static hid_t scalar_dcpl(h5_ctx *c, bool compact)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (h5_bad(c, dcpl))
        return H5I_INVALID_HID;
    if (h5_bad(c, H5Pset_obj_track_times(dcpl, 0)) ||
        h5_bad(c, H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED)) ||
        (compact && h5_bad(c, H5Pset_layout(dcpl, H5D_COMPACT)))) {
        H5Pclose(dcpl);
        return H5I_INVALID_HID;
    }
    return dcpl;
}

static hsize_t chunk_rows(size_t nrows, size_t row_bytes)
{
    size_t target = CHUNK_TARGET_BYTES / (row_bytes ? row_bytes : 1);
    size_t n = nrows < target ? nrows : target;
    return n ? n : 1;
}

/* The member type of column COL in the file (FILE_SIDE: packed little-endian) or in memory. */
static hid_t col_type(h5_ctx *c, const trace_col *col, bool file_side)
{
    hid_t base;
    switch (col->type) {
    case TCOL_F64:
        base = file_side ? H5T_IEEE_F64LE : H5T_NATIVE_DOUBLE;
        break;
    case TCOL_I64:
        base = file_side ? H5T_STD_I64LE : H5T_NATIVE_INT64;
        break;
    case TCOL_I32:
        base = file_side ? H5T_STD_I32LE : H5T_NATIVE_INT32;
        break;
    default:
        return str_type(c, col->size);
    }
    hid_t ty = H5Tcopy(base);
    h5_bad(c, ty);
    return ty;
}

/* The table's compound type: packed in the file (FILE_SIDE) or the caller's row struct. */
static hid_t table_type(h5_ctx *c, const trace_table_t *tab, bool file_side)
{
    size_t packed = 0;
    for (size_t i = 0; i < tab->ncols; i++)
        packed += col_width(&tab->cols[i]);
    hid_t ty = H5Tcreate(H5T_COMPOUND, file_side ? packed : tab->row_size);
    if (h5_bad(c, ty))
        return H5I_INVALID_HID;
    size_t off = 0;
    for (size_t i = 0; i < tab->ncols; i++) {
        const trace_col *col = &tab->cols[i];
        hid_t member = col_type(c, col, file_side);
        bool bad = member < 0 ||
                   h5_bad(c, H5Tinsert(ty, col->name, file_side ? off : col->offset, member));
        if (member >= 0)
            H5Tclose(member);
        if (bad) {
            H5Tclose(ty);
            return H5I_INVALID_HID;
        }
        off += col_width(col);
    }
    return ty;
}

/* Creates dataset LEAF in PARENT and writes BUF into it (unless BUF is NULL: no rows). */
static hid_t dataset_put(h5_ctx *c, hid_t parent, const char *leaf, hid_t ftype, hid_t mtype,
                         hid_t space, hid_t dcpl, const void *buf)
{
    hid_t ds = H5Dcreate2(parent, leaf, ftype, space, c->lcpl, dcpl, H5P_DEFAULT);
    if (h5_bad(c, ds))
        return H5I_INVALID_HID;
    if (buf && h5_bad(c, H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf))) {
        H5Dclose(ds);
        return H5I_INVALID_HID;
    }
    return ds;
}

/* The "units", "columns", "doc" and "column_docs" attributes of a table. */
static int table_attrs(h5_ctx *c, hid_t ds, const trace_table_t *tab)
{
    const char **v = calloc(3 * tab->ncols, sizeof *v);
    if (no_memory(c, v))
        return -1;
    const char **units = v, **names = v + tab->ncols, **docs = v + 2 * tab->ncols;
    for (size_t i = 0; i < tab->ncols; i++) {
        units[i] = tab->cols[i].unit;
        names[i] = tab->cols[i].name;
        docs[i] = tab->cols[i].doc;
    }
    int rc = -1;
    if (attr_str_array(c, ds, "units", units, tab->ncols) == 0 &&
        attr_str_array(c, ds, "columns", names, tab->ncols) == 0 &&
        attr_str(c, ds, "doc", tab->doc) == 0 &&
        attr_str_array(c, ds, "column_docs", docs, tab->ncols) == 0)
        rc = 0;
    free(v);
    return rc;
}

static int write_table(h5_ctx *c, hid_t parent, const char *leaf, const trace_table_t *tab)
{
    int rc = -1;
    hid_t ftype = table_type(c, tab, true);
    if (ftype < 0)
        return -1;
    hid_t mtype = table_type(c, tab, false);
    if (mtype < 0)
        goto close_ftype;
    hsize_t dims[1] = {tab->nrows}, maxdims[1] = {H5S_UNLIMITED};
    hsize_t chunk[1] = {chunk_rows(tab->nrows, H5Tget_size(ftype))};
    hid_t space = H5Screate_simple(1, dims, maxdims);
    if (h5_bad(c, space))
        goto close_mtype;
    hid_t dcpl = chunked_dcpl(c, 1, chunk);
    if (dcpl < 0)
        goto close_space;
    hid_t ds = dataset_put(c, parent, leaf, ftype, mtype, space, dcpl,
                           tab->nrows ? tab->rows : NULL);
    if (ds < 0)
        goto close_dcpl;
    rc = table_attrs(c, ds, tab);
    if (h5_bad(c, H5Dclose(ds)))
        rc = -1;
close_dcpl:
    H5Pclose(dcpl);
close_space:
    H5Sclose(space);
close_mtype:
    H5Tclose(mtype);
close_ftype:
    H5Tclose(ftype);
    return rc;
}

static int write_matrix(h5_ctx *c, hid_t parent, const char *leaf, const trace_table_t *m)
{
    int rc = -1;
    hsize_t dims[2] = {m->nrows, m->ncols}, maxdims[2] = {H5S_UNLIMITED, m->ncols};
    hsize_t chunk[2] = {chunk_rows(m->nrows, m->row_size), m->ncols};
    hid_t space = H5Screate_simple(2, dims, maxdims);
    if (h5_bad(c, space))
        return -1;
    hid_t dcpl = chunked_dcpl(c, 2, chunk);
    if (dcpl < 0)
        goto close_space;
    hid_t ds = dataset_put(c, parent, leaf, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, space, dcpl,
                           m->nrows ? m->rows : NULL);
    if (ds < 0)
        goto close_dcpl;
    rc = attr_str(c, ds, "units", m->unit);
    if (rc == 0)
        rc = attr_str(c, ds, "doc", m->doc);
    if (rc == 0 && m->col_names)
        rc = attr_str_array(c, ds, "columns", (const char *const *)m->col_names, m->ncols);
    if (h5_bad(c, H5Dclose(ds)))
        rc = -1;
close_dcpl:
    H5Pclose(dcpl);
close_space:
    H5Sclose(space);
    return rc;
}

/* A scalar fixed-length string dataset LEAF holding TEXT, with "units" = "" and "doc". */
static int write_scalar_str(h5_ctx *c, hid_t parent, const char *leaf, const char *text,
                            const char *doc, bool compact)
{
    int rc = -1;
    size_t len = strlen(text);
    hid_t ty = str_type(c, len);
    if (ty < 0)
        return -1;
    hid_t space = H5Screate(H5S_SCALAR);
    if (h5_bad(c, space))
        goto close_type;
    /* Compact storage lives in the object header, which holds at most 64 KiB. */
    hid_t dcpl = scalar_dcpl(c, compact && len < 16384);
    if (dcpl < 0)
        goto close_space;
    char *buf = pad_strings(&text, 1, len ? len : 1);
    if (no_memory(c, buf))
        goto close_dcpl;
    hid_t ds = dataset_put(c, parent, leaf, ty, ty, space, dcpl, buf);
    free(buf);
    if (ds < 0)
        goto close_dcpl;
    rc = attr_str(c, ds, "units", "");
    if (rc == 0)
        rc = attr_str(c, ds, "doc", doc);
    if (h5_bad(c, H5Dclose(ds)))
        rc = -1;
close_dcpl:
    H5Pclose(dcpl);
close_space:
    H5Sclose(space);
close_type:
    H5Tclose(ty);
    return rc;
}

static int write_figure(h5_ctx *c, hid_t group, const named_value *v)
{
    if (v->kind == VAL_STR)
        return write_scalar_str(c, group, v->name, v->str, v->doc, true);
    int rc = -1;
    hid_t space = H5Screate(H5S_SCALAR);
    if (h5_bad(c, space))
        return -1;
    hid_t dcpl = scalar_dcpl(c, true);
    if (dcpl < 0)
        goto close_space;
    bool f = v->kind == VAL_F64;
    hid_t ds = dataset_put(c, group, v->name, f ? H5T_IEEE_F64LE : H5T_STD_I64LE,
                           f ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, space, dcpl,
                           f ? (const void *)&v->f64 : (const void *)&v->i64);
    if (ds < 0)
        goto close_dcpl;
    rc = attr_str(c, ds, "units", v->unit);
    if (rc == 0)
        rc = attr_str(c, ds, "doc", v->doc);
    if (h5_bad(c, H5Dclose(ds)))
        rc = -1;
close_dcpl:
    H5Pclose(dcpl);
close_space:
    H5Sclose(space);
    return rc;
}

static int write_root_attrs(h5_ctx *c, hid_t file, const trace_t *t, diag_t *err,
                            const char *tmp)
{
    hid_t root = H5Gopen2(file, "/", H5P_DEFAULT);
    if (h5_bad(c, root))
        return ctx_fail(c, err, "cannot write '%s'", tmp);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->nattrs; i++) {
        const named_value *a = &t->attrs[i];
        rc = a->kind == VAL_STR ? attr_str(c, root, a->name, a->str)
                                : attr_i64(c, root, a->name, a->i64);
        if (rc < 0)
            ctx_fail(c, err, "cannot write root attribute '%s' to '%s'", a->name, tmp);
    }
    if (h5_bad(c, H5Gclose(root)) && rc == 0)
        rc = ctx_fail(c, err, "cannot write '%s'", tmp);
    return rc;
}

static int write_summary(h5_ctx *c, hid_t file, const trace_t *t, diag_t *err, const char *tmp)
{
    hid_t g = H5Gcreate2(file, "/summary", c->lcpl, c->gcpl, H5P_DEFAULT);
    if (h5_bad(c, g))
        return ctx_fail(c, err, "cannot create group '/summary' in '%s'", tmp);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < t->nfigures; i++)
        if ((rc = write_figure(c, g, &t->figures[i])) < 0)
            ctx_fail(c, err, "cannot write summary figure '%s' to '%s'", t->figures[i].name, tmp);
    if (h5_bad(c, H5Gclose(g)) && rc == 0)
        rc = ctx_fail(c, err, "cannot write '%s'", tmp);
    return rc;
}

/* Tables, matrices and texts, in creation order, each below its (new or existing) groups. */
static int write_objects(h5_ctx *c, hid_t file, const trace_t *t, diag_t *err, const char *tmp)
{
    for (size_t i = 0; i < t->nobjs; i++) {
        const trace_table_t *o = t->objs[i];
        const char *leaf = NULL;
        hid_t parent = parent_group(c, file, o->path, &leaf);
        if (parent < 0)
            return ctx_fail(c, err, "cannot create the groups above '%s' in '%s'", o->path, tmp);
        int rc;
        if (o->kind == OBJ_TABLE)
            rc = write_table(c, parent, leaf, o);
        else if (o->kind == OBJ_MATRIX)
            rc = write_matrix(c, parent, leaf, o);
        else
            rc = write_scalar_str(c, parent, leaf, o->text, o->doc, false);
        if (h5_bad(c, H5Gclose(parent)))
            rc = -1;
        if (rc < 0)
            return ctx_fail(c, err, "cannot write '%s' to '%s'", o->path, tmp);
    }
    return 0;
}

static void ctx_close(h5_ctx *c)
{
    if (c->gcpl >= 0)
        H5Pclose(c->gcpl);
    if (c->lcpl >= 0)
        H5Pclose(c->lcpl);
    if (c->acpl >= 0)
        H5Pclose(c->acpl);
}

static int ctx_open(h5_ctx *c)
{
    c->gcpl = H5Pcreate(H5P_GROUP_CREATE);
    c->lcpl = H5Pcreate(H5P_LINK_CREATE);
    c->acpl = H5Pcreate(H5P_ATTRIBUTE_CREATE);
    if (h5_bad(c, c->gcpl) || h5_bad(c, c->lcpl) || h5_bad(c, c->acpl) ||
        h5_bad(c, H5Pset_obj_track_times(c->gcpl, 0)) ||
        h5_bad(c, H5Pset_link_creation_order(c->gcpl, CRT_ORDER)) ||
        h5_bad(c, H5Pset_attr_creation_order(c->gcpl, H5P_CRT_ORDER_TRACKED)) ||
        h5_bad(c, H5Pset_char_encoding(c->lcpl, H5T_CSET_UTF8)) ||
        h5_bad(c, H5Pset_char_encoding(c->acpl, H5T_CSET_UTF8)))
        return -1;
    return 0;
}

/* File creation and access properties. The root group is tracked like every other group.
 * Format bounds: low = high = the 1.8 format. Creation-order tracking needs at least 1.8;
 * capping at 1.8 keeps every object readable by any HDF5 >= 1.8 (h5py, HDFView, MATLAB) and
 * uses the classic v1 B-tree chunk index; with time tracking off no object has a timestamp.
 * The file is built in memory (core driver, no backing store): HDF5 never touches the disk,
 * so a full disk cannot leave HDF5 with a half-closed file (1.10 then crashes at exit); we
 * write the finished image ourselves and check every write. */
static int file_plists(h5_ctx *c, hid_t *fcpl, hid_t *fapl)
{
    *fcpl = H5Pcreate(H5P_FILE_CREATE);
    *fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (h5_bad(c, *fcpl) || h5_bad(c, *fapl) || h5_bad(c, H5Pset_obj_track_times(*fcpl, 0)) ||
        h5_bad(c, H5Pset_link_creation_order(*fcpl, CRT_ORDER)) ||
        h5_bad(c, H5Pset_attr_creation_order(*fcpl, H5P_CRT_ORDER_TRACKED)) ||
        h5_bad(c, H5Pset_libver_bounds(*fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18)) ||
        h5_bad(c, H5Pset_fclose_degree(*fapl, H5F_CLOSE_STRONG)) ||
        h5_bad(c, H5Pset_fapl_core(*fapl, CORE_INCREMENT_BYTES, false)))
        return -1;
    return 0;
}

/* Builds the whole file in memory; returns its image (to free) and size, or NULL. */
static void *build_image(const trace_t *t, h5_ctx *c, const char *tmp, size_t *size, diag_t *err)
{
    void *image = NULL;
    hid_t fcpl = H5I_INVALID_HID, fapl = H5I_INVALID_HID;
    if (file_plists(c, &fcpl, &fapl) < 0 || ctx_open(c) < 0) {
        ctx_fail(c, err, "cannot set up HDF5 to write '%s'", tmp);
        goto close_plists;
    }
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (h5_bad(c, file)) {
        ctx_fail(c, err, "cannot create '%s' in memory", tmp);
        goto close_plists;
    }
    if (write_root_attrs(c, file, t, err, tmp) < 0 || write_summary(c, file, t, err, tmp) < 0 ||
        write_objects(c, file, t, err, tmp) < 0)
        goto close_file;
    ssize_t n = -1;
    if (h5_bad(c, H5Fflush(file, H5F_SCOPE_GLOBAL)) ||
        h5_bad(c, n = H5Fget_file_image(file, NULL, 0))) {
        ctx_fail(c, err, "cannot write '%s'", tmp);
        goto close_file;
    }
    image = malloc(n > 0 ? (size_t)n : 1);
    if (no_memory(c, image) || h5_bad(c, H5Fget_file_image(file, image, (size_t)n))) {
        ctx_fail(c, err, "cannot write '%s'", tmp);
        free(image);
        image = NULL;
        goto close_file;
    }
    *size = (size_t)n;
close_file:
    if (h5_bad(c, H5Fclose(file)) && image) {
        ctx_fail(c, err, "cannot write '%s'", tmp);
        free(image);
        image = NULL;
    }
close_plists:
    ctx_close(c);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    if (fapl >= 0)
        H5Pclose(fapl);
    return image;
}

/* Writes all LEN bytes of BUF to FD; -1 with errno set on failure. */
static int write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len > (1u << 30) ? (1u << 30) : len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

int trace_write(const trace_t *t, const char *out_path, diag_t *err)
{
    if (!t || !out_path || !out_path[0])
        return diag_fail(err, "no output path given for the trace");
    if (t->error[0])
        return diag_fail(err, "cannot write '%s': %s", out_path, t->error);
    char tmp[sizeof pending_tmp];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out_path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp)
        return diag_fail(err, "cannot write '%s': path too long", out_path);

    /* Create the temporary file first, so a bad directory fails before any work. */
    int rc = -1;
    pending_armed = 0;
    memcpy(pending_tmp, tmp, (size_t)n + 1);
    pending_armed = 1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        diag_fail(err, "cannot create '%s': %s", tmp, strerror(errno));
        goto disarm;
    }

    H5E_auto2_t old_func = NULL;
    void *old_data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    h5_ctx c = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID, ""};
    size_t size = 0;
    unsigned char *image = build_image(t, &c, tmp, &size, err);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    if (!image)
        goto close_fd;

    int io = write_all(fd, image, size);
    free(image);
    if (io < 0 || fsync(fd) < 0) {
        diag_fail(err, "cannot write '%s': %s", tmp, strerror(errno));
        goto close_fd;
    }
    io = close(fd);
    fd = -1;
    if (io < 0) {
        diag_fail(err, "cannot write '%s': %s", tmp, strerror(errno));
        goto unlink_tmp;
    }
    if (rename(tmp, out_path) < 0) {
        diag_fail(err, "cannot rename '%s' to '%s': %s", tmp, out_path, strerror(errno));
        goto unlink_tmp;
    }
    rc = 0;
    goto disarm;

close_fd:
    close(fd);
unlink_tmp:
    unlink(tmp);
disarm:
    pending_armed = 0;
    pending_tmp[0] = '\0';
    return rc;
}

void trace_abort_pending(void)
{
    if (pending_armed) {
        int saved = errno;
        unlink(pending_tmp);
        errno = saved;
    }
}
