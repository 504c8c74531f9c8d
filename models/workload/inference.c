/* Inference workload (workload.kind = inference): under construction; refuses to run. */
#include <stdio.h>

#include "workload.h"

static int setup(const scenario_t *sc, const platform_t *plat, void **state, diag_t *err)
{
    (void)plat;
    (void)state;
    return scenario_fail_at(sc, "workload.kind", err, "workload.kind 'inference' is not available in this build");
}

static int finish(void *state, trace_t *t, const engine_stats *st, diag_t *err)
{
    (void)state;
    (void)t;
    (void)st;
    (void)err;
    return 0;
}

static void describe(const scenario_t *sc, FILE *f)
{
    (void)sc;
    fprintf(f, "Workload: inference (not available in this build).\n");
}

const workload_ops workload_inference = {"inference", setup, finish, describe};

const schema_part schema_part_inference = {"workload: inference", NULL, 0, NULL};
