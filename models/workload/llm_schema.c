/* Scenario keys of the language model (workload.model.*), shared by training and inference.
 * Published models are presets: `workload: {model: {preset: llama3-70b}}`. */
#include "scenario.h"

#define OFF(m) offsetof(scenario_t, wl.model.m)
#define WHEN "workload.kind=training|inference"

static const char *const ATTN[] = {"gqa", "mla", NULL};
static const char *const NORMS[] = {"rmsnorm", "layernorm", NULL};
static const char *const POSITIONS[] = {"rope", "learned", NULL};

static const field FIELDS[] = {
    {"workload.model.name", F_STR, DIM_NONE, OFF(name), sizeof(((llm_spec *)0)->name), NULL, "model", 0, 0, false,
     "Model name, for reports.", WHEN, NULL, NULL},
    {"workload.model.layers", F_INT, DIM_NONE, OFF(layers), 0, NULL, NULL, 1, 100000, false,
     "Transformer blocks.", WHEN, NULL, NULL},
    {"workload.model.hidden", F_INT, DIM_NONE, OFF(hidden), 0, NULL, NULL, 1, 1e7, false, "Model width.", WHEN, NULL,
     NULL},
    {"workload.model.heads", F_INT, DIM_NONE, OFF(heads), 0, NULL, NULL, 1, 1e5, false, "Attention (query) heads.",
     WHEN, NULL, NULL},
    {"workload.model.kv_heads", F_INT, DIM_NONE, OFF(kv_heads), 0, NULL, "0", 0, 1e5, false,
     "Key/value heads (grouped-query attention); 0 means equal to heads (multi-head attention).", WHEN, NULL,
     NULL},
    {"workload.model.head_dim", F_INT, DIM_NONE, OFF(head_dim), 0, NULL, "0", 0, 1e5, false,
     "Width of one head; 0 means hidden / heads.", WHEN, NULL, NULL},
    {"workload.model.ffn", F_INT, DIM_NONE, OFF(ffn), 0, NULL, "0", 0, 1e8, false,
     "Dense FFN inner size; 0 means 4 x hidden.", WHEN, NULL, NULL},
    {"workload.model.gated_ffn", F_BOOL, DIM_NONE, OFF(gated_ffn), 0, NULL, "false", 0, 0, false,
     "SwiGLU-style FFN with three matrices (Llama, DeepSeek) instead of two (GPT-3).", WHEN, NULL, NULL},
    {"workload.model.vocab", F_INT, DIM_NONE, OFF(vocab), 0, NULL, NULL, 1, 1e8, false, "Vocabulary size.", WHEN,
     NULL, NULL},
    {"workload.model.seq_len", F_INT, DIM_NONE, OFF(seq_len), 0, NULL, NULL, 1, 1e8, false,
     "Sequence length in training; context limit in inference.", WHEN, NULL, NULL},
    {"workload.model.experts", F_INT, DIM_NONE, OFF(experts), 0, NULL, "0", 0, 1e6, false,
     "Routed experts per MoE layer; 0 for a dense model.", WHEN, NULL, NULL},
    {"workload.model.top_k", F_INT, DIM_NONE, OFF(top_k), 0, NULL, "0", 0, 1e4, false,
     "Routed experts each token activates.", WHEN, NULL, NULL},
    {"workload.model.shared_experts", F_INT, DIM_NONE, OFF(shared_experts), 0, NULL, "0", 0, 1e4, false,
     "Experts every token uses in each MoE layer.", WHEN, NULL, NULL},
    {"workload.model.expert_ffn", F_INT, DIM_NONE, OFF(expert_ffn), 0, NULL, "0", 0, 1e8, false,
     "Inner size of one expert's FFN.", WHEN, NULL, NULL},
    {"workload.model.dense_layers", F_INT, DIM_NONE, OFF(dense_layers), 0, NULL, "0", 0, 1e5, false,
     "Leading layers with a dense FFN in an MoE model (DeepSeek-V3: 3).", WHEN, NULL, NULL},
    {"workload.model.attention", F_ENUM, DIM_NONE, OFF(attention), 0, ATTN, "gqa", 0, 0, false,
     "`gqa`: grouped-query (or multi-head) attention; `mla`: multi-head latent attention (DeepSeek).", WHEN, NULL,
     NULL},
    {"workload.model.kv_lora_rank", F_INT, DIM_NONE, OFF(kv_lora_rank), 0, NULL, "512", 0, 1e6, false,
     "MLA latent width cached per token per layer (DeepSeek-V3: 512).", "workload.model.attention=mla", NULL, NULL},
    {"workload.model.q_lora_rank", F_INT, DIM_NONE, OFF(q_lora_rank), 0, NULL, "1536", 0, 1e6, false,
     "MLA query compression width (DeepSeek-V3: 1536); 0 for none.", "workload.model.attention=mla", NULL, NULL},
    {"workload.model.rope_dim", F_INT, DIM_NONE, OFF(rope_dim), 0, NULL, "64", 0, 1e6, false,
     "MLA decoupled RoPE key width cached per token per layer (DeepSeek-V3: 64).", "workload.model.attention=mla",
     NULL, NULL},
    {"workload.model.bias", F_BOOL, DIM_NONE, OFF(bias), 0, NULL, "false", 0, 0, false,
     "Linear layers carry bias vectors (GPT-3, Megatron GPT) rather than none (Llama, DeepSeek).", WHEN, NULL,
     NULL},
    {"workload.model.norm", F_ENUM, DIM_NONE, OFF(norm), 0, NORMS, "rmsnorm", 0, 0, false,
     "`rmsnorm` (a weight per channel; Llama, DeepSeek) or `layernorm` (weight and bias; GPT-3).", WHEN, NULL,
     NULL},
    {"workload.model.position", F_ENUM, DIM_NONE, OFF(position), 0, POSITIONS, "rope", 0, 0, false,
     "`rope`: rotary position embedding applied to queries and keys (Llama, DeepSeek); `learned`: a table of "
     "seq_len x hidden position vectors added to the input (GPT-3).",
     WHEN, NULL, NULL},
    {"workload.model.tied_embeddings", F_BOOL, DIM_NONE, OFF(tied_embeddings), 0, NULL, "false", 0, 0, false,
     "The output layer reuses the input embedding matrix (GPT-3 in Megatron-LM); with pipeline parallelism its "
     "gradient is all-reduced between the first and the last stage.",
     WHEN, NULL, NULL},
};

const schema_part schema_part_model = {"workload.model (training, inference)", FIELDS, SCHEMA_NFIELDS(FIELDS), NULL};
