/* The trace reader: opens a trace file read-only and copies out figures, attributes, columns
 * and texts. Invariant: every exported call turns HDF5's error printing off and restores it,
 * closes every HDF5 object it opened, and on failure frees what it allocated. */
#include "h5read.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

struct h5r_file {
    hid_t fid;
    char *path;
};

/* One call: the saved error printer and why the first HDF5 call failed (captured at once,
 * since the next successful call clears HDF5's error stack). */
typedef struct rd_ctx {
    H5E_auto2_t old_func;
    void *old_data;
    char why[512];
} rd_ctx;

static void ctx_begin(rd_ctx *c)
{
    c->why[0] = '\0';
    H5Eget_auto2(H5E_DEFAULT, &c->old_func, &c->old_data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static int ctx_end(const rd_ctx *c, int rc)
{
    H5Eset_auto2(H5E_DEFAULT, c->old_func, c->old_data);
    return rc;
}

typedef struct h5_reason {
    int err_no;
    hid_t min_num;
    char innermost[256];
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

/* True when an HDF5 call returned a negative STATUS; remembers why the first time. */
static bool h5_bad(rd_ctx *c, int64_t status)
{
    if (status >= 0)
        return false;
    if (c->why[0])
        return true;
    h5_reason r = {0, H5I_INVALID_HID, ""};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, reason_walk, &r);
    if (r.err_no > 0)
        snprintf(c->why, sizeof c->why, "%s", strerror(r.err_no));
    else if (r.min_num == H5E_NOTHDF5)
        snprintf(c->why, sizeof c->why, "not an HDF5 file");
    else
        snprintf(c->why, sizeof c->why, "%s", r.innermost[0] ? r.innermost : "HDF5 library error");
    return true;
}

/* Records a reason that is not HDF5's; returns true so it can sit in a condition. */
static bool ctx_why(rd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool ctx_why(rd_ctx *c, const char *fmt, ...)
{
    if (!c->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why, sizeof c->why, fmt, ap);
        va_end(ap);
    }
    return true;
}

/* Fills ERR with "WHAT: WHY"; returns -1. */
static int ctx_fail(const rd_ctx *c, diag_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ctx_fail(const rd_ctx *c, diag_t *err, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return diag_fail(err, "%s: %s", what, c->why[0] ? c->why : "HDF5 library error");
}

/* Copies SRC into DST of LEN bytes, cut at a UTF-8 character boundary if too long. */
static void copy_cut(char *dst, size_t len, const char *src)
{
    if (!len)
        return;
    size_t n = src ? strlen(src) : 0;
    if (n >= len) {
        n = len - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- strings ---- */

/* Packs N strings into one block: N pointers, then the texts. */
static char **pack_strings(char *const *src, const size_t *lens, size_t n)
{
    size_t total = n * sizeof(char *) + 1;
    for (size_t i = 0; i < n; i++)
        total += lens[i] + 1;
    char **out = malloc(total);
    if (!out)
        return NULL;
    char *p = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        memcpy(p, src[i] ? src[i] : "", lens[i]);
        p[lens[i]] = '\0';
        out[i] = p;
        p += lens[i] + 1;
    }
    return out;
}

/* The string elements of attribute (IS_ATTR) or dataset OBJ, fixed- or variable-length. */
static int read_strings(rd_ctx *c, hid_t obj, bool is_attr, char ***out, size_t *n)
{
    int rc = -1;
    hid_t type = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    if (h5_bad(c, type))
        return -1;
    hid_t space = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
    if (h5_bad(c, space))
        goto close_type;
    hssize_t np = H5Sget_simple_extent_npoints(space);
    if (h5_bad(c, np))
        goto close_space;
    if (H5Tget_class(type) != H5T_STRING) {
        ctx_why(c, "not a string");
        goto close_space;
    }
    size_t count = (size_t)np;
    char **ptrs = calloc(count ? count : 1, sizeof *ptrs);
    size_t *lens = calloc(count ? count : 1, sizeof *lens);
    char *fixed = NULL;
    hid_t mtype = H5Tcopy(type);
    if (!ptrs || !lens || h5_bad(c, mtype)) {
        ctx_why(c, "out of memory");
        goto free_bufs;
    }
    htri_t vlen = H5Tis_variable_str(type);
    if (h5_bad(c, vlen))
        goto free_bufs;
    if (vlen) {
        herr_t st = is_attr ? H5Aread(obj, mtype, ptrs) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL,
                                                                 H5P_DEFAULT, ptrs);
        if (h5_bad(c, st))
            goto free_bufs;
        for (size_t i = 0; i < count; i++)
            lens[i] = ptrs[i] ? strlen(ptrs[i]) : 0;
        *out = pack_strings(ptrs, lens, count);
        H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, ptrs);
    } else {
        size_t width = H5Tget_size(type);
        bool spacepad = H5Tget_strpad(type) == H5T_STR_SPACEPAD;
        fixed = calloc(count ? count : 1, width ? width : 1);
        if (!fixed) {
            ctx_why(c, "out of memory");
            goto free_bufs;
        }
        herr_t st = is_attr ? H5Aread(obj, mtype, fixed) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL,
                                                                  H5P_DEFAULT, fixed);
        if (h5_bad(c, st))
            goto free_bufs;
        for (size_t i = 0; i < count; i++) {
            ptrs[i] = fixed + i * width;
            size_t l = 0;
            while (l < width && ptrs[i][l])
                l++;
            while (spacepad && l > 0 && ptrs[i][l - 1] == ' ')
                l--;
            lens[i] = l;
        }
        *out = pack_strings(ptrs, lens, count);
    }
    if (!*out) {
        ctx_why(c, "out of memory");
        goto free_bufs;
    }
    *n = count;
    rc = 0;
free_bufs:
    if (mtype >= 0)
        H5Tclose(mtype);
    free(fixed);
    free(lens);
    free(ptrs);
close_space:
    H5Sclose(space);
close_type:
    H5Tclose(type);
    return rc;
}

/* The first string of attribute NAME on OBJ into BUF; "" when there is no such attribute. */
static int attr_first_string(rd_ctx *c, hid_t obj, const char *name, char *buf, size_t len)
{
    buf[0] = '\0';
    htri_t exists = H5Aexists(obj, name);
    if (h5_bad(c, exists))
        return -1;
    if (!exists)
        return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (h5_bad(c, a))
        return -1;
    char **v = NULL;
    size_t n = 0;
    int rc = read_strings(c, a, true, &v, &n);
    H5Aclose(a);
    if (rc == 0 && n > 0)
        copy_cut(buf, len, v[0]);
    free(v);
    return rc;
}

/* ---- attributes ---- */

/* Reads attribute A (named NAME) into OUT: strings, integers or floats, arrays joined. */
static int attr_value(rd_ctx *c, hid_t a, const char *name, h5r_attr *out)
{
    memset(out, 0, sizeof *out);
    copy_cut(out->name, sizeof out->name, name);
    hid_t type = H5Aget_type(a);
    if (h5_bad(c, type))
        return -1;
    H5T_class_t cls = H5Tget_class(type);
    H5Tclose(type);
    if (cls == H5T_STRING) {
        char **v = NULL;
        size_t n = 0;
        if (read_strings(c, a, true, &v, &n) < 0)
            return -1;
        out->kind = H5R_TEXT;
        out->count = n;
        size_t used = 0;
        for (size_t i = 0; i < n && used + 1 < sizeof out->text; i++) {
            int w = snprintf(out->text + used, sizeof out->text - used, "%s%s", i ? ", " : "",
                             v[i]);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        free(v);
        return 0;
    }
    if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
        snprintf(out->text, sizeof out->text, "(unsupported type)");
        return 0;
    }
    hid_t space = H5Aget_space(a);
    if (h5_bad(c, space))
        return -1;
    hssize_t np = H5Sget_simple_extent_npoints(space);
    H5Sclose(space);
    if (h5_bad(c, np))
        return -1;
    size_t count = np > 0 ? (size_t)np : 1;
    bool is_int = cls == H5T_INTEGER;
    void *vals = calloc(count, is_int ? sizeof(int64_t) : sizeof(double));
    if (!vals) {
        ctx_why(c, "out of memory");
        return -1;
    }
    if (np > 0 && h5_bad(c, H5Aread(a, is_int ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE, vals))) {
        free(vals);
        return -1;
    }
    out->kind = is_int ? H5R_INT : H5R_FLOAT;
    out->count = np > 0 ? (size_t)np : 0;
    size_t used = 0;
    for (size_t i = 0; i < (size_t)np && used + 1 < sizeof out->text; i++) {
        int w;
        if (is_int)
            w = snprintf(out->text + used, sizeof out->text - used, "%s%" PRId64, i ? ", " : "",
                         ((int64_t *)vals)[i]);
        else
            w = snprintf(out->text + used, sizeof out->text - used, "%s%.17g", i ? ", " : "",
                         ((double *)vals)[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    if (np > 0) {
        out->i64 = is_int ? ((int64_t *)vals)[0] : 0;
        out->value = is_int ? (double)out->i64 : ((double *)vals)[0];
    }
    free(vals);
    return 0;
}

typedef struct attr_walk {
    rd_ctx *c;
    h5r_attr *list;
    size_t n, cap;
} attr_walk;

static herr_t attr_visit(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)info;
    attr_walk *w = data;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 16;
        h5r_attr *q = realloc(w->list, cap * sizeof *q);
        if (!q) {
            ctx_why(w->c, "out of memory");
            return -1;
        }
        w->list = q;
        w->cap = cap;
    }
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (h5_bad(w->c, a))
        return -1;
    int rc = attr_value(w->c, a, name, &w->list[w->n]);
    H5Aclose(a);
    if (rc < 0)
        return -1;
    w->n++;
    return 0;
}

static hid_t open_object(rd_ctx *c, const h5r_file *f, const char *obj_path)
{
    hid_t o = H5Oopen(f->fid, obj_path && obj_path[0] ? obj_path : "/", H5P_DEFAULT);
    h5_bad(c, o);
    return o;
}

int h5r_attrs(h5r_file *f, const char *obj_path, h5r_attr **out, size_t *n, diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    *out = NULL;
    *n = 0;
    hid_t o = open_object(&c, f, obj_path);
    if (o < 0)
        return ctx_end(&c, ctx_fail(&c, err, "cannot open '%s' in '%s'", obj_path, f->path));
    attr_walk w = {&c, NULL, 0, 0};
    hsize_t idx = 0;
    herr_t st = H5Aiterate2(o, H5_INDEX_CRT_ORDER, H5_ITER_INC, &idx, attr_visit, &w);
    if (st < 0 && !c.why[0] && w.n == 0) { /* no creation-order index: fall back to names */
        idx = 0;
        st = H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, &idx, attr_visit, &w);
    }
    h5_bad(&c, st);
    H5Oclose(o);
    if (st < 0) {
        free(w.list);
        return ctx_end(&c, ctx_fail(&c, err, "cannot read the attributes of '%s' in '%s'",
                                    obj_path, f->path));
    }
    *out = w.list;
    *n = w.n;
    return ctx_end(&c, 0);
}

/* Opens attribute NAME of OBJ_PATH; *OBJ must be closed by the caller. */
static hid_t open_attr(rd_ctx *c, const h5r_file *f, const char *obj_path, const char *name,
                       hid_t *obj)
{
    *obj = open_object(c, f, obj_path);
    if (*obj < 0)
        return H5I_INVALID_HID;
    htri_t exists = H5Aexists(*obj, name);
    if (h5_bad(c, exists) || (!exists && ctx_why(c, "no such attribute")))
        return H5I_INVALID_HID;
    hid_t a = H5Aopen(*obj, name, H5P_DEFAULT);
    h5_bad(c, a);
    return a;
}

int h5r_attr_str(h5r_file *f, const char *obj_path, const char *name, char *buf, size_t len,
                 diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    if (len)
        buf[0] = '\0';
    hid_t obj;
    hid_t a = open_attr(&c, f, obj_path, name, &obj);
    h5r_attr v;
    int rc = a >= 0 ? attr_value(&c, a, name, &v) : -1;
    if (a >= 0)
        H5Aclose(a);
    if (obj >= 0)
        H5Oclose(obj);
    if (rc < 0)
        return ctx_end(&c, ctx_fail(&c, err, "cannot read attribute '%s' of '%s' in '%s'", name,
                                    obj_path, f->path));
    copy_cut(buf, len, v.text);
    return ctx_end(&c, 0);
}

int h5r_attr_strv(h5r_file *f, const char *obj_path, const char *name, char ***out, size_t *n,
                  diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    *out = NULL;
    *n = 0;
    hid_t obj;
    hid_t a = open_attr(&c, f, obj_path, name, &obj);
    int rc = a >= 0 ? read_strings(&c, a, true, out, n) : -1;
    if (a >= 0)
        H5Aclose(a);
    if (obj >= 0)
        H5Oclose(obj);
    if (rc < 0)
        return ctx_end(&c, ctx_fail(&c, err, "cannot read attribute '%s' of '%s' in '%s'", name,
                                    obj_path, f->path));
    return ctx_end(&c, 0);
}

/* ---- files ---- */

h5r_file *h5r_open(const char *path, diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    h5r_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        diag_fail(err, "cannot open '%s': out of memory", path);
        ctx_end(&c, 0);
        return NULL;
    }
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
#if H5_VERSION_GE(1, 10, 7)
    if (fapl >= 0)
        H5Pset_file_locking(fapl, true, true); /* lock where the filesystem can */
#endif
    f->fid = H5Fopen(path, H5F_ACC_RDONLY, fapl >= 0 ? fapl : H5P_DEFAULT);
    h5_bad(&c, f->fid);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (f->fid < 0) {
        ctx_fail(&c, err, "cannot open '%s'", path);
        free(f->path);
        free(f);
        ctx_end(&c, 0);
        return NULL;
    }
    ctx_end(&c, 0);
    return f;
}

