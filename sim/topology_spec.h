/* The topology section of a scenario (topology.*), in SI units. Filled by the loader from
 * sim/topology_schema.c; read by the platform builder. */
#ifndef OAS_TOPOLOGY_SPEC_H
#define OAS_TOPOLOGY_SPEC_H

#include <stdint.h>

#include "hw/hw.h"

typedef enum topo_kind { TOPO_SWITCHED } topo_kind;

typedef struct topo_spec {
    topo_kind kind;
    int64_t accelerators;
    int64_t planes;
    hw_link link;
    hw_switch sw;
} topo_spec;

#endif
