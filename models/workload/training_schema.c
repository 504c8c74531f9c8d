/* Scenario keys of the training workload (workload.* when workload.kind = training) and their
 * cross-checks. The check builds the platform and the parallel layout once, so that every
 * impossible configuration (groups that do not divide, too many accelerators, a TP group across
 * scale-up domains, a model that does not fit in HBM, a malformed op list or placement file) is
 * a scenario error before anything runs. Efficiency defaults cite docs/sources.md. */
#include <stdio.h>
#include <string.h>

#include "training_impl.h"
#include "units.h"

#define OFF(m) offsetof(scenario_t, wl.training.m)
#define BIG 1e300
#define WHEN "workload.kind=training"

static const char *const RECOMPUTE[] = {"none", "selective", "full", NULL};
static const char *const ATTN_KERNELS[] = {"flash", "unfused", NULL};
static const char *const SYMMETRY[] = {"auto", "off", NULL};
static const char *const LOGS[] = {"all", "representative", NULL};
static const char *const REDUCE_ALGS[] = {"auto", "ring", "rhd", "dbtree", NULL};
static const char *const A2A_ALGS[] = {"auto", "pairwise", "direct", NULL};

static const field FIELDS[] = {
    {"workload.steps", F_INT, DIM_NONE, OFF(steps), 0, NULL, "1", 1, 1e6, false,
     "Training iterations (optimizer steps) to simulate.", WHEN, NULL, NULL},
    {"workload.global_batch", F_INT, DIM_NONE, OFF(global_batch), 0, NULL, NULL, 1, 1e9, false,
     "Sequences per iteration (each of workload.model.seq_len tokens).", WHEN, NULL, NULL},
    {"workload.micro_batch", F_INT, DIM_NONE, OFF(micro_batch), 0, NULL, "1", 1, 1e6, false,
     "Sequences per micro-batch; the global batch must be a multiple of micro_batch x data parallelism.", WHEN,
     NULL, NULL},
    {"workload.train_tokens", F_QTY, DIM_NONE, OFF(train_tokens), 0, NULL, "0", 0, BIG, false,
     "Tokens of the whole training run, for the `time_to_train` summary figure (e.g. `15e12`); 0 skips it.",
     WHEN, NULL, NULL},
    {"workload.recompute", F_ENUM, DIM_NONE, OFF(recompute), 0, RECOMPUTE, "none", 0, 0, false,
     "Activation recomputation: `full` re-runs each layer's forward pass before its backward pass (Megatron-LM "
     "uniform, one layer per checkpoint); `selective` re-runs only the attention core (Korthikanti et al. 2022).",
     WHEN, NULL, NULL},
    {"workload.attention_kernel", F_ENUM, DIM_NONE, OFF(attention_kernel), 0, ATTN_KERNELS, "flash", 0, 0, false,
     "`flash`: fused attention (no score matrix in HBM, causal half skipped, backward recomputes scores); "
     "`unfused`: batched matmuls with the score matrix in HBM and a separate softmax (Megatron-LM 2021).",
     WHEN, NULL, NULL},
    {"workload.dropout", F_BOOL, DIM_NONE, OFF(dropout), 0, NULL, "false", 0, 0, false,
     "Dropout after attention and in the residual adds (GPT-3 style training); adds its mask traffic.", WHEN, NULL,
     NULL},
    {"workload.parallel.tp", F_INT, DIM_NONE, OFF(par.tp), 0, NULL, "1", 1, 65536, false,
     "Tensor parallelism (Megatron-LM column/row split of every layer).", WHEN, NULL, NULL},
    {"workload.parallel.pp", F_INT, DIM_NONE, OFF(par.pp), 0, NULL, "1", 1, 65536, false, "Pipeline stages.", WHEN,
     NULL, NULL},
    {"workload.parallel.dp", F_INT, DIM_NONE, OFF(par.dp), 0, NULL, "0", 0, 1e7, false,
     "Data parallelism; 0 uses every accelerator: accelerators / (tp x cp x pp).", WHEN, NULL, NULL},
    {"workload.parallel.cp", F_INT, DIM_NONE, OFF(par.cp), 0, NULL, "1", 1, 65536, false,
     "Context parallelism: each sequence split across cp ranks, keys and values all-gathered per layer.", WHEN,
     NULL, NULL},
    {"workload.parallel.ep", F_INT, DIM_NONE, OFF(par.ep), 0, NULL, "1", 1, 65536, false,
     "Expert parallelism: routed experts split across ep ranks taken from the data-parallel dimension; tokens "
     "reach them by all-to-all.",
     WHEN, NULL, NULL},
    {"workload.parallel.virtual_stages", F_INT, DIM_NONE, OFF(par.virtual_stages), 0, NULL, "1", 1, 1024, false,
     "Model chunks per pipeline rank; above 1 the interleaved 1F1B schedule runs (Narayanan et al. SC'21 §2.2).",
     WHEN, NULL, NULL},
    {"workload.parallel.sequence_parallel", F_BOOL, DIM_NONE, OFF(par.sequence_parallel), 0, NULL, "false", 0, 0,
     false,
     "Sequence parallelism: norms and residuals split across TP ranks; TP all-reduces become reduce-scatter + "
     "all-gather (Korthikanti et al. 2022).",
     WHEN, NULL, NULL},
    {"workload.placement.order", F_STR, DIM_NONE, OFF(place.order), sizeof(((training_spec *)0)->place.order), NULL,
     "tp-cp-dp-pp", 0, 0, false,
     "Order of the parallel dimensions over consecutive accelerators, fastest first (Megatron-LM's --order). "
     "Any other value than the default is an explicit placement: TP and EP groups may then leave the scale-up "
     "domain.",
     WHEN, NULL, NULL},
    {"workload.placement.file", F_STR, DIM_NONE, OFF(place.file), sizeof(((training_spec *)0)->place.file), NULL, "",
     0, 0, false,
     "Explicit placement: a text file of `RANK ACCELERATOR` lines (every rank once; `#` comments); relative "
     "paths start at the scenario's folder. Overrides the order.",
     WHEN, NULL, NULL},
    {"workload.optimizer.distributed", F_BOOL, DIM_NONE, OFF(opt.distributed), 0, NULL, "true", 0, 0, false,
     "Distributed optimizer (ZeRO-1): gradients reduce-scattered, optimizer state sharded over the data-parallel "
     "ranks, parameters all-gathered after the step. `false`: all-reduce and a full optimizer copy per rank.",
     WHEN, NULL, NULL},
    {"workload.optimizer.overlap_grad_reduce", F_BOOL, DIM_NONE, OFF(opt.overlap_grad_reduce), 0, NULL, "true", 0, 0,
     false,
     "Reduce gradient buckets while the last backward pass still runs (a second stream), as PyTorch DDP and "
     "Megatron-LM do; `false` reduces them all after the backward pass.",
     WHEN, NULL, NULL},
    {"workload.optimizer.bucket_params", F_QTY, DIM_NONE, OFF(opt.bucket_params), 0, NULL, "40e6", 0, BIG, true,
     "Parameters per gradient bucket (Megatron-LM's default bucket of 40 M parameters).", WHEN, NULL, NULL},
    {"workload.optimizer.grad_bytes", F_QTY, DIM_BYTES, OFF(opt.grad_reduce_B), 0, NULL, "4 B", 0, 64, true,
     "Bytes per gradient element in the gradient buffer and its reduction (4: fp32 main gradients, the "
     "Megatron-LM default; 2: fp16/bf16).",
     WHEN, NULL, NULL},
    {"workload.optimizer.state_bytes", F_QTY, DIM_BYTES, OFF(opt.state_B), 0, NULL, "12 B", 0, 1024, false,
     "Optimizer state per parameter: fp32 master weights and Adam's two moments = 12 B (Rajbhandari et al., "
     "ZeRO, 2020).",
     WHEN, NULL, NULL},
    {"workload.optimizer.step_traffic", F_QTY, DIM_BYTES, OFF(opt.step_traffic_B), 0, NULL, "30 B", 0, 1024, false,
     "HBM bytes the optimizer step moves per parameter it updates: read and write master weight, two moments "
     "(24 B), read the fp32 gradient (4 B), write the bf16 weight (2 B).",
     WHEN, NULL, NULL},
    {"workload.efficiency.gemm", F_QTY, DIM_NONE, OFF(eff.gemm), 0, NULL, "0.64", 0, 1, true,
     "Achieved fraction of peak FLOP/s of dense matmuls over a whole training step (launch gaps, wave "
     "quantisation and communication kernels sharing the SMs included). Default calibrated once on the ten "
     "rows of Megatron-LM's Table 1 (docs/validation.md, docs/sources.md).",
     WHEN, NULL, NULL},
    {"workload.efficiency.attention", F_QTY, DIM_NONE, OFF(eff.attention), 0, NULL, "0.55", 0, 1, true,
     "Achieved fraction of peak FLOP/s of the attention core; default within the 50-73% FlashAttention-2 reaches "
     "on A100 (Dao 2023; docs/sources.md).",
     WHEN, NULL, NULL},
    {"workload.efficiency.memory", F_QTY, DIM_NONE, OFF(eff.memory), 0, NULL, "0.80", 0, 1, true,
     "Achieved fraction of HBM bandwidth of memory-bound kernels (norms, softmax, elementwise, optimizer); "
     "default an estimate for streaming kernels (docs/sources.md).",
     WHEN, NULL, NULL},
    {"workload.efficiency.kernel_overhead", F_QTY, DIM_TIME, OFF(eff.kernel_s), 0, NULL, "0 s", 0, 1, false,
     "Fixed time added to every kernel (launch and tail). 0 by default: the calibrated gemm efficiency already "
     "covers it at the sizes of Table 1 (docs/sources.md).",
     WHEN, NULL, NULL},
    {"workload.collectives.tp", F_ENUM, DIM_NONE, OFF(alg.tp), 0, REDUCE_ALGS, "auto", 0, 0, false,
     "Algorithm of tensor-parallel collectives (`auto` picks by size and group, NCCL-like).", WHEN, NULL, NULL},
    {"workload.collectives.cp", F_ENUM, DIM_NONE, OFF(alg.cp), 0, REDUCE_ALGS, "auto", 0, 0, false,
     "Algorithm of context-parallel all-gathers and reduce-scatters.", WHEN, NULL, NULL},
    {"workload.collectives.ep", F_ENUM, DIM_NONE, OFF(alg.ep), 0, A2A_ALGS, "auto", 0, 0, false,
     "Algorithm of expert-parallel all-to-alls.", WHEN, NULL, NULL},
    {"workload.collectives.dp", F_ENUM, DIM_NONE, OFF(alg.dp), 0, REDUCE_ALGS, "auto", 0, 0, false,
     "Algorithm of gradient reductions, parameter all-gathers and the embedding all-reduce.", WHEN, NULL, NULL},
    {"workload.replay", F_STR, DIM_NONE, OFF(replay), sizeof(((training_spec *)0)->replay), NULL, "", 0, 0, false,
     "Op-list file to replay instead of generating operators (format in docs/training.md); relative paths start "
     "at the scenario's folder. The parallel degrees and placement still define the ranks and the tp/cp/ep/dp "
     "groups the list names.",
     WHEN, NULL, NULL},
    {"workload.symmetry", F_ENUM, DIM_NONE, OFF(symmetry), 0, SYMMETRY, "auto", 0, 0, false,
     "`auto`: at analytic fidelity, simulate one rank per pipeline stage when every group of a kind is priced "
     "alike (exact; docs/training.md); `off`: simulate every rank.",
     WHEN, NULL, NULL},
    {"workload.memory_check", F_BOOL, DIM_NONE, OFF(memory_check), 0, NULL, "true", 0, 0, false,
     "Refuse a configuration whose estimated memory per accelerator exceeds hardware.accelerator.hbm_capacity.",
     WHEN, NULL, NULL},
    {"workload.collective_log", F_ENUM, DIM_NONE, OFF(collective_log), 0, LOGS, "all", 0, 0, false,
     "Rows of /training/collectives: `all` writes every call of every group; `representative` writes, for "
     "each set of groups whose calls were provably identical (a collapsed run, docs/training.md), only the "
     "first group's calls and counts the others in the `groups` column (millions of rows fewer on large jobs).",
     WHEN, NULL, NULL},
};

