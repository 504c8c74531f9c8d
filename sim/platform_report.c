/* Figures of a platform for committees: switch chips per tier, links by medium, optical modules
 * and their power and failure rate, bisection, diameter, and accelerator-to-accelerator latency
 * over every ordered pair or, past 2^20 pairs, over 2^18 pairs drawn from the scenario seed
 * (pairs within a supernode and across supernodes are drawn separately and combined by their
 * counts). Also the text `oastwin topo` prints. */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "platform_impl.h"
#include "units.h"

#define EXACT_PAIRS ((int64_t)1 << 20)
#define SAMPLED_PAIRS ((int64_t)1 << 18)
#define HOURS_PER_YEAR 8766.0

/* splitmix64 of (seed, stream): the seed of the component's own generator. */
static unsigned long stream_seed(uint64_t seed, uint64_t stream)
{
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (unsigned long)(z ? z : 1);
}

#define STREAM_TOPOLOGY 0x746f706fu /* "topo" */

typedef struct lat_acc {
    double sum, max;
    int64_t n;
} lat_acc;

static int add_pair(const platform_t *p, int32_t a, int32_t b, lat_acc *acc)
{
    uint32_t links[256];
    double lat;
    if (platform_route(p, a, b, &lat, links, 256) < 0)
        return -1;
    acc->sum += lat;
    acc->max = fmax(acc->max, lat);
    acc->n++;
    return 0;
}

/* Pairs within supernode 0 (all supernodes are alike). */
static int lat_within(const platform_t *p, gsl_rng *r, lat_acc *acc, bool *sampled)
{
    int64_t ns = p->ns;
    *sampled = ns * (ns - 1) > EXACT_PAIRS;
    if (!*sampled) {
        for (int32_t a = 0; a < p->ns; a++)
            for (int32_t b = 0; b < p->ns; b++)
                if (a != b && add_pair(p, a, b, acc))
                    return -1;
        return 0;
    }
    for (int64_t k = 0; k < SAMPLED_PAIRS; k++) {
        int32_t a = (int32_t)gsl_rng_uniform_int(r, (unsigned long)ns);
        int32_t b = (int32_t)gsl_rng_uniform_int(r, (unsigned long)ns - 1);
        if (add_pair(p, a, b >= a ? b + 1 : b, acc))
            return -1;
    }
    return 0;
}

/* Pairs in different supernodes. */
static int lat_across(const platform_t *p, gsl_rng *r, lat_acc *acc, bool *sampled)
{
    int64_t n = p->n, ns = p->ns;
    *sampled = n * (n - ns) > EXACT_PAIRS;
    if (!*sampled) {
        for (int32_t a = 0; a < p->n; a++)
            for (int32_t b = 0; b < p->n; b++)
                if (a / p->ns != b / p->ns && add_pair(p, a, b, acc))
                    return -1;
        return 0;
    }
    for (int64_t k = 0; k < SAMPLED_PAIRS; k++) {
        int32_t a = (int32_t)gsl_rng_uniform_int(r, (unsigned long)n);
        int32_t b = (int32_t)gsl_rng_uniform_int(r, (unsigned long)(n - ns));
        if (b >= a / p->ns * p->ns) /* skip a's own supernode */
            b += p->ns;
        if (add_pair(p, a, b, acc))
            return -1;
    }
    return 0;
}

static double scaleup_bw_per_accelerator(const platform_t *p)
{
    switch (p->t.kind) {
    case TOPO_SWITCHED:
    case TOPO_CLOS2:
        return p->acc_bw_Bps;
    case TOPO_TORUS: {
        double links = 0;
        for (int j = 0; j < p->nd; j++)
            links += p->dim[j] >= 2 ? 2 : 0; /* a ring of 2 has two links between the pair */
        return links * p->acc_bw_Bps;
    }
    case TOPO_FULLMESH: {
        double links = 0;
        for (int j = 0; j < p->nd; j++)
            links += (double)(p->dim[j] - 1);
        return links * p->acc_bw_Bps;
    }
    }
    return 0;
}

int platform_figures_get(const platform_t *p, platform_figures *f)
{
    memset(f, 0, sizeof *f);
    f->accelerators = p->n;
    f->supernodes = p->S;
    topo_stats up, out;
    memset(&up, 0, sizeof up);
    memset(&out, 0, sizeof out);
    p->ops->stats(p, &up);
    for (int i = 0; i < 3; i++) {
        f->up_switches[i] = up.switches[i] * p->S;
        f->up_tier[i] = up.switches[i] ? up.tier_name[i] : NULL;
    }
    if (p->has_so) {
        f->nics = so_nics(p);
        so_stats(p, &out);
        for (int i = 0; i < 3; i++) {
            f->out_switches[i] = out.switches[i];
            f->out_tier[i] = out.switches[i] ? out.tier_name[i] : NULL;
        }
        f->out_bisection_Bps = out.bisection_Bps;
        f->out_diameter_hops = out.diameter_hops;
    }
    double fit = 0;
    for (int m = 0; m < HW_MEDIUM__COUNT; m++) {
        f->up_links[m] = up.links[m] * p->S;
        f->out_links[m] = out.links[m];
        int64_t mods = up.modules[m] * p->S + out.modules[m];
        f->up_modules += up.modules[m] * p->S;
        f->out_modules += out.modules[m];
        if (m != HW_GENERIC) {
            f->optics_power_W += (double)mods * p->t.media[m].module_power_W;
            fit += (double)mods * p->t.media[m].fit;
        }
    }
    f->optics_failures_per_year = fit * 1e-9 * HOURS_PER_YEAR;
    f->switch_power_W = up.switch_power_W * p->S + out.switch_power_W;
    f->scaleup_bw_per_accelerator_Bps = scaleup_bw_per_accelerator(p);
    f->up_bisection_Bps = up.bisection_Bps;
    f->up_nonblocking = up.nonblocking;
    f->up_diameter_hops = up.diameter_hops;

    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!r)
        return -1;
    gsl_rng_set(r, stream_seed(p->seed, STREAM_TOPOLOGY));
    lat_acc in = {0}, across = {0};
    bool s_in = false, s_across = false;
    int rc = p->ns > 1 ? lat_within(p, r, &in, &s_in) : 0;
    if (rc == 0 && p->S > 1)
        rc = lat_across(p, r, &across, &s_across);
    gsl_rng_free(r);
    if (rc)
        return -1;
    /* weights: the true number of ordered pairs of each kind */
    double w_in = (double)p->n * (double)(p->ns - 1), w_out = (double)p->n * (double)(p->n - p->ns);
    double m_in = in.n ? in.sum / (double)in.n : 0, m_out = across.n ? across.sum / (double)across.n : 0;
    f->up_lat_mean_s = m_in;
    f->up_lat_max_s = in.max;
    f->out_lat_mean_s = m_out;
    f->out_lat_max_s = across.max;
    f->lat_mean_s = w_in + w_out > 0 ? (m_in * w_in + m_out * w_out) / (w_in + w_out) : 0;
    f->lat_max_s = fmax(in.max, across.max);
    f->lat_pairs = in.n + across.n;
    f->lat_sampled = s_in || s_across;
    return 0;
}

