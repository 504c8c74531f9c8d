"""Plots of traces and sweeps with matplotlib (Agg backend: files, no display).

Datasets are found by shape and column names, not by a fixed list, so new models' tables show up:
a table with `start` and `end` columns (s) is a timeline, a `time` column makes a time series,
`ttft`/`tpot` columns are latency distributions, a matrix or table naming links is link
utilisation. Each function returns a list of notes saying what it plotted and what it needed
but did not find.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LANES = ("rank", "accelerator", "replica", "lane", "device", "node", "group")
KINDS = ("phase", "kind", "op", "state", "type", "name")


def _save(fig, out):
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def timeline(trace, out, table=None, max_rows=5000):
    """Iteration timeline: intervals (start..end) per lane (rank, accelerator, replica...),
    coloured by phase/kind/op. Prefers tables whose path names phases or iterations."""
    notes = []
    cands = [table] if table else trace.find_tables("start", "end", unit="s")
    if not cands:
        notes.append("no table with start and end columns (s); nothing to draw")
        return notes
    prefer = [p for p in cands if any(w in p for w in ("phase", "op", "iteration"))]
    path = (prefer or cands)[0]
    t = trace.table(path)[:max_rows]
    lane_col = next((c for c in LANES if c in t.dtype.names), None)
    kind_col = next((c for c in KINDS if c in t.dtype.names and t.dtype[c].kind == "U"), None)
    lanes = t[lane_col] if lane_col else np.zeros(len(t), int)
    kinds = t[kind_col] if kind_col else np.array(["interval"] * len(t))
    names = list(dict.fromkeys(kinds.tolist()))
    fig, ax = plt.subplots(figsize=(10, 4 + 0.1 * min(len(set(lanes.tolist())), 40)))
    cmap = plt.get_cmap("tab10")
    units = trace.units(path)
    phases = [c for c, u in units.items() if u == "s" and c not in ("start", "end", "duration", "time")
              and t.dtype[c].kind == "f"]
    if kind_col is None and phases:
        # No phase column: the row's per-phase durations (compute, exposed_comm, bubble ...)
        # stacked from its start, so each interval shows where its time went.
        left = t["start"].astype(float).copy()
        for k, c in enumerate(phases):
            ax.barh(lanes, t[c], left=left, height=0.8, color=cmap(k % 10), label=c)
            left = left + t[c]
        names = phases
        kind_col = "columns " + ", ".join(phases)
    else:
        for k, name in enumerate(names):
            sel = kinds == name
            ax.barh(lanes[sel], (t["end"] - t["start"])[sel], left=t["start"][sel], height=0.8,
                    color=cmap(k % 10), label=name)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(lane_col or "row")
    ax.set_title("%s timeline" % path)
    if len(names) > 1:
        ax.legend(loc="upper right", fontsize=8)
    _save(fig, out)
    notes.append("timeline of %s (%d rows, lanes by %s, colours by %s)" % (path, len(t), lane_col, kind_col))
    return notes


def links(trace, out):
    """Link utilisation heat map (time x link) from a matrix or table that names link
    utilisation; without one, says so and plots each link's bandwidth from /topology/links."""
    notes = []
    mats = [p for p in trace.datasets() if "link" in p and "util" in p]
    fig, ax = plt.subplots(figsize=(10, 5))
    if mats:
        path = mats[0]
        if trace.kind(path) == "matrix":
            m = trace.matrix(path)
        else:  # a table: time x link from (time, link, utilisation) rows
            t = trace.table(path)
            ucol = next(c for c in t.dtype.names if "util" in c)
            lcol = next((c for c in t.dtype.names if c in ("link", "link_id", "id")), None)
            tcol = "time" if "time" in t.dtype.names else None
            if lcol is None or tcol is None:
                m = t[ucol][:, None]
            else:
                times = np.unique(t[tcol])
                ids = np.unique(t[lcol])
                m = np.full((len(times), len(ids)), np.nan)
                m[np.searchsorted(times, t[tcol]), np.searchsorted(ids, t[lcol])] = t[ucol]
        im = ax.imshow(np.asarray(m, float).T, aspect="auto", origin="lower", interpolation="nearest",
                       cmap="viridis")
        fig.colorbar(im, ax=ax, label="utilisation")
        ax.set_xlabel("sample")
        ax.set_ylabel("link")
        ax.set_title("%s" % path)
        notes.append("heat map of %s" % path)
    else:
        notes.append("this trace has no link-utilisation dataset (a matrix or table whose path names "
                     "'link' and 'util', e.g. /timeseries/link_utilization); plotting per-link "
                     "bandwidth from /topology/links instead")
        if "/topology/links" in trace.file:
            t = trace.table("/topology/links")
            ax.bar(t["id"], t["bandwidth"] / 1e9, color="#1f77b4")
            ax.set_xlabel("link id")
            ax.set_ylabel("bandwidth (GB/s)")
            ax.set_title("/topology/links: bandwidth per link (no utilisation recorded)")
        else:
            ax.text(0.5, 0.5, "no link data", ha="center")
    _save(fig, out)
    return notes


