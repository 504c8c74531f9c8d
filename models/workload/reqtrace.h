/* Request traces: files of LLM serving requests (arrival time, prompt tokens, output tokens and,
 * for Mooncake, the hash of every 512-token prompt block) read into flat arrays. Formats: the
 * Azure LLM inference CSV (2023 and 2024 timestamp styles), Mooncake JSONL and the Vidur CSV,
 * named or detected from the first line. Every data row becomes a request or an error
 * "FILE:LINE:COL: error: ..."; rows are only left out by the caller's window and limit, and
 * the counts say how many. Arrivals are seconds from the window start, divided by rate_scale,
 * in non-decreasing order (a file out of order is stably sorted).
 * Ownership: reqtrace_load() fills a caller-owned reqtrace; reqtrace_free() releases it. */
#ifndef OAS_REQTRACE_H
#define OAS_REQTRACE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

typedef enum reqtrace_fmt { REQTRACE_AUTO, REQTRACE_AZURE, REQTRACE_MOONCAKE, REQTRACE_VIDUR } reqtrace_fmt;

typedef struct reqtrace_opts {
    reqtrace_fmt format;      /* REQTRACE_AUTO: detected from the first non-blank line */
    double rate_scale;        /* arrival rate multiplier (> 0): 2 halves every inter-arrival time */
    double window_start_s;    /* keep requests arriving at or after this time from the first row */
    double window_duration_s; /* ... and before start + duration; 0 = to the end of the file */
    int64_t limit;            /* keep at most this many (the earliest); 0 = all */
} reqtrace_opts;

typedef struct reqtrace {
    reqtrace_fmt format;      /* the format read */
    size_t n;                 /* requests kept */
    double *arrival_s;        /* [n] seconds from the window start, scaled, non-decreasing */
    int32_t *prompt_tokens;   /* [n] >= 1 */
    int32_t *output_tokens;   /* [n] >= 0 (0: prefill only) */
    int64_t *line;            /* [n] line of the row in the file */
    int64_t *hash_off;        /* [n + 1] request i's block hashes are hashes[hash_off[i] .. hash_off[i+1]) */
    int64_t *hashes;          /* Mooncake hash_ids; empty for other formats */
    size_t rows;              /* data rows in the file */
    size_t outside_window;    /* rows outside the time window */
    size_t over_limit;        /* rows inside the window beyond the limit */
    double span_s;            /* arrival of the last row minus the first, in the file's time */
} reqtrace;

/* Reads PATH. Errors: cannot open, unknown format, a malformed row (with its line and column),
 * no request left after the window. */
int reqtrace_load(const char *path, const reqtrace_opts *o, reqtrace *out, diag_t *err);
void reqtrace_free(reqtrace *t);
const char *reqtrace_format_name(reqtrace_fmt f); /* "auto", "azure", "mooncake", "vidur" */

/* Seconds since 1970-01-01T00:00:00Z of an Azure timestamp "YYYY-MM-DD HH:MM:SS[.f...][Z|+HH:MM|-HHMM]"
 * ('T' also separates date and time), as whole seconds *SEC and nanoseconds *NSEC (fraction
 * digits beyond nine are truncated). Returns 0, or -1 with the reason in WHY and the offending
 * character's offset in *AT. */
int reqtrace_parse_timestamp(const char *s, size_t len, int64_t *sec, int32_t *nsec, size_t *at, char *why,
                             size_t whylen);

#endif
