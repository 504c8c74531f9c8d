/* Scenario loading: YAML tree -> presets -> --set overrides -> schema walk over every model's
 * part (unknown keys, types, units, ranges, conditions) -> scenario_t in SI -> each part's
 * cross-field check. Parts are listed once, in PARTS; their order is the order of binding (a
 * condition may only refer to an earlier field), of the resolved dump and of the reference. */
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "schema_impl.h"
#include "units.h"
#include "yamltree.h"

struct scenario_pos {
    struct schema_pos p;
};

static const char *const FIDELITIES[] = {"flow", "analytic", NULL};

#define OFF(m) offsetof(scenario_t, m)
#define BIG 1e300

static const field CORE_FIELDS[] = {
    {"schema_version", F_INT, DIM_NONE, OFF(schema_version), 0, NULL, NULL, 1, 1, false,
     "Version of this file format. Must be 1.", NULL, NULL, NULL},
    {"name", F_STR, DIM_NONE, OFF(name), sizeof(((scenario_t *)0)->name), NULL, NULL, 0, 0, false,
     "Short name of the scenario; used in the trace and as the default output file name.", NULL, NULL, NULL},
    {"seed", F_INT, DIM_NONE, OFF(seed), 0, NULL, "1", 0, 9007199254740991.0, false,
     "Seed of every random stream (each component derives its own stream from it).", NULL, NULL, NULL},
};

static const field RUN_FIELDS[] = {
    {"run.fidelity", F_ENUM, DIM_NONE, OFF(run.fidelity), 0, FIDELITIES, "flow", 0, 0, false,
     "`flow`: every transfer is a SimGrid flow (contention modelled). `analytic`: each collective "
     "step priced from path bandwidth and latency, without flows (much faster).",
     NULL, NULL, NULL},
    {"run.stop.sim_time", F_QTY, DIM_TIME, OFF(run.stop_sim_time_s), 0, NULL, "0 s", 0, BIG, false,
     "Stop the simulation at this simulated time; `0 s` runs until the workload ends.", NULL, NULL, NULL},
    {"run.sample_interval", F_QTY, DIM_TIME, OFF(run.sample_interval_s), 0, NULL, "1 ms", 0, BIG, true,
     "Period of the time series in `/timeseries`.", NULL, NULL, NULL},
    {"output.path", F_STR, DIM_NONE, OFF(out.path), sizeof(((scenario_t *)0)->out.path), NULL, "", 0, 0, false,
     "Trace file to write. Empty: `NAME.h5` in the current directory. `-o` overrides it.", NULL, NULL, NULL},
};

static int check_run(scenario_t *sc, diag_t *err)
{
    if (sc->run.stop_sim_time_s > 0 && sc->run.sample_interval_s > sc->run.stop_sim_time_s)
        return scenario_fail_at(sc, "run.sample_interval", err,
                                "'run.sample_interval' is longer than 'run.stop.sim_time'");
    /* Every sample adds a row to each time series, held in memory until the trace is written:
     * 10^9 samples are 32 GB of /timeseries/activity alone. */
    if (sc->run.stop_sim_time_s > 0 && sc->run.stop_sim_time_s / sc->run.sample_interval_s > 1e9) {
        char dt[32], stop[32];
        units_format(sc->run.sample_interval_s, DIM_TIME, dt, sizeof dt);
        units_format(sc->run.stop_sim_time_s, DIM_TIME, stop, sizeof stop);
        return scenario_fail_at(sc, "run.sample_interval", err,
                                "'run.sample_interval' (%s) over 'run.stop.sim_time' (%s) makes %.3g samples, more "
                                "than the 10^9 a trace may hold (each is a row of every time series, kept in memory "
                                "until the trace is written); sample less often or stop earlier",
                                dt, stop, sc->run.stop_sim_time_s / sc->run.sample_interval_s);
    }
    if (!sc->out.path[0])
        snprintf(sc->out.path, sizeof sc->out.path, "%s.h5", sc->name);
    return 0;
}

