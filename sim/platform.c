/* Platform generation for the `switched` topology: N accelerators, P planes, one switch per
 * plane. The P parallel links of an accelerator are simulated as one bundle per direction of
 * P x the link bandwidth (traffic is striped over the planes, as NCCL does on NVLink planes);
 * the physical links are still listed one by one in /topology/links, each naming its bundle.
 * SimGrid sees a <cluster>: private split-duplex links per host (the bundles) and a fat-pipe
 * backbone whose latency is the switch traversal, so routes are O(1) to build and store. */
#include "platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

struct platform {
    int32_t n;        /* accelerators */
    int32_t planes;
    double link_bw_Bps, link_lat_s, sw_lat_s, host_speed_Fps;
    size_t nlinks;    /* simulated links: 2 per accelerator (up, down) */
    double *link_bw;  /* by simulated link id */
};

platform_t *platform_build(const scenario_t *sc, diag_t *err)
{
    platform_t *p = calloc(1, sizeof *p);
    if (!p) {
        diag_fail(err, "out of memory");
        return NULL;
    }
    p->n = (int32_t)sc->topo.accelerators;
    p->planes = (int32_t)sc->topo.planes;
    p->link_bw_Bps = sc->topo.link.bw_Bps;
    p->link_lat_s = sc->topo.link.lat_s;
    p->sw_lat_s = sc->topo.sw.lat_s;
    p->host_speed_Fps = sc->accel.peak_flops_Fps;
    p->nlinks = 2 * (size_t)p->n;
    p->link_bw = malloc(p->nlinks * sizeof *p->link_bw);
    if (!p->link_bw) {
        free(p);
        diag_fail(err, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < p->nlinks; i++)
        p->link_bw[i] = p->link_bw_Bps * p->planes;
    return p;
}

void platform_free(platform_t *p)
{
    if (!p)
        return;
    free(p->link_bw);
    free(p);
}

int32_t platform_accelerators(const platform_t *p)
{
    return p->n;
}

void platform_describe(const platform_t *p, FILE *f)
{
    char bw[64], lat[64], sl[64];
    units_format(p->link_bw_Bps, DIM_BANDWIDTH, bw, sizeof bw);
    units_format(p->link_lat_s, DIM_TIME, lat, sizeof lat);
    units_format(p->sw_lat_s, DIM_TIME, sl, sizeof sl);
    fprintf(f,
            "Machine: one supernode of %d accelerators on a single switch tier with %d plane%s; each accelerator "
            "has one %s link per plane (%s link latency, %s switch traversal). ",
            p->n, p->planes, p->planes == 1 ? "" : "s", bw, lat, sl);
}

int32_t platform_node_of(const platform_t *p, int32_t acc)
{
    (void)p;
    return acc; /* switched: every accelerator is its own node on the single switch tier */
}

int32_t platform_supernode_of(const platform_t *p, int32_t acc)
{
    (void)p;
    (void)acc;
    return 0;
}

int32_t platform_accels_per_node(const platform_t *p)
{
    (void)p;
    return 1;
}

int32_t platform_accels_per_supernode(const platform_t *p)
{
    return p->n;
}

int32_t platform_supernodes(const platform_t *p)
{
    (void)p;
    return 1;
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
    (void)p;
    /* SimGrid names a cluster's split-duplex private links "<prefix><id><suffix>_UP/_DOWN". */
    snprintf(buf, n, "sn0_link_acc%u_%s", id / 2, id % 2 ? "DOWN" : "UP");
    return buf;
}

int platform_route(const platform_t *p, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap)
{
    if (cap < 2)
        return -1;
    links[0] = 2 * (uint32_t)src;
    links[1] = 2 * (uint32_t)dst + 1;
    *lat_s = 2 * p->link_lat_s + p->sw_lat_s;
    return 2;
}

int platform_write_xml(const platform_t *p, const char *path, diag_t *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return diag_fail(err, "cannot write platform file '%s': %s", path, strerror(errno));
    /* %.17g keeps every value exact through the text round trip. */
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
               "<platform version=\"4.1\">\n");
    fprintf(f,
            "  <cluster id=\"sn0\" prefix=\"acc\" suffix=\"\" radical=\"0-%d\" speed=\"%.17gf\"\n"
            "           bw=\"%.17gBps\" lat=\"%.17gs\" sharing_policy=\"SPLITDUPLEX\"\n"
            "           bb_bw=\"%.17gBps\" bb_lat=\"%.17gs\" bb_sharing_policy=\"FATPIPE\"/>\n",
            p->n - 1, p->host_speed_Fps, p->link_bw_Bps * p->planes, p->link_lat_s, p->link_bw_Bps * p->planes,
            p->sw_lat_s);
    fprintf(f, "</platform>\n");
    if (fclose(f) != 0)
        return diag_fail(err, "cannot write platform file '%s': %s", path, strerror(errno));
    return 0;
}

