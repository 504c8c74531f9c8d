/* Transformer arithmetic: parameter counts and per-operator FLOP and HBM bytes of a block, the
 * embedding and the head, for one rank's shard of a batch of tokens.
 * Invariant: summed over a block's operators, MODEL_FLOP of the forward pass at TP = CP = 1 is
 * the textbook count (GPT: 24 h^2 + 4 s h per token, Narayanan et al. SC'21 eq. 3), and the
 * backward pass counts twice the forward pass. */
#include "llm.h"

#include <string.h>

void llm_dims_of(const llm_spec *m, llm_dims *d)
{
    d->head_dim = m->head_dim > 0 ? m->head_dim : m->hidden / (m->heads > 0 ? m->heads : 1);
    d->kv_heads = m->kv_heads > 0 ? m->kv_heads : m->heads;
    d->ffn = m->ffn > 0 ? m->ffn : 4 * m->hidden;
    if (m->attention == LLM_ATTN_MLA) {
        d->q_dim = m->heads * (d->head_dim + m->rope_dim);
        d->k_dim = d->q_dim;
        d->kv_dim = m->heads * d->head_dim;
        d->o_dim = m->heads * d->head_dim;
    } else {
        d->q_dim = m->heads * d->head_dim;
        d->k_dim = d->kv_heads * d->head_dim;
        d->kv_dim = d->kv_heads * d->head_dim;
        d->o_dim = m->heads * d->head_dim;
    }
}

bool llm_layer_is_moe(const llm_spec *m, int64_t layer)
{
    return m->experts > 0 && layer >= m->dense_layers;
}

static double norm_params(const llm_spec *m, double width)
{
    return m->norm == LLM_NORM_LAYER ? 2.0 * width : width;
}

static double ffn_matrices(const llm_spec *m)
{
    return m->gated_ffn ? 3.0 : 2.0;
}

/* Attention parameters: matrices (split by TP) and vectors (replicated), plus MLA's replicated
 * down-projections counted in *REPL. */
static void attn_params(const llm_spec *m, double *split, double *repl)
{
    llm_dims d;
    llm_dims_of(m, &d);
    double h = (double)m->hidden;
    *split = 0;
    *repl = 0;
    if (m->attention == LLM_ATTN_MLA) {
        double qk = (double)(d.head_dim + m->rope_dim);
        if (m->q_lora_rank > 0) {
            *repl += h * (double)m->q_lora_rank + norm_params(m, (double)m->q_lora_rank);
            *split += (double)m->q_lora_rank * (double)m->heads * qk;
        } else {
            *split += h * (double)m->heads * qk;
        }
        *repl += h * (double)(m->kv_lora_rank + m->rope_dim) + norm_params(m, (double)m->kv_lora_rank);
        *split += (double)m->kv_lora_rank * (double)m->heads * (double)(2 * d.head_dim);
        *split += (double)d.o_dim * h;
    } else {
        *split += h * (double)(d.q_dim + 2 * d.kv_dim) + (double)d.o_dim * h;
    }
    if (m->bias) {
        *split += (double)(d.q_dim + 2 * d.kv_dim); /* column-parallel biases are split */
        *repl += h;                                 /* the output projection's bias is not */
    }
    *repl += norm_params(m, h);
}

static void ffn_params(const llm_spec *m, int64_t layer, double *split, double *repl, double *expert)
{
    llm_dims d;
    llm_dims_of(m, &d);
    double h = (double)m->hidden;
    *split = *repl = *expert = 0;
    *repl += norm_params(m, h);
    if (llm_layer_is_moe(m, layer)) {
        double e = (double)m->expert_ffn;
        *expert = (double)m->experts * ffn_matrices(m) * h * e;
        *split += (double)m->shared_experts * ffn_matrices(m) * h * e;
        *repl += h * (double)m->experts; /* router */
        return;
    }
    double f = (double)d.ffn;
    *split += ffn_matrices(m) * h * f;
    if (m->bias) {
        *split += f * (m->gated_ffn ? 2.0 : 1.0);
        *repl += h;
    }
}

void llm_layer_params(const llm_spec *m, int64_t layer, double *dense, double *expert)
{
    double as, ar, fs, fr;
    attn_params(m, &as, &ar);
    ffn_params(m, layer, &fs, &fr, expert);
    *dense = as + ar + fs + fr;
}

