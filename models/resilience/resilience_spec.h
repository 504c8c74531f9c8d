/* The resilience section of a scenario (resilience.*), in SI units: whether the run continues
 * the workload's detailed iterations with a job timeline (checkpoints, failures, recovery) over
 * a horizon or an amount of work, the checkpoint policy, and the recovery delays.
 * Filled by the loader from models/resilience/resilience_schema.c; read by models/resilience. */
#ifndef OAS_RESILIENCE_SPEC_H
#define OAS_RESILIENCE_SPEC_H

#include <stdbool.h>
#include <stdint.h>

typedef enum rs_mode { RS_MODE_OFF, RS_MODE_TIMELINE } rs_mode;
typedef enum rs_policy { RS_CKPT_AUTO, RS_CKPT_INTERVAL, RS_CKPT_NEVER } rs_policy;
typedef enum rs_failover { RS_FAILOVER_REROUTE, RS_FAILOVER_STOP } rs_failover;

typedef struct resilience_spec {
    int mode;               /* rs_mode */
    double horizon_s;       /* wall-clock length of the job; 0: until the work is done */
    int64_t iterations;     /* iterations the job must complete; 0: from workload.train_tokens, or none */
    int policy;             /* rs_policy */
    double interval_s;      /* policy = interval: useful work between two checkpoints */
    double detection_s;     /* from a failure until the job is known to be down */
    double restart_s;       /* relaunch: reschedule, start processes, rebuild communicators */
    int64_t spares;         /* spare nodes a failed node is replaced by at once */
    bool activity;          /* show accelerators computing / idle over the timeline (power model) */
    int network_failover;   /* rs_failover: what a switch, module or plane failure that leaves a path does */
} resilience_spec;

#endif
