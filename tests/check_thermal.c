/* Check suite "thermal": the first-order node against an independent numerical integration
 * (steady state T_in + R·P within 0.1 K, threshold crossing times equal to the closed form),
 * the cold-plate fit against the reference points, the loop outlet rise Q/(m_dot·c_p), the CDU
 * approach, and the plant driven by synthetic activity: steady state, throttling exactly at the
 * closed-form crossing, hysteresis, faults. No SimGrid: the plant runs on its own. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "thermal/governor.h"
#include "thermal/plant.h"
#include "thermal/thermal.h"

/* ---- helpers ---- */

static const char *BASE_YAML = "schema_version: 1\n"
                               "name: thermal-test\n"
                               "hardware:\n"
                               "  accelerator:\n"
                               "    peak_flops: 1000 TFLOPS\n"
                               "    hbm_capacity: 80 GiB\n"
                               "    hbm_bandwidth: 2 TB/s\n"
                               "    idle_power: 100 W\n"
                               "    max_power: 1000 W\n"
                               "topology:\n"
                               "  kind: switched\n"
                               "  accelerators: 8\n"
                               "  link:\n"
                               "    bandwidth: 100 GB/s\n"
                               "    latency: 100 ns\n"
                               "  switch:\n"
                               "    latency: 200 ns\n"
                               "workload:\n"
                               "  kind: dp_allreduce\n"
                               "  iterations: 1\n"
                               "  compute:\n"
                               "    flops: 1 TFLOP\n"
                               "  gradient_bytes: 1 MB\n";

/* Loads BASE_YAML with overrides SETS (NULL-terminated) into SC. */
static void load(scenario_t *sc, const char *const *sets)
{
    char path[] = "/tmp/check_thermal_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((int)write(fd, BASE_YAML, strlen(BASE_YAML)), (int)strlen(BASE_YAML));
    close(fd);
    size_t n = 0;
    while (sets && sets[n])
        n++;
    diag_t err = {{0}};
    int rc = scenario_load(path, sets, n, sc, &err);
    unlink(path);
    ck_assert_msg(rc == 0, "scenario_load: %s", err.msg);
}

typedef struct recorder {
    int n;
    double t[256];
    int acc[256], k[256];
} recorder;

static recorder REC;
static double NOW; /* the time the test is advancing to, for the hook's record */

static void rec_pstate(void *ctx, int32_t acc, int k)
{
    (void)ctx;
    if (REC.n < 256) {
        REC.t[REC.n] = NOW;
        REC.acc[REC.n] = acc;
        REC.k[REC.n] = k;
        REC.n++;
    }
}

/* Runs every plant event up to T, one at a time, recording the time of each pstate change. */
static void run_until(plant_t *p, double t)
{
    for (;;) {
        double e = plant_next_event_s(p);
        if (!(e <= t))
            break;
        NOW = e;
        plant_advance(p, e);
    }
    NOW = t;
    plant_advance(p, t);
}

/* Independent reference: RK4 on C dT/dt = P - (T - Tc)/R with a small step. */
static double rk4(double T, double P, double Tc, double R, double C, double dt)
{
    double k1 = (P - (T - Tc) / R) / C;
    double k2 = (P - (T + 0.5 * dt * k1 - Tc) / R) / C;
    double k3 = (P - (T + 0.5 * dt * k2 - Tc) / R) / C;
    double k4 = (P - (T + dt * k3 - Tc) / R) / C;
    return T + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4);
}

/* ---- node ---- */

typedef struct node_case {
    double T0, P, Tc, R, C;
} node_case;

static const node_case NODES[] = {
    {40, 1000, 32, 0.036, 300}, {90, 240, 45, 0.036, 300}, {25, 700, 17, 0.05, 120},
    {60, 0, 40, 0.02, 500},     {35, 1400, 49, 0.03, 80},
};
#define NNODES (int)(sizeof NODES / sizeof NODES[0])

