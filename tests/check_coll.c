/* Check suite "coll": collective schedules move the textbook number of bytes, are well formed,
 * and coll_analytic_time() reproduces each algorithm's closed form on an uncongested star
 * (every rank r has an up link 2r and a down link 2r+1 of bandwidth B; a route src -> dst is
 * {up_src, down_dst} with latency alpha). The closed forms are derived in docs/collectives.md. */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coll/coll.h"
#include "coll/coll_impl.h"

#define KIB 1024.0
#define MIB (1024.0 * KIB)
#define GIB (1024.0 * MIB)

static const int32_t group_sizes[] = {1, 2, 3, 5, 8, 12, 64, 96, 128};
#define NSIZES (sizeof group_sizes / sizeof group_sizes[0])
static const double msg_sizes[] = {KIB, MIB, GIB};
#define NMSGS (sizeof msg_sizes / sizeof msg_sizes[0])

/* ---- helpers ---- */

/* An assertion for hot loops: Check records every passing ck_assert, so loops test first and
 * only call into Check on failure. */
#define CHECK(cond, ...)              \
    do {                              \
        if (!(cond))                  \
            ck_abort_msg(__VA_ARGS__); \
    } while (0)

/* A local group size for hier at P: the largest divisor d of P with d*d <= P, at least 1. */
static int32_t local_for(int32_t p)
{
    int32_t best = 1;
    for (int32_t d = 1; d * d <= p; d++)
        if (p % d == 0)
            best = d;
    return best;
}

static bool is_pow2(int32_t p)
{
    return p > 0 && (p & (p - 1)) == 0;
}

static int32_t ceil_log2(int32_t p)
{
    int32_t d = 0;
    while (((int64_t)1 << d) < p)
        d++;
    return d;
}

static void build_ok(coll_op op, coll_alg alg, int32_t p, double n, const coll_params *prm, coll_sched *s)
{
    diag_t err = {{0}};
    int rc = coll_build(op, alg, p, n, prm, s, &err);
    ck_assert_msg(rc == 0, "%s/%s p=%d n=%g failed: %s", coll_op_name(op), coll_alg_name(alg), (int)p, n, err.msg);
}

/* Bytes each rank receives over the whole schedule; the caller frees the array. */
static double *bytes_received(const coll_sched *s)
{
    double *got = calloc((size_t)s->p, sizeof *got);
    ck_assert_ptr_nonnull(got);
    for (size_t k = 0; k < s->nsteps; k++)
        for (size_t x = s->steps[k].first; x < s->steps[k].first + s->steps[k].count; x++)
            got[s->xfers[x].dst] += s->xfers[x].bytes * (double)s->steps[k].repeat;
    return got;
}

static void expect_close(double got, double want, double rel, const char *what, const coll_sched *s)
{
    double tol = rel * fabs(want) + 1e-12;
    CHECK(fabs(got - want) <= tol, "%s: %s/%s p=%d n=%g: got %.9g, want %.9g", what,
                  coll_op_name(s->op), coll_alg_name(s->alg), (int)s->p, s->bytes, got, want);
}

/* The star network. */
typedef struct star {
    double lat_intra_s, lat_inter_s; /* inter is used across groups of LOCAL ranks */
    int32_t local;                   /* 0: every pair is intra */
} star;

static int star_route(void *ctx, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    const star *st = ctx;
    if (cap < 2)
        return -1;
    bool same = st->local <= 0 || src / st->local == dst / st->local;
    *lat_s = same ? st->lat_intra_s : st->lat_inter_s;
    links[0] = 2u * (uint32_t)src;
    links[1] = 2u * (uint32_t)dst + 1u;
    return 2;
}

static const double ALPHA = 500e-9, BW = 400e9;

static double *star_bw(int32_t p)
{
    double *bw = malloc(2 * (size_t)(p > 0 ? p : 1) * sizeof *bw);
    ck_assert_ptr_nonnull(bw);
    for (size_t i = 0; i < 2 * (size_t)p; i++)
        bw[i] = BW;
    return bw;
}

static double star_time(const coll_sched *s, const star *st)
{
    double *bw = star_bw(s->p);
    double t = coll_analytic_time(s, star_route, (void *)st, bw, 2 * (size_t)s->p);
    free(bw);
    return t;
}

/* ---- closed forms on the star (alpha, B; see docs/collectives.md for the derivations) ---- */

typedef struct rhd_fold {
    int32_t p2, r, k;
    double sum_min; /* sum over s < k of min(2^s, r) */
} rhd_fold;

static rhd_fold fold_of(int32_t p)
{
    rhd_fold f = {1, 0, 0, 0.0};
    while (f.p2 <= p / 2) {
        f.p2 *= 2;
        f.k++;
    }
    f.r = p - f.p2;
    for (int32_t s = 0; s < f.k; s++)
        f.sum_min += (double)((1 << s) < f.r ? (1 << s) : f.r);
    return f;
}

/* Double binary tree all-reduce with C chunks of c = n/(2C) per tree. Derivation (the long form
 * is in docs/collectives.md): both NCCL trees have depth D = ceil(log2 p); the up phase has
 * U = C + D - 1 steps (depth d sends chunk k in step k + D - d), the down phase U more. A rank
 * sends at most one chunk per tree per step and, the trees being complementary, receives at most
 * two, so step t lasts alpha + m_t c/B with m_t in {1, 2} and T = 2U alpha + M c/B, M = sum m_t.
 * In the up phase only the last step (depth 1 feeding the two roots) has m = 1 when p >= 4:
 * while depth D sends, rank 2 hears from ranks 1 and 3; in the drain the depth-1 rank hears
 * from two children, or (p = 2^(D-1) + 1) rank 0 hears once in each tree. The down phase is the
 * time reverse. So M = 4U - 2; with C = 1 and p - 1 a power of two the lone depth-2 step adds
 * one m = 1 step per phase (M = 4U - 4); p = 3 (two chains) has M = 4U - 4; p = 2 has m = 1
 * throughout (M = 2U). */
static double dbtree_allreduce_time(int32_t p, double n, uint32_t C, double a)
{
    double D = ceil_log2(p), U = C + D - 1, c = n / (2.0 * C), M;
    if (p == 2)
        M = 2 * U;
    else if (p == 3)
        M = 4 * U - 4;
    else
        M = 4 * U - 2 - (C == 1 && is_pow2(p - 1) ? 2 : 0);
    return 2 * U * a + M * c / BW;
}

/* Double binary tree broadcast over the q = p - 1 non-root ranks: S = C + D_q steps,
 * D_q = ceil(log2 q) (a node at depth d receives chunk k in step k + d). Every port carries 1 or
 * 2 chunks of c = n/(2C) per step, and the root's carries 2 in every step t < C (one per tree),
 * so T = S alpha + M c/B. For q >= 4 and C >= 2 every drain step also has a node forwarding to
 * two children, M = 2S, i.e. T = (C + D_q)(alpha + n/(CB)); for q = 2, 3 the last step moves
 * one chunk per port (M = 2S - 1); with C = 1 the tree roots forward alone in step 1
 * (M = 2S - 1), and one more step has m = 1 when q - 1 is a power of two >= 2 (the depth-1
 * node has one child). p = 2: the root sends both halves to rank 1, M = 2S.
 * Chain broadcast (closed_form below): C + p - 2 steps, one chunk n/C per port per step. */
static double dbtree_broadcast_time(int32_t p, double n, uint32_t C, double a)
{
    double S = C + ceil_log2(p - 1), c = n / (2.0 * C), M;
    if (p == 2)
        M = 2 * S;
    else if (C == 1)
        M = 2 * S - (p >= 4 && is_pow2(p - 2) ? 2 : 1);
    else
        M = 2 * S - (p <= 4 ? 1 : 0);
    return S * a + M * c / BW;
}

