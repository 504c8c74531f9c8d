/* Scenario keys of the inference workload (workload.requests.*, workload.serving.*, workload.slo.*)
 * and their cross-field checks. Keys that only synthetic requests have are conditioned on
 * `workload.requests.arrival=poisson|gamma` and the second pool on `workload.serving.mode=
 * disaggregated`; everything else on `workload.kind=inference`. Defaults name their source. */
#include <stdio.h>
#include <string.h>

#include "inference_impl.h"
#include "reqtrace.h"
#include "scenario.h"
#include "units.h"

#define OFF(m) offsetof(scenario_t, wl.inference.m)
#define BIG 1e300
#define INF "workload.kind=inference"
#define SYN "workload.requests.arrival=poisson|gamma|burst"
#define DIS "workload.serving.mode=disaggregated"

static const char *const ARRIVALS[] = {"trace", "poisson", "gamma", "burst", NULL};
static const char *const DISTS[] = {"fixed", "uniform", "lognormal", "empirical", NULL};
static const char *const FORMATS[] = {"auto", "azure", "mooncake", "vidur", NULL};
static const char *const MODES[] = {"aggregated", "disaggregated", NULL};
static const char *const ROUTERS[] = {"round_robin", "least_outstanding", "least_kv", NULL};
static const char *const COMMS[] = {"analytic", "flow", NULL};

#define LENGTH_FIELDS(key, m, what)                                                                                 \
    {"workload.requests." key ".distribution", F_ENUM, DIM_NONE, OFF(m.dist), 0, DISTS, "fixed", 0, 0, false,       \
     "Distribution of " what " lengths: `fixed` (= tokens), `uniform` (integers in [min, max]), `lognormal` "       \
     "(median tokens, sigma of ln), `empirical` (resampled from the request trace `file`).",                        \
     SYN, NULL, NULL},                                                                                               \
        {"workload.requests." key ".tokens", F_INT, DIM_NONE, OFF(m.tokens), 0, NULL, "0", 0, 1e9, false,           \
         "Fixed: the length; lognormal: the median length (tokens). Unused (0) for uniform and empirical.", SYN,    \
         NULL, NULL},                                                                                                \
        {"workload.requests." key ".min", F_INT, DIM_NONE, OFF(m.min), 0, NULL, "1", 1, 1e9, false,                 \
         "Smallest length (tokens): the low end of `uniform`, a clamp for the others.",                             \
         "workload.requests." key ".distribution=uniform|lognormal|empirical", NULL, NULL},                          \
        {"workload.requests." key ".max", F_INT, DIM_NONE, OFF(m.max), 0, NULL, "0", 0, 1e9, false,                 \
         "Largest length (tokens): the high end of `uniform` (required there), a clamp for the others (0: none).",  \
         "workload.requests." key ".distribution=uniform|lognormal|empirical", NULL, NULL},                          \
        {"workload.requests." key ".sigma", F_QTY, DIM_NONE, OFF(m.sigma), 0, NULL, "1", 0, 10, true,              \
         "Standard deviation of the natural log of the length. Default 1: the Azure LLM conversation trace "       \
         "(Patel et al. ISCA'24) has 0.985 for prompts (median 760) and 0.859 for outputs (median 151).",           \
         "workload.requests." key ".distribution=lognormal", NULL, NULL},                                            \
    {                                                                                                                \
        "workload.requests." key ".file", F_STR, DIM_NONE, OFF(m.file), sizeof(((inf_length_spec *)0)->file), NULL,  \
            "", 0, 0, false,                                                                                         \
            "Request trace (any format `trace.format` reads) whose " what " lengths are resampled with "            \
            "replacement; relative paths start at the scenario's folder.",                                           \
            "workload.requests." key ".distribution=empirical", NULL, NULL                                           \
    }

