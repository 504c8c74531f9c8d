/* The HTML report page. Invariant: the page references nothing outside itself (inline CSS, inline
 * SVG from analysis/svg.c), and its content depends only on the files read, so the same traces
 * give the same page. Datasets are found by walking the trace; charts are chosen by shape:
 * a table with a time column -> lines per unit; start/end columns -> timeline; latency-like
 * columns (ttft, tpot, e2e, latency, queue) -> CDF; a matrix -> lines (<= 8 columns) or heat map. */
#include "report_html.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "svg.h"

#define MAX_CHARTS 24
#define MAX_TIMELINE_ROWS 3000

static void esc(FILE *out, const char *s)
{
    svg_escape(out, s);
}

static const char CSS[] =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}"
    "h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}"
    "p.meta{color:#555;margin-top:0}table{border-collapse:collapse;font-size:13px;margin:8px 0}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f0f4f8}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}td.pos{color:#b22}td.neg{color:#164}"
    "td.ok{color:#164}td.bad{color:#b22;font-weight:bold}div.scroll{overflow-x:auto}"
    "figure{margin:14px 0}figcaption{color:#555;font-size:12px}";

static void fmt_value(char *buf, size_t n, const h5r_figure *f)
{
    if (!f)
        snprintf(buf, n, "\xE2\x80\x94");
    else if (f->is_text)
        snprintf(buf, n, "%s", f->text);
    else
        snprintf(buf, n, "%.6g", f->value);
}

static const h5r_figure *find_fig(const html_run *r, const char *name)
{
    for (size_t i = 0; i < r->nfigs; i++)
        if (strcmp(r->figs[i].name, name) == 0)
            return &r->figs[i];
    return NULL;
}

static const char *unit_shown(const char *u)
{
    return strcmp(u, "1") == 0 ? "" : strcmp(u, "degC") == 0 ? "\xC2\xB0" "C" : u;
}

/* ---- tables ---- */

