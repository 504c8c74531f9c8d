/* Check suite "power": performance states (speeds evenly spaced, power monotone), power by
 * activity, the conversion chain P_in = (P_out + n·c)/η per stage, the rack cap's state, chiller
 * COP and heat-rejection modes, the exact energy meter, and a whole run whose accelerator energy
 * must equal the integral of power over each rank's compute, communication and idle time
 * (from /training/ranks) within 0.1%, with PUE = facility / IT energy. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5read.h"
#include "power/power.h"
#include "power/rack.h"
#include "scenario.h"

static hw_accel accel(int64_t states, double min_speed, double exponent)
{
    hw_accel a = {.peak_flops_Fps = 2.5e15, .idle_power_W = 240, .max_power_W = 1200};
    a.dvfs_states = states;
    a.dvfs_min_speed = min_speed;
    a.dvfs_power_exponent = exponent;
    a.mem_power_frac = 0.6;
    a.comm_power_frac = 0.3;
    return a;
}

typedef struct ps_case {
    int64_t states;
    double min_speed, exponent;
} ps_case;

static const ps_case PS[] = {{1, 0.5, 1.5}, {2, 0.5, 1.0}, {5, 0.6, 1.5}, {9, 0.2, 3.0}, {16, 0.9, 2.0}};
#define NPS (int)(sizeof PS / sizeof PS[0])

START_TEST(test_pstates_are_evenly_spaced_and_power_falls)
{
    const ps_case *c = &PS[_i];
    hw_accel a = accel(c->states, c->min_speed, c->exponent);
    int n = power_pstates(&a);
    ck_assert_int_eq(n, (int)c->states);
    ck_assert_double_eq(power_pstate_speed(&a, 0), 1.0);
    ck_assert_double_eq(power_pstate_W(&a, 0), a.max_power_W);
    if (n > 1)
        ck_assert_msg(fabs(power_pstate_speed(&a, n - 1) - c->min_speed) < 1e-12, "slowest %.15g, min_speed %.15g",
                      power_pstate_speed(&a, n - 1), c->min_speed);
    double speeds[32];
    size_t m = power_pstate_speeds_Fps(&a, speeds, 32);
    ck_assert_int_eq((int)m, n);
    for (int k = 1; k < n; k++) {
        double step = power_pstate_speed(&a, k - 1) - power_pstate_speed(&a, k);
        ck_assert_msg(fabs(step - (1 - c->min_speed) / (n - 1)) < 1e-12, "state %d: step %.15g", k, step);
        double want = a.idle_power_W + (a.max_power_W - a.idle_power_W) * pow(power_pstate_speed(&a, k), c->exponent);
        ck_assert_msg(fabs(power_pstate_W(&a, k) - want) < 1e-9, "state %d: %.9g W, formula %.9g W", k,
                      power_pstate_W(&a, k), want);
        ck_assert_msg(power_pstate_W(&a, k) < power_pstate_W(&a, k - 1), "power rises from state %d to %d", k - 1, k);
        ck_assert_msg(fabs(speeds[k] - 2.5e15 * power_pstate_speed(&a, k)) < 1, "host speed of state %d", k);
    }
    /* the XML attribute lists the same speeds, in order */
    char attr[1024];
    power_speed_attr(&a, attr, sizeof attr);
    char *save = NULL;
    int k = 0;
    for (char *tok = strtok_r(attr, ",", &save); tok; tok = strtok_r(NULL, ",", &save), k++)
        ck_assert_msg(strtod(tok, NULL) == speeds[k], "attribute speed %d: %s vs %.17g", k, tok, speeds[k]);
    ck_assert_int_eq(k, n);
}
END_TEST

START_TEST(test_power_by_activity)
{
    hw_accel a = accel(4, 0.55, 1.5);
    for (int k = 0; k < 4; k++) {
        double pk = power_pstate_W(&a, k), dyn = pk - a.idle_power_W;
        ck_assert_double_eq_tol(power_accel_W(&a, k, PW_IDLE), 240.0, 1e-12);
        ck_assert_double_eq_tol(power_accel_W(&a, k, PW_COMPUTE), pk, 1e-9);
        ck_assert_double_eq_tol(power_accel_W(&a, k, PW_MEMORY), 240.0 + 0.6 * dyn, 1e-9);
        ck_assert_double_eq_tol(power_accel_W(&a, k, PW_COMM), 240.0 + 0.3 * dyn, 1e-9);
    }
    ck_assert_int_eq(power_pstate_under(&a, 1200), 0);
    ck_assert_int_eq(power_pstate_under(&a, power_pstate_W(&a, 2)), 2);
    ck_assert_int_eq(power_pstate_under(&a, power_pstate_W(&a, 2) - 1e-6), 3);
    ck_assert_int_eq(power_pstate_under(&a, 100), -1);
}
END_TEST

typedef struct stage_case {
    double out, eta, c, n;
} stage_case;

