/* Pipeline schedules: the order of forward and backward passes on each stage. V = 1 is 1F1B
 * (PipeDream-Flush, Narayanan et al. 2021 §2.2.1): warm-up forwards, one-forward-one-backward,
 * cool-down backwards. V > 1 is Megatron-LM's interleaved 1F1B (§2.2.2), with the warm-up
 * count and the chunk/micro-batch numbering of its forward_backward_pipelining_with_interleaving.
 * Invariant: every stage runs each (chunk, micro-batch) forward once and backward once, the
 * backward after the forward, and `last` marks the final backward of each chunk. */
#include <stdlib.h>

#include "training_impl.h"

static void chunk_mb(int64_t p, int64_t v, int64_t k, bool fwd, int32_t *chunk, int32_t *mb)
{
    int64_t in_group = k % (p * v);
    int64_t c = in_group / p;
    if (!fwd)
        c = v - c - 1;
    *chunk = (int32_t)c;
    *mb = (int32_t)((k / (p * v)) * p + k % p);
}

int tr_schedule(int64_t p, int64_t v, int64_t m, int64_t s, tr_slot *out)
{
    if (p < 1 || v < 1 || m < 1 || s < 0 || s >= p || (v > 1 && m % p))
        return -1;
    size_t n = 0;
    if (v == 1) {
        int64_t warm = p - s - 1 < m ? p - s - 1 : m;
        int64_t f = 0, b = 0;
        for (; f < warm; f++)
            out[n++] = (tr_slot){false, false, 0, (int32_t)f};
        for (int64_t i = 0; i < m - warm; i++) {
            out[n++] = (tr_slot){false, false, 0, (int32_t)f++};
            out[n++] = (tr_slot){true, b == m - 1, 0, (int32_t)b};
            b++;
        }
        for (; b < m; b++)
            out[n++] = (tr_slot){true, b == m - 1, 0, (int32_t)b};
        return 0;
    }
    int64_t total = m * v, warm;
    if (m == p) {
        warm = total;
    } else {
        warm = (p - s - 1) * 2 + (v - 1) * p;
        if (warm > total)
            warm = total;
    }
    int64_t rem = total - warm;
    for (int64_t k = 0; k < warm; k++) {
        tr_slot x = {false, false, 0, 0};
        chunk_mb(p, v, k, true, &x.chunk, &x.mb);
        out[n++] = x;
    }
    for (int64_t k = 0; k < rem; k++) {
        tr_slot f = {false, false, 0, 0}, b = {true, false, 0, 0};
        chunk_mb(p, v, k + warm, true, &f.chunk, &f.mb);
        chunk_mb(p, v, k, false, &b.chunk, &b.mb);
        b.last = b.mb == m - 1;
        out[n++] = f;
        out[n++] = b;
    }
    for (int64_t k = rem; k < total; k++) {
        tr_slot b = {true, false, 0, 0};
        chunk_mb(p, v, k, false, &b.chunk, &b.mb);
        b.last = b.mb == m - 1;
        out[n++] = b;
    }
    return 0;
}

/* ---- makespan by list scheduling (no SimGrid) ---- */

double tr_schedule_makespan(int64_t p, int64_t v, int64_t m, double tf, double tb)
{
    size_t per = (size_t)(2 * m * v);
    tr_slot *sl = malloc((size_t)p * per * sizeof *sl);
    size_t *next = calloc((size_t)p, sizeof *next);
    double *free_at = calloc((size_t)p, sizeof *free_at);
    /* finish time of F and B of (stage, chunk, mb); -1 while not done */
    size_t cells = (size_t)(p * v * m);
    double *fdone = malloc(cells * sizeof *fdone), *bdone = malloc(cells * sizeof *bdone);
    double result = -1;
    if (!sl || !next || !free_at || !fdone || !bdone)
        goto out;
    for (size_t i = 0; i < cells; i++)
        fdone[i] = bdone[i] = -1;
    for (int64_t s = 0; s < p; s++)
        if (tr_schedule(p, v, m, s, sl + (size_t)s * per))
            goto out;
#define CELL(s, c, b) (((size_t)(s) * (size_t)v + (size_t)(c)) * (size_t)m + (size_t)(b))
    size_t remaining = (size_t)p * per;
    while (remaining) {
        bool progress = false;
        for (int64_t s = 0; s < p; s++) {
            while (next[s] < per) {
                tr_slot x = sl[(size_t)s * per + next[s]];
                double dep;
                if (!x.bwd) {
                    if (s > 0)
                        dep = fdone[CELL(s - 1, x.chunk, x.mb)];
                    else if (x.chunk > 0)
                        dep = fdone[CELL(p - 1, x.chunk - 1, x.mb)];
                    else
                        dep = 0;
                } else {
                    if (s < p - 1)
                        dep = bdone[CELL(s + 1, x.chunk, x.mb)];
                    else if (x.chunk < v - 1)
                        dep = bdone[CELL(0, x.chunk + 1, x.mb)];
                    else
                        dep = fdone[CELL(s, x.chunk, x.mb)];
                }
                if (dep < 0)
                    break;
                double start = dep > free_at[s] ? dep : free_at[s];
                double end = start + (x.bwd ? tb : tf);
                free_at[s] = end;
                (x.bwd ? bdone : fdone)[CELL(s, x.chunk, x.mb)] = end;
                next[s]++;
                remaining--;
                progress = true;
            }
        }
        if (!progress)
            goto out;
    }
#undef CELL
    result = 0;
    for (int64_t s = 0; s < p; s++)
        if (free_at[s] > result)
            result = free_at[s];
out:
    free(sl);
    free(next);
    free(free_at);
    free(fdone);
    free(bdone);
    return result;
}
