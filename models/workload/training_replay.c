/* Op-list replay: a profiled or hand-written per-rank list of operations (compute, send, recv,
 * collective, iteration mark) with explicit dependencies, run on the simulated machine instead
 * of generated operators. The format is documented in docs/training.md; in short, after an
 * `oplist 1` line:
 *     group NAME KIND RANK RANK ...
 *     RANK ID compute time=T | flop=F [bytes=B] [class=gemm|attn|memory]   [stream=S] [after=ID,ID]
 *     RANK ID send to=RANK bytes=B [tag=N] [kind=K]                        [stream=S] [after=...]
 *     RANK ID recv from=RANK bytes=B [tag=N] [kind=K]                      [stream=S] [after=...]
 *     RANK ID coll op=OP group=NAME|tp|cp|ep|dp|edp|emb bytes=B            [stream=S] [after=...]
 *     RANK ID iteration
 * Loading checks everything a run needs: syntax (FILE:LINE:COL errors), ids, groups, matching
 * sends and receives, identical collective sequences on every member, equal iteration counts,
 * and that the whole list can complete (an untimed dry run finds deadlocks).
 * Invariant: a list that loads can run to completion; execution is in training_replay_exec.c. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "training_impl.h"
#include "units.h"

/* ---- parsing ---- */

typedef struct rank_parse {
    int32_t *last_of_stream; /* index of the last op of each stream, -1 */
    int32_t nstream_cap;
    int32_t marker;          /* last iteration mark, -1 */
    bool *since_marker;      /* stream has an op after the mark */
    int32_t cap;
} rank_parse;

typedef struct parser {
    tr_replay *R;
    const scenario_t *sc;
    const tr_layout *L;
    const char *path;
    int line;
    diag_t *err;
    rank_parse *rp;
} parser;

static int fail(parser *P, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(parser *P, int col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_fail_at(P->err, P->path, P->line, col, "%s", msg);
}

typedef struct token {
    char *s;
    int col;
} token;

static size_t tokenize(char *line, token *tok, size_t cap)
{
    size_t n = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            *p++ = '\0';
        if (!*p || *p == '#')
            break;
        if (n == cap)
            return cap + 1;
        tok[n].s = p;
        tok[n].col = (int)(p - line) + 1;
        n++;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            p++;
    }
    return n;
}

static int parse_int(parser *P, const token *t, const char *what, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(t->s, &end, 10);
    if (end == t->s || *end || errno)
        return fail(P, t->col, "%s must be an integer, not '%s'", what, t->s);
    if (v < lo || v > hi)
        return fail(P, t->col, "%s %ld is outside %ld..%ld", what, v, lo, hi);
    *out = v;
    return 0;
}

static int parse_qty(parser *P, const char *text, int col, unit_dim d, const char *key, double *out)
{
    char why[256];
    if (units_parse(text, d, out, why, sizeof why))
        return fail(P, col, "'%s': %s", key, why);
    if (*out < 0)
        return fail(P, col, "'%s' must not be negative", key);
    return 0;
}

static int find_group(const tr_replay *R, const char *name)
{
    for (int32_t i = 0; i < R->ngroups; i++)
        if (!strcmp(R->groups[i].name, name))
            return i;
    return -1;
}

static int kind_by_name(const char *s, bool layout_only)
{
    static const tr_kind all[] = {TRK_TP, TRK_CP, TRK_EP, TRK_DP, TRK_EDP, TRK_PP, TRK_EMB};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (layout_only && all[i] == TRK_PP)
            continue;
        if (!strcmp(s, tr_kind_name(all[i])))
            return all[i];
    }
    return -1;
}

