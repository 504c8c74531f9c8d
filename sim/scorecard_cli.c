/* `oastwin scorecard`: rates designs with the battery. For each design: the layouts by rule, the
 * topology and the failed components, then every sub-run as a child process through the sweep
 * runner (sim/sweep_exec.c, at most -j at once, slowest first), then the card from the traces;
 * finally the cards side by side on stdout, in HDF5 and optionally as an HTML page.
 * Invariant: the cards do not depend on -j or on the order sub-runs end (each reads only its own
 * trace); a failed sub-run leaves its figures NaN, says why, and makes the exit status 1. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runner.h"
#include "scorecard.h"
#include "sha256.h"
#include "sweep.h"
#include "workload/reqtrace.h"

#define STR2(x) #x
#define STR(x) STR2(x)

static const char USAGE[] =
    "usage: oastwin scorecard DESIGN.yaml [DESIGN2.yaml ...] [-o CARDS.h5] [--html CARDS.html]\n"
    "                         [--format text|md|csv|json] [-j N] [--azure-trace FILE] [-q]\n"
    "       oastwin scorecard run-degraded SCENARIO --down LIST [-o OUT.h5] [--set KEY=VALUE]...\n"
    "\n"
    "Rates each design (a scenario with hardware, topology, power, cooling and storage, and no workload)\n"
    "with the OAS battery (version " STR(SCORECARD_BATTERY_VERSION) "; docs/scorecard.md): interconnect, training, inference,\n"
    "efficiency and resilience figures, each with a unit and a better direction, side by side.\n"
    "\n"
    "  -o, --output FILE   the cards in HDF5 (default scorecard.h5); sub-run traces go to FILE's\n"
    "                      stem + '.runs/DESIGN/' (scorecard.runs/cloudmatrix384/train-dense.h5)\n"
    "  --html FILE         also write one self-contained HTML page with a radar chart per category\n"
    "  --format FMT        stdout: text (default, side by side), md, csv (one row per figure) or json\n"
    "  -j, --jobs N        sub-runs at once (default 1)\n"
    "  --azure-trace FILE  the Azure LLM conversation trace (AzureLLMInferenceTrace_conv.csv); default:\n"
    "                      $OASTWIN_DATA/azure-llm-2023/, then ../shared/data/azure-llm-2023/ next to the\n"
    "                      repository of this program, then of the current directory\n"
    "  -q, --quiet         no progress lines on stderr\n"
    "\n"
    "Exit status: 0 every sub-run ran, 1 some sub-run failed (its figures are n/a) or a run-time\n"
    "failure, 2 bad usage or a bad design.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "oastwin scorecard: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(run 'oastwin scorecard --help' for usage)\n");
    return 2;
}

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

/* ---- the Azure trace ---- */

static const char AZURE_REL[] = "azure-llm-2023/AzureLLMInferenceTrace_conv.csv";

static int find_azure(const char *given, char *out, size_t n)
{
    char cand[4][PATH_MAX];
    int nc = 0;
    if (given) {
        snprintf(cand[nc++], PATH_MAX, "%s", given);
    } else {
        const char *env = getenv("OASTWIN_DATA");
        if (env && *env)
            snprintf(cand[nc++], PATH_MAX, "%.3000s/%s", env, AZURE_REL);
        char exe[PATH_MAX];
        ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (len > 0) {
            exe[len] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash) {
                *slash = '\0'; /* .../repo/build */
                snprintf(cand[nc++], PATH_MAX, "%.3000s/../../shared/data/%s", exe, AZURE_REL);
            }
        }
        snprintf(cand[nc++], PATH_MAX, "../shared/data/%s", AZURE_REL);
    }
    for (int i = 0; i < nc; i++)
        if (access(cand[i], R_OK) == 0 && realpath(cand[i], out) && strlen(out) < n)
            return 0;
    return -1;
}

