/* Check suite "storage": the max-min fluid model on hand-computed cases (caps, aggregate, clients
 * finishing at different times, work conservation), checkpoint costs on each binding limit
 * (aggregate, client, NIC, NVMe), two-stage vs synchronous stalls, capacity errors, data loading,
 * KV-cache fetches, and a whole run in which doubling the PFS bandwidth halves the checkpoint
 * stall's write part and the job's time in checkpoints, exactly as the model says. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/mailbox.h>

#include "engine.h"
#include "h5read.h"
#include "storage/storage.h"

#define INF INFINITY

typedef struct fluid_case {
    const char *what;
    size_t n;
    double bytes[4], caps[4], agg, want_end[4];
} fluid_case;

static const fluid_case FLUID[] = {
    {"equal clients, aggregate-bound", 4, {8, 8, 8, 8}, {INF, INF, INF, INF}, 4, {8, 8, 8, 8}},
    {"equal clients, client-bound", 4, {8, 8, 8, 8}, {1, 1, 1, 1}, 100, {8, 8, 8, 8}},
    /* caps 1, inf, inf share 3: all at 1; client 0 ends at 1, then the others get 1.5 each */
    {"a capped client leaves the rest to the others", 3, {1, 4, 4}, {1, INF, INF}, 3, {1, 3, 3}},
    /* client 0 capped at 0.5, client 1 takes 1.5 and ends at 2/3; client 0 stays at its cap */
    {"the uncapped one finishes first", 2, {1, 1}, {0.5, INF}, 2, {2, 2.0 / 3.0}},
    /* unequal sizes, equal shares: 1 each until the small one ends at 2, then the whole 2 for the
     * big one's last 6 */
    {"a small transfer speeds the big one up when it ends", 2, {2, 8}, {3, 3}, 2, {2, 5}},
    {"no aggregate limit", 2, {3, 6}, {1.5, 2}, 0, {2, 3}},
};
#define NFLUID (int)(sizeof FLUID / sizeof FLUID[0])

START_TEST(test_fluid_matches_hand_computed_cases)
{
    const fluid_case *c = &FLUID[_i];
    double end[4];
    double t = storage_fluid_s(c->bytes, c->n, c->caps, 0, c->agg, end);
    double want = 0;
    for (size_t i = 0; i < c->n; i++) {
        ck_assert_msg(fabs(end[i] - c->want_end[i]) < 1e-12, "%s: client %zu ends at %.15g s, want %.15g s", c->what,
                      i, end[i], c->want_end[i]);
        want = fmax(want, c->want_end[i]);
    }
    ck_assert_msg(fabs(t - want) < 1e-12, "%s: makespan %.15g s, want %.15g s", c->what, t, want);
}
END_TEST

START_TEST(test_fluid_conserves_work_when_the_aggregate_binds)
{
    /* uncapped clients with any sizes: the pool is never idle, so the makespan is total / agg */
    double bytes[6] = {1, 7, 3, 3, 11, 0.5}, cap = INF, total = 0;
    for (int i = 0; i < 6; i++)
        total += bytes[i];
    double t = storage_fluid_s(bytes, 6, &cap, 1, 5.0, NULL);
    ck_assert_msg(fabs(t - total / 5.0) < 1e-12, "makespan %.15g s, total / aggregate %.15g s", t, total / 5.0);
    double none = 0;
    ck_assert_double_eq(storage_fluid_s(&none, 1, &cap, 1, 5.0, NULL), 0);
    double zero_cap = 0, one = 1;
    ck_assert_double_eq(storage_fluid_s(&one, 1, &zero_cap, 1, 5.0, NULL), -1);
}
END_TEST

