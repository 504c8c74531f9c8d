/* Operator programs of a training job: for every pipeline stage and model chunk, the steps one
 * rank runs for one micro-batch forward and backward (fused compute runs timed by the roofline
 * and the scenario's efficiencies, the TP/CP/EP collectives between them, and the points where
 * gradients become final), the gradient buckets, the optimizer step and a memory estimate.
 * Invariant: programs depend only on the stage and chunk, never on the micro-batch or the rank
 * inside the stage, so identical ranks run identical programs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training_impl.h"
#include "units.h"

/* Whether a pass is bound by HBM bandwidth rather than by FLOP/s. */
static bool op_membound(const scenario_t *sc, llm_op_class cls, double flop, double bytes)
{
    const training_spec *t = &sc->wl.training;
    double eff = cls == LLM_OP_ATTN ? t->eff.attention : t->eff.gemm;
    double tc = flop > 0 ? flop / (sc->accel.peak_flops_Fps * eff) : 0;
    double tm = bytes > 0 ? bytes / (sc->accel.hbm_bw_Bps * t->eff.memory) : 0;
    return tm > tc;
}

double tr_op_time(const scenario_t *sc, llm_op_class cls, double flop, double bytes)
{
    const training_spec *t = &sc->wl.training;
    if (flop <= 0 && bytes <= 0)
        return 0;
    double eff = cls == LLM_OP_ATTN ? t->eff.attention : t->eff.gemm;
    double tc = flop > 0 ? flop / (sc->accel.peak_flops_Fps * eff) : 0;
    double tm = bytes > 0 ? bytes / (sc->accel.hbm_bw_Bps * t->eff.memory) : 0;
    return (tc > tm ? tc : tm) + t->eff.kernel_s;
}

static int prog_push(tr_prog *p, tr_step s)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        tr_step *n = realloc(p->steps, cap * sizeof *n);
        if (!n)
            return -1;
        p->steps = n;
        p->cap = cap;
    }
    p->steps[p->n++] = s;
    return 0;
}

/* Adds a compute pass, fusing it into the previous step when that one is compute too. */
static int prog_compute(tr_prog *p, double time_s, bool membound, double flop, double bytes)
{
    if (time_s <= 0)
        return 0;
    if (!p->n || p->steps[p->n - 1].kind != TRS_COMPUTE) {
        if (prog_push(p, (tr_step){.kind = TRS_COMPUTE, .sid = -1}))
            return -1;
    }
    tr_step *s = &p->steps[p->n - 1];
    if (membound)
        s->mem_s += time_s;
    else
        s->time_s += time_s;
    s->flop += flop;
    s->bytes += bytes;
    return 0;
}

static uint8_t coll_of(llm_comm c)
{
    switch (c) {
    case LLM_COMM_ALLGATHER:
        return COLL_ALLGATHER;
    case LLM_COMM_REDUCESCATTER:
        return COLL_REDUCESCATTER;
    case LLM_COMM_ALLTOALL:
        return COLL_ALLTOALL;
    case LLM_COMM_ALLREDUCE:
    case LLM_COMM_NONE:
        break;
    }
    return COLL_ALLREDUCE;
}

static uint8_t kind_of(llm_group g)
{
    return g == LLM_GROUP_TP ? TRK_TP : g == LLM_GROUP_CP ? TRK_CP : TRK_EP;
}

/* Appends pass BWD (else forward) of OPS[0..n) in order (or reversed for the backward);
 * CORE_ONLY keeps only the attention core (selective recomputation). */
static int emit(tr_prog *p, const scenario_t *sc, const llm_op *ops, size_t n, bool bwd, bool core_only)
{
    for (size_t k = 0; k < n; k++) {
        const llm_op *o = &ops[bwd ? n - 1 - k : k];
        if (core_only && !o->attn_core)
            continue;
        const llm_pass *ps = bwd ? &o->bwd : &o->fwd;
        if (o->cls == LLM_OP_COMM) {
            if (ps->comm == LLM_COMM_NONE || ps->bytes <= 0)
                continue;
            if (prog_push(p, (tr_step){.kind = TRS_COLL, .group = kind_of(o->group), .op = coll_of(ps->comm),
                                       .bytes = ps->bytes}))
                return -1;
            continue;
        }
        if (prog_compute(p, tr_op_time(sc, o->cls, ps->flop, ps->bytes), op_membound(sc, o->cls, ps->flop, ps->bytes),
                         ps->flop, ps->bytes))
            return -1;
    }
    return 0;
}

