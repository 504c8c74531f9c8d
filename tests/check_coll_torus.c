/* Check suite "coll_torus": the torus algorithm (dimension-ordered bidirectional rings). Its
 * schedules are well formed, join torus neighbours only, move the textbook bytes along each
 * dimension and let every rank see every other rank's data; coll_analytic_time() on a torus of
 * one-hop links reproduces the closed form of docs/collectives.md; platform_torus_group() finds
 * the tori of a platform; auto picks torus on a torus supernode; and the whole pipeline (scenario
 * -> platform -> SimGrid -> trace) reproduces the closed form at both fidelities. */
#include <check.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coll/coll.h"
#include "h5read.h"
#include "testkit.h"
#include "platform.h"
#include "scenario.h"

#define KIB 1024.0
#define MIB (1024.0 * KIB)
#define GIB (1024.0 * MIB)

/* An assertion for hot loops (Check records every passing ck_assert). */
#define CHECK(cond, ...)               \
    do {                               \
        if (!(cond))                   \
            ck_abort_msg(__VA_ARGS__); \
    } while (0)

typedef struct shape {
    int32_t nd, dim[3];
} shape;

/* 1-D, 2-D, 3-D, odd sizes, sizes 2 and a dimension of size 1 */
static const shape SHAPES[] = {
    {1, {8, 1, 1}}, {2, {2, 2, 1}}, {2, {4, 4, 1}}, {2, {3, 5, 1}},
    {3, {4, 4, 4}}, {3, {2, 3, 4}}, {3, {4, 1, 3}}, {3, {2, 2, 2}},
};
#define NSHAPES (sizeof SHAPES / sizeof SHAPES[0])
static const coll_op OPS[] = {COLL_ALLREDUCE, COLL_ALLGATHER, COLL_REDUCESCATTER};

static int32_t size_of(const shape *t)
{
    int32_t p = 1;
    for (int32_t j = 0; j < t->nd; j++)
        p *= t->dim[j];
    return p;
}

static coll_params params_of(const shape *t)
{
    coll_params prm = {.torus_nd = t->nd};
    memcpy(prm.torus_dim, t->dim, sizeof prm.torus_dim);
    return prm;
}

static void build_ok(coll_op op, coll_alg alg, const shape *t, double n, const coll_params *prm, coll_sched *s)
{
    diag_t err = {{0}};
    int rc = coll_build(op, alg, size_of(t), n, prm, s, &err);
    ck_assert_msg(rc == 0, "%s on %dx%dx%d: %s", coll_op_name(op), t->dim[0], t->dim[1], t->dim[2], err.msg);
}

/* The dimension along which SRC and DST are neighbours (coordinates equal but in one dimension,
 * where they differ by +-1 modulo its size), or -1. */
static int neighbour_dim(const shape *t, int32_t src, int32_t dst)
{
    int found = -1;
    for (int32_t j = 0, stride = 1; j < t->nd; stride *= t->dim[j], j++) {
        int32_t a = src / stride % t->dim[j], b = dst / stride % t->dim[j];
        if (a == b)
            continue;
        if (found >= 0 || ((a + 1) % t->dim[j] != b && (b + 1) % t->dim[j] != a))
            return -1;
        found = j;
    }
    return found;
}

/* ---- schedules ---- */

