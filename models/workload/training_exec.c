/* Execution of a generated training job on SimGrid: one actor per simulated rank walks its
 * stage's pipeline schedule, running the chunk programs (compute through engine_compute, TP/CP/
 * EP collectives through communicators on the critical path), sending activations and gradients
 * eagerly over pipeline channels, and handing gradient buckets of the last backward pass to a
 * helper actor (its second stream) that reduces them while backward compute goes on. Each
 * iteration ends with the wait for those reductions, the tied-embedding all-reduce, the
 * optimizer step and, with the distributed optimizer, the parameter all-gather.
 * Invariant: every rank of a group issues the group's collectives in the same order, so the
 * n-th call a rank logs for its group is the group's n-th call. */
#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/comm.h>
#include <simgrid/cond.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mutex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "training_impl.h"

static tr_run *RUN; /* actors reach the run through this; one workload per process */

static void fatal(const char *what)
{
    fprintf(stderr, "oastwin: fatal: training: %s\n", what);
    abort();
}

int tr_calls_push(tr_calls *l, const tr_call *c)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        tr_call *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = *c;
    return 0;
}

/* ---- schedules and prices ---- */

static coll_alg alg_for(const tr_run *S, tr_kind k)
{
    const training_spec *t = &S->sc->wl.training;
    int idx = k == TRK_TP ? t->alg.tp : k == TRK_CP ? t->alg.cp : k == TRK_EP ? t->alg.ep : t->alg.dp;
    const char *path = k == TRK_TP ? "workload.collectives.tp" : k == TRK_CP ? "workload.collectives.cp"
                       : k == TRK_EP ? "workload.collectives.ep" : "workload.collectives.dp";
    coll_alg a;
    if (k == TRK_PP || k == TRK_USER || coll_alg_parse(scenario_enum_name(path, idx), &a))
        return COLL_ALG_AUTO;
    return a;
}

int32_t tr_sched_id(tr_run *S, tr_kind kind, coll_op op, int32_t p, double bytes, diag_t *err)
{
    for (int32_t i = 0; i < S->nscheds; i++) {
        const tr_sched *x = &S->scheds[i];
        if (x->kind == kind && x->op == op && x->p == p && x->bytes == bytes)
            return i;
    }
    if (S->nscheds == S->capscheds) {
        int32_t cap = S->capscheds ? 2 * S->capscheds : 32;
        tr_sched *v = realloc(S->scheds, (size_t)cap * sizeof *v);
        if (!v)
            return diag_fail(err, "out of memory");
        S->scheds = v;
        S->capscheds = cap;
    }
    tr_sched *x = &S->scheds[S->nscheds];
    memset(x, 0, sizeof *x);
    x->kind = (uint8_t)kind;
    x->op = (uint8_t)op;
    x->p = p;
    x->bytes = bytes;
    coll_alg a = alg_for(S, kind);
    coll_params prm = {0};
    if (a == COLL_ALG_AUTO)
        a = coll_choose(op, p, bytes, &prm);
    if (coll_build(op, a, p, bytes, &prm, &x->s, err))
        return -1;
    return S->nscheds++;
}

typedef struct route_ctx {
    const tr_run *S;
    const int32_t *members;
} route_ctx;

static int route_cb(void *ctx, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    const route_ctx *r = ctx;
    return platform_route(r->S->plat, r->S->L.acc[r->members[src]], r->S->L.acc[r->members[dst]], lat_s, links,
                          cap);
}

double tr_price(const tr_run *S, int32_t sid, const int32_t *members)
{
    route_ctx rc = {S, members};
    return coll_analytic_time(&S->scheds[sid].s, route_cb, &rc, platform_link_bw(S->plat), platform_nlinks(S->plat));
}

static uint64_t sched_transfers(const coll_sched *s)
{
    uint64_t n = 0;
    for (size_t k = 0; k < s->nsteps; k++)
        n += (uint64_t)s->steps[k].count * s->steps[k].repeat;
    return n;
}

/* ---- activity ---- */

/* The accelerators' activity, changed only when it differs (back-to-back phases go straight
 * from one activity to the next). */
static void set_state(tr_rank *R, acc_state st)
{
    if (R->state == (int)st)
        return;
    R->state = (int)st;
    engine_set_state_many(R->accs, R->naccs, st);
}

/* A compute phase: FLOP_S of clock-bound work, then MEM_S of memory-bound work. */
static void compute(tr_rank *R, double flop_s, double mem_s)
{
    if (flop_s <= 0 && mem_s <= 0)
        return;
    double peak = RUN->sc->accel.peak_flops_Fps, bw = RUN->sc->accel.hbm_bw_Bps;
    R->cur.compute += engine_compute_many(R->accs, R->naccs, flop_s * peak, mem_s * bw, 1.0);
    R->state = ACC_COMPUTE;
}

