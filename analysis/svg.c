/* Inline SVG charts for the HTML report. Invariant: every chart is one <svg> element of fixed
 * size with a viewBox, drawn only from finite values, its axes labelled with the unit scaled by
 * one SI prefix chosen for the whole axis (200 ms, 1.6 TB/s), so charts read like the tables. */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 760.0
#define H 320.0

static const char *const PALETTE[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

const char *svg_colour(size_t i)
{
    return PALETTE[i % (sizeof PALETTE / sizeof PALETTE[0])];
}

void svg_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, out);
        }
    }
}

/* ---- scales ---- */

typedef struct scale {
    double lo, hi;     /* data range shown */
    double p0, p1;     /* pixel range */
    double factor;     /* SI prefix factor of tick labels */
    char prefix[4];
    double step, first;
} scale;

static bool prefixable(const char *unit)
{
    return unit && *unit && strcmp(unit, "1") != 0 && strcmp(unit, "degC") != 0 && strcmp(unit, "%") != 0 &&
           strcmp(unit, "K") != 0;
}

static double nice_step(double range, int ticks)
{
    if (!(range > 0))
        return 1;
    double raw = range / ticks;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static void scale_init(scale *s, double lo, double hi, double p0, double p1, const char *unit, bool zero)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (zero) {
        if (lo > 0)
            lo = 0;
        if (hi < 0)
            hi = 0;
    }
    if (hi <= lo) {
        double d = lo != 0 ? fabs(lo) * 0.1 : 1;
        lo -= d;
        hi += d;
    }
    s->step = nice_step(hi - lo, 5);
    s->lo = floor(lo / s->step) * s->step;
    s->hi = ceil(hi / s->step) * s->step;
    s->first = s->lo;
    s->p0 = p0;
    s->p1 = p1;
    s->factor = 1;
    s->prefix[0] = '\0';
    double m = fmax(fabs(s->lo), fabs(s->hi));
    if (prefixable(unit) && m > 0) {
        static const char *const pre[] = {"f", "p", "n", "\xC2\xB5", "m", "", "k", "M", "G", "T", "P", "E"};
        int e = (int)floor(log10(m) / 3);
        if (e < -5)
            e = -5;
        if (e > 6)
            e = 6;
        s->factor = pow(10, 3 * e);
        snprintf(s->prefix, sizeof s->prefix, "%s", pre[e + 5]);
    }
}

static double px(const scale *s, double v)
{
    return s->p0 + (v - s->lo) / (s->hi - s->lo) * (s->p1 - s->p0);
}

static void tick_text(char *buf, size_t n, const scale *s, double v)
{
    double t = v / s->factor;
    if (fabs(t) < 1e-12 * fmax(1, fabs(s->hi / s->factor)))
        t = 0;
    snprintf(buf, n, "%.4g", t);
}

static void axis_label(FILE *out, const char *label, const scale *s, const char *unit)
{
    svg_escape(out, label ? label : "");
    if (unit && *unit && strcmp(unit, "1") != 0) {
        fputs(" (", out);
        svg_escape(out, s->prefix);
        svg_escape(out, strcmp(unit, "degC") == 0 ? "\xC2\xB0" "C" : unit);
        fputc(')', out);
    }
}

static void open_svg(FILE *out, const char *title)
{
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
                 "height=\"%.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
            W, H, W, H);
    fputs("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
    fputs("<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
    svg_escape(out, title);
    fputs("</text>\n", out);
}

static void no_data(FILE *out)
{
    fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n</svg>\n",
            W / 2, H / 2);
}

/* Frame, grid, ticks and axis titles. */
static void draw_axes(FILE *out, const scale *x, const scale *y, const svg_axes *ax, bool xticks)
{
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#fafafa\" stroke=\"#999\"/>\n",
            x->p0, y->p1, x->p1 - x->p0, y->p0 - y->p1);
    char buf[64];
    for (double v = y->first; v <= y->hi + y->step * 1e-9; v += y->step) {
        double py = px(y, v);
        tick_text(buf, sizeof buf, y, v);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                x->p0, py, x->p1, py, x->p0 - 4, py + 4, buf);
    }
    if (xticks)
        for (double v = x->first; v <= x->hi + x->step * 1e-9; v += x->step) {
            double pxv = px(x, v);
            tick_text(buf, sizeof buf, x, v);
            fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>"
                         "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                    pxv, y->p0, pxv, y->p1, pxv, y->p0 + 16, buf);
        }
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (x->p0 + x->p1) / 2, H - 8);
    axis_label(out, ax->xlabel, x, ax->xunit);
    fprintf(out, "</text>\n<text transform=\"translate(14,%.1f) rotate(-90)\" text-anchor=\"middle\">",
            (y->p0 + y->p1) / 2);
    axis_label(out, ax->ylabel, y, ax->yunit);
    fputs("</text>\n", out);
}

