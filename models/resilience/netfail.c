/* Failures that take network links (netfail.h): indexes of the platform's physical links by
 * switch, plane, optical module and parallel group, built in one pass; the open degradations;
 * and their application to the platform's simulated links. */
#include "resilience/netfail.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct opened {
    int64_t handle;
    int64_t *phys;
    double *keep; /* share of its bandwidth each link keeps */
    size_t n;
} opened;

/* Compressed lists: the links of key k are ids[off[k] .. off[k+1]). */
typedef struct csr {
    int64_t *off, *ids;
    int64_t nkeys;
} csr;

struct rs_net {
    platform_t *plat;
    fl_counts counts;
    int64_t nphys;
    size_t nsim;
    int64_t *opt; /* optical links in id order, with the share a failed module leaves each */
    double *opt_keep;
    int64_t nopt;
    int64_t *sw_node; /* /topology/nodes id of each switch, increasing */
    int64_t nsw;
    csr sw, plane, grp;
    int32_t planes, supernodes;
    int32_t *grp_of; /* parallel group of each physical link, or -1 */
    double *want;    /* per physical link: the smallest share its open degradations leave it */
    opened *op;
    size_t nop, capop;
    int64_t next_handle;
    double *before; /* per simulated link: bandwidth before the current change, NAN if untouched */
    uint32_t *tsim;
    size_t ntsim, captsim;
    int64_t cut[FL__NCLASSES];
    bool cut_done[FL__NCLASSES];
};

static void csr_free(csr *c)
{
    free(c->off);
    free(c->ids);
}

/* Two passes over (key, id) pairs given by FILL: count, then place. */
static int csr_build(csr *c, int64_t nkeys, int64_t npairs, const int64_t *keys, const int64_t *ids)
{
    c->nkeys = nkeys;
    c->off = calloc((size_t)nkeys + 1, sizeof *c->off);
    c->ids = malloc(((size_t)npairs + 1) * sizeof *c->ids);
    if (!c->off || !c->ids)
        return -1;
    for (int64_t i = 0; i < npairs; i++)
        c->off[keys[i] + 1]++;
    for (int64_t k = 0; k < nkeys; k++)
        c->off[k + 1] += c->off[k];
    int64_t *pos = malloc(((size_t)nkeys + 1) * sizeof *pos);
    if (!pos)
        return -1;
    memcpy(pos, c->off, (size_t)nkeys * sizeof *pos);
    for (int64_t i = 0; i < npairs; i++)
        c->ids[pos[keys[i]]++] = ids[i];
    free(pos);
    return 0;
}

/* Switch index of node id NODE, or -1 when NODE is not a switch. */
static int64_t switch_of(const rs_net *n, int64_t node)
{
    int64_t lo = 0, hi = n->nsw;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (n->sw_node[mid] < node)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n->nsw && n->sw_node[lo] == node ? lo : -1;
}

typedef struct pairs {
    int64_t *key, *id;
    int64_t n, cap;
} pairs;

static int pairs_add(pairs *p, int64_t key, int64_t id)
{
    if (p->n == p->cap) {
        int64_t c = p->cap ? 2 * p->cap : 1024;
        int64_t *k = realloc(p->key, (size_t)c * sizeof *k);
        if (!k)
            return -1;
        p->key = k;
        int64_t *v = realloc(p->id, (size_t)c * sizeof *v);
        if (!v)
            return -1;
        p->id = v;
        p->cap = c;
    }
    p->key[p->n] = key;
    p->id[p->n++] = id;
    return 0;
}

static void pairs_free(pairs *p)
{
    free(p->key);
    free(p->id);
}

/* Groups: the scale-out uplinks of one lower switch (same lower end, a tier above the NICs)
 * are parallel paths; key = the lower end's node id, renumbered densely. */
