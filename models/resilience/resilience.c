/* Resilience in a run: the component counts the failure plan is drawn over (from the built
 * platform), the checkpoint costs (storage model, sized from the model), the actor that injects
 * failures into the detailed iterations and then plays the job timeline on SimGrid's clock, and
 * the output. Invariant: every failure of the plan up to the end of the run is handled exactly
 * once - live during the detailed part (a flap degrades the simulated link; a stopping failure
 * is handed to the timeline at its start) or by the timeline. */
#include "resilience/resilience.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failure/failure.h"
#include "resilience/timeline.h"
#include "storage/storage.h"
#include "units.h"
#include "workload/llm.h"

#define HOURS_PER_YEAR 8766.0 /* as sim/platform_report.c counts optics failures per year */

typedef struct flap {
    double start_s, end_s;
    int64_t link;
    double factor;
    bool open;
} flap;

typedef struct seg_row {
    double start_s, end_s, duration_s;
    char state[16];
    double progress_start, progress_end;
} seg_row;

/* What setup and check both derive from the scenario and the platform. */
typedef struct prep {
    fl_counts counts;
    failure_spec fs; /* the scenario's, with the optics rate taken from topology.media when asked */
    bool optics_from_topology;
    st_job job;
    st_ckpt_cost ck;
    double ckpt_B;
    double tokens_iter; /* 0 for dp_allreduce */
} prep;

static struct rs_run {
    bool on;
    const scenario_t *sc;
    platform_t *plat;
    trace_t *trace;
    prep pr;
    fl_plan *plan;
    sg_sem_t sem;
    bool wl_done;
    /* the detailed part */
    double *it_end;
    size_t nit, capit;
    double last_done;
    flap *fl;
    size_t nfl, capfl;
    fl_event *ho; /* failures handed over to the timeline */
    size_t nho, capho;
    /* figures */
    double t0, iter_meas_s, iter_s, data_s, slowdown, mtbf_s, young_s, daly_s;
    bool slowdown_measured;
    int64_t healthy_iters, degraded_iters, interval_iters;
    double work_iters;
    /* the timeline */
    rs_timeline *tl;
    rs_totals tot;
    trace_table_t *segs;
    seg_row cur;
    bool have_cur;
    rs_state last_state;
    int32_t *accs;
    int32_t naccs;
    bool failed;
    diag_t err;
} R;

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const trace_col SEG_COLS[] = {
    {"start", TCOL_F64, offsetof(seg_row, start_s), 0, "s", "when the job entered the state"},
    {"end", TCOL_F64, offsetof(seg_row, end_s), 0, "s", "when it left it"},
    {"duration", TCOL_F64, offsetof(seg_row, duration_s), 0, "s", "end - start"},
    {"state", TCOL_STR, offsetof(seg_row, state), 16, "",
     "detailed (the workload's simulated iterations), run, checkpoint, detect, wait_repair, restart, restore"},
    {"progress_start", TCOL_F64, offsetof(seg_row, progress_start), 0, "1", "iterations kept at the start"},
    {"progress_end", TCOL_F64, offsetof(seg_row, progress_end), 0, "1",
     "iterations kept at the end (lower than progress_start after a rollback)"},
};

/* ---- preparation (no SimGrid) ---- */

