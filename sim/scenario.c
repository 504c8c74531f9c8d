/* Scenario loading: YAML tree -> --set overrides -> schema walk (unknown keys, types, units,
 * ranges) -> scenario_t in SI -> cross-field checks. The FIELDS table is the single source of
 * truth for accepted keys, defaults, units and the generated reference documentation. */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "units.h"
#include "yamltree.h"

typedef enum fkind { F_INT, F_QTY, F_STR, F_ENUM } fkind;

typedef struct field {
    const char *path;
    fkind kind;
    unit_dim dim;
    size_t off;
    size_t size;               /* F_STR buffer size */
    const char *const *names;  /* F_ENUM: NULL-terminated */
    const char *def;           /* default as YAML text; NULL = required */
    double lo, hi;             /* inclusive bounds (F_INT, F_QTY); lo_open makes lo exclusive */
    bool lo_open;
    const char *doc;
} field;

struct scenario_pos {
    const char *file;
    int line, col;
    bool set; /* written in the scenario or by --set (not a default) */
};

static const char *const TOPO_KINDS[] = {"switched", NULL};
static const char *const WL_KINDS[] = {"dp_allreduce", NULL};
static const char *const FIDELITIES[] = {"flow", "analytic", NULL};
static const char *const AR_ALGS[] = {"auto", "ring", "dbtree", "rhd", NULL};

#define OFF(m) offsetof(scenario_t, m)
#define BIG 1e300