static const schema_part part_core = {"core", CORE_FIELDS, SCHEMA_NFIELDS(CORE_FIELDS), NULL};
static const schema_part part_run = {"run", RUN_FIELDS, SCHEMA_NFIELDS(RUN_FIELDS), check_run};

extern const schema_part schema_part_hardware, schema_part_topology, schema_part_workload, schema_part_dp,
    schema_part_model, schema_part_training, schema_part_inference, schema_part_collbench, schema_part_power,
    schema_part_cooling, schema_part_resilience, schema_part_failures, schema_part_storage;

static const schema_part *const PARTS[] = {
    &part_core,     &schema_part_hardware, &schema_part_topology, &schema_part_power, &schema_part_cooling,
    &schema_part_workload, &schema_part_dp,
    &schema_part_model,     &schema_part_training, &schema_part_inference, &schema_part_collbench,
    &schema_part_resilience, &schema_part_failures, &schema_part_storage, &part_run,
};
#define NPARTS (sizeof PARTS / sizeof PARTS[0])

/* All fields of all parts, in order (built once). */
static const fset *all_fields(void)
{
    static const field *ptrs[1024];
    static fset s = {ptrs, 0};
    if (s.n)
        return &s;
    size_t n = 0;
    for (size_t p = 0; p < NPARTS; p++)
        for (size_t i = 0; i < PARTS[p]->nfields && n < 1024; i++)
            ptrs[n++] = &PARTS[p]->fields[i];
    s.n = n;
    return &s;
}

const char *fidelity_name(fidelity f)
{
    return FIDELITIES[f];
}

const char *scenario_enum_name(const char *path, int v)
{
    const field *f = fset_find(all_fields(), path);
    if (!f || f->kind != F_ENUM || v < 0)
        return "?";
    for (int i = 0; f->names[i]; i++)
        if (i == v)
            return f->names[i];
    return "?";
}

int scenario_fail_at(const scenario_t *sc, const char *path, diag_t *err, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    long i = fset_index(all_fields(), path);
    if (i >= 0 && sc->pos && sc->pos[i].p.file) {
        const struct schema_pos *p = &sc->pos[i].p;
        return diag_fail_at(err, p->file, p->line, p->col, "%s", msg);
    }
    return diag_fail_at(err, sc->source_path ? sc->source_path : "<scenario>", 1, 1, "%s", msg);
}

/* ---- presets: `preset: NAME` in any mapping at path P takes P's subtree of
 * presets/NAME.yaml as the base that the mapping's other keys override ---- */

static int preset_file(const char *name, const char *scenario_path, char *out, size_t n)
{
    for (const char *c = name; *c; c++)
        if (!(*c == '-' || *c == '_' || *c == '.' || (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
              (*c >= 'A' && *c <= 'Z')) ||
            (c == name && *c == '.'))
            return -1;
    char dirs[4][PATH_MAX];
    int nd = 0;
    const char *env = getenv("OASTWIN_PRESETS");
    if (env && *env)
        snprintf(dirs[nd++], PATH_MAX, "%s", env);
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dirs[nd++], PATH_MAX, "%.*s/../scenarios/presets", PATH_MAX - 32, exe);
        }
    }
    const char *slash = strrchr(scenario_path, '/');
    if (slash)
        snprintf(dirs[nd++], PATH_MAX, "%.*s/presets", (int)(slash - scenario_path), scenario_path);
    snprintf(dirs[nd++], PATH_MAX, "scenarios/presets");
    for (int i = 0; i < nd; i++) {
        int w = snprintf(out, n, "%.*s/%.*s.yaml", PATH_MAX - 300, dirs[i], 250, name);
        if (w > 0 && (size_t)w < n && access(out, R_OK) == 0)
            return 0;
    }
    return -1;
}

