/* Tests of the OAS scorecard (sim/scorecard*.c): the metric table, link lists, value printing,
 * design checks, the layout rules, the failed-component choice, and the whole battery on
 * scenarios/tests/scorecard-tiny.yaml, whose figures follow by hand from its numbers (4 planes x
 * 100 GB/s, 320 ns routes, 64 optical modules of 10 W). The battery runs once, in a fixture, as
 * child processes of $OASTWIN; the tests then read its traces. tests/scenario_tests.sh checks the
 * command line and that two runs give byte-identical cards. */
#include "scorecard.h"

#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5read.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static char root[1024];     /* repository */
static char workdir[256];   /* temporary directory of this suite */

static void find_root(void)
{
    const char *r = getenv("OASTWIN_ROOT");
    snprintf(root, sizeof root, "%s", r && *r ? r : ".");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

/* ---- the metric table ---- */

START_TEST(metric_table_is_complete_and_unique)
{
    size_t ncat;
    const char *const *cats = sc_categories(&ncat);
    ck_assert_msg(sc_nmetrics() == 63, "battery 1 has 63 metrics, got %zu", sc_nmetrics());
    size_t per_cat[8] = {0};
    for (size_t i = 0; i < sc_nmetrics(); i++) {
        const sc_metric *m = sc_metric_at(i);
        size_t c = 0;
        while (c < ncat && strcmp(cats[c], m->category))
            c++;
        ck_assert_msg(c < ncat, "%s: unknown category %s", m->name, m->category);
        per_cat[c]++;
        ck_assert_msg(m->unit && *m->unit, "%s has no unit", m->name);
        ck_assert_msg(m->dir == SC_HIGHER || m->dir == SC_LOWER, "%s has no direction", m->name);
        ck_assert_msg(m->doc && strlen(m->doc) > 20, "%s has no meaning", m->name);
        ck_assert_msg(sc_metric_index(m->name) == (long)i, "%s is not unique", m->name);
    }
    static const size_t want[5] = {27, 6, 10, 9, 11};
    for (size_t c = 0; c < ncat; c++)
        ck_assert_msg(per_cat[c] == want[c], "%s: %zu metrics, want %zu", cats[c], per_cat[c], want[c]);
    ck_assert_msg(sc_metric_index("no_such_metric") == -1, "unknown metric found");
}
END_TEST

/* ---- link lists ---- */

static const struct {
    int64_t ids[8];
    size_t n;
    const char *text;
} LISTS[] = {
    {{0}, 1, "0"},
    {{0, 1, 2, 5, 7, 8}, 6, "0-2,5,7-8"},
    {{3, 9, 2688}, 3, "3,9,2688"},
    {{10, 11, 12, 13, 14, 15, 16, 17}, 8, "10-17"},
};

START_TEST(link_lists_round_trip)
{
    char *t = sc_links_format(LISTS[_i].ids, LISTS[_i].n);
    ck_assert_msg(t && !strcmp(t, LISTS[_i].text), "format: got '%s', want '%s'", t, LISTS[_i].text);
    int64_t *ids = NULL;
    size_t n = 0;
    diag_t err = {{0}};
    ck_assert_msg(sc_links_parse(t, &ids, &n, &err) == 0, "parse '%s': %s", t, err.msg);
    ck_assert_msg(n == LISTS[_i].n, "'%s': %zu ids, want %zu", t, n, LISTS[_i].n);
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(ids[k] == LISTS[_i].ids[k], "'%s': id %zu is %lld, want %lld", t, k, (long long)ids[k],
                      (long long)LISTS[_i].ids[k]);
    free(ids);
    free(t);
}
END_TEST

static const char *const BAD_LISTS[] = {"", "a", "3,", "1-", "5-3", "-2", "1,,2", "1 2", "1-2-3"};

START_TEST(bad_link_lists_are_refused)
{
    int64_t *ids = NULL;
    size_t n = 0;
    diag_t err = {{0}};
    int rc = sc_links_parse(BAD_LISTS[_i], &ids, &n, &err);
    if (!*BAD_LISTS[_i]) { /* empty: no links, not an error */
        ck_assert_msg(rc == 0 && n == 0, "'' should parse to no links");
        return;
    }
    ck_assert_msg(rc == -1, "'%s' was accepted", BAD_LISTS[_i]);
    ck_assert_msg(strstr(err.msg, "bad link list"), "'%s': message '%s'", BAD_LISTS[_i], err.msg);
    ck_assert_msg(ids == NULL && n == 0, "'%s' left ids behind", BAD_LISTS[_i]);
}
END_TEST

/* ---- values for people ---- */

static const struct {
    double v;
    const char *unit, *want;
} VALUES[] = {
    {3.92e11, "B/s", "392 GB/s"}, {1.09021e-6, "s", "1.09 us"}, {320e-9, "s", "320 ns"},
    {1267.3, "W", "1.267 kW"},    {0.5706, "J", "570.6 mJ"},    {0.25, "1", "0.25"},
    {5376, "1", "5376"},          {1.3333, "1/d", "1.333 1/d"}, {0, "B/s", "0 B/s"},
    {NAN, "s", "n/a"},            {INFINITY, "W", "n/a"},       {2.5e15, "B/s", "2.5 PB/s"},
};

START_TEST(values_print_with_si_prefixes)
{
    char buf[64];
    sc_value_text(VALUES[_i].v, VALUES[_i].unit, buf, sizeof buf);
    ck_assert_msg(!strcmp(buf, VALUES[_i].want), "%g %s: got '%s', want '%s'", VALUES[_i].v, VALUES[_i].unit, buf,
                  VALUES[_i].want);
}
END_TEST

/* ---- designs ---- */

START_TEST(design_with_a_workload_is_refused_at_its_key)
{
    char path[512];
    snprintf(path, sizeof path, "%s/with-workload.yaml", workdir);
    write_file(path, "schema_version: 1\nname: w\nhardware: {accelerator: {peak_flops: 1 TFLOPS}}\n"
                     "topology: {kind: switched, accelerators: 4}\n"
                     "workload:\n  kind: dp_allreduce\n");
    sc_design d;
    diag_t err = {{0}};
    ck_assert_msg(sc_design_load(path, &d, &err) == -1, "a design with a workload was accepted");
    char want[640];
    snprintf(want, sizeof want, "%s:5:1: error: a design holds hardware, topology, power, cooling and storage only; "
                                "'workload' is supplied",
             path);
    ck_assert_msg(!strncmp(err.msg, want, strlen(want)), "got '%s'", err.msg);
}
END_TEST

/* A 2x2x4 torus of two 2x2x2 cubes joined through OCS: a failed circuit cuts its routes. */
START_TEST(torus_component_failures_are_cut)
{
    char path[512];
    snprintf(path, sizeof path, "%s/torus.yaml", workdir);
    write_file(path, "schema_version: 1\nname: torus-cut\n"
                     "hardware: {accelerator: {peak_flops: 100 TFLOPS, hbm_capacity: 32 GiB, hbm_bandwidth: 1 TB/s,\n"
                     "                        idle_power: 40 W, max_power: 200 W}}\n"
                     "topology:\n  kind: torus\n  accelerators_per_node: 4\n"
                     "  torus: {dims: 2x2x4, wrap: ocs, cube: 2x2x2, ocs_link: {medium: optical, length: 10 m}}\n"
                     "  link: {bandwidth: 50 GB/s, medium: copper, length: 1 m}\n");
    sc_design d;
    diag_t err = {{0}};
    ck_assert_msg(sc_design_load(path, &d, &err) == 0, "load: %s", err.msg);
    d.runs_dir = strdup(workdir);
    ck_assert_msg(sc_topology_prepare(&d, &err) == 0, "topology: %s", err.msg);
    ck_assert_msg(d.down[SC_COMP_OPTICAL].applies && d.down[SC_COMP_OPTICAL].cut,
                  "an OCS circuit should apply and cut (%s)", d.down[SC_COMP_OPTICAL].what);
    ck_assert_msg(d.down[SC_COMP_SWITCH].applies && d.down[SC_COMP_SWITCH].cut, "an OCS should apply and cut (%s)",
                  d.down[SC_COMP_SWITCH].what);
    ck_assert_msg(!d.down[SC_COMP_PLANE].applies, "a torus has no plane to lose (%s)", d.down[SC_COMP_PLANE].what);
    sc_design_free(&d);
}
END_TEST

/* 70B on 8 accelerators of 80 GB: TP8 leaves no pipeline depth to try and the state does not fit. */
START_TEST(a_layout_that_does_not_fit_says_why)
{
    char path[512], src[1200];
    snprintf(src, sizeof src, "%s/scenarios/tests/scorecard-tiny.yaml", root);
    snprintf(path, sizeof path, "%s/small-hbm.yaml", workdir);
    FILE *in = fopen(src, "r");
    ck_assert_msg(in != NULL, "cannot read %s", src);
    char text[8192];
    size_t len = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[len] = '\0';
    char *h = strstr(text, "hbm_capacity: 4 TB");
    ck_assert_msg(h != NULL, "tiny design changed: no 'hbm_capacity: 4 TB'");
    memcpy(h, "hbm_capacity: 80GB", 18);
    write_file(path, text);
    sc_design d;
    diag_t err = {{0}};
    ck_assert_msg(sc_design_load(path, &d, &err) == 0, "load: %s", err.msg);
    sc_train_layout l;
    ck_assert_msg(sc_train_layout_choose(&d, false, &l, &err) == 0, "rule: %s", err.msg);
    ck_assert_msg(!l.ok, "70B fitted on 8 x 80 GB: %s", l.text);
    ck_assert_msg(!strncmp(l.text, "no layout fits: ", 16) && strstr(l.text, "HBM"), "reason: '%s'", l.text);
    sc_design_free(&d);
}
END_TEST

/* ---- the battery on the tiny design ---- */

static sc_design tiny;
static int tiny_rc = -2;
static char tiny_err[4096];

static void run_tiny(void)
{
    find_root();
    char design[1200], azure[1200];
    snprintf(design, sizeof design, "%s/scenarios/tests/scorecard-tiny.yaml", root);
    snprintf(azure, sizeof azure, "%s/../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv", root);
    const char *exe = getenv("OASTWIN");
    char runs[400];
    snprintf(runs, sizeof runs, "%s/cards.runs", workdir);
    diag_t err = {{0}};
    if (!exe || access(exe, X_OK)) {
        snprintf(tiny_err, sizeof tiny_err, "$OASTWIN is not set to the oastwin binary (make check sets it)");
        return;
    }
    if (access(azure, R_OK)) {
        snprintf(tiny_err, sizeof tiny_err, "the battery needs the Azure trace at %s", azure);
        return;
    }
    if (sc_design_load(design, &tiny, &err)) {
        snprintf(tiny_err, sizeof tiny_err, "%s", err.msg);
        return;
    }
    sc_opts o = {exe, azure, runs, 2, true};
    tiny_rc = sc_rate(&tiny, 1, &o, &err);
    if (tiny_rc < 0)
        snprintf(tiny_err, sizeof tiny_err, "%s", err.msg);
    for (size_t r = 0; tiny_rc > 0 && r < SC_RUN__COUNT; r++) /* name the failed runs */
        if (tiny.runs[r].status == SC_ST_FAILED) {
            size_t l = strlen(tiny_err);
            snprintf(tiny_err + l, sizeof tiny_err - l, "%s: %.300s; ", sc_run_name((sc_run_id)r), tiny.runs[r].note);
        }
}

static void setup_dir(void)
{
    snprintf(workdir, sizeof workdir, "/tmp/check_scorecard.XXXXXX");
    if (!mkdtemp(workdir))
        workdir[0] = '\0';
    find_root();
}

static void teardown_dir(void)
{
    if (workdir[0] && strstr(workdir, "/tmp/check_scorecard.")) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", workdir);
        if (system(cmd) != 0)
            fprintf(stderr, "check_scorecard: could not remove %s\n", workdir);
    }
}

