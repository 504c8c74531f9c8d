/* Failures in inference serving (resilience.mode = timeline with workload.kind = inference): the
 * failure plan over the serving machine (models/failure), which replica each failure takes down,
 * spare nodes, when the replica is back (detection + restart + weight reload from the PFS, plus
 * the repair when no spare is left), the outage records, /inference/replica_outages and the
 * /summary figures. Plain C with no clock of its own: the serving run (inference.c) calls
 * inf_faults_advance() at the times inf_faults_next_s() names and moves the requests itself.
 * Invariant: a replica has at most one open outage; it is down exactly from the outage's start
 * to its end, and every failure of the plan up to the end of the run is counted once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failure/failure.h"
#include "inference_impl.h"
#include "resilience/resilience.h"
#include "storage/storage.h"
#include "workload/llm.h"


typedef struct outage {
    int32_t replica;
    char cls[16];
    int64_t component;
    int32_t spare, returned;
    double start, end, duration, reload, repair_wait;
    int64_t rerouted;
} outage;

#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))

static const trace_col OUT_COLS[] = {
    {"replica", TCOL_I32, offsetof(outage, replica), 0, "1", "replica id (its role is in /inference/replicas)"},
    {"class", TCOL_STR, offsetof(outage, cls), 16, "",
     "class of the failure: accelerator, hbm, host (node-taking) or software"},
    {"component", TCOL_I64, offsetof(outage, component), 0, "1",
     "index of the failed component within its class (software: the replica)"},
    {"start", TCOL_F64, offsetof(outage, start), 0, "s", "failure: the replica goes down"},
    {"end", TCOL_F64, offsetof(outage, end), 0, "s",
     "when it is back: start + detection + restart + reload + repair_wait (may lie after the run's end)"},
    {"duration", TCOL_F64, offsetof(outage, duration), 0, "s", "end - start"},
    {"reload", TCOL_F64, offsetof(outage, reload), 0, "s", "reading the replica's weights back (PFS, then host to accelerator)"},
    {"repair_wait", TCOL_F64, offsetof(outage, repair_wait), 0, "s",
     "waiting after detection for the failed node's repair, which runs from the failure (0: software failure, a "
     "spare node took its place, or the repair was over by then)"},
    {"spare", TCOL_I32, offsetof(outage, spare), 0, "1", "1 if a spare node replaced the failed one"},
    {"returned", TCOL_I32, offsetof(outage, returned), 0, "1", "1 if the replica was back before the run ended"},
    {"requests_rerouted", TCOL_I64, offsetof(outage, rerouted), 0, "1",
     "requests it held (queued, running, KV in transfer) that were routed to another replica"},
};

struct inf_faults {
    const scenario_t *sc;
    inf_world *w;
    failure_spec fs;
    fl_counts counts;
    fl_plan *plan;
    int32_t nacc, apn;
    int32_t *acc_rep;     /* platform accelerator -> replica holding it, or -1 */
    double *reload_s;     /* per replica */
    int32_t *open;        /* per replica: its open outage, or -1 */
    int32_t *hit;         /* scratch: replicas a failure takes down */
    double *spare_back;   /* repair completion times of nodes a spare replaced */
    size_t nspare, capspare;
    int64_t spares_left;
    uint64_t software_n;  /* software failures so far (which replica the next one hits) */
    outage *o;
    size_t no, capo;
    int64_t failures, without_effect, spares_used, rerouted;
};

/* ---- the machine's components ---- */

/* Component counts per class and the failure spec with the optics rate from topology.media, as
 * models/resilience derives them for a training job; software is one process (the serving job). */
static int machine(const scenario_t *sc, const platform_t *plat, failure_spec *fs, fl_counts *counts, diag_t *err)
{
    bool from_topology;
    return resilience_machine(sc, plat, fs, counts, &from_topology, err);
}

int inf_faults_check(const scenario_t *sc, const platform_t *plat, diag_t *err)
{
    if (sc->resilience.mode != RS_MODE_TIMELINE)
        return 0;
    failure_spec fs;
    fl_counts counts;
    if (machine(sc, plat, &fs, &counts, err))
        return -1;
    fl_plan *p = fl_plan_new(&fs, &counts, sc->seed, err);
    if (!p)
        return -1;
    fl_plan_free(p);
    return 0;
}