static int prepare(const scenario_t *sc, const platform_t *plat, prep *pr, diag_t *err)
{
    memset(pr, 0, sizeof *pr);
    pr->fs = sc->failures;
    platform_figures fig;
    if (platform_figures_get(plat, &fig))
        return diag_fail(err, "out of memory");
    int64_t n = platform_accelerators(plat), apn = platform_accels_per_node(plat);
    if (apn < 1)
        apn = 1;
    int64_t switches = 0;
    for (int k = 0; k < 3; k++)
        switches += fig.up_switches[k] + fig.out_switches[k];
    int64_t modules = fig.up_modules + fig.out_modules;
    int64_t nphys = platform_nphys_links(plat);
    const int64_t have[FL__NCLASSES] = {n, n, (n + apn - 1) / apn, switches, modules, nphys, 1};
    for (int c = 0; c < FL__NCLASSES; c++)
        pr->counts.n[c] = c != FL_SOFTWARE && pr->fs.cls[c].count > 0 ? pr->fs.cls[c].count : have[c];
    if (pr->counts.n[FL_LINK_FLAP] > nphys)
        return scenario_fail_at(sc, "failures.link_flap.count", err,
                                "'failures.link_flap.count' (%lld) exceeds the platform's physical links (%lld): "
                                "a flap names the link it degrades",
                                (long long)pr->counts.n[FL_LINK_FLAP], (long long)nphys);
    fl_class_spec *o = &pr->fs.cls[FL_OPTICS];
    if (o->dist != FL_DIST_NONE && !(o->mtbf_s > 0) && !(o->fit > 0)) {
        if (modules > 0 && fig.optics_failures_per_year > 0) {
            o->mtbf_s = 3600.0 * HOURS_PER_YEAR * (double)modules / fig.optics_failures_per_year;
            pr->optics_from_topology = true;
        } else {
            o->dist = FL_DIST_NONE; /* no optical module, or none with a failure rate */
        }
    }
    pr->job.nodes = (n + apn - 1) / apn;
    pr->job.accels_per_node = apn;
    if (sc->topo.scaleout.kind != TOPO_SO_NONE)
        pr->job.scaleout_nic_Bps = sc->topo.scaleout.link.bw_Bps *
                                   (double)(sc->topo.scaleout.nics == TOPO_NIC_PER_ACCELERATOR ? apn : 1);
    if (sc->wl.kind == WL_TRAINING)
        pr->tokens_iter = (double)sc->wl.training.global_batch * (double)sc->wl.model.seq_len;
    pr->ckpt_B = sc->storage.ckpt.size_B > 0 ? sc->storage.ckpt.size_B
                                             : sc->storage.ckpt.bytes_per_param * llm_params_total(&sc->wl.model);
    if (storage_checkpoint_cost(&sc->storage, &pr->job, pr->ckpt_B, &pr->ck, err)) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        const char *key = strstr(msg, "nvme.capacity") ? "storage.nvme.capacity" : "storage.host.capacity";
        return scenario_fail_at(sc, key, err, "%s", msg);
    }
    return 0;
}

static bool active(const scenario_t *sc)
{
    return sc->resilience.mode == RS_MODE_TIMELINE && (sc->wl.kind == WL_TRAINING || sc->wl.kind == WL_DP_ALLREDUCE);
}

int resilience_check(const scenario_t *sc, const platform_t *plat, diag_t *err)
{
    if (!active(sc))
        return 0;
    prep pr;
    if (prepare(sc, plat, &pr, err))
        return -1;
    fl_plan *p = fl_plan_new(&pr.fs, &pr.counts, sc->seed, err);
    if (!p)
        return -1;
    fl_plan_free(p);
    return 0;
}

void resilience_describe(const scenario_t *sc, FILE *f)
{
    if (!active(sc))
        return;
    const resilience_spec *r = &sc->resilience;
    char h[64], det[64], rst[64];
    units_format(r->horizon_s, DIM_TIME, h, sizeof h);
    units_format(r->detection_s, DIM_TIME, det, sizeof det);
    units_format(r->restart_s, DIM_TIME, rst, sizeof rst);
    int classes = 0;
    for (int c = 0; c < FL__NCLASSES; c++)
        classes += sc->failures.cls[c].dist != FL_DIST_NONE;
    fprintf(f,
            "Resilience: after the detailed iterations the job continues on a timeline%s%s%s with %d failure "
            "process%s and %lld scheduled failure%s, %s %s checkpoints to the %s, detection %s, restart %s, %lld "
            "spare node%s.\n",
            r->horizon_s > 0 ? " for " : "", r->horizon_s > 0 ? h : "",
            r->iterations > 0 ? " (or until its iterations are done)" : "", classes, classes == 1 ? "" : "es",
            (long long)sc->failures.nschedule, sc->failures.nschedule == 1 ? "" : "s",
            r->policy == RS_CKPT_AUTO ? "Young-interval" : r->policy == RS_CKPT_INTERVAL ? "fixed-interval" : "no",
            sc->storage.ckpt.mode == ST_CKPT_TWO_STAGE ? "two-stage" : "synchronous",
            sc->storage.ckpt.tier == ST_TIER_NVME ? "node-local NVMe" : "parallel file system", det, rst,
            (long long)r->spares, r->spares == 1 ? "" : "s");
}