/* Number of layers of global chunk K of NCHUNKS when L layers are split as evenly as possible,
 * the shorter chunks going to the ends first (first, last, second, second-to-last...), where
 * the embedding and the loss already add work (as Llama 3 405B did with 126 layers on 16
 * stages). */
static int64_t chunk_layers(int64_t L, int64_t nchunks, int64_t k)
{
    int64_t base = L / nchunks, rem = L % nchunks, shorts = nchunks - rem;
    if (rem == 0)
        return base;
    /* position of K in the order 0, n-1, 1, n-2, ... */
    int64_t pos = k < nchunks - 1 - k ? 2 * k : 2 * (nchunks - 1 - k) + 1;
    return pos < shorts ? base : base + 1;
}

static void shard_of(const scenario_t *sc, const tr_layout *L, llm_shard *sh)
{
    const training_spec *t = &sc->wl.training;
    memset(sh, 0, sizeof *sh);
    sh->tokens = (double)t->micro_batch * (double)sc->wl.model.seq_len / (double)L->cp;
    sh->context = (double)sc->wl.model.seq_len;
    sh->tp = L->tp;
    sh->cp = L->cp;
    sh->ep = L->ep;
    sh->sequence_parallel = t->par.sequence_parallel && L->tp > 1;
    sh->flash = t->attention_kernel == TR_ATTN_FLASH;
    sh->causal = true;
    sh->dropout = t->dropout;
    sh->act_bytes = 2.0;
    sh->weight_bytes = 2.0;
    sh->grad_acc_bytes = t->opt.grad_reduce_B;
}

static int add_oprows(tr_model *M, const scenario_t *sc, const char *block, const llm_op *ops, size_t n)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            const llm_op *o = &ops[i];
            if (o->cls == LLM_OP_COMM)
                continue;
            const llm_pass *ps = pass ? &o->bwd : &o->fwd;
            if (ps->flop <= 0 && ps->bytes <= 0)
                continue;
            if (M->noprows == M->capoprows) {
                size_t cap = M->capoprows ? 2 * M->capoprows : 64;
                tr_oprow *r = realloc(M->oprows, cap * sizeof *r);
                if (!r)
                    return -1;
                M->oprows = r;
                M->capoprows = cap;
            }
            tr_oprow *r = &M->oprows[M->noprows++];
            memset(r, 0, sizeof *r);
            snprintf(r->block, sizeof r->block, "%s", block);
            snprintf(r->op, sizeof r->op, "%s", o->name);
            snprintf(r->cls, sizeof r->cls, "%s", o->cls == LLM_OP_GEMM ? "gemm" : o->cls == LLM_OP_ATTN ? "attn" : "memory");
            snprintf(r->pass, sizeof r->pass, "%s", pass ? "backward" : "forward");
            r->flop = ps->flop;
            r->bytes = ps->bytes;
            r->time_s = tr_op_time(sc, o->cls, ps->flop, ps->bytes);
            const training_spec *t = &sc->wl.training;
            double eff = o->cls == LLM_OP_ATTN ? t->eff.attention : t->eff.gemm;
            double tc = ps->flop / (sc->accel.peak_flops_Fps * eff);
            double tm = ps->bytes / (sc->accel.hbm_bw_Bps * t->eff.memory);
            snprintf(r->bound, sizeof r->bound, "%s", tc >= tm ? "compute" : "memory");
        }
    return 0;
}

/* Splits ACC parameters into buckets of at most BUCKET (equal parts), posted after STEP. */
static int flush_bucket(tr_chunk *ch, size_t *cap, uint8_t group, double *acc, double bucket, size_t step)
{
    if (*acc <= 0)
        return 0;
    double parts = ceil(*acc / bucket);
    if (parts < 1)
        parts = 1;
    for (double i = 0; i < parts; i++) {
        if (ch->nbuckets == *cap) {
            size_t c = *cap ? 2 * *cap : 16;
            tr_bucket *b = realloc(ch->buckets, c * sizeof *b);
            if (!b)
                return -1;
            ch->buckets = b;
            *cap = c;
        }
        ch->buckets[ch->nbuckets++] = (tr_bucket){group, *acc / parts, step, -1, -1};
    }
    *acc = 0;
    return 0;
}