static void attrs_table(FILE *out, const html_run *r)
{
    fputs("<table><tr><th>attribute</th><th>value</th></tr>\n", out);
    for (size_t i = 0; i < r->nattrs; i++) {
        fputs("<tr><td>", out);
        esc(out, r->attrs[i].name);
        fputs("</td><td>", out);
        esc(out, r->attrs[i].text);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static void summary_table(FILE *out, const html_run *r)
{
    fputs("<table><tr><th>figure</th><th>value</th><th>unit</th><th>meaning</th></tr>\n", out);
    for (size_t i = 0; i < r->nfigs; i++) {
        char v[300];
        fmt_value(v, sizeof v, &r->figs[i]);
        fputs("<tr><td>", out);
        esc(out, r->figs[i].name);
        fprintf(out, "</td><td class=\"num\">");
        esc(out, v);
        fputs("</td><td>", out);
        esc(out, unit_shown(r->figs[i].unit));
        fputs("</td><td>", out);
        esc(out, r->figs[i].doc);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
}

static bool rel_diff(const h5r_figure *a, const h5r_figure *b, double *pct)
{
    if (!a || !b || a->is_text || b->is_text || strcmp(a->unit, b->unit) != 0 || !isfinite(a->value) ||
        !isfinite(b->value))
        return false;
    if (a->value == 0)
        return b->value == 0 ? (*pct = 0, true) : false;
    *pct = (b->value - a->value) / fabs(a->value) * 100.0;
    return isfinite(*pct);
}

/* Names of all figures of all runs, in order of first appearance. */
static const char **all_names(const html_run *runs, size_t nruns, size_t *n)
{
    size_t total = 0;
    for (size_t i = 0; i < nruns; i++)
        total += runs[i].nfigs;
    const char **names = calloc(total ? total : 1, sizeof *names);
    *n = 0;
    if (!names)
        return NULL;
    for (size_t i = 0; i < nruns; i++)
        for (size_t j = 0; j < runs[i].nfigs; j++) {
            bool seen = false;
            for (size_t k = 0; k < *n && !seen; k++)
                seen = strcmp(names[k], runs[i].figs[j].name) == 0;
            if (!seen)
                names[(*n)++] = runs[i].figs[j].name;
        }
    return names;
}

static void compare_table(FILE *out, const html_run *runs, size_t nruns)
{
    size_t n;
    const char **names = all_names(runs, nruns, &n);
    if (!names)
        return;
    fputs("<div class=\"scroll\"><table><tr><th>figure</th><th>unit</th>", out);
    for (size_t i = 0; i < nruns; i++) {
        fputs("<th>", out);
        esc(out, runs[i].label);
        fputs("</th>", out);
        if (i > 0) {
            fputs("<th>\xCE\x94 ", out);
            esc(out, runs[i].label);
            fputs("</th>", out);
        }
    }
    fputs("</tr>\n", out);
    for (size_t k = 0; k < n; k++) {
        const h5r_figure *base = find_fig(&runs[0], names[k]);
        const char *unit = "";
        for (size_t i = 0; i < nruns && !*unit; i++) {
            const h5r_figure *f = find_fig(&runs[i], names[k]);
            if (f)
                unit = f->unit;
        }
        fputs("<tr><td>", out);
        esc(out, names[k]);
        fputs("</td><td>", out);
        esc(out, unit_shown(unit));
        fputs("</td>", out);
        for (size_t i = 0; i < nruns; i++) {
            const h5r_figure *f = find_fig(&runs[i], names[k]);
            char v[300];
            fmt_value(v, sizeof v, f);
            fputs("<td class=\"num\">", out);
            esc(out, v);
            fputs("</td>", out);
            if (i > 0) {
                double pct;
                if (rel_diff(base, f, &pct))
                    fprintf(out, "<td class=\"num %s\">%+.1f%%</td>", pct > 0 ? "pos" : pct < 0 ? "neg" : "", pct);
                else
                    fputs("<td class=\"num\">\xE2\x80\x94</td>", out);
            }
        }
        fputs("</tr>\n", out);
    }
    fputs("</table></div>\n", out);
    free(names);
}

/* ---- walking a trace ---- */

typedef struct dsinfo {
    char path[256];
    int ndims;
    hsize_t dims[2];
    bool compound;
} dsinfo;

typedef struct dslist {
    dsinfo *v;
    size_t n, cap;
} dslist;

static herr_t visit(hid_t obj, const char *name, const H5O_info_t *info, void *data)
{
    dslist *l = data;
    if (info->type != H5O_TYPE_DATASET || strncmp(name, "summary/", 8) == 0 || strncmp(name, "scenario/", 9) == 0)
        return 0;
    hid_t d = H5Dopen2(obj, name, H5P_DEFAULT);
    if (d < 0)
        return 0;
    hid_t sp = H5Dget_space(d), t = H5Dget_type(d);
    int nd = H5Sget_simple_extent_ndims(sp);
    if (nd >= 1 && nd <= 2 && l->n < 256) {
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 16;
            dsinfo *v = realloc(l->v, cap * sizeof *v);
            if (v) {
                l->v = v;
                l->cap = cap;
            }
        }
        if (l->n < l->cap) {
            dsinfo *ds = &l->v[l->n++];
            memset(ds, 0, sizeof *ds);
            snprintf(ds->path, sizeof ds->path, "/%s", name);
            ds->ndims = nd;
            H5Sget_simple_extent_dims(sp, ds->dims, NULL);
            ds->compound = H5Tget_class(t) == H5T_COMPOUND;
            if (!ds->compound && H5Tget_class(t) != H5T_FLOAT && H5Tget_class(t) != H5T_INTEGER)
                l->n--;
        }
    }
    H5Tclose(t);
    H5Sclose(sp);
    H5Dclose(d);
    return 0;
}

static void list_datasets(const char *path, dslist *l)
{
    H5E_auto2_t of;
    void *od;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        if (H5Ovisit(f, H5_INDEX_CRT_ORDER, H5_ITER_INC, visit, l) < 0)
            H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, visit, l);
        H5Fclose(f);
    }
    H5Eset_auto2(H5E_DEFAULT, of, od);
}

