/* The scenario: a YAML file (plus --set overrides) validated against one schema table and
 * converted once to SI into scenario_t. Every accepted key is documented by the same table
 * (scenario_schema_markdown), so the reference cannot drift from the code. Positions of every
 * key are kept so later semantic checks can still say FILE:LINE:COL.
 * Ownership: scenario_load() fills a caller-owned scenario_t; scenario_free() releases the
 * texts and position table inside it. */
#ifndef OAS_SCENARIO_H
#define OAS_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "coll/coll.h"
#include "diag.h"
#include "failure/failure_spec.h"
#include "hw/hw.h"
#include "power/power_spec.h"
#include "resilience/resilience_spec.h"
#include "schema.h"
#include "storage/storage_spec.h"
#include "thermal/cooling_spec.h"
#include "topology_spec.h"
#include "workload/collbench_spec.h"
#include "workload/inference_spec.h"
#include "workload/llm_spec.h"
#include "workload/training_spec.h"

#define SCENARIO_SCHEMA_VERSION 1

typedef enum fidelity { FID_FLOW, FID_ANALYTIC } fidelity;
typedef enum wl_kind { WL_DP_ALLREDUCE, WL_TRAINING, WL_INFERENCE, WL_COLLBENCH } wl_kind;

typedef struct scenario_pos scenario_pos; /* private: where each key was written */

/* workload.kind = dp_allreduce (models/workload/dp_allreduce.c) */
typedef struct dp_spec {
    int64_t iterations;
    double compute_flop;       /* per accelerator per iteration */
    double compute_hbm_bytes;  /* HBM traffic per accelerator per iteration */
    double compute_efficiency; /* achieved / peak FLOP/s, (0, 1] */
    double gradient_bytes;     /* all-reduce size per rank */
    int algorithm;             /* index into the field's names; see dp_allreduce.c */
} dp_spec;


typedef struct scenario {
    int64_t schema_version;
    char name[128];
    uint64_t seed;

    hw_accel accel;
    topo_spec topo;
    power_spec power;     /* power.* (models/power/power_schema.c) */
    cooling_spec cooling; /* cooling.* (models/thermal/cooling_schema.c) */
    resilience_spec resilience; /* resilience.* (models/resilience/resilience_schema.c) */
    failure_spec failures;      /* failures.* (models/failure/failure_schema.c) */
    storage_spec storage;       /* storage.* (models/storage/storage_schema.c) */

    struct {
        wl_kind kind;
        dp_spec dp;
        llm_spec model;           /* workload.kind = training or inference */
        training_spec training;   /* workload.kind = training */
        inference_spec inference; /* workload.kind = inference */
        collbench_spec bench;     /* workload.kind = collbench (oastwin bench) */
    } wl;

    struct {
        fidelity fidelity;
        double stop_sim_time_s;    /* 0: run until the workload ends */
        double sample_interval_s;
    } run;

    struct {
        char path[4096];
    } out;

    char *source_path;   /* as given */
    char *source_text;   /* the file's bytes, verbatim */
    char *resolved_text; /* every key with its effective value in SI, as YAML */
    scenario_pos *pos;
} scenario_t;

/* Loads PATH, applies SETS[i] ("a.b.c=value", the i-th --set), validates, converts.
 * On error returns -1 with "FILE:LINE:COL: error: ..." in ERR ("--set:I:COL" for overrides). */
int scenario_load(const char *path, const char *const *sets, size_t nsets, scenario_t *out, diag_t *err);
void scenario_free(scenario_t *sc);

/* An override supplied by a command rather than by --set: TEXT is "a.b.c=value"; errors in it
 * are positioned LABEL:1:COL (LABEL names the command-line option it came from, e.g. "--ops"). */
typedef struct scenario_override {
    const char *label;
    const char *text;
} scenario_override;

/* scenario_load for a command that supplies a whole top-level SECTION itself (`oastwin bench`
 * supplies `workload`): once presets are resolved, the section written in the file or brought
 * by a preset is discarded, neither read nor required, and rebuilt from OWN[0..NOWN) and then
 * from the --set overrides under SECTION (which win); other overrides apply as usual. */
int scenario_load_replacing(const char *path, const char *section, const scenario_override *own, size_t nown,
                            const char *const *sets, size_t nsets, scenario_t *out, diag_t *err);

/* A semantic error about key PATH ("topology.planes") at the position where it was written
 * (or where its default applies). Returns -1. */
int scenario_fail_at(const scenario_t *sc, const char *path, diag_t *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The opening of the one-paragraph description `oastwin validate` prints (name, seed, fidelity,
 * accelerator); the platform and the workload add their sentences. */
void scenario_describe(const scenario_t *sc, FILE *f);
/* The scenario reference (docs/scenario-reference.md) generated from the schema table. */
void scenario_schema_markdown(FILE *f);

const char *fidelity_name(fidelity f);
/* The name of value V of enumerated key PATH ("workload.algorithm"), or "?" . */
const char *scenario_enum_name(const char *path, int v);

#endif
