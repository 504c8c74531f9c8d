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
#include "resilience/netfail.h"
#include "resilience/timeline.h"
#include "storage/storage.h"
#include "units.h"
#include "workload/llm.h"

#define HOURS_PER_YEAR 8766.0 /* as sim/platform_report.c counts optics failures per year */

/* A network degradation applied during the detailed iterations (its cost is measured). */
typedef struct live {
    double start_s, end_s;
    fl_event f;
    int64_t handle;
    double share; /* bandwidth share left on the simulated link it hurts most */
    bool open;
} live;

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
    rs_net *net;  /* failures that take links (NULL when none can happen) */
    live *lv;
    size_t nlv, caplv;
    fl_event *ho; /* failures handed over to the timeline, with what they did when they came */
    rs_effect *ho_fx;
    size_t nho, capho;
    const rs_effect *inj; /* the effect of the handed-over failure being injected */
    /* figures */
    double t0, iter_meas_s, iter_s, data_s, slowdown, mtbf_s, young_s, daly_s;
    bool slowdown_measured;
    double comm_exposure;             /* largest share of the detailed time an accelerator waited on communication */
    double exposure[FL__NCLASSES];    /* per degrading class: slowdown = 1 + exposure x (1/share - 1) */
    bool exposure_measured[FL__NCLASSES];
    int64_t cutting[FL__NCLASSES];    /* components whose failure alone leaves no path */
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

/* What PLAT has of each class (HAVE), and its figures (FIG). */
static void machine_has(const platform_t *plat, const platform_figures *fig, int64_t have[FL__NCLASSES])
{
    int64_t n = platform_accelerators(plat), apn = platform_accels_per_node(plat);
    if (apn < 1)
        apn = 1;
    const int64_t h[FL__NCLASSES] = {n,
                                     n,
                                     (n + apn - 1) / apn,
                                     platform_nswitches(plat),
                                     fig->up_modules + fig->out_modules,
                                     platform_nphys_links(plat),
                                     1,
                                     (int64_t)platform_supernodes(plat) * platform_planes(plat)};
    memcpy(have, h, sizeof h);
}

/* resilience_machine, also giving what the platform has of each class (HAVE). */
static int machine(const scenario_t *sc, const platform_t *plat, failure_spec *fs, fl_counts *counts,
                   bool *optics_from_topology, int64_t have[FL__NCLASSES], diag_t *err)
{
    *fs = sc->failures;
    *optics_from_topology = false;
    platform_figures fig;
    if (platform_figures_get(plat, &fig))
        return diag_fail(err, "out of memory");
    machine_has(plat, &fig, have);
    int64_t modules = have[FL_OPTICS];
    for (int c = 0; c < FL__NCLASSES; c++)
        counts->n[c] = c != FL_SOFTWARE && fs->cls[c].count > 0 ? fs->cls[c].count : have[c];
    fl_class_spec *o = &fs->cls[FL_OPTICS];
    if (o->dist != FL_DIST_NONE && !(o->mtbf_s > 0) && !(o->fit > 0)) {
        if (modules > 0 && fig.optics_failures_per_year > 0) {
            o->mtbf_s = 3600.0 * HOURS_PER_YEAR * (double)modules / fig.optics_failures_per_year;
            *optics_from_topology = true;
        } else {
            o->dist = FL_DIST_NONE; /* no optical module, or none with a failure rate */
        }
    }
    return 0;
}

int resilience_machine(const scenario_t *sc, const platform_t *plat, failure_spec *fs, fl_counts *counts,
                       bool *optics_from_topology, diag_t *err)
{
    int64_t have[FL__NCLASSES];
    return machine(sc, plat, fs, counts, optics_from_topology, have, err);
}

