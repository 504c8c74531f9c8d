/* Facility overheads: heat rejection (dry cooler, chiller, or a dry cooler with chiller trim)
 * and CDU pumps. The chiller's COP is a fixed fraction of the Carnot COP between the supply
 * temperature and the condenser (ambient + dry-cooler approach), so warmer supply water makes
 * the chiller cheaper, and a dry cooler alone cannot deliver water colder than ambient + approach. */
#include <math.h>

#include "power/power.h"

#define KELVIN 273.15

double power_chiller_cop(double carnot, double supply_C, double condenser_C, double min_lift_K)
{
    double lift = fmax(condenser_C - supply_C, min_lift_K);
    return carnot * (supply_C + KELVIN) / lift;
}

pw_heat_rejection power_heat_rejection(const cooling_spec *c, double heat_W)
{
    pw_heat_rejection r = {.supply_C = c->supply_C};
    double dry_best = c->ambient_C + c->dc_approach_K; /* coldest water the dry cooler makes */
    r.fans_W = c->dc_fan_frac * heat_W;
    if (c->heat_rejection == HR_DRY_COOLER) {
        r.supply_C = fmax(c->supply_C, dry_best);
        return r;
    }
    /* A chiller holds the set-point; in hybrid mode only when the dry cooler alone cannot. */
    if (c->heat_rejection == HR_CHILLER || dry_best > c->supply_C) {
        r.cop = power_chiller_cop(c->chiller_carnot, c->supply_C, dry_best, c->chiller_min_lift_K);
        r.chiller_W = heat_W / r.cop;
    }
    return r;
}

double power_cdu_pumps_W(const cooling_spec *c, double served_W, double flow)
{
    return c->cdu_pump_frac * served_W * flow;
}