START_TEST(test_steps_are_well_formed_and_join_neighbours_only)
{
    for (size_t i = 0; i < NSHAPES; i++)
        for (size_t o = 0; o < 3; o++) {
            const shape *t = &SHAPES[i];
            coll_params prm = params_of(t);
            coll_sched s;
            build_ok(OPS[o], COLL_ALG_TORUS, t, MIB, &prm, &s);
            int32_t p = size_of(t), live = 0;
            for (int32_t j = 0; j < t->nd; j++)
                live += t->dim[j] >= 2;
            ck_assert_int_eq(s.alg, COLL_ALG_TORUS);
            size_t bound = (size_t)(OPS[o] == COLL_ALLREDUCE ? 2 * p * (2 * live - 1) : 2 * p * live);
            CHECK(s.nxfers <= bound, "%s on %d ranks: %zu transfers, bound %zu", coll_op_name(OPS[o]), p, s.nxfers,
                  bound);
            CHECK(s.nsteps <= (size_t)(OPS[o] == COLL_ALLREDUCE ? 2 * live - 1 : live), "%zu steps for %d dims",
                  s.nsteps, live);
            for (size_t k = 0; k < s.nsteps; k++) {
                const coll_step *st = &s.steps[k];
                CHECK(st->count > 0 && st->repeat >= 1, "step %zu: %zu transfers, repeat %u", k, st->count, st->repeat);
                for (size_t x = st->first; x < st->first + st->count; x++) {
                    const coll_xfer *a = &s.xfers[x];
                    CHECK(neighbour_dim(t, a->src, a->dst) >= 0, "step %zu: %d -> %d are not torus neighbours", k,
                          a->src, a->dst);
                    CHECK(a->bytes > 0, "step %zu: empty transfer %d -> %d", k, a->src, a->dst);
                    if (x > st->first) {
                        const coll_xfer *b = &s.xfers[x - 1];
                        CHECK(b->src < a->src || (b->src == a->src && b->dst < a->dst),
                              "step %zu: transfers not strictly sorted by (src, dst) at %zu", k, x);
                    }
                }
                if (k > 0 && s.steps[k - 1].count == st->count) {
                    bool same = true;
                    for (size_t x = 0; x < st->count && same; x++) {
                        const coll_xfer *a = &s.xfers[st->first + x], *b = &s.xfers[s.steps[k - 1].first + x];
                        same = a->src == b->src && a->dst == b->dst && a->bytes == b->bytes;
                    }
                    CHECK(!same, "steps %zu and %zu carry the same transfers", k - 1, k);
                }
            }
            coll_sched_free(&s);
        }
}
END_TEST

/* Per rank and dimension j, the phase of j moves (d_j - 1)/d_j of the share s_j = n / (d_0 ...
 * d_{j-1}) out of the rank and into it (twice for all-reduce); in all (p-1)/p n (2(p-1)/p n). */
START_TEST(test_bytes_per_rank_and_dimension_match_the_phases)
{
    const double n = 3.0 * MIB;
    for (size_t i = 0; i < NSHAPES; i++)
        for (size_t o = 0; o < 3; o++) {
            const shape *t = &SHAPES[i];
            coll_params prm = params_of(t);
            coll_sched s;
            build_ok(OPS[o], COLL_ALG_TORUS, t, n, &prm, &s);
            int32_t p = size_of(t);
            double *out = calloc((size_t)p * 3, sizeof *out), *in = calloc((size_t)p * 3, sizeof *in);
            ck_assert_ptr_nonnull(out);
            ck_assert_ptr_nonnull(in);
            for (size_t k = 0; k < s.nsteps; k++)
                for (size_t x = s.steps[k].first; x < s.steps[k].first + s.steps[k].count; x++) {
                    const coll_xfer *a = &s.xfers[x];
                    int j = neighbour_dim(t, a->src, a->dst);
                    out[a->src * 3 + j] += a->bytes * s.steps[k].repeat;
                    in[a->dst * 3 + j] += a->bytes * s.steps[k].repeat;
                }
            double times = OPS[o] == COLL_ALLREDUCE ? 2.0 : 1.0;
            for (int32_t r = 0; r < p; r++) {
                double share = n;
                for (int32_t j = 0; j < t->nd; j++) {
                    double want = times * (t->dim[j] - 1.0) / t->dim[j] * share;
                    CHECK(fabs(out[r * 3 + j] - want) <= 1e-9 * n && fabs(in[r * 3 + j] - want) <= 1e-9 * n,
                          "%s rank %d dim %d: sent %.6f, received %.6f, want %.6f", coll_op_name(OPS[o]), r, j,
                          out[r * 3 + j], in[r * 3 + j], want);
                    share /= t->dim[j];
                }
                double total = times * (p - 1.0) / p * n;
                CHECK(fabs(coll_sched_bytes_sent(&s, r) - total) <= 1e-9 * n, "%s rank %d sends %.6f, want %.6f",
                      coll_op_name(OPS[o]), r, coll_sched_bytes_sent(&s, r), total);
            }
            free(out);
            free(in);
            coll_sched_free(&s);
        }
}
END_TEST

/* Information flow: rank b holds something of rank a's data at the end only if a chain of
 * transfers, step after step, leads from a to b. All-reduce and all-gather must reach every rank
 * from every rank (each ends with the whole reduction, resp. every block); so must the
 * reduce-scatter (each rank's shard sums over all ranks). */