static int file_sha256(const char *path, char out[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 20;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = b;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    fclose(f);
    sha256_hex(buf, len, out);
    free(buf);
    return 0;
}

/* ---- running ---- */

typedef struct task_ref {
    sc_design *d;
    sc_run_id r;
} task_ref;

typedef struct run_ctx {
    task_ref *refs;
    size_t done, total;
    bool quiet;
} run_ctx;

/* The last line of LOG that says what went wrong (not the runner's own lines). */
static void last_error(const char *log, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen(log, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || !strncmp(line, "# oastwin", 9) || !strncmp(line, "[oastwin]", 9) || !strncmp(line, "(run ", 5))
            continue;
        size_t l = strlen(line) < n - 1 ? strlen(line) : n - 1;
        memcpy(buf, line, l);
        buf[l] = '\0';
    }
    fclose(f);
}

static void on_done(void *ctx, const sweep_task *t, int status, double wall_s)
{
    run_ctx *c = ctx;
    task_ref *ref = &c->refs[t->id];
    sc_run *run = &ref->d->runs[ref->r];
    c->done++;
    char how[128];
    sweep_exec_describe(status, how, sizeof how);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        run->status = SC_ST_OK;
    } else {
        run->status = SC_ST_FAILED;
        char why[256];
        last_error(run->log, why, sizeof why);
        snprintf(run->note, sizeof run->note, "%.60s: %.250s", how, why[0] ? why : "(no message)");
    }
    if (!c->quiet)
        fprintf(stderr, "scorecard: [%zu/%zu] %s %s: %s (%.1f s)\n", c->done, c->total, ref->d->name,
                sc_run_name(ref->r), run->status == SC_ST_OK ? "ok" : how, wall_s);
}

/* Expected cost class of a run: lower runs first (so the slowest start first under -j). */
static int cost_rank(sc_run_id r)
{
    switch (r) {
    case SC_RUN_DOWN_OPTICAL_TRAIN:
    case SC_RUN_DOWN_SWITCH_TRAIN:
        return 0; /* asymmetric: every rank simulated */
    case SC_RUN_TRAIN_MOE:
    case SC_RUN_TRAIN_DENSE:
    case SC_RUN_DOWN_PLANE_TRAIN:
    case SC_RUN_GOODPUT:
        return 1;
    case SC_RUN_INFER_AZURE:
    case SC_RUN_INFER_SYNTH:
        return 2;
    default:
        return 3;
    }
}