/* Groups of kind K whose calls a collapsed simulated rank's call stands for (with the ranks of
 * its class); cross-class reductions are counted once per stage by the first class. */
static int64_t class_groups(const tr_run *S, const tr_rank *R, tr_kind k)
{
    const tr_layout *L = &S->L;
    int64_t reps = R->weight / (L->tp * L->cp); /* replicas in the class */
    switch (k) {
    case TRK_TP:
        return L->cp * reps;
    case TRK_CP:
        return L->tp * reps;
    case TRK_EP:
        return tr_groups(L, TRK_EP) / L->pp;
    case TRK_DP:
    case TRK_EDP:
        return R->sigma == 0 ? tr_groups(L, k) / L->pp : 0;
    case TRK_PP:
    case TRK_EMB:
        return L->tp * L->cp * reps;
    case TRK_USER:
    case TRK__N:
        break;
    }
    return 1;
}

static tr_call *group_call(tr_run *S, tr_kind k, int32_t g, uint32_t idx)
{
    tr_calls *l = &S->gcalls[k][g];
    while (l->n <= idx) {
        tr_call c = {.start_s = INFINITY, .ready_s = -INFINITY, .end_s = -INFINITY};
        if (tr_calls_push(l, &c))
            fatal("out of memory for the collective log");
    }
    return &l->v[idx];
}

/* Runs collective SID of R's group of kind K. ON_MAIN: on the rank's main stream (its time is
 * exposed and the accelerator is marked communicating); else on the helper stream. */
static void run_coll(tr_rank *R, tr_kind k, int32_t sid, int32_t iter, bool on_main)
{
    tr_run *S = RUN;
    const tr_sched *x = &S->scheds[sid];
    if (x->p < 2 || x->bytes <= 0)
        return;
    double t0 = simgrid_get_clock();
    if (on_main)
        set_state(R, ACC_COMM);
    int32_t g = R->group[k];
    uint32_t idx = R->ncall[k]++;
    tr_call *c = group_call(S, k, g, idx);
    if (c->start_s == INFINITY) {
        c->kind = (uint8_t)k;
        c->op = x->op;
        c->alg = (uint8_t)x->s.alg;
        c->stage = (int16_t)(k == TRK_EMB ? -1 : R->stage);
        c->group = g;
        c->iteration = iter;
        c->size = x->p;
        c->bytes = x->bytes;
    }
    c->start_s = fmin(c->start_s, t0);
    c->ready_s = fmax(c->ready_s, t0);
    if (S->collapsed && !R->cg[k]) {
        if (R->price[sid] < 0) {
            int32_t *m = malloc((size_t)x->p * sizeof *m);
            if (!m)
                fatal("out of memory");
            tr_group_members(&S->L, k, g, m);
            R->price[sid] = tr_price(S, sid, m);
            free(m);
            if (R->price[sid] < 0)
                fatal("a collective could not be routed");
        }
        /* a reduction across replica classes starts when every class has arrived */
        if ((k == TRK_DP || k == TRK_EDP) && S->nsig > 1)
            sg_barrier_wait(S->crossbar[R->stage]);
        engine_count_transfers(sched_transfers(&x->s) * (uint64_t)class_groups(S, R, k));
        if (R->price[sid] > 0)
            sg_actor_sleep_for(R->price[sid]);
    } else {
        cg_run(R->cg[k], R->grank[k], &x->s);
        if (S->collapsed && R->grank[k] == 0) /* the pair stands for every pair of its class */
            engine_count_transfers(sched_transfers(&x->s) * (uint64_t)(class_groups(S, R, k) - 1));
    }
    double t1 = simgrid_get_clock();
    c = group_call(S, k, g, idx);
    c->end_s = fmax(c->end_s, t1);
    if (on_main)
        R->cur.exposed[tr_kind_expose(k)] += t1 - t0;
}

/* ---- pipeline channels ---- */

/* Message K of CH (pushed, not yet received). */
static tr_pmsg *chan_msg(tr_chan *ch, uint64_t k)
{
    return &ch->q[(ch->head + (size_t)(k - ch->popped)) % ch->cap];
}

typedef struct flow_send {
    tr_chan *ch;
    uint64_t k;
    double bytes;
} flow_send;

/* Helper actor of one flow-fidelity pipeline message: the transfer between the two hosts the
 * platform names for it (NICs across supernodes), then its arrival. */