START_TEST(test_every_rank_ends_with_every_ranks_contribution)
{
    for (size_t i = 0; i < NSHAPES; i++)
        for (size_t o = 0; o < 3; o++) {
            const shape *t = &SHAPES[i];
            coll_params prm = params_of(t);
            coll_sched s;
            build_ok(OPS[o], COLL_ALG_TORUS, t, MIB, &prm, &s);
            int32_t p = size_of(t);
            bool *knows = calloc((size_t)p * p, 1), *next = calloc((size_t)p * p, 1);
            ck_assert_ptr_nonnull(knows);
            ck_assert_ptr_nonnull(next);
            for (int32_t r = 0; r < p; r++)
                knows[r * p + r] = true;
            for (size_t k = 0; k < s.nsteps; k++)
                for (uint32_t rep = 0; rep < s.steps[k].repeat; rep++) {
                    memcpy(next, knows, (size_t)p * p);
                    for (size_t x = s.steps[k].first; x < s.steps[k].first + s.steps[k].count; x++)
                        for (int32_t a = 0; a < p; a++)
                            next[s.xfers[x].dst * p + a] |= knows[s.xfers[x].src * p + a];
                    memcpy(knows, next, (size_t)p * p);
                }
            for (int32_t b = 0; b < p; b++)
                for (int32_t a = 0; a < p; a++)
                    CHECK(knows[b * p + a], "%s on %d ranks: rank %d never hears from rank %d", coll_op_name(OPS[o]), p,
                          b, a);
            free(knows);
            free(next);
            coll_sched_free(&s);
        }
}
END_TEST

/* ---- analytic time on a torus of one-hop links ---- */

/* A torus where every ordered pair of neighbours has its own link (id src * p + dst) of
 * bandwidth BW and latency ALPHA: with d = 2 the + and - neighbour are one link, as in SimGrid's
 * torus. Any other pair has no route. */
static const double ALPHA = 150e-9, BW = 50e9;
typedef struct torus_net {
    const shape *t;
    int32_t p;
} torus_net;

static int torus_route(void *ctx, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    const torus_net *tn = ctx;
    if (cap < 1 || neighbour_dim(tn->t, src, dst) < 0)
        return -1;
    links[0] = (uint32_t)(src * tn->p + dst);
    *lat_s = ALPHA;
    return 1;
}

/* docs/collectives.md: T = sum over dimensions of size d >= 2 of (d-1)(alpha + s_j/(c d B)),
 * c = 2 (two directions) or 1 when d = 2; twice for all-reduce. */
static double textbook_time(coll_op op, const shape *t, double n)
{
    double sum = 0.0, share = n;
    for (int32_t j = 0; j < t->nd; j++) {
        double d = t->dim[j];
        if (d >= 2)
            sum += (d - 1) * (ALPHA + share / ((d >= 3 ? 2.0 : 1.0) * d * BW));
        share /= d;
    }
    return op == COLL_ALLREDUCE ? 2 * sum : sum;
}

START_TEST(test_analytic_time_matches_the_closed_form)
{
    static const double sizes[] = {KIB, MIB, GIB};
    coll_ab net = {ALPHA, BW, 0, 0};
    for (size_t i = 0; i < NSHAPES; i++)
        for (size_t o = 0; o < 3; o++)
            for (size_t z = 0; z < 3; z++) {
                const shape *t = &SHAPES[i];
                int32_t p = size_of(t);
                coll_params prm = params_of(t);
                coll_sched s;
                build_ok(OPS[o], COLL_ALG_TORUS, t, sizes[z], &prm, &s);
                double *bw = malloc((size_t)p * p * sizeof *bw);
                ck_assert_ptr_nonnull(bw);
                for (size_t l = 0; l < (size_t)p * p; l++)
                    bw[l] = BW;
                torus_net tn = {t, p};
                double got = coll_analytic_time(&s, torus_route, &tn, bw, (size_t)p * p);
                double want = textbook_time(OPS[o], t, sizes[z]);
                double lib = coll_closed_form_time(OPS[o], COLL_ALG_TORUS, p, sizes[z], &prm, &net);
                CHECK(fabs(got - want) <= 1e-9 * want && fabs(lib - want) <= 1e-9 * want,
                      "%s on %dx%dx%d, n=%g: priced %.12g s, library closed form %.12g s, textbook %.12g s",
                      coll_op_name(OPS[o]), t->dim[0], t->dim[1], t->dim[2], sizes[z], got, lib, want);
                free(bw);
                coll_sched_free(&s);
            }
}
END_TEST

