/* The job timeline machine (timeline.h). Between events the state flows: in RS_RUN progress
 * grows at 1 / (iteration time x slowdown), the kept run time K grows with it (K is the run
 * time that produced the current progress, so a rollback to a checkpoint taken at (p_c, K_c)
 * loses exactly K - K_c), and every state accumulates its wall time. Events are processed one
 * at a time in a fixed priority order at the same instant, so the outcome never depends on how
 * the caller slices time. */
#include "resilience/timeline.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct window {
    double end_s;
    double slow;   /* iteration-time multiplier */
    fl_event f;    /* the failure that opened it */
    double factor;
} window;

typedef struct level {
    double p, K;
} level;

struct rs_timeline {
    rs_params P;
    fl_plan *plan;
    rs_hooks H;
    double now;
    rs_state st;
    double phase_end;   /* end of CKPT, DETECT, RESTART, RESTORE; INFINITY otherwise */
    double p, K;        /* progress (iterations) and the run time that produced it */
    level dur, pfs;     /* last durable checkpoint; last one on the PFS (= dur with tier pfs) */
    double p_next;      /* progress at which the next checkpoint starts */
    level ck;           /* the checkpoint being taken (CKPT) */
    bool bg, pc;        /* background write / PFS copy in flight */
    double bg_end, pc_end;
    level bgl, pcl;
    bool restore_pfs;   /* the next restore reads the PFS copy */
    int64_t durable_count;
    window *w;
    size_t nw, capw;
    double slow;
    double *rep;        /* repair completion times of nodes out of service */
    size_t nrep, caprep;
    double wait_start;
    int oom;
    rs_totals T;
};

static const char *const STATE_NAMES[RS__NSTATES] = {"run", "checkpoint", "detect", "wait_repair",
                                                     "restart", "restore", "done"};

const char *rs_state_name(rs_state s)
{
    return s >= 0 && s < RS__NSTATES ? STATE_NAMES[s] : "?";
}

static void emit(rs_timeline *tl, const char *kind, const char *component, double value, const char *unit,
                 const char *detail)
{
    if (tl->H.event)
        tl->H.event(tl->H.ctx, tl->now, kind, component, value, unit, detail);
}

static void enter(rs_timeline *tl, rs_state s, double phase_end)
{
    tl->st = s;
    tl->phase_end = phase_end;
    if (tl->H.state)
        tl->H.state(tl->H.ctx, tl->now, s, tl->p);
}

static double next_multiple(double p, int64_t n)
{
    if (n <= 0)
        return INFINITY;
    double k = floor(p / (double)n + 1e-9);
    return (k + 1) * (double)n;
}

rs_timeline *rs_timeline_new(const rs_params *p, fl_plan *plan, const rs_hooks *hooks)
{
    rs_timeline *tl = calloc(1, sizeof *tl);
    if (!tl)
        return NULL;
    tl->P = *p;
    tl->plan = plan;
    if (hooks)
        tl->H = *hooks;
    tl->now = p->t0_s;
    tl->p = p->progress0;
    tl->K = p->t0_s; /* the detailed part ran from 0 to t0 */
    tl->T.in_state_s[RS_RUN] = p->t0_s;
    tl->slow = 1.0;
    tl->p_next = next_multiple(tl->p, p->interval_iters);
    tl->st = RS_RUN;
    tl->phase_end = INFINITY;
    return tl;
}

void rs_timeline_free(rs_timeline *tl)
{
    if (!tl)
        return;
    free(tl->w);
    free(tl->rep);
    free(tl);
}

bool rs_timeline_done(const rs_timeline *tl)
{
    return tl->st == RS_DONE;
}

/* ---- continuous part ---- */

static double run_rate(const rs_timeline *tl)
{
    return 1.0 / (tl->P.iter_s * tl->slow);
}

static void flow_to(rs_timeline *tl, double t)
{
    double dt = t - tl->now;
    if (!(dt > 0))
        return;
    tl->T.in_state_s[tl->st] += dt;
    if (tl->st == RS_RUN) {
        tl->p += dt * run_rate(tl);
        tl->K += dt;
        if (tl->slow > 1.0) {
            tl->T.slowed_s += dt * (1.0 - 1.0 / tl->slow);
            tl->T.degraded_s += dt;
        }
    }
    tl->now = t;
}

