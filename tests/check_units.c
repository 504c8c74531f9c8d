/* Unit tests for sim/units (parsing and formatting quantities with units), sim/sha256 and
 * sim/strutil. Cases are tables; each row is one iteration of a loop test, so a failure names
 * the test, the row index and, in its message, the input text and both values. */
#include "sha256.h"
#include "strutil.h"
#include "units.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

#define MICRO "\xC2\xB5" /* µ U+00B5 */
#define MU "\xCE\xBC"    /* μ U+03BC */
#define DEG "\xC2\xB0"   /* ° U+00B0 */
#define NBSP "\xC2\xA0"
#define NNBSP "\xE2\x80\xAF"

/* Relative tolerance for values that go through exact scale factors. */
#define REL_TOL 1e-12

/* Asserts GOT is within REL_TOL of WANT (relative; absolute near zero), naming WHAT. */
static void assert_near(const char *what, double got, double want)
{
    double tol = fabs(want) * REL_TOL;
    if (tol < 1e-300)
        tol = 1e-300;
    ck_assert_msg(fabs(got - want) <= tol, "%s: got %.17g, want %.17g (tolerance %.3g)", what,
                  got, want, tol);
    ck_assert_double_eq_tol(got, want, tol * 1.0000001);
}

/* ---------------------------------------------------------------------------------------------
 * units_parse: accepted spellings
 * ------------------------------------------------------------------------------------------- */

typedef struct parse_case {
    const char *text;
    unit_dim want;
    double si;
} parse_case;

static void check_parse_case(const parse_case *c)
{
    double v = NAN;
    char err[256] = "stale";
    int rc = units_parse(c->text, c->want, &v, err, sizeof err);
    ck_assert_msg(rc == 0, "units_parse(\"%s\", %s) failed: %s", c->text,
                  units_dim_name(c->want), err);
    ck_assert_msg(err[0] == '\0', "units_parse(\"%s\") succeeded but left error text '%s'",
                  c->text, err);
    assert_near(c->text, v, c->si);
}

static const parse_case prefix_cases[] = {
    {"1 KiB", DIM_BYTES, 1024.0},
    {"1 kB", DIM_BYTES, 1000.0},
    {"1 KB", DIM_BYTES, 1000.0},
    {"4 KiB", DIM_BYTES, 4096.0},
    {"1 MiB", DIM_BYTES, 1048576.0},
    {"1 GiB", DIM_BYTES, 1073741824.0},
    {"128 GiB", DIM_BYTES, 137438953472.0},
    {"1 TiB", DIM_BYTES, 1099511627776.0},
    {"1 PiB", DIM_BYTES, 1125899906842624.0},
    {"1 EiB", DIM_BYTES, 1152921504606846976.0},
    {"2 MB", DIM_BYTES, 2e6},
    {"1.5 GB", DIM_BYTES, 1.5e9},
    {"1 TB", DIM_BYTES, 1e12},
    {"1 PB", DIM_BYTES, 1e15},
    {"1 EB", DIM_BYTES, 1e18},
    {"1EB", DIM_BYTES, 1e18},
    {"2E3 B", DIM_BYTES, 2e3},
    {"1 kbyte", DIM_BYTES, 1e3},
    {"3 bytes", DIM_BYTES, 3.0},
    {"1 GiB/s", DIM_BANDWIDTH, 1073741824.0},
    {"1 KiB/s", DIM_BANDWIDTH, 1024.0},
    {"1 KB/s", DIM_BANDWIDTH, 1000.0},
    {"2 MiB/s", DIM_BANDWIDTH, 2097152.0},
};

static const parse_case bit_cases[] = {
    {"3.2 Tb/s", DIM_BANDWIDTH, 4e11},
    {"400 Gbps", DIM_BANDWIDTH, 5e10},
    {"400 Gb/s", DIM_BANDWIDTH, 5e10},
    {"400 GB/s", DIM_BANDWIDTH, 4e11},
    {"400GB/s", DIM_BANDWIDTH, 4e11},
    {"400" NBSP "GB/s", DIM_BANDWIDTH, 4e11},
    {"400" NNBSP "GB/s", DIM_BANDWIDTH, 4e11},
    {"800 Gbit/s", DIM_BANDWIDTH, 1e11},
    {"800 Gbits/s", DIM_BANDWIDTH, 1e11},
    {"1 Tbps", DIM_BANDWIDTH, 1.25e11},
    {"1 Mbps", DIM_BANDWIDTH, 125000.0},
    {"1 Kbps", DIM_BANDWIDTH, 125.0},
    {"8 bps", DIM_BANDWIDTH, 1.0},
    {"100 B/s", DIM_BANDWIDTH, 100.0},
    {"10 bytes/s", DIM_BANDWIDTH, 10.0},
    {"1 Gib/s", DIM_BANDWIDTH, 134217728.0},
    {"8 b", DIM_BYTES, 1.0},
    {"8 bit", DIM_BYTES, 1.0},
    {"8 bits", DIM_BYTES, 1.0},
    {"1 kb", DIM_BYTES, 125.0},
    {"1 Kib", DIM_BYTES, 128.0},
    {"1 Gb", DIM_BYTES, 1.25e8},
};

