/* Torus geometry for collectives: the shape of a torus supernode, and whether a group of
 * accelerators is a sub-torus of one (whole dimensions, in natural order), so that torus-aware
 * algorithms can be offered to it. Invariant: a group is reported as a torus only if every pair of
 * group neighbours along each of its dimensions (wrap-around included) is one link apart. */
#include <stdlib.h>

#include "platform_impl.h"

int platform_torus_dims(const platform_t *p, int32_t dims[3])
{
    if (p->ops != &topo_torus_ops)
        return 0;
    for (int j = 0; j < 3; j++)
        dims[j] = j < p->nd ? (int32_t)p->dim[j] : 1;
    return p->nd;
}

/* Does the group match the dimensions listed in WHICH[0..k) (increasing), rank i at local
 * accelerator BASE + sum of its coordinates (i in row-major order over those dimensions, the
 * first fastest) times their strides, with BASE at coordinate 0 in each of them? */
static bool matches(const platform_t *p, const int32_t *local, int32_t n, const int *which, int k)
{
    int64_t base = local[0];
    for (int q = 0; q < k; q++)
        if (base / p->stride[which[q]] % p->dim[which[q]] != 0)
            return false;
    for (int32_t i = 0; i < n; i++) {
        int64_t want = base, rest = i;
        for (int q = 0; q < k; q++) {
            want += rest % p->dim[which[q]] * p->stride[which[q]];
            rest /= p->dim[which[q]];
        }
        if (local[i] != want)
            return false;
    }
    return true;
}

int platform_torus_group(const platform_t *p, const int32_t *members, int32_t n, int32_t dims[3])
{
    if (p->ops != &topo_torus_ops || n < 2)
        return 0;
    int32_t sn = platform_supernode_of(p, members[0]);
    int32_t *local = malloc((size_t)n * sizeof *local);
    if (!local)
        return 0;
    bool same = true;
    for (int32_t i = 0; i < n && same; i++) {
        same = members[i] >= 0 && members[i] < p->n && platform_supernode_of(p, members[i]) == sn;
        local[i] = members[i] - sn * p->ns;
    }
    int found = 0;
    /* every subset of the dimensions of size >= 2 whose sizes multiply to n (at most one matches:
     * the offsets of ranks 1, d, d d', ... name its dimensions) */
    for (unsigned mask = 1; same && !found && mask < (1u << p->nd); mask++) {
        int which[3], k = 0;
        int64_t prod = 1;
        bool live = true;
        for (int j = 0; j < p->nd; j++)
            if (mask & (1u << j)) {
                live = live && p->dim[j] >= 2;
                which[k++] = j;
                prod *= p->dim[j];
            }
        if (!live || prod != n || !matches(p, local, n, which, k))
            continue;
        for (int q = 0; q < 3; q++)
            dims[q] = q < k ? (int32_t)p->dim[which[q]] : 1;
        found = k;
    }
    free(local);
    return found;
}
