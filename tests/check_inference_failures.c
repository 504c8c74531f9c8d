/* Check suite "inference_failures": replica failures in LLM serving (resilience.mode = timeline).
 * Unit cases without SimGrid: the router never picks a down replica (every policy) and finds
 * none when a pool is down; a failed replica gives up every request and its whole KV cache
 * (prefix entries included) while the output already streamed stays counted; the failure model
 * maps accelerators, hosts and software to replicas, opens one outage per replica lasting
 * detection + restart + weight reload (+ the repair without a spare), uses and returns spares,
 * and counts a failure on a replica already down without effect. Whole runs of the binary on
 * tests/data/inference-failures.yaml: no request is lost or duplicated, the failed replica
 * serves nothing while down, the outage row has the expected duration, disaggregated too. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "failure/failure.h"
#include "h5read.h"
#include "testkit.h"
#include "platform.h"
#include "scenario.h"
#include "workload/inference_impl.h"
#include "workload/llm.h"
#include "workload/llm_infer.h"

/* ---- a world of 4 replicas of 2 accelerators on the test scenario's machine ---- */

typedef struct world {
    scenario_t sc;
    platform_t *plat;
    inf_world w;
    inf_replica rep[4];
    inf_req req[32];
    int64_t hashes[32];
    int downs[4], ups[4];
    int events;
} world;

static world *W;

static void load(world *x, const char *const *sets, size_t nsets)
{
    char path[512];
    snprintf(path, sizeof path, "%s/tests/data/inference-failures.yaml", tk_root());
    diag_t err;
    ck_assert_msg(scenario_load(path, sets, nsets, &x->sc, &err) == 0, "%s", err.msg);
    x->plat = platform_build(&x->sc, &err);
    ck_assert_msg(x->plat != NULL, "%s", err.msg);
}

static world *world_new(const char *const *sets, size_t nsets)
{
    world *x = calloc(1, sizeof *x);
    ck_assert_ptr_nonnull(x);
    W = x;
    load(x, sets, nsets);
    x->w.sc = &x->sc;
    x->w.spec = &x->sc.wl.inference;
    x->w.rep = x->rep;
    x->w.nrep = x->w.nprefill = 4;
    x->w.req = x->req;
    x->w.hashes = x->hashes;
    llm_infer_cfg c = {.tp = 2, .pp = 1, .ep = 1, .weight_bytes = 2, .kv_bytes = 2, .act_bytes = 2,
                       .compute_eff = 1, .memory_eff = 1, .max_batch_tokens = 8192, .max_batch_size = 256};
    llm_infer li;
    char why[256] = "";
    ck_assert_msg(llm_infer_init(&li, &x->sc.wl.model, &x->sc.accel, &c, 0.9, why, sizeof why) == 0, "%s", why);
    for (int32_t i = 0; i < 4; i++) {
        ck_assert_int_eq(inf_replica_init(&x->rep[i], i, ROLE_AGGREGATED, &li, 4096, &x->sc.wl.inference), 0);
        x->rep[i].first_acc = 2 * i;
        x->rep[i].nacc = 2;
    }
    return x;
}

static void world_free(world *x)
{
    for (int i = 0; i < 4; i++)
        inf_replica_free(&x->rep[i]);
    platform_free(x->plat);
    scenario_free(&x->sc);
    free(x);
}

static int64_t hook_down(void *ctx, inf_replica *rep)
{
    (void)ctx;
    W->downs[rep->id]++;
    return 0;
}

static void hook_up(void *ctx, inf_replica *rep)
{
    (void)ctx;
    W->ups[rep->id]++;
}

static void hook_event(void *ctx, const char *kind, const char *component, double value, const char *unit,
                       const char *detail)
{
    (void)ctx;
    (void)kind;
    (void)component;
    (void)value;
    (void)unit;
    (void)detail;
    W->events++;
}

static const inf_fault_hooks HOOKS = {NULL, hook_down, hook_up, hook_event};

/* Weight reload of one replica of the test scenario, from its numbers: PFS latency 4 s, the
 * model's parameters x 2 B read by the one node holding the replica at 1 PB/s (NIC, aggregate),
 * then host -> accelerator at 1 PB/s, each of the 2 accelerators its half. */
static double reload_expected(const world *x)
{
    double w = llm_params_total(&x->sc.wl.model) * 2.0;
    return 4.0 + w / 1e15 + w / 2.0 / 1e15;
}

static void replace_schedule(world *x, const fl_sched_spec *s, int n)
{
    x->sc.failures.nschedule = n;
    for (int i = 0; i < n; i++)
        x->sc.failures.schedule[i] = s[i];
}

