/* Inference workload (workload.kind = inference): LLM serving of a request trace or synthetic
 * requests on replicas placed on the platform. Actors: one router that releases requests at
 * their arrival times and routes them; one per replica that runs its scheduler step after step
 * (a run of identical decode steps is one wait, cut short when a request arrives that could
 * join); for disaggregated serving, KV cache transfers as SimGrid flows from the prefill
 * replica's accelerators to the decode replica's (priced on the routes at analytic fidelity);
 * with step_collectives = flow, follower actors that run each step's collectives as flows;
 * with resilience.mode = timeline, a failure actor that takes replicas down and brings them back
 * (inference_failure.c), their requests rerouted to healthy replicas of the same pool. With a KV
 * offload tier (storage.kv_offload), a replica with nothing to run while prefix fetches are in
 * flight waits for the first to end, and a run of decode steps stops at the step boundary after it.
 * With more than one performance state (DVFS: a thermal governor or a power cap can slow the
 * clock), each step's compute part executes on the replica's accelerators (engine_compute_many:
 * its compute-bound operators on the clock, its HBM-bound ones not), one step at a time; with a
 * single state it is a wait of the priced duration, which is the same thing.
 * Invariant: every request ends done, rejected, or still in flight when run.stop.sim_time
 * ends the run; nothing is dropped, a failure moves a request, never loses or copies it. */
#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/comm.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commgroup.h"
#include "inference_impl.h"
#include "power/power.h"
#include "units.h"
#include "workload.h"

#define MAXRUN 4096 /* longest run of decode steps priced at once (a longer one simply continues) */

enum { MODE_BUSY, MODE_IDLE, MODE_RUN };
enum { SC_TP_AR, SC_TP_AG, SC_EP, SC__N };

/* Per-step collectives as flows: a communicator per kind with follower actors. */
typedef struct stepcomm {
    commgroup_t *g[SC__N];
    int32_t p[SC__N];
    sg_bar_t go[SC__N], done[SC__N];
    coll_sched sched[SC__N];
    bool quit;
} stepcomm;

/* A replica's wake-up: a semaphore (a release before the acquire is not lost) and a flag so
 * that at most one release is pending. */
typedef struct rsync {
    sg_sem_t sem;
    bool signaled;
    int mode;
    bool busy;
    uint32_t epoch; /* bumped when the replica fails: a step in flight is then discarded */
    double *ends;
    stepcomm *sc;
    int32_t *accs;    /* exec_steps: the replica's accelerators and their hosts */
    sg_host_t *hosts;
} rsync;

typedef struct xfer {
    int32_t req, from, to, left;
    int64_t reserved;
    double bytes;
    bool over; /* completed, or cancelled by a failure of either end */
} xfer;

typedef struct sender sender;
typedef struct timed timed;

typedef struct inf_run {
    inf_world w;
    const platform_t *plat;
    rsync *sync;
    inf_queue *incoming; /* per replica (decode pool): requests waiting for KV space */
    xfer *x;
    size_t nx, capx;
    sender *senders;    /* flow fidelity: per accelerator (prefill pool) */
    sg_mailbox_t *rx;   /* flow fidelity: per accelerator (decode pool) */
    timed *heap;        /* analytic fidelity: transfers in flight by end time */
    size_t nheap, capheap;
    sg_sem_t timer_sem;
    bool all_done;
    bool started; /* actors created */
    bool flow_steps;
    bool exec_steps;         /* more than one performance state: steps execute (see the header) */
    int64_t limit_tokens[2]; /* longest sequence a prefill (or aggregated) / decode replica can hold */
    inf_faults *faults;      /* resilience.mode = timeline: failures (NULL otherwise) */
    inf_queue parked[2];     /* requests waiting for a replica of the pool (0: prefill/aggregated, 1: decode) */
} inf_run;

static inf_run *S; /* actors reach the state through this; one workload per process */

/* ---- accelerator activity and wake-ups ---- */

static void set_busy(inf_replica *rep, bool busy)
{
    rsync *y = &S->sync[rep->id];
    if (y->busy == busy)
        return;
    y->busy = busy;
    for (int32_t a = 0; a < rep->nacc; a++)
        engine_set_state(rep->first_acc + a, busy ? ACC_COMPUTE : ACC_IDLE);
}

/* Could the head of REP's waiting queue join the next step? (Only then is a decode run cut.) */
static bool admissible(const inf_replica *rep)
{
    if (!rep->waiting.n || rep->nrun >= rep->caprun)
        return false;
    const inf_req *q = &S->w.req[inf_queue_peek(&rep->waiting)];
    int64_t first = (int64_t)q->prompt + q->generated - q->computed;
    if (first > S->w.spec->max_batch_tokens)
        first = S->w.spec->max_batch_tokens;
    return inf_kv_available(rep->kv) >= inf_blocks_for(rep, q->computed + first) - q->priv;
}

static void signal_replica(rsync *y)
{
    if (y->signaled)
        return;
    y->signaled = true;
    sg_sem_release(y->sem);
}

static void wake(inf_replica *rep)
{
    rsync *y = &S->sync[rep->id];
    if (y->mode == MODE_IDLE || (y->mode == MODE_RUN && admissible(rep)))
        signal_replica(y);
}

static void check_done(void)
{
    if (S->all_done || S->w.finished + S->w.rejected < S->w.nreq)
        return;
    S->all_done = true;
    engine_workload_done();
    for (int32_t i = 0; i < S->w.nrep; i++)
        signal_replica(&S->sync[i]);
}

/* ---- KV cache transfers (disaggregated serving) ---- */

static void transfer_done(xfer *x)
{
    if (x->over)
        return; /* cancelled: a replica at either end failed */
    x->over = true;
    inf_world *w = &S->w;
    inf_req *q = &w->req[x->req];
    inf_replica *prep = &w->rep[x->from], *drep = &w->rep[x->to];
    inf_replica_release(w, prep, x->req);
    wake(prep);
    q->transfer_end_s = simgrid_get_clock();
    q->computed = q->prompt + q->generated - 1; /* all but the last token (the next step's input) */
    q->priv = (int32_t)x->reserved;
    q->shared = 0;
    inf_replica_enqueue(w, drep, x->req);
    wake(drep);
}

/* Flow fidelity: a sender daemon per prefill accelerator posts its share of each transfer as
 * detached flows; a receiver daemon per decode accelerator (the mailbox's permanent receiver,
 * so flows start at once) counts them in. The payload names the transfer. */
struct sender {
    inf_queue work; /* transfers to post */
    sg_sem_t sem;
    bool signaled;
};

