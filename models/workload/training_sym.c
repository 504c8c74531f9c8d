/* Symmetry: which ranks of a training job keep provably identical timelines, so that one actor
 * can stand for each class and the result stay exact. At analytic fidelity every rank of a stage
 * runs the same program; two ranks of a stage stay in lockstep when every collective and
 * pipeline transfer they take part in is priced the same, bit for bit.
 *  - Stage classes (nsig = 1): every group of a kind in a stage prices alike and every pipeline
 *    pair alike: one actor per stage.
 *  - Replica classes (CP = EP = 1): data-parallel replicas whose whole pipeline prices alike
 *    (TP groups, pipeline pairs and the tied-embedding pair, on every stage) form a class; the
 *    ranks of a class at a stage are one actor. Collectives that span replicas (data-parallel
 *    gradient reductions) become a barrier of the classes' actors followed by the group's price,
 *    which is exactly what the full simulation computes (members of a class arrive together).
 * Invariant: collapsed is set only after every price that the collapse relies on was compared. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failure/failure.h"
#include "power/power.h"
#include "training_impl.h"

typedef struct used {
    int32_t *v;
    size_t n, cap;
} used;

static int used_add(used *u, int32_t sid)
{
    for (size_t i = 0; i < u->n; i++)
        if (u->v[i] == sid)
            return 0;
    if (u->n == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 16;
        int32_t *v = realloc(u->v, cap * sizeof *v);
        if (!v)
            return -1;
        u->v = v;
        u->cap = cap;
    }
    u->v[u->n++] = sid;
    return 0;
}

/* Schedules of kind K that stage S runs. */
static int stage_sids(const tr_run *S, int64_t s, tr_kind k, used *u)
{
    u->n = 0;
    for (int64_t c = 0; c < S->L.v; c++) {
        const tr_chunk *ch = &S->M.stages[s].chunks[c];
        const tr_prog *progs[2] = {&ch->fwd, &ch->bwd};
        for (int p = 0; p < 2; p++)
            for (size_t i = 0; i < progs[p]->n; i++)
                if (progs[p]->steps[i].kind == TRS_COLL && progs[p]->steps[i].group == k &&
                    used_add(u, progs[p]->steps[i].sid))
                    return -1;
        for (size_t b = 0; b < ch->nbuckets; b++) {
            if (ch->buckets[b].group != k)
                continue;
            if (used_add(u, ch->buckets[b].sid_reduce) ||
                (ch->buckets[b].sid_gather >= 0 && used_add(u, ch->buckets[b].sid_gather)))
                return -1;
        }
    }
    return 0;
}

/* 1 when groups FIRST .. LAST-1 of kind K price every schedule of U alike; 0 when not; -1 on
 * a routing failure or no memory. REF (u->n entries) receives the prices. */
static int groups_alike(const tr_run *S, tr_kind k, int32_t first, int32_t last, const used *u, double *ref)
{
    int32_t size = tr_group_size(&S->L, k);
    if (size < 2 || u->n == 0)
        return 1;
    int32_t *m = malloc((size_t)size * sizeof *m);
    if (!m)
        return -1;
    int rc = 1;
    for (int32_t g = first; rc == 1 && g < last; g++) {
        tr_group_members(&S->L, k, g, m);
        for (size_t i = 0; rc == 1 && i < u->n; i++) {
            double p = tr_price(S, u->v[i], m);
            if (p < 0)
                rc = -1;
            else if (g == first)
                ref[i] = p;
            else if (p != ref[i])
                rc = 0;
        }
    }
    free(m);
    return rc;
}

/* Price of the pipeline pair (t, c, d) from stage A to stage B. */
static double pair_price(const tr_run *S, int32_t sid, int32_t t, int32_t c, int32_t d, int64_t a, int64_t b)
{
    int32_t pair[2] = {tr_rank_at(&S->L, (tr_coord){t, c, d, (int32_t)a}),
                       tr_rank_at(&S->L, (tr_coord){t, c, d, (int32_t)b})};
    return tr_price(S, sid, pair);
}

/* A replica's price vector: what its ranks' timelines depend on besides their program. */
typedef struct vec {
    double *v;
    size_t n, cap;
} vec;

