/* Check suite "kv_offload": the KV-cache offload tier of inference (storage.kv_offload). Unit cases
 * without SimGrid: the tier is an LRU of 512-token blocks bounded by its capacity, fed by the HBM
 * prefix cache's evictions and emptied with it; the scheduler sends a request whose prefix is in
 * the tier to the replica's fetch queue (fetches one after another, latency + bytes / bandwidth)
 * and admits it at the first plan after its fetch with those tokens computed; a failure takes
 * fetching requests away. Whole runs of the binary on tests/data/inference-tiny.yaml and
 * prefix-evict.jsonl: a prefix evicted from HBM but in the tier gives a TTFT longer than an HBM
 * hit by exactly the fetch time and shorter than recomputing it; a one-block tier keeps only the
 * most recent block; a tier too small for any block times every request as no tier does. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5read.h"
#include "testkit.h"
#include "storage/storage.h"
#include "inference_kit.h"
#include "workload/inference_impl.h"
#include "workload/llm_infer.h"


/* The tiny model of tests/data/inference-tiny.yaml: 8 layers x 2 x 8 KV heads x 128 x 2 B. */
static const double KV_TOKEN_B = 8.0 * 2 * 8 * 128 * 2;

static void tiny_li(llm_infer *li, int64_t tp, int64_t max_batch_tokens)
{
    llm_spec m = tiny_model();
    hw_accel a = tiny_accel();
    llm_infer_cfg c = tiny_cfg(tp, 1, 1, max_batch_tokens);
    init_ok(li, &m, &a, &c);
}

/* ---- the tier ---- */

START_TEST(test_the_tier_keeps_the_most_recently_used_blocks_up_to_its_capacity)
{
    inf_tier *t = inf_tier_new(2, 100);
    ck_assert_ptr_nonnull(t);
    int64_t h1[] = {1}, h12[] = {1, 2}, h123[] = {1, 2, 3}, h23[] = {2, 3};
    ck_assert_int_eq(inf_tier_put(t, 1), 0);
    ck_assert_int_eq(inf_tier_put(t, 2), 0);
    ck_assert_int_eq(inf_tier_match(t, h123, 3), 2);
    ck_assert_int_eq(inf_tier_put(t, 1), 0); /* there already: 1 becomes the most recently used, no write */
    EQ(inf_tier_writes(t), 2);
    ck_assert_int_eq(inf_tier_put(t, 3), 0); /* full: drops 2, the least recently used */
    EQ(inf_tier_evictions(t), 1);
    EQ(inf_tier_used(t), 2);
    ck_assert_int_eq(inf_tier_match(t, h12, 2), 1);
    ck_assert_int_eq(inf_tier_match(t, h23, 2), 0); /* a hit must start at the first block */
    inf_tier_touch(t, h1, 1);                       /* fetched: 3 is now the least recently used */
    EQ(inf_tier_hits(t), 1);
    ck_assert_int_eq(inf_tier_put(t, 4), 0);
    ck_assert_int_eq(inf_tier_match(t, h1, 1), 1);
    int64_t h3[] = {3}, h4[] = {4};
    ck_assert_int_eq(inf_tier_match(t, h3, 1), 0);
    ck_assert_int_eq(inf_tier_match(t, h4, 1), 1);
    inf_tier_reset(t);
    EQ(inf_tier_used(t), 0);
    ck_assert_int_eq(inf_tier_match(t, h1, 1), 0);
    inf_tier_free(t);
    /* a tier smaller than one block keeps nothing */
    t = inf_tier_new(0, 100);
    ck_assert_int_eq(inf_tier_put(t, 1), 0);
    ck_assert_int_eq(inf_tier_match(t, h1, 1), 0);
    EQ(inf_tier_writes(t), 0);
    inf_tier_free(t);
}
END_TEST

START_TEST(test_blocks_evicted_from_hbm_go_to_the_tier_and_a_reset_loses_both)
{
    inf_kv *kv = inf_kv_new(64, 16, true); /* two 512-token blocks */
    inf_tier *t = inf_tier_new(8, 100);
    inf_kv_attach_tier(kv, t);
    ck_assert(inf_kv_take(kv, 64));
    ck_assert(inf_kv_promote(kv, 7));
    ck_assert(inf_kv_promote(kv, 8));
    int64_t h78[] = {7, 8};
    inf_kv_unref(kv, h78, 2);
    ck_assert_int_eq(inf_tier_match(t, h78, 2), 0); /* still in HBM: nothing written yet */
    ck_assert(inf_kv_take(kv, 40));                  /* evicts 7 and 8, least recently used first */
    EQ(inf_kv_evictions(kv), 2);
    ck_assert_int_eq(inf_tier_match(t, h78, 2), 2);
    EQ(inf_tier_writes(t), 2);
    inf_kv_reset(kv); /* the replica failed: its tier is gone with its HBM */
    ck_assert_int_eq(inf_tier_match(t, h78, 2), 0);
    inf_kv_free(kv);
    inf_tier_free(t);
}
END_TEST

