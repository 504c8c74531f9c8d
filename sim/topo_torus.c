/* The `torus` supernode: a 2-D or 3-D torus of accelerators with wrap-around (rank r has
 * coordinates r mod d0, r / d0 mod d1, ...), one link per neighbour. With wrap = ocs the torus is
 * built of cubes and every link leaving a cube's + face is a circuit through an optical circuit
 * switch: one OCS per (dimension, face position), 2 ports per cube (TPU v4: 64 cubes of 4x4x4,
 * 48 OCS of 136 ports). SimGrid sees a TORUS <cluster>: rank r owns link (r, j) to its + neighbour
 * in dimension j (UP carries r -> r+1, DOWN r+1 -> r) and routes dimension by dimension; route()
 * below replays SimGrid's TorusZone exactly (its choice of direction included). Every link has
 * the XML latency of an accelerator link; circuits get theirs from platform_simgrid_sync().
 * Local simulated links: 2 (r nd + j) (UP), + 1 (DOWN). */
#include <stdio.h>

#include "platform_impl.h"
#include "units.h"

static int64_t coord(const platform_t *p, int64_t r, int j)
{
    return r / p->stride[j] % p->dim[j];
}

/* Is link (r, j) a circuit through an optical switch (it leaves a cube's + face)? */
static bool is_ocs(const platform_t *p, int64_t r, int j)
{
    return p->ocs_total > 0 && p->dim[j] >= 2 && (coord(p, r, j) + 1) % p->cube[j] == 0;
}

static int init(platform_t *p, const scenario_t *sc, diag_t *err)
{
    const topo_spec *t = &sc->topo;
    p->nd = t->torus.ndims;
    for (int j = 0; j < TOPO_MAX_DIMS; j++) {
        p->dim[j] = t->torus.dim[j];
        p->cube[j] = t->torus.cube_dim[j];
        p->stride[j] = j ? p->stride[j - 1] * p->dim[j - 1] : 1;
    }
    p->acc_bw_Bps = t->link.bw_Bps;
    p->acc_lat_s = hw_link_latency(&t->link, t->media);
    p->ocs_lat_s = p->acc_lat_s;
    p->sn_links = 2 * (size_t)p->ns * (size_t)p->nd;
    p->ocs_total = 0;
    if (t->torus.wrap == TOPO_WRAP_OCS) {
        p->ocs_lat_s = hw_link_latency(&t->torus.ocs_link, t->media);
        int64_t vol = p->cube[0] * p->cube[1] * p->cube[2];
        for (int j = 0; j < p->nd; j++) {
            p->ocs_per_dim[j] = p->dim[j] >= 2 ? vol / p->cube[j] : 0;
            p->ocs_total += p->ocs_per_dim[j];
        }
        int64_t cubes = p->ns / vol, need = 2 * cubes;
        if (t->torus.ocs.radix > 0 && need > t->torus.ocs.radix) {
            char what[160];
            snprintf(what, sizeof what, "each optical circuit switch (2 ports for each of %lld cubes)",
                     (long long)cubes);
            return plat_ports_error(sc, "topology.torus.ocs.radix", err, what, need, t->torus.ocs.radix);
        }
    }
    p->sw_per_sn = (int32_t)p->ocs_total;
    return 0;
}

static void sim_link(const platform_t *p, size_t l, double *bw, double *lat)
{
    int64_t r = (int64_t)(l / 2) / p->nd;
    int j = (int)((l / 2) % (size_t)p->nd);
    *bw = p->acc_bw_Bps;
    *lat = is_ocs(p, r, j) ? p->ocs_lat_s : p->acc_lat_s;
}

