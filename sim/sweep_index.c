/* The sweep index (OUTDIR/sweep.h5): one row per point in point order — status, parameters as
 * written and in SI, every /summary figure of its trace — plus an HDF5 external link per complete
 * point (/points/N -> points/000N.h5:/). Written here with HDF5 directly (the trace writer has no
 * external links and fixed tables; the index's columns are known only at run time), following
 * docs/hdf5-conventions.md: format bounds earliest..1.8, creation order tracked, no timestamps,
 * fixed-length NUL-padded UTF-8 strings, a "units" attribute on every dataset; written under a
 * temporary name and renamed. Invariant: the content depends only on the sweep and the files. */
#include "sweep.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5read.h"
#include "sha256.h"
#include "version.h"

#define INDEX_KIND "oastwin-sweep-index"
#define CRT_ORDER (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)

static const char *const STATUS_NAMES[] = {"pending", "ok", "failed", "invalid"};

/* ---- writing ---- */

typedef enum ctype { C_F64, C_I64, C_STR } ctype;

typedef struct icol {
    const char *name;
    ctype type;
    const char *unit;
    const char *doc;
    const double *f;     /* [nrows] C_F64 */
    const int64_t *i;    /* [nrows] C_I64 */
    char *const *s;      /* [nrows] C_STR */
} icol;

typedef struct wctx {
    hid_t file, gcpl, dcpl, acpl, lcpl;
    int bad;
} wctx;

static hid_t str_type(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len ? len : 1);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    H5Tset_cset(t, H5T_CSET_UTF8);
    return t;
}

static void attr_str(wctx *c, hid_t obj, const char *name, const char *v)
{
    hid_t t = str_type(strlen(v));
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, sp, c->acpl, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, t, v) < 0)
        c->bad = 1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
}

static void attr_strv(wctx *c, hid_t obj, const char *name, const char *const *v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i]) > len)
            len = strlen(v[i]);
    char *buf = calloc(n ? n : 1, len);
    if (!buf) {
        c->bad = 1;
        return;
    }
    for (size_t i = 0; i < n; i++)
        memcpy(buf + i * len, v[i], strlen(v[i]));
    hid_t t = str_type(len);
    hsize_t dims[1] = {n};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t a = H5Acreate2(obj, name, t, sp, c->acpl, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, t, buf) < 0)
        c->bad = 1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    free(buf);
}

static void attr_i64(wctx *c, hid_t obj, const char *name, int64_t v)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, H5T_STD_I64LE, sp, c->acpl, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_INT64, &v) < 0)
        c->bad = 1;
    if (a >= 0)
        H5Aclose(a);
    H5Sclose(sp);
}

static hid_t group(wctx *c, const char *path)
{
    hid_t g = H5Gcreate2(c->file, path, c->lcpl, c->gcpl, H5P_DEFAULT);
    if (g < 0)
        c->bad = 1;
    return g;
}

static void text_ds(wctx *c, const char *path, const char *text, const char *doc)
{
    hid_t t = str_type(strlen(text));
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(c->file, path, t, sp, c->lcpl, c->dcpl, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, text) < 0)
        c->bad = 1;
    if (d >= 0) {
        attr_str(c, d, "units", "");
        attr_str(c, d, "doc", doc);
        H5Dclose(d);
    }
    H5Sclose(sp);
    H5Tclose(t);
}

static void scalar_i64(wctx *c, const char *path, int64_t v, const char *doc)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t d = H5Dcreate2(c->file, path, H5T_STD_I64LE, sp, c->lcpl, c->dcpl, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0)
        c->bad = 1;
    if (d >= 0) {
        attr_str(c, d, "units", "1");
        attr_str(c, d, "doc", doc);
        H5Dclose(d);
    }
    H5Sclose(sp);
}

