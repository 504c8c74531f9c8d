/* Workload dispatch by scenario kind. */
#include "workload.h"

const workload_ops *workload_for(const scenario_t *sc)
{
    switch (sc->wl.kind) {
    case WL_DP_ALLREDUCE:
        return &workload_dp_allreduce;
    }
    return &workload_dp_allreduce;
}
