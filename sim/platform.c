/* Platform core: builds the cluster from the scenario (a scale-up kind per supernode from
 * sim/topo_*.c, the scale-out fat tree from sim/topo_scaleout.c), numbers every simulated link
 * (supernode s owns ids s x sn_links .. (s+1) x sn_links - 1, the fabric the ids after them),
 * routes, names hosts and links, degrades physical links and writes the SimGrid XML.
 * Invariant: link_bw and link_lat always hold what SimGrid has once platform_simgrid_sync()
 * has run; xml_bw and xml_lat what the XML declares. */
#include "platform.h"

#include <errno.h>
#include <math.h>
#include <simgrid/link.h>
#include <stdlib.h>
#include <string.h>

#include "platform_impl.h"
#include "power/power.h"
#include "units.h"

static const topo_ops *ops_for(topo_kind k)
{
    switch (k) {
    case TOPO_SWITCHED:
        return &topo_switched_ops;
    case TOPO_CLOS2:
        return &topo_clos2_ops;
    case TOPO_TORUS:
        return &topo_torus_ops;
    case TOPO_FULLMESH:
        return &topo_fullmesh_ops;
    }
    return &topo_switched_ops;
}

int plat_ports_error(const scenario_t *sc, const char *key, diag_t *err, const char *what, int64_t need,
                     int64_t radix)
{
    return scenario_fail_at(sc, key, err, "%s needs %lld ports but '%s' is %lld", what, (long long)need, key,
                            (long long)radix);
}

platform_t *platform_build(const scenario_t *sc, diag_t *err)
{
    platform_t *p = calloc(1, sizeof *p);
    if (!p) {
        diag_fail(err, "out of memory");
        return NULL;
    }
    p->t = sc->topo;
    p->seed = sc->seed;
    power_speed_attr(&sc->accel, p->host_speeds, sizeof p->host_speeds);
    p->S = (int32_t)sc->topo.supernodes;
    p->ns = (int32_t)sc->topo.accelerators;
    p->n = p->S * p->ns;
    p->apn = (int32_t)sc->topo.accels_per_node;
    if (p->apn < 1)
        p->apn = 1;
    p->ops = ops_for(sc->topo.kind);
    if (p->ops->init(p, sc, err))
        goto fail;
    p->has_so = sc->topo.scaleout.kind == TOPO_SO_FATTREE;
    if (p->has_so && so_init(p, sc, err))
        goto fail;
    size_t up = (size_t)p->S * p->sn_links;
    size_t out = p->has_so ? (size_t)p->so.trees * (size_t)p->so.links_per_tree * 2 : 0;
    p->so.base = up;
    p->nlinks = up + out;
    if (p->nlinks >= UINT32_MAX) {
        diag_fail(err, "the platform needs %zu simulated links, more than link ids can number", p->nlinks);
        goto fail;
    }
    p->link_bw = malloc(p->nlinks * sizeof *p->link_bw);
    p->link_lat = malloc(p->nlinks * sizeof *p->link_lat);
    p->xml_bw = malloc(p->nlinks * sizeof *p->xml_bw);
    p->xml_lat = malloc(p->nlinks * sizeof *p->xml_lat);
    if (!p->link_bw || !p->link_lat || !p->xml_bw || !p->xml_lat) {
        diag_fail(err, "out of memory for %zu simulated links", p->nlinks);
        goto fail;
    }
    for (size_t l = 0; l < p->sn_links; l++) {
        double bw, lat;
        p->ops->sim_link(p, l, &bw, &lat);
        for (int32_t s = 0; s < p->S; s++) {
            size_t i = (size_t)s * p->sn_links + l;
            p->link_bw[i] = bw;
            p->link_lat[i] = lat;
        }
    }
    for (size_t l = 0; l < out; l++)
        so_sim_link(p, l, &p->link_bw[up + l], &p->link_lat[up + l]);
    memcpy(p->xml_bw, p->link_bw, p->nlinks * sizeof *p->xml_bw);
    memcpy(p->xml_lat, p->link_lat, p->nlinks * sizeof *p->xml_lat);
    /* A torus writes one latency for all its links; circuits through optical switches differ. */
    if (p->t.kind == TOPO_TORUS)
        for (size_t i = 0; i < up; i++)
            p->xml_lat[i] = p->acc_lat_s;
    return p;
fail:
    platform_free(p);
    return NULL;
}

void platform_free(platform_t *p)
{
    if (!p)
        return;
    free(p->link_bw);
    free(p->link_lat);
    free(p->xml_bw);
    free(p->xml_lat);
    free(p->deg_id);
    free(p->deg_factor);
    free(p->deg_slot);
    free(p);
}

int32_t platform_accelerators(const platform_t *p)
{
    return p->n;
}

int32_t platform_node_of(const platform_t *p, int32_t acc)
{
    return acc / p->apn;
}

int32_t platform_supernode_of(const platform_t *p, int32_t acc)
{
    return acc / p->ns;
}

int32_t platform_accels_per_node(const platform_t *p)
{
    return p->apn;
}