static const parse_case time_cases[] = {
    {"1.5 us", DIM_TIME, 1.5e-6},
    {"200 ns", DIM_TIME, 2e-7},
    {"1.5 " MICRO "s", DIM_TIME, 1.5e-6},
    {"1.5 " MU "s", DIM_TIME, 1.5e-6},
    {"3 ms", DIM_TIME, 3e-3},
    {"5 ps", DIM_TIME, 5e-12},
    {"2 fs", DIM_TIME, 2e-15},
    {"2 s", DIM_TIME, 2.0},
    {"2 sec", DIM_TIME, 2.0},
    {"10 msec", DIM_TIME, 1e-2},
    {"2 min", DIM_TIME, 120.0},
    {"1.5 h", DIM_TIME, 5400.0},
    {"1 hour", DIM_TIME, 3600.0},
    {"2 hours", DIM_TIME, 7200.0},
    {"1 d", DIM_TIME, 86400.0},
    {"1 day", DIM_TIME, 86400.0},
    {"2 days", DIM_TIME, 172800.0},
    {"  7 s \t\n", DIM_TIME, 7.0},
    {"1e9 ns", DIM_TIME, 1.0},
    {"1e-3s", DIM_TIME, 1e-3},
    {"1E+2 ms", DIM_TIME, 0.1},
    {".5 s", DIM_TIME, 0.5},
    {"5. s", DIM_TIME, 5.0},
    {"-3 s", DIM_TIME, -3.0},
    {"+2 ms", DIM_TIME, 2e-3},
};

static const parse_case flop_cases[] = {
    {"989 TFLOPS", DIM_FLOPRATE, 9.89e14},
    {"989 TFLOP/s", DIM_FLOPRATE, 9.89e14},
    {"312 GFLOPS", DIM_FLOPRATE, 3.12e11},
    {"1 PFLOPS", DIM_FLOPRATE, 1e15},
    {"2 EFLOPS", DIM_FLOPRATE, 2e18},
    {"1 kFLOPS", DIM_FLOPRATE, 1e3},
    {"7 FLOPS", DIM_FLOPRATE, 7.0},
    {"7 FLOP/s", DIM_FLOPRATE, 7.0},
    {"5 TOPS", DIM_FLOPRATE, 5e12},
    {"5 TOP/s", DIM_FLOPRATE, 5e12},
    {"2 POPS", DIM_FLOPRATE, 2e15},
    {"7 FLOP", DIM_FLOP, 7.0},
    {"3 FLOPs", DIM_FLOP, 3.0},
    {"2 TFLOP", DIM_FLOP, 2e12},
    {"1 PFLOPs", DIM_FLOP, 1e15},
    {"1 EFLOP", DIM_FLOP, 1e18},
    {"4 GFLOP", DIM_FLOP, 4e9},
};

static const parse_case power_energy_cases[] = {
    {"700 W", DIM_POWER, 700.0},
    {"500 mW", DIM_POWER, 0.5},
    {"1.2 kW", DIM_POWER, 1200.0},
    {"3 MW", DIM_POWER, 3e6},
    {"1 GW", DIM_POWER, 1e9},
    {"1 J", DIM_ENERGY, 1.0},
    {"5 pJ", DIM_ENERGY, 5e-12},
    {"2 kJ", DIM_ENERGY, 2e3},
    {"3.6 MJ", DIM_ENERGY, 3.6e6},
    {"1 GJ", DIM_ENERGY, 1e9},
    {"1 Wh", DIM_ENERGY, 3600.0},
    {"1 kWh", DIM_ENERGY, 3.6e6},
    {"2 MWh", DIM_ENERGY, 7.2e9},
};

