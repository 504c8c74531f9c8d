/* Scenario keys of the power model (power.*): host components, switches, the conversion chain
 * and an optional rack power cap. Every default names its source here or in docs/sources.md
 * ("Power and thermal"); equations are in docs/models.md. */
#include <math.h>

#include "power/power.h"
#include "power/rack.h"
#include "scenario.h"
#include "units.h"

#define OFF(m) offsetof(scenario_t, power.m)
#define BIG 1e300

static const field FIELDS[] = {
    {"power.per_accelerator.cpu", F_QTY, DIM_POWER, OFF(cpu_W), 0, NULL, "0 W", 0, BIG, false,
     "Host CPU power per accelerator (constant: host CPUs are not simulated). GB200: a Grace CPU per two "
     "GPUs, ~300 W per superchip beyond its GPUs -> 150 W (docs/sources.md). Default 0: not modelled.",
     NULL, NULL, NULL},
    {"power.per_accelerator.nic", F_QTY, DIM_POWER, OFF(nic_W), 0, NULL, "0 W", 0, BIG, false,
     "NIC / DPU power per accelerator (constant). Default 0: not modelled.", NULL, NULL, NULL},
    {"power.per_accelerator.storage", F_QTY, DIM_POWER, OFF(storage_W), 0, NULL, "0 W", 0, BIG, false,
     "Local storage power per accelerator (constant). Default 0: not modelled.", NULL, NULL, NULL},
    {"power.rack.other", F_QTY, DIM_POWER, OFF(rack_other_W), 0, NULL, "0 W", 0, BIG, false,
     "Other constant power per rack (fans, management, power-shelf controllers). Default 0: not modelled.",
     NULL, NULL, NULL},
    {"power.conversion.node.efficiency", F_QTY, DIM_NONE, OFF(node.efficiency), 0, NULL, "0.98", 0, 1, true,
     "Node conversion stage (DC-DC on the tray): P_in = (P_out + units c) / efficiency. Default 0.98 "
     "(REFERENCE 'Cooling and power').",
     NULL, NULL, NULL},
    {"power.conversion.node.fixed_loss", F_QTY, DIM_POWER, OFF(node.fixed_loss_W), 0, NULL, "13 W", 0, BIG, false,
     "No-load loss c of one node converter. Default 13 W (REFERENCE 'Cooling and power').", NULL, NULL, NULL},
    {"power.conversion.node.accelerators_per_unit", F_INT, DIM_NONE, OFF(node_accels_per_unit), 0, NULL, "4", 1, 1048576,
     false,
     "Accelerators behind one node converter (a compute tray); a rack has ceil(accelerators / this) units. "
     "Default 4: a GB200 NVL72 compute tray holds 4 GPUs.",
     NULL, NULL, NULL},
    {"power.conversion.rack.efficiency", F_QTY, DIM_NONE, OFF(rack.efficiency), 0, NULL, "0.96", 0, 1, true,
     "Rack conversion stage (rectifier / power shelf, AC to DC bus). Default 0.96 (REFERENCE 'Cooling and "
     "power').",
     NULL, NULL, NULL},
    {"power.conversion.rack.fixed_loss", F_QTY, DIM_POWER, OFF(rack.fixed_loss_W), 0, NULL, "17 W", 0, BIG, false,
     "No-load loss c of one rectifier. Default 17 W (REFERENCE 'Cooling and power').", NULL, NULL, NULL},
    {"power.conversion.rack.units", F_INT, DIM_NONE, OFF(rack_units), 0, NULL, "1", 0, 1048576, false,
     "Rectifiers per rack (GB200 NVL72: 8 power shelves x 6 PSUs = 48).", NULL, NULL, NULL},
    {"power.conversion.facility.efficiency", F_QTY, DIM_NONE, OFF(facility.efficiency), 0, NULL, "1", 0, 1, true,
     "Facility stage upstream of the racks (UPS, transformer), counted as facility overhead in the PUE. "
     "Default 1: not modelled.",
     NULL, NULL, NULL},
    {"power.conversion.facility.fixed_loss", F_QTY, DIM_POWER, OFF(facility.fixed_loss_W), 0, NULL, "0 W", 0, BIG,
     false, "No-load loss of the facility stage (one unit for the whole run).", NULL, NULL, NULL},
    {"power.rack.cap", F_QTY, DIM_POWER, OFF(rack_cap_W), 0, NULL, "0 W", 0, BIG, false,
     "Power cap on each rack's input: accelerators are limited to the fastest performance state at which "
     "the whole rack, all accelerators compute-bound, stays within it (as `nvidia-smi -pl` limits clocks). "
     "The rack includes its share of the network (switch chips, optics). `0 W`: no cap.",
     NULL, NULL, NULL},
    {"power.timeseries.per_accelerator", F_BOOL, DIM_NONE, OFF(per_accel_timeseries), 0, NULL, "true", 0, 0, false,
     "Write the per-accelerator matrices /power/accelerators, /thermal/junction and /thermal/pstate "
     "(rows x accelerators); the per-rack and facility tables are always written.",
     NULL, NULL, NULL},
};

static int check(scenario_t *sc, diag_t *err)
{
    const power_spec *p = &sc->power;
    if (p->rack_cap_W > 0) {
        /* Same arithmetic as the plant: the fastest state whose compute-bound rack input fits. */
        int64_t all = sc->topo.total_accelerators > 0 ? sc->topo.total_accelerators : sc->topo.accelerators;
        int64_t n = sc->cooling.accels_per_rack > 0 ? sc->cooling.accels_per_rack : sc->topo.accelerators;
        if (n > all)
            n = all;
        /* The network's share is not known before the platform is built: checked again then. */
        int k = power_rack_cap_state(sc, n, 0.0);
        if (k < 0) {
            char cap[64], need[64];
            units_format(p->rack_cap_W, DIM_POWER, cap, sizeof cap);
            double slowest = power_pstate_W(&sc->accel, power_pstates(&sc->accel) - 1);
            units_format(power_rack_input_W(sc, n, (double)n * slowest, 0.0), DIM_POWER, need, sizeof need);
            return scenario_fail_at(sc, "power.rack.cap", err,
                                    "'power.rack.cap' (%s) is below what a rack of %lld accelerators draws even in "
                                    "its slowest performance state (%s)",
                                    cap, (long long)n, need);
        }
    }
    return 0;
}

const schema_part schema_part_power = {"power", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