typedef struct node_row {
    int32_t id;
    char name[32];
    char kind[16];
    int32_t tier;
    int32_t plane;
} node_row;

typedef struct link_row {
    int32_t id;
    int32_t a, b; /* node ids */
    int32_t plane;
    double bw_Bps;
    double lat_s;
    char sim_up[48], sim_down[48];
} link_row;

int platform_to_trace(const platform_t *p, trace_t *t)
{
    static const trace_col node_cols[] = {
        {"id", TCOL_I32, offsetof(node_row, id), 0, "1", "node id"},
        {"name", TCOL_STR, offsetof(node_row, name), 32, "", "SimGrid host name or switch name"},
        {"kind", TCOL_STR, offsetof(node_row, kind), 16, "", "accelerator or switch"},
        {"tier", TCOL_I32, offsetof(node_row, tier), 0, "1", "0 for accelerators, 1 for first-tier switches"},
        {"plane", TCOL_I32, offsetof(node_row, plane), 0, "1", "switch plane (-1 for accelerators)"},
    };
    static const trace_col link_cols[] = {
        {"id", TCOL_I32, offsetof(link_row, id), 0, "1", "physical link id"},
        {"a", TCOL_I32, offsetof(link_row, a), 0, "1", "node id of one end (accelerator)"},
        {"b", TCOL_I32, offsetof(link_row, b), 0, "1", "node id of the other end (switch)"},
        {"plane", TCOL_I32, offsetof(link_row, plane), 0, "1", "plane of the link"},
        {"bandwidth", TCOL_F64, offsetof(link_row, bw_Bps), 0, "B/s", "bandwidth per direction"},
        {"latency", TCOL_F64, offsetof(link_row, lat_s), 0, "s", "link latency"},
        {"sim_link_up", TCOL_STR, offsetof(link_row, sim_up), 48, "",
         "simulated link carrying a->b (planes of an accelerator are bundled)"},
        {"sim_link_down", TCOL_STR, offsetof(link_row, sim_down), 48, "", "simulated link carrying b->a"},
    };
    trace_table_t *nodes = trace_table_create(t, "/topology/nodes", "accelerators and switches", node_cols,
                                              sizeof node_cols / sizeof node_cols[0], sizeof(node_row));
    trace_table_t *links = trace_table_create(t, "/topology/links", "physical links", link_cols,
                                              sizeof link_cols / sizeof link_cols[0], sizeof(link_row));
    if (!nodes || !links)
        return -1;
    for (int32_t a = 0; a < p->n; a++) {
        node_row r = {.id = a, .tier = 0, .plane = -1};
        snprintf(r.name, sizeof r.name, "acc%d", a);
        snprintf(r.kind, sizeof r.kind, "accelerator");
        if (trace_table_append(nodes, &r))
            return -1;
    }
    for (int32_t s = 0; s < p->planes; s++) {
        node_row r = {.id = p->n + s, .tier = 1, .plane = s};
        snprintf(r.name, sizeof r.name, "switch%d", s);
        snprintf(r.kind, sizeof r.kind, "switch");
        if (trace_table_append(nodes, &r))
            return -1;
    }
    int32_t id = 0;
    for (int32_t a = 0; a < p->n; a++)
        for (int32_t s = 0; s < p->planes; s++) {
            link_row r = {.id = id++, .a = a, .b = p->n + s, .plane = s, .bw_Bps = p->link_bw_Bps,
                          .lat_s = p->link_lat_s};
            platform_link_name(p, 2 * (uint32_t)a, r.sim_up, sizeof r.sim_up);
            platform_link_name(p, 2 * (uint32_t)a + 1, r.sim_down, sizeof r.sim_down);
            if (trace_table_append(links, &r))
                return -1;
        }
    double per_acc = p->link_bw_Bps * p->planes;
    double path_lat = 2 * p->link_lat_s + p->sw_lat_s;
    trace_summary_i64(t, "topology_accelerators", p->n, "1", "accelerators in the supernode");
    trace_summary_i64(t, "topology_switches", p->planes, "1", "switch chips (one per plane)");
    trace_summary_i64(t, "topology_links", (int64_t)p->n * p->planes, "1", "physical accelerator-switch links");
    trace_summary_f64(t, "topology_scaleup_bw_per_accelerator", per_acc, "B/s",
                      "scale-up bandwidth per accelerator, per direction (all planes)");
    trace_summary_f64(t, "topology_bisection_bw", (double)(p->n / 2) * per_acc, "B/s",
                      "bisection bandwidth, per direction (non-blocking single tier)");
    trace_summary_i64(t, "topology_diameter_hops", 2, "1", "links on the longest accelerator-to-accelerator path");
    trace_summary_f64(t, "topology_latency_mean", path_lat, "s", "mean accelerator-to-accelerator path latency");
    trace_summary_f64(t, "topology_latency_max", path_lat, "s", "worst accelerator-to-accelerator path latency");
    return 0;
}