START_TEST(test_node_reaches_steady_state_T_in_plus_R_P)
{
    const node_case *c = &NODES[_i];
    th_node n = {0, c->T0, c->P, c->Tc, c->R, c->C};
    double want = c->Tc + c->R * c->P;
    double got = th_temp_C(&n, 30 * c->R * c->C);
    ck_assert_msg(fabs(got - want) < 0.1, "case %d: T after 30 tau %.6f degC, T_in + R P %.6f degC", _i, got, want);
    /* and it agrees with a numerical integration along the way */
    double T = c->T0, dt = th_tau_s(&n) / 2000;
    for (int k = 1; k <= 4000; k++) {
        T = rk4(T, c->P, c->Tc, c->R, c->C, dt);
        if (k % 500 == 0) {
            double cf = th_temp_C(&n, k * dt);
            ck_assert_msg(fabs(cf - T) < 1e-6, "case %d t=%g: closed form %.9f, RK4 %.9f", _i, k * dt, cf, T);
        }
    }
}
END_TEST

START_TEST(test_crossing_time_equals_closed_form_and_integration)
{
    const node_case *c = &NODES[_i];
    th_node n = {5.0, c->T0, c->P, c->Tc, c->R, c->C};
    double ss = th_steady_C(&n);
    double level = c->T0 + 0.7 * (ss - c->T0);
    double t = th_cross_s(&n, level);
    double want = 5.0 + c->R * c->C * log((c->T0 - ss) / (level - ss));
    ck_assert_msg(fabs(t - want) < 1e-9, "case %d: crossing %.12g s, closed form %.12g s", _i, t, want);
    ck_assert_msg(fabs(th_temp_C(&n, t) - level) < 1e-9, "case %d: T at the crossing %.12f, level %.12f", _i,
                  th_temp_C(&n, t), level);
    /* RK4 with 1e5 steps per tau locates the same crossing within 1e-4 tau */
    double T = c->T0, dt = th_tau_s(&n) * 1e-5, tt = 5.0;
    while ((ss > c->T0) ? T < level : T > level) {
        T = rk4(T, c->P, c->Tc, c->R, c->C, dt);
        tt += dt;
    }
    ck_assert_msg(fabs(tt - t) < 1e-4 * th_tau_s(&n), "case %d: RK4 crossing %.9g s, closed form %.9g s", _i, tt, t);
    /* levels beyond the steady state or behind the start are never reached */
    ck_assert(isinf(th_cross_s(&n, ss + (ss - c->T0))));
    ck_assert(isinf(th_cross_s(&n, c->T0 - (ss - c->T0))));
}
END_TEST

START_TEST(test_cold_plate_fit_matches_reference_points)
{
    scenario_t sc;
    load(&sc, NULL);
    static const double q[] = {0.4, 1.0, 2.4}, R[] = {0.039, 0.025, 0.020};
    for (int i = 0; i < 3; i++) {
        double got = th_cold_plate_R(&sc.cooling, q[i] / 60000.0);
        ck_assert_msg(fabs(got - R[i]) <= 0.03 * R[i], "%.1f L/min: R %.5f K/W, reference %.3f K/W", q[i], got, R[i]);
    }
    scenario_free(&sc);
}
END_TEST

START_TEST(test_outlet_rise_is_Q_over_mdot_cp)
{
    static const double Q[] = {1000, 132000, 5e5}, flow[] = {1.5 / 60000, 198.0 / 60000, 0.01};
    for (int kind = 0; kind < 2; kind++) {
        th_coolant c = th_coolant_props(kind);
        for (int i = 0; i < 3; i++) {
            double rise = th_outlet_rise_K(c, Q[i], flow[i]);
            double want = Q[i] / (c.rho_kgpm3 * flow[i] * c.cp_JpkgK);
            ck_assert_msg(fabs(rise - want) < 1e-12 * want, "rise %.9g K, Q/(m c_p) %.9g K", rise, want);
            ck_assert_msg(fabs(th_flow_for_rise(c, Q[i], rise) - flow[i]) < 1e-12 * flow[i], "flow round trip");
        }
    }
    /* the sizing rule of the reference: ~1.5 L/min per kW for 10 K with 25% PG */
    double q = th_flow_for_rise(th_coolant_props(COOLANT_PG25), 1000, 10) * 60000;
    ck_assert_msg(fabs(q - 1.5) < 0.05, "1 kW at 10 K needs %.3f L/min, reference ~1.5", q);
}
END_TEST

/* ---- plant ---- */

