/* Parallel layout of a training job: degrees (TP, CP, DP, PP, EP, virtual stages), the placement
 * of ranks on accelerators (a dimension order, Megatron-LM style, or an explicit map file), the
 * groups each rank belongs to, and every rule that makes a configuration impossible.
 * Invariant: acc is injective; with the default placement every TP and EP group lies inside
 * one scale-up domain (platform_supernode_of), else the scenario is refused. */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training_impl.h"

static const char *const KIND_NAMES[TRK__N] = {"tp", "cp", "ep", "dp", "edp", "pp", "emb", "user"};

const char *tr_kind_name(tr_kind k)
{
    return (unsigned)k < TRK__N ? KIND_NAMES[k] : "?";
}

tr_expose tr_kind_expose(tr_kind k)
{
    switch (k) {
    case TRK_TP:
        return TRX_TP;
    case TRK_CP:
        return TRX_CP;
    case TRK_EP:
        return TRX_EP;
    case TRK_PP:
        return TRX_PP;
    case TRK_DP:
    case TRK_EDP:
    case TRK_EMB:
    case TRK_USER:
    case TRK__N:
        break;
    }
    return TRX_DP;
}

tr_coord tr_coord_of(const tr_layout *L, int32_t rank)
{
    tr_coord c;
    int64_t r = rank;
    c.t = (int32_t)(r % L->tp);
    r /= L->tp;
    c.c = (int32_t)(r % L->cp);
    r /= L->cp;
    c.d = (int32_t)(r % L->dp);
    c.s = (int32_t)(r / L->dp);
    return c;
}

int32_t tr_rank_at(const tr_layout *L, tr_coord c)
{
    return (int32_t)(c.t + L->tp * (c.c + L->cp * (c.d + L->dp * (int64_t)c.s)));
}

int32_t tr_groups(const tr_layout *L, tr_kind k)
{
    switch (k) {
    case TRK_TP:
        return (int32_t)(L->n / L->tp);
    case TRK_CP:
        return (int32_t)(L->n / L->cp);
    case TRK_EP:
        return (int32_t)(L->n / L->ep);
    case TRK_DP:
        return (int32_t)(L->tp * L->pp);
    case TRK_EDP:
        return (int32_t)(L->tp * L->pp * L->ep);
    case TRK_PP:
        return (int32_t)(L->n / L->pp);
    case TRK_EMB:
        return L->pp > 1 ? (int32_t)(L->n / L->pp) : 0;
    case TRK_USER:
    case TRK__N:
        break;
    }
    return 0;
}

int32_t tr_group_size(const tr_layout *L, tr_kind k)
{
    switch (k) {
    case TRK_TP:
        return (int32_t)L->tp;
    case TRK_CP:
        return (int32_t)L->cp;
    case TRK_EP:
        return (int32_t)L->ep;
    case TRK_DP:
        return (int32_t)(L->dp * L->cp);
    case TRK_EDP:
        return (int32_t)(L->dp * L->cp / L->ep);
    case TRK_PP:
        return (int32_t)L->pp;
    case TRK_EMB:
        return 2;
    case TRK_USER:
    case TRK__N:
        break;
    }
    return 0;
}

int32_t tr_group_of(const tr_layout *L, tr_kind k, int32_t rank)
{
    tr_coord x = tr_coord_of(L, rank);
    int64_t e = x.d % L->ep, dq = x.d / L->ep;
    switch (k) {
    case TRK_TP:
        return (int32_t)(x.c + L->cp * (x.d + L->dp * (int64_t)x.s));
    case TRK_CP:
        return (int32_t)(x.t + L->tp * (x.d + L->dp * (int64_t)x.s));
    case TRK_EP:
        return (int32_t)(x.t + L->tp * (x.c + L->cp * (dq + L->dp / L->ep * (int64_t)x.s)));
    case TRK_DP:
        return (int32_t)(x.t + L->tp * (int64_t)x.s);
    case TRK_EDP:
        return (int32_t)(x.t + L->tp * (e + L->ep * (int64_t)x.s));
    case TRK_PP:
        return (int32_t)(x.t + L->tp * (x.c + L->cp * (int64_t)x.d));
    case TRK_EMB:
        if (L->pp < 2 || (x.s != 0 && x.s != L->pp - 1))
            return -1;
        return (int32_t)(x.t + L->tp * (x.c + L->cp * (int64_t)x.d));
    case TRK_USER:
    case TRK__N:
        break;
    }
    return -1;
}

