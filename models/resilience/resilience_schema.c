/* Scenario keys of the job timeline (resilience.*): whether to run it, over what horizon or
 * amount of work, the checkpoint policy and the recovery delays. Sources of the defaults are in
 * docs/sources.md, "Resilience and storage". */
#include "scenario.h"

#define OFF(m) offsetof(scenario_t, resilience.m)
#define BIG 1e300
#define WHEN_ON "resilience.mode=timeline"

static const char *const MODES[] = {"off", "timeline", NULL};
static const char *const POLICIES[] = {"auto", "interval", "never", NULL};
static const char *const FAILOVERS[] = {"reroute", "stop", NULL};

static const field FIELDS[] = {
    {"resilience.mode", F_ENUM, DIM_NONE, OFF(mode), 0, MODES, "off", 0, 0, false,
     "`timeline`: after the workload's detailed iterations, which measure the iteration time (and the cost of "
     "any network failure that falls in them), the same run continues the job over `horizon` or `iterations` on "
     "SimGrid's clock with checkpoints, the failures of `failures.*`, detection, restart and restore, and "
     "reports goodput (docs/models.md, 'Resilience'). Training and dp_allreduce workloads. Inference: the "
     "failures take replicas down during the serving run, their requests are rerouted, and the replica is back "
     "after detection, restart and reloading its weights (docs/inference.md, 'Failures'); `horizon`, "
     "`iterations`, `checkpoint.*` and `activity` are then not used.",
     NULL, NULL, NULL},
    {"resilience.horizon", F_QTY, DIM_TIME, OFF(horizon_s), 0, NULL, "0 s", 0, BIG, false,
     "Wall-clock length of the job, from the start of the run. `0 s`: until the work is done.", WHEN_ON, NULL,
     NULL},
    {"resilience.iterations", F_INT, DIM_NONE, OFF(iterations), 0, NULL, "0", 0, 1e15, false,
     "Iterations the job must complete (the detailed ones included). `0`: from `workload.train_tokens` when "
     "set, else no limit (then `horizon` is needed).",
     WHEN_ON, NULL, NULL},
    {"resilience.checkpoint.policy", F_ENUM, DIM_NONE, OFF(policy), 0, POLICIES, "auto", 0, 0, false,
     "`auto`: checkpoint every Young interval sqrt(2 x stall x job MTBF), from the measured stall and the "
     "failure rates; `interval`: every `interval` of work; `never`. Intervals are rounded to whole iterations.",
     WHEN_ON, NULL, NULL},
    {"resilience.checkpoint.interval", F_QTY, DIM_TIME, OFF(interval_s), 0, NULL, NULL, 0, BIG, true,
     "Useful work between two checkpoints (rounded to a whole number of iterations, at least one).",
     "resilience.checkpoint.policy=interval", NULL, NULL},
    {"resilience.detection", F_QTY, DIM_TIME, OFF(detection_s), 0, NULL, "2 min", 0, BIG, false,
     "From a failure until the job is known to be down and torn down (error reporting, collective timeouts). "
     "Default: assumption between seconds-level active detection (FlashRecovery) and minutes-long watchdog "
     "timeouts (docs/sources.md).",
     WHEN_ON, NULL, NULL},
    {"resilience.restart", F_QTY, DIM_TIME, OFF(restart_s), 0, NULL, "8 min", 0, BIG, false,
     "Relaunching the job: rescheduling, starting processes and containers, rebuilding communicators, "
     "compiling (the checkpoint read is separate). Default: assumption; FlashRecovery restores 4,800 devices "
     "in 150 s with a purpose-built stack (docs/sources.md).",
     WHEN_ON, NULL, NULL},
    {"resilience.spares", F_INT, DIM_NONE, OFF(spares), 0, NULL, "0", 0, 1e9, false,
     "Spare nodes: a failed node (accelerator, HBM, host) is replaced at once while a spare is left; failed "
     "nodes come back after their `failures.*.repair`. `0`: every node failure waits for its repair.",
     WHEN_ON, NULL, NULL},
    {"resilience.activity", F_BOOL, DIM_NONE, OFF(activity), 0, NULL, "true", 0, 0, false,
     "Show the job's accelerators computing while it runs on the timeline and idle while it is down, so the "
     "power model integrates the whole job (running and checkpoint stalls count as computing: an upper bound "
     "on energy).",
     WHEN_ON, NULL, NULL},
    {"resilience.network_failover", F_ENUM, DIM_NONE, OFF(network_failover), 0, FAILOVERS, "reroute", 0, 0, false,
     "What a switch, optical module or plane failure that leaves a path does to a running job. `reroute`: "
     "traffic moves to the surviving planes and links and the job runs on, slower, until the part is repaired "
     "(multi-plane hardware, transports that fail over). `stop`: the job stops and restarts like for a node "
     "failure, as collective libraries without fault tolerance do when a path dies under them (the Llama 3 "
     "report counts every network switch and cable failure as an interruption). Link flaps always degrade.",
     WHEN_ON, NULL, NULL},
};