/* A packed compound table of NROWS rows. */
static void table(wctx *c, const char *path, const char *doc, const icol *cols, size_t ncols, size_t nrows)
{
    size_t *size = calloc(ncols ? ncols : 1, sizeof *size);
    size_t *off = calloc(ncols ? ncols : 1, sizeof *off);
    const char **names = calloc(ncols ? ncols : 1, sizeof *names);
    const char **units = calloc(ncols ? ncols : 1, sizeof *units);
    const char **docs = calloc(ncols ? ncols : 1, sizeof *docs);
    if (!size || !off || !names || !units || !docs) {
        c->bad = 1;
        goto out;
    }
    size_t row = 0;
    for (size_t k = 0; k < ncols; k++) {
        size[k] = 8;
        if (cols[k].type == C_STR) {
            size[k] = 1;
            for (size_t r = 0; r < nrows; r++)
                if (strlen(cols[k].s[r]) > size[k])
                    size[k] = strlen(cols[k].s[r]);
        }
        off[k] = row;
        row += size[k];
        names[k] = cols[k].name;
        units[k] = cols[k].unit;
        docs[k] = cols[k].doc;
    }
    hid_t t = H5Tcreate(H5T_COMPOUND, row ? row : 1);
    for (size_t k = 0; k < ncols; k++) {
        hid_t mt = cols[k].type == C_F64 ? H5Tcopy(H5T_IEEE_F64LE)
                   : cols[k].type == C_I64 ? H5Tcopy(H5T_STD_I64LE)
                                           : str_type(size[k]);
        if (H5Tinsert(t, cols[k].name, off[k], mt) < 0)
            c->bad = 1;
        H5Tclose(mt);
    }
    unsigned char *buf = calloc(nrows ? nrows : 1, row ? row : 1);
    if (!buf) {
        c->bad = 1;
        H5Tclose(t);
        goto out;
    }
    for (size_t r = 0; r < nrows; r++)
        for (size_t k = 0; k < ncols; k++) {
            unsigned char *p = buf + r * row + off[k];
            if (cols[k].type == C_F64)
                memcpy(p, &cols[k].f[r], 8); /* little-endian hosts only (x86-64, arm64) */
            else if (cols[k].type == C_I64)
                memcpy(p, &cols[k].i[r], 8);
            else
                memcpy(p, cols[k].s[r], strlen(cols[k].s[r]));
        }
    hsize_t dims[1] = {nrows};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t d = H5Dcreate2(c->file, path, t, sp, c->lcpl, c->dcpl, H5P_DEFAULT);
    if (d < 0 || (nrows && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0))
        c->bad = 1;
    if (d >= 0) {
        attr_strv(c, d, "units", units, ncols);
        attr_strv(c, d, "columns", names, ncols);
        attr_strv(c, d, "column_docs", docs, ncols);
        attr_str(c, d, "doc", doc);
        H5Dclose(d);
    }
    H5Sclose(sp);
    H5Tclose(t);
    free(buf);
out:
    free(size);
    free(off);
    free(names);
    free(units);
    free(docs);
}

/* The figures of every complete point, union of names in point order. */
typedef struct figset {
    size_t n;
    char (*name)[96];
    char (*unit)[32];
    char (*doc)[256];
    bool *is_text;
    double *value; /* [npoints * cap] */
    char **text;   /* [npoints * cap] */
    size_t cap;
} figset;

