/* The `fullmesh` supernode: an n-D full mesh (up to 3-D). Along each dimension the accelerators
 * that differ only in that coordinate are linked pairwise (`8`: 8 accelerators, 28 links; `8x8`:
 * 8 groups of 8, plus accelerator i of every group linked to accelerator i of the others, as in
 * UB-Mesh's 2D-FullMesh). Routes correct the first dimension first, relayed by the accelerators.
 * SimGrid sees a Full zone with one link per direction of each physical link and an explicit
 * route per ordered pair (so at most 512 accelerators per supernode). Local simulated links:
 * for dimension j, off_j + a (d_j - 1) + t, the link from a to the peer whose j-th coordinate is
 * the t-th other value. */
#include <stdio.h>
#include <stdlib.h>

#include "platform_impl.h"
#include "units.h"

/* SimGrid loads ~250,000 Full-zone routes per CPU second: at most 512 accelerators per supernode
 * and 2^21 routes in all (about 8 s). */
#define FULLMESH_MAX 512
#define FULLMESH_MAX_ROUTES ((int64_t)1 << 21)

static int64_t stride(const platform_t *p, int j)
{
    return p->stride[j];
}

static int64_t coord(const platform_t *p, int64_t a, int j)
{
    return a / stride(p, j) % p->dim[j];
}

static int init(platform_t *p, const scenario_t *sc, diag_t *err)
{
    const topo_spec *t = &sc->topo;
    if (p->ns > FULLMESH_MAX)
        return scenario_fail_at(sc, "topology.fullmesh.dims", err,
                                "a full mesh of %d accelerators is more than %d per supernode (its SimGrid zone holds "
                                "a route per pair)",
                                p->ns, FULLMESH_MAX);
    int64_t routes = (int64_t)p->S * p->ns * (p->ns - 1);
    if (routes > FULLMESH_MAX_ROUTES)
        return scenario_fail_at(sc, "topology.supernodes", err,
                                "%d full-mesh supernodes of %d accelerators need %lld SimGrid routes, more than %lld",
                                p->S, p->ns, (long long)routes, (long long)FULLMESH_MAX_ROUTES);
    p->nd = t->fullmesh.ndims;
    size_t off = 0;
    for (int j = 0; j < TOPO_MAX_DIMS; j++) {
        p->dim[j] = t->fullmesh.dim[j];
        p->stride[j] = j ? p->stride[j - 1] * p->dim[j - 1] : 1;
        p->fm_off[j] = off;
        off += (size_t)p->ns * (size_t)(p->dim[j] - 1);
    }
    p->sn_links = off;
    p->acc_bw_Bps = t->link.bw_Bps;
    p->acc_lat_s = hw_link_latency(&t->link, t->media);
    p->sw_per_sn = 0;
    return 0;
}

static void sim_link(const platform_t *p, size_t l, double *bw, double *lat)
{
    (void)l;
    *bw = p->acc_bw_Bps;
    *lat = p->acc_lat_s;
}

/* The link from A to the peer of A whose J-th coordinate is C. */
static uint32_t link_to(const platform_t *p, int64_t a, int j, int64_t c)
{
    int64_t own = coord(p, a, j);
    return (uint32_t)(p->fm_off[j] + (size_t)a * (size_t)(p->dim[j] - 1) + (size_t)(c < own ? c : c - 1));
}

static int route(const platform_t *p, int32_t a, int32_t b, double *lat_s, uint32_t *links, size_t cap)
{
    int n = 0;
    int64_t cur = a;
    for (int j = 0; j < p->nd; j++) {
        int64_t cc = coord(p, cur, j), cb = coord(p, b, j);
        if (cc == cb)
            continue;
        if ((size_t)n >= cap)
            return -1;
        links[n++] = link_to(p, cur, j, cb);
        cur += (cb - cc) * stride(p, j);
    }
    *lat_s = n * p->acc_lat_s;
    return n;
}

static void link_name(const platform_t *p, int32_t s, size_t l, char *buf, size_t n)
{
    int j = 0;
    while (j < TOPO_MAX_DIMS - 1 && l >= p->fm_off[j + 1])
        j++;
    size_t r = l - p->fm_off[j], per = (size_t)(p->dim[j] - 1);
    int64_t a = (int64_t)(r / per), t = (int64_t)(r % per), own = coord(p, a, j);
    int64_t c = t < own ? t : t + 1;
    int64_t b = a + (c - own) * stride(p, j);
    snprintf(buf, n, "sn%d_fm_%lld_%lld", s, (long long)s * p->ns + a, (long long)s * p->ns + b);
}

