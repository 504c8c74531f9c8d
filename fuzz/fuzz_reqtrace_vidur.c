/* libFuzzer target: the request-trace reader on vidur inputs (body in fuzz_reqtrace_common.c). */
#include "fuzz_entry.h"
#include "fuzz_reqtrace.h"

int fuzz_one_reqtrace_vidur(const uint8_t *data, size_t size)
{
    return fuzz_reqtrace_one(REQTRACE_VIDUR, data, size);
}