static int build(rs_net *n)
{
    platform_t *p = n->plat;
    n->nphys = platform_nphys_links(p);
    n->nsim = platform_nlinks(p);
    n->nsw = platform_nswitches(p);
    n->planes = platform_planes(p);
    n->supernodes = platform_supernodes(p);
    n->sw_node = malloc(((size_t)n->nsw + 1) * sizeof *n->sw_node);
    n->opt = malloc(((size_t)n->nphys + 1) * sizeof *n->opt);
    n->opt_keep = malloc(((size_t)n->nphys + 1) * sizeof *n->opt_keep);
    n->grp_of = malloc(((size_t)n->nphys + 1) * sizeof *n->grp_of);
    n->before = malloc((n->nsim + 1) * sizeof *n->before);
    n->want = malloc(((size_t)n->nphys + 1) * sizeof *n->want);
    if (!n->sw_node || !n->opt || !n->opt_keep || !n->grp_of || !n->before || !n->want)
        return -1;
    for (int64_t i = 0; i < n->nphys; i++)
        n->want[i] = 1.0;
    for (size_t i = 0; i < n->nsim; i++)
        n->before[i] = NAN;
    for (int64_t k = 0; k < n->nsw; k++)
        n->sw_node[k] = platform_switch_node(p, k);
    pairs sw = {0}, pl = {0}, gr = {0};
    int rc = -1;
    int64_t lower_min = INT64_MAX, lower_max = -1;
    for (int64_t i = 0; i < n->nphys; i++) {
        platform_phys ph;
        if (platform_phys_get(p, i, &ph))
            goto out;
        if (ph.optical) {
            n->opt[n->nopt] = i;
            n->opt_keep[n->nopt++] = fmax(0.0, 1.0 - ph.module_share);
        }
        const int64_t ends[3] = {ph.a, ph.b, ph.via};
        for (int e = 0; e < 3; e++) {
            int64_t k = ends[e] >= 0 ? switch_of(n, ends[e]) : -1;
            if (k >= 0 && pairs_add(&sw, k, i))
                goto out;
        }
        if (n->planes > 0 && ph.supernode >= 0 && ph.plane >= 0 &&
            pairs_add(&pl, (int64_t)ph.supernode * n->planes + ph.plane, i))
            goto out;
        n->grp_of[i] = -1;
        if (ph.supernode < 0 && ph.tier >= 1) {
            if (pairs_add(&gr, ph.a, i))
                goto out;
            lower_min = ph.a < lower_min ? ph.a : lower_min;
            lower_max = ph.a > lower_max ? ph.a : lower_max;
        }
    }
    if (csr_build(&n->sw, n->nsw, sw.n, sw.key, sw.id) ||
        csr_build(&n->plane, (int64_t)n->supernodes * (n->planes > 0 ? n->planes : 0), pl.n, pl.key, pl.id))
        goto out;
    int64_t span = lower_max >= lower_min ? lower_max - lower_min + 1 : 0;
    for (int64_t i = 0; i < gr.n; i++)
        gr.key[i] -= lower_min;
    if (csr_build(&n->grp, span, gr.n, gr.key, gr.id))
        goto out;
    for (int64_t g = 0; g < span; g++)
        for (int64_t j = n->grp.off[g]; j < n->grp.off[g + 1]; j++)
            n->grp_of[n->grp.ids[j]] = n->grp.off[g + 1] - n->grp.off[g] > 1 ? (int32_t)g : -1;
    rc = 0;
out:
    pairs_free(&sw);
    pairs_free(&pl);
    pairs_free(&gr);
    return rc;
}

rs_net *rs_net_new(platform_t *plat, const fl_counts *counts)
{
    rs_net *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->plat = plat;
    n->counts = *counts;
    if (build(n)) {
        rs_net_free(n);
        return NULL;
    }
    return n;
}

void rs_net_free(rs_net *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nop; i++) {
        free(n->op[i].phys);
        free(n->op[i].keep);
    }
    free(n->op);
    csr_free(&n->sw);
    csr_free(&n->plane);
    csr_free(&n->grp);
    free(n->sw_node);
    free(n->opt);
    free(n->opt_keep);
    free(n->grp_of);
    free(n->want);
    free(n->before);
    free(n->tsim);
    free(n);
}

