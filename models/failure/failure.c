/* Failure processes and the plan that merges them: every component of every class is a renewal
 * process whose K-th gap is drawn by GSL from a generator seeded with splitmix64(seed, class,
 * component, K), so a component's failures never depend on how many others exist or on the
 * order they are read; a binary heap keyed on (time, class, component) yields them in time order,
 * merged with the explicit schedule. Invariant: the heap holds exactly one pending failure per
 * component of every enabled class, and no popped time is earlier than one popped before. */
#include "failure/failure.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const NAMES[FL__NCLASSES] = {"accelerator", "hbm",      "host",  "switch", "optics",
                                                "link_flap",   "software", "plane"};

const char *fl_class_name(int cls)
{
    return cls >= 0 && cls < FL__NCLASSES ? NAMES[cls] : "?";
}

bool fl_class_stops(int cls)
{
    return cls != FL_LINK_FLAP && cls != FL_PLANE;
}

bool fl_class_degrades(int cls)
{
    return cls == FL_LINK_FLAP || cls == FL_PLANE || cls == FL_SWITCH || cls == FL_OPTICS;
}

void fl_component_name(const fl_event *f, char *buf, size_t n)
{
    static const char *const FMT[FL__NCLASSES] = {"acc%lld", "acc%lld.hbm", "node%lld", "switch%lld",
                                                  "module%lld", "link%lld", "job", "plane%lld"};
    if (f->cls < 0 || f->cls >= FL__NCLASSES || f->cls == FL_SOFTWARE)
        snprintf(buf, n, "job");
    else
        snprintf(buf, n, FMT[f->cls], (long long)f->component);
}

bool fl_class_takes_node(int cls)
{
    return cls == FL_ACCELERATOR || cls == FL_HBM || cls == FL_HOST;
}

double fl_class_mtbf_s(const fl_class_spec *c)
{
    if (c->dist == FL_DIST_NONE)
        return INFINITY;
    if (c->fit > 0)
        return 3600.0 * 1e9 / c->fit; /* FIT: failures per 10^9 device-hours */
    if (c->mtbf_s > 0)
        return c->mtbf_s;
    return INFINITY;
}

double fl_class_rate_Hz(const fl_class_spec *c, int64_t n)
{
    double m = fl_class_mtbf_s(c);
    return isinf(m) || n <= 0 ? 0.0 : (double)n / m;
}

double fl_mtbf_of_s(const failure_spec *fs, const fl_counts *stopping)
{
    double rate = 0;
    for (int c = 0; c < FL__NCLASSES; c++)
        rate += fl_class_rate_Hz(&fs->cls[c], stopping->n[c]);
    return rate > 0 ? 1.0 / rate : INFINITY;
}

double fl_job_mtbf_s(const failure_spec *fs, const fl_counts *counts)
{
    double rate = 0;
    for (int c = 0; c < FL__NCLASSES; c++)
        if (fl_class_stops(c))
            rate += fl_class_rate_Hz(&fs->cls[c], counts->n[c]);
    return rate > 0 ? 1.0 / rate : INFINITY;
}

/* splitmix64 (Steele, Lea, Flood 2014): a bijective 64-bit mixer. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned long stream_seed(uint64_t seed, int cls, int64_t comp, uint64_t k)
{
    uint64_t h = mix64(seed ^ 0x6661696c75726573ULL); /* "failures" */
    h = mix64(h ^ (uint64_t)(cls + 1));
    h = mix64(h ^ (uint64_t)comp);
    h = mix64(h ^ k);
    return (unsigned long)(h ? h : 1);
}

static double gap_with(gsl_rng *r, const fl_class_spec *c, uint64_t seed, int cls, int64_t comp, uint64_t k)
{
    double m = fl_class_mtbf_s(c);
    if (isinf(m))
        return INFINITY;
    gsl_rng_set(r, stream_seed(seed, cls, comp, k));
    if (c->dist == FL_DIST_WEIBULL) {
        double scale = m / gsl_sf_gamma(1.0 + 1.0 / c->shape);
        return gsl_ran_weibull(r, scale, c->shape);
    }
    return gsl_ran_exponential(r, m);
}

double fl_draw_gap_s(const fl_class_spec *c, uint64_t seed, int cls, int64_t comp, uint64_t k)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    if (!r)
        return NAN;
    double g = gap_with(r, c, seed, cls, comp, k);
    gsl_rng_free(r);
    return g;
}

/* ---- the plan ---- */

typedef struct pending {
    double t_s;
    int32_t cls;
    int64_t comp;
    uint64_t k; /* failure number of this pending failure */
} pending;

struct fl_plan {
    failure_spec fs;
    uint64_t seed;
    gsl_rng *rng;
    pending *heap;
    size_t n;
    fl_sched_spec *sched; /* sorted by time, then class, then component */
    size_t nsched, next_sched;
};

