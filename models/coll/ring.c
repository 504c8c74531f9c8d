/* Ring algorithms: all-reduce (reduce-scatter then all-gather around the ring), all-gather,
 * reduce-scatter, and broadcast as a pipelined chain from the root. Invariant: a ring step is
 * the same pattern every time (rank i sends n/p to i+1), so a whole ring phase is one step with
 * a repeat count and the schedule holds p transfers whatever the number of steps. */
#include "coll_impl.h"

/* One step, repeated REPEAT times: every rank i sends BYTES to (i+1) mod p. */
static int ring_step(coll_sched *s, uint32_t repeat, double bytes, diag_t *err)
{
    if (coll_step_open(s, repeat, err) != 0)
        return -1;
    for (int32_t i = 0; i < s->p; i++)
        if (coll_step_add(s, i, (i + 1) % s->p, bytes, err) != 0)
            return -1;
    return coll_step_close(s, err);
}

/* Chain from the root: position j is rank (root + j) mod p. The message is cut into C chunks;
 * in step t position j sends chunk t - j to position j + 1 when 0 <= t - j < C, so the chain
 * takes C + p - 2 steps, each moving n/C over every busy link. Steps in which every link is busy
 * (the steady state, when C >= p - 1) are identical and stored once. */
static int chain_broadcast(coll_sched *s, const coll_params *prm, diag_t *err)
{
    int32_t p = s->p, root = prm ? prm->root : 0;
    uint32_t c = coll_chunks(prm, s->bytes);
    double chunk = s->bytes / (double)c;
    int64_t nsteps = (int64_t)c + p - 2;
    for (int64_t t = 0; t < nsteps; t++) {
        if (coll_step_open(s, 1, err) != 0)
            return -1;
        int64_t j0 = t - (int64_t)c + 1 > 0 ? t - (int64_t)c + 1 : 0;
        int64_t j1 = t < p - 2 ? t : p - 2;
        for (int64_t j = j0; j <= j1; j++)
            if (coll_step_add(s, (int32_t)((root + j) % p), (int32_t)((root + j + 1) % p), chunk, err) != 0)
                return -1;
        if (coll_step_close(s, err) != 0)
            return -1;
    }
    return 0;
}

int coll_ring_build(coll_sched *s, const coll_params *prm, diag_t *err)
{
    double p = (double)s->p;
    uint32_t steps = (uint32_t)s->p - 1;
    switch (s->op) {
    case COLL_ALLREDUCE:
        return ring_step(s, 2 * steps, s->bytes / p, err);
    case COLL_ALLGATHER:
    case COLL_REDUCESCATTER:
        return ring_step(s, steps, s->bytes / p, err);
    case COLL_BROADCAST:
        return chain_broadcast(s, prm, err);
    default:
        return diag_fail(err, "%s: algorithm 'ring' cannot do this operation", coll_op_name(s->op));
    }
}
