/* Private to the inference workload (models/workload/inference*.c): requests, replicas, the KV
 * cache with its prefix cache, and the world they live in. One SimGrid actor per replica drives
 * that replica's scheduler; the scheduler itself (inference_sched.c) is plain C with no clock of
 * its own, so it can be tested without SimGrid: the actor tells it when each step ends.
 * Invariant: a request is in exactly one place at a time (source, a replica's waiting queue, its
 * running set, a KV transfer, or finished), and its KV blocks are counted in exactly one cache. */
#ifndef OAS_INFERENCE_IMPL_H
#define OAS_INFERENCE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "llm_infer.h"
#include "platform.h"
#include "scenario.h"
#include "trace.h"

#define INF_PREFIX_TOKENS 512 /* tokens per Mooncake hash_id block */

typedef enum inf_state {
    RQ_PENDING,  /* not arrived yet */
    RQ_WAITING,  /* in a replica's waiting queue */
    RQ_RUNNING,  /* in a replica's running set */
    RQ_TRANSFER, /* prefill done, KV cache on its way to a decode replica */
    RQ_DONE,
    RQ_REJECTED, /* can never fit: longer than the model's context or a replica's KV cache */
} inf_state;

typedef struct inf_req {
    double arrival_s, prefill_start_s, first_token_s, finish_s;
    double transfer_start_s, transfer_end_s; /* disaggregated: KV cache transfer */
    int64_t hash_off;     /* first of its hash_ids in inf_world.hashes */
    int64_t line;         /* trace line (0 for synthetic requests) */
    int32_t nhash;
    int32_t prompt, output;
    int32_t computed;     /* tokens whose KV the current replica holds */
    int32_t generated;    /* output tokens produced so far */
    int32_t shared;       /* leading prefix blocks referenced in the prefix cache */
    int32_t priv;         /* private KV blocks held */
    int32_t hit_tokens;   /* prompt tokens served by the prefix cache at first admission */
    int32_t replica;      /* aggregated or prefill replica */
    int32_t decode_replica;
    int32_t preemptions;
    uint8_t state;        /* inf_state */
} inf_req;

/* ---- KV cache of one replica: blocks, plus an LRU prefix cache of 512-token hash blocks ---- */
typedef struct inf_kv inf_kv;

inf_kv *inf_kv_new(int64_t capacity_blocks, int32_t block_tokens, bool prefix_caching);
void inf_kv_free(inf_kv *kv);
int64_t inf_kv_capacity(const inf_kv *kv);
int64_t inf_kv_used(const inf_kv *kv);      /* private + cached blocks */
int64_t inf_kv_available(const inf_kv *kv); /* free + evictable cached blocks */
int32_t inf_kv_block_tokens(const inf_kv *kv);
/* Takes N private blocks, evicting unreferenced cached blocks (least recently used first) as
 * needed. Returns false (and takes nothing) if they are not available. */
bool inf_kv_take(inf_kv *kv, int64_t n);
void inf_kv_give(inf_kv *kv, int64_t n);
/* Longest prefix of HASHES[0..n) in the cache, at most MAX blocks; takes a reference on each. */
int32_t inf_kv_match(inf_kv *kv, const int64_t *hashes, int32_t n, int32_t max);
/* Drops one reference on each of HASHES[0..n) (unreferenced blocks become evictable, most
 * recently used last). */
void inf_kv_unref(inf_kv *kv, const int64_t *hashes, int32_t n);
/* Turns one prefix block's worth (512 tokens) of a request's private blocks into the cached
 * block HASH with one reference; if HASH is cached already, references it and frees the
 * private copy instead. Either way (true) the caller's private count drops by 512 /
 * block_tokens; false (prefix caching off, no memory) leaves the blocks private. */
bool inf_kv_promote(inf_kv *kv, int64_t hash);
uint64_t inf_kv_evictions(const inf_kv *kv);

/* ---- replicas ---- */
typedef enum inf_role { ROLE_AGGREGATED, ROLE_PREFILL, ROLE_DECODE } inf_role;

typedef struct inf_queue {
    int32_t *v;
    size_t head, n, cap; /* ring buffer */
} inf_queue;

int inf_queue_push(inf_queue *q, int32_t x);
int inf_queue_push_front(inf_queue *q, int32_t x);
int32_t inf_queue_peek(const inf_queue *q);
int32_t inf_queue_pop(inf_queue *q);
void inf_queue_free(inf_queue *q);

/* One planned step: the sequences it runs and how many tokens each processes. */
typedef struct inf_batch {
    int32_t n, cap;
    int32_t *req;
    int32_t *tokens;
    llm_batch b;
    bool decode_only;
} inf_batch;

typedef struct inf_world inf_world;

typedef struct inf_replica {
    int32_t id;
    inf_role role;
    int32_t pool_index;       /* index inside its pool */
    int32_t first_acc, nacc;  /* accelerators first_acc .. first_acc + nacc - 1 */
    llm_infer li;
    double coll_alpha_s[LIC__N], coll_beta_sPB[LIC__N]; /* per-call latency, seconds per byte */
    inf_kv *kv;
    inf_queue waiting;        /* FCFS */
    int32_t *running;         /* admission order; preemption takes the last */
    int32_t nrun, caprun;
    inf_batch batch;
    struct inf_fixc *fixc;    /* cache of step costs that depend only on the token counts */
    int64_t outstanding;      /* routed here and not finished (decode pool: incl. incoming) */
    int64_t queued_blocks;    /* KV blocks the waiting queue's prompts will need (router) */
    int64_t run_reserved;     /* blocks reserved for the rest of a decode run */
    /* statistics */
    uint64_t steps, preemptions;
    double busy_s;
    double tokens_prefill, tokens_decode;
    /* filled by the actor glue (inference.c) */
    void *sync;
} inf_replica;

