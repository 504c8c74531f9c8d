#!/bin/sh
# `make bench` section: cost of the power/thermal plant at scale. The GB200 NVL72 what-if at W45
# (every accelerator throttles, so the governor, the coolant updates and the per-accelerator
# time series all work) on 1, 8 and 32 racks of 72, analytic fidelity, 30 iterations. Prints
# wall time, peak memory and the number of /events rows (throttle steps). Not a test.
set -u
BUILD=${BUILD:-build}
OASTWIN=$BUILD/oastwin
SIZES=${BENCH_THERMAL_SIZES:-"72 576 2304"}
ex=scenarios/examples/supply-water-w32-vs-w45/gb200-nvl72.yaml
out=/tmp/oastwin-bench-thermal-$$.h5

echo "== power/thermal plant: GB200 NVL72 racks at W45, 30 iterations, analytic =="
printf '%8s %6s  %10s %10s  %10s %12s\n' accels racks wall_s peak_MiB events throttled
for p in $SIZES; do
  c=$("$OASTWIN" run "$ex" -q -o "$out" --set cooling.facility.class=W45 --set topology.accelerators="$p" \
        --set workload.iterations=30 --set run.sample_interval=1s 2>&1 >/dev/null |
      sed -n 's/.* in \([0-9.]*\) s wall;.*peak memory \([0-9.]*\) MiB.*/\1 \2/p' | tail -n 1)
  ev=$(h5dump -H -d /events "$out" 2>/dev/null | sed -n 's/.*DATASPACE *SIMPLE { ( \([0-9]*\) ).*/\1/p' | head -n 1)
  thr=$(h5dump -d /summary/throttled_fraction "$out" 2>/dev/null | sed -n 's/^ *(0): *//p' | head -n 1)
  set -- $c
  printf '%8s %6s  %10s %10s  %10s %12s\n' "$p" $((p / 72)) "$1" "$2" "${ev:-?}" "${thr:-?}"
done
rm -f "$out"