/* ---- the detailed part ---- */

static void fail(const char *fmt, const char *arg)
{
    if (!R.failed)
        diag_fail(&R.err, fmt, arg);
    R.failed = true;
}

static void on_progress(void *ctx, double done, double total)
{
    (void)ctx;
    (void)total;
    if (R.wl_done || !(done > R.last_done))
        return;
    R.last_done = done;
    if (R.nit == R.capit) {
        size_t c = R.capit ? 2 * R.capit : 64;
        double *v = realloc(R.it_end, c * sizeof *v);
        if (!v) {
            fail("out of memory (%s)", "iteration times");
            return;
        }
        R.it_end = v;
        R.capit = c;
    }
    R.it_end[R.nit++] = simgrid_get_clock();
}

static void on_workload_done(void *ctx)
{
    (void)ctx;
    if (R.wl_done)
        return;
    R.wl_done = true;
    sg_sem_release(R.sem);
}

/* Sets physical link LINK to the smallest factor of the open flaps on it (1 when none). A factor
 * that would leave a simulated link with no bandwidth at all (a single-plane link down) is not
 * applied: with static routes its traffic could never finish. Returns whether it was applied. */
static bool apply_link(int64_t link, double old_factor)
{
    double f = 1.0;
    for (size_t i = 0; i < R.nfl; i++)
        if (R.fl[i].open && R.fl[i].link == link && R.fl[i].factor < f)
            f = R.fl[i].factor;
    uint32_t changed[8];
    int k = platform_link_degrade(R.plat, link, f, changed, 8);
    if (k < 0) {
        fail("cannot degrade physical link %s", "(bad id)");
        return false;
    }
    const double *bw = platform_link_bw(R.plat);
    for (int i = 0; i < k; i++)
        if (!(bw[changed[i]] > 0)) {
            platform_link_degrade(R.plat, link, old_factor, changed, 8);
            return false;
        }
    diag_t e;
    if (platform_simgrid_sync(R.plat, &e))
        fail("%s", e.msg);
    return true;
}

/* The factor link LINK has now (the smallest of its open flaps, or 1). */
static double open_factor(int64_t link)
{
    double f = 1.0;
    for (size_t i = 0; i < R.nfl; i++)
        if (R.fl[i].open && R.fl[i].link == link && R.fl[i].factor < f)
            f = R.fl[i].factor;
    return f;
}

static int push_handover(const fl_event *f)
{
    if (R.nho == R.capho) {
        size_t c = R.capho ? 2 * R.capho : 16;
        fl_event *v = realloc(R.ho, c * sizeof *v);
        if (!v)
            return -1;
        R.ho = v;
        R.capho = c;
    }
    R.ho[R.nho++] = *f;
    return 0;
}

static int push_flap(flap x)
{
    if (R.nfl == R.capfl) {
        size_t c = R.capfl ? 2 * R.capfl : 16;
        flap *v = realloc(R.fl, c * sizeof *v);
        if (!v)
            return -1;
        R.fl = v;
        R.capfl = c;
    }
    R.fl[R.nfl++] = x;
    return 0;
}

static void component_of(const fl_event *f, char *buf, size_t n)
{
    static const char *const fmt[FL__NCLASSES] = {"acc%lld", "acc%lld.hbm", "node%lld", "switch%lld",
                                                  "module%lld", "link%lld", "job"};
    if (f->cls == FL_SOFTWARE)
        snprintf(buf, n, "job");
    else
        snprintf(buf, n, fmt[f->cls], (long long)f->component);
}

/* Whether a flap during the detailed part reaches the simulated iterations: a training job at
 * analytic fidelity with workload.symmetry = auto may run collapsed (one rank standing for a
 * class of identical ones, priced once), which cannot see one degraded link. */
static bool flaps_simulated(const scenario_t *sc)
{
    return !(sc->wl.kind == WL_TRAINING && sc->run.fidelity == FID_ANALYTIC &&
             sc->wl.training.symmetry == TR_SYMMETRY_AUTO);
}

