/* Collective benchmark workload (workload.kind = collbench; what `oastwin bench` runs): like
 * nccl-tests, every listed operation at every message size, one collective at a time, on one
 * group of all accelerators or on every node / supernode at once; each timed from a common
 * start to the last rank's end, beside the closed-form time of the same algorithm on an
 * uncongested network. Rows go to /bench, headline figures to /summary.
 * Invariant: collective k starts only after every rank has finished k-1 (a barrier), and at
 * most one schedule exists at a time: the last rank to reach the barrier builds the next one
 * (SimGrid actors run one at a time, so a counter tells who is last). */
#include "collbench.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/barrier.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <stdlib.h>
#include <string.h>

#include "commgroup.h"
#include "strutil.h"
#include "units.h"
#include "workload.h"

/* ---- parsing shared with the command line ---- */

/* Copies TEXT[0..LEN) without surrounding blanks into BUF. */
static void trim_copy(char *buf, size_t n, const char *text, size_t len)
{
    while (len && (*text == ' ' || *text == '\t')) {
        text++;
        len--;
    }
    while (len && (text[len - 1] == ' ' || text[len - 1] == '\t'))
        len--;
    if (len >= n)
        len = n - 1;
    memcpy(buf, text, len);
    buf[len] = '\0';
}

int collbench_parse_sizes(const char *text, double *lo, double *hi, char *why, size_t n)
{
    char a[96], b[96], reason[256];
    const char *colon = strchr(text, ':');
    trim_copy(a, sizeof a, text, colon ? (size_t)(colon - text) : strlen(text));
    trim_copy(b, sizeof b, colon ? colon + 1 : text, strlen(colon ? colon + 1 : text));
    if (colon && strchr(colon + 1, ':')) {
        snprintf(why, n, "'%s' has more than one ':'; write LO:HI (e.g. '1KiB:4GiB') or one size", text);
        return -1;
    }
    if (units_parse(a, DIM_BYTES, lo, reason, sizeof reason) ||
        units_parse(b, DIM_BYTES, hi, reason, sizeof reason)) {
        snprintf(why, n, "%s", reason);
        return -1;
    }
    char la[64], lb[64];
    units_format(*lo, DIM_BYTES, la, sizeof la);
    units_format(*hi, DIM_BYTES, lb, sizeof lb);
    if (*lo < 1.0) {
        snprintf(why, n, "the smallest size must be at least 1 B, not %s", la);
        return -1;
    }
    if (*lo > *hi) {
        snprintf(why, n, "the lower bound %s is above the upper bound %s", la, lb);
        return -1;
    }
    if (*hi / *lo >= ldexp(1.0, COLLBENCH_MAX_SIZES)) {
        snprintf(why, n, "%s to %s is more than %d sizes (each the double of the one before)", la, lb,
                 COLLBENCH_MAX_SIZES);
        return -1;
    }
    return 0;
}

int32_t collbench_sizes(double lo, double hi, double *out)
{
    int32_t k = 0;
    for (double s = lo; s <= hi * (1.0 + 1e-12) && k < COLLBENCH_MAX_SIZES; s *= 2.0)
        out[k++] = s;
    return k;
}