static int figs_collect(const sweep_t *s, figset *fs)
{
    memset(fs, 0, sizeof *fs);
    h5r_figure **per = calloc(s->npoints, sizeof *per);
    size_t *nper = calloc(s->npoints, sizeof *nper);
    if (!per || !nper) {
        free(per);
        free(nper);
        return -1;
    }
    size_t total = 0;
    for (size_t i = 0; i < s->npoints; i++) {
        if (s->points[i].status != SWEEP_OK)
            continue;
        char path[PATH_MAX + 80];
        snprintf(path, sizeof path, "%s/%s", s->outdir, s->points[i].trace);
        diag_t e;
        h5r_file *f = h5r_open(path, &e);
        if (f) {
            h5r_summary(f, &per[i], &nper[i], &e);
            h5r_close(f);
        }
        total += nper[i];
    }
    fs->cap = total ? total : 1;
    fs->name = calloc(fs->cap, sizeof *fs->name);
    fs->unit = calloc(fs->cap, sizeof *fs->unit);
    fs->doc = calloc(fs->cap, sizeof *fs->doc);
    fs->is_text = calloc(fs->cap, sizeof *fs->is_text);
    int rc = 0;
    if (!fs->name || !fs->unit || !fs->doc || !fs->is_text) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < s->npoints; i++)
        for (size_t j = 0; j < nper[i]; j++) {
            size_t k = 0;
            while (k < fs->n && strcmp(fs->name[k], per[i][j].name) != 0)
                k++;
            if (k == fs->n) {
                snprintf(fs->name[k], sizeof fs->name[k], "%s", per[i][j].name);
                snprintf(fs->unit[k], sizeof fs->unit[k], "%s", per[i][j].unit);
                snprintf(fs->doc[k], sizeof fs->doc[k], "%s", per[i][j].doc);
                fs->n++;
            }
            fs->is_text[k] = fs->is_text[k] || per[i][j].is_text;
        }
    fs->value = calloc(s->npoints * fs->cap, sizeof *fs->value);
    fs->text = calloc(s->npoints * fs->cap, sizeof *fs->text);
    if (!fs->value || !fs->text) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < s->npoints; i++)
        for (size_t k = 0; k < fs->n; k++) {
            const h5r_figure *f = NULL;
            for (size_t j = 0; j < nper[i] && !f; j++)
                if (strcmp(per[i][j].name, fs->name[k]) == 0)
                    f = &per[i][j];
            char buf[300] = "";
            fs->value[i * fs->cap + k] = f && !f->is_text ? f->value : NAN;
            if (f && f->is_text)
                snprintf(buf, sizeof buf, "%s", f->text);
            else if (f)
                snprintf(buf, sizeof buf, "%.17g", f->value);
            if (!(fs->text[i * fs->cap + k] = strdup(buf)))
                rc = -1;
        }
out:
    for (size_t i = 0; i < s->npoints; i++)
        free(per[i]);
    free(per);
    free(nper);
    return rc;
}

static void figs_free(figset *fs, size_t npoints)
{
    if (fs->text)
        for (size_t i = 0; i < npoints * fs->cap; i++)
            free(fs->text[i]);
    free(fs->text);
    free(fs->value);
    free(fs->name);
    free(fs->unit);
    free(fs->doc);
    free(fs->is_text);
}

