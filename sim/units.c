/* Quantities with units: one static table of unit spellings (dimension, exact factor, offset)
 * and one of prefixes, read by units_parse() ("NUMBER[ ]UNIT" -> SI) and a per-dimension list
 * of display units written by units_format() (SI -> "400 GB/s"). Spellings are case-sensitive.
 * All tables are const: no allocation, no mutable state, safe from any thread. Numbers are read
 * with strtod(), so LC_NUMERIC must be "C" (the default) for "1.5" to parse. */
#include "units.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Accepted spellings. A unit is either a whole spelling from unit_spellings[], tried first, or a
 * prefix from unit_prefixes[] followed by a spelling that takes that class of prefix. Case
 * matters: b = bit, B = byte; m = milli (or metre), M = mega; K alone = kelvin.
 *
 *   prefix class   spellings                       value
 *   PFX_K          k                               10^3
 *   PFX_BIG        M G T P E                       10^6 .. 10^18
 *   PFX_KCAP       K    (bytes and bits only)      10^3   ("KB" = "kB" = 1000 B)
 *   PFX_BIN        Ki Mi Gi Ti Pi Ei               2^10 .. 2^60 (exact)
 *   PFX_SMALL      m u µ(U+00B5) μ(U+03BC) n p f   10^-3 .. 10^-15
 *   PFX_CENTI      c    (metres only)              10^-2
 *
 *   dimension        spellings (prefix classes)                         SI value
 *   none             bare number; %                                     1; 0.01
 *   time             s sec second seconds (SMALL: ms us µs ns ps fs)    s
 *                    min mins = 60 s, h hour hours = 3600 s, d day days = 86400 s
 *   bytes            B byte bytes (K BIG KCAP BIN)                      B
 *                    b bit bits (K BIG KCAP BIN)                        1/8 B
 *   bandwidth        B/s byte/s bytes/s (K BIG KCAP BIN)                B/s
 *                    b/s bit/s bits/s bps (K BIG KCAP BIN)              1/8 B/s
 *                    ("GBps" is rejected: write GB/s or Gbps)
 *   FLOP count       FLOP FLOPs (K BIG)                                 FLOP
 *   FLOP rate        FLOPS FLOP/s OPS OP/s (K BIG)                      FLOP/s
 *                    ("TFLOPs", small s, is a count, not a rate)
 *   power            W (K BIG SMALL)                                    W
 *   energy           J (K BIG SMALL); Wh (K BIG SMALL) = 3600 J         J
 *   length           m (K SMALL CENTI: km mm cm um nm)                  m
 *   temperature      C degC °C; K = degC + 273.15                       degC
 *   flow             m3/s m^3/s; m3/h m^3/h; L/s l/s; L/min l/min;      m^3/s
 *                    L/h l/h; gpm (US gal/min, 3.785411784e-3 m^3/60 s)
 *   thermal resist.  K/W C/W degC/W °C/W                                K/W
 *   heat capacity    J/K (K BIG: kJ/K MJ/K)                             J/K
 *   frequency        Hz (K BIG: kHz MHz GHz), /s, req/s, /min, req/min      Hz
 *   energy per bit   J/bit J/b (SMALL: pJ/bit pJ/b fJ/bit)              J/bit
 *
 * Between the number and the unit: nothing or exactly one separator (an ASCII space, U+00A0 or
 * U+202F). Around the whole text: any ASCII whitespace.
 * ------------------------------------------------------------------------------------------- */

enum {
    PFX_K = 1u << 0,
    PFX_BIG = 1u << 1,
    PFX_KCAP = 1u << 2,
    PFX_BIN = 1u << 3,
    PFX_SMALL = 1u << 4,
    PFX_CENTI = 1u << 5,
    PFX_UP = PFX_K | PFX_BIG,
    PFX_DATA = PFX_K | PFX_BIG | PFX_KCAP | PFX_BIN,
};