static void setup_tiny(void)
{
    setup_dir();
    run_tiny();
}

static void teardown_tiny(void)
{
    if (tiny.value)
        sc_design_free(&tiny);
    teardown_dir();
}

static double val(const char *metric)
{
    long i = sc_metric_index(metric);
    ck_assert_msg(i >= 0, "no metric %s", metric);
    return tiny.value[i];
}

/* A figure of sub-run R's trace. */
static double trace_fig(sc_run_id r, const char *name)
{
    diag_t err = {{0}};
    h5r_file *f = h5r_open(tiny.runs[r].trace, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    h5r_figure *figs = NULL;
    size_t n = 0;
    ck_assert_msg(h5r_summary(f, &figs, &n, &err) == 0, "%s", err.msg);
    double v = NAN;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(figs[i].name, name))
            v = figs[i].value;
    free(figs);
    h5r_close(f);
    ck_assert_msg(!isnan(v), "%s has no figure %s", tiny.runs[r].trace, name);
    return v;
}

#define CLOSE(got, want, rel, what)                                                                                  \
    ck_assert_msg(fabs((got) - (want)) <= (rel) * fabs(want), "%s: got %.9g, want %.9g (within %g)", what,           \
                  (double)(got), (double)(want), (double)(rel))

START_TEST(every_sub_run_completes)
{
    ck_assert_msg(tiny_rc == 0, "battery: %d: %s", tiny_rc, tiny_err);
    for (size_t r = 0; r < SC_RUN__COUNT; r++)
        ck_assert_msg(tiny.runs[r].status == SC_ST_OK, "%s: %s (%s)", sc_run_name((sc_run_id)r),
                      sc_run_status_name(tiny.runs[r].status), tiny.runs[r].note);
    for (size_t m = 0; m < sc_nmetrics(); m++)
        ck_assert_msg(isfinite(tiny.value[m]), "%s was not measured", sc_metric_at(m)->name);
}
END_TEST

