/* What the suites that run the binary share: where the binary and the source tree are
 * (OASTWIN, OASTWIN_ROOT), running a scenario into a fresh temporary directory and opening its
 * trace, reading /summary figures and table columns, and cleaning up. Header-only (static
 * inline), so each suite takes what it uses; Check asserts report failures in the calling test. */
#ifndef OAS_TESTKIT_H
#define OAS_TESTKIT_H

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5read.h"

static inline const char *tk_binary(void)
{
    const char *b = getenv("OASTWIN");
    return b && *b ? b : "build/oastwin";
}

static inline const char *tk_root(void)
{
    const char *r = getenv("OASTWIN_ROOT");
    return r && *r ? r : ".";
}

/* One run of the binary: its temporary directory and its trace (t.h5 there). */
typedef struct tk_run {
    char dir[64];
    h5r_file *f;
} tk_run;

/* Runs `oastwin run SCENARIO -q -o DIR/t.h5 SETS` in a new directory /tmp/TAG_XXXXXX (SCENARIO
 * relative to the source tree unless absolute) and opens the trace; fails the test if the run
 * fails. */
static inline void tk_run_scenario(tk_run *r, const char *tag, const char *scenario, const char *sets)
{
    snprintf(r->dir, sizeof r->dir, "/tmp/%s_XXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(r->dir));
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s run %s%s%s -q -o %s/t.h5 %s 2>%s/err", tk_binary(),
             scenario[0] == '/' ? "" : tk_root(), scenario[0] == '/' ? "" : "/", scenario, r->dir, sets, r->dir);
    int rc = system(cmd);
    char path[128];
    snprintf(path, sizeof path, "%s/t.h5", r->dir);
    diag_t err;
    r->f = rc == 0 ? h5r_open(path, &err) : NULL;
    ck_assert_msg(r->f != NULL, "run failed (rc %d): %s", rc, cmd);
}

static inline void tk_run_done(tk_run *r)
{
    h5r_close(r->f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", r->dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* /summary figure NAME, or NaN when the trace has none. */
static inline double tk_figure_or_nan(tk_run *r, const char *name)
{
    h5r_figure *figs = NULL;
    size_t n = 0;
    diag_t err;
    ck_assert_int_eq(h5r_summary(r->f, &figs, &n, &err), 0);
    double v = NAN;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(figs[i].name, name))
            v = figs[i].value;
    free(figs);
    return v;
}

/* /summary figure NAME; fails the test when it is missing. */
static inline double tk_figure(tk_run *r, const char *name)
{
    double v = tk_figure_or_nan(r, name);
    ck_assert_msg(!isnan(v), "figure %s missing", name);
    return v;
}

/* Column COL of TABLE as float64 (caller frees); fails the test when it cannot be read. */
static inline double *tk_column(tk_run *r, const char *table, const char *col, size_t *n)
{
    double *v = NULL;
    diag_t err;
    ck_assert_msg(h5r_table_f64(r->f, table, col, &v, n, &err) == 0, "%s.%s: %s", table, col, err.msg);
    return v;
}

#endif
