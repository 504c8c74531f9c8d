/* Reading a design's card from its sub-runs' traces: /summary figures and /bench rows, through
 * sim/h5read. Each metric says which run it comes from and how it is derived (docs/scorecard.md
 * repeats it). Invariant: a metric whose run did not complete, or does not apply to the design,
 * stays NaN; nothing is estimated in its place. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h5read.h"
#include "scorecard.h"

/* The figures of one trace. */
typedef struct figs {
    h5r_figure *f;
    size_t n;
} figs;

static double fig(const figs *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!s->f[i].is_text && !strcmp(s->f[i].name, name))
            return s->f[i].value;
    return NAN;
}

static void set(sc_design *d, const char *metric, double v)
{
    long i = sc_metric_index(metric);
    if (i >= 0)
        d->value[i] = v;
}

static double get(const sc_design *d, const char *metric)
{
    long i = sc_metric_index(metric);
    return i >= 0 ? d->value[i] : NAN;
}

static int load_figs(const sc_run *r, figs *s, diag_t *err)
{
    s->f = NULL;
    s->n = 0;
    h5r_file *f = h5r_open(r->trace, err);
    if (!f)
        return -1;
    int rc = h5r_summary(f, &s->f, &s->n, err);
    h5r_close(f);
    return rc;
}

/* Bus bandwidth of OP at BYTES in the /bench table of TRACE (NaN when absent). */
typedef struct bench_rows {
    char **op;
    double *bytes, *busbw;
    size_t n;
} bench_rows;

static int load_bench(const char *trace, bench_rows *b, diag_t *err)
{
    memset(b, 0, sizeof *b);
    size_t n1 = 0, n2 = 0, n3 = 0;
    h5r_file *f = h5r_open(trace, err);
    if (!f)
        return -1;
    int rc = h5r_table_f64(f, "/bench", "bytes", &b->bytes, &n1, err);
    if (rc == 0)
        rc = h5r_table_f64(f, "/bench", "busbw", &b->busbw, &n2, err);
    h5r_close(f);
    if (rc == 0)
        rc = sc_h5_str_column(trace, "/bench", "op", &b->op, &n3, err);
    if (rc == 0 && (n1 != n2 || n1 != n3))
        rc = diag_fail(err, "%s: /bench columns differ in length", trace);
    b->n = n1;
    return rc;
}

static void bench_free(bench_rows *b)
{
    free(b->op);
    free(b->bytes);
    free(b->busbw);
}

static double busbw(const bench_rows *b, const char *op, double bytes)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strcmp(b->op[i], op) && b->bytes[i] == bytes)
            return b->busbw[i];
    return NAN;
}

static const double SIZE_B[3] = {1048576.0, 67108864.0, 1073741824.0};
static const char *const SIZE_NAME[3] = {"1MiB", "64MiB", "1GiB"};
static const char *const OPS[4] = {"allreduce", "allgather", "reducescatter", "alltoall"};

static int collect_bench(sc_design *d, sc_run_id r, const char *scope, diag_t *err)
{
    bench_rows b;
    if (load_bench(d->runs[r].trace, &b, err))
        return -1;
    for (size_t o = 0; o < 4; o++)
        for (size_t z = 0; z < 3; z++) {
            char name[96];
            snprintf(name, sizeof name, "busbw_%s_%s_%s", OPS[o], SIZE_NAME[z], scope);
            set(d, name, busbw(&b, OPS[o], SIZE_B[z]));
        }
    bench_free(&b);
    return 0;
}

static bool ok(const sc_design *d, sc_run_id r)
{
    return d->runs[r].status == SC_ST_OK;
}

