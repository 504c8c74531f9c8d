"""Read OAS Twin traces (``oastwin run``) and sweep indexes (``oastwin sweep``) with h5py.

Every table comes back as a numpy structured array (string columns decoded to ``str``), and as a
pandas DataFrame when pandas is installed; matrices as 2-D arrays; units from the ``units``
attributes. Layout: docs/hdf5-conventions.md and docs/hdf5-schema.md.

    import oastwin
    t = oastwin.open("trace.h5")
    t.summary["iteration_time_mean"]        # Figure(value=0.104, unit='s', doc='...')
    it = t.table("/training/iterations")    # numpy structured array
    t.units("/training/iterations")         # {'iteration': '1', 'start': 's', ...}
    s = oastwin.open("out.sweep/sweep.h5")  # a Sweep
    s.frame()                               # one row per point: parameters, status, figures
    s.trace(3)                              # the Trace of point 3
"""

import os
from collections import namedtuple

import h5py
import numpy as np

try:  # optional
    import pandas as pd
except ImportError:  # pragma: no cover - depends on the machine
    pd = None

__all__ = ["open", "Trace", "Sweep", "Figure", "decode_strings", "unit_seconds"]

Figure = namedtuple("Figure", "value unit doc")

SWEEP_KIND = "oastwin-sweep-index"