static const char *const OPS[] = {"allreduce", "allgather", "reducescatter", "alltoall"};

/* Large collectives run at 4 planes x 100 GB/s; the latency terms (at most 2(p-1) x 320 ns)
 * are below 0.1% of a 1 GiB transfer. Smaller sizes pay more latency, never more bandwidth. */
START_TEST(bus_bandwidth_is_planes_times_link)
{
    ck_assert_msg(tiny_rc == 0, "battery: %s", tiny_err);
    for (size_t s = 0; s < 2; s++) {
        const char *scope = s ? "node" : "supernode";
        char name[96];
        snprintf(name, sizeof name, "busbw_%s_1GiB_%s", OPS[_i], scope);
        CLOSE(val(name), 400e9, 0.002, name);
        snprintf(name, sizeof name, "busbw_%s_64MiB_%s", OPS[_i], scope);
        double mid = val(name);
        snprintf(name, sizeof name, "busbw_%s_1MiB_%s", OPS[_i], scope);
        double small = val(name);
        ck_assert_msg(small > 0 && small < mid && mid <= 400e9 * (1 + 1e-9), "%s %s: 1 MiB %g, 64 MiB %g B/s", OPS[_i],
                      scope, small, mid);
    }
}
END_TEST

START_TEST(latency_and_bisection_follow_from_the_links)
{
    ck_assert_msg(tiny_rc == 0, "battery: %s", tiny_err);
    /* 2 x (50 ns LPO + 2 m x 5 ns/m) + 200 ns switch, the same for every pair */
    CLOSE(val("p2p_latency_mean"), 320e-9, 1e-9, "mean latency");
    CLOSE(val("p2p_latency_max"), 320e-9, 1e-9, "worst latency");
    /* 4 accelerators x 400 GB/s across the cut, over 8 accelerators */
    CLOSE(val("bisection_bw_per_accelerator"), 200e9, 1e-12, "bisection per accelerator");
}
END_TEST

