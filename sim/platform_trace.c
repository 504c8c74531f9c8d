/* The platform in the trace: /topology/nodes (accelerators, switch chips, NICs, fabric
 * switches), /topology/links (physical links, one per plane, cable or circuit), /topology/sim_links
 * (what SimGrid simulates), /topology/tiers and /topology/media, and the topology_* figures of
 * /summary. Node ids: accelerators 0..n-1, then each supernode's switches, then NICs, then the
 * scale-out switches; physical link ids follow platform_nphys_links(). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "platform_impl.h"

typedef struct node_row {
    int64_t id;
    char name[48];
    char kind[12];
    int32_t tier, plane, supernode;
} node_row;

typedef struct link_row {
    int64_t id, a, b, via;
    int32_t tier, plane;
    char medium[8];
    double bw_Bps, lat_s, length_m;
    int64_t sim_up, sim_down;
} link_row;

typedef struct sim_row {
    int64_t id;
    char name[64];
    double bw_Bps, lat_s;
} sim_row;

typedef struct tier_row {
    char network[12], tier[16];
    int64_t switches, radix;
    double power_W;
} tier_row;

typedef struct media_row {
    char medium[8], network[12];
    int64_t links, modules;
    double module_power_W, power_W, failures_per_year;
} media_row;

static const trace_col NODE_COLS[] = {
    {"id", TCOL_I64, offsetof(node_row, id), 0, "1", "node id (accelerators, then switches, NICs, fabric switches)"},
    {"name", TCOL_STR, offsetof(node_row, name), 48, "", "SimGrid host name (acc<i>, nic<k>) or switch chip name"},
    {"kind", TCOL_STR, offsetof(node_row, kind), 12, "", "accelerator, switch, ocs or nic"},
    {"tier", TCOL_I32, offsetof(node_row, tier), 0, "1",
     "0 for accelerators and NICs; switch tier (1 = L1, plane switch, OCS or leaf)"},
    {"plane", TCOL_I32, offsetof(node_row, plane), 0, "1",
     "plane (scale-up), torus dimension (OCS) or rail (scale-out); -1 if none"},
    {"supernode", TCOL_I32, offsetof(node_row, supernode), 0, "1", "supernode, or -1 for the scale-out fabric"},
};

static const trace_col LINK_COLS[] = {
    {"id", TCOL_I64, offsetof(link_row, id), 0, "1", "physical link id (platform_link_degrade)"},
    {"a", TCOL_I64, offsetof(link_row, a), 0, "1", "node id of one end (the lower tier)"},
    {"b", TCOL_I64, offsetof(link_row, b), 0, "1", "node id of the other end"},
    {"via", TCOL_I64, offsetof(link_row, via), 0, "1", "optical circuit switch the circuit crosses, or -1"},
    {"tier", TCOL_I32, offsetof(link_row, tier), 0, "1",
     "0 accelerator link; 1 uplink or circuit (scale-up), or the child's level (scale-out)"},
    {"plane", TCOL_I32, offsetof(link_row, plane), 0, "1", "plane, torus dimension or rail; -1 if none"},
    {"medium", TCOL_STR, offsetof(link_row, medium), 8, "", "copper, optical, lpo, cpo or generic"},
    {"bandwidth", TCOL_F64, offsetof(link_row, bw_Bps), 0, "B/s", "nominal bandwidth per direction"},
    {"latency", TCOL_F64, offsetof(link_row, lat_s), 0, "s", "latency (medium and propagation)"},
    {"length", TCOL_F64, offsetof(link_row, length_m), 0, "m", "cable or fiber length"},
    {"sim_link_up", TCOL_I64, offsetof(link_row, sim_up), 0, "1", "simulated link carrying a->b (/topology/sim_links)"},
    {"sim_link_down", TCOL_I64, offsetof(link_row, sim_down), 0, "1", "simulated link carrying b->a"},
};

static const trace_col SIM_COLS[] = {
    {"id", TCOL_I64, offsetof(sim_row, id), 0, "1", "simulated link id (platform_route)"},
    {"name", TCOL_STR, offsetof(sim_row, name), 64, "", "SimGrid link name"},
    {"bandwidth", TCOL_F64, offsetof(sim_row, bw_Bps), 0, "B/s",
     "bandwidth (a bundle of P planes has P x the link bandwidth)"},
    {"latency", TCOL_F64, offsetof(sim_row, lat_s), 0, "s", "latency (scale-out links include a switch traversal)"},
};

static const trace_col TIER_COLS[] = {
    {"network", TCOL_STR, offsetof(tier_row, network), 12, "", "scale-up or scale-out"},
    {"tier", TCOL_STR, offsetof(tier_row, tier), 16, "", "L1, L2, plane switch, OCS, leaf, spine, aggregation, core"},
    {"switches", TCOL_I64, offsetof(tier_row, switches), 0, "1", "switch chips of the tier, whole cluster"},
    {"radix", TCOL_I64, offsetof(tier_row, radix), 0, "1", "ports per chip (0: unlimited)"},
    {"power", TCOL_F64, offsetof(tier_row, power_W), 0, "W", "power of the tier's chips"},
};

static const trace_col MEDIA_COLS[] = {
    {"medium", TCOL_STR, offsetof(media_row, medium), 8, "", "copper, optical, lpo, cpo or generic"},
    {"network", TCOL_STR, offsetof(media_row, network), 12, "", "scale-up or scale-out"},
    {"links", TCOL_I64, offsetof(media_row, links), 0, "1", "physical links"},
    {"modules", TCOL_I64, offsetof(media_row, modules), 0, "1", "optical modules, one per module end"},
    {"module_power", TCOL_F64, offsetof(media_row, module_power_W), 0, "W", "power of one module"},
    {"power", TCOL_F64, offsetof(media_row, power_W), 0, "W", "power of all the modules"},
    {"failures_per_year", TCOL_F64, offsetof(media_row, failures_per_year), 0, "1/yr",
     "expected module failures per year (FIT x hours)"},
};

#define NCOLS(c) (sizeof(c) / sizeof((c)[0]))

static int nodes_table(const platform_t *p, trace_t *t)
{
    trace_table_t *tab = trace_table_create(t, "/topology/nodes", "accelerators, switch chips and NICs", NODE_COLS,
                                            NCOLS(NODE_COLS), sizeof(node_row));
    if (!tab)
        return -1;
    int64_t id = 0;
    for (int32_t a = 0; a < p->n; a++) {
        node_row r = {.id = id++, .tier = 0, .plane = -1, .supernode = a / p->ns};
        snprintf(r.name, sizeof r.name, "acc%d", a);
        snprintf(r.kind, sizeof r.kind, "accelerator");
        if (trace_table_append(tab, &r))
            return -1;
    }
    for (int32_t s = 0; s < p->S; s++)
        for (int32_t k = 0; k < p->sw_per_sn; k++) {
            sw_node sw;
            p->ops->switch_node(p, s, k, &sw);
            node_row r = {.id = id++, .tier = sw.tier, .plane = sw.plane, .supernode = s};
            snprintf(r.name, sizeof r.name, "%s", sw.name);
            snprintf(r.kind, sizeof r.kind, "%s", p->t.kind == TOPO_TORUS ? "ocs" : "switch");
            if (trace_table_append(tab, &r))
                return -1;
        }
    if (!p->has_so)
        return 0;
    for (int64_t k = 0; k < so_nics(p); k++) {
        node_row r = {.id = id++, .tier = 0, .plane = p->so.trees > 1 ? (int32_t)(k % p->apn) : -1, .supernode = -1};
        snprintf(r.name, sizeof r.name, "nic%lld", (long long)k);
        snprintf(r.kind, sizeof r.kind, "nic");
        if (trace_table_append(tab, &r))
            return -1;
    }
    for (int64_t k = 0; k < so_nswitches(p); k++) {
        sw_node sw;
        so_switch_node(p, k, &sw);
        node_row r = {.id = id++, .tier = sw.tier, .plane = sw.plane, .supernode = -1};
        snprintf(r.name, sizeof r.name, "%s", sw.name);
        snprintf(r.kind, sizeof r.kind, "switch");
        if (trace_table_append(tab, &r))
            return -1;
    }
    return 0;
}

static int append_link(trace_table_t *tab, int64_t id, const phys_link *pl)
{
    link_row r = {.id = id, .a = pl->a, .b = pl->b, .via = pl->via, .tier = pl->tier, .plane = pl->plane,
                  .bw_Bps = pl->cls->bw_Bps, .lat_s = pl->lat_s, .length_m = pl->cls->length_m,
                  .sim_up = pl->sim_up, .sim_down = pl->sim_down};
    snprintf(r.medium, sizeof r.medium, "%s", hw_medium_name(pl->cls->medium));
    return trace_table_append(tab, &r);
}

static int links_table(const platform_t *p, trace_t *t)
{
    trace_table_t *tab = trace_table_create(t, "/topology/links", "physical links", LINK_COLS, NCOLS(LINK_COLS),
                                            sizeof(link_row));
    if (!tab)
        return -1;
    int64_t per = p->ops->nphys(p), id = 0;
    for (int32_t s = 0; s < p->S; s++) {
        /* local node ids: accelerators first, then the supernode's switches */
        int64_t acc0 = (int64_t)s * p->ns, sw0 = p->n + (int64_t)s * p->sw_per_sn - p->ns;
        size_t sim0 = (size_t)s * p->sn_links;
        for (int64_t i = 0; i < per; i++) {
            phys_link pl;
            p->ops->phys(p, i, &pl);
            pl.a += pl.a < p->ns ? acc0 : sw0;
            pl.b += pl.b < p->ns ? acc0 : sw0;
            if (pl.via >= 0)
                pl.via += sw0;
            pl.sim_up += (uint32_t)sim0;
            pl.sim_down += (uint32_t)sim0;
            if (append_link(tab, id++, &pl))
                return -1;
        }
    }
    if (p->has_so) {
        int64_t nic0 = p->n + (int64_t)p->S * p->sw_per_sn, sw0 = nic0 + so_nics(p);
        for (int64_t i = 0; i < so_nphys(p); i++) {
            phys_link pl;
            so_phys(p, i, nic0, sw0, &pl);
            if (append_link(tab, id++, &pl))
                return -1;
        }
    }
    return 0;
}