void llm_layer_params_shard(const llm_spec *m, int64_t layer, int64_t tp, int64_t ep, double *dense,
                            double *expert)
{
    double as, ar, fs, fr, ex;
    attn_params(m, &as, &ar);
    ffn_params(m, layer, &fs, &fr, &ex);
    double t = (double)(tp > 0 ? tp : 1), e = (double)(ep > 0 ? ep : 1);
    *dense = (as + fs) / t + ar + fr;
    *expert = ex / (e * t);
}

double llm_embedding_params(const llm_spec *m)
{
    double h = (double)m->hidden;
    double p = (double)m->vocab * h;
    if (m->position == LLM_POS_LEARNED)
        p += (double)m->seq_len * h;
    return p;
}

double llm_head_params(const llm_spec *m)
{
    double h = (double)m->hidden;
    return norm_params(m, h) + (m->tied_embeddings ? 0.0 : (double)m->vocab * h);
}

double llm_params_total(const llm_spec *m)
{
    double p = llm_embedding_params(m) + llm_head_params(m);
    for (int64_t l = 0; l < m->layers; l++) {
        double d, e;
        llm_layer_params(m, l, &d, &e);
        p += d + e;
    }
    return p;
}

double llm_params_active(const llm_spec *m)
{
    double p = (double)m->vocab * (double)m->hidden + norm_params(m, (double)m->hidden);
    for (int64_t l = 0; l < m->layers; l++) {
        double d, e;
        llm_layer_params(m, l, &d, &e);
        p += d;
        if (llm_layer_is_moe(m, l) && m->experts > 0)
            p += e * (double)m->top_k / (double)m->experts;
    }
    return p;
}

/* ---- operators ---- */

typedef struct opbuf {
    llm_op *ops;
    size_t n;
    const llm_shard *sh;
} opbuf;

static llm_op *push(opbuf *b, const char *name, llm_op_class cls)
{
    if (b->n >= LLM_MAX_OPS)
        return NULL;
    llm_op *o = &b->ops[b->n++];
    memset(o, 0, sizeof *o);
    o->name = name;
    o->cls = cls;
    return o;
}

/* x[M x K] * W[K x N] with WMUL weight matrices of that shape resident (grouped experts).
 * Backward: data gradient (dY W^T) and weight gradient (X^T dY accumulated into the
 * gradient buffer: one read and one write per element). */
static void gemm(opbuf *b, const char *name, double M, double K, double N, double wmul)
{
    if (M <= 0 || K <= 0 || N <= 0)
        return;
    llm_op *o = push(b, name, LLM_OP_GEMM);
    if (!o)
        return;
    const llm_shard *sh = b->sh;
    double E = sh->act_bytes, W = sh->weight_bytes, G = sh->grad_acc_bytes;
    double f = 2.0 * M * K * N;
    o->fwd.flop = o->fwd.model_flop = f;
    o->fwd.bytes = M * K * E + wmul * K * N * W + M * N * E;
    o->bwd.flop = o->bwd.model_flop = 2.0 * f;
    o->bwd.bytes = (M * N * E + wmul * K * N * W + M * K * E) + (M * K * E + M * N * E + 2.0 * wmul * K * N * G);
}

static void mem(opbuf *b, const char *name, double fwd_bytes, double bwd_bytes)
{
    if (fwd_bytes <= 0 && bwd_bytes <= 0)
        return;
    llm_op *o = push(b, name, LLM_OP_MEM);
    if (!o)
        return;
    o->fwd.bytes = fwd_bytes;
    o->bwd.bytes = bwd_bytes;
}

static void comm(opbuf *b, const char *name, llm_group g, llm_comm fwd, double fwd_bytes, llm_comm bwd,
                 double bwd_bytes)
{
    int64_t size = g == LLM_GROUP_TP ? b->sh->tp : g == LLM_GROUP_CP ? b->sh->cp : b->sh->ep;
    if (size <= 1 || (fwd == LLM_COMM_NONE && bwd == LLM_COMM_NONE))
        return;
    llm_op *o = push(b, name, LLM_OP_COMM);
    if (!o)
        return;
    o->group = g;
    o->fwd.comm = fwd;
    o->fwd.bytes = fwd == LLM_COMM_NONE ? 0 : fwd_bytes;
    o->bwd.comm = bwd;
    o->bwd.bytes = bwd == LLM_COMM_NONE ? 0 : bwd_bytes;
}

