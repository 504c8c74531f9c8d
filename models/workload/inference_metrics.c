/* Serving metrics: /inference/requests (one row per request, with TTFT, TPOT = (E2E - TTFT) /
 * (output - 1) and E2E), /inference/steps (runs of identical batch steps), /inference/replicas,
 * and the /summary figures: throughput, P50/P90/P99 latencies (GSL order statistics) and SLO
 * attainment and goodput for the scenario's TTFT and TPOT targets, and what the KV offload tier
 * served (zero without one).
 * Invariant: a figure that has no sample (no request finished) is NaN, never 0. */
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inference_impl.h"

typedef struct req_row {
    int64_t id, line;
    char status[12];
    int32_t replica, decode_replica;
    int32_t prompt, output, cache_hit, preemptions, reroutes, offload_hit;
    double arrival, prefill_start, first_token, finish, queueing, ttft, tpot, e2e, kv_transfer, offload_fetch;
} req_row;

static const trace_col REQ_COLS[] = {
    {"id", TCOL_I64, offsetof(req_row, id), 0, "1", "request index, in arrival order"},
    {"trace_line", TCOL_I64, offsetof(req_row, line), 0, "1", "line of the request in its trace file (0: synthetic)"},
    {"status", TCOL_STR, offsetof(req_row, status), 12, "",
     "done, rejected (longer than the context limit or a replica's KV cache) or unfinished (run stopped)"},
    {"replica", TCOL_I32, offsetof(req_row, replica), 0, "1", "replica that prefilled it (last one after a reroute; -1: none)"},
    {"decode_replica", TCOL_I32, offsetof(req_row, decode_replica), 0, "1",
     "disaggregated: decode replica (-1: none or aggregated)"},
    {"prompt_tokens", TCOL_I32, offsetof(req_row, prompt), 0, "1", "input tokens"},
    {"output_tokens", TCOL_I32, offsetof(req_row, output), 0, "1", "tokens to generate"},
    {"cache_hit_tokens", TCOL_I32, offsetof(req_row, cache_hit), 0, "1",
     "prompt tokens found in the HBM prefix cache at first admission"},
    {"offload_hit_tokens", TCOL_I32, offsetof(req_row, offload_hit), 0, "1",
     "prompt tokens fetched from the KV offload tier at first admission (after the HBM hit; 0 without a tier)"},
    {"preemptions", TCOL_I32, offsetof(req_row, preemptions), 0, "1", "times its KV cache was dropped and recomputed"},
    {"reroutes", TCOL_I32, offsetof(req_row, reroutes), 0, "1",
     "times a replica failure took it away and it was routed again (resilience.mode = timeline)"},
    {"arrival", TCOL_F64, offsetof(req_row, arrival), 0, "s", "arrival time"},
    {"prefill_start", TCOL_F64, offsetof(req_row, prefill_start), 0, "s",
     "start of its first prefill step (NaN: never)"},
    {"first_token", TCOL_F64, offsetof(req_row, first_token), 0, "s", "end of the step that produced its first token"},
    {"finish", TCOL_F64, offsetof(req_row, finish), 0, "s", "end of the step that produced its last token"},
    {"queueing", TCOL_F64, offsetof(req_row, queueing), 0, "s", "prefill_start - arrival"},
    {"ttft", TCOL_F64, offsetof(req_row, ttft), 0, "s", "time to first token: first_token - arrival"},
    {"tpot", TCOL_F64, offsetof(req_row, tpot), 0, "s",
     "time per output token after the first: (e2e - ttft) / (output_tokens - 1); NaN for one token"},
    {"e2e", TCOL_F64, offsetof(req_row, e2e), 0, "s", "end to end: finish - arrival"},
    {"kv_transfer", TCOL_F64, offsetof(req_row, kv_transfer), 0, "s",
     "disaggregated: from prefill end to KV cache arrival at the decode replica (NaN otherwise)"},
    {"offload_fetch", TCOL_F64, offsetof(req_row, offload_fetch), 0, "s",
     "time its prefix fetches from the KV offload tier delayed it: queueing behind other fetches of the replica "
     "plus latency + bytes / bandwidth, all fetches (0 without one)"},
};