#define POOL_FIELDS(key, m, repdoc, inherit, def, when)                                                           \
    {"workload.serving." key "replicas", F_INT, DIM_NONE, OFF(m.replicas), 0, NULL, "0", 0, 1e7, false,             \
     repdoc, when, NULL, NULL},                           \
        {"workload.serving." key "tp", F_INT, DIM_NONE, OFF(m.tp), 0, NULL, def, 0, 1e5, false,  \
         "Tensor-parallel degree: every layer's weights split over this many accelerators" inherit ".", when, NULL, \
         NULL},                                                                                                      \
        {"workload.serving." key "pp", F_INT, DIM_NONE, OFF(m.pp), 0, NULL, def, 0, 1e4, false,  \
         "Pipeline-parallel degree: layers split into this many stages run one after another" inherit ".", when,    \
         NULL, NULL},                                                                                                \
    {                                                                                                                \
        "workload.serving." key "ep", F_INT, DIM_NONE, OFF(m.ep), 0, NULL, def, 0, 1e5, false,   \
            "Expert-parallel degree of an MoE model: a stage has tp x ep accelerators; routed experts are split "   \
            "over the ep groups (tp ways inside one), attention runs data-parallel over them, each group holding "  \
            "its own sequences' KV cache; 1 for a dense model" inherit ".",                                          \
            when, NULL, NULL                                                                                         \
    }

