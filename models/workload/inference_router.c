/* Global router: picks the replica of a pool that serves a request, when it arrives (aggregated
 * and prefill pools) or when its prefill is done (decode pool). Policies: round-robin, least
 * outstanding requests, least KV load (held blocks plus the blocks queued prompts will need, over
 * capacity, as of each replica's last step boundary). Ties go to the first replica after the
 * pool's cursor, which advances past every pick, so equal replicas share the load in turn. A
 * replica that is down (failed, resilience.mode = timeline) is never picked.
 * Invariant: deterministic; the choice depends only on the replicas' state and the cursor. */
#include <math.h>

#include "inference_impl.h"

inf_replica *inf_route(inf_world *w, int32_t r, bool decode)
{
    (void)r;
    int32_t first = decode ? w->nprefill : 0;
    int32_t n = decode ? w->ndecode : w->nprefill;
    int32_t *cursor = &w->rr_next[decode ? 1 : 0];
    int32_t best = -1;
    double best_v = INFINITY;
    for (int32_t k = 0; k < n; k++) {
        int32_t i = (*cursor + k) % n;
        const inf_replica *rep = &w->rep[first + i];
        if (rep->down)
            continue;
        if (w->spec->router == INF_ROUTE_ROUND_ROBIN) {
            best = i;
            break;
        }
        double v = w->spec->router == INF_ROUTE_LEAST_KV ? inf_replica_kv_load(rep) : (double)rep->outstanding;
        if (best < 0 || v < best_v) {
            best_v = v;
            best = i;
        }
    }
    if (best < 0)
        return NULL;
    *cursor = (best + 1) % n;
    return &w->rep[first + best];
}
