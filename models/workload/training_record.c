/* Output of a training run: /training/iterations (breakdown per iteration), /training/collectives
 * (every collective and pipeline transfer with its group), /training/ranks (per-rank totals),
 * /training/groups (members), /training/stages and /training/operators (the cost model), and the
 * summary figures (MFU, tokens/s, time to train). A collapsed run is expanded here: each
 * representative's records are repeated for every rank and group it stands for, in the same
 * order a full-resolution run writes them, so both give identical tables.
 * Invariant: every column carries its unit; idle = duration - compute - exposed - bubble. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training_impl.h"
#include "units.h"

typedef struct iter_row {
    int64_t iteration;
    double start_s, end_s, duration_s, compute_s, exposed_s[TRX__N], exposed_total_s, bubble_s, idle_s;
    double tokens_per_s, mfu;
} iter_row;

typedef struct coll_row {
    int64_t id, iteration;
    char kind[8];
    int32_t group, groups, stage;
    char op[16], algorithm[16];
    int32_t group_size;
    double bytes, start_s, ready_s, end_s, duration_s, algbw_Bps, busbw_Bps;
} coll_row;

typedef struct rank_row {
    int32_t rank, accelerator, stage, tp_rank, cp_rank, dp_rank;
    double compute_s, exposed_s[TRX__N], bubble_s, idle_s, busy_fraction;
} rank_row;

typedef struct group_row {
    char kind[8];
    int32_t group, member, rank, accelerator;
} group_row;

typedef struct stage_row {
    int32_t stage, layers;
    double params, weights_B, grads_B, optimizer_B, activations_B, total_B, optimizer_s;
} stage_row;

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const trace_col ITER_COLS[] = {
    {"iteration", TCOL_I64, offsetof(iter_row, iteration), 0, "1", "iteration index from 0"},
    {"start", TCOL_F64, offsetof(iter_row, start_s), 0, "s", "earliest rank start"},
    {"end", TCOL_F64, offsetof(iter_row, end_s), 0, "s", "latest rank end"},
    {"duration", TCOL_F64, offsetof(iter_row, duration_s), 0, "s", "end - start"},
    {"compute", TCOL_F64, offsetof(iter_row, compute_s), 0, "s", "compute time, mean over ranks"},
    {"exposed_tp", TCOL_F64, offsetof(iter_row, exposed_s[TRX_TP]), 0, "s",
     "tensor-parallel collectives on the critical path, mean over ranks"},
    {"exposed_pp", TCOL_F64, offsetof(iter_row, exposed_s[TRX_PP]), 0, "s",
     "waiting for pipeline transfers once the sender had sent, mean over ranks"},
    {"exposed_dp", TCOL_F64, offsetof(iter_row, exposed_s[TRX_DP]), 0, "s",
     "gradient reduction not hidden by backward compute, embedding all-reduce and parameter all-gather, mean over "
     "ranks"},
    {"exposed_ep", TCOL_F64, offsetof(iter_row, exposed_s[TRX_EP]), 0, "s",
     "expert-parallel all-to-all (dispatch and combine), mean over ranks"},
    {"exposed_cp", TCOL_F64, offsetof(iter_row, exposed_s[TRX_CP]), 0, "s",
     "context-parallel key/value exchange, mean over ranks"},
    {"exposed_comm", TCOL_F64, offsetof(iter_row, exposed_total_s), 0, "s", "sum of the exposed_* columns"},
    {"bubble", TCOL_F64, offsetof(iter_row, bubble_s), 0, "s",
     "waiting for the previous/next pipeline stage to produce, mean over ranks"},
    {"idle", TCOL_F64, offsetof(iter_row, idle_s), 0, "s", "duration - compute - exposed_comm - bubble"},
    {"tokens_per_s", TCOL_F64, offsetof(iter_row, tokens_per_s), 0, "1/s", "tokens of the iteration / duration"},
    {"mfu", TCOL_F64, offsetof(iter_row, mfu), 0, "1",
     "model FLOPs utilisation: model FLOP / (duration x ranks x peak FLOP/s)"},
};

static const trace_col COLL_COLS[] = {
    {"id", TCOL_I64, offsetof(coll_row, id), 0, "1", "row id"},
    {"iteration", TCOL_I64, offsetof(coll_row, iteration), 0, "1", "iteration it belongs to"},
    {"kind", TCOL_STR, offsetof(coll_row, kind), 8, "", "group kind: tp, cp, ep, dp, edp, pp, emb (or user)"},
    {"group", TCOL_I32, offsetof(coll_row, group), 0, "1", "group index within its kind (see /training/groups)"},
    {"groups", TCOL_I32, offsetof(coll_row, groups), 0, "1",
     "groups this row stands for: 1, or with workload.collective_log = representative the number of groups "
     "(group, group + 1, ...) whose calls were identical"},
    {"stage", TCOL_I32, offsetof(coll_row, stage), 0, "1",
     "pipeline stage of the group's ranks (pp: the sender's); -1 when it spans stages"},
    {"op", TCOL_STR, offsetof(coll_row, op), 16, "", "allreduce, allgather, reducescatter, alltoall, p2p"},
    {"algorithm", TCOL_STR, offsetof(coll_row, algorithm), 16, "", "ring, dbtree, rhd, pairwise, direct, hier"},
    {"group_size", TCOL_I32, offsetof(coll_row, group_size), 0, "1", "ranks in the group"},
    {"bytes", TCOL_F64, offsetof(coll_row, bytes), 0, "B", "message size (nccl-tests convention)"},
    {"start", TCOL_F64, offsetof(coll_row, start_s), 0, "s", "first rank entered (p2p: sent)"},
    {"ready", TCOL_F64, offsetof(coll_row, ready_s), 0, "s", "last rank entered (p2p: sent)"},
    {"end", TCOL_F64, offsetof(coll_row, end_s), 0, "s", "last rank finished (p2p: arrived)"},
    {"duration", TCOL_F64, offsetof(coll_row, duration_s), 0, "s", "end - ready"},
    {"algbw", TCOL_F64, offsetof(coll_row, algbw_Bps), 0, "B/s", "bytes / duration"},
    {"busbw", TCOL_F64, offsetof(coll_row, busbw_Bps), 0, "B/s", "algbw x nccl-tests bus factor"},
};

static const trace_col RANK_COLS[] = {
    {"rank", TCOL_I32, offsetof(rank_row, rank), 0, "1", "job rank (t + TP (c + CP (d + DP s)))"},
    {"accelerator", TCOL_I32, offsetof(rank_row, accelerator), 0, "1", "accelerator it runs on"},
    {"stage", TCOL_I32, offsetof(rank_row, stage), 0, "1", "pipeline stage"},
    {"tp_rank", TCOL_I32, offsetof(rank_row, tp_rank), 0, "1", "tensor-parallel rank"},
    {"cp_rank", TCOL_I32, offsetof(rank_row, cp_rank), 0, "1", "context-parallel rank"},
    {"dp_rank", TCOL_I32, offsetof(rank_row, dp_rank), 0, "1", "data-parallel rank"},
    {"compute", TCOL_F64, offsetof(rank_row, compute_s), 0, "s", "total compute time"},
    {"exposed_tp", TCOL_F64, offsetof(rank_row, exposed_s[TRX_TP]), 0, "s", "total exposed TP communication"},
    {"exposed_pp", TCOL_F64, offsetof(rank_row, exposed_s[TRX_PP]), 0, "s", "total exposed pipeline transfers"},
    {"exposed_dp", TCOL_F64, offsetof(rank_row, exposed_s[TRX_DP]), 0, "s", "total exposed gradient/parameter sync"},
    {"exposed_ep", TCOL_F64, offsetof(rank_row, exposed_s[TRX_EP]), 0, "s", "total exposed expert all-to-all"},
    {"exposed_cp", TCOL_F64, offsetof(rank_row, exposed_s[TRX_CP]), 0, "s", "total exposed context exchange"},
    {"bubble", TCOL_F64, offsetof(rank_row, bubble_s), 0, "s", "total pipeline bubble"},
    {"idle", TCOL_F64, offsetof(rank_row, idle_s), 0, "s", "rest of its iterations' time"},
    {"busy_fraction", TCOL_F64, offsetof(rank_row, busy_fraction), 0, "1", "compute / simulated time"},
};

static const trace_col GROUP_COLS[] = {
    {"kind", TCOL_STR, offsetof(group_row, kind), 8, "", "group kind"},
    {"group", TCOL_I32, offsetof(group_row, group), 0, "1", "group index within its kind"},
    {"member", TCOL_I32, offsetof(group_row, member), 0, "1", "rank inside the group"},
    {"rank", TCOL_I32, offsetof(group_row, rank), 0, "1", "job rank"},
    {"accelerator", TCOL_I32, offsetof(group_row, accelerator), 0, "1", "accelerator of that rank"},
};

static const trace_col STAGE_COLS[] = {
    {"stage", TCOL_I32, offsetof(stage_row, stage), 0, "1", "pipeline stage"},
    {"layers", TCOL_I32, offsetof(stage_row, layers), 0, "1", "transformer layers on the stage (all chunks)"},
    {"params", TCOL_F64, offsetof(stage_row, params), 0, "1", "parameters held by one rank of the stage"},
    {"weights", TCOL_F64, offsetof(stage_row, weights_B), 0, "B", "weights in memory, one rank"},
    {"grads", TCOL_F64, offsetof(stage_row, grads_B), 0, "B", "gradient buffer, one rank"},
    {"optimizer", TCOL_F64, offsetof(stage_row, optimizer_B), 0, "B", "optimizer state, one rank"},
    {"activations", TCOL_F64, offsetof(stage_row, activations_B), 0, "B",
     "activations kept for backward at the schedule's peak plus one layer's working set"},
    {"total", TCOL_F64, offsetof(stage_row, total_B), 0, "B", "estimated peak memory of one rank"},
    {"optimizer_time", TCOL_F64, offsetof(stage_row, optimizer_s), 0, "s", "optimizer step duration"},
};

static const trace_col OP_COLS[] = {
    {"block", TCOL_STR, offsetof(tr_oprow, block), 16, "", "embedding, layer, moe_layer or head"},
    {"op", TCOL_STR, offsetof(tr_oprow, op), 24, "", "operator"},
    {"class", TCOL_STR, offsetof(tr_oprow, cls), 8, "", "gemm, attn or memory (efficiency applied)"},
    {"pass", TCOL_STR, offsetof(tr_oprow, pass), 12, "", "forward or backward"},
    {"bound", TCOL_STR, offsetof(tr_oprow, bound), 8, "", "which roofline term dominates"},
    {"flop", TCOL_F64, offsetof(tr_oprow, flop), 0, "FLOP", "executed FLOP, one micro-batch, one rank"},
    {"bytes", TCOL_F64, offsetof(tr_oprow, bytes), 0, "B", "HBM traffic, one micro-batch, one rank"},
    {"time", TCOL_F64, offsetof(tr_oprow, time_s), 0, "s", "duration by the roofline and the efficiencies"},
};

static void fill_coll(coll_row *r, const tr_call *c, int32_t group, int32_t groups)
{
    r->iteration = c->iteration;
    const char *k = tr_kind_name((tr_kind)c->kind), *o = coll_op_name((coll_op)c->op),
               *a = coll_alg_name((coll_alg)c->alg);
    memcpy(r->kind, k, strnlen(k, sizeof r->kind - 1));
    memcpy(r->op, o, strnlen(o, sizeof r->op - 1));
    memcpy(r->algorithm, a, strnlen(a, sizeof r->algorithm - 1));
    r->group = group;
    r->groups = groups;
    r->stage = c->stage;
    r->group_size = c->size;
    r->bytes = c->bytes;
    r->start_s = c->start_s;
    r->ready_s = c->ready_s;
    r->end_s = c->end_s;
    r->duration_s = c->end_s - c->ready_s;
    r->algbw_Bps = r->duration_s > 0 ? r->bytes / r->duration_s : 0;
    r->busbw_Bps = r->algbw_Bps * coll_busbw_factor((coll_op)c->op, c->size);
}

static int chan_cmp(const void *a, const void *b)
{
    const tr_chan *x = *(tr_chan *const *)a, *y = *(tr_chan *const *)b;
    if (x->pp_group != y->pp_group)
        return (x->pp_group > y->pp_group) - (x->pp_group < y->pp_group);
    if (x->src_stage != y->src_stage)
        return (x->src_stage > y->src_stage) - (x->src_stage < y->src_stage);
    return (int)x->bwd - (int)y->bwd;
}

/* Rows of every group's calls, in (kind, group, call) order; then every pipeline transfer, in
 * (PP group, sender stage, direction, message) order. A collapsed run writes each group the calls
 * of the group that stands for it (tr_rep_group); `representative` writes only those groups. */
