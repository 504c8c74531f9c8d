/* Rack power: constant loads, the in-rack conversion chain and the cap's state. The node stage
 * has one converter per compute tray, the rack stage a fixed count of rectifiers; both are IT
 * (inside the rack), so their losses are part of the rack's input and of its heat. */
#include "power/rack.h"

#include "power/power.h"

double power_rack_fixed_W(const scenario_t *sc, int64_t n, double network_W)
{
    const power_spec *p = &sc->power;
    int64_t all = sc->topo.total_accelerators > 0 ? sc->topo.total_accelerators : sc->topo.accelerators;
    double share = all > 0 ? (double)n / (double)all : 0.0;
    return (double)n * (p->cpu_W + p->nic_W + p->storage_W) + p->rack_other_W + share * network_W;
}

int64_t power_node_units(const scenario_t *sc, int64_t n)
{
    int64_t per = sc->power.node_accels_per_unit > 0 ? sc->power.node_accels_per_unit : 1;
    return (n + per - 1) / per;
}

double power_rack_input_W(const scenario_t *sc, int64_t n, double accel_W, double network_W)
{
    const power_spec *p = &sc->power;
    double out = accel_W + power_rack_fixed_W(sc, n, network_W);
    double node_in = power_stage_in_W(out, p->node.efficiency, p->node.fixed_loss_W, (double)power_node_units(sc, n));
    return power_stage_in_W(node_in, p->rack.efficiency, p->rack.fixed_loss_W, (double)p->rack_units);
}

int power_rack_cap_state(const scenario_t *sc, int64_t n, double network_W)
{
    if (sc->power.rack_cap_W <= 0)
        return 0;
    int ks = power_pstates(&sc->accel);
    for (int k = 0; k < ks; k++)
        if (power_rack_input_W(sc, n, (double)n * power_pstate_W(&sc->accel, k), network_W) <= sc->power.rack_cap_W)
            return k;
    return -1;
}
