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
};

static int check(scenario_t *sc, diag_t *err)
{
    if (sc->accel.max_power_W < sc->accel.idle_power_W)
        return scenario_fail_at(sc, "hardware.accelerator.max_power", err,
                                "'hardware.accelerator.max_power' (%g W) is below idle_power (%g W)",
                                sc->accel.max_power_W, sc->accel.idle_power_W);
    return 0;
}

const schema_part schema_part_hardware = {"hardware", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
