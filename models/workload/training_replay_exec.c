/* Execution of a replayed op list (training_replay.c loads and checks it): one actor per stream
 * of each rank runs the rank's ops of that stream in file order, each op once its after= list is
 * done; sends are eager through pipeline channels, collectives run through communicators (the
 * list's own groups and the layout's), iteration marks fold the rank's breakdown into the run.
 * Invariant: only stream 0 is measured (compute, exposed communication, bubble); other streams
 * overlap it. */
#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/cond.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mutex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "training_impl.h"


typedef struct rp_rank {
    tr_rank *R;
    int32_t rank;
    bool *done;
    tr_chan **chan;     /* per op: its channel (send/recv) */
    int32_t *seq;       /* per op: message number on its channel */
    sg_mutex_t mu;
    sg_cond_t cv;
    int waiting;
    int32_t streams_left;
    int32_t iteration;
    double iter_start;
} rp_rank;

typedef struct rp_stream {
    rp_rank *rk;
    int32_t stream;
} rp_stream;

static rp_rank *RP;     /* per rank, valid during the run */
static tr_run *RS;

static void rp_coll(rp_rank *k, const tr_rop *op, bool main)
{
    tr_run *S = RS;
    tr_rank *R = k->R;
    int kind;
    int32_t g;
    tr_rop_group(&S->R, &S->L, k->rank, op, &kind, &g);
    int32_t size = kind == TRK_USER ? S->R.groups[g].n : tr_group_size(&S->L, (tr_kind)kind);
    int32_t grank = 0;
    commgroup_t *cg;
    uint32_t idx;
    if (kind == TRK_USER) {
        for (int32_t j = 0; j < size; j++)
            if (S->R.groups[g].ranks[j] == k->rank)
                grank = j;
        cg = S->cgs[g];
    } else {
        grank = R->grank[kind];
        cg = R->cg[kind];
    }
    idx = (uint32_t)op->seq;
    diag_t err;
    int32_t sid = tr_sched_id(S, kind == TRK_USER ? TRK_USER : (tr_kind)kind, (coll_op)op->op, size, op->bytes, &err);
    if (sid < 0) {
        fprintf(stderr, "oastwin: fatal: %s\n", err.msg);
        abort();
    }
    tr_calls *l = &S->gcalls[kind][g];
    double t0 = simgrid_get_clock();
    while (l->n <= idx) {
        tr_call c = {.start_s = INFINITY, .ready_s = -INFINITY, .end_s = -INFINITY};
        if (tr_calls_push(l, &c))
            abort();
    }
    tr_call *c = &l->v[idx];
    c->kind = (uint8_t)(kind == TRK_USER ? TRK_USER : kind);
    c->op = op->op;
    c->alg = (uint8_t)S->scheds[sid].s.alg;
    c->stage = -1;
    c->group = g;
    c->iteration = k->iteration;
    c->size = size;
    c->bytes = op->bytes;
    c->start_s = fmin(c->start_s, t0);
    c->ready_s = fmax(c->ready_s, t0);
    if (main)
        engine_set_state(R->acc, ACC_COMM);
    cg_run(cg, grank, &S->scheds[sid].s);
    if (main)
        engine_set_state(R->acc, ACC_IDLE);
    double t1 = simgrid_get_clock();
    c = &l->v[idx];
    c->end_s = fmax(c->end_s, t1);
    if (main)
        R->cur.exposed[tr_kind_expose((tr_kind)op->gkind)] += t1 - t0;
}

