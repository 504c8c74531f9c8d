/* oastwin-report: prints a trace's root attributes and /summary figures, or compares the
 * figures of several traces (or of a sweep index's points) side by side, as aligned text,
 * Markdown, CSV, JSON or a self-contained HTML page (analysis/report_html.c).
 * Reads only through sim/h5read. Exit status: 0 done, 2 bad arguments or unreadable trace,
 * 1 the report could not be written. JSON is always valid: strings escaped (invalid UTF-8
 * replaced by U+FFFD), numbers as numbers, non-finite numbers as null. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5read.h"
#include "report_html.h"
#include "sweep.h"

#define PROG "oastwin-report"

static const char usage_text[] =
    "usage: " PROG " [--format FMT | --html OUT.html] TRACE.h5\n"
    "       " PROG " [--format FMT | --html OUT.html] --compare A.h5 B.h5 [C.h5 ...]\n"
    "       " PROG " [--format FMT | --html OUT.html] SWEEP_DIR/sweep.h5\n"
    "\n"
    "Prints the run's root attributes (name, seed, versions ...) and its /summary figures,\n"
    "or, with --compare, one row per figure (all files' figures, in order of first\n"
    "appearance), one column per file, and for each file after the first its relative\n"
    "difference from the first (\"+12.3%\"; \"\xE2\x80\x94\" when not comparable: a text, a missing\n"
    "figure, different units, a non-finite value or a zero baseline).\n"
    "A sweep index (sweep.h5 written by 'oastwin sweep') is compared point by point: its\n"
    "points are the columns (p0, p1, ...), their status and swept values the attributes.\n"
    "\n"
    "options:\n"
    "  --format FMT   text (default, aligned, values with 6 significant digits),\n"
    "                 md (Markdown tables), csv (one table, full precision),\n"
    "                 json (full precision; non-finite numbers as null)\n"
    "  --compare      compare two or more traces (a sweep index counts as its points)\n"
    "  --html FILE    write one self-contained HTML page (tables and inline SVG charts)\n"
    "                 to FILE instead of printing the report\n"
    "  -h, --help     print this help\n"
    "\n"
    "exit status: 0 done, 1 the report could not be written, 2 bad arguments or trace\n";

typedef enum out_format { FMT_TEXT, FMT_MD, FMT_CSV, FMT_JSON } out_format;

static const char dash[] = "\xE2\x80\x94"; /* "—" */

/* ---- small text helpers ---- */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(PROG ": error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    return 2;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) {
        fputs(PROG ": error: out of memory\n", stderr);
        exit(1);
    }
    return d;
}

static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return xstrdup(buf);
}

/* Display width of UTF-8 text: one column per character. */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
}

/* A copy of S cut to at most MAX characters ("…" marks a cut), control characters as spaces. */
static char *shorten(const char *s, size_t max)
{
    size_t n = strlen(s);
    char *d = malloc(n + 4);
    if (!d) {
        fputs(PROG ": error: out of memory\n", stderr);
        exit(1);
    }
    size_t chars = 0, j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80 && chars++ == max) {
            while (j > 0 && (unsigned char)d[j - 1] == ' ')
                j--;
            if (max > 0) { /* replace the last character by the ellipsis */
                while (j > 0 && ((unsigned char)d[j - 1] & 0xC0) == 0x80)
                    j--;
                if (j > 0)
                    j--;
            }
            memcpy(d + j, "\xE2\x80\xA6", 3);
            j += 3;
            break;
        }
        d[j++] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
    }
    d[j] = '\0';
    return d;
}

/* Shortest %g form that reads back as the same double. */
static void exact_number(char *buf, size_t len, double v)
{
    snprintf(buf, len, "%.15g", v);
    if (strtod(buf, NULL) != v)
        snprintf(buf, len, "%.17g", v);
}

/* ---- a grid of cells, rendered as text, Markdown or CSV ---- */

typedef struct grid {
    size_t ncols, nrows, cap;
    char **cells; /* nrows * ncols, row 0 is the header */
    bool *right;  /* ncols: right-align the column's values (text and Markdown) */
} grid;

