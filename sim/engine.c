/* Engine: SimGrid initialisation (CM02 network model, no cross-traffic, no TCP window bound, so
 * an uncongested transfer takes exactly latency + size/bandwidth), platform loading from the
 * generated XML, the workload's actors, the activity sampler, and run statistics.
 * Invariant: the activity counts always equal the number of accelerators in each state. */
#include "engine.h"

#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload/workload.h"

typedef struct acc_track {
    acc_state state;
    double since_s;
    double time_in[ACC__NSTATES];
} acc_track;

typedef struct sample_row {
    double t_s;
    int32_t computing, communicating, idle;
    double power_W;
} sample_row;

static struct engine {
    const scenario_t *sc;
    const platform_t *plat;
    trace_t *trace;
    engine_opts opts;
    engine_stats *st;
    acc_track *acc;
    int32_t n;
    int32_t count[ACC__NSTATES];
    trace_table_t *samples;
    double wall_start, wall_last_print;
    double progress_done, progress_total;
    uint64_t ticks;
    bool workload_done;
} E;

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const scenario_t *engine_scenario(void)
{
    return E.sc;
}

const platform_t *engine_platform(void)
{
    return E.plat;
}

trace_t *engine_trace(void)
{
    return E.trace;
}

void engine_count_transfers(uint64_t n)
{
    E.st->transfers += n;
}

void engine_set_state(int32_t acc, acc_state state)
{
    acc_track *a = &E.acc[acc];
    double now = simgrid_get_clock();
    a->time_in[a->state] += now - a->since_s;
    a->since_s = now;
    E.count[a->state]--;
    E.count[state]++;
    a->state = state;
}

double engine_state_time(int32_t acc, acc_state state)
{
    const acc_track *a = &E.acc[acc];
    double t = a->time_in[state];
    if (a->state == state)
        t += simgrid_get_clock() - a->since_s;
    return t;
}

double engine_compute(int32_t acc, double flop, double hbm_bytes, double efficiency)
{
    double t = hw_compute_time_s(&E.sc->accel, flop, hbm_bytes, efficiency);
    if (t <= 0)
        return 0;
    engine_set_state(acc, ACC_COMPUTE);
    double start = simgrid_get_clock();
    /* The roofline time, expressed as work at the host's nominal speed: a performance state with
     * a lower speed stretches it proportionally. */
    sg_actor_execute(t * E.sc->accel.peak_flops_Fps);
    engine_set_state(acc, ACC_IDLE);
    return simgrid_get_clock() - start;
}

void engine_progress(double done, double total)
{
    E.progress_done = done;
    E.progress_total = total;
    engine_progress_tick();
}

void engine_progress_tick(void)
{
    if (!E.opts.progress || ++E.ticks % 64 != 0)
        return;
    double w = wall_now();
    if (w - E.wall_start < 1.0 || w - E.wall_last_print < 0.5)
        return;
    E.wall_last_print = w;
    fprintf(stderr, "\r[oastwin] simulated %.6g s  %5.1f%% of the workload  wall %.1f s   ", simgrid_get_clock(),
            E.progress_total > 0 ? 100.0 * E.progress_done / E.progress_total : 0.0, w - E.wall_start);
    fflush(stderr);
}

static double power_now(void)
{
    const hw_accel *a = &E.sc->accel;
    return E.count[ACC_COMPUTE] * a->max_power_W + (E.n - E.count[ACC_COMPUTE]) * a->idle_power_W;
}

static void sample(void)
{
    sample_row r = {.t_s = simgrid_get_clock(),
                    .computing = E.count[ACC_COMPUTE],
                    .communicating = E.count[ACC_COMM],
                    .idle = E.count[ACC_IDLE],
                    .power_W = power_now()};
    trace_table_append(E.samples, &r);
}

/* Daemon: records the activity every sample interval until the workload ends. */
static void sampler_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    double dt = E.sc->run.sample_interval_s;
    for (uint64_t k = 1; !E.workload_done; k++) {
        sample();
        sg_actor_sleep_until((double)k * dt);
    }
}

void engine_workload_done(void)
{
    E.workload_done = true;
}

static int write_platform(const platform_t *plat, char *path, size_t n, diag_t *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, n, "%s/oastwin-platform-XXXXXX.xml", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemps(path, 4);
    if (fd < 0)
        return diag_fail(err, "cannot create a temporary platform file in %s", tmp && *tmp ? tmp : "/tmp");
    close(fd);
    if (platform_write_xml(plat, path, err)) {
        unlink(path);
        return -1;
    }
    return 0;
}

