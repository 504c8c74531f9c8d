/* Hardware model helpers: the roofline used for every compute phase, and the arithmetic of link
 * media (latency, lanes, modules) and switch ports. Pure functions of the structs in hw.h. */
#include "hw.h"

#include <math.h>

double hw_compute_time_s(const hw_accel *a, double flop, double hbm_bytes, double efficiency)
{
    double t_compute = flop > 0 ? flop / (a->peak_flops_Fps * efficiency) : 0.0;
    double t_memory = hbm_bytes > 0 ? hbm_bytes / a->hbm_bw_Bps : 0.0;
    return t_compute > t_memory ? t_compute : t_memory;
}

/* Propagation of a GENERIC link: light in fiber, ~4.9-5 ns/m (docs/sources.md). */
#define GENERIC_PROP_S_PER_M 5e-9

const char *hw_medium_name(int medium)
{
    static const char *const NAMES[] = {"copper", "optical", "lpo", "cpo", "generic"};
    return medium >= 0 && medium < HW_MEDIUM__COUNT ? NAMES[medium] : "?";
}

int hw_medium_is_optical(int medium)
{
    return medium == HW_OPTICAL || medium == HW_LPO || medium == HW_CPO;
}

double hw_link_latency(const hw_link *l, const hw_medium *media)
{
    if (l->medium == HW_GENERIC)
        return l->lat_s + l->length_m * GENERIC_PROP_S_PER_M;
    const hw_medium *m = &media[l->medium];
    return m->lat_s + l->length_m * m->prop_s_per_m;
}

int64_t hw_link_lanes(const hw_link *l, const hw_medium *media)
{
    if (l->medium == HW_GENERIC || l->medium < 0 || l->medium >= HW_MEDIUM__COUNT)
        return 0;
    const hw_medium *m = &media[l->medium];
    if (!(m->lane_rate_Bps > 0))
        return 0;
    /* a tolerance keeps 224 Gb/s over 112 Gb/s lanes at exactly 2 */
    return (int64_t)ceil(l->bw_Bps / m->lane_rate_Bps - 1e-9);
}

int64_t hw_link_modules(const hw_link *l, const hw_medium *media, int64_t links)
{
    if (!hw_medium_is_optical(l->medium) || links <= 0)
        return 0;
    const hw_medium *m = &media[l->medium];
    int64_t lanes = hw_link_lanes(l, media);
    if (m->lanes <= 0 || lanes <= 0)
        return 0;
    return (links * lanes + m->lanes - 1) / m->lanes;
}

int64_t hw_switch_ports_per_link(const hw_switch *s, double bw_Bps)
{
    if (!(s->port_bw_Bps > 0))
        return 1;
    int64_t k = (int64_t)ceil(bw_Bps / s->port_bw_Bps - 1e-9);
    return k < 1 ? 1 : k;
}