static double target_progress(const rs_timeline *tl)
{
    double t = tl->p_next;
    if (tl->P.work_iters > 0 && tl->P.work_iters < t)
        t = tl->P.work_iters;
    return t;
}

double rs_timeline_next_s(const rs_timeline *tl)
{
    if (tl->st == RS_DONE)
        return INFINITY;
    double t = fl_plan_peek_s(tl->plan);
    if (tl->P.horizon_s > 0 && tl->P.horizon_s < t)
        t = tl->P.horizon_s;
    if (tl->phase_end < t)
        t = tl->phase_end;
    if (tl->st == RS_RUN) {
        double target = target_progress(tl);
        if (!isinf(target)) {
            double at = tl->now + fmax(0.0, target - tl->p) / run_rate(tl);
            if (at < t)
                t = at;
        }
    }
    if (tl->bg && tl->bg_end < t)
        t = tl->bg_end;
    if (tl->pc && tl->pc_end < t)
        t = tl->pc_end;
    for (size_t i = 0; i < tl->nw; i++)
        if (tl->w[i].end_s < t)
            t = tl->w[i].end_s;
    for (size_t i = 0; i < tl->nrep; i++)
        if (tl->rep[i] < t)
            t = tl->rep[i];
    return t < tl->now ? tl->now : t;
}

/* ---- events ---- */

static void make_durable(rs_timeline *tl, level c)
{
    tl->dur = c;
    tl->T.checkpoints_durable++;
    tl->durable_count++;
    if (tl->P.background_s > 0) { /* a synchronous checkpoint is durable when its stall ends */
        char d[112];
        snprintf(d, sizeof d, "checkpoint of iteration %.0f is durable on the %s", c.p,
                 tl->P.nvme_tier ? "NVMe" : "PFS");
        emit(tl, "checkpoint_done", "job", c.p, "iteration", d);
    }
    if (!tl->P.nvme_tier) {
        tl->pfs = c;
        return;
    }
    if (tl->P.pfs_every <= 0 || tl->durable_count % tl->P.pfs_every != 0)
        return;
    if (tl->pc) {
        tl->T.pfs_copies_skipped++;
        return;
    }
    tl->pc = true;
    tl->pcl = c;
    tl->pc_end = tl->now + tl->P.pfs_copy_s;
}

/* Rolls progress back to the PFS level (TO_PFS) or the last durable checkpoint. */
static void rollback(rs_timeline *tl, bool to_pfs)
{
    level t = to_pfs ? tl->pfs : tl->dur;
    if (tl->p > t.p) {
        tl->T.lost_iters += tl->p - t.p;
        tl->T.lost_run_s += tl->K - t.K;
        tl->p = t.p;
        tl->K = t.K;
    }
    if (to_pfs)
        tl->dur = tl->pfs;
    tl->restore_pfs = tl->restore_pfs || (to_pfs && tl->P.nvme_tier);
    tl->p_next = next_multiple(tl->p, tl->P.interval_iters);
}

static void cancel_writes(rs_timeline *tl)
{
    if (tl->bg) {
        tl->bg = false;
        tl->T.checkpoints_lost++;
        emit(tl, "checkpoint_lost", "job", tl->bgl.p, "iteration", "background write interrupted by a failure");
    }
    if (tl->pc) {
        tl->pc = false;
        emit(tl, "checkpoint_lost", "job", tl->pcl.p, "iteration", "copy to the PFS interrupted by a failure");
    }
}

static int push_window(rs_timeline *tl, window w)
{
    if (tl->nw == tl->capw) {
        size_t c = tl->capw ? 2 * tl->capw : 8;
        window *v = realloc(tl->w, c * sizeof *v);
        if (!v)
            return -1;
        tl->w = v;
        tl->capw = c;
    }
    tl->w[tl->nw++] = w;
    return 0;
}

static void recompute_slow(rs_timeline *tl)
{
    double s = 1.0;
    for (size_t i = 0; i < tl->nw; i++)
        s *= tl->w[i].slow;
    tl->slow = s;
}

