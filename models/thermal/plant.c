/* The plant at run time. Power is piecewise constant between events and integrated exactly by
 * meters; each accelerator's junction follows its closed-form node; coolant temperatures are
 * piecewise constant too, recomputed once per loop lag from the heat averaged over the window
 * just ended (and at faults), and not at all while the heat stays constant. Governor events sit
 * in an indexed min-heap keyed by (time, accelerator), so ties resolve deterministically.
 * Invariant: rack accel_W equals the sum of its accelerators' meters' power, and every event
 * time in the heap is >= the last processed event time. */
#include "thermal/plant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "power/rack.h"
#include "thermal/governor.h"
#include "thermal/thermal.h"

#define TOL_S 1e-9

typedef struct acc_st {
    int32_t rack;
    pw_activity act;
    gov_state g;
    th_node node;
    pw_meter m;
    double q_share;        /* share of the rack's flow through this cold plate */
    double throttled_s, throttled_since;
    double next_s;
    int32_t heap_pos;
} acc_st;

typedef struct rack_st {
    int32_t first, n, cdu;
    int k_top;             /* fastest state the cap allows */
    double accel_W;        /* sum of its accelerators' power now */
    pw_meter in;           /* rack input (IT) power */
    double design_flow_m3ps, flow_frac;
    double inlet_C, outlet_C, heat_W; /* loop state: heat averaged over the last window */
    double mark_t, mark_E; /* start of the current averaging window */
    bool changed;          /* its input changed since the window started */
} rack_st;

typedef struct cdu_st {
    double served_W;       /* design heat of the simulated racks it serves (sizes its pumps' share) */
    double cap_frac, flow_frac;
    double load_W, supply_C;
} cdu_st;

typedef struct fault_ev {
    double t_s;
    int which;   /* 0 cdu capacity, 1 pump, 2 rack flow */
    bool start;
} fault_ev;

typedef struct fac_row {
    double t_s, it_W, pumps_W, heat_rejection_W, conversion_W, total_W, supply_C;
} fac_row;

typedef struct prack_row {
    double t_s;
    int32_t rack;
    double accel_W, other_W, conversion_W, input_W;
} prack_row;

typedef struct track_row {
    double t_s;
    int32_t rack;
    double inlet_C, outlet_C, flow_m3ps, heat_W, junction_max_C;
    int32_t throttled;
} track_row;

typedef struct cdu_row {
    double t_s;
    int32_t cdu;
    double facility_C, supply_C, load_W, capacity_W, flow_frac;
} cdu_row;

struct plant {
    const scenario_t *sc;
    const hw_accel *a;
    plant_hooks hooks;
    trace_t *trace;
    int32_t n, nracks, ncdus, npstates;
    acc_st *acc;
    rack_st *rk;
    cdu_st *cdu;
    int32_t *heap; /* accelerator ids */
    th_coolant cool;
    double r_jc_KpW;
    double hr_per_W, supply_C, cop; /* heat rejection: W per W of heat, delivered supply, COP (0: off) */
    double loop_next_s, loop_last_s;
    fault_ev faults[6];
    int nfaults, next_fault;
    double it_W, pumps_W, fixed_W; /* fixed_W: constant loads of all racks */
    double network_W;              /* switch chips and optical modules of the whole machine */
    pw_meter m_it, m_pumps, m_hr, m_conv, m_total, m_accels;
    double T_max_C, outlet_max_C;
    int64_t steps_down, steps_up;
    trace_table_t *t_fac, *t_prack, *t_track, *t_cdu, *m_power, *m_junction, *m_pstate;
    double *row;
};

/* ---- heap ---- */

static bool heap_less(const plant_t *p, int32_t a, int32_t b)
{
    double ta = p->acc[a].next_s, tb = p->acc[b].next_s;
    return ta < tb || (ta == tb && a < b);
}

static void heap_swap(plant_t *p, int32_t i, int32_t j)
{
    int32_t a = p->heap[i], b = p->heap[j];
    p->heap[i] = b;
    p->heap[j] = a;
    p->acc[b].heap_pos = i;
    p->acc[a].heap_pos = j;
}

static void heap_fix(plant_t *p, int32_t i)
{
    while (i > 0 && heap_less(p, p->heap[i], p->heap[(i - 1) / 2])) {
        heap_swap(p, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        int32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < p->n && heap_less(p, p->heap[l], p->heap[m]))
            m = l;
        if (r < p->n && heap_less(p, p->heap[r], p->heap[m]))
            m = r;
        if (m == i)
            return;
        heap_swap(p, i, m);
        i = m;
    }
}

