/* Collective schedules: names, the auto rule, dispatch to the algorithm families and the step
 * builder they share. Invariant of every finished schedule: no empty step, each step's transfers
 * sorted by (src, dst) with at most one transfer per ordered pair, and no two consecutive steps
 * with identical transfers (they are stored once with their repeats added). */
#include "coll_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[COLL_OP__COUNT] = {
    "allreduce", "allgather", "reducescatter", "alltoall", "broadcast", "p2p",
};

static const char *const alg_names[COLL_ALG__COUNT] = {
    "auto", "ring", "dbtree", "rhd", "direct", "pairwise", "hier", "multiplane", "torus",
};

const char *coll_op_name(coll_op op)
{
    return (unsigned)op < COLL_OP__COUNT ? op_names[op] : "?";
}

const char *coll_alg_name(coll_alg a)
{
    return (unsigned)a < COLL_ALG__COUNT ? alg_names[a] : "?";
}

int coll_op_parse(const char *s, coll_op *out)
{
    for (int i = 0; s && i < COLL_OP__COUNT; i++)
        if (strcmp(s, op_names[i]) == 0) {
            *out = (coll_op)i;
            return 0;
        }
    return -1;
}

int coll_alg_parse(const char *s, coll_alg *out)
{
    for (int i = 0; s && i < COLL_ALG__COUNT; i++)
        if (strcmp(s, alg_names[i]) == 0) {
            *out = (coll_alg)i;
            return 0;
        }
    return -1;
}

double coll_busbw_factor(coll_op op, int32_t p)
{
    if (p < 1)
        return 0.0;
    double pd = (double)p;
    switch (op) {
    case COLL_ALLREDUCE:
        return 2.0 * (pd - 1.0) / pd;
    case COLL_ALLGATHER:
    case COLL_REDUCESCATTER:
    case COLL_ALLTOALL:
        return (pd - 1.0) / pd;
    case COLL_BROADCAST:
    case COLL_P2P:
    case COLL_OP__COUNT:
        break;
    }
    return 1.0;
}

static bool is_pow2(int32_t p)
{
    return p > 0 && (p & (p - 1)) == 0;
}

/* Price of candidate C: its closed form on the network of its kind, or, when ROUTED, the analytic
 * time of its schedule on the routes of TN; -1 when it cannot be built. */
static double candidate_time(coll_op op, coll_alg c, int32_t p, double bytes, const coll_params *plain,
                             const coll_tune *tn, bool routed)
{
    if (!routed) {
        const coll_ab *net = c == COLL_ALG_HIER ? &tn->hier : c == COLL_ALG_TORUS ? &tn->torus : &tn->flat;
        return coll_closed_form_time(op, c, p, bytes, plain, net);
    }
    coll_sched s;
    diag_t err;
    if (coll_build(op, c, p, bytes, plain, &s, &err) != 0)
        return -1.0;
    double t = coll_analytic_time(&s, tn->route, tn->route_ctx, tn->link_bw_Bps, tn->nlinks);
    coll_sched_free(&s);
    return t;
}

/* The auto rule, after NCCL's tuning: trees and halving-doubling win while the per-rank share
 * of the message is small (latency-bound: ~log p steps instead of ~p), rings and pairwise
 * exchanges win once it is large (bandwidth-bound, every port busy every step).
 *   small  :=  bytes / p < 64 KiB
 *   allreduce      p <= 2: ring; small: dbtree; large: torus when the group is a torus
 *                  (prm->torus_nd), else hier when prm->local > 1 divides p and p > local, else ring
 *   allgather,
 *   reducescatter  rhd when p is a power of two and small, else torus on a torus, else ring
 *   alltoall       pairwise; hier when p(p-1) transfers would exceed COLL_MAX_XFERS and
 *                  prm->local > 1 divides p (so that very large groups still build)
 *   broadcast      small: dbtree; large: ring (pipelined chain)
 *   p2p            direct
 * and, before all of these, multiplane (whose base is chosen by this same rule for n/planes)
 * when prm->planes > 1 and each plane's share is large: n/(planes p) >= 64 KiB (n/planes for
 * p2p), as NCCL spreads a large message over one channel per link and a small one over few.
 * With prm->tune (the machine's alpha-beta figures) the table gives way to pricing, as NCCL's
 * tuner does: the candidates below (NCCL's own algorithms or their closest kin here) are
 * priced by coll_closed_form_time() and the fastest wins, ties to the earlier one:
 *   allreduce      ring, hier (when local fits), dbtree, torus (on a torus group)
 *   allgather,
 *   reducescatter  ring, hier, rhd, torus
 *   alltoall       pairwise (while p(p-1) <= COLL_MAX_XFERS), hier
 *   broadcast      ring (chain), dbtree
 * so that a tree whose every edge may cross the slow level loses to hier on a multi-level group
 * once the message is more than latency. Torus is a candidate on a torus group (prm->torus_nd),
 * priced on prm->tune->torus (one hop between neighbours; skipped when its bandwidth is 0).
 * When torus is a candidate and prm->tune->route is set, every candidate is instead built and
 * priced by coll_analytic_time() on the group's routes: closed forms assume uncongested routes,
 * which a flat ring or a tree mapped onto a torus does not get (its multi-hop routes share
 * links), nor are its latencies all the worst one (a tree's edges are mostly short). */
