/* Throttling governor with hysteresis. A step is allowed once the dwell since the previous
 * step has passed; the next decision time is the earlier of "the temperature crosses the limit
 * it is heading for" and "the dwell ends while the temperature is already past a limit".
 * Invariant: gov_next_s() > the last step time, so processing events always makes progress. */
#include <math.h>

#include "thermal/governor.h"

static bool can_down(const gov_limits *L, const gov_state *g)
{
    return g->k < L->k_bottom;
}

static bool can_up(const gov_limits *L, const gov_state *g)
{
    return g->k > L->k_top;
}

int gov_decide(const gov_limits *L, const gov_state *g, const th_node *n, double now_s)
{
    if (now_s < g->last_step_s + L->interval_s)
        return 0;
    double T = th_temp_C(n, now_s);
    if (g->k < L->k_top) /* the cap was lowered below the current state: obey it at once */
        return -1;
    if (can_down(L, g) && T >= L->hi_C - GOV_EPS_C)
        return -1;
    if (can_up(L, g) && T <= L->lo_C + GOV_EPS_C)
        return +1;
    return 0;
}

double gov_next_s(const gov_limits *L, const gov_state *g, const th_node *n, double now_s)
{
    double ready = g->last_step_s + L->interval_s;
    if (ready < now_s)
        ready = now_s;
    if (g->k < L->k_top)
        return ready;
    /* Crossings from the state at NOW, so a level the node moved away from is never "ahead". */
    th_node m = *n;
    m.T0_C = th_temp_C(n, now_s);
    m.t0_s = now_s > n->t0_s ? now_s : n->t0_s;
    double T = m.T0_C;
    double best = INFINITY;
    if (can_down(L, g)) {
        double t = T >= L->hi_C - GOV_EPS_C ? now_s : th_cross_s(&m, L->hi_C);
        best = fmin(best, fmax(t, ready));
    }
    if (can_up(L, g)) {
        double t = T <= L->lo_C + GOV_EPS_C ? now_s : th_cross_s(&m, L->lo_C);
        best = fmin(best, fmax(t, ready));
    }
    return best;
}