def power_thermal(trace, out):
    """Power (W) and temperature (degC) over time: table columns with those units against a
    `time` column, and matrices under paths naming power or thermal/temperature against
    row x run.sample_interval."""
    notes = []
    series = {"W": [], "degC": []}
    for p in trace.datasets():
        k = trace.kind(p)
        if k == "table":
            u = trace.units(p)
            if u.get("time") != "s":
                continue
            t = trace.table(p)
            for c, unit in u.items():
                if unit in series and c != "time":
                    series[unit].append(("%s:%s" % (p, c), t["time"], t[c]))
        elif k == "matrix" and any(w in p for w in ("power", "thermal", "temp")):
            unit = trace.units(p)
            if unit not in series:
                continue
            m = trace.matrix(p)
            dt = trace.sample_interval() or 1.0
            x = np.arange(m.shape[0]) * dt
            if m.shape[1] <= 8:
                cols = trace.columns(p) or [str(i) for i in range(m.shape[1])]
                for i in range(m.shape[1]):
                    series[unit].append(("%s:%s" % (p, cols[i] if i < len(cols) else i), x, m[:, i]))
            else:
                series[unit].append(("%s (mean)" % p, x, m.mean(axis=1)))
                series[unit].append(("%s (max)" % p, x, m.max(axis=1)))
    fig, axes = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    for ax, (unit, label) in zip(axes, (("W", "power (W)"), ("degC", "temperature (\u00b0C)"))):
        for name, x, y in series[unit][:10]:
            ax.plot(x, y, label=name)
        ax.set_ylabel(label)
        if series[unit]:
            ax.legend(fontsize=7)
            notes.append("%d %s series" % (len(series[unit]), label))
        else:
            ax.text(0.5, 0.5, "no %s time series in this trace" % label, ha="center", transform=ax.transAxes)
            notes.append("no %s time series (needs a table with time and a %s column, or a matrix "
                         "under a power/thermal path)" % (label, unit))
    axes[1].set_xlabel("time (s)")
    _save(fig, out)
    return notes


def latency(trace, out):
    """TTFT and TPOT distributions (histogram and CDF) from any table with such columns."""
    notes = []
    cols = []
    for p in trace.datasets():
        if trace.kind(p) != "table":
            continue
        for c, unit in trace.units(p).items():
            if unit == "s" and any(w in c.lower() for w in ("ttft", "tpot")):
                cols.append((p, c))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    if not cols:
        for ax in axes:
            ax.text(0.5, 0.5, "no TTFT/TPOT columns (inference runs write /inference/requests)",
                    ha="center", transform=ax.transAxes, fontsize=8)
        notes.append("no TTFT/TPOT columns in this trace (an inference run writes /inference/requests)")
    for p, c in cols[:4]:
        v = trace.table(p)[c]
        v = v[np.isfinite(v)]
        if not len(v):
            continue
        axes[0].hist(v * 1e3, bins=40, alpha=0.6, label="%s %s" % (p, c))
        xs = np.sort(v) * 1e3
        axes[1].plot(xs, np.arange(1, len(xs) + 1) / len(xs), label=c)
        notes.append("%s:%s, %d values, p50 %.4g ms, p99 %.4g ms" % (p, c, len(v), np.percentile(v, 50) * 1e3,
                                                                    np.percentile(v, 99) * 1e3))
    axes[0].set_xlabel("ms")
    axes[0].set_ylabel("requests")
    axes[1].set_xlabel("ms")
    axes[1].set_ylabel("fraction")
    for ax in axes:
        if cols:
            ax.legend(fontsize=7)
    _save(fig, out)
    return notes


def sweep(sw, out, metric, x=None, by=None):
    """METRIC (a /summary figure) against parameter X, one line per value of parameter BY (or per
    combination of the other parameters). Defaults: X is the first numeric parameter that varies."""
    notes = []
    vals = sw.table("values")
    text = sw.table("parameters")
    summ = sw.table("summary")
    ok = np.array([s == "ok" for s in sw.status])
    if metric not in summ.dtype.names:
        raise KeyError("no figure %r in the sweep (it has: %s)" % (metric, ", ".join(summ.dtype.names)))
    params = list(vals.dtype.names)
    if x is None:
        x = next((p for p in params if np.isfinite(vals[p]).all() and len(np.unique(vals[p])) > 1), None)
    if x is None:
        raise KeyError("no numeric parameter varies; pass x=")
    others = [by] if by else [p for p in params if p != x]
    keys = [", ".join("%s=%s" % (o.split(".")[-1], text[o][i]) for o in others) for i in range(len(vals))]
    units = sw.units("values")
    yunit = sw.units("summary").get(metric, "")
    fig, ax = plt.subplots(figsize=(9, 5))
    for key in dict.fromkeys(keys):
        sel = np.array([k == key for k in keys]) & ok
        order = np.argsort(vals[x][sel])
        ax.plot(vals[x][sel][order], summ[metric][sel][order], marker="o", label=key or metric)
    ax.set_xlabel("%s (%s)" % (x, units.get(x, "")))
    ax.set_ylabel("%s (%s)" % (metric, yunit))
    ax.set_title("%s vs %s" % (metric, x))
    ax.legend(fontsize=7)
    _save(fig, out)
    notes.append("%s vs %s, %d lines, %d ok points of %d" % (metric, x, len(set(keys)), ok.sum(), len(ok)))
    return notes
