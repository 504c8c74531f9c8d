/* Check suite "resilience": the job timeline machine on hand-computed timelines (checkpoints,
 * rollback, detection, restart, restore, two-stage writes lost to a failure, waiting for a repair
 * without spares, NVMe checkpoints lost with their host, link flaps slowing iterations), its
 * accounting invariants, the checkpoint-interval sweep whose optimum lands within 10% of Young's
 * sqrt(2 delta M) with goodput matching Daly's closed form, a Llama 3 405B-like failure mix giving
 * about one interruption every three hours and more than 90% effective training time, and whole
 * runs: /events, /resilience/timeline and determinism (same seed, same trace). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5read.h"
#include "resilience/timeline.h"

/* A plan holding only the scheduled failures S[0..N). */
static fl_plan *plan_of(const fl_sched_spec *s, int n, const failure_spec *base)
{
    failure_spec fs;
    memset(&fs, 0, sizeof fs);
    if (base)
        fs = *base;
    for (int i = 0; i < n; i++)
        fs.schedule[i] = s[i];
    fs.nschedule = n;
    fl_counts c = {{0}};
    for (int k = 0; k < FL__NCLASSES; k++)
        c.n[k] = 64;
    c.n[FL_SOFTWARE] = 1;
    diag_t err;
    fl_plan *p = fl_plan_new(&fs, &c, 1, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    return p;
}

static rs_params base_params(void)
{
    rs_params P;
    memset(&P, 0, sizeof P);
    P.iter_s = 1.0;
    P.interval_iters = 10;
    P.stall_s = 2.0;
    P.restore_s = 3.0;
    P.detect_s = 5.0;
    P.restart_s = 7.0;
    P.spares = 4;
    P.pfs_every = 1;
    return P;
}

static void check_invariants(const rs_totals *T)
{
    double sum = 0;
    for (int s = 0; s < RS__NSTATES; s++)
        sum += T->in_state_s[s];
    ck_assert_msg(fabs(sum - T->wall_s) < 1e-9 * fmax(1, T->wall_s), "states sum to %.12g s, wall %.12g s", sum,
                  T->wall_s);
    ck_assert_msg(fabs(T->kept_run_s + T->lost_run_s - T->in_state_s[RS_RUN]) < 1e-9 * fmax(1, T->wall_s),
                  "kept %.12g + lost %.12g != run %.12g", T->kept_run_s, T->lost_run_s, T->in_state_s[RS_RUN]);
}

static rs_totals run_plan(const rs_params *P, fl_plan *plan)
{
    rs_timeline *tl = rs_timeline_new(P, plan, NULL);
    ck_assert_ptr_nonnull(tl);
    ck_assert_int_eq(rs_timeline_run(tl), 0);
    rs_totals T;
    rs_timeline_totals(tl, &T);
    rs_timeline_free(tl);
    check_invariants(&T);
    return T;
}

START_TEST(test_without_failures_only_checkpoints_cost)
{
    rs_params P = base_params();
    P.horizon_s = 1200; /* 100 cycles of 10 s of work + 2 s of stall */
    fl_plan *plan = plan_of(NULL, 0, NULL);
    rs_totals T = run_plan(&P, plan);
    fl_plan_free(plan);
    ck_assert_int_eq(T.checkpoints, 100);
    ck_assert_int_eq(T.checkpoints_durable, 100);
    ck_assert_double_eq_tol(T.progress, 1000.0, 1e-9);
    ck_assert_double_eq_tol(T.useful_s / T.wall_s, 10.0 / 12.0, 1e-12);
    ck_assert_double_eq_tol(T.in_state_s[RS_CKPT], 200.0, 1e-9);
    ck_assert_int_eq(T.interruptions, 0);
}
END_TEST

START_TEST(test_a_failure_rolls_back_and_recovers_in_detect_restart_restore)
{
    /* work 0-10, checkpoint 10-12 (durable at iteration 10), work 12-17: failure at 17 loses
     * 5 iterations; detect 17-22, restart 22-29, restore 29-32, run from iteration 10 */
    rs_params P = base_params();
    P.horizon_s = 40;
    fl_sched_spec s[] = {{.t_s = 17, .cls = FL_SOFTWARE, .duration_s = -1, .bw_factor = -1}};
    fl_plan *plan = plan_of(s, 1, NULL);
    rs_totals T = run_plan(&P, plan);
    fl_plan_free(plan);
    ck_assert_int_eq(T.interruptions, 1);
    ck_assert_double_eq_tol(T.lost_iters, 5.0, 1e-9);
    ck_assert_double_eq_tol(T.lost_run_s, 5.0, 1e-9);
    ck_assert_double_eq_tol(T.in_state_s[RS_DETECT], 5.0, 1e-9);
    ck_assert_double_eq_tol(T.in_state_s[RS_RESTART], 7.0, 1e-9);
    ck_assert_double_eq_tol(T.in_state_s[RS_RESTORE], 3.0, 1e-9);
    /* 32-40: 8 more iterations from 10 (the next checkpoint is at 20) */
    ck_assert_double_eq_tol(T.progress, 18.0, 1e-9);
    ck_assert_double_eq_tol(T.kept_run_s, 18.0, 1e-9);
}
END_TEST

START_TEST(test_failure_before_any_checkpoint_starts_over_without_restore)
{
    rs_params P = base_params();
    P.t0_s = 4;       /* a detailed part of 4 iterations ran before */
    P.progress0 = 4;
    P.horizon_s = 30;
    fl_sched_spec s[] = {{.t_s = 6, .cls = FL_ACCELERATOR, .component = 3, .duration_s = -1, .bw_factor = -1}};
    fl_plan *plan = plan_of(s, 1, NULL);
    rs_totals T = run_plan(&P, plan);
    fl_plan_free(plan);
    /* 6 iterations lost (the detailed ones too); detect 6-11, restart 11-18, no restore; run 18-28
     * (iterations 0-10), checkpoint 28-30 */
    ck_assert_double_eq_tol(T.lost_iters, 6.0, 1e-9);
    ck_assert_double_eq(T.in_state_s[RS_RESTORE], 0.0);
    ck_assert_double_eq_tol(T.progress, 10.0, 1e-9);
    ck_assert_double_eq_tol(T.in_state_s[RS_CKPT], 2.0, 1e-9);
    ck_assert_int_eq(T.spares_used, 1);
}
END_TEST

START_TEST(test_two_stage_write_lost_to_a_failure_falls_back_further)
{
    /* stall 2 (copy) then 6 of background write: checkpoint of 10 starts at 10, durable at 18;
     * a failure at 16 loses it: back to 0 */
    rs_params P = base_params();
    P.background_s = 6;
    P.horizon_s = 20;
    fl_sched_spec s[] = {{.t_s = 16, .cls = FL_SOFTWARE, .duration_s = -1, .bw_factor = -1}};
    fl_plan *plan = plan_of(s, 1, NULL);
    rs_totals T = run_plan(&P, plan);
    fl_plan_free(plan);
    ck_assert_int_eq(T.checkpoints, 1);
    ck_assert_int_eq(T.checkpoints_durable, 0);
    ck_assert_int_eq(T.checkpoints_lost, 1);
    ck_assert_double_eq_tol(T.lost_iters, 14.0, 1e-9); /* 10 before the checkpoint + 4 after */
    ck_assert_double_eq_tol(T.in_state_s[RS_CKPT], 2.0, 1e-9);
}
END_TEST

START_TEST(test_without_spares_the_job_waits_for_the_repair)
{
    rs_params P = base_params();
    P.spares = 0;
    P.horizon_s = 200;
    fl_sched_spec s[] = {{.t_s = 5, .cls = FL_HOST, .component = 1, .duration_s = -1, .bw_factor = -1}};
    failure_spec fs;
    memset(&fs, 0, sizeof fs);
    fs.cls[FL_HOST].repair_s = 100; /* the scheduled failure carries its class's repair time */
    fl_plan *plan = plan_of(s, 1, &fs);
    rs_totals T = run_plan(&P, plan);
    fl_plan_free(plan);
    /* detect 5-10, wait until the repair at 105, restart 105-112, run from 0 */
    ck_assert_int_eq(T.waits_for_repair, 1);
    ck_assert_double_eq_tol(T.in_state_s[RS_WAIT_REPAIR], 95.0, 1e-9);
    ck_assert_double_eq_tol(T.wait_repair_max_s, 95.0, 1e-9);
    ck_assert_int_eq(T.spares_used, 0);
}
END_TEST

START_TEST(test_nvme_checkpoint_dies_with_its_host)
{
    /* NVMe tier, every 2nd checkpoint copied to the PFS (copy takes 1 s): durable on NVMe at 10,
     * 20 (PFS copy of 20 done at 25), 30 (local only); host failure at 40 -> back to 20 from the
     * PFS copy; a software failure would only have gone back to 30 */
    for (int host = 0; host < 2; host++) {
        rs_params P = base_params();
        P.nvme_tier = true;
        P.pfs_every = 2;
        P.pfs_copy_s = 1;
        P.restore_pfs_s = 9;
        P.horizon_s = 41;
        fl_sched_spec s[] = {{.t_s = 40.5, .cls = host ? FL_HOST : FL_SOFTWARE, .duration_s = -1, .bw_factor = -1}};
        fl_plan *plan = plan_of(s, 1, NULL);
        rs_totals T = run_plan(&P, plan);
        fl_plan_free(plan);
        ck_assert_int_eq(T.pfs_copies, 1);
        /* progress at 40.5: cycles of 12 s: 10 at 12, 20 at 24, 30 at 36, then 4.5 more */
        double want_lost = host ? 34.5 - 20.0 : 34.5 - 30.0;
        ck_assert_msg(fabs(T.lost_iters - want_lost) < 1e-9, "%s failure: lost %.12g iterations, want %.12g",
                      host ? "host" : "software", T.lost_iters, want_lost);
    }
}
END_TEST

START_TEST(test_a_link_flap_slows_iterations_by_the_measured_factor)
{
    rs_params P = base_params();
    P.interval_iters = 0;
    P.slowdown[FL_LINK_FLAP] = 2.0;
    P.horizon_s = 100;
    fl_sched_spec s[] = {{.t_s = 10, .cls = FL_LINK_FLAP, .component = 3, .duration_s = 20, .bw_factor = 0}};
    fl_plan *plan = plan_of(s, 1, NULL);
    rs_totals T = run_plan(&P, plan);
    fl_plan_free(plan);
    ck_assert_int_eq(T.interruptions, 0);
    ck_assert_double_eq_tol(T.progress, 90.0, 1e-9); /* 20 s at half speed */
    ck_assert_double_eq_tol(T.degraded_s, 20.0, 1e-9);
    ck_assert_double_eq_tol(T.slowed_s, 10.0, 1e-9);
    ck_assert_double_eq_tol(T.kept_run_s, 100.0, 1e-9); /* ETTR counts slow running as running */
}
END_TEST

START_TEST(test_work_target_ends_the_job)
{
    rs_params P = base_params();
    P.work_iters = 25;
    fl_plan *plan = plan_of(NULL, 0, NULL);
    rs_totals T = run_plan(&P, plan);
    fl_plan_free(plan);
    ck_assert(T.complete);
    ck_assert_double_eq_tol(T.progress, 25.0, 1e-12);
    ck_assert_double_eq_tol(T.wall_s, 29.0, 1e-9); /* 25 iterations and two checkpoints */
}
END_TEST

START_TEST(test_young_and_daly_formulas)
{
    ck_assert_double_eq_tol(rs_young_interval_s(60, 10800), sqrt(2 * 60 * 10800.0), 1e-9);
    double x = 60 / (2 * 10800.0);
    ck_assert_double_eq_tol(rs_daly_interval_s(60, 10800),
                            sqrt(2 * 60 * 10800.0) * (1 + sqrt(x) / 3 + x / 9) - 60, 1e-9);
    ck_assert_double_eq(rs_daly_interval_s(30000, 10000), 10000);
    /* Daly's goodput with no failure cost tends to tau / (tau + delta) */
    ck_assert_double_eq_tol(rs_daly_goodput(100, 10, 1e12, 0), 100.0 / 110.0, 1e-6);
}
END_TEST

/* ---- the checkpoint-interval sweep ---- */

START_TEST(test_interval_sweep_optimum_is_within_ten_percent_of_young)
{
    const double M = 10800, delta = 60, detect = 60, restart = 120;
    failure_spec fs;
    memset(&fs, 0, sizeof fs);
    fs.cls[FL_SOFTWARE] = (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = M};
    fl_counts c = {{0}};
    c.n[FL_SOFTWARE] = 1;
    const double young = rs_young_interval_s(delta, M);
    /* a geometric grid from young / 3 to 3 young; the same failure times at every point */
    enum { NPTS = 25 };
    double tau[NPTS], g[NPTS];
    int best = 0;
    double A[3][3] = {{0}}, bvec[3] = {0};
    for (int i = 0; i < NPTS; i++) {
        tau[i] = young / 3 * pow(9.0, (double)i / (NPTS - 1));
        rs_params P;
        memset(&P, 0, sizeof P);
        P.iter_s = 1;
        P.interval_iters = (int64_t)llround(tau[i]);
        P.stall_s = delta;
        P.detect_s = detect;
        P.restart_s = restart;
        P.horizon_s = 5000 * M;
        P.pfs_every = 1;
        diag_t err;
        fl_plan *plan = fl_plan_new(&fs, &c, 2024, &err);
        ck_assert_ptr_nonnull(plan);
        rs_totals T = run_plan(&P, plan);
        fl_plan_free(plan);
        g[i] = T.useful_s / T.wall_s;
        if (g[i] > g[best])
            best = i;
        /* Daly's closed form for the same model (recovery = detect + restart; nothing to restore) */
        double daly = rs_daly_goodput((double)P.interval_iters, delta, M, detect + restart);
        ck_assert_msg(fabs(g[i] - daly) < 0.006, "tau %.0f s: simulated goodput %.5f, Daly's closed form %.5f",
                      tau[i], g[i], daly);
        /* least squares of the loss 1 - g on (1/tau, tau, 1): the first-order model */
        double row[3] = {1.0 / tau[i], tau[i], 1.0}, y = 1.0 - g[i];
        for (int r = 0; r < 3; r++) {
            bvec[r] += row[r] * y;
            for (int q = 0; q < 3; q++)
                A[r][q] += row[r] * row[q];
        }
    }
    /* solve the 3x3 normal equations (Cramer) */
    double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                 A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
    double a = (bvec[0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (bvec[1] * A[2][2] - A[1][2] * bvec[2]) +
                A[0][2] * (bvec[1] * A[2][1] - A[1][1] * bvec[2])) /
               det;
    double b = (A[0][0] * (bvec[1] * A[2][2] - A[1][2] * bvec[2]) - bvec[0] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                A[0][2] * (A[1][0] * bvec[2] - bvec[1] * A[2][0])) /
               det;
    ck_assert_msg(a > 0 && b > 0, "fitted loss a/tau + b tau has a = %g, b = %g", a, b);
    double fitted = sqrt(a / b);
    ck_assert_msg(fabs(fitted - young) <= 0.10 * young,
                  "the sweep's optimum %.1f s (fitted), Young's sqrt(2 delta M) %.1f s: %.1f%% apart", fitted, young,
                  100 * (fitted / young - 1));
    ck_assert_msg(fabs(tau[best] - young) <= 0.25 * young, "best grid point %.1f s, Young %.1f s", tau[best], young);
}
END_TEST

/* ---- a Llama 3 405B-like failure mix (pure timeline, no detailed part) ---- */

START_TEST(test_llama3_mix_interrupts_every_three_hours_with_ettr_above_ninety_percent)
{
    /* per-component MTBFs as the scenario defaults (docs/sources.md) on 16,384 GPUs, 2,048 hosts,
     * 98,304 optical module ends calibrated to 35 network failures, one job */
    failure_spec fs;
    memset(&fs, 0, sizeof fs);
    fs.cls[FL_ACCELERATOR] = (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 108334 * 3600.0, .repair_s = 86400};
    fs.cls[FL_HBM] = (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 294912 * 3600.0, .repair_s = 86400};
    fs.cls[FL_HOST] = (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 50080 * 3600.0, .repair_s = 86400};
    fs.cls[FL_OPTICS] = (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 3.640e6 * 3600.0, .repair_s = 14400};
    fs.cls[FL_SOFTWARE] = (fl_class_spec){.dist = FL_DIST_EXPONENTIAL, .mtbf_s = 20.57 * 3600.0};
    fl_counts c = {{0}};
    c.n[FL_ACCELERATOR] = c.n[FL_HBM] = 16384;
    c.n[FL_HOST] = 2048;
    c.n[FL_OPTICS] = 98304;
    c.n[FL_SOFTWARE] = 1;
    double mtbf = fl_job_mtbf_s(&fs, &c);
    ck_assert_msg(fabs(mtbf / 3600 - 1296.0 / 419) < 0.01, "job MTBF %.4f h, published 54 d / 419 = %.4f h",
                  mtbf / 3600, 1296.0 / 419);
    rs_params P;
    memset(&P, 0, sizeof P);
    P.iter_s = 8.66;             /* the scenario's measured iteration */
    P.stall_s = 3.25;            /* 6.5 TB at 2 TB/s */
    P.restore_s = 3.25;
    P.interval_iters = (int64_t)llround(rs_young_interval_s(P.stall_s, mtbf) / P.iter_s);
    P.detect_s = 120;
    P.restart_s = 480;
    P.spares = 32;
    P.horizon_s = 54 * 86400.0;
    P.pfs_every = 1;
    double ettr = 0, per_day = 0;
    const int seeds = 4;
    for (int seed = 0; seed < seeds; seed++) {
        diag_t err;
        fl_plan *plan = fl_plan_new(&fs, &c, 405 + (uint64_t)seed, &err);
        ck_assert_ptr_nonnull(plan);
        rs_totals T = run_plan(&P, plan);
        fl_plan_free(plan);
        ettr += T.kept_run_s / T.wall_s / seeds;
        per_day += (double)T.interruptions / 54.0 / seeds;
    }
    double hours_between = 24.0 / per_day;
    ck_assert_msg(hours_between > 2.7 && hours_between < 3.5, "one interruption every %.2f h (published ~3 h)",
                  hours_between);
    ck_assert_msg(ettr > 0.90 && ettr < 0.95, "effective training time %.3f (published: above 0.90)", ettr);
}
END_TEST

/* ---- whole runs ---- */

static char *run_scenario_to(const char *dir, const char *scenario, const char *name, const char *sets)
{
    const char *bin = getenv("OASTWIN"), *root = getenv("OASTWIN_ROOT");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s run %s/scenarios/tests/%s.yaml -q -o %s/%s.h5 %s 2>%s/err",
             bin && *bin ? bin : "build/oastwin", root && *root ? root : ".", scenario, dir, name, sets, dir);
    ck_assert_msg(system(cmd) == 0, "run failed: %s", cmd);
    char *path = malloc(512);
    snprintf(path, 512, "%s/%s.h5", dir, name);
    return path;
}

static char *run_to(const char *dir, const char *name, const char *sets)
{
    return run_scenario_to(dir, "resilience-small", name, sets);
}

static double figure(h5r_figure *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].name, name))
            return f[i].value;
    ck_abort_msg("no summary figure %s", name);
    return NAN;
}

