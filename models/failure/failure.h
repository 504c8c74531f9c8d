/* Failure processes: per class of component, a renewal process (exponential or Weibull gaps
 * with the class's MTBF) for each component, drawn with GSL from a stream that depends only on
 * (scenario seed, class, component, failure number), merged with the scenario's explicit
 * schedule into one time-ordered plan. Same seed -> same plan, whatever order it is read in.
 * Ownership: fl_plan_new() allocates, fl_plan_free() frees; the spec is copied. */
#ifndef OAS_FAILURE_H
#define OAS_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "failure/failure_spec.h"

/* "accelerator", "hbm", "host", "switch", "optics", "link_flap", "software". */
const char *fl_class_name(int cls);
/* Whether a failure of class CLS stops a training job by its class alone: accelerator, hbm,
 * host, software, and (without a machine to look at) switch and optics. A caller that knows the
 * machine decides switch and optics failures itself (models/resilience): they stop the job only
 * where they leave no path. */
bool fl_class_stops(int cls);
/* Whether a failure of class CLS can degrade bandwidth without stopping the job: link_flap,
 * plane, switch, optics. */
bool fl_class_degrades(int cls);
/* Whether a failure of class CLS takes a node out of service until repaired (a spare can
 * replace it at once): accelerator, hbm, host. */
bool fl_class_takes_node(int cls);

/* Mean time between failures of one component of class C (s): 3.6e12 / fit when fit is
 * positive, else mtbf_s; INFINITY when the class has no process or neither is positive. */
double fl_class_mtbf_s(const fl_class_spec *c);
/* Failures per second of all N components of class C (N / MTBF; 0 when disabled). */
double fl_class_rate_Hz(const fl_class_spec *c, int64_t n);

/* The K-th gap (K = 0 for the first failure) of component COMP of class CLS: exponential with
 * mean MTBF, or Weibull with shape k and scale MTBF / Gamma(1 + 1/k). Deterministic in
 * (SEED, CLS, COMP, K). */
double fl_draw_gap_s(const fl_class_spec *c, uint64_t seed, int cls, int64_t comp, uint64_t k);

/* Components of each class in the machine the job runs on. */
typedef struct fl_counts {
    int64_t n[FL__NCLASSES];
} fl_counts;

/* Mean time between job-stopping failures of the whole job: 1 / sum over stopping classes of
 * n / MTBF (INFINITY when none can happen). Exact for exponential processes; for Weibull it is
 * the long-run mean (renewal theorem). */
double fl_job_mtbf_s(const failure_spec *fs, const fl_counts *counts);
/* The same over every class, with STOPPING giving for each class the components whose failure
 * stops the job (a machine-aware caller counts the switches that leave no path, and so on). */
double fl_mtbf_of_s(const failure_spec *fs, const fl_counts *stopping);

/* One failure. */
typedef struct fl_event {
    double t_s;
    int cls;             /* fl_class */
    int64_t component;
    double duration_s;   /* link_flap: how long it lasts; stopping classes: repair time */
    double bw_factor;    /* link_flap: share of bandwidth left */
    bool scheduled;      /* from failures.schedule (else drawn) */
    uint64_t number;     /* drawn: the component's failure number (0 = first) */
} fl_event;

typedef struct fl_plan fl_plan;

/* A plan over COUNTS components per class. A scheduled entry whose component is outside its
 * class's count is an error (-> NULL with ERR set, "failures.schedule[I]: ..."). */
fl_plan *fl_plan_new(const failure_spec *fs, const fl_counts *counts, uint64_t seed, diag_t *err);
void fl_plan_free(fl_plan *p);
/* Time of the next failure (INFINITY: none). */
double fl_plan_peek_s(const fl_plan *p);
/* Takes the next failure in time order (ties: scheduled first, then class, then component).
 * Returns 0, or -1 when there is none (OUT untouched) or memory ran out. */
int fl_plan_next(fl_plan *p, fl_event *out);

/* The component a failure names, as /events writes it: acc<k>, acc<k>.hbm, node<k>, switch<k>,
 * module<k>, link<k>, plane<k>, or job. */
void fl_component_name(const fl_event *f, char *buf, size_t n);

#endif