static double closed_form(coll_op op, coll_alg alg, int32_t p, double n, const coll_params *prm, const star *st)
{
    double P = p, a = st->lat_intra_s;
    if (p == 1)
        return 0.0;
    switch (alg) {
    case COLL_ALG_RING:
        if (op == COLL_ALLREDUCE)
            return 2 * (P - 1) * (a + n / (P * BW));
        if (op == COLL_BROADCAST) {
            double C = coll_chunks(prm, n);
            return (C + P - 2) * (a + n / (C * BW));
        }
        return (P - 1) * (a + n / (P * BW));
    case COLL_ALG_RHD: {
        rhd_fold f = fold_of(p);
        if (op == COLL_ALLREDUCE)
            return f.r == 0 ? 2 * f.k * a + 2 * (P - 1) / P * n / BW
                            : (2 * f.k + 2) * a + (2 + 2.0 * (f.p2 - 1) / f.p2) * n / BW;
        if (f.r == 0)
            return f.k * a + (P - 1) / P * n / BW;
        double units = P + f.p2 - 1 + f.sum_min + (op == COLL_REDUCESCATTER ? 1 : 0);
        return (f.k + 2) * a + units * n / (P * BW);
    }
    case COLL_ALG_PAIRWISE:
        return (P - 1) * (a + n / (P * BW));
    case COLL_ALG_DIRECT:
        if (op == COLL_P2P)
            return a + n / BW;
        return a + (P - 1) / P * n / BW;
    case COLL_ALG_DBTREE:
        if (op == COLL_ALLREDUCE)
            return dbtree_allreduce_time(p, n, coll_chunks(prm, n / 2), a);
        return dbtree_broadcast_time(p, n, coll_chunks(prm, n / 2), a);
    case COLL_ALG_HIER: {
        double L = prm->local, G = P / L, ai = st->lat_intra_s, ao = st->lat_inter_s;
        double inner = (L - 1) * (ai + n / (L * BW)), outer = (G - 1) * (ao + n / (P * BW));
        if (op == COLL_ALLREDUCE)
            return 2 * inner + 2 * outer;
        if (op == COLL_ALLTOALL)
            return inner + (G - 1) * (ao + n / (G * BW));
        return inner + outer;
    }
    default:
        return -1.0;
    }
}

/* Every (op, alg) pair the library builds. */
typedef struct combo {
    coll_op op;
    coll_alg alg;
} combo;

static const combo combos[] = {
    {COLL_ALLREDUCE, COLL_ALG_RING},      {COLL_ALLREDUCE, COLL_ALG_DBTREE},  {COLL_ALLREDUCE, COLL_ALG_RHD},
    {COLL_ALLREDUCE, COLL_ALG_HIER},      {COLL_ALLGATHER, COLL_ALG_RING},    {COLL_ALLGATHER, COLL_ALG_RHD},
    {COLL_ALLGATHER, COLL_ALG_HIER},      {COLL_REDUCESCATTER, COLL_ALG_RING}, {COLL_REDUCESCATTER, COLL_ALG_RHD},
    {COLL_REDUCESCATTER, COLL_ALG_HIER},  {COLL_ALLTOALL, COLL_ALG_DIRECT},   {COLL_ALLTOALL, COLL_ALG_PAIRWISE},
    {COLL_ALLTOALL, COLL_ALG_HIER},       {COLL_BROADCAST, COLL_ALG_RING},    {COLL_BROADCAST, COLL_ALG_DBTREE},
    {COLL_P2P, COLL_ALG_DIRECT},
};
#define NCOMBOS (sizeof combos / sizeof combos[0])

static coll_params params_for(coll_op op, int32_t p)
{
    coll_params prm = {.root = op == COLL_BROADCAST ? p / 2 : 0, .local = local_for(p), .chunks = 0};
    return prm;
}

/* ---- names ---- */

START_TEST(test_names_round_trip)
{
    for (int i = 0; i < COLL_OP__COUNT; i++) {
        coll_op op;
        ck_assert_int_eq(coll_op_parse(coll_op_name((coll_op)i), &op), 0);
        ck_assert_int_eq(op, i);
    }
    for (int i = 0; i < COLL_ALG__COUNT; i++) {
        coll_alg a;
        ck_assert_int_eq(coll_alg_parse(coll_alg_name((coll_alg)i), &a), 0);
        ck_assert_int_eq(a, i);
    }
    coll_op op;
    coll_alg a;
    ck_assert_int_eq(coll_op_parse("all-reduce", &op), -1);
    ck_assert_int_eq(coll_alg_parse("tree", &a), -1);
    ck_assert_str_eq(coll_op_name(COLL_REDUCESCATTER), "reducescatter");
    ck_assert_str_eq(coll_alg_name(COLL_ALG_DBTREE), "dbtree");
}
END_TEST

START_TEST(test_busbw_factors_follow_nccl_tests)
{
    ck_assert_double_eq_tol(coll_busbw_factor(COLL_ALLREDUCE, 8), 1.75, 1e-12);
    ck_assert_double_eq_tol(coll_busbw_factor(COLL_ALLGATHER, 8), 0.875, 1e-12);
    ck_assert_double_eq_tol(coll_busbw_factor(COLL_REDUCESCATTER, 4), 0.75, 1e-12);
    ck_assert_double_eq_tol(coll_busbw_factor(COLL_ALLTOALL, 2), 0.5, 1e-12);
    ck_assert_double_eq_tol(coll_busbw_factor(COLL_BROADCAST, 64), 1.0, 1e-12);
    ck_assert_double_eq_tol(coll_busbw_factor(COLL_P2P, 2), 1.0, 1e-12);
    ck_assert_double_eq_tol(coll_busbw_factor(COLL_ALLREDUCE, 1), 0.0, 1e-12);
}
END_TEST

/* ---- bytes per rank ---- */

/* Bytes rank R must send in S, derived per algorithm (docs/collectives.md, "Bytes per rank"). */
static double textbook_sent(const coll_sched *s, const coll_params *prm, int32_t r)
{
    double P = s->p, n = s->bytes;
    int32_t p = s->p;
    if (p == 1)
        return 0.0;
    switch (s->alg) {
    case COLL_ALG_RING:
        if (s->op == COLL_ALLREDUCE)
            return 2 * (P - 1) / P * n;
        if (s->op == COLL_BROADCAST) /* every chain position but the last forwards all n */
            return r == (prm->root + p - 1) % p ? 0.0 : n;
        return (P - 1) / P * n;
    case COLL_ALG_PAIRWISE:
    case COLL_ALG_DIRECT:
        if (s->op == COLL_P2P)
            return r == 0 ? n : 0.0;
        return (P - 1) / P * n;
    case COLL_ALG_RHD: {
        rhd_fold f = fold_of(p);
        bool extra = r < 2 * f.r && r % 2 == 0, partner = r < 2 * f.r && r % 2 == 1;
        if (s->op == COLL_ALLREDUCE) {
            /* power-of-two core 2(p'-1)/p' n; the fold adds n for the partner (result back) and
             * leaves the extra rank with n (its input in) */
            double core = 2.0 * (f.p2 - 1) / f.p2 * n;
            return extra ? n : core + (partner ? n : 0.0);
        }
        if (f.r == 0)
            return (P - 1) / P * n;
        if (extra) /* all-gather: its block in; reduce-scatter: its whole input in */
            return s->op == COLL_ALLGATHER ? n / P : n;
        return -1.0; /* the others depend on the block weights; checked by totals */
    }
    case COLL_ALG_HIER: {
        double L = prm->local, G = P / L;
        if (s->op == COLL_ALLREDUCE)
            return 2 * (P - 1) / P * n;
        if (s->op == COLL_ALLTOALL) /* two hops: (L-1) n/L inside + (G-1) n/G across */
            return (L - 1) / L * n + (G - 1) / G * n;
        return (P - 1) / P * n;
    }
    case COLL_ALG_DBTREE:
        return -1.0; /* shape-dependent per rank; checked by totals and symmetry */
    default:
        return -2.0;
    }
}

