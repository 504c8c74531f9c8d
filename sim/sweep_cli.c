/* `oastwin sweep`: the sweep command's front end (argument parsing, progress, exit status); it
 * prints its own messages like main.c does for `run`. Started by an MPI launcher (mpirun, srun)
 * it hands over to build/oastwin-mpi, which spreads the points over the ranks and calls back
 * `oastwin sweep --tasks` and `--index-only`; see docs/sweeps.md for why MPI lives there. */
#include "sweep.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char USAGE[] =
    "usage: oastwin sweep SWEEP.yaml [-j N] [-o DIR] [--quiet] [--local]\n"
    "\n"
    "Runs every point of SWEEP.yaml (a base scenario plus axes of overrides) as its own\n"
    "`oastwin run`, skipping points whose trace is already complete, then writes DIR/sweep.h5:\n"
    "one row per point (parameters, status, summary figures) and a link to each point's trace.\n"
    "Under mpirun or srun the points are spread over the ranks (rank 0 hands them out).\n"
    "\n"
    "  -j, --jobs N       points run at once (per MPI rank; default 1)\n"
    "  -o, --output DIR   output directory (default: the sweep's 'output', or NAME.sweep)\n"
    "  -q, --quiet        only errors and the final line\n"
    "  --local            run locally even when started by an MPI launcher\n"
    "\n"
    "Exit status: 0 every point ok, 1 a point failed or the sweep was interrupted,\n"
    "2 bad usage or a bad sweep file.\n";

typedef struct opts {
    const char *file, *outdir;
    int jobs;
    bool quiet, local, tasks, index_only;
} opts;

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "oastwin sweep: error: ");
    fprintf(stderr, msg, arg);
    fprintf(stderr, "\n(run 'oastwin sweep --help' for usage)\n");
    return 2;
}

static int parse(int argc, char **argv, opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-j") || !strcmp(a, "--jobs")) && i + 1 < argc) {
            char *end;
            errno = 0;
            long j = strtol(argv[++i], &end, 10);
            if (*end || errno || j < 1 || j > 4096)
                return usage_error("-j needs a number of jobs from 1 to 4096, not '%s'", argv[i]);
            o->jobs = (int)j;
        } else if (!strncmp(a, "-j", 2) && a[2]) {
            char *end;
            long j = strtol(a + 2, &end, 10);
            if (*end || j < 1 || j > 4096)
                return usage_error("-j needs a number of jobs from 1 to 4096, not '%s'", a + 2);
            o->jobs = (int)j;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
            o->outdir = argv[++i];
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(a, "--local")) {
            o->local = true;
        } else if (!strcmp(a, "--tasks")) { /* internal: for oastwin-mpi */
            o->tasks = true;
        } else if (!strcmp(a, "--index-only")) { /* internal: for oastwin-mpi */
            o->index_only = true;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown or incomplete option '%s'", a);
        } else if (!o->file) {
            o->file = a;
        } else {
            return usage_error("unexpected argument '%s'", a);
        }
    }
    if (!o->file)
        return usage_error("%s", "a SWEEP.yaml file is needed");
    return 0;
}

/* The MPI launcher's environment variable that shows this process is one rank of several. */
static const char *mpi_launcher(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return vars[i];
    return NULL;
}

static int self_exe(char *buf, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0)
        return -1;
    buf[len] = '\0';
    return 0;
}

/* Replaces this process by oastwin-mpi (next to this program) with the same arguments. */
static int exec_mpi_driver(int argc, char **argv, const char *var)
{
    char exe[PATH_MAX], drv[PATH_MAX + 16];
    if (self_exe(exe, sizeof exe))
        return usage_error("%s", "cannot find this program's path (/proc/self/exe)");
    snprintf(drv, sizeof drv, "%s", exe);
    char *slash = strrchr(drv, '/');
    snprintf(slash ? slash + 1 : drv, sizeof drv - (size_t)(slash ? slash + 1 - drv : 0), "oastwin-mpi");
    setenv("OASTWIN_EXE", exe, 1);
    char **args = calloc((size_t)argc + 2, sizeof *args);
    if (!args)
        return usage_error("%s", "out of memory");
    args[0] = drv;
    for (int i = 0; i < argc; i++)
        args[1 + i] = argv[i];
    execv(drv, args);
    int e = errno;
    free(args);
    fprintf(stderr,
            "oastwin sweep: error: started by an MPI launcher (%s is set) but '%s' cannot run: %s\n"
            "  build it with 'make' (needs libopenmpi-dev), or pass --local to run the whole sweep in this "
            "process\n",
            var, drv, strerror(e));
    return 2;
}

typedef struct progress {
    const sweep_t *s;
    size_t done, total;
    bool quiet;
} progress;

static void on_done(void *ctx, const sweep_task *t, int status, double wall_s)
{
    progress *pr = ctx;
    pr->done++;
    if (pr->quiet)
        return;
    char d[160];
    sweep_exec_describe(status, d, sizeof d);
    if (status == 0)
        fprintf(stderr, "[%zu/%zu] point %zu ok (%.2f s): %s\n", pr->done, pr->total, t->id, wall_s,
                pr->s->points[t->id].label);
    else
        fprintf(stderr, "[%zu/%zu] point %zu FAILED (%s; log %s): %s\n", pr->done, pr->total, t->id, d, t->log,
                pr->s->points[t->id].label);
}