/* Failures due now during the detailed part. */
static void inject_due(double now)
{
    double eps = 1e-9 * fmax(1.0, now);
    for (size_t i = 0; i < R.nfl; i++)
        if (R.fl[i].open && R.fl[i].end_s <= now + eps) {
            double before = open_factor(R.fl[i].link);
            R.fl[i].open = false;
            apply_link(R.fl[i].link, before);
            char comp[32];
            snprintf(comp, sizeof comp, "link%lld", (long long)R.fl[i].link);
            engine_event("link_restored", comp, 1.0, "1", "flap over: the simulated link is back");
        }
    while (fl_plan_peek_s(R.plan) <= now + eps) {
        fl_event f;
        if (fl_plan_next(R.plan, &f) || push_handover(&f)) {
            fail("out of memory (%s)", "failures");
            return;
        }
        char comp[32], d[112];
        component_of(&f, comp, sizeof comp);
        if (fl_class_stops(f.cls)) {
            snprintf(d, sizeof d, "%s %s failure during the detailed iterations: the job stops when they end",
                     f.scheduled ? "scheduled" : "drawn", fl_class_name(f.cls));
            engine_event("failure_deferred", comp, 0.0, "s", d);
            continue;
        }
        if (!flaps_simulated(R.sc)) {
            snprintf(d, sizeof d, "%s flap not simulated: the job may run collapsed (workload.symmetry: off measures it)",
                     f.scheduled ? "scheduled" : "drawn");
            engine_event("link_flap", comp, f.bw_factor, "1", d);
            continue;
        }
        double before = open_factor(f.component);
        if (push_flap((flap){f.t_s, f.t_s + f.duration_s, f.component, f.bw_factor, true})) {
            fail("out of memory (%s)", "flaps");
            return;
        }
        if (!apply_link(f.component, before)) {
            R.nfl--; /* not simulated: it does not count as a degraded window either */
            snprintf(d, sizeof d, "%s flap not simulated: it would leave a simulated link with no bandwidth",
                     f.scheduled ? "scheduled" : "drawn");
            engine_event("link_flap", comp, f.bw_factor, "1", d);
            continue;
        }
        snprintf(d, sizeof d, "%s flap on the simulated link: bandwidth x %.3g for %.6g s (cost measured)",
                 f.scheduled ? "scheduled" : "drawn", f.bw_factor, f.duration_s);
        engine_event("link_flap", comp, f.bw_factor, "1", d);
    }
}

static void detailed_phase(void)
{
    for (;;) {
        if (R.wl_done || R.failed)
            return;
        double now = simgrid_get_clock();
        double next = fl_plan_peek_s(R.plan);
        for (size_t i = 0; i < R.nfl; i++)
            if (R.fl[i].open && R.fl[i].end_s < next)
                next = R.fl[i].end_s;
        if (isinf(next))
            sg_sem_acquire(R.sem);
        else if (next > now)
            sg_sem_acquire_timeout(R.sem, next - now);
        if (R.wl_done)
            return;
        inject_due(simgrid_get_clock());
    }
}

/* Iteration k spans (end of k-1, end of k]; it ran degraded when an open flap overlapped it. */
static int measure(void)
{
    if (R.nit == 0) {
        fail("%s", "the workload reported no completed iteration: nothing to measure the job timeline from");
        return -1;
    }
    double healthy = 0, degraded = 0;
    for (size_t k = 0; k < R.nit; k++) {
        double a = k ? R.it_end[k - 1] : 0.0, b = R.it_end[k];
        bool hit = false;
        for (size_t i = 0; i < R.nfl && !hit; i++)
            hit = R.fl[i].start_s < b && R.fl[i].end_s > a;
        if (hit) {
            degraded += b - a;
            R.degraded_iters++;
        } else {
            healthy += b - a;
            R.healthy_iters++;
        }
    }
    if (R.healthy_iters == 0) {
        fail("%s", "every detailed iteration ran with a flapping link: the healthy iteration time is unknown (give "
                   "workload steps outside the flaps)");
        return -1;
    }
    R.iter_meas_s = healthy / (double)R.healthy_iters;
    R.slowdown_measured = R.degraded_iters > 0;
    R.slowdown = R.slowdown_measured ? (degraded / (double)R.degraded_iters) / R.iter_meas_s : 1.0;
    return 0;
}

