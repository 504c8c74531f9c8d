/* The cards as one self-contained HTML page (inline CSS and SVG through analysis/svg.c): the
 * designs, then per category a radar chart of scores relative to the best design on the page, the
 * side-by-side table with units and better directions, and a bar chart per metric in its own
 * unit; last, every sub-run. Invariant: scores are only for the charts; tables show the values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/svg.h"
#include "scorecard.h"

/* Score of design I on metric M in [0, 1], 1 for the best design (NaN when not measured): the
 * ratio to the best when every value is positive, else the position between worst and best. */
static double score(const sc_design *ds, size_t n, size_t i, size_t m)
{
    double v = ds[i].value[m];
    if (!isfinite(v))
        return NAN;
    bool higher = sc_metric_at(m)->dir == SC_HIGHER, positive = true;
    double b = v, w = v;
    for (size_t k = 0; k < n; k++) {
        double x = ds[k].value[m];
        if (!isfinite(x))
            continue;
        positive = positive && x > 0;
        b = higher ? fmax(b, x) : fmin(b, x);
        w = higher ? fmin(w, x) : fmax(w, x);
    }
    if (b == w)
        return 1;
    if (positive)
        return higher ? v / b : b / v;
    return (v - w) / (b - w);
}

static void esc(FILE *out, const char *s)
{
    svg_escape(out, s);
}

static const char CSS[] =
    "body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}"
    "table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
    "th{background:#f0f0f0;text-align:left}td.v{text-align:right;font-variant-numeric:tabular-nums}"
    "td.best{font-weight:bold;background:#eef7ee}td.na{color:#999;text-align:right}"
    ".charts{display:flex;flex-wrap:wrap;gap:8px}.charts svg{max-width:100%;height:auto}"
    "details{margin:8px 0 24px}code{font-size:12px}";

int sc_write_html(const char *path, const sc_design *ds, size_t n, diag_t *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "w");
    if (!out)
        return diag_fail(err, "cannot write '%s'", path);
    fprintf(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>OAS scorecard</title><style>%s</style>"
                 "</head><body>\n",
            CSS);
    fprintf(out, "<h1>OAS scorecard</h1>\n<p>Battery version %d (docs/scorecard.md). Every figure has a unit and a "
                 "better direction; in the tables the best design on each row is in bold. Radar charts show scores "
                 "relative to the best design on this page (1 on the rim); a gap is a figure that was not measured "
                 "(see the sub-runs).</p>\n",
            SCORECARD_BATTERY_VERSION);
    fputs("<h2>Designs</h2>\n<table><tr><th>design</th><th>file</th><th>topology</th><th>accelerators</th>"
          "<th>dense training</th><th>MoE training</th><th>serving</th></tr>\n",
          out);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td>", out);
        esc(out, ds[i].name);
        fputs("</td><td><code>", out);
        esc(out, ds[i].path);
        fputs("</code></td><td>", out);
        esc(out, ds[i].kind);
        fprintf(out, "</td><td class=\"v\">%lld</td><td>", (long long)ds[i].accelerators);
        esc(out, ds[i].dense.text);
        fputs("</td><td>", out);
        esc(out, ds[i].moe.text);
        fputs("</td><td>", out);
        esc(out, ds[i].serve.text);
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n", out);
    size_t ncat, nm = sc_nmetrics();
    const char *const *cats = sc_categories(&ncat);
    const char **axes = malloc(nm * sizeof *axes), **names = malloc((n ? n : 1) * sizeof *names);
    double *v = malloc((nm * (n ? n : 1)) * sizeof *v), *col = malloc((n ? n : 1) * sizeof *col);
    if (!axes || !names || !v || !col) {
        free(axes);
        free(names);
        free(v);
        free(col);
        fclose(out);
        remove(tmp);
        return diag_fail(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        names[i] = ds[i].name;
    for (size_t c = 0; c < ncat; c++) {
        size_t na = 0;
        size_t idx[128];
        for (size_t m = 0; m < nm && na < 128; m++)
            if (!strcmp(sc_metric_at(m)->category, cats[c]))
                idx[na++] = m;
        for (size_t i = 0; i < n; i++)
            for (size_t a = 0; a < na; a++) {
                axes[a] = sc_metric_at(idx[a])->name;
                v[i * na + a] = score(ds, n, i, idx[a]);
            }
        fprintf(out, "<h2>%s</h2>\n<div class=\"charts\">\n", cats[c]);
        char title[96];
        snprintf(title, sizeof title, "%s: score relative to the best design", cats[c]);
        svg_radar_chart(out, title, axes, na, names, v, n);
        fputs("</div>\n<table><tr><th>metric</th><th>unit</th><th>better</th>", out);
        for (size_t i = 0; i < n; i++) {
            fputs("<th>", out);
            esc(out, ds[i].name);
            fputs("</th>", out);
        }
        fputs("</tr>\n", out);
        for (size_t a = 0; a < na; a++) {
            const sc_metric *mt = sc_metric_at(idx[a]);
            fputs("<tr><td title=\"", out);
            esc(out, mt->doc);
            fputs("\">", out);
            esc(out, mt->name);
            fprintf(out, "</td><td>%s</td><td>%s</td>", mt->unit, sc_dir_name(mt->dir));
            size_t have = 0;
            for (size_t i = 0; i < n; i++)
                have += isfinite(ds[i].value[idx[a]]) ? 1 : 0;
            for (size_t i = 0; i < n; i++) {
                char buf[64];
                double x = ds[i].value[idx[a]];
                sc_value_text(x, mt->unit, buf, sizeof buf);
                const char *cls = !isfinite(x) ? "na" : have >= 2 && v[i * na + a] == 1 ? "v best" : "v";
                fprintf(out, "<td class=\"%s\">", cls);
                esc(out, buf);
                fputs("</td>", out);
            }
            fputs("</tr>\n", out);
        }
        fputs("</table>\n<details><summary>one bar chart per metric</summary><div class=\"charts\">\n", out);
        for (size_t a = 0; a < na; a++) {
            const sc_metric *mt = sc_metric_at(idx[a]);
            for (size_t i = 0; i < n; i++)
                col[i] = ds[i].value[idx[a]];
            char t[160];
            snprintf(t, sizeof t, "%s (%s is better)", mt->name, sc_dir_name(mt->dir));
            svg_bar_chart(out, t, mt->unit, names, col, n);
        }
        fputs("</div></details>\n", out);
    }
    fputs("<h2>Sub-runs</h2>\n<table><tr><th>design</th><th>run</th><th>status</th><th>layout, component or "
          "reason</th><th>trace</th></tr>\n",
          out);
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < SC_RUN__COUNT; r++) {
            const sc_run *run = &ds[i].runs[r];
            fputs("<tr><td>", out);
            esc(out, ds[i].name);
            fprintf(out, "</td><td>%s</td><td>%s</td><td>", sc_run_name((sc_run_id)r), sc_run_status_name(run->status));
            esc(out, run->note);
            fputs("</td><td><code>", out);
            esc(out, run->status == SC_ST_OK ? run->trace : "");
            fputs("</code></td></tr>\n", out);
        }
    fputs("</table>\n</body></html>\n", out);
    free(axes);
    free(names);
    free(v);
    free(col);
    if (fclose(out) || rename(tmp, path)) {
        remove(tmp);
        return diag_fail(err, "cannot write '%s'", path);
    }
    return 0;
}