static void flow_sender(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    flow_send *fs = sg_actor_self_get_data();
    tr_chan *ch = fs->ch;
    if (fs->bytes > 0)
        sg_host_sendto(ch->from, ch->to, fs->bytes);
    double now = simgrid_get_clock();
    tr_pmsg *m = chan_msg(ch, fs->k);
    m->arrive_s = now;
    ch->calls.v[m->call].end_s = now;
    if (ch->waiting)
        sg_cond_notify_all(ch->cv);
    free(fs);
}

void tr_chan_send(tr_run *S, tr_chan *ch, uint8_t kind, int32_t group, int16_t stage, double bytes, int32_t chunk,
                  int32_t mb, int32_t iter)
{
    double now = simgrid_get_clock();
    bool flow = S->sc->run.fidelity == FID_FLOW;
    if (!flow && bytes != ch->bytes) {
        diag_t err;
        int32_t sid = tr_sched_id(S, TRK_PP, COLL_P2P, 2, bytes, &err);
        int32_t pair[2] = {S->ranks[ch->src].rank, S->ranks[ch->dst].rank};
        double price = sid >= 0 ? tr_price(S, sid, pair) : -1;
        if (price < 0)
            fatal("a point-to-point transfer could not be routed");
        ch->price_s = price;
    }
    ch->bytes = bytes;
    tr_call c = {.kind = kind, .op = COLL_P2P, .alg = COLL_ALG_DIRECT, .stage = stage, .group = group,
                 .iteration = iter, .size = 2, .bytes = bytes, .start_s = now, .ready_s = now,
                 .end_s = flow ? INFINITY : now + ch->price_s};
    if (tr_calls_push(&ch->calls, &c))
        fatal("out of memory for the pipeline log");
    engine_count_transfers(S->collapsed ? (uint64_t)class_groups(S, &S->ranks[ch->src], TRK_PP) : 1);
    if (ch->n == ch->cap) {
        size_t cap = ch->cap ? 2 * ch->cap : 16;
        tr_pmsg *q = malloc(cap * sizeof *q);
        if (!q)
            fatal("out of memory");
        for (size_t i = 0; i < ch->n; i++)
            q[i] = ch->q[(ch->head + i) % ch->cap];
        free(ch->q);
        ch->q = q;
        ch->head = 0;
        ch->cap = cap;
    }
    uint64_t k = ch->pushed++;
    ch->n++;
    *chan_msg(ch, k) = (tr_pmsg){.sent_s = now, .arrive_s = flow ? INFINITY : now + ch->price_s, .chunk = chunk,
                                .mb = mb, .call = ch->calls.n - 1};
    if (flow) {
        flow_send *fs = malloc(sizeof *fs);
        if (!fs)
            fatal("out of memory");
        *fs = (flow_send){ch, k, bytes};
        sg_actor_t a = sg_actor_init("pp_send", ch->from);
        sg_actor_set_data(a, fs);
        sg_actor_start(a, flow_sender, 0, NULL);
    } else if (ch->waiting) {
        sg_cond_notify_all(ch->cv);
    }
}

void tr_chan_recv(tr_run *S, tr_chan *ch, int32_t chunk, int32_t mb, double *bubble, double *xfer)
{
    (void)S;
    double t0 = simgrid_get_clock();
    sg_mutex_lock(ch->mu);
    /* wait for the message to be sent, then (flow) for its transfer to end */
    while (ch->n == 0 || ch->q[ch->head].arrive_s == INFINITY) {
        ch->waiting++;
        sg_cond_wait(ch->cv, ch->mu);
        ch->waiting--;
    }
    tr_pmsg m = ch->q[ch->head];
    ch->head = (ch->head + 1) % ch->cap;
    ch->n--;
    ch->popped++;
    sg_mutex_unlock(ch->mu);
    if (m.arrive_s > simgrid_get_clock())
        sg_actor_sleep_until(m.arrive_s);
    if (m.chunk != chunk || m.mb != mb) {
        char why[160];
        snprintf(why, sizeof why, "pipeline message out of order on %s: %d/%d, expected %d/%d", ch->name, m.chunk,
                 m.mb, chunk, mb);
        fatal(why);
    }
    double t1 = simgrid_get_clock();
    /* waiting until the sender produced is the pipeline bubble; after that, the transfer */
    double b = fmax(0.0, fmin(m.sent_s, t1) - t0);
    *bubble += b;
    *xfer += (t1 - t0) - b;
}

/* ---- gradient reduction stream ---- */