/* What failure F does: the caller's decision, or by class. */
static void effect_of(const rs_timeline *tl, const fl_event *f, rs_effect *fx)
{
    memset(fx, 0, sizeof *fx);
    if (tl->H.effect) {
        tl->H.effect(tl->H.ctx, f, fx);
        if (!(fx->slow >= 1.0))
            fx->slow = 1.0;
        return;
    }
    fx->stops = fl_class_stops(f->cls);
    fx->duration_s = f->duration_s;
    fx->slow = tl->P.slowdown[f->cls] > 1.0 ? tl->P.slowdown[f->cls] : 1.0;
    fx->factor = f->bw_factor;
}

const char *rs_down_kind(int cls)
{
    return cls == FL_SWITCH ? "switch_down" : cls == FL_OPTICS ? "module_down" : cls == FL_PLANE ? "plane_down"
                                                                                                  : "link_flap";
}

const char *rs_up_kind(int cls)
{
    return cls == FL_SWITCH    ? "switch_restored"
           : cls == FL_OPTICS ? "module_restored"
           : cls == FL_PLANE  ? "plane_restored"
                              : "link_restored";
}

/* Opens the degradation of failure F (effect FX) until END_S. */
static void open_window(rs_timeline *tl, const fl_event *f, const rs_effect *fx, double end_s)
{
    window w = {end_s, fx->slow, *f, fx->factor};
    if (push_window(tl, w)) {
        tl->oom = 1;
        return;
    }
    recompute_slow(tl);
}

static int add_repair(rs_timeline *tl, double t)
{
    if (tl->nrep == tl->caprep) {
        size_t c = tl->caprep ? 2 * tl->caprep : 8;
        double *v = realloc(tl->rep, c * sizeof *v);
        if (!v)
            return -1;
        tl->rep = v;
        tl->caprep = c;
    }
    tl->rep[tl->nrep++] = t;
    return 0;
}

static void go_down(rs_timeline *tl)
{
    enter(tl, RS_DETECT, tl->now + tl->P.detect_s);
}

static void handle_failure(rs_timeline *tl, const fl_event *f)
{
    char comp[32], d[256];
    fl_component_name(f, comp, sizeof comp);
    tl->T.failures[f->cls]++;
    rs_effect fx;
    effect_of(tl, f, &fx);
    if (!fx.stops) {
        tl->T.degradations++;
        open_window(tl, f, &fx, tl->now + fx.duration_s);
        if (fx.detail[0])
            snprintf(d, sizeof d, "%s %s for %.6g s, iterations x %.4g: %s", f->scheduled ? "scheduled" : "drawn",
                     fl_class_name(f->cls), fx.duration_s, fx.slow, fx.detail);
        else
            snprintf(d, sizeof d, "%s %s: bandwidth x %.3g for %.6g s; iterations x %.4g meanwhile",
                     f->scheduled ? "scheduled" : "drawn", fl_class_name(f->cls), fx.factor, fx.duration_s, fx.slow);
        emit(tl, rs_down_kind(f->cls), comp, fx.factor, "1", d);
        if (tl->H.degrade)
            tl->H.degrade(tl->H.ctx, tl->now, f, true);
        return;
    }
    bool node = fl_class_takes_node(f->cls);
    if (node) {
        tl->T.node_failures++;
        if (add_repair(tl, tl->now + f->duration_s)) {
            tl->oom = 1;
            return;
        }
        if ((int64_t)tl->nrep <= tl->P.spares)
            tl->T.spares_used++;
    }
    bool to_pfs = tl->P.nvme_tier && f->cls == FL_HOST;
    double before = tl->p;
    const char *what;
    switch (tl->st) {
    case RS_RUN:
    case RS_CKPT:
        tl->T.interruptions++;
        if (tl->st == RS_CKPT)
            tl->T.checkpoints_lost++;
        cancel_writes(tl);
        rollback(tl, to_pfs);
        what = "job interrupted";
        go_down(tl);
        break;
    case RS_DETECT:
    case RS_WAIT_REPAIR:
        tl->T.while_down++;
        if (to_pfs)
            rollback(tl, true);
        what = "job already down";
        break;
    case RS_RESTART:
    case RS_RESTORE:
        tl->T.failed_restarts++;
        rollback(tl, to_pfs);
        what = "restart failed";
        go_down(tl);
        break;
    default:
        return;
    }
    snprintf(d, sizeof d, "%s %s failure #%llu: %s; back to iteration %.0f%s", f->scheduled ? "scheduled" : "drawn",
             fl_class_name(f->cls), (unsigned long long)f->number + 1, what, tl->p,
             node ? ((int64_t)tl->nrep <= tl->P.spares ? "; a spare replaces the node" : "; no spare left") : "");
    emit(tl, "failure", comp, (before - tl->p) * tl->P.iter_s, "s", d);
}