/* ---- scheduler on a hand-made world ---- */

static const double BW = 1e9, LAT = 1e-3;

static fake *fake_new(int64_t kv_blocks, int64_t tier_blocks)
{
    inference_spec spec = {.max_batch_tokens = 8192,
                           .max_batch_size = 256,
                           .chunked_prefill = true,
                           .block_tokens = 16,
                           .prefix_caching = true};
    scenario_t sc;
    memset(&sc, 0, sizeof sc);
    sc.storage.kv.tier = ST_KV_DRAM;
    sc.storage.kv.bw_Bps = BW;
    sc.storage.kv.latency_s = LAT;
    fake *f = fake_world(&spec, &sc, kv_blocks, ROLE_AGGREGATED, 8192);
    f->rep.tier = inf_tier_new(tier_blocks, 32);
    inf_kv_attach_tier(f->rep.kv, f->rep.tier);
    return f;
}

static void add_req(fake *f, int32_t i, int32_t prompt, int32_t output, const int64_t *h, int32_t nh)
{
    fake_add(f, i, prompt, output, h, nh);
}

/* Plans at T, checks the batch (request, tokens) pairs, applies it as ending at T + 1 ms. */
static void step_at(fake *f, double t, const int32_t *want, int n)
{
    f->rep.clock_s = t;
    fake_step(f, t, 1e-3, want, n);
}

START_TEST(test_a_tier_hit_waits_for_its_fetch_then_prefills_only_the_rest)
{
    fake *f = fake_new(200, 16);
    add_req(f, 0, 1100, 2, (int64_t[]){1, 2, 3}, 3);
    step_at(f, 0, (int32_t[]){0, 1100}, 1);
    step_at(f, 1, (int32_t[]){0, 1}, 1); /* done: blocks 1 and 2 stay cached in HBM */
    ck_assert_int_eq(f->finished, 1);
    ck_assert(inf_kv_take(f->rep.kv, 200)); /* something else needs the whole HBM: 1 and 2 go to the tier */
    inf_kv_give(f->rep.kv, 200);
    EQ(inf_tier_used(f->rep.tier), 2);
    /* two requests share the prefix: both fetch it, one after the other */
    add_req(f, 1, 1100, 2, (int64_t[]){1, 2, 4}, 3);
    add_req(f, 2, 1100, 2, (int64_t[]){1, 2, 5}, 3);
    double fetch = storage_kv_fetch_s(&f->sc.storage, 1024 * KV_TOKEN_B);
    ck_assert_double_eq_tol(fetch, LAT + 1024 * KV_TOKEN_B / BW, 1e-15);
    step_at(f, 5, NULL, 0);
    ck_assert_int_eq((int)f->rep.fetching.n, 2);
    ck_assert_int_eq((int)f->rep.waiting.n, 0);
    EQ(f->req[1].offload_tokens, 1024);
    EQ(f->req[1].hit_tokens, 0);
    EQ(f->req[1].priv, 64); /* the fetched blocks are held while they arrive */
    EQ(f->req[1].ready_s, 5 + fetch);
    EQ(f->req[2].ready_s, 5 + 2 * fetch);
    EQ(inf_replica_next_fetch_s(&f->w, &f->rep), 5 + fetch);
    step_at(f, 5 + fetch * 0.999, NULL, 0);
    step_at(f, 5 + fetch, (int32_t[]){1, 76}, 1); /* 1100 - 1024 tokens left to prefill */
    step_at(f, 5 + 2 * fetch, (int32_t[]){1, 1, 2, 76}, 2);
    ck_assert_double_eq_tol(f->req[2].fetch_s, 2 * fetch, 1e-15); /* it queued behind request 1's fetch */
    ck_assert_double_eq_tol(f->req[1].fetch_s, fetch, 1e-15);
    EQ(f->rep.fetches, 2);
    ck_assert_double_eq_tol(f->rep.fetch_bytes, 2 * 1024 * KV_TOKEN_B, 1e-3);
    EQ(inf_tier_hits(f->rep.tier), 4);
    fake_free(f);
}
END_TEST

