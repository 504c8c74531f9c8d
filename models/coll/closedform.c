/* Closed-form times of every algorithm on the alpha-beta network of docs/collectives.md (each
 * rank a full-duplex port, a lone transfer of m bytes takes alpha + m/B; for torus, one hop
 * between neighbours, B per direction of one link): what
 * coll_analytic_time() gives on that network, without building the schedule. The derivations
 * are in docs/collectives.md; tests/check_coll.c checks each against the priced schedule.
 * Invariant: a combination coll_build() refuses has no closed form here either (-1). */
#include <math.h>

#include "coll_impl.h"

static bool pow2(int64_t x)
{
    return x > 0 && (x & (x - 1)) == 0;
}

static double ceil_log2(int64_t x)
{
    int d = 0;
    while (((int64_t)1 << d) < x)
        d++;
    return (double)d;
}

/* Recursive halving-doubling: p' = 2^k <= p, r = p - p', sum_min = sum over s < k of min(2^s, r). */
static double rhd_time(coll_op op, int32_t p, double n, double a, double B)
{
    int64_t p2 = 1, k = 0;
    while (p2 <= p / 2) {
        p2 *= 2;
        k++;
    }
    int64_t r = p - p2;
    double P = p;
    if (op == COLL_ALLREDUCE)
        return r == 0 ? 2.0 * (double)k * a + 2.0 * (P - 1) / P * n / B
                      : (2.0 * (double)k + 2.0) * a + (2.0 + 2.0 * (double)(p2 - 1) / (double)p2) * n / B;
    if (r == 0)
        return (double)k * a + (P - 1) / P * n / B;
    double sum_min = 0.0;
    for (int64_t s = 0; s < k; s++)
        sum_min += (double)(((int64_t)1 << s) < r ? ((int64_t)1 << s) : r);
    double units = P + (double)p2 - 1.0 + sum_min + (op == COLL_REDUCESCATTER ? 1.0 : 0.0);
    return ((double)k + 2.0) * a + units * n / (P * B);
}

/* Double binary tree all-reduce, C chunks of n/(2C) per tree: T = 2U alpha + M c/B with
 * U = C + D - 1 and M from the step shapes (docs/collectives.md). */
static double dbtree_allreduce(int32_t p, double n, uint32_t C, double a, double B)
{
    double D = ceil_log2(p), U = C + D - 1, c = n / (2.0 * C), M;
    if (p == 2)
        M = 2 * U;
    else if (p == 3)
        M = 4 * U - 4;
    else
        M = 4 * U - 2 - (C == 1 && pow2(p - 1) ? 2 : 0);
    return 2 * U * a + M * c / B;
}

/* Double binary tree broadcast over the q = p - 1 other ranks: S = C + ceil(log2 q) steps. */
static double dbtree_broadcast(int32_t p, double n, uint32_t C, double a, double B)
{
    double S = C + ceil_log2(p - 1), c = n / (2.0 * C), M;
    if (p == 2)
        M = 2 * S;
    else if (C == 1)
        M = 2 * S - (p >= 4 && pow2(p - 2) ? 2 : 1);
    else
        M = 2 * S - (p <= 4 ? 1 : 0);
    return S * a + M * c / B;
}

/* Torus: one ring phase per dimension of size d >= 2 on the share s_j = n / (d_0 ... d_{j-1}) a
 * rank holds when it starts; d - 1 steps, each moving s_j/(2d) over each direction of each link
 * (s_j/d over one link when d = 2: both neighbours are the same rank, reached by one link).
 * Reduce-scatter and all-gather run each phase once, all-reduce twice. NET is one hop. */
static double torus_time(coll_op op, const coll_params *prm, double n, double a, double B)
{
    double t = 0.0, share = n;
    for (int32_t j = 0; j < prm->torus_nd; j++) {
        double d = prm->torus_dim[j];
        if (d >= 2)
            t += (d - 1) * (a + share / (d * (d >= 3 ? 2.0 : 1.0) * B));
        share /= d;
    }
    return op == COLL_ALLREDUCE ? 2 * t : t;
}

double coll_closed_form_time(coll_op op, coll_alg alg, int32_t p, double n, const coll_params *prm,
                             const coll_ab *net)
{
    if ((unsigned)op >= COLL_OP__COUNT || (unsigned)alg >= COLL_ALG__COUNT || p < 1 || !(n >= 0.0) ||
        !isfinite(n) || !net || !(net->bw_Bps > 0.0))
        return -1.0;
    if (op == COLL_BROADCAST && prm && (prm->root < 0 || prm->root >= p))
        return -1.0;
    if (alg == COLL_ALG_AUTO)
        alg = coll_choose(op, p, n, prm);
    if (alg == COLL_ALG_MULTIPLANE) {
        /* planes sub-collectives of n/planes side by side, each with 1/planes of the bandwidth */
        uint32_t planes = prm ? prm->planes : 0;
        if (planes < 1 || prm->plane_alg == COLL_ALG_MULTIPLANE)
            return -1.0;
        coll_params sub = *prm;
        sub.planes = 0;
        sub.plane_alg = COLL_ALG_AUTO;
        sub.tune = NULL;
        double P = planes;
        coll_alg base = coll_multiplane_base(op, p, n, prm);
        coll_ab per = {net->alpha_s, net->bw_Bps / P, net->alpha_outer_s, net->bw_outer_Bps / P};
        return coll_closed_form_time(op, base, p, n / P, &sub, &per);
    }
    if (!coll_alg_supports(op, alg))
        return -1.0;
    if (op == COLL_P2P)
        alg = COLL_ALG_DIRECT;
    if (alg == COLL_ALG_HIER && (!prm || prm->local < 1 || p % prm->local != 0))
        return -1.0;
    if (alg == COLL_ALG_TORUS && !coll_torus_shape_ok(prm, p))
        return -1.0;
    if (p == 1 || n == 0.0)
        return 0.0;
    double a = net->alpha_s, B = net->bw_Bps, P = p;
    switch (alg) {
    case COLL_ALG_RING:
        if (op == COLL_ALLREDUCE)
            return 2 * (P - 1) * (a + n / (P * B));
        if (op == COLL_BROADCAST) {
            double C = coll_chunks(prm, n);
            return (C + P - 2) * (a + n / (C * B));
        }
        return (P - 1) * (a + n / (P * B));
    case COLL_ALG_RHD:
        return rhd_time(op, p, n, a, B);
    case COLL_ALG_PAIRWISE:
        return (P - 1) * (a + n / (P * B));
    case COLL_ALG_DIRECT:
        if (op == COLL_P2P)
            return a + n / B;
        return a + (P - 1) / P * n / B;
    case COLL_ALG_DBTREE:
        if (op == COLL_ALLREDUCE)
            return dbtree_allreduce(p, n, coll_chunks(prm, n / 2), a, B);
        return dbtree_broadcast(p, n, coll_chunks(prm, n / 2), a, B);
    case COLL_ALG_HIER: {
        double ao = net->alpha_outer_s > 0.0 ? net->alpha_outer_s : a;
        double Bo = net->bw_outer_Bps > 0.0 ? net->bw_outer_Bps : B;
        double L = prm->local, G = P / L;
        double inner = (L - 1) * (a + n / (L * B)), outer = (G - 1) * (ao + n / (P * Bo));
        if (op == COLL_ALLREDUCE)
            return 2 * inner + 2 * outer;
        if (op == COLL_ALLTOALL)
            return inner + (G - 1) * (ao + n / (G * Bo));
        return inner + outer;
    }
    case COLL_ALG_TORUS:
        return torus_time(op, prm, n, a, B);
    default:
        return -1.0;
    }
}