START_TEST(test_bad_requests_fail_with_a_message)
{
    static const struct {
        coll_op op;
        int32_t p, nd, dim[3];
        const char *msg;
    } cases[] = {
        {COLL_ALLREDUCE, 16, 0, {1, 1, 1},
         "allreduce: algorithm 'torus' needs a group that is a whole torus (or a sub-torus along whole dimensions) "
         "of 16 ranks in their natural order; this group is not one"},
        {COLL_ALLGATHER, 16, 2, {4, 8, 1},
         "allgather: algorithm 'torus' needs a group that is a whole torus (or a sub-torus along whole dimensions) "
         "of 16 ranks in their natural order; this group is not one"},
        {COLL_REDUCESCATTER, 16, 2, {-4, -4, 1},
         "reducescatter: algorithm 'torus' needs a group that is a whole torus (or a sub-torus along whole "
         "dimensions) of 16 ranks in their natural order; this group is not one"},
        {COLL_ALLREDUCE, 16, 4, {4, 4, 1}, NULL},
        {COLL_ALLTOALL, 16, 2, {4, 4, 1}, "alltoall: algorithm 'torus' cannot do this operation"},
        {COLL_BROADCAST, 16, 2, {4, 4, 1}, "broadcast: algorithm 'torus' cannot do this operation"},
    };
    coll_ab net = {ALPHA, BW, 0, 0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        coll_params prm = {.torus_nd = cases[i].nd};
        memcpy(prm.torus_dim, cases[i].dim, sizeof prm.torus_dim);
        coll_sched s;
        diag_t err = {{0}};
        ck_assert_int_eq(coll_build(cases[i].op, COLL_ALG_TORUS, cases[i].p, MIB, &prm, &s, &err), -1);
        if (cases[i].msg)
            ck_assert_str_eq(err.msg, cases[i].msg);
        else
            ck_assert_msg(strstr(err.msg, "'torus' needs a group") != NULL, "case %zu: %s", i, err.msg);
        ck_assert_double_eq(coll_closed_form_time(cases[i].op, COLL_ALG_TORUS, cases[i].p, MIB, &prm, &net), -1.0);
    }
    ck_assert_int_eq(coll_alg_supports(COLL_ALLTOALL, COLL_ALG_TORUS), 0);
    ck_assert_int_eq(coll_alg_supports(COLL_ALLREDUCE, COLL_ALG_TORUS), 1);
    ck_assert_str_eq(coll_alg_name(COLL_ALG_TORUS), "torus");
}
END_TEST

/* ---- auto ---- */