static void dpq_post(tr_dpq *q, tr_job j)
{
    sg_mutex_lock(q->mu);
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 32;
        tr_job *v = malloc(cap * sizeof *v);
        if (!v)
            fatal("out of memory");
        for (size_t i = 0; i < q->n; i++)
            v[i] = q->q[(q->head + i) % (q->cap ? q->cap : 1)];
        free(q->q);
        q->q = v;
        q->head = 0;
        q->cap = cap;
    }
    q->q[(q->head + q->n) % q->cap] = j;
    q->n++;
    q->posted++;
    if (q->wait_work)
        sg_cond_notify_all(q->work);
    sg_mutex_unlock(q->mu);
}

static void dp_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tr_rank *R = sg_actor_self_get_data();
    tr_dpq *q = R->dpq;
    for (;;) {
        sg_mutex_lock(q->mu);
        while (q->n == 0 && !q->stop) {
            q->wait_work++;
            sg_cond_wait(q->work, q->mu);
            q->wait_work--;
        }
        if (q->n == 0) {
            sg_mutex_unlock(q->mu);
            break;
        }
        tr_job j = q->q[q->head];
        q->head = (q->head + 1) % q->cap;
        q->n--;
        sg_mutex_unlock(q->mu);
        run_coll(R, (tr_kind)j.kind, j.sid, j.iteration, false);
        sg_mutex_lock(q->mu);
        q->done++;
        if (q->wait_done)
            sg_cond_notify_all(q->finished);
        sg_mutex_unlock(q->mu);
    }
}

static void dpq_wait(tr_dpq *q)
{
    sg_mutex_lock(q->mu);
    while (q->done < q->posted) {
        q->wait_done++;
        sg_cond_wait(q->finished, q->mu);
        q->wait_done--;
    }
    sg_mutex_unlock(q->mu);
}

/* ---- the rank's main stream ---- */

static void run_prog(tr_rank *R, const tr_chunk *ch, bool bwd, bool last, int32_t iter)
{
    const tr_prog *p = bwd ? &ch->bwd : &ch->fwd;
    bool post = bwd && last && R->dpq;
    size_t nb = 0;
    for (size_t i = 0; i < p->n; i++) {
        const tr_step *s = &p->steps[i];
        if (s->kind == TRS_COMPUTE)
            compute(R, s->time_s, s->mem_s);
        else if (s->kind == TRS_COLL)
            run_coll(R, (tr_kind)s->group, s->sid, iter, true);
        while (post && nb < ch->nbuckets && ch->buckets[nb].after_step == i + 1) {
            dpq_post(R->dpq, (tr_job){ch->buckets[nb].group, ch->buckets[nb].sid_reduce, iter});
            nb++;
        }
    }
}

static void finalize(tr_rank *R, const tr_stage *st, int32_t iter)
{
    tr_run *S = RUN;
    const training_spec *t = &S->sc->wl.training;
    double t0 = simgrid_get_clock();
    if (R->dpq) {
        set_state(R, ACC_COMM);
        dpq_wait(R->dpq);
        R->cur.exposed[TRX_DP] += simgrid_get_clock() - t0;
    } else {
        for (int64_t c = S->L.v - 1; c >= 0; c--)
            for (size_t b = 0; b < st->chunks[c].nbuckets; b++)
                run_coll(R, (tr_kind)st->chunks[c].buckets[b].group, st->chunks[c].buckets[b].sid_reduce, iter, true);
    }
    if (R->group[TRK_EMB] >= 0 && S->emb_sid >= 0)
        run_coll(R, TRK_EMB, S->emb_sid, iter, true);
    compute(R, 0, st->optimizer_s);
    if (t->opt.distributed)
        for (int64_t c = S->L.v - 1; c >= 0; c--)
            for (size_t b = 0; b < st->chunks[c].nbuckets; b++)
                run_coll(R, (tr_kind)st->chunks[c].buckets[b].group, st->chunks[c].buckets[b].sid_gather, iter, true);
}

void tr_exec_report(tr_run *S, tr_rank *R, int32_t iter, double start, double end)
{
    R->it_parts[iter] = R->cur;
    R->it_start[iter] = start;
    R->it_end[iter] = end;
    for (int k = 0; k < TRX__N; k++)
        R->total.exposed[k] += R->cur.exposed[k];
    R->total.compute += R->cur.compute;
    R->total.bubble += R->cur.bubble;
    R->span_total += end - start;
    S->iters[iter].reported++;
}

