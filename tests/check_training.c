/* Check suite "training": the transformer arithmetic against closed forms (Megatron-LM's
 * parameter and FLOP formulas, published model sizes), the pipeline schedules (every pass once,
 * makespan = (m v + p - 1)(t_f + t_b) without communication), the parallel layout (groups
 * partition the ranks), the scenario errors of impossible configurations (golden messages),
 * and the op-list replay format (a good list loads; each malformed line is a FILE:LINE:COL
 * error). Runs no simulation: the end-to-end behaviour is in tests/scenario_tests.sh. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "workload/llm.h"
#include "workload/training_impl.h"

#define CHECK(cond, ...)               \
    do {                               \
        if (!(cond))                   \
            ck_abort_msg(__VA_ARGS__); \
    } while (0)

/* ---- the ten GPT models of Narayanan et al., SC'21, Table 1 ---- */

typedef struct gpt_row {
    double published_B;
    int64_t heads, hidden, layers;
} gpt_row;

static const gpt_row GPT[] = {
    {1.7, 24, 2304, 24},      {3.6, 32, 3072, 30},      {7.5, 32, 4096, 36},     {18.4, 48, 6144, 40},
    {39.1, 64, 8192, 48},     {76.1, 80, 10240, 60},    {145.6, 96, 12288, 80},  {310.1, 128, 16384, 96},
    {529.6, 128, 20480, 105}, {1008.0, 160, 25600, 128},
};
#define NGPT (sizeof GPT / sizeof GPT[0])

static llm_spec gpt_spec(const gpt_row *r)
{
    llm_spec m;
    memset(&m, 0, sizeof m);
    snprintf(m.name, sizeof m.name, "gpt");
    m.layers = r->layers;
    m.hidden = r->hidden;
    m.heads = r->heads;
    m.vocab = 51200;
    m.seq_len = 2048;
    m.bias = true;
    m.norm = LLM_NORM_LAYER;
    m.position = LLM_POS_LEARNED;
    m.tied_embeddings = true;
    return m;
}

static llm_shard shard(double tokens, double seq, int64_t tp, bool flash)
{
    llm_shard sh = {.tokens = tokens, .context = seq, .tp = tp, .cp = 1, .ep = 1, .flash = flash, .causal = true,
                    .act_bytes = 2, .weight_bytes = 2, .grad_acc_bytes = 4};
    return sh;
}

START_TEST(test_gpt_params_match_megatron_formula)
{
    for (size_t i = 0; i < NGPT; i++) {
        llm_spec m = gpt_spec(&GPT[i]);
        double l = (double)m.layers, h = (double)m.hidden, V = (double)m.vocab, s = (double)m.seq_len;
        /* Narayanan et al. eq. 2: P = 12 l h^2 (1 + 13/(12 h) + (V + s)/(12 l h)); it leaves out
         * the final LayerNorm (2h) */
        double want = 12.0 * l * h * h * (1.0 + 13.0 / (12.0 * h) + (V + s) / (12.0 * l * h));
        double got = llm_params_total(&m) - 2.0 * h;
        CHECK(fabs(got - want) <= 1e-12 * want, "row %zu: %.17g parameters, formula %.17g", i, got, want);
        double pub = GPT[i].published_B * 1e9;
        CHECK(fabs(got - pub) <= 0.03 * pub, "row %zu: %.4g parameters, Table 1 says %.4g", i, got, pub);
    }
}
END_TEST