static int resolve_presets(ynode *map, const char *path, const char *scenario_path, int depth, diag_t *err)
{
    if (map->kind != YN_MAP)
        return 0;
    long pi = yt_index(map, "preset");
    if (pi >= 0) {
        const ynode *pn = map->items[pi];
        if (depth > 4)
            return diag_fail_at(err, pn->file, pn->line, pn->col, "presets nested more than 4 deep");
        if (pn->kind != YN_SCALAR)
            return diag_fail_at(err, pn->file, pn->line, pn->col, "'preset' must be a preset name, not %s",
                                schema_kind_word(pn));
        char file[PATH_MAX];
        if (preset_file(pn->value, scenario_path, file, sizeof file))
            return diag_fail_at(err, pn->file, pn->line, pn->col,
                                "unknown preset '%s' (looked for %s.yaml in $OASTWIN_PRESETS, the program's "
                                "scenarios/presets and the scenario's presets/ folder)",
                                pn->value, pn->value);
        ynode *pre = yt_load_file(file, NULL, err);
        if (!pre)
            return -1;
        /* The preset's subtree at PATH. */
        ynode *sub = pre;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", path);
        char *save = NULL;
        for (char *tok = *buf ? strtok_r(buf, ".", &save) : NULL; tok && sub; tok = strtok_r(NULL, ".", &save))
            sub = yt_get(sub, tok);
        if (!sub || sub->kind != YN_MAP) {
            int rc = diag_fail_at(err, pn->file, pn->line, pn->col, "preset '%s' has no section '%s'", pn->value,
                                  *path ? path : "(root)");
            yt_free(pre);
            return rc;
        }
        ynode *base = yt_clone(sub);
        yt_free(pre);
        if (!base)
            return diag_fail(err, "out of memory");
        if (resolve_presets(base, path, file, depth + 1, err)) {
            yt_free(base);
            return -1;
        }
        /* Overlay the mapping's own keys (except 'preset') on the preset. */
        ynode *over = yt_clone(map);
        if (!over) {
            yt_free(base);
            return diag_fail(err, "out of memory");
        }
        long oi = yt_index(over, "preset");
        yt_free(over->items[oi]);
        free(over->keys[oi]);
        for (size_t k = (size_t)oi; k + 1 < over->n; k++) {
            over->items[k] = over->items[k + 1];
            over->keys[k] = over->keys[k + 1];
            over->key_line[k] = over->key_line[k + 1];
            over->key_col[k] = over->key_col[k + 1];
            over->key_file[k] = over->key_file[k + 1];
        }
        over->n--;
        if (yt_merge(base, over)) {
            yt_free(base);
            yt_free(over);
            return diag_fail(err, "out of memory");
        }
        yt_free(over);
        /* Move BASE's content into MAP (keeping MAP's own position). */
        for (size_t k = 0; k < map->n; k++) {
            yt_free(map->items[k]);
            free(map->keys[k]);
        }
        free(map->items);
        free(map->keys);
        free(map->key_line);
        free(map->key_col);
        free(map->key_file);
        map->items = base->items;
        map->keys = base->keys;
        map->key_line = base->key_line;
        map->key_col = base->key_col;
        map->key_file = base->key_file;
        map->n = base->n;
        map->cap = base->cap;
        base->items = NULL;
        base->keys = NULL;
        base->key_line = base->key_col = NULL;
        base->key_file = NULL;
        base->n = base->cap = 0;
        yt_free(base);
    }
    for (size_t k = 0; k < map->n; k++) {
        char sub[256];
        if (*path)
            snprintf(sub, sizeof sub, "%s.%s", path, map->keys[k]);
        else
            snprintf(sub, sizeof sub, "%s", map->keys[k]);
        if (resolve_presets(map->items[k], sub, scenario_path, depth, err))
            return -1;
    }
    return 0;
}

/* ---- --set overrides ---- */

