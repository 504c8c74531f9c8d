/* Schema binding: walks a YAML mapping against a set of fields (unknown keys with suggestions,
 * sections vs values, conditions), converts scalars to SI, applies defaults, and formats values
 * back. Used for the whole scenario (all parts at once) and for list elements (sub-tables).
 * Invariant: a field whose condition is false is neither read nor defaulted, and writing it is
 * an error that names the condition. */
#include "schema.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema_impl.h"
#include "strutil.h"

/* ---- field sets ---- */

const field *fset_find(const fset *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->f[i]->path, path) == 0)
            return s->f[i];
    return NULL;
}

long fset_index(const fset *s, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->f[i]->path, path) == 0)
            return (long)i;
    return -1;
}

static bool fset_is_section(const fset *s, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < s->n; i++)
        if (strncmp(s->f[i]->path, prefix, n) == 0 && s->f[i]->path[n] == '.')
            return true;
    return false;
}

/* Names allowed directly under PREFIX ("" = top), into BUF (NUL-separated) with pointers in OUT. */
static size_t child_names(const fset *s, const char *prefix, const char **out, size_t cap, char *buf,
                          size_t buflen)
{
    size_t n = 0, plen = strlen(prefix), used = 0;
    for (size_t i = 0; i < s->n; i++) {
        const char *p = s->f[i]->path;
        if (plen) {
            if (strncmp(p, prefix, plen) != 0 || p[plen] != '.')
                continue;
            p += plen + 1;
        }
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        bool seen = false;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strlen(out[j]) == len && strncmp(out[j], p, len) == 0;
        if (seen || n == cap || used + len + 1 > buflen)
            continue;
        memcpy(buf + used, p, len);
        buf[used + len] = '\0';
        out[n++] = buf + used;
        used += len + 1;
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

const char *schema_kind_word(const ynode *n)
{
    return n->kind == YN_MAP ? "a mapping" : n->kind == YN_SEQ ? "a list" : "a scalar";
}

int fset_walk(const fset *s, const ynode *map, const char *prefix, const char *shown, const ynode **found,
              diag_t *err)
{
    for (size_t i = 0; i < map->n; i++) {
        char path[256], show[320];
        join(path, sizeof path, prefix, map->keys[i]);
        join(show, sizeof show, shown, map->keys[i]);
        const ynode *val = map->items[i];
        if (!strcmp(map->keys[i], "preset"))
            continue; /* resolved before binding; see scenario.c */
        long fi = fset_index(s, path);
        if (fi >= 0) {
            const field *f = s->f[fi];
            if (f->kind != F_CUSTOM && val->kind != YN_SCALAR)
                return diag_fail_at(err, val->file, val->line, val->col, "'%s' must be a single value, not %s",
                                    show, schema_kind_word(val));
            found[fi] = val;
            continue;
        }
        if (fset_is_section(s, path)) {
            if (val->kind != YN_MAP)
                return diag_fail_at(err, val->file, val->line, val->col,
                                    "'%s' is a section and must be a mapping, not %s", show, schema_kind_word(val));
            if (fset_walk(s, val, path, show, found, err))
                return -1;
            continue;
        }
        const char *names[128];
        char buf[4096];
        size_t nn = child_names(s, prefix, names, 128, buf, sizeof buf);
        const char *best = str_closest(map->keys[i], names, nn);
        if (best) {
            char sugg[320];
            join(sugg, sizeof sugg, shown, best);
            return diag_fail_at(err, map->key_file[i], map->key_line[i], map->key_col[i],
                                "unknown key '%s' (did you mean '%s'?)", show, sugg);
        }
        return diag_fail_at(err, map->key_file[i], map->key_line[i], map->key_col[i], "unknown key '%s'", show);
    }
    return 0;
}

void schema_missing_pos(const ynode *root, const char *path, const char **file, int *line, int *col)
{
    const ynode *cur = root;
    *file = root->file;
    *line = root->line;
    *col = root->col;
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

/* Is F's condition true for the values already bound in BASE? */
bool fset_condition(const fset *s, const void *base, const field *f, char *why, size_t n)
{
    if (!f->when)
        return true;
    const char *eq = strchr(f->when, '=');
    char other[128];
    snprintf(other, sizeof other, "%.*s", (int)(eq - f->when), f->when);
    const field *o = fset_find(s, other);
    if (!o || o->kind != F_ENUM)
        return true;
    /* A condition on a key that is itself inactive is false (conditions chain). */
    if (o != f && !fset_condition(s, base, o, why, n))
        return false;
    const char *cur = o->names[*(const int *)((const char *)base + o->off)];
    snprintf(why, n, "%s is %s", other, eq + 1);
    const char *alts = eq + 1;
    size_t clen = strlen(cur);
    while (*alts) {
        const char *bar = strchr(alts, '|');
        size_t len = bar ? (size_t)(bar - alts) : strlen(alts);
        if (len == clen && strncmp(alts, cur, len) == 0)
            return true;
        if (!bar)
            break;
        alts = bar + 1;
    }
    return false;
}

int fset_bind(const fset *s, void *base, const ynode *root, const ynode **found, const char *shown_prefix,
              struct schema_pos *pos, diag_t *err)
{
    for (size_t i = 0; i < s->n; i++) {
        const field *f = s->f[i];
        const ynode *n = found[i];
        char show[320];
        join(show, sizeof show, shown_prefix, f->path);
        char why[192];
        if (!fset_condition(s, base, f, why, sizeof why)) {
            if (n) /* WHY names the condition that failed, the outermost of a chain included */
                return diag_fail_at(err, n->file, n->line, n->col, "'%s' applies only when %s", show, why);
            continue;
        }
        if (f->kind == F_CUSTOM) {
            if (pos && n)
                pos[i] = (struct schema_pos){n->file, n->line, n->col, true};
            if (f->custom(base, n, f, err))
                return -1;
            continue;
        }
        if (n) {
            if (pos)
                pos[i] = (struct schema_pos){n->file, n->line, n->col, true};
            if (schema_bind_scalar(base, f, show, n->value, n->file, n->line, n->col, err))
                return -1;
            continue;
        }
        const char *mfile;
        int mline, mcol;
        schema_missing_pos(root, f->path, &mfile, &mline, &mcol);
        if (pos)
            pos[i] = (struct schema_pos){mfile, mline, mcol, false};
        if (!f->def)
            return diag_fail_at(err, mfile, mline, mcol, "missing required key '%s'", show);
        if (schema_bind_scalar(base, f, show, f->def, mfile, mline, mcol, err))
            return -1;
    }
    return 0;
}

/* ---- scalars ---- */

int schema_bind_scalar(void *base, const field *f, const char *show, const char *text, const char *file, int line,
                       int col, diag_t *err)
{
    char *dst = (char *)base + f->off;
    /* Messages quote at most 60 bytes of the value (cut at a UTF-8 character boundary). */
    char shown[72];
    size_t cut = strlen(text);
    if (cut > 60) {
        cut = 60;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
    }
    snprintf(shown, sizeof shown, "%.*s%s", (int)cut, text, text[cut] ? "..." : "");
    switch (f->kind) {
    case F_CUSTOM:
        return 0;
    case F_STR: {
        size_t len = strlen(text);
        if (len >= f->size)
            return diag_fail_at(err, file, line, col, "'%s' is too long (%zu bytes; at most %zu)", show, len,
                                f->size - 1);
        memcpy(dst, text, len + 1);
        return 0;
    }
    case F_BOOL:
        if (!strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "on")) {
            *(bool *)dst = true;
            return 0;
        }
        if (!strcmp(text, "false") || !strcmp(text, "no") || !strcmp(text, "off")) {
            *(bool *)dst = false;
            return 0;
        }
        return diag_fail_at(err, file, line, col, "'%s' must be true or false, not '%s'", show, shown);
    case F_ENUM: {
        size_t nnames = 0;
        char list[512] = "";
        for (; f->names[nnames]; nnames++) {
            if (!strcmp(text, f->names[nnames])) {
                *(int *)dst = (int)nnames;
                return 0;
            }
            strncat(list, nnames ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, f->names[nnames], sizeof list - strlen(list) - 1);
        }
        const char *best = str_closest(text, (const char *const *)f->names, nnames);
        if (best)
            return diag_fail_at(err, file, line, col, "'%s' must be one of %s, not '%s' (did you mean '%s'?)", show,
                                list, shown, best);
        return diag_fail_at(err, file, line, col, "'%s' must be one of %s, not '%s'", show, list, shown);
    }
    case F_INT: {
        errno = 0;
        char *end = NULL;
        const char *s = text;
        while (isspace((unsigned char)*s))
            s++;
        long long v = strtoll(s, &end, 10);
        if (end == s || *end != '\0')
            return diag_fail_at(err, file, line, col, "'%s' must be an integer, not '%s'", show, shown);
        if (errno == ERANGE)
            return diag_fail_at(err, file, line, col, "'%s' must be between %.0f and %.0f, not '%s'", show, f->lo,
                                f->hi, shown);
        if ((double)v < f->lo || (double)v > f->hi) {
            if (f->lo == f->hi)
                return diag_fail_at(err, file, line, col, "'%s' must be %.0f, not %lld", show, f->lo, v);
            return diag_fail_at(err, file, line, col, "'%s' must be between %.0f and %.0f, not %lld", show, f->lo,
                                f->hi, v);
        }
        *(int64_t *)dst = (int64_t)v;
        return 0;
    }
    case F_QTY: {
        double v;
        char uerr[512];
        if (units_parse(text, f->dim, &v, uerr, sizeof uerr))
            return diag_fail_at(err, file, line, col, "'%s': %s", show, uerr);
        if (f->lo_open ? !(v > f->lo) : !(v >= f->lo)) {
            if (f->lo == 0)
                return diag_fail_at(err, file, line, col, "'%s' must be %s, not '%s'", show,
                                    f->lo_open ? "positive" : "zero or positive", shown);
            char lo[64];
            units_format(f->lo, f->dim, lo, sizeof lo);
            return diag_fail_at(err, file, line, col, "'%s' must be %s %s, not '%s'", show,
                                f->lo_open ? "above" : "at least", lo, shown);
        }
        if (v > f->hi) {
            char hi[64];
            units_format(f->hi, f->dim, hi, sizeof hi);
            return diag_fail_at(err, file, line, col, "'%s' must be at most %s, not '%s'", show, hi, shown);
        }
        *(double *)dst = v;
        return 0;
    }
    }
    return 0;
}

void schema_format_value(const void *base, const field *f, char *val, size_t n)
{
    const char *p = (const char *)base + f->off;
    switch (f->kind) {
    case F_STR:
        snprintf(val, n, "\"%s\"", p);
        break;
    case F_ENUM:
        snprintf(val, n, "%s", f->names[*(const int *)p]);
        break;
    case F_BOOL:
        snprintf(val, n, "%s", *(const bool *)p ? "true" : "false");
        break;
    case F_INT:
        snprintf(val, n, "%lld", (long long)*(const int64_t *)p);
        break;
    case F_QTY:
        units_format_exact(*(const double *)p, f->dim, val, n);
        break;
    case F_CUSTOM:
        snprintf(val, n, "(see %s)", f->custom_type ? f->custom_type : "below");
        break;
    }
}

/* ---- sub-tables ---- */

int schema_bind_map(void *base, const field *fields, size_t n, const ynode *map, const char *prefix, diag_t *err)
{
    if (!map || map->kind != YN_MAP)
        return diag_fail_at(err, map ? map->file : "<input>", map ? map->line : 1, map ? map->col : 1,
                            "'%s' must be a mapping, not %s", prefix, map ? schema_kind_word(map) : "nothing");
    const field **ptrs = malloc(n * sizeof *ptrs);
    const ynode **found = calloc(n ? n : 1, sizeof *found);
    int rc = -1;
    if (!ptrs || !found) {
        diag_fail(err, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &fields[i];
    fset s = {ptrs, n};
    if (fset_walk(&s, map, "", prefix, found, err))
        goto done;
    rc = fset_bind(&s, base, map, found, prefix, NULL, err);
done:
    free(ptrs);
    free(found);
    return rc;
}

/* ---- documentation ---- */

void schema_markdown_rows(FILE *f, const field *fields, size_t n, const char *prefix)
{
    for (size_t i = 0; i < n; i++) {
        const field *fd = &fields[i];
        char type[512] = "", unit[96] = "", def[160];
        switch (fd->kind) {
        case F_INT:
            snprintf(type, sizeof type, "integer");
            break;
        case F_STR:
            snprintf(type, sizeof type, "string");
            break;
        case F_BOOL:
            snprintf(type, sizeof type, "boolean");
            break;
        case F_CUSTOM:
            snprintf(type, sizeof type, "%s", fd->custom_type ? fd->custom_type : "mapping");
            break;
        case F_QTY:
            snprintf(type, sizeof type, "%s", fd->dim == DIM_NONE ? "number" : "quantity");
            if (fd->dim != DIM_NONE)
                snprintf(unit, sizeof unit, "%s (e.g. `%s`)", units_dim_name(fd->dim), units_example(fd->dim));
            break;
        case F_ENUM:
            for (int k = 0; fd->names[k]; k++) {
                strncat(type, k ? " \\| `" : "`", sizeof type - strlen(type) - 1);
                strncat(type, fd->names[k], sizeof type - strlen(type) - 1);
                strncat(type, "`", sizeof type - strlen(type) - 1);
            }
            break;
        }
        if (fd->kind == F_CUSTOM)
            snprintf(def, sizeof def, "%s", fd->def ? "optional" : "required");
        else if (!fd->def)
            snprintf(def, sizeof def, "required");
        else if (!*fd->def)
            snprintf(def, sizeof def, "(empty)");
        else
            snprintf(def, sizeof def, "`%s`", fd->def);
        fprintf(f, "| `%s%s%s` | %s | %s | %s | %s%s%s%s |\n", prefix, *prefix ? "." : "", fd->path, type, unit,
                def, fd->doc, fd->when ? " *Only when `" : "", fd->when ? fd->when : "", fd->when ? "`.*" : "");
    }
}
