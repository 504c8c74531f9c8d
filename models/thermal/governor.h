/* The thermal governor of one accelerator: above the junction limit it steps one performance
 * state down, below the release temperature (hysteresis) one state up, never more often than
 * once per step interval and never above the power cap's state. Event-driven: it says when it
 * must look again (a closed-form crossing time, or the end of its dwell), never polls.
 * Pure functions; the plant owns the state. */
#ifndef OAS_GOVERNOR_H
#define OAS_GOVERNOR_H

#include <stdbool.h>

#include "thermal/thermal.h"

typedef struct gov_limits {
    double hi_C, lo_C;      /* step down at >= hi, up at <= lo */
    double interval_s;      /* least time between two steps */
    int k_top, k_bottom;    /* allowed states: k_top (fastest, cap) .. k_bottom (slowest) */
} gov_limits;

typedef struct gov_state {
    int k;                  /* current state */
    double last_step_s;     /* time of the last step (-INFINITY: never) */
} gov_state;

/* Tolerance for "at the threshold" when an event computed in closed form is processed. */
#define GOV_EPS_C 1e-9

/* The next time the governor must act for node N in state G, given that N's anchor is at or
 * before NOW_S (INFINITY: nothing can happen until something else changes). */
double gov_next_s(const gov_limits *L, const gov_state *g, const th_node *n, double now_s);
/* Decision at NOW_S: -1 step down (slower), +1 step up, 0 nothing. */
int gov_decide(const gov_limits *L, const gov_state *g, const th_node *n, double now_s);

#endif
