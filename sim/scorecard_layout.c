/* The scorecard's workloads and the rules that size them to a design: the training layouts of the
 * dense and MoE reference models, the serving layout and load, and the --set overrides of every
 * sub-run. A rule tries candidates in a fixed order and keeps the first one the models accept
 * (scenario_load with its checks, then workload_check on the built platform), so the memory and
 * placement limits are the models' own. Invariant: the same design gives the same layouts. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "scenario.h"
#include "scorecard.h"
#include "workload/llm.h"
#include "workload/workload.h"

/* Every sub-run: one seed for every design (the same requests and failure draws), the analytic
 * fidelity (docs/scorecard.md says why), whole-design power series only. */
static const char *const COMMON[] = {"seed=1", "run.fidelity=analytic", "power.timeseries.per_accelerator=false"};

const char *const *sc_common_sets(size_t *n)
{
    *n = sizeof COMMON / sizeof COMMON[0];
    return COMMON;
}

/* ---- a growing list of "key=value" strings ---- */

typedef struct setlist {
    char **v;
    size_t n;
    bool oom;
} setlist;

static void add(setlist *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(setlist *s, const char *fmt, ...)
{
    if (s->oom)
        return;
    char buf[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **v = realloc(s->v, (s->n + 1) * sizeof *v);
    char *c = strdup(buf);
    if (!v || !c) {
        free(c);
        if (v)
            s->v = v;
        s->oom = true;
        return;
    }
    s->v = v;
    s->v[s->n++] = c;
}

static void setlist_free(setlist *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static void add_common(setlist *s)
{
    for (size_t i = 0; i < sizeof COMMON / sizeof COMMON[0]; i++)
        add(s, "%s", COMMON[i]);
}

/* ---- reference workloads ---- */

static void train_sets(setlist *s, bool moe, const sc_train_layout *l, const char *interval)
{
    add(s, "workload.kind=training");
    add(s, "workload.model.preset=%s", moe ? "deepseek-v3" : "llama3-70b");
    add(s, "workload.steps=1");
    add(s, "workload.global_batch=%lld", (long long)l->global_batch);
    add(s, "workload.micro_batch=1");
    add(s, "workload.parallel.tp=%lld", (long long)l->tp);
    add(s, "workload.parallel.pp=%lld", (long long)l->pp);
    if (moe)
        add(s, "workload.parallel.ep=%lld", (long long)l->ep);
    add(s, "workload.recompute=%s", l->recompute == 2 ? "full" : "selective");
    add(s, "workload.collective_log=representative");
    add(s, "run.sample_interval=%s", interval);
}

static void serve_sets(setlist *s, int64_t tp)
{
    add(s, "workload.kind=inference");
    add(s, "workload.model.preset=llama3-70b");
    add(s, "workload.model.name=llama-3.1-70b"); /* Llama 3 70B's architecture, 128K context (Meta) */
    add(s, "workload.model.seq_len=131072");
    add(s, "workload.serving.tp=%lld", (long long)tp);
    add(s, "workload.serving.router=least_outstanding");
    add(s, "workload.serving.efficiency.compute=0.65"); /* fitted in docs/validation.md (Inference) */
    add(s, "workload.serving.efficiency.memory=0.85");
    add(s, "workload.slo.ttft=%g ms", SC_SLO_TTFT_S * 1e3);
    add(s, "workload.slo.tpot=%g ms", SC_SLO_TPOT_S * 1e3);
    add(s, "run.sample_interval=1 s");
}

/* Loads D's design with SETS and checks the workload on the built platform: 0 when the models
 * accept it, -1 with their reason in ERR. *DECODE_READ_S (may be NULL) receives a serving
 * replica's time to read its weights once at the scenario's HBM efficiency (a decode step's floor). */
static int accepted(const sc_design *d, const setlist *s, double *decode_read_s, diag_t *err)
{
    scenario_t sc;
    if (scenario_load(d->path, (const char *const *)s->v, s->n, &sc, err))
        return -1;
    if (decode_read_s) {
        const inference_spec *in = &sc.wl.inference;
        *decode_read_s = llm_params_total(&sc.wl.model) * in->weight_bytes / (double)in->pool.tp /
                         (sc.accel.hbm_bw_Bps * in->memory_efficiency);
    }
    platform_t *p = platform_build(&sc, err);
    int rc = p ? workload_check(&sc, p, err) : -1;
    platform_free(p);
    scenario_free(&sc);
    return rc;
}

/* The reason of the last refusal, without its position (it names a --set of the rule). */
static const char *reason(diag_t *e)
{
    char *advice = strstr(e->msg, "; add parallelism"); /* the rule has already tried more */
    if (advice)
        *advice = '\0';
    const char *m = strstr(e->msg, "error: ");
    return m ? m + 7 : e->msg;
}

int sc_train_layout_choose(const sc_design *d, bool moe, sc_train_layout *out, diag_t *err)
{
    memset(out, 0, sizeof *out);
    int64_t n = d->accelerators;
    int64_t tp = 1;
    if (!moe) /* dense: the largest power of two up to 8 that divides the accelerators */
        while (tp < 8 && n % (2 * tp) == 0)
            tp *= 2;
    int64_t layers = moe ? 61 : 80;
    diag_t last = {{0}};
    snprintf(last.msg, sizeof last.msg, "no pipeline depth divides %lld accelerators", (long long)n);
    for (int rec = 1; rec <= 2; rec++)
        for (int64_t pp = 1; pp <= layers && pp <= n / tp; pp++) {
            if ((n / tp) % pp)
                continue;
            sc_train_layout l = {.tp = tp, .pp = pp, .dp = n / (tp * pp), .ep = 1, .recompute = rec};
            if (moe)
                while (l.ep < 64 && l.dp % (2 * l.ep) == 0)
                    l.ep *= 2;
            l.global_batch = moe ? 8 * n : n;
            setlist s = {0};
            add_common(&s);
            train_sets(&s, moe, &l, "100 ms");
            if (s.oom) {
                setlist_free(&s);
                return diag_fail(err, "out of memory");
            }
            diag_t e = {{0}};
            int rc = accepted(d, &s, NULL, &e);
            setlist_free(&s);
            if (rc == 0) {
                l.ok = true;
                if (moe)
                    snprintf(l.text, sizeof l.text, "TP%lld PP%lld DP%lld EP%lld, %s recompute, %lld sequences",
                             (long long)l.tp, (long long)l.pp, (long long)l.dp, (long long)l.ep,
                             rec == 2 ? "full" : "selective", (long long)l.global_batch);
                else
                    snprintf(l.text, sizeof l.text, "TP%lld PP%lld DP%lld, %s recompute, %lld sequences",
                             (long long)l.tp, (long long)l.pp, (long long)l.dp, rec == 2 ? "full" : "selective",
                             (long long)l.global_batch);
                *out = l;
                return 0;
            }
            last = e;
        }
    snprintf(out->text, sizeof out->text, "no layout fits: %.230s", reason(&last));
    return 0;
}

int sc_serve_layout_choose(const sc_design *d, double azure_rate_Hz, double azure_span_s, sc_serve_layout *out,
                           diag_t *err)
{
    memset(out, 0, sizeof *out);
    int64_t n = d->accelerators;
    out->rate_Hz = SC_RATE_PER_ACCEL_HZ * (double)n;
    out->synth_count = llround(out->rate_Hz * SC_ARRIVAL_WINDOW_S);
    out->azure_rate_scale = azure_rate_Hz > 0 ? out->rate_Hz / azure_rate_Hz : 0;
    double window = SC_ARRIVAL_WINDOW_S * out->azure_rate_scale;
    out->azure_window_s = window < azure_span_s ? window : 0;
    diag_t last = {{0}};
    snprintf(last.msg, sizeof last.msg, "no tensor parallelism divides %lld accelerators", (long long)n);
    for (int64_t tp = 1; tp <= n && tp <= d->per_supernode && tp <= 64; tp *= 2) {
        if (n % tp)
            continue;
        setlist s = {0};
        add_common(&s);
        serve_sets(&s, tp);
        add(&s, "workload.requests.arrival=poisson");
        add(&s, "workload.requests.count=1");
        add(&s, "workload.requests.rate=1 Hz");
        add(&s, "workload.requests.prompt.distribution=fixed");
        add(&s, "workload.requests.prompt.tokens=%d", SC_SYNTH_PROMPT);
        add(&s, "workload.requests.output.distribution=fixed");
        add(&s, "workload.requests.output.tokens=%d", SC_SYNTH_OUTPUT);
        if (s.oom) {
            setlist_free(&s);
            return diag_fail(err, "out of memory");
        }
        diag_t e = {{0}};
        double read_s = 0;
        int rc = accepted(d, &s, &read_s, &e);
        setlist_free(&s);
        if (rc) {
            last = e;
            continue;
        }
        out->ok = true; /* the largest accepted so far, kept when none reads fast enough */
        out->tp = tp;
        if (read_s <= SC_SLO_TPOT_S / 2)
            break;
    }
    if (!out->ok) {
        snprintf(out->text, sizeof out->text, "the model fits no replica: %.220s", reason(&last));
        return 0;
    }
    out->replicas = n / out->tp;
    snprintf(out->text, sizeof out->text, "%lld replicas of TP%lld, %.6g requests/s", (long long)out->replicas,
             (long long)out->tp, out->rate_Hz);
    return 0;
}

int sc_run_sets(const sc_design *d, sc_run_id r, const char *azure_trace, char ***sets, size_t *nsets)
{
    setlist s = {0};
    add_common(&s);
    switch (r) {
    case SC_RUN_BENCH_SUPERNODE:
    case SC_RUN_BENCH_NODE:
        add(&s, "run.sample_interval=1 ms");
        break;
    case SC_RUN_DOWN_OPTICAL_BENCH:
    case SC_RUN_DOWN_SWITCH_BENCH:
    case SC_RUN_DOWN_PLANE_BENCH:
        add(&s, "workload.kind=collbench");
        add(&s, "workload.bench.ops=allreduce,alltoall");
        add(&s, "workload.bench.sizes=1GiB");
        add(&s, "workload.bench.group=supernode");
        add(&s, "run.sample_interval=1 ms");
        break;
    case SC_RUN_TRAIN_DENSE:
    case SC_RUN_DOWN_OPTICAL_TRAIN:
    case SC_RUN_DOWN_SWITCH_TRAIN:
    case SC_RUN_DOWN_PLANE_TRAIN:
        train_sets(&s, false, &d->dense, "100 ms");
        break;
    case SC_RUN_TRAIN_MOE:
        train_sets(&s, true, &d->moe, "100 ms");
        break;
    case SC_RUN_GOODPUT:
        train_sets(&s, false, &d->dense, "1 h"); /* the timeline spans days */
        add(&s, "resilience.mode=timeline");
        add(&s, "resilience.horizon=%s", SC_GOODPUT_HORIZON);
        add(&s, "resilience.spares=%d", SC_GOODPUT_SPARES);
        break;
    case SC_RUN_INFER_SYNTH:
        serve_sets(&s, d->serve.tp);
        add(&s, "workload.requests.arrival=poisson");
        add(&s, "workload.requests.count=%lld", (long long)d->serve.synth_count);
        add(&s, "workload.requests.rate=%.17g Hz", d->serve.rate_Hz);
        add(&s, "workload.requests.prompt.distribution=fixed");
        add(&s, "workload.requests.prompt.tokens=%d", SC_SYNTH_PROMPT);
        add(&s, "workload.requests.output.distribution=fixed");
        add(&s, "workload.requests.output.tokens=%d", SC_SYNTH_OUTPUT);
        break;
    case SC_RUN_INFER_AZURE:
        serve_sets(&s, d->serve.tp);
        add(&s, "workload.requests.arrival=trace");
        add(&s, "workload.requests.trace.path=%s", azure_trace ? azure_trace : "");
        add(&s, "workload.requests.trace.format=azure");
        add(&s, "workload.requests.rate_scale=%.17g", d->serve.azure_rate_scale);
        if (d->serve.azure_window_s > 0)
            add(&s, "workload.requests.duration=%.17g s", d->serve.azure_window_s);
        break;
    case SC_RUN__COUNT:
        break;
    }
    if (s.oom) {
        setlist_free(&s);
        return -1;
    }
    *sets = s.v;
    *nsets = s.n;
    return 0;
}