/* ---- helpers ---- */

static void event(plant_t *p, double t, const char *kind, const char *comp, double v, const char *unit,
                  const char *detail)
{
    if (p->hooks.event)
        p->hooks.event(p->hooks.ctx, t, kind, comp, v, unit, detail);
}

static gov_limits limits(const plant_t *p, const acc_st *s)
{
    return (gov_limits){p->a->t_max_C, p->a->t_release_C, p->a->gov_interval_s, p->rk[s->rack].k_top,
                        p->npstates - 1};
}

static double flow_of(const plant_t *p, const rack_st *r)
{
    return r->design_flow_m3ps * r->flow_frac * p->cdu[r->cdu].flow_frac;
}

static double accel_R(const plant_t *p, const acc_st *s)
{
    return p->r_jc_KpW + th_cold_plate_R(&p->sc->cooling, flow_of(p, &p->rk[s->rack]) * s->q_share);
}

static void schedule(plant_t *p, int32_t i, double now)
{
    acc_st *s = &p->acc[i];
    gov_limits L = limits(p, s);
    double t = gov_next_s(&L, &s->g, &s->node, now);
    if (t <= now && gov_decide(&L, &s->g, &s->node, now) == 0)
        t = now + TOL_S; /* rounding left it a hair short of the threshold: look again just after */
    s->next_s = t;
    heap_fix(p, s->heap_pos);
}

/* Re-anchors accelerator I's node at NOW with its current power, coolant and resistance. */
static void node_refresh(plant_t *p, int32_t i, double now)
{
    acc_st *s = &p->acc[i];
    double T = th_temp_C(&s->node, now);
    if (T > p->T_max_C)
        p->T_max_C = T;
    th_update(&s->node, now, s->m.p_W, p->rk[s->rack].inlet_C, accel_R(p, s));
}

static void facility_update(plant_t *p, double now)
{
    const pw_stage *f = &p->sc->power.facility;
    double heat = p->it_W + p->pumps_W;
    double hr = p->hr_per_W * heat;
    double total = (heat + hr + f->fixed_loss_W) / f->efficiency;
    pw_meter_set(&p->m_it, now, p->it_W);
    pw_meter_set(&p->m_pumps, now, p->pumps_W);
    pw_meter_set(&p->m_hr, now, hr);
    pw_meter_set(&p->m_total, now, total);
    double in_rack_loss = p->it_W - p->m_accels.p_W - p->fixed_W;
    pw_meter_set(&p->m_conv, now, in_rack_loss + (total - heat - hr));
}

/* Before the first power change after the loop went quiet: start the averaging window on the
 * update grid (power was constant since the last update, so the energy there is exact). */
static void loop_wake(plant_t *p, double now)
{
    if (isfinite(p->loop_next_s))
        return;
    double lag = p->sc->cooling.loop_lag_s;
    double g = p->loop_last_s + lag * floor((now - p->loop_last_s) / lag);
    for (int32_t r = 0; r < p->nracks; r++) {
        p->rk[r].mark_t = g;
        p->rk[r].mark_E = pw_meter_energy(&p->rk[r].in, g);
    }
    p->loop_next_s = g + lag;
}

static void rack_power_update(plant_t *p, int32_t r, double now)
{
    rack_st *k = &p->rk[r];
    double in = power_rack_input_W(p->sc, k->n, k->accel_W, p->network_W);
    p->it_W += in - k->in.p_W;
    pw_meter_set(&k->in, now, in);
    k->changed = true;
}

/* Accelerator I draws its power for its current activity and state from NOW on. */
static void accel_power_update(plant_t *p, int32_t i, double now)
{
    acc_st *s = &p->acc[i];
    double w = power_accel_W(p->a, s->g.k, s->act);
    if (w == s->m.p_W)
        return;
    loop_wake(p, now);
    rack_st *k = &p->rk[s->rack];
    double d = w - s->m.p_W;
    k->accel_W += d;
    pw_meter_set(&p->m_accels, now, p->m_accels.p_W + d);
    pw_meter_set(&s->m, now, w);
    rack_power_update(p, s->rack, now);
    node_refresh(p, i, now);
}