static int sim_table(const platform_t *p, trace_t *t)
{
    trace_table_t *tab = trace_table_create(t, "/topology/sim_links", "links as SimGrid simulates them", SIM_COLS,
                                            NCOLS(SIM_COLS), sizeof(sim_row));
    if (!tab)
        return -1;
    for (size_t i = 0; i < p->nlinks; i++) {
        sim_row r = {.id = (int64_t)i, .bw_Bps = p->link_bw[i], .lat_s = p->link_lat[i]};
        platform_link_name(p, (uint32_t)i, r.name, sizeof r.name);
        if (trace_table_append(tab, &r))
            return -1;
    }
    return 0;
}

static int tiers_table(const platform_t *p, const platform_figures *f, trace_t *t)
{
    trace_table_t *tab = trace_table_create(t, "/topology/tiers", "switch chips per tier", TIER_COLS,
                                            NCOLS(TIER_COLS), sizeof(tier_row));
    if (!tab)
        return -1;
    const hw_switch *up = p->t.kind == TOPO_TORUS ? &p->t.torus.ocs : &p->t.sw;
    for (int i = 0; i < 3; i++) {
        if (f->up_tier[i]) {
            tier_row r = {.switches = f->up_switches[i], .radix = up->radix,
                          .power_W = (double)f->up_switches[i] * up->power_W};
            snprintf(r.network, sizeof r.network, "scale-up");
            snprintf(r.tier, sizeof r.tier, "%s", f->up_tier[i]);
            if (trace_table_append(tab, &r))
                return -1;
        }
        if (f->out_tier[i]) {
            tier_row r = {.switches = f->out_switches[i], .radix = p->t.scaleout.sw.radix,
                          .power_W = (double)f->out_switches[i] * p->t.scaleout.sw.power_W};
            snprintf(r.network, sizeof r.network, "scale-out");
            snprintf(r.tier, sizeof r.tier, "%s", f->out_tier[i]);
            if (trace_table_append(tab, &r))
                return -1;
        }
    }
    return 0;
}