static void write_tables(wctx *c, const sweep_t *s, const figset *fs)
{
    size_t n = s->npoints;
    int64_t *idx = calloc(n, sizeof *idx);
    char **status = calloc(n, sizeof *status), **label = calloc(n, sizeof *label);
    char **trace = calloc(n, sizeof *trace), **hash = calloc(n, sizeof *hash), **error = calloc(n, sizeof *error);
    char **col = calloc(n, sizeof *col);
    double *val = calloc(n, sizeof *val);
    icol *cols = calloc(s->nparams + fs->n + 8, sizeof *cols);
    if (!idx || !status || !label || !trace || !hash || !error || !col || !val || !cols) {
        c->bad = 1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const sweep_point *p = &s->points[i];
        idx[i] = (int64_t)i;
        status[i] = (char *)STATUS_NAMES[p->status];
        label[i] = p->label;
        trace[i] = p->status == SWEEP_OK ? (char *)p->trace : (char *)"";
        hash[i] = (char *)p->hash;
        error[i] = p->error ? p->error : (char *)"";
    }
    icol pc[] = {
        {"point", C_I64, "1", "point number (row of every /sweep table)", NULL, idx, NULL},
        {"status", C_STR, "", "ok, failed, invalid (scenario does not load) or pending (not run)", NULL, NULL, status},
        {"label", C_STR, "", "the point's swept values, as written", NULL, NULL, label},
        {"trace", C_STR, "", "the point's trace, relative to this file's directory (ok points)", NULL, NULL, trace},
        {"scenario_sha256", C_STR, "", "SHA-256 of the point's resolved scenario", NULL, NULL, hash},
        {"error", C_STR, "", "why the point failed (first error line), empty when ok", NULL, NULL, error},
    };
    table(c, "/sweep/points", "one row per point: status, label, trace file, error", pc, sizeof pc / sizeof pc[0], n);

    /* Parameters as written: one string column per swept path. */
    char ***ptext = calloc(s->nparams ? s->nparams : 1, sizeof *ptext);
    double **pval = calloc(s->nparams ? s->nparams : 1, sizeof *pval);
    if (!ptext || !pval) {
        c->bad = 1;
        free(ptext);
        free(pval);
        goto out;
    }
    for (size_t k = 0; k < s->nparams; k++) {
        ptext[k] = calloc(n, sizeof **ptext);
        pval[k] = calloc(n, sizeof **pval);
        if (!ptext[k] || !pval[k]) {
            c->bad = 1;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            ptext[k][i] = s->points[i].ptext[k];
            pval[k][i] = s->points[i].pvalue[k];
        }
        cols[k] = (icol){s->params[k], C_STR, "", "swept value as written in the sweep file", NULL, NULL, ptext[k]};
    }
    if (!c->bad)
        table(c, "/sweep/parameters", "one row per point: each swept path's value as written", cols, s->nparams, n);
    for (size_t k = 0; k < s->nparams && !c->bad; k++)
        cols[k] = (icol){s->params[k], C_F64, s->punit[k],
                         "swept value in SI units from the resolved scenario (NaN: not a number or invalid point)",
                         pval[k], NULL, NULL};
    if (!c->bad)
        table(c, "/sweep/values", "one row per point: each swept path's value in SI units", cols, s->nparams, n);
    for (size_t k = 0; k < s->nparams; k++) {
        free(ptext[k]);
        free(pval[k]);
    }
    free(ptext);
    free(pval);

    /* Figures: one column per /summary figure of the points' traces. */
    double **fv = calloc(fs->n ? fs->n : 1, sizeof *fv);
    char ***ft = calloc(fs->n ? fs->n : 1, sizeof *ft);
    if (!fv || !ft) {
        c->bad = 1;
        free(fv);
        free(ft);
        goto out;
    }
    for (size_t k = 0; k < fs->n; k++) {
        fv[k] = calloc(n, sizeof **fv);
        ft[k] = calloc(n, sizeof **ft);
        if (!fv[k] || !ft[k]) {
            c->bad = 1;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            fv[k][i] = fs->value[i * fs->cap + k];
            ft[k][i] = fs->text[i * fs->cap + k];
        }
        cols[k] = fs->is_text[k] ? (icol){fs->name[k], C_STR, "", fs->doc[k], NULL, NULL, ft[k]}
                                 : (icol){fs->name[k], C_F64, fs->unit[k], fs->doc[k], fv[k], NULL, NULL};
    }
    if (!c->bad && fs->n > 0)
        table(c, "/sweep/summary",
              "one row per point: the /summary figures of its trace (NaN or empty: absent or point not ok)", cols,
              fs->n, n);
    else if (!c->bad) { /* no point has a trace yet: a table of point numbers, so it still has a row each */
        icol only = {"point", C_I64, "1", "point number (no point has a trace: no figure yet)", NULL, idx, NULL};
        table(c, "/sweep/summary", "one row per point; no point has a trace yet, so no /summary figure", &only, 1, n);
    }
    for (size_t k = 0; k < fs->n; k++) {
        free(fv[k]);
        free(ft[k]);
    }
    free(fv);
    free(ft);
out:
    free(idx);
    free(status);
    free(label);
    free(trace);
    free(hash);
    free(error);
    free(col);
    free(val);
    free(cols);
}

