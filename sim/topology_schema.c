/* Scenario keys of the topology (topology.*): the supernode's shape, links and switches. */
#include "scenario.h"

#define OFF(m) offsetof(scenario_t, m)
#define BIG 1e300

static const char *const TOPO_KINDS[] = {"switched", NULL};

static const field FIELDS[] = {
    {"topology.kind", F_ENUM, DIM_NONE, OFF(topo.kind), 0, TOPO_KINDS, "switched", 0, 0, false,
     "Topology family. `switched`: one switch tier with `planes` parallel planes; every accelerator "
     "has one link to each plane's switch.",
     NULL, NULL, NULL},
    {"topology.accelerators", F_INT, DIM_NONE, OFF(topo.accelerators), 0, NULL, NULL, 1, 1048576, false,
     "Number of accelerators in the supernode.", NULL, NULL, NULL},
    {"topology.planes", F_INT, DIM_NONE, OFF(topo.planes), 0, NULL, "1", 1, 1024, false,
     "Parallel switch planes; each accelerator has one link per plane.", NULL, NULL, NULL},
    {"topology.link.bandwidth", F_QTY, DIM_BANDWIDTH, OFF(topo.link.bw_Bps), 0, NULL, NULL, 0, BIG, true,
     "Bandwidth of one accelerator-to-switch link, per direction (one plane).", NULL, NULL, NULL},
    {"topology.link.latency", F_QTY, DIM_TIME, OFF(topo.link.lat_s), 0, NULL, NULL, 0, BIG, false,
     "Latency of one link (serdes, FEC and propagation).", NULL, NULL, NULL},
    {"topology.switch.latency", F_QTY, DIM_TIME, OFF(topo.sw.lat_s), 0, NULL, NULL, 0, BIG, false,
     "Switch traversal latency, port to port.", NULL, NULL, NULL},
};

const schema_part schema_part_topology = {"topology", FIELDS, SCHEMA_NFIELDS(FIELDS), NULL};
