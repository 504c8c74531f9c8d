/* The plant: the machine's physical state while it runs - every accelerator's power, junction
 * temperature and performance state, every rack's loop, every CDU, the facility - advanced by
 * events only: activity changes reported by the engine, governor steps at closed-form threshold
 * crossings, coolant updates while heat changes, injected faults. No SimGrid inside: the engine
 * applies performance states through a hook and asks when the next event is due, so the plant
 * is tested on its own with synthetic activity.
 * Ownership: plant_new() allocates; plant_free() frees. The scenario and trace are borrowed. */
#ifndef OAS_PLANT_H
#define OAS_PLANT_H

#include <stdint.h>

#include "diag.h"
#include "power/power.h"
#include "scenario.h"
#include "trace.h"

typedef struct plant plant_t;

typedef struct plant_hooks {
    void *ctx;
    /* Accelerator ACC now runs in performance state K (0 = nominal). May be NULL. */
    void (*set_pstate)(void *ctx, int32_t acc, int k);
    /* A throttle step, fault or cap, for /events. May be NULL. */
    void (*event)(void *ctx, double t_s, const char *kind, const char *component, double value, const char *unit,
                  const char *detail);
} plant_hooks;

/* N_ACC accelerators; PER_RACK of them per rack (0: the scenario's cooling.rack.accelerators,
 * or all of them when that is 0 too); NETWORK_W: constant power of the machine's switch chips
 * and optical modules, shared among racks by accelerators. T (may be NULL) receives the time
 * series and summary.
 * Every accelerator starts idle, at its idle steady-state temperature, in the fastest state the
 * rack cap allows (reported through the hook). */
plant_t *plant_new(const scenario_t *sc, int32_t n_acc, int32_t per_rack, double network_W, const plant_hooks *hooks,
                   trace_t *t, diag_t *err);
void plant_free(plant_t *p);

/* Accelerator ACC does ACT from time T_S on (T_S never decreases between calls). */
void plant_set_activity(plant_t *p, int32_t acc, pw_activity act, double t_s);
/* When the next internal event is due (INFINITY: none until the activity changes). */
double plant_next_event_s(const plant_t *p);
/* Processes every event due at or before T_S (plus a nanosecond of tolerance). */
void plant_advance(plant_t *p, double t_s);
/* Appends one row at T_S to every time series. 0 or -1 (out of memory). */
int plant_sample(plant_t *p, double t_s);
/* Writes the summary figures for a run that ended at T_END_S. 0 or -1. */
int plant_finish(plant_t *p, double t_end_s);

/* ---- queries (for the engine's sampler and for tests) ---- */
int32_t plant_racks(const plant_t *p);
double plant_accel_W(const plant_t *p, int32_t acc);
double plant_accels_total_W(const plant_t *p);
double plant_junction_C(const plant_t *p, int32_t acc, double t_s);
int plant_pstate(const plant_t *p, int32_t acc);
double plant_accel_R_KpW(const plant_t *p, int32_t acc);
double plant_rack_inlet_C(const plant_t *p, int32_t rack);
double plant_rack_outlet_C(const plant_t *p, int32_t rack);
double plant_rack_flow_m3ps(const plant_t *p, int32_t rack);
double plant_rack_heat_W(const plant_t *p, int32_t rack);   /* the heat the loop temperatures reflect */
double plant_rack_input_W(const plant_t *p, int32_t rack);  /* instantaneous */
double plant_it_energy_J(const plant_t *p, double t_s);
double plant_accel_energy_J(const plant_t *p, double t_s);
double plant_facility_energy_J(const plant_t *p, double t_s);
double plant_throttled_s(const plant_t *p, int32_t acc, double t_s);

#endif