static void legend(FILE *out, double x0, const char *const *names, size_t n)
{
    size_t shown = n > 14 ? 13 : n;
    for (size_t i = 0; i < shown; i++) {
        double y = 40 + 16.0 * (double)i;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\">",
                x0, y - 9, svg_colour(i), x0 + 14, y);
        char cut[40];
        snprintf(cut, sizeof cut, "%s", names[i] ? names[i] : "");
        if (names[i] && strlen(names[i]) >= sizeof cut)
            memcpy(cut + sizeof cut - 4, "...", 4);
        svg_escape(out, cut);
        fputs("</text>\n", out);
    }
    if (shown < n)
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#666\">+%zu more</text>\n", x0, 40 + 16.0 * (double)shown,
                n - shown);
}

/* ---- charts ---- */

void svg_line_chart(FILE *out, const svg_axes *ax, const svg_series *s, size_t ns, bool markers)
{
    open_svg(out, ax->title);
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++)
            if (isfinite(s[k].x[i]) && isfinite(s[k].y[i])) {
                xlo = fmin(xlo, s[k].x[i]);
                xhi = fmax(xhi, s[k].x[i]);
                ylo = fmin(ylo, s[k].y[i]);
                yhi = fmax(yhi, s[k].y[i]);
            }
    if (!isfinite(xlo)) {
        no_data(out);
        return;
    }
    double right = ns > 1 ? W - 190 : W - 20;
    scale x, y;
    scale_init(&x, xlo, xhi, 70, right, ax->xunit, false);
    scale_init(&y, ylo, yhi, H - 45, 30, ax->yunit, true);
    draw_axes(out, &x, &y, ax, true);
    for (size_t k = 0; k < ns; k++) {
        fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\" points=\"", svg_colour(k));
        for (size_t i = 0; i < s[k].n; i++)
            if (isfinite(s[k].x[i]) && isfinite(s[k].y[i]))
                fprintf(out, "%.1f,%.1f ", px(&x, s[k].x[i]), px(&y, s[k].y[i]));
        fputs("\"/>\n", out);
        if (markers)
            for (size_t i = 0; i < s[k].n; i++)
                if (isfinite(s[k].x[i]) && isfinite(s[k].y[i]))
                    fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(&x, s[k].x[i]),
                            px(&y, s[k].y[i]), svg_colour(k));
    }
    if (ns > 1) {
        const char **names = calloc(ns, sizeof *names);
        if (names) {
            for (size_t k = 0; k < ns; k++)
                names[k] = s[k].name;
            legend(out, W - 180, names, ns);
            free(names);
        }
    }
    fputs("</svg>\n", out);
}

void svg_bar_chart(FILE *out, const char *title, const char *unit, const char *const *labels, const double *v,
                   size_t n)
{
    size_t shown = n > 40 ? 40 : n;
    double bar = 16, top = 30;
    double h = top + bar * (double)shown + 40;
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
                 "height=\"%.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
            W, h, W, h);
    fputs("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
    fputs("<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
    svg_escape(out, title);
    fputs("</text>\n", out);
    double lo = 0, hi = 0;
    for (size_t i = 0; i < shown; i++)
        if (isfinite(v[i])) {
            lo = fmin(lo, v[i]);
            hi = fmax(hi, v[i]);
        }
    scale x;
    scale_init(&x, lo, hi, 300, W - 30, unit, true);
    char buf[64];
    for (double t = x.first; t <= x.hi + x.step * 1e-9; t += x.step) {
        tick_text(buf, sizeof buf, &x, t);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>"
                     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                px(&x, t), top, px(&x, t), top + bar * (double)shown, px(&x, t), top + bar * (double)shown + 14, buf);
    }
    for (size_t i = 0; i < shown; i++) {
        double y = top + bar * (double)i;
        fprintf(out, "<text x=\"292\" y=\"%.1f\" text-anchor=\"end\">", y + 12);
        char cut[46]; /* about 280 px of text left of the axis */
        snprintf(cut, sizeof cut, "%s", labels[i] ? labels[i] : "");
        if (labels[i] && strlen(labels[i]) >= sizeof cut)
            memcpy(cut + sizeof cut - 4, "...", 4);
        svg_escape(out, cut);
        fputs("</text>\n", out);
        if (!isfinite(v[i]))
            continue;
        double a = px(&x, 0), b = px(&x, v[i]);
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", fmin(a, b), y + 2,
                fmax(fabs(b - a), 0.5), bar - 4, v[i] < 0 ? "#d62728" : "#1f77b4");
    }
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n", px(&x, 0), top,
            px(&x, 0), top + bar * (double)shown);
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", (300 + W - 30) / 2, h - 8);
    axis_label(out, "", &x, unit);
    fputs("</text>\n</svg>\n", out);
}