static int plan_buckets(tr_chunk *ch, const scenario_t *sc, const tr_layout *L)
{
    const training_spec *t = &sc->wl.training;
    bool dense_reduce = L->dp * L->cp > 1, expert_reduce = L->dp * L->cp / L->ep > 1;
    double bucket = t->opt.bucket_params, dense = 0, expert = 0;
    size_t cap = 0;
    for (size_t i = 0; i < ch->bwd.n; i++) {
        const tr_step *s = &ch->bwd.steps[i];
        if (s->kind != TRS_GRADS)
            continue;
        if (dense_reduce)
            dense += s->dense;
        if (expert_reduce)
            expert += s->expert;
        if (dense >= bucket && flush_bucket(ch, &cap, TRK_DP, &dense, bucket, i + 1))
            return -1;
        if (expert >= bucket && flush_bucket(ch, &cap, TRK_EDP, &expert, bucket, i + 1))
            return -1;
    }
    if (flush_bucket(ch, &cap, TRK_DP, &dense, bucket, ch->bwd.n) ||
        flush_bucket(ch, &cap, TRK_EDP, &expert, bucket, ch->bwd.n))
        return -1;
    return 0;
}

/* Activation bytes one layer keeps per micro-batch between its forward and backward
 * (Korthikanti et al. 2022, "Reducing activation recomputation", eq. 1-2 and §5), on one rank. */
static double layer_act_bytes(const scenario_t *sc, const tr_layout *L, const llm_shard *sh, int recompute)
{
    const llm_spec *m = &sc->wl.model;
    double t = (double)L->tp, sbh = sh->tokens * (double)m->hidden;
    bool sp = sh->sequence_parallel;
    if (recompute == TR_RECOMPUTE_FULL)
        return 2.0 * sbh / (sp ? t : 1.0);
    double linear = sp ? 34.0 * sbh / t : sbh * (10.0 + 24.0 / t);
    double scores = 0;
    if (!sh->flash && recompute != TR_RECOMPUTE_SELECTIVE)
        scores = (sh->dropout ? 5.0 : 4.0) * (double)m->heads / t * sh->tokens * sh->context;
    return linear + scores;
}

static int build_chunk(tr_model *M, tr_chunk *ch, const scenario_t *sc, const tr_layout *L, const llm_shard *sh,
                       bool record_ops, bool *recorded_moe)
{
    const llm_spec *m = &sc->wl.model;
    const training_spec *t = &sc->wl.training;
    llm_op ops[LLM_MAX_OPS];
    size_t n;
    if (ch->embedding) {
        n = llm_embedding_ops(m, sh, ops);
        if (emit(&ch->fwd, sc, ops, n, false, false))
            return -1;
        if (record_ops && add_oprows(M, sc, "embedding", ops, n))
            return -1;
        double e = llm_embedding_params(m) / (double)L->tp;
        ch->dense_params += e;
    }
    for (int64_t l = ch->layer0; l < ch->layer0 + ch->layers; l++) {
        n = llm_layer_ops(m, l, sh, ops);
        if (emit(&ch->fwd, sc, ops, n, false, false))
            return -1;
        bool moe = llm_layer_is_moe(m, l);
        if (record_ops && (l == ch->layer0 || (moe && !*recorded_moe))) {
            if (add_oprows(M, sc, moe ? "moe_layer" : "layer", ops, n))
                return -1;
            if (moe)
                *recorded_moe = true;
        }
    }
    if (ch->head) {
        n = llm_head_ops(m, sh, ops);
        if (emit(&ch->fwd, sc, ops, n, false, false))
            return -1;
        if (record_ops && add_oprows(M, sc, "head", ops, n))
            return -1;
    }
    /* backward: head, layers in reverse (each recomputed first when asked), embedding */
    if (ch->head) {
        n = llm_head_ops(m, sh, ops);
        if (emit(&ch->bwd, sc, ops, n, true, false))
            return -1;
        /* the final norm (replicated) and the output matrix split TP ways; a tied matrix is
         * shared with the embedding when both sit in this chunk, else the last stage keeps
         * its own copy (kept equal by the embedding all-reduce) */
        double head = (m->norm == LLM_NORM_LAYER ? 2.0 : 1.0) * (double)m->hidden;
        if (!(m->tied_embeddings && ch->embedding))
            head += (double)m->vocab * (double)m->hidden / (double)L->tp;
        ch->dense_params += head;
        if (prog_push(&ch->bwd, (tr_step){.kind = TRS_GRADS, .dense = head}))
            return -1;
    }
    for (int64_t l = ch->layer0 + ch->layers - 1; l >= ch->layer0; l--) {
        n = llm_layer_ops(m, l, sh, ops);
        if (t->recompute == TR_RECOMPUTE_FULL && emit(&ch->bwd, sc, ops, n, false, false))
            return -1;
        if (t->recompute == TR_RECOMPUTE_SELECTIVE && emit(&ch->bwd, sc, ops, n, false, true))
            return -1;
        if (emit(&ch->bwd, sc, ops, n, true, false))
            return -1;
        double dense, expert;
        llm_layer_params_shard(m, l, L->tp, L->ep, &dense, &expert);
        ch->dense_params += dense;
        ch->expert_params += expert;
        if (prog_push(&ch->bwd, (tr_step){.kind = TRS_GRADS, .dense = dense, .expert = expert}))
            return -1;
    }
    if (ch->embedding) {
        n = llm_embedding_ops(m, sh, ops);
        if (emit(&ch->bwd, sc, ops, n, true, false))
            return -1;
        double e = llm_embedding_params(m) / (double)L->tp;
        if (prog_push(&ch->bwd, (tr_step){.kind = TRS_GRADS, .dense = e}))
            return -1;
    }
    return plan_buckets(ch, sc, L);
}