/* Group totals: what all ranks send together. */
static double textbook_total(const coll_sched *s, const coll_params *prm)
{
    double P = s->p, n = s->bytes;
    (void)prm;
    if (s->p == 1)
        return 0.0;
    if (s->alg == COLL_ALG_DBTREE) /* each of the p-1 tree edges carries n/2 up and n/2 down per tree */
        return s->op == COLL_ALLREDUCE ? 2 * (P - 1) * n : (P - 1) * n;
    if (s->alg == COLL_ALG_RHD && s->op != COLL_ALLREDUCE) {
        rhd_fold f = fold_of(s->p);
        double core = (f.p2 - 1) * n; /* a doubling/halving step at distance d moves d n in all */
        if (s->op == COLL_ALLGATHER)
            return f.r * n / P + core + f.r * (P - 1) / P * n;
        return f.r * n + core + f.r * n / P;
    }
    double sum = 0.0;
    for (int32_t r = 0; r < s->p; r++)
        sum += textbook_sent(s, prm, r);
    return sum;
}

START_TEST(test_bytes_per_rank_match_textbook_totals)
{
    for (size_t c = 0; c < NCOMBOS; c++)
        for (size_t i = 0; i < NSIZES; i++) {
            int32_t p = group_sizes[i];
            if (combos[c].op == COLL_P2P && p < 2)
                continue;
            double n = 3.0 * MIB;
            coll_params prm = params_for(combos[c].op, p);
            coll_sched s;
            build_ok(combos[c].op, combos[c].alg, p, n, &prm, &s);
            double total = 0.0, *recv = bytes_received(&s);
            for (int32_t r = 0; r < p; r++) {
                double sent = coll_sched_bytes_sent(&s, r), want = textbook_sent(&s, &prm, r);
                total += sent;
                if (want >= 0.0)
                    expect_close(sent, want, 1e-9, "bytes sent by a rank", &s);
                if (s.op == COLL_ALLGATHER) /* every rank receives all blocks but its own, once */
                    expect_close(recv[r], (p - 1.0) / p * n, 1e-9, "all-gather bytes received", &s);
                if (s.op == COLL_ALLREDUCE && s.alg == COLL_ALG_DBTREE) /* up n/2 per child, down n/2 per child */
                    expect_close(recv[r], sent, 1e-9, "dbtree sent == received", &s);
                if (s.op == COLL_BROADCAST) /* every rank but the root receives n exactly once */
                    expect_close(recv[r], r == prm.root ? 0.0 : n, 1e-9, "broadcast bytes received", &s);
            }
            expect_close(total, textbook_total(&s, &prm), 1e-9, "bytes sent by the group", &s);
            free(recv);
            coll_sched_free(&s);
        }
}
END_TEST

/* ---- schedule validity ---- */

static void check_valid(const coll_sched *s)
{
    size_t next = 0;
    double sent = 0.0, recvd = 0.0;
    for (size_t k = 0; k < s->nsteps; k++) {
        const coll_step *st = &s->steps[k];
        CHECK(st->first == next && st->count > 0 && st->repeat >= 1, "%s/%s p=%d: step %zu malformed",
                      coll_op_name(s->op), coll_alg_name(s->alg), (int)s->p, k);
        next = st->first + st->count;
        for (size_t x = st->first; x < next; x++) {
            const coll_xfer *t = &s->xfers[x];
            CHECK(t->src != t->dst && t->src >= 0 && t->dst >= 0 && t->src < s->p && t->dst < s->p,
                          "%s/%s p=%d: bad transfer %d -> %d", coll_op_name(s->op), coll_alg_name(s->alg),
                          (int)s->p, (int)t->src, (int)t->dst);
            CHECK(t->bytes > 0.0, "%s/%s p=%d: empty transfer", coll_op_name(s->op), coll_alg_name(s->alg),
                          (int)s->p);
            if (x > st->first) {
                const coll_xfer *u = &s->xfers[x - 1];
                CHECK(u->src < t->src || (u->src == t->src && u->dst < t->dst),
                              "%s/%s p=%d: step %zu not sorted by (src, dst)", coll_op_name(s->op),
                              coll_alg_name(s->alg), (int)s->p, k);
            }
            sent += t->bytes * st->repeat;
        }
        if (k > 0 && s->steps[k - 1].count == st->count) {
            bool same = true;
            for (size_t i = 0; i < st->count && same; i++) {
                const coll_xfer *u = &s->xfers[s->steps[k - 1].first + i], *t = &s->xfers[st->first + i];
                same = u->src == t->src && u->dst == t->dst && u->bytes == t->bytes;
            }
            CHECK(!same, "%s/%s p=%d: steps %zu and %zu identical but not merged", coll_op_name(s->op),
                          coll_alg_name(s->alg), (int)s->p, k - 1, k);
        }
    }
    ck_assert_uint_eq(next, s->nxfers);
    double *recv = bytes_received(s);
    for (int32_t r = 0; r < s->p; r++)
        recvd += recv[r];
    free(recv);
    expect_close(sent, recvd, 1e-12, "group sends == group receives", s);
}

/* A broadcast rank forwards nothing it has not received in an earlier step. */
static void check_broadcast_causal(const coll_sched *s, int32_t root)
{
    double *got = calloc((size_t)s->p, sizeof *got), *fwd = calloc((size_t)s->p * (size_t)s->p, sizeof *fwd);
    ck_assert_ptr_nonnull(got);
    ck_assert_ptr_nonnull(fwd);
    for (size_t k = 0; k < s->nsteps; k++)
        for (uint32_t rep = 0; rep < s->steps[k].repeat; rep++) {
            const coll_step *st = &s->steps[k];
            for (size_t x = st->first; x < st->first + st->count; x++) {
                const coll_xfer *t = &s->xfers[x];
                double *f = &fwd[(size_t)t->src * (size_t)s->p + (size_t)t->dst];
                *f += t->bytes;
                if (t->src != root)
                    CHECK(*f <= got[t->src] * (1 + 1e-12), "%s/%s p=%d: rank %d forwards data it lacks",
                                  coll_op_name(s->op), coll_alg_name(s->alg), (int)s->p, (int)t->src);
            }
            for (size_t x = st->first; x < st->first + st->count; x++)
                got[s->xfers[x].dst] += s->xfers[x].bytes;
        }
    free(got);
    free(fwd);
}

START_TEST(test_schedules_are_well_formed)
{
    for (size_t c = 0; c < NCOMBOS; c++)
        for (size_t i = 0; i < NSIZES; i++)
            for (size_t m = 0; m < NMSGS; m++) {
                int32_t p = group_sizes[i];
                coll_params prm = params_for(combos[c].op, p);
                coll_sched s;
                build_ok(combos[c].op, combos[c].alg, p, msg_sizes[m], &prm, &s);
                ck_assert_int_eq(s.op, combos[c].op);
                ck_assert_int_eq(s.alg, combos[c].alg);
                if (p == 1)
                    ck_assert_uint_eq(s.nsteps, 0);
                check_valid(&s);
                if (s.op == COLL_BROADCAST)
                    check_broadcast_causal(&s, prm.root);
                coll_sched_free(&s);
            }
}
END_TEST

