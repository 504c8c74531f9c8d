/* Scenario keys of the failure model (failures.*): one process per class of component and an
 * explicit schedule (a list of mappings bound element by element). Default rates are per
 * component, derived from the Llama 3 405B pre-training report (419 unexpected interruptions in
 * 54 days on 16,384 H100 in 2,048 hosts; docs/sources.md "Resilience"); optical modules take
 * their FIT from topology.media. Only present when resilience.mode = timeline. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "failure/failure.h"
#include "scenario.h"

#define OFF(m) offsetof(scenario_t, failures.m)
#define BIG 1e300
#define WHEN_ON "resilience.mode=timeline"

static const char *const DISTS[] = {"none", "exponential", "weibull", NULL};
static const char *const CLASSES[] = {"accelerator", "hbm", "host", "switch", "optics", "link_flap", "software", "plane", NULL};

/* The keys every class has: its process (distribution, mtbf or fit, Weibull shape), how many
 * components (N "count" keys only where the platform decides), and repair. */
#define PROCESS_FIELDS(name, k, def_dist, def_mtbf, doc)                                                            \
    {"failures." name ".distribution", F_ENUM, DIM_NONE, OFF(cls[k].dist), 0, DISTS, def_dist, 0, 0, false,       \
     "Failure process of each " name ": `none`, `exponential` (constant rate) or `weibull` (renewal with Weibull " \
     "gaps: shape < 1 for early failures, > 1 for wear-out). " doc,                                                \
     WHEN_ON, NULL, NULL},                                                                                         \
    {"failures." name ".mtbf", F_QTY, DIM_TIME, OFF(cls[k].mtbf_s), 0, NULL, def_mtbf, 0, BIG, false,             \
     "Mean time between failures of one " name " (the mean gap, also for Weibull); `fit` replaces it when set.",   \
     "failures." name ".distribution=exponential|weibull", NULL, NULL},                                            \
    {"failures." name ".fit", F_QTY, DIM_NONE, OFF(cls[k].fit), 0, NULL, "0", 0, BIG, false,                       \
     "Failure rate of one " name " in FIT (failures per 10^9 hours); when positive it replaces `mtbf`.",           \
     "failures." name ".distribution=exponential|weibull", NULL, NULL},                                            \
    {"failures." name ".weibull_shape", F_QTY, DIM_NONE, OFF(cls[k].shape), 0, NULL, "1", 0.05, 20, false,         \
     "Weibull shape k of the gaps between failures of one " name " (1 = exponential).",                            \
     "failures." name ".distribution=weibull", NULL, NULL}

#define COUNT_FIELD(name, k, what)                                                                                 \
    {"failures." name ".count", F_INT, DIM_NONE, OFF(cls[k].count), 0, NULL, "0", 0, 1e12, false,                   \
     "Components that can fail. `0`: what the platform has (" what ").",                                            \
     "failures." name ".distribution=exponential|weibull", NULL, NULL}

#define REPAIR_FIELD(name, k, def, doc)                                                                            \
    {"failures." name ".repair", F_QTY, DIM_TIME, OFF(cls[k].repair_s), 0, NULL, def, 0, BIG, false,               \
     "Time until a failed " name " is back in service (drawn and scheduled failures). " doc, WHEN_ON, NULL, NULL}

static int bind_schedule(void *base, const ynode *node, const field *f, diag_t *err);

