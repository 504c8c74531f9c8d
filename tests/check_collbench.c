/* Check suite "collbench": `oastwin bench` end to end and its pieces. The binary runs on
 * scenarios/tests/small.yaml (8 accelerators, one switch tier, 4 planes x 100 GB/s, links 150 ns,
 * switch 200 ns: alpha = 500 ns, B = 400 GB/s) and /bench is read back from the HDF5 trace: ring
 * all-reduce matches 2(p-1)alpha + 2(p-1)/p n/B within 0.1% at every size and its bus bandwidth
 * approaches B, at both fidelities; every algorithm stays within its closed form. Also the
 * option parsers, the loader's replacement of the workload section and the enum names. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5read.h"
#include "scenario.h"
#include "workload/collbench.h"

static const double ALPHA = 2 * 150e-9 + 200e-9, BW = 4 * 100e9;
#define P 8

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

/* The numeric columns of /bench of one run. */
typedef struct bench_cols {
    size_t n;
    double *bytes, *time, *busbw, *algbw, *closed, *ratio, *group_size;
} bench_cols;

static void cols_free(bench_cols *c)
{
    free(c->bytes);
    free(c->time);
    free(c->busbw);
    free(c->algbw);
    free(c->closed);
    free(c->ratio);
    free(c->group_size);
}

/* Runs `oastwin bench small.yaml ARGS` and reads /bench; the run must succeed. */
static bench_cols run_bench(const char *args)
{
    char dir[] = "/tmp/check_collbench_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s bench %s/scenarios/tests/small.yaml -q -o %s/b.h5 %s 2>%s/err", binary(), root(),
             dir, args, dir);
    int rc = system(cmd);
    char path[256];
    snprintf(path, sizeof path, "%s/b.h5", dir);
    diag_t err;
    h5r_file *f = rc == 0 ? h5r_open(path, &err) : NULL;
    ck_assert_msg(f != NULL, "bench failed (rc %d): %s", rc, cmd);
    bench_cols c = {0};
    size_t n;
    ck_assert_int_eq(h5r_table_f64(f, "/bench", "bytes", &c.bytes, &c.n, &err), 0);
    ck_assert_int_eq(h5r_table_f64(f, "/bench", "time", &c.time, &n, &err), 0);
    ck_assert_int_eq(h5r_table_f64(f, "/bench", "busbw", &c.busbw, &n, &err), 0);
    ck_assert_int_eq(h5r_table_f64(f, "/bench", "algbw", &c.algbw, &n, &err), 0);
    ck_assert_int_eq(h5r_table_f64(f, "/bench", "closed_form_time", &c.closed, &n, &err), 0);
    ck_assert_int_eq(h5r_table_f64(f, "/bench", "time_vs_closed_form", &c.ratio, &n, &err), 0);
    ck_assert_int_eq(h5r_table_f64(f, "/bench", "group_size", &c.group_size, &n, &err), 0);
    size_t topo;
    ck_assert_int_eq(h5r_table_rows(f, "/topology/links", &topo, &err), 0);
    ck_assert_uint_eq(topo, P * 4);
    h5r_close(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    return c;
}

static const char *const FIDELITIES[] = {"flow", "analytic"};

