/* `oastwin scorecard run-degraded SCENARIO --down LIST`: one sub-run of the battery's resilience
 * category. Like `oastwin run`, with two differences: the workload section is built from the
 * --set workload.* overrides only (as `oastwin bench` does, so a design without a workload runs),
 * and the physical links of LIST are failed (no bandwidth) before the simulation starts, so every
 * collective whose route crosses them runs on what is left of its bundles.
 * The run itself is `oastwin run`'s (runner_run_hooked), with the links failed by its prepare
 * hook. Invariant: a run whose failed links would leave a simulated link with no bandwidth at all
 * is refused (static routes cannot avoid it; the run would never end), and nothing is written. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "runner.h"
#include "scenario.h"
#include "scorecard.h"

static const char USAGE[] =
    "usage: oastwin scorecard run-degraded SCENARIO --down LIST [-o OUT.h5] [--set KEY=VALUE]... [--seed N] [-q]\n"
    "\n"
    "One resilience sub-run of the scorecard battery: simulates SCENARIO with the physical links of LIST\n"
    "(ids of /topology/links, e.g. 3,7-9; 'none' for none) failed, and writes its trace. The workload\n"
    "comes from the --set workload.* overrides only (any workload section of the file is ignored).\n";

typedef struct down_ctx {
    const char *list;
    int64_t *links;
    size_t nlinks;
} down_ctx;

static int down_option(void *ctx, int argc, char **argv, int i)
{
    down_ctx *d = ctx;
    if (!strcmp(argv[i], "--down")) {
        if (i + 1 >= argc) {
            runner_usage_error("%s", "'--down' needs a link list");
            return -1;
        }
        d->list = argv[i + 1];
        return 2;
    }
    if (!strncmp(argv[i], "--down=", 7)) {
        d->list = argv[i] + 7;
        return 1;
    }
    return 0;
}

/* Fails the links of CTX on P; -1 with ERR when an id is unknown or a simulated link is left
 * with nothing. */
static int fail_links(void *ctx, platform_t *p, diag_t *err)
{
    const down_ctx *d = ctx;
    const int64_t *links = d->links;
    size_t n = d->nlinks;
    int64_t np = platform_nphys_links(p);
    for (size_t i = 0; i < n; i++) {
        uint32_t changed[2];
        if (links[i] >= np)
            return diag_fail(err, "--down: link %lld does not exist (the platform has %lld physical links)",
                             (long long)links[i], (long long)np);
        if (platform_link_degrade(p, links[i], 0.0, changed, 2) < 0)
            return diag_fail(err, "--down: cannot fail link %lld", (long long)links[i]);
    }
    const double *bw = platform_link_bw(p);
    for (size_t i = 0; i < platform_nlinks(p); i++)
        if (!(bw[i] > 0)) {
            char name[128];
            platform_link_name(p, (uint32_t)i, name, sizeof name);
            return diag_fail(err,
                             "--down: the failed links leave simulated link '%s' with no bandwidth; its routes "
                             "are static, so traffic on it could never finish",
                             name);
        }
    return 0;
}

/* /degraded/links and the count, next to the run's own figures. */
static int annotate(void *ctx, trace_t *t)
{
    const down_ctx *d = ctx;
    char *text = sc_links_format(d->links, d->nlinks);
    trace_text(t, "/degraded/links", text ? text : "", "physical links failed before the run (ids of /topology/links)");
    free(text);
    trace_summary_i64(t, "degraded_links", (int64_t)d->nlinks, "1", "physical links failed before the run");
    return 0;
}

int sc_degraded_main(int argc, char **argv)
{
    if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        fputs(USAGE, stdout);
        return 0;
    }
    double wall0 = runner_wall_seconds();
    down_ctx dc = {NULL, NULL, 0};
    runner_cli c = {0};
    int rc = runner_parse_args(argc, argv, &c, down_option, &dc);
    if (rc) {
        runner_cli_free(&c);
        return rc;
    }
    if (!dc.list) {
        runner_cli_free(&c);
        return runner_usage_error("%s", "'scorecard run-degraded' needs --down LIST (or --down none)");
    }
    diag_t err = {{0}};
    if (strcmp(dc.list, "none") && sc_links_parse(dc.list, &dc.links, &dc.nlinks, &err)) {
        runner_cli_free(&c);
        return runner_usage_error("%s", err.msg);
    }
    scenario_t sc;
    if (scenario_load_replacing(c.scenario, "workload", NULL, 0, c.sets, c.nsets, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        free(dc.links);
        runner_cli_free(&c);
        return 2;
    }
    runner_hooks hooks = {fail_links, annotate, &dc};
    rc = runner_run_hooked(&sc, &c, NULL, false, NULL, NULL, &hooks, wall0);
    scenario_free(&sc);
    free(dc.links);
    runner_cli_free(&c);
    return rc;
}
