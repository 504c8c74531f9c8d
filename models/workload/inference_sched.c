/* Replica scheduler: vLLM-style continuous batching. Each step first serves the running
 * sequences in admission order (a decode token, or the next chunk of a prompt), then admits
 * waiting requests first come, first served while the token budget, the batch size and the KV
 * cache allow; with chunked prefill off, a step either prefills whole prompts or decodes (vLLM
 * V0). When a running sequence needs a KV block that is not there, the most recently admitted
 * sequence is preempted: its KV is freed and it is recomputed later from its prompt and the
 * tokens it had produced (vLLM's recompute mode). A step that preempts admits nobody. With a KV
 * offload tier, a request whose prefix continues in the tier first fetches those blocks (one
 * fetch queue per replica, a DMA engine overlapping the steps of the others) and is admitted at
 * the first step boundary after its fetch ends, with them computed.
 * Invariant: for every running request, priv = ceil((computed - shared*512) / block_tokens). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inference_impl.h"
#include "storage/storage.h"

/* Step costs that depend only on (tokens, logit tokens): GEMMs, element-wise operators,
 * collectives. Direct-mapped; a decode batch of B sequences hits the same entry every step. */
#define FIXC 256
struct inf_fixc {
    double tokens, logits; /* key (tokens 0: empty) */
    double compute_s, comm_s, clock_s;
};

/* ---- queues ---- */

static int queue_grow(inf_queue *q)
{
    size_t cap = q->cap ? 2 * q->cap : 64;
    int32_t *v = malloc(cap * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < q->n; i++)
        v[i] = q->v[(q->head + i) % q->cap];
    free(q->v);
    q->v = v;
    q->head = 0;
    q->cap = cap;
    return 0;
}

int inf_queue_push(inf_queue *q, int32_t x)
{
    if (q->n == q->cap && queue_grow(q))
        return -1;
    q->v[(q->head + q->n) % q->cap] = x;
    q->n++;
    return 0;
}

int inf_queue_push_front(inf_queue *q, int32_t x)
{
    if (q->n == q->cap && queue_grow(q))
        return -1;
    q->head = (q->head + q->cap - 1) % q->cap;
    q->v[q->head] = x;
    q->n++;
    return 0;
}

int32_t inf_queue_peek(const inf_queue *q)
{
    return q->n ? q->v[q->head] : -1;
}

int32_t inf_queue_pop(inf_queue *q)
{
    if (!q->n)
        return -1;
    int32_t x = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return x;
}

void inf_queue_free(inf_queue *q)
{
    free(q->v);
    memset(q, 0, sizeof *q);
}

/* ---- replica ---- */

int inf_replica_init(inf_replica *rep, int32_t id, inf_role role, const llm_infer *li, int64_t kv_blocks,
                     const inference_spec *spec)
{
    memset(rep, 0, sizeof *rep);
    rep->id = id;
    rep->role = role;
    rep->li = *li;
    bool prefix = spec->prefix_caching && role != ROLE_DECODE;
    rep->kv = inf_kv_new(kv_blocks, (int32_t)spec->block_tokens, prefix);
    rep->caprun = (int32_t)spec->max_batch_size;
    rep->running = malloc((size_t)rep->caprun * sizeof *rep->running);
    rep->batch.cap = (int32_t)spec->max_batch_size;
    rep->batch.req = malloc((size_t)rep->batch.cap * sizeof *rep->batch.req);
    rep->batch.tokens = malloc((size_t)rep->batch.cap * sizeof *rep->batch.tokens);
    rep->fixc = calloc(FIXC, sizeof *rep->fixc);
    if (!rep->kv || !rep->running || !rep->batch.req || !rep->batch.tokens || !rep->fixc) {
        inf_replica_free(rep);
        return -1;
    }
    return 0;
}