/* Reloading a replica's weights after a restart: one copy of the model (parameters x
 * workload.serving.weight_bytes) read from the parallel file system by the replica's nodes in
 * parallel, each at the PFS rate one client gets when those nodes read at once
 * (storage_pfs_client_Bps: min(client cap, node NIC, aggregate read / nodes)), plus
 * storage.pfs.latency, then copied host -> accelerator memory at storage.host.copy_bandwidth,
 * all accelerators at once. */
static double reload_of(const scenario_t *sc, const platform_t *plat, const inf_replica *rep)
{
    int64_t apn = platform_accels_per_node(plat);
    if (apn < 1)
        apn = 1;
    const storage_spec *s = &sc->storage;
    double weights = llm_params_total(&sc->wl.model) * sc->wl.inference.weight_bytes;
    int64_t nodes = (rep->first_acc + rep->nacc - 1) / apn - rep->first_acc / apn + 1;
    st_job job = {.nodes = nodes, .accels_per_node = apn};
    if (sc->topo.scaleout.kind != TOPO_SO_NONE)
        job.scaleout_nic_Bps = sc->topo.scaleout.link.bw_Bps *
                               (double)(sc->topo.scaleout.nics == TOPO_NIC_PER_ACCELERATOR ? apn : 1);
    double client = storage_pfs_client_Bps(s, &job, s->pfs.read_bw_Bps, NULL);
    double read = isinf(client) ? 0 : weights / (double)nodes / client;
    double copy = s->host.copy_bw_Bps > 0 ? weights / (double)rep->nacc / s->host.copy_bw_Bps : 0;
    return s->pfs.latency_s + read + copy;
}