/* The physical links failure F takes and the share each keeps (allocated). */
static int links_of(const rs_net *n, const fl_event *f, opened *o)
{
    memset(o, 0, sizeof *o);
    const int64_t *ids = NULL;
    int64_t cnt = 0, one = -1;
    double keep1 = 0.0;
    switch (f->cls) {
    case FL_LINK_FLAP:
        if (f->component < 0 || f->component >= n->nphys)
            return -1;
        one = f->component;
        keep1 = f->bw_factor;
        break;
    case FL_OPTICS: {
        int64_t nmod = n->counts.n[FL_OPTICS];
        if (n->nopt == 0 || nmod <= 0 || f->component < 0 || f->component >= nmod)
            return -1;
        int64_t k = (int64_t)((double)f->component * (double)n->nopt / (double)nmod);
        if (k >= n->nopt)
            k = n->nopt - 1;
        one = n->opt[k];
        keep1 = n->opt_keep[k];
        break;
    }
    case FL_SWITCH:
        if (f->component < 0 || f->component >= n->nsw)
            return -1;
        ids = n->sw.ids + n->sw.off[f->component];
        cnt = n->sw.off[f->component + 1] - n->sw.off[f->component];
        break;
    case FL_PLANE:
        if (f->component < 0 || f->component >= n->plane.nkeys)
            return -1;
        ids = n->plane.ids + n->plane.off[f->component];
        cnt = n->plane.off[f->component + 1] - n->plane.off[f->component];
        break;
    default:
        return -1;
    }
    if (one >= 0) {
        ids = &one;
        cnt = 1;
    }
    o->phys = malloc(((size_t)cnt + 1) * sizeof *o->phys);
    o->keep = malloc(((size_t)cnt + 1) * sizeof *o->keep);
    if (!o->phys || !o->keep) {
        free(o->phys);
        free(o->keep);
        return -1;
    }
    for (int64_t i = 0; i < cnt; i++) {
        o->phys[i] = ids[i];
        o->keep[i] = one >= 0 ? keep1 : 0.0;
    }
    o->n = (size_t)cnt;
    return 0;
}

/* Recomputes want[] for the links of O from the open degradations. */
static void rewant(rs_net *n, const opened *o)
{
    for (size_t j = 0; j < o->n; j++)
        n->want[o->phys[j]] = 1.0;
    for (size_t d = 0; d < n->nop; d++)
        for (size_t j = 0; j < n->op[d].n; j++)
            if (n->op[d].keep[j] < n->want[n->op[d].phys[j]])
                n->want[n->op[d].phys[j]] = n->op[d].keep[j];
}

/* The share link I is given: its own, or its parallel group's mean (a lost uplink's traffic
 * rehashed over the others). */
static double applied(const rs_net *n, int64_t i)
{
    int32_t g = n->grp_of[i];
    if (g < 0)
        return n->want[i];
    double s = 0;
    int64_t a = n->grp.off[g], b = n->grp.off[g + 1];
    for (int64_t j = a; j < b; j++)
        s += n->want[n->grp.ids[j]];
    return s / (double)(b - a);
}

static int touch_sim(rs_net *n, uint32_t s)
{
    if (!isnan(n->before[s]))
        return 0;
    if (n->ntsim == n->captsim) {
        size_t c = n->captsim ? 2 * n->captsim : 64;
        uint32_t *v = realloc(n->tsim, c * sizeof *v);
        if (!v)
            return -1;
        n->tsim = v;
        n->captsim = c;
    }
    n->before[s] = platform_link_bw(n->plat)[s];
    n->tsim[n->ntsim++] = s;
    return 0;
}

static int set_link(rs_net *n, int64_t i)
{
    platform_phys ph;
    if (platform_phys_get(n->plat, i, &ph) || touch_sim(n, ph.sim_up) || touch_sim(n, ph.sim_down))
        return -1;
    uint32_t changed[8];
    return platform_link_degrade(n->plat, i, applied(n, i), changed, 8) < 0 ? -1 : 0;
}

/* Re-applies the links of O and of their groups, recording the simulated links touched. */
static int reapply(rs_net *n, const opened *o)
{
    for (size_t j = 0; j < o->n; j++) {
        int64_t i = o->phys[j];
        int32_t g = n->grp_of[i];
        if (g < 0) {
            if (set_link(n, i))
                return -1;
            continue;
        }
        for (int64_t k = n->grp.off[g]; k < n->grp.off[g + 1]; k++)
            if (set_link(n, n->grp.ids[k]))
                return -1;
    }
    return 0;
}