START_TEST(test_forward_flops_match_textbook)
{
    for (size_t i = 0; i < NGPT; i++) {
        llm_spec m = gpt_spec(&GPT[i]);
        double T = 4096, s = 2048, h = (double)m.hidden;
        llm_shard sh = shard(T, s, 1, false);
        llm_op ops[LLM_MAX_OPS];
        size_t n = llm_layer_ops(&m, 0, &sh, ops);
        double f = 0;
        for (size_t k = 0; k < n; k++)
            f += ops[k].fwd.model_flop;
        double want = 24.0 * T * h * h + 4.0 * T * s * h; /* Narayanan et al. §3.5 */
        CHECK(fabs(f - want) <= 1e-12 * want, "row %zu: layer forward %.17g FLOP, textbook %.17g", i, f, want);
        double all = llm_forward_model_flop(&m, T, s);
        double want_all = (double)m.layers * want + 2.0 * T * h * (double)m.vocab;
        CHECK(fabs(all - want_all) <= 1e-12 * want_all, "row %zu: model forward %.17g, textbook %.17g", i, all,
              want_all);
    }
}
END_TEST

/* Megatron-LM's achieved-TFLOPS count (eq. 3, with recomputation): 96 B s l h^2 (1 + s/(6h) +
 * V/(16 l h)) is exactly what hardware_flop_per_iteration adds up for full recomputation. */
START_TEST(test_hardware_flops_match_megatron_eq3)
{
    for (size_t i = 0; i < NGPT; i++) {
        llm_spec m = gpt_spec(&GPT[i]);
        double B = 512, s = 2048, l = (double)m.layers, h = (double)m.hidden, V = (double)m.vocab;
        double T = B * s;
        llm_shard sh = shard(T, s, 1, false);
        llm_op ops[LLM_MAX_OPS];
        double layer = 0, head = 0;
        size_t n = llm_layer_ops(&m, 0, &sh, ops);
        for (size_t k = 0; k < n; k++)
            layer += ops[k].fwd.model_flop + ops[k].bwd.model_flop + ops[k].fwd.model_flop; /* recompute */
        n = llm_head_ops(&m, &sh, ops);
        for (size_t k = 0; k < n; k++)
            head += ops[k].fwd.model_flop + ops[k].bwd.model_flop;
        double got = l * layer + head;
        double want = 96.0 * B * s * l * h * h * (1.0 + s / (6.0 * h) + V / (16.0 * l * h));
        CHECK(fabs(got - want) <= 1e-12 * want, "row %zu: %.17g FLOP, eq. 3 gives %.17g", i, got, want);
    }
}
END_TEST

static llm_spec llama70(void)
{
    llm_spec m;
    memset(&m, 0, sizeof m);
    m.layers = 80, m.hidden = 8192, m.heads = 64, m.kv_heads = 8, m.head_dim = 128, m.ffn = 28672;
    m.gated_ffn = true, m.vocab = 128256, m.seq_len = 8192;
    return m;
}

static llm_spec deepseek3(void)
{
    llm_spec m;
    memset(&m, 0, sizeof m);
    m.layers = 61, m.hidden = 7168, m.heads = 128, m.head_dim = 128, m.attention = LLM_ATTN_MLA;
    m.kv_lora_rank = 512, m.q_lora_rank = 1536, m.rope_dim = 64, m.ffn = 18432, m.dense_layers = 3;
    m.experts = 256, m.shared_experts = 1, m.top_k = 8, m.expert_ffn = 2048, m.gated_ffn = true;
    m.vocab = 129280, m.seq_len = 4096;
    return m;
}

START_TEST(test_published_model_sizes)
{
    struct {
        const char *name;
        llm_spec m;
        double total, active, tol;
    } rows[] = {
        /* Hugging Face model cards: 70,553,706,496 parameters */
        {"llama3-70b", llama70(), 70.553706496e9, 70.553706496e9 - 128256.0 * 8192.0, 1e-9},
        /* DeepSeek-V3 report: 671 B total, 37 B activated (the MTP module excluded) */
        {"deepseek-v3", deepseek3(), 671e9, 37e9, 0.01},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double t = llm_params_total(&rows[i].m), a = llm_params_active(&rows[i].m);
        CHECK(fabs(t - rows[i].total) <= rows[i].tol * rows[i].total, "%s: %.12g parameters, published %.12g",
              rows[i].name, t, rows[i].total);
        CHECK(fabs(a - rows[i].active) <= 0.02 * rows[i].active, "%s: %.12g active, published %.12g", rows[i].name, a,
              rows[i].active);
    }
}
END_TEST