/* Recomputes every loop temperature from the heat averaged since each rack's mark. */
static void loop_update(plant_t *p, double now)
{
    const cooling_spec *c = &p->sc->cooling;
    bool changing = false;
    for (int32_t r = 0; r < p->nracks; r++) {
        rack_st *k = &p->rk[r];
        double E = pw_meter_energy(&k->in, now);
        /* Unchanged through the window: the mean is the power itself, exactly. */
        if (!k->changed)
            k->heat_W = k->in.p_W;
        else if (now > k->mark_t)
            k->heat_W = (E - k->mark_E) / (now - k->mark_t);
        changing = changing || k->changed;
        k->changed = false;
        k->mark_t = now;
        k->mark_E = E;
    }
    for (int32_t d = 0; d < p->ncdus; d++) {
        cdu_st *u = &p->cdu[d];
        u->load_W = c->cdu_other_W + power_cdu_pumps_W(c, u->served_W, u->flow_frac);
    }
    for (int32_t r = 0; r < p->nracks; r++)
        p->cdu[p->rk[r].cdu].load_W += p->rk[r].heat_W;
    for (int32_t d = 0; d < p->ncdus; d++) {
        cdu_st *u = &p->cdu[d];
        u->supply_C = th_cdu_supply_C(p->supply_C, c->cdu_approach_K, u->load_W, c->cdu_capacity_W * u->cap_frac);
    }
    for (int32_t r = 0; r < p->nracks; r++) {
        rack_st *k = &p->rk[r];
        k->inlet_C = p->cdu[k->cdu].supply_C;
        k->outlet_C = k->inlet_C + th_outlet_rise_K(p->cool, k->heat_W, flow_of(p, k));
        if (k->outlet_C > p->outlet_max_C)
            p->outlet_max_C = k->outlet_C;
        for (int32_t i = k->first; i < k->first + k->n; i++) {
            node_refresh(p, i, now);
            schedule(p, i, now);
        }
    }
    p->loop_last_s = now;
    p->loop_next_s = changing ? now + c->loop_lag_s : INFINITY;
}

static void set_pstate(plant_t *p, int32_t i, int k, double now, double T)
{
    acc_st *s = &p->acc[i];
    int top = p->rk[s->rack].k_top;
    int old = s->g.k;
    if (old > top)
        s->throttled_s += now - s->throttled_since;
    if (k > top)
        s->throttled_since = now;
    s->g.k = k;
    s->g.last_step_s = now;
    if (k > old)
        p->steps_down++;
    else
        p->steps_up++;
    accel_power_update(p, i, now);
    facility_update(p, now);
    if (p->hooks.set_pstate)
        p->hooks.set_pstate(p->hooks.ctx, i, k);
    char comp[32], detail[96];
    snprintf(comp, sizeof comp, "acc%d", i);
    snprintf(detail, sizeof detail, "state %d -> %d (clock %.3g of nominal), junction %.2f degC", old, k,
             power_pstate_speed(p->a, k), T);
    event(p, now, k > old ? "throttle_down" : "throttle_up", comp, power_pstate_speed(p->a, k), "1", detail);
}

static void apply_fault(plant_t *p, const fault_ev *f, double now)
{
    const cooling_spec *c = &p->sc->cooling;
    const cooling_fault *cf = f->which == 0 ? &c->f_cdu : f->which == 1 ? &c->f_pump : &c->f_rack;
    double v = f->start ? cf->remaining : 1.0;
    char comp[32], detail[96];
    loop_wake(p, now);
    switch (f->which) {
    case 0:
        p->cdu[cf->index].cap_frac = v;
        snprintf(comp, sizeof comp, "cdu%lld", (long long)cf->index);
        snprintf(detail, sizeof detail, "CDU capacity at %.3g of rated", v);
        break;
    case 1: {
        cdu_st *u = &p->cdu[cf->index];
        p->pumps_W -= power_cdu_pumps_W(c, u->served_W, u->flow_frac);
        u->flow_frac = v;
        p->pumps_W += power_cdu_pumps_W(c, u->served_W, u->flow_frac);
        snprintf(comp, sizeof comp, "cdu%lld", (long long)cf->index);
        snprintf(detail, sizeof detail, "pump %s: flow at %.3g of design", f->start ? "failure" : "repaired", v);
        break;
    }
    default:
        p->rk[cf->index].flow_frac = v;
        snprintf(comp, sizeof comp, "rack%lld", (long long)cf->index);
        snprintf(detail, sizeof detail, "rack flow at %.3g of design", v);
        break;
    }
    facility_update(p, now);
    event(p, now, f->start ? "fault" : "fault_cleared", comp, v, "1", detail);
    loop_update(p, now);
}

/* ---- trace ---- */

