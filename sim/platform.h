/* The platform: the simulated machine as a graph we own (accelerators, switches, NICs, links with
 * their media), generated from the scenario's topology, written as SimGrid platform XML, and
 * routed by us for the analytic fidelity with exactly the routes SimGrid uses.
 * A cluster is S supernodes of one scale-up kind (switched, clos2, torus, fullmesh), each its
 * own SimGrid zone, plus an optional scale-out fat tree whose hosts are NICs; no route joins an
 * accelerator host of one supernode to another's, since traffic between supernodes runs between
 * NIC hosts (platform_endpoint). Accelerator a is SimGrid host "acc<a>", numbered supernode by
 * supernode, node by node; NIC k is host "nic<k>"; simulated link i has a name and an id.
 * Parallel planes of an accelerator are simulated as one bundle link of P x the link bandwidth
 * (docs/topologies.md); physical links are listed one by one and can be degraded one by one.
 * Ownership: platform_build() allocates, platform_free() releases; strings returned live in
 * caller buffers. */
#ifndef OAS_PLATFORM_H
#define OAS_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"
#include "scenario.h"
#include "trace.h"

typedef struct platform platform_t;

/* Builds the platform of SC's topology. Errors (a switch with too few ports, a torus too small
 * for its cubes...) are positioned at the scenario key that sets them. */
platform_t *platform_build(const scenario_t *sc, diag_t *err);
void platform_free(platform_t *p);

int32_t platform_accelerators(const platform_t *p);
/* Writes SimGrid XML (platform version 4.1) to PATH. */
int platform_write_xml(const platform_t *p, const char *path, diag_t *err);
/* After simgrid_load_platform(): sets the bandwidth and latency of every simulated link whose
 * value differs from the XML (circuits through optical switches in a torus, degraded links).
 * Idempotent; call it again after platform_link_degrade(). Returns 0, or -1 with ERR set if a
 * link is missing from the loaded platform. */
int platform_simgrid_sync(const platform_t *p, diag_t *err);

/* Route between accelerators SRC and DST (ids of simulated links) and its latency; returns the
 * number of links, or -1 if CAP is too small. Within a supernode it is the scale-up route
 * between acc<SRC> and acc<DST>; across supernodes it is the scale-out route between the two
 * hosts platform_endpoint() names. SRC == DST: no link, latency 0. Only links that divide
 * bandwidth between flows are listed (a switch crossbar, SimGrid FATPIPE, is in the latency). */
int platform_route(const platform_t *p, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap);
/* The SimGrid hosts a transfer from accelerator SRC to DST runs between: "acc<SRC>" and
 * "acc<DST>" in one supernode (returns 0); across supernodes the NIC of SRC's node on DST's rail
 * (NCCL's PXN: the data is first forwarded over the scale-up network, which is not simulated)
 * and DST's own NIC (returns 1). Buffers of N bytes. */
int platform_endpoint(const platform_t *p, int32_t src, int32_t dst, char *src_host, char *dst_host, size_t n);
/* The host of accelerator ACC's own NIC ("nic<k>", on ACC's rail), where transfers to ACC from
 * other supernodes arrive; returns -1 (and writes nothing) without a scale-out network. */
int platform_nic_host(const platform_t *p, int32_t acc, char *host, size_t n);
size_t platform_nlinks(const platform_t *p);
/* Bandwidth of each simulated link, indexed by id (current: degraded links included). */
const double *platform_link_bw(const platform_t *p);
const char *platform_link_name(const platform_t *p, uint32_t id, char *buf, size_t n);

/* Physical links (one per plane, per cable or per circuit), numbered supernode by supernode
 * and then the scale-out fabric; the order of /topology/links. */
int64_t platform_nphys_links(const platform_t *p);
/* Leaves physical link PHYS with FACTOR (0 = failed, 1 = healthy, in between = degraded, e.g.
 * a lane down) of its nominal bandwidth. Every simulated link that carries it loses that
 * share (a bundle of P planes loses one plane's share); CHANGED[0..CAP) receives their ids.
 * Returns how many changed, or -1 (bad id or factor, CAP too small). The new bandwidths are
 * in platform_link_bw() at once; call platform_simgrid_sync() to apply them to SimGrid.
 * Bandwidth only: a failed link keeps routing traffic at (near) zero rate, so callers that
 * fail a whole route should not schedule transfers on it. */
int platform_link_degrade(platform_t *p, int64_t phys, double factor, uint32_t *changed, size_t cap);

/* One physical link as failures see it: its ends as /topology/nodes ids (accelerators 0..n-1,
 * then each supernode's switch chips, then NICs, then the scale-out switches), the circuit
 * switch it crosses (or -1), tier, plane or rail (-1 if none), supernode (-1: scale-out fabric),
 * the simulated links carrying it (global ids), its nominal bandwidth per direction, whether it
 * carries light and the lanes it takes in one of its modules (0 when not optical). */
