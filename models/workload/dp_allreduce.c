/* Data-parallel training loop: every accelerator is one rank; each iteration is a compute phase
 * (roofline) followed by an all-reduce of the gradients over all ranks. Ranks run freely (no
 * barrier between iterations); the all-reduce synchronises them, as in real data parallelism.
 * Invariant: per-iteration aggregates (earliest start, latest end, longest compute) are folded
 * in as each rank reports and written as a trace row when the last rank reports; the all-reduce
 * keeps ranks within one iteration of each other, so a small ring of aggregates suffices and
 * memory does not grow with the number of iterations (beyond the trace rows themselves). */
#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commgroup.h"
#include "units.h"
#include "workload.h"

typedef struct iter_agg {
    double start_min, compute_max, coll_first, coll_ready, end_max;
    int32_t ranks_done;
} iter_agg;

enum { DP_RING = 4 }; /* iterations in flight; the all-reduce bounds it at 2 */

typedef struct dp_state {
    const scenario_t *sc;
    int32_t n;
    int64_t iters;
    coll_sched sched;
    commgroup_t *group;
    iter_agg ring[DP_RING];
    int64_t done_iters;
    double sum_d, sum_c, sum_e, sum_coll, sum_alg, sum_bus, dmin, dmax;
    trace_table_t *t_iter, *t_coll;
    int oom;
    double *rank_compute_s, *rank_comm_s;
    int32_t ranks_finished;
} dp_state;

static dp_state *S; /* actors reach the state through this; one workload per process */

typedef struct iter_row {
    int64_t iteration;
    double start_s, end_s, duration_s, compute_s, exposed_comm_s;
} iter_row;

typedef struct coll_row {
    int64_t id, iteration;
    char op[16], algorithm[16];
    int32_t group_size;
    double bytes, start_s, ready_s, end_s, duration_s, algbw_Bps, busbw_Bps;
} coll_row;

typedef struct rank_row {
    int32_t rank, accelerator;
    double compute_s, comm_s, busy_fraction;
} rank_row;

static const trace_col ITER_COLS[] = {
    {"iteration", TCOL_I64, offsetof(iter_row, iteration), 0, "1", "iteration index from 0"},
    {"start", TCOL_F64, offsetof(iter_row, start_s), 0, "s", "earliest rank start"},
    {"end", TCOL_F64, offsetof(iter_row, end_s), 0, "s", "latest rank end"},
    {"duration", TCOL_F64, offsetof(iter_row, duration_s), 0, "s", "end - start"},
    {"compute", TCOL_F64, offsetof(iter_row, compute_s), 0, "s", "longest compute phase of any rank"},
    {"exposed_comm", TCOL_F64, offsetof(iter_row, exposed_comm_s), 0, "s",
     "communication not hidden by compute: duration - compute"},
};

static const trace_col COLL_COLS[] = {
    {"id", TCOL_I64, offsetof(coll_row, id), 0, "1", "collective id"},
    {"iteration", TCOL_I64, offsetof(coll_row, iteration), 0, "1", "iteration it belongs to"},
    {"op", TCOL_STR, offsetof(coll_row, op), 16, "", "allreduce, allgather, ..."},
    {"algorithm", TCOL_STR, offsetof(coll_row, algorithm), 16, "", "ring, dbtree, rhd, ..."},
    {"group_size", TCOL_I32, offsetof(coll_row, group_size), 0, "1", "ranks in the group"},
    {"bytes", TCOL_F64, offsetof(coll_row, bytes), 0, "B", "message size (nccl-tests convention)"},
    {"start", TCOL_F64, offsetof(coll_row, start_s), 0, "s", "first rank entered"},
    {"ready", TCOL_F64, offsetof(coll_row, ready_s), 0, "s", "last rank entered"},
    {"end", TCOL_F64, offsetof(coll_row, end_s), 0, "s", "last rank finished"},
    {"duration", TCOL_F64, offsetof(coll_row, duration_s), 0, "s", "end - ready"},
    {"algbw", TCOL_F64, offsetof(coll_row, algbw_Bps), 0, "B/s", "bytes / duration"},
    {"busbw", TCOL_F64, offsetof(coll_row, busbw_Bps), 0, "B/s", "algbw x nccl-tests bus factor"},
};

