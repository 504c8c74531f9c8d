/* oastwin-mpi: spreads a sweep's points over MPI ranks. `oastwin sweep` execs it when started by
 * mpirun or srun. Rank 0 asks `oastwin sweep --tasks` for the points still to run, hands them
 * out one at a time to whichever rank asks (dynamic load balancing; rank 0 runs points too),
 * and at the end runs `oastwin sweep --index-only`, which writes the index from the files, so
 * the index is the same as with -j. Invariant: this program links OpenMPI and never SimGrid
 * (libsimgrid exports its own MPI_* symbols); points run as `oastwin run` children. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mpi.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sweep.h"

extern char **environ;

enum { TAG_REQ = 1, TAG_TASK, TAG_STOP, TAG_RESULT };

static const char *oastwin_exe(char *buf, size_t n)
{
    const char *env = getenv("OASTWIN_EXE");
    if (env && *env)
        return env;
    ssize_t len = readlink("/proc/self/exe", buf, n - 1);
    if (len <= 0)
        return "oastwin";
    buf[len] = '\0';
    char *slash = strrchr(buf, '/');
    snprintf(slash ? slash + 1 : buf, n - (size_t)(slash ? slash + 1 - buf : 0), "oastwin");
    return buf;
}

/* Runs EXE sweep ARGS... MODE; with OUT, its stdout is collected into *OUT. Returns the exit
 * status (or 1 when it could not run). */