START_TEST(test_backward_counts_twice_forward)
{
    llm_spec models[] = {gpt_spec(&GPT[3]), llama70(), deepseek3()};
    for (size_t i = 0; i < 3; i++)
        for (int flash = 0; flash < 2; flash++) {
            llm_shard sh = shard(8192, (double)models[i].seq_len, 8, flash);
            llm_op ops[LLM_MAX_OPS];
            size_t n = llm_layer_ops(&models[i], models[i].layers - 1, &sh, ops);
            CHECK(n > 0 && n <= LLM_MAX_OPS, "model %zu: %zu operators", i, n);
            for (size_t k = 0; k < n; k++)
                CHECK(ops[k].bwd.model_flop == 2.0 * ops[k].fwd.model_flop,
                      "model %zu op %s: backward %.17g, forward %.17g", i, ops[k].name, ops[k].bwd.model_flop,
                      ops[k].fwd.model_flop);
        }
}
END_TEST

/* Tensor parallelism splits the matmul FLOP of a dense layer exactly TP ways. */
START_TEST(test_tensor_parallel_splits_flops)
{
    llm_spec models[] = {gpt_spec(&GPT[4]), llama70()};
    int64_t tps[] = {2, 4, 8};
    for (size_t i = 0; i < 2; i++) {
        llm_shard one = shard(4096, 4096, 1, true);
        llm_op ops[LLM_MAX_OPS];
        double f1 = 0;
        size_t n = llm_layer_ops(&models[i], 0, &one, ops);
        for (size_t k = 0; k < n; k++)
            f1 += ops[k].fwd.flop;
        for (size_t j = 0; j < 3; j++) {
            llm_shard sh = shard(4096, 4096, tps[j], true);
            double f = 0;
            n = llm_layer_ops(&models[i], 0, &sh, ops);
            for (size_t k = 0; k < n; k++)
                f += ops[k].fwd.flop;
            CHECK(fabs(f * (double)tps[j] - f1) <= 1e-12 * f1, "model %zu TP %lld: %.17g x TP vs %.17g", i,
                  (long long)tps[j], f * (double)tps[j], f1);
        }
    }
}
END_TEST

/* ---- pipeline schedules ---- */

static const int64_t PIPES[][3] = {
    /* p, v, m */
    {1, 1, 1}, {1, 1, 7}, {2, 1, 1}, {4, 1, 3}, {4, 1, 8}, {8, 1, 32}, {2, 2, 4},
    {4, 2, 8}, {4, 3, 28}, {8, 2, 48}, {16, 2, 144}, {5, 3, 10}, {4, 4, 4},
};
#define NPIPES (sizeof PIPES / sizeof PIPES[0])

