/* Communicator execution of collective schedules on SimGrid (flow) or by pricing (analytic).
 * Invariant (flow): member r has reached global step reached[r]; a transfer of step g to d is
 * posted only when reached[d] >= g, and d posts exactly as many receives in step g as the
 * schedule sends it, so every message is matched by the receive of its own step.
 * Across supernodes (flow): accelerator hosts of different supernodes have no route; such a
 * transfer runs between helper actors on the two NIC hosts platform_endpoint() names (a sender
 * helper per transfer, a receiver helper per step collecting the step's cross receives on the
 * member's NIC mailbox), and the member waits for its helpers as for its own communications. */
#include "commgroup.h"

#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/comm.h>
#include <simgrid/cond.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/mutex.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

/* Per schedule: the destinations of each step's transfers, sorted, so a rank's receive count
 * in a step is two binary searches (memory O(transfers), not O(steps x ranks)). */
typedef struct plan {
    const coll_sched *sched;
    int32_t *dst_sorted; /* parallel to sched->xfers, sorted within each step: dst, or dst + p for a
                          * transfer between supernodes (received on the NIC mailbox) */
    bool single_source;  /* every rank receives from at most one peer over the whole schedule */
    struct plan *next;
} plan;

struct commgroup {
    char name[64];
    int32_t p;
    int32_t *members;
    fidelity fid;
    const platform_t *plat;
    /* flow */
    sg_mailbox_t *mbox;
    uint64_t *reached;
    sg_cond_t *cond;
    uint32_t *waiters; /* actors blocked on cond[r]; notify only when someone waits */
    sg_mutex_t mutex;
    plan *plans;
    int32_t *sn;        /* supernode of each member */
    bool cross;         /* members span several supernodes */
    sg_mailbox_t *xmbox; /* per member: transfers from other supernodes, received on its NIC */
    /* analytic */
    sg_bar_t barrier;
    uint64_t *calls;
    uint64_t priced_call;
    double priced_s;
};

static char payload_token; /* SimGrid refuses NULL payloads; the data itself is not modelled */

/* Applies to SimGrid what the platform XML could not say (circuit latencies, degraded links),
 * once per platform: the first communicator is created after the platform is loaded. */
static int sync_platform(const platform_t *plat)
{
    static const platform_t *synced;
    if (synced == plat)
        return 0;
    diag_t err;
    if (platform_simgrid_sync(plat, &err)) {
        fprintf(stderr, "oastwin: error: %s\n", err.msg);
        return -1;
    }
    synced = plat;
    return 0;
}

commgroup_t *cg_new(const char *name, const int32_t *members, int32_t p, fidelity fid, const platform_t *plat)
{
    commgroup_t *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    snprintf(g->name, sizeof g->name, "%s", name);
    g->p = p;
    g->fid = fid;
    g->plat = plat;
    g->members = malloc((size_t)p * sizeof *g->members);
    g->reached = calloc((size_t)p, sizeof *g->reached);
    g->calls = calloc((size_t)p, sizeof *g->calls);
    if (!g->members || !g->reached || !g->calls)
        goto fail;
    memcpy(g->members, members, (size_t)p * sizeof *members);
    g->sn = malloc((size_t)p * sizeof *g->sn);
    if (!g->sn)
        goto fail;
    for (int32_t r = 0; r < p; r++) {
        g->sn[r] = platform_supernode_of(plat, members[r]);
        g->cross = g->cross || g->sn[r] != g->sn[0];
    }
    if (sync_platform(plat))
        goto fail;
    if (fid == FID_FLOW && g->cross) {
        g->xmbox = malloc((size_t)p * sizeof *g->xmbox);
        if (!g->xmbox)
            goto fail;
        for (int32_t r = 0; r < p; r++) {
            char mname[96];
            snprintf(mname, sizeof mname, "%s/%d/nic", g->name, r);
            g->xmbox[r] = sg_mailbox_by_name(mname);
        }
    }
    if (fid == FID_FLOW) {
        g->mbox = malloc((size_t)p * sizeof *g->mbox);
        g->cond = malloc((size_t)p * sizeof *g->cond);
        g->waiters = calloc((size_t)p, sizeof *g->waiters);
        if (!g->mbox || !g->cond || !g->waiters)
            goto fail;
        for (int32_t r = 0; r < p; r++) {
            char mname[96];
            snprintf(mname, sizeof mname, "%s/%d", g->name, r);
            g->mbox[r] = sg_mailbox_by_name(mname);
            g->cond[r] = sg_cond_init();
        }
        g->mutex = sg_mutex_init();
    } else {
        g->barrier = sg_barrier_init((unsigned)p);
    }
    return g;
fail:
    cg_free(g);
    return NULL;
}

