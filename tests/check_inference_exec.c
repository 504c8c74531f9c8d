/* Check suite "inference_exec": serving steps execute on the accelerators, so a slower performance
 * state stretches them. Unit case: a step's compute-bound part (llm_step_cost.clock_s) is the
 * larger part of a prefill and nothing of a batch-1 decode. Whole runs of the binary on
 * tests/data/inference-tiny.yaml with one request: with DVFS states but no cap the request is
 * timed as with a single state; under a rack power cap that holds the accelerators in state k the
 * TTFT becomes clock_s / speed(k) + (compute - clock_s) + collectives, while the memory-bound
 * decode steps (TPOT) are unchanged. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5read.h"
#include "testkit.h"
#include "power/power.h"
#include "scenario.h"
#include "workload/llm_infer.h"

#define ONE "--set workload.requests.trace.path=one-request.csv "
#define DVFS "--set hardware.accelerator.dvfs.states=5 "
#define CAP "--set cooling.rack.accelerators=4 --set power.rack.cap=2000W "

/* The tiny scenario's model and accelerator (with the given overrides), at its TP 2. */
static void tiny(const char *const *sets, size_t nsets, scenario_t *sc, llm_infer *li)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/data/inference-tiny.yaml", tk_root());
    diag_t err;
    ck_assert_msg(scenario_load(path, sets, nsets, sc, &err) == 0, "%s", err.msg);
    const inference_spec *s = &sc->wl.inference;
    llm_infer_cfg c = {.tp = s->pool.tp, .pp = s->pool.pp, .ep = s->pool.ep, .weight_bytes = s->weight_bytes,
                       .kv_bytes = s->kv_bytes, .act_bytes = s->act_bytes, .compute_eff = s->compute_efficiency,
                       .memory_eff = s->memory_efficiency, .max_batch_tokens = s->max_batch_tokens,
                       .max_batch_size = s->max_batch_size};
    char why[512] = "";
    ck_assert_msg(llm_infer_init(li, &sc->wl.model, &sc->accel, &c, s->memory_utilization, why, sizeof why) == 0,
                  "%s", why);
}

START_TEST(test_prefill_is_clock_bound_and_batch_one_decode_is_not)
{
    scenario_t sc;
    llm_infer li;
    tiny(NULL, 0, &sc, &li);
    llm_batch pre = {.tokens = 1000, .prefill_tokens = 1000, .prefill_pairs = 1000.0 * 1001 / 2, .logit_tokens = 1};
    llm_batch dec = {.tokens = 1, .decode_pairs = 1001, .kv_read_tokens = 1000, .logit_tokens = 1};
    llm_step_cost p, d;
    llm_infer_step(&li, &pre, &p);
    llm_infer_step(&li, &dec, &d);
    /* a 1,000-token prefill: the GEMMs are compute-bound (about 73% of the time on the tiny
     * model); the element-wise kernels (norms, RoPE, SwiGLU, residuals) stay memory-bound */
    ck_assert_msg(p.clock_s > 0.5 * p.compute_s && p.clock_s < p.compute_s, "prefill: %.6g s of %.6g s on the clock",
                  p.clock_s, p.compute_s);
    ck_assert_msg(d.clock_s == 0, "batch-1 decode: %.6g s of %.6g s on the clock, want 0", d.clock_s, d.compute_s);
    scenario_free(&sc);
}
END_TEST

typedef struct one {
    double ttft, tpot, pstate;
} one;

static one run_one(const char *sets)
{
    tk_run r;
    tk_run_scenario(&r, "check_inference_exec", "tests/data/inference-tiny.yaml", sets);
    one o = {NAN, NAN, 0};
    size_t n = 0;
    double *v = tk_column(&r, "/inference/requests", "ttft", &n);
    o.ttft = v[0];
    free(v);
    v = tk_column(&r, "/inference/requests", "tpot", &n);
    o.tpot = v[0];
    free(v);
    /* the performance state the cap holds accelerator 0 in (first sample) */
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "h5dump -d /thermal/pstate -s 0,0 -c 1,1 %s/t.h5 2>/dev/null | sed -n 's/^ *(0,0): //p'", r.dir);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    if (fscanf(p, "%lf", &o.pstate) != 1)
        o.pstate = -1;
    pclose(p);
    tk_run_done(&r);
    return o;
}

START_TEST(test_dvfs_states_without_a_cap_time_a_request_as_one_state)
{
    one a = run_one(ONE), b = run_one(ONE DVFS);
    ck_assert_msg(fabs(b.ttft / a.ttft - 1) < 1e-12, "TTFT %.17g s with 5 states, %.17g s with one", b.ttft, a.ttft);
    ck_assert_msg(fabs(b.tpot / a.tpot - 1) < 1e-12, "TPOT %.17g s with 5 states, %.17g s with one", b.tpot, a.tpot);
    ck_assert_msg(b.pstate == 0, "state %g without a cap, want 0", b.pstate);
}
END_TEST

START_TEST(test_a_power_cap_stretches_the_clock_bound_part_of_the_prefill)
{
    one a = run_one(ONE DVFS), c = run_one(ONE DVFS CAP);
    ck_assert_msg(c.pstate >= 1, "the 2000 W cap left the accelerators in state %g", c.pstate);
    static const char *const sets[] = {"hardware.accelerator.dvfs.states=5"};
    scenario_t sc;
    llm_infer li;
    tiny(sets, 1, &sc, &li);
    double speed = power_pstate_speed(&sc.accel, (int)c.pstate);
    llm_batch pre = {.tokens = 1000, .prefill_tokens = 1000, .prefill_pairs = 1000.0 * 1001 / 2, .logit_tokens = 1};
    llm_step_cost p;
    llm_infer_step(&li, &pre, &p);
    double want = a.ttft + p.clock_s / speed - p.clock_s;
    ck_assert_msg(fabs(c.ttft / want - 1) < 1e-9,
                  "capped TTFT %.12g s, want %.12g s (uncapped %.12g s + %.6g s on the clock x (1/%.4g - 1))", c.ttft,
                  want, a.ttft, p.clock_s, speed);
    ck_assert_msg(c.ttft > 1.1 * a.ttft, "capped TTFT %.6g s is not above %.6g s", c.ttft, a.ttft);
    ck_assert_msg(fabs(c.tpot / a.tpot - 1) < 1e-12, "memory-bound TPOT %.17g s capped, %.17g s not", c.tpot, a.tpot);
    scenario_free(&sc);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("inference_exec");
    TCase *u = tcase_create("model");
    tcase_add_test(u, test_prefill_is_clock_bound_and_batch_one_decode_is_not);
    suite_add_tcase(s, u);
    TCase *e = tcase_create("runs");
    tcase_set_timeout(e, 60);
    tcase_add_test(e, test_dvfs_states_without_a_cap_time_a_request_as_one_state);
    tcase_add_test(e, test_a_power_cap_stretches_the_clock_bound_part_of_the_prefill);
    suite_add_tcase(s, e);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