void h5r_close(h5r_file *f)
{
    if (!f)
        return;
    rd_ctx c;
    ctx_begin(&c);
    H5Fclose(f->fid);
    ctx_end(&c, 0);
    free(f->path);
    free(f);
}

const char *h5r_path(const h5r_file *f)
{
    return f ? f->path : "";
}

/* ---- summary ---- */

static int read_figure(rd_ctx *c, hid_t ds, h5r_figure *fig)
{
    hid_t type = H5Dget_type(ds);
    if (h5_bad(c, type))
        return -1;
    H5T_class_t cls = H5Tget_class(type);
    H5Tclose(type);
    if (cls == H5T_STRING) {
        char **v = NULL;
        size_t n = 0;
        if (read_strings(c, ds, false, &v, &n) < 0)
            return -1;
        fig->is_text = 1;
        copy_cut(fig->text, sizeof fig->text, n ? v[0] : "");
        free(v);
    } else if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
        hid_t space = H5Dget_space(ds);
        if (h5_bad(c, space))
            return -1;
        hssize_t np = H5Sget_simple_extent_npoints(space);
        H5Sclose(space);
        if (h5_bad(c, np) || (np != 1 && ctx_why(c, "not a scalar")))
            return -1;
        if (h5_bad(c, H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &fig->value)))
            return -1;
    } else {
        ctx_why(c, "neither a number nor a string");
        return -1;
    }
    if (attr_first_string(c, ds, "units", fig->unit, sizeof fig->unit) < 0 ||
        attr_first_string(c, ds, "doc", fig->doc, sizeof fig->doc) < 0)
        return -1;
    return 0;
}

