/* Private to models/workload/training*.c: the parallel layout (ranks, coordinates, groups,
 * placement), the pipeline schedules, the per-stage operator programs, the run state shared by
 * the executor and the recorder, and the op-list replay. Not for other modules.
 * Rank numbering: rank = t + TP*(c + CP*(d + DP*s)) for tensor rank t, context rank c,
 * data-parallel rank d and pipeline stage s (Megatron-LM's default order); the expert-parallel
 * rank is e = d mod EP. Ownership: each *_init/_build fills a caller-owned struct released by
 * its *_free. */
#ifndef OAS_TRAINING_IMPL_H
#define OAS_TRAINING_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <simgrid/forward.h>

#include "coll/coll.h"
#include "commgroup.h"
#include "diag.h"
#include "engine.h"
#include "llm.h"
#include "platform.h"
#include "scenario.h"
#include "trace.h"

/* ---- group kinds ---- */

typedef enum tr_kind {
    TRK_TP,  /* tensor parallel */
    TRK_CP,  /* context parallel */
    TRK_EP,  /* expert parallel (all-to-all) */
    TRK_DP,  /* gradient reduction of dense parameters (data x context parallel ranks) */
    TRK_EDP, /* gradient reduction of expert parameters (expert data-parallel ranks) */
    TRK_PP,  /* pipeline point-to-point */
    TRK_EMB, /* tied embedding gradient: first and last stage */
    TRK_USER, /* replay: a group the op list defines */
    TRK__N
} tr_kind;

/* Exposed-communication columns of the breakdown. */
typedef enum tr_expose { TRX_TP, TRX_PP, TRX_DP, TRX_EP, TRX_CP, TRX__N } tr_expose;

const char *tr_kind_name(tr_kind k);
tr_expose tr_kind_expose(tr_kind k);

/* ---- layout: training_layout.c ---- */

typedef struct tr_layout {
    int64_t tp, cp, dp, pp, ep, v; /* degrees; v = virtual stages per rank */
    int32_t n;                     /* ranks */
    int32_t *acc;                  /* rank -> accelerator */
    int32_t *rank_of_acc;          /* accelerator -> rank, -1 when unused */
    int32_t naccs;                 /* accelerators of the platform */
    bool explicit_placement;       /* order or file given by the scenario */
} tr_layout;

typedef struct tr_coord {
    int32_t t, c, d, s;
} tr_coord;

/* Degrees from the scenario and the platform, placement, and every divisibility and size rule;
 * errors are scenario errors at the key concerned. REPLAY: the op list sets the rank count
 * (skips the batch rules). */
int tr_layout_init(tr_layout *L, const scenario_t *sc, const platform_t *plat, diag_t *err);
/* PATH as written in the scenario: relative paths start at the scenario file's folder. */
void tr_resolve_path(const scenario_t *sc, const char *path, char *out, size_t n);
void tr_layout_free(tr_layout *L);
tr_coord tr_coord_of(const tr_layout *L, int32_t rank);
int32_t tr_rank_at(const tr_layout *L, tr_coord c);
/* Groups of kind K: how many, their size, the group a rank belongs to (-1 if none), and the
 * members (ranks, in group-rank order) of group G into OUT (size entries). */
int32_t tr_groups(const tr_layout *L, tr_kind k);
int32_t tr_group_size(const tr_layout *L, tr_kind k);
int32_t tr_group_of(const tr_layout *L, tr_kind k, int32_t rank);
void tr_group_members(const tr_layout *L, tr_kind k, int32_t g, int32_t *out);
/* Index of RANK inside its group of kind K. */
int32_t tr_group_rank(const tr_layout *L, tr_kind k, int32_t rank);
/* Micro-batches per iteration for each pipeline. */
int64_t tr_microbatches(const scenario_t *sc, const tr_layout *L);

/* ---- pipeline schedules: training_pipeline.c ---- */

