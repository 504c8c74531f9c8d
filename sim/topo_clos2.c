/* The `clos2` supernode: N nodes of A accelerators; per plane, one L1 chip per node (linked to
 * the node's A accelerators) and L2 chips joining the L1 chips of that plane, each L1 chip with
 * one uplink to each L2 chip of its plane (CloudMatrix384: 48 x 8 NPUs, 7 planes, 7 x 48 L1 and
 * 7 x 16 L2 chips). The L2 chips per plane are ceil(A x link / (oversubscription x uplink)).
 * SimGrid sees one DijkstraCache zone per supernode: accelerator hosts, one router per node
 * (its P L1 chips as one), one router for all L2 chips; links are bundles (an accelerator's P
 * plane links; a node's P x L2 uplinks per direction) and crossbars are FATPIPE latency links.
 * The graph is a tree, so the route is unique. Local simulated links: 2a, 2a + 1 (accelerator a
 * up, down), 2 ns + 2n, 2 ns + 2n + 1 (node n up, down). */
#include <math.h>
#include <stdio.h>

#include "platform_impl.h"
#include "units.h"

static int init(platform_t *p, const scenario_t *sc, diag_t *err)
{
    const topo_spec *t = &sc->topo;
    p->planes = (int32_t)t->planes;
    p->nodes = (int32_t)t->nodes;
    double l2 = ceil((double)p->apn * t->link.bw_Bps / (t->oversubscription * t->uplink.bw_Bps) - 1e-9);
    if (l2 < 1)
        l2 = 1;
    if (l2 > 65536)
        return scenario_fail_at(sc, "topology.oversubscription", err,
                                "an oversubscription of %g needs %.0f L2 chips per plane, more than 65536",
                                t->oversubscription, l2);
    p->l2_per_plane = (int32_t)l2;
    p->acc_bw_Bps = t->link.bw_Bps * p->planes;
    p->acc_lat_s = hw_link_latency(&t->link, t->media);
    p->up_bw_Bps = t->uplink.bw_Bps * p->planes * p->l2_per_plane;
    p->up_lat_s = hw_link_latency(&t->uplink, t->media);
    p->sw_lat_s = t->sw.lat_s;
    p->sn_links = 2 * (size_t)p->ns + 2 * (size_t)p->nodes;
    p->sw_per_sn = p->nodes * p->planes + p->planes * p->l2_per_plane;
    if (t->sw.radix > 0) {
        int64_t down = p->apn * hw_switch_ports_per_link(&t->sw, t->link.bw_Bps);
        int64_t upp = hw_switch_ports_per_link(&t->sw, t->uplink.bw_Bps);
        int64_t l1 = down + p->l2_per_plane * upp, l2p = (int64_t)p->nodes * upp;
        char what[200];
        if (l1 > t->sw.radix) {
            snprintf(what, sizeof what, "an L1 chip (%d accelerator links and %d uplinks)", p->apn,
                     p->l2_per_plane);
            return plat_ports_error(sc, "topology.switch.radix", err, what, l1, t->sw.radix);
        }
        if (l2p > t->sw.radix) {
            snprintf(what, sizeof what, "an L2 chip (one uplink from each of %d nodes)", p->nodes);
            return plat_ports_error(sc, "topology.switch.radix", err, what, l2p, t->sw.radix);
        }
    }
    return 0;
}

static void sim_link(const platform_t *p, size_t l, double *bw, double *lat)
{
    bool acc = l < 2 * (size_t)p->ns;
    *bw = acc ? p->acc_bw_Bps : p->up_bw_Bps;
    *lat = acc ? p->acc_lat_s : p->up_lat_s;
}

static int route(const platform_t *p, int32_t a, int32_t b, double *lat_s, uint32_t *links, size_t cap)
{
    int32_t na = a / p->apn, nb = b / p->apn;
    if (na == nb) {
        if (cap < 2)
            return -1;
        links[0] = 2 * (uint32_t)a;
        links[1] = 2 * (uint32_t)b + 1;
        *lat_s = 2 * p->acc_lat_s + p->sw_lat_s;
        return 2;
    }
    if (cap < 4)
        return -1;
    uint32_t base = 2 * (uint32_t)p->ns;
    links[0] = 2 * (uint32_t)a;
    links[1] = base + 2 * (uint32_t)na;
    links[2] = base + 2 * (uint32_t)nb + 1;
    links[3] = 2 * (uint32_t)b + 1;
    *lat_s = 2 * p->acc_lat_s + 2 * p->up_lat_s + 3 * p->sw_lat_s;
    return 4;
}