/* ---- the timeline ---- */

static void on_event(void *ctx, double t_s, const char *kind, const char *component, double value, const char *unit,
                     const char *detail)
{
    (void)ctx;
    (void)t_s; /* the timeline reports events when they happen: at the current clock */
    engine_event(kind, component, value, unit, detail);
}

/* Running and checkpoint stalls count as computing: a stall lasts seconds every few minutes, and
 * not switching for it keeps the plant's updates to two per failure (16,384 accelerators times
 * tens of thousands of checkpoints would cost minutes). Down states are idle. */
static acc_state activity_of(rs_state s)
{
    return s == RS_RUN || s == RS_CKPT ? ACC_COMPUTE : ACC_IDLE;
}

static void close_segment(double t, double progress)
{
    if (!R.have_cur)
        return;
    R.cur.end_s = t;
    R.cur.duration_s = t - R.cur.start_s;
    R.cur.progress_end = progress;
    if (R.cur.duration_s > 0 && trace_table_append(R.segs, &R.cur))
        fail("out of memory (%s)", "segments");
    R.have_cur = false;
}

static void on_state(void *ctx, double t_s, rs_state s, double progress)
{
    (void)ctx;
    close_segment(t_s, progress);
    if (s != RS_DONE) {
        R.cur = (seg_row){.start_s = t_s, .progress_start = progress};
        snprintf(R.cur.state, sizeof R.cur.state, "%s", rs_state_name(s));
        R.have_cur = true;
    }
    if (R.sc->resilience.activity && activity_of(s) != activity_of(R.last_state))
        engine_set_state_many(R.accs, R.naccs, activity_of(s));
    R.last_state = s;
}

static void on_degrade(void *ctx, double t_s, int64_t link, double factor, bool on)
{
    /* After the detailed part no traffic runs on the simulated links: the flap's cost is the
     * measured slowdown the timeline applies. Nothing to change in SimGrid. */
    (void)ctx;
    (void)t_s;
    (void)link;
    (void)factor;
    (void)on;
}

static void choose_interval(void)
{
    const scenario_t *sc = R.sc;
    R.mtbf_s = fl_job_mtbf_s(&R.pr.fs, &R.pr.counts);
    double delta = R.pr.ck.stall_s;
    R.young_s = isinf(R.mtbf_s) ? INFINITY : rs_young_interval_s(delta, R.mtbf_s);
    R.daly_s = isinf(R.mtbf_s) ? INFINITY : rs_daly_interval_s(delta, R.mtbf_s);
    double tau = sc->resilience.policy == RS_CKPT_INTERVAL ? sc->resilience.interval_s
                 : sc->resilience.policy == RS_CKPT_AUTO   ? R.young_s
                                                            : INFINITY;
    if (isinf(tau))
        R.interval_iters = 0;
    else
        R.interval_iters = (int64_t)fmax(1.0, llround(tau / R.iter_s));
}