START_TEST(test_schedule_runs_every_pass_once)
{
    for (size_t i = 0; i < NPIPES; i++) {
        int64_t p = PIPES[i][0], v = PIPES[i][1], m = PIPES[i][2];
        size_t n = (size_t)(2 * m * v);
        tr_slot *sl = malloc(n * sizeof *sl);
        int *seen = calloc((size_t)(2 * m * v), sizeof *seen);
        ck_assert_ptr_nonnull(sl);
        ck_assert_ptr_nonnull(seen);
        for (int64_t s = 0; s < p; s++) {
            CHECK(tr_schedule(p, v, m, s, sl) == 0, "p=%lld v=%lld m=%lld: no schedule", (long long)p, (long long)v,
                  (long long)m);
            memset(seen, 0, (size_t)(2 * m * v) * sizeof *seen);
            int64_t lasts = 0, warm = -1;
            for (size_t k = 0; k < n; k++) {
                int idx = (int)((sl[k].chunk * m + sl[k].mb) * 2 + sl[k].bwd);
                CHECK(sl[k].chunk >= 0 && sl[k].chunk < v && sl[k].mb >= 0 && sl[k].mb < m, "slot out of range");
                CHECK(!seen[idx]++, "p=%lld v=%lld m=%lld stage %lld: chunk %d mb %d %s twice", (long long)p,
                      (long long)v, (long long)m, (long long)s, sl[k].chunk, sl[k].mb, sl[k].bwd ? "bwd" : "fwd");
                if (sl[k].bwd)
                    CHECK(seen[idx - 1], "backward before forward");
                if (sl[k].bwd && warm < 0)
                    warm = (int64_t)k;
                lasts += sl[k].last;
                CHECK(!sl[k].last || (sl[k].bwd && sl[k].mb == m - 1), "last on a wrong slot");
            }
            CHECK(lasts == v, "%lld chunks but %lld last backwards", (long long)v, (long long)lasts);
            int64_t want = v == 1 ? (p - s - 1 < m ? p - s - 1 : m)
                           : m == p ? m * v
                                    : ((p - s - 1) * 2 + (v - 1) * p < m * v ? (p - s - 1) * 2 + (v - 1) * p : m * v);
            want += want < m * v; /* the steady phase opens with a forward */
            CHECK(warm == want, "p=%lld v=%lld m=%lld stage %lld: %lld warm-up forwards, want %lld", (long long)p,
                  (long long)v, (long long)m, (long long)s, (long long)warm, (long long)want);
        }
        free(sl);
        free(seen);
    }
}
END_TEST

START_TEST(test_makespan_matches_closed_form)
{
    /* Narayanan et al. §2.2: bubble (p - 1)(t_f + t_b) for 1F1B, divided by v interleaved; with
     * per-chunk times the iteration lasts (m v + p - 1)(t_f + t_b) */
    const double tf = 1.0, tb = 2.0;
    for (size_t i = 0; i < NPIPES; i++) {
        int64_t p = PIPES[i][0], v = PIPES[i][1], m = PIPES[i][2];
        if (m < p && v == 1)
            continue; /* fewer micro-batches than stages: the closed form does not apply */
        double got = tr_schedule_makespan(p, v, m, tf, tb);
        double want = (double)(m * v + p - 1) * (tf + tb);
        CHECK(fabs(got - want) <= 1e-9, "p=%lld v=%lld m=%lld: makespan %.9g, closed form %.9g", (long long)p,
              (long long)v, (long long)m, got, want);
    }
}
END_TEST

START_TEST(test_interleaving_needs_multiple_of_stages)
{
    tr_slot sl[64];
    ck_assert_int_eq(tr_schedule(4, 2, 6, 0, sl), -1);
    ck_assert_int_eq(tr_schedule(4, 2, 8, 0, sl), 0);
}
END_TEST

/* ---- layout ---- */

START_TEST(test_groups_partition_ranks)
{
    static const int64_t DEG[][5] = {
        /* tp, cp, dp, pp, ep */
        {2, 1, 2, 4, 1}, {8, 1, 4, 2, 2}, {1, 2, 8, 2, 4}, {4, 2, 2, 3, 1}, {1, 1, 16, 1, 16},
    };
    static const tr_kind kinds[] = {TRK_TP, TRK_CP, TRK_EP, TRK_DP, TRK_EDP, TRK_PP};
    for (size_t i = 0; i < sizeof DEG / sizeof DEG[0]; i++) {
        tr_layout L = {.tp = DEG[i][0], .cp = DEG[i][1], .dp = DEG[i][2], .pp = DEG[i][3], .ep = DEG[i][4], .v = 1};
        L.n = (int32_t)(L.tp * L.cp * L.dp * L.pp);
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
            int32_t size = tr_group_size(&L, kinds[k]), ng = tr_groups(&L, kinds[k]);
            CHECK(size * ng == L.n, "config %zu kind %s: %d groups of %d for %d ranks", i, tr_kind_name(kinds[k]), ng,
                  size, L.n);
            int *hits = calloc((size_t)L.n, sizeof *hits);
            int32_t *m = malloc((size_t)size * sizeof *m);
            for (int32_t g = 0; g < ng; g++) {
                tr_group_members(&L, kinds[k], g, m);
                for (int32_t j = 0; j < size; j++) {
                    CHECK(m[j] >= 0 && m[j] < L.n, "member out of range");
                    hits[m[j]]++;
                    CHECK(tr_group_of(&L, kinds[k], m[j]) == g && tr_group_rank(&L, kinds[k], m[j]) == j,
                          "config %zu kind %s: rank %d is member %d of group %d, but group_of says %d/%d", i,
                          tr_kind_name(kinds[k]), m[j], j, g, tr_group_of(&L, kinds[k], m[j]),
                          tr_group_rank(&L, kinds[k], m[j]));
                }
            }
            for (int32_t r = 0; r < L.n; r++)
                CHECK(hits[r] == 1, "config %zu kind %s: rank %d in %d groups", i, tr_kind_name(kinds[k]), r, hits[r]);
            free(hits);
            free(m);
        }
    }
}
END_TEST

