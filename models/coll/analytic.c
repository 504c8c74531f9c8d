/* Analytic pricing of a schedule: steps run one after another; a step lasts as long as its
 * slowest transfer, lat + max over its links of (bytes of the step crossing the link) / bw.
 * On separately routed planes a striped transfer is its sub-transfers, one per plane.
 * Invariant: LOAD is zero everywhere between steps; a step clears only the links it touched,
 * so it costs O(transfers x stripes x path length) whatever the size of the network. */
#include <stdlib.h>

#include "coll_impl.h"

#define PATH_CAP 256

/* Either kind of route callback. */
typedef struct router {
    coll_route_fn flat;
    coll_plane_route_fn planes;
    void *ctx;
} router;

static int route_of(const router *r, int32_t src, int32_t dst, int32_t plane, double *lat, uint32_t *links,
                    size_t cap)
{
    if (r->planes)
        return r->planes(r->ctx, src, dst, plane, lat, links, cap);
    return r->flat(r->ctx, src, dst, lat, links, cap);
}

/* SPLIT sub-transfers per transfer (plane k for k < SPLIT when SPLIT > 1, plane -1 otherwise). */
static double price(const coll_sched *s, const router *rt, uint32_t split, const double *link_bw_Bps,
                    size_t nlinks)
{
    if (!s || s->nsteps == 0)
        return 0.0;
    if ((!rt->flat && !rt->planes) || !link_bw_Bps || nlinks == 0)
        return -1.0;
    double *load = calloc(nlinks, sizeof *load);
    unsigned char *seen = calloc(nlinks, 1);
    size_t cap_touched = 1024, ntouched = 0;
    uint32_t *touched = malloc(cap_touched * sizeof *touched);
    double total = -1.0;
    uint32_t path[PATH_CAP];
    if (!load || !seen || !touched)
        goto out;
    double sum = 0.0;
    for (size_t k = 0; k < s->nsteps; k++) {
        const coll_step *st = &s->steps[k];
        const coll_xfer *xs = s->xfers + st->first;
        /* pass 1: bytes per link */
        for (size_t i = 0; i < st->count; i++)
            for (uint32_t sub = 0; sub < split; sub++) {
                double lat;
                int32_t plane = split > 1 ? (int32_t)sub : -1;
                int n = route_of(rt, xs[i].src, xs[i].dst, plane, &lat, path, PATH_CAP);
                if (n < 0 || n > PATH_CAP)
                    goto out;
                for (int h = 0; h < n; h++) {
                    uint32_t l = path[h];
                    if (l >= nlinks || !(link_bw_Bps[l] > 0.0))
                        goto out;
                    if (!seen[l]) {
                        if (ntouched == cap_touched) {
                            uint32_t *t = realloc(touched, 2 * cap_touched * sizeof *t);
                            if (!t)
                                goto out;
                            touched = t;
                            cap_touched *= 2;
                        }
                        seen[l] = 1;
                        touched[ntouched++] = l;
                    }
                    load[l] += xs[i].bytes / (double)split;
                }
            }
        /* pass 2: the slowest transfer */
        double step_s = 0.0;
        for (size_t i = 0; i < st->count; i++)
            for (uint32_t sub = 0; sub < split; sub++) {
                double lat;
                int32_t plane = split > 1 ? (int32_t)sub : -1;
                int n = route_of(rt, xs[i].src, xs[i].dst, plane, &lat, path, PATH_CAP);
                if (n < 0 || n > PATH_CAP)
                    goto out;
                double worst = 0.0;
                for (int h = 0; h < n; h++) {
                    double tx = load[path[h]] / link_bw_Bps[path[h]];
                    if (tx > worst)
                        worst = tx;
                }
                if (lat + worst > step_s)
                    step_s = lat + worst;
            }
        for (size_t t = 0; t < ntouched; t++) {
            load[touched[t]] = 0.0;
            seen[touched[t]] = 0;
        }
        ntouched = 0;
        sum += step_s * (double)st->repeat;
    }
    total = sum;
out:
    free(load);
    free(seen);
    free(touched);
    return total;
}

double coll_analytic_time(const coll_sched *s, coll_route_fn route, void *ctx, const double *link_bw_Bps,
                          size_t nlinks)
{
    router rt = {route, NULL, ctx};
    if (!route && s && s->nsteps > 0)
        return -1.0;
    return price(s, &rt, 1, link_bw_Bps, nlinks);
}

double coll_analytic_time_planes(const coll_sched *s, coll_plane_route_fn route, void *ctx,
                                 const double *link_bw_Bps, size_t nlinks)
{
    router rt = {NULL, route, ctx};
    if (!route && s && s->nsteps > 0)
        return -1.0;
    uint32_t split = s && s->stripes > 1 ? s->stripes : 1;
    return price(s, &rt, split, link_bw_Bps, nlinks);
}
