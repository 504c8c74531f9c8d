/* The scorecard's battery: its metric table (category, name, unit, better direction, meaning),
 * the names of its sub-runs and components, and the loading of a design. Invariant: the table's
 * order and content are battery version SCORECARD_BATTERY_VERSION; changing any entry or what it
 * measures means a new version (docs/scorecard.md). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "scenario.h"
#include "scorecard.h"
#include "yamltree.h"

/* ---- the metric table ---- */

static const char *const CATEGORIES[] = {"interconnect", "training", "inference", "efficiency", "resilience"};

static const char *const OPS[] = {"allreduce", "allgather", "reducescatter", "alltoall"};
static const char *const SIZES[] = {"1MiB", "64MiB", "1GiB"};
static const char *const SCOPES[] = {"supernode", "node"};
enum { NBUSBW = 2 * 4 * 3 };

static const sc_metric FIXED[] = {
    {"interconnect", "p2p_latency_mean", "s", SC_LOWER,
     "mean accelerator-to-accelerator route latency over ordered pairs (links, serdes, propagation, switch hops; "
     "no queueing)"},
    {"interconnect", "p2p_latency_max", "s", SC_LOWER, "worst accelerator-to-accelerator route latency"},
    {"interconnect", "bisection_bw_per_accelerator", "B/s", SC_HIGHER,
     "bisection bandwidth of one supernode per direction, divided by its accelerators"},
    {"training", "mfu_dense", "1", SC_HIGHER, "model FLOPs utilisation of one iteration of the dense reference model"},
    {"training", "exposed_comm_fraction_dense", "1", SC_LOWER,
     "share of the dense model's iteration spent in communication not hidden by compute"},
    {"training", "tokens_per_s_per_accelerator_dense", "1/s", SC_HIGHER,
     "training tokens per second of the dense model, per accelerator"},
    {"training", "mfu_moe", "1", SC_HIGHER, "model FLOPs utilisation of one iteration of the MoE reference model"},
    {"training", "exposed_comm_fraction_moe", "1", SC_LOWER,
     "share of the MoE model's iteration spent in communication not hidden by compute"},
    {"training", "tokens_per_s_per_accelerator_moe", "1/s", SC_HIGHER,
     "training tokens per second of the MoE model, per accelerator"},
    {"inference", "goodput_per_accelerator_synthetic", "1/s", SC_HIGHER,
     "synthetic load: requests per second completed within both SLO targets, per accelerator"},
    {"inference", "output_tokens_per_s_per_accelerator_synthetic", "1/s", SC_HIGHER,
     "synthetic load: generated tokens per second, per accelerator"},
    {"inference", "slo_attainment_synthetic", "1", SC_HIGHER,
     "synthetic load: share of requests completed within both SLO targets"},
    {"inference", "ttft_p99_synthetic", "s", SC_LOWER, "synthetic load: 99th percentile time to first token"},
    {"inference", "tpot_p99_synthetic", "s", SC_LOWER, "synthetic load: 99th percentile time per output token"},
    {"inference", "goodput_per_accelerator_azure", "1/s", SC_HIGHER,
     "Azure conversation trace: requests per second completed within both SLO targets, per accelerator"},
    {"inference", "output_tokens_per_s_per_accelerator_azure", "1/s", SC_HIGHER,
     "Azure conversation trace: generated tokens per second, per accelerator"},
    {"inference", "slo_attainment_azure", "1", SC_HIGHER,
     "Azure conversation trace: share of requests completed within both SLO targets"},
    {"inference", "ttft_p99_azure", "s", SC_LOWER, "Azure conversation trace: 99th percentile time to first token"},
    {"inference", "tpot_p99_azure", "s", SC_LOWER, "Azure conversation trace: 99th percentile time per output token"},
    {"efficiency", "power_peak_per_accelerator", "W", SC_LOWER,
     "highest facility power (IT, conversion, cooling) during the dense training iteration, per accelerator"},
    {"efficiency", "power_mean_per_accelerator", "W", SC_LOWER,
     "mean facility power during the dense training iteration, per accelerator"},
    {"efficiency", "pue", "1", SC_LOWER, "power usage effectiveness of the dense training iteration: facility / IT energy"},
    {"efficiency", "energy_per_training_token_dense", "J", SC_LOWER,
     "facility energy per token of the dense model's training iteration"},
    {"efficiency", "energy_per_training_token_moe", "J", SC_LOWER,
     "facility energy per token of the MoE model's training iteration"},
    {"efficiency", "energy_per_generated_token", "J", SC_LOWER,
     "facility energy of the Azure-trace serving run per generated token"},
    {"efficiency", "optical_modules", "1", SC_LOWER, "optical modules of the design (one per module end)"},
    {"efficiency", "optical_modules_per_accelerator", "1", SC_LOWER, "optical modules per accelerator"},
    {"efficiency", "optics_power_share", "1", SC_LOWER,
     "power of all optical modules / mean IT power of the dense training iteration"},
};