static void end_phase(rs_timeline *tl)
{
    char d[112];
    switch (tl->st) {
    case RS_CKPT:
        if (tl->P.background_s > 0) {
            tl->bg = true;
            tl->bgl = tl->ck;
            tl->bg_end = tl->now + tl->P.background_s;
        } else {
            make_durable(tl, tl->ck);
        }
        enter(tl, RS_RUN, INFINITY);
        break;
    case RS_DETECT:
        emit(tl, "detection", "job", tl->P.detect_s, "s", "failure detected; the job is torn down");
        if ((int64_t)tl->nrep > tl->P.spares) {
            tl->T.waits_for_repair++;
            tl->wait_start = tl->now;
            snprintf(d, sizeof d, "%zu nodes out of service, %lld spares: waiting for a repair", tl->nrep,
                     (long long)tl->P.spares);
            emit(tl, "wait_repair", "job", (double)tl->nrep, "1", d);
            enter(tl, RS_WAIT_REPAIR, INFINITY);
        } else {
            enter(tl, RS_RESTART, tl->now + tl->P.restart_s);
        }
        break;
    case RS_RESTART: {
        double r = tl->p > 0 ? (tl->restore_pfs ? tl->P.restore_pfs_s : tl->P.restore_s) : 0.0;
        emit(tl, "restart", "job", tl->P.restart_s, "s", "job relaunched");
        enter(tl, RS_RESTORE, tl->now + r);
        break;
    }
    case RS_RESTORE:
        snprintf(d, sizeof d, "%s at iteration %.0f", tl->p > 0 ? "restored, resuming" : "no checkpoint: starting over",
                 tl->p);
        emit(tl, "resume", "job", tl->p, "iteration", d);
        tl->restore_pfs = false;
        enter(tl, RS_RUN, INFINITY);
        break;
    default:
        tl->phase_end = INFINITY;
        break;
    }
}

static void start_checkpoint(rs_timeline *tl)
{
    tl->T.checkpoints++;
    tl->ck = (level){tl->p, tl->K};
    tl->p_next = next_multiple(tl->p, tl->P.interval_iters);
    double begin = tl->bg ? fmax(tl->now, tl->bg_end) : tl->now;
    double end = begin + tl->P.stall_s;
    char d[112];
    snprintf(d, sizeof d, "%s checkpoint of iteration %.0f%s", tl->P.checkpoint_kind ? tl->P.checkpoint_kind : "sync",
             tl->p, begin > tl->now ? " (waits for the previous write)" : "");
    emit(tl, "checkpoint", "job", end - tl->now, "s", d);
    enter(tl, RS_CKPT, end);
}

static void finish(rs_timeline *tl, bool complete)
{
    tl->T.complete = complete;
    emit(tl, "job_end", "job", tl->p, "iteration", complete ? "work complete" : "horizon reached");
    enter(tl, RS_DONE, INFINITY);
}