int sweep_index_write(const sweep_t *s, diag_t *err)
{
    char out[PATH_MAX + 32], tmp[PATH_MAX + 64];
    snprintf(out, sizeof out, "%s/sweep.h5", s->outdir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", out, (long)getpid());
    figset fs;
    if (figs_collect(s, &fs)) {
        figs_free(&fs, s->npoints);
        return diag_fail(err, "out of memory");
    }
    H5E_auto2_t old_func;
    void *old_data;
    H5Eget_auto2(H5E_DEFAULT, &old_func, &old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    wctx c = {0};
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
    c.gcpl = H5Pcreate(H5P_GROUP_CREATE);
    c.dcpl = H5Pcreate(H5P_DATASET_CREATE);
    c.acpl = H5Pcreate(H5P_ATTRIBUTE_CREATE);
    c.lcpl = H5Pcreate(H5P_LINK_CREATE);
    if (H5Pset_obj_track_times(fcpl, 0) < 0 || H5Pset_link_creation_order(fcpl, CRT_ORDER) < 0 ||
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) < 0 ||
        H5Pset_obj_track_times(c.gcpl, 0) < 0 || H5Pset_link_creation_order(c.gcpl, CRT_ORDER) < 0 ||
        H5Pset_attr_creation_order(c.gcpl, H5P_CRT_ORDER_TRACKED) < 0 || H5Pset_obj_track_times(c.dcpl, 0) < 0 ||
        H5Pset_attr_creation_order(c.dcpl, H5P_CRT_ORDER_TRACKED) < 0 ||
        H5Pset_char_encoding(c.acpl, H5T_CSET_UTF8) < 0 || H5Pset_char_encoding(c.lcpl, H5T_CSET_UTF8) < 0)
        c.bad = 1;
    c.file = c.bad ? -1 : H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl);
    if (c.file < 0) {
        int e = errno;
        H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
        figs_free(&fs, s->npoints);
        H5Pclose(fcpl), H5Pclose(fapl), H5Pclose(c.gcpl), H5Pclose(c.dcpl), H5Pclose(c.acpl), H5Pclose(c.lcpl);
        return diag_fail(err, "cannot create '%s': %s", tmp, e ? strerror(e) : "HDF5 error");
    }
    char sha[65], created[32];
    sha256_hex(s->text, strlen(s->text), sha);
    time_t now = time(NULL);
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch && *epoch)
        now = (time_t)strtoll(epoch, NULL, 10);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    attr_str(&c, c.file, "kind", INDEX_KIND);
    attr_i64(&c, c.file, "schema_version", SWEEP_INDEX_SCHEMA_VERSION);
    attr_str(&c, c.file, "software_version", OASTWIN_VERSION);
    attr_str(&c, c.file, "name", s->name);
    attr_str(&c, c.file, "base", s->base);
    attr_str(&c, c.file, "sweep_sha256", sha);
    attr_str(&c, c.file, "created", created);

    size_t count[4] = {0};
    for (size_t i = 0; i < s->npoints; i++)
        count[s->points[i].status]++;
    hid_t g = group(&c, "/summary");
    if (g >= 0)
        H5Gclose(g);
    scalar_i64(&c, "/summary/points", (int64_t)s->npoints, "points in the sweep");
    scalar_i64(&c, "/summary/points_ok", (int64_t)count[SWEEP_OK], "points whose trace is complete");
    scalar_i64(&c, "/summary/points_failed", (int64_t)count[SWEEP_FAILED], "points whose run failed");
    scalar_i64(&c, "/summary/points_invalid", (int64_t)count[SWEEP_INVALID], "points whose scenario does not load");
    scalar_i64(&c, "/summary/points_pending", (int64_t)count[SWEEP_PENDING], "points not run yet");
    g = group(&c, "/sweep");
    if (g >= 0)
        H5Gclose(g);
    text_ds(&c, "/sweep/source", s->text, "the sweep file, verbatim");
    write_tables(&c, s, &fs);
    g = group(&c, "/points");
    if (g >= 0) {
        for (size_t i = 0; i < s->npoints; i++) {
            if (s->points[i].status != SWEEP_OK)
                continue;
            char name[32];
            snprintf(name, sizeof name, "%zu", i);
            if (H5Lcreate_external(s->points[i].trace, "/", g, name, c.lcpl, H5P_DEFAULT) < 0)
                c.bad = 1;
        }
        attr_str(&c, g, "doc", "external links: /points/N is the root of point N's trace (ok points only)");
        H5Gclose(g);
    }
    if (H5Fclose(c.file) < 0)
        c.bad = 1;
    H5Pclose(fcpl), H5Pclose(fapl), H5Pclose(c.gcpl), H5Pclose(c.dcpl), H5Pclose(c.acpl), H5Pclose(c.lcpl);
    H5Eset_auto2(H5E_DEFAULT, old_func, old_data);
    figs_free(&fs, s->npoints);
    if (c.bad) {
        unlink(tmp);
        return diag_fail(err, "cannot write the index '%s' (HDF5 error)", out);
    }
    if (rename(tmp, out)) {
        int e = errno;
        unlink(tmp);
        return diag_fail(err, "cannot write the index '%s': %s", out, strerror(e));
    }
    return 0;
}