START_TEST(test_stage_input_is_out_plus_n_c_over_eta)
{
    static const stage_case S[] = {{1000, 0.98, 13, 1}, {86400, 0.96, 17, 48}, {0, 0.9, 5, 2}, {5e5, 1, 0, 1}};
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++) {
        double got = power_stage_in_W(S[i].out, S[i].eta, S[i].c, S[i].n);
        double want = (S[i].out + S[i].n * S[i].c) / S[i].eta;
        ck_assert_msg(fabs(got - want) <= 1e-12 * want + 1e-12, "case %zu: %.12g W, (P + n c)/eta %.12g W", i, got,
                      want);
    }
}
END_TEST

static void load(scenario_t *sc, const char *const *sets)
{
    const char *root = getenv("OASTWIN_ROOT");
    char path[512];
    snprintf(path, sizeof path, "%s/scenarios/tests/small.yaml", root && *root ? root : ".");
    size_t n = 0;
    while (sets && sets[n])
        n++;
    diag_t err = {{0}};
    ck_assert_msg(scenario_load(path, sets, n, sc, &err) == 0, "%s", err.msg);
}

START_TEST(test_rack_chain_and_cap)
{
    scenario_t sc;
    static const char *const sets[] = {"power.per_accelerator.cpu=150 W", "power.per_accelerator.nic=25 W",
                                       "power.rack.other=800 W", "power.conversion.rack.units=6",
                                       "hardware.accelerator.dvfs.states=5", "cooling.rack.accelerators=4", NULL};
    load(&sc, sets);
    /* small.yaml: 8 accelerators; a rack of 4 carries half of 1.8 kW of switches and optics */
    double fixed = 4 * 175.0 + 800.0 + 900.0;
    ck_assert_double_eq_tol(power_rack_fixed_W(&sc, 4, 1800.0), fixed, 1e-9);
    double acc = 4 * 700.0;
    double want = ((acc + fixed + 1 * 13.0) / 0.98 + 6 * 17.0) / 0.96;
    ck_assert_msg(fabs(power_rack_input_W(&sc, 4, acc, 1800.0) - want) < 1e-9, "rack input %.9f W, chain %.9f W",
                  power_rack_input_W(&sc, 4, acc, 1800.0), want);
    scenario_free(&sc);
    /* a cap between the inputs at states 1 and 2 allows state 2 */
    static const char *const capped[] = {"hardware.accelerator.dvfs.states=5", "cooling.rack.accelerators=4",
                                         "power.rack.cap=2500 W", NULL};
    load(&sc, capped);
    int k = power_rack_cap_state(&sc, 4, 0.0);
    ck_assert_int_ge(k, 1);
    ck_assert_msg(power_rack_input_W(&sc, 4, 4 * power_pstate_W(&sc.accel, k), 0.0) <= 2500.0, "state %d exceeds the cap",
                  k);
    ck_assert_msg(power_rack_input_W(&sc, 4, 4 * power_pstate_W(&sc.accel, k - 1), 0.0) > 2500.0,
                  "state %d would also fit", k - 1);
    scenario_free(&sc);
}
END_TEST

START_TEST(test_heat_rejection_modes_and_cop)
{
    cooling_spec c = {.supply_C = 32, .ambient_C = 20, .dc_approach_K = 8, .dc_fan_frac = 0.015,
                      .chiller_carnot = 0.51, .chiller_min_lift_K = 5, .heat_rejection = HR_HYBRID};
    pw_heat_rejection r = power_heat_rejection(&c, 1e5);
    ck_assert_double_eq(r.chiller_W, 0);
    ck_assert_double_eq_tol(r.fans_W, 1500, 1e-9);
    ck_assert_double_eq(r.supply_C, 32);
    c.ambient_C = 30; /* dry cooler makes 38 degC: the chiller trims to 32 at lift 6 K */
    r = power_heat_rejection(&c, 1e5);
    double cop = 0.51 * (32 + 273.15) / 6.0;
    ck_assert_msg(fabs(r.cop - cop) < 1e-12, "COP %.12g, carnot fraction formula %.12g", r.cop, cop);
    ck_assert_double_eq_tol(r.chiller_W, 1e5 / cop, 1e-9);
    c.supply_C = 45; /* W45 at 30 degC ambient: free cooling */
    r = power_heat_rejection(&c, 1e5);
    ck_assert_double_eq(r.chiller_W, 0);
    c.supply_C = 32;
    c.heat_rejection = HR_DRY_COOLER; /* without a chiller the supply floats up to 38 degC */
    r = power_heat_rejection(&c, 1e5);
    ck_assert_double_eq_tol(r.supply_C, 38, 1e-12);
    ck_assert_double_eq(r.chiller_W, 0);
    c.heat_rejection = HR_CHILLER; /* chiller only, low lift: bounded by min_lift */
    c.ambient_C = 10;
    r = power_heat_rejection(&c, 1e5);
    ck_assert_double_eq_tol(r.cop, 0.51 * 305.15 / 5.0, 1e-12);
    /* a warmer supply always makes the chiller cheaper */
    for (double s = 10; s < 40; s += 1)
        ck_assert(power_chiller_cop(0.51, s + 1, 50, 5) > power_chiller_cop(0.51, s, 50, 5));
}
END_TEST

