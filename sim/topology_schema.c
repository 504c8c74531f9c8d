/* Scenario keys of the topology (topology.*): the supernode's shape (kind), its links and switches,
 * the link media catalogue, the number of supernodes and the scale-out network. The check parses
 * the torus and full-mesh shapes, derives the accelerator counts and link latencies, and rejects
 * links longer than their medium's reach. Defaults cite their sources here or in docs/sources.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "units.h"

#define OFF(m) offsetof(scenario_t, m)
#define BIG 1e300

static const char *const TOPO_KINDS[] = {"switched", "clos2", "torus", "fullmesh", NULL};
static const char *const MEDIA[] = {"copper", "optical", "lpo", "cpo", "generic", NULL};
static const char *const WRAPS[] = {"electrical", "ocs", NULL};
static const char *const SO_KINDS[] = {"none", "fattree", NULL};
static const char *const NICS[] = {"per_accelerator", "per_node", NULL};

#define SWITCHED_CLOS "topology.kind=switched|clos2"
#define CLOS "topology.kind=clos2"
#define FATTREE "topology.scaleout.kind=fattree"
#define OCS "topology.torus.wrap=ocs"

/* The four keys of a link class at PATH ("topology.link"), present when WHEN holds. */
#define LINK_FIELDS(path, member, when, what)                                                                     \
    {path ".bandwidth", F_QTY, DIM_BANDWIDTH, OFF(member.bw_Bps), 0, NULL, NULL, 0, BIG, true,                    \
     "Bandwidth of one " what ", per direction.", when, NULL, NULL},                                              \
    {path ".medium", F_ENUM, DIM_NONE, OFF(member.medium), 0, MEDIA, "generic", 0, 0, false,                      \
     "Medium of the " what ": `copper`, `optical` (pluggable with DSP), `lpo` (linear pluggable), `cpo` "         \
     "(co-packaged optics), each described in `topology.media`; or `generic`, a link whose latency is given "     \
     "and which has no modules, power or reach.",                                                                 \
     when, NULL, NULL},                                                                                           \
    {path ".length", F_QTY, DIM_LENGTH, OFF(member.length_m), 0, NULL, "0 m", 0, BIG, false,                      \
     "Cable or fiber length of the " what "; adds length x the medium's propagation delay (about 5 ns/m) and "    \
     "must be within the medium's reach.",                                                                        \
     when, NULL, NULL},                                                                                           \
    {path ".latency", F_QTY, DIM_TIME, OFF(member.lat_s), 0, NULL, NULL, 0, BIG, false,                           \
     "Latency of one " what " (serdes, FEC), without propagation; only for the `generic` medium (other media "    \
     "take it from `topology.media`).",                                                                           \
     path ".medium=generic", NULL, NULL}

/* The seven keys of medium NAME (index K) with their defaults. */
#define MEDIUM_FIELDS(name, k, def_rate, def_lanes, def_lat, def_power, def_reach, def_fit, doc)                                          \
    {"topology.media." name ".lane_rate", F_QTY, DIM_BANDWIDTH, OFF(topo.media[k].lane_rate_Bps), 0, NULL, def_rate,  \
     0, BIG, true, "Signalling rate of one lane of " name ", per direction. " doc, NULL, NULL, NULL},             \
    {"topology.media." name ".lanes", F_INT, DIM_NONE, OFF(topo.media[k].lanes), 0, NULL, def_lanes, 1, 64, false,    \
     "Lanes of one " name " module (port); links of fewer lanes share a module, as breakout ports do.", NULL,     \
     NULL, NULL},                                                                                                 \
    {"topology.media." name ".latency", F_QTY, DIM_TIME, OFF(topo.media[k].lat_s), 0, NULL, def_lat, 0, BIG, false,   \
     "Serdes, FEC and module latency of one " name " link, end to end, without propagation.", NULL, NULL, NULL},  \
    {"topology.media." name ".module_power", F_QTY, DIM_POWER, OFF(topo.media[k].module_power_W), 0, NULL, def_power, \
     0, BIG, false, "Power of one " name " module at one end of a link.", NULL, NULL, NULL},                      \
    {"topology.media." name ".reach", F_QTY, DIM_LENGTH, OFF(topo.media[k].reach_m), 0, NULL, def_reach, 0, BIG,      \
     true, "Longest " name " link; a longer link is a scenario error.", NULL, NULL, NULL},                        \
    {"topology.media." name ".fit", F_QTY, DIM_NONE, OFF(topo.media[k].fit), 0, NULL, def_fit, 0, BIG, false,         \
     "Failure rate of one " name " module (one end), in FIT: failures per 10^9 module-hours.", NULL, NULL, NULL}, \
    {"topology.media." name ".propagation_per_metre", F_QTY, DIM_TIME, OFF(topo.media[k].prop_s_per_m), 0, NULL,  \
     "5 ns", 0, BIG, false,                                                                                       \
     "Propagation delay per metre of " name " (light in fiber ~4.9-5 ns/m; twinax copper ~4.5-5 ns/m; "          \
     "docs/sources.md).",                                                                                         \
     NULL, NULL, NULL}