static char **task_argv(const sc_opts *o, const sc_design *d, sc_run_id r)
{
    const sc_run *run = &d->runs[r];
    size_t cap = 16 + 2 * run->nsets;
    char **v = calloc(cap, sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    v[k++] = (char *)o->exe;
    switch (r) {
    case SC_RUN_BENCH_SUPERNODE:
    case SC_RUN_BENCH_NODE:
        v[k++] = (char *)"bench";
        v[k++] = d->path;
        v[k++] = (char *)"--ops";
        v[k++] = (char *)"allreduce,allgather,reducescatter,alltoall";
        v[k++] = (char *)"--sizes";
        v[k++] = (char *)"1MiB:1GiB";
        v[k++] = (char *)"--group";
        v[k++] = (char *)(r == SC_RUN_BENCH_NODE ? "node" : "supernode");
        break;
    case SC_RUN_DOWN_OPTICAL_BENCH:
    case SC_RUN_DOWN_OPTICAL_TRAIN:
    case SC_RUN_DOWN_SWITCH_BENCH:
    case SC_RUN_DOWN_SWITCH_TRAIN:
    case SC_RUN_DOWN_PLANE_BENCH:
    case SC_RUN_DOWN_PLANE_TRAIN:
        v[k++] = (char *)"scorecard";
        v[k++] = (char *)"run-degraded";
        v[k++] = d->path;
        v[k++] = (char *)"--down";
        v[k++] = run->down;
        break;
    default:
        v[k++] = (char *)"run";
        v[k++] = d->path;
        break;
    }
    v[k++] = (char *)"-o";
    v[k++] = (char *)run->trace;
    v[k++] = (char *)"-q";
    for (size_t i = 0; i < run->nsets; i++) {
        v[k++] = (char *)"--set";
        v[k++] = run->sets[i];
    }
    v[k] = NULL;
    return v;
}

static sc_comp run_comp(sc_run_id r)
{
    return r <= SC_RUN_DOWN_OPTICAL_TRAIN ? SC_COMP_OPTICAL : r <= SC_RUN_DOWN_SWITCH_TRAIN ? SC_COMP_SWITCH : SC_COMP_PLANE;
}

static bool is_train(sc_run_id r)
{
    return r == SC_RUN_TRAIN_DENSE || r == SC_RUN_GOODPUT || r == SC_RUN_DOWN_OPTICAL_TRAIN ||
           r == SC_RUN_DOWN_SWITCH_TRAIN || r == SC_RUN_DOWN_PLANE_TRAIN;
}

/* Layouts, topology, components and the runs of design D. */
static int plan(sc_design *d, const sc_opts *o, double az_rate, double az_span, diag_t *err)
{
    size_t len = strlen(o->runs_root) + strlen(d->key) + 2;
    d->runs_dir = malloc(len);
    if (!d->runs_dir)
        return diag_fail(err, "out of memory");
    snprintf(d->runs_dir, len, "%s/%s", o->runs_root, d->key);
    if (mkdir_p(d->runs_dir))
        return diag_fail(err, "cannot create '%s': %s", d->runs_dir, strerror(errno));
    if (sc_train_layout_choose(d, false, &d->dense, err) || sc_train_layout_choose(d, true, &d->moe, err) ||
        sc_serve_layout_choose(d, az_rate, az_span, &d->serve, err) || sc_topology_prepare(d, err))
        return -1;
    if (!o->quiet)
        fprintf(stderr, "scorecard: %s: %lld accelerators; dense %s; MoE %s; serving %s\n", d->name,
                (long long)d->accelerators, d->dense.text, d->moe.text, d->serve.text);
    for (size_t ri = 0; ri < SC_RUN__COUNT; ri++) {
        sc_run_id r = (sc_run_id)ri;
        sc_run *run = &d->runs[r];
        snprintf(run->trace, sizeof run->trace, "%s/%s.h5", d->runs_dir, sc_run_name(r));
        snprintf(run->log, sizeof run->log, "%s/%s.log", d->runs_dir, sc_run_name(r));
        run->status = SC_ST_PLANNED;
        unlink(run->trace); /* a trace from an earlier battery is never taken for this one */
        bool down = r >= SC_RUN_DOWN_OPTICAL_BENCH;
        if (is_train(r))
            snprintf(run->note, sizeof run->note, "%s", d->dense.text);
        if (r == SC_RUN_TRAIN_MOE)
            snprintf(run->note, sizeof run->note, "%s", d->moe.text);
        if (r == SC_RUN_INFER_SYNTH || r == SC_RUN_INFER_AZURE)
            snprintf(run->note, sizeof run->note, "%s", d->serve.text);
        if ((is_train(r) && !d->dense.ok) || (r == SC_RUN_TRAIN_MOE && !d->moe.ok) ||
            ((r == SC_RUN_INFER_SYNTH || r == SC_RUN_INFER_AZURE) && !d->serve.ok))
            run->status = SC_ST_SKIPPED;
        if (down) {
            const sc_down *c = &d->down[run_comp(r)];
            if (!c->applies) {
                run->status = SC_ST_SKIPPED;
                snprintf(run->note, sizeof run->note, "does not apply: %s", c->what);
            } else if (c->cut) {
                run->status = SC_ST_SKIPPED;
                snprintf(run->note, sizeof run->note,
                         "not measured: failing %s leaves a route with no bandwidth, and rerouting is not "
                         "modelled",
                         c->what);
            } else if (run->status != SC_ST_SKIPPED) {
                snprintf(run->note, sizeof run->note, "%s", c->what);
                run->down = sc_links_format(c->links, c->nlinks);
                if (!run->down)
                    return diag_fail(err, "out of memory");
            }
        }
        if (run->status == SC_ST_SKIPPED)
            continue;
        if (sc_run_sets(d, r, o->azure_trace, &run->sets, &run->nsets))
            return diag_fail(err, "out of memory");
    }
    return 0;
}

int sc_rate(sc_design *ds, size_t n, const sc_opts *o, diag_t *err)
{
    double az_rate = 0, az_span = 0;
    reqtrace rt;
    reqtrace_opts ro = {.format = REQTRACE_AZURE, .rate_scale = 1};
    if (reqtrace_load(o->azure_trace, &ro, &rt, err))
        return -1;
    az_span = rt.span_s;
    az_rate = rt.span_s > 0 ? (double)rt.rows / rt.span_s : 0;
    reqtrace_free(&rt);
    for (size_t i = 0; i < n; i++)
        if (plan(&ds[i], o, az_rate, az_span, err))
            return -1;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < SC_RUN__COUNT; r++)
            total += ds[i].runs[r].status == SC_ST_PLANNED;
    sweep_task *tasks = calloc(total ? total : 1, sizeof *tasks);
    task_ref *refs = calloc(total ? total : 1, sizeof *refs);
    int rc = 0;
    if (!tasks || !refs) {
        rc = diag_fail(err, "out of memory");
        goto out;
    }
    size_t k = 0;
    for (int rank = 0; rank <= 3; rank++)
        for (size_t i = 0; i < n; i++)
            for (size_t ri = 0; ri < SC_RUN__COUNT; ri++) {
                sc_run_id r = (sc_run_id)ri;
                if (ds[i].runs[r].status != SC_ST_PLANNED || cost_rank(r) != rank)
                    continue;
                refs[k] = (task_ref){&ds[i], r};
                tasks[k].id = k;
                tasks[k].argv = task_argv(o, &ds[i], r);
                tasks[k].log = ds[i].runs[r].log;
                if (!tasks[k].argv) {
                    rc = diag_fail(err, "out of memory");
                    goto out;
                }
                FILE *lf = fopen(tasks[k].log, "w");
                if (!lf) {
                    rc = diag_fail(err, "cannot write '%s': %s", tasks[k].log, strerror(errno));
                    goto out;
                }
                fprintf(lf, "# oastwin scorecard: design %s, run %s (battery %d)\n", ds[i].name, sc_run_name(r),
                        SCORECARD_BATTERY_VERSION);
                fclose(lf);
                k++;
            }
    run_ctx ctx = {refs, 0, total, o->quiet};
    sweep_exec_trap_signals();
    if (sweep_exec_run(tasks, total, o->jobs, on_done, &ctx, err)) {
        rc = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (sc_collect(&ds[i], err)) {
            rc = -1;
            goto out;
        }
        for (size_t r = 0; r < SC_RUN__COUNT; r++)
            if (ds[i].runs[r].status == SC_ST_FAILED)
                rc = 1;
    }
out:
    for (size_t i = 0; tasks && i < total; i++)
        free(tasks[i].argv);
    free(tasks);
    free(refs);
    return rc;
}