START_TEST(test_a_failure_takes_fetching_requests_away_and_empties_the_tier)
{
    fake *f = fake_new(200, 16);
    add_req(f, 0, 1100, 1, (int64_t[]){1, 2, 3}, 3);
    step_at(f, 0, (int32_t[]){0, 1100}, 1);
    ck_assert(inf_kv_take(f->rep.kv, 200));
    inf_kv_give(f->rep.kv, 200);
    add_req(f, 1, 1100, 2, (int64_t[]){1, 2, 4}, 3);
    add_req(f, 2, 600, 2, (int64_t[]){9, 8}, 2);
    step_at(f, 1, (int32_t[]){2, 600}, 1); /* request 1 fetches; request 2 is admitted meanwhile */
    ck_assert_int_eq((int)f->rep.fetching.n, 1);
    int32_t out[8];
    int32_t n = inf_replica_fail(&f->w, &f->rep, out);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(out[0], 2); /* running first, then fetching */
    ck_assert_int_eq(out[1], 1);
    EQ(f->req[1].priv, 0);
    EQ(f->req[1].computed, 0);
    EQ(inf_kv_used(f->rep.kv), 0);
    EQ(inf_tier_used(f->rep.tier), 0);
    ck_assert(isinf(inf_replica_next_fetch_s(&f->w, &f->rep)));
    fake_free(f);
}
END_TEST

/* ---- whole runs of the binary ---- */

typedef tk_run run;

static void run_tiny(run *r, const char *sets)
{
    tk_run_scenario(r, "check_kv_offload", "tests/data/inference-tiny.yaml", sets);
}

/* prefix-evict.jsonl: A (blocks 0, 1, 2) at 0 s, B (5, 6, 7) at 1 s, C (0, 1, 9) at 2 s, 1,100
 * tokens each, on one replica. With an HBM cache of 90 blocks of 16 tokens, admitting B evicts
 * both of A's cached blocks (90 - 64 + 32 < 69 blocks needed); with a large cache C finds them in
 * HBM. The memory utilization that leaves 90 blocks (+ half a block of margin). */
static double util_for_blocks(int blocks)
{
    llm_infer li;
    tiny_li(&li, 2, 2048);
    return (li.weight_bytes_rank + li.act_reserve_bytes + (blocks * 16 + 8) * li.kv_bytes_token_rank) / 80e9;
}

#define EVICT_SETS                                                                                                     \
    "--set workload.requests.trace.path=prefix-evict.jsonl --set workload.serving.replicas=1 "                         \
    "--set workload.serving.max_batch_tokens=2048 "

START_TEST(test_a_tier_hit_costs_an_hbm_hit_plus_the_fetch_and_less_than_recomputing)
{
    static const struct {
        const char *name;
        bool small;
        const char *tier;
    } cases[3] = {{"HBM hit", false, "none"}, {"tier hit", true, "dram"}, {"recompute", true, "none"}};
    double ttft[3][3], off[3], fetch_col[3];
    for (int c = 0; c < 3; c++) {
        char sets[1024];
        snprintf(sets, sizeof sets,
                 EVICT_SETS "--set workload.serving.memory_utilization=%.17g --set storage.kv_offload.tier=%s%s",
                 cases[c].small ? util_for_blocks(90) : 0.9, cases[c].tier,
                 strcmp(cases[c].tier, "none") ? " --set storage.kv_offload.bandwidth=50GB/s "
                                                 "--set storage.kv_offload.latency=20us"
                                               : "");
        run r;
        run_tiny(&r, sets);
        size_t n;
        double *t = tk_column(&r, "/inference/requests", "ttft", &n);
        double *h = tk_column(&r, "/inference/requests", "cache_hit_tokens", &n);
        double *o = tk_column(&r, "/inference/requests", "offload_hit_tokens", &n);
        double *fc = tk_column(&r, "/inference/requests", "offload_fetch", &n);
        double *cap = tk_column(&r, "/inference/replicas", "kv_capacity_tokens", &n);
        if (cases[c].small)
            EQ(cap[0], 90 * 16);
        for (int i = 0; i < 3; i++)
            ttft[c][i] = t[i];
        off[c] = o[2];
        fetch_col[c] = fc[2];
        EQ(h[2], c == 0 ? 1024 : 0);
        if (c == 1) {
            EQ(tk_figure(&r, "prefix_hit_tokens_offload"), 1024);
            EQ(tk_figure(&r, "kv_offload_fetches"), 1);
            ck_assert_double_eq_tol(tk_figure(&r, "kv_offload_hit_rate"), 1024.0 / 3300, 1e-15);
            double *wr = tk_column(&r, "/inference/replicas", "offload_writes", &n);
            ck_assert_msg(wr[0] >= 2, "%g blocks written to the tier, want A's two at least", wr[0]);
            free(wr);
        }
        free(t);
        free(h);
        free(o);
        free(fc);
        free(cap);
        tk_run_done(&r);
    }
    /* A and B are served the same way in all three runs */
    for (int c = 1; c < 3; c++)
        for (int i = 0; i < 2; i++)
            ck_assert_msg(ttft[c][i] == ttft[0][i], "%s: request %d TTFT %.17g, %s %.17g", cases[c].name, i,
                          ttft[c][i], cases[0].name, ttft[0][i]);
    EQ(off[1], 1024);
    EQ(off[0], 0);
    EQ(off[2], 0);
    double fetch = 20e-6 + 1024 * KV_TOKEN_B / 50e9;
    ck_assert_msg(fabs(fetch_col[1] - fetch) < 1e-15, "offload_fetch %.17g s, want %.17g s", fetch_col[1], fetch);
    double d = ttft[1][2] - ttft[0][2];
    ck_assert_msg(fabs(d - fetch) < 1e-12, "tier hit TTFT %.12g s - HBM hit TTFT %.12g s = %.12g s, want the fetch %.12g s",
                  ttft[1][2], ttft[0][2], d, fetch);
    ck_assert_msg(ttft[1][2] < ttft[2][2], "tier hit TTFT %.9g s is not below recomputing the prefix %.9g s",
                  ttft[1][2], ttft[2][2]);
}
END_TEST