/* Order matters: it is the order of the resolved dump and of the reference. */
static const field FIELDS[] = {
    {"schema_version", F_INT, DIM_NONE, OFF(schema_version), 0, NULL, NULL, 1, 1, false,
     "Version of this file format. Must be 1."},
    {"name", F_STR, DIM_NONE, OFF(name), sizeof(((scenario_t *)0)->name), NULL, NULL, 0, 0, false,
     "Short name of the scenario; used in the trace and as the default output file name."},
    {"seed", F_INT, DIM_NONE, OFF(seed), 0, NULL, "1", 0, 9007199254740991.0, false,
     "Seed of every random stream (each component derives its own stream from it)."},

    {"hardware.accelerator.name", F_STR, DIM_NONE, OFF(accel.name), sizeof(((hw_accel *)0)->name), NULL,
     "accelerator", 0, 0, false, "Model name, for reports."},
    {"hardware.accelerator.peak_flops", F_QTY, DIM_FLOPRATE, OFF(accel.peak_flops_Fps), 0, NULL, NULL, 0, BIG,
     true, "Dense peak at the training precision (e.g. `989 TFLOPS` for H100 SXM BF16)."},
    {"hardware.accelerator.hbm_capacity", F_QTY, DIM_BYTES, OFF(accel.hbm_bytes), 0, NULL, NULL, 0, BIG, true,
     "HBM capacity; buffers that do not fit are a scenario error."},
    {"hardware.accelerator.hbm_bandwidth", F_QTY, DIM_BANDWIDTH, OFF(accel.hbm_bw_Bps), 0, NULL, NULL, 0, BIG,
     true, "HBM bandwidth; bounds memory-bound compute by the roofline."},
    {"hardware.accelerator.idle_power", F_QTY, DIM_POWER, OFF(accel.idle_power_W), 0, NULL, NULL, 0, BIG, false,
     "Power drawn when not computing."},
    {"hardware.accelerator.max_power", F_QTY, DIM_POWER, OFF(accel.max_power_W), 0, NULL, NULL, 0, BIG, true,
     "Power drawn when computing (TDP). Must be at least idle_power."},

    {"topology.kind", F_ENUM, DIM_NONE, OFF(topo.kind), 0, TOPO_KINDS, "switched", 0, 0, false,
     "Topology family. `switched`: one switch tier with `planes` parallel planes; every accelerator "
     "has one link to each plane's switch."},
    {"topology.accelerators", F_INT, DIM_NONE, OFF(topo.accelerators), 0, NULL, NULL, 1, 1048576, false,
     "Number of accelerators in the supernode."},
    {"topology.planes", F_INT, DIM_NONE, OFF(topo.planes), 0, NULL, "1", 1, 1024, false,
     "Parallel switch planes; each accelerator has one link per plane."},
    {"topology.link.bandwidth", F_QTY, DIM_BANDWIDTH, OFF(topo.link.bw_Bps), 0, NULL, NULL, 0, BIG, true,
     "Bandwidth of one accelerator-to-switch link, per direction (one plane)."},
    {"topology.link.latency", F_QTY, DIM_TIME, OFF(topo.link.lat_s), 0, NULL, NULL, 0, BIG, false,
     "Latency of one link (serdes, FEC and propagation)."},
    {"topology.switch.latency", F_QTY, DIM_TIME, OFF(topo.sw.lat_s), 0, NULL, NULL, 0, BIG, false,
     "Switch traversal latency, port to port."},

    {"workload.kind", F_ENUM, DIM_NONE, OFF(wl.kind), 0, WL_KINDS, "dp_allreduce", 0, 0, false,
     "Workload family. `dp_allreduce`: data-parallel training; each iteration is a compute phase "
     "followed by an all-reduce of the gradients over all accelerators."},
    {"workload.iterations", F_INT, DIM_NONE, OFF(wl.iterations), 0, NULL, NULL, 1, 1e9, false,
     "Number of iterations."},
    {"workload.compute.flops", F_QTY, DIM_FLOP, OFF(wl.compute_flop), 0, NULL, NULL, 0, BIG, false,
     "FLOP each accelerator computes per iteration (e.g. `6 PFLOP`)."},
    {"workload.compute.hbm_bytes", F_QTY, DIM_BYTES, OFF(wl.compute_hbm_bytes), 0, NULL, "0 B", 0, BIG, false,
     "HBM traffic per accelerator per iteration; the compute phase lasts "
     "max(flops / (peak_flops * efficiency), hbm_bytes / hbm_bandwidth)."},
    {"workload.compute.efficiency", F_QTY, DIM_NONE, OFF(wl.compute_efficiency), 0, NULL, "1", 0, 1, true,
     "Achieved fraction of peak FLOP/s in the compute phase. Default 1 (peak, by definition); set it "
     "from a measured model FLOPs utilisation."},
    {"workload.gradient_bytes", F_QTY, DIM_BYTES, OFF(wl.gradient_bytes), 0, NULL, NULL, 0, BIG, true,
     "Bytes all-reduced by every rank per iteration (must fit in HBM)."},
    {"workload.algorithm", F_ENUM, DIM_NONE, OFF(wl.algorithm), 0, AR_ALGS, "ring", 0, 0, false,
     "All-reduce algorithm: `ring`, `dbtree` (double binary tree), `rhd` (recursive halving-doubling) "
     "or `auto` (chosen by size and group, NCCL-like)."},

    {"run.fidelity", F_ENUM, DIM_NONE, OFF(run.fidelity), 0, FIDELITIES, "flow", 0, 0, false,
     "`flow`: every transfer is a SimGrid flow (contention modelled). `analytic`: each collective "
     "step priced from path bandwidth and latency, without flows (much faster)."},
    {"run.stop.sim_time", F_QTY, DIM_TIME, OFF(run.stop_sim_time_s), 0, NULL, "0 s", 0, BIG, false,
     "Stop the simulation at this simulated time; `0 s` runs until the workload ends."},
    {"run.sample_interval", F_QTY, DIM_TIME, OFF(run.sample_interval_s), 0, NULL, "1 ms", 0, BIG, true,
     "Period of the time series in `/timeseries` (activity and power)."},

    {"output.path", F_STR, DIM_NONE, OFF(out.path), sizeof(((scenario_t *)0)->out.path), NULL, "", 0, 0, false,
     "Trace file to write. Empty: `NAME.h5` in the current directory. `-o` overrides it."},
};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

const char *fidelity_name(fidelity f)
{
    return FIDELITIES[f];
}

/* ---- paths ---- */

static const field *field_by_path(const char *path);