static int vec_add(vec *x, double p)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 64;
        double *v = realloc(x->v, cap * sizeof *v);
        if (!v)
            return -1;
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = p;
    return 0;
}

/* Pipeline boundaries (A, B) a job uses, both directions: forward s -> s+1 and backward
 * s+1 -> s, and around the ring with interleaving. Returns how many (<= 2 pp). */
static int64_t boundaries(const tr_layout *L, int64_t (*ab)[2])
{
    int64_t n = 0;
    for (int64_t s = 0; s < L->pp && L->pp > 1; s++) {
        int64_t next = (s + 1) % L->pp;
        if (s == L->pp - 1 && L->v == 1)
            break;
        ab[n][0] = s, ab[n][1] = next, n++;
        ab[n][0] = next, ab[n][1] = s, n++;
    }
    return n;
}

/* Replica classes (CP = EP = 1). Returns 1 (classes found), 0 (ranks of a replica differ: no
 * collapse), -1 on failure. */
static int replica_classes(tr_run *S, int32_t p2p, diag_t *err)
{
    const tr_layout *L = &S->L;
    int32_t D = (int32_t)L->dp;
    vec *V = calloc((size_t)D, sizeof *V);
    int64_t(*ab)[2] = malloc((size_t)(2 * L->pp + 2) * sizeof *ab);
    used u = {0};
    double *ref = NULL;
    int rc = 1;
    if (!V || !ab)
        goto oom;
    int64_t nb = boundaries(L, ab);
    for (int64_t s = 0; rc == 1 && s < L->pp; s++) {
        /* TP groups: one per replica and stage (CP = 1) */
        if (stage_sids(S, s, TRK_TP, &u))
            goto oom;
        free(ref);
        ref = malloc((u.n + 1) * sizeof *ref);
        if (!ref)
            goto oom;
        for (int32_t d = 0; rc == 1 && d < D; d++) {
            int32_t g = tr_group_of(L, TRK_TP, tr_rank_at(L, (tr_coord){0, 0, d, (int32_t)s}));
            rc = groups_alike(S, TRK_TP, g, g + 1, &u, ref);
            for (size_t i = 0; rc == 1 && i < u.n && tr_group_size(L, TRK_TP) > 1; i++)
                if (vec_add(&V[d], ref[i]))
                    goto oom;
        }
        /* gradient reductions span replicas: every group of the stage must price alike */
        static const tr_kind cross[] = {TRK_DP, TRK_EDP};
        for (size_t k = 0; rc == 1 && k < 2; k++) {
            if (stage_sids(S, s, cross[k], &u))
                goto oom;
            free(ref);
            ref = malloc((u.n + 1) * sizeof *ref);
            if (!ref)
                goto oom;
            int32_t per = tr_groups(L, cross[k]) / (int32_t)L->pp;
            rc = groups_alike(S, cross[k], (int32_t)s * per, ((int32_t)s + 1) * per, &u, ref);
            if (rc == 0)
                snprintf(S->symmetry_note, sizeof S->symmetry_note,
                         "none: %s groups of stage %lld differ in collective time", tr_kind_name(cross[k]),
                         (long long)s);
        }
    }
    /* pipeline pairs and the embedding pair, for every replica; alike across tensor ranks */
    for (int32_t d = 0; rc == 1 && d < D; d++) {
        for (int64_t b = 0; rc == 1 && b < nb; b++) {
            double p0 = pair_price(S, p2p, 0, 0, d, ab[b][0], ab[b][1]);
            for (int32_t t = 1; rc == 1 && t < L->tp; t++)
                if (pair_price(S, p2p, t, 0, d, ab[b][0], ab[b][1]) != p0)
                    rc = 0;
            if (p0 < 0)
                rc = -1;
            if (rc == 1 && vec_add(&V[d], p0))
                goto oom;
        }
        if (rc == 1 && S->emb_sid >= 0) {
            double p0 = pair_price(S, S->emb_sid, 0, 0, d, 0, L->pp - 1);
            for (int32_t t = 1; rc == 1 && t < L->tp; t++)
                if (pair_price(S, S->emb_sid, t, 0, d, 0, L->pp - 1) != p0)
                    rc = 0;
            if (p0 < 0)
                rc = -1;
            if (rc == 1 && vec_add(&V[d], p0))
                goto oom;
        }
        if (rc == 0 && !S->symmetry_note[0])
            snprintf(S->symmetry_note, sizeof S->symmetry_note,
                     "none: the tensor-parallel ranks of replica %d see different pipeline transfer times", d);
    }
    if (rc == 1) {
        S->sig = malloc((size_t)D * sizeof *S->sig);
        S->sig_rep = malloc((size_t)D * sizeof *S->sig_rep);
        S->sig_size = calloc((size_t)D, sizeof *S->sig_size);
        if (!S->sig || !S->sig_rep || !S->sig_size)
            goto oom;
        S->nsig = 0;
        for (int32_t d = 0; d < D; d++) {
            int32_t k = 0;
            while (k < S->nsig && !(V[S->sig_rep[k]].n == V[d].n &&
                                    (V[d].n == 0 || /* an empty signature may have no array */
                                     !memcmp(V[S->sig_rep[k]].v, V[d].v, V[d].n * sizeof *V[d].v))))
                k++;
            if (k == S->nsig)
                S->sig_rep[S->nsig++] = d;
            S->sig[d] = k;
            S->sig_size[k]++;
        }
    }
    goto out;
oom:
    rc = -1;
    diag_fail(err, "out of memory comparing the job's groups");
out:
    for (int32_t d = 0; V && d < D; d++)
        free(V[d].v);
    free(V);
    free(ab);
    free(u.v);
    free(ref);
    return rc;
}

