/* Planning a sweep: each point's scenario is loaded (never simulated) to validate it and hash its
 * resolved text, and the output directory is read to tell which points are already complete.
 * Invariant: a point's status depends only on the files and on the point itself, so planning
 * twice, on any rank, gives the same answer. */
#include "sweep.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "h5read.h"
#include "scenario.h"
#include "sha256.h"
#include "units.h"

#define LOG_HEAD "# oastwin sweep: point "

static int mkdir_p(const char *path)
{
    char buf[PATH_MAX];
    int w = snprintf(buf, sizeof buf, "%s", path);
    if (w < 0 || (size_t)w >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(buf, &st) || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* "--set:I:C: error: MSG" -> the I-th set's position in the sweep file; always names the point. */
static char *map_error(const sweep_point *p, const char *msg)
{
    char out[sizeof(((diag_t *)0)->msg) + 64];
    unsigned idx, col;
    int used = 0;
    if (sscanf(msg, "--set:%u:%u: %n", &idx, &col, &used) == 2 && used > 0 && idx >= 1 && idx <= p->nsets) {
        const sweep_set *s = &p->sets[idx - 1];
        snprintf(out, sizeof out, "%s:%d:%d: %s (point %zu)", s->file, s->line, s->col, msg + used, p->index);
    } else {
        snprintf(out, sizeof out, "%s (point %zu)", msg, p->index);
    }
    for (char *c = out; *c; c++)
        if (*c == '\n')
            *c = ' ';
    return strdup(out);
}

/* The SI value of PATH in the resolved scenario TEXT (two-space indented "key: value" lines, as
 * scenario.c writes it), and its unit; NaN when absent, quoted or not a number. Scanned line by
 * line rather than parsed, so a section printed twice does not matter. */
static double resolved_value(const char *text, const char *path, const char **unit)
{
    char stack[16][128];
    *unit = "";
    for (const char *ln = text; ln && *ln;) {
        const char *eol = strchr(ln, '\n');
        size_t len = eol ? (size_t)(eol - ln) : strlen(ln);
        size_t ind = 0;
        while (ind < len && ln[ind] == ' ')
            ind++;
        const char *colon = memchr(ln, ':', len);
        size_t depth = ind / 2;
        if (ind < len && ln[ind] != '#' && colon && depth < 16 && (size_t)(colon - ln - (long)ind) < 128) {
            snprintf(stack[depth], sizeof stack[depth], "%.*s", (int)(colon - ln - (long)ind), ln + ind);
            char full[512] = "";
            size_t used = 0;
            for (size_t d = 0; d <= depth && used < sizeof full; d++)
                used += (size_t)snprintf(full + used, sizeof full - used, "%s%s", d ? "." : "", stack[d]);
            const char *v = colon + 1;
            while (*v == ' ')
                v++;
            size_t vlen = len - (size_t)(v - ln);
            if (strcmp(full, path) == 0 && vlen > 0) {
                char val[256];
                snprintf(val, sizeof val, "%.*s", (int)vlen, v);
                if (val[0] == '"' || val[0] == '\'')
                    return NAN;
                for (int d = 0; d < DIM__COUNT; d++) {
                    double x;
                    char e[160];
                    if (units_parse(val, (unit_dim)d, &x, e, sizeof e) == 0) {
                        *unit = d == DIM_NONE ? "1" : units_si_symbol((unit_dim)d);
                        return x;
                    }
                }
                return NAN;
            }
        }
        ln = eol ? eol + 1 : NULL;
    }
    return NAN;
}

static bool trace_matches(const char *path, const char *hash)
{
    diag_t err;
    h5r_file *f = h5r_open(path, &err);
    if (!f)
        return false;
    char sha[80] = "";
    bool ok = h5r_attr_str(f, "/", "scenario_sha256", sha, sizeof sha, &err) == 0 && strcmp(sha, hash) == 0;
    char complete[32] = ""; /* a partial trace (--checkpoint-trace) says complete = 0 */
    if (ok && h5r_attr_str(f, "/", "complete", complete, sizeof complete, &err) == 0 && strcmp(complete, "0") == 0)
        ok = false;
    h5r_figure *figs = NULL;
    size_t n = 0;
    ok = ok && h5r_summary(f, &figs, &n, &err) == 0;
    free(figs);
    h5r_close(f);
    return ok;
}

/* The status a point's log tells, and the error it names. */
static sweep_status log_status(const char *path, const sweep_point *p, char **error)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return SWEEP_PENDING;
    char line[2048], head[256];
    snprintf(head, sizeof head, LOG_HEAD "%zu scenario_sha256 %s", p->index, p->hash);
    sweep_status st = SWEEP_PENDING;
    bool started = false, ended = false;
    char first_error[2048] = "", end[256] = "";
    if (!fgets(line, sizeof line, f) || strncmp(line, head, strlen(head)) != 0) {
        fclose(f);
        return SWEEP_PENDING; /* a log of another point or sweep */
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "# oastwin sweep: started", 24) == 0) {
            started = true;
        } else if (strncmp(line, "# oastwin sweep: ", 17) == 0) {
            ended = true;
            snprintf(end, sizeof end, "%.200s", line + 17);
        } else if (line[0] != '#' && !first_error[0] && strstr(line, "error:")) {
            snprintf(first_error, sizeof first_error, "%s", line);
        }
    }
    fclose(f);
    if (ended) {
        st = SWEEP_FAILED;
        *error = strdup(first_error[0] ? first_error : end);
    } else if (started) {
        st = SWEEP_FAILED;
        *error = strdup("did not finish (the sweep was interrupted)");
    }
    return st;
}