/* Summarises the touched simulated links into OUT and forgets them. */
static void settle(rs_net *n, rs_net_effect *out)
{
    const double *bw = platform_link_bw(n->plat);
    double share = 1.0;
    bool cuts = false;
    for (size_t k = 0; k < n->ntsim; k++) {
        uint32_t s = n->tsim[k];
        double b = n->before[s];
        if (b > 0) {
            double r = bw[s] / b;
            if (r < share)
                share = r;
            if (!(bw[s] > 1e-12 * b))
                cuts = true;
        }
        n->before[s] = NAN;
    }
    n->ntsim = 0;
    if (out) {
        out->share = share < 0 ? 0 : share;
        out->cuts = cuts;
    }
}

static int push_open(rs_net *n, opened o)
{
    if (n->nop == n->capop) {
        size_t c = n->capop ? 2 * n->capop : 8;
        opened *v = realloc(n->op, c * sizeof *v);
        if (!v)
            return -1;
        n->op = v;
        n->capop = c;
    }
    n->op[n->nop++] = o;
    return 0;
}

/* Opens failure F's degradation with HANDLE and applies it; OUT (if non-NULL) receives what it
 * did to the simulated links. Returns 0; -1 when it was opened but applying it failed; -2 when
 * nothing was opened (no such component, no memory). *O is the entry as opened. */
static int open_as(rs_net *n, const fl_event *f, int64_t handle, rs_net_effect *out, opened *o)
{
    if (links_of(n, f, o))
        return -2;
    o->handle = handle;
    if (push_open(n, *o)) {
        free(o->phys);
        free(o->keep);
        return -2;
    }
    rewant(n, o);
    int rc = reapply(n, o);
    settle(n, out);
    if (out)
        out->links = (int64_t)o->n;
    return rc;
}

int rs_net_eval(rs_net *n, const fl_event *f, rs_net_effect *out)
{
    opened o;
    memset(out, 0, sizeof *out);
    out->share = 1.0;
    int rc = open_as(n, f, -1, out, &o);
    if (rc == -2)
        return -1;
    n->nop--; /* undo: the same links with the degradation gone */
    rewant(n, &o);
    if (reapply(n, &o))
        rc = -1;
    settle(n, NULL);
    free(o.phys);
    free(o.keep);
    return rc;
}

int rs_net_open(rs_net *n, const fl_event *f, int64_t *handle)
{
    opened o;
    *handle = n->next_handle++;
    return open_as(n, f, *handle, NULL, &o) ? -1 : 0;
}

int rs_net_close(rs_net *n, int64_t handle)
{
    for (size_t d = 0; d < n->nop; d++) {
        if (n->op[d].handle != handle)
            continue;
        opened o = n->op[d];
        n->op[d] = n->op[--n->nop];
        rewant(n, &o);
        int rc = reapply(n, &o);
        settle(n, NULL);
        free(o.phys);
        free(o.keep);
        return rc;
    }
    return -1;
}

/* Whether failure (CLS, COMPONENT) alone leaves no path. -1 without memory. */
static int cuts_alone(rs_net *n, int cls, int64_t component)
{
    fl_event f = {.cls = cls, .component = component, .bw_factor = 0.0};
    rs_net_effect e;
    return rs_net_eval(n, &f, &e) ? -1 : e.cuts;
}

int64_t rs_net_cutting(rs_net *n, int cls)
{
    if (cls < 0 || cls >= FL__NCLASSES || cls == FL_LINK_FLAP || !fl_class_degrades(cls))
        return 0;
    if (n->cut_done[cls])
        return n->cut[cls];
    if (n->nop > 0)
        return -1; /* counted on the healthy machine only */
    int64_t c = 0;
    if (cls == FL_OPTICS) {
        /* per optical link, then the modules that map to it */
        int64_t nmod = n->counts.n[FL_OPTICS];
        int64_t last = -1;
        int cut = 0;
        for (int64_t m = 0; m < nmod && n->nopt > 0; m++) {
            int64_t k = (int64_t)((double)m * (double)n->nopt / (double)nmod);
            if (k >= n->nopt)
                k = n->nopt - 1;
            if (k != last) {
                cut = cuts_alone(n, FL_OPTICS, m);
                if (cut < 0)
                    return -1;
                last = k;
            }
            c += cut;
        }
    } else {
        int64_t total = cls == FL_SWITCH ? n->nsw : n->plane.nkeys;
        for (int64_t k = 0; k < total; k++) {
            int cut = cuts_alone(n, cls, k);
            if (cut < 0)
                return -1;
            c += cut;
        }
    }
    n->cut[cls] = c;
    n->cut_done[cls] = true;
    return c;
}
