/* Scenario keys of the cooling model (cooling.*): facility water and heat rejection, CDUs, rack
 * loops, cold plates, and what-if faults. Temperature differences (approaches, rises, lifts)
 * are written in degC (1 degC = 1 K of difference; `4 K` would mean -269 degC and is refused
 * as negative). Defaults and sources: docs/models.md, docs/sources.md ("Power and thermal"). */
#include <math.h>
#include <string.h>

#include "scenario.h"
#include "thermal/thermal.h"

#define OFF(m) offsetof(scenario_t, cooling.m)
#define BIG 1e300

static const char *const CLASSES[] = {"W17", "W27", "W32", "W40", "W45", "custom", NULL};
static const char *const REJECTION[] = {"dry_cooler", "chiller", "hybrid", NULL};
static const char *const COOLANTS[] = {"water", "pg25", NULL};

#define FAULT(name, what, member, idx, idxdoc, remdoc)                                                            \
    {"cooling.faults." name ".at", F_QTY, DIM_TIME, OFF(member.at_s), 0, NULL, "0 s", 0, BIG, false,               \
     "When the " what " fault starts.", NULL, NULL, NULL},                                                       \
        {"cooling.faults." name ".until", F_QTY, DIM_TIME, OFF(member.until_s), 0, NULL, "0 s", 0, BIG, false,     \
         "When it is repaired; `0 s`: never during the run.", NULL, NULL, NULL},                                 \
        {"cooling.faults." name "." idx, F_INT, DIM_NONE, OFF(member.index), 0, NULL, "0", 0, 1048576, false,      \
         idxdoc, NULL, NULL, NULL},                                                                              \
        {"cooling.faults." name ".remaining", F_QTY, DIM_NONE, OFF(member.remaining), 0, NULL, "1", 0, 1, true,    \
         remdoc, NULL, NULL, NULL}