/* SimGrid's TorusZone::get_local_route, on local ranks (netpoint ids of the cluster's hosts). */
static int route(const platform_t *p, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    unsigned long s = (unsigned long)src, d = (unsigned long)dst, nd = (unsigned long)p->nd;
    unsigned long my[TOPO_MAX_DIMS], target[TOPO_MAX_DIMS], prod = 1;
    for (unsigned long i = 0; i < nd; i++) {
        unsigned long k = (unsigned long)p->dim[i];
        my[i] = s / prod % k;
        target[i] = d / prod % k;
        prod *= k;
    }
    unsigned long cur = s;
    int n = 0;
    double lat = 0;
    while (cur != d) {
        unsigned long next = cur, off = 0, dp = 1;
        bool up = false;
        for (unsigned long j = 0; j < nd; j++) {
            unsigned long k = (unsigned long)p->dim[j];
            if (cur / dp % k != d / dp % k) {
                if ((target[j] > my[j] && target[j] <= my[j] + k / 2) ||
                    (my[j] > k / 2 && (my[j] + k / 2) % k >= target[j])) {
                    next = cur / dp % k == k - 1 ? cur + dp - dp * k : cur + dp;
                    off = cur * nd + j;
                    up = true;
                } else {
                    next = cur / dp % k == 0 ? cur - dp + dp * k : cur - dp;
                    off = next * nd + j;
                    up = false;
                }
                break;
            }
            dp *= k;
        }
        if ((size_t)n >= cap)
            return -1;
        links[n++] = (uint32_t)(2 * off + (up ? 0 : 1));
        lat += is_ocs(p, (int64_t)(off / nd), (int)(off % nd)) ? p->ocs_lat_s : p->acc_lat_s;
        cur = next;
    }
    *lat_s = lat;
    return n;
}

static void write_xml(const platform_t *p, FILE *f, int32_t s)
{
    int32_t g0 = s * p->ns;
    char dims[64];
    if (p->nd == 3)
        snprintf(dims, sizeof dims, "%lld,%lld,%lld", (long long)p->dim[0], (long long)p->dim[1],
                 (long long)p->dim[2]);
    else
        snprintf(dims, sizeof dims, "%lld,%lld", (long long)p->dim[0], (long long)p->dim[1]);
    fprintf(f,
            "  <cluster id=\"sn%d\" prefix=\"acc\" suffix=\"\" radical=\"%d-%d\" speed=\"%s\"\n"
            "           bw=\"%.17gBps\" lat=\"%.17gs\" sharing_policy=\"SPLITDUPLEX\" topology=\"TORUS\" "
            "topo_parameters=\"%s\"/>\n",
            s, g0, g0 + p->ns - 1, p->host_speeds, p->acc_bw_Bps, p->acc_lat_s, dims);
}

/* The + neighbour of R in dimension J. */
static int64_t plus(const platform_t *p, int64_t r, int j)
{
    return coord(p, r, j) == p->dim[j] - 1 ? r - (p->dim[j] - 1) * p->stride[j] : r + p->stride[j];
}

static void link_name(const platform_t *p, int32_t s, size_t l, char *buf, size_t n)
{
    int64_t r = (int64_t)(l / 2) / p->nd;
    int j = (int)((l / 2) % (size_t)p->nd);
    snprintf(buf, n, "sn%d_link_from_%lld_to_%lld_%s", s, (long long)r, (long long)plus(p, r, j),
             l % 2 ? "DOWN" : "UP");
}

/* Dimensions of size >= 2 (they have links). */
static int live_dims(const platform_t *p, int *which)
{
    int k = 0;
    for (int j = 0; j < p->nd; j++)
        if (p->dim[j] >= 2)
            which[k++] = j;
    return k;
}

static int64_t nphys(const platform_t *p)
{
    int w[TOPO_MAX_DIMS];
    return (int64_t)p->ns * live_dims(p, w);
}

/* Local switch id of the OCS the circuit (r, j) crosses. */
static int64_t ocs_of(const platform_t *p, int64_t r, int j)
{
    int64_t off = 0;
    for (int i = 0; i < j; i++)
        off += p->ocs_per_dim[i];
    int64_t fp = 0, stride = 1;
    for (int i = 0; i < p->nd; i++)
        if (i != j) {
            fp += coord(p, r, i) % p->cube[i] * stride;
            stride *= p->cube[i];
        }
    return off + fp;
}

