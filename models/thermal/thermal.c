/* Closed-form first-order thermal nodes, cold-plate resistance, coolant loops and CDUs.
 * Invariant: between two th_update() calls a node's temperature is exactly
 * T_ss + (T0 - T_ss)·exp(-(t - t0)/τ); crossings are inverted from the same expression. */
#include <math.h>

#include "thermal/thermal.h"

double th_steady_C(const th_node *n)
{
    return n->Tc_C + n->R_KpW * n->P_W;
}

double th_tau_s(const th_node *n)
{
    return n->R_KpW * n->C_JpK;
}

double th_temp_C(const th_node *n, double t_s)
{
    double ss = th_steady_C(n);
    double dt = t_s - n->t0_s;
    if (dt <= 0)
        return n->T0_C;
    return ss + (n->T0_C - ss) * exp(-dt / th_tau_s(n));
}

void th_update(th_node *n, double t_s, double P_W, double Tc_C, double R_KpW)
{
    if (t_s > n->t0_s) {
        n->T0_C = th_temp_C(n, t_s);
        n->t0_s = t_s;
    }
    n->P_W = P_W;
    n->Tc_C = Tc_C;
    n->R_KpW = R_KpW;
}

double th_cross_s(const th_node *n, double level_C)
{
    double ss = th_steady_C(n);
    double a = n->T0_C - ss, b = level_C - ss;
    /* LEVEL must lie between T0 (inclusive) and T_ss (exclusive), on the same side of T_ss as T0. */
    if (a == 0 || b == 0 || (a > 0) != (b > 0) || fabs(b) > fabs(a))
        return INFINITY;
    return n->t0_s + th_tau_s(n) * log(a / b);
}

double th_cold_plate_R(const cooling_spec *c, double flow_m3ps)
{
    return c->cp_r_inf_KpW + (c->cp_r_ref_KpW - c->cp_r_inf_KpW) * c->cp_q_ref_m3ps / flow_m3ps;
}

th_coolant th_coolant_props(int kind)
{
    /* At ~40 degC. Water: 992.2 kg/m3, 4179 J/(kg K) (Incropera, Table A.6). 25% propylene glycol
     * by mass: ~1015 kg/m3, ~3930 J/(kg K) (ASHRAE Handbook - Fundamentals, ch. 31). */
    if (kind == COOLANT_WATER)
        return (th_coolant){992.2, 4179.0};
    return (th_coolant){1015.0, 3930.0};
}

double th_outlet_rise_K(th_coolant c, double heat_W, double flow_m3ps)
{
    return heat_W / (c.rho_kgpm3 * flow_m3ps * c.cp_JpkgK);
}

double th_flow_for_rise(th_coolant c, double heat_W, double rise_K)
{
    return heat_W / (c.rho_kgpm3 * c.cp_JpkgK * rise_K);
}

double th_cdu_supply_C(double facility_C, double approach_K, double load_W, double capacity_W)
{
    return facility_C + approach_K * load_W / capacity_W;
}

double th_class_supply_C(int cls)
{
    /* ASHRAE TC 9.9 liquid cooling classes: the number is the maximum facility supply in degC. */
    static const double supply[] = {17, 27, 32, 40, 45};
    if (cls >= COOL_W17 && cls <= COOL_W45)
        return supply[cls];
    return NAN;
}