def _text(v):
    """An attribute or scalar as str (HDF5 fixed-length strings arrive as bytes)."""
    if isinstance(v, (bytes, np.bytes_)):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.dtype.kind == "S":
        return [x.decode("utf-8", "replace") for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def decode_strings(arr):
    """A copy of structured array ARR with every bytes column (dtype S) as a str column (U)."""
    if arr.dtype.names is None:
        return arr.astype(str) if arr.dtype.kind == "S" else arr
    fields = []
    for name in arr.dtype.names:
        dt = arr.dtype[name]
        fields.append((name, "U%d" % max(dt.itemsize, 1)) if dt.kind == "S" else (name, dt))
    out = np.empty(arr.shape, dtype=fields)
    for name in arr.dtype.names:
        col = arr[name]
        out[name] = np.char.decode(col, "utf-8") if col.dtype.kind == "S" else col
    return out


_PREFIX = {"": 1.0, "p": 1e-12, "n": 1e-9, "u": 1e-6, "\u00b5": 1e-6, "m": 1e-3, "k": 1e3}


def unit_seconds(text):
    """'10 ms' -> 0.01 (for the time values of the resolved scenario); None if not a time."""
    parts = str(text).split()
    if len(parts) != 2 or not parts[1].endswith("s") or parts[1][:-1] not in _PREFIX:
        return None
    try:
        return float(parts[0]) * _PREFIX[parts[1][:-1]]
    except ValueError:
        return None


class Trace:
    """One trace file. Use as a context manager or call close()."""

    def __init__(self, path):
        self.path = path
        self.file = h5py.File(path, "r")

    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- metadata --
    @property
    def attrs(self):
        """Root attributes (schema_version, software_version, seed, scenario_sha256, created, name)."""
        return {k: _text(v) for k, v in self.file.attrs.items()}

    @property
    def summary(self):
        """The /summary figures in the order the run set them: name -> Figure(value, unit, doc)."""
        out = {}
        if "summary" not in self.file:
            return out
        for name, ds in self.file["summary"].items():
            v = ds[()]
            out[name] = Figure(_text(v), _text(ds.attrs.get("units", b"")), _text(ds.attrs.get("doc", b"")))
        return out

    def datasets(self):
        """Paths of every dataset except the /summary figures, in creation order."""
        found = []

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith("summary/"):
                found.append("/" + name)

        self.file.visititems(visit)
        return found

    def kind(self, path):
        """'table', 'matrix', 'text' or 'scalar'."""
        ds = self.file[path]
        if ds.dtype.names is not None:
            return "table"
        if ds.dtype.kind == "S" and ds.shape == ():
            return "text"
        return "matrix" if ds.ndim == 2 else "scalar" if ds.ndim == 0 else "array"

    # -- data --
    def table(self, path, decode=True):
        """The table at PATH as a numpy structured array (strings decoded unless DECODE is False)."""
        arr = self.file[path][()]
        return decode_strings(arr) if decode else arr

    def frame(self, path):
        """The table at PATH as a pandas DataFrame (needs pandas)."""
        if pd is None:
            raise RuntimeError("pandas is not installed (apt-get install python3-pandas)")
        return pd.DataFrame(self.table(path))

    def matrix(self, path):
        return self.file[path][()]

    def text(self, path):
        return _text(self.file[path][()])

    def units(self, path):
        """Column -> unit for a table, or the unit string of any other dataset."""
        ds = self.file[path]
        units = _text(ds.attrs.get("units", b""))
        if ds.dtype.names is not None:
            return dict(zip(ds.dtype.names, units))
        return units

    def columns(self, path):
        ds = self.file[path]
        if "columns" in ds.attrs:
            return _text(ds.attrs["columns"])
        return list(ds.dtype.names or [])

    def load_all(self):
        """Every dataset: path -> structured array, matrix, text or scalar."""
        out = {}
        for p in self.datasets():
            k = self.kind(p)
            out[p] = self.table(p) if k == "table" else self.text(p) if k == "text" else self.file[p][()]
        return out

    def sample_interval(self):
        """run.sample_interval of the resolved scenario, in seconds (None if not found)."""
        if "/scenario/resolved" not in self.file:
            return None
        section = None
        for line in self.text("/scenario/resolved").splitlines():
            if line and not line.startswith(" "):
                section = line.split(":")[0]
            elif section == "run" and line.strip().startswith("sample_interval:"):
                return unit_seconds(line.split(":", 1)[1].strip())
        return None

    def find_tables(self, *columns, unit=None):
        """Tables having every column in COLUMNS (optionally with UNIT for all of them)."""
        out = []
        for p in self.datasets():
            if self.kind(p) != "table":
                continue
            units = self.units(p)
            if all(c in units and (unit is None or units[c] == unit) for c in columns):
                out.append(p)
        return out


class Sweep:
    """A sweep index (sweep.h5): one row per point in /sweep/points, /sweep/parameters,
    /sweep/values and /sweep/summary; /points/N links to point N's trace."""

    def __init__(self, path):
        self.path = path
        self.dir = os.path.dirname(os.path.abspath(path))
        self.file = h5py.File(path, "r")

    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def attrs(self):
        return {k: _text(v) for k, v in self.file.attrs.items()}

    def table(self, name, decode=True):
        """'points', 'parameters', 'values' or 'summary' as a structured array."""
        arr = self.file["/sweep/" + name][()]
        return decode_strings(arr) if decode else arr

    def units(self, name):
        ds = self.file["/sweep/" + name]
        return dict(zip(ds.dtype.names, _text(ds.attrs["units"])))

    @property
    def parameters(self):
        return list(self.file["/sweep/parameters"].dtype.names)

    @property
    def status(self):
        return list(self.table("points")["status"])

    def frame(self):
        """One DataFrame, one row per point: status, label, error, each parameter (SI value, and
        the text as written in PARAM + '_text'), every summary figure."""
        if pd is None:
            raise RuntimeError("pandas is not installed (apt-get install python3-pandas)")
        pts = pd.DataFrame(self.table("points"))
        vals = pd.DataFrame(self.table("values"))
        txt = pd.DataFrame(self.table("parameters")).add_suffix("_text")
        summ = pd.DataFrame(self.table("summary"))
        return pd.concat([pts, vals, txt, summ], axis=1)

    def records(self):
        """The same as frame() without pandas: a list of dicts."""
        pts, vals, txt, summ = (self.table(n) for n in ("points", "values", "parameters", "summary"))
        rows = []
        for i in range(len(pts)):
            r = {n: pts[n][i].item() if hasattr(pts[n][i], "item") else pts[n][i] for n in pts.dtype.names}
            r.update({n: vals[n][i].item() for n in vals.dtype.names})
            r.update({n + "_text": str(txt[n][i]) for n in txt.dtype.names})
            r.update({n: summ[n][i].item() if hasattr(summ[n][i], "item") else summ[n][i]
                      for n in summ.dtype.names})
            rows.append(r)
        return rows

    def trace(self, i):
        """The Trace of point I (ok points only)."""
        rel = self.table("points")["trace"][i]
        if not rel:
            raise KeyError("point %d has no trace (status %s)" % (i, self.status[i]))
        return Trace(os.path.join(self.dir, rel))


def open(path):  # noqa: A001 - the module's entry point, like h5py.File
    """A Trace or a Sweep, by the file's root attribute 'kind'."""
    with h5py.File(path, "r") as f:
        kind = _text(f.attrs.get("kind", b""))
    return Sweep(path) if kind == SWEEP_KIND else Trace(path)