/* Scales are applied as (x * mul) / div, with both factors exact doubles, so that "200 ns"
 * is the double nearest 2e-7 rather than 200 * 1e-9 with two roundings. */
typedef struct unit_prefix {
    const char *spelling;
    unsigned cls;
    double mul;
    double div;
} unit_prefix;

/* Two-byte spellings first, so that "Ki" is never read as "K" + "i...". */
static const unit_prefix unit_prefixes[] = {
    {"Ki", PFX_BIN, 0x1p10, 1.0},
    {"Mi", PFX_BIN, 0x1p20, 1.0},
    {"Gi", PFX_BIN, 0x1p30, 1.0},
    {"Ti", PFX_BIN, 0x1p40, 1.0},
    {"Pi", PFX_BIN, 0x1p50, 1.0},
    {"Ei", PFX_BIN, 0x1p60, 1.0},
    {"\xC2\xB5", PFX_SMALL, 1.0, 1e6}, /* µ MICRO SIGN */
    {"\xCE\xBC", PFX_SMALL, 1.0, 1e6}, /* μ GREEK SMALL LETTER MU */
    {"k", PFX_K, 1e3, 1.0},
    {"K", PFX_KCAP, 1e3, 1.0},
    {"M", PFX_BIG, 1e6, 1.0},
    {"G", PFX_BIG, 1e9, 1.0},
    {"T", PFX_BIG, 1e12, 1.0},
    {"P", PFX_BIG, 1e15, 1.0},
    {"E", PFX_BIG, 1e18, 1.0},
    {"c", PFX_CENTI, 1.0, 1e2},
    {"m", PFX_SMALL, 1.0, 1e3},
    {"u", PFX_SMALL, 1.0, 1e6},
    {"n", PFX_SMALL, 1.0, 1e9},
    {"p", PFX_SMALL, 1.0, 1e12},
    {"f", PFX_SMALL, 1.0, 1e15},
};

/* SI value = number * mul / div + offset (offset only for kelvin). */
typedef struct unit_spelling {
    const char *spelling;
    unit_dim dim;
    unsigned prefixes;
    double mul;
    double div;
    double offset;
} unit_spelling;

#define DEG "\xC2\xB0" /* ° DEGREE SIGN */

