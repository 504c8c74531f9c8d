/* Inference arithmetic: KV cache sizes, memory per accelerator and the roofline cost of one
 * batch step of a replica (see llm_infer.h for the replica layout). Each operator from
 * llm_layer_ops() is timed on its own, max(flop / (peak x compute_eff), bytes / (hbm_bw x
 * memory_eff)), and the times add up: kernels of one step run one after another.
 * Invariant: every quantity here is per rank of the busiest attention group, whose share of the
 * batch is ceil(tokens / ep) tokens (groups are balanced as evenly as whole tokens allow). */
#include "llm_infer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double roof(const llm_infer *li, double flop, double bytes)
{
    double tc = flop > 0 ? flop / (li->acc.peak_flops_Fps * li->c.compute_eff) : 0.0;
    double tm = bytes > 0 ? bytes / (li->acc.hbm_bw_Bps * li->c.memory_eff) : 0.0;
    return tc > tm ? tc : tm;
}

/* The roofline time of an operator when it is compute-bound (its time then scales with the
 * clock), else 0. */
static double roof_clock(const llm_infer *li, double flop, double bytes)
{
    double tc = flop > 0 ? flop / (li->acc.peak_flops_Fps * li->c.compute_eff) : 0.0;
    double tm = bytes > 0 ? bytes / (li->acc.hbm_bw_Bps * li->c.memory_eff) : 0.0;
    return tc > tm ? tc : 0.0;
}

/* Cached elements per token per layer on one rank of an attention group: GQA splits the KV
 * heads over TP (a rank keeps at least one head); MLA's latent is not split. */
static double kv_elems_rank(const llm_spec *m, int64_t tp)
{
    llm_dims d;
    llm_dims_of(m, &d);
    if (m->attention == LLM_ATTN_MLA)
        return (double)(m->kv_lora_rank + m->rope_dim);
    int64_t heads = (d.kv_heads + tp - 1) / tp;
    return 2.0 * (double)heads * (double)d.head_dim;
}

int64_t llm_infer_replica_size(const llm_infer_cfg *c)
{
    return c->tp * c->ep * c->pp;
}

/* Layers of stage S of PP: [s*L/pp, (s+1)*L/pp). */
static int64_t stage_first(int64_t layers, int64_t pp, int64_t s)
{
    return s * layers / pp;
}

int llm_infer_init(llm_infer *li, const llm_spec *m, const hw_accel *a, const llm_infer_cfg *c, double mem_util,
                   char *why, size_t whylen)
{
    memset(li, 0, sizeof *li);
    li->m = m;
    li->acc = *a;
    li->c = *c;
    llm_dims d;
    llm_dims_of(m, &d);
    for (int64_t l = 0; l < m->layers; l++) {
        if (llm_layer_is_moe(m, l))
            li->moe_layers++;
        else
            li->dense_layers++;
    }
    li->kv_elems_token_layer = m->attention == LLM_ATTN_MLA ? (double)(m->kv_lora_rank + m->rope_dim)
                                                            : 2.0 * (double)d.kv_heads * (double)d.head_dim;
    li->kv_bytes_token = (double)m->layers * li->kv_elems_token_layer * c->kv_bytes;
    double kv_rank_layer = kv_elems_rank(m, c->tp) * c->kv_bytes;
    li->kv_bytes_rank_layer = kv_rank_layer;
    /* FLOP per (query, key) pair, whole model width: scores 2*q_dim, values 2*o_dim. MLA decodes
     * in the absorbed form (DeepSeek-V2 §2.1.2): scores and values over the cached latent. */
    li->pair_flop_prefill = 2.0 * (double)d.q_dim + 2.0 * (double)d.o_dim;
    li->pair_flop_decode = li->pair_flop_prefill;
    if (m->attention == LLM_ATTN_MLA)
        li->pair_flop_decode =
            (double)m->heads * (2.0 * (double)(m->kv_lora_rank + m->rope_dim) + 2.0 * (double)m->kv_lora_rank);
    li->qo_elems = (double)(d.q_dim + d.o_dim);
    li->first_dense = li->first_moe = -1;
    for (int64_t l = 0; l < m->layers && (li->first_dense < 0 || li->first_moe < 0); l++) {
        if (llm_layer_is_moe(m, l)) {
            if (li->first_moe < 0)
                li->first_moe = l;
        } else if (li->first_dense < 0) {
            li->first_dense = l;
        }
    }
    double tp = (double)c->tp;
    for (int64_t s = 0; s < c->pp; s++) {
        int64_t l0 = stage_first(m->layers, c->pp, s), l1 = stage_first(m->layers, c->pp, s + 1);
        double w = 0;
        for (int64_t l = l0; l < l1; l++) {
            double dense, expert;
            llm_layer_params_shard(m, l, c->tp, c->ep, &dense, &expert);
            w += dense + expert;
        }
        if (s == 0)
            w += llm_embedding_params(m) / tp;
        if (s == c->pp - 1)
            w += llm_head_params(m) / tp;
        w *= c->weight_bytes;
        if (w > li->weight_bytes_rank)
            li->weight_bytes_rank = w;
        double kv = (double)(l1 - l0) * kv_rank_layer;
        if (kv > li->kv_bytes_token_rank)
            li->kv_bytes_token_rank = kv;
    }
    /* Activation working set at the largest step: one layer's widest intermediate for the group's
     * share of max_batch_tokens, plus fp32 logits of every sequence (vLLM profiles the same peak). */
    double h = (double)m->hidden, E = c->act_bytes, ep = (double)c->ep;
    double tr = ceil((double)c->max_batch_tokens / ep);
    double wide = (double)(d.q_dim + 2 * d.kv_dim) / tp;
    double gate = m->gated_ffn ? 2.0 : 1.0;
    if (li->dense_layers)
        wide = fmax(wide, gate * (double)d.ffn / tp);
    if (li->moe_layers)
        wide = fmax(wide, (double)m->top_k * gate * (double)m->expert_ffn / tp);
    int64_t most = c->max_batch_size < c->max_batch_tokens ? c->max_batch_size : c->max_batch_tokens;
    double seqs = ceil((double)most / ep);
    li->act_reserve_bytes = tr * E * (2.0 * h + wide) + seqs * ceil((double)m->vocab / tp) * 4.0;
    double usable = mem_util * a->hbm_bytes;
    if (li->weight_bytes_rank + li->act_reserve_bytes >= usable) {
        snprintf(why, whylen,
                 "the model does not fit: %.4g GB of weights and %.4g GB of activations per accelerator exceed %.4g GB "
                 "(%.0f%% of HBM); raise tp, ep or pp",
                 li->weight_bytes_rank / 1e9, li->act_reserve_bytes / 1e9, usable / 1e9, 100.0 * mem_util);
        return -1;
    }
    return 0;
}