static const field FIELDS[] = {
    /* ---- requests ---- */
    {"workload.requests.arrival", F_ENUM, DIM_NONE, OFF(arrival), 0, ARRIVALS, "trace", 0, 0, false,
     "Where requests come from: `trace` replays `trace.path`; `poisson` and `gamma` draw `count` synthetic "
     "requests at `rate` (GSL, seeded from the scenario seed); `burst` releases `count` synthetic requests at "
     "time 0, as offline benchmarks do (MLPerf Offline, TensorRT-LLM's static-batch benchmark).",
     INF, NULL, NULL},
    {"workload.requests.trace.path", F_STR, DIM_NONE, OFF(trace_path), sizeof(((inference_spec *)0)->trace_path), NULL,
     "", 0, 0, false,
     "Request trace to replay (arrival = trace); relative paths start at the scenario's folder. Empty for "
     "synthetic arrivals.",
     INF, NULL, NULL},
    {"workload.requests.trace.format", F_ENUM, DIM_NONE, OFF(trace_format), 0, FORMATS, "auto", 0, 0, false,
     "`azure` (TIMESTAMP,ContextTokens,GeneratedTokens; 2023 and 2024 timestamps), `mooncake` (JSONL with "
     "timestamp in ms, input_length, output_length, hash_ids), `vidur` (arrived_at,num_prefill_tokens,"
     "num_decode_tokens) or `auto` (from the first line).",
     INF, NULL, NULL},
    {"workload.requests.rate_scale", F_QTY, DIM_NONE, OFF(rate_scale), 0, NULL, "1", 0, 1e6, true,
     "Multiplies the arrival rate (divides every inter-arrival time), for traces and synthetic arrivals alike.", INF,
     NULL, NULL},
    {"workload.requests.start", F_QTY, DIM_TIME, OFF(window_start_s), 0, NULL, "0 s", 0, BIG, false,
     "Keep requests arriving at or after this time (from the first request, before rate_scale); they arrive "
     "from time 0 of the run.",
     INF, NULL, NULL},
    {"workload.requests.duration", F_QTY, DIM_TIME, OFF(window_duration_s), 0, NULL, "0 s", 0, BIG, false,
     "Keep requests arriving before start + duration; `0 s` keeps all to the end.", INF, NULL, NULL},
    {"workload.requests.limit", F_INT, DIM_NONE, OFF(limit), 0, NULL, "0", 0, 1e10, false,
     "Keep at most this many requests (the earliest in the window); 0 keeps all. Counts of requests left out are "
     "in /summary.",
     INF, NULL, NULL},
    {"workload.requests.count", F_INT, DIM_NONE, OFF(count), 0, NULL, NULL, 1, 1e10, false,
     "Synthetic requests to draw.", SYN, NULL, NULL},
    {"workload.requests.rate", F_QTY, DIM_FREQUENCY, OFF(rate_Hz), 0, NULL, NULL, 0, 1e9, true,
     "Mean arrival rate in requests per second, written in hertz (`12 Hz` = 12 requests/s).",
     "workload.requests.arrival=poisson|gamma", NULL, NULL},
    {"workload.requests.cv", F_QTY, DIM_NONE, OFF(cv), 0, NULL, "1", 0, 100, true,
     "Coefficient of variation of gamma inter-arrival times (shape 1/cv^2); 1 is Poisson, above 1 is bursty.",
     "workload.requests.arrival=gamma", NULL, NULL},
    LENGTH_FIELDS("prompt", prompt, "prompt"),
    LENGTH_FIELDS("output", output, "output"),
    /* ---- serving ---- */
    {"workload.serving.mode", F_ENUM, DIM_NONE, OFF(mode), 0, MODES, "aggregated", 0, 0, false,
     "`aggregated`: every replica prefills and decodes (vLLM-style continuous batching). `disaggregated`: a "
     "prefill pool and a decode pool; each request's KV cache moves between them over the network as flows.",
     INF, NULL, NULL},
    POOL_FIELDS("", pool, "Replicas of aggregated serving; 0 means as many as the accelerators hold.", "", "1", INF),
    POOL_FIELDS("prefill.", prefill,
                "Prefill replicas; 0 means as many as the accelerators the decode pool leaves hold.",
                " (0: workload.serving's value)", "0", DIS),
    POOL_FIELDS("decode.", decode, "Decode replicas; 0 means as many as the accelerators the prefill pool leaves hold.",
                " (0: workload.serving's value)", "0", DIS),
    {"workload.serving.router", F_ENUM, DIM_NONE, OFF(router), 0, ROUTERS, "least_outstanding", 0, 0, false,
     "Global router: `round_robin`, `least_outstanding` (fewest unfinished requests) or `least_kv` (lowest KV "
     "cache load, queued prompts included).",
     INF, NULL, NULL},
    {"workload.serving.max_batch_size", F_INT, DIM_NONE, OFF(max_batch_size), 0, NULL, "256", 1, 1e6, false,
     "Most sequences in one step (vLLM max_num_seqs; default 256, vLLM EngineArgs for GPUs below 70 GiB).", INF,
     NULL, NULL},
    {"workload.serving.max_batch_tokens", F_INT, DIM_NONE, OFF(max_batch_tokens), 0, NULL, "8192", 1, 1e9, false,
     "Most tokens in one step (vLLM max_num_batched_tokens; default 8192, vLLM EngineArgs offline default for "
     "GPUs below 70 GiB).",
     INF, NULL, NULL},
    {"workload.serving.chunked_prefill", F_BOOL, DIM_NONE, OFF(chunked_prefill), 0, NULL, "true", 0, 0, false,
     "Split long prompts over steps and mix them with decodes (vLLM V1 default). Off: a step either prefills "
     "whole prompts or decodes (vLLM V0).",
     INF, NULL, NULL},
    {"workload.serving.block_tokens", F_INT, DIM_NONE, OFF(block_tokens), 0, NULL, "16", 1, 512, false,
     "Tokens per KV cache block (vLLM block_size, default 16); must divide the 512-token prefix block.", INF, NULL,
     NULL},
    {"workload.serving.memory_utilization", F_QTY, DIM_NONE, OFF(memory_utilization), 0, NULL, "0.9", 0, 1, true,
     "Share of HBM the server uses for weights, activations and KV cache (vLLM gpu_memory_utilization, "
     "default 0.9).",
     INF, NULL, NULL},
    {"workload.serving.prefix_caching", F_BOOL, DIM_NONE, OFF(prefix_caching), 0, NULL, "true", 0, 0, false,
     "Keep finished prompts' KV blocks (Mooncake hash_ids, 512 tokens each) and reuse them for later prompts "
     "with the same prefix until evicted (LRU); vLLM V1 enables this by default.",
     INF, NULL, NULL},
    {"workload.serving.precision.weights", F_QTY, DIM_BYTES, OFF(weight_bytes), 0, NULL, "2 B", 0, 64, true,
     "Bytes per parameter (BF16: 2 B, FP8 or INT8: 1 B).", INF, NULL, NULL},
    {"workload.serving.precision.kv_cache", F_QTY, DIM_BYTES, OFF(kv_bytes), 0, NULL, "2 B", 0, 64, true,
     "Bytes per cached key/value element.", INF, NULL, NULL},
    {"workload.serving.precision.activations", F_QTY, DIM_BYTES, OFF(act_bytes), 0, NULL, "2 B", 0, 64, true,
     "Bytes per activation element (sizes the per-step collectives and the activation reserve).", INF, NULL, NULL},
    {"workload.serving.efficiency.compute", F_QTY, DIM_NONE, OFF(compute_efficiency), 0, NULL, "1", 0, 1, true,
     "Achieved fraction of peak FLOP/s in a step's compute-bound work. Default 1 (peak, by definition); "
     "docs/validation.md fits it to published measurements.",
     INF, NULL, NULL},
    {"workload.serving.efficiency.memory", F_QTY, DIM_NONE, OFF(memory_efficiency), 0, NULL, "1", 0, 1, true,
     "Achieved fraction of peak HBM bandwidth when reading weights and KV cache. Default 1 (peak, by "
     "definition); docs/validation.md fits it to published measurements.",
     INF, NULL, NULL},
    {"workload.serving.step_overhead", F_QTY, DIM_TIME, OFF(step_overhead_s), 0, NULL, "0 s", 0, 1e3, false,
     "Fixed time added to every batch step (scheduling, kernel launches). Default 0 s (none, by definition).", INF,
     NULL, NULL},
    {"workload.serving.step_collectives", F_ENUM, DIM_NONE, OFF(step_comm), 0, COMMS, "analytic", 0, 0, false,
     "Per-step tensor/expert-parallel collectives: `analytic` prices them on the platform's routes without "
     "flows (fast); `flow` runs each step's collectives as SimGrid flows, contending with KV transfers (needs "
     "run.fidelity flow).",
     INF, NULL, NULL},
    {"workload.serving.record_steps", F_BOOL, DIM_NONE, OFF(record_steps), 0, NULL, "true", 0, 0, false,
     "Write /inference/steps (one row per run of identical batch steps of a replica).", INF, NULL, NULL},
    /* ---- service-level objectives ---- */
    {"workload.slo.ttft", F_QTY, DIM_TIME, OFF(slo_ttft_s), 0, NULL, "2 s", 0, BIG, true,
     "Time-to-first-token target of a request. Default 2 s: MLPerf Inference llama2-70b Server constraint "
     "(mlcommons/inference mlperf.conf).",
     INF, NULL, NULL},
    {"workload.slo.tpot", F_QTY, DIM_TIME, OFF(slo_tpot_s), 0, NULL, "200 ms", 0, BIG, true,
     "Time-per-output-token target of a request. Default 200 ms: MLPerf Inference llama2-70b Server constraint "
     "(mlcommons/inference mlperf.conf).",
     INF, NULL, NULL},
};