/* Reads link I of group G (in ORDER) into *FIG if it is a dataset; 1 when it is not. */
static int summary_entry(rd_ctx *c, hid_t g, H5_index_t order, hsize_t i, h5r_figure *fig)
{
    memset(fig, 0, sizeof *fig);
    char name[256];
    ssize_t len = H5Lget_name_by_idx(g, ".", order, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
    if (h5_bad(c, len))
        return -1;
    copy_cut(fig->name, sizeof fig->name, name);
    hid_t o = H5Oopen(g, name, H5P_DEFAULT);
    if (h5_bad(c, o))
        return -1;
    int rc = 1;
    if (H5Iget_type(o) == H5I_DATASET)
        rc = read_figure(c, o, fig);
    H5Oclose(o);
    if (rc < 0) {
        char why[sizeof c->why];
        snprintf(why, sizeof why, "%s", c->why);
        snprintf(c->why, sizeof c->why, "figure '%.200s': %.290s", name, why);
    }
    return rc;
}

int h5r_summary(h5r_file *f, h5r_figure **out, size_t *n, diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    *out = NULL;
    *n = 0;
    int rc = -1;
    h5r_figure *list = NULL;
    size_t count = 0;
    htri_t exists = H5Lexists(f->fid, "/summary", H5P_DEFAULT);
    if (h5_bad(&c, exists) || (!exists && ctx_why(&c, "no /summary group (not a trace file?)")))
        goto fail;
    hid_t g = H5Gopen2(f->fid, "/summary", H5P_DEFAULT);
    if (h5_bad(&c, g))
        goto fail;
    H5G_info_t info;
    if (h5_bad(&c, H5Gget_info(g, &info)))
        goto close_group;
    /* Creation order when the group tracks it (ours do), else name order. */
    H5_index_t order = info.nlinks > 0 &&
                               H5Lget_name_by_idx(g, ".", H5_INDEX_CRT_ORDER, H5_ITER_INC, 0,
                                                  NULL, 0, H5P_DEFAULT) < 0
                           ? H5_INDEX_NAME
                           : H5_INDEX_CRT_ORDER;
    list = calloc(info.nlinks ? (size_t)info.nlinks : 1, sizeof *list);
    if (!list && ctx_why(&c, "out of memory"))
        goto close_group;
    for (hsize_t i = 0; i < info.nlinks; i++) {
        int st = summary_entry(&c, g, order, i, &list[count]);
        if (st < 0)
            goto close_group;
        if (st == 0)
            count++;
    }
    rc = 0;
close_group:
    H5Gclose(g);
fail:
    if (rc < 0) {
        free(list);
        return ctx_end(&c, ctx_fail(&c, err, "cannot read the summary of '%s'", f->path));
    }
    *out = list;
    *n = count;
    return ctx_end(&c, 0);
}

/* ---- tables, matrices, texts ---- */

static hid_t open_dataset(rd_ctx *c, const h5r_file *f, const char *path)
{
    hid_t ds = H5Dopen2(f->fid, path, H5P_DEFAULT);
    h5_bad(c, ds);
    return ds;
}

/* Dimensions of dataset DS: rank into *RANK and up to two extents. */
static int dataset_dims(rd_ctx *c, hid_t ds, int *rank, hsize_t dims[2])
{
    hid_t space = H5Dget_space(ds);
    if (h5_bad(c, space))
        return -1;
    int r = H5Sget_simple_extent_ndims(space);
    int rc = -1;
    if (h5_bad(c, r) || (r > 2 && ctx_why(c, "more than two dimensions")))
        goto close_space;
    hsize_t d[2] = {1, 1};
    if (r > 0 && h5_bad(c, H5Sget_simple_extent_dims(space, d, NULL)))
        goto close_space;
    *rank = r;
    dims[0] = d[0];
    dims[1] = r == 2 ? d[1] : 1;
    rc = 0;
close_space:
    H5Sclose(space);
    return rc;
}

int h5r_table_rows(h5r_file *f, const char *path, size_t *n, diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    *n = 0;
    hid_t ds = open_dataset(&c, f, path);
    int rank = 0;
    hsize_t dims[2];
    int rc = ds >= 0 ? dataset_dims(&c, ds, &rank, dims) : -1;
    if (ds >= 0)
        H5Dclose(ds);
    if (rc < 0)
        return ctx_end(&c, ctx_fail(&c, err, "cannot read '%s' in '%s'", path, f->path));
    *n = rank == 0 ? 1 : (size_t)dims[0];
    return ctx_end(&c, 0);
}

int h5r_table_columns(h5r_file *f, const char *path, char ***out, size_t *n, diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    *out = NULL;
    *n = 0;
    int rc = -1;
    char **names = NULL;
    size_t *lens = NULL;
    int nm = 0;
    hid_t type = H5I_INVALID_HID;
    hid_t ds = open_dataset(&c, f, path);
    if (ds < 0)
        goto fail;
    type = H5Dget_type(ds);
    if (h5_bad(&c, type) || (H5Tget_class(type) != H5T_COMPOUND && ctx_why(&c, "not a table")))
        goto close_dataset;
    nm = H5Tget_nmembers(type);
    if (h5_bad(&c, nm) || nm < 0)
        goto close_dataset;
    names = calloc((size_t)nm + 1, sizeof *names);
    lens = calloc((size_t)nm + 1, sizeof *lens);
    if (!names || !lens) {
        ctx_why(&c, "out of memory");
        goto free_names;
    }
    for (int i = 0; i < nm; i++) {
        names[i] = H5Tget_member_name(type, (unsigned)i);
        if (!names[i] && ctx_why(&c, "unreadable member name"))
            goto free_names;
        lens[i] = strlen(names[i]);
    }
    *out = pack_strings(names, lens, (size_t)nm);
    if (!*out) {
        ctx_why(&c, "out of memory");
        goto free_names;
    }
    *n = (size_t)nm;
    rc = 0;
free_names:
    for (int i = 0; names && i < nm; i++)
        H5free_memory(names[i]);
    free(names);
    free(lens);
close_dataset:
    if (type >= 0)
        H5Tclose(type);
    H5Dclose(ds);
fail:
    if (rc < 0)
        return ctx_end(&c, ctx_fail(&c, err, "cannot read the columns of '%s' in '%s'", path,
                                    f->path));
    return ctx_end(&c, 0);
}

int h5r_table_f64(h5r_file *f, const char *path, const char *column, double **out, size_t *n,
                  diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    *out = NULL;
    *n = 0;
    int rc = -1;
    hid_t type = H5I_INVALID_HID, mtype = H5I_INVALID_HID;
    double *vals = NULL;
    hid_t ds = open_dataset(&c, f, path);
    if (ds < 0)
        goto fail;
    type = H5Dget_type(ds);
    if (h5_bad(&c, type) || (H5Tget_class(type) != H5T_COMPOUND && ctx_why(&c, "not a table")))
        goto close_types;
    int idx = H5Tget_member_index(type, column);
    if (idx < 0 && ctx_why(&c, "no column '%s'", column))
        goto close_types;
    H5T_class_t cls = H5Tget_member_class(type, (unsigned)idx);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT && ctx_why(&c, "column '%s' is not numeric", column))
        goto close_types;
    int rank = 0;
    hsize_t dims[2];
    if (dataset_dims(&c, ds, &rank, dims) < 0 ||
        (rank != 1 && ctx_why(&c, "not a one-dimensional table")))
        goto close_types;
    mtype = H5Tcreate(H5T_COMPOUND, sizeof(double));
    if (h5_bad(&c, mtype) || h5_bad(&c, H5Tinsert(mtype, column, 0, H5T_NATIVE_DOUBLE)))
        goto close_types;
    if (dims[0] > 0) {
        vals = malloc((size_t)dims[0] * sizeof *vals);
        if (!vals && ctx_why(&c, "out of memory"))
            goto close_types;
        if (h5_bad(&c, H5Dread(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals))) {
            free(vals);
            goto close_types;
        }
    }
    *out = vals;
    *n = (size_t)dims[0];
    rc = 0;
close_types:
    if (mtype >= 0)
        H5Tclose(mtype);
    if (type >= 0)
        H5Tclose(type);
    H5Dclose(ds);
fail:
    if (rc < 0)
        return ctx_end(&c, ctx_fail(&c, err, "cannot read column '%s' of '%s' in '%s'", column,
                                    path, f->path));
    return ctx_end(&c, 0);
}