/* A string column of a table, as an array of N malloc'd strings (NULL if not a string column). */
static char **read_str_col(const char *file, const char *path, const char *col, size_t n)
{
    H5E_auto2_t of;
    void *od;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char **out = NULL;
    hid_t f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, path, H5P_DEFAULT) : -1;
    hid_t ft = d >= 0 ? H5Dget_type(d) : -1;
    int m = ft >= 0 ? H5Tget_member_index(ft, col) : -1;
    if (m >= 0) {
        hid_t mft = H5Tget_member_type(ft, (unsigned)m);
        if (H5Tget_class(mft) == H5T_STRING && !H5Tis_variable_str(mft)) {
            size_t len = H5Tget_size(mft);
            hid_t st = H5Tcopy(H5T_C_S1);
            H5Tset_size(st, len);
            H5Tset_strpad(st, H5T_STR_NULLPAD);
            hid_t mt = H5Tcreate(H5T_COMPOUND, len);
            H5Tinsert(mt, col, 0, st);
            char *buf = calloc(n ? n : 1, len);
            out = calloc(n ? n : 1, sizeof *out);
            if (buf && out && (n == 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)) {
                for (size_t i = 0; i < n; i++)
                    out[i] = strndup(buf + i * len, len);
            } else {
                free(out);
                out = NULL;
            }
            free(buf);
            H5Tclose(mt);
            H5Tclose(st);
        }
        H5Tclose(mft);
    }
    if (ft >= 0)
        H5Tclose(ft);
    if (d >= 0)
        H5Dclose(d);
    if (f >= 0)
        H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, of, od);
    return out;
}

