/* libFuzzer body for the request-trace readers (see fuzz_reqtrace.h). Bit 0 of the first byte:
 * the format named or detected; bits 1-2: the window start (0, 0.5 s, 1 s, 1e6 s); bit 3: a
 * window of 2 s; bit 4: a limit of 3 requests; bit 5: rate_scale 2. Checked after a load: n >= 1,
 * n + outside_window + over_limit == rows, arrivals finite and non-decreasing, prompt >= 1,
 * output >= 0, lines increasing-free but positive, hash offsets non-decreasing and Mooncake-only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_entry.h"
#include "fuzz_reqtrace.h"

static void check_loaded(const reqtrace *t, reqtrace_fmt asked)
{
    if (t->n < 1 || t->n + t->outside_window + t->over_limit != t->rows)
        abort();
    if (asked != REQTRACE_AUTO && t->format != asked)
        abort();
    if (t->hash_off[0] != 0)
        abort();
    for (size_t i = 0; i < t->n; i++) {
        if (!isfinite(t->arrival_s[i]) || t->arrival_s[i] < 0 || (i && t->arrival_s[i] < t->arrival_s[i - 1]))
            abort();
        if (t->prompt_tokens[i] < 1 || t->output_tokens[i] < 0 || t->line[i] < 1)
            abort();
        if (t->hash_off[i + 1] < t->hash_off[i])
            abort();
    }
    if (t->format != REQTRACE_MOONCAKE && t->hash_off[t->n] != 0)
        abort();
    if (!isfinite(t->span_s) || t->span_s < 0)
        abort();
}

int fuzz_reqtrace_one(reqtrace_fmt fmt, const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    uint8_t o = data[0];
    static const double starts[] = {0, 0.5, 1, 1e6};
    reqtrace_opts opts = {
        .format = (o & 1) ? REQTRACE_AUTO : fmt,
        .rate_scale = (o & 32) ? 2.0 : 1.0,
        .window_start_s = starts[(o >> 1) & 3],
        .window_duration_s = (o & 8) ? 2.0 : 0.0,
        .limit = (o & 16) ? 3 : 0,
    };
    char path[64];
    snprintf(path, sizeof path, "/tmp/oastwin-fuzz-trace-%d.txt", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data + 1, 1, size - 1, f);
    fclose(f);
    reqtrace t;
    diag_t err;
    err.msg[0] = '\0';
    if (reqtrace_load(path, &opts, &t, &err) == 0) {
        check_loaded(&t, opts.format);
        reqtrace_free(&t);
    } else if (strncmp(err.msg, path, strlen(path)) != 0 && strncmp(err.msg, "out of memory", 13) != 0) {
        abort(); /* a failure names the file (FILE:LINE:COL: error: ... or FILE: error: ...) */
    }
    unlink(path);
    return 0;
}
