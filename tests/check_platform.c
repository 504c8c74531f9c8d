/* Check suite "platform": the topology kinds and the cluster. Counts (switch chips, links,
 * modules) of every preset and kind; bisection and diameter on cases small enough to count by
 * hand; the exact radix and reach errors; and agreement of platform_route() with SimGrid: each
 * kind's generated XML is loaded in SimGrid (one process per case: Check's fork mode, as SimGrid
 * can be initialised once per process) and, for sampled pairs, the shared links, latency and
 * bandwidth of SimGrid's route between the platform_endpoint() hosts must equal ours. Also
 * degradation of one physical link, and flow vs analytic fidelity across supernodes. */
#include <check.h>
#include <math.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xbt/dynar.h>

#include "h5read.h"
#include "platform.h"
#include "scenario.h"

static const char *root(void)
{
    const char *r = getenv("OASTWIN_ROOT");
    return r && *r ? r : ".";
}

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
                           "  gradient_bytes: 1 MB\n"
                           "run:\n"
                           "  fidelity: analytic\n"
                           "  sample_interval: 1 s\n";

/* Loads HEAD + TOPO (a `topology:` section) into SC; returns 0 or -1 with the message in MSG, the
 * temporary file's name replaced by "S". */
static int load_topo(const char *topo, scenario_t *sc, char *msg, size_t n)
{
    char path[] = "/tmp/check_platform_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "%s%s", HEAD, topo);
    fclose(f);
    diag_t err = {{0}};
    int rc = scenario_load(path, NULL, 0, sc, &err);
    size_t plen = strlen(path);
    if (!strncmp(err.msg, path, plen))
        snprintf(msg, n, "S%s", err.msg + plen);
    else
        snprintf(msg, n, "%s", err.msg);
    unlink(path);
    return rc;
}

/* Builds the platform of TOPO (must succeed). */
static platform_t *build(const char *topo, scenario_t *sc)
{
    char msg[2200];
    int rc = load_topo(topo, sc, msg, sizeof msg);
    ck_assert_msg(rc == 0, "scenario: %s", msg);
    diag_t err = {{0}};
    platform_t *p = platform_build(sc, &err);
    ck_assert_msg(p != NULL, "platform: %s", err.msg);
    return p;
}

/* ---- the topologies of the tests ---- */

static const char SWITCHED[] = "topology:\n  kind: switched\n  accelerators: 8\n  planes: 4\n"
                               "  link: {bandwidth: 100 GB/s, latency: 150 ns}\n  switch: {latency: 200 ns}\n";
static const char CLOS2[] = "topology:\n  kind: clos2\n  nodes: 4\n  accelerators_per_node: 2\n  planes: 2\n"
                            "  link: {bandwidth: 100 GB/s, latency: 100 ns}\n"
                            "  uplink: {bandwidth: 50 GB/s, medium: lpo, length: 10 m}\n"
                            "  switch: {latency: 200 ns, radix: 8}\n";
static const char CLOS2_OVER[] = "topology:\n  kind: clos2\n  nodes: 4\n  accelerators_per_node: 2\n  planes: 2\n"
                                 "  oversubscription: 2\n"
                                 "  link: {bandwidth: 100 GB/s, latency: 100 ns}\n"
                                 "  uplink: {bandwidth: 50 GB/s, latency: 120 ns}\n  switch: {latency: 200 ns}\n";
static const char TORUS2[] = "topology:\n  kind: torus\n  torus: {dims: 4x4}\n"
                             "  link: {bandwidth: 50 GB/s, latency: 80 ns}\n";
static const char TORUS3_OCS[] = "topology:\n  kind: torus\n  accelerators_per_node: 4\n"
                                 "  torus: {dims: 4x4x4, wrap: ocs, cube: 2x2x2,\n"
                                 "          ocs_link: {medium: optical, length: 30 m}, ocs: {radix: 16}}\n"
                                 "  link: {bandwidth: 50 GB/s, medium: copper, length: 1 m}\n";
static const char TORUS_ODD[] = "topology:\n  kind: torus\n  torus: {dims: 5x3x2}\n"
                                "  link: {bandwidth: 50 GB/s, latency: 80 ns}\n";
static const char MESH1[] = "topology:\n  kind: fullmesh\n  fullmesh: {dims: \"4\"}\n"
                            "  link: {bandwidth: 64 GB/s, latency: 90 ns}\n";
static const char MESH2[] = "topology:\n  kind: fullmesh\n  fullmesh: {dims: 4x2}\n"
                            "  link: {bandwidth: 64 GB/s, latency: 90 ns}\n";