double llm_infer_kv_capacity_tokens(const llm_infer *li, double mem_util)
{
    double free_b = mem_util * li->acc.hbm_bytes - li->weight_bytes_rank - li->act_reserve_bytes;
    if (free_b <= 0 || li->kv_bytes_token_rank <= 0)
        return 0;
    return (double)li->c.ep * floor(free_b / li->kv_bytes_token_rank);
}

/* Share of the batch the busiest attention group gets. */
static double group_share(const llm_infer *li, double tokens)
{
    if (tokens <= 0)
        return 0;
    return ceil(tokens / (double)li->c.ep) / tokens;
}

static void add_comm(llm_step_cost *o, const llm_op *op, double mult)
{
    if (op->fwd.comm == LLM_COMM_NONE || op->fwd.bytes <= 0)
        return;
    int k = -1;
    if (op->group == LLM_GROUP_TP)
        k = op->fwd.comm == LLM_COMM_ALLREDUCE ? LIC_TP_ALLREDUCE : LIC_TP_ALLGATHER;
    else if (op->group == LLM_GROUP_EP)
        k = LIC_EP_ALLTOALL;
    if (k < 0)
        return;
    o->calls[k] += mult;
    o->bytes[k] += mult * op->fwd.bytes;
}

/* Forward cost of the operators of one block of kind LAYER, except the attention core, times
 * MULT identical blocks. */
static void layer_fixed(const llm_infer *li, int64_t layer, double mult, const llm_shard *sh, double batch_tokens,
                        llm_step_cost *o)
{
    const llm_spec *m = li->m;
    llm_op ops[LLM_MAX_OPS];
    size_t n = llm_layer_ops(m, layer, sh, ops);
    double resident = 0, unused = 0;
    if (llm_layer_is_moe(m, layer) && m->experts > 0) {
        /* A step's tokens pick top_k experts each; with uniform routing an expert is untouched with
         * probability (1 - k/E)^tokens, and an untouched expert's weights are not read. */
        double ne = (double)m->experts, k = (double)m->top_k;
        resident = ne / (double)li->c.ep;
        double touched = 1.0 - pow(1.0 - fmin(k / ne, 1.0), batch_tokens);
        unused = resident * (1.0 - touched);
    }
    double h = (double)m->hidden, inner = (double)m->expert_ffn / (double)sh->tp;
    double gate = m->gated_ffn ? 2.0 : 1.0;
    for (size_t i = 0; i < n; i++) {
        const llm_op *op = &ops[i];
        if (op->cls == LLM_OP_ATTN)
            continue; /* priced by llm_infer_attention_s from each sequence's context */
        if (op->cls == LLM_OP_COMM) {
            add_comm(o, op, mult);
            continue;
        }
        double bytes = op->fwd.bytes;
        if (unused > 0 && !strcmp(op->name, "experts_fc1"))
            bytes -= unused * h * inner * gate * li->c.weight_bytes;
        else if (unused > 0 && !strcmp(op->name, "experts_fc2"))
            bytes -= unused * inner * h * li->c.weight_bytes;
        o->compute_s += mult * roof(li, op->fwd.flop, bytes);
        o->clock_s += mult * roof_clock(li, op->fwd.flop, bytes);
        o->flop += mult * op->fwd.flop;
        o->hbm_bytes += mult * bytes;
    }
}

