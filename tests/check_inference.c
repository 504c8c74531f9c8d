/* Check suite "inference": the serving model. Unit cases without SimGrid: KV cache bytes per
 * token (GQA and MLA formulas), weights per accelerator, roofline regimes of decode and prefill,
 * the KV block pool and its LRU prefix cache, and the continuous-batching scheduler (chunked
 * prefill budget, batch size, vLLM V0 prefill steps, preemption, decode runs, prefix hits).
 * Whole runs of the binary on tests/data/inference-tiny.yaml: a single request's TTFT equals
 * the prefill roofline plus the closed-form tensor-parallel collectives and its TPOT the
 * decode steps; a saturated replica's throughput meets the memory roofline bound; a KV cache
 * transfer takes latency + bytes / bandwidth; rejections and prefix-cache hits are counted, and a
 * small cache evicts the prefix a later request needs. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5read.h"
#include "testkit.h"

#include "inference_kit.h"
#include "workload/inference_impl.h"
#include "workload/llm_infer.h"

/* ---- the tiny model and machine of tests/data/inference-tiny.yaml ---- */

static llm_infer_cfg cfg(int64_t tp, int64_t pp, int64_t ep)
{
    return tiny_cfg(tp, pp, ep, 8192);
}

/* Closed forms on the tiny scenario's switched topology: one plane of 100 GB/s links, 1 us
 * link and 500 ns switch latency, so a route costs alpha = 2.5 us; TP = 2. */
static const double ALPHA = 2 * 1e-6 + 500e-9, BW = 100e9;
static double ring_allreduce_2(double n)
{
    return 2.0 * ALPHA + n / BW; /* 2(p-1)alpha + 2(p-1)/p n/B at p = 2 */
}
static double ring_allgather_2(double n)
{
    return ALPHA + n / (2.0 * BW); /* (p-1)alpha + (p-1)/p n/B at p = 2 */
}
/* One step's collectives of the tiny model at TP 2: an all-reduce after attention and after the
 * FFN of every layer, one after the vocabulary-parallel embedding, and the logits all-gather. */
static double tiny_comm(double tokens, double logits)
{
    double n = tokens * 4096 * 2;
    return (2 * 8 + 1) * ring_allreduce_2(n) + ring_allgather_2(logits * 32000 * 2);
}

/* ---- arithmetic ---- */