static int make_tables(plant_t *p, trace_t *t)
{
    static const trace_col FAC[] = {
        {"time", TCOL_F64, offsetof(fac_row, t_s), 0, "s", "sample time"},
        {"it", TCOL_F64, offsetof(fac_row, it_W), 0, "W", "IT power: every rack's input (after in-rack conversion)"},
        {"pumps", TCOL_F64, offsetof(fac_row, pumps_W), 0, "W", "CDU pumps"},
        {"heat_rejection", TCOL_F64, offsetof(fac_row, heat_rejection_W), 0, "W", "dry cooler fans and chiller"},
        {"conversion_loss", TCOL_F64, offsetof(fac_row, conversion_W), 0, "W",
         "conversion losses, in-rack stages and facility stage"},
        {"total", TCOL_F64, offsetof(fac_row, total_W), 0, "W", "facility feed: IT + pumps + heat rejection + "
                                                                 "facility-stage loss"},
        {"supply", TCOL_F64, offsetof(fac_row, supply_C), 0, "degC", "facility water supply delivered"},
    };
    static const trace_col PRACK[] = {
        {"time", TCOL_F64, offsetof(prack_row, t_s), 0, "s", "sample time"},
        {"rack", TCOL_I32, offsetof(prack_row, rack), 0, "1", "rack index"},
        {"accelerators", TCOL_F64, offsetof(prack_row, accel_W), 0, "W", "its accelerators"},
        {"other", TCOL_F64, offsetof(prack_row, other_W), 0, "W", "host components, rack loads, switch share"},
        {"conversion_loss", TCOL_F64, offsetof(prack_row, conversion_W), 0, "W", "node and rack stage losses"},
        {"input", TCOL_F64, offsetof(prack_row, input_W), 0, "W", "rack input (IT power)"},
    };
    static const trace_col TRACK[] = {
        {"time", TCOL_F64, offsetof(track_row, t_s), 0, "s", "sample time"},
        {"rack", TCOL_I32, offsetof(track_row, rack), 0, "1", "rack index"},
        {"inlet", TCOL_F64, offsetof(track_row, inlet_C), 0, "degC", "coolant inlet (CDU secondary supply)"},
        {"outlet", TCOL_F64, offsetof(track_row, outlet_C), 0, "degC", "coolant outlet: inlet + heat / (m_dot c_p)"},
        {"flow", TCOL_F64, offsetof(track_row, flow_m3ps), 0, "m^3/s", "coolant flow through the rack"},
        {"heat", TCOL_F64, offsetof(track_row, heat_W), 0, "W", "rack heat averaged over the last loop window"},
        {"junction_max", TCOL_F64, offsetof(track_row, junction_max_C), 0, "degC", "hottest junction in the rack"},
        {"throttled", TCOL_I32, offsetof(track_row, throttled), 0, "1",
         "accelerators below the fastest state the cap allows"},
    };
    static const trace_col CDU[] = {
        {"time", TCOL_F64, offsetof(cdu_row, t_s), 0, "s", "sample time"},
        {"cdu", TCOL_I32, offsetof(cdu_row, cdu), 0, "1", "CDU index"},
        {"facility_supply", TCOL_F64, offsetof(cdu_row, facility_C), 0, "degC", "facility water in"},
        {"secondary_supply", TCOL_F64, offsetof(cdu_row, supply_C), 0, "degC", "rack loops' supply"},
        {"load", TCOL_F64, offsetof(cdu_row, load_W), 0, "W", "heat carried (racks, other load, pumps)"},
        {"capacity", TCOL_F64, offsetof(cdu_row, capacity_W), 0, "W", "effective capacity (after faults)"},
        {"flow_fraction", TCOL_F64, offsetof(cdu_row, flow_frac), 0, "1", "pump flow relative to design"},
    };
#define NC(a) (sizeof(a) / sizeof((a)[0]))
    p->t_fac = trace_table_create(t, "/power/facility", "facility power, sampled", FAC, NC(FAC), sizeof(fac_row));
    p->t_prack = trace_table_create(t, "/power/racks", "power per rack, sampled (one row per rack per sample)",
                                    PRACK, NC(PRACK), sizeof(prack_row));
    p->t_track = trace_table_create(t, "/thermal/racks", "rack coolant loops, sampled (one row per rack per sample)",
                                    TRACK, NC(TRACK), sizeof(track_row));
    p->t_cdu = trace_table_create(t, "/thermal/cdus", "CDUs, sampled (one row per CDU per sample)", CDU, NC(CDU),
                                  sizeof(cdu_row));
    if (!p->t_fac || !p->t_prack || !p->t_track || !p->t_cdu)
        return -1;
    if (!p->sc->power.per_accel_timeseries)
        return 0;
    p->m_power = trace_matrix_create(t, "/power/accelerators",
                                     "accelerator power; row i at /power/facility time[i], column = accelerator",
                                     (size_t)p->n, "W");
    p->m_junction = trace_matrix_create(t, "/thermal/junction",
                                        "junction temperature; row i at /power/facility time[i], column = accelerator",
                                        (size_t)p->n, "degC");
    p->m_pstate = trace_matrix_create(t, "/thermal/pstate",
                                      "performance state (0 = nominal); row i at /power/facility time[i]", (size_t)p->n,
                                      "1");
    p->row = malloc((size_t)p->n * sizeof *p->row);
    return p->m_power && p->m_junction && p->m_pstate && p->row ? 0 : -1;
}

