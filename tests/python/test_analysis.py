#!/usr/bin/python3
"""Tests of the Python analysis module (analysis/python/oastwin) on files the binary wrote.

usage: test_analysis.py SCHEMA.md SWEEP.h5 TRACE.h5 [TRACE.h5 ...]

1. Every dataset documented in SCHEMA.md (docs/hdf5-schema.md: dataset paths in headings and
   first table cells, table columns with their units, figures listed under /summary headings)
   exists in at least one of the given files, with the documented columns and units.
2. Every dataset of every file loads through the module and round-trips: the loaded array equals
   the raw h5py read, and writing it to a new HDF5 file and reading it back gives it again.
3. The sweep index opens as a Sweep whose rows, links and traces agree.
4. The plot functions write non-empty PNG files.
Run with Debian's /usr/bin/python3 (h5py, numpy, matplotlib). Prints one line per failure and
"python: N passed, M failed"; exit status 1 on any failure.
"""
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "analysis", "python"))

import h5py  # noqa: E402
import numpy as np  # noqa: E402

import oastwin  # noqa: E402
from oastwin import plots  # noqa: E402

PASS = [0]
FAIL = []


def check(ok, what):
    if ok:
        PASS[0] += 1
    else:
        FAIL.append(what)
        print("FAIL: %s" % what)


# ---- 1. the documented datasets ----

TICK = re.compile(r"`([^`]+)`")


def parse_schema(path):
    """{dataset path: [{column: unit}, ...]} (one dict per section that documents the dataset:
    a dataset written by several models, such as /training/iterations, has one variant per
    model) and the set of /summary names."""
    datasets, figures = {}, set()
    current, in_summary, unit_col, root_attrs = None, False, None, False
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("#"):
            ticks = TICK.findall(line)
            paths = [t for t in ticks if t.startswith("/") and t.count("/") >= 2 and re.fullmatch(r"[/a-z0-9_.]+", t)]
            current = paths[0] if paths else None
            if current:
                datasets.setdefault(current, []).append({})
            in_summary = "/summary" in line and not current
            root_attrs = "attribute" in line.lower() and not current
            unit_col = None
            continue
        if not line.startswith("|") or root_attrs:
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells and cells[0] and set(cells[0]) <= set("-: "):
            continue
        low = [c.lower() for c in cells]
        if "unit" in low and unit_col is None and not TICK.findall(cells[0]):
            unit_col = low.index("unit")  # a header row
            continue
        names = TICK.findall(cells[0])
        if not names:
            continue
        full = []  # "`iteration_time_mean`, `_min`, `_max`" -> the three names
        for n in names:
            if n.startswith("_") and full:
                full.append(full[0].rsplit("_", 1)[0] + n)
            else:
                full.append(n)
        for n in full:
            if n.startswith("/"):
                if n.count("/") >= 2 and re.fullmatch(r"[/a-z0-9_.]+", n) and not n.startswith("/summary/"):
                    datasets.setdefault(n, [{}])
                elif n.startswith("/summary/"):
                    figures.add(n[len("/summary/"):])
            elif current and unit_col is not None and unit_col < len(cells):
                unit = cells[unit_col].strip("` ")
                datasets[current][-1][n] = "" if unit in ("\u2014", "-", "text") else unit
            elif in_summary and re.fullmatch(r"[a-z0-9_]+", n):
                # A figure documented as written "only when/with ..." is conditional: the tests
                # need not produce it.
                if not any(c.lower().startswith("only ") for c in cells[1:]):
                    figures.add(n)
    return datasets, figures


def check_documented(schema, files):
    datasets, figures = parse_schema(schema)
    check(len(datasets) >= 5, "the schema parser found %d datasets in %s (expected several)" % (len(datasets), schema))
    opened = [h5py.File(f, "r") for f in files]
    for path, variants in sorted(datasets.items()):
        where = [f for f in opened if path in f]
        check(where, "documented dataset %s is in none of the traces the tests wrote" % path)
        tables = []
        for f in where:
            ds = f[path]
            if ds.dtype.names is not None:
                tables.append((f.filename, dict(zip(ds.dtype.names, [u.decode() for u in ds.attrs["units"]]))))
        for cols in variants:
            if not cols or not tables:
                continue
            # Every documented variant is written, columns and units, by at least one trace.
            match = [(fn, units) for fn, units in tables if all(c in units for c in cols)]
            check(match, "%s: no trace has all the documented columns %s (traces: %s)"
                  % (path, sorted(cols), ", ".join(fn for fn, _ in tables)))
            for fn, units in match[:1]:
                for c, u in cols.items():
                    check(units[c] == u, "%s.%s: unit %r in %s, %r in the schema" % (path, c, units[c], fn, u))
    for name in sorted(figures):
        check(any("summary/" + name in f for f in opened),
              "documented summary figure %s is in none of the traces the tests wrote" % name)
    for f in opened:
        f.close()


# ---- 2. every dataset round-trips ----

