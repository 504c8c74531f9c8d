/* Workload dispatch by scenario kind, and the `workload.kind` key every workload part keys on. */
#include "workload.h"

#include "resilience/resilience.h"

#include "collbench.h"

static const char *const WL_KINDS[] = {"dp_allreduce", "training", "inference", "collbench", NULL};

static const field FIELDS[] = {
    {"workload.kind", F_ENUM, DIM_NONE, offsetof(scenario_t, wl.kind), 0, WL_KINDS, "dp_allreduce", 0, 0, false,
     "Workload family. `dp_allreduce`: data-parallel training; each iteration is a compute phase "
     "followed by an all-reduce of the gradients over all accelerators. `training`: LLM training "
     "replay (models, parallelism, pipeline). `inference`: LLM serving of request traces. `collbench`: "
     "nccl-tests-like sweep of collectives over message sizes (what `oastwin bench` runs).",
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
    case WL_COLLBENCH:
        return &workload_collbench;
    }
    return &workload_dp_allreduce;
}

int workload_check(const scenario_t *sc, const platform_t *plat, diag_t *err)
{
    if (sc->wl.kind == WL_DP_ALLREDUCE || sc->wl.kind == WL_COLLBENCH) {
        /* One actor per accelerator, plus the sampler, the governor and the resilience timeline:
         * refused here, before SimGrid loads the platform, rather than aborting inside it. */
        int64_t n = platform_accelerators(plat);
        char what[96];
        diag_t why;
        snprintf(what, sizeof what, "the %lld ranks of the %s workload", (long long)n,
                 sc->wl.kind == WL_COLLBENCH ? "collbench" : "dp_allreduce");
        if (engine_reserve_actors(n + 3, what, &why))
            return scenario_fail_at(sc, "topology.kind", err, "%s", why.msg);
    }
    if (resilience_check(sc, plat, err))
        return -1;
    if (sc->wl.kind == WL_COLLBENCH)
        return collbench_check_platform(sc, plat, err);
    if (sc->wl.kind == WL_INFERENCE)
        return inference_check_platform(sc, plat, err);
    return 0;
}