void inf_replica_free(inf_replica *rep)
{
    inf_kv_free(rep->kv);
    inf_tier_free(rep->tier);
    rep->tier = NULL;
    inf_queue_free(&rep->fetching);
    inf_queue_free(&rep->waiting);
    free(rep->running);
    free(rep->batch.req);
    free(rep->batch.tokens);
    free(rep->fixc);
    rep->fixc = NULL;
    rep->kv = NULL;
    rep->running = rep->batch.req = rep->batch.tokens = NULL;
}

int64_t inf_blocks_for(const inf_replica *rep, int64_t tokens)
{
    int64_t bt = inf_kv_block_tokens(rep->kv);
    return tokens > 0 ? (tokens + bt - 1) / bt : 0;
}

static int64_t seq_len(const inf_req *q)
{
    return (int64_t)q->prompt + q->generated;
}

/* Private blocks a request needs to hold COMPUTED tokens. */
static int64_t priv_for(const inf_replica *rep, const inf_req *q, int64_t computed)
{
    return inf_blocks_for(rep, computed - (int64_t)q->shared * INF_PREFIX_TOKENS);
}

/* Blocks the router counts for a waiting request. */
static int64_t demand(const inf_replica *rep, const inf_req *q)
{
    return inf_blocks_for(rep, seq_len(q)) - q->priv;
}

int inf_replica_enqueue(inf_world *w, inf_replica *rep, int32_t r)
{
    inf_req *q = &w->req[r];
    if (inf_queue_push(&rep->waiting, r))
        return -1;
    q->state = RQ_WAITING;
    rep->queued_blocks += demand(rep, q);
    return 0;
}

double inf_replica_kv_load(const inf_replica *rep)
{
    int64_t cap = inf_kv_capacity(rep->kv);
    if (cap <= 0)
        return INFINITY;
    /* Blocks held by requests (cached but evictable blocks count as free). */
    double held = (double)(cap - inf_kv_available(rep->kv));
    return (held + (double)rep->queued_blocks) / (double)cap;
}

void inf_replica_release(inf_world *w, inf_replica *rep, int32_t r)
{
    inf_req *q = &w->req[r];
    if (q->shared > 0)
        inf_kv_unref(rep->kv, w->hashes + q->hash_off, q->shared);
    inf_kv_give(rep->kv, q->priv);
    q->shared = 0;
    q->priv = 0;
    q->computed = 0;
}

static void preempt(inf_world *w, inf_replica *rep, int32_t r)
{
    inf_req *q = &w->req[r];
    inf_replica_release(w, rep, r);
    q->preemptions++;
    rep->preemptions++;
    q->state = RQ_WAITING;
    inf_queue_push_front(&rep->waiting, r);
    rep->queued_blocks += demand(rep, q);
}

static void batch_add(inf_replica *rep, const inf_req *q, int32_t r, int32_t n)
{
    inf_batch *b = &rep->batch;
    b->req[b->n] = r;
    b->tokens[b->n] = n;
    b->n++;
    double p0 = (double)q->computed, dn = (double)n;
    double pairs = dn * p0 + dn * (dn + 1.0) / 2.0;
    bool decode = n == 1 && q->computed + 1 == seq_len(q) && q->generated > 0;
    if (decode) {
        b->b.decode_pairs += pairs;
    } else {
        b->b.prefill_pairs += pairs;
        b->b.prefill_tokens += dn;
        b->decode_only = false;
    }
    b->b.tokens += dn;
    b->b.kv_read_tokens += p0;
    if (q->computed + n == seq_len(q))
        b->b.logit_tokens += 1;
}

/* Takes the blocks request R needs to hold COMPUTED tokens, preempting running sequences from
 * the end of the running list while they are missing. Returns false if R itself was preempted. */
static bool reserve_running(inf_world *w, inf_replica *rep, int32_t r, int64_t computed, bool *preempted)
{
    inf_req *q = &w->req[r];
    int64_t extra = priv_for(rep, q, computed) - q->priv;
    while (!inf_kv_take(rep->kv, extra)) {
        int32_t v = rep->running[rep->nrun - 1];
        rep->nrun--;
        preempt(w, rep, v);
        *preempted = true;
        if (v == r)
            return false;
    }
    q->priv += (int32_t)extra;
    return true;
}

