/* All-to-all: every rank holds n bytes, n/p for each rank. Direct posts all p(p-1) transfers in
 * one step; pairwise takes p-1 steps, step k: i -> (i+k) mod p, so every rank sends one and
 * receives one transfer per step. Invariant: both move exactly (p-1)/p n per rank and need
 * p(p-1) transfers, which bounds them to p(p-1) <= COLL_MAX_XFERS. */
#include "coll_impl.h"

int coll_alltoall_build(coll_sched *s, const coll_params *prm, diag_t *err)
{
    (void)prm;
    int32_t p = s->p;
    if (s->op != COLL_ALLTOALL)
        return diag_fail(err, "%s: algorithm '%s' cannot do this operation", coll_op_name(s->op),
                         coll_alg_name(s->alg));
    if ((double)p * (double)(p - 1) > (double)COLL_MAX_XFERS)
        return diag_fail(err, "alltoall/%s at p=%d needs %.0f transfers, more than the %zu a schedule may hold; "
                              "use 'hier' with a local group size",
                         coll_alg_name(s->alg), (int)p, (double)p * (double)(p - 1), (size_t)COLL_MAX_XFERS);
    double each = s->bytes / (double)p;
    if (s->alg == COLL_ALG_DIRECT) {
        if (coll_step_open(s, 1, err) != 0)
            return -1;
        for (int32_t i = 0; i < p; i++)
            for (int32_t j = 0; j < p; j++)
                if (i != j && coll_step_add(s, i, j, each, err) != 0)
                    return -1;
        return coll_step_close(s, err);
    }
    for (int32_t k = 1; k < p; k++) {
        if (coll_step_open(s, 1, err) != 0)
            return -1;
        for (int32_t i = 0; i < p; i++)
            if (coll_step_add(s, i, (i + k) % p, each, err) != 0)
                return -1;
        if (coll_step_close(s, err) != 0)
            return -1;
    }
    return 0;
}