START_TEST(test_run_writes_events_timeline_and_goodput)
{
    char dir[] = "/tmp/check_resilience_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *path = run_to(dir, "a", "");
    diag_t err;
    h5r_file *f = h5r_open(path, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    h5r_figure *figs = NULL;
    size_t nf = 0;
    ck_assert_int_eq(h5r_summary(f, &figs, &nf, &err), 0);
    double wall = figure(figs, nf, "job_wall_time");
    ck_assert_double_eq_tol(wall, 2 * 86400.0, 1e-6);
    ck_assert_double_eq_tol(figure(figs, nf, "simulated_time"), wall, 1e-6);
    /* the timeline's segments tile the job: they start at 0, follow each other, end at the horizon */
    double *start = NULL, *end = NULL;
    size_t ns = 0, ne = 0;
    ck_assert_int_eq(h5r_table_f64(f, "/resilience/timeline", "start", &start, &ns, &err), 0);
    ck_assert_int_eq(h5r_table_f64(f, "/resilience/timeline", "end", &end, &ne, &err), 0);
    ck_assert_msg(ns > 10, "%zu segments", ns);
    ck_assert_double_eq(start[0], 0);
    for (size_t i = 1; i < ns; i++)
        ck_assert_msg(fabs(start[i] - end[i - 1]) < 1e-9, "segment %zu starts at %.12g, previous ends at %.12g", i,
                      start[i], end[i - 1]);
    ck_assert_double_eq_tol(end[ns - 1], wall, 1e-6);
    /* ETTR and goodput; the measured flap slowed the two iterations it covered */
    double ettr = figure(figs, nf, "effective_training_time_ratio"), gp = figure(figs, nf, "goodput");
    ck_assert_msg(ettr > 0.2 && ettr < 1 && gp <= ettr + 1e-12, "ETTR %.4f, goodput %.4f", ettr, gp);
    ck_assert_int_eq((int)figure(figs, nf, "link_flap_slowdown_measured"), 1);
    ck_assert_msg(figure(figs, nf, "link_flap_slowdown") > 1.05, "slowdown %.4f",
                  figure(figs, nf, "link_flap_slowdown"));
    double interruptions = figure(figs, nf, "interruptions");
    ck_assert_msg(interruptions >= 1, "no interruption in two days");
    /* every interruption has a failure, a detection, a restart and a resume row in /events */
    double *t = NULL;
    size_t nt = 0;
    ck_assert_int_eq(h5r_table_f64(f, "/events", "time", &t, &nt, &err), 0);
    for (size_t i = 1; i < nt; i++)
        ck_assert_msg(t[i] >= t[i - 1], "/events row %zu at %.12g s is before row %zu", i, t[i], i - 1);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "h5dump -d /events %s | grep -c '\"restart\\\\000' > %s/n_restart", path, dir);
    ck_assert_int_eq(system(cmd), 0);
    char p2[600];
    snprintf(p2, sizeof p2, "%s/n_restart", dir);
    FILE *fr = fopen(p2, "r");
    int nrestart = 0;
    ck_assert_int_eq(fscanf(fr, "%d", &nrestart), 1);
    fclose(fr);
    /* the last interruption may still be recovering at the horizon */
    ck_assert_msg(nrestart >= (int)interruptions - 1, "%d restart rows for %.0f interruptions", nrestart,
                  interruptions);
    free(start);
    free(end);
    free(t);
    free(figs);
    h5r_close(f);
    free(path);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* 0 if datasets D of traces A and B print identically (h5dump, without the file name line). */
static int same_dataset(const char *dir, const char *a, const char *b, const char *d)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "h5dump -d %s %s | tail -n +2 > %s/da && h5dump -d %s %s | tail -n +2 > %s/db && "
             "test -s %s/da && cmp -s %s/da %s/db",
             d, a, dir, d, b, dir, dir, dir, dir);
    return system(cmd);
}