int32_t tr_group_rank(const tr_layout *L, tr_kind k, int32_t rank)
{
    tr_coord x = tr_coord_of(L, rank);
    switch (k) {
    case TRK_TP:
        return x.t;
    case TRK_CP:
        return x.c;
    case TRK_EP:
        return (int32_t)(x.d % L->ep);
    case TRK_DP:
        return (int32_t)(x.c + L->cp * (int64_t)x.d);
    case TRK_EDP:
        return (int32_t)(x.c + L->cp * (x.d / L->ep));
    case TRK_PP:
        return x.s;
    case TRK_EMB:
        return x.s == 0 ? 0 : 1;
    case TRK_USER:
    case TRK__N:
        break;
    }
    return -1;
}

void tr_group_members(const tr_layout *L, tr_kind k, int32_t g, int32_t *out)
{
    int32_t n = tr_group_size(L, k);
    tr_coord x = {0, 0, 0, 0};
    int64_t r = g;
    switch (k) {
    case TRK_TP:
        x.c = (int32_t)(r % L->cp);
        r /= L->cp;
        x.d = (int32_t)(r % L->dp);
        x.s = (int32_t)(r / L->dp);
        for (int32_t i = 0; i < n; i++) {
            x.t = i;
            out[i] = tr_rank_at(L, x);
        }
        return;
    case TRK_CP:
        x.t = (int32_t)(r % L->tp);
        r /= L->tp;
        x.d = (int32_t)(r % L->dp);
        x.s = (int32_t)(r / L->dp);
        for (int32_t i = 0; i < n; i++) {
            x.c = i;
            out[i] = tr_rank_at(L, x);
        }
        return;
    case TRK_EP: {
        x.t = (int32_t)(r % L->tp);
        r /= L->tp;
        x.c = (int32_t)(r % L->cp);
        r /= L->cp;
        int64_t dq = r % (L->dp / L->ep);
        x.s = (int32_t)(r / (L->dp / L->ep));
        for (int32_t i = 0; i < n; i++) {
            x.d = (int32_t)(i + L->ep * dq);
            out[i] = tr_rank_at(L, x);
        }
        return;
    }
    case TRK_DP:
        x.t = (int32_t)(r % L->tp);
        x.s = (int32_t)(r / L->tp);
        for (int32_t i = 0; i < n; i++) {
            x.c = (int32_t)(i % L->cp);
            x.d = (int32_t)(i / L->cp);
            out[i] = tr_rank_at(L, x);
        }
        return;
    case TRK_EDP: {
        x.t = (int32_t)(r % L->tp);
        r /= L->tp;
        int64_t e = r % L->ep;
        x.s = (int32_t)(r / L->ep);
        for (int32_t i = 0; i < n; i++) {
            x.c = (int32_t)(i % L->cp);
            x.d = (int32_t)(e + L->ep * (i / L->cp));
            out[i] = tr_rank_at(L, x);
        }
        return;
    }
    case TRK_PP:
    case TRK_EMB:
        x.t = (int32_t)(r % L->tp);
        r /= L->tp;
        x.c = (int32_t)(r % L->cp);
        x.d = (int32_t)(r / L->cp);
        if (k == TRK_EMB) {
            x.s = 0;
            out[0] = tr_rank_at(L, x);
            x.s = (int32_t)(L->pp - 1);
            out[1] = tr_rank_at(L, x);
            return;
        }
        for (int32_t i = 0; i < n; i++) {
            x.s = i;
            out[i] = tr_rank_at(L, x);
        }
        return;
    case TRK_USER:
    case TRK__N:
        break;
    }
}

int64_t tr_microbatches(const scenario_t *sc, const tr_layout *L)
{
    const training_spec *t = &sc->wl.training;
    return t->global_batch / (t->micro_batch * L->dp);
}

/* ---- placement ---- */

enum { DIM_T, DIM_C, DIM_D, DIM_S };

/* Parses "tp-cp-dp-pp" (any order of the four; "ep" may precede "dp", as in Megatron-LM's
 * "tp-cp-ep-dp-pp", since expert ranks are always the fastest part of the DP dimension). */