/* Megatron's conjugate operators around a tensor-parallel region on a full activation of
 * FULL bytes: `f` enters it (forward identity or all-gather with sequence parallelism;
 * backward all-reduce or reduce-scatter), `g` leaves it (the mirror image). */
static void tp_enter(opbuf *b, const char *name, double full)
{
    if (b->sh->sequence_parallel)
        comm(b, name, LLM_GROUP_TP, LLM_COMM_ALLGATHER, full, LLM_COMM_REDUCESCATTER, full);
    else
        comm(b, name, LLM_GROUP_TP, LLM_COMM_NONE, 0, LLM_COMM_ALLREDUCE, full);
}

static void tp_leave(opbuf *b, const char *name, double full)
{
    if (b->sh->sequence_parallel)
        comm(b, name, LLM_GROUP_TP, LLM_COMM_REDUCESCATTER, full, LLM_COMM_ALLGATHER, full);
    else
        comm(b, name, LLM_GROUP_TP, LLM_COMM_ALLREDUCE, full, LLM_COMM_NONE, 0);
}

/* Bytes of one hidden activation held by the rank outside the tensor-parallel regions. */
static double hidden_act(const llm_spec *m, const llm_shard *sh)
{
    double a = sh->tokens * (double)m->hidden * sh->act_bytes;
    return sh->sequence_parallel ? a / (double)sh->tp : a;
}

static void norm(opbuf *b, const char *name, const llm_spec *m)
{
    double a = hidden_act(m, b->sh);
    mem(b, name, 2.0 * a, 3.0 * a);
}

/* Residual add (with bias and dropout when the model has them): one fused kernel. */
static void residual(opbuf *b, const char *name, const llm_spec *m)
{
    const llm_shard *sh = b->sh;
    double a = hidden_act(m, sh);
    double mask = sh->dropout ? a / sh->act_bytes : 0.0;
    double fwd = 3.0 * a + mask;
    /* Backward of a plain add is the identity (no kernel); dropout needs its mask applied. */
    double bwd = sh->dropout ? 2.0 * a + mask : 0.0;
    mem(b, name, fwd, bwd);
}

static void attention_core(opbuf *b, const llm_spec *m, const llm_dims *d)
{
    const llm_shard *sh = b->sh;
    double t = (double)sh->tp, T = sh->tokens, C = sh->context, E = sh->act_bytes;
    double keys = T * (double)sh->cp; /* key/value rows of the rank's sequences */
    double q = (double)d->q_dim / t, k = (double)d->k_dim / t, v = (double)d->kv_dim / t, o = (double)d->o_dim / t;
    double heads = (double)m->heads / t;
    double f_qk = 2.0 * T * C * q, f_pv = 2.0 * T * C * o;
    if (sh->flash) {
        llm_op *op = push(b, "attention", LLM_OP_ATTN);
        if (!op)
            return;
        op->attn_core = true;
        double skip = sh->causal ? 0.5 : 1.0;
        op->fwd.model_flop = f_qk + f_pv;
        op->fwd.flop = skip * (f_qk + f_pv);
        /* the backward kernel recomputes the scores: 5 matmuls against 2 forward */
        op->bwd.model_flop = 2.0 * (f_qk + f_pv);
        op->bwd.flop = 2.5 * op->fwd.flop;
        op->fwd.bytes = (T * (q + o) + keys * (k + v)) * E + T * heads * 4.0;
        op->bwd.bytes = (T * (2.0 * q + 2.0 * o) + 2.0 * keys * (k + v)) * E + T * heads * 4.0;
        return;
    }
    double S = heads * T * C * E; /* score matrix bytes */
    size_t first = b->n;
    llm_op *qk = push(b, "attn_scores", LLM_OP_ATTN);
    if (!qk)
        return;
    qk->fwd.flop = qk->fwd.model_flop = f_qk;
    qk->bwd.flop = qk->bwd.model_flop = 2.0 * f_qk;
    qk->fwd.bytes = (T * q + keys * k) * E + S;
    qk->bwd.bytes = S + 2.0 * (T * q + keys * k) * E;
    mem(b, "softmax", 2.0 * S, 3.0 * S);
    if (sh->dropout)
        mem(b, "attn_dropout", 2.0 * S + S / E, 2.0 * S + S / E);
    llm_op *pv = push(b, "attn_context", LLM_OP_ATTN);
    if (!pv)
        return;
    pv->fwd.flop = pv->fwd.model_flop = f_pv;
    pv->bwd.flop = pv->bwd.model_flop = 2.0 * f_pv;
    pv->fwd.bytes = S + (keys * v + T * o) * E;
    pv->bwd.bytes = 2.0 * S + 2.0 * (keys * v + T * o) * E;
    for (size_t i = first; i < b->n; i++)
        b->ops[i].attn_core = true;
}

