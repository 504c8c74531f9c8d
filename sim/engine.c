/* Engine: SimGrid initialisation (CM02 network model, no cross-traffic, no TCP window bound, so
 * an uncongested transfer takes exactly latency + size/bandwidth), platform loading from the
 * generated XML, the workload's actors, the activity sampler, the power/thermal plant with its
 * governor actor (which sets host pstates), the /events table, and run statistics.
 * Invariant: the activity counts always equal the number of accelerators in each state, and the
 * plant sees every activity change at the simulated time it happens. */
#include "engine.h"

#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "power/power.h"
#include "resilience/resilience.h"
#include "thermal/plant.h"
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
    uint64_t limit_ticks;
    bool trace_full;       /* the trace outgrew opts.trace_limit_B: the run was stopped */
    double trace_full_at_s;
    size_t trace_full_B;
    /* power and thermal (models/thermal/plant): the plant, the hosts its governor steers, and
     * the governor actor's wake-up */
    plant_t *plant;
    sg_host_t *hosts;
    bool *membound;        /* the accelerator's current compute phase is memory-bound */
    sg_sem_t gov_sem;
    double gov_wake_s;     /* when the governor actor will wake (INFINITY: only when poked) */
    bool gov_waiting;
    trace_table_t *events;
    struct {
        char unit[32];     /* engine_work_done(): what the workload completed, and how many */
        double count;
    } work[4];
    int nwork;
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

/* Wakes the governor actor if the plant's next event is now earlier than its planned wake-up. */
static void governor_poke(void)
{
    if (!E.gov_waiting || !(plant_next_event_s(E.plant) < E.gov_wake_s))
        return;
    E.gov_wake_s = plant_next_event_s(E.plant);
    sg_sem_release(E.gov_sem);
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
    if (E.plant) {
        pw_activity act = state == ACC_COMPUTE ? (E.membound[acc] ? PW_MEMORY : PW_COMPUTE)
                          : state == ACC_COMM  ? PW_COMM
                                               : PW_IDLE;
        plant_set_activity(E.plant, acc, act, now);
        governor_poke();
    }
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
    /* Roofline parts: the FLOP part runs on the host's clock, the HBM part does not. */
    double t_flop = flop > 0 ? flop / (E.sc->accel.peak_flops_Fps * efficiency) : 0.0;
    double t_mem = hbm_bytes > 0 ? hbm_bytes / E.sc->accel.hbm_bw_Bps : 0.0;
    E.membound[acc] = t_mem > t_flop;
    engine_set_state(acc, ACC_COMPUTE);
    double start = simgrid_get_clock();
    engine_progress_tick();
    /* The FLOP part, expressed as work at the host's nominal speed: a performance state with a
     * lower speed stretches it proportionally; the phase lasts at least the HBM time, so at the
     * nominal state it lasts exactly the roofline time, max(t_flop, t_mem). */
    if (t_flop > 0)
        sg_actor_execute(t_flop * E.sc->accel.peak_flops_Fps);
    if (simgrid_get_clock() < start + t_mem)
        sg_actor_sleep_until(start + t_mem);
    engine_set_state(acc, ACC_IDLE);
    E.membound[acc] = false;
    return simgrid_get_clock() - start;
}

static volatile sig_atomic_t interrupt_requested;

void engine_interrupt(void)
{
    interrupt_requested = 1;
}

/* Called from an actor: ends every other actor and this one, so simgrid_run() returns. */
static void stop_now(void)
{
    E.st->interrupted = true;
    sg_actor_kill_all();
    sg_actor_exit();
}

static struct observers {
    void (*progress)(void *ctx, double done, double total);
    void *progress_ctx;
    void (*done)(void *ctx);
    void *done_ctx;
    bool symmetric;
} OBS;

void engine_set_symmetric(bool on)
{
    OBS.symmetric = on;
}

bool engine_symmetric(void)
{
    return OBS.symmetric;
}

void engine_progress(double done, double total)
{
    if (OBS.progress)
        OBS.progress(OBS.progress_ctx, done, total);
    E.progress_done = done;
    E.progress_total = total;
    engine_progress_tick();
}