static void free_strs(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool name_has(const char *name, const char *word)
{
    char low[128];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof low; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[i] = '\0';
    return strstr(low, word) != NULL;
}

static void caption(FILE *out, const char *path, const char *what)
{
    fputs("<figcaption>", out);
    esc(out, what);
    fputs(" \xE2\x80\x94 <code>", out);
    esc(out, path);
    fputs("</code></figcaption></figure>\n", out);
}

/* Charts for one compound table; returns how many were drawn. */
static int table_charts(FILE *out, h5r_file *f, const char *file, const dsinfo *ds, int budget)
{
    diag_t err;
    char **cols = NULL, **units = NULL;
    size_t ncols = 0, nunits = 0, rows = (size_t)ds->dims[0];
    int drawn = 0;
    if (rows < 2 || h5r_table_columns(f, ds->path, &cols, &ncols, &err))
        return 0;
    if (h5r_attr_strv(f, ds->path, "units", &units, &nunits, &err) || nunits != ncols) {
        free(cols);
        free(units);
        return 0;
    }
    double **val = calloc(ncols, sizeof *val);
    if (!val)
        goto out;
    for (size_t c = 0; c < ncols; c++) {
        size_t n = 0;
        if (h5r_table_f64(f, ds->path, cols[c], &val[c], &n, &err) || n != rows) {
            free(val[c]);
            val[c] = NULL;
        }
    }
    long tcol = -1, scol = -1, ecol = -1;
    for (size_t c = 0; c < ncols; c++) {
        if (!val[c] || strcmp(units[c], "s") != 0)
            continue;
        if (strcmp(cols[c], "time") == 0 || strcmp(cols[c], "t") == 0 || strcmp(cols[c], "time_s") == 0)
            tcol = (long)c;
        else if (strcmp(cols[c], "start") == 0 || strcmp(cols[c], "start_s") == 0)
            scol = (long)c;
        else if (strcmp(cols[c], "end") == 0 || strcmp(cols[c], "end_s") == 0 || strcmp(cols[c], "finish") == 0)
            ecol = (long)c;
    }
    /* Time series: one chart per unit; identifier columns (rank, rack, id ...) are keys, not values. */
    if (tcol >= 0) {
        static const char *const keys[] = {"id", "rank", "accelerator", "replica", "rack", "cdu", "node",
                                           "lane", "device", "group", "link", "plane", "iteration"};
        bool *done = calloc(ncols, sizeof *done);
        for (size_t c = 0; done && c < ncols; c++) {
            size_t len = strlen(cols[c]);
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                done[c] = done[c] || strcmp(cols[c], keys[k]) == 0;
            done[c] = done[c] || (len > 3 && strcmp(cols[c] + len - 3, "_id") == 0);
        }
        for (size_t c = 0; done && c < ncols && drawn < budget; c++) {
            if ((long)c == tcol || !val[c] || done[c])
                continue;
            svg_series s[10];
            size_t ns = 0;
            for (size_t d = c; d < ncols; d++)
                if ((long)d != tcol && val[d] && !done[d] && strcmp(units[d], units[c]) == 0) {
                    done[d] = true;
                    if (ns < 10)
                        s[ns++] = (svg_series){cols[d], val[tcol], val[d], rows};
                }
            char title[320];
            snprintf(title, sizeof title, "%s over time", ds->path);
            svg_axes ax = {title, "time", "s", ns == 1 ? s[0].name : "value", units[c]};
            fputs("<figure>\n", out);
            svg_line_chart(out, &ax, s, ns, false);
            caption(out, ds->path, "time series (columns of the same unit)");
            drawn++;
        }
        free(done);
    }
    /* Intervals: a timeline, one lane per rank/accelerator/replica..., coloured by a kind column. */
    if (scol >= 0 && ecol >= 0 && drawn < budget) {
        static const char *const lanes[] = {"rank", "accelerator", "replica", "lane", "device", "node", "group"};
        static const char *const kinds[] = {"phase", "kind", "op", "state", "type", "name"};
        long lcol = -1;
        for (size_t k = 0; k < sizeof lanes / sizeof lanes[0] && lcol < 0; k++)
            for (size_t c = 0; c < ncols; c++)
                if (val[c] && strcmp(cols[c], lanes[k]) == 0)
                    lcol = (long)c;
        char **kind = NULL;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0] && !kind; k++)
            for (size_t c = 0; c < ncols && !kind; c++)
                if (strcmp(cols[c], kinds[k]) == 0)
                    kind = read_str_col(file, ds->path, cols[c], rows);
        size_t n = rows > MAX_TIMELINE_ROWS ? MAX_TIMELINE_ROWS : rows;
        int *lane = calloc(n ? n : 1, sizeof *lane), *kid = calloc(n ? n : 1, sizeof *kid);
        const char *legend[10];
        size_t nleg = 0;
        if (lane && kid) {
            double lmin = INFINITY;
            for (size_t i = 0; i < n && lcol >= 0; i++)
                lmin = fmin(lmin, val[lcol][i]);
            for (size_t i = 0; i < n; i++) {
                lane[i] = lcol >= 0 ? (int)(val[lcol][i] - lmin) : 0;
                if (lane[i] < 0 || lane[i] > 63)
                    lane[i] = 63;
                kid[i] = -1;
                if (kind) {
                    size_t k = 0;
                    while (k < nleg && strcmp(legend[k], kind[i]) != 0)
                        k++;
                    if (k == nleg && nleg < 10)
                        legend[nleg++] = kind[i];
                    kid[i] = k < nleg ? (int)k : 9;
                }
            }
            if (lcol < 0) /* no lane column: one lane per row when few, else all on one lane */
                for (size_t i = 0; i < n; i++)
                    lane[i] = n <= 64 ? (int)i : 0;
            char title[320];
            snprintf(title, sizeof title, "%s timeline%s", ds->path,
                     rows > n ? " (first rows)" : "");
            svg_axes ax = {title, "time", "s", lcol >= 0 ? cols[lcol] : "row", "1"};
            fputs("<figure>\n", out);
            svg_timeline(out, &ax, val[scol], val[ecol], lane, kid, n, legend, nleg);
            caption(out, ds->path, "intervals from start to end");
            drawn++;
        }
        free(lane);
        free(kid);
        free_strs(kind, rows);
    }
    /* Latency distributions as CDFs. */
    static const char *const lat[] = {"ttft", "tpot", "e2e", "latency", "queue"};
    for (size_t c = 0; c < ncols && drawn < budget; c++) {
        bool is_lat = false;
        for (size_t k = 0; k < sizeof lat / sizeof lat[0]; k++)
            is_lat = is_lat || name_has(cols[c], lat[k]);
        if (!is_lat || !val[c] || strcmp(units[c], "s") != 0)
            continue;
        double *x = malloc(rows * sizeof *x), *y = malloc(rows * sizeof *y);
        size_t m = 0;
        if (x && y) {
            for (size_t i = 0; i < rows; i++)
                if (isfinite(val[c][i]))
                    x[m++] = val[c][i];
            bool constant = true;
            for (size_t i = 1; i < m; i++)
                constant = constant && x[i] == x[0];
            if (m < 2 || constant) { /* a step at one value says nothing a table would not */
                free(x);
                free(y);
                continue;
            }
            for (size_t i = 1; i < m; i++) /* insertion sort is fine for report sizes; */
                for (size_t j = i; j > 0 && x[j - 1] > x[j]; j--) {
                    double t = x[j];
                    x[j] = x[j - 1];
                    x[j - 1] = t;
                }
            for (size_t i = 0; i < m; i++)
                y[i] = (double)(i + 1) / (double)m;
            char title[320];
            snprintf(title, sizeof title, "%s: distribution of %s (CDF)", ds->path, cols[c]);
            svg_series s = {cols[c], x, y, m};
            svg_axes ax = {title, cols[c], "s", "fraction", "1"};
            fputs("<figure>\n", out);
            svg_line_chart(out, &ax, &s, 1, false);
            caption(out, ds->path, "cumulative distribution");
            drawn++;
        }
        free(x);
        free(y);
    }
    for (size_t c = 0; c < ncols; c++)
        free(val[c]);
    free(val);