/* Request R (head of the waiting queue, MATCHED leading blocks referenced in HBM) fetches its next
 * FETCHED blocks from the offload tier: it takes their KV blocks and leaves the queue for the
 * replica's fetch queue until the fetch ends. Returns false (nothing taken, nothing referenced)
 * when the blocks are not there. */
static bool start_fetch(inf_world *w, inf_replica *rep, int32_t r, int32_t matched, int32_t fetched, bool first)
{
    inf_req *q = &w->req[r];
    int64_t blocks = (int64_t)fetched * (INF_PREFIX_TOKENS / inf_kv_block_tokens(rep->kv));
    if (!inf_kv_take(rep->kv, blocks))
        return false;
    inf_queue_pop(&rep->waiting);
    rep->queued_blocks -= inf_blocks_for(rep, seq_len(q)) - q->priv;
    q->priv += (int32_t)blocks;
    q->computed = (matched + fetched) * INF_PREFIX_TOKENS;
    const int64_t *h = w->hashes + q->hash_off + matched;
    inf_tier_touch(rep->tier, h, fetched);
    double bytes = (double)fetched * INF_PREFIX_TOKENS * rep->li.kv_bytes_token;
    double start = rep->fetch_free_s > rep->clock_s ? rep->fetch_free_s : rep->clock_s;
    q->ready_s = start + storage_kv_fetch_s(&w->sc->storage, bytes);
    rep->fetch_free_s = q->ready_s;
    q->fetch_s += q->ready_s - rep->clock_s;
    rep->fetches++;
    rep->fetch_bytes += bytes;
    if (first) {
        q->hit_tokens = matched * INF_PREFIX_TOKENS;
        q->offload_tokens = fetched * INF_PREFIX_TOKENS;
    }
    if (inf_queue_push(&rep->fetching, r)) {
        fprintf(stderr, "oastwin: fatal: out of memory for the KV offload fetch queue\n");
        abort();
    }
    return true;
}

/* Admits the head of the waiting queue for N tokens of work (0: as many as the budget allows),
 * if the KV cache has room. Returns the tokens scheduled, 0 when it must wait, or -1 when it left
 * the queue to fetch its prefix from the offload tier (the next one may be admitted). */
static int32_t admit_head(inf_world *w, inf_replica *rep, int64_t budget, bool whole)
{
    int32_t r = inf_queue_peek(&rep->waiting);
    inf_req *q = &w->req[r];
    int64_t seq = seq_len(q);
    bool first = q->preemptions == 0 && q->computed == 0 && q->shared == 0 && q->prefill_start_s < 0;
    int32_t matched = 0;
    if (q->computed == 0 && q->nhash > 0) {
        int32_t max = (int32_t)((seq - 1) / INF_PREFIX_TOKENS);
        matched = inf_kv_match(rep->kv, w->hashes + q->hash_off, q->nhash, max);
        q->shared = matched;
        q->computed = matched * INF_PREFIX_TOKENS;
        int32_t rest = (q->nhash < max ? q->nhash : max) - matched;
        int32_t fetched = rep->tier && rest > 0 ? inf_tier_match(rep->tier, w->hashes + q->hash_off + matched, rest) : 0;
        if (fetched > 0) {
            if (start_fetch(w, rep, r, matched, fetched, first))
                return -1;
            if (matched)
                inf_kv_unref(rep->kv, w->hashes + q->hash_off, matched);
            q->shared = 0;
            q->computed = 0;
            return 0;
        }
    }
    int64_t need = seq - q->computed;
    int64_t n = need < budget ? need : budget;
    bool fits = !(whole && need > budget) && n > 0;
    int64_t extra = fits ? priv_for(rep, q, q->computed + n) - q->priv : 0;
    if (!fits || !inf_kv_take(rep->kv, extra)) {
        if (matched) {
            inf_kv_unref(rep->kv, w->hashes + q->hash_off, matched);
            q->shared = 0;
            q->computed = 0;
        }
        return 0;
    }
    if (first)
        q->hit_tokens = matched * INF_PREFIX_TOKENS;
    inf_queue_pop(&rep->waiting);
    rep->queued_blocks -= inf_blocks_for(rep, seq) - q->priv;
    q->priv += (int32_t)extra;
    q->state = RQ_RUNNING;
    rep->running[rep->nrun++] = r;
    batch_add(rep, q, r, (int32_t)n);
    return (int32_t)n;
}