/* Stage classes: every group of a kind in a stage alike, every pipeline pair alike. */
static int stage_classes(tr_run *S, int32_t p2p)
{
    const tr_layout *L = &S->L;
    used u = {0};
    double *ref = NULL;
    static const tr_kind kinds[] = {TRK_TP, TRK_CP, TRK_EP, TRK_DP, TRK_EDP};
    int rc = 1;
    for (int64_t s = 0; rc == 1 && s < L->pp; s++)
        for (size_t k = 0; rc == 1 && k < sizeof kinds / sizeof kinds[0]; k++) {
            if (stage_sids(S, s, kinds[k], &u)) {
                rc = -1;
                break;
            }
            free(ref);
            ref = malloc((u.n + 1) * sizeof *ref);
            if (!ref) {
                rc = -1;
                break;
            }
            int32_t per = tr_groups(L, kinds[k]) / (int32_t)L->pp;
            rc = groups_alike(S, kinds[k], (int32_t)s * per, ((int32_t)s + 1) * per, &u, ref);
            if (rc == 0)
                snprintf(S->symmetry_note, sizeof S->symmetry_note,
                         "none: %s groups of stage %lld differ in collective time", tr_kind_name(kinds[k]),
                         (long long)s);
        }
    free(u.v);
    free(ref);
    int64_t(*ab)[2] = rc == 1 ? malloc((size_t)(2 * L->pp + 2) * sizeof *ab) : NULL;
    if (rc == 1 && !ab)
        rc = -1;
    int64_t nb = rc == 1 ? boundaries(L, ab) : 0;
    for (int64_t b = 0; rc == 1 && b < nb; b++) {
        double p0 = pair_price(S, p2p, 0, 0, 0, ab[b][0], ab[b][1]);
        for (int32_t g = 0; rc == 1 && g < tr_groups(L, TRK_PP); g++) {
            tr_coord x = tr_coord_of(L, g); /* the PP group's rank at stage 0 */
            double p = pair_price(S, p2p, x.t, x.c, x.d, ab[b][0], ab[b][1]);
            rc = p < 0 ? -1 : p == p0;
        }
        if (rc == 0)
            snprintf(S->symmetry_note, sizeof S->symmetry_note,
                     "none: pipeline pairs between stages %lld and %lld differ in transfer time", (long long)ab[b][0],
                     (long long)ab[b][1]);
    }
    free(ab);
    if (rc == 1 && S->emb_sid >= 0) {
        double p0 = pair_price(S, S->emb_sid, 0, 0, 0, 0, L->pp - 1);
        for (int32_t g = 0; rc == 1 && g < tr_groups(L, TRK_PP); g++) {
            tr_coord x = tr_coord_of(L, g);
            double p = pair_price(S, S->emb_sid, x.t, x.c, x.d, 0, L->pp - 1);
            rc = p < 0 ? -1 : p == p0;
        }
        if (rc == 0)
            snprintf(S->symmetry_note, sizeof S->symmetry_note,
                     "none: first/last-stage embedding pairs differ in all-reduce time");
    }
    return rc;
}

