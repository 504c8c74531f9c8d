/* Workload dispatch by scenario kind, and the `workload.kind` key every workload part keys on. */
#include "workload.h"

static const char *const WL_KINDS[] = {"dp_allreduce", "training", "inference", NULL};

static const field FIELDS[] = {
    {"workload.kind", F_ENUM, DIM_NONE, offsetof(scenario_t, wl.kind), 0, WL_KINDS, "dp_allreduce", 0, 0, false,
     "Workload family. `dp_allreduce`: data-parallel training; each iteration is a compute phase "
     "followed by an all-reduce of the gradients over all accelerators. `training`: LLM training "
     "replay (models, parallelism, pipeline). `inference`: LLM serving of request traces.",
     NULL, NULL, NULL},
};

const schema_part schema_part_workload = {"workload", FIELDS, SCHEMA_NFIELDS(FIELDS), NULL};

const workload_ops *workload_for(const scenario_t *sc)
{
    switch (sc->wl.kind) {
    case WL_DP_ALLREDUCE:
        return &workload_dp_allreduce;
    case WL_TRAINING:
        return &workload_training;
    case WL_INFERENCE:
        return &workload_inference;
    }
    return &workload_dp_allreduce;
}