static void rank_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    tr_rank *R = sg_actor_self_get_data();
    tr_run *S = RUN;
    const tr_layout *L = &S->L;
    const tr_stage *st = &S->M.stages[R->stage];
    size_t nslots = (size_t)(2 * S->microbatches * L->v);
    tr_slot *slots = malloc(nslots * sizeof *slots);
    if (!slots || tr_schedule(L->pp, L->v, S->microbatches, R->stage, slots))
        fatal("cannot build the pipeline schedule");
    int64_t last_chunk = L->v - 1;
    for (int32_t it = 0; it < S->steps; it++) {
        memset(&R->cur, 0, sizeof R->cur);
        double start = simgrid_get_clock();
        for (size_t i = 0; i < nslots; i++) {
            tr_slot x = slots[i];
            const tr_chunk *ch = &st->chunks[x.chunk];
            bool first_virtual = R->stage == 0 && x.chunk == 0;
            bool last_virtual = R->stage == L->pp - 1 && x.chunk == last_chunk;
            if (!x.bwd) {
                if (!first_virtual) {
                    set_state(R, ACC_IDLE);
                    tr_chan_recv(S, R->recv_fwd, x.chunk, x.mb, &R->cur.bubble, &R->cur.exposed[TRX_PP]);
                }
                run_prog(R, ch, false, false, it);
                if (!last_virtual)
                    tr_chan_send(S, R->send_fwd, TRK_PP, R->send_fwd->pp_group, (int16_t)R->stage, S->M.p2p_bytes,
                                 R->stage == L->pp - 1 ? x.chunk + 1 : x.chunk, x.mb, it);
            } else {
                if (!last_virtual) {
                    set_state(R, ACC_IDLE);
                    tr_chan_recv(S, R->recv_bwd, x.chunk, x.mb, &R->cur.bubble, &R->cur.exposed[TRX_PP]);
                }
                run_prog(R, ch, true, x.last, it);
                if (!first_virtual)
                    tr_chan_send(S, R->send_bwd, TRK_PP, R->send_bwd->pp_group, (int16_t)R->stage, S->M.p2p_bytes,
                                 R->stage == 0 ? x.chunk - 1 : x.chunk, x.mb, it);
            }
        }
        finalize(R, st, it);
        set_state(R, ACC_IDLE);
        tr_exec_report(S, R, it, start, simgrid_get_clock());
        if (R == &S->ranks[0])
            engine_progress((double)(it + 1), (double)S->steps);
    }
    free(slots);
    if (R->dpq) {
        sg_mutex_lock(R->dpq->mu);
        R->dpq->stop = true;
        sg_cond_notify_all(R->dpq->work);
        sg_mutex_unlock(R->dpq->mu);
    }
    if (++S->finished == S->nranks)
        engine_workload_done();
}

/* ---- setup ---- */

static commgroup_t *new_cg(tr_run *S, const char *name, const int32_t *ranks, int32_t n)
{
    int32_t *accs = malloc((size_t)n * sizeof *accs);
    if (!accs)
        return NULL;
    for (int32_t i = 0; i < n; i++)
        accs[i] = S->L.acc[ranks[i]];
    commgroup_t *g = cg_new(name, accs, n, S->sc->run.fidelity, S->plat);
    free(accs);
    if (!g)
        return NULL;
    if (S->ncgs == S->capcgs) {
        size_t cap = S->capcgs ? 2 * S->capcgs : 64;
        commgroup_t **v = realloc(S->cgs, cap * sizeof *v);
        if (!v) {
            cg_free(g);
            return NULL;
        }
        S->cgs = v;
        S->capcgs = cap;
    }
    S->cgs[S->ncgs++] = g;
    return g;
}