const char *scenario_enum_name(const char *path, int v)
{
    const field *f = field_by_path(path);
    if (!f || f->kind != F_ENUM || v < 0)
        return "?";
    for (int i = 0; f->names[i]; i++)
        if (i == v)
            return f->names[i];
    return "?";
}

/* Is PREFIX (a dotted path) a section, i.e. a proper prefix of some field path? */
static bool is_section(const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < NFIELDS; i++)
        if (strncmp(FIELDS[i].path, prefix, n) == 0 && FIELDS[i].path[n] == '.')
            return true;
    return false;
}

static const field *field_by_path(const char *path)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(FIELDS[i].path, path) == 0)
            return &FIELDS[i];
    return NULL;
}

/* The names allowed directly under section PREFIX ("" for the root), for suggestions. */
static size_t child_names(const char *prefix, const char **out, size_t cap)
{
    size_t n = 0, plen = strlen(prefix);
    for (size_t i = 0; i < NFIELDS; i++) {
        const char *p = FIELDS[i].path;
        if (plen) {
            if (strncmp(p, prefix, plen) != 0 || p[plen] != '.')
                continue;
            p += plen + 1;
        }
        static char buf[NFIELDS][64];
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof buf[0])
            continue;
        bool seen = false;
        for (size_t j = 0; j < n; j++)
            if (strlen(out[j]) == len && strncmp(out[j], p, len) == 0)
                seen = true;
        if (seen || n == cap)
            continue;
        memcpy(buf[n], p, len);
        buf[n][len] = '\0';
        out[n] = buf[n];
        n++;
    }
    return n;
}

static void join(char *dst, size_t cap, const char *prefix, const char *key)
{
    if (*prefix)
        snprintf(dst, cap, "%s.%s", prefix, key);
    else
        snprintf(dst, cap, "%s", key);
}

/* ---- walking the tree: structure and unknown keys ---- */

typedef struct loader {
    scenario_t *sc;
    diag_t *err;
    const ynode *found[NFIELDS];
    const ynode *parent_of_missing[NFIELDS];
} loader;

static const char *kind_word(const ynode *n)
{
    return n->kind == YN_MAP ? "a mapping" : n->kind == YN_SEQ ? "a list" : "a scalar";
}

static int walk(loader *L, const ynode *map, const char *prefix)
{
    for (size_t i = 0; i < map->n; i++) {
        char path[256];
        join(path, sizeof path, prefix, map->keys[i]);
        const ynode *val = map->items[i];
        const field *f = field_by_path(path);
        if (f) {
            if (val->kind != YN_SCALAR)
                return diag_fail_at(L->err, val->file, val->line, val->col,
                                    "'%s' must be a single value, not %s", path, kind_word(val));
            L->found[f - FIELDS] = val;
            continue;
        }
        if (is_section(path)) {
            if (val->kind != YN_MAP)
                return diag_fail_at(L->err, val->file, val->line, val->col,
                                    "'%s' is a section and must be a mapping, not %s", path, kind_word(val));
            if (walk(L, val, path))
                return -1;
            continue;
        }
        const char *names[64];
        size_t nn = child_names(prefix, names, 64);
        const char *best = str_closest(map->keys[i], names, nn);
        if (best) {
            char sugg[256];
            join(sugg, sizeof sugg, prefix, best);
            return diag_fail_at(L->err, map->key_file[i], map->key_line[i], map->key_col[i],
                                "unknown key '%s' (did you mean '%s'?)", path, sugg);
        }
        return diag_fail_at(L->err, map->key_file[i], map->key_line[i], map->key_col[i], "unknown key '%s'",
                            path);
    }
    return 0;
}

/* Where to point for a missing key PATH: the key of the deepest existing section on the way
 * to it ("accelerator:" for hardware.accelerator.idle_power), or the document start. */
