/* Communicator execution of collective schedules on SimGrid (flow) or by pricing (analytic).
 * Invariant (flow): member r has reached global step reached[r]; a transfer of step g to d is
 * posted only when reached[d] >= g, and d posts exactly as many receives in step g as the
 * schedule sends it, so every message is matched by the receive of its own step. */
#include "commgroup.h"

#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/comm.h>
#include <simgrid/cond.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>
#include <simgrid/mutex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

typedef struct plan {
    const coll_sched *sched;
    int32_t *recv_count; /* nsteps x p */
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
    sg_mutex_t mutex;
    plan *plans;
    /* analytic */
    sg_bar_t barrier;
    uint64_t *calls;
    uint64_t priced_call;
    double priced_s;
};

static char payload_token; /* SimGrid refuses NULL payloads; the data itself is not modelled */

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
    if (fid == FID_FLOW) {
        g->mbox = malloc((size_t)p * sizeof *g->mbox);
        g->cond = malloc((size_t)p * sizeof *g->cond);
        if (!g->mbox || !g->cond)
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
        free(g->plans->recv_count);
        free(g->plans);
        g->plans = n;
    }
    free(g->mbox);
    free(g->members);
    free(g->reached);
    free(g->calls);
    free(g);
}

int32_t cg_size(const commgroup_t *g)
{
    return g->p;
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
    pl->recv_count = calloc(s->nsteps * (size_t)g->p + 1, sizeof *pl->recv_count);
    if (!pl->recv_count) {
        free(pl);
        return NULL;
    }
    for (size_t k = 0; k < s->nsteps; k++) {
        const coll_step *st = &s->steps[k];
        for (size_t x = st->first; x < st->first + st->count; x++)
            pl->recv_count[k * (size_t)g->p + (size_t)s->xfers[x].dst]++;
    }
    pl->next = g->plans;
    g->plans = pl;
    return pl;
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

static void run_flow(commgroup_t *g, int32_t r, const coll_sched *s)
{
    plan *pl = plan_for(g, s);
    if (!pl) {
        fprintf(stderr, "oastwin: fatal: out of memory in collective plan\n");
        abort();
    }
    size_t cap = 16;
    sg_comm_t *comms = malloc(cap * sizeof *comms);
    void *data;
    for (size_t k = 0; k < s->nsteps; k++) {
        const coll_step *st = &s->steps[k];
        size_t x0 = first_send(s, st, r), x1 = x0;
        while (x1 < st->first + st->count && s->xfers[x1].src == r)
            x1++;
        size_t nrecv = (size_t)pl->recv_count[k * (size_t)g->p + (size_t)r];
        size_t need = (x1 - x0) + nrecv;
        if (need > cap) {
            cap = need;
            sg_comm_t *c = realloc(comms, cap * sizeof *comms);
            if (!c) {
                fprintf(stderr, "oastwin: fatal: out of memory in collective step\n");
                abort();
            }
            comms = c;
        }
        for (uint32_t rep = 0; rep < st->repeat; rep++) {
            uint64_t gstep = ++g->reached[r];
            sg_cond_notify_all(g->cond[r]);
            size_t n = 0;
            for (size_t x = x0; x < x1; x++) {
                int32_t d = s->xfers[x].dst;
                if (g->reached[d] < gstep) {
                    sg_mutex_lock(g->mutex);
                    while (g->reached[d] < gstep)
                        sg_cond_wait(g->cond[d], g->mutex);
                    sg_mutex_unlock(g->mutex);
                }
                comms[n++] = sg_mailbox_put_async(g->mbox[d], &payload_token, (long)s->xfers[x].bytes);
            }
            for (size_t i = 0; i < nrecv; i++)
                comms[n++] = sg_mailbox_get_async(g->mbox[r], &data);
            if (n)
                sg_comm_wait_all(comms, n);
            engine_count_transfers(x1 - x0);
        }
    }
    free(comms);
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
