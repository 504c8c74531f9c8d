/* Torus algorithms: dimension-ordered bidirectional rings on a group that is a torus
 * (coll_params.torus_dim; rank r at coordinates r mod d0, r / d0 mod d1, ...). Reduce-scatter
 * runs a ring phase along dimension 0, then 1, ...; all-gather the same phases in reverse order;
 * all-reduce one then the other. Invariant: every transfer joins torus neighbours (one hop,
 * wrap-around included) and each phase is one stored step of at most 2p transfers. */
#include "coll_impl.h"

/* Rank R moved by DELTA (+1 or -1) along the dimension of STRIDE and size D. */
static int32_t neighbour(int32_t r, int32_t stride, int32_t d, int32_t delta)
{
    int32_t c = r / stride % d;
    int32_t c2 = (c + delta + d) % d;
    return r + (c2 - c) * stride;
}

/* One ring phase along the dimension of STRIDE and size D (>= 2), D-1 steps stored once: every
 * rank sends BYTES (its share of the phase's data for one step) split over two rings, half to its
 * + neighbour and half to its - neighbour. With D = 2 both neighbours are the same rank and the
 * halves travel as one transfer (one transfer per ordered pair and step). */
static int ring_phase(coll_sched *s, int32_t stride, int32_t d, double bytes, diag_t *err)
{
    if (coll_step_open(s, (uint32_t)(d - 1), err) != 0)
        return -1;
    for (int32_t r = 0; r < s->p; r++) {
        int32_t up = neighbour(r, stride, d, +1), down = neighbour(r, stride, d, -1);
        if (up == down) {
            if (coll_step_add(s, r, up, bytes, err) != 0)
                return -1;
        } else if (coll_step_add(s, r, up, bytes / 2.0, err) != 0 || coll_step_add(s, r, down, bytes / 2.0, err) != 0) {
            return -1;
        }
    }
    return coll_step_close(s, err);
}

bool coll_torus_shape_ok(const coll_params *prm, int32_t p)
{
    if (!prm || prm->torus_nd < 1 || prm->torus_nd > COLL_TORUS_MAX_DIMS)
        return false;
    int64_t prod = 1;
    for (int32_t j = 0; j < prm->torus_nd; j++) {
        if (prm->torus_dim[j] < 1)
            return false;
        prod *= prm->torus_dim[j];
    }
    return prod == p;
}

int coll_torus_build(coll_sched *s, const coll_params *prm, diag_t *err)
{
    int32_t nd = prm->torus_nd;
    int32_t stride[COLL_TORUS_MAX_DIMS];
    double share[COLL_TORUS_MAX_DIMS]; /* data a rank holds when the phase of dimension j starts */
    double data = s->bytes;
    for (int32_t j = 0, st = 1; j < nd; j++) {
        stride[j] = st;
        share[j] = data;
        st *= prm->torus_dim[j];
        data /= prm->torus_dim[j];
    }
    bool rs = s->op == COLL_ALLREDUCE || s->op == COLL_REDUCESCATTER;
    bool ag = s->op == COLL_ALLREDUCE || s->op == COLL_ALLGATHER;
    if (!rs && !ag)
        return diag_fail(err, "%s: algorithm 'torus' cannot do this operation", coll_op_name(s->op));
    /* reduce-scatter: along dimension j the rank holds share[j] and keeps share[j] / d_j, sending
     * share[j] / d_j per step; all-gather runs the phases backwards with the same sizes */
    for (int32_t j = 0; rs && j < nd; j++) {
        int32_t d = prm->torus_dim[j];
        if (d >= 2 && ring_phase(s, stride[j], d, share[j] / d, err) != 0)
            return -1;
    }
    for (int32_t j = nd - 1; ag && j >= 0; j--) {
        int32_t d = prm->torus_dim[j];
        if (d >= 2 && ring_phase(s, stride[j], d, share[j] / d, err) != 0)
            return -1;
    }
    return 0;
}