/* ---- scenario errors ---- */

static const char BASE[] = "schema_version: 1\n"
                           "name: t\n"
                           "hardware:\n"
                           "  accelerator:\n"
                           "    peak_flops: 300 TFLOPS\n"
                           "    hbm_capacity: 80 GB\n"
                           "    hbm_bandwidth: 2 TB/s\n"
                           "    idle_power: 100 W\n"
                           "    max_power: 400 W\n"
                           "topology:\n"
                           "  accelerators: 16\n"
                           "  link:\n"
                           "    bandwidth: 50 GB/s\n"
                           "    latency: 150 ns\n"
                           "  switch:\n"
                           "    latency: 200 ns\n"
                           "workload:\n"
                           "  kind: training\n"
                           "  model:\n"
                           "    layers: 8\n"
                           "    hidden: 1024\n"
                           "    heads: 16\n"
                           "    vocab: 32000\n"
                           "    seq_len: 1024\n"
                           "  global_batch: 16\n"
                           "run:\n"
                           "  fidelity: analytic\n";

static char *write_tmp(const char *text, const char *suffix)
{
    char *path = malloc(64);
    snprintf(path, 64, "/tmp/check_training_XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(text);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Loads BASE with SETS; returns rc and the message with the scenario path replaced by "S" and
 * PATH2 (when given) by "L". */
static int load(const char *const *sets, size_t n, const char *path2, char *msg, size_t cap)
{
    char *path = write_tmp(BASE, ".yaml");
    diag_t err = {{0}};
    scenario_t sc;
    int rc = scenario_load(path, sets, n, &sc, &err);
    if (!rc)
        scenario_free(&sc);
    const char *m = err.msg;
    char buf[2048];
    if (!strncmp(m, path, strlen(path)))
        snprintf(buf, sizeof buf, "S%s", m + strlen(path));
    else if (path2 && !strncmp(m, path2, strlen(path2)))
        snprintf(buf, sizeof buf, "L%s", m + strlen(path2));
    else
        snprintf(buf, sizeof buf, "%s", m);
    snprintf(msg, cap, "%s", buf);
    unlink(path);
    free(path);
    return rc;
}

START_TEST(test_base_scenario_loads)
{
    char msg[2048];
    const char *sets[] = {"workload.parallel.tp=2", "workload.parallel.pp=2"};
    ck_assert_msg(load(sets, 2, NULL, msg, sizeof msg) == 0, "%s", msg);
}
END_TEST

static const struct {
    const char *set[3];
    const char *want;
} BAD[] = {
    {{"workload.parallel.tp=8", "workload.model.heads=12"},
     "--set:1:22: error: tensor parallelism 8 does not divide the 12 attention heads"},
    {{"workload.parallel.dp=4", "workload.parallel.pp=8"},
     "--set:1:22: error: the job needs TP 1 x CP 1 x DP 4 x PP 8 = 32 accelerators; the platform has 16"},
    {{"workload.parallel.pp=3"},
     "--set:1:10: error: TP 1 x CP 1 x PP 3 = 3 does not divide the platform's 16 accelerators; set "
     "workload.parallel.dp to use fewer"},
    {{"workload.parallel.tp=4", "workload.global_batch=6"},
     "--set:2:23: error: global batch 6 is not a multiple of micro_batch 1 x data parallelism 4 = 4"},
    {{"workload.parallel.pp=2", "workload.parallel.virtual_stages=2", "workload.global_batch=24"},
     "--set:2:34: error: the interleaved schedule needs the 3 micro-batches per iteration to be a multiple of "
     "pipeline parallelism 2"},
    {{"workload.parallel.virtual_stages=2"},
     "--set:1:34: error: virtual stages (2) need pipeline parallelism (workload.parallel.pp is 1)"},
    {{"workload.parallel.ep=2"},
     "--set:1:22: error: expert parallelism 2 needs a mixture-of-experts model (workload.model.experts is 0)"},
    {{"workload.parallel.pp=16", "workload.global_batch=16"},
     "--set:1:22: error: 8 layers cannot fill 16 pipeline stages x 1 virtual stages"},
    {{"workload.placement.order=tp-dp-xx"},
     "--set:1:26: error: 'tp-dp-xx' is not an order of the four dimensions tp, cp, dp, pp (e.g. 'tp-cp-dp-pp', "
     "'tp-pp-dp-cp'; 'ep' may stand right before 'dp')"},
    {{"hardware.accelerator.hbm_capacity=1 GB"},
     "S:17:1: error: pipeline stage 0 needs about 1.5739 GB per accelerator (weights 332.433 MB, gradients "
     "664.867 MB, optimizer 124.663 MB, activations 451.936 MB), more than the 1 GB of HBM; add parallelism, "
     "recomputation, or set workload.memory_check: false"},
};

START_TEST(test_impossible_configurations_are_scenario_errors)
{
    char msg[2048];
    size_t n = 0;
    while (n < 3 && BAD[_i].set[n])
        n++;
    ck_assert_msg(load(BAD[_i].set, n, NULL, msg, sizeof msg) != 0, "case %d loaded", _i);
    ck_assert_msg(!strcmp(msg, BAD[_i].want), "case %d:\n got  %s\n want %s", _i, msg, BAD[_i].want);
}
END_TEST

/* A 16-rank job across two supernodes of 8 keeps TP 16 out unless placed explicitly. */
START_TEST(test_tp_outside_scaleup_domain_needs_explicit_placement)
{
    const char *text = "schema_version: 1\nname: t\nhardware:\n  accelerator:\n    peak_flops: 300 TFLOPS\n"
                       "    hbm_capacity: 80 GB\n    hbm_bandwidth: 2 TB/s\n    idle_power: 100 W\n"
                       "    max_power: 400 W\ntopology:\n  supernodes: 2\n  accelerators: 8\n  link:\n"
                       "    bandwidth: 50 GB/s\n    latency: 150 ns\n  switch:\n    latency: 200 ns\n"
                       "  scaleout:\n    kind: fattree\n    link: {bandwidth: 200 Gb/s, latency: 100 ns}\n"
                       "    switch: {radix: 16, latency: 130 ns}\n"
                       "workload:\n  kind: training\n  model:\n    layers: 8\n    hidden: 1024\n    heads: 16\n"
                       "    vocab: 32000\n    seq_len: 1024\n  global_batch: 16\n  parallel:\n    tp: 16\n"
                       "run:\n  fidelity: analytic\n";
    char *path = write_tmp(text, ".yaml");
    diag_t err = {{0}};
    scenario_t sc;
    int rc = scenario_load(path, NULL, 0, &sc, &err);
    ck_assert_int_ne(rc, 0);
    const char *want = ":32:9: error: tensor-parallel group 0 (16 ranks, accelerators 0..15) spans more than one "
                       "scale-up domain of 8 accelerators; set 'workload.placement.order' or "
                       "'workload.placement.file' to place it explicitly";
    ck_assert_msg(strstr(err.msg, want) != NULL, "got %s", err.msg);
    const char *sets[] = {"workload.placement.order=cp-tp-dp-pp"};
    rc = scenario_load(path, sets, 1, &sc, &err);
    ck_assert_msg(rc == 0, "explicit order refused: %s", err.msg);
    scenario_free(&sc);
    unlink(path);
    free(path);
}
END_TEST

/* ---- op-list replay ---- */

static const char GOOD_LIST[] = "# two ranks, two iterations\n"
                                "oplist 1\n"
                                "group pair tp 0 1\n"
                                "0 1 compute flop=2TFLOP bytes=1GB\n"
                                "0 2 send to=1 bytes=16MiB tag=7\n"
                                "0 3 coll op=allreduce group=pair bytes=64MiB\n"
                                "0 4 compute time=1ms stream=1 after=1\n"
                                "0 5 iteration\n"
                                "1 1 recv from=0 bytes=16MiB tag=7\n"
                                "1 2 compute time=2ms class=memory\n"
                                "1 3 coll op=allreduce group=pair bytes=64MiB\n"
                                "1 4 iteration\n"
                                "0 6 coll op=allreduce group=dp bytes=1MiB\n"
                                "0 7 iteration\n"
                                "1 5 coll op=allreduce group=dp bytes=1MiB\n"
                                "1 6 iteration\n";

static int load_list(const char *list, const char *set_extra, char *msg, size_t cap, char **pathout)
{
    char *lp = write_tmp(list, ".ops");
    char set[256];
    snprintf(set, sizeof set, "workload.replay=%s", lp);
    const char *sets[] = {set, "workload.parallel.dp=2", set_extra};
    int rc = load(sets, set_extra ? 3 : 2, lp, msg, cap);
    if (pathout)
        *pathout = lp;
    else {
        unlink(lp);
        free(lp);
    }
    return rc;
}

START_TEST(test_replay_good_list_loads)
{
    char msg[2048];
    ck_assert_msg(load_list(GOOD_LIST, NULL, msg, sizeof msg, NULL) == 0, "%s", msg);
}
END_TEST

static const struct {
    const char *list;
    const char *want;
} BAD_LISTS[] = {
    {"0 1 compute time=1ms\n", "L:1:1: error: an op list starts with the line 'oplist 1'"},
    {"oplist 1\n0 1 compute\n", "L:2:5: error: a compute op needs time= or flop= (and/or bytes=)"},
    {"oplist 1\n0 1 compute time=1\n", "L:2:18: error: 'time': '1' needs a unit of time (for example '200 ns')"},
    {"oplist 1\n5 1 compute time=1ms\n", "L:2:1: error: rank 5 is outside 0..1"},
    {"oplist 1\n0 2 compute time=1ms\n0 1 compute time=1ms\n",
     "L:3:3: error: op ids must increase along the file for each rank (rank 0 already has id 2)"},
    {"oplist 1\n0 1 jump\n", "L:2:5: error: unknown operation 'jump' (compute, send, recv, coll or iteration)"},
    {"oplist 1\n0 1 compute time=1ms color=red\n", "L:2:22: error: unknown key 'color' for 'compute'"},
    {"oplist 1\n0 1 compute time=1ms after=9\n", "L:2:28: error: rank 0 has no earlier op 9"},
    {"oplist 1\n0 1 coll op=allreduce group=nope bytes=1MiB\n",
     "L:2:29: error: unknown group 'nope' (define it with a 'group' line first, or use tp, cp, ep, dp, edp or emb)"},
    {"oplist 1\n0 1 coll op=allreduce group=tp bytes=1MiB\n",
     "L:2:29: error: the job's tp groups have a single rank (set its degree above 1)"},
    {"oplist 1\ngroup g tp 0 0\n", "L:2:14: error: rank 0 appears twice in group 'g'"},
    {"oplist 1\n0 1 send to=1 bytes=1MiB\n0 2 iteration\n1 1 iteration\n",
     "L:2:1: error: rank 0's send #1 to rank 1 (tag 0) has no matching recv"},
    {"oplist 1\n0 1 send to=1 bytes=1MiB\n0 2 iteration\n1 1 recv from=0 bytes=2MiB\n1 2 iteration\n",
     "L:4:1: error: recv of 2097152 B from rank 0 does not match its send of 1048576 B (line 2)"},
    {"oplist 1\n0 1 coll op=allreduce group=dp bytes=1MiB\n0 2 iteration\n1 1 iteration\n",
     "L:2:1: error: rank 1 issues 0 collectives on its dp group 0, another member issues 1 (every member must "
     "issue the same calls)"},
    {"oplist 1\n0 1 iteration\n1 1 iteration\n1 2 iteration\n", "L:4:1: error: rank 1 marks 2 iterations, rank 0 marks 1"},
    {"oplist 1\n0 1 recv from=1 bytes=1MiB\n0 2 send to=1 bytes=1MiB\n0 3 iteration\n"
     "1 1 recv from=0 bytes=1MiB\n1 2 send to=0 bytes=1MiB\n1 3 iteration\n",
     "L:2:1: error: the op list cannot complete: rank 0 op 1 (stream 0) waits forever (a cycle of dependencies, "
     "receives or collectives)"},
};

START_TEST(test_replay_malformed_lines_are_errors)
{
    char msg[2048];
    ck_assert_msg(load_list(BAD_LISTS[_i].list, NULL, msg, sizeof msg, NULL) != 0, "case %d loaded", _i);
    ck_assert_msg(!strcmp(msg, BAD_LISTS[_i].want), "case %d:\n got  %s\n want %s", _i, msg, BAD_LISTS[_i].want);
}
END_TEST

START_TEST(test_replay_refuses_generation_keys)
{
    char msg[2048];
    ck_assert_int_ne(load_list(GOOD_LIST, "workload.recompute=full", msg, sizeof msg, NULL), 0);
    ck_assert_msg(strstr(msg, "error: 'workload.recompute' shapes generated operators and does not apply when "
                              "'workload.replay' is set") != NULL,
                  "got %s", msg);
}
END_TEST

static Suite *training_suite(void)
{
    Suite *s = suite_create("training");
    TCase *a = tcase_create("arithmetic");
    tcase_add_test(a, test_gpt_params_match_megatron_formula);
    tcase_add_test(a, test_forward_flops_match_textbook);
    tcase_add_test(a, test_hardware_flops_match_megatron_eq3);
    tcase_add_test(a, test_published_model_sizes);
    tcase_add_test(a, test_backward_counts_twice_forward);
    tcase_add_test(a, test_tensor_parallel_splits_flops);
    suite_add_tcase(s, a);
    TCase *p = tcase_create("pipeline");
    tcase_add_test(p, test_schedule_runs_every_pass_once);
    tcase_add_test(p, test_makespan_matches_closed_form);
    tcase_add_test(p, test_interleaving_needs_multiple_of_stages);
    suite_add_tcase(s, p);
    TCase *l = tcase_create("layout");
    tcase_add_test(l, test_groups_partition_ranks);
    tcase_add_test(l, test_base_scenario_loads);
    tcase_add_loop_test(l, test_impossible_configurations_are_scenario_errors, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(l, test_tp_outside_scaleup_domain_needs_explicit_placement);
    tcase_set_timeout(l, 30);
    suite_add_tcase(s, l);
    TCase *r = tcase_create("replay");
    tcase_add_test(r, test_replay_good_list_loads);
    tcase_add_loop_test(r, test_replay_malformed_lines_are_errors, 0, (int)(sizeof BAD_LISTS / sizeof BAD_LISTS[0]));
    tcase_add_test(r, test_replay_refuses_generation_keys);
    suite_add_tcase(s, r);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(training_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
