/* The sweep file: base scenario, fixed overrides, axes (grid: one axis per path; zip: paths
 * advanced together) -> the list of points, each a list of --set overrides that remember where
 * their value was written. Invariant: point i is the mixed-radix decomposition of i over the
 * axes in the order they are written, first axis slowest; nothing here reads a scenario. */
#include "sweep.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strutil.h"
#include "yamltree.h"

typedef struct column {
    const char *path; /* borrowed from the tree */
    const ynode *items;
} column;

typedef struct axis {
    column *cols;
    size_t ncols, len;
} axis;

typedef struct setlist {
    sweep_set *v;
    size_t n, cap;
} setlist;

static char *dupstr(const char *s)
{
    return strdup(s ? s : "");
}

static int setlist_add(setlist *l, const char *key, const ynode *val)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        sweep_set *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    sweep_set *s = &l->v[l->n];
    s->key = dupstr(key);
    s->value = dupstr(val->value);
    s->file = val->file;
    s->line = val->line;
    s->col = val->col;
    if (!s->key || !s->value) {
        free(s->key);
        free(s->value);
        return -1;
    }
    l->n++;
    return 0;
}

static void setlist_free(setlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static const char *kind_word(const ynode *n)
{
    return n->kind == YN_MAP ? "a mapping" : n->kind == YN_SEQ ? "a list" : "a scalar";
}

/* Adds PATH = NODE to L: a scalar as it is, a mapping key by key ("path.key"). */
static int flatten(setlist *l, const char *path, const ynode *node, diag_t *err)
{
    if (node->kind == YN_SCALAR) {
        if (setlist_add(l, path, node))
            return diag_fail(err, "out of memory");
        return 0;
    }
    if (node->kind == YN_SEQ)
        return diag_fail_at(err, node->file, node->line, node->col,
                            "'%s': a swept value must be a scalar or a mapping of scalars (--set takes "
                            "scalars), not a list",
                            path);
    if (node->n == 0)
        return diag_fail_at(err, node->file, node->line, node->col, "'%s': empty mapping", path);
    for (size_t i = 0; i < node->n; i++) {
        char sub[512];
        int w = snprintf(sub, sizeof sub, "%s.%s", path, node->keys[i]);
        if (w < 0 || (size_t)w >= sizeof sub)
            return diag_fail_at(err, node->file, node->key_line[i], node->key_col[i], "key path too long");
        if (flatten(l, sub, node->items[i], err))
            return -1;
    }
    return 0;
}

static int check_path(const ynode *map, size_t i, diag_t *err)
{
    const char *k = map->keys[i];
    bool ok = *k && k[0] != '.' && k[strlen(k) - 1] != '.' && !strstr(k, "..") && !strchr(k, '=');
    if (!ok)
        return diag_fail_at(err, map->key_file[i], map->key_line[i], map->key_col[i],
                            "'%s' is not a scenario key path (write it like topology.link.bandwidth)", k);
    return 0;
}

/* Appends one axis per key of GRID. */
static int add_grid(axis **axes, size_t *naxes, const ynode *grid, diag_t *err)
{
    if (grid->kind != YN_MAP || grid->n == 0)
        return diag_fail_at(err, grid->file, grid->line, grid->col,
                            "'grid' must be a mapping of scenario paths to lists of values, not %s",
                            grid->kind == YN_MAP ? "an empty mapping" : kind_word(grid));
    for (size_t i = 0; i < grid->n; i++) {
        if (check_path(grid, i, err))
            return -1;
        const ynode *v = grid->items[i];
        if (v->kind != YN_SEQ || v->n == 0)
            return diag_fail_at(err, v->file, v->line, v->col, "'grid.%s' must be a non-empty list of values, not %s",
                                grid->keys[i], v->kind == YN_SEQ ? "an empty list" : kind_word(v));
        axis *a = realloc(*axes, (*naxes + 1) * sizeof *a);
        if (!a)
            return diag_fail(err, "out of memory");
        *axes = a;
        a[*naxes].cols = malloc(sizeof(column));
        if (!a[*naxes].cols)
            return diag_fail(err, "out of memory");
        a[*naxes].cols[0] = (column){grid->keys[i], v};
        a[*naxes].ncols = 1;
        a[*naxes].len = v->n;
        (*naxes)++;
    }
    return 0;
}

/* Appends one axis for the mapping ZIP (its lists advance together). */
static int add_zip(axis **axes, size_t *naxes, const ynode *zip, const char *shown, diag_t *err)
{
    if (zip->kind != YN_MAP || zip->n == 0)
        return diag_fail_at(err, zip->file, zip->line, zip->col,
                            "'%s' must be a mapping of scenario paths to lists of equal length, not %s", shown,
                            zip->kind == YN_MAP ? "an empty mapping" : kind_word(zip));
    axis ax = {calloc(zip->n, sizeof(column)), zip->n, 0};
    if (!ax.cols)
        return diag_fail(err, "out of memory");
    for (size_t i = 0; i < zip->n; i++) {
        const ynode *v = zip->items[i];
        if (check_path(zip, i, err))
            goto fail;
        if (v->kind != YN_SEQ || v->n == 0) {
            diag_fail_at(err, v->file, v->line, v->col, "'%s.%s' must be a non-empty list of values, not %s", shown,
                         zip->keys[i], v->kind == YN_SEQ ? "an empty list" : kind_word(v));
            goto fail;
        }
        if (i > 0 && v->n != ax.len) {
            diag_fail_at(err, v->file, v->line, v->col,
                         "'%s.%s' has %zu values but '%s.%s' has %zu: zipped lists must have equal length", shown,
                         zip->keys[i], v->n, shown, zip->keys[0], ax.len);
            goto fail;
        }
        ax.cols[i] = (column){zip->keys[i], v};
        ax.len = v->n;
    }
    axis *a = realloc(*axes, (*naxes + 1) * sizeof *a);
    if (!a) {
        diag_fail(err, "out of memory");
        goto fail;
    }
    *axes = a;
    a[(*naxes)++] = ax;
    return 0;
fail:
    free(ax.cols);
    return -1;
}

static const char *const TOP_KEYS[] = {"sweep_version", "name", "base", "output", "set", "grid", "zip"};
#define NTOP (sizeof TOP_KEYS / sizeof TOP_KEYS[0])

static const ynode *scalar_key(const ynode *root, const char *key, diag_t *err, int *rc)
{
    const ynode *n = yt_get(root, key);
    if (n && n->kind != YN_SCALAR) {
        *rc = diag_fail_at(err, n->file, n->line, n->col, "'%s' must be a scalar, not %s", key, kind_word(n));
        return NULL;
    }
    return n;
}

/* The directory part of PATH ("." when none), into BUF. */
static void dir_of(const char *path, char *buf, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(buf, n, ".");
    else if (slash == path)
        snprintf(buf, n, "/");
    else
        snprintf(buf, n, "%.*s", (int)(slash - path), path);
}

static int add_param(sweep_t *s, const char *key)
{
    for (size_t i = 0; i < s->nparams; i++)
        if (strcmp(s->params[i], key) == 0)
            return 0;
    char **p = realloc(s->params, (s->nparams + 1) * sizeof *p);
    if (!p)
        return -1;
    s->params = p;
    if (!(p[s->nparams] = dupstr(key)))
        return -1;
    s->nparams++;
    return 0;
}

/* Builds point IDX: fixed sets, then each axis's chosen values. */
static int make_point(sweep_t *s, size_t idx, const setlist *fixed, const axis *axes, size_t naxes, diag_t *err)
{
    sweep_point *p = &s->points[idx];
    setlist l = {0};
    p->index = idx;
    for (size_t i = 0; i < fixed->n; i++) {
        ynode tmp = {.kind = YN_SCALAR, .value = fixed->v[i].value, .file = fixed->v[i].file,
                     .line = fixed->v[i].line, .col = fixed->v[i].col};
        if (setlist_add(&l, fixed->v[i].key, &tmp))
            goto oom;
    }
    size_t first_axis_set = l.n;
    char *label = NULL;
    size_t llen = 0;
    FILE *lf = open_memstream(&label, &llen);
    if (!lf)
        goto oom;
    size_t rest = idx;
    size_t stride = s->npoints;
    for (size_t a = 0; a < naxes; a++) {
        stride /= axes[a].len;
        size_t k = rest / stride;
        rest %= stride;
        for (size_t c = 0; c < axes[a].ncols; c++) {
            size_t before = l.n;
            if (flatten(&l, axes[a].cols[c].path, axes[a].cols[c].items->items[k], err)) {
                fclose(lf);
                free(label);
                setlist_free(&l);
                return -1;
            }
            for (size_t j = before; j < l.n; j++)
                fprintf(lf, "%s%s=%s", ftell(lf) ? ", " : "", l.v[j].key, l.v[j].value);
        }
    }
    fclose(lf);
    p->label = label;
    /* A path set twice (by 'set' and an axis, or by two axes) would hide one of the values. */
    for (size_t j = first_axis_set; j < l.n; j++)
        for (size_t i = 0; i < j; i++)
            if (strcmp(l.v[i].key, l.v[j].key) == 0) {
                int rc = diag_fail_at(err, l.v[j].file, l.v[j].line, l.v[j].col,
                                      "'%s' is already set at %s:%d:%d; a path may be swept or set only once",
                                      l.v[j].key, l.v[i].file, l.v[i].line, l.v[i].col);
                setlist_free(&l);
                return rc;
            }
    for (size_t j = first_axis_set; j < l.n; j++)
        if (add_param(s, l.v[j].key))
            goto oom_list;
    p->sets = l.v;
    p->nsets = l.n;
    snprintf(p->trace, sizeof p->trace, "points/%04zu.h5", idx);
    snprintf(p->log, sizeof p->log, "points/%04zu.log", idx);
    p->status = SWEEP_PENDING;
    return 0;
oom_list:
    setlist_free(&l);
    return diag_fail(err, "out of memory");
oom:
    setlist_free(&l);
    return diag_fail(err, "out of memory");
}

/* Fills each point's PTEXT from its sets (after every point has named its paths). */
static int fill_ptext(sweep_t *s)
{
    for (size_t i = 0; i < s->npoints; i++) {
        sweep_point *p = &s->points[i];
        p->ptext = calloc(s->nparams ? s->nparams : 1, sizeof *p->ptext);
        p->pvalue = calloc(s->nparams ? s->nparams : 1, sizeof *p->pvalue);
        if (!p->ptext || !p->pvalue)
            return -1;
        for (size_t k = 0; k < s->nparams; k++) {
            const char *v = "";
            for (size_t j = 0; j < p->nsets; j++)
                if (strcmp(p->sets[j].key, s->params[k]) == 0)
                    v = p->sets[j].value;
            p->pvalue[k] = NAN;
            if (!(p->ptext[k] = dupstr(v)))
                return -1;
        }
    }
    s->punit = calloc(s->nparams ? s->nparams : 1, sizeof *s->punit);
    if (!s->punit)
        return -1;
    for (size_t k = 0; k < s->nparams; k++)
        if (!(s->punit[k] = dupstr("")))
            return -1;
    return 0;
}

sweep_t *sweep_load(const char *path, const char *outdir, diag_t *err)
{
    sweep_t *s = calloc(1, sizeof *s);
    axis *axes = NULL;
    size_t naxes = 0;
    setlist fixed = {0};
    ynode *root = NULL;
    if (!s) {
        diag_fail(err, "out of memory");
        return NULL;
    }
    s->path = dupstr(path);
    root = yt_load_file(path, &s->text, err);
    if (!root || !s->path)
        goto fail;
    if (root->kind != YN_MAP) {
        diag_fail_at(err, root->file, root->line, root->col,
                     "a sweep file must be a mapping (base, grid, zip, set, name, output), not %s", kind_word(root));
        goto fail;
    }
    for (size_t i = 0; i < root->n; i++) {
        bool known = false;
        for (size_t k = 0; k < NTOP; k++)
            known = known || strcmp(root->keys[i], TOP_KEYS[k]) == 0;
        if (!known) {
            const char *near = str_closest(root->keys[i], TOP_KEYS, NTOP);
            char hint[128] = "";
            if (near)
                snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
            diag_fail_at(err, root->key_file[i], root->key_line[i], root->key_col[i],
                         "unknown key '%s' in a sweep file%s; a sweep has base, name, output, set, grid, zip",
                         root->keys[i], hint);
            goto fail;
        }
    }
    int rc = 0;
    const ynode *ver = scalar_key(root, "sweep_version", err, &rc);
    const ynode *name = scalar_key(root, "name", err, &rc);
    const ynode *base = scalar_key(root, "base", err, &rc);
    const ynode *out = scalar_key(root, "output", err, &rc);
    if (rc)
        goto fail;
    if (ver && strcmp(ver->value, "1") != 0) {
        diag_fail_at(err, ver->file, ver->line, ver->col, "unsupported sweep_version '%s' (this program reads 1)",
                     ver->value);
        goto fail;
    }
    if (!base || !*base->value) {
        diag_fail_at(err, root->file, 1, 1, "missing required key 'base' (the scenario every point starts from)");
        goto fail;
    }
    char dir[PATH_MAX];
    dir_of(path, dir, sizeof dir);
    char buf[PATH_MAX + 64];
    if (base->value[0] == '/' || strcmp(dir, ".") == 0)
        snprintf(buf, sizeof buf, "%s", base->value);
    else
        snprintf(buf, sizeof buf, "%s/%s", dir, base->value);
    s->base = dupstr(buf);
    s->base_line = base->line;
    s->base_col = base->col;
    if (name && *name->value) {
        s->name = dupstr(name->value);
    } else { /* the file name without directory and extension */
        const char *b = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        const char *dot = strrchr(b, '.');
        snprintf(buf, sizeof buf, "%.*s", (int)(dot && dot != b ? dot - b : (long)strlen(b)), b);
        s->name = dupstr(buf);
    }
    if (outdir && *outdir)
        s->outdir = dupstr(outdir);
    else if (out && *out->value)
        s->outdir = dupstr(out->value);
    else {
        snprintf(buf, sizeof buf, "%s.sweep", s->name);
        s->outdir = dupstr(buf);
    }
    if (!s->base || !s->name || !s->outdir) {
        diag_fail(err, "out of memory");
        goto fail;
    }
    const ynode *set = yt_get(root, "set");
    if (set) {
        if (set->kind != YN_MAP) {
            diag_fail_at(err, set->file, set->line, set->col,
                         "'set' must be a mapping of scenario paths to values, not %s", kind_word(set));
            goto fail;
        }
        for (size_t i = 0; i < set->n; i++)
            if (check_path(set, i, err) || flatten(&fixed, set->keys[i], set->items[i], err))
                goto fail;
    }
    for (size_t i = 0; i < root->n; i++) {
        const ynode *v = root->items[i];
        if (strcmp(root->keys[i], "grid") == 0) {
            if (add_grid(&axes, &naxes, v, err))
                goto fail;
        } else if (strcmp(root->keys[i], "zip") == 0) {
            if (v->kind == YN_SEQ) {
                if (v->n == 0) {
                    diag_fail_at(err, v->file, v->line, v->col, "'zip' is an empty list");
                    goto fail;
                }
                for (size_t k = 0; k < v->n; k++) {
                    char shown[32];
                    snprintf(shown, sizeof shown, "zip[%zu]", k);
                    if (add_zip(&axes, &naxes, v->items[k], shown, err))
                        goto fail;
                }
            } else if (add_zip(&axes, &naxes, v, "zip", err)) {
                goto fail;
            }
        }
    }
    if (naxes == 0) {
        diag_fail_at(err, root->file, 1, 1, "a sweep needs 'grid' or 'zip' (the values to sweep)");
        goto fail;
    }
    /* The same path in two axes is an error even before points are built. */
    for (size_t a = 0; a < naxes; a++)
        for (size_t c = 0; c < axes[a].ncols; c++)
            for (size_t b = 0; b <= a; b++)
                for (size_t d = 0; d < (b == a ? c : axes[b].ncols); d++)
                    if (strcmp(axes[a].cols[c].path, axes[b].cols[d].path) == 0) {
                        const ynode *n = axes[a].cols[c].items;
                        diag_fail_at(err, n->file, n->line, n->col, "'%s' is swept twice", axes[a].cols[c].path);
                        goto fail;
                    }
    size_t npoints = 1;
    for (size_t a = 0; a < naxes; a++) {
        if (npoints > SWEEP_MAX_POINTS / axes[a].len) {
            const ynode *n = axes[a].cols[0].items;
            diag_fail_at(err, n->file, n->line, n->col, "the sweep has more than %d points", SWEEP_MAX_POINTS);
            goto fail;
        }
        npoints *= axes[a].len;
    }
    s->naxes = naxes;
    s->npoints = npoints;
    s->points = calloc(npoints, sizeof *s->points);
    if (!s->points) {
        diag_fail(err, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < npoints; i++)
        if (make_point(s, i, &fixed, axes, naxes, err))
            goto fail;
    if (fill_ptext(s)) {
        diag_fail(err, "out of memory");
        goto fail;
    }
    for (size_t a = 0; a < naxes; a++)
        free(axes[a].cols);
    free(axes);
    setlist_free(&fixed);
    yt_free(root);
    return s;
fail:
    for (size_t a = 0; a < naxes; a++)
        free(axes[a].cols);
    free(axes);
    setlist_free(&fixed);
    yt_free(root);
    sweep_free(s);
    return NULL;
}

void sweep_free(sweep_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->npoints; i++) {
        sweep_point *p = &s->points[i];
        for (size_t j = 0; j < p->nsets; j++) {
            free(p->sets[j].key);
            free(p->sets[j].value);
        }
        free(p->sets);
        free(p->label);
        if (p->ptext)
            for (size_t k = 0; k < s->nparams; k++)
                free(p->ptext[k]);
        free(p->ptext);
        free(p->pvalue);
        free(p->error);
    }
    free(s->points);
    for (size_t k = 0; k < s->nparams; k++) {
        free(s->params[k]);
        if (s->punit)
            free(s->punit[k]);
    }
    free(s->params);
    free(s->punit);
    free(s->path);
    free(s->text);
    free(s->name);
    free(s->base);
    free(s->outdir);
    free(s);
}