static int parse_order(const char *s, int order[4])
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    int n = 0;
    bool seen[4] = {false, false, false, false}, ep = false;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "-", &save); tok; tok = strtok_r(NULL, "-", &save)) {
        int d;
        if (!strcmp(tok, "tp"))
            d = DIM_T;
        else if (!strcmp(tok, "cp"))
            d = DIM_C;
        else if (!strcmp(tok, "dp"))
            d = DIM_D;
        else if (!strcmp(tok, "pp"))
            d = DIM_S;
        else if (!strcmp(tok, "ep") && !ep) {
            ep = true;
            continue;
        } else
            return -1;
        if (seen[d] || n == 4)
            return -1;
        if (ep && d != DIM_D && !seen[DIM_D])
            return -1; /* ep must come right before dp */
        seen[d] = true;
        order[n++] = d;
    }
    return n == 4 ? 0 : -1;
}

static int place_by_order(tr_layout *L, const int order[4])
{
    int64_t size[4] = {L->tp, L->cp, L->dp, L->pp};
    for (int32_t r = 0; r < L->n; r++) {
        tr_coord x = tr_coord_of(L, r);
        int64_t coord[4] = {x.t, x.c, x.d, x.s};
        int64_t a = 0, stride = 1;
        for (int i = 0; i < 4; i++) {
            a += coord[order[i]] * stride;
            stride *= size[order[i]];
        }
        L->acc[r] = (int32_t)a;
    }
    return 0;
}

void tr_resolve_path(const scenario_t *sc, const char *path, char *out, size_t n)
{
    if (path[0] == '/' || !sc->source_path || !strchr(sc->source_path, '/')) {
        snprintf(out, n, "%s", path);
        return;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sc->source_path);
    snprintf(out, n, "%s/%s", dirname(dir), path);
}

/* The map file: one "RANK ACCELERATOR" pair per line, '#' starts a comment. */
static int place_by_file(tr_layout *L, const char *path, diag_t *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return diag_fail_at(err, path, 1, 1, "cannot open the placement file: %s", strerror(errno));
    for (int32_t r = 0; r < L->n; r++)
        L->acc[r] = -1;
    char line[512];
    int ln = 0, rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        ln++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\n' || *p == '\r' || *p == '\0')
            continue;
        char *end;
        errno = 0;
        long rank = strtol(p, &end, 10);
        int col = (int)(p - line) + 1;
        if (end == p || errno || (*end != ' ' && *end != '\t')) {
            rc = diag_fail_at(err, path, ln, col, "expected 'RANK ACCELERATOR' (two integers)");
            break;
        }
        char *q = end;
        while (*q == ' ' || *q == '\t')
            q++;
        long acc = strtol(q, &end, 10);
        int acol = (int)(q - line) + 1;
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
            end++;
        if (end == q || errno || *end) {
            rc = diag_fail_at(err, path, ln, acol, "expected an accelerator index after the rank");
        } else if (rank < 0 || rank >= L->n) {
            rc = diag_fail_at(err, path, ln, col, "rank %ld is outside the job (ranks 0..%d)", rank, L->n - 1);
        } else if (acc < 0 || acc >= L->naccs) {
            rc = diag_fail_at(err, path, ln, acol, "accelerator %ld does not exist (the platform has %d)", acc,
                              L->naccs);
        } else if (L->acc[rank] >= 0) {
            rc = diag_fail_at(err, path, ln, col, "rank %ld is placed twice", rank);
        } else if (L->rank_of_acc[acc] >= 0) {
            rc = diag_fail_at(err, path, ln, acol, "accelerator %ld already holds rank %d", acc,
                              L->rank_of_acc[acc]);
        } else {
            L->acc[rank] = (int32_t)acc;
            L->rank_of_acc[acc] = (int32_t)rank;
        }
    }
    fclose(f);
    if (rc)
        return rc;
    for (int32_t r = 0; r < L->n; r++)
        if (L->acc[r] < 0)
            return diag_fail_at(err, path, ln > 0 ? ln : 1, 1, "rank %d is not placed (the job has %d ranks)", r,
                                L->n);
    return 0;
}

