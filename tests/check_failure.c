/* Check suite "failure": class properties, MTBF from FIT, the drawn gaps (exponential and
 * Weibull means and CDF at the mean against their closed forms), determinism and per-component
 * independence of the plan, its time order with the explicit schedule merged, the job MTBF, and
 * the failures.* keys through the scenario loader (schedule entries, positioned errors). */
#include <check.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failure/failure.h"
#include "scenario.h"

START_TEST(test_classes_have_names_and_roles)
{
    static const struct {
        int cls;
        const char *name;
        bool stops, node;
    } T[] = {
        {FL_ACCELERATOR, "accelerator", true, true}, {FL_HBM, "hbm", true, true},
        {FL_HOST, "host", true, true},               {FL_SWITCH, "switch", true, false},
        {FL_OPTICS, "optics", true, false},          {FL_LINK_FLAP, "link_flap", false, false},
        {FL_SOFTWARE, "software", true, false},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        ck_assert_str_eq(fl_class_name(T[i].cls), T[i].name);
        ck_assert_msg(fl_class_stops(T[i].cls) == T[i].stops, "%s stops", T[i].name);
        ck_assert_msg(fl_class_takes_node(T[i].cls) == T[i].node, "%s takes a node", T[i].name);
    }
    ck_assert_str_eq(fl_class_name(FL__NCLASSES), "?");
}
END_TEST

START_TEST(test_mtbf_comes_from_mtbf_or_fit)
{
    static const struct {
        int dist;
        double mtbf_s, fit, want_s;
    } T[] = {
        {FL_DIST_EXPONENTIAL, 3600.0, 0, 3600.0},
        {FL_DIST_EXPONENTIAL, 0, 1e9, 3600.0},         /* one failure per hour */
        {FL_DIST_WEIBULL, 0, 500, 3600.0 * 2e6},       /* 500 FIT = 2 million hours */
        {FL_DIST_EXPONENTIAL, 7200.0, 1e9, 3600.0},    /* a positive fit replaces mtbf */
        {FL_DIST_NONE, 3600.0, 0, INFINITY},
        {FL_DIST_EXPONENTIAL, 0, 0, INFINITY},
    };
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        fl_class_spec c = {.dist = T[i].dist, .mtbf_s = T[i].mtbf_s, .fit = T[i].fit, .shape = 1};
        double m = fl_class_mtbf_s(&c);
        if (isinf(T[i].want_s))
            ck_assert_msg(isinf(m), "case %zu: %.9g s, want no failures", i, m);
        else
            ck_assert_msg(fabs(m - T[i].want_s) <= 1e-9 * T[i].want_s, "case %zu: %.12g s, want %.12g s", i, m,
                          T[i].want_s);
    }
    fl_class_spec c = {.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 100};
    ck_assert_double_eq_tol(fl_class_rate_Hz(&c, 50), 0.5, 1e-15);
}
END_TEST

/* Mean gap over many components and CDF at the mean: exponential 1 - 1/e; Weibull
 * 1 - exp(-Gamma(1 + 1/k)^k). */
static const double SHAPES[] = {0.0, 0.7, 1.0, 2.0, 3.5}; /* 0: exponential */
#define NSHAPES (int)(sizeof SHAPES / sizeof SHAPES[0])

START_TEST(test_drawn_gaps_have_the_mtbf_as_mean)
{
    double k = SHAPES[_i];
    fl_class_spec c = {.dist = k > 0 ? FL_DIST_WEIBULL : FL_DIST_EXPONENTIAL, .mtbf_s = 1000.0, .shape = k};
    const int n = 40000;
    double sum = 0;
    int below = 0;
    for (int i = 0; i < n; i++) {
        double g = fl_draw_gap_s(&c, 42, FL_ACCELERATOR, i, 0);
        ck_assert_msg(g > 0 && isfinite(g), "gap %d = %g", i, g);
        sum += g;
        below += g <= 1000.0;
    }
    double mean = sum / n, cdf = (double)below / n;
    double want_cdf = k > 0 ? 1.0 - exp(-pow(gsl_sf_gamma(1.0 + 1.0 / k), k)) : 1.0 - exp(-1.0);
    /* standard errors: the mean's sd / sqrt(n) is at most ~1.5% here; the CDF's ~0.25% */
    ck_assert_msg(fabs(mean - 1000.0) < 30.0, "shape %g: mean gap %.2f s, want 1000 s", k, mean);
    ck_assert_msg(fabs(cdf - want_cdf) < 0.012, "shape %g: P(gap <= mean) %.4f, want %.4f", k, cdf, want_cdf);
}
END_TEST

