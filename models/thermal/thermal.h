/* Thermal model: a first-order node per accelerator, C·dT/dt = P - (T - T_c)/R, advanced in
 * closed form between changes of P, T_c or R (so threshold crossings are exact times, never
 * found by stepping); cold-plate resistance as a function of flow; coolant properties; the rack
 * loop's outlet rise Q/(m_dot·c_p); the CDU's secondary supply temperature.
 * Pure functions on caller-owned structs; temperatures in degC, differences in K. */
#ifndef OAS_THERMAL_H
#define OAS_THERMAL_H

#include "thermal/cooling_spec.h"

/* One node: T(t) = T_ss + (T0 - T_ss) exp(-(t - t0) / (R C)), T_ss = T_c + R P. */
typedef struct th_node {
    double t0_s, T0_C; /* anchor */
    double P_W, Tc_C, R_KpW, C_JpK;
} th_node;

double th_steady_C(const th_node *n);
double th_tau_s(const th_node *n);
double th_temp_C(const th_node *n, double t_s);
/* Moves the anchor to T_S and then sets power P_W, coolant TC_C and resistance R_KPW. */
void th_update(th_node *n, double t_s, double P_W, double Tc_C, double R_KpW);
/* First time >= the anchor at which T reaches LEVEL_C moving towards the steady state, or
 * INFINITY if it never does (LEVEL_C not strictly between T0 and T_ss). */
double th_cross_s(const th_node *n, double level_C);

/* Cold plate: R(q) = r_inf + (r_ref - r_inf) q_ref / q (fits 0.039/0.025/0.020 K/W at
 * 0.4/1.0/2.4 L/min within 3%). */
double th_cold_plate_R(const cooling_spec *c, double flow_m3ps);

typedef struct th_coolant {
    double rho_kgpm3, cp_JpkgK;
} th_coolant;
th_coolant th_coolant_props(int kind);
/* Outlet - inlet of a loop carrying HEAT_W at FLOW: Q / (rho q c_p). */
double th_outlet_rise_K(th_coolant c, double heat_W, double flow_m3ps);
/* Flow giving RISE_K at HEAT_W. */
double th_flow_for_rise(th_coolant c, double heat_W, double rise_K);
/* CDU secondary supply: facility supply + approach x load / effective capacity (the approach of
 * a counter-flow exchanger at fixed flows grows in proportion to the heat it carries). */
double th_cdu_supply_C(double facility_C, double approach_K, double load_W, double capacity_W);
/* The supply temperature of an ASHRAE facility water class (W17 ... W45). */
double th_class_supply_C(int cls);

#endif
