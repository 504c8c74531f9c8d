/* The components the resilience runs fail, chosen by rule from a design's topology tables (the
 * /topology tables every trace carries, written for the design once as topology.h5): one
 * optical link, one switch chip with all its links, one plane. Also the compact text form of a
 * list of physical link ids ("3,7-9") that a degraded run takes.
 * Invariant: the choice depends only on the tables, so the same design fails the same links. */
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "h5read.h"
#include "platform.h"
#include "scenario.h"
#include "scorecard.h"
#include "sha256.h"
#include "trace.h"
#include "version.h"

/* ---- link lists ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

char *sc_links_format(const int64_t *ids, size_t n)
{
    size_t cap = 32 * n + 2, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && ids[j + 1] == ids[j] + 1)
            j++;
        int w = j > i ? snprintf(s + len, cap - len, "%s%lld-%lld", len ? "," : "", (long long)ids[i],
                                 (long long)ids[j])
                      : snprintf(s + len, cap - len, "%s%lld", len ? "," : "", (long long)ids[i]);
        len += (size_t)w;
        i = j + 1;
    }
    return s;
}

static int parse_id(const char **p, int64_t *v)
{
    if (**p < '0' || **p > '9')
        return -1;
    char *end;
    errno = 0;
    long long x = strtoll(*p, &end, 10);
    if (errno || x < 0)
        return -1;
    *v = x;
    *p = end;
    return 0;
}

int sc_links_parse(const char *text, int64_t **ids, size_t *n, diag_t *err)
{
    *ids = NULL;
    *n = 0;
    size_t cap = 0;
    const char *p = text;
    while (*p) {
        int64_t a, b;
        if (parse_id(&p, &a))
            goto bad;
        b = a;
        if (*p == '-') {
            p++;
            if (parse_id(&p, &b) || b < a)
                goto bad;
        }
        if (b - a > 100000000)
            goto bad;
        for (int64_t v = a; v <= b; v++) {
            if (*n == cap) {
                cap = cap ? 2 * cap : 64;
                int64_t *x = realloc(*ids, cap * sizeof *x);
                if (!x) {
                    free(*ids);
                    *ids = NULL;
                    return diag_fail(err, "out of memory");
                }
                *ids = x;
            }
            (*ids)[(*n)++] = v;
        }
        if (*p == ',') {
            if (!*++p)
                goto bad; /* a trailing comma */
        } else if (*p) {
            goto bad;
        }
    }
    if (*n)
        qsort(*ids, *n, sizeof **ids, cmp_i64);
    size_t k = 0;
    for (size_t i = 0; i < *n; i++)
        if (k == 0 || (*ids)[i] != (*ids)[k - 1])
            (*ids)[k++] = (*ids)[i];
    *n = k;
    return 0;
bad:
    free(*ids);
    *ids = NULL;
    *n = 0;
    return diag_fail(err, "bad link list '%.200s' (expected ids and ranges such as 3,7-9)", text);
}

/* ---- the topology file ---- */

int sc_topology_prepare(sc_design *d, diag_t *err)
{
    size_t nc;
    const char *const *common = sc_common_sets(&nc);
    const char *sets[16];
    size_t ns = 0;
    for (size_t i = 0; i < nc && ns < 15; i++)
        sets[ns++] = common[i];
    sets[ns++] = "workload.kind=collbench";
    scenario_t sc;
    if (scenario_load(d->path, sets, ns, &sc, err))
        return -1;
    platform_t *p = platform_build(&sc, err);
    trace_t *t = p ? trace_new() : NULL;
    int rc = -1;
    if (!t) {
        if (p)
            diag_fail(err, "out of memory");
        goto out;
    }
    char sha[65], created[32];
    sha256_hex(sc.resolved_text, strlen(sc.resolved_text), sha);
    time_t now = time(NULL);
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch && *epoch)
        now = (time_t)strtoll(epoch, NULL, 10);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    trace_attr_i64(t, "schema_version", OASTWIN_TRACE_SCHEMA_VERSION);
    trace_attr_str(t, "software_version", OASTWIN_VERSION);
    trace_attr_i64(t, "seed", (int64_t)sc.seed);
    trace_attr_str(t, "scenario_sha256", sha);
    trace_attr_str(t, "created", created);
    trace_attr_str(t, "name", sc.name);
    trace_text(t, "/scenario/source", sc.source_text, "the design file, verbatim");
    trace_text(t, "/scenario/resolved", sc.resolved_text, "the resolved design (every key in SI units)");
    if (platform_to_trace(p, t)) {
        diag_fail(err, "out of memory");
        goto out;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/topology.h5", d->runs_dir);
    if (trace_write(t, path, err))
        goto out;
    rc = sc_components_choose(path, d->planes, d->down, err);
out:
    trace_free(t);
    platform_free(p);
    scenario_free(&sc);
    return rc;
}