static fl_counts counts_of(int64_t accel, int64_t links)
{
    fl_counts c = {{0}};
    c.n[FL_ACCELERATOR] = accel;
    c.n[FL_HBM] = accel;
    c.n[FL_LINK_FLAP] = links;
    c.n[FL_SOFTWARE] = 1;
    return c;
}

static failure_spec spec_basic(void)
{
    failure_spec fs;
    memset(&fs, 0, sizeof fs);
    fs.cls[FL_ACCELERATOR] = (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 5000, .repair_s = 100};
    fs.cls[FL_HBM] = (fl_class_spec){.dist = FL_DIST_WEIBULL, .mtbf_s = 8000, .shape = 0.8, .repair_s = 100};
    fs.cls[FL_LINK_FLAP] =
        (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 3000, .duration_s = 7, .bw_factor = 0.25};
    fs.cls[FL_SOFTWARE] = (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 900};
    return fs;
}

/* The first N events of a plan. */
static int take(const failure_spec *fs, const fl_counts *c, uint64_t seed, fl_event *out, int n)
{
    diag_t err;
    fl_plan *p = fl_plan_new(fs, c, seed, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    int k = 0;
    while (k < n && fl_plan_next(p, &out[k]) == 0)
        k++;
    fl_plan_free(p);
    return k;
}

START_TEST(test_same_seed_gives_the_same_plan)
{
    failure_spec fs = spec_basic();
    fl_counts c = counts_of(64, 32);
    fl_event a[500], b[500], d[500];
    ck_assert_int_eq(take(&fs, &c, 7, a, 500), 500);
    ck_assert_int_eq(take(&fs, &c, 7, b, 500), 500);
    ck_assert_int_eq(take(&fs, &c, 8, d, 500), 500);
    ck_assert_msg(memcmp(a, b, sizeof a) == 0, "two plans of seed 7 differ");
    int same = 0;
    for (int i = 0; i < 500; i++)
        same += a[i].t_s == d[i].t_s;
    ck_assert_msg(same < 5, "seeds 7 and 8 share %d of 500 failure times", same);
}
END_TEST

START_TEST(test_a_component_fails_at_the_same_times_whatever_the_machine_size)
{
    failure_spec fs = spec_basic();
    fl_counts small = counts_of(8, 4), big = counts_of(64, 32);
    fl_event a[400], b[4000];
    int na = take(&fs, &small, 11, a, 400), nb = take(&fs, &big, 11, b, 4000);
    /* every failure of accelerator 3 in the small machine appears, at the same time and with the
     * same number, in the big one */
    int seen = 0;
    for (int i = 0; i < na; i++) {
        if (a[i].cls != FL_ACCELERATOR || a[i].component != 3)
            continue;
        bool found = false;
        for (int j = 0; j < nb && !found; j++)
            found = b[j].cls == FL_ACCELERATOR && b[j].component == 3 && b[j].number == a[i].number &&
                    b[j].t_s == a[i].t_s;
        if (a[i].t_s < b[nb - 1].t_s) {
            ck_assert_msg(found, "accelerator 3's failure #%llu at %.9g s is missing from the bigger machine",
                          (unsigned long long)a[i].number, a[i].t_s);
            seen++;
        }
    }
    ck_assert_msg(seen >= 1, "no failure of accelerator 3 was compared");
}
END_TEST

START_TEST(test_plan_is_in_time_order_with_the_schedule_merged)
{
    failure_spec fs = spec_basic();
    fs.nschedule = 3;
    fs.schedule[0] = (fl_sched_spec){.t_s = 500, .cls = FL_LINK_FLAP, .component = 2, .duration_s = 30,
                                     .bw_factor = -1};
    fs.schedule[1] = (fl_sched_spec){.t_s = 10, .cls = FL_SOFTWARE, .component = 0, .duration_s = -1,
                                     .bw_factor = -1};
    fs.schedule[2] = (fl_sched_spec){.t_s = 250, .cls = FL_ACCELERATOR, .component = 5, .duration_s = -1,
                                     .bw_factor = -1};
    fl_counts c = counts_of(16, 8);
    fl_event e[300];
    int n = take(&fs, &c, 3, e, 300);
    ck_assert_int_eq(n, 300);
    int scheduled = 0;
    for (int i = 0; i < n; i++) {
        if (i)
            ck_assert_msg(e[i].t_s >= e[i - 1].t_s, "event %d at %.9g s before event %d at %.9g s", i, e[i].t_s,
                          i - 1, e[i - 1].t_s);
        if (!e[i].scheduled)
            continue;
        scheduled++;
        if (e[i].cls == FL_LINK_FLAP) {
            ck_assert_double_eq(e[i].t_s, 500);
            ck_assert_double_eq(e[i].duration_s, 30);   /* its own duration */
            ck_assert_double_eq(e[i].bw_factor, 0.25);  /* the class's factor */
        }
        if (e[i].cls == FL_ACCELERATOR)
            ck_assert_double_eq(e[i].duration_s, 100); /* a stopping class carries its repair time */
    }
    ck_assert_int_eq(scheduled, 3);
}
END_TEST

START_TEST(test_schedule_naming_a_missing_component_is_an_error)
{
    failure_spec fs = spec_basic();
    fs.nschedule = 1;
    fs.schedule[0] = (fl_sched_spec){.t_s = 1, .cls = FL_LINK_FLAP, .component = 8, .file = "f.yaml", .line = 7,
                                     .col = 7};
    fl_counts c = counts_of(16, 8);
    diag_t err;
    ck_assert_ptr_null(fl_plan_new(&fs, &c, 1, &err));
    ck_assert_str_eq(err.msg,
                     "f.yaml:7:7: error: 'failures.schedule[0]': link_flap 8 does not exist (the machine has 8)");
}
END_TEST

START_TEST(test_job_mtbf_sums_the_stopping_rates)
{
    failure_spec fs = spec_basic();
    fl_counts c = counts_of(10, 1000);
    /* 10/5000 + 10/8000 + 1/900 per second; link flaps do not stop the job */
    double want = 1.0 / (10.0 / 5000 + 10.0 / 8000 + 1.0 / 900);
    double got = fl_job_mtbf_s(&fs, &c);
    ck_assert_msg(fabs(got - want) < 1e-9 * want, "job MTBF %.12g s, want %.12g s", got, want);
    failure_spec none;
    memset(&none, 0, sizeof none);
    ck_assert(isinf(fl_job_mtbf_s(&none, &c)));
}
END_TEST

START_TEST(test_long_run_failure_count_matches_the_rate)
{
    /* exponential processes: over a horizon H the count is Poisson with mean H x sum(n / MTBF) */
    failure_spec fs = spec_basic();
    fl_counts c = counts_of(32, 16);
    diag_t err;
    fl_plan *p = fl_plan_new(&fs, &c, 99, &err);
    ck_assert_ptr_nonnull(p);
    double H = 2e6;
    int64_t n[FL__NCLASSES] = {0};
    fl_event e;
    while (fl_plan_peek_s(p) < H && fl_plan_next(p, &e) == 0)
        n[e.cls]++;
    fl_plan_free(p);
    static const int cls[] = {FL_ACCELERATOR, FL_LINK_FLAP, FL_SOFTWARE};
    for (int i = 0; i < 3; i++) {
        double want = H * fl_class_rate_Hz(&fs.cls[cls[i]], c.n[cls[i]]);
        ck_assert_msg(fabs((double)n[cls[i]] - want) < 4 * sqrt(want), "%s: %lld failures, expected %.1f",
                      fl_class_name(cls[i]), (long long)n[cls[i]], want);
    }
}
END_TEST

/* ---- through the loader ---- */

static const char BASE[] = "schema_version: 1\n"
                           "name: t\n"
                           "hardware:\n"
                           "  accelerator: {peak_flops: 1000 TFLOPS, hbm_capacity: 80 GiB, hbm_bandwidth: 2 TB/s,\n"
                           "                idle_power: 100 W, max_power: 700 W}\n"
                           "topology:\n"
                           "  accelerators: 16\n"
                           "  link: {bandwidth: 400 GB/s, latency: 1 us}\n"
                           "  switch: {latency: 200 ns}\n"
                           "workload:\n"
                           "  iterations: 2\n"
                           "  compute: {flops: 1 PFLOP}\n"
                           "  gradient_bytes: 128 MiB\n"
                           "storage: {checkpoint: {size: 1 TB}}\n"
                           "resilience: {mode: timeline, horizon: 1 d}\n";

static int load(const char *extra, scenario_t *sc, char *msg, size_t n)
{
    char path[] = "/tmp/check_failure_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s%s", BASE, extra);
    fclose(f);
    diag_t err = {{0}};
    int rc = scenario_load(path, NULL, 0, sc, &err);
    size_t plen = strlen(path);
    snprintf(msg, n, "%s%s", strncmp(err.msg, path, plen) == 0 ? "S" : "",
             strncmp(err.msg, path, plen) == 0 ? err.msg + plen : err.msg);
    unlink(path);
    return rc;
}

