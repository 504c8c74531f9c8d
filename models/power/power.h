/* Power model: accelerator power by activity and performance state, the conversion chain from
 * chip to facility feed (P_in = (P_out + n·c)/η per stage), facility overheads (CDU pumps, dry
 * cooler fans, chiller with a supply-temperature-dependent COP), and an exact energy meter for
 * piecewise-constant power. Pure functions of their arguments: no SimGrid, no allocation.
 * Invariant: power_accel_W is non-increasing in the state index k for every activity. */
#ifndef OAS_POWER_H
#define OAS_POWER_H

#include <stddef.h>

#include "hw/hw.h"
#include "power/power_spec.h"
#include "thermal/cooling_spec.h"

typedef enum pw_activity { PW_IDLE, PW_COMPUTE, PW_MEMORY, PW_COMM, PW__NACT } pw_activity;

/* ---- accelerator ---- */
/* Number of performance states (>= 1); state 0 is nominal. */
int power_pstates(const hw_accel *a);
/* Clock of state K relative to nominal: 1 - k (1 - min_speed) / (states - 1). */
double power_pstate_speed(const hw_accel *a, int k);
/* Compute-bound power of state K: idle + (max - idle) speed^exponent. */
double power_pstate_W(const hw_accel *a, int k);
/* Power in state K doing ACT: idle; compute-bound; idle + f_mem (P_k - idle); idle + f_comm (P_k - idle). */
double power_accel_W(const hw_accel *a, int k, pw_activity act);
/* Host speeds of the states in FLOP/s (peak x speed), for the platform XML; returns the count
 * (at most CAP). */
size_t power_pstate_speeds_Fps(const hw_accel *a, double *out, size_t cap);
/* The SimGrid host speed attribute listing every state ("2.5e+15f,2.25e+15f"); returns BUF. */
char *power_speed_attr(const hw_accel *a, char *buf, size_t n);
/* The highest state (smallest index) whose compute-bound power is at most LIMIT_W, or -1. */
int power_pstate_under(const hw_accel *a, double limit_W);

/* ---- conversion chain ---- */
/* Input power of a stage delivering OUT_W through UNITS converters: (out + units c) / eta. */
double power_stage_in_W(double out_W, double efficiency, double fixed_loss_W, double units);

/* ---- facility ---- */
/* Chiller COP at supply SUPPLY_C rejecting to CONDENSER_C: carnot T_s[K] / max(lift, min_lift). */
double power_chiller_cop(double carnot, double supply_C, double condenser_C, double min_lift_K);

typedef struct pw_heat_rejection {
    double supply_C;  /* facility water temperature actually delivered */
    double fans_W;    /* dry cooler fans */
    double chiller_W; /* compressor power (0 when free cooling suffices) */
    double cop;       /* chiller COP in use (0 when off) */
} pw_heat_rejection;

/* Heat rejection of HEAT_W with the facility of C: a dry cooler delivers max(set-point,
 * ambient + approach); a chiller holds the set-point at a COP; hybrid uses the dry cooler alone
 * when it can hold the set-point and adds the chiller otherwise. */
pw_heat_rejection power_heat_rejection(const cooling_spec *c, double heat_W);
/* Pump power of a CDU for the racks it serves whose design heat is SERVED_W, at flow fraction
 * FLOW (1 = design flow): pump_frac x served x flow (pumps draw ~3-4% of the heat they are
 * sized for; a failed pump removes its share of flow and power). */
double power_cdu_pumps_W(const cooling_spec *c, double served_W, double flow);

/* ---- energy meter for piecewise-constant power ---- */
typedef struct pw_meter {
    double t_s;      /* time of the last change */
    double p_W;      /* power since then */
    double e_J;      /* energy up to t_s */
    double peak_W;   /* largest power ever set */
} pw_meter;

void pw_meter_init(pw_meter *m, double t_s, double p_W);
/* Power becomes P_W at time T_S (>= the last change). */
void pw_meter_set(pw_meter *m, double t_s, double p_W);
/* Energy up to T_S (>= the last change). */
double pw_meter_energy(const pw_meter *m, double t_s);

#endif