static void rp_stream_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    rp_stream *st = sg_actor_self_get_data();
    rp_rank *k = st->rk;
    tr_run *S = RS;
    tr_rank *R = k->R;
    bool main = st->stream == 0;
    const tr_rop *ops = S->R.ops[k->rank];
    for (int32_t i = 0; i < S->R.nops[k->rank]; i++) {
        const tr_rop *op = &ops[i];
        if (op->stream != st->stream)
            continue;
        sg_mutex_lock(k->mu);
        for (int32_t d = 0; d < op->ndeps; d++)
            while (!k->done[op->deps[d]]) {
                k->waiting++;
                sg_cond_wait(k->cv, k->mu);
                k->waiting--;
            }
        sg_mutex_unlock(k->mu);
        double t0 = simgrid_get_clock();
        switch ((tr_rop_kind)op->kind) {
        case TRR_COMPUTE:
            if (op->time_s > 0) {
                /* a given time is clock-bound work; otherwise the roofline's dominant part */
                bool mem = op->flop <= 0 ||
                           op->bytes / (S->sc->accel.hbm_bw_Bps * S->sc->wl.training.eff.memory) >
                               op->flop / (S->sc->accel.peak_flops_Fps *
                                           (op->cls == LLM_OP_ATTN ? S->sc->wl.training.eff.attention
                                                                   : S->sc->wl.training.eff.gemm));
                if (op->flop <= 0 && op->bytes <= 0)
                    mem = false;
                double d = mem ? engine_compute(R->acc, 0, op->time_s * S->sc->accel.hbm_bw_Bps, 1.0)
                               : engine_compute(R->acc, op->time_s * S->sc->accel.peak_flops_Fps, 0, 1.0);
                if (main)
                    R->cur.compute += d;
            }
            break;
        case TRR_SEND:
            tr_chan_send(S, k->chan[i], op->gkind, -1, -1, op->bytes, op->tag, k->seq[i], k->iteration);
            break;
        case TRR_RECV: {
            double bubble = 0, xfer = 0;
            tr_chan_recv(S, k->chan[i], op->tag, k->seq[i], &bubble, &xfer);
            if (main) {
                R->cur.bubble += bubble;
                R->cur.exposed[tr_kind_expose((tr_kind)op->gkind)] += xfer;
            }
            break;
        }
        case TRR_COLL:
            rp_coll(k, op, main);
            break;
        case TRR_ITER:
            tr_exec_report(S, R, k->iteration, k->iter_start, simgrid_get_clock());
            memset(&R->cur, 0, sizeof R->cur);
            k->iteration++;
            k->iter_start = simgrid_get_clock();
            if (k->rank == 0)
                engine_progress((double)k->iteration, (double)S->R.iterations);
            break;
        }
        (void)t0;
        sg_mutex_lock(k->mu);
        k->done[i] = true;
        if (k->waiting)
            sg_cond_notify_all(k->cv);
        sg_mutex_unlock(k->mu);
    }
    free(st);
    if (--k->streams_left == 0 && ++S->finished == S->nranks)
        engine_workload_done();
}