static coll_alg tuned_choice(coll_op op, int32_t p, double bytes, const coll_params *prm)
{
    static const coll_alg cand[COLL_OP__COUNT][4] = {
        [COLL_ALLREDUCE] = {COLL_ALG_RING, COLL_ALG_HIER, COLL_ALG_DBTREE, COLL_ALG_TORUS},
        [COLL_ALLGATHER] = {COLL_ALG_RING, COLL_ALG_HIER, COLL_ALG_RHD, COLL_ALG_TORUS},
        [COLL_REDUCESCATTER] = {COLL_ALG_RING, COLL_ALG_HIER, COLL_ALG_RHD, COLL_ALG_TORUS},
        [COLL_ALLTOALL] = {COLL_ALG_PAIRWISE, COLL_ALG_HIER, COLL_ALG_AUTO, COLL_ALG_AUTO},
        [COLL_BROADCAST] = {COLL_ALG_RING, COLL_ALG_DBTREE, COLL_ALG_AUTO, COLL_ALG_AUTO},
        [COLL_P2P] = {COLL_ALG_DIRECT, COLL_ALG_AUTO, COLL_ALG_AUTO, COLL_ALG_AUTO},
    };
    coll_params plain = *prm;
    plain.tune = NULL;
    plain.planes = 0;
    coll_alg best = COLL_ALG_AUTO;
    double best_t = 0.0;
    bool routed = prm->tune->route && coll_torus_shape_ok(prm, p) && prm->tune->torus.bw_Bps > 0.0 &&
                  (op == COLL_ALLREDUCE || op == COLL_ALLGATHER || op == COLL_REDUCESCATTER);
    for (int i = 0; i < 4; i++) {
        coll_alg c = cand[op][i];
        if (c == COLL_ALG_AUTO)
            continue;
        if (c == COLL_ALG_PAIRWISE && (double)p * (double)(p - 1) > (double)COLL_MAX_XFERS)
            continue;
        if (c == COLL_ALG_TORUS && (!coll_torus_shape_ok(prm, p) || !(prm->tune->torus.bw_Bps > 0.0)))
            continue;
        double t = candidate_time(op, c, p, bytes, &plain, prm->tune, routed);
        if (t >= 0.0 && (best == COLL_ALG_AUTO || t < best_t)) {
            best = c;
            best_t = t;
        }
    }
    return best;
}

coll_alg coll_choose(coll_op op, int32_t p, double bytes, const coll_params *prm)
{
    const double small_per_rank = 64.0 * 1024.0;
    bool small = p > 0 && bytes / (double)p < small_per_rank;
    int32_t local = prm ? prm->local : 0;
    uint32_t planes = prm ? prm->planes : 0;
    if (planes > 1 && p > 1) {
        double share = bytes / (double)planes / (op == COLL_P2P ? 1.0 : (double)p);
        if (share >= small_per_rank)
            return COLL_ALG_MULTIPLANE;
    }
    if (prm && prm->tune && p > 1 && (unsigned)op < COLL_OP__COUNT) {
        coll_alg t = tuned_choice(op, p, bytes, prm);
        if (t != COLL_ALG_AUTO)
            return t;
    }
    bool hier_ok = local > 1 && p > local && p % local == 0;
    bool torus_ok = coll_torus_shape_ok(prm, p);
    switch (op) {
    case COLL_ALLREDUCE:
        if (p <= 2)
            return COLL_ALG_RING;
        if (small)
            return COLL_ALG_DBTREE;
        if (torus_ok)
            return COLL_ALG_TORUS;
        return hier_ok ? COLL_ALG_HIER : COLL_ALG_RING;
    case COLL_ALLGATHER:
    case COLL_REDUCESCATTER:
        if (is_pow2(p) && small)
            return COLL_ALG_RHD;
        return torus_ok ? COLL_ALG_TORUS : COLL_ALG_RING;
    case COLL_ALLTOALL:
        if (hier_ok && (double)p * (double)(p - 1) > (double)COLL_MAX_XFERS)
            return COLL_ALG_HIER;
        return COLL_ALG_PAIRWISE;
    case COLL_BROADCAST:
        return small ? COLL_ALG_DBTREE : COLL_ALG_RING;
    case COLL_P2P:
    case COLL_OP__COUNT:
        break;
    }
    return COLL_ALG_DIRECT;
}

