/* Check suite "scenario": the YAML tree (positions, limits, duplicate keys, aliases, merge) and
 * the scenario loader (defaults, unit conversion, --set overrides, golden error messages). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"
#include "yamltree.h"

static const char BASE[] = "schema_version: 1\n"
                           "name: t\n"
                           "hardware:\n"
                           "  accelerator:\n"
                           "    peak_flops: 1000 TFLOPS\n"
                           "    hbm_capacity: 80 GiB\n"
                           "    hbm_bandwidth: 2 TB/s\n"
                           "    idle_power: 100 W\n"
                           "    max_power: 700 W\n"
                           "topology:\n"
                           "  accelerators: 16\n"
                           "  link:\n"
                           "    bandwidth: 3.2 Tb/s\n"
                           "    latency: 1.5 us\n"
                           "  switch:\n"
                           "    latency: 200 ns\n"
                           "workload:\n"
                           "  iterations: 2\n"
                           "  compute:\n"
                           "    flops: 1 PFLOP\n"
                           "  gradient_bytes: 128 MiB\n";

static char *write_tmp(const char *text)
{
    char *path = strdup("/tmp/check_scenario_XXXXXX.yaml");
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    size_t len = strlen(text);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Loads TEXT (+ sets); returns rc and leaves the message in ERR with the temp path replaced by "S". */
static int load(const char *text, const char *const *sets, size_t nsets, scenario_t *sc, char *msg, size_t n)
{
    char *path = write_tmp(text);
    diag_t err = {{0}};
    int rc = scenario_load(path, sets, nsets, sc, &err);
    const char *m = err.msg;
    size_t plen = strlen(path);
    if (strncmp(m, path, plen) == 0)
        snprintf(msg, n, "S%s", m + plen);
    else
        snprintf(msg, n, "%s", m);
    unlink(path);
    free(path);
    return rc;
}

START_TEST(test_defaults_and_units_convert_to_si)
{
    scenario_t sc;
    char msg[2048];
    ck_assert_msg(load(BASE, NULL, 0, &sc, msg, sizeof msg) == 0, "load failed: %s", msg);
    ck_assert_double_eq_tol(sc.topo.link.bw_Bps, 4e11, 1e-3);
    ck_assert_double_eq_tol(sc.topo.link.lat_s, 1.5e-6, 1e-18);
    ck_assert_double_eq_tol(sc.accel.hbm_bytes, 80.0 * 1073741824.0, 1e-3);
    ck_assert_double_eq_tol(sc.wl.dp.gradient_bytes, 134217728.0, 1e-6);
    ck_assert_int_eq(sc.topo.planes, 1);
    ck_assert_int_eq(sc.seed, 1);
    ck_assert_int_eq(sc.run.fidelity, FID_FLOW);
    ck_assert_double_eq_tol(sc.run.sample_interval_s, 1e-3, 1e-15);
    ck_assert_str_eq(sc.out.path, "t.h5");
    ck_assert_ptr_nonnull(strstr(sc.resolved_text, "  link:\n    bandwidth: 400 GB/s\n"));
    scenario_free(&sc);
}
END_TEST

START_TEST(test_set_overrides_values_and_creates_sections)
{
    scenario_t sc;
    char msg[2048];
    const char *sets[] = {"topology.planes=8", "run.fidelity=analytic", "output.path=x.h5"};
    ck_assert_msg(load(BASE, sets, 3, &sc, msg, sizeof msg) == 0, "load failed: %s", msg);
    ck_assert_int_eq(sc.topo.planes, 8);
    ck_assert_int_eq(sc.run.fidelity, FID_ANALYTIC);
    ck_assert_str_eq(sc.out.path, "x.h5");
    scenario_free(&sc);
}
END_TEST

typedef struct bad_case {
    const char *from, *to; /* replace FROM by TO in BASE */
    const char *set;       /* or a --set */
    const char *want;
} bad_case;