START_TEST(optics_count_and_power_share)
{
    ck_assert_msg(tiny_rc == 0, "battery: %s", tiny_err);
    ck_assert_msg(val("optical_modules") == 64, "32 links x 2 ends = 64 modules, got %g", val("optical_modules"));
    ck_assert_msg(val("optical_modules_per_accelerator") == 8, "8 per accelerator, got %g",
                  val("optical_modules_per_accelerator"));
    double it = trace_fig(SC_RUN_TRAIN_DENSE, "it_power_mean");
    CLOSE(val("optics_power_share"), 640.0 / it, 1e-12, "64 x 10 W / mean IT power");
}
END_TEST

/* A failed link, plane switch or plane leaves the ring's slowest bundle at 3 of 4 planes. */
START_TEST(failed_components_lose_a_quarter)
{
    ck_assert_msg(tiny_rc == 0, "battery: %s", tiny_err);
    double it[SC_COMP__COUNT];
    for (size_t c = 0; c < SC_COMP__COUNT; c++) {
        char name[96];
        snprintf(name, sizeof name, "allreduce_busbw_loss_%s", sc_comp_name((sc_comp)c));
        CLOSE(val(name), 0.25, 0.01, name);
        snprintf(name, sizeof name, "alltoall_busbw_loss_%s", sc_comp_name((sc_comp)c));
        CLOSE(val(name), 0.25, 0.01, name);
        snprintf(name, sizeof name, "iteration_time_loss_%s", sc_comp_name((sc_comp)c));
        it[c] = val(name);
        ck_assert_msg(it[c] > 0 && it[c] <= 1.0 / 3, "%s = %g: communication slows by at most 4/3", name, it[c]);
    }
    /* the bandwidth-bound part is the same; latency-bound steps may route a little differently */
    CLOSE(it[SC_COMP_SWITCH], it[SC_COMP_OPTICAL], 1e-4, "switch vs one link (same slowest bundle)");
    CLOSE(it[SC_COMP_PLANE], it[SC_COMP_OPTICAL], 1e-4, "plane vs one link (same slowest bundle)");
}
END_TEST