static void missing_pos(const ynode *root, const char *path, const char **file, int *line, int *col)
{
    const ynode *cur = root;
    *file = root->file;
    *line = 1;
    *col = 1;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    char *tok = strtok_r(buf, ".", &save);
    while (tok) {
        char *next = strtok_r(NULL, ".", &save);
        if (!next)
            break;
        long i = yt_index(cur, tok);
        if (i < 0 || cur->items[i]->kind != YN_MAP)
            break;
        *file = cur->key_file[i];
        *line = cur->key_line[i];
        *col = cur->key_col[i];
        cur = cur->items[i];
        tok = next;
    }
}

/* ---- converting scalars ---- */

static int bind_field(loader *L, const field *f, const char *text, const char *file, int line, int col,
                      bool from_default)
{
    char *dst = (char *)L->sc + f->off;
    switch (f->kind) {
    case F_STR: {
        size_t len = strlen(text);
        if (len >= f->size)
            return diag_fail_at(L->err, file, line, col, "'%s' is too long (%zu characters; at most %zu)", f->path,
                                len, f->size - 1);
        memcpy(dst, text, len + 1);
        return 0;
    }
    case F_ENUM: {
        for (int i = 0; f->names[i]; i++)
            if (strcmp(text, f->names[i]) == 0) {
                *(int *)dst = i;
                return 0;
            }
        char list[256] = "";
        for (int i = 0; f->names[i]; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, f->names[i], sizeof list - strlen(list) - 1);
        }
        size_t nnames = 0;
        while (f->names[nnames])
            nnames++;
        const char *best = str_closest(text, (const char *const *)f->names, nnames);
        if (best)
            return diag_fail_at(L->err, file, line, col, "'%s' must be one of %s, not '%s' (did you mean '%s'?)",
                                f->path, list, text, best);
        return diag_fail_at(L->err, file, line, col, "'%s' must be one of %s, not '%s'", f->path, list, text);
    }
    case F_INT: {
        errno = 0;
        char *end = NULL;
        const char *s = text;
        while (isspace((unsigned char)*s))
            s++;
        long long v = strtoll(s, &end, 10);
        if (end == s || *end != '\0' || errno == ERANGE) {
            double d;
            char uerr[256];
            if (units_parse(text, DIM_NONE, &d, uerr, sizeof uerr) == 0 && d == floor(d))
                return diag_fail_at(L->err, file, line, col, "'%s' must be a whole number written as digits, not '%s'",
                                    f->path, text);
            return diag_fail_at(L->err, file, line, col, "'%s' must be an integer, not '%s'", f->path, text);
        }
        if ((double)v < f->lo || (double)v > f->hi) {
            if (f->lo == f->hi)
                return diag_fail_at(L->err, file, line, col, "'%s' must be %.0f, not %lld", f->path, f->lo, v);
            return diag_fail_at(L->err, file, line, col, "'%s' must be between %.0f and %.0f, not %lld", f->path,
                                f->lo, f->hi, v);
        }
        *(int64_t *)dst = (int64_t)v;
        return 0;
    }
    case F_QTY: {
        double v;
        char uerr[512];
        if (units_parse(text, f->dim, &v, uerr, sizeof uerr))
            return diag_fail_at(L->err, file, line, col, "'%s': %s", f->path, uerr);
        if (f->lo_open ? !(v > f->lo) : !(v >= f->lo)) {
            const char *what = f->lo_open ? "positive" : "zero or positive";
            return diag_fail_at(L->err, file, line, col, "'%s' must be %s, not '%s'", f->path, what, text);
        }
        if (v > f->hi)
            return diag_fail_at(L->err, file, line, col, "'%s' must be at most %g, not '%s'", f->path, f->hi, text);
        *(double *)dst = v;
        return 0;
    }
    }
    (void)from_default;
    return 0;
}

/* ---- --set overrides ---- */

