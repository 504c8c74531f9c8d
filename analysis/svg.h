/* Charts as inline SVG for the HTML report: line charts (also CDFs), horizontal bar charts,
 * heat maps and timelines, with "nice" ticks and SI-prefixed axis labels. Output only: every
 * function writes one self-contained <svg> element to OUT and keeps nothing. Non-finite values
 * are skipped; an empty chart says "no data". Text is XML-escaped. */
#ifndef OAS_SVG_H
#define OAS_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef struct svg_series {
    const char *name;
    const double *x, *y;
    size_t n;
} svg_series;

typedef struct svg_axes {
    const char *title;
    const char *xlabel, *xunit; /* unit "1" or "": no unit shown */
    const char *ylabel, *yunit;
} svg_axes;

/* Lines (with point markers when MARKERS), one colour per series, legend when more than one. */
void svg_line_chart(FILE *out, const svg_axes *ax, const svg_series *s, size_t ns, bool markers);

/* Horizontal bars V[i] labelled LABELS[i], around zero (negative bars go left). */
void svg_bar_chart(FILE *out, const char *title, const char *unit, const char *const *labels, const double *v,
                   size_t n);

/* A ROWS x COLS matrix (row-major) as coloured cells: x = row (time: X0 + i*DX in XUNIT), y = column. */
void svg_heatmap(FILE *out, const svg_axes *ax, const double *m, size_t rows, size_t cols, double x0, double dx);

/* Bars from START[i] to END[i] (in XUNIT) on lane LANE[i] (0 .. nlanes-1), coloured by KIND[i]
 * (index into LEGEND, or -1). */
void svg_timeline(FILE *out, const svg_axes *ax, const double *start, const double *end, const int *lane,
                  const int *kind, size_t n, const char *const *legend, size_t nlegend);

/* A radar chart: NAXES (>= 3) spokes labelled AXES[i], one outline per series named SERIES[s],
 * V[s * NAXES + i] in [0, 1] (1 on the rim, clamped); a non-finite value leaves a gap. */
void svg_radar_chart(FILE *out, const char *title, const char *const *axes, size_t naxes, const char *const *series,
                     const double *v, size_t nseries);

/* Writes S with &, <, >, " escaped. */
void svg_escape(FILE *out, const char *s);

/* The colour of series I ("#1f77b4" ...). */
const char *svg_colour(size_t i);

#endif