int sc_h5_str_column(const char *path, const char *table, const char *col, char ***out, size_t *n,
                           diag_t *err)
{
    H5E_auto2_t fn;
    void *data;
    H5Eget_auto2(H5E_DEFAULT, &fn, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = -1;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = f >= 0 ? H5Dopen2(f, table, H5P_DEFAULT) : -1;
    hid_t ft = ds >= 0 ? H5Dget_type(ds) : -1;
    int idx = ft >= 0 ? H5Tget_member_index(ft, col) : -1;
    hid_t mt = idx >= 0 ? H5Tget_member_type(ft, (unsigned)idx) : -1;
    hid_t st = -1, mem = -1, sp = -1;
    char *buf = NULL;
    if (mt < 0 || H5Tget_class(mt) != H5T_STRING || H5Tis_variable_str(mt) > 0) {
        diag_fail(err, "%s: no string column '%s' in %s", path, col, table);
        goto out;
    }
    size_t sz = H5Tget_size(mt);
    st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, sz);
    H5Tset_strpad(st, H5T_STR_NULLPAD);
    H5Tset_cset(st, H5Tget_cset(mt));
    mem = H5Tcreate(H5T_COMPOUND, sz);
    sp = H5Dget_space(ds);
    hssize_t rows = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (mem < 0 || H5Tinsert(mem, col, 0, st) < 0 || rows < 0) {
        diag_fail(err, "%s: cannot read %s/%s", path, table, col);
        goto out;
    }
    size_t nr = (size_t)rows;
    buf = malloc(nr * sz + 1);
    char **blk = malloc(nr * sizeof(char *) + nr * (sz + 1) + 1);
    if (!buf || !blk) {
        free(blk);
        diag_fail(err, "out of memory");
        goto out;
    }
    if (nr && H5Dread(ds, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        free(blk);
        diag_fail(err, "%s: cannot read %s/%s", path, table, col);
        goto out;
    }
    char *s = (char *)(blk + nr);
    for (size_t i = 0; i < nr; i++) {
        blk[i] = s;
        memcpy(s, buf + i * sz, sz);
        s[sz] = '\0';
        s += sz + 1;
    }
    *out = blk;
    *n = nr;
    rc = 0;
out:
    free(buf);
    if (sp >= 0)
        H5Sclose(sp);
    if (mem >= 0)
        H5Tclose(mem);
    if (st >= 0)
        H5Tclose(st);
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    if (ds >= 0)
        H5Dclose(ds);
    if (f >= 0)
        H5Fclose(f);
    H5Eset_auto2(H5E_DEFAULT, fn, data);
    return rc;
}

/* The topology tables the choice reads. */
typedef struct topo_tabs {
    size_t nl, nn, ns;
    double *l_id, *l_a, *l_b, *l_via, *l_tier, *l_plane, *l_bw, *l_up, *l_down;
    char **l_medium;
    double *n_id, *n_tier, *n_sn;
    char **n_kind, **n_name;
    double *s_bw;
    int64_t *sn_of; /* [nn] supernode of node id (-1 scale-out) */
} topo_tabs;

static void tabs_free(topo_tabs *t)
{
    double **f[] = {&t->l_id, &t->l_a, &t->l_b, &t->l_via, &t->l_tier, &t->l_plane, &t->l_bw, &t->l_up,
                    &t->l_down, &t->n_id, &t->n_tier, &t->n_sn, &t->s_bw};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(*f[i]);
    free(t->l_medium);
    free(t->n_kind);
    free(t->n_name);
    free(t->sn_of);
}

static int tabs_read(const char *path, topo_tabs *t, diag_t *err)
{
    memset(t, 0, sizeof *t);
    h5r_file *f = h5r_open(path, err);
    if (!f)
        return -1;
    struct {
        const char *table, *col;
        double **out;
        size_t *n;
    } num[] = {
        {"/topology/links", "id", &t->l_id, &t->nl},          {"/topology/links", "a", &t->l_a, &t->nl},
        {"/topology/links", "b", &t->l_b, &t->nl},            {"/topology/links", "via", &t->l_via, &t->nl},
        {"/topology/links", "tier", &t->l_tier, &t->nl},      {"/topology/links", "plane", &t->l_plane, &t->nl},
        {"/topology/links", "bandwidth", &t->l_bw, &t->nl},   {"/topology/links", "sim_link_up", &t->l_up, &t->nl},
        {"/topology/links", "sim_link_down", &t->l_down, &t->nl}, {"/topology/nodes", "id", &t->n_id, &t->nn},
        {"/topology/nodes", "tier", &t->n_tier, &t->nn},      {"/topology/nodes", "supernode", &t->n_sn, &t->nn},
        {"/topology/sim_links", "bandwidth", &t->s_bw, &t->ns},
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof num / sizeof num[0] && rc == 0; i++) {
        size_t n = 0;
        rc = h5r_table_f64(f, num[i].table, num[i].col, num[i].out, &n, err);
        if (rc == 0 && num[i].out != &t->l_id && num[i].out != &t->n_id && num[i].out != &t->s_bw && n != *num[i].n)
            rc = diag_fail(err, "%s: columns of %s differ in length", path, num[i].table);
        *num[i].n = n;
    }
    h5r_close(f);
    size_t n1 = 0, n2 = 0, n3 = 0;
    if (rc == 0)
        rc = sc_h5_str_column(path, "/topology/links", "medium", &t->l_medium, &n1, err);
    if (rc == 0)
        rc = sc_h5_str_column(path, "/topology/nodes", "kind", &t->n_kind, &n2, err);
    if (rc == 0)
        rc = sc_h5_str_column(path, "/topology/nodes", "name", &t->n_name, &n3, err);
    if (rc == 0 && (n1 != t->nl || n2 != t->nn || n3 != t->nn))
        rc = diag_fail(err, "%s: columns of the topology tables differ in length", path);
    if (rc == 0) {
        t->sn_of = malloc((t->nn ? t->nn : 1) * sizeof *t->sn_of);
        if (!t->sn_of)
            rc = diag_fail(err, "out of memory");
        for (size_t i = 0; rc == 0 && i < t->nn; i++)
            t->sn_of[i] = -1;
        for (size_t i = 0; rc == 0 && i < t->nn; i++) {
            double id = t->n_id[i];
            if (!(id >= 0 && id < (double)t->nn))
                rc = diag_fail(err, "%s: node id %g out of range", path, id);
            else
                t->sn_of[(size_t)id] = (int64_t)t->n_sn[i];
        }
    }
    if (rc)
        tabs_free(t);
    return rc;
}

/* Whether node id X belongs to supernode 0. */
static bool in_sn0(const topo_tabs *t, double x)
{
    return x >= 0 && x < (double)t->nn && t->sn_of[(size_t)x] == 0;
}

static bool sn0_link(const topo_tabs *t, size_t i)
{
    return in_sn0(t, t->l_a[i]) && in_sn0(t, t->l_b[i]);
}

static bool optical(const char *m)
{
    return !strcmp(m, "optical") || !strcmp(m, "lpo") || !strcmp(m, "cpo");
}

static int push(sc_down *d, int64_t id)
{
    int64_t *v = realloc(d->links, (d->nlinks + 1) * sizeof *v);
    if (!v)
        return -1;
    d->links = v;
    d->links[d->nlinks++] = id;
    return 0;
}

/* A component cuts when some simulated link loses all its bandwidth. */
static int mark_cut(const topo_tabs *t, sc_down *d)
{
    if (!d->nlinks)
        return 0;
    double *lost = calloc(t->ns ? t->ns : 1, sizeof *lost);
    if (!lost)
        return -1;
    for (size_t k = 0; k < d->nlinks; k++) {
        size_t i = (size_t)d->links[k]; /* link ids are row numbers (checked by the caller) */
        size_t up = (size_t)t->l_up[i], dn = (size_t)t->l_down[i];
        if (up < t->ns)
            lost[up] += t->l_bw[i];
        if (dn != up && dn < t->ns)
            lost[dn] += t->l_bw[i];
    }
    for (size_t s = 0; s < t->ns; s++)
        if (lost[s] > 0 && lost[s] >= t->s_bw[s] * (1 - 1e-9))
            d->cut = true;
    free(lost);
    return 0;
}

int sc_components_choose(const char *topo_h5, int64_t planes, sc_down down[SC_COMP__COUNT], diag_t *err)
{
    topo_tabs t;
    if (tabs_read(topo_h5, &t, err))
        return -1;
    int rc = 0;
    for (size_t c = 0; c < SC_COMP__COUNT; c++) {
        free(down[c].links);
        memset(&down[c], 0, sizeof down[c]);
    }
    for (size_t i = 0; i < t.nl; i++)
        if (t.l_id[i] != (double)i) {
            rc = diag_fail(err, "%s: /topology/links row %zu has id %g", topo_h5, i, t.l_id[i]);
            goto out;
        }
    /* one optical link: the lowest id in supernode 0 */
    sc_down *o = &down[SC_COMP_OPTICAL];
    for (size_t i = 0; i < t.nl && !o->applies; i++)
        if (sn0_link(&t, i) && optical(t.l_medium[i])) {
            o->applies = true;
            if (push(o, (int64_t)i))
                goto oom;
            snprintf(o->what, sizeof o->what, "%s link %zu (%s - %s)", t.l_medium[i], i,
                     t.n_name[(size_t)t.l_a[i]], t.n_name[(size_t)t.l_b[i]]);
        }
    if (!o->applies)
        snprintf(o->what, sizeof o->what, "no optical link in the scale-up network");
    /* one switch: the lowest-id tier-1 switch chip (or OCS) of supernode 0, with all its links */
    sc_down *s = &down[SC_COMP_SWITCH];
    double sw = -1;
    for (size_t i = 0; i < t.nn && sw < 0; i++)
        if ((!strcmp(t.n_kind[i], "switch") || !strcmp(t.n_kind[i], "ocs")) && t.n_tier[i] == 1 && t.n_sn[i] == 0)
            sw = t.n_id[i];
    if (sw >= 0) {
        for (size_t i = 0; i < t.nl; i++)
            if ((t.l_a[i] == sw || t.l_b[i] == sw || t.l_via[i] == sw) && push(s, (int64_t)i))
                goto oom;
        s->applies = s->nlinks > 0;
        snprintf(s->what, sizeof s->what, "%s %s (%zu links)", !strcmp(t.n_kind[(size_t)sw], "ocs") ? "OCS" : "switch",
                 t.n_name[(size_t)sw], s->nlinks);
    } else {
        snprintf(s->what, sizeof s->what, "no switch chip in the scale-up network");
    }
    /* one plane: every scale-up link of plane 0 in supernode 0 */
    sc_down *p = &down[SC_COMP_PLANE];
    if (planes > 1) {
        for (size_t i = 0; i < t.nl; i++)
            if (sn0_link(&t, i) && t.l_plane[i] == 0 && push(p, (int64_t)i))
                goto oom;
        p->applies = p->nlinks > 0;
        snprintf(p->what, sizeof p->what, "plane 0 of %lld (%zu links)", (long long)planes, p->nlinks);
    } else {
        snprintf(p->what, sizeof p->what, "a single-plane design (no plane to lose)");
    }
    for (size_t c = 0; c < SC_COMP__COUNT; c++)
        if (mark_cut(&t, &down[c]))
            goto oom;
    goto out;
oom:
    rc = diag_fail(err, "out of memory");
out:
    tabs_free(&t);
    return rc;
}