static void phys(const platform_t *p, int64_t i, phys_link *o)
{
    int w[TOPO_MAX_DIMS];
    int k = live_dims(p, w);
    int64_t r = i / k;
    int j = w[i % k];
    bool ocs = is_ocs(p, r, j);
    uint32_t up = 2 * (uint32_t)(r * p->nd + j);
    *o = (phys_link){.a = r,
                     .b = plus(p, r, j),
                     .via = ocs ? p->ns + ocs_of(p, r, j) : -1,
                     .tier = ocs ? 1 : 0,
                     .plane = j,
                     .cls = ocs ? &p->t.torus.ocs_link : &p->t.link,
                     .lat_s = ocs ? p->ocs_lat_s : p->acc_lat_s,
                     .sim_up = up,
                     .sim_down = up + 1};
}

static int32_t nswitches(const platform_t *p)
{
    return (int32_t)p->ocs_total;
}

static void switch_node(const platform_t *p, int32_t s, int32_t k, sw_node *o)
{
    int j = 0;
    int64_t fp = k;
    while (j < p->nd - 1 && fp >= p->ocs_per_dim[j])
        fp -= p->ocs_per_dim[j++];
    snprintf(o->name, sizeof o->name, "sn%d_ocs_dim%d_%lld", s, j, (long long)fp);
    o->tier = 1;
    o->plane = j;
}

static void stats(const platform_t *p, topo_stats *st)
{
    const hw_link *l = &p->t.link, *c = &p->t.torus.ocs_link;
    int w[TOPO_MAX_DIMS];
    int k = live_dims(p, w);
    st->switches[0] = p->ocs_total;
    st->tier_name[0] = p->ocs_total ? "OCS" : NULL;
    int64_t ocs_links = 0, kmax = 1, diam = 0;
    for (int64_t r = 0; r < p->ns; r++) {
        int64_t ends_c = 0, ends_e = 0;
        for (int q = 0; q < k; q++) {
            int j = w[q];
            /* r's + link, and the link from its - neighbour */
            bool out = is_ocs(p, r, j), in = p->ocs_total > 0 && coord(p, r, j) % p->cube[j] == 0;
            ends_c += out + in;
            ends_e += !out + !in;
            ocs_links += out;
        }
        st->modules[c->medium] += hw_link_modules(c, p->t.media, ends_c);
        st->modules[l->medium] += hw_link_modules(l, p->t.media, ends_e);
    }
    st->links[l->medium] += nphys(p) - ocs_links;
    st->links[c->medium] += ocs_links;
    st->switch_power_W = (double)p->ocs_total * p->t.torus.ocs.power_W;
    for (int q = 0; q < k; q++) {
        kmax = p->dim[w[q]] > kmax ? p->dim[w[q]] : kmax;
        diam += p->dim[w[q]] / 2;
    }
    /* the cut across the longest ring crosses 2 links per ring (one of them the wrap-around) */
    st->bisection_Bps = kmax >= 2 ? 2.0 * (double)(p->ns / kmax) * p->acc_bw_Bps : 0;
    st->nonblocking = false;
    st->diameter_hops = (int32_t)diam;
}

static void describe(const platform_t *p, FILE *f)
{
    char bw[64], lat[64];
    units_format(p->acc_bw_Bps, DIM_BANDWIDTH, bw, sizeof bw);
    units_format(p->acc_lat_s, DIM_TIME, lat, sizeof lat);
    fprintf(f, "a %s torus with wrap-around; each accelerator has one %s %s link (%s) to each neighbour",
            p->t.torus.dims, bw, hw_medium_name(p->t.link.medium), lat);
    if (p->ocs_total) {
        char ol[64];
        units_format(p->ocs_lat_s, DIM_TIME, ol, sizeof ol);
        fprintf(f, "; cubes of %s joined by %lld optical circuit switches (%s circuits, %s)", p->t.torus.cube,
                (long long)p->ocs_total, hw_medium_name(p->t.torus.ocs_link.medium), ol);
    }
    fprintf(f, ". ");
}

const topo_ops topo_torus_ops = {"torus", init, sim_link,  route, write_xml, link_name,
                                 nphys,   phys, nswitches, switch_node, stats, describe};
