/* Workload dispatch by scenario kind, and the `workload.kind` key every workload part keys on. */
#include "workload.h"

static const char *const WL_KINDS[] = {"dp_allreduce", NULL};

static const field FIELDS[] = {
    {"workload.kind", F_ENUM, DIM_NONE, offsetof(scenario_t, wl.kind), 0, WL_KINDS, "dp_allreduce", 0, 0, false,
     "Workload family. `dp_allreduce`: data-parallel training; each iteration is a compute phase "
     "followed by an all-reduce of the gradients over all accelerators.",
     NULL, NULL, NULL},
};

const schema_part schema_part_workload = {"workload", FIELDS, SCHEMA_NFIELDS(FIELDS), NULL};

const workload_ops *workload_for(const scenario_t *sc)
{
    switch (sc->wl.kind) {
    case WL_DP_ALLREDUCE:
        return &workload_dp_allreduce;
    }
    return &workload_dp_allreduce;
}