START_TEST(components_are_the_documented_ones)
{
    ck_assert_msg(tiny_rc == 0, "battery: %s", tiny_err);
    const sc_down *o = &tiny.down[SC_COMP_OPTICAL], *s = &tiny.down[SC_COMP_SWITCH], *p = &tiny.down[SC_COMP_PLANE];
    ck_assert_msg(o->applies && !o->cut && o->nlinks == 1 && o->links[0] == 0, "optical: %s", o->what);
    ck_assert_msg(s->applies && !s->cut && s->nlinks == 8 && strstr(s->what, "sn0_plane0"), "switch: %s", s->what);
    ck_assert_msg(p->applies && !p->cut && p->nlinks == 8, "plane: %s", p->what);
    for (size_t k = 0; k < 8; k++) /* plane 0: link 4a of accelerator a */
        ck_assert_msg(p->links[k] == (int64_t)(4 * k) && s->links[k] == (int64_t)(4 * k), "link %zu: %lld / %lld", k,
                      (long long)p->links[k], (long long)s->links[k]);
}
END_TEST

START_TEST(layouts_follow_the_rule)
{
    ck_assert_msg(tiny_rc == 0, "battery: %s", tiny_err);
    const sc_train_layout *d = &tiny.dense, *m = &tiny.moe;
    ck_assert_msg(d->ok && d->tp == 8 && d->pp == 1 && d->dp == 1 && d->global_batch == 8 && d->recompute == 1,
                  "dense: %s", d->text);
    ck_assert_msg(m->ok && m->tp == 1 && m->pp == 1 && m->dp == 8 && m->ep == 8 && m->global_batch == 64,
                  "MoE: %s", m->text);
    /* 141.1 GB of BF16 weights over TP at 4 TB/s x 0.85: TP2 reads them in 20.7 ms (over
     * TPOT / 2 = 20 ms), TP4 in 10.4 ms */
    ck_assert_msg(tiny.serve.ok && tiny.serve.tp == 4 && tiny.serve.replicas == 2, "serving: %s", tiny.serve.text);
    ck_assert_msg(tiny.serve.synth_count == 400, "0.25/s x 8 x 200 s = 400 requests, got %lld",
                  (long long)tiny.serve.synth_count);
    ck_assert_msg(trace_fig(SC_RUN_INFER_SYNTH, "requests") == 400, "the synthetic run served %g requests",
                  trace_fig(SC_RUN_INFER_SYNTH, "requests"));
}
END_TEST