static void sender_main(int argc, char **argv)
{
    (void)argc;
    int32_t a = atoi(argv[1]);
    sender *me = &S->senders[a];
    for (;;) {
        sg_sem_acquire(me->sem);
        me->signaled = false;
        while (me->work.n) {
            int32_t xi = inf_queue_pop(&me->work);
            xfer *x = &S->x[xi];
            if (x->over)
                continue; /* cancelled before it was posted */
            const inf_replica *from = &S->w.rep[x->from], *to = &S->w.rep[x->to];
            int32_t nf = from->nacc > to->nacc ? from->nacc : to->nacc;
            for (int32_t j = a - from->first_acc; j < nf; j += from->nacc) {
                sg_comm_t c = sg_mailbox_put_init(S->rx[to->first_acc + j % to->nacc], (void *)(intptr_t)(xi + 1),
                                                   (long)llround(x->bytes / nf));
                sg_comm_detach(c, NULL);
            }
        }
    }
}

static void receiver_main(int argc, char **argv)
{
    (void)argc;
    sg_mailbox_set_receiver(argv[1]);
    sg_mailbox_t mb = sg_mailbox_by_name(argv[1]);
    for (;;) {
        intptr_t xi = (intptr_t)sg_mailbox_get(mb) - 1;
        xfer *x = &S->x[xi];
        engine_count_transfers(1);
        if (--x->left == 0)
            transfer_done(x);
    }
}

/* Analytic fidelity: one timer daemon completes transfers at their priced end times (a binary
 * heap by time, then transfer index, so ties resolve the same way every run). */
struct timed {
    double t;
    int32_t xi;
};

static bool timed_before(const timed *a, const timed *b)
{
    return a->t < b->t || (a->t == b->t && a->xi < b->xi);
}

static void heap_push(timed v)
{
    if (S->nheap == S->capheap) {
        size_t cap = S->capheap ? 2 * S->capheap : 256;
        timed *h = realloc(S->heap, cap * sizeof *h);
        if (!h) {
            fprintf(stderr, "oastwin: fatal: out of memory for KV transfers\n");
            abort();
        }
        S->heap = h;
        S->capheap = cap;
    }
    size_t i = S->nheap++;
    while (i && timed_before(&v, &S->heap[(i - 1) / 2])) {
        S->heap[i] = S->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    S->heap[i] = v;
}

static timed heap_pop(void)
{
    timed top = S->heap[0], last = S->heap[--S->nheap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= S->nheap)
            break;
        if (c + 1 < S->nheap && timed_before(&S->heap[c + 1], &S->heap[c]))
            c++;
        if (!timed_before(&S->heap[c], &last))
            break;
        S->heap[i] = S->heap[c];
        i = c;
    }
    if (S->nheap)
        S->heap[i] = last;
    return top;
}

static void timer_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (;;) {
        if (!S->nheap) {
            sg_sem_acquire(S->timer_sem);
        } else {
            double dt = S->heap[0].t - simgrid_get_clock();
            if (dt > 0)
                sg_sem_acquire_timeout(S->timer_sem, dt);
        }
        while (S->nheap && S->heap[0].t <= simgrid_get_clock())
            transfer_done(&S->x[heap_pop().xi]);
    }
}

typedef struct group_ctx {
    const platform_t *plat;
    const int32_t *acc;
} group_ctx;

static int group_route(void *ctx, int32_t s, int32_t d, double *lat_s, uint32_t *links, size_t cap)
{
    const group_ctx *g = ctx;
    return platform_route(g->plat, g->acc[s], g->acc[d], lat_s, links, cap);
}

static int cmp_xfer(const void *a, const void *b)
{
    const coll_xfer *x = a, *y = b;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    return (x->dst > y->dst) - (x->dst < y->dst);
}

/* Analytic duration of a transfer: all its flows at once, priced as one collective step (so
 * flows that share a link share its bandwidth). */
static double xfer_time(const inf_replica *from, const inf_replica *to, double bytes)
{
    int32_t np = from->nacc, nd = to->nacc, nf = np > nd ? np : nd;
    int32_t *acc = malloc((size_t)(np + nd) * sizeof *acc);
    coll_xfer *xs = calloc((size_t)nf, sizeof *xs);
    double t = 0;
    if (acc && xs) {
        for (int32_t i = 0; i < np; i++)
            acc[i] = from->first_acc + i;
        for (int32_t i = 0; i < nd; i++)
            acc[np + i] = to->first_acc + i;
        for (int32_t j = 0; j < nf; j++)
            xs[j] = (coll_xfer){j % np, np + j % nd, bytes / nf};
        qsort(xs, (size_t)nf, sizeof *xs, cmp_xfer);
        coll_step st = {0, (size_t)nf, 1};
        coll_sched s = {.op = COLL_P2P, .alg = COLL_ALG_DIRECT, .p = np + nd, .bytes = bytes, .nsteps = 1,
                        .cap_steps = 1, .steps = &st, .nxfers = (size_t)nf, .cap_xfers = (size_t)nf, .xfers = xs};
        group_ctx g = {S->plat, acc};
        t = coll_analytic_time(&s, group_route, &g, platform_link_bw(S->plat), platform_nlinks(S->plat));
        engine_count_transfers((uint64_t)nf);
    }
    free(acc);
    free(xs);
    return t > 0 ? t : 0;
}

static void start_transfer(int32_t r, inf_replica *to, int64_t reserved)
{
    inf_world *w = &S->w;
    inf_req *q = &w->req[r];
    if (S->nx == S->capx) {
        size_t cap = S->capx ? 2 * S->capx : 1024;
        xfer *nx = realloc(S->x, cap * sizeof *nx);
        if (!nx) {
            fprintf(stderr, "oastwin: fatal: out of memory for KV transfers\n");
            abort();
        }
        S->x = nx;
        S->capx = cap;
    }
    size_t xi = S->nx++;
    xfer *x = &S->x[xi];
    inf_replica *from = &w->rep[q->replica];
    /* The KV of every token but the last: the prompt, plus the output regenerated by a replica that
     * re-prefilled the request after a failure. */
    *x = (xfer){.req = r, .from = q->replica, .to = to->id, .reserved = reserved,
                .bytes = (double)(q->prompt + q->generated - 1) * from->li.kv_bytes_token};
    w->kv_transfers++;
    w->kv_bytes_moved += x->bytes;
    if (w->sc->run.fidelity == FID_FLOW) {
        x->left = from->nacc > to->nacc ? from->nacc : to->nacc;
        int32_t nsend = from->nacc < x->left ? from->nacc : x->left;
        for (int32_t a = 0; a < nsend; a++) {
            sender *sd = &S->senders[from->first_acc + a];
            if (inf_queue_push(&sd->work, (int32_t)xi)) {
                fprintf(stderr, "oastwin: fatal: out of memory for KV transfers\n");
                abort();
            }
            if (!sd->signaled) {
                sd->signaled = true;
                sg_sem_release(sd->sem);
            }
        }
    } else {
        heap_push((timed){simgrid_get_clock() + xfer_time(from, to, x->bytes), (int32_t)xi});
        sg_sem_release(S->timer_sem);
    }
}

