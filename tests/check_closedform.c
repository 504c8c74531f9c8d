/* Check suite "closedform": the whole pipeline (scenario -> platform -> SimGrid -> trace) at
 * both fidelities reproduces the ring all-reduce closed form 2(p-1)·α + 2(p-1)/p·n/B within
 * 0.1% on an uncongested supernode, for several p (powers of two and not) and sizes n, read
 * back from the HDF5 trace the binary wrote. α = 2·link latency + switch latency, B = planes ×
 * link bandwidth. Also checks that the two fidelities agree with each other run by run. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5read.h"

static const char *binary(void)
{
    const char *b = getenv("OASTWIN");
    return b && *b ? b : "build/oastwin";
}

static const char *root(void)
{
    const char *r = getenv("OASTWIN_ROOT");
    return r && *r ? r : ".";
}

/* Runs the small test scenario with overrides and returns /summary/allreduce_time_mean. */
static double run_allreduce(int p, const char *bytes, const char *fidelity, const char *alg)
{
    char out[] = "/tmp/check_closedform_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(out));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s run %s/scenarios/tests/small.yaml -q -o %s/t.h5 --set topology.accelerators=%d "
             "--set workload.gradient_bytes='%s' --set run.fidelity=%s --set workload.iterations=2 "
             "--set workload.algorithm=%s 2>%s/err",
             binary(), root(), out, p, bytes, fidelity, alg, out);
    int rc = system(cmd);
    char path[256];
    snprintf(path, sizeof path, "%s/t.h5", out);
    diag_t err;
    h5r_file *f = rc == 0 ? h5r_open(path, &err) : NULL;
    ck_assert_msg(f != NULL, "run failed (rc %d): %s", rc, cmd);
    h5r_figure *figs = NULL;
    size_t n = 0;
    ck_assert_int_eq(h5r_summary(f, &figs, &n, &err), 0);
    double v = NAN;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(figs[i].name, "allreduce_time_mean"))
            v = figs[i].value;
    free(figs);
    h5r_close(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", out);
    ck_assert_int_eq(system(cmd), 0);
    return v;
}

/* small.yaml: 4 planes x 100 GB/s, link 150 ns, switch 200 ns. */
static const double ALPHA = 2 * 150e-9 + 200e-9, BW = 4 * 100e9;

typedef struct cf_case {
    int p;
    const char *bytes;
    double n;
} cf_case;

static const cf_case CASES[] = {
    {2, "1 MiB", 1048576.0}, {3, "1 GB", 1e9},     {5, "64 MiB", 67108864.0}, {8, "1 GB", 1e9},
    {12, "1 KiB", 1024.0},   {16, "256 MB", 256e6}, {64, "1 GiB", 1073741824.0}, {96, "4 MiB", 4194304.0},
};

static double ring_closed_form(int p, double n)
{
    return 2.0 * (p - 1) * ALPHA + 2.0 * (p - 1) / p * n / BW;
}

START_TEST(test_flow_matches_ring_closed_form)
{
    const cf_case *c = &CASES[_i];
    double want = ring_closed_form(c->p, c->n);
    double got = run_allreduce(c->p, c->bytes, "flow", "ring");
    ck_assert_msg(fabs(got - want) <= 1e-3 * want, "p=%d n=%s: flow %.9g s, closed form %.9g s", c->p, c->bytes,
                  got, want);
}
END_TEST

START_TEST(test_analytic_matches_ring_closed_form)
{
    const cf_case *c = &CASES[_i];
    double want = ring_closed_form(c->p, c->n);
    double got = run_allreduce(c->p, c->bytes, "analytic", "ring");
    ck_assert_msg(fabs(got - want) <= 1e-3 * want, "p=%d n=%s: analytic %.9g s, closed form %.9g s", c->p,
                  c->bytes, got, want);
}
END_TEST

/* Other algorithms: both fidelities execute the same schedule, so they must agree. */
static const char *const ALGS[] = {"rhd", "dbtree"};

START_TEST(test_fidelities_agree_on_other_algorithms)
{
    const char *alg = ALGS[_i % 2];
    const cf_case *c = &CASES[(_i / 2) % (sizeof CASES / sizeof CASES[0])];
    double flow = run_allreduce(c->p, c->bytes, "flow", alg);
    double ana = run_allreduce(c->p, c->bytes, "analytic", alg);
    ck_assert_msg(fabs(flow - ana) <= 1e-3 * flow, "%s p=%d n=%s: flow %.9g s, analytic %.9g s", alg, c->p,
                  c->bytes, flow, ana);
}
END_TEST

static Suite *closedform_suite(void)
{
    Suite *s = suite_create("closedform");
    TCase *tc = tcase_create("ring");
    tcase_set_timeout(tc, 60);
    int n = (int)(sizeof CASES / sizeof CASES[0]);
    tcase_add_loop_test(tc, test_flow_matches_ring_closed_form, 0, n);
    tcase_add_loop_test(tc, test_analytic_matches_ring_closed_form, 0, n);
    tcase_add_loop_test(tc, test_fidelities_agree_on_other_algorithms, 0, 2 * n);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(closedform_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
