/* The training workload section of a scenario (workload.* when workload.kind = training), in SI
 * units, filled by the loader from models/workload/training_schema.c. The model itself is
 * workload.model (llm_spec.h). Enumerations hold the index of the value in the schema's names. */
#ifndef OAS_TRAINING_SPEC_H
#define OAS_TRAINING_SPEC_H

#include <stdbool.h>
#include <stdint.h>

typedef enum tr_recompute { TR_RECOMPUTE_NONE, TR_RECOMPUTE_SELECTIVE, TR_RECOMPUTE_FULL } tr_recompute;
typedef enum tr_attention_kernel { TR_ATTN_FLASH, TR_ATTN_UNFUSED } tr_attention_kernel;
typedef enum tr_symmetry { TR_SYMMETRY_AUTO, TR_SYMMETRY_OFF } tr_symmetry;
typedef enum tr_log { TR_LOG_ALL, TR_LOG_REPRESENTATIVE } tr_log;

typedef struct training_spec {
    int64_t steps;          /* iterations (optimizer steps) to simulate */
    int64_t global_batch;   /* sequences per iteration */
    int64_t micro_batch;    /* sequences per micro-batch */
    double train_tokens;    /* tokens for the time-to-train figure; 0 = not asked */
    int recompute;          /* tr_recompute */
    int attention_kernel;   /* tr_attention_kernel */
    bool dropout;

    struct {
        int64_t tp, pp, dp, cp, ep; /* dp = 0: accelerators / (tp x cp x pp) */
        int64_t virtual_stages;     /* > 1: interleaved 1F1B */
        bool sequence_parallel;
    } par;

    struct {
        char order[64];   /* dimension order, fastest first: "tp-cp-dp-pp" */
        char file[4096];  /* explicit rank -> accelerator map; empty = use the order */
    } place;

    struct {
        bool distributed;         /* ZeRO-1 / distributed optimizer: reduce-scatter + all-gather */
        bool overlap_grad_reduce; /* gradient reduction in buckets during the last backward */
        double bucket_params;     /* parameters per gradient bucket */
        double grad_reduce_B;     /* bytes per gradient element in the reduction (and its buffer) */
        double state_B;           /* optimizer state bytes per parameter (fp32 master + Adam m, v) */
        double step_traffic_B;    /* HBM bytes the optimizer step moves per parameter it updates */
    } opt;

    struct {
        double gemm;        /* achieved / peak FLOP/s of dense matmuls */
        double attention;   /* achieved / peak FLOP/s of the attention core */
        double memory;      /* achieved / peak HBM bandwidth of memory-bound kernels */
        double kernel_s;    /* fixed cost per kernel launch */
    } eff;

    struct {
        int tp, cp, ep, dp, pp; /* collective algorithm per group kind (index in the names) */
    } alg;

    char replay[4096];  /* op-list file to replay instead of generating operators */
    int symmetry;       /* tr_symmetry */
    bool memory_check;  /* refuse a configuration whose estimated memory exceeds HBM */
    int collective_log; /* tr_log: rows of /training/collectives */
} training_spec;

#endif