static const field FIELDS[] = {
    {"topology.kind", F_ENUM, DIM_NONE, OFF(topo.kind), 0, TOPO_KINDS, "switched", 0, 0, false,
     "Scale-up topology of every supernode (docs/topologies.md). `switched`: one switch tier with `planes` "
     "parallel planes; every accelerator has one link to each plane's switch. `clos2`: two-tier Clos with "
     "planes: nodes of `accelerators_per_node` with one L1 switch chip per plane, L2 chips per plane sized by "
     "`oversubscription`. `torus`: 2-D or 3-D torus with wrap-around, optionally cubes joined by optical "
     "circuit switches. `fullmesh`: direct links between every pair of a group, groups joined dimension by "
     "dimension (an n-D full mesh).",
     NULL, NULL, NULL},
    {"topology.supernodes", F_INT, DIM_NONE, OFF(topo.supernodes), 0, NULL, "1", 1, 65536, false,
     "Supernodes of the cluster, all of the same kind; more than one needs a scale-out network "
     "(`topology.scaleout`). Accelerators are numbered supernode by supernode.",
     NULL, NULL, NULL},
    {"topology.accelerators", F_INT, DIM_NONE, OFF(topo.accelerators), 0, NULL, NULL, 1, 1048576, false,
     "Number of accelerators in the supernode.", "topology.kind=switched", NULL, NULL},
    {"topology.accelerators_per_node", F_INT, DIM_NONE, OFF(topo.accels_per_node), 0, NULL, "1", 1, 4096, false,
     "Accelerators of one node (board, tray or server; in clos2 the accelerators behind the node's L1 chips). "
     "Nodes place ranks and, with per-accelerator NICs, define the scale-out rails.",
     "topology.kind=switched|clos2|torus", NULL, NULL},
    {"topology.planes", F_INT, DIM_NONE, OFF(topo.planes), 0, NULL, "1", 1, 1024, false,
     "Parallel switch planes; each accelerator has one link per plane.", SWITCHED_CLOS, NULL, NULL},
    {"topology.nodes", F_INT, DIM_NONE, OFF(topo.nodes), 0, NULL, NULL, 2, 65536, false,
     "Nodes of one clos2 supernode (one node alone is a `switched` supernode).", CLOS, NULL, NULL},
    {"topology.oversubscription", F_QTY, DIM_NONE, OFF(topo.oversubscription), 0, NULL, "1", 0, 1e6, true,
     "Down / up bandwidth of an L1 chip; sets the L2 chips per plane to ceil(accelerators_per_node x "
     "link.bandwidth / (oversubscription x uplink.bandwidth)). `1`: non-blocking.",
     CLOS, NULL, NULL},
    LINK_FIELDS("topology.link", topo.link, NULL, "accelerator link (one plane)"),
    LINK_FIELDS("topology.uplink", topo.uplink, CLOS, "L1-to-L2 link"),
    {"topology.switch.latency", F_QTY, DIM_TIME, OFF(topo.sw.lat_s), 0, NULL, NULL, 0, BIG, false,
     "Switch traversal latency, port to port.", SWITCHED_CLOS, NULL, NULL},
    {"topology.switch.radix", F_INT, DIM_NONE, OFF(topo.sw.radix), 0, NULL, "0", 0, 1048576, false,
     "Ports of one switch chip; a topology needing more is a scenario error. `0`: unlimited (an idealised "
     "switch; presets give the real radix).",
     SWITCHED_CLOS, NULL, NULL},
    {"topology.switch.port_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(topo.sw.port_bw_Bps), 0, NULL, "0 b/s", 0, BIG,
     false,
     "Bandwidth of one switch port, per direction; a link faster than a port takes ceil(link / port) ports. "
     "`0 b/s`: every link takes one port.",
     SWITCHED_CLOS, NULL, NULL},
    {"topology.switch.power", F_QTY, DIM_POWER, OFF(topo.sw.power_W), 0, NULL, "0 W", 0, BIG, false,
     "Power of one switch chip. `0 W`: not accounted (presets give estimates with their sources).",
     SWITCHED_CLOS, NULL, NULL},
    {"topology.torus.dims", F_STR, DIM_NONE, OFF(topo.torus.dims), sizeof(((topo_spec *)0)->torus.dims), NULL, NULL,
     0, 0, false,
     "Torus shape, 2-D or 3-D, e.g. `16x16x16`; every accelerator has one link to each neighbour (2 per "
     "dimension of size 3 or more).",
     "topology.kind=torus", NULL, NULL},
    {"topology.torus.wrap", F_ENUM, DIM_NONE, OFF(topo.torus.wrap), 0, WRAPS, "electrical", 0, 0, false,
     "`electrical`: every torus link is an accelerator link. `ocs`: the torus is built of cubes whose faces "
     "are joined through optical circuit switches (as TPU v4); links leaving a cube are `ocs_link`s.",
     "topology.kind=torus", NULL, NULL},
    {"topology.torus.cube", F_STR, DIM_NONE, OFF(topo.torus.cube), sizeof(((topo_spec *)0)->torus.cube), NULL, NULL,
     0, 0, false,
     "Shape of one cube, e.g. `4x4x4`; must divide the torus dimension by dimension. One optical circuit switch "
     "serves each face position of each dimension and has 2 ports per cube.",
     OCS, NULL, NULL},
    {"topology.torus.ocs_link.medium", F_ENUM, DIM_NONE, OFF(topo.torus.ocs_link.medium), 0, MEDIA, "optical", 0, 0,
     false, "Medium of a circuit through an optical circuit switch (its bandwidth is `link.bandwidth`).", OCS,
     NULL, NULL},
    {"topology.torus.ocs_link.length", F_QTY, DIM_LENGTH, OFF(topo.torus.ocs_link.length_m), 0, NULL, "0 m", 0, BIG,
     false, "Fiber length of one circuit, chip to switch to chip.", OCS, NULL, NULL},
    {"topology.torus.ocs_link.latency", F_QTY, DIM_TIME, OFF(topo.torus.ocs_link.lat_s), 0, NULL, NULL, 0, BIG,
     false, "Latency of one circuit without propagation; only for the `generic` medium.",
     "topology.torus.ocs_link.medium=generic", NULL, NULL},
    {"topology.torus.ocs.radix", F_INT, DIM_NONE, OFF(topo.torus.ocs.radix), 0, NULL, "0", 0, 1048576, false,
     "Ports of one optical circuit switch (TPU v4: 136); `0`: unlimited.", OCS, NULL, NULL},
    {"topology.torus.ocs.power", F_QTY, DIM_POWER, OFF(topo.torus.ocs.power_W), 0, NULL, "0 W", 0, BIG, false,
     "Power of one optical circuit switch. `0 W`: not accounted.", OCS, NULL, NULL},
    {"topology.fullmesh.dims", F_STR, DIM_NONE, OFF(topo.fullmesh.dims), sizeof(((topo_spec *)0)->fullmesh.dims),
     NULL, NULL, 0, 0, false,
     "Full-mesh shape: `8` is 8 accelerators linked pairwise; `8x8` is 8 such groups, accelerator i of every "
     "group linked pairwise to accelerator i of the others (a 2-D full mesh, as UB-Mesh); up to 3 dimensions. "
     "Routes correct the first dimension first. Every link is a `topology.link`.",
     "topology.kind=fullmesh", NULL, NULL},
    MEDIUM_FIELDS("copper", HW_COPPER, "200 Gb/s", "8", "100 ns", "0 W", "1 m", "20",
                  "Default: passive copper at 200 Gb/s per lane reaches about 1 m (docs/sources.md)."),
    MEDIUM_FIELDS("optical", HW_OPTICAL, "100 Gb/s", "8", "150 ns", "15 W", "500 m", "500",
                  "Default: an 800G DSP pluggable, 8 x 100G, 14-18 W (docs/sources.md)."),
    MEDIUM_FIELDS("lpo", HW_LPO, "100 Gb/s", "8", "100 ns", "8.5 W", "500 m", "300",
                  "Default: an 800G linear pluggable (no DSP), 8-9 W, 500 m (LPO MSA; docs/sources.md)."),
    MEDIUM_FIELDS("cpo", HW_CPO, "100 Gb/s", "8", "100 ns", "4.4 W", "500 m", "200",
                  "Default: co-packaged optics at 5.5 pJ/bit, 4.4 W per 800G engine (docs/sources.md)."),
    {"topology.scaleout.kind", F_ENUM, DIM_NONE, OFF(topo.scaleout.kind), 0, SO_KINDS, "none", 0, 0, false,
     "Scale-out network joining the supernodes, separate from the scale-up fabric. `fattree`: a "
     "rail-optimized fat tree (one tree per rail; traffic across supernodes leaves through the NIC on the "
     "destination's rail, as NCCL's PXN does). `none`: a single supernode.",
     NULL, NULL, NULL},
    {"topology.scaleout.tiers", F_INT, DIM_NONE, OFF(topo.scaleout.tiers), 0, NULL, "2", 2, 3, false,
     "Switch tiers of each rail's fat tree: 2 (leaf, spine) or 3 (leaf, aggregation, core).", FATTREE, NULL,
     NULL},
    {"topology.scaleout.nics", F_ENUM, DIM_NONE, OFF(topo.scaleout.nics), 0, NICS, "per_accelerator", 0, 0, false,
     "`per_accelerator`: one NIC per accelerator, accelerator i of every node on rail i. `per_node`: one NIC "
     "per node shared by its accelerators (a single tree).",
     FATTREE, NULL, NULL},
    {"topology.scaleout.oversubscription", F_QTY, DIM_NONE, OFF(topo.scaleout.oversubscription), 0, NULL, "1", 1,
     1024, false,
     "Leaf down / up ports: a leaf of radix R has floor(R x o / (1 + o)) NIC ports and the rest up. `1`: "
     "non-blocking.",
     FATTREE, NULL, NULL},
    LINK_FIELDS("topology.scaleout.link", topo.scaleout.link, FATTREE,
                "scale-out link (NIC to leaf and switch to switch: the NIC bandwidth)"),
    {"topology.scaleout.switch.radix", F_INT, DIM_NONE, OFF(topo.scaleout.sw.radix), 0, NULL, NULL, 2, 1048576,
     false, "Ports of one scale-out switch.", FATTREE, NULL, NULL},
    {"topology.scaleout.switch.latency", F_QTY, DIM_TIME, OFF(topo.scaleout.sw.lat_s), 0, NULL, NULL, 0, BIG,
     false,
     "Scale-out switch traversal latency. Each simulated fabric link carries one traversal, so a path of h "
     "links costs h x (link latency + switch latency) (docs/topologies.md).",
     FATTREE, NULL, NULL},
    {"topology.scaleout.switch.power", F_QTY, DIM_POWER, OFF(topo.scaleout.sw.power_W), 0, NULL, "0 W", 0, BIG,
     false, "Power of one scale-out switch. `0 W`: not accounted.", FATTREE, NULL, NULL},
};

