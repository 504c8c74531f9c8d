/* The platform: the simulated machine as a graph we own (accelerators, switches, links with
 * their physical properties), generated from the scenario's topology, written as SimGrid
 * platform XML, and routed by us for the analytic fidelity with the same routes SimGrid uses.
 * Accelerator a is SimGrid host "acc<a>"; simulated link i has a name and an id.
 * Ownership: platform_build() allocates, platform_free() releases. */
#ifndef OAS_PLATFORM_H
#define OAS_PLATFORM_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "diag.h"
#include "scenario.h"
#include "trace.h"

typedef struct platform platform_t;

platform_t *platform_build(const scenario_t *sc, diag_t *err);
void platform_free(platform_t *p);

int32_t platform_accelerators(const platform_t *p);
/* Writes SimGrid XML (platform version 4.1) to PATH. */
int platform_write_xml(const platform_t *p, const char *path, diag_t *err);
/* Route between accelerators SRC and DST (ids of simulated links) and its latency; returns the
 * number of links, or -1 if CAP is too small. */
int platform_route(const platform_t *p, int32_t src, int32_t dst, double *lat_s, uint32_t *links, size_t cap);
size_t platform_nlinks(const platform_t *p);
/* Bandwidth of each simulated link, indexed by id. */
const double *platform_link_bw(const platform_t *p);
const char *platform_link_name(const platform_t *p, uint32_t id, char *buf, size_t n);
/* Locality, for placing ranks: the node (accelerators behind the same first-level switch chips or
 * on one board/tray) and the supernode (scale-up domain) of accelerator ACC. Accelerators are
 * numbered supernode by supernode, node by node. */
int32_t platform_node_of(const platform_t *p, int32_t acc);
int32_t platform_supernode_of(const platform_t *p, int32_t acc);
int32_t platform_accels_per_node(const platform_t *p);
int32_t platform_accels_per_supernode(const platform_t *p);
int32_t platform_supernodes(const platform_t *p);
/* One or two sentences describing the machine, for `oastwin validate`. */
void platform_describe(const platform_t *p, FILE *f);
/* Adds /topology/nodes and /topology/links and the topology summary figures. */
int platform_to_trace(const platform_t *p, trace_t *t);

#endif