static const char *status_word(sweep_status st)
{
    return st == SWEEP_OK ? "ok" : st == SWEEP_FAILED ? "failed" : st == SWEEP_INVALID ? "invalid" : "pending";
}

/* Plans again from the files, writes the index and prints the outcome; the exit status. */
static int finish(sweep_t *s)
{
    diag_t err = {{0}};
    if (sweep_plan(s, &err) || sweep_index_write(s, &err)) {
        fprintf(stderr, "oastwin sweep: error: %s\n", err.msg);
        return 1;
    }
    size_t count[4] = {0};
    for (size_t i = 0; i < s->npoints; i++) {
        const sweep_point *p = &s->points[i];
        count[p->status]++;
        if (p->status != SWEEP_OK)
            fprintf(stderr, "point %zu %s: %s%s%s\n", i, status_word(p->status), p->label,
                    p->error ? ": " : "", p->error ? p->error : "");
    }
    printf("sweep %s: %zu points: %zu ok, %zu failed, %zu invalid, %zu pending; index %s/sweep.h5\n", s->name,
           s->npoints, count[SWEEP_OK], count[SWEEP_FAILED], count[SWEEP_INVALID], count[SWEEP_PENDING],
           s->outdir);
    fflush(stdout);
    return count[SWEEP_OK] == s->npoints ? 0 : 1;
}

int sweep_main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(USAGE, stdout);
        return 0;
    }
    opts o = {.jobs = 1};
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc;
    const char *var = mpi_launcher();
    if (var && !o.local && !o.tasks && !o.index_only)
        return exec_mpi_driver(argc, argv, var);
    diag_t err = {{0}};
    sweep_t *s = sweep_load(o.file, o.outdir, &err);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return 2;
    }
    FILE *probe = o.index_only ? NULL : fopen(s->base, "r");
    if (!o.index_only && !probe) {
        fprintf(stderr, "%s:%d:%d: error: 'base': cannot open scenario '%s': %s\n", s->path, s->base_line, s->base_col,
                s->base, strerror(errno));
        sweep_free(s);
        return 2;
    }
    if (probe)
        fclose(probe);
    if (o.index_only) {
        rc = finish(s);
        sweep_free(s);
        return rc;
    }
    if (sweep_plan(s, &err)) {
        fprintf(stderr, "oastwin sweep: error: %s\n", err.msg);
        sweep_free(s);
        return 2;
    }
    char exe[PATH_MAX];
    if (self_exe(exe, sizeof exe)) {
        fprintf(stderr, "oastwin sweep: error: cannot find this program's path (/proc/self/exe)\n");
        sweep_free(s);
        return 1;
    }
    size_t ntasks = 0, ndone = 0, ninvalid = 0;
    sweep_task *tasks = calloc(s->npoints, sizeof *tasks);
    if (!tasks) {
        fprintf(stderr, "oastwin sweep: error: out of memory\n");
        sweep_free(s);
        return 1;
    }
    rc = 0;
    for (size_t i = 0; i < s->npoints && rc == 0; i++) {
        sweep_point *p = &s->points[i];
        if (p->status == SWEEP_OK) {
            ndone++;
            continue;
        }
        if (p->status == SWEEP_INVALID) {
            ninvalid++;
            fprintf(stderr, "%s\n", p->error);
            continue;
        }
        char log[PATH_MAX + 80];
        snprintf(log, sizeof log, "%s/%s", s->outdir, p->log);
        sweep_task *t = &tasks[ntasks];
        t->id = i;
        t->argv = sweep_point_argv(s, p, exe);
        t->log = strdup(log);
        if (!t->argv || !t->log || sweep_log_prepare(s, p, &err)) {
            fprintf(stderr, "oastwin sweep: error: %s\n", t->argv && t->log ? err.msg : "out of memory");
            free(t->argv);
            free(t->log);
            rc = 1;
            break;
        }
        ntasks++;
    }
    if (rc == 0 && o.tasks) {
        for (size_t k = 0; k < ntasks; k++)
            sweep_task_print(&tasks[k], stdout);
        if (fflush(stdout)) {
            fprintf(stderr, "oastwin sweep: error: cannot write the task list: %s\n", strerror(errno));
            rc = 1;
        }
    } else if (rc == 0) {
        if (!o.quiet)
            fprintf(stderr, "sweep %s: %zu points: %zu already complete, %zu to run, %zu invalid; -j %d; output %s\n",
                    s->name, s->npoints, ndone, ntasks, ninvalid, o.jobs, s->outdir);
        progress pr = {s, 0, ntasks, o.quiet};
        sweep_exec_trap_signals();
        if (sweep_exec_run(tasks, ntasks, o.jobs, on_done, &pr, &err))
            fprintf(stderr, "oastwin sweep: %s; the index lists what is done, and running the sweep again "
                            "finishes the rest\n",
                    err.msg);
        rc = finish(s);
        if (sweep_exec_stopping())
            rc = rc ? rc : 1;
    }
    for (size_t k = 0; k < ntasks; k++) {
        free(tasks[k].argv);
        free(tasks[k].log);
    }
    free(tasks);
    sweep_free(s);
    return rc;
}