START_TEST(test_kv_bytes_per_token_follow_the_gqa_and_mla_formulas)
{
    hw_accel a = tiny_accel();
    a.hbm_bytes = 1e13;
    static const struct {
        const char *name;
        llm_spec m;
        double kvb, want;
    } cases[] = {
        /* GQA: 2 * layers * kv_heads * head_dim * bytes */
        {"llama-3.1-70b", {.layers = 80, .hidden = 8192, .heads = 64, .kv_heads = 8, .ffn = 28672, .gated_ffn = true,
                           .vocab = 128256, .seq_len = 131072},
         2, 2.0 * 80 * 8 * 128 * 2},
        /* MHA: kv_heads 0 means every head */
        {"gpt-13b", {.layers = 40, .hidden = 5120, .heads = 40, .ffn = 20480, .vocab = 50257, .seq_len = 2048},
         2, 2.0 * 40 * 40 * 128 * 2},
        /* MLA (DeepSeek-V3): layers * (kv_lora_rank + rope_dim) * bytes, no factor 2 */
        {"deepseek-v3", {.layers = 61, .hidden = 7168, .heads = 128, .head_dim = 128, .ffn = 18432, .gated_ffn = true,
                         .vocab = 129280, .seq_len = 163840, .experts = 256, .top_k = 8, .shared_experts = 1,
                         .expert_ffn = 2048, .dense_layers = 3, .attention = LLM_ATTN_MLA, .kv_lora_rank = 512,
                         .q_lora_rank = 1536, .rope_dim = 64},
         1, 61.0 * (512 + 64) * 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        llm_infer_cfg k = cfg(8, 1, 1);
        k.kv_bytes = cases[c].kvb;
        k.weight_bytes = 1;
        llm_infer li;
        init_ok(&li, &cases[c].m, &a, &k);
        ck_assert_msg(li.kv_bytes_token == cases[c].want, "%s: %.17g B per token, want %.17g", cases[c].name,
                      li.kv_bytes_token, cases[c].want);
    }
}
END_TEST

START_TEST(test_weights_per_accelerator_divide_by_tp_and_pp)
{
    llm_spec m = tiny_model();
    hw_accel a = tiny_accel();
    double total = llm_params_total(&m) * 2;
    static const struct {
        int64_t tp, pp;
    } cases[] = {{1, 1}, {2, 1}, {4, 1}, {2, 2}, {1, 4}, {8, 2}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        llm_infer li;
        llm_infer_cfg k = cfg(cases[c].tp, cases[c].pp, 1);
        init_ok(&li, &m, &a, &k);
        double want = total / (double)(cases[c].tp * cases[c].pp);
        /* norms are replicated and the embedding and head sit on the end stages: a few percent */
        ck_assert_msg(fabs(li.weight_bytes_rank / want - 1) < 0.15, "tp %lld pp %lld: %.4g B, want ~%.4g",
                      (long long)cases[c].tp, (long long)cases[c].pp, li.weight_bytes_rank, want);
        ck_assert_int_eq(llm_infer_replica_size(&k), cases[c].tp * cases[c].pp);
    }
    llm_infer li;
    llm_infer_cfg k = cfg(1, 1, 1);
    init_ok(&li, &m, &a, &k);
    ck_assert_msg(fabs(li.weight_bytes_rank - total) < 1e-6 * total, "tp 1: %.17g, want %.17g", li.weight_bytes_rank,
                  total);
}
END_TEST

START_TEST(test_a_model_that_does_not_fit_is_refused)
{
    llm_spec m = tiny_model();
    hw_accel a = tiny_accel();
    a.hbm_bytes = 2e9; /* 4 GB of weights at tp 1 */
    llm_infer li;
    llm_infer_cfg k = cfg(1, 1, 1);
    char why[512] = "";
    ck_assert_int_eq(llm_infer_init(&li, &m, &a, &k, 0.9, why, sizeof why), -1);
    ck_assert_msg(strstr(why, "does not fit") != NULL, "%s", why);
}
END_TEST

START_TEST(test_decode_is_memory_bound_and_long_prefill_compute_bound)
{
    llm_spec m = tiny_model();
    hw_accel a = tiny_accel();
    llm_infer li;
    llm_infer_cfg k = cfg(1, 1, 1);
    init_ok(&li, &m, &a, &k);
    /* one decode token at context 1000: the weights are read once */
    llm_batch d = {.tokens = 1, .decode_pairs = 1001, .kv_read_tokens = 1000, .logit_tokens = 1};
    llm_step_cost c;
    llm_infer_step(&li, &d, &c);
    /* every weight but the embedding table (a decode step reads one row of it) */
    double mem = (li.weight_bytes_rank - 2 * llm_embedding_params(&m) + 1001 * li.kv_bytes_token) / a.hbm_bw_Bps;
    ck_assert_msg(fabs(c.compute_s / mem - 1) < 0.01, "decode %.6g s, weights+KV/bandwidth %.6g s", c.compute_s, mem);
    /* 8192-token prefill: about 2 * active params * tokens FLOP at peak */
    llm_batch p = {.tokens = 8192, .prefill_tokens = 8192, .prefill_pairs = 8192.0 * 8193 / 2, .logit_tokens = 1};
    llm_infer_step(&li, &p, &c);
    double gemm = 2.0 * (llm_params_total(&m) - llm_embedding_params(&m) - llm_head_params(&m)) * 8192;
    double attn = 8.0 * p.prefill_pairs * li.pair_flop_prefill;
    double want = (gemm + attn) / a.peak_flops_Fps;
    /* the matmuls at peak, plus the element-wise kernels (norms, RoPE, SwiGLU, residuals) reading
     * and writing 8192-token activations at HBM speed: under 25% more */
    ck_assert_msg(c.compute_s >= want && c.compute_s / want - 1 < 0.25, "prefill %.6g s, FLOP/peak %.6g s",
                  c.compute_s, want);
    llm_infer_cfg slow = k;
    slow.compute_eff = 0.5;
    llm_infer lis;
    init_ok(&lis, &m, &a, &slow);
    llm_step_cost cs;
    llm_infer_step(&lis, &p, &cs);
    ck_assert_msg(cs.compute_s / c.compute_s > 1.7, "prefill is not compute-bound: %.6g s at half efficiency vs %.6g s",
                  cs.compute_s, c.compute_s);
    /* efficiency scales the two regimes separately */
    k.compute_eff = 0.5;
    k.memory_eff = 0.8;
    llm_infer li2;
    init_ok(&li2, &m, &a, &k);
    llm_step_cost c2;
    llm_infer_step(&li2, &d, &c2);
    llm_infer_step(&li, &d, &c);
    ck_assert_double_eq_tol(c2.compute_s, c.compute_s / 0.8, 1e-12);
}
END_TEST

START_TEST(test_the_fixed_and_attention_parts_add_up_to_the_step)
{
    llm_spec m = tiny_model();
    hw_accel a = tiny_accel();
    llm_infer li;
    llm_infer_cfg k = cfg(2, 2, 1);
    init_ok(&li, &m, &a, &k);
    llm_batch b = {.tokens = 300, .prefill_tokens = 256, .prefill_pairs = 256.0 * 257 / 2 + 256 * 100,
                   .decode_pairs = 44 * 700, .kv_read_tokens = 100 + 44 * 699, .logit_tokens = 45};
    llm_step_cost whole, fixed;
    llm_infer_step(&li, &b, &whole);
    llm_infer_fixed(&li, &b, &fixed);
    double f, by;
    double at = llm_infer_attention_s(&li, &b, &f, &by);
    ck_assert_double_eq_tol(whole.compute_s, fixed.compute_s + at, 1e-15);
    EQ(whole.calls[LIC_TP_ALLREDUCE], 2 * 8 + 1);
    ck_assert_double_eq_tol(whole.bytes[LIC_TP_ALLREDUCE], 17 * 300.0 * 4096 * 2, 1e-3);
    EQ(whole.calls[LIC_PP_P2P], 1);
    EQ(whole.calls[LIC_TP_ALLGATHER], 1);
}
END_TEST

/* ---- KV block pool and prefix cache ---- */

START_TEST(test_prefix_cache_reuses_blocks_then_evicts_the_least_recently_used)
{
    inf_kv *kv = inf_kv_new(100, 16, true); /* a 512-token prefix block is 32 blocks */
    ck_assert_ptr_nonnull(kv);
    ck_assert(inf_kv_take(kv, 64));
    ck_assert(inf_kv_promote(kv, 7)); /* the request's first 32 private blocks become block 7 */
    ck_assert(inf_kv_promote(kv, 8));
    ck_assert_int_eq(inf_kv_used(kv), 64);
    ck_assert_int_eq(inf_kv_available(kv), 36);
    int64_t h78[] = {7, 8}, h89[] = {8, 9}, h7[] = {7};
    inf_kv_unref(kv, h78, 2); /* request done: both evictable, 7 least recently used */
    ck_assert_int_eq(inf_kv_available(kv), 100);
    ck_assert_int_eq(inf_kv_match(kv, h89, 2, 2), 1); /* 8 cached, 9 not */
    inf_kv_unref(kv, h89, 1);                        /* 8 is now the most recently used */
    ck_assert(inf_kv_take(kv, 50));                  /* needs 14 more: evicts 7 only */
    ck_assert_int_eq((int)inf_kv_evictions(kv), 1);
    ck_assert_int_eq(inf_kv_match(kv, h7, 1, 1), 0);
    ck_assert_int_eq(inf_kv_match(kv, h89, 2, 2), 1);
    ck_assert(!inf_kv_take(kv, 20)); /* 8 is referenced: only 18 blocks are free */
    ck_assert_int_eq(inf_kv_used(kv), 82);
    /* promoting a block someone cached meanwhile drops the private copy */
    ck_assert(inf_kv_take(kv, 18));
    ck_assert(inf_kv_promote(kv, 8));
    ck_assert_int_eq(inf_kv_used(kv), 100 - 32);
    inf_kv_free(kv);
    inf_kv *off = inf_kv_new(100, 16, false);
    ck_assert(!inf_kv_promote(off, 1));
    ck_assert_int_eq(inf_kv_match(off, h7, 1, 1), 0);
    inf_kv_free(off);
}
END_TEST

/* ---- scheduler on a hand-made world ---- */

static fake *fake_new(int64_t budget, int64_t max_seqs, bool chunked, int64_t kv_blocks, inf_role role)
{
    inference_spec spec = {.max_batch_tokens = budget,
                           .max_batch_size = max_seqs,
                           .chunked_prefill = chunked,
                           .block_tokens = 16,
                           .prefix_caching = true};
    return fake_world(&spec, NULL, kv_blocks, role, 8192);
}

static void add_req(fake *f, int32_t i, int32_t prompt, int32_t output)
{
    fake_add(f, i, prompt, output, NULL, 0);
}

/* Plans one step and checks (request, tokens) pairs; then applies it as lasting 1 s. */
static void step_expect(fake *f, const int32_t *want, int n)
{
    fake_step(f, f->t, 1.0, want, n);
    f->t += 1.0;
}

START_TEST(test_chunked_prefill_fills_the_token_budget_in_arrival_order)
{
    fake *f = fake_new(4096, 256, true, 100000, ROLE_AGGREGATED);
    add_req(f, 0, 5000, 3);
    add_req(f, 1, 3000, 3);
    add_req(f, 2, 100, 2);
    step_expect(f, (int32_t[]){0, 4096}, 1);
    step_expect(f, (int32_t[]){0, 904, 1, 3000, 2, 100}, 3);
    ck_assert_double_eq_tol(f->req[0].first_token_s, 2.0, 1e-12); /* its last chunk ended at t = 2 */
    ck_assert_double_eq_tol(f->req[2].first_token_s, 2.0, 1e-12);
    ck_assert_double_eq_tol(f->req[1].prefill_start_s, 1.0, 1e-12);
    step_expect(f, (int32_t[]){0, 1, 1, 1, 2, 1}, 3); /* request 2 has its 2 tokens */
    ck_assert_int_eq(f->finished, 1);
    ck_assert_int_eq(f->rep.nrun, 2);
    step_expect(f, (int32_t[]){0, 1, 1, 1}, 2);
    ck_assert_int_eq(f->finished, 3);
    ck_assert_double_eq_tol(f->req[0].finish_s, 4.0, 1e-12);
    ck_assert_int_eq(inf_kv_used(f->rep.kv), 0);
    step_expect(f, NULL, 0);
    fake_free(f);
}
END_TEST

START_TEST(test_batch_size_limits_admission)
{
    fake *f = fake_new(8192, 2, true, 100000, ROLE_AGGREGATED);
    add_req(f, 0, 100, 4);
    add_req(f, 1, 100, 4);
    add_req(f, 2, 100, 4);
    step_expect(f, (int32_t[]){0, 100, 1, 100}, 2);
    step_expect(f, (int32_t[]){0, 1, 1, 1}, 2);
    ck_assert_int_eq((int)f->rep.waiting.n, 1);
    fake_free(f);
}
END_TEST

START_TEST(test_without_chunking_a_step_prefills_whole_prompts_or_decodes)
{
    fake *f = fake_new(4096, 256, false, 100000, ROLE_AGGREGATED);
    add_req(f, 0, 3000, 3);
    add_req(f, 1, 1000, 3);
    add_req(f, 2, 2000, 3);
    step_expect(f, (int32_t[]){0, 3000, 1, 1000}, 2); /* 2000 more would exceed 4096 */
    step_expect(f, (int32_t[]){2, 2000}, 1);          /* prefill step: decodes wait */
    step_expect(f, (int32_t[]){0, 1, 1, 1, 2, 1}, 3);
    fake_free(f);
}
END_TEST

START_TEST(test_a_full_cache_preempts_the_last_admitted_sequence)
{
    /* 20 blocks of 16 tokens = 320 tokens: two 150-token prompts take 10 blocks each; contexts
     * up to 160 tokens still fit in 10, the 161st token needs an 11th block. */
    fake *f = fake_new(8192, 256, true, 20, ROLE_AGGREGATED);
    add_req(f, 0, 150, 30);
    add_req(f, 1, 150, 30);
    step_expect(f, (int32_t[]){0, 150, 1, 150}, 2);
    for (int i = 0; i < 10; i++) /* contexts up to 160 still fit in 10 blocks each */
        step_expect(f, (int32_t[]){0, 1, 1, 1}, 2);
    ck_assert_int_eq(inf_kv_used(f->rep.kv), 20);
    step_expect(f, (int32_t[]){0, 1}, 1); /* request 0 needs block 11: request 1 is preempted */
    ck_assert_int_eq(f->req[1].preemptions, 1);
    ck_assert_int_eq(f->req[1].state, RQ_WAITING);
    ck_assert_int_eq(f->req[1].priv, 0);
    ck_assert_int_eq((int)f->rep.preemptions, 1);
    ck_assert_int_eq(inf_queue_peek(&f->rep.waiting), 1);
    ck_assert_int_eq(f->req[1].generated, 11); /* its tokens are kept and recomputed later */
    fake_free(f);
}
END_TEST

START_TEST(test_a_decode_run_ends_at_the_first_completion_or_when_blocks_run_out)
{
    fake *f = fake_new(8192, 256, true, 1000, ROLE_AGGREGATED);
    add_req(f, 0, 64, 6);
    add_req(f, 1, 64, 10);
    step_expect(f, (int32_t[]){0, 64, 1, 64}, 2);
    ck_assert_int_eq(inf_sched_plan(&f->w, &f->rep), 2);
    ck_assert(f->rep.batch.decode_only);
    double ends[64];
    int64_t k = inf_sched_decode_run(&f->w, &f->rep, ends, 64);
    ck_assert_int_eq(k, 5); /* request 0 has 5 tokens left */
    for (int64_t j = 1; j < k; j++)
        ck_assert_msg(ends[j] > ends[j - 1], "step ends must increase: %g then %g", ends[j - 1], ends[j]);
    /* each step reads one more token of KV per sequence: a little longer every time */
    ck_assert_msg(ends[2] - ends[1] > ends[1] - ends[0], "decode steps should lengthen with the context");
    inf_sched_apply(&f->w, &f->rep, k, 1.0, ends);
    ck_assert_int_eq(f->finished, 1);
    ck_assert_double_eq_tol(f->req[0].finish_s, 1.0 + ends[4], 1e-12);
    ck_assert_int_eq(f->req[1].generated, 6);
    fake_free(f);

    /* blocks: a 64-token prompt holds 4 blocks of 6; the first decode step takes a 5th (65
     * tokens); the one free block lasts until the context reaches 96 tokens: a run of 32 steps */
    f = fake_new(8192, 256, true, 6, ROLE_AGGREGATED);
    add_req(f, 0, 64, 100);
    step_expect(f, (int32_t[]){0, 64}, 1);
    ck_assert_int_eq(inf_sched_plan(&f->w, &f->rep), 1);
    k = inf_sched_decode_run(&f->w, &f->rep, ends, 64);
    ck_assert_int_eq(k, 32);
    ck_assert_int_eq(inf_kv_used(f->rep.kv), 6); /* the run's block is reserved up front */
    inf_sched_apply(&f->w, &f->rep, 10, 1.0, ends); /* cut short after 10 steps: the block returns */
    ck_assert_int_eq(inf_kv_used(f->rep.kv), 5);
    ck_assert_int_eq(f->req[0].computed, 74);
    fake_free(f);
}
END_TEST

START_TEST(test_prefix_hits_skip_the_cached_part_of_the_prompt)
{
    fake *f = fake_new(8192, 256, true, 10000, ROLE_AGGREGATED);
    int64_t h[] = {10, 11, 12, 10, 11, 13};
    memcpy(f->hashes, h, sizeof h);
    add_req(f, 0, 1100, 2);
    f->req[0].hash_off = 0;
    f->req[0].nhash = 3;
    step_expect(f, (int32_t[]){0, 1100}, 1);
    add_req(f, 1, 1100, 2);
    f->req[1].hash_off = 3;
    f->req[1].nhash = 3;
    /* blocks 10 and 11 (1024 tokens) were cached when request 0's prefill ended */
    step_expect(f, (int32_t[]){0, 1, 1, 76}, 2);
    ck_assert_int_eq(f->req[1].hit_tokens, 1024);
    ck_assert_int_eq(f->req[0].hit_tokens, 0);
    fake_free(f);
}
END_TEST

START_TEST(test_a_prefill_replica_hands_requests_over_after_their_first_token)
{
    fake *f = fake_new(8192, 256, true, 10000, ROLE_PREFILL);
    add_req(f, 0, 500, 10);
    add_req(f, 1, 500, 1);
    step_expect(f, (int32_t[]){0, 500, 1, 500}, 2);
    ck_assert_int_eq(f->prefilled, 1); /* request 1 needs no decode: it finishes */
    ck_assert_int_eq(f->finished, 1);
    ck_assert_int_eq(f->req[0].state, RQ_TRANSFER);
    ck_assert_int_eq(f->rep.nrun, 0);
    ck_assert_msg(f->req[0].priv > 0, "the KV stays until the transfer ends");
    inf_replica_release(&f->w, &f->rep, 0);
    ck_assert_int_eq(inf_kv_used(f->rep.kv), 0);
    fake_free(f);
}
END_TEST

/* ---- whole runs of the binary ---- */

typedef tk_run run;

static void run_tiny(run *r, const char *sets)
{
    tk_run_scenario(r, "check_inference", "tests/data/inference-tiny.yaml", sets);
}

static double figure(run *r, const char *name)
{
    double v = tk_figure_or_nan(r, name);
    ck_assert_msg(!isnan(v) || !strcmp(name, "kv_transfer_time_mean"), "figure %s missing", name);
    return v;
}

/* Step time of the tiny model at TP 2 for batch B, as the scenario prices it: roofline compute
 * from llm_infer plus closed-form collectives. */
static double tiny_step(const llm_batch *b)
{
    llm_spec m = tiny_model();
    hw_accel a = tiny_accel();
    llm_infer li;
    llm_infer_cfg k = cfg(2, 1, 1);
    init_ok(&li, &m, &a, &k);
    llm_step_cost c;
    llm_infer_step(&li, b, &c);
    return c.compute_s + tiny_comm(b->tokens, b->logit_tokens);
}

START_TEST(test_single_request_ttft_is_the_prefill_roofline_plus_the_network)
{
    run r;
    run_tiny(&r, "--set workload.requests.trace.path=one-request.csv");
    llm_batch pre = {.tokens = 1000, .prefill_tokens = 1000, .prefill_pairs = 1000.0 * 1001 / 2, .logit_tokens = 1};
    double ttft = tiny_step(&pre);
    double decode = 0;
    for (int j = 0; j < 63; j++) {
        llm_batch d = {.tokens = 1, .decode_pairs = 1001 + j, .kv_read_tokens = 1000 + j, .logit_tokens = 1};
        decode += tiny_step(&d);
    }
    size_t n;
    double *t = tk_column(&r, "/inference/requests", "ttft", &n);
    double *p = tk_column(&r, "/inference/requests", "tpot", &n);
    double *q = tk_column(&r, "/inference/requests", "queueing", &n);
    double *ft = tk_column(&r, "/inference/requests", "first_token", &n);
    ck_assert_int_eq((int)n, 1);
    ck_assert_msg(fabs(t[0] / ttft - 1) < 1e-9, "TTFT %.12g s, prefill roofline + collectives %.12g s", t[0], ttft);
    ck_assert_msg(fabs(p[0] / (decode / 63) - 1) < 1e-9, "TPOT %.12g s, mean decode step %.12g s", p[0], decode / 63);
    ck_assert_double_eq_tol(q[0], 0, 1e-12);
    /* arrivals count from the trace's first request: the request arrives at 0 */
    ck_assert_msg(fabs(ft[0] - ttft) < 1e-12, "first token at %.12g s", ft[0]);
    /* by hand: about 2.0e9 parameters, 2 GB of BF16 weights on each of the two accelerators read
     * at 2 TB/s = 1.0 ms, plus 17 all-reduces of 8 KiB at about 5 us each */
    ck_assert_msg(p[0] > 0.95e-3 && p[0] < 1.15e-3, "TPOT %.4g s, expected about 1.0 ms + 0.09 ms", p[0]);
    ck_assert_double_eq_tol(figure(&r, "ttft_p50"), t[0], 1e-15);
    EQ(figure(&r, "slo_attainment"), 1);
    free(t);
    free(p);
    free(q);
    free(ft);
    tk_run_done(&r);
}
END_TEST

START_TEST(test_saturated_replica_throughput_meets_the_memory_roofline_bound)
{
    run r;
    run_tiny(&r, "--set workload.requests.trace.path=burst-64.csv --set workload.serving.replicas=1");
    /* one prefill step of 64 x 128 = 8192 tokens (exactly the budget), then 255 decode steps of
     * 64 sequences */
    llm_batch pre = {.tokens = 8192, .prefill_tokens = 8192, .prefill_pairs = 64 * 128.0 * 129 / 2, .logit_tokens = 64};
    double span = tiny_step(&pre), bound = 0;
    llm_spec m = tiny_model();
    hw_accel a = tiny_accel();
    llm_infer li;
    llm_infer_cfg k = cfg(2, 1, 1);
    init_ok(&li, &m, &a, &k);
    for (int j = 0; j < 255; j++) {
        llm_batch d = {.tokens = 64, .decode_pairs = 64.0 * (129 + j), .kv_read_tokens = 64.0 * (128 + j),
                       .logit_tokens = 64};
        span += tiny_step(&d);
        /* the memory roofline: weights (but the embedding table, of which a step reads 64 rows) and
         * the batch's KV cache read once per step */
        double w = li.weight_bytes_rank - 2 * llm_embedding_params(&m) / 2;
        bound += (w + 64.0 * (128 + j) * li.kv_bytes_token_rank) / a.hbm_bw_Bps +
                 tiny_comm(64, 64);
    }
    double thr = figure(&r, "throughput_output_tokens");
    double want = 64.0 * 256 / span;
    ck_assert_msg(fabs(thr / want - 1) < 1e-9, "throughput %.9g tokens/s, step sum gives %.9g", thr, want);
    double roof = 64.0 * 255 / bound;
    double decode_thr = 64.0 * 255 / (span - tiny_step(&pre));
    ck_assert_msg(decode_thr <= roof * (1 + 1e-9) && decode_thr / roof > 0.95,
                  "decode throughput %.6g tokens/s against the memory roofline bound %.6g", decode_thr, roof);
    EQ(figure(&r, "requests_completed"), 64);
    EQ(figure(&r, "preemptions"), 0);
    tk_run_done(&r);
}
END_TEST

START_TEST(test_kv_transfer_takes_latency_plus_bytes_over_bandwidth)
{
    static const char *fid[] = {"flow", "analytic"};
    for (int i = 0; i < 2; i++) {
        run r;
        char sets[512];
        snprintf(sets, sizeof sets,
                 "--set workload.requests.trace.path=one-request.csv --set workload.serving.mode=disaggregated "
                 "--set workload.serving.prefill.replicas=1 --set workload.serving.decode.replicas=1 "
                 "--set run.fidelity=%s",
                 fid[i]);
        run_tiny(&r, sets);
        size_t n;
        double *x = tk_column(&r, "/inference/requests", "kv_transfer", &n);
        double *d = tk_column(&r, "/inference/requests", "decode_replica", &n);
        /* 1000 tokens x 8 layers x 2 x 8 KV heads x 128 x 2 B, in two flows (one per accelerator of
         * the TP-2 replicas) over 100 GB/s links */
        double bytes = 1000.0 * 8 * 2 * 8 * 128 * 2;
        double want = ALPHA + bytes / 2 / BW;
        ck_assert_msg(fabs(x[0] / want - 1) < 1e-6, "%s: KV transfer %.9g s, want %.9g s", fid[i], x[0], want);
        EQ(d[0], 1);
        ck_assert_double_eq_tol(figure(&r, "kv_transfer_bytes"), bytes, 1);
        free(x);
        free(d);
        tk_run_done(&r);
    }
}
END_TEST

START_TEST(test_requests_beyond_the_context_limit_are_rejected_and_counted)
{
    run r;
    run_tiny(&r, "--set workload.requests.trace.path=too-long.csv");
    EQ(figure(&r, "requests_rejected"), 1);
    EQ(figure(&r, "requests_completed"), 1);
    ck_assert_double_eq_tol(figure(&r, "slo_attainment"), 0.5, 1e-12);
    tk_run_done(&r);
}
END_TEST

START_TEST(test_prefix_hit_rate_depends_on_cache_capacity)
{
    /* mooncake.jsonl: request 2 (t = 1.5 s) shares block 0 with requests 0 and 1. One replica with
     * room keeps it; with prefix caching off nothing is reused. */
    run r;
    run_tiny(&r, "--set workload.requests.trace.path=mooncake.jsonl --set workload.serving.replicas=1");
    size_t n;
    double *h = tk_column(&r, "/inference/requests", "cache_hit_tokens", &n);
    ck_assert_int_eq((int)n, 4);
    EQ(h[2], 512);
    ck_assert_msg(figure(&r, "prefix_cache_hit_rate") > 0, "no prefix hit");
    free(h);
    tk_run_done(&r);
    run_tiny(&r, "--set workload.requests.trace.path=mooncake.jsonl --set workload.serving.replicas=1 "
                 "--set workload.serving.prefix_caching=false");
    EQ(figure(&r, "prefix_cache_hit_rate"), 0);
    tk_run_done(&r);
}
END_TEST

START_TEST(test_a_small_cache_evicts_the_prefix_a_later_request_needs)
{
    /* prefix-evict.jsonl: A (blocks 0, 1, 2) at 0 s, B (5, 6, 7) at 1 s, C (0, 1, 9) at 2 s, on one
     * replica. A large cache still holds A's blocks 0 and 1 when C arrives (1,024 tokens hit). A
     * cache of 106 blocks (1,696 tokens) must evict block 0, least recently used, to admit B:
     * C then finds nothing, since a hit must start at the first block. */
    llm_spec m = tiny_model();
    hw_accel a = tiny_accel();
    llm_infer li;
    llm_infer_cfg k = cfg(2, 1, 1);
    k.max_batch_tokens = 2048;
    init_ok(&li, &m, &a, &k);
    double util = (li.weight_bytes_rank + li.act_reserve_bytes + 1704 * li.kv_bytes_token_rank) / a.hbm_bytes;
    static const struct {
        double util;
        double hit;
        int evictions;
    } cases[2] = {{0.9, 1024, 0}, {0, 0, 1}};
    for (int c = 0; c < 2; c++) {
        char sets[512];
        snprintf(sets, sizeof sets,
                 "--set workload.requests.trace.path=prefix-evict.jsonl --set workload.serving.replicas=1 "
                 "--set workload.serving.max_batch_tokens=2048 --set workload.serving.memory_utilization=%.17g",
                 c ? util : cases[c].util);
        run r;
        run_tiny(&r, sets);
        size_t n;
        double *h = tk_column(&r, "/inference/requests", "cache_hit_tokens", &n);
        double *ev = tk_column(&r, "/inference/replicas", "prefix_evictions", &n);
        double *cap = tk_column(&r, "/inference/replicas", "kv_capacity_tokens", &n);
        if (c)
            EQ(cap[0], 106 * 16);
        ck_assert_msg(h[2] == cases[c].hit, "cache of %g tokens: C hit %g tokens, want %g", cap[0], h[2],
                      cases[c].hit);
        ck_assert_msg(cases[c].evictions ? ev[0] >= 1 : ev[0] == 0, "cache of %g tokens: %g evictions", cap[0],
                      ev[0]);
        free(h);
        free(ev);
        free(cap);
        tk_run_done(&r);
    }
}
END_TEST

START_TEST(test_same_seed_gives_the_same_synthetic_requests)
{
    const char *sets = "--set workload.requests.arrival=gamma --set workload.requests.trace.path= "
                       "--set workload.requests.count=200 --set workload.requests.rate=50Hz "
                       "--set workload.requests.cv=2 --set workload.requests.prompt.distribution=lognormal "
                       "--set workload.requests.prompt.tokens=500 "
                       "--set workload.requests.output.distribution=uniform --set workload.requests.output.max=50";
    run a, b;
    run_tiny(&a, sets);
    run_tiny(&b, sets);
    size_t n1, n2;
    double *x = tk_column(&a, "/inference/requests", "e2e", &n1), *y = tk_column(&b, "/inference/requests", "e2e", &n2);
    double *p = tk_column(&a, "/inference/requests", "prompt_tokens", &n1);
    ck_assert_int_eq((int)n1, 200);
    ck_assert_int_eq((int)n2, 200);
    for (size_t i = 0; i < n1; i++)
        ck_assert_msg(x[i] == y[i], "request %zu: e2e %.17g vs %.17g", i, x[i], y[i]);
    double mean = 0;
    for (size_t i = 0; i < n1; i++)
        mean += log(p[i]) / (double)n1;
    ck_assert_msg(fabs(exp(mean) / 500 - 1) < 0.15, "geometric mean prompt %.1f, median 500 wanted", exp(mean));
    free(x);
    free(y);
    free(p);
    tk_run_done(&a);
    tk_run_done(&b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("inference");
    TCase *u = tcase_create("model");
    tcase_add_test(u, test_kv_bytes_per_token_follow_the_gqa_and_mla_formulas);
    tcase_add_test(u, test_weights_per_accelerator_divide_by_tp_and_pp);
    tcase_add_test(u, test_a_model_that_does_not_fit_is_refused);
    tcase_add_test(u, test_decode_is_memory_bound_and_long_prefill_compute_bound);
    tcase_add_test(u, test_the_fixed_and_attention_parts_add_up_to_the_step);
    tcase_add_test(u, test_prefix_cache_reuses_blocks_then_evicts_the_least_recently_used);
    suite_add_tcase(s, u);
    TCase *sch = tcase_create("scheduler");
    tcase_add_test(sch, test_chunked_prefill_fills_the_token_budget_in_arrival_order);
    tcase_add_test(sch, test_batch_size_limits_admission);
    tcase_add_test(sch, test_without_chunking_a_step_prefills_whole_prompts_or_decodes);
    tcase_add_test(sch, test_a_full_cache_preempts_the_last_admitted_sequence);
    tcase_add_test(sch, test_a_decode_run_ends_at_the_first_completion_or_when_blocks_run_out);
    tcase_add_test(sch, test_prefix_hits_skip_the_cached_part_of_the_prompt);
    tcase_add_test(sch, test_a_prefill_replica_hands_requests_over_after_their_first_token);
    suite_add_tcase(s, sch);
    TCase *e2e = tcase_create("runs");
    tcase_set_timeout(e2e, 60);
    tcase_add_test(e2e, test_single_request_ttft_is_the_prefill_roofline_plus_the_network);
    tcase_add_test(e2e, test_saturated_replica_throughput_meets_the_memory_roofline_bound);
    tcase_add_test(e2e, test_kv_transfer_takes_latency_plus_bytes_over_bandwidth);
    tcase_add_test(e2e, test_requests_beyond_the_context_limit_are_rejected_and_counted);
    tcase_add_test(e2e, test_prefix_hit_rate_depends_on_cache_capacity);
    tcase_add_test(e2e, test_a_small_cache_evicts_the_prefix_a_later_request_needs);
    tcase_add_test(e2e, test_same_seed_gives_the_same_synthetic_requests);
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