/* Starts the transfers waiting for KV space on decode replica TO, in order, while they fit. */
static void start_transfers(inf_replica *to)
{
    inf_queue *in = &S->incoming[to->id];
    while (in->n) {
        int32_t r = inf_queue_peek(in);
        int64_t need = inf_blocks_for(to, (int64_t)S->w.req[r].prompt + S->w.req[r].generated);
        if (!inf_kv_take(to->kv, need))
            break;
        inf_queue_pop(in);
        start_transfer(r, to, need);
    }
}

/* ---- scheduler hooks ---- */

static void on_finished(inf_world *w, inf_replica *rep, int32_t r, double t)
{
    (void)r;
    (void)t;
    w->finished++;
    if (rep->role == ROLE_DECODE)
        start_transfers(rep);
    engine_progress((double)(w->finished + w->rejected), (double)w->nreq);
    check_done();
}

static void push_or_die(inf_queue *q, int32_t r)
{
    if (inf_queue_push(q, r)) {
        fprintf(stderr, "oastwin: fatal: out of memory for the request queues\n");
        abort();
    }
}

/* Request R, prefilled on replica q->replica (which holds its KV), goes to a decode replica; when
 * every decode replica is down it waits for one (its KV stays on the prefill replica). */
static void send_to_decode(inf_world *w, int32_t r)
{
    inf_req *q = &w->req[r];
    inf_replica *to = inf_route(w, r, true);
    if (!to) {
        push_or_die(&S->parked[1], r);
        return;
    }
    q->decode_replica = to->id;
    to->outstanding++;
    push_or_die(&S->incoming[to->id], r);
    start_transfers(to);
}

static void on_prefilled(inf_world *w, inf_replica *rep, int32_t r, double t)
{
    (void)rep;
    w->req[r].transfer_start_s = t;
    send_to_decode(w, r);
}

/* Request R goes to a replica of the prefill (or aggregated) pool; NULL when every one is down
 * (R then waits for one). The caller wakes the replica. */
static inf_replica *route_prefill(inf_world *w, int32_t r)
{
    inf_req *q = &w->req[r];
    inf_replica *rep = inf_route(w, r, false);
    if (!rep) {
        q->state = RQ_PENDING;
        push_or_die(&S->parked[0], r);
        return NULL;
    }
    q->replica = rep->id;
    rep->outstanding++;
    if (inf_replica_enqueue(w, rep, r)) {
        fprintf(stderr, "oastwin: fatal: out of memory for the waiting queue\n");
        abort();
    }
    return rep;
}

/* ---- failures (resilience.mode = timeline) ---- */

/* Moves to OUT the requests of Q whose KV is on prefill replica PREFILL_REPLICA (every request
 * when it is -1), keeping the others in order. Returns how many moved. */
static int32_t drain_if(inf_queue *q, inf_queue *out, int32_t prefill_replica)
{
    int32_t moved = 0;
    for (size_t n = q->n; n > 0; n--) {
        int32_t r = inf_queue_pop(q);
        if (prefill_replica < 0 || S->w.req[r].replica == prefill_replica) {
            push_or_die(out, r);
            moved++;
        } else {
            push_or_die(q, r);
        }
    }
    return moved;
}

/* Replica REP failed: every request it held is taken away and routed again. Requests it ran,
 * queued or was receiving as a decode replica lose their KV and re-prefill (prompt and the
 * tokens already streamed) on a prefill (aggregated) replica, except KV caches still in transfer
 * toward it: the prefill replica still holds those, so they are sent to another decode replica.
 * As a prefill replica it also loses the KV caches it was sending or about to send. */
static int64_t on_replica_down(void *ctx, inf_replica *rep)
{
    (void)ctx;
    inf_world *w = &S->w;
    rsync *y = &S->sync[rep->id];
    inf_queue redo = {0}, resend = {0};
    int32_t *held = malloc(((size_t)rep->nrun + rep->fetching.n + rep->waiting.n + 1) * sizeof *held);
    if (!held) {
        fprintf(stderr, "oastwin: fatal: out of memory for a replica failure\n");
        abort();
    }
    int32_t n = inf_replica_fail(w, rep, held);
    for (int32_t i = 0; i < n; i++)
        push_or_die(&redo, held[i]);
    free(held);
    y->epoch++;
    set_busy(rep, false);
    if (y->mode == MODE_RUN)
        signal_replica(y); /* abandon the run of decode steps at once */
    bool *touched = calloc((size_t)w->nrep, sizeof *touched);
    if (!touched) {
        fprintf(stderr, "oastwin: fatal: out of memory for a replica failure\n");
        abort();
    }
    if (rep->role == ROLE_DECODE) {
        drain_if(&S->incoming[rep->id], &resend, -1);
        for (size_t i = 0; i < S->nx; i++)
            if (!S->x[i].over && S->x[i].to == rep->id) {
                S->x[i].over = true;
                push_or_die(&resend, S->x[i].req);
            }
    } else if (rep->role == ROLE_PREFILL) {
        for (size_t i = 0; i < S->nx; i++) {
            xfer *x = &S->x[i];
            if (x->over || x->from != rep->id)
                continue;
            x->over = true;
            inf_replica *d = &w->rep[x->to];
            inf_kv_give(d->kv, x->reserved);
            d->outstanding--;
            touched[d->id] = true;
            push_or_die(&redo, x->req);
        }
        for (int32_t i = w->nprefill; i < w->nrep; i++) {
            int32_t m = drain_if(&S->incoming[i], &redo, rep->id);
            w->rep[i].outstanding -= m;
        }
        drain_if(&S->parked[1], &redo, rep->id);
    }
    int64_t moved = (int64_t)(redo.n + resend.n);
    while (redo.n) {
        int32_t r = inf_queue_pop(&redo);
        inf_req *q = &w->req[r];
        q->reroutes++;
        q->computed = q->priv = q->shared = 0;
        q->transfer_start_s = q->transfer_end_s = -1;
        q->decode_replica = -1;
        inf_replica *to = route_prefill(w, r);
        if (to)
            touched[to->id] = true;
    }
    while (resend.n) {
        int32_t r = inf_queue_pop(&resend);
        w->req[r].reroutes++;
        send_to_decode(w, r);
    }
    for (int32_t i = 0; i < w->nrep; i++) {
        if (!touched[i])
            continue;
        if (w->rep[i].role == ROLE_DECODE)
            start_transfers(&w->rep[i]);
        wake(&w->rep[i]);
    }
    free(touched);
    inf_queue_free(&redo);
    inf_queue_free(&resend);
    return moved;
}