START_TEST(test_double_binary_trees_are_complementary)
{
    for (int32_t n = 1; n <= 300; n++) {
        int32_t *nchild[2];
        for (int t = 0; t < 2; t++) {
            nchild[t] = calloc((size_t)n, sizeof *nchild[t]);
            ck_assert_ptr_nonnull(nchild[t]);
            int32_t roots = 0, depth = 0;
            for (int32_t r = 0; r < n; r++) {
                int32_t role = coll_dtree_role(n, t, r), up, ch[2];
                CHECK(coll_dtree_rank(n, t, role) == r, "n=%d: role of rank %d does not map back", (int)n, (int)r);
                coll_btree_node(n, role, &up, ch);
                roots += up < 0;
                for (int i = 0; i < 2; i++)
                    if (ch[i] >= 0) {
                        int32_t cu, cc[2];
                        coll_btree_node(n, ch[i], &cu, cc);
                        CHECK(cu == role, "n=%d: child %d of %d names parent %d", (int)n, (int)ch[i],
                                      (int)role, (int)cu);
                        nchild[t][r]++;
                    }
                int32_t d = 0;
                for (int32_t x = role; x != 0; d++) {
                    int32_t cc[2];
                    coll_btree_node(n, x, &x, cc);
                    CHECK(d <= 40, "n=%d: no root above %d", (int)n, (int)role);
                }
                if (d > depth)
                    depth = d;
            }
            ck_assert_int_eq(roots, 1);
            ck_assert_int_eq(depth, ceil_log2(n));
        }
        /* internal in at most one tree; for odd n rank 0 has one child in each */
        for (int32_t r = 0; r < n; r++)
            if (nchild[0][r] > 0 && nchild[1][r] > 0)
                CHECK(n % 2 == 1 && r == 0 && nchild[0][r] == 1 && nchild[1][r] == 1,
                              "n=%d: rank %d internal in both trees", (int)n, (int)r);
        free(nchild[0]);
        free(nchild[1]);
    }
}
END_TEST

/* ---- analytic time against closed forms ---- */

START_TEST(test_analytic_time_matches_closed_forms)
{
    static const int32_t ps[] = {2, 3, 5, 8, 12, 64, 96, 128};
    for (size_t c = 0; c < NCOMBOS; c++)
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
            for (size_t m = 0; m < NMSGS; m++)
                for (uint32_t chunks = 0; chunks <= 8; chunks += 8) {
                    int32_t p = ps[i];
                    coll_params prm = params_for(combos[c].op, p);
                    prm.chunks = chunks;
                    star st = {ALPHA, ALPHA, 0};
                    if (combos[c].alg == COLL_ALG_HIER)
                        st = (star){200e-9, 1.5e-6, prm.local};
                    coll_sched s;
                    build_ok(combos[c].op, combos[c].alg, p, msg_sizes[m], &prm, &s);
                    double t = star_time(&s, &st);
                    expect_close(t, closed_form(s.op, s.alg, p, msg_sizes[m], &prm, &st), 1e-3, "analytic time", &s);
                    coll_sched_free(&s);
                }
}
END_TEST

START_TEST(test_dbtree_closed_form_holds_for_every_shape)
{
    star st = {ALPHA, ALPHA, 0};
    static const uint32_t Cs[] = {1, 2, 3, 5, 8, 13};
    for (int32_t p = 2; p <= 160; p++)
        for (size_t j = 0; j < sizeof Cs / sizeof Cs[0]; j++) {
            coll_params prm = {.root = p - 1, .local = 0, .chunks = Cs[j]};
            coll_sched s;
            build_ok(COLL_ALLREDUCE, COLL_ALG_DBTREE, p, MIB, &prm, &s);
            expect_close(star_time(&s, &st), dbtree_allreduce_time(p, MIB, Cs[j], ALPHA), 1e-9, "dbtree all-reduce", &s);
            coll_sched_free(&s);
            build_ok(COLL_BROADCAST, COLL_ALG_DBTREE, p, MIB, &prm, &s);
            expect_close(star_time(&s, &st), dbtree_broadcast_time(p, MIB, Cs[j], ALPHA), 1e-9, "dbtree broadcast", &s);
            coll_sched_free(&s);
        }
}
END_TEST

START_TEST(test_chain_broadcast_closed_form_for_any_chunks)
{
    star st = {ALPHA, ALPHA, 0};
    for (int32_t p = 2; p <= 40; p += 3)
        for (uint32_t C = 1; C <= 50; C += 7) {
            coll_params prm = {.root = p / 3, .local = 0, .chunks = C};
            coll_sched s;
            build_ok(COLL_BROADCAST, COLL_ALG_RING, p, GIB, &prm, &s);
            expect_close(star_time(&s, &st), (C + p - 2) * (ALPHA + GIB / (C * BW)), 1e-9, "chain broadcast", &s);
            coll_sched_free(&s);
        }
}
END_TEST

/* ---- congestion and the pricing rule ---- */

static coll_sched hand_sched(coll_xfer *xs, size_t nx, coll_step *steps, size_t ns)
{
    coll_sched s = {.op = COLL_ALLTOALL, .alg = COLL_ALG_DIRECT, .p = 4, .bytes = 0.0};
    s.steps = steps;
    s.nsteps = s.cap_steps = ns;
    s.xfers = xs;
    s.nxfers = s.cap_xfers = nx;
    return s;
}

START_TEST(test_two_transfers_sharing_a_link_take_twice_as_long)
{
    star st = {ALPHA, ALPHA, 0};
    double b = 8 * MIB;
    coll_xfer xs[] = {{0, 2, b}, {1, 2, b}};                /* both cross down link of rank 2 */
    coll_step one[] = {{0, 1, 1}}, both[] = {{0, 2, 1}}, rep[] = {{0, 2, 3}};
    coll_sched s1 = hand_sched(xs, 2, one, 1), s2 = hand_sched(xs, 2, both, 1), s3 = hand_sched(xs, 2, rep, 1);
    double t1 = star_time(&s1, &st), t2 = star_time(&s2, &st), t3 = star_time(&s3, &st);
    ck_assert_double_eq_tol(t1, ALPHA + b / BW, 1e-15);
    ck_assert_double_eq_tol(t2, ALPHA + 2 * b / BW, 1e-15);
    ck_assert_double_eq_tol(t2 - ALPHA, 2 * (t1 - ALPHA), 1e-15);
    ck_assert_double_eq_tol(t3, 3 * t2, 1e-15);
    coll_xfer fan[] = {{0, 1, b}, {0, 2, b}, {3, 2, b / 4}}; /* up link of 0 carries 2b */
    coll_step fs[] = {{0, 3, 1}};
    coll_sched s4 = hand_sched(fan, 3, fs, 1);
    ck_assert_double_eq_tol(star_time(&s4, &st), ALPHA + 2 * b / BW, 1e-15);
}
END_TEST

static int failing_route(void *ctx, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    (void)ctx;
    (void)src;
    (void)dst;
    (void)links;
    (void)cap;
    *lat_s = 0.0;
    return -1;
}

START_TEST(test_analytic_time_reports_routing_errors)
{
    coll_sched s;
    build_ok(COLL_ALLREDUCE, COLL_ALG_RING, 4, MIB, NULL, &s);
    double bw[8] = {BW, BW, BW, BW, BW, BW, BW, BW};
    star st = {ALPHA, ALPHA, 0};
    ck_assert_double_eq(coll_analytic_time(&s, failing_route, NULL, bw, 8), -1.0);
    ck_assert_double_eq(coll_analytic_time(&s, star_route, &st, bw, 7), -1.0); /* link 7 out of range */
    bw[3] = 0.0;
    ck_assert_double_eq(coll_analytic_time(&s, star_route, &st, bw, 8), -1.0);
    coll_sched_free(&s);
    coll_sched e;
    build_ok(COLL_ALLREDUCE, COLL_ALG_RING, 4, 0.0, NULL, &e);
    ck_assert_uint_eq(e.nsteps, 0);
    ck_assert_double_eq(coll_analytic_time(&e, star_route, &st, bw, 8), 0.0);
    coll_sched_free(&e);
}
END_TEST

