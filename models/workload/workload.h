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

extern const workload_ops workload_dp_allreduce, workload_training, workload_inference;

#endif
