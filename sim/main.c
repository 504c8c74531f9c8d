/* oastwin: the command-line front end: dispatch to the commands. Only the commands (this file,
 * sim/runner.c and the sim/cmd_*.c files) print errors and decide exit codes: 0 success, 1 a
 * run-time failure (e.g. the trace cannot be written), 2 bad usage or a bad scenario. An
 * interrupted or failed run leaves nothing at the output path. */
#include <stdio.h>
#include <string.h>

#include "cmd_topo.h"
#include "runner.h"
#include "scenario.h"
#include "scorecard.h"
#include "sweep.h"
#include "version.h"

static const char USAGE[] =
    "usage: oastwin run SCENARIO [-o OUT.h5] [--set KEY=VALUE]... [--seed N] [--quiet] [--checkpoint-trace]\n"
    "                   [--max-trace SIZE]\n"
    "       oastwin validate SCENARIO [--set KEY=VALUE]... [--seed N]\n"
    "       oastwin bench SCENARIO [--ops LIST] [--sizes LO:HI] [--algorithm ALG] [--group G] [-o OUT.h5]\n"
    "       oastwin topo SCENARIO [--set KEY=VALUE]... [--seed N]\n"
    "       oastwin sweep SWEEP.yaml [-j N] [-o DIR]   (see 'oastwin sweep --help')\n"
    "       oastwin scorecard DESIGN.yaml [DESIGN2.yaml ...] [-o CARDS.h5] [--html CARDS.html] [-j N]\n"
    "       oastwin schema --markdown\n"
    "       oastwin --help | --version\n"
    "\n"
    "  run        simulate SCENARIO and write its HDF5 trace (default: output.path, or NAME.h5)\n"
    "  validate   check SCENARIO and describe what would be simulated; writes nothing\n"
    "  bench      nccl-tests-like sweep of collectives over message sizes on SCENARIO's machine\n"
    "             (its workload is ignored; see 'oastwin bench --help')\n"
    "  topo       print the machine's figures: switches per tier, links by medium, optics, bisection,\n"
    "             diameter, latency (nothing is simulated)\n"
    "  sweep      run every point of a sweep (locally with -j N, or under mpirun) and index them\n"
    "  scorecard  rate supernode designs with the OAS battery, side by side (docs/scorecard.md)\n"
    "  schema     print the scenario reference (every key, type, unit, default) as Markdown\n"
    "\n"
    "  -o, --output FILE   trace file to write (replaces output.path)\n"
    "  --set KEY=VALUE     override one scenario value, e.g. --set topology.planes=8 (repeatable)\n"
    "  --seed N            override the scenario's seed\n"
    "  -q, --quiet         no progress and no summary on stdout (the cost line remains on stderr)\n"
    "  --checkpoint-trace  on SIGINT/SIGTERM, stop and write a valid partial trace marked incomplete\n"
    "                      (root attribute complete = 0) instead of writing nothing\n"
    "  --max-trace SIZE    stop with an error (exit 1, no file) once the trace holds more than SIZE, e.g.\n"
    "                      '500 MB'; default: the output's free disk space or half the free memory\n"
    "\n"
    "Exit status: 0 success, 1 run-time failure, 2 bad usage or bad scenario.\n";

/* `run` and `validate`: load the scenario as written, then the shared runner (sim/runner.c). */
static int cmd_run(const runner_cli *c, bool validate_only)
{
    double wall0 = runner_wall_seconds();
    diag_t err = {{0}};
    scenario_t sc;
    if (scenario_load(c->scenario, c->sets, c->nsets, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    int rc = runner_run(&sc, c, NULL, validate_only, NULL, NULL, wall0);
    scenario_free(&sc);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("oastwin %s (trace schema %d, scenario schema %d)\n", OASTWIN_VERSION, OASTWIN_TRACE_SCHEMA_VERSION,
               SCENARIO_SCHEMA_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "schema")) {
        if (argc == 3 && !strcmp(argv[2], "--markdown")) {
            scenario_schema_markdown(stdout);
            return 0;
        }
        return runner_usage_error("%s", "usage: oastwin schema --markdown");
    }
    if (!strcmp(argv[1], "sweep"))
        return sweep_main(argc - 1, argv + 1);
    if (!strcmp(argv[1], "bench"))
        return cmd_bench(argc, argv);
    if (!strcmp(argv[1], "topo"))
        return cmd_topo(argc, argv);
    if (!strcmp(argv[1], "scorecard"))
        return scorecard_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") && strcmp(argv[1], "validate"))
        return runner_usage_error("unknown command '%s'", argv[1]);
    runner_cli c = {0};
    int rc = runner_parse_args(argc, argv, &c, NULL, NULL);
    if (rc == 0)
        rc = cmd_run(&c, !strcmp(c.cmd, "validate"));
    runner_cli_free(&c);
    return rc;
}