/* ARG ("a.b=value") into ROOT; errors are positioned LABEL:INDEX:COL. */
static int apply_set_as(ynode *root, const char *arg, const char *label, int index, diag_t *err)
{
    const char *file = yt_intern(label);
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
    for (char *tok = strtok_r(key, ".", &save); tok;) {
        char *next = strtok_r(NULL, ".", &save);
        int tcol = 1 + (int)(tok - key);
        if (!next) {
            ynode *v = yt_scalar_new(value, file, index, vcol);
            if (!v || yt_map_put(cur, tok, v, index, tcol)) {
                yt_free(v);
                return diag_fail(err, "out of memory");
            }
            /* yt_map_put records the key at VAL's file: "--set". */
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
    return diag_fail_at(err, file, index, 1, "empty key path in '%s'", arg);
}

static int apply_set(ynode *root, const char *arg, int index, diag_t *err)
{
    return apply_set_as(root, arg, "--set", index, err);
}

/* Discards SECTION of ROOT (the file's or a preset's) and rebuilds it from OWN, then from the
 * --set overrides under SECTION (already applied once before presets; applied again here). */
static int replace_section(ynode *root, const char *section, const scenario_override *own, size_t nown,
                           const char *const *sets, size_t nsets, const char *path, diag_t *err)
{
    long i = yt_index(root, section);
    int line = i >= 0 ? root->key_line[i] : 1, col = i >= 0 ? root->key_col[i] : 1;
    ynode *fresh = yt_map_new(i >= 0 ? root->key_file[i] : root->file, line, col);
    if (!fresh || yt_map_put(root, section, fresh, line, col)) {
        yt_free(fresh);
        return diag_fail(err, "out of memory");
    }
    for (size_t k = 0; k < nown; k++)
        if (apply_set_as(root, own[k].text, own[k].label, 1, err))
            return -1;
    size_t len = strlen(section);
    for (size_t k = 0; k < nsets; k++)
        if (!strncmp(sets[k], section, len) && sets[k][len] == '.' && apply_set(root, sets[k], (int)k + 1, err))
            return -1;
    return resolve_presets(root, "", path, 0, err);
}

/* ---- resolved dump ---- */

static char *resolved_yaml(const scenario_t *sc)
{
    const fset *fs = all_fields();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "# resolved scenario: every key with its effective value (SI units)\n");
    char prev[256] = "";
    for (size_t i = 0; i < fs->n; i++) {
        const field *fd = fs->f[i];
        char why[192];
        if (!fset_condition(fs, sc, fd, why, sizeof why))
            continue;
        const char *a = fd->path, *b = prev;
        int depth = 0;
        /* Skip the sections shared with the previous path, print the new ones. */
        for (;;) {
            const char *da = strchr(a, '.'), *db = strchr(b, '.');
            if (!da)
                break;
            size_t la = (size_t)(da - a);
            if (db && (size_t)(db - b) == la && strncmp(a, b, la) == 0) {
                a = da + 1;
                b = db + 1;
                depth++;
                continue;
            }
            while ((da = strchr(a, '.'))) {
                fprintf(f, "%*s%.*s:\n", 2 * depth, "", (int)(da - a), a);
                a = da + 1;
                depth++;
            }
            break;
        }
        char val[4200];
        schema_format_value(sc, fd, val, sizeof val);
        fprintf(f, "%*s%s: %s\n", 2 * depth, "", a, val);
        snprintf(prev, sizeof prev, "%s", fd->path);
    }
    fclose(f);
    return buf;
}

static int load(const char *path, const char *section, const scenario_override *own, size_t nown,
                const char *const *sets, size_t nsets, scenario_t *out, diag_t *err)
{
    memset(out, 0, sizeof *out);
    const fset *fs = all_fields();
    const ynode **found = calloc(fs->n, sizeof *found);
    char *text = NULL;
    ynode *root = yt_load_file(path, &text, err);
    if (!root || !found)
        goto fail;
    out->source_path = strdup(path);
    out->source_text = text;
    out->pos = calloc(fs->n, sizeof *out->pos);
    if (!out->source_path || !out->pos) {
        diag_fail(err, "out of memory");
        goto fail;
    }
    if (root->kind == YN_SCALAR && !root->quoted &&
        (!root->value[0] || !strcmp(root->value, "~") || !strcasecmp(root->value, "null"))) {
        diag_fail_at(err, root->file, root->line, root->col, "the scenario is empty (its document is null)");
        goto fail;
    }
    if (root->kind != YN_MAP) {
        diag_fail_at(err, root->file, root->line, root->col,
                     "a scenario must be a mapping of sections (schema_version, name, hardware, ...), not %s",
                     schema_kind_word(root));
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
                     ver->kind == YN_SCALAR ? ver->value : schema_kind_word(ver), SCENARIO_SCHEMA_VERSION);
        goto fail;
    }
    for (size_t i = 0; i < nsets; i++)
        if (apply_set(root, sets[i], (int)i + 1, err))
            goto fail;
    if (resolve_presets(root, "", path, 0, err))
        goto fail;
    if (section && replace_section(root, section, own, nown, sets, nsets, path, err))
        goto fail;
    if (fset_walk(fs, root, "", "", found, err))
        goto fail;
    if (fset_bind(fs, out, root, found, "", (struct schema_pos *)out->pos, err))
        goto fail;
    for (size_t p = 0; p < NPARTS; p++)
        if (PARTS[p]->check && PARTS[p]->check(out, err))
            goto fail;
    out->resolved_text = resolved_yaml(out);
    if (!out->resolved_text) {
        diag_fail(err, "out of memory");
        goto fail;
    }
    yt_free(root);
    free(found);
    return 0;
fail:
    if (!out->source_text)
        free(text);
    yt_free(root);
    free(found);
    scenario_free(out);
    return -1;
}