static int media_table(const platform_t *p, trace_t *t)
{
    trace_table_t *tab = trace_table_create(t, "/topology/media", "physical links and optical modules by medium",
                                            MEDIA_COLS, NCOLS(MEDIA_COLS), sizeof(media_row));
    if (!tab)
        return -1;
    topo_stats st[2];
    memset(st, 0, sizeof st);
    p->ops->stats(p, &st[0]);
    if (p->has_so)
        so_stats(p, &st[1]);
    for (int net = 0; net < 2; net++)
        for (int m = 0; m < HW_MEDIUM__COUNT; m++) {
            int64_t mult = net == 0 ? p->S : 1;
            if (!st[net].links[m])
                continue;
            media_row r = {.links = st[net].links[m] * mult, .modules = st[net].modules[m] * mult};
            if (m != HW_GENERIC) {
                r.module_power_W = p->t.media[m].module_power_W;
                r.power_W = (double)r.modules * r.module_power_W;
                r.failures_per_year = (double)r.modules * p->t.media[m].fit * 1e-9 * 8766.0;
            }
            snprintf(r.medium, sizeof r.medium, "%s", hw_medium_name(m));
            snprintf(r.network, sizeof r.network, "%s", net ? "scale-out" : "scale-up");
            if (trace_table_append(tab, &r))
                return -1;
        }
    return 0;
}

