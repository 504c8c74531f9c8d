/* The cards as text: side by side for people (text, Markdown), one row per figure (CSV), one JSON
 * document, and the HDF5 file (one metrics table, plus the runs, designs and battery tables),
 * written through sim/trace so it follows the trace conventions (deterministic, atomic).
 * Invariant: every printed or stored figure carries its unit and better direction; NaN prints as
 * n/a (null in JSON, empty in CSV). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scorecard.h"
#include "trace.h"
#include "version.h"

int sc_format_parse(const char *s, sc_format *f)
{
    static const char *const N[] = {"text", "md", "csv", "json"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, N[i])) {
            *f = (sc_format)i;
            return 0;
        }
    return -1;
}

/* ---- values for people ---- */

char *sc_value_text(double v, const char *unit, char *buf, size_t len)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    static const struct {
        double f;
        const char *p;
    } UP[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}},
      DOWN[] = {{1, ""}, {1e-3, "m"}, {1e-6, "u"}, {1e-9, "n"}, {1e-12, "p"}};
    bool prefix = !strcmp(unit, "B/s") || !strcmp(unit, "W") || !strcmp(unit, "J") || !strcmp(unit, "s");
    if (!prefix || v == 0) {
        if (!strcmp(unit, "1"))
            snprintf(buf, len, "%.4g", v);
        else
            snprintf(buf, len, "%.4g %s", v, unit);
        return buf;
    }
    double a = fabs(v);
    if (a >= 1) {
        for (size_t i = 0; i < sizeof UP / sizeof UP[0]; i++)
            if (a >= UP[i].f || i + 1 == sizeof UP / sizeof UP[0]) {
                snprintf(buf, len, "%.4g %s%s", v / UP[i].f, UP[i].p, unit);
                return buf;
            }
    }
    for (size_t i = 1; i < sizeof DOWN / sizeof DOWN[0]; i++)
        if (a >= DOWN[i].f || i + 1 == sizeof DOWN / sizeof DOWN[0]) {
            snprintf(buf, len, "%.4g %s%s", v / DOWN[i].f, DOWN[i].p, unit);
            return buf;
        }
    snprintf(buf, len, "%.4g %s", v, unit);
    return buf;
}

/* Whether design I has the best value on metric M (ties: every one of them); false when fewer
 * than two designs have a value. */
static bool is_best(const sc_design *ds, size_t n, size_t i, size_t m)
{
    const sc_metric *mt = sc_metric_at(m);
    double b = NAN;
    size_t have = 0;
    for (size_t k = 0; k < n; k++) {
        double v = ds[k].value[m];
        if (!isfinite(v))
            continue;
        have++;
        if (isnan(b) || (mt->dir == SC_HIGHER ? v > b : v < b))
            b = v;
    }
    return have >= 2 && ds[i].value[m] == b;
}

/* ---- side by side ---- */

static void print_table(FILE *out, const sc_design *ds, size_t n, bool md)
{
    size_t nm = sc_nmetrics(), wname = strlen("metric"), wv = 12;
    for (size_t m = 0; m < nm; m++) {
        size_t l = strlen(sc_metric_at(m)->name) + 2;
        if (l > wname)
            wname = l;
    }
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        if (strlen(ds[i].name) + 1 > wv)
            wv = strlen(ds[i].name) + 1;
        for (size_t m = 0; m < nm; m++) {
            size_t l = strlen(sc_value_text(ds[i].value[m], sc_metric_at(m)->unit, buf, sizeof buf)) + 1;
            if (l > wv)
                wv = l;
        }
    }
    size_t ncat;
    const char *const *cats = sc_categories(&ncat);
    if (md) {
        fprintf(out, "OAS scorecard, battery version %d (docs/scorecard.md). **Bold**: the best design on the row.\n",
                SCORECARD_BATTERY_VERSION);
    } else {
        fprintf(out, "# OAS scorecard, battery version %d (docs/scorecard.md); better: higher or lower; * best\n",
                SCORECARD_BATTERY_VERSION);
    }
    for (size_t c = 0; c < ncat; c++) {
        if (md) {
            fprintf(out, "\n### %s\n\n| metric | unit | better |", cats[c]);
            for (size_t i = 0; i < n; i++)
                fprintf(out, " %s |", ds[i].name);
            fprintf(out, "\n|---|---|---|");
            for (size_t i = 0; i < n; i++)
                fprintf(out, "---:|");
            fputc('\n', out);
        } else {
            fprintf(out, "\n%-*s  %-4s  %-6s", (int)wname, cats[c], "unit", "better");
            for (size_t i = 0; i < n; i++)
                fprintf(out, "  %*s", (int)wv, ds[i].name);
            fputc('\n', out);
        }
        for (size_t m = 0; m < nm; m++) {
            const sc_metric *mt = sc_metric_at(m);
            if (strcmp(mt->category, cats[c]))
                continue;
            if (md)
                fprintf(out, "| %s | %s | %s |", mt->name, mt->unit, sc_dir_name(mt->dir));
            else
                fprintf(out, "  %-*s  %-4s  %-6s", (int)wname - 2, mt->name, mt->unit, sc_dir_name(mt->dir));
            for (size_t i = 0; i < n; i++) {
                sc_value_text(ds[i].value[m], mt->unit, buf, sizeof buf);
                if (md)
                    fprintf(out, is_best(ds, n, i, m) ? " **%s** |" : " %s |", buf);
                else
                    fprintf(out, "  %*s%c", (int)wv - 1, buf, is_best(ds, n, i, m) ? '*' : ' ');
            }
            fputc('\n', out);
        }
    }
    fprintf(out, md ? "\n### Sub-runs\n\n| design | run | status | layout or reason |\n|---|---|---|---|\n"
                    : "\nsub-runs (traces under each design's runs directory):\n");
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < SC_RUN__COUNT; r++) {
            const sc_run *run = &ds[i].runs[r];
            if (md)
                fprintf(out, "| %s | %s | %s | %s |\n", ds[i].name, sc_run_name((sc_run_id)r),
                        sc_run_status_name(run->status), run->note);
            else
                fprintf(out, "  %-20s %-20s %-8s %s\n", ds[i].name, sc_run_name((sc_run_id)r),
                        sc_run_status_name(run->status), run->note);
        }
}

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static void json_num(FILE *out, double v)
{
    if (isfinite(v))
        fprintf(out, "%.17g", v);
    else
        fputs("null", out);
}

