/* Collective algorithms as data: (op, algorithm, group size p, bytes n) -> a schedule of steps,
 * each step a set of point-to-point transfers between group ranks 0..p-1. Schedules know
 * nothing of SimGrid; one executor runs them at flow fidelity (sim/engine) and
 * coll_analytic_time() prices them from per-link bandwidth and latency.
 * Size conventions follow nccl-tests: n is the per-rank buffer for all-reduce and broadcast,
 * the total output for all-gather, the per-rank input for reduce-scatter, and the bytes each
 * rank holds in total for all-to-all (n/p to each peer); p2p sends n from rank 0 to rank 1.
 * Step semantics: a rank starts step s+1 once all of its own sends and receives of step s have
 * completed; a step with repeat = k is executed k times in a row. A step holds at most one
 * transfer per ordered pair (src, dst); no step is empty; two consecutive steps never carry the
 * same transfers (the builder stores them once with their repeats added). Pipelined algorithms
 * (dbtree, the broadcast chain) encode each pipeline stage as its own step whose transfers
 * carry one chunk (two when both trees use the same pair), so executors need not know about
 * chunks; idle ranks in pipeline fill and drain steps simply have no transfer in that step.
 * p == 1 or bytes == 0 gives an empty schedule (nothing moves, time 0).
 * Memory: ring all-reduce / all-gather / reduce-scatter hold p transfers, hier at most 3p;
 * rhd at most 2p log2 p + 2p; dbtree at most 4pC (all-reduce) or 2pC (broadcast) for C pipeline chunks;
 * the broadcast chain at most pC; direct and pairwise all-to-all p(p-1) and hier all-to-all
 * p(L+G-2) for G groups of L; torus all-reduce at most 2p(2D-1) and all-gather / reduce-scatter
 * at most 2pD for D dimensions of size >= 2 (one stored step of at most 2p transfers per ring
 * phase); multiplane as its base algorithm. No schedule holds more than
 * COLL_MAX_XFERS transfers: coll_build() fails instead (flat all-to-all stops at p = 4096; use
 * hier beyond).
 * Planes: a schedule with stripes = S > 1 (multiplane) is striped over S planes: each transfer
 * stands for S concurrent sub-transfers of bytes/S, the k-th on plane k. Transfers record the
 * total bytes, so an executor that does not split them (one flow over bundled planes) moves the
 * right amount; coll_analytic_time_planes() prices the split on separately routed planes.
 * Ownership: coll_build() fills a caller-owned coll_sched; coll_sched_free() releases it. */
#ifndef OAS_COLL_H
#define OAS_COLL_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

typedef enum coll_op {
    COLL_ALLREDUCE,
    COLL_ALLGATHER,
    COLL_REDUCESCATTER,
    COLL_ALLTOALL,
    COLL_BROADCAST,
    COLL_P2P,
    COLL_OP__COUNT
} coll_op;

typedef enum coll_alg {
    COLL_ALG_AUTO,     /* chosen by coll_choose() */
    COLL_ALG_RING,     /* all-reduce, all-gather, reduce-scatter, broadcast (pipelined chain) */
    COLL_ALG_DBTREE,   /* double binary tree: all-reduce, broadcast */
    COLL_ALG_RHD,      /* recursive halving-doubling: all-reduce, all-gather, reduce-scatter */
    COLL_ALG_DIRECT,   /* all-to-all: every pair at once; p2p */
    COLL_ALG_PAIRWISE, /* all-to-all: p-1 steps, step k: i -> (i+k) mod p */
    COLL_ALG_HIER,     /* two levels: inside groups of `local` ranks, then across, then inside */
    COLL_ALG_MULTIPLANE, /* the base algorithm `plane_alg`, every transfer striped over `planes` planes */
    COLL_ALG_TORUS,    /* all-reduce, all-gather, reduce-scatter on a torus group (`torus_dim`):
                        * bidirectional rings one dimension after the other, neighbours only */
    COLL_ALG__COUNT
} coll_alg;

typedef struct coll_xfer {
    int32_t src, dst; /* group ranks */
    double bytes;
} coll_xfer;

typedef struct coll_step {
    size_t first, count; /* xfers[first .. first+count), sorted by (src, dst) */
    uint32_t repeat;     /* >= 1 */
} coll_step;