static const char MESH3[] = "topology:\n  kind: fullmesh\n  fullmesh: {dims: 3x2x2}\n"
                            "  link: {bandwidth: 64 GB/s, latency: 90 ns}\n";
/* 3 supernodes of 8 (nodes of 4): per rail 6 NICs, radix 4: leaves of 2 NICs + 2 uplinks */
static const char CLUSTER2[] = "topology:\n  kind: switched\n  supernodes: 3\n  accelerators: 8\n"
                               "  accelerators_per_node: 4\n  planes: 4\n"
                               "  link: {bandwidth: 100 GB/s, latency: 150 ns}\n  switch: {latency: 200 ns}\n"
                               "  scaleout:\n    kind: fattree\n    link: {bandwidth: 50 GB/s, latency: 500 ns}\n"
                               "    switch: {radix: 4, latency: 300 ns}\n";
/* 5 clos2 supernodes of 8 behind per-node NICs: 20 NICs, radix 4, 3 tiers */
static const char CLUSTER3[] = "topology:\n  kind: clos2\n  supernodes: 5\n  nodes: 4\n  accelerators_per_node: 2\n"
                               "  planes: 2\n  link: {bandwidth: 100 GB/s, latency: 100 ns}\n"
                               "  uplink: {bandwidth: 50 GB/s, latency: 120 ns}\n  switch: {latency: 200 ns}\n"
                               "  scaleout:\n    kind: fattree\n    tiers: 3\n    nics: per_node\n"
                               "    oversubscription: 3\n"
                               "    link: {bandwidth: 25 GB/s, medium: optical, length: 50 m}\n"
                               "    switch: {radix: 4, latency: 300 ns}\n";
/* 4 torus supernodes, per-accelerator NICs (4 rails), 3 tiers, radix 4 */
static const char CLUSTER_TORUS[] = "topology:\n  kind: torus\n  supernodes: 4\n  accelerators_per_node: 4\n"
                                    "  torus: {dims: 4x2}\n  link: {bandwidth: 50 GB/s, latency: 80 ns}\n"
                                    "  scaleout:\n    kind: fattree\n    tiers: 3\n"
                                    "    link: {bandwidth: 25 GB/s, latency: 400 ns}\n"
                                    "    switch: {radix: 4, latency: 250 ns}\n";

/* ---- SimGrid agreement ---- */

typedef struct route_case {
    const char *name;
    const char *topo;
} route_case;