void llm_infer_fixed(const llm_infer *li, const llm_batch *b, llm_step_cost *o)
{
    memset(o, 0, sizeof *o);
    if (b->tokens <= 0)
        return;
    const llm_spec *m = li->m;
    double share = group_share(li, b->tokens);
    llm_shard sh = {.tokens = b->tokens * share, .context = 0, .tp = li->c.tp, .cp = 1, .ep = li->c.ep,
                    .sequence_parallel = false, .flash = true, .causal = true, .dropout = false,
                    .act_bytes = li->c.act_bytes, .weight_bytes = li->c.weight_bytes, .grad_acc_bytes = 0};
    if (li->first_dense >= 0)
        layer_fixed(li, li->first_dense, (double)li->dense_layers, &sh, b->tokens, o);
    if (li->first_moe >= 0)
        layer_fixed(li, li->first_moe, (double)li->moe_layers, &sh, b->tokens, o);
    llm_op ops[LLM_MAX_OPS];
    size_t n = llm_embedding_ops(m, &sh, ops);
    for (size_t i = 0; i < n; i++) {
        if (ops[i].cls == LLM_OP_COMM) {
            add_comm(o, &ops[i], 1);
            continue;
        }
        o->compute_s += roof(li, ops[i].fwd.flop, ops[i].fwd.bytes);
        o->clock_s += roof_clock(li, ops[i].fwd.flop, ops[i].fwd.bytes);
        o->flop += ops[i].fwd.flop;
        o->hbm_bytes += ops[i].fwd.bytes;
    }
    /* Output head for the tokens that emit one: final norm, vocabulary-parallel logits, and an
     * all-gather of the logits to the rank that samples. */
    double tl = b->logit_tokens * share, h = (double)m->hidden, E = li->c.act_bytes, tp = (double)li->c.tp;
    if (tl > 0) {
        double vr = ceil((double)m->vocab / tp);
        double f = 2.0 * tl * h * vr, by = vr * h * li->c.weight_bytes + tl * (h + vr) * E + 2.0 * tl * h * E;
        o->compute_s += roof(li, f, by);
        o->clock_s += roof_clock(li, f, by);
        o->flop += f;
        o->hbm_bytes += by;
        if (li->c.tp > 1) {
            o->calls[LIC_TP_ALLGATHER] += 1;
            o->bytes[LIC_TP_ALLGATHER] += tl * (double)m->vocab * E;
        }
    }
    if (li->c.pp > 1) {
        o->calls[LIC_PP_P2P] += (double)(li->c.pp - 1);
        o->bytes[LIC_PP_P2P] += (double)(li->c.pp - 1) * sh.tokens * h * E;
    }
}

/* Attention core FLOP and bytes of one layer for batch B (tokens > 0). */
static void attention_layer(const llm_infer *li, const llm_batch *b, double *f, double *by)
{
    double share = group_share(li, b->tokens), tp = (double)li->c.tp;
    *f = share * (b->prefill_pairs * li->pair_flop_prefill + b->decode_pairs * li->pair_flop_decode) / tp;
    double tr = share * b->tokens;
    *by = (share * b->kv_read_tokens + tr) * li->kv_bytes_rank_layer + tr * li->qo_elems / tp * li->c.act_bytes;
}

double llm_infer_attention_clock_s(const llm_infer *li, const llm_batch *b)
{
    if (b->tokens <= 0)
        return 0;
    double f, by;
    attention_layer(li, b, &f, &by);
    return (double)li->m->layers * roof_clock(li, f, by);
}

double llm_infer_attention_s(const llm_infer *li, const llm_batch *b, double *flop, double *bytes)
{
    *flop = *bytes = 0;
    if (b->tokens <= 0)
        return 0;
    double f, by;
    attention_layer(li, b, &f, &by);
    double L = (double)li->m->layers;
    *flop = L * f;
    *bytes = L * by;
    return L * roof(li, f, by);
}

void llm_infer_step(const llm_infer *li, const llm_batch *b, llm_step_cost *out)
{
    llm_infer_fixed(li, b, out);
    double f, by;
    out->compute_s += llm_infer_attention_s(li, b, &f, &by);
    out->clock_s += llm_infer_attention_clock_s(li, b);
    out->flop += f;
    out->hbm_bytes += by;
}
