/* `oastwin scorecard run-degraded SCENARIO --down LIST`: one sub-run of the battery's resilience
 * category. Like `oastwin run`, with two differences: the workload section is built from the
 * --set workload.* overrides only (as `oastwin bench` does, so a design without a workload runs),
 * and the physical links of LIST are failed (no bandwidth) before the simulation starts, so every
 * collective whose route crosses them runs on what is left of its bundles.
 * Invariant: a run whose failed links would leave a simulated link with no bandwidth at all is
 * refused (static routes cannot avoid it; the run would never end), and nothing is written. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "h5read.h"
#include "platform.h"
#include "runner.h"
#include "scenario.h"
#include "scorecard.h"
#include "sha256.h"
#include "version.h"
#include "workload/workload.h"

static const char USAGE[] =
    "usage: oastwin scorecard run-degraded SCENARIO --down LIST [-o OUT.h5] [--set KEY=VALUE]... [--seed N] [-q]\n"
    "\n"
    "One resilience sub-run of the scorecard battery: simulates SCENARIO with the physical links of LIST\n"
    "(ids of /topology/links, e.g. 3,7-9; 'none' for none) failed, and writes its trace. The workload\n"
    "comes from the --set workload.* overrides only (any workload section of the file is ignored).\n";

typedef struct down_ctx {
    const char *list;
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

static void on_signal(int sig)
{
    trace_abort_pending();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* What every trace carries (as sim/runner.c writes it). */
static void provenance(trace_t *t, const scenario_t *sc)
{
    char sha[65], created[32];
    sha256_hex(sc->resolved_text, strlen(sc->resolved_text), sha);
    time_t now = time(NULL);
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch && *epoch)
        now = (time_t)strtoll(epoch, NULL, 10);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    trace_attr_i64(t, "schema_version", OASTWIN_TRACE_SCHEMA_VERSION);
    trace_attr_str(t, "software_version", OASTWIN_VERSION);
    trace_attr_i64(t, "seed", (int64_t)sc->seed);
    trace_attr_str(t, "scenario_sha256", sha);
    trace_attr_str(t, "created", created);
    trace_attr_str(t, "name", sc->name);
    trace_text(t, "/scenario/source", sc->source_text, "the scenario file, verbatim");
    trace_text(t, "/scenario/resolved", sc->resolved_text,
               "the resolved scenario: every key with its effective value in SI units, after --set");
    trace_summary_str(t, "fidelity", fidelity_name(sc->run.fidelity), "network fidelity of the run");
}

/* Fails LINKS on P; -1 with ERR when an id is unknown or a simulated link is left with nothing. */
static int fail_links(platform_t *p, const int64_t *links, size_t n, diag_t *err)
{
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

static void print_summary(const char *path)
{
    diag_t err;
    h5r_file *f = h5r_open(path, &err);
    if (!f)
        return;
    h5r_figure *figs = NULL;
    size_t n = 0;
    if (h5r_summary(f, &figs, &n, &err) == 0) {
        printf("summary (%s):\n", path);
        for (size_t i = 0; i < n; i++) {
            if (figs[i].is_text)
                printf("  %-40s %s\n", figs[i].name, figs[i].text);
            else
                printf("  %-40s %-14.6g %s\n", figs[i].name, figs[i].value, strcmp(figs[i].unit, "1") ? figs[i].unit : "");
        }
    }
    free(figs);
    h5r_close(f);
}

int sc_degraded_main(int argc, char **argv)
{
    if (argc >= 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        fputs(USAGE, stdout);
        return 0;
    }
    double wall0 = runner_wall_seconds();
    down_ctx dc = {NULL};
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
    int64_t *links = NULL;
    size_t nlinks = 0;
    if (strcmp(dc.list, "none") && sc_links_parse(dc.list, &links, &nlinks, &err)) {
        runner_cli_free(&c);
        return runner_usage_error("%s", err.msg);
    }
    scenario_t sc;
    if (scenario_load_replacing(c.scenario, "workload", NULL, 0, c.sets, c.nsets, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        free(links);
        runner_cli_free(&c);
        return 2;
    }
    rc = 2;
    trace_t *t = NULL;
    platform_t *p = platform_build(&sc, &err);
    if (!p || fail_links(p, links, nlinks, &err) || workload_check(&sc, p, &err)) {
        fprintf(stderr, "%s%s\n", strstr(err.msg, "error: ") ? "" : "oastwin: error: ", err.msg);
        goto out;
    }
    const char *out = c.output ? c.output : sc.out.path;
    rc = 1;
    t = trace_new();
    if (!t) {
        fprintf(stderr, "oastwin: error: out of memory\n");
        goto out;
    }
    provenance(t, &sc);
    if (platform_to_trace(p, t)) {
        fprintf(stderr, "oastwin: error: out of memory\n");
        goto out;
    }
    char *text = sc_links_format(links, nlinks);
    trace_text(t, "/degraded/links", text ? text : "", "physical links failed before the run (ids of /topology/links)");
    free(text);
    trace_summary_i64(t, "degraded_links", (int64_t)nlinks, "1", "physical links failed before the run");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    engine_opts opts = {.progress = !c.quiet && isatty(STDERR_FILENO), .on_signal = on_signal};
    engine_stats st;
    if (engine_run(&sc, p, t, &opts, &st, &err)) {
        fprintf(stderr, "oastwin: error: %s\n", err.msg);
        goto out;
    }
    trace_summary_str(t, "stop_reason", st.stopped_early ? "run.stop.sim_time reached" : "workload complete",
                      "why the run ended");
    trace_attr_i64(t, "complete", 1);
    trace_summary_i64(t, "transfers", (int64_t)st.transfers, "1", "point-to-point transfers simulated");
    if (trace_write(t, out, &err)) {
        fprintf(stderr, "oastwin: error: cannot write the trace: %s\n", err.msg);
        goto out;
    }
    if (!c.quiet)
        print_summary(out);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr,
            "[oastwin] cost: simulated %.6g s in %.3f s wall; %llu transfers, %llu actors; peak memory %.1f MiB\n",
            st.sim_time_s, runner_wall_seconds() - wall0, (unsigned long long)st.transfers,
            (unsigned long long)st.actors, (double)ru.ru_maxrss / 1024.0);
    rc = 0;
out:
    trace_free(t);
    platform_free(p);
    scenario_free(&sc);
    free(links);
    runner_cli_free(&c);
    return rc;
}