/* Replica REP is back: the requests that waited for its pool are routed (to it or another). */
static void on_replica_up(void *ctx, inf_replica *rep)
{
    (void)ctx;
    inf_world *w = &S->w;
    if (rep->role == ROLE_DECODE) {
        for (size_t n = S->parked[1].n; n > 0; n--)
            send_to_decode(w, inf_queue_pop(&S->parked[1]));
        return;
    }
    bool *touched = calloc((size_t)w->nrep, sizeof *touched);
    if (!touched) {
        fprintf(stderr, "oastwin: fatal: out of memory for a replica restart\n");
        abort();
    }
    for (size_t n = S->parked[0].n; n > 0; n--) {
        inf_replica *to = route_prefill(w, inf_queue_pop(&S->parked[0]));
        if (to)
            touched[to->id] = true;
    }
    for (int32_t i = 0; i < w->nrep; i++)
        if (touched[i])
            wake(&w->rep[i]);
    free(touched);
}

static void on_fault_event(void *ctx, const char *kind, const char *component, double value, const char *unit,
                           const char *detail)
{
    (void)ctx;
    engine_event(kind, component, value, unit, detail);
}

/* One actor sleeps to each failure, replica return and spare return; a daemon, so a failure
 * planned after the last request does not keep the run going. */
static void faults_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    inf_fault_hooks h = {NULL, on_replica_down, on_replica_up, on_fault_event};
    while (!S->all_done) {
        double next = inf_faults_next_s(S->faults);
        if (isinf(next))
            return;
        if (next > simgrid_get_clock())
            sg_actor_sleep_until(next);
        if (S->all_done)
            return;
        if (inf_faults_advance(S->faults, simgrid_get_clock(), &h)) {
            fprintf(stderr, "oastwin: fatal: out of memory for failures\n");
            abort();
        }
    }
}

/* ---- per-step collectives as flows ---- */

static void follower_main(int argc, char **argv)
{
    (void)argc;
    stepcomm *c = S->sync[atoi(argv[1])].sc;
    int k = atoi(argv[2]);
    int32_t rank = atoi(argv[3]);
    for (;;) {
        sg_barrier_wait(c->go[k]);
        if (c->quit)
            break;
        cg_run(c->g[k], rank, &c->sched[k]);
        sg_barrier_wait(c->done[k]);
    }
}

/* The step's collectives of kind K as one collective of all their bytes (flows), plus the
 * latency of the other calls (alpha each). */
static void run_flow_coll(inf_replica *rep, int k, coll_op op, double calls, double bytes, int lic)
{
    stepcomm *c = S->sync[rep->id].sc;
    if (!c->g[k] || calls <= 0 || bytes <= 0)
        return;
    diag_t err;
    coll_alg alg = op == COLL_ALLTOALL ? COLL_ALG_DIRECT : COLL_ALG_RING;
    if (coll_build(op, alg, c->p[k], bytes, NULL, &c->sched[k], &err)) {
        fprintf(stderr, "oastwin: fatal: %s\n", err.msg);
        abort();
    }
    sg_barrier_wait(c->go[k]);
    cg_run(c->g[k], 0, &c->sched[k]);
    sg_barrier_wait(c->done[k]);
    coll_sched_free(&c->sched[k]);
    if (calls > 1)
        sg_actor_sleep_for((calls - 1) * rep->coll_alpha_s[lic]);
}

static void quit_followers(inf_replica *rep)
{
    stepcomm *c = S->sync[rep->id].sc;
    if (!c)
        return;
    c->quit = true;
    for (int k = 0; k < SC__N; k++)
        if (c->g[k])
            sg_barrier_wait(c->go[k]);
}

/* ---- actors ---- */

/* Executes the compute part of REP's current step (COMPUTE_S at the nominal clock): its
 * compute-bound operators as FLOP on the clock, the rest as HBM traffic, as one fused phase of
 * the replica's accelerators. Their tensor-parallel ranks wait for each other at every layer, so
 * the step runs at the speed of the slowest one when it starts (the actor moves to that host for
 * the phase; a state change on another accelerator during the step counts from the next one). */
static void execute_compute(inf_replica *rep, double compute_s)
{
    rsync *y = &S->sync[rep->id];
    const hw_accel *a = &S->w.sc->accel;
    double clock_s = inf_sched_step_clock_s(rep, &rep->batch.b);
    if (clock_s > compute_s)
        clock_s = compute_s;
    sg_host_t home = sg_host_self(), slow = home;
    double speed = sg_host_get_speed(home);
    for (int32_t i = 0; i < rep->nacc; i++)
        if (sg_host_get_speed(y->hosts[i]) < speed) {
            speed = sg_host_get_speed(y->hosts[i]);
            slow = y->hosts[i];
        }
    if (slow != home)
        sg_actor_set_host(sg_actor_self(), slow);
    engine_compute_many(y->accs, rep->nacc, clock_s * a->peak_flops_Fps, (compute_s - clock_s) * a->hbm_bw_Bps, 1.0);
    if (slow != home)
        sg_actor_set_host(sg_actor_self(), home);
}