/* With the default placement, every group of kind K must lie in one scale-up domain. */
static int check_scaleup(const tr_layout *L, const scenario_t *sc, const platform_t *plat, tr_kind k,
                         const char *key, diag_t *err)
{
    int32_t size = tr_group_size(L, k);
    if (size <= 1)
        return 0;
    int32_t *m = malloc((size_t)size * sizeof *m);
    if (!m)
        return diag_fail(err, "out of memory");
    int rc = 0;
    for (int32_t g = 0; g < tr_groups(L, k) && !rc; g++) {
        tr_group_members(L, k, g, m);
        int32_t sn = platform_supernode_of(plat, L->acc[m[0]]);
        for (int32_t i = 1; i < size && !rc; i++)
            if (platform_supernode_of(plat, L->acc[m[i]]) != sn)
                rc = scenario_fail_at(
                    sc, key, err,
                    "%s group %d (%d ranks, accelerators %d..%d) spans more than one scale-up domain of %d "
                    "accelerators; set 'workload.placement.order' or 'workload.placement.file' to place it "
                    "explicitly",
                    k == TRK_TP ? "tensor-parallel" : "expert-parallel", g, size, L->acc[m[0]], L->acc[m[size - 1]],
                    platform_accels_per_supernode(plat));
    }
    free(m);
    return rc;
}

static int check_degrees(const tr_layout *L, const scenario_t *sc, diag_t *err)
{
    const training_spec *t = &sc->wl.training;
    const llm_spec *m = &sc->wl.model;
    llm_dims d;
    llm_dims_of(m, &d);
    if (m->heads % L->tp)
        return scenario_fail_at(sc, "workload.parallel.tp", err,
                                "tensor parallelism %lld does not divide the %lld attention heads", (long long)L->tp,
                                (long long)m->heads);
    if (m->attention == LLM_ATTN_GQA && d.kv_heads % L->tp)
        return scenario_fail_at(sc, "workload.parallel.tp", err,
                                "tensor parallelism %lld does not divide the %lld key/value heads", (long long)L->tp,
                                (long long)d.kv_heads);
    if (d.ffn % L->tp)
        return scenario_fail_at(sc, "workload.parallel.tp", err,
                                "tensor parallelism %lld does not divide the FFN size %lld", (long long)L->tp,
                                (long long)d.ffn);
    if (m->experts > 0 && m->expert_ffn % L->tp)
        return scenario_fail_at(sc, "workload.parallel.tp", err,
                                "tensor parallelism %lld does not divide the expert FFN size %lld", (long long)L->tp,
                                (long long)m->expert_ffn);
    if (L->ep > 1 && m->experts == 0)
        return scenario_fail_at(sc, "workload.parallel.ep", err,
                                "expert parallelism %lld needs a mixture-of-experts model (workload.model.experts "
                                "is 0)",
                                (long long)L->ep);
    if (m->experts > 0 && m->experts % L->ep)
        return scenario_fail_at(sc, "workload.parallel.ep", err,
                                "expert parallelism %lld does not divide the %lld experts", (long long)L->ep,
                                (long long)m->experts);
    if (m->seq_len % L->cp)
        return scenario_fail_at(sc, "workload.parallel.cp", err,
                                "context parallelism %lld does not divide the sequence length %lld", (long long)L->cp,
                                (long long)m->seq_len);
    if (t->par.sequence_parallel && (m->seq_len / L->cp * t->micro_batch) % L->tp)
        return scenario_fail_at(sc, "workload.parallel.sequence_parallel", err,
                                "sequence parallelism needs micro_batch x seq_len / cp = %lld tokens divisible by "
                                "tensor parallelism %lld",
                                (long long)(m->seq_len / L->cp * t->micro_batch), (long long)L->tp);
    if (m->layers < L->pp * L->v)
        return scenario_fail_at(sc, L->v > 1 ? "workload.parallel.virtual_stages" : "workload.parallel.pp", err,
                                "%lld layers cannot fill %lld pipeline stages x %lld virtual stages",
                                (long long)m->layers, (long long)L->pp, (long long)L->v);
    int64_t per = t->micro_batch * L->dp;
    if (t->global_batch % per)
        return scenario_fail_at(sc, "workload.global_batch", err,
                                "global batch %lld is not a multiple of micro_batch %lld x data parallelism %lld = "
                                "%lld",
                                (long long)t->global_batch, (long long)t->micro_batch, (long long)L->dp,
                                (long long)per);
    int64_t mb = t->global_batch / per;
    if (L->v > 1 && mb % L->pp)
        return scenario_fail_at(sc, "workload.parallel.virtual_stages", err,
                                "the interleaved schedule needs the %lld micro-batches per iteration to be a multiple "
                                "of pipeline parallelism %lld",
                                (long long)mb, (long long)L->pp);
    return 0;
}

