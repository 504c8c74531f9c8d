/* The trace written to HDF5: the whole file is built in memory (core driver), then written to
 * OUT.tmp.<pid>, fsynced and renamed, so a file at OUT is always complete. The same sequence of
 * trace calls gives a byte-identical file (no timestamps, fixed-length strings). */
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

#include "trace_impl.h"

/* Groups remember and index the order in which their links were created. */
#define CRT_ORDER (H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED)

/* The temporary file being written, for trace_abort_pending() in a signal handler. */
static char pending_tmp[4096];
static volatile sig_atomic_t pending_armed;

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
    char *buf = trace_dup_str(path);
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
        packed += trace_col_width(&tab->cols[i]);
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
        off += trace_col_width(col);
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