int sweep_plan(sweep_t *s, diag_t *err)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s/points", s->outdir);
    if (mkdir_p(path))
        return diag_fail(err, "cannot create the output directory '%s': %s", path, strerror(errno));
    bool *unit_known = calloc(s->nparams ? s->nparams : 1, sizeof *unit_known);
    if (!unit_known)
        return diag_fail(err, "out of memory");
    for (size_t i = 0; i < s->npoints; i++) {
        sweep_point *p = &s->points[i];
        free(p->error);
        p->error = NULL;
        p->hash[0] = '\0';
        const char **sets = calloc(p->nsets ? p->nsets : 1, sizeof *sets);
        char **owned = calloc(p->nsets ? p->nsets : 1, sizeof *owned);
        if (!sets || !owned) {
            free(sets);
            free(owned);
            free(unit_known);
            return diag_fail(err, "out of memory");
        }
        for (size_t j = 0; j < p->nsets; j++) {
            size_t n = strlen(p->sets[j].key) + strlen(p->sets[j].value) + 2;
            owned[j] = malloc(n);
            if (owned[j])
                snprintf(owned[j], n, "%s=%s", p->sets[j].key, p->sets[j].value);
            sets[j] = owned[j] ? owned[j] : "";
        }
        scenario_t sc;
        diag_t e = {{0}};
        if (scenario_load(s->base, sets, p->nsets, &sc, &e)) {
            p->status = SWEEP_INVALID;
            p->error = map_error(p, e.msg);
        } else {
            sha256_hex(sc.resolved_text, strlen(sc.resolved_text), p->hash);
            for (size_t k = 0; k < s->nparams; k++) {
                const char *unit = "";
                p->pvalue[k] = resolved_value(sc.resolved_text, s->params[k], &unit);
                if (!unit_known[k] && *unit) {
                    char *u = strdup(unit);
                    if (u) {
                        free(s->punit[k]);
                        s->punit[k] = u;
                        unit_known[k] = true;
                    }
                }
            }
            scenario_free(&sc);
            snprintf(path, sizeof path, "%s/%s", s->outdir, p->trace);
            if (trace_matches(path, p->hash)) {
                p->status = SWEEP_OK;
            } else {
                snprintf(path, sizeof path, "%s/%s", s->outdir, p->log);
                p->status = log_status(path, p, &p->error);
            }
        }
        for (size_t j = 0; j < p->nsets; j++)
            free(owned[j]);
        free(owned);
        free(sets);
    }
    free(unit_known);
    return 0;
}

char **sweep_point_argv(const sweep_t *s, const sweep_point *p, const char *exe)
{
    char trace[PATH_MAX + 80];
    snprintf(trace, sizeof trace, "%s/%s", s->outdir, p->trace);
    const char *fixed[] = {exe, "run", s->base, "-o", trace, "--quiet"};
    size_t nfixed = sizeof fixed / sizeof fixed[0];
    size_t argc = nfixed + 2 * p->nsets;
    size_t bytes = (argc + 1) * sizeof(char *);
    for (size_t i = 0; i < nfixed; i++)
        bytes += strlen(fixed[i]) + 1;
    for (size_t j = 0; j < p->nsets; j++)
        bytes += sizeof "--set" + strlen(p->sets[j].key) + strlen(p->sets[j].value) + 2;
    char **argv = malloc(bytes);
    if (!argv)
        return NULL;
    char *w = (char *)(argv + argc + 1);
    size_t k = 0;
    for (size_t i = 0; i < nfixed; i++) {
        argv[k++] = w;
        w = stpcpy(w, fixed[i]) + 1;
    }
    for (size_t j = 0; j < p->nsets; j++) {
        argv[k++] = w;
        w = stpcpy(w, "--set") + 1;
        argv[k++] = w;
        w += sprintf(w, "%s=%s", p->sets[j].key, p->sets[j].value) + 1;
    }
    argv[k] = NULL;
    return argv;
}

int sweep_log_prepare(const sweep_t *s, const sweep_point *p, diag_t *err)
{
    char path[PATH_MAX + 80];
    snprintf(path, sizeof path, "%s/%s", s->outdir, p->log);
    FILE *f = fopen(path, "w");
    if (!f)
        return diag_fail(err, "cannot write '%s': %s", path, strerror(errno));
    fprintf(f, LOG_HEAD "%zu scenario_sha256 %s\n", p->index, p->hash);
    fprintf(f, "# %s\n", p->label);
    if (fclose(f))
        return diag_fail(err, "cannot write '%s': %s", path, strerror(errno));
    return 0;
}
