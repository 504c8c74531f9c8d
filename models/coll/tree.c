/* Double binary tree (NCCL): two complementary in-order binary trees, each carrying half of the
 * message in C pipelined chunks. All-reduce reduces up both trees, then broadcasts down them;
 * broadcast feeds the two tree roots from the broadcast root. Invariant: a transfer of chunk k
 * is scheduled one step after every transfer that delivers chunk k to its sender, so a rank that
 * waits only for its own previous step always has the data it sends. */
#include "coll_impl.h"

#include <stdlib.h>

void coll_btree_node(int32_t n, int32_t node, int32_t *parent, int32_t child[2])
{
    child[0] = child[1] = -1;
    *parent = -1;
    int64_t bit = 1;
    for (; bit < n; bit <<= 1)
        if (bit & node)
            break;
    if (node == 0) {
        if (n > 1)
            child[0] = (int32_t)(bit >> 1);
        return;
    }
    int64_t up = ((int64_t)node ^ bit) | (bit << 1);
    if (up >= n)
        up = (int64_t)node ^ bit;
    *parent = (int32_t)up;
    int64_t low = bit >> 1;
    if (low == 0)
        return;
    child[0] = (int32_t)(node - low);
    while (low > 0 && node + low >= n)
        low >>= 1;
    child[1] = low > 0 ? (int32_t)(node + low) : -1;
}

int32_t coll_dtree_role(int32_t n, int t, int32_t r)
{
    if (t == 0)
        return r;
    return n % 2 == 1 ? (r - 1 + n) % n : n - 1 - r;
}

int32_t coll_dtree_rank(int32_t n, int t, int32_t role)
{
    if (t == 0)
        return role;
    return n % 2 == 1 ? (role + 1) % n : n - 1 - role;
}

/* Fills PAR[t][i] (parent node or -1) and DEP[t][i] (depth, root 0) of both trees over N nodes;
 * returns the larger depth. QUEUE has room for N nodes. */
static int32_t dtree_fill(int32_t n, int32_t *par[2], int32_t *dep[2], int32_t *queue)
{
    int32_t depth = 0;
    for (int t = 0; t < 2; t++) {
        /* breadth-first from the root over roles, recorded by rank */
        int32_t head = 0, tail = 0;
        queue[tail++] = 0;
        int32_t root = coll_dtree_rank(n, t, 0);
        par[t][root] = -1;
        dep[t][root] = 0;
        while (head < tail) {
            int32_t role = queue[head++], up, ch[2];
            int32_t r = coll_dtree_rank(n, t, role);
            coll_btree_node(n, role, &up, ch);
            for (int i = 0; i < 2; i++) {
                if (ch[i] < 0)
                    continue;
                int32_t cr = coll_dtree_rank(n, t, ch[i]);
                par[t][cr] = r;
                dep[t][cr] = dep[t][r] + 1;
                if (dep[t][cr] > depth)
                    depth = dep[t][cr];
                queue[tail++] = ch[i];
            }
        }
    }
    return depth;
}

/* All-reduce. c = n / (2C). Up phase, steps t = 0 .. C+D-2: a rank at depth d >= 1 of tree x
 * sends chunk k = t - (D - d) of half x to its parent (its children, at depth d + 1, sent chunk k
 * in step t - 1). Down phase, the same number of steps: a rank at depth d >= 1 receives chunk
 * k = t - (d - 1) from its parent. */
static int tree_allreduce(coll_sched *s, const coll_params *prm, int32_t *par[2], int32_t *dep[2],
                          int32_t depth, diag_t *err)
{
    int32_t p = s->p;
    int64_t c = coll_chunks(prm, s->bytes / 2.0);
    double chunk = s->bytes / 2.0 / (double)c;
    int64_t nsteps = c + depth - 1;
    for (int phase = 0; phase < 2; phase++)
        for (int64_t t = 0; t < nsteps; t++) {
            if (coll_step_open(s, 1, err) != 0)
                return -1;
            for (int x = 0; x < 2; x++)
                for (int32_t r = 0; r < p; r++) {
                    if (par[x][r] < 0)
                        continue;
                    int64_t k = phase == 0 ? t - (depth - dep[x][r]) : t - (dep[x][r] - 1);
                    if (k < 0 || k >= c)
                        continue;
                    int rc = phase == 0 ? coll_step_add(s, r, par[x][r], chunk, err)
                                        : coll_step_add(s, par[x][r], r, chunk, err);
                    if (rc != 0)
                        return -1;
                }
            if (coll_step_close(s, err) != 0)
                return -1;
        }
    return 0;
}

/* Broadcast. The q = p - 1 other ranks, numbered i = (rank - root - 1) mod p, form the double
 * tree over q nodes; c = n / (2C). In step t the root sends chunk t of half x to the root of
 * tree x, and a node at depth d >= 1 receives chunk k = t - d from its parent; so the tree roots
 * forward chunk k in step k + 1 and the broadcast takes C + D_q steps. */
static int tree_broadcast(coll_sched *s, const coll_params *prm, int32_t *par[2], int32_t *dep[2],
                          int32_t depth, diag_t *err)
{
    int32_t p = s->p, q = p - 1, root = prm ? prm->root : 0;
    int64_t c = coll_chunks(prm, s->bytes / 2.0);
    double chunk = s->bytes / 2.0 / (double)c;
    int64_t nsteps = c + depth;
    for (int64_t t = 0; t < nsteps; t++) {
        if (coll_step_open(s, 1, err) != 0)
            return -1;
        for (int x = 0; x < 2; x++)
            for (int32_t i = 0; i < q; i++) {
                int64_t k = t - dep[x][i];
                if (k < 0 || k >= c)
                    continue;
                int32_t from = par[x][i] < 0 ? root : (root + par[x][i] + 1) % p;
                if (coll_step_add(s, from, (root + i + 1) % p, chunk, err) != 0)
                    return -1;
            }
        if (coll_step_close(s, err) != 0)
            return -1;
    }
    return 0;
}

int coll_tree_build(coll_sched *s, const coll_params *prm, diag_t *err)
{
    if (s->op != COLL_ALLREDUCE && s->op != COLL_BROADCAST)
        return diag_fail(err, "%s: algorithm 'dbtree' cannot do this operation", coll_op_name(s->op));
    int32_t n = s->op == COLL_ALLREDUCE ? s->p : s->p - 1;
    int32_t *mem = malloc(5 * (size_t)n * sizeof *mem);
    if (!mem)
        return diag_fail(err, "%s/dbtree: out of memory for a tree of %d ranks", coll_op_name(s->op), (int)n);
    int32_t *par[2] = {mem, mem + n}, *dep[2] = {mem + 2 * (size_t)n, mem + 3 * (size_t)n};
    int32_t depth = dtree_fill(n, par, dep, mem + 4 * (size_t)n);
    int rc = s->op == COLL_ALLREDUCE ? tree_allreduce(s, prm, par, dep, depth, err)
                                     : tree_broadcast(s, prm, par, dep, depth, err);
    free(mem);
    return rc;
}