static int run_oastwin(const char *exe, int argc, char **argv, const char *mode, char **out)
{
    char **args = calloc((size_t)argc + 4, sizeof *args);
    if (!args)
        return 1;
    args[0] = (char *)exe;
    args[1] = (char *)"sweep";
    for (int i = 0; i < argc; i++)
        args[2 + i] = argv[i];
    args[2 + argc] = (char *)mode;
    int fds[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out) {
        if (pipe(fds)) {
            free(args);
            return 1;
        }
        posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
        posix_spawn_file_actions_addclose(&fa, fds[0]);
        posix_spawn_file_actions_addclose(&fa, fds[1]);
    }
    pid_t pid;
    int rc = posix_spawn(&pid, exe, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    free(args);
    if (rc) {
        fprintf(stderr, "oastwin-mpi: error: cannot run '%s': %s\n", exe, strerror(rc));
        if (out) {
            close(fds[0]);
            close(fds[1]);
        }
        return 1;
    }
    if (out) {
        close(fds[1]);
        size_t len = 0, cap = 4096;
        char *buf = malloc(cap);
        ssize_t r;
        while (buf && (r = read(fds[0], buf + len, cap - len - 1)) != 0) {
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            len += (size_t)r;
            if (cap - len < 2) {
                char *nb = realloc(buf, cap *= 2);
                if (!nb) {
                    free(buf);
                    buf = NULL;
                }
                buf = nb;
            }
        }
        close(fds[0]);
        if (buf)
            buf[len] = '\0';
        *out = buf;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

typedef struct local {
    pid_t *pid;
    size_t *task;
    int jobs, running;
} local;

static int local_start(local *l, const sweep_task *t, size_t k)
{
    diag_t err;
    long pid = sweep_exec_spawn(t, &err);
    if (pid < 0)
        return -1;
    for (int s = 0; s < l->jobs; s++)
        if (l->pid[s] == 0) {
            l->pid[s] = (pid_t)pid;
            l->task[s] = k;
            l->running++;
            return 0;
        }
    return -1;
}

/* Reaps one finished child (blocking or not); its slot, or -1. */
static int local_reap(local *l, bool block, int *status)
{
    pid_t pid = waitpid(-1, status, block ? 0 : WNOHANG);
    if (pid <= 0)
        return -1;
    for (int s = 0; s < l->jobs; s++)
        if (l->pid[s] == pid) {
            l->pid[s] = 0;
            l->running--;
            return s;
        }
    return -1;
}

static void local_kill(const local *l)
{
    for (int s = 0; s < l->jobs; s++)
        if (l->pid[s])
            kill(l->pid[s], SIGTERM);
}

static void report(size_t done, size_t total, const sweep_task *t, int status, int rank)
{
    char d[160];
    sweep_exec_describe(status, d, sizeof d);
    fprintf(stderr, "[%zu/%zu] point %zu %s on rank %d%s%s\n", done, total, t->id, status == 0 ? "ok" : "FAILED",
            rank, status == 0 ? "" : ": ", status == 0 ? "" : d);
}

static int coordinator(int size, int jobs, sweep_task *tasks, size_t ntasks, local *l)
{
    size_t next = 0, done = 0, outstanding = 0;
    int active = size - 1;
    char *line = NULL;
    for (;;) {
        bool busy = false;
        if (sweep_exec_stopping())
            local_kill(l);
        while (!sweep_exec_stopping() && next < ntasks && l->running < jobs) {
            if (local_start(l, &tasks[next], next))
                report(++done, ntasks, &tasks[next], 127 << 8, 0);
            next++;
            busy = true;
        }
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
        if (flag) {
            busy = true;
            if (st.MPI_TAG == TAG_REQ) {
                int bye = 0;
                MPI_Recv(&bye, 1, MPI_INT, st.MPI_SOURCE, TAG_REQ, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (bye) { /* a worker stopped by a signal leaves without asking for work */
                    active--;
                } else if (!sweep_exec_stopping() && next < ntasks) {
                    char *buf = NULL;
                    size_t len = 0;
                    FILE *f = open_memstream(&buf, &len);
                    if (f) {
                        sweep_task_print(&tasks[next], f);
                        fclose(f);
                    }
                    free(line);
                    line = buf;
                    MPI_Send(buf ? buf : "", buf ? (int)len + 1 : 1, MPI_CHAR, st.MPI_SOURCE, TAG_TASK,
                             MPI_COMM_WORLD);
                    next++;
                    outstanding++;
                } else {
                    MPI_Send(NULL, 0, MPI_CHAR, st.MPI_SOURCE, TAG_STOP, MPI_COMM_WORLD);
                    active--;
                }
            } else if (st.MPI_TAG == TAG_RESULT) {
                long r[2];
                MPI_Recv(r, 2, MPI_LONG, st.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                outstanding--;
                if (r[0] >= 0 && (size_t)r[0] < ntasks)
                    for (size_t k = 0; k < ntasks; k++)
                        if (tasks[k].id == (size_t)r[0])
                            report(++done, ntasks, &tasks[k], (int)r[1], st.MPI_SOURCE);
            }
        }
        int status;
        int s = local_reap(l, false, &status);
        if (s >= 0) {
            busy = true;
            const sweep_task *t = &tasks[l->task[s]];
            sweep_exec_log_end(t->log, status);
            report(++done, ntasks, t, status, 0);
        }
        if ((next >= ntasks || sweep_exec_stopping()) && l->running == 0 && active == 0 && outstanding == 0)
            break;
        if (!busy)
            sleep_ms(2);
    }
    free(line);
    return sweep_exec_stopping() ? 1 : 0;
}

static void worker(int jobs, local *l)
{
    bool stopped = false, got_stop = false;
    sweep_task *held = calloc((size_t)jobs, sizeof *held);
    if (!held)
        MPI_Abort(MPI_COMM_WORLD, 1);
    for (;;) {
        while (!stopped && !sweep_exec_stopping() && l->running < jobs) {
            int dummy = 0;
            MPI_Send(&dummy, 1, MPI_INT, 0, TAG_REQ, MPI_COMM_WORLD);
            MPI_Status st;
            MPI_Probe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
            int count = 0;
            MPI_Get_count(&st, MPI_CHAR, &count);
            char *buf = malloc((size_t)count + 1);
            if (!buf)
                MPI_Abort(MPI_COMM_WORLD, 1);
            MPI_Recv(buf, count, MPI_CHAR, 0, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            buf[count] = '\0';
            if (st.MPI_TAG == TAG_STOP) {
                stopped = got_stop = true;
                free(buf);
                break;
            }
            int slot = 0;
            while (slot < jobs && l->pid[slot])
                slot++;
            sweep_task *t = &held[slot];
            long r[2] = {-1, 127 << 8};
            if (sweep_task_parse(buf, t) == 0) {
                r[0] = (long)t->id;
                if (local_start(l, t, (size_t)slot) == 0)
                    l->task[slot] = (size_t)slot;
                else
                    MPI_Send(r, 2, MPI_LONG, 0, TAG_RESULT, MPI_COMM_WORLD);
            } else {
                MPI_Send(r, 2, MPI_LONG, 0, TAG_RESULT, MPI_COMM_WORLD);
            }
            free(buf);
        }
        if (sweep_exec_stopping()) {
            local_kill(l);
            stopped = true;
        }
        if (l->running == 0) {
            if (stopped)
                break;
            continue;
        }
        int status;
        int s = local_reap(l, true, &status);
        if (s < 0)
            continue; /* EINTR: the loop kills the children if asked to stop */
        sweep_task *t = &held[l->task[s]];
        sweep_exec_log_end(t->log, status);
        long r[2] = {(long)t->id, status};
        MPI_Send(r, 2, MPI_LONG, 0, TAG_RESULT, MPI_COMM_WORLD);
        free(t->argv);
        t->argv = NULL;
    }
    /* Rank 0 counts the workers that are done: by the STOP it sent, or by this goodbye. */
    if (!got_stop) {
        int bye = 1;
        MPI_Send(&bye, 1, MPI_INT, 0, TAG_REQ, MPI_COMM_WORLD);
    }
    free(held);
}

int main(int argc, char **argv)
{
    /* argv: oastwin-mpi sweep SWEEP.yaml [options] (as given to oastwin). */
    int first = argc > 1 && strcmp(argv[1], "sweep") == 0 ? 2 : 1;
    int jobs = 1;
    for (int i = first; i < argc; i++) {
        const char *v = NULL;
        if ((!strcmp(argv[i], "-j") || !strcmp(argv[i], "--jobs")) && i + 1 < argc)
            v = argv[i + 1];
        else if (!strncmp(argv[i], "-j", 2) && argv[i][2])
            v = argv[i] + 2;
        if (v) {
            long j = strtol(v, NULL, 10);
            jobs = j >= 1 && j <= 4096 ? (int)j : 1;
        }
    }
    MPI_Init(&argc, &argv);
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    sweep_exec_trap_signals();
    signal(SIGPIPE, SIG_IGN);
    char exebuf[PATH_MAX];
    const char *exe = oastwin_exe(exebuf, sizeof exebuf);
    local l = {calloc((size_t)jobs, sizeof(pid_t)), calloc((size_t)jobs, sizeof(size_t)), jobs, 0};
    if (!l.pid || !l.task)
        MPI_Abort(MPI_COMM_WORLD, 1);
    int ntasks = 0, rc = 0;
    sweep_task *tasks = NULL;
    char *list = NULL;
    if (rank == 0) {
        rc = run_oastwin(exe, argc - first, argv + first, "--tasks", &list);
        if (rc == 0 && list) {
            size_t cap = 0;
            for (char *p = list; *p; p++)
                cap += *p == '\n';
            tasks = calloc(cap + 1, sizeof *tasks);
            char *save = NULL;
            for (char *ln = strtok_r(list, "\n", &save); tasks && ln; ln = strtok_r(NULL, "\n", &save))
                if (sweep_task_parse(ln, &tasks[ntasks]) == 0)
                    ntasks++;
        }
        if (rc == 0 && (!list || !tasks))
            rc = 1;
        int msg = rc ? -rc : ntasks;
        MPI_Bcast(&msg, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (rc == 0) {
            fprintf(stderr, "oastwin-mpi: %d points to run on %d ranks x %d jobs\n", ntasks, size, jobs);
            int stopped = coordinator(size, jobs, tasks, (size_t)ntasks, &l);
            rc = run_oastwin(exe, argc - first, argv + first, "--index-only", NULL);
            if (stopped && rc == 0)
                rc = 1;
        }
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    } else {
        int msg = 0;
        MPI_Bcast(&msg, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (msg >= 0)
            worker(jobs, &l);
        MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }
    for (int k = 0; k < ntasks; k++)
        free(tasks[k].argv);
    free(tasks);
    free(list);
    free(l.pid);
    free(l.task);
    MPI_Finalize();
    /* OpenMPI keeps some allocations to the end of the process (LeakSanitizer lists them under
     * `make SAN=...`); nothing of ours is left to release, so leave without exit handlers. */
    fflush(NULL);
    _exit(rc);
}