START_TEST(test_meter_is_exact_for_piecewise_constant_power)
{
    pw_meter m;
    pw_meter_init(&m, 0, 100);
    static const double T[] = {0.5, 0.5, 1.25, 3.0, 7.5}, P[] = {250, 900, 40, 1200, 0};
    double want = 0, last_t = 0, last_p = 100;
    for (int i = 0; i < 5; i++) {
        want += last_p * (T[i] - last_t);
        pw_meter_set(&m, T[i], P[i]);
        last_t = T[i];
        last_p = P[i];
        ck_assert_msg(fabs(pw_meter_energy(&m, T[i]) - want) < 1e-9, "step %d: %.12g J, want %.12g J", i,
                      pw_meter_energy(&m, T[i]), want);
    }
    ck_assert_double_eq_tol(pw_meter_energy(&m, 10), want, 1e-9);
    ck_assert_double_eq(m.peak_W, 1200);
}
END_TEST

/* ---- a whole run through the binary ---- */

static double figure(h5r_figure *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].name, name))
            return f[i].value;
    ck_abort_msg("no summary figure %s", name);
    return NAN;
}

START_TEST(test_run_energy_is_the_integral_of_power)
{
    const char *bin = getenv("OASTWIN"), *root = getenv("OASTWIN_ROOT");
    char dir[] = "/tmp/check_power_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s run %s/scenarios/tests/small.yaml -q -o %s/t.h5 --set workload.compute.hbm_bytes='50 GB' "
             "--set power.per_accelerator.cpu='100 W' 2>%s/err",
             bin && *bin ? bin : "build/oastwin", root && *root ? root : ".", dir, dir);
    ck_assert_msg(system(cmd) == 0, "run failed: %s", cmd);
    char path[256];
    snprintf(path, sizeof path, "%s/t.h5", dir);
    diag_t err;
    h5r_file *f = h5r_open(path, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    h5r_figure *figs = NULL;
    size_t nf = 0;
    ck_assert_int_eq(h5r_summary(f, &figs, &nf, &err), 0);
    double T = figure(figs, nf, "simulated_time"), e = figure(figs, nf, "accelerator_energy");
    double *comp = NULL, *comm = NULL;
    size_t n1 = 0, n2 = 0;
    ck_assert_int_eq(h5r_table_f64(f, "/training/ranks", "compute", &comp, &n1, &err), 0);
    ck_assert_int_eq(h5r_table_f64(f, "/training/ranks", "comm", &comm, &n2, &err), 0);
    ck_assert_int_eq((int)n1, 8);
    /* small.yaml: idle 100 W, max 700 W; 100 TFLOP at 1 PFLOPS = 0.1 s vs 50 GB at 2 TB/s = 25 ms:
     * compute-bound; communicating draws idle + 0.3 (700 - 100) = 280 W */
    double want = 0;
    for (size_t i = 0; i < n1; i++)
        want += comp[i] * 700.0 + comm[i] * 280.0 + (T - comp[i] - comm[i]) * 100.0;
    ck_assert_msg(fabs(e - want) <= 1e-3 * want, "accelerator energy %.9g J, integral of power %.9g J", e, want);
    double pue = figure(figs, nf, "pue"), it = figure(figs, nf, "it_energy"), fac = figure(figs, nf, "facility_energy");
    ck_assert_msg(fabs(pue - fac / it) < 1e-12, "PUE %.12g, facility / IT %.12g", pue, fac / it);
    ck_assert_msg(pue > 1.0 && pue < 1.2, "PUE %.4f outside the direct-liquid-cooling range", pue);
    ck_assert_msg(it > e + 8 * 100.0 * T, "IT energy %.6g J must exceed accelerators + CPUs %.6g J", it,
                  e + 8 * 100.0 * T);
    free(comp);
    free(comm);
    free(figs);
    h5r_close(f);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *power_suite(void)
{
    Suite *s = suite_create("power");
    TCase *tc = tcase_create("model");
    tcase_add_loop_test(tc, test_pstates_are_evenly_spaced_and_power_falls, 0, NPS);
    tcase_add_test(tc, test_power_by_activity);
    tcase_add_test(tc, test_stage_input_is_out_plus_n_c_over_eta);
    tcase_add_test(tc, test_rack_chain_and_cap);
    tcase_add_test(tc, test_heat_rejection_modes_and_cop);
    tcase_add_test(tc, test_meter_is_exact_for_piecewise_constant_power);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("run");
    tcase_set_timeout(tr, 60);
    tcase_add_test(tr, test_run_energy_is_the_integral_of_power);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(power_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
