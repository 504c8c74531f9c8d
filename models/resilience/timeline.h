/* The job timeline: a training job's life over its horizon as a small event machine - running
 * (progress at 1 / (iteration time x slowdown) iterations per second), checkpoint stalls and
 * background writes, failures from a failure plan, detection, waiting for a repaired node when
 * no spare is left, restart, restore from the last durable checkpoint - with exact time
 * accounting. No SimGrid inside: the engine's resilience actor sleeps until
 * rs_timeline_next_s() and calls rs_timeline_advance(), so the whole job runs on SimGrid's clock,
 * while tests drive the same machine in a plain loop.
 * Invariant: wall time = run + checkpoint stall + detection + waiting + restart + restore, and
 * run time = kept run time + lost run time.
 * Ownership: rs_timeline_new() allocates; rs_timeline_free() frees; the plan is borrowed. */
#ifndef OAS_RS_TIMELINE_H
#define OAS_RS_TIMELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "failure/failure.h"

typedef enum rs_state {
    RS_RUN,         /* iterating */
    RS_CKPT,        /* stopped for a checkpoint (copy, or copy + write) */
    RS_DETECT,      /* down, the failure not yet detected */
    RS_WAIT_REPAIR, /* down, waiting for a repaired node (no spare left) */
    RS_RESTART,     /* relaunching */
    RS_RESTORE,     /* reading the last durable checkpoint */
    RS_DONE,
    RS__NSTATES
} rs_state;

const char *rs_state_name(rs_state s);
/* /events kinds of a degradation of class CLS starting ("link_flap", "switch_down",
 * "module_down", "plane_down") and ending ("link_restored", "switch_restored", ...). */
const char *rs_down_kind(int cls);
const char *rs_up_kind(int cls);

typedef struct rs_params {
    double t0_s;             /* wall time the timeline starts (the detailed part ran before) */
    double progress0;        /* iterations done by then */
    double iter_s;           /* iteration time of the healthy machine */
    int64_t interval_iters;  /* a checkpoint every this many iterations; 0: never */
    double stall_s;          /* training stopped per checkpoint */
    double background_s;     /* two-stage: the write after the stall (0: synchronous) */
    double restore_s;        /* restoring from the durable tier */
    bool nvme_tier;          /* durable tier is node-local: host failures fall back to the PFS copy */
    int64_t pfs_every;       /* nvme tier: every Nth durable checkpoint is copied to the PFS */
    double pfs_copy_s;       /* nvme tier: that copy, in the background */
    double restore_pfs_s;    /* nvme tier: restoring from the PFS copy */
    double detect_s, restart_s;
    int64_t spares;          /* spare nodes */
    double horizon_s;        /* wall time at which the job is stopped; 0: none */
    double work_iters;       /* iterations after which the job is complete; 0: none */
    double slowdown[FL__NCLASSES]; /* without an effect hook: degrading classes' iteration-time multiplier */
    const char *checkpoint_kind;   /* for event details: "sync" or "two_stage" */
} rs_params;

/* What one failure does to the job, as a machine-aware caller decides it (rs_hooks.effect). */
typedef struct rs_effect {
    bool stops;        /* the job stops and restarts (else it runs on, degraded) */
    double duration_s; /* degraded: how long */
    double slow;       /* degraded: iteration-time multiplier meanwhile (>= 1) */
    double factor;     /* degraded: share of bandwidth left where the failure hurts most (for /events) */
    char detail[96];   /* degraded: what it took, for /events ("4 links, bundles x 0.875") */
} rs_effect;

typedef struct rs_hooks {
    void *ctx;
    /* A row of /events (time, kind, component, value, unit, detail). May be NULL. */
    void (*event)(void *ctx, double t_s, const char *kind, const char *component, double value, const char *unit,
                  const char *detail);
    /* The job enters state S at T_S (after its events). May be NULL. */
    void (*state)(void *ctx, double t_s, rs_state s, double progress);
    /* A degradation starts (ON) or ends: failure F (a link flap, or a switch, module or plane
     * that did not stop the job). May be NULL. */
    void (*degrade)(void *ctx, double t_s, const fl_event *f, bool on);
    /* Decides what failure F does (called once per failure, handed over ones included). NULL:
     * by class - fl_class_stops() stops; the others degrade for their duration with
     * slowdown[class] and factor bw_factor. */
    void (*effect)(void *ctx, const fl_event *f, rs_effect *out);
} rs_hooks;

typedef struct rs_totals {
    double wall_s;            /* from 0 to the end */
    double progress;          /* iterations kept at the end */
    double useful_s;          /* progress x iteration time */
    double in_state_s[RS__NSTATES];
    double kept_run_s, lost_run_s; /* run time whose progress was kept / rolled back */
    double lost_iters;        /* iterations rolled back */
    double slowed_s;          /* run time added by degraded links */
    double degraded_s;        /* run time with at least one degraded link */
    double wait_repair_max_s;
    int64_t failures[FL__NCLASSES]; /* every failure, by class */
    int64_t degradations;     /* failures that left a path: the job ran on, slower */
    int64_t interruptions;    /* running job stopped */
    int64_t failed_restarts;  /* failures while restarting or restoring */
    int64_t while_down;       /* failures while the job was down (detecting, waiting for a repair) */
    int64_t checkpoints, checkpoints_durable, checkpoints_lost, pfs_copies, pfs_copies_skipped;
    int64_t node_failures, spares_used, waits_for_repair;
    bool complete;            /* the work was done before the horizon */
} rs_totals;

typedef struct rs_timeline rs_timeline;

/* Starts at P->t0_s in RS_RUN with P->progress0 iterations. Returns NULL without memory. */
rs_timeline *rs_timeline_new(const rs_params *p, fl_plan *plan, const rs_hooks *hooks);
void rs_timeline_free(rs_timeline *tl);
/* Hands over a failure that happened before t0 (during the detailed part): a stopping one is
 * handled at t0; a degradation still active at t0 stays active until it ends. Call before the
 * first rs_timeline_advance(). */
void rs_timeline_inject(rs_timeline *tl, const fl_event *f);
/* When the next thing happens (INFINITY once done). */
double rs_timeline_next_s(const rs_timeline *tl);
/* Processes everything due at or before T_S. 0, or -1 out of memory. */
int rs_timeline_advance(rs_timeline *tl, double t_s);
bool rs_timeline_done(const rs_timeline *tl);
/* Runs the machine to its end in a plain loop (tests, and where no clock is wanted). */
int rs_timeline_run(rs_timeline *tl);
void rs_timeline_totals(const rs_timeline *tl, rs_totals *out);

/* Checkpoint intervals of first order: Young's sqrt(2 delta M), and Daly's higher-order
 * estimate sqrt(2 delta M) (1 + sqrt(delta / 2M) / 3 + delta / 18M) - delta (for delta < 2M,
 * else M). DELTA: checkpoint cost, M: mean time between failures. */
double rs_young_interval_s(double delta_s, double mtbf_s);
double rs_daly_interval_s(double delta_s, double mtbf_s);
/* Expected goodput (useful / wall) for exponential failures with mean M, checkpoints of cost
 * DELTA every TAU of work and a recovery of R (Daly 2006: each segment of TAU + DELTA is retried
 * until it completes, recoveries included): TAU / (M e^{R/M} (e^{(TAU + DELTA)/M} - 1)). */
double rs_daly_goodput(double tau_s, double delta_s, double mtbf_s, double recovery_s);

#endif