static void timeline_phase(void)
{
    const scenario_t *sc = R.sc;
    R.t0 = simgrid_get_clock();
    if (measure())
        return;
    R.data_s = storage_data_read_s(&sc->storage, &R.pr.job, R.pr.tokens_iter);
    R.iter_s = fmax(R.iter_meas_s, R.data_s);
    choose_interval();
    R.work_iters = (double)sc->resilience.iterations;
    if (!(R.work_iters > 0) && R.pr.tokens_iter > 0 && sc->wl.training.train_tokens > 0)
        R.work_iters = ceil(sc->wl.training.train_tokens / R.pr.tokens_iter);
    rs_params P = {
        .t0_s = R.t0,
        .progress0 = (double)R.nit,
        .iter_s = R.iter_s,
        .interval_iters = R.interval_iters,
        .stall_s = R.pr.ck.stall_s,
        .background_s = R.pr.ck.background_s,
        .restore_s = R.pr.ck.restore_s,
        .nvme_tier = sc->storage.ckpt.tier == ST_TIER_NVME,
        .pfs_every = sc->storage.ckpt.pfs_every,
        .pfs_copy_s = R.pr.ck.pfs_copy_s,
        .restore_pfs_s = R.pr.ck.restore_pfs_s,
        .detect_s = sc->resilience.detection_s,
        .restart_s = sc->resilience.restart_s,
        .spares = sc->resilience.spares,
        .horizon_s = sc->resilience.horizon_s,
        .work_iters = R.work_iters,
        .checkpoint_kind = sc->storage.ckpt.mode == ST_CKPT_TWO_STAGE ? "two-stage" : "sync",
    };
    P.slowdown[FL_LINK_FLAP] = R.slowdown;
    rs_hooks H = {NULL, on_event, on_state, on_degrade};
    R.tl = rs_timeline_new(&P, R.plan, &H);
    if (!R.tl) {
        fail("out of memory (%s)", "timeline");
        return;
    }
    R.cur = (seg_row){.start_s = 0, .progress_start = 0};
    snprintf(R.cur.state, sizeof R.cur.state, "detailed");
    R.have_cur = true;
    R.last_state = RS_DONE; /* the workload left every accelerator idle */
    on_state(NULL, R.t0, RS_RUN, P.progress0);
    for (size_t i = 0; i < R.nho; i++)
        rs_timeline_inject(R.tl, &R.ho[i]);
    while (!rs_timeline_done(R.tl)) {
        double next = rs_timeline_next_s(R.tl);
        if (isinf(next))
            break;
        if (next > simgrid_get_clock())
            sg_actor_sleep_until(next);
        if (rs_timeline_advance(R.tl, next)) {
            fail("out of memory (%s)", "timeline");
            return;
        }
        engine_progress_tick();
    }
    rs_timeline_totals(R.tl, &R.tot);
}

static void actor_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    detailed_phase();
    if (!R.failed)
        timeline_phase();
}

int resilience_setup(const scenario_t *sc, const platform_t *plat, trace_t *t, diag_t *err)
{
    memset(&R, 0, sizeof R);
    if (!active(sc))
        return 0;
    R.on = true;
    R.sc = sc;
    /* The platform is the run's own (platform_build made it); the engine lends it as const, and
     * link degradation is the one change this model makes to it. */
    R.plat = (platform_t *)plat;
    R.trace = t;
    if (prepare(sc, plat, &R.pr, err))
        return -1;
    R.plan = fl_plan_new(&R.pr.fs, &R.pr.counts, sc->seed, err);
    if (!R.plan)
        return -1;
    R.naccs = platform_accelerators(plat);
    R.accs = malloc((size_t)R.naccs * sizeof *R.accs);
    R.segs = trace_table_create(t, "/resilience/timeline", "the job's states over the run, one row per segment",
                                SEG_COLS, NCOLS(SEG_COLS), sizeof(seg_row));
    if (!R.accs || !R.segs)
        return diag_fail(err, "out of memory");
    for (int32_t i = 0; i < R.naccs; i++)
        R.accs[i] = i;
    R.sem = sg_sem_init(0);
    engine_on_progress(on_progress, NULL);
    engine_on_workload_done(on_workload_done, NULL);
    sg_actor_create("resilience", sg_host_by_name("acc0"), actor_main, 0, NULL);
    return 0;
}

