/* Hardware models as plain structs with SI fields (the unit is in each field's name).
 * Filled by the scenario loader from YAML and presets; read by the platform builder and models. */
#ifndef OAS_HW_H
#define OAS_HW_H

typedef struct hw_accel {
    char name[64];
    double peak_flops_Fps;   /* dense peak at the workload's precision, FLOP/s */
    double hbm_bytes;        /* HBM capacity, B */
    double hbm_bw_Bps;       /* HBM bandwidth, B/s */
    double idle_power_W;     /* power when idle */
    double max_power_W;      /* power when compute-bound (TDP) */
} hw_accel;

typedef struct hw_link {
    double bw_Bps;           /* per direction, per plane */
    double lat_s;            /* one link: serdes + FEC + propagation */
} hw_link;

typedef struct hw_switch {
    double lat_s;            /* traversal latency, port to port */
} hw_switch;

/* Roofline time of a compute phase: max(flop / (peak * efficiency), bytes / hbm_bw). */
double hw_compute_time_s(const hw_accel *a, double flop, double hbm_bytes, double efficiency);

#endif