typedef struct tr_slot {
    bool bwd;      /* backward (else forward) */
    bool last;     /* backward: the last micro-batch of this chunk (gradients become final) */
    int32_t chunk; /* model chunk on this stage, 0..v-1 */
    int32_t mb;    /* micro-batch */
} tr_slot;

/* The order in which stage S of P runs the forward and backward passes of M micro-batches of
 * its V chunks: 1F1B (PipeDream-Flush) for V = 1, Megatron-LM's interleaved 1F1B for V > 1
 * (requires M % P == 0). OUT holds 2*M*V slots. Returns 0 or -1. */
int tr_schedule(int64_t p, int64_t v, int64_t m, int64_t s, tr_slot *out);
/* Makespan of the schedule when every forward of a chunk takes TF, every backward TB and
 * transfers are free (a list-scheduling replay of the dependencies; for tests and docs).
 * Returns -1 on a deadlock or no memory. */
double tr_schedule_makespan(int64_t p, int64_t v, int64_t m, double tf, double tb);

/* ---- programs: training_ops.c ---- */

typedef enum tr_step_kind { TRS_COMPUTE, TRS_COLL, TRS_GRADS } tr_step_kind;

/* One step of a chunk's forward or backward pass on one rank. */
typedef struct tr_step {
    uint8_t kind;  /* tr_step_kind */
    uint8_t group; /* TRS_COLL: tr_kind */
    uint8_t op;    /* TRS_COLL: coll_op */
    double time_s; /* TRS_COMPUTE: duration of its compute-bound operators (scale with the clock) */
    double mem_s;  /* TRS_COMPUTE: duration of its memory-bound operators (do not) */
    double flop;   /* TRS_COMPUTE: executed FLOP */
    double bytes;  /* TRS_COLL: message size (nccl-tests convention); TRS_COMPUTE: HBM bytes */
    double dense, expert; /* TRS_GRADS: parameters whose gradients are now complete */
    int32_t sid;   /* TRS_COLL: schedule id in the run's table (set by the executor) */
} tr_step;

typedef struct tr_prog {
    tr_step *steps;
    size_t n, cap;
} tr_prog;

/* A gradient bucket: reduced over the DP (dense) or EDP (expert) group. */
typedef struct tr_bucket {
    uint8_t group;    /* TRK_DP or TRK_EDP */
    double params;
    size_t after_step; /* posted once the chunk's backward has run this many steps */
    int32_t sid_reduce, sid_gather; /* schedule ids (set by the executor) */
} tr_bucket;

typedef struct tr_chunk {
    int64_t layer0, layers;   /* global index of the first layer and count */
    bool embedding, head;     /* holds the input embedding / the output head */
    tr_prog fwd, bwd;         /* one micro-batch */
    tr_bucket *buckets;       /* in posting order */
    size_t nbuckets;
    double dense_params, expert_params; /* on one rank */
    double act_in_B;          /* bytes received from the previous stage per micro-batch */
} tr_chunk;

typedef struct tr_stage {
    tr_chunk *chunks;        /* v */
    double params_dense, params_expert; /* one rank of the stage */
    double optimizer_s;      /* optimizer step duration */
    double opt_flop, opt_bytes;
    double mem_weights_B, mem_grads_B, mem_optimizer_B, mem_act_B; /* estimate per rank */
} tr_stage;

/* One row of /training/operators: one operator of one pass for one micro-batch on one rank. */
typedef struct tr_oprow {
    char block[16], op[24], cls[8], pass[12], bound[8];
    double flop, bytes, time_s;
} tr_oprow;

typedef struct tr_model {
    tr_stage *stages; /* pp */
    int64_t pp, v;
    double act_bytes;          /* per activation element */
    double p2p_bytes;          /* activation or gradient sent between stages per micro-batch */
    double model_flop_iter;    /* whole job, one iteration (forward + backward, no recompute) */
    double hw_flop_iter;       /* whole job, one iteration, recomputation included */
    double tokens_iter;
    double params_total, params_active;
    tr_oprow *oprows;
    size_t noprows, capoprows;
} tr_model;