/* A DGX-like storage spec: 63 GB/s copy, 1 TB host, NVMe 30/56 GB/s 30 TB, PFS 2 TB/s. */
static storage_spec spec(void)
{
    storage_spec s;
    memset(&s, 0, sizeof s);
    s.host.copy_bw_Bps = 63e9;
    s.host.capacity_B = 1e12;
    s.nvme.write_bw_Bps = 30e9;
    s.nvme.read_bw_Bps = 56e9;
    s.nvme.capacity_B = 30e12;
    s.pfs.write_bw_Bps = 2e12;
    s.pfs.read_bw_Bps = 4e12;
    s.pfs.network = ST_NET_DEDICATED;
    s.pfs.nic_bw_Bps = 100e9;
    s.ckpt.mode = ST_CKPT_SYNC;
    s.ckpt.tier = ST_TIER_PFS;
    s.ckpt.pfs_every = 1;
    s.data.bytes_per_token = 4;
    return s;
}

typedef struct ck_case {
    const char *what;
    int64_t nodes;
    double pfs_write, client, nic, size;
    const char *bound;
    double node_Bps;
} ck_case;

static const ck_case CK[] = {
    /* 2,048 nodes share 2 TB/s: ~0.98 GB/s each, far below the NIC */
    {"aggregate", 2048, 2e12, 0, 100e9, 6.5e12, "aggregate", 2e12 / 2048},
    /* 8 nodes: 250 GB/s share, the 100 GB/s NIC binds */
    {"nic", 8, 2e12, 0, 100e9, 1e12, "nic", 100e9},
    /* a client cap below both */
    {"client", 8, 2e12, 20e9, 100e9, 1e12, "client", 20e9},
};

START_TEST(test_checkpoint_write_runs_at_the_binding_limit)
{
    const ck_case *c = &CK[_i];
    storage_spec s = spec();
    s.pfs.write_bw_Bps = c->pfs_write;
    s.pfs.client_bw_Bps = c->client;
    s.pfs.nic_bw_Bps = c->nic;
    st_job j = {c->nodes, 8, 0};
    st_ckpt_cost k;
    diag_t err;
    ck_assert_int_eq(storage_checkpoint_cost(&s, &j, c->size, &k, &err), 0);
    ck_assert_str_eq(k.write_bound, c->bound);
    ck_assert_msg(fabs(k.write_Bps - c->node_Bps) < 1e-6 * c->node_Bps, "%s: %.9g B/s per node, want %.9g", c->what,
                  k.write_Bps, c->node_Bps);
    double node_B = c->size / (double)c->nodes, accel_B = node_B / 8;
    ck_assert_msg(fabs(k.write_s - node_B / c->node_Bps) < 1e-9 * k.write_s, "%s: write %.12g s, want %.12g s",
                  c->what, k.write_s, node_B / c->node_Bps);
    ck_assert_msg(fabs(k.copy_s - accel_B / 63e9) < 1e-12, "%s: copy %.12g s", c->what, k.copy_s);
    ck_assert_msg(fabs(k.stall_s - (k.copy_s + k.write_s)) < 1e-12, "%s: a sync stall is copy + write", c->what);
    ck_assert_double_eq(k.background_s, 0);
    /* restore reads the shard back at the read rate and copies it in */
    double rd = fmin(c->client > 0 ? c->client : INF, fmin(c->nic, 4e12 / (double)c->nodes));
    ck_assert_msg(fabs(k.restore_s - (node_B / rd + k.copy_s)) < 1e-9 * k.restore_s, "%s: restore %.12g s",
                  c->what, k.restore_s);
}
END_TEST

START_TEST(test_doubling_the_pfs_halves_the_write_only_where_it_binds)
{
    st_job j = {2048, 8, 0};
    double size = 6.5e12;
    st_ckpt_cost a, b;
    diag_t err;
    for (int bound_by_nic = 0; bound_by_nic < 2; bound_by_nic++) {
        storage_spec s = spec();
        if (bound_by_nic)
            s.pfs.nic_bw_Bps = 0.5e9; /* below the 0.98 GB/s share */
        ck_assert_int_eq(storage_checkpoint_cost(&s, &j, size, &a, &err), 0);
        s.pfs.write_bw_Bps *= 2;
        ck_assert_int_eq(storage_checkpoint_cost(&s, &j, size, &b, &err), 0);
        double ratio = b.write_s / a.write_s;
        double want = bound_by_nic ? 1.0 : 0.5;
        ck_assert_msg(fabs(ratio - want) < 1e-12, "%s-bound: write %.9g s -> %.9g s (ratio %.12g, want %g)",
                      bound_by_nic ? "NIC" : "aggregate", a.write_s, b.write_s, ratio, want);
    }
}
END_TEST