/* Viridis-like ramp from dark blue to yellow. */
static void ramp(double t, char *buf, size_t n)
{
    static const double c[5][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    if (!(t >= 0))
        t = 0;
    if (t > 1)
        t = 1;
    double f = t * 4;
    int i = (int)f;
    if (i > 3)
        i = 3;
    f -= i;
    snprintf(buf, n, "#%02x%02x%02x", (int)(c[i][0] + f * (c[i + 1][0] - c[i][0])),
             (int)(c[i][1] + f * (c[i + 1][1] - c[i][1])), (int)(c[i][2] + f * (c[i + 1][2] - c[i][2])));
}

void svg_heatmap(FILE *out, const svg_axes *ax, const double *m, size_t rows, size_t cols, double x0, double dx)
{
    open_svg(out, ax->title);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < rows * cols; i++)
        if (isfinite(m[i])) {
            lo = fmin(lo, m[i]);
            hi = fmax(hi, m[i]);
        }
    if (!isfinite(lo) || rows == 0 || cols == 0) {
        no_data(out);
        return;
    }
    scale x, y;
    scale_init(&x, x0, x0 + dx * (double)rows, 70, W - 110, ax->xunit, false);
    scale_init(&y, 0, (double)cols, H - 45, 30, "1", false);
    x.lo = x0;
    x.hi = x0 + dx * (double)rows;
    y.lo = 0;
    y.hi = (double)cols;
    draw_axes(out, &x, &y, ax, true);
    /* At most 300 x 120 cells: rows and columns are binned (mean) beyond that. */
    size_t br = rows > 300 ? (rows + 299) / 300 : 1, bc = cols > 120 ? (cols + 119) / 120 : 1;
    char col[16];
    for (size_t r = 0; r < rows; r += br)
        for (size_t c = 0; c < cols; c += bc) {
            double sum = 0;
            size_t cnt = 0;
            for (size_t i = r; i < r + br && i < rows; i++)
                for (size_t j = c; j < c + bc && j < cols; j++)
                    if (isfinite(m[i * cols + j])) {
                        sum += m[i * cols + j];
                        cnt++;
                    }
            if (!cnt)
                continue;
            ramp(hi > lo ? (sum / (double)cnt - lo) / (hi - lo) : 0.5, col, sizeof col);
            double xa = px(&x, x0 + dx * (double)r), xb = px(&x, x0 + dx * (double)(r + br < rows ? r + br : rows));
            double ya = px(&y, (double)c), yb = px(&y, (double)(c + bc < cols ? c + bc : cols));
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n", xa, yb,
                    xb - xa + 0.3, ya - yb + 0.3, col);
        }
    /* colour bar */
    for (int k = 0; k < 20; k++) {
        ramp(k / 19.0, col, sizeof col);
        fprintf(out, "<rect x=\"%.0f\" y=\"%.1f\" width=\"14\" height=\"%.1f\" fill=\"%s\"/>\n", W - 95,
                H - 45 - (k + 1) * (H - 75) / 20, (H - 75) / 20 + 0.5, col);
    }
    scale v;
    scale_init(&v, lo, hi, 0, 1, ax->yunit, false);
    char a[64], b[64];
    snprintf(a, sizeof a, "%.4g", lo / v.factor);
    snprintf(b, sizeof b, "%.4g", hi / v.factor);
    fprintf(out, "<text x=\"%.0f\" y=\"%.0f\">%s</text><text x=\"%.0f\" y=\"%.0f\">%s</text>\n", W - 78, H - 45.0, a,
            W - 78, 40.0, b);
    fprintf(out, "<text x=\"%.0f\" y=\"%.0f\">", W - 78, H / 2);
    axis_label(out, "", &v, ax->yunit);
    fputs("</text>\n</svg>\n", out);
}