typedef struct platform_phys {
    int64_t a, b, via;
    int32_t tier, plane, supernode;
    uint32_t sim_up, sim_down;
    double bw_Bps;
    bool optical;
    double module_share; /* optical: the share of the link one failed module takes (1: all of it) */
} platform_phys;

/* Fills OUT for physical link I (0 <= I < platform_nphys_links). Returns 0, or -1 for a bad id. */
int platform_phys_get(const platform_t *p, int64_t i, platform_phys *out);
/* Switch chips of the whole machine (each supernode's, then the scale-out fabric's), and the
 * /topology/nodes id of switch K (0 <= K < platform_nswitches), or -1 for a bad K. */
int64_t platform_nswitches(const platform_t *p);
int64_t platform_switch_node(const platform_t *p, int64_t k);
/* Scale-up planes of one supernode: switched and clos2 (0 for torus and fullmesh, which have
 * dimensions rather than planes). */
int32_t platform_planes(const platform_t *p);
/* Torus supernodes (sim/platform_torus.c): the number of dimensions D (2 or 3) and their sizes
 * in DIMS (unused entries 1; accelerator r of a supernode at coordinates r mod d0, r / d0 mod d1,
 * ...), or 0 (DIMS untouched) for other kinds. */
int platform_torus_dims(const platform_t *p, int32_t dims[3]);
/* Whether the group MEMBERS[0..N) (accelerator ids, group rank order) is a torus whose neighbours
 * are linked: all in one torus supernode, and ranks laid out row-major over some of its dimensions
 * (whole dimensions, in increasing order, the first fastest) from a corner with coordinate 0 in
 * each, as the supernode itself or one ring, plane... of it. Returns the number of those
 * dimensions with their sizes in DIMS (unused entries 1), or 0 (not a torus, or out of memory). */
int platform_torus_group(const platform_t *p, const int32_t *members, int32_t n, int32_t dims[3]);

/* Locality, for placing ranks: the node (accelerators behind the same first-level switch chips or
 * on one board/tray) and the supernode (scale-up domain) of accelerator ACC. Accelerators are
 * numbered supernode by supernode, node by node. */
int32_t platform_node_of(const platform_t *p, int32_t acc);
int32_t platform_supernode_of(const platform_t *p, int32_t acc);
int32_t platform_accels_per_node(const platform_t *p);
int32_t platform_accels_per_supernode(const platform_t *p);
int32_t platform_supernodes(const platform_t *p);

/* Figures of the machine, for `oastwin topo` and /topology. Scale-up figures cover all
 * supernodes; bisections are per direction. */
typedef struct platform_figures {
    int64_t accelerators, supernodes, nics;
    int64_t up_switches[3];                /* scale-up switch chips by tier, all supernodes */
    const char *up_tier[3];                /* their names ("L1", "L2", "plane", "OCS"); NULL if unused */
    int64_t out_switches[3];               /* scale-out: leaf, spine or aggregation, core */
    const char *out_tier[3];
    int64_t up_links[HW_MEDIUM__COUNT];    /* physical links by medium */
    int64_t out_links[HW_MEDIUM__COUNT];
    int64_t up_modules, out_modules;       /* optical modules, one per module end */
    double optics_power_W;                 /* all optical modules */
    double optics_failures_per_year;       /* expected module failures (FIT x hours) */
    double switch_power_W;                 /* all switch chips with a power figure */
    double scaleup_bw_per_accelerator_Bps; /* all planes, per direction */
    double up_bisection_Bps;               /* one supernode */
    bool up_nonblocking;
    double out_bisection_Bps;              /* the scale-out fabric (rail-aligned traffic) */
    int32_t up_diameter_hops, out_diameter_hops;
    /* accelerator-to-accelerator route latency over ordered pairs: all pairs, pairs within a
     * supernode, pairs across supernodes (NIC to NIC); every pair or a sample */
    double lat_mean_s, lat_max_s;
    double up_lat_mean_s, up_lat_max_s;
    double out_lat_mean_s, out_lat_max_s;
    int64_t lat_pairs;                     /* pairs routed */
    bool lat_sampled;
} platform_figures;

/* Fills F; the latency figures cost one route per pair (past 2^20 pairs, 2^18 pairs drawn from
 * the scenario seed). Returns 0 or -1 (out of memory). */
int platform_figures_get(const platform_t *p, platform_figures *f);
/* The `oastwin topo` report (a few lines of text). */
void platform_report(const platform_t *p, const platform_figures *f, FILE *out);
/* One or two sentences describing the machine, for `oastwin validate`. */
void platform_describe(const platform_t *p, FILE *f);
/* Adds /topology/nodes, /topology/links, /topology/sim_links, /topology/tiers and the topology
 * summary figures. */
int platform_to_trace(const platform_t *p, trace_t *t);

#endif