/* Stops the run once the trace holds more than the run's limit (a sampling period far below
 * the run's length, or a workload writing rows without end, would otherwise fill memory or disk). */
static void check_trace_limit(void)
{
    if (!E.opts.trace_limit_B || E.trace_full)
        return;
    size_t b = trace_bytes(E.trace);
    if (b <= E.opts.trace_limit_B)
        return;
    E.trace_full = true;
    E.trace_full_at_s = simgrid_get_clock();
    E.trace_full_B = b;
    stop_now();
}

void engine_progress_tick(void)
{
    if (interrupt_requested)
        stop_now();
    if ((++E.limit_ticks & 63) == 0)
        check_trace_limit();
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
    return plant_accels_total_W(E.plant);
}

static void sample(void)
{
    sample_row r = {.t_s = simgrid_get_clock(),
                    .computing = E.count[ACC_COMPUTE],
                    .communicating = E.count[ACC_COMM],
                    .idle = E.count[ACC_IDLE],
                    .power_W = power_now()};
    trace_table_append(E.samples, &r);
    plant_sample(E.plant, r.t_s);
}

/* ---- the thermal governor actor: sleeps until the plant's next event (a threshold crossing,
 * a coolant update, a fault) or until an activity change pokes it; never polls ---- */

static void governor_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (;;) {
        double now = simgrid_get_clock();
        plant_advance(E.plant, now);
        double next = plant_next_event_s(E.plant);
        E.gov_wake_s = next;
        E.gov_waiting = true;
        if (isinf(next))
            sg_sem_acquire(E.gov_sem);
        else if (next > now)
            sg_sem_acquire_timeout(E.gov_sem, next - now);
        E.gov_waiting = false;
        /* Releases that arrived while it was awake only make it look once more: harmless. */
    }
}

static void hook_pstate(void *ctx, int32_t acc, int k)
{
    (void)ctx;
    sg_host_set_pstate(E.hosts[acc], (unsigned long)k);
}

static void hook_event(void *ctx, double t_s, const char *kind, const char *component, double value,
                       const char *unit, const char *detail)
{
    (void)ctx;
    (void)t_s; /* the plant reports events when they happen: at the current clock */
    engine_event(kind, component, value, unit, detail);
}

typedef struct event_row {
    double t_s;
    char kind[24];
    char component[32];
    double value;
    char unit[16];
    char detail[112];
} event_row;

void engine_event(const char *kind, const char *component, double value, const char *unit, const char *detail)
{
    if (!E.events)
        return;
    event_row r = {.t_s = simgrid_get_clock(), .value = value};
    snprintf(r.kind, sizeof r.kind, "%s", kind);
    snprintf(r.component, sizeof r.component, "%s", component);
    snprintf(r.unit, sizeof r.unit, "%s", unit ? unit : "");
    snprintf(r.detail, sizeof r.detail, "%s", detail ? detail : "");
    trace_table_append(E.events, &r);
}

void engine_work_done(const char *unit, double count)
{
    int i = 0;
    while (i < E.nwork && strcmp(E.work[i].unit, unit) != 0)
        i++;
    if (i == E.nwork) {
        if (E.nwork == (int)(sizeof E.work / sizeof E.work[0]))
            return; /* more kinds of work than figures we keep: the first ones stay */
        E.nwork++;
    }
    snprintf(E.work[i].unit, sizeof E.work[i].unit, "%s", unit);
    E.work[i].count = count;
}

/* Daemon: records the activity every sample interval until the workload ends. */
/* SimGrid installs its own SIGINT handler (print and exit) when the simulation starts; the
 * run's handlers are put back from inside the simulation, at time 0. */
static void install_signal_handlers(void)
{
    if (!E.opts.on_signal)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = E.opts.on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static void sampler_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    install_signal_handlers();
    double dt = E.sc->run.sample_interval_s;
    for (uint64_t k = 1; !E.workload_done; k++) {
        if (interrupt_requested)
            stop_now();
        sample();
        check_trace_limit();
        sg_actor_sleep_until((double)k * dt);
    }
}