static void write_xml(const platform_t *p, FILE *f, int32_t s)
{
    int32_t g0 = s * p->ns;
    char name[96];
    fprintf(f, " <zone id=\"sn%d\" routing=\"Full\">\n", s);
    plat_write_hosts(p, f, g0, g0 + p->ns);
    for (size_t l = 0; l < p->sn_links; l++) {
        link_name(p, s, l, name, sizeof name);
        fprintf(f, "  <link id=\"%s\" bandwidth=\"%.17gBps\" latency=\"%.17gs\"/>\n", name, p->acc_bw_Bps,
                p->acc_lat_s);
    }
    uint32_t path[TOPO_MAX_DIMS];
    for (int32_t a = 0; a < p->ns; a++)
        for (int32_t b = 0; b < p->ns; b++) {
            if (a == b)
                continue;
            double lat;
            int k = route(p, a, b, &lat, path, TOPO_MAX_DIMS);
            fprintf(f, "  <route src=\"acc%d\" dst=\"acc%d\" symmetrical=\"NO\">", g0 + a, g0 + b);
            for (int h = 0; h < k; h++) {
                link_name(p, s, path[h], name, sizeof name);
                fprintf(f, "<link_ctn id=\"%s\"/>", name);
            }
            fprintf(f, "</route>\n");
        }
    fprintf(f, " </zone>\n");
}

/* Physical links: for each dimension, the pairs (a, b) with b's coordinate above a's. */
static int64_t nphys_dim(const platform_t *p, int j)
{
    return (int64_t)p->ns * (p->dim[j] - 1) / 2;
}

static int64_t nphys(const platform_t *p)
{
    int64_t n = 0;
    for (int j = 0; j < p->nd; j++)
        n += nphys_dim(p, j);
    return n;
}

static void phys(const platform_t *p, int64_t i, phys_link *o)
{
    int j = 0;
    while (i >= nphys_dim(p, j))
        i -= nphys_dim(p, j++);
    /* pairs of one line (k values): k (k-1) / 2; lines: ns / k */
    int64_t k = p->dim[j], per_line = k * (k - 1) / 2, line = i / per_line, q = i % per_line;
    int64_t lo = 0;
    while (q >= k - 1 - lo) {
        q -= k - 1 - lo;
        lo++;
    }
    int64_t hi = lo + 1 + q;
    /* the line's first accelerator: coordinate j = 0, the others from LINE */
    int64_t st = stride(p, j), first = line % st + line / st * st * k;
    int64_t a = first + lo * st, b = first + hi * st;
    *o = (phys_link){.a = a, .b = b, .via = -1, .tier = j, .plane = -1, .cls = &p->t.link, .lat_s = p->acc_lat_s,
                     .sim_up = link_to(p, a, j, hi), .sim_down = link_to(p, b, j, lo)};
}

static int32_t nswitches(const platform_t *p)
{
    (void)p;
    return 0;
}

static void switch_node(const platform_t *p, int32_t s, int32_t k, sw_node *o)
{
    (void)p;
    snprintf(o->name, sizeof o->name, "sn%d_none%d", s, k);
    o->tier = 0;
    o->plane = -1;
}

static void stats(const platform_t *p, topo_stats *st)
{
    const hw_link *l = &p->t.link;
    int64_t ends = 0, diam = 0;
    double bis = -1;
    for (int j = 0; j < p->nd; j++) {
        int64_t k = p->dim[j];
        ends += k - 1;
        if (k < 2)
            continue;
        diam++;
        /* cutting dimension j in halves: each of the ns / k lines has floor(k/2) x ceil(k/2) links across */
        double b = (double)(p->ns / k) * (double)(k / 2) * (double)(k - k / 2) * p->acc_bw_Bps;
        if (bis < 0 || b < bis)
            bis = b;
    }
    st->links[l->medium] += nphys(p);
    st->modules[l->medium] += (int64_t)p->ns * hw_link_modules(l, p->t.media, ends);
    st->bisection_Bps = bis > 0 ? bis : 0;
    st->nonblocking = false;
    st->diameter_hops = (int32_t)diam;
}

static void describe(const platform_t *p, FILE *f)
{
    char bw[64], lat[64];
    units_format(p->acc_bw_Bps, DIM_BANDWIDTH, bw, sizeof bw);
    units_format(p->acc_lat_s, DIM_TIME, lat, sizeof lat);
    fprintf(f,
            "a %s full mesh: along each dimension every pair is linked directly by a %s %s link (%s); routes "
            "correct the first dimension first. ",
            p->t.fullmesh.dims, bw, hw_medium_name(p->t.link.medium), lat);
}

const topo_ops topo_fullmesh_ops = {"fullmesh", init, sim_link,  route, write_xml, link_name,
                                    nphys,      phys, nswitches, switch_node, stats, describe};
