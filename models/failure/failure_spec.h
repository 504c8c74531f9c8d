/* The failures section of a scenario (failures.*), in SI units: one failure process per class
 * of component (exponential or Weibull renewal, from an MTBF or a FIT rate, over a count of
 * components that defaults to what the platform has) and an optional explicit schedule.
 * Filled by the loader from models/failure/failure_schema.c; read by models/failure. */
#ifndef OAS_FAILURE_SPEC_H
#define OAS_FAILURE_SPEC_H

#include <stdbool.h>
#include <stdint.h>

/* Classes of component. Accelerator, HBM, host and software failures stop a training job; a
 * link flap or a plane failure leaves bandwidth degraded for a while; a switch or optical module
 * failure takes its links (a switch: every port; a module: the lanes it carries) until repaired,
 * which degrades the machine where other paths remain and stops the job where they do not
 * (docs/models.md, "Resilience"). New classes go last: the draw streams are keyed on the class. */
typedef enum fl_class {
    FL_ACCELERATOR, /* the accelerator chip (one per accelerator) */
    FL_HBM,         /* its memory stacks (one per accelerator) */
    FL_HOST,        /* a node's host: CPU, memory, NIC, power supply (one per node) */
    FL_SWITCH,      /* a switch chip, scale-up or scale-out */
    FL_OPTICS,      /* an optical module or cable */
    FL_LINK_FLAP,   /* a physical link going down for a while and coming back */
    FL_SOFTWARE,    /* the job itself: software bugs, hangs (one per job) */
    FL_PLANE,       /* a whole scale-up plane of a supernode (its switch chips, power or management) */
    FL__NCLASSES
} fl_class;

typedef enum fl_dist { FL_DIST_NONE, FL_DIST_EXPONENTIAL, FL_DIST_WEIBULL } fl_dist;

typedef struct fl_class_spec {
    int dist;          /* fl_dist */
    double mtbf_s;     /* per component (used when fit = 0) */
    double fit;        /* failures per 10^9 component-hours; > 0 replaces mtbf_s */
    double shape;      /* Weibull shape k (k < 1: early failures dominate) */
    int64_t count;     /* components; 0: what the platform has */
    double repair_s;   /* until the failed part is replaced (a node, a switch, a module, a plane) */
    double duration_s; /* link_flap: how long the link stays degraded */
    double bw_factor;  /* link_flap: share of the link's bandwidth left meanwhile (0 = down) */
} fl_class_spec;

/* One entry of failures.schedule: a failure at a given time, on top of the drawn ones. */
typedef struct fl_sched_spec {
    double t_s;
    int cls;            /* fl_class */
    int64_t component;  /* index within its class */
    double duration_s;  /* link_flap: < 0 = the class's duration */
    double bw_factor;   /* link_flap: < 0 = the class's factor */
    const char *file;   /* where the entry was written (interned by the loader), for messages */
    int line, col;
} fl_sched_spec;

#define FL_MAX_SCHEDULE 256

typedef struct failure_spec {
    fl_class_spec cls[FL__NCLASSES];
    int64_t nschedule;
    fl_sched_spec schedule[FL_MAX_SCHEDULE];
} failure_spec;

#endif
