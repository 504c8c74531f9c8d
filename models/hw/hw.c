/* Hardware model helpers: the roofline used for every compute phase. */
#include "hw.h"

double hw_compute_time_s(const hw_accel *a, double flop, double hbm_bytes, double efficiency)
{
    double t_compute = flop > 0 ? flop / (a->peak_flops_Fps * efficiency) : 0.0;
    double t_memory = hbm_bytes > 0 ? hbm_bytes / a->hbm_bw_Bps : 0.0;
    return t_compute > t_memory ? t_compute : t_memory;
}