static int apply_set(ynode *root, const char *arg, int index, diag_t *err)
{
    const char *file = yt_intern("--set");
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return diag_fail_at(err, file, index, 1, "expected KEY=VALUE (e.g. topology.planes=8), got '%s'", arg);
    size_t klen = (size_t)(eq - arg);
    if (klen >= 256)
        return diag_fail_at(err, file, index, 1, "key path too long");
    char key[256];
    memcpy(key, arg, klen);
    key[klen] = '\0';
    const char *value = eq + 1;
    int vcol = (int)klen + 2;
    ynode *cur = root;
    char *save = NULL;
    int col = 1;
    for (char *tok = strtok_r(key, ".", &save); tok;) {
        char *next = strtok_r(NULL, ".", &save);
        int tcol = col + (int)(tok - key) - (col - 1);
        if (!*tok)
            return diag_fail_at(err, file, index, tcol, "empty component in key path '%.*s'", (int)klen, arg);
        if (!next) {
            ynode *v = yt_scalar_new(value, file, index, vcol);
            if (!v || yt_map_put(cur, tok, v, index, tcol)) {
                yt_free(v);
                return diag_fail(err, "out of memory");
            }
            return 0;
        }
        ynode *child = yt_get(cur, tok);
        if (!child) {
            child = yt_map_new(file, index, tcol);
            if (!child || yt_map_put(cur, tok, child, index, tcol)) {
                yt_free(child);
                return diag_fail(err, "out of memory");
            }
        } else if (child->kind != YN_MAP) {
            return diag_fail_at(err, file, index, tcol, "'%.*s' is not a section; cannot set '%.*s'",
                                (int)(next - key - 1), arg, (int)klen, arg);
        }
        cur = child;
        tok = next;
    }
    return 0;
}

/* ---- resolved dump ---- */

static char *resolved_yaml(const scenario_t *sc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "# resolved scenario: every key with its effective value (SI units)\n");
    char prev[256] = "";
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *fd = &FIELDS[i];
        /* Print the section headers that differ from the previous path. */
        const char *p = fd->path;
        int depth = 0;
        const char *a = p, *b = prev;
        while (1) {
            const char *da = strchr(a, '.'), *db = strchr(b, '.');
            if (!da)
                break;
            size_t la = (size_t)(da - a);
            bool same = db && (size_t)(db - b) == la && strncmp(a, b, la) == 0;
            if (!same) {
                /* print this and all deeper sections */
                while ((da = strchr(a, '.'))) {
                    fprintf(f, "%*s%.*s:\n", 2 * depth, "", (int)(da - a), a);
                    a = da + 1;
                    depth++;
                }
                break;
            }
            a = da + 1;
            b = db + 1;
            depth++;
        }
        const char *leaf = strrchr(p, '.') ? strrchr(p, '.') + 1 : p;
        const char *base = (const char *)sc + fd->off;
        char val[4200];
        switch (fd->kind) {
        case F_STR:
            snprintf(val, sizeof val, "\"%s\"", base);
            break;
        case F_ENUM:
            snprintf(val, sizeof val, "%s", fd->names[*(const int *)base]);
            break;
        case F_INT:
            snprintf(val, sizeof val, "%lld", (long long)*(const int64_t *)base);
            break;
        case F_QTY:
            units_format(*(const double *)base, fd->dim, val, sizeof val);
            break;
        }
        fprintf(f, "%*s%s: %s\n", 2 * depth, "", leaf, val);
        snprintf(prev, sizeof prev, "%s", p);
    }
    fclose(f);
    return buf;
}

/* ---- cross-field checks ---- */

static int check_semantics(scenario_t *sc, diag_t *err)
{
    if (sc->accel.max_power_W < sc->accel.idle_power_W)
        return scenario_fail_at(sc, "hardware.accelerator.max_power", err,
                                "'hardware.accelerator.max_power' (%g W) is below idle_power (%g W)",
                                sc->accel.max_power_W, sc->accel.idle_power_W);
    if (sc->wl.gradient_bytes > sc->accel.hbm_bytes) {
        char g[64], h[64];
        units_format(sc->wl.gradient_bytes, DIM_BYTES, g, sizeof g);
        units_format(sc->accel.hbm_bytes, DIM_BYTES, h, sizeof h);
        return scenario_fail_at(sc, "workload.gradient_bytes", err,
                                "'workload.gradient_bytes' (%s) does not fit in HBM (hardware.accelerator.hbm_capacity = %s)",
                                g, h);
    }
    if (sc->topo.accelerators < 2)
        return scenario_fail_at(sc, "topology.accelerators", err,
                                "'topology.accelerators' must be at least 2 for an all-reduce workload");
    if (sc->run.stop_sim_time_s > 0 && sc->run.sample_interval_s > sc->run.stop_sim_time_s)
        return scenario_fail_at(sc, "run.sample_interval", err,
                                "'run.sample_interval' is longer than 'run.stop.sim_time'");
    return 0;
}

