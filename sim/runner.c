/* The runner shared by `run`, `validate` and `bench`: options, platform, workload check, trace
 * provenance, signals, engine, atomic trace write, report and cost line (moved out of main.c so
 * that every simulating command behaves the same). Invariant: an interrupted or failed run
 * leaves nothing at the output path, unless --checkpoint-trace asked for a partial trace. */
#include "runner.h"
#include "resilience/resilience.h"

#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "h5read.h"
#include "platform.h"
#include "sha256.h"
#include "version.h"
#include "workload/workload.h"

int runner_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "oastwin: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run 'oastwin --help' for usage)\n");
    return 2;
}

int runner_parse_args(int argc, char **argv, runner_cli *c, runner_opt_fn extra, void *ctx)
{
    c->sets = calloc((size_t)argc + 1, sizeof *c->sets);
    if (!c->sets)
        return runner_usage_error("%s", "out of memory");
    c->cmd = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int used = extra ? extra(ctx, argc, argv, i) : 0;
        if (used < 0)
            return 2;
        if (used > 0) {
            i += used - 1;
            continue;
        }
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
                return runner_usage_error("--seed needs a non-negative integer, not '%s'", v);
            snprintf(c->seedbuf, sizeof c->seedbuf, "seed=%llu", s);
            c->sets[c->nsets++] = c->seedbuf;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            c->quiet = true;
        } else if (!strcmp(a, "--checkpoint-trace")) {
            c->checkpoint_trace = true;
        } else if (!strcmp(a, "--max-trace") && i + 1 < argc) {
            const char *v = argv[++i];
            char why[256];
            if (units_parse(v, DIM_BYTES, &c->max_trace_B, why, sizeof why) || !(c->max_trace_B >= 1))
                return runner_usage_error("--max-trace needs a size such as '2 GB', not '%s'", v);
        } else if (a[0] == '-' && a[1]) {
            return runner_usage_error("unknown or incomplete option '%s'", a);
        } else if (!c->scenario) {
            c->scenario = a;
        } else {
            return runner_usage_error("unexpected argument '%s'", a);
        }
    }
    if (!c->scenario)
        return runner_usage_error("'%s' needs a SCENARIO file", c->cmd);
    return 0;
}

void runner_cli_free(runner_cli *c)
{
    free(c->sets);
    c->sets = NULL;
    c->nsets = 0;
}

static volatile sig_atomic_t signal_seen;

/* Default: nothing is written yet while simulating, so stop at once and remove any temporary
 * trace file being written. */