static void attention(opbuf *b, const llm_spec *m)
{
    const llm_shard *sh = b->sh;
    llm_dims d;
    llm_dims_of(m, &d);
    double t = (double)sh->tp, T = sh->tokens, h = (double)m->hidden, E = sh->act_bytes;
    double full = T * h * E;
    norm(b, "attn_norm", m);
    tp_enter(b, "attn_enter", full);
    if (m->attention == LLM_ATTN_MLA) {
        double qk = (double)(d.head_dim + m->rope_dim);
        if (m->q_lora_rank > 0) {
            double r = (double)m->q_lora_rank;
            gemm(b, "q_down", T, h, r, 1);
            mem(b, "q_norm", 2.0 * T * r * E, 3.0 * T * r * E);
            gemm(b, "q_up", T, r, (double)m->heads * qk / t, 1);
        } else {
            gemm(b, "q_proj", T, h, (double)m->heads * qk / t, 1);
        }
        double r = (double)m->kv_lora_rank;
        gemm(b, "kv_down", T, h, r + (double)m->rope_dim, 1);
        mem(b, "kv_norm", 2.0 * T * r * E, 3.0 * T * r * E);
        gemm(b, "kv_up", T, r, (double)m->heads * (double)(2 * d.head_dim) / t, 1);
    } else {
        gemm(b, "qkv_proj", T, h, (double)(d.q_dim + 2 * d.kv_dim) / t, 1);
    }
    if (m->position == LLM_POS_ROPE) {
        double qk = T * (double)(d.q_dim + d.k_dim) / t * E;
        mem(b, "rope", 2.0 * qk, 2.0 * qk);
    }
    double kv_bytes = T * (double)sh->cp * (double)(d.k_dim + d.kv_dim) / t * E;
    comm(b, "cp_kv", LLM_GROUP_CP, LLM_COMM_ALLGATHER, kv_bytes, LLM_COMM_REDUCESCATTER, kv_bytes);
    attention_core(b, m, &d);
    gemm(b, "o_proj", T, (double)d.o_dim / t, h, 1);
    tp_leave(b, "attn_leave", full);
    residual(b, "attn_residual", m);
}

static void ffn_body(opbuf *b, const llm_spec *m, const char *fc1, const char *act, const char *fc2, double T,
                     double inner, double wmul)
{
    const llm_shard *sh = b->sh;
    double h = (double)m->hidden, E = sh->act_bytes;
    double width1 = inner * (m->gated_ffn ? 2.0 : 1.0);
    gemm(b, fc1, T, h, width1, wmul);
    double in = T * width1 * E, out = T * inner * E;
    mem(b, act, in + out, 2.0 * in + out);
    gemm(b, fc2, T, inner, h, wmul);
}