/* What the replica scheduler reports back while applying steps. */
typedef struct inf_hooks {
    /* request R finished at T (its last token) */
    void (*finished)(inf_world *w, inf_replica *rep, int32_t r, double t);
    /* prefill replica: request R has its first token at T and leaves for a decode replica */
    void (*prefilled)(inf_world *w, inf_replica *rep, int32_t r, double t);
} inf_hooks;

struct inf_world {
    const scenario_t *sc;
    const inference_spec *spec;
    inf_req *req;
    size_t nreq;
    int64_t *hashes;          /* Mooncake hash_ids of every request */
    size_t nhashes;
    inf_replica *rep;
    int32_t nrep, nprefill, ndecode; /* aggregated: nprefill = nrep, ndecode = 0 */
    int32_t rr_next[2];       /* round-robin cursors (prefill/aggregated pool, decode pool) */
    size_t finished, rejected;
    inf_hooks hooks;
    /* request source bookkeeping for /summary */
    size_t rows_in_file, outside_window, over_limit;
    char source_desc[1400];
    /* run-wide figures */
    int64_t accelerators;     /* in all replicas */
    uint64_t kv_transfers;
    double kv_bytes_moved;
    trace_table_t *steps_tab; /* NULL when steps are not recorded */
    uint64_t steps_lost;      /* rows that could not be appended (out of memory): the run fails */
};

/* ---- metrics (inference_metrics.c) ---- */
/* Creates /inference/steps (when workload.serving.record_steps) before the run. */
int inf_metrics_begin(inf_world *w, trace_t *t, diag_t *err);
/* One row of /inference/steps: K identical steps of REP from T0 to T1. */
void inf_metrics_step(inf_world *w, const inf_replica *rep, double t0, double t1, int64_t k, double compute_s,
                      double comm_s);
/* /inference/requests, /inference/replicas and the /summary figures, at the end of the run. */
int inf_metrics_finish(inf_world *w, trace_t *t, double end_s, diag_t *err);

/* ---- request sources (inference_source.c) ---- */
/* Builds W->req (and hashes) from the scenario: a trace replay or synthetic draws. */
int inf_requests_build(const scenario_t *sc, inf_world *w, diag_t *err);
/* Reads the scenario's trace and empirical length files once, for their errors (at load time,
 * so a broken row is a scenario error and `oastwin validate` reports it). */
int inf_requests_validate(const scenario_t *sc, diag_t *err);
/* Memory one kept request takes, rounded up: its inf_req and its /inference/requests row. */
enum { INF_REQUEST_BYTES = 256 };

/* ---- scheduler (inference_sched.c) ---- */
int inf_replica_init(inf_replica *rep, int32_t id, inf_role role, const llm_infer *li, int64_t kv_blocks,
                     const inference_spec *spec);
void inf_replica_free(inf_replica *rep);
/* A request enters the replica's waiting queue (arrival, or KV received from a prefill replica). */
int inf_replica_enqueue(inf_world *w, inf_replica *rep, int32_t r);
/* Forms the next step into rep->batch (may preempt running requests). Returns the number of
 * sequences (0: nothing to run). */
int32_t inf_sched_plan(inf_world *w, inf_replica *rep);
/* Duration of one step of the current batch (compute roofline + collectives + overhead); the
 * compute and communication parts are returned too. */
double inf_sched_step_time(const inf_world *w, inf_replica *rep, const llm_batch *b, double *compute_s,
                           double *comm_s);
/* For a decode-only batch: how many identical steps can run before the batch must change (a
 * request finishes, or the next step would need KV blocks that are not there), at most MAXK.
 * Fills END_S[i] = end of step i + 1 relative to the start, i < returned count. */
int64_t inf_sched_decode_run(const inf_world *w, inf_replica *rep, double *end_s, int64_t maxk);
/* Applies K steps of the current batch ending at STEP_END(i) = T0 + END_S[i]; K > 1 only for
 * decode-only batches. Reports finished and prefilled requests through the hooks. */
void inf_sched_apply(inf_world *w, inf_replica *rep, int64_t k, double t0, const double *end_s);
/* Replica's KV load for the router: (used + queued prompt blocks) / capacity. */
double inf_replica_kv_load(const inf_replica *rep);
/* Releases the KV blocks of request R held by REP (after a transfer or at the end). */
void inf_replica_release(inf_world *w, inf_replica *rep, int32_t r);
/* Prompt length in KV blocks, for admission checks. */
int64_t inf_blocks_for(const inf_replica *rep, int64_t tokens);

/* ---- placement (inference.c): inference_check_platform(), declared in workload.h ---- */

/* ---- router (inference_router.c) ---- */
/* Picks a replica of the prefill (or aggregated) pool, DECODE = false, or of the decode pool. */
inf_replica *inf_route(inf_world *w, int32_t r, bool decode);

#endif