int tr_sym_decide(tr_run *S, diag_t *err)
{
    const tr_layout *L = &S->L;
    S->collapsed = false;
    S->nsig = 0;
    S->symmetry_note[0] = '\0';
    if (S->sc->run.fidelity != FID_ANALYTIC) {
        snprintf(S->symmetry_note, sizeof S->symmetry_note, "none: flow fidelity simulates every rank");
        return 0;
    }
    if (S->sc->wl.training.symmetry == TR_SYMMETRY_OFF) {
        snprintf(S->symmetry_note, sizeof S->symmetry_note, "none: workload.symmetry is off");
        return 0;
    }
    if (S->sc->resilience.mode == RS_MODE_TIMELINE) {
        const failure_spec *fs = &S->sc->failures;
        for (int64_t i = 0; i < fs->nschedule; i++)
            if (fl_class_degrades(fs->schedule[i].cls)) {
                snprintf(S->symmetry_note, sizeof S->symmetry_note,
                         "none: failures.schedule degrades the network (entry %lld), which one rank per class "
                         "could not see",
                         (long long)i);
                return 0;
            }
    }
    if (power_pstates(&S->sc->accel) > 1) {
        snprintf(S->symmetry_note, sizeof S->symmetry_note,
                 "none: the accelerators have %d performance states (throttling could slow ranks differently)",
                 power_pstates(&S->sc->accel));
        return 0;
    }
    if (L->tp * L->cp * L->dp == 1) {
        snprintf(S->symmetry_note, sizeof S->symmetry_note, "none: one rank per pipeline stage already");
        return 0;
    }
    int32_t p2p = tr_sched_id(S, TRK_PP, COLL_P2P, 2, S->M.p2p_bytes, err);
    if (p2p < 0)
        return -1;
    int rc;
    if (L->cp == 1 && L->ep == 1) {
        rc = replica_classes(S, p2p, err);
        if (rc < 0)
            return -1;
    } else {
        rc = stage_classes(S, p2p);
        if (rc < 0)
            return diag_fail(err, "cannot price the job's collectives (routing failure or out of memory)");
        if (rc == 1) {
            S->nsig = 1;
            S->sig = calloc((size_t)L->dp, sizeof *S->sig);
            S->sig_rep = calloc(1, sizeof *S->sig_rep);
            S->sig_size = malloc(sizeof *S->sig_size);
            if (!S->sig || !S->sig_rep || !S->sig_size)
                return diag_fail(err, "out of memory");
            S->sig_size[0] = (int32_t)L->dp;
        }
    }
    if (rc == 1) {
        S->collapsed = true;
        snprintf(S->symmetry_note, sizeof S->symmetry_note,
                 "collapsed: %d ranks simulated as %lld (%d class%s of data-parallel replicas x %lld stages; every "
                 "price compared)",
                 L->n, (long long)S->nsig * L->pp, S->nsig, S->nsig == 1 ? "" : "es", (long long)L->pp);
    }
    return 0;
}

int32_t tr_rep_rank(const tr_run *S, int32_t rank)
{
    if (!S->collapsed)
        return rank;
    tr_coord x = tr_coord_of(&S->L, rank);
    return tr_rank_at(&S->L, (tr_coord){0, 0, S->sig_rep[S->sig[x.d]], x.s});
}

int32_t tr_rep_group(const tr_run *S, tr_kind k, int32_t g)
{
    if (!S->collapsed)
        return g;
    int32_t size = tr_group_size(&S->L, k);
    int32_t first;
    if (k == TRK_EMB || k == TRK_PP) {
        tr_coord x = tr_coord_of(&S->L, g); /* g is the rank at stage 0 */
        first = tr_rank_at(&S->L, x);
    } else {
        int32_t *m = malloc((size_t)size * sizeof *m);
        if (!m)
            return g;
        tr_group_members(&S->L, k, g, m);
        first = m[0];
        free(m);
    }
    return tr_group_of(&S->L, k, tr_rep_rank(S, first));
}