void cg_free(commgroup_t *g)
{
    if (!g)
        return;
    if (g->cond) {
        for (int32_t r = 0; r < g->p; r++)
            if (g->cond[r])
                sg_cond_destroy(g->cond[r]);
        free(g->cond);
    }
    if (g->mutex)
        sg_mutex_destroy(g->mutex);
    if (g->barrier)
        sg_barrier_destroy(g->barrier);
    while (g->plans) {
        plan *n = g->plans->next;
        free(g->plans->dst_sorted);
        free(g->plans);
        g->plans = n;
    }
    free(g->mbox);
    free(g->xmbox);
    free(g->sn);
    free(g->waiters);
    free(g->members);
    free(g->reached);
    free(g->calls);
    free(g);
}

int32_t cg_size(const commgroup_t *g)
{
    return g->p;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static plan *plan_for(commgroup_t *g, const coll_sched *s)
{
    for (plan *pl = g->plans; pl; pl = pl->next)
        if (pl->sched == s)
            return pl;
    plan *pl = calloc(1, sizeof *pl);
    if (!pl)
        return NULL;
    pl->sched = s;
    pl->dst_sorted = malloc((s->nxfers + 1) * sizeof *pl->dst_sorted);
    if (!pl->dst_sorted) {
        free(pl);
        return NULL;
    }
    for (size_t x = 0; x < s->nxfers; x++) {
        int32_t d = s->xfers[x].dst;
        pl->dst_sorted[x] = g->sn[s->xfers[x].src] != g->sn[d] ? d + g->p : d;
    }
    for (size_t k = 0; k < s->nsteps; k++)
        qsort(pl->dst_sorted + s->steps[k].first, s->steps[k].count, sizeof(int32_t), cmp_i32);
    /* With one sender per receiver (ring, chain), per-pair FIFO order already matches every
     * message to its step, and the receive credits (simcalls) can be skipped. */
    int32_t *src_of = malloc((size_t)g->p * sizeof *src_of);
    pl->single_source = src_of != NULL;
    for (int32_t r = 0; src_of && r < g->p; r++)
        src_of[r] = -1;
    for (size_t x = 0; src_of && x < s->nxfers && pl->single_source; x++) {
        int32_t d = s->xfers[x].dst;
        if (src_of[d] >= 0 && src_of[d] != s->xfers[x].src)
            pl->single_source = false;
        src_of[d] = s->xfers[x].src;
    }
    free(src_of);
    pl->next = g->plans;
    g->plans = pl;
    return pl;
}

/* Number of entries equal to R in the sorted range A[0..n). */
static size_t count_eq(const int32_t *a, size_t n, int32_t r)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t first = lo;
    hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] <= r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo - first;
}

/* First transfer of step ST whose source is R (transfers are sorted by source). */
static size_t first_send(const coll_sched *s, const coll_step *st, int32_t r)
{
    size_t lo = st->first, hi = st->first + st->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->xfers[mid].src < r)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- transfers between supernodes: helper actors on NIC hosts ---- */

typedef struct nic_job {
    sg_mailbox_t mbox;
    double bytes;    /* sender: the transfer's size */
    size_t count;    /* receiver: receives to collect */
    sg_actor_t actor;
} nic_job;

static void nic_send_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const nic_job *j = sg_actor_self_get_data();
    sg_mailbox_put(j->mbox, &payload_token, (long)llround(j->bytes));
}

static void nic_recv_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const nic_job *j = sg_actor_self_get_data();
    sg_comm_t *c = malloc(j->count * sizeof *c);
    void *data;
    if (!c) {
        fprintf(stderr, "oastwin: fatal: out of memory in a NIC receive\n");
        abort();
    }
    for (size_t i = 0; i < j->count; i++)
        c[i] = sg_mailbox_get_async(j->mbox, &data);
    sg_comm_wait_all(c, j->count);
    free(c);
}

/* Starts a helper on host HOST (a NIC) running MAIN on JOB; the caller joins it. */
static void nic_start(nic_job *job, const char *host, void (*main_fn)(int, char **))
{
    sg_host_t h = sg_host_by_name(host);
    if (!h) {
        fprintf(stderr, "oastwin: fatal: the platform has no host '%s'\n", host);
        abort();
    }
    job->actor = sg_actor_init("nic-xfer", h);
    sg_actor_set_data(job->actor, job);
    sg_actor_ref(job->actor);
    sg_actor_start(job->actor, main_fn, 0, NULL);
}

