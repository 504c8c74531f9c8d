/* A communicator: a fixed group of accelerators that runs collectives together, in the same
 * order on every member (as NCCL communicators do). It executes a coll_sched at either fidelity:
 *  - flow: every transfer is a SimGrid communication between the two accelerators' hosts. A
 *    sender posts its data for step g only once the receiver has reached step g (a receive
 *    credit, as NCCL's FIFO slots), so transfers always match their step and the protocol needs
 *    one mailbox per member.
 *  - analytic: members meet at a barrier, then each sleeps for coll_analytic_time() of the
 *    schedule on the platform's routes (computed once per call).
 * Ownership: cg_new() before simgrid_run (after the platform is loaded); cg_free() after. */
#ifndef OAS_COMMGROUP_H
#define OAS_COMMGROUP_H

#include <stdint.h>

#include "coll/coll.h"
#include "platform.h"
#include "scenario.h"

typedef struct commgroup commgroup_t;

/* MEMBERS[i] is the accelerator of group rank i (copied). */
commgroup_t *cg_new(const char *name, const int32_t *members, int32_t p, fidelity fid, const platform_t *plat);
void cg_free(commgroup_t *g);
int32_t cg_size(const commgroup_t *g);

/* Called by the actor of group rank R with the same SCHED on every member, in the same order.
 * Returns when R's part is done. *START_S is when R entered. */
void cg_run(commgroup_t *g, int32_t r, const coll_sched *sched);

#endif