typedef struct coll_sched {
    coll_op op;
    coll_alg alg;
    int32_t p;
    double bytes;
    size_t nsteps, cap_steps;
    coll_step *steps;
    size_t nxfers, cap_xfers;
    coll_xfer *xfers;
    coll_alg base;    /* the algorithm whose steps these are: alg itself, or multiplane's base */
    uint32_t stripes; /* planes every transfer is striped over: 1 (0 in hand-built schedules
                       * means 1), or coll_params.planes for multiplane */
} coll_sched;

/* Routes for analytic pricing: fills LINKS (up to CAP ids) with the links from group rank SRC to
 * DST and *LAT_S with the route latency; returns the number of links, or -1. CAP is 256.
 * coll_analytic_time() calls it twice per transfer and step (once to load links, once to price). */
typedef int (*coll_route_fn)(void *ctx, int32_t src, int32_t dst, double *lat_s, uint32_t *links,
                             size_t cap);

/* The alpha-beta network of the closed forms: every rank owns a full-duplex port, a transfer of
 * m bytes alone takes alpha + m/B. The outer pair applies to hier's phases across groups
 * (0 = the same as inside). */
typedef struct coll_ab {
    double alpha_s, bw_Bps;             /* route latency; bandwidth one transfer gets alone */
    double alpha_outer_s, bw_outer_Bps; /* across hier's groups; 0 = alpha_s, bw_Bps */
} coll_ab;

/* The machine's alpha-beta figures for `auto`: FLAT for algorithms over the whole group (worst
 * latency, narrowest path), HIER for hier's two levels (inside and across its local groups),
 * TORUS for the torus algorithm: one hop between torus neighbours (worst neighbour latency, link
 * bandwidth per direction; bw_Bps 0 when the group is not a torus). With ROUTE set (the group's
 * own routes and the platform's link bandwidths), auto prices each candidate by building its
 * schedule and running coll_analytic_time() on them instead of by its closed form, so that links
 * shared by multi-hop routes count (what a torus group needs: closed forms are contention-blind). */
typedef struct coll_tune {
    coll_ab flat, hier;
    coll_ab torus;
    coll_route_fn route; /* NULL: closed forms */
    void *route_ctx;
    const double *link_bw_Bps; /* indexed by link id, NLINKS ids */
    size_t nlinks;
} coll_tune;

/* Most dimensions of a torus group. */
#define COLL_TORUS_MAX_DIMS 3

typedef struct coll_params {
    int32_t root;    /* broadcast root (group rank); 0 by default */
    int32_t local;   /* COLL_ALG_HIER: ranks per lower-level group (consecutive ranks); must divide p */
    uint32_t chunks; /* pipelining chunks for tree/chain algorithms; 0 = algorithm default:
                      * min(8, max(1, floor(B / 64 KiB))) where B is the bytes one pipeline carries
                      * (n for the chain, n/2 for each of the two dbtree trees) */
    uint32_t planes;    /* planes a rank's traffic can be striped over: multiplane stripes over
                         * them, and auto picks multiplane for large messages when > 1; 0 = 1 */
    coll_alg plane_alg; /* COLL_ALG_MULTIPLANE: the algorithm run over the striped transfers;
                         * AUTO (0) = coll_choose() for the per-plane share n/planes */
    const coll_tune *tune; /* NULL: auto uses the size thresholds; else it prices its candidates
                            * with their closed forms on these networks (see coll_choose) */
    int32_t torus_nd;      /* > 0: the group is a torus of torus_dim[0] x ... x torus_dim[nd-1]
                            * (product p) whose rank r sits at coordinates r mod d0, r / d0 mod d1, ...
                            * with a direct link between neighbours (wrap-around included): the
                            * torus algorithm runs on it and auto considers it; 0 = not a torus */
    int32_t torus_dim[COLL_TORUS_MAX_DIMS]; /* sizes >= 1; dimensions of size 1 are skipped */
} coll_params;

/* Most transfers one schedule may hold (16 Mi transfers, 256 MiB). */
#define COLL_MAX_XFERS ((size_t)1 << 24)

const char *coll_op_name(coll_op op);   /* "allreduce", "allgather", ... */
const char *coll_alg_name(coll_alg a);  /* "auto", "ring", "dbtree", "rhd", "direct", "pairwise", "hier",
                                         * "multiplane", "torus" */