START_TEST(test_loader_reads_classes_and_schedule)
{
    scenario_t sc;
    char msg[4096];
    const char *extra = "failures:\n"
                        "  accelerator: {mtbf: 200 h}\n"
                        "  hbm: {distribution: weibull, fit: 1000, weibull_shape: 0.7}\n"
                        "  link_flap: {distribution: exponential, mtbf: 10 h, duration: 30 s, bandwidth_factor: 0.5}\n"
                        "  schedule:\n"
                        "    - {time: 2 h, class: host, component: 1}\n"
                        "    - {time: 90 s, class: link_flap, component: 4, duration: 5 s}\n";
    ck_assert_msg(load(extra, &sc, msg, sizeof msg) == 0, "%s", msg);
    const failure_spec *fs = &sc.failures;
    ck_assert_double_eq_tol(fs->cls[FL_ACCELERATOR].mtbf_s, 720000, 1e-6);
    ck_assert_int_eq(fs->cls[FL_HBM].dist, FL_DIST_WEIBULL);
    ck_assert_double_eq_tol(fs->cls[FL_HBM].shape, 0.7, 1e-15);
    ck_assert_double_eq_tol(fl_class_mtbf_s(&fs->cls[FL_HBM]), 3.6e12 / 1000, 1e-3);
    ck_assert_double_eq_tol(fs->cls[FL_LINK_FLAP].bw_factor, 0.5, 1e-15);
    ck_assert_int_eq(fs->cls[FL_SWITCH].dist, FL_DIST_NONE); /* no default rate */
    ck_assert_double_eq_tol(fs->cls[FL_SOFTWARE].mtbf_s, 20.57 * 3600, 1e-6);
    ck_assert_int_eq(fs->nschedule, 2);
    ck_assert_int_eq(fs->schedule[0].cls, FL_HOST);
    ck_assert_double_eq_tol(fs->schedule[0].t_s, 7200, 1e-9);
    ck_assert_double_eq(fs->schedule[0].duration_s, -1);
    ck_assert_double_eq_tol(fs->schedule[1].duration_s, 5, 1e-12);
    ck_assert_double_eq(fs->schedule[1].bw_factor, -1);
    ck_assert_int_eq(fs->schedule[1].line, 22);
    scenario_free(&sc);
}
END_TEST