static const field FIELDS[] = {
    {"cooling.facility.class", F_ENUM, DIM_NONE, OFF(facility_class), 0, CLASSES, "W32", 0, 0, false,
     "ASHRAE facility water class; the number is the supply temperature in degC (TC 9.9 liquid cooling "
     "guidelines). `custom`: give `supply`.",
     NULL, NULL, NULL},
    {"cooling.facility.supply", F_QTY, DIM_TEMPERATURE, OFF(supply_C), 0, NULL, NULL, -50, 100, false,
     "Facility water supply set-point.", "cooling.facility.class=custom", NULL, NULL},
    {"cooling.facility.ambient", F_QTY, DIM_TEMPERATURE, OFF(ambient_C), 0, NULL, "20 degC", -60, 60, false,
     "Outdoor dry-bulb temperature at the heat rejection. Default 20 degC: a warm day at a temperate site "
     "(set it from the site's climate data).",
     NULL, NULL, NULL},
    {"cooling.facility.heat_rejection", F_ENUM, DIM_NONE, OFF(heat_rejection), 0, REJECTION, "hybrid", 0, 0, false,
     "`dry_cooler`: fans only; it cannot make water colder than ambient + approach, so the supply rises on "
     "hot days. `chiller`: compressors hold the set-point at a COP. `hybrid`: dry cooler, plus the chiller "
     "only when ambient + approach exceeds the set-point.",
     NULL, NULL, NULL},
    {"cooling.facility.dry_cooler.approach", F_QTY, DIM_TEMPERATURE, OFF(dc_approach_K), 0, NULL, "8 degC", 0, 100,
     false, "Difference between the water a dry cooler delivers and ambient (written in degC). Default 8 (estimate, "
     "typical 5-10 K).",
     NULL, NULL, NULL},
    {"cooling.facility.dry_cooler.fan_power", F_QTY, DIM_NONE, OFF(dc_fan_frac), 0, NULL, "0.015", 0, 1, false,
     "Dry cooler fan power per watt of heat rejected. Default 0.015 (estimate; docs/sources.md).", NULL, NULL,
     NULL},
    {"cooling.facility.chiller.carnot_fraction", F_QTY, DIM_NONE, OFF(chiller_carnot), 0, NULL, "0.51", 0, 1, true,
     "Chiller COP = fraction x T_supply[K] / lift, lift = ambient + dry-cooler approach - supply. Default "
     "0.51: ASHRAE 90.1 minimum for large water-cooled chillers (COP 6.28 at 6.7 degC leaving / 29.4 degC "
     "condenser water) (docs/sources.md).",
     NULL, NULL, NULL},
    {"cooling.facility.chiller.min_lift", F_QTY, DIM_TEMPERATURE, OFF(chiller_min_lift_K), 0, NULL, "5 degC", 0, 100,
     true, "Least lift (in degC) a running chiller works against; bounds the COP. Default 5 (estimate).", NULL,
     NULL, NULL},
    {"cooling.cdu.capacity", F_QTY, DIM_POWER, OFF(cdu_capacity_W), 0, NULL, "1.5 MW", 0, BIG, true,
     "Rated heat a CDU moves from the rack loops to facility water. Default 1.5 MW (REFERENCE: 1.4-2 MW).", NULL,
     NULL, NULL},
    {"cooling.cdu.approach", F_QTY, DIM_TEMPERATURE, OFF(cdu_approach_K), 0, NULL, "3.5 degC", 0, 100, false,
     "Secondary supply minus facility supply at rated capacity (in degC); it scales with load / capacity. "
     "Default 3.5 (REFERENCE: 3-4 K).",
     NULL, NULL, NULL},
    {"cooling.cdu.pump_power", F_QTY, DIM_NONE, OFF(cdu_pump_frac), 0, NULL, "0.035", 0, 1, false,
     "CDU pump power per watt of the design heat it serves, at full flow (the simulated racks' share of a "
     "CDU). Default 0.035 (REFERENCE: pumps ~3-4% of capacity).",
     NULL, NULL, NULL},
    {"cooling.cdu.racks", F_INT, DIM_NONE, OFF(racks_per_cdu), 0, NULL, "10", 1, 1048576, false,
     "Racks served by one CDU (rack r is on CDU r / racks). Default 10: 1.5 MW / ~130 kW GB200 racks.", NULL,
     NULL, NULL},
    {"cooling.cdu.other_load", F_QTY, DIM_POWER, OFF(cdu_other_W), 0, NULL, "0 W", 0, BIG, false,
     "Heat from racks on each CDU that are not simulated (constant); it raises the CDU's approach.", NULL, NULL,
     NULL},
    {"cooling.rack.accelerators", F_INT, DIM_NONE, OFF(accels_per_rack), 0, NULL, "0", 0, 1048576, false,
     "Accelerators per rack (rack r holds accelerators r*n .. r*n+n-1). `0`: one rack per supernode.", NULL,
     NULL, NULL},
    {"cooling.rack.flow", F_QTY, DIM_FLOW, OFF(rack_flow_m3ps), 0, NULL, "0 L/min", 0, BIG, false,
     "Coolant flow through one rack, shared among its cold plates in proportion to their design power. "
     "`0 L/min`: sized so that design power gives `design_rise` (1.5 L/min per kW for 10 K, REFERENCE).",
     NULL, NULL, NULL},
    {"cooling.rack.design_rise", F_QTY, DIM_TEMPERATURE, OFF(design_rise_K), 0, NULL, "10 degC", 0, 100, true,
     "Outlet minus inlet (in degC) at the rack's design power, used to size the default flow. Default 10 "
     "(REFERENCE: ~1.5 L/min per kW for a 10 K rise).",
     NULL, NULL, NULL},
    {"cooling.rack.coolant", F_ENUM, DIM_NONE, OFF(coolant), 0, COOLANTS, "pg25", 0, 0, false,
     "Secondary coolant: `water` or `pg25` (25% propylene glycol, the fluid of the cold-plate figures).", NULL,
     NULL, NULL},
    {"cooling.rack.lag", F_QTY, DIM_TIME, OFF(loop_lag_s), 0, NULL, "2 s", 0, BIG, true,
     "Coolant temperatures follow the rack heat averaged over this window, updated once per window while "
     "the heat changes. Default 2 s (REFERENCE: outlet lag ~2 s).",
     NULL, NULL, NULL},
    {"cooling.cold_plate.resistance", F_QTY, DIM_THERMAL_RES, OFF(cp_r_ref_KpW), 0, NULL, "0.025 K/W", 0, BIG, true,
     "Cold-plate resistance (base to coolant inlet) at the reference flow. Default 0.025 K/W at 1 L/min "
     "(REFERENCE: 1 kW cold plate, 25% PG).",
     NULL, NULL, NULL},
    {"cooling.cold_plate.reference_flow", F_QTY, DIM_FLOW, OFF(cp_q_ref_m3ps), 0, NULL, "1 L/min", 0, BIG, true,
     "Flow at which `resistance` holds.", NULL, NULL, NULL},
    {"cooling.cold_plate.resistance_limit", F_QTY, DIM_THERMAL_RES, OFF(cp_r_inf_KpW), 0, NULL, "0.0157 K/W", 0, BIG,
     false,
     "Resistance at unlimited flow: R(q) = limit + (resistance - limit) q_ref / q. Default 0.0157 K/W fits "
     "the REFERENCE points 0.039 / 0.025 / 0.020 K/W at 0.4 / 1.0 / 2.4 L/min within 3%.",
     NULL, NULL, NULL},
    FAULT("cdu_capacity", "CDU capacity", f_cdu, "cdu", "CDU that loses capacity.",
          "Share of its rated capacity the CDU keeps (its approach grows as 1 / remaining). `1`: no fault."),
    FAULT("pump", "CDU pump", f_pump, "cdu", "CDU whose pump fails.",
          "Share of the flow the CDU's remaining pumps deliver to every rack it serves. `1`: no fault."),
    FAULT("rack_flow", "rack flow", f_rack, "rack", "Rack whose flow is reduced (a clogged filter, a stuck valve).",
          "Share of its flow the rack keeps. `1`: no fault."),
};