int coll_op_parse(const char *s, coll_op *out);   /* 0 or -1 */
int coll_alg_parse(const char *s, coll_alg *out); /* 0 or -1 */
/* nccl-tests bus-bandwidth factor: allreduce 2(p-1)/p; allgather, reducescatter, alltoall (p-1)/p;
 * broadcast, p2p 1. */
double coll_busbw_factor(coll_op op, int32_t p);
/* Whether coll_build() can run OP with ALG (p2p: any; AUTO: every op; multiplane: every op,
 * the base algorithm is checked when the schedule is built). */
int coll_alg_supports(coll_op op, coll_alg alg);
/* The algorithm `auto` picks, NCCL-like, from op, p and bytes (the rule is documented at its
 * definition in coll.c and in docs/collectives.md): by size thresholds, or, when PRM->tune is
 * set, the fastest of NCCL-like candidates by their closed forms on the machine's figures.
 * PRM may be NULL. Never returns AUTO. */
coll_alg coll_choose(coll_op op, int32_t p, double bytes, const coll_params *prm);

/* Builds the schedule. p >= 1 (p == 1 gives an empty schedule); bytes >= 0. PRM may be NULL
 * (root 0, no local groups, default chunks). AUTO is resolved by coll_choose() and OUT->alg holds
 * the algorithm used. p2p accepts any algorithm and is always one direct transfer 0 -> 1.
 * Returns -1 with a message in ERR (and OUT empty) for an op the algorithm cannot do, bad
 * parameters (hier without a local size dividing p, torus without a torus shape of p ranks, a
 * root outside the group), a schedule
 * larger than COLL_MAX_XFERS, or no memory. */
int coll_build(coll_op op, coll_alg alg, int32_t p, double bytes, const coll_params *prm,
               coll_sched *out, diag_t *err);
void coll_sched_free(coll_sched *s);
/* Total bytes sent by group rank r over the whole schedule (repeats counted). */
double coll_sched_bytes_sent(const coll_sched *s, int32_t r);

/* Duration of the schedule when steps run one after another (a lockstep model: a flow
 * executor where ranks only wait for their own transfers can finish earlier on steps whose
 * ports are unevenly loaded, e.g. tree fill and drain): each step lasts
 * max over its transfers x of  lat(x) + max over links l on x's path of load(l)/bw(l),
 * where load(l) is the sum of bytes of the step's transfers that cross l. On an uncongested
 * network this is the textbook alpha-beta time. LINK_BW_BPS is indexed by link id (nlinks ids).
 * Returns the time in seconds (0 for an empty schedule), or -1 on a routing error (route
 * returned -1, a link id >= NLINKS or a link bandwidth <= 0) or no memory. */
double coll_analytic_time(const coll_sched *s, coll_route_fn route, void *ctx, const double *link_bw_Bps,
                          size_t nlinks);

/* A route on one plane: as coll_route_fn, for the sub-transfer a striped schedule puts on PLANE
 * (0 .. stripes-1), or PLANE = -1 for a transfer that is not striped (the network's own choice,
 * e.g. one plane picked by a hash, as a single RDMA connection is pinned to one plane). */
typedef int (*coll_plane_route_fn)(void *ctx, int32_t src, int32_t dst, int32_t plane, double *lat_s,
                                   uint32_t *links, size_t cap);
/* coll_analytic_time() on a network whose planes are separate links: a transfer of a schedule
 * with stripes = S > 1 loads bytes/S on the route of each plane 0..S-1, and lasts as long as its
 * slowest sub-transfer; a transfer of an unstriped schedule loads all its bytes on the plane -1
 * route. Same return values. */
double coll_analytic_time_planes(const coll_sched *s, coll_plane_route_fn route, void *ctx,
                                 const double *link_bw_Bps, size_t nlinks);

/* The closed-form time of (OP, ALG) for P ranks and N bytes on NET, from docs/collectives.md
 * (exactly what coll_analytic_time() gives on that network). AUTO is resolved as coll_build()
 * does; multiplane takes its base algorithm's time (B counts every plane a transfer is striped
 * over). For torus, NET is one hop between neighbours (alpha: its latency; B: one direction of
 * one link), not a port per rank. PRM may be NULL as for coll_build(). Returns -1 for a
 * combination coll_build() refuses or a network with B <= 0. */
double coll_closed_form_time(coll_op op, coll_alg alg, int32_t p, double n, const coll_params *prm,
                             const coll_ab *net);

#endif