void engine_workload_done(void)
{
    E.workload_done = true;
    if (OBS.done)
        OBS.done(OBS.done_ctx);
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

void engine_init_simgrid(void)
{
    static char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)"oastwin";
    argv[argc++] = (char *)"--cfg=network/model:CM02";
    argv[argc++] = (char *)"--cfg=network/crosstraffic:0";
    argv[argc++] = (char *)"--cfg=network/TCP-gamma:0";
    argv[argc++] = (char *)"--cfg=contexts/stack-size:256";
    argv[argc++] = (char *)"--cfg=debug/verbose-exit:0"; /* SimGrid's own SIGINT handler would exit(1) */
    argv[argc++] = (char *)(getenv("OASTWIN_SIMGRID_LOG") ? getenv("OASTWIN_SIMGRID_LOG") : "--log=root.thres:critical");
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
    double end = simgrid_get_clock();
    double compute_total = 0;
    for (int32_t i = 0; i < E.n; i++)
        compute_total += engine_state_time(i, ACC_COMPUTE);
    trace_summary_f64(E.trace, "simulated_time", end, "s", "simulated time at the end of the run");
    plant_finish(E.plant, end); /* energy, power, PUE, temperatures, throttling */
    trace_summary_f64(E.trace, "accelerator_busy_fraction", end > 0 ? compute_total / (end * E.n) : 0, "1",
                      "fraction of accelerator time spent computing");
}

/* Energy per unit of work the workload reported (iteration, token, ...). */
static void work_accounting(void)
{
    double end = simgrid_get_clock();
    for (int i = 0; i < E.nwork; i++) {
        const char *u = E.work[i].unit;
        double n = E.work[i].count;
        if (!u[0] || !(n > 0))
            continue;
        char name[64], doc[160];
        snprintf(name, sizeof name, "energy_per_%s", u);
        snprintf(doc, sizeof doc, "facility energy per %s (%.17g completed)", u, n);
        trace_summary_f64(E.trace, name, plant_facility_energy_J(E.plant, end) / n, "J", doc);
        snprintf(name, sizeof name, "it_energy_per_%s", u);
        snprintf(doc, sizeof doc, "IT energy per %s", u);
        trace_summary_f64(E.trace, name, plant_it_energy_J(E.plant, end) / n, "J", doc);
    }
}

static void engine_cleanup(void)
{
    plant_free(E.plant);
    free(E.hosts);
    free(E.membound);
    free(E.acc);
    if (E.gov_sem)
        sg_sem_destroy(E.gov_sem);
    E.plant = NULL;
    E.hosts = NULL;
    E.membound = NULL;
    E.acc = NULL;
    E.gov_sem = NULL;
}

/* The plant, once the platform is loaded: hosts must declare one SimGrid pstate per performance
 * state, with speed peak x relative clock (power_speed_attr()). */