/* Which (op, alg) pairs exist; p2p takes any algorithm (it is always one direct transfer);
 * multiplane takes any op (its base algorithm is checked when it is built). */
static bool supported(coll_op op, coll_alg alg)
{
    if (op == COLL_P2P || alg == COLL_ALG_MULTIPLANE)
        return true;
    switch (alg) {
    case COLL_ALG_RING:
        return op == COLL_ALLREDUCE || op == COLL_ALLGATHER || op == COLL_REDUCESCATTER ||
               op == COLL_BROADCAST;
    case COLL_ALG_DBTREE:
        return op == COLL_ALLREDUCE || op == COLL_BROADCAST;
    case COLL_ALG_RHD:
        return op == COLL_ALLREDUCE || op == COLL_ALLGATHER || op == COLL_REDUCESCATTER;
    case COLL_ALG_DIRECT:
    case COLL_ALG_PAIRWISE:
        return op == COLL_ALLTOALL;
    case COLL_ALG_HIER:
        return op == COLL_ALLREDUCE || op == COLL_ALLGATHER || op == COLL_REDUCESCATTER ||
               op == COLL_ALLTOALL;
    case COLL_ALG_TORUS:
        return op == COLL_ALLREDUCE || op == COLL_ALLGATHER || op == COLL_REDUCESCATTER;
    case COLL_ALG_AUTO:
    case COLL_ALG_MULTIPLANE:
    case COLL_ALG__COUNT:
        break;
    }
    return false;
}

int coll_alg_supports(coll_op op, coll_alg alg)
{
    if ((unsigned)op >= COLL_OP__COUNT || (unsigned)alg >= COLL_ALG__COUNT)
        return 0;
    return alg == COLL_ALG_AUTO || supported(op, alg);
}

/* Multiplane: the base algorithm's schedule for the per-plane share n/planes (so pipelines cut
 * their chunks from what one plane carries), every transfer then scaled back up by planes: the
 * schedule of `planes` identical sub-collectives run side by side, one per plane. */
static int build_multiplane(coll_op op, int32_t p, double bytes, const coll_params *prm, coll_sched *out,
                            diag_t *err)
{
    uint32_t planes = prm ? prm->planes : 0;
    if (planes < 1)
        return diag_fail(err, "%s: algorithm 'multiplane' needs a number of planes >= 1 (got 0)", coll_op_name(op));
    coll_params sub = *prm;
    sub.planes = 0;
    sub.plane_alg = COLL_ALG_AUTO;
    double share = bytes / (double)planes;
    if (prm->plane_alg == COLL_ALG_MULTIPLANE)
        return diag_fail(err, "%s: algorithm 'multiplane' cannot stripe itself; give it a base algorithm",
                         coll_op_name(op));
    coll_alg base = coll_multiplane_base(op, p, bytes, prm);
    if (coll_build(op, base, p, share, &sub, out, err) != 0)
        return -1;
    for (size_t x = 0; x < out->nxfers; x++)
        out->xfers[x].bytes *= (double)planes;
    out->bytes = bytes;
    out->alg = COLL_ALG_MULTIPLANE;
    out->stripes = planes;
    return 0;
}

coll_alg coll_multiplane_base(coll_op op, int32_t p, double bytes, const coll_params *prm)
{
    if (prm->plane_alg != COLL_ALG_AUTO)
        return prm->plane_alg;
    double planes = prm->planes > 0 ? (double)prm->planes : 1.0;
    coll_params sub = *prm;
    sub.planes = 0;
    sub.plane_alg = COLL_ALG_AUTO;
    coll_tune scaled;
    if (prm->tune) {
        scaled = *prm->tune;
        scaled.flat.bw_Bps /= planes;
        scaled.flat.bw_outer_Bps /= planes;
        scaled.hier.bw_Bps /= planes;
        scaled.hier.bw_outer_Bps /= planes;
        scaled.torus.bw_Bps /= planes;
        if (planes > 1.0)
            scaled.route = NULL; /* the routes carry whole transfers, not one plane's share */
        sub.tune = &scaled;
    }
    return coll_choose(op, p, bytes / planes, &sub);
}