START_TEST(figures_are_read_from_their_traces)
{
    ck_assert_msg(tiny_rc == 0, "battery: %s", tiny_err);
    /* tokens per iteration by hand: 8 x 8192 (dense), 64 x 4096 (MoE) */
    CLOSE(val("tokens_per_s_per_accelerator_dense") * 8 * trace_fig(SC_RUN_TRAIN_DENSE, "iteration_time_mean"),
          8.0 * 8192, 1e-12, "dense tokens per iteration");
    CLOSE(val("tokens_per_s_per_accelerator_moe") * 8 * trace_fig(SC_RUN_TRAIN_MOE, "iteration_time_mean"),
          64.0 * 4096, 1e-12, "MoE tokens per iteration");
    CLOSE(val("mfu_dense"), trace_fig(SC_RUN_TRAIN_DENSE, "mfu"), 1e-15, "mfu_dense");
    CLOSE(val("exposed_comm_fraction_moe"), trace_fig(SC_RUN_TRAIN_MOE, "comm_fraction"), 1e-15, "comm fraction");
    CLOSE(val("power_peak_per_accelerator"), trace_fig(SC_RUN_TRAIN_DENSE, "facility_power_peak") / 8, 1e-15, "peak");
    CLOSE(val("power_mean_per_accelerator"),
          trace_fig(SC_RUN_TRAIN_DENSE, "facility_energy") / trace_fig(SC_RUN_TRAIN_DENSE, "simulated_time") / 8, 1e-12,
          "mean power");
    CLOSE(val("energy_per_training_token_dense"), trace_fig(SC_RUN_TRAIN_DENSE, "facility_energy") / (8.0 * 8192),
          1e-9, "J per training token");
    CLOSE(val("output_tokens_per_s_per_accelerator_synthetic"),
          trace_fig(SC_RUN_INFER_SYNTH, "throughput_output_tokens_per_accelerator"), 1e-15, "tokens/s/acc");
    CLOSE(val("goodput_per_accelerator_azure"), trace_fig(SC_RUN_INFER_AZURE, "goodput_requests_per_accelerator"),
          1e-15, "goodput");
    /* J per generated token: facility energy over the output tokens of the completed requests */
    diag_t err = {{0}};
    h5r_file *f = h5r_open(tiny.runs[SC_RUN_INFER_AZURE].trace, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    double *out = NULL, *e2e = NULL;
    size_t n = 0, n2 = 0;
    ck_assert_msg(h5r_table_f64(f, "/inference/requests", "output_tokens", &out, &n, &err) == 0, "%s", err.msg);
    ck_assert_msg(h5r_table_f64(f, "/inference/requests", "e2e", &e2e, &n2, &err) == 0, "%s", err.msg);
    h5r_close(f);
    double tokens = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(e2e[i]))
            tokens += out[i];
    free(out);
    free(e2e);
    CLOSE(val("energy_per_generated_token"), trace_fig(SC_RUN_INFER_AZURE, "facility_energy") / tokens, 1e-6,
          "J per generated token");
    CLOSE(val("goodput_reference_failures"), trace_fig(SC_RUN_GOODPUT, "goodput"), 1e-15, "goodput");
    ck_assert_msg(val("goodput_reference_failures") > 0.5 && val("goodput_reference_failures") <= 1, "goodput %g",
                  val("goodput_reference_failures"));
}
END_TEST