static const bad_case BAD[] = {
    {"schema_version: 1\n", "", NULL,
     "S:1:1: error: missing required key 'schema_version' (this program reads schema_version 1)"},
    {"bandwidth: 3.2 Tb/s", "bandwidth: 3.2", NULL,
     "S:13:16: error: 'topology.link.bandwidth': '3.2' needs a unit of bandwidth (for example '400 GB/s')"},
    {"latency: 1.5 us", "latency: 1.5 GB", NULL,
     "S:14:14: error: 'topology.link.latency': '1.5 GB' is a data size, but a time is expected"},
    {"  switch:\n", "  swtch:\n", NULL, "S:15:3: error: unknown key 'topology.swtch' (did you mean 'topology.switch'?)"},
    {"accelerators: 16", "accelerators: -4", NULL,
     "S:11:17: error: 'topology.accelerators' must be between 1 and 1048576, not -4"},
    {"    idle_power: 100 W\n", "", NULL, "S:4:3: error: missing required key 'hardware.accelerator.idle_power'"},
    {"name: t\n", "name: t\nname: u\n", NULL, "S:3:1: error: duplicate key 'name' (first defined at line 2)"},
    {NULL, NULL, "topology.link.bandwidth=fast",
     "--set:1:25: error: 'topology.link.bandwidth': 'fast' is not a number with a unit"},
    {NULL, NULL, "topology.link.bandwidth.x=1",
     "--set:1:15: error: 'topology.link.bandwidth' is not a section; cannot set 'topology.link.bandwidth.x'"},
    {NULL, NULL, "workload.algorithm=rng",
     "--set:1:20: error: 'workload.algorithm' must be one of auto, ring, dbtree, rhd, torus, not 'rng' (did you mean 'ring'?)"},
};

START_TEST(test_bad_input_gets_exact_message)
{
    const bad_case *c = &BAD[_i];
    char text[4096];
    if (c->from) {
        const char *at = strstr(BASE, c->from);
        ck_assert_ptr_nonnull(at);
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - BASE), BASE, c->to, at + strlen(c->from));
    } else {
        snprintf(text, sizeof text, "%s", BASE);
    }
    scenario_t sc;
    char msg[2048];
    const char *sets[] = {c->set};
    int rc = load(text, sets, c->set ? 1 : 0, &sc, msg, sizeof msg);
    ck_assert_int_eq(rc, -1);
    ck_assert_msg(strcmp(msg, c->want) == 0, "case %d:\n want: %s\n got:  %s", _i, c->want, msg);
}
END_TEST

START_TEST(test_tree_keeps_positions_and_merges)
{
    diag_t err;
    const char *a = "x:\n  y: 1\n  z: [a, b]\n";
    const char *b = "x:\n  y: 2\n  w: 3\n";
    ynode *ta = yt_load_string(a, strlen(a), "a.yaml", &err);
    ynode *tb = yt_load_string(b, strlen(b), "b.yaml", &err);
    ck_assert_ptr_nonnull(ta);
    ck_assert_ptr_nonnull(tb);
    const ynode *y = yt_get(yt_get(ta, "x"), "y");
    ck_assert_int_eq(y->line, 2);
    ck_assert_int_eq(y->col, 6);
    ck_assert_int_eq(yt_merge(ta, tb), 0);
    ck_assert_str_eq(yt_get(yt_get(ta, "x"), "y")->value, "2");
    ck_assert_str_eq(yt_get(yt_get(ta, "x"), "w")->value, "3");
    ck_assert_str_eq(yt_get(yt_get(ta, "x"), "w")->file, "b.yaml");
    ck_assert_int_eq(yt_get(yt_get(ta, "x"), "z")->n, 2);
    yt_free(ta);
    yt_free(tb);
}
END_TEST

START_TEST(test_aliases_expand_within_limits)
{
    diag_t err;
    const char *t = "a: &x {p: 1, q: 2}\nb: *x\n";
    ynode *n = yt_load_string(t, strlen(t), "t", &err);
    ck_assert_ptr_nonnull(n);
    ck_assert_str_eq(yt_get(yt_get(n, "b"), "q")->value, "2");
    ck_assert_int_eq(yt_get(n, "b")->line, 2);
    yt_free(n);
}
END_TEST

START_TEST(test_schema_reference_lists_every_key)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    scenario_schema_markdown(f);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "| `topology.link.bandwidth` | quantity | bandwidth"));
    ck_assert_ptr_nonnull(strstr(buf, "| `run.fidelity` |"));
    free(buf);
}
END_TEST

static Suite *scenario_suite(void)
{
    Suite *s = suite_create("scenario");
    TCase *tc = tcase_create("loader");
    tcase_add_test(tc, test_defaults_and_units_convert_to_si);
    tcase_add_test(tc, test_set_overrides_values_and_creates_sections);
    tcase_add_loop_test(tc, test_bad_input_gets_exact_message, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(tc, test_schema_reference_lists_every_key);
    suite_add_tcase(s, tc);
    TCase *tt = tcase_create("tree");
    tcase_add_test(tt, test_tree_keeps_positions_and_merges);
    tcase_add_test(tt, test_aliases_expand_within_limits);
    suite_add_tcase(s, tt);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scenario_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
