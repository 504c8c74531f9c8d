/* What a failure takes from the network: the physical links of a link flap, an optical module
 * (the lanes it carries on its link), a switch chip (every link it terminates, and the circuits
 * an optical circuit switch carries) or a plane (every link of that plane in its supernode);
 * how the loss lands on the simulated links (a bundle of planes loses one plane's share; the
 * parallel uplinks of a scale-out switch share a lost uplink's traffic, as ECMP rehashing does);
 * and whether any path is left. Degradations are opened and closed on the platform, so a run's
 * traffic (flow or analytic fidelity) sees them once platform_simgrid_sync() is called.
 * Invariant: every physical link carries the smallest share its open degradations leave it,
 * spread over its parallel group; closing everything restores the nominal bandwidths exactly.
 * Ownership: rs_net_new() allocates and borrows the platform (which must outlive it). */
#ifndef OAS_RS_NETFAIL_H
#define OAS_RS_NETFAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "failure/failure.h"
#include "platform.h"

typedef struct rs_net rs_net;

/* Indexes PLAT's physical links for failures of the degrading classes over COUNTS components
 * (optical modules are spread over the optical links in order). NULL without memory. */
rs_net *rs_net_new(platform_t *plat, const fl_counts *counts);
void rs_net_free(rs_net *n);

/* What failure F (a link_flap, switch, optics or plane failure) would do now, on top of the
 * degradations open: links it takes, whether it leaves some simulated link with no bandwidth
 * (no path: the job stops), and the share of bandwidth left on the simulated link it hurts
 * most (1: none of its links carries traffic of the simulated machine). The platform is left
 * as it was. Returns 0, or -1 without memory or for a component that does not exist. */
typedef struct rs_net_effect {
    int64_t links;   /* physical links taken (in part or whole) */
    bool cuts;       /* some simulated link would have no bandwidth left */
    double share;    /* smallest (after / before) over the simulated links it changes */
} rs_net_effect;
int rs_net_eval(rs_net *n, const fl_event *f, rs_net_effect *out);

/* Applies failure F's loss to the platform until rs_net_close(HANDLE). Returns 0 or -1. */
int rs_net_open(rs_net *n, const fl_event *f, int64_t *handle);
int rs_net_close(rs_net *n, int64_t handle);

/* Components of class CLS (switch, optics, plane) whose failure alone leaves no path, on the
 * healthy machine: the stopping share of the class for the job's mean time between
 * interruptions. Link flaps and other classes: 0. The first call for a class must come before
 * any rs_net_open() (-1 otherwise, or without memory). */
int64_t rs_net_cutting(rs_net *n, int cls);

#endif