static int start_plant(diag_t *err)
{
    E.hosts = calloc((size_t)E.n, sizeof *E.hosts);
    if (!E.hosts)
        return diag_fail(err, "out of memory");
    int want = power_pstates(&E.sc->accel);
    for (int32_t i = 0; i < E.n; i++) {
        char name[32];
        snprintf(name, sizeof name, "acc%d", i);
        E.hosts[i] = sg_host_by_name(name);
        if (!E.hosts[i])
            return diag_fail(err, "the platform has no host '%s'", name);
        if ((int)sg_host_get_nb_pstates(E.hosts[i]) < want)
            return diag_fail(err,
                             "host '%s' declares %lu performance states but the accelerator has %d "
                             "(hardware.accelerator.dvfs.states): the platform generator must write the host "
                             "speeds with power_speed_attr()",
                             name, sg_host_get_nb_pstates(E.hosts[i]), want);
    }
    static const trace_col event_cols[] = {
        {"time", TCOL_F64, offsetof(event_row, t_s), 0, "s", "when it happened"},
        {"kind", TCOL_STR, offsetof(event_row, kind), 24, "",
         "throttle_down, throttle_up, fault, fault_cleared, power_cap, ..."},
        {"component", TCOL_STR, offsetof(event_row, component), 32, "", "acc<i>, rack<r>, cdu<c>, ..."},
        {"value", TCOL_F64, offsetof(event_row, value), 0, "", "the event's figure, in the row's unit"},
        {"unit", TCOL_STR, offsetof(event_row, unit), 16, "", "unit of value ('1': dimensionless)"},
        {"detail", TCOL_STR, offsetof(event_row, detail), 112, "", "human-readable description"},
    };
    E.events = trace_table_create(E.trace, "/events", "discrete events of the run, in time order", event_cols,
                                  sizeof event_cols / sizeof event_cols[0], sizeof(event_row));
    E.membound = calloc((size_t)E.n, sizeof *E.membound);
    if (!E.events || !E.membound)
        return diag_fail(err, "out of memory");
    /* Switch chips and optical modules draw constant power; racks share it by accelerators. */
    platform_figures fig;
    if (platform_figures_get(E.plat, &fig))
        return diag_fail(err, "out of memory");
    plant_hooks h = {NULL, hook_pstate, hook_event};
    int32_t per_rack = E.sc->cooling.accels_per_rack > 0 ? (int32_t)E.sc->cooling.accels_per_rack
                                                          : platform_accels_per_supernode(E.plat);
    E.plant = plant_new(E.sc, E.n, per_rack, fig.switch_power_W + fig.optics_power_W, &h, E.trace, err);
    if (!E.plant)
        return -1;
    E.gov_sem = sg_sem_init(0);
    E.gov_wake_s = INFINITY;
    sg_actor_t g = sg_actor_create("thermal-governor", E.hosts[0], governor_main, 0, NULL);
    sg_actor_daemonize(g);
    return 0;
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
    E.gov_wake_s = INFINITY;
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
        engine_cleanup();
        return diag_fail(err, "out of memory");
    }

    char xml[4096];
    if (write_platform(plat, xml, sizeof xml, err)) {
        engine_cleanup();
        return -1;
    }
    engine_init_simgrid();
    simgrid_load_platform(xml);
    unlink(xml);
    if (start_plant(err)) {
        engine_cleanup();
        return -1;
    }

    const workload_ops *wl = workload_for(sc);
    void *wstate = NULL;
    memset(&OBS, 0, sizeof OBS);
    diag_t rerr;
    if (resilience_setup(sc, plat, t, err)) { /* models/resilience: the job timeline, if asked */
        resilience_finish(t, st, &rerr);
        engine_cleanup();
        return -1;
    }
    int rc = wl->setup(sc, plat, &wstate, err);
    if (rc) {
        resilience_finish(t, st, &rerr);
        engine_cleanup();
        return -1;
    }
    sg_actor_t s = sg_actor_create("sampler", sg_host_by_name("acc0"), sampler_main, 0, NULL);
    sg_actor_daemonize(s);
    st->actors = sg_actor_count();

    if (sc->run.stop_sim_time_s > 0)
        simgrid_run_until(sc->run.stop_sim_time_s);
    else
        simgrid_run();
    E.gov_waiting = false; /* the governor actor is gone: no wake-ups from here on */
    if (E.opts.progress && wall_now() - E.wall_start >= 1.0)
        fprintf(stderr, "\n");

    st->sim_time_s = simgrid_get_clock();
    if (E.trace_full)
        st->interrupted = false; /* stopped by the trace limit, not by a signal: reported below */
    st->stopped_early = !E.workload_done && !st->interrupted;
    if (E.workload_done || sc->run.stop_sim_time_s > 0)
        sample();
    finish_accounting();
    rc = wl->finish(wstate, t, st, err);
    if (resilience_finish(t, st, &rerr) && rc == 0) {
        *err = rerr;
        rc = -1;
    }
    work_accounting();
    if (E.trace_full && rc == 0) {
        char held[32], lim[32];
        units_format((double)E.trace_full_B, DIM_BYTES, held, sizeof held);
        units_format((double)E.opts.trace_limit_B, DIM_BYTES, lim, sizeof lim);
        rc = diag_fail(err,
                       "stopped at simulated time %.6g s: the trace holds %s, more than its limit of %s (%s); "
                       "sample less often (run.sample_interval) or stop earlier (run.stop.sim_time)",
                       E.trace_full_at_s, held, lim, E.opts.trace_limit_why ? E.opts.trace_limit_why : "");
    }
    engine_cleanup();
    return rc;
}

/* ---- symmetric execution (appended for models/workload/training: one actor standing for a
 * class of identical accelerators) ---- */

