/* Arithmetic on a transformer language model (llm_spec): parameter counts, and the operators
 * of one block, the embedding and the output head as seen by one rank for one batch of tokens,
 * each with its FLOP and HBM bytes for the forward and the backward pass, in execution order,
 * with the communication points of tensor, expert and context parallelism between them.
 * Shared by training and inference (inference uses the forward passes). Pure functions; no
 * allocation: operators are written into caller-provided arrays. */
#ifndef OAS_LLM_H
#define OAS_LLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llm_spec.h"

/* Derived widths, with the spec's zero defaults resolved. */
typedef struct llm_dims {
    int64_t head_dim;   /* per head (MLA: the no-RoPE part of q/k, and v) */
    int64_t kv_heads;
    int64_t ffn;        /* dense FFN inner size */
    int64_t q_dim;      /* heads x query/key width (MLA: heads x (head_dim + rope_dim)) */
    int64_t kv_dim;     /* kv_heads x head_dim (GQA); MLA: heads x head_dim (values) */
    int64_t k_dim;      /* key width over all kv heads (GQA = kv_dim; MLA = q_dim) */
    int64_t o_dim;      /* attention output width into the output projection */
} llm_dims;

void llm_dims_of(const llm_spec *m, llm_dims *d);

/* True when block LAYER (0-based) has a mixture-of-experts FFN. */
bool llm_layer_is_moe(const llm_spec *m, int64_t layer);

/* Parameters of block LAYER: *DENSE everything every token uses (attention, norms, dense FFN,
 * shared experts, router), *EXPERT the routed experts. */
void llm_layer_params(const llm_spec *m, int64_t layer, double *dense, double *expert);
/* Input embedding (with learned positions when the model has them). */
double llm_embedding_params(const llm_spec *m);
/* Final norm and output layer (the output matrix only when not tied to the embedding). */
double llm_head_params(const llm_spec *m);
/* Every parameter of the model. */
double llm_params_total(const llm_spec *m);
/* Parameters one token uses (MoE: top_k routed + shared experts; embedding rows excluded,
 * output layer included). */
double llm_params_active(const llm_spec *m);

/* One rank's share of block LAYER's parameters under tensor parallelism TP and expert
 * parallelism EP (weight matrices split TP ways, routed experts EP ways; norms, biases,
 * routers and MLA down-projections are replicated). */
void llm_layer_params_shard(const llm_spec *m, int64_t layer, int64_t tp, int64_t ep, double *dense,
                            double *expert);

/* ---- operators ---- */

typedef enum llm_op_class {
    LLM_OP_GEMM, /* dense matrix multiply */
    LLM_OP_ATTN, /* attention core: batched matmuls (unfused) or one fused kernel */
    LLM_OP_MEM,  /* elementwise, normalisation, softmax, gather: bound by HBM bandwidth */
    LLM_OP_COMM, /* a collective inside the layer's group */
} llm_op_class;

typedef enum llm_comm {
    LLM_COMM_NONE,
    LLM_COMM_ALLREDUCE,
    LLM_COMM_ALLGATHER,
    LLM_COMM_REDUCESCATTER,
    LLM_COMM_ALLTOALL,
} llm_comm;

typedef enum llm_group { LLM_GROUP_TP, LLM_GROUP_CP, LLM_GROUP_EP } llm_group;

/* One pass (forward or backward) of an operator. FLOP is what the kernel executes;
 * MODEL_FLOP what the model-FLOPs convention counts (matmuls only, full attention square).
 * BYTES is HBM traffic for compute operators and, for LLM_COMM, the message size in the
 * nccl-tests convention of COMM (all-reduce: per-rank buffer; all-gather: total output;
 * reduce-scatter: per-rank input; all-to-all: what each rank holds in total). */
typedef struct llm_pass {
    double flop, model_flop, bytes;
    llm_comm comm; /* LLM_COMM only; NONE: nothing to exchange in this pass */
} llm_pass;

typedef struct llm_op {
    const char *name; /* static */
    llm_op_class cls;
    llm_group group;  /* LLM_COMM only */
    bool attn_core;   /* part of the attention core (what selective recomputation re-runs) */
    llm_pass fwd, bwd;
} llm_op;

/* How one rank sees one batch of tokens. */
typedef struct llm_shard {
    double tokens;          /* tokens of the batch on this rank's sequence shard (b*s/cp) */
    double context;         /* keys each query attends (training: the sequence length s) */
    int64_t tp, cp, ep;     /* tensor, context and expert parallel degrees (>= 1) */
    bool sequence_parallel; /* activations outside the TP regions are split TP ways */
    bool flash;             /* fused attention kernel (no score matrix in HBM) */
    bool causal;            /* causal mask: a fused kernel skips the masked half */
    bool dropout;           /* dropout kernels after attention and residuals */
    double act_bytes;       /* bytes per activation element (2 for bf16/fp16) */
    double weight_bytes;    /* bytes per weight element read by matmuls */
    double grad_acc_bytes;  /* bytes per gradient element accumulated by weight-gradient matmuls */
} llm_shard;

/* Most operators any of the functions below writes. */
#define LLM_MAX_OPS 48

/* Operators of block LAYER in forward order; the backward pass runs them in reverse order.
 * Returns the number written (<= LLM_MAX_OPS). Communication operators appear only when their
 * group has more than one rank. */
size_t llm_layer_ops(const llm_spec *m, int64_t layer, const llm_shard *sh, llm_op *ops);
/* Input embedding (vocabulary-parallel over TP). */
size_t llm_embedding_ops(const llm_spec *m, const llm_shard *sh, llm_op *ops);
/* Final norm, output layer and vocabulary-parallel cross-entropy loss. */
size_t llm_head_ops(const llm_spec *m, const llm_shard *sh, llm_op *ops);

/* Model FLOP of one forward pass over TOKENS tokens of sequences of length SEQ, whole model
 * (matmuls only, full attention square, the convention of Narayanan et al. SC'21 and PaLM). */
double llm_forward_model_flop(const llm_spec *m, double tokens, double seq);

#endif