/* Processes one event due now; returns whether there was one. */
static bool step(rs_timeline *tl)
{
    double now = tl->now, eps = 1e-9 * fmax(1.0, fabs(now));
    if (tl->st == RS_RUN) {
        double target = target_progress(tl);
        double peps = 1e-9 * fmax(1.0, target);
        if (tl->p >= target - peps && !isinf(target)) {
            if (tl->P.work_iters > 0 && target >= tl->P.work_iters) {
                tl->p = tl->P.work_iters;
                finish(tl, true);
                return true;
            }
            tl->p = target;
            start_checkpoint(tl);
            return true;
        }
    }
    for (size_t i = 0; i < tl->nw; i++)
        if (tl->w[i].end_s <= now + eps) {
            window w = tl->w[i];
            tl->w[i] = tl->w[--tl->nw];
            recompute_slow(tl);
            char comp[32], d[112];
            fl_component_name(&w.f, comp, sizeof comp);
            snprintf(d, sizeof d, "%s back in service; iterations x %.4g now (other degradations)",
                     w.f.cls == FL_LINK_FLAP ? "the link is" : w.f.cls == FL_OPTICS ? "module replaced," : "repaired,",
                     tl->slow);
            emit(tl, rs_up_kind(w.f.cls), comp, 1.0, "1", d);
            if (tl->H.degrade)
                tl->H.degrade(tl->H.ctx, now, &w.f, false);
            return true;
        }
    for (size_t i = 0; i < tl->nrep; i++)
        if (tl->rep[i] <= now + eps) {
            tl->rep[i] = tl->rep[--tl->nrep];
            if (tl->st == RS_WAIT_REPAIR && (int64_t)tl->nrep <= tl->P.spares) {
                double waited = now - tl->wait_start;
                tl->T.wait_repair_max_s = fmax(tl->T.wait_repair_max_s, waited);
                emit(tl, "repaired", "job", waited, "s", "a repaired node is back: restarting");
                enter(tl, RS_RESTART, now + tl->P.restart_s);
            }
            return true;
        }
    if (tl->bg && tl->bg_end <= now + eps) {
        tl->bg = false;
        make_durable(tl, tl->bgl);
        return true;
    }
    if (tl->pc && tl->pc_end <= now + eps) {
        tl->pc = false;
        tl->pfs = tl->pcl;
        tl->T.pfs_copies++;
        emit(tl, "checkpoint_pfs", "job", tl->pcl.p, "iteration", "checkpoint copied to the PFS");
        return true;
    }
    if (tl->phase_end <= now + eps) {
        end_phase(tl);
        return true;
    }
    if (fl_plan_peek_s(tl->plan) <= now + eps) {
        fl_event f;
        if (fl_plan_next(tl->plan, &f))
            return false;
        handle_failure(tl, &f);
        return true;
    }
    /* last: what else happens at the horizon's instant still happens */
    if (tl->P.horizon_s > 0 && now >= tl->P.horizon_s - eps) {
        finish(tl, false);
        return true;
    }
    return false;
}

void rs_timeline_inject(rs_timeline *tl, const fl_event *f)
{
    rs_effect fx;
    effect_of(tl, f, &fx);
    if (fx.stops) {
        handle_failure(tl, f);
        return;
    }
    /* A degradation the detailed part already applied (and reported): counted; still open at
     * t0, it keeps slowing the job until it ends. */
    tl->T.failures[f->cls]++;
    tl->T.degradations++;
    double end = f->t_s + fx.duration_s;
    if (end > tl->now)
        open_window(tl, f, &fx, end);
}

int rs_timeline_advance(rs_timeline *tl, double t_s)
{
    for (;;) {
        if (tl->oom)
            return -1;
        if (tl->st == RS_DONE)
            return 0;
        double next = rs_timeline_next_s(tl);
        if (next > t_s) {
            flow_to(tl, t_s);
            return 0;
        }
        flow_to(tl, next);
        while (tl->st != RS_DONE && step(tl))
            if (tl->oom)
                return -1;
    }
}

int rs_timeline_run(rs_timeline *tl)
{
    while (!rs_timeline_done(tl)) {
        double next = rs_timeline_next_s(tl);
        if (isinf(next))
            break; /* nothing left to happen: no horizon, no work target */
        if (rs_timeline_advance(tl, next))
            return -1;
    }
    return 0;
}

void rs_timeline_totals(const rs_timeline *tl, rs_totals *out)
{
    *out = tl->T;
    out->wall_s = tl->now;
    out->progress = tl->p;
    out->useful_s = tl->p * tl->P.iter_s;
    out->kept_run_s = tl->K;
}

double rs_young_interval_s(double delta_s, double mtbf_s)
{
    return sqrt(2.0 * delta_s * mtbf_s);
}

double rs_daly_interval_s(double delta_s, double mtbf_s)
{
    if (!(delta_s < 2.0 * mtbf_s))
        return mtbf_s;
    double x = delta_s / (2.0 * mtbf_s);
    return sqrt(2.0 * delta_s * mtbf_s) * (1.0 + sqrt(x) / 3.0 + x / 9.0) - delta_s;
}

double rs_daly_goodput(double tau_s, double delta_s, double mtbf_s, double recovery_s)
{
    return tau_s / (mtbf_s * exp(recovery_s / mtbf_s) * expm1((tau_s + delta_s) / mtbf_s));
}