typedef struct step_row {
    int32_t replica, sequences;
    double start, end;
    int64_t steps;
    int32_t prefill_tokens, decode_tokens;
    double step_time, compute, comm;
    int64_t kv_used_tokens;
} step_row;

static const trace_col STEP_COLS[] = {
    {"replica", TCOL_I32, offsetof(step_row, replica), 0, "1", "replica id (its role is in /inference/replicas)"},
    {"start", TCOL_F64, offsetof(step_row, start), 0, "s", "start of the first step"},
    {"end", TCOL_F64, offsetof(step_row, end), 0, "s", "end of the last step"},
    {"steps", TCOL_I64, offsetof(step_row, steps), 0, "1",
     "identical consecutive steps in this row (a run of decode steps of one batch)"},
    {"sequences", TCOL_I32, offsetof(step_row, sequences), 0, "1", "sequences in the batch"},
    {"prefill_tokens", TCOL_I32, offsetof(step_row, prefill_tokens), 0, "1", "prompt tokens per step"},
    {"decode_tokens", TCOL_I32, offsetof(step_row, decode_tokens), 0, "1", "decode tokens per step"},
    {"step_time", TCOL_F64, offsetof(step_row, step_time), 0, "s", "(end - start) / steps"},
    {"compute", TCOL_F64, offsetof(step_row, compute), 0, "s", "roofline compute time of the first step"},
    {"comm", TCOL_F64, offsetof(step_row, comm), 0, "s", "collective time of the first step"},
    {"kv_used_tokens", TCOL_I64, offsetof(step_row, kv_used_tokens), 0, "1",
     "KV cache held while the steps ran (blocks x block_tokens; the run's reservation and cached prefixes "
     "included)"},
};

typedef struct rep_row {
    int32_t id;
    char role[12];
    int32_t first_accelerator, accelerators, tp, pp, ep;
    int64_t kv_capacity_tokens;
    double weights_per_accelerator, kv_bytes_per_token;
    int64_t steps, preemptions, prefix_evictions;
    double busy, busy_fraction, prefill_tokens, decode_tokens;
    int64_t offload_capacity_tokens, offload_fetches, offload_hit_blocks, offload_writes, offload_evictions;
    double offload_fetch_bytes;
} rep_row;

static const trace_col REP_COLS[] = {
    {"id", TCOL_I32, offsetof(rep_row, id), 0, "1", "replica id"},
    {"role", TCOL_STR, offsetof(rep_row, role), 12, "", "aggregated, prefill or decode"},
    {"first_accelerator", TCOL_I32, offsetof(rep_row, first_accelerator), 0, "1", "its accelerators are consecutive"},
    {"accelerators", TCOL_I32, offsetof(rep_row, accelerators), 0, "1", "tp x ep x pp"},
    {"tp", TCOL_I32, offsetof(rep_row, tp), 0, "1", "tensor-parallel degree"},
    {"pp", TCOL_I32, offsetof(rep_row, pp), 0, "1", "pipeline-parallel degree"},
    {"ep", TCOL_I32, offsetof(rep_row, ep), 0, "1", "expert-parallel degree (attention data-parallel groups)"},
    {"kv_capacity_tokens", TCOL_I64, offsetof(rep_row, kv_capacity_tokens), 0, "1", "KV cache capacity"},
    {"weights_per_accelerator", TCOL_F64, offsetof(rep_row, weights_per_accelerator), 0, "B",
     "model weights held by one accelerator of the heaviest stage"},
    {"kv_bytes_per_token", TCOL_F64, offsetof(rep_row, kv_bytes_per_token), 0, "B",
     "KV cache of one token over all layers, whole model"},
    {"steps", TCOL_I64, offsetof(rep_row, steps), 0, "1", "batch steps run"},
    {"preemptions", TCOL_I64, offsetof(rep_row, preemptions), 0, "1", "sequences preempted for lack of KV blocks"},
    {"prefix_evictions", TCOL_I64, offsetof(rep_row, prefix_evictions), 0, "1", "prefix-cache blocks evicted"},
    {"busy", TCOL_F64, offsetof(rep_row, busy), 0, "s", "time spent running steps"},
    {"busy_fraction", TCOL_F64, offsetof(rep_row, busy_fraction), 0, "1", "busy / simulated time"},
    {"prefill_tokens", TCOL_F64, offsetof(rep_row, prefill_tokens), 0, "1", "prompt tokens computed"},
    {"decode_tokens", TCOL_F64, offsetof(rep_row, decode_tokens), 0, "1", "decode tokens computed"},
    {"offload_capacity_tokens", TCOL_I64, offsetof(rep_row, offload_capacity_tokens), 0, "1",
     "KV offload tier capacity in whole 512-token blocks (0: no tier)"},
    {"offload_fetches", TCOL_I64, offsetof(rep_row, offload_fetches), 0, "1", "fetches from the offload tier"},
    {"offload_hit_blocks", TCOL_I64, offsetof(rep_row, offload_hit_blocks), 0, "1",
     "512-token blocks fetched from the offload tier"},
    {"offload_fetch_bytes", TCOL_F64, offsetof(rep_row, offload_fetch_bytes), 0, "B", "bytes fetched from the tier"},
    {"offload_writes", TCOL_I64, offsetof(rep_row, offload_writes), 0, "1",
     "blocks written to the tier (evicted from HBM and not there already)"},
    {"offload_evictions", TCOL_I64, offsetof(rep_row, offload_evictions), 0, "1",
     "blocks dropped from the full tier (least recently used)"},
};

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const char *role_name(inf_role r)
{
    return r == ROLE_PREFILL ? "prefill" : r == ROLE_DECODE ? "decode" : "aggregated";
}