int platform_to_trace(const platform_t *p, trace_t *t)
{
    platform_figures f;
    if (platform_figures_get(p, &f) || nodes_table(p, t) || links_table(p, t) || sim_table(p, t) ||
        tiers_table(p, &f, t) || media_table(p, t))
        return -1;
    int64_t up_sw = f.up_switches[0] + f.up_switches[1] + f.up_switches[2];
    int64_t out_sw = f.out_switches[0] + f.out_switches[1] + f.out_switches[2];
    int64_t links = 0;
    for (int m = 0; m < HW_MEDIUM__COUNT; m++)
        links += f.up_links[m] + f.out_links[m];
    trace_summary_str(t, "topology_kind", p->ops->name, "scale-up topology of every supernode");
    trace_summary_i64(t, "topology_accelerators", f.accelerators, "1", "accelerators in the cluster");
    trace_summary_i64(t, "topology_supernodes", f.supernodes, "1", "supernodes (scale-up domains)");
    trace_summary_i64(t, "topology_switches", up_sw + out_sw, "1", "switch chips, scale-up and scale-out");
    trace_summary_i64(t, "topology_scaleup_switches", up_sw, "1", "scale-up switch chips (incl. OCS)");
    trace_summary_i64(t, "topology_scaleout_switches", out_sw, "1", "scale-out switch chips");
    trace_summary_i64(t, "topology_links", links, "1", "physical links, scale-up and scale-out");
    trace_summary_i64(t, "topology_optical_modules", f.up_modules + f.out_modules, "1",
                      "optical modules, one per module end");
    trace_summary_i64(t, "topology_scaleup_optical_modules", f.up_modules, "1", "scale-up optical modules");
    trace_summary_f64(t, "topology_optics_power", f.optics_power_W, "W", "power of all optical modules");
    trace_summary_f64(t, "topology_optics_failures_per_year", f.optics_failures_per_year, "1/yr",
                      "expected optical module failures per year");
    trace_summary_f64(t, "topology_switch_power", f.switch_power_W, "W", "power of all switch chips");
    trace_summary_f64(t, "topology_scaleup_bw_per_accelerator", f.scaleup_bw_per_accelerator_Bps, "B/s",
                      "scale-up bandwidth per accelerator, per direction (all planes or neighbours)");
    trace_summary_f64(t, "topology_bisection_bw", f.up_bisection_Bps, "B/s",
                      "bisection bandwidth of one supernode, per direction");
    trace_summary_i64(t, "topology_nonblocking", f.up_nonblocking, "1",
                      "1 if the scale-up switch fabric is non-blocking");
    trace_summary_f64(t, "topology_scaleout_bisection_bw", f.out_bisection_Bps, "B/s",
                      "bisection bandwidth of the scale-out fabric (rail-aligned traffic), per direction");
    trace_summary_i64(t, "topology_diameter_hops", f.up_diameter_hops, "1",
                      "links on the longest accelerator-to-accelerator path in a supernode");
    trace_summary_i64(t, "topology_scaleout_diameter_hops", f.out_diameter_hops, "1",
                      "links on the longest NIC-to-NIC path");
    trace_summary_f64(t, "topology_latency_mean", f.lat_mean_s, "s",
                      "mean accelerator-to-accelerator route latency over ordered pairs");
    trace_summary_f64(t, "topology_latency_max", f.lat_max_s, "s",
                      "worst accelerator-to-accelerator route latency (of the pairs routed)");
    trace_summary_i64(t, "topology_latency_pairs", f.lat_pairs, "1", "pairs routed for the latency figures");
    trace_summary_i64(t, "topology_latency_sampled", f.lat_sampled, "1",
                      "1 if the latency figures come from a sample of pairs");
    return 0;
}