/* Parses "AxBxC" (1 to 3 positive integers) into DIM (unused dims = 1); returns the number of
 * dimensions or -1. */
static int parse_dims(const char *s, int64_t dim[TOPO_MAX_DIMS])
{
    int n = 0;
    for (int i = 0; i < TOPO_MAX_DIMS; i++)
        dim[i] = 1;
    const char *c = s;
    while (*c) {
        if (n == TOPO_MAX_DIMS || *c < '0' || *c > '9')
            return -1;
        char *end;
        long long v = strtoll(c, &end, 10);
        if (v < 1 || v > 1048576)
            return -1;
        dim[n++] = v;
        c = end;
        if (*c == 'x') {
            c++;
            if (!*c)
                return -1;
        } else if (*c) {
            return -1;
        }
    }
    return n;
}

/* Rejects a link of class PATH longer than its medium's reach. */
static int check_reach(const scenario_t *sc, const hw_link *l, const char *path, diag_t *err)
{
    if (l->medium == HW_GENERIC)
        return 0;
    const hw_medium *m = &sc->topo.media[l->medium];
    if (l->length_m <= m->reach_m)
        return 0;
    char key[96], len[64], reach[64], rate[64];
    snprintf(key, sizeof key, "%s.length", path);
    units_format(l->length_m, DIM_LENGTH, len, sizeof len);
    units_format(m->reach_m, DIM_LENGTH, reach, sizeof reach);
    snprintf(rate, sizeof rate, "%g Gb/s", m->lane_rate_Bps * 8 / 1e9); /* lane rates are quoted in bits */
    return scenario_fail_at(sc, key, err,
                            "'%s' (%s) exceeds the reach of %s (%s at %s per lane, topology.media.%s.reach)%s", key,
                            len, hw_medium_name(l->medium), reach, rate, hw_medium_name(l->medium),
                            l->medium == HW_COPPER ? ": use an optical medium or a shorter cable" : "");
}