int collbench_parse_ops(const char *text, coll_op *ops, int32_t *nops, char *why, size_t n)
{
    const char *names[COLL_OP__COUNT];
    for (int i = 0; i < COLL_OP__COUNT; i++)
        names[i] = coll_op_name((coll_op)i);
    *nops = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        char one[64];
        trim_copy(one, sizeof one, p, comma ? (size_t)(comma - p) : strlen(p));
        coll_op op;
        if (!one[0]) {
            snprintf(why, n, "empty operation name in '%s'", text);
            return -1;
        }
        if (coll_op_parse(one, &op)) {
            const char *best = str_closest(one, names, COLL_OP__COUNT);
            if (best)
                snprintf(why, n, "unknown operation '%s' (did you mean '%s'?)", one, best);
            else
                snprintf(why, n,
                         "unknown operation '%s' (one of allreduce, allgather, reducescatter, alltoall, broadcast, "
                         "p2p)",
                         one);
            return -1;
        }
        for (int32_t i = 0; i < *nops; i++)
            if (ops[i] == op) {
                snprintf(why, n, "'%s' is listed twice", one);
                return -1;
            }
        ops[(*nops)++] = op;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int collbench_check_op(coll_op op, coll_alg alg, coll_alg base, char *why, size_t n)
{
    if (alg == COLL_ALG_MULTIPLANE) {
        if (base == COLL_ALG_MULTIPLANE) {
            snprintf(why, n, "multiplane cannot stripe itself; its plane algorithm must be another one");
            return -1;
        }
        alg = base;
    }
    if (coll_alg_supports(op, alg))
        return 0;
    char does[160] = "";
    for (int o = 0; o < COLL_OP__COUNT; o++)
        if (coll_alg_supports((coll_op)o, alg)) {
            size_t l = strlen(does);
            snprintf(does + l, sizeof does - l, "%s%s", l ? ", " : "", coll_op_name((coll_op)o));
        }
    snprintf(why, n, "algorithm '%s' cannot do %s (it does %s)", coll_alg_name(alg), coll_op_name(op), does);
    return -1;
}

/* ---- the machine's groups ---- */

static const char *const GROUPS[] = {"all", "node", "supernode", NULL};

/* Who runs together: NGROUPS groups of GSIZE accelerators (MEMBERS[g * GSIZE + r] is rank r of
 * group g), all running each collective at the same time, and the collective parameters. */
typedef struct layout {
    int32_t gsize, ngroups;
    int32_t *members;
    coll_params prm;   /* prm.tune points at TUNE: the layout must not move once built */
    coll_tune tune;    /* flat, hier and torus closed-form networks, measured on group 0; on torus
                        * groups also group 0's routes (tune.route_ctx points at the layout) */
    coll_ab net_p2p;
    const platform_t *plat;
    /* auto's choices so far, per operation (pricing on routes builds every candidate) */
    double memo_n[COLL_OP__COUNT][COLLBENCH_MAX_SIZES];
    coll_alg memo_alg[COLL_OP__COUNT][COLLBENCH_MAX_SIZES];
    int32_t nmemo[COLL_OP__COUNT];
} layout;

/* Worst latency and narrowest path bandwidth of the routes from rank 0 of MEMBERS to ranks
 * FROM, FROM + STEP, ... < TO: the alpha-beta network a transfer alone sees. */
static int route_stats(const platform_t *plat, const int32_t *members, int32_t from, int32_t to, int32_t step,
                       double *alpha, double *bw, diag_t *err)
{
    uint32_t links[256];
    const double *lbw = platform_link_bw(plat);
    *alpha = 0.0;
    *bw = INFINITY;
    for (int32_t j = from; j < to; j += step) {
        double lat;
        int nl = platform_route(plat, members[0], members[j], &lat, links, 256);
        if (nl < 0)
            return diag_fail(err, "no route from accelerator %d to %d", (int)members[0], (int)members[j]);
        double narrow = INFINITY;
        for (int h = 0; h < nl; h++)
            narrow = fmin(narrow, lbw[links[h]]);
        *alpha = fmax(*alpha, lat);
        *bw = fmin(*bw, narrow);
    }
    if (!isfinite(*bw))
        *bw = 0.0;
    return 0;
}

/* Group 0's routes, for auto's pricing on a torus (CTX: the layout). */
static int group_route(void *ctx, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    const layout *L = ctx;
    return platform_route(L->plat, L->members[src], L->members[dst], lat_s, links, cap);
}

/* Every group a torus of one shape (platform_torus_group): its dimensions into PRM, and the
 * one-hop network of the torus algorithm (worst latency and narrowest link over every rank's
 * neighbour routes in group 0) into NET; nothing when some group is not. */
static int torus_layout(const platform_t *plat, const layout *L, coll_params *prm, coll_ab *net, diag_t *err)
{
    int32_t dims[3], other[3];
    int nd = platform_torus_group(plat, L->members, L->gsize, dims);
    for (int32_t g = 1; nd > 0 && g < L->ngroups; g++)
        if (platform_torus_group(plat, L->members + (size_t)g * L->gsize, L->gsize, other) != nd ||
            memcmp(dims, other, sizeof dims) != 0)
            nd = 0;
    if (nd == 0)
        return 0;
    prm->torus_nd = nd;
    memcpy(prm->torus_dim, dims, sizeof prm->torus_dim);
    uint32_t links[256];
    const double *lbw = platform_link_bw(plat);
    const int32_t *m = L->members;
    net->alpha_s = 0.0;
    net->bw_Bps = INFINITY;
    for (int32_t r = 0; r < L->gsize; r++)
        for (int32_t j = 0, stride = 1; j < nd; stride *= dims[j], j++)
            for (int32_t delta = -1; delta <= 1 && dims[j] >= 2; delta += 2) {
                int32_t c = r / stride % dims[j], nb = r + ((c + delta + dims[j]) % dims[j] - c) * stride;
                double lat;
                int nl = platform_route(plat, m[r], m[nb], &lat, links, 256);
                if (nl < 0)
                    return diag_fail(err, "no route from accelerator %d to %d", (int)m[r], (int)m[nb]);
                for (int h = 0; h < nl; h++)
                    net->bw_Bps = fmin(net->bw_Bps, lbw[links[h]]);
                net->alpha_s = fmax(net->alpha_s, lat);
            }
    if (!isfinite(net->bw_Bps))
        net->bw_Bps = 0.0;
    return 0;
}

static int layout_build(const scenario_t *sc, const platform_t *plat, layout *L, diag_t *err)
{
    const collbench_spec *b = &sc->wl.bench;
    memset(L, 0, sizeof *L);
    int32_t n = platform_accelerators(plat), apn = platform_accels_per_node(plat);
    int32_t aps = platform_accels_per_supernode(plat), nsn = platform_supernodes(plat);
    switch ((bench_group)b->group) {
    case BENCH_GROUP_ALL:
        L->gsize = n;
        break;
    case BENCH_GROUP_NODE:
        L->gsize = apn;
        break;
    case BENCH_GROUP_SUPERNODE:
        L->gsize = aps;
        break;
    }
    if (L->gsize < 2)
        return scenario_fail_at(sc, "workload.bench.group", err,
                                "group '%s' has %d accelerator%s on this machine (%d accelerators, %d per node, %d per "
                                "supernode); a collective needs at least 2",
                                GROUPS[b->group], (int)L->gsize, L->gsize == 1 ? "" : "s", (int)n, (int)apn, (int)aps);
    if (n % L->gsize != 0)
        return diag_fail(err, "%d accelerators do not split into groups of %d", (int)n, (int)L->gsize);
    L->ngroups = n / L->gsize;
    L->members = malloc((size_t)n * sizeof *L->members);
    int32_t *fill = calloc((size_t)L->ngroups, sizeof *fill);
    if (!L->members || !fill) {
        free(fill);
        return diag_fail(err, "out of memory for %d accelerators", (int)n);
    }
    for (int32_t a = 0; a < n; a++) {
        int32_t g = b->group == BENCH_GROUP_ALL ? 0
                    : b->group == BENCH_GROUP_NODE ? platform_node_of(plat, a)
                                                   : platform_supernode_of(plat, a);
        if (g < 0 || g >= L->ngroups || fill[g] >= L->gsize) {
            free(fill);
            return diag_fail(err, "accelerator %d is in %s %d, outside %d groups of %d", (int)a, GROUPS[b->group],
                             (int)g, (int)L->ngroups, (int)L->gsize);
        }
        L->members[g * L->gsize + fill[g]++] = a;
    }
    free(fill);
    /* hier splits at the widest level below the group: supernodes of a cluster, else nodes */
    int32_t local = 0;
    if (b->group == BENCH_GROUP_ALL && nsn > 1 && aps > 1)
        local = aps;
    else if (b->group != BENCH_GROUP_NODE && apn > 1 && apn < L->gsize)
        local = apn;
    L->prm = (coll_params){.root = 0, .local = local, .chunks = 0,
                           .planes = sc->topo.planes > 1 ? (uint32_t)sc->topo.planes : 0,
                           .plane_alg = (coll_alg)b->plane_algorithm};
    if (b->algorithm == COLL_ALG_MULTIPLANE && L->prm.planes == 0)
        L->prm.planes = 1;
    const int32_t *m = L->members;
    coll_ab *flat = &L->tune.flat, *hier = &L->tune.hier;
    if (route_stats(plat, m, 1, L->gsize, 1, &flat->alpha_s, &flat->bw_Bps, err) ||
        route_stats(plat, m, 1, 2, 1, &L->net_p2p.alpha_s, &L->net_p2p.bw_Bps, err))
        return -1;
    if (local > 1) {
        if (route_stats(plat, m, 1, local, 1, &hier->alpha_s, &hier->bw_Bps, err) ||
            route_stats(plat, m, local, L->gsize, local, &hier->alpha_outer_s, &hier->bw_outer_Bps, err))
            return -1;
    }
    if (torus_layout(plat, L, &L->prm, &L->tune.torus, err))
        return -1;
    L->plat = plat;
    if (L->prm.torus_nd > 0) {
        /* a torus prices auto's candidates on its routes: closed forms miss shared links */
        L->tune.route = group_route;
        L->tune.route_ctx = L;
        L->tune.link_bw_Bps = platform_link_bw(plat);
        L->tune.nlinks = platform_nlinks(plat);
    }
    L->prm.tune = &L->tune;
    return 0;
}

static const coll_ab *net_for(const layout *L, coll_op op, coll_alg base)
{
    if (op == COLL_P2P)
        return &L->net_p2p;
    if (base == COLL_ALG_TORUS)
        return &L->tune.torus;
    return base == COLL_ALG_HIER ? &L->tune.hier : &L->tune.flat;
}

/* The algorithm a collective of N bytes uses (AUTO resolved as coll_build resolves it). */
static coll_alg resolve(const scenario_t *sc, layout *L, coll_op op, double n)
{
    coll_alg a = (coll_alg)sc->wl.bench.algorithm;
    if (a != COLL_ALG_AUTO)
        return a;
    for (int32_t i = 0; i < L->nmemo[op]; i++)
        if (L->memo_n[op][i] == n)
            return L->memo_alg[op][i];
    a = coll_choose(op, L->gsize, n, &L->prm);
    if (L->nmemo[op] < COLLBENCH_MAX_SIZES) {
        L->memo_n[op][L->nmemo[op]] = n;
        L->memo_alg[op][L->nmemo[op]++] = a;
    }
    return a;
}

/* Platform-dependent checks: groups exist, hier has levels, every schedule can be built. */
int collbench_check_platform(const scenario_t *sc, const platform_t *plat, diag_t *err)
{
    const collbench_spec *b = &sc->wl.bench;
    layout L;
    int rc = layout_build(sc, plat, &L, err);
    if (rc == 0 && L.prm.local == 0 &&
        (b->algorithm == COLL_ALG_HIER || (b->algorithm == COLL_ALG_MULTIPLANE && b->plane_algorithm == COLL_ALG_HIER)))
        rc = scenario_fail_at(sc, b->algorithm == COLL_ALG_HIER ? "workload.bench.algorithm" : "workload.bench.plane_algorithm",
                              err,
                              "algorithm 'hier' needs a group spanning several nodes or supernodes; group '%s' has %d "
                              "accelerators and no level below it on this machine",
                              GROUPS[b->group], (int)L.gsize);
    if (rc == 0 && L.prm.torus_nd == 0 &&
        (b->algorithm == COLL_ALG_TORUS || (b->algorithm == COLL_ALG_MULTIPLANE && b->plane_algorithm == COLL_ALG_TORUS)))
        rc = scenario_fail_at(sc, b->algorithm == COLL_ALG_TORUS ? "workload.bench.algorithm" : "workload.bench.plane_algorithm",
                              err,
                              "algorithm 'torus' needs groups that are tori of a torus topology (a whole supernode, or "
                              "whole rings or planes of it); group '%s' of %d accelerators is not one on this machine",
                              GROUPS[b->group], (int)L.gsize);
    double sizes[COLLBENCH_MAX_SIZES];
    int32_t ns = collbench_sizes(b->size_lo_B, b->size_hi_B, sizes);
    /* Build each operation once per algorithm it uses, at the largest size using it (the most
     * pipeline chunks), so that nothing can fail once the simulation runs. */
    for (int32_t o = 0; rc == 0 && o < b->nops; o++)
        for (int32_t k = ns - 1; rc == 0 && k >= 0; k--) {
            coll_alg a = resolve(sc, &L, b->op[o], sizes[k]);
            bool seen = false;
            for (int32_t j = k + 1; j < ns && !seen; j++)
                seen = resolve(sc, &L, b->op[o], sizes[j]) == a;
            if (seen)
                continue;
            coll_sched s;
            diag_t why;
            if (coll_build(b->op[o], a, L.gsize, sizes[k], &L.prm, &s, &why)) {
                rc = scenario_fail_at(sc, "workload.bench.algorithm", err, "%s at %d ranks: %s",
                                      coll_op_name(b->op[o]), (int)L.gsize, why.msg);
                break;
            }
            coll_sched_free(&s);
        }
    free(L.members);
    return rc;
}

/* ---- the run ---- */

typedef struct coll_agg {
    double start_s, end_s;
    int32_t ranks_done;
    coll_alg alg, base;
    uint32_t stripes;
    double closed_s;
} coll_agg;

typedef struct bench_state {
    const scenario_t *sc;
    layout L;
    int32_t nactors;
    int32_t nsizes;
    double sizes[COLLBENCH_MAX_SIZES];
    int32_t ncoll;          /* nops x nsizes, op-major */
    coll_sched *sched;      /* [ncoll]; only the running one holds transfers */
    coll_agg *agg;          /* [ncoll] */
    commgroup_t **cg;       /* [ngroups] */
    sg_bar_t barrier;
    int32_t arrived;        /* ranks waiting at the barrier (actors run one at a time) */
    int32_t finished;
    bool failed;
    char fail_msg[2304];
} bench_state;

static bench_state *S; /* actors reach the state through this; one workload per process */

static coll_op op_of(int32_t k)
{
    return S->sc->wl.bench.op[k / S->nsizes];
}

static double size_of(int32_t k)
{
    return S->sizes[k % S->nsizes];
}

/* Run by the last rank at the barrier: frees collective K-1's transfers, builds K's. */
static void prepare(int32_t k)
{
    if (k > 0)
        coll_sched_free(&S->sched[k - 1]);
    if (k >= S->ncoll || S->failed)
        return;
    coll_op op = op_of(k);
    double n = size_of(k);
    diag_t err;
    coll_alg a = resolve(S->sc, &S->L, op, n);
    if (coll_build(op, a, S->L.gsize, n, &S->L.prm, &S->sched[k], &err)) {
        S->failed = true;
        snprintf(S->fail_msg, sizeof S->fail_msg, "%s of %g B: %s", coll_op_name(op), n, err.msg);
        return;
    }
    coll_agg *g = &S->agg[k];
    g->alg = S->sched[k].alg;
    g->base = S->sched[k].base;
    g->stripes = S->sched[k].stripes;
    g->closed_s = coll_closed_form_time(op, a, S->L.gsize, n, &S->L.prm, net_for(&S->L, op, g->base));
}

static void rank_main(int argc, char **argv)
{
    (void)argc;
    int32_t i = (int32_t)atoi(argv[1]);
    int32_t g = i / S->L.gsize, r = i % S->L.gsize, acc = S->L.members[i];
    for (int32_t k = 0; k < S->ncoll; k++) {
        /* the last rank to arrive builds collective k, then releases everybody */
        if (++S->arrived == S->nactors) {
            S->arrived = 0;
            prepare(k);
        }
        sg_barrier_wait(S->barrier);
        if (S->failed)
            break;
        coll_agg *a = &S->agg[k];
        if (i == 0)
            a->start_s = simgrid_get_clock();
        engine_set_state(acc, ACC_COMM);
        cg_run(S->cg[g], r, &S->sched[k]);
        engine_set_state(acc, ACC_IDLE);
        a->end_s = fmax(a->end_s, simgrid_get_clock());
        a->ranks_done++;
        if (i == 0)
            engine_progress((double)(k + 1), (double)S->ncoll);
        engine_progress_tick();
    }
    if (++S->finished == S->nactors)
        engine_workload_done();
}

static void state_free(bench_state *s)
{
    if (!s)
        return;
    for (int32_t k = 0; s->sched && k < s->ncoll; k++)
        coll_sched_free(&s->sched[k]);
    for (int32_t g = 0; s->cg && g < s->L.ngroups; g++)
        cg_free(s->cg[g]);
    if (s->barrier)
        sg_barrier_destroy(s->barrier);
    free(s->cg);
    free(s->sched);
    free(s->agg);
    free(s->L.members);
    free(s);
}

static int bench_setup(const scenario_t *sc, const platform_t *plat, void **state, diag_t *err)
{
    const collbench_spec *b = &sc->wl.bench;
    bench_state *s = calloc(1, sizeof *s);
    if (!s)
        return diag_fail(err, "out of memory");
    s->sc = sc;
    if (layout_build(sc, plat, &s->L, err)) {
        state_free(s);
        return -1;
    }
    s->nsizes = collbench_sizes(b->size_lo_B, b->size_hi_B, s->sizes);
    s->ncoll = b->nops * s->nsizes;
    s->nactors = s->L.gsize * s->L.ngroups;
    s->sched = calloc((size_t)s->ncoll, sizeof *s->sched);
    s->agg = calloc((size_t)s->ncoll, sizeof *s->agg);
    s->cg = calloc((size_t)s->L.ngroups, sizeof *s->cg);
    if (!s->sched || !s->agg || !s->cg) {
        state_free(s);
        return diag_fail(err, "out of memory for %d collectives", (int)s->ncoll);
    }
    for (int32_t g = 0; g < s->L.ngroups; g++) {
        char name[48];
        snprintf(name, sizeof name, "bench%d", (int)g);
        s->cg[g] = cg_new(name, s->L.members + (size_t)g * s->L.gsize, s->L.gsize, sc->run.fidelity, plat);
        if (!s->cg[g]) {
            state_free(s);
            return diag_fail(err, "out of memory for communicator %d", (int)g);
        }
    }
    s->barrier = sg_barrier_init((unsigned)s->nactors);
    S = s;
    for (int32_t i = 0; i < s->nactors; i++) {
        char host[32], idx[16], name[32];
        snprintf(host, sizeof host, "acc%d", (int)s->L.members[i]);
        snprintf(idx, sizeof idx, "%d", (int)i);
        snprintf(name, sizeof name, "bench%d", (int)i);
        char *argv[] = {name, idx, NULL};
        sg_actor_create(name, sg_host_by_name(host), rank_main, 2, argv);
    }
    *state = s;
    return 0;
}

typedef struct bench_row {
    char op[16], algorithm[16], base_algorithm[16], group[16];
    int32_t stripes, group_size, groups;
    double bytes_B, time_s, algbw_Bps, busbw_Bps, closed_form_s, time_vs_closed_form;
} bench_row;

#define ROW(m) offsetof(bench_row, m)
static const trace_col BENCH_COLS[] = {
    {"op", TCOL_STR, ROW(op), 16, "", "allreduce, allgather, reducescatter, alltoall, broadcast or p2p"},
    {"algorithm", TCOL_STR, ROW(algorithm), 16, "", "algorithm used (auto resolved): ring, dbtree, rhd, ..."},
    {"base_algorithm", TCOL_STR, ROW(base_algorithm), 16, "",
     "the algorithm whose steps ran: algorithm itself, or multiplane's plane algorithm"},
    {"stripes", TCOL_I32, ROW(stripes), 0, "1", "planes every transfer was striped over (1 unless multiplane)"},
    {"group", TCOL_STR, ROW(group), 16, "", "all, node or supernode"},
    {"group_size", TCOL_I32, ROW(group_size), 0, "1", "ranks in each group"},
    {"groups", TCOL_I32, ROW(groups), 0, "1", "groups running the collective at the same time"},
    {"bytes", TCOL_F64, ROW(bytes_B), 0, "B", "message size, nccl-tests convention (docs/collectives.md)"},
    {"time", TCOL_F64, ROW(time_s), 0, "s", "common start to the last rank's end, slowest group"},
    {"algbw", TCOL_F64, ROW(algbw_Bps), 0, "B/s", "bytes / time"},
    {"busbw", TCOL_F64, ROW(busbw_Bps), 0, "B/s", "algbw x nccl-tests bus factor of the op and group size"},
    {"closed_form_time", TCOL_F64, ROW(closed_form_s), 0, "s",
     "closed form of the algorithm on an uncongested network with group 0's worst route latency and "
     "narrowest path bandwidth"},
    {"time_vs_closed_form", TCOL_F64, ROW(time_vs_closed_form), 0, "1",
     "time / closed_form_time: 1 when nothing slows the algorithm beyond its closed form"},
};
#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static int bench_finish(void *state, trace_t *t, const engine_stats *st, diag_t *err)
{
    (void)st;
    bench_state *s = state;
    const collbench_spec *b = &s->sc->wl.bench;
    int rc = -1;
    if (s->failed) {
        diag_fail(err, "collective benchmark: %s", s->fail_msg);
        goto done;
    }
    trace_table_t *tab = trace_table_create(t, "/bench", "one row per operation and message size (nccl-tests-like)",
                                            BENCH_COLS, NCOLS(BENCH_COLS), sizeof(bench_row));
    if (!tab) {
        diag_fail(err, "out of memory");
        goto done;
    }
    int32_t done_rows = 0;
    for (int32_t o = 0; o < b->nops; o++) {
        coll_op op = b->op[o];
        double peak = NAN, first_t = NAN, last_bus = NAN;
        for (int32_t z = 0; z < s->nsizes; z++) {
            const coll_agg *a = &s->agg[o * s->nsizes + z];
            if (a->ranks_done < s->nactors)
                continue; /* the run stopped before this collective ended */
            bench_row r = {.stripes = (int32_t)a->stripes, .group_size = s->L.gsize, .groups = s->L.ngroups,
                           .bytes_B = s->sizes[z], .time_s = a->end_s - a->start_s, .closed_form_s = a->closed_s};
            snprintf(r.op, sizeof r.op, "%s", coll_op_name(op));
            snprintf(r.algorithm, sizeof r.algorithm, "%s", coll_alg_name(a->alg));
            snprintf(r.base_algorithm, sizeof r.base_algorithm, "%s", coll_alg_name(a->base));
            snprintf(r.group, sizeof r.group, "%s", GROUPS[b->group]);
            r.algbw_Bps = r.time_s > 0 ? r.bytes_B / r.time_s : 0.0;
            r.busbw_Bps = r.algbw_Bps * coll_busbw_factor(op, s->L.gsize);
            if (!(r.closed_form_s > 0))
                r.closed_form_s = NAN;
            r.time_vs_closed_form = r.closed_form_s > 0 ? r.time_s / r.closed_form_s : NAN;
            if (trace_table_append(tab, &r)) {
                diag_fail(err, "out of memory");
                goto done;
            }
            done_rows++;
            peak = fmax(peak, r.busbw_Bps);
            if (isnan(first_t))
                first_t = r.time_s;
            last_bus = r.busbw_Bps;
        }
        char name[96], doc[192];
        const char *on = coll_op_name(op);
        snprintf(name, sizeof name, "bench_%s_time_smallest", on);
        snprintf(doc, sizeof doc, "%s time at the smallest size swept (latency-bound end)", on);
        trace_summary_f64(t, name, first_t, "s", doc);
        snprintf(name, sizeof name, "bench_%s_busbw_largest", on);
        snprintf(doc, sizeof doc, "%s bus bandwidth at the largest size swept (nccl-tests definition)", on);
        trace_summary_f64(t, name, last_bus, "B/s", doc);
        snprintf(name, sizeof name, "bench_%s_busbw_peak", on);
        snprintf(doc, sizeof doc, "%s highest bus bandwidth over the sizes swept", on);
        trace_summary_f64(t, name, peak, "B/s", doc);
    }
    trace_summary_i64(t, "bench_group_size", s->L.gsize, "1", "ranks in each benchmark group");
    trace_summary_i64(t, "bench_groups", s->L.ngroups, "1", "groups running each collective at the same time");
    trace_summary_i64(t, "bench_collectives", done_rows, "1", "collectives timed (operations x sizes)");
    rc = 0;
done:
    state_free(s);
    S = NULL;
    return rc;
}

static void bench_describe(const scenario_t *sc, FILE *f)
{
    const collbench_spec *b = &sc->wl.bench;
    double sizes[COLLBENCH_MAX_SIZES];
    int32_t ns = collbench_sizes(b->size_lo_B, b->size_hi_B, sizes);
    char lo[64], hi[64];
    units_format(b->size_lo_B, DIM_BYTES, lo, sizeof lo);
    units_format(b->size_hi_B, DIM_BYTES, hi, sizeof hi);
    fprintf(f, "Workload: collective benchmark of %s at %d size%s from %s to %s, algorithm %s%s%s, group '%s'.\n",
            b->ops, (int)ns, ns == 1 ? "" : "s", lo, hi, coll_alg_name((coll_alg)b->algorithm),
            b->algorithm == COLL_ALG_MULTIPLANE ? " over " : "",
            b->algorithm == COLL_ALG_MULTIPLANE ? coll_alg_name((coll_alg)b->plane_algorithm) : "", GROUPS[b->group]);
}

const workload_ops workload_collbench = {"collbench", bench_setup, bench_finish, bench_describe};

/* ---- printing /bench ---- */

int collbench_print(trace_t *t, FILE *f)
{
    trace_table_t *tab = trace_table_find(t, "/bench");
    if (!tab)
        return -1;
    size_t n = trace_table_rows(tab);
    if (n > 0) {
        const bench_row *r0 = trace_table_row(tab, 0);
        fprintf(f, "# group '%s': %d group%s of %d rank%s; GB/s = 1e9 B/s; closed = uncongested closed form\n",
                r0->group, (int)r0->groups, r0->groups == 1 ? "" : "s", (int)r0->group_size,
                r0->group_size == 1 ? "" : "s");
    }
    fprintf(f, "#%13s  %-14s %-18s %12s %12s %12s %12s %8s\n", "size(B)", "op", "algorithm", "time(us)",
            "algbw(GB/s)", "busbw(GB/s)", "closed(us)", "/closed");
    for (size_t i = 0; i < n; i++) {
        const bench_row *r = trace_table_row(tab, i);
        char alg[40];
        if (r->stripes > 1 || strcmp(r->algorithm, r->base_algorithm))
            snprintf(alg, sizeof alg, "%s/%s", r->algorithm, r->base_algorithm);
        else
            snprintf(alg, sizeof alg, "%s", r->algorithm);
        fprintf(f, "%14.0f  %-14s %-18s %12.3f %12.3f %12.3f %12.3f %8.4f\n", r->bytes_B, r->op, alg,
                r->time_s * 1e6, r->algbw_Bps / 1e9, r->busbw_Bps / 1e9, r->closed_form_s * 1e6,
                r->time_vs_closed_form);
    }
    return 0;
}

/* ---- scenario keys (workload.bench.* when workload.kind = collbench) ---- */

#define OFF(m) offsetof(scenario_t, wl.bench.m)
#define WHEN "workload.kind=collbench"

/* coll_alg_name's names, in enum order (checked by tests/check_collbench.c). */
static const char *const ALGS[] = {"auto",  "ring",       "dbtree", "rhd", "direct", "pairwise",
                                   "hier",  "multiplane", "torus",  NULL};
_Static_assert(sizeof ALGS / sizeof ALGS[0] == COLL_ALG__COUNT + 1, "ALGS must list every coll_alg");

static const field FIELDS[] = {
    {"workload.bench.ops", F_STR, DIM_NONE, OFF(ops), sizeof(((collbench_spec *)0)->ops), NULL, "", 0, 0, false,
     "Operations to sweep, comma-separated, in the order they run: `allreduce`, `allgather`, "
     "`reducescatter`, `alltoall`, `broadcast`, `p2p`. Empty: every operation `algorithm` can do.",
     WHEN, NULL, NULL},
    {"workload.bench.sizes", F_STR, DIM_NONE, OFF(sizes), sizeof(((collbench_spec *)0)->sizes), NULL, "1KiB:4GiB", 0,
     0, false,
     "Message sizes `LO:HI`: LO, 2 LO, 4 LO, ... up to HI, as nccl-tests' `-b LO -e HI -f 2` (power-of-two "
     "bounds give the powers of two between them), or one size. Sizes follow nccl-tests (per-rank buffer "
     "for all-reduce, total output for all-gather, ...; docs/collectives.md). Default: the 1 KiB to 4 GiB "
     "sweep of common nccl-tests runs.",
     WHEN, NULL, NULL},
    {"workload.bench.algorithm", F_ENUM, DIM_NONE, OFF(algorithm), 0, ALGS, "auto", 0, 0, false,
     "Collective algorithm (docs/collectives.md): `auto` chooses per operation and size as NCCL does; "
     "`multiplane` stripes every transfer of `plane_algorithm` over the topology's planes; `torus` runs "
     "one bidirectional ring per torus dimension (groups that are tori of a `torus` topology).",
     WHEN, NULL, NULL},
    {"workload.bench.plane_algorithm", F_ENUM, DIM_NONE, OFF(plane_algorithm), 0, ALGS, "auto", 0, 0, false,
     "The algorithm multiplane runs over its striped transfers (`auto`: chosen for each plane's share).",
     "workload.bench.algorithm=multiplane", NULL, NULL},
    {"workload.bench.group", F_ENUM, DIM_NONE, OFF(group), 0, GROUPS, "all", 0, 0, false,
     "Who runs each collective: `all` accelerators as one group, or every `node` (resp. `supernode`) as its "
     "own group, all groups at the same time.",
     WHEN, NULL, NULL},
};

static int bench_check(scenario_t *sc, diag_t *err)
{
    if (sc->wl.kind != WL_COLLBENCH)
        return 0;
    collbench_spec *b = &sc->wl.bench;
    char why[512];
    if (collbench_parse_sizes(b->sizes, &b->size_lo_B, &b->size_hi_B, why, sizeof why))
        return scenario_fail_at(sc, "workload.bench.sizes", err, "'workload.bench.sizes': %s", why);
    if (b->size_hi_B > sc->accel.hbm_bytes) {
        char s[64], h[64];
        units_format(b->size_hi_B, DIM_BYTES, s, sizeof s);
        units_format(sc->accel.hbm_bytes, DIM_BYTES, h, sizeof h);
        return scenario_fail_at(sc, "workload.bench.sizes", err,
                                "'workload.bench.sizes': the largest message (%s) does not fit in HBM "
                                "(hardware.accelerator.hbm_capacity = %s)",
                                s, h);
    }
    coll_alg alg = (coll_alg)b->algorithm, base = (coll_alg)b->plane_algorithm;
    if (alg == COLL_ALG_MULTIPLANE && base == COLL_ALG_MULTIPLANE)
        return scenario_fail_at(sc, "workload.bench.plane_algorithm", err,
                                "'workload.bench.plane_algorithm': multiplane cannot stripe itself; choose the "
                                "algorithm it runs on each plane");
    if (!b->ops[0]) {
        b->nops = 0;
        for (int o = 0; o < COLL_OP__COUNT; o++)
            if (collbench_check_op((coll_op)o, alg, base, why, sizeof why) == 0) {
                size_t l = strlen(b->ops);
                snprintf(b->ops + l, sizeof b->ops - l, "%s%s", l ? "," : "", coll_op_name((coll_op)o));
                b->op[b->nops++] = (coll_op)o;
            }
        return 0;
    }
    if (collbench_parse_ops(b->ops, b->op, &b->nops, why, sizeof why))
        return scenario_fail_at(sc, "workload.bench.ops", err, "'workload.bench.ops': %s", why);
    for (int32_t o = 0; o < b->nops; o++)
        if (collbench_check_op(b->op[o], alg, base, why, sizeof why))
            return scenario_fail_at(sc, "workload.bench.ops", err, "'workload.bench.ops': %s", why);
    return 0;
}

const schema_part schema_part_collbench = {"workload: collbench", FIELDS, SCHEMA_NFIELDS(FIELDS), bench_check};
