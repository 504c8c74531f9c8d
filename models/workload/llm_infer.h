/* Inference arithmetic on a language model (llm_spec) served by one replica: KV cache bytes
 * per token (GQA 2*kv_heads*head_dim; MLA layers*(kv_lora_rank + rope_dim), no factor 2),
 * weights and activation reserve per accelerator, and the cost of one batch step (prefill
 * chunks and decodes mixed) by a per-operator roofline, with the step's collectives listed for
 * the network. Parameters and per-operator FLOP/bytes come from llm.h (llm_layer_ops); only the
 * attention core, which depends on each sequence's context, and the MoE expert reads, which
 * depend on how many experts a small batch touches, are computed here.
 * Layout of a replica: pp stages x ep attention groups x tp ranks; rank r is stage r/(ep*tp),
 * group (r/tp)%ep, tensor slice r%tp. Attention is data-parallel over the ep groups (each holds
 * the KV of its own sequences); routed experts are split over the ep groups and tp ways.
 * Pure functions; nothing allocates. */
#ifndef OAS_LLM_INFER_H
#define OAS_LLM_INFER_H

#include <stddef.h>
#include <stdint.h>

#include "hw/hw.h"
#include "llm.h"

typedef struct llm_infer_cfg {
    int64_t tp, pp, ep;
    double weight_bytes, kv_bytes, act_bytes; /* per parameter, per KV element, per activation element */
    double compute_eff, memory_eff;           /* (0, 1] */
    int64_t max_batch_tokens, max_batch_size; /* size the activation reserve */
} llm_infer_cfg;

typedef struct llm_infer {
    const llm_spec *m;
    hw_accel acc;
    llm_infer_cfg c;
    int64_t dense_layers, moe_layers;   /* whole model */
    double kv_elems_token_layer;        /* cached elements per token per layer, whole model */
    double kv_bytes_token;              /* whole model, all layers (what a KV transfer moves) */
    double kv_bytes_token_rank;         /* one rank of the heaviest stage */
    double weight_bytes_rank;           /* one rank of the heaviest stage */
    double act_reserve_bytes;           /* activation working set per rank at max_batch_tokens */
    /* attention core constants (see llm_infer_attention_s) */
    double pair_flop_prefill, pair_flop_decode; /* per (query, key) pair, whole model width */
    double kv_bytes_rank_layer;                 /* cached bytes per token per layer on one rank */
    double qo_elems;                            /* q_dim + o_dim */
    int64_t first_dense, first_moe;             /* a block of each kind (-1: none) */
} llm_infer;

/* What one step processes, summed over the replica's sequences. */
typedef struct llm_batch {
    double tokens;         /* tokens processed (prefill chunk tokens + one per decoding sequence) */
    double prefill_tokens; /* of which prompt (prefill) tokens */
    double prefill_pairs;  /* sum over prefill tokens of the keys each attends (causal, with prefix) */
    double decode_pairs;   /* sum over decode tokens of the keys each attends (its context) */
    double kv_read_tokens; /* cached tokens read from HBM (prefill: earlier context; decode: context) */
    double logit_tokens;   /* tokens whose logits are computed (one per sequence that emits a token) */
} llm_batch;

/* Collective traffic of one step, per group kind: calls and total bytes per call summed
 * (nccl-tests sizes: all-reduce per-rank buffer, all-gather total output, all-to-all what each
 * rank holds); p2p is pipeline stage to stage. */
typedef enum llm_infer_coll { LIC_TP_ALLREDUCE, LIC_TP_ALLGATHER, LIC_EP_ALLTOALL, LIC_PP_P2P, LIC__N } llm_infer_coll;

typedef struct llm_step_cost {
    double compute_s;        /* roofline time of every operator of every stage, one after another */
    double clock_s;          /* the part of compute_s in compute-bound operators (scales with the clock;
                              * the rest is bound by HBM bandwidth) */
    double flop;             /* per rank, summed over stages */
    double hbm_bytes;        /* per rank, summed over stages */
    double calls[LIC__N];    /* collective calls */
    double bytes[LIC__N];    /* sum of the calls' sizes */
} llm_step_cost;

/* Fills LI for model M on accelerator A with configuration C (copied). Returns 0, or -1 with a
 * message when the configuration cannot hold the model (weights and reserve above HBM x UTIL). */
int llm_infer_init(llm_infer *li, const llm_spec *m, const hw_accel *a, const llm_infer_cfg *c, double mem_util,
                   char *why, size_t whylen);
/* Accelerators of one replica: tp * ep * pp. */
int64_t llm_infer_replica_size(const llm_infer_cfg *c);
/* KV cache capacity of one replica in tokens (all ep groups), for MEM_UTIL of HBM. */
double llm_infer_kv_capacity_tokens(const llm_infer *li, double mem_util);
/* Cost of one step. */
void llm_infer_step(const llm_infer *li, const llm_batch *b, llm_step_cost *out);

/* The step cost split for fast re-evaluation over runs of decode steps: the part that depends
 * only on the token count (GEMMs, element-wise, collectives, head) and the attention core,
 * whose FLOP and bytes are affine in pairs and KV reads. llm_infer_step() = fixed + attention. */
void llm_infer_fixed(const llm_infer *li, const llm_batch *b, llm_step_cost *out);
double llm_infer_attention_s(const llm_infer *li, const llm_batch *b, double *flop, double *bytes);
/* The compute-bound part of llm_infer_attention_s (its time if compute-bound, else 0). */
double llm_infer_attention_clock_s(const llm_infer *li, const llm_batch *b);

#endif