int sc_collect(sc_design *d, diag_t *err)
{
    for (size_t i = 0; i < sc_nmetrics(); i++)
        d->value[i] = NAN;
    figs s = {0};
    /* interconnect */
    if (ok(d, SC_RUN_BENCH_SUPERNODE)) {
        if (collect_bench(d, SC_RUN_BENCH_SUPERNODE, "supernode", err) || load_figs(&d->runs[SC_RUN_BENCH_SUPERNODE], &s, err))
            return -1;
        set(d, "p2p_latency_mean", fig(&s, "topology_latency_mean"));
        set(d, "p2p_latency_max", fig(&s, "topology_latency_max"));
        double per_sn = fig(&s, "topology_accelerators") / fig(&s, "topology_supernodes");
        set(d, "bisection_bw_per_accelerator", fig(&s, "topology_bisection_bw") / per_sn);
        double modules = fig(&s, "topology_optical_modules");
        set(d, "optical_modules", modules);
        set(d, "optical_modules_per_accelerator", modules / fig(&s, "topology_accelerators"));
        double optics_W = fig(&s, "topology_optics_power");
        free(s.f);
        s.f = NULL;
        if (ok(d, SC_RUN_TRAIN_DENSE)) {
            if (load_figs(&d->runs[SC_RUN_TRAIN_DENSE], &s, err))
                return -1;
            set(d, "optics_power_share", optics_W / fig(&s, "it_power_mean"));
            free(s.f);
            s.f = NULL;
        }
    }
    if (ok(d, SC_RUN_BENCH_NODE) && collect_bench(d, SC_RUN_BENCH_NODE, "node", err))
        return -1;
    /* training and the efficiency of the dense iteration */
    static const struct {
        sc_run_id run;
        const char *tag;
    } TR[2] = {{SC_RUN_TRAIN_DENSE, "dense"}, {SC_RUN_TRAIN_MOE, "moe"}};
    for (size_t k = 0; k < 2; k++) {
        if (!ok(d, TR[k].run))
            continue;
        if (load_figs(&d->runs[TR[k].run], &s, err))
            return -1;
        char name[96];
        snprintf(name, sizeof name, "mfu_%s", TR[k].tag);
        set(d, name, fig(&s, "mfu"));
        snprintf(name, sizeof name, "exposed_comm_fraction_%s", TR[k].tag);
        set(d, name, fig(&s, "comm_fraction"));
        snprintf(name, sizeof name, "tokens_per_s_per_accelerator_%s", TR[k].tag);
        set(d, name, fig(&s, "tokens_per_second") / fig(&s, "ranks"));
        snprintf(name, sizeof name, "energy_per_training_token_%s", TR[k].tag);
        set(d, name, fig(&s, "energy_per_token"));
        if (TR[k].run == SC_RUN_TRAIN_DENSE) {
            double n = (double)d->accelerators, t = fig(&s, "simulated_time");
            set(d, "power_peak_per_accelerator", fig(&s, "facility_power_peak") / n);
            set(d, "power_mean_per_accelerator", t > 0 ? fig(&s, "facility_energy") / t / n : NAN);
            set(d, "pue", fig(&s, "pue"));
        }
        free(s.f);
        s.f = NULL;
    }
    /* inference */
    static const struct {
        sc_run_id run;
        const char *tag;
    } IN[2] = {{SC_RUN_INFER_SYNTH, "synthetic"}, {SC_RUN_INFER_AZURE, "azure"}};
    for (size_t k = 0; k < 2; k++) {
        if (!ok(d, IN[k].run))
            continue;
        if (load_figs(&d->runs[IN[k].run], &s, err))
            return -1;
        char name[96];
        snprintf(name, sizeof name, "goodput_per_accelerator_%s", IN[k].tag);
        set(d, name, fig(&s, "goodput_requests_per_accelerator"));
        snprintf(name, sizeof name, "output_tokens_per_s_per_accelerator_%s", IN[k].tag);
        set(d, name, fig(&s, "throughput_output_tokens_per_accelerator"));
        snprintf(name, sizeof name, "slo_attainment_%s", IN[k].tag);
        set(d, name, fig(&s, "slo_attainment"));
        snprintf(name, sizeof name, "ttft_p99_%s", IN[k].tag);
        set(d, name, fig(&s, "ttft_p99"));
        snprintf(name, sizeof name, "tpot_p99_%s", IN[k].tag);
        set(d, name, fig(&s, "tpot_p99"));
        if (IN[k].run == SC_RUN_INFER_AZURE) {
            double tokens = fig(&s, "throughput_output_tokens") * fig(&s, "serving_span");
            set(d, "energy_per_generated_token", tokens > 0 ? fig(&s, "facility_energy") / tokens : NAN);
        }
        free(s.f);
        s.f = NULL;
    }
    /* resilience */
    if (ok(d, SC_RUN_GOODPUT)) {
        if (load_figs(&d->runs[SC_RUN_GOODPUT], &s, err))
            return -1;
        set(d, "goodput_reference_failures", fig(&s, "goodput"));
        set(d, "interruptions_per_day", fig(&s, "interruptions_per_day"));
        free(s.f);
        s.f = NULL;
    }
    static const sc_run_id DB[SC_COMP__COUNT] = {SC_RUN_DOWN_OPTICAL_BENCH, SC_RUN_DOWN_SWITCH_BENCH,
                                                 SC_RUN_DOWN_PLANE_BENCH};
    static const sc_run_id DT[SC_COMP__COUNT] = {SC_RUN_DOWN_OPTICAL_TRAIN, SC_RUN_DOWN_SWITCH_TRAIN,
                                                 SC_RUN_DOWN_PLANE_TRAIN};
    double healthy_ar = get(d, "busbw_allreduce_1GiB_supernode"), healthy_a2a = get(d, "busbw_alltoall_1GiB_supernode");
    double healthy_it = NAN;
    if (ok(d, SC_RUN_TRAIN_DENSE)) {
        if (load_figs(&d->runs[SC_RUN_TRAIN_DENSE], &s, err))
            return -1;
        healthy_it = fig(&s, "iteration_time_mean");
        free(s.f);
        s.f = NULL;
    }
    for (size_t c = 0; c < SC_COMP__COUNT; c++) {
        char name[96];
        if (ok(d, DB[c])) {
            bench_rows b;
            if (load_bench(d->runs[DB[c]].trace, &b, err))
                return -1;
            snprintf(name, sizeof name, "allreduce_busbw_loss_%s", sc_comp_name((sc_comp)c));
            set(d, name, 1 - busbw(&b, "allreduce", SIZE_B[2]) / healthy_ar);
            snprintf(name, sizeof name, "alltoall_busbw_loss_%s", sc_comp_name((sc_comp)c));
            set(d, name, 1 - busbw(&b, "alltoall", SIZE_B[2]) / healthy_a2a);
            bench_free(&b);
        }
        if (ok(d, DT[c])) {
            if (load_figs(&d->runs[DT[c]], &s, err))
                return -1;
            snprintf(name, sizeof name, "iteration_time_loss_%s", sc_comp_name((sc_comp)c));
            set(d, name, fig(&s, "iteration_time_mean") / healthy_it - 1);
            free(s.f);
            s.f = NULL;
        }
    }
    return 0;
}