int scenario_fail_at(const scenario_t *sc, const char *path, diag_t *err, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const field *f = field_by_path(path);
    if (f && sc->pos) {
        const scenario_pos *p = &sc->pos[f - FIELDS];
        return diag_fail_at(err, p->file, p->line, p->col, "%s", msg);
    }
    return diag_fail_at(err, sc->source_path ? sc->source_path : "<scenario>", 1, 1, "%s", msg);
}

int scenario_load(const char *path, const char *const *sets, size_t nsets, scenario_t *out, diag_t *err)
{
    memset(out, 0, sizeof *out);
    loader L = {.sc = out, .err = err};
    char *text = NULL;
    ynode *root = yt_load_file(path, &text, err);
    if (!root)
        return -1;
    out->source_path = strdup(path);
    out->source_text = text;
    out->pos = calloc(NFIELDS, sizeof *out->pos);
    if (!out->source_path || !out->pos) {
        diag_fail(err, "out of memory");
        goto fail;
    }
    if (root->kind != YN_MAP) {
        diag_fail_at(err, root->file, root->line, root->col,
                     "a scenario must be a mapping of sections (schema_version, name, hardware, ...), not %s",
                     kind_word(root));
        goto fail;
    }
    /* The version decides how everything else is read: check it first. */
    const ynode *ver = yt_get(root, "schema_version");
    if (!ver) {
        diag_fail_at(err, root->file, 1, 1,
                     "missing required key 'schema_version' (this program reads schema_version %d)",
                     SCENARIO_SCHEMA_VERSION);
        goto fail;
    }
    if (ver->kind != YN_SCALAR || strcmp(ver->value, "1") != 0) {
        diag_fail_at(err, ver->file, ver->line, ver->col, "unsupported schema_version '%s' (this program reads %d)",
                     ver->kind == YN_SCALAR ? ver->value : kind_word(ver), SCENARIO_SCHEMA_VERSION);
        goto fail;
    }
    for (size_t i = 0; i < nsets; i++)
        if (apply_set(root, sets[i], (int)i + 1, err))
            goto fail;
    if (walk(&L, root, ""))
        goto fail;
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *f = &FIELDS[i];
        const ynode *n = L.found[i];
        if (n) {
            out->pos[i] = (scenario_pos){n->file, n->line, n->col, true};
            if (bind_field(&L, f, n->value, n->file, n->line, n->col, false))
                goto fail;
            continue;
        }
        const char *mfile;
        int mline, mcol;
        missing_pos(root, f->path, &mfile, &mline, &mcol);
        out->pos[i] = (scenario_pos){mfile, mline, mcol, false};
        if (!f->def) {
            diag_fail_at(err, mfile, mline, mcol, "missing required key '%s'", f->path);
            goto fail;
        }
        if (bind_field(&L, f, f->def, mfile, mline, mcol, true))
            goto fail;
    }
    if (check_semantics(out, err))
        goto fail;
    if (!out->out.path[0])
        snprintf(out->out.path, sizeof out->out.path, "%s.h5", out->name);
    out->resolved_text = resolved_yaml(out);
    if (!out->resolved_text) {
        diag_fail(err, "out of memory");
        goto fail;
    }
    yt_free(root);
    return 0;
fail:
    yt_free(root);
    scenario_free(out);
    return -1;
}

void scenario_free(scenario_t *sc)
{
    free(sc->source_path);
    free(sc->source_text);
    free(sc->resolved_text);
    free(sc->pos);
    sc->source_path = sc->source_text = sc->resolved_text = NULL;
    sc->pos = NULL;
}