static const trace_col RANK_COLS[] = {
    {"rank", TCOL_I32, offsetof(rank_row, rank), 0, "1", "data-parallel rank"},
    {"accelerator", TCOL_I32, offsetof(rank_row, accelerator), 0, "1", "accelerator it runs on"},
    {"compute", TCOL_F64, offsetof(rank_row, compute_s), 0, "s", "total compute time"},
    {"comm", TCOL_F64, offsetof(rank_row, comm_s), 0, "s", "total time inside collectives"},
    {"busy_fraction", TCOL_F64, offsetof(rank_row, busy_fraction), 0, "1", "compute / simulated time"},
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static void emit_iteration(int64_t k, const iter_agg *a);

static void rank_main(int argc, char **argv)
{
    (void)argc;
    int32_t r = (int32_t)atoi(argv[1]);
    const scenario_t *sc = S->sc;
    for (int64_t k = 0; k < S->iters; k++) {
        double t0 = simgrid_get_clock();
        engine_compute(r, sc->wl.dp.compute_flop, sc->wl.dp.compute_hbm_bytes, sc->wl.dp.compute_efficiency);
        double t1 = simgrid_get_clock();
        engine_set_state(r, ACC_COMM);
        cg_run(S->group, r, &S->sched);
        engine_set_state(r, ACC_IDLE);
        double t2 = simgrid_get_clock();
        iter_agg *a = &S->ring[k % DP_RING];
        if (a->ranks_done == 0) {
            a->start_min = t0;
            a->coll_first = t1;
        }
        a->start_min = fmin(a->start_min, t0);
        a->coll_first = fmin(a->coll_first, t1);
        a->coll_ready = fmax(a->coll_ready, t1);
        a->compute_max = fmax(a->compute_max, t1 - t0);
        a->end_max = fmax(a->end_max, t2);
        if (++a->ranks_done == S->n) {
            emit_iteration(k, a);
            memset(a, 0, sizeof *a);
        }
        S->rank_compute_s[r] += t1 - t0;
        S->rank_comm_s[r] += t2 - t1;
        if (r == 0)
            engine_progress((double)(k + 1), (double)S->iters);
    }
    if (++S->ranks_finished == S->n)
        engine_workload_done();
}

static void emit_iteration(int64_t k, const iter_agg *a)
{
    dp_state *s = S;
    iter_row r = {.iteration = k, .start_s = a->start_min, .end_s = a->end_max};
    r.duration_s = a->end_max - a->start_min;
    r.compute_s = a->compute_max;
    r.exposed_comm_s = r.duration_s - r.compute_s;
    coll_row c = {.id = k, .iteration = k, .group_size = s->n, .bytes = s->sched.bytes,
                  .start_s = a->coll_first, .ready_s = a->coll_ready, .end_s = a->end_max};
    snprintf(c.op, sizeof c.op, "%s", coll_op_name(s->sched.op));
    snprintf(c.algorithm, sizeof c.algorithm, "%s", coll_alg_name(s->sched.alg));
    c.duration_s = c.end_s - c.ready_s;
    c.algbw_Bps = c.duration_s > 0 ? c.bytes / c.duration_s : 0;
    c.busbw_Bps = c.algbw_Bps * coll_busbw_factor(COLL_ALLREDUCE, s->n);
    if (trace_table_append(s->t_iter, &r) || trace_table_append(s->t_coll, &c))
        s->oom = 1;
    s->sum_d += r.duration_s;
    s->sum_c += r.compute_s;
    s->sum_e += r.exposed_comm_s;
    s->sum_coll += c.duration_s;
    s->sum_alg += c.algbw_Bps;
    s->sum_bus += c.busbw_Bps;
    s->dmin = fmin(s->dmin, r.duration_s);
    s->dmax = fmax(s->dmax, r.duration_s);
    s->done_iters++;
}

static int dp_setup(const scenario_t *sc, const platform_t *plat, void **state, diag_t *err)
{
    dp_state *s = calloc(1, sizeof *s);
    if (!s)
        return diag_fail(err, "out of memory");
    s->sc = sc;
    s->n = platform_accelerators(plat);
    s->iters = sc->wl.dp.iterations;
    coll_alg alg;
    if (coll_alg_parse(scenario_enum_name("workload.algorithm", sc->wl.dp.algorithm), &alg))
        alg = COLL_ALG_RING;
    coll_params prm = {0};
    int32_t *members = malloc((size_t)s->n * sizeof *members);
    if (!members)
        goto oom;
    for (int32_t i = 0; i < s->n; i++)
        members[i] = i;
    /* one torus supernode: the group of all ranks is the torus, which auto and torus use */
    prm.torus_nd = platform_torus_group(plat, members, s->n, prm.torus_dim);
    if (alg == COLL_ALG_AUTO)
        alg = coll_choose(COLL_ALLREDUCE, s->n, sc->wl.dp.gradient_bytes, &prm);
    if (coll_build(COLL_ALLREDUCE, alg, s->n, sc->wl.dp.gradient_bytes, &prm, &s->sched, err)) {
        free(members);
        goto fail;
    }
    s->group = cg_new("dp", members, s->n, sc->run.fidelity, plat);
    free(members);
    s->dmin = INFINITY;
    s->rank_compute_s = calloc((size_t)s->n, sizeof *s->rank_compute_s);
    s->rank_comm_s = calloc((size_t)s->n, sizeof *s->rank_comm_s);
    s->t_iter = trace_table_create(engine_trace(), "/training/iterations", "one row per completed iteration",
                                   ITER_COLS, NCOLS(ITER_COLS), sizeof(iter_row));
    s->t_coll = trace_table_create(engine_trace(), "/training/collectives", "one row per collective call",
                                   COLL_COLS, NCOLS(COLL_COLS), sizeof(coll_row));
    if (!s->group || !s->rank_compute_s || !s->rank_comm_s || !s->t_iter || !s->t_coll)
        goto oom;
    S = s;
    for (int32_t i = 0; i < s->n; i++) {
        char host[32], rank[16], name[32];
        snprintf(host, sizeof host, "acc%d", i);
        snprintf(rank, sizeof rank, "%d", i);
        snprintf(name, sizeof name, "rank%d", i);
        char *argv[] = {name, rank, NULL};
        sg_actor_create(name, sg_host_by_name(host), rank_main, 2, argv);
    }
    *state = s;
    return 0;
oom:
    diag_fail(err, "out of memory for %d ranks x %lld iterations", s->n, (long long)s->iters);
fail:
    coll_sched_free(&s->sched);
    cg_free(s->group);
    free(s->rank_compute_s);
    free(s->rank_comm_s);
    free(s);
    return -1;
}


static int dp_finish(void *state, trace_t *t, const engine_stats *st, diag_t *err)
{
    dp_state *s = state;
    int rc = -1;
    trace_table_t *tr = trace_table_create(t, "/training/ranks", "per-rank totals (stragglers show here)",
                                           RANK_COLS, NCOLS(RANK_COLS), sizeof(rank_row));
    if (!tr || s->oom) {
        diag_fail(err, "out of memory for the training tables");
        goto done;
    }
    for (int32_t i = 0; i < s->n; i++) {
        rank_row rr = {.rank = i, .accelerator = i, .compute_s = s->rank_compute_s[i], .comm_s = s->rank_comm_s[i]};
        rr.busy_fraction = st->sim_time_s > 0 ? rr.compute_s / st->sim_time_s : 0;
        if (trace_table_append(tr, &rr)) {
            diag_fail(err, "out of memory");
            goto done;
        }
    }
    int64_t k = s->done_iters;
    double n = k ? (double)k : 1;
    trace_summary_i64(t, "iterations_completed", k, "1", "iterations every rank finished");
    engine_work_done("iteration", (double)k);
    trace_summary_f64(t, "iteration_time_mean", k ? s->sum_d / n : 0, "s", "mean iteration time");
    trace_summary_f64(t, "iteration_time_min", k ? s->dmin : 0, "s", "shortest iteration");
    trace_summary_f64(t, "iteration_time_max", s->dmax, "s", "longest iteration");
    trace_summary_f64(t, "compute_time_mean", s->sum_c / n, "s", "mean compute phase per iteration");
    trace_summary_f64(t, "exposed_comm_time_mean", s->sum_e / n, "s", "mean exposed communication per iteration");
    trace_summary_f64(t, "comm_fraction", s->sum_d > 0 ? s->sum_e / s->sum_d : 0, "1",
                      "share of iteration time spent in exposed communication");
    trace_summary_f64(t, "allreduce_time_mean", s->sum_coll / n, "s", "mean all-reduce duration");
    trace_summary_f64(t, "allreduce_algbw_mean", s->sum_alg / n, "B/s", "mean all-reduce algorithm bandwidth");
    trace_summary_f64(t, "allreduce_busbw_mean", s->sum_bus / n, "B/s",
                      "mean all-reduce bus bandwidth (nccl-tests definition)");
    rc = 0;
done:
    coll_sched_free(&s->sched);
    cg_free(s->group);
    free(s->rank_compute_s);
    free(s->rank_comm_s);
    free(s);
    S = NULL;
    return rc;
}

static void dp_describe(const scenario_t *sc, FILE *f)
{
    const dp_spec *d = &sc->wl.dp;
    char gb[64], fl[64];
    units_format(d->gradient_bytes, DIM_BYTES, gb, sizeof gb);
    units_format(d->compute_flop, DIM_FLOP, fl, sizeof fl);
    fprintf(f,
            "Workload: %lld data-parallel training iteration%s, each %s of compute per accelerator at %.0f%% "
            "efficiency then a %s all-reduce of %s over all %lld ranks.\n",
            (long long)d->iterations, d->iterations == 1 ? "" : "s", fl, 100.0 * d->compute_efficiency,
            scenario_enum_name("workload.algorithm", d->algorithm), gb, (long long)sc->topo.total_accelerators);
}

const workload_ops workload_dp_allreduce = {"dp_allreduce", dp_setup, dp_finish, dp_describe};

/* ---- scenario keys (workload.* when workload.kind = dp_allreduce) ---- */

#define OFF(m) offsetof(scenario_t, wl.dp.m)
#define BIG 1e300
#define WHEN "workload.kind=dp_allreduce"

static const char *const AR_ALGS[] = {"auto", "ring", "dbtree", "rhd", "torus", NULL};

static const field FIELDS[] = {
    {"workload.iterations", F_INT, DIM_NONE, OFF(iterations), 0, NULL, NULL, 1, 1e9, false, "Number of iterations.",
     WHEN, NULL, NULL},
    {"workload.compute.flops", F_QTY, DIM_FLOP, OFF(compute_flop), 0, NULL, NULL, 0, BIG, false,
     "FLOP each accelerator computes per iteration (e.g. `6 PFLOP`).", WHEN, NULL, NULL},
    {"workload.compute.hbm_bytes", F_QTY, DIM_BYTES, OFF(compute_hbm_bytes), 0, NULL, "0 B", 0, BIG, false,
     "HBM traffic per accelerator per iteration; the compute phase lasts "
     "max(flops / (peak_flops * efficiency), hbm_bytes / hbm_bandwidth).",
     WHEN, NULL, NULL},
    {"workload.compute.efficiency", F_QTY, DIM_NONE, OFF(compute_efficiency), 0, NULL, "1", 0, 1, true,
     "Achieved fraction of peak FLOP/s in the compute phase. Default 1 (peak, by definition); set it "
     "from a measured model FLOPs utilisation.",
     WHEN, NULL, NULL},
    {"workload.gradient_bytes", F_QTY, DIM_BYTES, OFF(gradient_bytes), 0, NULL, NULL, 0, BIG, true,
     "Bytes all-reduced by every rank per iteration (must fit in HBM).", WHEN, NULL, NULL},
    {"workload.algorithm", F_ENUM, DIM_NONE, OFF(algorithm), 0, AR_ALGS, "ring", 0, 0, false,
     "All-reduce algorithm: `ring`, `dbtree` (double binary tree), `rhd` (recursive halving-doubling), "
     "`torus` (one bidirectional ring per dimension; `torus` topologies of one supernode) or `auto` "
     "(chosen by size and group, NCCL-like; on one torus supernode, `torus` for large messages).",
     WHEN, NULL, NULL},
};

static int dp_check(scenario_t *sc, diag_t *err)
{
    if (sc->wl.kind != WL_DP_ALLREDUCE)
        return 0;
    if (sc->wl.dp.gradient_bytes > sc->accel.hbm_bytes) {
        char g[64], h[64];
        units_format(sc->wl.dp.gradient_bytes, DIM_BYTES, g, sizeof g);
        units_format(sc->accel.hbm_bytes, DIM_BYTES, h, sizeof h);
        return scenario_fail_at(sc, "workload.gradient_bytes", err,
                                "'workload.gradient_bytes' (%s) does not fit in HBM (hardware.accelerator.hbm_capacity "
                                "= %s)",
                                g, h);
    }
    if (sc->topo.total_accelerators < 2)
        return scenario_fail_at(sc, "topology.accelerators", err,
                                "an all-reduce workload needs at least 2 accelerators, the topology has %lld",
                                (long long)sc->topo.total_accelerators);
    if (strcmp(AR_ALGS[sc->wl.dp.algorithm], "torus") == 0 && (sc->topo.kind != TOPO_TORUS || sc->topo.supernodes != 1))
        return scenario_fail_at(sc, "workload.algorithm", err,
                                "all-reduce algorithm 'torus' needs a torus of all ranks: `topology.kind: torus` with "
                                "one supernode (this topology has %s%lld supernode%s)",
                                sc->topo.kind == TOPO_TORUS ? "" : "no torus, ", (long long)sc->topo.supernodes,
                                sc->topo.supernodes == 1 ? "" : "s");
    return 0;
}

const schema_part schema_part_dp = {"workload: dp_allreduce", FIELDS, SCHEMA_NFIELDS(FIELDS), dp_check};