/* "L1 336, L2 112" */
static void tiers(FILE *o, const int64_t *n, const char *const *name)
{
    int any = 0;
    for (int i = 0; i < 3; i++)
        if (name[i]) {
            fprintf(o, "%s%s %lld", any ? ", " : "", name[i], (long long)n[i]);
            any = 1;
        }
    if (!any)
        fprintf(o, "none");
}

static void media(FILE *o, const int64_t *n)
{
    int any = 0;
    for (int m = 0; m < HW_MEDIUM__COUNT; m++)
        if (n[m]) {
            fprintf(o, "%s%s %lld", any ? ", " : "", hw_medium_name(m), (long long)n[m]);
            any = 1;
        }
    if (!any)
        fprintf(o, "none");
}

void platform_report(const platform_t *p, const platform_figures *f, FILE *o)
{
    char a[64], b[64], c[64];
    fprintf(o, "topology: %s, %lld supernode%s, %lld accelerators (%d per supernode, %d per node)\n",
            p->ops->name, (long long)f->supernodes, f->supernodes == 1 ? "" : "s", (long long)f->accelerators,
            p->ns, p->apn);
    fprintf(o, "  scale-up switch chips    ");
    tiers(o, f->up_switches, f->up_tier);
    fprintf(o, "\n  scale-up links           ");
    media(o, f->up_links);
    fprintf(o, "\n  scale-up optical modules %lld\n", (long long)f->up_modules);
    if (p->has_so) {
        fprintf(o, "  scale-out                %lld NICs (%s); switch chips ", (long long)f->nics,
                p->so.trees > 1 ? "one per accelerator, rail-optimized" : "one per node");
        tiers(o, f->out_switches, f->out_tier);
        fprintf(o, "\n  scale-out links          ");
        media(o, f->out_links);
        fprintf(o, "\n  scale-out optical modules %lld\n", (long long)f->out_modules);
    } else {
        fprintf(o, "  scale-out                none\n");
    }
    units_format(f->optics_power_W, DIM_POWER, a, sizeof a);
    units_format(f->switch_power_W, DIM_POWER, b, sizeof b);
    fprintf(o, "  optics power             %s (%lld modules); expected module failures %.3g per year\n", a,
            (long long)(f->up_modules + f->out_modules), f->optics_failures_per_year);
    fprintf(o, "  switch power             %s\n", b);
    units_format(f->scaleup_bw_per_accelerator_Bps, DIM_BANDWIDTH, a, sizeof a);
    fprintf(o, "  scale-up bandwidth       %s per accelerator per direction\n", a);
    units_format(f->up_bisection_Bps, DIM_BANDWIDTH, a, sizeof a);
    fprintf(o, "  bisection                %s per supernode per direction (%s)", a,
            f->up_nonblocking ? "non-blocking" : p->t.kind == TOPO_CLOS2 ? "oversubscribed" : "direct network");
    if (p->has_so) {
        units_format(f->out_bisection_Bps, DIM_BANDWIDTH, b, sizeof b);
        fprintf(o, "; scale-out %s (rail-aligned traffic)", b);
    }
    fprintf(o, "\n  diameter                 %d hops in a supernode", f->up_diameter_hops);
    if (p->has_so)
        fprintf(o, ", %d hops NIC to NIC", f->out_diameter_hops);
    units_format(f->lat_mean_s, DIM_TIME, a, sizeof a);
    units_format(f->lat_max_s, DIM_TIME, b, sizeof b);
    fprintf(o, "\n  latency                  mean %s, worst %s over %s %lld accelerator pairs\n", a, b,
            f->lat_sampled ? "a sample of" : "all", (long long)f->lat_pairs);
    if (p->S > 1) {
        units_format(f->up_lat_mean_s, DIM_TIME, a, sizeof a);
        units_format(f->up_lat_max_s, DIM_TIME, b, sizeof b);
        units_format(f->out_lat_mean_s, DIM_TIME, c, sizeof c);
        fprintf(o, "                           within a supernode mean %s, worst %s; across supernodes mean %s", a,
                b, c);
        units_format(f->out_lat_max_s, DIM_TIME, c, sizeof c);
        fprintf(o, ", worst %s (NIC to NIC)\n", c);
    }
}