/* ---- the router ---- */

START_TEST(test_the_router_never_picks_a_down_replica)
{
    static const int POLICIES[] = {INF_ROUTE_ROUND_ROBIN, INF_ROUTE_LEAST_OUTSTANDING, INF_ROUTE_LEAST_KV};
    for (size_t p = 0; p < sizeof POLICIES / sizeof POLICIES[0]; p++) {
        world *x = world_new(NULL, 0);
        x->sc.wl.inference.router = POLICIES[p];
        x->rep[1].down = x->rep[2].down = true;
        int picked[4] = {0};
        for (int k = 0; k < 100; k++) {
            inf_replica *r = inf_route(&x->w, 0, false);
            ck_assert_msg(r != NULL, "policy %d: no replica while two are up", POLICIES[p]);
            ck_assert_msg(!r->down, "policy %d picked replica %d, which is down", POLICIES[p], r->id);
            r->outstanding++;
            picked[r->id]++;
        }
        ck_assert_msg(picked[0] > 0 && picked[3] > 0, "policy %d: the two healthy replicas share the load (%d, %d)",
                      POLICIES[p], picked[0], picked[3]);
        x->rep[0].down = x->rep[3].down = true;
        ck_assert_msg(inf_route(&x->w, 0, false) == NULL, "policy %d: a pool with every replica down routes",
                      POLICIES[p]);
        world_free(x);
    }
}
END_TEST

/* ---- a failed replica ---- */

START_TEST(test_a_failed_replica_gives_up_every_request_and_its_kv)
{
    world *x = world_new(NULL, 0);
    inf_replica *rep = &x->rep[0];
    x->sc.wl.inference.max_batch_size = 2; /* two run, the third waits */
    rep->caprun = 2;
    for (int32_t i = 0; i < 3; i++) {
        inf_req *q = &x->req[i];
        memset(q, 0, sizeof *q);
        q->prompt = 1024;
        q->output = 50;
        q->nhash = 2;
        q->hash_off = 2 * i;
        x->hashes[2 * i] = 7; /* a prefix every request shares */
        x->hashes[2 * i + 1] = 100 + i;
        q->prefill_start_s = q->first_token_s = q->finish_s = q->transfer_start_s = q->transfer_end_s = -1;
        x->w.nreq = (size_t)i + 1;
        rep->outstanding++;
        ck_assert_int_eq(inf_replica_enqueue(&x->w, rep, i), 0);
    }
    double end = 0.5;
    for (int s = 0; s < 3; s++) { /* prefill, then two decode steps */
        ck_assert_int_gt(inf_sched_plan(&x->w, rep), 0);
        inf_sched_apply(&x->w, rep, 1, 0.5 * s, &end);
    }
    ck_assert_int_eq(rep->nrun, 2);
    ck_assert_int_eq((int)rep->waiting.n, 1);
    ck_assert_int_gt(inf_kv_used(rep->kv), 0);
    ck_assert_msg(inf_kv_match(rep->kv, &x->hashes[0], 1, 1) == 1, "the shared prefix is cached before the failure");
    inf_kv_unref(rep->kv, &x->hashes[0], 1);
    int32_t gen0 = x->req[0].generated;
    double first0 = x->req[0].first_token_s;
    ck_assert_int_gt(gen0, 0);
    int32_t out[3];
    int32_t n = inf_replica_fail(&x->w, rep, out);
    ck_assert_int_eq(n, 3);
    ck_assert_msg(out[0] == 0 && out[1] == 1 && out[2] == 2, "running ones first, then the queue: %d %d %d", out[0],
                  out[1], out[2]);
    for (int32_t i = 0; i < 3; i++) {
        const inf_req *q = &x->req[i];
        ck_assert_msg(q->computed == 0 && q->priv == 0 && q->shared == 0,
                      "request %d keeps KV: computed %d priv %d shared %d", i, q->computed, q->priv, q->shared);
    }
    ck_assert_int_eq(x->req[0].generated, gen0);
    ck_assert_msg(x->req[0].first_token_s == first0, "first token %g, was %g", x->req[0].first_token_s, first0);
    ck_assert_msg(rep->down && rep->nrun == 0 && rep->waiting.n == 0 && rep->outstanding == 0 &&
                      rep->queued_blocks == 0,
                  "replica not emptied");
    ck_assert_int_eq(inf_kv_used(rep->kv), 0);
    ck_assert_int_eq(inf_kv_available(rep->kv), inf_kv_capacity(rep->kv));
    ck_assert_msg(inf_kv_match(rep->kv, &x->hashes[0], 1, 1) == 0, "the cached prefix survived the failure");
    world_free(x);
}
END_TEST

