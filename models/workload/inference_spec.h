/* The inference workload section of a scenario (workload.requests.*, workload.serving.*,
 * workload.slo.* when workload.kind = inference), in SI units. Filled by the loader from
 * models/workload/inference_schema.c; read by the serving model (models/workload/inference*.c). */
#ifndef OAS_INFERENCE_SPEC_H
#define OAS_INFERENCE_SPEC_H

#include <stdbool.h>
#include <stdint.h>

/* Arrival process. INF_ARR_TRACE is first on purpose: keys that only synthetic requests have
 * are conditioned on poisson|gamma|burst, so they stay out of scenarios of other workload kinds. */
typedef enum inf_arrival { INF_ARR_TRACE, INF_ARR_POISSON, INF_ARR_GAMMA, INF_ARR_BURST } inf_arrival;
typedef enum inf_dist { INF_DIST_FIXED, INF_DIST_UNIFORM, INF_DIST_LOGNORMAL, INF_DIST_EMPIRICAL } inf_dist;
typedef enum inf_mode { INF_MODE_AGGREGATED, INF_MODE_DISAGGREGATED } inf_mode;
typedef enum inf_router { INF_ROUTE_ROUND_ROBIN, INF_ROUTE_LEAST_OUTSTANDING, INF_ROUTE_LEAST_KV } inf_router;
typedef enum inf_step_comm { INF_COMM_ANALYTIC, INF_COMM_FLOW } inf_step_comm;

/* A token-length distribution of synthetic requests. */
typedef struct inf_length_spec {
    int dist;           /* inf_dist */
    int64_t tokens;     /* fixed: the length; lognormal: the median; 0 otherwise */
    int64_t min, max;   /* uniform: the range; every distribution is clamped to [min, max] (max 0: none) */
    double sigma;       /* lognormal: standard deviation of ln(length) */
    char file[1024];    /* empirical: a request trace whose lengths are resampled */
} inf_length_spec;

/* One pool of identical replicas. */
typedef struct inf_pool_spec {
    int64_t replicas;   /* 0: as many as the accelerators allow */
    int64_t tp, pp, ep; /* tensor, pipeline and expert parallel degrees (0: inherit, pools only) */
} inf_pool_spec;

typedef struct inference_spec {
    /* requests */
    int arrival;                /* inf_arrival */
    int64_t count;              /* synthetic: number of requests */
    double rate_Hz;             /* synthetic: mean arrival rate, requests/s */
    double cv;                  /* gamma: coefficient of variation of inter-arrival times */
    inf_length_spec prompt, output;
    char trace_path[1024];      /* trace: the file ("" for synthetic arrivals) */
    int trace_format;           /* reqtrace_fmt */
    double rate_scale;          /* arrival rate multiplier */
    double window_start_s, window_duration_s;
    int64_t limit;              /* keep at most this many requests (0: all) */
    /* serving */
    int mode;                   /* inf_mode */
    inf_pool_spec pool;         /* aggregated replicas; defaults for the two pools when disaggregated */
    inf_pool_spec prefill, decode;
    int router;                 /* inf_router */
    int64_t max_batch_size;     /* sequences per step */
    int64_t max_batch_tokens;   /* tokens per step */
    bool chunked_prefill;
    int64_t block_tokens;       /* KV cache block */
    double memory_utilization;  /* share of HBM the server may use */
    bool prefix_caching;
    double weight_bytes, kv_bytes, act_bytes; /* bytes per parameter, per KV element, per activation */
    double compute_efficiency;  /* achieved / peak FLOP/s in a step */
    double memory_efficiency;   /* achieved / peak HBM bandwidth in a step */
    double step_overhead_s;     /* fixed time added to every step (scheduler, launches) */
    int step_comm;              /* inf_step_comm */
    bool record_steps;
    /* service-level objectives */
    double slo_ttft_s, slo_tpot_s;
} inference_spec;

#endif