/* Inference: the serving run ends when its requests are done and has no checkpoint; the keys of
 * the job timeline are refused when set to anything but their defaults (they would be ignored). */
static int check_inference(scenario_t *sc, diag_t *err)
{
    const resilience_spec *r = &sc->resilience;
    const char *key = r->horizon_s > 0                                 ? "resilience.horizon"
                      : r->iterations > 0                              ? "resilience.iterations"
                      : r->policy != RS_CKPT_AUTO                      ? "resilience.checkpoint.policy"
                      : !r->activity                                   ? "resilience.activity"
                      : sc->storage.ckpt.size_B > 0                    ? "storage.checkpoint.size"
                      : sc->storage.ckpt.mode != ST_CKPT_SYNC          ? "storage.checkpoint.mode"
                      : sc->storage.ckpt.tier != ST_TIER_PFS           ? "storage.checkpoint.tier"
                      /* against the defaults of models/storage/storage_schema.c: a value other than
                       * the default was written, and serving would not use it */
                      : sc->storage.ckpt.bytes_per_param != 16.0       ? "storage.checkpoint.bytes_per_parameter"
                      : sc->storage.data.bytes_per_token != 4.0        ? "storage.data.bytes_per_token"
                                                                       : NULL;
    if (key)
        return scenario_fail_at(sc, key, err,
                                "'%s' belongs to a training job timeline; an inference workload serves its requests "
                                "and reloads weights, it has no horizon, iterations or checkpoints",
                                key);
    return 0;
}

static int check(scenario_t *sc, diag_t *err)
{
    const resilience_spec *r = &sc->resilience;
    if (r->mode != RS_MODE_TIMELINE)
        return 0;
    if (sc->wl.kind == WL_COLLBENCH)
        return 0; /* `oastwin topo` and `oastwin bench` replace the workload: no job to follow */
    if (sc->wl.kind == WL_INFERENCE)
        return check_inference(sc, err);
    if (sc->wl.kind != WL_TRAINING && sc->wl.kind != WL_DP_ALLREDUCE)
        return scenario_fail_at(sc, "resilience.mode", err,
                                "'resilience.mode' timeline needs a training, dp_allreduce or inference workload, "
                                "not %s",
                                scenario_enum_name("workload.kind", (int)sc->wl.kind));
    bool tokens = sc->wl.kind == WL_TRAINING && sc->wl.training.train_tokens > 0;
    if (!(r->horizon_s > 0) && r->iterations == 0 && !tokens)
        return scenario_fail_at(sc, "resilience.horizon", err,
                                "the job timeline needs an end: 'resilience.horizon', 'resilience.iterations' or "
                                "'workload.train_tokens'");
    if (sc->wl.kind == WL_DP_ALLREDUCE && !(sc->storage.ckpt.size_B > 0))
        return scenario_fail_at(sc, "resilience.mode", err,
                                "a dp_allreduce workload has no model to size its checkpoint: give "
                                "'storage.checkpoint.size'");
    if (sc->run.stop_sim_time_s > 0)
        return scenario_fail_at(sc, "run.stop.sim_time", err,
                                "'run.stop.sim_time' would cut the job timeline; use 'resilience.horizon'");
    return 0;
}

const schema_part schema_part_resilience = {"resilience", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