int h5r_matrix(h5r_file *f, const char *path, double **out, size_t *rows, size_t *cols,
               diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    *out = NULL;
    *rows = *cols = 0;
    int rc = -1;
    hid_t ds = open_dataset(&c, f, path);
    if (ds < 0)
        goto fail;
    hid_t type = H5Dget_type(ds);
    if (h5_bad(&c, type))
        goto close_dataset;
    H5T_class_t cls = H5Tget_class(type);
    H5Tclose(type);
    if (cls != H5T_INTEGER && cls != H5T_FLOAT && ctx_why(&c, "not numeric"))
        goto close_dataset;
    int rank = 0;
    hsize_t dims[2];
    if (dataset_dims(&c, ds, &rank, dims) < 0)
        goto close_dataset;
    size_t count = (size_t)dims[0] * (size_t)dims[1];
    double *vals = NULL;
    if (count > 0) {
        vals = malloc(count * sizeof *vals);
        if (!vals && ctx_why(&c, "out of memory"))
            goto close_dataset;
        if (h5_bad(&c, H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, vals))) {
            free(vals);
            goto close_dataset;
        }
    }
    *out = vals;
    *rows = (size_t)dims[0];
    *cols = (size_t)dims[1];
    rc = 0;
close_dataset:
    H5Dclose(ds);
fail:
    if (rc < 0)
        return ctx_end(&c, ctx_fail(&c, err, "cannot read '%s' in '%s'", path, f->path));
    return ctx_end(&c, 0);
}

int h5r_text(h5r_file *f, const char *path, char **out, diag_t *err)
{
    rd_ctx c;
    ctx_begin(&c);
    *out = NULL;
    char **v = NULL;
    size_t n = 0;
    hid_t ds = open_dataset(&c, f, path);
    int rc = ds >= 0 ? read_strings(&c, ds, false, &v, &n) : -1;
    if (ds >= 0)
        H5Dclose(ds);
    if (rc == 0 && n != 1 && ctx_why(&c, "not a single string"))
        rc = -1;
    if (rc == 0 && !(*out = strdup(v[0])) && ctx_why(&c, "out of memory"))
        rc = -1;
    free(v);
    if (rc < 0)
        return ctx_end(&c, ctx_fail(&c, err, "cannot read text '%s' in '%s'", path, f->path));
    return ctx_end(&c, 0);
}