/* ---- scale ---- */

START_TEST(test_ring_allreduce_at_16384_ranks_is_one_repeated_step)
{
    int32_t p = 16384;
    coll_sched s;
    build_ok(COLL_ALLREDUCE, COLL_ALG_RING, p, GIB, NULL, &s);
    ck_assert_uint_eq(s.nxfers, (size_t)p);
    ck_assert_uint_eq(s.nsteps, 1);
    ck_assert_uint_eq(s.steps[0].repeat, 2u * (uint32_t)(p - 1));
    star st = {ALPHA, ALPHA, 0};
    expect_close(star_time(&s, &st), 2.0 * (p - 1) * ALPHA + 2.0 * (p - 1) / p * GIB / BW, 1e-3, "ring at scale", &s);
    expect_close(coll_sched_bytes_sent(&s, 12345), 2.0 * (p - 1) / p * GIB, 1e-12, "bytes at scale", &s);
    coll_sched_free(&s);
}
END_TEST

START_TEST(test_other_algorithms_stay_small_at_16384_ranks)
{
    int32_t p = 16384;
    coll_params prm = {.root = 0, .local = 128, .chunks = 8};
    coll_sched s;
    build_ok(COLL_ALLREDUCE, COLL_ALG_RHD, p, GIB, &prm, &s);
    ck_assert_uint_le(s.nxfers, 2 * 14 * (size_t)p);
    coll_sched_free(&s);
    build_ok(COLL_ALLREDUCE, COLL_ALG_DBTREE, p, GIB, &prm, &s);
    ck_assert_uint_le(s.nxfers, 4 * 8 * (size_t)p);
    coll_sched_free(&s);
    build_ok(COLL_ALLREDUCE, COLL_ALG_HIER, p, GIB, &prm, &s);
    ck_assert_uint_le(s.nxfers, 3 * (size_t)p);
    coll_sched_free(&s);
    build_ok(COLL_ALLTOALL, COLL_ALG_HIER, p, GIB, &prm, &s);
    ck_assert_uint_eq(s.nxfers, (size_t)p * (128 + 128 - 2));
    coll_sched_free(&s);
    build_ok(COLL_BROADCAST, COLL_ALG_RING, p, GIB, &prm, &s);
    ck_assert_uint_le(s.nxfers, 8 * (size_t)p);
    coll_sched_free(&s);
    diag_t err = {{0}};
    ck_assert_int_eq(coll_build(COLL_ALLTOALL, COLL_ALG_PAIRWISE, p, GIB, &prm, &s, &err), -1);
    ck_assert_str_eq(err.msg, "alltoall/pairwise at p=16384 needs 268419072 transfers, more than the 16777216 a "
                              "schedule may hold; use 'hier' with a local group size");
    ck_assert_ptr_null(s.xfers);
    ck_assert_int_eq(coll_choose(COLL_ALLTOALL, p, GIB, &prm), COLL_ALG_HIER);
}
END_TEST

/* ---- auto rule and errors ---- */

START_TEST(test_auto_rule_picks_like_nccl)
{
    coll_params flat = {.root = 0}, nodes = {.local = 8};
    ck_assert_int_eq(coll_choose(COLL_ALLREDUCE, 64, 1 * MIB, &flat), COLL_ALG_DBTREE); /* 16 KiB/rank */
    ck_assert_int_eq(coll_choose(COLL_ALLREDUCE, 64, 1 * GIB, &flat), COLL_ALG_RING);
    ck_assert_int_eq(coll_choose(COLL_ALLREDUCE, 64, 1 * GIB, &nodes), COLL_ALG_HIER);
    ck_assert_int_eq(coll_choose(COLL_ALLREDUCE, 8, 1 * GIB, &nodes), COLL_ALG_RING); /* p == local */
    ck_assert_int_eq(coll_choose(COLL_ALLREDUCE, 2, 1 * KIB, NULL), COLL_ALG_RING);
    ck_assert_int_eq(coll_choose(COLL_ALLGATHER, 64, 1 * MIB, NULL), COLL_ALG_RHD);
    ck_assert_int_eq(coll_choose(COLL_ALLGATHER, 96, 1 * MIB, NULL), COLL_ALG_RING);
    ck_assert_int_eq(coll_choose(COLL_REDUCESCATTER, 64, 1 * GIB, NULL), COLL_ALG_RING);
    ck_assert_int_eq(coll_choose(COLL_ALLTOALL, 64, 1 * GIB, &nodes), COLL_ALG_PAIRWISE);
    ck_assert_int_eq(coll_choose(COLL_BROADCAST, 64, 1 * KIB, NULL), COLL_ALG_DBTREE);
    ck_assert_int_eq(coll_choose(COLL_BROADCAST, 64, 1 * GIB, NULL), COLL_ALG_RING);
    ck_assert_int_eq(coll_choose(COLL_P2P, 2, 1 * GIB, NULL), COLL_ALG_DIRECT);
    coll_sched s;
    build_ok(COLL_ALLREDUCE, COLL_ALG_AUTO, 64, 1 * GIB, &nodes, &s);
    ck_assert_int_eq(s.alg, COLL_ALG_HIER);
    coll_sched_free(&s);
    build_ok(COLL_P2P, COLL_ALG_RING, 2, 1 * MIB, NULL, &s); /* p2p takes any algorithm */
    ck_assert_int_eq(s.alg, COLL_ALG_DIRECT);
    ck_assert_uint_eq(s.nxfers, 1);
    coll_sched_free(&s);
}
END_TEST