void engine_set_state_many(const int32_t *accs, int32_t n, acc_state state)
{
    double now = simgrid_get_clock();
    for (int32_t i = 0; i < n; i++) {
        acc_track *a = &E.acc[accs[i]];
        a->time_in[a->state] += now - a->since_s;
        a->since_s = now;
        E.count[a->state]--;
        E.count[state]++;
        a->state = state;
        if (E.plant) {
            pw_activity act = state == ACC_COMPUTE ? (E.membound[accs[i]] ? PW_MEMORY : PW_COMPUTE)
                              : state == ACC_COMM  ? PW_COMM
                                                   : PW_IDLE;
            plant_set_activity(E.plant, accs[i], act, now);
        }
    }
    if (E.plant && n > 0)
        governor_poke();
}

double engine_compute_many(const int32_t *accs, int32_t n, double flop, double hbm_bytes, double efficiency)
{
    double t_flop = flop > 0 ? flop / (E.sc->accel.peak_flops_Fps * efficiency) : 0.0;
    double t_mem = hbm_bytes > 0 ? hbm_bytes / E.sc->accel.hbm_bw_Bps : 0.0;
    if ((t_flop <= 0 && t_mem <= 0) || n < 1)
        return 0;
    double start = simgrid_get_clock();
    engine_progress_tick();
    /* One phase, labelled by its dominant part as engine_compute labels a roofline phase. */
    for (int32_t i = 0; i < n; i++)
        E.membound[accs[i]] = t_mem > t_flop;
    engine_set_state_many(accs, n, ACC_COMPUTE);
    if (t_flop > 0 && power_pstates(&E.sc->accel) > 1) {
        sg_actor_execute(t_flop * E.sc->accel.peak_flops_Fps); /* stretched by a slower state */
        if (t_mem > 0)
            sg_actor_sleep_until(simgrid_get_clock() + t_mem);
    } else {
        /* a single performance state: the host always runs at nominal speed, and one sleep is the
         * same phase without SimGrid's solver variable of an execution */
        sg_actor_sleep_until(start + t_flop + t_mem);
    }
    return simgrid_get_clock() - start;
}

/* ---- observers (appended for models/resilience) ---- */

void engine_on_progress(void (*fn)(void *ctx, double done, double total), void *ctx)
{
    OBS.progress = fn;
    OBS.progress_ctx = ctx;
}

void engine_on_workload_done(void (*fn)(void *ctx), void *ctx)
{
    OBS.done = fn;
    OBS.done_ctx = ctx;
}

/* ---- actor room (appended for hardening: refuse up front what SimGrid would abort on) ---- */

static int64_t read_count(const char *path, bool lines)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int64_t n = 0;
    if (lines) {
        int c;
        while ((c = getc(f)) != EOF)
            n += c == '\n';
    } else if (fscanf(f, "%" SCNd64, &n) != 1) {
        n = -1;
    }
    fclose(f);
    return n;
}

int64_t engine_actor_room(void)
{
    int64_t cap = read_count("/proc/sys/vm/max_map_count", false);
    int64_t used = read_count("/proc/self/maps", true);
    if (cap <= 0 || used < 0)
        return INT64_MAX;
    int64_t room = (cap - used - 1024) / 2; /* 1024 mappings kept for libraries and large buffers */
    return room > 0 ? room : 0;
}

int engine_reserve_actors(int64_t n, const char *what, diag_t *err)
{
    int64_t room = engine_actor_room();
    if (n <= room)
        return 0;
    int64_t cap = read_count("/proc/sys/vm/max_map_count", false);
    return diag_fail(err,
                     "%s need %lld SimGrid actors, but this process can start only about %lld more: each actor's "
                     "stack takes two memory mappings and the kernel allows %lld per process (vm.max_map_count); "
                     "raise it (sysctl -w vm.max_map_count=%lld) or simulate fewer accelerators",
                     what, (long long)n, (long long)room, (long long)cap, (long long)(2 * n + 65536));
}

double engine_memory_available_B(void)
{
    double b = INFINITY;
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f)) {
        unsigned long long kb;
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            b = (double)kb * 1024.0;
    }
    if (f)
        fclose(f);
    return b;
}