static int check_length(scenario_t *sc, const inf_length_spec *l, const char *key, diag_t *err)
{
    char path[96];
    snprintf(path, sizeof path, "workload.requests.%s.tokens", key);
    bool needs = l->dist == INF_DIST_FIXED || l->dist == INF_DIST_LOGNORMAL;
    if (needs && l->tokens < 1)
        return scenario_fail_at(sc, path, err, "'%s' must be at least 1 for a %s distribution", path,
                                scenario_enum_name("workload.requests.prompt.distribution", l->dist));
    if (!needs && l->tokens != 0)
        return scenario_fail_at(sc, path, err,
                                "'%s' applies only to fixed and lognormal lengths (uniform uses min and max, "
                                "empirical the file)",
                                path);
    snprintf(path, sizeof path, "workload.requests.%s.max", key);
    if (l->dist == INF_DIST_UNIFORM && l->max < 1)
        return scenario_fail_at(sc, path, err, "'%s' is required for a uniform distribution", path);
    if (l->dist != INF_DIST_FIXED && l->max > 0 && l->max < l->min)
        return scenario_fail_at(sc, path, err, "'%s' (%lld) is below min (%lld)", path, (long long)l->max,
                                (long long)l->min);
    if (l->dist == INF_DIST_LOGNORMAL && l->max > 0 && (l->tokens < l->min || l->tokens > l->max)) {
        snprintf(path, sizeof path, "workload.requests.%s.tokens", key);
        return scenario_fail_at(sc, path, err, "the median '%s' (%lld) lies outside [min, max]", path,
                                (long long)l->tokens);
    }
    snprintf(path, sizeof path, "workload.requests.%s.file", key);
    if (l->dist == INF_DIST_EMPIRICAL && !l->file[0])
        return scenario_fail_at(sc, path, err, "'%s' is required for an empirical distribution", path);
    return 0;
}