int inf_metrics_begin(inf_world *w, trace_t *t, diag_t *err)
{
    w->steps_tab = NULL;
    if (!w->spec->record_steps)
        return 0;
    w->steps_tab = trace_table_create(t, "/inference/steps",
                                      "runs of identical batch steps of each replica, in the order they ended",
                                      STEP_COLS, NCOLS(STEP_COLS), sizeof(step_row));
    return w->steps_tab ? 0 : diag_fail(err, "out of memory");
}

void inf_metrics_step(inf_world *w, const inf_replica *rep, double t0, double t1, int64_t k, double compute_s,
                      double comm_s)
{
    if (!w->steps_tab)
        return;
    const inf_batch *b = &rep->batch;
    step_row r = {.replica = rep->id, .start = t0, .end = t1, .steps = k, .sequences = b->n,
                  .prefill_tokens = (int32_t)b->b.prefill_tokens,
                  .decode_tokens = (int32_t)(b->b.tokens - b->b.prefill_tokens), .step_time = (t1 - t0) / (double)k,
                  .compute = compute_s, .comm = comm_s,
                  .kv_used_tokens = inf_kv_used(rep->kv) * inf_kv_block_tokens(rep->kv)};
    if (trace_table_append(w->steps_tab, &r))
        w->steps_lost++;
}

/* P-quantile of the sorted N values (NaN for none). */
static double quant(const double *v, size_t n, double p)
{
    return n ? gsl_stats_quantile_from_sorted_data(v, 1, n, p) : NAN;
}

static void latency_figures(trace_t *t, const char *name, double *v, size_t n, const char *what)
{
    gsl_sort(v, 1, n);
    static const struct {
        const char *suffix;
        double p;
    } Q[] = {{"p50", 0.50}, {"p90", 0.90}, {"p99", 0.99}};
    char key[64], doc[256];
    snprintf(key, sizeof key, "%s_mean", name);
    snprintf(doc, sizeof doc, "mean %s of completed requests", what);
    trace_summary_f64(t, key, n ? gsl_stats_mean(v, 1, n) : NAN, "s", doc);
    for (size_t i = 0; i < sizeof Q / sizeof Q[0]; i++) {
        snprintf(key, sizeof key, "%s_%s", name, Q[i].suffix);
        snprintf(doc, sizeof doc, "%s percentile of %s of completed requests (GSL quantile, linear interpolation)",
                 Q[i].suffix + 1, what);
        trace_summary_f64(t, key, quant(v, n, Q[i].p), "s", doc);
    }
}