/* Builds every stage's programs, buckets, optimizer step and memory estimate. */
int tr_model_build(tr_model *M, const scenario_t *sc, const tr_layout *L, diag_t *err);
void tr_model_free(tr_model *M);
/* Duration of a compute operator pass under the scenario's efficiencies (roofline + launch). */
double tr_op_time(const scenario_t *sc, llm_op_class cls, double flop, double bytes);

/* ---- replay: training_replay.c ---- */

typedef enum tr_rop_kind { TRR_COMPUTE, TRR_SEND, TRR_RECV, TRR_COLL, TRR_ITER } tr_rop_kind;

typedef struct tr_rop {
    uint8_t kind;   /* tr_rop_kind */
    uint8_t op;     /* TRR_COLL: coll_op */
    uint8_t gkind;  /* TRR_COLL / SEND / RECV: tr_kind for the breakdown */
    uint8_t lkind;  /* TRR_COLL: the rank's layout group of this kind, or TRK_USER (peer = group) */
    uint8_t cls;    /* TRR_COMPUTE: llm_op_class for the efficiencies */
    int32_t id;     /* the file's id (increasing per rank) */
    int32_t stream; /* stream of the rank, 0..nstreams-1 */
    int32_t peer;   /* SEND/RECV: rank; COLL: replay group index (lkind = TRK_USER) */
    int32_t tag;
    int32_t slot;   /* SEND/RECV: channel index; COLL: group index over all groups (see tr_replay) */
    int32_t seq;    /* SEND/RECV: message number on the channel; COLL: call number on the group */
    double time_s;  /* COMPUTE: duration (given, or from flop and bytes) */
    double flop, bytes;
    int32_t *deps;  /* indices (into the rank's ops) that must finish first */
    int32_t ndeps;
    int32_t line;   /* source line, for messages */
} tr_rop;

typedef struct tr_rgroup {
    char name[32];
    uint8_t kind;    /* tr_kind of the breakdown */
    int32_t *ranks;  /* members in group-rank order */
    int32_t n;
} tr_rgroup;

typedef struct tr_replay {
    int32_t nranks;
    tr_rop **ops;     /* per rank */
    int32_t *nops;
    int32_t *nstreams;
    tr_rgroup *groups;
    int32_t ngroups;
    int32_t iterations; /* iterations every rank runs */
    int32_t nchannels;  /* distinct (source, destination, tag) */
    int32_t *chan_src, *chan_dst, *chan_tag;
    int32_t nslots;     /* all groups: the layout's (by kind) then the list's own */
    int32_t *slot_calls; /* collectives issued on each group (by each member) */
    char path[4096];
} tr_replay;

/* Parses and checks the op list at PATH for a job of NRANKS ranks (0: any; the file's count
 * becomes the job's), resolving `tp`, `dp`... group names through L when L is non-NULL.
 * Errors are "PATH:LINE:COL: error: ...". */
int tr_replay_load(tr_replay *R, const char *path, const scenario_t *sc, const tr_layout *L, diag_t *err);
void tr_replay_free(tr_replay *R);
/* The group an op list's collective OP of RANK runs on: a layout group (*KIND its tr_kind, *G its
 * index) or one of the list's own (*KIND = TRK_USER, *G its index in R->groups). */
void tr_rop_group(const tr_replay *R, const tr_layout *L, int32_t rank, const tr_rop *op, int *kind, int32_t *g);


/* ---- run state: training_exec.c (actors), training_sym.c (symmetry), training_record.c ---- */

/* A collective schedule shared by every call of the same shape. */
typedef struct tr_sched {
    uint8_t kind, op;
    int32_t p;
    double bytes;
    coll_sched s;
} tr_sched;

