/* Analytic pricing of a schedule: steps run one after another; a step lasts as long as its
 * slowest transfer, lat + max over its links of (bytes of the step crossing the link) / bw.
 * Invariant: LOAD is zero everywhere between steps; a step clears only the links it touched,
 * so it costs O(transfers x path length) whatever the size of the network. */
#include <stdlib.h>

#include "coll_impl.h"

#define PATH_CAP 256

double coll_analytic_time(const coll_sched *s, coll_route_fn route, void *ctx, const double *link_bw_Bps,
                          size_t nlinks)
{
    if (!s || s->nsteps == 0)
        return 0.0;
    if (!route || !link_bw_Bps || nlinks == 0)
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
        for (size_t i = 0; i < st->count; i++) {
            double lat;
            int n = route(ctx, xs[i].src, xs[i].dst, &lat, path, PATH_CAP);
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
                load[l] += xs[i].bytes;
            }
        }
        /* pass 2: the slowest transfer */
        double step_s = 0.0;
        for (size_t i = 0; i < st->count; i++) {
            double lat;
            int n = route(ctx, xs[i].src, xs[i].dst, &lat, path, PATH_CAP);
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