static void print_json(FILE *out, const sc_design *ds, size_t n)
{
    fprintf(out, "{\n  \"battery_version\": %d,\n  \"designs\": [", SCORECARD_BATTERY_VERSION);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
        json_str(out, ds[i].name);
        fputs(", \"file\": ", out);
        json_str(out, ds[i].path);
        fprintf(out, ", \"accelerators\": %lld, \"topology\": ", (long long)ds[i].accelerators);
        json_str(out, ds[i].kind);
        fputs(", \"runs\": [", out);
        for (size_t r = 0; r < SC_RUN__COUNT; r++) {
            const sc_run *run = &ds[i].runs[r];
            fprintf(out, "%s\n      {\"run\": ", r ? "," : "");
            json_str(out, sc_run_name((sc_run_id)r));
            fputs(", \"status\": ", out);
            json_str(out, sc_run_status_name(run->status));
            fputs(", \"note\": ", out);
            json_str(out, run->note);
            fputs(", \"trace\": ", out);
            json_str(out, run->status == SC_ST_OK ? run->trace : "");
            fputc('}', out);
        }
        fputs("]}", out);
    }
    fputs("\n  ],\n  \"metrics\": [", out);
    for (size_t m = 0; m < sc_nmetrics(); m++) {
        const sc_metric *mt = sc_metric_at(m);
        fprintf(out, "%s\n    {\"category\": ", m ? "," : "");
        json_str(out, mt->category);
        fputs(", \"metric\": ", out);
        json_str(out, mt->name);
        fputs(", \"unit\": ", out);
        json_str(out, mt->unit);
        fputs(", \"direction\": ", out);
        json_str(out, sc_dir_name(mt->dir));
        fputs(", \"values\": {", out);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ", " : "", out);
            json_str(out, ds[i].name);
            fputs(": ", out);
            json_num(out, ds[i].value[m]);
        }
        fputs("}}", out);
    }
    fputs("\n  ]\n}\n", out);
}

void sc_print(FILE *out, const sc_design *ds, size_t n, sc_format f)
{
    switch (f) {
    case SC_FMT_TEXT:
    case SC_FMT_MD:
        print_table(out, ds, n, f == SC_FMT_MD);
        break;
    case SC_FMT_CSV:
        fputs("design,category,metric,value,unit,direction,battery_version\n", out);
        for (size_t i = 0; i < n; i++)
            for (size_t m = 0; m < sc_nmetrics(); m++) {
                const sc_metric *mt = sc_metric_at(m);
                csv_field(out, ds[i].name);
                fprintf(out, ",%s,%s,", mt->category, mt->name);
                if (isfinite(ds[i].value[m]))
                    fprintf(out, "%.17g", ds[i].value[m]);
                fprintf(out, ",%s,%s,%d\n", mt->unit, sc_dir_name(mt->dir), SCORECARD_BATTERY_VERSION);
            }
        break;
    case SC_FMT_JSON:
        print_json(out, ds, n);
        break;
    }
}

/* ---- HDF5 ---- */

typedef struct metric_row {
    char design[128];
    char category[16];
    char metric[64];
    double value;
    char unit[8];
    char direction[8];
    int64_t battery_version;
} metric_row;

