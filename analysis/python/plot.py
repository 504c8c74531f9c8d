#!/usr/bin/python3
"""Plot an OAS Twin trace or sweep to a PNG file.

usage: plot.py timeline TRACE.h5 [-o OUT.png] [--table PATH]   phases/iterations per rank
       plot.py links    TRACE.h5 [-o OUT.png]                  link utilisation heat map
       plot.py power    TRACE.h5 [-o OUT.png]                  power and temperature over time
       plot.py latency  TRACE.h5 [-o OUT.png]                  TTFT / TPOT distributions
       plot.py sweep    SWEEP.h5 --metric FIGURE [--x PARAM] [--by PARAM] [-o OUT.png]

Prints what it plotted and, when the trace lacks the data, what it would need. Run with Debian's
/usr/bin/python3 (python3-h5py, python3-numpy, python3-matplotlib).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import oastwin  # noqa: E402
from oastwin import plots  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kind", choices=["timeline", "links", "power", "latency", "sweep"])
    ap.add_argument("file")
    ap.add_argument("-o", "--output")
    ap.add_argument("--table", help="timeline: the table to draw")
    ap.add_argument("--metric", help="sweep: the /summary figure on the y axis")
    ap.add_argument("--x", help="sweep: the parameter on the x axis")
    ap.add_argument("--by", help="sweep: one line per value of this parameter")
    a = ap.parse_args(argv)
    out = a.output or "%s-%s.png" % (os.path.splitext(os.path.basename(a.file))[0], a.kind)
    obj = oastwin.open(a.file)
    try:
        if a.kind == "sweep":
            if not isinstance(obj, oastwin.Sweep):
                ap.error("%s is not a sweep index" % a.file)
            if not a.metric:
                ap.error("sweep needs --metric FIGURE")
            notes = plots.sweep(obj, out, a.metric, a.x, a.by)
        else:
            if isinstance(obj, oastwin.Sweep):
                ap.error("%s is a sweep index; give one point's trace (e.g. DIR/points/0000.h5)" % a.file)
            fn = {"timeline": lambda t: plots.timeline(t, out, a.table), "links": lambda t: plots.links(t, out),
                  "power": lambda t: plots.power_thermal(t, out), "latency": lambda t: plots.latency(t, out)}
            notes = fn[a.kind](obj)
    except KeyError as e:
        print("plot.py: error: %s" % e.args[0], file=sys.stderr)
        return 2
    finally:
        obj.close()
    for n in notes:
        print("%s: %s" % (a.kind, n))
    print("wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
