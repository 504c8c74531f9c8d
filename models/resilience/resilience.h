/* Resilience in a run (resilience.mode = timeline): one actor that, while the workload runs its
 * detailed iterations, injects the failures that fall in them (a link flap degrades the simulated
 * link through the platform, so its cost is measured) and records each iteration's end; then,
 * once the workload is done, continues the job on the same clock with the timeline machine
 * (timeline.h): checkpoints priced by the storage model, failures from the plan, recovery.
 * Writes /resilience/timeline, /events rows and the goodput figures of /summary.
 * Ownership: state is private to the run; the engine calls setup after the workload's setup and
 * finish after the workload's finish. */
#ifndef OAS_RESILIENCE_H
#define OAS_RESILIENCE_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "failure/failure.h"
#include "engine.h"
#include "platform.h"
#include "scenario.h"
#include "trace.h"

/* The failure processes of SC over PLAT: FS is SC's failures.* with the optics rate taken from
 * the machine's module FIT when it has neither mtbf nor fit (*OPTICS_FROM_TOPOLOGY then set, or
 * the class disabled when no module has a rate); COUNTS holds per class what the platform has
 * (accelerators, their HBM, hosts, switch positions of /topology/nodes, optical module ends,
 * physical links, one job, planes x supernodes) or failures.<class>.count. 0 or -1 (memory). */
int resilience_machine(const scenario_t *sc, const platform_t *plat, failure_spec *fs, fl_counts *counts,
                       bool *optics_from_topology, diag_t *err);

/* Checks what only the built platform can tell (schedule entries naming components that do not
 * exist, a checkpoint shard larger than a tier); errors are scenario errors. 0 or -1. */
int resilience_check(const scenario_t *sc, const platform_t *plat, diag_t *err);
/* One or two sentences for `oastwin validate` (nothing when resilience.mode is off). */
void resilience_describe(const scenario_t *sc, FILE *f);
/* Does nothing unless SC's resilience.mode is timeline. 0 or -1. */
int resilience_setup(const scenario_t *sc, const platform_t *plat, trace_t *t, diag_t *err);
/* Tables and figures; frees the state. 0 or -1. */
int resilience_finish(trace_t *t, const engine_stats *st, diag_t *err);

#endif
