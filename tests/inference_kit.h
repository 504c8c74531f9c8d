/* What the inference suites share: the tiny model and accelerator of
 * tests/data/inference-tiny.yaml, an llm_infer configuration for them, and a hand-made world of
 * one replica whose scheduler a test drives step by step (no SimGrid). Header-only (static
 * inline); include it after check.h. */
#ifndef OAS_INFERENCE_KIT_H
#define OAS_INFERENCE_KIT_H

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "workload/inference_impl.h"
#include "workload/llm_infer.h"

/* Exact equality of two numbers, printing both. */
#define EQ(a, b) ck_assert_msg((double)(a) == (double)(b), "%s = %.17g, want %.17g", #a, (double)(a), (double)(b))

static inline llm_spec tiny_model(void)
{
    llm_spec m = {.layers = 8, .hidden = 4096, .heads = 32, .kv_heads = 8, .ffn = 14336, .gated_ffn = true,
                  .vocab = 32000, .seq_len = 8192};
    snprintf(m.name, sizeof m.name, "tiny-dense");
    return m;
}

static inline hw_accel tiny_accel(void)
{
    hw_accel a = {.peak_flops_Fps = 1e15, .hbm_bytes = 80e9, .hbm_bw_Bps = 2e12, .idle_power_W = 100,
                  .max_power_W = 700};
    return a;
}

/* bf16 weights, KV and activations at full efficiency, 256 sequences per step. */
static inline llm_infer_cfg tiny_cfg(int64_t tp, int64_t pp, int64_t ep, int64_t max_batch_tokens)
{
    llm_infer_cfg c = {.tp = tp, .pp = pp, .ep = ep, .weight_bytes = 2, .kv_bytes = 2, .act_bytes = 2,
                       .compute_eff = 1, .memory_eff = 1, .max_batch_tokens = max_batch_tokens,
                       .max_batch_size = 256};
    return c;
}

static inline void init_ok(llm_infer *li, const llm_spec *m, const hw_accel *a, const llm_infer_cfg *c)
{
    char why[512] = "";
    ck_assert_msg(llm_infer_init(li, m, a, c, 0.9, why, sizeof why) == 0, "llm_infer_init: %s", why);
}

/* ---- one replica on a hand-made world ---- */

typedef struct fake {
    inf_world w; /* first: the scheduler's callbacks get &w */
    inference_spec spec;
    scenario_t sc;
    inf_replica rep;
    inf_req req[16];
    int64_t hashes[64];
    int finished, prefilled;
    double t;
} fake;

static inline void fake_on_finished(inf_world *w, inf_replica *rep, int32_t r, double t)
{
    (void)rep;
    (void)r;
    (void)t;
    ((fake *)w)->finished++;
}

static inline void fake_on_prefilled(inf_world *w, inf_replica *rep, int32_t r, double t)
{
    (void)rep;
    (void)r;
    (void)t;
    ((fake *)w)->prefilled++;
}

/* A world whose spec the caller has filled in SPEC (block tokens, budgets, prefix caching), with
 * SC (may be NULL: zeroed) and one replica of ROLE with KV_BLOCKS blocks running the tiny model
 * at TP 1 with MAX_BATCH_TOKENS. */
static inline fake *fake_world(const inference_spec *spec, const scenario_t *sc, int64_t kv_blocks, inf_role role,
                               int64_t max_batch_tokens)
{
    fake *f = calloc(1, sizeof *f);
    ck_assert_ptr_nonnull(f);
    f->spec = *spec;
    if (sc)
        f->sc = *sc;
    f->w.spec = &f->spec;
    f->w.sc = &f->sc;
    f->w.req = f->req;
    f->w.hashes = f->hashes;
    f->w.rep = &f->rep;
    f->w.nrep = f->w.nprefill = 1;
    f->w.hooks = (inf_hooks){fake_on_finished, fake_on_prefilled};
    f->sc.wl.model = tiny_model();
    hw_accel a = tiny_accel();
    llm_infer li;
    llm_infer_cfg k = tiny_cfg(1, 1, 1, max_batch_tokens);
    init_ok(&li, &f->sc.wl.model, &a, &k);
    ck_assert_int_eq(inf_replica_init(&f->rep, 0, role, &li, kv_blocks, &f->spec), 0);
    return f;
}

static inline void fake_free(fake *f)
{
    inf_replica_free(&f->rep);
    free(f);
}

/* Request I (PROMPT and OUTPUT tokens, prefix hashes H[0..NH) stored at 4 I) enters the queue. */
static inline void fake_add(fake *f, int32_t i, int32_t prompt, int32_t output, const int64_t *h, int32_t nh)
{
    inf_req *q = &f->req[i];
    memset(q, 0, sizeof *q);
    q->prompt = prompt;
    q->output = output;
    q->prefill_start_s = q->first_token_s = q->finish_s = q->transfer_start_s = q->transfer_end_s = -1;
    if (nh > 0) {
        q->hash_off = 4 * i;
        q->nhash = nh;
        memcpy(f->hashes + 4 * i, h, (size_t)nh * sizeof *h);
    }
    f->w.nreq = (size_t)i + 1;
    f->rep.outstanding++;
    ck_assert_int_eq(inf_replica_enqueue(&f->w, &f->rep, i), 0);
}

/* Plans one step at T, checks its (request, tokens) pairs against WANT[0..2N), and applies it as
 * lasting DUR. */
static inline void fake_step(fake *f, double t, double dur, const int32_t *want, int n)
{
    int32_t got = inf_sched_plan(&f->w, &f->rep);
    char msg[512] = "";
    for (int32_t i = 0; i < got; i++)
        snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " (%d,%d)", f->rep.batch.req[i], f->rep.batch.tokens[i]);
    ck_assert_msg(got == n, "step at t=%.9g: %d sequences:%s, want %d", t, got, msg, n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(f->rep.batch.req[i] == want[2 * i] && f->rep.batch.tokens[i] == want[2 * i + 1],
                      "step at t=%.9g: batch%s, want (%d,%d) at %d", t, msg, want[2 * i], want[2 * i + 1], i);
    double end = dur;
    if (got)
        inf_sched_apply(&f->w, &f->rep, 1, t, &end);
}

#endif