int32_t platform_accels_per_supernode(const platform_t *p)
{
    return p->ns;
}

int32_t platform_supernodes(const platform_t *p)
{
    return p->S;
}

size_t platform_nlinks(const platform_t *p)
{
    return p->nlinks;
}

const double *platform_link_bw(const platform_t *p)
{
    return p->link_bw;
}

const char *platform_link_name(const platform_t *p, uint32_t id, char *buf, size_t n)
{
    if (id >= p->nlinks)
        snprintf(buf, n, "?");
    else if (id >= p->so.base)
        so_link_name(p, id - p->so.base, buf, n);
    else
        p->ops->link_name(p, (int32_t)(id / p->sn_links), id % p->sn_links, buf, n);
    return buf;
}

int platform_route(const platform_t *p, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    *lat_s = 0;
    if (src == dst)
        return 0;
    int32_t ss = src / p->ns, sd = dst / p->ns;
    if (ss != sd)
        return p->has_so ? so_route(p, src, dst, lat_s, links, cap) : -1;
    int k = p->ops->route(p, src - ss * p->ns, dst - ss * p->ns, lat_s, links, cap);
    uint32_t base = (uint32_t)((size_t)ss * p->sn_links);
    for (int i = 0; i < k; i++)
        links[i] += base;
    return k;
}

int platform_endpoint(const platform_t *p, int32_t src, int32_t dst, char *src_host, char *dst_host, size_t n)
{
    if (src / p->ns == dst / p->ns || !p->has_so) {
        snprintf(src_host, n, "acc%d", src);
        snprintf(dst_host, n, "acc%d", dst);
        return 0;
    }
    int32_t rail = dst % p->apn;
    snprintf(src_host, n, "nic%lld", (long long)so_nic(p, src, rail));
    snprintf(dst_host, n, "nic%lld", (long long)so_nic(p, dst, rail));
    return 1;
}

int platform_nic_host(const platform_t *p, int32_t acc, char *host, size_t n)
{
    if (!p->has_so)
        return -1;
    snprintf(host, n, "nic%lld", (long long)so_nic(p, acc, acc % p->apn));
    return 0;
}

/* ---- physical links and their degradation ---- */

int64_t platform_nphys_links(const platform_t *p)
{
    return (int64_t)p->S * p->ops->nphys(p) + (p->has_so ? so_nphys(p) : 0);
}

/* Physical link I with its simulated links as global ids. */
static int phys_global(const platform_t *p, int64_t i, phys_link *pl)
{
    int64_t per = p->ops->nphys(p);
    if (i < 0)
        return -1;
    if (i < (int64_t)p->S * per) {
        int64_t s = i / per;
        p->ops->phys(p, i % per, pl);
        pl->sim_up += (uint32_t)((size_t)s * p->sn_links);
        pl->sim_down += (uint32_t)((size_t)s * p->sn_links);
        return 0;
    }
    i -= (int64_t)p->S * per;
    if (!p->has_so || i >= so_nphys(p))
        return -1;
    so_phys(p, i, 0, 0, pl);
    return 0;
}

int platform_link_degrade(platform_t *p, int64_t phys, double factor, uint32_t *changed, size_t cap)
{
    phys_link pl;
    if (!(factor >= 0 && factor <= 1) || phys_global(p, phys, &pl) || cap < 2)
        return -1;
    if (!p->deg_slot) {
        p->deg_slot = calloc((size_t)platform_nphys_links(p), sizeof *p->deg_slot);
        if (!p->deg_slot)
            return -1;
    }
    size_t k = p->deg_slot[phys] ? p->deg_slot[phys] - 1 : p->ndeg;
    double old = k < p->ndeg ? p->deg_factor[k] : 1.0;
    if (k == p->ndeg) {
        if (p->ndeg == p->capdeg) {
            size_t c = p->capdeg ? 2 * p->capdeg : 16;
            int64_t *id = realloc(p->deg_id, c * sizeof *id);
            if (!id)
                return -1;
            p->deg_id = id;
            double *fa = realloc(p->deg_factor, c * sizeof *fa);
            if (!fa)
                return -1;
            p->deg_factor = fa;
            p->capdeg = c;
        }
        p->deg_id[p->ndeg++] = phys;
        p->deg_slot[phys] = p->ndeg;
    }
    p->deg_factor[k] = factor;
    double delta = pl.cls->bw_Bps * (factor - old);
    p->link_bw[pl.sim_up] = fmax(0.0, p->link_bw[pl.sim_up] + delta);
    changed[0] = pl.sim_up;
    if (pl.sim_down == pl.sim_up)
        return 1;
    p->link_bw[pl.sim_down] = fmax(0.0, p->link_bw[pl.sim_down] + delta);
    changed[1] = pl.sim_down;
    return 2;
}