int scenario_load(const char *path, const char *const *sets, size_t nsets, scenario_t *out, diag_t *err)
{
    return load(path, NULL, NULL, 0, sets, nsets, out, err);
}

int scenario_load_replacing(const char *path, const char *section, const scenario_override *own, size_t nown,
                            const char *const *sets, size_t nsets, scenario_t *out, diag_t *err)
{
    return load(path, section, own, nown, sets, nsets, out, err);
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
    char pk[64];
    units_format(sc->accel.peak_flops_Fps, DIM_FLOPRATE, pk, sizeof pk);
    fprintf(f, "Scenario '%s' (seed %llu), %s fidelity, trace %s. Accelerator: %s (%s peak). ", sc->name,
            (unsigned long long)sc->seed, fidelity_name(sc->run.fidelity), sc->out.path, sc->accel.name, pk);
}

void scenario_schema_markdown(FILE *f)
{
    fprintf(f, "# Scenario reference (schema_version %d)\n\n", SCENARIO_SCHEMA_VERSION);
    fprintf(f, "Generated by `oastwin schema --markdown` from the loader's own tables; do not edit by hand.\n\n");
    fprintf(f, "Quantities are written with units (`400 GB/s`, `3.2 Tb/s`, `200 ns`, `700 W`, `128 GiB`,\n"
               "`989 TFLOPS`); `b` is a bit and `B` a byte, `k M G T P` are powers of 10 and `Ki Mi Gi Ti` powers\n"
               "of 2. A bare number where a unit is needed is an error. Any key can be overridden from the\n"
               "command line with `--set path.to.key=value`. Any section may start from a preset with\n"
               "`preset: NAME`: the section of `scenarios/presets/NAME.yaml` at the same path is the base,\n"
               "and the section's other keys override it.\n");
    for (size_t p = 0; p < NPARTS; p++) {
        fprintf(f, "\n## %s\n\n| key | type | unit | default | meaning |\n|---|---|---|---|---|\n", PARTS[p]->name);
        schema_markdown_rows(f, PARTS[p]->fields, PARTS[p]->nfields, "");
    }
}