static const unit_spelling unit_spellings[] = {
    {"%", DIM_NONE, 0, 1.0, 100.0, 0.0},

    {"s", DIM_TIME, PFX_SMALL, 1.0, 1.0, 0.0},
    {"sec", DIM_TIME, PFX_SMALL, 1.0, 1.0, 0.0},
    {"second", DIM_TIME, PFX_SMALL, 1.0, 1.0, 0.0},
    {"seconds", DIM_TIME, PFX_SMALL, 1.0, 1.0, 0.0},
    {"min", DIM_TIME, 0, 60.0, 1.0, 0.0},
    {"mins", DIM_TIME, 0, 60.0, 1.0, 0.0},
    {"h", DIM_TIME, 0, 3600.0, 1.0, 0.0},
    {"hour", DIM_TIME, 0, 3600.0, 1.0, 0.0},
    {"hours", DIM_TIME, 0, 3600.0, 1.0, 0.0},
    {"d", DIM_TIME, 0, 86400.0, 1.0, 0.0},
    {"day", DIM_TIME, 0, 86400.0, 1.0, 0.0},
    {"days", DIM_TIME, 0, 86400.0, 1.0, 0.0},

    {"B", DIM_BYTES, PFX_DATA, 1.0, 1.0, 0.0},
    {"byte", DIM_BYTES, PFX_DATA, 1.0, 1.0, 0.0},
    {"bytes", DIM_BYTES, PFX_DATA, 1.0, 1.0, 0.0},
    {"b", DIM_BYTES, PFX_DATA, 1.0, 8.0, 0.0},
    {"bit", DIM_BYTES, PFX_DATA, 1.0, 8.0, 0.0},
    {"bits", DIM_BYTES, PFX_DATA, 1.0, 8.0, 0.0},

    {"B/s", DIM_BANDWIDTH, PFX_DATA, 1.0, 1.0, 0.0},
    {"byte/s", DIM_BANDWIDTH, PFX_DATA, 1.0, 1.0, 0.0},
    {"bytes/s", DIM_BANDWIDTH, PFX_DATA, 1.0, 1.0, 0.0},
    {"b/s", DIM_BANDWIDTH, PFX_DATA, 1.0, 8.0, 0.0},
    {"bit/s", DIM_BANDWIDTH, PFX_DATA, 1.0, 8.0, 0.0},
    {"bits/s", DIM_BANDWIDTH, PFX_DATA, 1.0, 8.0, 0.0},
    {"bps", DIM_BANDWIDTH, PFX_DATA, 1.0, 8.0, 0.0},

    {"FLOP", DIM_FLOP, PFX_UP, 1.0, 1.0, 0.0},
    {"FLOPs", DIM_FLOP, PFX_UP, 1.0, 1.0, 0.0},
    {"FLOPS", DIM_FLOPRATE, PFX_UP, 1.0, 1.0, 0.0},
    {"FLOP/s", DIM_FLOPRATE, PFX_UP, 1.0, 1.0, 0.0},
    {"OPS", DIM_FLOPRATE, PFX_UP, 1.0, 1.0, 0.0},
    {"OP/s", DIM_FLOPRATE, PFX_UP, 1.0, 1.0, 0.0},

    {"W", DIM_POWER, PFX_UP | PFX_SMALL, 1.0, 1.0, 0.0},

    {"J", DIM_ENERGY, PFX_UP | PFX_SMALL, 1.0, 1.0, 0.0},
    {"Wh", DIM_ENERGY, PFX_UP | PFX_SMALL, 3600.0, 1.0, 0.0},

    {"m", DIM_LENGTH, PFX_K | PFX_SMALL | PFX_CENTI, 1.0, 1.0, 0.0},

    {"C", DIM_TEMPERATURE, 0, 1.0, 1.0, 0.0},
    {"degC", DIM_TEMPERATURE, 0, 1.0, 1.0, 0.0},
    {DEG "C", DIM_TEMPERATURE, 0, 1.0, 1.0, 0.0},
    {"K", DIM_TEMPERATURE, 0, 1.0, 1.0, -273.15},

    {"m3/s", DIM_FLOW, 0, 1.0, 1.0, 0.0},
    {"m^3/s", DIM_FLOW, 0, 1.0, 1.0, 0.0},
    {"m3/h", DIM_FLOW, 0, 1.0, 3600.0, 0.0},
    {"m^3/h", DIM_FLOW, 0, 1.0, 3600.0, 0.0},
    {"L/s", DIM_FLOW, 0, 1.0, 1e3, 0.0},
    {"l/s", DIM_FLOW, 0, 1.0, 1e3, 0.0},
    {"L/min", DIM_FLOW, 0, 1.0, 6e4, 0.0},
    {"l/min", DIM_FLOW, 0, 1.0, 6e4, 0.0},
    {"L/h", DIM_FLOW, 0, 1.0, 3.6e6, 0.0},
    {"l/h", DIM_FLOW, 0, 1.0, 3.6e6, 0.0},
    {"gpm", DIM_FLOW, 0, 3.785411784e-3, 60.0, 0.0},

    {"K/W", DIM_THERMAL_RES, 0, 1.0, 1.0, 0.0},
    {"C/W", DIM_THERMAL_RES, 0, 1.0, 1.0, 0.0},
    {"degC/W", DIM_THERMAL_RES, 0, 1.0, 1.0, 0.0},
    {DEG "C/W", DIM_THERMAL_RES, 0, 1.0, 1.0, 0.0},

    {"J/K", DIM_HEAT_CAP, PFX_UP, 1.0, 1.0, 0.0},

    {"Hz", DIM_FREQUENCY, PFX_UP, 1.0, 1.0, 0.0},
    {"/s", DIM_FREQUENCY, 0, 1.0, 1.0, 0.0},   /* events per second: "12 /s" */
    {"req/s", DIM_FREQUENCY, 0, 1.0, 1.0, 0.0}, /* request rates */
    {"/min", DIM_FREQUENCY, 0, 1.0, 60.0, 0.0},
    {"req/min", DIM_FREQUENCY, 0, 1.0, 60.0, 0.0},

    {"J/bit", DIM_ENERGY_PER_BIT, PFX_SMALL, 1.0, 1.0, 0.0},
    {"J/b", DIM_ENERGY_PER_BIT, PFX_SMALL, 1.0, 1.0, 0.0},
};

