/* Check suite "reqtrace": the request trace readers on hand-written files in tests/data/ (Azure
 * 2023 and 2024 timestamp styles, Mooncake JSONL, Vidur CSV), the time window, rate scaling and
 * limit, the timestamp parser, and golden error messages for broken files (line and column). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload/reqtrace.h"

static char *data_path(const char *name)
{
    const char *root = getenv("OASTWIN_ROOT");
    size_t n = strlen(name) + (root ? strlen(root) : 0) + 32;
    char *p = malloc(n);
    snprintf(p, n, "%s%stests/data/%s", root ? root : "", root ? "/" : "", name);
    return p;
}

/* ERR's message with the OASTWIN_ROOT prefix removed, so goldens read "tests/data/...". */
static const char *rel(const char *msg)
{
    const char *root = getenv("OASTWIN_ROOT");
    if (root && strncmp(msg, root, strlen(root)) == 0 && msg[strlen(root)] == '/')
        return msg + strlen(root) + 1;
    return msg;
}

static void load_ok(const char *name, const reqtrace_opts *o, reqtrace *t)
{
    char *p = data_path(name);
    diag_t err = {{0}};
    int rc = reqtrace_load(p, o, t, &err);
    free(p);
    ck_assert_msg(rc == 0, "%s: %s", name, err.msg);
}

static const reqtrace_opts PLAIN = {.format = REQTRACE_AUTO, .rate_scale = 1};

START_TEST(test_azure_2023_rows_become_requests_relative_to_the_first)
{
    reqtrace t;
    load_ok("azure-2023.csv", &PLAIN, &t);
    ck_assert_int_eq(t.format, REQTRACE_AZURE);
    ck_assert_uint_eq(t.n, 5);
    ck_assert_uint_eq(t.rows, 5);
    static const double at[] = {0, 4.314579, 4.541877, 4.710427, 6.31941};
    static const int32_t pr[] = {374, 396, 879, 91, 1200}, out[] = {44, 109, 55, 16, 1};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_msg(fabs(t.arrival_s[i] - at[i]) < 1e-9, "row %zu: arrival %.9f, want %.9f", i, t.arrival_s[i],
                      at[i]);
        ck_assert_int_eq(t.prompt_tokens[i], pr[i]);
        ck_assert_int_eq(t.output_tokens[i], out[i]);
        ck_assert_int_eq(t.line[i], (int64_t)i + 2);
        ck_assert_int_eq(t.hash_off[i + 1] - t.hash_off[i], 0);
    }
    ck_assert_double_eq_tol(t.span_s, 6.31941, 1e-9);
    reqtrace_free(&t);
}
END_TEST

START_TEST(test_azure_2024_time_zones_crlf_and_mixed_fractions_are_read)
{
    reqtrace t;
    load_ok("azure-2024.csv", &PLAIN, &t);
    ck_assert_int_eq(t.format, REQTRACE_AZURE);
    ck_assert_uint_eq(t.n, 4);
    static const double at[] = {0, 0.49007, 0.99007, 2.24007};
    static const int32_t out[] = {128, 0, 7, 3};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_msg(fabs(t.arrival_s[i] - at[i]) < 1e-9, "row %zu: arrival %.9f, want %.9f", i, t.arrival_s[i],
                      at[i]);
        ck_assert_int_eq(t.output_tokens[i], out[i]);
    }
    reqtrace_free(&t);
}
END_TEST