int coll_build(coll_op op, coll_alg alg, int32_t p, double bytes, const coll_params *prm,
               coll_sched *out, diag_t *err)
{
    if (!out)
        return diag_fail(err, "collective: no schedule to fill");
    memset(out, 0, sizeof *out);
    if ((unsigned)op >= COLL_OP__COUNT)
        return diag_fail(err, "collective: unknown operation %d", (int)op);
    if ((unsigned)alg >= COLL_ALG__COUNT)
        return diag_fail(err, "collective: unknown algorithm %d", (int)alg);
    if (p < 1)
        return diag_fail(err, "%s: group size %d must be at least 1", coll_op_name(op), (int)p);
    if (!(bytes >= 0.0) || !isfinite(bytes))
        return diag_fail(err, "%s: message size %g bytes must be finite and >= 0", coll_op_name(op), bytes);
    if (op == COLL_BROADCAST && prm && (prm->root < 0 || prm->root >= p))
        return diag_fail(err, "broadcast: root %d is not a rank of a group of %d", (int)prm->root, (int)p);
    if (alg == COLL_ALG_AUTO)
        alg = coll_choose(op, p, bytes, prm);
    if (alg == COLL_ALG_MULTIPLANE)
        return build_multiplane(op, p, bytes, prm, out, err);
    if (!supported(op, alg))
        return diag_fail(err, "%s: algorithm '%s' cannot do this operation", coll_op_name(op),
                         coll_alg_name(alg));
    if (op == COLL_P2P)
        alg = COLL_ALG_DIRECT;
    if (alg == COLL_ALG_HIER && (!prm || prm->local < 1 || p % prm->local != 0))
        return diag_fail(err, "%s: algorithm 'hier' needs a local group size dividing %d (got %d)",
                         coll_op_name(op), (int)p, prm ? (int)prm->local : 0);
    if (alg == COLL_ALG_TORUS && !coll_torus_shape_ok(prm, p))
        return diag_fail(err, "%s: algorithm 'torus' needs a group that is a whole torus (or a sub-torus along whole "
                              "dimensions) of %d ranks in their natural order; this group is not one",
                         coll_op_name(op), (int)p);
    out->op = op;
    out->alg = alg;
    out->base = alg;
    out->stripes = 1;
    out->p = p;
    out->bytes = bytes;
    if (p == 1 || bytes == 0.0)
        return 0;
    int rc;
    switch (alg) {
    case COLL_ALG_RING:
        rc = coll_ring_build(out, prm, err);
        break;
    case COLL_ALG_DBTREE:
        rc = coll_tree_build(out, prm, err);
        break;
    case COLL_ALG_RHD:
        rc = coll_rhd_build(out, prm, err);
        break;
    case COLL_ALG_HIER:
        rc = coll_hier_build(out, prm, err);
        break;
    case COLL_ALG_TORUS:
        rc = coll_torus_build(out, prm, err);
        break;
    case COLL_ALG_DIRECT:
        if (op == COLL_P2P) {
            rc = coll_step_open(out, 1, err);
            if (rc == 0)
                rc = coll_step_add(out, 0, 1, bytes, err);
            if (rc == 0)
                rc = coll_step_close(out, err);
            break;
        }
        rc = coll_alltoall_build(out, prm, err);
        break;
    case COLL_ALG_PAIRWISE:
        rc = coll_alltoall_build(out, prm, err);
        break;
    default:
        rc = diag_fail(err, "collective: no builder for algorithm '%s'", coll_alg_name(alg));
        break;
    }
    if (rc != 0)
        coll_sched_free(out);
    return rc;
}

void coll_sched_free(coll_sched *s)
{
    if (!s)
        return;
    free(s->steps);
    free(s->xfers);
    s->steps = NULL;
    s->xfers = NULL;
    s->nsteps = s->cap_steps = 0;
    s->nxfers = s->cap_xfers = 0;
}

double coll_sched_bytes_sent(const coll_sched *s, int32_t r)
{
    double total = 0.0;
    for (size_t k = 0; k < s->nsteps; k++) {
        const coll_step *st = &s->steps[k];
        double in_step = 0.0;
        for (size_t x = st->first; x < st->first + st->count; x++)
            if (s->xfers[x].src == r)
                in_step += s->xfers[x].bytes;
        total += in_step * (double)st->repeat;
    }
    return total;
}