tr_chan *tr_chan_new(tr_run *S, int32_t src, int32_t dst, bool bwd, double bytes, diag_t *err)
{
    if (S->nchans == S->capchans) {
        size_t cap = S->capchans ? 2 * S->capchans : 64;
        tr_chan **v = realloc(S->chans, cap * sizeof *v);
        if (!v) {
            diag_fail(err, "out of memory");
            return NULL;
        }
        S->chans = v;
        S->capchans = cap;
    }
    tr_chan *ch = calloc(1, sizeof *ch);
    if (!ch) {
        diag_fail(err, "out of memory");
        return NULL;
    }
    S->chans[S->nchans++] = ch;
    ch->src = src;
    ch->dst = dst;
    ch->bwd = bwd;
    ch->bytes = bytes;
    ch->pp_group = S->replay ? S->ranks[src].rank : tr_group_of(&S->L, TRK_PP, S->ranks[src].rank);
    ch->src_stage = S->replay ? S->ranks[dst].rank : S->ranks[src].stage;
    snprintf(ch->name, sizeof ch->name, "pp%d>%d%s%d", S->ranks[src].rank, S->ranks[dst].rank, bwd ? "b" : "f",
             (int)S->nchans);
    ch->sid = tr_sched_id(S, TRK_PP, COLL_P2P, 2, ch->bytes, err);
    if (ch->sid < 0)
        return NULL;
    ch->mu = sg_mutex_init();
    ch->cv = sg_cond_init();
    if (S->sc->run.fidelity == FID_FLOW) {
        char a[64], b[64];
        platform_endpoint(S->plat, S->ranks[src].acc, S->ranks[dst].acc, a, b, sizeof a);
        ch->from = sg_host_by_name(a);
        ch->to = sg_host_by_name(b);
        if (!ch->from || !ch->to) {
            diag_fail(err, "no SimGrid host '%s' or '%s' for a pipeline transfer", a, b);
            return NULL;
        }
    } else {
        int32_t pair[2] = {S->ranks[src].rank, S->ranks[dst].rank};
        ch->price_s = tr_price(S, ch->sid, pair);
        if (ch->price_s < 0) {
            diag_fail(err, "no route between accelerators %d and %d", S->ranks[src].acc, S->ranks[dst].acc);
            return NULL;
        }
    }
    return ch;
}

/* Resolves the schedule ids of every program step and bucket. */
static int resolve_scheds(tr_run *S, diag_t *err)
{
    const tr_layout *L = &S->L;
    const training_spec *t = &S->sc->wl.training;
    for (int64_t s = 0; s < L->pp; s++)
        for (int64_t c = 0; c < L->v; c++) {
            tr_chunk *ch = &S->M.stages[s].chunks[c];
            tr_prog *progs[2] = {&ch->fwd, &ch->bwd};
            for (int p = 0; p < 2; p++)
                for (size_t i = 0; i < progs[p]->n; i++) {
                    tr_step *st = &progs[p]->steps[i];
                    st->sid = -1;
                    if (st->kind != TRS_COLL)
                        continue;
                    st->sid = tr_sched_id(S, (tr_kind)st->group, (coll_op)st->op,
                                          tr_group_size(L, (tr_kind)st->group), st->bytes, err);
                    if (st->sid < 0)
                        return -1;
                }
            for (size_t b = 0; b < ch->nbuckets; b++) {
                tr_bucket *bk = &ch->buckets[b];
                int32_t p = tr_group_size(L, (tr_kind)bk->group);
                double grad = bk->params * t->opt.grad_reduce_B;
                bk->sid_reduce = tr_sched_id(S, (tr_kind)bk->group, t->opt.distributed ? COLL_REDUCESCATTER : COLL_ALLREDUCE,
                                             p, grad, err);
                bk->sid_gather = t->opt.distributed
                                     ? tr_sched_id(S, (tr_kind)bk->group, COLL_ALLGATHER, p, bk->params * 2.0, err)
                                     : -1;
                if (bk->sid_reduce < 0 || (t->opt.distributed && bk->sid_gather < 0))
                    return -1;
            }
        }
    S->emb_sid = -1;
    if (S->sc->wl.model.tied_embeddings && L->pp > 1) {
        double bytes = (double)S->sc->wl.model.vocab * (double)S->sc->wl.model.hidden / (double)L->tp *
                       t->opt.grad_reduce_B;
        S->emb_sid = tr_sched_id(S, TRK_EMB, COLL_ALLREDUCE, 2, bytes, err);
        if (S->emb_sid < 0)
            return -1;
    }
    return 0;
}

static bool kind_used(const tr_run *S, tr_kind k)
{
    const tr_layout *L = &S->L;
    switch (k) {
    case TRK_TP:
    case TRK_CP:
    case TRK_EP:
    case TRK_DP:
    case TRK_EDP:
        return tr_group_size(L, k) > 1 && (k != TRK_EDP || S->sc->wl.model.experts > 0);
    case TRK_EMB:
        return S->emb_sid >= 0;
    case TRK_PP:
    case TRK_USER:
    case TRK__N:
        break;
    }
    return false;
}

