/* A transformer language model as the workloads see it (workload.model.*): a dense decoder or a
 * mixture of experts, with grouped-query or multi-head latent attention. Shared by training and
 * inference; the arithmetic on it (parameters, FLOP and bytes per operator, KV cache) lives in
 * models/workload/llm.c. Presets for published models are in scenarios/presets/. */
#ifndef OAS_LLM_SPEC_H
#define OAS_LLM_SPEC_H

#include <stdbool.h>
#include <stdint.h>

typedef enum llm_attention { LLM_ATTN_GQA, LLM_ATTN_MLA } llm_attention;
typedef enum llm_norm { LLM_NORM_RMS, LLM_NORM_LAYER } llm_norm;
typedef enum llm_position { LLM_POS_ROPE, LLM_POS_LEARNED } llm_position;

typedef struct llm_spec {
    char name[64];
    int64_t layers;         /* transformer blocks */
    int64_t hidden;         /* model width h */
    int64_t heads;          /* attention (query) heads */
    int64_t kv_heads;       /* key/value heads (GQA); = heads for MHA */
    int64_t head_dim;       /* per head; 0 = hidden / heads */
    int64_t ffn;            /* dense FFN inner size */
    bool gated_ffn;         /* SwiGLU-style: three FFN matrices instead of two */
    int64_t vocab;
    int64_t seq_len;        /* training sequence length / inference context limit */
    /* mixture of experts (experts = 0: dense) */
    int64_t experts;        /* routed experts per MoE layer */
    int64_t top_k;          /* routed experts per token */
    int64_t shared_experts; /* always-active experts per MoE layer */
    int64_t expert_ffn;     /* inner size of one expert */
    int64_t dense_layers;   /* leading layers that stay dense in an MoE model */
    /* attention kind; MLA caches a latent of kv_lora_rank + rope_dim per token per layer */
    llm_attention attention;
    int64_t kv_lora_rank;   /* MLA latent width (DeepSeek-V3: 512) */
    int64_t q_lora_rank;    /* MLA query compression (DeepSeek-V3: 1536); 0 = none */
    int64_t rope_dim;       /* MLA decoupled RoPE width (DeepSeek-V3: 64) */
    /* details that change parameter counts and memory traffic (GPT-3 vs Llama style) */
    bool bias;              /* linear layers carry bias vectors (GPT-3) */
    llm_norm norm;          /* LayerNorm (weight + bias) or RMSNorm (weight) */
    llm_position position;  /* learned absolute position table (GPT-3) or rotary (Llama) */
    bool tied_embeddings;   /* output layer shares the input embedding matrix */
} llm_spec;

#endif