START_TEST(test_threshold_rule_uses_torus_where_it_used_rings)
{
    shape t = {3, {4, 4, 4}};
    coll_params prm = params_of(&t), none = {0};
    static const struct {
        coll_op op;
        double bytes;
        coll_alg want, without;
    } cases[] = {
        {COLL_ALLREDUCE, 1 * KIB, COLL_ALG_DBTREE, COLL_ALG_DBTREE},      /* 16 B per rank: small */
        {COLL_ALLREDUCE, 64 * MIB, COLL_ALG_TORUS, COLL_ALG_RING},
        {COLL_ALLGATHER, 1 * KIB, COLL_ALG_RHD, COLL_ALG_RHD},
        {COLL_ALLGATHER, 64 * MIB, COLL_ALG_TORUS, COLL_ALG_RING},
        {COLL_REDUCESCATTER, 64 * MIB, COLL_ALG_TORUS, COLL_ALG_RING},
        {COLL_ALLTOALL, 64 * MIB, COLL_ALG_PAIRWISE, COLL_ALG_PAIRWISE}, /* torus does not do it */
        {COLL_BROADCAST, 64 * MIB, COLL_ALG_RING, COLL_ALG_RING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        coll_alg got = coll_choose(cases[i].op, 64, cases[i].bytes, &prm);
        coll_alg plain = coll_choose(cases[i].op, 64, cases[i].bytes, &none);
        CHECK(got == cases[i].want && plain == cases[i].without, "case %zu: %s of %g B chose %s (want %s), %s off a torus (want %s)", i,
              coll_op_name(cases[i].op), cases[i].bytes, coll_alg_name(got), coll_alg_name(cases[i].want),
              coll_alg_name(plain), coll_alg_name(cases[i].without));
    }
}
END_TEST

START_TEST(test_tuned_rule_prices_torus_on_one_hop)
{
    shape t = {2, {8, 8, 1}};
    /* flat: worst route of an 8x8 torus (8 hops); torus: one hop; same links */
    coll_tune tn = {.flat = {8 * ALPHA, BW, 0, 0}, .hier = {0, 0, 0, 0}, .torus = {ALPHA, BW, 0, 0}};
    coll_params prm = params_of(&t);
    prm.tune = &tn;
    for (size_t o = 0; o < 3; o++) {
        coll_alg got = coll_choose(OPS[o], 64, 256 * MIB, &prm);
        CHECK(got == COLL_ALG_TORUS, "%s: chose %s", coll_op_name(OPS[o]), coll_alg_name(got));
    }
    /* without the one-hop figures torus is not priced, hence not chosen */
    tn.torus.bw_Bps = 0;
    ck_assert_int_eq(coll_choose(COLL_ALLREDUCE, 64, 256 * MIB, &prm), COLL_ALG_RING);
}
END_TEST

/* ---- platforms ---- */

static const char HEAD[] = "schema_version: 1\n"
                           "name: torus-test\n"
                           "seed: 1\n"
                           "hardware:\n"
                           "  accelerator:\n"
                           "    peak_flops: 1000 TFLOPS\n"
                           "    hbm_capacity: 80 GiB\n"
                           "    hbm_bandwidth: 2 TB/s\n"
                           "    idle_power: 100 W\n"
                           "    max_power: 700 W\n"
                           "workload:\n"
                           "  kind: dp_allreduce\n"
                           "  iterations: 2\n"
                           "  compute:\n"
                           "    flops: 1 TFLOP\n"
                           "  gradient_bytes: 1 GB\n"
                           "run:\n"
                           "  fidelity: analytic\n"
                           "  sample_interval: 10 ms\n";

/* Writes HEAD + a torus topology of DIMS (SUPERNODES of them; 0: one, no scale-out) into a new
 * temporary directory DIR; returns the scenario's path in PATH. */
static void write_torus(const char *dims, int supernodes, char *dir, char *path, size_t n)
{
    strcpy(dir, "/tmp/check_coll_torus_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, n, "%s/s.yaml", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%stopology:\n  kind: torus\n  torus: {dims: %s}\n  link: {bandwidth: 50 GB/s, latency: 150 ns}\n",
            HEAD, dims);
    if (supernodes > 1)
        fprintf(f,
                "  supernodes: %d\n  scaleout:\n    kind: fattree\n    link: {bandwidth: 50 GB/s, latency: 400 ns}\n"
                "    switch: {radix: 16, latency: 250 ns}\n",
                supernodes);
    fclose(f);
}

static void remove_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static platform_t *load_platform(const char *dims, scenario_t *sc)
{
    char dir[64], path[128];
    write_torus(dims, 0, dir, path, sizeof path);
    diag_t err = {{0}};
    ck_assert_msg(scenario_load(path, NULL, 0, sc, &err) == 0, "%s", err.msg);
    platform_t *p = platform_build(sc, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    remove_dir(dir);
    return p;
}

START_TEST(test_platform_finds_whole_tori_rings_and_planes)
{
    scenario_t sc;
    platform_t *p = load_platform("4x4x4", &sc);
    int32_t dims[3], m[64];
    ck_assert_int_eq(platform_torus_dims(p, dims), 3);
    ck_assert_int_eq(dims[0] * dims[1] * dims[2], 64);
    static const struct {
        const char *what;
        int32_t n, first, step[3]; /* members: first + c0 step0 + c1 step1 + c2 step2, row-major */
        int32_t len[3];
        int want, dims[3];
    } cases[] = {
        {"the whole supernode", 64, 0, {1, 4, 16}, {4, 4, 4}, 3, {4, 4, 4}},
        {"a ring along dimension 0", 4, 20, {1, 0, 0}, {4, 1, 1}, 1, {4, 1, 1}},
        {"a ring along dimension 1", 4, 33, {4, 0, 0}, {4, 1, 1}, 1, {4, 1, 1}},
        {"a plane of dimensions 0 and 2", 16, 8, {1, 16, 0}, {4, 4, 1}, 2, {4, 4, 1}},
        {"a plane of dimensions 1 and 2", 16, 2, {4, 16, 0}, {4, 4, 1}, 2, {4, 4, 1}},
        {"a segment not starting at a corner", 4, 1, {1, 0, 0}, {4, 1, 1}, 0, {0}},
        {"half a ring", 2, 0, {1, 0, 0}, {2, 1, 1}, 0, {0}},
        {"the supernode transposed", 64, 0, {4, 1, 16}, {4, 4, 4}, 0, {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t k = 0;
        for (int32_t c2 = 0; c2 < cases[i].len[2]; c2++)
            for (int32_t c1 = 0; c1 < cases[i].len[1]; c1++)
                for (int32_t c0 = 0; c0 < cases[i].len[0]; c0++)
                    m[k++] = cases[i].first + c0 * cases[i].step[0] + c1 * cases[i].step[1] + c2 * cases[i].step[2];
        ck_assert_int_eq(k, cases[i].n);
        int32_t got[3] = {0, 0, 0};
        int nd = platform_torus_group(p, m, cases[i].n, got);
        ck_assert_msg(nd == cases[i].want, "%s: %d dimensions, want %d", cases[i].what, nd, cases[i].want);
        for (int j = 0; j < nd; j++)
            ck_assert_msg(got[j] == cases[i].dims[j], "%s: dimension %d has %d ranks, want %d", cases[i].what, j,
                          got[j], cases[i].dims[j]);
    }
    platform_free(p);
    scenario_free(&sc);
    /* a switched supernode is no torus */
    char path[512];
    snprintf(path, sizeof path, "%s/scenarios/tests/small.yaml",
             getenv("OASTWIN_ROOT") && *getenv("OASTWIN_ROOT") ? getenv("OASTWIN_ROOT") : ".");
    diag_t err = {{0}};
    ck_assert_msg(scenario_load(path, NULL, 0, &sc, &err) == 0, "%s", err.msg);
    p = platform_build(&sc, &err);
    ck_assert_ptr_nonnull(p);
    for (int32_t i = 0; i < 8; i++)
        m[i] = i;
    ck_assert_int_eq(platform_torus_dims(p, dims), 0);
    ck_assert_int_eq(platform_torus_group(p, m, 8, dims), 0);
    platform_free(p);
    scenario_free(&sc);
}
END_TEST

/* Group rank i is accelerator i of the platform. */
static int plat_route(void *ctx, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    return platform_route(ctx, src, dst, lat_s, links, cap);
}

/* On the platform's own routes, a flat ring of an 8x8 torus shares links (its wrap from one row
 * to the next takes two hops) and the tree's long edges share them too; priced on those routes,
 * auto takes torus for large messages and the fastest candidate at every size. */
START_TEST(test_route_pricing_picks_the_fastest_candidate_on_a_torus)
{
    scenario_t sc;
    platform_t *p = load_platform("8x8", &sc);
    shape t = {2, {8, 8, 1}};
    coll_tune tn = {.flat = {0, 0, 0, 0}, .hier = {0, 0, 0, 0}, .torus = {ALPHA, BW, 0, 0}, .route = plat_route,
                    .route_ctx = p, .link_bw_Bps = platform_link_bw(p), .nlinks = platform_nlinks(p)};
    coll_params prm = params_of(&t);
    prm.tune = &tn;
    static const double sizes[] = {1 * KIB, 64 * KIB, 1 * MIB, 64 * MIB, 1 * GIB};
    static const coll_alg cands[] = {COLL_ALG_RING, COLL_ALG_DBTREE, COLL_ALG_RHD, COLL_ALG_TORUS};
    for (size_t o = 0; o < 3; o++)
        for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
            coll_alg got = coll_choose(OPS[o], 64, sizes[z], &prm);
            if (sizes[z] >= 64 * MIB)
                CHECK(got == COLL_ALG_TORUS, "%s of %g B: chose %s", coll_op_name(OPS[o]), sizes[z], coll_alg_name(got));
            coll_params plain = params_of(&t);
            double best = INFINITY, t_got = -1;
            for (size_t c = 0; c < sizeof cands / sizeof cands[0]; c++) {
                coll_sched s;
                diag_t err;
                if (coll_build(OPS[o], cands[c], 64, sizes[z], &plain, &s, &err) != 0)
                    continue;
                double tc = coll_analytic_time(&s, plat_route, p, platform_link_bw(p), platform_nlinks(p));
                coll_sched_free(&s);
                if (OPS[o] == COLL_ALLREDUCE && cands[c] == COLL_ALG_RHD)
                    continue; /* not an all-reduce candidate (docs/collectives.md) */
                if (OPS[o] != COLL_ALLREDUCE && cands[c] == COLL_ALG_DBTREE)
                    continue;
                best = fmin(best, tc);
                if (cands[c] == got)
                    t_got = tc;
            }
            CHECK(t_got > 0 && t_got <= best * (1 + 1e-12), "%s of %g B: %s takes %g s, the best candidate %g s",
                  coll_op_name(OPS[o]), sizes[z], coll_alg_name(got), t_got, best);
        }
    /* the flat ring is congested on this torus: torus all-reduce is more than twice as fast */
    coll_sched ring, tor;
    build_ok(COLL_ALLREDUCE, COLL_ALG_RING, &t, GIB, &prm, &ring);
    build_ok(COLL_ALLREDUCE, COLL_ALG_TORUS, &t, GIB, &prm, &tor);
    double tr = coll_analytic_time(&ring, plat_route, p, platform_link_bw(p), platform_nlinks(p));
    double tt = coll_analytic_time(&tor, plat_route, p, platform_link_bw(p), platform_nlinks(p));
    ck_assert_msg(tt > 0 && tr > 2 * tt, "1 GiB all-reduce on 8x8: ring %g s, torus %g s", tr, tt);
    coll_sched_free(&ring);
    coll_sched_free(&tor);
    platform_free(p);
    scenario_free(&sc);
}
END_TEST

/* ---- the whole pipeline ---- */

/* Runs the dp_allreduce workload on a DIMS torus and returns /summary/allreduce_time_mean. */
static double run_allreduce(const char *dims, const char *bytes, const char *fid, const char *alg)
{
    char dir[64], path[128], sets[512];
    write_torus(dims, 0, dir, path, sizeof path);
    snprintf(sets, sizeof sets,
             "--set workload.gradient_bytes='%s' --set run.fidelity=%s --set workload.algorithm=%s", bytes, fid, alg);
    tk_run r;
    tk_run_scenario(&r, "check_coll_torus_run", path, sets);
    double v = tk_figure_or_nan(&r, "allreduce_time_mean");
    tk_run_done(&r);
    remove_dir(dir);
    return v;
}

typedef struct e2e_case {
    const char *dims;
    shape t;
    const char *bytes;
    double n;
} e2e_case;

static const e2e_case E2E[] = {
    {"2x2", {2, {2, 2, 1}}, "1 GB", 1e9},        {"4x4", {2, {4, 4, 1}}, "64 MiB", 67108864.0},
    {"4x4", {2, {4, 4, 1}}, "1 KiB", 1024.0},    {"3x5", {2, {3, 5, 1}}, "256 MB", 256e6},
    {"4x4x4", {3, {4, 4, 4}}, "1 GB", 1e9},      {"2x3x4", {3, {2, 3, 4}}, "4 MiB", 4194304.0},
};
#define NE2E ((int)(sizeof E2E / sizeof E2E[0]))
static const char *const FIDELITIES[] = {"flow", "analytic"};

START_TEST(test_pipeline_matches_the_closed_form_at_both_fidelities)
{
    const e2e_case *c = &E2E[_i / 2];
    const char *fid = FIDELITIES[_i % 2];
    double want = textbook_time(COLL_ALLREDUCE, &c->t, c->n);
    double got = run_allreduce(c->dims, c->bytes, fid, "torus");
    ck_assert_msg(fabs(got - want) <= 1e-3 * want, "%s torus, %s, %s: %.9g s, closed form %.9g s", c->dims, c->bytes,
                  fid, got, want);
}
END_TEST

START_TEST(test_auto_runs_torus_on_a_torus_supernode)
{
    /* dp_allreduce's auto (size rule): 1 GB over 64 ranks is large, so torus */
    shape t = {3, {4, 4, 4}};
    double want = textbook_time(COLL_ALLREDUCE, &t, 1e9);
    double got = run_allreduce("4x4x4", "1 GB", "analytic", "auto");
    ck_assert_msg(fabs(got - want) <= 1e-3 * want, "auto on 4x4x4: %.9g s, torus closed form %.9g s", got, want);
    /* oastwin bench (priced rule) */
    char dir[64], path[128], cmd[1024];
    write_torus("4x4x4", 0, dir, path, sizeof path);
    snprintf(cmd, sizeof cmd,
             "%s bench %s --ops allreduce,allgather,reducescatter --sizes 64MiB -o %s/b.h5 2>%s/err", tk_binary(),
             path, dir, dir);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        double size, time_us, algbw, busbw, closed, ratio;
        char op[32], alg[40];
        if (line[0] == '#' ||
            sscanf(line, "%lf %31s %39s %lf %lf %lf %lf %lf", &size, op, alg, &time_us, &algbw, &busbw, &closed,
                   &ratio) != 8)
            continue;
        rows++;
        ck_assert_msg(!strcmp(alg, "torus"), "bench %s of 64 MiB on 4x4x4 chose %s", op, alg);
        ck_assert_msg(fabs(ratio - 1.0) <= 1e-3, "bench %s: time / closed form %.6f", op, ratio);
    }
    ck_assert_int_eq(pclose(f), 0);
    ck_assert_int_eq(rows, 3);
    remove_dir(dir);
}
END_TEST

START_TEST(test_torus_where_there_is_none_is_a_scenario_error)
{
    char dir[64], path[128], cmd[1024];
    write_torus("4x4", 2, dir, path, sizeof path);
    /* two supernodes: all ranks are not one torus */
    snprintf(cmd, sizeof cmd, "%s run %s -q -o %s/t.h5 --set workload.algorithm=torus 2>%s/err", tk_binary(), path, dir,
             dir);
    int rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "run exited %d", rc);
    char errp[128], msg[1024] = "";
    snprintf(errp, sizeof errp, "%s/err", dir);
    FILE *f = fopen(errp, "r");
    ck_assert_ptr_nonnull(f);
    size_t len = fread(msg, 1, sizeof msg - 1, f);
    msg[len] = '\0';
    fclose(f);
    ck_assert_msg(strstr(msg, "error: all-reduce algorithm 'torus' needs a torus of all ranks: `topology.kind: "
                              "torus` with one supernode (this topology has 2 supernodes)") != NULL,
                  "stderr: %s", msg);
    snprintf(cmd, sizeof cmd, "test ! -e %s/t.h5", dir);
    ck_assert_int_eq(system(cmd), 0);
    /* bench: all accelerators of two supernodes are no torus (each supernode is: --group supernode) */
    snprintf(cmd, sizeof cmd, "%s bench %s -q --algorithm torus --group all -o %s/b.h5 >/dev/null 2>%s/err",
             tk_binary(), path, dir, dir);
    rc = system(cmd);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 2, "bench exited %d", rc);
    f = fopen(errp, "r");
    ck_assert_ptr_nonnull(f);
    len = fread(msg, 1, sizeof msg - 1, f);
    msg[len] = '\0';
    fclose(f);
    ck_assert_msg(strstr(msg, "error: algorithm 'torus' needs groups that are tori of a torus topology") != NULL,
                  "stderr: %s", msg);
    snprintf(cmd, sizeof cmd,
             "%s bench %s -q --algorithm torus --group supernode --ops allreduce --sizes 1MiB -o %s/b.h5 2>%s/err",
             tk_binary(), path, dir, dir);
    ck_assert_int_eq(system(cmd), 0);
    remove_dir(dir);
}
END_TEST