/* ---- the command ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int scorecard_main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "run-degraded"))
        return sc_degraded_main(argc, argv);
    const char *out = "scorecard.h5", *html = NULL, *azure = NULL;
    sc_format fmt = SC_FMT_TEXT;
    int jobs = 1;
    bool quiet = false;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    size_t np = 0;
    if (!paths)
        return usage_error("%s", "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(USAGE, stdout);
            free(paths);
            return 0;
        }
        if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && val) {
            out = val;
            i++;
        } else if (!strcmp(a, "--html") && val) {
            html = val;
            i++;
        } else if (!strcmp(a, "--azure-trace") && val) {
            azure = val;
            i++;
        } else if (!strcmp(a, "--format") && val) {
            if (sc_format_parse(val, &fmt)) {
                free(paths);
                return usage_error("unknown format '%s' (one of text, md, csv, json)", val);
            }
            i++;
        } else if ((!strcmp(a, "-j") || !strcmp(a, "--jobs")) && val) {
            char *end;
            long j = strtol(val, &end, 10);
            if (*end || j < 1 || j > 1024) {
                free(paths);
                return usage_error("-j needs a number of jobs from 1 to 1024, not '%s'", val);
            }
            jobs = (int)j;
            i++;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (a[0] == '-' && a[1]) {
            free(paths);
            return usage_error("unknown or incomplete option '%s'", a);
        } else {
            paths[np++] = a;
        }
    }
    if (!np) {
        free(paths);
        return usage_error("%s", "no DESIGN.yaml given");
    }
    char exe[PATH_MAX], az[PATH_MAX], az_sha[65] = "";
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) {
        free(paths);
        fprintf(stderr, "oastwin scorecard: error: cannot find this program's path (/proc/self/exe)\n");
        return 1;
    }
    exe[len] = '\0';
    /* a rebuild while this runs replaces the file: run the new one at the same path */
    if (len > 10 && !strcmp(exe + len - 10, " (deleted)"))
        exe[len - 10] = '\0';
    if (find_azure(azure, az, sizeof az)) {
        free(paths);
        if (azure)
            return usage_error("cannot read the Azure trace '%s'", azure);
        fprintf(stderr, "oastwin scorecard: error: the battery replays the Azure LLM conversation trace and cannot "
                        "find %s\n  (give it with --azure-trace FILE or put it under $OASTWIN_DATA)\n",
                AZURE_REL);
        return 2;
    }
    if (file_sha256(az, az_sha))
        az_sha[0] = '\0';
    sc_design *ds = calloc(np, sizeof *ds);
    if (!ds) {
        free(paths);
        return usage_error("%s", "out of memory");
    }
    int rc = 0;
    diag_t err = {{0}};
    size_t loaded = 0;
    for (; loaded < np; loaded++)
        if (sc_design_load(paths[loaded], &ds[loaded], &err)) {
            fprintf(stderr, "%s\n", err.msg);
            rc = 2;
            goto done;
        }
    {
        const char **keys = malloc(np * sizeof *keys);
        if (!keys) {
            rc = usage_error("%s", "out of memory");
            goto done;
        }
        for (size_t i = 0; i < np; i++)
            keys[i] = ds[i].key;
        qsort(keys, np, sizeof *keys, cmp_str);
        for (size_t i = 1; i < np && rc == 0; i++)
            if (!strcmp(keys[i], keys[i - 1]))
                rc = usage_error("two designs are named '%s': give each design its own name", keys[i]);
        free(keys);
        if (rc)
            goto done;
    }
    char root[PATH_MAX];
    size_t ol = strlen(out);
    if (ol > 3 && !strcmp(out + ol - 3, ".h5"))
        ol -= 3;
    snprintf(root, sizeof root, "%.*s.runs", (int)(ol < 4000 ? ol : 4000), out);
    sc_opts o = {exe, az, root, jobs, quiet};
    int r = sc_rate(ds, np, &o, &err);
    if (r < 0) {
        fprintf(stderr, "oastwin scorecard: error: %s\n", err.msg);
        rc = 1;
        goto done;
    }
    rc = r;
    if (sc_write_h5(out, ds, np, az_sha, &err)) {
        fprintf(stderr, "oastwin scorecard: error: %s\n", err.msg);
        rc = 1;
        goto done;
    }
    sc_print(stdout, ds, np, fmt);
    fflush(stdout);
    if (html && sc_write_html(html, ds, np, &err)) {
        fprintf(stderr, "oastwin scorecard: error: %s\n", err.msg);
        rc = 1;
    }
    if (!quiet)
        fprintf(stderr, "scorecard: cards in %s%s%s; sub-run traces under %s/\n", out, html ? " and " : "",
                html ? html : "", root);
done:
    for (size_t i = 0; i < loaded; i++)
        sc_design_free(&ds[i]);
    free(ds);
    free(paths);
    return rc;
}
