/* Rack-level power arithmetic shared by the loader's checks and the plant: the constant draw of
 * a rack besides its accelerators, the conversion chain from the rack's components to its input
 * (what the facility feeds it, i.e. IT power), and the performance state a rack power cap allows.
 * NETWORK_W is the power of the whole machine's switch chips and optical modules (from the
 * platform); a rack carries the share of it its accelerators represent. Pure functions. */
#ifndef OAS_POWER_RACK_H
#define OAS_POWER_RACK_H

#include <stdint.h>

#include "scenario.h"

/* Constant power of a rack holding N accelerators: host components, the rack's other loads
 * and N / all accelerators of NETWORK_W. */
double power_rack_fixed_W(const scenario_t *sc, int64_t n, double network_W);
/* Node converters in a rack of N accelerators: ceil(N / accelerators_per_unit). */
int64_t power_node_units(const scenario_t *sc, int64_t n);
/* Input of a rack of N accelerators whose accelerators draw ACCEL_W in total:
 * rack stage (node stage (ACCEL_W + fixed)). */
double power_rack_input_W(const scenario_t *sc, int64_t n, double accel_W, double network_W);
/* The fastest state at which a rack of N accelerators, all compute-bound, stays within
 * power.rack.cap (0 when there is no cap), or -1 when even the slowest state does not. */
int power_rack_cap_state(const scenario_t *sc, int64_t n, double network_W);

#endif