/* Whole-model forward FLOP of one iteration: transformer layers, head, and the attention core
 * (what selective recomputation repeats), at TP = CP = 1. */
static void forward_flops(const scenario_t *sc, double tokens, double *layers, double *head, double *core)
{
    const llm_spec *m = &sc->wl.model;
    llm_shard sh = {.tokens = tokens, .context = (double)m->seq_len, .tp = 1, .cp = 1, .ep = 1,
                    .flash = sc->wl.training.attention_kernel == TR_ATTN_FLASH, .causal = true, .act_bytes = 2,
                    .weight_bytes = 2, .grad_acc_bytes = 4};
    llm_op ops[LLM_MAX_OPS];
    *layers = *head = *core = 0;
    for (int64_t l = 0; l < m->layers; l++) {
        size_t n = llm_layer_ops(m, l, &sh, ops);
        for (size_t i = 0; i < n; i++) {
            *layers += ops[i].fwd.model_flop;
            if (ops[i].attn_core)
                *core += ops[i].fwd.model_flop;
        }
    }
    size_t n = llm_head_ops(m, &sh, ops);
    for (size_t i = 0; i < n; i++)
        *head += ops[i].fwd.model_flop;
}

void tr_model_totals(tr_model *M, const scenario_t *sc)
{
    const training_spec *t = &sc->wl.training;
    const llm_spec *m = &sc->wl.model;
    M->tokens_iter = (double)t->global_batch * (double)m->seq_len;
    double fl, fh, fc;
    forward_flops(sc, M->tokens_iter, &fl, &fh, &fc);
    M->model_flop_iter = 3.0 * (fl + fh);
    M->hw_flop_iter = M->model_flop_iter + (t->recompute == TR_RECOMPUTE_FULL        ? fl
                                            : t->recompute == TR_RECOMPUTE_SELECTIVE ? fc
                                                                                     : 0);
    M->params_total = llm_params_total(m);
    M->params_active = llm_params_active(m);
}

