/* Accelerator power by activity and performance state, and the energy meter. States are
 * evenly spaced in clock from nominal (k = 0) down to dvfs_min_speed; compute-bound power
 * follows idle + (max - idle)·speed^exponent, so power falls monotonically with k. */
#include <math.h>
#include <stdio.h>

#include "power/power.h"

int power_pstates(const hw_accel *a)
{
    return a->dvfs_states > 1 ? (int)a->dvfs_states : 1;
}

double power_pstate_speed(const hw_accel *a, int k)
{
    int n = power_pstates(a);
    if (n == 1 || k <= 0)
        return 1.0;
    if (k >= n)
        k = n - 1;
    return 1.0 - (double)k * (1.0 - a->dvfs_min_speed) / (double)(n - 1);
}

double power_pstate_W(const hw_accel *a, int k)
{
    if (k <= 0)
        return a->max_power_W;
    double s = power_pstate_speed(a, k);
    return a->idle_power_W + (a->max_power_W - a->idle_power_W) * pow(s, a->dvfs_power_exponent);
}

double power_accel_W(const hw_accel *a, int k, pw_activity act)
{
    double dyn = power_pstate_W(a, k) - a->idle_power_W;
    switch (act) {
    case PW_COMPUTE:
        return a->idle_power_W + dyn;
    case PW_MEMORY:
        return a->idle_power_W + a->mem_power_frac * dyn;
    case PW_COMM:
        return a->idle_power_W + a->comm_power_frac * dyn;
    case PW_IDLE:
    case PW__NACT:
        break;
    }
    return a->idle_power_W;
}

size_t power_pstate_speeds_Fps(const hw_accel *a, double *out, size_t cap)
{
    size_t n = (size_t)power_pstates(a);
    if (n > cap)
        n = cap;
    for (size_t k = 0; k < n; k++)
        out[k] = a->peak_flops_Fps * power_pstate_speed(a, (int)k);
    return n;
}

char *power_speed_attr(const hw_accel *a, char *buf, size_t n)
{
    double s[64];
    size_t m = power_pstate_speeds_Fps(a, s, 64);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < m && used < n; k++) {
        /* %.17g keeps every value exact through the XML text. */
        int w = snprintf(buf + used, n - used, "%s%.17gf", k ? "," : "", s[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

int power_pstate_under(const hw_accel *a, double limit_W)
{
    int n = power_pstates(a);
    for (int k = 0; k < n; k++)
        if (power_pstate_W(a, k) <= limit_W)
            return k;
    return -1;
}

double power_stage_in_W(double out_W, double efficiency, double fixed_loss_W, double units)
{
    return (out_W + units * fixed_loss_W) / efficiency;
}

void pw_meter_init(pw_meter *m, double t_s, double p_W)
{
    m->t_s = t_s;
    m->p_W = p_W;
    m->e_J = 0;
    m->peak_W = p_W;
}

void pw_meter_set(pw_meter *m, double t_s, double p_W)
{
    if (t_s > m->t_s) {
        m->e_J += m->p_W * (t_s - m->t_s);
        m->t_s = t_s;
    }
    m->p_W = p_W;
    if (p_W > m->peak_W)
        m->peak_W = p_W;
}

double pw_meter_energy(const pw_meter *m, double t_s)
{
    return m->e_J + (t_s > m->t_s ? m->p_W * (t_s - m->t_s) : 0.0);
}