START_TEST(test_ring_allreduce_matches_closed_form_and_reaches_link_bandwidth)
{
    for (size_t fi = 0; fi < 2; fi++) {
        char args[256];
        snprintf(args, sizeof args, "--ops allreduce --algorithm ring --sizes 1KiB:4GiB --set run.fidelity=%s",
                 FIDELITIES[fi]);
        bench_cols c = run_bench(args);
        ck_assert_uint_eq(c.n, 23); /* 2^10 .. 2^32 */
        for (size_t i = 0; i < c.n; i++) {
            double n = ldexp(1.0, 10 + (int)i);
            double want = 2 * (P - 1) * ALPHA + 2.0 * (P - 1) / P * n / BW;
            ck_assert_msg(c.bytes[i] == n, "%s row %zu: bytes %.17g, want %.17g", FIDELITIES[fi], i, c.bytes[i], n);
            ck_assert_msg(fabs(c.time[i] - want) <= 1e-3 * want, "%s n=%g: time %.9g s, closed form %.9g s",
                          FIDELITIES[fi], n, c.time[i], want);
            ck_assert_msg(fabs(c.closed[i] - want) <= 1e-12 * want, "%s n=%g: recorded closed form %.12g, want %.12g",
                          FIDELITIES[fi], n, c.closed[i], want);
            ck_assert_double_eq_tol(c.algbw[i], n / c.time[i], 1e-9 * c.algbw[i]);
            ck_assert_double_eq_tol(c.busbw[i], c.algbw[i] * 2.0 * (P - 1) / P, 1e-9 * c.busbw[i]);
            ck_assert_double_eq_tol(c.ratio[i], c.time[i] / c.closed[i], 1e-12);
            ck_assert_int_eq((int)c.group_size[i], P);
            if (i > 0)
                ck_assert_msg(c.busbw[i] > c.busbw[i - 1], "%s: busbw falls from %g to %g at n=%g", FIDELITIES[fi],
                              c.busbw[i - 1], c.busbw[i], n);
        }
        /* P x link bandwidth: 400 GB/s; at 4 GiB latency costs 0.04% of it */
        ck_assert_msg(c.busbw[c.n - 1] >= 0.999 * BW && c.busbw[c.n - 1] <= BW * (1 + 1e-9),
                      "%s: busbw at 4 GiB %.6g B/s, want about %.6g", FIDELITIES[fi], c.busbw[c.n - 1], BW);
        ck_assert_msg(c.busbw[0] < 0.01 * BW, "%s: busbw at 1 KiB %.6g B/s should be latency-bound", FIDELITIES[fi],
                      c.busbw[0]);
        cols_free(&c);
    }
}
END_TEST

START_TEST(test_every_algorithm_stays_within_its_closed_form_uncongested)
{
    static const char *const algs[] = {"auto", "ring", "dbtree", "rhd", "pairwise", "direct", "multiplane"};
    for (size_t a = 0; a < sizeof algs / sizeof algs[0]; a++)
        for (size_t fi = 0; fi < 2; fi++) {
            char args[256];
            snprintf(args, sizeof args, "--algorithm %s --sizes 4KiB:64MiB --set run.fidelity=%s", algs[a],
                     FIDELITIES[fi]);
            bench_cols c = run_bench(args);
            ck_assert_uint_gt(c.n, 0);
            for (size_t i = 0; i < c.n; i++) {
                /* analytic prices the schedule in lockstep: exactly the closed form on this star;
                 * flow lets ranks run ahead on unevenly loaded steps, so it may only be faster */
                if (fi == 1)
                    ck_assert_msg(fabs(c.ratio[i] - 1.0) <= 1e-6, "%s analytic row %zu (%g B): time/closed %.9f",
                                  algs[a], i, c.bytes[i], c.ratio[i]);
                else
                    ck_assert_msg(c.ratio[i] <= 1.0 + 1e-3 && c.ratio[i] > 0.5,
                                  "%s flow row %zu (%g B): time/closed %.9f", algs[a], i, c.bytes[i], c.ratio[i]);
            }
            cols_free(&c);
        }
}
END_TEST