/* Does the head of the waiting queue need a prefill (rather than arriving with its KV cache)? */
static bool head_needs_prefill(const inf_world *w, const inf_replica *rep)
{
    const inf_req *q = &w->req[inf_queue_peek(&rep->waiting)];
    return seq_len(q) - q->computed > 1 || q->generated == 0;
}

/* Requests whose fetch has ended by rep->clock_s go back to the head of the waiting queue, in the
 * order they were admitted (fetches end in that order: the queue is serialised). */
static void fetches_done(inf_world *w, inf_replica *rep)
{
    inf_queue *f = &rep->fetching;
    size_t k = 0;
    while (k < f->n && w->req[f->v[(f->head + k) % f->cap]].ready_s <= rep->clock_s)
        k++;
    for (size_t i = k; i-- > 0;) {
        int32_t r = f->v[(f->head + i) % f->cap];
        if (inf_queue_push_front(&rep->waiting, r)) {
            fprintf(stderr, "oastwin: fatal: out of memory for the waiting queue\n");
            abort();
        }
        inf_req *q = &w->req[r];
        q->ready_s = -1;
        rep->queued_blocks += demand(rep, q);
    }
    for (size_t i = 0; i < k; i++)
        inf_queue_pop(f);
}

double inf_replica_next_fetch_s(const inf_world *w, const inf_replica *rep)
{
    return rep->fetching.n ? w->req[inf_queue_peek(&rep->fetching)].ready_s : INFINITY;
}

int32_t inf_sched_plan(inf_world *w, inf_replica *rep)
{
    const inference_spec *s = w->spec;
    if (rep->fetching.n)
        fetches_done(w, rep);
    inf_batch *b = &rep->batch;
    b->n = 0;
    memset(&b->b, 0, sizeof b->b);
    b->decode_only = true;
    rep->run_reserved = 0;
    int64_t budget = s->max_batch_tokens;
    bool preempted = false;
    if (!s->chunked_prefill) {
        /* vLLM V0: a prefill step of whole prompts when one can be admitted, else a decode step. */
        while (rep->waiting.n && rep->nrun < rep->caprun && budget > 0 && head_needs_prefill(w, rep)) {
            int32_t n = admit_head(w, rep, budget, true);
            if (n < 0)
                continue; /* gone to fetch its prefix */
            if (!n)
                break;
            budget -= n;
        }
        if (b->n)
            return b->n;
    }
    for (int32_t i = 0; i < rep->nrun && budget > 0; i++) {
        int32_t r = rep->running[i];
        inf_req *q = &w->req[r];
        int64_t need = seq_len(q) - q->computed;
        int64_t n = need < budget ? need : budget;
        if (!reserve_running(w, rep, r, q->computed + n, &preempted))
            break;
        batch_add(rep, q, r, (int32_t)n);
        budget -= n;
    }
    /* Admissions: chunked prefill takes any waiting request; otherwise only those whose KV cache
     * arrived from a prefill replica join a decode step. */
    while (!preempted && rep->waiting.n && rep->nrun < rep->caprun && budget > 0 &&
           (s->chunked_prefill || !head_needs_prefill(w, rep))) {
        int32_t n = admit_head(w, rep, budget, !s->chunked_prefill);
        if (n < 0)
            continue;
        if (!n)
            break;
        budget -= n;
    }
    return b->n;
}

static double comm_time(const inf_replica *rep, const llm_step_cost *c)
{
    double t = 0;
    for (int k = 0; k < LIC__N; k++)
        t += c->calls[k] * rep->coll_alpha_s[k] + c->bytes[k] * rep->coll_beta_sPB[k];
    return t;
}