static void replica_main(int argc, char **argv)
{
    (void)argc;
    inf_world *w = &S->w;
    inf_replica *rep = &w->rep[atoi(argv[1])];
    rsync *y = &S->sync[rep->id];
    while (!S->all_done) {
        rep->clock_s = simgrid_get_clock();
        int32_t n = inf_sched_plan(w, rep);
        double fetch_end = inf_replica_next_fetch_s(w, rep);
        if (n == 0) {
            set_busy(rep, false);
            y->mode = MODE_IDLE;
            if (isinf(fetch_end))
                sg_sem_acquire(y->sem);
            else
                (void)sg_sem_acquire_timeout(y->sem, fetch_end - rep->clock_s); /* woken, or the fetch ended */
            y->signaled = false;
            y->mode = MODE_BUSY;
            continue;
        }
        set_busy(rep, true);
        double t0 = simgrid_get_clock(), compute = 0, comm = 0;
        int64_t k = 1;
        uint32_t epoch = y->epoch;
        if (rep->batch.decode_only && !S->flow_steps && !S->exec_steps) {
            k = inf_sched_decode_run(w, rep, y->ends, MAXRUN);
            /* A prefix fetch ending during the run: stop at the first step boundary after it. */
            for (int64_t j = 0; j < k - 1; j++)
                if (t0 + y->ends[j] >= fetch_end) {
                    k = j + 1;
                    break;
                }
            double target = t0 + y->ends[k - 1];
            if (w->steps_tab)
                inf_sched_step_time(w, rep, &rep->batch.b, &compute, &comm);
            y->mode = MODE_RUN;
            if (sg_sem_acquire_timeout(y->sem, y->ends[k - 1]) == 0)
                y->signaled = false;
            y->mode = MODE_BUSY;
            if (y->epoch != epoch)
                continue; /* the replica failed: the run is lost with its requests */
            double now = simgrid_get_clock();
            if (now < target) {
                /* Woken by a request that can join: finish the step in progress, then re-plan. */
                int64_t j = 0;
                while (j < k - 1 && t0 + y->ends[j] < now)
                    j++;
                if (t0 + y->ends[j] > now)
                    sg_actor_sleep_until(t0 + y->ends[j]);
                k = j + 1;
            }
        } else {
            double t = inf_sched_step_time(w, rep, &rep->batch.b, &compute, &comm);
            if (S->exec_steps)
                execute_compute(rep, compute);
            double after = simgrid_get_clock(); /* exec_steps: the compute part is over */
            if (S->flow_steps) {
                llm_step_cost c;
                llm_infer_step(&rep->li, &rep->batch.b, &c);
                if (!S->exec_steps)
                    sg_actor_sleep_for(t - comm);
                else if (w->spec->step_overhead_s > 0)
                    sg_actor_sleep_for(w->spec->step_overhead_s);
                if (S->exec_steps)
                    after = simgrid_get_clock();
                run_flow_coll(rep, SC_TP_AR, COLL_ALLREDUCE, c.calls[LIC_TP_ALLREDUCE], c.bytes[LIC_TP_ALLREDUCE],
                              LIC_TP_ALLREDUCE);
                run_flow_coll(rep, SC_TP_AG, COLL_ALLGATHER, c.calls[LIC_TP_ALLGATHER], c.bytes[LIC_TP_ALLGATHER],
                              LIC_TP_ALLGATHER);
                run_flow_coll(rep, SC_EP, COLL_ALLTOALL, c.calls[LIC_EP_ALLTOALL], c.bytes[LIC_EP_ALLTOALL],
                              LIC_EP_ALLTOALL);
                double p2p = c.calls[LIC_PP_P2P] * rep->coll_alpha_s[LIC_PP_P2P] +
                             c.bytes[LIC_PP_P2P] * rep->coll_beta_sPB[LIC_PP_P2P];
                if (p2p > 0)
                    sg_actor_sleep_for(p2p);
                comm = S->exec_steps ? simgrid_get_clock() - after : simgrid_get_clock() - t0 - (t - comm);
            } else if (S->exec_steps) {
                double rest = comm + w->spec->step_overhead_s;
                if (rest > 0)
                    sg_actor_sleep_for(rest);
            } else {
                sg_actor_sleep_for(t);
            }
            y->ends[0] = simgrid_get_clock() - t0;
            if (y->epoch != epoch)
                continue; /* the replica failed during the step: its work is lost */
        }
        double t1 = t0 + y->ends[k - 1];
        inf_metrics_step(w, rep, t0, t1, k, compute, comm);
        inf_sched_apply(w, rep, k, t0, y->ends);
    }
    set_busy(rep, false);
    quit_followers(rep);
}

/* Releases the requests at their arrival times. All requests of one instant are queued before
 * any replica is woken, so a replica plans its next step with every one of them in view. */
static void router_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    inf_world *w = &S->w;
    int32_t *touched = malloc((size_t)w->nrep * sizeof *touched);
    bool *mark = calloc((size_t)w->nrep, sizeof *mark);
    if (!touched || !mark) {
        fprintf(stderr, "oastwin: fatal: out of memory in the router\n");
        abort();
    }
    size_t i = 0;
    while (i < w->nreq) {
        if (w->req[i].arrival_s > simgrid_get_clock())
            sg_actor_sleep_until(w->req[i].arrival_s);
        double now = simgrid_get_clock();
        int32_t nt = 0;
        for (; i < w->nreq && w->req[i].arrival_s <= now; i++) {
            inf_req *q = &w->req[i];
            int64_t seq = (int64_t)q->prompt + q->output;
            bool too_long = seq > S->limit_tokens[0];
            if (w->ndecode)
                too_long = (int64_t)q->prompt + 1 > S->limit_tokens[0] || seq > S->limit_tokens[1];
            if (too_long) {
                q->state = RQ_REJECTED;
                w->rejected++;
                continue;
            }
            inf_replica *rep = route_prefill(w, (int32_t)i);
            if (!rep)
                continue; /* every replica of the pool is down: it waits for one */
            if (!mark[rep->id]) {
                mark[rep->id] = true;
                touched[nt++] = rep->id;
            }
        }
        for (int32_t k = 0; k < nt; k++) {
            mark[touched[k]] = false;
            wake(&w->rep[touched[k]]);
        }
        check_done();
    }
    free(touched);
    free(mark);
}

/* ---- set-up ---- */

/* Fits the analytic time of one collective of the group ACC[0..p) as alpha + beta * bytes (exact:
 * the schedule's shape does not depend on the size, so its time is affine in it). */
static int fit_coll(const platform_t *plat, coll_op op, coll_alg alg, const int32_t *acc, int32_t p, double *alpha,
                    double *beta, diag_t *err)
{
    *alpha = *beta = 0;
    if (p < 2)
        return 0;
    double n[2] = {1048576.0, 2097152.0}, t[2];
    group_ctx g = {plat, acc};
    for (int i = 0; i < 2; i++) {
        coll_sched s;
        if (coll_build(op, alg, p, n[i], NULL, &s, err))
            return -1;
        t[i] = coll_analytic_time(&s, group_route, &g, platform_link_bw(plat), platform_nlinks(plat));
        coll_sched_free(&s);
        if (t[i] < 0)
            return diag_fail(err, "cannot price a %s of %d accelerators on the platform's routes", coll_op_name(op),
                             p);
    }
    *beta = (t[1] - t[0]) / (n[1] - n[0]);
    *alpha = t[0] - *beta * n[0];
    if (*alpha < 0)
        *alpha = 0;
    return 0;
}

static int price_replica(const platform_t *plat, inf_replica *rep, diag_t *err)
{
    const llm_infer_cfg *c = &rep->li.c;
    int32_t tp = (int32_t)c->tp, ep = (int32_t)c->ep;
    int32_t *acc = malloc((size_t)(tp > ep ? tp : ep) * sizeof *acc + 2 * sizeof *acc);
    if (!acc)
        return diag_fail(err, "out of memory");
    int rc = 0;
    for (int32_t i = 0; i < tp; i++)
        acc[i] = rep->first_acc + i;
    rc |= fit_coll(plat, COLL_ALLREDUCE, COLL_ALG_RING, acc, tp, &rep->coll_alpha_s[LIC_TP_ALLREDUCE],
                   &rep->coll_beta_sPB[LIC_TP_ALLREDUCE], err);
    rc |= fit_coll(plat, COLL_ALLGATHER, COLL_ALG_RING, acc, tp, &rep->coll_alpha_s[LIC_TP_ALLGATHER],
                   &rep->coll_beta_sPB[LIC_TP_ALLGATHER], err);
    for (int32_t g = 0; g < ep; g++)
        acc[g] = rep->first_acc + g * tp;
    rc |= fit_coll(plat, COLL_ALLTOALL, COLL_ALG_DIRECT, acc, ep, &rep->coll_alpha_s[LIC_EP_ALLTOALL],
                   &rep->coll_beta_sPB[LIC_EP_ALLTOALL], err);
    if (c->pp > 1) {
        acc[0] = rep->first_acc;
        acc[1] = rep->first_acc + tp * ep;
        rc |= fit_coll(plat, COLL_P2P, COLL_ALG_DIRECT, acc, 2, &rep->coll_alpha_s[LIC_PP_P2P],
                       &rep->coll_beta_sPB[LIC_PP_P2P], err);
    }
    free(acc);
    return rc ? -1 : 0;
}