static const sc_metric RESILIENCE_TAIL[] = {
    {"resilience", "goodput_reference_failures", "1", SC_HIGHER,
     "useful work / wall-clock time of a " SC_GOODPUT_HORIZON " dense training job under the reference failure rates "
     "(checkpoints, detection, restart, restore)"},
    {"resilience", "interruptions_per_day", "1/d", SC_LOWER,
     "job interruptions per day of that run"},
};

enum { NFIXED = sizeof FIXED / sizeof FIXED[0], NRES = 3 * SC_COMP__COUNT };
enum { NMETRICS = NBUSBW + NFIXED + NRES + 2 };

static sc_metric TABLE[NMETRICS];
static char NAMES[NBUSBW + NRES][64];
static char DOCS[NBUSBW + NRES][200];
static bool built;

static const char *const COMP_NAMES[SC_COMP__COUNT] = {"optical_link", "switch", "plane"};
static const char *const COMP_DOCS[SC_COMP__COUNT] = {
    "one optical link of supernode 0 down", "one tier-1 switch chip of supernode 0 down (all its links)",
    "plane 0 of supernode 0 down (all its links)"};

static void build(void)
{
    if (built)
        return;
    size_t k = 0, s = 0;
    for (size_t sc = 0; sc < 2; sc++)
        for (size_t o = 0; o < 4; o++)
            for (size_t z = 0; z < 3; z++, s++) {
                snprintf(NAMES[s], sizeof NAMES[s], "busbw_%s_%s_%s", OPS[o], SIZES[z], SCOPES[sc]);
                snprintf(DOCS[s], sizeof DOCS[s],
                         "bus bandwidth (nccl-tests) of %s at %s, every %s one group, all groups at once", OPS[o],
                         SIZES[z], SCOPES[sc]);
                TABLE[k++] = (sc_metric){"interconnect", NAMES[s], "B/s", SC_HIGHER, DOCS[s]};
            }
    for (size_t i = 0; i < 3; i++)
        TABLE[k++] = FIXED[i];
    for (size_t i = 3; i < NFIXED; i++)
        TABLE[k++] = FIXED[i];
    static const char *const WHAT[3] = {"allreduce_busbw_loss", "alltoall_busbw_loss", "iteration_time_loss"};
    static const char *const WDOC[3] = {
        "1 - bus bandwidth of a 1 GiB all-reduce over the supernode with %s / healthy",
        "1 - bus bandwidth of a 1 GiB all-to-all over the supernode with %s / healthy",
        "dense training iteration time with %s / healthy - 1"};
    for (size_t c = 0; c < SC_COMP__COUNT; c++)
        for (size_t w = 0; w < 3; w++, s++) {
            snprintf(NAMES[s], sizeof NAMES[s], "%s_%s", WHAT[w], COMP_NAMES[c]);
            snprintf(DOCS[s], sizeof DOCS[s], WDOC[w], COMP_DOCS[c]);
            TABLE[k++] = (sc_metric){"resilience", NAMES[s], "1", SC_LOWER, DOCS[s]};
        }
    TABLE[k++] = RESILIENCE_TAIL[0];
    TABLE[k++] = RESILIENCE_TAIL[1];
    built = true;
}

size_t sc_nmetrics(void)
{
    return NMETRICS;
}

const sc_metric *sc_metric_at(size_t i)
{
    build();
    return i < NMETRICS ? &TABLE[i] : NULL;
}

long sc_metric_index(const char *name)
{
    build();
    for (size_t i = 0; i < NMETRICS; i++)
        if (!strcmp(TABLE[i].name, name))
            return (long)i;
    return -1;
}

const char *sc_dir_name(sc_dir d)
{
    return d == SC_HIGHER ? "higher" : "lower";
}

const char *const *sc_categories(size_t *n)
{
    *n = sizeof CATEGORIES / sizeof CATEGORIES[0];
    return CATEGORIES;
}

/* ---- sub-runs and components ---- */

static const char *const RUN_NAMES[SC_RUN__COUNT] = {
    "bench-supernode",    "bench-node",        "train-dense",        "train-moe",          "infer-synthetic",
    "infer-azure",        "goodput",           "down-optical-bench", "down-optical-train", "down-switch-bench",
    "down-switch-train",  "down-plane-bench",  "down-plane-train"};