void scenario_describe(const scenario_t *sc, FILE *f)
{
    char bw[64], lat[64], sl[64], pk[64], gb[64], fl[64];
    units_format(sc->topo.link.bw_Bps, DIM_BANDWIDTH, bw, sizeof bw);
    units_format(sc->topo.link.lat_s, DIM_TIME, lat, sizeof lat);
    units_format(sc->topo.sw.lat_s, DIM_TIME, sl, sizeof sl);
    units_format(sc->accel.peak_flops_Fps, DIM_FLOPRATE, pk, sizeof pk);
    units_format(sc->wl.gradient_bytes, DIM_BYTES, gb, sizeof gb);
    units_format(sc->wl.compute_flop, DIM_FLOP, fl, sizeof fl);
    fprintf(f,
            "Scenario '%s' (seed %llu): one supernode of %lld %s accelerators (%s peak each) on a single "
            "switch tier with %lld plane%s; each accelerator has one %s link per plane (%s link latency, %s "
            "switch traversal). Workload: %lld data-parallel training iteration%s, each %s of compute per "
            "accelerator at %.0f%% efficiency then a %s all-reduce of %s over all %lld ranks. "
            "Fidelity: %s. Trace: %s.\n",
            sc->name, (unsigned long long)sc->seed, (long long)sc->topo.accelerators, sc->accel.name, pk,
            (long long)sc->topo.planes, sc->topo.planes == 1 ? "" : "s", bw, lat, sl, (long long)sc->wl.iterations,
            sc->wl.iterations == 1 ? "" : "s", fl, 100.0 * sc->wl.compute_efficiency, AR_ALGS[sc->wl.algorithm], gb, (long long)sc->topo.accelerators,
            fidelity_name(sc->run.fidelity), sc->out.path);
}

void scenario_schema_markdown(FILE *f)
{
    fprintf(f, "# Scenario reference (schema_version %d)\n\n", SCENARIO_SCHEMA_VERSION);
    fprintf(f, "Generated by `oastwin schema --markdown` from the loader's own table; do not edit by hand.\n\n");
    fprintf(f, "Quantities are written with units (`400 GB/s`, `3.2 Tb/s`, `200 ns`, `700 W`, `128 GiB`,\n"
               "`989 TFLOPS`); `b` is a bit and `B` a byte, `k M G T P` are powers of 10 and `Ki Mi Gi Ti` powers\n"
               "of 2. A bare number where a unit is needed is an error. Any key can be overridden from the\n"
               "command line with `--set path.to.key=value`.\n\n");
    fprintf(f, "| key | type | unit | default | meaning |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *fd = &FIELDS[i];
        const char *type = "";
        char unit[64] = "";
        char type_buf[256];
        switch (fd->kind) {
        case F_INT:
            type = "integer";
            break;
        case F_STR:
            type = "string";
            break;
        case F_QTY:
            type = fd->dim == DIM_NONE ? "number" : "quantity";
            snprintf(unit, sizeof unit, "%s (e.g. `%s`)", units_dim_name(fd->dim), units_example(fd->dim));
            if (fd->dim == DIM_NONE)
                unit[0] = '\0';
            break;
        case F_ENUM: {
            type_buf[0] = '\0';
            for (int k = 0; fd->names[k]; k++) {
                strncat(type_buf, k ? " \\| `" : "`", sizeof type_buf - strlen(type_buf) - 1);
                strncat(type_buf, fd->names[k], sizeof type_buf - strlen(type_buf) - 1);
                strncat(type_buf, "`", sizeof type_buf - strlen(type_buf) - 1);
            }
            type = type_buf;
            break;
        }
        }
        char def[128];
        if (!fd->def)
            snprintf(def, sizeof def, "required");
        else if (!*fd->def)
            snprintf(def, sizeof def, "(empty)");
        else
            snprintf(def, sizeof def, "`%s`", fd->def);
        fprintf(f, "| `%s` | %s | %s | %s | %s |\n", fd->path, type, unit, def, fd->doc);
    }
}