void svg_timeline(FILE *out, const svg_axes *ax, const double *start, const double *end, const int *lane,
                  const int *kind, size_t n, const char *const *legend_names, size_t nlegend)
{
    open_svg(out, ax->title);
    double lo = INFINITY, hi = -INFINITY;
    int nl = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(start[i]) && isfinite(end[i])) {
            lo = fmin(lo, start[i]);
            hi = fmax(hi, end[i]);
            if (lane[i] + 1 > nl)
                nl = lane[i] + 1;
        }
    if (!isfinite(lo)) {
        no_data(out);
        return;
    }
    double right = nlegend > 0 ? W - 190 : W - 20;
    scale x, y;
    scale_init(&x, lo, hi, 70, right, ax->xunit, false);
    scale_init(&y, 0, nl, H - 45, 30, "1", false);
    y.lo = 0;
    y.hi = nl;
    y.step = nice_step(nl, 5);
    if (y.step < 1)
        y.step = 1;
    draw_axes(out, &x, &y, ax, true);
    double lh = (y.p0 - y.p1) / (nl ? nl : 1);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(start[i]) || !isfinite(end[i]))
            continue;
        double xa = px(&x, start[i]), xb = px(&x, end[i]);
        double yt = px(&y, lane[i] + 1);
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\" fill-opacity=\"0.85\"/>\n",
                xa, yt + lh * 0.1, fmax(xb - xa, 0.6), lh * 0.8, kind[i] >= 0 ? svg_colour((size_t)kind[i]) : "#1f77b4");
    }
    if (nlegend > 0)
        legend(out, W - 180, legend_names, nlegend);
    fputs("</svg>\n", out);
}

/* ---- radar chart (the scorecard's category charts) ---- */

void svg_radar_chart(FILE *out, const char *title, const char *const *axes, size_t naxes, const char *const *series,
                     const double *v, size_t nseries)
{
    double w = 980, h = 460, cx = 440, cy = 250, r = 170; /* room for 34-character labels on both sides */
    fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
                 "height=\"%.0f\" font-family=\"sans-serif\" font-size=\"10\">\n",
            w, h, w, h);
    fputs("<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", out);
    fputs("<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">", out);
    svg_escape(out, title);
    fputs("</text>\n", out);
    if (naxes < 3 || nseries == 0) {
        fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n</svg>\n", cx,
                cy);
        return;
    }
    for (int ring = 1; ring <= 4; ring++) { /* grid at 0.25 .. 1 */
        fputs("<polygon fill=\"none\" stroke=\"#e0e0e0\" points=\"", out);
        for (size_t i = 0; i < naxes; i++) {
            double a = 2 * M_PI * (double)i / (double)naxes - M_PI / 2, q = r * ring / 4.0;
            fprintf(out, "%.1f,%.1f ", cx + q * cos(a), cy + q * sin(a));
        }
        fputs("\"/>\n", out);
    }
    for (size_t i = 0; i < naxes; i++) {
        double a = 2 * M_PI * (double)i / (double)naxes - M_PI / 2, ca = cos(a), sa = sin(a);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d0d0d0\"/>\n", cx, cy,
                cx + r * ca, cy + r * sa);
        const char *anchor = ca > 0.2 ? "start" : ca < -0.2 ? "end" : "middle";
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", cx + (r + 8) * ca, cy + (r + 8) * sa + 3 + 4 * sa,
                anchor);
        char cut[35];
        snprintf(cut, sizeof cut, "%s", axes[i] ? axes[i] : "");
        if (axes[i] && strlen(axes[i]) >= sizeof cut)
            memcpy(cut + sizeof cut - 4, "...", 4);
        svg_escape(out, cut);
        fputs("</text>\n", out);
    }
    for (size_t s = 0; s < nseries; s++) {
        const double *x = v + s * naxes;
        bool all = true;
        for (size_t i = 0; i < naxes; i++)
            all = all && isfinite(x[i]);
        /* runs of finite values are joined; a non-finite value leaves a gap */
        fprintf(out, "<path fill=\"%s\" fill-opacity=\"%s\" stroke=\"%s\" stroke-width=\"1.8\" d=\"", svg_colour(s),
                all ? "0.12" : "0", svg_colour(s));
        bool pen = false;
        for (size_t k = 0; k <= naxes; k++) {
            size_t i = k % naxes;
            if (k == naxes && !all)
                break;
            if (!isfinite(x[i])) {
                pen = false;
                continue;
            }
            double a = 2 * M_PI * (double)i / (double)naxes - M_PI / 2, q = r * fmin(fmax(x[i], 0), 1);
            fprintf(out, "%c%.1f,%.1f ", pen ? 'L' : 'M', cx + q * cos(a), cy + q * sin(a));
            pen = true;
        }
        fputs(all ? "Z\"/>\n" : "\"/>\n", out);
        for (size_t i = 0; i < naxes; i++)
            if (isfinite(x[i])) {
                double a = 2 * M_PI * (double)i / (double)naxes - M_PI / 2, q = r * fmin(fmax(x[i], 0), 1);
                fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", cx + q * cos(a),
                        cy + q * sin(a), svg_colour(s));
            }
    }
    legend(out, w - 170, series, nseries);
    fputs("</svg>\n", out);
}