/* ---- construction ---- */

static int cmp_fault(const void *a, const void *b)
{
    const fault_ev *x = a, *y = b;
    if (x->t_s != y->t_s)
        return x->t_s < y->t_s ? -1 : 1;
    return x->which - y->which;
}

plant_t *plant_new(const scenario_t *sc, int32_t n_acc, int32_t per_rack, double network_W, const plant_hooks *hooks,
                   trace_t *t, diag_t *err)
{
    const cooling_spec *c = &sc->cooling;
    plant_t *p = calloc(1, sizeof *p);
    if (!p) {
        diag_fail(err, "out of memory");
        return NULL;
    }
    p->sc = sc;
    p->a = &sc->accel;
    if (hooks)
        p->hooks = *hooks;
    p->trace = t;
    p->n = n_acc;
    p->network_W = network_W;
    if (per_rack <= 0)
        per_rack = c->accels_per_rack > 0 ? (int32_t)c->accels_per_rack : n_acc;
    if (per_rack > n_acc)
        per_rack = n_acc;
    p->nracks = (n_acc + per_rack - 1) / per_rack;
    p->ncdus = (int32_t)((p->nracks + c->racks_per_cdu - 1) / c->racks_per_cdu);
    p->npstates = power_pstates(p->a);
    p->cool = th_coolant_props(c->coolant);
    p->r_jc_KpW = p->a->r_jc_KpW;
    p->acc = calloc((size_t)n_acc, sizeof *p->acc);
    p->rk = calloc((size_t)p->nracks, sizeof *p->rk);
    p->cdu = calloc((size_t)p->ncdus, sizeof *p->cdu);
    p->heap = malloc((size_t)n_acc * sizeof *p->heap);
    if (!p->acc || !p->rk || !p->cdu || !p->heap) {
        diag_fail(err, "out of memory for the plant of %d accelerators", n_acc);
        plant_free(p);
        return NULL;
    }
    pw_heat_rejection hr = power_heat_rejection(c, 1.0);
    p->hr_per_W = hr.fans_W + hr.chiller_W;
    p->supply_C = hr.supply_C;
    p->cop = hr.cop;
    for (int32_t d = 0; d < p->ncdus; d++)
        p->cdu[d] = (cdu_st){.cap_frac = 1, .flow_frac = 1};
    for (int32_t r = 0; r < p->nracks; r++) {
        rack_st *k = &p->rk[r];
        k->first = r * per_rack;
        k->n = k->first + per_rack <= n_acc ? per_rack : n_acc - k->first;
        k->cdu = (int32_t)(r / c->racks_per_cdu);
        k->flow_frac = 1;
        k->k_top = power_rack_cap_state(sc, k->n, network_W);
        if (k->k_top < 0) {
            scenario_fail_at(sc, "power.rack.cap", err,
                             "'power.rack.cap' is below what rack %d (%d accelerators) draws in its slowest state", r,
                             k->n);
            plant_free(p);
            return NULL;
        }
        double design = power_rack_input_W(sc, k->n, (double)k->n * p->a->max_power_W, network_W);
        p->cdu[k->cdu].served_W += design;
        k->design_flow_m3ps = c->rack_flow_m3ps > 0 ? c->rack_flow_m3ps : th_flow_for_rise(p->cool, design, c->design_rise_K);
        double share = p->a->max_power_W / design;
        for (int32_t i = k->first; i < k->first + k->n; i++) {
            acc_st *s = &p->acc[i];
            s->rack = r;
            s->act = PW_IDLE;
            s->q_share = share;
            s->g = (gov_state){k->k_top, -INFINITY};
            double w = power_accel_W(p->a, s->g.k, PW_IDLE);
            pw_meter_init(&s->m, 0, w);
            k->accel_W += w;
            s->node = (th_node){.t0_s = 0, .P_W = w, .C_JpK = p->a->heat_cap_JpK};
            s->heap_pos = i;
            p->heap[i] = i;
            s->next_s = INFINITY;
        }
        double in = power_rack_input_W(sc, k->n, k->accel_W, network_W);
        pw_meter_init(&k->in, 0, in);
        p->it_W += in;
        k->heat_W = in; /* the loop starts in steady state at idle */
    }
    pw_meter_init(&p->m_it, 0, p->it_W);
    pw_meter_init(&p->m_pumps, 0, p->pumps_W);
    pw_meter_init(&p->m_hr, 0, 0);
    pw_meter_init(&p->m_conv, 0, 0);
    pw_meter_init(&p->m_total, 0, 0);
    for (int32_t d = 0; d < p->ncdus; d++)
        p->pumps_W += power_cdu_pumps_W(c, p->cdu[d].served_W, 1.0);
    double accels = 0;
    for (int32_t r = 0; r < p->nracks; r++) {
        accels += p->rk[r].accel_W;
        p->fixed_W += power_rack_fixed_W(sc, p->rk[r].n, network_W);
    }
    pw_meter_init(&p->m_accels, 0, accels);
    facility_update(p, 0);
    p->m_hr.peak_W = p->m_hr.p_W;
    p->m_total.peak_W = p->m_total.p_W;
    p->m_conv.peak_W = p->m_conv.p_W;
    p->T_max_C = -INFINITY;
    p->outlet_max_C = -INFINITY;
    p->loop_last_s = 0;
    loop_update(p, 0); /* coolant temperatures, then every node at its idle steady state */
    for (int32_t i = 0; i < n_acc; i++) {
        acc_st *s = &p->acc[i];
        s->node.T0_C = th_steady_C(&s->node);
        schedule(p, i, 0);
    }
    p->T_max_C = -INFINITY;
    for (int32_t i = 0; i < n_acc; i++)
        if (p->acc[i].node.T0_C > p->T_max_C)
            p->T_max_C = p->acc[i].node.T0_C;
    /* Faults, in time order. */
    const cooling_fault *fs[3] = {&c->f_cdu, &c->f_pump, &c->f_rack};
    for (int w = 0; w < 3; w++) {
        int64_t count = w == 2 ? p->nracks : p->ncdus;
        if (fs[w]->remaining >= 1 || fs[w]->index >= count)
            continue; /* no fault, or a component this machine does not have (checked by the loader) */
        p->faults[p->nfaults++] = (fault_ev){fs[w]->at_s, w, true};
        if (fs[w]->until_s > 0)
            p->faults[p->nfaults++] = (fault_ev){fs[w]->until_s, w, false};
    }
    qsort(p->faults, (size_t)p->nfaults, sizeof p->faults[0], cmp_fault);
    if (t && make_tables(p, t)) {
        diag_fail(err, "out of memory for the power and thermal time series");
        plant_free(p);
        return NULL;
    }
    for (int32_t r = 0; r < p->nracks; r++)
        if (p->rk[r].k_top > 0) {
            char comp[32], detail[96];
            snprintf(comp, sizeof comp, "rack%d", r);
            snprintf(detail, sizeof detail, "power.rack.cap allows state %d at most (clock %.3g of nominal)",
                     p->rk[r].k_top, power_pstate_speed(p->a, p->rk[r].k_top));
            event(p, 0, "power_cap", comp, power_pstate_speed(p->a, p->rk[r].k_top), "1", detail);
            for (int32_t i = p->rk[r].first; i < p->rk[r].first + p->rk[r].n; i++)
                if (p->hooks.set_pstate)
                    p->hooks.set_pstate(p->hooks.ctx, i, p->rk[r].k_top);
        }
    return p;
}

