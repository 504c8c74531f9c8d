/* Physical quantities written with units ("400 GB/s", "1.5 us", "128 GiB", "989 TFLOPS").
 * Everything is converted once, at the edge, to SI (seconds, bytes, bytes/s, FLOP, FLOP/s,
 * watts, joules, metres, kelvin differences / degrees Celsius, m^3/s, K/W, J/K, hertz).
 * Bits (b) and bytes (B) and decimal (k, M, G, T, P, E = 10^3n) and binary (Ki, Mi, Gi, Ti, Pi,
 * Ei = 2^10n) prefixes are exact. Spellings are case-sensitive; the full table is in units.c.
 * Pure functions, no allocation, thread-safe; returned strings are static. */
#ifndef OAS_UNITS_H
#define OAS_UNITS_H

#include <stdbool.h>
#include <stddef.h>

typedef enum unit_dim {
    DIM_NONE = 0,    /* dimensionless: a bare number; "%" is accepted (50 % = 0.5) */
    DIM_TIME,        /* s */
    DIM_BYTES,       /* B (bits accepted: 8 b = 1 B) */
    DIM_BANDWIDTH,   /* B/s (Gb/s, Gbps, GB/s, GiB/s ...) */
    DIM_FLOP,        /* FLOP (count) */
    DIM_FLOPRATE,    /* FLOP/s (FLOPS, TFLOPS, TFLOP/s) */
    DIM_POWER,       /* W */
    DIM_ENERGY,      /* J (Wh, kWh accepted) */
    DIM_LENGTH,      /* m */
    DIM_TEMPERATURE, /* degrees Celsius (C, degC, °C, K converted: 300 K = 26.85 °C) */
    DIM_FLOW,        /* m^3/s (L/min, L/s, m3/h accepted) */
    DIM_THERMAL_RES, /* K/W */
    DIM_HEAT_CAP,    /* J/K */
    DIM_FREQUENCY,   /* Hz */
    DIM_ENERGY_PER_BIT, /* J/bit (pJ/bit) */
    DIM__COUNT
} unit_dim;

/* Parses TEXT as a quantity of dimension WANT into *OUT (SI). On error returns -1 and
 * writes a one-line reason into ERR (no position, no "error:" prefix), e.g.
 *   "'400' needs a unit of bandwidth (for example '400 GB/s')"
 *   "'200 ns' is a time, but a bandwidth is expected"
 *   "unknown unit 'Gbs' in '400 Gbs'"
 *   "'abc' is not a number with a unit"
 * A bare number is accepted only when WANT is DIM_NONE. Non-finite values are rejected. */
int units_parse(const char *text, unit_dim want, double *out, char *err, size_t errlen);

/* "bandwidth", "time", ... */
const char *units_dim_name(unit_dim d);
/* SI symbol of the stored value: "B/s", "s", "W", "degC" ...; "" for DIM_NONE. */
const char *units_si_symbol(unit_dim d);
/* An example literal for messages: "400 GB/s", "200 ns" ... */
const char *units_example(unit_dim d);
/* Formats V (SI) with an engineering prefix that parses back to the same dimension:
 * 4e11 B/s -> "400 GB/s", 2e-7 s -> "200 ns", 2.5e-5 m^3/s -> "0.025 L/s", 45 -> "45 degC".
 * Uses %.6g, so a value round-trips exactly (1e-12 relative) when it has at most six
 * significant digits; non-finite values print as "inf W" and do not parse. Truncates to N
 * bytes. Returns BUF. */
char *units_format(double v, unit_dim d, char *buf, size_t n);
/* Like units_format, with as many digits (up to 17) as it takes for the text to parse back to
 * exactly V: 80 GiB -> "85.89934592 GB". For the resolved scenario stored in traces. */
char *units_format_exact(double v, unit_dim d, char *buf, size_t n);

#endif