static int stepcomm_new(inf_replica *rep, rsync *y, diag_t *err)
{
    stepcomm *c = calloc(1, sizeof *c);
    if (!c)
        return diag_fail(err, "out of memory");
    y->sc = c;
    int32_t tp = (int32_t)rep->li.c.tp, ep = (int32_t)rep->li.c.ep;
    int32_t *m = malloc((size_t)(tp > ep ? tp : ep) * sizeof *m);
    if (!m)
        return diag_fail(err, "out of memory");
    for (int k = 0; k < SC__N; k++) {
        int32_t p = k == SC_EP ? ep : tp;
        if (p < 2)
            continue;
        for (int32_t i = 0; i < p; i++)
            m[i] = rep->first_acc + (k == SC_EP ? i * tp : i);
        char name[48];
        snprintf(name, sizeof name, "rep%d.c%d", rep->id, k);
        c->g[k] = cg_new(name, m, p, FID_FLOW, S->plat);
        c->p[k] = p;
        c->go[k] = sg_barrier_init((unsigned)p);
        c->done[k] = sg_barrier_init((unsigned)p);
        if (!c->g[k]) {
            free(m);
            return diag_fail(err, "out of memory");
        }
        for (int32_t i = 1; i < p; i++) {
            char an[48], ar[16], ak[8], ai[16], host[32];
            snprintf(an, sizeof an, "rep%d.c%d.r%d", rep->id, k, i);
            snprintf(ar, sizeof ar, "%d", rep->id);
            snprintf(ak, sizeof ak, "%d", k);
            snprintf(ai, sizeof ai, "%d", i);
            snprintf(host, sizeof host, "acc%d", m[i]);
            char *argv[] = {an, ar, ak, ai, NULL};
            sg_actor_create(an, sg_host_by_name(host), follower_main, 4, argv);
        }
    }
    free(m);
    return 0;
}

static void run_free(inf_run *s)
{
    if (!s)
        return;
    for (int32_t i = 0; i < s->w.nrep; i++) {
        inf_replica_free(&s->w.rep[i]);
        if (s->incoming)
            inf_queue_free(&s->incoming[i]);
        if (s->sync) {
            /* SimGrid refuses to destroy a condition or barrier an actor still waits on, as replicas
             * do when run.stop.sim_time ends the run: those few objects are left to the exit. */
            rsync *y = &s->sync[i];
            bool quiet = s->all_done || !s->started;
            if (y->sem && quiet)
                sg_sem_destroy(y->sem);
            free(y->ends);
            free(y->accs);
            free(y->hosts);
            if (y->sc) {
                for (int k = 0; k < SC__N; k++) {
                    if (!quiet)
                        continue;
                    cg_free(y->sc->g[k]);
                    if (y->sc->go[k])
                        sg_barrier_destroy(y->sc->go[k]);
                    if (y->sc->done[k])
                        sg_barrier_destroy(y->sc->done[k]);
                }
                if (quiet)
                    free(y->sc);
            }
        }
    }
    if (s->senders) {
        for (int32_t a = 0; a < platform_accelerators(s->plat); a++) {
            inf_queue_free(&s->senders[a].work);
            if (s->senders[a].sem && (s->all_done || !s->started))
                sg_sem_destroy(s->senders[a].sem);
        }
    }
    if (s->timer_sem && (s->all_done || !s->started))
        sg_sem_destroy(s->timer_sem);
    inf_faults_free(s->faults);
    inf_queue_free(&s->parked[0]);
    inf_queue_free(&s->parked[1]);
    free(s->senders);
    free(s->rx);
    free(s->heap);
    free(s->w.rep);
    free(s->w.req);
    free(s->w.hashes);
    free(s->sync);
    free(s->incoming);
    free(s->x);
    free(s);
}

/* One pool: its configuration, accelerators per replica and replica count. */
typedef struct pool {
    const char *key; /* "workload.serving." or "...prefill." / "...decode." for messages */
    inf_role role;
    llm_infer_cfg cfg;
    int64_t size, count;
    llm_infer li;
    int64_t kv_blocks;
} pool;

static void pool_cfg(const inference_spec *s, const inf_pool_spec *p, pool *o)
{
    o->cfg = (llm_infer_cfg){.tp = p->tp, .pp = p->pp, .ep = p->ep, .weight_bytes = s->weight_bytes,
                             .kv_bytes = s->kv_bytes, .act_bytes = s->act_bytes,
                             .compute_eff = s->compute_efficiency, .memory_eff = s->memory_efficiency,
                             .max_batch_tokens = s->max_batch_tokens, .max_batch_size = s->max_batch_size};
    o->size = llm_infer_replica_size(&o->cfg);
}

static int pool_model(const scenario_t *sc, pool *p, diag_t *err)
{
    char why[512], key[96];
    snprintf(key, sizeof key, "%stp", p->key);
    if (llm_infer_init(&p->li, &sc->wl.model, &sc->accel, &p->cfg, sc->wl.inference.memory_utilization, why,
                       sizeof why))
        return scenario_fail_at(sc, key, err, "%s", why);
    double tokens = llm_infer_kv_capacity_tokens(&p->li, sc->wl.inference.memory_utilization);
    p->kv_blocks = (int64_t)(tokens / (double)sc->wl.inference.block_tokens);
    if (p->kv_blocks < 1)
        return scenario_fail_at(sc, key, err, "no HBM is left for the KV cache after the weights and activations");
    return 0;
}