/* ---- the failure model ---- */

static const char *const NO_SPARE[] = {"resilience.spares=0", "failures.accelerator.distribution=exponential",
                                       "failures.accelerator.mtbf=1e9h", "failures.accelerator.repair=3s"};

START_TEST(test_an_outage_lasts_detection_restart_reload_and_the_repair_without_a_spare)
{
    static const struct {
        const char *const *sets;
        size_t nsets;
        double repair;
    } CASES[] = {{NULL, 0, 0.0}, {NO_SPARE, 4, 3.0}};
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
        world *x = world_new(CASES[c].sets, CASES[c].nsets);
        fl_sched_spec s = {.t_s = 5.0, .cls = FL_ACCELERATOR, .component = 2, .duration_s = -1, .bw_factor = -1};
        replace_schedule(x, &s, 1);
        inf_faults *f;
        diag_t err;
        ck_assert_msg(inf_faults_new(&x->sc, x->plat, &x->w, &f, &err) == 0, "%s", err.msg);
        ck_assert_ptr_nonnull(f);
        double reload = reload_expected(x);
        ck_assert_double_eq_tol(inf_faults_reload_s(f, &x->rep[1]), reload, 1e-12);
        ck_assert_double_eq_tol(inf_faults_next_s(f), 5.0, 1e-12);
        ck_assert_int_eq(inf_faults_advance(f, 5.0, &HOOKS), 0);
        ck_assert_msg(x->downs[1] == 1 && x->downs[0] + x->downs[2] + x->downs[3] == 0 && x->rep[1].down,
                      "accelerator 2 takes replica 1 (and only it) down");
        /* detection 1 s, what is left of the repair after it (it runs from the failure), restart 2 s */
        double want = 5.0 + 1.0 + fmax(0.0, CASES[c].repair - 1.0) + 2.0 + reload;
        double got = inf_faults_next_s(f);
        ck_assert_msg(fabs(got - want) < 1e-9, "case %zu: back at %.12g s, want %.12g s", c, got, want);
        ck_assert_int_eq(inf_faults_advance(f, got, &HOOKS), 0);
        ck_assert_msg(x->ups[1] == 1 && !x->rep[1].down, "replica 1 is back");
        /* next: the spare node's return once the failed one is repaired (case 0), or nothing */
        double next = inf_faults_next_s(f), spare_back = 5.0 + x->sc.failures.cls[FL_ACCELERATOR].repair_s;
        ck_assert_msg(c == 0 ? fabs(next - spare_back) < 1e-9 : isinf(next) || next > 1e9, "case %zu: next at %.12g s",
                      c, next);
        inf_faults_free(f);
        world_free(x);
    }
}
END_TEST

START_TEST(test_a_host_failure_takes_every_replica_on_the_node_and_uses_a_spare)
{
    /* 4 accelerators per node: node 1 holds replicas 2 and 3, node 0 replicas 0 and 1; one spare. */
    static const char *const SETS[] = {"failures.host.distribution=exponential", "failures.host.mtbf=1e9h",
                                       "failures.host.repair=60s"};
    world *x = world_new(SETS, 3);
    fl_sched_spec s[2] = {{.t_s = 1.0, .cls = FL_HOST, .component = 1, .duration_s = -1, .bw_factor = -1},
                          {.t_s = 2.0, .cls = FL_HOST, .component = 0, .duration_s = -1, .bw_factor = -1}};
    replace_schedule(x, s, 2);
    inf_faults *f;
    diag_t err;
    ck_assert_msg(inf_faults_new(&x->sc, x->plat, &x->w, &f, &err) == 0, "%s", err.msg);
    double R = reload_expected(x);
    /* What happens next, in order: the second failure (no spare left: its replicas wait for the
     * repair), replicas 2 and 3 back (spared), the spare back from repair, replicas 0 and 1 back. */
    const struct {
        double t;
        int downs[4], ups[4];
    } STEPS[] = {
        {1.0, {0, 0, 1, 1}, {0, 0, 0, 0}},
        {2.0, {1, 1, 1, 1}, {0, 0, 0, 0}},
        {1.0 + 3.0 + R, {1, 1, 1, 1}, {0, 0, 1, 1}},
        {61.0, {1, 1, 1, 1}, {0, 0, 1, 1}},
        /* detection 1 s, then the 59 s left of the repair (it runs from the failure), restart 2 s, reload */
        {2.0 + 1.0 + 59.0 + 2.0 + R, {1, 1, 1, 1}, {1, 1, 1, 1}},
    };
    for (size_t k = 0; k < sizeof STEPS / sizeof STEPS[0]; k++) {
        double t = inf_faults_next_s(f);
        ck_assert_msg(fabs(t - STEPS[k].t) < 1e-9, "step %zu at %.12g s, want %.12g s", k, t, STEPS[k].t);
        ck_assert_int_eq(inf_faults_advance(f, t, &HOOKS), 0);
        for (int i = 0; i < 4; i++)
            ck_assert_msg(x->downs[i] == STEPS[k].downs[i] && x->ups[i] == STEPS[k].ups[i],
                          "step %zu, replica %d: %d downs, %d ups; want %d, %d", k, i, x->downs[i], x->ups[i],
                          STEPS[k].downs[i], STEPS[k].ups[i]);
    }
    double no_spare = inf_faults_outage_s(f, &x->rep[0], FL_HOST, 7200.0, false);
    double spared = inf_faults_outage_s(f, &x->rep[0], FL_HOST, 7200.0, true);
    /* the repair runs from the failure: what is left of it after detection */
    ck_assert_double_eq_tol(no_spare - spared, 7200.0 - x->sc.resilience.detection_s, 1e-9);
    ck_assert_double_eq_tol(inf_faults_outage_s(f, &x->rep[0], FL_SOFTWARE, 7200.0, false), spared, 1e-12);
    inf_faults_free(f);
    world_free(x);
}
END_TEST