/* ---- builder ---- */

int coll_step_open(coll_sched *s, uint32_t repeat, diag_t *err)
{
    if (repeat == 0)
        return diag_fail(err, "collective builder: a step must run at least once");
    if (s->nsteps == s->cap_steps) {
        size_t cap = s->cap_steps ? 2 * s->cap_steps : 16;
        coll_step *n = realloc(s->steps, cap * sizeof *n);
        if (!n)
            return diag_fail(err, "%s/%s: out of memory for %zu steps", coll_op_name(s->op),
                             coll_alg_name(s->alg), cap);
        s->steps = n;
        s->cap_steps = cap;
    }
    s->steps[s->nsteps++] = (coll_step){.first = s->nxfers, .count = 0, .repeat = repeat};
    return 0;
}

int coll_step_add(coll_sched *s, int32_t src, int32_t dst, double bytes, diag_t *err)
{
    if (src == dst || src < 0 || dst < 0 || src >= s->p || dst >= s->p)
        return diag_fail(err, "collective builder: bad transfer %d -> %d in a group of %d", (int)src,
                         (int)dst, (int)s->p);
    if (s->nxfers == s->cap_xfers) {
        if (s->nxfers >= COLL_MAX_XFERS)
            return diag_fail(err, "%s/%s at p=%d: more than %zu transfers; use a hierarchical algorithm",
                             coll_op_name(s->op), coll_alg_name(s->alg), (int)s->p, (size_t)COLL_MAX_XFERS);
        size_t cap = s->cap_xfers ? 2 * s->cap_xfers : 64;
        if (cap > COLL_MAX_XFERS)
            cap = COLL_MAX_XFERS;
        coll_xfer *n = realloc(s->xfers, cap * sizeof *n);
        if (!n)
            return diag_fail(err, "%s/%s: out of memory for %zu transfers", coll_op_name(s->op),
                             coll_alg_name(s->alg), cap);
        s->xfers = n;
        s->cap_xfers = cap;
    }
    s->xfers[s->nxfers++] = (coll_xfer){.src = src, .dst = dst, .bytes = bytes};
    s->steps[s->nsteps - 1].count++;
    return 0;
}

static int xfer_cmp(const void *a, const void *b)
{
    const coll_xfer *x = a, *y = b;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    if (x->dst != y->dst)
        return x->dst < y->dst ? -1 : 1;
    return 0;
}

static bool same_xfers(const coll_xfer *a, const coll_xfer *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].src != b[i].src || a[i].dst != b[i].dst || a[i].bytes != b[i].bytes)
            return false;
    return true;
}

int coll_step_close(coll_sched *s, diag_t *err)
{
    (void)err;
    coll_step *st = &s->steps[s->nsteps - 1];
    coll_xfer *x = s->xfers + st->first;
    bool sorted = true;
    for (size_t i = 1; i < st->count && sorted; i++)
        sorted = xfer_cmp(&x[i - 1], &x[i]) < 0;
    if (!sorted) {
        qsort(x, st->count, sizeof *x, xfer_cmp);
        size_t w = 0;
        for (size_t i = 0; i < st->count; i++) {
            if (w > 0 && x[w - 1].src == x[i].src && x[w - 1].dst == x[i].dst)
                x[w - 1].bytes += x[i].bytes;
            else
                x[w++] = x[i];
        }
        st->count = w;
        s->nxfers = st->first + w;
    }
    if (st->count == 0) {
        s->nsteps--;
        return 0;
    }
    if (s->nsteps >= 2) {
        coll_step *prev = st - 1;
        if (prev->count == st->count && (uint64_t)prev->repeat + st->repeat <= UINT32_MAX &&
            same_xfers(s->xfers + prev->first, x, st->count)) {
            prev->repeat += st->repeat;
            s->nxfers = st->first;
            s->nsteps--;
        }
    }
    return 0;
}

uint32_t coll_chunks(const coll_params *prm, double bytes)
{
    if (prm && prm->chunks > 0)
        return prm->chunks;
    double c = floor(bytes / COLL_CHUNK_MIN_BYTES);
    if (c < 1.0)
        return 1;
    if (c > (double)COLL_CHUNKS_DEFAULT)
        return COLL_CHUNKS_DEFAULT;
    return (uint32_t)c;
}

double coll_span_weight(int64_t a, int64_t len, int64_t heavy)
{
    int64_t hi = a + len < heavy ? a + len : heavy;
    int64_t nheavy = hi > a ? hi - a : 0;
    return (double)(len + nheavy);
}