static void link_name(const platform_t *p, int32_t s, size_t l, char *buf, size_t n)
{
    size_t na = 2 * (size_t)p->ns;
    if (l < na)
        snprintf(buf, n, "sn%d_acc%lld_%s", s, (long long)s * p->ns + (long long)(l / 2), l % 2 ? "DOWN" : "UP");
    else
        snprintf(buf, n, "sn%d_node%zu_%s", s, (l - na) / 2, (l - na) % 2 ? "DOWN" : "UP");
}

/* Hosts, routers, bundle links, crossbars and the tree's edges (each edge into a switch carries
 * that switch's crossbar, so a path crosses each switch's latency exactly once). */
static void write_xml(const platform_t *p, FILE *f, int32_t s)
{
    int32_t g0 = s * p->ns;
    char name[96];
    fprintf(f, " <zone id=\"sn%d\" routing=\"DijkstraCache\">\n", s);
    plat_write_hosts(p, f, g0, g0 + p->ns);
    for (int32_t k = 0; k < p->nodes; k++)
        fprintf(f, "  <router id=\"sn%d_l1_%d\"/>\n", s, k);
    fprintf(f, "  <router id=\"sn%d_l2\"/>\n", s);
    for (size_t l = 0; l < p->sn_links; l++) {
        double bw, lat;
        sim_link(p, l, &bw, &lat);
        link_name(p, s, l, name, sizeof name);
        fprintf(f, "  <link id=\"%s\" bandwidth=\"%.17gBps\" latency=\"%.17gs\"/>\n", name, bw, lat);
    }
    for (int32_t k = 0; k < p->nodes; k++)
        fprintf(f, "  <link id=\"sn%d_l1_%d_xbar\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" sharing_policy=\"FATPIPE\"/>\n",
                s, k, p->acc_bw_Bps * p->apn, p->sw_lat_s);
    fprintf(f, "  <link id=\"sn%d_l2_xbar\" bandwidth=\"%.17gBps\" latency=\"%.17gs\" sharing_policy=\"FATPIPE\"/>\n", s,
            p->up_bw_Bps * p->nodes, p->sw_lat_s);
    char up[96], down[96];
    for (int32_t a = 0; a < p->ns; a++) {
        int32_t k = a / p->apn;
        link_name(p, s, 2 * (size_t)a, up, sizeof up);
        link_name(p, s, 2 * (size_t)a + 1, down, sizeof down);
        fprintf(f,
                "  <route src=\"acc%d\" dst=\"sn%d_l1_%d\" symmetrical=\"NO\"><link_ctn id=\"%s\"/><link_ctn "
                "id=\"sn%d_l1_%d_xbar\"/></route>\n"
                "  <route src=\"sn%d_l1_%d\" dst=\"acc%d\" symmetrical=\"NO\"><link_ctn id=\"%s\"/></route>\n",
                g0 + a, s, k, up, s, k, s, k, g0 + a, down);
    }
    if (p->nodes > 1)
        for (int32_t k = 0; k < p->nodes; k++) {
            link_name(p, s, 2 * (size_t)p->ns + 2 * (size_t)k, up, sizeof up);
            link_name(p, s, 2 * (size_t)p->ns + 2 * (size_t)k + 1, down, sizeof down);
            fprintf(f,
                    "  <route src=\"sn%d_l1_%d\" dst=\"sn%d_l2\" symmetrical=\"NO\"><link_ctn id=\"%s\"/><link_ctn "
                    "id=\"sn%d_l2_xbar\"/></route>\n"
                    "  <route src=\"sn%d_l2\" dst=\"sn%d_l1_%d\" symmetrical=\"NO\"><link_ctn id=\"%s\"/><link_ctn "
                    "id=\"sn%d_l1_%d_xbar\"/></route>\n",
                    s, k, s, up, s, s, s, k, down, s, k);
        }
    fprintf(f, " </zone>\n");
}

static int64_t nacc_links(const platform_t *p)
{
    return (int64_t)p->ns * p->planes;
}

static int64_t nphys(const platform_t *p)
{
    return nacc_links(p) + (int64_t)p->nodes * p->planes * p->l2_per_plane;
}