out:
    free(cols);
    free(units);
    return drawn;
}

static int matrix_chart(FILE *out, h5r_file *f, const dsinfo *ds)
{
    diag_t err;
    double *m = NULL;
    size_t rows = 0, cols = 0;
    if (h5r_matrix(f, ds->path, &m, &rows, &cols, &err) || !m || rows < 2) {
        free(m);
        return 0;
    }
    char unit[64] = "";
    h5r_attr_str(f, ds->path, "units", unit, sizeof unit, &err);
    char **names = NULL;
    size_t nn = 0;
    if (h5r_attr_strv(f, ds->path, "columns", &names, &nn, &err))
        names = NULL;
    char title[320];
    snprintf(title, sizeof title, "%s", ds->path);
    fputs("<figure>\n", out);
    if (cols <= 8) {
        double *x = malloc(rows * sizeof *x), *y = malloc(rows * cols * sizeof *y);
        svg_series s[8];
        if (x && y) {
            for (size_t i = 0; i < rows; i++)
                x[i] = (double)i;
            for (size_t c = 0; c < cols; c++) {
                for (size_t i = 0; i < rows; i++)
                    y[c * rows + i] = m[i * cols + c];
                char *nm = names && nn == cols ? names[c] : NULL;
                s[c] = (svg_series){nm ? nm : "", x, y + c * rows, rows};
            }
            svg_axes ax = {title, "sample", "1", "value", unit};
            svg_line_chart(out, &ax, s, cols, false);
        }
        free(x);
        free(y);
    } else {
        svg_axes ax = {title, "sample", "1", "column", unit};
        svg_heatmap(out, &ax, m, rows, cols, 0, 1);
    }
    caption(out, ds->path, cols <= 8 ? "matrix, one line per column" : "matrix as a heat map (rows: samples)");
    free(names);
    free(m);
    return 1;
}

static void trace_charts(FILE *out, const char *path)
{
    dslist l = {0};
    list_datasets(path, &l);
    diag_t err;
    h5r_file *f = h5r_open(path, &err);
    int drawn = 0;
    for (size_t i = 0; f && i < l.n && drawn < MAX_CHARTS; i++)
        drawn += l.v[i].compound ? table_charts(out, f, path, &l.v[i], MAX_CHARTS - drawn)
                 : l.v[i].ndims == 2 ? matrix_chart(out, f, &l.v[i])
                                     : 0;
    if (drawn == 0)
        fputs("<p>No table in this trace has a time series, intervals or latencies to chart.</p>\n", out);
    if (f)
        h5r_close(f);
    free(l.v);
}

/* ---- comparisons and sweeps ---- */