static const route_case ROUTES[] = {
    {"switched", SWITCHED},   {"clos2", CLOS2},     {"clos2 oversubscribed", CLOS2_OVER},
    {"torus 4x4", TORUS2},    {"torus ocs", TORUS3_OCS}, {"torus 5x3x2", TORUS_ODD},
    {"fullmesh 4", MESH1},    {"fullmesh 4x2", MESH2}, {"fullmesh 3x2x2", MESH3},
    {"cluster 2-tier", CLUSTER2}, {"cluster 3-tier per node", CLUSTER3}, {"cluster of tori", CLUSTER_TORUS},
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Loads P in SimGrid (this process) and seals it. */
static void load_in_simgrid(const platform_t *p)
{
    char xml[] = "/tmp/check_platform_XXXXXX.xml";
    int fd = mkstemps(xml, 4);
    ck_assert_int_ge(fd, 0);
    close(fd);
    diag_t err = {{0}};
    ck_assert_msg(platform_write_xml(p, xml, &err) == 0, "%s", err.msg);
    int argc = 3;
    static char a0[] = "check_platform", a1[] = "--log=root.thres:critical", a2[] = "--cfg=network/model:CM02";
    static char extra[256];
    char *argv[] = {a0, a1, a2, NULL, NULL};
    const char *cfg = getenv("OASTWIN_SIMGRID_CFG"); /* thread contexts under sanitizers (Makefile) */
    if (cfg && *cfg) {
        snprintf(extra, sizeof extra, "--cfg=%s", cfg);
        argv[argc++] = extra;
    }
    simgrid_init(&argc, argv);
    simgrid_load_platform(xml);
    unlink(xml);
    ck_assert_msg(platform_simgrid_sync(p, &err) == 0, "%s", err.msg);
    simgrid_run(); /* no actor: only seals the platform (Dijkstra zones need it before routing) */
}

/* SimGrid's route from SRC to DST equals ours: shared links (by name), latency, bandwidth. */
static void check_pair(const platform_t *p, int32_t a, int32_t b, const char *kind)
{
    char sh[64], dh[64];
    platform_endpoint(p, a, b, sh, dh, sizeof sh);
    sg_host_t s = sg_host_by_name(sh), d = sg_host_by_name(dh);
    ck_assert_msg(s && d, "%s: no host %s or %s", kind, sh, dh);
    uint32_t links[256];
    double lat;
    int n = platform_route(p, a, b, &lat, links, 256);
    ck_assert_int_ge(n, 1);
    double bw = INFINITY;
    const char *mine[256];
    char names[256][96];
    for (int i = 0; i < n; i++) {
        platform_link_name(p, links[i], names[i], sizeof names[i]);
        mine[i] = names[i];
        bw = fmin(bw, platform_link_bw(p)[links[i]]);
    }
    xbt_dynar_t dyn = xbt_dynar_new(sizeof(sg_link_t), NULL);
    sg_host_get_route(s, d, dyn);
    const char *theirs[256];
    int m = 0;
    unsigned k;
    sg_link_t l;
    xbt_dynar_foreach (dyn, k, l)
        if (sg_link_is_shared(l) && m < 256)
            theirs[m++] = sg_link_get_name(l);
    qsort(mine, (size_t)n, sizeof *mine, cmp_str);
    qsort(theirs, (size_t)m, sizeof *theirs, cmp_str);
    ck_assert_msg(m == n, "%s %d->%d (%s->%s): SimGrid route has %d shared links, ours %d", kind, a, b, sh, dh, m, n);
    for (int i = 0; i < n; i++)
        ck_assert_msg(!strcmp(mine[i], theirs[i]), "%s %d->%d: link %s (ours) vs %s (SimGrid)", kind, a, b, mine[i],
                      theirs[i]);
    xbt_dynar_free(&dyn);
    double slat = sg_host_get_route_latency(s, d), sbw = sg_host_get_route_bandwidth(s, d);
    ck_assert_msg(fabs(slat - lat) <= 1e-12 * lat, "%s %d->%d: latency %.17g s (SimGrid) vs %.17g s (ours)", kind, a,
                  b, slat, lat);
    ck_assert_msg(fabs(sbw - bw) <= 1e-12 * bw, "%s %d->%d: bandwidth %.17g B/s (SimGrid) vs %.17g B/s (ours)", kind,
                  a, b, sbw, bw);
}

START_TEST(test_routes_agree_with_simgrid)
{
    const route_case *c = &ROUTES[_i];
    scenario_t sc;
    platform_t *p = build(c->topo, &sc);
    load_in_simgrid(p);
    int32_t n = platform_accelerators(p);
    if ((int64_t)n * n <= 4096) {
        for (int32_t a = 0; a < n; a++)
            for (int32_t b = 0; b < n; b++)
                if (a != b)
                    check_pair(p, a, b, c->name);
    } else {
        uint64_t x = 12345;
        for (int k = 0; k < 3000; k++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            int32_t a = (int32_t)((x >> 33) % (uint64_t)n), b = (int32_t)((x >> 13) % (uint64_t)n);
            if (a != b)
                check_pair(p, a, b, c->name);
        }
    }
    platform_free(p);
    scenario_free(&sc);
}
END_TEST

/* Degrading one plane of a bundle, one torus circuit or one fabric link changes exactly the
 * simulated links that carry it, in our table and in SimGrid after platform_simgrid_sync(). */
typedef struct degrade_case {
    const char *topo;
    int64_t phys;      /* physical link to degrade; -1: the last one (the fabric's) */
    double factor;
    double want_share; /* bandwidth left / nominal, on both simulated links that carry it */
} degrade_case;

static const degrade_case DEGRADES[] = {
    {SWITCHED, 5, 0.0, 0.75},    /* accelerator 1, plane 1 of 4: its bundles keep 3 planes */
    {CLOS2, 16, 0.5, 0.9375},    /* node 0's uplink on plane 0 to L2 chip 0: 1 of 8 at half */
    {TORUS3_OCS, 3, 0.25, 0.25}, /* one torus link */
    {CLUSTER2, -1, 0.0, 0.0},    /* one fabric link fails */
};

START_TEST(test_degrade_cuts_the_right_bandwidth)
{
    const degrade_case *c = &DEGRADES[_i];
    scenario_t sc;
    platform_t *p = build(c->topo, &sc);
    load_in_simgrid(p);
    int64_t phys = c->phys >= 0 ? c->phys : platform_nphys_links(p) - 1;
    double before[2];
    uint32_t ch[2];
    ck_assert_int_eq(platform_link_degrade(p, phys, 1.0, ch, 2), 2);
    for (int j = 0; j < 2; j++)
        before[j] = platform_link_bw(p)[ch[j]];
    ck_assert_int_eq(platform_link_degrade(p, phys, c->factor, ch, 2), 2);
    diag_t err = {{0}};
    ck_assert_int_eq(platform_simgrid_sync(p, &err), 0);
    for (int j = 0; j < 2; j++) {
        double got = platform_link_bw(p)[ch[j]], want = before[j] * c->want_share;
        char name[96];
        platform_link_name(p, ch[j], name, sizeof name);
        ck_assert_msg(fabs(got - want) <= 1e-9 * before[j], "link %s: %.17g B/s, want %.17g", name, got, want);
        double sg = sg_link_get_bandwidth(sg_link_by_name(name));
        ck_assert_msg(fabs(sg - got) <= 1e-9 * before[j], "link %s: SimGrid has %.17g B/s, ours %.17g", name, sg,
                      got);
    }
    /* restored: nominal again, in SimGrid too */
    ck_assert_int_eq(platform_link_degrade(p, phys, 1.0, ch, 2), 2);
    ck_assert_int_eq(platform_simgrid_sync(p, &err), 0);
    for (int j = 0; j < 2; j++) {
        char name[96];
        platform_link_name(p, ch[j], name, sizeof name);
        double sg = sg_link_get_bandwidth(sg_link_by_name(name));
        ck_assert_msg(fabs(sg - before[j]) <= 1e-9 * before[j], "link %s restored: %.17g B/s, want %.17g", name, sg,
                      before[j]);
    }
    ck_assert_int_eq(platform_link_degrade(p, phys, 1.5, ch, 2), -1);
    ck_assert_int_eq(platform_link_degrade(p, platform_nphys_links(p), 0.5, ch, 2), -1);
    platform_free(p);
    scenario_free(&sc);
}
END_TEST

/* ---- counts, bisection, diameter ---- */

typedef struct count_case {
    const char *name;
    const char *topo;        /* NULL: PRESET */
    const char *preset;      /* scenarios/presets/NAME.yaml */
    int64_t accelerators;
    int64_t up_switches[3];  /* by tier */
    int64_t out_switches[3];
    int64_t links;           /* physical, scale-up + scale-out */
    int64_t up_modules;
    double up_bisection_Bps; /* < 0: not checked */
    int nonblocking;         /* -1: not checked */
    int32_t diameter;
} count_case;

static const count_case COUNTS[] = {
    /* 7 planes: 48 x 7 L1, 7 x 16 L2; 48 nodes x 56 node-side 4x112G ports x 2 ends = 5376 modules;
     * links: 384 x 7 NPU links + 336 x 16 uplinks; bisection: 24 nodes x 8 x 392 GB/s */
    {"cloudmatrix384", NULL, "cloudmatrix384", 384, {336, 112, 0}, {0}, 2688 + 5376, 5376, 24 * 8 * 392e9, 1, 4},
    {"gb200-nvl72", NULL, "gb200-nvl72", 72, {18, 0, 0}, {0}, 72 * 18, 0, 36 * 900e9, 1, 2},
    /* 48 OCS (3 dimensions x 16 face positions); 3 links per chip; 3 x 1024 circuits, 2 ends each */
    {"tpu-v4-pod", NULL, "tpu-v4-pod", 4096, {48, 0, 0}, {0}, 4096 * 3, 6144, 2.0 * 256 * 50e9, 0, 24},
    {"oisa-128", NULL, "oisa-128", 128, {8, 0, 0}, {0}, 128 * 8, 0, 64 * 400e9, 1, 2},
    {"oas-reference", NULL, "oas-reference", 256, {256, 64, 0}, {0}, 2048 + 2048, 4096, 16 * 8 * 800e9, 1, 4},
    {"switched 8x4", SWITCHED, NULL, 8, {4, 0, 0}, {0}, 32, 0, 4 * 400e9, 1, 2},
    /* L2 per plane: ceil(2 x 100 / 50) = 4; node down 2 x 200 = up 2 x 4 x 50 = 400 GB/s; 2 nodes cross */
    {"clos2 4x2, 2 planes", CLOS2, NULL, 8, {8, 8, 0}, {0}, 16 + 32, 2 * (8 * 1 + 8 * 1), 2 * 400e9, 1, 4},
    /* oversubscription 2: 2 L2 per plane, node up 2 x 2 x 50 = 200 GB/s */
    {"clos2 oversubscribed", CLOS2_OVER, NULL, 8, {8, 4, 0}, {0}, 16 + 16, 0, 2 * 200e9, 0, 4},
    /* 4x4: 2 links per chip; the cut across a ring of 4 crosses 2 links per ring, 4 rings */
    {"torus 4x4", TORUS2, NULL, 16, {0}, {0}, 32, 0, 8 * 50e9, 0, 4},
    /* 4x4x4 of 2x2x2 cubes: 3 x 4 OCS; circuits: half of the 192 links, so every chip terminates 3
     * circuits of 4 lanes (400 Gb/s over 100G lanes): 12 lanes in 2 modules of 8 lanes */
    {"torus 4x4x4 ocs", TORUS3_OCS, NULL, 64, {12, 0, 0}, {0}, 192, 64 * 2, 2 * 16 * 50e9, 0, 6},
    /* 4 pairwise: 6 links, cut 2 x 2 */
    {"fullmesh 4", MESH1, NULL, 4, {0}, {0}, 6, 0, 4 * 64e9, 0, 1},
    /* 4x2: 2 lines of 4 (12 links) + 4 lines of 2 (4 links); cut min(2 x 4, 4 x 1) */
    {"fullmesh 4x2", MESH2, NULL, 8, {0}, {0}, 16, 0, 4 * 64e9, 0, 2},
    /* 4 rails x 6 NICs; leaves of 2 NICs: 12 leaves; spine slices 4 x 2 of 3 ports -> 6 chips of 4 */
    {"cluster 2-tier", CLUSTER2, NULL, 24, {12, 0, 0}, {12, 6, 0}, 96 + 24 + 24, 0, 4 * 400e9, 1, 2},
    /* 20 node NICs; leaf 3 NIC ports + 1 uplink (oversubscription 3): 7 leaves; pods of 2 leaves: 4
     * pods x 1 aggregation; cores 1 x 2 slices of 4 ports -> 2 chips */
    {"cluster 3-tier per node", CLUSTER3, NULL, 40, {40, 40, 0}, {7, 4, 2}, 5 * (16 + 32) + 20 + 7 + 8, 0, -1, -1,
     4},
};

START_TEST(test_counts_match_the_design)
{
    const count_case *c = &COUNTS[_i];
    char topo[4096];
    if (c->preset)
        snprintf(topo, sizeof topo, "topology: {preset: %s}\n", c->preset);
    scenario_t sc;
    platform_t *p = build(c->topo ? c->topo : topo, &sc);
    platform_figures f;
    ck_assert_int_eq(platform_figures_get(p, &f), 0);
    ck_assert_msg(f.accelerators == c->accelerators, "%s: %lld accelerators, want %lld", c->name,
                  (long long)f.accelerators, (long long)c->accelerators);
    for (int t = 0; t < 3; t++) {
        ck_assert_msg(f.up_switches[t] == c->up_switches[t], "%s: scale-up tier %d has %lld chips, want %lld",
                      c->name, t + 1, (long long)f.up_switches[t], (long long)c->up_switches[t]);
        ck_assert_msg(f.out_switches[t] == c->out_switches[t], "%s: scale-out tier %d has %lld chips, want %lld",
                      c->name, t + 1, (long long)f.out_switches[t], (long long)c->out_switches[t]);
    }
    int64_t links = 0;
    for (int m = 0; m < HW_MEDIUM__COUNT; m++)
        links += f.up_links[m] + f.out_links[m];
    ck_assert_msg(links == c->links, "%s: %lld physical links, want %lld", c->name, (long long)links,
                  (long long)c->links);
    ck_assert_msg(platform_nphys_links(p) == links, "%s: %lld listed physical links, %lld counted", c->name,
                  (long long)platform_nphys_links(p), (long long)links);
    ck_assert_msg(f.up_modules == c->up_modules, "%s: %lld scale-up optical modules, want %lld", c->name,
                  (long long)f.up_modules, (long long)c->up_modules);
    if (c->up_bisection_Bps >= 0)
        ck_assert_msg(fabs(f.up_bisection_Bps - c->up_bisection_Bps) <= 1e-9 * c->up_bisection_Bps,
                      "%s: bisection %.17g B/s, want %.17g", c->name, f.up_bisection_Bps, c->up_bisection_Bps);
    if (c->nonblocking >= 0)
        ck_assert_msg(f.up_nonblocking == (c->nonblocking == 1), "%s: non-blocking %d, want %d", c->name,
                      f.up_nonblocking, c->nonblocking);
    ck_assert_msg(f.up_diameter_hops == c->diameter, "%s: diameter %d hops, want %d", c->name, f.up_diameter_hops,
                  c->diameter);
    platform_free(p);
    scenario_free(&sc);
}
END_TEST

/* Latency figures are exact means over all pairs on small machines: switched 2 x 150 + 200 ns. */
START_TEST(test_latency_figures_on_small_machines)
{
    scenario_t sc;
    platform_t *p = build(SWITCHED, &sc);
    platform_figures f;
    ck_assert_int_eq(platform_figures_get(p, &f), 0);
    ck_assert_double_eq_tol(f.lat_mean_s, 500e-9, 1e-18);
    ck_assert_double_eq_tol(f.lat_max_s, 500e-9, 1e-18);
    ck_assert_int_eq(f.lat_pairs, 56);
    ck_assert(!f.lat_sampled);
    platform_free(p);
    scenario_free(&sc);
    /* clos2: in a node 2 x 100 + 200 ns; across nodes 2 x 100 + 2 x (100 ns LPO + 10 m x 5 ns/m) + 3 x 200 */
    p = build(CLOS2, &sc);
    ck_assert_int_eq(platform_figures_get(p, &f), 0);
    double in = 400e-9, across = 200e-9 + 300e-9 + 600e-9;
    double mean = (8 * 1 * in + 8 * 6 * across) / 56;
    ck_assert_msg(fabs(f.lat_mean_s - mean) <= 1e-15, "clos2 mean latency %.17g, want %.17g", f.lat_mean_s, mean);
    ck_assert_msg(fabs(f.lat_max_s - across) <= 1e-15, "clos2 worst latency %.17g, want %.17g", f.lat_max_s, across);
    platform_free(p);
    scenario_free(&sc);
}
END_TEST

START_TEST(test_endpoints_cross_supernodes_through_nics)
{
    scenario_t sc;
    platform_t *p = build(CLUSTER2, &sc);
    char s[32], d[32];
    ck_assert_int_eq(platform_endpoint(p, 1, 6, s, d, sizeof s), 0);
    ck_assert_str_eq(s, "acc1");
    ck_assert_str_eq(d, "acc6");
    /* accelerator 1 (node 0) to 14 (node 3, rail 2): leaves through node 0's NIC on rail 2 */
    ck_assert_int_eq(platform_endpoint(p, 1, 14, s, d, sizeof s), 1);
    ck_assert_str_eq(s, "nic2");
    ck_assert_str_eq(d, "nic14");
    ck_assert_int_eq(platform_nic_host(p, 14, d, sizeof d), 0);
    ck_assert_str_eq(d, "nic14");
    ck_assert_int_eq(platform_supernode_of(p, 14), 1);
    ck_assert_int_eq(platform_node_of(p, 14), 3);
    platform_free(p);
    scenario_free(&sc);
}
END_TEST

/* ---- errors ---- */

typedef struct err_case {
    const char *topo;
    const char *want;
} err_case;

static const err_case ERRS[] = {
    {"topology:\n  accelerators: 72\n  planes: 18\n  link: {bandwidth: 50 GB/s, latency: 100 ns}\n"
     "  switch: {latency: 200 ns, radix: 64}\n",
     "S:22:36: error: the switch of each plane (one link to each of 72 accelerators) needs 72 ports but "
     "'topology.switch.radix' is 64"},
    {"topology:\n  accelerators: 8\n  link: {bandwidth: 50 GB/s, latency: 100 ns}\n"
     "  switch: {latency: 200 ns, radix: 64, port_bandwidth: 20 GB/s}\n",
     ""}, /* fits: 8 x 3 ports */
    {"topology:\n  kind: clos2\n  nodes: 49\n  accelerators_per_node: 8\n  planes: 7\n"
     "  link: {bandwidth: 56 GB/s, latency: 100 ns}\n  uplink: {bandwidth: 224 Gb/s, latency: 100 ns}\n"
     "  switch: {latency: 200 ns, radix: 48}\n",
     "S:25:36: error: an L2 chip (one uplink from each of 49 nodes) needs 49 ports but 'topology.switch.radix' is 48"},
    {"topology:\n  kind: clos2\n  nodes: 4\n  accelerators_per_node: 8\n"
     "  link: {bandwidth: 56 GB/s, latency: 100 ns}\n  uplink: {bandwidth: 28 GB/s, latency: 100 ns}\n"
     "  switch: {latency: 200 ns, radix: 20}\n",
     "S:24:36: error: an L1 chip (8 accelerator links and 16 uplinks) needs 24 ports but 'topology.switch.radix' "
     "is 20"},
    {"topology:\n  accelerators: 8\n  link: {bandwidth: 50 GB/s, medium: copper, length: 2 m}\n"
     "  switch: {latency: 200 ns}\n",
     "S:20:54: error: 'topology.link.length' (2 m) exceeds the reach of copper (1 m at 200 Gb/s per lane, "
     "topology.media.copper.reach): use an optical medium or a shorter cable"},
    {"topology:\n  kind: torus\n  torus: {dims: 4x4x4, wrap: ocs, cube: 2x2x2, ocs: {radix: 15}}\n"
     "  link: {bandwidth: 50 GB/s, latency: 80 ns}\n",
     "S:20:61: error: each optical circuit switch (2 ports for each of 8 cubes) needs 16 ports but "
     "'topology.torus.ocs.radix' is 15"},
    {"topology:\n  kind: torus\n  torus: {dims: 4x4x4, wrap: ocs, cube: 3x2x2}\n"
     "  link: {bandwidth: 50 GB/s, latency: 80 ns}\n",
     "S:20:41: error: 'topology.torus.cube' (3x2x2) must divide topology.torus.dims (4x4x4) in every dimension"},
    {"topology:\n  kind: torus\n  torus: {dims: \"16\"}\n  link: {bandwidth: 50 GB/s, latency: 80 ns}\n",
     "S:20:17: error: 'topology.torus.dims' must be 2 or 3 positive sizes like 16x16x16, not '16'"},
    {"topology:\n  supernodes: 2\n  accelerators: 8\n  link: {bandwidth: 50 GB/s, latency: 100 ns}\n"
     "  switch: {latency: 200 ns}\n",
     "S:19:15: error: 'topology.supernodes' is 2 but topology.scaleout.kind is none: supernodes are joined only by "
     "a scale-out network (set topology.scaleout.kind: fattree)"},
    {"topology:\n  supernodes: 20\n  accelerators: 8\n  link: {bandwidth: 50 GB/s, latency: 100 ns}\n"
     "  switch: {latency: 200 ns}\n  scaleout: {kind: fattree, link: {bandwidth: 50 GB/s, latency: 1 us},\n"
     "              switch: {radix: 8, latency: 300 ns}}\n",
     "S:24:31: error: each spine (one port to each of the 40 leaves of a rail; use topology.scaleout.tiers: 3 or a "
     "larger radix) needs 40 ports but 'topology.scaleout.switch.radix' is 8"},
    {"topology:\n  kind: fullmesh\n  fullmesh: {dims: 32x32}\n  link: {bandwidth: 50 GB/s, latency: 90 ns}\n",
     "S:20:20: error: a full mesh of 1024 accelerators is more than 512 per supernode (its SimGrid zone holds a route "
     "per pair)"},
    {"topology:\n  kind: fullmesh\n  fullmesh: {dims: 8}\n  link: {bandwidth: 50 GB/s, medium: lpo, length: 600 m}\n",
     "S:21:51: error: 'topology.link.length' (600 m) exceeds the reach of lpo (500 m at 100 Gb/s per lane, "
     "topology.media.lpo.reach)"},
};

START_TEST(test_port_and_reach_errors_name_both_numbers)
{
    const err_case *c = &ERRS[_i];
    scenario_t sc;
    char msg[2200];
    int rc = load_topo(c->topo, &sc, msg, sizeof msg);
    if (rc == 0) {
        diag_t err = {{0}};
        platform_t *p = platform_build(&sc, &err);
        const char *m = err.msg;
        if (!p && !strncmp(m, sc.source_path, strlen(sc.source_path))) {
            snprintf(msg, sizeof msg, "S%s", m + strlen(sc.source_path));
            rc = -1;
        } else if (!p) {
            snprintf(msg, sizeof msg, "%s", m);
            rc = -1;
        }
        platform_free(p);
        scenario_free(&sc);
    }
    if (!*c->want)
        ck_assert_msg(rc == 0, "case %d: unexpected error %s", _i, msg);
    else
        ck_assert_msg(rc != 0 && !strcmp(msg, c->want), "case %d:\n got: %s\nwant: %s", _i, rc ? msg : "(no error)",
                      c->want);
}
END_TEST

/* ---- the whole pipeline on a cluster: flow and analytic agree across supernodes ---- */

static double allreduce_time(const char *fid, const char *alg)
{
    char dir[] = "/tmp/check_platform_run_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512], cmd[2048];
    snprintf(path, sizeof path, "%s/c.yaml", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "%s%s", HEAD, CLUSTER2);
    fclose(f);
    const char *bin = getenv("OASTWIN");
    snprintf(cmd, sizeof cmd,
             "%s run %s -q -o %s/t.h5 --set run.fidelity=%s --set workload.algorithm=%s "
             "--set workload.gradient_bytes='256 MB' 2>%s/err",
             bin && *bin ? bin : "build/oastwin", path, dir, fid, alg, dir);
    int rc = system(cmd);
    snprintf(path, sizeof path, "%s/t.h5", dir);
    diag_t err;
    h5r_file *h = rc == 0 ? h5r_open(path, &err) : NULL;
    ck_assert_msg(h != NULL, "run failed (rc %d): %s", rc, cmd);
    h5r_figure *figs = NULL;
    size_t n = 0;
    ck_assert_int_eq(h5r_summary(h, &figs, &n, &err), 0);
    double v = NAN;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(figs[i].name, "allreduce_time_mean"))
            v = figs[i].value;
    free(figs);
    h5r_close(h);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    return v;
}