START_TEST(test_bad_requests_fail_with_a_message)
{
    static const struct {
        coll_op op;
        coll_alg alg;
        int32_t p;
        double bytes;
        coll_params prm;
        const char *msg;
    } cases[] = {
        {COLL_ALLTOALL, COLL_ALG_RING, 8, MIB, {.root = 0}, "alltoall: algorithm 'ring' cannot do this operation"},
        {COLL_ALLGATHER, COLL_ALG_DBTREE, 8, MIB, {.root = 0}, "allgather: algorithm 'dbtree' cannot do this operation"},
        {COLL_BROADCAST, COLL_ALG_RHD, 8, MIB, {.root = 0}, "broadcast: algorithm 'rhd' cannot do this operation"},
        {COLL_ALLREDUCE, COLL_ALG_HIER, 12, MIB, {.local = 5},
         "allreduce: algorithm 'hier' needs a local group size dividing 12 (got 5)"},
        {COLL_ALLREDUCE, COLL_ALG_HIER, 12, MIB, {.root = 0},
         "allreduce: algorithm 'hier' needs a local group size dividing 12 (got 0)"},
        {COLL_BROADCAST, COLL_ALG_RING, 4, MIB, {.root = 4}, "broadcast: root 4 is not a rank of a group of 4"},
        {COLL_ALLREDUCE, COLL_ALG_RING, 0, MIB, {.root = 0}, "allreduce: group size 0 must be at least 1"},
        {COLL_ALLREDUCE, COLL_ALG_RING, 4, -1.0, {.root = 0}, "allreduce: message size -1 bytes must be finite and >= 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        coll_sched s;
        diag_t err = {{0}};
        ck_assert_int_eq(coll_build(cases[i].op, cases[i].alg, cases[i].p, cases[i].bytes, &cases[i].prm, &s, &err), -1);
        ck_assert_str_eq(err.msg, cases[i].msg);
        ck_assert_uint_eq(s.nsteps, 0);
        ck_assert_ptr_null(s.steps);
        coll_sched_free(&s);
    }
}
END_TEST

/* ---- closed forms in the library, multi-plane striping ---- */

/* The star of ALPHA/BW as the library's alpha-beta network (hier: the star's two latencies). */
static coll_ab ab_of(const star *st)
{
    coll_ab net = {st->lat_intra_s, BW, st->lat_inter_s, BW};
    return net;
}

START_TEST(test_library_closed_forms_match_priced_schedules)
{
    static const int32_t ps[] = {2, 3, 5, 8, 12, 64, 96};
    for (size_t c = 0; c < NCOMBOS; c++)
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
            for (size_t m = 0; m < NMSGS; m++) {
                int32_t p = ps[i];
                coll_params prm = params_for(combos[c].op, p);
                star st = {ALPHA, ALPHA, 0};
                if (combos[c].alg == COLL_ALG_HIER)
                    st = (star){200e-9, 1.5e-6, prm.local};
                coll_ab net = ab_of(&st);
                coll_sched s;
                build_ok(combos[c].op, combos[c].alg, p, msg_sizes[m], &prm, &s);
                double lib = coll_closed_form_time(s.op, combos[c].alg, p, msg_sizes[m], &prm, &net);
                expect_close(lib, star_time(&s, &st), 1e-9, "library closed form vs priced schedule", &s);
                expect_close(lib, closed_form(s.op, s.alg, p, msg_sizes[m], &prm, &st), 1e-9,
                             "library closed form vs the suite's", &s);
                coll_sched_free(&s);
            }
}
END_TEST

/* Bases multiplane is checked with, per operation. */
static const combo plane_combos[] = {
    {COLL_ALLREDUCE, COLL_ALG_RING},     {COLL_ALLREDUCE, COLL_ALG_DBTREE},  {COLL_ALLREDUCE, COLL_ALG_RHD},
    {COLL_ALLREDUCE, COLL_ALG_HIER},     {COLL_ALLGATHER, COLL_ALG_RING},    {COLL_ALLGATHER, COLL_ALG_RHD},
    {COLL_REDUCESCATTER, COLL_ALG_RING}, {COLL_REDUCESCATTER, COLL_ALG_HIER}, {COLL_ALLTOALL, COLL_ALG_PAIRWISE},
    {COLL_ALLTOALL, COLL_ALG_DIRECT},    {COLL_BROADCAST, COLL_ALG_RING},    {COLL_BROADCAST, COLL_ALG_DBTREE},
    {COLL_P2P, COLL_ALG_DIRECT},
};
#define NPLANE_COMBOS (sizeof plane_combos / sizeof plane_combos[0])

/* The base's closed form for the whole message with the pipeline chunks of one plane's share:
 * P sub-collectives of n/P on 1/P of the bandwidth take the latency terms of one and the
 * bandwidth terms of the whole message, cut into the chunks one plane's pipeline uses. */
static double multiplane_expected(coll_op op, coll_alg base, int32_t p, double n, uint32_t planes,
                                  const coll_params *prm, const star *st)
{
    coll_params fixed = *prm;
    double share = n / planes;
    if (base == COLL_ALG_DBTREE)
        fixed.chunks = coll_chunks(NULL, share / 2);
    else if (base == COLL_ALG_RING && op == COLL_BROADCAST)
        fixed.chunks = coll_chunks(NULL, share);
    return closed_form(op, base, p, n, &fixed, st);
}

/* A star whose ranks have PLANES separate plane ports: plane k of rank r has up link
 * 2(rP+k) and down link 2(rP+k)+1, each of bandwidth BW/PLANES. An unstriped transfer is pinned
 * to plane src mod PLANES (one connection, one plane). */
typedef struct plane_star {
    star base;
    int32_t planes;
} plane_star;

static int plane_route(void *ctx, int32_t src, int32_t dst, int32_t plane, double *lat_s, uint32_t *links,
                       size_t cap)
{
    const plane_star *ps = ctx;
    if (cap < 2 || plane >= ps->planes)
        return -1;
    int32_t k = plane >= 0 ? plane : src % ps->planes;
    bool same = ps->base.local <= 0 || src / ps->base.local == dst / ps->base.local;
    *lat_s = same ? ps->base.lat_intra_s : ps->base.lat_inter_s;
    links[0] = 2u * (uint32_t)(src * ps->planes + k);
    links[1] = 2u * (uint32_t)(dst * ps->planes + k) + 1u;
    return 2;
}

static double plane_star_time(const coll_sched *s, const plane_star *ps)
{
    size_t nl = 2 * (size_t)s->p * (size_t)ps->planes;
    double *bw = malloc(nl * sizeof *bw);
    ck_assert_ptr_nonnull(bw);
    for (size_t i = 0; i < nl; i++)
        bw[i] = BW / ps->planes;
    double t = coll_analytic_time_planes(s, plane_route, (void *)ps, bw, nl);
    free(bw);
    return t;
}

static coll_params plane_params(coll_op op, int32_t p, uint32_t planes, coll_alg base)
{
    coll_params prm = params_for(op, p);
    prm.planes = planes;
    prm.plane_alg = base;
    return prm;
}

START_TEST(test_multiplane_closed_form_on_bundled_and_separate_planes)
{
    static const int32_t ps[] = {2, 5, 8, 12, 64};
    static const uint32_t planes[] = {1, 2, 4, 7};
    for (size_t c = 0; c < NPLANE_COMBOS; c++)
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++)
            for (size_t j = 0; j < sizeof planes / sizeof planes[0]; j++)
                for (size_t m = 0; m < NMSGS; m++) {
                    int32_t p = ps[i];
                    uint32_t P = planes[j];
                    double n = msg_sizes[m];
                    coll_params prm = plane_params(plane_combos[c].op, p, P, plane_combos[c].alg);
                    star st = {ALPHA, ALPHA, 0};
                    if (plane_combos[c].alg == COLL_ALG_HIER)
                        st = (star){200e-9, 1.5e-6, prm.local};
                    coll_sched s;
                    build_ok(plane_combos[c].op, COLL_ALG_MULTIPLANE, p, n, &prm, &s);
                    ck_assert_int_eq(s.alg, COLL_ALG_MULTIPLANE);
                    ck_assert_int_eq(s.base, plane_combos[c].alg);
                    ck_assert_uint_eq(s.stripes, P);
                    double want = multiplane_expected(s.op, s.base, p, n, P, &prm, &st);
                    /* bundled planes: one port of B per rank, a transfer uses every plane */
                    expect_close(star_time(&s, &st), want, 1e-9, "multiplane on bundled planes", &s);
                    /* separate planes of B/P each: the P stripes together get B */
                    plane_star pst = {st, (int32_t)P};
                    expect_close(plane_star_time(&s, &pst), want, 1e-9, "multiplane on separate planes", &s);
                    coll_ab net = ab_of(&st);
                    expect_close(coll_closed_form_time(s.op, COLL_ALG_MULTIPLANE, p, n, &prm, &net), want, 1e-9,
                                 "library closed form of multiplane", &s);
                    coll_sched_free(&s);
                }
}
END_TEST