void plant_free(plant_t *p)
{
    if (!p)
        return;
    free(p->acc);
    free(p->rk);
    free(p->cdu);
    free(p->heap);
    free(p->row);
    free(p);
}

/* ---- events ---- */

void plant_set_activity(plant_t *p, int32_t acc, pw_activity act, double t_s)
{
    acc_st *s = &p->acc[acc];
    if (s->act == act)
        return;
    s->act = act;
    double before = s->m.p_W;
    accel_power_update(p, acc, t_s);
    if (s->m.p_W == before)
        return;
    facility_update(p, t_s);
    schedule(p, acc, t_s);
}

double plant_next_event_s(const plant_t *p)
{
    double t = p->n ? p->acc[p->heap[0]].next_s : INFINITY;
    if (p->loop_next_s < t)
        t = p->loop_next_s;
    if (p->next_fault < p->nfaults && p->faults[p->next_fault].t_s < t)
        t = p->faults[p->next_fault].t_s;
    return t;
}

void plant_advance(plant_t *p, double t_s)
{
    for (;;) {
        double t = plant_next_event_s(p);
        if (!(t <= t_s + TOL_S))
            return;
        if (p->next_fault < p->nfaults && p->faults[p->next_fault].t_s == t) {
            apply_fault(p, &p->faults[p->next_fault++], t);
            continue;
        }
        if (p->loop_next_s == t) {
            loop_update(p, t);
            continue;
        }
        int32_t i = p->heap[0];
        acc_st *s = &p->acc[i];
        gov_limits L = limits(p, s);
        int d = gov_decide(&L, &s->g, &s->node, t);
        if (d != 0)
            set_pstate(p, i, s->g.k - d, t, th_temp_C(&s->node, t));
        schedule(p, i, t);
    }
}