static void compare_charts(FILE *out, const html_run *runs, size_t nruns)
{
    size_t n;
    const char **names = all_names(runs, nruns, &n);
    if (!names)
        return;
    double *v = calloc(n ? n : 1, sizeof *v);
    const char **lab = calloc(n ? n : 1, sizeof *lab);
    for (size_t i = 1; v && lab && i < nruns && i <= 6; i++) {
        size_t m = 0;
        for (size_t k = 0; k < n; k++) {
            double pct;
            if (rel_diff(find_fig(&runs[0], names[k]), find_fig(&runs[i], names[k]), &pct)) {
                lab[m] = names[k];
                v[m++] = pct;
            }
        }
        char title[400];
        snprintf(title, sizeof title, "%s vs %s: relative difference of each figure", runs[i].label, runs[0].label);
        fputs("<figure>\n", out);
        svg_bar_chart(out, title, "%", lab, v, m);
        fputs("<figcaption>positive: larger than the first file</figcaption></figure>\n", out);
    }
    free(v);
    free(lab);
    free(names);
}

static void sweep_table(FILE *out, const sweep_index *x)
{
    fputs("<div class=\"scroll\"><table><tr><th>point</th><th>status</th>", out);
    for (size_t k = 0; k < x->nparams; k++) {
        fputs("<th>", out);
        esc(out, x->params[k]);
        fputs("</th>", out);
    }
    fputs("<th>error</th></tr>\n", out);
    for (size_t i = 0; i < x->npoints; i++) {
        bool ok = strcmp(x->status[i], "ok") == 0;
        fprintf(out, "<tr><td class=\"num\">%zu</td><td class=\"%s\">", i, ok ? "ok" : "bad");
        esc(out, x->status[i]);
        fputs("</td>", out);
        for (size_t k = 0; k < x->nparams; k++) {
            fputs("<td>", out);
            esc(out, x->ptext[i * x->nparams + k]);
            fputs("</td>", out);
        }
        fputs("<td>", out);
        esc(out, x->error[i]);
        fputs("</td></tr>\n", out);
    }
    fputs("</table></div>\n", out);
}