START_TEST(test_unstriped_algorithm_gets_one_plane_of_separate_planes)
{
    /* ring and pairwise: every rank sends one and receives one transfer per step, so pinned to
     * one plane of B/P they take their closed form with B/P; multiplane gets B back. */
    static const combo cs[] = {{COLL_ALLREDUCE, COLL_ALG_RING}, {COLL_ALLGATHER, COLL_ALG_RING},
                               {COLL_ALLTOALL, COLL_ALG_PAIRWISE}};
    for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++)
        for (int32_t p = 2; p <= 16; p += 7)
            for (int32_t P = 1; P <= 8; P *= 2) {
                star st = {ALPHA, ALPHA, 0};
                plane_star pst = {st, P};
                coll_sched s;
                build_ok(cs[c].op, cs[c].alg, p, GIB, NULL, &s);
                double one_plane = (closed_form(cs[c].op, cs[c].alg, p, GIB, NULL, &st) -
                                    closed_form(cs[c].op, cs[c].alg, p, 0.0, NULL, &st)) *
                                       P +
                                   closed_form(cs[c].op, cs[c].alg, p, 0.0, NULL, &st);
                expect_close(plane_star_time(&s, &pst), one_plane, 1e-9, "unstriped on one plane", &s);
                coll_sched_free(&s);
                coll_params prm = plane_params(cs[c].op, p, (uint32_t)P, cs[c].alg);
                build_ok(cs[c].op, COLL_ALG_MULTIPLANE, p, GIB, &prm, &s);
                expect_close(plane_star_time(&s, &pst), closed_form(cs[c].op, cs[c].alg, p, GIB, NULL, &st), 1e-9,
                             "multiplane on every plane", &s);
                if (P > 1)
                    CHECK(plane_star_time(&s, &pst) < one_plane, "p=%d P=%d: striping is not faster", (int)p, (int)P);
                coll_sched_free(&s);
            }
}
END_TEST

START_TEST(test_multiplane_moves_the_base_bytes_and_is_well_formed)
{
    for (size_t c = 0; c < NPLANE_COMBOS; c++)
        for (size_t i = 0; i < NSIZES; i++) {
            int32_t p = group_sizes[i];
            if (plane_combos[c].op == COLL_P2P && p < 2)
                continue;
            coll_params base_prm = params_for(plane_combos[c].op, p);
            coll_params prm = plane_params(plane_combos[c].op, p, 4, plane_combos[c].alg);
            coll_sched s, b;
            build_ok(plane_combos[c].op, COLL_ALG_MULTIPLANE, p, 3.0 * MIB, &prm, &s);
            build_ok(plane_combos[c].op, plane_combos[c].alg, p, 3.0 * MIB, &base_prm, &b);
            check_valid(&s);
            if (s.op == COLL_BROADCAST)
                check_broadcast_causal(&s, prm.root);
            for (int32_t r = 0; r < p; r++)
                expect_close(coll_sched_bytes_sent(&s, r), coll_sched_bytes_sent(&b, r), 1e-9,
                             "multiplane sends what its base sends", &s);
            coll_sched_free(&s);
            coll_sched_free(&b);
        }
}
END_TEST