/* One collective call of one group (or of a representative group, when collapsed). */
typedef struct tr_call {
    uint8_t kind, op, alg;
    int16_t stage;      /* pipeline stage of the group's ranks (p2p: the sender's), -1 if mixed */
    int32_t group;      /* group index of its kind (p2p: the PP group) */
    int32_t iteration;
    int32_t size;
    double bytes, start_s, ready_s, end_s;
} tr_call;

typedef struct tr_calls {
    tr_call *v;
    size_t n, cap;
} tr_calls;

/* Breakdown of one rank's iteration (sums of times). */
typedef struct tr_parts {
    double compute, exposed[TRX__N], bubble;
} tr_parts;

typedef struct tr_iter {
    int32_t reported;    /* simulated ranks that finished it */
} tr_iter;

/* A pipeline channel: messages (activations or gradients) from one simulated rank to another,
 * sent eagerly (the sender does not wait), received in order. */
typedef struct tr_pmsg {
    double sent_s, arrive_s; /* arrive_s: inf until the transfer has ended */
    int32_t chunk, mb;       /* receiver's chunk and the micro-batch, checked on receipt */
    size_t call;             /* index of its record in the channel's log */
} tr_pmsg;

typedef struct tr_chan {
    int32_t src, dst;   /* simulated ranks */
    bool bwd;           /* carries gradients (else activations) */
    double bytes;
    int32_t sid;        /* p2p schedule id */
    double price_s;     /* analytic: transfer time */
    tr_pmsg *q;          /* ring of messages not yet received (arrive_s = inf while in flight) */
    size_t head, n, cap;
    uint64_t pushed, popped;
    sg_mutex_t mu;
    sg_cond_t cv;
    int waiting;
    sg_host_t from, to; /* flow: the hosts the transfer runs between (platform_endpoint) */
    char name[48];
    int32_t tag;        /* replay: the op list's tag */
    int32_t pp_group;   /* PP group of the sender */
    int32_t src_stage;  /* pipeline stage of the sender */
    tr_calls calls;     /* one record per message */
} tr_chan;

/* Gradient-reduction jobs from a rank to its data-parallel helper actor (the second stream). */
typedef struct tr_job {
    uint8_t kind;
    int32_t sid, iteration;
} tr_job;

typedef struct tr_dpq {
    tr_job *q;
    size_t head, n, cap;
    uint64_t posted, done;
    bool stop;
    sg_mutex_t mu;
    sg_cond_t work, finished;
    int wait_work, wait_done;
} tr_dpq;

/* A simulated rank: every rank at full resolution, or one per pipeline stage standing for all
 * ranks of its stage when the job is collapsed by symmetry (training_sym.c). */
typedef struct tr_rank {
    int32_t rank, acc, stage;
    int32_t weight;        /* ranks it stands for */
    int32_t sigma;         /* its replica class (collapsed) */
    int32_t *accs;         /* its accelerator first, then those it stands for (collapsed) */
    int32_t naccs;
    int state;             /* acc_state of its accelerators (main stream) */
    int32_t group[TRK__N], grank[TRK__N]; /* its group of each kind and its index there; -1 */
    commgroup_t *cg[TRK__N];
    double *price;         /* collapsed: price of each schedule id on its groups (-1 unknown) */
    tr_chan *send_fwd, *send_bwd, *recv_fwd, *recv_bwd;
    tr_dpq *dpq;
    tr_parts total;        /* whole run */
    double span_total;
    tr_parts cur;          /* current iteration */
    tr_parts *it_parts;    /* per iteration: its breakdown, start and end */
    double *it_start, *it_end;
    uint32_t ncall[TRK__N]; /* collectives it entered, per kind (index into its group's log) */
} tr_rank;