static int plan_pools(const scenario_t *sc, int32_t nacc, pool *pools, int *npools, diag_t *err)
{
    const inference_spec *s = &sc->wl.inference;
    if (s->mode == INF_MODE_AGGREGATED) {
        *npools = 1;
        pools[0] = (pool){.key = "workload.serving.", .role = ROLE_AGGREGATED};
        pool_cfg(s, &s->pool, &pools[0]);
        pools[0].count = s->pool.replicas ? s->pool.replicas : nacc / pools[0].size;
        if (pools[0].count < 1)
            return scenario_fail_at(sc, "workload.serving.tp", err,
                                    "a replica needs %lld accelerators (tp x ep x pp) but the topology has %d",
                                    (long long)pools[0].size, nacc);
        if (pools[0].count * pools[0].size > nacc)
            return scenario_fail_at(sc, "workload.serving.replicas", err,
                                    "%lld replicas of %lld accelerators need %lld, but the topology has %d",
                                    (long long)pools[0].count, (long long)pools[0].size,
                                    (long long)(pools[0].count * pools[0].size), nacc);
    } else {
        *npools = 2;
        pools[0] = (pool){.key = "workload.serving.prefill.", .role = ROLE_PREFILL};
        pools[1] = (pool){.key = "workload.serving.decode.", .role = ROLE_DECODE};
        pool_cfg(s, &s->prefill, &pools[0]);
        pool_cfg(s, &s->decode, &pools[1]);
        int64_t np = s->prefill.replicas, nd = s->decode.replicas;
        if (!np && !nd)
            return scenario_fail_at(sc, "workload.serving.prefill.replicas", err,
                                    "set workload.serving.prefill.replicas or workload.serving.decode.replicas "
                                    "(or both)");
        if (!np)
            np = (nacc - nd * pools[1].size) / pools[0].size;
        if (!nd)
            nd = (nacc - np * pools[0].size) / pools[1].size;
        pools[0].count = np;
        pools[1].count = nd;
        int64_t need = np * pools[0].size + nd * pools[1].size;
        if (np < 1 || nd < 1 || need > nacc)
            return scenario_fail_at(sc, np < 1 || !s->decode.replicas ? "workload.serving.prefill.replicas"
                                                                      : "workload.serving.decode.replicas",
                                    err,
                                    "%lld prefill replicas of %lld accelerators and %lld decode replicas of %lld do "
                                    "not fit in the topology's %d accelerators (each pool needs at least one)",
                                    (long long)np, (long long)pools[0].size, (long long)nd, (long long)pools[1].size,
                                    nacc);
    }
    for (int i = 0; i < *npools; i++)
        if (pool_model(sc, &pools[i], err))
            return -1;
    return 0;
}

int inference_check_platform(const scenario_t *sc, const platform_t *plat, diag_t *err)
{
    pool pools[2];
    int npools = 0;
    if (plan_pools(sc, platform_accelerators(plat), pools, &npools, err))
        return -1;
    /* Flow-fidelity KV transfers run between accelerator hosts, which only have routes inside a
     * supernode (cross-supernode traffic goes through NIC hosts). */
    if (npools > 1 && sc->run.fidelity == FID_FLOW && platform_supernodes(plat) > 1)
        return scenario_fail_at(sc, "run.fidelity", err,
                                "prefill/decode KV transfers between supernodes are not simulated as flows; "
                                "use run.fidelity: analytic on a cluster of %d supernodes",
                                platform_supernodes(plat));
    return inf_faults_check(sc, plat, err);
}

static int inference_setup(const scenario_t *sc, const platform_t *plat, void **state, diag_t *err)
{
    const inference_spec *s = &sc->wl.inference;
    inf_run *r = calloc(1, sizeof *r);
    if (!r)
        return diag_fail(err, "out of memory");
    S = r;
    r->plat = plat;
    r->flow_steps = s->step_comm == INF_COMM_FLOW;
    r->exec_steps = power_pstates(&sc->accel) > 1;
    inf_world *w = &r->w;
    w->sc = sc;
    w->spec = s;
    w->hooks = (inf_hooks){on_finished, on_prefilled};
    pool pools[2];
    int npools = 0;
    if (plan_pools(sc, platform_accelerators(plat), pools, &npools, err))
        goto fail;
    if (inf_requests_build(sc, w, err))
        goto fail;
    for (int i = 0; i < npools; i++)
        w->nrep += (int32_t)pools[i].count;
    w->nprefill = (int32_t)pools[0].count;
    w->ndecode = npools > 1 ? (int32_t)pools[1].count : 0;
    w->rep = calloc((size_t)w->nrep, sizeof *w->rep);
    r->sync = calloc((size_t)w->nrep, sizeof *r->sync);
    r->incoming = calloc((size_t)w->nrep, sizeof *r->incoming);
    if (!w->rep || !r->sync || !r->incoming) {
        diag_fail(err, "out of memory for %d replicas", w->nrep);
        goto fail;
    }
    int32_t id = 0, acc = 0;
    for (int i = 0; i < npools; i++) {
        const pool *p = &pools[i];
        /* Longest sequence one replica holds: the model's context limit, one attention group's
         * KV cache, and without chunked prefill one step (vLLM V0 requires max_model_len <=
         * max_num_batched_tokens, since a preempted sequence is recomputed in one step). */
        int64_t lim = sc->wl.model.seq_len;
        int64_t group = p->kv_blocks * s->block_tokens / p->cfg.ep;
        if (group < lim)
            lim = group;
        if (!s->chunked_prefill && s->max_batch_tokens < lim)
            lim = s->max_batch_tokens;
        r->limit_tokens[i] = lim;
        for (int64_t k = 0; k < p->count; k++, id++) {
            inf_replica *rep = &w->rep[id];
            if (inf_replica_init(rep, id, p->role, &p->li, p->kv_blocks, s)) {
                diag_fail(err, "out of memory for replica %d", id);
                goto fail;
            }
            if (sc->storage.kv.tier != ST_KV_NONE && s->prefix_caching && p->role != ROLE_DECODE) {
                /* The tier holds whole 512-token blocks of the model's KV (all layers, all ranks). */
                double block_B = (double)INF_PREFIX_TOKENS * p->li.kv_bytes_token;
                rep->tier = inf_tier_new((int64_t)floor(sc->storage.kv.capacity_B / block_B), (int64_t)w->nhashes);
                if (!rep->tier) {
                    diag_fail(err, "out of memory for the KV offload tier of replica %d", id);
                    goto fail;
                }
                inf_kv_attach_tier(rep->kv, rep->tier);
            }
            rep->pool_index = (int32_t)k;
            rep->first_acc = acc;
            rep->nacc = (int32_t)p->size;
            acc += (int32_t)p->size;
            w->accelerators += p->size;
            if (price_replica(plat, rep, err))
                goto fail;
        }
    }
    if (inf_metrics_begin(w, engine_trace(), err))
        goto fail;
    if (inf_faults_new(sc, plat, w, &r->faults, err))
        goto fail;
    /* Room for the actors below: a replica each, the router, a timer and the failure injector,
     * and per accelerator at most a step-collective follower and a KV sender or receiver. */
    {
        int64_t need = w->nrep + 3 + (r->flow_steps ? w->accelerators : 0) +
                       (w->ndecode && sc->run.fidelity == FID_FLOW ? w->accelerators : 0);
        char what[64];
        snprintf(what, sizeof what, "the %d replicas of the serving job", w->nrep);
        if (engine_reserve_actors(need, what, err))
            goto fail;
    }
    /* Synchronisation, then actors. */
    for (int32_t i = 0; i < w->nrep; i++) {
        rsync *y = &r->sync[i];
        y->sem = sg_sem_init(0);
        y->ends = malloc(MAXRUN * sizeof *y->ends);
        if (!y->ends) {
            diag_fail(err, "out of memory");
            goto fail;
        }
        if (r->exec_steps) {
            const inf_replica *rep = &w->rep[i];
            y->accs = malloc((size_t)rep->nacc * sizeof *y->accs);
            y->hosts = malloc((size_t)rep->nacc * sizeof *y->hosts);
            if (!y->accs || !y->hosts) {
                diag_fail(err, "out of memory");
                goto fail;
            }
            for (int32_t a = 0; a < rep->nacc; a++) {
                char host[32];
                snprintf(host, sizeof host, "acc%d", rep->first_acc + a);
                y->accs[a] = rep->first_acc + a;
                y->hosts[a] = sg_host_by_name(host);
            }
        }
        if (r->flow_steps && stepcomm_new(&w->rep[i], y, err))
            goto fail;
    }
    if (w->ndecode && sc->run.fidelity == FID_FLOW) {
        int32_t nacc = platform_accelerators(plat);
        r->senders = calloc((size_t)nacc, sizeof *r->senders);
        r->rx = calloc((size_t)nacc, sizeof *r->rx);
        if (!r->senders || !r->rx) {
            diag_fail(err, "out of memory");
            goto fail;
        }
        for (int32_t i = 0; i < w->nrep; i++)
            for (int32_t a = w->rep[i].first_acc; a < w->rep[i].first_acc + w->rep[i].nacc; a++) {
                char name[32], host[32], idx[16];
                snprintf(host, sizeof host, "acc%d", a);
                snprintf(idx, sizeof idx, "%d", a);
                if (w->rep[i].role == ROLE_PREFILL) {
                    snprintf(name, sizeof name, "kvtx%d", a);
                    r->senders[a].sem = sg_sem_init(0);
                    char *argv[] = {name, idx, NULL};
                    sg_actor_daemonize(sg_actor_create(name, sg_host_by_name(host), sender_main, 2, argv));
                } else {
                    snprintf(name, sizeof name, "kvrx%d", a);
                    r->rx[a] = sg_mailbox_by_name(name);
                    char *argv[] = {name, name, NULL};
                    sg_actor_daemonize(sg_actor_create(name, sg_host_by_name(host), receiver_main, 2, argv));
                }
            }
    } else if (w->ndecode) {
        r->timer_sem = sg_sem_init(0);
        char *argv[] = {(char *)"kvtimer", NULL};
        sg_actor_daemonize(sg_actor_create("kvtimer", sg_host_by_name("acc0"), timer_main, 1, argv));
    }
    for (int32_t i = 0; i < w->nrep; i++) {
        char name[32], idx[16], host[32];
        snprintf(name, sizeof name, "replica%d", i);
        snprintf(idx, sizeof idx, "%d", i);
        snprintf(host, sizeof host, "acc%d", w->rep[i].first_acc);
        char *argv[] = {name, idx, NULL};
        sg_actor_create(name, sg_host_by_name(host), replica_main, 2, argv);
    }
    char *argv[] = {(char *)"router", NULL};
    sg_actor_create("router", sg_host_by_name("acc0"), router_main, 1, argv);
    if (r->faults) {
        char *fargv[] = {(char *)"failures", NULL};
        sg_actor_daemonize(sg_actor_create("failures", sg_host_by_name("acc0"), faults_main, 1, fargv));
    }
    r->started = true;
    *state = r;
    return 0;
fail:
    run_free(r);
    S = NULL;
    return -1;
}

