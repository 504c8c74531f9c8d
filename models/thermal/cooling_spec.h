/* The cooling section of a scenario (cooling.*), in SI units (temperatures in degC, differences
 * in K): facility water and heat rejection, CDUs, rack loops, cold plates and injected faults.
 * Filled by the loader from models/thermal/cooling_schema.c; read by models/thermal. */
#ifndef OAS_COOLING_SPEC_H
#define OAS_COOLING_SPEC_H

#include <stdint.h>

typedef enum cool_class { COOL_W17, COOL_W27, COOL_W32, COOL_W40, COOL_W45, COOL_CUSTOM } cool_class;
typedef enum heat_rejection { HR_DRY_COOLER, HR_CHILLER, HR_HYBRID } heat_rejection;
typedef enum coolant_kind { COOLANT_WATER, COOLANT_PG25 } coolant_kind;

/* A what-if fault: from AT to UNTIL (0: for the rest of the run) component INDEX keeps only
 * REMAINING of its capacity or flow (1: no fault). */
typedef struct cooling_fault {
    double at_s, until_s;
    int64_t index;
    double remaining;
} cooling_fault;

typedef struct cooling_spec {
    int facility_class;         /* cool_class */
    double supply_C;            /* facility supply set-point (from the class unless custom) */
    double ambient_C;           /* outdoor dry-bulb */
    int heat_rejection;         /* heat_rejection */
    double dc_approach_K;       /* dry cooler: supply - ambient it can reach */
    double dc_fan_frac;         /* dry cooler fans: W per W of heat rejected */
    double chiller_carnot;      /* chiller COP = carnot * T_supply / lift */
    double chiller_min_lift_K;  /* least lift a chiller runs at */
    double cdu_capacity_W;
    double cdu_approach_K;      /* secondary supply - facility supply at rated capacity */
    double cdu_pump_frac;       /* pump power / rated capacity at full flow */
    int64_t racks_per_cdu;
    double cdu_other_W;         /* heat of racks on the CDU that are not simulated */
    int64_t accels_per_rack;    /* 0: one rack per supernode */
    double rack_flow_m3ps;      /* 0: sized for design_rise_K at the rack's design power */
    double design_rise_K;       /* outlet - inlet at design power, for the default flow */
    int coolant;                /* coolant_kind */
    double loop_lag_s;          /* coolant temperatures follow the heat averaged over this */
    double cp_r_ref_KpW;        /* cold plate: R at the reference flow */
    double cp_q_ref_m3ps;
    double cp_r_inf_KpW;        /* R at infinite flow: R(q) = r_inf + (r_ref - r_inf) q_ref / q */
    cooling_fault f_cdu, f_pump, f_rack;
} cooling_spec;

#endif