int tr_layout_init(tr_layout *L, const scenario_t *sc, const platform_t *plat, diag_t *err)
{
    const training_spec *t = &sc->wl.training;
    memset(L, 0, sizeof *L);
    L->tp = t->par.tp;
    L->cp = t->par.cp;
    L->pp = t->par.pp;
    L->ep = t->par.ep;
    L->v = t->par.virtual_stages;
    L->naccs = platform_accelerators(plat);
    int64_t fixed = L->tp * L->cp * L->pp;
    if (t->par.dp > 0) {
        L->dp = t->par.dp;
        if (fixed * L->dp > L->naccs)
            return scenario_fail_at(sc, "workload.parallel.dp", err,
                                    "the job needs TP %lld x CP %lld x DP %lld x PP %lld = %lld accelerators; the "
                                    "platform has %d",
                                    (long long)L->tp, (long long)L->cp, (long long)L->dp, (long long)L->pp,
                                    (long long)(fixed * L->dp), L->naccs);
    } else {
        if (fixed > L->naccs || L->naccs % fixed)
            return scenario_fail_at(sc, "workload.parallel.tp", err,
                                    "TP %lld x CP %lld x PP %lld = %lld does not divide the platform's %d "
                                    "accelerators; set workload.parallel.dp to use fewer",
                                    (long long)L->tp, (long long)L->cp, (long long)L->pp, (long long)fixed, L->naccs);
        L->dp = L->naccs / fixed;
    }
    if (L->dp % L->ep)
        return scenario_fail_at(sc, "workload.parallel.ep", err,
                                "expert parallelism %lld does not divide data parallelism %lld (expert ranks are "
                                "carved out of the data-parallel ranks)",
                                (long long)L->ep, (long long)L->dp);
    L->n = (int32_t)(fixed * L->dp);
    if (!t->replay[0] && check_degrees(L, sc, err))
        return -1;
    L->acc = malloc((size_t)L->n * sizeof *L->acc);
    L->rank_of_acc = malloc((size_t)L->naccs * sizeof *L->rank_of_acc);
    if (!L->acc || !L->rank_of_acc) {
        tr_layout_free(L);
        return diag_fail(err, "out of memory for %d ranks", L->n);
    }
    for (int32_t a = 0; a < L->naccs; a++)
        L->rank_of_acc[a] = -1;
    L->explicit_placement = t->place.file[0] || strcmp(t->place.order, "tp-cp-dp-pp") != 0;
    int rc = 0;
    if (t->place.file[0]) {
        char path[4096 + 256];
        tr_resolve_path(sc, t->place.file, path, sizeof path);
        rc = place_by_file(L, path, err);
    } else {
        int order[4];
        if (parse_order(t->place.order, order))
            rc = scenario_fail_at(sc, "workload.placement.order", err,
                                  "'%s' is not an order of the four dimensions tp, cp, dp, pp (e.g. 'tp-cp-dp-pp', "
                                  "'tp-pp-dp-cp'; 'ep' may stand right before 'dp')",
                                  t->place.order);
        else {
            place_by_order(L, order);
            for (int32_t r = 0; r < L->n; r++)
                L->rank_of_acc[L->acc[r]] = r;
        }
    }
    if (!rc && !L->explicit_placement) {
        rc = check_scaleup(L, sc, plat, TRK_TP, "workload.parallel.tp", err);
        if (!rc)
            rc = check_scaleup(L, sc, plat, TRK_EP, "workload.parallel.ep", err);
    }
    if (rc)
        tr_layout_free(L);
    return rc;
}

void tr_layout_free(tr_layout *L)
{
    free(L->acc);
    free(L->rank_of_acc);
    L->acc = L->rank_of_acc = NULL;
}