START_TEST(test_plant_steady_state_and_loop_rise)
{
    scenario_t sc;
    static const char *const sets[] = {"cooling.facility.class=W40", NULL};
    load(&sc, sets);
    diag_t err = {{0}};
    plant_t *p = plant_new(&sc, 8, 4, 0.0, NULL, NULL, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    ck_assert_int_eq(plant_racks(p), 2);
    for (int32_t i = 0; i < 8; i++)
        plant_set_activity(p, i, PW_COMPUTE, 1.0);
    run_until(p, 200.0);
    for (int32_t r = 0; r < 2; r++) {
        th_coolant c = th_coolant_props(sc.cooling.coolant);
        double Q = plant_rack_input_W(p, r);
        ck_assert_msg(plant_rack_heat_W(p, r) == Q, "rack %d: loop heat %.9g W, input %.9g W", r,
                      plant_rack_heat_W(p, r), Q);
        double rise = plant_rack_outlet_C(p, r) - plant_rack_inlet_C(p, r);
        double want = Q / (c.rho_kgpm3 * plant_rack_flow_m3ps(p, r) * c.cp_JpkgK);
        ck_assert_msg(fabs(rise - want) < 1e-9, "rack %d: outlet rise %.9f K, Q/(m c_p) %.9f K", r, rise, want);
        ck_assert_msg(fabs(rise - 10.0) < 0.5, "rack %d: rise at design power %.3f K, design 10 K", r, rise);
    }
    for (int32_t i = 0; i < 8; i++) {
        double want = plant_rack_inlet_C(p, i / 4) + plant_accel_R_KpW(p, i) * plant_accel_W(p, i);
        double got = plant_junction_C(p, i, 200.0);
        ck_assert_msg(fabs(got - want) < 0.1, "acc %d: junction %.4f degC, T_in + R P %.4f degC", i, got, want);
    }
    /* the CDU's approach scales with its load */
    /* pumps: 3.5% of the two racks' design heat (their input at 1000 W per accelerator) */
    double load = plant_rack_input_W(p, 0) + plant_rack_input_W(p, 1) +
                  sc.cooling.cdu_pump_frac * (plant_rack_input_W(p, 0) + plant_rack_input_W(p, 1));
    double inlet = 40.0 + sc.cooling.cdu_approach_K * load / sc.cooling.cdu_capacity_W;
    ck_assert_msg(fabs(plant_rack_inlet_C(p, 0) - inlet) < 1e-9, "inlet %.9f degC, W40 + approach x load %.9f degC",
                  plant_rack_inlet_C(p, 0), inlet);
    /* steady: no more coolant updates are pending */
    ck_assert_msg(isinf(plant_next_event_s(p)), "next event %g s in steady state", plant_next_event_s(p));
    plant_free(p);
    scenario_free(&sc);
}
END_TEST

/* One accelerator heats from idle into a limit it exceeds at compute power: the governor steps
 * down exactly at the closed-form crossing, back up only below the release temperature. */
START_TEST(test_plant_throttles_at_the_closed_form_crossing_with_hysteresis)
{
    scenario_t sc;
    static const char *const sets[] = {"hardware.accelerator.dvfs.states=3", "hardware.accelerator.dvfs.min_speed=0.6",
                                       "hardware.accelerator.thermal.max_temperature=70 degC",
                                       "hardware.accelerator.thermal.release_temperature=66 degC",
                                       "cooling.facility.class=W45", "cooling.rack.lag=100 s", NULL};
    load(&sc, sets);
    memset(&REC, 0, sizeof REC);
    plant_hooks h = {NULL, rec_pstate, NULL};
    diag_t err = {{0}};
    plant_t *p = plant_new(&sc, 1, 1, 0.0, &h, NULL, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    double T_idle = plant_junction_C(p, 0, 0);
    plant_set_activity(p, 0, PW_COMPUTE, 0.0);
    /* The crossing of 70 degC from idle steady state, before any coolant update (at lag = 2 s). */
    double R = plant_accel_R_KpW(p, 0), C = sc.accel.heat_cap_JpK, Tin = plant_rack_inlet_C(p, 0);
    double ss = Tin + R * 1000.0;
    ck_assert_msg(ss > 70 && T_idle < 66, "setup: idle %.2f, compute steady %.2f", T_idle, ss);
    double want = R * C * log((T_idle - ss) / (70.0 - ss));
    ck_assert_msg(want < sc.cooling.loop_lag_s, "setup: the crossing (%.3f s) must precede the first loop update",
                  want);
    run_until(p, want + 1e-6);
    ck_assert_int_eq(REC.n, 1);
    ck_assert_int_eq(REC.k[0], 1);
    ck_assert_msg(fabs(REC.t[0] - want) < 1e-9, "step down at %.12g s, closed form %.12g s", REC.t[0], want);
    /* Then idle: it cools; it may step up only once the junction is at or below 66 degC. */
    plant_set_activity(p, 0, PW_IDLE, want + 0.05);
    run_until(p, 60.0);
    ck_assert_int_eq(REC.n, 2);
    for (int i = 0; i < REC.n; i++) {
        double T = plant_junction_C(p, 0, REC.t[i]);
        if (i > 0 && REC.k[i] < REC.k[i - 1])
            ck_assert_msg(T <= 66.0 + 1e-6, "step up at %.6f s with junction %.6f degC above release", REC.t[i], T);
        if (i > 0 && REC.t[i] - REC.t[i - 1] < sc.accel.gov_interval_s - 1e-12)
            ck_assert_msg(0, "two steps %.6f s apart, less than the step interval", REC.t[i] - REC.t[i - 1]);
    }
    ck_assert_int_eq(plant_pstate(p, 0), 0);
    ck_assert_msg(plant_throttled_s(p, 0, 60.0) > 0, "throttled time %.6f s", plant_throttled_s(p, 0, 60.0));
    plant_free(p);
    scenario_free(&sc);
}
END_TEST

/* Between release and limit nothing happens: hold the junction inside the band (a power that
 * settles at 68 degC after a step down) and check no step occurs for a long time. */
START_TEST(test_plant_holds_state_inside_the_hysteresis_band)
{
    scenario_t sc;
    static const char *const sets[] = {"hardware.accelerator.dvfs.states=2", "hardware.accelerator.dvfs.min_speed=0.5",
                                       "hardware.accelerator.dvfs.power_exponent=1",
                                       "hardware.accelerator.thermal.max_temperature=75 degC",
                                       "hardware.accelerator.thermal.release_temperature=60 degC",
                                       "cooling.facility.class=W45", NULL};
    load(&sc, sets);
    memset(&REC, 0, sizeof REC);
    plant_hooks h = {NULL, rec_pstate, NULL};
    diag_t err = {{0}};
    plant_t *p = plant_new(&sc, 1, 1, 0.0, &h, NULL, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    plant_set_activity(p, 0, PW_COMPUTE, 0.0);
    run_until(p, 500.0);
    /* state 1 draws 550 W: its steady state must lie between release and limit for this test */
    double ss1 = plant_rack_inlet_C(p, 0) + plant_accel_R_KpW(p, 0) * 550.0;
    ck_assert_msg(ss1 > 60 && ss1 < 75, "setup: state-1 steady state %.2f degC", ss1);
    ck_assert_int_eq(REC.n, 1);
    ck_assert_int_eq(plant_pstate(p, 0), 1);
    ck_assert_msg(isinf(plant_next_event_s(p)), "an event is pending at %g s inside the band",
                  plant_next_event_s(p));
    plant_free(p);
    scenario_free(&sc);
}
END_TEST

START_TEST(test_plant_energy_is_the_integral_of_power)
{
    scenario_t sc;
    static const char *const sets[] = {"power.per_accelerator.cpu=150 W", "power.rack.other=500 W", NULL};
    load(&sc, sets);
    diag_t err = {{0}};
    plant_t *p = plant_new(&sc, 4, 4, 2000.0, NULL, NULL, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    /* A schedule of activities; the integral is summed independently from the power levels. */
    static const struct {
        double t;
        int acc;
        pw_activity act;
    } S[] = {{0.5, 0, PW_COMPUTE}, {0.7, 1, PW_MEMORY}, {1.2, 0, PW_COMM}, {1.3, 2, PW_COMPUTE},
             {2.9, 1, PW_IDLE},    {3.1, 0, PW_IDLE},   {4.0, 3, PW_COMM},  {5.5, 2, PW_IDLE}};
    double e_acc = 0, e_it = 0, last = 0;
    double w[4];
    for (int i = 0; i < 4; i++)
        w[i] = sc.accel.idle_power_W;
    for (size_t k = 0; k <= sizeof S / sizeof S[0]; k++) {
        double t = k < sizeof S / sizeof S[0] ? S[k].t : 7.0;
        double sum = w[0] + w[1] + w[2] + w[3];
        e_acc += sum * (t - last);
        /* node stage (one tray of 4: c = 13 W, 0.98), rack stage (one rectifier: 17 W, 0.96) */
        /* BASE_YAML has 8 accelerators: a rack of 4 carries half the 2 kW of network. */
        e_it += ((sum + 4 * 150.0 + 500.0 + 1000.0 + 13.0) / 0.98 + 17.0) / 0.96 * (t - last);
        last = t;
        if (k == sizeof S / sizeof S[0])
            break;
        run_until(p, S[k].t);
        plant_set_activity(p, S[k].acc, S[k].act, S[k].t);
        w[S[k].acc] = power_accel_W(&sc.accel, 0, S[k].act);
    }
    run_until(p, 7.0);
    double got = plant_accel_energy_J(p, 7.0);
    ck_assert_msg(fabs(got - e_acc) <= 1e-3 * e_acc, "accelerator energy %.9g J, integral %.9g J", got, e_acc);
    got = plant_it_energy_J(p, 7.0);
    ck_assert_msg(fabs(got - e_it) <= 1e-3 * e_it, "IT energy %.9g J, integral %.9g J", got, e_it);
    plant_free(p);
    scenario_free(&sc);
}
END_TEST

START_TEST(test_plant_faults_raise_temperatures_and_clear)
{
    scenario_t sc;
    static const char *const sets[] = {"cooling.faults.rack_flow.at=10 s", "cooling.faults.rack_flow.until=30 s",
                                       "cooling.faults.rack_flow.remaining=0.4", "cooling.faults.cdu_capacity.at=40 s",
                                       "cooling.faults.cdu_capacity.remaining=0.25", NULL};
    load(&sc, sets);
    diag_t err = {{0}};
    plant_t *p = plant_new(&sc, 8, 8, 0.0, NULL, NULL, &err);
    ck_assert_msg(p != NULL, "%s", err.msg);
    for (int32_t i = 0; i < 8; i++)
        plant_set_activity(p, i, PW_COMPUTE, 0.0);
    run_until(p, 9.0);
    double flow0 = plant_rack_flow_m3ps(p, 0), R0 = plant_accel_R_KpW(p, 0), in0 = plant_rack_inlet_C(p, 0);
    run_until(p, 20.0);
    ck_assert_msg(fabs(plant_rack_flow_m3ps(p, 0) - 0.4 * flow0) < 1e-15, "flow during the fault %g, want %g",
                  plant_rack_flow_m3ps(p, 0), 0.4 * flow0);
    ck_assert_msg(plant_accel_R_KpW(p, 0) > R0, "R %.5f with less flow, %.5f before", plant_accel_R_KpW(p, 0), R0);
    run_until(p, 35.0);
    ck_assert_msg(plant_rack_flow_m3ps(p, 0) == flow0, "flow after repair %g, before %g", plant_rack_flow_m3ps(p, 0),
                  flow0);
    run_until(p, 41.0);
    double rise = plant_rack_inlet_C(p, 0) - sc.cooling.supply_C, rise0 = in0 - sc.cooling.supply_C;
    ck_assert_msg(fabs(rise - 4 * rise0) < 1e-9, "CDU approach %.6f K at a quarter capacity, %.6f K before", rise,
                  rise0);
    plant_free(p);
    scenario_free(&sc);
}
END_TEST

static Suite *thermal_suite(void)
{
    Suite *s = suite_create("thermal");
    TCase *tc = tcase_create("node");
    tcase_add_loop_test(tc, test_node_reaches_steady_state_T_in_plus_R_P, 0, NNODES);
    tcase_add_loop_test(tc, test_crossing_time_equals_closed_form_and_integration, 0, NNODES);
    tcase_add_test(tc, test_cold_plate_fit_matches_reference_points);
    tcase_add_test(tc, test_outlet_rise_is_Q_over_mdot_cp);
    suite_add_tcase(s, tc);
    TCase *tp = tcase_create("plant");
    tcase_add_test(tp, test_plant_steady_state_and_loop_rise);
    tcase_add_test(tp, test_plant_throttles_at_the_closed_form_crossing_with_hysteresis);
    tcase_add_test(tp, test_plant_holds_state_inside_the_hysteresis_band);
    tcase_add_test(tp, test_plant_energy_is_the_integral_of_power);
    tcase_add_test(tp, test_plant_faults_raise_temperatures_and_clear);
    suite_add_tcase(s, tp);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(thermal_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
