/* Hardware models as plain structs with SI fields (the unit is in each field's name).
 * Filled by the scenario loader from YAML and presets; read by the platform builder and models. */
#ifndef OAS_HW_H
#define OAS_HW_H

#include <stdint.h>

typedef struct hw_accel {
    char name[64];
    double peak_flops_Fps;   /* dense peak at the workload's precision, FLOP/s */
    double hbm_bytes;        /* HBM capacity, B */
    double hbm_bw_Bps;       /* HBM bandwidth, B/s */
    double idle_power_W;     /* power when idle */
    double max_power_W;      /* power when compute-bound (TDP) */
    /* Performance states (DVFS), power by activity and the package's thermal limits; read by
     * models/power and models/thermal. State 0 is nominal (speed 1, max_power); the others are
     * evenly spaced in clock down to dvfs_min_speed. */
    int64_t dvfs_states;         /* performance states including the nominal one (1: no DVFS) */
    double dvfs_min_speed;       /* clock of the slowest state / nominal clock, (0, 1] */
    double dvfs_power_exponent;  /* compute-bound power idle + (max - idle) * speed^exponent */
    double mem_power_frac;       /* memory-bound power: idle + frac * (compute-bound - idle) */
    double comm_power_frac;      /* communicating power: idle + frac * (compute-bound - idle) */
    double r_jc_KpW;             /* junction to cold-plate base (die, TIMs, lid), K/W */
    double heat_cap_JpK;         /* heat capacity of package and cold plate, J/K */
    double t_max_C;              /* junction temperature above which it steps down, degC */
    double t_release_C;          /* junction temperature below which it steps back up, degC */
    double gov_interval_s;       /* least time between two steps of the thermal governor, s */
} hw_accel;

/* Link media. GENERIC is an abstract link whose latency is given directly (no modules, no
 * power, no reach); it is last so that a zeroed hw_link (a link class a topology does not use)
 * is never mistaken for one whose latency must be given. */
typedef enum hw_medium_kind { HW_COPPER, HW_OPTICAL, HW_LPO, HW_CPO, HW_GENERIC, HW_MEDIUM__COUNT } hw_medium_kind;

typedef struct hw_medium {
    double lane_rate_Bps;    /* one lane, per direction */
    int64_t lanes;           /* lanes of one module (port, cable or CPO engine) */
    double lat_s;            /* serdes + FEC (+ module DSP) of one link, end to end */
    double module_power_W;   /* one module at one end of a link */
    double reach_m;          /* longest link the medium supports */
    double fit;              /* failures per 1e9 module-hours, one module at one end */
    double prop_s_per_m;     /* propagation delay per metre of cable or fiber */
} hw_medium;

typedef struct hw_link {
    double bw_Bps;           /* per direction, per plane */
    double lat_s;            /* GENERIC: serdes + FEC as given; other media: derived, see hw_link_latency */
    int medium;              /* hw_medium_kind */
    double length_m;         /* cable or fiber length; adds length x medium propagation */
} hw_link;

typedef struct hw_switch {
    double lat_s;            /* traversal latency, port to port */
    int64_t radix;           /* ports of one chip; 0 = unlimited (an idealised switch) */
    double port_bw_Bps;      /* one port, per direction; 0 = every link takes one port */
    double power_W;          /* one chip */
} hw_switch;

/* "copper", "optical", "lpo", "cpo", "generic". */
const char *hw_medium_name(int medium);
/* Whether MEDIUM carries light (and so has modules at its ends): optical, lpo, cpo. */
int hw_medium_is_optical(int medium);
/* Latency of link L: (GENERIC: L's own latency, else the medium's) + length x propagation
 * (GENERIC: 5 ns/m). MEDIA is indexed by hw_medium_kind (GENERIC unused). */
double hw_link_latency(const hw_link *l, const hw_medium *media);
/* Lanes one link of L occupies: ceil(bandwidth / lane rate); 0 for GENERIC. */
int64_t hw_link_lanes(const hw_link *l, const hw_medium *media);
/* Modules at one device that terminates LINKS links of L (links share modules, as breakout
 * ports do): ceil(LINKS x lanes per link / lanes per module); 0 unless the medium is optical. */
int64_t hw_link_modules(const hw_link *l, const hw_medium *media, int64_t links);
/* Switch ports one link of bandwidth BW_BPS takes on S: ceil(bw / port bandwidth), or 1. */
int64_t hw_switch_ports_per_link(const hw_switch *s, double bw_Bps);

/* Roofline time of a compute phase: max(flop / (peak * efficiency), bytes / hbm_bw). */
double hw_compute_time_s(const hw_accel *a, double flop, double hbm_bytes, double efficiency);

#endif