/* A display unit for units_format(): mantissa = SI value * div / mul. */
typedef struct unit_display {
    const char *spelling;
    double mul;
    double div;
} unit_display;

/* Display units per dimension, smallest first; each spelling must parse back to its dim. */
static const unit_display disp_time[] = {
    {"ps", 1.0, 1e12}, {"ns", 1.0, 1e9}, {"us", 1.0, 1e6}, {"ms", 1.0, 1e3}, {"s", 1.0, 1.0},
};
static const unit_display disp_bytes[] = {
    {"B", 1.0, 1.0},   {"kB", 1e3, 1.0},  {"MB", 1e6, 1.0},  {"GB", 1e9, 1.0},
    {"TB", 1e12, 1.0}, {"PB", 1e15, 1.0}, {"EB", 1e18, 1.0},
};
static const unit_display disp_bandwidth[] = {
    {"B/s", 1.0, 1.0},   {"kB/s", 1e3, 1.0},  {"MB/s", 1e6, 1.0},  {"GB/s", 1e9, 1.0},
    {"TB/s", 1e12, 1.0}, {"PB/s", 1e15, 1.0}, {"EB/s", 1e18, 1.0},
};
static const unit_display disp_flop[] = {
    {"FLOP", 1.0, 1.0},   {"kFLOP", 1e3, 1.0},  {"MFLOP", 1e6, 1.0},  {"GFLOP", 1e9, 1.0},
    {"TFLOP", 1e12, 1.0}, {"PFLOP", 1e15, 1.0}, {"EFLOP", 1e18, 1.0},
};
static const unit_display disp_floprate[] = {
    {"FLOP/s", 1.0, 1.0},   {"kFLOP/s", 1e3, 1.0},  {"MFLOP/s", 1e6, 1.0},
    {"GFLOP/s", 1e9, 1.0},  {"TFLOP/s", 1e12, 1.0}, {"PFLOP/s", 1e15, 1.0},
    {"EFLOP/s", 1e18, 1.0},
};
static const unit_display disp_power[] = {
    {"nW", 1.0, 1e9}, {"uW", 1.0, 1e6}, {"mW", 1.0, 1e3},  {"W", 1.0, 1.0},
    {"kW", 1e3, 1.0}, {"MW", 1e6, 1.0}, {"GW", 1e9, 1.0}, {"TW", 1e12, 1.0},
};
static const unit_display disp_energy[] = {
    {"fJ", 1.0, 1e15}, {"pJ", 1.0, 1e12}, {"nJ", 1.0, 1e9}, {"uJ", 1.0, 1e6},
    {"mJ", 1.0, 1e3},  {"J", 1.0, 1.0},   {"kJ", 1e3, 1.0}, {"MJ", 1e6, 1.0},
    {"GJ", 1e9, 1.0},  {"TJ", 1e12, 1.0},
};
static const unit_display disp_length[] = {
    {"nm", 1.0, 1e9}, {"um", 1.0, 1e6}, {"mm", 1.0, 1e3}, {"m", 1.0, 1.0}, {"km", 1e3, 1.0},
};
static const unit_display disp_temperature[] = {{"degC", 1.0, 1.0}};
/* L/s rather than L/min: a decimal step keeps six significant digits exact both ways. */
static const unit_display disp_flow[] = {{"L/s", 1.0, 1e3}, {"m^3/s", 1.0, 1.0}};
static const unit_display disp_thermal_res[] = {{"K/W", 1.0, 1.0}};
static const unit_display disp_heat_cap[] = {
    {"J/K", 1.0, 1.0}, {"kJ/K", 1e3, 1.0}, {"MJ/K", 1e6, 1.0}, {"GJ/K", 1e9, 1.0},
};
static const unit_display disp_frequency[] = {
    {"Hz", 1.0, 1.0}, {"kHz", 1e3, 1.0}, {"MHz", 1e6, 1.0}, {"GHz", 1e9, 1.0}, {"THz", 1e12, 1.0},
};
static const unit_display disp_energy_per_bit[] = {
    {"fJ/bit", 1.0, 1e15}, {"pJ/bit", 1.0, 1e12}, {"nJ/bit", 1.0, 1e9},
    {"uJ/bit", 1.0, 1e6},  {"mJ/bit", 1.0, 1e3},  {"J/bit", 1.0, 1.0},
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

typedef struct dim_info {
    const char *name;    /* "bandwidth" */
    const char *article; /* "a" or "an", for "is a time" / "is an energy" */
    const char *si_symbol;
    const char *example;
    const unit_display *display; /* NULL: plain %.6g */
    size_t n_display;
} dim_info;

#define DISPLAY(a) a, COUNT_OF(a)

static const dim_info dim_infos[DIM__COUNT] = {
    [DIM_NONE] = {"plain number", "a", "", "0.5", NULL, 0},
    [DIM_TIME] = {"time", "a", "s", "200 ns", DISPLAY(disp_time)},
    [DIM_BYTES] = {"data size", "a", "B", "128 GiB", DISPLAY(disp_bytes)},
    [DIM_BANDWIDTH] = {"bandwidth", "a", "B/s", "400 GB/s", DISPLAY(disp_bandwidth)},
    [DIM_FLOP] = {"FLOP count", "a", "FLOP", "2 TFLOP", DISPLAY(disp_flop)},
    [DIM_FLOPRATE] = {"FLOP rate", "a", "FLOP/s", "989 TFLOPS", DISPLAY(disp_floprate)},
    [DIM_POWER] = {"power", "a", "W", "700 W", DISPLAY(disp_power)},
    [DIM_ENERGY] = {"energy", "an", "J", "3.6 MJ", DISPLAY(disp_energy)},
    [DIM_LENGTH] = {"length", "a", "m", "2 m", DISPLAY(disp_length)},
    [DIM_TEMPERATURE] = {"temperature", "a", "degC", "45 degC", DISPLAY(disp_temperature)},
    [DIM_FLOW] = {"flow rate", "a", "m^3/s", "1.5 L/min", DISPLAY(disp_flow)},
    [DIM_THERMAL_RES] = {"thermal resistance", "a", "K/W", "0.05 K/W",
                         DISPLAY(disp_thermal_res)},
    [DIM_HEAT_CAP] = {"heat capacity", "a", "J/K", "4.2 kJ/K", DISPLAY(disp_heat_cap)},
    [DIM_FREQUENCY] = {"frequency", "a", "Hz", "1.98 GHz", DISPLAY(disp_frequency)},
    [DIM_ENERGY_PER_BIT] = {"energy per bit", "an", "J/bit", "5 pJ/bit",
                            DISPLAY(disp_energy_per_bit)},
};

static bool dim_valid(unit_dim d)
{
    return (int)d >= 0 && d < DIM__COUNT;
}

const char *units_dim_name(unit_dim d)
{
    return dim_valid(d) ? dim_infos[d].name : "unknown dimension";
}

const char *units_si_symbol(unit_dim d)
{
    return dim_valid(d) ? dim_infos[d].si_symbol : "";
}

const char *units_example(unit_dim d)
{
    return dim_valid(d) ? dim_infos[d].example : "";
}

/* ---------------------------------------------------------------------------------------------
 * Parsing
 * ------------------------------------------------------------------------------------------- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Length of the C float literal (decimal only: no hex, inf or nan) at S[0..LEN), 0 if none. */
static size_t scan_number(const char *s, size_t len)
{
    size_t i = 0, digits = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    while (i < len && is_digit(s[i])) {
        i++;
        digits++;
    }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && is_digit(s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0)
        return 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < len && (s[j] == '+' || s[j] == '-'))
            j++;
        if (j < len && is_digit(s[j])) {
            while (j < len && is_digit(s[j]))
                j++;
            i = j; /* "1EB" keeps its E as a prefix: an exponent needs digits */
        }
    }
    return i;
}