int inf_metrics_finish(inf_world *w, trace_t *t, double end_s, diag_t *err)
{
    const inference_spec *s = w->spec;
    if (w->steps_lost)
        return diag_fail(err, "out of memory recording /inference/steps (%llu rows lost)",
                         (unsigned long long)w->steps_lost);
    trace_table_t *tr = trace_table_create(t, "/inference/requests", "one row per request, in arrival order",
                                           REQ_COLS, NCOLS(REQ_COLS), sizeof(req_row));
    trace_table_t *tp = trace_table_create(t, "/inference/replicas", "one row per replica", REP_COLS,
                                           NCOLS(REP_COLS), sizeof(rep_row));
    size_t n = w->nreq;
    double *ttft = malloc((n ? n : 1) * sizeof *ttft), *tpot = malloc((n ? n : 1) * sizeof *tpot);
    double *e2e = malloc((n ? n : 1) * sizeof *e2e), *queue = malloc((n ? n : 1) * sizeof *queue);
    int rc = -1;
    if (!tr || !tp || !ttft || !tpot || !e2e || !queue) {
        diag_fail(err, "out of memory");
        goto done;
    }
    size_t nd = 0, ntp = 0, nrej = 0, nunf = 0, good = 0, ok_ttft = 0, ok_tpot = 0;
    double in_tok = 0, out_tok = 0, hit_tok = 0, prompt_tok = 0, first_arrival = INFINITY, last_finish = 0;
    double xfer_sum = 0, off_tok = 0, fetch_sum = 0;
    size_t nxfer = 0;
    int64_t preempt = 0;
    for (size_t i = 0; i < n; i++) {
        const inf_req *q = &w->req[i];
        req_row r = {.id = (int64_t)i, .line = q->line, .replica = q->replica, .decode_replica = q->decode_replica,
                     .prompt = q->prompt, .output = q->output, .cache_hit = q->hit_tokens,
                     .preemptions = q->preemptions, .reroutes = q->reroutes, .arrival = q->arrival_s,
                     .offload_hit = q->offload_tokens, .offload_fetch = q->fetch_s};
        fetch_sum += q->fetch_s;
        r.prefill_start = q->prefill_start_s >= 0 ? q->prefill_start_s : NAN;
        r.first_token = q->first_token_s >= 0 ? q->first_token_s : NAN;
        r.finish = q->finish_s >= 0 ? q->finish_s : NAN;
        r.queueing = r.prefill_start - q->arrival_s;
        r.ttft = r.first_token - q->arrival_s;
        r.e2e = r.finish - q->arrival_s;
        r.tpot = q->output > 1 ? (r.e2e - r.ttft) / (double)(q->output - 1) : NAN;
        r.kv_transfer = q->transfer_end_s >= 0 ? q->transfer_end_s - q->transfer_start_s : NAN;
        first_arrival = fmin(first_arrival, q->arrival_s);
        preempt += q->preemptions;
        if (q->state == RQ_DONE) {
            memcpy(r.status, "done", 5);
            ttft[nd] = r.ttft;
            e2e[nd] = r.e2e;
            queue[nd] = r.queueing;
            nd++;
            if (q->output > 1)
                tpot[ntp++] = r.tpot;
            bool a = r.ttft <= s->slo_ttft_s, b = !(q->output > 1) || r.tpot <= s->slo_tpot_s;
            ok_ttft += a;
            ok_tpot += b;
            good += a && b;
            in_tok += q->prompt;
            out_tok += q->output;
            hit_tok += q->hit_tokens;
            off_tok += q->offload_tokens;
            prompt_tok += q->prompt;
            last_finish = fmax(last_finish, q->finish_s);
            if (!isnan(r.kv_transfer)) {
                xfer_sum += r.kv_transfer;
                nxfer++;
            }
        } else if (q->state == RQ_REJECTED) {
            memcpy(r.status, "rejected", 9);
            nrej++;
        } else {
            memcpy(r.status, "unfinished", 11);
            nunf++;
        }
        if (trace_table_append(tr, &r)) {
            diag_fail(err, "out of memory");
            goto done;
        }
    }
    uint64_t fetches = 0;
    double fetch_B = 0, write_B = 0;
    for (int32_t i = 0; i < w->nrep; i++) {
        const inf_replica *rep = &w->rep[i];
        rep_row r = {.id = rep->id, .first_accelerator = rep->first_acc, .accelerators = rep->nacc,
                     .tp = (int32_t)rep->li.c.tp, .pp = (int32_t)rep->li.c.pp, .ep = (int32_t)rep->li.c.ep,
                     .kv_capacity_tokens = inf_kv_capacity(rep->kv) * inf_kv_block_tokens(rep->kv),
                     .weights_per_accelerator = rep->li.weight_bytes_rank, .kv_bytes_per_token = rep->li.kv_bytes_token,
                     .steps = (int64_t)rep->steps, .preemptions = (int64_t)rep->preemptions,
                     .prefix_evictions = (int64_t)inf_kv_evictions(rep->kv), .busy = rep->busy_s,
                     .busy_fraction = end_s > 0 ? rep->busy_s / end_s : 0, .prefill_tokens = rep->tokens_prefill,
                     .decode_tokens = rep->tokens_decode};
        if (rep->tier) {
            r.offload_capacity_tokens = inf_tier_capacity(rep->tier) * INF_PREFIX_TOKENS;
            r.offload_hit_blocks = (int64_t)inf_tier_hits(rep->tier);
            r.offload_writes = (int64_t)inf_tier_writes(rep->tier);
            r.offload_evictions = (int64_t)inf_tier_evictions(rep->tier);
        }
        r.offload_fetches = (int64_t)rep->fetches;
        r.offload_fetch_bytes = rep->fetch_bytes;
        fetches += rep->fetches;
        fetch_B += rep->fetch_bytes;
        if (rep->tier)
            write_B += (double)inf_tier_writes(rep->tier) * INF_PREFIX_TOKENS * rep->li.kv_bytes_token;
        snprintf(r.role, sizeof r.role, "%s", role_name(rep->role));
        if (trace_table_append(tp, &r)) {
            diag_fail(err, "out of memory");
            goto done;
        }
    }
    /* Throughput over the span from the first arrival to the last completion. */
    double span = nd ? last_finish - first_arrival : NAN;
    double acc = (double)w->accelerators;
    trace_summary_str(t, "inference_source", w->source_desc, "where the requests came from");
    trace_summary_i64(t, "requests_in_source", (int64_t)w->rows_in_file, "1",
                      "requests in the trace file (or drawn), before the window and limit");
    trace_summary_i64(t, "requests_outside_window", (int64_t)w->outside_window, "1",
                      "requests left out by workload.requests.start / duration");
    trace_summary_i64(t, "requests_over_limit", (int64_t)w->over_limit, "1",
                      "requests left out by workload.requests.limit (synthetic: once it is reached, every later "
                      "request, in the window or after it; they are not drawn)");
    trace_summary_i64(t, "requests", (int64_t)n, "1", "requests served (rows of /inference/requests)");
    trace_summary_i64(t, "requests_completed", (int64_t)nd, "1", "requests that produced all their tokens");
    trace_summary_i64(t, "requests_rejected", (int64_t)nrej, "1",
                      "requests longer than the model's context limit or a replica's KV cache");
    trace_summary_i64(t, "requests_unfinished", (int64_t)nunf, "1", "requests still in flight when the run stopped");
    trace_summary_i64(t, "replicas", w->nrep, "1", "serving replicas (both pools when disaggregated)");
    trace_summary_i64(t, "serving_accelerators", w->accelerators, "1", "accelerators in the replicas");
    trace_summary_f64(t, "serving_span", span, "s", "first arrival to last completion");
    trace_summary_f64(t, "throughput_requests", nd ? (double)nd / span : NAN, "1/s", "completed requests per second");
    trace_summary_f64(t, "throughput_input_tokens", nd ? in_tok / span : NAN, "1/s",
                      "prompt tokens of completed requests per second");
    trace_summary_f64(t, "throughput_output_tokens", nd ? out_tok / span : NAN, "1/s",
                      "output tokens of completed requests per second");
    trace_summary_f64(t, "throughput_input_tokens_per_accelerator", nd ? in_tok / span / acc : NAN, "1/s",
                      "throughput_input_tokens / serving_accelerators");
    trace_summary_f64(t, "throughput_output_tokens_per_accelerator", nd ? out_tok / span / acc : NAN, "1/s",
                      "throughput_output_tokens / serving_accelerators");
    latency_figures(t, "ttft", ttft, nd, "time to first token");
    latency_figures(t, "tpot", tpot, ntp, "time per output token");
    latency_figures(t, "e2e", e2e, nd, "end-to-end latency");
    latency_figures(t, "queueing", queue, nd, "queueing delay before the first prefill");
    trace_summary_f64(t, "slo_ttft", s->slo_ttft_s, "s", "TTFT target (workload.slo.ttft)");
    trace_summary_f64(t, "slo_tpot", s->slo_tpot_s, "s", "TPOT target (workload.slo.tpot)");
    double all = n ? (double)n : NAN;
    trace_summary_f64(t, "slo_attainment", (double)good / all, "1",
                      "share of all requests that completed within both targets (rejected and unfinished ones miss)");
    trace_summary_f64(t, "slo_ttft_attainment", (double)ok_ttft / all, "1",
                      "share of all requests within the TTFT target");
    trace_summary_f64(t, "slo_tpot_attainment", (double)ok_tpot / all, "1",
                      "share of all requests within the TPOT target");
    trace_summary_f64(t, "goodput_requests", nd ? (double)good / span : NAN, "1/s",
                      "requests per second that completed within both targets, over serving_span");
    trace_summary_f64(t, "goodput_requests_per_accelerator", nd ? (double)good / span / acc : NAN, "1/s",
                      "goodput_requests / serving_accelerators");
    trace_summary_f64(t, "prefix_cache_hit_rate", prompt_tok > 0 ? hit_tok / prompt_tok : NAN, "1",
                      "prompt tokens served by the HBM prefix cache / prompt tokens of completed requests");
    trace_summary_f64(t, "prefix_hit_tokens_hbm", hit_tok, "1",
                      "prompt tokens of completed requests served by the HBM prefix cache");
    trace_summary_f64(t, "prefix_hit_tokens_offload", off_tok, "1",
                      "prompt tokens of completed requests fetched from the KV offload tier");
    trace_summary_f64(t, "kv_offload_hit_rate", prompt_tok > 0 ? off_tok / prompt_tok : NAN, "1",
                      "prefix_hit_tokens_offload / prompt tokens of completed requests");
    trace_summary_i64(t, "kv_offload_fetches", (int64_t)fetches, "1", "fetches from the KV offload tier");
    trace_summary_f64(t, "kv_offload_fetch_bytes", fetch_B, "B", "bytes fetched from the KV offload tier");
    trace_summary_f64(t, "kv_offload_fetch_time_total", fetch_sum, "s",
                      "sum over requests of the time prefix fetches delayed them (offload_fetch)");
    trace_summary_f64(t, "kv_offload_write_bytes", write_B, "B",
                      "bytes written to the KV offload tier (blocks evicted from HBM; in the background)");
    trace_summary_i64(t, "preemptions", preempt, "1", "sequences preempted for lack of KV blocks");
    trace_summary_i64(t, "kv_transfers", (int64_t)w->kv_transfers, "1", "disaggregated: KV cache transfers");
    trace_summary_f64(t, "kv_transfer_bytes", w->kv_bytes_moved, "B", "disaggregated: KV cache bytes moved");
    trace_summary_f64(t, "kv_transfer_time_mean", nxfer ? xfer_sum / (double)nxfer : NAN, "s",
                      "disaggregated: mean time from prefill end to KV arrival");
    rc = 0;
done:
    free(ttft);
    free(tpot);
    free(e2e);
    free(queue);
    return rc;
}
