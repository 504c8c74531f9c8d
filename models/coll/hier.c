/* Hierarchical two-level collectives over G = p/L groups of L consecutive ranks; rank (g, l) is
 * g*L + l. Inside a group ranks talk to the same group; across groups, only ranks with the same
 * local index l talk. Invariant: each phase is a ring (one repeated step) or a pairwise
 * exchange, so all-reduce, all-gather and reduce-scatter hold at most 2p transfers. */
#include "coll_impl.h"

/* A ring step inside every group (INNER) or across groups (outer), repeated REPEAT times. */
static int ring_phase(coll_sched *s, int32_t L, bool inner, uint32_t repeat, double bytes, diag_t *err)
{
    int32_t G = s->p / L;
    if (repeat == 0)
        return 0;
    if (coll_step_open(s, repeat, err) != 0)
        return -1;
    for (int32_t g = 0; g < G; g++)
        for (int32_t l = 0; l < L; l++) {
            int32_t dst = inner ? g * L + (l + 1) % L : ((g + 1) % G) * L + l;
            if (coll_step_add(s, g * L + l, dst, bytes, err) != 0)
                return -1;
        }
    return coll_step_close(s, err);
}

/* Pairwise exchange inside every group (INNER) or across groups: step k sends BYTES from
 * (g, l) to (g, l+k mod L), respectively (g+k mod G, l). */
static int pairwise_phase(coll_sched *s, int32_t L, bool inner, double bytes, diag_t *err)
{
    int32_t G = s->p / L, m = inner ? L : G;
    for (int32_t k = 1; k < m; k++) {
        if (coll_step_open(s, 1, err) != 0)
            return -1;
        for (int32_t g = 0; g < G; g++)
            for (int32_t l = 0; l < L; l++) {
                int32_t dst = inner ? g * L + (l + k) % L : ((g + k) % G) * L + l;
                if (coll_step_add(s, g * L + l, dst, bytes, err) != 0)
                    return -1;
            }
        if (coll_step_close(s, err) != 0)
            return -1;
    }
    return 0;
}

int coll_hier_build(coll_sched *s, const coll_params *prm, diag_t *err)
{
    int32_t p = s->p, L = prm->local, G = p / L;
    double n = s->bytes;
    uint32_t li = (uint32_t)L - 1, go = (uint32_t)G - 1;
    switch (s->op) {
    case COLL_ALLREDUCE:
        /* reduce-scatter inside (L-1 steps of n/L), all-reduce across on the n/L shard
         * (2(G-1) steps of n/p), all-gather inside (L-1 steps of n/L) */
        if (ring_phase(s, L, true, li, n / L, err) != 0 || ring_phase(s, L, false, 2 * go, n / p, err) != 0)
            return -1;
        return ring_phase(s, L, true, li, n / L, err);
    case COLL_ALLGATHER:
        /* gather the p-th shards across groups (G-1 steps of n/p), then the n/L slices inside */
        if (ring_phase(s, L, false, go, n / p, err) != 0)
            return -1;
        return ring_phase(s, L, true, li, n / L, err);
    case COLL_REDUCESCATTER:
        /* reduce-scatter inside to n/L slices, then across groups to n/p shards */
        if (ring_phase(s, L, true, li, n / L, err) != 0)
            return -1;
        return ring_phase(s, L, false, go, n / p, err);
    case COLL_ALLTOALL:
        /* inside: (g, l) hands (g, l') everything for local index l' of any group (G n/p = n/L);
         * across: (g, l) hands (g', l) everything its group has for (g', l) (L n/p = n/G) */
        if (pairwise_phase(s, L, true, n / L, err) != 0)
            return -1;
        return pairwise_phase(s, L, false, n / G, err);
    default:
        return diag_fail(err, "%s: algorithm 'hier' cannot do this operation", coll_op_name(s->op));
    }
}
