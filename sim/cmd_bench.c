/* `oastwin bench SCENARIO`: an nccl-tests-like sweep of collectives on the scenario's machine.
 * The scenario's hardware, topology and run sections are used as written; its workload
 * section is discarded and replaced by `workload.kind: collbench` built from the options
 * (scenario_load_replacing), so it is neither read nor required. Each option is the same as a
 * --set of the workload.bench key it names, and is checked by the same code before loading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "scenario.h"
#include "workload/collbench.h"

static const char BENCH_USAGE[] =
    "usage: oastwin bench SCENARIO [--ops LIST] [--sizes LO:HI] [--algorithm ALG] [--plane-algorithm ALG]\n"
    "                     [--group all|node|supernode] [-o OUT.h5] [--set KEY=VALUE]... [--seed N] [--quiet]\n"
    "\n"
    "Runs every operation of LIST at every size LO, 2 LO, 4 LO ... <= HI on the scenario's machine and prints\n"
    "time, algorithm bandwidth and bus bandwidth (nccl-tests definitions, GB = 1e9 B) beside the closed-form\n"
    "time of the same algorithm on an uncongested network; writes them to /bench in the trace.\n"
    "The scenario's workload section is ignored (replaced by workload.kind = collbench).\n"
    "\n"
    "  --ops LIST            allreduce,allgather,reducescatter,alltoall,broadcast,p2p (default: every\n"
    "                        operation the algorithm can do)                  [workload.bench.ops]\n"
    "  --sizes LO:HI         message sizes with units, e.g. 1KiB:4GiB (default) or one size\n"
    "                                                                         [workload.bench.sizes]\n"
    "  --algorithm ALG       auto (default), ring, dbtree, rhd, direct, pairwise, hier, multiplane, torus\n"
    "                                                                         [workload.bench.algorithm]\n"
    "  --plane-algorithm ALG what multiplane runs on its striped transfers (default auto)\n"
    "                                                                         [workload.bench.plane_algorithm]\n"
    "  --group G             all (default): one group of every accelerator; node / supernode: every node\n"
    "                        (supernode) is a group, all at once              [workload.bench.group]\n"
    "  -o, --output FILE     trace file (default: NAME-bench.h5, NAME the scenario's name)\n"
    "  --set, --seed, -q, --checkpoint-trace   as for 'oastwin run'\n"
    "\n"
    "Exit status: 0 success, 1 run-time failure, 2 bad usage or bad scenario.\n";

/* The options, as the workload.bench overrides they stand for. */
typedef struct bench_opts {
    char ops[200], sizes[140], alg[80], plane_alg[80], group[64];
    scenario_override own[6];
    size_t nown;
} bench_opts;

static const char *const GROUP_NAMES[] = {"all", "node", "supernode"};

/* Checks VALUE of OPTION; 0, or -1 after printing the error. */
static int check_value(const char *option, const char *value)
{
    char why[512];
    if (!strcmp(option, "--sizes")) {
        double lo, hi;
        if (collbench_parse_sizes(value, &lo, &hi, why, sizeof why) == 0)
            return 0;
    } else if (!strcmp(option, "--ops")) {
        coll_op ops[COLL_OP__COUNT];
        int32_t n;
        if (collbench_parse_ops(value, ops, &n, why, sizeof why) == 0)
            return 0;
    } else if (!strcmp(option, "--algorithm") || !strcmp(option, "--plane-algorithm")) {
        coll_alg a;
        if (coll_alg_parse(value, &a) == 0)
            return 0;
        snprintf(why, sizeof why,
                 "unknown algorithm '%s' (one of auto, ring, dbtree, rhd, direct, pairwise, hier, multiplane, torus)",
                 value);
    } else {
        for (size_t i = 0; i < sizeof GROUP_NAMES / sizeof GROUP_NAMES[0]; i++)
            if (!strcmp(value, GROUP_NAMES[i]))
                return 0;
        snprintf(why, sizeof why, "unknown group '%s' (one of all, node, supernode)", value);
    }
    fprintf(stderr, "oastwin: error: %s: %s\n(run 'oastwin bench --help' for usage)\n", option, why);
    return -1;
}