START_TEST(test_mooncake_keeps_hash_ids_skips_blank_lines_and_unknown_keys)
{
    reqtrace t;
    load_ok("mooncake.jsonl", &PLAIN, &t);
    ck_assert_int_eq(t.format, REQTRACE_MOONCAKE);
    ck_assert_uint_eq(t.n, 4);
    static const double at[] = {0, 0, 1.5, 3.0525};
    static const int64_t line[] = {1, 2, 3, 5};
    static const int64_t off[] = {0, 3, 6, 8, 8};
    static const int64_t hashes[] = {0, 1, 2, 0, 1, 3, 0, 4};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_msg(fabs(t.arrival_s[i] - at[i]) < 1e-12, "row %zu: arrival %.9f, want %.9f", i, t.arrival_s[i],
                      at[i]);
        ck_assert_int_eq(t.line[i], line[i]);
    }
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(t.hash_off[i], off[i]);
    for (size_t i = 0; i < 8; i++)
        ck_assert_int_eq(t.hashes[i], hashes[i]);
    ck_assert_int_eq(t.prompt_tokens[2], 700);
    ck_assert_int_eq(t.output_tokens[3], 2);
    reqtrace_free(&t);
}
END_TEST

START_TEST(test_vidur_finds_columns_by_name_and_sorts_by_arrival)
{
    reqtrace t;
    load_ok("vidur.csv", &PLAIN, &t);
    ck_assert_int_eq(t.format, REQTRACE_VIDUR);
    ck_assert_uint_eq(t.n, 3);
    static const double at[] = {0, 0.125, 0.25};
    static const int32_t pr[] = {128, 64, 256};
    static const int64_t line[] = {2, 4, 3};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_double_eq_tol(t.arrival_s[i], at[i], 1e-12);
        ck_assert_int_eq(t.prompt_tokens[i], pr[i]);
        ck_assert_int_eq(t.line[i], line[i]);
    }
    reqtrace_free(&t);
}
END_TEST