static const field FIELDS[] = {
    PROCESS_FIELDS("accelerator", FL_ACCELERATOR, "exponential", "108334 h",
                   "Default MTBF: Llama 3 405B saw 196 accelerator failures (faulty GPU 148, SRAM 19, GPU system "
                   "processor 17, thermal interface/sensor 6, silent data corruption 6) in 54 days on 16,384 GPUs."),
    COUNT_FIELD("accelerator", FL_ACCELERATOR, "every accelerator"),
    REPAIR_FIELD("accelerator", FL_ACCELERATOR, "24 h",
                 "Matters only when no spare node is left: the job then waits for it. Default: a day to swap a "
                 "board (assumption, docs/sources.md)."),
    PROCESS_FIELDS("hbm", FL_HBM, "exponential", "294912 h",
                   "Default MTBF: 72 HBM3 failures in 54 days on 16,384 GPUs (Llama 3 405B)."),
    COUNT_FIELD("hbm", FL_HBM, "one per accelerator"),
    REPAIR_FIELD("hbm", FL_HBM, "24 h", "Default: as an accelerator."),
    PROCESS_FIELDS("host", FL_HOST, "exponential", "50080 h",
                   "Default MTBF: 53 host-side failures (host maintenance 32, NIC 7, SSD 3, power supply 3, chassis "
                   "2, IO board 2, CPU 2, system memory 2) in 54 days on 2,048 hosts (Llama 3 405B)."),
    COUNT_FIELD("host", FL_HOST, "one per node, `topology.accelerators_per_node`"),
    REPAIR_FIELD("host", FL_HOST, "24 h", "Default: as an accelerator."),
    PROCESS_FIELDS("switch", FL_SWITCH, "none", "0 s",
                   "Default `none`: the Llama 3 report counts switches together with cables (35 of 419); give a "
                   "rate per switch chip for the machine studied. A failed switch takes every link it terminates "
                   "(and the circuits an optical circuit switch carries) until repaired: where other planes or "
                   "switches remain the job runs on, slower; where an accelerator or NIC loses its only path the job "
                   "stops and restarts around it."),
    COUNT_FIELD("switch", FL_SWITCH, "every switch chip, scale-up and scale-out"),
    REPAIR_FIELD("switch", FL_SWITCH, "4 h",
                 "The links stay down this long. Default: assumption, a field swap of a switch tray or line card "
                 "with spares on site (docs/sources.md)."),
    PROCESS_FIELDS("optics", FL_OPTICS, "exponential", "0 s",
                   "Default: the mean FIT of the machine's modules, from each medium's `topology.media.*.fit` (mtbf "
                   "`0 s` and fit `0` mean: take it from there). A failed module takes the lanes it carries on its "
                   "link (all of a link no wider than a module) until replaced: the job runs on where that link is "
                   "one of several in a bundle or plane set and stops where it was the only path."),
    COUNT_FIELD("optics", FL_OPTICS, "every optical module end"),
    REPAIR_FIELD("optics", FL_OPTICS, "2 h",
                 "Default: assumption, a hot-pluggable module swapped by on-site staff within hours "
                 "(docs/sources.md)."),
    PROCESS_FIELDS("link_flap", FL_LINK_FLAP, "none", "0 s",
                   "A flap leaves one physical link (one plane of a bundle) at `bandwidth_factor` of its bandwidth "
                   "for `duration`; the job continues, slower. Default `none`: no published rate."),
    COUNT_FIELD("link_flap", FL_LINK_FLAP, "every physical link"),
    {"failures.link_flap.duration", F_QTY, DIM_TIME, OFF(cls[FL_LINK_FLAP].duration_s), 0, NULL, "10 s", 0, BIG, true,
     "How long a flapping link stays degraded (a hard link failure: its repair time); drawn and scheduled flaps.",
     WHEN_ON, NULL, NULL},
    {"failures.link_flap.bandwidth_factor", F_QTY, DIM_NONE, OFF(cls[FL_LINK_FLAP].bw_factor), 0, NULL, "0", 0, 1,
     false, "Share of the link's bandwidth left while it flaps (0: down; 0.5: half its lanes); drawn and scheduled "
     "flaps.",
     WHEN_ON, NULL, NULL},
    PROCESS_FIELDS("software", FL_SOFTWARE, "exponential", "20.57 h",
                   "One process per job. Default MTBF: 63 software interruptions (software bugs 54, NCCL watchdog "
                   "timeouts 7, dependencies 2) in 1,296 hours (Llama 3 405B)."),
    PROCESS_FIELDS("plane", FL_PLANE, "none", "0 s",
                   "A whole scale-up plane of one supernode (its switch chips together: a shared power shelf, "
                   "management or firmware fault) is lost until repaired; the other planes carry its traffic, so "
                   "a multi-plane design runs on, slower, and a single-plane one stops. Default `none`: no "
                   "published rate. Only topologies with planes (switched, clos2)."),
    COUNT_FIELD("plane", FL_PLANE, "planes x supernodes"),
    REPAIR_FIELD("plane", FL_PLANE, "4 h", "Default: as a switch (assumption, docs/sources.md)."),
    {"failures.schedule", F_CUSTOM, DIM_NONE, 0, 0, NULL, "", 0, 0, false,
     "Failures at given times, on top of the drawn ones: a list of mappings with `time` (e.g. `2 h`), `class` "
     "(accelerator, hbm, host, switch, optics, link_flap, software, plane), `component` (index within the "
     "class, default 0; switches and links in /topology/nodes and /topology/links order), `duration` (how long "
     "a flap lasts or the part stays failed; default: the class's) and, for link_flap, `bandwidth_factor`. At "
     "most 256.",
     WHEN_ON, bind_schedule, "list of mappings"},
};