/* Compute and collective time of the token-count-dependent part of a step, cached. */
static struct inf_fixc *fixed_entry(inf_replica *rep, const llm_batch *b)
{
    uint64_t h = ((uint64_t)b->tokens * 0x9E3779B1u + (uint64_t)b->logit_tokens) % FIXC;
    struct inf_fixc *e = &rep->fixc[h];
    if (e->tokens != b->tokens || e->logits != b->logit_tokens) {
        llm_step_cost c;
        llm_infer_fixed(&rep->li, b, &c);
        e->tokens = b->tokens;
        e->logits = b->logit_tokens;
        e->compute_s = c.compute_s;
        e->comm_s = comm_time(rep, &c);
        e->clock_s = c.clock_s;
    }
    return e;
}

static void fixed_part(inf_replica *rep, const llm_batch *b, double *compute_s, double *comm_s)
{
    const struct inf_fixc *e = fixed_entry(rep, b);
    *compute_s = e->compute_s;
    *comm_s = e->comm_s;
}

double inf_sched_step_clock_s(inf_replica *rep, const llm_batch *b)
{
    return fixed_entry(rep, b)->clock_s + llm_infer_attention_clock_s(&rep->li, b);
}

double inf_sched_step_time(const inf_world *w, inf_replica *rep, const llm_batch *b, double *compute_s,
                           double *comm_s)
{
    double f, by;
    fixed_part(rep, b, compute_s, comm_s);
    *compute_s += llm_infer_attention_s(&rep->li, b, &f, &by);
    return *compute_s + *comm_s + w->spec->step_overhead_s;
}

/* Blocks the current decode batch needs beyond what it holds after K steps in total. */
static int64_t run_blocks(const inf_world *w, const inf_replica *rep, int64_t k)
{
    int64_t need = 0;
    for (int32_t i = 0; i < rep->batch.n; i++) {
        const inf_req *q = &w->req[rep->batch.req[i]];
        need += priv_for(rep, q, q->computed + k) - q->priv;
    }
    return need;
}

int64_t inf_sched_decode_run(const inf_world *w, inf_replica *rep, double *end_s, int64_t maxk)
{
    const inf_batch *b = &rep->batch;
    int64_t kmax = maxk;
    for (int32_t i = 0; i < b->n; i++) {
        const inf_req *q = &w->req[b->req[i]];
        int64_t left = (int64_t)q->output - q->generated;
        if (left < kmax)
            kmax = left;
    }
    if (kmax < 1)
        kmax = 1;
    /* The first step's blocks are held already; find the longest run whose extra blocks fit, and
     * reserve them now (a KV transfer arriving during the run must not take them). */
    int64_t avail = inf_kv_available(rep->kv);
    if (kmax > 1 && run_blocks(w, rep, kmax) > avail) {
        int64_t lo = 1, hi = kmax;
        while (hi - lo > 1) {
            int64_t mid = lo + (hi - lo) / 2;
            if (run_blocks(w, rep, mid) <= avail)
                lo = mid;
            else
                hi = mid;
        }
        kmax = lo;
    }
    rep->run_reserved = kmax > 1 ? run_blocks(w, rep, kmax) : 0;
    inf_kv_take(rep->kv, rep->run_reserved);
    double fc, fm;
    fixed_part(rep, &b->b, &fc, &fm);
    double base = fc + fm + w->spec->step_overhead_s;
    llm_batch step = b->b;
    double n = (double)b->n, t = 0;
    for (int64_t j = 0; j < kmax; j++) {
        double f, by;
        t += base + llm_infer_attention_s(&rep->li, &step, &f, &by);
        end_s[j] = t;
        step.decode_pairs += n;
        step.kv_read_tokens += n;
    }
    return kmax;
}

static void promote_prefix(inf_world *w, inf_replica *rep, inf_req *q)
{
    int32_t full = q->prompt / INF_PREFIX_TOKENS;
    if (full > q->nhash)
        full = q->nhash;
    int32_t per = INF_PREFIX_TOKENS / inf_kv_block_tokens(rep->kv);
    while (q->shared < full && q->priv >= per) {
        if (!inf_kv_promote(rep->kv, w->hashes[q->hash_off + q->shared]))
            break;
        q->shared++;
        q->priv -= per;
    }
}

