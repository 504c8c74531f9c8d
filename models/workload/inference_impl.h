/* Private to the inference workload (models/workload/inference*.c): requests, replicas, the KV
 * cache with its prefix cache, and the world they live in. One SimGrid actor per replica drives
 * that replica's scheduler; the scheduler itself (inference_sched.c) is plain C with no clock of
 * its own, so it can be tested without SimGrid: the actor tells it when each step ends.
 * Invariant: a request is in exactly one place at a time (source, a replica's waiting queue, its
 * offload fetch queue, its running set, a KV transfer, or finished), and its KV blocks are counted in exactly one cache. */
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
    int32_t reroutes;     /* times a replica failure took it away and it was routed again */
    int32_t offload_tokens; /* prompt tokens fetched from the KV offload tier at first admission */
    double fetch_s;       /* time spent fetching prefix blocks from the offload tier, all fetches */
    double ready_s;       /* a fetch in flight ends at this time (its blocks are held meanwhile) */
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
/* Empties the cache (a failed replica loses its KV): no private block, no cached prefix, and the
 * attached offload tier is emptied too. The eviction count is kept. */
void inf_kv_reset(inf_kv *kv);

/* ---- KV offload tier of one replica (inference_offload.c): a second-level LRU prefix cache ---- */
typedef struct inf_tier inf_tier;

/* A tier of CAPACITY_BLOCKS 512-token blocks (0: holds nothing); DISTINCT_HASHES bounds what it
 * will ever hold (sizes the hash table). */
inf_tier *inf_tier_new(int64_t capacity_blocks, int64_t distinct_hashes);
void inf_tier_free(inf_tier *t);
/* Blocks evicted from the HBM prefix cache of KV are written to T (NULL: none). */
void inf_kv_attach_tier(inf_kv *kv, inf_tier *t);
/* Stores block HASH as the most recently used (a write when it was not there; dropping the least
 * recently used when full). 0, or -1 when memory ran out (the block is then not kept). */
int inf_tier_put(inf_tier *t, int64_t hash);
/* Length of the leading run of HASHES[0..n) held by T; no side effect. */
int32_t inf_tier_match(const inf_tier *t, const int64_t *hashes, int32_t n);
/* Marks HASHES[0..n) most recently used and counts them as hits (they were fetched). */
void inf_tier_touch(inf_tier *t, const int64_t *hashes, int32_t n);
void inf_tier_reset(inf_tier *t);
int64_t inf_tier_capacity(const inf_tier *t);
int64_t inf_tier_used(const inf_tier *t);
uint64_t inf_tier_writes(const inf_tier *t);
uint64_t inf_tier_evictions(const inf_tier *t);
uint64_t inf_tier_hits(const inf_tier *t);

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
    inf_tier *tier;           /* KV offload tier (NULL: storage.kv_offload.tier = none) */
    inf_queue fetching;       /* requests whose prefix blocks are on their way from the tier, by end */
    double fetch_free_s;      /* the tier's fetch queue is busy until then (fetches are serialised) */
    double clock_s;           /* now, as the actor last told the scheduler (it has no clock) */
    inf_queue waiting;        /* FCFS */
    int32_t *running;         /* admission order; preemption takes the last */
    int32_t nrun, caprun;
    inf_batch batch;
    struct inf_fixc *fixc;    /* cache of step costs that depend only on the token counts */
    int64_t outstanding;      /* routed here and not finished (decode pool: incl. incoming) */
    int64_t queued_blocks;    /* KV blocks the waiting queue's prompts will need (router) */
    int64_t run_reserved;     /* blocks reserved for the rest of a decode run */
    bool down;                /* failed and not back yet: the router never picks it */
    /* statistics */
    uint64_t steps, preemptions;
    uint64_t fetches;         /* fetches from the offload tier */
    double fetch_bytes;       /* bytes they moved */
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
/* Forms the next step into rep->batch (may preempt running requests) at time rep->clock_s.
 * Returns the number of sequences (0: nothing to run). With an offload tier, a request whose
 * prefix misses HBM but is in the tier leaves the waiting queue for rep->fetching, holding the
 * blocks, until its fetch ends (ready_s); the first plan at or after then puts it back at the head
 * of the queue with those tokens computed. */
