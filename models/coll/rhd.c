/* Recursive halving-doubling (Rabenseifner; Thakur, Rabenseifner & Gropp 2005). With p' the
 * largest power of two <= p and r = p - p', ranks 2i (i < r) fold into 2i+1 first and get the
 * result back last; the other p' ranks run the power-of-two algorithm under new ranks
 * j = i for rank 2i+1 (i < r) and j = rank - r for rank >= 2r. Invariant: in a halving or
 * doubling step every new rank exchanges with exactly one partner, j XOR distance. */
#include "coll_impl.h"

typedef struct fold {
    int32_t p2, r, k; /* p' = 2^k, r = p - p' */
} fold;

static fold fold_of(int32_t p)
{
    fold f = {1, 0, 0};
    while (f.p2 <= p / 2) {
        f.p2 *= 2;
        f.k++;
    }
    f.r = p - f.p2;
    return f;
}

/* Group rank of new rank J. */
static int32_t rank_of(const fold *f, int32_t j)
{
    return j < f->r ? 2 * j + 1 : j + f->r;
}

/* The fold steps: each extra rank 2i and its partner 2i+1 exchange BYTES, to the partner when
 * INWARD, back to the extra rank otherwise. */
static int fold_step(coll_sched *s, const fold *f, bool inward, double bytes, diag_t *err)
{
    if (f->r == 0)
        return 0;
    if (coll_step_open(s, 1, err) != 0)
        return -1;
    for (int32_t i = 0; i < f->r; i++) {
        int rc = inward ? coll_step_add(s, 2 * i, 2 * i + 1, bytes, err)
                        : coll_step_add(s, 2 * i + 1, 2 * i, bytes, err);
        if (rc != 0)
            return -1;
    }
    return coll_step_close(s, err);
}

/* One exchange step among the p' new ranks at distance DIST. Each new rank j sends the data of
 * the aligned block of SPAN new ranks that contains j (when OWN) or its partner j ^ DIST (when
 * not); a block's size is UNIT per new rank, doubled for the r new ranks that also hold an
 * extra rank's share (UNIT = 0 means: send FLAT bytes). */
static int exchange_step(coll_sched *s, const fold *f, int32_t dist, int32_t span, bool own, double unit,
                         double flat, diag_t *err)
{
    if (coll_step_open(s, 1, err) != 0)
        return -1;
    for (int32_t j = 0; j < f->p2; j++) {
        int32_t partner = j ^ dist;
        double bytes = flat;
        if (unit > 0.0) {
            int32_t base = (own ? j : partner) & ~(span - 1);
            bytes = unit * coll_span_weight(base, span, f->r);
        }
        if (coll_step_add(s, rank_of(f, j), rank_of(f, partner), bytes, err) != 0)
            return -1;
    }
    return coll_step_close(s, err);
}

int coll_rhd_build(coll_sched *s, const coll_params *prm, diag_t *err)
{
    (void)prm;
    fold f = fold_of(s->p);
    double n = s->bytes, unit = n / (double)s->p;
    switch (s->op) {
    case COLL_ALLREDUCE:
        /* fold n in; halving: step s sends n / 2^(s+1) at distance p'/2^(s+1); doubling: step s
         * sends n 2^s / p' at distance 2^s; fold the result out */
        if (fold_step(s, &f, true, n, err) != 0)
            return -1;
        for (int32_t d = f.p2 / 2, m = 2; d >= 1; d /= 2, m *= 2)
            if (exchange_step(s, &f, d, 0, false, 0.0, n / (double)m, err) != 0)
                return -1;
        for (int32_t d = 1; d < f.p2; d *= 2)
            if (exchange_step(s, &f, d, 0, false, 0.0, n * (double)d / (double)f.p2, err) != 0)
                return -1;
        return fold_step(s, &f, false, n, err);
    case COLL_ALLGATHER:
        /* fold the extra rank's block in; doubling: a new rank sends the blocks it holds (its
         * aligned block of d new ranks); the partner sends the extra rank everything else */
        if (fold_step(s, &f, true, unit, err) != 0)
            return -1;
        for (int32_t d = 1; d < f.p2; d *= 2)
            if (exchange_step(s, &f, d, d, true, unit, 0.0, err) != 0)
                return -1;
        return fold_step(s, &f, false, n - unit, err);
    case COLL_REDUCESCATTER:
        /* fold the extra rank's whole input in; halving at distance d: a new rank sends the
         * partial results for the partner's half (the aligned block of d new ranks holding the
         * partner); the partner returns the extra rank's block */
        if (fold_step(s, &f, true, n, err) != 0)
            return -1;
        for (int32_t d = f.p2 / 2; d >= 1; d /= 2)
            if (exchange_step(s, &f, d, d, false, unit, 0.0, err) != 0)
                return -1;
        return fold_step(s, &f, false, unit, err);
    default:
        return diag_fail(err, "%s: algorithm 'rhd' cannot do this operation", coll_op_name(s->op));
    }
}