START_TEST(test_parsers_accept_and_refuse)
{
    static const struct {
        const char *text;
        int ok;
        double lo, hi;
        int32_t count;
        const char *why;
    } sizes[] = {
        {"1KiB:4GiB", 0, 1024, 4294967296.0, 23, ""},
        {" 1 KiB : 1 MiB ", 0, 1024, 1048576, 11, ""},
        {"1000 B:4 kB", 0, 1000, 4000, 3, ""},
        {"64 MiB", 0, 67108864, 67108864, 1, ""},
        {"4GiB:1KiB", -1, 0, 0, 0, "the lower bound 4.29497 GB is above the upper bound 1.024 kB"},
        {"0 B:1 KiB", -1, 0, 0, 0, "the smallest size must be at least 1 B, not 0 B"},
        {"1KiB:2KiB:4KiB", -1, 0, 0, 0, "'1KiB:2KiB:4KiB' has more than one ':'; write LO:HI (e.g. '1KiB:4GiB') or one size"},
        {"1024", -1, 0, 0, 0, "'1024' needs a unit of data size (for example '128 GiB')"},
        {"1 B:1e30 B", -1, 0, 0, 0, "1 B to 1e+12 EB is more than 64 sizes (each the double of the one before)"},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        double lo = 0, hi = 0, out[COLLBENCH_MAX_SIZES];
        char why[512] = "";
        int rc = collbench_parse_sizes(sizes[i].text, &lo, &hi, why, sizeof why);
        ck_assert_msg(rc == sizes[i].ok, "'%s': rc %d (%s)", sizes[i].text, rc, why);
        if (rc == 0) {
            ck_assert_double_eq(lo, sizes[i].lo);
            ck_assert_double_eq(hi, sizes[i].hi);
            ck_assert_int_eq(collbench_sizes(lo, hi, out), sizes[i].count);
            ck_assert_double_eq(out[sizes[i].count - 1], sizes[i].hi);
        } else {
            ck_assert_str_eq(why, sizes[i].why);
        }
    }
    static const struct {
        const char *text;
        int ok;
        int32_t n;
        coll_op first, last;
        const char *why;
    } ops[] = {
        {"allreduce", 0, 1, COLL_ALLREDUCE, COLL_ALLREDUCE, ""},
        {"alltoall, allreduce ,p2p", 0, 3, COLL_ALLTOALL, COLL_P2P, ""},
        {"allreduc", -1, 0, 0, 0, "unknown operation 'allreduc' (did you mean 'allreduce'?)"},
        {"all-gather", -1, 0, 0, 0, "unknown operation 'all-gather' (did you mean 'allgather'?)"},
        {"frobnicate", -1, 0, 0, 0,
         "unknown operation 'frobnicate' (one of allreduce, allgather, reducescatter, alltoall, broadcast, p2p)"},
        {"allreduce,,p2p", -1, 0, 0, 0, "empty operation name in 'allreduce,,p2p'"},
        {"p2p,allgather,p2p", -1, 0, 0, 0, "'p2p' is listed twice"},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        coll_op got[COLL_OP__COUNT];
        int32_t n = 0;
        char why[512] = "";
        int rc = collbench_parse_ops(ops[i].text, got, &n, why, sizeof why);
        ck_assert_msg(rc == ops[i].ok, "'%s': rc %d (%s)", ops[i].text, rc, why);
        if (rc == 0) {
            ck_assert_int_eq(n, ops[i].n);
            ck_assert_int_eq(got[0], ops[i].first);
            ck_assert_int_eq(got[n - 1], ops[i].last);
        } else {
            ck_assert_str_eq(why, ops[i].why);
        }
    }
    char why[256];
    ck_assert_int_eq(collbench_check_op(COLL_ALLTOALL, COLL_ALG_RING, COLL_ALG_AUTO, why, sizeof why), -1);
    ck_assert_str_eq(why, "algorithm 'ring' cannot do alltoall (it does allreduce, allgather, reducescatter, broadcast, p2p)");
    ck_assert_int_eq(collbench_check_op(COLL_ALLTOALL, COLL_ALG_MULTIPLANE, COLL_ALG_PAIRWISE, why, sizeof why), 0);
    ck_assert_int_eq(collbench_check_op(COLL_BROADCAST, COLL_ALG_MULTIPLANE, COLL_ALG_RHD, why, sizeof why), -1);
    ck_assert_int_eq(collbench_check_op(COLL_P2P, COLL_ALG_HIER, COLL_ALG_AUTO, why, sizeof why), 0);
}
END_TEST

START_TEST(test_algorithm_names_are_the_collective_library_names)
{
    for (int a = 0; a < COLL_ALG__COUNT; a++) {
        ck_assert_str_eq(scenario_enum_name("workload.bench.algorithm", a), coll_alg_name((coll_alg)a));
        ck_assert_str_eq(scenario_enum_name("workload.bench.plane_algorithm", a), coll_alg_name((coll_alg)a));
    }
    ck_assert_str_eq(scenario_enum_name("workload.bench.algorithm", COLL_ALG__COUNT), "?");
}
END_TEST

