/* oastwin: the command-line front end. Only this file prints errors and decides exit codes:
 * 0 success, 1 a run-time failure (e.g. the trace cannot be written), 2 bad usage or a bad
 * scenario. An interrupted or failed run leaves nothing at the output path. */
#include <errno.h>
#include <libgen.h>
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
#include "scenario.h"
#include "sha256.h"
#include "trace.h"
#include "version.h"
#include "workload/workload.h"

static const char USAGE[] =
    "usage: oastwin run SCENARIO [-o OUT.h5] [--set KEY=VALUE]... [--seed N] [--quiet]\n"
    "       oastwin validate SCENARIO [--set KEY=VALUE]... [--seed N]\n"
    "       oastwin schema --markdown\n"
    "       oastwin --help | --version\n"
    "\n"
    "  run        simulate SCENARIO and write its HDF5 trace (default: output.path, or NAME.h5)\n"
    "  validate   check SCENARIO and describe what would be simulated; writes nothing\n"
    "  schema     print the scenario reference (every key, type, unit, default) as Markdown\n"
    "\n"
    "  -o, --output FILE   trace file to write (replaces output.path)\n"
    "  --set KEY=VALUE     override one scenario value, e.g. --set topology.planes=8 (repeatable)\n"
    "  --seed N            override the scenario's seed\n"
    "  -q, --quiet         no progress and no summary on stdout (the cost line remains on stderr)\n"
    "\n"
    "Exit status: 0 success, 1 run-time failure, 2 bad usage or bad scenario.\n";

typedef struct cli {
    const char *cmd;
    const char *scenario;
    const char *output;
    const char **sets;
    size_t nsets;
    bool quiet;
} cli;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "oastwin: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run 'oastwin --help' for usage)\n");
    return 2;
}

static int parse_args(int argc, char **argv, cli *c, char *seedbuf, size_t seedlen)
{
    c->sets = calloc((size_t)argc + 1, sizeof *c->sets);
    if (!c->sets)
        return usage_error("%s", "out of memory");
    c->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
            c->output = argv[++i];
        } else if (!strcmp(a, "--set") && i + 1 < argc) {
            c->sets[c->nsets++] = argv[++i];
        } else if (!strncmp(a, "--set=", 6)) {
            c->sets[c->nsets++] = a + 6;
        } else if (!strcmp(a, "--seed") && i + 1 < argc) {
            const char *v = argv[++i];
            char *end;
            errno = 0;
            unsigned long long s = strtoull(v, &end, 10);
            if (!*v || *end || errno || v[0] == '-')
                return usage_error("--seed needs a non-negative integer, not '%s'", v);
            snprintf(seedbuf, seedlen, "seed=%llu", s);
            c->sets[c->nsets++] = seedbuf;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            c->quiet = true;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown or incomplete option '%s'", a);
        } else if (!c->scenario) {
            c->scenario = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (!c->scenario)
        return usage_error("'%s' needs a SCENARIO file", c->cmd);
    return 0;
}

static void on_signal(int sig)
{
    trace_abort_pending();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int check_output_dir(const char *out)
{
    char *copy = strdup(out);
    if (!copy)
        return -1;
    const char *dir = dirname(copy);
    int ok = access(dir, W_OK | X_OK);
    if (ok != 0)
        fprintf(stderr, "oastwin: error: cannot write the trace '%s': directory '%s': %s\n", out, dir,
                strerror(errno));
    free(copy);
    return ok;
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
                printf("  %-40s %-14.6g %s\n", figs[i].name, figs[i].value,
                       strcmp(figs[i].unit, "1") ? figs[i].unit : "");
        }
    }
    free(figs);
    h5r_close(f);
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmd_run(const cli *c, bool validate_only)
{
    double wall0 = wall_seconds();
    diag_t err = {{0}};
    scenario_t sc;
    if (scenario_load(c->scenario, c->sets, c->nsets, &sc, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    int rc = 2;
    platform_t *plat = platform_build(&sc, &err);
    if (!plat) {
        fprintf(stderr, "%s\n", err.msg);
        goto out_scenario;
    }
    if (validate_only) {
        scenario_describe(&sc, stdout);
        platform_describe(plat, stdout);
        workload_for(&sc)->describe(&sc, stdout);
        rc = 0;
        goto out_platform;
    }
    const char *out = c->output ? c->output : sc.out.path;
    rc = 1;
    if (check_output_dir(out))
        goto out_platform;
    trace_t *t = trace_new();
    if (!t) {
        fprintf(stderr, "oastwin: error: out of memory\n");
        goto out_platform;
    }
    char sha[65], created[32];
    sha256_hex(sc.resolved_text, strlen(sc.resolved_text), sha);
    /* SOURCE_DATE_EPOCH (reproducible-builds convention) pins 'created', making whole files
     * byte-identical for the same scenario and seed. */
    time_t now = time(NULL);
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch && *epoch)
        now = (time_t)strtoll(epoch, NULL, 10);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    trace_attr_i64(t, "schema_version", OASTWIN_TRACE_SCHEMA_VERSION);
    trace_attr_str(t, "software_version", OASTWIN_VERSION);
    trace_attr_i64(t, "seed", (int64_t)sc.seed);
    trace_attr_str(t, "scenario_sha256", sha);
    trace_attr_str(t, "created", created);
    trace_attr_str(t, "name", sc.name);
    trace_text(t, "/scenario/source", sc.source_text, "the scenario file, verbatim");
    trace_text(t, "/scenario/resolved", sc.resolved_text,
               "the resolved scenario: every key with its effective value in SI units, after --set");
    trace_summary_str(t, "fidelity", fidelity_name(sc.run.fidelity), "network fidelity of the run");
    if (platform_to_trace(plat, t)) {
        fprintf(stderr, "oastwin: error: out of memory\n");
        goto out_trace;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    engine_opts opts = {.progress = !c->quiet && isatty(STDERR_FILENO)};
    engine_stats st;
    if (engine_run(&sc, plat, t, &opts, &st, &err)) {
        fprintf(stderr, "oastwin: error: %s\n", err.msg);
        goto out_trace;
    }
    if (st.stopped_early)
        trace_summary_str(t, "stop_reason", "run.stop.sim_time reached", "why the run ended");
    else
        trace_summary_str(t, "stop_reason", "workload complete", "why the run ended");
    trace_summary_i64(t, "transfers", (int64_t)st.transfers, "1", "point-to-point transfers simulated");
    if (trace_write(t, out, &err)) {
        fprintf(stderr, "oastwin: error: cannot write the trace: %s\n", err.msg);
        goto out_trace;
    }
    if (!c->quiet)
        print_summary(out);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr,
            "[oastwin] cost: simulated %.6g s in %.3f s wall; %llu transfers, %llu actors; peak memory %.1f MiB\n",
            st.sim_time_s, wall_seconds() - wall0, (unsigned long long)st.transfers, (unsigned long long)st.actors,
            (double)ru.ru_maxrss / 1024.0);
    rc = 0;
out_trace:
    trace_free(t);
out_platform:
    platform_free(plat);
out_scenario:
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
        return usage_error("%s", "usage: oastwin schema --markdown");
    }
    if (strcmp(argv[1], "run") && strcmp(argv[1], "validate"))
        return usage_error("unknown command '%s'", argv[1]);
    cli c = {0};
    char seedbuf[64];
    int rc = parse_args(argc, argv, &c, seedbuf, sizeof seedbuf);
    if (rc == 0)
        rc = cmd_run(&c, !strcmp(c.cmd, "validate"));
    free(c.sets);
    return rc;
}