static const struct {
    const char *extra, *msg;
} BAD[] = {
    {"failures:\n  schedule:\n    - {time: 1 h, class: gpu}\n",
     "S:18:26: error: 'failures.schedule[0].class' must be one of accelerator, hbm, host, switch, optics, "
     "link_flap, software, plane, not 'gpu'"},
    {"failures:\n  schedule:\n    - {time: 1 h, class: host, bandwidth_factor: 0.5}\n",
     "S:18:50: error: 'failures.schedule[0]': bandwidth_factor applies only to class link_flap"},
    {"failures:\n  schedule:\n    - {time: 1 h, class: software, duration: 3 s}\n",
     "S:18:46: error: 'failures.schedule[0]': a software failure has no duration (the job restarts)"},
    {"failures:\n  schedule:\n    - {class: host}\n", "S:18:7: error: missing required key 'failures.schedule[0].time'"},
    {"failures:\n  schedule: {time: 1 h}\n", "S:17:13: error: 'failures.schedule' must be a list of mappings, not a mapping"},
    {"failures:\n  accelerator: {mtbf: 0 s}\n",
     "S:17:23: error: 'failures.accelerator' has a exponential process but neither 'mtbf' nor 'fit' is positive"},
    {"failures:\n  switch: {mtbf: 1 h}\n",
     "S:17:18: error: 'failures.switch.mtbf' applies only when failures.switch.distribution is exponential|weibull"},
};

START_TEST(test_loader_rejects_bad_failure_keys)
{
    scenario_t sc;
    char msg[4096];
    ck_assert_int_eq(load(BAD[_i].extra, &sc, msg, sizeof msg), -1);
    ck_assert_str_eq(msg, BAD[_i].msg);
}
END_TEST

static Suite *failure_suite(void)
{
    Suite *s = suite_create("failure");
    TCase *tc = tcase_create("processes");
    tcase_add_test(tc, test_classes_have_names_and_roles);
    tcase_add_test(tc, test_mtbf_comes_from_mtbf_or_fit);
    tcase_add_loop_test(tc, test_drawn_gaps_have_the_mtbf_as_mean, 0, NSHAPES);
    tcase_add_test(tc, test_same_seed_gives_the_same_plan);
    tcase_add_test(tc, test_a_component_fails_at_the_same_times_whatever_the_machine_size);
    tcase_add_test(tc, test_plan_is_in_time_order_with_the_schedule_merged);
    tcase_add_test(tc, test_schedule_naming_a_missing_component_is_an_error);
    tcase_add_test(tc, test_job_mtbf_sums_the_stopping_rates);
    tcase_add_test(tc, test_long_run_failure_count_matches_the_rate);
    suite_add_tcase(s, tc);
    TCase *tl = tcase_create("loader");
    tcase_add_test(tl, test_loader_reads_classes_and_schedule);
    tcase_add_loop_test(tl, test_loader_rejects_bad_failure_keys, 0, (int)(sizeof BAD / sizeof BAD[0]));
    suite_add_tcase(s, tl);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(failure_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
