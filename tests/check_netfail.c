/* Failures that take network links (models/resilience/netfail.c): a switch takes its ports, a
 * plane its links, a module its lanes, a flap its share; bundles of planes and parallel
 * scale-out uplinks keep a path, single paths are cut; closing restores the bandwidths
 * bit for bit. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "platform.h"
#include "resilience/netfail.h"
#include "scenario.h"

static const char HEAD[] = "schema_version: 1\n"
                           "name: t\n"
                           "hardware:\n"
                           "  accelerator:\n"
                           "    peak_flops: 1000 TFLOPS\n"
                           "    hbm_capacity: 80 GiB\n"
                           "    hbm_bandwidth: 2 TB/s\n"
                           "    idle_power: 100 W\n"
                           "    max_power: 700 W\n"
                           "workload:\n"
                           "  iterations: 1\n"
                           "  compute:\n"
                           "    flops: 1 TFLOP\n"
                           "  gradient_bytes: 1 MB\n";

static const char SWITCHED4[] = "topology:\n  kind: switched\n  accelerators: 8\n  planes: 4\n"
                                "  link: {bandwidth: 100 GB/s, latency: 150 ns}\n  switch: {latency: 200 ns}\n";
static const char SWITCHED1[] = "topology:\n  kind: switched\n  accelerators: 8\n  planes: 1\n"
                                "  link: {bandwidth: 100 GB/s, latency: 150 ns}\n  switch: {latency: 200 ns}\n";
static const char CLOS2[] = "topology:\n  kind: clos2\n  nodes: 4\n  accelerators_per_node: 2\n  planes: 2\n"
                            "  link: {bandwidth: 100 GB/s, latency: 100 ns}\n"
                            "  uplink: {bandwidth: 50 GB/s, medium: lpo, length: 10 m}\n"
                            "  switch: {latency: 200 ns, radix: 8}\n";
/* 6 two-accelerator supernodes on a two-tier rail-optimized fat tree: per rail 2 leaves, 4 spines */
static const char CLUSTER[] = "topology:\n  kind: switched\n  supernodes: 6\n  accelerators: 2\n"
                              "  accelerators_per_node: 2\n  planes: 2\n"
                              "  link: {bandwidth: 50 GB/s, latency: 100 ns}\n  switch: {latency: 200 ns}\n"
                              "  scaleout:\n    kind: fattree\n    tiers: 2\n    nics: per_accelerator\n"
                              "    link: {bandwidth: 25 GB/s, latency: 100 ns}\n"
                              "    switch: {radix: 8, latency: 130 ns}\n";

typedef struct world {
    scenario_t sc;
    platform_t *p;
    rs_net *net;
} world;

static void build(const char *topo, world *w, int64_t modules)
{
    char path[] = "/tmp/check_netfail_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s%s", HEAD, topo);
    fclose(f);
    diag_t err = {{0}};
    int rc = scenario_load(path, NULL, 0, &w->sc, &err);
    unlink(path);
    ck_assert_msg(rc == 0, "scenario: %s", err.msg);
    w->p = platform_build(&w->sc, &err);
    ck_assert_msg(w->p != NULL, "platform: %s", err.msg);
    fl_counts c = {{0}};
    c.n[FL_SWITCH] = platform_nswitches(w->p);
    c.n[FL_OPTICS] = modules;
    c.n[FL_LINK_FLAP] = platform_nphys_links(w->p);
    c.n[FL_PLANE] = (int64_t)platform_supernodes(w->p) * platform_planes(w->p);
    w->net = rs_net_new(w->p, &c);
    ck_assert_ptr_nonnull(w->net);
}

static void destroy(world *w)
{
    rs_net_free(w->net);
    platform_free(w->p);
    scenario_free(&w->sc);
}

static rs_net_effect eval(world *w, int cls, int64_t comp, double factor)
{
    fl_event f = {.cls = cls, .component = comp, .bw_factor = factor};
    rs_net_effect e;
    ck_assert_int_eq(rs_net_eval(w->net, &f, &e), 0);
    return e;
}

START_TEST(test_a_switch_of_a_multi_plane_supernode_takes_one_plane_share)
{
    world w;
    build(SWITCHED4, &w, 0);
    for (int64_t k = 0; k < 4; k++) {
        rs_net_effect e = eval(&w, FL_SWITCH, k, 0);
        ck_assert_int_eq(e.links, 8); /* one port per accelerator */
        ck_assert_msg(!e.cuts, "switch %lld cuts", (long long)k);
        ck_assert_double_eq_tol(e.share, 0.75, 1e-12);
    }
    ck_assert_int_eq(rs_net_cutting(w.net, FL_SWITCH), 0);
    destroy(&w);
}
END_TEST

START_TEST(test_the_only_switch_of_a_single_plane_supernode_cuts)
{
    world w;
    build(SWITCHED1, &w, 0);
    rs_net_effect e = eval(&w, FL_SWITCH, 0, 0);
    ck_assert(e.cuts);
    ck_assert_double_eq(e.share, 0);
    ck_assert_int_eq(rs_net_cutting(w.net, FL_SWITCH), 1);
    destroy(&w);
}
END_TEST