START_TEST(test_two_stage_stalls_only_for_the_copy)
{
    storage_spec s = spec();
    s.ckpt.mode = ST_CKPT_TWO_STAGE;
    st_job j = {2048, 8, 0};
    st_ckpt_cost k;
    diag_t err;
    ck_assert_int_eq(storage_checkpoint_cost(&s, &j, 6.5e12, &k, &err), 0);
    ck_assert_double_eq(k.stall_s, k.copy_s);
    ck_assert_double_eq(k.background_s, k.write_s);
    ck_assert_msg(k.write_s > 100 * k.copy_s, "copy %.6g s, write %.6g s", k.copy_s, k.write_s);
    /* a shard larger than the host memory left for checkpoints is refused */
    s.host.capacity_B = 1e9;
    ck_assert_int_eq(storage_checkpoint_cost(&s, &j, 6.5e12, &k, &err), -1);
    ck_assert_str_eq(err.msg, "a node's checkpoint shard (3.17383 GB) does not fit in the host memory left for "
                              "checkpoints (storage.host.capacity = 1 GB) needed by a two-stage checkpoint");
}
END_TEST

START_TEST(test_nvme_tier_writes_locally_and_copies_to_the_pfs)
{
    storage_spec s = spec();
    s.ckpt.tier = ST_TIER_NVME;
    st_job j = {256, 8, 0};
    double size = 2e12, node_B = size / 256;
    st_ckpt_cost k;
    diag_t err;
    ck_assert_int_eq(storage_checkpoint_cost(&s, &j, size, &k, &err), 0);
    ck_assert_str_eq(k.write_bound, "nvme");
    ck_assert_msg(fabs(k.write_s - node_B / 30e9) < 1e-12, "write %.12g s", k.write_s);
    ck_assert_msg(fabs(k.restore_s - (node_B / 56e9 + k.copy_s)) < 1e-12, "restore %.12g s", k.restore_s);
    /* the PFS copy: 256 nodes share 2 TB/s = 7.8 GB/s each */
    ck_assert_msg(fabs(k.pfs_copy_s - node_B / (2e12 / 256)) < 1e-9, "PFS copy %.12g s", k.pfs_copy_s);
    ck_assert_msg(fabs(k.restore_pfs_s - (node_B / (4e12 / 256) + k.copy_s)) < 1e-9, "PFS restore %.12g s",
                  k.restore_pfs_s);
    s.nvme.capacity_B = node_B; /* the previous checkpoint must stay while the next is written */
    ck_assert_int_eq(storage_checkpoint_cost(&s, &j, size, &k, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "storage.nvme.capacity"));
}
END_TEST

START_TEST(test_data_and_kv_reads)
{
    storage_spec s = spec();
    st_job j = {2048, 8, 0};
    /* 16 M tokens x 4 B over 2,048 nodes at 4 TB/s / 2,048 each */
    double t = storage_data_read_s(&s, &j, 16777216.0);
    ck_assert_msg(fabs(t - 16777216.0 * 4 / 4e12) < 1e-15, "data read %.12g s", t);
    ck_assert_double_eq(storage_kv_fetch_s(&s, 1e9), 0); /* no tier */
    s.kv.tier = ST_KV_DRAM;
    s.kv.bw_Bps = 50e9;
    s.kv.latency_s = 1e-5;
    ck_assert_double_eq_tol(storage_kv_fetch_s(&s, 1e9), 1e-5 + 0.02, 1e-15);
}
END_TEST

/* ---- a whole run ---- */

static double figure(h5r_figure *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].name, name))
            return f[i].value;
    ck_abort_msg("no summary figure %s", name);
    return NAN;
}