static int inference_finish(void *state, trace_t *t, const engine_stats *st, diag_t *err)
{
    inf_run *r = state;
    int rc = inf_metrics_finish(&r->w, t, st->sim_time_s, err);
    if (rc == 0)
        rc = inf_faults_finish(r->faults, t, st->sim_time_s, err);
    run_free(r);
    S = NULL;
    return rc;
}

static void inference_describe(const scenario_t *sc, FILE *f)
{
    const inference_spec *s = &sc->wl.inference;
    char rate[64];
    units_format(s->rate_Hz, DIM_FREQUENCY, rate, sizeof rate);
    fprintf(f, "Workload: LLM serving of '%s' (%lld layers, hidden %lld%s), ", sc->wl.model.name,
            (long long)sc->wl.model.layers, (long long)sc->wl.model.hidden,
            sc->wl.model.experts ? ", mixture of experts" : "");
    if (s->arrival == INF_ARR_TRACE)
        fprintf(f, "requests replayed from %s (x%g rate). ", s->trace_path, s->rate_scale);
    else if (s->arrival == INF_ARR_BURST)
        fprintf(f, "%lld synthetic requests all at time 0. ", (long long)s->count);
    else
        fprintf(f, "%lld synthetic %s requests at %s. ", (long long)s->count,
                s->arrival == INF_ARR_GAMMA ? "gamma" : "Poisson", rate);
    if (s->mode == INF_MODE_AGGREGATED)
        fprintf(f, "Aggregated replicas of tp %lld x ep %lld x pp %lld", (long long)s->pool.tp, (long long)s->pool.ep,
                (long long)s->pool.pp);
    else
        fprintf(f, "Prefill replicas of tp %lld x ep %lld x pp %lld and decode replicas of tp %lld x ep %lld x pp "
                   "%lld, KV caches moved over the network",
                (long long)s->prefill.tp, (long long)s->prefill.ep, (long long)s->prefill.pp, (long long)s->decode.tp,
                (long long)s->decode.ep, (long long)s->decode.pp);
    fprintf(f, ", continuous batching (%lld sequences, %lld tokens per step%s), %s router; SLO TTFT %g s, TPOT %g s.\n",
            (long long)s->max_batch_size, (long long)s->max_batch_tokens,
            s->chunked_prefill ? ", chunked prefill" : "", scenario_enum_name("workload.serving.router", s->router),
            s->slo_ttft_s, s->slo_tpot_s);
    if (sc->storage.kv.tier != ST_KV_NONE) {
        char cap[64], bw[64], lat[64];
        units_format(sc->storage.kv.capacity_B, DIM_BYTES, cap, sizeof cap);
        units_format(sc->storage.kv.bw_Bps, DIM_BANDWIDTH, bw, sizeof bw);
        units_format(sc->storage.kv.latency_s, DIM_TIME, lat, sizeof lat);
        fprintf(f,
                "KV offload tier: %s, %s per replica; prefix blocks evicted from HBM are kept there and fetched "
                "back at %s + %s latency before a prefill that reuses them.\n",
                sc->storage.kv.tier == ST_KV_SSD ? "SSD" : "host DRAM", cap, bw, lat);
    }
    if (sc->resilience.mode == RS_MODE_TIMELINE) {
        char det[64], rst[64];
        units_format(sc->resilience.detection_s, DIM_TIME, det, sizeof det);
        units_format(sc->resilience.restart_s, DIM_TIME, rst, sizeof rst);
        fprintf(f,
                "Failures: %lld scheduled and drawn ones take replicas down during the run; their requests are "
                "rerouted, and a replica is back after detection %s, restart %s and reloading its weights from "
                "the PFS (%lld spare node%s).\n",
                (long long)sc->failures.nschedule, det, rst, (long long)sc->resilience.spares,
                sc->resilience.spares == 1 ? "" : "s");
    }
}

const workload_ops workload_inference = {"inference", inference_setup, inference_finish, inference_describe};