static void on_signal(int sig)
{
    trace_abort_pending();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* --checkpoint-trace: the first signal stops the simulation cleanly so a partial trace marked
 * incomplete is written; a second one stops at once. */
static void on_signal_checkpoint(int sig)
{
    if (signal_seen) {
        on_signal(sig);
        return;
    }
    signal_seen = sig;
    engine_interrupt();
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

/* The trace limit of a run writing OUT: --max-trace, else the smaller of the free space of
 * OUT's file system and half the memory available (tables and the HDF5 image are built in
 * memory before the file is written). WHY says which. 0 when neither can be read. */
static size_t trace_limit(const runner_cli *c, const char *out, char *why, size_t n)
{
    if (c->max_trace_B > 0) {
        snprintf(why, n, "set by --max-trace");
        return c->max_trace_B < (double)SIZE_MAX ? (size_t)c->max_trace_B : SIZE_MAX;
    }
    char *copy = strdup(out);
    const char *dir = copy ? dirname(copy) : ".";
    struct statvfs fs;
    double disk = statvfs(dir, &fs) == 0 ? (double)fs.f_bavail * (double)fs.f_frsize : INFINITY;
    double mem = engine_memory_available_B() / 2;
    if (disk <= mem)
        snprintf(why, n, "the free space of the file system of '%s'", dir);
    else
        snprintf(why, n, "half the memory available: the trace is built in memory before it is written");
    free(copy);
    double lim = disk < mem ? disk : mem;
    return isinf(lim) ? 0 : lim < (double)SIZE_MAX ? (size_t)lim : SIZE_MAX;
}

/* Refuses up front a run whose time series alone would outgrow LIMIT: with run.stop.sim_time
 * set, the samples are known, and each holds at least an /timeseries/activity row and, when
 * written, a row of the three per-accelerator matrices (power, junction temperature, pstate). */
static int check_trace_estimate(const scenario_t *sc, const platform_t *plat, size_t limit, const char *why,
                                diag_t *err)
{
    if (!limit || !(sc->run.stop_sim_time_s > 0))
        return 0;
    double samples = floor(sc->run.stop_sim_time_s / sc->run.sample_interval_s) + 2;
    double per = 32.0 + (sc->power.per_accel_timeseries ? 3.0 * 8.0 * platform_accelerators(plat) : 0.0);
    if (samples * per <= (double)limit)
        return 0;
    char est[32], lim[32], each[32];
    units_format(samples * per, DIM_BYTES, est, sizeof est);
    units_format((double)limit, DIM_BYTES, lim, sizeof lim);
    units_format(per, DIM_BYTES, each, sizeof each);
    return scenario_fail_at(sc, "run.sample_interval", err,
                            "%.6g samples (run.stop.sim_time / run.sample_interval) of at least %s each make at least "
                            "%s of time series, more than the trace's limit of %s (%s); sample less often or stop "
                            "earlier",
                            samples, each, est, lim, why);
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

double runner_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Root attributes, the scenario texts and the fidelity: what every trace carries. */
static void provenance(trace_t *t, const scenario_t *sc)
{
    char sha[65], created[32];
    sha256_hex(sc->resolved_text, strlen(sc->resolved_text), sha);
    /* SOURCE_DATE_EPOCH (reproducible-builds convention) pins 'created', making whole files
     * byte-identical for the same scenario and seed. */
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

int runner_run(const scenario_t *sc, const runner_cli *c, const char *default_out, bool validate_only,
               runner_report_fn report, void *report_ctx, double wall0)
{
    return runner_run_hooked(sc, c, default_out, validate_only, report, report_ctx, NULL, wall0);
}

int runner_run_hooked(const scenario_t *sc, const runner_cli *c, const char *default_out, bool validate_only,
                      runner_report_fn report, void *report_ctx, const runner_hooks *hooks, double wall0)
{
    diag_t err = {{0}};
    int rc = 2;
    trace_t *t = NULL;
    platform_t *plat = platform_build(sc, &err);
    if (!plat) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    if (hooks && hooks->prepare && hooks->prepare(hooks->ctx, plat, &err)) {
        fprintf(stderr, "%s%s\n", strstr(err.msg, "error: ") ? "" : "oastwin: error: ", err.msg);
        goto out_platform;
    }
    if (workload_check(sc, plat, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        goto out_platform;
    }
    if (validate_only) {
        scenario_describe(sc, stdout);
        platform_describe(plat, stdout);
        workload_for(sc)->describe(sc, stdout);
        resilience_describe(sc, stdout);
        rc = 0;
        goto out_platform;
    }
    const char *out = c->output ? c->output : default_out ? default_out : sc->out.path;
    rc = 1;
    if (check_output_dir(out))
        goto out_platform;
    t = trace_new();
    if (!t) {
        fprintf(stderr, "oastwin: error: out of memory\n");
        goto out_platform;
    }
    provenance(t, sc);
    if (platform_to_trace(plat, t) || (hooks && hooks->annotate && hooks->annotate(hooks->ctx, t))) {
        fprintf(stderr, "oastwin: error: out of memory\n");
        goto out_trace;
    }
    char limit_why[4200];
    size_t limit = trace_limit(c, out, limit_why, sizeof limit_why);
    if (check_trace_estimate(sc, plat, limit, limit_why, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        rc = 2;
        goto out_trace;
    }
    void (*handler)(int) = c->checkpoint_trace ? on_signal_checkpoint : on_signal;
    signal(SIGINT, handler);
    signal(SIGTERM, handler);
    signal(SIGHUP, handler);
    engine_opts opts = {.progress = !c->quiet && isatty(STDERR_FILENO),
                        .on_signal = handler,
                        .trace_limit_B = limit,
                        .trace_limit_why = limit_why};
    engine_stats st;
    if (engine_run(sc, plat, t, &opts, &st, &err)) {
        fprintf(stderr, "oastwin: error: %s\n", err.msg);
        goto out_trace;
    }
    if (st.interrupted)
        trace_summary_str(t, "stop_reason", "interrupted by a signal", "why the run ended");
    else if (st.stopped_early)
        trace_summary_str(t, "stop_reason", "run.stop.sim_time reached", "why the run ended");
    else
        trace_summary_str(t, "stop_reason", "workload complete", "why the run ended");
    trace_attr_i64(t, "complete", st.interrupted ? 0 : 1);
    if (st.interrupted)
        signal(signal_seen, on_signal); /* from here on, a signal abandons the partial trace */
    trace_summary_i64(t, "transfers", (int64_t)st.transfers, "1", "point-to-point transfers simulated");
    if (trace_write(t, out, &err)) {
        fprintf(stderr, "oastwin: error: cannot write the trace: %s\n", err.msg);
        goto out_trace;
    }
    if (!c->quiet) {
        if (report)
            report(report_ctx, t, sc, out);
        else
            print_summary(out);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr,
            "[oastwin] cost: simulated %.6g s in %.3f s wall; %llu transfers, %llu actors; peak memory %.1f MiB\n",
            st.sim_time_s, runner_wall_seconds() - wall0, (unsigned long long)st.transfers,
            (unsigned long long)st.actors, (double)ru.ru_maxrss / 1024.0);
    rc = st.interrupted ? 128 + (int)signal_seen : 0;
    if (st.interrupted)
        fprintf(stderr, "oastwin: interrupted; wrote a partial trace marked incomplete (root attribute complete = 0)\n");
out_trace:
    trace_free(t);
out_platform:
    platform_free(plat);
    return rc;
}