int32_t inf_sched_plan(inf_world *w, inf_replica *rep);
/* Duration of one step of the current batch (compute roofline + collectives + overhead); the
 * compute and communication parts are returned too. */
double inf_sched_step_time(const inf_world *w, inf_replica *rep, const llm_batch *b, double *compute_s,
                           double *comm_s);
/* The part of the step's compute time spent in compute-bound operators (at nominal clock): a
 * slower performance state stretches it; the rest is bound by HBM bandwidth. */
double inf_sched_step_clock_s(inf_replica *rep, const llm_batch *b);
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
/* Earliest end of a fetch in flight on REP (INFINITY: none). */
double inf_replica_next_fetch_s(const inf_world *w, const inf_replica *rep);
/* The replica fails: it is marked down, its KV cache is emptied (blocks, cached prefixes and the
 * offload tier), and every request in its running set, fetch queue and waiting queue (running
 * ones first, in admission order, then those fetching, then the queue in order) is taken away
 * into OUT[0..) with no KV held (computed = 0); their count is returned (OUT must hold
 * rep->nrun + rep->fetching.n + rep->waiting.n). Output already produced stays
 * counted (generated, first_token_s), so a request re-prefills its prompt and those tokens.
 * Requests elsewhere (in a KV transfer) are the caller's (inference.c). */
int32_t inf_replica_fail(inf_world *w, inf_replica *rep, int32_t *out);

/* ---- placement (inference.c): inference_check_platform(), declared in workload.h ---- */

/* ---- router (inference_router.c) ---- */
/* Picks a replica of the prefill (or aggregated) pool, DECODE = false, or of the decode pool,
 * among those that are not down; NULL when every replica of the pool is down. */
inf_replica *inf_route(inf_world *w, int32_t r, bool decode);

/* ---- failures (inference_failure.c): replicas lost and back, resilience.mode = timeline ---- */
typedef struct inf_faults inf_faults;
/* What the failure model asks of the serving run, at the current time. */
typedef struct inf_fault_hooks {
    void *ctx;
    /* Replica REP goes down now (an outage was opened for it): take its requests away and route
     * them again; returns how many were rerouted. */
    int64_t (*down)(void *ctx, inf_replica *rep);
    /* Replica REP is back now. */
    void (*up)(void *ctx, inf_replica *rep);
    /* A row of /events. */
    void (*event)(void *ctx, const char *kind, const char *component, double value, const char *unit,
                  const char *detail);
} inf_fault_hooks;
/* Checks what only the platform can tell (a scheduled failure naming a component the machine
 * lacks). 0, or -1 with ERR a scenario error. Nothing to check when resilience is off. */
int inf_faults_check(const scenario_t *sc, const platform_t *plat, diag_t *err);
/* The failure plan over the serving machine (NULL in *OUT when resilience.mode is off): the
 * replicas of W (placed, priced) and the platform's components. 0 or -1. */
int inf_faults_new(const scenario_t *sc, const platform_t *plat, inf_world *w, inf_faults **out, diag_t *err);
void inf_faults_free(inf_faults *f);
/* Time of the next thing to do: a failure, a replica back, a spare node back (INFINITY: none). */
double inf_faults_next_s(const inf_faults *f);
/* Does everything due at NOW (replicas back first, then spares, then failures in plan order).
 * 0, or -1 when memory ran out. */
int inf_faults_advance(inf_faults *f, double now, const inf_fault_hooks *h);
/* Seconds replica REP needs to come back after a failure of class CLS when no spare is left
 * (REPAIR_S: that failure's repair time, counted only for node-taking classes) or with one. */
double inf_faults_outage_s(const inf_faults *f, const inf_replica *rep, int cls, double repair_s, bool spare);
/* Weight reload time of replica REP (s): see inference_failure.c. */
double inf_faults_reload_s(const inf_faults *f, const inf_replica *rep);
/* /inference/replica_outages and the /summary figures, for a run that ended at END_S. */
int inf_faults_finish(inf_faults *f, trace_t *t, double end_s, diag_t *err);

#endif
