/* The `switched` supernode: ns accelerators, P planes, one switch chip per plane, every
 * accelerator linked once to every plane's chip (GB200 NVL72: 72 GPUs, 18 NVSwitch chips).
 * SimGrid sees a <cluster>: each accelerator's P plane links are one split-duplex bundle of
 * P x the link bandwidth (its private link), the switch is the FATPIPE backbone whose latency is
 * the traversal, so routes are O(1): up(src), down(dst), latency 2 x link + switch.
 * Local simulated links: 2a (a's bundle up), 2a + 1 (down). */
#include <stdio.h>

#include "platform_impl.h"
#include "units.h"

static int init(platform_t *p, const scenario_t *sc, diag_t *err)
{
    const topo_spec *t = &sc->topo;
    p->planes = (int32_t)t->planes;
    p->acc_bw_Bps = t->link.bw_Bps * p->planes;
    p->acc_lat_s = hw_link_latency(&t->link, t->media);
    p->sw_lat_s = t->sw.lat_s;
    p->sn_links = 2 * (size_t)p->ns;
    p->sw_per_sn = p->planes;
    int64_t need = (int64_t)p->ns * hw_switch_ports_per_link(&t->sw, t->link.bw_Bps);
    if (t->sw.radix > 0 && need > t->sw.radix) {
        char what[160];
        snprintf(what, sizeof what, "the switch of each plane (one link to each of %d accelerators)", p->ns);
        return plat_ports_error(sc, "topology.switch.radix", err, what, need, t->sw.radix);
    }
    return 0;
}

static void sim_link(const platform_t *p, size_t l, double *bw, double *lat)
{
    (void)l;
    *bw = p->acc_bw_Bps;
    *lat = p->acc_lat_s;
}

static int route(const platform_t *p, int32_t a, int32_t b, double *lat_s, uint32_t *links, size_t cap)
{
    if (cap < 2)
        return -1;
    links[0] = 2 * (uint32_t)a;
    links[1] = 2 * (uint32_t)b + 1;
    *lat_s = 2 * p->acc_lat_s + p->sw_lat_s;
    return 2;
}

static void write_xml(const platform_t *p, FILE *f, int32_t s)
{
    int32_t g0 = s * p->ns;
    fprintf(f,
            "  <cluster id=\"sn%d\" prefix=\"acc\" suffix=\"\" radical=\"%d-%d\" speed=\"%s\"\n"
            "           bw=\"%.17gBps\" lat=\"%.17gs\" sharing_policy=\"SPLITDUPLEX\"\n"
            "           bb_bw=\"%.17gBps\" bb_lat=\"%.17gs\" bb_sharing_policy=\"FATPIPE\"/>\n",
            s, g0, g0 + p->ns - 1, p->host_speeds, p->acc_bw_Bps, p->acc_lat_s, p->acc_bw_Bps, p->sw_lat_s);
}

static void link_name(const platform_t *p, int32_t s, size_t l, char *buf, size_t n)
{
    /* SimGrid names a cluster's private links "<cluster id>_link_<radical>_UP/_DOWN". */
    snprintf(buf, n, "sn%d_link_%lld_%s", s, (long long)s * p->ns + (long long)(l / 2), l % 2 ? "DOWN" : "UP");
}

static int64_t nphys(const platform_t *p)
{
    return (int64_t)p->ns * p->planes;
}

static void phys(const platform_t *p, int64_t i, phys_link *o)
{
    int32_t a = (int32_t)(i / p->planes), k = (int32_t)(i % p->planes);
    *o = (phys_link){.a = a, .b = p->ns + k, .via = -1, .tier = 0, .plane = k, .cls = &p->t.link,
                     .lat_s = p->acc_lat_s, .sim_up = 2 * (uint32_t)a, .sim_down = 2 * (uint32_t)a + 1};
}

static int32_t nswitches(const platform_t *p)
{
    return p->planes;
}

static void switch_node(const platform_t *p, int32_t s, int32_t k, sw_node *o)
{
    (void)p;
    snprintf(o->name, sizeof o->name, "sn%d_plane%d", s, k);
    o->tier = 1;
    o->plane = k;
}

static void stats(const platform_t *p, topo_stats *st)
{
    const hw_link *l = &p->t.link;
    st->switches[0] = p->planes;
    st->tier_name[0] = "plane switch";
    st->links[l->medium] += nphys(p);
    /* one module group at each accelerator (its P plane links) and at each chip (ns links) */
    st->modules[l->medium] += (int64_t)p->ns * hw_link_modules(l, p->t.media, p->planes) +
                              (int64_t)p->planes * hw_link_modules(l, p->t.media, p->ns);
    st->switch_power_W = p->planes * p->t.sw.power_W;
    st->bisection_Bps = (double)(p->ns / 2) * p->acc_bw_Bps;
    st->nonblocking = true;
    st->diameter_hops = p->ns > 1 ? 2 : 0;
}

static void describe(const platform_t *p, FILE *f)
{
    char bw[64], lat[64], sl[64];
    units_format(p->t.link.bw_Bps, DIM_BANDWIDTH, bw, sizeof bw);
    units_format(p->acc_lat_s, DIM_TIME, lat, sizeof lat);
    units_format(p->sw_lat_s, DIM_TIME, sl, sizeof sl);
    fprintf(f,
            "a single switch tier with %d plane%s; each accelerator has one %s %s link per plane (%s link "
            "latency, %s switch traversal). ",
            p->planes, p->planes == 1 ? "" : "s", bw, hw_medium_name(p->t.link.medium), lat, sl);
}

const topo_ops topo_switched_ops = {"switched", init,      sim_link,    route, write_xml, link_name,
                                    nphys,      phys,      nswitches,   switch_node, stats,   describe};
