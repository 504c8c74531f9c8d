/* The collective benchmark (workload.kind = collbench; `oastwin bench`): what the command line
 * and the runner share with the workload, so options and scenario keys are parsed by the same
 * code and fail with the same words (reasons are one line, without position or "error:"), the
 * check against the machine, and the printing of /bench.
 * Ownership: nothing here allocates; OUT arrays are the caller's. */
#ifndef OAS_COLLBENCH_H
#define OAS_COLLBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "coll/coll.h"
#include "platform.h"
#include "scenario.h"
#include "trace.h"
#include "workload/collbench_spec.h"

/* "LO:HI" or "SIZE" (units required, e.g. "1KiB:4GiB") into *LO and *HI (bytes). 0 or -1. */
int collbench_parse_sizes(const char *text, double *lo, double *hi, char *why, size_t n);
/* The sweep LO, 2 LO, 4 LO ... <= HI into OUT[COLLBENCH_MAX_SIZES]; returns how many. */
int32_t collbench_sizes(double lo, double hi, double *out);
/* "allreduce,alltoall" into OPS[COLL_OP__COUNT] in the order given; *NOPS their number.
 * Unknown or repeated names are errors. 0 or -1. */
int collbench_parse_ops(const char *text, coll_op *ops, int32_t *nops, char *why, size_t n);
/* Why ALG cannot run OP in a bench (BASE: multiplane's base algorithm), or 0 when it can. */
int collbench_check_op(coll_op op, coll_alg alg, coll_alg base, char *why, size_t n);

/* The checks that need the machine (workload_check() calls it): the group has at least 2
 * accelerators, hier has levels to split at, and every schedule of the sweep can be built. */
int collbench_check_platform(const scenario_t *sc, const platform_t *plat, diag_t *err);

/* Prints the /bench table of T (as the bench workload wrote it) like nccl-tests, one row per
 * operation and size. Returns 0, or -1 when T holds no /bench table. */
int collbench_print(trace_t *t, FILE *f);

#endif