static void init_simgrid(void)
{
    static char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)"oastwin";
    argv[argc++] = (char *)"--cfg=network/model:CM02";
    argv[argc++] = (char *)"--cfg=network/crosstraffic:0";
    argv[argc++] = (char *)"--cfg=network/TCP-gamma:0";
    argv[argc++] = (char *)"--cfg=contexts/stack-size:256";
    argv[argc++] = (char *)"--log=root.thres:critical";
    static char extra[256];
    const char *cfg = getenv("OASTWIN_SIMGRID_CFG");
    if (cfg && *cfg) {
        snprintf(extra, sizeof extra, "--cfg=%s", cfg);
        argv[argc++] = extra;
    }
    argv[argc] = NULL;
    simgrid_init(&argc, argv);
}

typedef struct act_row {
    int32_t acc;
    double compute_s, comm_s, idle_s;
} act_row;

static void finish_accounting(void)
{
    const hw_accel *a = &E.sc->accel;
    double end = simgrid_get_clock();
    double energy = 0, compute_total = 0;
    for (int32_t i = 0; i < E.n; i++) {
        double tc = engine_state_time(i, ACC_COMPUTE);
        compute_total += tc;
        energy += tc * a->max_power_W + (end - tc) * a->idle_power_W;
    }
    trace_summary_f64(E.trace, "simulated_time", end, "s", "simulated time at the end of the run");
    trace_summary_f64(E.trace, "accelerator_energy", energy, "J",
                      "energy of all accelerators: max_power while computing, idle_power otherwise");
    trace_summary_f64(E.trace, "accelerator_power_mean", end > 0 ? energy / end : 0, "W",
                      "mean power of all accelerators over the run");
    trace_summary_f64(E.trace, "accelerator_busy_fraction", end > 0 ? compute_total / (end * E.n) : 0, "1",
                      "fraction of accelerator time spent computing");
}

int engine_run(const scenario_t *sc, const platform_t *plat, trace_t *t, const engine_opts *opts,
               engine_stats *st, diag_t *err)
{
    memset(&E, 0, sizeof E);
    memset(st, 0, sizeof *st);
    E.sc = sc;
    E.plat = plat;
    E.trace = t;
    E.opts = *opts;
    E.st = st;
    E.n = platform_accelerators(plat);
    E.acc = calloc((size_t)E.n, sizeof *E.acc);
    if (!E.acc)
        return diag_fail(err, "out of memory for %d accelerators", E.n);
    E.count[ACC_IDLE] = E.n;
    E.wall_start = wall_now();

    static const trace_col sample_cols[] = {
        {"time", TCOL_F64, offsetof(sample_row, t_s), 0, "s", "sample time"},
        {"computing", TCOL_I32, offsetof(sample_row, computing), 0, "1", "accelerators computing"},
        {"communicating", TCOL_I32, offsetof(sample_row, communicating), 0, "1",
         "accelerators inside a collective"},
        {"idle", TCOL_I32, offsetof(sample_row, idle), 0, "1", "accelerators neither computing nor communicating"},
        {"power", TCOL_F64, offsetof(sample_row, power_W), 0, "W", "power of all accelerators"},
    };
    E.samples = trace_table_create(t, "/timeseries/activity", "accelerator activity and power, sampled",
                                   sample_cols, sizeof sample_cols / sizeof sample_cols[0], sizeof(sample_row));
    if (!E.samples) {
        free(E.acc);
        return diag_fail(err, "out of memory");
    }

    char xml[4096];
    if (write_platform(plat, xml, sizeof xml, err)) {
        free(E.acc);
        return -1;
    }
    init_simgrid();
    simgrid_load_platform(xml);
    unlink(xml);

    const workload_ops *wl = workload_for(sc);
    void *wstate = NULL;
    int rc = wl->setup(sc, plat, &wstate, err);
    if (rc) {
        free(E.acc);
        return -1;
    }
    sg_actor_t s = sg_actor_create("sampler", sg_host_by_name("acc0"), sampler_main, 0, NULL);
    sg_actor_daemonize(s);
    st->actors = sg_actor_count();

    if (sc->run.stop_sim_time_s > 0)
        simgrid_run_until(sc->run.stop_sim_time_s);
    else
        simgrid_run();
    if (E.opts.progress && wall_now() - E.wall_start >= 1.0)
        fprintf(stderr, "\n");

    st->sim_time_s = simgrid_get_clock();
    st->stopped_early = !E.workload_done;
    if (E.workload_done || sc->run.stop_sim_time_s > 0)
        sample();
    finish_accounting();
    rc = wl->finish(wstate, t, st, err);
    free(E.acc);
    E.acc = NULL;
    return rc;
}
