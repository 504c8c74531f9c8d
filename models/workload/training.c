/* Training workload (workload.kind = training): LLM training replay on the simulated machine.
 * Ties the pieces together: layout (training_layout.c), operator programs (training_ops.c) or a
 * replayed op list (training_replay.c), execution (training_exec.c), symmetry
 * (training_sym.c) and output (training_record.c). The keys are in training_schema.c.
 * Invariant: setup either starts every actor or returns -1 having freed everything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training_impl.h"
#include "units.h"
#include "workload.h"

static void run_free(tr_run *S)
{
    if (!S)
        return;
    if (S->replay)
        tr_replay_exec_free(S);
    tr_exec_free(S);
    tr_model_free(&S->M);
    if (S->replay)
        tr_replay_free(&S->R);
    tr_layout_free(&S->L);
    free(S);
}

static int setup(const scenario_t *sc, const platform_t *plat, void **state, diag_t *err)
{
    tr_run *S = calloc(1, sizeof *S);
    if (!S)
        return diag_fail(err, "out of memory");
    S->sc = sc;
    S->plat = plat;
    S->replay = sc->wl.training.replay[0] != '\0';
    S->emb_sid = -1;
    int rc = tr_layout_init(&S->L, sc, plat, err);
    if (rc) {
        free(S);
        return -1;
    }
    if (S->replay) {
        char rpath[4096 + 256];
        tr_resolve_path(sc, sc->wl.training.replay, rpath, sizeof rpath);
        rc = tr_replay_load(&S->R, rpath, sc, &S->L, err);
        if (rc) {
            S->replay = false;
            run_free(S);
            return -1;
        }
        rc = tr_replay_setup(S, err);
    } else {
        rc = tr_model_build(&S->M, sc, &S->L, err);
        if (rc == 0)
            rc = tr_exec_setup(S, err);
    }
    if (rc) {
        run_free(S);
        return -1;
    }
    *state = S;
    return 0;
}

static int finish(void *state, trace_t *t, const engine_stats *st, diag_t *err)
{
    tr_run *S = state;
    int rc = tr_record_finish(S, t, st, err);
    run_free(S);
    return rc;
}

static void describe(const scenario_t *sc, FILE *f)
{
    const training_spec *t = &sc->wl.training;
    const llm_spec *m = &sc->wl.model;
    char params[32];
    units_format(llm_params_total(m), DIM_NONE, params, sizeof params);
    if (t->replay[0]) {
        fprintf(f, "Workload: replay of the op list %s (model %s, %s parameters, for throughput figures).\n",
                t->replay, m->name, params);
        return;
    }
    static const char *const rec[] = {"no", "selective", "full"};
    char dp[48];
    if (t->par.dp)
        snprintf(dp, sizeof dp, "%lld", (long long)t->par.dp);
    else
        snprintf(dp, sizeof dp, "(the remaining accelerators)");
    fprintf(f,
            "Workload: training %s (%s parameters%s) for %lld iteration%s; global batch %lld sequences of %lld "
            "tokens in micro-batches of %lld; TP %lld x PP %lld x DP %s x CP %lld, EP %lld; %s schedule; %s "
            "recomputation; %s optimizer with %s gradient reduction.\n",
            m->name, params, m->experts ? ", mixture of experts" : "", (long long)t->steps, t->steps == 1 ? "" : "s",
            (long long)t->global_batch, (long long)m->seq_len, (long long)t->micro_batch, (long long)t->par.tp,
            (long long)t->par.pp, dp, (long long)t->par.cp, (long long)t->par.ep,
            t->par.virtual_stages > 1 ? "interleaved 1F1B" : "1F1B", rec[t->recompute],
            t->opt.distributed ? "distributed" : "replicated", t->opt.overlap_grad_reduce ? "overlapped" : "blocking");
    if (t->par.virtual_stages > 1)
        fprintf(f, "Each pipeline rank holds %lld model chunks.\n", (long long)t->par.virtual_stages);
}

const workload_ops workload_training = {"training", setup, finish, describe};