static void summary(trace_t *t)
{
    const scenario_t *sc = R.sc;
    const rs_totals *T = &R.tot;
    const st_ckpt_cost *c = &R.pr.ck;
    double wall = T->wall_s, day = 86400.0;
    double recovery = T->in_state_s[RS_DETECT] + T->in_state_s[RS_WAIT_REPAIR] + T->in_state_s[RS_RESTART] +
                      T->in_state_s[RS_RESTORE];
    trace_summary_f64(t, "goodput", wall > 0 ? T->useful_s / wall : 0, "1",
                      "useful work (iterations kept x healthy iteration time) / wall-clock time of the job");
    trace_summary_f64(t, "effective_training_time_ratio", wall > 0 ? T->kept_run_s / wall : 0, "1",
                      "time spent on iterations whose results were kept / wall-clock time (ETTR)");
    trace_summary_f64(t, "job_wall_time", wall, "s", "wall-clock length of the job, detailed iterations included");
    trace_summary_f64(t, "job_iterations", T->progress, "1", "iterations kept at the end of the job");
    trace_summary_i64(t, "job_complete", T->complete ? 1 : 0, "1", "1 if the work was done before the horizon");
    if (R.pr.tokens_iter > 0) {
        trace_summary_f64(t, "job_tokens", T->progress * R.pr.tokens_iter, "1", "tokens trained (kept)");
        trace_summary_f64(t, "goodput_tokens_per_second", wall > 0 ? T->progress * R.pr.tokens_iter / wall : 0,
                          "1/s", "tokens kept / wall-clock time of the job");
    }
    trace_summary_f64(t, "useful_work_time", T->useful_s, "s", "iterations kept x healthy iteration time");
    trace_summary_f64(t, "lost_work_time", T->lost_iters * R.iter_s, "s",
                      "iterations rolled back by failures x healthy iteration time");
    trace_summary_f64(t, "lost_run_time", T->lost_run_s, "s", "wall time spent on iterations later rolled back");
    trace_summary_f64(t, "checkpoint_time_total", T->in_state_s[RS_CKPT], "s", "training stopped for checkpoints");
    trace_summary_f64(t, "recovery_time_total", recovery, "s",
                      "detection + waiting for repairs + restart + restore, over the job");
    trace_summary_f64(t, "detection_time_total", T->in_state_s[RS_DETECT], "s", "down, failure not yet detected");
    trace_summary_f64(t, "wait_repair_time_total", T->in_state_s[RS_WAIT_REPAIR], "s",
                      "down, waiting for a repaired node (no spare left)");
    trace_summary_f64(t, "restart_time_total", T->in_state_s[RS_RESTART], "s", "relaunching");
    trace_summary_f64(t, "restore_time_total", T->in_state_s[RS_RESTORE], "s", "reading checkpoints back");
    trace_summary_f64(t, "degraded_run_time", T->degraded_s, "s", "run time with at least one flapping link");
    trace_summary_f64(t, "degraded_extra_time", T->slowed_s, "s", "run time added by flapping links");
    trace_summary_i64(t, "interruptions", T->interruptions, "1", "times the running job was stopped by a failure");
    trace_summary_f64(t, "interruptions_per_day", wall > 0 ? (double)T->interruptions * day / wall : 0, "1/d",
                      "interruptions per day of wall-clock time (unit d = 86400 s)");
    trace_summary_f64(t, "mean_time_between_interruptions", T->interruptions ? wall / (double)T->interruptions : 0,
                      "s", "job wall time / interruptions");
    trace_summary_f64(t, "job_mtbf_expected", isinf(R.mtbf_s) ? 0 : R.mtbf_s, "s",
                      "1 / sum of the stopping classes' rates (0: none can fail)");
    trace_summary_i64(t, "failed_restarts", T->failed_restarts, "1", "failures while restarting or restoring");
    trace_summary_i64(t, "failures_while_down", T->while_down, "1",
                      "failures while the job was already down (detecting an earlier one, waiting for a repair)");
    int64_t all = 0;
    for (int k = 0; k < FL__NCLASSES; k++) {
        char name[64], doc[96];
        snprintf(name, sizeof name, "failures_%s", fl_class_name(k));
        snprintf(doc, sizeof doc, "%s failures over the job (drawn and scheduled)", fl_class_name(k));
        trace_summary_i64(t, name, T->failures[k], "1", doc);
        all += T->failures[k];
    }
    trace_summary_i64(t, "failures_total", all, "1", "failures of every class");
    int64_t stopping = all - T->failures[FL_LINK_FLAP];
    trace_summary_i64(t, "failures_stopping", stopping, "1",
                      "failures of the classes that stop the job, whatever its state (interruptions + failed "
                      "restarts + failures while down)");
    trace_summary_f64(t, "mean_time_between_failures", stopping ? wall / (double)stopping : 0, "s",
                      "job wall time / failures_stopping");
    trace_summary_i64(t, "node_failures", T->node_failures, "1", "accelerator, HBM and host failures");
    trace_summary_i64(t, "spares_used", T->spares_used, "1", "node failures a spare node absorbed at once");
    trace_summary_i64(t, "waits_for_repair", T->waits_for_repair, "1", "restarts that had to wait for a repair");
    trace_summary_i64(t, "checkpoints", T->checkpoints, "1", "checkpoints started");
    trace_summary_i64(t, "checkpoints_durable", T->checkpoints_durable, "1", "checkpoints that completed");
    trace_summary_i64(t, "checkpoints_lost", T->checkpoints_lost, "1", "checkpoints cut short by a failure");
    if (sc->storage.ckpt.tier == ST_TIER_NVME)
        trace_summary_i64(t, "checkpoint_pfs_copies", T->pfs_copies, "1", "checkpoints copied from NVMe to the PFS");
    trace_summary_f64(t, "checkpoint_interval", (double)R.interval_iters * R.iter_s, "s",
                      "useful work between checkpoints (0: never)");
    trace_summary_i64(t, "checkpoint_interval_iterations", R.interval_iters, "1", "iterations between checkpoints");
    trace_summary_f64(t, "checkpoint_interval_young", isinf(R.young_s) ? 0 : R.young_s, "s",
                      "sqrt(2 x checkpoint stall x job MTBF) (0: no stopping failure)");
    trace_summary_f64(t, "checkpoint_interval_daly", isinf(R.daly_s) ? 0 : R.daly_s, "s",
                      "Daly's higher-order optimum (0: no stopping failure)");
    trace_summary_f64(t, "checkpoint_size", c->size_B, "B", "one checkpoint of the whole job");
    trace_summary_f64(t, "checkpoint_copy", c->copy_s, "s", "accelerator memory -> host memory");
    trace_summary_f64(t, "checkpoint_write", c->write_s, "s", "host memory -> durable tier, all nodes at once");
    trace_summary_f64(t, "checkpoint_stall", c->stall_s, "s", "training stopped per checkpoint");
    trace_summary_f64(t, "checkpoint_restore", c->restore_s, "s", "reading a checkpoint back into accelerators");
    trace_summary_f64(t, "checkpoint_write_bandwidth_per_node", c->write_Bps, "B/s", "achieved by each node");
    trace_summary_str(t, "checkpoint_write_bound", c->write_bound ? c->write_bound : "",
                      "the limit that sets the write rate: aggregate, client, nic or nvme");
    trace_summary_f64(t, "iteration_time_measured", R.iter_meas_s, "s",
                      "mean healthy iteration of the detailed part (from each iteration's end)");
    trace_summary_f64(t, "data_read_per_iteration", R.data_s, "s",
                      "reading one iteration's training data from the PFS (prefetched)");
    trace_summary_f64(t, "iteration_time_job", R.iter_s, "s", "iteration time of the timeline: max(measured, read)");
    trace_summary_f64(t, "link_flap_slowdown", R.slowdown, "1",
                      "iteration time with a flapping link / healthy, measured in the detailed part (1: not "
                      "measured, no flap fell in it)");
    trace_summary_i64(t, "link_flap_slowdown_measured", R.slowdown_measured ? 1 : 0, "1",
                      "1 if detailed iterations ran with a flapping link");
    trace_summary_i64(t, "detailed_iterations", (int64_t)R.nit, "1", "iterations simulated in detail");
    trace_summary_f64(t, "detailed_time", R.t0, "s", "when the detailed iterations ended and the timeline began");
    if (sc->resilience.activity && R.pr.tokens_iter > 0)
        engine_work_done("token", T->progress * R.pr.tokens_iter);
}

int resilience_finish(trace_t *t, const engine_stats *st, diag_t *err)
{
    (void)st;
    if (!R.on)
        return 0;
    int rc = 0;
    if (R.failed) {
        rc = diag_fail(err, "resilience: %s", R.err.msg);
    } else if (!R.tl) {
        /* the run was interrupted or stopped before the workload ended */
        trace_summary_str(t, "resilience_note", "the run ended before the job timeline started", "why no goodput");
    } else {
        if (!rs_timeline_done(R.tl))
            rs_timeline_totals(R.tl, &R.tot); /* interrupted: figures up to now */
        close_segment(R.tot.wall_s, R.tot.progress);
        summary(t);
    }
    rs_timeline_free(R.tl);
    fl_plan_free(R.plan);
    if (R.sem)
        sg_sem_destroy(R.sem);
    free(R.it_end);
    free(R.fl);
    free(R.ho);
    free(R.accs);
    memset(&R, 0, sizeof R);
    return rc;
}