/* ---- failures.schedule ---- */

#define SOFF(m) offsetof(fl_sched_spec, m)
static const field SCHED_FIELDS[] = {
    {"time", F_QTY, DIM_TIME, SOFF(t_s), 0, NULL, NULL, 0, BIG, false, "When, from the start of the run.", NULL, NULL,
     NULL},
    {"class", F_ENUM, DIM_NONE, SOFF(cls), 0, CLASSES, NULL, 0, 0, false, "Class of the failing component.", NULL,
     NULL, NULL},
    {"component", F_INT, DIM_NONE, SOFF(component), 0, NULL, "0", 0, 1e12, false, "Index within its class.", NULL,
     NULL, NULL},
    {"duration", F_QTY, DIM_TIME, SOFF(duration_s), 0, NULL, "-1 s", -1, BIG, false,
     "How long a flap lasts or the failed part stays out (its repair); -1 s: the class's duration or repair.",
     NULL, NULL, NULL},
    {"bandwidth_factor", F_QTY, DIM_NONE, SOFF(bw_factor), 0, NULL, "-1", -1, 1, false,
     "link_flap: share of bandwidth left; -1: failures.link_flap.bandwidth_factor.", NULL, NULL, NULL},
};

static int bind_schedule(void *base, const ynode *node, const field *f, diag_t *err)
{
    (void)f;
    failure_spec *fs = &((scenario_t *)base)->failures;
    fs->nschedule = 0;
    if (!node)
        return 0;
    if (node->kind != YN_SEQ)
        return diag_fail_at(err, node->file, node->line, node->col,
                            "'failures.schedule' must be a list of mappings, not %s",
                            node->kind == YN_MAP ? "a mapping" : "a scalar");
    if (node->n > FL_MAX_SCHEDULE)
        return diag_fail_at(err, node->file, node->line, node->col,
                            "'failures.schedule' has %zu entries; at most %d are allowed", node->n, FL_MAX_SCHEDULE);
    for (size_t i = 0; i < node->n; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "failures.schedule[%zu]", i);
        fl_sched_spec s;
        memset(&s, 0, sizeof s);
        if (schema_bind_map(&s, SCHED_FIELDS, SCHEMA_NFIELDS(SCHED_FIELDS), node->items[i], prefix, err))
            return -1;
        const ynode *it = node->items[i];
        if (s.cls != FL_LINK_FLAP && yt_get(it, "bandwidth_factor")) {
            const ynode *bad = yt_get(it, "bandwidth_factor");
            return diag_fail_at(err, bad->file, bad->line, bad->col,
                                "'%s': bandwidth_factor applies only to class link_flap", prefix);
        }
        if (s.cls == FL_SOFTWARE && yt_get(it, "duration")) {
            const ynode *bad = yt_get(it, "duration");
            return diag_fail_at(err, bad->file, bad->line, bad->col,
                                "'%s': a software failure has no duration (the job restarts)", prefix);
        }
        if (s.cls == FL_SOFTWARE && s.component != 0) {
            const ynode *c = yt_get(it, "component");
            return diag_fail_at(err, c->file, c->line, c->col, "'%s': the job has one software component (0)",
                                prefix);
        }
        s.line = it->line;
        s.col = it->col;
        s.file = it->file;
        fs->schedule[fs->nschedule++] = s;
    }
    return 0;
}

static int check(scenario_t *sc, diag_t *err)
{
    if (sc->resilience.mode != RS_MODE_TIMELINE)
        return 0;
    for (int c = 0; c < FL__NCLASSES; c++) {
        const fl_class_spec *k = &sc->failures.cls[c];
        if (k->dist == FL_DIST_NONE || c == FL_OPTICS)
            continue; /* optics may take its rate from topology.media */
        if (!(k->mtbf_s > 0) && !(k->fit > 0)) {
            char key[64];
            snprintf(key, sizeof key, "failures.%s.mtbf", fl_class_name(c));
            return scenario_fail_at(sc, key, err,
                                    "'failures.%s' has a %s process but neither 'mtbf' nor 'fit' is positive",
                                    fl_class_name(c), DISTS[k->dist]);
        }
    }
    return 0;
}

const schema_part schema_part_failures = {"failures", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