/* Runs resilience-small.yaml with SETS into DIR/NAME.h5 and returns its summary. */
static h5r_figure *run(const char *dir, const char *name, const char *sets, size_t *n)
{
    const char *bin = getenv("OASTWIN"), *root = getenv("OASTWIN_ROOT");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s run %s/scenarios/tests/resilience-small.yaml -q -o %s/%s.h5 %s 2>%s/err",
             bin && *bin ? bin : "build/oastwin", root && *root ? root : ".", dir, name, sets, dir);
    ck_assert_msg(system(cmd) == 0, "run failed: %s", cmd);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.h5", dir, name);
    diag_t err;
    h5r_file *f = h5r_open(path, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    h5r_figure *figs = NULL;
    ck_assert_int_eq(h5r_summary(f, &figs, n, &err), 0);
    h5r_close(f);
    return figs;
}

START_TEST(test_run_doubling_pfs_bandwidth_shortens_checkpoint_stalls_as_modelled)
{
    char dir[] = "/tmp/check_storage_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* fixed interval, so both runs take the same checkpoints until failures differ */
    const char *common = "--set resilience.checkpoint.policy=interval --set resilience.checkpoint.interval=5min";
    char sets[512];
    size_t na, nb;
    snprintf(sets, sizeof sets, "%s --set storage.pfs.write_bandwidth='50 GB/s'", common);
    h5r_figure *a = run(dir, "a", sets, &na);
    snprintf(sets, sizeof sets, "%s --set storage.pfs.write_bandwidth='100 GB/s'", common);
    h5r_figure *b = run(dir, "b", sets, &nb);
    /* 1.318 billion parameters x 16 B over 2 nodes; each node gets half the aggregate (below its
     * 100 GB/s NIC in both runs) */
    double size = figure(a, na, "checkpoint_size"), node_B = size / 2;
    double copy = figure(a, na, "checkpoint_copy");
    double wa = figure(a, na, "checkpoint_write"), wb = figure(b, nb, "checkpoint_write");
    ck_assert_msg(fabs(wa - node_B / 25e9) < 1e-9 * wa, "write at 50 GB/s: %.12g s, model %.12g s", wa, node_B / 25e9);
    ck_assert_msg(fabs(wb - wa / 2) < 1e-9 * wa, "write at 100 GB/s: %.12g s, half of %.12g s", wb, wa);
    double sa = figure(a, na, "checkpoint_stall"), sb = figure(b, nb, "checkpoint_stall");
    ck_assert_msg(fabs(sa - (copy + wa)) < 1e-12 && fabs(sb - (copy + wb)) < 1e-12, "stalls %.12g s and %.12g s", sa,
                  sb);
    /* the job's time in checkpoints is checkpoints x stall in each run */
    double ta = figure(a, na, "checkpoint_time_total"), tb = figure(b, nb, "checkpoint_time_total");
    double ca = figure(a, na, "checkpoints"), cb = figure(b, nb, "checkpoints");
    ck_assert_msg(fabs(ta - ca * sa) < 1e-6 * ta, "time in checkpoints %.9g s, %g x %.9g s", ta, ca, sa);
    ck_assert_msg(fabs(tb - cb * sb) < 1e-6 * tb, "time in checkpoints %.9g s, %g x %.9g s", tb, cb, sb);
    ck_assert_msg(tb < ta, "doubling the PFS bandwidth did not shorten the time in checkpoints (%.6g s vs %.6g s)",
                  tb, ta);
    free(a);
    free(b);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST


/* ---- the fluid model against SimGrid's flow model ---- */

/* The cases of FLUID with finite caps and aggregate, run as SimGrid flows: client i behind its own
 * link (bandwidth = its cap) through one shared link (the aggregate) to a PFS host, zero
 * latency, SimGrid configured by the engine's own initialisation. */
static double SG_END[4];
static double SG_BYTES[4];

static void sg_client(int argc, char **argv)
{
    (void)argc;
    int i = atoi(argv[1]);
    char name[16];
    snprintf(name, sizeof name, "pfs%d", i);
    static char payload[4];
    sg_mailbox_put(sg_mailbox_by_name(name), &payload[i], SG_BYTES[i]);
    SG_END[i] = simgrid_get_clock();
}

static void sg_server(int argc, char **argv)
{
    (void)argc;
    char name[16];
    snprintf(name, sizeof name, "pfs%s", argv[1]);
    sg_mailbox_get(sg_mailbox_by_name(name));
}

START_TEST(test_fluid_model_is_what_simgrid_computes)
{
    /* bytes in GB, rates in GB/s: scaled by 1e9 for SimGrid */
    static const struct {
        size_t n;
        double bytes[4], caps[4], agg;
    } C[] = {
        {4, {8, 8, 8, 8}, {10, 10, 10, 10}, 4},
        {3, {1, 4, 4}, {1, 10, 10}, 3},
        {2, {1, 1}, {0.5, 10}, 2},
        {2, {2, 8}, {3, 3}, 2},
        {4, {1, 2, 3, 4}, {1, 0.5, 2, 2}, 3},
    };
    size_t k = (size_t)_i;
    char path[] = "/tmp/check_storage_sg_XXXXXX.xml";
    int fd = mkstemps(path, 4);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
               "<platform version=\"4.1\">\n<zone id=\"z\" routing=\"Full\">\n  <host id=\"pfs\" speed=\"1Gf\"/>\n"
               "  <link id=\"agg\" bandwidth=\"%.17gBps\" latency=\"0s\"/>\n",
            C[k].agg * 1e9);
    for (size_t i = 0; i < C[k].n; i++)
        fprintf(f, "  <host id=\"c%zu\" speed=\"1Gf\"/>\n  <link id=\"l%zu\" bandwidth=\"%.17gBps\" latency=\"0s\"/>\n",
                i, i, C[k].caps[i] * 1e9);
    for (size_t i = 0; i < C[k].n; i++)
        fprintf(f, "  <route src=\"c%zu\" dst=\"pfs\"><link_ctn id=\"l%zu\"/><link_ctn id=\"agg\"/></route>\n", i, i);
    fprintf(f, "</zone>\n</platform>\n");
    fclose(f);
    engine_init_simgrid();
    simgrid_load_platform(path);
    unlink(path);
    for (size_t i = 0; i < C[k].n; i++) {
        SG_BYTES[i] = C[k].bytes[i] * 1e9;
        char idx[24], host[24];
        snprintf(idx, sizeof idx, "%zu", i);
        snprintf(host, sizeof host, "c%zu", i);
        const char *ca[] = {"client", idx, NULL}, *sa[] = {"server", idx, NULL};
        sg_actor_create("client", sg_host_by_name(host), sg_client, 2, (char **)ca);
        sg_actor_create("server", sg_host_by_name("pfs"), sg_server, 2, (char **)sa);
    }
    simgrid_run();
    double end[4];
    storage_fluid_s(C[k].bytes, C[k].n, C[k].caps, 0, C[k].agg, end);
    for (size_t i = 0; i < C[k].n; i++)
        ck_assert_msg(fabs(SG_END[i] - end[i]) <= 1e-9 * end[i], "case %zu client %zu: SimGrid %.15g s, fluid %.15g s",
                      k, i, SG_END[i], end[i]);
}
END_TEST

static Suite *storage_suite(void)
{
    Suite *s = suite_create("storage");
    TCase *tc = tcase_create("model");
    tcase_add_loop_test(tc, test_fluid_matches_hand_computed_cases, 0, NFLUID);
    tcase_add_test(tc, test_fluid_conserves_work_when_the_aggregate_binds);
    tcase_add_loop_test(tc, test_checkpoint_write_runs_at_the_binding_limit, 0, (int)(sizeof CK / sizeof CK[0]));
    tcase_add_test(tc, test_doubling_the_pfs_halves_the_write_only_where_it_binds);
    tcase_add_test(tc, test_two_stage_stalls_only_for_the_copy);
    tcase_add_test(tc, test_nvme_tier_writes_locally_and_copies_to_the_pfs);
    tcase_add_test(tc, test_data_and_kv_reads);
    suite_add_tcase(s, tc);
    TCase *tr = tcase_create("run");
    tcase_set_timeout(tr, 60);
    tcase_add_test(tr, test_run_doubling_pfs_bandwidth_shortens_checkpoint_stalls_as_modelled);
    tcase_add_loop_test(tr, test_fluid_model_is_what_simgrid_computes, 0, 5);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(storage_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