START_TEST(test_run_same_seed_same_trace)
{
    char dir[] = "/tmp/check_resilience_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *a = run_to(dir, "a", ""), *b = run_to(dir, "b", ""), *c = run_to(dir, "c", "--seed 6");
    ck_assert_msg(same_dataset(dir, a, b, "/events") == 0, "same seed, different /events");
    ck_assert_msg(same_dataset(dir, a, b, "/resilience/timeline") == 0, "same seed, different /resilience/timeline");
    ck_assert_msg(same_dataset(dir, a, c, "/events") != 0, "seeds 5 and 6 gave the same /events");
    free(a);
    free(b);
    free(c);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Rows of /events of KIND in the trace at PATH (h5dump, as the test above counts restarts). */
static int count_events(const char *dir, const char *path, const char *kind)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "h5dump -d /events %s | grep -c '\"%s\\\\000' > %s/count; true", path, kind, dir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/count", dir);
    FILE *f = fopen(cmd, "r");
    int n = -1;
    ck_assert_int_eq(fscanf(f, "%d", &n), 1);
    fclose(f);
    return n;
}

START_TEST(test_switch_and_plane_failures_degrade_two_planes_and_stop_one)
{
    char dir[] = "/tmp/check_resilience_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char *two = run_scenario_to(dir, "resilience-netfail", "two", "");
    char *one = run_scenario_to(dir, "resilience-netfail", "one", "--set topology.planes=1");
    diag_t err;
    h5r_file *f2 = h5r_open(two, &err), *f1 = h5r_open(one, &err);
    ck_assert_msg(f2 && f1, "%s", err.msg);
    h5r_figure *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    ck_assert_int_eq(h5r_summary(f2, &a, &na, &err), 0);
    ck_assert_int_eq(h5r_summary(f1, &b, &nb, &err), 0);
    /* two planes: every switch failure leaves a path; the plane failure's cost was measured */
    ck_assert_int_eq((int)figure(a, na, "cutting_switch"), 0);
    int sw = (int)figure(a, na, "failures_switch");
    ck_assert_msg(sw >= 2, "%d switch failures", sw);
    ck_assert_int_eq(count_events(dir, two, "switch_down"), sw);
    int back = count_events(dir, two, "switch_restored"); /* a repair may fall after the horizon */
    ck_assert_msg(back <= sw && back >= sw - 2, "%d of %d switches back", back, sw);
    ck_assert_int_eq((int)figure(a, na, "degradation_measured_plane"), 1);
    double x = figure(a, na, "degradation_exposure_plane");
    ck_assert_msg(x > 0 && x < 1, "plane exposure %g", x);
    ck_assert_msg(figure(a, na, "degraded_extra_time") > 0, "the degraded network cost nothing");
    /* one plane: the only switch cuts every accelerator off, so its failures stop the job */
    ck_assert_int_eq((int)figure(b, nb, "cutting_switch"), 1);
    ck_assert_int_eq(count_events(dir, one, "switch_down"), 0);
    ck_assert_msg(figure(b, nb, "interruptions") > figure(a, na, "interruptions"), "interruptions %g vs %g",
                  figure(b, nb, "interruptions"), figure(a, na, "interruptions"));
    ck_assert_msg(figure(b, nb, "job_mtbf_expected") < figure(a, na, "job_mtbf_expected"),
                  "switches did not count in the job MTBF");
    ck_assert_int_eq((int)figure(a, na, "failures_degrading"), sw + 1); /* and the plane */
    ck_assert_int_eq((int)figure(b, nb, "failures_degrading"), 0);
    /* two planes, but a transport that cannot fail over: every switch failure stops the job */
    char *stop = run_scenario_to(dir, "resilience-netfail", "stop", "--set resilience.network_failover=stop");
    h5r_file *fs = h5r_open(stop, &err);
    ck_assert_msg(fs != NULL, "%s", err.msg);
    h5r_figure *c = NULL;
    size_t nc = 0;
    ck_assert_int_eq(h5r_summary(fs, &c, &nc, &err), 0);
    ck_assert_int_eq(count_events(dir, stop, "switch_down"), 0);
    ck_assert_int_eq((int)figure(c, nc, "cutting_switch"), 2);
    ck_assert_int_eq((int)figure(c, nc, "failures_degrading"), 0);
    ck_assert_msg(figure(c, nc, "interruptions") > figure(a, na, "interruptions"), "interruptions %g vs %g",
                  figure(c, nc, "interruptions"), figure(a, na, "interruptions"));
    free(c);
    h5r_close(fs);
    free(stop);
    free(a);
    free(b);
    h5r_close(f2);
    h5r_close(f1);
    free(two);
    free(one);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *resilience_suite(void)
{
    Suite *s = suite_create("resilience");
    TCase *tc = tcase_create("timeline");
    tcase_add_test(tc, test_without_failures_only_checkpoints_cost);
    tcase_add_test(tc, test_a_failure_rolls_back_and_recovers_in_detect_restart_restore);
    tcase_add_test(tc, test_failure_before_any_checkpoint_starts_over_without_restore);
    tcase_add_test(tc, test_two_stage_write_lost_to_a_failure_falls_back_further);
    tcase_add_test(tc, test_without_spares_the_job_waits_for_the_repair);
    tcase_add_test(tc, test_nvme_checkpoint_dies_with_its_host);
    tcase_add_test(tc, test_a_link_flap_slows_iterations_by_the_measured_factor);
    tcase_add_test(tc, test_work_target_ends_the_job);
    tcase_add_test(tc, test_young_and_daly_formulas);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("sweep");
    tcase_set_timeout(ts, 60);
    tcase_add_test(ts, test_interval_sweep_optimum_is_within_ten_percent_of_young);
    tcase_add_test(ts, test_llama3_mix_interrupts_every_three_hours_with_ettr_above_ninety_percent);
    suite_add_tcase(s, ts);
    TCase *tr = tcase_create("run");
    tcase_set_timeout(tr, 60);
    tcase_add_test(tr, test_run_writes_events_timeline_and_goodput);
    tcase_add_test(tr, test_run_same_seed_same_trace);
    tcase_add_test(tr, test_switch_and_plane_failures_degrade_two_planes_and_stop_one);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(resilience_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