START_TEST(test_window_rate_scale_and_limit_are_counted_not_dropped)
{
    static const struct {
        double start, dur, scale;
        int64_t limit;
        size_t n, outside, over;
        double first;
    } cases[] = {
        {0, 0, 1, 0, 5, 0, 0, 0.0},
        {4.5, 1.0, 1, 0, 2, 3, 0, 0.041877},
        {4.5, 1.0, 2, 0, 2, 3, 0, 0.0209385},
        {4.5, 1.0, 1, 1, 1, 3, 1, 0.041877},
        {0, 0, 4, 3, 3, 0, 2, 0.0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        reqtrace_opts o = {.format = REQTRACE_AZURE, .rate_scale = cases[c].scale, .window_start_s = cases[c].start,
                           .window_duration_s = cases[c].dur, .limit = cases[c].limit};
        reqtrace t;
        load_ok("azure-2023.csv", &o, &t);
        ck_assert_msg(t.n == cases[c].n && t.outside_window == cases[c].outside && t.over_limit == cases[c].over,
                      "case %zu: kept %zu outside %zu over %zu, want %zu %zu %zu", c, t.n, t.outside_window,
                      t.over_limit, cases[c].n, cases[c].outside, cases[c].over);
        ck_assert_msg(t.n + t.outside_window + t.over_limit == t.rows, "case %zu: rows not accounted for", c);
        ck_assert_msg(fabs(t.arrival_s[0] - cases[c].first) < 1e-9, "case %zu: first arrival %.9f, want %.9f", c,
                      t.arrival_s[0], cases[c].first);
        if (cases[c].scale == 4 && t.n == 3)
            ck_assert_msg(fabs(t.arrival_s[2] - 4.541877 / 4) < 1e-9, "rate scale: %.9f", t.arrival_s[2]);
        reqtrace_free(&t);
    }
}
END_TEST

START_TEST(test_timestamps_parse_exactly_or_say_why)
{
    static const struct {
        const char *s;
        int rc;
        int64_t sec;
        int32_t nsec;
        size_t at;
    } cases[] = {
        {"1970-01-01 00:00:00", 0, 0, 0, 0},
        {"2023-11-16 18:15:46.6805900", 0, 1700158546, 680590000, 0},
        {"2024-05-10 00:00:00.009930+00:00", 0, 1715299200, 9930000, 0},
        {"2024-05-09 22:00:01-02:00", 0, 1715299201, 0, 0},
        {"2024-05-10T00:00:02.25Z", 0, 1715299202, 250000000, 0},
        {"2024-02-29 12:00:00+0530", 0, 1709188200, 0, 0},
        {"2000-01-01 00:00:00.1234567891", 0, 946684800, 123456789, 0},
        {"2023-02-29 00:00:00", -1, 0, 0, 8},
        {"2023-13-01 00:00:00", -1, 0, 0, 5},
        {"2023-11-16 24:00:00", -1, 0, 0, 11},
        {"2023/11/16 00:00:00", -1, 0, 0, 4},
        {"2023-11-16 00:00:00.", -1, 0, 0, 20},
        {"2023-11-16 00:00:00 UTC", -1, 0, 0, 19},
        {"", -1, 0, 0, 0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int64_t sec = -1;
        int32_t ns = -1;
        size_t at = 999;
        char why[256] = "";
        int rc = reqtrace_parse_timestamp(cases[c].s, strlen(cases[c].s), &sec, &ns, &at, why, sizeof why);
        ck_assert_msg(rc == cases[c].rc, "'%s': rc %d (%s)", cases[c].s, rc, why);
        if (rc == 0)
            ck_assert_msg(sec == cases[c].sec && ns == cases[c].nsec, "'%s': %lld s %d ns, want %lld s %d ns",
                          cases[c].s, (long long)sec, ns, (long long)cases[c].sec, cases[c].nsec);
        else
            ck_assert_msg(at == cases[c].at && why[0], "'%s': error at %zu (%s), want at %zu", cases[c].s, at, why,
                          cases[c].at);
    }
}
END_TEST

START_TEST(test_broken_files_fail_with_line_and_column)
{
    static const struct {
        const char *file;
        reqtrace_fmt fmt;
        const char *want;
    } cases[] = {
        {"azure-bad-timestamp.csv", REQTRACE_AUTO,
         "tests/data/azure-bad-timestamp.csv:3:9: error: TIMESTAMP: day 31 does not exist in 2023-11"},
        {"azure-missing-field.csv", REQTRACE_AUTO,
         "tests/data/azure-missing-field.csv:3:1: error: expected 3 fields (TIMESTAMP,ContextTokens,GeneratedTokens), "
         "found 2"},
        {"azure-bad-count.csv", REQTRACE_AUTO,
         "tests/data/azure-bad-count.csv:3:33: error: GeneratedTokens: '4x4' is not a non-negative integer"},
        {"azure-zero-prompt.csv", REQTRACE_AUTO,
         "tests/data/azure-zero-prompt.csv:2:29: error: ContextTokens: 0 is out of range (1 to 2147483647)"},
        {"azure-bad-header.csv", REQTRACE_AUTO,
         "tests/data/azure-bad-header.csv:1:11: error: expected column 'ContextTokens' here (Azure header "
         "'TIMESTAMP,ContextTokens,GeneratedTokens')"},
        {"azure-header-only.csv", REQTRACE_AUTO,
         "tests/data/azure-header-only.csv: error: the request trace has no requests"},
        {"mooncake-bad-json.jsonl", REQTRACE_AUTO,
         "tests/data/mooncake-bad-json.jsonl:2:42: error: expected ',' or '}', found '\"'"},
        {"mooncake-missing-key.jsonl", REQTRACE_AUTO,
         "tests/data/mooncake-missing-key.jsonl:1:1: error: missing key \"output_length\" (Mooncake rows need "
         "timestamp, input_length, output_length)"},
        {"mooncake-too-many-hashes.jsonl", REQTRACE_AUTO,
         "tests/data/mooncake-too-many-hashes.jsonl:1:1: error: hash_ids lists 3 blocks, more than the 2 512-token "
         "blocks of input_length 600"},
        {"vidur-missing-column.csv", REQTRACE_AUTO,
         "tests/data/vidur-missing-column.csv:1:1: error: the Vidur header has no column 'num_decode_tokens' (needs "
         "arrived_at, num_prefill_tokens, num_decode_tokens)"},
        {"unknown-format.txt", REQTRACE_AUTO,
         "tests/data/unknown-format.txt:1:1: error: cannot tell the trace format from 'time prompt output' (expected "
         "an Azure header 'TIMESTAMP,...', a Vidur header 'arrived_at,...' or a Mooncake JSON object); set "
         "workload.requests.trace.format"},
        {"azure-2023.csv", REQTRACE_MOONCAKE,
         "tests/data/azure-2023.csv:1:1: error: expected a JSON object '{...}' (Mooncake format: one request per "
         "line), found 'T'"},
        {"mooncake.jsonl", REQTRACE_VIDUR,
         "tests/data/mooncake.jsonl:1:1: error: the Vidur header has no column 'arrived_at' (needs arrived_at, "
         "num_prefill_tokens, num_decode_tokens)"},
        {"no-such-trace.csv", REQTRACE_AUTO,
         "tests/data/no-such-trace.csv: error: cannot open the request trace: No such file or directory"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *p = data_path(cases[c].file);
        reqtrace_opts o = PLAIN;
        o.format = cases[c].fmt;
        reqtrace t;
        diag_t err = {{0}};
        int rc = reqtrace_load(p, &o, &t, &err);
        free(p);
        ck_assert_msg(rc == -1, "%s: loaded, want an error", cases[c].file);
        ck_assert_msg(!strcmp(rel(err.msg), cases[c].want), "%s:\n  got:  %s\n  want: %s", cases[c].file, rel(err.msg),
                      cases[c].want);
    }
}
END_TEST

START_TEST(test_a_window_past_the_end_is_an_error)
{
    char *p = data_path("azure-2023.csv");
    reqtrace_opts o = {.format = REQTRACE_AUTO, .rate_scale = 1, .window_start_s = 100};
    reqtrace t;
    diag_t err = {{0}};
    ck_assert_int_eq(reqtrace_load(p, &o, &t, &err), -1);
    free(p);
    ck_assert_msg(strstr(err.msg, "no request of the trace's 5 arrives inside the window") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(test_shared_azure_conversation_trace_reads_whole)
{
    const char *root = getenv("OASTWIN_ROOT");
    char p[4096];
    snprintf(p, sizeof p, "%s%s../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv", root ? root : "",
             root ? "/" : "");
    FILE *f = fopen(p, "r");
    if (!f) {
        fprintf(stderr, "check_reqtrace: skipping the Azure conversation trace: %s is absent\n", p);
        return;
    }
    fclose(f);
    reqtrace t;
    diag_t err = {{0}};
    ck_assert_msg(reqtrace_load(p, &PLAIN, &t, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(t.n, 19366);
    ck_assert_uint_eq(t.rows, 19366);
    double in = 0, out = 0;
    for (size_t i = 0; i < t.n; i++) {
        in += t.prompt_tokens[i];
        out += t.output_tokens[i];
    }
    /* Column sums of the published file (awk over AzureLLMInferenceTrace_conv.csv). */
    ck_assert_double_eq_tol(in / (double)t.n, 1154.7, 0.05);
    ck_assert_double_eq_tol(out / (double)t.n, 211.126, 0.001);
    ck_assert_msg(t.span_s > 3400 && t.span_s < 3600, "span %g s", t.span_s);
    reqtrace_free(&t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reqtrace");
    TCase *tc = tcase_create("readers");
    tcase_add_test(tc, test_azure_2023_rows_become_requests_relative_to_the_first);
    tcase_add_test(tc, test_azure_2024_time_zones_crlf_and_mixed_fractions_are_read);
    tcase_add_test(tc, test_mooncake_keeps_hash_ids_skips_blank_lines_and_unknown_keys);
    tcase_add_test(tc, test_vidur_finds_columns_by_name_and_sorts_by_arrival);
    tcase_add_test(tc, test_window_rate_scale_and_limit_are_counted_not_dropped);
    tcase_add_test(tc, test_timestamps_parse_exactly_or_say_why);
    tcase_add_test(tc, test_broken_files_fail_with_line_and_column);
    tcase_add_test(tc, test_a_window_past_the_end_is_an_error);
    tcase_add_test(tc, test_shared_azure_conversation_trace_reads_whole);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