static int check_fault(const scenario_t *sc, const cooling_fault *f, const char *name, int64_t count, diag_t *err)
{
    char path[96];
    if (f->until_s > 0 && f->until_s <= f->at_s) {
        snprintf(path, sizeof path, "cooling.faults.%s.until", name);
        return scenario_fail_at(sc, path, err, "'%s' must be after 'cooling.faults.%s.at' (or 0 s)", path, name);
    }
    if (f->remaining < 1 && f->index >= count) {
        bool rack = !strcmp(name, "rack_flow");
        snprintf(path, sizeof path, "cooling.faults.%s.%s", name, rack ? "rack" : "cdu");
        return scenario_fail_at(sc, path, err, "'%s' is %lld but the machine has %lld %s%s, numbered from 0", path,
                                (long long)f->index, (long long)count, rack ? "rack" : "CDU", count == 1 ? "" : "s");
    }
    return 0;
}

static int check(scenario_t *sc, diag_t *err)
{
    cooling_spec *c = &sc->cooling;
    if (c->facility_class != COOL_CUSTOM)
        c->supply_C = th_class_supply_C(c->facility_class);
    if (c->cp_r_inf_KpW > c->cp_r_ref_KpW)
        return scenario_fail_at(sc, "cooling.cold_plate.resistance_limit", err,
                                "'cooling.cold_plate.resistance_limit' (%g K/W) is above 'resistance' (%g K/W)",
                                c->cp_r_inf_KpW, c->cp_r_ref_KpW);
    /* Racks and CDUs of the machine: one rack per supernode by default. */
    int64_t all = sc->topo.total_accelerators > 0 ? sc->topo.total_accelerators : sc->topo.accelerators;
    int64_t per = c->accels_per_rack > 0 ? c->accels_per_rack : sc->topo.accelerators;
    if (per < 1)
        per = 1;
    int64_t racks = (all + per - 1) / per;
    int64_t cdus = (racks + c->racks_per_cdu - 1) / c->racks_per_cdu;
    if (check_fault(sc, &c->f_cdu, "cdu_capacity", cdus, err) || check_fault(sc, &c->f_pump, "pump", cdus, err) ||
        check_fault(sc, &c->f_rack, "rack_flow", racks, err))
        return -1;
    return 0;
}

const schema_part schema_part_cooling = {"cooling", FIELDS, SCHEMA_NFIELDS(FIELDS), check};
