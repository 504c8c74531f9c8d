/* The engine: SimGrid set-up and run for one scenario, and the services every model shares
 * while it runs: the accelerator activity tracker (computing / communicating / idle, feeding the
 * sampler and the power/thermal plant), compute phases with the roofline, the thermal governor
 * actor, the /events table, progress reporting.
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
    bool interrupted;     /* engine_interrupt() stopped the run */
} engine_stats;

typedef struct engine_opts {
    bool progress;        /* print progress lines on stderr */
    /* Installed for SIGINT, SIGTERM and SIGHUP once SimGrid is initialised (SimGrid changes the
     * dispositions during its own initialisation); NULL leaves them alone. */
    void (*on_signal)(int sig);
    /* Trace limit: once trace_bytes() exceeds it the run stops and engine_run() fails with a
     * message naming LIMIT_WHY ("the 2 GB free on ..."); 0: no limit. */
    size_t trace_limit_B;
    const char *trace_limit_why;
} engine_opts;

int engine_run(const scenario_t *sc, const platform_t *plat, trace_t *t, const engine_opts *opts,
               engine_stats *st, diag_t *err);

/* Async-signal-safe: asks the running simulation to stop at its next progress tick; engine_run
 * then returns normally with st->interrupted set, so a partial trace can be written. */
void engine_interrupt(void);

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
 * and HBM_BYTES of memory traffic, timed by the roofline max(t_flop, t_mem) at the nominal
 * state. The FLOP part is executed on the SimGrid host (so a slower performance state, set by
 * the thermal governor or a power cap, stretches it); the HBM part is not clock-bound. The
 * phase draws compute-bound or memory-bound power (models/power). Returns its duration. */
double engine_compute(int32_t acc, double flop, double hbm_bytes, double efficiency);
/* Appends a row to the generic /events table at the current simulated time: KIND
 * ("throttle_down", "fault", "checkpoint", ...), COMPONENT ("acc3", "rack0", "cdu1"), a VALUE
 * in UNIT ("1" when dimensionless, "" when meaningless) and a human-readable DETAIL.
 * Strings are copied (cut to 24, 32, 16 and 112 bytes). */
void engine_event(const char *kind, const char *component, double value, const char *unit, const char *detail);
/* The workload reports how much it completed (UNIT "iteration", "token", ...; COUNT of them);
 * the engine then writes energy_per_<UNIT> and it_energy_per_<UNIT> to /summary. Call it during
 * the run or from finish, once per unit (up to 4 units; a later call for a unit replaces it). */
void engine_work_done(const char *unit, double count);
/* The workload calls this when its last actor finishes its work (stops the sampler). */
void engine_workload_done(void);
/* Progress: DONE of TOTAL work units at the current simulated time. */
void engine_progress(double done, double total);
/* Cheap to call often (e.g. every collective step): prints a progress line on stderr at most
 * twice a second, after the first second, when progress is enabled. */
void engine_progress_tick(void);

/* Initialises SimGrid as every run does (CM02 without cross-traffic or TCP window, so flow
 * rates are plain max-min shares; OASTWIN_SIMGRID_CFG adds a setting). engine_run calls it;
 * tests that load a platform of their own call it first. Once per process. */
void engine_init_simgrid(void);

/* Symmetric execution, for a model that simulates one actor for a class of accelerators whose
 * timelines are provably identical (models/workload/training_sym.c). engine_set_state_many is
 * engine_set_state for every accelerator of ACCS[0..N) at once (one governor wake-up, so an
 * observer at the same instant sees them change together). engine_compute_many runs a fused
 * run of kernels on the calling actor's host (ACCS[0]'s), which no other actor computes on:
 * FLOP at EFFICIENCY (clock-bound) then HBM_BYTES at full HBM bandwidth (not clock-bound); it
 * lasts the SUM of the two parts, not the roofline's maximum, and draws memory-bound power when
 * the HBM part is the longer, as engine_compute labels a phase. It leaves ACCS in ACC_COMPUTE
 * (the caller sets the next state, so back-to-back phases cost no idle update).
 * With N > 1 it is only valid while no governor or power cap can give the accelerators of the
 * class different speeds. Returns the duration. */
void engine_set_state_many(const int32_t *accs, int32_t n, acc_state state);
double engine_compute_many(const int32_t *accs, int32_t n, double flop, double hbm_bytes, double efficiency);

/* A model that simulates one actor per class of identical accelerators says so (cleared by
 * engine_run); models that change one accelerator's world (a degraded link) ask. */
void engine_set_symmetric(bool on);
bool engine_symmetric(void);

/* Observers (appended for models/resilience): FN is called at every engine_progress() with
 * its arguments, and once when the workload calls engine_workload_done(), in the caller's actor.
 * One of each; a later call replaces it; engine_run() clears them. */
void engine_on_progress(void (*fn)(void *ctx, double done, double total), void *ctx);
void engine_on_workload_done(void (*fn)(void *ctx), void *ctx);

/* Actors this process can still start, about: SimGrid gives every actor a stack of its own with
 * a guard page (two memory mappings, in either context factory) and the kernel caps mappings
 * per process (/proc/sys/vm/max_map_count), so past the cap actor creation aborts inside
 * SimGrid. INT64_MAX when the cap cannot be read. */
int64_t engine_actor_room(void);
/* 0 when N more actors (for WHAT, e.g. "the 65536 ranks") fit in engine_actor_room(); else -1
 * with a message saying why and what to change. Call it before creating them. */
int engine_reserve_actors(int64_t n, const char *what, diag_t *err);
/* Memory the kernel could give this process now without swapping (MemAvailable of
 * /proc/meminfo), in bytes; INFINITY when unknown. For up-front checks of large requests. */
double engine_memory_available_B(void);

#endif