const char *sc_run_name(sc_run_id r)
{
    return r < SC_RUN__COUNT ? RUN_NAMES[r] : "?";
}

const char *sc_run_status_name(sc_run_status s)
{
    static const char *const N[] = {"planned", "skipped", "ok", "failed"};
    return (unsigned)s < 4 ? N[s] : "?";
}

const char *sc_comp_name(sc_comp c)
{
    return c < SC_COMP__COUNT ? COMP_NAMES[c] : "?";
}

/* ---- designs ---- */

/* Not `seed`: every sub-run uses the battery's, so that all designs see the same draws. */
static const char *const DESIGN_SECTIONS[] = {"schema_version", "name",  "hardware", "topology",
                                              "power",          "cooling", "storage"};

/* The top-level keys of PATH must be design sections. */
static int check_sections(const char *path, diag_t *err)
{
    ynode *root = yt_load_file(path, NULL, err);
    if (!root)
        return -1;
    int rc = 0;
    if (root->kind != YN_MAP) {
        rc = diag_fail_at(err, root->file, root->line, root->col, "a design must be a mapping of sections");
        goto out;
    }
    for (size_t i = 0; i < root->n; i++) {
        bool known = false;
        for (size_t k = 0; k < sizeof DESIGN_SECTIONS / sizeof DESIGN_SECTIONS[0]; k++)
            known = known || !strcmp(root->keys[i], DESIGN_SECTIONS[k]);
        if (!known) {
            rc = diag_fail_at(err, root->key_file[i], root->key_line[i], root->key_col[i],
                              "a design holds hardware, topology, power, cooling and storage only; '%s' is "
                              "supplied by the scorecard battery (docs/scorecard.md)",
                              root->keys[i]);
            goto out;
        }
    }
out:
    yt_free(root);
    return rc;
}

int sc_design_load(const char *path, sc_design *d, diag_t *err)
{
    memset(d, 0, sizeof *d);
    if (check_sections(path, err))
        return -1;
    size_t nc;
    const char *const *common = sc_common_sets(&nc);
    const char *sets[16];
    size_t ns = 0;
    for (size_t i = 0; i < nc && ns < 15; i++)
        sets[ns++] = common[i];
    sets[ns++] = "workload.kind=collbench";
    scenario_t sc;
    if (scenario_load(path, sets, ns, &sc, err))
        return -1;
    platform_t *p = platform_build(&sc, err);
    if (!p) {
        scenario_free(&sc);
        return -1;
    }
    d->path = strdup(path);
    d->value = malloc(sc_nmetrics() * sizeof *d->value);
    if (!d->path || !d->value) {
        platform_free(p);
        scenario_free(&sc);
        sc_design_free(d);
        return diag_fail(err, "out of memory");
    }
    for (size_t i = 0; i < sc_nmetrics(); i++)
        d->value[i] = NAN;
    snprintf(d->name, sizeof d->name, "%s", sc.name);
    size_t k = 0;
    for (const char *c = sc.name; *c && k + 1 < sizeof d->key; c++)
        d->key[k++] = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                              *c == '-' || *c == '_' || *c == '.'
                          ? *c
                          : '_';
    d->key[k] = '\0';
    if (!k || d->key[0] == '.') { /* never empty, never hidden */
        char tmp[sizeof d->key];
        memcpy(tmp, d->key, sizeof tmp);
        snprintf(d->key, sizeof d->key, "design%.100s", tmp);
    }
    snprintf(d->kind, sizeof d->kind, "%s", scenario_enum_name("topology.kind", (int)sc.topo.kind));
    d->accelerators = platform_accelerators(p);
    d->per_node = platform_accels_per_node(p);
    d->per_supernode = platform_accels_per_supernode(p);
    d->supernodes = platform_supernodes(p);
    d->planes = sc.topo.kind == TOPO_SWITCHED || sc.topo.kind == TOPO_CLOS2 ? sc.topo.planes : 1;
    platform_free(p);
    scenario_free(&sc);
    return 0;
}

void sc_design_free(sc_design *d)
{
    free(d->path);
    free(d->value);
    free(d->runs_dir);
    for (size_t c = 0; c < SC_COMP__COUNT; c++)
        free(d->down[c].links);
    for (size_t r = 0; r < SC_RUN__COUNT; r++) {
        for (size_t i = 0; i < d->runs[r].nsets; i++)
            free(d->runs[r].sets[i]);
        free(d->runs[r].sets);
        free(d->runs[r].down);
    }
    memset(d, 0, sizeof *d);
}