/* Keys that only shape generated operators: a replayed op list must leave them at their defaults. */
static const char *const GENERATION_ONLY[] = {
    "workload.micro_batch",          "workload.recompute",
    "workload.attention_kernel",     "workload.dropout",
    "workload.parallel.virtual_stages", "workload.parallel.sequence_parallel",
    "workload.optimizer.distributed", "workload.optimizer.overlap_grad_reduce",
    "workload.optimizer.bucket_params", "workload.optimizer.grad_bytes",
    "workload.optimizer.state_bytes", "workload.optimizer.step_traffic",
    "workload.memory_check",
};

static const field *find_field(const char *path)
{
    for (size_t i = 0; i < SCHEMA_NFIELDS(FIELDS); i++)
        if (!strcmp(FIELDS[i].path, path))
            return &FIELDS[i];
    return NULL;
}

static bool at_default(const scenario_t *sc, const field *f)
{
    scenario_t tmp;
    memcpy(&tmp, sc, sizeof tmp);
    diag_t err;
    if (schema_bind_scalar(&tmp, f, f->path, f->def, "<default>", 1, 1, &err))
        return false;
    char a[256], b[256];
    schema_format_value(sc, f, a, sizeof a);
    schema_format_value(&tmp, f, b, sizeof b);
    return strcmp(a, b) == 0;
}