START_TEST(test_software_failures_crash_the_replicas_in_turn_and_a_down_one_is_only_counted)
{
    world *x = world_new(NULL, 0);
    fl_sched_spec s[4] = {{.t_s = 1.0, .cls = FL_SOFTWARE, .duration_s = -1, .bw_factor = -1},
                          {.t_s = 1.5, .cls = FL_SOFTWARE, .duration_s = -1, .bw_factor = -1},
                          {.t_s = 2.0, .cls = FL_ACCELERATOR, .component = 3, .duration_s = -1, .bw_factor = -1},
                          {.t_s = 2.5, .cls = FL_SWITCH, .component = 0, .duration_s = -1, .bw_factor = -1}};
    replace_schedule(x, s, 4);
    inf_faults *f;
    diag_t err;
    ck_assert_msg(inf_faults_new(&x->sc, x->plat, &x->w, &f, &err) == 0, "%s", err.msg);
    for (double t = 1.0; t <= 2.5; t += 0.5)
        ck_assert_int_eq(inf_faults_advance(f, t, &HOOKS), 0);
    ck_assert_msg(x->downs[0] == 1 && x->downs[1] == 1 && x->downs[2] == 0 && x->downs[3] == 0,
                  "software failures hit replicas 0 then 1; accelerator 3 (replica 1, down) and a switch change "
                  "nothing: downs %d %d %d %d",
                  x->downs[0], x->downs[1], x->downs[2], x->downs[3]);
    ck_assert_int_eq(x->events, 4 + 2); /* a failure row each, a replica_down row per outage */
    inf_faults_free(f);
    world_free(x);
}
END_TEST

/* ---- whole runs of the binary ---- */

typedef tk_run run;

/* Runs tests/data/inference-failures.yaml, its failing accelerator replaced by ACC (-1: as
 * written), with the --set options SETS. */