START_TEST(test_auto_picks_multiplane_for_large_shares_on_planes)
{
    coll_params planes = {.root = 0, .local = 0, .chunks = 0, .planes = 4, .plane_alg = COLL_ALG_AUTO};
    static const struct {
        coll_op op;
        int32_t p;
        double bytes;
        coll_alg want;
    } cases[] = {
        {COLL_ALLREDUCE, 8, 1 * GIB, COLL_ALG_MULTIPLANE},  /* 32 MiB per plane per rank */
        {COLL_ALLREDUCE, 8, 1 * MIB, COLL_ALG_RING},        /* 32 KiB per plane per rank: as without planes */
        {COLL_ALLREDUCE, 8, 2 * MIB, COLL_ALG_MULTIPLANE},  /* exactly 64 KiB */
        {COLL_ALLGATHER, 64, 1 * MIB, COLL_ALG_RHD},
        {COLL_ALLTOALL, 8, 1 * GIB, COLL_ALG_MULTIPLANE},
        {COLL_P2P, 2, 256 * KIB, COLL_ALG_MULTIPLANE},      /* p2p: n/planes = 64 KiB */
        {COLL_P2P, 2, 128 * KIB, COLL_ALG_DIRECT},
        {COLL_BROADCAST, 8, 1 * KIB, COLL_ALG_DBTREE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(coll_choose(cases[i].op, cases[i].p, cases[i].bytes, &planes) == cases[i].want,
                      "case %zu: %s p=%d n=%g chose %s, want %s", i, coll_op_name(cases[i].op), (int)cases[i].p,
                      cases[i].bytes, coll_alg_name(coll_choose(cases[i].op, cases[i].p, cases[i].bytes, &planes)),
                      coll_alg_name(cases[i].want));
    coll_params one = planes;
    one.planes = 1;
    ck_assert_int_eq(coll_choose(COLL_ALLREDUCE, 8, 1 * GIB, &one), COLL_ALG_RING);
    coll_sched s;
    build_ok(COLL_ALLREDUCE, COLL_ALG_AUTO, 8, 1 * GIB, &planes, &s);
    ck_assert_int_eq(s.alg, COLL_ALG_MULTIPLANE);
    ck_assert_int_eq(s.base, COLL_ALG_RING); /* the base is chosen for the 256 MiB share */
    ck_assert_uint_eq(s.stripes, 4);
    coll_sched_free(&s);
    build_ok(COLL_ALLREDUCE, COLL_ALG_RING, 8, 1 * GIB, &planes, &s); /* explicit algorithms stay */
    ck_assert_int_eq(s.alg, COLL_ALG_RING);
    ck_assert_int_eq(s.base, COLL_ALG_RING);
    ck_assert_uint_eq(s.stripes, 1);
    coll_sched_free(&s);
}
END_TEST

START_TEST(test_multiplane_bad_requests_fail_with_a_message)
{
    static const struct {
        coll_op op;
        uint32_t planes;
        coll_alg base;
        const char *msg;
    } cases[] = {
        {COLL_ALLREDUCE, 0, COLL_ALG_RING, "allreduce: algorithm 'multiplane' needs a number of planes >= 1 (got 0)"},
        {COLL_ALLREDUCE, 4, COLL_ALG_MULTIPLANE,
         "allreduce: algorithm 'multiplane' cannot stripe itself; give it a base algorithm"},
        {COLL_ALLTOALL, 4, COLL_ALG_RING, "alltoall: algorithm 'ring' cannot do this operation"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        coll_params prm = {.planes = cases[i].planes, .plane_alg = cases[i].base};
        coll_sched s;
        diag_t err = {{0}};
        ck_assert_int_eq(coll_build(cases[i].op, COLL_ALG_MULTIPLANE, 8, MIB, &prm, &s, &err), -1);
        ck_assert_str_eq(err.msg, cases[i].msg);
        ck_assert_ptr_null(s.xfers);
        coll_ab net = {ALPHA, BW, 0, 0};
        ck_assert_double_eq(coll_closed_form_time(cases[i].op, COLL_ALG_MULTIPLANE, 8, MIB, &prm, &net), -1.0);
    }
    diag_t err = {{0}};
    coll_sched s;
    ck_assert_int_eq(coll_build(COLL_ALLREDUCE, COLL_ALG_MULTIPLANE, 8, MIB, NULL, &s, &err), -1);
}
END_TEST

START_TEST(test_supported_pairs_and_refused_closed_forms_agree)
{
    coll_ab net = {ALPHA, BW, 0, 0};
    for (int op = 0; op < COLL_OP__COUNT; op++)
        for (int a = 0; a < COLL_ALG__COUNT; a++) {
            coll_params prm = {.root = 0, .local = 4, .chunks = 0, .planes = 2, .plane_alg = COLL_ALG_AUTO,
                               .torus_nd = 2, .torus_dim = {2, 4}};
            coll_sched s;
            diag_t err = {{0}};
            int built = coll_build((coll_op)op, (coll_alg)a, 8, MIB, &prm, &s, &err) == 0;
            CHECK(built == coll_alg_supports((coll_op)op, (coll_alg)a), "%s/%s: built %d but supports says %d",
                  coll_op_name((coll_op)op), coll_alg_name((coll_alg)a), built,
                  coll_alg_supports((coll_op)op, (coll_alg)a));
            double t = coll_closed_form_time((coll_op)op, (coll_alg)a, 8, MIB, &prm, &net);
            CHECK(built ? t > 0.0 : t == -1.0, "%s/%s: built %d, closed form %g", coll_op_name((coll_op)op),
                  coll_alg_name((coll_alg)a), built, t);
            if (built)
                coll_sched_free(&s);
        }
    ck_assert_double_eq(coll_closed_form_time(COLL_ALLREDUCE, COLL_ALG_RING, 8, MIB, NULL, &(coll_ab){ALPHA, 0, 0, 0}),
                        -1.0);
    ck_assert_double_eq(coll_closed_form_time(COLL_ALLREDUCE, COLL_ALG_HIER, 8, MIB, NULL, &net), -1.0);
    ck_assert_double_eq(coll_closed_form_time(COLL_ALLREDUCE, COLL_ALG_RING, 1, MIB, NULL, &net), 0.0);
}
END_TEST

START_TEST(test_tuned_auto_prices_nccl_like_candidates)
{
    /* one level: the star of the suite */
    coll_tune one_level = {.flat = {ALPHA, BW, 0, 0}, .hier = {0, 0, 0, 0}};
    coll_params flat = {.tune = &one_level};
    /* two levels, groups of 8: fast inside (0.5 us, 400 GB/s), slow across (2 us, 50 GB/s); the
     * whole-group figures are the worst of both */
    coll_tune two = {.flat = {2e-6, 50e9, 0, 0}, .hier = {0.5e-6, 400e9, 2e-6, 50e9}};
    coll_params lev = {.local = 8, .tune = &two};
    static const struct {
        coll_op op;
        int32_t p;
        double bytes;
        int levels;
        coll_alg want;
    } cases[] = {
        {COLL_ALLREDUCE, 8, 1 * KIB, 0, COLL_ALG_DBTREE},
        {COLL_ALLREDUCE, 8, 1 * GIB, 0, COLL_ALG_RING},
        {COLL_ALLREDUCE, 64, 1 * KIB, 1, COLL_ALG_DBTREE},
        {COLL_ALLREDUCE, 512, 16 * MIB, 1, COLL_ALG_HIER}, /* the threshold rule says dbtree */
        {COLL_ALLGATHER, 8, 1 * KIB, 0, COLL_ALG_RHD},
        {COLL_ALLGATHER, 64, 1 * GIB, 1, COLL_ALG_HIER},
        {COLL_ALLTOALL, 64, 1 * KIB, 1, COLL_ALG_HIER},
        {COLL_ALLTOALL, 8, 1 * GIB, 0, COLL_ALG_PAIRWISE},
        {COLL_BROADCAST, 64, 1 * KIB, 1, COLL_ALG_DBTREE},
        {COLL_P2P, 2, 1 * GIB, 0, COLL_ALG_DIRECT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const coll_params *prm = cases[i].levels ? &lev : &flat;
        coll_alg got = coll_choose(cases[i].op, cases[i].p, cases[i].bytes, prm);
        CHECK(got == cases[i].want, "case %zu: %s p=%d n=%g chose %s, want %s", i, coll_op_name(cases[i].op),
              (int)cases[i].p, cases[i].bytes, coll_alg_name(got), coll_alg_name(cases[i].want));
        /* the choice is the fastest candidate by the closed forms it was priced with */
        coll_params plain = *prm;
        plain.tune = NULL;
        const coll_tune *tn = prm->tune;
        double t = coll_closed_form_time(cases[i].op, got, cases[i].p, cases[i].bytes, &plain,
                                         got == COLL_ALG_HIER ? &tn->hier : &tn->flat);
        static const coll_alg others[] = {COLL_ALG_RING, COLL_ALG_DBTREE, COLL_ALG_HIER};
        for (size_t k = 0; k < 3 && cases[i].op == COLL_ALLREDUCE; k++) {
            double o = coll_closed_form_time(cases[i].op, others[k], cases[i].p, cases[i].bytes, &plain,
                                             others[k] == COLL_ALG_HIER ? &tn->hier : &tn->flat);
            CHECK(o < 0 || t <= o, "case %zu: %s (%g s) is slower than %s (%g s)", i, coll_alg_name(got), t,
                  coll_alg_name(others[k]), o);
        }
    }
    /* the threshold rule is kept without figures */
    coll_params none = {.local = 8};
    ck_assert_int_eq(coll_choose(COLL_ALLREDUCE, 512, 16 * MIB, &none), COLL_ALG_DBTREE);
    /* planes: multiplane's base is priced for its share on 1/planes of the bandwidth */
    coll_params striped = {.local = 8, .tune = &two, .planes = 4};
    coll_sched s;
    build_ok(COLL_ALLREDUCE, COLL_ALG_AUTO, 64, 1 * GIB, &striped, &s);
    ck_assert_int_eq(s.alg, COLL_ALG_MULTIPLANE);
    ck_assert_int_eq(s.base, COLL_ALG_HIER);
    coll_sched_free(&s);
}
END_TEST

static Suite *coll_suite(void)
{
    Suite *s = suite_create("coll");
    struct {
        const char *name;
        const TTest *fn;
    } cases[] = {
        {"names_round_trip", test_names_round_trip},
        {"busbw_factors_follow_nccl_tests", test_busbw_factors_follow_nccl_tests},
        {"bytes_per_rank_match_textbook_totals", test_bytes_per_rank_match_textbook_totals},
        {"schedules_are_well_formed", test_schedules_are_well_formed},
        {"double_binary_trees_are_complementary", test_double_binary_trees_are_complementary},
        {"analytic_time_matches_closed_forms", test_analytic_time_matches_closed_forms},
        {"dbtree_closed_form_holds_for_every_shape", test_dbtree_closed_form_holds_for_every_shape},
        {"chain_broadcast_closed_form_for_any_chunks", test_chain_broadcast_closed_form_for_any_chunks},
        {"two_transfers_sharing_a_link_take_twice_as_long", test_two_transfers_sharing_a_link_take_twice_as_long},
        {"analytic_time_reports_routing_errors", test_analytic_time_reports_routing_errors},
        {"ring_allreduce_at_16384_ranks_is_one_repeated_step", test_ring_allreduce_at_16384_ranks_is_one_repeated_step},
        {"other_algorithms_stay_small_at_16384_ranks", test_other_algorithms_stay_small_at_16384_ranks},
        {"auto_rule_picks_like_nccl", test_auto_rule_picks_like_nccl},
        {"bad_requests_fail_with_a_message", test_bad_requests_fail_with_a_message},
        {"library_closed_forms_match_priced_schedules", test_library_closed_forms_match_priced_schedules},
        {"multiplane_closed_form_on_bundled_and_separate_planes",
         test_multiplane_closed_form_on_bundled_and_separate_planes},
        {"unstriped_algorithm_gets_one_plane_of_separate_planes", test_unstriped_algorithm_gets_one_plane_of_separate_planes},
        {"multiplane_moves_the_base_bytes_and_is_well_formed", test_multiplane_moves_the_base_bytes_and_is_well_formed},
        {"auto_picks_multiplane_for_large_shares_on_planes", test_auto_picks_multiplane_for_large_shares_on_planes},
        {"multiplane_bad_requests_fail_with_a_message", test_multiplane_bad_requests_fail_with_a_message},
        {"supported_pairs_and_refused_closed_forms_agree", test_supported_pairs_and_refused_closed_forms_agree},
        {"tuned_auto_prices_nccl_like_candidates", test_tuned_auto_prices_nccl_like_candidates},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(coll_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
