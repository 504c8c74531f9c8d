/* The runner: what every simulating command shares once its scenario is loaded (`run`,
 * `validate`, `bench`): the common options, the platform, the workload's platform check, the
 * trace's provenance, signals, the engine, the atomic trace write, the report and the cost line.
 * Only the commands print and choose exit codes: 0 success, 1 run-time failure, 2 bad usage or
 * bad scenario, 128 + signal after a checkpointed interruption.
 * Ownership: runner_parse_args() fills a caller-owned runner_cli; runner_cli_free() frees it. */
#ifndef OAS_RUNNER_H
#define OAS_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "platform.h"
#include "scenario.h"
#include "trace.h"

typedef struct runner_cli {
    const char *cmd;      /* "run", "validate", "bench" */
    const char *scenario;
    const char *output;   /* -o; NULL: the command's default */
    const char **sets;    /* --set (and --seed as "seed=N"), in order */
    size_t nsets;
    bool quiet;
    bool checkpoint_trace;
    double max_trace_B;   /* --max-trace; 0: the output's free disk space or half the free memory */
    char seedbuf[64];
} runner_cli;

/* A command's own options: offered ARGV[I] before the shared ones; returns how many entries it
 * consumed (1 or 2), 0 when ARGV[I] is not its option, or -1 after printing a usage error. */
typedef int (*runner_opt_fn)(void *ctx, int argc, char **argv, int i);

/* Prints "oastwin: error: FMT" (FMT takes ARG) and the usage hint; returns 2. */
int runner_usage_error(const char *fmt, const char *arg);
/* Parses ARGV[2..] (ARGV[1] is the command): SCENARIO, -o, --set, --seed, -q, --checkpoint-trace,
 * --max-trace and EXTRA's options (EXTRA may be NULL). Returns 0, or 2 after printing a usage error. */
int runner_parse_args(int argc, char **argv, runner_cli *c, runner_opt_fn extra, void *ctx);
void runner_cli_free(runner_cli *c);

/* What a command prints on stdout after a successful run unless --quiet; NULL prints /summary. */
typedef void (*runner_report_fn)(void *ctx, trace_t *t, const scenario_t *sc, const char *out_path);

/* Simulates SC (loaded by the command; borrowed) and writes its trace at C->output, or at
 * DEFAULT_OUT when NULL (NULL: the scenario's output.path). VALIDATE_ONLY describes the
 * machine and workload instead of running. WALL0 is runner_wall_seconds() when the command
 * started (for the cost line). Returns the exit status. */
int runner_run(const scenario_t *sc, const runner_cli *c, const char *default_out, bool validate_only,
               runner_report_fn report, void *report_ctx, double wall0);

/* runner_run with a say on the machine: PREPARE changes the built platform before the
 * workload's check and the run (failing links, say) and returns 0, or -1 with ERR (a bad
 * request: exit 2, nothing written); ANNOTATE adds to the trace before the run. Either may be
 * NULL. */
typedef struct runner_hooks {
    int (*prepare)(void *ctx, platform_t *p, diag_t *err);
    int (*annotate)(void *ctx, trace_t *t);
    void *ctx;
} runner_hooks;
int runner_run_hooked(const scenario_t *sc, const runner_cli *c, const char *default_out, bool validate_only,
                      runner_report_fn report, void *report_ctx, const runner_hooks *hooks, double wall0);
double runner_wall_seconds(void);

/* `oastwin bench` (sim/cmd_bench.c): ARGV[1] is "bench". Returns the exit status. */
int cmd_bench(int argc, char **argv);

#endif