static void ffn(opbuf *b, const llm_spec *m, int64_t layer)
{
    const llm_shard *sh = b->sh;
    llm_dims d;
    llm_dims_of(m, &d);
    double t = (double)sh->tp, T = sh->tokens, h = (double)m->hidden, E = sh->act_bytes;
    double full = T * h * E;
    norm(b, "mlp_norm", m);
    tp_enter(b, "mlp_enter", full);
    if (!llm_layer_is_moe(m, layer)) {
        ffn_body(b, m, "fc1", "activation", "fc2", T, (double)d.ffn / t, 1);
    } else {
        double ep = (double)sh->ep, k = (double)m->top_k, ne = (double)m->experts;
        double routed = T * k; /* token copies each rank processes with balanced routing */
        gemm(b, "router", T, h, ne, 1);
        mem(b, "router_topk", 3.0 * T * ne * 4.0, 2.0 * T * ne * 4.0);
        double moved = routed * h * E;
        mem(b, "permute", 2.0 * moved, 2.0 * moved);
        comm(b, "ep_dispatch", LLM_GROUP_EP, LLM_COMM_ALLTOALL, moved, LLM_COMM_ALLTOALL, moved);
        ffn_body(b, m, "experts_fc1", "experts_activation", "experts_fc2", routed, (double)m->expert_ffn / t,
                 ne / ep);
        comm(b, "ep_combine", LLM_GROUP_EP, LLM_COMM_ALLTOALL, moved, LLM_COMM_ALLTOALL, moved);
        mem(b, "unpermute", 2.0 * moved + T * h * E, 2.0 * moved + T * h * E);
        if (m->shared_experts > 0)
            ffn_body(b, m, "shared_fc1", "shared_activation", "shared_fc2", T,
                     (double)(m->shared_experts * m->expert_ffn) / t, 1);
    }
    tp_leave(b, "mlp_leave", full);
    residual(b, "mlp_residual", m);
}

size_t llm_layer_ops(const llm_spec *m, int64_t layer, const llm_shard *sh, llm_op *ops)
{
    opbuf b = {ops, 0, sh};
    attention(&b, m);
    ffn(&b, m, layer);
    return b.n;
}

size_t llm_embedding_ops(const llm_spec *m, const llm_shard *sh, llm_op *ops)
{
    opbuf b = {ops, 0, sh};
    double T = sh->tokens, h = (double)m->hidden, E = sh->act_bytes, t = (double)sh->tp;
    double full = T * h * E;
    /* vocabulary-parallel lookup: every rank gathers the rows it holds (masked) */
    double fwd = 2.0 * full, bwd = full + 2.0 * T * h * sh->grad_acc_bytes / t;
    if (m->position == LLM_POS_LEARNED) {
        fwd += 3.0 * full;
        bwd += full;
    }
    mem(&b, "embedding", fwd, bwd);
    tp_leave(&b, "embedding_reduce", full);
    return b.n;
}

size_t llm_head_ops(const llm_spec *m, const llm_shard *sh, llm_op *ops)
{
    opbuf b = {ops, 0, sh};
    double T = sh->tokens, h = (double)m->hidden, E = sh->act_bytes;
    double full = T * h * E;
    double vr = (double)((m->vocab + sh->tp - 1) / sh->tp); /* padded to a multiple of TP */
    norm(&b, "final_norm", m);
    tp_enter(&b, "head_enter", full);
    gemm(&b, "logits", T, h, vr, 1);
    /* cross-entropy in fp32: cast, max, subtract, exp, sum, divide; backward: softmax minus
     * the one-hot target, written at activation precision */
    mem(&b, "cross_entropy", T * vr * (E + 24.0), T * vr * (8.0 + E));
    comm(&b, "loss_max", LLM_GROUP_TP, LLM_COMM_ALLREDUCE, T * 4.0, LLM_COMM_NONE, 0);
    comm(&b, "loss_target", LLM_GROUP_TP, LLM_COMM_ALLREDUCE, T * 4.0, LLM_COMM_NONE, 0);
    comm(&b, "loss_sum", LLM_GROUP_TP, LLM_COMM_ALLREDUCE, T * 4.0, LLM_COMM_NONE, 0);
    return b.n;
}

double llm_forward_model_flop(const llm_spec *m, double tokens, double seq)
{
    llm_shard sh = {.tokens = tokens, .context = seq, .tp = 1, .cp = 1, .ep = 1, .act_bytes = 2,
                    .weight_bytes = 2, .grad_acc_bytes = 4};
    llm_op ops[LLM_MAX_OPS];
    double f = 0;
    for (int64_t l = 0; l < m->layers; l++) {
        size_t n = llm_layer_ops(m, l, &sh, ops);
        for (size_t i = 0; i < n; i++)
            f += ops[i].fwd.model_flop;
    }
    size_t n = llm_head_ops(m, &sh, ops);
    for (size_t i = 0; i < n; i++)
        f += ops[i].fwd.model_flop;
    return f;
}
