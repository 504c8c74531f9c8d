/* The HTML report: one self-contained page (inline CSS and SVG, no external assets) with the
 * summary tables and the main charts of one trace, of several traces compared, or of a sweep.
 * Which charts appear is decided from the file's datasets (time series, start/end tables,
 * latency columns, matrices), so new models' datasets show up without changes here.
 * Ownership: everything passed in is borrowed. */
#ifndef OAS_REPORT_HTML_H
#define OAS_REPORT_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "h5read.h"
#include "sweep.h"

typedef struct html_run {
    const char *label;
    const char *path; /* trace file ("" for a sweep point that has none) */
    const h5r_attr *attrs;
    size_t nattrs;
    const h5r_figure *figs;
    size_t nfigs;
} html_run;

/* One trace (NRUNS = 1, charts from its datasets), or a comparison (NRUNS > 1: side-by-side
 * table and relative-difference charts). SWEEP, when not NULL, is the index the runs came from:
 * the page then shows the points table and metric-versus-parameter charts. */
void html_report(FILE *out, const char *title, const html_run *runs, size_t nruns, const sweep_index *sweep);

#endif