int platform_phys_get(const platform_t *p, int64_t i, platform_phys *out)
{
    phys_link pl;
    if (phys_global(p, i, &pl))
        return -1;
    int64_t per = p->ops->nphys(p);
    memset(out, 0, sizeof *out);
    if (i < (int64_t)p->S * per) {
        int32_t s = (int32_t)(i / per);
        /* local ends: accelerators 0..ns-1, then the supernode's switches ns + k */
        int64_t acc0 = (int64_t)s * p->ns, sw0 = p->n + (int64_t)s * p->sw_per_sn - p->ns;
        out->a = pl.a + (pl.a < p->ns ? acc0 : sw0);
        out->b = pl.b + (pl.b < p->ns ? acc0 : sw0);
        out->via = pl.via >= 0 ? pl.via + sw0 : -1;
        out->supernode = s;
    } else {
        int64_t nic0 = p->n + (int64_t)p->S * p->sw_per_sn, sw0 = nic0 + so_nics(p);
        so_phys(p, i - (int64_t)p->S * per, nic0, sw0, &pl);
        out->a = pl.a;
        out->b = pl.b;
        out->via = pl.via;
        out->supernode = -1;
    }
    out->tier = pl.tier;
    out->plane = pl.plane;
    out->sim_up = pl.sim_up;
    out->sim_down = pl.sim_down;
    out->bw_Bps = pl.cls->bw_Bps;
    out->optical = hw_medium_is_optical(pl.cls->medium) != 0;
    if (out->optical) {
        int64_t lanes = hw_link_lanes(pl.cls, p->t.media);
        int64_t per_module = p->t.media[pl.cls->medium].lanes;
        out->module_share = lanes > 0 && per_module > 0 && per_module < lanes ? (double)per_module / (double)lanes : 1.0;
    }
    return 0;
}

int64_t platform_nswitches(const platform_t *p)
{
    return (int64_t)p->S * p->sw_per_sn + (p->has_so ? so_nswitches(p) : 0);
}

int64_t platform_switch_node(const platform_t *p, int64_t k)
{
    int64_t up = (int64_t)p->S * p->sw_per_sn;
    if (k < 0 || k >= platform_nswitches(p))
        return -1;
    if (k < up)
        return p->n + k;
    return p->n + up + so_nics(p) + (k - up);
}

int32_t platform_planes(const platform_t *p)
{
    return p->t.kind == TOPO_SWITCHED || p->t.kind == TOPO_CLOS2 ? p->planes : 0;
}

/* Sets link I of the loaded platform to its current bandwidth (BW) and/or latency (LAT). */
static int sync_link(const platform_t *p, size_t i, bool bw, bool lat, diag_t *err)
{
    char name[128];
    platform_link_name(p, (uint32_t)i, name, sizeof name);
    sg_link_t l = sg_link_by_name(name);
    if (!l)
        return diag_fail(err, "the loaded platform has no link '%s'", name);
    if (bw)
        sg_link_set_bandwidth(l, p->link_bw[i]);
    if (lat)
        sg_link_set_latency(l, p->link_lat[i]);
    return 0;
}

int platform_simgrid_sync(const platform_t *p, diag_t *err)
{
    for (size_t i = 0; i < p->nlinks; i++) {
        bool bw = p->link_bw[i] != p->xml_bw[i], lat = p->link_lat[i] != p->xml_lat[i];
        if ((bw || lat) && sync_link(p, i, bw, lat, err))
            return -1;
    }
    /* Links degraded and restored hold their XML value again but SimGrid may not. */
    for (size_t k = 0; k < p->ndeg; k++) {
        phys_link pl;
        if (phys_global(p, p->deg_id[k], &pl) == 0 &&
            (sync_link(p, pl.sim_up, true, false, err) || sync_link(p, pl.sim_down, true, false, err)))
            return -1;
    }
    return 0;
}

/* ---- XML ---- */

void plat_write_hosts(const platform_t *p, FILE *f, int32_t g0, int32_t g1)
{
    for (int32_t g = g0; g < g1; g++)
        fprintf(f, "  <host id=\"acc%d\" speed=\"%s\"/>\n", g, p->host_speeds);
}

int platform_write_xml(const platform_t *p, const char *path, diag_t *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return diag_fail(err, "cannot write platform file '%s': %s", path, strerror(errno));
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    /* %.17g keeps every value exact through the text round trip. The root zone has no routes:
     * nothing crosses from one supernode's zone to another's or to the fabric's. */
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
               "<platform version=\"4.1\">\n<zone id=\"cluster\" routing=\"None\">\n");
    for (int32_t s = 0; s < p->S; s++)
        p->ops->write_xml(p, f, s);
    if (p->has_so)
        so_write_xml(p, f);
    fprintf(f, "</zone>\n</platform>\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return diag_fail(err, "cannot write platform file '%s': %s", path, strerror(errno));
    return 0;
}

void platform_describe(const platform_t *p, FILE *f)
{
    if (p->S > 1)
        fprintf(f, "Machine: a cluster of %d supernodes (%d accelerators). Each supernode: ", p->S, p->n);
    else
        fprintf(f, "Machine: one supernode of %d accelerators: ", p->n);
    p->ops->describe(p, f);
    if (p->has_so)
        so_describe(p, f);
}