int tr_model_build(tr_model *M, const scenario_t *sc, const tr_layout *L, diag_t *err)
{
    const training_spec *t = &sc->wl.training;
    const llm_spec *m = &sc->wl.model;
    memset(M, 0, sizeof *M);
    M->pp = L->pp;
    M->v = L->v;
    M->act_bytes = 2.0;
    M->stages = calloc((size_t)L->pp, sizeof *M->stages);
    if (!M->stages)
        goto oom;
    llm_shard sh;
    shard_of(sc, L, &sh);
    M->p2p_bytes = sh.tokens * (double)m->hidden * sh.act_bytes / (sh.sequence_parallel ? (double)L->tp : 1.0);
    int64_t nchunks = L->pp * L->v, mb = tr_microbatches(sc, L);
    bool recorded_moe = false;
    /* layer0 of global chunk k = sum of the lengths before it */
    int64_t *first = malloc((size_t)(nchunks + 1) * sizeof *first);
    if (!first)
        goto oom;
    first[0] = 0;
    for (int64_t k = 0; k < nchunks; k++)
        first[k + 1] = first[k] + chunk_layers(m->layers, nchunks, k);
    for (int64_t s = 0; s < L->pp; s++) {
        tr_stage *st = &M->stages[s];
        st->chunks = calloc((size_t)L->v, sizeof *st->chunks);
        if (!st->chunks) {
            free(first);
            goto oom;
        }
        double act_max = 0;
        for (int64_t c = 0; c < L->v; c++) {
            int64_t k = c * L->pp + s; /* chunk c of stage s is virtual stage c*p + s */
            tr_chunk *ch = &st->chunks[c];
            ch->layer0 = first[k];
            ch->layers = first[k + 1] - first[k];
            ch->embedding = k == 0;
            ch->head = k == nchunks - 1;
            ch->act_in_B = M->p2p_bytes;
            if (build_chunk(M, ch, sc, L, &sh, s == 0 || (ch->head && c == L->v - 1), &recorded_moe)) {
                free(first);
                goto oom;
            }
            st->params_dense += ch->dense_params;
            st->params_expert += ch->expert_params;
            double act = (double)ch->layers * layer_act_bytes(sc, L, &sh, t->recompute);
            act_max = act > act_max ? act : act_max;
        }
        /* optimizer step over the parameters this rank updates */
        double dense_div = t->opt.distributed ? (double)(L->dp * L->cp) : 1.0;
        double expert_div = t->opt.distributed ? (double)(L->dp * L->cp / L->ep) : 1.0;
        double updated = st->params_dense / dense_div + st->params_expert / expert_div;
        st->opt_bytes = updated * t->opt.step_traffic_B;
        st->opt_flop = 12.0 * updated; /* Adam: a dozen FLOP per parameter; memory-bound */
        st->optimizer_s = tr_op_time(sc, LLM_OP_MEM, 0, st->opt_bytes);
        /* memory estimate per rank */
        double p = st->params_dense + st->params_expert;
        st->mem_weights_B = p * 2.0;
        st->mem_grads_B = p * t->opt.grad_reduce_B;
        st->mem_optimizer_B = (st->params_dense / dense_div + st->params_expert / expert_div) * t->opt.state_B;
        /* in flight on this stage before its first backward (1F1B: p - s; interleaved: the
         * warm-up of Megatron-LM's schedule), counted in chunks of act_max */
        int64_t inflight = L->v == 1 ? L->pp - s : (L->pp - s - 1) * 2 + (L->v - 1) * L->pp + 1;
        if (inflight > mb * L->v)
            inflight = mb * L->v;
        llm_op ops[LLM_MAX_OPS];
        size_t n = llm_layer_ops(m, st->chunks[0].layer0, &sh, ops);
        double work = 0; /* one layer's full activations while it runs backward */
        for (size_t i = 0; i < n; i++)
            if (ops[i].cls != LLM_OP_COMM)
                work = fmax(work, ops[i].fwd.bytes);
        double full_layer = layer_act_bytes(sc, L, &sh, TR_RECOMPUTE_NONE);
        st->mem_act_B = (double)inflight * act_max + fmax(work, full_layer);
        if (st->chunks[L->v - 1].head) /* fp32 logits of the micro-batch */
            st->mem_act_B += sh.tokens * (double)((m->vocab + L->tp - 1) / L->tp) * 4.0;
    }
    free(first);
    tr_model_totals(M, sc);
    return 0;
oom:
    tr_model_free(M);
    return diag_fail(err, "out of memory building the operator programs");
}

void tr_model_free(tr_model *M)
{
    if (M->stages) {
        for (int64_t s = 0; s < M->pp; s++) {
            tr_stage *st = &M->stages[s];
            if (!st->chunks)
                continue;
            for (int64_t c = 0; c < M->v; c++) {
                free(st->chunks[c].fwd.steps);
                free(st->chunks[c].bwd.steps);
                free(st->chunks[c].buckets);
            }
            free(st->chunks);
        }
        free(M->stages);
    }
    free(M->oprows);
    memset(M, 0, sizeof *M);
}