/* Writes TEXT to a temporary scenario file in DIR; returns its path in BUF. */
static const char *write_scenario(char *dir, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s/s.yaml", dir);
    FILE *f = fopen(buf, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return buf;
}

static const char MACHINE[] = "schema_version: 1\nname: t\nhardware:\n  accelerator:\n    peak_flops: 1000 TFLOPS\n"
                              "    hbm_capacity: 80 GiB\n    hbm_bandwidth: 2 TB/s\n    idle_power: 100 W\n"
                              "    max_power: 700 W\ntopology:\n  accelerators: 8\n  planes: 4\n  link:\n"
                              "    bandwidth: 100 GB/s\n    latency: 150 ns\n  switch:\n    latency: 200 ns\n";

START_TEST(test_loader_replaces_the_workload_section)
{
    char dir[] = "/tmp/check_collbench_XXXXXX", path[256], text[4096];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* a workload section that would not load: unknown keys, a kind with missing keys */
    snprintf(text, sizeof text, "%sworkload:\n  kind: dp_allreduce\n  bogus: 3\n", MACHINE);
    write_scenario(dir, text, path, sizeof path);
    scenario_t sc;
    diag_t err = {{0}};
    ck_assert_int_eq(scenario_load(path, NULL, 0, &sc, &err), -1);
    scenario_override own[] = {{"bench", "workload.kind=collbench"}, {"--ops", "workload.bench.ops=alltoall,p2p"},
                               {"--sizes", "workload.bench.sizes=1MiB:8MiB"}};
    const char *sets[] = {"workload.bench.sizes=2MiB", "topology.planes=2"};
    ck_assert_msg(scenario_load_replacing(path, "workload", own, 3, sets, 2, &sc, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(sc.wl.kind, WL_COLLBENCH);
    ck_assert_int_eq(sc.wl.bench.nops, 2);
    ck_assert_int_eq(sc.wl.bench.op[0], COLL_ALLTOALL);
    ck_assert_double_eq(sc.wl.bench.size_lo_B, 2097152.0); /* --set wins over the option */
    ck_assert_double_eq(sc.wl.bench.size_hi_B, 2097152.0);
    ck_assert_int_eq(sc.topo.planes, 2);
    ck_assert_ptr_nonnull(strstr(sc.resolved_text, "kind: collbench"));
    ck_assert_ptr_null(strstr(sc.resolved_text, "gradient_bytes"));
    scenario_free(&sc);
    /* no workload section at all; empty ops become every op the algorithm can do */
    write_scenario(dir, MACHINE, path, sizeof path);
    scenario_override ring[] = {{"bench", "workload.kind=collbench"}, {"--algorithm", "workload.bench.algorithm=ring"}};
    ck_assert_msg(scenario_load_replacing(path, "workload", ring, 2, NULL, 0, &sc, &err) == 0, "%s", err.msg);
    ck_assert_str_eq(sc.wl.bench.ops, "allreduce,allgather,reducescatter,broadcast,p2p");
    ck_assert_int_eq(sc.wl.bench.nops, 5);
    scenario_free(&sc);
    /* errors in a command's own overrides are positioned at its option */
    static const struct {
        const char *label, *text, *want;
    } bad[] = {
        {"--algorithm", "workload.bench.algorithm=tree",
         "--algorithm:1:26: error: 'workload.bench.algorithm' must be one of auto, ring, dbtree, rhd, direct, "
         "pairwise, hier, multiplane, torus, not 'tree' (did you mean 'dbtree'?)"},
        {"--ops", "workload.bench.ops=alltoall",
         "--ops:1:20: error: 'workload.bench.ops': algorithm 'dbtree' cannot do alltoall (it does allreduce, "
         "broadcast, p2p)"},
        {"--sizes", "workload.bench.sizes=1KiB:1TiB",
         "--sizes:1:22: error: 'workload.bench.sizes': the largest message (1.09951 TB) does not fit in HBM "
         "(hardware.accelerator.hbm_capacity = 85.8993 GB)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        scenario_override o[] = {{"bench", "workload.kind=collbench"},
                                 {"--algorithm", "workload.bench.algorithm=dbtree"},
                                 {bad[i].label, bad[i].text}};
        ck_assert_int_eq(scenario_load_replacing(path, "workload", o, 3, NULL, 0, &sc, &err), -1);
        ck_assert_str_eq(err.msg, bad[i].want);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *collbench_suite(void)
{
    Suite *s = suite_create("collbench");
    struct {
        const char *name;
        const TTest *fn;
    } cases[] = {
        {"ring_allreduce_matches_closed_form_and_reaches_link_bandwidth",
         test_ring_allreduce_matches_closed_form_and_reaches_link_bandwidth},
        {"every_algorithm_stays_within_its_closed_form_uncongested",
         test_every_algorithm_stays_within_its_closed_form_uncongested},
        {"parsers_accept_and_refuse", test_parsers_accept_and_refuse},
        {"algorithm_names_are_the_collective_library_names", test_algorithm_names_are_the_collective_library_names},
        {"loader_replaces_the_workload_section", test_loader_replaces_the_workload_section},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(collbench_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
