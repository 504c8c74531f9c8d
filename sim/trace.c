/* The trace in memory: tables, matrices and texts held in creation order, summary figures and
 * root attributes keyed by name; trace_h5.c writes them out.
 * Invariants: no two objects' paths conflict (equal, or one a group prefix of the other) and none
 * lies under /summary; the first error of a void setter is remembered and fails trace_write(). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_impl.h"

/* ---- small helpers ---- */

char *trace_dup_str(const char *s)
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

size_t trace_col_width(const trace_col *c)
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
        size_t w = trace_col_width(c);
        if (w == 0 || c->offset > row_size || w > row_size - c->offset)
            return false;
        for (size_t j = 0; j < i; j++) {
            const trace_col *d = &cols[j];
            if (strcmp(c->name, d->name) == 0)
                return false;
            if (c->offset < d->offset + trace_col_width(d) && d->offset < c->offset + w)
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
    tab->path = trace_dup_str(path);
    tab->doc = trace_dup_str(doc);
    tab->cols = calloc(ncols, sizeof *tab->cols);
    if (!tab->path || !tab->doc || !tab->cols)
        goto free_table;
    for (size_t i = 0; i < ncols; i++) {
        tab->cols[i] = cols[i];
        tab->cols[i].name = trace_dup_str(cols[i].name);
        tab->cols[i].unit = trace_dup_str(cols[i].unit);
        tab->cols[i].doc = trace_dup_str(cols[i].doc);
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

size_t trace_bytes(const trace_t *t)
{
    size_t n = 0;
    for (size_t i = 0; t && i < t->nobjs; i++) {
        const trace_table_t *o = t->objs[i];
        n += o->kind == OBJ_TEXT ? (o->text ? strlen(o->text) : 0) : o->nrows * o->row_size;
    }
    return n;
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
    tab->path = trace_dup_str(path);
    tab->doc = trace_dup_str(doc);
    tab->unit = trace_dup_str(unit);
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
        copy[i] = trace_dup_str(names[i]);
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
    v->name = trace_dup_str(name);
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
        v->unit = trace_dup_str(unit);
        v->doc = trace_dup_str(doc);
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
    s->str = trace_dup_str(v);
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
    a->str = trace_dup_str(v);
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
    char *text_copy = trace_dup_str(text), *doc_copy = trace_dup_str(doc);
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
    tab->path = trace_dup_str(path);
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

