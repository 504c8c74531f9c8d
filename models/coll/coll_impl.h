/* Private to models/coll: the step builder every algorithm file uses, the per-family builders
 * coll.c dispatches to, and the binary trees shared by tree.c. Not for other modules.
 * Builder invariant: between coll_step_open() and coll_step_close() the last step of the
 * schedule is the open one; closing sorts it by (src, dst), merges transfers of the same pair,
 * drops it when empty and folds it into the previous step when both carry the same transfers. */
#ifndef OAS_COLL_IMPL_H
#define OAS_COLL_IMPL_H

#include <stdbool.h>

#include "coll.h"

/* Bytes below which a pipeline does not split a further chunk off (default chunk rule). */
#define COLL_CHUNK_MIN_BYTES (64.0 * 1024.0)
/* Largest default number of pipeline chunks. */
#define COLL_CHUNKS_DEFAULT 8u

/* Opens a new step executed REPEAT (>= 1) times. */
int coll_step_open(coll_sched *s, uint32_t repeat, diag_t *err);
/* Adds a transfer to the open step; src != dst, both in [0, p). */
int coll_step_add(coll_sched *s, int32_t src, int32_t dst, double bytes, diag_t *err);
/* Closes the open step (see the builder invariant above). */
int coll_step_close(coll_sched *s, diag_t *err);

/* Pipeline chunks for a pipeline that carries BYTES: prm->chunks when set, else
 * min(COLL_CHUNKS_DEFAULT, max(1, floor(BYTES / COLL_CHUNK_MIN_BYTES))). */
uint32_t coll_chunks(const coll_params *prm, double bytes);

/* Weight of group ranks [a, a+len) when ranks below HEAVY carry 2 units and the others 1. */
double coll_span_weight(int64_t a, int64_t len, int64_t heavy);

/* Multiplane's base algorithm for BYTES: PRM->plane_alg, or coll_choose() for the per-plane share
 * bytes/planes (on 1/planes of the bandwidth when PRM->tune is set). PRM->planes >= 1. */
coll_alg coll_multiplane_base(coll_op op, int32_t p, double bytes, const coll_params *prm);

/* Family builders: S already holds op, alg, p >= 2 and bytes > 0; they add the steps. */
int coll_ring_build(coll_sched *s, const coll_params *prm, diag_t *err);
int coll_tree_build(coll_sched *s, const coll_params *prm, diag_t *err);
int coll_rhd_build(coll_sched *s, const coll_params *prm, diag_t *err);
int coll_alltoall_build(coll_sched *s, const coll_params *prm, diag_t *err);
int coll_hier_build(coll_sched *s, const coll_params *prm, diag_t *err);
int coll_torus_build(coll_sched *s, const coll_params *prm, diag_t *err);

/* Whether PRM describes a torus of P ranks: 1 <= torus_nd <= COLL_TORUS_MAX_DIMS, every size >= 1,
 * their product P. */
bool coll_torus_shape_ok(const coll_params *prm, int32_t p);

/* NCCL's in-order binary tree over N nodes (ncclGetBtree): node 0 is the root with one child;
 * PARENT is -1 for the root, CHILD[i] -1 when absent. */
void coll_btree_node(int32_t n, int32_t node, int32_t *parent, int32_t child[2]);
/* Role of rank R in tree T (0 or 1) of NCCL's double binary tree over N nodes: tree 0 is the
 * btree itself, tree 1 its mirror (N even) or its shift by one (N odd); and the inverse. */
int32_t coll_dtree_role(int32_t n, int t, int32_t r);
int32_t coll_dtree_rank(int32_t n, int t, int32_t role);

#endif
