/* libFuzzer target: the training op-list reader (tr_replay_load, models/workload/training_replay.c)
 * for a fixed 8-rank job (TP 2 x PP 2 x DP 2, tied embeddings) set up once. Any input must load
 * or fail with "FILE:LINE:COL: error: ..."; a load must give every rank the same iteration count
 * and only dependencies on earlier ops of the same rank. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_entry.h"
#include "platform.h"
#include "scenario.h"
#include "workload/training_impl.h"

static const char JOB[] = "schema_version: 1\nname: fuzz-oplist\n"
                          "hardware:\n  accelerator:\n    peak_flops: 300 TFLOPS\n    hbm_capacity: 80 GB\n"
                          "    hbm_bandwidth: 2 TB/s\n    idle_power: 100 W\n    max_power: 400 W\n"
                          "topology:\n  accelerators: 8\n  link:\n    bandwidth: 50 GB/s\n    latency: 150 ns\n"
                          "  switch:\n    latency: 200 ns\n"
                          "workload:\n  kind: training\n  model:\n    layers: 4\n    hidden: 1024\n    heads: 16\n"
                          "    vocab: 32000\n    seq_len: 1024\n    tied_embeddings: true\n  global_batch: 8\n"
                          "  parallel:\n    tp: 2\n    pp: 2\n    dp: 2\n"
                          "run:\n  fidelity: analytic\n";

static scenario_t SC;
static tr_layout LAYOUT;

static void setup(void)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/oastwin-fuzz-job-%d.yaml", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fputs(JOB, f);
    fclose(f);
    diag_t err;
    if (scenario_load(path, NULL, 0, &SC, &err)) {
        fprintf(stderr, "fuzz_oplist: the fixed job does not load: %s\n", err.msg);
        abort();
    }
    unlink(path);
    platform_t *plat = platform_build(&SC, &err); /* the layout keeps what it needs of it */
    if (!plat || tr_layout_init(&LAYOUT, &SC, plat, &err)) {
        fprintf(stderr, "fuzz_oplist: the fixed job has no layout: %s\n", err.msg);
        abort();
    }
    platform_free(plat);
}

static void check_loaded(const tr_replay *R)
{
    if (R->nranks != LAYOUT.n || R->iterations < 1)
        abort();
    for (int32_t r = 0; r < R->nranks; r++) {
        int32_t iters = 0;
        for (int32_t i = 0; i < R->nops[r]; i++) {
            const tr_rop *op = &R->ops[r][i];
            iters += op->kind == TRR_ITER;
            if (op->stream < 0 || op->stream >= R->nstreams[r] || (i && op->id <= R->ops[r][i - 1].id))
                abort();
            for (int32_t d = 0; d < op->ndeps; d++)
                if (op->deps[d] < 0 || op->deps[d] >= i)
                    abort();
        }
        if (iters != R->iterations)
            abort();
    }
}

int fuzz_one_oplist(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    if (size > (1u << 20))
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/tmp/oastwin-fuzz-oplist-%d.ops", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    tr_replay R;
    diag_t err;
    err.msg[0] = '\0';
    if (tr_replay_load(&R, path, &SC, &LAYOUT, &err) == 0) {
        check_loaded(&R);
        tr_replay_free(&R);
    } else if (strncmp(err.msg, path, strlen(path)) != 0 && strncmp(err.msg, "out of memory", 13) != 0) {
        abort(); /* a failure is "FILE:LINE:COL: error: ..." */
    }
    unlink(path);
    return 0;
}