int tr_exec_setup(tr_run *S, diag_t *err)
{
    const tr_layout *L = &S->L;
    const training_spec *t = &S->sc->wl.training;
    RUN = S;
    S->microbatches = tr_microbatches(S->sc, L);
    S->steps = t->steps;
    if (resolve_scheds(S, err))
        return -1;
    if (tr_sym_decide(S, err))
        return -1;
    engine_set_symmetric(S->collapsed);
    S->nranks = S->collapsed ? (int32_t)(L->pp * S->nsig) : L->n;
    S->ranks = calloc((size_t)S->nranks, sizeof *S->ranks);
    S->sim_of_rank = malloc((size_t)L->n * sizeof *S->sim_of_rank);
    S->iters = calloc((size_t)S->steps, sizeof *S->iters);
    if (!S->ranks || !S->sim_of_rank || !S->iters)
        return diag_fail(err, "out of memory for %d ranks", S->nranks);
    for (int k = 0; k < TRK__N; k++) {
        if (!kind_used(S, (tr_kind)k))
            continue;
        S->ngcalls[k] = tr_groups(L, (tr_kind)k);
        S->gcalls[k] = calloc((size_t)S->ngcalls[k], sizeof *S->gcalls[k]);
        if (!S->gcalls[k])
            return diag_fail(err, "out of memory");
    }
    for (int32_t r = 0; r < L->n; r++) {
        tr_coord x = tr_coord_of(L, r);
        S->sim_of_rank[r] = S->collapsed ? x.s * S->nsig + S->sig[x.d] : r;
    }
    if (S->collapsed && S->nsig > 1) {
        S->crossbar = calloc((size_t)L->pp, sizeof *S->crossbar);
        if (!S->crossbar)
            return diag_fail(err, "out of memory");
        for (int64_t s = 0; s < L->pp; s++)
            S->crossbar[s] = sg_barrier_init((unsigned)S->nsig);
    }
    for (int32_t i = 0; i < S->nranks; i++) {
        tr_rank *R = &S->ranks[i];
        int32_t sg = S->collapsed ? i % S->nsig : 0;
        R->rank = S->collapsed ? tr_rank_at(L, (tr_coord){0, 0, S->sig_rep[sg], i / S->nsig}) : i;
        R->acc = L->acc[R->rank];
        R->stage = tr_coord_of(L, R->rank).s;
        R->sigma = sg;
        R->weight = S->collapsed ? (int32_t)(L->tp * L->cp * S->sig_size[sg]) : 1;
        for (int k = 0; k < TRK__N; k++) {
            R->group[k] = kind_used(S, (tr_kind)k) ? tr_group_of(L, (tr_kind)k, R->rank) : -1;
            R->grank[k] = R->group[k] >= 0 ? tr_group_rank(L, (tr_kind)k, R->rank) : -1;
        }
        R->it_parts = calloc((size_t)S->steps, sizeof *R->it_parts);
        R->it_start = calloc((size_t)S->steps, sizeof *R->it_start);
        R->it_end = calloc((size_t)S->steps, sizeof *R->it_end);
        if (!R->it_parts || !R->it_start || !R->it_end)
            return diag_fail(err, "out of memory");
        R->state = ACC_IDLE;
        if (!S->collapsed) {
            R->accs = malloc(sizeof *R->accs);
            if (!R->accs)
                return diag_fail(err, "out of memory");
            R->accs[R->naccs++] = R->acc;
        } else {
            R->price = malloc((size_t)S->nscheds * sizeof *R->price);
            R->accs = malloc((size_t)R->weight * sizeof *R->accs);
            if (!R->price || !R->accs)
                return diag_fail(err, "out of memory");
            for (int32_t j = 0; j < S->nscheds; j++)
                R->price[j] = -1;
            R->accs[R->naccs++] = R->acc;
            for (int32_t r = 0; r < L->n; r++)
                if (S->sim_of_rank[r] == i && r != R->rank)
                    R->accs[R->naccs++] = L->acc[r];
        }
    }
    /* communicators: every group at full resolution; collapsed, only the embedding pair (two
     * different simulated ranks) */
    for (int k = 0; k < TRK__N; k++) {
        if (!kind_used(S, (tr_kind)k) || (S->collapsed && k != TRK_EMB))
            continue;
        int32_t size = tr_group_size(L, (tr_kind)k);
        int32_t *m = malloc((size_t)size * sizeof *m);
        if (!m)
            return diag_fail(err, "out of memory");
        for (int32_t g = 0; g < tr_groups(L, (tr_kind)k); g++) {
            tr_group_members(L, (tr_kind)k, g, m);
            bool simulated = true;
            for (int32_t j = 0; j < size && S->collapsed; j++)
                simulated = simulated && S->ranks[S->sim_of_rank[m[j]]].rank == m[j];
            if (!simulated)
                continue;
            char name[32];
            snprintf(name, sizeof name, "%s%d", tr_kind_name((tr_kind)k), g);
            commgroup_t *cg = new_cg(S, name, m, size);
            if (!cg) {
                free(m);
                return diag_fail(err, "out of memory for communicator %s", name);
            }
            for (int32_t j = 0; j < size; j++)
                S->ranks[S->sim_of_rank[m[j]]].cg[k] = cg;
        }
        free(m);
    }
    /* pipeline channels: to the next stage (forward) and the previous one (backward), and
     * around the ring with interleaving */
    for (int32_t i = 0; i < S->nranks && L->pp > 1; i++) {
        tr_rank *R = &S->ranks[i];
        tr_coord x = tr_coord_of(L, R->rank);
        bool wrap = L->v > 1;
        if (x.s < L->pp - 1 || wrap) {
            tr_coord y = x;
            y.s = (int32_t)((x.s + 1) % L->pp);
            int32_t j = S->sim_of_rank[tr_rank_at(L, y)];
            R->send_fwd = tr_chan_new(S, i, j, false, S->M.p2p_bytes, err);
            if (!R->send_fwd)
                return -1;
            S->ranks[j].recv_fwd = R->send_fwd;
        }
        if (x.s > 0 || wrap) {
            tr_coord y = x;
            y.s = (int32_t)((x.s + L->pp - 1) % L->pp);
            int32_t j = S->sim_of_rank[tr_rank_at(L, y)];
            R->send_bwd = tr_chan_new(S, i, j, true, S->M.p2p_bytes, err);
            if (!R->send_bwd)
                return -1;
            S->ranks[j].recv_bwd = R->send_bwd;
        }
    }
    /* actors: the main stream, and the reduction stream when gradients overlap backward */
    bool helper = t->opt.overlap_grad_reduce && (kind_used(S, TRK_DP) || kind_used(S, TRK_EDP));
    char what[64];
    snprintf(what, sizeof what, "the %d simulated ranks of the training job", S->nranks);
    if (engine_reserve_actors((int64_t)S->nranks * (helper ? 2 : 1), what, err))
        return -1;
    for (int32_t i = 0; i < S->nranks; i++) {
        tr_rank *R = &S->ranks[i];
        char name[32];
        sg_host_t host = sg_host_by_name((snprintf(name, sizeof name, "acc%d", R->acc), name));
        if (!host)
            return diag_fail(err, "no host for accelerator %d", R->acc);
        if (helper) {
            R->dpq = calloc(1, sizeof *R->dpq);
            if (!R->dpq)
                return diag_fail(err, "out of memory");
            R->dpq->mu = sg_mutex_init();
            R->dpq->work = sg_cond_init();
            R->dpq->finished = sg_cond_init();
            snprintf(name, sizeof name, "dp%d", R->rank);
            sg_actor_t a = sg_actor_init(name, host);
            sg_actor_set_data(a, R);
            sg_actor_start(a, dp_main, 0, NULL);
        }
        snprintf(name, sizeof name, "rank%d", R->rank);
        sg_actor_t a = sg_actor_init(name, host);
        sg_actor_set_data(a, R);
        sg_actor_start(a, rank_main, 0, NULL);
    }
    return 0;
}