/* Length of the separator between number and unit at S[0..LEN): one ASCII space, U+00A0 or
 * U+202F; 0 if none. */
static size_t scan_separator(const char *s, size_t len)
{
    if (len >= 1 && s[0] == ' ')
        return 1;
    if (len >= 2 && memcmp(s, "\xC2\xA0", 2) == 0)
        return 2;
    if (len >= 3 && memcmp(s, "\xE2\x80\xAF", 3) == 0)
        return 3;
    return 0;
}

static bool span_eq(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* The table entry spelled exactly S[0..LEN), or NULL. */
static const unit_spelling *find_spelling(const char *s, size_t len)
{
    for (size_t i = 0; i < COUNT_OF(unit_spellings); i++)
        if (span_eq(s, len, unit_spellings[i].spelling))
            return &unit_spellings[i];
    return NULL;
}

/* Resolves the unit S[0..LEN) into *SPELLING and *PREFIX (NULL when unprefixed). */
static bool find_unit(const char *s, size_t len, const unit_spelling **spelling,
                      const unit_prefix **prefix)
{
    *prefix = NULL;
    *spelling = find_spelling(s, len);
    if (*spelling)
        return true;
    for (size_t i = 0; i < COUNT_OF(unit_prefixes); i++) {
        const unit_prefix *p = &unit_prefixes[i];
        size_t plen = strlen(p->spelling);
        if (plen >= len || memcmp(s, p->spelling, plen) != 0)
            continue;
        const unit_spelling *u = find_spelling(s + plen, len - plen);
        if (u && (u->prefixes & p->cls)) {
            *spelling = u;
            *prefix = p;
            return true;
        }
    }
    return false;
}

/* Clamps a span length for "%.*s". */
static int span_int(size_t len)
{
    return len > 4096 ? 4096 : (int)len;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int units_parse(const char *text, unit_dim want, double *out, char *err, size_t errlen)
{
    const char *s = text ? text : "";
    while (is_space(*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && is_space(s[len - 1]))
        len--;
    int tlen = span_int(len); /* the trimmed text, quoted in every message */

    if (!dim_valid(want))
        return fail(err, errlen, "'%.*s' cannot be checked against an unknown dimension", tlen, s);

    size_t nlen = scan_number(s, len);
    char *num_end = NULL;
    double x = nlen ? strtod(s, &num_end) : 0.0;
    if (nlen == 0 || num_end != s + nlen)
        return fail(err, errlen, "'%.*s' is not a number with a unit", tlen, s);

    const char *unit = s + nlen;
    size_t ulen = len - nlen;
    size_t sep = scan_separator(unit, ulen);
    unit += sep;
    ulen -= sep;
    if (ulen > 0 && (is_space(unit[0]) || is_digit(unit[0]) || unit[0] == '.' ||
                     unit[0] == '+' || unit[0] == '-' || scan_separator(unit, ulen) > 0))
        return fail(err, errlen, "'%.*s' is not a number with a unit", tlen, s);

    double v = x;
    if (ulen == 0) {
        if (want != DIM_NONE)
            return fail(err, errlen, "'%.*s' needs a unit of %s (for example '%s')", tlen, s,
                        dim_infos[want].name, dim_infos[want].example);
    } else {
        const unit_spelling *u;
        const unit_prefix *p;
        if (!find_unit(unit, ulen, &u, &p))
            return fail(err, errlen, "unknown unit '%.*s' in '%.*s'", span_int(ulen), unit, tlen,
                        s);
        if (u->dim != want)
            return fail(err, errlen, "'%.*s' is %s %s, but %s %s is expected", tlen, s,
                        dim_infos[u->dim].article, dim_infos[u->dim].name,
                        dim_infos[want].article, dim_infos[want].name);
        if (p)
            v = v * p->mul / p->div;
        v = v * u->mul / u->div + u->offset;
    }
    if (!isfinite(x) || !isfinite(v))
        return fail(err, errlen, "'%.*s' is not a finite number", tlen, s);
    if (out)
        *out = v;
    if (err && errlen > 0)
        err[0] = '\0';
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Formatting
 * ------------------------------------------------------------------------------------------- */

/* The mantissa of V in display unit D, rounded as "%.6g" prints it. */
static double display_mantissa(double v, const unit_display *d, char *buf, size_t n)
{
    double m = v * d->div / d->mul;
    snprintf(buf, n, "%.6g", m);
    return strtod(buf, NULL);
}

char *units_format(double v, unit_dim d, char *buf, size_t n)
{
    if (!buf || n == 0)
        return buf;
    if (!dim_valid(d) || !dim_infos[d].display) {
        snprintf(buf, n, "%.6g", v);
        return buf;
    }
    const dim_info *info = &dim_infos[d];
    if (!isfinite(v)) {
        snprintf(buf, n, "%.6g %s", v, info->si_symbol);
        return buf;
    }
    /* The largest display unit whose printed mantissa is at least 1; the smallest if none;
     * the SI unit itself for zero. */
    const unit_display *pick = NULL;
    char mant[64];
    if (v == 0.0) {
        for (size_t i = 0; i < info->n_display && !pick; i++)
            if (info->display[i].mul == 1.0 && info->display[i].div == 1.0)
                pick = &info->display[i];
    } else {
        for (size_t i = info->n_display; i-- > 0 && !pick;)
            if (fabs(display_mantissa(v, &info->display[i], mant, sizeof mant)) >= 1.0)
                pick = &info->display[i];
    }
    if (!pick)
        pick = &info->display[0];
    display_mantissa(v, pick, mant, sizeof mant);
    snprintf(buf, n, "%s %s", mant, pick->spelling);
    return buf;
}

char *units_format_exact(double v, unit_dim d, char *buf, size_t n)
{
    units_format(v, d, buf, n);
    if (!isfinite(v) || !buf || n == 0)
        return buf;
    /* Same display unit; more digits until the text parses back to exactly V. */
    const char *space = strchr(buf, ' ');
    char unit[48] = "";
    if (space)
        snprintf(unit, sizeof unit, "%s", space + 1);
    double scale = 1.0;
    if (space) {
        char one[64];
        snprintf(one, sizeof one, "1 %s", unit);
        if (units_parse(one, d, &scale, NULL, 0) != 0 || scale == 0)
            return buf;
    }
    for (int prec = 6; prec <= 17; prec++) {
        double back;
        if (space)
            snprintf(buf, n, "%.*g %s", prec, v / scale, unit);
        else
            snprintf(buf, n, "%.*g", prec, v);
        if (units_parse(buf, d, &back, NULL, 0) == 0 && back == v)
            return buf;
    }
    return buf;
}
