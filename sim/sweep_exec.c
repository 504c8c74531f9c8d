/* Running a sweep's commands as child processes, at most N at once, each with stdin and stdout on
 * /dev/null and stderr appended to its own log, which also records when it started and how it
 * ended. Invariant: every child started is waited for before sweep_exec_run() returns, also when
 * a signal stops the sweep (the children get SIGTERM, so their traces are not left half-written). */
#include "sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

void sweep_exec_trap_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocking wait returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

bool sweep_exec_stopping(void)
{
    return stop_signal != 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void log_line(const char *log, const char *text)
{
    FILE *f = fopen(log, "a");
    if (!f)
        return;
    fprintf(f, "%s\n", text);
    fclose(f);
}

void sweep_exec_describe(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "wait status %d", status);
}

void sweep_exec_log_end(const char *log, int status)
{
    char d[160], line[200];
    sweep_exec_describe(status, d, sizeof d);
    snprintf(line, sizeof line, "# oastwin sweep: %s", d);
    log_line(log, line);
}

long sweep_exec_spawn(const sweep_task *t, diag_t *err)
{
    log_line(t->log, "# oastwin sweep: started");
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    if (posix_spawn_file_actions_init(&fa))
        return diag_fail(err, "out of memory");
    if (posix_spawnattr_init(&at)) {
        posix_spawn_file_actions_destroy(&fa);
        return diag_fail(err, "out of memory");
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, t->log, O_WRONLY | O_APPEND | O_CREAT, 0666);
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGINT);
    sigaddset(&def, SIGTERM);
    sigaddset(&def, SIGHUP);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &def);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid;
    int rc = posix_spawn(&pid, t->argv[0], &fa, &at, t->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (rc) {
        char line[512];
        snprintf(line, sizeof line, "oastwin sweep: error: cannot start '%s': %s", t->argv[0], strerror(rc));
        log_line(t->log, line);
        log_line(t->log, "# oastwin sweep: not started");
        return diag_fail(err, "cannot start '%s': %s", t->argv[0], strerror(rc));
    }
    return (long)pid;
}

typedef struct slot {
    pid_t pid;
    const sweep_task *task;
    double t0;
} slot;

int sweep_exec_run(const sweep_task *tasks, size_t ntasks, int jobs, sweep_done_fn done, void *ctx, diag_t *err)
{
    if (jobs < 1)
        jobs = 1;
    slot *slots = calloc((size_t)jobs, sizeof *slots);
    if (!slots)
        return diag_fail(err, "out of memory");
    size_t next = 0;
    int running = 0, rc = 0;
    for (;;) {
        while (!stop_signal && next < ntasks && running < jobs) {
            const sweep_task *t = &tasks[next++];
            diag_t e;
            double t0 = now_s();
            long pid = sweep_exec_spawn(t, &e);
            if (pid < 0) { /* recorded in its log as failed; the others go on */
                if (done)
                    done(ctx, t, 127 << 8, 0);
                continue;
            }
            for (int k = 0; k < jobs; k++)
                if (slots[k].pid == 0) {
                    slots[k] = (slot){(pid_t)pid, t, t0};
                    break;
                }
            running++;
        }
        if (running == 0)
            break;
        if (stop_signal) {
            for (int k = 0; k < jobs; k++)
                if (slots[k].pid)
                    kill(slots[k].pid, SIGTERM);
        }
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            rc = diag_fail(err, "waiting for the points: %s", strerror(errno));
            break;
        }
        for (int k = 0; k < jobs; k++)
            if (slots[k].pid == pid) {
                sweep_exec_log_end(slots[k].task->log, status);
                if (done)
                    done(ctx, slots[k].task, status, now_s() - slots[k].t0);
                slots[k].pid = 0;
                running--;
                break;
            }
    }
    free(slots);
    if (rc == 0 && stop_signal)
        rc = diag_fail(err, "interrupted by signal %d (%s)", (int)stop_signal, strsignal(stop_signal));
    return rc;
}

/* ---- task lines ---- */

static void put_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\\\", f);
        else if (*s == '\t')
            fputs("\\t", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

void sweep_task_print(const sweep_task *t, void *file)
{
    FILE *f = file;
    fprintf(f, "TASK\t%zu\t", t->id);
    put_escaped(f, t->log);
    for (char **a = t->argv; *a; a++) {
        fputc('\t', f);
        put_escaped(f, *a);
    }
    fputc('\n', f);
}

int sweep_task_parse(const char *line, sweep_task *t)
{
    memset(t, 0, sizeof *t);
    if (strncmp(line, "TASK\t", 5) != 0)
        return -1;
    char *end;
    errno = 0;
    unsigned long long id = strtoull(line + 5, &end, 10);
    if (errno || end == line + 5 || *end != '\t')
        return -1;
    const char *p = end + 1;
    size_t fields = 1, len = strlen(p);
    for (const char *c = p; *c; c++)
        fields += *c == '\t';
    if (fields < 2)
        return -1;
    /* argv: fields - 1 strings + NULL, then the unescaped text (never longer than the line). */
    char **argv = malloc(fields * sizeof(char *) + len + 1);
    if (!argv)
        return -1;
    char *w = (char *)(argv + fields);
    char *log = w;
    size_t k = 0;
    for (const char *c = p;; c++) {
        if (*c == '\t' || *c == '\n' || *c == '\0') {
            *w++ = '\0';
            if (*c != '\t')
                break;
            argv[k++] = w;
            continue;
        }
        if (*c == '\\' && (c[1] == '\\' || c[1] == 't' || c[1] == 'n')) {
            c++;
            *w++ = *c == 't' ? '\t' : *c == 'n' ? '\n' : '\\';
        } else {
            *w++ = *c;
        }
    }
    argv[k] = NULL;
    if (k == 0) {
        free(argv);
        return -1;
    }
    t->id = (size_t)id;
    t->argv = argv;
    t->log = log;
    return 0;
}