static Suite *torus_suite(void)
{
    Suite *s = suite_create("coll_torus");
    struct {
        const char *name;
        const TTest *fn;
    } cases[] = {
        {"steps_are_well_formed_and_join_neighbours_only", test_steps_are_well_formed_and_join_neighbours_only},
        {"bytes_per_rank_and_dimension_match_the_phases", test_bytes_per_rank_and_dimension_match_the_phases},
        {"every_rank_ends_with_every_ranks_contribution", test_every_rank_ends_with_every_ranks_contribution},
        {"analytic_time_matches_the_closed_form", test_analytic_time_matches_the_closed_form},
        {"bad_requests_fail_with_a_message", test_bad_requests_fail_with_a_message},
        {"threshold_rule_uses_torus_where_it_used_rings", test_threshold_rule_uses_torus_where_it_used_rings},
        {"tuned_rule_prices_torus_on_one_hop", test_tuned_rule_prices_torus_on_one_hop},
        {"platform_finds_whole_tori_rings_and_planes", test_platform_finds_whole_tori_rings_and_planes},
        {"route_pricing_picks_the_fastest_candidate_on_a_torus",
         test_route_pricing_picks_the_fastest_candidate_on_a_torus},
        {"auto_runs_torus_on_a_torus_supernode", test_auto_runs_torus_on_a_torus_supernode},
        {"torus_where_there_is_none_is_a_scenario_error", test_torus_where_there_is_none_is_a_scenario_error},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, cases[i].fn);
        suite_add_tcase(s, tc);
    }
    TCase *tc = tcase_create("pipeline_matches_the_closed_form_at_both_fidelities");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_pipeline_matches_the_closed_form_at_both_fidelities, 0, 2 * NE2E);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(torus_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
