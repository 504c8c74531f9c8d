/* The OAS scorecard (`oastwin scorecard`): one versioned battery that rates a supernode design (a
 * scenario without a workload) on interconnect, training, inference, efficiency and resilience.
 * Each design goes through the same sub-runs (child `oastwin bench` / `oastwin run` processes,
 * and `oastwin scorecard run-degraded` for a failed component), and every figure of the card
 * has a unit and a better direction. docs/scorecard.md is the battery's definition.
 * Invariant: a card depends only on the design file, SCORECARD_BATTERY_VERSION, the program and
 * the Azure trace file; never on -j, completion order or where the files are written.
 * Ownership: sc_design_load() fills a caller-owned sc_design freed by sc_design_free(); the
 * metric table is static; every string inside a design belongs to it. */
#ifndef OAS_SCORECARD_H
#define OAS_SCORECARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "diag.h"

#define SCORECARD_BATTERY_VERSION 1

/* ---- the battery's metrics (scorecard_battery.c) ---- */

typedef enum sc_dir { SC_HIGHER, SC_LOWER } sc_dir;

typedef struct sc_metric {
    const char *category; /* "interconnect", "training", "inference", "efficiency", "resilience" */
    const char *name;     /* "busbw_allreduce_1MiB_supernode" */
    const char *unit;     /* SI: "B/s", "s", "W", "J", "1", "1/s", "1/d" */
    sc_dir dir;
    const char *doc;
} sc_metric;

size_t sc_nmetrics(void);
const sc_metric *sc_metric_at(size_t i);
/* Index of metric NAME, or -1. */
long sc_metric_index(const char *name);
const char *sc_dir_name(sc_dir d); /* "higher" or "lower" */
/* The categories in card order; *N receives their number. */
const char *const *sc_categories(size_t *n);

/* ---- battery constants (docs/scorecard.md, "The battery"; sources there) ---- */

#define SC_RATE_PER_ACCEL_HZ 0.25   /* inference arrivals per accelerator per second */
#define SC_ARRIVAL_WINDOW_S 200.0   /* seconds of arrivals of each inference load */
#define SC_SLO_TTFT_S 0.450         /* MLPerf Inference v5.0 Llama-2-70B interactive TTFT */
#define SC_SLO_TPOT_S 0.040         /* ... and TPOT */
#define SC_SYNTH_PROMPT 1024        /* synthetic load: prompt tokens */
#define SC_SYNTH_OUTPUT 128         /* synthetic load: output tokens */
#define SC_GOODPUT_HORIZON "30 d"   /* job length of the reference-failure-rate run */
#define SC_GOODPUT_SPARES 1         /* spare nodes of that run: one node failure never waits for repair */

/* ---- sub-runs ---- */

typedef enum sc_run_id {
    SC_RUN_BENCH_SUPERNODE,
    SC_RUN_BENCH_NODE,
    SC_RUN_TRAIN_DENSE,
    SC_RUN_TRAIN_MOE,
    SC_RUN_INFER_SYNTH,
    SC_RUN_INFER_AZURE,
    SC_RUN_GOODPUT,
    SC_RUN_DOWN_OPTICAL_BENCH,
    SC_RUN_DOWN_OPTICAL_TRAIN,
    SC_RUN_DOWN_SWITCH_BENCH,
    SC_RUN_DOWN_SWITCH_TRAIN,
    SC_RUN_DOWN_PLANE_BENCH,
    SC_RUN_DOWN_PLANE_TRAIN,
    SC_RUN__COUNT
} sc_run_id;

typedef enum sc_run_status { SC_ST_PLANNED, SC_ST_SKIPPED, SC_ST_OK, SC_ST_FAILED } sc_run_status;

/* The failed components of the resilience runs. */
typedef enum sc_comp { SC_COMP_OPTICAL, SC_COMP_SWITCH, SC_COMP_PLANE, SC_COMP__COUNT } sc_comp;

const char *sc_run_name(sc_run_id r);       /* "bench-supernode", "down-switch-train", ... */
const char *sc_run_status_name(sc_run_status s); /* "planned", "skipped", "ok", "failed" */
const char *sc_comp_name(sc_comp c);        /* "optical_link", "switch", "plane" */

typedef struct sc_run {
    sc_run_status status;
    char note[320];   /* layout or parameters; why skipped or failed */
    char trace[512];  /* as usable from the current directory */
    char log[512];
    char **sets;      /* "key=value" overrides (owned) */
    size_t nsets;
    char *down;       /* degraded runs: physical link list "3,7-9" (owned) */
} sc_run;

/* A parallel layout chosen by rule (scorecard_layout.c). */
typedef struct sc_train_layout {
    bool ok;
    int64_t tp, pp, dp, ep, global_batch;
    int recompute;    /* 1 selective, 2 full */
    char text[256];   /* "TP8 PP8 DP6, selective recompute, 384 sequences" or why none fits */
} sc_train_layout;

typedef struct sc_serve_layout {
    bool ok;
    int64_t tp, replicas, synth_count;
    double rate_Hz;          /* arrivals per second, whole design */
    double azure_rate_scale; /* Azure trace: arrival rate multiplier */
    double azure_window_s;   /* ... window of the file's time (0: whole file) */
    char text[256];
} sc_serve_layout;

/* A component failed for the resilience runs (scorecard_topo.c). */
typedef struct sc_down {
    bool applies;     /* false: the design has no such component (no optics, no planes) */
    bool cut;         /* failing it leaves a route with no bandwidth (static routes cannot avoid it) */
    char what[160];   /* "L1 chip sn0_l1_node0_plane0 (24 links)" or why it does not apply */
    int64_t *links;   /* physical link ids (owned) */
    size_t nlinks;
} sc_down;