static const trace_col METRIC_COLS[] = {
    {"design", TCOL_STR, offsetof(metric_row, design), 128, "", "the design's name"},
    {"category", TCOL_STR, offsetof(metric_row, category), 16, "", "interconnect, training, inference, efficiency, resilience"},
    {"metric", TCOL_STR, offsetof(metric_row, metric), 64, "", "metric name (docs/scorecard.md)"},
    {"value", TCOL_F64, offsetof(metric_row, value), 0, "", "the figure, in the row's unit (NaN: not measured)"},
    {"unit", TCOL_STR, offsetof(metric_row, unit), 8, "", "SI unit of value (1: dimensionless)"},
    {"direction", TCOL_STR, offsetof(metric_row, direction), 8, "", "higher or lower: which way is better"},
    {"battery_version", TCOL_I64, offsetof(metric_row, battery_version), 0, "1", "version of the battery"},
};

typedef struct run_row {
    char design[128];
    char run[32];
    char status[16];
    char trace[512];
    char note[320];
} run_row;

static const trace_col RUN_COLS[] = {
    {"design", TCOL_STR, offsetof(run_row, design), 128, "", "the design's name"},
    {"run", TCOL_STR, offsetof(run_row, run), 32, "", "sub-run (docs/scorecard.md)"},
    {"status", TCOL_STR, offsetof(run_row, status), 16, "", "ok, failed or skipped"},
    {"trace", TCOL_STR, offsetof(run_row, trace), 512, "", "its trace, relative to this file's directory (empty unless ok)"},
    {"note", TCOL_STR, offsetof(run_row, note), 320, "", "layout or failed component; why skipped or failed"},
};

typedef struct design_row {
    char design[128];
    char file[512];
    char topology[16];
    int64_t accelerators, accelerators_per_node, supernodes;
    char dense[256], moe[256], serving[256];
} design_row;

static const trace_col DESIGN_COLS[] = {
    {"design", TCOL_STR, offsetof(design_row, design), 128, "", "the design's name"},
    {"file", TCOL_STR, offsetof(design_row, file), 512, "", "the design file as given"},
    {"topology", TCOL_STR, offsetof(design_row, topology), 16, "", "scale-up topology kind"},
    {"accelerators", TCOL_I64, offsetof(design_row, accelerators), 0, "1", "accelerators"},
    {"accelerators_per_node", TCOL_I64, offsetof(design_row, accelerators_per_node), 0, "1", "accelerators per node"},
    {"supernodes", TCOL_I64, offsetof(design_row, supernodes), 0, "1", "supernodes"},
    {"dense", TCOL_STR, offsetof(design_row, dense), 256, "", "training layout of the dense reference model"},
    {"moe", TCOL_STR, offsetof(design_row, moe), 256, "", "training layout of the MoE reference model"},
    {"serving", TCOL_STR, offsetof(design_row, serving), 256, "", "serving layout and load"},
};

typedef struct battery_row {
    char category[16];
    char metric[64];
    char unit[8];
    char direction[8];
    char doc[200];
} battery_row;

static const trace_col BATTERY_COLS[] = {
    {"category", TCOL_STR, offsetof(battery_row, category), 16, "", "category"},
    {"metric", TCOL_STR, offsetof(battery_row, metric), 64, "", "metric name"},
    {"unit", TCOL_STR, offsetof(battery_row, unit), 8, "", "SI unit"},
    {"direction", TCOL_STR, offsetof(battery_row, direction), 8, "", "higher or lower: which way is better"},
    {"doc", TCOL_STR, offsetof(battery_row, doc), 200, "", "what it measures"},
};

#define NCOLS(c) (sizeof(c) / sizeof((c)[0]))

/* TRACE relative to DIR ("" when DIR is the current directory). */
static const char *relative(const char *trace, const char *dir)
{
    size_t l = strlen(dir);
    if (l && !strncmp(trace, dir, l) && trace[l] == '/')
        return trace + l + 1;
    return trace;
}

