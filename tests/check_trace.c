/* Check suite "trace": sim/trace writes tables, matrices, summary figures, texts and root
 * attributes to HDF5 and sim/h5read reads them back unchanged; two writes of the same calls are
 * byte-identical; failed writes leave neither the output nor a temporary file behind. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5read.h"
#include "trace.h"

/* ---- fixture: one temporary directory per test ---- */

static char tmpdir[256];

static void make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/check_trace.XXXXXX", base && base[0] ? base : "/tmp");
    ck_assert_msg(mkdtemp(tmpdir) != NULL, "mkdtemp failed: %s", strerror(errno));
}

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        if (unlink(p) < 0)
            rmdir(p);
    }
    closedir(d);
    rmdir(tmpdir);
}

static const char *in_tmp(const char *name)
{
    static char buf[4][512];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", tmpdir, name);
    return p;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of entries in the temporary directory whose name contains NEEDLE. */
static int count_entries(const char *needle)
{
    DIR *d = opendir(tmpdir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strstr(e->d_name, needle))
            n++;
    closedir(d);
    return n;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open '%s': %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* ---- a sample trace ---- */

typedef struct iter_row {
    double t_s;
    int32_t rank; /* padding follows on purpose: file rows are packed */
    int64_t step;
    char phase[8];
    double bytes;
} iter_row;

static const trace_col iter_cols[] = {
    {"t_s", TCOL_F64, offsetof(iter_row, t_s), 0, "s", "end of the iteration"},
    {"rank", TCOL_I32, offsetof(iter_row, rank), 0, "1", "data-parallel rank"},
    {"step", TCOL_I64, offsetof(iter_row, step), 0, "1", "iteration number"},
    {"phase", TCOL_STR, offsetof(iter_row, phase), 8, "", "slowest phase"},
    {"bytes", TCOL_F64, offsetof(iter_row, bytes), 0, "B", "bytes all-reduced"},
};
enum { ITER_ROWS = 5, POWER_ROWS = 3000, TEMP_ROWS = 10, TEMP_COLS = 4 };

typedef struct power_row {
    double t_s;
    double power_W;
} power_row;

static const trace_col power_cols[] = {
    {"t_s", TCOL_F64, offsetof(power_row, t_s), 0, "s", "sample time"},
    {"power_W", TCOL_F64, offsetof(power_row, power_W), 0, "W", "cluster power"},
};

static const char *const phases[ITER_ROWS] = {"compute", "comm", "io", "", "comm"};
static const char yaml_text[] = "name: demo\n# 85 °C limit\ncluster:\n  accelerators: 8\n";

static void build_sample(trace_t *t)
{
    trace_attr_str(t, "schema_version", "1.0");
    trace_attr_str(t, "software_version", "0.1.0-test");
    trace_attr_i64(t, "seed", 42);
    trace_attr_str(t, "scenario_sha256", "e3b0c44298fc1c149afbf4c8996fb924");
    trace_attr_str(t, "created", "2024-01-01T00:00:00Z");

    trace_table_t *it = trace_table_create(t, "/training/iterations", "one row per iteration",
                                           iter_cols, 5, sizeof(iter_row));
    ck_assert_ptr_nonnull(it);
    for (int i = 0; i < ITER_ROWS; i++) {
        iter_row r;
        memset(&r, 0xAB, sizeof r); /* garbage in padding must not reach the file */
        r.t_s = 0.5 * (i + 1);
        r.rank = i % 2;
        r.step = 1000000000000LL + i;
        memset(r.phase, 0, sizeof r.phase);
        memcpy(r.phase, phases[i], strlen(phases[i]));
        r.bytes = 1e9 * (i + 1);
        ck_assert_int_eq(trace_table_append(it, &r), 0);
    }
    ck_assert_ptr_nonnull(trace_table_create(t, "/training/failures", "failures (none here)",
                                             power_cols, 2, sizeof(power_row)));
    trace_table_t *pw = trace_table_create(t, "/timeseries/power", "power samples", power_cols,
                                           2, sizeof(power_row));
    ck_assert_ptr_nonnull(pw);
    for (int i = 0; i < POWER_ROWS; i++) {
        power_row r = {i * 0.001, 1000.0 + sin(i * 0.01) * 50.0};
        ck_assert_int_eq(trace_table_append(pw, &r), 0);
    }
    trace_table_t *m =
        trace_matrix_create(t, "/timeseries/temperature", "per-accelerator temperature",
                            TEMP_COLS, "degC");
    ck_assert_ptr_nonnull(m);
    static const char *const names[TEMP_COLS] = {"acc0", "acc1", "acc2", "acc3"};
    ck_assert_int_eq(trace_matrix_set_columns(m, names), 0);
    for (int i = 0; i < TEMP_ROWS; i++) {
        double row[TEMP_COLS];
        for (int j = 0; j < TEMP_COLS; j++)
            row[j] = 30.0 + i + 0.25 * j;
        ck_assert_int_eq(trace_matrix_append(m, row), 0);
    }
    trace_summary_f64(t, "iteration_time_mean", 0.5, "s", "mean iteration time");
    trace_summary_i64(t, "accelerators", 8, "1", "accelerators simulated");
    trace_summary_str(t, "bottleneck", "network", "what limited the run");
    trace_summary_f64(t, "energy", 1.25e6, "J", "energy");
    trace_summary_f64(t, "iteration_time_mean", 0.75, "s", "mean iteration time"); /* overwrite */
    trace_text(t, "/scenario/source", yaml_text, "the scenario as given");
}

static void write_sample(const char *path)
{
    trace_t *t = trace_new();
    ck_assert_ptr_nonnull(t);
    build_sample(t);
    diag_t err = {""};
    int rc = trace_write(t, path, &err);
    ck_assert_msg(rc == 0, "trace_write('%s') failed: %s", path, err.msg);
    trace_free(t);
}

static h5r_file *open_ok(const char *path)
{
    diag_t err = {""};
    h5r_file *f = h5r_open(path, &err);
    ck_assert_msg(f != NULL, "h5r_open('%s') failed: %s", path, err.msg);
    return f;
}

/* ---- round trips ---- */

START_TEST(test_table_values_round_trip)
{
    const char *out = in_tmp("t.h5");
    write_sample(out);
    h5r_file *f = open_ok(out);
    diag_t err = {""};
    size_t n = 0;
    double *v = NULL;

    ck_assert_int_eq(h5r_table_rows(f, "/training/iterations", &n, &err), 0);
    ck_assert_uint_eq(n, ITER_ROWS);
    static const char *const numeric[] = {"t_s", "rank", "step", "bytes"};
    for (size_t c = 0; c < 4; c++) {
        ck_assert_msg(h5r_table_f64(f, "/training/iterations", numeric[c], &v, &n, &err) == 0,
                      "reading column %s: %s", numeric[c], err.msg);
        ck_assert_uint_eq(n, ITER_ROWS);
        for (int i = 0; i < ITER_ROWS; i++) {
            double want = c == 0 ? 0.5 * (i + 1)
                          : c == 1 ? i % 2
                          : c == 2 ? 1000000000000.0 + i
                                   : 1e9 * (i + 1);
            ck_assert_double_eq_tol(v[i], want, 1e-9);
        }
        free(v);
    }
    ck_assert_int_eq(h5r_table_rows(f, "/timeseries/power", &n, &err), 0);
    ck_assert_uint_eq(n, POWER_ROWS);
    ck_assert_int_eq(h5r_table_f64(f, "/timeseries/power", "power_W", &v, &n, &err), 0);
    for (int i = 0; i < POWER_ROWS; i += 97)
        ck_assert_double_eq_tol(v[i], 1000.0 + sin(i * 0.01) * 50.0, 1e-12);
    free(v);

    ck_assert_int_eq(h5r_table_f64(f, "/training/iterations", "phase", &v, &n, &err), -1);
    ck_assert_msg(strstr(err.msg, "not numeric") != NULL, "message: %s", err.msg);
    ck_assert_int_eq(h5r_table_f64(f, "/training/iterations", "nope", &v, &n, &err), -1);
    ck_assert_msg(strstr(err.msg, "no column 'nope'") != NULL, "message: %s", err.msg);
    h5r_close(f);
}
END_TEST

START_TEST(test_table_strings_and_packed_layout)
{
    const char *out = in_tmp("t.h5");
    write_sample(out);
    hid_t file = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    ck_assert_int_ge(file, 0);
    hid_t ds = H5Dopen2(file, "/training/iterations", H5P_DEFAULT);
    ck_assert_int_ge(ds, 0);
    hid_t ft = H5Dget_type(ds);
    /* Packed: 8 + 4 + 8 + 8 + 8 bytes, no padding. */
    ck_assert_uint_eq(H5Tget_size(ft), 36);
    ck_assert_uint_eq(H5Tget_member_offset(ft, 2), 12);
    hid_t st = H5Tget_member_type(ft, 3);
    ck_assert_int_eq(H5Tget_class(st), H5T_STRING);
    ck_assert_uint_eq(H5Tget_size(st), 8);
    ck_assert_int_eq(H5Tget_strpad(st), H5T_STR_NULLPAD);
    ck_assert_int_eq(H5Tget_cset(st), H5T_CSET_UTF8);
    hid_t tt = H5Tget_member_type(ft, 0);
    ck_assert_msg(H5Tequal(tt, H5T_IEEE_F64LE) > 0, "t_s is not F64LE");
    H5Tclose(tt);
    tt = H5Tget_member_type(ft, 1);
    ck_assert_msg(H5Tequal(tt, H5T_STD_I32LE) > 0, "rank is not I32LE");
    H5Tclose(tt);

    hid_t mt = H5Tcreate(H5T_COMPOUND, 8);
    H5Tinsert(mt, "phase", 0, st);
    char phase[ITER_ROWS][8];
    ck_assert_int_ge(H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, phase), 0);
    for (int i = 0; i < ITER_ROWS; i++) {
        char s[9] = {0};
        memcpy(s, phase[i], 8);
        ck_assert_str_eq(s, phases[i]);
    }
    H5Tclose(mt);
    H5Tclose(st);
    H5Tclose(ft);
    H5Dclose(ds);
    H5Fclose(file);
}
END_TEST

START_TEST(test_table_attributes_follow_column_order)
{
    const char *out = in_tmp("t.h5");
    write_sample(out);
    h5r_file *f = open_ok(out);
    diag_t err = {""};
    char **cols = NULL, **units = NULL, **names = NULL, **docs = NULL;
    size_t n = 0, nu = 0, nn = 0, nd = 0;
    ck_assert_int_eq(h5r_table_columns(f, "/training/iterations", &cols, &n, &err), 0);
    ck_assert_int_eq(h5r_attr_strv(f, "/training/iterations", "units", &units, &nu, &err), 0);
    ck_assert_int_eq(h5r_attr_strv(f, "/training/iterations", "columns", &names, &nn, &err), 0);
    ck_assert_int_eq(h5r_attr_strv(f, "/training/iterations", "column_docs", &docs, &nd, &err), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_uint_eq(nu, 5);
    ck_assert_uint_eq(nn, 5);
    ck_assert_uint_eq(nd, 5);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_str_eq(cols[i], iter_cols[i].name);
        ck_assert_str_eq(names[i], iter_cols[i].name);
        ck_assert_str_eq(units[i], iter_cols[i].unit);
        ck_assert_str_eq(docs[i], iter_cols[i].doc);
    }
    free(cols);
    free(units);
    free(names);
    free(docs);
    char doc[128];
    ck_assert_int_eq(h5r_attr_str(f, "/training/iterations", "doc", doc, sizeof doc, &err), 0);
    ck_assert_str_eq(doc, "one row per iteration");
    ck_assert_int_eq(h5r_attr_str(f, "/training/iterations", "units", doc, sizeof doc, &err), 0);
    ck_assert_str_eq(doc, "s, 1, 1, , B");
    h5r_close(f);
}
END_TEST

START_TEST(test_empty_table_is_a_zero_row_dataset)
{
    const char *out = in_tmp("t.h5");
    write_sample(out);
    h5r_file *f = open_ok(out);
    diag_t err = {""};
    size_t n = 99;
    double *v = (double *)&n;
    ck_assert_int_eq(h5r_table_rows(f, "/training/failures", &n, &err), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(h5r_table_f64(f, "/training/failures", "power_W", &v, &n, &err), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(v);
    char units[64];
    ck_assert_int_eq(h5r_attr_str(f, "/training/failures", "units", units, sizeof units, &err), 0);
    ck_assert_str_eq(units, "s, W");
    h5r_close(f);

    /* Extendible: maximum dimension unlimited. */
    hid_t file = H5Fopen(out, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, "/training/failures", H5P_DEFAULT);
    hid_t sp = H5Dget_space(ds);
    hsize_t dims[1], maxdims[1];
    ck_assert_int_eq(H5Sget_simple_extent_dims(sp, dims, maxdims), 1);
    ck_assert_uint_eq(dims[0], 0);
    ck_assert_msg(maxdims[0] == H5S_UNLIMITED, "empty table is not extendible");
    H5Sclose(sp);
    H5Dclose(ds);
    H5Fclose(file);
}
END_TEST

START_TEST(test_matrix_round_trip)
{
    const char *out = in_tmp("t.h5");
    write_sample(out);
    h5r_file *f = open_ok(out);
    diag_t err = {""};
    double *v = NULL;
    size_t rows = 0, cols = 0;
    ck_assert_msg(h5r_matrix(f, "/timeseries/temperature", &v, &rows, &cols, &err) == 0, "%s",
                  err.msg);
    ck_assert_uint_eq(rows, TEMP_ROWS);
    ck_assert_uint_eq(cols, TEMP_COLS);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            ck_assert_double_eq_tol(v[i * cols + j], 30.0 + (double)i + 0.25 * (double)j, 1e-12);
    free(v);
    char buf[128];
    ck_assert_int_eq(h5r_attr_str(f, "/timeseries/temperature", "units", buf, sizeof buf, &err), 0);
    ck_assert_str_eq(buf, "degC");
    ck_assert_int_eq(h5r_attr_str(f, "/timeseries/temperature", "columns", buf, sizeof buf, &err),
                     0);
    ck_assert_str_eq(buf, "acc0, acc1, acc2, acc3");
    ck_assert_int_eq(h5r_attr_str(f, "/timeseries/temperature", "doc", buf, sizeof buf, &err), 0);
    ck_assert_str_eq(buf, "per-accelerator temperature");
    h5r_close(f);
}
END_TEST

START_TEST(test_empty_matrix_keeps_its_width)
{
    trace_t *t = trace_new();
    ck_assert_ptr_nonnull(trace_matrix_create(t, "/m/empty", "nothing sampled", 3, "W"));
    const char *out = in_tmp("t.h5");
    diag_t err = {""};
    ck_assert_msg(trace_write(t, out, &err) == 0, "%s", err.msg);
    trace_free(t);
    h5r_file *f = open_ok(out);
    double *v = (double *)&err;
    size_t rows = 9, cols = 9;
    ck_assert_msg(h5r_matrix(f, "/m/empty", &v, &rows, &cols, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(rows, 0);
    ck_assert_uint_eq(cols, 3);
    ck_assert_ptr_null(v);
    h5r_figure *fig = NULL;
    size_t n = 9;
    ck_assert_msg(h5r_summary(f, &fig, &n, &err) == 0, "an empty /summary: %s", err.msg);
    ck_assert_uint_eq(n, 0);
    free(fig);
    h5r_close(f);
}
END_TEST

START_TEST(test_summary_in_insertion_order_with_units)
{
    const char *out = in_tmp("t.h5");
    write_sample(out);
    h5r_file *f = open_ok(out);
    diag_t err = {""};
    h5r_figure *fig = NULL;
    size_t n = 0;
    ck_assert_msg(h5r_summary(f, &fig, &n, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq(fig[0].name, "iteration_time_mean"); /* overwritten in place */
    ck_assert_double_eq_tol(fig[0].value, 0.75, 1e-15);
    ck_assert_str_eq(fig[0].unit, "s");
    ck_assert_str_eq(fig[0].doc, "mean iteration time");
    ck_assert_str_eq(fig[1].name, "accelerators");
    ck_assert_double_eq(fig[1].value, 8.0);
    ck_assert_str_eq(fig[1].unit, "1");
    ck_assert_str_eq(fig[2].name, "bottleneck");
    ck_assert_int_eq(fig[2].is_text, 1);
    ck_assert_str_eq(fig[2].text, "network");
    ck_assert_str_eq(fig[2].unit, "");
    ck_assert_str_eq(fig[3].name, "energy");
    ck_assert_double_eq_tol(fig[3].value, 1.25e6, 1e-9);
    ck_assert_str_eq(fig[3].unit, "J");
    free(fig);
    h5r_close(f);
}
END_TEST

START_TEST(test_texts_round_trip_any_length)
{
    trace_t *t = trace_new();
    build_sample(t);
    size_t big = 200000;
    char *long_text = malloc(big + 1);
    ck_assert_ptr_nonnull(long_text);
    for (size_t i = 0; i < big; i++)
        long_text[i] = (char)('a' + i % 26);
    long_text[big] = '\0';
    trace_text(t, "/scenario/long", long_text, "a long text");
    trace_text(t, "/scenario/empty", "", "an empty text");
    const char *out = in_tmp("t.h5");
    diag_t err = {""};
    ck_assert_msg(trace_write(t, out, &err) == 0, "%s", err.msg);
    trace_free(t);

    h5r_file *f = open_ok(out);
    char *s = NULL;
    ck_assert_int_eq(h5r_text(f, "/scenario/source", &s, &err), 0);
    ck_assert_str_eq(s, yaml_text);
    free(s);
    ck_assert_int_eq(h5r_text(f, "/scenario/long", &s, &err), 0);
    ck_assert_uint_eq(strlen(s), big);
    ck_assert_msg(strcmp(s, long_text) == 0, "long text differs");
    free(s);
    ck_assert_int_eq(h5r_text(f, "/scenario/empty", &s, &err), 0);
    ck_assert_str_eq(s, "");
    free(s);
    char units[8] = "x";
    ck_assert_int_eq(h5r_attr_str(f, "/scenario/source", "units", units, sizeof units, &err), 0);
    ck_assert_str_eq(units, "");
    h5r_close(f);
    free(long_text);
}
END_TEST

START_TEST(test_root_attributes_in_order)
{
    const char *out = in_tmp("t.h5");
    write_sample(out);
    h5r_file *f = open_ok(out);
    diag_t err = {""};
    h5r_attr *a = NULL;
    size_t n = 0;
    ck_assert_msg(h5r_attrs(f, "/", &a, &n, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(n, 5);
    static const char *const names[] = {"schema_version", "software_version", "seed",
                                        "scenario_sha256", "created"};
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(a[i].name, names[i]);
    ck_assert_int_eq(a[2].kind, H5R_INT);
    ck_assert_int_eq(a[2].i64, 42);
    ck_assert_int_eq(a[0].kind, H5R_TEXT);
    ck_assert_str_eq(a[0].text, "1.0");
    free(a);
    char buf[64];
    ck_assert_int_eq(h5r_attr_str(f, "/", "seed", buf, sizeof buf, &err), 0);
    ck_assert_str_eq(buf, "42");
    ck_assert_int_eq(h5r_attr_str(f, "/", "missing", buf, sizeof buf, &err), -1);
    ck_assert_msg(strstr(err.msg, "no such attribute") != NULL, "message: %s", err.msg);
    h5r_close(f);
}
END_TEST

/* ---- determinism and files left behind ---- */

START_TEST(test_same_calls_give_identical_files)
{
    const char *a = in_tmp("a.h5"), *b = in_tmp("b.h5"), *c = in_tmp("c.h5");
    write_sample(a);
    write_sample(b);
    /* A third copy from another process, whose heap holds different garbage. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        void *junk = malloc(1 << 20);
        memset(junk, 0x5A, 1 << 20);
        free(junk);
        trace_t *t = trace_new();
        build_sample(t);
        diag_t err = {""};
        _exit(trace_write(t, c, &err) == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child write failed");

    size_t la, lb, lc;
    unsigned char *da = slurp(a, &la), *db = slurp(b, &lb), *dc = slurp(c, &lc);
    ck_assert_uint_eq(la, lb);
    ck_assert_uint_eq(la, lc);
    for (size_t i = 0; i < la; i++)
        ck_assert_msg(da[i] == db[i] && da[i] == dc[i],
                      "files differ at byte %zu (%02x %02x %02x)", i, da[i], db[i], dc[i]);
    ck_assert_int_eq(memcmp(da, db, la), 0);
    free(da);
    free(db);
    free(dc);
}
END_TEST

START_TEST(test_success_leaves_no_temporary_file)
{
    write_sample(in_tmp("t.h5"));
    ck_assert_int_eq(count_entries(".tmp."), 0);
    ck_assert_int_eq(count_entries("t.h5"), 1);
}
END_TEST

START_TEST(test_missing_directory_fails_cleanly)
{
    trace_t *t = trace_new();
    build_sample(t);
    const char *out = in_tmp("no/such/dir/t.h5");
    diag_t err = {""};
    ck_assert_int_eq(trace_write(t, out, &err), -1);
    ck_assert_msg(strstr(err.msg, "cannot create '") != NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, ".tmp.") != NULL, "message: %s", err.msg);
    ck_assert_msg(strstr(err.msg, "No such file or directory") != NULL, "message: %s", err.msg);
    ck_assert_msg(strncmp(err.msg, "error:", 6) != 0, "message has a prefix: %s", err.msg);
    ck_assert(!file_exists(out));
    ck_assert_int_eq(count_entries(""), 0);
    trace_free(t);
}
END_TEST

START_TEST(test_rename_failure_removes_temporary)
{
    const char *out = in_tmp("isdir.h5");
    ck_assert_int_eq(mkdir(out, 0700), 0); /* rename(2) of a file onto a directory fails */
    trace_t *t = trace_new();
    build_sample(t);
    diag_t err = {""};
    ck_assert_int_eq(trace_write(t, out, &err), -1);
    ck_assert_msg(strstr(err.msg, "cannot rename") != NULL, "message: %s", err.msg);
    ck_assert_int_eq(count_entries(".tmp."), 0);
    trace_free(t);
    rmdir(out);
}
END_TEST

/* A full disk, played by a file-size limit: the error must surface and nothing stay behind.
 * The limited write runs in a child process so that the limit cannot hit Check's own files. */
START_TEST(test_write_error_surfaces)
{
    const char *out = in_tmp("full.h5");
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        trace_t *t = trace_new();
        trace_table_t *pw = trace_table_create(t, "/big", "incompressible", power_cols, 2,
                                               sizeof(power_row));
        uint64_t x = 88172645463325252ULL;
        for (int i = 0; pw && i < 200000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            power_row r = {(double)x, (double)(x >> 11)};
            if (trace_table_append(pw, &r) < 0)
                _exit(3);
        }
        struct rlimit lim;
        getrlimit(RLIMIT_FSIZE, &lim);
        lim.rlim_cur = 256 * 1024;
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &lim) < 0)
            _exit(4);
        diag_t err = {""};
        int rc = trace_write(t, out, &err);
        ssize_t w = write(fds[1], err.msg, strlen(err.msg));
        (void)w;
        _exit(rc == -1 ? 0 : 1);
    }
    close(fds[1]);
    char msg[2048] = "";
    size_t used = 0;
    ssize_t r;
    while (used + 1 < sizeof msg && (r = read(fds[0], msg + used, sizeof msg - 1 - used)) > 0)
        used += (size_t)r;
    msg[used] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child: write did not fail as it should (status %d, message '%s')", status, msg);
    ck_assert_msg(strstr(msg, "File too large") != NULL, "message: %s", msg);
    ck_assert_msg(strstr(msg, ".tmp.") != NULL, "message: %s", msg);
    ck_assert(!file_exists(out));
    ck_assert_int_eq(count_entries(""), 0);
}
END_TEST

START_TEST(test_failure_keeps_previous_output)
{
    const char *out = in_tmp("t.h5");
    FILE *fp = fopen(out, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("old", fp);
    fclose(fp);
    trace_t *t = trace_new();
    trace_summary_f64(t, "bad/name", 1, "1", "a name with a slash");
    diag_t err = {""};
    ck_assert_int_eq(trace_write(t, out, &err), -1);
    ck_assert_msg(strstr(err.msg, "invalid summary figure name 'bad/name'") != NULL, "message: %s",
                  err.msg);
    size_t n;
    unsigned char *d = slurp(out, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(memcmp(d, "old", 3), 0);
    free(d);
    trace_free(t);
}
END_TEST

/* ---- definitions ---- */

START_TEST(test_bad_definitions_are_refused)
{
    trace_t *t = trace_new();
    ck_assert_ptr_nonnull(trace_table_create(t, "/a/b", "", power_cols, 2, sizeof(power_row)));
    static const char *const bad_paths[] = {
        "a/b", "/", "", "//x", "/x//y", "/x/", "/x/./y", "/x/../y", "/a/b", "/a", "/a/b/c",
        "/summary", "/summary/x",
    };
    for (size_t i = 0; i < sizeof bad_paths / sizeof *bad_paths; i++) {
        ck_assert_msg(trace_table_create(t, bad_paths[i], "", power_cols, 2, sizeof(power_row)) ==
                          NULL,
                      "table path '%s' was accepted", bad_paths[i]);
        ck_assert_msg(trace_matrix_create(t, bad_paths[i], "", 2, "1") == NULL,
                      "matrix path '%s' was accepted", bad_paths[i]);
    }
    ck_assert_ptr_nonnull(trace_table_create(t, "/a/bc", "", power_cols, 2, sizeof(power_row)));
    ck_assert_ptr_null(trace_table_create(t, NULL, "", power_cols, 2, sizeof(power_row)));

    trace_col dup[2] = {power_cols[0], power_cols[0]};
    ck_assert_ptr_null(trace_table_create(t, "/dup", "", dup, 2, sizeof(power_row)));
    trace_col outside = power_cols[1];
    outside.offset = sizeof(power_row) - 4;
    ck_assert_ptr_null(trace_table_create(t, "/outside", "", &outside, 1, sizeof(power_row)));
    trace_col overlap[2] = {power_cols[0], power_cols[1]};
    overlap[1].offset = 4;
    ck_assert_ptr_null(trace_table_create(t, "/overlap", "", overlap, 2, sizeof(power_row)));
    trace_col empty_str = {"s", TCOL_STR, 0, 0, "", ""};
    ck_assert_ptr_null(trace_table_create(t, "/emptystr", "", &empty_str, 1, 8));
    ck_assert_ptr_null(trace_table_create(t, "/nocols", "", power_cols, 0, sizeof(power_row)));
    ck_assert_ptr_null(trace_matrix_create(t, "/m0", "", 0, "1"));

    ck_assert_ptr_nonnull(trace_table_find(t, "/a/b"));
    ck_assert_ptr_null(trace_table_find(t, "/a"));
    ck_assert_int_eq(trace_matrix_append(trace_table_find(t, "/a/b"), (double[]){1, 2}), -1);

    trace_text(t, "/a/b/c", "x", "");
    diag_t err = {""};
    ck_assert_int_eq(trace_write(t, in_tmp("t.h5"), &err), -1);
    ck_assert_msg(strstr(err.msg, "invalid text path '/a/b/c'") != NULL, "message: %s", err.msg);
    trace_free(t);
}
END_TEST

START_TEST(test_rows_are_copied_and_addressable)
{
    trace_t *t = trace_new();
    trace_table_t *tab = trace_table_create(t, "/p", "", power_cols, 2, sizeof(power_row));
    for (int i = 0; i < 1000; i++) {
        power_row r = {i, 2.0 * i};
        ck_assert_int_eq(trace_table_append(tab, &r), 0);
    }
    ck_assert_uint_eq(trace_table_rows(tab), 1000);
    const power_row *r = trace_table_row(tab, 999);
    ck_assert_ptr_nonnull(r);
    ck_assert_double_eq(r->power_W, 1998.0);
    ck_assert_ptr_null(trace_table_row(tab, 1000));
    trace_free(t);
}
END_TEST

START_TEST(test_reader_reports_bad_files)
{
    diag_t err = {""};
    const char *missing = in_tmp("missing.h5");
    ck_assert_ptr_null(h5r_open(missing, &err));
    ck_assert_msg(strstr(err.msg, "cannot open '") && strstr(err.msg, "No such file or directory"),
                  "message: %s", err.msg);
    const char *txt = in_tmp("text.h5");
    FILE *fp = fopen(txt, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("not hdf5 at all\n", fp);
    fclose(fp);
    ck_assert_ptr_null(h5r_open(txt, &err));
    ck_assert_msg(strstr(err.msg, "not an HDF5 file") != NULL, "message: %s", err.msg);
}
END_TEST

START_TEST(test_abort_pending_is_safe_when_idle)
{
    trace_abort_pending();
    write_sample(in_tmp("t.h5"));
    trace_abort_pending(); /* must not remove anything after a completed write */
    ck_assert(file_exists(in_tmp("t.h5")));
}
END_TEST

static Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *rt = tcase_create("round_trip");
    tcase_add_checked_fixture(rt, make_tmpdir, remove_tmpdir);
    tcase_add_test(rt, test_table_values_round_trip);
    tcase_add_test(rt, test_table_strings_and_packed_layout);
    tcase_add_test(rt, test_table_attributes_follow_column_order);
    tcase_add_test(rt, test_empty_table_is_a_zero_row_dataset);
    tcase_add_test(rt, test_matrix_round_trip);
    tcase_add_test(rt, test_empty_matrix_keeps_its_width);
    tcase_add_test(rt, test_summary_in_insertion_order_with_units);
    tcase_add_test(rt, test_texts_round_trip_any_length);
    tcase_add_test(rt, test_root_attributes_in_order);
    tcase_add_test(rt, test_reader_reports_bad_files);
    suite_add_tcase(s, rt);

    TCase *files = tcase_create("files");
    tcase_add_checked_fixture(files, make_tmpdir, remove_tmpdir);
    tcase_set_timeout(files, 30);
    tcase_add_test(files, test_same_calls_give_identical_files);
    tcase_add_test(files, test_success_leaves_no_temporary_file);
    tcase_add_test(files, test_missing_directory_fails_cleanly);
    tcase_add_test(files, test_rename_failure_removes_temporary);
    tcase_add_test(files, test_write_error_surfaces);
    tcase_add_test(files, test_failure_keeps_previous_output);
    tcase_add_test(files, test_abort_pending_is_safe_when_idle);
    suite_add_tcase(s, files);

    TCase *defs = tcase_create("definitions");
    tcase_add_checked_fixture(defs, make_tmpdir, remove_tmpdir);
    tcase_add_test(defs, test_bad_definitions_are_refused);
    tcase_add_test(defs, test_rows_are_copied_and_addressable);
    suite_add_tcase(s, defs);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(trace_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