START_TEST(cards_file_holds_one_row_per_metric)
{
    ck_assert_msg(tiny_rc == 0, "battery: %s", tiny_err);
    char path[400];
    snprintf(path, sizeof path, "%s/cards.h5", workdir);
    diag_t err = {{0}};
    ck_assert_msg(sc_write_h5(path, &tiny, 1, "", &err) == 0, "%s", err.msg);
    h5r_file *f = h5r_open(path, &err);
    ck_assert_msg(f != NULL, "%s", err.msg);
    double *v = NULL, *ver = NULL;
    size_t n = 0, n2 = 0;
    ck_assert_msg(h5r_table_f64(f, "/scorecard/metrics", "value", &v, &n, &err) == 0, "%s", err.msg);
    ck_assert_msg(h5r_table_f64(f, "/scorecard/metrics", "battery_version", &ver, &n2, &err) == 0, "%s", err.msg);
    char kind[64];
    ck_assert_msg(h5r_attr_str(f, "/", "kind", kind, sizeof kind, &err) == 0 && !strcmp(kind, "oastwin-scorecard"),
                  "root attribute kind: '%s'", kind);
    h5r_close(f);
    ck_assert_msg(n == sc_nmetrics(), "%zu rows, want %zu", n, sc_nmetrics());
    char **metric = NULL, **unit = NULL, **dir = NULL, **trace = NULL;
    size_t nm = 0, nu = 0, nd = 0, nt = 0;
    ck_assert_msg(sc_h5_str_column(path, "/scorecard/metrics", "metric", &metric, &nm, &err) == 0, "%s", err.msg);
    ck_assert_msg(sc_h5_str_column(path, "/scorecard/metrics", "unit", &unit, &nu, &err) == 0, "%s", err.msg);
    ck_assert_msg(sc_h5_str_column(path, "/scorecard/metrics", "direction", &dir, &nd, &err) == 0, "%s", err.msg);
    ck_assert_msg(sc_h5_str_column(path, "/scorecard/runs", "trace", &trace, &nt, &err) == 0, "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        const sc_metric *m = sc_metric_at(i);
        ck_assert_msg(!strcmp(metric[i], m->name) && !strcmp(unit[i], m->unit) && !strcmp(dir[i], sc_dir_name(m->dir)),
                      "row %zu: %s %s %s", i, metric[i], unit[i], dir[i]);
        ck_assert_msg(v[i] == tiny.value[i], "row %zu (%s): %g, card %g", i, metric[i], v[i], tiny.value[i]);
        ck_assert_msg(ver[i] == SCORECARD_BATTERY_VERSION, "row %zu: battery_version %g", i, ver[i]);
    }
    ck_assert_msg(nt == SC_RUN__COUNT, "%zu run rows", nt);
    for (size_t r = 0; r < nt; r++) /* relative to the cards' directory */
        ck_assert_msg(!strncmp(trace[r], "cards.runs/tiny/", 16), "run %zu trace '%s'", r, trace[r]);
    free(v);
    free(ver);
    free(metric);
    free(unit);
    free(dir);
    free(trace);
}
END_TEST

static Suite *scorecard_suite(void)
{
    Suite *s = suite_create("scorecard");
    TCase *tc = tcase_create("battery");
    tcase_add_test(tc, metric_table_is_complete_and_unique);
    tcase_add_loop_test(tc, link_lists_round_trip, 0, (int)COUNT_OF(LISTS));
    tcase_add_loop_test(tc, bad_link_lists_are_refused, 0, (int)COUNT_OF(BAD_LISTS));
    tcase_add_loop_test(tc, values_print_with_si_prefixes, 0, (int)COUNT_OF(VALUES));
    suite_add_tcase(s, tc);
    TCase *td = tcase_create("designs");
    tcase_add_unchecked_fixture(td, setup_dir, teardown_dir);
    tcase_set_timeout(td, 30);
    tcase_add_test(td, design_with_a_workload_is_refused_at_its_key);
    tcase_add_test(td, torus_component_failures_are_cut);
    tcase_add_test(td, a_layout_that_does_not_fit_says_why);
    suite_add_tcase(s, td);
    TCase *tt = tcase_create("tiny");
    tcase_add_unchecked_fixture(tt, setup_tiny, teardown_tiny);
    tcase_set_timeout(tt, 30);
    tcase_add_test(tt, every_sub_run_completes);
    tcase_add_loop_test(tt, bus_bandwidth_is_planes_times_link, 0, (int)COUNT_OF(OPS));
    tcase_add_test(tt, latency_and_bisection_follow_from_the_links);
    tcase_add_test(tt, optics_count_and_power_share);
    tcase_add_test(tt, failed_components_lose_a_quarter);
    tcase_add_test(tt, components_are_the_documented_ones);
    tcase_add_test(tt, layouts_follow_the_rule);
    tcase_add_test(tt, figures_are_read_from_their_traces);
    tcase_add_test(tt, cards_file_holds_one_row_per_metric);
    suite_add_tcase(s, tt);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(scorecard_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