START_TEST(test_cluster_flow_matches_analytic)
{
    static const char *const ALGS[] = {"ring", "rhd"};
    double flow = allreduce_time("flow", ALGS[_i]), ana = allreduce_time("analytic", ALGS[_i]);
    ck_assert_msg(fabs(flow - ana) <= 1e-3 * flow, "%s across 3 supernodes: flow %.9g s, analytic %.9g s",
                  ALGS[_i], flow, ana);
}
END_TEST

/* `oastwin topo` on the presets prints the acceptance figures of issue 3. */
typedef struct topo_cmd_case {
    const char *preset;
    const char *want[4];
} topo_cmd_case;

static const topo_cmd_case TOPO_CMDS[] = {
    {"cloudmatrix384",
     {"384 accelerators", "scale-up switch chips    L1 336, L2 112", "scale-up optical modules 5376", "(non-blocking)"}},
    {"gb200-nvl72", {"72 accelerators", "scale-up switch chips    plane switch 18", "scale-up optical modules 0",
                     "optics power             0 W (0 modules)"}},
    {"tpu-v4-pod", {"4096 accelerators", "scale-up switch chips    OCS 48", "scale-up optical modules 6144",
                    "diameter                 24 hops"}},
};

START_TEST(test_topo_command_reports_the_presets)
{
    const topo_cmd_case *c = &TOPO_CMDS[_i];
    const char *bin = getenv("OASTWIN");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s topo %s/scenarios/presets/%s.yaml 2>&1", bin && *bin ? bin : "build/oastwin", root(),
             c->preset);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    static char out[16384];
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    ck_assert_int_eq(pclose(f), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(strstr(out, c->want[i]), "%s: '%s' not in:\n%s", c->preset, c->want[i], out);
}
END_TEST

