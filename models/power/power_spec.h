/* The power section of a scenario (power.*), in SI units: what draws power besides the
 * accelerators and the network (switch chips and optical modules come from the topology's
 * catalogue), the conversion chain from chip to facility feed, and an optional rack cap.
 * Filled by the loader from models/power/power_schema.c; read by models/power and the plant. */
#ifndef OAS_POWER_SPEC_H
#define OAS_POWER_SPEC_H

#include <stdbool.h>
#include <stdint.h>

/* One conversion stage: P_in = (P_out + units * fixed_loss) / efficiency. */
typedef struct pw_stage {
    double efficiency;   /* (0, 1] */
    double fixed_loss_W; /* no-load loss of one converter */
} pw_stage;

typedef struct power_spec {
    double cpu_W, nic_W, storage_W; /* host components per accelerator, constant */
    double rack_other_W;            /* per rack: fans, management, power-shelf controllers */
    pw_stage node, rack, facility;  /* node and rack stages are IT; facility is overhead */
    int64_t node_accels_per_unit;   /* accelerators behind one node converter */
    int64_t rack_units;             /* rectifiers per rack */
    double rack_cap_W;              /* 0: no cap */
    bool per_accel_timeseries;      /* write the per-accelerator matrices */
} power_spec;

#endif