/* Metric versus the first numeric parameter that varies, one line per combination of the others. */
static void sweep_charts(FILE *out, const sweep_index *x)
{
    size_t np = x->nparams, n = x->npoints;
    long xp = -1;
    for (size_t k = 0; k < np && xp < 0; k++) {
        double first = NAN;
        bool varies = false, numeric = true;
        for (size_t i = 0; i < n; i++) {
            double v = x->pvalue[i * np + k];
            if (!isfinite(v)) {
                numeric = numeric && x->ptext[i * np + k][0] == '\0';
                continue;
            }
            if (isnan(first))
                first = v;
            else if (v != first)
                varies = true;
        }
        if (numeric && varies)
            xp = (long)k;
    }
    /* Group points by the text of every other parameter. */
    size_t *group = calloc(n ? n : 1, sizeof *group);
    char **gname = calloc(n ? n : 1, sizeof *gname);
    size_t ng = 0;
    if (!group || !gname)
        goto out;
    for (size_t i = 0; i < n; i++) {
        char key[1024] = "";
        size_t used = 0;
        for (size_t k = 0; k < np; k++)
            if ((long)k != xp)
                used += (size_t)snprintf(key + used, used < sizeof key ? sizeof key - used : 0, "%s%s=%s",
                                         used ? ", " : "", strrchr(x->params[k], '.') ? strrchr(x->params[k], '.') + 1
                                                                                       : x->params[k],
                                         x->ptext[i * np + k]);
        if (used >= sizeof key)
            used = sizeof key - 1;
        size_t g = 0;
        while (g < ng && strcmp(gname[g], key) != 0)
            g++;
        if (g == ng)
            gname[ng++] = strdup(key);
        group[i] = g;
    }
    int drawn = 0;
    for (size_t f = 0; f < x->nfigs && drawn < MAX_CHARTS; f++) {
        if (x->fig_is_text[f])
            continue;
        double first = NAN;
        bool varies = false;
        for (size_t i = 0; i < n; i++) {
            double v = x->fig_value[i * x->nfigs + f];
            if (!isfinite(v))
                continue;
            if (isnan(first))
                first = v;
            else if (fabs(v - first) > 1e-12 * fabs(first))
                varies = true;
        }
        if (!varies)
            continue;
        char title[400];
        fputs("<figure>\n", out);
        if (xp >= 0) {
            svg_series *s = calloc(ng, sizeof *s);
            double *xs = calloc(n, sizeof *xs), *ys = calloc(n, sizeof *ys);
            if (s && xs && ys) {
                size_t w = 0;
                for (size_t g = 0; g < ng; g++) {
                    s[g].name = gname[g] && *gname[g] ? gname[g] : x->fig_name[f];
                    s[g].x = xs + w;
                    s[g].y = ys + w;
                    for (size_t i = 0; i < n; i++)
                        if (group[i] == g) {
                            xs[w] = x->pvalue[i * np + (size_t)xp];
                            ys[w++] = x->fig_value[i * x->nfigs + f];
                            s[g].n++;
                        }
                    /* sort the group's points by x */
                    double *gx = (double *)s[g].x, *gy = (double *)s[g].y;
                    for (size_t a = 1; a < s[g].n; a++)
                        for (size_t b = a; b > 0 && gx[b - 1] > gx[b]; b--) {
                            double t = gx[b];
                            gx[b] = gx[b - 1];
                            gx[b - 1] = t;
                            t = gy[b];
                            gy[b] = gy[b - 1];
                            gy[b - 1] = t;
                        }
                }
                snprintf(title, sizeof title, "%s vs %s", x->fig_name[f], x->params[xp]);
                svg_axes ax = {title, x->params[xp], x->punit[xp], x->fig_name[f], x->fig_unit[f]};
                svg_line_chart(out, &ax, s, ng, true);
            }
            free(s);
            free(xs);
            free(ys);
        } else {
            const char **lab = calloc(n, sizeof *lab);
            double *v = calloc(n, sizeof *v);
            if (lab && v) {
                char (*buf)[96] = calloc(n, sizeof *buf);
                for (size_t i = 0; buf && i < n; i++) {
                    snprintf(buf[i], sizeof buf[i], "p%zu: %s", i, x->label[i]);
                    lab[i] = buf[i];
                    v[i] = x->fig_value[i * x->nfigs + f];
                }
                snprintf(title, sizeof title, "%s per point", x->fig_name[f]);
                svg_bar_chart(out, title, x->fig_unit[f], lab, v, n);
                free(buf);
            }
            free(lab);
            free(v);
        }
        fputs("<figcaption>", out);
        esc(out, x->fig_doc[f]);
        fputs("</figcaption></figure>\n", out);
        drawn++;
    }
    if (drawn == 0)
        fputs("<p>No figure varies across the points.</p>\n", out);
out:
    for (size_t g = 0; g < ng; g++)
        free(gname[g]);
    free(gname);
    free(group);
}

void html_report(FILE *out, const char *title, const html_run *runs, size_t nruns, const sweep_index *sweep)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>", out);
    esc(out, title);
    fprintf(out, "</title>\n<style>%s</style></head>\n<body>\n<h1>", CSS);
    esc(out, title);
    fputs("</h1>\n<p class=\"meta\">OAS Twin report generated by oastwin-report from ", out);
    if (sweep)
        fprintf(out, "a sweep index of %zu points", sweep->npoints);
    else if (nruns == 1)
        esc(out, runs[0].path);
    else
        fprintf(out, "%zu traces", nruns);
    fputs(". Self-contained: tables and inline SVG charts, no external files.</p>\n", out);
    if (sweep) {
        fputs("<h2>Points</h2>\n", out);
        sweep_table(out, sweep);
        fputs("<h2>Metrics versus parameters</h2>\n", out);
        sweep_charts(out, sweep);
        fputs("<h2>Figures side by side (difference from the first point)</h2>\n", out);
        compare_table(out, runs, nruns);
    } else if (nruns == 1) {
        fputs("<h2>Summary</h2>\n", out);
        summary_table(out, &runs[0]);
        fputs("<h2>Charts</h2>\n", out);
        trace_charts(out, runs[0].path);
        fputs("<h2>Run attributes</h2>\n", out);
        attrs_table(out, &runs[0]);
    } else {
        fputs("<h2>Figures side by side</h2>\n", out);
        compare_table(out, runs, nruns);
        fputs("<h2>Differences</h2>\n", out);
        compare_charts(out, runs, nruns);
    }
    fputs("</body></html>\n", out);
}