/* ---- sampling and summary ---- */

int plant_sample(plant_t *p, double t_s)
{
    if (!p->trace)
        return 0;
    double it = p->m_it.p_W, pumps = p->m_pumps.p_W, hr = p->m_hr.p_W, total = p->m_total.p_W;
    fac_row f = {t_s, it, pumps, hr, p->m_conv.p_W, total, p->supply_C};
    if (trace_table_append(p->t_fac, &f))
        return -1;
    for (int32_t r = 0; r < p->nracks; r++) {
        const rack_st *k = &p->rk[r];
        double other = power_rack_fixed_W(p->sc, k->n, p->network_W);
        prack_row pr = {t_s, r, k->accel_W, other, k->in.p_W - k->accel_W - other, k->in.p_W};
        double jmax = -INFINITY;
        int32_t thr = 0;
        for (int32_t i = k->first; i < k->first + k->n; i++) {
            double T = th_temp_C(&p->acc[i].node, t_s);
            if (T > jmax)
                jmax = T;
            thr += p->acc[i].g.k > k->k_top;
        }
        track_row tr = {t_s, r, k->inlet_C, k->outlet_C, flow_of(p, k), k->heat_W, jmax, thr};
        if (trace_table_append(p->t_prack, &pr) || trace_table_append(p->t_track, &tr))
            return -1;
    }
    const cooling_spec *c = &p->sc->cooling;
    for (int32_t d = 0; d < p->ncdus; d++) {
        const cdu_st *u = &p->cdu[d];
        cdu_row cr = {t_s, d, p->supply_C, u->supply_C, u->load_W, c->cdu_capacity_W * u->cap_frac, u->flow_frac};
        if (trace_table_append(p->t_cdu, &cr))
            return -1;
    }
    if (p->m_power) {
        for (int32_t i = 0; i < p->n; i++)
            p->row[i] = p->acc[i].m.p_W;
        if (trace_matrix_append(p->m_power, p->row))
            return -1;
        for (int32_t i = 0; i < p->n; i++)
            p->row[i] = th_temp_C(&p->acc[i].node, t_s);
        if (trace_matrix_append(p->m_junction, p->row))
            return -1;
        for (int32_t i = 0; i < p->n; i++)
            p->row[i] = p->acc[i].g.k;
        if (trace_matrix_append(p->m_pstate, p->row))
            return -1;
    }
    return 0;
}