static int prepare(const scenario_t *sc, const platform_t *plat, prep *pr, diag_t *err)
{
    memset(pr, 0, sizeof *pr);
    int64_t have[FL__NCLASSES];
    if (machine(sc, plat, &pr->fs, &pr->counts, &pr->optics_from_topology, have, err))
        return -1;
    int64_t n = platform_accelerators(plat), apn = platform_accels_per_node(plat);
    if (apn < 1)
        apn = 1;
    /* the network classes name the parts they take: no more of them than the machine has */
    static const char *const WHAT[FL__NCLASSES] = {[FL_SWITCH] = "switch positions", [FL_OPTICS] = "optical module ends",
                                                   [FL_LINK_FLAP] = "physical links", [FL_PLANE] = "planes"};
    for (int c = 0; c < FL__NCLASSES; c++) {
        if (!fl_class_degrades(c) || pr->counts.n[c] <= have[c])
            continue;
        char key[64];
        snprintf(key, sizeof key, "failures.%s.count", fl_class_name(c));
        return scenario_fail_at(sc, key, err,
                                "'%s' (%lld) exceeds the machine's %s (%lld): a %s failure names the part it takes",
                                key, (long long)pr->counts.n[c], WHAT[c], (long long)have[c], fl_class_name(c));
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
            "spare node%s; a switch, module or plane failure that leaves a path %s.\n",
            r->horizon_s > 0 ? " for " : "", r->horizon_s > 0 ? h : "",
            r->iterations > 0 ? " (or until its iterations are done)" : "", classes, classes == 1 ? "" : "es",
            (long long)sc->failures.nschedule, sc->failures.nschedule == 1 ? "" : "s",
            r->policy == RS_CKPT_AUTO ? "Young-interval" : r->policy == RS_CKPT_INTERVAL ? "fixed-interval" : "no",
            sc->storage.ckpt.mode == ST_CKPT_TWO_STAGE ? "two-stage" : "synchronous",
            sc->storage.ckpt.tier == ST_TIER_NVME ? "node-local NVMe" : "parallel file system", det, rst,
            (long long)r->spares, r->spares == 1 ? "" : "s",
            r->network_failover == RS_FAILOVER_STOP ? "stops the job all the same" : "reroutes and the job runs on");
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

static int push_handover(const fl_event *f, const rs_effect *fx)
{
    if (R.nho == R.capho) {
        size_t c = R.capho ? 2 * R.capho : 16;
        fl_event *v = realloc(R.ho, c * sizeof *v);
        if (!v)
            return -1;
        R.ho = v;
        rs_effect *e = realloc(R.ho_fx, c * sizeof *e);
        if (!e)
            return -1;
        R.ho_fx = e;
        R.capho = c;
    }
    R.ho[R.nho] = *f;
    R.ho_fx[R.nho++] = *fx;
    return 0;
}

static int push_live(live x)
{
    if (R.nlv == R.caplv) {
        size_t c = R.caplv ? 2 * R.caplv : 16;
        live *v = realloc(R.lv, c * sizeof *v);
        if (!v)
            return -1;
        R.lv = v;
        R.caplv = c;
    }
    R.lv[R.nlv++] = x;
    return 0;
}

/* Whether a degradation during the detailed part reaches the simulated iterations: a training
 * job at analytic fidelity may run collapsed (one rank standing for a class of identical ones,
 * priced once), which cannot see one degraded link (training_sym.c turns the collapse off when
 * failures.schedule degrades the network, so that a scheduled one is measured). */
static bool degradations_simulated(void)
{
    return !engine_symmetric();
}

/* What a failure of a degrading class does on the machine as it is now (FX: stops, share,
 * detail; the slowdown is set by the timeline's hook once the exposure is known). */
static int net_effect(const fl_event *f, rs_effect *fx, double *share)
{
    memset(fx, 0, sizeof *fx);
    *share = 1.0;
    rs_net_effect e;
    if (!R.net || rs_net_eval(R.net, f, &e)) {
        fail("cannot evaluate a network failure (%s)", fl_class_name(f->cls));
        return -1;
    }
    fx->stops = e.cuts || (f->cls != FL_LINK_FLAP && R.sc->resilience.network_failover == RS_FAILOVER_STOP);
    fx->duration_s = f->duration_s;
    fx->factor = e.share;
    *share = e.share;
    snprintf(fx->detail, sizeof fx->detail, "%lld link%s, worst simulated link x %.4g%s", (long long)e.links,
             e.links == 1 ? "" : "s", e.share, e.cuts ? ": no path left" : "");
    return 0;
}

static void sync_platform(void)
{
    diag_t e;
    if (platform_simgrid_sync(R.plat, &e))
        fail("%s", e.msg);
}

/* Failures due now during the detailed part. */
static void inject_due(double now)
{
    double eps = 1e-9 * fmax(1.0, now);
    for (size_t i = 0; i < R.nlv; i++)
        if (R.lv[i].open && R.lv[i].end_s <= now + eps) {
            R.lv[i].open = false;
            if (rs_net_close(R.net, R.lv[i].handle)) {
                fail("out of memory (%s)", "degradations");
                return;
            }
            sync_platform();
            char comp[32];
            fl_component_name(&R.lv[i].f, comp, sizeof comp);
            engine_event(rs_up_kind(R.lv[i].f.cls), comp, 1.0, "1",
                         "back in service: the simulated links have their bandwidth again");
        }
    while (fl_plan_peek_s(R.plan) <= now + eps) {
        fl_event f;
        if (fl_plan_next(R.plan, &f)) {
            fail("out of memory (%s)", "failures");
            return;
        }
        char comp[32], d[256];
        fl_component_name(&f, comp, sizeof comp);
        rs_effect fx = {.stops = fl_class_stops(f.cls), .duration_s = f.duration_s, .slow = 1.0};
        double share = 1.0;
        if (fl_class_degrades(f.cls) && net_effect(&f, &fx, &share))
            return;
        if (push_handover(&f, &fx)) {
            fail("out of memory (%s)", "failures");
            return;
        }
        if (fx.stops) {
            snprintf(d, sizeof d, "%s %s failure during the detailed iterations%s: the job stops when they end",
                     f.scheduled ? "scheduled" : "drawn", fl_class_name(f.cls),
                     fl_class_degrades(f.cls) ? " (no path left)" : "");
            engine_event("failure_deferred", comp, 0.0, "s", d);
            continue;
        }
        const char *kind = rs_down_kind(f.cls);
        if (!degradations_simulated()) {
            snprintf(d, sizeof d, "%s %s not simulated (symmetric run), cost estimated: %s",
                     f.scheduled ? "scheduled" : "drawn", fl_class_name(f.cls), fx.detail);
            engine_event(kind, comp, share, "1", d);
            continue;
        }
        live x = {f.t_s, f.t_s + fx.duration_s, f, -1, share, true};
        if (rs_net_open(R.net, &f, &x.handle) || push_live(x)) {
            fail("out of memory (%s)", "degradations");
            return;
        }
        sync_platform();
        snprintf(d, sizeof d, "%s %s for %.6g s, cost measured: %s", f.scheduled ? "scheduled" : "drawn",
                 fl_class_name(f.cls), fx.duration_s, fx.detail);
        engine_event(kind, comp, share, "1", d);
    }
}

static void detailed_phase(void)
{
    for (;;) {
        if (R.wl_done || R.failed)
            return;
        double now = simgrid_get_clock();
        double next = fl_plan_peek_s(R.plan);
        for (size_t i = 0; i < R.nlv; i++)
            if (R.lv[i].open && R.lv[i].end_s < next)
                next = R.lv[i].end_s;
        if (isinf(next))
            sg_sem_acquire(R.sem);
        else if (next > now)
            sg_sem_acquire_timeout(R.sem, next - now);
        if (R.wl_done)
            return;
        inject_due(simgrid_get_clock());
    }
}

/* The largest share of the detailed time any accelerator spent waiting on communication: what
 * a network slowed by a factor 1/share costs a synchronous job at most, per unit of time. */
static double comm_exposure(double t)
{
    if (!(t > 0))
        return 0;
    double m = 0;
    for (int32_t a = 0; a < R.naccs; a++)
        m = fmax(m, engine_state_time(a, ACC_COMM) / t);
    return fmin(1.0, m);
}

/* Live degradations that overlapped iteration K, which spans (end of K-1, end of K]; *WHICH
 * receives the last of them. */
static int overlaps(size_t k, size_t *which)
{
    double a = k ? R.it_end[k - 1] : 0.0, b = R.it_end[k];
    int hits = 0;
    for (size_t i = 0; i < R.nlv; i++)
        if (R.lv[i].start_s < b && R.lv[i].end_s > a) {
            hits++;
            *which = i;
        }
    return hits;
}

/* The healthy iteration time, and the exposure of each class from the iterations that ran under
 * exactly one degradation: slowdown - 1 = exposure x (1/share - 1). */
static int measure(void)
{
    if (R.nit == 0) {
        fail("%s", "the workload reported no completed iteration: nothing to measure the job timeline from");
        return -1;
    }
    /* Degraded iterations are compared with the steady healthy ones: the first iteration differs
     * from the rest (nothing of a previous one overlaps it), so it is left out of that
     * reference when another healthy one exists. */
    double healthy = 0, steady = 0;
    int64_t nsteady = 0;
    size_t which = 0;
    for (size_t k = 0; k < R.nit; k++) {
        if (overlaps(k, &which))
            continue;
        double dt = R.it_end[k] - (k ? R.it_end[k - 1] : 0.0);
        healthy += dt;
        R.healthy_iters++;
        if (k > 0) {
            steady += dt;
            nsteady++;
        }
    }
    if (R.healthy_iters == 0) {
        double first = INFINITY;
        for (size_t i = 0; i < R.nlv; i++)
            first = fmin(first, R.lv[i].start_s);
        char msg[320];
        snprintf(msg, sizeof msg,
                 "every detailed iteration ran with a degraded network (the first iteration ended at %.6g s, the first "
                 "network failure came at %.6g s), so the healthy iteration time is unknown: schedule network "
                 "failures after the first iteration or give the workload more steps",
                 R.it_end[0], first);
        fail("%s", msg);
        return -1;
    }
    R.iter_meas_s = healthy / (double)R.healthy_iters;
    double ref = nsteady ? steady / (double)nsteady : R.iter_meas_s;
    R.comm_exposure = comm_exposure(R.it_end[R.nit - 1]);
    double sum[FL__NCLASSES] = {0}, flap_slow = 0;
    int64_t cnt[FL__NCLASSES] = {0}, flap_n = 0;
    for (size_t k = 0; k < R.nit; k++) {
        int hits = overlaps(k, &which);
        if (hits == 0)
            continue;
        R.degraded_iters++;
        if (hits != 1)
            continue;
        double slow = (R.it_end[k] - (k ? R.it_end[k - 1] : 0.0)) / ref;
        const live *d = &R.lv[which];
        if (d->f.cls == FL_LINK_FLAP) {
            flap_slow += slow;
            flap_n++;
        }
        if (d->share < 1.0 && d->share > 0) {
            sum[d->f.cls] += fmax(0.0, slow - 1.0) / (1.0 / d->share - 1.0);
            cnt[d->f.cls]++;
        }
    }
    R.slowdown_measured = flap_n > 0;
    R.slowdown = flap_n ? flap_slow / (double)flap_n : 1.0;
    /* a class not measured takes the job's exposure measured under any class, else the
     * communication share (an upper bound: all of it on the degraded links) */
    double all = 0;
    int64_t nall = 0;
    for (int c = 0; c < FL__NCLASSES; c++) {
        all += sum[c];
        nall += cnt[c];
    }
    for (int c = 0; c < FL__NCLASSES; c++) {
        R.exposure_measured[c] = cnt[c] > 0;
        R.exposure[c] = cnt[c] ? sum[c] / (double)cnt[c] : nall ? all / (double)nall : R.comm_exposure;
    }
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

/* A degradation of the timeline starts or ends: kept on the platform (no traffic runs there
 * any more, but a later failure is judged on the machine as it is then, e.g. a second switch
 * of the same plane set). */
static void on_degrade(void *ctx, double t_s, const fl_event *f, bool on)
{
    (void)ctx;
    if (!R.net || R.failed)
        return;
    if (on) {
        live x = {t_s, INFINITY, *f, -1, 1.0, true};
        if (rs_net_open(R.net, f, &x.handle) || push_live(x))
            fail("out of memory (%s)", "degradations");
        return;
    }
    for (size_t i = 0; i < R.nlv; i++) {
        const fl_event *g = &R.lv[i].f;
        if (R.lv[i].open && g->t_s == f->t_s && g->cls == f->cls && g->component == f->component) {
            R.lv[i].open = false;
            if (rs_net_close(R.net, R.lv[i].handle))
                fail("out of memory (%s)", "degradations");
            return;
        }
    }
}

/* The timeline asks what failure F does: the decision taken when a handed-over failure came,
 * or the machine's answer now; a degradation slows iterations by 1 + exposure x (1/share - 1),
 * the exposure of its class measured in the detailed part or, failing that, the largest share
 * of time an accelerator waited on communication there. */
static void on_effect(void *ctx, const fl_event *f, rs_effect *out)
{
    (void)ctx;
    if (R.inj) {
        *out = *R.inj;
    } else if (fl_class_degrades(f->cls)) {
        double share;
        if (net_effect(f, out, &share))
            out->stops = fl_class_stops(f->cls);
    } else {
        memset(out, 0, sizeof *out);
        out->stops = true;
        out->duration_s = f->duration_s;
    }
    if (!out->stops) {
        double share = out->factor;
        out->slow = share > 0 && share < 1 ? 1.0 + R.exposure[f->cls] * (1.0 / share - 1.0) : 1.0;
    }
}

static void choose_interval(void)
{
    const scenario_t *sc = R.sc;
    fl_counts stopping = R.pr.counts;
    for (int c = 0; c < FL__NCLASSES; c++)
        if (fl_class_degrades(c))
            stopping.n[c] = R.cutting[c];
    R.mtbf_s = fl_mtbf_of_s(&R.pr.fs, &stopping);
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
    rs_hooks H = {NULL, on_event, on_state, on_degrade, on_effect};
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
    for (size_t i = 0; i < R.nho; i++) {
        R.inj = &R.ho_fx[i];
        rs_timeline_inject(R.tl, &R.ho[i]);
        R.inj = NULL;
    }
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

/* Whether any failure can take network links: a degrading class with a process, or one in the
 * schedule. */
static bool network_failures_possible(const prep *pr)
{
    for (int c = 0; c < FL__NCLASSES; c++)
        if (fl_class_degrades(c) && fl_class_rate_Hz(&pr->fs.cls[c], pr->counts.n[c]) > 0)
            return true;
    for (int64_t i = 0; i < pr->fs.nschedule; i++)
        if (fl_class_degrades(pr->fs.schedule[i].cls))
            return true;
    return false;
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
    if (network_failures_possible(&R.pr)) {
        R.net = rs_net_new(R.plat, &R.pr.counts);
        if (!R.net)
            return diag_fail(err, "out of memory (network failure index)");
        bool stop = sc->resilience.network_failover == RS_FAILOVER_STOP;
        for (int c = 0; c < FL__NCLASSES; c++) {
            if (!fl_class_degrades(c) || !(fl_class_rate_Hz(&R.pr.fs.cls[c], R.pr.counts.n[c]) > 0))
                continue;
            R.cutting[c] = stop && c != FL_LINK_FLAP ? R.pr.counts.n[c] : rs_net_cutting(R.net, c);
            if (R.cutting[c] < 0)
                return diag_fail(err, "out of memory (network failure index)");
        }
    }
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
    trace_summary_f64(t, "degraded_run_time", T->degraded_s, "s", "run time with the network degraded (flaps, switches, modules, planes that left a path)");
    trace_summary_f64(t, "degraded_extra_time", T->slowed_s, "s", "run time added by the degraded network");
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
    int64_t stopping = all - T->degradations;
    trace_summary_i64(t, "failures_stopping", stopping, "1",
                      "failures that stop the job, whatever its state (interruptions + failed restarts + failures "
                      "while down)");
    trace_summary_i64(t, "failures_degrading", T->degradations, "1",
                      "network failures that left a path: the job ran on, slower");
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
    trace_summary_f64(t, "comm_exposure", R.comm_exposure, "1",
                      "largest share of the detailed time an accelerator waited on communication");
    for (int k = 0; k < FL__NCLASSES; k++) {
        if (!fl_class_degrades(k))
            continue;
        char name[64], doc[200];
        snprintf(name, sizeof name, "degradation_exposure_%s", fl_class_name(k));
        snprintf(doc, sizeof doc,
                 "%s failures that leave a path slow iterations by 1 + this x (1/share - 1); measured in the detailed "
                 "part (this class, else any), else comm_exposure",
                 fl_class_name(k));
        trace_summary_f64(t, name, R.exposure[k], "1", doc);
        snprintf(name, sizeof name, "degradation_measured_%s", fl_class_name(k));
        snprintf(doc, sizeof doc, "1 if detailed iterations ran under a %s failure alone (exposure measured)",
                 fl_class_name(k));
        trace_summary_i64(t, name, R.exposure_measured[k] ? 1 : 0, "1", doc);
        snprintf(name, sizeof name, "cutting_%s", fl_class_name(k));
        snprintf(doc, sizeof doc, "%s components whose failure stops the job: no path left, or all with network_failover stop",
                 fl_class_name(k));
        if (k != FL_LINK_FLAP)
            trace_summary_i64(t, name, R.cutting[k], "1", doc);
    }
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
    free(R.lv);
    free(R.ho);
    free(R.ho_fx);
    rs_net_free(R.net);
    free(R.accs);
    memset(&R, 0, sizeof R);
    return rc;
}