static int check_pool(scenario_t *sc, const inf_pool_spec *p, const char *key, diag_t *err)
{
    char path[96];
    snprintf(path, sizeof path, "workload.serving.%sep", key);
    const llm_spec *m = &sc->wl.model;
    int64_t ep = p->ep;
    if (ep > 1 && m->experts == 0)
        return scenario_fail_at(sc, path, err, "'%s' is %lld but the model has no experts (dense models use ep 1)",
                                path, (long long)ep);
    if (ep > 1 && m->experts % ep != 0)
        return scenario_fail_at(sc, path, err, "'%s' (%lld) must divide the %lld routed experts", path,
                                (long long)ep, (long long)m->experts);
    snprintf(path, sizeof path, "workload.serving.%spp", key);
    if (p->pp > m->layers)
        return scenario_fail_at(sc, path, err, "'%s' (%lld) exceeds the model's %lld layers", path,
                                (long long)p->pp, (long long)m->layers);
    return 0;
}

static int check(scenario_t *sc, diag_t *err)
{
    if (sc->wl.kind != WL_INFERENCE)
        return 0;
    inference_spec *s = &sc->wl.inference;
    if (s->arrival == INF_ARR_TRACE && !s->trace_path[0])
        return scenario_fail_at(sc, "workload.requests.trace.path", err,
                                "'workload.requests.trace.path' is required when workload.requests.arrival is trace "
                                "(or set arrival to poisson or gamma for synthetic requests)");
    if (s->arrival != INF_ARR_TRACE && s->trace_path[0])
        return scenario_fail_at(sc, "workload.requests.trace.path", err,
                                "'workload.requests.trace.path' applies only when workload.requests.arrival is trace");
    if (s->arrival != INF_ARR_TRACE && s->trace_format != REQTRACE_AUTO &&
        s->prompt.dist != INF_DIST_EMPIRICAL && s->output.dist != INF_DIST_EMPIRICAL)
        return scenario_fail_at(sc, "workload.requests.trace.format", err,
                                "'workload.requests.trace.format' applies only to trace files (arrival trace or an "
                                "empirical length distribution)");
    if (s->arrival != INF_ARR_TRACE &&
        (check_length(sc, &s->prompt, "prompt", err) || check_length(sc, &s->output, "output", err)))
        return -1;
    if (512 % s->block_tokens != 0)
        return scenario_fail_at(sc, "workload.serving.block_tokens", err,
                                "'workload.serving.block_tokens' (%lld) must divide the 512-token prefix block",
                                (long long)s->block_tokens);
    if (s->mode == INF_MODE_DISAGGREGATED && s->pool.replicas != 0)
        return scenario_fail_at(sc, "workload.serving.replicas", err,
                                "'workload.serving.replicas' applies to aggregated serving; set "
                                "workload.serving.prefill.replicas and workload.serving.decode.replicas");
    if (s->mode == INF_MODE_DISAGGREGATED) {
        if (s->pool.tp < 1 || s->pool.pp < 1 || s->pool.ep < 1)
            return scenario_fail_at(sc, "workload.serving.tp", err,
                                    "'workload.serving.tp', pp and ep must be at least 1");
        inf_pool_spec *pools[2] = {&s->prefill, &s->decode};
        for (int k = 0; k < 2; k++) {
            if (!pools[k]->tp)
                pools[k]->tp = s->pool.tp;
            if (!pools[k]->pp)
                pools[k]->pp = s->pool.pp;
            if (!pools[k]->ep)
                pools[k]->ep = s->pool.ep;
        }
        if (check_pool(sc, &s->prefill, "prefill.", err) || check_pool(sc, &s->decode, "decode.", err))
            return -1;
    } else {
        if (s->pool.tp < 1)
            return scenario_fail_at(sc, "workload.serving.tp", err, "'workload.serving.tp' must be at least 1");
        if (s->pool.pp < 1)
            return scenario_fail_at(sc, "workload.serving.pp", err, "'workload.serving.pp' must be at least 1");
        if (s->pool.ep < 1)
            return scenario_fail_at(sc, "workload.serving.ep", err, "'workload.serving.ep' must be at least 1");
        if (check_pool(sc, &s->pool, "", err))
            return -1;
    }
    if (s->step_comm == INF_COMM_FLOW && sc->run.fidelity != FID_FLOW)
        return scenario_fail_at(sc, "workload.serving.step_collectives", err,
                                "'workload.serving.step_collectives' is flow but run.fidelity is %s",
                                fidelity_name(sc->run.fidelity));
    return inf_requests_validate(sc, err);
}

const schema_part schema_part_inference = {"workload: inference", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