static void grid_init(grid *g, size_t ncols)
{
    memset(g, 0, sizeof *g);
    g->ncols = ncols;
    g->right = calloc(ncols, sizeof *g->right);
    if (!g->right) {
        fputs(PROG ": error: out of memory\n", stderr);
        exit(1);
    }
}

/* Appends a row; takes ownership of the NCOLS malloc'd strings in CELLS. */
static void grid_add(grid *g, char **cells)
{
    if (g->nrows == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 16;
        char **q = realloc(g->cells, g->cap * g->ncols * sizeof *q);
        if (!q) {
            fputs(PROG ": error: out of memory\n", stderr);
            exit(1);
        }
        g->cells = q;
    }
    memcpy(g->cells + g->nrows * g->ncols, cells, g->ncols * sizeof *cells);
    g->nrows++;
}

static void grid_free(grid *g)
{
    for (size_t i = 0; i < g->nrows * g->ncols; i++)
        free(g->cells[i]);
    free(g->cells);
    free(g->right);
}

static const char *cell(const grid *g, size_t r, size_t c)
{
    return g->cells[r * g->ncols + c];
}

/* Writes S padded to WIDTH; spaces are owed in *PENDING and written only before text, so
 * that no line ends in blanks. */
static void put_padded(FILE *out, const char *s, size_t width, bool right, size_t *pending)
{
    size_t w = text_width(s);
    size_t pad = width > w ? width - w : 0;
    if (right)
        *pending += pad;
    if (s[0]) {
        fprintf(out, "%*s", (int)*pending, "");
        fputs(s, out);
        *pending = 0;
    }
    if (!right)
        *pending += pad;
}

static void render_text(FILE *out, const grid *g)
{
    size_t *width = calloc(g->ncols, sizeof *width);
    if (!width) {
        fputs(PROG ": error: out of memory\n", stderr);
        exit(1);
    }
    for (size_t r = 0; r < g->nrows; r++)
        for (size_t c = 0; c < g->ncols; c++)
            if (text_width(cell(g, r, c)) > width[c])
                width[c] = text_width(cell(g, r, c));
    for (size_t r = 0; r < g->nrows; r++) {
        size_t pending = 0;
        for (size_t c = 0; c < g->ncols; c++) {
            if (c)
                pending += 2;
            put_padded(out, cell(g, r, c), width[c], g->right[c] && r > 0, &pending);
        }
        fputc('\n', out);
        if (r == 0) {
            for (size_t c = 0; c < g->ncols; c++) {
                if (c)
                    fputs("  ", out);
                for (size_t k = 0; k < width[c]; k++)
                    fputc('-', out);
            }
            fputc('\n', out);
        }
    }
    free(width);
}

static void md_cell(FILE *out, const char *s)
{
    fputc(' ', out);
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", out);
        else if ((unsigned char)*s < 0x20)
            fputc(' ', out);
        else
            fputc(*s, out);
    }
    fputs(" |", out);
}

static void render_md(FILE *out, const grid *g)
{
    for (size_t r = 0; r < g->nrows; r++) {
        fputc('|', out);
        for (size_t c = 0; c < g->ncols; c++)
            md_cell(out, cell(g, r, c));
        fputc('\n', out);
        if (r == 0) {
            fputc('|', out);
            for (size_t c = 0; c < g->ncols; c++)
                fputs(g->right[c] ? " ---: |" : " --- |", out);
            fputc('\n', out);
        }
    }
}

