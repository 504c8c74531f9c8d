/* The collective benchmark workload's section of a scenario (workload.kind = collbench,
 * workload.bench.*): which operations, message sizes, algorithm and groups `oastwin bench`
 * sweeps. Filled by the loader from models/workload/collbench.c's field table; the part's check
 * derives the operation list and size bounds from the texts. */
#ifndef OAS_COLLBENCH_SPEC_H
#define OAS_COLLBENCH_SPEC_H

#include <stdint.h>

#include "coll/coll.h"

typedef enum bench_group { BENCH_GROUP_ALL, BENCH_GROUP_NODE, BENCH_GROUP_SUPERNODE } bench_group;

/* Most sizes one sweep may hold (LO x 2^k <= HI). */
#define COLLBENCH_MAX_SIZES 64

typedef struct collbench_spec {
    char ops[160];       /* comma-separated operation names; "" = every one the algorithm can do */
    char sizes[96];      /* "LO:HI" or one size, with units */
    int algorithm;       /* coll_alg (the field's names are coll_alg_name's, in order) */
    int plane_algorithm; /* coll_alg run by multiplane over the striped transfers */
    int group;           /* bench_group */
    /* derived by the check */
    int32_t nops;
    coll_op op[COLL_OP__COUNT]; /* in the order given */
    double size_lo_B, size_hi_B;
} collbench_spec;

#endif
