#!/bin/sh
# `make bench`: benchmarks that print figures (never pass/fail tests).
# Section 1: ring all-reduce of 1 GiB on one switched supernode at p = 64, 256, 1024 — wall time
# and peak memory of both fidelities and of the same pattern written directly against SimGrid's
# C API (bench/bare_ring.c), and the ratio flow / bare SimGrid (goal: <= 1.25).
set -u
BUILD=${BUILD:-build}
OASTWIN=$BUILD/oastwin
SIZES=${BENCH_SIZES:-"64 256 1024"}

cost() { # prints "wall_s peak_MiB" parsed from a cost line on stdin
  sed -n 's/.* in \([0-9.]*\) s wall;.*peak memory \([0-9.]*\) MiB.*/\1 \2/p' | tail -n 1
}

echo "== ring all-reduce, 1 GiB, switched supernode (8 planes x 50 GB/s) =="
printf '%6s  %12s %10s  %12s %10s  %12s %10s  %10s\n' p flow_wall_s flow_MiB analytic_s analyt_MiB bare_wall_s bare_MiB flow/bare
for p in $SIZES; do
  f=$("$OASTWIN" run scenarios/bench/ring.yaml -q -o /tmp/oastwin-bench-$$.h5 \
        --set topology.accelerators="$p" 2>&1 >/dev/null | cost)
  a=$("$OASTWIN" run scenarios/bench/ring.yaml -q -o /tmp/oastwin-bench-$$.h5 \
        --set topology.accelerators="$p" --set run.fidelity=analytic 2>&1 >/dev/null | cost)
  b=$("$BUILD/bench/bare_ring" "$p" 1073741824 2>&1 >/dev/null | cost)
  rm -f /tmp/oastwin-bench-$$.h5
  set -- $f $a $b
  ratio=$(awk -v x="$1" -v y="$5" 'BEGIN { if (y > 0) printf "%.3f", x / y; else print "-" }')
  printf '%6s  %12s %10s  %12s %10s  %12s %10s  %10s\n' "$p" "$1" "$2" "$3" "$4" "$5" "$6" "$ratio"
done

# Further sections (topology load, training, inference) are added by their scripts.
for extra in bench/topo_load.sh bench/training.sh bench/inference.sh bench/thermal.sh bench/collbench.sh bench/resilience.sh bench/scorecard.sh; do
  [ -f "$extra" ] && BUILD=$BUILD sh "$extra"
done
exit 0
