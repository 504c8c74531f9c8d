/* Scenario keys of the hardware catalog (hardware.*). Defaults cite their sources here or in
 * docs/sources.md; presets under scenarios/presets/ fill these for real systems. */
#include "scenario.h"

#define OFF(m) offsetof(scenario_t, m)
#define BIG 1e300

static const field FIELDS[] = {
    {"hardware.accelerator.name", F_STR, DIM_NONE, OFF(accel.name), sizeof(((hw_accel *)0)->name), NULL,
     "accelerator", 0, 0, false, "Model name, for reports.", NULL, NULL, NULL},
    {"hardware.accelerator.peak_flops", F_QTY, DIM_FLOPRATE, OFF(accel.peak_flops_Fps), 0, NULL, NULL, 0, BIG, true,
     "Dense peak at the training precision (e.g. `989 TFLOPS` for H100 SXM BF16).", NULL, NULL, NULL},
    {"hardware.accelerator.hbm_capacity", F_QTY, DIM_BYTES, OFF(accel.hbm_bytes), 0, NULL, NULL, 0, BIG, true,
     "HBM capacity; buffers that do not fit are a scenario error.", NULL, NULL, NULL},
    {"hardware.accelerator.hbm_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(accel.hbm_bw_Bps), 0, NULL, NULL, 0, BIG, true,
     "HBM bandwidth; bounds memory-bound compute by the roofline.", NULL, NULL, NULL},
    {"hardware.accelerator.idle_power", F_QTY, DIM_POWER, OFF(accel.idle_power_W), 0, NULL, NULL, 0, BIG, false,
     "Power drawn when not computing.", NULL, NULL, NULL},
    {"hardware.accelerator.max_power", F_QTY, DIM_POWER, OFF(accel.max_power_W), 0, NULL, NULL, 0, BIG, true,
     "Power drawn when computing (TDP). Must be at least idle_power.", NULL, NULL, NULL},
    /* Performance states, power by activity and thermal limits (models/power, models/thermal);
     * defaults and their sources: docs/models.md and docs/sources.md, "Power and thermal". */
    {"hardware.accelerator.dvfs.states", F_INT, DIM_NONE, OFF(accel.dvfs_states), 0, NULL, "1", 1, 16, false,
     "Performance states (DVFS levels) including the nominal one. `1`: no DVFS, so the accelerator "
     "cannot throttle. State k runs at clock `1 - k (1 - min_speed) / (states - 1)` of nominal.",
     NULL, NULL, NULL},
    {"hardware.accelerator.dvfs.min_speed", F_QTY, DIM_NONE, OFF(accel.dvfs_min_speed), 0, NULL, "0.5", 0, 1, true,
     "Clock of the slowest performance state relative to nominal; compute-bound work slows in proportion. "
     "Default 0.5 (estimate; docs/sources.md).",
     NULL, NULL, NULL},
    {"hardware.accelerator.dvfs.power_exponent", F_QTY, DIM_NONE, OFF(accel.dvfs_power_exponent), 0, NULL, "1.5", 0,
     4, false,
     "Compute-bound power of a state: `idle + (max - idle) * speed^exponent`. Default 1.5, fitted to H100 "
     "power-cap figures (600 of 700 W costs 10-15% throughput; docs/sources.md); CMOS theory (V ~ f) gives up to 3.",
     NULL, NULL, NULL},
    {"hardware.accelerator.power_fraction.memory_bound", F_QTY, DIM_NONE, OFF(accel.mem_power_frac), 0, NULL, "0.6",
     0, 1, false,
     "Power of a memory-bound phase as a fraction of the dynamic range: `idle + f (compute-bound - idle)`. "
     "Default 0.6 (estimate after Splitwise, ISCA'24: memory-bound decode draws well below TDP).",
     NULL, NULL, NULL},
    {"hardware.accelerator.power_fraction.communicating", F_QTY, DIM_NONE, OFF(accel.comm_power_frac), 0, NULL, "0.3",
     0, 1, false,
     "Power while inside a collective (no overlapped compute), as a fraction of the dynamic range. "
     "Default 0.3 (estimate; docs/sources.md).",
     NULL, NULL, NULL},
    {"hardware.accelerator.thermal.junction_to_case", F_QTY, DIM_THERMAL_RES, OFF(accel.r_jc_KpW), 0, NULL,
     "0.015 K/W", 0, BIG, false,
     "Thermal resistance from junction to the cold-plate base (die, TIMs, lid); the cold plate's own "
     "resistance depends on flow (cooling.cold_plate). Default: area-specific TIM resistance ~0.22 K cm2/W "
     "over a ~16 cm2 two-die package (estimate; docs/sources.md).",
     NULL, NULL, NULL},
    {"hardware.accelerator.thermal.heat_capacity", F_QTY, DIM_HEAT_CAP, OFF(accel.heat_cap_JpK), 0, NULL, "300 J/K",
     0, BIG, true,
     "Heat capacity of package and cold plate (first-order model C dT/dt = P - (T - T_coolant)/R). "
     "Default: ~0.6 kg copper cold plate x 385 J/(kg K) plus the package (estimate).",
     NULL, NULL, NULL},
    {"hardware.accelerator.thermal.max_temperature", F_QTY, DIM_TEMPERATURE, OFF(accel.t_max_C), 0, NULL, "87 degC",
     -273.15, 400, false,
     "Junction temperature above which the governor steps down one performance state. Default 87 degC, "
     "the 'GPU Max Operating Temp' nvidia-smi reports for Hopper SXM (docs/sources.md).",
     NULL, NULL, NULL},
    {"hardware.accelerator.thermal.release_temperature", F_QTY, DIM_TEMPERATURE, OFF(accel.t_release_C), 0, NULL,
     "84 degC", -273.15, 400, false,
     "Junction temperature below which a throttled accelerator steps back up (hysteresis). Must be below "
     "max_temperature. Default: 3 K of hysteresis (estimate).",
     NULL, NULL, NULL},
    {"hardware.accelerator.thermal.step_interval", F_QTY, DIM_TIME, OFF(accel.gov_interval_s), 0, NULL, "100 ms", 0,
     BIG, true,
     "Least time between two performance-state steps of one accelerator (the governor's control period and "
     "clock-switch latency). Default 100 ms (estimate; docs/sources.md).",
     NULL, NULL, NULL},
};

static int check(scenario_t *sc, diag_t *err)
{
    if (sc->accel.max_power_W < sc->accel.idle_power_W)
        return scenario_fail_at(sc, "hardware.accelerator.max_power", err,
                                "'hardware.accelerator.max_power' (%g W) is below idle_power (%g W)",
                                sc->accel.max_power_W, sc->accel.idle_power_W);
    if (sc->accel.t_release_C >= sc->accel.t_max_C)
        return scenario_fail_at(sc, "hardware.accelerator.thermal.release_temperature", err,
                                "'hardware.accelerator.thermal.release_temperature' (%g degC) must be below "
                                "max_temperature (%g degC)",
                                sc->accel.t_release_C, sc->accel.t_max_C);
    return 0;
}

const schema_part schema_part_hardware = {"hardware", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