static int bench_option(void *ctx, int argc, char **argv, int i)
{
    bench_opts *o = ctx;
    static const struct {
        const char *name, *key;
        size_t off;
    } opts[] = {
        {"--ops", "workload.bench.ops", offsetof(bench_opts, ops)},
        {"--sizes", "workload.bench.sizes", offsetof(bench_opts, sizes)},
        {"--algorithm", "workload.bench.algorithm", offsetof(bench_opts, alg)},
        {"--plane-algorithm", "workload.bench.plane_algorithm", offsetof(bench_opts, plane_alg)},
        {"--group", "workload.bench.group", offsetof(bench_opts, group)},
    };
    const char *a = argv[i];
    for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        size_t len = strlen(opts[k].name);
        const char *value;
        int used;
        if (!strcmp(a, opts[k].name)) {
            if (i + 1 >= argc) {
                runner_usage_error("'%s' needs a value", a);
                return -1;
            }
            value = argv[i + 1];
            used = 2;
        } else if (!strncmp(a, opts[k].name, len) && a[len] == '=') {
            value = a + len + 1;
            used = 1;
        } else {
            continue;
        }
        if (check_value(opts[k].name, value))
            return -1;
        char *buf = (char *)o + opts[k].off;
        size_t cap = opts[k].off == offsetof(bench_opts, ops)     ? sizeof o->ops
                     : opts[k].off == offsetof(bench_opts, sizes) ? sizeof o->sizes
                     : opts[k].off == offsetof(bench_opts, group) ? sizeof o->group
                                                                   : sizeof o->alg;
        int w = snprintf(buf, cap, "%s=%s", opts[k].key, value);
        if (w < 0 || (size_t)w >= cap) {
            runner_usage_error("the value of '%s' is too long", opts[k].name);
            return -1;
        }
        /* a repeated option replaces the earlier one */
        size_t slot = o->nown;
        for (size_t s = 0; s < o->nown; s++)
            if (!strcmp(o->own[s].label, opts[k].name))
                slot = s;
        o->own[slot] = (scenario_override){opts[k].name, buf};
        if (slot == o->nown)
            o->nown++;
        return used;
    }
    return 0;
}

typedef struct report_ctx {
    const char *scenario_path;
} report_ctx;

static void bench_report(void *ctx, trace_t *t, const scenario_t *sc, const char *out)
{
    const report_ctx *r = ctx;
    printf("# oastwin bench %s: '%s', %s fidelity; trace %s\n", r->scenario_path, sc->name,
           fidelity_name(sc->run.fidelity), out);
    printf("# one simulated iteration per size, no warm-up: the simulation is deterministic, so repeats "
           "would give the same time\n");
    collbench_print(t, stdout);
    fflush(stdout); /* before the cost line on stderr */
}

int cmd_bench(int argc, char **argv)
{
    if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        fputs(BENCH_USAGE, stdout);
        return 0;
    }
    double wall0 = runner_wall_seconds();
    bench_opts o;
    memset(&o, 0, sizeof o);
    o.own[o.nown++] = (scenario_override){"bench", "workload.kind=collbench"};
    runner_cli c = {0};
    int rc = runner_parse_args(argc, argv, &c, bench_option, &o);
    if (rc) {
        runner_cli_free(&c);
        return rc;
    }
    for (size_t i = 0; i < c.nsets; i++)
        if (!strncmp(c.sets[i], "workload.kind=", 14)) {
            runner_cli_free(&c);
            return runner_usage_error("%s", "'oastwin bench' runs the collbench workload; --set workload.kind cannot "
                                            "change it (use 'oastwin run' for other workloads)");
        }
    diag_t err = {{0}};
    scenario_t sc;
    if (scenario_load_replacing(c.scenario, "workload", o.own, o.nown, c.sets, c.nsets, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        runner_cli_free(&c);
        return 2;
    }
    char def[sizeof sc.name + 16];
    snprintf(def, sizeof def, "%s-bench.h5", sc.name);
    report_ctx r = {c.scenario};
    rc = runner_run(&sc, &c, def, false, bench_report, &r, wall0);
    scenario_free(&sc);
    runner_cli_free(&c);
    return rc;
}