static int check(scenario_t *sc, diag_t *err)
{
    if (sc->wl.kind != WL_TRAINING)
        return 0;
    const training_spec *t = &sc->wl.training;
    if (t->par.virtual_stages > 1 && t->par.pp < 2)
        return scenario_fail_at(sc, "workload.parallel.virtual_stages", err,
                                "virtual stages (%lld) need pipeline parallelism (workload.parallel.pp is 1)",
                                (long long)t->par.virtual_stages);
    if (t->par.sequence_parallel && t->alg.tp == 3)
        return scenario_fail_at(sc, "workload.collectives.tp", err,
                                "'dbtree' cannot run the reduce-scatter and all-gather of sequence parallelism");
    if (t->opt.distributed && t->alg.dp == 3)
        return scenario_fail_at(sc, "workload.collectives.dp", err,
                                "'dbtree' cannot run the reduce-scatter and all-gather of the distributed optimizer");
    if (t->alg.cp == 3)
        return scenario_fail_at(sc, "workload.collectives.cp", err,
                                "'dbtree' cannot run the all-gather and reduce-scatter of context parallelism");
    if (t->replay[0])
        for (size_t i = 0; i < sizeof GENERATION_ONLY / sizeof GENERATION_ONLY[0]; i++) {
            const field *f = find_field(GENERATION_ONLY[i]);
            if (f && !at_default(sc, f))
                return scenario_fail_at(sc, f->path, err,
                                        "'%s' shapes generated operators and does not apply when 'workload.replay' "
                                        "is set",
                                        f->path);
        }
    platform_t *plat = platform_build(sc, err);
    if (!plat)
        return -1;
    tr_layout L;
    int rc = tr_layout_init(&L, sc, plat, err);
    if (rc == 0) {
        if (t->replay[0]) {
            tr_replay R;
            char rpath[4096 + 256];
            tr_resolve_path(sc, t->replay, rpath, sizeof rpath);
            rc = tr_replay_load(&R, rpath, sc, &L, err);
            if (rc == 0)
                tr_replay_free(&R);
        } else {
            tr_model M;
            rc = tr_model_build(&M, sc, &L, err);
            bool built = rc == 0;
            if (rc == 0 && t->memory_check) {
                for (int64_t s = 0; s < M.pp && rc == 0; s++) {
                    const tr_stage *st = &M.stages[s];
                    double total = st->mem_weights_B + st->mem_grads_B + st->mem_optimizer_B + st->mem_act_B;
                    if (total > sc->accel.hbm_bytes) {
                        char a[32], w[32], g[32], o[32], ac[32], h[32];
                        units_format(total, DIM_BYTES, a, sizeof a);
                        units_format(st->mem_weights_B, DIM_BYTES, w, sizeof w);
                        units_format(st->mem_grads_B, DIM_BYTES, g, sizeof g);
                        units_format(st->mem_optimizer_B, DIM_BYTES, o, sizeof o);
                        units_format(st->mem_act_B, DIM_BYTES, ac, sizeof ac);
                        units_format(sc->accel.hbm_bytes, DIM_BYTES, h, sizeof h);
                        rc = scenario_fail_at(sc, "workload.parallel.pp", err,
                                              "pipeline stage %lld needs about %s per accelerator (weights %s, "
                                              "gradients %s, optimizer %s, activations %s), more than the %s of "
                                              "HBM; add parallelism, recomputation, or set workload.memory_check: "
                                              "false",
                                              (long long)s, a, w, g, o, ac, h);
                    }
                }
            }
            if (built)
                tr_model_free(&M);
        }
        tr_layout_free(&L);
    }
    platform_free(plat);
    return rc;
}

const schema_part schema_part_training = {"workload: training", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