static int write_collectives(tr_run *S, trace_table_t *tab)
{
    int64_t id = 0;
    coll_row r;
    bool rep = S->collapsed && S->sc->wl.training.collective_log == TR_LOG_REPRESENTATIVE;
    int rc = 0;
    for (int k = 0; k < TRK__N && !rc; k++) {
        if (!S->gcalls[k])
            continue;
        int32_t ng = S->ngcalls[k];
        int32_t *stand = malloc((size_t)ng * sizeof *stand), *count = calloc((size_t)ng, sizeof *count);
        if (!stand || !count) {
            free(stand);
            free(count);
            return -1;
        }
        for (int32_t g = 0; g < ng; g++) {
            stand[g] = k == TRK_USER ? g : tr_rep_group(S, (tr_kind)k, g);
            count[stand[g]]++;
        }
        for (int32_t g = 0; g < ng && !rc; g++) {
            if (rep && stand[g] != g)
                continue;
            const tr_calls *l = &S->gcalls[k][stand[g]];
            for (size_t i = 0; i < l->n && !rc; i++) {
                if (!(l->v[i].end_s >= l->v[i].ready_s))
                    continue; /* never completed (run stopped early) */
                memset(&r, 0, sizeof r);
                fill_coll(&r, &l->v[i], g, rep ? count[g] : 1);
                r.id = id++;
                rc = trace_table_append(tab, &r);
            }
        }
        free(stand);
        free(count);
    }
    if (rc || !S->nchans)
        return rc;
    tr_chan **ch = malloc(S->nchans * sizeof *ch);
    if (!ch)
        return -1;
    memcpy(ch, S->chans, S->nchans * sizeof *ch);
    qsort(ch, S->nchans, sizeof *ch, chan_cmp);
    if (S->replay) {
        for (size_t c = 0; c < S->nchans && !rc; c++)
            for (size_t i = 0; i < ch[c]->calls.n && !rc; i++) {
                const tr_call *call = &ch[c]->calls.v[i];
                if (!(call->end_s <= S->end_clock))
                    continue;
                memset(&r, 0, sizeof r);
                fill_coll(&r, call, call->group, 1);
                r.id = id++;
                rc = trace_table_append(tab, &r);
            }
        free(ch);
        return rc;
    }
    int32_t npp = tr_groups(&S->L, TRK_PP);
    int32_t *count = calloc((size_t)npp, sizeof *count);
    if (!count) {
        free(ch);
        return -1;
    }
    for (int32_t g = 0; g < npp; g++)
        count[tr_rep_group(S, TRK_PP, g)]++;
    for (int32_t g = 0; g < npp && !rc; g++) {
        int32_t rg = tr_rep_group(S, TRK_PP, g);
        if (rep && rg != g)
            continue;
        size_t lo = 0, hi = S->nchans; /* first channel of PP group rg */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (ch[mid]->pp_group < rg)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t c = lo; c < S->nchans && ch[c]->pp_group == rg && !rc; c++)
            for (size_t i = 0; i < ch[c]->calls.n && !rc; i++) {
                const tr_call *call = &ch[c]->calls.v[i];
                if (!(call->end_s <= S->end_clock))
                    continue; /* not arrived when the run stopped */
                memset(&r, 0, sizeof r);
                fill_coll(&r, call, g, rep ? count[g] : 1);
                r.id = id++;
                rc = trace_table_append(tab, &r);
            }
    }
    free(count);
    free(ch);
    return rc;
}