def same(a, b):
    if isinstance(a, np.ndarray) and a.dtype.names is not None:
        return a.dtype.names == b.dtype.names and all(same(a[n], b[n]) for n in a.dtype.names)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f":
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a.shape == b.shape and np.array_equal(a, b)


def check_roundtrip(files, tmp):
    for path in files:
        obj = oastwin.open(path)
        if isinstance(obj, oastwin.Sweep):
            obj.close()
            obj = oastwin.Trace(path)
        with obj as t, h5py.File(path, "r") as raw:
            loaded = t.load_all()
            check(loaded, "%s: the loader found no dataset" % path)
            out = os.path.join(tmp, "rt.h5")
            with h5py.File(out, "w") as w:
                for p, v in loaded.items():
                    r = raw[p][()]
                    if t.kind(p) == "table":
                        check(same(oastwin.decode_strings(r), v), "%s:%s: loaded table differs from h5py" % (path, p))
                        w.create_dataset(p, data=v.astype([(n, "S%d" % max(1, v.dtype[n].itemsize // 4))
                                                           if v.dtype[n].kind == "U" else (n, v.dtype[n])
                                                           for n in v.dtype.names]))
                        units = t.units(p)
                        check(list(units) == list(v.dtype.names), "%s:%s: units do not name every column" % (path, p))
                    elif t.kind(p) == "text":
                        check(v == r.decode(), "%s:%s: text differs" % (path, p))
                        w.create_dataset(p, data=np.bytes_(v.encode()))
                    else:
                        check(same(r, v), "%s:%s: array differs" % (path, p))
                        w.create_dataset(p, data=v)
            with h5py.File(out, "r") as back:
                for p, v in loaded.items():
                    b = back[p][()]
                    if t.kind(p) == "table":
                        check(same(oastwin.decode_strings(b), v), "%s:%s: did not round-trip" % (path, p))
                    elif t.kind(p) == "text":
                        check(b.decode() == v, "%s:%s: text did not round-trip" % (path, p))
                    else:
                        check(same(b, v), "%s:%s: array did not round-trip" % (path, p))
            s = t.summary
            check(all(k in s for k in raw.get("summary", {}).keys()), "%s: summary figures missing" % path)
            if oastwin.pd is not None:
                for p in loaded:
                    if t.kind(p) == "table":
                        df = t.frame(p)
                        check(list(df.columns) == list(loaded[p].dtype.names) and len(df) == len(loaded[p]),
                              "%s:%s: DataFrame shape or columns differ" % (path, p))


# ---- 3. the sweep index ----

def check_sweep(index):
    with oastwin.open(index) as s:
        check(isinstance(s, oastwin.Sweep), "%s does not open as a Sweep" % index)
        pts = s.table("points")
        n = len(pts)
        check(n > 0, "sweep has no points")
        for name in ("parameters", "values", "summary"):
            check(len(s.table(name)) == n, "/sweep/%s has %d rows, /sweep/points %d" % (name, len(s.table(name)), n))
        recs = s.records()
        check(len(recs) == n, "records() gives %d rows for %d points" % (len(recs), n))
        summ = s.table("summary")
        for i in range(n):
            if pts["status"][i] != "ok":
                continue
            with s.trace(i) as t:
                names = list(t.summary)
                for fig, v in t.summary.items():
                    if isinstance(v.value, str):
                        check(summ[fig][i] == v.value, "point %d: %s differs between index and trace" % (i, fig))
                    else:
                        check(float(summ[fig][i]) == float(v.value), "point %d: %s differs (%r vs %r)"
                              % (i, fig, summ[fig][i], v.value))
            linked = s.file["points/%d/summary" % i]  # the external link
            check(list(linked.keys()) == names, "point %d: /points/%d/summary (external link) differs from the trace"
                  % (i, i))
        if oastwin.pd is not None:
            df = s.frame()
            check(len(df) == n and "status" in df.columns, "sweep DataFrame has the wrong shape")
        return s.parameters


# ---- 4. plots ----

def check_plots(trace, index, params, tmp):
    with oastwin.Trace(trace) as t:
        for name, fn in (("timeline", plots.timeline), ("links", plots.links), ("power", plots.power_thermal),
                         ("latency", plots.latency)):
            out = os.path.join(tmp, name + ".png")
            notes = fn(t, out)
            check(os.path.getsize(out) > 1000 and notes, "plot %s wrote nothing useful" % name)
    with oastwin.open(index) as s:
        out = os.path.join(tmp, "sweep.png")
        metric = next(n for n in s.table("summary").dtype.names if s.table("summary")[n].dtype.kind == "f")
        notes = plots.sweep(s, out, metric)
        check(os.path.getsize(out) > 1000 and notes, "sweep plot wrote nothing useful")


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    schema, index, traces = argv[1], argv[2], argv[3:]
    with tempfile.TemporaryDirectory() as tmp:
        check_documented(schema, [index] + traces)
        check_roundtrip([index] + traces, tmp)
        params = check_sweep(index)
        check_plots(traces[0], index, params, tmp)
    print("python: %d passed, %d failed" % (PASS[0], len(FAIL)))
    return 1 if FAIL else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
