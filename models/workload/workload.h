/* A workload is a small table of operations (ROSS's LP type, kept short): setup creates the
 * SimGrid actors once the platform is loaded; finish, after the run, adds the workload's tables
 * and summary figures to the trace and frees its state. */
#ifndef OAS_WORKLOAD_H
#define OAS_WORKLOAD_H

#include "diag.h"
#include "engine.h"
#include "platform.h"
#include "scenario.h"
#include "trace.h"

typedef struct workload_ops {
    const char *name;
    int (*setup)(const scenario_t *sc, const platform_t *plat, void **state, diag_t *err);
    int (*finish)(void *state, trace_t *t, const engine_stats *st, diag_t *err);
    /* One or two sentences for `oastwin validate`. */
    void (*describe)(const scenario_t *sc, FILE *f);
} workload_ops;

const workload_ops *workload_for(const scenario_t *sc);
/* Checks the scenario's workload against the built platform before anything runs (group sizes,
 * locality), for the kinds that need it; a failure is a scenario error (FILE:LINE:COL in ERR,
 * exit 2). 0 or -1. */
int workload_check(const scenario_t *sc, const platform_t *plat, diag_t *err);

extern const workload_ops workload_dp_allreduce, workload_training, workload_inference, workload_collbench;

/* Checks that the replicas fit the platform and the model fits each replica (HBM for weights,
 * activations and some KV cache), before the run; 0 or -1 with FILE:LINE:COL in ERR. */
int inference_check_platform(const scenario_t *sc, const platform_t *plat, diag_t *err);

#endif