START_TEST(test_a_flap_takes_its_share_of_one_bundle)
{
    world w;
    build(SWITCHED4, &w, 0);
    const double cases[][2] = {{0.0, 0.75}, {0.5, 0.875}, {1.0, 1.0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rs_net_effect e = eval(&w, FL_LINK_FLAP, 3, cases[i][0]);
        ck_assert_int_eq(e.links, 1);
        ck_assert(!e.cuts);
        ck_assert_msg(fabs(e.share - cases[i][1]) < 1e-12, "factor %g: share %.15g, want %g", cases[i][0], e.share,
                      cases[i][1]);
    }
    destroy(&w);
}
END_TEST

START_TEST(test_opening_and_closing_restores_every_bandwidth_exactly)
{
    world w;
    build(CLOS2, &w, 0);
    size_t n = platform_nlinks(w.p);
    double *before = malloc(n * sizeof *before);
    memcpy(before, platform_link_bw(w.p), n * sizeof *before);
    fl_event a = {.cls = FL_PLANE, .component = 1}, b = {.cls = FL_SWITCH, .component = 0},
             c = {.cls = FL_LINK_FLAP, .component = 5, .bw_factor = 0.3};
    int64_t ha, hb, hc;
    ck_assert_int_eq(rs_net_open(w.net, &a, &ha), 0);
    ck_assert_int_eq(rs_net_open(w.net, &b, &hb), 0);
    ck_assert_int_eq(rs_net_open(w.net, &c, &hc), 0);
    ck_assert_msg(memcmp(before, platform_link_bw(w.p), n * sizeof *before) != 0, "nothing degraded");
    ck_assert_int_eq(rs_net_close(w.net, hb), 0);
    ck_assert_int_eq(rs_net_close(w.net, ha), 0);
    ck_assert_int_eq(rs_net_close(w.net, hc), 0);
    ck_assert_int_eq(rs_net_close(w.net, hc), -1); /* closed twice */
    const double *after = platform_link_bw(w.p);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(after[i] == before[i], "link %zu: %.17g, was %.17g", i, after[i], before[i]);
    free(before);
    destroy(&w);
}
END_TEST

START_TEST(test_a_plane_fails_whole_and_the_other_carries_its_traffic)
{
    world w;
    build(CLOS2, &w, 0);
    ck_assert_int_eq(platform_planes(w.p), 2);
    rs_net_effect e = eval(&w, FL_PLANE, 0, 0);
    ck_assert(!e.cuts);
    ck_assert_double_eq_tol(e.share, 0.5, 1e-12);
    ck_assert_int_gt(e.links, 8); /* accelerator links and uplinks of the plane */
    fl_event bad = {.cls = FL_PLANE, .component = 2};
    rs_net_effect x;
    ck_assert_int_eq(rs_net_eval(w.net, &bad, &x), -1);
    /* with plane 0 down, losing plane 1 as well leaves nothing */
    fl_event p0 = {.cls = FL_PLANE, .component = 0};
    int64_t h;
    ck_assert_int_eq(rs_net_open(w.net, &p0, &h), 0);
    ck_assert(eval(&w, FL_PLANE, 1, 0).cuts);
    ck_assert_int_eq(rs_net_close(w.net, h), 0);
    ck_assert(!eval(&w, FL_PLANE, 1, 0).cuts);
    destroy(&w);
}
END_TEST

START_TEST(test_an_optical_module_takes_a_link_of_a_bundle)
{
    world w;
    build(CLOS2, &w, 64);
    for (int64_t m = 0; m < 64; m += 7) {
        rs_net_effect e = eval(&w, FL_OPTICS, m, 0);
        ck_assert_int_eq(e.links, 1);
        ck_assert_msg(!e.cuts && e.share < 1 && e.share > 0, "module %lld: share %g", (long long)m, e.share);
    }
    ck_assert_int_eq(rs_net_cutting(w.net, FL_OPTICS), 0);
    destroy(&w);
}
END_TEST

START_TEST(test_scale_out_spine_loss_spreads_and_leaf_loss_cuts)
{
    world w;
    build(CLUSTER, &w, 0);
    int64_t up = 6 * 2; /* plane switches of the six supernodes come first */
    /* then, per rail (/topology/nodes order), 2 leaves and 4 spine positions */
    ck_assert_int_eq(platform_nswitches(w.p), up + 2 * 6);
    for (int64_t r = 0; r < 2; r++)
        for (int64_t j = 0; j < 6; j++) {
            int64_t k = up + 6 * r + j;
            rs_net_effect e = eval(&w, FL_SWITCH, k, 0);
            if (j < 2)
                ck_assert_msg(e.cuts, "leaf %lld does not cut", (long long)k);
            else /* one uplink of four lost by each leaf: rehashed over the other three */
                ck_assert_msg(!e.cuts && fabs(e.share - 0.75) < 1e-12, "spine %lld: cuts %d share %g", (long long)k,
                              e.cuts, e.share);
        }
    ck_assert_int_eq(rs_net_cutting(w.net, FL_SWITCH), 4);
    destroy(&w);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("netfail");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_switch_of_a_multi_plane_supernode_takes_one_plane_share);
    tcase_add_test(tc, test_the_only_switch_of_a_single_plane_supernode_cuts);
    tcase_add_test(tc, test_a_flap_takes_its_share_of_one_bundle);
    tcase_add_test(tc, test_opening_and_closing_restores_every_bandwidth_exactly);
    tcase_add_test(tc, test_a_plane_fails_whole_and_the_other_carries_its_traffic);
    tcase_add_test(tc, test_an_optical_module_takes_a_link_of_a_bundle);
    tcase_add_test(tc, test_scale_out_spine_loss_spreads_and_leaf_loss_cuts);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