static const parse_case length_freq_epb_cases[] = {
    {"2 m", DIM_LENGTH, 2.0},
    {"5 mm", DIM_LENGTH, 5e-3},
    {"3 cm", DIM_LENGTH, 0.03},
    {"1.5 km", DIM_LENGTH, 1500.0},
    {"10 um", DIM_LENGTH, 1e-5},
    {"10 " MICRO "m", DIM_LENGTH, 1e-5},
    {"50 Hz", DIM_FREQUENCY, 50.0},
    {"32 kHz", DIM_FREQUENCY, 3.2e4},
    {"100 MHz", DIM_FREQUENCY, 1e8},
    {"1.98 GHz", DIM_FREQUENCY, 1.98e9},
    {"12 req/s", DIM_FREQUENCY, 12.0},
    {"30 req/min", DIM_FREQUENCY, 0.5},
    {"5 /s", DIM_FREQUENCY, 5.0},
    {"5 pJ/bit", DIM_ENERGY_PER_BIT, 5e-12},
    {"5 pJ/b", DIM_ENERGY_PER_BIT, 5e-12},
    {"10 fJ/bit", DIM_ENERGY_PER_BIT, 1e-14},
    {"1 J/bit", DIM_ENERGY_PER_BIT, 1.0},
};

static const parse_case temperature_cases[] = {
    {"318.15 K", DIM_TEMPERATURE, 45.0},
    {"273.15 K", DIM_TEMPERATURE, 0.0},
    {"300 K", DIM_TEMPERATURE, 26.85},
    {"45 C", DIM_TEMPERATURE, 45.0},
    {"45 degC", DIM_TEMPERATURE, 45.0},
    {"45 " DEG "C", DIM_TEMPERATURE, 45.0},
    {"45" DEG "C", DIM_TEMPERATURE, 45.0},
    {"-40 C", DIM_TEMPERATURE, -40.0},
};

static const parse_case flow_thermal_cases[] = {
    {"1.5 L/min", DIM_FLOW, 2.5e-5},
    {"1.5 l/min", DIM_FLOW, 2.5e-5},
    {"2 L/s", DIM_FLOW, 2e-3},
    {"2 l/s", DIM_FLOW, 2e-3},
    {"36 L/h", DIM_FLOW, 1e-5},
    {"0.01 m3/s", DIM_FLOW, 0.01},
    {"0.01 m^3/s", DIM_FLOW, 0.01},
    {"36 m3/h", DIM_FLOW, 0.01},
    {"36 m^3/h", DIM_FLOW, 0.01},
    {"1 gpm", DIM_FLOW, 6.30901964e-5},
    {"10 gpm", DIM_FLOW, 6.30901964e-4},
    {"0.05 K/W", DIM_THERMAL_RES, 0.05},
    {"0.05 C/W", DIM_THERMAL_RES, 0.05},
    {"0.05 degC/W", DIM_THERMAL_RES, 0.05},
    {"0.05 " DEG "C/W", DIM_THERMAL_RES, 0.05},
    {"100 J/K", DIM_HEAT_CAP, 100.0},
    {"4.2 kJ/K", DIM_HEAT_CAP, 4200.0},
    {"1 MJ/K", DIM_HEAT_CAP, 1e6},
};

static const parse_case plain_cases[] = {
    {"0.5", DIM_NONE, 0.5},
    {"3", DIM_NONE, 3.0},
    {"1e9", DIM_NONE, 1e9},
    {"-2", DIM_NONE, -2.0},
    {"  7  ", DIM_NONE, 7.0},
    {"50 %", DIM_NONE, 0.5},
    {"50%", DIM_NONE, 0.5},
    {"12.5 %", DIM_NONE, 0.125},
};

START_TEST(decimal_and_binary_prefixes_are_exact)
{
    check_parse_case(&prefix_cases[_i]);
}
END_TEST

START_TEST(bits_are_eighth_bytes)
{
    check_parse_case(&bit_cases[_i]);
}
END_TEST

START_TEST(times_convert_to_seconds)
{
    check_parse_case(&time_cases[_i]);
}
END_TEST

START_TEST(flop_counts_and_rates_differ)
{
    check_parse_case(&flop_cases[_i]);
}
END_TEST

START_TEST(power_and_energy_convert_to_watts_and_joules)
{
    check_parse_case(&power_energy_cases[_i]);
}
END_TEST