typedef struct tr_run {
    const scenario_t *sc;
    const platform_t *plat;
    tr_layout L;
    tr_model M;
    tr_replay R;
    bool replay;
    /* symmetry (training_sym.c): replica classes. sig[d] is the class of data-parallel replica d,
     * sig_rep[k] the smallest replica of class k and sig_size[k] its replicas; simulated rank
     * s * nsig + k stands for every rank of stage s in a replica of class k */
    bool collapsed;
    int32_t nsig, *sig, *sig_rep, *sig_size;
    sg_bar_t *crossbar;   /* per stage: barrier of the stage's nsig actors (cross-class reductions) */
    char symmetry_note[160];
    int64_t microbatches;
    tr_rank *ranks;       /* simulated ranks */
    int32_t nranks;
    int32_t *sim_of_rank; /* job rank -> simulated rank index */
    tr_sched *scheds;
    int32_t nscheds, capscheds;
    int32_t emb_sid;      /* tied-embedding gradient all-reduce, -1 if none */
    double end_clock;     /* simulated time when the run ended */
    tr_iter *iters;
    int64_t steps;
    int32_t finished;
    commgroup_t **cgs;    /* every communicator created (to free) */
    size_t ncgs, capcgs;
    tr_chan **chans;
    size_t nchans, capchans;
    tr_calls *gcalls[TRK__N]; /* per kind, per group: its calls in order (index = call number) */
    int32_t ngcalls[TRK__N];
} tr_run;

/* The schedule id for (KIND, OP, P, BYTES), built on first use (algorithm from the scenario). */
int32_t tr_sched_id(tr_run *S, tr_kind kind, coll_op op, int32_t p, double bytes, diag_t *err);
/* Price of schedule SID on the group of KIND whose members are MEMBERS (ranks). */
double tr_price(const tr_run *S, int32_t sid, const int32_t *members);
/* Decides whether the job can run collapsed (analytic fidelity, every group of a kind in a
 * stage priced the same for every schedule it runs, every p2p pair the same); fills the note. */
int tr_sym_decide(tr_run *S, diag_t *err);
/* The rank whose actor stands for RANK (RANK itself at full resolution). */
int32_t tr_rep_rank(const tr_run *S, int32_t rank);
/* The group of kind K whose calls stand for group G's (the group of its representative). */
int32_t tr_rep_group(const tr_run *S, tr_kind k, int32_t g);

int tr_exec_setup(tr_run *S, diag_t *err);
/* A channel from simulated rank SRC to DST; BYTES is its usual message size (priced once). */
tr_chan *tr_chan_new(tr_run *S, int32_t src, int32_t dst, bool bwd, double bytes, diag_t *err);
/* Sends BYTES eagerly on CH (logged as a KIND transfer of GROUP at STAGE); the receiver must
 * expect tags (A, B). */
void tr_chan_send(tr_run *S, tr_chan *ch, uint8_t kind, int32_t group, int16_t stage, double bytes, int32_t a,
                  int32_t b, int32_t iter);
/* Receives the next message of CH, which must carry tags (A, B); adds the wait before the
 * sender sent to *BUBBLE and the rest to *XFER. */
void tr_chan_recv(tr_run *S, tr_chan *ch, int32_t a, int32_t b, double *bubble, double *xfer);
/* Folds rank R's current iteration ITER (START..END) into the run's aggregates. */
void tr_exec_report(tr_run *S, tr_rank *R, int32_t iter, double start, double end);
/* Whole-model figures (tokens, model and hardware FLOP per iteration, parameters) into M. */
void tr_model_totals(tr_model *M, const scenario_t *sc);
void tr_exec_free(tr_run *S);
int tr_replay_setup(tr_run *S, diag_t *err);
void tr_replay_exec_free(tr_run *S);
int tr_record_finish(tr_run *S, trace_t *t, const engine_stats *st, diag_t *err);
/* Appends CALL to LIST. 0 or -1. */
int tr_calls_push(tr_calls *list, const tr_call *call);

#endif