static void run_scenario(run *r, int acc, const char *sets)
{
    char dir[64] = "/tmp/check_inference_failures_yaml_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[4096], yaml[160];
    snprintf(yaml, sizeof yaml, "%s/s.yaml", dir);
    if (acc >= 0)
        snprintf(cmd, sizeof cmd, "sed 's/class: accelerator, component: 2}/class: accelerator, component: %d}/' "
                 "%s/tests/data/inference-failures.yaml > %s", acc, tk_root(), yaml);
    else
        snprintf(cmd, sizeof cmd, "cp %s/tests/data/inference-failures.yaml %s", tk_root(), yaml);
    ck_assert_int_eq(system(cmd), 0);
    tk_run_scenario(r, "check_inference_failures", yaml, sets);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Every request completes exactly once; the rerouted ones are counted in both places. */
static void no_request_lost(run *r)
{
    double n = tk_figure(r, "requests"), done = tk_figure(r, "requests_completed"), rej = tk_figure(r, "requests_rejected");
    ck_assert_msg(done + rej == n && tk_figure(r, "requests_unfinished") == 0, "completed %g + rejected %g != %g", done,
                  rej, n);
    size_t m;
    double *fin = tk_column(r, "/inference/requests", "finish", &m);
    double *rr = tk_column(r, "/inference/requests", "reroutes", &m);
    double sum = 0;
    for (size_t i = 0; i < m; i++) {
        ck_assert_msg(!isnan(fin[i]), "request %zu never finished", i);
        sum += rr[i];
    }
    ck_assert_msg(sum == tk_figure(r, "requests_rerouted") && sum > 0, "reroutes column sums to %g, figure %g", sum,
                  tk_figure(r, "requests_rerouted"));
    free(fin);
    free(rr);
}

START_TEST(test_a_failed_replica_s_requests_complete_elsewhere_and_it_serves_nothing_while_down)
{
    run r;
    run_scenario(&r, -1, "");
    no_request_lost(&r);
    size_t n, m;
    double *start = tk_column(&r, "/inference/replica_outages", "start", &n);
    double *end = tk_column(&r, "/inference/replica_outages", "end", &n);
    double *rep = tk_column(&r, "/inference/replica_outages", "replica", &n);
    double *moved = tk_column(&r, "/inference/replica_outages", "requests_rerouted", &n);
    ck_assert_int_eq((int)n, 1);
    ck_assert_msg(rep[0] == 1 && start[0] == 5.0 && moved[0] > 0, "outage: replica %g at %g s, %g rerouted", rep[0],
                  start[0], moved[0]);
    world *x = world_new(NULL, 0);
    double want = 1.0 + 2.0 + reload_expected(x);
    world_free(x);
    ck_assert_msg(fabs(end[0] - start[0] - want) < 1e-9, "outage %.12g s, want %.12g s", end[0] - start[0], want);
    double *arr = tk_column(&r, "/inference/requests", "arrival", &m);
    double *fin = tk_column(&r, "/inference/requests", "finish", &m);
    double *on = tk_column(&r, "/inference/requests", "replica", &m);
    size_t after = 0;
    for (size_t i = 0; i < m; i++) {
        if (on[i] != 1)
            continue;
        ck_assert_msg(fin[i] <= start[0] || arr[i] >= end[0], "request %zu served by replica 1 from %g to %g s", i,
                      arr[i], fin[i]);
        after += arr[i] >= end[0];
    }
    ck_assert_msg(after > 0, "replica 1 served nothing after it came back");
    double avail = tk_figure(&r, "serving_availability"), span = tk_figure(&r, "serving_span");
    ck_assert_msg(avail < 1 && avail > 1 - want / (4 * span), "availability %g", avail);
    free(start);
    free(end);
    free(rep);
    free(moved);
    free(arr);
    free(fin);
    free(on);
    tk_run_done(&r);
}
END_TEST

START_TEST(test_a_decode_replica_failure_resends_or_reprefills_every_request)
{
    /* Accelerator 6 fails: replica 3, the only decode replica (its requests wait for it to come
     * back), or one of two. */
    static const char *const SETS[] = {
        "--set workload.serving.mode=disaggregated --set workload.serving.prefill.replicas=3 "
        "--set workload.serving.decode.replicas=1 --set run.fidelity=analytic",
        "--set workload.serving.mode=disaggregated --set workload.serving.prefill.replicas=2 "
        "--set workload.serving.decode.replicas=2 --set run.fidelity=flow",
    };
    for (size_t k = 0; k < sizeof SETS / sizeof SETS[0]; k++) {
        run r;
        run_scenario(&r, 6, SETS[k]);
        no_request_lost(&r);
        ck_assert_int_eq((int)tk_figure(&r, "replica_failures"), 1);
        tk_run_done(&r);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("inference_failures");
    TCase *u = tcase_create("units");
    tcase_add_test(u, test_the_router_never_picks_a_down_replica);
    tcase_add_test(u, test_a_failed_replica_gives_up_every_request_and_its_kv);
    tcase_add_test(u, test_an_outage_lasts_detection_restart_reload_and_the_repair_without_a_spare);
    tcase_add_test(u, test_a_host_failure_takes_every_replica_on_the_node_and_uses_a_spare);
    tcase_add_test(u, test_software_failures_crash_the_replicas_in_turn_and_a_down_one_is_only_counted);
    suite_add_tcase(s, u);
    TCase *e = tcase_create("runs");
    tcase_set_timeout(e, 60);
    tcase_add_test(e, test_a_failed_replica_s_requests_complete_elsewhere_and_it_serves_nothing_while_down);
    tcase_add_test(e, test_a_decode_replica_failure_resends_or_reprefills_every_request);
    suite_add_tcase(s, e);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