START_TEST(length_frequency_and_energy_per_bit_convert)
{
    check_parse_case(&length_freq_epb_cases[_i]);
}
END_TEST

START_TEST(temperatures_convert_to_celsius)
{
    check_parse_case(&temperature_cases[_i]);
}
END_TEST

START_TEST(flow_and_thermal_quantities_convert)
{
    check_parse_case(&flow_thermal_cases[_i]);
}
END_TEST

START_TEST(plain_numbers_and_percent)
{
    check_parse_case(&plain_cases[_i]);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * units_parse: error texts (golden)
 * ------------------------------------------------------------------------------------------- */

typedef struct error_case {
    const char *text;
    unit_dim want;
    const char *message;
} error_case;

static const error_case error_cases[] = {
    {"400", DIM_BANDWIDTH, "'400' needs a unit of bandwidth (for example '400 GB/s')"},
    {"200", DIM_TIME, "'200' needs a unit of time (for example '200 ns')"},
    {"200 ns", DIM_BANDWIDTH, "'200 ns' is a time, but a bandwidth is expected"},
    {"5 kJ", DIM_POWER, "'5 kJ' is an energy, but a power is expected"},
    {"5 m", DIM_TIME, "'5 m' is a length, but a time is expected"},
    {"5 K", DIM_BYTES, "'5 K' is a temperature, but a data size is expected"},
    {"989 TFLOPs", DIM_FLOPRATE, "'989 TFLOPs' is a FLOP count, but a FLOP rate is expected"},
    {"50 %", DIM_TIME, "'50 %' is a plain number, but a time is expected"},
    {"5 W", DIM_NONE, "'5 W' is a power, but a plain number is expected"},
    {"400 Gbs", DIM_BANDWIDTH, "unknown unit 'Gbs' in '400 Gbs'"},
    {"  400 Gbs\n", DIM_BANDWIDTH, "unknown unit 'Gbs' in '400 Gbs'"},
    {"400 GBps", DIM_BANDWIDTH, "unknown unit 'GBps' in '400 GBps'"},
    {"1 mb", DIM_BYTES, "unknown unit 'mb' in '1 mb'"},
    {"1 KW", DIM_POWER, "unknown unit 'KW' in '1 KW'"},
    {"1 Ms", DIM_TIME, "unknown unit 'Ms' in '1 Ms'"},
    {"2 kK", DIM_TEMPERATURE, "unknown unit 'kK' in '2 kK'"},
    {"3 x", DIM_NONE, "unknown unit 'x' in '3 x'"},
    {"abc", DIM_BANDWIDTH, "'abc' is not a number with a unit"},
    {"GB/s", DIM_BANDWIDTH, "'GB/s' is not a number with a unit"},
    {"", DIM_TIME, "'' is not a number with a unit"},
    {" \t ", DIM_NONE, "'' is not a number with a unit"},
    {".", DIM_NONE, "'.' is not a number with a unit"},
    {"400  GB/s", DIM_BANDWIDTH, "'400  GB/s' is not a number with a unit"},
    {"1.2.3 W", DIM_POWER, "'1.2.3 W' is not a number with a unit"},
    {"1 2 W", DIM_POWER, "'1 2 W' is not a number with a unit"},
    {"0x10 B", DIM_BYTES, "'0x10 B' is not a number with a unit"},
    {"inf W", DIM_POWER, "'inf W' is not a number with a unit"},
    {"nan", DIM_NONE, "'nan' is not a number with a unit"},
    {"1e999 W", DIM_POWER, "'1e999 W' is not a finite number"},
    {"-1e999", DIM_NONE, "'-1e999' is not a finite number"},
    {"1e300 EB", DIM_BYTES, "'1e300 EB' is not a finite number"},
};

START_TEST(errors_have_exact_text)
{
    const error_case *c = &error_cases[_i];
    double v = 12345.0;
    char err[256] = "";
    int rc = units_parse(c->text, c->want, &v, err, sizeof err);
    ck_assert_msg(rc == -1, "units_parse(\"%s\") should fail with \"%s\"", c->text, c->message);
    ck_assert_str_eq(err, c->message);
    ck_assert_msg(v == 12345.0, "units_parse(\"%s\") wrote %g on failure", c->text, v);
}
END_TEST

START_TEST(errors_tolerate_small_or_missing_buffers)
{
    char small[8];
    ck_assert_int_eq(units_parse("400", DIM_BANDWIDTH, NULL, small, sizeof small), -1);
    ck_assert_str_eq(small, "'400' n");
    ck_assert_int_eq(units_parse("400", DIM_BANDWIDTH, NULL, NULL, 0), -1);
    ck_assert_int_eq(units_parse(NULL, DIM_TIME, NULL, small, sizeof small), -1);
    ck_assert_str_eq(small, "'' is n");
    double v = 0.0;
    ck_assert_int_eq(units_parse("2 s", DIM_TIME, &v, NULL, 0), 0);
    ck_assert_double_eq_tol(v, 2.0, 1e-15);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Dimension metadata and units_format
 * ------------------------------------------------------------------------------------------- */

START_TEST(every_dimension_has_a_name_symbol_and_parsable_example)
{
    unit_dim d = (unit_dim)_i;
    ck_assert_msg(units_dim_name(d)[0] != '\0', "dimension %d has no name", _i);
    ck_assert_msg(d == DIM_NONE || units_si_symbol(d)[0] != '\0', "dimension %d has no symbol",
                  _i);
    double v = NAN;
    char err[256] = "";
    ck_assert_msg(units_parse(units_example(d), d, &v, err, sizeof err) == 0,
                  "example '%s' of %s does not parse: %s", units_example(d), units_dim_name(d),
                  err);
    ck_assert_str_eq(units_dim_name(DIM_BANDWIDTH), "bandwidth");
    ck_assert_str_eq(units_si_symbol(DIM_BANDWIDTH), "B/s");
    ck_assert_str_eq(units_si_symbol(DIM_TEMPERATURE), "degC");
    ck_assert_str_eq(units_si_symbol(DIM_NONE), "");
    ck_assert_str_eq(units_example(DIM_TIME), "200 ns");
}
END_TEST

typedef struct format_case {
    double si;
    unit_dim dim;
    const char *text;
} format_case;

static const format_case format_cases[] = {
    {4e11, DIM_BANDWIDTH, "400 GB/s"},
    {5e10, DIM_BANDWIDTH, "50 GB/s"},
    {2e-7, DIM_TIME, "200 ns"},
    {1.5e-6, DIM_TIME, "1.5 us"},
    {3600.0, DIM_TIME, "3600 s"},
    {1e-13, DIM_TIME, "0.1 ps"},
    {0.0, DIM_TIME, "0 s"},
    {0.9999999, DIM_TIME, "1 s"},
    {0.9999999e-3, DIM_TIME, "1 ms"},
    {1073741824.0, DIM_BYTES, "1.07374 GB"},
    {1e25, DIM_BYTES, "1e+07 EB"},
    {0.5, DIM_BYTES, "0.5 B"},
    {2e12, DIM_FLOP, "2 TFLOP"},
    {9.89e14, DIM_FLOPRATE, "989 TFLOP/s"},
    {-700.0, DIM_POWER, "-700 W"},
    {1.2e3, DIM_POWER, "1.2 kW"},
    {3.6e6, DIM_ENERGY, "3.6 MJ"},
    {5e-12, DIM_ENERGY, "5 pJ"},
    {1500.0, DIM_LENGTH, "1.5 km"},
    {45.0, DIM_TEMPERATURE, "45 degC"},
    {-40.0, DIM_TEMPERATURE, "-40 degC"},
    {2.5e-5, DIM_FLOW, "0.025 L/s"},
    {0.5, DIM_FLOW, "500 L/s"},
    {2.0, DIM_FLOW, "2 m^3/s"},
    {0.0, DIM_FLOW, "0 m^3/s"},
    {0.05, DIM_THERMAL_RES, "0.05 K/W"},
    {4200.0, DIM_HEAT_CAP, "4.2 kJ/K"},
    {1.98e9, DIM_FREQUENCY, "1.98 GHz"},
    {5e-12, DIM_ENERGY_PER_BIT, "5 pJ/bit"},
    {0.5, DIM_NONE, "0.5"},
    {1234567.0, DIM_NONE, "1.23457e+06"},
};

START_TEST(format_uses_engineering_prefixes)
{
    const format_case *c = &format_cases[_i];
    char buf[64];
    ck_assert_str_eq(units_format(c->si, c->dim, buf, sizeof buf), c->text);
}
END_TEST

START_TEST(format_truncates_to_buffer)
{
    char buf[5];
    ck_assert_str_eq(units_format(4e11, DIM_BANDWIDTH, buf, sizeof buf), "400 ");
    ck_assert_ptr_null(units_format(1.0, DIM_TIME, NULL, 0));
}
END_TEST

/* Values with at most six significant digits, which "%.6g" carries without loss. */
static const double round_trip_mantissas[] = {1.0,   1.5,     2.25,    3.14159, 42.0,
                                              0.5,   123.456, 999.999, 7.0,     -2.5,
                                              -999.5};

START_TEST(format_round_trips_through_parse)
{
    unit_dim d = (unit_dim)_i;
    char buf[64], err[256], what[160];
    for (size_t m = 0; m < COUNT_OF(round_trip_mantissas); m++) {
        for (int e = -15; e <= 21; e++) {
            double v = round_trip_mantissas[m] * pow(10.0, e);
            units_format(v, d, buf, sizeof buf);
            double back = NAN;
            err[0] = '\0';
            ck_assert_msg(units_parse(buf, d, &back, err, sizeof err) == 0,
                          "%s: %.17g formats as '%s', which does not parse back: %s",
                          units_dim_name(d), v, buf, err);
            snprintf(what, sizeof what, "%s %.17g -> '%s'", units_dim_name(d), v, buf);
            assert_near(what, back, v);
        }
    }
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * sha256
 * ------------------------------------------------------------------------------------------- */

typedef struct sha_case {
    const char *text;
    size_t repeat; /* 0: TEXT as is; else TEXT[0] repeated REPEAT times */
    const char *hex;
} sha_case;

static const sha_case sha_cases[] = {
    {"", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", 0, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 0,
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"The quick brown fox jumps over the lazy dog", 0,
     "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"},
    {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    /* padding boundaries: 55 and 56 bytes straddle the one-block tail, 64 is a whole block */
    {"x", 55, "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"},
    {"x", 56, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"},
    {"x", 63, "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"},
    {"x", 64, "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"},
    {"x", 65, "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"},
    {"x", 119, "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"},
    {"x", 120, "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"},
    {"x", 128, "24da1b81d0b16df6428eee73c69fcb2a93c76bc6df706f0c6670fe6bfe800464"},
};

START_TEST(sha256_matches_known_vectors)
{
    const sha_case *c = &sha_cases[_i];
    char hex[65];
    if (c->repeat == 0) {
        sha256_hex(c->text, strlen(c->text), hex);
    } else {
        char *buf = malloc(c->repeat);
        ck_assert_ptr_nonnull(buf);
        memset(buf, c->text[0], c->repeat);
        sha256_hex(buf, c->repeat, hex);
        free(buf);
    }
    ck_assert_str_eq(hex, c->hex);
}
END_TEST

START_TEST(sha256_accepts_null_empty_buffer)
{
    char hex[65];
    sha256_hex(NULL, 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * strutil
 * ------------------------------------------------------------------------------------------- */

typedef struct distance_case {
    const char *a;
    const char *b;
    size_t distance;
} distance_case;

static const distance_case distance_cases[] = {
    {"", "", 0},
    {"abc", "", 3},
    {"", "abc", 3},
    {NULL, "ab", 2},
    {"same", "same", 0},
    {"kitten", "sitting", 3},
    {"flaw", "lawn", 2},
    {"ab", "ba", 1},                 /* one transposition */
    {"ca", "abc", 3},                /* OSA: no edit of a transposed pair */
    {"link_latency", "lnk_latency", 1},
    {"link_latency", "lnik_latency", 1},
    {"Gbps", "Gbs", 1},
    {"abc", "ABC", 3},               /* case-sensitive */
};

START_TEST(edit_distance_counts_osa_edits)
{
    const distance_case *c = &distance_cases[_i];
    size_t d = str_edit_distance(c->a, c->b);
    ck_assert_msg(d == c->distance, "distance('%s', '%s') = %zu, want %zu", c->a ? c->a : "(null)",
                  c->b, d, c->distance);
    ck_assert_uint_eq(str_edit_distance(c->b, c->a), c->distance);
}
END_TEST

START_TEST(edit_distance_handles_long_strings)
{
    char a[601], b[601];
    memset(a, 'a', 600);
    a[600] = '\0';
    memcpy(b, a, sizeof b);
    b[300] = 'b';
    b[598] = 'c';
    ck_assert_uint_eq(str_edit_distance(a, b), 2);
    ck_assert_uint_eq(str_edit_distance(a, "aaa"), 597);
}
END_TEST

typedef struct closest_case {
    const char *word;
    const char *candidates[4];
    size_t n;
    const char *want; /* NULL: no suggestion */
} closest_case;

static const closest_case closest_cases[] = {
    {"lnk_latency", {"link_bandwidth", "link_latency", "latency"}, 3, "link_latency"},
    {"Gbs", {"GB/s", "Gbps", "Gb/s"}, 3, "Gbps"},
    {"ab", {"ac", "ad"}, 2, "ac"},                 /* tie: the first wins */
    {"x", {"xyz"}, 1, "xyz"},                      /* short words allow 2 edits */
    {"abcdefghijkl", {"abcdWXYZijkl"}, 1, "abcdWXYZijkl"}, /* 12 / 3 = 4 edits */
    {"abcdefghijkl", {"abVWXYZhijkl"}, 1, NULL},   /* 5 edits: too far */
    {"zzz", {"link_latency", "bandwidth"}, 2, NULL},
    {"x", {"abcd"}, 1, NULL},
    {"same", {NULL, "same"}, 2, "same"},
    {"anything", {"anything"}, 0, NULL},
};

START_TEST(closest_suggests_within_a_third_of_the_word)
{
    const closest_case *c = &closest_cases[_i];
    const char *got = str_closest(c->word, c->candidates, c->n);
    if (c->want)
        ck_assert_msg(got && strcmp(got, c->want) == 0, "closest('%s') = '%s', want '%s'",
                      c->word, got ? got : "(null)", c->want);
    else
        ck_assert_msg(got == NULL, "closest('%s') = '%s', want no suggestion", c->word, got);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Suites
 * ------------------------------------------------------------------------------------------- */

static void add_loop(Suite *s, const char *name, const TTest *test, size_t n)
{
    TCase *tc = tcase_create(name);
    tcase_add_loop_test(tc, test, 0, (int)n);
    suite_add_tcase(s, tc);
}

static Suite *units_suite(void)
{
    Suite *s = suite_create("units");
    add_loop(s, "prefixes", decimal_and_binary_prefixes_are_exact, COUNT_OF(prefix_cases));
    add_loop(s, "bits", bits_are_eighth_bytes, COUNT_OF(bit_cases));
    add_loop(s, "time", times_convert_to_seconds, COUNT_OF(time_cases));
    add_loop(s, "flop", flop_counts_and_rates_differ, COUNT_OF(flop_cases));
    add_loop(s, "power_energy", power_and_energy_convert_to_watts_and_joules,
             COUNT_OF(power_energy_cases));
    add_loop(s, "length_frequency", length_frequency_and_energy_per_bit_convert,
             COUNT_OF(length_freq_epb_cases));
    add_loop(s, "temperature", temperatures_convert_to_celsius, COUNT_OF(temperature_cases));
    add_loop(s, "flow_thermal", flow_and_thermal_quantities_convert,
             COUNT_OF(flow_thermal_cases));
    add_loop(s, "plain", plain_numbers_and_percent, COUNT_OF(plain_cases));
    add_loop(s, "errors", errors_have_exact_text, COUNT_OF(error_cases));
    add_loop(s, "error_buffers", errors_tolerate_small_or_missing_buffers, 1);
    add_loop(s, "dimensions", every_dimension_has_a_name_symbol_and_parsable_example,
             DIM__COUNT);
    add_loop(s, "format", format_uses_engineering_prefixes, COUNT_OF(format_cases));
    add_loop(s, "format_buffer", format_truncates_to_buffer, 1);
    add_loop(s, "round_trip", format_round_trips_through_parse, DIM__COUNT);
    return s;
}

static Suite *sha256_suite(void)
{
    Suite *s = suite_create("sha256");
    add_loop(s, "vectors", sha256_matches_known_vectors, COUNT_OF(sha_cases));
    add_loop(s, "null", sha256_accepts_null_empty_buffer, 1);
    return s;
}

static Suite *strutil_suite(void)
{
    Suite *s = suite_create("strutil");
    add_loop(s, "edit_distance", edit_distance_counts_osa_edits, COUNT_OF(distance_cases));
    add_loop(s, "long_strings", edit_distance_handles_long_strings, 1);
    add_loop(s, "closest", closest_suggests_within_a_third_of_the_word,
             COUNT_OF(closest_cases));
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(units_suite());
    srunner_add_suite(sr, sha256_suite());
    srunner_add_suite(sr, strutil_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
