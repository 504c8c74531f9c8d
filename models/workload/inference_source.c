/* Request sources: a trace replay (models/workload/reqtrace.c) or synthetic requests drawn with
 * GSL (Poisson or gamma arrivals; fixed, uniform, lognormal or empirical lengths). Each random
 * stream has its own generator seeded from (scenario seed, component id), so changing the
 * length distribution never changes the arrival times. Paths are relative to the scenario's
 * folder. Invariant: requests come out sorted by arrival, every time field set to -1. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "inference_impl.h"
#include "reqtrace.h"

enum { STREAM_ARRIVALS = 1, STREAM_PROMPT = 2, STREAM_OUTPUT = 3 };

/* splitmix64: a well-mixed 64-bit seed for each (scenario seed, stream) pair. */
static unsigned long stream_seed(uint64_t seed, uint64_t stream)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (unsigned long)(z ? z : 1);
}

static gsl_rng *stream(const scenario_t *sc, uint64_t id)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r)
        gsl_rng_set(r, stream_seed(sc->seed, id));
    return r;
}

/* PATH relative to the folder of the scenario file, into OUT. */
static void resolve(const scenario_t *sc, const char *path, char *out, size_t n)
{
    if (path[0] == '/' || !sc->source_path || !strchr(sc->source_path, '/')) {
        snprintf(out, n, "%s", path);
        return;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", sc->source_path);
    snprintf(out, n, "%s/%s", dirname(dir), path);
}

static int load_trace(const scenario_t *sc, const char *key, const char *path, const reqtrace_opts *o,
                      reqtrace *t, diag_t *err)
{
    char full[PATH_MAX + 1100];
    resolve(sc, path, full, sizeof full);
    diag_t e2 = {{0}};
    if (reqtrace_load(full, o, t, &e2) == 0)
        return 0;
    /* An unopenable file is the scenario's fault: point at the key. Row errors point at the row. */
    if (strstr(e2.msg, "cannot open the request trace"))
        return scenario_fail_at(sc, key, err, "cannot open the request trace '%s' (resolved from '%s')", full, path);
    snprintf(err->msg, sizeof err->msg, "%s", e2.msg);
    return -1;
}

typedef struct lengths {
    const inf_length_spec *l;
    gsl_rng *rng;
    reqtrace emp;
    bool prompt;
} lengths;

static int32_t draw(lengths *g)
{
    const inf_length_spec *l = g->l;
    double v = 0;
    switch ((inf_dist)l->dist) {
    case INF_DIST_FIXED:
        return (int32_t)l->tokens;
    case INF_DIST_UNIFORM:
        return (int32_t)(l->min + (int64_t)gsl_rng_uniform_int(g->rng, (unsigned long)(l->max - l->min + 1)));
    case INF_DIST_LOGNORMAL:
        v = nearbyint(gsl_ran_lognormal(g->rng, log((double)l->tokens), l->sigma));
        break;
    case INF_DIST_EMPIRICAL: {
        size_t i = (size_t)gsl_rng_uniform_int(g->rng, (unsigned long)g->emp.n);
        v = g->prompt ? g->emp.prompt_tokens[i] : g->emp.output_tokens[i];
        break;
    }
    }
    if (v < (double)l->min)
        v = (double)l->min;
    if (l->max > 0 && v > (double)l->max)
        v = (double)l->max;
    if (v > INT32_MAX)
        v = INT32_MAX;
    return (int32_t)v;
}

static int lengths_open(const scenario_t *sc, lengths *g, const inf_length_spec *l, bool prompt, diag_t *err)
{
    memset(g, 0, sizeof *g);
    g->l = l;
    g->prompt = prompt;
    g->rng = stream(sc, prompt ? STREAM_PROMPT : STREAM_OUTPUT);
    if (!g->rng)
        return diag_fail(err, "out of memory");
    if (l->dist == INF_DIST_EMPIRICAL) {
        reqtrace_opts o = {.format = (reqtrace_fmt)sc->wl.inference.trace_format, .rate_scale = 1};
        if (load_trace(sc, prompt ? "workload.requests.prompt.file" : "workload.requests.output.file", l->file, &o,
                       &g->emp, err)) {
            gsl_rng_free(g->rng);
            return -1;
        }
    }
    return 0;
}

static void lengths_close(lengths *g)
{
    gsl_rng_free(g->rng);
    reqtrace_free(&g->emp);
}

static void init_times(inf_req *q)
{
    q->prefill_start_s = q->first_token_s = q->finish_s = -1;
    q->transfer_start_s = q->transfer_end_s = -1;
    q->replica = q->decode_replica = -1;
}

static int build_synthetic(const scenario_t *sc, inf_world *w, diag_t *err)
{
    const inference_spec *s = &sc->wl.inference;
    lengths pg, og;
    if (lengths_open(sc, &pg, &s->prompt, true, err))
        return -1;
    if (lengths_open(sc, &og, &s->output, false, err)) {
        lengths_close(&pg);
        return -1;
    }
    gsl_rng *arr = stream(sc, STREAM_ARRIVALS);
    size_t n = (size_t)s->count;
    size_t cap = s->limit > 0 && s->limit < s->count ? (size_t)s->limit : n; /* at most this many are kept */
    w->req = calloc(cap ? cap : 1, sizeof *w->req);
    if (!arr || !w->req) {
        gsl_rng_free(arr);
        lengths_close(&pg);
        lengths_close(&og);
        return diag_fail(err, "out of memory for %zu requests", n);
    }
    double shape = 1.0 / (s->cv * s->cv), t = 0;
    size_t keep = 0;
    for (size_t i = 0; i < n; i++) {
        if (s->arrival == INF_ARR_GAMMA)
            t += gsl_ran_gamma(arr, shape, 1.0 / (s->rate_Hz * shape));
        else if (s->arrival == INF_ARR_POISSON)
            t += gsl_ran_exponential(arr, 1.0 / s->rate_Hz);
        /* Draw both lengths for every request, kept or not, so the window never shifts streams. */
        int32_t p = draw(&pg), o = draw(&og);
        if (t < s->window_start_s || (s->window_duration_s > 0 && t >= s->window_start_s + s->window_duration_s)) {
            w->outside_window++;
            continue;
        }
        if (s->limit > 0 && (int64_t)keep >= s->limit) {
            /* arrivals only grow: every later request is past the limit too (or after the
             * window), so they are counted, not drawn */
            w->over_limit += n - i;
            break;
        }
        inf_req *q = &w->req[keep++];
        init_times(q);
        q->arrival_s = (t - s->window_start_s) / s->rate_scale;
        q->prompt = p;
        q->output = o;
    }
    w->nreq = keep;
    w->rows_in_file = n;
    if (s->arrival == INF_ARR_BURST)
        snprintf(w->source_desc, sizeof w->source_desc, "%zu synthetic requests all at time 0", n);
    else
        snprintf(w->source_desc, sizeof w->source_desc, "%zu synthetic %s arrivals at %g requests/s", n,
                 s->arrival == INF_ARR_GAMMA ? "gamma" : "Poisson", s->rate_Hz * s->rate_scale);
    gsl_rng_free(arr);
    lengths_close(&pg);
    lengths_close(&og);
    if (keep == 0)
        return scenario_fail_at(sc, "workload.requests.start", err,
                                "no synthetic request arrives inside the window (the %zu requests span %g s)", n, t);
    return 0;
}

static int build_trace(const scenario_t *sc, inf_world *w, diag_t *err)
{
    const inference_spec *s = &sc->wl.inference;
    reqtrace_opts o = {.format = (reqtrace_fmt)s->trace_format,
                       .rate_scale = s->rate_scale,
                       .window_start_s = s->window_start_s,
                       .window_duration_s = s->window_duration_s,
                       .limit = s->limit};
    reqtrace t;
    if (load_trace(sc, "workload.requests.trace.path", s->trace_path, &o, &t, err))
        return -1;
    w->req = calloc(t.n, sizeof *w->req);
    size_t nh = (size_t)t.hash_off[t.n];
    w->hashes = malloc((nh ? nh : 1) * sizeof *w->hashes);
    if (!w->req || !w->hashes) {
        reqtrace_free(&t);
        return diag_fail(err, "out of memory for %zu requests", t.n);
    }
    if (nh)
        memcpy(w->hashes, t.hashes, nh * sizeof *w->hashes);
    w->nhashes = nh;
    for (size_t i = 0; i < t.n; i++) {
        inf_req *q = &w->req[i];
        init_times(q);
        q->arrival_s = t.arrival_s[i];
        q->prompt = t.prompt_tokens[i];
        q->output = t.output_tokens[i];
        q->line = t.line[i];
        q->hash_off = t.hash_off[i];
        q->nhash = (int32_t)(t.hash_off[i + 1] - t.hash_off[i]);
    }
    w->nreq = t.n;
    w->rows_in_file = t.rows;
    w->outside_window = t.outside_window;
    w->over_limit = t.over_limit;
    snprintf(w->source_desc, sizeof w->source_desc, "%s trace '%s' (%zu of %zu requests, x%g rate)",
             reqtrace_format_name(t.format), s->trace_path, t.n, t.rows, s->rate_scale);
    reqtrace_free(&t);
    return 0;
}

int inf_requests_validate(const scenario_t *sc, diag_t *err)
{
    const inference_spec *s = &sc->wl.inference;
    reqtrace t;
    if (s->arrival == INF_ARR_TRACE) {
        reqtrace_opts o = {.format = (reqtrace_fmt)s->trace_format,
                           .rate_scale = s->rate_scale,
                           .window_start_s = s->window_start_s,
                           .window_duration_s = s->window_duration_s,
                           .limit = s->limit};
        if (load_trace(sc, "workload.requests.trace.path", s->trace_path, &o, &t, err))
            return -1;
        reqtrace_free(&t);
        return 0;
    }
    /* Synthetic requests kept are held twice: while simulated and as rows of /inference/requests. */
    int64_t keep = s->limit > 0 && s->limit < s->count ? s->limit : s->count;
    double need = (double)keep * INF_REQUEST_BYTES, avail = engine_memory_available_B();
    if (need > avail) {
        char a[32], b[32];
        units_format(need, DIM_BYTES, a, sizeof a);
        units_format(avail, DIM_BYTES, b, sizeof b);
        return scenario_fail_at(sc, s->limit > 0 && s->limit < s->count ? "workload.requests.limit"
                                                                         : "workload.requests.count",
                                err,
                                "%lld requests need about %s of memory (%d B each: the request while simulated and "
                                "its row in /inference/requests), more than the %s available; draw fewer or set "
                                "workload.requests.limit",
                                (long long)keep, a, INF_REQUEST_BYTES, b);
    }
    const inf_length_spec *l[2] = {&s->prompt, &s->output};
    for (int i = 0; i < 2; i++) {
        if (l[i]->dist != INF_DIST_EMPIRICAL)
            continue;
        reqtrace_opts o = {.format = (reqtrace_fmt)s->trace_format, .rate_scale = 1};
        if (load_trace(sc, i ? "workload.requests.output.file" : "workload.requests.prompt.file", l[i]->file, &o, &t,
                       err))
            return -1;
        reqtrace_free(&t);
    }
    return 0;
}

int inf_requests_build(const scenario_t *sc, inf_world *w, diag_t *err)
{
    if (sc->wl.inference.arrival == INF_ARR_TRACE)
        return build_trace(sc, w, err);
    return build_synthetic(sc, w, err);
}