void inf_sched_apply(inf_world *w, inf_replica *rep, int64_t k, double t0, const double *end_s)
{
    inf_batch *b = &rep->batch;
    double t_end = t0 + end_s[k - 1];
    if (rep->run_reserved > 0) {
        /* Hand the run's reserved blocks to its requests; return what K steps did not use. */
        int64_t used = 0;
        for (int32_t i = 0; i < b->n; i++) {
            inf_req *q = &w->req[b->req[i]];
            int64_t extra = priv_for(rep, q, q->computed + k) - q->priv;
            q->priv += (int32_t)extra;
            used += extra;
        }
        inf_kv_give(rep->kv, rep->run_reserved - used);
        rep->run_reserved = 0;
    }
    rep->steps += (uint64_t)k;
    rep->busy_s += end_s[k - 1];
    rep->tokens_prefill += b->b.prefill_tokens;
    rep->tokens_decode += (double)k * (b->b.tokens - b->b.prefill_tokens);
    bool any_left = false;
    for (int32_t i = 0; i < b->n; i++) {
        int32_t r = b->req[i];
        inf_req *q = &w->req[r];
        if (q->prefill_start_s < 0)
            q->prefill_start_s = t0;
        bool emits = q->computed + b->tokens[i] == seq_len(q);
        q->computed += b->tokens[i] + (int32_t)(k - 1);
        if (!emits)
            continue;
        q->generated += (int32_t)k;
        if (q->generated == (int32_t)k && q->first_token_s < 0)
            q->first_token_s = t0 + end_s[0];
        if (q->computed >= q->prompt && q->shared * INF_PREFIX_TOKENS < q->prompt && q->nhash > 0)
            promote_prefix(w, rep, q);
        if (q->generated >= q->output || q->output == 0) {
            q->state = RQ_DONE;
            any_left = true;
        } else if (rep->role == ROLE_PREFILL) {
            q->state = RQ_TRANSFER;
            any_left = true;
        }
    }
    if (!any_left)
        return;
    /* Remove the requests that leave, keeping admission order, then report them. */
    int32_t j = 0;
    for (int32_t i = 0; i < rep->nrun; i++) {
        uint8_t st = w->req[rep->running[i]].state;
        if (st == RQ_RUNNING)
            rep->running[j++] = rep->running[i];
    }
    rep->nrun = j;
    for (int32_t i = 0; i < b->n; i++) {
        int32_t r = b->req[i];
        inf_req *q = &w->req[r];
        if (q->state == RQ_DONE && q->finish_s < 0) {
            q->finish_s = t_end;
            inf_replica_release(w, rep, r);
            rep->outstanding--;
            w->hooks.finished(w, rep, r, t_end);
        } else if (q->state == RQ_TRANSFER && q->transfer_start_s < 0) {
            rep->outstanding--;
            w->hooks.prefilled(w, rep, r, t_end);
        }
    }
}

int32_t inf_replica_fail(inf_world *w, inf_replica *rep, int32_t *out)
{
    int32_t n = 0;
    for (int32_t i = 0; i < rep->nrun; i++)
        out[n++] = rep->running[i];
    while (rep->fetching.n)
        out[n++] = inf_queue_pop(&rep->fetching);
    while (rep->waiting.n)
        out[n++] = inf_queue_pop(&rep->waiting);
    for (int32_t i = 0; i < n; i++) {
        inf_req *q = &w->req[out[i]];
        q->computed = q->priv = q->shared = 0;
        q->ready_s = -1;
        q->state = RQ_PENDING;
    }
    rep->fetch_free_s = 0;
    inf_kv_reset(rep->kv);
    rep->down = true;
    rep->nrun = 0;
    rep->batch.n = 0;
    rep->queued_blocks = 0;
    rep->run_reserved = 0;
    rep->outstanding = 0;
    return n;
}
