/* The topology section of a scenario (topology.*), in SI units: the scale-up kind of every
 * supernode, the number of supernodes and the scale-out network that joins them, the link
 * media catalogue and the switches. Filled by the loader from sim/topology_schema.c, whose
 * check also fills the derived members (marked "derived"); read by the platform builder. */
#ifndef OAS_TOPOLOGY_SPEC_H
#define OAS_TOPOLOGY_SPEC_H

#include <stdint.h>

#include "hw/hw.h"

typedef enum topo_kind { TOPO_SWITCHED, TOPO_CLOS2, TOPO_TORUS, TOPO_FULLMESH } topo_kind;
typedef enum topo_wrap { TOPO_WRAP_ELECTRICAL, TOPO_WRAP_OCS } topo_wrap;
typedef enum topo_scaleout_kind { TOPO_SO_NONE, TOPO_SO_FATTREE } topo_scaleout_kind;
typedef enum topo_nics { TOPO_NIC_PER_ACCELERATOR, TOPO_NIC_PER_NODE } topo_nics;

#define TOPO_MAX_DIMS 3

typedef struct topo_spec {
    topo_kind kind;
    int64_t supernodes;      /* S, joined by the scale-out network */
    int64_t accelerators;    /* per supernode (switched: given; other kinds: derived) */
    int64_t accels_per_node; /* a node: accelerators on one board / tray / behind one L1 (fullmesh: derived) */
    int64_t planes;          /* switched, clos2 */
    int64_t nodes;           /* clos2: nodes per supernode */
    double oversubscription; /* clos2: L1 down / up bandwidth */
    hw_link link;            /* accelerator link (switched, clos2: to a switch; torus, fullmesh: to a peer) */
    hw_link uplink;          /* clos2: L1 -> L2 */
    hw_switch sw;            /* switched, clos2: every switch chip */
    struct {
        char dims[48];       /* "16x16x16" */
        topo_wrap wrap;
        char cube[48];       /* wrap = ocs: "4x4x4" */
        hw_link ocs_link;    /* wrap = ocs: a chip-to-chip circuit through an optical circuit switch */
        hw_switch ocs;       /* wrap = ocs: the optical circuit switch (radix, power) */
        int ndims;           /* derived */
        int64_t dim[TOPO_MAX_DIMS], cube_dim[TOPO_MAX_DIMS]; /* derived; unused dims are 1 */
    } torus;
    struct {
        char dims[48];       /* "8" or "8x8" */
        int ndims;           /* derived */
        int64_t dim[TOPO_MAX_DIMS]; /* derived; unused dims are 1 */
    } fullmesh;
    hw_medium media[HW_MEDIUM__COUNT]; /* by hw_medium_kind; GENERIC unused */
    struct {
        topo_scaleout_kind kind;
        int64_t tiers;           /* 2 or 3 */
        topo_nics nics;
        double oversubscription; /* leaf down / up ports */
        hw_link link;            /* NIC and fabric links (one bandwidth for all, as SimGrid's fat tree) */
        hw_switch sw;
    } scaleout;
    int64_t total_accelerators; /* derived: supernodes x accelerators */
} topo_spec;

#endif