typedef struct sc_design {
    char *path;
    char name[128];   /* the scenario's name */
    char key[128];    /* file-name-safe form of NAME */
    char kind[16];    /* topology kind */
    int64_t accelerators, per_node, per_supernode, supernodes, planes;
    char *runs_dir;   /* where its sub-runs write ("cards.runs/NAME") */
    sc_train_layout dense, moe;
    sc_serve_layout serve;
    sc_down down[SC_COMP__COUNT];
    sc_run runs[SC_RUN__COUNT];
    double *value;    /* [sc_nmetrics()], NaN when not measured */
} sc_design;

/* Options of one battery run. */
typedef struct sc_opts {
    const char *exe;         /* the oastwin binary the sub-runs execute */
    const char *azure_trace; /* the Azure LLM conversation trace (CSV) */
    const char *runs_root;   /* directory of every design's sub-runs */
    int jobs;
    bool quiet;
} sc_opts;

/* Reads DESIGN at PATH: checks it holds only design sections (schema_version, name, hardware,
 * topology, power, cooling, storage) and loads as a scenario; fills D's identity and sizes.
 * Errors are "FILE:LINE:COL: error: ...". */
int sc_design_load(const char *path, sc_design *d, diag_t *err);
void sc_design_free(sc_design *d);

/* ---- layouts by rule (scorecard_layout.c) ---- */

/* The common overrides of every sub-run (fidelity, seed, sampling): "key=value" strings. */
const char *const *sc_common_sets(size_t *n);
/* Chooses the training layout of the dense (MOE false) or MoE reference model on D's design by
 * the documented rule: the first candidate that loads and passes the workload's checks. */
int sc_train_layout_choose(const sc_design *d, bool moe, sc_train_layout *out, diag_t *err);
/* Chooses the serving layout and load; AZURE_RATE_HZ and AZURE_SPAN_S describe the trace. */
int sc_serve_layout_choose(const sc_design *d, double azure_rate_Hz, double azure_span_s, sc_serve_layout *out,
                           diag_t *err);
/* Appends the overrides of run R (training, inference, goodput...) to *SETS. 0 or -1. */
int sc_run_sets(const sc_design *d, sc_run_id r, const char *azure_trace, char ***sets, size_t *nsets);

/* ---- components and degraded runs (scorecard_topo.c, scorecard_degraded.c) ---- */

/* Writes D's topology tables to D->runs_dir/topology.h5 and chooses the failed components. */
int sc_topology_prepare(sc_design *d, diag_t *err);
/* Chooses the components from a topology in TOPO_H5 (tables /topology/links, /nodes, /sim_links):
 * the lowest-id scale-up optical link of supernode 0; the lowest-id tier-1 switch of supernode 0
 * with all its links; every scale-up link of plane 0 of supernode 0 (PLANES > 1 only). */
int sc_components_choose(const char *topo_h5, int64_t planes, sc_down down[SC_COMP__COUNT], diag_t *err);
/* One string column of the compound table TABLE in PATH (h5read reads numeric columns only):
 * *OUT is one malloc'd block of *N pointers followed by the strings. 0 or -1. */
int sc_h5_str_column(const char *path, const char *table, const char *col, char ***out, size_t *n, diag_t *err);
/* "3,7-9" from sorted ids (malloc'd), and back (sorted, unique; *IDS malloc'd). */
char *sc_links_format(const int64_t *ids, size_t n);
int sc_links_parse(const char *text, int64_t **ids, size_t *n, diag_t *err);
/* `oastwin scorecard run-degraded SCENARIO --down LIST ...` (ARGV[1] is "run-degraded"). */
int sc_degraded_main(int argc, char **argv);

/* ---- the battery (scorecard_cli.c) ---- */

/* Plans, runs (at most O->jobs sub-runs at once) and collects every design of DS. Returns 0,
 * 1 when some sub-run failed (its figures are NaN), or -1 with ERR on a setup failure. */
int sc_rate(sc_design *ds, size_t n, const sc_opts *o, diag_t *err);
/* `oastwin scorecard ...` (ARGV[0] is "scorecard"). Returns the exit status. */
int scorecard_main(int argc, char **argv);

/* ---- collecting figures (scorecard_collect.c) ---- */

/* Fills D->value from its sub-runs' traces (ok runs only). 0, or -1 on an unreadable trace. */
int sc_collect(sc_design *d, diag_t *err);

/* ---- output (scorecard_out.c, scorecard_html.c) ---- */

typedef enum sc_format { SC_FMT_TEXT, SC_FMT_MD, SC_FMT_CSV, SC_FMT_JSON } sc_format;

int sc_format_parse(const char *s, sc_format *f);
/* Prints the cards side by side (text, md), long (csv) or as one JSON document. */
void sc_print(FILE *out, const sc_design *ds, size_t n, sc_format f);
/* A value for people: SI prefix by unit ("392 GB/s", "1.2 us", "45.1 %"); "n/a" for NaN. */
char *sc_value_text(double v, const char *unit, char *buf, size_t len);
/* Writes the cards to PATH (HDF5, atomically); trace paths relative to PATH's directory. */
int sc_write_h5(const char *path, const sc_design *ds, size_t n, const char *azure_sha256, diag_t *err);
/* The self-contained HTML page: tables and a radar chart per category. */
int sc_write_html(const char *path, const sc_design *ds, size_t n, diag_t *err);

#endif