static void csv_cell(FILE *out, const char *s)
{
    bool quote = strpbrk(s, ",\"\r\n") != NULL ||
                 (s[0] && (s[0] == ' ' || s[strlen(s) - 1] == ' '));
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void render_csv(FILE *out, const grid *g)
{
    for (size_t r = 0; r < g->nrows; r++) {
        for (size_t c = 0; c < g->ncols; c++) {
            if (c)
                fputc(',', out);
            csv_cell(out, cell(g, r, c));
        }
        fputc('\n', out);
    }
}

static void render(FILE *out, const grid *g, out_format fmt)
{
    if (fmt == FMT_MD)
        render_md(out, g);
    else if (fmt == FMT_CSV)
        render_csv(out, g);
    else
        render_text(out, g);
}

/* ---- JSON ---- */

/* Length of the valid UTF-8 sequence at S, or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || (n == 3 && s[0] > 0xEF))
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    unsigned cp = n == 2 ? (s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu)
                : n == 3 ? (s[0] & 0x0Fu) << 12 | (s[1] & 0x3Fu) << 6 | (s[2] & 0x3Fu)
                         : (s[0] & 0x07u) << 18 | (s[1] & 0x3Fu) << 12 | (s[2] & 0x3Fu) << 6 |
                               (s[3] & 0x3Fu);
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

static void json_str(FILE *out, const char *str)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    fputc('"', out);
    while (*s) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', out);
            fputc(*s++, out);
        } else if (*s < 0x20) {
            static const char esc[] = "btn\0fr";
            if (*s >= '\b' && *s <= '\r' && esc[*s - '\b'])
                fprintf(out, "\\%c", esc[*s - '\b']);
            else
                fprintf(out, "\\u%04x", *s);
            s++;
        } else {
            size_t n = utf8_len(s);
            if (n == 0) {
                fputs("\\ufffd", out);
                s++;
            } else {
                fwrite(s, 1, n, out);
                s += n;
            }
        }
    }
    fputc('"', out);
}

static void json_num(FILE *out, double v)
{
    if (!isfinite(v)) {
        fputs("null", out);
        return;
    }
    char buf[64];
    exact_number(buf, sizeof buf, v);
    fputs(buf, out);
}

/* A scalar number as a number; strings and arrays as their text. */
static void json_attr(FILE *out, const h5r_attr *a)
{
    if (a->kind == H5R_INT && a->count == 1)
        fprintf(out, "%lld", (long long)a->i64);
    else if (a->kind == H5R_FLOAT && a->count == 1)
        json_num(out, a->value);
    else
        json_str(out, a->text);
}

static void json_figure_value(FILE *out, const h5r_figure *f)
{
    if (!f)
        fputs("null", out);
    else if (f->is_text)
        json_str(out, f->text);
    else
        json_num(out, f->value);
}

/* ---- one trace ---- */

typedef struct run {
    const char *path;
    char *owned_path; /* sweep points: the trace's path from here */
    char *label; /* column header in comparisons */
    h5r_attr *attrs;
    size_t nattrs;
    h5r_figure *figs;
    size_t nfigs;
} run;

static int run_load(run *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    diag_t err = {""};
    h5r_file *f = h5r_open(path, &err);
    if (!f)
        goto fail;
    if (h5r_attrs(f, "/", &r->attrs, &r->nattrs, &err) < 0 ||
        h5r_summary(f, &r->figs, &r->nfigs, &err) < 0) {
        h5r_close(f);
        goto fail;
    }
    h5r_close(f);
    return 0;
fail:
    free(r->attrs);
    r->attrs = NULL;
    fprintf(stderr, PROG ": error: %s\n", err.msg);
    return -1;
}

static void run_free(run *r)
{
    free(r->owned_path);
    free(r->attrs);
    free(r->figs);
    free(r->label);
}

static const h5r_figure *run_figure(const run *r, const char *name)
{
    for (size_t i = 0; i < r->nfigs; i++)
        if (strcmp(r->figs[i].name, name) == 0)
            return &r->figs[i];
    return NULL;
}

static const h5r_attr *run_attr(const run *r, const char *name)
{
    for (size_t i = 0; i < r->nattrs; i++)
        if (strcmp(r->attrs[i].name, name) == 0)
            return &r->attrs[i];
    return NULL;
}

/* The value of F as a cell: %.6g for reading, or the exact number for CSV. */
static char *value_cell(const h5r_figure *f, out_format fmt)
{
    if (!f)
        return xstrdup(fmt == FMT_CSV ? "" : dash);
    if (f->is_text)
        return fmt == FMT_CSV ? xstrdup(f->text) : shorten(f->text, 60);
    char buf[64];
    if (fmt == FMT_CSV)
        exact_number(buf, sizeof buf, f->value);
    else
        snprintf(buf, sizeof buf, "%.6g", f->value);
    return xstrdup(buf);
}

static int report_single(FILE *out, const run *r, out_format fmt)
{
    if (fmt == FMT_JSON) {
        fputs("{\n  \"file\": ", out);
        json_str(out, r->path);
        fputs(",\n  \"attributes\": {", out);
        for (size_t i = 0; i < r->nattrs; i++) {
            fputs(i ? ",\n    " : "\n    ", out);
            json_str(out, r->attrs[i].name);
            fputs(": ", out);
            json_attr(out, &r->attrs[i]);
        }
        fputs(r->nattrs ? "\n  },\n  \"figures\": [" : "},\n  \"figures\": [", out);
        for (size_t i = 0; i < r->nfigs; i++) {
            const h5r_figure *f = &r->figs[i];
            fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
            json_str(out, f->name);
            fputs(", \"value\": ", out);
            json_figure_value(out, f);
            fputs(", \"unit\": ", out);
            json_str(out, f->unit);
            fputs(", \"doc\": ", out);
            json_str(out, f->doc);
            fputc('}', out);
        }
        fputs(r->nfigs ? "\n  ]\n}\n" : "]\n}\n", out);
        return 0;
    }
    if (fmt == FMT_CSV) { /* one table: attributes first, then figures */
        grid g;
        grid_init(&g, 5);
        grid_add(&g, (char *[]){xstrdup("kind"), xstrdup("name"), xstrdup("value"), xstrdup("unit"),
                                xstrdup("doc")});
        for (size_t i = 0; i < r->nattrs; i++)
            grid_add(&g, (char *[]){xstrdup("attribute"), xstrdup(r->attrs[i].name),
                                    xstrdup(r->attrs[i].text), xstrdup(""), xstrdup("")});
        for (size_t i = 0; i < r->nfigs; i++)
            grid_add(&g, (char *[]){xstrdup("figure"), xstrdup(r->figs[i].name),
                                    value_cell(&r->figs[i], fmt), xstrdup(r->figs[i].unit),
                                    xstrdup(r->figs[i].doc)});
        render(out, &g, fmt);
        grid_free(&g);
        return 0;
    }
    grid a;
    grid_init(&a, 2);
    grid_add(&a, (char *[]){xstrdup("attribute"), xstrdup("value")});
    grid_add(&a, (char *[]){xstrdup("file"), xstrdup(r->path)});
    for (size_t i = 0; i < r->nattrs; i++)
        grid_add(&a, (char *[]){xstrdup(r->attrs[i].name), shorten(r->attrs[i].text, 80)});
    render(out, &a, fmt);
    grid_free(&a);
    fputc('\n', out);

    grid g;
    grid_init(&g, 4);
    g.right[1] = true;
    grid_add(&g, (char *[]){xstrdup("figure"), xstrdup("value"), xstrdup("unit"), xstrdup("doc")});
    for (size_t i = 0; i < r->nfigs; i++) {
        const h5r_figure *f = &r->figs[i];
        grid_add(&g, (char *[]){xstrdup(f->name), value_cell(f, fmt), xstrdup(f->unit),
                                fmt == FMT_MD ? xstrdup(f->doc) : shorten(f->doc, 60)});
    }
    render(out, &g, fmt);
    grid_free(&g);
    return 0;
}

/* ---- comparisons ---- */

/* Relative difference of B from A in percent; false when they cannot be compared. */
static bool rel_diff(const h5r_figure *a, const h5r_figure *b, double *pct)
{
    if (!a || !b || a->is_text || b->is_text || strcmp(a->unit, b->unit) != 0 ||
        !isfinite(a->value) || !isfinite(b->value))
        return false;
    if (a->value == 0)
        return b->value == 0 ? (*pct = 0, true) : false;
    *pct = (b->value - a->value) / fabs(a->value) * 100.0;
    return isfinite(*pct);
}

/* Names of all figures (or, if ATTRS, root attributes) in order of first appearance. */
static const char **union_names(const run *runs, size_t nruns, bool attrs, size_t *n)
{
    size_t total = 0;
    for (size_t i = 0; i < nruns; i++)
        total += attrs ? runs[i].nattrs : runs[i].nfigs;
    const char **names = calloc(total ? total : 1, sizeof *names);
    if (!names) {
        fputs(PROG ": error: out of memory\n", stderr);
        exit(1);
    }
    *n = 0;
    for (size_t i = 0; i < nruns; i++) {
        size_t m = attrs ? runs[i].nattrs : runs[i].nfigs;
        for (size_t j = 0; j < m; j++) {
            const char *name = attrs ? runs[i].attrs[j].name : runs[i].figs[j].name;
            bool seen = false;
            for (size_t k = 0; k < *n && !seen; k++)
                seen = strcmp(names[k], name) == 0;
            if (!seen)
                names[(*n)++] = name;
        }
    }
    return names;
}

/* The unit of figure NAME in the first run that has it. */
static const char *first_unit(const run *runs, size_t nruns, const char *name)
{
    for (size_t i = 0; i < nruns; i++) {
        const h5r_figure *f = run_figure(&runs[i], name);
        if (f)
            return f->unit;
    }
    return "";
}

/* Column labels: base names when they differ, else the paths as given. */
static void make_labels(run *runs, size_t nruns)
{
    bool unique = true;
    for (size_t i = 0; i < nruns; i++) {
        const char *bi = strrchr(runs[i].path, '/') ? strrchr(runs[i].path, '/') + 1 : runs[i].path;
        for (size_t j = 0; j < i; j++) {
            const char *bj =
                strrchr(runs[j].path, '/') ? strrchr(runs[j].path, '/') + 1 : runs[j].path;
            if (strcmp(bi, bj) == 0)
                unique = false;
        }
    }
    for (size_t i = 0; i < nruns; i++) {
        const char *b = strrchr(runs[i].path, '/');
        if (!runs[i].label) /* sweep points keep their pN labels */
            runs[i].label = xstrdup(unique && b ? b + 1 : runs[i].path);
    }
}

static void compare_json(FILE *out, const run *runs, size_t nruns)
{
    fputs("{\n  \"files\": [", out);
    for (size_t i = 0; i < nruns; i++) {
        fputs(i ? ", " : "", out);
        json_str(out, runs[i].path);
    }
    fputs("],\n  \"attributes\": [", out);
    for (size_t i = 0; i < nruns; i++) {
        fputs(i ? ",\n    {" : "\n    {", out);
        for (size_t j = 0; j < runs[i].nattrs; j++) {
            fputs(j ? ", " : "", out);
            json_str(out, runs[i].attrs[j].name);
            fputs(": ", out);
            json_attr(out, &runs[i].attrs[j]);
        }
        fputc('}', out);
    }
    fputs("\n  ],\n  \"figures\": [", out);
    size_t n;
    const char **names = union_names(runs, nruns, false, &n);
    for (size_t k = 0; k < n; k++) {
        const h5r_figure *base = run_figure(&runs[0], names[k]);
        const h5r_figure *any = NULL;
        for (size_t i = 0; i < nruns && !any; i++)
            any = run_figure(&runs[i], names[k]);
        fputs(k ? ",\n    {\"name\": " : "\n    {\"name\": ", out);
        json_str(out, names[k]);
        fputs(", \"unit\": ", out);
        json_str(out, first_unit(runs, nruns, names[k]));
        fputs(", \"doc\": ", out);
        json_str(out, any ? any->doc : "");
        fputs(", \"values\": [", out);
        for (size_t i = 0; i < nruns; i++) {
            fputs(i ? ", " : "", out);
            json_figure_value(out, run_figure(&runs[i], names[k]));
        }
        fputs("], \"units\": [", out);
        for (size_t i = 0; i < nruns; i++) {
            const h5r_figure *f = run_figure(&runs[i], names[k]);
            fputs(i ? ", " : "", out);
            if (f)
                json_str(out, f->unit);
            else
                fputs("null", out);
        }
        fputs("], \"rel_diff_pct\": [null", out);
        for (size_t i = 1; i < nruns; i++) {
            double pct;
            fputs(", ", out);
            if (rel_diff(base, run_figure(&runs[i], names[k]), &pct))
                fprintf(out, "%.6g", pct); /* a derived figure: 6 digits are plenty */
            else
                fputs("null", out);
        }
        fputs("]}", out);
    }
    fputs(n ? "\n  ]\n}\n" : "]\n}\n", out);
    free(names);
}

static int report_compare(FILE *out, run *runs, size_t nruns, out_format fmt)
{
    if (fmt == FMT_JSON) {
        compare_json(out, runs, nruns);
        return 0;
    }
    make_labels(runs, nruns);
    size_t ncols = 2 + nruns + (nruns - 1);
    char **row = calloc(ncols, sizeof *row);
    if (!row) {
        fputs(PROG ": error: out of memory\n", stderr);
        exit(1);
    }

    if (fmt != FMT_CSV) { /* root attributes side by side (CSV keeps to one table) */
        size_t na;
        const char **anames = union_names(runs, nruns, true, &na);
        grid a;
        grid_init(&a, 1 + nruns);
        row[0] = xstrdup("attribute");
        for (size_t i = 0; i < nruns; i++)
            row[1 + i] = xstrdup(runs[i].label);
        grid_add(&a, row);
        for (size_t k = 0; k < na; k++) {
            row[0] = xstrdup(anames[k]);
            for (size_t i = 0; i < nruns; i++) {
                const h5r_attr *at = run_attr(&runs[i], anames[k]);
                row[1 + i] = at ? shorten(at->text, 40) : xstrdup(dash);
            }
            grid_add(&a, row);
        }
        render(out, &a, fmt);
        grid_free(&a);
        free(anames);
        fputc('\n', out);
    }

    grid g;
    grid_init(&g, ncols);
    row[0] = xstrdup("figure");
    row[1] = xstrdup("unit");
    for (size_t i = 0; i < nruns; i++) {
        g.right[2 + 2 * i - (i > 0)] = true;
        row[2 + 2 * i - (i > 0)] = xstrdup(runs[i].label);
        if (i > 0) {
            g.right[2 + 2 * i] = true;
            row[2 + 2 * i] = fmt == FMT_CSV ? xprintf("%s vs %s (%%)", runs[i].label, runs[0].label)
                                            : xprintf("\xCE\x94 %s", runs[i].label);
        }
    }
    grid_add(&g, row);
    size_t n;
    const char **names = union_names(runs, nruns, false, &n);
    for (size_t k = 0; k < n; k++) {
        const char *unit = first_unit(runs, nruns, names[k]);
        const h5r_figure *base = run_figure(&runs[0], names[k]);
        row[0] = xstrdup(names[k]);
        row[1] = xstrdup(unit);
        for (size_t i = 0; i < nruns; i++) {
            const h5r_figure *f = run_figure(&runs[i], names[k]);
            char *v = value_cell(f, fmt);
            if (f && !f->is_text && strcmp(f->unit, unit) != 0) { /* say which unit */
                char *w = xprintf("%s %s", v, f->unit);
                free(v);
                v = w;
            }
            row[2 + 2 * i - (i > 0)] = v;
            if (i > 0) {
                double pct;
                bool ok = rel_diff(base, f, &pct);
                if (fmt == FMT_CSV) {
                    char buf[64] = "";
                    if (ok)
                        snprintf(buf, sizeof buf, "%.6g", pct);
                    row[2 + 2 * i] = xstrdup(buf);
                } else {
                    row[2 + 2 * i] = ok ? xprintf("%+.1f%%", pct) : xstrdup(dash);
                }
            }
        }
        grid_add(&g, row);
    }
    render(out, &g, fmt);
    grid_free(&g);
    free(names);
    free(row);
    return 0;
}

/* ---- sweep indexes and HTML ---- */

/* Appends one run per point of X: label "pN" (or "NAME:pN" when PREFIX), attributes status,
 * error and the swept values, the figures from the index. 0 or -1 (out of memory). */
static int sweep_points_as_runs(const sweep_index *x, const char *index_path, bool prefix, run *out)
{
    const char *slash = strrchr(index_path, '/');
    int dirlen = slash ? (int)(slash - index_path) : 1;
    const char *dir = slash ? index_path : ".";
    for (size_t i = 0; i < x->npoints; i++) {
        run *r = &out[i];
        memset(r, 0, sizeof *r);
        r->label = prefix ? xprintf("%s:p%zu", x->name, i) : xprintf("p%zu", i);
        r->owned_path = x->trace[i][0] ? xprintf("%.*s/%s", dirlen, dir, x->trace[i]) : xstrdup(r->label);
        r->path = r->owned_path;
        r->attrs = calloc(x->nparams + 3, sizeof *r->attrs);
        r->figs = calloc(x->nfigs + 1, sizeof *r->figs);
        if (!r->attrs || !r->figs)
            return -1;
        const char *names[2] = {"status", "error"};
        const char *vals[2] = {x->status[i], x->error[i]};
        for (size_t k = 0; k < 2 + x->nparams; k++) {
            h5r_attr *a = &r->attrs[r->nattrs++];
            a->kind = H5R_TEXT;
            a->count = 1;
            snprintf(a->name, sizeof a->name, "%s", k < 2 ? names[k] : x->params[k - 2]);
            snprintf(a->text, sizeof a->text, "%s", k < 2 ? vals[k] : x->ptext[i * x->nparams + k - 2]);
        }
        for (size_t k = 0; k < x->nfigs; k++) {
            const char *t = x->fig_text[i * x->nfigs + k];
            double v = x->fig_value[i * x->nfigs + k];
            if (x->fig_is_text[k] ? !t[0] : !isfinite(v))
                continue; /* absent from this point */
            h5r_figure *f = &r->figs[r->nfigs++];
            snprintf(f->name, sizeof f->name, "%s", x->fig_name[k]);
            snprintf(f->unit, sizeof f->unit, "%s", x->fig_unit[k]);
            snprintf(f->doc, sizeof f->doc, "%s", x->fig_doc[k]);
            f->is_text = x->fig_is_text[k];
            f->value = v;
            snprintf(f->text, sizeof f->text, "%s", t);
        }
    }
    return 0;
}

/* Writes the HTML page to PATH (through a temporary file renamed when complete). */
static int write_html(const char *path, run *runs, size_t nruns, bool compare, const sweep_index *sweep)
{
    html_run *hr = calloc(nruns ? nruns : 1, sizeof *hr);
    if (!hr) {
        fputs(PROG ": error: out of memory\n", stderr);
        return 1;
    }
    if (compare && !sweep)
        make_labels(runs, nruns);
    for (size_t i = 0; i < nruns; i++)
        hr[i] = (html_run){runs[i].label ? runs[i].label : runs[i].path, runs[i].path, runs[i].attrs,
                           runs[i].nattrs, runs[i].figs, runs[i].nfigs};
    char title[300];
    const h5r_attr *name = nruns ? run_attr(&runs[0], "name") : NULL;
    if (sweep)
        snprintf(title, sizeof title, "Sweep %s", sweep->name);
    else if (compare)
        snprintf(title, sizeof title, "Comparison of %zu traces", nruns);
    else
        snprintf(title, sizeof title, "Run %.280s", name ? name->text : runs[0].path);
    char *tmp = xprintf("%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    int rc = 0;
    if (!out) {
        fprintf(stderr, PROG ": error: cannot write '%s': %s\n", tmp, strerror(errno));
        rc = 1;
    } else {
        html_report(out, title, hr, compare || sweep ? nruns : 1, sweep);
        if (ferror(out) | fclose(out)) {
            fprintf(stderr, PROG ": error: cannot write '%s': %s\n", tmp, strerror(errno));
            remove(tmp);
            rc = 1;
        } else if (rename(tmp, path)) {
            fprintf(stderr, PROG ": error: cannot write '%s': %s\n", path, strerror(errno));
            remove(tmp);
            rc = 1;
        }
    }
    free(tmp);
    free(hr);
    return rc;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
    out_format fmt = FMT_TEXT;
    bool compare = false, no_more_options = false;
    const char *html = NULL;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    size_t nfiles = 0;
    if (!files) {
        fputs(PROG ": error: out of memory\n", stderr);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (no_more_options || a[0] != '-' || strcmp(a, "-") == 0) {
            files[nfiles++] = a;
        } else if (strcmp(a, "--") == 0) {
            no_more_options = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(usage_text, stdout);
            free(files);
            return fflush(stdout) == 0 ? 0 : 1;
        } else if (strcmp(a, "--compare") == 0) {
            compare = true;
        } else if (strcmp(a, "--html") == 0 || strncmp(a, "--html=", 7) == 0) {
            html = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (!html || !*html) {
                free(files);
                return usage_error("--html needs an output file name");
            }
        } else if (strcmp(a, "--format") == 0 || strncmp(a, "--format=", 9) == 0) {
            const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v) {
                free(files);
                return usage_error("--format needs a value: text, md, csv or json");
            }
            if (strcmp(v, "text") == 0)
                fmt = FMT_TEXT;
            else if (strcmp(v, "md") == 0 || strcmp(v, "markdown") == 0)
                fmt = FMT_MD;
            else if (strcmp(v, "csv") == 0)
                fmt = FMT_CSV;
            else if (strcmp(v, "json") == 0)
                fmt = FMT_JSON;
            else {
                free(files);
                return usage_error("unknown format '%s' (expected text, md, csv or json)", v);
            }
        } else {
            free(files);
            return usage_error("unknown option '%s'", a);
        }
    }
    if (compare && nfiles < 2 && !(nfiles == 1 && sweep_index_is(files[0]))) {
        free(files);
        return usage_error("--compare needs at least two trace files");
    }
    if (!compare && nfiles != 1) {
        free(files);
        return usage_error(nfiles ? "expected one trace file (use --compare for several)"
                                  : "no trace file given");
    }

    int rc = 0;
    size_t loaded = 0, cap = nfiles;
    run *runs = calloc(cap, sizeof *runs);
    sweep_index *sweep = NULL; /* the last sweep index read (for the HTML page) */
    if (!runs) {
        free(files);
        fputs(PROG ": error: out of memory\n", stderr);
        return 1;
    }
    for (size_t i = 0; i < nfiles && rc == 0; i++) {
        if (!sweep_index_is(files[i])) {
            if (run_load(&runs[loaded], files[i]) < 0)
                rc = 2;
            else
                loaded++;
            continue;
        }
        diag_t err = {""};
        sweep_index *x = sweep_index_read(files[i], &err);
        if (!x) {
            fprintf(stderr, PROG ": error: %s\n", err.msg);
            rc = 2;
            break;
        }
        if (x->npoints > 1 || nfiles == 1)
            compare = true;
        cap += x->npoints;
        run *more = realloc(runs, cap * sizeof *runs);
        if (!more) {
            sweep_index_free(x);
            fputs(PROG ": error: out of memory\n", stderr);
            rc = 1;
            break;
        }
        runs = more;
        if (sweep_points_as_runs(x, files[i], nfiles > 1, runs + loaded))
            rc = 1;
        else
            loaded += x->npoints;
        sweep_index_free(sweep);
        sweep = x;
    }
    if (rc == 0 && compare && loaded < 2 && !sweep) {
        rc = usage_error("--compare needs at least two trace files");
    } else if (rc == 0 && html) {
        rc = write_html(html, runs, loaded, compare, nfiles == 1 ? sweep : NULL);
    } else if (rc == 0) {
        if (compare)
            report_compare(stdout, runs, loaded, fmt);
        else
            report_single(stdout, &runs[0], fmt);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, PROG ": error: cannot write the report: %s\n", strerror(errno));
            rc = 1;
        }
    }
    sweep_index_free(sweep);
    for (size_t i = 0; i < loaded; i++)
        run_free(&runs[i]);
    free(runs);
    free(files);
    return rc;
}