static Suite *platform_suite(void)
{
    Suite *s = suite_create("platform");
    TCase *tc = tcase_create("counts");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_counts_match_the_design, 0, (int)(sizeof COUNTS / sizeof COUNTS[0]));
    tcase_add_test(tc, test_latency_figures_on_small_machines);
    tcase_add_test(tc, test_endpoints_cross_supernodes_through_nics);
    tcase_add_loop_test(tc, test_port_and_reach_errors_name_both_numbers, 0, (int)(sizeof ERRS / sizeof ERRS[0]));
    suite_add_tcase(s, tc);
    TCase *sg = tcase_create("simgrid");
    tcase_set_timeout(sg, 60);
    tcase_add_loop_test(sg, test_routes_agree_with_simgrid, 0, (int)(sizeof ROUTES / sizeof ROUTES[0]));
    tcase_add_loop_test(sg, test_degrade_cuts_the_right_bandwidth, 0, (int)(sizeof DEGRADES / sizeof DEGRADES[0]));
    tcase_add_loop_test(sg, test_cluster_flow_matches_analytic, 0, 2);
    tcase_add_loop_test(sg, test_topo_command_reports_the_presets, 0, (int)(sizeof TOPO_CMDS / sizeof TOPO_CMDS[0]));
    suite_add_tcase(s, sg);
    return s;
}

int main(void)
{
    char presets[4096];
    snprintf(presets, sizeof presets, "%s/scenarios/presets", root());
    setenv("OASTWIN_PRESETS", presets, 1);
    SRunner *sr = srunner_create(platform_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
