/* Shared body of the request-trace fuzz targets (fuzz_reqtrace_azure.c, _mooncake.c, _vidur.c):
 * the input's first byte picks the reader options, the rest is the file. Any input must load or
 * fail with a positioned message; a load must satisfy every invariant reqtrace.h promises. */
#ifndef OAS_FUZZ_REQTRACE_H
#define OAS_FUZZ_REQTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "workload/reqtrace.h"

/* Loads DATA[1..SIZE) as a trace of format FMT (or detected, as DATA[0] says) and checks the
 * result; aborts on a broken invariant. Returns 0. */
int fuzz_reqtrace_one(reqtrace_fmt fmt, const uint8_t *data, size_t size);

#endif