START_TEST(test_a_one_block_tier_keeps_only_the_last_evicted_block)
{
    /* 16 MiB = one 512-token block of the tiny model: A's block 0 is written then dropped for
     * block 1, so C (starting with block 0) finds nothing and recomputes. */
    char sets[1024];
    snprintf(sets, sizeof sets,
             EVICT_SETS "--set workload.serving.memory_utilization=%.17g --set storage.kv_offload.tier=dram "
                        "--set storage.kv_offload.capacity=16MiB",
             util_for_blocks(90));
    run r;
    run_tiny(&r, sets);
    size_t n;
    double *o = tk_column(&r, "/inference/requests", "offload_hit_tokens", &n);
    double *cap = tk_column(&r, "/inference/replicas", "offload_capacity_tokens", &n);
    double *ev = tk_column(&r, "/inference/replicas", "offload_evictions", &n);
    EQ(cap[0], 512);
    EQ(o[2], 0);
    ck_assert_msg(ev[0] >= 1, "%g tier evictions, want at least one", ev[0]);
    EQ(tk_figure(&r, "kv_offload_fetches"), 0);
    free(o);
    free(cap);
    free(ev);
    tk_run_done(&r);
}
END_TEST

START_TEST(test_a_tier_that_holds_no_block_changes_no_timing)
{
    static const char *const cols[] = {"ttft", "e2e", "first_token", "finish", "cache_hit_tokens"};
    char sets[2][1024];
    snprintf(sets[0], sizeof sets[0], EVICT_SETS "--set workload.serving.memory_utilization=%.17g",
             util_for_blocks(90));
    snprintf(sets[1], sizeof sets[1],
             EVICT_SETS "--set workload.serving.memory_utilization=%.17g --set storage.kv_offload.tier=ssd "
                        "--set storage.kv_offload.capacity=1MB",
             util_for_blocks(90));
    run a, b;
    run_tiny(&a, sets[0]);
    run_tiny(&b, sets[1]);
    for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++) {
        size_t n1, n2;
        double *x = tk_column(&a, "/inference/requests", cols[c], &n1), *y = tk_column(&b, "/inference/requests", cols[c], &n2);
        ck_assert_int_eq((int)n1, (int)n2);
        for (size_t i = 0; i < n1; i++)
            ck_assert_msg(x[i] == y[i], "%s[%zu]: %.17g without a tier, %.17g with an empty one", cols[c], i, x[i],
                          y[i]);
        free(x);
        free(y);
    }
    EQ(tk_figure(&a, "kv_offload_fetches"), 0);
    EQ(tk_figure(&a, "prefix_hit_tokens_offload"), 0);
    tk_run_done(&a);
    tk_run_done(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kv_offload");
    TCase *u = tcase_create("tier");
    tcase_add_test(u, test_the_tier_keeps_the_most_recently_used_blocks_up_to_its_capacity);
    tcase_add_test(u, test_blocks_evicted_from_hbm_go_to_the_tier_and_a_reset_loses_both);
    tcase_add_test(u, test_a_tier_hit_waits_for_its_fetch_then_prefills_only_the_rest);
    tcase_add_test(u, test_a_failure_takes_fetching_requests_away_and_empties_the_tier);
    suite_add_tcase(s, u);
    TCase *e2e = tcase_create("runs");
    tcase_set_timeout(e2e, 60);
    tcase_add_test(e2e, test_a_tier_hit_costs_an_hbm_hit_plus_the_fetch_and_less_than_recomputing);
    tcase_add_test(e2e, test_a_one_block_tier_keeps_only_the_last_evicted_block);
    tcase_add_test(e2e, test_a_tier_that_holds_no_block_changes_no_timing);
    suite_add_tcase(s, e2e);
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