int sc_write_h5(const char *path, const sc_design *ds, size_t n, const char *azure_sha256, diag_t *err)
{
    trace_t *t = trace_new();
    if (!t)
        return diag_fail(err, "out of memory");
    char dir[4096] = "";
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    char created[32];
    time_t now = time(NULL);
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch && *epoch)
        now = (time_t)strtoll(epoch, NULL, 10);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    trace_attr_str(t, "kind", "oastwin-scorecard");
    trace_attr_i64(t, "battery_version", SCORECARD_BATTERY_VERSION);
    trace_attr_str(t, "software_version", OASTWIN_VERSION);
    trace_attr_str(t, "created", created);
    trace_attr_str(t, "azure_trace_sha256", azure_sha256 ? azure_sha256 : "");
    trace_table_t *tm = trace_table_create(t, "/scorecard/metrics", "the cards: one row per design and metric",
                                           METRIC_COLS, NCOLS(METRIC_COLS), sizeof(metric_row));
    trace_table_t *tr = trace_table_create(t, "/scorecard/runs", "every sub-run of every design", RUN_COLS,
                                           NCOLS(RUN_COLS), sizeof(run_row));
    trace_table_t *td = trace_table_create(t, "/scorecard/designs", "the designs rated", DESIGN_COLS,
                                           NCOLS(DESIGN_COLS), sizeof(design_row));
    trace_table_t *tb = trace_table_create(t, "/scorecard/battery", "the battery's metrics", BATTERY_COLS,
                                           NCOLS(BATTERY_COLS), sizeof(battery_row));
    int rc = 0;
    if (!tm || !tr || !td || !tb) {
        rc = diag_fail(err, "out of memory");
        goto out;
    }
    for (size_t m = 0; m < sc_nmetrics() && rc == 0; m++) {
        const sc_metric *mt = sc_metric_at(m);
        battery_row b;
        memset(&b, 0, sizeof b);
        snprintf(b.category, sizeof b.category, "%s", mt->category);
        snprintf(b.metric, sizeof b.metric, "%s", mt->name);
        snprintf(b.unit, sizeof b.unit, "%s", mt->unit);
        snprintf(b.direction, sizeof b.direction, "%s", sc_dir_name(mt->dir));
        snprintf(b.doc, sizeof b.doc, "%s", mt->doc);
        if (trace_table_append(tb, &b))
            rc = diag_fail(err, "out of memory");
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        const sc_design *d = &ds[i];
        design_row dr;
        memset(&dr, 0, sizeof dr);
        snprintf(dr.design, sizeof dr.design, "%s", d->name);
        snprintf(dr.file, sizeof dr.file, "%s", d->path);
        snprintf(dr.topology, sizeof dr.topology, "%s", d->kind);
        dr.accelerators = d->accelerators;
        dr.accelerators_per_node = d->per_node;
        dr.supernodes = d->supernodes;
        snprintf(dr.dense, sizeof dr.dense, "%s", d->dense.text);
        snprintf(dr.moe, sizeof dr.moe, "%s", d->moe.text);
        snprintf(dr.serving, sizeof dr.serving, "%s", d->serve.text);
        if (trace_table_append(td, &dr))
            rc = diag_fail(err, "out of memory");
        for (size_t m = 0; m < sc_nmetrics() && rc == 0; m++) {
            const sc_metric *mt = sc_metric_at(m);
            metric_row r;
            memset(&r, 0, sizeof r);
            snprintf(r.design, sizeof r.design, "%s", d->name);
            snprintf(r.category, sizeof r.category, "%s", mt->category);
            snprintf(r.metric, sizeof r.metric, "%s", mt->name);
            r.value = d->value[m];
            snprintf(r.unit, sizeof r.unit, "%s", mt->unit);
            snprintf(r.direction, sizeof r.direction, "%s", sc_dir_name(mt->dir));
            r.battery_version = SCORECARD_BATTERY_VERSION;
            if (trace_table_append(tm, &r))
                rc = diag_fail(err, "out of memory");
        }
        for (size_t k = 0; k < SC_RUN__COUNT && rc == 0; k++) {
            const sc_run *run = &d->runs[k];
            run_row r;
            memset(&r, 0, sizeof r);
            snprintf(r.design, sizeof r.design, "%s", d->name);
            snprintf(r.run, sizeof r.run, "%s", sc_run_name((sc_run_id)k));
            snprintf(r.status, sizeof r.status, "%s", sc_run_status_name(run->status));
            snprintf(r.trace, sizeof r.trace, "%s", run->status == SC_ST_OK ? relative(run->trace, dir) : "");
            snprintf(r.note, sizeof r.note, "%s", run->note);
            if (trace_table_append(tr, &r))
                rc = diag_fail(err, "out of memory");
        }
    }
    if (rc == 0) {
        int64_t st[4] = {0};
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < SC_RUN__COUNT; k++)
                st[ds[i].runs[k].status]++;
        trace_summary_i64(t, "designs", (int64_t)n, "1", "designs rated");
        trace_summary_i64(t, "metrics", (int64_t)sc_nmetrics(), "1", "metrics per design (battery_version)");
        trace_summary_i64(t, "runs_ok", st[SC_ST_OK], "1", "sub-runs that completed");
        trace_summary_i64(t, "runs_failed", st[SC_ST_FAILED], "1", "sub-runs that failed (their figures are NaN)");
        trace_summary_i64(t, "runs_skipped", st[SC_ST_SKIPPED], "1",
                          "sub-runs that do not apply to a design or found no layout");
        rc = trace_write(t, path, err);
    }
out:
    trace_free(t);
    return rc;
}
