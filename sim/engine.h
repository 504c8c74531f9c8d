/* The engine: SimGrid set-up and run for one scenario, and the services every model shares
 * while it runs: the accelerator activity tracker (computing / communicating / idle, feeding the
 * sampler and the energy account), compute phases with the roofline, progress reporting.
 * One clock: SimGrid's. SimGrid can be initialised once per process, so engine_run() is too.
 * Ownership: the engine borrows the scenario, platform and trace for the length of the run. */
#ifndef OAS_ENGINE_H
#define OAS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "platform.h"
#include "scenario.h"
#include "trace.h"

typedef enum acc_state { ACC_IDLE, ACC_COMPUTE, ACC_COMM, ACC__NSTATES } acc_state;

typedef struct engine_stats {
    double sim_time_s;
    uint64_t transfers;   /* point-to-point transfers simulated (flows, or priced analytically) */
    uint64_t actors;
    bool stopped_early;   /* run.stop.sim_time reached before the workload ended */
} engine_stats;

typedef struct engine_opts {
    bool progress;        /* print progress lines on stderr */
} engine_opts;

int engine_run(const scenario_t *sc, const platform_t *plat, trace_t *t, const engine_opts *opts,
               engine_stats *st, diag_t *err);

/* ---- for models, valid during engine_run ---- */
const scenario_t *engine_scenario(void);
const platform_t *engine_platform(void);
trace_t *engine_trace(void);
void engine_count_transfers(uint64_t n);
/* Marks accelerator ACC as being in STATE from now on. */
void engine_set_state(int32_t acc, acc_state state);
/* Total time accelerator ACC has spent in STATE up to now. */
double engine_state_time(int32_t acc, acc_state state);
/* Runs a compute phase on the calling actor's accelerator: FLOP at the scenario's efficiency
 * and HBM_BYTES of memory traffic, timed by the roofline and executed on the SimGrid host (so a
 * slower performance state slows it down). Returns its duration. */
double engine_compute(int32_t acc, double flop, double hbm_bytes, double efficiency);
/* The workload calls this when its last actor finishes its work (stops the sampler). */
void engine_workload_done(void);
/* Progress: DONE of TOTAL work units at the current simulated time. */
void engine_progress(double done, double total);
/* Cheap to call often (e.g. every collective step): prints a progress line on stderr at most
 * twice a second, after the first second, when progress is enabled. */
void engine_progress_tick(void);

#endif