int inf_faults_new(const scenario_t *sc, const platform_t *plat, inf_world *w, inf_faults **out, diag_t *err)
{
    *out = NULL;
    if (sc->resilience.mode != RS_MODE_TIMELINE)
        return 0;
    inf_faults *f = calloc(1, sizeof *f);
    if (!f)
        return diag_fail(err, "out of memory");
    f->sc = sc;
    f->w = w;
    f->nacc = platform_accelerators(plat);
    f->apn = platform_accels_per_node(plat) > 0 ? platform_accels_per_node(plat) : 1;
    f->spares_left = sc->resilience.spares;
    f->acc_rep = malloc((size_t)f->nacc * sizeof *f->acc_rep);
    f->reload_s = malloc((size_t)w->nrep * sizeof *f->reload_s);
    f->open = malloc((size_t)w->nrep * sizeof *f->open);
    f->hit = malloc((size_t)w->nrep * sizeof *f->hit);
    if (!f->acc_rep || !f->reload_s || !f->open || !f->hit) {
        inf_faults_free(f);
        return diag_fail(err, "out of memory");
    }
    for (int32_t a = 0; a < f->nacc; a++)
        f->acc_rep[a] = -1;
    for (int32_t i = 0; i < w->nrep; i++) {
        const inf_replica *rep = &w->rep[i];
        for (int32_t a = rep->first_acc; a < rep->first_acc + rep->nacc && a < f->nacc; a++)
            f->acc_rep[a] = i;
        f->reload_s[i] = reload_of(sc, plat, rep);
        f->open[i] = -1;
    }
    if (machine(sc, plat, &f->fs, &f->counts, err)) {
        inf_faults_free(f);
        return -1;
    }
    f->plan = fl_plan_new(&f->fs, &f->counts, sc->seed, err);
    if (!f->plan) {
        inf_faults_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

void inf_faults_free(inf_faults *f)
{
    if (!f)
        return;
    fl_plan_free(f->plan);
    free(f->acc_rep);
    free(f->reload_s);
    free(f->open);
    free(f->hit);
    free(f->spare_back);
    free(f->o);
    free(f);
}

double inf_faults_reload_s(const inf_faults *f, const inf_replica *rep)
{
    return f->reload_s[rep->id];
}

/* How long the replica waits for its node after detection: the repair runs from the failure, as
 * in the training timeline, so only what is left of it once the failure is detected; nothing for
 * a software failure or when a spare node took the failed one's place. */
static double repair_wait_s(const inf_faults *f, int cls, double repair_s, bool spare)
{
    return fl_class_takes_node(cls) && !spare ? fmax(0.0, repair_s - f->sc->resilience.detection_s) : 0.0;
}

double inf_faults_outage_s(const inf_faults *f, const inf_replica *rep, int cls, double repair_s, bool spare)
{
    const resilience_spec *r = &f->sc->resilience;
    return r->detection_s + repair_wait_s(f, cls, repair_s, spare) + r->restart_s + f->reload_s[rep->id];
}

double inf_faults_next_s(const inf_faults *f)
{
    double t = fl_plan_peek_s(f->plan);
    for (int32_t i = 0; i < f->w->nrep; i++)
        if (f->open[i] >= 0 && f->o[f->open[i]].end < t)
            t = f->o[f->open[i]].end;
    for (size_t i = 0; i < f->nspare; i++)
        if (f->spare_back[i] < t)
            t = f->spare_back[i];
    return t;
}

/* ---- failures ---- */

/* As /events of a training job names it, but the software is the serving job's. */
static void component_name(const fl_event *e, char *buf, size_t n)
{
    if (e->cls == FL_SOFTWARE)
        snprintf(buf, n, "serving");
    else
        fl_component_name(e, buf, n);
}

/* Replicas failure E takes down (into f->hit), whether up or down now. Software failures are
 * of the serving job as a whole (one process, as failures.software is defined) and crash the
 * replicas in turn: the k-th software failure of the run hits replica k mod replicas. */
static int32_t replicas_hit(inf_faults *f, const fl_event *e)
{
    int32_t n = 0;
    if (e->cls == FL_SOFTWARE) {
        f->hit[n++] = (int32_t)(f->software_n++ % (uint64_t)f->w->nrep);
        return n;
    }
    if (!fl_class_takes_node(e->cls))
        return 0;
    int64_t lo = e->component, hi = e->component + 1; /* accelerators concerned */
    if (e->cls == FL_HOST) {
        lo = e->component * f->apn;
        hi = lo + f->apn;
    }
    for (int64_t a = lo; a < hi && a < f->nacc; a++) {
        int32_t r = f->acc_rep[a];
        if (r >= 0 && (n == 0 || f->hit[n - 1] != r))
            f->hit[n++] = r;
    }
    return n;
}

static int push_outage(inf_faults *f, const outage *o)
{
    if (f->no == f->capo) {
        size_t c = f->capo ? 2 * f->capo : 16;
        outage *v = realloc(f->o, c * sizeof *v);
        if (!v)
            return -1;
        f->o = v;
        f->capo = c;
    }
    f->o[f->no++] = *o;
    return 0;
}

static int push_spare(inf_faults *f, double t)
{
    if (f->nspare == f->capspare) {
        size_t c = f->capspare ? 2 * f->capspare : 8;
        double *v = realloc(f->spare_back, c * sizeof *v);
        if (!v)
            return -1;
        f->spare_back = v;
        f->capspare = c;
    }
    f->spare_back[f->nspare++] = t;
    return 0;
}

static int fail_one(inf_faults *f, const fl_event *e, double now, const inf_fault_hooks *h)
{
    inf_world *w = f->w;
    char comp[40], d[112];
    component_name(e, comp, sizeof comp);
    const char *how = e->scheduled ? "scheduled" : "drawn";
    f->failures++;
    int32_t n = replicas_hit(f, e);
    if (n == 0) {
        f->without_effect++;
        snprintf(d, sizeof d, "%s %s failure: %s", how, fl_class_name(e->cls),
                 fl_class_takes_node(e->cls) ? "outside every replica, no effect"
                                              : "does not take a replica down in this model");
        h->event(h->ctx, "failure", comp, 0, "1", d);
        return 0;
    }
    int32_t up = 0;
    for (int32_t i = 0; i < n; i++)
        if (!w->rep[f->hit[i]].down)
            f->hit[up++] = f->hit[i];
    if (up == 0) {
        f->without_effect++;
        snprintf(d, sizeof d, "%s %s failure on replica %d, already down: counted, nothing else changes", how,
                 fl_class_name(e->cls), f->hit[0]);
        h->event(h->ctx, "failure", comp, 0, "1", d);
        return 0;
    }
    bool node = fl_class_takes_node(e->cls), spare = node && f->spares_left > 0;
    if (spare) {
        f->spares_left--;
        f->spares_used++;
        if (e->duration_s > 0 ? push_spare(f, now + e->duration_s) : (f->spares_left++, 0))
            return -1;
    }
    snprintf(d, sizeof d, "%s %s failure: %d replica%s down%s", how, fl_class_name(e->cls), up, up == 1 ? "" : "s",
             spare ? ", a spare node replaces the failed one" : node ? ", no spare node: waiting for the repair" : "");
    h->event(h->ctx, "failure", comp, (double)up, "1", d);
    /* All of them are down before any request moves, so none is routed to a replica about to fail. */
    for (int32_t i = 0; i < up; i++) {
        inf_replica *rep = &w->rep[f->hit[i]];
        rep->down = true;
        outage o = {.replica = rep->id, .component = e->cls == FL_SOFTWARE ? rep->id : e->component,
                    .spare = spare, .start = now, .reload = f->reload_s[rep->id],
                    .repair_wait = repair_wait_s(f, e->cls, e->duration_s, spare)};
        snprintf(o.cls, sizeof o.cls, "%s", fl_class_name(e->cls));
        o.duration = inf_faults_outage_s(f, rep, e->cls, e->duration_s, spare);
        o.end = now + o.duration;
        f->open[rep->id] = (int32_t)f->no;
        if (push_outage(f, &o))
            return -1;
    }
    for (int32_t i = 0; i < up; i++) {
        inf_replica *rep = &w->rep[f->hit[i]];
        outage *o = &f->o[f->open[rep->id]];
        o->rerouted = h->down(h->ctx, rep);
        f->rerouted += o->rerouted;
        char name[24];
        snprintf(name, sizeof name, "replica%d", rep->id);
        snprintf(d, sizeof d, "%s failure of %s: %lld requests rerouted, back at %.6g s", fl_class_name(e->cls), comp,
                 (long long)o->rerouted, o->end);
        h->event(h->ctx, "replica_down", name, (double)o->rerouted, "1", d);
    }
    return 0;
}

int inf_faults_advance(inf_faults *f, double now, const inf_fault_hooks *h)
{
    double eps = 1e-9 * fmax(1.0, now);
    inf_world *w = f->w;
    for (int32_t i = 0; i < w->nrep; i++) {
        if (f->open[i] < 0 || f->o[f->open[i]].end > now + eps)
            continue;
        outage *o = &f->o[f->open[i]];
        o->returned = 1;
        f->open[i] = -1;
        inf_replica *rep = &w->rep[i];
        rep->down = false;
        char name[24], d[112];
        snprintf(name, sizeof name, "replica%d", i);
        snprintf(d, sizeof d, "back after its %s failure: detection, restart, weight reload%s", o->cls,
                 o->repair_wait > 0 ? ", repair" : "");
        h->event(h->ctx, "replica_up", name, o->duration, "s", d);
        h->up(h->ctx, rep);
    }
    size_t k = 0;
    for (size_t i = 0; i < f->nspare; i++) {
        if (f->spare_back[i] <= now + eps)
            f->spares_left++;
        else
            f->spare_back[k++] = f->spare_back[i];
    }
    f->nspare = k;
    while (fl_plan_peek_s(f->plan) <= now + eps) {
        fl_event e;
        if (fl_plan_next(f->plan, &e) || fail_one(f, &e, now, h))
            return -1;
    }
    return 0;
}

/* ---- output ---- */

int inf_faults_finish(inf_faults *f, trace_t *t, double end_s, diag_t *err)
{
    if (!f)
        return 0;
    trace_table_t *tab = trace_table_create(t, "/inference/replica_outages",
                                            "one row per replica taken down by a failure, in the order they failed",
                                            OUT_COLS, NCOLS(OUT_COLS), sizeof(outage));
    if (!tab)
        return diag_fail(err, "out of memory");
    double down = 0;
    for (size_t i = 0; i < f->no; i++) {
        if (trace_table_append(tab, &f->o[i]))
            return diag_fail(err, "out of memory");
        double e = fmin(f->o[i].end, end_s);
        if (e > f->o[i].start)
            down += e - f->o[i].start;
    }
    double all = (double)f->w->nrep * end_s;
    trace_summary_i64(t, "serving_failures", f->failures, "1",
                      "failures of every class during the serving run (drawn and scheduled)");
    trace_summary_i64(t, "replica_failures", (int64_t)f->no, "1",
                      "replicas taken down (rows of /inference/replica_outages)");
    trace_summary_i64(t, "failures_without_effect", f->without_effect, "1",
                      "failures that took no replica down: outside every replica, on one already down, or of a "
                      "class that does not (switch, optics, link_flap)");
    trace_summary_i64(t, "requests_rerouted", f->rerouted, "1",
                      "requests taken from a failed replica and routed again (a request counts once per failure)");
    trace_summary_i64(t, "replica_spares_used", f->spares_used, "1", "node failures a spare node absorbed");
    trace_summary_f64(t, "replica_downtime_total", down, "s", "time replicas were down, summed, up to the run's end");
    trace_summary_f64(t, "serving_availability", all > 0 ? 1.0 - down / all : NAN, "1",
                      "replica-seconds up / replica-seconds over the run");
    return 0;
}