static int write_groups(const tr_run *S, trace_table_t *tab)
{
    static const tr_kind kinds[] = {TRK_TP, TRK_CP, TRK_EP, TRK_DP, TRK_EDP, TRK_PP, TRK_EMB};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        tr_kind kind = kinds[k];
        bool used = kind == TRK_PP ? S->L.pp > 1 : S->gcalls[kind] != NULL;
        if (!used)
            continue;
        int32_t size = tr_group_size(&S->L, kind);
        int32_t *m = malloc((size_t)size * sizeof *m);
        if (!m)
            return -1;
        for (int32_t g = 0; g < tr_groups(&S->L, kind); g++) {
            tr_group_members(&S->L, kind, g, m);
            for (int32_t i = 0; i < size; i++) {
                group_row r = {.group = g, .member = i, .rank = m[i], .accelerator = S->L.acc[m[i]]};
                snprintf(r.kind, sizeof r.kind, "%s", tr_kind_name(kind));
                if (trace_table_append(tab, &r)) {
                    free(m);
                    return -1;
                }
            }
        }
        free(m);
    }
    return 0;
}

int tr_record_finish(tr_run *S, trace_t *t, const engine_stats *st, diag_t *err)
{
    const scenario_t *sc = S->sc;
    const training_spec *ts = &sc->wl.training;
    const tr_layout *L = &S->L;
    S->end_clock = st->sim_time_s;
    trace_table_t *ti = trace_table_create(t, "/training/iterations", "one row per completed iteration", ITER_COLS,
                                           NCOLS(ITER_COLS), sizeof(iter_row));
    trace_table_t *tc = trace_table_create(t, "/training/collectives",
                                           "every collective call of every group and every pipeline transfer",
                                           COLL_COLS, NCOLS(COLL_COLS), sizeof(coll_row));
    trace_table_t *tr = trace_table_create(t, "/training/ranks", "per-rank totals (stragglers show here)", RANK_COLS,
                                           NCOLS(RANK_COLS), sizeof(rank_row));
    trace_table_t *tg = trace_table_create(t, "/training/groups", "members of every communication group",
                                           GROUP_COLS, NCOLS(GROUP_COLS), sizeof(group_row));
    trace_table_t *tsg = S->replay ? NULL
                                   : trace_table_create(t, "/training/stages", "per pipeline stage: memory estimate",
                                                        STAGE_COLS, NCOLS(STAGE_COLS), sizeof(stage_row));
    trace_table_t *to = S->replay ? NULL
                                  : trace_table_create(t, "/training/operators",
                                                       "cost model of each operator pass, one micro-batch on one rank",
                                                       OP_COLS, NCOLS(OP_COLS), sizeof(tr_oprow));
    if (!ti || !tc || !tr || !tg || (!S->replay && (!tsg || !to)))
        return diag_fail(err, "out of memory");
    double peak = sc->accel.peak_flops_Fps, nranks = (double)L->n;
    double sum_d = 0, dmin = INFINITY, dmax = 0;
    tr_parts sum = {0};
    double sum_idle = 0;
    int64_t done = 0;
    for (int64_t k = 0; k < S->steps; k++) {
        const tr_iter *it = &S->iters[k];
        if (it->reported < S->nranks)
            break;
        /* sums in job-rank order, so a collapsed run adds exactly what a full one does */
        tr_parts tot = {0};
        double start = INFINITY, end = -INFINITY;
        for (int32_t q = 0; q < L->n; q++) {
            const tr_rank *R = &S->ranks[S->sim_of_rank[q]];
            const tr_parts *p = &R->it_parts[k];
            tot.compute += p->compute;
            tot.bubble += p->bubble;
            for (int x = 0; x < TRX__N; x++)
                tot.exposed[x] += p->exposed[x];
            start = fmin(start, R->it_start[k]);
            end = fmax(end, R->it_end[k]);
        }
        iter_row r = {.iteration = k, .start_s = start, .end_s = end};
        r.duration_s = end - start;
        r.compute_s = tot.compute / nranks;
        r.bubble_s = tot.bubble / nranks;
        for (int x = 0; x < TRX__N; x++) {
            r.exposed_s[x] = tot.exposed[x] / nranks;
            r.exposed_total_s += r.exposed_s[x];
            sum.exposed[x] += r.exposed_s[x];
        }
        r.idle_s = r.duration_s - r.compute_s - r.exposed_total_s - r.bubble_s;
        r.tokens_per_s = r.duration_s > 0 ? S->M.tokens_iter / r.duration_s : 0;
        r.mfu = r.duration_s > 0 ? S->M.model_flop_iter / (r.duration_s * nranks * peak) : 0;
        if (trace_table_append(ti, &r))
            return diag_fail(err, "out of memory");
        sum_d += r.duration_s;
        sum.compute += r.compute_s;
        sum.bubble += r.bubble_s;
        sum_idle += r.idle_s;
        dmin = fmin(dmin, r.duration_s);
        dmax = fmax(dmax, r.duration_s);
        done++;
    }
    if (write_collectives(S, tc) || write_groups(S, tg))
        return diag_fail(err, "out of memory");
    for (int32_t r = 0; r < L->n; r++) {
        const tr_rank *R = &S->ranks[S->sim_of_rank[r]];
        tr_coord x = tr_coord_of(L, r);
        rank_row row = {.rank = r, .accelerator = L->acc[r], .stage = x.s, .tp_rank = x.t, .cp_rank = x.c,
                        .dp_rank = x.d, .compute_s = R->total.compute, .bubble_s = R->total.bubble};
        double exposed = 0;
        for (int k = 0; k < TRX__N; k++) {
            row.exposed_s[k] = R->total.exposed[k];
            exposed += row.exposed_s[k];
        }
        row.idle_s = R->span_total - row.compute_s - exposed - row.bubble_s;
        row.busy_fraction = st->sim_time_s > 0 ? row.compute_s / st->sim_time_s : 0;
        if (trace_table_append(tr, &row))
            return diag_fail(err, "out of memory");
    }
    double mem_max = 0;
    for (int64_t s = 0; !S->replay && s < L->pp; s++) {
        const tr_stage *sg = &S->M.stages[s];
        stage_row row = {.stage = (int32_t)s, .params = sg->params_dense + sg->params_expert,
                         .weights_B = sg->mem_weights_B, .grads_B = sg->mem_grads_B,
                         .optimizer_B = sg->mem_optimizer_B, .activations_B = sg->mem_act_B,
                         .optimizer_s = sg->optimizer_s};
        for (int64_t c = 0; c < L->v; c++)
            row.layers += (int32_t)sg->chunks[c].layers;
        row.total_B = row.weights_B + row.grads_B + row.optimizer_B + row.activations_B;
        mem_max = fmax(mem_max, row.total_B);
        if (trace_table_append(tsg, &row))
            return diag_fail(err, "out of memory");
    }
    for (size_t i = 0; !S->replay && i < S->M.noprows; i++)
        if (trace_table_append(to, &S->M.oprows[i]))
            return diag_fail(err, "out of memory");

    double n = done ? (double)done : 1.0, mean = done ? sum_d / n : 0;
    double exposed_mean = 0;
    for (int x = 0; x < TRX__N; x++)
        exposed_mean += sum.exposed[x] / n;
    trace_summary_i64(t, "iterations_completed", done, "1", "iterations every rank finished");
    trace_summary_f64(t, "iteration_time_mean", mean, "s", "mean iteration time");
    trace_summary_f64(t, "iteration_time_min", done ? dmin : 0, "s", "shortest iteration");
    trace_summary_f64(t, "iteration_time_max", dmax, "s", "longest iteration");
    trace_summary_f64(t, "tokens_per_iteration", S->M.tokens_iter, "1", "global batch x sequence length");
    trace_summary_f64(t, "tokens_per_second", mean > 0 ? S->M.tokens_iter / mean : 0, "1/s",
                      "training throughput at the mean iteration time");
    trace_summary_f64(t, "model_flop_per_iteration", S->M.model_flop_iter, "FLOP",
                      "matmul FLOP of forward and backward passes, no recomputation (6N-style, full attention)");
    trace_summary_f64(t, "hardware_flop_per_iteration", S->M.hw_flop_iter, "FLOP",
                      "model FLOP plus recomputed forward passes (the count behind Megatron-LM's TFLOPS per GPU)");
    trace_summary_f64(t, "mfu", mean > 0 ? S->M.model_flop_iter / (mean * nranks * peak) : 0, "1",
                      "model FLOPs utilisation: model FLOP / (iteration time x ranks x peak FLOP/s)");
    trace_summary_f64(t, "achieved_flops_per_accelerator", mean > 0 ? S->M.hw_flop_iter / (mean * nranks) : 0,
                      "FLOP/s", "hardware FLOP per iteration / (iteration time x ranks), as Megatron-LM reports");
    trace_summary_f64(t, "compute_time_mean", sum.compute / n, "s", "compute per iteration, mean over ranks");
    trace_summary_f64(t, "exposed_comm_time_mean", exposed_mean, "s",
                      "exposed communication per iteration, mean over ranks");
    static const char *const xname[TRX__N] = {"tp", "pp", "dp", "ep", "cp"};
    for (int x = 0; x < TRX__N; x++) {
        char name[64], doc[128];
        snprintf(name, sizeof name, "exposed_%s_time_mean", xname[x]);
        snprintf(doc, sizeof doc, "exposed %s communication per iteration, mean over ranks", xname[x]);
        trace_summary_f64(t, name, sum.exposed[x] / n, "s", doc);
    }
    trace_summary_f64(t, "bubble_time_mean", sum.bubble / n, "s", "pipeline bubble per iteration, mean over ranks");
    trace_summary_f64(t, "idle_time_mean", sum_idle / n, "s", "idle per iteration, mean over ranks");
    trace_summary_f64(t, "comm_fraction", sum_d > 0 ? exposed_mean * n / sum_d : 0, "1",
                      "share of iteration time spent in exposed communication");
    trace_summary_f64(t, "bubble_fraction", sum_d > 0 ? sum.bubble / sum_d : 0, "1",
                      "share of iteration time spent in the pipeline bubble");
    if (ts->train_tokens > 0) {
        trace_summary_f64(t, "train_tokens", ts->train_tokens, "1", "tokens to train (workload.train_tokens)");
        trace_summary_f64(t, "time_to_train", mean > 0 ? ts->train_tokens / (S->M.tokens_iter / mean) : 0, "s",
                          "train_tokens / tokens_per_second (failures and checkpoints not included)");
    }
    trace_summary_f64(t, "params_total", S->M.params_total, "1", "model parameters");
    trace_summary_f64(t, "params_active", S->M.params_active, "1", "parameters one token uses");
    if (!S->replay)
        trace_summary_f64(t, "memory_per_accelerator_max", mem_max, "B",
                          "largest estimated peak memory of a rank (see /training/stages)");
    trace_summary_i64(t, "ranks", L->n, "1", "ranks of the job");
    trace_summary_i64(t, "microbatches", S->replay ? 0 : S->microbatches, "1",
                      "micro-batches per pipeline per iteration");
    trace_summary_str(t, "symmetry", S->symmetry_note, "how many ranks were simulated and why");
    engine_work_done("token", (double)done * S->M.tokens_iter);
    if (S->replay && S->finished < S->nranks && !st->stopped_early && !st->interrupted)
        return diag_fail(err, "the op list did not complete: %d of %d ranks finished", S->finished, S->nranks);
    return 0;
}