int plant_finish(plant_t *p, double t_end)
{
    trace_t *t = p->trace;
    if (!t)
        return 0;
    double e_acc = plant_accel_energy_J(p, t_end);
    double e_it = pw_meter_energy(&p->m_it, t_end), e_tot = pw_meter_energy(&p->m_total, t_end);
    double e_cool = pw_meter_energy(&p->m_pumps, t_end) + pw_meter_energy(&p->m_hr, t_end);
    double thr = 0, Tmax = p->T_max_C;
    for (int32_t i = 0; i < p->n; i++) {
        thr += plant_throttled_s(p, i, t_end);
        double T = th_temp_C(&p->acc[i].node, t_end);
        if (T > Tmax)
            Tmax = T;
    }
    trace_summary_f64(t, "accelerator_energy", e_acc, "J",
                      "energy of all accelerators (power by activity and performance state, integrated exactly)");
    trace_summary_f64(t, "accelerator_power_mean", t_end > 0 ? e_acc / t_end : 0, "W",
                      "mean power of all accelerators over the run");
    trace_summary_f64(t, "accelerator_power_peak", p->m_accels.peak_W, "W", "highest power of all accelerators");
    trace_summary_f64(t, "it_energy", e_it, "J", "IT energy: every rack's input, in-rack conversion included");
    trace_summary_f64(t, "it_power_mean", t_end > 0 ? e_it / t_end : 0, "W", "mean IT power");
    trace_summary_f64(t, "it_power_peak", p->m_it.peak_W, "W", "highest IT power");
    trace_summary_f64(t, "facility_energy", e_tot, "J",
                      "energy at the facility feed: IT + CDU pumps + heat rejection + facility-stage loss");
    trace_summary_f64(t, "facility_power_peak", p->m_total.peak_W, "W", "highest facility power");
    trace_summary_f64(t, "cooling_energy", e_cool, "J", "CDU pumps + dry cooler fans + chiller");
    trace_summary_f64(t, "conversion_loss_energy", pw_meter_energy(&p->m_conv, t_end), "J",
                      "losses of the in-rack and facility conversion stages");
    trace_summary_f64(t, "pue", e_it > 0 ? e_tot / e_it : 0, "1", "power usage effectiveness: facility / IT energy");
    trace_summary_f64(t, "facility_supply_temperature", p->supply_C, "degC", "facility water delivered");
    trace_summary_f64(t, "chiller_cop", p->cop, "1", "chiller COP in use (0: no chiller running)");
    trace_summary_f64(t, "junction_temperature_max", Tmax, "degC", "hottest junction of any accelerator");
    trace_summary_f64(t, "rack_outlet_temperature_max", p->outlet_max_C, "degC", "hottest rack coolant outlet");
    trace_summary_f64(t, "throttled_time", thr, "s",
                      "accelerator-seconds below the fastest state the cap allows (thermal throttling)");
    trace_summary_f64(t, "throttled_fraction", t_end > 0 && p->n ? thr / (t_end * p->n) : 0, "1",
                      "throttled_time / (accelerators x simulated time)");
    trace_summary_i64(t, "throttle_steps_down", p->steps_down, "1", "performance-state steps down by the governor");
    trace_summary_i64(t, "throttle_steps_up", p->steps_up, "1", "performance-state steps back up");
    return 0;
}

/* ---- queries ---- */

int32_t plant_racks(const plant_t *p)
{
    return p->nracks;
}

double plant_accel_W(const plant_t *p, int32_t acc)
{
    return p->acc[acc].m.p_W;
}

double plant_accels_total_W(const plant_t *p)
{
    return p->m_accels.p_W;
}

double plant_junction_C(const plant_t *p, int32_t acc, double t_s)
{
    return th_temp_C(&p->acc[acc].node, t_s);
}

int plant_pstate(const plant_t *p, int32_t acc)
{
    return p->acc[acc].g.k;
}

double plant_accel_R_KpW(const plant_t *p, int32_t acc)
{
    return p->acc[acc].node.R_KpW;
}

double plant_rack_inlet_C(const plant_t *p, int32_t rack)
{
    return p->rk[rack].inlet_C;
}

double plant_rack_outlet_C(const plant_t *p, int32_t rack)
{
    return p->rk[rack].outlet_C;
}

double plant_rack_flow_m3ps(const plant_t *p, int32_t rack)
{
    return flow_of(p, &p->rk[rack]);
}

double plant_rack_heat_W(const plant_t *p, int32_t rack)
{
    return p->rk[rack].heat_W;
}

double plant_rack_input_W(const plant_t *p, int32_t rack)
{
    return p->rk[rack].in.p_W;
}

double plant_it_energy_J(const plant_t *p, double t_s)
{
    return pw_meter_energy(&p->m_it, t_s);
}

double plant_accel_energy_J(const plant_t *p, double t_s)
{
    double e = 0;
    for (int32_t i = 0; i < p->n; i++)
        e += pw_meter_energy(&p->acc[i].m, t_s);
    return e;
}

double plant_facility_energy_J(const plant_t *p, double t_s)
{
    return pw_meter_energy(&p->m_total, t_s);
}

double plant_throttled_s(const plant_t *p, int32_t acc, double t_s)
{
    const acc_st *s = &p->acc[acc];
    double v = s->throttled_s;
    if (s->g.k > p->rk[s->rack].k_top)
        v += t_s - s->throttled_since;
    return v;
}