static int parse_group(parser *P, token *tok, size_t n)
{
    tr_replay *R = P->R;
    if (n < 5)
        return fail(P, tok[0].col, "expected 'group NAME KIND RANK RANK ...' (at least two ranks)");
    const char *name = tok[1].s;
    if (strlen(name) >= sizeof R->groups[0].name || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return fail(P, tok[1].col, "group name '%s' must start with a letter and be shorter than 32 bytes", name);
    if (kind_by_name(name, false) >= 0)
        return fail(P, tok[1].col, "'%s' names the job's own groups; choose another name", name);
    if (find_group(R, name) >= 0)
        return fail(P, tok[1].col, "group '%s' is defined twice", name);
    int kind = kind_by_name(tok[2].s, false);
    if (kind < 0 || kind == TRK_EDP || kind == TRK_EMB)
        return fail(P, tok[2].col, "group kind '%s' must be tp, cp, ep, dp or pp (the breakdown column it feeds)",
                    tok[2].s);
    tr_rgroup *v = realloc(R->groups, (size_t)(R->ngroups + 1) * sizeof *v);
    if (!v)
        return diag_fail(P->err, "out of memory");
    R->groups = v;
    tr_rgroup *g = &R->groups[R->ngroups];
    memset(g, 0, sizeof *g);
    snprintf(g->name, sizeof g->name, "%s", name);
    g->kind = (uint8_t)kind;
    g->ranks = malloc((n - 3) * sizeof *g->ranks);
    if (!g->ranks)
        return diag_fail(P->err, "out of memory");
    R->ngroups++;
    for (size_t i = 3; i < n; i++) {
        long r;
        if (parse_int(P, &tok[i], "rank", 0, R->nranks - 1, &r))
            return -1;
        for (int32_t j = 0; j < g->n; j++)
            if (g->ranks[j] == r)
                return fail(P, tok[i].col, "rank %ld appears twice in group '%s'", r, name);
        g->ranks[g->n++] = (int32_t)r;
    }
    return 0;
}

static int push_op(parser *P, int32_t rank, const tr_rop *op)
{
    tr_replay *R = P->R;
    if ((R->nops[rank] & (R->nops[rank] - 1)) == 0) { /* grow at powers of two */
        int32_t cap = R->nops[rank] ? 2 * R->nops[rank] : 8;
        tr_rop *v = realloc(R->ops[rank], (size_t)cap * sizeof *v);
        if (!v)
            return diag_fail(P->err, "out of memory");
        R->ops[rank] = v;
    }
    R->ops[rank][R->nops[rank]++] = *op;
    return 0;
}

static int32_t index_of_id(const tr_replay *R, int32_t rank, int32_t id)
{
    int32_t lo = 0, hi = R->nops[rank];
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (R->ops[rank][mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < R->nops[rank] && R->ops[rank][lo].id == id ? lo : -1;
}

static int add_dep(parser *P, tr_rop *op, int32_t dep)
{
    for (int32_t i = 0; i < op->ndeps; i++)
        if (op->deps[i] == dep)
            return 0;
    int32_t *v = realloc(op->deps, (size_t)(op->ndeps + 1) * sizeof *v);
    if (!v)
        return diag_fail(P->err, "out of memory");
    op->deps = v;
    op->deps[op->ndeps++] = dep;
    return 0;
}

static int stream_room(parser *P, rank_parse *rp, int32_t stream)
{
    if (stream < rp->cap)
        return 0;
    int32_t cap = stream + 8;
    int32_t *l = realloc(rp->last_of_stream, (size_t)cap * sizeof *l);
    bool *s = realloc(rp->since_marker, (size_t)cap * sizeof *s);
    if (l)
        rp->last_of_stream = l;
    if (s)
        rp->since_marker = s;
    if (!l || !s)
        return diag_fail(P->err, "out of memory");
    for (int32_t i = rp->cap; i < cap; i++) {
        rp->last_of_stream[i] = -1;
        rp->since_marker[i] = false;
    }
    rp->cap = cap;
    return 0;
}

static int parse_op(parser *P, token *tok, size_t n)
{
    tr_replay *R = P->R;
    long rank, id;
    if (parse_int(P, &tok[0], "rank", 0, R->nranks - 1, &rank))
        return -1;
    if (n < 3)
        return fail(P, tok[0].col, "expected 'RANK ID OPERATION key=value ...'");
    if (parse_int(P, &tok[1], "op id", 0, 2147483647L, &id))
        return -1;
    if (R->nops[rank] && R->ops[rank][R->nops[rank] - 1].id >= id)
        return fail(P, tok[1].col, "op ids must increase along the file for each rank (rank %ld already has id %d)",
                    rank, R->ops[rank][R->nops[rank] - 1].id);
    tr_rop op = {.id = (int32_t)id, .line = P->line, .peer = -1, .lkind = TRK_USER, .gkind = TRK_PP,
                 .cls = LLM_OP_GEMM};
    const char *verb = tok[2].s;
    if (!strcmp(verb, "compute"))
        op.kind = TRR_COMPUTE;
    else if (!strcmp(verb, "send"))
        op.kind = TRR_SEND;
    else if (!strcmp(verb, "recv"))
        op.kind = TRR_RECV;
    else if (!strcmp(verb, "coll"))
        op.kind = TRR_COLL;
    else if (!strcmp(verb, "iteration"))
        op.kind = TRR_ITER;
    else
        return fail(P, tok[2].col, "unknown operation '%s' (compute, send, recv, coll or iteration)", verb);
    bool have_time = false, have_flop = false, have_bytes = false, have_peer = false, have_op = false,
         have_group = false;
    const char *after = NULL;
    int after_col = 0;
    rank_parse *rp = &P->rp[rank];
    for (size_t i = 3; i < n; i++) {
        char *eq = strchr(tok[i].s, '=');
        if (!eq || eq == tok[i].s)
            return fail(P, tok[i].col, "expected key=value, not '%s'", tok[i].s);
        *eq = '\0';
        const char *k = tok[i].s, *v = eq + 1;
        int vcol = tok[i].col + (int)(eq - tok[i].s) + 1;
        bool ok_key = false;
        if (!strcmp(k, "stream")) {
            token t = {(char *)v, vcol};
            long s;
            if (parse_int(P, &t, "stream", 0, 63, &s))
                return -1;
            op.stream = (int32_t)s;
            ok_key = true;
        } else if (!strcmp(k, "after")) {
            after = v;
            after_col = vcol;
            ok_key = true;
        } else if (op.kind == TRR_COMPUTE && !strcmp(k, "time")) {
            if (parse_qty(P, v, vcol, DIM_TIME, k, &op.time_s))
                return -1;
            ok_key = have_time = true;
        } else if (op.kind == TRR_COMPUTE && !strcmp(k, "flop")) {
            if (parse_qty(P, v, vcol, DIM_FLOP, k, &op.flop))
                return -1;
            ok_key = have_flop = true;
        } else if (op.kind != TRR_ITER && !strcmp(k, "bytes")) {
            if (parse_qty(P, v, vcol, DIM_BYTES, k, &op.bytes))
                return -1;
            ok_key = have_bytes = true;
        } else if (op.kind == TRR_COMPUTE && !strcmp(k, "class")) {
            if (!strcmp(v, "gemm"))
                op.cls = LLM_OP_GEMM;
            else if (!strcmp(v, "attn"))
                op.cls = LLM_OP_ATTN;
            else if (!strcmp(v, "memory"))
                op.cls = LLM_OP_MEM;
            else
                return fail(P, vcol, "class must be gemm, attn or memory, not '%s'", v);
            ok_key = true;
        } else if ((op.kind == TRR_SEND && !strcmp(k, "to")) || (op.kind == TRR_RECV && !strcmp(k, "from"))) {
            token t = {(char *)v, vcol};
            long peer;
            if (parse_int(P, &t, k, 0, R->nranks - 1, &peer))
                return -1;
            if (peer == rank)
                return fail(P, vcol, "a rank cannot %s itself", op.kind == TRR_SEND ? "send to" : "receive from");
            op.peer = (int32_t)peer;
            ok_key = have_peer = true;
        } else if ((op.kind == TRR_SEND || op.kind == TRR_RECV) && !strcmp(k, "tag")) {
            token t = {(char *)v, vcol};
            long tag;
            if (parse_int(P, &t, "tag", 0, 2147483647L, &tag))
                return -1;
            op.tag = (int32_t)tag;
            ok_key = true;
        } else if ((op.kind == TRR_SEND || op.kind == TRR_RECV) && !strcmp(k, "kind")) {
            int kk = kind_by_name(v, false);
            if (kk < 0 || kk == TRK_EDP || kk == TRK_EMB)
                return fail(P, vcol, "kind must be tp, cp, ep, dp or pp, not '%s'", v);
            op.gkind = (uint8_t)kk;
            ok_key = true;
        } else if (op.kind == TRR_COLL && !strcmp(k, "op")) {
            coll_op c;
            if (coll_op_parse(v, &c) || c == COLL_P2P)
                return fail(P, vcol,
                            "op must be allreduce, allgather, reducescatter, alltoall or broadcast, not '%s'", v);
            op.op = (uint8_t)c;
            ok_key = have_op = true;
        } else if (op.kind == TRR_COLL && !strcmp(k, "group")) {
            int lk = kind_by_name(v, true);
            if (lk >= 0) {
                op.lkind = (uint8_t)lk;
                op.gkind = (uint8_t)lk;
                if (tr_group_size(P->L, (tr_kind)lk) < 2)
                    return fail(P, vcol, "the job's %s groups have a single rank (set its degree above 1)", v);
            } else {
                int g = find_group(R, v);
                if (g < 0)
                    return fail(P, vcol, "unknown group '%s' (define it with a 'group' line first, or use tp, cp, "
                                         "ep, dp, edp or emb)",
                                v);
                bool member = false;
                for (int32_t j = 0; j < R->groups[g].n; j++)
                    member = member || R->groups[g].ranks[j] == rank;
                if (!member)
                    return fail(P, vcol, "rank %ld is not a member of group '%s'", rank, v);
                op.peer = g;
                op.gkind = R->groups[g].kind;
            }
            ok_key = have_group = true;
        }
        if (!ok_key)
            return fail(P, tok[i].col, "unknown key '%s' for '%s'", k, verb);
    }
    if (op.kind == TRR_COMPUTE) {
        if (have_time && (have_flop || have_bytes))
            return fail(P, tok[2].col, "give a compute op either time= or flop=/bytes=, not both");
        if (!have_time && !have_flop && !have_bytes)
            return fail(P, tok[2].col, "a compute op needs time= or flop= (and/or bytes=)");
        if (!have_time)
            op.time_s = tr_op_time(P->sc, (llm_op_class)op.cls, op.flop, op.bytes);
    } else if (op.kind == TRR_SEND || op.kind == TRR_RECV) {
        if (!have_peer || !have_bytes)
            return fail(P, tok[2].col, "a %s op needs %s and bytes=", verb, op.kind == TRR_SEND ? "to=" : "from=");
    } else if (op.kind == TRR_COLL) {
        if (!have_op || !have_group || !have_bytes)
            return fail(P, tok[2].col, "a coll op needs op=, group= and bytes=");
    }
    if (stream_room(P, rp, op.stream))
        return -1;
    int32_t idx = R->nops[rank];
    if (op.stream + 1 > R->nstreams[rank])
        R->nstreams[rank] = op.stream + 1;
    /* explicit dependencies: ids of earlier ops of the same rank */
    if (after) {
        char buf[8192]; /* as long as a line: a shorter copy would cut the last id silently */
        snprintf(buf, sizeof buf, "%s", after);
        char *save = NULL;
        for (char *d = strtok_r(buf, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
            token t = {d, after_col + (int)(d - buf)};
            long did;
            if (parse_int(P, &t, "dependency id", 0, 2147483647L, &did))
                goto bad;
            int32_t j = index_of_id(R, (int32_t)rank, (int32_t)did);
            if (j < 0) {
                fail(P, t.col, "rank %ld has no earlier op %ld", rank, did);
                goto bad;
            }
            if (add_dep(P, &op, j))
                goto bad;
        }
    }
    /* iteration marks order the rank's work: a mark waits for every stream, and the first op
     * of each stream after a mark waits for the mark */
    if (op.kind == TRR_ITER) {
        for (int32_t s = 0; s < rp->cap; s++) {
            if (rp->last_of_stream[s] >= 0 && add_dep(P, &op, rp->last_of_stream[s]))
                goto bad;
            rp->since_marker[s] = false;
        }
        if (rp->marker >= 0 && add_dep(P, &op, rp->marker))
            goto bad;
    } else if (rp->marker >= 0 && !rp->since_marker[op.stream]) {
        if (add_dep(P, &op, rp->marker))
            goto bad;
    }
    if (op.kind != TRR_ITER)
        rp->since_marker[op.stream] = true;
    if (push_op(P, (int32_t)rank, &op))
        goto bad;
    rp->last_of_stream[op.stream] = idx;
    if (op.kind == TRR_ITER)
        rp->marker = idx;
    return 0;
bad: /* the dependencies gathered so far belong to no op */
    free(op.deps);
    return -1;
}

/* ---- whole-list checks ---- */

static int fail_line(parser *P, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail_line(parser *P, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return diag_fail_at(P->err, P->path, line, 1, "%s", msg);
}

/* Layout kinds a collective may name, in slot order. */
static const tr_kind SLOT_KINDS[] = {TRK_TP, TRK_CP, TRK_EP, TRK_DP, TRK_EDP, TRK_EMB};
#define NSLOT_KINDS (sizeof SLOT_KINDS / sizeof SLOT_KINDS[0])

static int32_t slot_base(const tr_layout *L, int kind)
{
    int32_t b = 0;
    for (size_t i = 0; i < NSLOT_KINDS; i++) {
        if ((int)SLOT_KINDS[i] == kind)
            return b;
        b += tr_groups(L, SLOT_KINDS[i]);
    }
    return b; /* TRK_USER: after every layout group */
}

void tr_rop_group(const tr_replay *R, const tr_layout *L, int32_t rank, const tr_rop *op, int *kind, int32_t *g)
{
    (void)R;
    if (op->lkind == TRK_USER) {
        *kind = TRK_USER;
        *g = op->peer;
    } else {
        *kind = op->lkind;
        *g = tr_group_of(L, (tr_kind)op->lkind, rank);
    }
}

static int32_t slot_size(const tr_replay *R, const tr_layout *L, int32_t slot, int *kind, int32_t *g)
{
    int32_t b = 0;
    for (size_t i = 0; i < NSLOT_KINDS; i++) {
        int32_t n = tr_groups(L, SLOT_KINDS[i]);
        if (slot < b + n) {
            *kind = SLOT_KINDS[i];
            *g = slot - b;
            return tr_group_size(L, SLOT_KINDS[i]);
        }
        b += n;
    }
    *kind = TRK_USER;
    *g = slot - b;
    return R->groups[*g].n;
}

static void slot_members(const tr_replay *R, const tr_layout *L, int kind, int32_t g, int32_t *m)
{
    if (kind == TRK_USER)
        memcpy(m, R->groups[g].ranks, (size_t)R->groups[g].n * sizeof *m);
    else
        tr_group_members(L, (tr_kind)kind, g, m);
}

static int check_iterations(parser *P)
{
    tr_replay *R = P->R;
    int32_t want = -1, want_rank = -1;
    for (int32_t r = 0; r < R->nranks; r++) {
        int32_t n = 0;
        for (int32_t i = 0; i < R->nops[r]; i++)
            n += R->ops[r][i].kind == TRR_ITER;
        if (want < 0) {
            want = n;
            want_rank = r;
        } else if (n != want) {
            return fail_line(P, R->nops[r] ? R->ops[r][R->nops[r] - 1].line : P->line,
                             "rank %d marks %d iterations, rank %d marks %d", r, n, want_rank, want);
        }
    }
    if (want < 1)
        return fail_line(P, P->line > 0 ? P->line : 1,
                         "the op list marks no iteration (end each iteration with 'RANK ID iteration')");
    R->iterations = want;
    for (int32_t r = 0; r < R->nranks; r++)
        if (R->nops[r] && R->ops[r][R->nops[r] - 1].kind != TRR_ITER)
            return fail_line(P, R->ops[r][R->nops[r] - 1].line,
                             "rank %d has operations after its last iteration mark", r);
    return 0;
}

/* A small counter per (rank, slot): a rank uses few groups, so a short list per rank. */
typedef struct slot_count {
    int32_t slot, n;
} slot_count;

typedef struct call_ref {
    uint8_t op;
    double bytes;
    int line;
} call_ref;

/* Every member issues the same collectives on a group, in the same order: numbers each
 * collective on its group (op->slot, op->seq) and compares it with the group's first issuer. */
static int index_collectives(parser *P)
{
    tr_replay *R = P->R;
    const tr_layout *L = P->L;
    int rc = -1;
    R->nslots = slot_base(L, TRK_USER) + R->ngroups;
    R->slot_calls = calloc((size_t)R->nslots + 1, sizeof *R->slot_calls);
    call_ref **ref = calloc((size_t)R->nslots + 1, sizeof *ref);
    int32_t *refcap = calloc((size_t)R->nslots + 1, sizeof *refcap);
    slot_count **cnt = calloc((size_t)R->nranks, sizeof *cnt);
    int32_t *ncnt = calloc((size_t)R->nranks, sizeof *ncnt);
    if (!R->slot_calls || !ref || !refcap || !cnt || !ncnt)
        goto oom;
    for (int32_t r = 0; r < R->nranks; r++)
        for (int32_t i = 0; i < R->nops[r]; i++) {
            tr_rop *op = &R->ops[r][i];
            if (op->kind != TRR_COLL)
                continue;
            int kind;
            int32_t g;
            tr_rop_group(R, L, r, op, &kind, &g);
            op->slot = slot_base(L, kind) + g;
            int32_t j = 0;
            while (j < ncnt[r] && cnt[r][j].slot != op->slot)
                j++;
            if (j == ncnt[r]) {
                slot_count *v = realloc(cnt[r], (size_t)(ncnt[r] + 1) * sizeof *v);
                if (!v)
                    goto oom;
                cnt[r] = v;
                cnt[r][ncnt[r]++] = (slot_count){op->slot, 0};
            }
            op->seq = cnt[r][j].n++;
            int32_t sl = op->slot;
            if (op->seq >= R->slot_calls[sl]) {
                if (op->seq >= refcap[sl]) {
                    int32_t cap = refcap[sl] ? 2 * refcap[sl] : 16;
                    call_ref *v = realloc(ref[sl], (size_t)cap * sizeof *v);
                    if (!v)
                        goto oom;
                    ref[sl] = v;
                    refcap[sl] = cap;
                }
                ref[sl][op->seq] = (call_ref){op->op, op->bytes, op->line};
                R->slot_calls[sl] = op->seq + 1;
            } else if (ref[sl][op->seq].op != op->op || ref[sl][op->seq].bytes != op->bytes) {
                rc = fail_line(P, op->line,
                               "collective #%d of rank %d on its group is %s of %.17g B, but the same call at line "
                               "%d is %s of %.17g B",
                               op->seq + 1, r, coll_op_name((coll_op)op->op), op->bytes, ref[sl][op->seq].line,
                               coll_op_name((coll_op)ref[sl][op->seq].op), ref[sl][op->seq].bytes);
                goto out;
            }
        }
    /* every member issues every call of its group */
    for (int32_t sl = 0; sl < R->nslots; sl++) {
        if (!R->slot_calls[sl])
            continue;
        int kind;
        int32_t g, size = slot_size(R, L, sl, &kind, &g);
        int32_t *m = malloc((size_t)size * sizeof *m);
        if (!m)
            goto oom;
        slot_members(R, L, kind, g, m);
        for (int32_t x = 0; x < size; x++) {
            int32_t q = m[x], n = 0;
            for (int32_t j = 0; j < ncnt[q]; j++)
                if (cnt[q][j].slot == sl)
                    n = cnt[q][j].n;
            if (n != R->slot_calls[sl]) {
                int line = ref[sl][n < R->slot_calls[sl] ? n : 0].line;
                free(m);
                rc = fail_line(P, line,
                               "rank %d issues %d collective%s on its %s group %d, another member issues %d (every "
                               "member must issue the same calls)",
                               q, n, n == 1 ? "" : "s", kind == TRK_USER ? R->groups[g].name : tr_kind_name((tr_kind)kind),
                               g, R->slot_calls[sl]);
                goto out;
            }
        }
        free(m);
    }
    rc = 0;
    goto out;
oom:
    rc = diag_fail(P->err, "out of memory");
out:
    for (int32_t sl = 0; ref && sl < R->nslots; sl++)
        free(ref[sl]);
    for (int32_t r = 0; cnt && r < R->nranks; r++)
        free(cnt[r]);
    free(ref);
    free(refcap);
    free(cnt);
    free(ncnt);
    return rc;
}

/* Channels (source, destination, tag) by open addressing. */
typedef struct chan_map {
    int32_t *idx; /* -1 empty */
    size_t cap;
} chan_map;

static size_t chan_hash(int32_t a, int32_t b, int32_t c, size_t cap)
{
    uint64_t h = (uint64_t)(uint32_t)a * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uint32_t)b * 0xC2B2AE3D27D4EB4Full ^
                 (uint64_t)(uint32_t)c * 0x165667B19E3779F9ull;
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static int32_t chan_get(tr_replay *R, chan_map *m, int32_t src, int32_t dst, int32_t tag)
{
    if (2 * ((size_t)R->nchannels + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 1024;
        int32_t *v = malloc(cap * sizeof *v);
        if (!v)
            return -1;
        for (size_t i = 0; i < cap; i++)
            v[i] = -1;
        for (int32_t c = 0; c < R->nchannels; c++) {
            size_t h = chan_hash(R->chan_src[c], R->chan_dst[c], R->chan_tag[c], cap);
            while (v[h] >= 0)
                h = (h + 1) & (cap - 1);
            v[h] = c;
        }
        free(m->idx);
        m->idx = v;
        m->cap = cap;
        int32_t *s = realloc(R->chan_src, cap * sizeof *s);
        if (s)
            R->chan_src = s;
        int32_t *d = realloc(R->chan_dst, cap * sizeof *d);
        if (d)
            R->chan_dst = d;
        int32_t *t = realloc(R->chan_tag, cap * sizeof *t);
        if (t)
            R->chan_tag = t;
        if (!s || !d || !t)
            return -1;
    }
    size_t h = chan_hash(src, dst, tag, m->cap);
    while (m->idx[h] >= 0) {
        int32_t c = m->idx[h];
        if (R->chan_src[c] == src && R->chan_dst[c] == dst && R->chan_tag[c] == tag)
            return c;
        h = (h + 1) & (m->cap - 1);
    }
    int32_t c = R->nchannels++;
    R->chan_src[c] = src;
    R->chan_dst[c] = dst;
    R->chan_tag[c] = tag;
    m->idx[h] = c;
    return c;
}

static int32_t chan_find(const tr_replay *R, const chan_map *m, int32_t src, int32_t dst, int32_t tag)
{
    if (!m->cap)
        return -1;
    size_t h = chan_hash(src, dst, tag, m->cap);
    while (m->idx[h] >= 0) {
        int32_t x = m->idx[h];
        if (R->chan_src[x] == src && R->chan_dst[x] == dst && R->chan_tag[x] == tag)
            return x;
        h = (h + 1) & (m->cap - 1);
    }
    return -1;
}

/* Sends and receives pair up in order per (source, destination, tag), with equal sizes, and
 * each side of a channel stays on one stream (so messages are read in the order they left). */
static int index_p2p(parser *P)
{
    tr_replay *R = P->R;
    chan_map map = {0};
    int rc = -1;
    int32_t *nsend = NULL, *nrecv = NULL, *sstream = NULL, *rstream = NULL;
    double **sbytes = NULL;
    int **sline = NULL;
    size_t n = 0;
    for (int32_t r = 0; r < R->nranks; r++)
        for (int32_t i = 0; i < R->nops[r]; i++) {
            tr_rop *op = &R->ops[r][i];
            if (op->kind == TRR_SEND && (op->slot = chan_get(R, &map, r, op->peer, op->tag)) < 0)
                goto oom;
        }
    n = (size_t)R->nchannels + 1;
    nsend = calloc(n, sizeof *nsend);
    nrecv = calloc(n, sizeof *nrecv);
    sstream = malloc(n * sizeof *sstream);
    rstream = malloc(n * sizeof *rstream);
    sbytes = calloc(n, sizeof *sbytes);
    sline = calloc(n, sizeof *sline);
    if (!nsend || !nrecv || !sstream || !rstream || !sbytes || !sline)
        goto oom;
    for (size_t c = 0; c < n; c++)
        sstream[c] = rstream[c] = -1;
    for (int32_t r = 0; r < R->nranks; r++)
        for (int32_t i = 0; i < R->nops[r]; i++) {
            tr_rop *op = &R->ops[r][i];
            if (op->kind != TRR_SEND)
                continue;
            int32_t c = op->slot;
            if (sstream[c] >= 0 && sstream[c] != op->stream) {
                rc = fail_line(P, op->line,
                               "rank %d sends to rank %d with tag %d on streams %d and %d; keep one tag's sends on "
                               "one stream",
                               r, op->peer, op->tag, sstream[c], op->stream);
                goto out;
            }
            sstream[c] = op->stream;
            op->seq = nsend[c]++;
            double *v = realloc(sbytes[c], (size_t)nsend[c] * sizeof *v);
            if (v)
                sbytes[c] = v;
            int *l = realloc(sline[c], (size_t)nsend[c] * sizeof *l);
            if (l)
                sline[c] = l;
            if (!v || !l)
                goto oom;
            sbytes[c][op->seq] = op->bytes;
            sline[c][op->seq] = op->line;
        }
    for (int32_t r = 0; r < R->nranks; r++)
        for (int32_t i = 0; i < R->nops[r]; i++) {
            tr_rop *op = &R->ops[r][i];
            if (op->kind != TRR_RECV)
                continue;
            int32_t c = chan_find(R, &map, op->peer, r, op->tag);
            if (c < 0 || nrecv[c] >= nsend[c]) {
                rc = fail_line(P, op->line, "rank %d's recv #%d from rank %d (tag %d) has no matching send", r,
                               c < 0 ? 1 : nrecv[c] + 1, op->peer, op->tag);
                goto out;
            }
            if (rstream[c] >= 0 && rstream[c] != op->stream) {
                rc = fail_line(P, op->line,
                               "rank %d receives from rank %d with tag %d on streams %d and %d; keep one tag's "
                               "receives on one stream",
                               r, op->peer, op->tag, rstream[c], op->stream);
                goto out;
            }
            rstream[c] = op->stream;
            op->slot = c;
            op->seq = nrecv[c]++;
            if (sbytes[c][op->seq] != op->bytes) {
                rc = fail_line(P, op->line,
                               "recv of %.17g B from rank %d does not match its send of %.17g B (line %d)", op->bytes,
                               op->peer, sbytes[c][op->seq], sline[c][op->seq]);
                goto out;
            }
        }
    for (int32_t c = 0; c < R->nchannels; c++)
        if (nrecv[c] < nsend[c]) {
            rc = fail_line(P, sline[c][nrecv[c]], "rank %d's send #%d to rank %d (tag %d) has no matching recv",
                           R->chan_src[c], nrecv[c] + 1, R->chan_dst[c], R->chan_tag[c]);
            goto out;
        }
    rc = 0;
    goto out;
oom:
    rc = diag_fail(P->err, "out of memory");
out:
    for (size_t c = 0; sbytes && c < n; c++) {
        free(sbytes[c]);
        free(sline[c]);
    }
    free(sbytes);
    free(sline);
    free(nsend);
    free(nrecv);
    free(sstream);
    free(rstream);
    free(map.idx);
    return rc;
}

/* Untimed dry run: an op completes once its stream predecessor and its after= list are done,
 * a receive once its message was sent, a collective once every member has reached it. Any op
 * left over waits forever: the first one found is reported. */
static int check_completes(parser *P)
{
    tr_replay *R = P->R;
    const tr_layout *L = P->L;
    int32_t N = R->nranks;
    int rc = -1;
    bool **done = calloc((size_t)N, sizeof *done), **arrived = calloc((size_t)N, sizeof *arrived);
    int32_t **cursor = calloc((size_t)N, sizeof *cursor);
    int32_t *sent = calloc((size_t)R->nchannels + 1, sizeof *sent);
    int32_t **reach = calloc((size_t)R->nslots + 1, sizeof *reach);
    if (!done || !arrived || !cursor || !sent || !reach)
        goto oom;
    for (int32_t r = 0; r < N; r++) {
        done[r] = calloc((size_t)R->nops[r] + 1, sizeof **done);
        arrived[r] = calloc((size_t)R->nops[r] + 1, sizeof **arrived);
        cursor[r] = calloc((size_t)R->nstreams[r] + 1, sizeof **cursor);
        if (!done[r] || !arrived[r] || !cursor[r])
            goto oom;
    }
    for (int32_t sl = 0; sl < R->nslots; sl++)
        if (R->slot_calls[sl] && !(reach[sl] = calloc((size_t)R->slot_calls[sl], sizeof **reach)))
            goto oom;
    size_t total = 0, finished = 0;
    for (int32_t r = 0; r < N; r++)
        total += (size_t)R->nops[r];
    bool progress = true;
    while (finished < total && progress) {
        progress = false;
        for (int32_t r = 0; r < N; r++)
            for (int32_t s = 0; s < R->nstreams[r]; s++)
                for (;;) {
                    int32_t i = cursor[r][s];
                    while (i < R->nops[r] && R->ops[r][i].stream != s)
                        i++;
                    cursor[r][s] = i;
                    if (i >= R->nops[r])
                        break;
                    const tr_rop *op = &R->ops[r][i];
                    bool ready = true;
                    for (int32_t d = 0; d < op->ndeps && ready; d++)
                        ready = done[r][op->deps[d]];
                    if (ready && op->kind == TRR_RECV)
                        ready = sent[op->slot] > op->seq;
                    if (ready && op->kind == TRR_COLL) {
                        if (!arrived[r][i]) {
                            arrived[r][i] = true;
                            reach[op->slot][op->seq]++;
                            progress = true;
                        }
                        int kind;
                        int32_t g;
                        ready = reach[op->slot][op->seq] == slot_size(R, L, op->slot, &kind, &g);
                    }
                    if (!ready)
                        break;
                    if (op->kind == TRR_SEND)
                        sent[op->slot]++;
                    done[r][i] = true;
                    cursor[r][s] = i + 1;
                    finished++;
                    progress = true;
                }
    }
    rc = 0;
    for (int32_t r = 0; r < N && finished < total && !rc; r++)
        for (int32_t s = 0; s < R->nstreams[r] && !rc; s++)
            if (cursor[r][s] < R->nops[r]) {
                const tr_rop *op = &R->ops[r][cursor[r][s]];
                rc = fail_line(P, op->line,
                               "the op list cannot complete: rank %d op %d (stream %d) waits forever (a cycle of "
                               "dependencies, receives or collectives)",
                               r, op->id, s);
            }
    goto out;
oom:
    rc = diag_fail(P->err, "out of memory");
out:
    for (int32_t r = 0; r < N; r++) {
        if (done)
            free(done[r]);
        if (arrived)
            free(arrived[r]);
        if (cursor)
            free(cursor[r]);
    }
    for (int32_t sl = 0; reach && sl < R->nslots; sl++)
        free(reach[sl]);
    free(done);
    free(arrived);
    free(cursor);
    free(sent);
    free(reach);
    return rc;
}

int tr_replay_load(tr_replay *R, const char *path, const scenario_t *sc, const tr_layout *L, diag_t *err)
{
    memset(R, 0, sizeof *R);
    snprintf(R->path, sizeof R->path, "%s", path);
    R->nranks = L->n;
    R->ops = calloc((size_t)R->nranks, sizeof *R->ops);
    R->nops = calloc((size_t)R->nranks, sizeof *R->nops);
    R->nstreams = calloc((size_t)R->nranks, sizeof *R->nstreams);
    parser P = {R, sc, L, path, 0, err, calloc((size_t)R->nranks, sizeof *P.rp)};
    if (!R->ops || !R->nops || !R->nstreams || !P.rp) {
        free(P.rp);
        tr_replay_free(R);
        return diag_fail(err, "out of memory");
    }
    for (int32_t r = 0; r < R->nranks; r++)
        P.rp[r].marker = -1;
    err->msg[0] = '\0';
    int rc = 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        rc = diag_fail_at(err, path, 1, 1, "cannot open the op list: %s", strerror(errno));
        goto done;
    }
    char line[8192];
    bool header = false;
    while (!rc && fgets(line, sizeof line, f)) {
        P.line++;
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = fail(&P, 1, "line longer than %zu bytes", sizeof line - 2);
            break;
        }
        token tok[256];
        size_t n = tokenize(line, tok, 256);
        if (n == 0)
            continue;
        if (n > 256) {
            rc = fail(&P, 1, "too many fields on one line (at most 256)");
            break;
        }
        if (!header) {
            if (strcmp(tok[0].s, "oplist") || n != 2 || strcmp(tok[1].s, "1"))
                rc = fail(&P, tok[0].col, "an op list starts with the line 'oplist 1'");
            header = true;
            continue;
        }
        if (!strcmp(tok[0].s, "group"))
            rc = parse_group(&P, tok, n);
        else
            rc = parse_op(&P, tok, n);
    }
    if (!rc && ferror(f))
        rc = diag_fail_at(err, path, P.line, 1, "read error");
    fclose(f);
    if (!rc && !header)
        rc = diag_fail_at(err, path, 1, 1, "empty op list (it starts with the line 'oplist 1')");
    if (!rc)
        rc = check_iterations(&P);
    if (!rc)
        rc = index_p2p(&P);
    if (!rc)
        rc = index_collectives(&P);
    if (!rc)
        rc = check_completes(&P);
done:
    for (int32_t r = 0; r < R->nranks; r++) {
        free(P.rp[r].last_of_stream);
        free(P.rp[r].since_marker);
    }
    free(P.rp);
    if (rc)
        tr_replay_free(R);
    return rc;
}

void tr_replay_free(tr_replay *R)
{
    for (int32_t r = 0; R->ops && r < R->nranks; r++) {
        for (int32_t i = 0; i < R->nops[r]; i++)
            free(R->ops[r][i].deps);
        free(R->ops[r]);
    }
    free(R->ops);
    free(R->nops);
    free(R->nstreams);
    for (int32_t g = 0; g < R->ngroups; g++)
        free(R->groups[g].ranks);
    free(R->groups);
    free(R->chan_src);
    free(R->chan_dst);
    free(R->chan_tag);
    free(R->slot_calls);
    memset(R, 0, sizeof *R);
}

