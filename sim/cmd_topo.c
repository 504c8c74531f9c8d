/* `oastwin topo SCENARIO [--set KEY=VALUE]... [--seed N]`: builds the scenario's platform and
 * prints its figures (switch chips per tier, links by medium, optical modules and power,
 * bisection, diameter, latency). The workload section is neither read nor required: it is
 * replaced, as `oastwin bench` does, by a one-size collbench that nothing runs. Nothing is
 * simulated and nothing is written; the same figures are in /topology of every trace. */
#include "cmd_topo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "scenario.h"

static const char TOPO_USAGE[] =
    "usage: oastwin topo SCENARIO [--set KEY=VALUE]... [--seed N]\n"
    "\n"
    "Prints the machine SCENARIO describes: accelerators, switch chips per tier, links by medium,\n"
    "optical modules and their power, bisection bandwidth, diameter, and the mean and worst\n"
    "accelerator-to-accelerator route latency (over every pair, or a seeded sample of 2^18 pairs\n"
    "past 2^20). The scenario's workload section is ignored. Nothing is simulated or written.\n"
    "\n"
    "Exit status: 0 success, 1 run-time failure, 2 bad usage or bad scenario.\n";

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "oastwin: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run 'oastwin topo --help' for usage)\n");
    return 2;
}

int cmd_topo(int argc, char **argv)
{
    const char *path = NULL;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    char seedbuf[64];
    size_t nsets = 0;
    int rc = 2;
    if (!sets)
        return usage("%s", "out of memory");
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(TOPO_USAGE, stdout);
            rc = 0;
            goto out;
        } else if (!strcmp(a, "--set") && i + 1 < argc) {
            sets[nsets++] = argv[++i];
        } else if (!strncmp(a, "--set=", 6)) {
            sets[nsets++] = a + 6;
        } else if (!strcmp(a, "--seed") && i + 1 < argc) {
            const char *v = argv[++i];
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (!*v || *end || errno || v[0] == '-') {
                rc = usage("--seed needs a non-negative integer, not '%s'", v);
                goto out;
            }
            snprintf(seedbuf, sizeof seedbuf, "seed=%llu", s);
            sets[nsets++] = seedbuf;
        } else if (a[0] == '-' && a[1]) {
            rc = usage("unknown or incomplete option '%s'", a);
            goto out;
        } else if (!path) {
            path = a;
        } else {
            rc = usage("unexpected argument '%s'", a);
            goto out;
        }
    }
    if (!path) {
        rc = usage("%s", "'topo' needs a SCENARIO file");
        goto out;
    }
    static const scenario_override OWN[] = {{"topo", "workload.kind=collbench"},
                                            {"topo", "workload.bench.sizes=1KiB"}};
    diag_t err = {{0}};
    scenario_t sc;
    if (scenario_load_replacing(path, "workload", OWN, sizeof OWN / sizeof OWN[0], sets, nsets, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    platform_t *p = platform_build(&sc, &err);
    if (!p) {
        fprintf(stderr, "%s\n", err.msg);
        scenario_free(&sc);
        goto out;
    }
    platform_figures f;
    if (platform_figures_get(p, &f)) {
        fprintf(stderr, "oastwin: error: out of memory\n");
        rc = 1;
    } else {
        printf("# oastwin topo %s: '%s', accelerator %s\n", path, sc.name, sc.accel.name);
        platform_report(p, &f, stdout);
        rc = 0;
    }
    platform_free(p);
    scenario_free(&sc);
out:
    free(sets);
    return rc;
}
