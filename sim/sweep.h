/* Sweeps: a base scenario plus axes of --set overrides; every point is one `oastwin run` child
 * writing its own trace, and an index (sweep.h5) holds one row per point. A point is complete
 * when its trace opens and its scenario_sha256 equals the point's hash (SHA-256 of the point's
 * resolved scenario), so re-running resumes and a changed sweep never reuses a stale trace.
 * The index is derived from files only (traces and per-point logs), in point order, so its
 * content does not depend on -j, MPI ranks or completion order.
 * Ownership: sweep_load() returns a sweep the caller frees with sweep_free(); every string and
 * array inside belongs to it. */
#ifndef OAS_SWEEP_H
#define OAS_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define SWEEP_INDEX_SCHEMA_VERSION 1
#define SWEEP_MAX_POINTS 100000

typedef enum sweep_status {
    SWEEP_PENDING, /* not run yet (or never started) */
    SWEEP_OK,      /* trace complete and matching */
    SWEEP_FAILED,  /* the run failed: ERROR says why */
    SWEEP_INVALID, /* the point's scenario does not load: ERROR says where */
} sweep_status;

/* One --set override with the position of its value in the sweep file. */
typedef struct sweep_set {
    char *key;   /* "topology.link.bandwidth" */
    char *value; /* "400 GB/s" (scalar text as written) */
    const char *file;
    int line, col;
} sweep_set;

typedef struct sweep_point {
    size_t index;
    sweep_set *sets; /* the sweep's fixed 'set' overrides, then the point's axis values */
    size_t nsets;
    char *label;     /* "topology.link.bandwidth=400 GB/s, topology.accelerators=8" */
    char **ptext;    /* [nparams]: the value of each swept path as written ("" if not set) */
    double *pvalue;  /* [nparams]: its SI value in the resolved scenario (NaN if not a number) */
    char hash[65];   /* SHA-256 of the resolved scenario (empty when invalid) */
    sweep_status status;
    char *error;     /* INVALID / FAILED: one line */
    char trace[64];  /* "points/0003.h5", relative to the output directory */
    char log[64];    /* "points/0003.log" */
} sweep_point;

typedef struct sweep {
    char *path;   /* the sweep file as given */
    char *text;   /* its bytes, verbatim */
    char *name;
    char *base;   /* base scenario path, as usable from the current directory */
    int base_line, base_col; /* where the sweep file names it */
    char *outdir; /* output directory */
    char **params;    /* swept paths (axis values flattened), first-appearance order */
    char **punit;     /* [nparams]: SI unit of PVALUE ("" when not a number) */
    size_t nparams;
    size_t naxes;
    sweep_point *points;
    size_t npoints;
} sweep_t;

/* Parses the sweep file PATH; OUTDIR (may be NULL) overrides its 'output'. Bad sweep files fail
 * with "FILE:LINE:COL: error: ...". Points are the grid product of the axes in the order they are
 * written, the first axis varying slowest. */
sweep_t *sweep_load(const char *path, const char *outdir, diag_t *err);
void sweep_free(sweep_t *s);

/* Loads every point's scenario (base + sets, without simulating): fills hash, values and units,
 * marks invalid points (error mapped to the sweep file's position), and sets each point's status
 * from the files in the output directory: OK (matching trace), FAILED (a log of this very point
 * says so), or PENDING. Returns 0, or -1 only when the output directory cannot be used. */
int sweep_plan(sweep_t *s, diag_t *err);

/* The argument vector of one point's run: EXE run BASE -o TRACE --quiet --set K=V ...
 * (NULL-terminated, one malloc'd block freed with free()), or NULL when out of memory. */
char **sweep_point_argv(const sweep_t *s, const sweep_point *p, const char *exe);

/* Truncates the point's log and writes its first line (which names the point's hash, so a log
 * of another sweep is never taken for this one). 0 or -1. */
int sweep_log_prepare(const sweep_t *s, const sweep_point *p, diag_t *err);

/* ---- running commands (sweep_exec.c) ---- */

/* One command to run: ARGV with stderr appended to LOG. ID is the caller's. */
typedef struct sweep_task {
    size_t id;
    char **argv;
    char *log;
} sweep_task;

/* Called when a task ends: STATUS is its wait status; WALL_S its wall time. */
typedef void (*sweep_done_fn)(void *ctx, const sweep_task *t, int status, double wall_s);

/* Runs TASKS with at most JOBS at once, each appending "# oastwin sweep: started" and, at the
 * end, its exit status line to its log. SIGINT, SIGTERM and SIGHUP stop it: running tasks get
 * SIGTERM and are waited for, and -1 is returned with "interrupted" in ERR. */
int sweep_exec_run(const sweep_task *tasks, size_t ntasks, int jobs, sweep_done_fn done, void *ctx,
                   diag_t *err);
/* Starts one task without waiting: its pid, or -1 with ERR set. */
long sweep_exec_spawn(const sweep_task *t, diag_t *err);
/* Appends the ending line for STATUS to LOG ("# oastwin sweep: exit status 1"). */
void sweep_exec_log_end(const char *log, int status);
/* "exit status 1", "killed by signal 9 (Killed)" into BUF. */
void sweep_exec_describe(int status, char *buf, size_t n);
/* Installs the stop handlers (SIGINT, SIGTERM, SIGHUP), and tells whether one arrived. */
void sweep_exec_trap_signals(void);
bool sweep_exec_stopping(void);

/* Task lines (the MPI driver's input): "TASK\tID\tLOG\tARG0\tARG1...\n" with '\\', tab and
 * newline escaped. sweep_task_parse fills T from LINE (one malloc'd block in T->argv; LOG points
 * into it); 0 or -1. */
void sweep_task_print(const sweep_task *t, void *file);
int sweep_task_parse(const char *line, sweep_task *t);

/* ---- the index (sweep_index.c) ---- */

/* Writes OUTDIR/sweep.h5 from S and the points' traces, atomically (temporary name, rename).
 * Layout in docs/hdf5-schema.md ("Sweep index"). */
int sweep_index_write(const sweep_t *s, diag_t *err);

/* A loaded index, for oastwin-report. */
typedef struct sweep_index {
    char *name;
    size_t npoints, nparams, nfigs;
    char **status, **label, **trace, **error; /* [npoints] */
    char **params;                            /* [nparams] swept paths */
    char **ptext;                             /* [npoints * nparams] values as written */
    double *pvalue;                           /* [npoints * nparams] SI values (NaN: none) */
    char **punit;                             /* [nparams] */
    char **fig_name, **fig_unit, **fig_doc;   /* [nfigs] */
    bool *fig_is_text;                        /* [nfigs] */
    double *fig_value;                        /* [npoints * nfigs] (NaN: absent) */
    char **fig_text;                          /* [npoints * nfigs] text figures ("" absent) */
} sweep_index;

/* True when PATH is a sweep index (root attribute kind = "oastwin-sweep-index"). */
bool sweep_index_is(const char *path);
sweep_index *sweep_index_read(const char *path, diag_t *err);
void sweep_index_free(sweep_index *x);

/* ---- front end (sweep_cli.c) ---- */

/* `oastwin sweep ...` (ARGV[0] is "sweep"): prints its own messages; returns the exit status:
 * 0 every point ok, 1 some point failed or the run was interrupted, 2 bad usage or sweep file. */
int sweep_main(int argc, char **argv);

#endif