int tr_replay_setup(tr_run *S, diag_t *err)
{
    tr_replay *R = &S->R;
    const tr_layout *L = &S->L;
    RS = S;
    S->emb_sid = -1;
    tr_model_totals(&S->M, S->sc);
    S->steps = R->iterations;
    S->nranks = L->n;
    snprintf(S->symmetry_note, sizeof S->symmetry_note, "none: an op list is replayed rank by rank");
    S->ranks = calloc((size_t)S->nranks, sizeof *S->ranks);
    S->sim_of_rank = malloc((size_t)L->n * sizeof *S->sim_of_rank);
    S->iters = calloc((size_t)S->steps, sizeof *S->iters);
    RP = calloc((size_t)S->nranks, sizeof *RP);
    if (!S->ranks || !S->sim_of_rank || !S->iters || !RP)
        return diag_fail(err, "out of memory");
    /* layout kinds the list uses, and custom groups */
    bool used[TRK__N] = {false};
    for (int32_t r = 0; r < R->nranks; r++)
        for (int32_t i = 0; i < R->nops[r]; i++)
            if (R->ops[r][i].kind == TRR_COLL && R->ops[r][i].lkind != TRK_USER)
                used[R->ops[r][i].lkind] = true;
    for (int k = 0; k < TRK__N; k++) {
        int32_t ng = k == TRK_USER ? R->ngroups : used[k] ? tr_groups(L, (tr_kind)k) : 0;
        if (!ng)
            continue;
        S->ngcalls[k] = ng;
        S->gcalls[k] = calloc((size_t)ng, sizeof *S->gcalls[k]);
        if (!S->gcalls[k])
            return diag_fail(err, "out of memory");
    }
    for (int32_t r = 0; r < L->n; r++) {
        tr_rank *T = &S->ranks[r];
        S->sim_of_rank[r] = r;
        T->rank = r;
        T->acc = L->acc[r];
        T->stage = tr_coord_of(L, r).s;
        T->weight = 1;
        T->it_parts = calloc((size_t)S->steps, sizeof *T->it_parts);
        T->it_start = calloc((size_t)S->steps, sizeof *T->it_start);
        T->it_end = calloc((size_t)S->steps, sizeof *T->it_end);
        if (!T->it_parts || !T->it_start || !T->it_end)
            return diag_fail(err, "out of memory");
        for (int k = 0; k < TRK__N; k++) {
            T->group[k] = k != TRK_USER && used[k] ? tr_group_of(L, (tr_kind)k, r) : -1;
            T->grank[k] = T->group[k] >= 0 ? tr_group_rank(L, (tr_kind)k, r) : -1;
        }
    }
    /* communicators: custom groups first (their index is the group's), then layout groups */
    for (int32_t g = 0; g < R->ngroups; g++) {
        int32_t *accs = malloc((size_t)R->groups[g].n * sizeof *accs);
        if (!accs)
            return diag_fail(err, "out of memory");
        for (int32_t j = 0; j < R->groups[g].n; j++)
            accs[j] = L->acc[R->groups[g].ranks[j]];
        char name[48];
        snprintf(name, sizeof name, "user.%s", R->groups[g].name);
        commgroup_t *cg = cg_new(name, accs, R->groups[g].n, S->sc->run.fidelity, S->plat);
        free(accs);
        if (!cg || (S->ncgs == S->capcgs && !(S->cgs = realloc(S->cgs, (S->capcgs += 64) * sizeof *S->cgs)))) {
            cg_free(cg);
            return diag_fail(err, "out of memory");
        }
        S->cgs[S->ncgs++] = cg;
    }
    for (int k = 0; k < TRK__N; k++) {
        if (!used[k])
            continue;
        int32_t size = tr_group_size(L, (tr_kind)k);
        int32_t *m = malloc((size_t)size * sizeof *m), *accs = malloc((size_t)size * sizeof *accs);
        if (!m || !accs) {
            free(m);
            free(accs);
            return diag_fail(err, "out of memory");
        }
        for (int32_t g = 0; g < tr_groups(L, (tr_kind)k); g++) {
            tr_group_members(L, (tr_kind)k, g, m);
            for (int32_t j = 0; j < size; j++)
                accs[j] = L->acc[m[j]];
            char name[48];
            snprintf(name, sizeof name, "%s%d", tr_kind_name((tr_kind)k), g);
            commgroup_t *cg = cg_new(name, accs, size, S->sc->run.fidelity, S->plat);
            if (!cg || (S->ncgs == S->capcgs && !(S->cgs = realloc(S->cgs, (S->capcgs += 64) * sizeof *S->cgs)))) {
                cg_free(cg);
                free(m);
                free(accs);
                return diag_fail(err, "out of memory");
            }
            S->cgs[S->ncgs++] = cg;
            for (int32_t j = 0; j < size; j++)
                S->ranks[m[j]].cg[k] = cg;
        }
        free(m);
        free(accs);
    }
    /* per rank: completion flags, channels and message numbers of its sends and receives */
    for (int32_t r = 0; r < R->nranks; r++) {
        rp_rank *k = &RP[r];
        k->R = &S->ranks[r];
        k->rank = r;
        int32_t n = R->nops[r];
        k->done = calloc((size_t)n + 1, sizeof *k->done);
        k->chan = calloc((size_t)n + 1, sizeof *k->chan);
        k->seq = calloc((size_t)n + 1, sizeof *k->seq);
        if (!k->done || !k->chan || !k->seq)
            return diag_fail(err, "out of memory");
        k->mu = sg_mutex_init();
        k->cv = sg_cond_init();
    }
    /* one pipeline channel per (source, destination, tag), created in the list's order */
    size_t first = S->nchans;
    for (int32_t c = 0; c < R->nchannels; c++) {
        double bytes = 0;
        for (int32_t i = 0; i < R->nops[R->chan_src[c]] && bytes == 0; i++)
            if (R->ops[R->chan_src[c]][i].kind == TRR_SEND && R->ops[R->chan_src[c]][i].slot == c)
                bytes = R->ops[R->chan_src[c]][i].bytes;
        tr_chan *ch = tr_chan_new(S, R->chan_src[c], R->chan_dst[c], false, bytes, err);
        if (!ch)
            return -1;
        ch->tag = R->chan_tag[c];
    }
    for (int32_t r = 0; r < R->nranks; r++)
        for (int32_t i = 0; i < R->nops[r]; i++) {
            const tr_rop *op = &R->ops[r][i];
            if (op->kind != TRR_SEND && op->kind != TRR_RECV)
                continue;
            RP[r].chan[i] = S->chans[first + (size_t)op->slot];
            RP[r].seq[i] = op->seq;
        }
    /* actors: one per stream of each rank */
    for (int32_t r = 0; r < R->nranks; r++) {
        char host[32];
        snprintf(host, sizeof host, "acc%d", L->acc[r]);
        sg_host_t h = sg_host_by_name(host);
        if (!h)
            return diag_fail(err, "no host for accelerator %d", L->acc[r]);
        int32_t ns = R->nstreams[r] > 0 ? R->nstreams[r] : 1;
        RP[r].streams_left = ns;
        for (int32_t s = 0; s < ns; s++) {
            rp_stream *st = malloc(sizeof *st);
            if (!st)
                return diag_fail(err, "out of memory");
            st->rk = &RP[r];
            st->stream = s;
            char name[48];
            snprintf(name, sizeof name, "rank%d.%d", r, s);
            sg_actor_t a = sg_actor_init(name, h);
            sg_actor_set_data(a, st);
            sg_actor_start(a, rp_stream_main, 0, NULL);
        }
    }
    return 0;
}

void tr_replay_exec_free(tr_run *S)
{
    for (int32_t r = 0; RP && r < S->nranks; r++) {
        free(RP[r].done);
        free(RP[r].chan);
        free(RP[r].seq);
        if (RP[r].mu)
            sg_mutex_destroy(RP[r].mu);
        if (RP[r].cv)
            sg_cond_destroy(RP[r].cv);
    }
    free(RP);
    RP = NULL;
    RS = NULL;
}