/* Non-generic media take their latency from the catalogue (stored, so readers see it). */
static void derive_latency(hw_link *l, const topo_spec *t)
{
    if (l->medium != HW_GENERIC)
        l->lat_s = hw_link_latency(l, t->media);
}

static int check(scenario_t *sc, diag_t *err)
{
    topo_spec *t = &sc->topo;
    switch (t->kind) {
    case TOPO_SWITCHED:
        break;
    case TOPO_CLOS2:
        t->accelerators = t->nodes * t->accels_per_node;
        break;
    case TOPO_TORUS: {
        t->torus.ndims = parse_dims(t->torus.dims, t->torus.dim);
        if (t->torus.ndims < 2)
            return scenario_fail_at(sc, "topology.torus.dims", err,
                                    "'topology.torus.dims' must be 2 or 3 positive sizes like 16x16x16, not '%s'",
                                    t->torus.dims);
        t->accelerators = t->torus.dim[0] * t->torus.dim[1] * t->torus.dim[2];
        if (t->torus.wrap == TOPO_WRAP_OCS) {
            int nc = parse_dims(t->torus.cube, t->torus.cube_dim);
            if (nc != t->torus.ndims)
                return scenario_fail_at(sc, "topology.torus.cube", err,
                                        "'topology.torus.cube' must have as many sizes as topology.torus.dims (%s), "
                                        "not '%s'",
                                        t->torus.dims, t->torus.cube);
            for (int d = 0; d < nc; d++)
                if (t->torus.dim[d] % t->torus.cube_dim[d])
                    return scenario_fail_at(sc, "topology.torus.cube", err,
                                            "'topology.torus.cube' (%s) must divide topology.torus.dims (%s) in "
                                            "every dimension",
                                            t->torus.cube, t->torus.dims);
            t->torus.ocs_link.bw_Bps = t->link.bw_Bps;
            derive_latency(&t->torus.ocs_link, t);
            if (check_reach(sc, &t->torus.ocs_link, "topology.torus.ocs_link", err))
                return -1;
        } else {
            for (int d = 0; d < TOPO_MAX_DIMS; d++)
                t->torus.cube_dim[d] = t->torus.dim[d];
        }
        break;
    }
    case TOPO_FULLMESH:
        t->fullmesh.ndims = parse_dims(t->fullmesh.dims, t->fullmesh.dim);
        if (t->fullmesh.ndims < 1)
            return scenario_fail_at(sc, "topology.fullmesh.dims", err,
                                    "'topology.fullmesh.dims' must be 1 to 3 positive sizes like 8 or 8x8, not '%s'",
                                    t->fullmesh.dims);
        t->accelerators = t->fullmesh.dim[0] * t->fullmesh.dim[1] * t->fullmesh.dim[2];
        t->accels_per_node = t->fullmesh.dim[0];
        break;
    }
    if (t->kind == TOPO_SWITCHED || t->kind == TOPO_TORUS) {
        if (t->accelerators % t->accels_per_node)
            return scenario_fail_at(sc, "topology.accelerators_per_node", err,
                                    "'topology.accelerators_per_node' (%lld) must divide the accelerators of a "
                                    "supernode (%lld)",
                                    (long long)t->accels_per_node, (long long)t->accelerators);
    }
    /* Size caps, checked before anything is built: every accelerator becomes a SimGrid host with
     * its links, routes and actor, all held in memory. */
    if (t->accelerators > 1048576)
        return scenario_fail_at(sc,
                                t->kind == TOPO_TORUS      ? "topology.torus.dims"
                                : t->kind == TOPO_FULLMESH ? "topology.fullmesh.dims"
                                : t->kind == TOPO_CLOS2    ? "topology.nodes"
                                                           : "topology.accelerators",
                                err,
                                "a supernode of %lld accelerators is more than the 1048576 (2^20) a supernode may "
                                "have: each accelerator is a SimGrid host with its own links, routes and actor, held "
                                "in memory",
                                (long long)t->accelerators);
    t->total_accelerators = t->supernodes * t->accelerators;
    if (t->total_accelerators > 4194304)
        return scenario_fail_at(sc, "topology.supernodes", err,
                                "%lld supernodes of %lld accelerators make %lld accelerators, more than the 4194304 "
                                "(2^22) one run may simulate: each accelerator is a SimGrid host with its own links, "
                                "routes and actor, held in memory",
                                (long long)t->supernodes, (long long)t->accelerators,
                                (long long)t->total_accelerators);
    if (t->supernodes > 1 && t->scaleout.kind == TOPO_SO_NONE)
        return scenario_fail_at(sc, "topology.supernodes", err,
                                "'topology.supernodes' is %lld but topology.scaleout.kind is none: supernodes are "
                                "joined only by a scale-out network (set topology.scaleout.kind: fattree)",
                                (long long)t->supernodes);
    derive_latency(&t->link, t);
    if (check_reach(sc, &t->link, "topology.link", err))
        return -1;
    if (t->kind == TOPO_CLOS2) {
        derive_latency(&t->uplink, t);
        if (check_reach(sc, &t->uplink, "topology.uplink", err))
            return -1;
    }
    if (t->scaleout.kind == TOPO_SO_FATTREE) {
        derive_latency(&t->scaleout.link, t);
        if (check_reach(sc, &t->scaleout.link, "topology.scaleout.link", err))
            return -1;
    }
    return 0;
}

const schema_part schema_part_topology = {"topology", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