/* ---- reading ---- */

static int read_attr_str(hid_t obj, const char *name, char *buf, size_t n)
{
    buf[0] = '\0';
    if (H5Aexists(obj, name) <= 0)
        return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = H5Aget_type(a);
    int rc = -1;
    if (H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft)) {
        size_t len = H5Tget_size(ft);
        char *tmp = calloc(len + 1, 1);
        hid_t mt = str_type(len);
        if (tmp && H5Aread(a, mt, tmp) >= 0) {
            snprintf(buf, n, "%s", tmp);
            rc = 0;
        }
        H5Tclose(mt);
        free(tmp);
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc;
}

/* The string array attribute NAME of OBJ: *N strings (each malloc'd) or NULL. */
static char **read_attr_strv(hid_t obj, const char *name, size_t *n)
{
    *n = 0;
    if (H5Aexists(obj, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = H5Aget_type(a), sp = H5Aget_space(a);
    hssize_t cnt = H5Sget_simple_extent_npoints(sp);
    char **out = NULL;
    if (H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) && cnt >= 0) {
        size_t len = H5Tget_size(ft);
        char *buf = calloc((size_t)cnt + 1, len);
        out = calloc((size_t)cnt + 1, sizeof *out);
        hid_t mt = str_type(len);
        if (buf && out && H5Aread(a, mt, buf) >= 0) {
            for (hssize_t i = 0; i < cnt; i++)
                out[i] = strndup(buf + (size_t)i * len, len);
            *n = (size_t)cnt;
        }
        H5Tclose(mt);
        free(buf);
    }
    H5Sclose(sp);
    H5Tclose(ft);
    H5Aclose(a);
    return out;
}

static void free_strv(char **v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Column NAME of table D as strings (numbers formatted) or doubles; 0 or -1. */
static int read_col(hid_t d, const char *name, size_t nrows, char **s, double *f)
{
    hid_t ft = H5Dget_type(d);
    int m = H5Tget_member_index(ft, name);
    if (m < 0) {
        H5Tclose(ft);
        return -1;
    }
    hid_t mft = H5Tget_member_type(ft, (unsigned)m);
    bool is_str = H5Tget_class(mft) == H5T_STRING;
    size_t len = is_str ? H5Tget_size(mft) : 8;
    hid_t elem = is_str ? str_type(len) : H5Tcopy(H5T_NATIVE_DOUBLE);
    hid_t mt = H5Tcreate(H5T_COMPOUND, len);
    H5Tinsert(mt, name, 0, elem);
    unsigned char *buf = calloc(nrows ? nrows : 1, len);
    int rc = -1;
    if (buf && (nrows == 0 || H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)) {
        rc = 0;
        for (size_t r = 0; r < nrows; r++) {
            double v = NAN;
            if (!is_str)
                memcpy(&v, buf + r * 8, 8);
            if (f)
                f[r] = v;
            if (s) {
                if (is_str) {
                    s[r] = strndup((char *)buf + r * len, len);
                } else {
                    char tmp[64] = "";
                    if (isfinite(v))
                        snprintf(tmp, sizeof tmp, "%.17g", v);
                    s[r] = strdup(tmp);
                }
                if (!s[r])
                    rc = -1;
            }
        }
    }
    free(buf);
    H5Tclose(mt);
    H5Tclose(elem);
    H5Tclose(mft);
    H5Tclose(ft);
    return rc;
}

bool sweep_index_is(const char *path)
{
    H5E_auto2_t of;
    void *od;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    bool is = false;
    if (H5Fis_hdf5(path) > 0) {
        hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
        if (f >= 0) {
            char kind[64];
            is = read_attr_str(f, "kind", kind, sizeof kind) == 0 && strcmp(kind, INDEX_KIND) == 0;
            H5Fclose(f);
        }
    }
    H5Eset_auto2(H5E_DEFAULT, of, od);
    return is;
}

void sweep_index_free(sweep_index *x)
{
    if (!x)
        return;
    free(x->name);
    free_strv(x->status, x->npoints);
    free_strv(x->label, x->npoints);
    free_strv(x->trace, x->npoints);
    free_strv(x->error, x->npoints);
    free_strv(x->params, x->nparams);
    free_strv(x->ptext, x->npoints * x->nparams);
    free(x->pvalue);
    free_strv(x->punit, x->nparams);
    free_strv(x->fig_name, x->nfigs);
    free_strv(x->fig_unit, x->nfigs);
    free_strv(x->fig_doc, x->nfigs);
    free(x->fig_is_text);
    free(x->fig_value);
    free_strv(x->fig_text, x->npoints * x->nfigs);
    free(x);
}

static hid_t open_table(hid_t f, const char *path, size_t *nrows)
{
    hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
    if (d < 0)
        return d;
    hid_t sp = H5Dget_space(d);
    hsize_t dims[1] = {0};
    if (H5Sget_simple_extent_ndims(sp) != 1 || H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
        H5Sclose(sp);
        H5Dclose(d);
        return -1;
    }
    H5Sclose(sp);
    *nrows = (size_t)dims[0];
    return d;
}

sweep_index *sweep_index_read(const char *path, diag_t *err)
{
    H5E_auto2_t of;
    void *od;
    H5Eget_auto2(H5E_DEFAULT, &of, &od);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    sweep_index *x = calloc(1, sizeof *x);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t dp = -1, dpar = -1, dval = -1, dsum = -1;
    const char *why = "out of memory";
    if (!x)
        goto fail;
    why = "not an HDF5 file or unreadable";
    if (f < 0)
        goto fail;
    char buf[512];
    why = "not a sweep index (root attribute kind is not " INDEX_KIND ")";
    if (read_attr_str(f, "kind", buf, sizeof buf) || strcmp(buf, INDEX_KIND) != 0)
        goto fail;
    read_attr_str(f, "name", buf, sizeof buf);
    x->name = strdup(buf);
    why = "missing or malformed /sweep tables";
    size_t n = 0, n2 = 0, n3 = 0, n4 = 0;
    dp = open_table(f, "/sweep/points", &n);
    dpar = open_table(f, "/sweep/parameters", &n2);
    dval = open_table(f, "/sweep/values", &n3);
    dsum = open_table(f, "/sweep/summary", &n4);
    if (dp < 0 || dpar < 0 || dval < 0 || dsum < 0 || n2 != n || n3 != n || n4 != n)
        goto fail;
    x->npoints = n;
    why = "out of memory";
    x->status = calloc(n + 1, sizeof(char *));
    x->label = calloc(n + 1, sizeof(char *));
    x->trace = calloc(n + 1, sizeof(char *));
    x->error = calloc(n + 1, sizeof(char *));
    if (!x->name || !x->status || !x->label || !x->trace || !x->error)
        goto fail;
    why = "malformed /sweep/points";
    if (read_col(dp, "status", n, x->status, NULL) || read_col(dp, "label", n, x->label, NULL) ||
        read_col(dp, "trace", n, x->trace, NULL) || read_col(dp, "error", n, x->error, NULL))
        goto fail;
    size_t nu = 0;
    x->params = read_attr_strv(dval, "columns", &x->nparams);
    x->punit = read_attr_strv(dval, "units", &nu);
    if (nu != x->nparams)
        goto fail;
    why = "out of memory";
    x->ptext = calloc(n * x->nparams + 1, sizeof(char *));
    x->pvalue = calloc(n * x->nparams + 1, sizeof(double));
    if (!x->ptext || !x->pvalue)
        goto fail;
    why = "malformed /sweep/parameters or /sweep/values";
    double *col = calloc(n + 1, sizeof *col);
    char **scol = calloc(n + 1, sizeof *scol);
    if (!col || !scol) {
        free(col);
        free(scol);
        goto fail;
    }
    int bad = 0;
    for (size_t k = 0; k < x->nparams && !bad; k++) {
        bad = read_col(dpar, x->params[k], n, scol, NULL) || read_col(dval, x->params[k], n, NULL, col);
        for (size_t i = 0; i < n; i++) {
            x->ptext[i * x->nparams + k] = scol[i];
            scol[i] = NULL;
            x->pvalue[i * x->nparams + k] = col[i];
        }
    }
    x->fig_name = read_attr_strv(dsum, "columns", &x->nfigs);
    x->fig_unit = read_attr_strv(dsum, "units", &nu);
    size_t nd = 0;
    x->fig_doc = read_attr_strv(dsum, "column_docs", &nd);
    if (nu != x->nfigs || nd != x->nfigs)
        bad = 1;
    x->fig_is_text = calloc(x->nfigs + 1, sizeof *x->fig_is_text);
    x->fig_value = calloc(n * x->nfigs + 1, sizeof *x->fig_value);
    x->fig_text = calloc(n * x->nfigs + 1, sizeof *x->fig_text);
    if (!x->fig_is_text || !x->fig_value || !x->fig_text)
        bad = 1;
    hid_t st = bad ? -1 : H5Dget_type(dsum);
    for (size_t k = 0; k < x->nfigs && !bad; k++) {
        int m = H5Tget_member_index(st, x->fig_name[k]);
        hid_t mt = m >= 0 ? H5Tget_member_type(st, (unsigned)m) : -1;
        x->fig_is_text[k] = mt >= 0 && H5Tget_class(mt) == H5T_STRING;
        if (mt >= 0)
            H5Tclose(mt);
        bad = read_col(dsum, x->fig_name[k], n, scol, col);
        for (size_t i = 0; i < n; i++) {
            x->fig_text[i * x->nfigs + k] = scol[i];
            scol[i] = NULL;
            x->fig_value[i * x->nfigs + k] = col[i];
        }
    }
    if (st >= 0)
        H5Tclose(st);
    free(col);
    free(scol);
    if (bad)
        goto fail;
    H5Dclose(dp);
    H5Dclose(dpar);
    H5Dclose(dval);
    H5Dclose(dsum);
    H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, of, od);
    return x;
fail:
    if (dp >= 0)
        H5Dclose(dp);
    if (dpar >= 0)
        H5Dclose(dpar);
    if (dval >= 0)
        H5Dclose(dval);
    if (dsum >= 0)
        H5Dclose(dsum);
    if (f >= 0)
        H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, of, od);
    sweep_index_free(x);
    diag_fail(err, "cannot read the sweep index '%s': %s", path, why);
    return NULL;
}