static void *grow(void *a, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return a;
    void *b = realloc(a, need * size);
    if (!b) {
        fprintf(stderr, "oastwin: fatal: out of memory in collective step\n");
        abort();
    }
    *cap = need;
    return b;
}

static void run_flow(commgroup_t *g, int32_t r, const coll_sched *s)
{
    plan *pl = plan_for(g, s);
    if (!pl) {
        fprintf(stderr, "oastwin: fatal: out of memory in collective plan\n");
        abort();
    }
    size_t cap = 16, jcap = 0;
    sg_comm_t *comms = malloc(cap * sizeof *comms);
    nic_job *jobs = NULL;
    void *data;
    char sh[32], dh[32];
    for (size_t k = 0; k < s->nsteps; k++) {
        const coll_step *st = &s->steps[k];
        size_t x0 = first_send(s, st, r), x1 = x0;
        while (x1 < st->first + st->count && s->xfers[x1].src == r)
            x1++;
        size_t nrecv = count_eq(pl->dst_sorted + st->first, st->count, r);
        size_t xrecv = g->cross ? count_eq(pl->dst_sorted + st->first, st->count, r + g->p) : 0;
        comms = grow(comms, &cap, (x1 - x0) + nrecv, sizeof *comms);
        if (g->cross)
            jobs = grow(jobs, &jcap, (x1 - x0) + 1, sizeof *jobs);
        for (uint32_t rep = 0; rep < st->repeat; rep++) {
            uint64_t gstep = ++g->reached[r];
            if (g->waiters[r]) /* only credit-mode senders ever wait */
                sg_cond_notify_all(g->cond[r]);
            size_t n = 0, nj = 0;
            for (size_t x = x0; x < x1; x++) {
                int32_t d = s->xfers[x].dst;
                if (!pl->single_source && g->reached[d] < gstep) {
                    sg_mutex_lock(g->mutex);
                    g->waiters[d]++;
                    while (g->reached[d] < gstep)
                        sg_cond_wait(g->cond[d], g->mutex);
                    g->waiters[d]--;
                    sg_mutex_unlock(g->mutex);
                }
                if (g->cross && g->sn[d] != g->sn[r]) {
                    platform_endpoint(g->plat, g->members[r], g->members[d], sh, dh, sizeof sh);
                    jobs[nj] = (nic_job){.mbox = g->xmbox[d], .bytes = s->xfers[x].bytes};
                    nic_start(&jobs[nj++], sh, nic_send_main);
                    continue;
                }
                comms[n++] = sg_mailbox_put_async(g->mbox[d], &payload_token, (long)llround(s->xfers[x].bytes));
            }
            if (xrecv) {
                platform_nic_host(g->plat, g->members[r], dh, sizeof dh);
                jobs[nj] = (nic_job){.mbox = g->xmbox[r], .count = xrecv};
                nic_start(&jobs[nj++], dh, nic_recv_main);
            }
            for (size_t i = 0; i < nrecv; i++)
                comms[n++] = sg_mailbox_get_async(g->mbox[r], &data);
            if (n)
                sg_comm_wait_all(comms, n);
            for (size_t j = 0; j < nj; j++) {
                sg_actor_join(jobs[j].actor, -1);
                sg_actor_unref(jobs[j].actor);
            }
            engine_count_transfers(x1 - x0);
            if (r == 0)
                engine_progress_tick();
        }
    }
    free(comms);
    free(jobs);
}

static int route_cb(void *ctx, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    const commgroup_t *g = ctx;
    return platform_route(g->plat, g->members[src], g->members[dst], lat_s, links, cap);
}

static void run_analytic(commgroup_t *g, int32_t r, const coll_sched *s)
{
    uint64_t call = ++g->calls[r];
    sg_barrier_wait(g->barrier);
    if (call > g->priced_call) {
        g->priced_s = coll_analytic_time(s, route_cb, g, platform_link_bw(g->plat), platform_nlinks(g->plat));
        g->priced_call = call;
        uint64_t n = 0;
        for (size_t k = 0; k < s->nsteps; k++)
            n += (uint64_t)s->steps[k].count * s->steps[k].repeat;
        engine_count_transfers(n);
    }
    if (g->priced_s > 0)
        sg_actor_sleep_for(g->priced_s);
}

void cg_run(commgroup_t *g, int32_t r, const coll_sched *s)
{
    if (g->p < 2)
        return;
    if (g->fid == FID_FLOW)
        run_flow(g, r, s);
    else
        run_analytic(g, r, s);
}