static bool before(const pending *a, const pending *b)
{
    if (a->t_s != b->t_s)
        return a->t_s < b->t_s;
    if (a->cls != b->cls)
        return a->cls < b->cls;
    return a->comp < b->comp;
}

static void sift_down(pending *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && before(&h[l], &h[m]))
            m = l;
        if (l + 1 < n && before(&h[l + 1], &h[m]))
            m = l + 1;
        if (m == i)
            return;
        pending tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

static int sched_cmp(const void *a, const void *b)
{
    const fl_sched_spec *x = a, *y = b;
    if (x->t_s != y->t_s)
        return x->t_s < y->t_s ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    return x->component < y->component ? -1 : x->component > y->component;
}

fl_plan *fl_plan_new(const failure_spec *fs, const fl_counts *counts, uint64_t seed, diag_t *err)
{
    for (int64_t i = 0; i < fs->nschedule; i++) {
        const fl_sched_spec *s = &fs->schedule[i];
        if (s->component >= counts->n[s->cls]) {
            const char *what = "'failures.schedule[%lld]': %s %lld does not exist (the machine has %lld)";
            if (s->file)
                diag_fail_at(err, s->file, s->line, s->col, what, (long long)i, fl_class_name(s->cls),
                             (long long)s->component, (long long)counts->n[s->cls]);
            else
                diag_fail(err, what, (long long)i, fl_class_name(s->cls), (long long)s->component,
                          (long long)counts->n[s->cls]);
            return NULL;
        }
    }
    fl_plan *p = calloc(1, sizeof *p);
    if (!p)
        goto oom;
    p->fs = *fs;
    p->seed = seed;
    p->rng = gsl_rng_alloc(gsl_rng_taus2);
    size_t total = 0;
    for (int c = 0; c < FL__NCLASSES; c++)
        if (!isinf(fl_class_mtbf_s(&fs->cls[c])) && counts->n[c] > 0)
            total += (size_t)counts->n[c];
    p->heap = malloc((total ? total : 1) * sizeof *p->heap);
    p->nsched = (size_t)fs->nschedule;
    p->sched = malloc((p->nsched ? p->nsched : 1) * sizeof *p->sched);
    if (!p->rng || !p->heap || !p->sched)
        goto oom;
    memcpy(p->sched, fs->schedule, p->nsched * sizeof *p->sched);
    qsort(p->sched, p->nsched, sizeof *p->sched, sched_cmp);
    for (int c = 0; c < FL__NCLASSES; c++) {
        if (isinf(fl_class_mtbf_s(&fs->cls[c])))
            continue;
        for (int64_t i = 0; i < counts->n[c]; i++)
            p->heap[p->n++] = (pending){gap_with(p->rng, &fs->cls[c], seed, c, i, 0), c, i, 0};
    }
    for (size_t i = p->n / 2; i-- > 0;)
        sift_down(p->heap, p->n, i);
    return p;
oom:
    fl_plan_free(p);
    diag_fail(err, "out of memory for the failure plan");
    return NULL;
}

void fl_plan_free(fl_plan *p)
{
    if (!p)
        return;
    if (p->rng)
        gsl_rng_free(p->rng);
    free(p->heap);
    free(p->sched);
    free(p);
}

double fl_plan_peek_s(const fl_plan *p)
{
    double t = p->n ? p->heap[0].t_s : INFINITY;
    if (p->next_sched < p->nsched && p->sched[p->next_sched].t_s <= t)
        t = p->sched[p->next_sched].t_s;
    return t;
}

int fl_plan_next(fl_plan *p, fl_event *out)
{
    double t = fl_plan_peek_s(p);
    if (isinf(t))
        return -1;
    if (p->next_sched < p->nsched && p->sched[p->next_sched].t_s == t) {
        const fl_sched_spec *s = &p->sched[p->next_sched++];
        const fl_class_spec *c = &p->fs.cls[s->cls];
        *out = (fl_event){.t_s = s->t_s, .cls = s->cls, .component = s->component, .scheduled = true};
        out->duration_s = s->duration_s >= 0 ? s->duration_s : s->cls == FL_LINK_FLAP ? c->duration_s : c->repair_s;
        out->bw_factor = s->cls == FL_LINK_FLAP ? (s->bw_factor >= 0 ? s->bw_factor : c->bw_factor) : 0.0;
        return 0;
    }
    pending *top = &p->heap[0];
    const fl_class_spec *c = &p->fs.cls[top->cls];
    *out = (fl_event){.t_s = top->t_s, .cls = top->cls, .component = top->comp, .number = top->k};
    out->duration_s = top->cls == FL_LINK_FLAP ? c->duration_s : c->repair_s;
    out->bw_factor = top->cls == FL_LINK_FLAP ? c->bw_factor : 0.0;
    /* The renewal: the next failure of the same component, counted from this one. */
    top->k++;
    top->t_s += gap_with(p->rng, c, p->seed, top->cls, top->comp, top->k);
    sift_down(p->heap, p->n, 0);
    return 0;
}