void tr_exec_free(tr_run *S)
{
    for (size_t i = 0; i < S->ncgs; i++)
        cg_free(S->cgs[i]);
    free(S->cgs);
    for (size_t i = 0; i < S->nchans; i++) {
        tr_chan *ch = S->chans[i];
        if (ch->mu)
            sg_mutex_destroy(ch->mu);
        if (ch->cv)
            sg_cond_destroy(ch->cv);
        free(ch->q);
        free(ch->calls.v);
        free(ch);
    }
    free(S->chans);
    for (int32_t i = 0; S->ranks && i < S->nranks; i++) {
        tr_rank *R = &S->ranks[i];
        free(R->accs);
        free(R->price);
        free(R->it_parts);
        free(R->it_start);
        free(R->it_end);
        if (R->dpq) {
            sg_mutex_destroy(R->dpq->mu);
            sg_cond_destroy(R->dpq->work);
            sg_cond_destroy(R->dpq->finished);
            free(R->dpq->q);
            free(R->dpq);
        }
    }
    free(S->ranks);
    free(S->sim_of_rank);
    for (int64_t s = 0; S->crossbar && s < S->L.pp; s++)
        sg_barrier_destroy(S->crossbar[s]);
    free(S->crossbar);
    free(S->sig);
    free(S->sig_rep);
    free(S->sig_size);
    free(S->iters);
    for (int k = 0; k < TRK__N; k++) {
        for (int32_t g = 0; S->gcalls[k] && g < S->ngcalls[k]; g++)
            free(S->gcalls[k][g].v);
        free(S->gcalls[k]);
    }
    for (int32_t i = 0; i < S->nscheds; i++)
        coll_sched_free(&S->scheds[i].s);
    free(S->scheds);
    RUN = NULL;
}