/* Local switch ids: L1 chip (node k, plane q) = k P + q; L2 chip (plane q, j) = N P + q L2 + j. */
static void phys(const platform_t *p, int64_t i, phys_link *o)
{
    if (i < nacc_links(p)) {
        int32_t a = (int32_t)(i / p->planes), q = (int32_t)(i % p->planes);
        *o = (phys_link){.a = a, .b = p->ns + (int64_t)(a / p->apn) * p->planes + q, .via = -1, .tier = 0,
                         .plane = q, .cls = &p->t.link, .lat_s = p->acc_lat_s, .sim_up = 2 * (uint32_t)a,
                         .sim_down = 2 * (uint32_t)a + 1};
        return;
    }
    i -= nacc_links(p);
    int64_t per_node = (int64_t)p->planes * p->l2_per_plane;
    int32_t k = (int32_t)(i / per_node), q = (int32_t)(i % per_node / p->l2_per_plane),
            j = (int32_t)(i % p->l2_per_plane);
    uint32_t up = 2 * (uint32_t)p->ns + 2 * (uint32_t)k;
    *o = (phys_link){.a = p->ns + (int64_t)k * p->planes + q,
                     .b = p->ns + (int64_t)p->nodes * p->planes + (int64_t)q * p->l2_per_plane + j,
                     .via = -1,
                     .tier = 1,
                     .plane = q,
                     .cls = &p->t.uplink,
                     .lat_s = p->up_lat_s,
                     .sim_up = up,
                     .sim_down = up + 1};
}

static int32_t nswitches(const platform_t *p)
{
    return p->sw_per_sn;
}

static void switch_node(const platform_t *p, int32_t s, int32_t k, sw_node *o)
{
    int32_t l1 = p->nodes * p->planes;
    if (k < l1) {
        snprintf(o->name, sizeof o->name, "sn%d_l1_node%d_plane%d", s, k / p->planes, k % p->planes);
        o->tier = 1;
        o->plane = k % p->planes;
    } else {
        k -= l1;
        snprintf(o->name, sizeof o->name, "sn%d_l2_plane%d_%d", s, k / p->l2_per_plane, k % p->l2_per_plane);
        o->tier = 2;
        o->plane = k / p->l2_per_plane;
    }
}

static void stats(const platform_t *p, topo_stats *st)
{
    const hw_link *l = &p->t.link, *u = &p->t.uplink;
    const hw_medium *m = p->t.media;
    int64_t l1 = (int64_t)p->nodes * p->planes, l2 = (int64_t)p->planes * p->l2_per_plane;
    st->switches[0] = l1;
    st->tier_name[0] = "L1";
    st->switches[1] = p->nodes > 1 ? l2 : 0;
    st->tier_name[1] = "L2";
    st->links[l->medium] += nacc_links(p);
    st->modules[l->medium] += (int64_t)p->ns * hw_link_modules(l, m, p->planes) + l1 * hw_link_modules(l, m, p->apn);
    if (p->nodes > 1) {
        /* an L1 chip terminates one uplink per L2 chip of its plane; an L2 chip one per node */
        st->links[u->medium] += l1 * p->l2_per_plane;
        st->modules[u->medium] += l1 * hw_link_modules(u, m, p->l2_per_plane) + l2 * hw_link_modules(u, m, p->nodes);
    }
    st->switch_power_W = (double)(st->switches[0] + st->switches[1]) * p->t.sw.power_W;
    double node_down = p->apn * p->acc_bw_Bps;
    if (p->nodes > 1) {
        st->bisection_Bps = (double)(p->nodes / 2) * fmin(node_down, p->up_bw_Bps);
        st->nonblocking = p->up_bw_Bps >= node_down * (1 - 1e-12);
        st->diameter_hops = 4;
    } else {
        st->bisection_Bps = (double)(p->apn / 2) * p->acc_bw_Bps;
        st->nonblocking = true;
        st->diameter_hops = p->ns > 1 ? 2 : 0;
    }
}

static void describe(const platform_t *p, FILE *f)
{
    char bw[64], ub[64], sl[64];
    units_format(p->t.link.bw_Bps, DIM_BANDWIDTH, bw, sizeof bw);
    units_format(p->t.uplink.bw_Bps, DIM_BANDWIDTH, ub, sizeof ub);
    units_format(p->sw_lat_s, DIM_TIME, sl, sizeof sl);
    fprintf(f,
            "a two-tier Clos of %d nodes x %d accelerators with %d planes: per plane one L1 chip per node "
            "(%s %s links to its accelerators) and %d L2 chips (%s %s uplinks, one from each L1 chip; "
            "oversubscription %g); %s switch traversal. ",
            p->nodes, p->apn, p->planes, bw, hw_medium_name(p->t.link.medium), p->l2_per_plane, ub,
            hw_medium_name(p->t.uplink.medium), p->t.oversubscription, sl);
}

const topo_ops topo_clos2_ops = {"clos2", init, sim_link,  route, write_xml, link_name,
                                 nphys,   phys, nswitches, switch_node, stats, describe};
